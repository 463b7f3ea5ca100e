//! The schema, as SQL constants, and the migrations between its versions. The version lives
//! in `PRAGMA user_version`; each step runs in its own transaction together with the version
//! bump, so a crash leaves the file at the old or the new version, never in between.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Kind, Result};

/// Marks the file as ours (`PRAGMA application_id`, "Tdng"), so we never migrate someone
/// else's database that happens to sit at the path.
pub const APPLICATION_ID: i32 = 0x5464_6e67;

// The sort indexes a big first sync builds after its inserts rather than row by row (see
// `Store::defer_sort_indexes`). One definition each, used by `SCHEMA_V1` and by
// `DEFERRED_INDEXES`, so the index rebuilt is always the one the schema made.
macro_rules! messages_by_sender {
    () => {
        "CREATE INDEX messages_by_sender  ON messages (folder, sender_sort, sort_date)"
    };
}
macro_rules! messages_by_subject {
    () => {
        "CREATE INDEX messages_by_subject ON messages (folder, subject_sort, sort_date)"
    };
}
macro_rules! messages_by_size {
    () => {
        "CREATE INDEX messages_by_size    ON messages (folder, size)"
    };
}

/// The indexes that may be dropped for a big insert and are rebuilt afterwards, as
/// (name, definition). A store found without one of them (a sync killed while they were
/// dropped) gets it back when it is opened.
pub const DEFERRED_INDEXES: &[(&str, &str)] = &[
    ("messages_by_sender", messages_by_sender!()),
    ("messages_by_subject", messages_by_subject!()),
    ("messages_by_size", messages_by_size!()),
];

/// Version 1: accounts, folders, messages (list fields), bodies.
pub const SCHEMA_V1: &str = concat!(
    "
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
",
    messages_by_sender!(),
    ";\n",
    messages_by_subject!(),
    ";\n",
    messages_by_size!(),
    ";\n",
    "CREATE INDEX messages_unread     ON messages (folder) WHERE unread = 1;

CREATE TABLE bodies (
    message    INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    raw        BLOB NOT NULL,
    fetched_at INTEGER NOT NULL
);
"
);

/// Version 2: changes made here, waiting to be replayed to the server.
pub const SCHEMA_V2: &str = "
CREATE TABLE pending_actions (
    id          INTEGER PRIMARY KEY,
    account     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    op          TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX pending_by_account ON pending_actions (account, id);
";

/// Version 3: POP3 accounts. Their folders exist only here (rows in `folders` with a fixed
/// local UIDVALIDITY and UIDs counted in `uidnext`); `pop3_uids` is the seen-UID list that
/// decides what the next pass downloads and deletes. A message deleted here, by any path,
/// marks its UID (the trigger), so "delete from the server when deleted here" cannot miss one.
pub const SCHEMA_V3: &str = "
CREATE TABLE pop3_accounts (
    account     INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    -- unix seconds of the last pass that reached QUIT
    last_pass   INTEGER
);

CREATE TABLE pop3_uids (
    account           INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- UIDL's unique id (its second field); 'sha256:<hex>' of the content without UIDL
    uid               TEXT NOT NULL,
    -- the local copy (messages.id); NULL when skipped or deleted here
    message           INTEGER,
    first_seen        INTEGER NOT NULL,
    -- the size LIST stated
    size              INTEGER NOT NULL,
    -- downloaded, partial (headers only), skipped
    state             TEXT NOT NULL,
    skip_reason       TEXT,
    deleted_locally   INTEGER NOT NULL DEFAULT 0,
    -- unix seconds of the QUIT that removed it from the server
    deleted_on_server INTEGER,
    PRIMARY KEY (account, uid)
) WITHOUT ROWID;
CREATE INDEX pop3_uids_by_message ON pop3_uids (message);

CREATE TRIGGER pop3_deleted_here AFTER DELETE ON messages
BEGIN
    UPDATE pop3_uids SET message = NULL, deleted_locally = 1 WHERE message = OLD.id;
END;
";

/// Version 4: the Outbox. A message is written here (durably) before it is submitted and
/// leaves only once the server accepted it and its Sent copy is stored. `state` moves
/// queued → submitting (recorded before DATA) → accepted (recorded right after the server's
/// reply, before the Sent copy) → row deleted. A row found in `submitting` after its
/// `busy_until` may have reached the server: it is never resent without the user's word.
pub const SCHEMA_V4: &str = "
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    account       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id    TEXT NOT NULL,
    subject       TEXT,
    env_from      TEXT NOT NULL,
    -- JSON array of the envelope recipients
    recipients    TEXT NOT NULL,
    -- the exact bytes submitted and stored in Sent (CRLF)
    raw           BLOB NOT NULL,
    -- queued, submitting, accepted
    state         TEXT NOT NULL DEFAULT 'queued',
    attempts      INTEGER NOT NULL DEFAULT 0,
    error_kind    TEXT,
    error_message TEXT,
    error_server  TEXT,
    -- the server's reply to the message once accepted
    reply         TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    -- a submitting row: until when (unix seconds, its time limit) and by which process the
    -- send runs; once that process is gone or the time passed, the outcome is unknown
    busy_until    INTEGER,
    owner_pid     INTEGER,
    accepted_at   INTEGER
);
CREATE INDEX outbox_by_account ON outbox (account, id);
";

