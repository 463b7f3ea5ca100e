//! The account's Outbox in the mailbox: an "Outbox" entry in the folder pane while
//! messages wait there (with their number), and, when chosen, the list of them in place of
//! the message list and reader — subject, recipients, state in words, the last error with
//! the server's words, attempts — with "Send again" for a message held as "may already have
//! been sent" or refused by the server, and "Remove". Every store call runs in a task on
//! the store's thread; "Send again" then asks the app for a send/receive pass.

use iced::widget::{Column, button, column, container, row, scrollable, space, text};
use iced::{Alignment, Element, Length, Task, widget};

use tidings_mail::error::Error;
use tidings_mail::outbox::{OutboxItem, OutboxStatus};
use tidings_mail::store::StoreHandle;

use super::{Mailbox, Message};
use crate::theme;

/// Widget ids of the Outbox.
pub mod id {
    pub const ENTRY: &str = "mailbox-outbox";

    pub fn send_again(outbox_id: i64) -> String {
        format!("mailbox-outbox-send-again-{outbox_id}")
    }
    pub fn remove(outbox_id: i64) -> String {
        format!("mailbox-outbox-remove-{outbox_id}")
    }
}

/// What the user did to a message in the Outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    SendAgain(i64),
    Remove(i64),
}

/// Reads the account's Outbox.
pub(super) fn load(store: StoreHandle, account: String) -> Task<Message> {
    Task::perform(
        async move { tidings_mail::outbox::list(&store, Some(&account)).await },
        Message::OutboxLoaded,
    )
}

/// Runs the user's act on the store's thread; the answer says whether a pass should follow.
pub(super) fn act(store: StoreHandle, act: Act) -> Task<Message> {
    Task::perform(
        async move {
            match act {
                Act::SendAgain(id) => tidings_mail::outbox::confirm_resend(&store, id).await.map(|_| act),
                Act::Remove(id) => tidings_mail::outbox::remove(&store, id).await.map(|_| act),
            }
        },
        Message::OutboxActed,
    )
}

impl Mailbox {
    /// The Outbox read again.
    pub(super) fn outbox_loaded(&mut self, result: Result<Vec<OutboxItem>, Error>) -> Task<Message> {
        match result {
            Ok(items) => {
                self.outbox = items;
                if self.outbox.is_empty() {
                    self.showing_outbox = false;
                }
                Task::none()
            }
            Err(e) => self.failed(e),
        }
    }

    /// The messages waiting in the account's Outbox.
    pub fn outbox(&self) -> &[OutboxItem] {
        &self.outbox
    }

    /// Whether the Outbox is shown in place of the list and the reader.
    pub fn showing_outbox(&self) -> bool {
        self.showing_outbox
    }

    pub(super) fn outbox_act(&mut self, what: Act) -> Task<Message> {
        match &self.stores {
            Some(stores) => act(stores.write.clone(), what),
            None => Task::none(),
        }
    }

    /// After an act: a note, the Outbox read again; `true` when a pass should send now.
    pub(super) fn outbox_acted(&mut self, result: Result<Act, Error>) -> (Task<Message>, bool) {
        let pass = match result {
            Ok(Act::SendAgain(_)) => {
                self.notice = Some(("The message will be sent again now.".into(), false));
                true
            }
            Ok(Act::Remove(_)) => {
                self.notice = Some(("The message was removed from the Outbox.".into(), false));
                false
            }
            Err(e) => {
                self.notice = Some((format!("Cannot do that: {}.", super::sentence(&e.to_string())), true));
                false
            }
        };
        (self.refresh(), pass)
    }
}

