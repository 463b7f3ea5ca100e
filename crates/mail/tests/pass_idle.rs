//! IDLE beside the schedule, against the testkit's Dovecot: with IDLE on and no interval,
//! mail submitted through Postfix arrives through push with no pass at all and is
//! announced like a pass's; IDLE turned off in the options stops push, and a manual
//! Send/Receive then fetches the next message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use std::time::Duration;

use pass_common::{account, secrets_for, send_through_postfix, servers, start};
use tidings_mail::account::Incoming;
use tidings_mail::idle::Mode;
use tidings_mail::pass::{AccountEvent, RunSettings};
use tidings_mail::schedule::{Command, Event, Reason, Schedule};

fn passes(seen: &[AccountEvent]) -> Vec<Reason> {
    seen.iter()
        .filter_map(|e| match e {
            AccountEvent::Schedule(Event::PassStarted(r)) => Some(*r),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn idle_brings_new_mail_between_passes_and_stops_when_turned_off() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    s.seed(alice, 2).unwrap();
    let mut account = account(&s, alice, Incoming::Imap, s.imaps_port());
    account.options.idle = true;
    account.options.schedule = Schedule { at_start: true, every_minutes: None };
    let mut run = start(account.clone(), secrets_for(&account, &alice.password), RunSettings::default());
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();
    // IDLE starts beside the start pass: it may be idling before the pass ends.
    let idling = |e: &AccountEvent| match e {
        AccountEvent::Idle(st) if st.mode == Mode::Idling => Some(st.idling_since),
        _ => None,
    };
    let since = match seen.iter().find_map(idling) {
        Some(since) => since,
        None => run.wait_for(30, &mut seen, idling).await,
    };
    assert!(since.is_some(), "idling since when");

    send_through_postfix(&s, bob, alice, "Pushed to the account").await;
    let new_mail = |e: &AccountEvent| match e {
        AccountEvent::NewMail(m) => Some(m.clone()),
        _ => None,
    };
    let mail = run.wait_for(30, &mut seen, new_mail).await;
    assert_eq!(mail.first_subject, "Pushed to the account");
    assert_eq!(passes(&seen), [Reason::Start], "push, not a pass, fetched it");
    assert!(seen.iter().any(|e| matches!(e, AccountEvent::Changed)));

    // IDLE off: push stops; the next message waits for Send/Receive.
    let mut options = account.options;
    options.idle = false;
    run.commands.send(Command::Options(options)).await.unwrap();
    run.wait_for(30, &mut seen, |e| matches!(e, AccountEvent::IdleStopped).then_some(())).await;
    let from = seen.len();
    send_through_postfix(&s, bob, alice, "Fetched when asked").await;
    // Give push time it would have needed (it took well under this above).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, run.events.recv()).await {
        seen.push(e);
    }
    assert!(
        !seen[from..].iter().any(|e| matches!(e, AccountEvent::NewMail(_) | AccountEvent::Idle(_))),
        "{:#?}",
        &seen[from..]
    );
    run.commands.send(Command::RunNow).await.unwrap();
    let mail = run.wait_for(30, &mut seen, new_mail).await;
    assert_eq!(mail.first_subject, "Fetched when asked");
    assert_eq!(passes(&seen), [Reason::Start, Reason::Manual]);
    drop(run.commands);
    run.task.await.unwrap();
}
