//! Tidings opens where the person left it. The app keeps where they are (an account's
//! mailbox with its folder, selection and order, or the overview) and the window's size in
//! the profile's UI-state file ([`tidings_mail::ui_state`]), which the mailbox's panes share.
//!
//! The place is looked at after every update; a change starts a timer that writes it a moment
//! later on a worker thread, so a burst of changes (arrow keys down the list) is one write.
//! The file is read with the configuration at start; the window's size before the window
//! opens ([`crate::run`]), then fitted to the screen once the screen is known.

use std::time::Duration;

use iced::{Size, Subscription, Task, window};

use tidings_mail::ui_state::{self, UiState};

use super::{App, Message, Screen};

/// How long after a change the state is written.
pub const SAVE_AFTER: Duration = Duration::from_millis(500);

/// What the window reports.
#[derive(Debug, Clone)]
pub enum WindowEvent {
    Resized(window::Id, Size),
    /// After a resize: the size, and whether the window is maximised now.
    State {
        size: Size,
        maximized: bool,
    },
    /// At start: the window's size and the screen's, when known.
    Screen {
        id: window::Id,
        size: Size,
        screen: Option<Size>,
    },
}

impl App {
    /// After every update: where the person is now. The overview and the welcome screen
    /// count as "no mailbox"; other screens (settings, the wizard…) keep the last place.
    pub(super) fn remember_place(&mut self) {
        let place = match &self.screen {
            Screen::Mailbox(mailbox) => Some(mailbox.place()),
            Screen::Accounts(_) | Screen::Welcome(_) => None,
            _ => return,
        };
        if place != self.ui.place {
            self.ui.place = place;
            self.unsaved = true;
        }
    }

    /// Ticks while something is unsaved.
    pub(super) fn save_timer(&self) -> Subscription<Message> {
        if self.unsaved {
            iced::time::every(SAVE_AFTER).map(|_| Message::SaveUiState)
        } else {
            Subscription::none()
        }
    }

    pub(super) fn window_events() -> Subscription<Message> {
        window::resize_events().map(|(id, size)| Message::Window(WindowEvent::Resized(id, size)))
    }

    /// Asks for the screen's size, to fit a window restored on a larger screen.
    pub(super) fn measure_screen() -> Task<Message> {
        window::oldest().and_then(|id| {
            window::size(id).then(move |size| {
                window::monitor_size(id)
                    .map(move |screen| Message::Window(WindowEvent::Screen { id, size, screen }))
            })
        })
    }

    /// Writes the place and the window's size (the panes write their own part).
    pub(super) fn save_ui_state(&mut self) -> Task<Message> {
        if !self.unsaved {
            return Task::none();
        }
        self.unsaved = false;
        let (file, place, window) = (ui_state::path(&self.profile), self.ui.place.clone(), self.ui.window);
        Task::perform(
            async move {
                // A convenience: a file that cannot be written is left as it was.
                let _ = tokio::task::spawn_blocking(move || {
                    UiState::update(&file, |state| {
                        state.place = place;
                        state.window = window;
                    })
                })
                .await;
            },
            |()| Message::UiStateSaved,
        )
    }

    pub(super) fn window_event(&mut self, event: WindowEvent) -> Task<Message> {
        match event {
            WindowEvent::Resized(id, size) => window::is_maximized(id)
                .map(move |maximized| Message::Window(WindowEvent::State { size, maximized })),
            WindowEvent::State { size, maximized } => {
                let mut window = self.ui.window;
                // Maximised, the size to come back to is the one before.
                if !maximized {
                    (window.width, window.height) = (size.width, size.height);
                }
                window.maximized = maximized;
                if window != self.ui.window {
                    self.ui.window = window;
                    self.unsaved = true;
                }
                Task::none()
            }
            WindowEvent::Screen { id, size, screen } => {
                let window = ui_state::Window { width: size.width, height: size.height, maximized: false };
                let fitted = window.within(screen.map(|s| (s.width, s.height)));
                if fitted == window {
                    Task::none()
                } else {
                    window::resize(id, Size::new(fitted.width, fitted.height))
                }
            }
        }
    }
}

/// The window's settings at start: the size it was left at (within bounds), maximised if it
/// was. Read before the window opens, as the window is made at that size.
pub fn window_settings(state: &UiState) -> window::Settings {
    let window = state.window.within(None);
    window::Settings {
        size: Size::new(window.width, window.height),
        maximized: window.maximized,
        min_size: Some(Size::new(ui_state::MIN_WINDOW.0, ui_state::MIN_WINDOW.1)),
        ..window::Settings::default()
    }
}
