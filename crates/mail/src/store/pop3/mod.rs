//! POP3 accounts in the store: their local folders (Inbox, Sent, Drafts, Trash: ordinary
//! `folders` rows with a fixed UIDVALIDITY and UIDs counted here, so the list and body API
//! is the IMAP one), the seen-UID list, and the durable commit of downloaded messages.
//!
//! **Durability.** A downloaded message, its body and its seen-UID row are one transaction,
//! committed with `synchronous = FULL` (the WAL is fsynced before the commit returns): the
//! receive pass sends DELE for a message only after this returned, so a crash or a power
//! cut can never lose a message the server was told to delete.

mod batch;
mod local;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

pub(crate) use batch::header_part;
pub use batch::{Pop3Batch, Pop3Body, Pop3Incoming, Prior};

use super::types::{AccountId, FolderId, Role, Summary, sender_key, subject_key};
use super::{Store, now};
use crate::error::{Error, Result};

/// The UIDVALIDITY of local folders: they never change generation.
pub const LOCAL_UIDVALIDITY: u32 = 1;

/// The local folders of a POP3 account, by server-style name and role.
pub const LOCAL_FOLDERS: [(&str, Role); 4] =
    [("INBOX", Role::Inbox), ("Sent", Role::Sent), ("Drafts", Role::Drafts), ("Trash", Role::Trash)];

/// What happened to a UID the server listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeenState {
    Downloaded,
    /// Headers only (TOP n 0); the rest comes when the message is opened.
    Partial,
    /// Not downloaded (too large); looked at again by every pass.
    Skipped,
}

impl SeenState {
    fn as_str(self) -> &'static str {
        match self {
            SeenState::Downloaded => "downloaded",
            SeenState::Partial => "partial",
            SeenState::Skipped => "skipped",
        }
    }
    fn parse(s: &str) -> SeenState {
        match s {
            "partial" => SeenState::Partial,
            "skipped" => SeenState::Skipped,
            _ => SeenState::Downloaded,
        }
    }
}

/// One row of the seen-UID list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenUid {
    pub uid: String,
    /// The local copy (`messages.id`), while there is one.
    pub message: Option<i64>,
    /// Unix seconds of the pass that first saw it.
    pub first_seen: i64,
    /// The size LIST stated.
    pub size: u64,
    pub state: SeenState,
    pub skip_reason: Option<String>,
    pub deleted_locally: bool,
    /// Unix seconds of the QUIT that removed it from the server.
    pub deleted_on_server: Option<i64>,
}

/// A stored message as the receive preview names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Described {
    pub from: Option<String>,
    pub subject: Option<String>,
}

/// What one commit did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// Every UID of the batch now safely stored (inserted now, or found already stored).
    pub uids: Vec<String>,
    pub inserted: usize,
    /// Already stored (a download repeated after an interrupted pass, or no-UIDL duplicates).
    pub duplicates: usize,
}

fn seen_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SeenUid> {
    Ok(SeenUid {
        uid: r.get(0)?,
        message: r.get(1)?,
        first_seen: r.get(2)?,
        size: r.get::<_, i64>(3)? as u64,
        state: SeenState::parse(&r.get::<_, String>(4)?),
        skip_reason: r.get(5)?,
        deleted_locally: r.get(6)?,
        deleted_on_server: r.get(7)?,
    })
}

const SEEN_COLUMNS: &str =
    "uid, message, first_seen, size, state, skip_reason, deleted_locally, deleted_on_server";

