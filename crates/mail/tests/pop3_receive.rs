//! The POP3 receive pass against the testkit's Dovecot, over implicit TLS and over plain +
//! STLS: leave a copy on the server, download and delete, delete after N days (injected
//! clock), delete when deleted here, headers only, the size limit, and the dry run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;

use pop3_common::*;
use tidings_mail::account::Security;
use tidings_mail::net::Transcript;
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::{self, Reason};
use tidings_mail::store::{MailAction, SeenState, Sort};

fn servers() -> tidings_testkit::MailServers {
    tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

#[tokio::test]
async fn leave_on_server_keeps_everything_and_a_second_pass_downloads_nothing() {
    let s = servers();
    for (user, security) in [("alice", Security::Implicit), ("bob", Security::StartTls)] {
        let u = s.user(user);
        s.seed(u, 40).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let st = store(dir.path());
        let t = target(&s, u, security);
        let opts = Pop3Options::default();
        assert!(opts.leave_on_server);
        let r = receive(&t, &opts, &st, day(0)).await;
        assert_eq!((r.server_messages, r.downloaded, r.deleted.len()), (40, 40, 0), "{security:?}");
        assert!(r.quit_ok && r.uidl && r.pipelined);
        let ph = r.timings;
        assert!(ph.connect_ms + ph.listing_ms + ph.download_ms > 0, "{ph:?}");
        assert!(
            ph.connect_ms + ph.listing_ms + ph.download_ms + ph.last_commit_ms + ph.delete_ms <= r.elapsed_ms,
            "{r:?}"
        );
        // The checkpoints held back during the download are back to their usual interval.
        assert_eq!(st.call(|s| s.checkpoint_bytes()).await.unwrap(), 32 * 1024 * 1024);
        assert_eq!(s.message_count(u, "INBOX").unwrap(), 40, "all still on the server");
        let expected: Vec<String> = {
            let mut v: Vec<String> = (0..40).map(seeded_id).collect();
            v.sort();
            v
        };
        assert_eq!(inbox_ids(&st).await, expected);
        // Byte for byte what was seeded.
        let to = &u.email;
        assert_eq!(inbox_body(&st, &seeded_id(7)).await.unwrap(), tidings_testkit::generate::message(7, to));

        let again = receive(&t, &opts, &st, day(1)).await;
        assert_eq!((again.server_messages, again.downloaded, again.bytes), (40, 0, 0));
        assert_eq!(inbox_ids(&st).await.len(), 40);
    }
}

#[tokio::test]
async fn leave_off_empties_the_server_into_the_local_inbox() {
    let s = servers();
    for (user, security) in [("alice", Security::StartTls), ("bob", Security::Implicit)] {
        let u = s.user(user);
        s.seed(u, 25).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let st = store(dir.path());
        let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
        let r = receive(&target(&s, u, security), &opts, &st, day(0)).await;
        assert_eq!((r.downloaded, r.deleted.len()), (25, 25));
        assert!(r.deleted.iter().all(|d| d.reason == Reason::NotLeavingOnServer { after_download: true }));
        assert_eq!(s.message_count(u, "INBOX").unwrap(), 0, "{security:?}");
        assert_eq!(inbox_ids(&st).await.len(), 25);
        let seen = seen(&st).await;
        assert!(seen.values().all(|v| v.deleted_on_server == Some(day_secs(0))), "recorded after QUIT");
    }
}

fn day_secs(days: u64) -> i64 {
    day(days).duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn delete_after_n_days_deletes_only_the_old_ones() {
    let s = servers();
    let u = s.user("alice");
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let t = target(&s, u, Security::Implicit);
    let keep = Pop3Options::default();
    s.seed(u, 6).unwrap();
    receive(&t, &keep, &st, day(0)).await;
    s.seed(u, 4).unwrap();
    receive(&t, &keep, &st, day(3)).await;

    let opts = Pop3Options { delete_after_days: Some(7), ..Pop3Options::default() };
    let plan = pop3::plan(&t, &opts, &st, day(8), &Transcript::new()).await.unwrap();
    assert_eq!(plan.delete.len(), 6, "{plan:?}");
    assert!(plan.delete.iter().all(|d| d.reason == Reason::OlderThan { days: 7, age_days: 8 }));
    assert_eq!((plan.download.len(), plan.keep.len()), (0, 4));
    let r = receive(&t, &opts, &st, day(8)).await;
    assert_eq!(r.deleted.len(), 6);
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 4);
    // The four left are the ones first seen on day 3; all ten stay here.
    let left = server_uids(&s, u).await;
    let seen = seen(&st).await;
    assert!(left.iter().all(|uid| seen[uid].first_seen == day_secs(3)));
    assert_eq!(inbox_ids(&st).await.len(), 10);
    // Nothing more is old enough a day later.
    let r = receive(&t, &opts, &st, day(9)).await;
    assert!(r.deleted.is_empty());
}

#[tokio::test]
async fn delete_when_deleted_here_removes_exactly_that_message() {
    let s = servers();
    let u = s.user("bob");
    s.seed(u, 5).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let t = target(&s, u, Security::StartTls);
    let opts = Pop3Options { delete_when_deleted_locally: true, ..Pop3Options::default() };
    receive(&t, &opts, &st, day(0)).await;
    let inbox = folder(&st, "INBOX").await.id;
    let victim = seeded_id(3);
    let v = victim.clone();
    let uid = st
        .call(move |s| {
            let rows = s.list(inbox, Sort::NEWEST, 0, 10)?;
            Ok(rows.into_iter().find(|r| r.summary.message_id.as_deref() == Some(v.as_str())).map(|r| r.uid))
        })
        .await
        .unwrap()
        .unwrap();
    st.call(move |s| {
        let a = s.account(KEY)?;
        s.apply_local(a, &MailAction::Delete { folder: inbox, uids: vec![uid] })
    })
    .await
    .unwrap();
    let seen = seen(&st).await;
    let gone: Vec<&String> = seen.values().filter(|v| v.deleted_locally).map(|v| &v.uid).collect();
    assert_eq!(gone.len(), 1);
    let gone_uid = gone[0].clone();

    let plan = pop3::plan(&t, &opts, &st, day(1), &Transcript::new()).await.unwrap();
    assert_eq!(plan.delete.len(), 1);
    assert_eq!(
        (plan.delete[0].uid.as_ref(), &plan.delete[0].reason),
        (Some(&gone_uid), &Reason::DeletedLocally)
    );
    let r = receive(&t, &opts, &st, day(1)).await;
    assert_eq!(r.deleted.len(), 1);
    let left = server_uids(&s, u).await;
    assert_eq!(left.len(), 4);
    assert!(!left.contains(&gone_uid));
    // It is in the local Trash, and the others are untouched.
    assert_eq!(inbox_ids(&st).await.len(), 4);
    let trash = folder(&st, "Trash").await.id;
    assert_eq!(st.call(move |s| s.counts(trash)).await.unwrap().total, 1);
}

#[tokio::test]
async fn headers_only_then_the_rest_when_opened() {
    let s = servers();
    let u = s.user("alice");
    s.seed(u, 6).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let t = target(&s, u, Security::Implicit);
    let opts = Pop3Options { headers_only: true, leave_on_server: false, ..Pop3Options::default() };
    let r = receive(&t, &opts, &st, day(0)).await;
    assert_eq!((r.downloaded, r.headers_only, r.deleted.len()), (6, 6, 0), "partial ones stay on the server");
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 6);
    let inbox = folder(&st, "INBOX").await.id;
    let rows = st.call(move |s| s.list(inbox, Sort::NEWEST, 0, 10)).await.unwrap();
    assert!(rows.iter().all(|r| !r.has_body && r.summary.subject.is_some()));
    let five = rows.iter().find(|r| r.summary.message_id.as_deref() == Some(seeded_id(5).as_str())).unwrap();
    let raw = pop3::fetch_rest(&t, &st, inbox, five.uid, &Transcript::new()).await.unwrap();
    assert_eq!(raw, tidings_testkit::generate::message(5, &u.email));
    assert_eq!(inbox_body(&st, &seeded_id(5)).await.unwrap(), raw);
    let seen = seen(&st).await;
    assert_eq!(seen.values().filter(|v| v.state == SeenState::Downloaded).count(), 1);
    // Now whole, it follows "leave a copy" being off: the next pass deletes it, and only it.
    let r = receive(&t, &opts, &st, day(1)).await;
    assert_eq!(r.deleted.len(), 1);
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 5);
}

