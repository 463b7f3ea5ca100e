//! Headless UI flows (iced_test) for choosing several messages and acting on all of them:
//! Ctrl-click, Shift-click and Ctrl+A, Escape or a plain click back to one; read, star and
//! delete on every chosen message through the store's action queue (one recorded change per
//! batch of UIDs); "Move to…" and "Copy to…" with their type-to-filter panel; a snapshot; and
//! against the testkit's Dovecot, 500 chosen messages copied, moved, deleted and marked read
//! on the server by the next pass.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_mailbox_select`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{assert_snapshot, settle};
use gui_mailbox_helpers::fixture::*;
use gui_mailbox_helpers::select::{chosen, click_with, hold};
use gui_mailbox_helpers::{Live, dovecot};

use iced::keyboard::{Key, Modifiers, key::Named};
use iced::theme::Mode;
use iced_test::selector::id;

use tidings::app::{App, Message};
use tidings::screen::mailbox;
use tidings_mail::store::{FolderId, NewMessage, ServerOp, Sort, Store};

const CTRL: Modifiers = Modifiers::CTRL;
const SHIFT: Modifiers = Modifiers::SHIFT;

fn opened_uid(app: &App) -> Option<u32> {
    mailbox(app).reader().opened().map(|o| o.row.uid)
}

fn escape(app: &mut App) {
    press(app, Key::Named(Named::Escape), Modifiers::empty());
}

fn select_all(app: &mut App) {
    press(app, letter("a"), CTRL);
}

/// The changes recorded for the server, oldest first.
fn pending(fx: &Fixture) -> Vec<ServerOp> {
    check_store(fx).pending_actions(fx.account).unwrap().into_iter().map(|p| p.op).collect()
}

/// A message row as its click sends it, for rows far outside the window (Shift-click on a
/// row scrolled to).
fn click_far(app: &mut App, index: usize, uid: u32, held: Modifiers) {
    hold(app, held);
    settle(app, vec![Message::Mailbox(mailbox::Message::Click(index, uid))]);
    hold(app, Modifiers::empty());
}

#[test]
fn ctrl_and_shift_clicks_and_ctrl_a_choose_several_and_escape_goes_back_to_one() {
    let fx = fixture();
    let mut app = opened(&fx);
    click(&mut app, &mailbox::id::row(NEWEST));
    assert_eq!(chosen(&app), [NEWEST]);
    assert_eq!(mailbox(&app).several(), None);

    // Ctrl-click adds 36 (unread): two chosen, the reader says so; 36 is neither opened nor
    // marked read.
    click_with(&mut app, 36, CTRL);
    assert_eq!(chosen(&app), [NEWEST, 36]);
    assert_eq!(mailbox(&app).several(), Some(2));
    assert!(shows(&app, "2 messages selected"), "{:?}", texts(&app));
    assert_eq!(opened_uid(&app), Some(NEWEST));
    assert!(check_store(&fx).message(fx.inbox, 36).unwrap().unwrap().unread);

    // Ctrl-click adds 33, and again takes it away.
    click_with(&mut app, 33, CTRL);
    assert_eq!(chosen(&app), [NEWEST, 36, 33]);
    click_with(&mut app, 33, CTRL);
    assert_eq!(chosen(&app), [NEWEST, 36]);

    // Taking 40 away leaves 36 alone: it opens in the reader, as a plain click would.
    click_with(&mut app, NEWEST, CTRL);
    assert_eq!(chosen(&app), [36]);
    assert_eq!(mailbox(&app).several(), None);
    assert_eq!(opened_uid(&app), Some(36));
    assert!(!shows(&app, "2 messages selected"));

    // Shift-click chooses the run from the last click, either way, and opens nothing.
    click_with(&mut app, 30, SHIFT);
    assert_eq!(chosen(&app), [36, 35, 34, 33, 32, 31, 30]);
    assert!(shows(&app, "7 messages selected"));
    click_with(&mut app, 38, SHIFT);
    assert_eq!(chosen(&app), [38, 37, 36]);
    assert_eq!(opened_uid(&app), Some(36));
    assert!(check_store(&fx).message(fx.inbox, 33).unwrap().unwrap().unread, "33 was never opened");

    // Escape: back to the last clicked message, which the reader shows.
    escape(&mut app);
    assert_eq!(chosen(&app), [38]);
    assert_eq!(opened_uid(&app), Some(38));

    // Ctrl+A: the whole folder; a Ctrl-click takes one away.
    select_all(&mut app);
    assert_eq!(chosen(&app).len(), NEWEST as usize);
    assert_eq!(mailbox(&app).several(), Some(u64::from(NEWEST)));
    assert!(shows(&app, "40 messages selected"));
    click_with(&mut app, 39, CTRL);
    assert_eq!(mailbox(&app).several(), Some(u64::from(NEWEST) - 1));
    assert!(!chosen(&app).contains(&39));

    // A plain click: that one alone.
    click(&mut app, &mailbox::id::row(32));
    assert_eq!(chosen(&app), [32]);
    assert_eq!(mailbox(&app).several(), None);
    assert_eq!(opened_uid(&app), Some(32));

    // An arrow key goes back to one too.
    click_with(&mut app, 30, SHIFT);
    assert_eq!(chosen(&app), [32, 31, 30]);
    press(&mut app, Key::Named(Named::ArrowDown), Modifiers::empty());
    assert_eq!(chosen(&app), [29]);
}

