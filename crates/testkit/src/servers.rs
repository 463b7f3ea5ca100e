//! `MailServers`: one private Dovecot + Postfix pair on 127.0.0.1 ephemeral ports.

use std::collections::HashMap;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::certs::{self, Certs};
use crate::dovecot::{self, Dovecot};
use crate::fault::Proto;
use crate::postfix::{self, Postfix};
use crate::ready::{self, Target};
use crate::sys::{Tools, is_root, random_alnum, tail};
use crate::{TestkitError, generate, maildir};

/// How long `start` waits for every port to greet.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a daemon gets to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
const LOG_TAIL_LINES: usize = 40;

/// A mail account on the test servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name, e.g. "alice" ("alice@example.test" logs in as well).
    pub login: String,
    /// Address, e.g. "alice@example.test".
    pub email: String,
    /// Random per run (20 alphanumerics), so a transcript can be searched for it.
    pub password: String,
}

#[derive(Debug, Clone, Copy)]
struct Ports {
    imap: u16,
    imaps: u16,
    pop3: u16,
    pop3s: u16,
    submission: u16,
    submissions: u16,
}

/// Real Dovecot (IMAP, POP3, LMTP) and Postfix (submission) for one test. Dropping it stops
/// both daemons and removes the temp dir, also when the test panics.
#[derive(Debug)]
pub struct MailServers {
    tools: Tools,
    ports: Ports,
    certs: Certs,
    users: Vec<User>,
    /// How many messages each user has been seeded with, so repeated seeds continue numbering.
    seeded: Mutex<HashMap<String, usize>>,
    dovecot: Option<Dovecot>,
    postfix: Option<Postfix>,
    // Last: dropped (removed) only after the daemons are gone.
    dir: TempDir,
}

impl MailServers {
    /// Starts both daemons and waits until every port greets (≈ 20 s at most). Blocking; fine
    /// to call from inside a `#[tokio::test]` (it creates no runtime).
    pub fn start() -> Result<MailServers, TestkitError> {
        Self::start_with(None)
    }

    /// As [`MailServers::start`], and Dovecot also takes bearer tokens from `idp` (SASL
    /// XOAUTH2 and OAUTHBEARER on IMAP and POP3, and through Dovecot SASL on Postfix
    /// submission), checked live at its `/introspect` on every login (no auth cache, so a
    /// token revoked or expired there is refused at once). Passwords keep working beside
    /// tokens and are never sent to `idp`. A refused token gets the JSON challenge; no per-IP
    /// penalty slows the logins after it. Keep `idp` alive as long as the servers.
    pub fn start_with_oauth2(idp: &crate::idp::Idp) -> Result<MailServers, TestkitError> {
        Self::start_with_oauth2_mechanisms(idp, &["xoauth2", "oauthbearer"])
    }

    /// As [`MailServers::start_with_oauth2`], offering only these token mechanisms
    /// (`["oauthbearer"]`: a server without XOAUTH2, so a client must speak RFC 7628).
    pub fn start_with_oauth2_mechanisms(
        idp: &crate::idp::Idp,
        mechanisms: &[&str],
    ) -> Result<MailServers, TestkitError> {
        let (scheme, rest) = idp.url().split_once("://").unwrap_or(("http", idp.url()));
        let oauth2 = dovecot::OAuth2 {
            introspection_url: format!("{scheme}://dovecot:{}@{rest}/introspect", idp.introspection_secret()),
            openid_configuration_url: idp.discovery_url(),
            ca_pem: idp.ca_pem().map(<[u8]>::to_vec),
            mechanisms: mechanisms.join(" "),
        };
        Self::start_with(Some(&oauth2))
    }

    fn start_with(oauth2: Option<&dovecot::OAuth2>) -> Result<MailServers, TestkitError> {
        let tools = Tools::locate()?;
        if !is_root() {
            return Err(TestkitError::Environment(
                "MailServers must run as root: Postfix and Dovecot switch to their own users".into(),
            ));
        }
        // Ports are picked free and then released; another process may grab one in between,
        // and the daemon then exits at once. Start over with new ports in that case.
        let mut attempt = 1;
        loop {
            match Self::start_once(&tools, oauth2) {
                Ok(servers) => return Ok(servers),
                Err((_, true)) if attempt < 3 => attempt += 1,
                Err((err, _)) => return Err(err),
            }
        }
    }

