//! Headless UI flows (iced_test) for read receipts in the reader: the account's policy
//! (never, ask, always) on a message that asks for one; Send receipt and Ignore; RFC 8098
//! §2.1's cases that ask even under "always"; a message already answered (`$MDNSent`); an
//! incoming receipt's card; a sent message's list of receipts; snapshots of the bar and the
//! card. Then against the testkit's real Dovecot and Postfix: alice sends a receipt from the
//! window over IMAP and bob gets exactly one, a second profile on the same account sends none;
//! a POP3 account under "always" sends exactly one.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_receipts`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::{Duration, Instant};

use iced::theme::Mode;
use iced_test::Simulator;

use tidings::app::{App, Message};
use tidings::passes;
use tidings::screen::accounts;
use tidings::screen::mailbox::{self, receipt_id};
use tidings_mail::account::{Account, AuthMethod, Incoming, SecretRole, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::mdn::{self, Receipt};
use tidings_mail::options::ReceiptPolicy;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Flags, NewMessage, ServerOp, Store, Summary};
use tidings_testkit::{MailServers, User};

use gui_mailbox_helpers::{Worker, fixture};

const BOB: &str = "bob@example.test";
const WORK: &str = "work@example.test";
/// The first message of ours in the fixture's INBOX (its own end at 40).
const ASKING: u32 = 41;

/// Bob's message to `to`, asking for a receipt at `notify`; `extra` header lines first.
fn asking(subject: &str, to: &str, notify: &str, extra: &str) -> Vec<u8> {
    format!(
        "{extra}Return-Path: <{BOB}>\r\nFrom: Bob Stone <{BOB}>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Date: Sun, 6 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{}@example.test>\r\n\
         Disposition-Notification-To: Bob Stone <{notify}>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nDid you read this?\r\n",
        subject.replace(' ', ".")
    )
    .into_bytes()
}

fn row(uid: u32, raw: &[u8], flags: &[&str]) -> NewMessage {
    NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(flags.to_vec()),
        size: raw.len() as u32,
        internal_date: Some(1_796_000_000 + i64::from(uid)),
        summary: tidings_mail::sync::headers::summary(raw).unwrap_or_else(|_| Summary::default()),
        parse_error: None,
    }
}

/// The mailbox fixture with `messages` (UID, raw, flags) added to its INBOX, bodies kept.
fn fixture_with(messages: &[(u32, Vec<u8>, &[&str])]) -> fixture::Fixture {
    let fx = fixture::fixture();
    let mut store = fixture::check_store(&fx);
    let rows: Vec<NewMessage> = messages.iter().map(|(uid, raw, flags)| row(*uid, raw, flags)).collect();
    store.insert_messages(fx.inbox, 7, &rows).unwrap();
    for (uid, raw, _) in messages {
        store.save_body(fx.inbox, 7, *uid, raw).unwrap();
    }
    fx
}

/// The app on the fixture, the "work" account reading under `policy`, its mailbox open.
fn opened(fx: &fixture::Fixture, policy: ReceiptPolicy) -> App {
    let mut account = fixture::account_for("127.0.0.1", 1, "work", None);
    account.options.read_receipts = policy;
    let mut config = Config::default();
    config.add_account(account).unwrap();
    let mut app = App::with_config(fx.profile.clone(), Secrets::in_memory(), config);
    fixture::click(&mut app, &accounts::open_mailbox_id("work"));
    app
}

fn open(app: &mut App, uid: u32) {
    fixture::click(app, &mailbox::id::row(uid));
    assert!(fixture::mailbox(app).reader().shown().is_some(), "message {uid} is shown");
}

/// Another message, then `uid` again.
fn reopen(app: &mut App, uid: u32) {
    open(app, fixture::PLAIN);
    open(app, uid);
}

fn outbox(fx: &fixture::Fixture) -> Vec<Vec<u8>> {
    let store = fixture::check_store(fx);
    let items = store.outbox_list(Some("work")).unwrap();
    items.iter().map(|i| store.outbox_raw(i.id).unwrap().unwrap()).collect()
}

fn answered(fx: &fixture::Fixture, uid: u32) -> bool {
    let row = fixture::check_store(fx).message(fx.inbox, uid).unwrap().unwrap();
    mdn::already_answered(&row.flags)
}

/// `$MDNSent` on `uid` waits in the store's queue for the server.
fn keyword_queued(fx: &fixture::Fixture, uid: u32) -> bool {
    let pending = fixture::check_store(fx).pending_actions(fx.account).unwrap();
    pending.iter().any(|p| {
        matches!(&p.op, ServerOp::Flags { flag, add: true, uids, .. } if flag == mdn::MDN_SENT && uids.contains(&uid))
    })
}

