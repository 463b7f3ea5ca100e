//! `tidings demo [--no-window]`: Tidings at work in one command. Starts the testkit's real
//! Dovecot (IMAP, POP3) and Postfix (submission) on 127.0.0.1, fills two mailboxes (`mail`),
//! adds alice (IMAP with IDLE) and bob (POP3, leaving a copy on the server) to a throwaway
//! profile in a temp directory, and opens the window on alice's Inbox. Closing the window
//! stops the servers, removes the passwords from the keyring and deletes the directory; the
//! person's own profile is never read or written.
//!
//! `--no-window` prints the settings and keeps everything running until standard input
//! closes or a signal comes (Ctrl+D, Ctrl+C), so a script can use the servers and the profile
//! meanwhile — the process test does — and then stops the same way.

mod mail;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tidings_mail::account::{Account, AuthMethod, Incoming, SecretRole, Security, Server, Trust};
use tidings_mail::auth::Credential;
use tidings_mail::config::Config;
use tidings_mail::net::Transcript;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Sort, Store, StoreHandle};
use tidings_mail::sync::Engine;
use tidings_mail::ui_state::{Place, UiState};
use tidings_mail::{Error, Kind};
use tidings_testkit::{MailServers, User};

use super::Out;
use super::output::{EXIT_FAILED, errln, outln};

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Open no window: print the settings and keep the servers and the profile until standard
    /// input closes (Ctrl+D) or Ctrl+C, then stop them and delete everything.
    #[arg(long)]
    no_window: bool,
}

/// The programs the demo runs, each with the Debian package that brings it (as
/// scripts/setup-debian installs them). Dovecot's protocol servers are not on PATH: they live
/// in its own directory.
const NEEDS: &[(&str, &str)] = &[
    ("dovecot", "dovecot-core"),
    ("doveadm", "dovecot-core"),
    ("dovecot/imap", "dovecot-imapd"),
    ("dovecot/pop3", "dovecot-pop3d"),
    ("dovecot/lmtp", "dovecot-lmtpd"),
    ("postfix", "postfix"),
    ("openssl", "openssl"),
];

/// Where programs are looked for besides PATH (a desktop's PATH often lacks sbin), and where
/// Debian and others keep Dovecot's protocol servers.
const SBIN: &[&str] = &["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/bin"];
const LIBEXEC: &[&str] = &["/usr/lib", "/usr/libexec", "/usr/local/libexec"];

/// How long the keyring gets to take a password before the demo keeps it for this run only
/// (a session bus without a secret service can leave the call waiting).
const KEYRING_WAIT: Duration = Duration::from_secs(5);

pub fn run(args: DemoArgs, out: &Out) -> ExitCode {
    if !args.no_window && !tidings::display_available(|name| std::env::var_os(name)) {
        errln!(
            "tidings: the demo's window needs a graphical display (no DISPLAY or WAYLAND_DISPLAY is \
             set); `tidings demo --no-window` runs its servers and profile without one"
        );
        return ExitCode::from(EXIT_FAILED);
    }
    let missing = missing_packages(installed);
    if !missing.is_empty() {
        return say_missing(&missing, out);
    }
    if !is_root() {
        return out.error(
            &Error::new(
                Kind::Config,
                "tidings demo starts Dovecot and Postfix, which must be started as root",
            )
            .with_advice("Run it as root, as scripts/run --demo does."),
        );
    }
    // Signals are caught before any server runs: Ctrl+C during the start still cleans up.
    let stops = match Stops::watch(args.no_window) {
        Ok(stops) => stops,
        Err(e) => return out.error(&Error::storage("cannot watch for Ctrl+C", e)),
    };
    let demo = match Demo::start(!args.no_window) {
        Ok(demo) => demo,
        Err(e) => return out.error(&e),
    };
    print_settings(&demo, args.no_window, out);
    if args.no_window {
        stops.wait();
        let dir = demo.dir.path().to_owned();
        drop(demo);
        if !out.json {
            outln!("Stopped the servers and deleted {}.", dir.display());
        }
        return ExitCode::SUCCESS;
    }
    window(demo, stops)
}

