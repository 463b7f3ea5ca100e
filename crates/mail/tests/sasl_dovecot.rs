//! Logging in with an access token against real Dovecot and Postfix, which ask the testkit's
//! identity provider about it: IMAP, POP3 and SMTP submission accept a good token, a revoked
//! one is refused with Dovecot's own challenge in the error, an Entra-sized token reaches
//! Postfix (after the 334, not on the 2048-byte-limited AUTH line), and no transcript holds it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::Kind;
use tidings_mail::account::{Protocol, Security};
use tidings_mail::auth::Credential;
use tidings_mail::auth::sasl::Mechanism;
use tidings_mail::check::{ServerCheck, check_server};
use tidings_mail::net::Transcript;
use tidings_testkit::MailServers;
use tidings_testkit::idp::{Idp, IdpConfig};

async fn check(
    s: &MailServers,
    protocol: Protocol,
    port: u16,
    security: Security,
    token: &str,
) -> ServerCheck {
    let alice = s.user("alice");
    let credential = Credential::bearer(alice.email.clone(), token.to_string());
    check_server(protocol, &common::endpoint(s, port, security), &credential, &Transcript::new()).await
}

fn assert_no_token(c: &ServerCheck, token: &str) {
    let json = serde_json::to_string(c).unwrap();
    assert!(!json.contains(token), "the token is in the check's report or transcript");
}

#[tokio::test]
async fn imap_pop3_and_smtp_log_in_with_a_token_and_a_revoked_one_is_explained() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let token = idp.issue("alice").unwrap().access_token;

    let c = check(&s, Protocol::Imap, s.imaps_port(), Security::Implicit, &token).await;
    assert!(c.ok, "{:?}\n{}", c.error, s.dovecot_log());
    assert_eq!(c.facts.sasl_mechanism, Some(Mechanism::XOAuth2));
    assert_no_token(&c, &token);
    let c = check(&s, Protocol::Pop3, s.pop3s_port(), Security::Implicit, &token).await;
    assert!(c.ok, "{:?}", c.error);
    assert_no_token(&c, &token);
    let c = check(&s, Protocol::Smtp, s.submission_port(), Security::StartTls, &token).await;
    assert!(c.ok, "{:?}", c.error);
    assert_no_token(&c, &token);

    idp.revoke_access_tokens();
    let c = check(&s, Protocol::Imap, s.imap_port(), Security::StartTls, &token).await;
    let e = c.error_value.clone().expect("a revoked token is refused");
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert!(e.message().contains("the access token is not valid"), "{e}");
    let words = e.server_words().unwrap();
    assert!(words.starts_with(r#"{"status":"401","schemes":"bearer","scope":"mail""#), "{words}");
    assert!(words.ends_with("NO [AUTHENTICATIONFAILED] Authentication failed."), "{words}");
    assert_no_token(&c, &token);
    let c = check(&s, Protocol::Smtp, s.submission_port(), Security::StartTls, &token).await;
    let e = c.error_value.clone().expect("a revoked token is refused");
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert!(e.server_words().unwrap().contains("535 5.7.8"), "{e:?}");
    assert_no_token(&c, &token);
}

/// Postfix cuts an AUTH line over 2048 bytes; a 2,500-byte token goes after the 334.
#[tokio::test]
async fn a_long_token_reaches_postfix_and_dovecot() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    idp.set_token_length(Some(2_500));
    let token = idp.issue("alice").unwrap().access_token;
    assert_eq!(token.len(), 2_500);
    let c = check(&s, Protocol::Smtp, s.submission_port(), Security::StartTls, &token).await;
    assert!(c.ok, "{:?}", c.error);
    assert!(c.transcript.iter().any(|l| l.text == "AUTH XOAUTH2"), "the response did not follow the 334");
    assert_no_token(&c, &token);
    let c = check(&s, Protocol::Pop3, s.pop3_port(), Security::StartTls, &token).await;
    assert!(c.ok, "{:?}", c.error);
    assert_no_token(&c, &token);
    let c = check(&s, Protocol::Imap, s.imap_port(), Security::StartTls, &token).await;
    assert!(c.ok, "{:?}", c.error);
    assert_no_token(&c, &token);
}
