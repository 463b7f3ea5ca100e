//! Headless UI flows (iced_test) for the views across every account at the top of the folder
//! pane — "All Inboxes", "Unread" and "Flagged" — with two accounts in one store: their rows
//! newest first with the account named, Trash left out of Unread and Flagged, another
//! account's message opened from the store, read/star/delete and several chosen queued for
//! the account whose message it is, "Move to…" refused across accounts with the reason, a
//! snapshot; and against the testkit's Dovecot, two users synced, both in All Inboxes, and
//! the other account's message marked read on its server by that account's pass.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_all_inboxes`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::Duration;

use common::{assert_snapshot, settle};
use gui_mailbox_helpers::Worker;
use gui_mailbox_helpers::fixture::*;
use gui_mailbox_helpers::select::hold;

use iced::keyboard::{Key, Modifiers, key::Named};
use iced::theme::Mode;

use tidings::app::{App, Message};
use tidings::passes;
use tidings::screen::mailbox;
use tidings_mail::account::SecretRole;
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{
    AccountId, Flags, FolderId, FolderInfo, NewMessage, Role, ServerOp, Summary, Unified,
};

const CTRL: Modifiers = Modifiers::CTRL;

/// The "home" account beside the fixture's "work", in the same store.
struct Home {
    account: AccountId,
    inbox: FolderId,
    trash: FolderId,
    family: FolderId,
}

/// Home's messages share UIDs with work's, as two servers' do.
const ROOF: u32 = 1;
const SCHOOL: u32 = 2;
const GARDEN: u32 = 3;
const THROWN: u32 = 4;

const SCHOOL_MESSAGE: &str = "From: Pat Teacher <pat@school.example>\r\nTo: Home <home@example.test>\r\n\
    Subject: School trip\r\nDate: Tue, 10 Dec 2024 13:00:00 +0000\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\r\nThe bus leaves at eight.\r\n";

fn home_message(uid: u32, date: i64, seen: bool, flagged: bool, subject: &str) -> NewMessage {
    let mut flags = Vec::new();
    if seen {
        flags.push("\\Seen");
    }
    if flagged {
        flags.push("\\Flagged");
    }
    NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(flags),
        size: 1200,
        internal_date: Some(date),
        summary: Summary {
            date: Some(date),
            from_name: Some("Pat Teacher".into()),
            from_addr: Some("pat@school.example".into()),
            to: Some("Home <home@example.test>".into()),
            subject: Some(subject.into()),
            ..Summary::default()
        },
        parse_error: None,
    }
}

/// The fixture's store with "home" too: its Inbox holds the newest message of all (ROOF,
/// unread, no body), SCHOOL (unread, starred, body kept) and GARDEN (read); its Trash an
/// unread starred message; work's Trash one too. The config names both accounts.
fn two_accounts(fx: &Fixture) -> (Home, Config) {
    let mut store = check_store(fx);
    let account = store.account("home").unwrap();
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
            &[info("INBOX", Some(Role::Inbox)), info("Trash", Some(Role::Trash)), info("Family", None)],
        )
        .unwrap();
    let folder = |name: &str| folders.iter().find(|f| f.name == name).unwrap().id;
    for f in &folders {
        store.begin_folder(f.id, 9).unwrap();
    }
    let home = Home { account, inbox: folder("INBOX"), trash: folder("Trash"), family: folder("Family") };
    store
        .insert_messages(
            home.inbox,
            9,
            &[
                home_message(ROOF, date(NEWEST) + 3600, false, false, "Roof repair"),
                home_message(SCHOOL, date(30) + 3600, false, true, "School trip"),
                home_message(GARDEN, date(10) + 3600, true, false, "Garden party"),
            ],
        )
        .unwrap();
    store.save_body(home.inbox, 9, SCHOOL, SCHOOL_MESSAGE.as_bytes()).unwrap();
    store
        .insert_messages(home.trash, 9, &[home_message(THROWN, date(39), false, true, "Thrown away")])
        .unwrap();
    let work_trash = store.folders(fx.account).unwrap().into_iter().find(|f| f.name == "Trash").unwrap().id;
    let mut thrown = message(200);
    thrown.flags = Flags::new(vec!["\\Flagged"]);
    thrown.summary.subject = Some("Work thrown away".into());
    store.insert_messages(work_trash, 7, &[thrown]).unwrap();

    let mut config = Config::default();
    config.add_account(account_for("127.0.0.1", 1, "work", None)).unwrap();
    let mut other = account_for("127.0.0.1", 1, "home", None);
    other.name = "Home".into();
    other.email = "home@example.test".into();
    config.add_account(other).unwrap();
    // Saved: the mailbox reads the accounts' names from the profile.
    config.save(&fx.profile).unwrap();
    (home, config)
}

