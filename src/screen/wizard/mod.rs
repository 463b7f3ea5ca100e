//! The account form: name, email, password, the incoming server (IMAP or POP3) and the
//! outgoing SMTP server. Today it is filled by hand; discovery and a connection test will
//! come before the form as further stages of this wizard.
//!
//! The wizard never saves anything itself: "Save" returns [`Action::Save`] and the app runs
//! [`save::save`] off the UI thread, then reports back through [`Wizard::saving_failed`] or
//! [`Wizard::no_secret_service`].

mod form;
pub mod save;
mod view;

use std::fmt;

use tidings_mail::account::{Account, Incoming};
use tidings_mail::error::Error;

pub use form::{Errors, Form, ServerEdit, ServerErrors, ServerFields};

/// Widget ids, so tests (and later keyboard shortcuts) can reach each control.
pub mod id {
    pub const NAME: &str = "wizard-name";
    pub const EMAIL: &str = "wizard-email";
    pub const PASSWORD: &str = "wizard-password";
    pub const INCOMING_IMAP: &str = "wizard-incoming-imap";
    pub const INCOMING_POP3: &str = "wizard-incoming-pop3";
    pub const INCOMING_HOST: &str = "wizard-incoming-host";
    pub const INCOMING_PORT: &str = "wizard-incoming-port";
    pub const INCOMING_SSL: &str = "wizard-incoming-ssl";
    pub const INCOMING_STARTTLS: &str = "wizard-incoming-starttls";
    pub const INCOMING_NONE: &str = "wizard-incoming-none";
    pub const INCOMING_USER: &str = "wizard-incoming-user";
    pub const OUTGOING_HOST: &str = "wizard-outgoing-host";
    pub const OUTGOING_PORT: &str = "wizard-outgoing-port";
    pub const OUTGOING_SSL: &str = "wizard-outgoing-ssl";
    pub const OUTGOING_STARTTLS: &str = "wizard-outgoing-starttls";
    pub const OUTGOING_NONE: &str = "wizard-outgoing-none";
    pub const OUTGOING_USER: &str = "wizard-outgoing-user";
    pub const SAVE: &str = "wizard-save";
    pub const CANCEL: &str = "wizard-cancel";
    pub const KEEP_FOR_SESSION: &str = "wizard-keep-for-session";
    pub const BACK_TO_FORM: &str = "wizard-back-to-form";
}

/// The warning shown when a server is set to no encryption.
pub const UNENCRYPTED_WARNING: &str = "Passwords and mail will travel unencrypted.";

#[derive(Clone)]
pub enum Message {
    Name(String),
    Email(String),
    Password(String),
    IncomingProtocol(Incoming),
    Incoming(ServerEdit),
    Outgoing(ServerEdit),
    Save,
    Cancel,
    /// No secret service: keep the password in memory for this run.
    KeepForSession,
    /// No secret service: don't save, go back to the form.
    BackToForm,
}

