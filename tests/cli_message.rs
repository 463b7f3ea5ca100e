//! `tidings message list|show|save` on a profile whose store holds what a POP3 pass stored:
//! the list, a message shown as the reader shows it, its attachments saved under safe names
//! without overwriting, and a message whose body is not downloaded yet and cannot be fetched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;

use cli_common::{json, text};

use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::store::{Pop3Batch, Store};

const PLAIN: &str = "From: Ann <ann@example.test>\r\nTo: bob@example.test\r\nSubject: Lunch\r\n\
Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n\r\nAt noon?\r\n";

const WITH_FILES: &str = "From: Cy <cy@example.test>\r\nTo: bob@example.test\r\nSubject: Figures\r\n\
Date: Sun, 06 Dec 2026 09:00:00 +0000\r\nMessage-ID: <2@example.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
The figures are attached.\r\n--b\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"../../report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjQK\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\".profile\"\r\n\r\n\
export X=1\r\n--b--\r\n";

const HEADER_ONLY: &str = "From: Di <di@example.test>\r\nTo: bob@example.test\r\nSubject: Big one\r\n\
Date: Fri, 04 Dec 2026 08:00:00 +0000\r\n\r\n";

fn tidings(profile: &Path, args: &[&str]) -> Output {
    cli_common::run(profile, args, None)
}

/// A POP3 account "pop" whose Inbox holds the three messages as a pass stores them (the
/// third headers only).
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
    batch.push("u1", PLAIN.len() as u64, PLAIN.as_bytes(), false);
    batch.push("u2", WITH_FILES.len() as u64, WITH_FILES.as_bytes(), false);
    batch.push("u3", 50_000, HEADER_ONLY.as_bytes(), true);
    store.pop3_commit(key, inbox, batch, 1_796_515_200).unwrap();
}

fn id_of(list: &serde_json::Value, subject: &str) -> String {
    let m = list["messages"].as_array().unwrap().iter().find(|m| m["subject"] == subject).unwrap();
    m["id"].as_u64().unwrap().to_string()
}

#[test]
fn list_show_and_save_a_stored_message() {
    let dir = tempfile::tempdir().unwrap();
    profile_with_mail(dir.path());
    let p = dir.path();

    let out = tidings(p, &["message", "list", "--account", "pop", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let list = json(&out);
    let subjects: Vec<_> =
        list["messages"].as_array().unwrap().iter().map(|m| m["subject"].clone()).collect();
    assert_eq!(subjects, ["Figures", "Lunch", "Big one"], "newest first: {list:#}");
    let first = &list["messages"][0];
    assert_eq!(first["from"]["address"], "cy@example.test");
    assert_eq!(first["unread"], true);
    assert_eq!(first["size"].as_u64(), Some(WITH_FILES.len() as u64));
    assert_eq!(first["date"].as_i64(), Some(1_796_547_600));
    let out = tidings(p, &["message", "list", "--account", "pop", "--limit", "1", "--json"]);
    assert_eq!(json(&out)["messages"].as_array().unwrap().len(), 1);

    let figures = id_of(&list, "Figures");
    let out = tidings(p, &["message", "show", "--account", "pop", &figures, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = json(&out);
    assert_eq!(shown["subject"], "Figures");
    assert_eq!(shown["body"]["kind"], "text");
    assert_eq!(shown["body"]["text"].as_str().unwrap().trim(), "The figures are attached.");
    let names: Vec<_> = shown["attachments"].as_array().unwrap().iter().map(|a| a["name"].clone()).collect();
    assert_eq!(names, ["../../report.pdf", ".profile"]);
    assert_eq!(shown["attachments"][0]["size"].as_u64(), Some(9));

    // Saved under safe names inside the folder; again, under numbered names beside them.
    let save_dir = p.join("saved");
    let target = save_dir.to_str().unwrap();
    let out = tidings(p, &["message", "save", "--account", "pop", &figures, "--dir", target, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let saved = json(&out)["saved"].clone();
    assert_eq!(saved[0].as_str().unwrap(), save_dir.join("report.pdf").to_str().unwrap());
    assert_eq!(saved[1].as_str().unwrap(), save_dir.join("profile").to_str().unwrap());
    assert_eq!(std::fs::read(save_dir.join("report.pdf")).unwrap(), b"%PDF-1.4\n");
    assert_eq!(std::fs::read(save_dir.join("profile")).unwrap(), b"export X=1");
    std::fs::write(save_dir.join("profile"), b"mine").unwrap();

    let out = tidings(p, &["message", "save", "--account", "pop", &figures, "--dir", target]);
    assert!(out.status.success(), "{}", text(&out));
    let printed: Vec<String> = text(&out).lines().map(str::to_string).collect();
    assert_eq!(
        printed,
        [
            save_dir.join("report (2).pdf").display().to_string(),
            save_dir.join("profile (2)").display().to_string()
        ]
    );
    assert_eq!(std::fs::read(save_dir.join("report (2).pdf")).unwrap(), b"%PDF-1.4\n");
    assert_eq!(std::fs::read(save_dir.join("profile")).unwrap(), b"mine");
    assert_eq!(std::fs::read_dir(&save_dir).unwrap().count(), 4);
}

#[test]
fn a_body_that_cannot_be_fetched_and_a_missing_message_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    profile_with_mail(dir.path());
    let p = dir.path();
    let list = json(&tidings(p, &["message", "list", "--account", "pop", "--json"]));

    // Only its header is stored, and there is no password to fetch the rest with
    // (tests/cli_message_fetch.rs fetches it from a server).
    let big = id_of(&list, "Big one");
    let out = tidings(p, &["message", "show", "--account", "pop", &big]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("no incoming password is stored") || t.contains("no secret service is reachable"),
        "{t}"
    );

    let out = tidings(p, &["message", "show", "--account", "pop", "9999", "--json"]);
    assert!(!out.status.success());
    let e = json(&out);
    assert_eq!(e["ok"], false);
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("9999")), "{e}");
    let out = tidings(p, &["message", "list", "--account", "nobody"]);
    assert!(text(&out).contains("there is no account \"nobody\""), "{}", text(&out));
    let out = tidings(p, &["message", "list", "--account", "pop", "--folder", "Nope"]);
    assert!(text(&out).contains("has no folder \"Nope\""), "{}", text(&out));
}