fn has_bar(app: &App) -> bool {
    fixture::window(app).find(iced_test::selector::id(receipt_id::SEND)).is_ok()
}

const ASKED: &str = "Bob Stone asked to be told when you read this";

#[test]
fn never_shows_nothing_and_sends_nothing() {
    let fx = fixture_with(&[(ASKING, asking("lunch", WORK, BOB, ""), &[])]);
    let mut app = opened(&fx, ReceiptPolicy::Never);
    open(&mut app, ASKING);
    assert!(fixture::shows(&app, "Did you read this?"));
    assert!(!fixture::shows(&app, ASKED));
    assert!(!has_bar(&app));
    assert!(outbox(&fx).is_empty());
    assert!(!answered(&fx, ASKING) && !keyword_queued(&fx, ASKING));
}

#[test]
fn ask_shows_the_bar_and_send_receipt_queues_exactly_one() {
    let fx = fixture_with(&[(ASKING, asking("lunch", WORK, BOB, ""), &[])]);
    let mut app = opened(&fx, ReceiptPolicy::Ask);
    open(&mut app, ASKING);
    assert!(fixture::shows(&app, ASKED), "{:?}", fixture::texts(&app));
    assert!(fixture::shows(&app, "Send receipt") && fixture::shows(&app, "Ignore"));
    // Only the policy asks: no note.
    assert!(!fixture::texts(&app).iter().any(|t| t.starts_with("Note: ")));
    assert!(outbox(&fx).is_empty(), "nothing before the click");

    fixture::click(&mut app, receipt_id::SEND);
    let queued = outbox(&fx);
    let [raw] = &queued[..] else { panic!("one receipt in the Outbox: {}", queued.len()) };
    let receipt = mdn::parse_receipt(raw).expect("a receipt");
    assert_eq!(receipt.disposition_field, "manual-action/MDN-sent-manually; displayed");
    assert_eq!(receipt.disposition, "displayed");
    assert_eq!(receipt.original_message_id.as_deref(), Some("<lunch@example.test>"));
    assert_eq!(receipt.by, WORK);
    assert!(answered(&fx, ASKING) && keyword_queued(&fx, ASKING));
    assert!(fixture::shows(&app, "Receipt sent"), "{:?}", fixture::texts(&app));
    assert!(!has_bar(&app));

    // Reopened: answered, no bar, nothing more.
    reopen(&mut app, ASKING);
    assert!(!fixture::shows(&app, ASKED) && !has_bar(&app));
    assert_eq!(outbox(&fx).len(), 1);
}

#[test]
fn ignore_sends_nothing_and_marks_the_message() {
    let fx = fixture_with(&[(ASKING, asking("lunch", WORK, BOB, ""), &[])]);
    let mut app = opened(&fx, ReceiptPolicy::Ask);
    open(&mut app, ASKING);
    fixture::click(&mut app, receipt_id::IGNORE);
    assert!(!fixture::shows(&app, ASKED));
    assert!(outbox(&fx).is_empty());
    assert!(answered(&fx, ASKING) && keyword_queued(&fx, ASKING));
    reopen(&mut app, ASKING);
    assert!(!fixture::shows(&app, ASKED) && !has_bar(&app));
    assert!(outbox(&fx).is_empty());
}

#[test]
fn always_sends_one_on_first_display_and_none_on_reopening() {
    let fx = fixture_with(&[(ASKING, asking("lunch", WORK, BOB, ""), &[])]);
    let mut app = opened(&fx, ReceiptPolicy::Always);
    open(&mut app, ASKING);
    let queued = outbox(&fx);
    let [raw] = &queued[..] else { panic!("one receipt in the Outbox: {}", queued.len()) };
    let receipt = mdn::parse_receipt(raw).unwrap();
    assert_eq!(receipt.disposition_field, "automatic-action/MDN-sent-automatically; displayed");
    assert!(!receipt.manual);
    assert!(answered(&fx, ASKING) && keyword_queued(&fx, ASKING));
    assert!(!has_bar(&app));
    assert!(fixture::shows(&app, "Receipt sent"));
    assert!(fixture::shows(&app, "to bob@example.test (this account sends read receipts without asking)"));
    reopen(&mut app, ASKING);
    reopen(&mut app, ASKING);
    assert_eq!(outbox(&fx).len(), 1);
    assert!(!fixture::shows(&app, "Receipt sent"));
}

