//! Headless UI flows (iced_test) for the mailbox: opening an account's mailbox from the
//! overview, the folder tree, the virtualised list (sorting, keyboard, an error row, 100k
//! rows), the reader (text, HTML and enriched text as rich text with remote content blocked,
//! attachments, TNEF, a bounce's report and returned header), the actions (mark read, star,
//! delete, move) through the store's action queue, the account's send/receive task against
//! the testkit's Dovecot (the app's subscription, run by `gui_mailbox_helpers::Worker`), and
//! snapshots of the three panes.
//!
//! Most flows need no server: the store is filled in the test (`insert_messages`,
//! `save_body`), and the account has no password, so getting mail fails at once and says so.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_mailbox`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::path::Path;
use std::time::Duration;

use common::{assert_snapshot, run, settle};
use gui_mailbox_helpers::{Live, Worker, dovecot};

use iced::keyboard::{Key, Modifiers, key::Named};
use iced::theme::Mode;
use iced::widget::container;
use iced::{Length, Theme};
use iced_test::Simulator;
use iced_test::selector::id;

use tidings::app::{App, Message, Screen};
use tidings::passes;
use tidings::screen::accounts;
use tidings::screen::mailbox::{self, Body, Mailbox, Setup};
use tidings::widget::status::Status;
use tidings_mail::config::Config;
use tidings_mail::options::BodyFormat;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{NewMessage, ServerOp, Sort, SortKey, Store};

use gui_mailbox_helpers::fixture::*;

#[test]
fn the_overview_opens_the_mailbox_with_folders_and_the_newest_messages() {
    let fx = fixture();
    let app = opened(&fx);
    let mb = mailbox(&app);
    assert_eq!(mb.account(), Some(fx.account));
    let tree: Vec<(usize, &str)> = mb.folders().iter().map(|n| (n.depth, n.label.as_str())).collect();
    assert_eq!(tree, [(0, "Inbox"), (1, "Lists"), (0, "Sent"), (0, "Archive"), (0, "Trash")]);
    assert_eq!(mb.list().folder(), Some(fx.inbox));
    // Newest first; only a window of rows was read, all of them here.
    assert_eq!(uids(&app)[..3], [40, 39, 38]);
    let unread = (1..=NEWEST).filter(|u| u.is_multiple_of(3)).count();
    assert_eq!(mb.list().counts().unread, unread as u64);
    let shown = texts(&app);
    for text in [
        "Inbox",
        "Lists",
        &unread.to_string(),
        "Erin Example",
        "Photos from the trip #40",
        "2024-12-12 16:00",
    ] {
        assert!(shown.iter().any(|t| t == text), "{text:?} is not shown: {shown:?}");
    }
    assert!(shows(&app, &format!("{NEWEST} messages, {unread} unread")));
    // The unreadable message is an error row.
    assert!(shows(&app, "⚠ Unreadable header"));
    assert!(shows(&app, "the header could not be read"));

    // The account's task starts (as the app's subscription starts it): no password is
    // stored, so its first pass fails at once, and the status bar says why.
    let mut app = app;
    let account = app.config().account("work").unwrap().clone();
    let worker = Worker::start(
        passes::Key::for_account(&fx.profile, &account, Secrets::in_memory()).without_notifications(),
    );
    let status = |app: &App| app.passes().status("work").line();
    worker.until(
        &mut app,
        Duration::from_secs(20),
        "failed pass",
        |app| status(app).starts_with("Check at "),
        status,
    );
    let line = status(&app);
    assert!(line.contains(" failed: No incoming password is stored for the account \"Work\""), "{line}");
    assert!(shows(&app, &line), "the status bar shows {line:?}");

    click(&mut app, mailbox::id::BACK);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    // The overview shows each account's status too.
    assert!(shows(&app, &line));
}

