//! Drafts: saved every few seconds while the message changes (a file of its own, then
//! the account's Drafts folder, quietly retried), listed and restored (or discarded) by a
//! new composer, opened again from the Drafts folder, kept or discarded on closing, removed
//! once the message is in the Outbox.

use std::time::Instant;

use iced::Task;

use tidings_mail::account::Account;
use tidings_mail::compose::{Draft, DraftGate, DraftList, Drafts};
use tidings_mail::error::Error;

use super::{Action, Composer, Message, SERVER_EVERY, work};

impl Composer {
    /// The message differs from its last saved draft. Cheap enough for every tick: the
    /// text is compared, the attachments by their change count (never copied).
    pub fn has_unsaved_changes(&self) -> bool {
        let body = self.body_text();
        !self.is_blank_with(&body)
            && !self.same_as(&self.saved, self.saved_rev, &body)
            && !self.same_as(&self.baseline, self.baseline_rev, &body)
    }

    /// The message differs from what it was when opened (empty, as prepared, as restored),
    /// whatever was saved meanwhile: closing asks then.
    pub fn changed_since_opened(&self) -> bool {
        let body = self.body_text();
        !self.is_blank_with(&body) && !self.same_as(&self.baseline, self.baseline_rev, &body)
    }

    /// Nothing typed, nothing attached.
    pub(super) fn is_blank(&self) -> bool {
        self.is_blank_with(&self.body_text())
    }

    fn is_blank_with(&self, body: &str) -> bool {
        [&self.to, &self.cc, &self.bcc, &self.subject, body].iter().all(|t| t.trim().is_empty())
            && self.attachments.is_empty()
    }

    fn same_as(&self, draft: &Option<Draft>, rev: u64, body: &str) -> bool {
        draft.as_ref().is_some_and(|d| {
            rev == self.attach_rev
                && d.account == self.from.account
                && d.from == self.from.address
                && d.to == self.to
                && d.cc == self.cc
                && d.bcc == self.bcc
                && d.subject == self.subject
                && d.body == body
                && d.in_reply_to == self.in_reply_to
                && d.references == self.references
        })
    }

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

    /// The message of the Drafts folder, on screen as it was saved: unchanged, closing asks
    /// nothing; sending or discarding it removes its copy there.
    pub(super) fn reopened(&mut self, result: Result<Draft, Error>) -> Task<Message> {
        self.preparing = false;
        match result {
            Ok(mut draft) => {
                self.draft_id = draft.id.clone();
                self.fill(&draft);
                // The From as the picker has it (another program's copy may name it otherwise).
                draft.from = self.from.address.clone();
                self.take_as_saved(draft);
                iced::widget::operation::focus(if self.to.is_empty() {
                    super::id::TO
                } else {
                    super::id::BODY
                })
            }
            Err(e) => {
                self.note_error("Cannot open the draft", &e);
                Task::none()
            }
        }
    }

    /// `draft` (just put on screen) is what is saved, and what the message was when opened.
    fn take_as_saved(&mut self, draft: Draft) {
        self.saved = Some(draft);
        self.saved_rev = self.attach_rev;
        self.baseline = self.saved.clone();
        self.baseline_rev = self.attach_rev;
        // Its copy in the Drafts folder is whatever was saved last; the next change replaces it.
        self.local_seq += 1;
        self.server_seq = Some(self.local_seq);
        if !self.server_accounts.contains(&self.from.account) {
            self.server_accounts.push(self.from.account.clone());
        }
    }

    /// Closing: a message changed since it was opened asks (autosaves do not count: they keep
    /// the work safe, they are not the person's choice to keep it). An empty new message
    /// closes at once, its autosaved file (typed, then erased) removed.
    pub(super) fn close(&mut self) -> Action {
        if self.sending {
            return Action::None;
        }
        if self.changed_since_opened() {
            self.asking = true;
            return Action::None;
        }
        if self.baseline.is_none() && self.saved.is_some() {
            return Action::Run(self.discard());
        }
        Action::Closed
    }

    /// "Discard" on a draft listed from before: its file goes, and its copy in its account's
    /// Drafts folder (in the background, retried by the account's passes when it fails).
    pub(super) fn discard_listed(&mut self, id: &str) -> Task<Message> {
        let Some(index) = self.restorable.iter().position(|d| d.id == id) else { return Task::none() };
        let draft = self.restorable.remove(index);
        let gate = DraftGate::new();
        let drafts = Drafts::new(&self.context.profile);
        let local = Task::perform(
            work::remove_draft(gate.clone(), drafts, draft.id.clone()),
            Message::ListedDiscarded,
        );
        let server = match self.context.accounts.iter().find(|a| a.id == draft.account) {
            Some(account) => Task::perform(
                work::remove_from_server(
                    gate,
                    account.clone(),
                    self.context.secrets.clone(),
                    super::store_path(&self.context.profile),
                    draft.id,
                    draft.replaces,
                ),
                |_| (),
            )
            .discard(),
            None => Task::none(),
        };
        Task::batch([local, server])
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
        self.save_to_server()
    }