/// RFC 8098 §2.1: another address than the Return-Path, several addresses, not a direct
/// recipient: "always" asks, with the reason in words.
#[test]
fn always_still_asks_in_the_rfc_8098_cases_and_says_why() {
    let elsewhere = asking("elsewhere", WORK, "carol@example.org", "");
    let bcc = asking("bcc", "list@example.test", BOB, "");
    let fx = fixture_with(&[(ASKING, elsewhere, &[]), (ASKING + 1, bcc, &[])]);
    let mut app = opened(&fx, ReceiptPolicy::Always);
    for (uid, why) in [
        (ASKING, "Note: the receipt would go to another address than the sender's."),
        (ASKING + 1, "Note: you are not a direct recipient (To or Cc) of this message."),
    ] {
        open(&mut app, uid);
        assert!(has_bar(&app), "{uid}");
        assert!(fixture::shows(&app, ASKED));
        assert!(fixture::shows(&app, why), "{:?}", fixture::texts(&app));
        assert!(outbox(&fx).is_empty(), "nothing sent without asking");
    }
    // The person decides: sent by hand.
    fixture::click(&mut app, receipt_id::SEND);
    let queued = outbox(&fx);
    assert_eq!(queued.len(), 1);
    assert!(mdn::parse_receipt(&queued[0]).unwrap().manual);
}

#[test]
fn a_message_already_answered_shows_nothing_under_any_policy() {
    let fx = fixture_with(&[(ASKING, asking("lunch", WORK, BOB, ""), &["\\Seen", "$MDNSent"])]);
    for policy in [ReceiptPolicy::Ask, ReceiptPolicy::Always] {
        let mut app = opened(&fx, policy);
        open(&mut app, ASKING);
        assert!(!has_bar(&app) && !fixture::shows(&app, ASKED), "{policy:?}");
        assert!(outbox(&fx).is_empty(), "{policy:?}");
    }
}

/// The receipt alice's program sent for bob's "lunch" (`date`: its Date header, if any).
fn receipt_from_alice(date: Option<&str>) -> Vec<u8> {
    let request = mdn::requested(&asking("lunch", "alice@example.org", WORK, "")).unwrap();
    let from = tidings_mail::compose::Address::new(Some("Alice Martin"), "alice@example.org");
    let built = mdn::build(&mdn::Response {
        request: &request,
        from: &from,
        final_recipient: "alice@example.org",
        mode: mdn::Mode::Manual,
        displayed_at: 1_796_556_720,
    })
    .unwrap();
    let text = String::from_utf8(built.raw).unwrap();
    // Its Date header replaced (or dropped) to pin what the card says.
    let mut lines: Vec<&str> = text.split("\r\n").collect();
    let at = lines.iter().position(|l| l.starts_with("Date: ")).unwrap();
    match date {
        Some(d) => lines[at] = d,
        None => {
            lines.remove(at);
        }
    }
    lines.join("\r\n").into_bytes()
}

#[test]
fn an_incoming_receipt_shows_as_a_card() {
    let raw = receipt_from_alice(Some("Date: Sun, 6 Dec 2026 10:32:00 +0000"));
    let expected = mdn::parse_receipt(&raw).unwrap().summary();
    assert!(expected.starts_with("Read by alice@example.org on 6 Dec at "), "{expected}");
    let fx = fixture_with(&[(ASKING, raw, &["\\Seen"])]);
    let mut app = opened(&fx, ReceiptPolicy::Always);
    open(&mut app, ASKING);
    assert!(fixture::shows(&app, &expected), "{:?}", fixture::texts(&app));
    // The card stands for the report: not shown twice.
    assert!(!fixture::texts(&app).iter().any(|t| t.starts_with("Read receipt from")));
    // A receipt asks for none.
    assert!(!has_bar(&app));
    assert!(outbox(&fx).is_empty());
}

