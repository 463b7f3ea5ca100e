//! Headless UI flows (iced_test) for conversations in the window: the "Threads" toggle, one
//! row per thread with its count and unread count, a thread opened with its triangle or the
//! Right key and closed with Left, and "Open conversation" (Enter on a thread, the reader's
//! button) showing the thread's messages one after another, one's own reply from Sent among
//! them. The store is the mailbox fixture's with a corpus added: a conversation across INBOX
//! and Sent, two replies to a parent that was never stored, and two messages whose subjects
//! look alike but whose headers do not link them. One flow syncs the same kind of corpus from
//! the testkit's Dovecot and fetches the bodies from the server.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_threads`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::Duration;

use common::{assert_snapshot, settle};
use gui_mailbox_helpers::{Live, dovecot};
use iced::keyboard::{Key, Modifiers, key::Named};
use iced::theme::Mode;

use tidings::app::{App, Message};
use tidings::screen::mailbox::{self, Body, SearchMsg, ThreadLine, thread_id};
use tidings_mail::store::{Flags, FolderId, NewMessage, Summary, ThreadId, ThreadSummary};

use gui_mailbox_helpers::fixture::*;

/// 2025-01-01T00:00:00Z: the corpus is newer than the fixture's messages.
const JAN: i64 = 1_735_689_600;

struct Mail {
    uid: u32,
    from: (&'static str, &'static str),
    subject: &'static str,
    id: &'static str,
    in_reply_to: Option<&'static str>,
    references: Option<&'static str>,
    hours: i64,
    unread: bool,
}

/// The conversation: Alice asks (INBOX 201), one's reply is in Sent (Sent 1), Alice answers
/// it (202), Bob answers her (203).
const TRIP: &[Mail] = &[
    Mail {
        uid: 201,
        from: ("Alice Martin", "alice@example.test"),
        subject: "Trip to Lisbon",
        id: "trip1@example.test",
        in_reply_to: None,
        references: None,
        hours: 33,
        unread: false,
    },
    Mail {
        uid: 202,
        from: ("Alice Martin", "alice@example.test"),
        subject: "Re: Trip to Lisbon",
        id: "trip3@example.test",
        in_reply_to: Some("trip2@example.test"),
        references: Some("trip1@example.test trip2@example.test"),
        hours: 36,
        unread: true,
    },
    Mail {
        uid: 203,
        from: ("Bob Stone", "bob@example.test"),
        subject: "Re: Trip to Lisbon",
        id: "trip4@example.test",
        in_reply_to: Some("trip3@example.test"),
        references: Some("trip1@example.test trip2@example.test trip3@example.test"),
        hours: 56,
        unread: true,
    },
];

/// One's own reply, in Sent.
const REPLY: Mail = Mail {
    uid: 1,
    from: ("Work", "work@example.test"),
    subject: "Re: Trip to Lisbon",
    id: "trip2@example.test",
    in_reply_to: Some("trip1@example.test"),
    references: Some("trip1@example.test"),
    hours: 34,
    unread: false,
};

/// Two replies to a message that was never stored, and two lookalikes that stay apart.
const OTHERS: &[Mail] = &[
    Mail {
        uid: 204,
        from: ("Carol Danvers", "carol@example.org"),
        subject: "Re: Budget",
        id: "budget2@example.test",
        in_reply_to: Some("gone@example.test"),
        references: Some("gone@example.test"),
        hours: 10,
        unread: false,
    },
    Mail {
        uid: 205,
        from: ("Dave Null", "dave@example.com"),
        subject: "Re: Budget",
        id: "budget3@example.test",
        in_reply_to: Some("gone@example.test"),
        references: None,
        hours: 11,
        unread: true,
    },
    Mail {
        uid: 206,
        from: ("Erin Example", "erin@example.test"),
        subject: "Lunch",
        id: "lunch1@example.test",
        in_reply_to: None,
        references: None,
        hours: 12,
        unread: false,
    },
    Mail {
        uid: 207,
        from: ("Zoë Ørsted", "zoe@example.dk"),
        subject: "Re: Lunch",
        id: "lunch2@example.test",
        in_reply_to: None,
        references: None,
        hours: 13,
        unread: false,
    },
];

fn date(m: &Mail) -> i64 {
    JAN + m.hours * 3600
}

