//! Help over any screen: the keyboard shortcuts (F1, or `?` when no text field has the
//! focus) and the About box (version, licence, where configuration, data and logs are kept).
//! The mailbox's shortcuts are read from its key map ([`keys::action`]): every key a person
//! might press is asked what it does there, so the sheet cannot drift from the map.

use iced::keyboard::{Key, Modifiers, key::Named};
use iced::widget::{Column, button, column, container, row, scrollable, space, text};
use iced::{Element, Length, widget};

use tidings_mail::profile::Profile;

use crate::screen::composer::Kind as ComposeKind;
use crate::screen::mailbox::keys::{self, KeyAction};
use crate::theme;

/// Widget ids.
pub mod id {
    pub const CLOSE: &str = "help-close";
    pub const SHORTCUTS: &str = "help-shortcuts";
    pub const ABOUT: &str = "help-about";
}

/// Which page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Shortcuts,
    About,
}

#[derive(Debug, Clone)]
pub enum Message {
    Show(Page),
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    Close,
}

/// Where Tidings keeps things, for the About box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config: String,
    pub data: String,
    /// Each account's connection log (when turned on), beside its data.
    pub logs: String,
}

impl Paths {
    pub fn of(profile: &Profile) -> Paths {
        let logs = profile.transcript_log("ACCOUNT");
        Paths {
            config: profile.config_file().display().to_string(),
            data: profile.data_dir().display().to_string(),
            logs: logs.display().to_string().replace("ACCOUNT", "<account>"),
        }
    }
}

pub struct Help {
    page: Page,
    paths: Paths,
}

impl Help {
    pub fn new(page: Page, paths: Paths) -> Help {
        Help { page, paths }
    }

    pub fn page(&self) -> Page {
        self.page
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Show(page) => {
                self.page = page;
                Action::None
            }
            Message::Close => Action::Close,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let tab = |label, page, id| {
            container(
                button(text(label))
                    .padding([6, 16])
                    .style(theme::button::choice(self.page == page))
                    .on_press(Message::Show(page)),
            )
            .id(widget::Id::new(id))
        };
        let close =
            button(text("Close")).padding([6, 16]).style(theme::button::secondary).on_press(Message::Close);
        let header = row![
            tab("Keyboard shortcuts", Page::Shortcuts, id::SHORTCUTS),
            tab("About Tidings", Page::About, id::ABOUT),
            space::horizontal(),
            container(close).id(widget::Id::new(id::CLOSE)),
        ]
        .spacing(8)
        .align_y(iced::Alignment::Center);
        let page = match self.page {
            Page::Shortcuts => shortcuts_view(),
            Page::About => about_view(&self.paths),
        };
        let content = column![header, page].spacing(20).padding(24).max_width(760);
        scrollable(container(content).center_x(Length::Fill)).into()
    }
}

/// A shortcut: the keys as written on the sheet, and what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcut {
    pub keys: String,
    pub does: &'static str,
}

/// The mailbox's shortcuts, in the key map's words, keys that do the same on one line.
pub fn mailbox_shortcuts() -> Vec<Shortcut> {
    let named = [
        (Named::ArrowUp, "↑"),
        (Named::ArrowDown, "↓"),
        (Named::PageUp, "Page Up"),
        (Named::PageDown, "Page Down"),
        (Named::Home, "Home"),
        (Named::End, "End"),
        (Named::Enter, "Enter"),
        (Named::Delete, "Delete"),
        (Named::Backspace, "Backspace"),
        (Named::Escape, "Escape"),
        (Named::Space, "Space"),
    ]
    .into_iter()
    .map(|(n, label)| (Key::Named(n), label.to_string()))
    .chain((1..=12).filter_map(|f| f_key(f).map(|n| (Key::Named(n), format!("F{f}")))));
    let letters = ('a'..='z')
        .chain('0'..='9')
        .map(|c| (Key::Character(c.to_string().into()), c.to_ascii_uppercase().to_string()));
    let held = [
        (Modifiers::empty(), ""),
        (Modifiers::CTRL, "Ctrl+"),
        (Modifiers::CTRL | Modifiers::SHIFT, "Ctrl+Shift+"),
    ];
    let mut out: Vec<(KeyAction, Vec<String>)> = Vec::new();
    for (key, label) in named.chain(letters) {
        for (modifiers, prefix) in held {
            let Some(action) = keys::action(&key, modifiers) else { continue };
            let written = format!("{prefix}{label}");
            match out.iter_mut().find(|(a, _)| *a == action) {
                Some((_, keys)) => keys.push(written),
                None => out.push((action, vec![written])),
            }
        }
    }
    out.into_iter().map(|(action, keys)| Shortcut { keys: keys.join(", "), does: describe(action) }).collect()
}

