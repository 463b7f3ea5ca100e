//! The encryption chosen does not fit the port: STARTTLS (plain text first) against a port
//! that speaks TLS from the first byte, and SSL/TLS against a plain-text port. Both are said
//! at once, with what to choose instead, against the real Dovecot and Postfix for IMAP, POP3
//! and SMTP, and against scripted servers for the edges: TLS bytes in place of a greeting, a
//! plain server that is only slow to greet (not taken for TLS), and a silent port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use tidings_mail::account::{Protocol, Security};
use tidings_mail::check::SessionFacts;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::{Error, Kind, imap, pop3, smtp};
use tidings_testkit::MailServers;
use tidings_testkit::hostile::{Hostile, LeafKind, Reply, Script};

fn servers() -> MailServers {
    MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

/// The read timeout a person would have: the 60 s the report waited out.
fn endpoint(port: u16, security: Security) -> Endpoint {
    Endpoint::new("127.0.0.1", port, security)
}

/// Greeting, capabilities and STARTTLS, as every connection starts.
async fn open(protocol: Protocol, ep: &Endpoint) -> Result<SessionFacts, Error> {
    let (t, mut facts) = (Transcript::new(), SessionFacts::default());
    match protocol {
        Protocol::Imap => drop(imap::open(ep, &t, &mut facts).await?),
        Protocol::Pop3 => drop(pop3::Pop3::open(ep, &t, &mut facts).await?),
        Protocol::Smtp => drop(smtp::open(ep, &t, &mut facts).await?),
    }
    Ok(facts)
}

/// How it failed, and how long it took.
async fn fail(protocol: Protocol, ep: Endpoint) -> (Error, Duration) {
    let started = Instant::now();
    let e = open(protocol, &ep).await.expect_err("the wrong encryption must fail");
    (e, started.elapsed())
}

#[tokio::test]
async fn starttls_against_an_ssl_port_says_ssl_tls_within_seconds() {
    let s = servers();
    let cases = [
        (Protocol::Imap, s.imaps_port(), "STARTTLS with port 143"),
        (Protocol::Pop3, s.pop3s_port(), "STARTTLS with port 110"),
        (Protocol::Smtp, s.submissions_port(), "STARTTLS with port 587"),
    ];
    let runs = cases.map(|(protocol, port, _)| fail(protocol, endpoint(port, Security::StartTls)));
    let [imap, pop3, smtp] = runs;
    let (imap, pop3, smtp) = tokio::join!(imap, pop3, smtp);
    for ((e, took), (protocol, port, instead)) in [imap, pop3, smtp].into_iter().zip(cases) {
        // Dovecot and Postfix wait for our TLS hello in silence; the second connection asks.
        assert!(took < Duration::from_secs(10), "{protocol:?} took {took:?}: {e}");
        assert_eq!(e.kind(), Kind::Config, "{protocol:?}: {e}");
        assert_eq!(
            e.message(),
            format!(
                "port {port} of 127.0.0.1 speaks TLS from the first byte (SSL/TLS), not plain text: choose SSL/TLS, or {instead}"
            ),
            "{protocol:?}"
        );
        assert_eq!(e.server_words(), None, "nothing the server said: {e}");
    }
}

#[tokio::test]
async fn ssl_tls_against_a_plain_port_says_starttls() {
    let s = servers();
    let cases = [
        (Protocol::Imap, s.imap_port(), "* OK"),
        (Protocol::Pop3, s.pop3_port(), "+OK"),
        (Protocol::Smtp, s.submission_port(), "220"),
    ];
    for (protocol, port, greeting) in cases {
        let (e, took) = fail(protocol, endpoint(port, Security::Implicit)).await;
        assert!(took < Duration::from_secs(10), "{protocol:?} took {took:?}: {e}");
        assert_eq!(e.kind(), Kind::Tls, "{protocol:?}: {e}");
        assert!(
            e.message().contains("this port speaks plain text first; choose STARTTLS"),
            "{protocol:?}: {e}"
        );
        // The greeting is the server's; what OpenSSL made of it is ours, kept as a detail.
        let words = e.server_words().unwrap_or_default();
        assert!(words.starts_with(greeting), "{protocol:?}: {words:?}");
        assert!(!words.contains("SSL routines") && !words.contains("error:"), "{words}");
        let local = tidings_mail::net::tls::TlsLibrary::find(&e).expect("the TLS library's account is kept");
        assert!(!local.0.is_empty());
    }
}

#[tokio::test]
async fn tls_bytes_in_place_of_a_greeting_are_recognised_at_once() {
    // A TLS alert (fatal, unexpected message), as some servers send when no hello came.
    let alert = Hostile::start(Script::new(Reply::text(b"\x15\x03\x03\x00\x02\x02\x0a"))).await.unwrap();
    let mut ep = endpoint(alert.port(), Security::StartTls);
    ep.timeouts.io = Duration::from_secs(30);
    let (e, took) = fail(Protocol::Pop3, ep).await;
    assert!(took < Duration::from_secs(2), "{took:?}: {e}");
    assert_eq!(e.kind(), Kind::Config, "{e}");
    assert!(e.message().contains("speaks TLS from the first byte (SSL/TLS)"), "{e}");
    assert!(e.message().ends_with("choose SSL/TLS, or STARTTLS with port 110"), "{e}");
    assert_eq!(alert.connections(), 1, "no need to ask on a second connection");
}

#[tokio::test]
async fn a_scripted_tls_port_is_found_by_the_second_connection() {
    // A TLS acceptor: silent until it gets a ClientHello.
    let server = Hostile::start(Script::new(Reply::tls(LeafKind::SelfSigned))).await.unwrap();
    let (e, took) = fail(Protocol::Imap, endpoint(server.port(), Security::StartTls)).await;
    assert!(took >= Duration::from_secs(3) && took < Duration::from_secs(10), "{took:?}: {e}");
    assert_eq!(e.kind(), Kind::Config, "{e}");
    assert!(e.message().contains("speaks TLS from the first byte (SSL/TLS)"), "{e}");
    assert!(e.message().ends_with("STARTTLS with port 143"), "{e}");
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_plain_server_slow_to_greet_is_not_taken_for_tls() {
    // Looks up the client's name for six seconds, then greets; the question asked on the
    // second connection meets the same pause and a plain greeting, and changes nothing.
    let imap = Script::new(Reply::pause(Duration::from_secs(6)).then(Reply::text("* OK slow but plain\r\n")))
        .on("CAPABILITY", Reply::text("* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n"))
        .on("STARTTLS", Reply::text("{tag} OK go ahead\r\n").then(Reply::tls(LeafKind::Valid)))
        .otherwise(Reply::text("{tag} OK done\r\n"));
    let server = Hostile::start(imap).await.unwrap();
    let mut ep = endpoint(server.port(), Security::StartTls);
    ep.trust.extra_ca_pem.push(std::fs::read(server.ca_path().unwrap()).unwrap());
    let facts = open(Protocol::Imap, &ep).await.unwrap();
    assert_eq!(facts.greeting.as_deref(), Some("* OK slow but plain"));
    assert!(facts.tls.is_some(), "STARTTLS went through");
    assert_eq!(server.connections(), 2, "the port was asked once");
    // The connection that waited got only its own commands.
    let commands = server.commands();
    assert!(commands.iter().any(|c| c.ends_with("STARTTLS")), "{commands:?}");
}

#[tokio::test]
async fn a_silent_port_ends_at_the_read_timeout_and_says_no_greeting() {
    let server = Hostile::start(Script::new(Reply::silence())).await.unwrap();
    let mut ep = endpoint(server.port(), Security::StartTls);
    ep.timeouts.io = Duration::from_secs(6);
    ep.timeouts.connect = Duration::from_secs(1);
    let (e, took) = fail(Protocol::Smtp, ep).await;
    assert!(took >= Duration::from_secs(6) && took < Duration::from_secs(9), "{took:?}: {e}");
    assert_eq!(e.kind(), Kind::Network, "{e}");
    assert_eq!(e.message(), "127.0.0.1 stopped answering: no greeting in 6 s");
    assert!(e.is_timeout());
    assert_eq!(server.connections(), 2, "the port was asked whether it speaks TLS");
}

#[tokio::test]
async fn an_https_certificate_from_an_unknown_ca_is_not_put_in_the_servers_mouth() {
    use tidings_mail::http::{Client, Url};
    use tidings_mail::net::TrustAnchors;
    use tidings_mail::net::tls::TlsLibrary;
    use tidings_testkit::http::HttpServer;

    let server = HttpServer::start_with_tls().await.unwrap();
    let url = Url::parse(&format!("https://{}/config.xml", server.https_addr().unwrap())).unwrap();
    let client = Client::new(64 * 1024, Duration::from_secs(5), TrustAnchors::default());
    let e = client.get(&url).await.expect_err("the throw-away CA is not trusted");
    assert_eq!(e.kind(), Kind::Tls, "{e}");
    // OpenSSL's "certificate verify failed" was said here, not by the server.
    assert_eq!(e.server_words(), None, "{e}");
    let local = TlsLibrary::find(&e).expect("the TLS library's account is kept as a detail");
    assert!(local.0.contains("certificate verify failed"), "{local}");
}
