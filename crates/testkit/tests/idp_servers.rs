//! Real Dovecot + Postfix taking the identity provider's tokens (SASL XOAUTH2 and OAUTHBEARER)
//! over IMAP, POP3 and SMTP submission, beside passwords.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

mod common;

use std::time::{Duration, Instant};

use common::{Client, b64};
use serde_json::Value;
use tidings_testkit::MailServers;
use tidings_testkit::idp::{Endpoint, Idp, IdpConfig};

async fn idp() -> Idp {
    Idp::start(IdpConfig::default()).await.unwrap()
}

fn xoauth2(user: &str, token: &str) -> String {
    b64(format!("user={user}\x01auth=Bearer {token}\x01\x01").as_bytes())
}

fn oauthbearer(user: &str, token: &str, port: u16) -> String {
    b64(format!("n,a={user},\x01host=127.0.0.1\x01port={port}\x01auth=Bearer {token}\x01\x01").as_bytes())
}

fn tagged(line: &str) -> bool {
    line.starts_with("a ") || line.starts_with("+ ")
}

fn smtp_end(line: &str) -> bool {
    line.len() < 4 || line.as_bytes()[3] == b' '
}

/// The JSON inside a `+ <base64>` / `334 <base64>` challenge.
fn challenge_json(line: &str) -> Value {
    let b64 = line.split_once(' ').map_or("", |(_, b)| b);
    serde_json::from_slice(&decode_b64(b64)).unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn decode_b64(text: &str) -> Vec<u8> {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = T.iter().position(|&t| t == c).unwrap() as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

async fn imaps(s: &MailServers) -> Client {
    let (mut c, _) = Client::tls(s.imaps_port(), Some(s.ca_pem()), "localhost").await.unwrap();
    assert!(c.line().await.starts_with("* OK"));
    c
}

/// Blocking, like `MailServers::start`; the identity provider has its own thread.
fn servers_with(idp: &Idp) -> MailServers {
    MailServers::start_with_oauth2(idp).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn imap_takes_xoauth2_and_oauthbearer_and_passwords_never_reach_the_idp() {
    let idp = idp().await;
    let s = servers_with(&idp);
    let alice = s.user("alice");
    let token = idp.issue("alice").unwrap().access_token;

    let mut c = imaps(&s).await;
    let caps = c.ask("a CAPABILITY", |l| l.starts_with("a ")).await.join("\n");
    assert!(caps.contains("AUTH=XOAUTH2") && caps.contains("AUTH=OAUTHBEARER"), "{caps}");
    // The full address and the bare login both match the token's email claim.
    for user in [alice.email.as_str(), "alice"] {
        let mut c = imaps(&s).await;
        let reply = c.ask(&format!("a AUTHENTICATE XOAUTH2 {}", xoauth2(user, &token)), tagged).await;
        assert!(reply.last().unwrap().starts_with("a OK"), "{user}: {reply:?}\n{}", s.dovecot_log());
        let select = c.ask("a SELECT INBOX", |l| l.starts_with("a ")).await;
        assert!(select.last().unwrap().starts_with("a OK"), "{select:?}");
    }
    let mut c = imaps(&s).await;
    let line = oauthbearer(&alice.email, &token, s.imaps_port());
    let reply = c.ask(&format!("a AUTHENTICATE OAUTHBEARER {line}"), tagged).await;
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}\n{}", s.dovecot_log());
    // Without SASL-IR: the empty continuation, then the response.
    let mut c = imaps(&s).await;
    let reply = c.ask("a AUTHENTICATE XOAUTH2", tagged).await;
    assert_eq!(reply.last().unwrap().trim_end(), "+");
    let reply = c.ask(&xoauth2("alice", &token), tagged).await;
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}");
    assert_eq!(idp.count(Endpoint::Introspect), 4);

    // A token for bob does not open alice.
    let bobs = idp.issue("bob").unwrap().access_token;
    let mut c = imaps(&s).await;
    let reply = c.ask(&format!("a AUTHENTICATE XOAUTH2 {}", xoauth2("alice", &bobs)), tagged).await;
    let last = reply.last().unwrap().clone();
    if last.starts_with("+ ") {
        let reply = c.ask("", tagged).await;
        assert!(reply.last().unwrap().starts_with("a NO"), "{reply:?}");
    } else {
        assert!(last.starts_with("a NO"), "{reply:?}");
    }

    // Passwords keep working, and go only to the password database.
    let before = idp.count(Endpoint::Introspect);
    let mut c = imaps(&s).await;
    let reply = c.ask(&format!("a LOGIN {} {}", alice.login, alice.password), |l| l.starts_with("a ")).await;
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}");
    let mut c = imaps(&s).await;
    let plain = b64(format!("\0alice\0{}", alice.password).as_bytes());
    let reply = c.ask(&format!("a AUTHENTICATE PLAIN {plain}"), tagged).await;
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}");
    // A token is no password.
    let mut c = imaps(&s).await;
    let reply = c.ask(&format!("a LOGIN alice {token}"), |l| l.starts_with("a ")).await;
    assert!(reply.last().unwrap().starts_with("a NO"), "{reply:?}");
    assert_eq!(idp.count(Endpoint::Introspect), before, "a password went to the identity provider");
}

