//! The sign-in before an OAuth2 account's test: the core starts a browser sign-in (a loopback
//! listener, PKCE), the page goes to the person's browser — and is shown with Copy, in case no
//! browser opened — then a second task waits for the provider to send the browser back and
//! exchanges the code for tokens. The tokens stay in the wizard (never in the form) until the
//! account is saved; the checks log in with the access token.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use iced::Task;
use iced::widget::text::Wrapping;
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Font, Length, widget};

use tidings_mail::account::{Account, OAuth2Settings};
use tidings_mail::auth::{Credential, Credentials};
use tidings_mail::error::{Error, Kind};
use tidings_mail::oauth2::{BrowserSignIn, Provider, Reach, Tokens, flow};

use super::discovery::{action, buttons};
use super::{Action, Message, ProviderChoice, Step, Wizard, id, sentence};
use crate::theme::{self, Tone};

/// How long the person has to sign in in the browser.
const SIGN_IN_TIME: Duration = Duration::from_secs(10 * 60);
/// Tokens with less time left than this are not tested with: the person signs in again.
const STILL_FRESH: Duration = Duration::from_secs(5 * 60);

/// A browser sign-in that has started: the provider's name, the page to open, and the
/// sign-in itself for the task that waits for the browser's return (messages are Clone, a
/// sign-in is not: the task takes it out).
#[derive(Clone)]
pub struct SignInPage {
    pub provider: String,
    pub url: String,
    pub sign_in: Arc<Mutex<Option<BrowserSignIn>>>,
}

impl SignInPage {
    pub fn new(provider: String, url: String, sign_in: Option<BrowserSignIn>) -> SignInPage {
        SignInPage { provider, url, sign_in: Arc::new(Mutex::new(sign_in)) }
    }
}

/// The sign-in step: waiting for the browser, or why the sign-in failed.
pub(super) struct SigningIn {
    /// The account being tested, as the form gave it.
    account: Account,
    provider: String,
    url: Option<String>,
    failure: Option<Error>,
}

/// What a sign-in gave, and for which settings (another provider or id needs another one).
pub(super) struct SignedIn {
    settings: Option<OAuth2Settings>,
    tokens: Tokens,
}

impl Wizard {
    /// The sign-in page's address, once the sign-in waits for the browser.
    pub fn sign_in_url(&self) -> Option<&str> {
        match &self.step {
            Step::SigningIn { state, .. } => state.url.as_deref(),
            _ => None,
        }
    }

    /// Why the sign-in failed, while that is shown.
    pub fn sign_in_failure(&self) -> Option<&Error> {
        match &self.step {
            Step::SigningIn { state, .. } => state.failure.as_ref(),
            _ => None,
        }
    }

    /// Tests an OAuth2 account: with the tokens of an earlier sign-in when they are for the
    /// same settings and still fresh (testing again after pinning a certificate), else after
    /// signing in.
    pub(super) fn sign_in_and_check(&mut self, account: Account) -> Action {
        if let Some(signed_in) =
            self.signed_in.as_ref().filter(|s| s.settings == account.oauth2 && fresh(&s.tokens))
        {
            let credentials = bearer(&account, &signed_in.tokens.access);
            return self.start_checks(account, credentials);
        }
        self.signed_in = None;
        let run = self.next_run();
        let provider = provider_label(&account).to_string();
        let (task, handle) =
            Task::perform(start(account.clone()), move |page| Message::SignInStarted(run, page)).abortable();
        self.step = Step::SigningIn {
            state: Box::new(SigningIn { account, provider, url: None, failure: None }),
            handle: Some(handle.abort_on_drop()),
        };
        Action::Run(task)
    }

    /// The sign-in started: the page goes to the browser and a task waits for its return.
    pub(super) fn sign_in_started(&mut self, run: u64, page: Result<SignInPage, Error>) -> Action {
        let (true, Step::SigningIn { state, handle }) = (run == self.run, &mut self.step) else {
            return Action::None;
        };
        match page {
            Ok(page) => {
                state.provider = page.provider.clone();
                state.url = Some(page.url.clone());
                let (finish, finishing) = Task::perform(finish(page.sign_in), move |tokens| {
                    Message::SignedIn(run, tokens.map(Box::new))
                })
                .abortable();
                *handle = Some(finishing.abort_on_drop());
                Action::Run(Task::batch([open(page.url), finish]))
            }
            Err(error) => {
                state.failure = Some(error);
                *handle = None;
                Action::None
            }
        }
    }

    /// The browser came back (or the sign-in failed): on to the checks, with the access token.
    pub(super) fn signed_in(&mut self, run: u64, tokens: Result<Box<Tokens>, Error>) -> Action {
        let (true, Step::SigningIn { state, handle }) = (run == self.run, &mut self.step) else {
            return Action::None;
        };
        match tokens {
            Ok(tokens) => {
                let account = state.account.clone();
                let credentials = bearer(&account, &tokens.access);
                self.signed_in = Some(SignedIn { settings: account.oauth2.clone(), tokens: *tokens });
                self.start_checks(account, credentials)
            }
            Err(error) => {
                state.failure = Some(error);
                *handle = None;
                Action::None
            }
        }
    }

    pub(super) fn copy_sign_in_address(&self) -> Action {
        match self.sign_in_url() {
            Some(url) => Action::Run(iced::clipboard::write(url.to_string())),
            None => Action::None,
        }
    }