    /// Returns the error and whether a retry might help (a daemon exited early).
    fn start_once(
        tools: &Tools,
        oauth2: Option<&dovecot::OAuth2>,
    ) -> Result<MailServers, (TestkitError, bool)> {
        let fail = |e| (e, false);
        let dir = make_dir().map_err(fail)?;
        let root = dir.path().to_owned();
        let ports = pick_ports().map_err(fail)?;
        let instance = format!("tidings-{}", random_alnum(8).map_err(fail)?.to_lowercase());
        let certs = certs::make(&tools.openssl, &root.join("tls"), &instance).map_err(fail)?;
        let users = ["alice", "bob"]
            .into_iter()
            .map(|login| {
                Ok(User {
                    login: login.to_owned(),
                    email: format!("{login}@example.test"),
                    password: random_alnum(20)?,
                })
            })
            .collect::<Result<Vec<_>, TestkitError>>()
            .map_err(fail)?;
        let mut servers = MailServers {
            tools: tools.clone(),
            ports,
            certs,
            users,
            seeded: Mutex::new(HashMap::new()),
            dovecot: None,
            postfix: None,
            dir,
        };
        // Postfix first: Dovecot puts its LMTP and auth sockets into Postfix's queue.
        let started = servers.spawn_daemons(&root, &instance, oauth2);
        let ready = started.and_then(|()| servers.wait_ready());
        match ready {
            Ok(()) => Ok(servers),
            Err((reason, retry)) => {
                let err = TestkitError::Start {
                    reason,
                    dovecot_log: tail(&servers.dovecot_log_path(), LOG_TAIL_LINES),
                    postfix_log: tail(&servers.postfix_log_path(), LOG_TAIL_LINES),
                };
                drop(servers);
                Err((err, retry))
            }
        }
    }

    fn spawn_daemons(
        &mut self,
        root: &Path,
        instance: &str,
        oauth2: Option<&dovecot::OAuth2>,
    ) -> Result<(), (String, bool)> {
        let emails: Vec<&str> = self.users.iter().map(|u| u.email.as_str()).collect();
        let postfix_setup = postfix::Setup {
            root,
            instance,
            submission_port: self.ports.submission,
            submissions_port: self.ports.submissions,
            certs: &self.certs,
            emails,
            log: &self.postfix_log_path(),
        };
        let postfix = Postfix::start(&self.tools.postfix, &postfix_setup);
        self.postfix = Some(postfix.map_err(|e| (e.to_string(), false))?);
        let dovecot_setup = dovecot::Setup {
            root,
            instance,
            imap_port: self.ports.imap,
            imaps_port: self.ports.imaps,
            pop3_port: self.ports.pop3,
            pop3s_port: self.ports.pop3s,
            certs: &self.certs,
            users: &self.users,
            log: &self.dovecot_log_path(),
            oauth2,
        };
        let dovecot = Dovecot::start(&self.tools.dovecot, &dovecot_setup);
        self.dovecot = Some(dovecot.map_err(|e| (e.to_string(), false))?);
        Ok(())
    }

    fn wait_ready(&mut self) -> Result<(), (String, bool)> {
        let p = self.ports;
        let targets = [
            ("IMAP", p.imap, Proto::Imap, false),
            ("IMAPS", p.imaps, Proto::Imap, true),
            ("POP3", p.pop3, Proto::Pop3, false),
            ("POP3S", p.pop3s, Proto::Pop3, true),
            ("submission", p.submission, Proto::Smtp, false),
            ("submissions", p.submissions, Proto::Smtp, true),
        ]
        .map(|(name, port, proto, implicit_tls)| Target { name, port, proto, implicit_tls });
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut exited = false;
        let ca = self.certs.ca_pem.clone();
        let result = ready::wait(&targets, &ca, deadline, || {
            for daemon in
                [self.postfix.as_mut().map(Postfix::daemon), self.dovecot.as_mut().map(Dovecot::daemon)]
                    .into_iter()
                    .flatten()
            {
                if let Some(status) = daemon.exited() {
                    exited = true;
                    return Err(format!("{} exited during start-up ({status})", daemon.name));
                }
            }
            Ok(())
        });
        result.map_err(|reason| (reason, exited))
    }

