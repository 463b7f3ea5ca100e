//! Headless UI flows (iced_test) for dragging messages onto a folder: one row onto Archive is
//! a move, the chosen messages with Ctrl held a copy of them all; let go of elsewhere, or
//! Escape, nothing happens, and a jitter during a click stays a click; the click the drag
//! ends with opens nothing; in All Inboxes two accounts' messages are refused with the
//! reason; the rows and folders report the cursor as the drag needs; and against the
//! testkit's Dovecot, a dragged message reaches Archive on the server with the next pass.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_mailbox_drag`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::Duration;

use common::settle;
use gui_mailbox_helpers::drag::{Pointer, drag_onto};
use gui_mailbox_helpers::fixture::*;
use gui_mailbox_helpers::select::{chosen, click_with, hold};
use gui_mailbox_helpers::{Live, dovecot};

use iced::Event;
use iced::keyboard::{Key, Modifiers, key::Named};
use iced::mouse;
use iced_test::selector::id;

use tidings::app::{App, Message};
use tidings::screen::mailbox::{self, DragMsg, DropSpot};
use tidings_mail::config::Config;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{AccountId, FolderId, FolderInfo, Role, ServerOp, Store, Unified};

const CTRL: Modifiers = Modifiers::CTRL;

fn pending(fx: &Fixture, account: AccountId) -> Vec<ServerOp> {
    check_store(fx).pending_actions(account).unwrap().into_iter().map(|p| p.op).collect()
}

fn opened_uid(app: &App) -> Option<u32> {
    mailbox(app).reader().opened().map(|o| o.row.uid)
}

fn folder_id(app: &App, name: &str) -> FolderId {
    mailbox(app).folders().iter().find(|n| n.name == name).and_then(|n| n.id).unwrap()
}

/// Where the Archive folder is in the folder pane.
fn archive_of(app: &App) -> Option<DropSpot> {
    Some(DropSpot::Folder(folder_id(app, "Archive")))
}

#[test]
fn dragging_one_row_onto_archive_moves_it_and_nothing_else_changes() {
    let fx = fixture();
    let mut app = opened(&fx);
    let archive = archive_of(&app);
    click(&mut app, &mailbox::id::row(38));
    let before = pending(&fx, fx.account).len();

    // 36 (not the one chosen) pressed and dragged: the status line says what letting go does.
    let mut pointer = Pointer::over(&mut app, (fx.inbox, 36));
    pointer.press(&mut app);
    assert_eq!(mailbox(&app).dragging(), None, "a press alone is no drag");
    pointer.move_by(&mut app, 0.0, 1.0);
    pointer.move_by(&mut app, 0.0, 9.0);
    assert_eq!(mailbox(&app).dragging(), Some(1));
    assert!(shows(&app, "Moving the message: release on a folder; hold Ctrl to copy"), "{:?}", texts(&app));
    pointer.onto(&mut app, archive);
    pointer.release(&mut app);

    // One move, of 36 only; it left the list; 38 is still the one chosen and read.
    let ops = pending(&fx, fx.account);
    assert_eq!(ops.len(), before + 1);
    assert_eq!(
        ops.last().unwrap(),
        &ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: vec![36], to: "Archive".into() }
    );
    assert!(!uids(&app).contains(&36));
    assert!(check_store(&fx).message(fx.inbox, 36).unwrap().is_none());
    assert_eq!((chosen(&app), opened_uid(&app)), (vec![38], Some(38)));
    assert!(shows(&app, "Moved the message to Archive."), "{:?}", texts(&app));

    // Onto its own folder: nothing.
    drag_onto(&mut app, (fx.inbox, 34), Some(DropSpot::Folder(fx.inbox)), false);
    assert_eq!(pending(&fx, fx.account).len(), before + 1);
    assert!(uids(&app).contains(&34));

    // Dragged away and back onto its own row: the button's click that ends it opens nothing
    // and chooses nothing; nothing moves.
    let mut pointer = Pointer::over(&mut app, (fx.inbox, 33));
    pointer.press(&mut app);
    pointer.move_by(&mut app, 0.0, 1.0);
    pointer.move_by(&mut app, 20.0, 0.0);
    pointer.onto(&mut app, archive);
    pointer.back_to(&mut app, (fx.inbox, 33));
    pointer.release(&mut app);
    assert_eq!((chosen(&app), opened_uid(&app)), (vec![38], Some(38)));
    assert!(check_store(&fx).message(fx.inbox, 33).unwrap().unwrap().unread, "33 was never opened");
    assert_eq!(pending(&fx, fx.account).len(), before + 1);
}