fn new_message(m: &Mail) -> NewMessage {
    NewMessage {
        uid: m.uid,
        modseq: None,
        flags: Flags::new(if m.unread { vec![] } else { vec!["\\Seen"] }),
        size: 1200,
        internal_date: Some(date(m)),
        summary: Summary {
            date: Some(date(m)),
            from_name: Some(m.from.0.into()),
            from_addr: Some(m.from.1.into()),
            to: Some("Work <work@example.test>".into()),
            subject: Some(m.subject.into()),
            message_id: Some(m.id.into()),
            in_reply_to: m.in_reply_to.map(Into::into),
            references: m.references.map(Into::into),
            ..Summary::default()
        },
        parse_error: None,
    }
}

/// The message as a server holds it.
fn raw(m: &Mail, body: &str) -> Vec<u8> {
    let bracket = |ids: &str| ids.split(' ').map(|id| format!("<{id}>")).collect::<Vec<_>>().join(" ");
    let mut headers = format!(
        "From: {} <{}>\r\nTo: Work <work@example.test>\r\nSubject: {}\r\nMessage-ID: <{}>\r\n",
        m.from.0, m.from.1, m.subject, m.id
    );
    if let Some(irt) = m.in_reply_to {
        headers.push_str(&format!("In-Reply-To: {}\r\n", bracket(irt)));
    }
    if let Some(refs) = m.references {
        headers.push_str(&format!("References: {}\r\n", bracket(refs)));
    }
    let when = chrono_like(date(m));
    format!("{headers}Date: {when}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").into_bytes()
}

/// An RFC 5322 date for a time in January 2025 (UTC).
fn chrono_like(unix: i64) -> String {
    let secs = unix - JAN;
    let (day, rest) = (secs / 86_400, secs % 86_400);
    let weekday = ["Wed", "Thu", "Fri", "Sat", "Sun", "Mon", "Tue"][(day % 7) as usize];
    format!("{weekday}, {:02} Jan 2025 {:02}:{:02}:00 +0000", day + 1, rest / 3600, rest % 3600 / 60)
}

const REPLY_BODY: &str = "Count me in: I will book the tram tour.";
const NEWEST_BODY: &str = "Tickets are booked for the 12th.";

/// The fixture with the corpus: the newest message of the conversation and the reply in
/// Sent have their bodies kept; Alice's question has not.
fn opened_with_corpus(fx: &Fixture) -> (App, FolderId) {
    let mut store = check_store(fx);
    let sent = store.folder(fx.account, "Sent").unwrap().unwrap().id;
    let inbox: Vec<NewMessage> = TRIP.iter().chain(OTHERS).map(new_message).collect();
    store.insert_messages(fx.inbox, 7, &inbox).unwrap();
    store.insert_messages(sent, 7, &[new_message(&REPLY)]).unwrap();
    store.save_body(fx.inbox, 7, 203, &raw(&TRIP[2], NEWEST_BODY)).unwrap();
    store.save_body(sent, 7, 1, &raw(&REPLY, REPLY_BODY)).unwrap();
    (opened(fx), sent)
}

fn summaries(app: &App) -> Vec<ThreadSummary> {
    mailbox(app).threads().summaries().to_vec()
}

/// (subject, count, unread) of the first `n` threads.
fn heads(app: &App, n: usize) -> Vec<(String, u32, u32)> {
    summaries(app)
        .iter()
        .take(n)
        .map(|s| (s.newest.summary.subject.clone().unwrap_or_default(), s.count, s.unread))
        .collect()
}

fn thread_of(app: &App, subject: &str) -> ThreadId {
    summaries(app)
        .iter()
        .find(|s| s.newest.summary.subject.as_deref() == Some(subject))
        .unwrap_or_else(|| panic!("no thread {subject:?}"))
        .thread
}

fn key(app: &mut App, named: Named) {
    press(app, Key::Named(named), Modifiers::empty());
}

fn body_text(body: &Body) -> String {
    match body {
        Body::Text(t) => t.clone(),
        Body::Rich(rich) => rich.plain(),
        Body::Empty => String::new(),
    }
}

