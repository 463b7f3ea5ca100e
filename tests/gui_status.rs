//! Headless UI flows (iced_test) for the accounts' send/receive as the window shows it: the
//! status bar's words for each state (checking with progress, downloading, sending, checked
//! with the next time, IDLE active, offline with the retry counting down), in the mailbox
//! and on the accounts overview; the commands that F5, Ctrl+T, Ctrl+Shift+T, "Get all mail"
//! and a settings change send to the accounts' tasks; new mail refreshing the list; and a
//! clicked notification opening its message.
//!
//! The app is driven with the messages its per-account subscription would produce (an
//! `Event` carrying the core's `AccountEvent`, stamped with a fixed time), so the words are
//! exact. `gui_mailbox` and `gui_mailbox_pop3` run the real task against the testkit's
//! servers.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_status`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime};

use common::{assert_snapshot, settle};

use iced::keyboard::{Key, Modifiers, key::Named};
use iced::theme::Mode;
use iced_test::Simulator;
use iced_test::selector::id;
use tokio::sync::mpsc::{self, Receiver};

use tidings::app::{App, Message, Screen};
use tidings::passes::{Event, What};
use tidings::screen::settings::store::Stored;
use tidings::screen::{accounts, mailbox};
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::idle::{IdleState, Mode as IdleMode};
use tidings_mail::pass::{AccountEvent, MessageRef, NewMail, OfflineProgress, PassPhase, PassProgress};
use tidings_mail::profile::Profile;
use tidings_mail::schedule::{self, Command, Reason, Schedule};
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Flags, FolderId, FolderInfo, NewMessage, Role, Store, Summary};

/// 2026-11-21 14:00 UTC plus `minutes`.
fn at(minutes: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_733_600 + minutes * 60)
}

fn account(id: &str, name: &str, incoming: Incoming) -> Account {
    let server = Server {
        host: "127.0.0.1".into(),
        port: 1,
        security: Security::Implicit,
        user: id.into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    Account::new(id.into(), name.into(), format!("{id}@example.test"), incoming, server.clone(), server)
}

struct Fixture {
    _dir: tempfile::TempDir,
    profile: Profile,
    store: Store,
    inbox: FolderId,
}

/// A profile whose store holds the "work" account's INBOX with three messages (bodies kept).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut store = Store::open(profile.data_dir().join("mail.sqlite3")).unwrap();
    let work = store.account("work").unwrap();
    let info = |name: &str, role| FolderInfo {
        name: name.into(),
        delimiter: Some("/".into()),
        role,
        subscribed: true,
        selectable: true,
    };
    let folders = store
        .replace_folders(work, &[info("INBOX", Some(Role::Inbox)), info("Trash", Some(Role::Trash))])
        .unwrap();
    let inbox = folders.iter().find(|f| f.name == "INBOX").unwrap().id;
    store.begin_folder(inbox, 7).unwrap();
    let messages: Vec<NewMessage> =
        (1..=3).map(|uid| message(uid, &format!("Earlier message {uid}"))).collect();
    store.insert_messages(inbox, 7, &messages).unwrap();
    for uid in 1..=3 {
        store.save_body(inbox, 7, uid, raw(&format!("Earlier message {uid}")).as_bytes()).unwrap();
    }
    Fixture { _dir: dir, profile, store, inbox }
}

fn message(uid: u32, subject: &str) -> NewMessage {
    let date = 1_763_700_000 + i64::from(uid) * 60;
    NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(Vec::<&str>::new()),
        size: 500,
        internal_date: Some(date),
        summary: Summary {
            date: Some(date),
            from_name: Some("Bob Stone".into()),
            from_addr: Some("bob@example.test".into()),
            subject: Some(subject.into()),
            ..Summary::default()
        },
        parse_error: None,
    }
}

