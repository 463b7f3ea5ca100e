//! Distinct, actionable errors with the server's own words, and what each does to the
//! Outbox: real Postfix where it can refuse on demand (relay denied, SIZE limit, login only
//! after STARTTLS), the scripted SMTP server for the rest (Exchange Online's 5.7.139, 530,
//! 552 after the data, a temporary 450, a cut after the end of the data), the fault servers
//! for TLS and network failures. A refusal for good (5xx about the message) is kept as
//! `refused` and not tried again until the user sends it again; the rest stays queued.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod send_common;

use std::time::Duration;

use send_common::*;
use tidings_mail::Kind;
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::auth::{Credential, Credentials};
use tidings_mail::check::SessionFacts;
use tidings_mail::net::Transcript;
use tidings_mail::outbox::{self, OutboxState, OutboxStatus, Outgoing};
use tidings_mail::send::FlushReport;
use tidings_mail::store::StoreHandle;
use tidings_testkit::fault::{FaultServer, Proto};
use tidings_testkit::smtp_script::{SmtpScript, SmtpScriptServer};

/// A POP3 account (Sent copies stay local: no IMAP server needed) sending to `port` on
/// 127.0.0.1 with `security`.
fn plain_account(port: u16, security: Security) -> Account {
    let server = |port| Server {
        host: "127.0.0.1".into(),
        port,
        security,
        user: "alice".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    Account::new(
        "script".into(),
        "script".into(),
        "alice@example.test".into(),
        Incoming::Pop3,
        server(1),
        server(port),
    )
}

fn pw() -> Credentials {
    let alice = Credential::password("alice", "secret-pw");
    Credentials { incoming: alice.clone(), outgoing: alice }
}

fn note(size: usize) -> Outgoing {
    let raw = format!(
        "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: note\r\n\r\n{}\r\n",
        "x".repeat(size)
    );
    Outgoing::from_message(raw.as_bytes(), "alice@example.test").unwrap()
}

/// Queues one message on `account` and flushes; returns the report and the Outbox after.
async fn send_one(
    account: &Account,
    m: Outgoing,
    passwords: &Credentials,
) -> (FlushReport, Vec<outbox::OutboxItem>, StoreHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    enqueue(&st, account, m).await;
    let report = flush(&st, account, passwords).await;
    let left = outbox_of(&st, account).await;
    (report, left, st, dir)
}

fn single_failure(report: &FlushReport) -> &tidings_mail::Error {
    assert!(report.sent.is_empty(), "{report:?}");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    &report.failed[0].error
}

async fn script(s: SmtpScript) -> SmtpScriptServer {
    SmtpScriptServer::start(s).await.unwrap()
}

#[tokio::test]
async fn exchange_smtp_auth_disabled_is_told_apart_from_a_wrong_password() {
    let words = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.";
    let server = script(SmtpScript { auth_reply: words.into(), ..SmtpScript::default() }).await;
    let (report, left, _st, _d) =
        send_one(&plain_account(server.port(), Security::None), note(10), &pw()).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::RefusedByServer, "{e}");
    assert!(e.message().contains("SMTP AUTH disabled"), "{e}");
    assert_eq!(e.server_words(), Some(words));
    assert_eq!(left[0].state, OutboxState::Queued);
    assert!(left[0].last_error.as_ref().unwrap().server.as_deref() == Some(words));
    assert!(!String::from_utf8_lossy(&server.received()).contains("MAIL FROM"));
}

#[tokio::test]
async fn a_535_is_a_wrong_password_and_530_asks_for_encryption() {
    let server = script(SmtpScript {
        auth_reply: "535 5.7.8 Error: authentication failed: bad credentials".into(),
        ..SmtpScript::default()
    })
    .await;
    let (report, _, _st, _d) = send_one(&plain_account(server.port(), Security::None), note(10), &pw()).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert!(e.message().contains("did not accept the user name or password"), "{e}");

    let server = script(SmtpScript {
        auth_reply: "530 5.7.0 Must issue a STARTTLS command first".into(),
        ..SmtpScript::default()
    })
    .await;
    let (report, _, _st, _d) = send_one(&plain_account(server.port(), Security::None), note(10), &pw()).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::Tls, "{e}");
    assert!(e.message().contains("requires encryption"), "{e}");
    assert_eq!(e.server_words(), Some("530 5.7.0 Must issue a STARTTLS command first"));
}

