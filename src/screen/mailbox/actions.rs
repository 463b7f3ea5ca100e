//! What the user does to a message — toggle read, toggle the star, delete, move — as the
//! toolbar ([`super::toolbar`]) and the key map offer it.
//!
//! An action goes to the store on the store thread (`Store::queue_action`), which changes
//! the local rows and records the change for the next sync to replay to the server. The list
//! shows the change at once (the row held is changed, or taken out) and reads its window
//! again when the store has answered; a refused action is explained and the window re-read,
//! which undoes what was shown.

use std::fmt;

use iced::Task;

use tidings_mail::store::{FolderId, MailAction, MessageRow, Role};

use super::{Mailbox, Message};
use crate::screen::composer::{ComposeRequest, Kind as ComposeKind};

/// A folder to move to, as the picker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveTarget {
    pub id: FolderId,
    pub label: String,
}

impl fmt::Display for MoveTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// The message an action applies to: the one in the reader, else the selected one (the
/// arrow keys move the selection without opening: what is read is what is answered).
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    folder: FolderId,
    uid: u32,
    pub(super) unread: bool,
    pub(super) flagged: bool,
}

impl Target {
    fn of(folder: FolderId, row: &MessageRow) -> Target {
        Target { folder, uid: row.uid, unread: row.unread, flagged: row.flagged }
    }
}

impl Mailbox {
    pub(super) fn target(&self) -> Option<Target> {
        if let Some(opened) = self.reader.opened() {
            return Some(Target::of(opened.folder, &opened.row));
        }
        let (folder, row) = (self.list.folder()?, self.list.selected()?);
        Some(Target::of(folder, row))
    }

    /// What the composer needs for `kind`: the account, and for a reply or forward the
    /// opened (else the selected) message. `None` for a reply with no message chosen.
    pub(super) fn compose_request(&self, kind: ComposeKind) -> Option<ComposeRequest> {
        let original = match kind {
            ComposeKind::New => None,
            _ => Some(self.target().map(|t| (t.folder, t.uid))?),
        };
        Some(ComposeRequest { kind, account: self.account_key.clone(), original })
    }

    /// Opens a message: in the reader, and a message of the Drafts folder then in the
    /// composer for editing, once its text is here (from the store, or from the server).
    pub(super) fn open_or_edit(&mut self, row: MessageRow) -> Task<Message> {
        let folder = self.list.folder();
        let drafts = self.folders.iter().any(|n| n.id == folder && n.role == Some(Role::Drafts));
        self.edit_draft = folder.filter(|_| drafts).map(|f| (f, row.uid));
        self.open(row)
    }

    /// The composer for the draft whose text has just come, when it was opened to edit.
    pub(super) fn draft_to_edit(
        &mut self,
        folder: FolderId,
        uid: u32,
        loaded: bool,
    ) -> Option<ComposeRequest> {
        if self.edit_draft != Some((folder, uid)) {
            return None;
        }
        self.edit_draft = None;
        let account = self.account_key.clone();
        loaded.then_some(ComposeRequest { kind: ComposeKind::Draft, account, original: Some((folder, uid)) })
    }

    pub(super) fn toggle_read(&mut self) -> Task<Message> {
        match self.target() {
            Some(target) => self.set_read(target.folder, target.uid, target.unread),
            None => Task::none(),
        }
    }

    /// Marks one message read or unread, on screen at once and in the store.
    pub(super) fn set_read(&mut self, folder: FolderId, uid: u32, read: bool) -> Task<Message> {
        self.change_row(folder, uid, |row| row.unread = !read);
        self.queue(MailAction::MarkRead { folder, uids: vec![uid], read })
    }

    pub(super) fn toggle_star(&mut self) -> Task<Message> {
        let Some(Target { folder, uid, flagged, .. }) = self.target() else { return Task::none() };
        self.change_row(folder, uid, |row| row.flagged = !flagged);
        self.queue(MailAction::Flag { folder, uids: vec![uid], flagged: !flagged })
    }

    pub(super) fn delete(&mut self) -> Task<Message> {
        let Some(Target { folder, uid, .. }) = self.target() else { return Task::none() };
        let follow = self.taken_out(folder, uid);
        Task::batch([self.queue(MailAction::Delete { folder, uids: vec![uid] }), follow])
    }

    pub(super) fn move_to(&mut self, to: FolderId) -> Task<Message> {
        let Some(Target { folder, uid, .. }) = self.target() else { return Task::none() };
        if folder == to {
            return Task::none();
        }
        let follow = self.taken_out(folder, uid);
        Task::batch([self.queue(MailAction::Move { folder, uids: vec![uid], to }), follow])
    }

    /// Changes a message as shown in the list and the reader.
    fn change_row(&mut self, folder: FolderId, uid: u32, change: impl Fn(&mut MessageRow)) {
        if self.list.folder() == Some(folder) {
            self.list.update_row(uid, &change);
        }
        if let Some(opened) = self.reader.opened_mut().filter(|o| o.folder == folder && o.row.uid == uid) {
            change(&mut opened.row);
        }
    }

    /// A message left the folder: out of the list, and out of the reader, which shows the
    /// next message instead (as Thunderbird does).
    fn taken_out(&mut self, folder: FolderId, uid: u32) -> Task<Message> {
        let next = if self.list.folder() == Some(folder) { self.list.remove(uid).cloned() } else { None };
        let was_open = self.reader.opened().is_some_and(|o| o.folder == folder && o.row.uid == uid);
        if !was_open {
            return Task::none();
        }
        match next {
            Some(row) => self.open(row),
            None => {
                self.reader.clear();
                Task::none()
            }
        }
    }

    fn queue(&mut self, action: MailAction) -> Task<Message> {
        let Some(stores) = &self.stores else { return Task::none() };
        let (store, account) = (stores.write.clone(), stores.account);
        Task::perform(
            async move { store.call(move |s| s.queue_action(account, &action)).await },
            Message::Acted,
        )
    }

    /// Folders a message can be moved to: every other selectable folder, in tree order.
    pub(super) fn move_targets(&self) -> Vec<MoveTarget> {
        self.folders
            .iter()
            .filter(|n| n.selectable && n.id.is_some() && n.id != self.list.folder())
            .filter_map(|n| {
                let indent = "  ".repeat(n.depth);
                Some(MoveTarget { id: n.id?, label: format!("{indent}{}", n.label) })
            })
            .collect()
    }
}