#[tokio::test]
async fn messages_over_the_limit_are_skipped_with_the_reason_until_it_changes() {
    let s = servers();
    let u = s.user("bob");
    s.seed(u, 3).unwrap();
    let mut big = b"Subject: big\r\nMessage-ID: <big@example.test>\r\n\r\n".to_vec();
    for i in 0..2000 {
        big.extend_from_slice(
            format!("line {i:05} of a message larger than twenty kilobytes\r\n").as_bytes(),
        );
    }
    s.deliver(u, &big).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let t = target(&s, u, Security::Implicit);
    let opts =
        Pop3Options { skip_larger_than_kb: Some(20), leave_on_server: false, ..Pop3Options::default() };
    let r = receive(&t, &opts, &st, day(0)).await;
    assert_eq!((r.downloaded, r.skipped.len()), (3, 1));
    assert_eq!(r.skipped[0].reason, Reason::TooLarge { limit_kb: 20 });
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 1, "the big one is not deleted either");
    let seen = seen(&st).await;
    let skipped: Vec<_> = seen.values().filter(|v| v.state == SeenState::Skipped).collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].skip_reason.as_deref(), Some("larger than 20 KB"));
    assert!(!inbox_ids(&st).await.contains(&"big@example.test".to_string()));

    let opts = Pop3Options { skip_larger_than_kb: Some(200), ..opts };
    let r = receive(&t, &opts, &st, day(1)).await;
    assert_eq!((r.downloaded, r.deleted.len()), (1, 1));
    assert_eq!(inbox_body(&st, "big@example.test").await.unwrap(), big);
}

#[tokio::test]
async fn the_dry_run_sends_no_retr_or_dele_and_changes_nothing() {
    let s = servers();
    let u = s.user("alice");
    s.seed(u, 4).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let t = target(&s, u, Security::StartTls);
    let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
    let transcript = Transcript::new();
    let plan = pop3::plan(&t, &opts, &st, day(0), &transcript).await.unwrap();
    assert_eq!((plan.download.len(), plan.delete.len(), plan.server_messages), (4, 4, 4));
    let text = transcript.render();
    assert!(!text.contains("C: RETR") && !text.contains("C: DELE") && !text.contains("C: TOP"), "{text}");
    assert!(text.contains("C: UIDL") && text.contains("C: QUIT"), "{text}");
    assert!(!text.contains(&u.password), "no password in the transcript");
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 4);
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["download"][0]["reason"], "new");
    assert_eq!(json["delete"][0]["reason"], "not-leaving-on-server");
    assert_eq!(json["delete"][0]["after_download"], true);
    // The dry run was exact: the pass does the same.
    let r = receive(&t, &opts, &st, day(0)).await;
    assert_eq!((r.downloaded, r.deleted.len()), (4, 4));
}