/// Opens the window on the demo's profile; when it closes (or a signal comes) stops it all.
fn window(demo: Demo, stops: Stops) -> ExitCode {
    let (profile, secrets) = (demo.profile.clone(), demo.secrets.clone());
    let demo = Arc::new(Mutex::new(Some(demo)));
    stops.then_clean_up(demo.clone());
    // Apart from a Tidings the person may have open: the demo's window is its own.
    let ran = tidings::run_apart(profile, secrets, tidings::desktop::instance::Request::Show);
    let mut held = demo.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = held.as_ref().map(|d| d.dir.path().to_owned());
    drop(held.take());
    if let Some(dir) = dir {
        errln!("tidings demo: stopped the servers and deleted {}", dir.display());
    }
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("tidings: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// One account of the demo.
struct DemoAccount {
    id: String,
    name: &'static str,
    user: User,
    incoming: Incoming,
    messages: usize,
}

/// Everything the demo made. Dropping it removes the passwords from the keyring, stops the
/// servers and deletes the temp directory (the fields drop in order: servers, then files).
struct Demo {
    profile: Profile,
    /// What `--profile` takes for it.
    profile_dir: PathBuf,
    secrets: Secrets,
    /// Whether the passwords went to the keyring (and so must be taken out again).
    in_keyring: bool,
    accounts: Vec<DemoAccount>,
    timings: Vec<(&'static str, Duration)>,
    servers: MailServers,
    dir: TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        if self.in_keyring {
            for account in &self.accounts {
                let _ = self.secrets.delete_account(&account.id);
            }
        }
    }
}

impl Demo {
    /// Starts the servers, fills the mailboxes and writes the profile; with `sync_first`, also
    /// brings alice's Inbox into the store, so the window opens on it filled.
    fn start(sync_first: bool) -> Result<Demo, Error> {
        let mut timings = Vec::new();
        let mut clock = Instant::now();
        let mut lap = |what: &'static str| {
            timings.push((what, clock.elapsed()));
            clock = Instant::now();
        };
        let dir = tempfile::Builder::new()
            .prefix("tidings-demo-")
            .tempdir()
            .map_err(|e| Error::storage("cannot make the demo's temp directory", e))?;
        let servers = MailServers::start()
            .map_err(|e| Error::new(Kind::Config, format!("cannot start the demo's mail servers: {e}")))?;
        lap("servers");

        let now = unix_now();
        let (alice, bob) = (servers.user("alice").clone(), servers.user("bob").clone());
        let alice_inbox = seed(&servers, &alice, &mail::alice(now))?;
        let bob_inbox = seed(&servers, &bob, &mail::bob(now))?;
        lap("mail");

        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, servers.ca_pem()).map_err(|e| Error::storage("cannot write the demo's CA", e))?;
        let profile_dir = dir.path().join("profile");
        let profile = Profile::at(&profile_dir);
        let tag = dir
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().replace("tidings-demo-", ""))
            .unwrap_or_default();
        let mut config = Config::load(&profile)?;
        let mut accounts = Vec::new();
        for (name, user, incoming, port, sender, messages) in [
            ("Alice", &alice, Incoming::Imap, servers.imaps_port(), "Alice Example", alice_inbox),
            ("Bob", &bob, Incoming::Pop3, servers.pop3s_port(), "Bob Builder", bob_inbox),
        ] {
            let account = settings(&servers, name, user, incoming, port, sender, &ca);
            config.add_account(account)?;
            // Keyring entries go by account id across profiles: the demo's must never be the
            // person's own "alice".
            let id = format!("demo-{}-{}", tag, user.login);
            if let Some(added) = config.accounts.last_mut() {
                added.id.clone_from(&id);
            }
            accounts.push(DemoAccount { id, name, user: user.clone(), incoming, messages });
        }
        let (secrets, in_keyring) = keep_passwords(&accounts);
        config.save(&profile)?;
        // The window opens on alice's Inbox with the welcome (saved last: the highest UID).
        let state = UiState {
            place: Some(Place {
                account: accounts[0].id.clone(),
                folder: Some("INBOX".into()),
                message: u32::try_from(alice_inbox).ok(),
                sort: Sort::NEWEST.into(),
                view: None,
            }),
            ..UiState::default()
        };
        state.save(&tidings_mail::ui_state::path(&profile))?;
        lap("profile");

        let mut demo =
            Demo { profile, profile_dir, secrets, in_keyring, accounts, timings: Vec::new(), servers, dir };
        if sync_first {
            demo.sync_alice()?;
            lap("first sync");
        }
        demo.timings = timings;
        Ok(demo)
    }

    /// One IMAP pass for alice, as `tidings sync` does it.
    fn sync_alice(&self) -> Result<(), Error> {
        let Some(alice) = self.accounts.iter().find(|a| a.incoming == Incoming::Imap) else { return Ok(()) };
        let config = Config::load(&self.profile)?;
        let account =
            config.account(&alice.id).ok_or_else(|| Error::config("the demo lost alice's account"))?;
        let credential =
            Credential::Password { user: alice.user.login.clone(), password: alice.user.password.clone() };
        let store = StoreHandle::spawn(Store::open(self.profile.store_path())?)?;
        let mut engine = Engine::new(account, credential, store.clone(), Transcript::with_capacity(200))?;
        let runtime = super::runtime()
            .map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
        runtime.block_on(async {
            engine.sync_account(&|_| {}).await?;
            engine.logout().await
        })?;
        store.blocking_call(|_| Ok(()))
    }
}

