//! Push beyond INBOX, against the testkit's Dovecot: a message filed into a folder that is
//! only polled (STATUS each IDLE re-issue) reaches the store with no command; a second idled
//! folder wakes on its own. Messages are filed server-side with `doveadm save`, as a Sieve
//! rule or another program would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::idle::{IdleConfig, Mode};
use tidings_mail::net::Transcript;
use tidings_mail::options::IdleFolders;
use tidings_mail::store::{Sort, Store, StoreHandle};
use tidings_mail::sync::push::{PushEvent, push_account};
use tidings_mail::sync::{Engine, no_progress};
use tidings_testkit::MailServers;
use tokio::sync::mpsc::UnboundedReceiver;

/// Files a message into `folder` of `login`'s mailbox, server-side.
fn file_into(s: &MailServers, login: &str, folder: &str, subject: &str) {
    let raw = format!(
        "From: Carol <carol@example.test>\r\nTo: <{login}@example.test>\r\nSubject: {subject}\r\n\
         Date: Tue, 1 Oct 2024 10:00:00 +0000\r\nMessage-ID: <{subject}@example.test>\r\n\r\nfiled\r\n"
    );
    let mut child = Command::new("doveadm")
        .arg("-c")
        .arg(s.dovecot_conf())
        .args(["save", "-u", login, "-m", folder])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("doveadm (from the testkit's Dovecot) could not be started");
    child.stdin.take().unwrap().write_all(raw.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "doveadm save failed: {}", String::from_utf8_lossy(&out.stderr));
}

struct Setup {
    servers: MailServers,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
    events: UnboundedReceiver<PushEvent>,
    task: tokio::task::JoinHandle<()>,
}

/// Alice's account synced once, then pushed with `which` and IDLE re-issued every `reissue`.
async fn start(which: IdleFolders, reissue: Duration) -> Setup {
    let s = common::servers();
    let alice = s.user("alice").clone();
    s.seed(&alice, 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
    let mut engine = Engine::with_endpoint(
        "alice",
        ep.clone(),
        alice.login.clone(),
        alice.password.clone(),
        store,
        Transcript::new(),
    );
    assert!(engine.sync_account(&no_progress).await.unwrap().ok());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = IdleConfig { reissue, ..IdleConfig::default() };
    let task = tokio::spawn(push_account(
        engine,
        ep,
        Credential::password(alice.login, alice.password),
        cfg,
        which,
        tx,
    ));
    Setup { servers: s, path, _dir: dir, events: rx, task }
}

/// Waits for the watcher states of `folders` to say "idling"; returns the polled folders seen.
async fn until_idling(rx: &mut UnboundedReceiver<PushEvent>, folders: &[&str]) -> Vec<String> {
    let mut idling: Vec<String> = Vec::new();
    let mut polled = Vec::new();
    while !folders.iter().all(|f| idling.iter().any(|i| i == f)) {
        match tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("no IDLE in 20 s") {
            Some(PushEvent::State(st)) if st.mode == Mode::Idling => {
                assert!(st.idling_since.is_some() && st.last_server_line.is_some(), "{st:?}");
                idling.push(st.folder);
            }
            Some(PushEvent::State(st)) if st.mode == Mode::Polling => polled.push(st.folder),
            Some(PushEvent::Failed(e)) => panic!("{e}"),
            Some(_) => {}
            None => panic!("push ended"),
        }
    }
    polled
}

/// Lets the first syncs (each watcher's first message count) pass: returns after a second
/// with no event.
async fn quiet(rx: &mut UnboundedReceiver<PushEvent>) {
    while let Ok(ev) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
        match ev {
            Some(PushEvent::Failed(e)) => panic!("{e}"),
            Some(PushEvent::Synced(r)) => assert_eq!(r.new, 0, "nothing new yet: {r:?}"),
            Some(_) => {}
            None => panic!("push ended"),
        }
    }
}

/// Waits for a sync of `folder` that brought new mail; returns the time since `t0`.
async fn until_synced(
    rx: &mut UnboundedReceiver<PushEvent>,
    folder: &str,
    t0: Instant,
    within: Duration,
) -> Duration {
    loop {
        let left = within.saturating_sub(t0.elapsed());
        match tokio::time::timeout(left, rx.recv()).await {
            Err(_) => panic!("{folder} was not synced within {within:?}"),
            Ok(Some(PushEvent::Synced(r))) if r.folder == folder && r.new > 0 => {
                assert_eq!(r.new, 1, "{r:?}");
                return t0.elapsed();
            }
            Ok(Some(PushEvent::Failed(e))) => panic!("{e}"),
            Ok(Some(_)) => {}
            Ok(None) => panic!("push ended"),
        }
    }
}

fn stored_subjects(path: &std::path::Path, folder: &str) -> Vec<String> {
    let mut reader = Store::open(path).unwrap();
    let account = reader.account("alice").unwrap();
    let f = reader.folder(account, folder).unwrap().expect("folder in the store");
    reader.list(f.id, Sort::NEWEST, 0, 100).unwrap().into_iter().filter_map(|r| r.summary.subject).collect()
}

#[tokio::test]
async fn mail_filed_into_a_polled_folder_reaches_the_store_without_a_command() {
    let reissue = Duration::from_secs(2);
    let mut t = start(IdleFolders::Inbox, reissue).await;
    let polled = until_idling(&mut t.events, &["INBOX"]).await;
    assert!(polled.iter().any(|f| f == "Archive"), "Archive is polled: {polled:?}");
    quiet(&mut t.events).await;

    let t0 = Instant::now();
    file_into(&t.servers, "alice", "Archive", "filed-away");
    // At most one STATUS round away (plus the sync); generous for a loaded machine.
    let took = until_synced(&mut t.events, "Archive", t0, reissue * 5 + Duration::from_secs(5)).await;
    println!(
        "filed into Archive → synced by polling: {} ms (doveadm save included; STATUS every {reissue:?})",
        took.as_millis()
    );
    assert!(stored_subjects(&t.path, "Archive").contains(&"filed-away".to_string()));
    t.task.abort();
}

#[tokio::test]
async fn a_second_idled_folder_wakes_on_its_own() {
    // Re-issued and polled only every 10 minutes: a sync within seconds can only come from
    // the Junk folder's own IDLE.
    let mut t = start(IdleFolders::Special, Duration::from_secs(600)).await;
    let polled = until_idling(&mut t.events, &["INBOX", "Junk", "Sent", "Drafts", "Archive"]).await;
    assert!(!polled.iter().any(|f| f == "Junk"), "Junk is idled, not polled: {polled:?}");
    quiet(&mut t.events).await;

    let t0 = Instant::now();
    file_into(&t.servers, "alice", "Junk", "spam-ish");
    let took = until_synced(&mut t.events, "Junk", t0, Duration::from_secs(20)).await;
    println!("filed into Junk → synced by its IDLE: {} ms (doveadm save included)", took.as_millis());
    assert!(took < Duration::from_secs(20));
    assert!(stored_subjects(&t.path, "Junk").contains(&"spam-ish".to_string()));
    t.task.abort();
}