    pub(super) fn save_now(&mut self) -> Task<Message> {
        if self.saving {
            return Task::none();
        }
        self.saving = true;
        self.saving_rev = self.attach_rev;
        let drafts = Drafts::new(&self.context.profile);
        Task::perform(work::save_draft(self.gate.clone(), drafts, self.draft()), Message::DraftSaved)
    }

    pub(super) fn draft_saved(&mut self, result: Result<Option<Draft>, Error>) -> Task<Message> {
        self.saving = false;
        if self.gate.is_ended() {
            // Sent or discarded meanwhile: the removal has it.
            return Task::none();
        }
        match result {
            Ok(Some(draft)) => {
                self.saved = Some(draft);
                self.saved_rev = self.saving_rev;
                self.local_seq += 1;
                if self.closing {
                    // The file is safe; the Drafts folder copy goes on in the background.
                    // Now, whatever the interval; after a save under way (the gate orders them).
                    self.server_saving = false;
                    self.server_last = None;
                    return match self.save_to_server() {
                        task if task.units() == 0 => Task::done(Message::Cleared),
                        task => Task::batch([task.discard(), Task::done(Message::Cleared)]),
                    };
                }
                self.status = Some(("Draft saved.".into(), false));
                self.save_to_server()
            }
            Ok(None) => Task::none(),
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

    /// Stores the last saved draft in the Drafts folder unless its copy there is that one
    /// already (the draft is copied only when a save starts).
    pub(super) fn save_to_server(&mut self) -> Task<Message> {
        if self.server_saving || self.server_seq == Some(self.local_seq) {
            return Task::none();
        }
        let Some(draft) = &self.saved else { return Task::none() };
        if self.server_last.is_some_and(|t| t.elapsed() < SERVER_EVERY) {
            // The next tick after the interval brings it up to date.
            return Task::none();
        }
        let Some(account) = self.account() else { return Task::none() };
        if !self.server_accounts.contains(&account.id) {
            self.server_accounts.push(account.id.clone());
        }
        self.server_saving = true;
        self.server_last = Some(Instant::now());
        let secrets = self.context.secrets.clone();
        let seq = self.local_seq;
        Task::perform(
            work::save_to_server(self.gate.clone(), account, secrets, draft.clone()),
            move |result| Message::ServerSaved(seq, result),
        )
    }

    pub(super) fn server_saved(&mut self, seq: u64, result: Result<Option<String>, Error>) -> Task<Message> {
        self.server_saving = false;
        if self.gate.is_ended() {
            return Task::none();
        }
        match result {
            Ok(folder) => {
                self.server_seq = Some(seq);
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

    /// Ends the draft: no save starts from now on. Returns the removal of its file (after a
    /// save under way) and the removal of its copies in the Drafts folders it was stored in
    /// (after a save to them under way; these go on after the composer is closed).
    fn end(&self) -> (Task<()>, Task<()>) {
        self.gate.end();
        let drafts = Drafts::new(&self.context.profile);
        let id = self.draft_id.clone();
        let local = Task::perform(work::remove_draft(self.gate.clone(), drafts, id.clone()), |_| ());
        let server = self
            .server_accounts
            .iter()
            .filter_map(|a| self.context.accounts.iter().find(|acc| acc.id == *a).cloned())
            .map(|account| {
                let task = work::remove_from_server(
                    self.gate.clone(),
                    account,
                    self.context.secrets.clone(),
                    super::store_path(&self.context.profile),
                    id.clone(),
                    self.replaces.clone(),
                );
                Task::perform(task, |_| ())
            });
        (local, Task::batch(server))
    }

    /// Removes the draft (the file, and its copies in the Drafts folder) once the message is
    /// in the Outbox: for the app to run as [`Action::Sent`] closes the composer.
    pub fn cleanup_after_send(&self) -> Task<()> {
        let (local, server) = self.end();
        Task::batch([local, server])
    }

    /// Closes once the file is gone; the Drafts folder's copies are removed in the background.
    pub(super) fn discard(&mut self) -> Task<Message> {
        self.asking = false;
        self.closing = true;
        let (local, server) = self.end();
        Task::batch([local.map(|()| Message::Cleared), server.discard()])
    }

    pub(super) fn after_clear(&mut self) -> Action {
        if self.closing { Action::Closed } else { Action::None }
    }

    pub(super) fn restore(&mut self, id: &str) -> Task<Message> {
        let Some(index) = self.restorable.iter().position(|d| d.id == id) else { return Task::none() };
        let draft = self.restorable.remove(index);
        self.draft_id = draft.id.clone();
        self.status = None;
        // Sets a note when the draft's From is no longer offered.
        self.fill(&draft);
        self.take_as_saved(draft);
        self.restorable.clear();
        if self.status.is_none() {
            self.status = Some(("Draft restored.".into(), false));
        }
        Task::none()
    }
}
