//! The account wizard: name, email and password → discovery of the server settings → review
//! (the manual form, prefilled) → a live test of both servers → save. "Set up manually" leads
//! to the form from every step before it; the test must pass, or the person must choose "Save
//! anyway", before anything is saved. An account that signs in with OAuth2 signs in first
//! ([`sign_in`]): the test's checks log in with the sign-in's access token.
//!
//! State moves forward in one [`Form`]: discovery writes the chosen settings into it, review
//! edits it, the test checks the [`Account`] built from it and saving writes exactly that
//! account. Network work (discovery, following a redirect, the checks) runs in tasks handed to
//! the app as [`Action::Run`]; their abort handles live in the step, so leaving a step stops
//! its work. The wizard never saves anything itself: [`Action::Save`] lets the app run
//! [`save::save`] off the UI thread, which answers through [`Wizard::saving_failed`] or
//! [`Wizard::no_secret_service`].

mod checks;
mod discovery;
pub mod fields;
mod form;
mod messages;
pub mod save;
mod sign_in;
mod steps;
mod test_view;
mod view;

use iced::task::Handle;
use iced::{Subscription, Task};

use tidings_mail::discover::DiscoverOptions;
use tidings_mail::error::Error;

pub use checks::{Checks, Progress, RowState, ServerTest, Side};
pub use discovery::Found;
pub use form::{
    Errors, Form, OAuth2Edit, OAuth2Fields, ProviderChoice, ServerEdit, ServerErrors, ServerFields, SignIn,
};
pub use messages::{Action, Message};
pub use sign_in::{CodePage, SignInPage};

/// Widget ids, so tests (and later keyboard shortcuts) can reach each control.
pub mod id {
    pub const SENDER_NAME: &str = "wizard-sender-name";
    pub const NAME: &str = "wizard-name";
    pub const EMAIL: &str = "wizard-email";
    pub const PASSWORD: &str = "wizard-password";
    /// Sign in with a password, or with OAuth2.
    pub const SIGN_IN_PASSWORD: &str = "wizard-sign-in-password";
    pub const SIGN_IN_OAUTH2: &str = "wizard-sign-in-oauth2";
    pub const OAUTH2_MICROSOFT: &str = "wizard-oauth2-microsoft";
    pub const OAUTH2_GOOGLE: &str = "wizard-oauth2-google";
    pub const OAUTH2_FILE: &str = "wizard-oauth2-file";
    pub const OAUTH2_PROVIDER_FILE: &str = "wizard-oauth2-provider-file";
    pub const OAUTH2_CLIENT_ID: &str = "wizard-oauth2-client-id";
    pub const OAUTH2_TENANT: &str = "wizard-oauth2-tenant";
    pub const INCOMING_IMAP: &str = "wizard-incoming-imap";
    pub const INCOMING_POP3: &str = "wizard-incoming-pop3";
    pub const INCOMING_HOST: &str = "wizard-incoming-host";
    pub const INCOMING_PORT: &str = "wizard-incoming-port";
    pub const INCOMING_SSL: &str = "wizard-incoming-ssl";
    pub const INCOMING_STARTTLS: &str = "wizard-incoming-starttls";
    pub const INCOMING_NONE: &str = "wizard-incoming-none";
    pub const INCOMING_USER: &str = "wizard-incoming-user";
    pub const INCOMING_AUTH_PASSWORD: &str = "wizard-incoming-auth-password";
    pub const INCOMING_CA_FILE: &str = "wizard-incoming-ca-file";
    pub const INCOMING_FORGET_PIN: &str = "wizard-incoming-forget-pin";
    pub const OUTGOING_HOST: &str = "wizard-outgoing-host";
    pub const OUTGOING_PORT: &str = "wizard-outgoing-port";
    pub const OUTGOING_SSL: &str = "wizard-outgoing-ssl";
    pub const OUTGOING_STARTTLS: &str = "wizard-outgoing-starttls";
    pub const OUTGOING_NONE: &str = "wizard-outgoing-none";
    pub const OUTGOING_USER: &str = "wizard-outgoing-user";
    pub const OUTGOING_AUTH_PASSWORD: &str = "wizard-outgoing-auth-password";
    pub const OUTGOING_CA_FILE: &str = "wizard-outgoing-ca-file";
    pub const OUTGOING_FORGET_PIN: &str = "wizard-outgoing-forget-pin";
    /// "Find my settings" on the first step.
    pub const FIND: &str = "wizard-find";
    /// "Set up manually", on every step before the form.
    pub const MANUAL: &str = "wizard-manual";
    /// "Back", to the step before.
    pub const BACK: &str = "wizard-back";
    /// "Use these settings" after discovery.
    pub const USE_FOUND: &str = "wizard-use-found";
    /// "Test settings" on the form.
    pub const TEST: &str = "wizard-test";
    pub const STOP_TEST: &str = "wizard-stop-test";
    /// Copy the sign-in page's address; open it in the browser again.
    pub const SIGN_IN_COPY: &str = "wizard-sign-in-copy";
    pub const SIGN_IN_OPEN: &str = "wizard-sign-in-open";
    /// "Use a code instead"; the code's address (selectable) and its Cancel.
    pub const SIGN_IN_USE_CODE: &str = "wizard-sign-in-use-code";
    pub const SIGN_IN_CODE_ADDRESS: &str = "wizard-sign-in-code-address";
    pub const SIGN_IN_CODE_CANCEL: &str = "wizard-sign-in-code-cancel";
    /// "Try again" after a failed sign-in.
    pub const TRY_AGAIN: &str = "wizard-try-again";
    pub const RUN_AGAIN: &str = "wizard-run-again";
    pub const CHANGE_SETTINGS: &str = "wizard-change-settings";
    pub const TRUST_INCOMING: &str = "wizard-trust-incoming";
    pub const TRUST_OUTGOING: &str = "wizard-trust-outgoing";
    pub const COPY_FINGERPRINT_INCOMING: &str = "wizard-copy-fingerprint-incoming";
    pub const COPY_FINGERPRINT_OUTGOING: &str = "wizard-copy-fingerprint-outgoing";
    pub const TRANSCRIPT_INCOMING: &str = "wizard-transcript-incoming";
    pub const TRANSCRIPT_OUTGOING: &str = "wizard-transcript-outgoing";
    /// "Save" once the test passed.
    pub const SAVE: &str = "wizard-save";
    /// "Save anyway" after a failed test.
    pub const SAVE_ANYWAY: &str = "wizard-save-anyway";
    pub const CANCEL: &str = "wizard-cancel";
    pub const KEEP_FOR_SESSION: &str = "wizard-keep-for-session";
    pub const BACK_TO_FORM: &str = "wizard-back-to-form";
    /// The scrollable page: each new step starts at its top.
    pub const PAGE: &str = "wizard-page";

