//! Messages (list fields and flags) and bodies. Every write is one transaction, checked
//! against the folder's current UIDVALIDITY so that a late write from a sync that raced a
//! reset can never mix UIDs of two generations.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::types::{FolderId, MessageRow, NewMessage, Sort, SortKey, Summary, sender_key, subject_key};
use super::{Store, now, schema};
use crate::error::{Error, Kind, Result};
use crate::store::Flags;

pub(super) const ROW_COLUMNS: &str =
    "m.uid, m.uidvalidity, m.flags, m.size, m.internal_date, m.sort_date, m.date,
    m.from_name, m.from_addr, m.to_addrs, m.cc_addrs, m.subject, m.message_id, m.in_reply_to, m.refs,
    m.has_attachment, m.parse_error, EXISTS (SELECT 1 FROM bodies b WHERE b.message = m.id)";

pub(super) fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    let flags = Flags::parse(&r.get::<_, String>(2)?);
    Ok(MessageRow {
        uid: r.get(0)?,
        uidvalidity: r.get(1)?,
        unread: !flags.seen(),
        flagged: flags.flagged(),
        answered: flags.answered(),
        flags,
        size: r.get(3)?,
        internal_date: r.get(4)?,
        sort_date: r.get(5)?,
        summary: Summary {
            date: r.get(6)?,
            from_name: r.get(7)?,
            from_addr: r.get(8)?,
            to: r.get(9)?,
            cc: r.get(10)?,
            subject: r.get(11)?,
            message_id: r.get(12)?,
            in_reply_to: r.get(13)?,
            references: r.get(14)?,
            has_attachment: r.get(15)?,
        },
        parse_error: r.get(16)?,
        has_body: r.get(17)?,
    })
}

/// Fails unless `folder` is at `uidvalidity`.
fn check_generation(
    tx: &Transaction<'_>,
    folder: FolderId,
    uidvalidity: u32,
) -> Result<(), Option<rusqlite::Error>> {
    let current: Option<Option<u32>> = tx
        .query_row("SELECT uidvalidity FROM folders WHERE id = ?1", [folder.0], |r| r.get(0))
        .optional()
        .map_err(Some)?;
    if current.flatten() == Some(uidvalidity) { Ok(()) } else { Err(None) }
}

fn stale(label: &str) -> Error {
    Error::new(
        Kind::Storage,
        format!("the folder changed in the mail store {label} while saving (UIDVALIDITY reset); sync again"),
    )
}

/// Beside the store file while a sync inserts without its sort indexes: the process id of
/// that sync, so that another opener leaves the indexes to it instead of building them under
/// its feet (which would undo the point and hold the write lock meanwhile).
fn deferred_marker(db: &Path) -> PathBuf {
    super::sidecar(db, ".sort-indexes-deferred")
}

