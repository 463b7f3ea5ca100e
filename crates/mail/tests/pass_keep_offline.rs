//! Mail kept offline, against the testkit's Dovecot: with the option on, the bodies follow
//! each pass in the background (every folder, or only the last days), each stored once and
//! never asked for again; off, none is downloaded. A download cut off by the server
//! (`doveadm kick`) or killed with SIGKILL finishes on the next run with every body stored
//! once, byte for byte what the server holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pass_common::{account, new_store, secrets_for, servers, start_on};
use tidings_mail::account::{Incoming, Security};
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::options::KeepOffline;
use tidings_mail::pass::{AccountEvent, OfflineProgress, RunSettings, keep_offline};
use tidings_mail::schedule::Command as PassCommand;
use tidings_mail::store::{Store, StoreHandle};
use tidings_mail::sync::{Engine, no_progress};
use tidings_testkit::{MailServers, User};

const ENV: &str = "TIDINGS_OFFLINE_KILL_TEST";

/// Bodies in the store file, and messages: (bodies, messages, messages with more than one
/// body row — impossible by the schema, checked anyway).
fn counts(db: &Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let one = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (one("SELECT COUNT(*) FROM bodies"), one("SELECT COUNT(*) FROM messages"))
}

/// Every stored body has the size the server gave for it (RFC822.SIZE).
fn bodies_match_sizes(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let wrong: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM bodies b JOIN messages m ON m.id = b.message WHERE length(b.raw) != m.size",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(wrong, 0, "bodies differing from what the server holds");
}

/// The `UID FETCH … BODY.PEEK[]` commands in a transcript log.
fn body_fetches(log: &str) -> usize {
    log.lines().filter(|l| l.contains(" C: ") && l.contains("BODY.PEEK[]")).count()
}

/// A message of about `kb` KiB dated `date` (unix seconds).
fn big_message(n: usize, to: &str, kb: usize, date: i64) -> Vec<u8> {
    let date = httpdate(date);
    let mut raw = format!(
        "From: Sender {n} <s{n}@example.test>\r\nTo: <{to}>\r\nSubject: big {n}\r\nDate: {date}\r\n\
         Message-ID: <big-{n}@example.test>\r\n\r\n"
    )
    .into_bytes();
    let line = format!("line of message {n} ........................................................\r\n");
    while raw.len() < kb * 1024 {
        raw.extend_from_slice(line.as_bytes());
    }
    raw
}

