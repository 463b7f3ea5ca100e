//! Conversations: messages grouped by Message-ID, In-Reply-To and References across the
//! folders of an account, with placeholders for parents not (or no longer) stored; subjects
//! alone never join two messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use rusqlite::Connection;
use tidings_mail::store::schema::{self, MIGRATIONS};
use tidings_mail::store::{
    Flags, FolderId, FolderInfo, NewMessage, Role, Sort, SortKey, Store, Summary, ThreadId,
};

struct Fixture {
    store: Store,
    inbox: FolderId,
    sent: FolderId,
    next_uid: u32,
}

fn fixture() -> Fixture {
    let mut store = Store::open_in_memory().unwrap();
    let a = store.account("alice").unwrap();
    let info = |name: &str, role| FolderInfo {
        name: name.into(),
        delimiter: Some("/".into()),
        role: Some(role),
        subscribed: true,
        selectable: true,
    };
    let folders = store.replace_folders(a, &[info("INBOX", Role::Inbox), info("Sent", Role::Sent)]).unwrap();
    let (inbox, sent) = (folders[0].id, folders[1].id);
    store.begin_folder(inbox, 1).unwrap();
    store.begin_folder(sent, 1).unwrap();
    Fixture { store, inbox, sent, next_uid: 1 }
}

/// A message with the given headers (ids without brackets, as the header parser stores
/// them); `day` orders them.
fn msg(
    uid: u32,
    id: Option<&str>,
    irt: Option<&str>,
    refs: Option<&str>,
    subject: &str,
    day: i64,
) -> NewMessage {
    NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(if day % 2 == 0 { vec!["\\Seen"] } else { vec![] }),
        size: 100,
        internal_date: Some(day * 86_400),
        summary: Summary {
            date: Some(day * 86_400),
            from_addr: Some("someone@example.test".into()),
            subject: Some(subject.into()),
            message_id: id.map(str::to_string),
            in_reply_to: irt.map(str::to_string),
            references: refs.map(str::to_string),
            ..Summary::default()
        },
        parse_error: None,
    }
}

impl Fixture {
    /// Stores one message in `folder`; returns its UID.
    fn add(
        &mut self,
        folder: FolderId,
        id: Option<&str>,
        irt: Option<&str>,
        refs: Option<&str>,
        subject: &str,
        day: i64,
    ) -> u32 {
        let uid = self.next_uid;
        self.next_uid += 1;
        self.store.insert_messages(folder, 1, &[msg(uid, id, irt, refs, subject, day)]).unwrap();
        uid
    }

    fn thread(&self, folder: FolderId, uid: u32) -> ThreadId {
        self.store.thread_of(folder, uid).unwrap().unwrap()
    }

    /// The subjects of a thread's messages, oldest first.
    fn subjects(&self, thread: ThreadId) -> Vec<String> {
        let msgs = self.store.thread_messages(thread).unwrap();
        msgs.into_iter().map(|m| m.row.summary.subject.unwrap()).collect()
    }
}

#[test]
fn replies_to_a_missing_parent_and_references_only_chains_form_one_thread() {
    let mut f = fixture();
    let inbox = f.inbox;
    // The start of the thread (root@x) was never stored: two replies name it, a third
    // message has only References (root, then the first reply).
    let a = f.add(inbox, Some("a@x"), Some("root@x"), Some("root@x"), "Re: plan", 2);
    let b = f.add(inbox, Some("b@x"), Some("root@x"), None, "Re: plan", 3);
    let c = f.add(inbox, Some("c@x"), None, Some("root@x a@x"), "Re: plan", 4);
    // Brackets, spaces and the domain's case do not matter.
    let d = f.add(inbox, Some("d@x"), Some(" <c@X> "), None, "Re: plan", 5);
    let t = f.thread(inbox, a);
    assert_eq!([f.thread(inbox, b), f.thread(inbox, c), f.thread(inbox, d)], [t, t, t]);
    let msgs = f.store.thread_messages(t).unwrap();
    let parents: Vec<Option<&str>> = msgs.iter().map(|m| m.parent.as_deref()).collect();
    assert_eq!(parents, [Some("root@x"), Some("root@x"), Some("a@x"), Some("c@x")]);

    let list = f.store.threads(inbox, Sort::NEWEST, 50, 0).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].thread, list[0].count, list[0].unread), (t, 4, 2));
    assert_eq!(list[0].newest.uid, d, "the newest message stands for the thread");
}

