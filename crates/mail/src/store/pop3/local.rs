//! Changes to the mail of an account whose folders live only here (POP3): applied to the
//! rows at once and completely, since no server will ever be told (unlike
//! [`Store::queue_action`], which records them for the IMAP replay). Deleting moves a
//! message to the local Trash, deleting in Trash removes it; either counts as "deleted
//! here" for the option that then deletes the server copy. Moving it out of Trash again
//! takes that back, as long as the server copy still exists.

use rusqlite::{OptionalExtension, Transaction, params};

use super::LOCAL_UIDVALIDITY;
use crate::error::{Error, Kind, Result};
use crate::store::{AccountId, Flags, FolderId, MailAction, Role, Store};

struct Local {
    role: Option<Role>,
}

fn folder(tx: &Transaction<'_>, account: AccountId, f: FolderId) -> Result<Local, Option<rusqlite::Error>> {
    let role: Option<Option<String>> = tx
        .query_row("SELECT role FROM folders WHERE id = ?1 AND account = ?2", params![f.0, account.0], |r| {
            r.get(0)
        })
        .optional()
        .map_err(Some)?;
    let role = role.ok_or(None)?;
    Ok(Local { role: role.as_deref().and_then(Role::parse) })
}

fn trash(tx: &Transaction<'_>, account: AccountId) -> rusqlite::Result<Option<FolderId>> {
    tx.query_row("SELECT id FROM folders WHERE account = ?1 AND role = 'trash'", [account.0], |r| {
        r.get(0).map(FolderId)
    })
    .optional()
}

/// Moves (or copies) messages into `to` under new UIDs; returns the new row ids.
fn transfer(
    tx: &Transaction<'_>,
    from: FolderId,
    uids: &[u32],
    to: FolderId,
    copy: bool,
) -> rusqlite::Result<Vec<i64>> {
    let mut next: u32 =
        tx.query_row("SELECT coalesce(uidnext, 1) FROM folders WHERE id = ?1", [to.0], |r| r.get(0))?;
    let mut ids = Vec::new();
    for uid in uids {
        let id: Option<i64> = tx
            .query_row("SELECT id FROM messages WHERE folder = ?1 AND uid = ?2", params![from.0, uid], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(id) = id else { continue };
        if copy {
            tx.execute(
                "INSERT INTO messages (folder, uidvalidity, uid, modseq, flags, unread, flagged, answered, size,
                    internal_date, date, sort_date, from_name, from_addr, sender_sort, to_addrs, cc_addrs, subject,
                    subject_sort, message_id, in_reply_to, refs, has_attachment, parse_error)
                 SELECT ?2, ?3, ?4, modseq, flags, unread, flagged, answered, size, internal_date, date, sort_date,
                    from_name, from_addr, sender_sort, to_addrs, cc_addrs, subject, subject_sort, message_id,
                    in_reply_to, refs, has_attachment, parse_error FROM messages WHERE id = ?1",
                params![id, to.0, LOCAL_UIDVALIDITY, next],
            )?;
            let new = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO bodies (message, raw, fetched_at) SELECT ?2, raw, fetched_at FROM bodies WHERE message = ?1",
                params![id, new],
            )?;
            ids.push(new);
        } else {
            tx.execute(
                "UPDATE messages SET folder = ?2, uidvalidity = ?3, uid = ?4 WHERE id = ?1",
                params![id, to.0, LOCAL_UIDVALIDITY, next],
            )?;
            ids.push(id);
        }
        next += 1;
    }
    tx.execute("UPDATE folders SET uidnext = ?2 WHERE id = ?1", params![to.0, next])?;
    Ok(ids)
}

/// Sets or clears "deleted here" on the seen-UID rows of these messages.
fn mark_deleted(tx: &Transaction<'_>, ids: &[i64], deleted: bool) -> rusqlite::Result<()> {
    let mut up = tx.prepare_cached(
        "UPDATE pop3_uids SET deleted_locally = ?2 WHERE message = ?1 AND deleted_on_server IS NULL",
    )?;
    for id in ids {
        up.execute(params![id, deleted])?;
    }
    Ok(())
}

