//! `tidings send` and `tidings outbox`, the real binary against the testkit's Postfix and
//! Dovecot, passwords in a real Secret Service (run under `scripts/with-keyring`): a quick
//! message with an attachment, a .eml from standard input with its Bcc kept private, a
//! wrong password (exit 1, the auth kind and the server's 535; the message stays in the
//! Outbox), and errors without any server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;

use cli_common::{json, need_keyring, servers, text};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_testkit::{MailServers, User};

fn tidings(profile: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    cli_common::run(profile, args, stdin)
}

/// `account add` of an account `name` for `user` (IMAP over TLS, submission with STARTTLS)
/// with `password`. Names differ between tests: the keyring is shared by the whole run.
fn add_account(s: &MailServers, profile: &Path, name: &str, user: &User, password: &str) {
    add_account_with(s, profile, name, user, password, &[]);
}

/// `add_account` with more flags (`--sender-name`, `--identity`…).
fn add_account_with(s: &MailServers, profile: &Path, name: &str, user: &User, password: &str, more: &[&str]) {
    let (imaps, sub) = (s.imaps_port().to_string(), s.submission_port().to_string());
    let args = [
        "account",
        "add",
        "--name",
        name,
        "--email",
        &user.email,
        "--incoming",
        "imap",
        "--host",
        "127.0.0.1",
        "--port",
        &imaps,
        "--tls",
        "implicit",
        "--user",
        &user.login,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &sub,
        "--smtp-tls",
        "starttls",
        "--ca-file",
        s.ca_path().to_str().unwrap(),
        "--password-stdin",
    ];
    let args: Vec<&str> = args.iter().chain(more).copied().collect();
    let out = tidings(profile, &args, Some(format!("{password}\n").as_bytes()));
    assert!(out.status.success(), "{}", text(&out));
}

/// Every message of `folder`, raw, over IMAP.
async fn fetch(s: &MailServers, user: &User, folder: &str) -> Vec<Vec<u8>> {
    let mut ep = Endpoint::new(s.host(), s.imaps_port(), Security::Implicit);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    let (t, mut facts) = (Transcript::new(), SessionFacts::default());
    let lc = tidings_mail::imap::open(&ep, &t, &mut facts).await.unwrap();
    let mut session =
        tidings_mail::imap::login(lc, &ep, &Credential::password(&user.login, &user.password), &mut facts)
            .await
            .unwrap();
    let mailbox = session.select(folder).await.unwrap();
    let mut out = Vec::new();
    if mailbox.exists > 0 {
        let fetched: Vec<_> = session.fetch("1:*", "BODY.PEEK[]").await.unwrap().try_collect().await.unwrap();
        out = fetched.iter().map(|f| f.body().unwrap_or_default().to_vec()).collect();
    }
    let _ = session.logout().await;
    out
}

/// Waits for `n` messages in `folder`, then for Postfix's queue to be empty: the count is
/// final (a doubled message would be delivered or still queued by then).
fn wait_for(s: &MailServers, user: &User, folder: &str, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && s.message_count(user, folder).unwrap_or(0) < n {
        std::thread::sleep(Duration::from_millis(50));
    }
    s.wait_queue_empty(Duration::from_secs(20)).unwrap_or_else(|e| panic!("{e}"));
    s.message_count(user, folder).unwrap_or_else(|e| panic!("cannot count {folder}: {e}"))
}