#[test]
fn ones_own_reply_in_sent_joins_the_thread_of_the_inbox_message() {
    let mut f = fixture();
    let (inbox, sent) = (f.inbox, f.sent);
    let question = f.add(inbox, Some("q@example.test"), None, None, "Question", 1);
    let reply =
        f.add(sent, Some("r@me.test"), Some("q@example.test"), Some("q@example.test"), "Re: Question", 2);
    let answer = f.add(
        inbox,
        Some("s@example.test"),
        Some("r@me.test"),
        Some("q@example.test r@me.test"),
        "Re: Question",
        3,
    );
    let t = f.thread(inbox, question);
    assert_eq!((f.thread(sent, reply), f.thread(inbox, answer)), (t, t));

    let msgs = f.store.thread_messages(t).unwrap();
    let folders: Vec<FolderId> = msgs.iter().map(|m| m.folder).collect();
    assert_eq!(folders, [inbox, sent, inbox], "in date order, across folders");
    // The list of each folder counts what the folder holds.
    let list = f.store.threads(inbox, Sort::NEWEST, 50, 0).unwrap();
    assert_eq!((list.len(), list[0].count), (1, 2));
    let list = f.store.threads(sent, Sort::NEWEST, 50, 0).unwrap();
    assert_eq!((list.len(), list[0].count, list[0].thread), (1, 1, t));
}

#[test]
fn a_message_stored_before_its_parent_fills_the_placeholder() {
    let mut f = fixture();
    let inbox = f.inbox;
    let child = f.add(inbox, Some("child@x"), Some("parent@x"), Some("grand@x parent@x"), "Re: Re: trip", 3);
    let parent = f.add(inbox, Some("parent@x"), Some("grand@x"), Some("grand@x"), "Re: trip", 2);
    let grand = f.add(inbox, Some("grand@x"), None, None, "trip", 1);
    let t = f.thread(inbox, child);
    assert_eq!((f.thread(inbox, parent), f.thread(inbox, grand)), (t, t));
    let msgs = f.store.thread_messages(t).unwrap();
    let tree: Vec<(u32, Option<&str>)> = msgs.iter().map(|m| (m.row.uid, m.parent.as_deref())).collect();
    assert_eq!(tree, [(grand, None), (parent, Some("grand@x")), (child, Some("parent@x"))]);
}

#[test]
fn lookalike_subjects_never_join() {
    let mut f = fixture();
    let inbox = f.inbox;
    let one = f.add(inbox, Some("l1@x"), None, None, "Lunch", 1);
    let two = f.add(inbox, Some("l2@y"), None, None, "Lunch", 2);
    let re = f.add(inbox, Some("l3@z"), None, None, "Re: Lunch", 3);
    let bare = f.add(inbox, None, None, None, "Lunch", 4);
    let threads = [one, two, re, bare].map(|uid| f.thread(inbox, uid));
    for (i, t) in threads.iter().enumerate() {
        assert_eq!(threads.iter().filter(|u| *u == t).count(), 1, "message {i} shares a thread: {threads:?}");
    }
    assert_eq!(f.store.threads(inbox, Sort::NEWEST, 50, 0).unwrap().len(), 4);
}

