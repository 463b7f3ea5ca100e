//! Headless UI flows (iced_test) for the composer's drafts and replies: a reply to a message
//! from another of the person's accounts goes to that account; closing asks whenever the
//! message changed since it was opened, even after an autosave, and an empty one closes
//! without asking; the drafts from before can each be discarded (file and Drafts folder copy)
//! and go away once typing starts, the cursor staying in To; a long status stays on one line;
//! a message of the Drafts folder (Tidings' own or another program's) opens in the composer
//! with every field, against the testkit's Dovecot, and sending or discarding it removes the
//! copy there.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_composer_drafts`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod composer_helpers;
mod live_window;

use std::path::Path;
use std::time::Duration;

use common::settle;
use composer_helpers::*;
use iced::keyboard::Modifiers;
use iced_test::Simulator;
use live_window::LiveWindow;

use tidings::app::{App, Message, Screen};
use tidings::screen::composer::{self};
use tidings::screen::mailbox;
use tidings_mail::account::{Account, Identity, SecretRole};
use tidings_mail::compose::{Address, Draft, Drafts};
use tidings_mail::config::Config;
use tidings_mail::net::Transcript;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Flags, FolderInfo, NewMessage, Role, Store, StoreHandle, Summary};

fn the_mailbox(app: &App) -> &mailbox::Mailbox {
    match app.screen() {
        Screen::Mailbox(m) => m,
        _ => panic!("not on the mailbox"),
    }
}

fn tick(app: &mut App) {
    settle(app, vec![Message::Composer(composer::Message::Tick)]);
}

/// Alice wrote to Bob (Cc carol, and Alice's other address): the message in bob's INBOX.
const FROM_ALICE: &str = "From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\n\
    Cc: carol@example.test, Alice Desk <desk@example.test>\r\nSubject: Lunch\r\n\
    Date: Thu, 12 Dec 2024 09:00:00 +0000\r\nMessage-ID: <lunch-1@example.test>\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\r\nNoon?\r\n";

fn profile_with(dir: &Path, account_key: &str, raw: &str) -> Profile {
    let profile = Profile::at(dir);
    let mut store = Store::open(composer::store_path(&profile)).unwrap();
    let account = store.account(account_key).unwrap();
    let info = FolderInfo {
        name: "INBOX".into(),
        delimiter: Some("/".into()),
        role: Some(Role::Inbox),
        subscribed: true,
        selectable: true,
    };
    let inbox = store.replace_folders(account, &[info]).unwrap()[0].id;
    store.begin_folder(inbox, 7).unwrap();
    let msg = NewMessage {
        uid: 1,
        modseq: None,
        flags: Flags::new(["\\Seen"]),
        size: raw.len() as u32,
        internal_date: Some(1_733_994_000),
        summary: Summary {
            date: Some(1_733_994_000),
            from_name: Some("Alice".into()),
            from_addr: Some("alice@example.test".into()),
            subject: Some("Lunch".into()),
            ..Summary::default()
        },
        parse_error: None,
    };
    store.insert_messages(inbox, 7, &[msg]).unwrap();
    store.save_body(inbox, 7, 1, raw.as_bytes()).unwrap();
    profile
}

#[test]
fn a_reply_to_a_message_from_another_of_ones_accounts_goes_to_that_account() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_with(dir.path(), "bob", FROM_ALICE);
    let mut alice = account("Alice", "alice@example.test", "127.0.0.1", 1, 1, None);
    alice.identities = vec![Identity { name: Some("Alice Desk".into()), email: "desk@example.test".into() }];
    let mut config = Config::default();
    config.add_account(alice).unwrap();
    config.add_account(account("Bob", "bob@example.test", "127.0.0.1", 1, 1, None)).unwrap();
    let mut app = App::with_config(profile, Secrets::in_memory(), config);
    open_mailbox(&mut app, "bob");
    click(&mut app, &mailbox::id::row(1));

    // Bob answers: Alice is someone to write to, though she is an account here too.
    press(&mut app, "r", Modifiers::CTRL);
    let c = composer(&app);
    assert_eq!(c.from().address.email, "bob@example.test");
    assert_eq!((c.to(), c.cc()), ("Alice <alice@example.test>", ""));
    settle(&mut app, vec![Message::Composer(composer::Message::Close)]);

    // To all: Alice's other address is one more person; Bob's own address is left out.
    press(&mut app, "R", Modifiers::CTRL | Modifiers::SHIFT);
    let c = composer(&app);
    assert_eq!(c.to(), "Alice <alice@example.test>");
    assert_eq!(c.cc(), "carol@example.test, Alice Desk <desk@example.test>");
}

