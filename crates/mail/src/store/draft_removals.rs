//! Copies of drafts still to be removed from an account's Drafts folder: a removal that
//! failed (the server could not be reached when the message was sent or discarded) is
//! recorded here and retried by the account's next passes, so no stale draft stays there.

use rusqlite::{OptionalExtension, params};

use super::{Store, now};
use crate::error::Result;

impl Store {
    /// Records a failed removal (again: one more attempt, and the latest error). An account
    /// the store does not know (removed meanwhile) records nothing and is not made again.
    pub fn draft_removal_failed(&mut self, key: &str, draft_id: &str, error: &str) -> Result<()> {
        let known: Option<i64> = self
            .conn
            .query_row("SELECT id FROM accounts WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.err("record a draft to remove from the server"))?;
        let Some(account) = known else { return Ok(()) };
        self.conn
            .execute(
                "INSERT INTO draft_removals (account, draft_id, since, attempts, last_error)
                 VALUES (?1, ?2, ?3, 1, ?4)
                 ON CONFLICT (account, draft_id) DO UPDATE
                 SET attempts = attempts + 1, last_error = excluded.last_error",
                params![account, draft_id, now(), error],
            )
            .map_err(self.err("record a draft to remove from the server"))?;
        Ok(())
    }

    /// The drafts of account `key` still to be removed from its Drafts folder, oldest first.
    pub fn draft_removals(&mut self, key: &str) -> Result<Vec<String>> {
        let account = self.account(key)?;
        let mut stmt = self
            .conn
            .prepare("SELECT draft_id FROM draft_removals WHERE account = ?1 ORDER BY since, draft_id")
            .map_err(self.err("read the drafts to remove from the server"))?;
        let rows = stmt
            .query_map([account.0], |r| r.get(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(self.err("read the drafts to remove from the server"))?;
        Ok(rows)
    }

    /// Drops the records of account `key` tried `max_attempts` times or more (all of them
    /// with 0), then returns the drafts still to be removed, oldest first.
    pub fn draft_removals_forget(&mut self, key: &str, max_attempts: u32) -> Result<Vec<String>> {
        let account = self.account(key)?;
        self.conn
            .execute(
                "DELETE FROM draft_removals WHERE account = ?1 AND attempts >= ?2",
                params![account.0, max_attempts],
            )
            .map_err(self.err("forget drafts to remove from the server"))?;
        self.draft_removals(key)
    }

    /// The draft's copies are gone from the server.
    pub fn draft_removal_done(&mut self, key: &str, draft_id: &str) -> Result<()> {
        let account = self.account(key)?;
        self.conn
            .execute(
                "DELETE FROM draft_removals WHERE account = ?1 AND draft_id = ?2",
                params![account.0, draft_id],
            )
            .map_err(self.err("forget a draft removed from the server"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_removals_are_kept_per_account_until_done() {
        let mut s = Store::open_in_memory().unwrap();
        // An account the store does not know (removed): nothing recorded, no row made.
        s.draft_removal_failed("gone", "d0", "refused").unwrap();
        let known: i64 = s.conn().query_row("SELECT count(*) FROM accounts", [], |r| r.get(0)).unwrap();
        assert_eq!(known, 0);
        for key in ["work", "home"] {
            s.account(key).unwrap();
        }
        assert!(s.draft_removals("work").unwrap().is_empty());
        s.draft_removal_failed("work", "d1", "connection refused").unwrap();
        s.draft_removal_failed("work", "d2", "timed out").unwrap();
        s.draft_removal_failed("work", "d1", "still refused").unwrap();
        s.draft_removal_failed("home", "d3", "x").unwrap();
        let mut got = s.draft_removals("work").unwrap();
        got.sort();
        assert_eq!(got, ["d1", "d2"]);
        let (attempts, error): (u32, String) = s
            .conn()
            .query_row("SELECT attempts, last_error FROM draft_removals WHERE draft_id = 'd1'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((attempts, error.as_str()), (2, "still refused"));
        s.draft_removal_done("work", "d1").unwrap();
        assert_eq!(s.draft_removals("work").unwrap(), ["d2"]);
        assert_eq!(s.draft_removals("home").unwrap(), ["d3"]);
        // Given up after enough attempts; 0 forgets them all.
        s.draft_removal_failed("work", "d2", "again").unwrap();
        assert_eq!(s.draft_removals_forget("work", 3).unwrap(), ["d2"]);
        assert!(s.draft_removals_forget("work", 2).unwrap().is_empty());
        assert!(s.draft_removals_forget("home", 0).unwrap().is_empty());
    }
}
