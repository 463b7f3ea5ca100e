//! The sign-in before an OAuth2 account's test: the core starts a browser sign-in (a loopback
//! listener, PKCE), the page goes to the person's browser — and is shown with Copy, in case no
//! browser opened — then a second task waits for the provider to send the browser back and
//! exchanges the code for tokens. When the provider offers it, "Use a code instead" runs the
//! device-code sign-in (the address and the code shown; the person signs in on any device)
//! — also the way out when no browser could be opened. The tokens stay in the wizard (never
//! in the form) until the account is saved; the checks log in with the access token.

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
use crate::widget::device_code::{self, Code};

/// A started device-code sign-in.
pub use crate::widget::device_code::Started as CodePage;

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
    /// The provider offers the device code: "Use a code instead".
    pub device_code: bool,
}

impl SignInPage {
    pub fn new(provider: String, url: String, sign_in: Option<BrowserSignIn>) -> SignInPage {
        SignInPage { provider, url, sign_in: Arc::new(Mutex::new(sign_in)), device_code: false }
    }
}

/// The sign-in step: waiting for the browser (or the code), or why the sign-in failed.
pub(super) struct SigningIn {
    /// The account being tested, as the form gave it.
    account: Account,
    provider: String,
    url: Option<String>,
    failure: Option<Error>,
    /// The provider offers the device code.
    device_code: bool,
    /// The person chose the code: asking for one (`None`), or showing it.
    code: Option<Option<Code>>,
    /// Why the browser could not be asked to open the page.
    browser_failed: Option<Error>,
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