/// What the wizard asks of the app.
pub enum Action {
    None,
    /// Store the password in the secret service and the account in the config.
    Save {
        account: Account,
        password: String,
    },
    /// Keep the password in memory for this session and the account in the config.
    SaveForSession {
        account: Account,
        password: String,
    },
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Editing,
    Saving,
    /// The secret store is unreachable; the user chooses what to do.
    NoSecretService {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct Wizard {
    form: Form,
    /// Shown once the user tried to save, then kept up to date as they type.
    errors: Option<Box<Errors>>,
    /// Why the last save failed (duplicate name, unwritable config…).
    failure: Option<String>,
    stage: Stage,
}

impl Default for Wizard {
    fn default() -> Self {
        Wizard::new()
    }
}

impl Wizard {
    pub fn new() -> Self {
        Wizard { form: Form::default(), errors: None, failure: None, stage: Stage::Editing }
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Name(name) => self.edit(|form| form.name = name),
            Message::Email(email) => self.edit(|form| form.set_email(email)),
            Message::Password(password) => self.edit(|form| form.password = password),
            Message::IncomingProtocol(protocol) => self.edit(|form| form.set_incoming_protocol(protocol)),
            Message::Incoming(edit) => self.edit(|form| form.edit_incoming(edit)),
            Message::Outgoing(edit) => self.edit(|form| form.edit_outgoing(edit)),
            Message::Save => self.submit(|account, password| Action::Save { account, password }),
            Message::KeepForSession => {
                self.submit(|account, password| Action::SaveForSession { account, password })
            }
            Message::BackToForm => {
                self.stage = Stage::Editing;
                Action::None
            }
            Message::Cancel => Action::Cancel,
        }
    }

    /// The app could not save (the message says why); the form stays as typed.
    pub fn saving_failed(&mut self, error: &Error) {
        self.stage = Stage::Editing;
        self.failure = Some(format!("{} {}", sentence(&error.to_string()), error.kind().advice()));
    }

    /// No secret service answered: ask whether to keep the password for this session only.
    pub fn no_secret_service(&mut self, error: &Error) {
        self.stage = Stage::NoSecretService { reason: error.to_string() };
    }

    pub fn is_saving(&self) -> bool {
        self.stage == Stage::Saving
    }

    fn edit(&mut self, change: impl FnOnce(&mut Form)) -> Action {
        if self.stage == Stage::Saving {
            return Action::None;
        }
        change(&mut self.form);
        if self.errors.is_some() {
            self.errors = Some(self.form.validate().err().unwrap_or_default());
        }
        Action::None
    }

    fn submit(&mut self, action: impl FnOnce(Account, String) -> Action) -> Action {
        if self.stage == Stage::Saving {
            return Action::None;
        }
        match self.form.validate() {
            Ok((account, password)) => {
                self.errors = None;
                self.failure = None;
                self.stage = Stage::Saving;
                action(account, password)
            }
            Err(errors) => {
                self.errors = Some(errors);
                self.stage = Stage::Editing;
                Action::None
            }
        }
    }
}

/// "cannot write x" → "Cannot write x."
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Passwords never appear in debug output (logs, panics, test failures).
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Name(name) => f.debug_tuple("Name").field(name).finish(),
            Message::Email(email) => f.debug_tuple("Email").field(email).finish(),
            Message::Password(_) => f.write_str("Password(<redacted>)"),
            Message::IncomingProtocol(p) => f.debug_tuple("IncomingProtocol").field(p).finish(),
            Message::Incoming(edit) => f.debug_tuple("Incoming").field(edit).finish(),
            Message::Outgoing(edit) => f.debug_tuple("Outgoing").field(edit).finish(),
            Message::Save => f.write_str("Save"),
            Message::Cancel => f.write_str("Cancel"),
            Message::KeepForSession => f.write_str("KeepForSession"),
            Message::BackToForm => f.write_str("BackToForm"),
        }
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::None => f.write_str("None"),
            Action::Save { account, .. } => {
                f.debug_struct("Save").field("account", &account.name).finish_non_exhaustive()
            }
            Action::SaveForSession { account, .. } => {
                f.debug_struct("SaveForSession").field("account", &account.name).finish_non_exhaustive()
            }
            Action::Cancel => f.write_str("Cancel"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let text = format!("{:?}", Message::Password("hunter2".into()));
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn saving_locks_the_form_until_the_app_answers() {
        let mut wizard = Wizard::new();
        for message in [
            Message::Name("Work".into()),
            Message::Email("alice@example.test".into()),
            Message::Password("pw".into()),
            Message::Incoming(ServerEdit::Host("imap.example.test".into())),
            Message::Outgoing(ServerEdit::Host("smtp.example.test".into())),
        ] {
            let _ = wizard.update(message);
        }
        assert!(matches!(wizard.update(Message::Save), Action::Save { .. }));
        assert!(wizard.is_saving());
        assert!(matches!(wizard.update(Message::Save), Action::None), "no double save");
        let _ = wizard.update(Message::Name("Other".into()));
        assert_eq!(wizard.form().name, "Work");
        wizard.saving_failed(&Error::config("an account named \"Work\" already exists"));
        assert!(!wizard.is_saving());
        assert!(wizard.failure.as_deref().is_some_and(|f| f.starts_with("An account named")));
    }
}
