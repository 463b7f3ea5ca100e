//! Read receipts over the CLI, the real binary against the testkit's Postfix and Dovecot
//! (passwords in a real Secret Service: run under `scripts/with-keyring`). Bob sends Alice a
//! message that asks for a receipt; `tidings receipt send` as Alice gets exactly one receipt
//! into Bob's inbox, which parses back; `$MDNSent` then stops a second one — from the same
//! profile, and from a second profile on the same IMAP account — and `receipt ignore` sets
//! it too. POP3 keeps the keyword in the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use cli_common::{json, need_keyring, servers, text};
use tidings_mail::mdn;
use tidings_testkit::{MailServers, User};

fn tidings(profile: &Path, args: &[&str]) -> Output {
    cli_common::run(profile, args, None)
}

/// `account add` of `name` for `user`: IMAP over TLS or POP3 over TLS, submission with
/// STARTTLS.
fn add(s: &MailServers, profile: &Path, name: &str, user: &User, pop3: bool) {
    cli_common::add_account(profile, s, name, user, if pop3 { "pop3" } else { "imap" });
}

/// Bob (account `bob`) sends Alice a message asking for a receipt; returns its Message-ID.
fn bob_asks(s: &MailServers, profile: &Path, bob: &str, subject: &str, n: usize) -> String {
    let id = format!("<{subject}@example.test>");
    let eml = format!(
        "From: Bob <bob@example.test>\nTo: Alice <alice@example.test>\nSubject: {subject}\n\
         Message-ID: {id}\nDisposition-Notification-To: Bob <bob@example.test>\n\nDid you read this?\n"
    );
    let out = cli_common::run(profile, &["send", "--account", bob, "-"], Some(eml.as_bytes()));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(wait_for(s, s.user("alice"), n), n);
    id
}

/// Waits for `n` messages in the user's INBOX, then for Postfix's queue to be empty: the
/// count is final (a second receipt would be delivered or still queued by then).
fn wait_for(s: &MailServers, user: &User, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && s.message_count(user, "INBOX").unwrap_or(0) < n {
        std::thread::sleep(Duration::from_millis(50));
    }
    s.wait_queue_empty(Duration::from_secs(20)).unwrap_or_else(|e| panic!("{e}"));
    s.message_count(user, "INBOX").unwrap()
}

