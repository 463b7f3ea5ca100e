//! The views across every account at the top of the folder pane: "All Inboxes", "Unread" and
//! "Flagged". They are queries, not folders: a row keeps the folder it is stored in (and so
//! its account), and every action on it is that folder's, queued for that account's server.
//!
//! "Unread" and "Flagged" leave out Trash and Junk, as other clients do: a message thrown
//! away is not waiting to be read.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::messages::{ROW_COLUMNS, message_row};
use super::types::{Counts, FolderId, MessageRow, Sort, SortKey};
use crate::error::Result;

/// Which view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unified {
    Inboxes,
    Unread,
    Flagged,
}

impl Unified {
    pub const ALL: [Unified; 3] = [Unified::Inboxes, Unified::Unread, Unified::Flagged];

    /// As the folder pane names it.
    pub fn label(self) -> &'static str {
        match self {
            Unified::Inboxes => "All Inboxes",
            Unified::Unread => "Unread",
            Unified::Flagged => "Flagged",
        }
    }

    /// Which rows of `messages {m}` belong to the view.
    fn condition(self, m: &str) -> String {
        let not_thrown_away =
            format!("{m}.folder NOT IN (SELECT id FROM folders WHERE role IN ('trash', 'junk'))");
        match self {
            Unified::Inboxes => format!("{m}.folder IN (SELECT id FROM folders WHERE role = 'inbox')"),
            Unified::Unread => format!("{m}.unread = 1 AND {not_thrown_away}"),
            Unified::Flagged => format!("{m}.flagged = 1 AND {not_thrown_away}"),
        }
    }
}

/// A row of a view: the message, where it is stored, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnifiedRow {
    pub folder: FolderId,
    /// The config's id of the account.
    pub account: String,
    pub row: MessageRow,
}

fn order(sort: Sort) -> String {
    keys(sort)
        .iter()
        .map(|k| format!("m.{k} {}", if sort.descending { "DESC" } else { "ASC" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// By date, the index the view is read from (SQLite would rather gather the inbox folders'
/// rows and sort them all, 30 ms for 80,000 and 170 ms for a window deep in them, against
/// 0.1 ms and 5 ms along the index).
fn index(sort: Sort) -> &'static str {
    match sort.key {
        SortKey::Date => "INDEXED BY messages_by_sort_date",
        _ => "",
    }
}

/// The columns a view is ordered by. By date, ties are broken in the order of the index on
/// (sort_date, unread, flagged, answered, folder, size, has_attachment) and the row id, so
/// the view is read from that index newest first, filtered in it (the inbox folders, unread,
/// flagged) and cut without sorting 80,000 rows first; by another key, ties go by date.
fn keys(sort: Sort) -> &'static [&'static str] {
    match sort.key {
        SortKey::Date => {
            &["sort_date", "unread", "flagged", "answered", "folder", "size", "has_attachment", "id"]
        }
        SortKey::Sender => &["sender_sort", "sort_date", "id"],
        SortKey::Subject => &["subject_sort", "sort_date", "id"],
        SortKey::Size => &["size", "id"],
    }
}

impl Store {
    /// A window of a view's rows in `sort` order, as [`Store::list`] gives a folder's.
    pub fn unified(&self, view: Unified, sort: Sort, offset: u64, limit: u64) -> Result<Vec<UnifiedRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS}, m.folder, a.key FROM messages m {index}
             JOIN folders f ON f.id = m.folder JOIN accounts a ON a.id = f.account
             WHERE {} ORDER BY {} LIMIT ?1 OFFSET ?2",
            view.condition("m"),
            order(sort),
            index = index(sort)
        );
        let err = self.err("read the messages of every account");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(params![limit.min(i64::MAX as u64) as i64, offset.min(i64::MAX as u64) as i64], |r| {
                Ok(UnifiedRow {
                    row: message_row(r)?,
                    folder: FolderId(r.get(EXTRA)?),
                    account: r.get(EXTRA + 1)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// How many messages the view holds, and how many of them are unread: two counts, each
    /// answered from an index (the folder's, the unread messages'), not one pass over the rows.
    pub fn unified_counts(&self, view: Unified) -> Result<Counts> {
        let count = |extra: &str| {
            let sql = format!("SELECT count(*) FROM messages m WHERE {}{extra}", view.condition("m"));
            self.conn
                .query_row(&sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(self.err("count the messages of every account"))
        };
        Ok(Counts { total: count("")?, unread: count(" AND m.unread = 1")? })
    }

    /// Where message `uid` of `folder` is in the view in `sort` order (its offset for
    /// [`Store::unified`]); `None` when the view does not hold it.
    pub fn unified_position(
        &self,
        view: Unified,
        sort: Sort,
        folder: FolderId,
        uid: u32,
    ) -> Result<Option<u64>> {
        let keys = keys(sort);
        let of = |alias: &str| keys.iter().map(|k| format!("{alias}.{k}")).collect::<Vec<_>>().join(", ");
        let before = if sort.descending { ">" } else { "<" };
        // The message sought is `m` (it must be in the view), the rows before it `o`.
        let sql = format!(
            "SELECT (SELECT count(*) FROM messages o WHERE ({}) {before} ({}) AND {})
             FROM messages m JOIN folders f ON f.id = m.folder
             WHERE m.folder = ?1 AND m.uidvalidity = f.uidvalidity AND m.uid = ?2 AND {}",
            of("o"),
            of("m"),
            view.condition("o"),
            view.condition("m"),
        );
        self.conn
            .query_row(&sql, params![folder.0, uid], |r| r.get::<_, i64>(0))
            .optional()
            .map(|n| n.map(|n| n as u64))
            .map_err(self.err("find a message among every account's"))
    }
}

/// Where the columns after [`ROW_COLUMNS`] start.
const EXTRA: usize = 18;
