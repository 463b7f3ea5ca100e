//! The Outbox rows (schema v4) and their state machine, store side. See
//! [`crate::outbox`] for the types and the rules; here every transition is one statement
//! or transaction committed with `synchronous = FULL`, so a state the sender acted on is on
//! disk before the next network step (a power cut cannot take a recorded acceptance back).

use rusqlite::{OptionalExtension, Transaction, params};

use super::pop3::{LOCAL_UIDVALIDITY, header_part, insert_message};
use super::types::{AccountId, Summary};
use super::{Store, now};
use crate::error::{Error, Kind, Result};
use crate::outbox::{OutboxError, OutboxItem, OutboxState, Outgoing};

const ITEM_COLUMNS: &str = "o.id, a.key, o.message_id, o.subject, o.env_from, o.recipients, length(o.raw), \
     o.state, o.attempts, o.error_kind, o.error_message, o.error_server, o.reply, o.created_at, o.updated_at, \
     o.busy_until, o.accepted_at, o.owner_pid";

fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxItem> {
    let recipients: String = r.get(5)?;
    let kind: Option<String> = r.get(9)?;
    let last_error = match (kind, r.get::<_, Option<String>>(10)?) {
        (Some(kind), Some(message)) => {
            Some(OutboxError { kind: crate::outbox::parse_kind(&kind), message, server: r.get(11)? })
        }
        _ => None,
    };
    Ok(OutboxItem {
        id: r.get(0)?,
        account: r.get(1)?,
        message_id: r.get(2)?,
        subject: r.get(3)?,
        from: r.get(4)?,
        recipients: serde_json::from_str(&recipients).unwrap_or_default(),
        size: r.get::<_, i64>(6)? as u64,
        state: OutboxState::parse(&r.get::<_, String>(7)?),
        attempts: r.get(8)?,
        last_error,
        reply: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        busy_until: r.get(15)?,
        accepted_at: r.get(16)?,
        owner_pid: r.get(17)?,
    })
}