#[test]
fn dragging_the_chosen_messages_with_ctrl_copies_them_all() {
    let fx = fixture();
    let mut app = opened(&fx);
    let archive = archive_of(&app);
    click(&mut app, &mailbox::id::row(38));
    click_with(&mut app, 37, CTRL);
    click_with(&mut app, 36, CTRL);
    assert_eq!(mailbox(&app).several(), Some(3));
    let trash = Some(DropSpot::Folder(folder_id(&app, "Trash")));

    // 37 is one of the chosen: all three go; Ctrl held says so.
    let mut pointer = Pointer::over(&mut app, (fx.inbox, 37));
    pointer.press(&mut app);
    pointer.move_by(&mut app, 0.0, 1.0);
    pointer.move_by(&mut app, 0.0, -8.0);
    assert_eq!(mailbox(&app).dragging(), Some(3));
    assert!(shows(&app, "Moving 3 messages: release on a folder; hold Ctrl to copy"), "{:?}", texts(&app));
    pointer.onto(&mut app, trash);
    hold(&mut app, CTRL);
    assert!(shows(&app, "Copying 3 messages: release on a folder"), "{:?}", texts(&app));
    pointer.release(&mut app);
    hold(&mut app, Modifiers::empty());
    assert_eq!(
        pending(&fx, fx.account).last().unwrap(),
        &ServerOp::Copy {
            folder: "INBOX".into(),
            uidvalidity: 7,
            uids: vec![36, 37, 38],
            to: "Trash".into()
        }
    );
    assert!([36, 37, 38].iter().all(|uid| uids(&app).contains(uid)), "a copy leaves them here");
    assert!(shows(&app, "Copied 3 messages to Trash."), "{:?}", texts(&app));
    assert_eq!(mailbox(&app).several(), Some(3), "still chosen");

    // A row outside the chosen ones goes alone, and the choice stays.
    drag_onto(&mut app, (fx.inbox, 30), archive, false);
    assert_eq!(
        pending(&fx, fx.account).last().unwrap(),
        &ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: vec![30], to: "Archive".into() }
    );
    assert_eq!(mailbox(&app).several(), Some(3));

    // Without Ctrl, the chosen three move.
    drag_onto(&mut app, (fx.inbox, 36), archive, false);
    assert_eq!(
        pending(&fx, fx.account).last().unwrap(),
        &ServerOp::Move {
            folder: "INBOX".into(),
            uidvalidity: 7,
            uids: vec![36, 37, 38],
            to: "Archive".into()
        }
    );
    assert!(![36, 37, 38].iter().any(|uid| uids(&app).contains(uid)));
    assert!(shows(&app, "Moved 3 messages to Archive."), "{:?}", texts(&app));
}

#[test]
fn letting_go_elsewhere_or_escape_cancels_and_a_jitter_is_a_click() {
    let fx = fixture();
    let mut app = opened(&fx);
    let archive = archive_of(&app);
    click(&mut app, &mailbox::id::row(38));
    let before = pending(&fx, fx.account).len();
    let total = mailbox(&app).list().counts().total;

    // Let go of over the reader: nothing moves, the status line is back to normal.
    drag_onto(&mut app, (fx.inbox, 36), None, false);
    assert!(!texts(&app).iter().any(|t| t.starts_with("Moving")), "{:?}", texts(&app));

    // Escape during the drag: letting go over Archive afterwards does nothing.
    let mut pointer = Pointer::over(&mut app, (fx.inbox, 36));
    pointer.press(&mut app);
    pointer.move_by(&mut app, 0.0, 1.0);
    pointer.move_by(&mut app, 0.0, 30.0);
    pointer.onto(&mut app, archive);
    press(&mut app, Key::Named(Named::Escape), Modifiers::empty());
    assert_eq!(mailbox(&app).dragging(), None);
    pointer.release(&mut app);

    // Onto a view: refused, with the reason.
    drag_onto(&mut app, (fx.inbox, 36), Some(DropSpot::View(Unified::Inboxes)), false);
    let said = texts(&app).join(" ");
    assert!(said.contains("Cannot move messages to All Inboxes"), "{said}");
    assert_eq!(pending(&fx, fx.account).len(), before);
    assert_eq!(mailbox(&app).list().counts().total, total);

    // A jitter of a few pixels while clicking 36: a click, which opens it.
    let mut pointer = Pointer::over(&mut app, (fx.inbox, 36));
    pointer.press(&mut app);
    pointer.move_by(&mut app, 1.0, 1.0);
    pointer.move_by(&mut app, 3.0, 2.0);
    assert_eq!(mailbox(&app).dragging(), None, "4 px is no drag");
    pointer.release(&mut app);
    assert_eq!((chosen(&app), opened_uid(&app)), (vec![36], Some(36)));
    assert_eq!(pending(&fx, fx.account).len(), before + 1, "only the read mark of opening it");
    assert!(matches!(pending(&fx, fx.account).last(), Some(ServerOp::Flags { .. })));
}

