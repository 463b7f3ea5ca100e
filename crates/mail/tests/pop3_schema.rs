//! Schema version 3 (POP3) arrives on a version 2 store without touching what it holds, and
//! its trigger marks only POP3 messages when rows are deleted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rusqlite::Connection;
use tidings_mail::store::schema::{self, MIGRATIONS};
use tidings_mail::store::{MailAction, Pop3Batch, Sort, Store};

#[test]
fn a_version_2_store_gains_the_pop3_tables_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(schema::migrate(&mut conn, "v2", &MIGRATIONS[..2]).unwrap(), 2);
        conn.execute_batch(
            "INSERT INTO accounts (key) VALUES ('imap');
             INSERT INTO folders (account, name, role, uidvalidity) VALUES (1, 'INBOX', 'inbox', 7);
             INSERT INTO messages (folder, uidvalidity, uid, unread, flagged, answered, size, sort_date,
                 sender_sort, subject, subject_sort)
             VALUES (1, 7, 42, 1, 0, 0, 100, 0, '', 'kept', 'kept');
             INSERT INTO pending_actions (account, op, created_at)
             VALUES (1, '{\"kind\":\"create-folder\",\"name\":\"X\"}', 0);",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest());
    let imap = store.account("imap").unwrap();
    let inbox = store.folder(imap, "INBOX").unwrap().unwrap();
    let rows = store.list(inbox.id, Sort::NEWEST, 0, 10).unwrap();
    assert_eq!((rows.len(), rows[0].uid, rows[0].summary.subject.as_deref()), (1, 42, Some("kept")));
    assert_eq!(store.pending_actions(imap).unwrap().len(), 1);
    assert!(!store.is_local_account(imap).unwrap());

    // A POP3 account beside it; deleting the IMAP message marks nothing.
    let pop = store.account("pop").unwrap();
    let pop_inbox = store.pop3_setup(pop).unwrap();
    let mut batch = Pop3Batch::default();
    let raw = b"Subject: hi\r\nMessage-ID: <p1@example.test>\r\n\r\nbody\r\n";
    batch.push("p1", raw.len() as u64, raw, false);
    store.pop3_commit(pop, pop_inbox, batch, 1).unwrap();
    store.queue_action(imap, &MailAction::Delete { folder: inbox.id, uids: vec![42] }).unwrap();
    assert!(store.pop3_seen(pop).unwrap().values().all(|s| !s.deleted_locally));
    store.check_integrity().unwrap();
    drop(store);
    // Opening again is a no-op.
    assert_eq!(Store::open(&path).unwrap().schema_version().unwrap(), schema::latest());
}