/// The refusal of a token: the JSON challenge, an empty answer, then the tagged NO.
async fn imap_refused(s: &MailServers, sasl: &str) -> Value {
    let mut c = imaps(s).await;
    let reply = c.ask(&format!("a AUTHENTICATE {sasl}"), tagged).await;
    let challenge = reply.last().unwrap().clone();
    assert!(challenge.starts_with("+ "), "{reply:?}\n{}", s.dovecot_log());
    let done = c.ask("", tagged).await;
    assert!(done.last().unwrap().starts_with("a NO [AUTHENTICATIONFAILED]"), "{done:?}");
    challenge_json(&challenge)
}

#[tokio::test]
async fn revoked_expired_and_unscoped_tokens_are_refused_with_the_json_challenge_and_no_penalty() {
    let idp = idp().await;
    let s = servers_with(&idp);
    let expired = idp.issue("alice").unwrap().access_token;
    idp.expire_access_tokens();
    let revoked = idp.issue("alice").unwrap().access_token;
    idp.revoke_access_tokens();

    let json = imap_refused(&s, &format!("XOAUTH2 {}", xoauth2("alice", &expired))).await;
    assert_eq!(json["status"], "401", "{json}");
    assert_eq!(json["schemes"], "bearer");
    assert_eq!(json["openid-configuration"], idp.discovery_url());
    let line = oauthbearer("alice@example.test", &revoked, s.imaps_port());
    let json = imap_refused(&s, &format!("OAUTHBEARER {line}")).await;
    assert_eq!(json["status"], "invalid_token", "{json}");
    let json = imap_refused(&s, &format!("XOAUTH2 {}", xoauth2("alice", "at_never_issued"))).await;
    assert_eq!(json["status"], "401");

    // The same token was accepted a moment ago: no auth cache keeps it alive.
    let live = idp.issue("alice").unwrap().access_token;
    let mut c = imaps(&s).await;
    let reply = c.ask(&format!("a AUTHENTICATE XOAUTH2 {}", xoauth2("alice", &live)), tagged).await;
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}");
    idp.revoke_access_tokens();
    imap_refused(&s, &format!("XOAUTH2 {}", xoauth2("alice", &live))).await;

    idp.set_scopes(&["openid", "email"]);
    let unscoped = idp.issue("alice").unwrap().access_token;
    imap_refused(&s, &format!("XOAUTH2 {}", xoauth2("alice", &unscoped))).await;
    idp.set_scopes(&["mail"]);

    // Five failures from 127.0.0.1, and a good token still logs in at once.
    let good = idp.issue("alice").unwrap().access_token;
    let t = Instant::now();
    let mut c = imaps(&s).await;
    let reply = c.ask(&format!("a AUTHENTICATE XOAUTH2 {}", xoauth2("alice", &good)), tagged).await;
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}");
    assert!(t.elapsed() < Duration::from_secs(2), "a good login after failures took {:?}", t.elapsed());

    // The identity provider down: a temporary failure, no challenge.
    idp.set_introspection_down(true);
    let mut c = imaps(&s).await;
    let reply = c.ask(&format!("a AUTHENTICATE XOAUTH2 {}", xoauth2("alice", &good)), tagged).await;
    assert!(reply.last().unwrap().starts_with("a NO [UNAVAILABLE]"), "{reply:?}");
}