#[test]
fn read_star_and_delete_act_on_every_chosen_message() {
    let fx = fixture();
    let mut app = opened(&fx);
    // 38 is read; 36, 33 and 30 unread; 30 starred.
    click(&mut app, &mailbox::id::row(38));
    for uid in [36, 33, 30] {
        click_with(&mut app, uid, CTRL);
    }
    let four = vec![30, 33, 36, 38];
    let before = pending(&fx).len();
    let row = |fx: &Fixture, uid| check_store(fx).message(fx.inbox, uid).unwrap().unwrap();

    // M: some are unread, so all are marked read — on screen and in the store, one change.
    assert!(shows(&app, "Mark read"));
    press(&mut app, letter("m"), Modifiers::empty());
    assert!(mailbox(&app).list().chosen_rows().all(|r| !r.unread));
    assert!(four.iter().all(|uid| !row(&fx, *uid).unread));
    let ops = pending(&fx);
    assert_eq!(ops.len(), before + 1);
    assert_eq!(
        ops.last().unwrap(),
        &ServerOp::Flags {
            folder: "INBOX".into(),
            uidvalidity: 7,
            uids: four.clone(),
            flag: "\\Seen".into(),
            add: true
        }
    );
    // The toolbar's button marks them all unread again; only the chosen ones changed.
    assert!(shows(&app, "Mark unread"));
    click(&mut app, mailbox::id::TOGGLE_READ);
    assert!(four.iter().all(|uid| row(&fx, *uid).unread));
    assert!(!row(&fx, 37).unread && !row(&fx, 34).unread);

    // S: not all starred, so all are starred; the reader's button unstars them all.
    press(&mut app, letter("s"), Modifiers::empty());
    assert!(four.iter().all(|uid| row(&fx, *uid).flagged));
    assert!(shows(&app, "★ Unstar"));
    click(&mut app, &mailbox::id::chosen("star"));
    assert!(four.iter().all(|uid| !row(&fx, *uid).flagged));
    let ops = pending(&fx);
    assert_eq!(
        ops.last().unwrap(),
        &ServerOp::Flags {
            folder: "INBOX".into(),
            uidvalidity: 7,
            uids: four.clone(),
            flag: "\\Flagged".into(),
            add: false
        }
    );

    // Delete: the four leave the list (and the reader, which showed 38), and one move to
    // Trash waits for them all.
    press(&mut app, Key::Named(Named::Delete), Modifiers::empty());
    let left = uids(&app);
    assert!(four.iter().all(|uid| !left.contains(uid)), "{left:?}");
    assert_eq!(mailbox(&app).list().counts().total, u64::from(NEWEST) - 4);
    assert_eq!(mailbox(&app).several(), None);
    assert_eq!(opened_uid(&app), None);
    assert!(four.iter().all(|uid| check_store(&fx).message(fx.inbox, *uid).unwrap().is_none()));
    assert_eq!(
        pending(&fx).last().unwrap(),
        &ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: four, to: "Trash".into() }
    );
    assert_eq!(pending(&fx).len(), before + 5, "one change per action");
}

/// `count` messages with UIDs from `first`, dated after the fixture's, in one folder.
fn fill(fx: &Fixture, folder: FolderId, first: u32, count: u32) {
    let messages: Vec<NewMessage> = (first..first + count).map(message).collect();
    check_store(fx).insert_messages(folder, 7, &messages).unwrap();
}