#[test]
fn folders_switch_and_messages_open_in_the_reader() {
    let fx = fixture();
    let mut app = opened(&fx);
    click(&mut app, &mailbox::id::folder("Archive"));
    assert_eq!(mailbox(&app).list().folder(), Some(fx.archive));
    assert_eq!(uids(&app), [103, 102, 101]);
    assert!(shows(&app, "Archived thing 103"));
    click(&mut app, &mailbox::id::folder("INBOX"));

    // HTML: rich text with the link, emphasis and the list; remote images never fetched.
    click(&mut app, &mailbox::id::row(NEWEST));
    let reader = mailbox(&app).reader();
    let shown = reader.shown().expect("the message is shown");
    let Body::Rich(rich) = &shown.body else { panic!("not rich text: {:?}", shown.body) };
    let text = rich.plain();
    assert!(text.contains("The photos are online, see the album."), "{text}");
    assert!(text.contains("Day one: the lake") && text.contains("[Cover photo]"), "{text}");
    let link = rich.pieces.iter().find(|p| p.link.is_some()).unwrap();
    assert_eq!(link.link.as_deref(), Some("https://photos.example.test/album/7"));
    assert!(rich.pieces.iter().any(|p| p.text == "online" && p.emphasis.strong));
    assert_eq!(shown.remote_blocked, 2);
    let screen = texts(&app);
    for text in [
        "Photos from the trip #40",
        "Erin Example <erin@example.test>",
        "Bob Stone <bob@example.test>",
        "2024-12-12 16:00 UTC",
        "Remote content blocked: 2 remote images or resources were not loaded.",
        "1 attachment",
        "itinerary.pdf",
        "application/pdf",
        "52 B",
    ] {
        assert!(screen.iter().any(|t| t == text), "{text:?} is not shown: {screen:?}");
    }

    // A clicked link shows where it goes before anything opens it; Copy copies it.
    let url = link.link.clone().unwrap();
    settle(&mut app, vec![Message::Mailbox(mailbox::Message::LinkClicked(url.clone()))]);
    assert!(shows(&app, "This link goes to") && shows(&app, &url) && shows(&app, "Open in browser"));
    assert_eq!(mailbox(&app).reader().content().link.as_deref(), Some(url.as_str()));
    click(&mut app, mailbox::id::COPY_LINK);
    assert!(shows(&app, "Copied the link https://photos.example.test/album/7"));
    assert!(!shows(&app, "This link goes to"), "the bar is gone once the link is copied");
    // Only web addresses are offered to the browser.
    settle(&mut app, vec![Message::Mailbox(mailbox::Message::LinkClicked("javascript:alert(1)".into()))]);
    assert!(shows(&app, "javascript:alert(1)") && !shows(&app, "Open in browser"));
    click(&mut app, mailbox::id::CLOSE_LINK);
    assert!(!shows(&app, "This link goes to"));

    // Plain text, as is.
    click(&mut app, &mailbox::id::row(PLAIN));
    let reader = mailbox(&app).reader();
    match &reader.shown().unwrap().body {
        Body::Text(t) => assert!(t.starts_with("Notes from Monday:\n\n- ship the list"), "{t:?}"),
        other => panic!("{other:?}"),
    }
    // Opening an unread message marks it read (and records it for the server).
    assert!(!mailbox(&app).list().rows().iter().find(|r| r.uid == PLAIN).unwrap().unread);
    assert!(!check_store(&fx).message(fx.inbox, PLAIN).unwrap().unwrap().unread);

    // A body that was never downloaded must come from the server, which cannot be reached
    // without a password: said plainly, with what to do.
    click(&mut app, &mailbox::id::row(38));
    let error = mailbox(&app).reader().error().expect("an error is shown").to_string();
    assert_eq!(error, "no incoming password is stored for the account \"Work\"");
    assert!(shows(
        &app,
        "Cannot show this message: no incoming password is stored for the account \"Work\"."
    ));
    assert!(shows(&app, "Fix the account settings and try again."));
}

const ENRICHED_MESSAGE: &str = "From: Ana Lima <ana@example.test>\r\nTo: Work <work@example.test>\r\n\
    Subject: Numbers for the review\r\nDate: Tue, 01 Oct 2024 10:00:00 +0200\r\n\
    MIME-Version: 1.0\r\nContent-Type: text/enriched; charset=us-ascii\r\n\r\n\
    The <bold>report</bold> is on the wiki.\r\n\r\n\
    <excerpt>Can you send the numbers?</excerpt>\r\n\r\nAna\r\n";