fn unix_now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(0)
}

/// Saves the letters into the user's mailboxes in order and sets their flags; returns how many
/// went to the Inbox (in a new mailbox, also the last one's UID).
fn seed(servers: &MailServers, user: &User, letters: &[mail::Letter]) -> Result<usize, Error> {
    let failed = |e: tidings_testkit::TestkitError| {
        Error::new(Kind::Config, format!("cannot fill the demo's mailbox of {}: {e}", user.login))
    };
    let mut uids: Vec<(&str, Vec<(u32, &mail::Letter)>)> = Vec::new();
    for letter in letters {
        servers.save(user, letter.mailbox, &letter.raw).map_err(failed)?;
        let at = match uids.iter().position(|(m, _)| *m == letter.mailbox) {
            Some(at) => at,
            None => {
                uids.push((letter.mailbox, Vec::new()));
                uids.len() - 1
            }
        };
        let next = u32::try_from(uids[at].1.len() + 1).unwrap_or(u32::MAX);
        uids[at].1.push((next, letter));
    }
    for (mailbox, saved) in &uids {
        for (flag, wanted) in [("\\Seen", true), ("\\Flagged", false)] {
            let set: Vec<String> = saved
                .iter()
                .filter(|(_, l)| if wanted { l.seen } else { l.flagged })
                .map(|(uid, _)| uid.to_string())
                .collect();
            if !set.is_empty() {
                let args =
                    ["flags", "add", "-u", &user.login, flag, "mailbox", mailbox, "uid", &set.join(",")];
                servers.doveadm(&args).map_err(failed)?;
            }
        }
    }
    Ok(uids.iter().find(|(m, _)| *m == "INBOX").map_or(0, |(_, saved)| saved.len()))
}

/// An account on the demo's servers: TLS from the first byte for the incoming server,
/// submission with STARTTLS for sending, the servers' CA trusted.
fn settings(
    servers: &MailServers,
    name: &str,
    user: &User,
    incoming: Incoming,
    port: u16,
    sender: &str,
    ca: &Path,
) -> Account {
    let server = |port, security| Server {
        host: servers.host().to_string(),
        port,
        security,
        user: user.login.clone(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(ca.to_path_buf()), pinned_sha256: None },
    };
    let mut account = Account::new(
        String::new(),
        name.to_string(),
        user.email.clone(),
        incoming,
        server(port, Security::Implicit),
        server(servers.submission_port(), Security::StartTls),
    );
    account.sender_name = Some(sender.to_string());
    account
}

