//! STATUS polling for the folders push does not idle on: one `STATUS (MESSAGES UIDNEXT
//! UIDVALIDITY UNSEEN [HIGHESTMODSEQ])` per folder on the sync connection, compared with what
//! the store recorded at the folder's last complete sync; a folder that differs is synced.

use super::{Engine, SyncReport, drain, no_progress};
use crate::error::Result;
use crate::store::{Counts, Folder};

/// What STATUS tells of a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FolderStatus {
    pub messages: u32,
    pub uidnext: Option<u32>,
    pub uidvalidity: Option<u32>,
    pub unseen: Option<u32>,
    /// Only when CONDSTORE is in use.
    pub highestmodseq: Option<u64>,
}

impl FolderStatus {
    /// Whether the server's folder differs from the store's copy: never completely synced, a
    /// new UIDVALIDITY, mail added (UIDNEXT), mail removed (count), flags changed (a new
    /// HIGHESTMODSEQ with CONDSTORE; the unread count without it).
    pub fn differs_from(&self, folder: &Folder, counts: Counts) -> bool {
        let Some(uidnext) = folder.uidnext else { return true };
        if self.uidvalidity.is_some() && self.uidvalidity != folder.uidvalidity {
            return true;
        }
        if self.uidnext.is_some_and(|n| n != uidnext) || u64::from(self.messages) != counts.total {
            return true;
        }
        if let (Some(now), Some(before)) = (self.highestmodseq, folder.highestmodseq) {
            return now != before;
        }
        self.unseen.is_some_and(|u| u64::from(u) != counts.unread)
    }
}

impl Engine {
    /// STATUS of folder `name` (server name), on the sync connection.
    pub async fn folder_status(&mut self, name: &str) -> Result<FolderStatus> {
        self.account_id().await?;
        let conn = self.conn().await?;
        let condstore = conn.condstore;
        let items = if condstore {
            "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)"
        } else {
            "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"
        };
        let r = conn.session.status(name, items).await;
        drain(conn);
        let mb = r.map_err(|e| self.imap_error(&format!("ask for the status of {name}"), e))?;
        Ok(FolderStatus {
            messages: mb.exists,
            uidnext: mb.uid_next,
            uidvalidity: mb.uid_validity,
            unseen: mb.unseen,
            highestmodseq: mb.highest_modseq.filter(|_| condstore),
        })
    }

    /// Asks for the STATUS of `name` and syncs it when it differs from the store (see
    /// [`FolderStatus::differs_from`]); `None` when nothing changed.
    pub async fn sync_if_changed(&mut self, name: &str) -> Result<Option<SyncReport>> {
        let status = self.folder_status(name).await?;
        let account = self.account_id().await?;
        let owned = name.to_string();
        let stored = self
            .store
            .call(move |s| match s.folder(account, &owned)? {
                Some(f) => {
                    let counts = s.counts(f.id)?;
                    Ok(Some((f, counts)))
                }
                None => Ok(None),
            })
            .await?;
        let changed = match &stored {
            Some((f, counts)) => status.differs_from(f, *counts),
            None => true,
        };
        if !changed {
            return Ok(None);
        }
        self.sync_folder(name, &no_progress).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FolderId;

    fn folder(uidnext: Option<u32>, modseq: Option<u64>) -> Folder {
        Folder {
            id: FolderId(1),
            name: "Archive".into(),
            display_name: "Archive".into(),
            delimiter: Some("/".into()),
            role: None,
            subscribed: true,
            selectable: true,
            uidvalidity: Some(7),
            uidnext,
            highestmodseq: modseq,
            synced_at: None,
        }
    }

    #[test]
    fn a_folder_differs_when_status_says_so() {
        let same = FolderStatus {
            messages: 10,
            uidnext: Some(11),
            uidvalidity: Some(7),
            unseen: Some(3),
            highestmodseq: None,
        };
        let counts = Counts { total: 10, unread: 3 };
        let f = folder(Some(11), None);
        assert!(!same.differs_from(&f, counts));
        assert!(same.differs_from(&folder(None, None), counts), "never synced completely");
        assert!(FolderStatus { uidnext: Some(12), ..same }.differs_from(&f, counts), "new mail");
        assert!(FolderStatus { messages: 9, ..same }.differs_from(&f, counts), "expunged");
        assert!(FolderStatus { unseen: Some(2), ..same }.differs_from(&f, counts), "read elsewhere");
        assert!(FolderStatus { uidvalidity: Some(8), ..same }.differs_from(&f, counts), "recreated");
        // With CONDSTORE the modseq decides about flags (the unread count may lag behind
        // changes made here and not replayed yet).
        let cs = FolderStatus { highestmodseq: Some(50), unseen: Some(2), ..same };
        assert!(!cs.differs_from(&folder(Some(11), Some(50)), counts));
        assert!(cs.differs_from(&folder(Some(11), Some(49)), counts));
    }
}