/// The person's message in Sent lists the receipt stored for it (in the INBOX); the Sent
/// copy asks the person nothing, though it asks for a receipt.
#[test]
fn a_sent_message_lists_its_receipts() {
    let fx = fixture_with(&[(ASKING, receipt_from_alice(Some("Date: Sun, 6 Dec 2026 10:32:00 +0000")), &[])]);
    let sent_raw = format!(
        "From: Work <{WORK}>\r\nTo: alice@example.org\r\nSubject: lunch\r\n\
         Date: Sun, 6 Dec 2026 10:00:00 +0000\r\nMessage-ID: <lunch@example.test>\r\n\
         Disposition-Notification-To: <{WORK}>\r\nContent-Type: text/plain\r\n\r\nLunch?\r\n"
    )
    .into_bytes();
    let mut store = fixture::check_store(&fx);
    let sent = store.folders(fx.account).unwrap().into_iter().find(|f| f.name == "Sent").unwrap().id;
    store.insert_messages(sent, 7, &[row(1, &sent_raw, &["\\Seen"])]).unwrap();
    store.save_body(sent, 7, 1, &sent_raw).unwrap();
    drop(store);

    let mut app = opened(&fx, ReceiptPolicy::Always);
    fixture::click(&mut app, &mailbox::id::folder("Sent"));
    // One message: no "1 messages".
    assert!(fixture::shows(&app, "1 message, 0 unread"), "{:?}", fixture::texts(&app));
    open(&mut app, 1);
    let expected = mdn::parse_receipt(&receipt_from_alice(Some("Date: Sun, 6 Dec 2026 10:32:00 +0000")))
        .unwrap()
        .summary();
    assert!(fixture::shows(&app, "1 read receipt"), "{:?}", fixture::texts(&app));
    assert!(fixture::shows(&app, &expected));
    assert!(!has_bar(&app));
    assert!(outbox(&fx).is_empty());
}

fn snapshot_window(app: &App) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), (1024.0, 768.0), app.view())
}

/// The bar with a §2.1 reason, and a receipt's card (its Date dropped: the card's time is
/// local, the snapshot the same everywhere).
#[test]
fn the_receipt_bar_and_card_light() {
    let fx = fixture_with(&[
        (ASKING, asking("elsewhere", WORK, "carol@example.org", ""), &["\\Seen"]),
        (ASKING + 1, receipt_from_alice(None), &["\\Seen"]),
    ]);
    let mut app = opened(&fx, ReceiptPolicy::Always);
    let theme = tidings::theme::for_mode(Mode::Light);
    open(&mut app, ASKING);
    assert!(has_bar(&app));
    common::assert_snapshot(&mut snapshot_window(&app), &theme, "receipt-bar-light");
    open(&mut app, ASKING + 1);
    assert!(fixture::shows(&app, "Read by alice@example.org"), "{:?}", fixture::texts(&app));
    common::assert_snapshot(&mut snapshot_window(&app), &theme, "receipt-card-light");
}

// Against the real servers.

const WAIT: Duration = Duration::from_secs(60);

fn imap_account(s: &MailServers, user: &User, policy: ReceiptPolicy) -> Account {
    let server = |port, security| Server {
        host: s.host().into(),
        port,
        security,
        user: user.login.clone(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
    };
    let mut account = Account::new(
        "work".into(),
        "Work".into(),
        user.email.clone(),
        Incoming::Imap,
        server(s.imaps_port(), Security::Implicit),
        server(s.submission_port(), Security::StartTls),
    );
    account.options.read_receipts = policy;
    account
}

fn pop3_account(s: &MailServers, user: &User, policy: ReceiptPolicy) -> Account {
    let mut account = imap_account(s, user, policy);
    account.incoming_protocol = Incoming::Pop3;
    account.incoming.port = s.pop3s_port();
    account
}

struct Window {
    _dir: tempfile::TempDir,
    store_path: std::path::PathBuf,
    app: App,
    worker: Worker,
}

/// A profile with `account`, its mailbox open and its task running.
fn window(account: Account, password: &str) -> Window {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    config.add_account(account).unwrap();
    let account = config.account("work").unwrap().clone();
    let secrets = Secrets::in_memory();
    secrets.set("work", SecretRole::Incoming, password).unwrap();
    secrets.set("work", SecretRole::Outgoing, password).unwrap();
    let key = passes::Key::for_account(&profile, &account, secrets.clone()).without_notifications();
    let store_path = profile.store_path();
    let mut app = App::with_config(profile, secrets, config);
    fixture::click(&mut app, &accounts::open_mailbox_id("work"));
    let worker = Worker::start(key);
    Window { _dir: dir, store_path, app, worker }
}

fn status(app: &App) -> String {
    app.passes().status("work").line()
}

impl Window {
    /// Waits for the first message to be listed, and opens it.
    fn open_first(&mut self) {
        let listed = |app: &App| fixture::mailbox(app).list().counts().total >= 1;
        self.worker.until(&mut self.app, WAIT, "the message", listed, status);
        let uid = fixture::mailbox(&self.app).list().rows()[0].uid;
        open(&mut self.app, uid);
    }

    /// Waits for the account's task to empty the Outbox.
    fn sent(&mut self) {
        let path = self.store_path.clone();
        let empty = move |_: &App| Store::open(&path).unwrap().outbox_list(None).unwrap().is_empty();
        self.worker.until(&mut self.app, WAIT, "the receipt sent", empty, status);
    }

    fn outbox_len(&self) -> usize {
        Store::open(&self.store_path).unwrap().outbox_list(None).unwrap().len()
    }
}

/// Bob's INBOX, as receipts, once Postfix's queue is empty (a second receipt would have
/// arrived by then).
fn bobs_receipts(s: &MailServers, expected: usize) -> Vec<Receipt> {
    let bob = s.user("bob");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && s.message_count(bob, "INBOX").unwrap_or(0) < expected {
        std::thread::sleep(Duration::from_millis(50));
    }
    s.wait_queue_empty(Duration::from_secs(20)).unwrap_or_else(|e| panic!("{e}"));
    let base = s.maildir(bob);
    ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(base.join(sub)).ok())
        .flat_map(|entries| entries.flatten().map(|e| std::fs::read(e.path()).unwrap()))
        .map(|raw| mdn::parse_receipt(&raw).unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&raw))))
        .collect()
}

