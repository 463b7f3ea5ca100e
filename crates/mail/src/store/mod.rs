//! The local mail store: one SQLite file (WAL) holding accounts, folders with their sync
//! state, the message list fields and the bodies fetched so far.
//!
//! **Blocking.** Every method does file I/O; never call one on the GUI thread or inside an
//! async task. The sync engine talks to the store through [`StoreHandle`], a dedicated thread
//! that owns the connection and runs jobs in order (see `worker.rs` for why a thread rather
//! than `spawn_blocking`). The GUI may open a second [`Store`] on the same file for reading:
//! WAL lets readers run while the sync writes.
//!
//! **Safe to kill at any instant.** Each write is one transaction (chunks of messages, a
//! folder reset, a flag batch), and the server state of a folder (UIDNEXT, HIGHESTMODSEQ) is
//! only recorded when its sync completed; so a killed sync leaves some chunks committed and
//! the next sync finds the rest missing. `synchronous = NORMAL`: in WAL mode a crash of the
//! process loses nothing committed; a power cut may lose the last transactions but never
//! corrupts the file, and everything here can be fetched from the server again.

mod actions;
pub mod addresses;
mod draft_removals;
mod folder_changes;
mod folders;
mod invitations;
mod messages;
mod offline;
mod outbox;
mod pop3;
mod receipts;
pub mod schema;
mod search;
mod threads;
mod types;
mod unified;
mod worker;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

pub use actions::{MailAction, Pending, ServerOp};
pub use folder_changes::{child_folder_name, folder_name_problem};
pub use folders::{decode_mutf7, encode_mutf7};
pub use invitations::InvitationAnswer;
pub use offline::{BodyCursor, MissingBody};
pub(crate) use pop3::header_part;
pub use pop3::{
    Committed, Described, LOCAL_FOLDERS, LOCAL_UIDVALIDITY, Pop3Batch, Pop3Body, Pop3Incoming, Prior,
    SeenState, SeenUid,
};
pub use search::{
    COLUMNS, IndexedText, MarkTerm, PlannedQuery, SearchFolder, Snippet, StoredHit, fold, indexed_text,
};
pub use threads::{ThreadId, ThreadMessage, ThreadSummary, normalise as normalise_message_id};
pub use types::{
    AccountId, Counts, Flags, Folder, FolderId, FolderInfo, FolderState, MessageRow, NewMessage, Role, Sort,
    SortKey, Summary,
};
pub use unified::{Unified, UnifiedRow};
pub use worker::{Reply, StoreHandle};

use crate::error::{Error, Kind, Result};

/// The page size of a new store file, in bytes.
const PAGE_SIZE: i64 = 16 * 1024;

/// WAL written between automatic checkpoints (see `setup`).
const CHECKPOINT_BYTES: i64 = 32 * 1024 * 1024;
/// The same during a POP3 download (see [`Store::defer_checkpoints`]): past a 10k-message
/// pass of small messages (≈ 35 MB of WAL), and small enough that another connection's commit
/// (which checkpoints at its own 32 MiB) never has more than this to copy.
const BULK_CHECKPOINT_BYTES: i64 = 64 * 1024 * 1024;

fn set_checkpoint_bytes(conn: &Connection, bytes: i64) -> rusqlite::Result<()> {
    let page: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
    conn.pragma_update(None, "wal_autocheckpoint", bytes / page.max(512))
}

/// An open mail store. Not `Sync`: one thread uses it at a time.
pub struct Store {
    conn: Connection,
    /// The path for messages ("in memory" for tests).
    label: String,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.label)
    }
}

