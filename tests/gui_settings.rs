//! Headless UI flows (iced_test) for an account's settings: opened from the overview, options
//! changed and saved (then read back from the config file), the folders IMAP IDLE watches,
//! the POP3 options only for POP3,
//! the schedule's warning, a new password going to the keyring, validation, removing an
//! account after a question that says what will be deleted, and the preview of the next POP3
//! receive against the testkit's Dovecot.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_settings`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "gui_wizard_helpers/mod.rs"]
mod helpers;

use common::assert_snapshot;
use helpers::*;

use iced::theme::Mode;

use tidings::app::{App, Message, Screen};
use tidings::screen::settings::identities;
use tidings::screen::settings::{self, Settings};
use tidings::screen::{accounts, wizard};
use tidings_mail::account::{Account, AuthMethod, Identity, Incoming, SecretRole, Security, Server, Trust};
use tidings_mail::auth::Credential;
use tidings_mail::config::Config;
use tidings_mail::net::Transcript;
use tidings_mail::options::{BodyFormat, IdleFolders, KeepOffline, MinTls, Pop3Options, ReceiptPolicy};
use tidings_mail::pop3::{self, PlanItem, Pop3Plan, Pop3Target, Reason};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Store, StoreHandle};

fn account(name: &str, protocol: Incoming) -> Account {
    let server = |host: &str, port, security| Server {
        host: host.into(),
        port,
        security,
        user: "alice@example.test".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    let incoming = match protocol {
        Incoming::Imap => server("imap.example.test", 993, Security::Implicit),
        Incoming::Pop3 => server("pop.example.test", 995, Security::Implicit),
    };
    let outgoing = server("smtp.example.test", 587, Security::StartTls);
    Account::new(String::new(), name.into(), "alice@example.test".into(), protocol, incoming, outgoing)
}

/// A profile on disk with these accounts, their passwords in the in-memory keyring.
fn profile_with(accounts: Vec<Account>) -> (tempfile::TempDir, Profile, Secrets, Config) {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let secrets = Secrets::in_memory();
    let mut config = Config::default();
    for account in accounts {
        let id = config.add_account(account).unwrap().id.clone();
        secrets.set(&id, SecretRole::Incoming, "old password").unwrap();
    }
    config.save(&profile).unwrap();
    (dir, profile, secrets, config)
}

fn open(profile: Profile, secrets: Secrets, config: Config, id: &str) -> App {
    let mut app = App::with_config(profile, secrets, config);
    click(&mut app, accounts::settings_id(id));
    assert!(matches!(app.screen(), Screen::Settings(_)), "the settings are shown");
    app
}

fn settings(app: &App) -> &Settings {
    match app.screen() {
        Screen::Settings(settings) => settings,
        _ => panic!("the settings are not shown"),
    }
}

#[test]
fn options_changed_and_saved_are_read_back_from_the_config_file() {
    let (_dir, profile, secrets, config) = profile_with(vec![account("Work", Incoming::Imap)]);
    let mut app = open(profile.clone(), secrets.clone(), config, "work");
    assert!(shows(&app, "Settings of “Work”"));
    assert_eq!(value(&app, wizard::id::INCOMING_HOST), "imap.example.test");
    assert_eq!(value(&app, wizard::id::EMAIL), "alice@example.test");
    assert!(has(&app, settings::id::IDLE), "IDLE is an IMAP option");
    assert!(!has(&app, settings::id::LEAVE_ON_SERVER), "no POP3 options for an IMAP account");
    assert!(!has(&app, "settings-receipts-never"));

    replace(&mut app, wizard::id::NAME, "Office");
    click(&mut app, settings::id::AT_START);
    click(&mut app, settings::id::ONLY_WHEN_ASKED);
    assert!(!has(&app, settings::id::EVERY_MINUTES), "no minutes when only asked");
    click(&mut app, settings::id::IDLE);
    click(&mut app, settings::id::BODY_PLAIN);
    click(&mut app, settings::id::TLS_13);
    click(&mut app, settings::id::NOTIFY);
    click(&mut app, settings::id::LOG_TRANSCRIPT);
    replace(&mut app, wizard::id::OUTGOING_PORT, "2587");
    click(&mut app, settings::id::SAVE);

    assert!(matches!(app.screen(), Screen::Accounts(_)));
    assert!(shows(&app, "Saved the settings of “Office”."));
    let config = Config::load(&profile).unwrap();
    let saved = &config.accounts[0];
    assert_eq!((saved.id.as_str(), saved.name.as_str()), ("work", "Office"), "the id stays");
    let o = saved.options;
    assert!(!o.schedule.at_start && o.schedule.every_minutes.is_none());
    assert!(!o.idle && !o.notify);
    assert_eq!((o.body_format, o.min_tls), (BodyFormat::PlainText, MinTls::Tls13));
    // Not offered until it does something (receipts: the invitations issue), and not
    // touched here: the stored values stay as they were.
    assert_eq!(o.keep_offline, KeepOffline::Off);
    assert_eq!(o.read_receipts, ReceiptPolicy::Ask);

    assert!(saved.log_transcript);
    assert_eq!(saved.outgoing.port, 2587);
    assert_eq!(
        secrets.get("work", SecretRole::Incoming).unwrap().as_deref(),
        Some("old password"),
        "unchanged"
    );

    // Opened again, it shows what was saved.
    click(&mut app, accounts::settings_id("work"));
    assert_eq!(settings(&app).options().options, o);
    assert_eq!(value(&app, wizard::id::NAME), "Office");
}

#[test]
fn keep_offline_for_imap_is_chosen_saved_and_read_back_and_pop3_says_its_bodies_are_here() {
    let accounts = vec![account("Work", Incoming::Imap), account("Home", Incoming::Pop3)];
    let (_dir, profile, secrets, config) = profile_with(accounts);
    let mut app = open(profile.clone(), secrets, config, "work");
    assert!(shows(&app, "Keep mail offline"));
    click(&mut app, settings::id::OFFLINE_ALL);
    click(&mut app, settings::id::SAVE);
    assert_eq!(Config::load(&profile).unwrap().accounts[0].options.keep_offline, KeepOffline::All);

    click(&mut app, accounts::settings_id("work"));
    click(&mut app, settings::id::OFFLINE_DAYS);
    assert_eq!(value(&app, settings::id::OFFLINE_DAYS_NUMBER), "30");
    replace(&mut app, settings::id::OFFLINE_DAYS_NUMBER, "");
    click(&mut app, settings::id::SAVE);
    assert!(shows(&app, "Enter how many days of mail to keep offline (1 or more)."));
    replace(&mut app, settings::id::OFFLINE_DAYS_NUMBER, "7");
    click(&mut app, settings::id::SAVE);
    assert_eq!(Config::load(&profile).unwrap().accounts[0].options.keep_offline, KeepOffline::Days(7));
    // Opened again, it shows what was saved.
    click(&mut app, accounts::settings_id("work"));
    assert_eq!(settings(&app).options().options.keep_offline, KeepOffline::Days(7));
    assert_eq!(value(&app, settings::id::OFFLINE_DAYS_NUMBER), "7");
    click(&mut app, settings::id::OFFLINE_OFF);
    click(&mut app, settings::id::SAVE);
    assert_eq!(Config::load(&profile).unwrap().accounts[0].options.keep_offline, KeepOffline::Off);

    click(&mut app, accounts::settings_id("home"));
    assert!(!has(&app, settings::id::OFFLINE_ALL), "no choice for POP3");
    assert!(shows(&app, "POP3 downloads every message whole: all of them are already on this computer."));
}

#[test]
fn your_name_and_other_addresses_are_saved_and_read_back_from_the_config_file() {
    let (_dir, profile, secrets, config) = profile_with(vec![account("Work", Incoming::Imap)]);
    let mut app = open(profile.clone(), secrets, config, "work");
    assert!(shows(&app, "None: messages go out from the account's address only."));
    replace(&mut app, wizard::id::SENDER_NAME, "Alice Example");
    click(&mut app, settings::id::ADD_IDENTITY);
    click(&mut app, settings::id::ADD_IDENTITY);
    click(&mut app, settings::id::ADD_IDENTITY);
    type_into(&mut app, &identities::name_id(0), 0, "Sales");
    type_into(&mut app, &identities::email_id(0), 0, "sales");
    type_into(&mut app, &identities::email_id(1), 0, "help@example.test");

    // Not an address: shown on its row, nothing saved.
    click(&mut app, settings::id::SAVE);
    assert!(matches!(app.screen(), Screen::Settings(_)), "still editing");
    assert!(shows(&app, "Enter an address like sales@example.com."));
    let on_disk = &Config::load(&profile).unwrap().accounts[0];
    assert!(on_disk.sender_name.is_none() && on_disk.identities.is_empty(), "nothing saved");
    // Fixed as it is typed; the blank third row is dropped.
    type_into(&mut app, &identities::email_id(0), 0, "@example.test");
    assert!(!shows(&app, "Enter an address like sales@example.com."));
    click(&mut app, settings::id::SAVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    let sales = Identity { name: Some("Sales".into()), email: "sales@example.test".into() };
    let help = Identity { name: None, email: "help@example.test".into() };
    let saved = &Config::load(&profile).unwrap().accounts[0];
    assert_eq!(saved.sender_name.as_deref(), Some("Alice Example"));
    assert_eq!(saved.identities, [sales.clone(), help.clone()]);

    // Opened again it shows them; saving something else keeps them; a row removed goes.
    click(&mut app, accounts::settings_id("work"));
    assert_eq!(value(&app, wizard::id::SENDER_NAME), "Alice Example");
    assert_eq!(value(&app, &identities::email_id(1)), "help@example.test");
    click(&mut app, settings::id::LOG_TRANSCRIPT);
    click(&mut app, settings::id::SAVE);
    assert_eq!(Config::load(&profile).unwrap().accounts[0].identities, [sales, help.clone()]);
    click(&mut app, accounts::settings_id("work"));
    click(&mut app, identities::remove_id(0));
    click(&mut app, settings::id::SAVE);
    assert_eq!(Config::load(&profile).unwrap().accounts[0].identities, [help]);
}

#[test]
fn senders_trusted_with_remote_content_are_listed_kept_and_removed() {
    let mut work = account("Work", Incoming::Imap);
    work.remote_content_from = vec!["ruth@example.test".into(), "news@example.org".into()];
    let (_dir, profile, secrets, config) = profile_with(vec![work]);
    let mut app = open(profile.clone(), secrets, config, "work");
    assert!(shows(&app, "Remote images are shown without asking in mail from:"));
    assert!(shows(&app, "ruth@example.test") && shows(&app, "news@example.org"));
    // Saving other settings keeps the list…
    click(&mut app, settings::id::LOG_TRANSCRIPT);
    click(&mut app, settings::id::SAVE);
    assert_eq!(
        Config::load(&profile).unwrap().accounts[0].remote_content_from,
        ["ruth@example.test", "news@example.org"]
    );
    // …and Remove takes a sender off it once saved.
    click(&mut app, accounts::settings_id("work"));
    click(&mut app, settings::id::forget_remote_sender(0));
    assert!(!shows(&app, "ruth@example.test"));
    click(&mut app, settings::id::SAVE);
    assert_eq!(Config::load(&profile).unwrap().accounts[0].remote_content_from, ["news@example.org"]);
    click(&mut app, accounts::settings_id("work"));
    click(&mut app, settings::id::forget_remote_sender(0));
    assert!(shows(
        &app,
        "Remote images are blocked in every message. The reader offers to show them, for one message or always for its sender."
    ));
    click(&mut app, settings::id::SAVE);
    assert!(Config::load(&profile).unwrap().accounts[0].remote_content_from.is_empty());
}

#[test]
fn the_folders_idle_watches_are_saved_and_read_back_from_the_config_file() {
    let (_dir, profile, secrets, config) = profile_with(vec![account("Work", Incoming::Imap)]);
    let mut app = open(profile.clone(), secrets, config, "work");
    assert!(shows(&app, "Get new mail at once (IMAP IDLE)"));
    assert_eq!(settings(&app).options().options.idle_folders, IdleFolders::Inbox, "INBOX only by default");
    for label in ["INBOX only", "INBOX and special folders", "INBOX and subscribed folders"] {
        assert!(shows(&app, label), "{label:?} is offered: {:?}", texts(&app));
    }
    let hint = text_starting(&app, "At most 5 folders are watched").unwrap();
    assert!(hint.contains("checked with STATUS"), "{hint}");

    click(&mut app, settings::id::IDLE_SPECIAL);
    click(&mut app, settings::id::SAVE);
    assert_eq!(Config::load(&profile).unwrap().accounts[0].options.idle_folders, IdleFolders::Special);

    // Opened again, it shows what was saved; the next choice is saved too.
    click(&mut app, accounts::settings_id("work"));
    assert_eq!(settings(&app).options().options.idle_folders, IdleFolders::Special);
    click(&mut app, settings::id::IDLE_SUBSCRIBED);
    click(&mut app, settings::id::SAVE);
    let saved = Config::load(&profile).unwrap().accounts[0].options;
    assert_eq!((saved.idle, saved.idle_folders), (true, IdleFolders::Subscribed));

    // IDLE off: which folders it watches is not asked, and the choice made is kept.
    click(&mut app, accounts::settings_id("work"));
    click(&mut app, settings::id::IDLE);
    assert!(!has(&app, settings::id::IDLE_INBOX));
    assert!(text_starting(&app, "At most 5 folders are watched").is_none());
    click(&mut app, settings::id::SAVE);
    let saved = Config::load(&profile).unwrap().accounts[0].options;
    assert_eq!((saved.idle, saved.idle_folders), (false, IdleFolders::Subscribed));
}

#[test]
fn checking_more_often_than_every_five_minutes_is_warned_about() {
    let (_dir, profile, secrets, config) = profile_with(vec![account("Work", Incoming::Imap)]);
    let mut app = open(profile.clone(), secrets, config, "work");
    assert_eq!(value(&app, settings::id::EVERY_MINUTES), "10");
    assert!(text_starting(&app, "Checking every").is_none());
    replace(&mut app, settings::id::EVERY_MINUTES, "3");
    let warning = text_starting(&app, "Checking every 3 minutes is very often");
    assert!(warning.is_some_and(|w| w.contains("Gmail asks for 10")), "{:?}", texts(&app));

    // An empty interval is refused where it is typed; nothing is written.
    type_into(&mut app, settings::id::EVERY_MINUTES, 1, "");
    click(&mut app, settings::id::SAVE);
    assert!(shows(&app, "Enter how many minutes between checks (1 or more)."));
    assert_eq!(Config::load(&profile).unwrap().accounts[0].options.schedule.every_minutes, Some(10));
    type_into(&mut app, settings::id::EVERY_MINUTES, 0, "3");
    click(&mut app, settings::id::SAVE);
    assert_eq!(Config::load(&profile).unwrap().accounts[0].options.schedule.every_minutes, Some(3));
}

#[test]
fn pop3_options_show_only_for_pop3_and_are_saved() {
    let (_dir, profile, secrets, config) = profile_with(vec![account("Home", Incoming::Imap)]);
    let mut app = open(profile.clone(), secrets, config, "home");
    click(&mut app, wizard::id::INCOMING_POP3);
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), "995");
    assert!(!has(&app, settings::id::IDLE), "IDLE is not a POP3 option");
    assert!(!has(&app, settings::id::IDLE_SPECIAL), "nor the folders it watches");
    assert!(text_starting(&app, "At most 5 folders are watched").is_none());
    assert!(shows(&app, "Leave a copy of each message on the server"));
    let pop3 = settings(&app).options().options.pop3;
    assert!(pop3.leave_on_server && pop3.delete_after_days.is_none(), "leave a copy: on; delete after: off");

    click(&mut app, settings::id::DELETE_AFTER);
    assert_eq!(value(&app, settings::id::DELETE_AFTER_DAYS), "7", "7 days when turned on");
    replace(&mut app, settings::id::DELETE_AFTER_DAYS, "14");
    click(&mut app, settings::id::DELETE_WHEN_DELETED_HERE);
    click(&mut app, settings::id::HEADERS_ONLY);
    click(&mut app, settings::id::SKIP_LARGE);
    assert_eq!(value(&app, settings::id::SKIP_OVER_KB), settings::DEFAULT_SKIP_KB.to_string());
    replace(&mut app, settings::id::SKIP_OVER_KB, "500");
    click(&mut app, settings::id::SAVE);

    let saved = &Config::load(&profile).unwrap().accounts[0];
    assert_eq!(saved.incoming_protocol, Incoming::Pop3);
    let pop3 = saved.options.pop3;
    assert!(pop3.leave_on_server && pop3.delete_when_deleted_locally && pop3.headers_only);
    assert_eq!((pop3.delete_after_days, pop3.skip_larger_than_kb), (Some(14), Some(500)));

    // Not leaving a copy makes deleting "after N days" meaningless: it cannot be changed then,
    // and the hint says what happens instead.
    click(&mut app, accounts::settings_id("home"));
    assert!(shows(&app, "Messages are deleted from the server that many days after they were downloaded."));
    click(&mut app, settings::id::LEAVE_ON_SERVER);
    let before = settings(&app).options().options.pop3.delete_after_days;
    click(&mut app, settings::id::DELETE_AFTER);
    assert_eq!(settings(&app).options().options.pop3.delete_after_days, before);
    assert!(shows(&app, "Each message is deleted from the server once it is downloaded."));
    assert!(!texts(&app).iter().any(|t| t.contains("stay on the server")), "{:?}", texts(&app));
}

