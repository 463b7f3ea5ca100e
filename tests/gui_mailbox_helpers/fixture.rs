//! The mailbox flows' fixture: a profile whose store holds the "work" account with folders
//! and messages (some with their bodies), the app on it, and the helpers that click, press and
//! read what the window shows.

use std::path::{Path, PathBuf};

use iced::keyboard::{Key, Modifiers};
use iced_test::Simulator;
use iced_test::selector::id;

use tidings::app::{App, Message, Screen};
use tidings::screen::accounts;
use tidings::screen::mailbox::{self, Mailbox, keys};
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{AccountId, Flags, FolderId, FolderInfo, NewMessage, Role, Store, Summary};

use crate::common::{self, settle};

pub const SENDERS: &[(&str, &str)] = &[
    ("Alice Martin", "alice@example.test"),
    ("Bob Stone", "bob@example.test"),
    ("Carol Danvers", "carol@example.org"),
    ("Dave Null", "dave@example.com"),
    ("Erin Example", "erin@example.test"),
    ("Zoë Ørsted", "zoe@example.dk"),
];
pub const SUBJECTS: &[&str] = &[
    "Quarterly report",
    "Lunch on Friday?",
    "Build failed on main",
    "Invoice 2023-114",
    "Meeting notes",
    "Photos from the trip",
    "Re: Re-scheduling the review",
];
/// The INBOX message whose header could not be read.
pub const BROKEN: u32 = 35;
/// The newest message: HTML with a link, remote images and an attachment (kept body).
pub const NEWEST: u32 = 40;
/// Plain text (kept body).
pub const PLAIN: u32 = 39;

/// 2024-12-01T00:00:00Z; message `uid` is `uid` × 7 hours after it.
pub fn date(uid: u32) -> i64 {
    1_733_011_200 + i64::from(uid) * 7 * 3600
}

pub fn message(uid: u32) -> NewMessage {
    let (name, addr) = SENDERS[uid as usize % SENDERS.len()];
    let mut flags = Vec::new();
    if !uid.is_multiple_of(3) {
        flags.push("\\Seen");
    }
    if uid.is_multiple_of(5) {
        flags.push("\\Flagged");
    }
    NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(flags),
        size: 900 + uid * 337,
        internal_date: Some(date(uid)),
        summary: Summary {
            date: Some(date(uid)),
            from_name: Some(name.into()),
            from_addr: Some(addr.into()),
            to: Some("Work <work@example.test>".into()),
            subject: Some(format!("{} #{uid}", SUBJECTS[uid as usize % SUBJECTS.len()])),
            ..Summary::default()
        },
        parse_error: None,
    }
}

pub const HTML_MESSAGE: &str = "From: \"Erin Example\" <erin@example.test>\r\n\
    To: Work <work@example.test>\r\nCc: Bob Stone <bob@example.test>\r\n\
    Subject: Photos from the trip #40\r\nDate: Thu, 12 Dec 2024 16:00:00 +0000\r\n\
    MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mixed\"\r\n\r\n\
    --mixed\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
    --alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe photos are online.\r\n\
    --alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
    <html><body><h2>Our trip</h2><p>The photos are <b>online</b>, see \
    <a href=\"https://photos.example.test/album/7\">the album</a>.</p>\
    <ul><li>Day one: <em>the lake</em></li><li>Day two: the hills</li></ul>\
    <img src=\"https://photos.example.test/track.gif\" width=\"1\" height=\"1\">\
    <p><img src=\"https://photos.example.test/cover.jpg\" alt=\"Cover photo\"></p>\
    </body></html>\r\n\
    --alt--\r\n\
    --mixed\r\nContent-Type: application/pdf; name=\"itinerary.pdf\"\r\n\
    Content-Disposition: attachment; filename=\"itinerary.pdf\"\r\n\
    Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==\r\n\
    --mixed--\r\n";

pub const PLAIN_MESSAGE: &str = "From: \"Dave Null\" <dave@example.com>\r\nTo: Work <work@example.test>\r\n\
    Subject: Meeting notes #39\r\nDate: Thu, 12 Dec 2024 09:00:00 +0000\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\r\n\
    Notes from Monday:\r\n\r\n- ship the list\r\n- then the reader\r\n\r\nDave\r\n";

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub profile: Profile,
    pub store_path: PathBuf,
    pub account: AccountId,
    pub inbox: FolderId,
    pub archive: FolderId,
}

