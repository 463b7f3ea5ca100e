//! An account's settings, opened from the accounts overview: everything the wizard's form
//! holds (name, email, a new password, both servers with their trust settings) plus the
//! per-account [`Options`](tidings_mail::options::Options), and removing the account.
//!
//! The screen never writes anything itself: "Save" returns [`Action::Save`] and "Remove",
//! after a confirmation saying what will be deleted, [`Action::Remove`]; the app runs
//! [`store::save`] or [`store::remove`] off the UI thread and reports failures back through
//! [`Settings::failed`]. For a POP3 account, "Preview next receive" returns
//! [`Action::Preview`]; the app runs [`preview::run`] and hands the plan back as
//! [`Message::Previewed`].

pub mod identities;
mod options;
pub mod preview;
pub mod store;
mod view;

use std::fmt;
use std::path::PathBuf;

use tidings_mail::account::{Account, Incoming};
use tidings_mail::error::Error;

use crate::screen::wizard::{Errors, Form, ServerEdit};

pub use identities::{IdentitiesForm, IdentityEdit, IdentityErrors};
pub use options::{
    DEFAULT_OFFLINE_DAYS, DEFAULT_SKIP_KB, OfflineScope, OptionEdit, OptionErrors, OptionsForm,
};

/// Widget ids of the settings' own controls (the form's fields keep the wizard's ids,
/// [`crate::screen::wizard::id`]).
pub mod id {
    pub const BACK: &str = "settings-back";
    pub const SAVE: &str = "settings-save";
    pub const REMOVE: &str = "settings-remove";
    pub const CONFIRM_REMOVE: &str = "settings-confirm-remove";
    pub const KEEP_ACCOUNT: &str = "settings-keep-account";
    /// The question when leaving with unsaved changes.
    pub const SAVE_AND_LEAVE: &str = "settings-save-and-leave";
    pub const DISCARD_CHANGES: &str = "settings-discard-changes";
    pub const KEEP_EDITING: &str = "settings-keep-editing";
    pub const AT_START: &str = "settings-at-start";
    pub const EVERY: &str = "settings-every";
    pub const ONLY_WHEN_ASKED: &str = "settings-only-when-asked";
    pub const EVERY_MINUTES: &str = "settings-every-minutes";
    pub const IDLE: &str = "settings-idle";
    pub const IDLE_INBOX: &str = "settings-idle-inbox";
    pub const IDLE_SPECIAL: &str = "settings-idle-special";
    pub const IDLE_SUBSCRIBED: &str = "settings-idle-subscribed";
    pub const LEAVE_ON_SERVER: &str = "settings-leave-on-server";
    pub const DELETE_AFTER: &str = "settings-delete-after";
    pub const DELETE_AFTER_DAYS: &str = "settings-delete-after-days";
    pub const DELETE_WHEN_DELETED_HERE: &str = "settings-delete-when-deleted-here";
    pub const HEADERS_ONLY: &str = "settings-headers-only";
    pub const SKIP_LARGE: &str = "settings-skip-large";
    pub const SKIP_OVER_KB: &str = "settings-skip-over-kb";
    pub const BODY_PLAIN: &str = "settings-body-plain";
    pub const BODY_HTML: &str = "settings-body-html";
    pub const BODY_BEST: &str = "settings-body-best";
    pub const TLS_12: &str = "settings-tls-12";
    pub const TLS_13: &str = "settings-tls-13";
    pub const NOTIFY: &str = "settings-notify";
    pub const REQUEST_RECEIPTS: &str = "settings-request-receipts";
    pub const OFFLINE_OFF: &str = "settings-offline-off";
    pub const OFFLINE_ALL: &str = "settings-offline-all";
    pub const OFFLINE_DAYS: &str = "settings-offline-days";
    pub const OFFLINE_DAYS_NUMBER: &str = "settings-offline-days-number";
    pub const LOG_TRANSCRIPT: &str = "settings-log-transcript";
    pub const PREVIEW: &str = "settings-preview";
    pub const ADD_IDENTITY: &str = "settings-add-identity";
    /// Prefixes of each other address's fields (`…-0`, `…-1`: see [`super::identities`]).
    pub const IDENTITY_NAME: &str = "settings-identity-name";
    pub const IDENTITY_EMAIL: &str = "settings-identity-email";
    pub const IDENTITY_REMOVE: &str = "settings-identity-remove";
    /// The scrollable page.
    pub const PAGE: &str = "settings-page";