    /// A candidate setting found by discovery (by its index in the discovery's list).
    pub fn candidate(index: usize) -> String {
        format!("wizard-candidate-{index}")
    }

    /// The button that follows a redirect needing consent (by its index).
    pub fn follow(index: usize) -> String {
        format!("wizard-follow-{index}")
    }
}

/// The warning shown when a server is set to no encryption.
pub const UNENCRYPTED_WARNING: &str = "Passwords and mail will travel unencrypted.";

/// Where the wizard is.
enum Step {
    /// Name, email and password.
    Account,
    /// Discovery runs; dropping the handle stops it.
    Discovering { domain: String, seconds: u32, _handle: Handle },
    /// What discovery found, to choose from.
    Found(Box<Found>),
    /// The form, prefilled or empty, every field editable.
    Review,
    /// An OAuth2 account signs in before its test; dropping the handle stops the sign-in.
    SigningIn { state: Box<sign_in::SigningIn>, handle: Option<Handle> },
    /// Both servers checked; dropping the handle stops the checks.
    Testing { checks: Box<Checks>, handle: Option<Handle> },
    /// The app is saving `account`.
    Saving { checks: Box<Checks> },
    /// The secret store is unreachable; the person chooses what to do.
    NoSecretService { checks: Box<Checks>, reason: String },
}

pub struct Wizard {
    form: Form,
    /// Shown once the person tried to go on, then kept up to date as they type.
    errors: Option<Box<Errors>>,
    /// Why the last save failed (duplicate name, unwritable config…).
    failure: Option<String>,
    /// A note above the form (e.g. that discovery found nothing).
    notice: Option<String>,
    step: Step,
    /// Where discovery looks (the testkit's DNS and web servers in tests).
    options: DiscoverOptions,
    /// The last discovery's findings, kept when going on to the form so "Back" returns to them.
    found: Option<Box<Found>>,
    /// Numbers each run of discovery or of the test, so late answers of an abandoned run
    /// are recognised and dropped.
    run: u64,
    /// The last sign-in's tokens (OAuth2 accounts), kept for saving.
    signed_in: Option<sign_in::SignedIn>,
}

impl Default for Wizard {
    fn default() -> Self {
        Wizard::new(DiscoverOptions::default())
    }
}

