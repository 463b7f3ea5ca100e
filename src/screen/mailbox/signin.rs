//! Signing an OAuth2 account in again from its mailbox, when its server refused the log-in
//! and the provider no longer renews the token (revoked, expired after inactivity): the
//! status line offers "Sign in again"; the provider's page opens in the browser (its address
//! is shown too, with Copy, in case none opened); once the browser comes back, the refresh
//! token goes to the keyring and the account gets its mail. When the provider offers it, "Use
//! a code instead" shows a device code to enter on any device — also the way out when no
//! browser could be opened. The account's settings and its mail stay as they were.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iced::Task;
use iced::task::Handle;
use iced::widget::text::Wrapping;
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, widget};

use tidings_mail::account::Account;
use tidings_mail::error::{Error, Kind};
use tidings_mail::oauth2::{self, BrowserSignIn, Provider, Reach};
use tidings_mail::secret::Secrets;

use super::{Action, Mailbox, Message, id};
use crate::theme;
use crate::widget::device_code::{self, Code};
use crate::widget::status::Status;

/// How long the person has to sign in.
const SIGN_IN_TIME: Duration = Duration::from_secs(10 * 60);

/// An OAuth2 account's sign-in, as the mailbox can run it.
#[derive(Clone)]
pub struct SignIn {
    account: Account,
    secrets: Secrets,
    /// The sign-in under way: the address the browser was sent to.
    pub url: Option<String>,
    /// The provider offers the device code: "Use a code instead".
    device_code: bool,
    /// The person chose the code: asking for one (`None`), or showing it.
    code: Option<Option<Code>>,
    /// Why the browser could not be asked to open the page.
    browser_failed: Option<String>,
    /// The wait for the browser or the code; dropping it stops the wait.
    waiting: Option<Handle>,
}

impl SignIn {
    /// For an account whose servers log in with OAuth2; none for a password account.
    pub fn for_account(account: &Account, secrets: &Secrets) -> Option<SignIn> {
        account.oauth2.as_ref()?;
        Some(SignIn {
            account: account.clone(),
            secrets: secrets.clone(),
            url: None,
            device_code: false,
            code: None,
            browser_failed: None,
            waiting: None,
        })
    }

    /// The device code shown, once the provider gave one.
    pub fn code(&self) -> Option<&Code> {
        self.code.as_ref().and_then(Option::as_ref)
    }

    /// Back to the offer: nothing waits any more.
    fn reset(&mut self) {
        self.url = None;
        self.code = None;
        self.browser_failed = None;
        self.waiting = None;
    }

    /// "Microsoft", "Google", or "your identity provider" (a provider file).
    fn provider_name(&self) -> &'static str {
        match self.account.oauth2.as_ref().map(|o| o.provider.to_ascii_lowercase()).as_deref() {
            Some("microsoft") => "Microsoft",
            Some("google") => "Google",
            _ => "your identity provider",
        }
    }
}

/// A started browser sign-in, handed from one task to the next (messages are cloned).
#[derive(Clone)]
pub struct Started(Arc<Mutex<Option<BrowserSignIn>>>);

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Started(..)")
    }
}

#[derive(Debug, Clone)]
pub enum Msg {
    SignIn,
    /// The browser sign-in started: its address, whether the provider offers the device
    /// code, and the sign-in.
    Started(Result<(String, bool, Started), Error>),
    CopyAddress,
    /// Open the code's address in the browser.
    OpenAddress,
    /// The desktop could not be asked to open the page.
    BrowserFailed(Error),
    UseCode,
    CodeStarted(Result<device_code::Started, Error>),
    /// Typed into the code's address, which is there to be selected only: ignored.
    AddressTyped,
    /// Stop waiting for the code.
    Cancel,
    Done(Result<(), Error>),
}

