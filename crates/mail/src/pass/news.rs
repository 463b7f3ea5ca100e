//! What counts as new mail: messages that reached the account's Inbox since the last look
//! and are still unread (\Seen set by another client means it was read elsewhere: no
//! notification). The first look only sets the mark, so the first download of an account —
//! possibly thousands of old messages — never notifies; neither does a UIDVALIDITY reset.

use crate::error::Result;
use crate::store::{FolderId, MessageRow, Role, Store, StoreHandle};

use super::MessageRef;

/// The newest UID of the Inbox seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    folder: FolderId,
    uidvalidity: u32,
    max_uid: u32,
}

/// One unread arrival, with what the notification and the "open it" action need.
#[derive(Debug, Clone)]
pub(super) struct Arrival {
    pub(super) row: MessageRow,
    pub(super) at: MessageRef,
}

/// Follows one account's Inbox between looks.
#[derive(Debug)]
pub(super) struct News {
    account_key: String,
    /// `None` until the first look (or after the Inbox changed identity).
    mark: Option<Mark>,
}

impl News {
    pub(super) fn new(account_key: impl Into<String>) -> News {
        News { account_key: account_key.into(), mark: None }
    }

    /// Sets the mark from what the store holds, unless it is set already.
    pub(super) async fn prime(&mut self, store: &StoreHandle) -> Result<()> {
        if self.mark.is_none() {
            self.look(store).await?;
        }
        Ok(())
    }

    /// Unread messages that arrived since the last look, oldest first; moves the mark.
    pub(super) async fn look(&mut self, store: &StoreHandle) -> Result<Vec<Arrival>> {
        let key = self.account_key.clone();
        let mark = self.mark;
        let (mark, arrivals) = store.call(move |s| look(s, &key, mark)).await?;
        self.mark = mark;
        Ok(arrivals)
    }
}

fn look(s: &mut Store, key: &str, mark: Option<Mark>) -> Result<(Option<Mark>, Vec<Arrival>)> {
    let account = s.account(key)?;
    let Some(inbox) = s.folders(account)?.into_iter().find(|f| f.role == Some(Role::Inbox)) else {
        return Ok((None, Vec::new()));
    };
    let Some(uidvalidity) = inbox.uidvalidity else {
        return Ok((None, Vec::new()));
    };
    let uids = s.uids(inbox.id, uidvalidity)?;
    let max_uid = uids.last().copied().unwrap_or(0);
    let now = Mark { folder: inbox.id, uidvalidity, max_uid };
    let Some(before) = mark.filter(|m| m.folder == inbox.id && m.uidvalidity == uidvalidity) else {
        return Ok((Some(now), Vec::new()));
    };
    let mut arrivals = Vec::new();
    for uid in uids.into_iter().filter(|u| *u > before.max_uid) {
        if let Some(row) = s.message(inbox.id, uid)?.filter(|r| r.unread) {
            let at = MessageRef {
                account: key.to_string(),
                folder: inbox.id,
                folder_name: inbox.name.clone(),
                uidvalidity,
                uid,
            };
            arrivals.push(Arrival { row, at });
        }
    }
    Ok((Some(Mark { max_uid: max_uid.max(before.max_uid), ..now }), arrivals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Flags, FolderInfo, NewMessage, Summary};

    fn msg(uid: u32, seen: bool) -> NewMessage {
        NewMessage {
            uid,
            modseq: None,
            flags: if seen { Flags::new(["\\Seen"]) } else { Flags::default() },
            size: 100,
            internal_date: Some(1_700_000_000),
            summary: Summary { subject: Some(format!("m{uid}")), ..Summary::default() },
            parse_error: None,
        }
    }

    #[tokio::test]
    async fn only_unread_arrivals_after_the_first_look_count() {
        let store = StoreHandle::spawn(Store::open_in_memory().unwrap()).unwrap();
        let mut news = News::new("a");
        // No Inbox yet: nothing, no mark.
        assert!(news.look(&store).await.unwrap().is_empty());
        let folder = store
            .call(|s| {
                let a = s.account("a")?;
                let info = FolderInfo {
                    name: "INBOX".into(),
                    delimiter: Some("/".into()),
                    role: Some(Role::Inbox),
                    subscribed: true,
                    selectable: true,
                };
                let f = s.replace_folders(a, &[info])?[0].id;
                s.begin_folder(f, 7)?;
                s.insert_messages(f, 7, &[msg(1, false), msg(2, false)])?;
                Ok(f)
            })
            .await
            .unwrap();
        // The first look sets the mark: old mail does not notify.
        assert!(news.look(&store).await.unwrap().is_empty());
        store.call(move |s| s.insert_messages(folder, 7, &[msg(3, true), msg(4, false)])).await.unwrap();
        // A pass starting now (mark already set) does not swallow them.
        news.prime(&store).await.unwrap();
        let new = news.look(&store).await.unwrap();
        assert_eq!(new.iter().map(|a| a.at.uid).collect::<Vec<_>>(), [4], "3 was read elsewhere");
        assert_eq!(new[0].row.summary.subject.as_deref(), Some("m4"));
        assert!(news.look(&store).await.unwrap().is_empty(), "told once");
        // A new UIDVALIDITY: a new mark, no storm.
        store
            .call(move |s| {
                s.begin_folder(folder, 8)?;
                s.insert_messages(folder, 8, &[msg(1, false)])
            })
            .await
            .unwrap();
        assert!(news.look(&store).await.unwrap().is_empty());
    }
}
