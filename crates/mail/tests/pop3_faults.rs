//! What Dovecot will not do on demand, from a scripted POP3 server: login refusals with
//! response codes and Exchange's words, a server without UIDL, a refused QUIT, a
//! connection cut in the middle of a download or of the deletions, slow and stalled
//! answers, pipelining only when offered. Plus the real wrong password from Dovecot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;
mod pop3_script;

use std::time::{Duration, Instant};

use pop3_script::{Script, Server, message};
use tidings_mail::Kind;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::{self, Pop3Report, Pop3Target, no_progress};
use tidings_mail::store::{Store, StoreHandle};

fn target(server: &Server) -> Pop3Target {
    let mut ep = Endpoint::new("127.0.0.1", server.port, Security::None);
    ep.timeouts.io = Duration::from_secs(1);
    Pop3Target::new(pop3_common::KEY, ep, "user", "secret-password")
}

fn memory_store() -> StoreHandle {
    StoreHandle::spawn(Store::open_in_memory().unwrap()).unwrap()
}

async fn pass(server: &Server, opts: &Pop3Options, st: &StoreHandle) -> tidings_mail::Result<Pop3Report> {
    pop3::receive(&target(server), opts, st, pop3_common::day(0), &Transcript::new(), &no_progress).await
}

fn leave_off() -> Pop3Options {
    Pop3Options { leave_on_server: false, ..Pop3Options::default() }
}

#[tokio::test]
async fn login_refusals_are_distinct_and_keep_the_servers_words() {
    let cases = [
        ("-ERR [IN-USE] Mailbox is locked by another POP3 session", Kind::RefusedByServer, "in use"),
        ("-ERR [LOGIN-DELAY] Wait 15 minutes between logins", Kind::RefusedByServer, "wait longer"),
        ("-ERR [AUTH] Authentication failed.", Kind::Auth, "may not log in now"),
        ("-ERR [SYS/TEMP] Temporary server failure", Kind::RefusedByServer, "temporary problem"),
        ("-ERR Protocol disabled", Kind::RefusedByServer, "does not allow POP3"),
        ("-ERR User is authenticated but not connected.", Kind::RefusedByServer, "PopEnabled"),
        ("-ERR Logon failure: unknown user name or bad password.", Kind::Auth, "did not accept"),
    ];
    let mut messages = Vec::new();
    let st = memory_store();
    for (line, kind, words) in cases {
        let server =
            Server::start(Script { pass_reply: line.into(), ..Script::default() }, vec![message(1)]).await;
        let e = pass(&server, &Pop3Options::default(), &st).await.unwrap_err();
        assert_eq!(e.kind(), kind, "{line}: {e}");
        assert_eq!(e.server_words(), Some(line));
        assert!(e.message().contains(words), "{line}: {}", e.message());
        messages.push(e.message().to_string());
        assert!(!server.commands().iter().any(|c| c.starts_with("RETR") || c.starts_with("DELE")));
    }
    messages.sort();
    messages.dedup();
    assert_eq!(messages.len(), 6, "one sentence per kind of refusal (Exchange's two phrasings share one)");
    // A pass that never logged in made no local POP3 folders (the account could still be
    // turned into an IMAP one).
    let local = st
        .call(|s| {
            let a = s.account(pop3_common::KEY)?;
            s.is_local_account(a)
        })
        .await
        .unwrap();
    assert!(!local);
}

