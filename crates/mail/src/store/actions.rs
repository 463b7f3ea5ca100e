//! What the user does to mail — mark read, flag, delete, move, copy, folder changes — is
//! applied to the local rows at once (the list reacts immediately, offline too) and recorded
//! durably in the same transaction. The next sync replays the record to the server before
//! it reads anything, so the server's answer never undoes a change that is still on its way.
//! Actions name folders by their server name, not by row id: folder rows are replaced when
//! the folder list changes, names are what the server understands.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::types::{AccountId, Flags, FolderId, Role};
use super::{Store, now};
use crate::error::{Error, Kind, Result};

/// A change the user made, as the GUI asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailAction {
    MarkRead {
        folder: FolderId,
        uids: Vec<u32>,
        read: bool,
    },
    Flag {
        folder: FolderId,
        uids: Vec<u32>,
        flagged: bool,
    },
    /// Sets or clears a keyword such as `$MDNSent` (RFC 3503).
    Keyword {
        folder: FolderId,
        uids: Vec<u32>,
        keyword: String,
        set: bool,
    },
    /// To Trash; expunged when already in Trash (or when the account has no Trash).
    Delete {
        folder: FolderId,
        uids: Vec<u32>,
    },
    Move {
        folder: FolderId,
        uids: Vec<u32>,
        to: FolderId,
    },
    Copy {
        folder: FolderId,
        uids: Vec<u32>,
        to: FolderId,
    },
    /// A new folder called `name` (as a person writes it: the store spells it as the server
    /// does) at the top level or inside `parent`.
    CreateFolder {
        parent: Option<FolderId>,
        name: String,
    },
    /// A folder's new name (its last level, as a person writes it); its subfolders go along.
    RenameFolder {
        folder: FolderId,
        to: String,
    },
    /// A folder, with its subfolders, into `parent` (`None`: the top level): a rename to a
    /// name under the new parent.
    MoveFolder {
        folder: FolderId,
        parent: Option<FolderId>,
    },
    /// A folder with its subfolders and all their messages.
    DeleteFolder {
        folder: FolderId,
    },
}

/// What the server must be told, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ServerOp {
    /// `UID STORE uids +FLAGS`/`-FLAGS`.
    Flags {
        folder: String,
        uidvalidity: u32,
        uids: Vec<u32>,
        flag: String,
        add: bool,
    },
    /// `UID MOVE` (or COPY + \Deleted + UID EXPUNGE).
    Move {
        folder: String,
        uidvalidity: u32,
        uids: Vec<u32>,
        to: String,
    },
    Copy {
        folder: String,
        uidvalidity: u32,
        uids: Vec<u32>,
        to: String,
    },
    /// `\Deleted` + `UID EXPUNGE` of exactly these messages.
    Expunge {
        folder: String,
        uidvalidity: u32,
        uids: Vec<u32>,
    },
    CreateFolder {
        name: String,
    },
    RenameFolder {
        from: String,
        to: String,
    },
    DeleteFolder {
        name: String,
    },
}

/// A recorded operation waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pending {
    pub id: i64,
    pub op: ServerOp,
    pub attempts: u32,
    pub last_error: Option<String>,
}

struct FolderRef {
    name: String,
    uidvalidity: Option<u32>,
    role: Option<Role>,
}

fn folder_ref(
    tx: &Transaction<'_>,
    account: AccountId,
    folder: FolderId,
) -> rusqlite::Result<Option<FolderRef>> {
    tx.query_row(
        "SELECT name, uidvalidity, role FROM folders WHERE id = ?1 AND account = ?2",
        params![folder.0, account.0],
        |r| {
            let role: Option<String> = r.get(2)?;
            Ok(FolderRef {
                name: r.get(0)?,
                uidvalidity: r.get(1)?,
                role: role.as_deref().and_then(Role::parse),
            })
        },
    )
    .optional()
}