/// Every UID the recorded changes of one kind carry, and how many changes they are.
fn recorded(ops: &[ServerOp], pick: impl Fn(&ServerOp) -> Option<&Vec<u32>>) -> (BTreeSet<u32>, usize) {
    let lists: Vec<&Vec<u32>> = ops.iter().filter_map(pick).collect();
    (lists.iter().flat_map(|l| l.iter().copied()).collect(), lists.len())
}

#[test]
fn a_long_shift_run_and_ctrl_a_are_read_on_the_store_thread_in_batches() {
    let fx = fixture();
    fill(&fx, fx.archive, 1001, 5000);
    let mut app = opened(&fx);
    click(&mut app, &mailbox::id::folder("Archive"));
    let total = mailbox(&app).list().counts().total;
    assert_eq!(total, 5003);
    let held = mailbox(&app).list().rows().len();
    assert!(held < 1000, "only a window of rows is held: {held}");

    // The newest (6000) clicked, then Shift on position 4000 (UID 2000), far past the rows
    // held: the run's UIDs come from the store.
    click(&mut app, &mailbox::id::row(6000));
    click_far(&mut app, 4000, 2000, SHIFT);
    assert_eq!(mailbox(&app).several(), Some(4001));
    assert!(mailbox(&app).list().rows().len() < 1000, "the run is not held as rows");

    // Delete: 4001 UIDs in batches of 1000, each a move to Trash.
    press(&mut app, Key::Named(Named::Delete), Modifiers::empty());
    let ops = pending(&fx);
    let (moved, changes) = recorded(&ops, |op| match op {
        ServerOp::Move { uids, to, .. } if to == "Trash" => Some(uids),
        _ => None,
    });
    assert_eq!(moved, (2000..=6000).collect::<BTreeSet<u32>>());
    assert_eq!(changes, 5);
    let mut store = check_store(&fx);
    assert_eq!(store.counts(fx.archive).unwrap().total, 1002);
    assert_eq!(mailbox(&app).list().counts().total, 1002);

    // Ctrl+A takes the folder as it is: a message arriving afterwards (a higher UID) is not
    // in it, so "Mark read" leaves it alone.
    select_all(&mut app);
    assert_eq!(mailbox(&app).several(), Some(1002));
    let mut late = message(9000);
    late.flags = tidings_mail::store::Flags::new(Vec::<String>::new());
    store.insert_messages(fx.archive, 7, &[late]).unwrap();
    let before = pending(&fx).len();
    press(&mut app, letter("m"), Modifiers::empty());
    let ops = pending(&fx);
    let (marked, changes) = recorded(&ops[before..], |op| match op {
        ServerOp::Flags { uids, flag, add: true, .. } if flag == "\\Seen" => Some(uids),
        _ => None,
    });
    assert!(!marked.contains(&9000), "the message that came after Ctrl+A is not in it");
    let mut expected: BTreeSet<u32> = (1001..2000).collect();
    expected.extend([101, 102, 103]);
    assert_eq!(marked, expected);
    assert_eq!(changes, 2);
    assert!(store.message(fx.archive, 9000).unwrap().unwrap().unread, "the late message stays unread");
    assert!(store.message(fx.archive, 1002).unwrap().is_some_and(|r| !r.unread));
}

/// Opens the picker with `widget` (the toolbar's Move or Copy) and types `filter` into it,
/// a key at a time (the window drawn again after each, as the runtime does).
fn pick(app: &mut App, widget: &str, filter: &str) {
    click(app, widget);
    assert!(mailbox(app).picker_open());
    for c in filter.chars() {
        let mut ui = window(app);
        ui.click(id(mailbox::id::PICKER_FILTER)).unwrap();
        let _ = ui.typewrite(&c.to_string());
        let messages = ui.into_messages().collect();
        settle(app, messages);
    }
}

/// Whether the picker offers the folder.
fn offers(app: &App, name: &str) -> bool {
    window(app).find(id(mailbox::id::picker_folder(name))).is_ok()
}

