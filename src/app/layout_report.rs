//! `TIDINGS_REPORT_LAYOUT=1`: for the smoke test of the real binary, which cannot read widget
//! ids from a screenshot. While it is set, the app looks twice a second at where the actions
//! of the mailbox's toolbar (or of the open composer) are in the window as drawn, and prints a
//! line to stderr whenever that changes:
//!
//! ```text
//! layout: mailbox 1024x768 shown=mailbox-back,mailbox-get-mail,… cut= absent=mailbox-delete
//! ```
//!
//! `shown`: wholly inside the window; `cut`: partly outside it; `absent`: not laid out (behind
//! the toolbar's "More", or not offered for this message). Nothing else reads it.

use std::time::Duration;

use iced::advanced::widget::{self, Id, Operation, operate, operation::Outcome};
use iced::{Rectangle, Size, Subscription, Task, window};

use super::{App, Message, Screen};
use crate::screen::{composer, mailbox};

pub const VARIABLE: &str = "TIDINGS_REPORT_LAYOUT";

const MAILBOX: &[&str] = &[
    mailbox::id::BACK,
    mailbox::id::GET_MAIL,
    mailbox::id::GET_ALL_MAIL,
    mailbox::id::WRITE,
    mailbox::id::REPLY,
    mailbox::id::REPLY_ALL,
    mailbox::id::FORWARD,
    mailbox::id::FORWARD_ATTACHED,
    mailbox::id::TOGGLE_READ,
    mailbox::id::TOGGLE_STAR,
    mailbox::id::DELETE,
    mailbox::id::MOVE,
    mailbox::id::MORE,
];

const COMPOSER: &[&str] = &[
    composer::id::SEND,
    composer::id::CLOSE,
    composer::id::FROM,
    composer::id::TO,
    composer::id::CC,
    composer::id::BCC,
    composer::id::SUBJECT,
    composer::id::BODY,
    composer::id::ATTACH_PATH,
    composer::id::ATTACH,
    composer::id::PICK,
];

/// Whether the environment asks for the report.
pub fn wanted() -> bool {
    std::env::var_os(VARIABLE).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Where each of the widgets looked for was laid out.
#[derive(Debug, Clone)]
pub struct Found {
    screen: &'static str,
    window: Size,
    bounds: Vec<(&'static str, Rectangle)>,
}

impl App {
    /// Which screen's actions are reported now, if any.
    fn reported(&self) -> Option<(&'static str, &'static [&'static str])> {
        match &self.screen {
            _ if self.composer.is_some() => Some(("composer", COMPOSER)),
            Screen::Mailbox(_) => Some(("mailbox", MAILBOX)),
            _ => None,
        }
    }

    pub(super) fn layout_timer(&self) -> Subscription<Message> {
        if self.report_layout && self.reported().is_some() {
            iced::time::every(Duration::from_millis(500)).map(|_| Message::ReportLayout)
        } else {
            Subscription::none()
        }
    }

    /// Measures the window and finds the widgets in it.
    pub(super) fn report_layout(&self) -> Task<Message> {
        let Some((screen, ids)) = self.reported() else { return Task::none() };
        window::oldest().and_then(move |id| {
            window::size(id).then(move |window| {
                operate(FindIds { ids, found: Vec::new() })
                    .map(move |bounds| Message::LayoutFound(Found { screen, window, bounds }))
            })
        })
    }

    /// Prints the line when it differs from the last one printed.
    pub(super) fn layout_found(&mut self, found: Found) -> Task<Message> {
        let line = line(&found);
        if line != self.last_layout {
            eprintln!("{line}");
            self.last_layout = line;
        }
        Task::none()
    }
}

fn line(found: &Found) -> String {
    let ids = if found.screen == "composer" { COMPOSER } else { MAILBOX };
    let (mut shown, mut cut, mut absent) = (Vec::new(), Vec::new(), Vec::new());
    for id in ids {
        match found.bounds.iter().find(|(name, _)| name == id) {
            Some((_, b)) => {
                let inside = b.x >= 0.0
                    && b.y >= 0.0
                    && b.x + b.width <= found.window.width + 0.5
                    && b.y + b.height <= found.window.height + 0.5;
                if inside { shown.push(*id) } else { cut.push(*id) }
            }
            None => absent.push(*id),
        }
    }
    format!(
        "layout: {} {}x{} shown={} cut={} absent={}",
        found.screen,
        found.window.width.round(),
        found.window.height.round(),
        shown.join(","),
        cut.join(","),
        absent.join(",")
    )
}

/// Collects the bounds of the widgets with these ids (the first of each).
struct FindIds {
    ids: &'static [&'static str],
    found: Vec<(&'static str, Rectangle)>,
}

impl FindIds {
    fn see(&mut self, id: Option<&Id>, bounds: Rectangle) {
        let Some(id) = id else { return };
        if let Some(name) = self.ids.iter().find(|name| Id::new(name) == *id)
            && !self.found.iter().any(|(n, _)| n == name)
        {
            self.found.push((name, bounds));
        }
    }
}

impl Operation<Vec<(&'static str, Rectangle)>> for FindIds {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation<Vec<(&'static str, Rectangle)>>)) {
        operate(self);
    }

    fn container(&mut self, id: Option<&Id>, bounds: Rectangle) {
        self.see(id, bounds);
    }

    fn focusable(&mut self, id: Option<&Id>, bounds: Rectangle, _: &mut dyn widget::operation::Focusable) {
        self.see(id, bounds);
    }

    fn text_input(&mut self, id: Option<&Id>, bounds: Rectangle, _: &mut dyn widget::operation::TextInput) {
        self.see(id, bounds);
    }

    fn scrollable(
        &mut self,
        id: Option<&Id>,
        bounds: Rectangle,
        _: Rectangle,
        _: iced::Vector,
        _: &mut dyn widget::operation::Scrollable,
    ) {
        self.see(id, bounds);
    }

    fn custom(&mut self, id: Option<&Id>, bounds: Rectangle, _: &mut dyn std::any::Any) {
        self.see(id, bounds);
    }

    fn finish(&self) -> Outcome<Vec<(&'static str, Rectangle)>> {
        Outcome::Some(self.found.clone())
    }
}
