//! The scripted fault servers behave as documented.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

mod common;

use std::time::Duration;

use common::{Client, sha256_hex};
use tidings_testkit::fault::{FaultServer, Proto};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn received(server: &FaultServer) -> String {
    String::from_utf8_lossy(&server.received()).into_owned()
}

/// `received` fills asynchronously: wait until it contains `needle`.
async fn wait_received(server: &FaultServer, needle: &str) {
    for _ in 0..200 {
        if received(server).contains(needle) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{needle:?} never arrived; got {:?}", received(server));
}

#[tokio::test]
async fn imap_without_starttls() {
    let server = FaultServer::no_starttls(Proto::Imap).await.unwrap();
    let mut c = Client::plain(server.port()).await;
    assert_eq!(c.line().await, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready");
    let caps = c.ask("a CAPABILITY", |l| l.starts_with("a ")).await.join("\n");
    assert!(!caps.contains("STARTTLS"), "{caps}");
    assert!(c.ask("b STARTTLS", |_| true).await[0].starts_with("b BAD"));
    assert!(c.ask("c LOGIN alice secret1", |_| true).await[0].starts_with("c OK"));
    // Literals are accepted too.
    c.send("d LOGIN {5}").await;
    assert!(c.line().await.starts_with('+'));
    assert!(c.ask("alice secret2", |_| true).await[0].starts_with("d OK"));
    let fetch = c.ask("e UID FETCH 2 (UID BODY.PEEK[])", |l| l.starts_with("e ")).await;
    assert!(fetch[0].starts_with("* 2 FETCH (UID 2"), "{fetch:?}");
    assert!(c.ask("f LOGOUT", |l| l.starts_with("f ")).await.len() == 2);
    let got = received(&server);
    assert!(got.contains("c LOGIN alice secret1\r\n") && got.contains("secret2"), "{got}");
}

#[tokio::test]
async fn pop3_without_stls() {
    let server = FaultServer::no_starttls(Proto::Pop3).await.unwrap();
    let mut c = Client::plain(server.port()).await;
    assert!(c.line().await.starts_with("+OK"));
    let capa = c.ask("CAPA", |l| l == ".").await;
    assert!(capa[0].starts_with("+OK") && !capa.contains(&"STLS".to_owned()), "{capa:?}");
    assert!(c.ask("STLS", |_| true).await[0].starts_with("-ERR"));
    assert!(c.ask("USER alice", |_| true).await[0].starts_with("+OK"));
    assert!(c.ask("PASS secret", |_| true).await[0].starts_with("+OK"));
    let stat = c.ask("STAT", |_| true).await;
    assert!(stat[0].starts_with("+OK 3 "), "{stat:?}");
    // Message 3 is the dot-lines shape: its lone "." line arrives stuffed as "..".
    let retr = c.ask("RETR 3", |l| l == ".").await;
    assert!(retr[0].starts_with("+OK"), "{retr:?}");
    assert!(retr.iter().any(|l| l == "..") && retr.iter().any(|l| l == "...two dots"), "{retr:?}");
    assert!(c.ask("QUIT", |_| true).await[0].starts_with("+OK"));
    assert!(received(&server).contains("PASS secret\r\n"));
}

#[tokio::test]
async fn smtp_without_starttls() {
    let server = FaultServer::no_starttls(Proto::Smtp).await.unwrap();
    let mut c = Client::plain(server.port()).await;
    assert!(c.line().await.starts_with("220 "));
    let ehlo = c.ask("EHLO me", |l| l.starts_with("250 ")).await;
    assert!(!ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
    assert!(c.ask("STARTTLS", |_| true).await[0].starts_with("502"));
    assert!(c.ask("AUTH PLAIN AGFsaWNlAHNlY3JldA==", |_| true).await[0].starts_with("235"));
    assert!(c.ask("AUTH LOGIN", |_| true).await[0].starts_with("334"));
    assert!(c.ask("YWxpY2U=", |_| true).await[0].starts_with("334"));
    assert!(c.ask("c2VjcmV0", |_| true).await[0].starts_with("235"));
    c.ask("MAIL FROM:<a@example.test>", |_| true).await;
    c.ask("RCPT TO:<b@example.test>", |_| true).await;
    assert!(c.ask("DATA", |_| true).await[0].starts_with("354"));
    assert!(c.ask("Subject: x\r\n\r\nhi\r\n.", |_| true).await[0].starts_with("250"));
    assert!(c.ask("QUIT", |_| true).await[0].starts_with("221"));
}

#[tokio::test]
async fn drop_after_closes_after_exactly_n_bytes() {
    for (proto, command) in [
        (Proto::Imap, "a UID FETCH 1:* (BODY.PEEK[])\r\n"),
        (Proto::Pop3, "RETR 1\r\n"),
        (Proto::Smtp, "EHLO me\r\n"),
    ] {
        for budget in [0, 10, 100] {
            let server = FaultServer::drop_after(proto, budget).await.unwrap();
            let mut tcp = TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
            let _ = tcp.write_all(command.as_bytes()).await;
            let mut got = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut got));
            // A reset after the last byte is fine too; what counts is what arrived.
            let _ = read.await.expect("server did not close");
            assert_eq!(got.len(), budget, "{proto:?} budget {budget}: {:?}", String::from_utf8_lossy(&got));
        }
    }
}

#[tokio::test]
async fn garbage_greeting_is_not_a_protocol() {
    for proto in [Proto::Imap, Proto::Pop3, Proto::Smtp] {
        let server = FaultServer::garbage(proto).await.unwrap();
        let mut tcp = TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await.unwrap().unwrap();
        let greeting = &buf[..n];
        assert!(n > 8 && std::str::from_utf8(greeting).is_err(), "{greeting:?}");
        assert!(
            !greeting.starts_with(b"* OK") && !greeting.starts_with(b"+OK") && !greeting.starts_with(b"220")
        );
        tcp.write_all(b"a CAPABILITY\r\n").await.unwrap();
        wait_received(&server, "a CAPABILITY").await;
    }
}

#[tokio::test]
async fn silent_server_never_answers_but_records() {
    let server = FaultServer::silent().await.unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
    tcp.write_all(b"hello?\r\n").await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(300), tcp.read(&mut buf)).await;
    assert!(read.is_err(), "silent server wrote {read:?}");
    wait_received(&server, "hello?\r\n").await;
}

