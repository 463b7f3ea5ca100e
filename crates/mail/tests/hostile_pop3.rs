//! POP3 servers that lie, repeat themselves or never stop, scripted with the testkit's
//! hostile server. The client runs in a child process (the same test binary), so that its
//! peak memory is measured apart from the server's; each case checks the memory, what is
//! left on disk, the error, and that nothing is lost: what the client deleted on the server
//! it had stored, and what it did not store is still on the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;

use std::path::Path;
use std::time::Duration;

use tidings_mail::account::Security;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::{self, Pop3Target, no_progress};
use tidings_mail::store::{Store, StoreHandle};
use tidings_testkit::hostile::{self, ChildRun, Hostile, Reply, Script};

/// The most memory a child client may hold in any of these cases.
const MAX_RSS_KB: u64 = 64 * 1024;

fn message(i: u32) -> String {
    format!("Subject: scripted {i}\r\nMessage-ID: <scripted.{i}@example.test>\r\n\r\nbody {i}\r\n")
}

/// A POP3 server with `list` and `uidl` as its listings (lines with CRLF) and messages
/// 1 to 9 as `message(n)`; other answers can be put before these with `on`.
fn pop3(script: Script, list: &str, uidl: &str) -> Script {
    let mut s = script
        .on("CAPA", Reply::text("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n"))
        .on("USER", Reply::text("+OK\r\n"))
        .on("PASS", Reply::text("+OK logged in\r\n"))
        .on("LIST", Reply::text(format!("+OK\r\n{list}.\r\n")))
        .on("UIDL", Reply::text(format!("+OK\r\n{uidl}.\r\n")))
        .on("DELE", Reply::text("+OK marked\r\n"))
        .on("QUIT", Reply::text("+OK bye\r\n").then(Reply::close()));
    for n in 1..10 {
        s = s.on(&format!("RETR {n}"), Reply::text(format!("+OK\r\n{}.\r\n", message(n))));
    }
    s.otherwise(Reply::text("-ERR what?\r\n"))
}

fn greeting() -> Script {
    Script::new(Reply::text("+OK hostile POP3 ready\r\n"))
}

/// Runs `passes` receive passes (leave-on-server off) in a child against `server`, with the
/// store in `dir`.
async fn client(server: &Hostile, dir: &Path, passes: u32) -> ChildRun {
    let args = vec![server.port().to_string(), dir.display().to_string(), passes.to_string()];
    hostile::run_child_async("child", args, Duration::from_secs(120)).await.unwrap()
}

/// The client side: `port`, `dir`, `passes`.
#[test]
#[ignore = "run by the other tests of this file, in a child process"]
fn child() {
    let args = hostile::child_args();
    let [port, dir, passes] = &args[..] else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut ep = Endpoint::new("127.0.0.1", port.parse().unwrap(), Security::None);
        ep.timeouts.io = Duration::from_secs(5);
        let target = Pop3Target::new(pop3_common::KEY, ep, "user", "secret-password");
        let st = StoreHandle::spawn(Store::open(Path::new(dir).join("store.sqlite3")).unwrap()).unwrap();
        let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
        for pass in 1..=passes.parse::<u32>().unwrap() {
            let r = pop3::receive(&target, &opts, &st, pop3_common::day(0), &Transcript::new(), &no_progress)
                .await;
            let say = |k: &str, v: String| hostile::child_say(&format!("{k} {pass}"), v);
            match r {
                Err(e) => say("failed", e.to_string()),
                Ok(r) => {
                    say("error", r.error.as_ref().map(|e| e.message.clone()).unwrap_or_default());
                    say("downloaded", r.downloaded.to_string());
                    let skipped: Vec<String> =
                        r.skipped.iter().map(|i| format!("{}={}", i.number, i.reason.describe())).collect();
                    say("skipped", skipped.join(" | "));
                    say(
                        "deleted",
                        r.deleted.iter().map(|i| i.number.to_string()).collect::<Vec<_>>().join(","),
                    );
                    say("unreadable", r.unreadable.join(" | "));
                }
            }
        }
    });
    hostile::child_done();
}

/// The Message-IDs stored in the Inbox of the store in `dir`.
async fn stored(dir: &Path) -> Vec<String> {
    let st = StoreHandle::spawn(Store::open(dir.join("store.sqlite3")).unwrap()).unwrap();
    pop3_common::inbox_ids(&st).await
}

fn deleted(server: &Hostile) -> Vec<String> {
    server.commands().into_iter().filter(|c| c.starts_with("DELE")).collect()
}

