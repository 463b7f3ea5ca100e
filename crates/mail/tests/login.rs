//! Logging in to real Dovecot (IMAP, POP3) and Postfix (submission), over implicit TLS and
//! STARTTLS; a wrong password; and no password anywhere in the transcripts or the log file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::Kind;
use tidings_mail::account::{Protocol, Security};
use tidings_mail::auth::Credential;
use tidings_mail::check::check_server;
use tidings_mail::net::{StageName, Transcript};

#[tokio::test]
async fn every_protocol_logs_in_over_implicit_tls_and_starttls() {
    let s = common::servers();
    let alice = s.user("alice");
    let cases = [
        (Protocol::Imap, s.imaps_port(), Security::Implicit),
        (Protocol::Imap, s.imap_port(), Security::StartTls),
        (Protocol::Pop3, s.pop3s_port(), Security::Implicit),
        (Protocol::Pop3, s.pop3_port(), Security::StartTls),
        (Protocol::Smtp, s.submissions_port(), Security::Implicit),
        (Protocol::Smtp, s.submission_port(), Security::StartTls),
    ];
    for (protocol, port, security) in cases {
        let ep = common::endpoint(&s, port, security);
        let t = Transcript::new();
        let c = check_server(protocol, &ep, &Credential::password(&alice.login, &alice.password), &t).await;
        let rendered = t.render();
        println!("--- {protocol:?} {security:?} port {port}\n{rendered}");
        assert!(c.ok, "{protocol:?} {security:?}: {:?}\n{rendered}", c.error);
        let tls = c.facts.tls.as_ref().expect("TLS summary");
        let params = tls.params.as_ref().expect("TLS version read from the ServerHello");
        assert!(params.version.starts_with("TLS 1."), "{params:?}");
        assert!(!tls.pinned);
        let names: Vec<StageName> = c.stages.iter().map(|s| s.name).collect();
        for needed in [
            StageName::Dns,
            StageName::Connect,
            StageName::TlsHandshake,
            StageName::Greeting,
            StageName::Login,
        ] {
            assert!(names.contains(&needed), "{protocol:?} {security:?} lacks stage {needed:?}: {names:?}");
        }
        if security == Security::StartTls {
            assert!(names.contains(&StageName::StartTls));
            assert!(!c.facts.capabilities_before_tls.is_empty());
        }
        if protocol == Protocol::Imap {
            assert!(
                c.facts.capabilities.iter().any(|c| c == "IDLE")
                    || c.facts.capabilities_after_login.iter().any(|c| c == "IDLE")
            );
        }
        assert!(!rendered.contains(&alice.password), "password in the transcript");
    }
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_with_the_servers_words() {
    let s = common::servers();
    let alice = s.user("alice");
    let wrong = format!("{}-wrong", alice.password);
    for (protocol, port, security) in [
        (Protocol::Imap, s.imaps_port(), Security::Implicit),
        (Protocol::Pop3, s.pop3_port(), Security::StartTls),
        (Protocol::Smtp, s.submission_port(), Security::StartTls),
    ] {
        let ep = common::endpoint(&s, port, security);
        let t = Transcript::new();
        let c = check_server(protocol, &ep, &Credential::password(&alice.login, &wrong), &t).await;
        let e = c.error_value.expect("a wrong password must fail");
        println!("{protocol:?}: {e} [{}]", e.kind());
        assert_eq!(e.kind(), Kind::Auth, "{protocol:?}: {e}");
        let words = e.server_words().expect("the server's words are kept");
        let expected = match protocol {
            Protocol::Imap => "AUTHENTICATIONFAILED",
            Protocol::Pop3 => "-ERR",
            Protocol::Smtp => "535",
        };
        assert!(words.contains(expected), "{protocol:?}: {words}");
        assert!(!t.render().contains(&wrong) && !t.render().contains(&alice.password));
    }
}

#[tokio::test]
async fn the_transcript_log_file_never_holds_the_password() {
    let s = common::servers();
    let alice = s.user("alice");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alice.transcript.log");
    for (protocol, port, security) in [
        (Protocol::Imap, s.imap_port(), Security::StartTls),
        (Protocol::Pop3, s.pop3s_port(), Security::Implicit),
        (Protocol::Smtp, s.submission_port(), Security::StartTls),
    ] {
        let ep = common::endpoint(&s, port, security);
        let t = Transcript::new();
        t.log_to(&log).unwrap();
        assert!(
            check_server(protocol, &ep, &Credential::password(&alice.login, &alice.password), &t).await.ok
        );
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("LOGIN <redacted>"), "{text}");
    assert!(text.contains("PASS <redacted>") || text.contains("AUTH PLAIN <redacted>"), "{text}");
    assert!(text.contains("AUTH PLAIN <redacted>") || text.contains("AUTH LOGIN"), "{text}");
    assert!(!text.contains(&alice.password), "the password is in the log file");
    // Nor its base64 forms (SASL PLAIN carries "\0user\0password").
    use base64::Engine;
    let b64 =
        base64::engine::general_purpose::STANDARD.encode(format!("\0{}\0{}", alice.login, alice.password));
    assert!(!text.contains(&b64));
}