#[test]
fn a_new_password_goes_to_the_keyring_and_bad_fields_are_refused() {
    let (_dir, profile, secrets, config) =
        profile_with(vec![account("Work", Incoming::Imap), account("Home", Incoming::Pop3)]);
    let mut app = open(profile.clone(), secrets.clone(), config, "work");
    assert_eq!(settings(&app).form().password, "", "the password is never shown");

    replace(&mut app, wizard::id::INCOMING_HOST, "");
    replace(&mut app, wizard::id::NAME, "Home");
    click(&mut app, settings::id::SAVE);
    assert!(shows(&app, "Enter the server's host name, e.g. mail.example.com."));
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, "imap.example.test");
    click(&mut app, settings::id::SAVE);
    assert!(shows(&app, "An account named \"Home\" already exists. Fix the account settings and try again."));
    replace(&mut app, wizard::id::NAME, "Work");

    type_into(&mut app, wizard::id::PASSWORD, 0, "new password");
    click(&mut app, settings::id::SAVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    assert_eq!(secrets.get("work", SecretRole::Incoming).unwrap().as_deref(), Some("new password"));
    assert_eq!(secrets.get("home", SecretRole::Incoming).unwrap().as_deref(), Some("old password"));
    let text = std::fs::read_to_string(profile.config_file()).unwrap();
    assert!(!text.contains("new password"), "{text}");
}