fn raw(subject: &str) -> String {
    format!(
        "From: Bob Stone <bob@example.test>\r\nTo: work@example.test\r\nSubject: {subject}\r\n\
         Date: Fri, 21 Nov 2026 04:40:00 +0000\r\n\r\nThe text of {subject}.\r\n"
    )
}

/// The app on the overview with "work" (IMAP) and "home" (POP3); no task runs.
fn app(fx: &Fixture) -> App {
    let mut config = Config::default();
    config.add_account(account("work", "Work", Incoming::Imap)).unwrap();
    config.add_account(account("home", "Home", Incoming::Pop3)).unwrap();
    App::with_config(fx.profile.clone(), Secrets::in_memory(), config)
}

fn window(app: &App) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), (1280.0, 800.0), app.view())
}

fn texts(app: &App) -> Vec<String> {
    common::texts(window(app))
}

fn assert_shows(app: &App, text: &str) {
    let shown = texts(app);
    assert!(shown.iter().any(|t| t == text), "{text:?} is not shown: {shown:?}");
}

fn click(app: &mut App, widget: &str) {
    let mut ui = window(app);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

fn press(app: &mut App, key: Key, modifiers: Modifiers) {
    let action = mailbox::keys::action(&key, modifiers).unwrap_or_else(|| panic!("{key:?} is not bound"));
    settle(app, vec![Message::Mailbox(mailbox::Message::Key(action))]);
}

/// What the account's subscription reports, at a fixed time.
fn report(app: &mut App, account: &str, minutes: u64, event: AccountEvent) {
    let event = Event { account: account.into(), at: at(minutes), what: What::Account(event) };
    settle(app, vec![Message::Pass(event)]);
}

/// The account's task is running: its commands arrive here.
fn ready(app: &mut App, account: &str) -> Receiver<Command> {
    let (tx, rx) = mpsc::channel(8);
    settle(app, vec![Message::Pass(Event { account: account.into(), at: at(0), what: What::Ready(tx) })]);
    rx
}

fn commands(rx: &mut Receiver<Command>) -> Vec<Command> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

fn mailbox_of(app: &App) -> &mailbox::Mailbox {
    match app.screen() {
        Screen::Mailbox(mailbox) => mailbox,
        _ => panic!("the mailbox is not shown"),
    }
}

fn progress(
    phase: PassPhase,
    folder: Option<&str>,
    folders: (u64, u64),
    messages: (u64, u64),
    bytes: (u64, u64),
) -> PassProgress {
    PassProgress {
        phase,
        folder: folder.map(str::to_string),
        folders_done: folders.0,
        folders_total: folders.1,
        messages_done: messages.0,
        messages_total: messages.1,
        bytes_done: bytes.0,
        bytes_total: bytes.1,
    }
}

fn idle(
    mode: IdleMode,
    since: Option<SystemTime>,
    error: Option<&str>,
    retry_in: Option<Duration>,
) -> IdleState {
    IdleState {
        mode,
        folder: "INBOX".into(),
        idling_since: since,
        last_server_line: None,
        reconnects: 0,
        last_error: error.map(str::to_string),
        retry_in,
    }
}

#[test]
fn mail_kept_offline_shows_its_count_between_checks_until_it_is_done() {
    let fx = fixture();
    let mut app = app(&fx);
    click(&mut app, &accounts::open_mailbox_id("work"));
    let finished = schedule::Event::PassFinished {
        ok: true,
        error: None,
        kind: None,
        next: Some(Duration::from_secs(600)),
    };
    report(&mut app, "work", 2, AccountEvent::Schedule(finished.clone()));
    let keeping = |done, finished| {
        AccountEvent::KeepingOffline(OfflineProgress { done, total: 10_000, finished, error: None })
    };
    report(&mut app, "work", 2, keeping(1_234, false));
    assert_shows(&app, "Keeping mail offline: 1,234 of 10,000 · Checked 14:02 · next at 14:12 (UTC)");
    // A check stops the download; it goes on after the check.
    report(&mut app, "work", 3, AccountEvent::Schedule(schedule::Event::PassStarted(Reason::Manual)));
    report(&mut app, "work", 3, keeping(1_300, true));
    assert_shows(&app, "Checking for new mail…");
    report(&mut app, "work", 3, AccountEvent::Schedule(finished));
    assert_shows(&app, "Checked 14:03 · next at 14:13 (UTC)");
    report(&mut app, "work", 3, keeping(1_300, false));
    assert_shows(&app, "Keeping mail offline: 1,300 of 10,000 · Checked 14:03 · next at 14:13 (UTC)");
    report(&mut app, "work", 4, keeping(10_000, true));
    assert_shows(&app, "Checked 14:03 · next at 14:13 (UTC)");
}

#[test]
fn the_status_bar_says_what_each_account_is_doing() {
    let fx = fixture();
    let mut app = app(&fx);
    // Before any report: nothing has been checked since Tidings started.
    assert_shows(&app, "Not checked yet");
    click(&mut app, &accounts::open_mailbox_id("work"));
    assert_shows(&app, "Not checked yet");

    report(&mut app, "work", 0, AccountEvent::Schedule(schedule::Event::PassStarted(Reason::Start)));
    assert_shows(&app, "Checking for new mail…");
    assert_shows(&app, "Getting mail…");
    report(
        &mut app,
        "work",
        0,
        AccountEvent::Checking(progress(PassPhase::Connecting, None, (0, 0), (0, 0), (0, 0))),
    );
    assert_shows(&app, "Connecting…");
    report(
        &mut app,
        "work",
        1,
        AccountEvent::Checking(progress(
            PassPhase::Checking,
            Some("INBOX"),
            (0, 5),
            (400, 1000),
            (1_200_000, 0),
        )),
    );
    let checking = "Checking INBOX · folder 1 of 5 · messages 400 of 1,000 · 1.2 MB";
    assert_shows(&app, checking);
    let theme = tidings::theme::for_mode(Mode::Light);
    assert_snapshot(&mut window(&app), &theme, "status-checking-light");

    // POP3's download, with the bytes expected.
    report(
        &mut app,
        "home",
        1,
        AccountEvent::Checking(progress(PassPhase::Downloading, None, (0, 0), (3, 10), (12_000, 40_000))),
    );
    assert_eq!(
        app.passes().status("home").line(),
        "Downloading new mail · messages 3 of 10 · 12 KB of 40 KB"
    );
    // The mailbox shows its own account only.
    assert_shows(&app, checking);

    report(&mut app, "work", 1, AccountEvent::Sending { done: 1, total: 3 });
    assert_shows(&app, "Sending 2 of 3…");

    let finished = schedule::Event::PassFinished {
        ok: true,
        error: None,
        kind: None,
        next: Some(Duration::from_secs(600)),
    };
    report(&mut app, "work", 2, AccountEvent::Schedule(finished));
    assert_shows(&app, "Checked 14:02 · next at 14:12 (UTC)");
    assert_shows(&app, "Get mail");

    report(&mut app, "work", 2, AccountEvent::Idle(idle(IdleMode::Idling, Some(at(2)), None, None)));
    let idling = "Checked 14:02 · IDLE active since 14:02 · next at 14:12 (UTC)";
    assert_shows(&app, idling);
    assert_snapshot(&mut window(&app), &theme, "status-idle-light");
    // IDLE turned off in the settings: the bar stops saying it is active.
    report(&mut app, "work", 2, AccountEvent::IdleStopped);
    assert_shows(&app, "Checked 14:02 · next at 14:12 (UTC)");
    report(&mut app, "work", 2, AccountEvent::Idle(idle(IdleMode::Idling, Some(at(2)), None, None)));
    assert_shows(&app, idling);

    // The network goes away: offline, with the reason and the retry counting down.
    report(
        &mut app,
        "work",
        12,
        AccountEvent::Idle(idle(IdleMode::Offline, None, Some("connection reset"), None)),
    );
    let offline = schedule::Event::Offline {
        reason: "cannot connect to 127.0.0.1:1: connection refused".into(),
        retry_in: Some(Duration::from_secs(120)),
    };
    report(&mut app, "work", 12, AccountEvent::Schedule(offline));
    assert_shows(
        &app,
        "Offline: Cannot connect to 127.0.0.1:1: connection refused — retrying in 2 min · last checked 14:02 (UTC)",
    );
    settle(&mut app, vec![Message::Tick(at(13))]);
    let offline_later = "Offline: Cannot connect to 127.0.0.1:1: connection refused — retrying in 1 min · last checked 14:02 (UTC)";
    assert_shows(&app, offline_later);
    let dark = tidings::theme::for_mode(Mode::Dark);
    assert_snapshot(&mut window(&app), &dark, "status-offline-dark");

    // Back online: the retry is a pass like any other.
    report(&mut app, "work", 14, AccountEvent::Schedule(schedule::Event::PassStarted(Reason::Retry)));
    assert_shows(&app, "Checking for new mail…");
    let failed = schedule::Event::PassFinished {
        ok: false,
        error: Some("the server refused the login".into()),
        kind: Some(tidings_mail::Kind::Auth),
        next: None,
    };
    report(&mut app, "work", 14, AccountEvent::Schedule(failed));
    assert_shows(
        &app,
        "Check at 14:14 failed: The server refused the login · checks when you ask (F5) (UTC)",
    );

    // The overview: each account with its own status.
    click(&mut app, mailbox::id::BACK);
    assert_shows(
        &app,
        "Check at 14:14 failed: The server refused the login · checks when you ask (F5) (UTC)",
    );
    assert_shows(&app, "Downloading new mail · messages 3 of 10 · 12 KB of 40 KB");
}

#[test]
fn keys_and_buttons_ask_the_accounts_tasks_and_settings_travel_without_a_restart() {
    let fx = fixture();
    let mut app = app(&fx);
    let mut work = ready(&mut app, "work");
    let mut home = ready(&mut app, "home");
    assert!(app.passes().is_running("work") && app.passes().is_running("home"));

    // The overview's "Get all mail": every account.
    click(&mut app, accounts::GET_ALL_MAIL);
    assert!(matches!(commands(&mut work)[..], [Command::RunNow]));
    assert!(matches!(commands(&mut home)[..], [Command::RunNow]));

    click(&mut app, &accounts::open_mailbox_id("work"));
    // F5 and Ctrl+T: this account only.
    press(&mut app, Key::Named(Named::F5), Modifiers::empty());
    press(&mut app, Key::Character("t".into()), Modifiers::CTRL);
    assert!(matches!(commands(&mut work)[..], [Command::RunNow, Command::RunNow]));
    assert!(commands(&mut home).is_empty());
    click(&mut app, mailbox::id::GET_MAIL);
    assert!(matches!(commands(&mut work)[..], [Command::RunNow]));
    // Ctrl+Shift+T and the toolbar's "Get all mail": every account.
    press(&mut app, Key::Character("T".into()), Modifiers::CTRL | Modifiers::SHIFT);
    click(&mut app, mailbox::id::GET_ALL_MAIL);
    assert!(matches!(commands(&mut work)[..], [Command::RunNow, Command::RunNow]));
    assert!(matches!(commands(&mut home)[..], [Command::RunNow, Command::RunNow]));

    // A pass running: "Get mail" waits for it (a request meanwhile would merge into it).
    report(&mut app, "work", 0, AccountEvent::Schedule(schedule::Event::PassStarted(Reason::Manual)));
    let mut ui = window(&app);
    ui.click(id(mailbox::id::GET_MAIL)).unwrap();
    assert_eq!(ui.into_messages().count(), 0, "a disabled button sends nothing");

    // Saved settings: the changed account's task gets its new options; nothing restarts
    // (the subscription is keyed by the account id only, and the sender is kept).
    let mut config = app.config().clone();
    let changed = Schedule { at_start: false, every_minutes: Some(30) };
    config.accounts.iter_mut().find(|a| a.id == "home").unwrap().options.schedule = changed;
    let stored = Stored { config, notice: "Saved “Home”.".into() };
    settle(&mut app, vec![Message::SettingsStored(Ok(stored))]);
    let sent = commands(&mut home);
    assert!(matches!(&sent[..], [Command::Options(o)] if o.schedule == changed), "{sent:?}");
    assert!(commands(&mut work).is_empty(), "an unchanged account hears nothing");
    assert!(app.passes().is_running("home"));

    // Another server for "work" needs a new connection: its task is started anew (the old
    // one's command channel closes; the new task announces itself with a new sender).
    let mut config = app.config().clone();
    config.accounts.iter_mut().find(|a| a.id == "work").unwrap().incoming.port = 2;
    settle(&mut app, vec![Message::SettingsStored(Ok(Stored { config, notice: String::new() }))]);
    assert!(!app.passes().is_running("work"));
    assert!(work.try_recv().is_err_and(|e| e == mpsc::error::TryRecvError::Disconnected));
    assert_eq!(app.passes().generation("work"), 1);
    assert_eq!(app.passes().generation("home"), 0);
}

#[test]
fn new_mail_refreshes_the_list_and_a_clicked_notification_opens_the_message() {
    let mut fx = fixture();
    let mut app = app(&fx);
    click(&mut app, &accounts::open_mailbox_id("work"));
    let subjects = |app: &App| -> Vec<String> {
        mailbox_of(app).list().rows().iter().filter_map(|r| r.summary.subject.clone()).collect()
    };
    assert_eq!(subjects(&app).len(), 3);

    // The account's pass stores a new message and says so: the list shows it.
    fx.store.insert_messages(fx.inbox, 7, &[message(4, "Fresh news")]).unwrap();
    fx.store.save_body(fx.inbox, 7, 4, raw("Fresh news").as_bytes()).unwrap();
    let first = MessageRef {
        account: "work".into(),
        folder: fx.inbox,
        folder_name: "INBOX".into(),
        uidvalidity: 7,
        uid: 4,
    };
    let news = NewMail {
        account: "work".into(),
        count: 1,
        first_from: "Bob Stone".into(),
        first_subject: "Fresh news".into(),
        first: first.clone(),
        summary: "New mail in Work".into(),
        body: "Bob Stone: Fresh news".into(),
    };
    report(&mut app, "work", 3, AccountEvent::NewMail(news));
    assert_eq!(subjects(&app)[0], "Fresh news");
    assert_shows(&app, "Fresh news");
    assert_shows(&app, "4 messages, 4 unread");

    // Leave; a click on the notification opens the mailbox at that message.
    click(&mut app, mailbox::id::BACK);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    report(&mut app, "work", 4, AccountEvent::NotificationClicked(first));
    let mb = mailbox_of(&app);
    assert_eq!(mb.list().folder(), Some(fx.inbox));
    assert_eq!(mb.list().selected().map(|r| r.uid), Some(4));
    assert_eq!(mb.reader().opened().map(|o| o.row.uid), Some(4));
    match &mb.reader().shown().expect("the message is shown").body {
        mailbox::Body::Text(text) => assert!(text.starts_with("The text of Fresh news."), "{text}"),
        other => panic!("{other:?}"),
    }
    // Opening it marked it read.
    assert_shows(&app, "4 messages, 3 unread");

    // Another account's click while this mailbox is open switches to that account.
    let home_ref = MessageRef {
        account: "home".into(),
        folder: FolderId(999),
        folder_name: "INBOX".into(),
        uidvalidity: 1,
        uid: 1,
    };
    report(&mut app, "home", 5, AccountEvent::NotificationClicked(home_ref));
    assert_eq!(mailbox_of(&app).account_key(), "home");
    assert_shows(&app, "That message is no longer here.");
}