/// Work's mailbox, opened, with the two accounts.
fn opened_two(fx: &Fixture, config: Config) -> App {
    let mut app = App::with_config(fx.profile.clone(), Secrets::in_memory(), config);
    click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
    app
}

/// The rows held: (account, folder, UID, subject).
fn rows(app: &App) -> Vec<(String, FolderId, u32, String)> {
    let list = mailbox(app).list();
    // The fixture's lists fit one window: the rows held start at the top.
    list.rows()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let whose = list.whose_at(i).expect("a view's row keeps its folder and account");
            (whose.account.clone(), whose.folder, r.uid, r.summary.subject.clone().unwrap_or_default())
        })
        .collect()
}

/// A click on a view's row as its button sends it, for rows below the window's fold.
fn click_far(app: &mut App, folder: FolderId, uid: u32) {
    let index = rows(app).iter().position(|r| (r.1, r.2) == (folder, uid)).unwrap();
    settle(app, vec![Message::Mailbox(mailbox::Message::Click(index, uid))]);
}

/// The changes recorded for `account`'s server, oldest first.
fn pending(fx: &Fixture, account: AccountId) -> Vec<ServerOp> {
    check_store(fx).pending_actions(account).unwrap().into_iter().map(|p| p.op).collect()
}

fn flags_op(folder: &str, uids: &[u32], flag: &str, add: bool) -> ServerOp {
    ServerOp::Flags { folder: folder.into(), uidvalidity: 9, uids: uids.to_vec(), flag: flag.into(), add }
}