    pub fn host(&self) -> &str {
        "127.0.0.1"
    }
    /// Plain IMAP; STARTTLS advertised, plaintext LOGIN allowed too.
    pub fn imap_port(&self) -> u16 {
        self.ports.imap
    }
    /// IMAP over implicit TLS.
    pub fn imaps_port(&self) -> u16 {
        self.ports.imaps
    }
    /// Plain POP3; STLS advertised.
    pub fn pop3_port(&self) -> u16 {
        self.ports.pop3
    }
    /// POP3 over implicit TLS.
    pub fn pop3s_port(&self) -> u16 {
        self.ports.pop3s
    }
    /// SMTP submission: STARTTLS required before AUTH and MAIL.
    pub fn submission_port(&self) -> u16 {
        self.ports.submission
    }
    /// SMTP submission over implicit TLS (wrapper mode).
    pub fn submissions_port(&self) -> u16 {
        self.ports.submissions
    }
    /// PEM of the CA that signed the servers' certificate; clients trust this.
    pub fn ca_pem(&self) -> &[u8] {
        &self.certs.ca_pem
    }
    /// The same CA as a PEM file.
    pub fn ca_path(&self) -> &Path {
        &self.certs.ca_path
    }
    /// The servers' leaf certificate, DER.
    pub fn leaf_der(&self) -> &[u8] {
        &self.certs.leaf_der
    }
    /// Lower-case hex SHA-256 of `leaf_der()`, no separators.
    pub fn leaf_sha256_hex(&self) -> String {
        self.certs.leaf_sha256_hex()
    }
    /// alice@example.test and bob@example.test.
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The user with login `local` ("alice"); panics if there is none.
    pub fn user(&self, local: &str) -> &User {
        let found = self.users.iter().find(|u| u.login == local);
        found.unwrap_or_else(|| {
            let known: Vec<&str> = self.users.iter().map(|u| u.login.as_str()).collect();
            panic!("no test user {local:?}; the testkit has {known:?}")
        })
    }

    /// Adds `count` generated messages (`generate::message`) to the user's INBOX through the
    /// maildir fast path. Numbering continues across calls. Flags: every 4th unseen, every
    /// 7th flagged, every 11th answered, the rest seen.
    pub fn seed(&self, user: &User, count: usize) -> Result<(), TestkitError> {
        let first = {
            let mut seeded = self.seeded.lock().unwrap_or_else(|e| e.into_inner());
            let next = seeded.entry(user.login.clone()).or_insert(0);
            let first = *next;
            *next += count;
            first
        };
        let messages: Vec<(usize, Vec<u8>)> =
            (first..first + count).map(|i| (i, generate::message(i, &user.email))).collect();
        let entries = messages.iter().map(|(i, raw)| maildir::Entry {
            raw,
            unix_time: generate::unix_time(*i),
            flags: maildir::seed_flags(*i),
        });
        maildir::write(&self.maildir(user), entries)?;
        self.doveadm(&["force-resync", "-u", &user.login, "INBOX"])?;
        Ok(())
    }

    /// Puts one raw message into the user's INBOX (`doveadm save`, INTERNALDATE = now).
    pub fn deliver(&self, user: &User, raw: &[u8]) -> Result<(), TestkitError> {
        self.save(user, "INBOX", raw)
    }

    /// Puts one raw message into one of the user's mailboxes ("Sent"), as [`MailServers::deliver`].
    pub fn save(&self, user: &User, mailbox: &str, raw: &[u8]) -> Result<(), TestkitError> {
        let args = ["save", "-u", user.login.as_str(), "-m", mailbox];
        dovecot::doveadm(&self.tools.doveadm, self.dir.path(), &args, Some(raw)).map(drop)
    }

    /// Runs `doveadm -c <this instance's conf> ARGS…` and returns stdout.
    pub fn doveadm(&self, args: &[&str]) -> Result<String, TestkitError> {
        dovecot::doveadm(&self.tools.doveadm, self.dir.path(), args, None)
    }