impl Store {
    /// Runs `f` in a transaction committed with `synchronous = FULL` (the WAL is fsynced
    /// before the commit returns); the setting is put back afterwards.
    fn outbox_durably<R>(&mut self, what: &str, f: impl FnOnce(&Transaction<'_>) -> Result<R>) -> Result<R> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, what, e);
        self.conn.pragma_update(None, "synchronous", "FULL").map_err(err)?;
        let r = (|| {
            let tx = self.conn.transaction().map_err(err)?;
            let r = f(&tx)?;
            tx.commit().map_err(err)?;
            Ok(r)
        })();
        let restored = self.conn.pragma_update(None, "synchronous", "NORMAL").map_err(err);
        let r = r?;
        restored?;
        Ok(r)
    }

    /// Puts a message into the Outbox of the account with config id `key`, durably. It is
    /// submitted by the next [`crate::send::flush_outbox`] of that account.
    pub fn outbox_enqueue(&mut self, key: &str, msg: &Outgoing) -> Result<OutboxItem> {
        msg.check()?;
        let account = self.account(key)?;
        let subject = crate::outbox::subject_of(&msg.raw);
        let recipients = serde_json::to_string(&msg.recipients).unwrap_or_else(|_| "[]".into());
        let at = now();
        let label = self.label.clone();
        let id = self.outbox_durably("put the message into the Outbox", |tx| {
            tx.execute(
                "INSERT INTO outbox (account, message_id, subject, env_from, recipients, raw, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?7)",
                params![account.0, msg.message_id, subject, msg.from, recipients, msg.raw, at],
            )
            .map_err(|e| super::sql_error(&label, "put the message into the Outbox", e))?;
            Ok(tx.last_insert_rowid())
        })?;
        self.outbox_item(id)?.ok_or_else(|| Error::new(Kind::Storage, "the new Outbox row vanished"))
    }

    /// One Outbox row, if it still exists.
    pub fn outbox_item(&self, id: i64) -> Result<Option<OutboxItem>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM outbox o JOIN accounts a ON a.id = o.account WHERE o.id = ?1"
        );
        self.conn.query_row(&sql, [id], item_row).optional().map_err(self.err("read the Outbox"))
    }

    /// The Outbox, oldest first: of one account (config id), or of all.
    pub fn outbox_list(&self, key: Option<&str>) -> Result<Vec<OutboxItem>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM outbox o JOIN accounts a ON a.id = o.account
             WHERE ?1 IS NULL OR a.key = ?1 ORDER BY o.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err("read the Outbox"))?;
        let rows = stmt.query_map([key], item_row).map_err(self.err("read the Outbox"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err("read the Outbox"))
    }

    /// The message bytes of a row.
    pub fn outbox_raw(&self, id: i64) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row("SELECT raw FROM outbox WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(self.err("read a message in the Outbox"))
    }

    /// Removes a message the user no longer wants sent. Refused while a send of it is
    /// running (it may be reaching the server right now): the check and the removal are one
    /// transaction, so no send can claim the row in between. Returns false if it was gone.
    pub fn outbox_remove(&mut self, id: i64) -> Result<bool> {
        let label = self.label.clone();
        self.outbox_durably("remove the message from the Outbox", |tx| {
            let e = |e| super::sql_error(&label, "remove the message from the Outbox", e);
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM outbox o JOIN accounts a ON a.id = o.account WHERE o.id = ?1"
            );
            let Some(item) = tx.query_row(&sql, [id], item_row).optional().map_err(e)? else {
                return Ok(false);
            };
            if item.busy(now()) {
                return Err(Error::new(
                    Kind::Config,
                    "the message is being sent right now; remove it once that send has ended",
                ));
            }
            // Guarded by the state and owner read above: a row that changed meanwhile stays.
            let n = tx
                .execute(
                    "DELETE FROM outbox WHERE id = ?1 AND state = ?2 AND busy_until IS ?3 AND owner_pid IS ?4",
                    params![id, item.state.as_str(), item.busy_until, item.owner_pid],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::new(
                    Kind::Config,
                    "the message changed while it was being removed (a send may have started); look again",
                ));
            }
            Ok(true)
        })
    }

    /// The user's word that a message held as "may already have been sent", or refused by
    /// the server, is to be sent again: back to queued. Refused for any other state, and
    /// while a send may still run.
    pub fn outbox_confirm_resend(&mut self, id: i64) -> Result<OutboxItem> {
        let label = self.label.clone();
        let item = self
            .outbox_item(id)?
            .ok_or_else(|| Error::config(format!("there is no message {id} in the Outbox")))?;
        if !matches!(item.state, OutboxState::Submitting | OutboxState::Refused) {
            return Err(Error::config(format!(
                "message {id} is not waiting for a decision (it is {}); nothing to confirm",
                item.state.as_str()
            )));
        }
        let at = now();
        if item.busy(at) {
            return Err(Error::config(format!(
                "message {id} is being sent right now; wait until that send has ended ({} s)",
                item.busy_until.unwrap_or(at) - at
            )));
        }
        self.outbox_durably("put the message back into the Outbox", |tx| {
            tx.execute(
                "UPDATE outbox SET state = 'queued', busy_until = NULL, owner_pid = NULL, updated_at = ?2,
                    error_kind = NULL, error_message = NULL, error_server = NULL
                 WHERE id = ?1 AND state IN ('submitting', 'refused') AND state = ?3",
                params![id, at, item.state.as_str()],
            )
            .map_err(|e| super::sql_error(&label, "put the message back into the Outbox", e))
        })
        .and_then(|n| match n {
            1 => Ok(()),
            _ => Err(Error::config(format!(
                "message {id} changed meanwhile (a send may have started); look again"
            ))),
        })?;
        self.outbox_item(id)?.ok_or_else(|| Error::new(Kind::Storage, "the Outbox row vanished"))
    }

    /// queued → submitting, recorded before DATA. `busy_until` bounds the send (its
    /// timeout). False when the row is no longer queued (another sender took it).
    pub fn outbox_claim(&mut self, id: i64, busy_until: i64) -> Result<bool> {
        let label = self.label.clone();
        let at = now();
        self.outbox_durably("record the start of a send", |tx| {
            tx.execute(
                "UPDATE outbox SET state = 'submitting', attempts = attempts + 1, busy_until = ?2, updated_at = ?3,
                    owner_pid = ?4
                 WHERE id = ?1 AND state = 'queued'",
                params![id, busy_until, at, std::process::id()],
            )
            .map(|n| n == 1)
            .map_err(|e| super::sql_error(&label, "record the start of a send", e))
        })
    }

    /// submitting → accepted, with the server's reply: recorded right after the reply,
    /// before the Sent copy, so the message is never submitted again.
    pub fn outbox_accepted(&mut self, id: i64, reply: &str) -> Result<()> {
        let label = self.label.clone();
        let at = now();
        self.outbox_durably("record that the server accepted the message", |tx| {
            tx.execute(
                "UPDATE outbox SET state = 'accepted', reply = ?2, accepted_at = ?3, updated_at = ?3, busy_until = NULL,
                    owner_pid = NULL,
                    error_kind = NULL, error_message = NULL, error_server = NULL
                 WHERE id = ?1 AND state = 'submitting'",
                params![id, reply, at],
            )
            .map_err(|e| super::sql_error(&label, "record that the server accepted the message", e))
        })
        .and_then(|n| match n {
            1 => Ok(()),
            _ => Err(Error::new(
                Kind::Storage,
                format!(
                    "the server accepted message {id} ({reply}), but its Outbox row was no longer being sent \
                     (removed meanwhile?); it is delivered, and its Sent copy is not stored"
                ),
            )),
        })
    }

    /// A send that failed. `definite`: the server cannot have accepted it (it refused, or
    /// the end of the message was never written): back to queued, retried by the next
    /// flush. Otherwise the row stays `submitting`, held until the user decides.
    pub fn outbox_failed(&mut self, id: i64, e: &Error, definite: bool) -> Result<()> {
        let label = self.label.clone();
        let at = now();
        // Held at once: its time is over (no send runs on it any more).
        let (state, busy) = if definite { ("queued", None) } else { ("submitting", Some(at - 1)) };
        self.outbox_durably("record a failed send", |tx| {
            tx.execute(
                "UPDATE outbox SET state = ?2, busy_until = ?3, owner_pid = NULL, updated_at = ?4,
                    error_kind = ?5, error_message = ?6, error_server = ?7
                 WHERE id = ?1 AND state IN ('queued', 'submitting')",
                params![id, state, busy, at, e.kind().as_str(), e.message(), e.server_words()],
            )
            .map(drop)
            .map_err(|e| super::sql_error(&label, "record a failed send", e))
        })
    }

    /// A send the server refused for good (5xx, or over its SIZE limit): the row goes to
    /// `refused` with the error and the server's words, and stays until the user sends it
    /// again ([`Store::outbox_confirm_resend`]) or removes it.
    pub fn outbox_refused(&mut self, id: i64, e: &Error) -> Result<()> {
        let label = self.label.clone();
        let at = now();
        self.outbox_durably("record a refused message", |tx| {
            tx.execute(
                // A refusal before DATA (at RCPT) came before the claim: it counts as a try too.
                "UPDATE outbox SET state = 'refused', attempts = attempts + (state = 'queued'),
                    busy_until = NULL, owner_pid = NULL, updated_at = ?2,
                    error_kind = ?3, error_message = ?4, error_server = ?5
                 WHERE id = ?1 AND state IN ('queued', 'submitting')",
                params![id, at, e.kind().as_str(), e.message(), e.server_words()],
            )
            .map(drop)
            .map_err(|e| super::sql_error(&label, "record a refused message", e))
        })
    }

    /// Records an error for a queued row that was not attempted (no connection, no login):
    /// counts as an attempt.
    pub fn outbox_not_attempted(&mut self, id: i64, e: &Error) -> Result<()> {
        let at = now();
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, updated_at = ?2,
                    error_kind = ?3, error_message = ?4, error_server = ?5
                 WHERE id = ?1 AND state = 'queued'",
                params![id, at, e.kind().as_str(), e.message(), e.server_words()],
            )
            .map(drop)
            .map_err(self.err("record a failed send"))
    }

    /// Takes the lease on storing the Sent copy of an accepted row until unix time `until`,
    /// so two flushes (the window and `tidings send`, say) never store it both. False when
    /// the row is no longer waiting for its copy (filed meanwhile), or another flush holds a
    /// lease that has not run out, by a process that still exists. The lease is a
    /// compare-and-set on what was read, so of two takers only one succeeds. A flush killed
    /// while storing the copy leaves a lease that a later flush takes once its process is gone;
    /// the search for the Message-ID before APPEND then keeps the copy from being stored twice.
    pub fn outbox_lease_copy(&mut self, id: i64, until: i64) -> Result<bool> {
        let Some(item) = self.outbox_item(id)? else { return Ok(false) };
        if item.state != OutboxState::Accepted {
            return Ok(false);
        }
        let at = now();
        let held = item.busy_until.is_some_and(|t| t >= at)
            && item.owner_pid.is_none_or(crate::outbox::process_alive);
        if held {
            return Ok(false);
        }
        self.conn
            .execute(
                "UPDATE outbox SET busy_until = ?2, owner_pid = ?3
                 WHERE id = ?1 AND state = 'accepted' AND busy_until IS ?4 AND owner_pid IS ?5",
                params![id, until, std::process::id(), item.busy_until, item.owner_pid],
            )
            .map(|n| n == 1)
            .map_err(self.err("take the lease on the Sent copy"))
    }

    /// The Sent copy is stored on the server: the row leaves the Outbox. An ordinary commit
    /// (not fsynced): should it be lost, the next flush finds the copy by its Message-ID and
    /// does not store it again.
    pub fn outbox_filed(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM outbox WHERE id = ?1 AND state = 'accepted'", [id])
            .map(drop)
            .map_err(self.err("remove a sent message from the Outbox"))
    }

    /// Storing the Sent copy failed: the row stays accepted (never resubmitted) with the
    /// error, and the copy is tried again by the next flush.
    pub fn outbox_filing_failed(&mut self, id: i64, e: &Error) -> Result<()> {
        let at = now();
        self.conn
            .execute(
                "UPDATE outbox SET updated_at = ?2, error_kind = ?3, error_message = ?4,
                    error_server = ?5, busy_until = NULL, owner_pid = NULL
                 WHERE id = ?1 AND state = 'accepted'",
                params![id, at, e.kind().as_str(), e.message(), e.server_words()],
            )
            .map(drop)
            .map_err(self.err("record a failed Sent copy"))
    }

    /// For an account whose folders live here (POP3): stores the Sent copy of an accepted
    /// row in the local Sent folder (read) and removes the row, in one transaction.
    /// Returns false when the row is no longer accepted (already filed).
    pub fn outbox_file_local(&mut self, id: i64) -> Result<bool> {
        let label = self.label.clone();
        let at = now();
        self.outbox_durably("store the Sent copy", |tx| {
            let e = |e| super::sql_error(&label, "store the Sent copy", e);
            let row: Option<(AccountId, Vec<u8>)> = tx
                .query_row(
                    "SELECT account, raw FROM outbox WHERE id = ?1 AND state = 'accepted'",
                    [id],
                    |r| Ok((AccountId(r.get(0)?), r.get(1)?)),
                )
                .optional()
                .map_err(e)?;
            let Some((account, raw)) = row else { return Ok(false) };
            let sent: Option<i64> = tx
                .query_row("SELECT id FROM folders WHERE account = ?1 AND role = 'sent'", [account.0], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(e)?;
            let Some(sent) = sent else {
                return Err(Error::new(Kind::Storage, "the account has no local Sent folder"));
            };
            let sent = super::FolderId(sent);
            let uid: u32 = tx
                .query_row("SELECT coalesce(uidnext, 1) FROM folders WHERE id = ?1", [sent.0], |r| r.get(0))
                .map_err(e)?;
            let (summary, parse_error) = match crate::sync::headers::summary(header_part(&raw)) {
                Ok(s) => (s, None),
                Err(why) => (Summary::default(), Some(why)),
            };
            let message = insert_message(tx, &label, sent, uid, raw.len() as u64, at, &summary, parse_error)?;
            tx.execute("UPDATE messages SET flags = '\\Seen', unread = 0 WHERE id = ?1", [message])
                .map_err(e)?;
            tx.execute(
                "INSERT INTO bodies (message, raw, fetched_at) VALUES (?1, ?2, ?3)",
                params![message, raw, at],
            )
            .map_err(e)?;
            tx.execute(
                "UPDATE folders SET uidnext = ?2 WHERE id = ?1 AND uidvalidity = ?3",
                params![sent.0, uid + 1, LOCAL_UIDVALIDITY],
            )
            .map_err(e)?;
            tx.execute("DELETE FROM outbox WHERE id = ?1", [id]).map_err(e)?;
            Ok(true)
        })
    }
}