impl Store {
    /// Marks `account` as a POP3 account and makes sure its local folders exist. Returns
    /// the Inbox. Refused for an account whose folders came from an IMAP server: the two
    /// must never share folders.
    pub fn pop3_setup(&mut self, account: AccountId) -> Result<FolderId> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "create the local folders", e);
        let tx = self.conn.transaction().map_err(err)?;
        let imap: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM folders WHERE account = ?1)
                    AND NOT EXISTS (SELECT 1 FROM pop3_accounts WHERE account = ?1)",
                [account.0],
                |r| r.get(0),
            )
            .map_err(err)?;
        if imap {
            return Err(Error::config(
                "this account's folders come from an IMAP server; a POP3 account needs an account of its own",
            ));
        }
        tx.execute("INSERT INTO pop3_accounts (account) VALUES (?1) ON CONFLICT DO NOTHING", [account.0])
            .map_err(err)?;
        for (name, role) in LOCAL_FOLDERS {
            tx.execute(
                "INSERT INTO folders (account, name, delimiter, role, subscribed, selectable, uidvalidity, uidnext)
                 VALUES (?1, ?2, '/', ?3, 1, 1, ?4, 1) ON CONFLICT (account, name) DO NOTHING",
                params![account.0, name, role.as_str(), LOCAL_UIDVALIDITY],
            )
            .map_err(err)?;
        }
        let inbox = tx
            .query_row("SELECT id FROM folders WHERE account = ?1 AND name = 'INBOX'", [account.0], |r| {
                r.get(0)
            })
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(FolderId(inbox))
    }

    /// Whether `account`'s folders live only here (a POP3 account): its changes are applied
    /// with [`Store::apply_local`], never replayed to a server.
    pub fn is_local_account(&self, account: AccountId) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM pop3_accounts WHERE account = ?1", [account.0], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(self.err("read the account type"))
    }

    /// The seen-UID list of an account, by UID.
    pub fn pop3_seen(&self, account: AccountId) -> Result<HashMap<String, SeenUid>> {
        let sql = format!("SELECT {SEEN_COLUMNS} FROM pop3_uids WHERE account = ?1");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err("read the POP3 seen list"))?;
        let rows = stmt.query_map([account.0], seen_row).map_err(self.err("read the POP3 seen list"))?;
        let mut out = HashMap::new();
        for row in rows {
            let row = row.map_err(self.err("read the POP3 seen list"))?;
            out.insert(row.uid.clone(), row);
        }
        Ok(out)
    }

    /// The seen-UID list of the account with config id `key`, without creating anything
    /// (for the dry run): empty for an account the store does not know.
    pub fn pop3_seen_by_key(&self, key: &str) -> Result<HashMap<String, SeenUid>> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM accounts WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.err("read the POP3 seen list"))?;
        match id {
            Some(id) => self.pop3_seen(AccountId(id)),
            None => Ok(HashMap::new()),
        }
    }

    /// Who sent each message still stored here, and its subject, by POP3 unique id (for the
    /// receive preview, which otherwise knows only ids and sizes).
    pub fn pop3_senders_by_key(&self, key: &str) -> Result<HashMap<String, Described>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.uid, m.from_name, m.from_addr, m.subject FROM pop3_uids p \
                 JOIN messages m ON m.id = p.message JOIN accounts a ON a.id = p.account WHERE a.key = ?1",
            )
            .map_err(self.err("read the POP3 messages"))?;
        let rows = stmt
            .query_map([key], |r| {
                let (name, addr): (Option<String>, Option<String>) = (r.get(1)?, r.get(2)?);
                let from = match (name.filter(|n| !n.trim().is_empty()), addr) {
                    (Some(n), Some(a)) => Some(format!("{n} <{a}>")),
                    (n, a) => n.or(a),
                };
                Ok((r.get::<_, String>(0)?, Described { from, subject: r.get(3)? }))
            })
            .map_err(self.err("read the POP3 messages"))?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err("read the POP3 messages"))
    }

    /// The seen-UID row of a local message (to fetch the rest of a partial one).
    pub fn pop3_seen_for(&self, folder: FolderId, uid: u32) -> Result<Option<SeenUid>> {
        let sql = format!(
            "SELECT {} FROM pop3_uids p JOIN messages m ON m.id = p.message WHERE m.folder = ?1 AND m.uid = ?2",
            SEEN_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
        );
        self.conn
            .query_row(&sql, params![folder.0, uid], seen_row)
            .optional()
            .map_err(self.err("read a POP3 message"))
    }

    /// Stores downloaded messages in the Inbox with their seen-UID rows, durably (see the
    /// module comment). Spool files are removed afterwards, whatever the outcome.
    pub fn pop3_commit(
        &mut self,
        account: AccountId,
        inbox: FolderId,
        batch: Pop3Batch,
        at: i64,
    ) -> Result<Committed> {
        let files: Vec<PathBuf> = batch
            .items
            .iter()
            .filter_map(|i| match &i.body {
                Some(Pop3Body::File(p)) => Some(p.clone()),
                _ => None,
            })
            .collect();
        let label = self.label.clone();
        let r = self.durably(batch.arena.len(), |tx| commit_batch(tx, &label, account, inbox, batch, at));
        for f in files {
            let _ = std::fs::remove_file(f);
        }
        r
    }

    /// Runs `f` in a transaction committed with `synchronous = FULL`, with a page cache of at
    /// least `bytes` (twice what the transaction writes): a cache smaller than the batch
    /// spills dirty pages to the WAL before the commit and writes many twice (measured: a
    /// third of the commit time with 16 MB batches and the default 2 MB cache). Both
    /// settings are put back afterwards.
    fn durably<R>(&mut self, bytes: usize, f: impl FnOnce(&Transaction<'_>) -> Result<R>) -> Result<R> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "save downloaded messages", e);
        let cache: i64 = self.conn.pragma_query_value(None, "cache_size", |r| r.get(0)).map_err(err)?;
        let want = -i64::try_from(bytes.saturating_mul(2) / 1024).unwrap_or(i64::MAX);
        let grow = -want > self.cache_kib(cache)?;
        if grow {
            self.conn.pragma_update(None, "cache_size", want).map_err(err)?;
        }
        self.conn.pragma_update(None, "synchronous", "FULL").map_err(err)?;
        let r = (|| {
            let tx = self.conn.transaction().map_err(err)?;
            let r = f(&tx)?;
            tx.commit().map_err(err)?;
            Ok(r)
        })();
        let mut restored = self.conn.pragma_update(None, "synchronous", "NORMAL").map_err(err);
        if grow {
            restored = restored.and(self.conn.pragma_update(None, "cache_size", cache).map_err(err));
        }
        let r = r?;
        restored?;
        Ok(r)
    }

    /// Records messages not downloaded (too large), keeping an earlier first-seen time.
    pub fn pop3_skipped(
        &mut self,
        account: AccountId,
        skipped: &[(String, u64, String)],
        at: i64,
    ) -> Result<()> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "record skipped messages", e);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut up = tx
                .prepare_cached(
                    "INSERT INTO pop3_uids (account, uid, first_seen, size, state, skip_reason)
                     VALUES (?1, ?2, ?3, ?4, 'skipped', ?5)
                     ON CONFLICT (account, uid) DO UPDATE SET size = excluded.size, skip_reason = excluded.skip_reason
                     WHERE state = 'skipped'",
                )
                .map_err(err)?;
            for (uid, size, reason) in skipped {
                up.execute(params![account.0, uid, at, *size as i64, reason]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Records that a successful QUIT removed these UIDs from the server, and the pass.
    pub fn pop3_finish_pass(&mut self, account: AccountId, deleted: &[String], at: i64) -> Result<()> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "record deletions on the server", e);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut up = tx
                .prepare_cached("UPDATE pop3_uids SET deleted_on_server = ?3 WHERE account = ?1 AND uid = ?2")
                .map_err(err)?;
            for uid in deleted {
                up.execute(params![account.0, uid, at]).map_err(err)?;
            }
        }
        tx.execute("UPDATE pop3_accounts SET last_pass = ?2 WHERE account = ?1", params![account.0, at])
            .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Completes a partial message with its full text (durably: the server copy may be
    /// deleted afterwards). Returns false when the message is gone from the store.
    pub fn pop3_complete(&mut self, account: AccountId, uid: &str, raw: &[u8]) -> Result<bool> {
        let at = now();
        let label = self.label.clone();
        self.durably(raw.len(), |tx| {
            let message: Option<i64> = tx
                .query_row(
                    "SELECT message FROM pop3_uids WHERE account = ?1 AND uid = ?2",
                    params![account.0, uid],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql(&label))?
                .flatten();
            let Some(message) = message else { return Ok(false) };
            tx.execute(
                "INSERT INTO bodies (message, raw, fetched_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (message) DO UPDATE SET raw = excluded.raw, fetched_at = excluded.fetched_at",
                params![message, raw, at],
            )
            .map_err(sql(&label))?;
            tx.execute("UPDATE messages SET size = ?2 WHERE id = ?1", params![message, raw.len() as i64])
                .map_err(sql(&label))?;
            tx.execute(
                "UPDATE pop3_uids SET state = 'downloaded' WHERE account = ?1 AND uid = ?2",
                params![account.0, uid],
            )
            .map_err(sql(&label))?;
            Ok(true)
        })
    }
}