/// A bounce from Postfix: its text, the delivery-status part, and the returned header.
const BOUNCE_MESSAGE: &str = "From: MAILER-DAEMON@mx.example.test (Mail Delivery System)\r\n\
    To: work@example.test\r\nSubject: Undelivered Mail Returned to Sender\r\n\
    Date: Tue, 01 Oct 2024 10:05:00 +0200\r\nMIME-Version: 1.0\r\n\
    Content-Type: multipart/report; report-type=delivery-status; boundary=\"dsn\"\r\n\r\n\
    --dsn\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
    Your message could not be delivered to one or more recipients.\r\n\
    --dsn\r\nContent-Type: message/delivery-status\r\n\r\n\
    Reporting-MTA: dns; mx.example.test\r\n\r\n\
    Final-Recipient: rfc822; nobody@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\
    Diagnostic-Code: smtp; 550 5.1.1 Recipient address rejected: User unknown\r\n\
    --dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n\
    From: Work <work@example.test>\r\nTo: nobody@example.test\r\nSubject: Lunch?\r\n\
    Date: Tue, 01 Oct 2024 10:04:00 +0200\r\n\
    --dsn--\r\n";

/// A message from Outlook as TNEF only (winmail.dat, sent as is): its body and attachments
/// live inside the TNEF stream.
fn tnef_message() -> Vec<u8> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/mail/tests/corpus/tnef/umlaut.tnef");
    let mut raw = b"From: Ana Lima <ana@example.test>\r\nTo: Work <work@example.test>\r\n\
        Subject: Pictures and a text\r\nDate: Tue, 01 Oct 2024 10:00:00 +0200\r\nMIME-Version: 1.0\r\n\
        Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: binary\r\n\
        Content-Disposition: attachment; filename=\"winmail.dat\"\r\n\r\n"
        .to_vec();
    raw.extend(std::fs::read(sample).unwrap());
    raw
}

/// The reader lays out what the core reads: text/enriched as rich text (bold, a quote), a
/// TNEF message's attachments by their own names, a bounce's recipients and returned header.
#[test]
fn enriched_text_tnef_and_bounces_show_what_they_hold() {
    let fx = fixture();
    let (enriched, tnef, bounce) = (37, 36, 34);
    let mut store = check_store(&fx);
    store.save_body(fx.inbox, 7, enriched, ENRICHED_MESSAGE.as_bytes()).unwrap();
    store.save_body(fx.inbox, 7, tnef, &tnef_message()).unwrap();
    store.save_body(fx.inbox, 7, bounce, BOUNCE_MESSAGE.as_bytes()).unwrap();
    drop(store);
    let mut app = opened(&fx);

    click(&mut app, &mailbox::id::row(enriched));
    let shown = mailbox(&app).reader().shown().expect("the message is shown");
    let Body::Rich(rich) = &shown.body else { panic!("not rich text: {:?}", shown.body) };
    assert!(rich.pieces.iter().any(|p| p.text == "report" && p.emphasis.strong), "{rich:?}");
    let quote = rich.pieces.iter().find(|p| p.block.quote == 1).expect("a quoted piece");
    assert_eq!(quote.text.trim_end(), "Can you send the numbers?");
    assert!(rich.plain().contains("> Can you send the numbers?"), "{}", rich.plain());
    assert!(shown.attachments.is_empty(), "{:?}", shown.attachments);
    assert!(shows(&app, "Numbers for the review"));

    click(&mut app, &mailbox::id::row(tnef));
    let shown = mailbox(&app).reader().shown().expect("the message is shown");
    // The image the HTML body shows (cid:) is shown in it, not listed.
    let names: Vec<&str> = shown.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["TBZ PARIV GmbH.jpg", "UmlautAnhang-äüö.txt"]);
    let inline: Vec<&String> = shown.images.keys().collect();
    assert!(matches!(&inline[..], [src] if src.starts_with("cid:image003.jpg")), "{inline:?}");
    let Body::Rich(rich) = &shown.body else { panic!("not rich text: {:?}", shown.body) };
    assert!(rich.plain().contains("TEST äöü"), "{}", rich.plain());
    let screen = texts(&app);
    for text in [
        "2 attachments",
        "TBZ PARIV GmbH.jpg",
        "application/octet-stream",
        "UmlautAnhang-äüö.txt",
        "14 B",
        "This message came from Outlook in its own format (TNEF, winmail.dat); it is shown decoded.",
    ] {
        assert!(screen.iter().any(|t| t == text), "{text:?} is not shown: {screen:?}");
    }
    assert!(!screen.iter().any(|t| t == "winmail.dat"), "{screen:?}");

    click(&mut app, &mailbox::id::row(bounce));
    let screen = texts(&app);
    for text in [
        "Your message could not be delivered to one or more recipients.",
        "Delivery report from mx.example.test",
        "nobody@example.test",
        "failed · 5.1.1",
        "550 5.1.1 Recipient address rejected: User unknown",
        "Forwarded message",
        "Lunch?",
        "Work <work@example.test>",
        "2024-10-01 08:04 UTC",
        "Only the header of the original message came back.",
    ] {
        assert!(screen.iter().any(|t| t == text), "{text:?} is not shown: {screen:?}");
    }
    // The returned header has no body, and needs no word on it.
    assert!(!screen.iter().any(|t| t == "This message has no text."), "{screen:?}");
}

