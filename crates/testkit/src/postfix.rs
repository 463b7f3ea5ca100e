//! A private Postfix instance: its own config dir, queue, data dir, log and syslog name, so any
//! number of instances (threads or processes) run side by side. Submission only: mail for
//! example.test goes to Dovecot over LMTP, everything else bounces (nothing leaves the machine).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::TestkitError;
use crate::certs::{Certs, write};
use crate::sys::{Daemon, Proc, children_of, pid_alive, run, sigkill, sigterm, system_id, wait_all_gone};

/// What the configuration needs to know.
pub(crate) struct Setup<'a> {
    pub root: &'a Path,
    pub instance: &'a str,
    pub submission_port: u16,
    pub submissions_port: u16,
    pub certs: &'a Certs,
    pub emails: Vec<&'a str>,
    pub log: &'a Path,
}

/// A running (or failed) Postfix instance.
#[derive(Debug)]
pub(crate) struct Postfix {
    program: PathBuf,
    config_dir: PathBuf,
    queue_dir: PathBuf,
    daemon: Daemon,
    processes: Vec<Proc>,
}

/// Where Dovecot must put the LMTP and auth sockets: Postfix's `private/` (Postfix daemons look
/// there for `unix:private/...` names).
pub(crate) fn private_dir(root: &Path) -> PathBuf {
    root.join("postfix/queue/private")
}

const MAIN_CF: &str = "\
compatibility_level = 3.6
queue_directory = @ROOT@/postfix/queue
data_directory = @ROOT@/postfix/data
# Per-instance names: several instances log and lock independently.
syslog_name = @INSTANCE@
maillog_file = @LOG@
maillog_file_prefixes = @ROOT@
myhostname = mail.example.test
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
# No aliases, no local users: avoids lookups of system files and NIS noise.
alias_maps =
alias_database =
local_recipient_maps =
# Nothing may leave the machine: only example.test is delivered, the rest bounces.
local_transport = error:local delivery is disabled
default_transport = error:outside mail is disabled in the testkit
relay_transport = error:relaying is disabled in the testkit
virtual_mailbox_domains = example.test
virtual_mailbox_maps = inline:{ @MAILBOXES@ }
virtual_transport = lmtp:unix:private/dovecot-lmtp
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_tls_chain_files = @KEY@, @CHAIN@
smtpd_tls_loglevel = 1
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
message_size_limit = 52428800
biff = no
# Retry soon if Dovecot was briefly unavailable, instead of Postfix's minutes-long defaults.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 5s
";

/// Written from scratch: Debian's stock master.cf chroots smtpd and listens on :25.
const MASTER_CF: &str = "\
127.0.0.1:@SUBMISSION@ inet n - n - - smtpd
  -o syslog_name=@INSTANCE@/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
127.0.0.1:@SUBMISSIONS@ inet n - n - - smtpd
  -o syslog_name=@INSTANCE@/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
lmtp       unix  - - n -     - lmtp
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
";

/// Replaces `@NAME@` placeholders (format! would need every config brace doubled).
pub(crate) fn render(template: &str, vars: &[(&str, String)]) -> String {
    vars.iter().fold(template.to_owned(), |text, (name, value)| text.replace(&format!("@{name}@"), value))
}

/// Creates the queue tree the way `post-install create-missing` would (that script takes
/// ≈ 2 s; doing it here and starting with `quick-start` skips it).
fn make_queue(root: &Path) -> Result<(), TestkitError> {
    let postfix = system_id("/etc/passwd", "postfix")?;
    let postdrop = system_id("/etc/group", "postdrop")?;
    let queue = root.join("postfix/queue");
    let mut dirs: Vec<(PathBuf, u32, u32, u32)> = vec![
        (root.join("postfix"), 0, 0, 0o755),
        (root.join("postfix/etc"), 0, 0, 0o755),
        (root.join("postfix/data"), postfix, 0, 0o700),
        (queue.clone(), 0, 0, 0o755),
        (queue.join("pid"), 0, 0, 0o755),
        (queue.join("maildrop"), postfix, postdrop, 0o730),
        (queue.join("public"), postfix, postdrop, 0o710),
    ];
    for name in [
        "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved",
        "trace",
    ] {
        dirs.push((queue.join(name), postfix, 0, 0o700));
    }
    for (dir, uid, gid, mode) in dirs {
        let what = || format!("preparing {}", dir.display());
        std::fs::create_dir_all(&dir).map_err(TestkitError::io(what()))?;
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(TestkitError::io(what()))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode))
            .map_err(TestkitError::io(what()))?;
    }
    write(&queue.join("quick-start"), b"")
}

