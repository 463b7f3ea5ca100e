//! `tidings search`: hits with account, folder, the id `message show` takes, date, sender,
//! subject and a marked snippet, as text and JSON; a mistake in the query exits with status 2
//! and points at it; bodies a pass stored before are indexed first. Against Dovecot: an IMAP
//! sync makes the headers searchable, a body fetched by `message show` its words, and a
//! POP3 pass every body it downloaded (HTML-only too, diacritics folded).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;

use cli_common::{json, need_keyring, servers, text};

use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::store::{Pop3Batch, Store};
use tidings_testkit::{MailServers, User};

const LUNCH: &str = "From: Ann <ann@example.test>\r\nTo: bob@example.test\r\nSubject: Lunch\r\n\
Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n\r\nAt noon in the café?\r\n";

const HTML_ONLY: &str = "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.test>\r\nTo: bob@example.test\r\n\
Subject: Figures\r\nDate: Sun, 06 Dec 2026 09:00:00 +0000\r\nMessage-ID: <2@example.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n<p>The <b>Zürich</b> figures are in.</p>\r\n";

fn tidings(profile: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    cli_common::run(profile, args, stdin.map(str::as_bytes))
}

fn search(p: &Path, args: &[&str]) -> serde_json::Value {
    let out = tidings(p, &[&["search", "--json"], args].concat(), None);
    assert!(out.status.success(), "{}", text(&out));
    json(&out)
}

fn subjects(found: &serde_json::Value) -> Vec<String> {
    found["hits"].as_array().unwrap().iter().map(|h| h["subject"].as_str().unwrap().to_string()).collect()
}

