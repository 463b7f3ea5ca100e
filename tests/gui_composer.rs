//! Headless UI flows (iced_test) for the composer: a reply from the mailbox pre-fills the
//! recipients, the subject and the quote; a draft is kept when closing asks, and restored by
//! a new app on the same profile; a message composed in the window (typed, a file attached,
//! Ctrl+Enter) goes into the Outbox and reaches bob through the testkit's Postfix and
//! Dovecot, its draft copy in alice's Drafts folder removed. Typed at real speed (one key a
//! frame, in a window that keeps its widget state: `live_window`), every field keeps what is
//! typed into it while the completion row and the drafts from before come and go, and the
//! completion row shows every suggestion whole in a small window.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_composer`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod composer_helpers;
mod live_window;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{assert_snapshot, settle};
use composer_helpers::*;
use iced::Theme;
use iced::keyboard::Modifiers;
use iced::theme::Mode;
use iced_test::selector::id;
use live_window::LiveWindow;

use tidings::app::{App, Message, Screen};
use tidings::screen::composer::{self, Field};
use tidings::screen::mailbox;
use tidings_mail::account::{Account, Identity, SecretRole};
use tidings_mail::auth::Credentials;
use tidings_mail::compose::{Address, Drafts, Original};
use tidings_mail::config::Config;
use tidings_mail::net::Transcript;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Flags, FolderInfo, NewMessage, Role, Store, StoreHandle, Summary};

const ORIGINAL: &str = "From: \"Dave Null\" <dave@example.com>\r\nTo: Work <work@example.test>, \
    Erin <erin@example.test>\r\nCc: frank@example.test\r\nSubject: Meeting notes\r\n\
    Date: Thu, 12 Dec 2024 09:00:00 +0000\r\nMessage-ID: <notes-1@example.com>\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\r\n\
    Notes from Monday:\r\n\r\n- ship the list\r\n- then the reader\r\n\r\nDave\r\n";

/// A profile whose store holds the "work" account's INBOX with Dave's message (body kept).
fn profile_with_a_message(dir: &Path) -> Profile {
    let profile = Profile::at(dir);
    let mut store = Store::open(composer::store_path(&profile)).unwrap();
    let account = store.account("work").unwrap();
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
        size: ORIGINAL.len() as u32,
        internal_date: Some(1_733_994_000),
        summary: Summary {
            date: Some(1_733_994_000),
            from_name: Some("Dave Null".into()),
            from_addr: Some("dave@example.com".into()),
            to: Some("Work <work@example.test>, Erin <erin@example.test>".into()),
            cc: Some("frank@example.test".into()),
            subject: Some("Meeting notes".into()),
            ..Summary::default()
        },
        parse_error: None,
    };
    store.insert_messages(inbox, 7, &[msg]).unwrap();
    store.save_body(inbox, 7, 1, ORIGINAL.as_bytes()).unwrap();
    profile
}

/// The app on the accounts overview with the "work" account (its server unreachable).
fn work_app(profile: &Profile) -> App {
    let mut config = Config::default();
    config.add_account(account("Work", "work@example.test", "127.0.0.1", 1, 1, None)).unwrap();
    App::with_config(profile.clone(), Secrets::in_memory(), config)
}