impl Wizard {
    /// An empty wizard on its first step; discovery runs with `options`.
    pub fn new(options: DiscoverOptions) -> Self {
        Wizard {
            form: Form::default(),
            errors: None,
            failure: None,
            notice: None,
            step: Step::Account,
            options,
            found: None,
            run: 0,
            signed_in: None,
        }
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    /// The number of the current discovery or test run (tests feed fixed progress with it).
    pub fn run_id(&self) -> u64 {
        self.run
    }

    /// The test step's checks, while they are shown.
    pub fn checks(&self) -> Option<&Checks> {
        match &self.step {
            Step::Testing { checks, .. } | Step::Saving { checks } | Step::NoSecretService { checks, .. } => {
                Some(checks)
            }
            _ => None,
        }
    }

    /// What discovery found, while it is shown.
    pub fn found(&self) -> Option<&Found> {
        match &self.step {
            Step::Found(found) => Some(found),
            _ => None,
        }
    }

    /// The step's name: "account", "discovering", "found", "review", "signing-in", "testing",
    /// "saving" or "no-secret-service" (for tests and the window title).
    pub fn step_name(&self) -> &'static str {
        match self.step {
            Step::Account => "account",
            Step::Discovering { .. } => "discovering",
            Step::Found(_) => "found",
            Step::Review => "review",
            Step::SigningIn { .. } => "signing-in",
            Step::Testing { .. } => "testing",
            Step::Saving { .. } => "saving",
            Step::NoSecretService { .. } => "no-secret-service",
        }
    }

    pub fn is_saving(&self) -> bool {
        matches!(self.step, Step::Saving { .. })
    }

    /// A one-second tick while discovery runs, to show how long it has been looking.
    pub fn subscription(&self) -> Subscription<Message> {
        match self.step {
            Step::Discovering { .. } => {
                iced::time::every(std::time::Duration::from_secs(1)).map(|_| Message::Tick)
            }
            _ => Subscription::none(),
        }
    }

    /// The app could not save (the message says why): back to the form as typed.
    pub fn saving_failed(&mut self, error: &Error) {
        self.step = Step::Review;
        self.failure = Some(format!("{} {}", sentence(&error.to_string()), error.advice()));
    }

    /// No secret service answered: ask whether to keep the password for this session only.
    pub fn no_secret_service(&mut self, error: &Error) {
        let step = std::mem::replace(&mut self.step, Step::Review);
        self.step = match step {
            Step::Saving { checks } => Step::NoSecretService { checks, reason: error.to_string() },
            other => other,
        };
    }

    pub fn update(&mut self, message: Message) -> Action {
        let before = self.step_name();
        let action = self.handle(message);
        if self.step_name() == before {
            return action;
        }
        // iced keeps a scrollable's offset across steps (same place in the widget tree).
        let top = top_of_page();
        match action {
            Action::None => Action::Run(top),
            Action::Run(task) => Action::Run(Task::batch([task, top])),
            other => other,
        }
    }

    fn handle(&mut self, message: Message) -> Action {
        match message {
            Message::SenderName(name) => self.edit(|form| form.sender_name = name),
            Message::Name(name) => self.edit(|form| form.name = name),
            Message::Email(email) => self.edit(|form| form.set_email(email)),
            Message::Password(password) => self.edit(|form| form.password = password),
            Message::SignIn(way) => self.edit(|form| form.sign_in = way),
            Message::OAuth2(edit) => self.edit(|form| form.edit_oauth2(edit)),
            Message::IncomingProtocol(protocol) => self.edit(|form| form.set_incoming_protocol(protocol)),
            Message::Incoming(edit) => self.edit(|form| form.edit_incoming(edit)),
            Message::Outgoing(edit) => self.edit(|form| form.edit_outgoing(edit)),
            Message::FindSettings => self.find_settings(),
            Message::Tick => self.tick(),
            Message::Discovered(run, discovery) => self.discovered(run, *discovery),
            Message::Choose(side, index) => self.choose(side, index),
            Message::Follow(index) => self.follow(index),
            Message::Followed(run, index, result) => self.followed(run, index, result),
            Message::UseFound => self.use_found(),
            Message::Manual => self.manual(),
            Message::Back => self.back(),
            Message::Test => self.test(),
            Message::SignInStarted(run, page) => self.sign_in_started(run, page),
            Message::SignedIn(run, tokens) => self.signed_in(run, tokens),
            Message::CopySignInAddress => self.copy_sign_in_address(),
            Message::OpenSignInPage => self.open_sign_in_page(),
            Message::BrowserFailed(error) => self.browser_failed(error),
            Message::UseCode => self.use_code(),
            Message::CodeStarted(run, page) => self.code_started(run, page),
            Message::AddressTyped => Action::None,
            Message::Check(run, progress) => self.check_progress(run, progress),
            Message::StopTest => self.stop_test(),
            Message::RunAgain => self.test(),
            Message::ChangeSettings => self.change_settings(),
            Message::Trust(side) => self.trust(side),
            Message::CopyFingerprint(sha256) => Action::Run(iced::clipboard::write(sha256)),
            Message::ToggleTranscript(side) => self.toggle_transcript(side),
            Message::Save => self.save(false),
            Message::SaveAnyway => self.save(true),
            Message::KeepForSession => self.keep_for_session(),
            Message::BackToForm => self.back_to_test(),
            Message::Cancel => Action::Cancel,
        }
    }

