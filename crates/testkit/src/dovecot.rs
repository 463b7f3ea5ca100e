//! A private Dovecot instance: standalone config (no conf.d include), its own base_dir,
//! state_dir and log, IMAP + POP3 on loopback, LMTP and SASL sockets inside Postfix's queue.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::certs::{Certs, write};
use crate::postfix::{private_dir, render};
use crate::sys::{Daemon, Proc, alive, children_of, run, sigkill, system_id, wait_all_gone};
use crate::{TestkitError, User};

/// Dovecot never runs mail processes as root; a numeric uid without a passwd entry works.
pub(crate) const MAIL_UID: u32 = 5000;

pub(crate) struct Setup<'a> {
    pub root: &'a Path,
    pub instance: &'a str,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub pop3_port: u16,
    pub pop3s_port: u16,
    pub certs: &'a Certs,
    pub users: &'a [User],
    pub log: &'a Path,
    /// Bearer tokens (XOAUTH2, OAUTHBEARER) checked by an identity provider, beside passwords.
    pub oauth2: Option<&'a OAuth2>,
}

/// Where Dovecot's `oauth2` passdb asks about a token (RFC 7662 introspection).
#[derive(Debug, Clone)]
pub(crate) struct OAuth2 {
    /// With `dovecot:<secret>@` in it: Dovecot sends that as HTTP Basic.
    pub introspection_url: String,
    pub openid_configuration_url: String,
    /// The identity provider's CA when it serves HTTPS.
    pub ca_pem: Option<Vec<u8>>,
    /// The SASL mechanisms offered for tokens, as Dovecot spells them ("xoauth2 oauthbearer").
    pub mechanisms: String,
}

#[derive(Debug)]
pub(crate) struct Dovecot {
    daemon: Daemon,
    children: Vec<Proc>,
}

const CONF: &str = "\
instance_name = @INSTANCE@
base_dir = @ROOT@/dovecot/run
state_dir = @ROOT@/dovecot/state
log_path = @LOG@
listen = 127.0.0.1
protocols = imap pop3 lmtp
ssl = yes
ssl_cert = <@CHAIN@
ssl_key = <@KEY@
ssl_dh = </usr/share/dovecot/dh.pem
# Loopback counts as secure anyway; say so explicitly so plain LOGIN works in tests.
disable_plaintext_auth = no
# Else every wrong-password test waits 2 s.
auth_failure_delay = 0 secs
auth_mechanisms = plain login@MECHANISMS@
# \"alice\" and \"alice@example.test\" are the same account.
auth_username_format = %Ln
auth_verbose = yes
first_valid_uid = @UID@
last_valid_uid = @UID@
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
mail_max_userip_connections = 200
@OAUTH2_PASSDB@passdb {
@PASSWORD_MECHANISMS@  driver = passwd-file
  args = scheme=PLAIN username_format=%Ln @ROOT@/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%Ln @ROOT@/dovecot/users
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    port = @IMAP@
  }
  inet_listener imaps {
    port = @IMAPS@
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = @POP3@
  }
  inet_listener pop3s {
    port = @POP3S@
    ssl = yes
  }
}
# Postfix reaches these as unix:private/dovecot-lmtp and private/auth.
service lmtp {
  unix_listener @PRIVATE@/dovecot-lmtp {
    user = postfix
    group = postfix
    mode = 0600
  }
}
service auth {
  unix_listener @PRIVATE@/auth {
    user = postfix
    group = postfix
    mode = 0660
  }
  unix_listener auth-userdb {
    mode = 0666
  }
}
# Mode 0 disables the listener, and without it auth keeps no per-IP failure penalty: else
# each wrong password from 127.0.0.1 delays the next logins by 2, 4, 8 … seconds.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol lmtp {
  postmaster_address = postmaster@example.test
}
";

