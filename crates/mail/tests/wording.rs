//! What the person is told when a server is slow or refuses, against scripted servers: a
//! login that gets no answer is not a wrong host name, and an SMTP refusal is reported with
//! the refusal's own words, not those of the QUIT after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tidings_mail::account::{Protocol, Security};
use tidings_mail::auth::Credential;
use tidings_mail::check::check_server;
use tidings_mail::error::ErrorReport;
use tidings_mail::explain::explain;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::{Error, Kind};
use tidings_testkit::hostile::{Hostile, Reply, Script};

fn endpoint(server: &Hostile, io: Duration) -> Endpoint {
    let mut ep = Endpoint::new(server.host(), server.port(), Security::None);
    ep.timeouts.io = io;
    ep
}

async fn check_error(protocol: Protocol, server: &Hostile, io: Duration) -> Error {
    let check = check_server(
        protocol,
        &endpoint(server, io),
        &Credential::password("alice", "pw-for-hostile"),
        &Transcript::new(),
    )
    .await;
    assert!(!check.ok, "{:?}", check.stages);
    check.error_value.expect("the check failed with an error")
}

/// A server that greets and answers the capabilities, then never answers the login.
fn silent_login(protocol: Protocol) -> Script {
    match protocol {
        Protocol::Imap => Script::new(Reply::text("* OK hostile IMAP ready\r\n"))
            .on("CAPABILITY", Reply::text("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"))
            .on("LOGIN", Reply::silence()),
        Protocol::Pop3 => Script::new(Reply::text("+OK hostile POP3 ready\r\n"))
            .on("CAPA", Reply::text("+OK\r\nUSER\r\n.\r\n"))
            .on("USER", Reply::text("+OK\r\n"))
            .on("PASS", Reply::silence()),
        Protocol::Smtp => Script::new(Reply::text("220 hostile ESMTP\r\n"))
            .on("EHLO", Reply::text("250-hostile\r\n250 AUTH PLAIN LOGIN\r\n"))
            .on("AUTH", Reply::silence()),
    }
}

/// The login gets no answer within the read timeout: the server is reachable (it greeted),
/// so the error says the login was not answered in time, and nothing sends the person to
/// check the host name.
#[tokio::test]
async fn a_login_without_an_answer_is_not_blamed_on_the_host_name() {
    for protocol in [Protocol::Imap, Protocol::Pop3, Protocol::Smtp] {
        let server = Hostile::start(silent_login(protocol)).await.unwrap();
        let e = check_error(protocol, &server, Duration::from_secs(1)).await;
        assert_eq!(e.kind(), Kind::Network, "{protocol:?}: {e}");
        assert_eq!(
            e.message(),
            "127.0.0.1 answered the connection but did not answer the login within 1 s",
            "{protocol:?}"
        );
        let advice = e.advice();
        assert!(!advice.contains("host name") || advice.contains("host name and port are right"), "{advice}");
        assert!(advice.contains("busy or overloaded"), "{advice}");
        assert_eq!(ErrorReport::from(&e).advice, advice);
        let explained = explain(protocol, &e).unwrap_or_default();
        assert!(explained.contains("reachable"), "{protocol:?}: {explained}");
        assert!(e.detail().contains("1 s"), "{}", e.detail());
    }
}

/// A wrong password is still a wrong password (the login answer came).
#[tokio::test]
async fn a_refused_login_keeps_its_own_advice() {
    let server = Hostile::start(
        Script::new(Reply::text("+OK ready\r\n"))
            .on("CAPA", Reply::text("+OK\r\nUSER\r\n.\r\n"))
            .on("USER", Reply::text("+OK\r\n"))
            .on("PASS", Reply::text("-ERR [AUTH] invalid password\r\n")),
    )
    .await
    .unwrap();
    let e = check_error(Protocol::Pop3, &server, Duration::from_secs(5)).await;
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert_eq!(e.advice(), Kind::Auth.advice());
}

/// AUTH LOGIN refused with 535: lettre answers the refusal with QUIT itself, so the last line
/// of the session is the server's "221 Bye". The words reported are the 535 reply's.
#[tokio::test]
async fn an_smtp_auth_login_refusal_is_reported_with_the_535_not_the_221_after_it() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let server = Hostile::start(
        Script::new(Reply::text("220 hostile ESMTP\r\n"))
            .on("EHLO", Reply::text("250-hostile\r\n250 AUTH LOGIN\r\n"))
            .on("AUTH LOGIN", Reply::text("334 VXNlcm5hbWU6\r\n"))
            .on(&b64("alice"), Reply::text("334 UGFzc3dvcmQ6\r\n"))
            .on(
                &b64("pw-for-hostile"),
                Reply::text("535-5.7.8 Username and Password not accepted.\r\n535 5.7.8 Learn more at the help desk\r\n"),
            )
            .on("QUIT", Reply::text("221 2.0.0 Bye\r\n").then(Reply::close())),
    )
    .await
    .unwrap();
    let e = check_error(Protocol::Smtp, &server, Duration::from_secs(5)).await;
    assert!(server.commands().iter().any(|c| c == "QUIT"), "{:?}", server.commands());
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    let words = e.server_words().unwrap_or_default();
    assert_eq!(
        words,
        "535-5.7.8 Username and Password not accepted. / 535 5.7.8 Learn more at the help desk"
    );
    assert!(!e.to_string().contains("221"), "{e}");
}
