//! Where the person left the mailbox: the folder, the selected message and the list's order,
//! kept in the profile's UI-state file by the app ([`tidings_mail::ui_state::Place`]) and
//! reopened on the next start. A view across every account ("All Inboxes"…) comes back with
//! its order, from the top, nothing selected: its rows change with every account's passes.

use iced::Task;

use tidings_mail::ui_state::Place;

use super::{Mailbox, Message};

impl Mailbox {
    /// Opens where the person left it: the folder (by name), the order, the selected message
    /// open in the reader. Applied once the folders are read; a folder that is gone gives the
    /// Inbox.
    pub fn return_to(&mut self, place: Place) {
        self.return_to = Some(place);
    }

    /// Where the person is: the folder, the selected message and the order, to come back to.
    pub fn place(&self) -> Place {
        if let Some(place) = &self.return_to {
            return place.clone();
        }
        let folder = self.list.folder().and_then(|f| self.folders.iter().find(|n| n.id == Some(f)));
        Place {
            account: self.account_key.clone(),
            folder: folder.map(|n| n.name.clone()),
            // A message being revealed counts as selected already.
            message: self
                .reveal
                .filter(|(f, _)| self.list.folder() == Some(*f))
                .map(|(_, uid)| uid)
                .or(self.list.selected_uid())
                .filter(|_| self.list.view_shown().is_none()),
            sort: self.list.sort().into(),
            view: self.list.view_shown(),
        }
    }

    /// The folders were read for the first time: the place to return to, if there is one and
    /// its folder is still there.
    pub(super) fn returned(&mut self) -> Option<Task<Message>> {
        let place = self.return_to.take()?;
        self.list.set_sort(place.sort.into());
        if let Some(view) = place.view {
            return Some(self.select_view(view));
        }
        let folder =
            place.folder.and_then(|name| self.folders.iter().find(|n| n.name == name && n.selectable));
        let folder = folder.and_then(|n| n.id)?;
        Some(match place.message {
            Some(uid) => self.reveal(folder, uid),
            None => self.select_folder(folder),
        })
    }
}
