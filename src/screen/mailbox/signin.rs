//! Signing an OAuth2 account in again from its mailbox, when its server refused the log-in
//! and the provider no longer renews the token (revoked, expired after inactivity): the
//! status line offers "Sign in again"; the provider's page opens in the browser (its address
//! is shown too, with Copy, in case none opened); once the browser comes back, the refresh
//! token goes to the keyring and the account gets its mail. The account's settings and its
//! mail stay as they were.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iced::Task;
use iced::widget::{button, container, row, text};
use iced::{Alignment, Element, widget};

use tidings_mail::account::Account;
use tidings_mail::error::{Error, Kind};
use tidings_mail::oauth2::{self, BrowserSignIn, Provider, Reach};
use tidings_mail::secret::Secrets;

use super::{Action, Mailbox, Message, id};
use crate::theme;
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
}

impl SignIn {
    /// For an account whose servers log in with OAuth2; none for a password account.
    pub fn for_account(account: &Account, secrets: &Secrets) -> Option<SignIn> {
        account.oauth2.as_ref()?;
        Some(SignIn { account: account.clone(), secrets: secrets.clone(), url: None })
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
    Started(Result<(String, Started), Error>),
    CopyAddress,
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
                        Ok((started.url.clone(), Started(Arc::new(Mutex::new(Some(started))))))
                    },
                    |r| Message::SignIn(Msg::Started(r)),
                ))
            }
            Msg::SignIn => Action::None,
            Msg::Started(Ok((url, started))) => {
                sign_in.url = Some(url.clone());
                let (account_id, secrets) = (sign_in.account.id.clone(), sign_in.secrets.clone());
                // The address is shown in any case: a browser that does not open is no failure.
                let open = Task::future(crate::desktop::open_url(url)).discard();
                let finish = Task::perform(
                    async move {
                        let started = started.0.lock().ok().and_then(|mut s| s.take()).ok_or_else(|| {
                            Error::new(Kind::Config, "the sign-in was already used; start it again")
                        })?;
                        let tokens = started.finish(&Reach::default(), SIGN_IN_TIME).await?;
                        oauth2::signed_in(&account_id, &secrets, &tokens).await
                    },
                    |r| Message::SignIn(Msg::Done(r)),
                );
                Action::Run(Task::batch([open, finish]))
            }
            Msg::Started(Err(e)) | Msg::Done(Err(e)) => {
                sign_in.url = None;
                self.tell(e);
                Action::None
            }
            Msg::CopyAddress => match &sign_in.url {
                Some(url) => Action::Run(iced::clipboard::write(url.clone())),
                None => Action::None,
            },
            Msg::Done(Ok(())) => {
                sign_in.url = None;
                self.notice = Some(("Signed in again; getting mail…".into(), false));
                Action::GetMail
            }
        }
    }

    /// The status line's offer: "Sign in again" after a refused log-in, or where the
    /// sign-in stands.
    pub(super) fn sign_in_view(&self, status: &Status) -> Option<Element<'_, Message>> {
        let sign_in = self.sign_in.as_ref()?;
        if let Some(url) = &sign_in.url {
            return Some(
                row![
                    text(format!(
                        "Waiting for the sign-in with {} in your browser: {url}",
                        sign_in.provider_name()
                    ))
                    .size(12),
                    small(id::COPY_SIGN_IN, "Copy address", Message::SignIn(Msg::CopyAddress)),
                ]
                .spacing(8)
                .align_y(Alignment::Center)
                .into(),
            );
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

fn small<'a>(widget_id: &'static str, label: &'a str, message: Message) -> Element<'a, Message> {
    container(button(text(label).size(12)).padding([2, 10]).style(theme::button::primary).on_press(message))
        .id(widget::Id::new(widget_id))
        .into()
}
