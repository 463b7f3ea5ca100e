//! `tidings demo --no-window --json`, the real binary: it starts Dovecot and Postfix, fills
//! alice's and bob's mailboxes, writes a throwaway profile and prints the settings, then keeps
//! all of it until its standard input closes. Meanwhile this test works on that profile with
//! the other commands — both accounts sync, a message from alice reaches bob — and at the end
//! closes standard input and checks that the servers, the profile and the passwords are gone.
//! The passwords are in a real Secret Service (run under `scripts/with-keyring`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cli_common::{json, need_keyring, text};
use tidings_mail::account::SecretRole;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::ui_state::UiState;

fn tidings(profile: &Path, args: &[&str]) -> Output {
    cli_common::run(profile, args, None)
}

/// Starts `tidings demo --no-window --json` and reads the settings it prints (pretty JSON,
/// ending with a line "}").
fn start_demo() -> (Child, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["demo", "--no-window", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run tidings demo");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        let read = stdout.read_line(&mut line).unwrap();
        assert!(read > 0, "tidings demo ended before printing its settings: {printed}");
        printed.push_str(&line);
        if line == "}\n" {
            break;
        }
    }
    let settings = serde_json::from_str(&printed).unwrap_or_else(|e| panic!("not JSON ({e}): {printed}"));
    (child, settings)
}

/// Closes the demo's standard input and waits (at most 30 s) for it to stop.
fn stop_demo(mut child: Child) -> std::process::ExitStatus {
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("tidings demo did not stop within 30 s of its standard input closing");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn subjects(profile: &Path, account: &str, folder: &str) -> Vec<String> {
    let out = tidings(profile, &["message", "list", "--account", account, "--folder", folder, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let list = json(&out);
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The UID of alice's Inbox message with this subject.
fn uid_of(profile: &Path, subject: &str) -> u32 {
    let out = tidings(profile, &["message", "list", "--account", "Alice", "--json"]);
    let list = json(&out);
    let found = list["messages"].as_array().unwrap().iter().find(|m| m["subject"] == subject);
    found.and_then(|m| m["id"].as_u64()).unwrap_or_else(|| panic!("no {subject:?} in {list}")) as u32
}

#[test]
fn the_demo_serves_two_accounts_that_sync_and_mail_each_other_then_cleans_up() {
    need_keyring();
    let (child, settings) = start_demo();
    assert_eq!(settings["ok"], true, "{settings}");
    let dir = PathBuf::from(settings["dir"].as_str().unwrap());
    let profile = PathBuf::from(settings["profile"].as_str().unwrap());
    let servers_dir = PathBuf::from(settings["servers"]["dir"].as_str().unwrap());
    assert!(profile.starts_with(&dir) && profile.is_dir(), "{settings}");
    assert!(
        servers_dir.is_dir() && PathBuf::from(settings["servers"]["ca_file"].as_str().unwrap()).is_file()
    );
    assert_eq!(settings["passwords"], "Secret Service", "{settings}");
    let accounts = settings["accounts"].as_array().unwrap();
    let described: Vec<(&str, &str, &str)> = accounts
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["email"].as_str().unwrap(), a["protocol"].as_str().unwrap()))
        .collect();
    assert_eq!(described, [("Alice", "alice@example.test", "imap"), ("Bob", "bob@example.test", "pop3")]);
    let ids: Vec<String> = accounts.iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();

    // The profile is an ordinary one: both accounts sync with the password from the keyring.
    let out = tidings(&profile, &["sync", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&out);
    let inbox = report["accounts"][0]["report"]["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["role"] == "inbox")
        .cloned()
        .unwrap_or_else(|| panic!("no INBOX in {report}"));
    assert_eq!(inbox["total"].as_u64(), accounts[0]["messages"].as_u64(), "{report}");
    assert_eq!(report["accounts"][1]["report"]["downloaded"].as_u64(), Some(3), "{report}");
    let alice = subjects(&profile, "Alice", "INBOX");
    for subject in [
        "Welcome to the Tidings demo",
        "December at the Tram Museum",
        "Minutes of Tuesday's meeting",
        "The AUTHORS file, from Outlook",
        "Invitation: Demo review",
        "Photos from the trip",
        "Grüße aus Berlin",
    ] {
        assert!(alice.iter().any(|s| s == subject), "{subject:?} not in {alice:?}");
    }
    assert_eq!(subjects(&profile, "Alice", "Sent"), ["Re: Weekend in Lisbon?"]);
    assert!(subjects(&profile, "Bob", "INBOX").contains(&"Welcome, Bob".to_string()));
    // The window would open on alice's Inbox with the welcome selected.
    let state = UiState::load(&tidings_mail::ui_state::path(&Profile::at(&profile)));
    let place = state.place.unwrap();
    assert_eq!((place.account.as_str(), place.folder.as_deref()), (ids[0].as_str(), Some("INBOX")));
    let welcome = uid_of(&profile, "Welcome to the Tidings demo");
    assert_eq!(place.message, Some(welcome));

    // alice writes to bob; bob's next POP3 pass gets it.
    let subject = "Hello from the demo";
    let sent = tidings(
        &profile,
        &[
            "send",
            "--account",
            "Alice",
            "--to",
            "bob@example.test",
            "--subject",
            subject,
            "--body",
            "Hi Bob!",
        ],
    );
    assert!(sent.status.success(), "{}", text(&sent));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = tidings(&profile, &["sync", "--account", "Bob", "--json"]);
        assert!(out.status.success(), "{}", text(&out));
        if subjects(&profile, "Bob", "INBOX").iter().any(|s| s == subject) {
            break;
        }
        assert!(Instant::now() < deadline, "alice's message did not reach bob within 20 s");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Closing standard input stops it all: servers, files, passwords.
    let status = stop_demo(child);
    assert!(status.success(), "{status}");
    assert!(!dir.exists(), "{} is still there", dir.display());
    assert!(!servers_dir.exists(), "{} is still there", servers_dir.display());
    let keyring = Secrets::system();
    for id in &ids {
        assert_eq!(keyring.get(id, SecretRole::Incoming).unwrap(), None, "the password of {id} stayed");
    }
}

#[test]
fn the_demo_never_reads_the_profile_it_is_given() {
    // A file where a profile's directory belongs: the other commands fail on it, the demo makes
    // its own elsewhere (with standard input closed at once, it stops after printing).
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--profile")
        .arg(file.path())
        .args(["demo", "--no-window", "--json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let settings = json(&out);
    let dir = PathBuf::from(settings["dir"].as_str().unwrap());
    assert!(!dir.starts_with(file.path()) && !dir.exists(), "{settings}");
    assert!(file.path().is_file());
}