/// The folder pane's Outbox entry (None while the Outbox is empty).
pub(super) fn entry(items: &[OutboxItem], chosen: bool) -> Option<Element<'_, Message>> {
    if items.is_empty() {
        return None;
    }
    let now = now();
    let attention = items.iter().any(|i| i.needs_decision(now));
    let line = row![
        text("⇪").size(13).width(18).style(theme::text::muted),
        container(text("Outbox").size(14)).width(Length::Fill),
        text(items.len().to_string()).size(12).style(if attention {
            theme::text::error
        } else {
            theme::text::muted
        }),
    ]
    .spacing(4)
    .align_y(Alignment::Center);
    let item = button(line)
        .width(Length::Fill)
        .padding([4, 8])
        .style(theme::mailbox::folder(chosen))
        .on_press(Message::ShowOutbox);
    Some(container(item).padding([0, 6]).id(widget::Id::new(id::ENTRY)).into())
}

/// Unix seconds (whether a send is still running is judged against it).
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A state in words.
fn state_words(status: OutboxStatus) -> &'static str {
    match status {
        OutboxStatus::Waiting => "Waiting to be sent",
        OutboxStatus::Sending => "Being sent now",
        OutboxStatus::MaybeSent => "May already have been sent",
        OutboxStatus::SentNotFiled => "Sent; its copy in Sent is still to be stored",
        OutboxStatus::Refused => "Refused by the server",
    }
}

/// The Outbox, in place of the list and the reader.
pub(super) fn view(items: &[OutboxItem]) -> Element<'_, Message> {
    let now = now();
    let cards = items.iter().map(|item| {
        let status = item.status(now);
        let subject = item.subject.as_deref().filter(|s| !s.is_empty()).unwrap_or("(no subject)");
        let to = format!("To {}", item.recipients.join(", "));
        let attempts = match item.attempts {
            0 => "not tried yet".to_string(),
            1 => "tried once".to_string(),
            n => format!("tried {n} times"),
        };
        let state = text(format!("{} · {attempts}", state_words(status))).size(13).style(
            if item.needs_decision(now) { theme::text::error } else { theme::text::muted },
        );
        let error = item.last_error.as_ref().map(|e| {
            let mut words = column![text(super::sentence(&e.message)).size(13)];
            if let Some(server) = &e.server {
                words = words.push(text(format!("The server said: {server}")).size(12).style(theme::text::muted));
            }
            words.spacing(2)
        });
        let explain = match status {
            OutboxStatus::MaybeSent => Some(
                "The send was cut off before the server confirmed the message: the server may or may not \
                 have it. Send it again only if the recipients did not get it.",
            ),
            OutboxStatus::Refused => {
                Some("Tidings does not try again by itself. Fix what the server objects to, then send it again, or remove it.")
            }
            _ => None,
        };
        let send_again = item.needs_decision(now).then(|| {
            container(
                button(text("Send again").size(13))
                    .padding([5, 14])
                    .style(theme::button::primary)
                    .on_press(Message::Outbox(Act::SendAgain(item.id))),
            )
            .id(widget::Id::from(id::send_again(item.id)))
        });
        let remove = (status != OutboxStatus::Sending).then(|| {
            container(
                button(text("Remove").size(13))
                    .padding([5, 14])
                    .style(theme::button::secondary)
                    .on_press(Message::Outbox(Act::Remove(item.id))),
            )
            .id(widget::Id::from(id::remove(item.id)))
        });
        let buttons = row![space::horizontal()].push(send_again).push(remove).spacing(8);
        let body = column![text(subject).size(15), text(to).size(13), state]
            .push(error)
            .push(explain.map(|t| text(t).size(12).style(theme::text::muted)))
            .push(buttons)
            .spacing(4);
        container(body).padding(12).width(Length::Fill).style(theme::container::card).into()
    });
    let list = Column::with_children(cards).spacing(10).padding(12);
    let heading = text(match items.len() {
        1 => "Outbox: 1 message".to_string(),
        n => format!("Outbox: {n} messages"),
    })
    .size(18);
    container(column![container(heading).padding([12, 12]), scrollable(list).height(Length::Fill)])
        .width(Length::Fill)
        .height(Length::Fill)
        .style(theme::mailbox::surface)
        .into()
}
