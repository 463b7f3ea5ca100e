//! Fetching many whole messages at once, for keeping mail offline: one `UID FETCH` of
//! `BODY.PEEK[]` (which leaves `\Seen` alone) for a chunk of UIDs the caller bounds by
//! size, each answer turned into an owned (UID, bytes) pair as it streams in.

use async_imap::types::Fetch;

use super::uidset::uid_set;
use super::{Engine, collect_until_error, drain};
use crate::error::{Error, Kind, Result};
use crate::store::{AccountId, Folder, StoreHandle};

impl Engine {
    /// The store's row of this account (a local POP3 account is refused).
    pub async fn account_in_store(&mut self) -> Result<AccountId> {
        self.account_id().await
    }

    /// The folders the store holds for this account, as the last sync listed them.
    pub async fn folders_in_store(&mut self) -> Result<Vec<Folder>> {
        self.stored_folders().await
    }

    /// The whole messages `uids` of `folder` (server name), in the order the server sends
    /// them; a UID the server no longer has is simply missing from the answer. `None` when
    /// the folder's UIDVALIDITY is no longer `uidvalidity` (recreated: the next sync starts
    /// it over, and these UIDs mean nothing).
    pub async fn fetch_bodies(
        &mut self,
        folder: &str,
        uidvalidity: u32,
        uids: &[u32],
    ) -> Result<Option<Vec<(u32, Vec<u8>)>>> {
        if uids.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let sel = self.select(folder, false).await?;
        if sel.uidvalidity != uidvalidity {
            return Ok(None);
        }
        let mut wanted = uids.to_vec();
        wanted.sort_unstable();
        let conn = self.conn().await?;
        let (bodies, failure) = match conn.session.uid_fetch(uid_set(uids), "(UID BODY.PEEK[])").await {
            Ok(stream) => {
                collect_until_error(stream, |f: Fetch| {
                    let uid = f.uid.filter(|u| wanted.binary_search(u).is_ok())?;
                    f.body().map(|b| (uid, b.to_vec()))
                })
                .await
            }
            Err(e) => (Vec::new(), Some(e)),
        };
        drain(conn);
        if let Some(e) = failure {
            return Err(self.imap_error("fetch the messages", e));
        }
        // A UID missing from the answer is one the server no longer has — or the answer was
        // cut short (the session ended under it): asking about them tells which.
        let got: std::collections::HashSet<u32> = bodies.iter().map(|(u, _)| *u).collect();
        let missing: Vec<u32> = wanted.iter().copied().filter(|u| !got.contains(u)).collect();
        if !missing.is_empty() {
            let conn = self.conn().await?;
            let still = conn.session.uid_search(format!("UID {}", uid_set(&missing))).await;
            drain(conn);
            match still {
                Err(e) => return Err(self.imap_error("fetch the messages", e)),
                Ok(there) if !there.is_empty() => {
                    return Err(Error::new(
                        Kind::Protocol,
                        format!("{} left out {} of the messages asked for", self.ep.host, there.len()),
                    ));
                }
                Ok(_) => {}
            }
        }
        Ok(Some(bodies))
    }

    /// The store this engine writes to.
    pub fn store(&self) -> &StoreHandle {
        &self.store
    }
}
