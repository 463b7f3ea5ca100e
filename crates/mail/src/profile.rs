//! Where Tidings keeps its files. By default the XDG config and data directories; with
//! `--profile DIR` (or `TIDINGS_PROFILE`) both live under DIR, so testers can keep several
//! set-ups side by side and tests never touch the user's own files.

use std::path::{Path, PathBuf};

use crate::error::{Error, Kind, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    config_dir: PathBuf,
    data_dir: PathBuf,
    /// The user's runtime directory (`$XDG_RUNTIME_DIR/tidings`), for the system profile.
    runtime_dir: Option<PathBuf>,
}

impl Profile {
    /// The profile under `dir`: `dir/config` and `dir/data`.
    pub fn at(dir: impl AsRef<Path>) -> Profile {
        let dir = dir.as_ref();
        Profile { config_dir: dir.join("config"), data_dir: dir.join("data"), runtime_dir: None }
    }

    /// The user's own profile in the XDG directories.
    pub fn system() -> Result<Profile> {
        let dirs = directories::ProjectDirs::from("org", "Tidings", "tidings").ok_or_else(|| {
            Error::new(Kind::Config, "cannot find a home directory for the configuration; pass --profile DIR")
        })?;
        Ok(Profile {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
            runtime_dir: dirs.runtime_dir().map(Path::to_path_buf),
        })
    }

    /// `--profile DIR` when given, else the system profile.
    pub fn resolve(explicit: Option<&Path>) -> Result<Profile> {
        match explicit {
            Some(dir) => Ok(Profile::at(dir)),
            None => Profile::system(),
        }
    }

    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
    /// Per-account transcript log (only written when the account asks for it).
    pub fn transcript_log(&self, account_id: &str) -> PathBuf {
        self.data_dir.join("logs").join(format!("{account_id}.transcript.log"))
    }
    /// Per-account data (store, downloaded mail).
    pub fn account_data_dir(&self, account_id: &str) -> PathBuf {
        self.data_dir.join("accounts").join(account_id)
    }

    /// Where private copies of attachments go for the desktop to open them: the runtime
    /// directory (memory, gone at log-out), or the profile's data for `--profile DIR`.
    pub fn open_copies(&self) -> PathBuf {
        match &self.runtime_dir {
            Some(dir) => dir.join("open"),
            None => self.data_dir.join("open"),
        }
    }

    /// The mail store (SQLite) of every account of this profile.
    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("mail.sqlite3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_profile_keeps_everything_under_dir() {
        let p = Profile::resolve(Some(Path::new("/tmp/t1"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.config_file(), Path::new("/tmp/t1/config/config.toml"));
        assert!(p.transcript_log("alice").starts_with("/tmp/t1/data"));
        assert!(p.account_data_dir("alice").starts_with("/tmp/t1/data"));
    }
}