fn bob_asks_alice(s: &MailServers, subject: &str) {
    let alice = s.user("alice");
    s.deliver(alice, &asking(subject, &format!("Alice <{}>", alice.email), BOB, "")).unwrap();
}

#[test]
fn alice_sends_a_receipt_from_the_window_and_a_second_profile_sends_none() {
    let s = MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let alice = s.user("alice").clone();
    bob_asks_alice(&s, "window lunch");

    let mut first = window(imap_account(&s, &alice, ReceiptPolicy::Ask), &alice.password);
    first.open_first();
    assert!(fixture::shows(&first.app, ASKED), "{:?}", fixture::texts(&first.app));
    fixture::click(&mut first.app, receipt_id::SEND);
    assert!(fixture::shows(&first.app, "Receipt sent"));
    first.sent();
    let got = bobs_receipts(&s, 1);
    let [receipt] = &got[..] else { panic!("exactly one receipt: {got:?}") };
    assert_eq!(receipt.original_message_id.as_deref(), Some("<window.lunch@example.test>"));
    assert_eq!(receipt.disposition_field, "manual-action/MDN-sent-manually; displayed");
    assert_eq!(receipt.by, alice.email);
    let flags = s.doveadm(&["fetch", "-u", &alice.login, "flags", "mailbox", "INBOX"]).unwrap();
    assert!(flags.contains("$MDNSent"), "the keyword is on the server: {flags}");
    drop(first);

    // Another profile on the same account, one that sends without asking: the server's
    // keyword, seen at its sync, stops it.
    let mut second = window(imap_account(&s, &alice, ReceiptPolicy::Always), &alice.password);
    second.open_first();
    assert!(fixture::shows(&second.app, "Did you read this?"));
    assert!(!has_bar(&second.app) && !fixture::shows(&second.app, "Receipt sent"));
    assert_eq!(second.outbox_len(), 0);
    assert_eq!(bobs_receipts(&s, 1).len(), 1, "exactly one receipt");
}

#[test]
fn a_pop3_account_under_always_sends_exactly_one() {
    let s = MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let alice = s.user("alice").clone();
    bob_asks_alice(&s, "pop lunch");

    let mut w = window(pop3_account(&s, &alice, ReceiptPolicy::Always), &alice.password);
    w.open_first();
    assert!(fixture::shows(&w.app, "Receipt sent"), "{:?}", fixture::texts(&w.app));
    w.sent();
    let got = bobs_receipts(&s, 1);
    let [receipt] = &got[..] else { panic!("exactly one receipt: {got:?}") };
    assert_eq!(receipt.original_message_id.as_deref(), Some("<pop.lunch@example.test>"));
    assert_eq!(receipt.disposition_field, "automatic-action/MDN-sent-automatically; displayed");

    // Opened again: none more (the keyword is in the store).
    let uid = fixture::selected_uid(&w.app).unwrap();
    reopen_in(&mut w.app, uid);
    assert_eq!(w.outbox_len(), 0);
    assert_eq!(bobs_receipts(&s, 1).len(), 1, "exactly one receipt");
}

/// Opens `uid` again after clicking elsewhere in the list (a POP3 Inbox of one message:
/// the folder pane).
fn reopen_in(app: &mut App, uid: u32) {
    fixture::click(app, &mailbox::id::folder("Sent"));
    fixture::click(app, &mailbox::id::folder("INBOX"));
    open(app, uid);
}
