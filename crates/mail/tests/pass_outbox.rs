//! The Outbox in scheduled passes, against the testkit's Dovecot and Postfix: a message
//! whose send failed (the SMTP password was wrong) stays in the Outbox, the failure is
//! reported without putting the account offline, and once the password is fixed the next
//! scheduled pass — no user action — sends it and files its copy in Sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use std::time::Duration;

use pass_common::{account, new_store, servers, start_on};
use tidings_mail::account::{Incoming, SecretRole};
use tidings_mail::outbox::{self, Outgoing};
use tidings_mail::pass::{AccountEvent, RunSettings};
use tidings_mail::schedule::{Event, Reason};
use tidings_mail::secret::Secrets;
use tidings_mail::store::Role;

#[tokio::test]
async fn a_message_left_by_a_failed_send_goes_out_at_the_next_scheduled_pass() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let mut account = account(&s, alice, Incoming::Imap, s.imaps_port());
    account.outgoing_own_password = true;
    let secrets = Secrets::in_memory();
    secrets.set(&account.id, SecretRole::Incoming, &alice.password).unwrap();
    secrets.set(&account.id, SecretRole::Outgoing, "not-the-password").unwrap();

    // The message was queued (as the composer does) before the account's task starts.
    let st = new_store();
    let raw = format!(
        "From: Alice <{}>\r\nTo: <{}>\r\nSubject: from the Outbox\r\n\r\nsent by a scheduled pass\r\n",
        alice.email, bob.email
    );
    let msg = Outgoing::from_message(raw.as_bytes(), &alice.email).unwrap();
    outbox::enqueue(&st.store, &account.id, msg).await.unwrap();
    let mut run = start_on(st, account.clone(), secrets.clone(), RunSettings::default());

    let mut seen = Vec::new();
    let first = run.next_pass_end(30, &mut seen).await;
    let error = first.expect_err("the send must fail with the wrong password");
    assert!(error.contains("Outbox"), "{error}");
    assert!(
        !seen.iter().any(|e| matches!(e, AccountEvent::Schedule(Event::Offline { .. }))),
        "an authentication failure is not a network failure: {seen:#?}"
    );
    let left = outbox::list(&run.store, Some(&account.id)).await.unwrap();
    assert_eq!(left.len(), 1);
    let last_error = left[0].last_error.clone().expect("the failure is kept with the message");
    assert_eq!(last_error.kind, tidings_mail::Kind::Auth, "{last_error}");
    assert!(last_error.server.is_some(), "the server's words are kept: {last_error}");

    // The user fixes the password; nothing else: the next timer pass sends.
    secrets.set(&account.id, SecretRole::Outgoing, &alice.password).unwrap();
    let from = seen.len();
    run.next_pass_end(30, &mut seen).await.unwrap();
    let reasons: Vec<Reason> = seen[from..]
        .iter()
        .filter_map(|e| match e {
            AccountEvent::Schedule(Event::PassStarted(r)) => Some(*r),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, [Reason::Timer]);
    assert!(
        seen[from..].iter().any(|e| matches!(e, AccountEvent::Sending { done: 1, total: 1 })),
        "{:#?}",
        &seen[from..]
    );
    assert!(outbox::list(&run.store, Some(&account.id)).await.unwrap().is_empty(), "the Outbox is empty");

    // Postfix delivers to Bob; Alice's Sent folder has the copy.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while s.message_count(bob, "INBOX").unwrap() == 0 {
        assert!(std::time::Instant::now() < deadline, "the message never reached Bob");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(s.message_count(alice, "Sent").unwrap(), 1);
    let log = run.log_without(&alice.password);
    assert!(log.contains("AUTH") && !log.contains("not-the-password"), "{log}");
    // The message went through DATA and APPEND: only its size shows.
    assert!(log.contains("C: DATA") && !log.contains("sent by a scheduled pass"), "mail in the log: {log}");
    drop(run.commands);
    run.task.await.unwrap();
}

/// Subjects in the store's folder of this role.
async fn subjects_in(store: &tidings_mail::store::StoreHandle, key: &str, role: Role) -> Vec<String> {
    let key = key.to_string();
    store
        .call(move |s| {
            let a = s.account(&key)?;
            let Some(folder) = s.folders(a)?.into_iter().find(|f| f.role == Some(role)) else {
                return Ok(Vec::new());
            };
            let rows = s.list(folder.id, tidings_mail::store::Sort::NEWEST, 0, 1_000)?;
            Ok(rows.into_iter().filter_map(|r| r.summary.subject).collect())
        })
        .await
        .unwrap()
}

/// The pass that sends a message shows its Sent copy: receiving ran before the copy was
/// stored, and IDLE watches the Inbox only by default, so without a sync of that folder the
/// copy would show only at the next pass.
#[tokio::test]
async fn the_sent_copy_is_in_the_sent_folder_when_the_pass_that_sent_it_ends() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let mut account = account(&s, alice, Incoming::Imap, s.imaps_port());
    account.options.schedule = tidings_mail::schedule::Schedule { at_start: true, every_minutes: None };
    let secrets = Secrets::in_memory();
    secrets.set(&account.id, SecretRole::Incoming, &alice.password).unwrap();
    let st = new_store();
    let raw = format!(
        "From: Alice <{}>\r\nTo: <{}>\r\nSubject: copy at once\r\n\r\nfiled and shown\r\n",
        alice.email, bob.email
    );
    outbox::enqueue(&st.store, &account.id, Outgoing::from_message(raw.as_bytes(), &alice.email).unwrap())
        .await
        .unwrap();
    let mut run = start_on(st, account.clone(), secrets, RunSettings::default());
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();
    assert_eq!(s.message_count(alice, "Sent").unwrap(), 1, "the copy is on the server");
    assert_eq!(subjects_in(&run.store, &account.id, Role::Sent).await, ["copy at once"], "and in the store");
    let sending =
        seen.iter().rposition(|e| matches!(e, AccountEvent::Sending { done: 1, total: 1 })).unwrap();
    assert!(
        seen[sending..].iter().any(|e| matches!(e, AccountEvent::Changed)),
        "the lists are told to refresh after the copy: {seen:#?}"
    );
    drop(run.commands);
    run.task.await.unwrap();
}