impl Store {
    /// Opens (creating when missing) the store at `path` and brings its schema up to date.
    /// A store written by a newer Tidings, or a database that is not a Tidings store, is
    /// refused with a [`Kind::Storage`] error and left untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        let label = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::create_dir_all(dir)
                .map_err(|e| Error::storage(format!("cannot create the directory {}", dir.display()), e))?;
        }
        // The file is made here, 0600, before SQLite opens it: SQLite gives its -wal, -shm
        // and -journal files the database file's permissions, whatever the umask. A store
        // an older version made readable by others is narrowed, with its journal files.
        match crate::private::create_new_file(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    crate::private::narrow(&sidecar(path, suffix));
                }
            }
            Err(e) => return Err(Error::storage(format!("cannot create the mail store {label}"), e)),
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| sql_error(&label, "open the mail store", e))?;
        Store::setup(conn, label, Some(path.to_path_buf()))
    }

    /// A store that lives only in memory (tests, previews).
    pub fn open_in_memory() -> Result<Store> {
        let conn =
            Connection::open_in_memory().map_err(|e| sql_error("(memory)", "open the mail store", e))?;
        Store::setup(conn, "(memory)".into(), None)
    }

    /// This store's page cache setting in KiB (`cache_size` is KiB when negative, pages
    /// when positive).
    pub(crate) fn cache_kib(&self, setting: i64) -> Result<i64> {
        if setting < 0 {
            return Ok(-setting);
        }
        let page: i64 = self
            .conn
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .map_err(self.err("read the page size"))?;
        Ok(setting.saturating_mul(page) / 1024)
    }

    fn setup(mut conn: Connection, label: String, path: Option<PathBuf>) -> Result<Store> {
        let err = |e| sql_error(&label, "open the mail store", e);
        // Another process (the GUI reading, a second sync) may hold the lock briefly.
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        // Every transaction takes the write lock when it begins, waiting for it as above. A
        // deferred one that read first and wrote second would be refused at once (not waited
        // for) when another connection committed in between: SQLite cannot move its snapshot.
        conn.set_transaction_behavior(TransactionBehavior::Immediate);
        // Before anything writes (WAL changes the file header): refuse what is not ours.
        schema::check(&conn, &label, schema::MIGRATIONS)?;
        // Takes effect only while the file is empty (a new store); older stores keep 4 KiB.
        // Downloads write whole pages: 16 KiB pages cut a POP3 commit's CPU time by about
        // a fifth against 4 KiB ones (fewer writes, checksums and B-tree splits; measured
        // with `pop3_bench breakdown`, BENCHMARKS.md).
        conn.pragma_update(None, "page_size", PAGE_SIZE).map_err(err)?;
        // Some file systems (network mounts) cannot do WAL and SQLite keeps the rollback
        // journal, which is as safe, only slower: accept whatever mode we get.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        // A sync's transaction rewrites most pages of the sort indexes (random keys); with
        // the default checkpoint every 1,000 pages those pages were copied back to the file
        // after nearly every chunk. 32 MiB of WAL (measured as 8,192 pages of 4 KiB) halved the
        // time of a 100k-message first sync's writes; the size limit truncates the WAL again
        // after a checkpoint.
        set_checkpoint_bytes(&conn, CHECKPOINT_BYTES).map_err(err)?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).map_err(err)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(err)?;
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn, &label, schema::MIGRATIONS)?;
        // A big sync killed while its sort indexes were dropped: build them again. Not while
        // a live process (this one included: the window opens stores while its sync runs)
        // is still inserting without them — it builds them itself at its end.
        if !path.as_deref().is_some_and(messages::sort_indexes_deferred_by_a_live_process) {
            messages::restore_indexes(&mut conn)
                .map_err(|e| sql_error(&label, "build the sort indexes", e))?;
        }
        Ok(Store { conn, label, path })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(self.err("read the schema version"))
    }

    /// SQLite's own consistency checks (pages, indexes, foreign keys). Slow on big stores:
    /// for tests and a "check the store" command.
    pub fn check_integrity(&self) -> Result<()> {
        let err = self.err("check the mail store");
        let ok: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(err)?;
        let fk: Option<String> = self
            .conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()
            .map_err(self.err("check the mail store"))?;
        if ok != "ok" || fk.is_some() {
            return Err(Error::new(
                Kind::Storage,
                format!(
                    "the mail store {} is damaged: {ok}{}",
                    self.label,
                    fk.map(|t| format!("; dangling rows in {t}")).unwrap_or_default()
                ),
            ));
        }
        Ok(())
    }

    /// The store row of the account with config id `key`, created on first use.
    pub fn account(&mut self, key: &str) -> Result<AccountId> {
        let err = self.err("add the account to the mail store");
        self.conn
            .execute("INSERT INTO accounts (key) VALUES (?1) ON CONFLICT (key) DO NOTHING", [key])
            .map_err(err)?;
        let id = self
            .conn
            .query_row("SELECT id FROM accounts WHERE key = ?1", [key], |r| r.get(0))
            .map_err(self.err("read the account from the mail store"))?;
        Ok(AccountId(id))
    }

    /// Removes an account and everything stored for it.
    pub fn remove_account(&mut self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM accounts WHERE key = ?1", [key])
            .map_err(self.err("remove the account"))?;
        Ok(())
    }

    /// Maps a SQLite error of this store, saying what we were doing.
    fn err<'a>(&'a self, what: &'a str) -> impl Fn(rusqlite::Error) -> Error + 'a {
        move |e| sql_error(&self.label, what, e)
    }

    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// `db` with `suffix` appended to its file name (SQLite's `-wal`, `-shm`, `-journal`, our