#[tokio::test]
async fn a_quick_message_with_an_attachment_is_sent_and_filed() {
    need_keyring();
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    add_account(&s, &profile, "cli-quick", alice, &alice.password);
    let attachment: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let file = dir.path().join("report.bin");
    std::fs::write(&file, &attachment).unwrap();
    let args = [
        "send",
        "--account",
        "cli-quick",
        "--to",
        "Bob <bob@example.test>",
        "--subject",
        "Grüße vom Terminal",
        "--body",
        "Hello Bob,\nthe report is attached.\n",
        "--attach",
        file.to_str().unwrap(),
        "--json",
    ];
    let out = tidings(&profile, &args, None);
    assert!(out.status.success(), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["state"], "sent");
    assert_eq!(v["filed"], true);
    assert!(v["reply"].as_str().unwrap().starts_with("250"), "{v}");
    let message_id = v["message_id"].as_str().unwrap().to_string();
    assert!(message_id.starts_with('<') && message_id.ends_with("@example.test>"), "{message_id}");
    assert!(!text(&out).contains(&alice.password));

    assert_eq!(wait_for(&s, bob, "INBOX", 1), 1);
    let got = fetch(&s, bob, "INBOX").await;
    let parsed = mail_parser::MessageParser::new().parse(&got[0]).unwrap();
    assert_eq!(parsed.subject(), Some("Grüße vom Terminal"));
    assert_eq!(parsed.message_id().map(|i| format!("<{i}>")), Some(message_id));
    assert_eq!(parsed.attachments().next().unwrap().contents(), &attachment[..]);
    assert_eq!(fetch(&s, alice, "Sent").await.len(), 1);

    let out = tidings(&profile, &["outbox", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["outbox"].as_array().unwrap().len(), 0);
    // Text output of an empty send: nothing queued.
    let out = tidings(&profile, &["send", "--account", "cli-quick"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Outbox of cli-quick is empty"), "{}", text(&out));
}

#[tokio::test]
async fn a_quick_message_goes_out_from_the_chosen_identity_with_its_name() {
    need_keyring();
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let more = [
        "--sender-name",
        "Alice Example",
        "--identity",
        "Sales <sales@example.test>",
        "--identity",
        "help@example.test",
    ];
    add_account_with(&s, &profile, "cli-ident", alice, &alice.password, &more);
    let send = |from: Option<&str>, subject: &str| {
        let mut args = vec![
            "send",
            "--account",
            "cli-ident",
            "--to",
            "bob@example.test",
            "--subject",
            subject,
            "--json",
        ];
        if let Some(from) = from {
            args.extend(["--from", from]);
        }
        tidings(&profile, &args, None)
    };
    for (from, subject) in
        [(None, "own"), (Some("SALES@example.test"), "sales"), (Some("help@example.test"), "help")]
    {
        let out = send(from, subject);
        assert!(out.status.success(), "{}", text(&out));
    }
    // Not one of the account's addresses: refused before anything is queued.
    let out = send(Some("boss@example.test"), "nope");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(json(&out)["error"]["kind"], "config");
    let said = json(&out)["error"]["message"].as_str().unwrap().to_string();
    assert!(said.contains("boss@example.test") && said.contains("sales@example.test"), "{said}");

    assert_eq!(wait_for(&s, bob, "INBOX", 3), 3);
    let mut froms: Vec<(String, String)> = fetch(&s, bob, "INBOX")
        .await
        .iter()
        .map(|raw| {
            let m = mail_parser::MessageParser::new().parse(raw).unwrap();
            let from = m.from().and_then(|a| a.first()).unwrap();
            let shown = format!("{} <{}>", from.name().unwrap_or(""), from.address().unwrap_or(""));
            (m.subject().unwrap_or("").to_string(), shown)
        })
        .collect();
    froms.sort();
    assert_eq!(
        froms,
        [
            ("help".to_string(), "Alice Example <help@example.test>".to_string()),
            ("own".to_string(), "Alice Example <alice@example.test>".to_string()),
            ("sales".to_string(), "Sales <sales@example.test>".to_string()),
        ]
    );
    // --from without a quick message: refused, not ignored.
    let out = tidings(
        &profile,
        &["send", "--account", "cli-ident", "--from", "sales@example.test", "--json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(json(&out)["error"]["message"].as_str().unwrap().contains("--from is for a quick message"));
    // An account listing its own address again as another: refused, nothing added.
    let args = ["account", "add", "--name", "twice", "--email", "a@example.test", "--host", "127.0.0.1"];
    let args: Vec<&str> =
        args.iter().copied().chain(["--identity", "A@example.test", "--password-stdin", "--json"]).collect();
    let out = tidings(&profile, &args, Some(b"pw\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(json(&out)["error"]["message"].as_str().unwrap().contains("listed twice"), "{}", text(&out));
    // The account list shows them (JSON: the account as saved).
    let out = tidings(&profile, &["account", "list", "--json"], None);
    let listed = text(&out);
    assert!(listed.contains("Alice Example") && listed.contains("sales@example.test"), "{listed}");
}

#[tokio::test]
async fn a_message_file_on_standard_input_keeps_its_bcc_private() {
    need_keyring();
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    add_account(&s, &profile, "cli-stdin", alice, &alice.password);
    let eml = b"From: Alice <alice@example.test>\nTo: alice@example.test\nBcc: bob@example.test\nSubject: quiet copy\n\nOnly Bob knows.\n";
    let out = tidings(&profile, &["send", "--account", "cli-stdin", "-"], Some(eml));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("the server said: 250"), "{}", text(&out));
    assert_eq!(wait_for(&s, bob, "INBOX", 1), 1, "Bcc delivered");
    assert_eq!(wait_for(&s, alice, "INBOX", 1), 1, "To delivered");
    let to_bob = String::from_utf8(fetch(&s, bob, "INBOX").await.remove(0)).unwrap();
    assert!(!to_bob.contains("Bcc:"), "{to_bob}");
    let sent = fetch(&s, alice, "Sent").await;
    assert_eq!(sent.len(), 1);
    let sent = String::from_utf8(sent[0].clone()).unwrap();
    assert!(!sent.contains("Bcc") && sent.contains("\r\nSubject: quiet copy\r\n"), "{sent}");
    assert!(sent.contains("Message-ID: <") && sent.contains("Date: "), "added when missing: {sent}");
}

#[tokio::test]
async fn a_wrong_password_exits_with_the_auth_kind_and_keeps_the_message() {
    need_keyring();
    let s = servers();
    let alice = s.user("alice");
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    add_account(&s, &profile, "cli-wrong", alice, "wrong-password-here");
    let args = ["send", "--account", "cli-wrong", "--to", "bob@example.test", "--subject", "x", "--json"];
    let out = tidings(&profile, &args, None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v = json(&out);
    assert_eq!((v["ok"].as_bool(), v["state"].as_str()), (Some(false), Some("queued")), "{v}");
    assert_eq!(v["error"]["kind"], "auth");
    assert!(v["error"]["server"].as_str().unwrap().starts_with("535"), "{v}");
    let id = v["outbox_id"].as_i64().unwrap();

    let out = tidings(&profile, &["outbox"], None);
    assert!(out.status.success(), "{}", text(&out));
    let listed = text(&out);
    assert!(listed.contains("not sent: ") && listed.contains("535"), "{listed}");
    let out = tidings(&profile, &["send", "--account", "cli-wrong"], None);
    assert_eq!(out.status.code(), Some(1), "still failing: {}", text(&out));
    assert!(text(&out).contains("still in the Outbox"), "{}", text(&out));

    // Held messages only can be confirmed; this one is just waiting.
    let out = tidings(&profile, &["outbox", "resend", &id.to_string(), "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["kind"], "config");
    let out = tidings(&profile, &["outbox", "remove", &id.to_string()], None);
    assert!(out.status.success(), "{}", text(&out));
    let out = tidings(&profile, &["outbox", "--json"], None);
    assert_eq!(json(&out)["outbox"].as_array().unwrap().len(), 0);
}

#[test]
fn bad_input_is_a_config_error_and_queues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = tidings(dir.path(), &["send", "--json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(json(&out)["error"]["kind"], "config");
    assert!(json(&out)["error"]["message"].as_str().unwrap().contains("no account"));
    let out = tidings(dir.path(), &["send", "--account", "nobody", "--to", "a@b.test"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("there is no account \"nobody\""), "{}", text(&out));
}