#[test]
fn rows_and_folders_report_the_cursor_to_the_drag() {
    let fx = fixture();
    let mut app = opened(&fx);
    let archive = archive_of(&app);
    let hover = |app: &App, widget: String| -> Vec<Message> {
        let mut ui = window(app);
        let target = ui.find(id(widget)).unwrap();
        let at = iced_test::selector::Bounded::visible_bounds(&target).unwrap().center();
        ui.point_at(at);
        let _ = ui.simulate([Event::Mouse(mouse::Event::CursorMoved { position: at })]);
        ui.into_messages().collect()
    };
    let drag = |m: &Message| match m {
        Message::Mailbox(mailbox::Message::Drag(msg)) => Some(msg.clone()),
        _ => None,
    };
    // The row of 36 (the fifth, newest first) says the cursor came.
    let said = hover(&app, mailbox::id::row(36));
    assert!(said.iter().filter_map(drag).any(|m| matches!(m, DragMsg::OverRow(4, 36))), "{said:?}");
    let over_archive = |m: &Message| matches!(drag(m), Some(DragMsg::Over(spot)) if Some(spot) == archive);
    // Not dragging: the folders say nothing.
    assert!(!hover(&app, mailbox::id::folder("Archive")).iter().any(over_archive));

    let mut pointer = Pointer::over(&mut app, (fx.inbox, 36));
    pointer.press(&mut app);
    pointer.move_by(&mut app, 0.0, 1.0);
    pointer.move_by(&mut app, 0.0, 10.0);
    let said = hover(&app, mailbox::id::folder("Archive"));
    assert!(said.iter().any(over_archive), "{said:?}");
    let over_view = |m: &Message| matches!(drag(m), Some(DragMsg::Over(DropSpot::View(Unified::Inboxes))));
    assert!(hover(&app, mailbox::id::view(Unified::Inboxes)).iter().any(over_view));
    // Off the row, then what the folder's area said, fed back: the drop goes there.
    pointer.onto(&mut app, None);
    settle(&mut app, said);
    pointer.release(&mut app);
    assert!(!uids(&app).contains(&36));
    assert!(matches!(
        pending(&fx, fx.account).last(),
        Some(ServerOp::Move { uids, to, .. }) if uids == &[36] && to == "Archive"
    ));
}

#[test]
fn in_a_view_the_chosen_messages_already_in_the_folder_stay_as_they_are() {
    let fx = fixture();
    // A starred message in Archive, beside the Inbox's starred ones.
    let starred = message(110);
    assert!(starred.flags.flagged());
    check_store(&fx).insert_messages(fx.archive, 7, &[starred]).unwrap();
    let mut app = opened(&fx);
    let archive = archive_of(&app);
    click(&mut app, &mailbox::id::view(Unified::Flagged));
    // Flagged: Archive's 110 and the Inbox's 40 chosen, dragged onto Archive.
    click(&mut app, &mailbox::id::view_row(fx.archive, 110));
    click_with_in_view(&mut app, fx.inbox, NEWEST);
    assert_eq!(mailbox(&app).several(), Some(2));
    let before = pending(&fx, fx.account).len();
    drag_onto(&mut app, (fx.inbox, NEWEST), archive, false);
    let ops = pending(&fx, fx.account);
    assert_eq!(
        ops[before..],
        [ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: vec![NEWEST], to: "Archive".into() }]
    );
    assert!(check_store(&fx).message(fx.archive, 110).unwrap().is_some(), "110 stays in Archive");
}

/// A Ctrl-click on a view's row.
fn click_with_in_view(app: &mut App, folder: FolderId, uid: u32) {
    hold(app, CTRL);
    click(app, &mailbox::id::view_row(folder, uid));
    hold(app, Modifiers::empty());
}