#[tokio::test]
async fn pop3_and_smtp_submission_take_tokens_and_long_ones_after_the_334_prompt() {
    let idp = idp().await;
    let s = servers_with(&idp);
    let token = idp.issue("alice").unwrap().access_token;

    let (mut pop, _) = Client::tls(s.pop3s_port(), Some(s.ca_pem()), "localhost").await.unwrap();
    assert!(pop.line().await.starts_with("+OK"));
    let capa = pop.ask("CAPA", |l| l == ".").await.join("\n");
    assert!(capa.contains("XOAUTH2") && capa.contains("OAUTHBEARER"), "{capa}");
    let reply = pop.ask(&format!("AUTH XOAUTH2 {}", xoauth2("alice@example.test", &token)), |_| true).await;
    assert!(reply[0].starts_with("+OK"), "{reply:?}\n{}", s.dovecot_log());
    assert!(pop.ask("STAT", |_| true).await[0].starts_with("+OK"));

    // A revoked token on POP3: the challenge, then -ERR [AUTH].
    idp.revoke_access_tokens();
    let (mut pop, _) = Client::tls(s.pop3s_port(), Some(s.ca_pem()), "localhost").await.unwrap();
    pop.line().await;
    let reply = pop.ask(&format!("AUTH XOAUTH2 {}", xoauth2("alice", &token)), |_| true).await;
    assert!(reply[0].starts_with("+ "), "{reply:?}");
    assert_eq!(challenge_json(&reply[0])["status"], "401");
    let reply = pop.ask("", |_| true).await;
    assert!(reply[0].starts_with("-ERR [AUTH]"), "{reply:?}");

    let smtp = async |token: &str, initial_response: bool| -> Vec<String> {
        let mut c = Client::plain(s.submission_port()).await;
        assert!(c.line().await.starts_with("220 "));
        c.ask("EHLO client.example.test", smtp_end).await;
        assert!(c.ask("STARTTLS", smtp_end).await[0].starts_with("220"));
        let mut c = c.starttls(s.ca_pem(), "localhost").await;
        let ehlo = c.ask("EHLO client.example.test", smtp_end).await;
        assert!(ehlo.iter().any(|l| l.contains("XOAUTH2") && l.contains("OAUTHBEARER")), "{ehlo:?}");
        let response = xoauth2("alice@example.test", token);
        if initial_response {
            return c.ask(&format!("AUTH XOAUTH2 {response}"), smtp_end).await;
        }
        let prompt = c.ask("AUTH XOAUTH2", smtp_end).await;
        assert_eq!(prompt.last().unwrap().trim_end(), "334", "{prompt:?}");
        c.ask(&response, smtp_end).await
    };
    let token = idp.issue("alice").unwrap().access_token;
    let reply = smtp(&token, true).await;
    assert!(reply.last().unwrap().starts_with("235"), "{reply:?}\n{}", s.postfix_log());

    // Entra-sized tokens: too long for Postfix's AUTH line, fine after the 334 prompt, and
    // fine over IMAP with SASL-IR (below Dovecot's 8192 characters).
    idp.set_token_length(Some(2500));
    let long = idp.issue("alice").unwrap().access_token;
    assert_eq!(long.len(), 2500);
    let reply = smtp(&long, false).await;
    assert!(reply.last().unwrap().starts_with("235"), "{reply:?}\n{}", s.postfix_log());
    let mut c = imaps(&s).await;
    let reply = c.ask(&format!("a AUTHENTICATE XOAUTH2 {}", xoauth2("alice", &long)), tagged).await;
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}");

    // A revoked token over SMTP: the challenge, then 535.
    idp.revoke_access_tokens();
    let mut c = Client::plain(s.submission_port()).await;
    c.line().await;
    c.ask("EHLO client.example.test", smtp_end).await;
    c.ask("STARTTLS", smtp_end).await;
    let mut c = c.starttls(s.ca_pem(), "localhost").await;
    c.ask("EHLO client.example.test", smtp_end).await;
    let reply = c.ask(&format!("AUTH XOAUTH2 {}", xoauth2("alice", &token)), smtp_end).await;
    assert!(reply[0].starts_with("334 "), "{reply:?}");
    assert_eq!(challenge_json(&reply[0])["status"], "401");
    let reply = c.ask("", smtp_end).await;
    assert!(reply.last().unwrap().starts_with("535"), "{reply:?}");
}

#[tokio::test]
async fn dovecot_introspects_over_https_too() {
    let idp = Idp::start(IdpConfig { tls: true, ..IdpConfig::default() }).await.unwrap();
    let s = servers_with(&idp);
    let token = idp.issue("bob").unwrap().access_token;
    let mut c = imaps(&s).await;
    let reply = c.ask(&format!("a AUTHENTICATE XOAUTH2 {}", xoauth2("bob", &token)), tagged).await;
    assert!(reply.last().unwrap().starts_with("a OK"), "{reply:?}\n{}", s.dovecot_log());
    let introspections: Vec<_> = idp.requests().into_iter().filter(|r| r.path == "/introspect").collect();
    assert_eq!(introspections.len(), 1);
    assert!(introspections[0].tls);
}
