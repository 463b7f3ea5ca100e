//! `TIDINGS_REPORT_STARTUP=1`: for the start-up benchmark (scripts/bench-start), which times
//! the real binary from its start to a painted message list. While it is set and the list
//! has not been reported yet, the app asks for every frame; the first frame drawn with rows
//! in the mailbox's list prints one line to stderr:
//!
//! ```text
//! startup: list painted, 40 rows of 100000, 212 ms after the app began
//! ```
//!
//! The benchmark reads the time on its own clock (from the process's start); the figure in
//! the line only shows how much of it was the app's own start. Nothing else reads it.

use std::time::Instant;

use iced::{Subscription, window};

use super::{App, Message, Screen};

pub const VARIABLE: &str = "TIDINGS_REPORT_STARTUP";

/// When the app began, if the environment asks for the report.
pub fn wanted() -> Option<Instant> {
    std::env::var_os(VARIABLE).is_some_and(|v| !v.is_empty() && v != "0").then(Instant::now)
}

impl App {
    fn list_rows(&self) -> Option<(usize, u64)> {
        match &self.screen {
            Screen::Mailbox(mailbox) if !mailbox.list().rows().is_empty() => {
                Some((mailbox.list().rows().len(), mailbox.list().counts().total))
            }
            _ => None,
        }
    }

    /// Every frame, until the list has been reported.
    pub(super) fn startup_frames(&self) -> Subscription<Message> {
        match self.report_startup {
            Some(_) => window::frames().map(|_| Message::StartupFrame),
            None => Subscription::none(),
        }
    }

    /// A frame was drawn with the list's rows: say so, once.
    pub(super) fn startup_frame(&mut self) {
        if let (Some(began), Some((rows, total))) = (self.report_startup, self.list_rows()) {
            eprintln!(
                "startup: list painted, {rows} rows of {total}, {} ms after the app began",
                began.elapsed().as_millis()
            );
            self.report_startup = None;
        }
    }
}