/// A POP3 account "pop" whose Inbox holds the two messages as a pass stores them.
fn profile_with_mail(dir: &Path) {
    let profile = Profile::at(dir);
    let server = |port| Server {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        user: "bob".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    let mut config = Config::default();
    let account = Account::new(
        String::new(),
        "pop".into(),
        "bob@example.test".into(),
        Incoming::Pop3,
        server(110),
        server(587),
    );
    let id = config.add_account(account).unwrap().id.clone();
    config.save(&profile).unwrap();
    let mut store = Store::open(profile.store_path()).unwrap();
    let key = store.account(&id).unwrap();
    let inbox = store.pop3_setup(key).unwrap();
    let mut batch = Pop3Batch::default();
    batch.push("u1", LUNCH.len() as u64, LUNCH.as_bytes(), false);
    batch.push("u2", HTML_ONLY.len() as u64, HTML_ONLY.as_bytes(), false);
    store.pop3_commit(key, inbox, batch, 1_796_515_200).unwrap();
}

#[test]
fn hits_as_json_and_text_and_pointed_errors() {
    let dir = tempfile::tempdir().unwrap();
    profile_with_mail(dir.path());
    let p = dir.path();

    // The bodies the pass stored are indexed on the way.
    let out = tidings(p, &["search", "--json", "cafe"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("indexing 2 stored messages"), "{}", text(&out));
    let found = json(&out);
    let hit = &found["hits"][0];
    assert_eq!(hit["account"], "pop");
    assert_eq!(hit["folder"], "INBOX");
    assert_eq!(hit["subject"], "Lunch");
    assert_eq!(hit["from"]["address"], "ann@example.test");
    assert_eq!(hit["date"].as_i64(), Some(1_796_464_800));
    assert_eq!(hit["matched"]["field"], "body");
    assert_eq!(hit["matched"]["text"], "At noon in the café?");
    assert_eq!(hit["matched"]["marks"], serde_json::json!([[15, 19]]));
    // The id is the one `message show` takes.
    let id = hit["id"].as_u64().unwrap().to_string();
    let out = tidings(p, &["message", "show", "--account", "pop", "--folder", "INBOX", &id, "--json"], None);
    assert_eq!(json(&out)["subject"], "Lunch", "{}", text(&out));

    // HTML-only, sender with diacritics; several arguments make one query.
    assert_eq!(subjects(&search(p, &["from:muller", "zurich"])), ["Figures"]);
    assert_eq!(subjects(&search(p, &["--account", "pop", "is:unread"])), ["Figures", "Lunch"]);
    assert_eq!(subjects(&search(p, &["--limit", "1", "is:unread"])), ["Figures"]);
    assert_eq!(subjects(&search(p, &["-figures"])), ["Lunch"]);
    assert_eq!(subjects(&search(p, &["NEAR(x)", "OR", "noon"])), ["Lunch"]);

    // Text: one line per hit, the match marked beneath.
    let out = tidings(p, &["search", "zurich"], None);
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(printed.contains("pop INBOX"), "{printed}");
    assert!(printed.contains("Figures"), "{printed}");
    assert!(printed.contains("body: The [Zürich] figures are in."), "{printed}");

    // A mistake: status 2, where and what.
    let out = tidings(p, &["search", "lunch", "after:soon"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("after: needs a date like 2024-05-01 or 7d (at 13)"), "{err}");
    assert!(err.contains("  lunch after:soon\n              ^"), "{err}");
    let out = tidings(p, &["search", "--json", "(lunch"], None);
    assert_eq!(out.status.code(), Some(2));
    let e = json(&out);
    assert_eq!(
        (e["ok"].clone(), e["error"]["kind"].clone(), e["error"]["at"].clone()),
        (false.into(), "query".into(), 1.into())
    );
    // An unknown account is a settings error (status 1).
    let out = tidings(p, &["search", "--account", "nobody", "lunch"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// Adds the account `name` for `user`: IMAP on the IMAPS port, or POP3 on the POP3S port.
fn add(dir: &Path, s: &MailServers, user: &User, name: &str, protocol: &str) {
    cli_common::add_account(dir, s, name, user, protocol);
}

#[test]
fn sync_then_search_against_dovecot() {
    need_keyring();
    let s = servers();
    let alice = s.user("alice").clone();
    s.seed(&alice, 20).unwrap();
    s.deliver(&alice, LUNCH.replace("bob@", "alice@").as_bytes()).unwrap();
    s.deliver(&alice, HTML_ONLY.replace("bob@", "alice@").as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();

    // IMAP: the sync stores headers, so subjects and senders are found at once.
    add(p, &s, &alice, "imap", "imap");
    let out = tidings(p, &["sync", "--account", "imap", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let found = search(p, &["--account", "imap", "from:muller"]);
    assert_eq!(subjects(&found).len(), 3, "the letter and two seeded messages from Jürgen Müller: {found:#}");
    assert_eq!(found["hits"][0]["matched"]["field"], "from");
    assert_eq!(found["hits"][0]["matched"]["text"], "Jürgen Müller");
    let found = search(p, &["--account", "imap", "from:muller", "subject:figures"]);
    assert_eq!(subjects(&found), ["Figures"]);
    assert!(subjects(&search(p, &["zurich"])).is_empty(), "the body is not stored yet");
    // Shown once (fetched and kept): its words are found too.
    let id = found["hits"][0]["id"].as_u64().unwrap().to_string();
    let out = tidings(p, &["message", "show", "--account", "imap", &id, "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(subjects(&search(p, &["zurich"])), ["Figures"]);

    // POP3: the pass stores every body; words of the text and of HTML are found.
    add(p, &s, &alice, "pop", "pop3");
    let out = tidings(p, &["sync", "--account", "pop", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(subjects(&search(p, &["--account", "pop", "cafe"])), ["Lunch"]);
    let both = search(p, &["zurich"]);
    let mut accounts: Vec<_> =
        both["hits"].as_array().unwrap().iter().map(|h| h["account"].clone()).collect();
    accounts.sort_by_key(|a| a.to_string());
    assert_eq!(accounts, ["imap", "pop"]);
    // Every message of both accounts was sent to alice: 20 seeded and the two letters each.
    let all = search(p, &["--limit", "100", "to:alice"]);
    assert_eq!(all["hits"].as_array().unwrap().len(), 44, "{all:#}");
}

#[test]
fn with_server_a_word_of_a_body_never_downloaded_is_found_on_the_imap_server() {
    need_keyring();
    let s = servers();
    let alice = s.user("alice").clone();
    s.deliver(&alice, LUNCH.replace("bob@", "alice@").as_bytes()).unwrap();
    s.deliver(&alice, HTML_ONLY.replace("bob@", "alice@").as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // Its own account name: the keyring is shared by the tests running beside it.
    add(p, &s, &alice, "remote", "imap");
    let out = tidings(p, &["sync", "--account", "remote", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));

    // Headers only: the store alone does not know the word; the server does.
    let local = search(p, &["noon"]);
    assert!(subjects(&local).is_empty(), "{local:#}");
    assert!(local.get("server").is_none(), "the server is asked only with --server");
    let found = search(p, &["--server", "noon"]);
    assert_eq!(subjects(&found), ["Lunch"], "{found:#}");
    let hit = &found["hits"][0];
    assert_eq!((hit["on_server"].as_bool(), hit["account"].as_str()), (Some(true), Some("remote")));
    assert_eq!(hit["folder"], "INBOX");
    assert_eq!(found["server"]["keys"], "TEXT \"noon\"");
    assert_eq!(found["server"]["folders"][0]["listed"], 1, "{found:#}");
    // Subjects the store knows come from the store, once, and a term the server cannot be
    // asked is checked here.
    let found = search(p, &["--server", "figures OR noon"]);
    let on: Vec<(String, bool)> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["subject"].as_str().unwrap().to_string(), h["on_server"].as_bool().unwrap()))
        .collect();
    assert_eq!(on, [("Figures".to_string(), false), ("Lunch".to_string(), true)]);
    let found = search(p, &["--server", "noon", "-has:attachment"]);
    assert_eq!(subjects(&found), ["Lunch"], "{found:#}");
    assert_eq!(found["server"]["left_out"], serde_json::json!(["has:attachment"]));
    // No message the store knows has an attachment: the server is not even asked.
    let found = search(p, &["--server", "noon", "has:attachment"]);
    assert!(subjects(&found).is_empty() && found.get("server").is_none(), "{found:#}");

    // As text: the hit says where it was found, and what the server was asked.
    let out = tidings(p, &["search", "--server", "noon"], None);
    assert!(out.status.success(), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("Lunch  (on server)"), "{shown}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("asked the server: UID SEARCH TEXT \"noon\""),
        "{}",
        text(&out)
    );
}