/// Back (or Cancel) with changes not saved asks first: keep editing, discard, or save. With
/// nothing changed it leaves at once.
#[test]
fn leaving_with_unsaved_changes_asks_first() {
    let (_dir, profile, secrets, config) = profile_with(vec![account("Work", Incoming::Pop3)]);
    let mut app = open(profile.clone(), secrets, config.clone(), "work");
    assert!(!settings(&app).has_changes(), "an account as opened has no changes");
    click(&mut app, settings::id::BACK);
    assert!(matches!(app.screen(), Screen::Accounts(_)), "nothing changed: straight back");

    click(&mut app, accounts::settings_id("work"));
    replace(&mut app, wizard::id::NAME, "Office");
    click(&mut app, settings::id::LEAVE_ON_SERVER);
    click(&mut app, settings::id::BACK);
    assert!(matches!(app.screen(), Screen::Settings(_)), "not left");
    assert!(shows(&app, "Save the changes to “Work”?"), "{:?}", texts(&app));
    click(&mut app, settings::id::KEEP_EDITING);
    assert_eq!(settings(&app).form().name, "Office", "the edits are still there");
    assert!(!settings(&app).options().options.pop3.leave_on_server);

    click(&mut app, settings::id::BACK);
    click(&mut app, settings::id::DISCARD_CHANGES);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    assert_eq!(Config::load(&profile).unwrap().accounts[0], config.accounts[0], "nothing written");

    click(&mut app, accounts::settings_id("work"));
    assert_eq!(settings(&app).form().name, "Work", "discarded");
    replace(&mut app, wizard::id::NAME, "Office");
    click(&mut app, settings::id::BACK);
    click(&mut app, settings::id::SAVE_AND_LEAVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)), "saved and left");
    assert_eq!(Config::load(&profile).unwrap().accounts[0].name, "Office");
}