fn bounded(run: &ChildRun) {
    assert!(run.peak_rss_kb <= MAX_RSS_KB, "the client held {} KiB: {:?}", run.peak_rss_kb, run.lines);
}

#[tokio::test]
async fn a_uid_listed_twice_loses_nothing() {
    let server =
        Hostile::start(pop3(greeting(), "1 120\r\n2 130\r\n3 140\r\n", "1 AAA\r\n2 AAA\r\n3 CCC\r\n"))
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = client(&server, dir.path(), 1).await;
    bounded(&run);
    assert_eq!(run.get("error 1"), Some(""), "{:?}", run.lines);
    assert_eq!(deleted(&server), ["DELE 3"], "only the message with a unique id may be deleted");
    assert_eq!(stored(dir.path()).await, ["scripted.3@example.test"]);
    let skipped = run.get("skipped 1").unwrap();
    assert!(
        skipped.contains("1=left on the server untouched: UIDL gives its unique id to messages 1, 2"),
        "{skipped}"
    );
    assert!(
        skipped.contains("2=left on the server untouched: UIDL gives its unique id to messages 1, 2"),
        "{skipped}"
    );
    assert!(!server.commands().iter().any(|c| c == "RETR 1" || c == "RETR 2"));
}

#[tokio::test]
async fn odd_sizes_in_list_are_reported_and_left_alone() {
    let list =
        "1 -5\r\n2 18446744073709551615\r\n3 18446744073709551615\r\n4 99999999999999999999999\r\n5 120\r\n";
    let uidl = "1 A1\r\n2 A2\r\n3 A3\r\n4 A4\r\n5 A5\r\n";
    let server = Hostile::start(pop3(greeting(), list, uidl)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = client(&server, dir.path(), 1).await;
    bounded(&run);
    assert_eq!(run.get("error 1"), Some(""), "{:?}", run.lines);
    assert_eq!(stored(dir.path()).await, ["scripted.5@example.test"]);
    assert_eq!(deleted(&server), ["DELE 5"]);
    let skipped = run.get("skipped 1").unwrap();
    for n in 1..=4 {
        assert!(skipped.contains(&format!("{n}=")), "message {n} is listed as skipped: {skipped}");
    }
    assert!(
        skipped.contains(
            "1=left on the server untouched: its size is not a number Tidings can read (\"LIST 1 -5\")"
        ),
        "{skipped}"
    );
    assert!(skipped.contains("2=larger than 160 MiB"), "{skipped}");
}

#[tokio::test]
async fn a_message_over_the_limit_is_skipped_by_its_list_size() {
    let list = "1 1200000000\r\n2 120\r\n";
    let server = Hostile::start(pop3(greeting(), list, "1 BIG\r\n2 SMALL\r\n")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = client(&server, dir.path(), 2).await;
    bounded(&run);
    assert_eq!(run.get("error 1"), Some(""), "{:?}", run.lines);
    assert!(run.get("skipped 1").unwrap().starts_with("1=larger than 160 MiB"), "{:?}", run.lines);
    assert_eq!(stored(dir.path()).await, ["scripted.2@example.test"]);
    assert!(!server.commands().iter().any(|c| c == "RETR 1"), "never downloaded");
    // (The script deletes nothing: the second pass sends DELE 2 again.)
    assert_eq!(deleted(&server), ["DELE 2", "DELE 2"], "message 1 is never deleted");
    assert_eq!(run.get("error 2"), Some(""), "the next pass is fine too: {:?}", run.lines);
    assert!(run.get("skipped 2").unwrap().starts_with("1=larger than 160 MiB"), "{:?}", run.lines);
}

#[tokio::test]
async fn a_retr_that_never_ends_stops_at_the_limit_and_the_next_pass_goes_on() {
    let endless =
        Reply::text("+OK\r\nSubject: endless\r\n\r\n").then(Reply::endless("x".repeat(1022) + "\r\n"));
    let script = pop3(greeting().on("RETR 1", endless), "1 120\r\n2 130\r\n", "1 ENDLESS\r\n2 FINE\r\n");
    let server = Hostile::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = client(&server, dir.path(), 2).await;
    bounded(&run);
    let first = run.get("error 1").unwrap();
    assert!(first.contains("sent more than 160 MiB for message 1"), "{first}");
    assert!(first.contains("skipped from now on"), "{first}");
    assert_eq!(run.get("error 2"), Some(""), "{:?}", run.lines);
    assert!(
        run.get("skipped 2").unwrap().contains("1=sent more than 160 MiB in an earlier pass"),
        "{:?}",
        run.lines
    );
    assert_eq!(stored(dir.path()).await, ["scripted.2@example.test"]);
    assert_eq!(deleted(&server), ["DELE 2"]);
    assert_eq!(server.commands().iter().filter(|c| *c == "RETR 1").count(), 1, "not downloaded again");
    assert!(hostile::part_files(dir.path()).is_empty(), "{:?}", hostile::part_files(dir.path()));
}

#[tokio::test]
async fn endless_listings_and_capabilities_end() {
    for (command, reply) in [
        ("CAPA", Reply::text("+OK\r\n").then(Reply::endless("PIPELINING\r\n"))),
        ("LIST", Reply::text("+OK\r\n").then(Reply::endless("1 120\r\n"))),
        ("UIDL", Reply::text("+OK\r\n").then(Reply::endless("1 AAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"))),
        ("PASS", Reply::endless("+OK".repeat(1000))),
    ] {
        let script = pop3(greeting().on(command, reply), "1 120\r\n", "1 A\r\n");
        let server = Hostile::start(script).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let run = client(&server, dir.path(), 1).await;
        bounded(&run);
        let failed = run.get("failed 1").unwrap_or_else(|| panic!("{command}: {:?}", run.lines));
        assert!(failed.contains("longer than"), "{command}: {failed}");
        assert!(deleted(&server).is_empty());
    }
}

#[tokio::test]
async fn a_listing_with_gaps_and_garbage_is_never_acted_on() {
    // Message 2 has no UIDL line, message 3 two different ones, "x y" has no number.
    let list = "1 120\r\n2 130\r\n3 140\r\n4 150\r\n";
    let uidl = "1 U1\r\n3 U3\r\n3 U3b\r\nx y\r\n4 U4\r\n";
    let server = Hostile::start(pop3(greeting(), list, uidl)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = client(&server, dir.path(), 1).await;
    bounded(&run);
    assert_eq!(run.get("error 1"), Some(""), "{:?}", run.lines);
    assert_eq!(stored(dir.path()).await, ["scripted.1@example.test", "scripted.4@example.test"]);
    assert_eq!(deleted(&server), ["DELE 1", "DELE 4"]);
    let skipped = run.get("skipped 1").unwrap();
    assert!(skipped.contains("2=") && skipped.contains("3="), "{skipped}");
    assert!(run.get("unreadable 1").unwrap().contains("UIDL x y"), "{:?}", run.lines);
}

#[tokio::test]
async fn a_pass_stops_at_its_time_limit_and_deletes_nothing() {
    // 1 KiB every 100 ms: fast enough for every per-answer limit, but it never ends.
    let slow = Reply::text("+OK\r\nSubject: slow\r\n\r\n")
        .then(Reply::trickle("y".repeat(1022) + "\r\n", Duration::from_millis(100)));
    let script = pop3(greeting().on("RETR 2", slow), "1 120\r\n2 130\r\n", "1 FIRST\r\n2 SLOW\r\n");
    let server = Hostile::start(script).await.unwrap();
    let mut ep = Endpoint::new("127.0.0.1", server.port(), Security::None);
    ep.timeouts.io = Duration::from_secs(5);
    let mut target = Pop3Target::new(pop3_common::KEY, ep, "user", "secret-password");
    target.tuning.max_pass = Duration::from_secs(2);
    let dir = tempfile::tempdir().unwrap();
    let st = StoreHandle::spawn(Store::open(dir.path().join("store.sqlite3")).unwrap()).unwrap();
    let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
    let t0 = std::time::Instant::now();
    let transcript = Transcript::new();
    let pass = pop3::receive(&target, &opts, &st, pop3_common::day(0), &transcript, &no_progress);
    let r = tokio::time::timeout(Duration::from_secs(60), pass).await.expect("never stopped").unwrap();
    let e = r.error.expect("stopped by its time limit");
    assert!(e.message.contains("took longer than 2s and was stopped"), "{}", e.message);
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_eq!(stored(dir.path()).await, ["scripted.1@example.test"], "what came before stays");
    assert!(deleted(&server).is_empty(), "nothing deleted: {:?}", server.commands());
}

/// One pass in this process against `server`, with the store in `dir`.
async fn pass_here(server: &Hostile, dir: &Path, leave_on_server: bool) -> pop3::Pop3Report {
    let mut ep = Endpoint::new("127.0.0.1", server.port(), Security::None);
    ep.timeouts.io = Duration::from_secs(5);
    let target = Pop3Target::new(pop3_common::KEY, ep, "user", "secret-password");
    let st = StoreHandle::spawn(Store::open(dir.join("store.sqlite3")).unwrap()).unwrap();
    let opts = Pop3Options { leave_on_server, ..Pop3Options::default() };
    let r = pop3::receive(&target, &opts, &st, pop3_common::day(0), &Transcript::new(), &no_progress)
        .await
        .unwrap();
    assert!(r.error.is_none(), "{:?}", r.error);
    r
}

/// The DELE commands of connection `n` (from 1), by the order of the server's log.
fn deleted_in(server: &Hostile, n: usize) -> Vec<String> {
    let mut conn = 0;
    let mut out = Vec::new();
    for c in server.commands() {
        if c == "CAPA" {
            conn += 1;
        }
        if conn == n && c.starts_with("DELE") {
            out.push(c);
        }
    }
    out
}

/// A later session: message 2 is the only one, message number 1, under the id AAA.
fn message_2_as_aaa() -> Script {
    let retr = Reply::text(format!("+OK\r\n{}.\r\n", message(2)));
    pop3(greeting().on("RETR 1", retr), "1 130\r\n", "1 AAA\r\n")
}

#[tokio::test]
async fn a_shared_id_whose_other_line_is_odd_is_still_left_alone() {
    // Pass 1: two messages share AAA, and the second's LIST line cannot be read. Pass 2: the
    // second one is message 1 now, still AAA.
    let first = pop3(greeting(), "1 120\r\n2 -5\r\n", "1 AAA\r\n2 AAA\r\n");
    let second = message_2_as_aaa();
    let server = Hostile::start_each(vec![first, second]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let r = pass_here(&server, dir.path(), false).await;
    assert_eq!(r.downloaded, 0);
    assert!(deleted_in(&server, 1).is_empty(), "{:?}", server.commands());
    assert!(
        r.skipped.iter().any(|i| i.number == 1 && i.reason.describe().contains("unique id to messages 1, 2")),
        "{:?}",
        r.skipped
    );
    let r = pass_here(&server, dir.path(), false).await;
    assert_eq!(r.downloaded, 1);
    assert_eq!(deleted_in(&server, 2), ["DELE 1"]);
    assert_eq!(stored(dir.path()).await, ["scripted.2@example.test"]);
}

#[tokio::test]
async fn an_id_given_again_after_its_message_was_deleted_names_a_new_message() {
    let first = pop3(greeting(), "1 120\r\n", "1 AAA\r\n");
    let second = message_2_as_aaa();
    let server = Hostile::start_each(vec![first, second]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    pass_here(&server, dir.path(), false).await;
    assert_eq!(deleted_in(&server, 1), ["DELE 1"]);
    let r = pass_here(&server, dir.path(), false).await;
    assert_eq!(r.downloaded, 1, "stored, not taken for the one deleted before");
    assert_eq!(deleted_in(&server, 2), ["DELE 1"]);
    assert_eq!(stored(dir.path()).await, ["scripted.1@example.test", "scripted.2@example.test"]);
}

#[tokio::test]
async fn a_known_id_listed_with_another_size_is_compared_before_anything_is_deleted() {
    // Pass 1 leaves the copy; then the server states another size: the same bytes (an
    // estimate that changed) may go; other bytes are a new message, stored before it goes.
    let other = format!("+OK\r\n{}.\r\n", message(2));
    let scripts = vec![
        pop3(greeting(), "1 120\r\n", "1 AAA\r\n"),
        pop3(greeting(), "1 125\r\n", "1 AAA\r\n"),
        pop3(greeting(), "1 120\r\n", "1 BBB\r\n"),
        pop3(greeting().on("RETR 1", Reply::text(other)), "1 300\r\n", "1 BBB\r\n"),
    ];
    let server = Hostile::start_each(scripts).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    pass_here(&server, dir.path(), true).await;
    let r = pass_here(&server, dir.path(), false).await;
    assert_eq!((r.downloaded, r.duplicates), (0, 1), "the same message: not stored twice");
    assert_eq!(deleted_in(&server, 2), ["DELE 1"]);
    assert_eq!(stored(dir.path()).await, ["scripted.1@example.test"]);
    // BBB: message 1 first, then message 2 under the same id with another size.
    pass_here(&server, dir.path(), true).await;
    let r = pass_here(&server, dir.path(), false).await;
    assert_eq!(r.downloaded, 1, "another message: stored as new");
    assert_eq!(deleted_in(&server, 4), ["DELE 1"]);
    assert_eq!(
        stored(dir.path()).await,
        ["scripted.1@example.test", "scripted.1@example.test", "scripted.2@example.test"]
    );
}