    /// Waits until Postfix holds no message (every submission delivered or bounced, none
    /// half-received): after that, what the mailboxes hold no longer changes by itself.
    pub fn wait_queue_empty(&self, timeout: Duration) -> Result<(), TestkitError> {
        let postfix = self
            .postfix
            .as_ref()
            .ok_or_else(|| TestkitError::Environment("Postfix is not running".into()))?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = postfix.queued()?;
            if left == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(TestkitError::Environment(format!(
                    "Postfix still holds {left} message(s) after {timeout:?}; its log:\n{}",
                    tail(&self.postfix_log_path(), LOG_TAIL_LINES)
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Number of messages in one of the user's mailboxes (via doveadm).
    pub fn message_count(&self, user: &User, mailbox: &str) -> Result<usize, TestkitError> {
        let args = ["-f", "tab", "mailbox", "status", "-u", &user.login, "messages", mailbox];
        let out = self.doveadm(&args)?;
        // Tab format: a header line "mailbox\tmessages", then "INBOX\t42".
        out.lines()
            .nth(1)
            .and_then(|line| line.rsplit('\t').next()?.trim().parse().ok())
            .ok_or_else(|| TestkitError::Environment(format!("unexpected doveadm output {out:?}")))
    }

    /// The user's INBOX maildir (the directory holding cur/, new/, tmp/).
    pub fn maildir(&self, user: &User) -> PathBuf {
        dovecot::home(self.dir.path(), &user.login).join("Maildir")
    }
    /// The Dovecot config file, for `doveadm -c`.
    pub fn dovecot_conf(&self) -> PathBuf {
        dovecot::conf_path(self.dir.path())
    }
    pub fn dovecot_log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.dovecot_log_path()).unwrap_or_default()).into_owned()
    }
    pub fn postfix_log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.postfix_log_path()).unwrap_or_default()).into_owned()
    }
    /// The temp dir holding configs, queues, mailboxes and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn dovecot_log_path(&self) -> PathBuf {
        self.dir.path().join("dovecot.log")
    }
    fn postfix_log_path(&self) -> PathBuf {
        self.dir.path().join("postfix.log")
    }

    /// Stops both daemons and waits until their processes are gone (≈ 50 ms): Postfix via
    /// `postfix abort`, Dovecot by SIGKILL to its master and children (its graceful shutdown
    /// sleeps a fixed second; the data is discarded anyway). Returns false if something did
    /// not go within 5 s and had to be killed. Drop calls it; the temp dir stays until Drop.
    pub fn stop(&mut self) -> bool {
        if let Some(d) = self.dovecot.as_mut() {
            d.begin_stop();
        }
        if let Some(p) = self.postfix.as_mut() {
            p.begin_stop();
        }
        let dovecot = self.dovecot.take().is_none_or(|mut d| d.finish_stop(STOP_GRACE));
        let postfix = self.postfix.take().is_none_or(|mut p| p.finish_stop(STOP_GRACE));
        dovecot && postfix
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A private temp dir that Dovecot's unprivileged login processes (dovenull) can traverse.
fn make_dir() -> Result<TempDir, TestkitError> {
    let dir = tempfile::Builder::new()
        .prefix("tidings-testkit-")
        .tempdir()
        .map_err(TestkitError::io("creating the temp dir"))?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .map_err(TestkitError::io("chmod of the temp dir"))?;
    for parent in dir.path().ancestors().skip(1) {
        let mode = std::fs::metadata(parent).map(|m| m.permissions().mode()).unwrap_or(0);
        if mode & 0o001 == 0 {
            return Err(TestkitError::Environment(format!(
                "{} is not searchable by other users (mode {mode:o}); Dovecot's login processes \
                 need every parent of the temp dir to be o+x: set TMPDIR elsewhere",
                parent.display()
            )));
        }
    }
    Ok(dir)
}

/// Six distinct free ports: all bound at once (so they differ), then released for the daemons.
fn pick_ports() -> Result<Ports, TestkitError> {
    let listeners = (0..6)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(TestkitError::io("binding 127.0.0.1:0"))?;
    let ports = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(TestkitError::io("reading a bound port"))?;
    Ok(Ports {
        imap: ports[0],
        imaps: ports[1],
        pop3: ports[2],
        pop3s: ports[3],
        submission: ports[4],
        submissions: ports[5],
    })
}