/// Enter in the picker's field.
fn enter(app: &mut App) {
    let mut ui = window(app);
    ui.click(id(mailbox::id::PICKER_FILTER)).unwrap();
    let _ = ui.tap_key(Named::Enter);
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

#[test]
fn move_to_and_copy_to_pick_a_folder_by_typing_part_of_its_name() {
    let fx = fixture();
    let mut app = opened(&fx);
    click(&mut app, &mailbox::id::row(38));
    click_with(&mut app, 37, CTRL);

    // "Move to…" lists every other folder; typing keeps those that match, Enter takes the
    // first.
    click(&mut app, mailbox::id::MOVE);
    assert!(shows(&app, "Move 2 messages to…"));
    for name in ["INBOX/Lists", "Sent", "Archive", "Trash"] {
        assert!(offers(&app, name), "{name} is not offered");
    }
    assert!(!offers(&app, "INBOX"), "not the folder they are in");
    escape(&mut app);
    assert!(!mailbox(&app).picker_open(), "Escape closes it");
    assert_eq!(mailbox(&app).several(), Some(2), "and keeps the choice");

    pick(&mut app, mailbox::id::MOVE, "ARC");
    assert!(offers(&app, "Archive"));
    assert!(!offers(&app, "Trash") && !offers(&app, "Sent") && !offers(&app, "INBOX/Lists"));
    enter(&mut app);
    assert!(!mailbox(&app).picker_open());
    assert!(!uids(&app).contains(&38) && !uids(&app).contains(&37));
    assert!(shows(&app, "Moved 2 messages to Archive."));
    assert_eq!(
        pending(&fx).last().unwrap(),
        &ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: vec![37, 38], to: "Archive".into() }
    );

    // "Copy to…": a click on a filtered folder; the messages stay where they are.
    click(&mut app, &mailbox::id::row(30));
    click_with(&mut app, 31, CTRL);
    pick(&mut app, mailbox::id::COPY, "tr");
    assert!(shows(&app, "Copy 2 messages to…"));
    assert!(offers(&app, "Trash") && !offers(&app, "Archive"));
    click(&mut app, &mailbox::id::picker_folder("Trash"));
    assert!(uids(&app).contains(&30) && uids(&app).contains(&31));
    assert!(shows(&app, "Copied 2 messages to Trash."));
    assert_eq!(
        pending(&fx).last().unwrap(),
        &ServerOp::Copy { folder: "INBOX".into(), uidvalidity: 7, uids: vec![30, 31], to: "Trash".into() }
    );

    // One message: nothing matches "zzz", so Enter does nothing; with the filter cleared,
    // Enter takes the first folder (Lists). The reader's own message is what is copied.
    click(&mut app, &mailbox::id::row(36));
    let before = pending(&fx).len();
    pick(&mut app, mailbox::id::COPY, "zzz");
    assert!(shows(&app, "No folder matches."));
    enter(&mut app);
    assert_eq!(pending(&fx).len(), before);
    settle(
        &mut app,
        vec![Message::Mailbox(mailbox::Message::Picker(mailbox::PickMsg::Filter(String::new())))],
    );
    enter(&mut app);
    assert_eq!(
        pending(&fx).last().unwrap(),
        &ServerOp::Copy { folder: "INBOX".into(), uidvalidity: 7, uids: vec![36], to: "INBOX/Lists".into() }
    );

    // The chosen messages' own pane offers the same.
    click(&mut app, &mailbox::id::row(34));
    click_with(&mut app, 33, CTRL);
    click(&mut app, &mailbox::id::chosen("move"));
    assert!(shows(&app, "Move 2 messages to…"));
    click(&mut app, &mailbox::id::picker_folder("Sent"));
    assert_eq!(
        pending(&fx).last().unwrap(),
        &ServerOp::Move { folder: "INBOX".into(), uidvalidity: 7, uids: vec![33, 34], to: "Sent".into() }
    );
}

#[test]
fn snapshot_of_several_chosen_with_the_copy_picker() {
    let fx = fixture();
    let mut app = opened(&fx);
    click(&mut app, &mailbox::id::row(38));
    click_with(&mut app, 34, SHIFT);
    click_with(&mut app, 30, CTRL);
    let theme = tidings::theme::for_mode(Mode::Light);
    assert_snapshot(&mut window(&app), &theme, "mailbox-select-light");
    pick(&mut app, mailbox::id::COPY, "a");
    assert_snapshot(&mut window(&app), &theme, "mailbox-select-picker-light");
}

/// The Message-IDs of a mailbox on the server, without angle brackets.
fn server_message_ids(
    servers: &tidings_testkit::MailServers,
    login: &str,
    mailbox: &str,
) -> BTreeSet<String> {
    let out = servers.doveadm(&["fetch", "-u", login, "hdr", "mailbox", mailbox]).unwrap();
    out.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("message-id")
                .then(|| value.trim().trim_matches(['<', '>']).to_string())
        })
        .collect()
}