/// Version 5: copies of drafts still to be removed from an IMAP account's Drafts folder
/// (the message was sent or discarded while the server could not be reached). The account's
/// passes retry them.
pub const SCHEMA_V5: &str = "
CREATE TABLE draft_removals (
    account     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    draft_id    TEXT NOT NULL,
    since       INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    PRIMARY KEY (account, draft_id)
) WITHOUT ROWID;
";

/// Version 6: the answers the person sent to invitations (Accept, Tentative, Decline), so
/// the card still says "You accepted" after a restart. One row per event (or occurrence);
/// an answer stands for the SEQUENCE it answered and earlier ones.
pub const SCHEMA_V6: &str = "
CREATE TABLE invitation_answers (
    account     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uid         TEXT NOT NULL,
    -- the occurrence answered (RECURRENCE-ID as sent); '' for the whole event
    recurrence  TEXT NOT NULL DEFAULT '',
    sequence    INTEGER NOT NULL,
    -- ACCEPTED, TENTATIVE, DECLINED
    partstat    TEXT NOT NULL,
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (account, uid, recurrence)
) WITHOUT ROWID;
";

/// Version 7: full-text search. `message_search` is an FTS5 index whose content is the
/// messages table itself (external content: no second copy of the header fields), kept in
/// step by triggers on every insert, delete and change of an indexed column. A body's text
/// (what the reader shows of text, HTML and enriched bodies, cut at
/// [`crate::limits::MAX_INDEXED_TEXT`]) and its attachment names go into `body_text` and
/// `attachment_names` once the body is stored: every body written, by any path, is queued in
/// `search_pending` (the trigger), and the store works through the queue in chunks (see
/// `Store::index_pending`), so an older store's bodies are indexed after the update without
/// blocking its opening. The headers already stored are indexed here, at once (1.2 s for
/// 100k messages, BENCHMARKS.md).
pub const SCHEMA_V7: &str = "
ALTER TABLE messages ADD COLUMN body_text TEXT;
ALTER TABLE messages ADD COLUMN attachment_names TEXT;

-- bodies whose text is not indexed yet
CREATE TABLE search_pending (
    message     INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE
);
CREATE TRIGGER search_pending_body AFTER INSERT ON bodies
BEGIN
    INSERT OR IGNORE INTO search_pending (message) VALUES (new.message);
END;
CREATE TRIGGER search_pending_body_changed AFTER UPDATE OF raw ON bodies
BEGIN
    INSERT OR IGNORE INTO search_pending (message) VALUES (new.message);
END;
INSERT INTO search_pending (message) SELECT message FROM bodies;