#[test]
fn the_body_format_preference_switches_the_body() {
    // The account's "Show" setting: Best and HTML show the HTML part as rich text, Plain text
    // the text part of the same message; a text-only message is text under every setting.
    let fx = fixture();
    let shown = |format: BodyFormat, uid: u32| {
        let mut config = Config::default();
        let mut account = account_for("127.0.0.1", 1, "work", None);
        account.options.body_format = format;
        config.add_account(account).unwrap();
        let mut app = App::with_config(fx.profile.clone(), Secrets::in_memory(), config);
        click(&mut app, &accounts::open_mailbox_id("work"));
        click(&mut app, &mailbox::id::row(uid));
        mailbox(&app).reader().shown().expect("the message is shown").body.clone()
    };
    for format in [BodyFormat::Best, BodyFormat::Html] {
        let Body::Rich(rich) = shown(format, NEWEST) else { panic!("{format:?}: not the HTML part") };
        assert!(rich.plain().contains("Our trip"), "{format:?}: {}", rich.plain());
    }
    let Body::Text(text) = shown(BodyFormat::PlainText, NEWEST) else { panic!("not the text part") };
    assert_eq!(text.trim_end(), "The photos are online.");
    for format in [BodyFormat::Best, BodyFormat::Html, BodyFormat::PlainText] {
        let Body::Text(text) = shown(format, PLAIN) else { panic!("{format:?}: not text") };
        assert!(text.starts_with("Notes from Monday:"), "{format:?}: {text}");
    }
}