#[test]
fn the_toggle_shows_one_row_per_conversation_with_its_counts() {
    let fx = fixture();
    let (mut app, _) = opened_with_corpus(&fx);
    assert!(!mailbox(&app).threads().is_on());
    click(&mut app, thread_id::TOGGLE);
    let mb = mailbox(&app);
    assert!(mb.threads().is_on());
    // 40 fixture messages, each its own thread, and the corpus's 7 INBOX messages in 4.
    assert_eq!(mb.threads().count(), 44);
    assert_eq!(
        heads(&app, 5),
        [
            ("Re: Trip to Lisbon".into(), 3, 2),
            ("Re: Lunch".into(), 1, 0),
            ("Lunch".into(), 1, 0),
            // Both replies to the missing message: one thread.
            ("Re: Budget".into(), 2, 1),
            ("Photos from the trip #40".into(), 1, 0),
        ]
    );
    for shown in ["(3, 2 unread)", "(2, 1 unread)", "Bob Stone", "Re: Trip to Lisbon", "Messages"] {
        assert!(shows(&app, shown), "{shown:?} is not shown: {:?}", texts(&app));
    }
    // The flat list's Size column is gone with it.
    assert!(!shows(&app, "Size"));

    // Sorting applies to the threads: by subject, A first.
    settle(&mut app, vec![Message::Mailbox(mailbox::Message::SortBy(tidings_mail::store::SortKey::Subject))]);
    // (The unreadable message has no subject; "Re:" is not sorted on.)
    let first: Vec<String> = heads(&app, 3).into_iter().map(|h| h.0).collect();
    assert_eq!(first, ["", "Re: Budget", "Build failed on main #16"]);

    // Off again: the flat list, one row per message.
    click(&mut app, thread_id::TOGGLE);
    assert!(!mailbox(&app).threads().is_on());
    assert!(shows(&app, "Size"));
}

#[test]
fn threads_stay_on_for_the_folder_they_were_turned_on_in_across_a_restart() {
    let fx = fixture();
    let (mut app, _) = opened_with_corpus(&fx);
    click(&mut app, thread_id::TOGGLE);
    click(&mut app, &mailbox::id::folder("Archive"));
    assert!(!mailbox(&app).threads().is_on(), "another folder keeps its flat list");
    assert!(shows(&app, "Archived thing 103"));
    click(&mut app, &mailbox::id::folder("INBOX"));
    assert!(mailbox(&app).threads().is_on());
    assert_eq!(mailbox(&app).threads().count(), 44);

    // The next start opens the Inbox threaded.
    drop(app);
    let app = opened(&fx);
    assert!(mailbox(&app).threads().is_on());
    assert_eq!(heads(&app, 1), [("Re: Trip to Lisbon".into(), 3, 2)]);
    let text = std::fs::read_to_string(tidings_mail::ui_state::path(&fx.profile)).unwrap();
    assert!(text.contains("[threaded]") && text.contains("work = [\"INBOX\"]"), "{text}");

    // Turned off, it stays off.
    let mut app = app;
    click(&mut app, thread_id::TOGGLE);
    let app = opened(&fx);
    assert!(!mailbox(&app).threads().is_on());
}

#[test]
fn a_thread_opens_with_its_triangle_or_right_and_closes_with_left() {
    let fx = fixture();
    let (mut app, _) = opened_with_corpus(&fx);
    click(&mut app, thread_id::TOGGLE);
    let trip = thread_of(&app, "Re: Trip to Lisbon");
    click(&mut app, &thread_id::disclosure(trip));
    let children = mailbox(&app).threads().children(trip).expect("the thread is open").to_vec();
    // Its messages in this folder, oldest first, indented by their place in the
    // conversation (the reply in Sent counts, though it is not listed here).
    let lines: Vec<(u32, usize)> = children.iter().map(|c| (c.row.uid, c.depth)).collect();
    assert_eq!(lines, [(201, 0), (202, 2), (203, 3)]);
    assert!(shows(&app, "Trip to Lisbon"), "{:?}", texts(&app));
    // The triangle again closes it.
    click(&mut app, &thread_id::disclosure(trip));
    assert!(mailbox(&app).threads().children(trip).is_none());
    assert!(!shows(&app, "Trip to Lisbon"));

    // The keys: the first thread, Right opens it, Down walks into it, Left closes it and
    // the selection goes back to the thread.
    key(&mut app, Named::Home);
    assert_eq!(mailbox(&app).threads().selected(), Some(ThreadLine::Thread(trip)));
    key(&mut app, Named::ArrowRight);
    assert_eq!(mailbox(&app).threads().children(trip).map(<[_]>::len), Some(3));
    key(&mut app, Named::ArrowDown);
    key(&mut app, Named::ArrowDown);
    assert_eq!(mailbox(&app).threads().selected(), Some(ThreadLine::Message(trip, 202)));
    // Enter on a message beneath opens it alone, in the reader.
    key(&mut app, Named::Enter);
    assert_eq!(mailbox(&app).reader().opened().map(|o| o.row.uid), Some(202));
    assert!(!mailbox(&app).conversation().is_shown());
    key(&mut app, Named::ArrowLeft);
    assert!(mailbox(&app).threads().children(trip).is_none());
    assert_eq!(mailbox(&app).threads().selected(), Some(ThreadLine::Thread(trip)));
    // A thread of one message has nothing to open.
    key(&mut app, Named::ArrowDown);
    let lunch = thread_of(&app, "Re: Lunch");
    assert_eq!(mailbox(&app).threads().selected(), Some(ThreadLine::Thread(lunch)));
    key(&mut app, Named::ArrowRight);
    assert!(mailbox(&app).threads().children(lunch).is_none());
    // Two replies to a parent never stored: both beneath their thread.
    let budget = thread_of(&app, "Re: Budget");
    click(&mut app, &thread_id::disclosure(budget));
    let uids: Vec<u32> =
        mailbox(&app).threads().children(budget).unwrap().iter().map(|c| c.row.uid).collect();
    assert_eq!(uids, [204, 205]);
}

