//! Never lost, never doubled: a flush of the Outbox running in a child process (this test
//! binary again) is killed with SIGKILL at random points — while connecting, between MAIL
//! FROM and the server's reply, right after the acceptance was recorded, while the Sent copy
//! is stored — over and over, with new messages queued between rounds. Then a flush runs to
//! completion. Every message must be in bob's INBOX exactly once, or still in the Outbox
//! (held as "may already have been sent" when the kill fell between the server's reply and
//! its recording — then at most once in bob's INBOX); never twice. alice's Sent holds one
//! copy of each message that left the Outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod send_common;

use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use send_common::*;
use tidings_mail::account::Security;
use tidings_mail::check::Passwords;
use tidings_mail::net::Transcript;
use tidings_mail::outbox::{self, OutboxState, OutboxStatus};
use tidings_mail::send::{SendProgress, flush_outbox};
use tidings_mail::store::{Store, StoreHandle};
use tidings_testkit::kill::{ChildTest, Rng};

const ENV: &str = "TIDINGS_SEND_KILL_TEST";
const ROUNDS: usize = 24;

/// The child: one flush, printing progress, until the parent kills it. Run only by the
/// parent test (with the variable set), hence ignored.
#[tokio::test]
#[ignore = "the child process of a_flush_killed_at_random_points_loses_and_doubles_nothing"]
async fn child_flushes_until_killed() {
    let args = std::env::var(ENV).expect("run by the parent test");
    let a: Vec<&str> = args.split('\n').collect();
    let (db, account_json, password) = (a[0], a[1], a[2]);
    let account: tidings_mail::account::Account = serde_json::from_str(account_json).unwrap();
    let store = StoreHandle::spawn(Store::open(db).unwrap()).unwrap();
    let passwords = Passwords { incoming: password.into(), outgoing: password.into() }.credentials(&account);
    let progress = |p: &SendProgress| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "progress {} {} {}", p.outbox_id, p.bytes_sent, p.bytes_total);
        let _ = out.flush();
    };
    let r = flush_outbox(&store, &account, &passwords, &Transcript::new(), &progress).await.unwrap();
    println!("finished {} {}", r.sent.len(), r.filed);
}

#[tokio::test]
async fn a_flush_killed_at_random_points_loses_and_doubles_nothing() {
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite3");
    let account = account(&s, alice, Security::StartTls);
    let mut rng = Rng::from_env("kill points");
    let mut all_ids = Vec::new();
    let mut killed_midway = 0;
    for round in 0..ROUNDS {
        {
            let st = StoreHandle::spawn(Store::open(&db).unwrap()).unwrap();
            for n in 0..(1 + rng.draw() % 2) {
                // Some large enough for the data to take several writes.
                let size = if rng.draw().is_multiple_of(3) { 400_000 } else { 2_000 };
                let m = message(alice, &bob.email, &format!("round {round} #{n}"), &binary(size, rng.draw()));
                all_ids.push(enqueue(&st, &account, m).await.message_id);
            }
        }
        let args =
            [db.display().to_string(), serde_json::to_string(&account).unwrap(), alice.password.clone()];
        let mut child = ChildTest::start("child_flushes_until_killed", ENV, &args).unwrap();
        // A third at a random instant from the start (connecting, logging in, the first
        // message), a third a few milliseconds after a message began (MAIL, RCPT, the claim,
        // DATA, the reply, the acceptance), a third right after a message was accepted (the
        // next message, or the Sent copy).
        let t0 = Instant::now();
        let mut last = String::new();
        let mut finished = false;
        let mode = rng.draw() % 3;
        if mode == 0 {
            std::thread::sleep(Duration::from_millis(rng.draw() % 400));
        } else {
            for line in child.lines.by_ref() {
                finished |= line.starts_with("finished");
                let w: Vec<&str> = line.split(' ').collect();
                let (sent, total) = match (w.first(), w.get(2), w.get(3)) {
                    (Some(&"progress"), Some(a), Some(b)) => {
                        (a.parse().unwrap_or(0u64), b.parse().unwrap_or(1u64))
                    }
                    _ => continue,
                };
                last = line;
                if (mode == 1 && sent == 0) || (mode == 2 && sent == total) {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.draw() % 40_000));
        }
        child.kill().unwrap();
        for line in child.lines {
            finished |= line.starts_with("finished");
            if line.starts_with("progress") {
                last = line;
            }
        }
        if !finished {
            killed_midway += 1;
        }
        println!(
            "round {round}: mode {mode}, killed after {:?}: {}",
            t0.elapsed(),
            if finished { "had finished".to_string() } else { format!("midway ({last})") }
        );
    }
    assert!(killed_midway >= ROUNDS / 2, "only {killed_midway} of {ROUNDS} kills landed during a flush");

    // Restarted: a flush to completion. Held rows stay held: nobody confirmed them.
    let st = StoreHandle::spawn(Store::open(&db).unwrap()).unwrap();
    st.call(|s| s.check_integrity()).await.unwrap();
    let report = flush(&st, &account, &passwords(alice)).await;
    assert!(report.failed.is_empty() && report.filing_failed.is_empty(), "{report:?}");
    let held = outbox_of(&st, &account).await;
    assert_eq!(report.held.len(), held.len(), "{report:?}");
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    for i in &held {
        // The killed process is gone, so the row shows its reason at once.
        assert_eq!((i.state, i.status(now)), (OutboxState::Submitting, OutboxStatus::MaybeSent), "{i:?}");
        assert!(i.reason(now).unwrap().contains("may already have been sent"), "{:?}", i.reason(now));
    }
    let gone = all_ids.len() - held.len();
    let bob_count = wait_for(&s, bob, "INBOX", gone);
    let inbox = message_ids(&s, bob, "INBOX").await;
    let sent = message_ids(&s, alice, "Sent").await;
    assert_eq!(inbox.values().sum::<usize>(), bob_count);
    assert!(inbox.keys().all(|id| all_ids.contains(id)), "no message of unknown origin");
    for id in &all_ids {
        let delivered = inbox.get(id).copied().unwrap_or(0);
        assert!(delivered <= 1, "{id} delivered {delivered} times");
        if held.iter().any(|i| &i.message_id == id) {
            assert_eq!(sent.get(id), None, "{id}: held, yet a Sent copy exists");
        } else {
            assert_eq!(delivered, 1, "{id} left the Outbox but was not delivered");
            assert_eq!(sent.get(id), Some(&1), "{id}: one Sent copy");
        }
    }
    let held_delivered = held.iter().filter(|i| inbox.contains_key(&i.message_id)).count();

    // The user decides: what did arrive is removed, the rest is confirmed and sent.
    for i in &held {
        if inbox.contains_key(&i.message_id) {
            assert!(outbox::remove(&st, i.id).await.unwrap());
        } else {
            assert_eq!(outbox::confirm_resend(&st, i.id).await.unwrap().state, OutboxState::Queued);
        }
    }
    let report = flush(&st, &account, &passwords(alice)).await;
    assert!(report.ok(), "{report:?}");
    assert!(outbox_of(&st, &account).await.is_empty());
    assert_eq!(wait_for(&s, bob, "INBOX", all_ids.len()), all_ids.len());
    let inbox = message_ids(&s, bob, "INBOX").await;
    assert!(all_ids.iter().all(|id| inbox.get(id) == Some(&1)), "every message exactly once: {inbox:?}");
    println!(
        "{killed_midway} of {ROUNDS} kills landed midway; {} messages: {gone} sent by the killed flushes \
         and the restart, {} held ({held_delivered} of them had arrived)",
        all_ids.len(),
        held.len(),
    );
}
