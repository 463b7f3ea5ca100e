//! Scripted fault servers: no STARTTLS, a cut connection, garbage, silence. Each gives its
//! own kind of error, and no credential ever leaves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tidings_mail::Kind;
use tidings_mail::account::{Protocol, Security};
use tidings_mail::auth::Credential;
use tidings_mail::check::check_server;
use tidings_mail::net::{Dir, Endpoint, Transcript};
use tidings_testkit::fault::{FaultServer, Proto};

const PASSWORD: &str = "fault-test-secret-17";

fn ep(port: u16, security: Security) -> Endpoint {
    let mut ep = Endpoint::new("127.0.0.1", port, security);
    ep.timeouts.io = Duration::from_secs(2);
    ep.timeouts.connect = Duration::from_secs(2);
    ep
}

#[tokio::test]
async fn required_starttls_not_offered_fails_before_any_credential() {
    for (proto, protocol) in
        [(Proto::Imap, Protocol::Imap), (Proto::Pop3, Protocol::Pop3), (Proto::Smtp, Protocol::Smtp)]
    {
        let server = FaultServer::no_starttls(proto).await.unwrap();
        let t = Transcript::new();
        let c = check_server(
            protocol,
            &ep(server.port(), Security::StartTls),
            &Credential::password("alice", PASSWORD),
            &t,
        )
        .await;
        let e = c.error_value.expect("must fail");
        println!("{protocol:?}: {e}\n{}", t.render());
        assert_eq!(e.kind(), Kind::Tls, "{protocol:?}: {e}");
        assert!(e.message().contains("does not offer STARTTLS"), "{e}");
        let sent = String::from_utf8_lossy(&server.received()).to_string();
        assert!(!sent.contains(PASSWORD), "{protocol:?} sent the password: {sent}");
        for verb in ["LOGIN", "PASS", "AUTH", "USER"] {
            assert!(!sent.to_ascii_uppercase().contains(verb), "{protocol:?} sent {verb}: {sent}");
        }
        // The transcript agrees: the client's last words were the capability request.
        let client: Vec<String> =
            t.lines().into_iter().filter(|l| l.dir == Dir::Client).map(|l| l.text).collect();
        assert!(
            client.iter().all(|l| ["CAPABILITY", "CAPA", "EHLO"].iter().any(|c| l.contains(c))),
            "{protocol:?}: {client:?}"
        );
    }
}

#[tokio::test]
async fn a_cut_connection_is_a_network_error() {
    for (proto, protocol) in
        [(Proto::Imap, Protocol::Imap), (Proto::Pop3, Protocol::Pop3), (Proto::Smtp, Protocol::Smtp)]
    {
        let server = FaultServer::drop_after(proto, 10).await.unwrap();
        let c = check_server(
            protocol,
            &ep(server.port(), Security::None),
            &Credential::password("alice", PASSWORD),
            &Transcript::new(),
        )
        .await;
        let e = c.error_value.expect("must fail");
        assert_eq!(e.kind(), Kind::Network, "{protocol:?}: {e}");
    }
}

#[tokio::test]
async fn garbage_is_a_protocol_error_and_silence_times_out() {
    for (proto, protocol) in
        [(Proto::Imap, Protocol::Imap), (Proto::Pop3, Protocol::Pop3), (Proto::Smtp, Protocol::Smtp)]
    {
        let server = FaultServer::garbage(proto).await.unwrap();
        let c = check_server(
            protocol,
            &ep(server.port(), Security::None),
            &Credential::password("alice", PASSWORD),
            &Transcript::new(),
        )
        .await;
        let e = c.error_value.expect("must fail");
        assert_eq!(e.kind(), Kind::Protocol, "{protocol:?}: {e}");
    }
    let server = FaultServer::silent().await.unwrap();
    let t = Transcript::new();
    let started = std::time::Instant::now();
    let c = check_server(
        Protocol::Imap,
        &ep(server.port(), Security::None),
        &Credential::password("alice", PASSWORD),
        &t,
    )
    .await;
    let e = c.error_value.expect("must time out");
    assert_eq!(e.kind(), Kind::Network, "{e}");
    assert!(e.message().contains("stopped answering"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn implicit_tls_against_a_plain_port_explains_itself() {
    let server = FaultServer::no_starttls(Proto::Imap).await.unwrap();
    let c = check_server(
        Protocol::Imap,
        &ep(server.port(), Security::Implicit),
        &Credential::password("alice", PASSWORD),
        &Transcript::new(),
    )
    .await;
    let e = c.error_value.expect("must fail");
    assert_eq!(e.kind(), Kind::Tls, "{e}");
    assert!(e.message().contains("SSL/TLS"), "{e}");
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = check_server(
        Protocol::Imap,
        &ep(port, Security::Implicit),
        &Credential::password("alice", PASSWORD),
        &Transcript::new(),
    )
    .await;
    let e = c.error_value.expect("must fail");
    assert_eq!(e.kind(), Kind::Network);
    assert!(e.message().contains("connection refused"), "{e}");
}