#[test]
fn removing_asks_first_then_deletes_secrets_data_and_the_config_entry() {
    let (_dir, profile, secrets, config) =
        profile_with(vec![account("Work", Incoming::Imap), account("Home", Incoming::Pop3)]);
    for id in ["work", "home"] {
        let data = profile.account_data_dir(id);
        std::fs::create_dir_all(data.join("cur")).unwrap();
        std::fs::write(data.join("cur/1.eml"), "Subject: hi\r\n\r\nhello\r\n").unwrap();
    }
    std::fs::create_dir_all(profile.transcript_log("work").parent().unwrap()).unwrap();
    std::fs::write(profile.transcript_log("work"), "C: A1 LOGIN <redacted>\n").unwrap();
    let older_log = tidings_mail::net::rotated_log(&profile.transcript_log("work"));
    std::fs::write(&older_log, "C: A1 LOGIN <redacted>\n").unwrap();
    // Mail of both accounts in the profile's store.
    let stored = |key: &str| {
        let mut store = Store::open(profile.store_path()).unwrap();
        let a = store.account(key).unwrap();
        let inbox = store.pop3_setup(a).unwrap();
        store.list(inbox, tidings_mail::store::Sort::NEWEST, 0, 10).unwrap().len()
    };
    {
        let mut store = Store::open(profile.store_path()).unwrap();
        for key in ["work", "home"] {
            let a = store.account(key).unwrap();
            let inbox = store.pop3_setup(a).unwrap();
            let mut batch = tidings_mail::store::Pop3Batch::default();
            batch.push("u1", 20, b"Subject: hi\r\n\r\nhello\r\n", false);
            store.pop3_commit(a, inbox, batch, 1).unwrap();
        }
    }
    assert_eq!((stored("work"), stored("home")), (1, 1));
    let mut app = open(profile.clone(), secrets.clone(), config, "work");

    click(&mut app, settings::id::REMOVE);
    assert!(shows(&app, "Remove “Work”?"));
    let data_line =
        format!("· its downloaded mail and local data: {};", profile.account_data_dir("work").display());
    assert!(shows(&app, &data_line), "{:?}", texts(&app));
    assert!(shows(&app, "· its password in your desktop's secret service;"));
    assert!(shows(&app, "The mail on the server is not touched; you can add the account again later."));

    // "Keep the account" deletes nothing.
    click(&mut app, settings::id::KEEP_ACCOUNT);
    assert!(has(&app, settings::id::SAVE));
    assert!(profile.account_data_dir("work").exists());
    assert!(secrets.get("work", SecretRole::Incoming).unwrap().is_some());

    click(&mut app, settings::id::REMOVE);
    click(&mut app, settings::id::CONFIRM_REMOVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    assert!(shows(&app, "Removed “Work”."));
    assert_eq!(secrets.get("work", SecretRole::Incoming).unwrap(), None);
    assert!(!profile.account_data_dir("work").exists());
    assert!(!profile.transcript_log("work").exists() && !older_log.exists());
    let config = Config::load(&profile).unwrap();
    assert_eq!(config.accounts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["home"]);
    // Its mail is gone from the store (a new account by that name starts empty); the other
    // account is untouched.
    assert_eq!((stored("work"), stored("home")), (0, 1));
    assert!(profile.account_data_dir("home").join("cur/1.eml").exists());
    assert_eq!(secrets.get("home", SecretRole::Incoming).unwrap().as_deref(), Some("old password"));

    // The last account removed: back to the welcome screen.
    click(&mut app, accounts::settings_id("home"));
    click(&mut app, settings::id::REMOVE);
    click(&mut app, settings::id::CONFIRM_REMOVE);
    assert!(matches!(app.screen(), Screen::Welcome(_)));
    assert!(Config::load(&profile).unwrap().accounts.is_empty());
}

#[test]
fn snapshots_of_the_settings() {
    // A profile that is never touched: the paths in the removal question stay the same.
    let mut config = Config::default();
    config.add_account(account("Work", Incoming::Imap)).unwrap();
    let mut home = account("Home", Incoming::Pop3);
    home.sender_name = Some("Alice Example".into());
    home.identities = vec![
        Identity { name: Some("Alice at home".into()), email: "alice@home.example".into() },
        Identity { name: None, email: "not-an-address".into() },
    ];
    // Written straight into the config (the settings would refuse the second address).
    config.accounts.push(Account { id: "home".into(), ..home });
    let profile = Profile::at("/home/alice/.tidings-example");
    let app = open(profile.clone(), Secrets::in_memory(), config.clone(), "work");
    assert_snapshot(&mut sized(&app, 2000.0), &app.theme(), "settings-light");

    let mut app = open(profile, Secrets::in_memory(), config, "home");
    replace(&mut app, settings::id::EVERY_MINUTES, "2");
    click(&mut app, settings::id::DELETE_AFTER);
    // Saving shows what to fix: the address that is not one.
    click(&mut app, settings::id::SAVE);
    assert!(shows(&app, "Enter an address like sales@example.com."));
    let _ = app.update(Message::SystemTheme(Mode::Dark));
    assert_snapshot(&mut sized(&app, 2250.0), &app.theme(), "settings-pop3-dark");

    let _ = app.update(Message::SystemTheme(Mode::Light));
    click(&mut app, settings::id::REMOVE);
    assert_snapshot(&mut sized(&app, 768.0), &app.theme(), "settings-remove-light");
}

/// A POP3 account on the testkit's Dovecot (implicit TLS), its password in the keyring.
fn dovecot_pop3(
    s: &tidings_testkit::MailServers,
    user: &tidings_testkit::User,
) -> (tempfile::TempDir, Profile, Secrets, Config) {
    let mut a = account("Home", Incoming::Pop3);
    a.incoming.host = "127.0.0.1".into();
    a.incoming.port = s.pop3s_port();
    a.incoming.user = user.login.clone();
    a.incoming.trust.ca_file = Some(s.ca_path().to_path_buf());
    let (dir, profile, secrets, config) = profile_with(vec![a]);
    secrets.set("home", SecretRole::Incoming, &user.password).unwrap();
    (dir, profile, secrets, config)
}

/// The rows the preview shows: (number, what, why).
fn preview_rows(app: &App) -> Vec<(u32, &'static str, String)> {
    match settings(app).preview() {
        settings::preview::State::Done(plan) => {
            settings::preview::rows(plan).into_iter().map(|r| (r.number, r.action, r.why)).collect()
        }
        other => panic!("no preview shown: {other:?}"),
    }
}

#[test]
fn pop3_preview_shows_each_server_message_with_what_and_why_and_changes_nothing() {
    let s = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let alice = s.user("alice");
    s.seed(alice, 5).unwrap();
    let (dir, profile, secrets, config) = dovecot_pop3(&s, alice);
    // An earlier receive pass downloaded those five (into the profile's store, as the app would).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let target =
        Pop3Target::for_account(&config.accounts[0], Credential::password(&alice.login, &alice.password))
            .unwrap();
    runtime.block_on(async {
        let store =
            StoreHandle::spawn(Store::open(profile.data_dir().join("mail.sqlite3")).unwrap()).unwrap();
        let t = Transcript::new();
        let r = pop3::receive(
            &target,
            &Pop3Options::default(),
            &store,
            std::time::SystemTime::now(),
            &t,
            &pop3::no_progress,
        )
        .await
        .unwrap();
        assert_eq!(r.downloaded, 5);
    });
    s.seed(alice, 2).unwrap();

    let mut app = open(profile, secrets, config, "home");
    assert!(shows(&app, "Preview next receive"));
    click(&mut app, settings::id::PREVIEW);
    assert!(
        shows(&app, "7 messages on the server: 2 to download, 0 to delete, 5 to keep."),
        "{:?}",
        texts(&app)
    );
    let rows = preview_rows(&app);
    assert_eq!(rows.len(), 7);
    let downloads: Vec<u32> = rows.iter().filter(|r| r.1 == "Download").map(|r| r.0).collect();
    assert_eq!(downloads, [6, 7]);
    assert!(
        rows.iter().filter(|r| r.1 == "Keep").all(|r| r.2 == "downloaded today (a copy stays on the server)")
    );
    assert!(shows(&app, "downloaded today (a copy stays on the server)"));
    // The messages downloaded before are named by subject and sender, from the store; the
    // new ones are not known yet.
    let settings::preview::State::Done(plan) = settings(&app).preview() else { panic!("no preview") };
    let full = settings::preview::rows(plan);
    for r in &full {
        match r.action {
            "Keep" => {
                assert!(r.message.contains(" — ") && r.message.contains('@'), "{:?}", r.message);
                assert!(shows(&app, &r.message), "{:?} is not shown", r.message);
            }
            _ => assert_eq!(r.message, "", "{} is not stored here", r.number),
        }
    }

    // With "leave a copy" turned off (not saved yet), everything would go; the earlier
    // preview is gone as soon as the options change.
    click(&mut app, settings::id::LEAVE_ON_SERVER);
    assert_eq!(*settings(&app).preview(), settings::preview::State::Idle);
    click(&mut app, settings::id::PREVIEW);
    let rows = preview_rows(&app);
    let what: Vec<&str> = rows.iter().map(|r| r.1).collect();
    assert_eq!(
        what,
        ["Delete", "Delete", "Delete", "Delete", "Delete", "Download, then delete", "Download, then delete"]
    );
    assert_eq!(rows[0].2, "not leaving copies on the server");
    assert!(shows(&app, "new; not leaving copies on the server (deleted once downloaded)"));
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 7, "a preview deletes nothing");
    let saved = Config::load(&Profile::at(dir.path())).unwrap();
    assert!(saved.accounts[0].options.pop3.leave_on_server, "nor saves");

    // A wrong password typed in the form: said in plain words, with the server's own.
    type_into(&mut app, wizard::id::PASSWORD, 0, "not the password");
    click(&mut app, settings::id::PREVIEW);
    match settings(&app).preview() {
        settings::preview::State::Failed(why) => {
            assert!(why.starts_with("127.0.0.1 refused the login"), "{why}");
            assert!(why.contains("The server said: “-ERR"), "{why}");
            assert!(shows(&app, why));
        }
        other => panic!("no error shown: {other:?}"),
    }
}

