//! Tidings' desktop interface, built with iced.
//!
//! Data flows one way: a mail server speaks to the protocol clients (IMAP, POP3, SMTP) in the
//! `tidings-mail` crate, the sync engine turns what they say into rows of the local store, and
//! this crate shows the store. The UI never talks to a server or touches a file itself: it sends
//! commands to the core through channels and gets events and results back as messages.
//!
//! Blocking work (config files, the keyring over D-Bus, later the store) runs off the UI thread
//! in `Task::perform` on `spawn_blocking`; `update` and `view` only move data around.
//!
//! Each screen (`screen::welcome`, `screen::wizard`, `screen::accounts`) owns its `Message`,
//! an `update` that returns an `Action` for its parent, and a `view`. The parent [`App`]'s
//! `update` is a router: every arm is a call; siblings never reach into each other.
//! All colours and styles live in [`theme`]; views pick a style by name. Reusable widgets live
//! in [`widget`].

pub mod app;
pub mod desktop;
pub mod passes;
pub mod screen;
pub mod theme;
pub mod widget;

pub use app::App;

use std::ffi::OsString;

use iced::Task;

use desktop::instance::{self, Bus, Claim, Request};

use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

/// Why the window could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Neither X11 nor Wayland is available to draw on.
    #[error(
        "Tidings needs a graphical display (no DISPLAY or WAYLAND_DISPLAY is set). Use the \
         command-line subcommands — `tidings --help` — or run it under a desktop session or \
         xvfb-run."
    )]
    NoDisplay,
    /// iced could not create the window, the graphics context or its executor.
    #[error("cannot open the Tidings window: {0}")]
    Window(#[from] iced::Error),
}

/// How a start ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// The window was shown, and closed.
    Window,
    /// A Tidings already running took the request ([`desktop::instance`]).
    HandedOver,
}

/// Opens the Tidings window with `request` and runs until it is closed; when Tidings runs
/// already, hands `request` to it instead.
///
/// Checks for a display first: without one, winit would panic while creating its event loop.
pub fn run(profile: Profile, secrets: Secrets, request: Request) -> Result<Ran, RunError> {
    if !display_available(|name| std::env::var_os(name)) {
        return Err(RunError::NoDisplay);
    }
    let mut instance = match instance::claim(Bus::Session, &request) {
        Claim::HandedOver => return Ok(Ran::HandedOver),
        Claim::First(instance) => Some(instance),
        // Each start on its own, as before there was a bus.
        Claim::NoBus(_) => None,
    };
    let later = instance.as_mut().and_then(instance::Instance::requests);
    open(profile, secrets, request, later)?;
    drop(instance);
    Ok(Ran::Window)
}

/// Opens a window as [`run`] does, but on its own: it neither hands over to a Tidings already
/// running nor takes later starts' requests. For `tidings demo`, whose throwaway profile must
/// stay apart from the person's own Tidings.
pub fn run_apart(profile: Profile, secrets: Secrets, request: Request) -> Result<(), RunError> {
    if !display_available(|name| std::env::var_os(name)) {
        return Err(RunError::NoDisplay);
    }
    open(profile, secrets, request, None)
}

fn open(
    profile: Profile,
    secrets: Secrets,
    request: Request,
    later: Option<iced::futures::channel::mpsc::UnboundedReceiver<Request>>,
) -> Result<(), RunError> {
    // Later starts' requests, for the app's first task (boot is called once).
    let later = std::sync::Mutex::new(later);

    // The window opens at the size it was left at: read before there is a window (the app
    // reads the rest of the file, off the UI thread, once it runs).
    let window = desktop::icon::dress(app::window_settings(&tidings_mail::ui_state::UiState::load(
        &tidings_mail::ui_state::path(&profile),
    )));
    let boot = move || {
        let (app, task) = App::new(profile.clone(), secrets.clone());
        let later = later.lock().unwrap_or_else(|p| p.into_inner()).take();
        let later = later.map_or_else(Task::none, |requests| Task::run(requests, app::Message::Desktop));
        (app, Task::batch([task, Task::done(app::Message::Desktop(request.clone())), later]))
    };
    iced::application(boot, App::update, App::view)
        .title(App::title)
        .subscription(App::subscription)
        .theme(App::theme)
        .window(window)
        .run()?;
    Ok(())
}

/// Whether an X11 or Wayland display is named in the environment (read through `var`, so it
/// can be tested without touching the process environment).
pub fn display_available(var: impl Fn(&str) -> Option<OsString>) -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].into_iter().any(|name| var(name).is_some_and(|value| !value.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_needs_a_non_empty_variable() {
        assert!(!display_available(|_| None));
        assert!(!display_available(|_| Some(OsString::new())));
        assert!(display_available(|n| (n == "DISPLAY").then(|| ":0".into())));
        assert!(display_available(|n| (n == "WAYLAND_DISPLAY").then(|| "wayland-0".into())));
    }

    #[test]
    fn no_display_message_points_to_the_cli() {
        let text = RunError::NoDisplay.to_string();
        assert!(text.starts_with("Tidings needs a graphical display"), "{text}");
        assert!(text.contains("tidings --help") && text.contains("xvfb-run"), "{text}");
    }
}