    /// The device code shown, once the provider gave one.
    pub fn sign_in_code(&self) -> Option<&Code> {
        match &self.step {
            Step::SigningIn { state, .. } => state.code.as_ref().and_then(Option::as_ref),
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
            state: Box::new(SigningIn {
                account,
                provider,
                url: None,
                failure: None,
                device_code: false,
                code: None,
                browser_failed: None,
            }),
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
                state.device_code = page.device_code;
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
                state.code = None;
                state.failure = Some(error);
                *handle = None;
                Action::None
            }
        }
    }

    pub(super) fn copy_sign_in_address(&self) -> Action {
        match (self.sign_in_code(), self.sign_in_url()) {
            (Some(code), _) => Action::Run(iced::clipboard::write(code.address.clone())),
            (None, Some(url)) => Action::Run(iced::clipboard::write(url.to_string())),
            (None, None) => Action::None,
        }
    }

    pub(super) fn open_sign_in_page(&self) -> Action {
        match (self.sign_in_code(), self.sign_in_url()) {
            (Some(code), _) => Action::Run(open(code.to_open().to_string())),
            (None, Some(url)) => Action::Run(open(url.to_string())),
            (None, None) => Action::None,
        }
    }

    /// No browser could be asked to open the page: the step says why and offers the code.
    pub(super) fn browser_failed(&mut self, error: Error) -> Action {
        if let Step::SigningIn { state, .. } = &mut self.step {
            state.browser_failed = Some(error);
        }
        Action::None
    }

    /// "Use a code instead": the wait for the browser stops and the provider is asked for a
    /// device code (a new run: a late answer of the browser's is ignored).
    pub(super) fn use_code(&mut self) -> Action {
        let run = self.next_run();
        let Step::SigningIn { state, handle } = &mut self.step else { return Action::None };
        if !state.device_code || state.code.is_some() {
            return Action::None;
        }
        state.code = Some(None);
        state.failure = None;
        let (task, starting) = Task::perform(CodePage::start(state.account.clone()), move |page| {
            Message::CodeStarted(run, page)
        })
        .abortable();
        *handle = Some(starting.abort_on_drop());
        Action::Run(task)
    }

    /// The provider gave a code: it is shown, and a task waits for the person to sign in.
    pub(super) fn code_started(&mut self, run: u64, page: Result<CodePage, Error>) -> Action {
        let (true, Step::SigningIn { state, handle }) = (run == self.run, &mut self.step) else {
            return Action::None;
        };
        match page {
            Ok(page) => {
                state.code = Some(Some(page.code.clone()));
                let (finish, finishing) = Task::perform(page.finish(SIGN_IN_TIME), move |tokens| {
                    Message::SignedIn(run, tokens.map(Box::new))
                })
                .abortable();
                *handle = Some(finishing.abort_on_drop());
                Action::Run(finish)
            }
            Err(error) => {
                state.code = None;
                state.failure = Some(error);
                *handle = None;
                Action::None
            }
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
    let mut page = SignInPage::new(provider.name.clone(), sign_in.url.clone(), Some(sign_in));
    page.device_code = provider.device_authorization_url.is_some();
    Ok(page)
}

async fn finish(sign_in: Arc<Mutex<Option<BrowserSignIn>>>) -> Result<Tokens, Error> {
    let taken = sign_in.lock().ok().and_then(|mut held| held.take());
    match taken {
        Some(sign_in) => sign_in.finish(&Reach::default(), SIGN_IN_TIME).await,
        None => Err(Error::new(Kind::Auth, "this sign-in has already ended; start it again")),
    }
}

/// Hands the page to the browser; whether one opened is not known (the page is shown with
/// Copy for that), but a desktop that could not even be asked says so, and the step offers
/// the code.
fn open(url: String) -> Task<Message> {
    Task::future(crate::desktop::open_url(url)).then(|opened| match opened {
        Ok(()) => Task::none(),
        Err(e) => Task::done(Message::BrowserFailed(e)),
    })
}

/// The step: waiting for the browser or the code, or the failure with "Try again".
pub(super) fn view(state: &SigningIn) -> Element<'_, Message> {
    let mut content = column![].spacing(16);
    let mut list = vec![
        action("Cancel", id::CANCEL, Message::Cancel),
        action("Change settings", id::CHANGE_SETTINGS, Message::ChangeSettings),
    ];
    let use_code = state.device_code.then(|| {
        container(
            button(text("Use a code instead"))
                .padding([8, 20])
                .style(theme::button::secondary)
                .on_press(Message::UseCode),
        )
        .id(widget::Id::new(id::SIGN_IN_USE_CODE))
        .into()
    });
    match (&state.failure, &state.code) {
        // The code card has its own Cancel (back to the form): the step's buttons would repeat it.
        (None, Some(code)) => {
            content = content.push(text(format!("Signing in with {}…", state.provider)).size(18));
            return match code {
                Some(code) => content.push(code_view(code)).into(),
                None => content
                    .push(text(format!("Asking {} for a code…", state.provider)).size(14))
                    .push(buttons(list))
                    .into(),
            };
        }
        (None, None) => {
            content = content.push(text(format!("Signing in with {}…", state.provider)).size(18)).push(
                text(format!(
                    "Sign in on {}'s page in your browser. When it sends you back, Tidings tests both servers \
                     with the sign-in; nothing is saved before you choose Save.",
                    state.provider
                ))
                .size(14)
                .style(theme::text::muted),
            );
            if let Some(error) = &state.browser_failed {
                content = content.push(
                    text(format!(
                        "No browser could be opened: {} Open the address below yourself{}.",
                        sentence(error.message()),
                        if state.device_code { ", or use a code instead" } else { "" }
                    ))
                    .size(14)
                    .style(theme::text::tone(Tone::Info)),
                );
            }
            if let Some(url) = &state.url {
                content = content.push(address(url));
                list.push(action("Open the page again", id::SIGN_IN_OPEN, Message::OpenSignInPage));
            }
            list.extend(use_code);
        }
        (Some(error), _) => {
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
            list.extend(use_code);
        }
    }
    content.push(buttons(list)).into()
}

/// The device code, its address, and Cancel (back to the form).
fn code_view(code: &Code) -> Element<'_, Message> {
    let ids = device_code::Ids {
        address: id::SIGN_IN_CODE_ADDRESS,
        copy: id::SIGN_IN_COPY,
        open: id::SIGN_IN_OPEN,
        cancel: id::SIGN_IN_CODE_CANCEL,
    };
    let on = device_code::On {
        ignore: |_| Message::AddressTyped,
        copy: Message::CopySignInAddress,
        open: Message::OpenSignInPage,
        cancel: Message::ChangeSettings,
    };
    device_code::view(code, &ids, on)
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
