//! Conversations (schema version 8): messages grouped by Message-ID, In-Reply-To and
//! References, the JWZ way, as they are stored. Each Message-ID an account's messages name
//! (their own, their parent's, their References) is a node in `thread_nodes` with the thread
//! it belongs to and its parent; a node no stored message carries is a placeholder for a
//! missing parent, so a reply stored before its parent, or whose parent was deleted, still
//! meets the rest of its thread. A message naming nodes of several threads joins them into
//! one (the lowest id wins). Nodes are per account, not per folder: one's own replies in Sent
//! join the thread of the message in the Inbox. Subjects are never used to join: two
//! messages called "Lunch" are two threads unless their headers link them.
//!
//! Rows are threaded in the transaction that inserts them (see `Store::insert_messages`);
//! rows left without a thread (an older store after the update, or a path that does not
//! thread at once) are threaded a chunk at a time by [`Store::thread_pending`], and until
//! then each shows as a thread of its own.

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::messages::{ROW_COLUMNS, message_row};
use super::types::{FolderId, MessageRow, Sort, SortKey};
use super::{Store, sql_error};
use crate::error::Result;
use crate::limits;

/// A conversation. Negative for a message not threaded yet: the thread of that row alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ThreadId(pub i64);

/// A row of the threaded list: one thread as a folder holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadSummary {
    pub thread: ThreadId,
    /// The thread's newest message in the folder.
    pub newest: MessageRow,
    /// The thread's messages in the folder.
    pub count: u32,
    pub unread: u32,
}

/// A message of a conversation, wherever it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadMessage {
    pub folder: FolderId,
    pub row: MessageRow,
    /// The Message-ID it replies to, as threading decided (In-Reply-To, else the last of
    /// References); `None` for the start of the thread.
    pub parent: Option<String>,
}

/// A Message-ID as nodes are keyed: without angle brackets and spaces, the domain in lower
/// case (domains are case-insensitive; the local part is compared exactly).
pub fn normalise(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    if id.is_empty() || id.len() > limits::MAX_MESSAGE_ID || id.contains(char::is_whitespace) {
        return None;
    }
    Some(match id.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
        None => id.to_string(),
    })
}

/// What one message says about its place: its own id, its parent, and the chain of
/// References above it (oldest first), each normalised and without repeats.
struct Links {
    own: Option<String>,
    parent: Option<String>,
    chain: Vec<String>,
}

fn links(message_id: Option<&str>, in_reply_to: Option<&str>, refs: Option<&str>) -> Links {
    let own = message_id.and_then(normalise);
    let mut chain: Vec<String> = Vec::new();
    for id in refs.unwrap_or_default().split_whitespace().filter_map(normalise) {
        if Some(&id) != own.as_ref() && !chain.contains(&id) {
            chain.push(id);
        }
    }
    // In-Reply-To names the parent; References, when it is missing (some clients send only
    // References) or gives no usable id.
    let irt = in_reply_to.and_then(normalise).filter(|id| Some(id) != own.as_ref());
    if let Some(id) = &irt
        && !chain.contains(id)
    {
        chain.push(id.clone());
    }
    let parent = irt.or_else(|| chain.last().cloned());
    Links { own, parent, chain }
}

/// The threaded list's query: `select` from each thread of folder `?1` (`t.thread`, `t.n`
/// messages, `t.u` unread) joined to its newest message `m`, in `sort` order of that message,
/// `LIMIT ?2 OFFSET ?3`.
fn threads_sql(sort: Sort, select: &str) -> String {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let order = match sort.key {
        SortKey::Date => format!("m.sort_date {dir}, m.id {dir}"),
        SortKey::Sender => format!("m.sender_sort {dir}, m.sort_date {dir}, m.id {dir}"),
        SortKey::Subject => format!("m.subject_sort {dir}, m.sort_date {dir}, m.id {dir}"),
        SortKey::Size => format!("m.size {dir}, m.id {dir}"),
    };
    // SQLite takes the bare column `id` from the row holding the max(): the newest.
    format!(
        "WITH t AS (
            SELECT id, max(sort_date) AS newest, count(*) AS n, sum(unread) AS u,
                coalesce(thread_id, -id) AS thread
            FROM messages WHERE folder = ?1 GROUP BY coalesce(thread_id, -id)
         )
         SELECT {select} FROM t JOIN messages m ON m.id = t.id
         ORDER BY {order} LIMIT ?2 OFFSET ?3"
    )
}