#[test]
fn all_inboxes_lists_both_accounts_newest_first_with_the_account_named() {
    let fx = fixture();
    let (home, config) = two_accounts(&fx);
    let mut app = opened_two(&fx, config);
    // The views sit above the folders with their counts: unread for All Inboxes (work's
    // Inbox has 13 unread of 40, home's 2), all messages for Unread and Flagged.
    let work_unread = check_store(&fx).counts(fx.inbox).unwrap().unread;
    assert!(shows(&app, "All Inboxes"), "{:?}", texts(&app));
    assert!(shows(&app, &(work_unread + 2).to_string()), "{:?}", texts(&app));

    click(&mut app, &mailbox::id::view(Unified::Inboxes));
    let mb = mailbox(&app);
    assert_eq!(mb.list().view_shown(), Some(Unified::Inboxes));
    assert_eq!(mb.list().folder(), None);
    assert_eq!(mb.list().counts().total, u64::from(NEWEST) + 3);
    let shown = rows(&app);
    // Newest first across both: home's ROOF, then work's 40, 39…; home's SCHOOL after work's 30.
    assert_eq!(shown[0], ("home".into(), home.inbox, ROOF, "Roof repair".into()));
    assert_eq!((shown[1].0.as_str(), shown[1].2), ("work", NEWEST));
    let school = shown.iter().position(|r| r.1 == home.inbox && r.2 == SCHOOL).unwrap();
    assert_eq!((shown[school - 1].1, shown[school - 1].2), (fx.inbox, 31));
    assert_eq!((shown[school + 1].1, shown[school + 1].2), (fx.inbox, 30));
    assert!(shown.iter().all(|r| r.1 == fx.inbox || r.1 == home.inbox), "Inboxes only");
    // The account's name beside each row; the status line counts the view.
    for name in ["Home", "Work", "Roof repair", "Account"] {
        assert!(shows(&app, name), "{name:?} is not shown: {:?}", texts(&app));
    }
    assert!(shows(&app, "Threads: in folders only"), "{:?}", texts(&app));

    // Opening home's SCHOOL (its body kept) shows it; its UID is also one of work's.
    click(&mut app, &mailbox::id::view_row(home.inbox, SCHOOL));
    let opened = mailbox(&app).reader().opened().unwrap();
    assert_eq!((opened.folder, opened.row.uid), (home.inbox, SCHOOL));
    assert!(shows(&app, "The bus leaves at eight."), "{:?}", texts(&app));
    // Opening marked it read: home's change, for home's server; work has none.
    assert_eq!(pending(&fx, home.account), [flags_op("INBOX", &[SCHOOL], "\\Seen", true)]);
    assert!(pending(&fx, fx.account).is_empty());
    assert!(!check_store(&fx).message(home.inbox, SCHOOL).unwrap().unwrap().unread);

    // Home's ROOF has no body here: the reader says so instead of asking work's server.
    click(&mut app, &mailbox::id::view_row(home.inbox, ROOF));
    let said = texts(&app).join(" ");
    assert!(said.contains("not stored here yet") && said.contains("Home"), "{said}");

    // Sorting and Down work as in a folder: oldest first, the selection follows.
    click(&mut app, mailbox::id::SORT_DATE);
    assert_eq!(mailbox(&app).list().selected_key(), Some((home.inbox, ROOF)));
    assert_eq!(mailbox(&app).list().selected_index(), Some(u64::from(NEWEST) as usize + 2));
    click(&mut app, mailbox::id::SORT_DATE);
    press(&mut app, Key::Named(Named::ArrowDown), Modifiers::empty());
    assert_eq!(mailbox(&app).list().selected_key(), Some((fx.inbox, NEWEST)));

    // Back to a folder: the list is the folder's again.
    click(&mut app, &mailbox::id::folder("INBOX"));
    assert_eq!(mailbox(&app).list().folder(), Some(fx.inbox));
    assert_eq!(mailbox(&app).list().view_shown(), None);
}

#[test]
fn unread_and_flagged_leave_trash_out() {
    let fx = fixture();
    let (home, config) = two_accounts(&fx);
    let mut app = opened_two(&fx, config);
    let store = check_store(&fx);
    let work = |folder: &str| {
        let id = store.folders(fx.account).unwrap().into_iter().find(|f| f.name == folder).unwrap().id;
        store.counts(id).unwrap()
    };

    click(&mut app, &mailbox::id::view(Unified::Unread));
    let shown = rows(&app);
    let work_unread: u64 = ["INBOX", "INBOX/Lists", "Archive", "Sent"].iter().map(|f| work(f).unread).sum();
    assert_eq!(mailbox(&app).list().counts().total, work_unread + 2);
    assert!(shown.iter().all(|r| r.1 != home.trash && r.3 != "Work thrown away"), "{shown:?}");
    assert!(shown.iter().any(|r| (r.1, r.2) == (home.inbox, ROOF)));
    assert!(!shown.iter().any(|r| (r.1, r.2) == (home.inbox, GARDEN)), "read");

    click(&mut app, &mailbox::id::view(Unified::Flagged));
    let shown = rows(&app);
    assert!(shown.iter().all(|r| r.1 != home.trash && r.3 != "Work thrown away"), "{shown:?}");
    assert!(shown.iter().any(|r| (r.1, r.2) == (home.inbox, SCHOOL)));
    assert!(shown.iter().any(|r| r.1 == fx.inbox && r.2 == NEWEST), "work's 40 is starred");
    assert!(!shown.iter().any(|r| r.1 == home.family));
}

