//! Files and folders readable by their owner alone: everything Tidings writes holds mail,
//! headers, the Outbox with its Bcc, or a conversation with a server. Folders are made 0700
//! and files 0600 as they are created (the mode is given to the system call, so the umask
//! can only narrow it, and there is no moment when they are open to others). Ones an older
//! version made wider are narrowed when they are opened again.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// `std::fs::create_dir_all` with every folder it makes 0700; `dir` itself narrowed to its
/// owner when it was there already (never a shared sticky folder like /tmp).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        narrow(dir);
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Open options whose file, when they create it, is 0600. Add read, write, create… as
/// with `OpenOptions::new()`.
pub fn options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// A new file (0600) only: one that exists already (someone else's, in a shared folder) is
/// an error, never opened.
pub fn create_new_file(path: &Path) -> io::Result<File> {
    options().write(true).create_new(true).open(path)
}

/// `File::create` (write, create, truncate) with a new file 0600, and one that was there
/// already narrowed to its owner.
pub fn create_file(path: &Path) -> io::Result<File> {
    let file = options().write(true).create(true).truncate(true).open(path)?;
    narrow(path);
    Ok(file)
}

/// Takes group and other permissions away from `path` (a file or a folder an older version
/// made): best effort, as what is not ours to change is left as it is. A sticky folder
/// (/tmp) is shared by design and left alone.
pub fn narrow(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else { return };
        let mode = meta.permissions().mode();
        if mode & 0o077 == 0 || (meta.is_dir() && mode & 0o1000 != 0) {
            return;
        }
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700));
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn new_folders_and_files_are_private_and_old_ones_are_narrowed() {
        let top = tempfile::tempdir().unwrap();
        let deep = top.path().join("a/b/c");
        create_dir_all(&deep).unwrap();
        for dir in [top.path().join("a"), top.path().join("a/b"), deep.clone()] {
            assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        }
        let file = deep.join("f");
        drop(create_file(&file).unwrap());
        assert_eq!(mode(&file), 0o600);

        // Made by an older version: narrowed, the owner's bits kept.
        let old = top.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        let old_file = old.join("mail.sqlite3");
        std::fs::write(&old_file, b"x").unwrap();
        std::fs::set_permissions(&old_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_dir_all(&old).unwrap();
        narrow(&old_file);
        assert_eq!(mode(&old), 0o700);
        assert_eq!(mode(&old_file), 0o600);
        drop(create_file(&old_file).unwrap());
        assert_eq!(mode(&old_file), 0o600);

        // A shared sticky folder is not ours to narrow.
        let shared = top.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        create_dir_all(&shared).unwrap();
        assert_eq!(mode(&shared), 0o1777);
    }
}
