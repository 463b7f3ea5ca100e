//! Headless UI flows (iced_test) for the account form: ports that follow protocol and
//! encryption, the warning for unencrypted servers, inline validation, saving (config file
//! and secret store) and what happens when no secret service is reachable.
//!
//! Snapshot tests are pinned to the CPU renderer:
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_wizard` (see gui_welcome.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_snapshot, settle};

use iced::keyboard::key::Named;
use iced::theme::Mode;
use iced_test::selector::{Target, id};
use iced_test::simulator;

use tidings::app::{App, Message, Screen};
use tidings::screen::wizard::save::SaveError;
use tidings::screen::{welcome, wizard};
use tidings_mail::account::{Incoming, SecretRole, Security};
use tidings_mail::config::Config;
use tidings_mail::error::{Error, Kind};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

const PASSWORD: &str = "correct horse battery staple";

/// Clicks the widget with this id, then lets the app handle what the click produced.
fn click(app: &mut App, widget: &'static str) {
    let mut ui = simulator(app.view());
    ui.click(id(widget)).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// Clicks into a text field, erases `erase` characters and types `text`.
fn type_into(app: &mut App, field: &'static str, erase: usize, text: &str) {
    let mut ui = simulator(app.view());
    ui.click(id(field)).unwrap_or_else(|e| panic!("cannot click {field}: {e}"));
    for _ in 0..erase {
        let _ = ui.tap_key(Named::Backspace);
    }
    let _ = ui.typewrite(text);
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// What a text field shows.
fn value(app: &App, field: &'static str) -> String {
    match simulator(app.view()).find(id(field)) {
        Ok(Target::TextInput { content, .. }) => content,
        other => panic!("{field} is not a text field: {other:?}"),
    }
}

fn shows(app: &App, text: &str) -> bool {
    simulator(app.view()).find(text).is_ok()
}

fn wizard_app(profile: Profile, secrets: Secrets) -> App {
    let mut app = App::with_config(profile, secrets, Config::default());
    click(&mut app, welcome::ADD_ACCOUNT);
    assert!(matches!(app.screen(), Screen::Wizard(_)));
    app
}

fn fill_in(app: &mut App) {
    type_into(app, wizard::id::NAME, 0, "Work");
    type_into(app, wizard::id::EMAIL, 0, "alice@example.test");
    type_into(app, wizard::id::PASSWORD, 0, PASSWORD);
    type_into(app, wizard::id::INCOMING_HOST, 0, "imap.example.test");
    type_into(app, wizard::id::OUTGOING_HOST, 0, "smtp.example.test");
}

fn unused_profile() -> Profile {
    Profile::at("/nonexistent/tidings-test-profile")
}

#[test]
fn defaults_are_imap_993_and_smtp_587_with_the_user_following_the_email() {
    let mut app = wizard_app(unused_profile(), Secrets::in_memory());
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "993");
    assert_eq!(value(&app, wizard::id::OUTGOING_PORT), "587");

    type_into(&mut app, wizard::id::EMAIL, 0, "bob@example.test");
    assert_eq!(value(&app, wizard::id::INCOMING_USER), "bob@example.test");
    assert_eq!(value(&app, wizard::id::OUTGOING_USER), "bob@example.test");
}

#[test]
fn the_port_follows_protocol_and_encryption_until_one_is_typed() {
    let mut app = wizard_app(unused_profile(), Secrets::in_memory());

    click(&mut app, wizard::id::INCOMING_POP3);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "995");
    click(&mut app, wizard::id::INCOMING_STARTTLS);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "110");
    click(&mut app, wizard::id::INCOMING_IMAP);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "143");
    click(&mut app, wizard::id::OUTGOING_SSL);
    assert_eq!(value(&app, wizard::id::OUTGOING_PORT), "465");

    type_into(&mut app, wizard::id::INCOMING_PORT, 3, "10143");
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "10143");
    click(&mut app, wizard::id::INCOMING_POP3);
    click(&mut app, wizard::id::INCOMING_SSL);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "10143", "a typed port stays");
    // The outgoing port still follows: only the incoming one was typed.
    click(&mut app, wizard::id::OUTGOING_STARTTLS);
    assert_eq!(value(&app, wizard::id::OUTGOING_PORT), "587");
}

#[test]
fn no_encryption_shows_a_warning() {
    let mut app = wizard_app(unused_profile(), Secrets::in_memory());
    assert!(!shows(&app, wizard::UNENCRYPTED_WARNING));
    click(&mut app, wizard::id::OUTGOING_NONE);
    assert!(shows(&app, wizard::UNENCRYPTED_WARNING));
    assert_eq!(value(&app, wizard::id::OUTGOING_PORT), "587");
    click(&mut app, wizard::id::OUTGOING_STARTTLS);
    assert!(!shows(&app, wizard::UNENCRYPTED_WARNING));
}

#[test]
fn saving_an_empty_form_shows_what_to_fix_next_to_each_field() {
    let mut app = wizard_app(unused_profile(), Secrets::in_memory());
    click(&mut app, wizard::id::SAVE);
    assert!(matches!(app.screen(), Screen::Wizard(_)));
    for error in [
        "Give the account a name, e.g. Work.",
        "Enter an email address like alice@example.com.",
        "Enter the password.",
    ] {
        assert!(shows(&app, error), "{error:?} is not shown");
    }
    // Errors go away as the fields are fixed.
    type_into(&mut app, wizard::id::PASSWORD, 0, "x");
    assert!(!shows(&app, "Enter the password."));
    assert!(shows(&app, "Enter an email address like alice@example.com."));
}

#[test]
fn save_writes_the_account_to_the_config_and_the_password_only_to_the_secret_store() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let secrets = Secrets::in_memory();
    let mut app = wizard_app(profile.clone(), secrets.clone());
    fill_in(&mut app);
    click(&mut app, wizard::id::INCOMING_POP3);

    click(&mut app, wizard::id::SAVE);

    assert!(matches!(app.screen(), Screen::Accounts(_)), "saved, back to the overview");
    assert!(shows(&app, "Added “Work”."));
    assert!(shows(&app, "imap.example.test:995"));

    let config = Config::load(&profile).unwrap();
    assert_eq!(config.accounts.len(), 1);
    let account = &config.accounts[0];
    assert_eq!((account.name.as_str(), account.email.as_str()), ("Work", "alice@example.test"));
    assert_eq!(account.incoming_protocol, Incoming::Pop3);
    assert_eq!((account.incoming.port, account.incoming.security), (995, Security::Implicit));
    assert_eq!((account.outgoing.port, account.outgoing.security), (587, Security::StartTls));
    assert_eq!(account.incoming.user, "alice@example.test");

    let text = std::fs::read_to_string(profile.config_file()).unwrap();
    assert!(!text.contains(PASSWORD), "the password is in config.toml:\n{text}");
    assert_eq!(secrets.get(&account.id, SecretRole::Incoming).unwrap().as_deref(), Some(PASSWORD));
}

#[test]
fn without_a_secret_service_the_password_can_be_kept_for_this_session_only() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    // A Secret Service that cannot be reached: saving goes through the real `Secrets::set`.
    let secrets = Secrets::unreachable("org.freedesktop.secrets was not provided by any .service files");
    let mut app = wizard_app(profile.clone(), secrets.clone());
    fill_in(&mut app);
    click(&mut app, wizard::id::SAVE);
    assert!(shows(&app, "No secret service is reachable"));
    assert!(shows(&app, "Keep for this session"));

    // "Cancel" goes back to the form as typed, nothing written.
    click(&mut app, wizard::id::BACK_TO_FORM);
    assert_eq!(value(&app, wizard::id::NAME), "Work");
    assert!(!profile.config_file().exists());

    click(&mut app, wizard::id::SAVE);
    click(&mut app, wizard::id::KEEP_FOR_SESSION);

    assert!(matches!(app.screen(), Screen::Accounts(_)));
    assert!(shows(&app, "Added “Work”. Its password is kept only until Tidings closes."));
    let text = std::fs::read_to_string(profile.config_file()).unwrap();
    assert!(text.contains("alice@example.test") && !text.contains(PASSWORD), "{text}");
    assert_eq!(secrets.get("work", SecretRole::Incoming).unwrap().as_deref(), Some(PASSWORD));
}

#[test]
fn a_duplicate_name_is_reported_and_the_form_kept() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let secrets = Secrets::in_memory();
    let mut app = wizard_app(profile.clone(), secrets.clone());
    fill_in(&mut app);
    click(&mut app, wizard::id::SAVE);
    click(&mut app, tidings::screen::accounts::ADD_ACCOUNT);
    fill_in(&mut app);
    click(&mut app, wizard::id::SAVE);

    assert!(matches!(app.screen(), Screen::Wizard(_)));
    assert!(shows(&app, "An account named \"Work\" already exists. Fix the account settings and try again."));
    assert_eq!(value(&app, wizard::id::EMAIL), "alice@example.test");
    assert_eq!(Config::load(&profile).unwrap().accounts.len(), 1);
}

#[test]
fn cancel_goes_back_to_the_welcome_screen() {
    let mut app = wizard_app(unused_profile(), Secrets::in_memory());
    type_into(&mut app, wizard::id::NAME, 0, "Work");
    click(&mut app, wizard::id::CANCEL);
    assert!(matches!(app.screen(), Screen::Welcome(_)));
}

#[test]
fn snapshots_of_the_wizard() {
    let mut app = wizard_app(unused_profile(), Secrets::in_memory());
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "wizard-light");

    fill_in(&mut app);
    click(&mut app, wizard::id::INCOMING_NONE);
    type_into(&mut app, wizard::id::OUTGOING_HOST, 17, "");
    click(&mut app, wizard::id::SAVE);
    let _ = app.update(Message::SystemTheme(Mode::Dark));
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "wizard-errors-dark");

    let _ = app.update(Message::Saved(Err(SaveError::NoSecretService(Error::new(
        Kind::Storage,
        "no secret service is reachable (org.freedesktop.secrets was not provided)",
    )))));
    let _ = app.update(Message::SystemTheme(Mode::Light));
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "no-secret-service-light");
}