/// The passwords in the keyring, so that other `tidings` commands on the profile find them;
/// without a reachable one, for this run only. Returns the secrets and whether the keyring
/// has them.
fn keep_passwords(accounts: &[DemoAccount]) -> (Secrets, bool) {
    let entries: Vec<(String, String)> =
        accounts.iter().map(|a| (a.id.clone(), a.user.password.clone())).collect();
    let system = Secrets::system();
    let (done, stored) = mpsc::channel();
    let keyring = system.clone();
    let _ = std::thread::Builder::new().name("tidings-demo-keyring".into()).spawn(move || {
        let all = entries.iter().try_for_each(|(id, pw)| keyring.set(id, SecretRole::Incoming, pw));
        let _ = done.send(all.is_ok());
    });
    if stored.recv_timeout(KEYRING_WAIT).unwrap_or(false) {
        return (system, true);
    }
    let session = Secrets::session_only();
    for account in accounts {
        session.keep_for_session(&account.id, SecretRole::Incoming, &account.user.password);
    }
    (session, false)
}

fn print_settings(demo: &Demo, no_window: bool, out: &Out) {
    let s = &demo.servers;
    let dir = demo.dir.path();
    if out.json {
        let accounts: Vec<serde_json::Value> = demo
            .accounts
            .iter()
            .map(|a| {
                let (protocol, port) = match a.incoming {
                    Incoming::Imap => ("imap", s.imaps_port()),
                    Incoming::Pop3 => ("pop3", s.pop3s_port()),
                };
                serde_json::json!({
                    "name": a.name, "id": a.id, "email": a.user.email, "login": a.user.login,
                    "password": a.user.password, "protocol": protocol, "port": port,
                    "messages": a.messages,
                })
            })
            .collect();
        let timings: serde_json::Map<String, serde_json::Value> = demo
            .timings
            .iter()
            .map(|(what, took)| {
                (what.to_string(), u64::try_from(took.as_millis()).unwrap_or(u64::MAX).into())
            })
            .collect();
        out.print_json(&serde_json::json!({
            "ok": true,
            "dir": dir,
            "profile": demo.profile_dir,
            "passwords": demo.secrets.backend_name(),
            "servers": {
                "host": s.host(), "imap": s.imap_port(), "imaps": s.imaps_port(), "pop3": s.pop3_port(),
                "pop3s": s.pop3s_port(), "submission": s.submission_port(),
                "submissions": s.submissions_port(), "ca_file": dir.join("ca.pem"),
                "certificate_sha256": s.leaf_sha256_hex(), "dir": s.dir(),
            },
            "accounts": accounts,
            "timings_ms": timings,
        }));
        return;
    }
    let took: Duration = demo.timings.iter().map(|(_, t)| *t).sum();
    outln!("Tidings demo: Dovecot and Postfix on {} (ready in {:.1} s)", s.host(), took.as_secs_f64());
    outln!(
        "  IMAPS {}, POP3S {}, submission {} (STARTTLS); their CA: {}",
        s.imaps_port(),
        s.pop3s_port(),
        s.submission_port(),
        dir.join("ca.pem").display()
    );
    for a in &demo.accounts {
        let how = match a.incoming {
            Incoming::Imap => "IMAP with IDLE",
            Incoming::Pop3 => "POP3, a copy left on the server",
        };
        outln!("  {:<6} {:<20} {:<32} password {}", a.name, a.user.email, how, a.user.password);
    }
    let profile = demo.profile_dir.display();
    outln!("Profile: {profile} (passwords: {})", demo.secrets.backend_name());
    if no_window {
        if demo.in_keyring {
            outln!("Other commands work on it meanwhile: `tidings --profile {profile} sync`.");
        }
        outln!("Ctrl+D or Ctrl+C stops the servers and deletes it all.");
    } else {
        outln!("Closing the window stops the servers and deletes {}.", dir.display());
    }
}

/// Requests to stop: SIGINT, SIGTERM, SIGHUP, and with `--no-window` the end of standard input.
struct Stops {
    requests: mpsc::Receiver<()>,
}

