//! The spool folder of a POP3 account, against a scripted server: what a killed pass left
//! there is removed by the next pass however fresh it is, and never while another pass of
//! the account is writing it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;
mod pop3_script;

use std::path::{Path, PathBuf};
use std::time::Duration;

use pop3_script::{Script, Server, message};
use tidings_mail::account::Security;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::{self, Pop3Report, Pop3Target, no_progress};
use tidings_mail::store::StoreHandle;

fn target(server: &Server) -> Pop3Target {
    let ep = Endpoint::new("127.0.0.1", server.port, Security::None);
    let mut t = Pop3Target::new(pop3_common::KEY, ep, "user", "secret-password");
    // Anything over a few KiB goes through a spool file.
    t.tuning.memory_limit = 4096;
    t
}

async fn pass(server: &Server, st: &StoreHandle) -> Pop3Report {
    let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
    let r = pop3::receive(&target(server), &opts, st, pop3_common::day(0), &Transcript::new(), &no_progress)
        .await
        .unwrap();
    assert!(r.error.is_none(), "{:?}", r.error);
    r
}

/// The account's spool folder beside a store in `dir` (see `pop3_common::store`).
fn spool(dir: &Path) -> PathBuf {
    dir.join("pop3-spool").join(pop3_common::KEY)
}

fn parts(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "part")).collect()
}

/// A message of about `kib` KiB.
fn big(i: usize, kib: usize) -> Vec<u8> {
    let mut m = format!("Subject: big {i}\r\nMessage-ID: <big.{i}@example.test>\r\n\r\n").into_bytes();
    for _ in 0..kib * 16 {
        m.extend_from_slice(b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq\r\n");
    }
    m
}

#[tokio::test]
async fn a_fresh_part_file_of_a_killed_pass_is_removed_by_the_next_pass() {
    let dir = tempfile::tempdir().unwrap();
    let st = pop3_common::store(dir.path());
    // As a pass killed a moment ago leaves it: just written, nobody holding the folder.
    std::fs::create_dir_all(spool(dir.path())).unwrap();
    let left = spool(dir.path()).join("4242-0.part");
    std::fs::write(&left, big(0, 64)).unwrap();

    let server = Server::start(Script::default(), vec![message(1), big(2, 64)]).await;
    let r = pass(&server, &st).await;
    assert_eq!(r.downloaded, 2);
    assert!(!left.exists(), "the killed pass's file is still there");
    assert_eq!(parts(&spool(dir.path())), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn a_pass_does_not_remove_the_part_file_of_a_pass_still_running() {
    let dir = tempfile::tempdir().unwrap();
    let st = pop3_common::store(dir.path());
    // The first pass downloads a big message slowly, through a spool file; a second pass
    // of the same account (another server: a scripted one serves one session at a time;
    // without UIDL, so that its messages' keys differ from the first server's UIDs) runs
    // meanwhile.
    let slow = Script { slow_retr: Some((6, Duration::from_millis(400))), ..Script::default() };
    let first = Server::start(slow, vec![big(1, 256)]).await;
    let second = {
        let script = Script { caps: vec!["USER", "TOP", "PIPELINING"], uidl: false, ..Script::default() };
        Server::start(script, vec![message(1), message(2)]).await
    };
    let running = {
        let (st, first_target) = (st.clone(), target(&first));
        tokio::spawn(async move {
            let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
            pop3::receive(&first_target, &opts, &st, pop3_common::day(0), &Transcript::new(), &no_progress)
                .await
        })
    };
    let mut writing = Vec::new();
    for _ in 0..200 {
        writing = parts(&spool(dir.path()));
        if !writing.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(writing.len(), 1, "the first pass spools its message to a file");

    let r = pass(&second, &st).await;
    assert_eq!(r.downloaded, 2);
    assert!(writing[0].exists(), "the second pass removed the file the first is writing");
    assert!(!running.is_finished(), "the first pass was to be still downloading");

    let r = running.await.unwrap().unwrap();
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.downloaded, 1);
    assert!(pop3_common::inbox_body(&st, "big.1@example.test").await.unwrap() == big(1, 256));
    assert_eq!(first.remaining(), 0, "committed, then deleted on the server");
    assert_eq!(parts(&spool(dir.path())), Vec::<PathBuf>::new());
}
