//! The first screen, shown while no account is configured.

use iced::widget::{button, center, column, container, row, text};
use iced::{Alignment, Element, widget};

use crate::theme;

/// Widget id of the "Add an account" button.
pub const ADD_ACCOUNT: &str = "welcome-add-account";
/// Widget id of the "Inspect a server" button.
pub const INSPECT: &str = "welcome-inspect";

#[derive(Debug, Clone)]
pub enum Message {
    AddAccount,
    Inspect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    OpenWizard,
    OpenInspector,
}

#[derive(Debug, Clone, Default)]
pub struct Welcome;

impl Welcome {
    pub fn new() -> Self {
        Welcome
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::AddAccount => Action::OpenWizard,
            Message::Inspect => Action::OpenInspector,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let add = button(text("Add an account").size(16))
            .padding([10, 24])
            .style(theme::button::primary)
            .on_press(Message::AddAccount);
        let inspect = button(text("Inspect a server").size(16))
            .padding([10, 24])
            .style(theme::button::secondary)
            .on_press(Message::Inspect);

        let content = column![
            text("Welcome to Tidings").size(32),
            text("A desktop mail client that shows you what your mail server is doing.")
                .size(16)
                .style(theme::text::muted),
            row![
                container(add).id(widget::Id::new(ADD_ACCOUNT)),
                container(inspect).id(widget::Id::new(INSPECT)),
            ]
            .spacing(12)
            .padding([16, 0]),
            text(
                "You will need your email address, your password and the server settings \
                 from your mail provider."
            )
            .size(13)
            .style(theme::text::muted),
        ]
        .spacing(8)
        .align_x(Alignment::Center);

        center(content).padding(24).into()
    }
}