CREATE VIRTUAL TABLE message_search USING fts5 (
    subject, from_name, from_addr, to_addrs, cc_addrs, body_text, attachment_names,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

CREATE TRIGGER message_search_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO message_search (rowid, subject, from_name, from_addr, to_addrs, cc_addrs, body_text,
        attachment_names)
    VALUES (new.id, new.subject, new.from_name, new.from_addr, new.to_addrs, new.cc_addrs, new.body_text,
        new.attachment_names);
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO message_search (message_search, rowid, subject, from_name, from_addr, to_addrs, cc_addrs,
        body_text, attachment_names)
    VALUES ('delete', old.id, old.subject, old.from_name, old.from_addr, old.to_addrs, old.cc_addrs,
        old.body_text, old.attachment_names);
END;

CREATE TRIGGER message_search_update
AFTER UPDATE OF subject, from_name, from_addr, to_addrs, cc_addrs, body_text, attachment_names ON messages
BEGIN
    INSERT INTO message_search (message_search, rowid, subject, from_name, from_addr, to_addrs, cc_addrs,
        body_text, attachment_names)
    VALUES ('delete', old.id, old.subject, old.from_name, old.from_addr, old.to_addrs, old.cc_addrs,
        old.body_text, old.attachment_names);
    INSERT INTO message_search (rowid, subject, from_name, from_addr, to_addrs, cc_addrs, body_text,
        attachment_names)
    VALUES (new.id, new.subject, new.from_name, new.from_addr, new.to_addrs, new.cc_addrs, new.body_text,
        new.attachment_names);
END;

INSERT INTO message_search (message_search) VALUES ('rebuild');

-- Search results come newest first: walking this index in date order, testing each entry
-- against the matches (and the flags, folder and size it holds), stops at the first page,
-- where looking up every match's row to sort them cost 20–50 ms for a common word at 100k.
CREATE INDEX messages_by_sort_date ON messages (sort_date, unread, flagged, answered, folder, size, has_attachment);
";

/// Version 8: conversations (see `store/threads.rs`). `thread_nodes` holds every Message-ID
/// an account's messages name, with its thread and its parent; `messages.thread_id` the
/// thread of each row. The rows already stored are threaded after the update, a chunk at a
/// time (`Store::thread_pending`): they are the rows whose `thread_id` is NULL.
pub const SCHEMA_V8: &str = "
ALTER TABLE messages ADD COLUMN thread_id INTEGER;
CREATE INDEX messages_by_thread ON messages (thread_id, sort_date);
CREATE INDEX messages_unthreaded ON messages (id) WHERE thread_id IS NULL;

CREATE TABLE thread_nodes (
    account     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- normalised: no angle brackets, domain in lower case
    message_id  TEXT NOT NULL,
    thread      INTEGER NOT NULL,
    -- the Message-ID of its parent; NULL for the start of a thread
    parent      TEXT,
    PRIMARY KEY (account, message_id)
) WITHOUT ROWID;
CREATE INDEX thread_nodes_by_thread ON thread_nodes (thread);

-- the next thread id: ids are never reused, so a thread whose messages are all gone
-- cannot hand its id to an unrelated message
CREATE TABLE thread_counter (next INTEGER NOT NULL);
INSERT INTO thread_counter (next) VALUES (1);
";

/// Step `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] =
    &[SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_V6, SCHEMA_V7, SCHEMA_V8];

/// The version this build writes.
pub fn latest() -> u32 {
    MIGRATIONS.len() as u32
}

/// Reads the version and refuses what we must not touch: a newer schema, or a database that
/// is not ours. Called before anything writes to the file (even before WAL is switched on).
pub fn check(conn: &Connection, label: &str, steps: &[&str]) -> Result<u32> {
    let err = |e| super::sql_error(label, "read the mail store's version", e);
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(err)?;
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(err)?;
    if version as usize > steps.len() {
        return Err(Error::new(
            Kind::Storage,
            format!(
                "the mail store {label} was written by a newer Tidings (schema version {version}; this one knows up to {}); it was left untouched — update Tidings or use another profile",
                steps.len()
            ),
        ));
    }
    let foreign = if app != 0 {
        app != APPLICATION_ID
    } else {
        // An empty file is fine; tables without our mark are someone else's.
        let any: Option<String> = conn
            .query_row("SELECT name FROM sqlite_master LIMIT 1", [], |r| r.get(0))
            .optional()
            .map_err(err)?;
        version == 0 && any.is_some()
    };
    if foreign {
        return Err(Error::new(
            Kind::Storage,
            format!("{label} is a database but not a Tidings mail store; it was left untouched"),
        ));
    }
    Ok(version)
}

/// Brings the schema up to `steps.len()`. Returns the version reached.
pub fn migrate(conn: &mut Connection, label: &str, steps: &[&str]) -> Result<u32> {
    let mut version = check(conn, label, steps)?;
    while (version as usize) < steps.len() {
        let next = version + 1;
        let err = |e| super::sql_error(label, &format!("update the mail store to schema version {next}"), e);
        // IMMEDIATE: a second process migrating at the same time waits, then sees the bump.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let now: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(err)?;
        if now >= next {
            version = now;
            continue;
        }
        tx.execute_batch(steps[version as usize]).map_err(err)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(err)?;
        tx.pragma_update(None, "user_version", next).map_err(err)?;
        tx.commit().map_err(err)?;
        version = next;
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> u32 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap()
    }

    #[test]
    fn empty_database_gets_the_latest_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn, "test", MIGRATIONS).unwrap(), latest());
        assert_eq!(version(&conn), latest());
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|t| t.unwrap())
            .collect();
        for t in [
            "accounts",
            "folders",
            "messages",
            "bodies",
            "pending_actions",
            "pop3_accounts",
            "pop3_uids",
            "outbox",
            "draft_removals",
            "invitation_answers",
            "message_search",
            "search_pending",
            "thread_nodes",
            "thread_counter",
        ] {
            assert!(tables.iter().any(|x| x == t), "{t} missing from {tables:?}");
        }
    }

    /// The machinery with a made-up version 2: data written at v1 survives the step.
    #[test]
    fn a_later_step_runs_on_an_old_database_and_keeps_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, "test", &[SCHEMA_V1]).unwrap();
        conn.execute("INSERT INTO accounts (key) VALUES ('alice')", []).unwrap();
        let v2 = "ALTER TABLE accounts ADD COLUMN colour TEXT NOT NULL DEFAULT 'blue';";
        assert_eq!(migrate(&mut conn, "test", &[SCHEMA_V1, v2]).unwrap(), 2);
        let (key, colour): (String, String) =
            conn.query_row("SELECT key, colour FROM accounts", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!((key.as_str(), colour.as_str()), ("alice", "blue"));
        // Running again is a no-op.
        assert_eq!(migrate(&mut conn, "test", &[SCHEMA_V1, v2]).unwrap(), 2);
    }

    /// A step that fails leaves the old version and no half-applied tables.
    #[test]
    fn a_failing_step_rolls_back_entirely() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, "test", &[SCHEMA_V1]).unwrap();
        let bad = "CREATE TABLE half (x); THIS IS NOT SQL;";
        let e = migrate(&mut conn, "test", &[SCHEMA_V1, bad]).unwrap_err();
        assert_eq!(e.kind(), Kind::Storage);
        assert_eq!(version(&conn), 1);
        let half: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'half'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(half, 0);
    }

    /// The definitions rebuilt after a big sync are exactly what the schema created.
    #[test]
    fn the_deferred_indexes_are_the_schemas_own() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, "test", MIGRATIONS).unwrap();
        for (name, sql) in DEFERRED_INDEXES {
            let stored: String = conn
                .query_row("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1", [name], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(&stored, sql);
        }
    }

    #[test]
    fn foreign_databases_are_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE photos (id INTEGER);").unwrap();
        let e = migrate(&mut conn, "other.db", MIGRATIONS).unwrap_err();
        assert_eq!(e.kind(), Kind::Storage);
        assert!(e.message().contains("not a Tidings mail store"), "{e}");
    }
}