#[tokio::test]
async fn too_large_after_the_data_is_refused_for_good_and_a_temporary_refusal_stays_queued() {
    let words = "552 5.3.4 Message size exceeds fixed maximum message size";
    let server = script(SmtpScript { end_reply: words.into(), ..SmtpScript::default() }).await;
    let account = plain_account(server.port(), Security::None);
    let (report, left, st, _d) = send_one(&account, note(3000), &pw()).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::RefusedByServer, "{e}");
    assert!(e.message().contains("too large"), "{e}");
    assert_eq!(e.server_words(), Some(words));
    // The server answered no for good: kept with its words, neither held nor retried.
    assert_eq!((left[0].state, left[0].status(0)), (OutboxState::Refused, OutboxStatus::Refused));
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(report.held.is_empty() && !report.ok(), "{report:?}");
    let reason = left[0].reason(0).unwrap();
    assert!(reason.contains("refused by the server") && reason.contains(words), "{reason}");
    let datas = || String::from_utf8_lossy(&server.received()).matches("\r\nDATA\r\n").count();
    assert_eq!(datas(), 1);

    // The next flush does not upload it again, and says it is still there.
    let again = flush(&st, &account, &pw()).await;
    assert!(again.sent.is_empty() && again.failed.is_empty(), "{again:?}");
    assert_eq!(again.refused.len(), 1, "{again:?}");
    assert_eq!(datas(), 1, "a refused message is not sent again on its own");

    // The user sends it again: queued, tried once more (and refused once more).
    let item = outbox::confirm_resend(&st, left[0].id).await.unwrap();
    assert_eq!((item.state, item.last_error.as_ref()), (OutboxState::Queued, None));
    let retried = flush(&st, &account, &pw()).await;
    assert_eq!(retried.refused.len(), 1, "{retried:?}");
    assert_eq!(datas(), 2);
    let left = outbox_of(&st, &account).await;
    assert_eq!((left[0].state, left[0].attempts), (OutboxState::Refused, 2));
    // Removed by the user: gone.
    assert!(outbox::remove(&st, left[0].id).await.unwrap());
    assert!(outbox_of(&st, &account).await.is_empty());

    let server = script(SmtpScript {
        rcpt_reply: "450 4.2.0 <bob@example.test>: mailbox busy".into(),
        ..SmtpScript::default()
    })
    .await;
    let (report, left, _st, _d) =
        send_one(&plain_account(server.port(), Security::None), note(10), &pw()).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::RefusedByServer, "{e}");
    assert!(e.message().contains("temporary") && e.message().contains("bob@example.test"), "{e}");
    assert_eq!(left[0].state, OutboxState::Queued);
    assert!(
        !String::from_utf8_lossy(&server.received()).contains("\r\nDATA\r\n"),
        "no DATA after a refused RCPT"
    );
}

#[tokio::test]
async fn the_size_limit_of_ehlo_fails_before_anything_is_sent() {
    let server = script(SmtpScript {
        extensions: vec!["SIZE 1000".into(), "AUTH PLAIN LOGIN".into()],
        ..SmtpScript::default()
    })
    .await;
    let (report, left, _st, _d) =
        send_one(&plain_account(server.port(), Security::None), note(2000), &pw()).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::RefusedByServer, "{e}");
    assert!(e.message().contains("accepts at most 1.0 kB"), "{e}");
    assert_eq!(left[0].state, OutboxState::Refused);
    assert!(!String::from_utf8_lossy(&server.received()).contains("MAIL FROM"));
}