#[test]
fn mark_read_star_delete_and_move_go_through_the_action_queue() {
    let fx = fixture();
    let mut app = opened(&fx);
    let unread_before = mailbox(&app).list().counts().unread;

    // Down, Down: the second row (39, unread). M marks it read.
    press(&mut app, Key::Named(Named::ArrowDown), Modifiers::empty());
    press(&mut app, Key::Named(Named::ArrowDown), Modifiers::empty());
    assert_eq!(selected_uid(&app), Some(PLAIN));
    assert!(mailbox(&app).list().selected().unwrap().unread, "39 starts unread (bold)");
    assert!(shows(&app, "Mark read"));
    press(&mut app, letter("m"), Modifiers::empty());
    assert!(!mailbox(&app).list().selected().unwrap().unread, "no longer bold");
    assert_eq!(mailbox(&app).list().counts().unread, unread_before - 1);
    assert!(shows(&app, "Mark unread"));
    let store = check_store(&fx);
    assert!(!store.message(fx.inbox, PLAIN).unwrap().unwrap().unread);
    let pending = store.pending_actions(fx.account).unwrap();
    assert!(
        matches!(&pending[..], [p] if p.op == ServerOp::Flags {
            folder: "INBOX".into(), uidvalidity: 7, uids: vec![PLAIN], flag: "\\Seen".into(), add: true
        }),
        "{pending:?}"
    );
    // The toolbar's button undoes it.
    click(&mut app, mailbox::id::TOGGLE_READ);
    assert!(mailbox(&app).list().selected().unwrap().unread);

    // S stars it.
    press(&mut app, letter("S"), Modifiers::SHIFT);
    assert!(mailbox(&app).list().selected().unwrap().flagged);
    assert!(check_store(&fx).message(fx.inbox, PLAIN).unwrap().unwrap().flagged);
    assert!(shows(&app, "★ Unstar"));

    // Delete: the row leaves the list, the next one is selected, a move to Trash waits.
    press(&mut app, Key::Named(Named::Delete), Modifiers::empty());
    assert!(!uids(&app).contains(&PLAIN));
    assert_eq!(selected_uid(&app), Some(38));
    assert_eq!(mailbox(&app).list().counts().total, u64::from(NEWEST) - 1);
    let store = check_store(&fx);
    assert_eq!(store.message(fx.inbox, PLAIN).unwrap(), None);
    let last = store.pending_actions(fx.account).unwrap().pop().unwrap();
    assert_eq!(
        last.op,
        ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: vec![PLAIN], to: "Trash".into() }
    );

    // Move 38 to the Archive with the picker: "Move to…" opens the folder panel, a click on
    // Archive moves it.
    click(&mut app, mailbox::id::MOVE);
    let mut ui = window(&app);
    ui.click(id(mailbox::id::picker_folder("Archive"))).unwrap();
    let messages: Vec<Message> = ui.into_messages().collect();
    assert!(
        matches!(
            &messages[..],
            [Message::Mailbox(mailbox::Message::Picker(mailbox::PickMsg::Pick(to)))] if *to == fx.archive
        ),
        "{messages:?}"
    );
    settle(&mut app, messages);
    assert!(!uids(&app).contains(&38));
    let last = check_store(&fx).pending_actions(fx.account).unwrap().pop().unwrap();
    assert_eq!(
        last.op,
        ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: vec![38], to: "Archive".into() }
    );
}

#[test]
fn sorting_by_sender_and_moving_with_the_keyboard() {
    let fx = fixture();
    let mut app = opened(&fx);
    click(&mut app, mailbox::id::SORT_SENDER);
    assert_eq!(mailbox(&app).list().sort().key, SortKey::Sender);
    assert!(!mailbox(&app).list().sort().descending);
    let senders = |app: &App| -> Vec<String> {
        mailbox(app)
            .list()
            .rows()
            .iter()
            .map(|r| r.summary.from_name.clone().unwrap_or_default().to_lowercase())
            .collect()
    };
    let ascending = senders(&app);
    // The unreadable message has no sender: it sorts first.
    assert_eq!(ascending[0], "");
    assert!(ascending.windows(2).all(|w| w[0] <= w[1]), "{ascending:?}");
    assert!(shows(&app, "Sender ▲"));
    click(&mut app, mailbox::id::SORT_SENDER);
    let descending = senders(&app);
    assert!(descending.windows(2).all(|w| w[0] >= w[1]), "{descending:?}");
    assert_eq!(descending[0], "zoë ørsted");
    assert!(shows(&app, "Sender ▼"));
    click(&mut app, mailbox::id::SORT_DATE);
    assert_eq!(uids(&app)[0], NEWEST, "newest first again");

    let key = |app: &mut App, named| press(app, Key::Named(named), Modifiers::empty());
    key(&mut app, Named::End);
    assert_eq!(selected_uid(&app), Some(1));
    key(&mut app, Named::Home);
    assert_eq!(selected_uid(&app), Some(NEWEST));
    key(&mut app, Named::PageDown);
    let after_page = selected_uid(&app).unwrap();
    assert!(after_page < NEWEST - 5, "a page is more than a few rows: {after_page}");
    key(&mut app, Named::ArrowUp);
    assert_eq!(selected_uid(&app), Some(after_page + 1));
    // Enter opens the selection.
    key(&mut app, Named::Enter);
    assert_eq!(mailbox(&app).reader().opened().map(|o| o.row.uid), Some(after_page + 1));

    // The arrows move the selection away from the message being read; actions still apply
    // to what is read: Delete takes the opened message out, not the highlighted one.
    let read = after_page + 1;
    key(&mut app, Named::ArrowDown);
    key(&mut app, Named::ArrowDown);
    let highlighted = selected_uid(&app).unwrap();
    assert_ne!(highlighted, read);
    press(&mut app, Key::Named(Named::Delete), Modifiers::empty());
    let left = uids(&app);
    assert!(!left.contains(&read), "the message being read was deleted");
    assert!(left.contains(&highlighted), "the highlighted one stays");
    // Reply (Ctrl+R) answers the message in the reader, whatever is highlighted.
    click(&mut app, &mailbox::id::row(NEWEST));
    let now_read = mailbox(&app).reader().opened().unwrap().row.clone();
    key(&mut app, Named::ArrowDown);
    key(&mut app, Named::ArrowDown);
    let other = mailbox(&app).list().selected().unwrap().clone();
    assert_ne!(other.summary.subject, now_read.summary.subject);
    press(&mut app, letter("r"), Modifiers::CTRL);
    let composer = app.composer().expect("the composer is open");
    assert_eq!(composer.subject(), format!("Re: {}", now_read.summary.subject.unwrap()));
}

