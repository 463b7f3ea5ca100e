//! Opening stores: a new file gets schema version 1; a version-1 file written earlier (the
//! fixture below, frozen) opens with its data; a newer schema, someone else's database and a
//! file that is not a database are refused with a storage error and left byte-for-byte alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rusqlite::Connection;
use tidings_mail::Kind;
use tidings_mail::store::{Role, Sort, Store, schema};

/// Version 1 exactly as released. A change to the schema is a new migration step, never an
/// edit of this text (the first test holds the constant to it).
const FIXTURE_V1: &str = "
CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    -- the config's account id
    key         TEXT NOT NULL UNIQUE
);

CREATE TABLE folders (
    id            INTEGER PRIMARY KEY,
    account       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- as the server spells it (modified UTF-7)
    name          TEXT NOT NULL,
    delimiter     TEXT,
    -- inbox, sent, drafts, trash, junk, archive
    role          TEXT,
    subscribed    INTEGER NOT NULL DEFAULT 0,
    selectable    INTEGER NOT NULL DEFAULT 1,
    uidvalidity   INTEGER,
    -- of the last complete sync; NULL until one finished
    uidnext       INTEGER,
    highestmodseq INTEGER,
    synced_at     INTEGER,
    UNIQUE (account, name)
);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    folder         INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uidvalidity    INTEGER NOT NULL,
    uid            INTEGER NOT NULL,
    modseq         INTEGER,
    -- canonical: sorted, space separated, no \\Recent
    flags          TEXT NOT NULL DEFAULT '',
    unread         INTEGER NOT NULL,
    flagged        INTEGER NOT NULL,
    answered       INTEGER NOT NULL,
    size           INTEGER NOT NULL,
    internal_date  INTEGER,
    date           INTEGER,
    -- date, else internal_date, else 0
    sort_date      INTEGER NOT NULL,
    from_name      TEXT,
    from_addr      TEXT,
    -- lower-cased name or address
    sender_sort    TEXT NOT NULL,
    to_addrs       TEXT,
    cc_addrs       TEXT,
    subject        TEXT,
    -- lower-cased, without Re:/Fwd:
    subject_sort   TEXT NOT NULL,
    message_id     TEXT,
    in_reply_to    TEXT,
    refs           TEXT,
    has_attachment INTEGER NOT NULL DEFAULT 0,
    -- why the header could not be read; the row is shown as an error
    parse_error    TEXT,
    UNIQUE (folder, uidvalidity, uid)
);
CREATE INDEX messages_by_date    ON messages (folder, sort_date);
CREATE INDEX messages_by_sender  ON messages (folder, sender_sort, sort_date);
CREATE INDEX messages_by_subject ON messages (folder, subject_sort, sort_date);
CREATE INDEX messages_by_size    ON messages (folder, size);
CREATE INDEX messages_unread     ON messages (folder) WHERE unread = 1;

CREATE TABLE bodies (
    message    INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    raw        BLOB NOT NULL,
    fetched_at INTEGER NOT NULL
);
";

fn write_v1_fixture(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(FIXTURE_V1).unwrap();
    conn.execute_batch(
        "INSERT INTO accounts (id, key) VALUES (1, 'alice');
         INSERT INTO folders (id, account, name, delimiter, role, subscribed, uidvalidity, uidnext, highestmodseq)
             VALUES (1, 1, 'INBOX', '/', 'inbox', 1, 1700000000, 3, 9),
                    (2, 1, 'Entw&APw-rfe', '/', 'drafts', 1, 5, 1, NULL);
         INSERT INTO messages (folder, uidvalidity, uid, flags, unread, flagged, answered, size, internal_date,
                 date, sort_date, from_name, from_addr, sender_sort, subject, subject_sort, message_id)
             VALUES (1, 1700000000, 1, '\\Seen', 0, 0, 0, 1200, 1600000000, 1600000000, 1600000000,
                     'Carol', 'carol@example.org', 'carol', 'Hello', 'hello', 'a@x'),
                    (1, 1700000000, 2, '', 1, 0, 0, 800, 1600000100, NULL, 1600000100,
                     NULL, 'dave@example.com', 'dave@example.com', 'Re: Hello', 'hello', 'b@x');
         INSERT INTO bodies (message, raw, fetched_at) VALUES (1, X'48690D0A', 1600000200);
         PRAGMA user_version = 1;",
    )
    .unwrap();
    conn.pragma_update(None, "application_id", schema::APPLICATION_ID).unwrap();
}

#[test]
fn a_new_file_gets_the_latest_version_in_wal_mode() {
    assert_eq!(schema::SCHEMA_V1, FIXTURE_V1, "released schema versions never change; add a migration step");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dirs/store.sqlite3");
    let store = Store::open(&path).unwrap();
    assert_eq!(schema::latest(), 8);
    assert_eq!(store.schema_version().unwrap(), schema::latest());
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(app, schema::APPLICATION_ID);
    // Opening again is a no-op.
    assert_eq!(Store::open(&path).unwrap().schema_version().unwrap(), schema::latest());
}

#[test]
fn a_version_1_fixture_opens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    write_v1_fixture(&path);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest());
    let account = store.account("alice").unwrap();
    // Version 2's table arrived with the migration, empty.
    assert!(store.pending_actions(account).unwrap().is_empty());
    let folders = store.folders(account).unwrap();
    assert_eq!(folders.len(), 2);
    assert_eq!(
        (folders[0].name.as_str(), folders[0].role, folders[0].uidnext),
        ("INBOX", Some(Role::Inbox), Some(3))
    );
    assert_eq!(folders[1].display_name, "Entwürfe");
    let rows = store.list(folders[0].id, Sort::NEWEST, 0, 10).unwrap();
    assert_eq!(rows.iter().map(|r| r.uid).collect::<Vec<_>>(), [2, 1]);
    assert!(rows[0].unread && !rows[1].unread && rows[1].has_body);
    assert_eq!(store.body(folders[0].id, 1_700_000_000, 1).unwrap().as_deref(), Some(&b"Hi\r\n"[..]));
    store.check_integrity().unwrap();
}

fn assert_refused_untouched(path: &Path, needle: &str) {
    let before = std::fs::read(path).unwrap();
    let e = Store::open(path).unwrap_err();
    println!("{e}");
    assert_eq!(e.kind(), Kind::Storage, "{e}");
    assert!(e.message().contains(needle), "{e}");
    assert_eq!(std::fs::read(path).unwrap(), before, "the file was changed");
    let wal = path.with_file_name(format!("{}-wal", path.file_name().unwrap().to_string_lossy()));
    assert!(!wal.exists(), "WAL was switched on");
}

#[test]
fn a_store_from_a_newer_tidings_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    write_v1_fixture(&path);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("ALTER TABLE accounts ADD COLUMN future TEXT; PRAGMA user_version = 99;").unwrap();
    drop(conn);
    assert_refused_untouched(&path, "written by a newer Tidings (schema version 99");
}

#[test]
fn someone_elses_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photos.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('cat');",
    )
    .unwrap();
    drop(conn);
    assert_refused_untouched(&path, "not a Tidings mail store");

    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(100)).unwrap();
    assert_refused_untouched(&path, "is damaged or is not a Tidings store");
}