#[test]
fn snapshot_of_a_pop3_preview() {
    let mut config = Config::default();
    config.add_account(account("Home", Incoming::Pop3)).unwrap();
    let profile = Profile::at("/home/alice/.tidings-example");
    let mut app = open(profile, Secrets::in_memory(), config, "home");
    // The request goes to the app (not run here: pop.example.test does not exist); the
    // answer is fed back as the task would.
    let messages = click_only(&app, settings::id::PREVIEW);
    for m in messages {
        let _ = app.update(m);
    }
    assert_eq!(*settings(&app).preview(), settings::preview::State::Running);
    assert!(shows(&app, "Asking the server…"));
    let item = |number: u32, size: u64, reason: Reason| PlanItem {
        number,
        uid: Some(format!("0000{number:04X}5f3a1c2b")),
        size,
        stored: (number <= 3).then(|| tidings_mail::store::Described {
            from: Some("Bob Stone <bob@example.test>".into()),
            subject: Some(format!("Minutes of meeting {number}")),
        }),
        reason,
    };
    let plan = Pop3Plan {
        server_messages: 5,
        server_bytes: 5 * 2048 + 40 * 1024 * 1024,
        uidl: true,
        download: vec![item(4, 3100, Reason::New)],
        skip: vec![item(5, 40 * 1024 * 1024, Reason::TooLarge { limit_kb: 1024 })],
        delete: vec![
            item(1, 1900, Reason::OlderThan { days: 7, age_days: 9 }),
            item(2, 2200, Reason::DeletedLocally),
        ],
        keep: vec![item(3, 1800, Reason::LeftOnServer { age_days: 2, delete_after_days: Some(7) })],
        unreadable: vec![],
    };
    let _ = app.update(Message::Settings(settings::Message::Previewed(Ok(Box::new(plan)))));
    assert!(shows(&app, "5 messages on the server: 1 to download, 2 to delete, 1 to keep, 1 to skip."));
    assert!(shows(&app, "first downloaded 9 days ago (delete after 7 days)"));
    assert_snapshot(&mut sized(&app, 2300.0), &app.theme(), "settings-pop3-preview-light");
}

#[test]
fn asking_for_read_receipts_in_new_messages_is_saved() {
    let (_dir, profile, secrets, config) = profile_with(vec![account("Work", Incoming::Imap)]);
    let mut app = open(profile.clone(), secrets, config, "work");
    assert!(!settings(&app).options().options.request_receipts, "off by default");
    click(&mut app, settings::id::REQUEST_RECEIPTS);
    click(&mut app, settings::id::SAVE);
    assert!(Config::load(&profile).unwrap().accounts[0].options.request_receipts);
}