/// Postfix re-reads a table file modified within the current second, sleeping 300 ms per try
/// (a guard against half-written files): a fresh main.cf cost ≈ 2 s of start-up. Backdate it.
fn backdate(path: &Path) -> Result<(), TestkitError> {
    let past = SystemTime::now() - Duration::from_secs(10);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(past))
        .map_err(TestkitError::io(format!("setting the mtime of {}", path.display())))
}

impl Postfix {
    /// Writes the configuration and starts the master in the foreground (`start-fg`), as our
    /// child: we reap it ourselves, so no zombie is left if PID 1 does not reap.
    pub fn start(program: &Path, setup: &Setup<'_>) -> Result<Postfix, TestkitError> {
        make_queue(setup.root)?;
        let config_dir = setup.root.join("postfix/etc");
        let root = setup.root.display().to_string();
        let mailboxes: Vec<String> = setup.emails.iter().map(|e| format!("{e}=ok")).collect();
        let vars = [
            ("ROOT", root),
            ("INSTANCE", setup.instance.to_owned()),
            ("LOG", setup.log.display().to_string()),
            ("MAILBOXES", mailboxes.join(", ")),
            ("KEY", setup.certs.key_path.display().to_string()),
            ("CHAIN", setup.certs.chain_path.display().to_string()),
            ("SUBMISSION", setup.submission_port.to_string()),
            ("SUBMISSIONS", setup.submissions_port.to_string()),
        ];
        for (name, template) in [("main.cf", MAIN_CF), ("master.cf", MASTER_CF)] {
            let path = config_dir.join(name);
            write(&path, render(template, &vars).as_bytes())?;
            backdate(&path)?;
        }
        let daemon = Daemon::spawn(
            "postfix",
            Command::new(program).arg("-c").arg(&config_dir).arg("start-fg"),
            setup.log,
        )?;
        Ok(Postfix {
            program: program.to_owned(),
            config_dir,
            queue_dir: setup.root.join("postfix/queue"),
            daemon,
            processes: Vec::new(),
        })
    }

    /// Messages Postfix holds: files under the queues a message passes through (a
    /// submission has its file in `incoming` from its first accepted RCPT TO on, before the
    /// client can send the data; it goes once delivered). A queue that cannot be read is an
    /// error, never "empty".
    pub fn queued(&self) -> Result<usize, TestkitError> {
        fn count(dir: &Path) -> Result<usize, TestkitError> {
            let what = || format!("reading {}", dir.display());
            let mut n = 0;
            for e in std::fs::read_dir(dir).map_err(TestkitError::io(what()))? {
                let e = e.map_err(TestkitError::io(what()))?;
                let t = e.file_type().map_err(TestkitError::io(what()))?;
                n += if t.is_dir() { count(&e.path())? } else { 1 };
            }
            Ok(n)
        }
        let mut n = 0;
        for q in ["maildrop", "incoming", "active", "deferred", "hold"] {
            n += count(&self.queue_dir.join(q))?;
        }
        Ok(n)
    }

    pub fn daemon(&mut self) -> &mut Daemon {
        &mut self.daemon
    }

    fn master_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.queue_dir.join("pid/master.pid")).ok()?;
        text.trim().parse().ok()
    }

    /// Asks the master to terminate (`postfix abort` = SIGTERM, without the 1 s polling of
    /// `postfix stop`); the master then SIGTERMs its own process group. `finish_stop` waits.
    pub fn begin_stop(&mut self) {
        if self.daemon.exited().is_some() {
            return;
        }
        // Collected first: the smtpd processes hold the listening sockets too.
        if let Some(master) = self.master_pid() {
            self.processes = children_of(master);
        }
        let asked = run(Command::new(&self.program).arg("-c").arg(&self.config_dir).arg("abort"), None);
        if asked.is_err()
            && let Some(pid) = self.master_pid()
        {
            sigterm(pid);
        }
    }

    /// Waits until the master and its children are gone; kills what is left after `grace`.
    pub fn finish_stop(&mut self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        let master = self.master_pid();
        let graceful = self.daemon.wait_gone(grace);
        if let Some(pid) = master.filter(|pid| pid_alive(*pid)) {
            sigkill(pid);
            return false;
        }
        wait_all_gone(&self.processes, deadline) && graceful
    }
}