#[tokio::test]
async fn a_wrong_password_on_dovecot() {
    let s = tidings_testkit::MailServers::start().unwrap();
    let u = s.user("alice");
    let mut t = pop3_common::target(&s, u, Security::Implicit);
    t.credential = Credential::password(&u.login, "not-the-password");
    let st = memory_store();
    let e = pop3::receive(
        &t,
        &Pop3Options::default(),
        &st,
        pop3_common::day(0),
        &Transcript::new(),
        &no_progress,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert_eq!(e.server_words(), Some("-ERR [AUTH] Authentication failed."));
}

#[tokio::test]
async fn without_uidl_copies_cannot_stay_and_leave_off_downloads_then_deletes() {
    let msgs: Vec<Vec<u8>> = (1..=3).map(message).collect();
    let script = Script {
        caps: vec!["USER", "TOP", "PIPELINING"],
        uidl: false,
        quit_reply: "-ERR could not remove messages".into(),
        ..Script::default()
    };
    let server = Server::start(script.clone(), msgs.clone()).await;
    let st = memory_store();
    let e = pass(&server, &Pop3Options::default(), &st).await.unwrap_err();
    assert_eq!(e.kind(), Kind::Config);
    assert!(e.message().contains("has no UIDL") && e.message().contains("leave a copy"), "{e}");
    assert!(!server.commands().iter().any(|c| c.starts_with("RETR")));

    // Leave off: all downloaded, then deleted; this QUIT fails, so they stay on the server…
    let r = pass(&server, &leave_off(), &st).await.unwrap();
    assert_eq!((r.downloaded, r.quit_ok, r.deleted.len()), (3, false, 0));
    assert!(r.error.is_some());
    let cmds = server.commands();
    let last_retr = cmds.iter().rposition(|c| c.starts_with("RETR")).unwrap();
    let first_dele = cmds.iter().position(|c| c.starts_with("DELE")).unwrap();
    assert!(last_retr < first_dele, "every download is stored before any DELE: {cmds:?}");
    assert_eq!(server.remaining(), 3);
    // …and the next pass recognises them by their content: no duplicates.
    let server2 = Server::start(Script { quit_reply: "+OK bye".into(), ..script }, msgs).await;
    let r = pass(&server2, &leave_off(), &st).await.unwrap();
    assert_eq!((r.downloaded, r.duplicates, r.deleted.len(), r.quit_ok), (0, 3, 3, true));
    assert_eq!(server2.remaining(), 0);
    let count = st
        .call(|s| {
            let a = s.account(pop3_common::KEY)?;
            let inbox = s.pop3_setup(a)?;
            s.counts(inbox)
        })
        .await
        .unwrap();
    assert_eq!(count.total, 3);
}

#[tokio::test]
async fn a_cut_download_keeps_whole_messages_and_deletes_nothing() {
    let msgs: Vec<Vec<u8>> = (1..=5).map(message).collect();
    // Commands: CAPA USER PASS LIST UIDL, then RETR 1…; cut in the middle of RETR 3.
    let script = Script {
        caps: vec!["USER", "UIDL"],
        cut_at_command: Some(8),
        cut_after_bytes: 40,
        ..Script::default()
    };
    let server = Server::start(script.clone(), msgs.clone()).await;
    let st = memory_store();
    let r = pass(&server, &leave_off(), &st).await.unwrap();
    let e = r.error.as_ref().expect("cut short");
    assert_eq!(e.kind, Kind::Network, "{e:?}");
    assert_eq!((r.downloaded, r.deleted.len(), r.quit_ok), (2, 0, false));
    assert!(!server.commands().iter().any(|c| c.starts_with("DELE")));
    assert_eq!(server.remaining(), 5);
    let seen = pop3_common::seen(&st).await;
    assert_eq!(seen.len(), 2);

    // The next pass fetches the other three only, then deletes all five.
    let server = Server::start(Script { cut_at_command: None, ..script }, msgs).await;
    let r = pass(&server, &leave_off(), &st).await.unwrap();
    assert_eq!((r.downloaded, r.deleted.len(), r.quit_ok), (3, 5, true));
    let retrs: Vec<String> = server.commands().into_iter().filter(|c| c.starts_with("RETR")).collect();
    assert_eq!(retrs, ["RETR 3", "RETR 4", "RETR 5"]);
}

#[tokio::test]
async fn a_connection_lost_during_deletions_records_none() {
    let msgs: Vec<Vec<u8>> = (1..=3).map(message).collect();
    // CAPA USER PASS LIST UIDL RETR×3 DELE×3: cut at the second DELE.
    let script = Script { cut_at_command: Some(10), ..Script::default() };
    let server = Server::start(script, msgs).await;
    let st = memory_store();
    let r = pass(&server, &leave_off(), &st).await.unwrap();
    assert!(r.error.is_some() && !r.quit_ok);
    assert_eq!((r.downloaded, r.deleted.len()), (3, 0));
    assert_eq!(server.remaining(), 3, "no QUIT, no deletion");
    let seen = pop3_common::seen(&st).await;
    assert!(seen.values().all(|v| v.deleted_on_server.is_none()));
}

#[tokio::test]
async fn a_slow_but_steady_answer_passes_and_a_stalled_one_times_out() {
    // 12 pieces 250 ms apart: 3 s in all, with a 1 s no-progress timeout.
    let big = {
        let mut m = message(1);
        m.extend(std::iter::repeat_n(b"0123456789abcdef\r\n".as_slice(), 400).flatten());
        m
    };
    let slow = Script { slow_retr: Some((12, Duration::from_millis(250))), ..Script::default() };
    let server = Server::start(slow, vec![big.clone()]).await;
    let st = memory_store();
    let r = pass(&server, &Pop3Options::default(), &st).await.unwrap();
    assert!(r.ok(), "{:?}", r.error);
    assert_eq!(r.bytes, big.len() as u64);

    let stalled = Script { stall_retr: true, ..Script::default() };
    let server = Server::start(stalled, vec![message(1)]).await;
    let t0 = Instant::now();
    let r = pass(&server, &Pop3Options::default(), &memory_store()).await.unwrap();
    let e = r.error.expect("timed out");
    assert_eq!(e.kind, Kind::Network);
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(r.downloaded, 0);
}

#[tokio::test]
async fn commands_are_pipelined_only_when_offered() {
    let msgs: Vec<Vec<u8>> = (1..=40).map(message).collect();
    let plain = Script { caps: vec!["USER", "UIDL", "TOP"], ..Script::default() };
    let server = Server::start(plain, msgs.clone()).await;
    let r = pass(&server, &leave_off(), &memory_store()).await.unwrap();
    assert!(r.ok() && !r.pipelined);
    assert!(server.log().iter().all(|l| l.queued_behind == 0), "one command at a time");

    let server = Server::start(Script::default(), msgs).await;
    let r = pass(&server, &leave_off(), &memory_store()).await.unwrap();
    assert!(r.ok() && r.pipelined);
    let log = server.log();
    let behind = |verb: &str| log.iter().filter(|l| l.line.starts_with(verb)).map(|l| l.queued_behind).max();
    assert!(behind("RETR") > Some(0) && behind("DELE") > Some(0), "{log:?}");
    assert_eq!(server.remaining(), 0);
}
