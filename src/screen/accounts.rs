//! The accounts overview: what is configured with each account's send/receive status, a
//! way to add more, "Get all mail", the way into each account's mailbox, and the switch for
//! new-mail notifications of all accounts (written by the app off the UI thread with
//! [`write_config`]).

use iced::widget::{Column, button, column, container, row, scrollable, space, text};
use iced::{Element, Length, widget};

use tidings_mail::account::{Account, AuthMethod, Protocol, Server};
use tidings_mail::config::Config;
use tidings_mail::error::{Error, Kind};
use tidings_mail::profile::Profile;

use crate::passes::Passes;
use crate::theme;
use crate::widget::form::check;

/// Widget id of the "Add account" button.
pub const ADD_ACCOUNT: &str = "accounts-add-account";
/// Widget id of the "Get all mail" button.
pub const GET_ALL_MAIL: &str = "accounts-get-all-mail";
/// Widget id of "Use Tidings for email links".
pub const MAIL_APP: &str = "accounts-mail-app";
/// Widget id of the "Inspect a server" button.
pub const INSPECT: &str = "accounts-inspect";

/// Widget id of the "Show a notification when new mail arrives" switch.
pub const NOTIFICATIONS: &str = "accounts-notifications";

/// Widget id of an account's "Inspect" button.
pub fn inspect_account_id(account_id: &str) -> String {
    format!("accounts-inspect-{account_id}")
}

/// Widget id of an account's "Open mailbox" button.
pub fn open_mailbox_id(account_id: &str) -> String {
    format!("accounts-open-mailbox-{account_id}")
}

/// "Sign in again" of an OAuth2 account whose server refused the log-in.
pub fn sign_in_again_id(account_id: &str) -> String {
    format!("accounts-sign-in-again-{account_id}")
}

/// Widget id of an account's "Settings" button.
pub fn settings_id(account_id: &str) -> String {
    format!("accounts-settings-{account_id}")
}

#[derive(Debug, Clone)]
pub enum Message {
    AddAccount,
    Inspect,
    /// Inspect this account's incoming server (by account id).
    InspectAccount(String),
    /// Open this account's settings (by account id).
    OpenSettings(String),
    /// Open this account's mailbox (by account id).
    OpenMailbox(String),
    /// Sign this OAuth2 account in again (its server refused the last log-in).
    SignInAgain(String),
    /// Send and receive now, for every account.
    GetAllMail,
    /// Desktop notifications of new mail on or off, for all accounts.
    Notifications(bool),
    /// "Use Tidings for email links" (the desktop's `mailto:` handler).
    MakeMailApp,
    Help,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    OpenWizard,
    OpenInspector,
    InspectAccount(String),
    OpenSettings(String),
    OpenMailbox(String),
    SignInAgain(String),
    GetAllMail,
    /// Write the notifications switch to the config; the notifier follows it at once.
    SetNotifications(bool),
    MakeMailApp,
    /// The keyboard shortcuts and the About box.
    Help,
}

#[derive(Debug, Clone, Default)]
pub struct Accounts {
    /// A one-time note, e.g. about the account just added.
    notice: Option<String>,
    /// The notifications switch is being written (it waits, so writes never cross).
    writing: bool,
}

impl Accounts {
    pub fn new() -> Self {
        Accounts { notice: None, writing: false }
    }

    pub fn with_notice(notice: impl Into<String>) -> Self {
        Accounts { notice: Some(notice.into()), writing: false }
    }

