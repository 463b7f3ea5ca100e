//! "Open conversation": the reader shows every stored message of a thread one after another,
//! oldest first, from every folder of the account (one's own reply in Sent among the answers
//! in the Inbox). Each has its header line (sender, folder, date); the newest is open, the
//! older ones are collapsed to that line and open with a click.
//!
//! The messages come from `Store::thread_messages`. An open message's body loads as the
//! reader loads one (`Reader::loader`): from the store when it was kept, else from the server
//! (which keeps it); each load is dropped, and so aborted, when the conversation closes.

use std::sync::Arc;

use iced::font::Weight;
use iced::task::Handle;
use iced::widget::{Column, button, column, container, row, scrollable, space, text};
use iced::{Alignment, Element, Font, Length, Task, Theme, widget};

use tidings_mail::error::Error;
use tidings_mail::store::{FolderId, MessageRow, ThreadMessage};

use super::message::DisplayMessage;
use super::threads::ids;
use super::{Loaded, Mailbox, Message, Opened, format, reader, sentence};
use crate::theme;

#[derive(Debug, Clone)]
pub enum Msg {
    /// The conversation of this message (its folder and UID).
    Open(FolderId, u32),
    /// Its messages, for conversation number `n`.
    Thread(u64, Result<Vec<ThreadMessage>, Error>),
    /// Open or collapse the `n`th message.
    Toggle(usize),
    /// The body of message `.1` of conversation `.0`.
    Body(u64, usize, Result<Loaded, Error>),
    /// Back to the message in the reader.
    Close,
}

enum State {
    Loading,
    HeaderOnly,
    Shown(Arc<DisplayMessage>),
    Failed(Error),
}

struct Item {
    folder: FolderId,
    row: MessageRow,
    open: bool,
    state: Option<State>,
    /// The body's load; dropping it aborts it.
    load: Option<Handle>,
}

#[derive(Default)]
pub struct Conversation {
    /// Bumped with each conversation opened or closed: older answers are dropped.
    generation: u64,
    /// Shown in the reader (also while its messages are read)…
    shown: bool,
    /// …while the reader holds the message it held then (opening another one, from the list
    /// or a search, leaves the conversation).
    under: Option<(FolderId, u32)>,
    items: Vec<Item>,
}

impl Conversation {
    pub fn is_shown(&self) -> bool {
        self.shown
    }

    /// The messages, oldest first: their folder, row, and whether each is open.
    pub fn messages(&self) -> impl Iterator<Item = (FolderId, &MessageRow, bool)> {
        self.items.iter().map(|i| (i.folder, &i.row, i.open))
    }

    /// The `n`th message as shown, once its body is here.
    pub fn shown_message(&self, n: usize) -> Option<&DisplayMessage> {
        match &self.items.get(n)?.state {
            Some(State::Shown(message)) => Some(message),
            _ => None,
        }
    }

    pub(super) fn close(&mut self) {
        *self = Conversation { generation: self.generation + 1, ..Conversation::default() };
    }
}

impl Mailbox {
    pub(super) fn conversation_msg(&mut self, msg: Msg) -> Task<Message> {
        match msg {
            Msg::Open(folder, uid) => {
                let Some(store) = self.stores.as_ref().map(|s| s.read.clone()) else { return Task::none() };
                self.conversation.close();
                self.conversation.shown = true;
                self.conversation.under = self.reader.opened().map(|o| (o.folder, o.row.uid));
                let n = self.conversation.generation;
                Task::perform(
                    async move {
                        store
                            .call(move |s| match s.thread_of(folder, uid)? {
                                Some(thread) => s.thread_messages(thread),
                                None => Ok(Vec::new()),
                            })
                            .await
                    },
                    move |result| Message::Conversation(Msg::Thread(n, result)),
                )
            }
            Msg::Thread(n, _) if n != self.conversation.generation => Task::none(),
            Msg::Thread(_, Err(e)) => {
                self.conversation.close();
                self.failed(e)
            }
            Msg::Thread(_, Ok(messages)) if messages.is_empty() => {
                self.conversation.close();
                self.notice = Some(("That message is no longer here.".into(), true));
                Task::none()
            }
            Msg::Thread(_, Ok(messages)) => {
                let last = messages.len() - 1;
                self.conversation.items = messages
                    .into_iter()
                    .map(|m| Item { folder: m.folder, row: m.row, open: false, state: None, load: None })
                    .collect();
                self.open_item(last)
            }
            Msg::Toggle(n) => match self.conversation.items.get_mut(n) {
                Some(item) if item.open => {
                    item.open = false;
                    Task::none()
                }
                Some(_) => self.open_item(n),
                None => Task::none(),
            },
            Msg::Body(g, n, result) => {
                if let Some(item) =
                    self.conversation.items.get_mut(n).filter(|_| g == self.conversation.generation)
                {
                    item.load = None;
                    item.state = Some(match result {
                        Ok(Some(message)) => State::Shown(message),
                        Ok(None) => State::HeaderOnly,
                        Err(e) => State::Failed(e),
                    });
                }
                Task::none()
            }
            Msg::Close => {
                self.conversation.close();
                Task::none()
            }
        }
    }

    /// Whether the conversation is in the reader's place.
    pub(super) fn conversation_shown(&self) -> bool {
        self.conversation.shown
            && self.reader.opened().map(|o| (o.folder, o.row.uid)) == self.conversation.under
    }

