//! `tidings message show` on a message whose body is not stored yet, against the testkit's
//! Dovecot with the password in a real Secret Service (run under `scripts/with-keyring`): an
//! IMAP sync stores headers only and a POP3 account may download headers only; `show`
//! fetches the rest, keeps it, and shows it again with the servers gone; one never fetched
//! then fails with a network error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;

use cli_common::{json, need_keyring, servers, text};

use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_testkit::{MailServers, User};

const LETTER: &str = "From: Ann <ann@example.test>\r\nTo: alice@example.test\r\n\
Subject: Fetched when shown\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <fetch-1@example.test>\r\n\r\nThe body came from the server.\r\n";

fn tidings(profile: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    cli_common::run(profile, args, stdin.map(str::as_bytes))
}

/// Adds the account `name` for `user`: IMAP on the IMAPS port, or POP3 on the POP3S port.
fn add(dir: &Path, s: &MailServers, user: &User, name: &str, protocol: &str) {
    cli_common::add_account(dir, s, name, user, protocol);
}

/// The listed message with `subject`: its id and whether its body is stored.
fn listed(dir: &Path, account: &str, subject: &str) -> (String, bool) {
    let out = tidings(dir, &["message", "list", "--account", account, "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let list = json(&out);
    let m = list["messages"].as_array().unwrap().iter().find(|m| m["subject"] == subject);
    let m = m.unwrap_or_else(|| panic!("no \"{subject}\" in {list:#}"));
    (m["id"].as_u64().unwrap().to_string(), m["downloaded"].as_bool().unwrap())
}

fn show(dir: &Path, account: &str, id: &str) -> serde_json::Value {
    let out = tidings(dir, &["message", "show", "--account", account, id, "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    json(&out)
}

fn assert_letter(shown: &serde_json::Value) {
    assert_eq!(shown["subject"], "Fetched when shown", "{shown:#}");
    assert_eq!(shown["body"]["text"].as_str().unwrap().trim(), "The body came from the server.");
}

#[test]
fn show_fetches_a_body_not_downloaded_yet_and_keeps_it() {
    need_keyring();
    let mut s = servers();
    let alice = s.user("alice").clone();
    s.seed(&alice, 3).unwrap();
    s.deliver(&alice, LETTER.as_bytes()).unwrap();
    s.deliver(
        &alice,
        LETTER.replace("Fetched when shown", "Never opened").replace("fetch-1", "fetch-2").as_bytes(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();

    // IMAP: the sync stores headers; show fetches the body (the message stays unread).
    add(p, &s, &alice, "imap", "imap");
    let out = tidings(p, &["sync", "--account", "imap", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let (unopened, _) = listed(p, "imap", "Never opened");
    let (imap_id, downloaded) = listed(p, "imap", "Fetched when shown");
    assert!(!downloaded, "the sync stored only the headers");
    assert_letter(&show(p, "imap", &imap_id));
    assert_eq!(listed(p, "imap", "Fetched when shown"), (imap_id.clone(), true));

    // POP3 set to download headers only: show fetches the rest.
    add(p, &s, &alice, "pop", "pop3");
    let profile = Profile::at(p);
    let mut config = Config::load(&profile).unwrap();
    config.accounts.iter_mut().find(|a| a.name == "pop").unwrap().options.pop3.headers_only = true;
    config.save(&profile).unwrap();
    let out = tidings(p, &["sync", "--account", "pop", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let (pop_id, downloaded) = listed(p, "pop", "Fetched when shown");
    assert!(!downloaded, "the pass downloaded only the headers");
    assert_letter(&show(p, "pop", &pop_id));
    assert_eq!(listed(p, "pop", "Fetched when shown"), (pop_id.clone(), true));

    // With the servers gone, both come from the store.
    assert!(s.stop());
    assert_letter(&show(p, "imap", &imap_id));
    assert_letter(&show(p, "pop", &pop_id));
    // One never fetched cannot be shown now; the error says why, with its kind.
    let out = tidings(p, &["message", "show", "--account", "imap", &unopened, "--json"], None);
    assert!(!out.status.success());
    assert_eq!(json(&out)["error"]["kind"], "network", "{}", text(&out));
}
