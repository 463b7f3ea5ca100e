//! What the desktop asks of the app: a start's request (this one's, or a later start's handed
//! over on the session bus, [`crate::desktop::instance`]) — raise the window, write a message
//! (from a `mailto:` link), get mail — and Tidings as the desktop's mail program. Help over
//! any screen ([`help`]).

use iced::{Task, window};

use tidings_mail::compose::{Address, Draft, mailto};
use tidings_mail::error::Error;

use super::{App, Message, Screen};
use crate::desktop::handler;
use crate::desktop::instance::Request;
use crate::screen::composer::{ComposeRequest, Kind as ComposeKind};
use crate::screen::{accounts, help};

impl App {
    /// A request from the desktop. It waits while the settings are read or a composer is
    /// open (a message being written is never replaced).
    pub(super) fn desktop_request(&mut self, request: Request) -> Task<Message> {
        let writing = self.composer.is_some() && matches!(request, Request::Compose(_));
        if matches!(self.screen, Screen::Loading) || writing {
            self.pending.push(request);
            return raise();
        }
        let task = match request {
            Request::Show => Task::none(),
            Request::GetMail => {
                self.passes.run_all(self.config.accounts.iter().map(|a| a.id.as_str()));
                Task::none()
            }
            Request::Compose(link) => self.compose_from(link.as_deref()),
        };
        Task::batch([task, raise()])
    }

    /// The requests that waited, once nothing holds them back.
    pub(super) fn pending_requests(&mut self) -> Task<Message> {
        if self.pending.is_empty() || matches!(self.screen, Screen::Loading) || self.composer.is_some() {
            return Task::none();
        }
        let request = self.pending.remove(0);
        self.desktop_request(request)
    }

    /// A composer for a new message, filled in from `link`; from the account whose address
    /// fits the recipients, else the open mailbox's, else the first. Without accounts there
    /// is no one to write as: the window shows (the welcome screen).
    fn compose_from(&mut self, link: Option<&str>) -> Task<Message> {
        let (fields, problem) = match link.map(mailto::parse) {
            None => (mailto::Mailto::default(), None),
            Some(Ok(fields)) => (fields, None),
            Some(Err(e)) => (mailto::Mailto::default(), Some(e)),
        };
        let open = match &self.screen {
            Screen::Mailbox(mailbox) => Some(mailbox.account_key().to_string()),
            _ => None,
        };
        let Some((account, identity)) =
            mailto::choose_sender(&self.config.accounts, &fields, open.as_deref())
        else {
            return Task::none();
        };
        let account = account.id.clone();
        let request = ComposeRequest { kind: ComposeKind::New, account: account.clone(), original: None };
        let task = self.open_composer(request);
        let mut draft = Draft::new(&account, Address::new(identity.name.as_deref(), &identity.email));
        draft.to = fields.to.join(", ");
        draft.cc = fields.cc.join(", ");
        draft.bcc = fields.bcc.join(", ");
        draft.subject = fields.subject;
        draft.body = fields.body;
        draft.in_reply_to = fields.in_reply_to;
        let mut notes = fields.notes;
        notes.extend(problem.map(|e: Error| e.to_string()));
        if let Some(composer) = &mut self.composer {
            composer.prefill(&draft, (!notes.is_empty()).then(|| notes.join(" ")));
        }
        task
    }

    /// "Use Tidings for email links": `xdg-mime` records it, off the UI thread.
    pub(super) fn make_mail_app(&mut self) -> Task<Message> {
        Task::perform(handler::make_default(Vec::new()), Message::MailApp)
    }

    pub(super) fn mail_app_made(&mut self, result: Result<(), Error>) -> Task<Message> {
        let notice = match result {
            Ok(()) => "Email links (mailto:) now open Tidings' composer.".to_string(),
            Err(e) => format!("{e}. {}", e.advice()),
        };
        if let Screen::Accounts(_) = self.screen {
            self.screen = Screen::Accounts(accounts::Accounts::with_notice(notice));
        }
        Task::none()
    }

    /// Help over the screen, at `page`.
    pub(super) fn open_help(&mut self, page: help::Page) -> Task<Message> {
        self.help = Some(Box::new(help::Help::new(page, help::Paths::of(&self.profile))));
        Task::none()
    }

    pub(super) fn help_message(&mut self, message: help::Message) -> Task<Message> {
        let Some(help) = &mut self.help else { return Task::none() };
        match help.update(message) {
            help::Action::None => {}
            help::Action::Close => self.help = None,
        }
        Task::none()
    }

    /// The help shown, if any.
    pub fn help(&self) -> Option<&help::Help> {
        self.help.as_deref()
    }
}

/// Brings the window to the front.
fn raise() -> Task<Message> {
    window::oldest().and_then(window::gain_focus)
}

#[cfg(test)]
mod tests {
    use iced::keyboard::{self, Modifiers, key};
    use iced::{event, window};

    use super::super::tests::press;
    use super::super::{KeyAction, key_action};
    use super::*;

    #[test]
    fn f1_and_a_question_mark_outside_a_field_ask_for_help() {
        let window = window::Id::unique();
        let action = |event, status| match key_action(event, status, window) {
            Some(Message::Key(action)) => Some(action),
            _ => None,
        };
        let f1 = || keyboard::Key::Named(key::Named::F1);
        let question = || keyboard::Key::Character("?".into());
        assert_eq!(action(press(f1(), Modifiers::empty()), event::Status::Ignored), Some(KeyAction::Help));
        assert_eq!(
            action(press(question(), Modifiers::SHIFT), event::Status::Ignored),
            Some(KeyAction::Help)
        );
        // A text field typing the "?" keeps it.
        assert_eq!(action(press(question(), Modifiers::SHIFT), event::Status::Captured), None);
        assert_eq!(action(press(question(), Modifiers::CTRL), event::Status::Ignored), None);
    }
}