/// A profile whose store holds the "work" account: INBOX (40 messages, one unreadable, two
/// bodies kept), INBOX/Lists, Archive, Sent, Trash.
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let store_path = profile.data_dir().join("mail.sqlite3");
    let mut store = Store::open(&store_path).unwrap();
    let account = store.account("work").unwrap();
    let info = |name: &str, role| FolderInfo {
        name: name.into(),
        delimiter: Some("/".into()),
        role,
        subscribed: true,
        selectable: true,
    };
    let folders = store
        .replace_folders(
            account,
            &[
                info("INBOX", Some(Role::Inbox)),
                info("INBOX/Lists", None),
                info("Archive", Some(Role::Archive)),
                info("Sent", Some(Role::Sent)),
                info("Trash", Some(Role::Trash)),
            ],
        )
        .unwrap();
    let folder = |name: &str| folders.iter().find(|f| f.name == name).unwrap().id;
    for f in &folders {
        store.begin_folder(f.id, 7).unwrap();
    }
    let mut inbox: Vec<NewMessage> = (1..=NEWEST).map(message).collect();
    let broken = &mut inbox[BROKEN as usize - 1];
    broken.summary = Summary::default();
    broken.parse_error = Some("the header could not be read".into());
    store.insert_messages(folder("INBOX"), 7, &inbox).unwrap();
    store.insert_messages(folder("INBOX/Lists"), 7, &(1..=5).map(message).collect::<Vec<_>>()).unwrap();
    let archived: Vec<NewMessage> = (101..=103)
        .map(|uid| {
            let mut m = message(uid);
            m.summary.subject = Some(format!("Archived thing {uid}"));
            m
        })
        .collect();
    store.insert_messages(folder("Archive"), 7, &archived).unwrap();
    store.save_body(folder("INBOX"), 7, NEWEST, HTML_MESSAGE.as_bytes()).unwrap();
    store.save_body(folder("INBOX"), 7, PLAIN, PLAIN_MESSAGE.as_bytes()).unwrap();
    Fixture { account, inbox: folder("INBOX"), archive: folder("Archive"), _dir: dir, profile, store_path }
}

pub fn account_for(host: &str, port: u16, user: &str, ca_file: Option<&Path>) -> Account {
    let server = |port| Server {
        host: host.into(),
        port,
        security: Security::Implicit,
        user: user.into(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: ca_file.map(Path::to_path_buf), ..Trust::default() },
    };
    Account::new(
        String::new(),
        "Work".into(),
        "work@example.test".into(),
        Incoming::Imap,
        server(port),
        server(465),
    )
}

/// The app on the accounts overview, with the "work" account (no password stored).
pub fn app(fx: &Fixture) -> App {
    let mut config = Config::default();
    config.add_account(account_for("127.0.0.1", 1, "work", None)).unwrap();
    App::with_config(fx.profile.clone(), Secrets::in_memory(), config)
}

/// A window big enough for the whole mailbox.
pub fn window(app: &App) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), (1280.0, 900.0), app.view())
}

pub fn click(app: &mut App, widget: &str) {
    let mut ui = window(app);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// Presses a key as the mailbox's key map reads it.
pub fn press(app: &mut App, key: Key, modifiers: Modifiers) {
    let action = keys::action(&key, modifiers).unwrap_or_else(|| panic!("{key:?} is not bound"));
    settle(app, vec![Message::Mailbox(mailbox::Message::Key(action))]);
}

pub fn letter(c: &str) -> Key {
    Key::Character(c.into())
}

pub fn texts(app: &App) -> Vec<String> {
    common::texts(window(app))
}

pub fn shows(app: &App, text: &str) -> bool {
    texts(app).iter().any(|t| t == text)
}

pub fn mailbox(app: &App) -> &Mailbox {
    match app.screen() {
        Screen::Mailbox(mailbox) => mailbox,
        _ => panic!("the mailbox is not shown"),
    }
}

/// Opens the fixture's mailbox from the overview.
pub fn opened(fx: &Fixture) -> App {
    let mut app = app(fx);
    click(&mut app, &accounts::open_mailbox_id("work"));
    app
}

pub fn uids(app: &App) -> Vec<u32> {
    mailbox(app).list().rows().iter().map(|r| r.uid).collect()
}

pub fn selected_uid(app: &App) -> Option<u32> {
    mailbox(app).list().selected().map(|r| r.uid)
}

pub fn check_store(fx: &Fixture) -> Store {
    Store::open(&fx.store_path).unwrap()
}
