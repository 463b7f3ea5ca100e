//! The mailbox's key map: a table from key (with modifiers) to [`KeyAction`], Thunderbird's
//! keys where it has one. One subscription turns key presses no widget used into actions;
//! there is no message per key. It also tells the mailbox which modifiers are held, which
//! decide what a click on a row does (Ctrl and Shift choose several).

use iced::keyboard::{self, Key, Modifiers, key::Named};
use iced::{Event, Subscription, event, window};

use super::Message;
use crate::screen::composer::Kind as ComposeKind;

/// What a key asks of the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    Open,
    ToggleRead,
    ToggleStar,
    Delete,
    /// Send and receive for the selected account.
    GetMail,
    /// Send and receive for every account.
    GetAllMail,
    /// Write a message: new, reply, reply to all, forward (the selected message's).
    Compose(ComposeKind),
    /// Search all mail…
    Search,
    /// …or only the open folder.
    SearchFolder,
    /// Choose every message of the folder.
    SelectAll,
    /// Let go of dragged messages (they stay where they are), else close the folder picker
    /// or the folder form, else leave the search (back to the folder), else go back to one
    /// chosen message.
    Escape,
    /// Open or close the selected thread (the threaded list).
    Expand,
    Collapse,
}

/// A key as the map names it.
#[derive(Debug, Clone, Copy)]
enum Press {
    Named(Named),
    /// A letter, either case.
    Letter(char),
}

/// Which modifiers a binding needs (others held make it not match, except Shift on plain
/// letters: Caps Lock and Shift should not disable M and S). With Ctrl, Shift counts:
/// Ctrl+T and Ctrl+Shift+T are different keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum With {
    Nothing,
    Ctrl,
    CtrlShift,
}

/// The key map.
const MAP: &[(Press, With, KeyAction)] = &[
    (Press::Named(Named::ArrowUp), With::Nothing, KeyAction::Up),
    (Press::Named(Named::ArrowDown), With::Nothing, KeyAction::Down),
    (Press::Named(Named::PageUp), With::Nothing, KeyAction::PageUp),
    (Press::Named(Named::PageDown), With::Nothing, KeyAction::PageDown),
    (Press::Named(Named::Home), With::Nothing, KeyAction::First),
    (Press::Named(Named::End), With::Nothing, KeyAction::Last),
    (Press::Named(Named::Enter), With::Nothing, KeyAction::Open),
    (Press::Letter('m'), With::Nothing, KeyAction::ToggleRead),
    (Press::Letter('s'), With::Nothing, KeyAction::ToggleStar),
    (Press::Named(Named::Delete), With::Nothing, KeyAction::Delete),
    (Press::Named(Named::F5), With::Nothing, KeyAction::GetMail),
    (Press::Letter('t'), With::Ctrl, KeyAction::GetMail),
    (Press::Letter('t'), With::CtrlShift, KeyAction::GetAllMail),
    (Press::Letter('n'), With::Ctrl, KeyAction::Compose(ComposeKind::New)),
    (Press::Letter('r'), With::Ctrl, KeyAction::Compose(ComposeKind::Reply)),
    (Press::Letter('r'), With::CtrlShift, KeyAction::Compose(ComposeKind::ReplyAll)),
    (Press::Letter('l'), With::Ctrl, KeyAction::Compose(ComposeKind::Forward)),
    (Press::Letter('k'), With::Ctrl, KeyAction::Search),
    (Press::Letter('k'), With::CtrlShift, KeyAction::SearchFolder),
    (Press::Letter('a'), With::Ctrl, KeyAction::SelectAll),
    (Press::Named(Named::Escape), With::Nothing, KeyAction::Escape),
    (Press::Named(Named::ArrowRight), With::Nothing, KeyAction::Expand),
    (Press::Named(Named::ArrowLeft), With::Nothing, KeyAction::Collapse),
];

