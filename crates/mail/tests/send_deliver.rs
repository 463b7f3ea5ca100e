//! Sending against the testkit's real Postfix and Dovecot: a message with a non-ASCII
//! subject and a binary attachment reaches bob intact and alice's Sent holds exactly the
//! submitted bytes; a wrong password keeps the message in the Outbox with the server's 535
//! and the fixed password delivers exactly one copy; implicit TLS (465-style); several
//! messages oldest first with progress; two flushes of the same account at once (the
//! window and `tidings send`) submit and file each message once; a POP3 account's local
//! Sent folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod send_common;

use std::sync::Mutex;

use send_common::*;
use tidings_mail::Kind;
use tidings_mail::account::{Incoming, Security};
use tidings_mail::auth::Credential;
use tidings_mail::net::Transcript;
use tidings_mail::outbox::{OutboxState, OutboxStatus};
use tidings_mail::send::{SendProgress, flush_outbox};
use tidings_mail::store::{Role, Sort};

#[tokio::test]
async fn non_ascii_subject_and_binary_attachment_arrive_intact_and_sent_is_byte_identical() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let account = account(&s, alice, Security::StartTls);
    let attachment = binary(150_000, 7);
    let subject = "Grüße aus Köln — ünïcødé ✓";
    let m = message(alice, &bob.email, subject, &attachment);
    let sent_bytes = m.raw.clone();
    let item = enqueue(&st, &account, m).await;
    assert_eq!(item.state, OutboxState::Queued);
    assert_eq!(item.subject.as_deref(), Some(subject));

    let transcript = Transcript::new();
    let seen = Mutex::new(Vec::new());
    let progress = |p: &SendProgress| seen.lock().unwrap().push((p.bytes_sent, p.bytes_total));
    let report = flush_outbox(&st, &account, &passwords(alice), &transcript, &progress).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.sent.len(), 1);
    assert!(report.sent[0].reply.starts_with("250"), "{:?}", report.sent[0].reply);
    assert!(report.sent[0].filed);
    assert_eq!(report.filed, 1);
    assert!(outbox_of(&st, &account).await.is_empty(), "the message left the Outbox");
    // Progress went up to the whole size, in several steps (64 KiB pieces).
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), (sent_bytes.len() as u64, sent_bytes.len() as u64));
    // No password in the transcript; the message text shows as its size only, after DATA and
    // in the APPEND of the Sent copy.
    let text = transcript.render();
    assert!(!text.contains(&alice.password), "password in the transcript");
    assert!(text.contains("STARTTLS") && text.contains("AUTH PLAIN <redacted>"), "{text}");
    assert!(text.contains("C: DATA") && text.contains("bytes of message data not shown>"), "{text}");
    assert!(
        !text.contains("Content-Transfer-Encoding") && !text.contains("Subject:"),
        "mail in the transcript: {text}"
    );

    assert_eq!(wait_for(&s, bob, "INBOX", 1), 1, "exactly one copy delivered");
    let inbox = fetch_folder(&s, bob, "INBOX").await;
    let got = mail_parser::MessageParser::new().parse(&inbox[0].0).unwrap();
    assert_eq!(got.subject(), Some(subject));
    let att = got.attachments().next().expect("the attachment arrived");
    assert_eq!(att.contents(), &attachment[..], "attachment bytes equal");
    assert_eq!(got.message_id().map(|i| format!("<{i}>")), Some(item.message_id.clone()));

    let sent = fetch_folder(&s, alice, "Sent").await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].0 == sent_bytes, "alice's Sent holds exactly the submitted bytes");
    assert!(sent[0].1.iter().any(|f| f.contains("Seen")), "{:?}", sent[0].1);
}