    /// "Remove" beside a sender whose remote content shows without asking.
    pub fn forget_remote_sender(n: usize) -> String {
        format!("settings-forget-remote-{n}")
    }
}

/// Scrolls the settings page to its top (iced keeps the offset of the screen shown before).
pub fn top_of_page<T>() -> iced::Task<T> {
    iced::widget::operation::snap_to(id::PAGE, iced::widget::operation::RelativeOffset::START)
}

#[derive(Clone)]
pub enum Message {
    SenderName(String),
    Name(String),
    Email(String),
    Password(String),
    IncomingProtocol(Incoming),
    Incoming(ServerEdit),
    Outgoing(ServerEdit),
    Option(OptionEdit),
    Identity(IdentityEdit),
    LogTranscript(bool),
    /// Stop showing remote content of this sender (its place on the list) without asking.
    ForgetRemoteSender(usize),
    Save,
    Back,
    /// Leave without saving what was changed (asked by [`Message::Back`]).
    DiscardChanges,
    KeepEditing,
    /// Ask whether to remove the account.
    Remove,
    ConfirmRemove,
    KeepAccount,
    /// Show what the next POP3 receive would do.
    Preview,
    Previewed(preview::Outcome),
}

/// What the settings ask of the app.
pub enum Action {
    None,
    Back,
    /// Replace the account (same id) in the config; store `password` if one was typed.
    Save {
        account: Box<Account>,
        password: Option<String>,
    },
    /// Delete the account's secrets, data directory and config entry.
    Remove {
        id: String,
    },
    /// Run [`preview::run`] and send back [`Message::Previewed`].
    Preview(Box<preview::Request>),
}

/// What to fix on each part of the page: the form's cards, the options, the other addresses.
type AllErrors = (Box<Errors>, OptionErrors, IdentityErrors);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Editing,
    /// Back was pressed with changes not saved: asking whether to save them.
    ConfirmLeave,
    Saving,
    ConfirmRemove,
    Removing,
}

/// Where the account's files are, to say what removing it deletes.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub transcript_log: PathBuf,
}

pub struct Settings {
    account: Account,
    paths: Paths,
    form: Form,
    options: OptionsForm,
    identities: IdentitiesForm,
    log_transcript: bool,
    /// Senders whose remote content shows without asking ("Always for this sender").
    remote_from: Vec<String>,
    /// The global switch (the config's `notifications`): off, the per-account one says so.
    notifications: bool,
    /// Shown once the person tried to save, then kept up to date.
    errors: Option<AllErrors>,
    /// Why the last save or removal failed.
    failure: Option<String>,
    stage: Stage,
    preview: preview::State,
}

impl Settings {
    /// `notifications`: whether desktop notifications are on for all accounts (the config's
    /// global switch).
    pub fn new(account: &Account, paths: Paths, notifications: bool) -> Settings {
        Settings {
            notifications,
            form: Form::from_account(account),
            options: OptionsForm::new(account.options),
            identities: IdentitiesForm::new(account),
            log_transcript: account.log_transcript,
            remote_from: account.remote_content_from.clone(),
            account: account.clone(),
            paths,
            errors: None,
            failure: None,
            stage: Stage::Editing,
            preview: preview::State::Idle,
        }
    }

    /// The account as it was opened.
    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    pub fn options(&self) -> &OptionsForm {
        &self.options
    }

