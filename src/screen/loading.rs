//! While the configuration is read, and when it cannot be.

use iced::widget::{button, center, column, container, text};
use iced::{Alignment, Element, widget};

use tidings_mail::error::Error;

use crate::theme;

/// Widget id of the "Try again" button.
pub const RETRY: &str = "loading-retry";

/// The configuration is being read.
pub fn view<'a, Message: 'a>() -> Element<'a, Message> {
    center(text("Reading your settings…").size(16).style(theme::text::muted)).into()
}

#[derive(Debug, Clone)]
pub enum Message {
    Retry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Retry,
}

/// The configuration could not be read. Nothing is overwritten: the user fixes the file
/// (or runs a newer Tidings) and tries again.
#[derive(Debug, Clone)]
pub struct Failed {
    error: Error,
}

impl Failed {
    pub fn new(error: Error) -> Self {
        Failed { error }
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Retry => Action::Retry,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let retry =
            button(text("Try again")).padding([8, 20]).style(theme::button::primary).on_press(Message::Retry);
        let card = container(
            column![
                text("Tidings cannot read its settings").size(20),
                text(self.error.to_string()).size(14),
                text(self.error.advice()).size(14).style(theme::text::muted),
                container(retry).id(widget::Id::new(RETRY)),
            ]
            .spacing(12)
            .align_x(Alignment::Start),
        )
        .padding(24)
        .max_width(640)
        .style(theme::container::error);
        center(card).padding(24).into()
    }
}