#[tokio::test]
async fn a_wrong_password_keeps_the_message_with_the_535_and_the_fixed_one_delivers_once() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let account = account(&s, alice, Security::StartTls);
    let m = message(alice, &bob.email, "second try", b"x");
    let id = m.message_id.clone();
    enqueue(&st, &account, m).await;

    let mut wrong = passwords(alice);
    wrong.outgoing = Credential::password(&alice.login, "not-the-password");
    let report = flush(&st, &account, &wrong).await;
    assert!(report.sent.is_empty());
    assert_eq!(report.failed.len(), 1);
    let e = &report.failed[0].error;
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert!(e.server_words().unwrap_or("").starts_with("535"), "{e}");
    let items = outbox_of(&st, &account).await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!((item.state, item.attempts), (OutboxState::Queued, 1));
    assert_eq!(item.status(0), OutboxStatus::Waiting);
    let last = item.last_error.as_ref().unwrap();
    assert_eq!(last.kind, Kind::Auth);
    assert!(last.server.as_deref().unwrap_or("").starts_with("535"), "{last:?}");
    assert!(item.reason(0).unwrap().contains("535"), "{:?}", item.reason(0));

    let report = flush(&st, &account, &passwords(alice)).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.sent.len(), 1);
    assert!(outbox_of(&st, &account).await.is_empty());
    assert_eq!(wait_for(&s, bob, "INBOX", 1), 1);
    assert_eq!(message_ids(&s, bob, "INBOX").await.get(&id), Some(&1), "exactly one copy");
    // Nothing left to send: a third flush does nothing.
    let report = flush(&st, &account, &passwords(alice)).await;
    assert!(report.ok() && report.sent.is_empty() && report.filed == 0, "{report:?}");
    assert_eq!(wait_for(&s, bob, "INBOX", 1), 1);
}

/// Two flushes of one account at the same time, on two connections to the store (as the
/// window and `tidings send` have): each message is submitted once (the claim) and its Sent
/// copy stored once (the lease on filing, then the search by Message-ID).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_flushes_at_once_submit_and_file_each_message_once() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (store(dir.path()), store(dir.path()));
    let account = account(&s, alice, Security::StartTls);
    let mut ids = Vec::new();
    for n in 0..4 {
        let m = message(alice, &bob.email, &format!("both {n}"), &binary(2000, n));
        ids.push(enqueue(&one, &account, m).await.message_id);
    }
    let pw = passwords(alice);
    let (a, b) = tokio::join!(flush(&one, &account, &pw), flush(&two, &account, &pw));
    assert!(a.failed.is_empty() && b.failed.is_empty(), "{a:?} {b:?}");
    assert_eq!(a.sent.len() + b.sent.len(), ids.len(), "each submitted once: {a:?} {b:?}");
    assert_eq!(a.filed + b.filed, ids.len(), "each filed once: {a:?} {b:?}");
    let in_sent = message_ids(&s, alice, "Sent").await;
    assert!(ids.iter().all(|i| in_sent.get(i) == Some(&1)), "one copy each in Sent: {in_sent:?}");
    assert!(outbox_of(&one, &account).await.is_empty());
}

#[tokio::test]
async fn implicit_tls_sends_several_oldest_first() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let account = account(&s, alice, Security::Implicit);
    let mut ids = Vec::new();
    for n in 0..3 {
        let m = message(alice, &bob.email, &format!("number {n}"), &binary(1000, n));
        ids.push(enqueue(&st, &account, m).await.message_id);
    }
    let report = flush(&st, &account, &passwords(alice)).await;
    assert!(report.ok(), "{report:?}");
    let order: Vec<String> = report.sent.iter().map(|s| s.message_id.clone()).collect();
    assert_eq!(order, ids, "oldest first");
    assert_eq!(wait_for(&s, bob, "INBOX", 3), 3);
    let in_sent = message_ids(&s, alice, "Sent").await;
    assert!(ids.iter().all(|i| in_sent.get(i) == Some(&1)), "{in_sent:?}");
}

#[tokio::test]
async fn a_pop3_account_keeps_its_sent_copy_in_the_local_sent_folder() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let mut account = account(&s, alice, Security::StartTls);
    account.incoming_protocol = Incoming::Pop3;
    account.incoming.port = s.pop3s_port();
    let m = message(alice, &bob.email, "from a POP3 account", b"pop");
    let raw = m.raw.clone();
    enqueue(&st, &account, m).await;
    let report = flush(&st, &account, &passwords(alice)).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.filed, 1);
    assert!(outbox_of(&st, &account).await.is_empty());
    let key = account.id.clone();
    let (rows, body) = st
        .call(move |s| {
            let a = s.account(&key)?;
            let sent = s.folders(a)?.into_iter().find(|f| f.role == Some(Role::Sent)).unwrap();
            let rows = s.list(sent.id, Sort::NEWEST, 0, 10)?;
            let body = s.body(sent.id, 1, rows[0].uid)?;
            Ok((rows, body))
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].summary.subject.as_deref(), Some("from a POP3 account"));
    assert!(rows[0].flags.seen(), "{:?}", rows[0].flags);
    assert!(body.as_deref() == Some(&raw[..]), "the local Sent copy is the submitted bytes");
    // Nothing went to the server's Sent folder.
    assert_eq!(s.message_count(alice, "Sent").unwrap(), 0);
    assert_eq!(wait_for(&s, bob, "INBOX", 1), 1);
}