/// The "home" account beside the fixture's "work" in the same store (its Inbox holds one
/// message), both in the saved config.
fn with_home(fx: &Fixture) -> (AccountId, FolderId, Config) {
    let mut store = check_store(fx);
    let account = store.account("home").unwrap();
    let info = |name: &str, role| FolderInfo {
        name: name.into(),
        delimiter: Some("/".into()),
        role,
        subscribed: true,
        selectable: true,
    };
    let folders =
        store.replace_folders(account, &[info("INBOX", Some(Role::Inbox)), info("Family", None)]).unwrap();
    let inbox = folders.iter().find(|f| f.name == "INBOX").unwrap().id;
    store.begin_folder(inbox, 9).unwrap();
    let mut roof = message(1);
    roof.internal_date = Some(date(NEWEST) + 3600);
    roof.summary.date = roof.internal_date;
    roof.summary.subject = Some("Roof repair".into());
    store.insert_messages(inbox, 9, &[roof]).unwrap();
    let mut config = Config::default();
    config.add_account(account_for("127.0.0.1", 1, "work", None)).unwrap();
    let mut home = account_for("127.0.0.1", 1, "home", None);
    home.name = "Home".into();
    home.email = "home@example.test".into();
    config.add_account(home).unwrap();
    config.save(&fx.profile).unwrap();
    (account, inbox, config)
}

#[test]
fn in_all_inboxes_a_drag_of_two_accounts_messages_is_refused_with_the_reason() {
    let fx = fixture();
    let (home, home_inbox, config) = with_home(&fx);
    let mut app = App::with_config(fx.profile.clone(), Secrets::in_memory(), config);
    click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
    click(&mut app, &mailbox::id::view(Unified::Inboxes));
    let archive = archive_of(&app);
    // Home's newest and work's 40 chosen.
    click(&mut app, &mailbox::id::view_row(home_inbox, 1));
    hold(&mut app, CTRL);
    click(&mut app, &mailbox::id::view_row(fx.inbox, NEWEST));
    hold(&mut app, Modifiers::empty());
    assert_eq!(mailbox(&app).several(), Some(2));
    let work_before = pending(&fx, fx.account).len();
    let home_before = pending(&fx, home).len();

    let work_40 = (fx.inbox, NEWEST);
    drag_onto(&mut app, work_40, archive, false);
    let said = texts(&app).join(" ");
    assert!(said.contains("belong to Home and Work"), "{said}");
    assert_eq!((pending(&fx, fx.account).len(), pending(&fx, home).len()), (work_before, home_before));
    assert_eq!(mailbox(&app).several(), Some(2));

    // Home's message alone onto work's Archive: refused too.
    click(&mut app, &mailbox::id::view_row(fx.inbox, 38));
    let roof = (home_inbox, 1);
    drag_onto(&mut app, roof, archive, true);
    let said = texts(&app).join(" ");
    assert!(said.contains("Cannot put Home's messages in this account's folder"), "{said}");
    assert_eq!((pending(&fx, fx.account).len(), pending(&fx, home).len()), (work_before, home_before));

    // Work's own message in the view: it goes, for work.
    drag_onto(&mut app, work_40, archive, false);
    assert_eq!(
        pending(&fx, fx.account).last().unwrap(),
        &ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: vec![NEWEST], to: "Archive".into() }
    );
    assert_eq!(pending(&fx, home).len(), home_before);
}

#[test]
fn a_message_dragged_onto_archive_reaches_archive_on_dovecot() {
    let servers = dovecot(20);
    let alice = servers.user("alice");
    let Live { mut app, worker, store_path, dir: _profile } = Live::open(&servers);
    let status = |app: &App| app.passes().status("work").line();
    let idle = |app: &App| !app.passes().status("work").is_busy() && status(app).starts_with("Checked ");
    let first = |app: &App| mailbox(app).list().counts().total == 20 && idle(app);
    worker.until(&mut app, Duration::from_secs(120), "first check", first, status);
    let account_id = mailbox(&app).account().unwrap();
    let inbox = mailbox(&app).list().folder().unwrap();
    let store = || Store::open(&store_path).unwrap();
    let count = |mailbox: &str| servers.message_count(alice, mailbox).unwrap();
    assert_eq!(count("Archive"), 0);

    // The newest message, dragged onto Archive.
    let newest = mailbox(&app).list().rows()[0].clone();
    let message_id = newest.summary.message_id.clone().unwrap();
    let archive = archive_of(&app);
    drag_onto(&mut app, (inbox, newest.uid), archive, false);
    assert!(store().message(inbox, newest.uid).unwrap().is_none());

    // The next pass replays it.
    press(&mut app, Key::Named(Named::F5), Modifiers::empty());
    let done = |app: &App| {
        idle(app) && store().pending_actions(account_id).unwrap().is_empty() && count("Archive") == 1
    };
    let show =
        |app: &App| format!("{}; {:?}", status(app), store().pending_actions(account_id).unwrap().first());
    worker.until(&mut app, Duration::from_secs(120), "the move on the server", done, show);
    assert_eq!(count("INBOX"), 19);
    let out = servers.doveadm(&["fetch", "-u", &alice.login, "hdr", "mailbox", "Archive"]).unwrap();
    assert!(out.contains(message_id.trim_matches(['<', '>'])), "{out}");
}
