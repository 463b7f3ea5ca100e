//! What the wizard's widgets and tasks say, and what it asks of the app.

use std::fmt;

use iced::Task;

use tidings_mail::account::{Account, Incoming};
use tidings_mail::discover::{Candidate, Discovery};
use tidings_mail::error::Error;
use tidings_mail::oauth2::Tokens;

use super::save::Secret;
use super::sign_in::{CodePage, SignInPage};
use super::{OAuth2Edit, Progress, ServerEdit, Side, SignIn};

#[derive(Clone)]
pub enum Message {
    SenderName(String),
    Name(String),
    Email(String),
    Password(String),
    /// Sign in with a password or with OAuth2.
    SignIn(SignIn),
    OAuth2(OAuth2Edit),
    IncomingProtocol(Incoming),
    Incoming(ServerEdit),
    Outgoing(ServerEdit),
    /// Look for the settings of the email's domain.
    FindSettings,
    /// A second of discovery went by.
    Tick,
    /// Discovery `run` ended.
    Discovered(u64, Box<Discovery>),
    /// Use the candidate at this index of the discovery's list for its side.
    Choose(Side, usize),
    /// Follow the redirect needing consent at this index.
    Follow(usize),
    /// What following redirect `index` of discovery `run` gave.
    Followed(u64, usize, Result<Vec<Candidate>, Error>),
    /// Go on to the form with the chosen settings.
    UseFound,
    /// Go to the form, leaving discovery behind.
    Manual,
    Back,
    /// Check both servers with the form's settings.
    Test,
    /// The sign-in of test `run` is waiting for the browser at this page (or could not start).
    SignInStarted(u64, Result<SignInPage, Error>),
    /// The sign-in of test `run` ended.
    SignedIn(u64, Result<Box<Tokens>, Error>),
    /// Copy the sign-in page's address.
    CopySignInAddress,
    /// Hand the sign-in page to the browser again.
    OpenSignInPage,
    /// The desktop could not be asked to open the page (no xdg-open, no browser).
    BrowserFailed(Error),
    /// "Use a code instead": the device-code sign-in.
    UseCode,
    /// The device code of test `run` (or why none came).
    CodeStarted(u64, Result<CodePage, Error>),
    /// Typed into the code's address, which is there to be selected only: ignored.
    AddressTyped,
    /// Progress of test `run`.
    Check(u64, Progress),
    StopTest,
    RunAgain,
    /// Back from the test to the form.
    ChangeSettings,
    /// Pin the certificate this side's server presented, and test again.
    Trust(Side),
    /// Put a certificate's fingerprint on the clipboard.
    CopyFingerprint(String),
    ToggleTranscript(Side),
    /// Save after a passed test.
    Save,
    /// Save although the test failed.
    SaveAnyway,
    Cancel,
    /// No secret service: keep the password in memory for this run.
    KeepForSession,
    /// No secret service: don't save, go back to the test's results.
    BackToForm,
}

/// What the wizard asks of the app.
pub enum Action {
    None,
    /// Run this task (discovery, following a redirect, the checks).
    Run(Task<Message>),
    /// Store the secret (a password, or the sign-in's refresh token) in the secret service
    /// and the account in the config.
    Save {
        account: Account,
        secret: Secret,
    },
    /// Keep the secret in memory for this session and the account in the config.
    SaveForSession {
        account: Account,
        secret: Secret,
    },
    Cancel,
}

/// Passwords never appear in debug output (logs, panics, test failures).
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::SenderName(name) => f.debug_tuple("SenderName").field(name).finish(),
            Message::Name(name) => f.debug_tuple("Name").field(name).finish(),
            Message::Email(email) => f.debug_tuple("Email").field(email).finish(),
            Message::Password(_) => f.write_str("Password(<redacted>)"),
            Message::SignIn(way) => f.debug_tuple("SignIn").field(way).finish(),
            Message::OAuth2(edit) => f.debug_tuple("OAuth2").field(edit).finish(),
            Message::IncomingProtocol(p) => f.debug_tuple("IncomingProtocol").field(p).finish(),
            Message::Incoming(edit) => f.debug_tuple("Incoming").field(edit).finish(),
            Message::Outgoing(edit) => f.debug_tuple("Outgoing").field(edit).finish(),
            Message::FindSettings => f.write_str("FindSettings"),
            Message::Tick => f.write_str("Tick"),
            Message::Discovered(run, d) => {
                f.debug_tuple("Discovered").field(run).field(&d.candidates.len()).finish()
            }
            Message::Choose(side, index) => f.debug_tuple("Choose").field(side).field(index).finish(),
            Message::Follow(index) => f.debug_tuple("Follow").field(index).finish(),
            Message::Followed(run, index, result) => f
                .debug_tuple("Followed")
                .field(run)
                .field(index)
                .field(&result.as_ref().map(Vec::len))
                .finish(),
            Message::UseFound => f.write_str("UseFound"),
            Message::Manual => f.write_str("Manual"),
            Message::Back => f.write_str("Back"),
            Message::Test => f.write_str("Test"),
            Message::SignInStarted(run, page) => f
                .debug_tuple("SignInStarted")
                .field(run)
                .field(&page.as_ref().map(|page| page.provider.as_str()))
                .finish(),
            // Tokens' own Debug output hides them.
            Message::SignedIn(run, tokens) => f.debug_tuple("SignedIn").field(run).field(tokens).finish(),
            Message::CopySignInAddress => f.write_str("CopySignInAddress"),
            Message::OpenSignInPage => f.write_str("OpenSignInPage"),
            Message::BrowserFailed(e) => f.debug_tuple("BrowserFailed").field(e).finish(),
            Message::UseCode => f.write_str("UseCode"),
            Message::CodeStarted(run, page) => f.debug_tuple("CodeStarted").field(run).field(page).finish(),
            Message::AddressTyped => f.write_str("AddressTyped"),
            // Stages and transcripts are already redacted by the core.
            Message::Check(run, progress) => f.debug_tuple("Check").field(run).field(progress).finish(),
            Message::StopTest => f.write_str("StopTest"),
            Message::RunAgain => f.write_str("RunAgain"),
            Message::ChangeSettings => f.write_str("ChangeSettings"),
            Message::Trust(side) => f.debug_tuple("Trust").field(side).finish(),
            Message::CopyFingerprint(sha256) => f.debug_tuple("CopyFingerprint").field(sha256).finish(),
            Message::ToggleTranscript(side) => f.debug_tuple("ToggleTranscript").field(side).finish(),
            Message::Save => f.write_str("Save"),
            Message::SaveAnyway => f.write_str("SaveAnyway"),
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
            Action::Run(_) => f.write_str("Run(..)"),
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
