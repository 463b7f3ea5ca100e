//! Headless UI flows (iced_test) for the wizard's manual path: the first step, "Set up
//! manually", ports that follow protocol and encryption, the warning for unencrypted servers,
//! inline validation, a failed test saved anyway (config file and secret store), and what
//! happens when no secret service is reachable. Discovery and the real-server tests are in
//! gui_wizard_discovery.rs and gui_wizard_test.rs.
//!
//! Snapshot tests are pinned to the CPU renderer:
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_wizard` (see gui_welcome.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "gui_wizard_helpers/mod.rs"]
mod helpers;

use common::assert_snapshot;
use helpers::*;

use iced::theme::Mode;
use iced_test::simulator;

use tidings::app::{App, Message, Screen};
use tidings::screen::wizard;
use tidings::screen::wizard::save::SaveError;
use tidings_mail::account::{Incoming, SecretRole, Security};
use tidings_mail::config::Config;
use tidings_mail::discover::DiscoverOptions;
use tidings_mail::error::{Error, Kind};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

const PASSWORD: &str = "correct horse battery staple";

/// The wizard's form, reached with "Set up manually" from the first step.
fn manual(profile: Profile, secrets: Secrets) -> App {
    let mut app = open_wizard(profile, secrets, DiscoverOptions::default());
    click(&mut app, wizard::id::MANUAL);
    assert_eq!(wizard(&app).step_name(), "review");
    app
}

/// Every field of the form, servers on 127.0.0.1 ports where nothing listens.
fn fill_in(app: &mut App) -> (u16, u16) {
    let (incoming, outgoing) = (closed_port(), closed_port());
    type_into(app, wizard::id::NAME, 0, "Work");
    type_into(app, wizard::id::EMAIL, 0, "alice@example.test");
    type_into(app, wizard::id::PASSWORD, 0, PASSWORD);
    type_into(app, wizard::id::INCOMING_HOST, 0, "127.0.0.1");
    replace(app, wizard::id::INCOMING_PORT, &incoming.to_string());
    type_into(app, wizard::id::OUTGOING_HOST, 0, "127.0.0.1");
    replace(app, wizard::id::OUTGOING_PORT, &outgoing.to_string());
    (incoming, outgoing)
}

/// Test (both ports closed, so it fails), then "Save anyway".
fn test_and_save_anyway(app: &mut App) {
    click(app, wizard::id::TEST);
    let checks = wizard(app).checks().expect("the test step is shown");
    assert!(checks.failed(), "nothing listens there: the test fails");
    click(app, wizard::id::SAVE_ANYWAY);
}

#[test]
fn the_first_step_asks_for_name_email_and_password_and_manual_keeps_them() {
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
    assert!(shows(&app, "Find my settings") && shows(&app, "Set up manually"));
    assert!(!has(&app, wizard::id::INCOMING_HOST), "no server fields yet");

    click(&mut app, wizard::id::FIND);
    assert_eq!(wizard(&app).step_name(), "account", "nothing typed: nothing looked up");
    assert!(shows(&app, "Enter an email address like alice@example.com."));

    identity(&mut app, "Work", "bob@example.test", PASSWORD);
    assert!(!shows(&app, "Enter an email address like alice@example.com."), "fixed as typed");
    click(&mut app, wizard::id::MANUAL);
    assert_eq!(value(&app, wizard::id::NAME), "Work");
    assert_eq!(value(&app, wizard::id::EMAIL), "bob@example.test");
    assert_eq!(wizard(&app).form().password, PASSWORD);

    click(&mut app, wizard::id::BACK);
    assert_eq!(wizard(&app).step_name(), "account", "back to the first step, as typed");
    assert_eq!(value(&app, wizard::id::EMAIL), "bob@example.test");
}

#[test]
fn defaults_are_imap_993_and_smtp_587_with_the_user_following_the_email() {
    let mut app = manual(unused_profile(), Secrets::in_memory());
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "993");
    assert_eq!(value(&app, wizard::id::OUTGOING_PORT), "587");
    assert!(has(&app, wizard::id::INCOMING_AUTH_PASSWORD) && has(&app, wizard::id::OUTGOING_AUTH_PASSWORD));

    type_into(&mut app, wizard::id::EMAIL, 0, "bob@example.test");
    assert_eq!(value(&app, wizard::id::INCOMING_USER), "bob@example.test");
    assert_eq!(value(&app, wizard::id::OUTGOING_USER), "bob@example.test");
    // A typed incoming user name is followed by the outgoing one, not by the email.
    type_into(&mut app, wizard::id::INCOMING_USER, 17, "bob");
    type_into(&mut app, wizard::id::EMAIL, 16, "rob@example.test");
    assert_eq!(value(&app, wizard::id::INCOMING_USER), "bob");
    assert_eq!(value(&app, wizard::id::OUTGOING_USER), "bob");
}

#[test]
fn the_port_follows_protocol_and_encryption_until_one_is_typed() {
    let mut app = manual(unused_profile(), Secrets::in_memory());

    click(&mut app, wizard::id::INCOMING_POP3);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "995");
    click(&mut app, wizard::id::INCOMING_STARTTLS);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "110");
    click(&mut app, wizard::id::INCOMING_IMAP);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "143");
    click(&mut app, wizard::id::INCOMING_NONE);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "143", "no encryption: the plain port");
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
    // Clearing the typed port makes it follow again.
    type_into(&mut app, wizard::id::INCOMING_PORT, 5, "");
    click(&mut app, wizard::id::INCOMING_IMAP);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "993");
}

#[test]
fn no_encryption_shows_a_warning() {
    let mut app = manual(unused_profile(), Secrets::in_memory());
    assert!(!shows(&app, wizard::UNENCRYPTED_WARNING));
    click(&mut app, wizard::id::OUTGOING_NONE);
    assert!(shows(&app, wizard::UNENCRYPTED_WARNING));
    assert_eq!(value(&app, wizard::id::OUTGOING_PORT), "587");
    click(&mut app, wizard::id::OUTGOING_STARTTLS);
    assert!(!shows(&app, wizard::UNENCRYPTED_WARNING));
}

#[test]
fn testing_an_empty_form_shows_what_to_fix_next_to_each_field() {
    let mut app = manual(unused_profile(), Secrets::in_memory());
    click(&mut app, wizard::id::TEST);
    assert_eq!(wizard(&app).step_name(), "review", "nothing is tested");
    for error in [
        "Give the account a name, e.g. Work.",
        "Enter an email address like alice@example.com.",
        "Enter the password.",
        "Enter the server's host name, e.g. mail.example.com.",
        "Enter the user name (often the email address).",
    ] {
        assert!(shows(&app, error), "{error:?} is not shown");
    }
    // Errors go away as the fields are fixed.
    type_into(&mut app, wizard::id::PASSWORD, 0, "x");
    assert!(!shows(&app, "Enter the password."));
    assert!(shows(&app, "Enter an email address like alice@example.com."));
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, "imaps://mail.example.test");
    assert!(shows(&app, "Enter only the host name: no spaces, scheme, path or port."));
}

#[test]
fn a_failed_test_can_be_saved_anyway_the_password_only_in_the_secret_store() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let secrets = Secrets::in_memory();
    let mut app = manual(profile.clone(), secrets.clone());
    let (incoming, _) = fill_in(&mut app);
    type_into(&mut app, wizard::id::SENDER_NAME, 0, " Alice Example ");
    click(&mut app, wizard::id::INCOMING_POP3);
    replace(&mut app, wizard::id::INCOMING_PORT, &incoming.to_string());
    type_into(&mut app, wizard::id::INCOMING_CA_FILE, 0, "/etc/ssl/company-ca.pem");

    click(&mut app, wizard::id::TEST);
    assert!(!has(&app, wizard::id::SAVE), "no plain Save after a failed test");
    assert!(shows(&app, "The test found a problem."));
    click(&mut app, wizard::id::SAVE_ANYWAY);

    assert!(matches!(app.screen(), Screen::Accounts(_)), "saved, back to the overview");
    assert!(shows(&app, "Added “Work”."));
    assert!(shows(&app, &format!("127.0.0.1:{incoming}")));

    let config = Config::load(&profile).unwrap();
    assert_eq!(config.accounts.len(), 1);
    let account = &config.accounts[0];
    assert_eq!((account.name.as_str(), account.email.as_str()), ("Work", "alice@example.test"));
    assert_eq!(account.sender_name.as_deref(), Some("Alice Example"), "the person's name, for From");
    assert_eq!(account.incoming_protocol, Incoming::Pop3);
    assert_eq!((account.incoming.port, account.incoming.security), (incoming, Security::Implicit));
    assert_eq!(account.outgoing.security, Security::StartTls);
    assert_eq!(account.incoming.user, "alice@example.test");
    assert_eq!(
        account.incoming.trust.ca_file.as_deref(),
        Some(std::path::Path::new("/etc/ssl/company-ca.pem"))
    );

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
    let mut app = manual(profile.clone(), secrets.clone());
    fill_in(&mut app);
    test_and_save_anyway(&mut app);
    assert!(shows(&app, "No secret service is reachable"));
    assert!(shows(&app, "Keep for this session"));

    // "Cancel" goes back to the test's results, nothing written.
    click(&mut app, wizard::id::BACK_TO_FORM);
    assert_eq!(wizard(&app).step_name(), "testing");
    assert!(has(&app, wizard::id::SAVE_ANYWAY));
    assert!(!profile.config_file().exists());

    click(&mut app, wizard::id::SAVE_ANYWAY);
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
    let mut app = manual(profile.clone(), secrets.clone());
    fill_in(&mut app);
    test_and_save_anyway(&mut app);
    click(&mut app, tidings::screen::accounts::ADD_ACCOUNT);
    click(&mut app, wizard::id::MANUAL);
    fill_in(&mut app);
    test_and_save_anyway(&mut app);

    assert_eq!(wizard(&app).step_name(), "review", "back to the form to change the name");
    assert!(shows(&app, "An account named \"Work\" already exists. Fix the account settings and try again."));
    assert_eq!(value(&app, wizard::id::EMAIL), "alice@example.test");
    assert_eq!(Config::load(&profile).unwrap().accounts.len(), 1);
}

#[test]
fn cancel_goes_back_to_the_welcome_screen_from_any_step() {
    for step in [None, Some(wizard::id::MANUAL)] {
        let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
        type_into(&mut app, wizard::id::NAME, 0, "Work");
        if let Some(step) = step {
            click(&mut app, step);
        }
        click(&mut app, wizard::id::CANCEL);
        assert!(matches!(app.screen(), Screen::Welcome(_)));
    }
}

#[test]
fn snapshots_of_the_wizard() {
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "wizard-account-light");
    identity(&mut app, "Work", "alice@example.test", PASSWORD);
    let _ = app.update(Message::SystemTheme(Mode::Dark));
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "wizard-account-dark");
    let _ = app.update(Message::SystemTheme(Mode::Light));

    click(&mut app, wizard::id::MANUAL);
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, "imap.example.test");
    click(&mut app, wizard::id::INCOMING_NONE);
    click(&mut app, wizard::id::TEST);
    let _ = app.update(Message::SystemTheme(Mode::Dark));
    assert_snapshot(&mut sized(&app, 1000.0), &app.theme(), "wizard-review-errors-dark");

    let _ = app.update(Message::SystemTheme(Mode::Light));
    type_into(&mut app, wizard::id::OUTGOING_HOST, 0, "smtp.example.test");
    click(&mut app, wizard::id::INCOMING_SSL);
    assert_snapshot(&mut sized(&app, 1000.0), &app.theme(), "wizard-review-light");

    // The no-secret-service question, as the app shows it after a save.
    let _ = app.update(Message::Wizard(wizard::Message::Test));
    let run = wizard(&app).run_id();
    for side in [wizard::Side::Incoming, wizard::Side::Outgoing] {
        let _ = app.update(Message::Wizard(wizard::Message::Check(
            run,
            wizard::Progress::Finished(side, Box::new(failed_check())),
        )));
    }
    let _ = app.update(Message::Wizard(wizard::Message::SaveAnyway));
    let _ = app.update(Message::Saved(Err(SaveError::NoSecretService(Error::new(
        Kind::Storage,
        "no secret service is reachable (org.freedesktop.secrets was not provided)",
    )))));
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "no-secret-service-light");
}

fn failed_check() -> tidings_mail::check::ServerCheck {
    let error = Error::new(Kind::Network, "cannot connect to imap.example.test:993");
    tidings_mail::check::ServerCheck {
        protocol: tidings_mail::account::Protocol::Imap,
        host: "imap.example.test".into(),
        port: 993,
        security: Security::Implicit,
        ok: false,
        stages: Vec::new(),
        facts: Default::default(),
        error: Some((&error).into()),
        error_value: Some(error),
        transcript: Vec::new(),
    }
}
