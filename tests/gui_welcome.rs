//! Headless UI flows (iced_test) for starting Tidings: loading the configuration, the welcome
//! screen, the accounts overview and the theme that follows the desktop.
//!
//! Snapshot tests are pinned to the CPU renderer, whose output is the same on every machine:
//! run them with `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_welcome`.
//! The hashes live in `tests/snapshots/` and are committed. To look at the images, also set
//! `TIDINGS_SNAPSHOT_PNG=some/empty/dir`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_snapshot, run, settle};

use iced::theme::Mode;
use iced_test::selector::id;
use iced_test::simulator;

use tidings::app::{App, Message, Screen};
use tidings::screen::{accounts, welcome, wizard};
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

fn account(name: &str, email: &str) -> Account {
    let server = |host: &str, port, security| Server {
        host: host.into(),
        port,
        security,
        user: email.into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    Account::new(
        String::new(),
        name.into(),
        email.into(),
        Incoming::Imap,
        server("imap.example.test", 993, Security::Implicit),
        server("smtp.example.test", 587, Security::StartTls),
    )
}

fn config_with_accounts() -> Config {
    let mut config = Config::default();
    config.add_account(account("Work", "alice@example.test")).unwrap();
    let mut home = account("Home", "alice@home.test");
    home.incoming_protocol = Incoming::Pop3;
    home.incoming.host = "pop.home.test".into();
    home.incoming.port = 110;
    home.incoming.security = Security::StartTls;
    config.add_account(home).unwrap();
    config
}

/// A profile that is never read: the config is handed over directly.
fn unused_profile() -> Profile {
    Profile::at("/nonexistent/tidings-test-profile")
}

#[test]
fn boot_reads_the_config_off_the_ui_thread_and_welcomes_a_new_user() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, boot) = App::new(Profile::at(dir.path()), Secrets::in_memory());
    assert!(matches!(app.screen(), Screen::Loading));
    assert!(simulator(app.view()).find("Reading your settings…").is_ok());

    settle(&mut app, run(boot));

    assert!(matches!(app.screen(), Screen::Welcome(_)));
    let mut ui = simulator(app.view());
    assert!(ui.find("Welcome to Tidings").is_ok());
    assert!(ui.find("Add an account").is_ok());
}

#[test]
fn boot_with_accounts_shows_the_overview() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    config_with_accounts().save(&profile).unwrap();

    let (mut app, boot) = App::new(profile, Secrets::in_memory());
    settle(&mut app, run(boot));

    assert!(matches!(app.screen(), Screen::Accounts(_)));
    assert_eq!(app.config().accounts.len(), 2);
}

#[test]
fn an_unreadable_config_is_explained_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    std::fs::create_dir_all(profile.config_dir()).unwrap();
    std::fs::write(profile.config_file(), "version = 99\n").unwrap();

    let (mut app, boot) = App::new(profile.clone(), Secrets::in_memory());
    settle(&mut app, run(boot));

    assert!(matches!(app.screen(), Screen::LoadFailed(_)));
    {
        let mut ui = simulator(app.view());
        assert!(ui.find("Tidings cannot read its settings").is_ok());
        assert!(ui.find("Try again").is_ok());
    }
    assert_eq!(std::fs::read_to_string(profile.config_file()).unwrap(), "version = 99\n");

    // Fixed by hand, then "Try again" reads it anew.
    std::fs::write(profile.config_file(), "version = 1\n").unwrap();
    let mut ui = simulator(app.view());
    ui.click(id(tidings::screen::loading::RETRY)).unwrap();
    let messages = ui.into_messages().collect();
    settle(&mut app, messages);
    assert!(matches!(app.screen(), Screen::Welcome(_)));
}

#[test]
fn add_an_account_opens_the_wizard() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    let mut ui = simulator(app.view());
    ui.click(id(welcome::ADD_ACCOUNT)).unwrap();
    let messages = ui.into_messages().collect();
    settle(&mut app, messages);

    assert!(matches!(app.screen(), Screen::Wizard(_)));
    let mut ui = simulator(app.view());
    assert!(ui.find("New account").is_ok());
    assert!(ui.find(id(wizard::id::NAME)).is_ok());
    assert!(ui.find("Welcome to Tidings").is_err());
}

#[test]
fn the_overview_lists_each_account_and_adds_more() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), config_with_accounts());
    let mut ui = simulator(app.view());
    for shown in [
        "Work",
        "alice@example.test",
        "imap.example.test:993",
        "smtp.example.test:587",
        "Home",
        "POP3",
        "pop.home.test:110",
        "Check it from a terminal: tidings account test home",
    ] {
        assert!(ui.find(shown).is_ok(), "{shown:?} is not shown");
    }
    assert!(ui.find("STARTTLS").is_ok() && ui.find("SSL/TLS").is_ok());

    ui.click(id(accounts::ADD_ACCOUNT)).unwrap();
    let messages = ui.into_messages().collect();
    settle(&mut app, messages);
    assert!(matches!(app.screen(), Screen::Wizard(_)));
}

#[test]
fn the_theme_follows_the_desktop_and_defaults_to_light() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    assert!(!tidings::theme::is_dark(&app.theme()));
    let _ = app.update(Message::SystemTheme(Mode::Dark));
    assert!(tidings::theme::is_dark(&app.theme()));
    let _ = app.update(Message::SystemTheme(Mode::None));
    assert!(!tidings::theme::is_dark(&app.theme()));
}

#[test]
fn snapshots_of_the_welcome_screen() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "welcome-light");
    let _ = app.update(Message::SystemTheme(Mode::Dark));
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "welcome-dark");
}

#[test]
fn snapshots_of_the_accounts_overview() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), config_with_accounts());
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "accounts-light");
    let _ = app.update(Message::SystemTheme(Mode::Dark));
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "accounts-dark");
}
