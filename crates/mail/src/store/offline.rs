//! What keeping mail offline asks of the store: which messages of a folder have no body
//! yet (newest first, from a cursor, so a message the server no longer gives is passed over
//! instead of asked for again), how many in scope are stored, and a chunk of downloaded
//! bodies kept in one transaction. A body already stored (opened meanwhile) is left as it is:
//! each message has at most one body row, and a resumed download only asks for the rest.

use rusqlite::params;

use super::{AccountId, FolderId, Store};
use crate::error::Result;

/// A message whose body is not stored yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingBody {
    pub uid: u32,
    /// RFC822.SIZE, as the header sync stored it.
    pub size: u64,
    /// Where the next page starts after this one (see [`Store::missing_bodies`]).
    pub at: BodyCursor,
}

/// A position in a folder's newest-first order: (sort date, UID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyCursor {
    pub sort_date: i64,
    pub uid: u32,
}

/// The messages in scope: those of the folder's current UIDVALIDITY whose header could be
/// read, dated (or received) at `since` or later when a day limit is set.
const IN_SCOPE: &str = "m.folder = ?1 AND m.uidvalidity = f.uidvalidity AND m.parse_error IS NULL
    AND (?2 IS NULL OR m.sort_date >= ?2 OR m.internal_date >= ?2)";

impl Store {
    /// Up to `limit` messages of `folder` without a stored body, newest first, after
    /// `after` (exclusive) when given.
    pub fn missing_bodies(
        &self,
        folder: FolderId,
        since: Option<i64>,
        after: Option<BodyCursor>,
        limit: usize,
    ) -> Result<Vec<MissingBody>> {
        let sql = format!(
            "SELECT m.uid, m.size, m.sort_date FROM messages m JOIN folders f ON f.id = m.folder
             WHERE {IN_SCOPE} AND (?3 IS NULL OR (m.sort_date, m.uid) < (?3, ?4))
               AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message = m.id)
             ORDER BY m.sort_date DESC, m.uid DESC LIMIT ?5"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err("list the messages to download"))?;
        let rows = stmt
            .query_map(
                params![folder.0, since, after.map(|c| c.sort_date), after.map(|c| c.uid), limit as i64],
                |r| {
                    let uid: u32 = r.get(0)?;
                    let size: i64 = r.get(1)?;
                    Ok(MissingBody {
                        uid,
                        size: size.max(0) as u64,
                        at: BodyCursor { sort_date: r.get(2)?, uid },
                    })
                },
            )
            .map_err(self.err("list the messages to download"))?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err("list the messages to download"))
    }

    /// Messages in scope of the account's selectable folders: (with a body, in all).
    pub fn offline_counts(&self, account: AccountId, since: Option<i64>) -> Result<(u64, u64)> {
        let sql = format!(
            "SELECT COUNT(b.message), COUNT(*) FROM folders f
             JOIN messages m ON {}
             LEFT JOIN bodies b ON b.message = m.id
             WHERE f.account = ?3 AND f.selectable = 1",
            IN_SCOPE.replace("?1", "f.id")
        );
        self.conn
            .query_row(&sql, params![None::<i64>, since, account.0], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })
            .map_err(self.err("count the messages kept offline"))
    }

    /// Keeps downloaded bodies of `folder` in one transaction. A message no longer stored
    /// (expunged meanwhile, or of an older UIDVALIDITY) or whose body is stored already is
    /// skipped. Returns how many were stored.
    pub fn save_bodies(
        &mut self,
        folder: FolderId,
        uidvalidity: u32,
        bodies: &[(u32, Vec<u8>)],
    ) -> Result<usize> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "save the downloaded messages", e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut stored = 0;
        {
            // Indexed for search by the store's idle work (the `bodies` trigger queues them).
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO bodies (message, raw, fetched_at)
                     SELECT id, ?4, ?5 FROM messages WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3
                     ON CONFLICT (message) DO NOTHING",
                )
                .map_err(err)?;
            let now = super::now();
            for (uid, raw) in bodies {
                stored += insert.execute(params![folder.0, uidvalidity, uid, raw, now]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::messages::tests::message;
    use crate::store::{FolderInfo, Role};

    #[test]
    fn missing_bodies_newest_first_from_a_cursor_within_the_days_and_saved_once() {
        let mut s = Store::open_in_memory().unwrap();
        let a = s.account("a").unwrap();
        let info = FolderInfo {
            name: "INBOX".into(),
            delimiter: Some("/".into()),
            role: Some(Role::Inbox),
            subscribed: true,
            selectable: true,
        };
        let f = s.replace_folders(a, &[info]).unwrap()[0].id;
        s.begin_folder(f, 7).unwrap();
        let msgs: Vec<_> = (1..=5).map(message).collect();
        s.insert_messages(f, 7, &msgs).unwrap();
        let sort_date = |uid: u32| -> i64 {
            s.conn().query_row("SELECT sort_date FROM messages WHERE uid = ?1", [uid], |r| r.get(0)).unwrap()
        };
        let dates: Vec<i64> = (1..=5).map(sort_date).collect();
        assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");

        let all = s.missing_bodies(f, None, None, 10).unwrap();
        assert_eq!(all.iter().map(|m| m.uid).collect::<Vec<_>>(), [5, 4, 3, 2, 1]);
        let page = s.missing_bodies(f, None, Some(all[1].at), 2).unwrap();
        assert_eq!(page.iter().map(|m| m.uid).collect::<Vec<_>>(), [3, 2]);
        assert_eq!(s.offline_counts(a, None).unwrap(), (0, 5));
        // Days: only what is dated, or was received, at or after the limit (these were
        // received years after their Date).
        let since = 1_700_000_004;
        let recent = s.missing_bodies(f, Some(since), None, 10).unwrap();
        assert_eq!(recent.iter().map(|m| m.uid).collect::<Vec<_>>(), [5, 4]);
        assert_eq!(s.offline_counts(a, Some(since)).unwrap(), (0, 2));
        assert_eq!(s.offline_counts(a, Some(dates[3])).unwrap(), (0, 5));

        let bodies = vec![(5, b"Subject: 5\r\n\r\nfive".to_vec()), (4, b"Subject: 4\r\n\r\nfour".to_vec())];
        assert_eq!(s.save_bodies(f, 7, &bodies).unwrap(), 2);
        // Again (a resumed chunk), of another UIDVALIDITY, of a UID not stored: nothing more.
        assert_eq!(s.save_bodies(f, 7, &bodies).unwrap(), 0);
        assert_eq!(s.save_bodies(f, 8, &[(3, b"x".to_vec())]).unwrap(), 0);
        assert_eq!(s.save_bodies(f, 7, &[(99, b"x".to_vec())]).unwrap(), 0);
        assert_eq!(s.body(f, 7, 5).unwrap().unwrap(), bodies[0].1);
        assert_eq!(s.offline_counts(a, None).unwrap(), (2, 5));
        let left = s.missing_bodies(f, None, None, 10).unwrap();
        assert_eq!(left.iter().map(|m| m.uid).collect::<Vec<_>>(), [3, 2, 1]);
        let rows: i64 = s.conn().query_row("SELECT COUNT(*) FROM bodies", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 2);
    }
}