/// Keys that work everywhere (the app's own key map).
pub fn general_shortcuts() -> Vec<Shortcut> {
    vec![
        Shortcut { keys: "F1, ?".into(), does: "Show these shortcuts" },
        Shortcut { keys: "Tab, Shift+Tab".into(), does: "Move to the next or previous field" },
        Shortcut { keys: "Ctrl+Enter".into(), does: "Send the message (in the composer)" },
    ]
}

fn f_key(n: u8) -> Option<Named> {
    use Named::*;
    [F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12].get(usize::from(n).checked_sub(1)?).copied()
}

fn describe(action: KeyAction) -> &'static str {
    match action {
        KeyAction::Up => "Previous message",
        KeyAction::Down => "Next message",
        KeyAction::PageUp => "A page up the list",
        KeyAction::PageDown => "A page down the list",
        KeyAction::First => "First message",
        KeyAction::Last => "Last message",
        KeyAction::Open => "Open the message",
        KeyAction::ToggleRead => "Mark read or unread",
        KeyAction::ToggleStar => "Star or unstar",
        KeyAction::Delete => "Delete the message",
        KeyAction::GetMail => "Get mail for this account",
        KeyAction::GetAllMail => "Get mail for every account",
        KeyAction::Compose(ComposeKind::New) => "New message",
        KeyAction::Compose(ComposeKind::Reply) => "Reply",
        KeyAction::Compose(ComposeKind::ReplyAll) => "Reply to all",
        KeyAction::Compose(ComposeKind::Forward) => "Forward",
        KeyAction::Compose(ComposeKind::ForwardAsAttachment) => "Forward as an attachment",
        KeyAction::Compose(ComposeKind::Draft) => "Edit the draft",
        KeyAction::Search => "Search all mail",
        KeyAction::SearchFolder => "Search the open folder",
        KeyAction::SelectAll => "Choose every message in the folder",
        KeyAction::Escape => {
            "Cancel a drag; close the folder form, the conversation or the search; or go back to one chosen message"
        }
        KeyAction::Expand => "Open the thread (in the threaded list)",
        KeyAction::Collapse => "Close the thread (in the threaded list)",
    }
}

fn shortcuts_view<'a>() -> Element<'a, Message> {
    let table = |title: &'a str, list: Vec<Shortcut>| {
        let rows = list.into_iter().map(|s| {
            row![text(s.keys).width(Length::Fixed(200.0)).font(iced::Font::MONOSPACE), text(s.does)]
                .spacing(16)
                .into()
        });
        column![text(title).size(18), Column::with_children(rows).spacing(6)].spacing(10)
    };
    column![table("Everywhere", general_shortcuts()), table("In the mailbox", mailbox_shortcuts())]
        .spacing(24)
        .into()
}

fn about_view(paths: &Paths) -> Element<'_, Message> {
    let line = |label: &'static str, value: &str| {
        row![text(label).width(Length::Fixed(140.0)).style(theme::text::muted), text(value.to_string())]
            .spacing(16)
    };
    column![
        text("Tidings").size(26),
        text(format!("Version {}", env!("CARGO_PKG_VERSION"))),
        text(env!("CARGO_PKG_DESCRIPTION")).style(theme::text::muted),
        text(format!(
            "Licence: {} — free software: you may share and change it under the GNU General Public \
             License, version 3 or later.",
            env!("CARGO_PKG_LICENSE")
        )),
        column![
            line("Settings", &paths.config),
            line("Mail and data", &paths.data),
            line("Connection logs", &paths.logs),
        ]
        .spacing(6),
        text("Passwords are kept in the system keyring, never in these files.")
            .size(13)
            .style(theme::text::muted),
    ]
    .spacing(12)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sheet_lists_the_mailbox_key_map() {
        let sheet = mailbox_shortcuts();
        let find = |does: &str| sheet.iter().find(|s| s.does == does).map(|s| s.keys.as_str());
        assert_eq!(find("Get mail for this account"), Some("F5, Ctrl+T"));
        assert_eq!(find("Get mail for every account"), Some("Ctrl+Shift+T"));
        assert_eq!(find("Reply to all"), Some("Ctrl+Shift+R"));
        assert_eq!(find("Mark read or unread"), Some("M"));
        assert_eq!(find("Next message"), Some("↓"));
        // Every line is a binding of the map, and no action is listed twice.
        for s in &sheet {
            assert_eq!(sheet.iter().filter(|t| t.does == s.does).count(), 1, "{s:?}");
        }
        assert!(sheet.len() >= 15, "{sheet:?}");
    }
}
