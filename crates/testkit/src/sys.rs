//! Process and operating-system helpers: locating programs, running commands, system user ids,
//! randomness and the lifetime of a daemon child process.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::TestkitError;

/// Non-login shells and IDE runners often lack the sbin directories in PATH.
const SBIN_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/bin"];

const INSTALL_HINT: &str = "run scripts/setup-debian (apt-get install dovecot-core \
                            dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix)";

/// Absolute paths of the external programs the testkit drives.
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    pub dovecot: PathBuf,
    pub doveadm: PathBuf,
    pub postfix: PathBuf,
    pub openssl: PathBuf,
}

impl Tools {
    pub fn locate() -> Result<Tools, TestkitError> {
        Self::locate_with(find_program)
    }

    fn locate_with(find: impl Fn(&str) -> Option<PathBuf>) -> Result<Tools, TestkitError> {
        let need = |name: &str, what: &str| {
            find(name).ok_or_else(|| {
                TestkitError::MissingServer(format!(
                    "{what} is not installed (`{name}` not found in PATH or sbin): {INSTALL_HINT}"
                ))
            })
        };
        Ok(Tools {
            dovecot: need("dovecot", "Dovecot")?,
            doveadm: need("doveadm", "Dovecot (doveadm)")?,
            postfix: need("postfix", "Postfix")?,
            openssl: find("openssl").ok_or_else(missing_openssl)?,
        })
    }
}

fn missing_openssl() -> TestkitError {
    TestkitError::MissingServer(
        "openssl is not installed: run scripts/setup-debian (apt-get install openssl)".into(),
    )
}

/// The openssl CLI alone (the fault servers need only this one).
pub(crate) fn openssl() -> Result<PathBuf, TestkitError> {
    find_program("openssl").ok_or_else(missing_openssl)
}

pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The command line as a human would type it, for error messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut out = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        out.push(' ');
        out.push_str(&arg.to_string_lossy());
    }
    out
}

/// Runs a command to completion, feeding `stdin`; returns stdout or an error with stderr.
pub(crate) fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Result<Vec<u8>, TestkitError> {
    let desc = describe(cmd);
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(TestkitError::io(format!("cannot run `{desc}`")))?;
    // Write stdin from a thread: a child that fills its stdout pipe first would deadlock us.
    let output = std::thread::scope(|scope| {
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            scope.spawn(move || pipe.write_all(input));
        }
        child.wait_with_output()
    })
    .map_err(TestkitError::io(format!("waiting for `{desc}`")))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        stderr.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(TestkitError::Command { command: desc, status: output.status.to_string(), stderr })
    }
}

/// Numeric id of a system user or group, from /etc/passwd or /etc/group.
pub(crate) fn system_id(db: &str, name: &str) -> Result<u32, TestkitError> {
    let text = std::fs::read_to_string(db).map_err(TestkitError::io(format!("reading {db}")))?;
    text.lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&name))
        .and_then(|fields| fields.get(2)?.parse().ok())
        .ok_or_else(|| {
            TestkitError::Environment(format!(
                "no `{name}` entry in {db}: the Dovecot/Postfix packages create it; {INSTALL_HINT}"
            ))
        })
}

pub(crate) fn random_bytes(len: usize) -> Result<Vec<u8>, TestkitError> {
    let mut buf = vec![0; len];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(TestkitError::io("reading /dev/urandom"))?;
    Ok(buf)
}

/// Random `[A-Za-z0-9]` string; rejection sampling keeps the distribution uniform.
pub(crate) fn random_alnum(len: usize) -> Result<String, TestkitError> {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes(64)? {
            if byte < 248 && out.len() < len {
                out.push(char::from(ALNUM[usize::from(byte % 62)]));
            }
        }
    }
    Ok(out)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A process identified by pid *and* start time, so a recycled pid is never mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Proc {
    pub pid: u32,
    start: u64,
}

/// (state, ppid, starttime) from /proc/PID/stat. The fields follow the parenthesised command
/// name, which may itself contain ')'.
fn stat(pid: u32) -> Option<(char, u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = text.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    Some((state, fields.get(1)?.parse().ok()?, fields.get(19)?.parse().ok()?))
}

