//! Headless UI flow (iced_test): an alert the server asked to be shown (IMAP `[ALERT]`,
//! carried by the account task's `AccountEvent::ServerAlert`) appears in the account's status
//! bar with the time it came; the same words again keep that time, new words replace them.
//! The core's side (a pass and IDLE sending the event) is in `crates/mail/tests/server_duties`.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_alerts`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime};

use common::settle;

use iced_test::Simulator;

use tidings::app::{App, Message};
use tidings::passes::{Event, What};
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::pass::AccountEvent;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

/// 2026-11-21 14:00 UTC plus `minutes`.
fn at(minutes: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_733_600 + minutes * 60)
}

fn app(profile: &Profile) -> App {
    let server = Server {
        host: "127.0.0.1".into(),
        port: 1,
        security: Security::Implicit,
        user: "work".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    let account = Account::new(
        "work".into(),
        "Work".into(),
        "work@example.test".into(),
        Incoming::Imap,
        server.clone(),
        server,
    );
    let mut config = Config::default();
    config.add_account(account).unwrap();
    App::with_config(profile.clone(), Secrets::in_memory(), config)
}

fn alert(app: &mut App, minutes: u64, text: &str) {
    let event = Event {
        account: "work".into(),
        at: at(minutes),
        what: What::Account(AccountEvent::ServerAlert(text.into())),
    };
    settle(app, vec![Message::Pass(event)]);
}

fn texts(app: &App) -> Vec<String> {
    common::texts(Simulator::with_size(iced_test::core::Settings::default(), (1280.0, 800.0), app.view()))
}

#[test]
fn the_servers_alert_shows_in_the_status_bar_once_with_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&Profile::at(dir.path()));
    assert!(!texts(&app).iter().any(|t| t.contains("The server says")));

    alert(&mut app, 0, "Your password expires in 3 days");
    let shown = texts(&app);
    assert!(
        shown.iter().any(|t| t == "The server says (14:00 UTC): Your password expires in 3 days"),
        "{shown:?}"
    );
    // The same alert again (the next connection's greeting): it keeps the time it first came.
    alert(&mut app, 5, "Your password expires in 3 days");
    let shown = texts(&app);
    assert!(
        shown.iter().any(|t| t == "The server says (14:00 UTC): Your password expires in 3 days"),
        "{shown:?}"
    );
    // Another one replaces it.
    alert(&mut app, 7, "Maintenance tonight at 22:00");
    let shown = texts(&app);
    assert!(
        shown.iter().any(|t| t == "The server says (14:07 UTC): Maintenance tonight at 22:00"),
        "{shown:?}"
    );
    assert!(!shown.iter().any(|t| t.contains("expires")), "{shown:?}");
}
