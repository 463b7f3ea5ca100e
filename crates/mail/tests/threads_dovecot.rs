//! Conversations from a real Dovecot: a question in INBOX, one's own reply in Sent and the
//! answer to it in INBOX sync into one thread; a message with the same subject but no
//! link to them stays apart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::imap;
use tidings_mail::net::Transcript;
use tidings_mail::store::{Sort, Store, StoreHandle};
use tidings_mail::sync::{Engine, no_progress};

fn mail(id: &str, headers: &str, subject: &str, day: u32) -> Vec<u8> {
    format!(
        "From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Date: {day:02} Mar 2024 10:00:00 +0000\r\nMessage-ID: <{id}>\r\n{headers}\r\nbody of {id}\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_reply_in_sent_joins_the_thread_of_the_inbox_message() {
    let s = common::servers();
    let alice = s.user("alice");
    s.deliver(alice, &mail("q@example.test", "", "Dinner", 1)).unwrap();
    s.deliver(alice, &mail("lookalike@example.test", "", "Re: Dinner", 2)).unwrap();
    s.deliver(
        alice,
        &mail(
            "a@example.test",
            "In-Reply-To: <r@example.test>\r\nReferences: <q@example.test> <r@example.test>\r\n",
            "Re: Dinner",
            4,
        ),
    )
    .unwrap();
    // One's own reply, as a client stores it in Sent.
    let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
    let mut facts = SessionFacts::default();
    let lc = imap::open(&ep, &Transcript::new(), &mut facts).await.unwrap();
    let mut session =
        imap::login(lc, &ep, &Credential::password(&alice.login, &alice.password), &mut facts).await.unwrap();
    let reply = mail(
        "r@example.test",
        "In-Reply-To: <q@example.test>\r\nReferences: <q@example.test>\r\n",
        "Re: Dinner",
        3,
    );
    session.append("Sent", Some("(\\Seen)"), None, &reply).await.unwrap();
    session.logout().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let mut engine = Engine::with_endpoint(
        alice.login.clone(),
        ep,
        alice.login.clone(),
        alice.password.clone(),
        store,
        Transcript::new(),
    );
    let report = engine.sync_account(&no_progress).await.unwrap();
    assert!(report.ok(), "{report:?}");

    let mut reader = Store::open(&path).unwrap();
    let account = reader.account(&alice.login).unwrap();
    let inbox = reader.folder(account, "INBOX").unwrap().unwrap().id;
    let sent = reader.folder(account, "Sent").unwrap().unwrap().id;
    let list = reader.threads(inbox, Sort::NEWEST, 50, 0).unwrap();
    assert_eq!(list.len(), 2, "the conversation and the lookalike: {list:?}");
    let conversation = &list[0];
    assert_eq!(conversation.newest.summary.message_id.as_deref(), Some("a@example.test"));
    assert_eq!((conversation.count, conversation.unread), (2, 2));
    let msgs = reader.thread_messages(conversation.thread).unwrap();
    let found: Vec<(&str, bool)> =
        msgs.iter().map(|m| (m.row.summary.message_id.as_deref().unwrap(), m.folder == sent)).collect();
    assert_eq!(found, [("q@example.test", false), ("r@example.test", true), ("a@example.test", false)]);
    let lookalike = &list[1];
    assert_eq!(lookalike.count, 1);
    assert_ne!(lookalike.thread, conversation.thread);
}