#[test]
fn reply_prefills_recipients_subject_and_quote() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_with_a_message(dir.path());
    let mut app = work_app(&profile);
    open_mailbox(&mut app, "work");
    // Nothing selected: Ctrl+R has nothing to reply to.
    press(&mut app, "r", Modifiers::CTRL);
    assert!(app.composer().is_none());
    click(&mut app, &mailbox::id::row(1));

    press(&mut app, "r", Modifiers::CTRL);
    let c = composer(&app);
    assert_eq!(c.to(), "Dave Null <dave@example.com>");
    assert_eq!(c.cc(), "");
    assert_eq!(c.subject(), "Re: Meeting notes");
    assert!(
        c.body().starts_with(
            "On 12 Dec 2024 09:00 +0000, Dave Null wrote:\n> Notes from Monday:\n>\n> - ship the list\n"
        ),
        "{}",
        c.body()
    );
    assert_eq!(c.from().account, "work");
    let shown = texts(&app);
    assert!(shown.iter().any(|t| t == "Re: Meeting notes"), "{shown:?}");
    assert!(shown.iter().any(|t| t == "Ctrl+Enter sends"), "{shown:?}");
    let _ = app.update(Message::SystemTheme(Mode::Light));
    {
        let mut ui = window(&app);
        assert_snapshot(&mut ui, &Theme::Light, "composer-reply-light");
    }

    // Nothing typed yet (the reply is as prepared): closing asks nothing.
    settle(&mut app, vec![Message::Composer(composer::Message::Close)]);
    assert!(app.composer().is_none(), "closed");
    assert!(matches!(app.screen(), Screen::Mailbox(_)), "back to the mailbox");

    // Reply to all: everyone else in Cc, our own address left out.
    press(&mut app, "R", Modifiers::CTRL | Modifiers::SHIFT);
    let c = composer(&app);
    assert_eq!(c.to(), "Dave Null <dave@example.com>");
    assert_eq!(c.cc(), "Erin <erin@example.test>, frank@example.test");
    settle(&mut app, vec![Message::Composer(composer::Message::Close)]);

    // Forward: the header block and the text; no recipient yet.
    press(&mut app, "l", Modifiers::CTRL);
    let c = composer(&app);
    assert_eq!((c.to(), c.subject()), ("", "Fwd: Meeting notes"));
    assert!(
        c.body().contains("-------- Forwarded Message --------\nSubject: Meeting notes\n"),
        "{}",
        c.body()
    );
    settle(&mut app, vec![Message::Composer(composer::Message::Close)]);

    // The toolbar offers the same, and forwarding as an attachment.
    click(&mut app, mailbox::id::FORWARD_ATTACHED);
    let c = composer(&app);
    assert_eq!(c.subject(), "Fwd: Meeting notes");
    assert_eq!(c.attachments().len(), 1);
    assert_eq!(c.attachments()[0].name, "Meeting notes.eml");
    assert_eq!(c.attachments()[0].bytes, ORIGINAL.as_bytes());
    settle(&mut app, vec![Message::Composer(composer::Message::Close)]);
    click(&mut app, mailbox::id::REPLY);
    assert_eq!(composer(&app).to(), "Dave Null <dave@example.com>");
    settle(&mut app, vec![Message::Composer(composer::Message::Close)]);
    click(&mut app, mailbox::id::WRITE);
    assert_eq!((composer(&app).to(), composer(&app).subject()), ("", ""));
}

