//! Drafts: saved every few seconds while the message changes (a file of its own, then
//! the account's Drafts folder, quietly retried), listed and restored by a new composer,
//! kept or discarded on closing, removed once the message is in the Outbox.

use std::time::Instant;

use iced::Task;

use tidings_mail::account::Account;
use tidings_mail::compose::{Draft, DraftList, Drafts};
use tidings_mail::error::Error;

use super::{Action, Composer, Message, SERVER_EVERY, work};

impl Composer {
    pub(super) fn drafts_listed(&mut self, result: Result<DraftList, Error>) -> Task<Message> {
        match result {
            Ok(list) => {
                self.restorable = list.drafts.into_iter().filter(|d| d.id != self.draft_id).collect();
                if let Some((path, e)) = list.unreadable.first() {
                    self.status = Some((format!("{} ({} left as it is)", e.message(), path.display()), true));
                }
            }
            Err(e) => self.note_error("Cannot list the saved drafts", &e),
        }
        Task::none()
    }

    /// Saves the draft when it changed since the last save (every [`AUTOSAVE`](super::AUTOSAVE)); brings the
    /// Drafts folder's copy up to date when [`SERVER_EVERY`](super::SERVER_EVERY) has passed (a failed one too).
    pub(super) fn autosave(&mut self) -> Task<Message> {
        if self.sending || self.preparing || self.closing {
            return Task::none();
        }
        if self.has_unsaved_changes() {
            return self.save_now();
        }
        match &self.saved {
            Some(saved) => self.save_to_server(saved.clone()),
            None => Task::none(),
        }
    }

    pub(super) fn save_now(&mut self) -> Task<Message> {
        if self.saving {
            return Task::none();
        }
        self.saving = true;
        let drafts = Drafts::new(&self.context.profile);
        Task::perform(work::save_draft(drafts, self.draft()), Message::DraftSaved)
    }

    pub(super) fn draft_saved(&mut self, result: Result<Draft, Error>) -> Task<Message> {
        self.saving = false;
        match result {
            Ok(draft) => {
                self.saved = Some(draft.clone());
                if self.closing {
                    // The file is safe; the Drafts folder copy goes on in the background.
                    let account = self.account();
                    let secrets = self.context.secrets.clone();
                    return match account {
                        Some(account) => {
                            Task::perform(work::save_to_server(account, secrets, draft), |_| Message::Cleared)
                        }
                        None => Task::done(Message::Cleared),
                    };
                }
                self.status = Some(("Draft saved.".into(), false));
                self.save_to_server(draft)
            }
            Err(e) => {
                self.closing = false;
                self.note_error("Cannot save the draft", &e);
                Task::none()
            }
        }
    }

    pub(super) fn account(&self) -> Option<Account> {
        self.context.accounts.iter().find(|a| a.id == self.from.account).cloned()
    }

    pub(super) fn save_to_server(&mut self, draft: Draft) -> Task<Message> {
        if self.server_saving || self.server_saved.as_ref().is_some_and(|s| s.same_content(&draft)) {
            return Task::none();
        }
        if self.server_last.is_some_and(|t| t.elapsed() < SERVER_EVERY) {
            // The next tick after the interval brings it up to date.
            return Task::none();
        }
        let Some(account) = self.account() else { return Task::none() };
        self.server_saving = true;
        self.server_last = Some(Instant::now());
        let secrets = self.context.secrets.clone();
        let sent = draft.clone();
        Task::perform(work::save_to_server(account, secrets, draft), move |result| {
            Message::ServerSaved(sent.clone(), result)
        })
    }

    pub(super) fn server_saved(
        &mut self,
        draft: Draft,
        result: Result<Option<String>, Error>,
    ) -> Task<Message> {
        self.server_saving = false;
        match result {
            Ok(folder) => {
                self.server_saved = Some(draft);
                let when = "Draft saved";
                self.status = Some((
                    match folder {
                        Some(folder) => format!("{when} (also in the {folder} folder)."),
                        None => format!("{when}."),
                    },
                    false,
                ));
            }
            Err(e) => {
                // Quietly: the draft is safe on this machine; the folder copy is retried.
                self.status = Some((
                    format!(
                        "Draft saved on this computer; not in the Drafts folder yet: {e}. Tidings will try again."
                    ),
                    false,
                ));
            }
        }
        Task::none()
    }

    /// Removes the draft (the file, and its copy in the Drafts folder) once the message is
    /// in the Outbox: for the app to run as [`Action::Sent`] closes the composer.
    pub fn cleanup_after_send(&self) -> Task<()> {
        let drafts = Drafts::new(&self.context.profile);
        let id = self.draft_id.clone();
        let local = Task::perform(work::remove_draft(drafts, id.clone()), |_| ());
        let server = match (self.account(), &self.server_saved) {
            (Some(account), Some(_)) => {
                Task::perform(work::remove_from_server(account, self.context.secrets.clone(), id), |_| ())
            }
            _ => Task::none(),
        };
        Task::batch([local, server])
    }

    pub(super) fn discard(&mut self) -> Task<Message> {
        self.asking = false;
        self.closing = true;
        let drafts = Drafts::new(&self.context.profile);
        let id = self.draft_id.clone();
        let server = match (self.account(), &self.server_saved) {
            (Some(account), Some(_)) => Some((account, self.context.secrets.clone())),
            _ => None,
        };
        Task::perform(
            async move {
                let _ = work::remove_draft(drafts, id.clone()).await;
                if let Some((account, secrets)) = server {
                    let _ = work::remove_from_server(account, secrets, id).await;
                }
            },
            |()| Message::Cleared,
        )
    }

    pub(super) fn after_clear(&mut self) -> Action {
        if self.closing { Action::Closed } else { Action::None }
    }

    pub(super) fn restore(&mut self, id: &str) -> Task<Message> {
        let Some(index) = self.restorable.iter().position(|d| d.id == id) else { return Task::none() };
        let draft = self.restorable.remove(index);
        self.draft_id = draft.id.clone();
        self.fill(&draft);
        self.saved = Some(draft.clone());
        // Its copy in the Drafts folder is whatever was saved last; the next change replaces it.
        self.server_saved = Some(draft);
        self.restorable.clear();
        self.status = Some(("Draft restored.".into(), false));
        Task::none()
    }
}
