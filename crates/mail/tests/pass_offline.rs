//! Offline and back: while the server cannot be reached (nothing listens on its port, as
//! when the network is down) each pass fails with a network error and the account goes
//! "offline, retrying in …" with exponential backoff; once the server is reachable again
//! the next retry is the pass that brings the mail in. Against the testkit's Dovecot,
//! reached through a small TCP relay the test starts when the "network" comes back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use std::time::Duration;

use pass_common::{account, secrets_for, servers, start};
use tidings_mail::account::Incoming;
use tidings_mail::pass::{AccountEvent, RunSettings};
use tidings_mail::schedule::{Event, Reason};
use tokio::net::{TcpListener, TcpStream};

/// A loopback port nothing listens on (bound once to pick it, then released).
async fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
}

/// Relays every connection to `port` on `to`, until the task is dropped.
async fn relay(port: u16, to: u16) -> tokio::task::JoinHandle<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", to)).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    })
}

#[tokio::test]
async fn network_failures_back_off_and_the_retry_after_recovery_brings_the_mail() {
    let s = servers();
    let alice = s.user("alice");
    s.seed(alice, 4).unwrap();
    let port = free_port().await;
    let mut account = account(&s, alice, Incoming::Imap, port);
    account.incoming.host = "127.0.0.1".into();
    let mut run = start(account.clone(), secrets_for(&account, &alice.password), RunSettings::default());

    let mut seen = Vec::new();
    let mut retries = Vec::new();
    while retries.len() < 3 {
        let (reason, retry) = run
            .wait_for(30, &mut seen, |e| match e {
                AccountEvent::Schedule(Event::Offline { reason, retry_in }) => {
                    Some((reason.clone(), *retry_in))
                }
                AccountEvent::Schedule(Event::PassFinished { .. }) => panic!("a pass cannot succeed offline"),
                _ => None,
            })
            .await;
        assert!(reason.contains(&port.to_string()) || reason.contains("127.0.0.1"), "{reason}");
        retries.push(retry.unwrap());
    }
    // Minutes of a second: half a minute, doubling, capped at the 2-minute interval.
    assert_eq!(retries, [Duration::from_millis(500), Duration::from_secs(1), Duration::from_secs(2)]);
    assert!(run.inbox_subjects(&account.id).await.is_empty());

    // The network is back: the next retry is the pass that brings the mail.
    let _relay = relay(port, s.imaps_port()).await;
    let from = seen.len();
    run.wait_for(30, &mut seen, |e| match e {
        AccountEvent::Schedule(Event::PassFinished { ok, error, .. }) => {
            assert!(ok, "{error:?}");
            Some(())
        }
        _ => None,
    })
    .await;
    let reasons: Vec<Reason> = seen
        .iter()
        .filter_map(|e| match e {
            AccountEvent::Schedule(Event::PassStarted(r)) => Some(*r),
            _ => None,
        })
        .collect();
    assert_eq!(reasons[0], Reason::Start);
    assert!(reasons[1..].iter().all(|r| *r == Reason::Retry), "{reasons:?}");
    assert!(
        !seen[from..].iter().any(|e| matches!(e, AccountEvent::Schedule(Event::Offline { .. }))),
        "no failure after the network came back: {seen:#?}"
    );
    assert_eq!(run.inbox_subjects(&account.id).await.len(), 4);
    drop(run.commands);
    run.task.await.unwrap();
}
