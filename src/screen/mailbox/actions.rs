//! What the user does to a message — toggle read, toggle the star, delete, move, copy — as
//! the toolbar ([`super::toolbar`]) and the key map offer it; with several chosen
//! ([`super::selection`]), to all of them.
//!
//! An action goes to the store on the store thread (`Store::queue_action`), which changes
//! the local rows and records the change for the next sync to replay to the server. The list
//! shows the change at once (the row held is changed, or taken out) and reads its window
//! again when the store has answered; a refused action is explained and the window re-read,
//! which undoes what was shown.
//!
//! Several chosen: the rows held change (or leave) at once, and the store thread reads the
//! chosen UIDs (the whole folder's, for Ctrl+A) and queues one change per batch of them.
//!
//! In a view across every account each change is queued with the row's own folder for that
//! folder's account, so that account's pass replays it.

use iced::Task;

use tidings_mail::store::{FolderId, MailAction, MessageRow, Role};

use super::list::Source;
use super::selection::Chosen;
use super::{Mailbox, Message};
use crate::screen::composer::{ComposeRequest, Kind as ComposeKind};

/// The message an action applies to: the one in the reader, else the selected one (the
/// arrow keys move the selection without opening: what is read is what is answered).
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    pub(super) folder: FolderId,
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
        let (folder, row) = self.list.selected_with_folder()?;
        Some(Target::of(folder, row))
    }

    /// What the composer needs for `kind`: the account, and for a reply or forward the
    /// opened (else the selected) message. `None` for a reply with no message chosen.
    pub(super) fn compose_request(&self, kind: ComposeKind) -> Option<ComposeRequest> {
        let original = match kind {
            ComposeKind::New => None,
            _ => Some(self.target().map(|t| (t.folder, t.uid))?),
        };
        // A reply to another account's message (in a view) is written from that account.
        let account = original.map_or(self.account_key.clone(), |(folder, _)| self.owner_key(folder));
        Some(ComposeRequest { kind, account, original })
    }

    /// Opens a message: in the reader, and a message of the Drafts folder then in the
    /// composer for editing, once its text is here (from the store, or from the server).
    pub(super) fn open_or_edit(&mut self, folder: FolderId, row: MessageRow) -> Task<Message> {
        let drafts = self.folders.iter().any(|n| n.id == Some(folder) && n.role == Some(Role::Drafts));
        self.edit_draft = drafts.then_some((folder, row.uid));
        self.open(folder, row)
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
        if self.several().is_some() {
            let read = self.chosen_state().0;
            return self.on_chosen(Bulk::Flag { read: Some(read), flagged: None });
        }
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
        if self.several().is_some() {
            let flagged = self.chosen_state().1;
            return self.on_chosen(Bulk::Flag { read: None, flagged: Some(flagged) });
        }
        let Some(Target { folder, uid, flagged, .. }) = self.target() else { return Task::none() };
        self.change_row(folder, uid, |row| row.flagged = !flagged);
        self.queue(MailAction::Flag { folder, uids: vec![uid], flagged: !flagged })
    }

    pub(super) fn delete(&mut self) -> Task<Message> {
        if self.several().is_some() {
            return self.on_chosen(Bulk::Delete);
        }
        let Some(Target { folder, uid, .. }) = self.target() else { return Task::none() };
        let follow = self.taken_out(folder, uid);
        Task::batch([self.queue(MailAction::Delete { folder, uids: vec![uid] }), follow])
    }

    pub(super) fn move_to(&mut self, to: FolderId) -> Task<Message> {
        if self.several().is_some() {
            return self.on_chosen(Bulk::Move(to));
        }
        let Some(Target { folder, uid, .. }) = self.target() else { return Task::none() };
        self.move_one(folder, uid, to)
    }

    /// Moves one message (the one read, or a row dragged).
    pub(super) fn move_one(&mut self, folder: FolderId, uid: u32, to: FolderId) -> Task<Message> {
        if folder == to {
            return Task::none();
        }
        let follow = self.taken_out(folder, uid);
        Task::batch([self.queue(MailAction::Move { folder, uids: vec![uid], to }), follow])
    }

    pub(super) fn copy_to(&mut self, to: FolderId) -> Task<Message> {
        if self.several().is_some() {
            return self.on_chosen(Bulk::Copy(to));
        }
        let Some(Target { folder, uid, .. }) = self.target() else { return Task::none() };
        self.copy_one(folder, uid, to)
    }

    /// Copies one message (the one read, or a row dragged).
    pub(super) fn copy_one(&mut self, folder: FolderId, uid: u32, to: FolderId) -> Task<Message> {
        if folder == to {
            return Task::none();
        }
        self.notice = Some((format!("Copied the message to {}.", self.folder_label(to)), false));
        self.queue(MailAction::Copy { folder, uids: vec![uid], to })
    }

    pub(super) fn folder_label(&self, folder: FolderId) -> String {
        let own = self.folders.iter().find(|n| n.id == Some(folder)).map(|n| n.label.clone());
        // Another account's folder (a view's messages moved or copied).
        own.or_else(|| self.views.owner(folder).map(|o| o.display_name.clone())).unwrap_or_default()
    }

    /// With several chosen: whether "Mark read" (else unread) and "Star" (else unstar) is
    /// what the toggles do — read when any chosen message is unread, star when any is not
    /// starred (of the rows held; for the whole folder, its unread count too).
    pub(super) fn chosen_state(&self) -> (bool, bool) {
        let (mut unread, mut unstarred) = (false, false);
        for row in self.list.chosen_rows() {
            unread |= row.unread;
            unstarred |= !row.flagged;
        }
        let whole_unread = self.list.marks().is_whole() && self.list.counts().unread > 0;
        (unread || whole_unread, unstarred)
    }

    /// Acts on every chosen message: the rows held at once, the store for all of them.
    fn on_chosen(&mut self, bulk: Bulk) -> Task<Message> {
        let (Some(stores), Some(source)) = (&self.stores, self.list.source()) else { return Task::none() };
        if matches!((bulk, source), (Bulk::Move(to) | Bulk::Copy(to), Source::Folder(folder)) if to == folder)
        {
            return Task::none();
        }
        let chosen = self.list.marks().chosen(stores.account, source, self.list.sort());
        let n = self.several().unwrap_or(0);
        let (store, held) =
            (stores.write.clone(), self.list.chosen_held().map(|(f, r)| (f, r.uid)).collect::<Vec<_>>());
        match bulk {
            Bulk::Flag { read, flagged } => {
                for (folder, uid) in held {
                    self.change_row(folder, uid, |row| {
                        if let Some(read) = read {
                            row.unread = !read;
                        }
                        if let Some(flagged) = flagged {
                            row.flagged = flagged;
                        }
                    });
                }
            }
            Bulk::Copy(to) => {
                self.notice = Some((
                    format!("Copied {} messages to {}.", super::format::count(n), self.folder_label(to)),
                    false,
                ));
            }
            Bulk::Delete | Bulk::Move(_) => {
                let opened = self.reader.opened().map(|o| (o.folder, o.row.uid));
                for key in &held {
                    self.list.remove(*key);
                }
                if opened.is_some_and(|key| held.contains(&key)) {
                    self.reader.clear();
                }
                let anchor = self.list.selected_index();
                self.list.marks_mut().clear(anchor);
                if let Bulk::Move(to) = bulk {
                    self.notice = Some((
                        format!("Moved {} messages to {}.", super::format::count(n), self.folder_label(to)),
                        false,
                    ));
                }
            }
        }
        Task::perform(
            async move { store.call(move |s| bulk.queue(&chosen, s).map(drop)).await },
            Message::Acted,
        )
    }

    /// Changes a message as shown in the list and the reader.
    fn change_row(&mut self, folder: FolderId, uid: u32, change: impl Fn(&mut MessageRow)) {
        if self.list.folder().is_none_or(|f| f == folder) {
            self.list.update_row((folder, uid), &change);
        }
        if let Some(opened) = self.reader.opened_mut().filter(|o| o.folder == folder && o.row.uid == uid) {
            change(&mut opened.row);
        }
    }

    /// A message left the folder: out of the list, and out of the reader, which shows the
    /// next message instead (as Thunderbird does).
    fn taken_out(&mut self, folder: FolderId, uid: u32) -> Task<Message> {
        let next = if self.list.folder().is_none_or(|f| f == folder) {
            self.list.remove((folder, uid)).cloned().zip(self.list.selected_with_folder().map(|(f, _)| f))
        } else {
            None
        };
        let was_open = self.reader.opened().is_some_and(|o| o.folder == folder && o.row.uid == uid);
        if !was_open {
            return Task::none();
        }
        match next {
            Some((row, folder)) => self.open(folder, row),
            None => {
                self.reader.clear();
                Task::none()
            }
        }
    }

    /// Queues a change of one folder's messages, for that folder's account.
    fn queue(&mut self, action: MailAction) -> Task<Message> {
        let Some(stores) = &self.stores else { return Task::none() };
        let folder = match &action {
            MailAction::MarkRead { folder, .. }
            | MailAction::Flag { folder, .. }
            | MailAction::Keyword { folder, .. }
            | MailAction::Delete { folder, .. }
            | MailAction::Move { folder, .. }
            | MailAction::Copy { folder, .. } => Some(*folder),
            _ => None,
        };
        let account = folder.and_then(|f| self.views.owner(f)).map_or(stores.account, |o| o.account);
        let store = stores.write.clone();
        Task::perform(
            async move { store.call(move |s| s.queue_action(account, &action)).await },
            Message::Acted,
        )
    }
}

/// An action on several messages.
#[derive(Debug, Clone, Copy)]
enum Bulk {
    Flag { read: Option<bool>, flagged: Option<bool> },
    Delete,
    Move(FolderId),
    Copy(FolderId),
}

impl Bulk {
    fn queue(
        self,
        chosen: &Chosen,
        s: &mut tidings_mail::store::Store,
    ) -> Result<usize, tidings_mail::error::Error> {
        match self {
            Bulk::Flag { read: Some(read), .. } => {
                chosen.queue(s, |folder, uids| MailAction::MarkRead { folder, uids, read })
            }
            Bulk::Flag { flagged: Some(flagged), .. } => {
                chosen.queue(s, |folder, uids| MailAction::Flag { folder, uids, flagged })
            }
            Bulk::Flag { .. } => Ok(0),
            Bulk::Delete => chosen.queue(s, |folder, uids| MailAction::Delete { folder, uids }),
            Bulk::Move(to) => chosen.queue(s, |folder, uids| MailAction::Move { folder, uids, to }),
            Bulk::Copy(to) => chosen.queue(s, |folder, uids| MailAction::Copy { folder, uids, to }),
        }
    }
}