#[test]
fn enter_on_a_thread_opens_the_conversation_with_the_reply_from_sent() {
    let fx = fixture();
    let (mut app, sent) = opened_with_corpus(&fx);
    click(&mut app, thread_id::TOGGLE);
    key(&mut app, Named::Home);
    key(&mut app, Named::Enter);
    let c = mailbox(&app).conversation();
    assert!(c.is_shown());
    let messages: Vec<(FolderId, u32, bool)> = c.messages().map(|(f, r, open)| (f, r.uid, open)).collect();
    assert_eq!(
        messages,
        [(fx.inbox, 201, false), (sent, 1, false), (fx.inbox, 202, false), (fx.inbox, 203, true)],
        "oldest first, the newest open"
    );
    // The newest's body, from the store; opening it marked it read.
    assert_eq!(body_text(&c.shown_message(3).expect("the newest is shown").body).trim(), NEWEST_BODY);
    assert!(!check_store(&fx).message(fx.inbox, 203).unwrap().unwrap().unread);
    for shown in ["Re: Trip to Lisbon", "4 messages", "Sent", "Work", "Alice Martin", NEWEST_BODY] {
        assert!(shows(&app, shown), "{shown:?} is not shown: {:?}", texts(&app));
    }
    assert!(!shows(&app, REPLY_BODY), "older messages are collapsed");

    // A click on the reply's line opens it: its body was kept.
    click(&mut app, &thread_id::conversation_item(1));
    let c = mailbox(&app).conversation();
    assert_eq!(body_text(&c.shown_message(1).expect("the reply is shown").body).trim(), REPLY_BODY);
    assert!(shows(&app, REPLY_BODY));
    // Alice's question was never downloaded, and there is no password to fetch it with:
    // said in words, in its place.
    click(&mut app, &thread_id::conversation_item(0));
    assert!(
        texts(&app).iter().any(|t| t.starts_with("Cannot show this message: No incoming password is stored")),
        "{:?}",
        texts(&app)
    );
    // Collapsing hides the body again.
    click(&mut app, &thread_id::conversation_item(1));
    assert!(!shows(&app, REPLY_BODY));

    click(&mut app, thread_id::CLOSE_CONVERSATION);
    assert!(!mailbox(&app).conversation().is_shown());
}

#[test]
fn escape_closes_the_conversation_and_its_message_stays_in_the_reader() {
    let fx = fixture();
    let (mut app, _sent) = opened_with_corpus(&fx);
    click(&mut app, &mailbox::id::row(202));
    click(&mut app, thread_id::OPEN_CONVERSATION);
    assert!(mailbox(&app).conversation().is_shown());
    key(&mut app, Named::Escape);
    assert!(!mailbox(&app).conversation().is_shown(), "Escape closes the conversation");
    assert_eq!(mailbox(&app).reader().opened().map(|o| o.row.uid), Some(202));
    assert!(shows(&app, "Open conversation"), "{:?}", texts(&app));
}