fn unseen(servers: &tidings_testkit::MailServers, login: &str, mailbox: &str) -> usize {
    let out = servers.doveadm(&["search", "-u", login, "mailbox", mailbox, "UNSEEN"]).unwrap();
    out.lines().filter(|l| !l.trim().is_empty()).count()
}

#[test]
fn five_hundred_chosen_messages_are_copied_moved_deleted_and_marked_on_dovecot() {
    let servers = dovecot(1500);
    let alice = servers.user("alice");
    let Live { mut app, worker, store_path, dir: _profile } = Live::open(&servers);
    let status = |app: &App| app.passes().status("work").line();
    let total = |app: &App| mailbox(app).list().counts().total;
    let idle = |app: &App| !app.passes().status("work").is_busy() && status(app).starts_with("Checked ");
    // The first check to its end: F5 during a pass joins it, and changes recorded meanwhile
    // wait for the next.
    let first = |app: &App| total(app) == 1500 && idle(app);
    worker.until(&mut app, Duration::from_secs(120), "first check", first, status);
    let account_id = mailbox(&app).account().unwrap();
    let inbox = mailbox(&app).list().folder().unwrap();
    let store = || Store::open(&store_path).unwrap();
    let count = |mailbox: &str| servers.message_count(alice, mailbox).unwrap();
    // Gets mail (F5) until the recorded changes are replayed, the server shows `done` and the
    // pass is over.
    let replayed = |app: &mut App, what: &str, done: &dyn Fn() -> bool| {
        press(app, Key::Named(Named::F5), Modifiers::empty());
        worker.until(
            app,
            Duration::from_secs(120),
            what,
            |app| idle(app) && store().pending_actions(account_id).unwrap().is_empty() && done(),
            |app| format!("{}; {:?}", status(app), store().pending_actions(account_id).unwrap().first()),
        );
    };
    // The newest 500: the first clicked, Shift on the 500th (far past the rows held).
    let choose_newest_500 = |app: &mut App| -> Vec<u32> {
        let rows = store().list(inbox, Sort::NEWEST, 0, 500).unwrap();
        click(app, &mailbox::id::row(rows[0].uid));
        click_far(app, 499, rows[499].uid, SHIFT);
        assert_eq!(mailbox(app).several(), Some(500));
        rows.iter().map(|r| r.uid).collect()
    };
    let ids_of = |uids: &[u32]| -> BTreeSet<String> {
        let s = store();
        uids.iter()
            .map(|uid| {
                let row = s.message(inbox, *uid).unwrap().unwrap();
                row.summary.message_id.unwrap().trim_matches(['<', '>']).to_string()
            })
            .collect()
    };

    // Copy 500 to Archive: the copies are the same messages.
    let first = choose_newest_500(&mut app);
    let first_ids = ids_of(&first);
    pick(&mut app, mailbox::id::COPY, "Archive");
    enter(&mut app);
    replayed(&mut app, "copy", &|| count("Archive") == 500);
    assert_eq!(count("INBOX"), 1500);
    assert_eq!(server_message_ids(&servers, &alice.login, "Archive"), first_ids);

    // Move the same 500 (still chosen) to Junk.
    assert_eq!(mailbox(&app).several(), Some(500));
    pick(&mut app, mailbox::id::MOVE, "junk");
    enter(&mut app);
    replayed(&mut app, "move", &|| count("Junk") == 500);
    assert_eq!(count("INBOX"), 1000);
    assert_eq!(server_message_ids(&servers, &alice.login, "Junk"), first_ids);

    // Delete the next newest 500: to Trash.
    let second = choose_newest_500(&mut app);
    press(&mut app, Key::Named(Named::Delete), Modifiers::empty());
    replayed(&mut app, "delete", &|| count("Trash") == 500);
    assert_eq!(count("INBOX"), 500);
    assert!(server_message_ids(&servers, &alice.login, "Trash").is_disjoint(&first_ids));
    assert_eq!(second.len(), 500);

    // Ctrl+A on the 500 left, then Mark read: none unseen on the server.
    assert!(unseen(&servers, &alice.login, "INBOX") > 0, "the seed leaves some unseen");
    select_all(&mut app);
    assert_eq!(mailbox(&app).several(), Some(500));
    press(&mut app, letter("m"), Modifiers::empty());
    replayed(&mut app, "mark read", &|| unseen(&servers, &alice.login, "INBOX") == 0);
    assert_eq!(count("INBOX"), 500);
}
