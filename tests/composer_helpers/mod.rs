//! Helpers shared by the composer's flows (iced_test): an account on given servers, the
//! window they run in, clicking, typing and pressing keys as a person would, and what is shown.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use iced::keyboard::{Key, Modifiers};
use iced_test::Simulator;
use iced_test::selector::id;

use tidings::app::{App, Message, Screen};
use tidings::screen::composer::Composer;
use tidings::screen::{accounts, mailbox};
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};

use crate::common::{self, settle};

pub fn account(name: &str, email: &str, host: &str, imap: u16, smtp: u16, ca: Option<&Path>) -> Account {
    let server = |port, security| Server {
        host: host.into(),
        port,
        security,
        user: name.to_ascii_lowercase(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: ca.map(Path::to_path_buf), ..Trust::default() },
    };
    Account::new(
        String::new(),
        name.into(),
        email.into(),
        Incoming::Imap,
        server(imap, Security::Implicit),
        server(smtp, Security::StartTls),
    )
}

pub fn window(app: &App) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), (1100.0, 760.0), app.view())
}

pub fn click(app: &mut App, widget: &str) {
    let mut ui = window(app);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// Clicks a field and types into it, as a person would.
pub fn type_into(app: &mut App, widget: &str, text: &str) {
    let mut ui = window(app);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    let _ = ui.typewrite(text);
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// A key as the mailbox's key map reads it.
pub fn press(app: &mut App, key: &str, modifiers: Modifiers) {
    let action = mailbox::keys::action(&Key::Character(key.into()), modifiers)
        .unwrap_or_else(|| panic!("{key} is not bound"));
    settle(app, vec![Message::Mailbox(mailbox::Message::Key(action))]);
}

pub fn texts(app: &App) -> Vec<String> {
    common::texts(window(app))
}

pub fn composer(app: &App) -> &Composer {
    app.composer().expect("the composer is open")
}

pub fn open_mailbox(app: &mut App, account: &str) {
    click(app, &accounts::open_mailbox_id(account));
    assert!(matches!(app.screen(), Screen::Mailbox(_)));
}
