//! The configuration file: TOML, versioned, written atomically (temp file, fsync, rename) with
//! mode 0600. It holds settings only — never a secret; passwords live in the keyring.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::error::{Error, Kind, Result};
use crate::profile::Profile;

/// The version this build writes. Older files are migrated on load.
pub const CONFIG_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub version: u32,
    /// Desktop notifications of new mail, for every account (each account can also turn
    /// its own off). Before the accounts: TOML wants plain values ahead of tables.
    #[serde(default = "on")]
    pub notifications: bool,
    #[serde(default, rename = "account")]
    pub accounts: Vec<Account>,
}

impl Default for Config {
    fn default() -> Self {
        Config { version: CONFIG_VERSION, notifications: true, accounts: Vec::new() }
    }
}

fn on() -> bool {
    true
}

impl Config {
    /// Reads the profile's config; a missing file is an empty configuration.
    pub fn load(profile: &Profile) -> Result<Config> {
        let path = profile.config_file();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(Error::storage(format!("cannot read {}", path.display()), e)),
        };
        let config: Config = toml::from_str(&text).map_err(|e| {
            Error::new(Kind::Config, format!("cannot read {}: {}", path.display(), e.message()))
        })?;
        if config.version > CONFIG_VERSION {
            return Err(Error::config(format!(
                "{} was written by a newer Tidings (version {}); this one reads up to {}",
                path.display(),
                config.version,
                CONFIG_VERSION
            )));
        }
        Ok(config)
    }

    /// Writes the config atomically: a crash leaves either the old file or the new one.
    pub fn save(&self, profile: &Profile) -> Result<()> {
        let text = toml::to_string_pretty(self)
            .map_err(|e| Error::new(Kind::Config, format!("cannot write the configuration: {e}")))?;
        write_atomic(&profile.config_file(), text.as_bytes())
    }

    pub fn account(&self, name_or_id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == name_or_id || a.name == name_or_id)
    }

    /// Adds an account, giving it an id no other account has.
    pub fn add_account(&mut self, mut account: Account) -> Result<&Account> {
        account.validate()?;
        if self.accounts.iter().any(|a| a.name == account.name) {
            return Err(Error::config(format!("an account named \"{}\" already exists", account.name)));
        }
        let base = crate::account::slug(&account.name);
        let mut id = base.clone();
        let mut n = 2;
        while self.accounts.iter().any(|a| a.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        account.id = id;
        self.accounts.push(account);
        let last = self.accounts.len() - 1;
        Ok(&self.accounts[last])
    }

    pub fn remove_account(&mut self, name_or_id: &str) -> Option<Account> {
        let i = self.accounts.iter().position(|a| a.id == name_or_id || a.name == name_or_id)?;
        Some(self.accounts.remove(i))
    }
}

/// Temp file in the same directory (same filesystem), fsync, rename over, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir =
        path.parent().ok_or_else(|| Error::config(format!("{} has no parent directory", path.display())))?;
    crate::private::create_dir_all(dir)
        .map_err(|e| Error::storage(format!("cannot create {}", dir.display()), e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = crate::private::create_file(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::storage(format!("cannot write {}", path.display()), e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{AuthMethod, Incoming, Security, Server, Trust};

    fn account(name: &str) -> Account {
        let server = |port| Server {
            host: "mail.example.test".into(),
            port,
            security: Security::Implicit,
            user: "alice".into(),
            auth: AuthMethod::Password,
            trust: Trust::default(),
        };
        Account::new(
            String::new(),
            name.into(),
            "alice@example.test".into(),
            Incoming::Imap,
            server(993),
            server(465),
        )
    }

    #[test]
    fn round_trip_atomic_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::at(dir.path());
        assert_eq!(Config::load(&profile).unwrap(), Config::default());
        let mut c = Config::default();
        c.add_account(account("Work")).unwrap();
        c.add_account(account("work!")).unwrap();
        c.save(&profile).unwrap();
        let back = Config::load(&profile).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.accounts[1].id, "work-2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(profile.config_file()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temp file left behind.
        let left: Vec<_> = fs::read_dir(profile.config_dir()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn duplicate_names_and_bad_files_are_config_errors() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::at(dir.path());
        let mut c = Config::default();
        c.add_account(account("Work")).unwrap();
        assert_eq!(c.add_account(account("Work")).unwrap_err().kind(), Kind::Config);
        fs::create_dir_all(profile.config_dir()).unwrap();
        fs::write(profile.config_file(), "version = \"x\"").unwrap();
        let e = Config::load(&profile).unwrap_err();
        assert_eq!(e.kind(), Kind::Config);
        assert!(e.message().contains("config.toml"), "{e}");
    }

    #[test]
    fn notifications_are_on_unless_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::at(dir.path());
        fs::create_dir_all(profile.config_dir()).unwrap();
        // A config written before the switch existed.
        fs::write(profile.config_file(), "version = 1\n").unwrap();
        assert!(Config::load(&profile).unwrap().notifications);
        let mut c = Config { notifications: false, ..Config::default() };
        c.add_account(account("Work")).unwrap();
        c.save(&profile).unwrap();
        assert!(!Config::load(&profile).unwrap().notifications);
    }

    #[test]
    fn newer_version_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::at(dir.path());
        fs::create_dir_all(profile.config_dir()).unwrap();
        fs::write(profile.config_file(), "version = 99\n").unwrap();
        assert!(Config::load(&profile).unwrap_err().message().contains("newer"));
    }
}
