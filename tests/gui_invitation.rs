//! Headless UI flows (iced_test) for the invitation card in the reader: what it shows for
//! the invitations Exchange, Google Calendar and Thunderbird send (times in the person's zone,
//! pinned here through the mailbox's viewer), a cancellation, a long list of attendees, an
//! Outlook-on-the-web link with the administrator's command, an unreadable calendar part;
//! Accept queues a REPLY in the Outbox and the card says "You accepted", after a restart
//! too; "Save as .ics" writes the event; snapshots of the card, light and dark.
//!
//! The folder picker is the desktop's portal: the flows click "Save as .ics", check what the
//! button asks for, and answer as the picker would (`Msg::Picked`).
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_invitation`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::path::PathBuf;

use iced::theme::Mode;
use iced::widget::container;
use iced::{Length, Task};
use iced_test::Simulator;
use iced_test::selector::id;

use tidings::app::Message;
use tidings::screen::mailbox::{self, InvitationMsg, Mailbox, Setup, invitation_id};
use tidings::widget::status::Status;
use tidings_mail::calendar::{self, Answer, Method, Partstat, Viewer};
use tidings_mail::options::BodyFormat;
use tidings_mail::store::{Flags, FolderInfo, NewMessage, Role, Store, Summary};
use tidings_testkit::generate::{CalendarShape, Invite, invitation_ics, invitation_message};

use common::run;
use gui_mailbox_helpers::fixture;

const WORK: &str = "work@example.test";
const BOB: &str = "bob@example.test";

/// Bob invites the "work" account's address (a first version: SEQUENCE 0).
fn invite() -> Invite {
    Invite { sequence: 0, ..Invite::new(BOB, WORK) }
}

/// A message carrying `ics` as its calendar part (method from the text).
fn calendar_message(subject: &str, method: &str, ics: &str) -> Vec<u8> {
    format!(
        "From: Bob Builder <{BOB}>\r\nTo: {WORK}\r\nSubject: {subject}\r\n\
         Date: Mon, 01 Jun 2026 10:00:00 +0200\r\nMessage-ID: <{subject}@example.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe body still shows.\r\n\
         --b\r\nContent-Type: text/calendar; charset=utf-8; method={method}\r\n\r\n{ics}\r\n--b--\r\n"
    )
    .into_bytes()
}

/// The Exchange invitation cancelled (METHOD:CANCEL, a higher SEQUENCE).
fn cancellation() -> Vec<u8> {
    let mut inv = invite();
    inv.sequence = 2;
    let ics = invitation_ics(CalendarShape::Exchange, &inv)
        .replace("METHOD:REQUEST", "METHOD:CANCEL")
        .replace("STATUS:CONFIRMED", "STATUS:CANCELLED");
    calendar_message("cancelled", "CANCEL", &ics)
}

/// Google's invitation to 40 people.
fn crowded() -> Vec<u8> {
    let ics = invitation_ics(CalendarShape::Google, &invite());
    let many: String = (1..=40)
        .map(|n| format!("ATTENDEE;PARTSTAT=ACCEPTED;CN=Guest {n}:mailto:guest{n}@example.test\r\n"))
        .collect();
    let ics = ics.replacen("X-GOOGLE-CONFERENCE", &format!("{many}X-GOOGLE-CONFERENCE"), 1);
    calendar_message("crowded", "REQUEST", &ics)
}

struct Fixture {
    _dir: tempfile::TempDir,
    store_path: PathBuf,
}

fn fixture(bodies: &[(u32, Vec<u8>)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("data/mail.sqlite3");
    std::fs::create_dir_all(store_path.parent().unwrap()).unwrap();
    let mut store = Store::open(&store_path).unwrap();
    let account = store.account("work").unwrap();
    let info = FolderInfo {
        name: "INBOX".into(),
        delimiter: Some("/".into()),
        role: Some(Role::Inbox),
        subscribed: true,
        selectable: true,
    };
    let folder = store.replace_folders(account, &[info]).unwrap()[0].id;
    store.begin_folder(folder, 7).unwrap();
    store
        .insert_messages(folder, 7, &bodies.iter().map(|(uid, raw)| row(*uid, raw)).collect::<Vec<_>>())
        .unwrap();
    for (uid, raw) in bodies {
        store.save_body(folder, 7, *uid, raw).unwrap();
    }
    Fixture { _dir: dir, store_path }
}

fn row(uid: u32, raw: &[u8]) -> NewMessage {
    NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(vec!["\\Seen"]),
        size: raw.len() as u32,
        internal_date: Some(1_780_300_000 + i64::from(uid)),
        summary: tidings_mail::sync::headers::summary(raw).unwrap_or_else(|_| Summary::default()),
        parse_error: None,
    }
}

/// Feeds messages to the mailbox, running the tasks they start; returns the other actions.
fn settle(mb: &mut Mailbox, mut pending: Vec<mailbox::Message>) -> Vec<mailbox::Action> {
    let mut other = Vec::new();
    while !pending.is_empty() {
        let mut tasks: Vec<Task<mailbox::Message>> = Vec::new();
        for m in pending.drain(..) {
            match mb.update(m) {
                mailbox::Action::Run(task) => tasks.push(task),
                mailbox::Action::None => {}
                action => other.push(action),
            }
        }
        pending = tasks.into_iter().flat_map(run).collect();
    }
    other
}

/// The mailbox on the fixture's store, reading invitations in Eastern time (New York is
/// six hours behind Berlin in June) for the "work" account's address.
fn open(fx: &Fixture) -> Mailbox {
    let mut setup = Setup::store_only("work", "Work", fx.store_path.clone());
    setup.viewer = Some(Viewer::new("America/New_York".parse().unwrap(), [WORK]));
    let (mut mb, task) = Mailbox::new(setup);
    let first = run(task);
    settle(&mut mb, first);
    mb
}

fn show(mb: &mut Mailbox, uid: u32) {
    let index = mb.list().rows().iter().position(|r| r.uid == uid).expect("the message is listed");
    settle(mb, vec![mailbox::Message::Click(index, uid)]);
    assert!(mb.reader().shown().is_some(), "message {uid} is shown");
}

fn ui_sized(mb: &Mailbox, mode: Mode, size: (f32, f32)) -> Simulator<'_, Message> {
    let theme = tidings::theme::for_mode(mode);
    Simulator::with_size(
        iced_test::core::Settings::default(),
        size,
        container(mb.view(&theme, &Status::default()).map(Message::Mailbox))
            .width(Length::Fill)
            .height(Length::Fill)
            .style(tidings::theme::container::page),
    )
}

fn ui(mb: &Mailbox) -> Simulator<'_, Message> {
    ui_sized(mb, Mode::Light, (1280.0, 1000.0))
}

/// What clicking the widget asks of the mailbox (not run).
fn clicked(mb: &Mailbox, widget: &str) -> Vec<mailbox::Message> {
    let mut ui = ui(mb);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    ui.into_messages()
        .map(|m| match m {
            Message::Mailbox(m) => m,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn texts(mb: &Mailbox) -> Vec<String> {
    common::texts(ui(mb))
}

fn assert_shows(mb: &Mailbox, wanted: &[&str]) {
    let shown = texts(mb);
    for w in wanted {
        assert!(shown.iter().any(|t| t == w), "\"{w}\" is not shown: {shown:?}");
    }
}

fn has(mb: &Mailbox, widget: &str) -> bool {
    ui(mb).find(id(widget.to_string())).is_ok()
}

#[test]
fn the_card_shows_each_programs_invitation_in_the_persons_zone() {
    let shapes = [CalendarShape::Exchange, CalendarShape::Google, CalendarShape::Thunderbird];
    let bodies: Vec<(u32, Vec<u8>)> =
        shapes.iter().enumerate().map(|(i, s)| (i as u32 + 1, invitation_message(*s, &invite()))).collect();
    let fx = fixture(&bodies);
    let mut mb = open(&fx);
    for (uid, shape) in (1..).zip(shapes) {
        show(&mut mb, uid);
        let cards = &mb.reader().shown().unwrap().invitations.cards;
        // Google and Thunderbird send the calendar twice (inline and invite.ics): one card.
        assert_eq!(cards.len(), 1, "{shape:?}: {cards:?}");
        // 09:00 in Berlin is 03:00 in New York.
        assert_shows(
            &mb,
            &[
                "Invitation",
                "Quarterly planning",
                "Monday 15 June 2026, 03:00–04:00",
                "Room 4.12",
                "You have not answered yet.",
                "Accept",
                "Tentative",
                "Decline",
                "Save as .ics",
            ],
        );
        match shape {
            // Google names people by their address, and lists the organizer as accepted.
            CalendarShape::Google => assert_shows(
                &mb,
                &[BOB, "bob@example.test · accepted", "work@example.test · not answered yet"],
            ),
            _ => assert_shows(&mb, &["Bob Builder <bob@example.test>", "Alice Example · not answered yet"]),
        }
        if shape != CalendarShape::Google {
            assert_shows(&mb, &["every weekday until 22 July 2026"]);
        }
        assert!(has(&mb, &invitation_id::answer(0, Answer::Accept)));
        assert!(has(&mb, invitation_id::COMMENT));
        // The body shows under the card.
        let body = &mb.reader().shown().unwrap().body;
        assert!(!matches!(body, mailbox::Body::Empty), "{shape:?}: {body:?}");
    }
}

#[test]
fn a_cancellation_says_cancelled_and_offers_no_answer() {
    let fx = fixture(&[(1, cancellation())]);
    let mut mb = open(&fx);
    show(&mut mb, 1);
    assert_shows(&mb, &["Cancelled", "Quarterly planning", "Save as .ics"]);
    for answer in [Answer::Accept, Answer::Tentative, Answer::Decline] {
        assert!(!has(&mb, &invitation_id::answer(0, answer)), "{answer:?} is offered");
    }
    assert!(!has(&mb, invitation_id::COMMENT));
    assert!(!texts(&mb).iter().any(|t| t == "You have not answered yet."));
}

#[test]
fn a_long_list_of_attendees_is_collapsed_until_asked() {
    let fx = fixture(&[(1, crowded())]);
    let mut mb = open(&fx);
    show(&mut mb, 1);
    // Bob, Alice and 40 guests: six listed.
    assert_shows(&mb, &["and 36 more", "Guest 4 · accepted"]);
    assert!(!texts(&mb).iter().any(|t| t == "Guest 5 · accepted"));
    let messages = clicked(&mb, &invitation_id::more_attendees(0));
    settle(&mut mb, messages);
    assert_shows(&mb, &["Guest 5 · accepted", "Guest 40 · accepted"]);
    assert!(!texts(&mb).iter().any(|t| t.starts_with("and ") && t.ends_with(" more")));
}

#[test]
fn an_unreadable_invitation_is_a_small_error_card_and_the_message_still_shows() {
    let broken = calendar_message("broken", "REQUEST", "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR");
    let fx = fixture(&[(1, broken)]);
    let mut mb = open(&fx);
    show(&mut mb, 1);
    let shown = texts(&mb);
    assert!(shown.iter().any(|t| t.starts_with("Cannot read the invitation: ")), "{shown:?}");
    assert_shows(&mb, &["The body still shows."]);
    assert!(!has(&mb, &invitation_id::answer(0, Answer::Accept)));
}

#[test]
fn an_outlook_on_the_web_link_explains_what_the_administrator_can_change() {
    let fx = fixture(&[(1, invitation_message(CalendarShape::OutlookWebLink, &invite()))]);
    let mut mb = open(&fx);
    show(&mut mb, 1);
    let shown = texts(&mb);
    assert_shows(&mb, &["Meeting request (Outlook on the web)", "Copy", "Open in Outlook on the web"]);
    assert!(
        shown
            .iter()
            .any(|t| t.starts_with("Your mailbox delivers meeting requests as links to Outlook on the web")),
        "{shown:?}"
    );
    // The command, selectable (a read-only editor), and copied by "Copy".
    let command = format!(
        "Set-CASMailbox -Identity {WORK} -ImapUseProtocolDefaults $false -ImapForceICalForCalendarRetrievalOption $true"
    );
    assert!(ui(&mb).find(id(invitation_id::COMMAND)).is_ok());
    assert_eq!(mb.reader().outlook_command().as_deref(), Some(command.as_str()));
    let messages = clicked(&mb, invitation_id::COPY_COMMAND);
    settle(&mut mb, messages);
    assert_eq!(mb.notice(), Some("Copied the command"));
    // Typing into it changes nothing.
    let mut typing = ui(&mb);
    typing.click(id(invitation_id::COMMAND)).unwrap();
    let _ = typing.typewrite("oops");
    let typed: Vec<_> = typing
        .into_messages()
        .filter_map(|m| match m {
            Message::Mailbox(m) => Some(m),
            _ => None,
        })
        .collect();
    settle(&mut mb, typed);
    assert_eq!(mb.reader().outlook_command().as_deref(), Some(command.as_str()));
    // "Open in Outlook on the web" shows where the link goes first, like any link.
    let messages = clicked(&mb, invitation_id::OPEN_OUTLOOK);
    settle(&mut mb, messages);
    assert!(mb.reader().content().link.as_deref().is_some_and(|l| l.contains("/owa/?ItemID=")));
}

#[test]
fn save_as_ics_writes_the_event_to_the_chosen_folder() {
    let fx = fixture(&[(1, invitation_message(CalendarShape::Exchange, &invite()))]);
    let mut mb = open(&fx);
    show(&mut mb, 1);
    let asked = clicked(&mb, &invitation_id::save_ics(0));
    assert!(matches!(&asked[..], [mailbox::Message::Invitation(InvitationMsg::SaveIcs(0))]), "{asked:?}");
    let dir = tempfile::tempdir().unwrap();
    settle(&mut mb, vec![mailbox::Message::Invitation(InvitationMsg::Picked(0, Some(dir.path().into())))]);
    let file = dir.path().join("Quarterly planning.ics");
    let written = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(
        written.starts_with("BEGIN:VCALENDAR\r\n") && written.ends_with("END:VCALENDAR\r\n"),
        "{written}"
    );
    assert!(written.contains("UID:testkit-invite-1@example.test\r\n"));
    assert_eq!(
        mb.notice().map(|n| n.starts_with("Saved Quarterly planning.ics in ")),
        Some(true),
        "{:?}",
        mb.notice()
    );
    // Cancelled by the picker: nothing more.
    settle(&mut mb, vec![mailbox::Message::Invitation(InvitationMsg::Picked(0, None))]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn the_invitation_card_light_and_dark() {
    let fx = fixture(&[(1, invitation_message(CalendarShape::Exchange, &invite()))]);
    let mut mb = open(&fx);
    show(&mut mb, 1);
    for mode in [Mode::Light, Mode::Dark] {
        let theme = tidings::theme::for_mode(mode);
        let name = if mode == Mode::Dark { "invitation-card-dark" } else { "invitation-card-light" };
        let mut ui = ui_sized(&mb, mode, (1024.0, 768.0));
        common::assert_snapshot(&mut ui, &theme, name);
    }
}

/// A store-only mailbox has no account to answer from: it says so, nothing is queued.
#[test]
fn a_mailbox_without_an_account_cannot_answer() {
    let fx = fixture(&[(1, invitation_message(CalendarShape::Exchange, &invite()))]);
    let mut mb = open(&fx);
    show(&mut mb, 1);
    let messages = clicked(&mb, &invitation_id::answer(0, Answer::Accept));
    settle(&mut mb, messages);
    assert!(mb.notice().is_some_and(|n| n.contains("no account to send from")), "{:?}", mb.notice());
    assert!(Store::open(&fx.store_path).unwrap().outbox_list(None).unwrap().is_empty());
}

/// The "work" account's INBOX of the mailbox fixture, with bob's invitation as message 41.
const INVITATION: u32 = 41;

fn app_fixture(raw: &[u8]) -> fixture::Fixture {
    let fx = fixture::fixture();
    let mut store = fixture::check_store(&fx);
    store.insert_messages(fx.inbox, 7, &[row(INVITATION, raw)]).unwrap();
    store.save_body(fx.inbox, 7, INVITATION, raw).unwrap();
    fx
}

fn open_invitation(app: &mut tidings::app::App) {
    fixture::click(app, &mailbox::id::row(INVITATION));
    assert!(fixture::mailbox(app).reader().shown().is_some(), "the invitation is shown");
}

/// The REPLY waiting in the Outbox, its calendar part read.
fn queued_reply(store: &Store) -> (tidings_mail::outbox::OutboxItem, calendar::Invitation, Vec<u8>) {
    let items = store.outbox_list(Some("work")).unwrap();
    let [item] = &items[..] else { panic!("one message in the Outbox: {items:?}") };
    let raw = store.outbox_raw(item.id).unwrap().unwrap();
    let display = tidings_mail::message::render(&raw, BodyFormat::Best);
    let [part] = &display.calendar[..] else { panic!("one calendar part: {:?}", display.calendar) };
    let reply =
        calendar::parse(&part.text, part.method.as_deref(), &Viewer::new("UTC".parse().unwrap(), [BOB]))
            .unwrap();
    (item.clone(), reply, raw)
}

#[test]
fn accept_queues_a_reply_and_the_card_remembers_it_after_a_restart() {
    let mut inv = invite();
    inv.sequence = 3;
    let fx = app_fixture(&invitation_message(CalendarShape::Exchange, &inv));
    let mut app = fixture::opened(&fx);
    open_invitation(&mut app);
    // SEQUENCE 3: a version sent again.
    assert!(fixture::shows(&app, "Updated invitation"));

    // A comment, then Accept.
    let mut ui = fixture::window(&app);
    ui.click(id(invitation_id::COMMENT)).unwrap();
    let _ = ui.typewrite("See you there");
    let typed: Vec<_> = ui.into_messages().collect();
    common::settle(&mut app, typed);
    fixture::click(&mut app, &invitation_id::answer(0, Answer::Accept));

    let store = fixture::check_store(&fx);
    let (item, reply, raw) = queued_reply(&store);
    assert_eq!(item.recipients, [BOB]);
    assert_eq!(item.subject.as_deref(), Some("Accepted: Quarterly planning"));
    assert_eq!(reply.method, Method::Reply);
    assert_eq!(reply.uid.as_deref(), Some("testkit-invite-1@example.test"));
    assert_eq!(reply.sequence, 3);
    assert_eq!(reply.comment.as_deref(), Some("See you there"));
    let [me] = &reply.attendees[..] else { panic!("only the person's own line: {:?}", reply.attendees) };
    assert_eq!((me.address.as_deref(), me.partstat), (Some(WORK), Partstat::Accepted));
    let headers = mail_parser::MessageParser::new().parse(&raw).unwrap();
    assert_eq!(headers.in_reply_to().as_text(), Some("testkit.calendar.exchange@example.test"));

    // The card says so at once; answering again is allowed.
    assert!(fixture::shows(&app, "You accepted"), "{:?}", fixture::texts(&app));
    assert!(fixture::shows(&app, "You accepted."));
    assert!(fixture::mailbox(&app).notice().is_some_and(|n| n.contains("Outbox")));

    // Reopened, and in a new App on the same profile (a restart): still "You accepted".
    fixture::click(&mut app, &mailbox::id::row(fixture::PLAIN));
    open_invitation(&mut app);
    assert!(fixture::shows(&app, "You accepted"));
    drop(app);
    let mut again = fixture::opened(&fx);
    open_invitation(&mut again);
    assert!(fixture::shows(&again, "You accepted"), "{:?}", fixture::texts(&again));

    // Changing one's mind: Decline, a second REPLY; the card follows.
    fixture::click(&mut again, &invitation_id::answer(0, Answer::Decline));
    assert!(fixture::shows(&again, "You declined"));
    let items = store.outbox_list(Some("work")).unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[1].subject.as_deref(), Some("Declined: Quarterly planning"));
}

/// The `n`th REPLY in the Outbox, its calendar part read.
fn nth_reply(store: &Store, n: usize) -> (tidings_mail::outbox::OutboxItem, calendar::Invitation) {
    let items = store.outbox_list(Some("work")).unwrap();
    let item = items.get(n).unwrap_or_else(|| panic!("no message {n} in the Outbox: {items:?}"));
    let raw = store.outbox_raw(item.id).unwrap().unwrap();
    let display = tidings_mail::message::render(&raw, BodyFormat::Best);
    let [part] = &display.calendar[..] else { panic!("one calendar part: {:?}", display.calendar) };
    let reply =
        calendar::parse(&part.text, part.method.as_deref(), &Viewer::new("UTC".parse().unwrap(), [BOB]))
            .unwrap();
    (item.clone(), reply)
}

/// A recurring invitation: "Only this occurrence" starts at the series' first; checked, the
/// answer's REPLY names the occurrence (RECURRENCE-ID) and the card keeps the series
/// unanswered; unchecked, the answer is for the whole series again.
#[test]
fn only_this_occurrence_puts_its_recurrence_id_in_the_reply() {
    let fx = app_fixture(&invitation_message(CalendarShape::Exchange, &invite()));
    let mut app = fixture::opened(&fx);
    open_invitation(&mut app);
    assert!(fixture::shows(&app, "Otherwise the answer is for the whole series."));
    let state = |app: &tidings::app::App| fixture::mailbox(app).reader().content().invitation.clone();
    assert!(!state(&app).only_occurrence);

    // Checked: the series' first occurrence (15 June, 09:00 in Berlin), as the card has it.
    fixture::click(&mut app, invitation_id::ONLY_OCCURRENCE);
    let first = state(&app);
    assert!(first.only_occurrence);
    let start = fixture::mailbox(&app).reader().shown().unwrap().invitations.cards[0]
        .read
        .as_ref()
        .unwrap()
        .start
        .clone()
        .unwrap();
    assert_eq!(first.occurrence, start);
    assert!(has_widget(&app, invitation_id::OCCURRENCE));
    fixture::click(&mut app, &invitation_id::answer(0, Answer::Accept));
    let store = fixture::check_store(&fx);
    let (item, reply) = nth_reply(&store, 0);
    assert_eq!(item.subject.as_deref(), Some("Accepted: Quarterly planning"));
    assert_eq!(reply.occurrence_key().as_deref(), Some("20260615T070000Z"));
    let [me] = &reply.attendees[..] else { panic!("only the person's own line: {:?}", reply.attendees) };
    assert_eq!((me.address.as_deref(), me.partstat), (Some(WORK), Partstat::Accepted));
    // The series is not answered by that.
    assert!(fixture::mailbox(&app).notice().is_some_and(|n| n.contains("this occurrence")));
    assert!(fixture::shows(&app, "You have not answered yet."), "{:?}", fixture::texts(&app));

    // Another day typed in (as Berlin writes it), then Tentative.
    let mut ui = fixture::window(&app);
    ui.click(id(invitation_id::OCCURRENCE)).unwrap();
    let _ = ui.into_messages();
    let typed = vec![Message::Mailbox(mailbox::Message::Invitation(InvitationMsg::Occurrence(
        "2026-06-17T09:00:00+02:00".to_string(),
    )))];
    common::settle(&mut app, typed);
    fixture::click(&mut app, &invitation_id::answer(0, Answer::Tentative));
    let (_, reply) = nth_reply(&store, 1);
    assert_eq!(reply.occurrence_key().as_deref(), Some("20260617T070000Z"));
    assert_eq!(reply.attendees[0].partstat, Partstat::Tentative);

    // A start that is not one is refused, nothing queued.
    let typed = vec![Message::Mailbox(mailbox::Message::Invitation(InvitationMsg::Occurrence(
        "Wednesday".to_string(),
    )))];
    common::settle(&mut app, typed);
    fixture::click(&mut app, &invitation_id::answer(0, Answer::Decline));
    assert!(
        fixture::mailbox(&app)
            .notice()
            .is_some_and(|n| n.to_lowercase().contains("cannot read the occurrence"))
    );
    assert_eq!(store.outbox_list(Some("work")).unwrap().len(), 2);

    // Unchecked: the whole series, no RECURRENCE-ID; the card follows.
    fixture::click(&mut app, invitation_id::ONLY_OCCURRENCE);
    fixture::click(&mut app, &invitation_id::answer(0, Answer::Decline));
    let (_, reply) = nth_reply(&store, 2);
    assert_eq!(reply.recurrence_id, None);
    assert!(fixture::shows(&app, "You declined"), "{:?}", fixture::texts(&app));
}

fn has_widget(app: &tidings::app::App, widget: &str) -> bool {
    fixture::window(app).find(id(widget.to_string())).is_ok()
}

/// Every message file of `user`'s INBOX, as bytes.
fn maildir_inbox(s: &tidings_testkit::MailServers, user: &tidings_testkit::User) -> Vec<Vec<u8>> {
    let base = s.maildir(user);
    ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(base.join(sub)).ok())
        .flat_map(|entries| entries.flatten().map(|e| std::fs::read(e.path()).unwrap()))
        .collect()
}

/// Bob's invitation reaches alice's INBOX on real Dovecot; her mailbox gets it, she accepts
/// in the window; the answer goes through the Outbox and Postfix; bob's INBOX has the REPLY
/// with her PARTSTAT ACCEPTED and the invitation's UID and SEQUENCE.
#[test]
fn alice_accepts_in_the_window_and_bob_receives_the_reply_through_postfix() {
    use std::time::{Duration, Instant};
    use tidings::app::App;
    use tidings::passes;
    use tidings_mail::account::{Account, AuthMethod, Incoming, SecretRole, Security, Server, Trust};
    use tidings_mail::config::Config;
    use tidings_mail::profile::Profile;
    use tidings_mail::secret::Secrets;

    let s = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let mut inv = Invite::new(&bob.email, &alice.email);
    inv.sequence = 2;
    inv.summary = "Planning in the window".into();
    s.deliver(alice, &invitation_message(CalendarShape::Exchange, &inv)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let server = |port, security| Server {
        host: s.host().into(),
        port,
        security,
        user: alice.login.clone(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
    };
    let account = Account::new(
        "work".into(),
        "Work".into(),
        alice.email.clone(),
        Incoming::Imap,
        server(s.imaps_port(), Security::Implicit),
        server(s.submission_port(), Security::StartTls),
    );
    let mut config = Config::default();
    config.add_account(account).unwrap();
    let account = config.account("work").unwrap().clone();
    let secrets = Secrets::in_memory();
    secrets.set("work", SecretRole::Incoming, &alice.password).unwrap();
    secrets.set("work", SecretRole::Outgoing, &alice.password).unwrap();
    let key = passes::Key::for_account(&profile, &account, secrets.clone()).without_notifications();
    let store_path = profile.store_path();
    let mut app = App::with_config(profile, secrets, config);
    fixture::click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
    let worker = gui_mailbox_helpers::Worker::start(key);
    let status = |app: &App| app.passes().status("work").line();
    let listed = |app: &App| fixture::mailbox(app).list().counts().total >= 1;
    worker.until(&mut app, Duration::from_secs(60), "the invitation", listed, status);

    // Opened (the body comes from the server), then Accept.
    let uid = fixture::mailbox(&app).list().rows()[0].uid;
    fixture::click(&mut app, &mailbox::id::row(uid));
    let shown = fixture::mailbox(&app).reader().shown().expect("the invitation is shown");
    assert_eq!(shown.invitations.cards.len(), 1, "{:?}", shown.invitations);
    assert!(fixture::shows(&app, "Updated invitation"), "{:?}", fixture::texts(&app));
    let bob_before = s.message_count(bob, "INBOX").unwrap_or(0);
    fixture::click(&mut app, &invitation_id::answer(0, Answer::Accept));
    assert!(fixture::shows(&app, "You accepted"));

    // The account's task was asked to run: it empties the Outbox.
    let outbox_empty = move |_: &App| Store::open(&store_path).unwrap().outbox_list(None).unwrap().is_empty();
    worker.until(&mut app, Duration::from_secs(60), "the answer sent", outbox_empty, status);

    // Bob's INBOX gets the REPLY through Postfix.
    let deadline = Instant::now() + Duration::from_secs(30);
    let reply = loop {
        let found = maildir_inbox(&s, bob).into_iter().find(|raw| {
            let m = mail_parser::MessageParser::new().parse(raw);
            m.and_then(|m| m.subject().map(|s| s == "Accepted: Planning in the window")).unwrap_or(false)
        });
        if let Some(raw) = found {
            break raw;
        }
        assert!(Instant::now() < deadline, "the REPLY did not reach bob ({bob_before} messages before)");
        std::thread::sleep(Duration::from_millis(50));
    };
    let display = tidings_mail::message::render(&reply, BodyFormat::Best);
    let [part] = &display.calendar[..] else { panic!("one calendar part: {:?}", display.calendar) };
    let read = calendar::parse(
        &part.text,
        part.method.as_deref(),
        &Viewer::new("UTC".parse().unwrap(), [&bob.email]),
    )
    .unwrap();
    assert_eq!(read.method, Method::Reply);
    assert_eq!(read.uid.as_deref(), Some(inv.uid.as_str()));
    assert_eq!(read.sequence, 2);
    let [me] = &read.attendees[..] else { panic!("{:?}", read.attendees) };
    assert_eq!(me.address.as_deref(), Some(alice.email.as_str()));
    assert_eq!(me.partstat, Partstat::Accepted);
}