#[test]
fn identities_are_offered_in_from_and_a_reply_goes_out_from_the_address_it_was_sent_to() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_with_a_message(dir.path());
    let mut acc = account("Work", "alice@example.test", "127.0.0.1", 1, 1, None);
    acc.sender_name = Some("Alice Example".into());
    acc.identities = vec![
        Identity { name: None, email: "sales@example.test".into() },
        Identity { name: Some("Work desk".into()), email: "work@example.test".into() },
    ];
    let mut config = Config::default();
    config.add_account(acc).unwrap();
    let mut app = App::with_config(profile.clone(), Secrets::in_memory(), config);
    open_mailbox(&mut app, "work");

    // A new message: the account's own address, with the person's name; every identity
    // offered, a nameless one with the person's name.
    press(&mut app, "n", Modifiers::CTRL);
    let offered: Vec<String> = composer(&app).senders().iter().map(ToString::to_string).collect();
    assert_eq!(
        offered,
        [
            "Work — Alice Example <alice@example.test>",
            "Work — Alice Example <sales@example.test>",
            "Work — Work desk <work@example.test>",
        ]
    );
    assert_eq!(composer(&app).from().address, Address::new(Some("Alice Example"), "alice@example.test"));
    let sales = composer(&app).senders()[1].clone();
    settle(&mut app, vec![Message::Composer(composer::Message::FromSelected(sales))]);
    type_into(&mut app, composer::id::TO, "bob@example.test");
    type_into(&mut app, composer::id::SUBJECT, "From sales");
    settle(&mut app, vec![Message::Composer(composer::Message::Send)]);
    assert!(app.composer().is_none(), "queued");

    // Dave wrote to work@example.test: a reply to all goes out from that identity, and
    // none of our addresses is among its recipients.
    click(&mut app, &mailbox::id::row(1));
    press(&mut app, "R", Modifiers::CTRL | Modifiers::SHIFT);
    let c = composer(&app);
    assert_eq!(c.from().address, Address::new(Some("Work desk"), "work@example.test"));
    assert_eq!(
        (c.to(), c.cc()),
        ("Dave Null <dave@example.com>", "Erin <erin@example.test>, frank@example.test")
    );
    settle(&mut app, vec![Message::Composer(composer::Message::Send)]);
    assert!(app.composer().is_none(), "queued");

    // What the Outbox holds to send: the From headers as chosen.
    let store = Store::open(composer::store_path(&profile)).unwrap();
    let mut froms: Vec<(String, String)> = store
        .outbox_list(None)
        .unwrap()
        .iter()
        .map(|item| {
            let o = Original::parse(&store.outbox_raw(item.id).unwrap().unwrap()).unwrap();
            (o.subject, o.from[0].to_string())
        })
        .collect();
    froms.sort();
    assert_eq!(
        froms,
        [
            ("From sales".to_string(), "Alice Example <sales@example.test>".to_string()),
            ("Re: Meeting notes".to_string(), "Work desk <work@example.test>".to_string()),
        ]
    );

    // A draft written from sales@, then sales@ is removed from the settings: restored, it
    // goes out from the account's own address, and the composer says so.
    press(&mut app, "n", Modifiers::CTRL);
    let sales = composer(&app).senders()[1].clone();
    settle(&mut app, vec![Message::Composer(composer::Message::FromSelected(sales))]);
    type_into(&mut app, composer::id::SUBJECT, "Later");
    click(&mut app, composer::id::CLOSE);
    click(&mut app, composer::id::SAVE_DRAFT);
    assert!(app.composer().is_none());
    let draft = Drafts::new(&profile).list().unwrap().drafts.remove(0);
    assert_eq!(draft.from.email, "sales@example.test");
    drop(app);
    let mut acc = account("Work", "alice@example.test", "127.0.0.1", 1, 1, None);
    acc.sender_name = Some("Alice Example".into());
    let mut config = Config::default();
    config.add_account(acc).unwrap();
    let mut app = App::with_config(profile.clone(), Secrets::in_memory(), config);
    open_mailbox(&mut app, "work");
    press(&mut app, "n", Modifiers::CTRL);
    click(&mut app, &composer::id::restore(&draft.id));
    let c = composer(&app);
    assert_eq!(c.subject(), "Later");
    assert_eq!(c.from().address, Address::new(Some("Alice Example"), "alice@example.test"));
    let note = c.status().unwrap_or_default();
    assert!(note.starts_with("sales@example.test is no longer one of this account's addresses"), "{note}");
}

#[test]
fn a_draft_is_kept_on_closing_and_restored_by_a_new_app() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_with_a_message(dir.path());
    let mut app = work_app(&profile);
    open_mailbox(&mut app, "work");
    press(&mut app, "n", Modifiers::CTRL);
    assert!(composer(&app).restorable().is_empty());

    // Completion from the addresses already seen.
    type_into(&mut app, composer::id::TO, "da");
    assert_eq!(composer(&app).to(), "da");
    click(&mut app, &composer::id::suggestion(0));
    assert_eq!(composer(&app).to(), "Dave Null <dave@example.com>, ");
    type_into(&mut app, composer::id::SUBJECT, "Grüße");
    type_into(&mut app, composer::id::BODY, "Half a thought");
    assert!(composer(&app).has_unsaved_changes());

    // Closing asks; Cancel keeps writing.
    click(&mut app, composer::id::CLOSE);
    assert!(composer(&app).is_asking());
    assert!(texts(&app).iter().any(|t| t == "This message has changes that are not saved."));
    click(&mut app, composer::id::CANCEL);
    assert!(!composer(&app).is_asking());

    // Saved every few seconds while it changes (the tick), only when changed.
    settle(&mut app, vec![Message::Composer(composer::Message::Tick)]);
    let id = composer(&app).draft_id().to_string();
    let drafts = Drafts::new(&profile);
    let saved = drafts.load(&id).unwrap();
    assert_eq!(saved.subject, "Grüße");
    assert!(!composer(&app).has_unsaved_changes());
    // The copy for the Drafts folder failed (the server is unreachable): said quietly.
    let status = composer(&app).status().unwrap_or_default().to_string();
    assert!(status.starts_with("Draft saved on this computer; not in the Drafts folder yet"), "{status}");
    let first_save = saved.saved_at;
    std::thread::sleep(Duration::from_millis(1100));
    settle(&mut app, vec![Message::Composer(composer::Message::Tick)]);
    assert_eq!(drafts.load(&id).unwrap().saved_at, first_save, "unchanged: not saved again");

    type_into(&mut app, composer::id::BCC, "secret@example.test");
    click(&mut app, composer::id::CLOSE);
    assert!(composer(&app).is_asking());
    click(&mut app, composer::id::SAVE_DRAFT);
    assert!(app.composer().is_none(), "closed after saving");
    assert!(matches!(app.screen(), Screen::Mailbox(_)));

    // A new app on the same profile (a restart): Ctrl+N lists the draft and restores it.
    drop(app);
    let mut app = work_app(&profile);
    open_mailbox(&mut app, "work");
    press(&mut app, "n", Modifiers::CTRL);
    assert_eq!(composer(&app).restorable().len(), 1);
    assert!(texts(&app).iter().any(|t| t == "Unsent drafts"));
    click(&mut app, &composer::id::restore(&id));
    let c = composer(&app);
    assert_eq!(c.draft_id(), id);
    assert_eq!(c.to(), "Dave Null <dave@example.com>, ");
    assert_eq!(c.bcc(), "secret@example.test");
    assert_eq!(c.subject(), "Grüße");
    assert!(c.body().starts_with("Half a thought"), "{:?}", c.body());
    assert!(!c.has_unsaved_changes());

    // Discarding removes it for good. Its copy in the Drafts folder could not be removed
    // (the server is unreachable): recorded, for the account's next send/receive.
    type_into(&mut app, composer::id::BODY, "!");
    click(&mut app, composer::id::CLOSE);
    click(&mut app, composer::id::DISCARD);
    assert!(app.composer().is_none());
    assert!(drafts.list().unwrap().drafts.is_empty());
    let mut store = Store::open(composer::store_path(&profile)).unwrap();
    assert_eq!(store.draft_removals("work").unwrap(), [id]);
}

