//! Headless UI flows (iced_test) for a POP3 account in the mailbox, against the testkit's
//! real Dovecot (POP3 over implicit TLS): the local folders (Inbox, Drafts, Sent, Trash)
//! from the store, mail received by the account's send/receive task (the app's
//! subscription, run by `gui_mailbox_helpers::Worker`) at start and on F5, a message opened
//! and read, a deletion to the local Trash (the server keeps its copy: "leave a copy on the
//! server" is the default), and a message downloaded as headers only completed with
//! "Download the rest".
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_mailbox_pop3`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::Duration;

use common::settle;
use gui_mailbox_helpers::Worker;

use iced::keyboard::{Key, Modifiers, key::Named};
use iced_test::Simulator;
use iced_test::selector::id;

use tidings::app::{App, Message, Screen};
use tidings::passes;
use tidings::screen::{accounts, mailbox};
use tidings_mail::account::{Account, AuthMethod, Incoming, SecretRole, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Role, Store};
use tidings_testkit::{MailServers, User};

const WAIT: Duration = Duration::from_secs(60);

fn raw(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Carol Danvers <carol@example.org>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Date: Fri, 21 Nov 2026 09:00:00 +0000\r\nMessage-ID: <{}@example.org>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        subject.replace(' ', ".")
    )
    .into_bytes()
}

fn pop3_account(name: &str, servers: &MailServers, user: &User, headers_only: bool) -> Account {
    let server = |port| Server {
        host: servers.host().into(),
        port,
        security: Security::Implicit,
        user: user.login.clone(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(servers.ca_path().to_path_buf()), ..Trust::default() },
    };
    let mut account = Account::new(
        String::new(),
        name.into(),
        user.email.clone(),
        Incoming::Pop3,
        server(servers.pop3s_port()),
        server(servers.submissions_port()),
    );
    account.options.pop3.headers_only = headers_only;
    account
}

struct Setup {
    _dir: tempfile::TempDir,
    profile: Profile,
    app: App,
    worker: Worker,
}

/// The app with one POP3 account, its mailbox open, its task running.
fn open(account: Account, password: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    let id = config.add_account(account).unwrap().id.clone();
    let secrets = Secrets::in_memory();
    secrets.set(&id, SecretRole::Incoming, password).unwrap();
    let account = config.account(&id).unwrap().clone();
    let key = passes::Key::for_account(&profile, &account, secrets.clone()).without_notifications();
    let mut app = App::with_config(profile.clone(), secrets, config);
    click(&mut app, &accounts::open_mailbox_id(&id));
    let worker = Worker::start(key);
    Setup { _dir: dir, profile, app, worker }
}

fn window(app: &App) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), (1280.0, 900.0), app.view())
}

fn click(app: &mut App, widget: &str) {
    let mut ui = window(app);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

fn texts(app: &App) -> Vec<String> {
    common::texts(window(app))
}

fn assert_shows(app: &App, text: &str) {
    let shown = texts(app);
    assert!(shown.iter().any(|t| t == text), "{text:?} is not shown: {shown:?}");
}

fn mailbox(app: &App) -> &mailbox::Mailbox {
    match app.screen() {
        Screen::Mailbox(mailbox) => mailbox,
        _ => panic!("the mailbox is not shown"),
    }
}

fn status(app: &App) -> String {
    app.passes().status(mailbox(app).account_key()).line()
}

fn total(app: &App) -> u64 {
    mailbox(app).list().counts().total
}

fn body_text(app: &App) -> String {
    match &mailbox(app).reader().shown().expect("the message is shown").body {
        mailbox::Body::Text(text) => text.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_pop3_account_reads_its_local_folders_with_the_same_mailbox() {
    let servers = MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let alice = servers.user("alice");
    servers.deliver(alice, &raw("Hello from POP3", "The body that POP3 brought.")).unwrap();
    servers.deliver(alice, &raw("Second letter", "Another one.")).unwrap();

    let Setup { _dir, profile, mut app, worker } =
        open(pop3_account("Home", &servers, alice, false), &alice.password);
    let mb = mailbox(&app);
    assert!(mb.is_local());
    // The local folders are there before the first pass, in the IMAP tree's order.
    let tree: Vec<(&str, Option<Role>)> = mb.folders().iter().map(|n| (n.label.as_str(), n.role)).collect();
    assert_eq!(
        tree,
        [
            ("Inbox", Some(Role::Inbox)),
            ("Drafts", Some(Role::Drafts)),
            ("Sent", Some(Role::Sent)),
            ("Trash", Some(Role::Trash))
        ]
    );

    // The task's first pass (at start) downloads both; the list fills, the bar says so.
    worker.until(
        &mut app,
        WAIT,
        "received mail",
        |app| total(app) == 2 && status(app).starts_with("Checked "),
        |app| format!("{} messages; {}", total(app), status(app)),
    );
    assert_shows(&app, "Hello from POP3");
    assert_shows(&app, &status(&app));

    // Open and read it: the body is in the store already.
    let row = mailbox(&app)
        .list()
        .rows()
        .iter()
        .find(|r| r.summary.subject.as_deref() == Some("Hello from POP3"))
        .unwrap()
        .clone();
    click(&mut app, &mailbox::id::row(row.uid));
    assert!(mailbox(&app).reader().error().is_none(), "{:?}", mailbox(&app).reader().error());
    assert!(body_text(&app).starts_with("The body that POP3 brought."), "{}", body_text(&app));
    assert_shows(&app, "Carol Danvers <carol@example.org>");
    assert_shows(&app, "2 messages, 1 unread");

    // Delete: into the local Trash, at once; the server keeps its copy.
    click(&mut app, mailbox::id::DELETE);
    assert_eq!(total(&app), 1);
    let store = Store::open(profile.data_dir().join("mail.sqlite3")).unwrap();
    assert!(
        store.pending_actions(mailbox(&app).account().unwrap()).unwrap().is_empty(),
        "nothing waits for a server"
    );
    drop(store);
    click(&mut app, &mailbox::id::folder("Trash"));
    assert_shows(&app, "Hello from POP3");
    assert_eq!(servers.message_count(alice, "INBOX").unwrap(), 2);

    // New mail, then F5: the same pass, and the Inbox shows it.
    click(&mut app, &mailbox::id::folder("INBOX"));
    servers.deliver(alice, &raw("Third letter", "Fresh.")).unwrap();
    let action = mailbox::keys::action(&Key::Named(Named::F5), Modifiers::empty()).unwrap();
    settle(&mut app, vec![Message::Mailbox(mailbox::Message::Key(action))]);
    worker.until(
        &mut app,
        WAIT,
        "the third letter",
        |app| total(app) == 2,
        |app| format!("{} messages; {}", total(app), status(app)),
    );
    assert_shows(&app, "Third letter");
}

#[test]
fn a_message_downloaded_as_headers_only_is_completed_on_request() {
    let servers = MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let bob = servers.user("bob");
    servers.deliver(bob, &raw("Only the header", "The rest, downloaded when asked.")).unwrap();

    // (`_dir` bound: the profile must outlive the test.)
    let Setup { _dir, mut app, worker, .. } = open(pop3_account("Bob", &servers, bob, true), &bob.password);
    worker.until(
        &mut app,
        WAIT,
        "the header",
        |app| total(app) == 1 && status(app).starts_with("Checked "),
        |app| format!("{} messages; {}", total(app), status(app)),
    );
    let uid = mailbox(&app).list().rows()[0].uid;
    click(&mut app, &mailbox::id::row(uid));
    assert!(mailbox(&app).reader().is_header_only());
    assert_shows(&app, "Only the header");
    assert_shows(
        &app,
        "Only the header of this message was downloaded (this account downloads headers only).",
    );
    assert_shows(&app, "Download the rest");

    click(&mut app, mailbox::id::DOWNLOAD_REST);
    assert!(mailbox(&app).reader().error().is_none(), "{:?}", mailbox(&app).reader().error());
    assert!(body_text(&app).starts_with("The rest, downloaded when asked."), "{}", body_text(&app));
    // Kept: opening it again needs no server.
    click(&mut app, mailbox::id::BACK);
    click(&mut app, &accounts::open_mailbox_id("bob"));
    click(&mut app, &mailbox::id::row(uid));
    assert!(body_text(&app).starts_with("The rest, downloaded when asked."));
}