impl Mailbox {
    pub(super) fn sign_in(&mut self, msg: Msg) -> Action {
        let Some(sign_in) = self.sign_in.as_mut() else { return Action::None };
        match msg {
            Msg::SignIn if sign_in.url.is_none() => {
                let account = sign_in.account.clone();
                Action::Run(Task::perform(
                    async move {
                        let provider = Provider::for_account(&account)?;
                        let started = oauth2::flow::start_browser(&provider).await?;
                        let device_code = provider.device_authorization_url.is_some();
                        Ok((started.url.clone(), device_code, Started(Arc::new(Mutex::new(Some(started))))))
                    },
                    |r| Message::SignIn(Msg::Started(r)),
                ))
            }
            Msg::SignIn => Action::None,
            Msg::Started(Ok((url, device_code, started))) => {
                sign_in.url = Some(url.clone());
                sign_in.device_code = device_code;
                let (account_id, secrets) = (sign_in.account.id.clone(), sign_in.secrets.clone());
                let open = open(url);
                let (finish, waiting) = Task::perform(
                    async move {
                        let started = started.0.lock().ok().and_then(|mut s| s.take()).ok_or_else(|| {
                            Error::new(Kind::Config, "the sign-in was already used; start it again")
                        })?;
                        let tokens = started.finish(&Reach::default(), SIGN_IN_TIME).await?;
                        oauth2::signed_in(&account_id, &secrets, &tokens).await
                    },
                    |r| Message::SignIn(Msg::Done(r)),
                )
                .abortable();
                sign_in.waiting = Some(waiting.abort_on_drop());
                Action::Run(Task::batch([open, finish]))
            }
            Msg::Started(Err(e)) | Msg::CodeStarted(Err(e)) | Msg::Done(Err(e)) => {
                sign_in.reset();
                self.tell(e);
                Action::None
            }
            Msg::CopyAddress => match (sign_in.code(), &sign_in.url) {
                (Some(code), _) => Action::Run(iced::clipboard::write(code.address.clone())),
                (None, Some(url)) => Action::Run(iced::clipboard::write(url.clone())),
                (None, None) => Action::None,
            },
            Msg::OpenAddress => match sign_in.code() {
                Some(code) => Action::Run(open(code.to_open().to_string())),
                None => Action::None,
            },
            Msg::BrowserFailed(e) => {
                sign_in.browser_failed = Some(e.message().to_string());
                Action::None
            }
            // The wait for the browser stops (its listener closes) and the provider is asked
            // for a code.
            Msg::UseCode if sign_in.device_code && sign_in.code.is_none() => {
                sign_in.code = Some(None);
                let (start, waiting) =
                    Task::perform(device_code::Started::start(sign_in.account.clone()), |r| {
                        Message::SignIn(Msg::CodeStarted(r))
                    })
                    .abortable();
                sign_in.waiting = Some(waiting.abort_on_drop());
                Action::Run(start)
            }
            Msg::UseCode | Msg::AddressTyped => Action::None,
            Msg::CodeStarted(Ok(started)) => {
                sign_in.code = Some(Some(started.code.clone()));
                let (account_id, secrets) = (sign_in.account.id.clone(), sign_in.secrets.clone());
                let (finish, waiting) = Task::perform(
                    async move {
                        let tokens = started.finish(SIGN_IN_TIME).await?;
                        oauth2::signed_in(&account_id, &secrets, &tokens).await
                    },
                    |r| Message::SignIn(Msg::Done(r)),
                )
                .abortable();
                sign_in.waiting = Some(waiting.abort_on_drop());
                Action::Run(finish)
            }
            Msg::Cancel => {
                sign_in.reset();
                Action::None
            }
            Msg::Done(Ok(())) => {
                sign_in.reset();
                self.notice = Some(("Signed in again; getting mail…".into(), false));
                Action::GetMail
            }
        }
    }

    /// The device code, over the status line while the sign-in waits for it.
    pub(super) fn sign_in_panel(&self) -> Option<Element<'_, Message>> {
        let sign_in = self.sign_in.as_ref()?;
        let Some(code) = sign_in.code.as_ref() else {
            return sign_in.url.as_ref().map(|url| browser_panel(sign_in, url));
        };
        let Some(code) = code else {
            return Some(
                container(text(format!("Asking {} for a code…", sign_in.provider_name())).size(13))
                    .padding([8, 12])
                    .into(),
            );
        };
        let ids = device_code::Ids {
            address: id::SIGN_IN_CODE_ADDRESS,
            copy: id::COPY_SIGN_IN,
            open: id::SIGN_IN_CODE_OPEN,
            cancel: id::SIGN_IN_CODE_CANCEL,
        };
        let on = device_code::On {
            ignore: |_| Message::SignIn(Msg::AddressTyped),
            copy: Message::SignIn(Msg::CopyAddress),
            open: Message::SignIn(Msg::OpenAddress),
            cancel: Message::SignIn(Msg::Cancel),
        };
        Some(container(device_code::view(code, &ids, on)).padding([8, 12]).into())
    }

    /// The status line's offer: "Sign in again" after a refused log-in, or where the
    /// sign-in stands.
    pub(super) fn sign_in_view(&self, status: &Status) -> Option<Element<'_, Message>> {
        let sign_in = self.sign_in.as_ref()?;
        // Under way: the panel over the status line shows where it stands.
        if sign_in.code.is_some() || sign_in.url.is_some() {
            return None;
        }
        status.auth_failed().then(|| {
            small(
                id::SIGN_IN_AGAIN,
                match sign_in.provider_name() {
                    "Microsoft" => "Sign in again with Microsoft",
                    "Google" => "Sign in again with Google",
                    _ => "Sign in again",
                },
                Message::SignIn(Msg::SignIn),
            )
        })
    }
}

/// Waiting for the browser: the address (long: it wraps), Copy, and the code when offered.
fn browser_panel<'a>(sign_in: &'a SignIn, url: &'a str) -> Element<'a, Message> {
    let mut lines = column![].spacing(6);
    if let Some(reason) = &sign_in.browser_failed {
        lines = lines
            .push(text(format!("No browser could be opened ({reason}).")).size(12).style(theme::text::error));
    }
    let mut line = row![
        text(format!("Waiting for the sign-in with {} in your browser: {url}", sign_in.provider_name()))
            .size(12)
            .wrapping(Wrapping::WordOrGlyph)
            .width(Length::Fill),
        small(id::COPY_SIGN_IN, "Copy address", Message::SignIn(Msg::CopyAddress)),
    ]
    .spacing(8)
    .align_y(Alignment::Center);
    if sign_in.device_code {
        line = line.push(small(id::SIGN_IN_USE_CODE, "Use a code instead", Message::SignIn(Msg::UseCode)));
    }
    container(lines.push(line)).padding([8, 12]).width(Length::Fill).into()
}

/// Hands a page to the browser; a desktop that could not even be asked says so, and the
/// status line offers the code.
fn open(url: String) -> Task<Message> {
    Task::future(crate::desktop::open_url(url)).then(|opened| match opened {
        Ok(()) => Task::none(),
        Err(e) => Task::done(Message::SignIn(Msg::BrowserFailed(e))),
    })
}

fn small<'a>(widget_id: &'static str, label: &'a str, message: Message) -> Element<'a, Message> {
    container(button(text(label).size(12)).padding([2, 10]).style(theme::button::primary).on_press(message))
        .id(widget::Id::new(widget_id))
        .into()
}
