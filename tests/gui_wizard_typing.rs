//! The wizard's fields typed into at real speed, one key a frame, clicking from field to
//! field, in a window that keeps its widget state (the focus) across updates, as the real
//! runtime does; the validation messages that come and go under the fields while typing must
//! not move the focus.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_wizard_typing`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod live_window;

use iced::keyboard::key::Named;
use iced_test::simulator;
use live_window::LiveWindow;

use tidings::app::{App, Screen};
use tidings::screen::welcome;
use tidings::screen::wizard::{self, Wizard, id};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

fn wizard(app: &App) -> &Wizard {
    match app.screen() {
        Screen::Wizard(wizard) => wizard,
        _ => panic!("the wizard is not shown"),
    }
}

/// Clicks the field `widget`, goes to the end of what it holds (End) and types `text`.
fn type_into(live: &mut LiveWindow, app: &mut App, widget: &str, text: &str) {
    live.click(app, widget);
    assert!(live.has_focus(app, widget), "{widget} has the focus after a click");
    live.events(app, simulator::tap_key(Named::End, None));
    live.type_text(app, text);
}

#[test]
fn every_field_keeps_what_is_typed_at_real_speed() {
    let profile = Profile::at("/nonexistent/tidings-test-profile");
    let mut app = App::with_config(profile, Secrets::in_memory(), Config::default());
    // Tall enough that the whole form shows without scrolling.
    let mut live = LiveWindow::new((1024.0, 1400.0));
    live.click(&mut app, welcome::ADD_ACCOUNT);
    assert_eq!(wizard(&app).step_name(), "account");

    // Nothing typed yet: "Find my settings" shows what is missing under the fields; each
    // message goes away while the field is typed into.
    live.click(&mut app, id::FIND);
    assert_eq!(wizard(&app).step_name(), "account");
    type_into(&mut live, &mut app, id::SENDER_NAME, "Alice Example");
    type_into(&mut live, &mut app, id::EMAIL, "alice@example.test");
    type_into(&mut live, &mut app, id::PASSWORD, "correct horse");
    type_into(&mut live, &mut app, id::NAME, "Work");
    let form = wizard(&app).form();
    assert_eq!(form.sender_name, "Alice Example");
    assert_eq!(form.email, "alice@example.test");
    assert_eq!(form.password, "correct horse");
    assert_eq!(form.name, "Work");

    live.click(&mut app, id::MANUAL);
    assert_eq!(wizard(&app).step_name(), "review");
    for (widget, text) in [
        (id::INCOMING_HOST, "imap.example.test"),
        (id::OUTGOING_HOST, "smtp.example.test"),
        (id::INCOMING_USER, "-in"),
        (id::OUTGOING_USER, "-out"),
        (id::INCOMING_CA_FILE, "/etc/in.pem"),
        (id::OUTGOING_CA_FILE, "/etc/out.pem"),
        (id::NAME, " mail"),
    ] {
        type_into(&mut live, &mut app, widget, text);
    }
    let form: &wizard::Form = wizard(&app).form();
    assert_eq!(form.incoming.host, "imap.example.test");
    assert_eq!(form.outgoing.host, "smtp.example.test");
    // The user names start as the email address (the outgoing one follows the incoming one
    // until it is typed into).
    assert_eq!(form.incoming.user, "alice@example.test-in");
    assert_eq!(form.outgoing.user, "alice@example.test-in-out");
    assert_eq!(form.incoming.ca_file, "/etc/in.pem");
    assert_eq!(form.outgoing.ca_file, "/etc/out.pem");
    assert_eq!(form.name, "Work mail");
    assert_eq!(form.email, "alice@example.test");
}