    /// Edits are taken on the first step and on the form, nowhere else.
    fn edit(&mut self, change: impl FnOnce(&mut Form)) -> Action {
        let first = matches!(self.step, Step::Account);
        if !first && !matches!(self.step, Step::Review) {
            return Action::None;
        }
        change(&mut self.form);
        if self.errors.is_some() {
            let check = if first { self.form.validate_identity() } else { self.form.validate().map(|_| ()) };
            self.errors = Some(check.err().unwrap_or_default());
        }
        Action::None
    }

    /// From the test (or the sign-in) back to the form; leaving the step stops a test or a
    /// sign-in still running.
    fn change_settings(&mut self) -> Action {
        if matches!(self.step, Step::Testing { .. } | Step::SigningIn { .. }) {
            self.step = Step::Review;
        }
        Action::None
    }

    fn manual(&mut self) -> Action {
        let step = std::mem::replace(&mut self.step, Step::Review);
        match step {
            Step::Account | Step::Discovering { .. } => {}
            // Kept, so "Back" on the form returns to what was found.
            Step::Found(found) => self.found = Some(found),
            other => {
                self.step = other;
                return Action::None;
            }
        }
        self.errors = None;
        self.notice = None;
        Action::None
    }

    fn back(&mut self) -> Action {
        match self.step {
            Step::Review => {
                self.step = match self.found.take() {
                    Some(found) => Step::Found(found),
                    None => Step::Account,
                }
            }
            Step::Found(_) | Step::Discovering { .. } => self.step = Step::Account,
            Step::SigningIn { .. } => self.step = Step::Review,
            _ => return Action::None,
        }
        self.errors = None;
        Action::None
    }

    fn save(&mut self, anyway: bool) -> Action {
        let Step::Testing { checks, .. } = &self.step else { return Action::None };
        // Only a passed test, or a finished one the person chose to save anyway.
        if !(checks.passed() || anyway && checks.failed()) {
            return Action::None;
        }
        let Some(secret) = self.secret(&checks.account) else { return Action::None };
        let checks = checks.clone();
        let account = checks.account.clone();
        self.failure = None;
        self.step = Step::Saving { checks };
        Action::Save { account, secret }
    }

    /// What the tested account logs in with: the password typed, or the sign-in's tokens.
    fn secret(&self, account: &tidings_mail::account::Account) -> Option<save::Secret> {
        if account.oauth2.is_some() {
            self.tokens().map(|tokens| save::Secret::OAuth2(Box::new(tokens.clone())))
        } else {
            Some(save::Secret::Password(self.form.password.clone()))
        }
    }

    fn keep_for_session(&mut self) -> Action {
        let Step::NoSecretService { checks, .. } = &self.step else { return Action::None };
        let Some(secret) = self.secret(&checks.account) else { return Action::None };
        let checks = checks.clone();
        let account = checks.account.clone();
        self.step = Step::Saving { checks };
        Action::SaveForSession { account, secret }
    }

    /// "Cancel" on the no-secret-service question: back to the test's results.
    fn back_to_test(&mut self) -> Action {
        let step = std::mem::replace(&mut self.step, Step::Review);
        self.step = match step {
            Step::NoSecretService { checks, .. } => Step::Testing { checks, handle: None },
            other => other,
        };
        Action::None
    }

    fn next_run(&mut self) -> u64 {
        self.run += 1;
        self.run
    }
}

/// Scrolls the wizard's page back to its top.
pub fn top_of_page<T>() -> Task<T> {
    iced::widget::operation::snap_to(id::PAGE, iced::widget::operation::RelativeOffset::START)
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

#[cfg(test)]
mod tests;
