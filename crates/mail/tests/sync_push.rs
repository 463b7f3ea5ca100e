//! New mail reaches the store with no command: IDLE announces a message submitted through
//! Postfix and push syncs it (time measured and printed; asserted generously). And a sync cut
//! off by the server midway (Dovecot kicks the session) completes on the next run with no
//! duplicate and no lost message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use lettre::address::Envelope;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::idle::IdleConfig;
use tidings_mail::net::Transcript;
use tidings_mail::smtp;
use tidings_mail::store::{Role, Store, StoreHandle};
use tidings_mail::sync::push::{PushEvent, push};
use tidings_mail::sync::{Engine, Phase, Progress, no_progress};

#[tokio::test]
async fn mail_delivered_while_idling_reaches_the_store_without_a_command() {
    let s = common::servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    s.seed(alice, 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
    let mut engine = Engine::with_endpoint(
        "alice",
        ep.clone(),
        alice.login.clone(),
        alice.password.clone(),
        store.clone(),
        Transcript::new(),
    );
    engine.sync_account(&no_progress).await.unwrap();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(push(
        engine,
        ep,
        Credential::password(alice.login.clone(), alice.password.clone()),
        IdleConfig::default(),
        tx,
    ));
    loop {
        match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await.unwrap() {
            Some(PushEvent::State(st)) if st.mode == tidings_mail::idle::Mode::Idling => break,
            Some(_) => continue,
            None => panic!("push ended"),
        }
    }

    let sub = common::endpoint(&s, s.submission_port(), Security::StartTls);
    let t = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = smtp::open(&sub, &t, &mut facts).await.unwrap();
    let credential = Credential::password(&bob.login, &bob.password);
    let mut conn = smtp::login(lc, &sub, &credential, &facts).await.unwrap();
    let envelope =
        Envelope::new(Some(bob.email.parse().unwrap()), vec![alice.email.parse().unwrap()]).unwrap();
    let raw = format!(
        "From: Bob <{}>\r\nTo: <{}>\r\nSubject: pushed\r\nMessage-ID: <push@example.test>\r\n\r\nhi\r\n",
        bob.email, alice.email
    );
    conn.send(&envelope, raw.as_bytes()).await.unwrap();
    let sent = Instant::now();

    let mut reader = Store::open(&path).unwrap();
    let account = reader.account("alice").unwrap();
    let inbox = reader.folders(account).unwrap().into_iter().find(|f| f.role == Some(Role::Inbox)).unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.unwrap() {
            Some(PushEvent::Synced(r)) if r.new > 0 => break,
            Some(PushEvent::Failed(e)) => panic!("{e}"),
            Some(_) => continue,
            None => panic!("push ended"),
        }
    }
    let latency = sent.elapsed();
    let rows = reader.list(inbox.id, tidings_mail::store::Sort::NEWEST, 0, 10).unwrap();
    assert!(rows.iter().any(|r| r.summary.subject.as_deref() == Some("pushed")), "not in the store");
    println!("SMTP accepted → in the store: {} ms", latency.as_millis());
    assert!(latency < Duration::from_secs(10), "{latency:?}");
    task.abort();
}

#[tokio::test]
async fn a_sync_cut_off_by_the_server_completes_next_time_without_duplicates() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 3000).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
    let engine = || {
        Engine::with_endpoint(
            "alice",
            ep.clone(),
            alice.login.clone(),
            alice.password.clone(),
            store.clone(),
            Transcript::new(),
        )
    };

    // Kick alice's sessions as soon as headers start arriving.
    let login = alice.login.clone();
    let conf = s.dovecot_conf();
    let kicked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let k = kicked.clone();
    let kick = move |p: &Progress| {
        if p.phase == Phase::Headers && p.done >= 100 && !k.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let _ =
                std::process::Command::new("doveadm").arg("-c").arg(&conf).args(["kick", &login]).output();
        }
    };
    let mut first = engine();
    let cut = first.sync_account(&kick).await;
    assert!(kicked.load(std::sync::atomic::Ordering::SeqCst), "the kick never happened");
    println!("first sync after the kick: {:?}", cut.as_ref().map(|r| r.ok()));

    let report = engine().sync_account(&no_progress).await.unwrap();
    assert!(report.ok(), "{report:?}");
    let mut reader = Store::open(&path).unwrap();
    let account = reader.account("alice").unwrap();
    let inbox = reader.folders(account).unwrap().into_iter().find(|f| f.role == Some(Role::Inbox)).unwrap();
    let uids = reader.uids(inbox.id, inbox.uidvalidity.unwrap()).unwrap();
    assert_eq!(uids.len(), 3000, "lost or extra messages");
    let mut dedup = uids.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), 3000, "duplicates");
}