/// The app on a store with "work"'s INBOX (its server unreachable), the mailbox open.
fn work_app(dir: &Path) -> (App, Profile) {
    let profile = profile_with(dir, "work", FROM_ALICE);
    let mut config = Config::default();
    config.add_account(account("Work", "work@example.test", "127.0.0.1", 1, 1, None)).unwrap();
    let mut app = App::with_config(profile.clone(), Secrets::in_memory(), config);
    open_mailbox(&mut app, "work");
    (app, profile)
}

#[test]
fn closing_asks_when_the_message_changed_since_it_was_opened_even_after_an_autosave() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, profile) = work_app(dir.path());
    let drafts = Drafts::new(&profile);

    // Nothing written: Close closes, nothing is kept.
    press(&mut app, "n", Modifiers::CTRL);
    click(&mut app, composer::id::CLOSE);
    assert!(app.composer().is_none(), "an empty message closes without asking");
    assert!(drafts.list().unwrap().drafts.is_empty());

    // Written and autosaved: still the person's choice to keep it or not.
    press(&mut app, "n", Modifiers::CTRL);
    type_into(&mut app, composer::id::SUBJECT, "Plans");
    tick(&mut app);
    assert_eq!(drafts.list().unwrap().drafts.len(), 1, "autosaved");
    click(&mut app, composer::id::CLOSE);
    assert!(composer(&app).is_asking(), "closing asks after an autosave");
    assert!(texts(&app).iter().any(|t| t == "Save draft"));
    click(&mut app, composer::id::SAVE_DRAFT);
    assert!(app.composer().is_none());
    let kept = drafts.list().unwrap().drafts;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].subject, "Plans");

    // Restored and closed unchanged: nothing to ask, the draft stays as it was.
    press(&mut app, "n", Modifiers::CTRL);
    click(&mut app, &composer::id::restore(&kept[0].id));
    click(&mut app, composer::id::CLOSE);
    assert!(app.composer().is_none(), "unchanged since restored: no question");
    assert_eq!(drafts.list().unwrap().drafts, kept);

    // Typed, autosaved, then erased: an empty message again, closed without asking and
    // without leaving its autosave behind.
    press(&mut app, "n", Modifiers::CTRL);
    let id = composer(&app).draft_id().to_string();
    type_into(&mut app, composer::id::TO, "x");
    tick(&mut app);
    assert!(drafts.load(&id).is_ok());
    settle(
        &mut app,
        vec![Message::Composer(composer::Message::AddressChanged(composer::Field::To, String::new()))],
    );
    click(&mut app, composer::id::CLOSE);
    assert!(app.composer().is_none());
    assert!(drafts.load(&id).is_err(), "the autosave of an erased message is removed");
    assert_eq!(drafts.list().unwrap().drafts, kept);
}

/// The mailbox of `work_app` in a window that keeps its widget state, the composer opened
/// by a click on Write.
fn live_composer(app: &mut App, size: (f32, f32)) -> LiveWindow {
    let mut live = LiveWindow::new(size);
    live.click(app, mailbox::id::WRITE);
    assert!(app.composer().is_some());
    live
}

#[test]
fn each_draft_from_before_can_be_discarded_and_the_list_goes_once_typing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, profile) = work_app(dir.path());
    let drafts = Drafts::new(&profile);
    let mut ids = Vec::new();
    for subject in ["First thoughts", "Second thoughts"] {
        let mut d = Draft::new("work", Address::email("work@example.test"));
        d.subject = subject.into();
        drafts.save(&mut d).unwrap();
        ids.push(d.id);
    }
    let mut live = live_composer(&mut app, (1024.0, 768.0));
    assert_eq!(composer(&app).restorable().len(), 2);
    assert!(live.has_focus(&app, composer::id::TO), "the cursor is in To");

    // Discard: the file goes, and its copy in the Drafts folder (the server cannot be
    // reached: recorded for the account's next send/receive, as for any discarded draft).
    live.click(&mut app, &composer::id::discard_draft(&ids[0]));
    assert!(drafts.load(&ids[0]).is_err(), "the file is removed");
    assert!(drafts.load(&ids[1]).is_ok(), "the other one stays");
    let mut store = Store::open(composer::store_path(&profile)).unwrap();
    assert_eq!(store.draft_removals("work").unwrap(), [ids[0].clone()]);
    assert_eq!(composer(&app).restorable().len(), 1);
    assert!(live.bounds(&app, &composer::id::restore(&ids[1])).is_some(), "still offered");

    // Typing a new message: the list goes with the first key (restoring would replace what
    // is typed); every key stays in To.
    live.click(&mut app, composer::id::TO);
    live.type_text(&mut app, "dave@example.com");
    assert!(composer(&app).restorable().is_empty());
    assert!(live.bounds(&app, &composer::id::restore(&ids[1])).is_none());
    assert_eq!(composer(&app).to(), "dave@example.com");
    assert!(drafts.load(&ids[1]).is_ok(), "only out of sight: the next new message lists it");
}

