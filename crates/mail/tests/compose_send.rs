//! A message built by the composer, sent through the Outbox to real Postfix and Dovecot:
//! bob receives it intact (non-ASCII subject decoded, attachment bytes equal, no Bcc), alice
//! (Bcc) receives it too, and alice's Sent copy is byte for byte what was submitted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "send_common/mod.rs"]
mod send_common;

use mail_parser::{MessageParser, MimeHeaders};
use send_common::{account, binary, fetch_folder, flush, passwords, servers, store, wait_for};
use tidings_mail::account::Security;
use tidings_mail::compose::{self, Address, Attachment, NewMessage, ReplyKind};
use tidings_mail::outbox;

#[tokio::test]
async fn a_composed_message_arrives_intact_and_sent_holds_the_same_bytes() {
    let s = servers();
    let (alice, bob) = (s.user("alice").clone(), s.user("bob").clone());
    let acc = account(&s, &alice, Security::StartTls);
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let data = binary(300_000, 7);
    let msg = NewMessage {
        from: Address::new(Some("Alice Ätherton"), &alice.email),
        to: vec![Address::new(Some("Bob Brœckmann"), &bob.email)],
        // Alice keeps a blind copy: in the envelope, never in the bytes.
        bcc: vec![Address::email(&alice.email)],
        subject: "Grüße — 日本語".into(),
        body: "Hello Bob,\n.a line with a leading dot\n\nAlice\n".into(),
        attachments: vec![Attachment::new("dätä.bin", "application/octet-stream", data.clone())],
        ..NewMessage::default()
    };
    let built = compose::build(&msg).unwrap();
    let sent_bytes = built.bytes.clone();
    outbox::enqueue(&st, &acc.id, built.clone().into_outgoing()).await.unwrap();
    let report = flush(&st, &acc, &passwords(&alice)).await;
    assert!(report.ok(), "{report:?}");

    assert_eq!(wait_for(&s, &bob, "INBOX", 1), 1);
    assert_eq!(wait_for(&s, &alice, "INBOX", 1), 1, "the Bcc recipient gets it too");
    let (raw, _) = fetch_folder(&s, &bob, "INBOX").await.remove(0);
    let got = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(got.subject(), Some("Grüße — 日本語"));
    assert_eq!(got.message_id().map(|i| format!("<{i}>")), Some(built.message_id.clone()));
    assert_eq!(got.body_text(0).unwrap().replace("\r\n", "\n"), msg.body);
    let part = got.attachment(0).unwrap();
    assert_eq!(part.attachment_name(), Some("dätä.bin"));
    assert_eq!(part.contents(), &data[..], "attachment bytes equal");
    assert!(got.bcc().is_none());
    let headers = String::from_utf8_lossy(&raw).split("\r\n\r\n").next().unwrap_or_default().to_string();
    // No Bcc field (a random Message-ID or boundary may well contain the letters "bcc").
    assert!(
        !headers.split("\r\n").any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "Bcc stays private: {headers}"
    );

    let sent = fetch_folder(&s, &alice, "Sent").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, sent_bytes, "Sent holds exactly the submitted bytes");
}

#[tokio::test]
async fn a_reply_built_from_the_received_message_threads_and_reaches_the_sender() {
    let s = servers();
    let (alice, bob) = (s.user("alice").clone(), s.user("bob").clone());
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let acc = account(&s, &alice, Security::StartTls);
    let first = NewMessage {
        from: Address::new(Some("Alice"), &alice.email),
        to: vec![Address::email(&bob.email)],
        subject: "Plan".into(),
        body: "Shall we?\n".into(),
        ..NewMessage::default()
    };
    let first = compose::build(&first).unwrap();
    outbox::enqueue(&st, &acc.id, first.clone().into_outgoing()).await.unwrap();
    assert!(flush(&st, &acc, &passwords(&alice)).await.ok());
    assert_eq!(wait_for(&s, &bob, "INBOX", 1), 1);

    // Bob replies to what he received.
    let (raw, _) = fetch_folder(&s, &bob, "INBOX").await.remove(0);
    let original = compose::Original::parse(&raw).unwrap();
    let reply = compose::reply(&original, ReplyKind::All, &Address::email(&bob.email), &[]);
    assert_eq!(reply.to, vec![Address::new(Some("Alice"), &alice.email)]);
    assert!(reply.body.contains("Alice wrote:\n> Shall we?\n"), "{}", reply.body);
    let built = compose::build(&reply).unwrap();
    let bob_acc = account(&s, &bob, Security::StartTls);
    outbox::enqueue(&st, &bob_acc.id, built.into_outgoing()).await.unwrap();
    assert!(flush(&st, &bob_acc, &passwords(&bob)).await.ok());
    assert_eq!(wait_for(&s, &alice, "INBOX", 1), 1);
    let (raw, _) = fetch_folder(&s, &alice, "INBOX").await.remove(0);
    let got = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(got.subject(), Some("Re: Plan"));
    let first_id = first.message_id.trim_matches(['<', '>']);
    assert_eq!(got.in_reply_to().as_text(), Some(first_id));
}
