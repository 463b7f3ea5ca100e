//! "All Inboxes", "Unread" and "Flagged": every account's messages in one list, each row
//! with its folder and account; Trash and Junk stay out of "Unread" and "Flagged".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tidings_mail::store::{
    Flags, FolderId, FolderInfo, MailAction, NewMessage, Role, Sort, SortKey, Store, Summary, Unified,
};

struct Account {
    inbox: FolderId,
    sent: FolderId,
    trash: FolderId,
    other: FolderId,
}

fn account(store: &mut Store, key: &str) -> Account {
    let a = store.account(key).unwrap();
    let info = |name: &str, role| FolderInfo {
        name: name.into(),
        delimiter: Some("/".into()),
        role,
        subscribed: true,
        selectable: true,
    };
    let f = store
        .replace_folders(
            a,
            &[
                info("INBOX", Some(Role::Inbox)),
                info("Sent", Some(Role::Sent)),
                info("Trash", Some(Role::Trash)),
                info("Projects", None),
            ],
        )
        .unwrap();
    for folder in &f {
        store.begin_folder(folder.id, 1).unwrap();
    }
    let id = |name: &str| f.iter().find(|x| x.name == name).unwrap().id;
    Account { inbox: id("INBOX"), sent: id("Sent"), trash: id("Trash"), other: id("Projects") }
}

/// Message `uid` on day `day`: unread unless `seen`, starred when `flagged`.
fn msg(uid: u32, day: i64, seen: bool, flagged: bool, subject: &str) -> NewMessage {
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
        size: 100 + uid,
        internal_date: Some(day * 86_400),
        summary: Summary {
            date: Some(day * 86_400),
            from_addr: Some(format!("{subject}@example.test")),
            subject: Some(subject.into()),
            ..Summary::default()
        },
        parse_error: None,
    }
}

struct Fixture {
    store: Store,
    alice: Account,
    bob: Account,
}

fn fixture() -> Fixture {
    let mut store = Store::open_in_memory().unwrap();
    let alice = account(&mut store, "alice");
    let bob = account(&mut store, "bob");
    let put =
        |store: &mut Store, folder, msgs: &[NewMessage]| store.insert_messages(folder, 1, msgs).unwrap();
    put(&mut store, alice.inbox, &[msg(1, 1, false, false, "a1"), msg(2, 4, true, true, "a2")]);
    put(&mut store, bob.inbox, &[msg(1, 2, false, false, "b1"), msg(2, 3, true, false, "b2")]);
    put(&mut store, alice.sent, &[msg(1, 5, true, true, "a-sent")]);
    put(&mut store, alice.other, &[msg(1, 6, false, false, "a-projects")]);
    // Thrown away: unread and starred, yet not in "Unread" or "Flagged".
    put(&mut store, alice.trash, &[msg(1, 7, false, true, "a-trash")]);
    put(&mut store, bob.trash, &[msg(1, 8, false, false, "b-trash")]);
    Fixture { store, alice, bob }
}

fn subjects(f: &Fixture, view: Unified, sort: Sort, offset: u64, limit: u64) -> Vec<String> {
    f.store
        .unified(view, sort, offset, limit)
        .unwrap()
        .into_iter()
        .map(|r| r.row.summary.subject.unwrap_or_default())
        .collect()
}

#[test]
fn all_inboxes_holds_every_accounts_inbox_newest_first() {
    let f = fixture();
    assert_eq!(subjects(&f, Unified::Inboxes, Sort::NEWEST, 0, 10), ["a2", "b2", "b1", "a1"]);
    // Each row says where it is stored and whose it is.
    let rows = f.store.unified(Unified::Inboxes, Sort::NEWEST, 0, 10).unwrap();
    let b2 = rows.iter().find(|r| r.row.summary.subject.as_deref() == Some("b2")).unwrap();
    assert_eq!((b2.folder, b2.account.as_str(), b2.row.uid), (f.bob.inbox, "bob", 2));
    let a2 = &rows[0];
    assert_eq!((a2.folder, a2.account.as_str(), a2.row.uid), (f.alice.inbox, "alice", 2));
    let counts = f.store.unified_counts(Unified::Inboxes).unwrap();
    assert_eq!((counts.total, counts.unread), (4, 2));
}