/// Tokens go only to the oauth2 passdb and passwords only to the passwd-file one (else every
/// password is POSTed to the identity provider as a token). No auth cache: it would keep
/// accepting a token revoked or expired at the identity provider.
const OAUTH2_PASSDB: &str = "\
auth_cache_size = 0
passdb {
  driver = oauth2
  mechanisms =@MECHANISMS@
  args = @ROOT@/dovecot/oauth2.conf.ext
}
";

/// `username_format = %Ln` on both sides: the login is already "alice" (auth_username_format)
/// while the token's email claim is "alice@example.test". `introspection_mode = post` (RFC
/// 7662) so a bad token is a failed login with the JSON challenge, not a temporary failure.
const OAUTH2_CONF: &str = "\
introspection_mode = post
introspection_url = @URL@
username_attribute = email
username_format = %Ln
active_attribute = active
active_value = true
scope = mail
openid_configuration_url = @OPENID@
timeout_msecs = 5000
";

/// The conf file path for `doveadm -c`.
pub(crate) fn conf_path(root: &Path) -> PathBuf {
    root.join("dovecot/dovecot.conf")
}

/// Each user's home; Dovecot runs as `MAIL_UID` there.
pub(crate) fn home(root: &Path, login: &str) -> PathBuf {
    root.join("home").join(login)
}