#[test]
fn a_hundred_thousand_messages_build_only_the_rows_in_view() {
    let fx = fixture();
    let mut store = Store::open(&fx.store_path).unwrap();
    let big: Vec<NewMessage> = (1000..101_000).map(message).collect();
    for chunk in big.chunks(10_000) {
        store.insert_messages(fx.archive, 7, chunk).unwrap();
    }
    // What a window costs the store thread at the far end of the list (also by hand).
    let started = std::time::Instant::now();
    let far = store.list(fx.archive, Sort::NEWEST, 99_700, 303).unwrap();
    let counts = store.counts(fx.archive).unwrap();
    println!("100k messages: window at row 99,700 and counts read in {:?}", started.elapsed());
    assert_eq!((far.len(), counts.total), (303, 100_003));
    drop(store);
    let mut app = opened(&fx);
    click(&mut app, &mailbox::id::folder("Archive"));
    assert_eq!(mailbox(&app).list().counts().total, 100_003);
    assert!(texts(&app).iter().any(|t| t.starts_with("100,003 messages, ")));
    assert!(mailbox(&app).list().rows().len() <= 300, "only a window is read from the store");
    // Jump to the end: the window follows, still small.
    press(&mut app, Key::Named(Named::End), Modifiers::empty());
    assert_eq!(selected_uid(&app), Some(101), "the oldest message");
    assert!(mailbox(&app).list().rows().len() <= 300);

    // By hand, not a timed assertion: how long building and laying out the view takes.
    let started = std::time::Instant::now();
    let element = app.view();
    let built = started.elapsed();
    let ui = Simulator::with_size(iced_test::core::Settings::default(), (1280.0, 900.0), element);
    let laid_out = started.elapsed();
    drop(ui);
    let rows = texts(&app).iter().filter(|t| t.starts_with("Archived thing") || t.contains(" #")).count();
    println!("100k messages: view built in {built:?}, built and laid out in {laid_out:?}; {rows} rows");
    assert!(rows > 10 && rows < 120, "{rows} rows were built");
}