#[test]
fn a_long_status_stays_on_one_line_and_the_form_stays_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _profile) = work_app(dir.path());
    let mut live = live_composer(&mut app, (800.0, 600.0));
    let from = live.bounds(&app, composer::id::FROM).unwrap();
    let line = live.bounds(&app, composer::id::STATUS).unwrap();

    // The autosave's copy for the Drafts folder fails (the server cannot be reached): the
    // note, with the reason, is longer than the toolbar is wide.
    live.click(&mut app, composer::id::SUBJECT);
    live.type_text(&mut app, "Plans");
    live.settle(&mut app, vec![Message::Composer(composer::Message::Tick)]);
    let status = composer(&app).status().unwrap_or_default().to_string();
    assert!(status.starts_with("Draft saved on this computer; not in the Drafts folder yet"), "{status}");
    assert!(status.chars().count() > 120, "{status}");

    let now = live.bounds(&app, composer::id::STATUS).unwrap();
    assert_eq!(now.height, line.height, "one line, as before");
    assert_eq!(live.bounds(&app, composer::id::FROM).unwrap().y, from.y, "the form did not move");
    let shown =
        common::texts(Simulator::with_size(iced_test::core::Settings::default(), (800.0, 600.0), app.view()));
    assert!(
        shown.iter().any(|t| t.starts_with("Draft saved on this computer") && t.ends_with('…')),
        "elided with an ellipsis: {shown:?}"
    );
}

/// Every message file of a maildir folder ("" is INBOX).
fn maildir(s: &tidings_testkit::MailServers, user: &tidings_testkit::User, folder: &str) -> Vec<Vec<u8>> {
    let base = s.maildir(user);
    let base = if folder.is_empty() { base } else { base.join(format!(".{folder}")) };
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(base.join(sub)) {
            out.extend(entries.flatten().map(|e| std::fs::read(e.path()).unwrap()));
        }
    }
    out
}

/// Brings the profile's store up to date with alice's folders on the server.
fn sync(profile: &Profile, acc: &Account, secrets: &Secrets) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = StoreHandle::spawn(Store::open(composer::store_path(profile)).unwrap()).unwrap();
        let credential = tidings_mail::auth::credential(acc, secrets, SecretRole::Incoming).await.unwrap();
        let mut engine = tidings_mail::sync::Engine::new(acc, credential, store, Transcript::new()).unwrap();
        engine.sync_account(&tidings_mail::sync::no_progress).await.unwrap();
        let _ = engine.logout().await;
    });
}

/// The Drafts folder shown in the mailbox (opened afresh, so it lists what the store holds),
/// and the UID of the draft with `subject`.
fn draft_row(app: &mut App, acc: &str, subject: &str) -> u32 {
    click(app, mailbox::id::BACK);
    open_mailbox(app, acc);
    click(app, &mailbox::id::folder("Drafts"));
    let rows = the_mailbox(app).list().rows();
    rows.iter()
        .find(|r| r.summary.subject.as_deref() == Some(subject))
        .unwrap_or_else(|| panic!("no draft {subject:?} in {rows:?}"))
        .uid
}