#[tokio::test]
async fn tls_with_own_cert_is_untrusted_unless_its_ca_is_added() {
    for (proto, greeting) in [(Proto::Imap, "* OK ready"), (Proto::Pop3, "+OK ready"), (Proto::Smtp, "220 ")]
    {
        let server = FaultServer::tls_with_own_cert(proto).await.unwrap();
        assert_eq!(server.leaf_sha256_hex(), sha256_hex(server.leaf_der()));
        assert_eq!(server.ca_pem(), std::fs::read(server.ca_path()).unwrap().as_slice());

        // A client with system roots refuses it, and nothing reaches the plaintext side.
        assert!(Client::tls(server.port(), None, "localhost").await.is_err());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(server.received().is_empty());

        let (mut c, leaf) = Client::tls(server.port(), Some(server.ca_pem()), "127.0.0.1").await.unwrap();
        assert_eq!(sha256_hex(&leaf), server.leaf_sha256_hex());
        assert!(c.line().await.starts_with(greeting));
        c.send("secret-marker").await;
        wait_received(&server, "secret-marker").await;
    }
}

#[tokio::test]
async fn dropping_the_server_closes_listener_and_connections() {
    let server = FaultServer::silent().await.unwrap();
    let port = server.port();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    drop(server);
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "connection still open: {read:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}

#[tokio::test]
#[should_panic(expected = "only FaultServer::tls_with_own_cert has a certificate")]
async fn plain_fault_server_has_no_certificate() {
    let server = FaultServer::no_starttls(Proto::Imap).await.unwrap();
    let _ = server.leaf_sha256_hex();
}
