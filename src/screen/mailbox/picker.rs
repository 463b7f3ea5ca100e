//! "Move to…" and "Copy to…": a small panel over the mailbox listing the account's folders,
//! with a field that filters them as one types. Enter takes the first folder that matches,
//! a click takes any, Escape or a click beside the panel closes it. What is moved or copied
//! is what the toolbar's actions act on: the chosen messages, else the one being read.
//!
//! In a view across every account the folders offered are those of the messages' account
//! (another account's are read from the store when the panel opens); messages of several
//! accounts are not offered any, and the panel says why.

use iced::widget::{
    Column, button, column, container, mouse_area, opaque, row, scrollable, space, stack, text, text_input,
};
use iced::{Element, Length, Task, widget};

use tidings_mail::error::Error;
use tidings_mail::store::FolderId;

use super::folders::{self, Entry, Node};
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
    /// Another account's folders, for its messages in a view.
    Folders(Result<Vec<Entry>, Error>),
}

pub struct Picker {
    kind: Kind,
    filter: String,
    among: Among,
}

/// Whose folders the panel offers.
enum Among {
    /// This account's.
    Own,
    /// Another account's (its messages in a view), once read.
    Other(Option<Vec<Node>>),
    /// None: why (messages of several accounts chosen).
    Refused(String),
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
                let (among, read) = self.among();
                self.picker = Some(Picker { kind, filter: String::new(), among });
                return Task::batch([iced::widget::operation::focus(id::PICKER_FILTER), read]);
            }
            Msg::Folders(result) => match (result, &mut self.picker) {
                (Ok(entries), Some(p)) => p.among = Among::Other(Some(folders::tree(entries))),
                (Ok(_), None) => {}
                (Err(e), _) => {
                    self.picker = None;
                    return self.failed(e);
                }
            },
            Msg::Filter(filter) => {
                if let Some(p) = &mut self.picker {
                    p.filter = filter;
                }
            }
            Msg::Submit => {
                if let Some(first) = self.offers().first().map(|o| o.id)
                    && !matches!(self.picker.as_ref().map(|p| &p.among), Some(Among::Refused(_)))
                {
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

    /// Whose folders to offer: this account's in a folder; in a view, the account of what is
    /// acted on (the chosen messages, else the one being read), read from the store when it
    /// is another's, and none when they are several accounts'.
    fn among(&self) -> (Among, Task<Message>) {
        if self.list.view_shown().is_none() {
            return (Among::Own, Task::none());
        }
        let folders: Vec<FolderId> = match self.several() {
            Some(_) => match self.list.marks().chosen_folders() {
                Some(folders) => folders,
                None => {
                    return (
                        Among::Refused("The chosen messages are still being read: try again.".into()),
                        Task::none(),
                    );
                }
            },
            None => self.target().map(|t| t.folder).into_iter().collect(),
        };
        let accounts = self.views.accounts_of(folders);
        let own = self.stores.as_ref().map(|s| s.account);
        match accounts.as_slice() {
            [] => (Among::Own, Task::none()),
            [(account, _)] if Some(*account) == own => (Among::Own, Task::none()),
            [(account, _)] => {
                let account = *account;
                let Some(store) = self.stores.as_ref().map(|s| s.read.clone()) else {
                    return (Among::Own, Task::none());
                };
                let read = Task::perform(
                    async move {
                        store
                            .call(move |s| {
                                let list = s.folders(account)?;
                                Ok(list
                                    .into_iter()
                                    .map(|folder| Entry { counts: Default::default(), folder })
                                    .collect())
                            })
                            .await
                    },
                    |result| Message::Picker(Msg::Folders(result)),
                );
                (Among::Other(None), read)
            }
            several => {
                let mut names: Vec<String> = several.iter().map(|(_, key)| self.account_label(key)).collect();
                names.sort();
                (Among::Refused(across_accounts(&names)), Task::none())
            }
        }
    }

    /// Folders messages can go to from the open one, in tree order, that match the filter
    /// (by their path, any case).
    fn offers(&self) -> Vec<Offer> {
        let filter = self.picker.as_ref().map(|p| p.filter.trim().to_lowercase()).unwrap_or_default();
        let nodes = match self.picker.as_ref().map(|p| &p.among) {
            Some(Among::Other(Some(nodes))) => nodes.as_slice(),
            Some(Among::Other(None) | Among::Refused(_)) => &[],
            Some(Among::Own) | None => self.folders.as_slice(),
        };
        // The folder the message is in is no place to move it to.
        let from = self
            .list
            .folder()
            .or_else(|| self.several().is_none().then(|| self.target().map(|t| t.folder)).flatten());
        let mut path: Vec<&str> = Vec::new();
        let mut offers = Vec::new();
        for node in nodes {
            path.truncate(node.depth);
            path.push(&node.label);
            let (Some(id), true) = (node.id, node.selectable) else { continue };
            if Some(id) == from {
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
        let list: Element<'_, Message> = if let Among::Refused(why) = &picker.among {
            text(why.clone()).size(13).style(theme::text::error).into()
        } else if let Among::Other(None) = picker.among {
            text("Reading the account's folders…").size(13).style(theme::text::muted).into()
        } else if offers.is_empty() {
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

/// Why messages of the accounts named are moved or copied nowhere (the panel's, and a drag's).
pub(super) fn across_accounts(names: &[String]) -> String {
    format!(
        "The chosen messages belong to {}: messages move and copy only between one account's folders. Choose one account's messages.",
        and_list(names)
    )
}

/// "Work", "Work and Home", "Work, Home and Club".
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