fn record(tx: &Transaction<'_>, account: AccountId, op: &ServerOp) -> rusqlite::Result<()> {
    let json = serde_json::to_string(op).unwrap_or_default();
    tx.execute(
        "INSERT INTO pending_actions (account, op, created_at) VALUES (?1, ?2, ?3)",
        params![account.0, json, now()],
    )?;
    Ok(())
}

fn set_flag(
    tx: &Transaction<'_>,
    folder: FolderId,
    uids: &[u32],
    flag: &str,
    add: bool,
) -> rusqlite::Result<()> {
    let mut read = tx.prepare_cached("SELECT flags FROM messages WHERE folder = ?1 AND uid = ?2")?;
    let mut write =
        tx.prepare_cached("UPDATE messages SET flags = ?3, unread = ?4, flagged = ?5, answered = ?6 WHERE folder = ?1 AND uid = ?2")?;
    for uid in uids {
        let Some(current) = read.query_row(params![folder.0, uid], |r| r.get::<_, String>(0)).optional()?
        else {
            continue;
        };
        let flags = Flags::parse(&current);
        let next = if add {
            Flags::new(flags.iter().chain(std::iter::once(flag)).map(str::to_string).collect::<Vec<_>>())
        } else {
            Flags::new(
                flags
                    .iter()
                    .filter(|f| !f.eq_ignore_ascii_case(flag))
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            )
        };
        write.execute(params![
            folder.0,
            uid,
            next.joined(),
            !next.seen(),
            next.flagged(),
            next.answered()
        ])?;
    }
    Ok(())
}

fn remove_rows(tx: &Transaction<'_>, folder: FolderId, uids: &[u32]) -> rusqlite::Result<()> {
    let mut delete = tx.prepare_cached("DELETE FROM messages WHERE folder = ?1 AND uid = ?2")?;
    for uid in uids {
        delete.execute(params![folder.0, uid])?;
    }
    Ok(())
}

