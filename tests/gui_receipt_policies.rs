//! Read receipts × {never, ask, always} × {IMAP, POP3} against the testkit's real Dovecot and
//! Postfix, through the window (iced_test) as the person uses it: bob's message asks alice
//! for a receipt; her mailbox opens it, and the account's policy applies on that first
//! display — never: nothing; ask: the bar, and the person clicks Send receipt; always: sent
//! without asking. Bob's INBOX then has exactly the receipts the policy allows (0, 1, 1), each
//! once, still after alice opens the message a second time.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_receipt_policies`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::{Duration, Instant};

use tidings::app::App;
use tidings::passes;
use tidings::screen::accounts;
use tidings::screen::mailbox::{self, receipt_id};
use tidings_mail::account::{Account, AuthMethod, Incoming, SecretRole, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::mdn::{self, Receipt};
use tidings_mail::options::ReceiptPolicy;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::Store;
use tidings_testkit::{MailServers, User};

use gui_mailbox_helpers::{Worker, fixture};

const BOB: &str = "bob@example.test";
const ASKED: &str = "Bob Stone asked to be told when you read this";
const WAIT: Duration = Duration::from_secs(60);

/// Bob's message to alice; `notify`: it asks for a receipt.
fn from_bob(subject: &str, alice: &str, notify: bool) -> Vec<u8> {
    let asks =
        if notify { format!("Disposition-Notification-To: Bob Stone <{BOB}>\r\n") } else { String::new() };
    format!(
        "Return-Path: <{BOB}>\r\nFrom: Bob Stone <{BOB}>\r\nTo: Alice <{alice}>\r\nSubject: {subject}\r\n\
         Date: Sun, 6 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{}@example.test>\r\n{asks}\
         Content-Type: text/plain; charset=utf-8\r\n\r\nDid you read this?\r\n",
        subject.replace(' ', ".")
    )
    .into_bytes()
}

fn account(s: &MailServers, user: &User, pop3: bool, policy: ReceiptPolicy) -> Account {
    let server = |port, security| Server {
        host: s.host().into(),
        port,
        security,
        user: user.login.clone(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
    };
    let (protocol, port) =
        if pop3 { (Incoming::Pop3, s.pop3s_port()) } else { (Incoming::Imap, s.imaps_port()) };
    let mut account = Account::new(
        "work".into(),
        "Work".into(),
        user.email.clone(),
        protocol,
        server(port, Security::Implicit),
        server(s.submission_port(), Security::StartTls),
    );
    account.options.read_receipts = policy;
    account
}

fn status(app: &App) -> String {
    app.passes().status("work").line()
}

/// A profile of its own with `account`, its mailbox open and its task running.
struct Window {
    _dir: tempfile::TempDir,
    store_path: std::path::PathBuf,
    app: App,
    worker: Worker,
}

impl Window {
    fn new(account: Account, password: &str) -> Window {
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

    /// Waits for `n` messages to be listed.
    fn listed(&mut self, n: u64) {
        let listed = move |app: &App| fixture::mailbox(app).list().counts().total >= n;
        self.worker.until(&mut self.app, WAIT, "the messages", listed, status);
    }

    /// Opens the listed message with `subject`.
    fn open(&mut self, subject: &str) {
        let rows = fixture::mailbox(&self.app).list().rows();
        let row = rows.iter().find(|r| r.summary.subject.as_deref() == Some(subject));
        let uid = row.unwrap_or_else(|| panic!("\"{subject}\" is not listed")).uid;
        fixture::click(&mut self.app, &mailbox::id::row(uid));
        assert!(fixture::mailbox(&self.app).reader().shown().is_some(), "\"{subject}\" is shown");
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

    fn has_bar(&self) -> bool {
        fixture::window(&self.app).find(iced_test::selector::id(receipt_id::SEND)).is_ok()
    }
}

/// Bob's INBOX as receipts, once it holds `expected` messages (or a wait passed) and
/// Postfix's queue is empty: a receipt more would have arrived by then.
fn bobs_receipts(s: &MailServers, expected: usize) -> Vec<Receipt> {
    let bob = s.user("bob");
    let deadline = Instant::now() + Duration::from_secs(if expected == 0 { 2 } else { 30 });
    while Instant::now() < deadline && s.message_count(bob, "INBOX").unwrap_or(0) < expected.max(1) {
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

#[test]
fn each_policy_sends_exactly_the_receipts_it_allows_over_imap_and_pop3() {
    let s = MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let (alice, bob) = (s.user("alice").clone(), s.user("bob").clone());
    for pop3 in [false, true] {
        for policy in [ReceiptPolicy::Never, ReceiptPolicy::Ask, ReceiptPolicy::Always] {
            let case = format!("{} {policy:?}", if pop3 { "pop3" } else { "imap" });
            // Each case starts from empty mailboxes.
            for user in [&alice, &bob] {
                s.doveadm(&["expunge", "-u", &user.login, "mailbox", "INBOX", "all"]).unwrap();
            }
            let subject = format!("asking {case}");
            s.deliver(&alice, &from_bob(&subject, &alice.email, true)).unwrap();
            s.deliver(&alice, &from_bob(&format!("plain {case}"), &alice.email, false)).unwrap();

            let mut w = Window::new(account(&s, &alice, pop3, policy), &alice.password);
            w.listed(2);
            w.open(&subject);
            let expected = match policy {
                ReceiptPolicy::Never => {
                    assert!(!w.has_bar() && !fixture::shows(&w.app, "Receipt sent"), "{case}");
                    assert_eq!(w.outbox_len(), 0, "{case}");
                    None
                }
                ReceiptPolicy::Ask => {
                    assert!(fixture::shows(&w.app, ASKED), "{case}: {:?}", fixture::texts(&w.app));
                    fixture::click(&mut w.app, receipt_id::SEND);
                    assert!(fixture::shows(&w.app, "Receipt sent"), "{case}");
                    Some("manual-action/MDN-sent-manually; displayed")
                }
                ReceiptPolicy::Always => {
                    assert!(!w.has_bar(), "{case}");
                    assert!(fixture::shows(&w.app, "Receipt sent"), "{case}: {:?}", fixture::texts(&w.app));
                    Some("automatic-action/MDN-sent-automatically; displayed")
                }
            };
            if expected.is_some() {
                w.sent();
            }

            // Opened a second time (after another message): nothing more, no bar.
            w.open(&format!("plain {case}"));
            w.open(&subject);
            assert!(!w.has_bar() && !fixture::shows(&w.app, "Receipt sent"), "{case}");
            assert_eq!(w.outbox_len(), 0, "{case}: nothing more queued");

            let got = bobs_receipts(&s, usize::from(expected.is_some()));
            match expected {
                None => assert!(got.is_empty(), "{case}: no receipt under never: {got:?}"),
                Some(disposition) => {
                    let [receipt] = &got[..] else { panic!("{case}: exactly one receipt: {got:?}") };
                    let id = format!("<{}@example.test>", subject.replace(' ', "."));
                    assert_eq!(receipt.original_message_id.as_deref(), Some(id.as_str()), "{case}");
                    assert_eq!(receipt.disposition_field, disposition, "{case}");
                    assert_eq!(receipt.by, alice.email, "{case}");
                }
            }
            // IMAP has the keyword on the server (POP3 keeps it in the store only).
            if !pop3 && expected.is_some() {
                let flags = s.doveadm(&["fetch", "-u", &alice.login, "flags", "mailbox", "INBOX"]).unwrap();
                assert!(flags.contains("$MDNSent"), "{case}: the keyword is on the server: {flags}");
            }
        }
    }
}