#[test]
fn a_real_sync_against_dovecot_fills_the_list_and_fetches_bodies() {
    let servers = dovecot(50);
    let alice = servers.user("alice");
    // The account's task checks at start, with progress in the status bar, while the
    // mailbox fills.
    let Live { mut app, worker, dir: _profile, .. } = Live::open(&servers);
    let status = |app: &App| app.passes().status("work").line();
    let checked = |app: &App| status(app).starts_with("Checked ");
    let busy = |app: &App| app.passes().status("work").is_busy();
    worker.until(&mut app, Duration::from_secs(30), "check", busy, status);
    assert!(
        status(&app).starts_with("Checking") || status(&app).starts_with("Connecting"),
        "{}",
        status(&app)
    );
    worker.until(&mut app, Duration::from_secs(60), "finished check", checked, status);
    assert!(status(&app).contains(" · next at "), "{}", status(&app));
    assert!(shows(&app, &status(&app)));
    let mb = mailbox(&app);
    assert_eq!(mb.list().counts().total, 50);
    assert_eq!(mb.folders().first().map(|n| n.label.as_str()), Some("Inbox"));
    let newest = mb.list().rows()[0].clone();
    let subject = newest.summary.subject.clone().unwrap();
    assert!(shows(&app, &subject), "{subject:?} is not in the list");

    // Opening fetches the body from the server (and keeps it).
    click(&mut app, &mailbox::id::row(newest.uid));
    let reader = mailbox(&app).reader();
    assert!(reader.error().is_none(), "{:?}", reader.error());
    let shown = reader.shown().expect("the body was fetched");
    let text = match &shown.body {
        Body::Text(t) => t.clone(),
        Body::Rich(rich) => rich.plain(),
        Body::Empty => String::new(),
    };
    assert!(text.contains("test message") || text.contains("dot"), "{text}");
    // The bytes that came are counted for the reader's progress line (the answer to FETCH
    // holds the whole message).
    let received = mailbox(&app).received();
    assert!(
        received >= u64::from(newest.size),
        "{received} bytes counted for a {}-byte message",
        newest.size
    );

    // Two more arrive; F5 asks the account's task for a pass (IDLE may bring them first):
    // the list shows them with no other action.
    servers.seed(alice, 2).unwrap();
    press(&mut app, Key::Named(Named::F5), Modifiers::empty());
    let total = |app: &App| mailbox(app).list().counts().total;
    worker.until(
        &mut app,
        Duration::from_secs(60),
        "new mail",
        |app| total(app) == 52,
        |app| format!("{} messages; {}", total(app), status(app)),
    );
}

#[test]
fn a_store_that_cannot_be_opened_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the store file should be.
    let (mut mb, open) = Mailbox::new(Setup::store_only("work", "Work", dir.path().to_path_buf()));
    let opened = run(open);
    settle_mailbox(&mut mb, opened);
    let theme = tidings::theme::for_mode(Mode::Light);
    let mut ui = page(&mb, &theme);
    assert!(ui.find("Tidings cannot open this mailbox").is_ok());
    assert!(ui.find("Check free disk space and permissions of the profile directory.").is_ok());
    let back: Vec<Message> = {
        ui.click(id(mailbox::id::BACK)).unwrap();
        ui.into_messages().collect()
    };
    assert!(matches!(&back[..], [Message::Mailbox(mailbox::Message::Back)]), "{back:?}");
    assert!(matches!(mb.update(mailbox::Message::Back), mailbox::Action::Back));
}

/// Feeds messages to a bare mailbox, running the tasks they start.
fn settle_mailbox(mailbox: &mut Mailbox, mut pending: Vec<mailbox::Message>) {
    while !pending.is_empty() {
        let tasks: Vec<_> = pending
            .drain(..)
            .filter_map(|m| match mailbox.update(m) {
                mailbox::Action::Run(task) => Some(task),
                _ => None,
            })
            .collect();
        pending = tasks.into_iter().flat_map(run).collect();
    }
}

/// The mailbox alone (store only: no status about getting mail), on the page background.
fn page<'a>(mailbox: &'a Mailbox, theme: &Theme) -> Simulator<'a, Message> {
    Simulator::with_size(
        iced_test::core::Settings::default(),
        (1280.0, 800.0),
        container(mailbox.view(theme, &Status::default()).map(Message::Mailbox))
            .width(Length::Fill)
            .height(Length::Fill)
            .style(tidings::theme::container::page),
    )
}