#[test]
fn read_star_and_delete_on_another_accounts_row_queue_that_accounts_change() {
    let fx = fixture();
    let (home, config) = two_accounts(&fx);
    let mut app = opened_two(&fx, config);
    click(&mut app, &mailbox::id::view(Unified::Inboxes));
    // GARDEN (read, far down the list) opened with a click on its row, then toggled.
    click_far(&mut app, home.inbox, GARDEN);
    press(&mut app, letter("m"), Modifiers::empty());
    press(&mut app, letter("s"), Modifiers::empty());
    assert_eq!(
        pending(&fx, home.account),
        [flags_op("INBOX", &[GARDEN], "\\Seen", false), flags_op("INBOX", &[GARDEN], "\\Flagged", true)]
    );
    assert!(pending(&fx, fx.account).is_empty(), "work's GARDEN-numbered message is untouched");
    let row = check_store(&fx).message(home.inbox, GARDEN).unwrap().unwrap();
    assert!(row.unread && row.flagged);
    let work_three = check_store(&fx).message(fx.inbox, GARDEN).unwrap().unwrap();
    assert_eq!(work_three.flagged, message(GARDEN).flags.flagged());

    // Delete: to home's Trash, recorded for home; out of the view at once.
    press(&mut app, Key::Named(Named::Delete), Modifiers::empty());
    let ops = pending(&fx, home.account);
    assert!(
        matches!(ops.last(), Some(ServerOp::Move { folder, uids, to, .. })
            if folder == "INBOX" && uids == &[GARDEN] && to == "Trash"),
        "{ops:?}"
    );
    assert!(pending(&fx, fx.account).is_empty());
    assert!(!rows(&app).iter().any(|r| (r.1, r.2) == (home.inbox, GARDEN)));
    assert!(check_store(&fx).message(home.inbox, GARDEN).unwrap().is_none());
    assert!(rows(&app).iter().any(|r| (r.1, r.2) == (fx.inbox, GARDEN)), "work's 3 stays");
}

#[test]
fn several_chosen_across_accounts_are_acted_on_per_account_and_move_is_refused_with_the_reason() {
    let fx = fixture();
    let (home, config) = two_accounts(&fx);
    let mut app = opened_two(&fx, config);
    click(&mut app, &mailbox::id::view(Unified::Inboxes));
    // Home's ROOF and work's 40 (next to each other), and home's SCHOOL with Ctrl.
    click(&mut app, &mailbox::id::view_row(home.inbox, ROOF));
    hold(&mut app, CTRL);
    click(&mut app, &mailbox::id::view_row(fx.inbox, NEWEST));
    click(&mut app, &mailbox::id::view_row(home.inbox, SCHOOL));
    hold(&mut app, Modifiers::empty());
    assert_eq!(mailbox(&app).several(), Some(3));
    assert!(shows(&app, "3 messages selected"), "{:?}", texts(&app));

    // Star all three: one change per account's folder.
    click(&mut app, &mailbox::id::chosen("star"));
    assert_eq!(pending(&fx, fx.account), [flags_op_work(&[NEWEST], "\\Flagged", true)]);
    let home_ops = pending(&fx, home.account);
    assert!(home_ops.contains(&flags_op("INBOX", &[ROOF, SCHOOL], "\\Flagged", true)), "{home_ops:?}");

    // Move to…: the messages are two accounts'; no folder is offered, and the panel says why.
    click(&mut app, &mailbox::id::chosen("move"));
    assert!(mailbox(&app).picker_open());
    let said = texts(&app).join(" ");
    assert!(said.contains("belong to Home and Work"), "{said}");
    assert!(!offered(&app, "Archive") && !offered(&app, "Family"), "no folder offered");
    press(&mut app, Key::Named(Named::Escape), Modifiers::empty());

    // Only home's two: Move to… offers home's folders, and the move is home's.
    hold(&mut app, CTRL);
    click(&mut app, &mailbox::id::view_row(fx.inbox, NEWEST));
    hold(&mut app, Modifiers::empty());
    assert_eq!(mailbox(&app).several(), Some(2));
    click(&mut app, &mailbox::id::chosen("move"));
    assert!(offered(&app, "Family"), "{:?}", texts(&app));
    assert!(!offered(&app, "Archive"), "work's folders are not offered");
    click(&mut app, &mailbox::id::picker_folder("Family"));
    let home_ops = pending(&fx, home.account);
    assert!(
        home_ops.iter().any(
            |op| matches!(op, ServerOp::Move { uids, to, .. } if uids == &[ROOF, SCHOOL] && to == "Family")
        ),
        "{home_ops:?}"
    );
    assert!(!pending(&fx, fx.account).iter().any(|op| matches!(op, ServerOp::Move { .. })));

    // Ctrl+A in a view chooses the whole view; Mark read marks both accounts' messages.
    press(&mut app, letter("a"), CTRL);
    let total = mailbox(&app).list().counts().total;
    assert_eq!(mailbox(&app).several(), Some(total));
    click(&mut app, &mailbox::id::chosen("read"));
    let store = check_store(&fx);
    assert_eq!(store.unified_counts(Unified::Inboxes).unwrap().unread, 0);
    assert!(
        pending(&fx, home.account)
            .iter()
            .any(|op| matches!(op, ServerOp::Flags { add: true, flag, .. } if flag == "\\Seen"))
    );
}

