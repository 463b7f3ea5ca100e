//! The Outbox in the mailbox (iced_test): a message the testkit's Postfix refused for good
//! (relaying denied) and one held as "may already have been sent" (a send cut off after the
//! data, recorded through the store) show under an "Outbox" entry of the folder pane, with
//! their state in words and the server's words; "Remove" takes one out, "Send again" puts
//! the refused one back into the queue and asks for a send/receive pass, which hands it to
//! Postfix once more. A snapshot of the Outbox.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_outbox`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::assert_snapshot;

use iced::theme::Mode;
use iced::widget::container;
use iced::{Length, Task, Theme};
use iced_test::Simulator;
use iced_test::futures::futures::StreamExt;
use iced_test::selector::id;

use tidings::app::Message;
use tidings::screen::mailbox::{self, Mailbox, Setup};
use tidings::widget::status::Status;
use tidings_mail::Kind;
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::check::{Passwords, SessionFacts};
use tidings_mail::error::Error;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::outbox::{OutboxState, OutboxStatus, Outgoing};
use tidings_mail::send::{FlushReport, flush_outbox};
use tidings_mail::store::{Store, StoreHandle};
use tidings_testkit::{MailServers, User};

fn account(s: &MailServers, user: &User) -> Account {
    let server = |port, security| Server {
        host: s.host().into(),
        port,
        security,
        user: user.login.clone(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
    };
    Account::new(
        "work".into(),
        "Work".into(),
        user.email.clone(),
        Incoming::Imap,
        server(s.imaps_port(), Security::Implicit),
        server(s.submission_port(), Security::StartTls),
    )
}

fn note(from: &User, to: &str, subject: &str) -> Outgoing {
    let raw = format!("From: {}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nHello.\r\n", from.email);
    Outgoing::from_message(raw.as_bytes(), &from.email).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

async fn flush(store: &StoreHandle, account: &Account, user: &User) -> FlushReport {
    let passwords =
        Passwords { incoming: user.password.clone(), outgoing: user.password.clone() }.credentials(account);
    flush_outbox(store, account, &passwords, &Transcript::new(), &|_| {}).await.unwrap()
}

/// Postfix refusing to relay to other domains, even for a logged-in user; waits until it
/// answers with the new settings (the SIZE it announces changes with them).
async fn refuse_relaying(s: &MailServers) {
    s.set_postfix(&[
        ("smtpd_relay_restrictions", "reject_unauth_destination"),
        ("message_size_limit", "20000"),
    ])
    .unwrap();
    let mut ep = Endpoint::new(s.host(), s.submission_port(), Security::StartTls);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    for _ in 0..100 {
        let mut facts = SessionFacts::default();
        if tidings_mail::smtp::open(&ep, &Transcript::new(), &mut facts).await.is_ok()
            && tidings_mail::send::size_limit(&facts.capabilities) == Some(20000)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Postfix did not pick up the new settings");
}

/// Runs a task to its end on tokio and returns what it produced.
fn run<M: Send + 'static>(task: Task<M>) -> Vec<M> {
    let Some(stream) = iced_test::runtime::task::into_stream(task) else { return Vec::new() };
    runtime().block_on(
        stream
            .filter_map(|action| async move {
                match action {
                    iced_test::runtime::Action::Output(message) => Some(message),
                    _ => None,
                }
            })
            .collect(),
    )
}

/// Feeds messages to the mailbox, running the tasks they start; returns how many times it
/// asked for a send/receive pass of its account.
fn settle(mailbox: &mut Mailbox, mut pending: Vec<mailbox::Message>) -> usize {
    let mut passes = 0;
    while !pending.is_empty() {
        let mut tasks = Vec::new();
        for m in pending.drain(..) {
            match mailbox.update(m) {
                mailbox::Action::Run(task) => tasks.push(task),
                mailbox::Action::GetMail => passes += 1,
                _ => {}
            }
        }
        pending = tasks.into_iter().flat_map(run).collect();
    }
    passes
}

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

/// Clicks a widget and returns the mailbox messages the click produced.
fn click(mailbox: &Mailbox, widget: &str) -> Vec<mailbox::Message> {
    let theme = tidings::theme::for_mode(Mode::Light);
    let mut ui = page(mailbox, &theme);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    ui.into_messages()
        .map(|m| match m {
            Message::Mailbox(m) => m,
            other => panic!("not a mailbox message: {other:?}"),
        })
        .collect()
}

fn shows(mailbox: &Mailbox, text: &str) -> bool {
    let theme = tidings::theme::for_mode(Mode::Light);
    page(mailbox, &theme).find(text).is_ok()
}

fn open(path: &Path) -> StoreHandle {
    StoreHandle::spawn(Store::open(path).unwrap()).unwrap()
}

#[test]
fn refused_and_held_messages_show_in_the_outbox_and_can_be_sent_again_or_removed() {
    let s = MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let alice = s.user("alice");
    let account = account(&s, alice);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    let rt = runtime();

    // A message Postfix refuses for good (relaying denied), through a real flush.
    let store = open(&path);
    let refused = rt.block_on(async {
        refuse_relaying(&s).await;
        let item =
            tidings_mail::outbox::enqueue(&store, "work", note(alice, "someone@elsewhere.test", "Abroad"))
                .await
                .unwrap();
        let report = flush(&store, &account, alice).await;
        assert_eq!(report.refused.len(), 1, "{report:?}");
        item.id
    });
    // A message whose send was cut off after the data (recorded as the sender does).
    let maybe_gone = note(alice, "bob@example.test", "Maybe gone");
    let held = rt
        .block_on(store.call(move |st| {
            let item = st.outbox_enqueue("work", &maybe_gone)?;
            assert!(st.outbox_claim(item.id, 0)?);
            st.outbox_failed(item.id, &Error::new(Kind::Network, "the connection was cut"), false)?;
            Ok(item.id)
        }))
        .unwrap();

    let (mut mb, first) = Mailbox::new(Setup::store_only("work", "Work", path.clone()));
    let opened = run(first);
    settle(&mut mb, opened);
    assert_eq!(mb.outbox().len(), 2);
    assert!(!mb.showing_outbox());

    let shown = click(&mb, mailbox::outbox_id::ENTRY);
    settle(&mut mb, shown);
    assert!(mb.showing_outbox());
    for words in ["Outbox: 2 messages", "Abroad", "Maybe gone", "To someone@elsewhere.test"] {
        assert!(shows(&mb, words), "{words}");
    }
    assert!(shows(&mb, "Refused by the server · tried once"));
    assert!(shows(&mb, "May already have been sent · tried once"));
    let relay = {
        let item = mb.outbox().iter().find(|i| i.id == refused).unwrap();
        assert_eq!(item.status(0), OutboxStatus::Refused);
        item.last_error.as_ref().unwrap().server.clone().unwrap()
    };
    assert!(relay.contains("Relay access denied"), "{relay}");
    assert!(shows(&mb, &format!("The server said: {relay}")));

    let theme = tidings::theme::for_mode(Mode::Light);
    assert_snapshot(&mut page(&mb, &theme), &theme, "mailbox-outbox-light");

    // Remove the held one.
    let removed = click(&mb, &mailbox::outbox_id::remove(held));
    assert_eq!(settle(&mut mb, removed), 0, "removing sends nothing");
    assert_eq!(mb.outbox().len(), 1);
    assert!(rt.block_on(store.call(move |st| st.outbox_item(held))).unwrap().is_none());
    assert_eq!(mb.notice(), Some("The message was removed from the Outbox."));

    // Send the refused one again: queued, and a pass is asked for.
    let again = click(&mb, &mailbox::outbox_id::send_again(refused));
    assert_eq!(settle(&mut mb, again), 1, "a send/receive pass follows");
    let item = rt.block_on(store.call(move |st| st.outbox_item(refused))).unwrap().unwrap();
    assert_eq!(item.state, OutboxState::Queued);
    // The pass hands it to Postfix again (which still refuses it).
    let report = rt.block_on(flush(&store, &account, alice));
    assert_eq!(report.refused.len(), 1, "{report:?}");
    let item = rt.block_on(store.call(move |st| st.outbox_item(refused))).unwrap().unwrap();
    assert_eq!((item.state, item.attempts), (OutboxState::Refused, 2));

    // Removing it empties the Outbox: the entry goes, the folders come back.
    let removed = click(&mb, &mailbox::outbox_id::remove(refused));
    settle(&mut mb, removed);
    assert!(mb.outbox().is_empty() && !mb.showing_outbox());
    let theme = tidings::theme::for_mode(Mode::Light);
    assert!(page(&mb, &theme).find(id(mailbox::outbox_id::ENTRY)).is_err());
}