#[test]
fn snapshots_of_the_three_panes() {
    let fx = fixture();
    let (mut mb, open) = Mailbox::new(Setup::store_only("work", "Work", fx.store_path.clone()));
    let first = run(open);
    settle_mailbox(&mut mb, first);
    settle_mailbox(&mut mb, vec![mailbox::Message::Click(0, NEWEST)]);
    assert!(mb.reader().shown().is_some());
    for mode in [Mode::Light, Mode::Dark] {
        let theme = tidings::theme::for_mode(mode);
        let name = if mode == Mode::Dark { "mailbox-dark" } else { "mailbox-light" };
        assert_snapshot(&mut page(&mb, &theme), &theme, name);
    }
}

/// What the widget operations a flow started told scrollables to do: (the scrollable's id,
/// the relative offset it was snapped to).
#[derive(Default)]
struct Snaps(Vec<(&'static str, Option<f32>)>);

/// A scrollable that records what it is told.
struct Recorder<'a>(&'a mut Vec<(&'static str, Option<f32>)>, &'static str);

impl iced_test::core::widget::operation::Scrollable for Recorder<'_> {
    fn snap_to(&mut self, offset: iced::widget::scrollable::RelativeOffset<Option<f32>>) {
        self.0.push((self.1, offset.y));
    }
    fn scroll_to(&mut self, offset: iced::widget::scrollable::AbsoluteOffset<Option<f32>>) {
        // An absolute scroll to the top is a snap to the start too.
        self.0.push((self.1, offset.y.map(|y| if y == 0.0 { 0.0 } else { f32::NAN })));
    }
    fn scroll_by(
        &mut self,
        _: iced::widget::scrollable::AbsoluteOffset,
        _: iced::Rectangle,
        _: iced::Rectangle,
    ) {
    }
}

/// Like `settle`, also offering every widget operation to the reader's scrollable.
fn settle_recording(app: &mut App, mut pending: Vec<Message>, snaps: &mut Snaps) {
    use iced_test::futures::futures::StreamExt;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    while !pending.is_empty() {
        let tasks: Vec<_> = pending.drain(..).map(|message| app.update(message)).collect();
        for task in tasks {
            let Some(stream) = iced_test::runtime::task::into_stream(task) else { continue };
            let actions: Vec<_> = runtime.block_on(stream.collect());
            for action in actions {
                match action {
                    iced_test::runtime::Action::Output(message) => pending.push(message),
                    iced_test::runtime::Action::Widget(mut operation) => {
                        let reader = iced::widget::Id::new(mailbox::id::READER);
                        let mut recorder = Recorder(&mut snaps.0, mailbox::id::READER);
                        let area = iced::Rectangle::new(iced::Point::ORIGIN, iced::Size::new(600.0, 400.0));
                        operation.scrollable(Some(&reader), area, area, iced::Vector::ZERO, &mut recorder);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The reader's scrollable keeps its offset while the window lives (iced keeps widget state
/// by position): each message must tell it to go back to the top, or the next one opens
/// partway down.
#[test]
fn each_message_opens_at_the_top_of_the_reader() {
    let fx = fixture();
    let mut app = opened(&fx);
    for uid in [NEWEST, PLAIN, NEWEST - 3] {
        let mut snaps = Snaps::default();
        let mut ui = window(&app);
        ui.click(id(mailbox::id::row(uid))).unwrap();
        let clicked: Vec<Message> = ui.into_messages().collect();
        settle_recording(&mut app, clicked, &mut snaps);
        assert_eq!(mailbox(&app).reader().opened().map(|o| o.row.uid), Some(uid));
        assert!(snaps.0.contains(&(mailbox::id::READER, Some(0.0))), "uid {uid}: {:?}", snaps.0);
    }
    // Stepping with the keys opens the next message at its top too.
    let mut snaps = Snaps::default();
    let step = mailbox::keys::action(&Key::Named(Named::ArrowDown), Modifiers::empty()).unwrap();
    settle_recording(&mut app, vec![Message::Mailbox(mailbox::Message::Key(step))], &mut snaps);
    let open = mailbox::keys::action(&Key::Named(Named::Enter), Modifiers::empty()).unwrap();
    settle_recording(&mut app, vec![Message::Mailbox(mailbox::Message::Key(open))], &mut snaps);
    assert!(snaps.0.contains(&(mailbox::id::READER, Some(0.0))), "{:?}", snaps.0);
}
