//! Headless UI flows (iced_test) for the accounts overview's switch "Show a notification when
//! new mail arrives": written to the config file, followed at once by the accounts' shared
//! notifier (the app's `Passes`) with no account task restarted, read from the config at
//! start, said next to each account's own switch while off, and put back as it was when the
//! config cannot be written.
//!
//! `ICED_TEST_BACKEND=tiny-skia scripts/with-keyring cargo test -p tidings --test gui_accounts`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "gui_wizard_helpers/mod.rs"]
mod helpers;

use std::time::SystemTime;

use common::{assert_snapshot, settle};
use helpers::*;
use tokio::sync::mpsc;

use tidings::app::{App, Message, Screen};
use tidings::passes::{Event, What};
use tidings::screen::{accounts, settings};
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

const OFF_FOR_ALL: &str = "Notifications are off for all accounts (on the accounts overview).";

fn account(name: &str) -> Account {
    let server = |host: &str, port, security| Server {
        host: host.into(),
        port,
        security,
        user: "alice@example.test".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    Account::new(
        String::new(),
        name.into(),
        "alice@example.test".into(),
        Incoming::Imap,
        server("imap.example.test", 993, Security::Implicit),
        server("smtp.example.test", 587, Security::StartTls),
    )
}

fn config_with(names: &[&str], notifications: bool) -> Config {
    let mut config = Config { notifications, ..Config::default() };
    for name in names {
        config.add_account(account(name)).unwrap();
    }
    config
}

/// The account's task is running: its commands arrive on the receiver.
fn ready(app: &mut App, account: &str) -> mpsc::Receiver<tidings_mail::schedule::Command> {
    let (tx, rx) = mpsc::channel(8);
    let event = Event { account: account.into(), at: SystemTime::UNIX_EPOCH, what: What::Ready(tx) };
    settle(app, vec![Message::Pass(event)]);
    rx
}

#[test]
fn the_switch_is_written_and_the_notifier_follows_without_restarting_any_account() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let config = config_with(&["Work", "Home"], true);
    config.save(&profile).unwrap();
    let mut app = App::with_config(profile.clone(), Secrets::in_memory(), config);
    let mut work = ready(&mut app, "work");
    let mut home = ready(&mut app, "home");
    assert!(shows(&app, "Show a notification when new mail arrives"));
    assert!(app.passes().notifications(), "on by default");

    click(&mut app, accounts::NOTIFICATIONS);
    assert!(!Config::load(&profile).unwrap().notifications, "written to the config file");
    assert!(!app.config().notifications);
    assert!(!app.passes().notifications(), "the notifier follows at once");
    for (id, rx) in [("work", &mut work), ("home", &mut home)] {
        assert!(app.passes().is_running(id), "{id}'s task still runs");
        assert_eq!(app.passes().generation(id), 0, "{id}'s task was not started anew");
        assert!(rx.try_recv().is_err(), "{id}'s task was sent nothing");
    }
    // Everything else in the config stays as it was.
    let written = Config::load(&profile).unwrap();
    assert_eq!(written.accounts, app.config().accounts);

    // Each account keeps its own switch, which says that all are off.
    click(&mut app, accounts::settings_id("work"));
    assert!(has(&app, settings::id::NOTIFY));
    assert!(shows(&app, OFF_FOR_ALL), "{:?}", texts(&app));
    // An account's settings saved meanwhile keep the global switch off.
    click(&mut app, settings::id::BODY_PLAIN);
    click(&mut app, settings::id::SAVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    assert!(!Config::load(&profile).unwrap().notifications);

    click(&mut app, accounts::NOTIFICATIONS);
    assert!(Config::load(&profile).unwrap().notifications);
    assert!(app.passes().notifications());
    assert!(app.passes().is_running("work") && app.passes().is_running("home"));
    click(&mut app, accounts::settings_id("work"));
    assert!(!shows(&app, OFF_FOR_ALL));
}

#[test]
fn at_start_the_switch_is_read_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    config_with(&["Work"], false).save(&profile).unwrap();
    let app = App::with_config(profile.clone(), Secrets::in_memory(), Config::load(&profile).unwrap());
    assert!(!app.passes().notifications(), "the notifier starts off");
    assert!(!app.config().notifications);
    let mut app = app;
    click(&mut app, accounts::settings_id("work"));
    assert!(shows(&app, OFF_FOR_ALL));
}

#[test]
fn snapshot_of_the_settings_while_notifications_are_off_for_all() {
    // A profile that is never touched: the paths shown stay the same.
    let profile = Profile::at("/home/alice/.tidings-example");
    let mut app = App::with_config(profile, Secrets::in_memory(), config_with(&["Work"], false));
    click(&mut app, accounts::settings_id("work"));
    assert_snapshot(&mut sized(&app, 1820.0), &app.theme(), "settings-notifications-off-light");
}

#[test]
fn a_switch_that_cannot_be_written_goes_back_and_says_why() {
    // The profile directory cannot be made: a file is where its parent should be.
    let file = tempfile::NamedTempFile::new().unwrap();
    let profile = Profile::at(file.path().join("profile"));
    let mut app = App::with_config(profile, Secrets::in_memory(), config_with(&["Work"], true));
    let mut work = ready(&mut app, "work");

    click(&mut app, accounts::NOTIFICATIONS);
    let notice = text_starting(&app, "The notifications setting was not saved").unwrap_or_else(|| {
        panic!("no notice: {:?}", texts(&app));
    });
    assert!(notice.contains(&file.path().display().to_string()), "says where: {notice}");
    assert!(app.config().notifications, "the switch is back on");
    assert!(app.passes().notifications(), "and so is the notifier");
    assert!(app.passes().is_running("work") && work.try_recv().is_err());

    // It can be tried again.
    click(&mut app, accounts::NOTIFICATIONS);
    assert!(text_starting(&app, "The notifications setting was not saved").is_some());
    assert!(app.config().notifications);
}