#[test]
fn unread_and_flagged_cross_folders_but_not_trash() {
    let f = fixture();
    assert_eq!(subjects(&f, Unified::Unread, Sort::NEWEST, 0, 10), ["a-projects", "b1", "a1"]);
    assert_eq!(subjects(&f, Unified::Flagged, Sort::NEWEST, 0, 10), ["a-sent", "a2"]);
    let unread = f.store.unified_counts(Unified::Unread).unwrap();
    assert_eq!((unread.total, unread.unread), (3, 3));
    let flagged = f.store.unified_counts(Unified::Flagged).unwrap();
    assert_eq!((flagged.total, flagged.unread), (2, 0));
}

#[test]
fn windows_and_other_orders_page_like_a_folder() {
    let f = fixture();
    assert_eq!(subjects(&f, Unified::Inboxes, Sort::NEWEST, 1, 2), ["b2", "b1"]);
    let oldest = Sort { key: SortKey::Date, descending: false };
    assert_eq!(subjects(&f, Unified::Inboxes, oldest, 0, 10), ["a1", "b1", "b2", "a2"]);
    let by_subject = Sort { key: SortKey::Subject, descending: false };
    assert_eq!(subjects(&f, Unified::Inboxes, by_subject, 0, 10), ["a1", "a2", "b1", "b2"]);
}

#[test]
fn a_message_is_found_at_its_place_in_the_view() {
    let f = fixture();
    let at = |folder, uid, sort| f.store.unified_position(Unified::Inboxes, sort, folder, uid).unwrap();
    assert_eq!(at(f.alice.inbox, 2, Sort::NEWEST), Some(0));
    assert_eq!(at(f.bob.inbox, 1, Sort::NEWEST), Some(2));
    assert_eq!(at(f.alice.inbox, 1, Sort::NEWEST), Some(3));
    let oldest = Sort { key: SortKey::Date, descending: false };
    assert_eq!(at(f.alice.inbox, 1, oldest), Some(0));
    // Not in the view: a Sent message in "All Inboxes", a trashed one in "Unread".
    assert_eq!(at(f.alice.sent, 1, Sort::NEWEST), None);
    let unread = f.store.unified_position(Unified::Unread, Sort::NEWEST, f.alice.trash, 1).unwrap();
    assert_eq!(unread, None);
    let unread = f.store.unified_position(Unified::Unread, Sort::NEWEST, f.alice.other, 1).unwrap();
    assert_eq!(unread, Some(0));
}

#[test]
fn a_removed_account_leaves_the_views() {
    let mut f = fixture();
    f.store.remove_account("bob").unwrap();
    assert_eq!(subjects(&f, Unified::Inboxes, Sort::NEWEST, 0, 10), ["a2", "a1"]);
}

#[test]
fn messages_moved_or_copied_to_the_folder_they_are_in_stay_and_nothing_is_queued() {
    let mut f = fixture();
    let alice = f.store.account("alice").unwrap();
    let inbox = f.alice.inbox;
    f.store.queue_action(alice, &MailAction::Move { folder: inbox, uids: vec![1, 2], to: inbox }).unwrap();
    f.store.queue_action(alice, &MailAction::Copy { folder: inbox, uids: vec![1], to: inbox }).unwrap();
    assert!(f.store.pending_actions(alice).unwrap().is_empty());
    assert_eq!(f.store.unified_counts(Unified::Inboxes).unwrap().total, 4, "nothing left its folder");
    // Elsewhere, a move is a move.
    f.store
        .queue_action(alice, &MailAction::Move { folder: inbox, uids: vec![1], to: f.alice.other })
        .unwrap();
    assert_eq!(f.store.pending_actions(alice).unwrap().len(), 1);
}