fn make_dirs(setup: &Setup<'_>) -> Result<(), TestkitError> {
    let mkdir = |dir: &Path, owner: Option<u32>| {
        let what = || format!("preparing {}", dir.display());
        std::fs::create_dir_all(dir).map_err(TestkitError::io(what()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(TestkitError::io(what()))?;
        if let Some(uid) = owner {
            std::os::unix::fs::chown(dir, Some(uid), Some(uid)).map_err(TestkitError::io(what()))?;
        }
        Ok::<(), TestkitError>(())
    };
    mkdir(&setup.root.join("dovecot"), None)?;
    mkdir(&setup.root.join("home"), None)?;
    for user in setup.users {
        let home = home(setup.root, &user.login);
        mkdir(&home, Some(MAIL_UID))?;
        // Made now so `seed` can write into it before anyone logs in.
        for sub in ["Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp"] {
            mkdir(&home.join(sub), Some(MAIL_UID))?;
        }
    }
    Ok(())
}

/// passwd-file lines `login:{PLAIN}password:uid:gid::home::`; readable by root and the
/// dovecot group only.
fn write_users(setup: &Setup<'_>) -> Result<(), TestkitError> {
    let path = setup.root.join("dovecot/users");
    let text: String = setup
        .users
        .iter()
        .map(|u| {
            let home = home(setup.root, &u.login);
            let (login, pass, home) = (&u.login, &u.password, home.display());
            format!("{login}:{{PLAIN}}{pass}:{MAIL_UID}:{MAIL_UID}::{home}::\n")
        })
        .collect();
    write(&path, text.as_bytes())?;
    let gid = system_id("/etc/group", "dovecot")?;
    let what = || format!("securing {}", path.display());
    std::os::unix::fs::chown(&path, Some(0), Some(gid)).map_err(TestkitError::io(what()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).map_err(TestkitError::io(what()))
}

/// The oauth2 passdb's settings (with the introspection secret): root and the dovecot group.
fn write_oauth2_conf(root: &Path, oauth2: &OAuth2) -> Result<(), TestkitError> {
    let mut text = render(
        OAUTH2_CONF,
        &[("URL", oauth2.introspection_url.clone()), ("OPENID", oauth2.openid_configuration_url.clone())],
    );
    if let Some(ca) = &oauth2.ca_pem {
        let ca_path = root.join("dovecot/idp-ca.pem");
        write(&ca_path, ca)?;
        text.push_str(&format!("tls_ca_cert_file = {}\n", ca_path.display()));
    }
    let path = root.join("dovecot/oauth2.conf.ext");
    write(&path, text.as_bytes())?;
    let gid = system_id("/etc/group", "dovecot")?;
    let what = || format!("securing {}", path.display());
    std::os::unix::fs::chown(&path, Some(0), Some(gid)).map_err(TestkitError::io(what()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).map_err(TestkitError::io(what()))
}

impl Dovecot {
    /// Writes the config and runs `dovecot -F` as our child (reaped by us, see `Daemon`).
    /// Postfix must have been prepared first: the sockets go into its `private/` directory.
    pub fn start(program: &Path, setup: &Setup<'_>) -> Result<Dovecot, TestkitError> {
        make_dirs(setup)?;
        write_users(setup)?;
        // A stale penalty socket (a reused base_dir) makes every first login wait 5 s while
        // auth retries connect(); a missing one fails silently at once.
        let _ = std::fs::remove_file(setup.root.join("dovecot/run/anvil-auth-penalty"));
        if let Some(oauth2) = setup.oauth2 {
            write_oauth2_conf(setup.root, oauth2)?;
        }
        let mechanisms = setup.oauth2.map(|o| format!(" {}", o.mechanisms));
        let oauth2 = mechanisms.is_some();
        let pick = |on: &str| if oauth2 { on.to_owned() } else { String::new() };
        let vars = [
            ("ROOT", setup.root.display().to_string()),
            ("INSTANCE", setup.instance.to_owned()),
            ("LOG", setup.log.display().to_string()),
            ("CHAIN", setup.certs.chain_path.display().to_string()),
            ("KEY", setup.certs.key_path.display().to_string()),
            ("UID", MAIL_UID.to_string()),
            ("IMAP", setup.imap_port.to_string()),
            ("IMAPS", setup.imaps_port.to_string()),
            ("POP3", setup.pop3_port.to_string()),
            ("POP3S", setup.pop3s_port.to_string()),
            ("PRIVATE", private_dir(setup.root).display().to_string()),
        ];
        // First: the passdb text holds @ROOT@.
        let oauth2_vars = [
            ("PASSWORD_MECHANISMS", pick("  mechanisms = plain login\n")),
            ("OAUTH2_PASSDB", pick(OAUTH2_PASSDB)),
        ];
        // Then the mechanisms, which both the top and the OAuth2 passdb hold.
        let mechanism_vars = [("MECHANISMS", mechanisms.unwrap_or_default())];
        let conf = conf_path(setup.root);
        let text = render(&render(&render(CONF, &oauth2_vars), &mechanism_vars), &vars);
        write(&conf, text.as_bytes())?;
        let daemon =
            Daemon::spawn("dovecot", Command::new(program).arg("-F").arg("-c").arg(&conf), setup.log)?;
        Ok(Dovecot { daemon, children: Vec::new() })
    }

    pub fn daemon(&mut self) -> &mut Daemon {
        &mut self.daemon
    }

    /// Kills the master and its children outright. A SIGTERM shutdown costs a fixed second
    /// inside Dovecot's master (it signals its helpers, then sleeps), and the data is thrown
    /// away anyway; SIGKILL is immediate and the listening sockets close at once.
    pub fn begin_stop(&mut self) {
        if self.daemon.exited().is_some() {
            return;
        }
        if let Some(master) = self.daemon.pid() {
            // Collected before the kill: afterwards they are re-parented to PID 1.
            self.children = children_of(master);
            sigkill(master);
            for child in &self.children {
                if alive(*child) {
                    sigkill(child.pid);
                }
            }
        }
    }

    /// Waits until the master is reaped and every child it had is gone.
    pub fn finish_stop(&mut self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        let master = self.daemon.wait_gone(grace);
        wait_all_gone(&self.children, deadline) && master
    }
}

/// Runs `doveadm -c CONF ARGS…` and returns its stdout.
pub(crate) fn doveadm(
    program: &Path,
    root: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Result<String, TestkitError> {
    let out = run(Command::new(program).arg("-c").arg(conf_path(root)).args(args), stdin)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
