//! Seeding through the maildir fast path.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

mod common;

use std::time::Instant;

use common::Client;
use tidings_testkit::{MailServers, generate};

#[tokio::test]
async fn seed_1000_messages_quickly_and_doveadm_counts_them() {
    let s = MailServers::start().unwrap_or_else(|e| panic!("{e}"));
    let alice = s.user("alice");

    let t = Instant::now();
    s.seed(alice, 1000).unwrap();
    let took = t.elapsed();
    eprintln!("seeded 1000 messages in {took:?}");
    assert!(took.as_secs_f64() < 10.0, "seeding took {took:?}");

    let status = s.doveadm(&["mailbox", "status", "-u", "alice", "messages", "INBOX"]).unwrap();
    assert_eq!(status.trim(), "INBOX messages=1000", "{status}");
    assert_eq!(s.message_count(s.user("bob"), "INBOX").unwrap(), 0);

    // Numbering continues: the next seed starts at message 1000.
    s.seed(alice, 2).unwrap();
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 1002);

    // Over IMAP: UID order follows the generator, INTERNALDATE follows the Date header, the
    // flags follow the documented pattern.
    let (mut imap, _) = Client::tls(s.imaps_port(), Some(s.ca_pem()), "localhost").await.unwrap();
    imap.line().await;
    let login = format!("a LOGIN {} {}", alice.email, alice.password);
    assert!(imap.ask(&login, |l| l.starts_with("a ")).await.last().unwrap().starts_with("a OK"));
    imap.ask("b SELECT INBOX", |l| l.starts_with("b ")).await;
    let fetch = imap
        .ask("c UID FETCH 1:8 (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])", |l| {
            l.starts_with("c ")
        })
        .await
        .join("\n");
    assert!(fetch.contains("<testkit.0@example.test>"), "{fetch}");
    assert!(fetch.contains("<testkit.7@example.test>"), "{fetch}");
    let unseen = imap.ask("d SEARCH UNSEEN", |l| l.starts_with("d ")).await;
    assert!(unseen[0].starts_with("* SEARCH 1 5 9 13 "), "{unseen:?}");

    // INTERNALDATE comes from the file's mtime, which seeding sets to the Date header's time.
    let path = std::fs::read_dir(s.maildir(alice).join("cur"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).contains("<testkit.1@example.test>"))
        .unwrap();
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    let secs = mtime.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(i64::try_from(secs).unwrap(), generate::unix_time(1));
}

#[test]
fn seeded_maildir_files_have_size_fields() {
    let s = MailServers::start().unwrap_or_else(|e| panic!("{e}"));
    let bob = s.user("bob");
    s.seed(bob, 12).unwrap();
    let cur = s.maildir(bob).join("cur");
    let mut names: Vec<String> = std::fs::read_dir(&cur)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12);
    for name in &names {
        let path = cur.join(name);
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(name.contains(&format!(",S={size},W={size}:2,")), "{name} vs {size}");
    }
}