impl Store {
    /// Applies `action` to the local rows and records what the server must be told, in one
    /// transaction: after a crash either both happened or neither. For an account whose
    /// folders live only here (POP3) nothing is recorded: the change is applied completely
    /// with [`Store::apply_local`] (a deletion goes to the local Trash and counts as "deleted
    /// here" for the option that deletes the server copy on the next pass).
    pub fn queue_action(&mut self, account: AccountId, action: &MailAction) -> Result<()> {
        // Moved or copied to the folder they are in (a view's chosen messages, a drop on their
        // own folder): they stay as they are, and the server is told nothing.
        if let MailAction::Move { folder, to, .. } | MailAction::Copy { folder, to, .. } = action
            && folder == to
        {
            return Ok(());
        }
        if self.is_local_account(account)? {
            return self.apply_local(account, action);
        }
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "record a change to your mail", e);
        let tx = self.conn.transaction().map_err(err)?;
        let missing =
            || Error::new(Kind::Storage, "the folder is no longer in the store; sync and try again");
        let source = |tx: &Transaction<'_>, f: FolderId| -> Result<(FolderRef, u32)> {
            let r = folder_ref(tx, account, f).map_err(err)?.ok_or_else(missing)?;
            let v = r
                .uidvalidity
                .ok_or_else(|| Error::new(Kind::Storage, "the folder has not been synced yet"))?;
            Ok((r, v))
        };
        match action {
            MailAction::MarkRead { folder, uids, read } => {
                let (f, v) = source(&tx, *folder)?;
                set_flag(&tx, *folder, uids, "\\Seen", *read).map_err(err)?;
                let op = ServerOp::Flags {
                    folder: f.name,
                    uidvalidity: v,
                    uids: uids.clone(),
                    flag: "\\Seen".into(),
                    add: *read,
                };
                record(&tx, account, &op).map_err(err)?;
            }
            MailAction::Flag { folder, uids, flagged } => {
                let (f, v) = source(&tx, *folder)?;
                set_flag(&tx, *folder, uids, "\\Flagged", *flagged).map_err(err)?;
                let op = ServerOp::Flags {
                    folder: f.name,
                    uidvalidity: v,
                    uids: uids.clone(),
                    flag: "\\Flagged".into(),
                    add: *flagged,
                };
                record(&tx, account, &op).map_err(err)?;
            }
            MailAction::Keyword { folder, uids, keyword, set } => {
                let (f, v) = source(&tx, *folder)?;
                set_flag(&tx, *folder, uids, keyword, *set).map_err(err)?;
                let op = ServerOp::Flags {
                    folder: f.name,
                    uidvalidity: v,
                    uids: uids.clone(),
                    flag: keyword.clone(),
                    add: *set,
                };
                record(&tx, account, &op).map_err(err)?;
            }
            MailAction::Delete { folder, uids } => {
                let (f, v) = source(&tx, *folder)?;
                let trash: Option<String> = tx
                    .query_row(
                        "SELECT name FROM folders WHERE account = ?1 AND role = 'trash'",
                        [account.0],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(err)?;
                remove_rows(&tx, *folder, uids).map_err(err)?;
                let op = match trash {
                    Some(trash) if f.role != Some(Role::Trash) => {
                        ServerOp::Move { folder: f.name, uidvalidity: v, uids: uids.clone(), to: trash }
                    }
                    _ => ServerOp::Expunge { folder: f.name, uidvalidity: v, uids: uids.clone() },
                };
                record(&tx, account, &op).map_err(err)?;
            }
            MailAction::Move { folder, uids, to } | MailAction::Copy { folder, uids, to } => {
                let (f, v) = source(&tx, *folder)?;
                let target = folder_ref(&tx, account, *to).map_err(err)?.ok_or_else(missing)?;
                let op = if matches!(action, MailAction::Move { .. }) {
                    // The moved messages show up in the target with its next sync.
                    remove_rows(&tx, *folder, uids).map_err(err)?;
                    ServerOp::Move { folder: f.name, uidvalidity: v, uids: uids.clone(), to: target.name }
                } else {
                    ServerOp::Copy { folder: f.name, uidvalidity: v, uids: uids.clone(), to: target.name }
                };
                record(&tx, account, &op).map_err(err)?;
            }
            MailAction::CreateFolder { .. }
            | MailAction::RenameFolder { .. }
            | MailAction::MoveFolder { .. }
            | MailAction::DeleteFolder { .. } => {
                // The rows change at once; the server follows when the record is replayed.
                for op in super::folder_changes::apply_folder_action(&tx, &label, account, action, false)? {
                    record(&tx, account, &op).map_err(err)?;
                }
            }
        }
        tx.commit().map_err(err)
    }

    /// Recorded operations, oldest first.
    pub fn pending_actions(&self, account: AccountId) -> Result<Vec<Pending>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, op, attempts, last_error FROM pending_actions WHERE account = ?1 ORDER BY id",
            )
            .map_err(self.err("read pending changes"))?;
        let rows = stmt
            .query_map([account.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(self.err("read pending changes"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json, attempts, last_error) = row.map_err(self.err("read pending changes"))?;
            match serde_json::from_str::<ServerOp>(&json) {
                Ok(op) => out.push(Pending { id, op, attempts, last_error }),
                Err(e) => {
                    return Err(Error::new(
                        Kind::Storage,
                        format!("a recorded change cannot be read ({e}): {json}"),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The server did it (or refused for good): forget it.
    pub fn complete_action(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM pending_actions WHERE id = ?1", [id])
            .map_err(self.err("forget a replayed change"))?;
        Ok(())
    }

    /// It failed for now: keep it, count the attempt and keep the reason.
    pub fn action_failed(&mut self, id: i64, error: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE pending_actions SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map_err(self.err("record a failed change"))?;
        Ok(())
    }
}