impl Stops {
    fn watch(stdin: bool) -> std::io::Result<Stops> {
        use tokio::signal::unix::{SignalKind, signal};
        let (tx, requests) = mpsc::channel();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        // Made inside the runtime, so the handlers are in place when this returns.
        let (mut interrupt, mut terminate, mut hangup) = {
            let _inside = runtime.enter();
            (
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
            )
        };
        let signalled = tx.clone();
        std::thread::Builder::new().name("tidings-demo-signals".into()).spawn(move || {
            runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                    _ = hangup.recv() => {}
                }
            });
            let _ = signalled.send(());
        })?;
        if stdin {
            std::thread::Builder::new().name("tidings-demo-stdin".into()).spawn(move || {
                let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
                let _ = tx.send(());
            })?;
        }
        Ok(Stops { requests })
    }

    fn wait(&self) {
        let _ = self.requests.recv();
    }

    /// While the window is open: on a stop request, cleans up and ends the process (the
    /// window goes with it). The lock is held to the end, so the main thread cannot finish
    /// first and leave the servers running.
    fn then_clean_up(self, demo: Arc<Mutex<Option<Demo>>>) {
        let _ = std::thread::Builder::new().name("tidings-demo-stop".into()).spawn(move || {
            self.wait();
            let mut held = demo.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(dir) = held.as_ref().map(|d| d.dir.path().to_owned()) {
                drop(held.take());
                errln!("tidings demo: stopped the servers and deleted {}", dir.display());
            }
            std::process::exit(0);
        });
    }
}

/// The Debian packages missing for the programs the demo runs, each once, in install order.
fn missing_packages(installed: impl Fn(&str) -> bool) -> Vec<&'static str> {
    let mut missing: Vec<&'static str> = Vec::new();
    for (program, package) in NEEDS {
        if !installed(program) && !missing.contains(package) {
            missing.push(package);
        }
    }
    missing
}

/// One line: which packages to install.
fn say_missing(missing: &[&str], out: &Out) -> ExitCode {
    if out.json {
        let install = format!("apt install {}", missing.join(" "));
        out.print_json(&serde_json::json!({ "ok": false, "missing_packages": missing, "install": install }));
    } else {
        errln!("{}", missing_line(missing));
    }
    ExitCode::from(EXIT_FAILED)
}

fn missing_line(missing: &[&str]) -> String {
    format!(
        "tidings demo runs its own Dovecot and Postfix, and needs these packages for it: apt install {}",
        missing.join(" ")
    )
}

/// Whether a program is on PATH or in sbin ("dovecot/imap": in Dovecot's own directory).
fn installed(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = if program.contains('/') {
        LIBEXEC.iter().map(PathBuf::from).collect()
    } else {
        std::env::split_paths(&path).chain(SBIN.iter().map(PathBuf::from)).collect()
    };
    dirs.iter().any(|dir| dir.join(program).is_file())
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_missing_when_every_program_is_there() {
        assert!(missing_packages(|_| true).is_empty());
    }

    #[test]
    fn each_missing_package_is_named_once_in_install_order() {
        assert_eq!(
            missing_packages(|_| false),
            ["dovecot-core", "dovecot-imapd", "dovecot-pop3d", "dovecot-lmtpd", "postfix", "openssl"]
        );
        // Dovecot without its POP3 server, and no Postfix.
        let some = |p: &str| !matches!(p, "dovecot/pop3" | "postfix");
        assert_eq!(missing_packages(some), ["dovecot-pop3d", "postfix"]);
    }

    #[test]
    fn the_protocol_servers_are_looked_for_in_dovecots_directory() {
        // On this machine (scripts/setup-debian) they are all there.
        assert!(missing_packages(installed).is_empty(), "{:?}", missing_packages(installed));
        assert!(!installed("dovecot/no-such-server"));
        assert!(!installed("no-such-program-of-tidings"));
    }

    #[test]
    fn the_missing_line_is_one_apt_command() {
        let line = missing_line(&missing_packages(|p| !p.starts_with("dovecot")));
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.ends_with(": apt install dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd"),
            "{line}"
        );
    }
}