    /// The notifications switch was written, or writing it failed (the switch is back as it
    /// was, the notice says why).
    pub fn written(&mut self, result: Result<(), &Error>) {
        self.writing = false;
        if let Err(error) = result {
            self.notice =
                Some(format!("The notifications setting was not saved: {error}. {}", error.advice()));
        }
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::AddAccount => Action::OpenWizard,
            Message::Inspect => Action::OpenInspector,
            Message::InspectAccount(id) => Action::InspectAccount(id),
            Message::OpenSettings(id) => Action::OpenSettings(id),
            Message::OpenMailbox(id) => Action::OpenMailbox(id),
            Message::SignInAgain(id) => Action::SignInAgain(id),
            Message::GetAllMail => Action::GetAllMail,
            Message::MakeMailApp => Action::MakeMailApp,
            Message::Help => Action::Help,
            Message::Notifications(_) if self.writing => Action::None,
            Message::Notifications(on) => {
                self.writing = true;
                Action::SetNotifications(on)
            }
        }
    }

    /// The overview; `passes` gives each account's status.
    pub fn view<'a>(&'a self, config: &'a Config, passes: &'a Passes) -> Element<'a, Message> {
        let add = button(text("Add account"))
            .padding([8, 20])
            .style(theme::button::primary)
            .on_press(Message::AddAccount);
        let inspect = button(text("Inspect a server"))
            .padding([8, 20])
            .style(theme::button::secondary)
            .on_press(Message::Inspect);
        let get_all = button(text("Get all mail"))
            .padding([8, 20])
            .style(theme::button::secondary)
            .on_press_maybe((!config.accounts.is_empty()).then_some(Message::GetAllMail));
        let header = row![
            text("Accounts").size(26),
            space::horizontal(),
            container(get_all).id(widget::Id::new(GET_ALL_MAIL)),
            container(inspect).id(widget::Id::new(INSPECT)),
            container(add).id(widget::Id::new(ADD_ACCOUNT)),
        ]
        .spacing(12)
        .align_y(iced::Alignment::Center);

        let notice = self.notice.as_deref().map(|notice| {
            container(text(notice).size(14)).padding(12).width(Length::Fill).style(theme::container::card)
        });

        let cards = Column::with_children(config.accounts.iter().map(|a| card(a, passes))).spacing(12);
        let notifications = check(
            NOTIFICATIONS,
            "Show a notification when new mail arrives",
            config.notifications,
            (!self.writing).then_some(Message::Notifications),
        );

        let desktop = row![
            container(
                button(text("Use Tidings for email links").size(13))
                    .style(theme::button::secondary)
                    .on_press(Message::MakeMailApp),
            )
            .id(widget::Id::new(MAIL_APP)),
            button(text("Shortcuts and about (F1)").size(13))
                .style(theme::button::secondary)
                .on_press(Message::Help),
        ]
        .spacing(12);

        let content = column![header]
            .push(notice)
            .push(cards)
            .push(notifications)
            .push(desktop)
            .push(
                text(
                    "\"Open mailbox\" reads an account's mail; \"tidings account test NAME\" \
                     checks an account from a terminal.",
                )
                .size(13)
                .style(theme::text::muted),
            )
            .spacing(16)
            .padding(24)
            .max_width(760);

        scrollable(container(content).center_x(Length::Fill)).into()
    }
}

/// Writes the configuration as it is now (after a change of the notifications switch) on
/// tokio's blocking pool.
pub async fn write_config(profile: Profile, config: Config) -> Result<(), Error> {
    tokio::task::spawn_blocking(move || config.save(&profile)).await.unwrap_or_else(|join| {
        Err(Error::new(Kind::Storage, format!("cannot write the configuration: the task stopped ({join})")))
    })
}

fn card<'a>(account: &'a Account, passes: &'a Passes) -> Element<'a, Message> {
    let open = button(text("Open mailbox").size(13))
        .padding([4, 12])
        .style(theme::button::primary)
        .on_press(Message::OpenMailbox(account.id.clone()));
    let inspect = button(text("Inspect").size(13))
        .padding([4, 12])
        .style(theme::button::secondary)
        .on_press(Message::InspectAccount(account.id.clone()));
    let settings = button(text("Settings").size(13))
        .padding([4, 12])
        .style(theme::button::secondary)
        .on_press(Message::OpenSettings(account.id.clone()));
    container(
        column![
            row![
                text(&account.name).size(18),
                space::horizontal(),
                container(open).id(widget::Id::from(open_mailbox_id(&account.id))),
                container(inspect).id(widget::Id::from(inspect_account_id(&account.id))),
                container(settings).id(widget::Id::from(settings_id(&account.id))),
            ]
            .spacing(8)
            .align_y(iced::Alignment::Center),
            text(&account.email).size(14).style(theme::text::muted),
            server_line("Incoming", account.incoming_protocol.into(), &account.incoming),
            server_line("Outgoing", Protocol::Smtp, &account.outgoing),
            passes.status(&account.id).view(),
        ]
        .push(sign_in_again(account, passes))
        .push(
            text(format!("Check it from a terminal: tidings account test {}", account.id))
                .size(13)
                .style(theme::text::muted),
        )
        .spacing(6),
    )
    .padding(16)
    .width(Length::Fill)
    .style(theme::container::card)
    .into()
}

/// An OAuth2 account whose server refused the last log-in: "Sign in again" (its mailbox opens
/// and the provider's page with it).
fn sign_in_again<'a>(account: &Account, passes: &Passes) -> Option<Element<'a, Message>> {
    let oauth2 = account.incoming.auth == AuthMethod::OAuth2 || account.outgoing.auth == AuthMethod::OAuth2;
    (oauth2 && passes.status(&account.id).auth_failed()).then(|| {
        container(
            button(text("Sign in again").size(13))
                .padding([4, 12])
                .style(theme::button::primary)
                .on_press(Message::SignInAgain(account.id.clone())),
        )
        .id(widget::Id::from(sign_in_again_id(&account.id)))
        .into()
    })
}

/// "Incoming   IMAP  imap.example.com:993  SSL/TLS"
fn server_line(label: &'static str, protocol: Protocol, server: &Server) -> Element<'static, Message> {
    row![
        text(label).size(14).width(90).style(theme::text::muted),
        text(protocol_label(protocol)).size(14).width(56),
        text(format!("{}:{}", server.host, server.port)).size(14).width(220),
        text(server.security.label()).size(14).style(theme::text::muted),
    ]
    .spacing(12)
    .into()
}

fn protocol_label(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Imap => "IMAP",
        Protocol::Pop3 => "POP3",
        Protocol::Smtp => "SMTP",
    }
}
