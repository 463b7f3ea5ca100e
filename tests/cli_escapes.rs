//! Terminal escapes from a server or from mail (a window title, a cleared screen, a
//! clipboard write through OSC 52, a C1 CSI, a bidi override) reach the terminal as visible
//! text from `account test`, `inspect`, `sync` and `outbox`, never as the raw bytes; the
//! `--json` output keeps the exact text. The server is a scripted POP3 (and SMTP) server
//! that puts them in its greeting, its capabilities and its refusal of the password.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;

use cli_common::{json, need_keyring, text};
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::outbox::{self, Outgoing};
use tidings_mail::profile::Profile;
use tidings_mail::store::{Store, StoreHandle};
use tidings_testkit::hostile::{Hostile, Reply, Script};

/// OSC 52 clipboard write, clear screen, window title, C1 CSI, right-to-left override.
const EVIL: &str = "\x1b]52;c;SGVsbG8=\x07 \x1b[2J \x1b]0;title\x07 \u{9b}31m \u{202e}txt.exe";
/// How the text output shows it.
const SHOWN: &str = r"\x1b]52;c;SGVsbG8=\x07 \x1b[2J \x1b]0;title\x07 \u{9b}31m \u{202e}txt.exe";

fn pop3_script() -> Script {
    Script::new(Reply::text(format!("+OK {EVIL}\r\n")))
        .on("CAPA", Reply::text(format!("+OK\r\nUSER\r\nUIDL\r\nX-{EVIL}\r\n.\r\n")))
        .on("USER", Reply::text("+OK\r\n"))
        .on("PASS", Reply::text(format!("-ERR [AUTH] {EVIL}\r\n")))
        .on("QUIT", Reply::text("+OK bye\r\n").then(Reply::close()))
        .otherwise(Reply::text("-ERR unknown\r\n"))
}

fn smtp_script() -> Script {
    Script::new(Reply::text(format!("220 smtp.test {EVIL}\r\n")))
        .on("EHLO", Reply::text(format!("250-smtp.test {EVIL}\r\n250 AUTH PLAIN LOGIN\r\n")))
        .on("AUTH", Reply::text(format!("535 5.7.8 {EVIL}\r\n")))
        .on("QUIT", Reply::text("221 bye\r\n").then(Reply::close()))
        .otherwise(Reply::text("502 unknown\r\n"))
}

/// No raw escape, C1 control or bidi override in what a terminal would see, and the shown
/// form is there.
fn assert_shown_safely(out: &Output) {
    let bytes = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    for bad in [&b"\x1b"[..], b"\x07", "\u{9b}".as_bytes(), "\u{202e}".as_bytes()] {
        assert!(
            !bytes.windows(bad.len()).any(|w| w == bad),
            "raw {bad:?} in the output:\n{}",
            String::from_utf8_lossy(&bytes)
        );
    }
    assert!(text(out).contains(SHOWN), "the escapes are not shown:\n{}", text(out));
}

/// Whether some string in `v` holds `s`.
fn holds(v: &serde_json::Value, s: &str) -> bool {
    match v {
        serde_json::Value::String(t) => t.contains(s),
        serde_json::Value::Array(a) => a.iter().any(|v| holds(v, s)),
        serde_json::Value::Object(o) => o.values().any(|v| holds(v, s)),
        _ => false,
    }
}

fn assert_exact_json(out: &Output) {
    let v = json(out);
    assert!(holds(&v, EVIL), "the JSON lost the server's exact text: {v}");
    // serde_json escapes C0 controls; C1 controls and bidi overrides are escaped too.
    for bad in [&b"\x1b"[..], b"\x07", "\u{9b}".as_bytes(), "\u{202e}".as_bytes()] {
        assert!(!out.stdout.windows(bad.len()).any(|w| w == bad), "raw {bad:?} in the JSON output");
    }
}

fn tidings(profile: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    // Blocking: the scripted servers run on the test's other worker thread.
    tokio::task::block_in_place(|| cli_common::run(profile, args, stdin.map(str::as_bytes)))
}

fn account(pop3: &Hostile, smtp: &Hostile) -> Account {
    let server = |port| Server {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        user: "alice".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    Account::new(
        String::new(),
        "evil".into(),
        "alice@example.test".into(),
        Incoming::Pop3,
        server(pop3.port()),
        server(smtp.port()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_test_shows_the_servers_escapes_as_text() {
    let pop3 = Hostile::start(pop3_script()).await.unwrap();
    let smtp = Hostile::start(smtp_script()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    config.add_account(account(&pop3, &smtp)).unwrap();
    config.save(&profile).unwrap();

    let out = tidings(dir.path(), &["account", "test", "evil", "--password-stdin"], Some("pw\npw\n"));
    assert!(!out.status.success(), "the password was refused: {}", text(&out));
    assert_shown_safely(&out);

    let out =
        tidings(dir.path(), &["account", "test", "evil", "--password-stdin", "--json"], Some("pw\npw\n"));
    assert_exact_json(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_shows_the_servers_escapes_as_text() {
    let pop3 = Hostile::start(pop3_script()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = format!("pop3://127.0.0.1:{}", pop3.port());

    let out = tidings(dir.path(), &["inspect", &target], None);
    assert_shown_safely(&out);
    let out = tidings(dir.path(), &["inspect", &target, "--json"], None);
    assert_exact_json(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_shows_the_servers_escapes_as_text() {
    need_keyring();
    let pop3 = Hostile::start(pop3_script()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = pop3.port().to_string();
    let add = [
        "account",
        "add",
        "--name",
        "evil",
        "--email",
        "alice@example.test",
        "--incoming",
        "pop3",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        "none",
        "--smtp-tls",
        "none",
        "--allow-plaintext",
        "--password-stdin",
    ];
    let out = tidings(dir.path(), &add, Some("pw\n"));
    assert!(out.status.success(), "{}", text(&out));

    let out = tidings(dir.path(), &["sync"], None);
    assert!(!out.status.success(), "the password was refused: {}", text(&out));
    assert_shown_safely(&out);
    let out = tidings(dir.path(), &["sync", "--json"], None);
    assert_exact_json(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_shows_a_subjects_escapes_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    // The subject as mail carries it: an encoded word that decodes to control characters.
    let raw = "From: alice@example.test\r\nTo: bob@example.test\r\n\
               Subject: =?utf-8?q?=1B]0;title=07_=E2=80=AEhi?=\r\n\r\nbody\r\n";
    let store = StoreHandle::spawn(Store::open(profile.store_path()).unwrap()).unwrap();
    let from = tidings_mail::compose::Address::new(None, "alice@example.test");
    let msg = Outgoing::from_message_as(raw.as_bytes(), &from).unwrap();
    let item = outbox::enqueue(&store, "acct", msg).await.unwrap();
    let subject = "\x1b]0;title\x07 \u{202e}hi";
    assert_eq!(item.subject.as_deref(), Some(subject));
    drop(store);

    let out = tidings(dir.path(), &["outbox"], None);
    assert!(out.status.success(), "{}", text(&out));
    let bytes = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    assert!(!bytes.contains(&0x1b) && !bytes.contains(&0x07), "{}", text(&out));
    assert!(text(&out).contains(r"\x1b]0;title\x07 \u{202e}hi"), "{}", text(&out));
    let out = tidings(dir.path(), &["outbox", "--json"], None);
    assert!(holds(&json(&out), subject), "{}", text(&out));
}
