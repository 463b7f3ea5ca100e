//! Scheduled receive against the testkit's real Dovecot and Postfix: with a short interval
//! (minutes of a second), a message submitted through Postfix reaches the store with no
//! user action — for a POP3 account and for an IMAP account with IDLE off — and is
//! announced as new mail, while mail already read elsewhere is not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use pass_common::{account, secrets_for, send_through_postfix, servers, start};
use tidings_mail::account::Incoming;
use tidings_mail::pass::{AccountEvent, PassPhase, RunSettings};
use tidings_mail::schedule::{Event, Reason};

/// Reasons of the passes started among `seen`.
fn reasons(seen: &[AccountEvent]) -> Vec<Reason> {
    seen.iter()
        .filter_map(|e| match e {
            AccountEvent::Schedule(Event::PassStarted(r)) => Some(*r),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn pop3_account_fetches_new_mail_on_its_schedule() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    s.seed(alice, 3).unwrap();
    let account = account(&s, alice, Incoming::Pop3, s.pop3s_port());
    let mut run = start(account.clone(), secrets_for(&account, &alice.password), RunSettings::default());
    let mut seen = Vec::new();
    // The start pass downloads what is there, announcing nothing (old mail).
    run.next_pass_end(30, &mut seen).await.unwrap();
    assert_eq!(run.inbox_subjects(&account.id).await.len(), 3);
    assert!(seen.iter().any(|e| matches!(e, AccountEvent::Checking(p) if p.phase == PassPhase::Downloading)));
    assert!(!seen.iter().any(|e| matches!(e, AccountEvent::NewMail(_))), "{seen:#?}");

    send_through_postfix(&s, bob, alice, "Scheduled over POP3").await;
    let mail = run
        .wait_for(30, &mut seen, |e| match e {
            AccountEvent::NewMail(m) => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(mail.count, 1);
    assert_eq!(mail.first_subject, "Scheduled over POP3");
    assert!(mail.first_from.contains(&bob.email), "{}", mail.first_from);
    assert_eq!(mail.summary, format!("New mail in {}", account.name));
    assert!(run.inbox_subjects(&account.id).await.contains(&"Scheduled over POP3".to_string()));
    let log = run.log_without(&alice.password);
    assert!(log.contains("UIDL") && log.contains("RETR"), "{log}");
    assert!(seen.iter().any(|e| matches!(e, AccountEvent::Changed)));
    let reasons = reasons(&seen);
    assert_eq!(reasons[0], Reason::Start);
    assert!(reasons[1..].iter().all(|r| *r == Reason::Timer), "{reasons:?}");
    // The first message of the notification can be opened from its reference.
    let first = mail.first.clone();
    let row = run.store.call(move |st| st.message(first.folder, first.uid)).await.unwrap().unwrap();
    assert_eq!(row.summary.subject.as_deref(), Some("Scheduled over POP3"));
    drop(run.commands);
    run.task.await.unwrap();
}

#[tokio::test]
async fn imap_account_without_idle_fetches_new_mail_on_its_schedule() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    s.seed(alice, 5).unwrap();
    let account = account(&s, alice, Incoming::Imap, s.imaps_port());
    let mut run = start(account.clone(), secrets_for(&account, &alice.password), RunSettings::default());
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();
    assert_eq!(run.inbox_subjects(&account.id).await.len(), 5);
    assert!(seen.iter().any(|e| matches!(e, AccountEvent::Checking(p) if p.folders_total >= 1)));
    assert!(!seen.iter().any(|e| matches!(e, AccountEvent::NewMail(_) | AccountEvent::Idle(_))));

    // One message already read on another client, then one that is not.
    let read_elsewhere = "From: Carol <carol@example.test>\r\nSubject: read on the phone\r\n\r\nx\r\n";
    s.deliver(alice, read_elsewhere.as_bytes()).unwrap();
    s.doveadm(&[
        "flags",
        "add",
        "-u",
        &alice.login,
        "\\Seen",
        "mailbox",
        "INBOX",
        "subject",
        "read on the phone",
    ])
    .unwrap();
    send_through_postfix(&s, bob, alice, "Scheduled over IMAP").await;
    let mail = run
        .wait_for(30, &mut seen, |e| match e {
            AccountEvent::NewMail(m) => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(mail.count, 1, "{mail:?}");
    assert_eq!(mail.first_subject, "Scheduled over IMAP");
    let subjects = run.inbox_subjects(&account.id).await;
    assert!(subjects.contains(&"read on the phone".to_string()), "{subjects:?}");
    assert!(subjects.contains(&"Scheduled over IMAP".to_string()), "{subjects:?}");
    let reasons = reasons(&seen);
    assert!(reasons[1..].iter().all(|r| *r == Reason::Timer), "{reasons:?}");
    assert!(!seen.iter().any(|e| matches!(e, AccountEvent::Idle(_))), "IDLE is off for this account");
    let log = run.log_without(&alice.password);
    assert!(log.contains("LOGIN") && log.contains("UID FETCH"), "{log}");
    drop(run.commands);
    run.task.await.unwrap();
}