#[test]
fn the_readers_button_opens_the_conversation_of_the_message_it_shows() {
    let fx = fixture();
    let (mut app, sent) = opened_with_corpus(&fx);
    // The flat list: the reply from Alice, then "Open conversation".
    click(&mut app, &mailbox::id::row(202));
    assert_eq!(mailbox(&app).reader().opened().map(|o| o.row.uid), Some(202));
    click(&mut app, thread_id::OPEN_CONVERSATION);
    let c = mailbox(&app).conversation();
    let found: Vec<(FolderId, u32)> = c.messages().map(|(f, r, _)| (f, r.uid)).collect();
    assert_eq!(found, [(fx.inbox, 201), (sent, 1), (fx.inbox, 202), (fx.inbox, 203)]);
    // A lookalike is a conversation of its own.
    click(&mut app, &mailbox::id::row(207));
    assert!(!mailbox(&app).conversation().is_shown(), "opening a message leaves the conversation");
    click(&mut app, thread_id::OPEN_CONVERSATION);
    let uids: Vec<u32> = mailbox(&app).conversation().messages().map(|(_, r, _)| r.uid).collect();
    assert_eq!(uids, [207]);
    assert!(shows(&app, "Close conversation"));

    // A search hit opened in the reader takes the conversation's place too.
    press(&mut app, letter("k"), Modifiers::CTRL);
    settle(
        &mut app,
        vec![Message::Mailbox(mailbox::Message::Search(SearchMsg::Changed("from:carol".into())))],
    );
    key(&mut app, Named::Enter);
    assert_eq!(mailbox(&app).reader().opened().map(|o| o.row.uid), Some(204));
    assert!(!shows(&app, "Close conversation"), "{:?}", texts(&app));
    assert!(shows(&app, "Open conversation"));
}

#[test]
fn a_hundred_thousand_messages_in_pairs_build_only_the_threads_in_view() {
    let fx = fixture();
    let mut store = check_store(&fx);
    // Message 2k starts a thread, 2k + 1 answers it: 50,000 threads of two.
    let big: Vec<NewMessage> = (1000..101_000)
        .map(|uid: u32| {
            let mut m = message(uid);
            let start = uid - uid % 2;
            m.summary.message_id = Some(format!("m{uid}@example.test"));
            if uid % 2 == 1 {
                m.summary.in_reply_to = Some(format!("m{start}@example.test"));
            }
            m
        })
        .collect();
    let started = std::time::Instant::now();
    for chunk in big.chunks(10_000) {
        store.insert_messages(fx.archive, 7, chunk).unwrap();
    }
    println!("100k messages stored and threaded in {:?}", started.elapsed());
    drop(store);
    let mut app = opened(&fx);
    click(&mut app, &mailbox::id::folder("Archive"));
    let started = std::time::Instant::now();
    click(&mut app, thread_id::TOGGLE);
    println!("100k messages: threads shown in {:?}", started.elapsed());
    let threads = mailbox(&app).threads();
    assert_eq!(threads.count(), 50_003);
    assert!(threads.summaries().len() <= 300, "only a window of summaries is read");
    // 100,998 is unread (every third is).
    assert_eq!(heads(&app, 1), [(message(100_999).summary.subject.unwrap(), 2, 1)]);

    // The far end: the oldest pair (above the Archive's three older messages), opened with
    // Right; the window follows, still small.
    key(&mut app, Named::End);
    for _ in 0..3 {
        key(&mut app, Named::ArrowUp);
    }
    let Some(ThreadLine::Thread(last)) = mailbox(&app).threads().selected() else {
        panic!("no thread selected")
    };
    key(&mut app, Named::ArrowRight);
    let children = mailbox(&app).threads().children(last).expect("the last thread is open");
    assert_eq!(children.iter().map(|c| (c.row.uid, c.depth)).collect::<Vec<_>>(), [(1000, 0), (1001, 1)]);
    assert!(mailbox(&app).threads().summaries().len() <= 300);
    let rows = texts(&app).iter().filter(|t| t.contains(" #")).count();
    assert!(rows > 10 && rows < 120, "{rows} rows were built");
}

