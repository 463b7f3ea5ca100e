//! Replays the changes recorded in the store (see `store::actions`) to the server, oldest
//! first, before a sync reads anything. A change the server refuses is dropped — the
//! server's state wins and the next sync shows it — and reported with the server's words; a
//! network failure stops the replay and keeps the rest for next time.

use futures::TryStreamExt;

use super::Engine;
use crate::error::{Kind, Result};
use crate::imap;
use crate::store::{Pending, ServerOp, decode_mutf7};
use crate::sync::uidset::uid_set;

impl Engine {
    /// Returns how many changes were replayed and the server's refusals.
    pub async fn replay_actions(&mut self) -> Result<(usize, Vec<String>)> {
        let account = self.account_id().await?;
        let pending: Vec<Pending> = self.store.call(move |s| s.pending_actions(account)).await?;
        let (mut replayed, mut refused) = (0, Vec::new());
        for p in pending {
            match self.replay_one(&p.op).await {
                Ok(()) => {
                    replayed += 1;
                    self.store.call(move |s| s.complete_action(p.id)).await?;
                }
                Err(e) if e.kind() == Kind::RefusedByServer => {
                    refused.push(format!("{}: {e}", describe(&p.op)));
                    self.store.call(move |s| s.complete_action(p.id)).await?;
                }
                Err(e) => {
                    let why = e.to_string();
                    self.store.call(move |s| s.action_failed(p.id, &why)).await?;
                    return Err(e);
                }
            }
        }
        Ok((replayed, refused))
    }

    async fn replay_one(&mut self, op: &ServerOp) -> Result<()> {
        match op {
            ServerOp::Flags { folder, uidvalidity, uids, flag, add } => {
                if !self.same_generation(folder, *uidvalidity).await? {
                    return Ok(());
                }
                let query = format!("{}FLAGS.SILENT ({flag})", if *add { "+" } else { "-" });
                self.store_flags(uids, &query, "change flags").await
            }
            ServerOp::Move { folder, uidvalidity, uids, to } => {
                if !self.same_generation(folder, *uidvalidity).await? {
                    return Ok(());
                }
                let set = uid_set(uids);
                let conn = self.conn().await?;
                let can_move = imap::has(&conn.caps, "MOVE");
                let r = if can_move {
                    conn.session.uid_mv(&set, to).await
                } else {
                    conn.session.uid_copy(&set, to).await
                };
                super::drain(conn);
                r.map_err(|e| self.imap_error(&format!("move messages to {to}"), e))?;
                if !can_move {
                    self.expunge(uids).await?;
                }
                Ok(())
            }
            ServerOp::Copy { folder, uidvalidity, uids, to } => {
                if !self.same_generation(folder, *uidvalidity).await? {
                    return Ok(());
                }
                let conn = self.conn().await?;
                let r = conn.session.uid_copy(uid_set(uids), to).await;
                super::drain(conn);
                r.map_err(|e| self.imap_error(&format!("copy messages to {to}"), e))
            }
            ServerOp::Expunge { folder, uidvalidity, uids } => {
                if !self.same_generation(folder, *uidvalidity).await? {
                    return Ok(());
                }
                self.expunge(uids).await
            }
            ServerOp::CreateFolder { name } => {
                let conn = self.conn().await?;
                let r = conn.session.create(name).await;
                super::drain(conn);
                r.map_err(|e| self.imap_error(&format!("create the folder {}", decode_mutf7(name)), e))?;
                // Subscribed, so that an account that syncs subscribed folders only sees it.
                self.subscription(name, true).await;
                Ok(())
            }
            ServerOp::RenameFolder { from, to } => {
                let conn = self.conn().await?;
                if conn.selected.is_some() {
                    let _ = conn.session.close().await;
                    conn.selected = None;
                }
                let r = conn.session.rename(from, to).await;
                super::drain(conn);
                r.map_err(|e| self.imap_error(&format!("rename the folder {}", decode_mutf7(from)), e))?;
                // Subscriptions are names, and RENAME need not carry them (RFC 3501 6.3.5).
                self.subscription(from, false).await;
                self.subscription(to, true).await;
                Ok(())
            }
            ServerOp::DeleteFolder { name } => {
                let conn = self.conn().await?;
                if conn.selected.as_ref().is_some_and(|s| &s.name == name) {
                    let _ = conn.session.close().await;
                    conn.selected = None;
                }
                let r = conn.session.delete(name).await;
                super::drain(conn);
                r.map_err(|e| self.imap_error(&format!("delete the folder {}", decode_mutf7(name)), e))?;
                self.subscription(name, false).await;
                Ok(())
            }
        }
    }

    /// SUBSCRIBE or UNSUBSCRIBE after a folder change: a server without subscriptions, or one
    /// that already did it, may say no, and the change itself stands either way.
    async fn subscription(&mut self, name: &str, on: bool) {
        let Ok(conn) = self.conn().await else { return };
        let _ = if on { conn.session.subscribe(name).await } else { conn.session.unsubscribe(name).await };
        super::drain(conn);
    }

    /// Selects the folder; false (the change is moot) when its UIDs were reset meanwhile.
    async fn same_generation(&mut self, folder: &str, uidvalidity: u32) -> Result<bool> {
        let sel = self.select(folder, false).await?;
        Ok(sel.uidvalidity == uidvalidity)
    }

    async fn store_flags(&mut self, uids: &[u32], query: &str, what: &str) -> Result<()> {
        let conn = self.conn().await?;
        let r = match conn.session.uid_store(uid_set(uids), query).await {
            Ok(stream) => stream.try_collect::<Vec<_>>().await.map(|_| ()),
            Err(e) => Err(e),
        };
        super::drain(conn);
        r.map_err(|e| self.imap_error(what, e))
    }

    /// `\Deleted` + UID EXPUNGE of exactly these messages (plain EXPUNGE without UIDPLUS).
    async fn expunge(&mut self, uids: &[u32]) -> Result<()> {
        self.store_flags(uids, "+FLAGS.SILENT (\\Deleted)", "delete messages").await?;
        let conn = self.conn().await?;
        let r = if imap::has(&conn.caps, "UIDPLUS") {
            match conn.session.uid_expunge(uid_set(uids)).await {
                Ok(stream) => stream.try_collect::<Vec<_>>().await.map(|_| ()),
                Err(e) => Err(e),
            }
        } else {
            match conn.session.expunge().await {
                Ok(stream) => stream.try_collect::<Vec<_>>().await.map(|_| ()),
                Err(e) => Err(e),
            }
        };
        super::drain(conn);
        r.map_err(|e| self.imap_error("expunge messages", e))
    }
}

fn describe(op: &ServerOp) -> String {
    match op {
        ServerOp::Flags { folder, uids, flag, add, .. } => {
            format!("{} {flag} on {} message(s) in {folder}", if *add { "set" } else { "clear" }, uids.len())
        }
        ServerOp::Move { folder, uids, to, .. } => {
            format!("move {} message(s) from {folder} to {to}", uids.len())
        }
        ServerOp::Copy { folder, uids, to, .. } => {
            format!("copy {} message(s) from {folder} to {to}", uids.len())
        }
        ServerOp::Expunge { folder, uids, .. } => format!("delete {} message(s) from {folder}", uids.len()),
        ServerOp::CreateFolder { name } => format!("create the folder {}", decode_mutf7(name)),
        ServerOp::RenameFolder { from, to } => {
            format!("rename the folder {} to {}", decode_mutf7(from), decode_mutf7(to))
        }
        ServerOp::DeleteFolder { name } => format!("delete the folder {}", decode_mutf7(name)),
    }
}
