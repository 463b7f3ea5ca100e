//! "Move to…" and "Copy to…": a small panel over the mailbox listing the account's folders,
//! with a field that filters them as one types. Enter takes the first folder that matches,
//! a click takes any, Escape or a click beside the panel closes it. What is moved or copied
//! is what the toolbar's actions act on: the chosen messages, else the one being read.

use iced::widget::{
    Column, button, column, container, mouse_area, opaque, row, scrollable, space, stack, text, text_input,
};
use iced::{Element, Length, Task, widget};

use tidings_mail::store::FolderId;

use super::{KeyAction, Mailbox, Message, id};
use crate::theme;

/// The panel's width, and the most its folder list grows to before it scrolls.
const WIDTH: f32 = 340.0;
const LIST_HEIGHT: f32 = 320.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Move,
    Copy,
}

#[derive(Debug, Clone)]
pub enum Msg {
    Open(Kind),
    Filter(String),
    /// Enter in the field: the first folder that matches.
    Submit,
    Pick(FolderId),
    Close,
}

pub struct Picker {
    kind: Kind,
    filter: String,
}

/// A folder the panel offers: its id, server name, the path people read, and its depth.
struct Offer {
    id: FolderId,
    name: String,
    path: String,
    label: String,
    depth: usize,
}

impl Mailbox {
    /// Whether the "Move to…"/"Copy to…" panel is open.
    pub fn picker_open(&self) -> bool {
        self.picker.is_some()
    }

    pub(super) fn picker(&mut self, msg: Msg) -> Task<Message> {
        match msg {
            Msg::Open(kind) => {
                self.more_open = false;
                self.picker = Some(Picker { kind, filter: String::new() });
                return iced::widget::operation::focus(id::PICKER_FILTER);
            }
            Msg::Filter(filter) => {
                if let Some(p) = &mut self.picker {
                    p.filter = filter;
                }
            }
            Msg::Submit => {
                if let Some(first) = self.offers().first().map(|o| o.id) {
                    return self.picker(Msg::Pick(first));
                }
            }
            Msg::Pick(to) => {
                return match self.picker.take().map(|p| p.kind) {
                    Some(Kind::Move) => self.move_to(to),
                    Some(Kind::Copy) => self.copy_to(to),
                    None => Task::none(),
                };
            }
            Msg::Close => self.picker = None,
        }
        Task::none()
    }

    /// Keys while the panel is open: Escape closes it; the list's keys wait.
    pub(super) fn picker_key(&mut self, action: KeyAction) -> Task<Message> {
        if action == KeyAction::Escape {
            self.picker = None;
        }
        Task::none()
    }

    /// Folders messages can go to from the open one, in tree order, that match the filter
    /// (by their path, any case).
    fn offers(&self) -> Vec<Offer> {
        let filter = self.picker.as_ref().map(|p| p.filter.trim().to_lowercase()).unwrap_or_default();
        let mut path: Vec<&str> = Vec::new();
        let mut offers = Vec::new();
        for node in &self.folders {
            path.truncate(node.depth);
            path.push(&node.label);
            let (Some(id), true) = (node.id, node.selectable) else { continue };
            if Some(id) == self.list.folder() {
                continue;
            }
            let joined = path.join(" / ");
            if filter.is_empty() || joined.to_lowercase().contains(&filter) {
                offers.push(Offer {
                    id,
                    name: node.name.clone(),
                    path: joined,
                    label: node.label.clone(),
                    depth: node.depth,
                });
            }
        }
        offers
    }

    /// `base` with the panel over it, when open.
    pub(super) fn with_picker<'a>(&'a self, base: Element<'a, Message>) -> Element<'a, Message> {
        let Some(picker) = &self.picker else { return base };
        let what = match self.several() {
            Some(n) => format!("{} messages", super::format::count(n)),
            None => "the message".to_string(),
        };
        let title = match picker.kind {
            Kind::Move => format!("Move {what} to…"),
            Kind::Copy => format!("Copy {what} to…"),
        };
        let field = text_input("Type to filter the folders", &picker.filter)
            .id(widget::Id::new(id::PICKER_FILTER))
            .on_input(|f| Message::Picker(Msg::Filter(f)))
            .on_submit(Message::Picker(Msg::Submit))
            .padding([5, 8])
            .size(13)
            .style(theme::text_input::field);
        let offers = self.offers();
        let filtering = !picker.filter.trim().is_empty();
        let list: Element<'_, Message> = if offers.is_empty() {
            text("No folder matches.").size(13).style(theme::text::muted).into()
        } else {
            let entries = offers.into_iter().enumerate().map(|(n, offer)| {
                let words = if filtering { offer.path } else { offer.label };
                let indent = if filtering { 0.0 } else { offer.depth as f32 * 14.0 };
                let entry = button(row![space::horizontal().width(indent), text(words).size(13)])
                    .padding([4, 8])
                    .width(Length::Fill)
                    // The first is what Enter takes.
                    .style(theme::mailbox::folder(n == 0))
                    .on_press(Message::Picker(Msg::Pick(offer.id)));
                container(entry).id(widget::Id::from(id::picker_folder(&offer.name))).into()
            });
            scrollable(Column::with_children(entries).spacing(2)).height(Length::Shrink).into()
        };
        let cancel = button(text("Cancel").size(13))
            .padding([5, 12])
            .style(theme::button::secondary)
            .on_press(Message::Picker(Msg::Close));
        let panel = container(
            column![
                text(title).size(15),
                field,
                container(list).max_height(LIST_HEIGHT),
                row![space::horizontal(), cancel]
            ]
            .spacing(10),
        )
        .id(widget::Id::new(id::PICKER))
        .padding(14)
        .width(WIDTH)
        .style(theme::container::card);
        let around = mouse_area(
            container(opaque(panel))
                .width(Length::Fill)
                .height(Length::Fill)
                .center_x(Length::Fill)
                .padding(56),
        )
        .on_press(Message::Picker(Msg::Close));
        stack![base, opaque(around)].into()
    }
}