/// The current children of `ppid`.
pub(crate) fn children_of(ppid: u32) -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| match stat(pid)? {
            (_, parent, start) if parent == ppid => Some(Proc { pid, start }),
            _ => None,
        })
        .collect()
}

/// True while the process runs. Orphaned daemon children are re-parented to PID 1, which in
/// some sandboxes reaps late, so a zombie counts as gone.
pub(crate) fn alive(process: Proc) -> bool {
    stat(process.pid).is_some_and(|(state, _, start)| start == process.start && state != 'Z' && state != 'X')
}

/// Waits until none of `procs` runs; SIGKILLs the rest at `deadline`. True if none needed it.
pub(crate) fn wait_all_gone(procs: &[Proc], deadline: Instant) -> bool {
    while procs.iter().any(|p| alive(*p)) {
        if Instant::now() >= deadline {
            for p in procs.iter().filter(|p| alive(**p)) {
                sigkill(p.pid);
            }
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// True if `pid` exists and is not a zombie.
pub(crate) fn pid_alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _, _)| state != 'Z' && state != 'X')
}

pub(crate) fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Sends SIGTERM through kill(1): std only offers SIGKILL and the workspace forbids unsafe FFI.
pub(crate) fn sigterm(pid: u32) -> bool {
    signal(pid, "-TERM")
}

pub(crate) fn sigkill(pid: u32) -> bool {
    signal(pid, "-KILL")
}

fn signal(pid: u32, sig: &str) -> bool {
    find_program("kill").is_some_and(|kill| {
        Command::new(kill)
            .arg(sig)
            .arg(pid.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// A daemon running as our direct child, so we can reap it (no zombie) and notice early exits.
#[derive(Debug)]
pub(crate) struct Daemon {
    pub name: &'static str,
    child: Option<Child>,
}

impl Daemon {
    /// Starts `cmd` with stdin from /dev/null and stdout/stderr appended to `log`: a daemon that
    /// inherited our pipes would keep a caller reading them waiting forever.
    pub fn spawn(name: &'static str, cmd: &mut Command, log: &Path) -> Result<Daemon, TestkitError> {
        let open = || {
            File::options()
                .create(true)
                .append(true)
                .open(log)
                .map_err(TestkitError::io(format!("opening {}", log.display())))
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(open()?)
            .stderr(open()?)
            .spawn()
            .map_err(TestkitError::io(format!("cannot start `{}`", describe(cmd))))?;
        Ok(Daemon { name, child: Some(child) })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `Some(status)` once the process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    /// Waits up to `grace` for the process to exit after it was asked to; SIGKILLs it after
    /// that. Returns true if it went by itself.
    pub fn wait_gone(&mut self, grace: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last `lines` lines of a log file (empty string if it does not exist yet).
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_daemons_name_the_fix() {
        let only = |present: &'static [&'static str]| {
            move |name: &str| present.contains(&name).then(|| PathBuf::from("/bin/true"))
        };
        let err = Tools::locate_with(only(&["doveadm", "postfix", "openssl"])).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, TestkitError::MissingServer(_)), "{err:?}");
        assert!(text.starts_with("Dovecot is not installed"), "{text}");
        assert!(text.contains("scripts/setup-debian") && text.contains("dovecot-lmtpd"), "{text}");
        let err = Tools::locate_with(only(&["dovecot", "doveadm", "openssl"])).unwrap_err();
        assert!(err.to_string().starts_with("Postfix is not installed"), "{err}");
    }

    #[test]
    fn random_passwords_are_alphanumeric() {
        let a = random_alnum(20).unwrap();
        assert_eq!(a.len(), 20);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, random_alnum(20).unwrap());
    }

    #[test]
    fn our_own_process_is_alive_with_its_start_time() {
        let me = std::process::id();
        assert!(pid_alive(me));
        let (_, parent, _) = stat(me).unwrap();
        assert!(children_of(parent).iter().any(|p| p.pid == me && alive(*p)));
    }
}
