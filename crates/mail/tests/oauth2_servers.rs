//! OAuth2 accounts against real Dovecot and Postfix that ask the testkit's identity provider
//! about each token: an IMAP account's passes and a POP3 account's receive log in with
//! access tokens from the token store; a token that stops working mid-session (expired or
//! revoked early at the provider) is replaced without the pass failing; a revoked refresh
//! token makes the pass say "sign in again", and after signing in again the account works
//! with nothing lost; SMTP submission takes the same tokens; no token in any transcript.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use std::time::Duration;

use lettre::address::Envelope;
use pass_common::{account, new_store, start_on};
use tidings_mail::account::{Account, AuthMethod, Incoming, OAuth2Settings, SecretRole, Security};
use tidings_mail::auth::{self, sasl::Mechanism};
use tidings_mail::check::SessionFacts;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::oauth2::{self, Tokens};
use tidings_mail::pass::RunSettings;
use tidings_mail::secret::Secrets;
use tidings_mail::smtp;
use tidings_testkit::MailServers;
use tidings_testkit::idp::{Endpoint as IdpEndpoint, Idp, IdpConfig};

fn provider_file(idp: &Idp, dir: &std::path::Path) -> String {
    idp.provider_file(dir).unwrap().to_string_lossy().into_owned()
}

/// The testkit's account for `login`, signing in with OAuth2 on both servers.
fn oauth2_account(s: &MailServers, login: &str, protocol: Incoming, port: u16, provider: &str) -> Account {
    let mut a = account(s, s.user(login), protocol, port);
    a.incoming.auth = AuthMethod::OAuth2;
    a.outgoing.auth = AuthMethod::OAuth2;
    a.oauth2 = Some(OAuth2Settings { provider: provider.into(), ..OAuth2Settings::default() });
    a
}

/// Signed in (as the sign-in flow would leave it): the refresh token in `secrets`.
async fn sign_in(idp: &Idp, login: &str, account: &Account, secrets: &Secrets) {
    let issued = idp.issue(login).unwrap();
    let tokens = Tokens {
        access: issued.access_token,
        refresh: issued.refresh_token,
        expires_at: Some(std::time::SystemTime::now() + Duration::from_secs(issued.expires_in)),
        scope: Some(issued.scope),
    };
    oauth2::signed_in(&account.id, secrets, &tokens).await.unwrap();
}

fn assert_no_token(idp: &Idp, text: &str) {
    for token in idp.access_tokens() {
        assert!(!text.contains(&token), "an access token is in the transcript");
    }
}

#[tokio::test]
async fn an_imap_account_keeps_working_as_tokens_expire_and_asks_to_sign_in_when_revoked() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let alice = s.user("alice");
    s.seed(alice, 3).unwrap();
    let account = oauth2_account(&s, "alice", Incoming::Imap, s.imaps_port(), &provider);
    let secrets = Secrets::in_memory();
    sign_in(&idp, "alice", &account, &secrets).await;
    let mut run = start_on(new_store(), account.clone(), secrets.clone(), RunSettings::default());
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();
    assert_eq!(run.inbox_subjects(&account.id).await.len(), 3);
    let refreshes = idp.count(IdpEndpoint::Token);

    // The provider stops honouring the token mid-session (as when it expires or is revoked
    // early) and the server drops the connection: the next pass logs in again, is refused
    // once, fetches a new token and goes on.
    idp.expire_access_tokens();
    s.doveadm(&["kick", &alice.login]).unwrap();
    s.seed(alice, 2).unwrap();
    let mut passes = 0;
    while run.inbox_subjects(&account.id).await.len() < 5 {
        run.next_pass_end(30, &mut seen).await.unwrap();
        passes += 1;
        assert!(passes < 5, "the new mail did not come: {seen:#?}");
    }
    assert_eq!(idp.count(IdpEndpoint::Token), refreshes + 1, "one refresh");

    // Tokens that live less than the refresh margin are renewed before every log-in.
    idp.set_access_token_lifetime(Duration::from_secs(30));
    oauth2::forget_access(&account.id);
    let credential = auth::credential(&account, &secrets, SecretRole::Incoming).await.unwrap();
    let before = idp.count(IdpEndpoint::Token);
    let again = credential.current().await.unwrap();
    assert_ne!(again.secret(), credential.secret());
    assert_eq!(idp.count(IdpEndpoint::Token), before + 1, "a short-lived token is renewed before logging in");
    idp.set_access_token_lifetime(Duration::from_secs(3600));

    // The refresh token is revoked: the pass fails, saying to sign in again.
    idp.revoke_refresh_tokens();
    idp.expire_access_tokens();
    s.doveadm(&["kick", &alice.login]).unwrap();
    let error = loop {
        match run.next_pass_end(30, &mut seen).await {
            Err(e) => break e,
            Ok(()) => continue,
        }
    };
    assert!(error.contains("sign in again"), "{error}");
    // Signing in again brings it back; the mail stored is all there.
    sign_in(&idp, "alice", &account, &secrets).await;
    s.seed(alice, 1).unwrap();
    let ok = loop {
        if run.next_pass_end(30, &mut seen).await.is_ok() {
            break true;
        }
    };
    assert!(ok);
    assert_eq!(run.inbox_subjects(&account.id).await.len(), 6);
    let log = std::fs::read_to_string(&run.log).unwrap();
    assert!(log.contains("AUTHENTICATE XOAUTH2"), "{log}");
    assert_no_token(&idp, &log);
    let kept = secrets.get(&account.id, SecretRole::OAuth2Refresh).unwrap().unwrap();
    assert!(!log.contains(&kept));
}

#[tokio::test]
async fn a_pop3_account_receives_and_smtp_submits_with_tokens_and_oauthbearer_when_asked() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    s.seed(bob, 2).unwrap();
    let mut account = oauth2_account(&s, "bob", Incoming::Pop3, s.pop3s_port(), &provider);
    // Testers can ask for OAUTHBEARER where a server offers both.
    account.oauth2.as_mut().unwrap().mechanism = Some(Mechanism::OAuthBearer);
    let secrets = Secrets::in_memory();
    sign_in(&idp, "bob", &account, &secrets).await;
    let mut run = start_on(new_store(), account.clone(), secrets.clone(), RunSettings::default());
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();
    assert_eq!(run.inbox_subjects(&account.id).await.len(), 2);
    let log = std::fs::read_to_string(&run.log).unwrap();
    assert!(log.contains("AUTH OAUTHBEARER"), "{log}");
    assert_no_token(&idp, &log);

    // Submission with bob's token, through the same credential lookup the Outbox uses.
    let credential = auth::credential(&account, &secrets, SecretRole::Outgoing).await.unwrap();
    let mut ep = Endpoint::new(s.host(), s.submission_port(), Security::StartTls);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    let t = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = smtp::open(&ep, &t, &mut facts).await.unwrap();
    let mut conn = smtp::login(lc, &ep, &credential, &facts).await.unwrap();
    let envelope =
        Envelope::new(Some(bob.email.parse().unwrap()), vec![alice.email.parse().unwrap()]).unwrap();
    let raw = format!(
        "From: <{}>\r\nTo: <{}>\r\nSubject: sent with a token\r\n\r\nhello\r\n",
        bob.email, alice.email
    );
    conn.send(&envelope, raw.as_bytes()).await.unwrap();
    smtp::quit(conn, &t).await;
    assert!(t.lines().iter().any(|l| l.text.starts_with("AUTH OAUTHBEARER")), "{}", t.render());
    assert_no_token(&idp, &t.render());
}