#[test]
fn snapshots_of_an_open_thread_and_a_conversation() {
    let fx = fixture();
    let (mut app, _) = opened_with_corpus(&fx);
    click(&mut app, thread_id::TOGGLE);
    let trip = thread_of(&app, "Re: Trip to Lisbon");
    click(&mut app, &thread_id::disclosure(trip));
    key(&mut app, Named::Home);
    key(&mut app, Named::ArrowDown);
    key(&mut app, Named::Enter);
    let theme = tidings::theme::for_mode(Mode::Light);
    assert_snapshot(&mut window(&app), &theme, "threads-open-light");
    key(&mut app, Named::ArrowUp);
    key(&mut app, Named::Enter);
    click(&mut app, &thread_id::conversation_item(1));
    assert!(shows(&app, REPLY_BODY));
    assert_snapshot(&mut window(&app), &theme, "conversation-light");
    let dark = tidings::theme::for_mode(Mode::Dark);
    assert_snapshot(&mut window(&app), &dark, "conversation-dark");
}

#[test]
fn a_conversation_synced_from_dovecot_threads_and_fetches_its_bodies() {
    let servers = dovecot(5);
    let alice = servers.user("alice");
    for (m, body) in TRIP.iter().zip(["Shall we go in May?", "May it is, then.", NEWEST_BODY]) {
        servers.deliver(alice, &raw(m, body)).unwrap();
    }
    for m in OTHERS {
        servers.deliver(alice, &raw(m, "more")).unwrap();
    }
    // One's own reply, as the composer files it in Sent.
    // Sent may exist already.
    let _ = servers.doveadm(&["mailbox", "create", "-u", &alice.login, "Sent"]);
    save_into(&servers, &alice.login, "Sent", &raw(&REPLY, REPLY_BODY));

    let Live { mut app, worker, dir: _profile, .. } = Live::open(&servers);
    let status = |app: &App| app.passes().status("work").line();
    worker.until(
        &mut app,
        Duration::from_secs(60),
        "finished check",
        |app| status(app).starts_with("Checked ") && mailbox(app).list().counts().total == 12,
        |app| format!("{}; {} messages", status(app), mailbox(app).list().counts().total),
    );

    click(&mut app, thread_id::TOGGLE);
    // The generated messages (two of them a reply and its parent) and the corpus: the
    // conversation's three, the budget pair joined by their missing parent, the lookalikes
    // apart. Delivered messages are unread.
    let corpus: Vec<(String, u32, u32)> =
        heads(&app, 9).into_iter().filter(|(subject, ..)| !subject.contains('#')).collect();
    let want = [("Re: Trip to Lisbon", 3, 3), ("Re: Lunch", 1, 1), ("Lunch", 1, 1), ("Re: Budget", 2, 2)];
    assert_eq!(corpus, want.map(|(s, n, u)| (s.to_string(), n, u)), "{:?}", heads(&app, 9));
    let trip = thread_of(&app, "Re: Trip to Lisbon");

    // The conversation: bodies come from the server (none were downloaded), the reply from
    // Sent among them.
    let at = summaries(&app).iter().position(|s| s.thread == trip).unwrap();
    key(&mut app, Named::Home);
    for _ in 0..at {
        key(&mut app, Named::ArrowDown);
    }
    key(&mut app, Named::Enter);
    let c = mailbox(&app).conversation();
    let subjects: Vec<String> =
        c.messages().map(|(_, r, _)| r.summary.from_name.clone().unwrap_or_default()).collect();
    assert_eq!(subjects, ["Alice Martin", "Work", "Alice Martin", "Bob Stone"]);
    let shown = c.shown_message(3).unwrap_or_else(|| panic!("not fetched: {:?}", texts(&app)));
    assert_eq!(body_text(&shown.body).trim(), NEWEST_BODY);
    click(&mut app, &thread_id::conversation_item(1));
    let reply = mailbox(&app).conversation().shown_message(1).map(|m| body_text(&m.body));
    assert_eq!(reply.as_deref().map(str::trim), Some(REPLY_BODY));
}

/// Files `raw` into `folder` of `login`'s mailbox, server-side (as another client would).
fn save_into(servers: &tidings_testkit::MailServers, login: &str, folder: &str, raw: &[u8]) {
    use std::io::Write;
    let mut child = std::process::Command::new("doveadm")
        .arg("-c")
        .arg(servers.dovecot_conf())
        .args(["save", "-u", login, "-m", folder])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("doveadm (from the testkit's Dovecot) could not be started");
    child.stdin.take().unwrap().write_all(raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "doveadm save failed: {}", String::from_utf8_lossy(&out.stderr));
}
