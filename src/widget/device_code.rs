//! The device-code sign-in (RFC 8628) as the wizard and the mailbox show it: the address to
//! open on any device (selectable, with Copy and Open in browser), the code to enter there in
//! large type, and Cancel, which stops waiting. For when the browser cannot reach Tidings'
//! loopback address, or did not open at all.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iced::widget::{button, column, container, row, text, text_input};
use iced::{Alignment, Element, Font, Length, widget};

use tidings_mail::account::Account;
use tidings_mail::error::{Error, Kind};
use tidings_mail::oauth2::{DeviceSignIn, Provider, Reach, Tokens, flow};

use crate::theme;

/// A device-code sign-in that has started: what to show, and the sign-in itself for the task
/// that waits for the person (messages are Clone, a sign-in is not: that task takes it out).
#[derive(Clone)]
pub struct Started {
    pub code: Code,
    sign_in: Arc<Mutex<Option<DeviceSignIn>>>,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started").field("code", &self.code).finish_non_exhaustive()
    }
}

impl Started {
    /// Reads the account's provider (a provider file, off the UI thread) and asks it for a code.
    pub async fn start(account: Account) -> Result<Started, Error> {
        let provider =
            tokio::task::spawn_blocking(move || Provider::for_account(&account)).await.map_err(|e| {
                Error::new(Kind::Config, format!("cannot read the OAuth2 provider (the task stopped: {e})"))
            })??;
        let sign_in = flow::start_device(&provider, &Reach::default()).await?;
        let code = Code::new(&provider.name, &sign_in);
        Ok(Started { code, sign_in: Arc::new(Mutex::new(Some(sign_in))) })
    }

    /// A code to show with no sign-in behind it (a fixed screen for snapshots); waiting for
    /// it ends at once.
    pub fn for_display(code: Code) -> Started {
        Started { code, sign_in: Arc::new(Mutex::new(None)) }
    }

    /// Waits (at most `wait`, or until the code expires) for the person to sign in.
    pub async fn finish(self, wait: Duration) -> Result<Tokens, Error> {
        let taken = self.sign_in.lock().ok().and_then(|mut held| held.take());
        match taken {
            Some(sign_in) => sign_in.finish(&Reach::default(), wait).await,
            None => Err(Error::new(Kind::Auth, "this sign-in has already ended; start it again")),
        }
    }
}

/// What the person needs from a started device-code sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The provider's name ("Microsoft", "Test identity provider").
    pub provider: String,
    /// Where to enter the code.
    pub address: String,
    /// The address with the code already in it, when the provider gives one: what "Open in
    /// browser" opens.
    pub complete: Option<String>,
    pub user_code: String,
}

impl Code {
    pub fn new(provider: &str, sign_in: &DeviceSignIn) -> Code {
        Code {
            provider: provider.to_string(),
            address: sign_in.verification_uri.clone(),
            complete: sign_in.verification_uri_complete.clone(),
            user_code: sign_in.user_code.clone(),
        }
    }

    /// The address the browser opens.
    pub fn to_open(&self) -> &str {
        self.complete.as_deref().unwrap_or(&self.address)
    }
}

/// The widget ids of a code view's controls.
pub struct Ids {
    pub address: &'static str,
    pub copy: &'static str,
    pub open: &'static str,
    pub cancel: &'static str,
}

/// What the code view's controls send.
pub struct On<M> {
    /// Anything typed into the address (which is only there to be selected): ignored.
    pub ignore: fn(String) -> M,
    pub copy: M,
    pub open: M,
    pub cancel: M,
}

/// The card: the address, the code, and where the sign-in stands.
pub fn view<'a, M: Clone + 'a>(code: &'a Code, ids: &Ids, on: On<M>) -> Element<'a, M> {
    let small = |label: &'a str, id: &'static str, message: M, primary: bool| -> Element<'a, M> {
        let style = if primary { theme::button::primary } else { theme::button::secondary };
        container(button(text(label).size(13)).padding([4, 12]).style(style).on_press(message))
            .id(widget::Id::new(id))
            .into()
    };
    let address = text_input("", &code.address)
        .id(widget::Id::new(ids.address))
        .on_input(on.ignore)
        .font(Font::MONOSPACE)
        .size(14)
        .width(Length::Fill);
    container(
        column![
            text(format!("Sign in to {} with a code", code.provider)).size(18),
            text("On this or any other device, open this address in a browser:").size(14),
            row![
                address,
                small("Copy", ids.copy, on.copy, false),
                small("Open in browser", ids.open, on.open, true)
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            text("and enter this code:").size(14),
            text(&code.user_code).size(36).font(Font::MONOSPACE),
            row![
                text(format!("Waiting for the sign-in with {}…", code.provider))
                    .size(13)
                    .style(theme::text::muted)
                    .width(Length::Fill),
                small("Cancel", ids.cancel, on.cancel, false),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
        ]
        .spacing(10),
    )
    .padding(16)
    .width(Length::Fill)
    .style(theme::container::card)
    .into()
}