/// RFC 5322 date in UTC ("2 Jan 2026 03:04:05 +0000"), from unix seconds.
fn httpdate(t: i64) -> String {
    // Days to a civil date (H. Hinnant's algorithm).
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let name = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        [(month - 1) as usize];
    format!("{day} {name} {year} {:02}:{:02}:{:02} +0000", secs / 3600, secs % 3600 / 60, secs % 60)
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// `count` seeded messages, the older half moved to a second folder.
fn two_folders(s: &MailServers, user: &User, count: usize) {
    s.seed(user, count).unwrap();
    s.doveadm(&["mailbox", "create", "-u", &user.login, "Archive"]).unwrap();
    let half = format!("1:{}", count / 2);
    s.doveadm(&["move", "-u", &user.login, "Archive", "mailbox", "INBOX", "uid", &half]).unwrap();
    assert_eq!(s.message_count(user, "Archive").unwrap(), count / 2);
}

/// The end of the `nth` download (from 1) of the run: the pass's end and the download's are
/// told on two channels, so the download's may already be among the events seen.
async fn download_end(
    r: &mut pass_common::Running,
    seen: &mut Vec<AccountEvent>,
    nth: usize,
) -> OfflineProgress {
    let ended = |e: &AccountEvent| match e {
        AccountEvent::KeepingOffline(p) if p.finished => Some(p.clone()),
        _ => None,
    };
    loop {
        if let Some(end) = seen.iter().filter_map(ended).nth(nth - 1) {
            return end;
        }
        r.wait_for(60, seen, ended).await;
    }
}

#[tokio::test]
async fn all_folders_every_body_stored_once_and_not_asked_for_again() {
    let s = servers();
    let alice = s.user("alice").clone();
    two_folders(&s, &alice, 300);
    let mut a = account(&s, &alice, Incoming::Imap, s.imaps_port());
    a.options.keep_offline = KeepOffline::All;
    a.options.schedule.every_minutes = None;
    let store = new_store();
    let db = store.path.clone();
    let mut r = start_on(store, a.clone(), secrets_for(&a, &alice.password), RunSettings::default());
    let mut seen = Vec::new();
    r.next_pass_end(60, &mut seen).await.unwrap();
    let end = download_end(&mut r, &mut seen, 1).await;
    assert_eq!((end.done, end.total, end.error.as_deref()), (300, 300, None), "{seen:#?}");
    // Progress showed on the way: a count before the end.
    assert!(
        seen.iter().any(|e| matches!(e, AccountEvent::KeepingOffline(p) if !p.finished && p.total == 300))
    );
    assert_eq!(counts(&db), (300, 300));
    bodies_match_sizes(&db);
    assert_eq!(httpdate(1_767_323_045), "2 Jan 2026 03:04:05 +0000");
    let fetched = body_fetches(&r.log_without(&alice.password));
    assert!(fetched >= 2, "one fetch per folder at least: {fetched}");

    // The next pass: nothing left to download, nothing asked for again.
    r.commands.send(PassCommand::RunNow).await.unwrap();
    r.next_pass_end(60, &mut seen).await.unwrap();
    let end = download_end(&mut r, &mut seen, 2).await;
    assert_eq!((end.done, end.total), (300, 300));
    assert_eq!(body_fetches(&r.log_without(&alice.password)), fetched);
    assert_eq!(counts(&db), (300, 300));
}

#[tokio::test]
async fn the_last_days_only_and_off_downloads_nothing() {
    let s = servers();
    let alice = s.user("alice").clone();
    // Seeded mail is years old; three recent messages, one of them a day old.
    s.seed(&alice, 100).unwrap();
    for (n, age_days) in [(1, 0), (2, 1), (3, 2)] {
        s.deliver(&alice, &big_message(n, &alice.email, 2, now() - age_days * 86_400)).unwrap();
    }
    let mut a = account(&s, &alice, Incoming::Imap, s.imaps_port());
    a.options.keep_offline = KeepOffline::Days(7);
    a.options.schedule.every_minutes = None;
    let store = new_store();
    let db = store.path.clone();
    let mut r = start_on(store, a.clone(), secrets_for(&a, &alice.password), RunSettings::default());
    let mut seen = Vec::new();
    r.next_pass_end(60, &mut seen).await.unwrap();
    let end = download_end(&mut r, &mut seen, 1).await;
    assert_eq!((end.done, end.total), (3, 3), "{seen:#?}");
    assert_eq!(counts(&db), (3, 103));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let subjects: Vec<String> = conn
        .prepare("SELECT m.subject FROM bodies b JOIN messages m ON m.id = b.message ORDER BY m.subject")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(subjects, ["big 1", "big 2", "big 3"]);
    drop(r);

    // Off (the default): a pass stores headers only.
    let bob = s.user("bob").clone();
    s.seed(&bob, 50).unwrap();
    let mut b = account(&s, &bob, Incoming::Imap, s.imaps_port());
    b.options.schedule.every_minutes = None;
    assert_eq!(b.options.keep_offline, KeepOffline::Off);
    let store = new_store();
    let db = store.path.clone();
    let mut r = start_on(store, b.clone(), secrets_for(&b, &bob.password), RunSettings::default());
    let mut seen = Vec::new();
    r.next_pass_end(60, &mut seen).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(e) = r.events.try_recv() {
        seen.push(e);
    }
    assert!(!seen.iter().any(|e| matches!(e, AccountEvent::KeepingOffline(_))), "{seen:#?}");
    assert_eq!(counts(&db), (0, 50));
    assert_eq!(body_fetches(&r.log_without(&bob.password)), 0);
}

/// 60 messages of 200 KiB: a dozen chunks.
fn big_mailbox(s: &MailServers, user: &User) {
    for n in 0..60 {
        s.deliver(user, &big_message(n, &user.email, 200, now() - 86_400)).unwrap();
    }
}

fn engine(s: &MailServers, user: &User, store: StoreHandle) -> Engine {
    let mut ep = Endpoint::new(s.host(), s.imaps_port(), Security::Implicit);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    Engine::with_endpoint("alice", ep, &user.login, &user.password, store, Transcript::new())
}

#[tokio::test]
async fn a_download_cut_off_by_the_server_finishes_on_the_next_run() {
    let s = servers();
    let alice = s.user("alice").clone();
    big_mailbox(&s, &alice);
    let store = new_store();
    let mut e = engine(&s, &alice, store.store.clone());
    e.sync_account(&no_progress).await.unwrap();
    // The server ends the session after the first chunk is stored.
    let kicked = std::sync::atomic::AtomicBool::new(false);
    let kick = |p: &OfflineProgress| {
        if p.done > 0 && !kicked.swap(true, std::sync::atomic::Ordering::Relaxed) {
            s.doveadm(&["kick", &alice.login]).unwrap();
        }
    };
    let err = keep_offline(&mut e, KeepOffline::All, &|| false, &kick).await.unwrap_err();
    assert_eq!(err.kind(), tidings_mail::Kind::Network, "{err}");
    let (stored, total) = counts(&store.path);
    assert!(stored > 0 && stored < total, "cut off midway: {stored} of {total}");

    let report = keep_offline(&mut e, KeepOffline::All, &|| false, &|_| {}).await.unwrap();
    assert_eq!(report.stored as i64, total - stored, "only what was missing: {report:?}");
    assert_eq!((report.done, report.total), (60, 60));
    assert_eq!(counts(&store.path), (60, 60));
    bodies_match_sizes(&store.path);
}

/// The child of the kill test: downloads, printing its progress, until it is killed. Run only
/// by the parent test (with the variable set), hence ignored.
#[tokio::test]
#[ignore = "the child process of the kill test below"]
async fn child_downloads_until_killed() {
    let args = std::env::var(ENV).expect("run by the parent test");
    let a: Vec<&str> = args.split('\n').collect();
    let (db, port, ca, user, password) = (a[0], a[1].parse().unwrap(), a[2], a[3], a[4]);
    let store = StoreHandle::spawn(Store::open(db).unwrap()).unwrap();
    let mut ep = Endpoint::new("127.0.0.1", port, Security::Implicit);
    ep.trust = TrustAnchors { extra_ca_pem: vec![std::fs::read(ca).unwrap()], pin: None };
    let mut e = Engine::with_endpoint("alice", ep, user, password, store, Transcript::new());
    let progress = |p: &OfflineProgress| {
        println!("stored {}", p.done);
        // Slow enough for the parent to kill it between two chunks or inside one.
        std::thread::sleep(Duration::from_millis(150));
    };
    keep_offline(&mut e, KeepOffline::All, &|| false, &progress).await.unwrap();
    println!("finished");
}

#[tokio::test]
async fn a_download_killed_midway_finishes_on_the_next_run() {
    let s = servers();
    let alice = s.user("alice").clone();
    big_mailbox(&s, &alice);
    let store = new_store();
    engine(&s, &alice, store.store.clone()).sync_account(&no_progress).await.unwrap();
    let args = [
        store.path.display().to_string(),
        s.imaps_port().to_string(),
        s.ca_path().display().to_string(),
        alice.login.clone(),
        alice.password.clone(),
    ]
    .join("\n");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_downloads_until_killed", "--nocapture"])
        .env(ENV, args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the child ended without storing anything").unwrap();
        assert_ne!(line, "finished", "the child finished before it was killed");
        if line.strip_prefix("stored ").is_some_and(|n| n != "0") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (stored, total) = counts(&store.path);
    assert!(stored > 0 && stored < total, "killed midway: {stored} of {total}");

    // The store opens cleanly after the kill, and the next run brings the rest.
    let reopened = StoreHandle::spawn(Store::open(&store.path).unwrap()).unwrap();
    let mut e = engine(&s, &alice, reopened);
    let report = keep_offline(&mut e, KeepOffline::All, &|| false, &|_| {}).await.unwrap();
    assert_eq!(report.stored as i64, total - stored, "{report:?}");
    assert_eq!(counts(&store.path), (60, 60));
    bodies_match_sizes(&store.path);
}