    /// Opens message `n`: its body loads (once), and an unread one is marked read.
    fn open_item(&mut self, n: usize) -> Task<Message> {
        let Some(stores) = &self.stores else { return Task::none() };
        let store = stores.read.clone();
        let g = self.conversation.generation;
        let Some(item) = self.conversation.items.get_mut(n) else { return Task::none() };
        item.open = true;
        let (folder, uid, unread) = (item.folder, item.row.uid, item.row.unread);
        // Another account's conversation (opened from a search hit) is read from the store
        // only, and its messages are not this account's to mark.
        let own = self.folders.iter().find(|f| f.id == Some(folder)).map(|f| f.name.clone());
        let load = if item.state.is_none() {
            let remote = own.as_ref().and(self.remote.clone());
            let opened =
                Opened { folder, folder_name: own.clone().unwrap_or_default(), row: item.row.clone() };
            let job = self.reader.loader(opened, &store, remote, self.prefer, self.local);
            let (task, handle) =
                Task::perform(job, move |result| Message::Conversation(Msg::Body(g, n, result))).abortable();
            item.state = Some(State::Loading);
            item.load = Some(handle.abort_on_drop());
            task
        } else {
            Task::none()
        };
        item.row.unread = false;
        let mark = if unread && own.is_some() { self.set_read(folder, uid, true) } else { Task::none() };
        Task::batch([load, mark])
    }

    /// The conversation, in the reader's place.
    pub(super) fn conversation_view<'a>(&'a self, theme: &Theme) -> Element<'a, Message> {
        let c = &self.conversation;
        let bold = Font { weight: Weight::Bold, ..Font::DEFAULT };
        let subject = c.items.first().map_or("", |i| format::subject(&i.row.summary));
        let count = match c.items.len() {
            0 => "Reading the conversation…".to_string(),
            1 => "1 message".to_string(),
            n => format!("{n} messages"),
        };
        let close = container(
            button(text("Close conversation").size(12))
                .padding([2, 10])
                .style(theme::button::secondary)
                .on_press(Message::Conversation(Msg::Close)),
        )
        .id(widget::Id::new(ids::CLOSE_CONVERSATION));
        let head = row![
            column![text(subject).size(18).font(bold), text(count).size(13).style(theme::text::muted)]
                .spacing(2)
                .width(Length::Fill),
            close,
        ]
        .align_y(Alignment::Center);
        let items = c.items.iter().enumerate().map(|(n, item)| self.item_view(n, item, theme));
        column![
            container(head).padding([12, 16]).width(Length::Fill),
            scrollable(Column::with_children(items).spacing(8).padding([8, 16]))
                .id(widget::Id::new(ids::CONVERSATION))
                .height(Length::Fill),
        ]
        .into()
    }

    fn item_view<'a>(&'a self, n: usize, item: &'a Item, theme: &Theme) -> Element<'a, Message> {
        let m = &item.row;
        let strong = Font { weight: Weight::Bold, ..Font::DEFAULT };
        let folder = self.folders.iter().find(|f| f.id == Some(item.folder)).map_or("", |f| f.label.as_str());
        let line = row![
            text(if item.open { "▼" } else { "▶" }).size(11).style(theme::text::muted),
            text(format::sender(&m.summary)).size(13).font(if m.unread { strong } else { Font::DEFAULT }),
            text(folder).size(12).style(theme::text::muted),
            space::horizontal(),
            text(format::row_date(m)).size(12).style(theme::text::muted),
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        let header = container(
            button(line)
                .padding([6, 8])
                .width(Length::Fill)
                .style(theme::mailbox::row(false))
                .on_press(Message::Conversation(Msg::Toggle(n))),
        )
        .id(widget::Id::from(ids::conversation_item(n)));
        let mut card = column![header].spacing(6);
        if item.open {
            let body: Element<'a, Message> = match &item.state {
                Some(State::Shown(message)) => reader::contents(message, true, None, theme),
                Some(State::HeaderOnly) => text("Only the header of this message was downloaded.")
                    .size(13)
                    .style(theme::text::muted)
                    .into(),
                Some(State::Failed(e)) => {
                    text(format!("Cannot show this message: {}. {}", sentence(&e.to_string()), e.advice()))
                        .size(13)
                        .style(theme::text::error)
                        .into()
                }
                Some(State::Loading) | None => {
                    text("Loading the message…").size(13).style(theme::text::muted).into()
                }
            };
            let to = m.summary.to.as_deref().filter(|t| !t.is_empty());
            let mut details = column![text(format::from_line(&m.summary)).size(12).style(theme::text::muted)];
            if let Some(to) = to {
                details = details.push(text(format!("To {to}")).size(12).style(theme::text::muted));
            }
            card = card.push(container(column![details, body].spacing(8)).padding([0, 12]));
        }
        container(card).padding([4, 4]).width(Length::Fill).style(theme::container::card).into()
    }
}

/// "Open conversation", in the reader's header.
pub(super) fn open_button(folder: FolderId, uid: u32) -> Element<'static, Message> {
    container(
        button(text("Open conversation").size(12))
            .padding([2, 10])
            .style(theme::button::secondary)
            .on_press(Message::Conversation(Msg::Open(folder, uid))),
    )
    .id(widget::Id::new(ids::OPEN_CONVERSATION))
    .into()
}
