//! IDLE against the real testkit Dovecot: a message submitted through Postfix while idling
//! is announced without any command (latency printed); polling when IDLE is off; reconnects
//! with exponential backoff when the connection drops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use lettre::address::Envelope;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::idle::{IdleConfig, IdleEvent, Mode, watch};
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::smtp;
use tidings_testkit::fault::{FaultServer, Proto};
use tokio::sync::mpsc::UnboundedReceiver;

async fn next_matching(
    rx: &mut UnboundedReceiver<IdleEvent>,
    within: Duration,
    f: impl Fn(&IdleEvent) -> bool,
) -> IdleEvent {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(e)) if f(&e) => return e,
            Ok(Some(_)) => continue,
            other => panic!("no matching IDLE event within {within:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn mail_submitted_through_postfix_is_announced_while_idling() {
    let s = common::servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch(
        ep,
        Credential::password(alice.login.clone(), alice.password.clone()),
        IdleConfig::default(),
        tx,
    ));
    next_matching(&mut rx, Duration::from_secs(15), |e| matches!(e, IdleEvent::Exists(0))).await;
    next_matching(
        &mut rx,
        Duration::from_secs(15),
        |e| matches!(e, IdleEvent::State(st) if st.mode == Mode::Idling),
    )
    .await;

    // bob submits a message to alice through Postfix (STARTTLS + AUTH), with our own client.
    let sub = common::endpoint(&s, s.submission_port(), Security::StartTls);
    let t = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = smtp::open(&sub, &t, &mut facts).await.unwrap();
    let credential = Credential::password(&bob.login, &bob.password);
    let mut conn = smtp::login(lc, &sub, &credential, &facts).await.unwrap();
    let envelope =
        Envelope::new(Some(bob.email.parse().unwrap()), vec![alice.email.parse().unwrap()]).unwrap();
    let raw = format!(
        "From: <{}>\r\nTo: <{}>\r\nSubject: idle probe\r\nMessage-ID: <idle-probe@example.test>\r\n\r\nhello\r\n",
        bob.email, alice.email
    );
    conn.send(&envelope, raw.as_bytes()).await.unwrap();
    let accepted = Instant::now();
    next_matching(&mut rx, Duration::from_secs(20), |e| matches!(e, IdleEvent::Exists(1))).await;
    let latency = accepted.elapsed();
    println!("SMTP accepted → IDLE EXISTS: {} ms", latency.as_millis());
    assert!(latency < Duration::from_secs(10), "took {latency:?}");
    watcher.abort();
}

#[tokio::test]
async fn with_idle_off_the_folder_is_polled() {
    let s = common::servers();
    let alice = s.user("alice");
    let ep = common::endpoint(&s, s.imap_port(), Security::StartTls);
    let cfg = IdleConfig { use_idle: false, poll_every: Duration::from_millis(200), ..Default::default() };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher =
        tokio::spawn(watch(ep, Credential::password(alice.login.clone(), alice.password.clone()), cfg, tx));
    next_matching(
        &mut rx,
        Duration::from_secs(15),
        |e| matches!(e, IdleEvent::State(st) if st.mode == Mode::Polling),
    )
    .await;
    s.deliver(alice, b"From: <x@example.test>\r\nSubject: polled\r\n\r\nbody\r\n").unwrap();
    next_matching(&mut rx, Duration::from_secs(10), |e| matches!(e, IdleEvent::Exists(1))).await;
    watcher.abort();
}

#[tokio::test]
async fn a_dropped_connection_is_retried_with_exponential_backoff() {
    let server = FaultServer::drop_after(Proto::Imap, 0).await.unwrap();
    let mut ep = Endpoint::new("127.0.0.1", server.port(), Security::None);
    ep.timeouts.io = Duration::from_secs(2);
    let cfg = IdleConfig {
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(80),
        ..Default::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch(ep, Credential::password("alice", "pw"), cfg, tx));
    let mut waits = Vec::new();
    while waits.len() < 4 {
        if let IdleEvent::State(st) = next_matching(
            &mut rx,
            Duration::from_secs(10),
            |e| matches!(e, IdleEvent::State(st) if st.mode == Mode::Offline),
        )
        .await
        {
            assert_eq!(st.reconnects as usize, waits.len() + 1);
            assert!(st.last_error.is_some());
            waits.push(st.retry_in.unwrap().as_millis());
        }
    }
    assert_eq!(waits, [20, 40, 80, 80]);
    watcher.abort();
}