/// Whether making `parent` the parent of `node` would close a loop (`node` is `parent` or
/// one of its ancestors).
fn would_loop(conn: &Connection, account: i64, node: &str, parent: &str) -> rusqlite::Result<bool> {
    let mut up = Some(parent.to_string());
    let mut steps = 0;
    let mut stmt =
        conn.prepare_cached("SELECT parent FROM thread_nodes WHERE account = ?1 AND message_id = ?2")?;
    while let Some(at) = up {
        if at == node || steps > limits::MAX_THREAD_DEPTH {
            return Ok(true);
        }
        up = stmt.query_row(params![account, at], |r| r.get::<_, Option<String>>(0)).optional()?.flatten();
        steps += 1;
    }
    Ok(false)
}

/// Threads message row `id`: finds or makes its nodes, joins the threads they belong to and
/// records the thread on the row.
fn link(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    let row = conn
        .prepare_cached(
            "SELECT f.account, m.message_id, m.in_reply_to, m.refs FROM messages m
             JOIN folders f ON f.id = m.folder WHERE m.id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .optional()?;
    let Some((account, message_id, in_reply_to, refs)) = row else { return Ok(()) };
    let l = links(message_id.as_deref(), in_reply_to.as_deref(), refs.as_deref());

    // The threads its nodes are in already.
    let mut found: Vec<i64> = Vec::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT thread FROM thread_nodes WHERE account = ?1 AND message_id = ?2")?;
        for node in l.own.iter().chain(&l.chain) {
            if let Some(t) = stmt.query_row(params![account, node], |r| r.get::<_, i64>(0)).optional()?
                && !found.contains(&t)
            {
                found.push(t);
            }
        }
    }
    let thread = match found.iter().min() {
        Some(t) => *t,
        None => conn
            .prepare_cached("UPDATE thread_counter SET next = next + 1 RETURNING next - 1")?
            .query_row([], |r| r.get(0))?,
    };
    // Union: every other thread it touches becomes this one.
    for other in found.iter().filter(|t| **t != thread) {
        conn.prepare_cached("UPDATE thread_nodes SET thread = ?2 WHERE thread = ?1")?
            .execute(params![other, thread])?;
        conn.prepare_cached("UPDATE messages SET thread_id = ?2 WHERE thread_id = ?1")?
            .execute(params![other, thread])?;
    }

    // The References chain: each id's parent is the one before it, unless known already.
    let mut add = conn.prepare_cached(
        "INSERT INTO thread_nodes (account, message_id, thread, parent) VALUES (?1, ?2, ?3, NULL)
         ON CONFLICT (account, message_id) DO UPDATE SET thread = excluded.thread",
    )?;
    let mut set_parent =
        conn.prepare_cached("UPDATE thread_nodes SET parent = ?3 WHERE account = ?1 AND message_id = ?2")?;
    let mut parent_of =
        conn.prepare_cached("SELECT parent FROM thread_nodes WHERE account = ?1 AND message_id = ?2")?;
    let mut above: Option<&String> = None;
    for node in &l.chain {
        add.execute(params![account, node, thread])?;
        if let Some(p) = above {
            let known: Option<String> = parent_of.query_row(params![account, node], |r| r.get(0))?;
            if known.is_none() && !would_loop(conn, account, node, p)? {
                set_parent.execute(params![account, node, p])?;
            }
        }
        above = Some(node);
    }
    // Its own node: what the message itself says of its parent wins over what others
    // guessed (a placeholder filled in).
    if let Some(own) = &l.own {
        add.execute(params![account, own, thread])?;
        if let Some(p) = &l.parent
            && !would_loop(conn, account, own, p)?
        {
            set_parent.execute(params![account, own, p])?;
        }
    }
    conn.prepare_cached("UPDATE messages SET thread_id = ?2 WHERE id = ?1")?.execute(params![id, thread])?;
    Ok(())
}

/// Threads up to `max` rows without a thread, newest (highest id) first; returns how many.
/// Right after an insert the rows just added are the newest ones without a thread.
pub(super) fn link_unthreaded(conn: &Connection, max: usize) -> rusqlite::Result<usize> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM messages WHERE thread_id IS NULL ORDER BY id DESC LIMIT ?1")?
        .query_map([max.min(i64::MAX as usize) as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        link(conn, *id)?;
    }
    Ok(ids.len())
}