#[test]
fn an_invalid_address_is_explained_and_nothing_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_with_a_message(dir.path());
    let mut app = work_app(&profile);
    open_mailbox(&mut app, "work");
    press(&mut app, "n", Modifiers::CTRL);
    type_into(&mut app, composer::id::TO, "bob@example.test, carol@");
    settle(&mut app, vec![Message::Composer(composer::Message::Send)]);
    let status = composer(&app).status().unwrap_or_default().to_string();
    assert_eq!(status, "Cannot send yet: To: \"carol@\" is not a valid email address");
    let store = Store::open(composer::store_path(&profile)).unwrap();
    assert!(store.outbox_list(None).unwrap().is_empty());
    assert_eq!(composer(&app).to(), "bob@example.test, carol@", "what was typed stays");
}

/// Every message file of a maildir folder ("" is INBOX), read as the recipient's client would.
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

/// alice's account on the testkit's servers (password for this session only), the app on a
/// profile in `dir`, its mailbox open and a new message in the composer.
fn composing_as_alice(s: &tidings_testkit::MailServers, dir: &Path) -> (App, Profile, Account, Secrets) {
    let alice = s.user("alice");
    let profile = Profile::at(dir);
    let mut config = Config::default();
    let acc =
        account("Alice", &alice.email, s.host(), s.imaps_port(), s.submission_port(), Some(s.ca_path()));
    let acc = config.add_account(acc).unwrap().clone();
    let secrets = Secrets::in_memory();
    secrets.keep_for_session(&acc.id, SecretRole::Incoming, &alice.password);
    let mut app = App::with_config(profile.clone(), secrets.clone(), config);
    open_mailbox(&mut app, &acc.id);
    press(&mut app, "n", Modifiers::CTRL);
    (app, profile, acc, secrets)
}

