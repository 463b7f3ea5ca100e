//! The answers the person sent to invitations: after a restart the card still says "You
//! accepted". An answer is for one event (by UID), or one occurrence of it (its
//! RECURRENCE-ID), at a SEQUENCE: a later version of the invitation asks again.

use rusqlite::{OptionalExtension, params};

use super::{Store, now};
use crate::calendar::Partstat;
use crate::error::Result;

/// An answer remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationAnswer {
    pub partstat: Partstat,
    pub sequence: i64,
    /// Unix seconds.
    pub answered_at: i64,
}

impl Store {
    /// Remembers the answer account `key` sent to event `uid` (`recurrence`: the occurrence,
    /// none for the whole event) at `sequence`; it replaces an earlier one.
    pub fn remember_invitation_answer(
        &mut self,
        key: &str,
        uid: &str,
        recurrence: Option<&str>,
        sequence: i64,
        partstat: Partstat,
    ) -> Result<()> {
        let account = self.account(key)?;
        self.conn
            .execute(
                "INSERT INTO invitation_answers (account, uid, recurrence, sequence, partstat, answered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account, uid, recurrence) DO UPDATE
                 SET sequence = excluded.sequence, partstat = excluded.partstat,
                     answered_at = excluded.answered_at",
                params![account.0, uid, recurrence.unwrap_or(""), sequence, partstat.as_str(), now()],
            )
            .map_err(self.err("remember the answer to an invitation"))?;
        Ok(())
    }

    /// The answer account `key` sent to event `uid` (or its occurrence `recurrence`), if it
    /// still stands for the invitation's `sequence` (an answer to an older version does not).
    pub fn invitation_answer(
        &mut self,
        key: &str,
        uid: &str,
        recurrence: Option<&str>,
        sequence: i64,
    ) -> Result<Option<InvitationAnswer>> {
        let account = self.account(key)?;
        let row: Option<(String, i64, i64)> = self
            .conn
            .query_row(
                "SELECT partstat, sequence, answered_at FROM invitation_answers
                 WHERE account = ?1 AND uid = ?2 AND recurrence = ?3 AND sequence >= ?4",
                params![account.0, uid, recurrence.unwrap_or(""), sequence],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.err("read the answer to an invitation"))?;
        Ok(row.map(|(p, sequence, answered_at)| InvitationAnswer {
            partstat: Partstat::from_name(&p),
            sequence,
            answered_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn answers_are_kept_per_event_occurrence_and_sequence() {
        let mut s = Store::open_in_memory().unwrap();
        s.remember_invitation_answer("alice", "uid-1", None, 2, Partstat::Tentative).unwrap();
        s.remember_invitation_answer("alice", "uid-1", None, 2, Partstat::Accepted).unwrap();
        s.remember_invitation_answer("alice", "uid-1", Some("20260107T090000Z"), 2, Partstat::Declined)
            .unwrap();
        let whole = s.invitation_answer("alice", "uid-1", None, 2).unwrap().unwrap();
        assert_eq!((whole.partstat, whole.sequence), (Partstat::Accepted, 2));
        // An older version of the invitation: the answer stands.
        assert!(s.invitation_answer("alice", "uid-1", None, 1).unwrap().is_some());
        // A newer one asks again.
        assert_eq!(s.invitation_answer("alice", "uid-1", None, 3).unwrap(), None);
        let one = s.invitation_answer("alice", "uid-1", Some("20260107T090000Z"), 0).unwrap().unwrap();
        assert_eq!(one.partstat, Partstat::Declined);
        // Another account did not answer.
        assert_eq!(s.invitation_answer("bob", "uid-1", None, 0).unwrap(), None);
    }

    /// A store of version 5 (before answers were kept) gets the table and keeps its rows.
    #[test]
    fn a_version_5_store_gains_the_answers_table() {
        use super::super::schema::{MIGRATIONS, migrate};
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn, "test", &MIGRATIONS[..5]).unwrap(), 5);
        conn.execute("INSERT INTO accounts (key) VALUES ('alice')", []).unwrap();
        assert_eq!(migrate(&mut conn, "test", &MIGRATIONS[..6]).unwrap(), 6);
        conn.execute(
            "INSERT INTO invitation_answers (account, uid, sequence, partstat, answered_at)
             SELECT id, 'uid-1', 0, 'ACCEPTED', 1 FROM accounts WHERE key = 'alice'",
            [],
        )
        .unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM invitation_answers", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
    }
}