    pub(super) fn open_sign_in_page(&self) -> Action {
        match self.sign_in_url() {
            Some(url) => Action::Run(open(url.to_string())),
            None => Action::None,
        }
    }

    /// The sign-in's tokens, to keep when the account is saved.
    pub(super) fn tokens(&self) -> Option<&Tokens> {
        self.signed_in.as_ref().map(|s| &s.tokens)
    }
}

/// Both servers log in with the access token, each as its own user.
fn bearer(account: &Account, token: &str) -> Credentials {
    Credentials {
        incoming: Credential::bearer(&account.incoming.user, token),
        outgoing: Credential::bearer(&account.outgoing.user, token),
    }
}

fn fresh(tokens: &Tokens) -> bool {
    tokens
        .expires_at
        .is_none_or(|at| at.duration_since(SystemTime::now()).is_ok_and(|left| left > STILL_FRESH))
}

/// "Microsoft", "Google", or "your provider" until a provider file is read.
fn provider_label(account: &Account) -> &'static str {
    let provider = account.oauth2.as_ref().map(|o| o.provider.to_ascii_lowercase()).unwrap_or_default();
    match provider.as_str() {
        "microsoft" => ProviderChoice::Microsoft.label(),
        "google" => ProviderChoice::Google.label(),
        _ => ProviderChoice::File.label(),
    }
}

/// Reads the provider (a provider file is read here, off the UI thread) and starts the
/// browser sign-in.
async fn start(account: Account) -> Result<SignInPage, Error> {
    let provider =
        tokio::task::spawn_blocking(move || Provider::for_account(&account)).await.map_err(|e| {
            Error::new(Kind::Config, format!("cannot read the OAuth2 provider (the task stopped: {e})"))
        })??;
    let sign_in = flow::start_browser(&provider).await?;
    Ok(SignInPage::new(provider.name.clone(), sign_in.url.clone(), Some(sign_in)))
}

async fn finish(sign_in: Arc<Mutex<Option<BrowserSignIn>>>) -> Result<Tokens, Error> {
    let taken = sign_in.lock().ok().and_then(|mut held| held.take());
    match taken {
        Some(sign_in) => sign_in.finish(&Reach::default(), SIGN_IN_TIME).await,
        None => Err(Error::new(Kind::Auth, "this sign-in has already ended; start it again")),
    }
}

/// Hands the page to the browser; whether one opened is not known (the page is shown with
/// Copy for that), so failing is not an error here.
fn open(url: String) -> Task<Message> {
    Task::perform(crate::desktop::open_url(url), |_| Message::BrowserAsked)
}

/// The step: waiting for the browser, or the failure with "Try again".
pub(super) fn view(state: &SigningIn) -> Element<'_, Message> {
    let mut content = column![].spacing(16);
    let mut list = vec![
        action("Cancel", id::CANCEL, Message::Cancel),
        action("Change settings", id::CHANGE_SETTINGS, Message::ChangeSettings),
    ];
    match &state.failure {
        None => {
            content = content.push(text(format!("Signing in with {}…", state.provider)).size(18)).push(
                text(format!(
                    "Sign in on {}'s page in your browser. When it sends you back, Tidings tests both servers \
                     with the sign-in; nothing is saved before you choose Save.",
                    state.provider
                ))
                .size(14)
                .style(theme::text::muted),
            );
            if let Some(url) = &state.url {
                content = content.push(address(url));
                list.push(action("Open the page again", id::SIGN_IN_OPEN, Message::OpenSignInPage));
            }
        }
        Some(error) => {
            content = content
                .push(text("The sign-in did not succeed.").size(18).style(theme::text::tone(Tone::Danger)))
                .push(failure(error));
            list.push(
                container(
                    button(text("Try again"))
                        .padding([8, 20])
                        .style(theme::button::primary)
                        .on_press(Message::RunAgain),
                )
                .id(widget::Id::new(id::TRY_AGAIN))
                .into(),
            );
        }
    }
    content.push(buttons(list)).into()
}

/// The page's address, for a browser that did not open by itself.
fn address(url: &str) -> Element<'_, Message> {
    let copy = button(text("Copy").size(13))
        .padding([4, 12])
        .style(theme::button::secondary)
        .on_press(Message::CopySignInAddress);
    container(
        column![
            text("If no browser opened, open this address in one:").size(13),
            row![
                text(url).size(12).font(Font::MONOSPACE).wrapping(Wrapping::WordOrGlyph).width(Length::Fill),
                container(copy).id(widget::Id::new(id::SIGN_IN_COPY)),
            ]
            .spacing(12)
            .align_y(Alignment::Center),
        ]
        .spacing(6),
    )
    .padding(12)
    .width(Length::Fill)
    .style(theme::container::card)
    .into()
}

/// What failed, the provider's own words, and what to do.
fn failure(error: &Error) -> Element<'_, Message> {
    let mut body = column![text(sentence(error.message())).size(14)].spacing(6);
    if let Some(words) = error.server_words() {
        body = body
            .push(text("The provider said:").size(13).style(theme::text::muted))
            .push(text(words).size(13).font(Font::MONOSPACE).wrapping(Wrapping::WordOrGlyph));
    }
    body = body.push(text(error.advice()).size(14));
    container(body).padding(12).width(Length::Fill).style(theme::container::error).into()
}