/// The connection ends after the end of the data, before the answer: the server may have
/// taken the message. It is held, not resent by the next flush; once the user confirms, it
/// goes again.
#[tokio::test]
async fn a_cut_after_the_data_holds_the_message_until_the_user_confirms() {
    let server = script(SmtpScript { cut_after_data: 1, ..SmtpScript::default() }).await;
    let account = plain_account(server.port(), Security::None);
    let (report, left, st, _d) = send_one(&account, note(100), &pw()).await;
    assert!(report.sent.is_empty() && report.failed.is_empty(), "{report:?}");
    assert_eq!(report.held.len(), 1, "{report:?}");
    let now = i64::MAX / 2;
    assert_eq!((left[0].state, left[0].status(now)), (OutboxState::Submitting, OutboxStatus::MaybeSent));
    let reason = left[0].reason(now).unwrap();
    assert!(reason.contains("may already have been sent"), "{reason}");
    assert_eq!(server.messages().len(), 1);

    let again = flush(&st, &account, &pw()).await;
    assert!(again.sent.is_empty() && again.held.len() == 1, "{again:?}");
    assert_eq!(server.messages().len(), 1, "never resent on its own");

    outbox::confirm_resend(&st, left[0].id).await.unwrap();
    let confirmed = flush(&st, &account, &pw()).await;
    assert!(confirmed.ok() && confirmed.sent.len() == 1, "{confirmed:?}");
    assert_eq!(server.messages().len(), 2);
    assert!(server.messages()[1] == server.messages()[0], "the same bytes both times");
    assert!(outbox_of(&st, &account).await.is_empty());
    // Confirming something that is not held is refused.
    let e = outbox::confirm_resend(&st, left[0].id).await.unwrap_err();
    assert_eq!(e.kind(), Kind::Config, "{e}");
}

#[tokio::test]
async fn tls_and_network_failures_keep_the_message() {
    let fault = FaultServer::tls_with_own_cert(Proto::Smtp).await.unwrap();
    let (report, left, _st, _d) =
        send_one(&plain_account(fault.port(), Security::Implicit), note(10), &pw()).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::Tls, "{e}");
    assert_eq!(left[0].state, OutboxState::Queued);
    assert!(fault.received().is_empty(), "nothing sent to an untrusted server");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (report, left, _st, _d) = send_one(&plain_account(port, Security::StartTls), note(10), &pw()).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::Network, "{e}");
    assert_eq!((left[0].state, left[0].attempts), (OutboxState::Queued, 1));
}

/// Postfix refusing on its own terms: login only after STARTTLS, relaying to a foreign
/// domain refused, and a small message_size_limit announced by EHLO.
#[tokio::test]
async fn postfix_refusals_are_explained() {
    let s = servers();
    let alice = s.user("alice");
    let passwords = passwords(alice);

    // No encryption chosen on the submission port: Postfix offers AUTH only after STARTTLS.
    let mut account = account(&s, alice, Security::StartTls);
    account.outgoing.security = Security::None;
    let (report, _, _st, _d) =
        send_one(&account, message(alice, "bob@example.test", "x", b"x"), &passwords).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::Tls, "{e}");
    assert!(e.message().contains("only after STARTTLS"), "{e}");

    s.set_postfix(&[
        ("smtpd_relay_restrictions", "reject_unauth_destination"),
        ("message_size_limit", "20000"),
    ])
    .unwrap();
    let account = account_after_reload(&s, alice).await;
    let (report, left, _st, _d) =
        send_one(&account, message(alice, "someone@elsewhere.test", "relay", b"x"), &passwords).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::RefusedByServer, "{e}");
    assert!(e.message().contains("refused to relay"), "{e}");
    let words = e.server_words().unwrap();
    assert!(words.starts_with("554 5.7.1") && words.contains("Relay access denied"), "{words}");
    assert_eq!(left[0].state, OutboxState::Refused);
    assert!(left[0].last_error.as_ref().unwrap().server.as_deref().unwrap().contains("Relay access denied"));

    let big = message(alice, "bob@example.test", "big", &binary(30_000, 3));
    let (report, left, _st, _d) = send_one(&account, big, &passwords).await;
    let e = single_failure(&report);
    assert_eq!(e.kind(), Kind::RefusedByServer, "{e}");
    assert!(e.message().contains("accepts at most 20.0 kB"), "{e}");
    assert_eq!(e.server_words(), Some("SIZE 20000"));
    assert_eq!(left[0].state, OutboxState::Refused);
}

/// The STARTTLS account once the reloaded Postfix announces the new SIZE.
async fn account_after_reload(s: &tidings_testkit::MailServers, alice: &tidings_testkit::User) -> Account {
    let account = account(s, alice, Security::StartTls);
    let ep = endpoint(s, s.submission_port(), Security::StartTls);
    for _ in 0..100 {
        let mut facts = SessionFacts::default();
        if tidings_mail::smtp::open(&ep, &Transcript::new(), &mut facts).await.is_ok()
            && tidings_mail::send::size_limit(&facts.capabilities) == Some(20000)
        {
            return account;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Postfix did not pick up the new settings");
}
