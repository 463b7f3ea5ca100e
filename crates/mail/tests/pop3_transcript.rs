//! A receive pass's transcript against the testkit's Dovecot holds the protocol, not the
//! mail: RETR answers appear as their size only, pipelined or not; a session that did not
//! ask for it (the inspector's) shows the message as the server sent it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;

use pop3_common::*;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::net::{Dir, Transcript};
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::{self, Pop3, no_progress};

#[tokio::test]
async fn a_receive_pass_shows_message_data_as_its_size_only() {
    let s = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let u = s.user("alice");
    s.seed(u, 30).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    for security in [Security::Implicit, Security::StartTls] {
        let t = target(&s, u, security);
        let transcript = Transcript::new();
        let opts = Pop3Options::default();
        let fresh = tempfile::tempdir().unwrap();
        let st_fresh = store(fresh.path());
        let r = pop3::receive(&t, &opts, &st_fresh, day(0), &transcript, &no_progress).await.unwrap();
        assert_eq!(r.downloaded, 30);
        let lines = transcript.lines();
        let server: Vec<&str> =
            lines.iter().filter(|l| l.dir == Dir::Server).map(|l| l.text.as_str()).collect();
        let notes = server.iter().filter(|l| l.ends_with("bytes of message data not shown>")).count();
        assert_eq!(notes, 30, "one per message ({security:?})");
        let all = transcript.render();
        assert!(all.contains("C: RETR 30") && all.contains("C: UIDL") && all.contains("C: QUIT"), "{all}");
        for i in 0..30 {
            assert!(!all.contains(&seeded_id(i)), "message {i} is in the transcript:\n{all}");
        }
        assert!(!all.contains("Subject:") && !all.contains(&u.password));
        // The listing still shows: UIDL lines are protocol, not mail.
        assert!(server.iter().filter(|l| l.starts_with("1 ")).count() >= 2, "{all}");
    }
    // Headers only (TOP) too; a second pass over the same store downloads nothing.
    let t = target(&s, u, Security::Implicit);
    let transcript = Transcript::new();
    let opts = Pop3Options { headers_only: true, ..Pop3Options::default() };
    let r = pop3::receive(&t, &opts, &st, day(0), &transcript, &no_progress).await.unwrap();
    assert_eq!(r.headers_only, 30);
    let all = transcript.render();
    assert!(all.contains("C: TOP 1 0") && !all.contains("Subject:"), "{all}");

    // The inspector's kind of session, which did not ask: everything shows.
    let transcript = Transcript::new();
    let mut facts = SessionFacts::default();
    let mut p = Pop3::open(&t.endpoint, &transcript, &mut facts).await.unwrap();
    p.login(&Credential::password(&u.login, &u.password), &facts).await.unwrap();
    let raw = p.retr(1).await.unwrap();
    p.quit().await.unwrap();
    assert!(!raw.is_empty());
    assert!(transcript.render().contains(&seeded_id(0)), "{}", transcript.render());
}