/// markers).
pub(crate) fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A SQLite error as a [`Kind::Storage`] error whose message says what happened in words.
pub(crate) fn sql_error(label: &str, what: &str, e: rusqlite::Error) -> Error {
    let code = match &e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    };
    let msg = match code {
        Some(ErrorCode::DiskFull) => format!("cannot {what}: the disk is full (mail store {label})"),
        Some(ErrorCode::SystemIoFailure) => {
            format!("cannot {what}: the disk reported an I/O error (mail store {label})")
        }
        Some(ErrorCode::PermissionDenied | ErrorCode::ReadOnly | ErrorCode::CannotOpen) => {
            format!("cannot {what}: no permission to read or write the mail store {label}")
        }
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            format!("cannot {what}: the mail store {label} is damaged or is not a Tidings store")
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            format!(
                "cannot {what}: the mail store {label} is locked by another program (is Tidings running twice?)"
            )
        }
        _ => format!("cannot {what} (mail store {label})"),
    };
    Error::new(Kind::Storage, msg).with_source(e)
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_stores_use_16_kib_pages_and_cache_sizes_are_read_in_kib() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        let pragma =
            |name: &str| -> i64 { store.conn().pragma_query_value(None, name, |r| r.get(0)).unwrap() };
        assert_eq!(pragma("page_size"), 16 * 1024);
        // The checkpoint still comes at 32 MiB of WAL, whatever the page size.
        assert_eq!(pragma("wal_autocheckpoint"), 2048);
        assert_eq!(store.cache_kib(-2000).unwrap(), 2000);
        assert_eq!(store.cache_kib(100).unwrap(), 1600, "100 pages of 16 KiB");
        drop(store);
        // Reopened: the file keeps its page size.
        let store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        let size: i64 = store.conn().pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
        assert_eq!(size, 16 * 1024);
    }

    #[test]
    fn a_transaction_that_reads_then_writes_waits_for_another_writer_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        let mut other = Store::open(&path).unwrap();
        other.account("alice").unwrap();
        let mut store = Store::open(&path).unwrap();
        let tx = store.conn.transaction().unwrap();
        let before: i64 = tx.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0)).unwrap();
        assert_eq!(before, 1);
        // Another connection writes while this transaction has read: it waits for this one.
        let writer = std::thread::spawn(move || other.account("bob").map(drop));
        std::thread::sleep(Duration::from_millis(200));
        tx.execute("INSERT INTO accounts (key) VALUES ('carol')", []).expect("the write after the read");
        tx.commit().unwrap();
        writer.join().unwrap().expect("the other writer, after this one");
        let keys: i64 = store.conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0)).unwrap();
        assert_eq!(keys, 3);
    }

    #[test]
    fn checkpoints_wait_during_a_download_and_come_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        assert_eq!(store.checkpoint_bytes().unwrap(), CHECKPOINT_BYTES);
        store.defer_checkpoints().unwrap();
        assert_eq!(store.checkpoint_bytes().unwrap(), BULK_CHECKPOINT_BYTES);
        // More than the usual interval of WAL: no checkpoint during the download.
        let a = store.account("alice").unwrap();
        let inbox = store.pop3_setup(a).unwrap();
        let big = vec![b'x'; 512 * 1024];
        // Committed as the download commits: batches of up to POP3_BATCH_BYTES (each commit
        // also writes the index pages it touched to the WAL again).
        let per_batch = crate::limits::POP3_BATCH_BYTES / big.len();
        for b in 0..80 / per_batch {
            let mut batch = Pop3Batch::default();
            for k in b * per_batch..(b + 1) * per_batch {
                let raw = [format!("Subject: {k}\r\n\r\n").as_bytes(), &big].concat();
                batch.push(format!("u{k}"), raw.len() as u64, &raw, false);
            }
            store.pop3_commit(a, inbox, batch, 0).unwrap();
        }
        // 40 MiB of WAL: past the usual 32 MiB, where a checkpoint would have let the WAL
        // start over from its beginning (the file would stay at ≈ 32 MiB).
        let size = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().len();
        assert!(size("s.sqlite3-wal") >= 80 * 512 * 1024, "the WAL kept growing: {}", size("s.sqlite3-wal"));
        assert!(size("s.sqlite3") < 1024 * 1024, "nothing copied back yet: {}", size("s.sqlite3"));
        store.checkpoint_now().unwrap();
        assert_eq!(store.checkpoint_bytes().unwrap(), CHECKPOINT_BYTES);
        assert!(size("s.sqlite3") >= 80 * 512 * 1024, "copied back: {}", size("s.sqlite3"));
    }

    #[test]
    fn disk_full_is_a_storage_error_that_says_so() {
        let mut store = Store::open_in_memory().unwrap();
        let account = store.account("alice").unwrap();
        let folders = store
            .replace_folders(
                account,
                &[FolderInfo {
                    name: "INBOX".into(),
                    delimiter: None,
                    role: None,
                    subscribed: true,
                    selectable: true,
                }],
            )
            .unwrap();
        let folder = folders[0].id;
        store.begin_folder(folder, 1).unwrap();
        // A page budget stands in for a full disk: SQLite answers SQLITE_FULL either way.
        let pages: i64 = store.conn().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        store.conn().pragma_update(None, "max_page_count", pages + 2).unwrap();
        let big = "x".repeat(4000);
        let mut result = Ok(0);
        for chunk in 0..50u32 {
            let msgs: Vec<NewMessage> = (0..20)
                .map(|i| NewMessage {
                    uid: chunk * 20 + i + 1,
                    modseq: None,
                    flags: Flags::default(),
                    size: 1,
                    internal_date: None,
                    summary: Summary { subject: Some(big.clone()), ..Summary::default() },
                    parse_error: None,
                })
                .collect();
            result = store.insert_messages(folder, 1, &msgs);
            if result.is_err() {
                break;
            }
        }
        let e = result.unwrap_err();
        assert_eq!(e.kind(), Kind::Storage);
        assert!(e.message().contains("the disk is full"), "{e}");
        // The failed chunk left nothing behind; the earlier ones are intact.
        assert_eq!(store.counts(folder).unwrap().total % 20, 0);
        store.check_integrity().unwrap();
    }

    #[test]
    fn a_directory_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let e = Store::open(dir.path()).unwrap_err();
        assert_eq!(e.kind(), Kind::Storage);
        assert!(e.message().contains("cannot open the mail store"), "{e}");
    }
}
