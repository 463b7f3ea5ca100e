//! Mail submitted by alice reaches bob's INBOX: Postfix submission → LMTP → Dovecot.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

mod common;

use std::time::{Duration, Instant};

use common::{Client, b64};
use tidings_testkit::{MailServers, User};

fn start() -> MailServers {
    MailServers::start().unwrap_or_else(|e| panic!("{e}"))
}

fn reply_end(line: &str) -> bool {
    line.len() < 4 || line.as_bytes()[3] == b' '
}

async fn expect(client: &mut Client, command: &str, code: &str) {
    let reply = client.ask(command, reply_end).await;
    assert!(reply.last().unwrap().starts_with(code), "{command}: {reply:?}");
}

/// AUTH PLAIN, one message from alice to bob, QUIT. `client` is already in TLS.
async fn send_as(client: &mut Client, user: &User, to: &str, subject: &str) {
    let ehlo = client.ask("EHLO client.example.test", reply_end).await;
    assert!(ehlo.iter().any(|l| l.contains("AUTH") && l.contains("PLAIN")), "{ehlo:?}");
    let token = b64(format!("\0{}\0{}", user.login, user.password).as_bytes());
    expect(client, &format!("AUTH PLAIN {token}"), "235").await;
    expect(client, &format!("MAIL FROM:<{}>", user.email), "250").await;
    expect(client, &format!("RCPT TO:<{to}>"), "250").await;
    expect(client, "DATA", "354").await;
    let body = format!(
        "From: <{}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\r\nHello.\r\n..stuffed dot line\r\n.",
        user.email
    );
    expect(client, &body, "250").await;
    expect(client, "QUIT", "221").await;
}

/// Waits for `count` messages in the user's INBOX (LMTP delivery is asynchronous).
fn wait_for(s: &MailServers, user: &User, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let n = s.message_count(user, "INBOX").unwrap();
        if n >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} has {n} of {count} messages\n{}\n{}",
            user.email,
            s.postfix_log(),
            s.dovecot_log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn maildir_contains(s: &MailServers, user: &User, needle: &str) -> bool {
    ["new", "cur"].iter().any(|sub| {
        std::fs::read_dir(s.maildir(user).join(sub)).unwrap().any(|entry| {
            let text = std::fs::read(entry.unwrap().path()).unwrap();
            String::from_utf8_lossy(&text).contains(needle)
        })
    })
}

#[tokio::test]
async fn alice_to_bob_via_starttls_submission_and_implicit_tls_submissions() {
    let s = start();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let t = Instant::now();

    let mut smtp = Client::plain(s.submission_port()).await;
    assert!(smtp.line().await.starts_with("220 "));
    smtp.ask("EHLO client.example.test", reply_end).await;
    expect(&mut smtp, "STARTTLS", "220").await;
    let mut smtp = smtp.starttls(s.ca_pem(), "localhost").await;
    send_as(&mut smtp, alice, &bob.email, "via submission").await;

    let (mut smtps, _) = Client::tls(s.submissions_port(), Some(s.ca_pem()), "127.0.0.1").await.unwrap();
    assert!(smtps.line().await.starts_with("220 "));
    send_as(&mut smtps, alice, &bob.email, "via submissions").await;

    wait_for(&s, bob, 2);
    eprintln!("two submissions delivered in {:?}", t.elapsed());
    assert!(
        maildir_contains(&s, bob, "Subject: via submission\r\n")
            || maildir_contains(&s, bob, "Subject: via submission\n")
    );
    assert!(maildir_contains(&s, bob, "via submissions"));
    // Dot-unstuffing happened on the way in.
    assert!(maildir_contains(&s, bob, "\n.stuffed dot line"));
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 0);
}

#[tokio::test]
async fn wrong_password_and_unauthenticated_relay_are_refused() {
    let s = start();
    let (mut smtp, _) = Client::tls(s.submissions_port(), Some(s.ca_pem()), "localhost").await.unwrap();
    smtp.line().await;
    smtp.ask("EHLO client.example.test", reply_end).await;
    let token = b64(b"\0alice\0not-the-password");
    expect(&mut smtp, &format!("AUTH PLAIN {token}"), "535").await;
    expect(&mut smtp, "MAIL FROM:<alice@example.test>", "250").await;
    // Not authenticated: even local recipients are refused on the submission ports.
    let reply = smtp.ask("RCPT TO:<bob@example.test>", reply_end).await;
    assert!(reply.last().unwrap().starts_with("554"), "{reply:?}");
}

#[test]
fn deliver_puts_raw_bytes_into_inbox() {
    let s = start();
    let bob = s.user("bob");
    let raw =
        b"From: <carol@example.org>\r\nTo: <bob@example.test>\r\nSubject: delivered raw\r\n\r\nbody\r\n";
    s.deliver(bob, raw).unwrap();
    s.deliver(bob, raw).unwrap();
    assert_eq!(s.message_count(bob, "INBOX").unwrap(), 2);
    assert!(maildir_contains(&s, bob, "Subject: delivered raw"));
}
