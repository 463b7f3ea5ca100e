//! Message bytes survive POP3 exactly: lines that start with "." (dot-stuffing both ways),
//! a 30 MB message with a 2 MB line and 8-bit bytes, streamed to a file in slices, over
//! plain + STLS and implicit TLS; compared with what was delivered and with the server's
//! own maildir file. Also the client commands the receive pass builds on: TOP, DELE (only
//! at QUIT), RSET, NOOP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;

use std::io::Write;

use pop3_common::*;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::net::Transcript;
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::Pop3;
use tidings_testkit::{MailServers, User};

fn servers() -> MailServers {
    MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

fn dot_message() -> Vec<u8> {
    b"Subject: dots\r\nMessage-ID: <dots@example.test>\r\n\r\n\
      .\r\n..\r\n...\r\n.leading dot\r\n. space\r\nmiddle\r\n.\r\n..\r\n"
        .to_vec()
}

/// About 30 MB: a 2 MB line without a break, 8-bit bytes, dotted lines throughout.
fn big_message() -> Vec<u8> {
    let mut m =
        b"Subject: big\r\nMessage-ID: <big@example.test>\r\nContent-Type: application/octet-stream\r\n\r\n"
            .to_vec();
    m.extend(std::iter::repeat_n(b'A', 2 * 1024 * 1024));
    m.extend_from_slice(b"\r\n");
    let mut state = 0x1234_5678_u32;
    let mut n = 0u32;
    while m.len() < 30 * 1024 * 1024 {
        n += 1;
        if n.is_multiple_of(50) {
            m.extend_from_slice(b".");
        }
        let len = 20 + (n % 120) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // Printable and 8-bit bytes; no NUL, CR or LF inside a line.
            let b = (state % 223) as u8 + 32;
            m.push(b);
        }
        m.extend_from_slice(b"\r\n");
    }
    m
}

/// The maildir file Dovecot keeps for the message with `marker` in it.
fn maildir_file(s: &MailServers, u: &User, marker: &[u8]) -> Vec<u8> {
    for sub in ["cur", "new"] {
        for entry in std::fs::read_dir(s.maildir(u).join(sub)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            if bytes.windows(marker.len()).any(|w| w == marker) {
                return bytes;
            }
        }
    }
    panic!("no maildir file has {}", String::from_utf8_lossy(marker));
}

/// Dovecot may store bare LF; POP3 sends CRLF. Compares modulo that only.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Fails if any single write is larger than the read buffer: the message is streamed, never
/// held whole.
struct Slices {
    file: std::io::BufWriter<std::fs::File>,
    largest: usize,
}

impl Write for Slices {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        self.file.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

async fn session(s: &MailServers, u: &User, security: Security) -> Pop3 {
    let t = target(s, u, security);
    let mut facts = SessionFacts::default();
    let mut p = Pop3::open(&t.endpoint, &Transcript::new(), &mut facts).await.unwrap();
    p.login(&Credential::password(&u.login, &u.password), &facts).await.unwrap();
    p
}

#[tokio::test]
async fn dot_lines_and_a_30_mb_message_round_trip_byte_for_byte() {
    let s = servers();
    let u = s.user("alice");
    let (dots, big) = (dot_message(), big_message());
    s.deliver(u, &dots).unwrap();
    s.deliver(u, &big).unwrap();
    assert_eq!(crlf(&maildir_file(&s, u, b"<dots@example.test>")), dots);
    assert_eq!(crlf(&maildir_file(&s, u, b"<big@example.test>")), big);

    // The receive pass, plain + STLS, into the store.
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let r = receive(&target(&s, u, Security::StartTls), &Pop3Options::default(), &st, day(0)).await;
    assert_eq!(r.downloaded, 2);
    assert!(inbox_body(&st, "dots@example.test").await.unwrap() == dots, "dot-lines message differs");
    assert!(inbox_body(&st, "big@example.test").await.unwrap() == big, "30 MB message differs");
    let spool = dir.path().join("pop3-spool");
    let left: usize = walk(&spool);
    assert_eq!(left, 0, "spool files are removed once committed");

    // Streamed to a file over implicit TLS, in slices no larger than the read buffer.
    let mut p = session(&s, u, Security::Implicit).await;
    let list = p.list().await.unwrap();
    let (big_n, big_size) = *list.iter().max_by_key(|(_, size)| *size).unwrap();
    let path = dir.path().join("big.eml");
    let mut out = Slices { file: std::io::BufWriter::new(std::fs::File::create(&path).unwrap()), largest: 0 };
    let n = p.retr_into(big_n, big_size, &mut out).await.unwrap();
    out.flush().unwrap();
    assert_eq!(n, big.len() as u64);
    assert!(out.largest <= 64 * 1024, "largest write {}", out.largest);
    assert!(std::fs::read(&path).unwrap() == big);
    let small_n = list.iter().find(|(n, _)| *n != big_n).unwrap().0;
    p.retr_to_file(small_n, 0, &dir.path().join("dots.eml")).await.unwrap();
    assert_eq!(std::fs::read(dir.path().join("dots.eml")).unwrap(), dots);
    p.quit().await.unwrap();
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let part = |p: &std::path::Path| usize::from(p.extension().is_some_and(|x| x == "part"));
    entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { part(&e.path()) }).sum()
}

#[tokio::test]
async fn top_dele_rset_noop_and_deletion_only_at_quit() {
    let s = servers();
    let u = s.user("bob");
    s.seed(u, 4).unwrap();
    let mut p = session(&s, u, Security::StartTls).await;
    for cap in ["TOP", "UIDL", "PIPELINING", "RESP-CODES", "USER"] {
        assert!(p.has_capability(cap), "{cap}: {:?}", p.capabilities());
    }
    assert!(p.pipelining());
    assert_eq!(p.stat().await.unwrap().0, 4);
    let head = p.top(1, 0).await.unwrap();
    assert!(head.ends_with(b"\r\n\r\n") && head.starts_with(b"Date: "), "{}", String::from_utf8_lossy(&head));
    let full = p.retr(1).await.unwrap();
    assert!(full.starts_with(&head) && full.len() > head.len());

    // DELE then RSET: nothing goes.
    p.dele(1).await.unwrap();
    let e = p.retr(1).await.unwrap_err();
    assert!(e.server_words().unwrap_or("").starts_with("-ERR"), "{e}");
    p.rset().await.unwrap();
    p.noop().await.unwrap();
    assert_eq!(p.retr(1).await.unwrap(), full);
    // DELE then a dropped connection: nothing goes (no UPDATE state without QUIT).
    p.dele(2).await.unwrap();
    drop(p);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 4);
    // DELE then QUIT: gone.
    let mut p = session(&s, u, Security::Implicit).await;
    p.dele(2).await.unwrap();
    p.quit().await.unwrap();
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 3);
}