/// Whether the sort indexes of the store at `db` were dropped by a process that still runs.
/// A marker without a readable process id, or whose process is gone (killed mid-sync), does
/// not count: its indexes are to be built again.
pub(super) fn sort_indexes_deferred_by_a_live_process(db: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(deferred_marker(db)) else { return false };
    let Ok(pid) = text.trim().parse::<u32>() else { return false };
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

/// Creates every index of [`schema::DEFERRED_INDEXES`] missing from the file, in one
/// transaction; returns how many.
pub(super) fn restore_indexes(conn: &mut Connection) -> rusqlite::Result<usize> {
    let mut missing = Vec::new();
    for (name, sql) in schema::DEFERRED_INDEXES {
        let present: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if !present {
            missing.push(*sql);
        }
    }
    if missing.is_empty() {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    for sql in &missing {
        // IF NOT EXISTS: another process may have built it since we looked.
        let sql = sql.replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1);
        tx.execute_batch(&sql)?;
    }
    tx.commit()?;
    Ok(missing.len())
}

impl Store {
    /// Adds (or refreshes) a chunk of messages in one transaction. Returns how many.
    pub fn insert_messages(
        &mut self,
        folder: FolderId,
        uidvalidity: u32,
        msgs: &[NewMessage],
    ) -> Result<usize> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "save messages", e);
        let tx = self.conn.transaction().map_err(err)?;
        if let Err(e) = check_generation(&tx, folder, uidvalidity) {
            return Err(e.map(err).unwrap_or_else(|| stale(&label)));
        }
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (folder, uidvalidity, uid, modseq, flags, unread, flagged, answered,
                        size, internal_date, date, sort_date, from_name, from_addr, sender_sort, to_addrs,
                        cc_addrs, subject, subject_sort, message_id, in_reply_to, refs, has_attachment, parse_error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                        ?19, ?20, ?21, ?22, ?23, ?24)
                     ON CONFLICT (folder, uidvalidity, uid) DO UPDATE SET
                        modseq = excluded.modseq, flags = excluded.flags, unread = excluded.unread,
                        flagged = excluded.flagged, answered = excluded.answered, size = excluded.size,
                        internal_date = excluded.internal_date, date = excluded.date,
                        sort_date = excluded.sort_date, from_name = excluded.from_name,
                        from_addr = excluded.from_addr, sender_sort = excluded.sender_sort,
                        to_addrs = excluded.to_addrs, cc_addrs = excluded.cc_addrs,
                        subject = excluded.subject, subject_sort = excluded.subject_sort,
                        message_id = excluded.message_id, in_reply_to = excluded.in_reply_to,
                        refs = excluded.refs,
                        -- what an indexed body showed is kept
                        has_attachment = excluded.has_attachment OR has_attachment AND body_text IS NOT NULL,
                        parse_error = excluded.parse_error",
                )
                .map_err(err)?;
            for m in msgs {
                let s = &m.summary;
                insert
                    .execute(params![
                        folder.0,
                        uidvalidity,
                        m.uid,
                        m.modseq.map(|v| v as i64),
                        m.flags.joined(),
                        !m.flags.seen(),
                        m.flags.flagged(),
                        m.flags.answered(),
                        m.size,
                        m.internal_date,
                        s.date,
                        s.date.or(m.internal_date).unwrap_or(0),
                        s.from_name,
                        s.from_addr,
                        sender_key(s),
                        s.to,
                        s.cc,
                        s.subject,
                        subject_key(s.subject.as_deref()),
                        s.message_id,
                        s.in_reply_to,
                        s.references,
                        s.has_attachment,
                        m.parse_error,
                    ])
                    .map_err(err)?;
            }
        }
        // The rows just added are the newest without a thread: thread them with the insert.
        super::threads::link_unthreaded(&tx, msgs.len()).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(msgs.len())
    }

    /// Sets the page cache to at least `kib` KiB for a big header sync and returns the
    /// previous setting (for [`Store::set_cache`]). The default 2 MiB cannot hold the sort
    /// indexes of a big folder: each transaction read their pages again (330k reads for a
    /// 100k-message first sync) and spilled dirty ones to the WAL before its commit.
    pub fn grow_cache(&mut self, kib: i64) -> Result<i64> {
        let err = self.err("set the page cache");
        let before: i64 = self.conn.pragma_query_value(None, "cache_size", |r| r.get(0)).map_err(err)?;
        let current = self.cache_kib(before)?;
        if kib > current {
            self.conn.pragma_update(None, "cache_size", -kib).map_err(self.err("set the page cache"))?;
        }
        Ok(before)
    }

    /// Checkpoints less often (every 64 MiB of WAL instead of 32) until
    /// [`Store::checkpoint_now`]: for a download whose commits should not wait for one. A
    /// checkpoint copies the whole WAL back into the file and fsyncs it; one fell in most
    /// 10k-message POP3 passes, and when it fell in the last commit the pass waited 20–50 ms
    /// longer for it (`pop3_bench`, BENCHMARKS.md). The setting is this connection's only:
    /// another one (the window's) still checkpoints at 32 MiB when it commits.
    pub fn defer_checkpoints(&mut self) -> Result<()> {
        super::set_checkpoint_bytes(&self.conn, super::BULK_CHECKPOINT_BYTES)
            .map_err(self.err("set the checkpoint interval"))
    }

    /// Puts back the usual checkpoint interval and checkpoints what it can without waiting
    /// for readers (a reader keeps its snapshot; the rest is copied at a later checkpoint).
    pub fn checkpoint_now(&mut self) -> Result<()> {
        let err = self.err("checkpoint the mail store");
        super::set_checkpoint_bytes(&self.conn, super::CHECKPOINT_BYTES).map_err(&err)?;
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).map_err(err)
    }

    /// Bytes of WAL between automatic checkpoints, as now set.
    pub fn checkpoint_bytes(&self) -> Result<i64> {
        let err = self.err("read the checkpoint interval");
        let pragma = |name| self.conn.pragma_query_value(None, name, |r| r.get::<_, i64>(0)).map_err(&err);
        Ok(pragma("wal_autocheckpoint")? * pragma("page_size")?)
    }

    /// Puts back a page cache setting returned by [`Store::grow_cache`].
    pub fn set_cache(&mut self, setting: i64) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", setting).map_err(self.err("set the page cache"))
    }

    /// Drops the sort indexes in [`schema::DEFERRED_INDEXES`] before a big insert: adding
    /// tens of thousands of rows to them one by one (random text keys) costs several times
    /// what building them afterwards in one sort does. Call [`Store::restore_sort_indexes`]
    /// when done. Reading the list still works meanwhile (sorting by sender, subject or size
    /// is then slower), and a process killed in between leaves a store whose next
    /// [`Store::open`] builds them again.
    pub fn defer_sort_indexes(&mut self) -> Result<()> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "prepare the mail store for a big sync", e);
        if let Some(db) = &self.path {
            // Written before the drop: without it, another opener would build them at once.
            std::fs::write(deferred_marker(db), std::process::id().to_string()).map_err(|e| {
                Error::storage(format!("cannot prepare the mail store {label} for a big sync"), e)
            })?;
        }
        let tx = self.conn.transaction().map_err(err)?;
        for (name, _) in schema::DEFERRED_INDEXES {
            tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}")).map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Builds the sort indexes that are missing (after [`Store::defer_sort_indexes`], or a
    /// sync killed while they were dropped). Returns how many were built; cheap when none is
    /// missing (nothing is written then).
    pub fn restore_sort_indexes(&mut self) -> Result<usize> {
        let label = self.label.clone();
        let built = restore_indexes(&mut self.conn)
            .map_err(|e| super::sql_error(&label, "build the sort indexes", e))?;
        if let Some(db) = &self.path {
            // Gone already when nothing was deferred: nothing to do.
            let _ = std::fs::remove_file(deferred_marker(db));
        }
        Ok(built)
    }

    /// Applies flags from the server; returns how many messages actually changed.
    pub fn update_flags(
        &mut self,
        folder: FolderId,
        uidvalidity: u32,
        changes: &[(u32, Flags)],
    ) -> Result<usize> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "save flag changes", e);
        let tx = self.conn.transaction().map_err(err)?;
        if let Err(e) = check_generation(&tx, folder, uidvalidity) {
            return Err(e.map(err).unwrap_or_else(|| stale(&label)));
        }
        let mut changed = 0;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE messages SET flags = ?4, unread = ?5, flagged = ?6, answered = ?7
                     WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3 AND flags != ?4",
                )
                .map_err(err)?;
            for (uid, flags) in changes {
                changed += update
                    .execute(params![
                        folder.0,
                        uidvalidity,
                        uid,
                        flags.joined(),
                        !flags.seen(),
                        flags.flagged(),
                        flags.answered()
                    ])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(changed)
    }

    /// Removes messages expunged on the server (and their bodies). Returns how many.
    pub fn remove_messages(&mut self, folder: FolderId, uidvalidity: u32, uids: &[u32]) -> Result<usize> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "remove expunged messages", e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut removed = 0;
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM messages WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3")
                .map_err(err)?;
            for uid in uids {
                removed += delete.execute(params![folder.0, uidvalidity, uid]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(removed)
    }

    /// The UIDs stored for a folder at `uidvalidity`, ascending.
    pub fn uids(&self, folder: FolderId, uidvalidity: u32) -> Result<Vec<u32>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT uid FROM messages WHERE folder = ?1 AND uidvalidity = ?2 ORDER BY uid")
            .map_err(self.err("read message UIDs"))?;
        let rows = stmt
            .query_map(params![folder.0, uidvalidity], |r| r.get(0))
            .map_err(self.err("read message UIDs"))?;
        rows.collect::<rusqlite::Result<Vec<u32>>>().map_err(self.err("read message UIDs"))
    }

    /// One page of the message list.
    pub fn list(&self, folder: FolderId, sort: Sort, offset: u64, limit: u64) -> Result<Vec<MessageRow>> {
        let dir = if sort.descending { "DESC" } else { "ASC" };
        // Each order matches an index on (folder, key[, sort_date]), whose entries end with
        // the row id: ties break on it, stably and without a sort step.
        let order = match sort.key {
            SortKey::Date => format!("m.sort_date {dir}, m.id {dir}"),
            SortKey::Sender => format!("m.sender_sort {dir}, m.sort_date {dir}, m.id {dir}"),
            SortKey::Subject => format!("m.subject_sort {dir}, m.sort_date {dir}, m.id {dir}"),
            SortKey::Size => format!("m.size {dir}, m.id {dir}"),
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM messages m WHERE m.folder = ?1 ORDER BY {order} LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err("read the message list"))?;
        let rows = stmt
            .query_map(params![folder.0, limit as i64, offset as i64], message_row)
            .map_err(self.err("read the message list"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err("read the message list"))
    }

    /// Where message `uid` is in the folder's list in `sort` order (its offset for
    /// [`Store::list`]); `None` when the folder does not hold it.
    pub fn position(&self, folder: FolderId, sort: Sort, uid: u32) -> Result<Option<u64>> {
        // The rows before it in the order `list` uses, ties included.
        let keys: &[&str] = match sort.key {
            SortKey::Date => &["sort_date", "id"],
            SortKey::Sender => &["sender_sort", "sort_date", "id"],
            SortKey::Subject => &["subject_sort", "sort_date", "id"],
            SortKey::Size => &["size", "id"],
        };
        let of = |alias: &str| keys.iter().map(|k| format!("{alias}.{k}")).collect::<Vec<_>>().join(", ");
        let before = if sort.descending { ">" } else { "<" };
        let sql = format!(
            "SELECT (SELECT COUNT(*) FROM messages m WHERE m.folder = t.folder AND ({}) {before} ({}))
             FROM messages t JOIN folders f ON f.id = t.folder
             WHERE t.folder = ?1 AND t.uidvalidity = f.uidvalidity AND t.uid = ?2",
            of("m"),
            of("t"),
        );
        self.conn
            .query_row(&sql, params![folder.0, uid], |r| r.get::<_, i64>(0))
            .optional()
            .map(|n| n.map(|n| n as u64))
            .map_err(self.err("find a message in the list"))
    }

    /// One message of a folder by UID (at the folder's current UIDVALIDITY).
    pub fn message(&self, folder: FolderId, uid: u32) -> Result<Option<MessageRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM messages m JOIN folders f ON f.id = m.folder
             WHERE m.folder = ?1 AND m.uidvalidity = f.uidvalidity AND m.uid = ?2"
        );
        self.conn
            .query_row(&sql, params![folder.0, uid], message_row)
            .optional()
            .map_err(self.err("read a message"))
    }

    /// The cached raw message, if it was fetched before.
    pub fn body(&self, folder: FolderId, uidvalidity: u32, uid: u32) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT b.raw FROM bodies b JOIN messages m ON m.id = b.message
                 WHERE m.folder = ?1 AND m.uidvalidity = ?2 AND m.uid = ?3",
                params![folder.0, uidvalidity, uid],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("read a message body"))
    }

    /// Keeps a fetched raw message. Returns false when the message is not (any more) in the
    /// store, e.g. expunged meanwhile: nothing is kept then.
    pub fn save_body(&mut self, folder: FolderId, uidvalidity: u32, uid: u32, raw: &[u8]) -> Result<bool> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "save a message body", e);
        let tx = self.conn.transaction().map_err(err)?;
        let id: Option<i64> = tx
            .query_row(
                "INSERT INTO bodies (message, raw, fetched_at)
                 SELECT id, ?4, ?5 FROM messages WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3
                 ON CONFLICT (message) DO UPDATE SET raw = excluded.raw, fetched_at = excluded.fetched_at
                 RETURNING message",
                params![folder.0, uidvalidity, uid, raw, now()],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        // Searchable as soon as it is stored: its text goes into the index in the same
        // transaction.
        if let Some(id) = id {
            super::search::index_one(&tx, id).map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(id.is_some())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::{FolderInfo, Role};

    pub(crate) fn message(uid: u32) -> NewMessage {
        NewMessage {
            uid,
            modseq: None,
            flags: Flags::new(if uid.is_multiple_of(2) { vec!["\\Seen"] } else { vec![] }),
            size: 1000 + uid,
            internal_date: Some(1_700_000_000 + i64::from(uid)),
            summary: Summary {
                date: Some(1_600_000_000 + i64::from(uid % 7) * 1000),
                from_name: Some(format!("Sender {}", uid % 3)),
                from_addr: Some(format!("s{}@example.test", uid % 3)),
                subject: Some(format!("Re: subject {uid}")),
                ..Summary::default()
            },
            parse_error: None,
        }
    }

    fn inbox(s: &mut Store) -> FolderId {
        let a = s.account("alice").unwrap();
        let info = FolderInfo {
            name: "INBOX".into(),
            delimiter: None,
            role: Some(Role::Inbox),
            subscribed: true,
            selectable: true,
        };
        let id = s.replace_folders(a, &[info]).unwrap()[0].id;
        s.begin_folder(id, 1).unwrap();
        id
    }

    #[test]
    fn insert_list_sort_flags_expunge_and_bodies() {
        let mut s = Store::open_in_memory().unwrap();
        let f = inbox(&mut s);
        let msgs: Vec<NewMessage> = (1..=10).map(message).collect();
        assert_eq!(s.insert_messages(f, 1, &msgs).unwrap(), 10);
        // Re-inserting refreshes, never duplicates.
        s.insert_messages(f, 1, &msgs[..3]).unwrap();
        assert_eq!(s.counts(f).unwrap(), crate::store::Counts { total: 10, unread: 5 });

        let by_size = s.list(f, Sort { key: SortKey::Size, descending: true }, 0, 3).unwrap();
        assert_eq!(by_size.iter().map(|m| m.uid).collect::<Vec<_>>(), [10, 9, 8]);
        let by_date = s.list(f, Sort::NEWEST, 0, 100).unwrap();
        assert!(by_date.windows(2).all(|w| w[0].sort_date >= w[1].sort_date));
        let by_subject = s.list(f, Sort { key: SortKey::Subject, descending: false }, 0, 100).unwrap();
        assert_eq!(by_subject[0].summary.subject.as_deref(), Some("Re: subject 1"));
        assert_eq!(by_subject[1].summary.subject.as_deref(), Some("Re: subject 10"));

        let changes = vec![(1, Flags::new(["\\Seen", "\\Flagged"])), (2, Flags::new(["\\Seen"]))];
        assert_eq!(s.update_flags(f, 1, &changes).unwrap(), 1, "uid 2 was already seen");
        let m1 = s.message(f, 1).unwrap().unwrap();
        assert!(m1.flagged && !m1.unread);

        assert!(s.save_body(f, 1, 3, b"Subject: x\r\n\r\nbody").unwrap());
        assert!(s.message(f, 3).unwrap().unwrap().has_body);
        assert_eq!(s.body(f, 1, 3).unwrap().as_deref(), Some(&b"Subject: x\r\n\r\nbody"[..]));
        assert_eq!(s.remove_messages(f, 1, &[3, 4, 99]).unwrap(), 2);
        assert_eq!(s.body(f, 1, 3).unwrap(), None, "the body goes with its message");
        assert!(!s.save_body(f, 1, 3, b"late").unwrap());
        assert_eq!(s.uids(f, 1).unwrap(), [1, 2, 5, 6, 7, 8, 9, 10]);
        s.check_integrity().unwrap();
    }

    #[test]
    fn a_message_is_found_where_the_list_shows_it_in_every_order() {
        let mut s = Store::open_in_memory().unwrap();
        let f = inbox(&mut s);
        // Dates, senders and subjects repeat: ties are ordered as the list orders them.
        s.insert_messages(f, 1, &(1..=30).map(message).collect::<Vec<_>>()).unwrap();
        for key in [SortKey::Date, SortKey::Sender, SortKey::Subject, SortKey::Size] {
            for descending in [false, true] {
                let sort = Sort { key, descending };
                for (at, row) in s.list(f, sort, 0, 100).unwrap().iter().enumerate() {
                    assert_eq!(s.position(f, sort, row.uid).unwrap(), Some(at as u64), "{sort:?}");
                }
            }
        }
        assert_eq!(s.position(f, Sort::NEWEST, 99).unwrap(), None);
    }

    #[test]
    fn the_page_cache_grows_for_a_big_sync_and_is_put_back() {
        let mut s = Store::open_in_memory().unwrap();
        let before = s.grow_cache(16 * 1024).unwrap();
        let now: i64 = s.conn().query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap();
        assert_eq!(now, -16 * 1024);
        assert_eq!(s.grow_cache(1024).unwrap(), now, "never shrunk by a smaller ask");
        s.set_cache(before).unwrap();
        let back: i64 = s.conn().query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap();
        assert_eq!(back, before);
    }

    #[test]
    fn writes_for_an_old_uidvalidity_are_refused() {
        let mut s = Store::open_in_memory().unwrap();
        let f = inbox(&mut s);
        s.begin_folder(f, 2).unwrap();
        let e = s.insert_messages(f, 1, &[message(1)]).unwrap_err();
        assert_eq!(e.kind(), Kind::Storage);
        assert_eq!(s.counts(f).unwrap().total, 0);
    }

    #[test]
    fn list_queries_use_the_indexes() {
        let s = Store::open_in_memory().unwrap();
        for (order, index) in [
            ("sort_date DESC, id DESC", "messages_by_date"),
            ("sender_sort, sort_date, id", "messages_by_sender"),
            ("subject_sort DESC, sort_date DESC, id DESC", "messages_by_subject"),
            ("size, id", "messages_by_size"),
        ] {
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT uid FROM messages WHERE folder = 1 ORDER BY {order} LIMIT 50"
            );
            let plan: Vec<String> = s
                .conn()
                .prepare(&sql)
                .unwrap()
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join(" | ");
            assert!(plan.contains(index), "{order}: {plan}");
            assert!(!plan.contains("TEMP B-TREE FOR ORDER BY"), "{order}: {plan}");
        }
    }
}