#[test]
fn a_draft_in_the_drafts_folder_opens_in_the_composer_and_goes_when_sent_or_discarded() {
    let s = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let (alice, bob) = (s.user("alice").clone(), s.user("bob").clone());
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    let acc =
        account("Alice", &alice.email, s.host(), s.imaps_port(), s.submission_port(), Some(s.ca_path()));
    let acc = config.add_account(acc).unwrap().clone();
    let secrets = Secrets::in_memory();
    secrets.keep_for_session(&acc.id, SecretRole::Incoming, &alice.password);
    let mut app = App::with_config(profile.clone(), secrets.clone(), config);
    open_mailbox(&mut app, &acc.id);

    // A message written in part, saved here and in the Drafts folder, kept on closing.
    press(&mut app, "n", Modifiers::CTRL);
    type_into(&mut app, composer::id::TO, &format!("Bob <{}>", bob.email));
    type_into(&mut app, composer::id::CC, "carol@example.test");
    type_into(&mut app, composer::id::BCC, "dave@example.test");
    type_into(&mut app, composer::id::SUBJECT, "Grüße — 日本語");
    type_into(&mut app, composer::id::BODY, "Half a thought.");
    let file = dir.path().join("data.bin");
    let data: Vec<u8> = (0..=255u8).cycle().take(5_000).collect();
    std::fs::write(&file, &data).unwrap();
    type_into(&mut app, composer::id::ATTACH_PATH, &file.display().to_string());
    click(&mut app, composer::id::ATTACH);
    tick(&mut app);
    assert_eq!(composer(&app).status(), Some("Draft saved (also in the Drafts folder)."));
    let id = composer(&app).draft_id().to_string();
    click(&mut app, composer::id::CLOSE);
    click(&mut app, composer::id::SAVE_DRAFT);
    assert!(app.composer().is_none());
    assert_eq!(maildir(&s, &alice, "Drafts").len(), 1);
    // As on another computer: only the copy in the Drafts folder.
    Drafts::new(&profile).remove(&id).unwrap();

    // Another program's draft there too.
    let foreign = format!(
        "From: Alice <{}>\r\nTo: erin@example.test\r\nSubject: From the phone\r\n\
         Date: Thu, 12 Dec 2024 09:00:00 +0000\r\nMessage-ID: <phone-1@example.test>\r\n\r\nTyped on the bus.\r\n",
        alice.email
    );
    let cur = s.maildir(&alice).join(".Drafts").join("cur");
    std::fs::write(cur.join("1733994000.phone1.example:2,DS"), foreign.as_bytes()).unwrap();
    sync(&profile, &acc, &secrets);

    // Opening the draft in the Drafts folder opens the composer with all it held.
    let uid = draft_row(&mut app, &acc.id, "Grüße — 日本語");
    click(&mut app, &mailbox::id::row(uid));
    let c = composer(&app);
    assert_eq!(c.draft_id(), id, "the same draft");
    assert_eq!(c.from().address.email, alice.email);
    assert_eq!(c.to(), format!("Bob <{}>", bob.email));
    assert_eq!((c.cc(), c.bcc()), ("carol@example.test", "dave@example.test"));
    assert_eq!(c.subject(), "Grüße — 日本語");
    assert_eq!(c.body().trim_end(), "Half a thought.");
    assert_eq!(c.attachments().len(), 1);
    assert_eq!((c.attachments()[0].name.as_str(), &c.attachments()[0].bytes), ("data.bin", &data));
    assert!(!c.changed_since_opened());

    // Sent: into the Outbox, and the copy leaves the Drafts folder.
    settle(&mut app, vec![Message::Composer(composer::Message::Send)]);
    assert!(app.composer().is_none(), "queued");
    let store = Store::open(composer::store_path(&profile)).unwrap();
    assert_eq!(store.outbox_list(None).unwrap().len(), 1);
    let left = maildir(&s, &alice, "Drafts");
    assert_eq!(left.len(), 1, "only the other program's draft is left");
    assert!(String::from_utf8_lossy(&left[0]).contains("From the phone"));

    // The other program's draft: opened, closed unchanged without a question, opened again,
    // changed, then discarded: its copy goes.
    let uid = draft_row(&mut app, &acc.id, "From the phone");
    click(&mut app, &mailbox::id::row(uid));
    let c = composer(&app);
    assert_eq!((c.to(), c.subject()), ("erin@example.test", "From the phone"));
    assert_eq!(c.body().trim_end(), "Typed on the bus.");
    click(&mut app, composer::id::CLOSE);
    assert!(app.composer().is_none(), "unchanged: no question");
    assert_eq!(maildir(&s, &alice, "Drafts").len(), 1, "and the draft stays");
    click(&mut app, &mailbox::id::row(uid));
    type_into(&mut app, composer::id::BODY, " And more.");
    click(&mut app, composer::id::CLOSE);
    assert!(composer(&app).is_asking());
    click(&mut app, composer::id::DISCARD);
    assert!(app.composer().is_none());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !maildir(&s, &alice, "Drafts").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(maildir(&s, &alice, "Drafts").is_empty(), "the other program's copy is gone");
}
