//! Choosing several messages in a flow: modifiers held as the mailbox's key subscription
//! reports them, clicks on rows with them, and what the list then draws as chosen.

use iced::keyboard::{self, Modifiers};
use iced::{Event, event, window};

use tidings::app::{App, Message};
use tidings::screen::mailbox::{self, keys};

use super::fixture::{click, mailbox};
use crate::common::settle;

/// Holds (or with `Modifiers::empty()`, lets go of) modifiers: the event goes through the
/// key subscription's own mapping.
pub fn hold(app: &mut App, held: Modifiers) {
    let event = Event::Keyboard(keyboard::Event::ModifiersChanged(held));
    let message = keys::on_event(event, event::Status::Ignored, window::Id::unique())
        .expect("the key subscription reports the modifiers");
    settle(app, vec![Message::Mailbox(message)]);
}

/// Clicks the row of `uid` with `held` held, then lets go.
pub fn click_with(app: &mut App, uid: u32, held: Modifiers) {
    hold(app, held);
    click(app, &mailbox::id::row(uid));
    hold(app, Modifiers::empty());
}

/// The chosen messages among the rows held, in list order.
pub fn chosen(app: &App) -> Vec<u32> {
    mailbox(app).list().chosen_rows().map(|r| r.uid).collect()
}