/// Maps SQLite errors of a commit.
fn sql(label: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| super::sql_error(label, "save downloaded messages", e)
}

fn commit_batch(
    tx: &Transaction<'_>,
    label: &str,
    account: AccountId,
    inbox: FolderId,
    batch: Pop3Batch,
    at: i64,
) -> Result<Committed> {
    let e = sql(label);
    let mut out = Committed::default();
    let mut known = tx
        .prepare_cached("SELECT state, first_seen, message FROM pop3_uids WHERE account = ?1 AND uid = ?2")
        .map_err(&e)?;
    let mut add_body =
        tx.prepare_cached("INSERT INTO bodies (message, raw, fetched_at) VALUES (?1, ?2, ?3)").map_err(&e)?;
    let mut add_uid = tx
        .prepare_cached(
            "INSERT INTO pop3_uids (account, uid, message, first_seen, size, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account, uid) DO UPDATE SET message = excluded.message, size = excluded.size,
                state = excluded.state, skip_reason = NULL",
        )
        .map_err(&e)?;
    let mut next_uid: u32 = tx
        .query_row("SELECT coalesce(uidnext, 1) FROM folders WHERE id = ?1", [inbox.0], |r| r.get(0))
        .map_err(&e)?;
    let arena = &batch.arena;
    for item in batch.items {
        let mut prior: Option<(String, i64, Option<i64>)> = known
            .query_row(params![account.0, item.uid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(&e)?;
        if let Some((state, _, message)) = prior.as_ref().filter(|(state, ..)| state != "skipped") {
            let same = match item.prior {
                Prior::Same => true,
                Prior::Deleted => false,
                Prior::Compare => match (state.as_str(), message) {
                    ("downloaded", Some(m)) => same_body(tx, *m, &item, arena)?,
                    _ => false,
                },
            };
            if same {
                if item.prior == Prior::Compare {
                    // The same message, whose size the server now states otherwise.
                    tx.execute(
                        "UPDATE pop3_uids SET size = ?3 WHERE account = ?1 AND uid = ?2",
                        params![account.0, item.uid, item.size as i64],
                    )
                    .map_err(&e)?;
                }
                out.duplicates += 1;
                out.uids.push(item.uid);
                continue;
            }
            // The id names another message now: the old row keeps its history under
            // another name, and this one is stored as new.
            tx.execute(
                "UPDATE pop3_uids SET uid = uid || '#replaced-' || abs(random()) WHERE account = ?1 AND uid = ?2",
                params![account.0, item.uid],
            )
            .map_err(&e)?;
            prior = None;
        }
        let first_seen = prior.map_or(at, |(_, t, _)| t);
        let state = if item.body.is_some() { SeenState::Downloaded } else { SeenState::Partial };
        let raw: Option<&[u8]> = match &item.body {
            Some(Pop3Body::Arena(r)) => Some(&arena[r.clone()]),
            _ => None,
        };
        let file = match &item.body {
            Some(Pop3Body::File(p)) => Some(spooled(p)?),
            _ => None,
        };
        let (summary, parse_error) = match crate::sync::headers::summary(&arena[item.header.clone()]) {
            Ok(s) => (s, None),
            Err(why) => (Summary::default(), Some(why)),
        };
        let size = match (raw, &file) {
            (Some(r), _) => r.len() as u64,
            (None, Some((_, len, _))) => *len,
            (None, None) => item.size,
        };
        let id = insert_message(tx, label, inbox, next_uid, size, at, &summary, parse_error)?;
        next_uid += 1;
        if let Some(raw) = raw {
            add_body.execute(params![id, raw, at]).map_err(&e)?;
        }
        if let Some((f, len, path)) = file {
            stream_body(tx, label, id, f, len, &path, at)?;
        }
        add_uid
            .execute(params![account.0, item.uid, id, first_seen, item.size as i64, state.as_str()])
            .map_err(&e)?;
        out.inserted += 1;
        out.uids.push(item.uid);
    }
    tx.execute("UPDATE folders SET uidnext = ?2 WHERE id = ?1", params![inbox.0, next_uid]).map_err(&e)?;
    Ok(out)
}

/// Whether the stored body of `message` holds exactly the bytes of `item` (compared in
/// pieces: a big body is never read whole).
fn same_body(tx: &Transaction<'_>, message: i64, item: &Pop3Incoming, arena: &[u8]) -> Result<bool> {
    use std::io::Read;
    let Ok(mut stored) = tx.blob_open(rusqlite::MAIN_DB, "bodies", "raw", message, true) else {
        return Ok(false);
    };
    let mut incoming: Box<dyn Read> = match &item.body {
        Some(Pop3Body::Arena(r)) => Box::new(&arena[r.clone()]),
        Some(Pop3Body::File(p)) => Box::new(spooled(p)?.0),
        None => return Ok(false),
    };
    let (mut a, mut b) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = stored.read(&mut a).map_err(|err| Error::storage("cannot read a stored message", err))?;
        let mut m = 0;
        while m < n {
            let k = incoming
                .read(&mut b[m..n])
                .map_err(|err| Error::storage("cannot read a downloaded message", err))?;
            if k == 0 {
                return Ok(false);
            }
            m += k;
        }
        if a[..n] != b[..n] {
            return Ok(false);
        }
        if n == 0 {
            let rest = incoming.read(&mut b[..1]);
            return Ok(rest.map_err(|err| Error::storage("cannot read a downloaded message", err))? == 0);
        }
    }
}

/// A spooled message file, opened: the file, its length and its path.
fn spooled(p: &std::path::Path) -> Result<(std::fs::File, u64, PathBuf)> {
    let what = |err| Error::storage(format!("cannot read the downloaded message {}", p.display()), err);
    let f = std::fs::File::open(p).map_err(what)?;
    let len = f.metadata().map_err(what)?.len();
    Ok((f, len, p.to_path_buf()))
}

/// A big message's body goes from its spool file into the store in pieces (SQLite's
/// incremental blob I/O): memory stays at a buffer whatever its size.
fn stream_body(
    tx: &Transaction<'_>,
    label: &str,
    id: i64,
    mut f: std::fs::File,
    len: u64,
    path: &std::path::Path,
    at: i64,
) -> Result<()> {
    let e = sql(label);
    let n =
        i64::try_from(len).map_err(|_| Error::new(crate::Kind::Storage, "a message too large to store"))?;
    tx.prepare_cached("INSERT INTO bodies (message, raw, fetched_at) VALUES (?1, zeroblob(?2), ?3)")
        .map_err(&e)?
        .execute(params![id, n, at])
        .map_err(&e)?;
    let mut blob = tx.blob_open(rusqlite::MAIN_DB, "bodies", "raw", id, false).map_err(&e)?;
    let copied = std::io::copy(&mut f, &mut blob).map_err(|err| {
        Error::storage(format!("cannot store the downloaded message {}", path.display()), err)
    })?;
    if copied != len {
        return Err(Error::new(
            crate::Kind::Storage,
            format!("the downloaded message {} changed while it was stored", path.display()),
        ));
    }
    Ok(())
}

/// A new unread message row in a local folder; returns its row id.
#[allow(clippy::too_many_arguments)]
pub(in crate::store) fn insert_message(
    tx: &Transaction<'_>,
    label: &str,
    folder: FolderId,
    uid: u32,
    size: u64,
    at: i64,
    s: &Summary,
    parse_error: Option<String>,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO messages (folder, uidvalidity, uid, flags, unread, flagged, answered, size, internal_date,
            date, sort_date, from_name, from_addr, sender_sort, to_addrs, cc_addrs, subject, subject_sort,
            message_id, in_reply_to, refs, has_attachment, parse_error)
         VALUES (?1, ?2, ?3, '', 1, 0, 0, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            folder.0,
            LOCAL_UIDVALIDITY,
            uid,
            size as i64,
            at,
            s.date,
            s.date.unwrap_or(at),
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
            parse_error,
        ])
    })
    .map_err(sql(label))?;
    Ok(tx.last_insert_rowid())
}