/// The action bound to `key` with `modifiers`, if any.
pub fn action(key: &Key, modifiers: Modifiers) -> Option<KeyAction> {
    let with = if modifiers.control() && !modifiers.alt() && !modifiers.logo() {
        if modifiers.shift() { With::CtrlShift } else { With::Ctrl }
    } else if !modifiers.control() && !modifiers.alt() && !modifiers.logo() {
        With::Nothing
    } else {
        return None;
    };
    MAP.iter()
        .find(|(press, needs, _)| {
            *needs == with
                && match (press, key) {
                    (Press::Named(want), Key::Named(got)) => want == got && !modifiers.shift(),
                    (Press::Letter(want), Key::Character(got)) => {
                        let mut chars = got.chars();
                        chars.next().is_some_and(|c| c.eq_ignore_ascii_case(want)) && chars.next().is_none()
                    }
                    _ => false,
                }
        })
        .map(|(_, _, action)| *action)
}

/// Key presses that no widget captured (a focused text field keeps its letters), as actions;
/// and Escape always, which a focused field takes only to let go of the focus.
pub fn subscription() -> Subscription<Message> {
    event::listen_with(on_event)
}

pub fn on_event(event: Event, status: event::Status, _window: window::Id) -> Option<Message> {
    if let Event::Keyboard(keyboard::Event::ModifiersChanged(held)) = event {
        return Some(Message::Select(super::selection::Msg::Modifiers(held)));
    }
    let escape =
        matches!(&event, Event::Keyboard(keyboard::Event::KeyPressed { key: Key::Named(Named::Escape), .. }));
    if status == event::Status::Captured && !escape {
        return None;
    }
    match event {
        Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) => {
            action(&key, modifiers).map(Message::Key)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thunderbirds_keys_map_to_actions() {
        let none = Modifiers::empty();
        let letter = |c: &str| Key::Character(c.into());
        assert_eq!(action(&Key::Named(Named::ArrowDown), none), Some(KeyAction::Down));
        assert_eq!(action(&Key::Named(Named::End), none), Some(KeyAction::Last));
        assert_eq!(action(&letter("m"), none), Some(KeyAction::ToggleRead));
        assert_eq!(action(&letter("M"), Modifiers::SHIFT), Some(KeyAction::ToggleRead));
        assert_eq!(action(&letter("s"), none), Some(KeyAction::ToggleStar));
        assert_eq!(action(&Key::Named(Named::F5), none), Some(KeyAction::GetMail));
        assert_eq!(action(&letter("t"), Modifiers::CTRL), Some(KeyAction::GetMail));
        assert_eq!(action(&letter("T"), Modifiers::CTRL | Modifiers::SHIFT), Some(KeyAction::GetAllMail));
        let compose = |kind| Some(KeyAction::Compose(kind));
        assert_eq!(action(&letter("n"), Modifiers::CTRL), compose(ComposeKind::New));
        assert_eq!(action(&letter("r"), Modifiers::CTRL), compose(ComposeKind::Reply));
        assert_eq!(action(&letter("R"), Modifiers::CTRL | Modifiers::SHIFT), compose(ComposeKind::ReplyAll));
        assert_eq!(action(&letter("l"), Modifiers::CTRL), compose(ComposeKind::Forward));
        assert_eq!(action(&letter("k"), Modifiers::CTRL), Some(KeyAction::Search));
        assert_eq!(action(&letter("K"), Modifiers::CTRL | Modifiers::SHIFT), Some(KeyAction::SearchFolder));
        assert_eq!(action(&Key::Named(Named::Escape), none), Some(KeyAction::Escape));
        assert_eq!(action(&letter("a"), Modifiers::CTRL), Some(KeyAction::SelectAll));
        assert_eq!(action(&letter("a"), none), None);
        assert_eq!(action(&Key::Named(Named::ArrowRight), none), Some(KeyAction::Expand));
        assert_eq!(action(&Key::Named(Named::ArrowLeft), none), Some(KeyAction::Collapse));
        assert_eq!(action(&letter("r"), none), None);
        // Not bound: a plain T, Ctrl+M, Alt+Down, Shift+Down (kept for extending a selection).
        assert_eq!(action(&letter("t"), none), None);
        assert_eq!(action(&letter("m"), Modifiers::CTRL), None);
        assert_eq!(action(&Key::Named(Named::ArrowDown), Modifiers::ALT), None);
        assert_eq!(action(&Key::Named(Named::ArrowDown), Modifiers::SHIFT), None);
    }
}