#[test]
fn a_message_composed_in_the_window_reaches_bob_through_the_outbox() {
    let s = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let (alice, bob) = (s.user("alice").clone(), s.user("bob").clone());
    let dir = tempfile::tempdir().unwrap();
    let (mut app, profile, acc, secrets) = composing_as_alice(&s, dir.path());

    type_into(&mut app, composer::id::TO, &format!("Bob <{}>", bob.email));
    type_into(&mut app, composer::id::SUBJECT, "Grüße — 日本語");
    type_into(&mut app, composer::id::BODY, "Hello Bob, this is Alice.");
    let file = dir.path().join("data.bin");
    let data: Vec<u8> = (0..=255u8).cycle().take(50_000).collect();
    std::fs::write(&file, &data).unwrap();
    type_into(&mut app, composer::id::ATTACH_PATH, &file.display().to_string());
    click(&mut app, composer::id::ATTACH);
    assert_eq!(composer(&app).attachments().len(), 1);
    assert!(texts(&app).iter().any(|t| t == "📎 data.bin (49 KB)"), "{:?}", texts(&app));

    // The tick saves the draft here and in alice's Drafts folder.
    settle(&mut app, vec![Message::Composer(composer::Message::Tick)]);
    let status = composer(&app).status().unwrap_or_default().to_string();
    assert_eq!(status, "Draft saved (also in the Drafts folder).");
    assert_eq!(maildir(&s, &alice, "Drafts").len(), 1);

    // Ctrl+Enter (the editor's binding) sends: into the Outbox, the composer closes.
    let _ = Field::To;
    settle(&mut app, vec![Message::Composer(composer::Message::Send)]);
    assert!(app.composer().is_none(), "closed once queued");
    assert!(Drafts::new(&profile).list().unwrap().drafts.is_empty(), "the draft is gone");
    assert!(maildir(&s, &alice, "Drafts").is_empty(), "and its copy in the Drafts folder");

    // The app asks the account's send/receive to run; here the Outbox is flushed directly.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let report = runtime.block_on(async {
        let store = StoreHandle::spawn(Store::open(composer::store_path(&profile)).unwrap()).unwrap();
        let passwords = Credentials::lookup(&acc, &secrets).await.unwrap();
        tidings_mail::send::flush_outbox(&store, &acc, &passwords, &Transcript::new(), &|_| {}).await.unwrap()
    });
    assert!(report.ok(), "{report:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while maildir(&s, &bob, "").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let inbox = maildir(&s, &bob, "");
    assert_eq!(inbox.len(), 1);
    let got = Original::parse(&inbox[0]).unwrap();
    assert_eq!(got.subject, "Grüße — 日本語");
    assert_eq!(got.text.replace("\r\n", "\n").trim_end(), "Hello Bob, this is Alice.");
    assert_eq!(got.attachments.len(), 1);
    assert_eq!(got.attachments[0].bytes, data, "attachment bytes equal");
}

/// The first copy for the Drafts folder still on its way when the message is sent (it
/// would land after the composer is gone): no copy stays there, nor on this computer. The
/// message is built off the UI thread: until it is in the Outbox the composer shows
/// "Sending…" and Send does nothing.
#[test]
fn a_draft_save_under_way_when_sending_leaves_no_copy_anywhere() {
    let s = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let (alice, bob) = (s.user("alice").clone(), s.user("bob").clone());
    let dir = tempfile::tempdir().unwrap();
    let (mut app, profile, _acc, _secrets) = composing_as_alice(&s, dir.path());
    type_into(&mut app, composer::id::TO, &bob.email);
    type_into(&mut app, composer::id::BODY, "Sent while its draft is being saved.");

    // The tick saves the file; the copy for the Drafts folder it starts is held back.
    let saved = common::run(app.update(Message::Composer(composer::Message::Tick)));
    assert!(matches!(saved.as_slice(), [Message::Composer(composer::Message::DraftSaved(Ok(Some(_))))]));
    let folder_copy = app.update(saved.into_iter().next().unwrap());
    assert_eq!(Drafts::new(&profile).list().unwrap().drafts.len(), 1);

    let enqueue = app.update(Message::Composer(composer::Message::Send));
    assert_eq!(composer(&app).status(), Some("Putting the message into the Outbox…"));
    assert!(texts(&app).iter().any(|t| t == "Sending…"), "{:?}", texts(&app));
    let mut ui = window(&app);
    ui.click(id(composer::id::SEND.to_string())).unwrap();
    assert_eq!(ui.into_messages().count(), 0, "Send does nothing until the message is queued");
    let store = Store::open(composer::store_path(&profile)).unwrap();
    assert!(store.outbox_list(None).unwrap().is_empty(), "not built or queued inside update");

    settle(&mut app, common::run(enqueue));
    assert!(app.composer().is_none(), "closed once queued");
    assert_eq!(store.outbox_list(None).unwrap().len(), 1);

    // The copy that was on its way now lands, after the composer is gone.
    settle(&mut app, common::run(folder_copy));
    assert!(maildir(&s, &alice, "Drafts").is_empty(), "no copy in the Drafts folder");
    assert!(Drafts::new(&profile).list().unwrap().drafts.is_empty(), "nor on this computer");
}