/// Whether the "Move to…"/"Copy to…" panel offers the folder.
fn offered(app: &App, name: &str) -> bool {
    window(app).find(iced_test::selector::id(mailbox::id::picker_folder(name))).is_ok()
}

fn flags_op_work(uids: &[u32], flag: &str, add: bool) -> ServerOp {
    ServerOp::Flags { folder: "INBOX".into(), uidvalidity: 7, uids: uids.to_vec(), flag: flag.into(), add }
}

#[test]
fn the_view_comes_back_on_the_next_start() {
    let fx = fixture();
    let _ = two_accounts(&fx);
    let start = || {
        let (mut app, boot) = App::new(fx.profile.clone(), Secrets::in_memory());
        settle(&mut app, common::run(boot));
        app
    };
    let mut app = start();
    click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
    click(&mut app, &mailbox::id::view(Unified::Flagged));
    let place = mailbox(&app).place();
    assert_eq!((place.view, place.folder, place.message), (Some(Unified::Flagged), None, None));
    assert!(app.has_unsaved_place());
    settle(&mut app, vec![Message::SaveUiState]);
    drop(app);

    let again = start();
    assert_eq!(mailbox(&again).list().view_shown(), Some(Unified::Flagged));
    assert!(mailbox(&again).list().counts().total > 0);
}

#[test]
fn snapshot_of_all_inboxes() {
    let fx = fixture();
    let (home, config) = two_accounts(&fx);
    let mut app = opened_two(&fx, config);
    click(&mut app, &mailbox::id::view(Unified::Inboxes));
    click(&mut app, &mailbox::id::view_row(home.inbox, SCHOOL));
    let mut ui = window(&app);
    assert_snapshot(&mut ui, &tidings::theme::for_mode(Mode::Light), "all-inboxes-light");
}