#[test]
fn a_message_naming_two_threads_joins_them() {
    let mut f = fixture();
    let inbox = f.inbox;
    let a = f.add(inbox, Some("a@x"), None, None, "A", 1);
    let b = f.add(inbox, Some("b@x"), None, None, "B", 2);
    assert_ne!(f.thread(inbox, a), f.thread(inbox, b));
    let both = f.add(inbox, Some("m@x"), Some("b@x"), Some("a@x b@x"), "Re: B", 3);
    let t = f.thread(inbox, both);
    assert_eq!((f.thread(inbox, a), f.thread(inbox, b)), (t, t));
    assert_eq!(f.subjects(t), ["A", "B", "Re: B"]);
}

#[test]
fn a_deleted_message_leaves_its_thread_whole() {
    let mut f = fixture();
    let inbox = f.inbox;
    let a = f.add(inbox, Some("a@x"), None, None, "walk", 1);
    let b = f.add(inbox, Some("b@x"), Some("a@x"), Some("a@x"), "Re: walk", 2);
    let c = f.add(inbox, Some("c@x"), Some("b@x"), None, "Re: Re: walk", 3);
    let t = f.thread(inbox, a);
    assert_eq!(f.store.remove_messages(inbox, 1, &[b]).unwrap(), 1);
    assert_eq!(f.thread(inbox, c), t, "the middle is gone, the ends stay together");
    // A late reply to the deleted message still finds the thread through its placeholder.
    let d = f.add(inbox, Some("d@x"), Some("b@x"), None, "Re: Re: walk", 4);
    assert_eq!(f.thread(inbox, d), t);
    assert_eq!(f.subjects(t), ["walk", "Re: Re: walk", "Re: Re: walk"]);
    let list = f.store.threads(inbox, Sort::NEWEST, 50, 0).unwrap();
    assert_eq!((list.len(), list[0].count), (1, 3));
    f.store.check_integrity().unwrap();
}

#[test]
fn headers_that_point_in_a_circle_make_one_thread_and_no_loop() {
    let mut f = fixture();
    let inbox = f.inbox;
    let a = f.add(inbox, Some("a@x"), Some("b@x"), Some("b@x"), "A", 1);
    let b = f.add(inbox, Some("b@x"), Some("a@x"), Some("a@x"), "B", 2);
    let c = f.add(inbox, Some("c@x"), Some("c@x"), Some("c@x"), "self", 3);
    let t = f.thread(inbox, a);
    assert_eq!(f.thread(inbox, b), t);
    let msgs = f.store.thread_messages(t).unwrap();
    let parents: Vec<Option<&str>> = msgs.iter().map(|m| m.parent.as_deref()).collect();
    assert!(parents.contains(&None), "someone is at the top: {parents:?}");
    assert_ne!(f.thread(inbox, c), t);
    assert_eq!(f.store.thread_messages(f.thread(inbox, c)).unwrap()[0].parent, None);
}

#[test]
fn the_threaded_list_pages_and_sorts_by_each_threads_newest_message() {
    let mut f = fixture();
    let inbox = f.inbox;
    // Thread k: a start on day k and a reply on day 20 + k, for k in 1..=5; one lone message.
    for k in 1..=5 {
        let id = format!("t{k}@x");
        f.add(inbox, Some(&id), None, None, &format!("topic {k}"), k);
        f.add(inbox, Some(&format!("r{k}@x")), Some(&id), None, &format!("Re: topic {k}"), 20 + k);
    }
    f.add(inbox, Some("lone@x"), None, None, "lone", 10);
    let newest = |limit, offset| -> Vec<String> {
        let page = f.store.threads(inbox, Sort::NEWEST, limit, offset).unwrap();
        page.into_iter().map(|t| t.newest.summary.subject.unwrap()).collect()
    };
    assert_eq!(newest(3, 0), ["Re: topic 5", "Re: topic 4", "Re: topic 3"]);
    assert_eq!(newest(10, 3), ["Re: topic 2", "Re: topic 1", "lone"]);
    let oldest = f.store.threads(inbox, Sort { key: SortKey::Date, descending: false }, 2, 0).unwrap();
    assert_eq!(oldest[0].newest.summary.subject.as_deref(), Some("lone"));
    assert_eq!(oldest[1].count, 2);
    // The whole order, as the window lays it out: the same threads, with their sizes.
    let order = f.store.thread_order(inbox, Sort::NEWEST).unwrap();
    let all = f.store.threads(inbox, Sort::NEWEST, 100, 0).unwrap();
    assert_eq!(order, all.iter().map(|t| (t.thread, t.count)).collect::<Vec<_>>());
    assert_eq!(order.iter().map(|(_, n)| n).collect::<Vec<_>>(), [&2, &2, &2, &2, &2, &1]);
}