    pub fn identities(&self) -> &IdentitiesForm {
        &self.identities
    }

    /// Senders whose remote content shows without asking, as edited.
    pub fn remote_senders(&self) -> &[String] {
        &self.remote_from
    }

    /// The preview of the next POP3 receive.
    pub fn preview(&self) -> &preview::State {
        &self.preview
    }

    pub fn is_busy(&self) -> bool {
        matches!(self.stage, Stage::Saving | Stage::Removing)
    }

    /// Saving or removing failed: the edits stay, the message says why.
    pub fn failed(&mut self, error: &Error) {
        self.stage = Stage::Editing;
        self.failure = Some(format!("{} {}", sentence(&error.to_string()), error.advice()));
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::SenderName(name) => self.edit(|s| s.form.sender_name = name),
            Message::Name(name) => self.edit(|s| s.form.name = name),
            Message::Email(email) => self.edit(|s| s.form.set_email(email)),
            Message::Password(password) => self.edit(|s| s.form.password = password),
            Message::IncomingProtocol(protocol) => self.edit(|s| s.form.set_incoming_protocol(protocol)),
            Message::Incoming(edit) => self.edit(|s| s.form.edit_incoming(edit)),
            Message::Outgoing(edit) => self.edit(|s| s.form.edit_outgoing(edit)),
            Message::Option(edit) => self.edit(|s| s.options.edit(edit)),
            Message::Identity(edit) => self.edit(|s| s.identities.edit(edit)),
            Message::LogTranscript(on) => self.edit(|s| s.log_transcript = on),
            Message::ForgetRemoteSender(n) => self.edit(|s| {
                if n < s.remote_from.len() {
                    s.remote_from.remove(n);
                }
            }),
            Message::Save => self.save(),
            Message::Back if self.stage == Stage::Editing && self.has_changes() => {
                self.stage = Stage::ConfirmLeave;
                Action::None
            }
            Message::Back if !self.is_busy() => Action::Back,
            Message::Back => Action::None,
            Message::DiscardChanges if self.stage == Stage::ConfirmLeave => Action::Back,
            Message::KeepEditing if self.stage == Stage::ConfirmLeave => {
                self.stage = Stage::Editing;
                Action::None
            }
            Message::DiscardChanges | Message::KeepEditing => Action::None,
            Message::Remove => self.ask_remove(),
            Message::ConfirmRemove => self.remove(),
            Message::KeepAccount => {
                if self.stage == Stage::ConfirmRemove {
                    self.stage = Stage::Editing;
                }
                Action::None
            }
            Message::Preview => self.start_preview(),
            Message::Previewed(outcome) => {
                // An answer to a preview that edits made stale is dropped.
                if self.preview == preview::State::Running {
                    self.preview = match outcome {
                        Ok(plan) => preview::State::Done(plan),
                        Err(why) => preview::State::Failed(why),
                    };
                }
                Action::None
            }
        }
    }

    /// The preview runs with the options as edited; what is wrong with them is shown first.
    fn start_preview(&mut self) -> Action {
        if self.stage != Stage::Editing || self.preview == preview::State::Running {
            return Action::None;
        }
        match self.check() {
            Ok((account, password)) if account.incoming_protocol == Incoming::Pop3 => {
                self.preview = preview::State::Running;
                Action::Preview(Box::new(preview::Request { account, password }))
            }
            Ok(_) => Action::None,
            Err(errors) => {
                self.errors = Some(errors);
                Action::None
            }
        }
    }

    fn edit(&mut self, change: impl FnOnce(&mut Settings)) -> Action {
        if self.stage != Stage::Editing {
            return Action::None;
        }
        change(self);
        // A preview shown is about the settings as they were.
        self.preview = preview::State::Idle;
        if self.errors.is_some() {
            self.errors = Some(self.check().err().unwrap_or_default());
        }
        Action::None
    }

    /// The edited account and the new password, or what to fix.
    fn check(&self) -> Result<(Account, Option<String>), AllErrors> {
        let form = self.form.validate_edit(&self.account);
        let options = self.options.validate();
        let identities = self.identities.validate(&self.form.email);
        match (form, options, identities) {
            (Ok((mut account, password)), Ok(options), Ok(identities)) => {
                account.options = options;
                account.log_transcript = self.log_transcript;
                account.identities = identities;
                account.remote_content_from = self.remote_from.clone();
                Ok((account, password))
            }
            (form, options, identities) => Err((
                form.err().unwrap_or_default(),
                options.err().unwrap_or_default(),
                identities.err().unwrap_or_default(),
            )),
        }
    }

    /// Whether anything differs from the account as it was opened (a typed password, or
    /// fields that do not even check: those are changes too).
    pub fn has_changes(&self) -> bool {
        !self.form.password.is_empty()
            || match self.check() {
                Ok((account, _)) => account != self.account,
                Err(_) => true,
            }
    }

    fn save(&mut self) -> Action {
        if !matches!(self.stage, Stage::Editing | Stage::ConfirmLeave) {
            return Action::None;
        }
        self.stage = Stage::Editing;
        match self.check() {
            Ok((account, password)) => {
                self.errors = None;
                self.failure = None;
                self.stage = Stage::Saving;
                Action::Save { account: Box::new(account), password }
            }
            Err(errors) => {
                self.errors = Some(errors);
                Action::None
            }
        }
    }

    fn ask_remove(&mut self) -> Action {
        if self.stage == Stage::Editing {
            self.stage = Stage::ConfirmRemove;
        }
        Action::None
    }

    fn remove(&mut self) -> Action {
        if self.stage != Stage::ConfirmRemove {
            return Action::None;
        }
        self.stage = Stage::Removing;
        Action::Remove { id: self.account.id.clone() }
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

/// Passwords never appear in debug output.
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::SenderName(name) => f.debug_tuple("SenderName").field(name).finish(),
            Message::Name(name) => f.debug_tuple("Name").field(name).finish(),
            Message::Email(email) => f.debug_tuple("Email").field(email).finish(),
            Message::Password(_) => f.write_str("Password(<redacted>)"),
            Message::IncomingProtocol(p) => f.debug_tuple("IncomingProtocol").field(p).finish(),
            Message::Incoming(edit) => f.debug_tuple("Incoming").field(edit).finish(),
            Message::Outgoing(edit) => f.debug_tuple("Outgoing").field(edit).finish(),
            Message::Option(edit) => f.debug_tuple("Option").field(edit).finish(),
            Message::Identity(edit) => f.debug_tuple("Identity").field(edit).finish(),
            Message::LogTranscript(on) => f.debug_tuple("LogTranscript").field(on).finish(),
            Message::ForgetRemoteSender(n) => f.debug_tuple("ForgetRemoteSender").field(n).finish(),
            Message::Save => f.write_str("Save"),
            Message::Back => f.write_str("Back"),
            Message::DiscardChanges => f.write_str("DiscardChanges"),
            Message::KeepEditing => f.write_str("KeepEditing"),
            Message::Remove => f.write_str("Remove"),
            Message::ConfirmRemove => f.write_str("ConfirmRemove"),
            Message::KeepAccount => f.write_str("KeepAccount"),
            Message::Preview => f.write_str("Preview"),
            Message::Previewed(outcome) => f.debug_tuple("Previewed").field(&outcome.is_ok()).finish(),
        }
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::None => f.write_str("None"),
            Action::Back => f.write_str("Back"),
            Action::Save { account, password } => f
                .debug_struct("Save")
                .field("account", &account.name)
                .field("new_password", &password.is_some())
                .finish(),
            Action::Remove { id } => f.debug_struct("Remove").field("id", id).finish(),
            Action::Preview(request) => f.debug_tuple("Preview").field(&request.account.name).finish(),
        }
    }
}