#[test]
fn both_dovecot_accounts_in_all_inboxes_and_the_other_accounts_read_mark_reaches_its_server() {
    let servers = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let (alice, bob) = (servers.user("alice"), servers.user("bob"));
    let mail = |n: u32, to: &str, subject: &str| {
        format!(
            "From: Ann <ann@example.test>\r\nTo: {to}@example.test\r\nSubject: {subject}\r\n\
             Date: {n:02} Mar 2024 10:00:00 +0000\r\nMessage-ID: <{n}.{to}@example.test>\r\n\r\nHello.\r\n"
        )
    };
    servers.deliver(alice, mail(1, "alice", "For alice, older").as_bytes()).unwrap();
    servers.deliver(bob, mail(2, "bob", "For bob, newer").as_bytes()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    let ca = Some(servers.ca_path());
    config.add_account(account_for(servers.host(), servers.imaps_port(), &alice.login, ca)).unwrap();
    let mut home = account_for(servers.host(), servers.imaps_port(), &bob.login, ca);
    home.name = "Home".into();
    config.add_account(home).unwrap();
    config.save(&profile).unwrap();
    let secrets = Secrets::in_memory();
    secrets.set("work", SecretRole::Incoming, &alice.password).unwrap();
    secrets.set("home", SecretRole::Incoming, &bob.password).unwrap();
    let key = |id: &str| {
        let account = config.account(id).unwrap().clone();
        passes::Key::for_account(&profile, &account, secrets.clone()).without_notifications()
    };
    let (work_key, home_key) = (key("work"), key("home"));
    let store_path = profile.store_path();
    let mut app = App::with_config(profile, secrets, config);
    click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
    click(&mut app, &mailbox::id::view(Unified::Inboxes));
    let work = Worker::start(work_key);
    let home_worker = Worker::start(home_key);
    let status = |app: &App| {
        format!("{} / {}", app.passes().status("work").line(), app.passes().status("home").line())
    };
    let idle = |app: &App, id: &str| {
        let s = app.passes().status(id);
        !s.is_busy() && s.line().starts_with("Checked ")
    };
    let total = |app: &App| mailbox(app).list().counts().total;
    // Each account's first check; the view hears both.
    work.until(&mut app, Duration::from_secs(120), "work's first check", |a| idle(a, "work"), status);
    home_worker.until(
        &mut app,
        Duration::from_secs(120),
        "home's first check",
        |a| idle(a, "home") && total(a) == 2,
        status,
    );
    let shown: Vec<(String, String)> = mailbox(&app)
        .list()
        .rows()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (mailbox(&app).list().whose_at(i).unwrap().account.clone(), r.summary.subject.clone().unwrap())
        })
        .collect();
    assert_eq!(
        shown,
        [("home".to_string(), "For bob, newer".to_string()), ("work".into(), "For alice, older".into())]
    );
    assert!(shows(&app, "Home") && shows(&app, "Work"), "{:?}", texts(&app));

    // Bob's message selected with the keys, marked read: home's change, replayed by home's
    // pass (Get all mail), seen on bob's server.
    press(&mut app, Key::Named(Named::ArrowDown), Modifiers::empty());
    press(&mut app, letter("m"), Modifiers::empty());
    let store = || tidings_mail::store::Store::open(&store_path).unwrap();
    let home_id = store().account("home").unwrap();
    assert_eq!(store().pending_actions(home_id).unwrap().len(), 1);
    let unseen = |login: &str| {
        let out = servers.doveadm(&["search", "-u", login, "mailbox", "INBOX", "UNSEEN"]).unwrap();
        out.lines().filter(|l| !l.trim().is_empty()).count()
    };
    assert_eq!(unseen(&bob.login), 1);
    // New mail for bob meanwhile: home's pass brings it, and its news reach work's mailbox,
    // which shows the view (only home's events are fed to the app from here on).
    servers.deliver(bob, mail(3, "bob", "For bob, newest").as_bytes()).unwrap();
    // Get all mail (Ctrl+Shift+T): every account's pass.
    press(&mut app, letter("t"), Modifiers::CTRL | Modifiers::SHIFT);
    home_worker.until(
        &mut app,
        Duration::from_secs(120),
        "home's pass replaying the change",
        |a| {
            idle(a, "home")
                && store().pending_actions(home_id).unwrap().is_empty()
                && unseen(&bob.login) == 1
                && total(a) == 3
        },
        status,
    );
    let first = &mailbox(&app).list().rows()[0];
    assert_eq!(first.summary.subject.as_deref(), Some("For bob, newest"));
    let unread = store().unified(Unified::Unread, tidings_mail::store::Sort::NEWEST, 0, 10).unwrap();
    let unread: Vec<_> = unread.iter().map(|u| u.row.summary.subject.clone().unwrap()).collect();
    assert_eq!(unread, ["For bob, newest", "For alice, older"], "bob's older one was marked read");
    assert_eq!(unseen(&alice.login), 1, "alice's message is still unseen");
}