/// The id (`message list`) of the stored message with `subject`, after a sync.
fn synced_id(profile: &Path, account: &str, subject: &str) -> String {
    let out = tidings(profile, &["sync", "--account", account, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = tidings(profile, &["message", "list", "--account", account, "--json"]);
    let v = json(&out);
    let found = v["messages"].as_array().unwrap().iter().find(|m| m["subject"] == subject);
    found.unwrap_or_else(|| panic!("{subject} not listed: {v}"))["id"].to_string()
}

/// Bob's INBOX as receipts, over doveadm.
fn receipts(s: &MailServers) -> Vec<mdn::Receipt> {
    let maildir = s.maildir(s.user("bob"));
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        for entry in std::fs::read_dir(maildir.join(sub)).into_iter().flatten().flatten() {
            let raw = std::fs::read(entry.path()).unwrap();
            out.push(
                mdn::parse_receipt(&raw)
                    .unwrap_or_else(|| panic!("not a receipt: {}", String::from_utf8_lossy(&raw))),
            );
        }
    }
    out
}

fn flags_on_server(s: &MailServers) -> String {
    s.doveadm(&["fetch", "-u", &s.user("alice").login, "flags", "mailbox", "INBOX"]).unwrap()
}

#[test]
fn one_receipt_per_message_across_profiles_over_imap() {
    need_keyring();
    let s = servers();
    let dir = tempfile::tempdir().unwrap();
    let (bob_p, alice_p, other_p) =
        (dir.path().join("bob"), dir.path().join("alice"), dir.path().join("other"));
    add(&s, &bob_p, "rcpt-imap-bob", s.user("bob"), false);
    add(&s, &alice_p, "rcpt-imap-alice", s.user("alice"), false);
    add(&s, &other_p, "rcpt-imap-alice2", s.user("alice"), false);
    let original = bob_asks(&s, &bob_p, "rcpt-imap-bob", "lunch", 1);

    let id = synced_id(&alice_p, "rcpt-imap-alice", "lunch");
    let show = json(&tidings(&alice_p, &["message", "show", "--account", "rcpt-imap-alice", &id, "--json"]));
    assert_eq!(show["receipt_requested"], true, "{show}");
    assert_eq!(show["receipt"]["decision"], "ask", "the default policy asks: {show}");
    assert_eq!(show["receipt"]["reason"], "policy", "{show}");
    assert_eq!(show["receipt"]["to"][0], "bob@example.test");

    let out = tidings(&alice_p, &["receipt", "send", "--account", "rcpt-imap-alice", &id, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let v = json(&out);
    assert_eq!((v["state"].as_str(), v["note"].as_str()), (Some("sent"), None), "{v}");
    assert_eq!(wait_for(&s, s.user("bob"), 1), 1);
    let got = receipts(&s);
    assert_eq!(got[0].original_message_id.as_deref(), Some(original.as_str()));
    assert_eq!(got[0].disposition_field, "manual-action/MDN-sent-manually; displayed");
    assert_eq!(got[0].by, "alice@example.test");
    assert!(flags_on_server(&s).contains("$MDNSent"), "{}", flags_on_server(&s));

    // Again from the same profile: refused, nothing sent.
    let out = tidings(&alice_p, &["receipt", "send", "--account", "rcpt-imap-alice", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("already sent or declined"), "{}", text(&out));
    // From another profile on the same account: the server's keyword stops it.
    let other_id = synced_id(&other_p, "rcpt-imap-alice2", "lunch");
    let show =
        json(&tidings(&other_p, &["message", "show", "--account", "rcpt-imap-alice2", &other_id, "--json"]));
    assert_eq!(
        (show["receipt"]["decision"].as_str(), show["receipt"]["reason"].as_str()),
        (Some("never"), Some("answered"))
    );
    let out = tidings(&other_p, &["receipt", "send", "--account", "rcpt-imap-alice2", &other_id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(wait_for(&s, s.user("bob"), 1), 1, "exactly one receipt");

    // Ignore in one profile: the other sends none either.
    bob_asks(&s, &bob_p, "rcpt-imap-bob", "dinner", 2);
    let other_id = synced_id(&other_p, "rcpt-imap-alice2", "dinner");
    let out = tidings(&other_p, &["receipt", "ignore", "--account", "rcpt-imap-alice2", &other_id]);
    assert!(out.status.success(), "{}", text(&out));
    let id = synced_id(&alice_p, "rcpt-imap-alice", "dinner");
    let out = tidings(&alice_p, &["receipt", "send", "--account", "rcpt-imap-alice", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(wait_for(&s, s.user("bob"), 1), 1, "no receipt for an ignored request");
}

#[test]
fn pop3_keeps_the_keyword_in_the_store() {
    need_keyring();
    let s = servers();
    let dir = tempfile::tempdir().unwrap();
    let (bob_p, alice_p) = (dir.path().join("bob"), dir.path().join("alice"));
    add(&s, &bob_p, "rcpt-pop-bob", s.user("bob"), false);
    add(&s, &alice_p, "rcpt-pop-alice", s.user("alice"), true);
    let original = bob_asks(&s, &bob_p, "rcpt-pop-bob", "tea", 1);
    let id = synced_id(&alice_p, "rcpt-pop-alice", "tea");

    let out = tidings(&alice_p, &["receipt", "send", "--account", "rcpt-pop-alice", &id, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(wait_for(&s, s.user("bob"), 1), 1);
    assert_eq!(receipts(&s)[0].original_message_id.as_deref(), Some(original.as_str()));

    let show = json(&tidings(&alice_p, &["message", "show", "--account", "rcpt-pop-alice", &id, "--json"]));
    assert_eq!(show["receipt"]["reason"], "answered", "{show}");
    let out = tidings(&alice_p, &["receipt", "send", "--account", "rcpt-pop-alice", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // A later pass does not forget it.
    assert!(tidings(&alice_p, &["sync", "--account", "rcpt-pop-alice"]).status.success());
    let out = tidings(&alice_p, &["receipt", "send", "--account", "rcpt-pop-alice", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // --force sends another.
    let out = tidings(&alice_p, &["receipt", "send", "--account", "rcpt-pop-alice", &id, "--force"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(wait_for(&s, s.user("bob"), 2), 2);
}
