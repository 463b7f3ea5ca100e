//! Getting mail, as the mailbox sees it: the account's send/receive passes run in the app's
//! per-account subscription (scheduled, IDLE, F5); the mailbox asks for one through its
//! [`Action`](super::Action)s and hears what the passes changed ([`News`]), upon which it
//! reads the folders and the list's window again — throttled, so a fast pass does not turn
//! into a store read per chunk. While a view across every account is shown, every account's
//! passes are heard (the app asks [`Mailbox::shows_every_account`]).

use std::time::{Duration, Instant};

use iced::Task;

use super::{Mailbox, Message};

/// Progress refreshes the list at most this often (a folder finishing always does).
const REFRESH_EVERY: Duration = Duration::from_millis(400);

/// What the account's passes tell the open mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    /// A pass made progress; `folder_done`: a folder (or a commit of messages) finished.
    Progress { folder_done: bool },
    /// The store changed (new mail, flags, expunges): read it again.
    Changed,
    /// A pass ended.
    Finished,
}

impl Mailbox {
    pub(super) fn news(&mut self, news: News) -> Task<Message> {
        match news {
            News::Progress { folder_done: false } => {
                let due = self.refreshed.is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
                if due { self.refresh() } else { Task::none() }
            }
            News::Progress { folder_done: true } | News::Changed | News::Finished => self.refresh(),
        }
    }

    /// Reads the folder counts and the list's window again.
    pub(super) fn refresh(&mut self) -> Task<Message> {
        self.refreshed = Some(Instant::now());
        let list = self.on_list(|list, store| list.refresh(store));
        // A view's list is flat: no threads to read again.
        let threads = if self.list.folder().is_some() { self.threads_refresh() } else { Task::none() };
        Task::batch([self.load_folders(), list, threads])
    }
}
