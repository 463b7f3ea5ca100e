//! `tidings sync` on POP3 accounts, headless, against the testkit's Dovecot (995-style
//! implicit TLS and 110 + STLS), with the password in a real Secret Service (run under
//! `scripts/with-keyring`): the receive pass with the account's options, `--dry-run` with
//! its reasons, deletions made here, errors with their kind, and a transcript log without
//! mail in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;

use cli_common::{json, need_keyring, servers, text};

use tidings_mail::config::Config;
use tidings_mail::options::Pop3Options;
use tidings_mail::profile::Profile;
use tidings_mail::store::{MailAction, Sort, Store};
use tidings_testkit::{MailServers, User};

fn tidings(profile: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    cli_common::run(profile, args, stdin.map(str::as_bytes))
}

/// The output with runs of spaces as one (the columns' widths don't matter here).
fn words(out: &Output) -> String {
    text(out).split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Adds a POP3 account named `name`: implicit TLS on the POP3S port, or STLS on the plain one.
fn add_pop3(dir: &Path, s: &MailServers, user: &User, name: &str, implicit: bool, password: &str) {
    let port = if implicit { s.pop3s_port() } else { s.pop3_port() }.to_string();
    let sub = s.submission_port().to_string();
    let ca = s.ca_path().to_str().unwrap();
    let add = [
        "account",
        "add",
        "--name",
        name,
        "--email",
        &user.email,
        "--incoming",
        "pop3",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        if implicit { "implicit" } else { "starttls" },
        "--user",
        &user.login,
        "--smtp-port",
        &sub,
        "--ca-file",
        ca,
        "--password-stdin",
        "--log-transcript",
    ];
    let out = tidings(dir, &add, Some(&format!("{password}\n")));
    assert!(out.status.success(), "{}", text(&out));
}

/// Changes the account's POP3 options in its config file, as the settings screen would.
fn set_pop3(dir: &Path, name: &str, change: impl FnOnce(&mut Pop3Options)) {
    let profile = Profile::at(dir);
    let mut config = Config::load(&profile).unwrap();
    let account = config.accounts.iter_mut().find(|a| a.name == name).unwrap();
    change(&mut account.options.pop3);
    config.save(&profile).unwrap();
}

fn sync(dir: &Path, args: &[&str]) -> (Output, serde_json::Value) {
    let mut all = vec!["sync"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = tidings(dir, &all, None);
    let v = json(&out);
    (out, v)
}

/// Reasons of a plan list, as (UID, reason).
fn reasons(list: &serde_json::Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| (i["uid"].as_str().unwrap_or("").to_string(), i["reason"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn receive_leave_on_server_dry_run_and_a_deletion_made_here() {
    need_keyring();
    let s = servers();
    let alice = s.user("alice");
    s.seed(alice, 12).unwrap();
    let dir = tempfile::tempdir().unwrap();
    add_pop3(dir.path(), &s, alice, "pop", true, &alice.password);

    // The dry run before anything was downloaded: every message new, nothing deleted.
    let (out, r) = sync(dir.path(), &["--account", "pop", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let plan = &r["accounts"][0]["plan"];
    assert_eq!((r["dry_run"].as_bool(), plan["server_messages"].as_u64()), (Some(true), Some(12)), "{r:#}");
    assert_eq!(reasons(&plan["download"]).len(), 12);
    assert!(reasons(&plan["download"]).iter().all(|(_, why)| why == "new"), "{plan:#}");
    assert_eq!(plan["download"][0]["why"], "new");
    assert!(plan["delete"].as_array().unwrap().is_empty());
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 12);

    // The pass: all downloaded, all still on the server; the next downloads nothing.
    let (out, r) = sync(dir.path(), &["--account", "pop"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = &r["accounts"][0]["report"];
    assert_eq!(r["accounts"][0]["protocol"], "pop3");
    assert_eq!((report["downloaded"].as_u64(), report["server_messages"].as_u64()), (Some(12), Some(12)));
    assert_eq!(report["deleted"].as_array().unwrap().len(), 0);
    assert_eq!(report["quit_ok"], true);
    // Where the time went, for testers: each phase in milliseconds, within the whole.
    let phases = ["connect_ms", "listing_ms", "download_ms", "last_commit_ms", "delete_ms"];
    let spent: Vec<u64> = phases.iter().map(|p| report["timings"][p].as_u64().expect(p)).collect();
    assert!(spent.iter().sum::<u64>() <= report["elapsed_ms"].as_u64().unwrap(), "{report:#}");
    assert!(spent[..3].iter().sum::<u64>() > 0, "connecting, listing and downloading took time: {report:#}");
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 12);
    let out = tidings(dir.path(), &["sync", "--account", "pop"], None);
    assert!(out.status.success(), "{}", text(&out));
    let t = words(&out);
    assert!(t.contains("pop: received") && t.contains("downloaded 0"), "{t}");
    assert!(t.contains("kept on server 12"), "{t}");
    assert!(t.contains("time connect ") && t.contains(" ms, download "), "{t}");

    // Delete one message here, the way the GUI does, with "delete when deleted here" on.
    set_pop3(dir.path(), "pop", |o| o.delete_when_deleted_locally = true);
    let victim = {
        let mut store = Store::open(dir.path().join("data/mail.sqlite3")).unwrap();
        let account = store.account("pop").unwrap();
        let inbox = store.folder(account, "INBOX").unwrap().unwrap();
        let rows = store.list(inbox.id, Sort::NEWEST, 0, 100).unwrap();
        assert_eq!(rows.len(), 12);
        let row = rows.iter().find(|r| r.summary.message_id.as_deref() == Some("testkit.5@example.test"));
        let uid = row.unwrap().uid;
        store.queue_action(account, &MailAction::Delete { folder: inbox.id, uids: vec![uid] }).unwrap();
        assert!(store.pending_actions(account).unwrap().is_empty(), "nothing queued for a server");
        let seen = store.pop3_seen(account).unwrap();
        seen.values().find(|v| v.deleted_locally).unwrap().uid.clone()
    };

    // The dry run names exactly that message, with its reason; text and JSON agree.
    let (out, r) = sync(dir.path(), &["--account", "pop", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let plan = &r["accounts"][0]["plan"];
    assert_eq!(reasons(&plan["delete"]), [(victim.clone(), "deleted-locally".to_string())]);
    assert_eq!(plan["delete"][0]["why"], "deleted here");
    assert_eq!(plan["keep"].as_array().unwrap().len(), 11);
    assert!(plan["download"].as_array().unwrap().is_empty());
    // The messages stored here are named by subject and sender (the one deleted here too: its
    // copy is in the Trash here).
    let kept = plan["keep"].as_array().unwrap();
    assert!(kept.iter().all(|k| k["stored"]["subject"].as_str().is_some_and(|s| !s.is_empty())), "{plan:#}");
    assert!(plan["delete"][0]["stored"]["subject"].is_string(), "{plan:#}");
    let subject = plan["delete"][0]["stored"]["subject"].as_str().unwrap().to_string();
    let out = tidings(dir.path(), &["sync", "--account", "pop", "--dry-run"], None);
    let t = words(&out);
    assert!(t.contains("would delete 1") && t.contains(&victim) && t.contains("deleted here"), "{t}");
    assert!(t.contains(&subject), "{t}");
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 12, "a dry run deletes nothing");

    let (out, r) = sync(dir.path(), &["--account", "pop"]);
    assert!(out.status.success(), "{}", text(&out));
    let deleted = reasons(&r["accounts"][0]["report"]["deleted"]);
    assert_eq!(deleted, [(victim, "deleted-locally".to_string())]);
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 11);

    // The transcript log has the protocol, not the mail, and never the password.
    let log = std::fs::read_to_string(Profile::at(dir.path()).transcript_log("pop")).unwrap();
    assert!(log.contains("C: RETR 1") && log.contains("bytes of message data not shown"), "{log}");
    assert!(!log.contains("Message-ID") && !log.contains("testkit.5@example.test"), "mail in the log");
    assert!(!log.contains(&alice.password));

    // Removing it with its data: its mail leaves the store, its log (and the log's older
    // part) goes.
    let profile = Profile::at(dir.path());
    let older = tidings_mail::net::rotated_log(&profile.transcript_log("pop"));
    std::fs::write(&older, "an older part of the log\n").unwrap();
    let out = tidings(dir.path(), &["account", "remove", "pop", "--delete-data", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["data_deleted"], true);
    assert!(!profile.transcript_log("pop").exists() && !older.exists());
    let mut store = Store::open(profile.store_path()).unwrap();
    let account = store.account("pop").unwrap();
    assert!(store.pop3_seen(account).unwrap().is_empty(), "a new account by that name starts empty");
    assert!(store.folder(account, "INBOX").unwrap().is_none());
}

#[test]
fn leave_off_over_stls_empties_the_server() {
    need_keyring();
    let s = servers();
    let bob = s.user("bob");
    s.seed(bob, 7).unwrap();
    let dir = tempfile::tempdir().unwrap();
    add_pop3(dir.path(), &s, bob, "bob pop", false, &bob.password);
    set_pop3(dir.path(), "bob pop", |o| o.leave_on_server = false);
    let (out, r) = sync(dir.path(), &["--account", "bob pop", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let plan = &r["accounts"][0]["plan"];
    assert_eq!(reasons(&plan["download"]).len(), 7);
    assert!(reasons(&plan["delete"]).iter().all(|(_, why)| why == "not-leaving-on-server"), "{plan:#}");
    assert_eq!(plan["delete"][0]["after_download"], true);

    let out = tidings(dir.path(), &["sync", "--account", "bob pop"], None);
    assert!(out.status.success(), "{}", text(&out));
    let t = words(&out);
    assert!(t.contains("downloaded 7") && t.contains("deleted on server 7"), "{t}");
    assert_eq!(s.message_count(bob, "INBOX").unwrap(), 0);
    let mut store = Store::open(dir.path().join("data/mail.sqlite3")).unwrap();
    let account = store.account("bob-pop").unwrap();
    let inbox = store.folder(account, "INBOX").unwrap().unwrap();
    assert_eq!(store.counts(inbox.id).unwrap().total, 7, "every message is in the local Inbox");
}

#[test]
fn errors_carry_their_kind_and_the_servers_words() {
    need_keyring();
    let s = servers();
    let alice = s.user("alice");
    let dir = tempfile::tempdir().unwrap();
    add_pop3(dir.path(), &s, alice, "wrong", true, "not-the-password");
    for args in [&["--account", "wrong"][..], &["--account", "wrong", "--dry-run"][..]] {
        let (out, r) = sync(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let e = &r["accounts"][0]["error"];
        assert_eq!(e["kind"], "auth", "{r:#}");
        assert!(e["server"].as_str().unwrap().starts_with("-ERR"), "{r:#}");
        assert!(!text(&out).contains("not-the-password"));
    }
    let out = tidings(dir.path(), &["sync", "--account", "wrong"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("auth error") && text(&out).contains("the server said: -ERR"),
        "{}",
        text(&out)
    );

    // --dry-run on an IMAP account: a config error, said plainly.
    let imap = s.imaps_port().to_string();
    let ca = s.ca_path().to_str().unwrap();
    let add = [
        "account",
        "add",
        "--name",
        "imap",
        "--email",
        &alice.email,
        "--host",
        "127.0.0.1",
        "--port",
        &imap,
        "--tls",
        "implicit",
        "--user",
        &alice.login,
        "--smtp-port",
        "1",
        "--ca-file",
        ca,
        "--password-stdin",
    ];
    assert!(tidings(dir.path(), &add, Some(&format!("{}\n", alice.password))).status.success());
    let (out, r) = sync(dir.path(), &["--account", "imap", "--dry-run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(r["error"]["kind"], "config");
    assert!(r["error"]["message"].as_str().unwrap().contains("IMAP account"), "{r:#}");
    for name in ["wrong", "imap"] {
        tidings(dir.path(), &["account", "remove", name], None);
    }
}