fn set_flag(tx: &Transaction<'_>, f: FolderId, uids: &[u32], flag: &str, on: bool) -> rusqlite::Result<()> {
    for uid in uids {
        let current: Option<String> = tx
            .query_row("SELECT flags FROM messages WHERE folder = ?1 AND uid = ?2", params![f.0, uid], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(current) = current else { continue };
        let flags = Flags::parse(&current);
        let others = flags.iter().filter(|x| !x.eq_ignore_ascii_case(flag)).map(str::to_string);
        let next = Flags::new(others.chain(on.then(|| flag.to_string())).collect::<Vec<_>>());
        tx.execute(
            "UPDATE messages SET flags = ?3, unread = ?4, flagged = ?5, answered = ?6 WHERE folder = ?1 AND uid = ?2",
            params![f.0, uid, next.joined(), !next.seen(), next.flagged(), next.answered()],
        )?;
    }
    Ok(())
}

impl Store {
    /// Applies `action` to a local-folders account, completely and at once.
    pub fn apply_local(&mut self, account: AccountId, action: &MailAction) -> Result<()> {
        let label = self.label.clone();
        let err = |e| crate::store::sql_error(&label, "change your mail", e);
        let missing = || Error::new(Kind::Storage, "the folder is no longer in the mail store");
        let check =
            |r: Result<Local, Option<rusqlite::Error>>| r.map_err(|e| e.map(err).unwrap_or_else(missing));
        let tx = self.conn.transaction().map_err(err)?;
        match action {
            MailAction::MarkRead { folder: f, uids, read } => {
                check(folder(&tx, account, *f))?;
                set_flag(&tx, *f, uids, "\\Seen", *read).map_err(err)?;
            }
            MailAction::Flag { folder: f, uids, flagged } => {
                check(folder(&tx, account, *f))?;
                set_flag(&tx, *f, uids, "\\Flagged", *flagged).map_err(err)?;
            }
            MailAction::Keyword { folder: f, uids, keyword, set } => {
                check(folder(&tx, account, *f))?;
                set_flag(&tx, *f, uids, keyword, *set).map_err(err)?;
            }
            MailAction::Delete { folder: f, uids } => {
                let src = check(folder(&tx, account, *f))?;
                match trash(&tx, account).map_err(err)? {
                    Some(t) if src.role != Some(Role::Trash) => {
                        let ids = transfer(&tx, *f, uids, t, false).map_err(err)?;
                        mark_deleted(&tx, &ids, true).map_err(err)?;
                    }
                    // In Trash: gone for good (the trigger marks the UIDs).
                    _ => {
                        let mut del = tx
                            .prepare_cached("DELETE FROM messages WHERE folder = ?1 AND uid = ?2")
                            .map_err(err)?;
                        for uid in uids {
                            del.execute(params![f.0, uid]).map_err(err)?;
                        }
                    }
                }
            }
            MailAction::Move { folder: f, uids, to } | MailAction::Copy { folder: f, uids, to } => {
                let src = check(folder(&tx, account, *f))?;
                let dst = check(folder(&tx, account, *to))?;
                let copy = matches!(action, MailAction::Copy { .. });
                let ids = transfer(&tx, *f, uids, *to, copy).map_err(err)?;
                if !copy && (dst.role == Some(Role::Trash)) != (src.role == Some(Role::Trash)) {
                    mark_deleted(&tx, &ids, dst.role == Some(Role::Trash)).map_err(err)?;
                }
            }
            MailAction::CreateFolder { .. }
            | MailAction::RenameFolder { .. }
            | MailAction::MoveFolder { .. }
            | MailAction::DeleteFolder { .. } => {
                crate::store::folder_changes::apply_folder_action(&tx, &label, account, action, true)?;
            }
        }
        tx.commit().map_err(err)
    }
}