/// The mailbox of `work_app` in a window that keeps its widget state, with the composer open
/// by a click on Write (its focus task applied, as the runtime does).
fn live_composer(app: &mut App, size: (f32, f32)) -> LiveWindow {
    open_mailbox(app, "work");
    let mut live = LiveWindow::new(size);
    live.click(app, mailbox::id::WRITE);
    assert!(app.composer().is_some());
    live
}

#[test]
fn every_field_keeps_what_is_typed_at_real_speed_while_completion_comes_and_goes() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_with_a_message(dir.path());
    let mut app = work_app(&profile);
    let mut live = live_composer(&mut app, (1024.0, 768.0));
    assert!(live.has_focus(&app, composer::id::TO), "the cursor starts in To");

    // Each key is its own frame: the completion row under To appears while typing there and
    // goes away with the first key typed in Cc. The keys after it stay in Cc.
    live.type_text(&mut app, "dave@example.com");
    assert!(live.bounds(&app, &composer::id::suggestion(0)).is_some(), "completion under To");
    live.click(&mut app, composer::id::CC);
    live.type_text(&mut app, "erin@example.test");
    assert!(live.bounds(&app, &composer::id::suggestion(0)).is_some(), "completion under Cc");
    live.click(&mut app, composer::id::BCC);
    live.type_text(&mut app, "frank@example.test");
    live.click(&mut app, composer::id::SUBJECT);
    live.type_text(&mut app, "Hello World");
    {
        let c = composer(&app);
        assert_eq!(c.to(), "dave@example.com");
        assert_eq!(c.cc(), "erin@example.test");
        assert_eq!(c.bcc(), "frank@example.test");
        assert_eq!(c.subject(), "Hello World");
    }

    // Back in To: a second address picked from the completion row, then a third typed; the
    // pick puts the cursor back at the end of To.
    live.click(&mut app, composer::id::TO);
    live.type_text(&mut app, ", fr");
    live.click(&mut app, &composer::id::suggestion(0));
    assert!(live.has_focus(&app, composer::id::TO));
    live.type_text(&mut app, "x@example.test");
    live.click(&mut app, composer::id::BODY);
    live.type_text(&mut app, "Hi all");
    live.click(&mut app, composer::id::ATTACH_PATH);
    live.type_text(&mut app, "/nowhere");

    let c = composer(&app);
    assert_eq!(c.to(), "dave@example.com, frank@example.test, x@example.test");
    assert_eq!(c.cc(), "erin@example.test");
    assert_eq!(c.bcc(), "frank@example.test");
    assert_eq!(c.subject(), "Hello World");
    assert_eq!(c.body().trim_end(), "Hi all");
    assert_eq!(c.draft().to_message().map(|m| m.bcc.len()).ok(), Some(1), "one Bcc recipient");
}

#[test]
fn the_cursor_stays_in_to_when_the_drafts_from_before_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_with_a_message(dir.path());
    let mut draft = tidings_mail::compose::Draft::new("work", Address::new(None, "work@example.test"));
    draft.subject = "Left from before".into();
    Drafts::new(&profile).save(&mut draft).unwrap();
    let mut app = work_app(&profile);
    // The list of drafts arrives after the focus was put in To, and shows above the form.
    let mut live = live_composer(&mut app, (1024.0, 768.0));
    assert_eq!(composer(&app).restorable().len(), 1);
    assert!(live.has_focus(&app, composer::id::TO), "the cursor is still in To");
    live.type_text(&mut app, "dave@example.com");
    assert_eq!(composer(&app).to(), "dave@example.com");
}

#[test]
fn every_suggestion_is_shown_whole_in_a_small_window() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_with_a_message(dir.path());
    let mut app = work_app(&profile);
    let mut live = live_composer(&mut app, (800.0, 600.0));
    // Four addresses seen match, wider together than the window: none is cut off or covered.
    live.type_text(&mut app, "ex");
    for i in 0..4 {
        assert!(live.shown_whole(&app, &composer::id::suggestion(i)), "suggestion {i} is cut");
    }
    live.click(&mut app, &composer::id::suggestion(3));
    assert!(composer(&app).to().ends_with(", "), "{}", composer(&app).to());
    assert!(live.has_focus(&app, composer::id::TO));
}