/// A version 7 store (before conversations): its messages wait, each its own thread, until
/// `thread_pending` works through them; then they are grouped as if stored today.
#[test]
fn a_version_7_store_threads_what_it_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        schema::migrate(&mut conn, "old", &MIGRATIONS[..7]).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, key) VALUES (1, 'work');
             INSERT INTO folders (id, account, name, role, uidvalidity) VALUES (1, 1, 'INBOX', 'inbox', 1);
             INSERT INTO folders (id, account, name, role, uidvalidity) VALUES (2, 1, 'Sent', 'sent', 1);",
        )
        .unwrap();
        // 1,200 messages in 400 threads of three: a start in INBOX, a reply in Sent, its
        // answer in INBOX naming both.
        for k in 0..400 {
            let rows = [
                (1, format!("s{k}@x"), None, None),
                (2, format!("r{k}@me"), Some(format!("s{k}@x")), Some(format!("s{k}@x"))),
                (1, format!("a{k}@x"), Some(format!("r{k}@me")), Some(format!("s{k}@x r{k}@me"))),
            ];
            for (n, (folder, id, irt, refs)) in rows.into_iter().enumerate() {
                conn.execute(
                    "INSERT INTO messages (folder, uidvalidity, uid, unread, flagged, answered, size, sort_date,
                        sender_sort, subject, subject_sort, message_id, in_reply_to, refs)
                     VALUES (?1, 1, ?2, 1, 0, 0, 100, ?3, 'a', 'same subject', 'same subject', ?4, ?5, ?6)",
                    rusqlite::params![folder, k * 3 + n as i64 + 1, k * 3 + n as i64, id, irt, refs],
                )
                .unwrap();
            }
        }
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest());
    let account = store.account("work").unwrap();
    let inbox = store.folder(account, "INBOX").unwrap().unwrap().id;
    assert_eq!(store.thread_backlog().unwrap(), 1200);
    // Not threaded yet: each message is a thread of its own, none is lost.
    assert_eq!(store.threads(inbox, Sort::NEWEST, 5000, 0).unwrap().len(), 800);
    assert_eq!(store.thread_pending(1000, Duration::from_secs(60)).unwrap(), 1000);
    assert_eq!(store.thread_backlog().unwrap(), 200);
    assert_eq!(store.thread_pending(usize::MAX, Duration::from_secs(60)).unwrap(), 200);
    assert_eq!(store.thread_backlog().unwrap(), 0);
    let list = store.threads(inbox, Sort::NEWEST, 5000, 0).unwrap();
    assert_eq!(list.len(), 400, "one thread per conversation, not one per subject");
    assert!(list.iter().all(|t| t.count == 2 && t.unread == 2));
    for t in &list {
        let msgs = store.thread_messages(t.thread).unwrap();
        assert_eq!(msgs.len(), 3);
        let k = msgs[0].row.summary.message_id.as_deref().unwrap();
        let k = k.strip_prefix('s').unwrap().strip_suffix("@x").unwrap();
        assert_eq!(msgs[2].row.summary.message_id.as_deref(), Some(format!("a{k}@x").as_str()));
    }
    store.check_integrity().unwrap();
    drop(store);
    assert_eq!(Store::open(&path).unwrap().schema_version().unwrap(), schema::latest());
}