impl Store {
    /// Threads the stored messages that have no thread yet, a chunk of
    /// [`limits::THREAD_CHUNK`] per transaction, until `max` are done or `time` has passed.
    /// Returns how many. After the update that added conversations, every message of an
    /// older store waits here (100k in about 4 s, BENCHMARKS.md).
    pub fn thread_pending(&mut self, max: usize, time: Duration) -> Result<usize> {
        let started = Instant::now();
        let mut done = 0;
        while done < max && started.elapsed() < time {
            let label = self.label.clone();
            let err = |e| sql_error(&label, "group messages into conversations", e);
            let tx = self.conn.transaction().map_err(err)?;
            let n = link_unthreaded(&tx, limits::THREAD_CHUNK.min(max - done)).map_err(err)?;
            tx.commit().map_err(err)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// How many stored messages wait to be threaded.
    pub fn thread_backlog(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM messages WHERE thread_id IS NULL", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.err("read the conversations' progress"))
    }

    /// One page of a folder's threaded list: each thread with a message in the folder, by
    /// its newest message there (in `sort` order of that message), with the count and the
    /// unread count of its messages in the folder.
    pub fn threads(
        &self,
        folder: FolderId,
        sort: Sort,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<ThreadSummary>> {
        let sql = threads_sql(sort, &format!("{ROW_COLUMNS}, t.thread, t.n, t.u"));
        let err = self.err("read the conversations");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(
                params![folder.0, limit.min(i64::MAX as u64) as i64, offset.min(i64::MAX as u64) as i64],
                |r| {
                    Ok(ThreadSummary {
                        newest: message_row(r)?,
                        thread: ThreadId(r.get(EXTRA)?),
                        count: r.get(EXTRA + 1)?,
                        unread: r.get(EXTRA + 2)?,
                    })
                },
            )
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// Every thread of the folder in the order of [`Store::threads`], with its count of
    /// messages in the folder: where each thread is, so the threaded list can lay out its
    /// rows (and its expanded threads' messages) without reading every summary.
    pub fn thread_order(&self, folder: FolderId, sort: Sort) -> Result<Vec<(ThreadId, u32)>> {
        let sql = threads_sql(sort, "t.thread, t.n");
        let err = self.err("read the conversations");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(params![folder.0, i64::MAX, 0], |r| Ok((ThreadId(r.get(0)?), r.get(1)?)))
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// The thread of message `uid` in `folder` (at the folder's UIDVALIDITY).
    pub fn thread_of(&self, folder: FolderId, uid: u32) -> Result<Option<ThreadId>> {
        self.conn
            .query_row(
                "SELECT coalesce(m.thread_id, -m.id) FROM messages m JOIN folders f ON f.id = m.folder
                 WHERE m.folder = ?1 AND m.uidvalidity = f.uidvalidity AND m.uid = ?2",
                params![folder.0, uid],
                |r| r.get(0),
            )
            .optional()
            .map(|t| t.map(ThreadId))
            .map_err(self.err("find a message's conversation"))
    }

    /// Every stored message of a conversation, in every folder of its account, oldest
    /// first: what "Open conversation" shows one after another.
    pub fn thread_messages(&self, thread: ThreadId) -> Result<Vec<ThreadMessage>> {
        let which = if thread.0 < 0 { "m.id = -?1" } else { "m.thread_id = ?1" };
        let sql = format!(
            "SELECT {ROW_COLUMNS}, m.folder, f.account FROM messages m JOIN folders f ON f.id = m.folder
             WHERE {which} ORDER BY m.sort_date, m.id"
        );
        let err = self.err("read a conversation");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(&err)?;
        let rows = stmt
            .query_map([thread.0], |r| {
                Ok((message_row(r)?, FolderId(r.get(EXTRA)?), r.get::<_, i64>(EXTRA + 1)?))
            })
            .map_err(&err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&err)?;
        let mut parent_of = self
            .conn
            .prepare_cached("SELECT parent FROM thread_nodes WHERE account = ?1 AND message_id = ?2")
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        for (row, folder, account) in rows {
            let parent = match row.summary.message_id.as_deref().and_then(normalise) {
                Some(id) => parent_of
                    .query_row(params![account, id], |r| r.get::<_, Option<String>>(0))
                    .optional()
                    .map_err(&err)?
                    .flatten(),
                None => None,
            };
            out.push(ThreadMessage { folder, row, parent });
        }
        Ok(out)
    }
}

/// Where the columns after [`ROW_COLUMNS`] start.
const EXTRA: usize = 18;
