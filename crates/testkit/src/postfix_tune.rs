//! Changing the running Postfix of a [`MailServers`]: `postconf -e` on its private main.cf,
//! then `postfix reload`. For tests that need Postfix to refuse on its own terms (a small
//! `message_size_limit`, relaying refused even after login).

use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::sys::{find_program, run};
use crate::{MailServers, TestkitError};

impl MailServers {
    /// Sets main.cf parameters (`("message_size_limit", "5000")`) and reloads Postfix. New
    /// connections see the change once the reload is through (about a second; callers that
    /// depend on it should check, e.g. for the SIZE that EHLO announces).
    pub fn set_postfix(&self, settings: &[(&str, &str)]) -> Result<(), TestkitError> {
        let missing =
            |name: &str| TestkitError::MissingServer(format!("Postfix's `{name}` is not installed"));
        let postconf = find_program("postconf").ok_or_else(|| missing("postconf"))?;
        let postfix = find_program("postfix").ok_or_else(|| missing("postfix"))?;
        let config = self.dir().join("postfix/etc");
        let mut cmd = Command::new(postconf);
        cmd.arg("-c").arg(&config).arg("-e");
        for (name, value) in settings {
            cmd.arg(format!("{name}={value}"));
        }
        run(&mut cmd, None)?;
        // Postfix waits for files changed within the current second (see postfix.rs): backdate.
        let main_cf = config.join("main.cf");
        std::fs::File::options()
            .write(true)
            .open(&main_cf)
            .and_then(|f| f.set_modified(SystemTime::now() - Duration::from_secs(10)))
            .map_err(TestkitError::io(format!("setting the mtime of {}", main_cf.display())))?;
        run(Command::new(postfix).arg("-c").arg(&config).arg("reload"), None)?;
        Ok(())
    }
}
