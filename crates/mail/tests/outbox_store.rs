//! The Outbox in the store: schema version 4 arrives on a version 3 store without touching
//! what it holds; the state machine's rules (a row claimed once, acceptance recorded,
//! confirmation only for held rows, nothing removed while a send runs) and that every state
//! survives closing and reopening the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rusqlite::Connection;
use tidings_mail::Kind;
use tidings_mail::error::Error;
use tidings_mail::outbox::{OutboxState, OutboxStatus, Outgoing};
use tidings_mail::store::schema::{self, MIGRATIONS};
use tidings_mail::store::{Pop3Batch, Sort, Store};

fn note(n: u32) -> Outgoing {
    let raw = format!("From: a@example.test\nTo: b@example.test\nSubject: note {n}\n\nhello\n");
    Outgoing::from_message(raw.as_bytes(), "a@example.test").unwrap()
}

#[test]
fn a_version_3_store_gains_the_outbox_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(schema::migrate(&mut conn, "v3", &MIGRATIONS[..3]).unwrap(), 3);
        conn.execute_batch(
            "INSERT INTO accounts (key) VALUES ('pop');
             INSERT INTO pop3_accounts (account) VALUES (1);",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest());
    let pop = store.account("pop").unwrap();
    let inbox = store.pop3_setup(pop).unwrap();
    let mut batch = Pop3Batch::default();
    let raw = b"Subject: kept\r\nMessage-ID: <k@example.test>\r\n\r\nbody\r\n";
    batch.push("k1", raw.len() as u64, raw, false);
    store.pop3_commit(pop, inbox, batch, 1).unwrap();
    assert!(store.outbox_list(None).unwrap().is_empty());
    let item = store.outbox_enqueue("pop", &note(1)).unwrap();
    assert_eq!((item.account.as_str(), item.state, item.attempts), ("pop", OutboxState::Queued, 0));
    assert_eq!(item.subject.as_deref(), Some("note 1"));
    assert_eq!(store.list(inbox, Sort::NEWEST, 0, 10).unwrap().len(), 1);
    store.check_integrity().unwrap();
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest());
    assert_eq!(store.outbox_list(Some("pop")).unwrap().len(), 1, "the queued message survived");
}

#[test]
fn the_state_machine_holds_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let mut store = Store::open(&path).unwrap();
    let first = note(1);
    let a = store.outbox_enqueue("acct", &first).unwrap();
    assert_eq!(a.message_id, first.message_id);
    let b = store.outbox_enqueue("acct", &note(2)).unwrap();
    let c = store.outbox_enqueue("other", &note(3)).unwrap();
    assert_eq!(
        store.outbox_list(Some("acct")).unwrap().iter().map(|i| i.id).collect::<Vec<_>>(),
        [a.id, b.id]
    );
    assert_eq!(store.outbox_list(None).unwrap().len(), 3);

    // Claimed once only; while this process runs it, it is "sending" and cannot be removed
    // or confirmed.
    let far = i64::MAX / 4;
    assert!(store.outbox_claim(a.id, far).unwrap());
    assert!(!store.outbox_claim(a.id, far).unwrap(), "a second sender cannot take it");
    let item = store.outbox_item(a.id).unwrap().unwrap();
    assert_eq!(
        (item.state, item.attempts, item.status(0)),
        (OutboxState::Submitting, 1, OutboxStatus::Sending)
    );
    assert_eq!(store.outbox_remove(a.id).unwrap_err().kind(), Kind::Config);
    assert_eq!(store.outbox_confirm_resend(a.id).unwrap_err().kind(), Kind::Config);
    store.outbox_accepted(a.id, "250 2.0.0 Ok: queued as X").unwrap();

    // A definite failure returns to the queue with the server's words; an unclear one holds.
    assert!(store.outbox_claim(b.id, far).unwrap());
    let refused = Error::new(Kind::RefusedByServer, "refused").with_server("554 5.7.1 Relay access denied");
    store.outbox_failed(b.id, &refused, true).unwrap();
    assert!(store.outbox_claim(c.id, far).unwrap());
    store.outbox_failed(c.id, &Error::new(Kind::Network, "cut"), false).unwrap();
    drop(store);

    let mut store = Store::open(&path).unwrap();
    let a = store.outbox_item(a.id).unwrap().unwrap();
    assert_eq!((a.state, a.reply.as_deref()), (OutboxState::Accepted, Some("250 2.0.0 Ok: queued as X")));
    assert_eq!(a.status(0), OutboxStatus::SentNotFiled);
    // One flush at a time stores the Sent copy: the lease is taken once; a failed copy gives
    // it back.
    assert!(store.outbox_lease_copy(a.id, far).unwrap());
    assert!(!store.outbox_lease_copy(a.id, far).unwrap(), "a second flush does not store it too");
    store.outbox_filing_failed(a.id, &Error::new(Kind::Network, "cut")).unwrap();
    assert!(store.outbox_lease_copy(a.id, far).unwrap());
    // An accepted row cannot be marked accepted again (no row is being submitted).
    assert_eq!(store.outbox_accepted(a.id, "250 again").unwrap_err().kind(), Kind::Storage);
    let b = store.outbox_item(b.id).unwrap().unwrap();
    assert_eq!((b.state, b.attempts), (OutboxState::Queued, 1));
    let e = b.last_error.as_ref().unwrap();
    assert_eq!((e.kind, e.server.as_deref()), (Kind::RefusedByServer, Some("554 5.7.1 Relay access denied")));
    let c = store.outbox_item(c.id).unwrap().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert_eq!((c.state, c.status(now)), (OutboxState::Submitting, OutboxStatus::MaybeSent));
    // Only the held one can be confirmed.
    assert_eq!(store.outbox_confirm_resend(b.id).unwrap_err().kind(), Kind::Config);
    assert_eq!(store.outbox_confirm_resend(c.id).unwrap().state, OutboxState::Queued);
    // The raw bytes are kept exactly; filing ends the row.
    assert!(store.outbox_raw(a.id).unwrap().unwrap() == first.raw);
    store.outbox_filed(a.id).unwrap();
    assert!(store.outbox_item(a.id).unwrap().is_none());
    assert!(!store.outbox_lease_copy(a.id, far).unwrap());
    // A refusal for good: kept, counted, and only the user sends it again.
    let refused = Error::new(Kind::RefusedByServer, "refused").with_server("550 5.1.1 User unknown");
    store.outbox_refused(b.id, &refused).unwrap();
    let r = store.outbox_item(b.id).unwrap().unwrap();
    assert_eq!((r.state, r.status(0), r.attempts), (OutboxState::Refused, OutboxStatus::Refused, 2));
    assert!(!store.outbox_claim(b.id, far).unwrap(), "a refused message is not sent by a flush");
    assert_eq!(store.outbox_confirm_resend(b.id).unwrap().state, OutboxState::Queued);
    assert!(store.outbox_remove(b.id).unwrap());
    assert!(!store.outbox_remove(b.id).unwrap());
    store.check_integrity().unwrap();
}

#[test]
fn bad_messages_are_refused_before_anything_is_stored() {
    let mut store = Store::open_in_memory().unwrap();
    let mut m = note(1);
    m.recipients.clear();
    assert_eq!(store.outbox_enqueue("acct", &m).unwrap_err().kind(), Kind::Config);
    let mut m = note(1);
    m.raw = b"Subject: x\n\nbare line feeds\n".to_vec();
    assert_eq!(store.outbox_enqueue("acct", &m).unwrap_err().kind(), Kind::Config);
    assert!(store.outbox_list(None).unwrap().is_empty());
}
