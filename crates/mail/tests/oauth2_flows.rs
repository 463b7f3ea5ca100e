//! The OAuth2 sign-in flows against the testkit's identity provider (a real HTTP server on
//! loopback): the browser's authorization code with PKCE through the loopback redirect (the
//! test plays the browser), the device code, and the tokens afterwards — the access token
//! refreshed when it runs out, a rotated refresh token kept at once, a revoked one turned into
//! "sign in again".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tidings_mail::account::{
    Account, AuthMethod, Incoming, OAuth2Settings, SecretRole, Security, Server, Trust,
};
use tidings_mail::error::Kind;
use tidings_mail::oauth2::{self, Provider, Reach, flow};
use tidings_mail::secret::Secrets;
use tidings_testkit::idp::{Endpoint, Idp, IdpConfig};

fn provider_file(idp: &Idp, dir: &std::path::Path) -> std::path::PathBuf {
    idp.provider_file(dir).unwrap()
}

fn account(provider: &std::path::Path) -> Account {
    let server = |port| Server {
        host: "127.0.0.1".into(),
        port,
        security: Security::Implicit,
        user: "alice@example.test".into(),
        auth: AuthMethod::OAuth2,
        trust: Trust::default(),
    };
    let mut account = Account::new(
        "alice".into(),
        "Alice".into(),
        "alice@example.test".into(),
        Incoming::Imap,
        server(993),
        server(465),
    );
    account.oauth2 = Some(OAuth2Settings {
        provider: provider.to_string_lossy().into_owned(),
        ..OAuth2Settings::default()
    });
    account
}

/// Plays the browser: follows the authorization address to the loopback redirect, asking
/// for a favicon and bringing a stray answer first, as browsers and other tabs do.
async fn play_browser(url: &str, redirect: &str) {
    let answer = tidings_testkit::idp::get(url, None).await.unwrap();
    let location = answer.location().expect("the provider sends the browser back").to_string();
    assert!(location.starts_with(redirect), "{location}");
    let favicon = tidings_testkit::idp::get(&format!("{redirect}/favicon.ico"), None).await.unwrap();
    assert_eq!(favicon.status, 404);
    let stray = tidings_testkit::idp::get(&format!("{redirect}/?code=x&state=not-ours"), None).await.unwrap();
    assert_eq!(stray.status, 400);
    let page = tidings_testkit::idp::get(&location, None).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.text().contains("return to Tidings"), "{}", page.text());
}

#[tokio::test]
async fn the_browser_sign_in_uses_pkce_and_the_loopback_redirect() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let account = account(&provider_file(&idp, dir.path()));
    let provider = Provider::for_account(&account).unwrap();
    let sign_in = flow::start_browser(&provider).await.unwrap();
    assert!(sign_in.redirect().starts_with("http://127.0.0.1:"));
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "client_id=tidings-test",
        "offline_access",
    ] {
        assert!(sign_in.url.contains(part), "{part} is not in {}", sign_in.url);
    }
    let (url, redirect) = (sign_in.url.clone(), sign_in.redirect().to_string());
    let browser = tokio::spawn(async move { play_browser(&url, &redirect).await });
    let tokens = sign_in.finish(&Reach::default(), Duration::from_secs(30)).await.unwrap();
    browser.await.unwrap();
    assert!(
        tokens.access.starts_with("at_") && tokens.refresh.as_deref().is_some_and(|r| r.starts_with("rt_"))
    );
    assert!(tokens.scope.as_deref().unwrap_or("").contains("mail"), "{tokens:?}");
    assert!(tokens.expires_at.is_some());
    // The token request carried the PKCE verifier (the provider checks it against the
    // challenge: a wrong one would have been refused).
    let token_request = idp.requests().into_iter().find(|r| r.path == "/token").unwrap();
    assert!(token_request.body_text().contains("code_verifier="), "{}", token_request.body_text());
    assert_eq!(idp.count(Endpoint::Token), 1);
}

#[tokio::test]
async fn a_refused_sign_in_says_so_in_the_providers_words() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let account = account(&provider_file(&idp, dir.path()));
    let provider = Provider::for_account(&account).unwrap();
    let sign_in = flow::start_browser(&provider).await.unwrap();
    // The provider declines (an unknown user): the browser comes back with an error.
    let url = format!("{}&login_hint=mallory", sign_in.url);
    let browser = tokio::spawn(async move {
        let answer = tidings_testkit::idp::get(&url, None).await.unwrap();
        tidings_testkit::idp::get(answer.location().unwrap(), None).await.unwrap()
    });
    let e = sign_in.finish(&Reach::default(), Duration::from_secs(30)).await.unwrap_err();
    assert!(browser.await.unwrap().text().contains("did not succeed"));
    assert_eq!(e.kind(), Kind::Auth);
    assert!(e.server_words().unwrap_or("").contains("access_denied"), "{e:?}");
}

#[tokio::test]
async fn the_device_code_sign_in_waits_for_the_person() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let account = account(&provider_file(&idp, dir.path()));
    let provider = Provider::for_account(&account).unwrap();
    let device = flow::start_device(&provider, &Reach::default()).await.unwrap();
    assert!(!device.user_code.is_empty());
    assert!(device.verification_uri.starts_with(idp.url()), "{}", device.verification_uri);
    // The first poll is pending; the provider's interval is waited between polls.
    let tokens = device.finish(&Reach::default(), Duration::from_secs(30)).await.unwrap();
    assert!(tokens.access.starts_with("at_"));
    assert!(idp.count(Endpoint::Token) >= 2, "{}", idp.count(Endpoint::Token));
}

#[tokio::test]
async fn access_tokens_are_refreshed_rotations_kept_and_revocations_explained() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let account = account(&provider_file(&idp, dir.path()));
    let secrets = Secrets::in_memory();
    let reach = Reach::default();
    // Signed in (as the device flow would): the refresh token in the keyring.
    let tokens = idp.issue("alice").unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    let signed = oauth2::Tokens {
        access: tokens.access_token.clone(),
        refresh: Some(refresh.clone()),
        expires_at: Some(std::time::SystemTime::now() + Duration::from_secs(3600)),
        scope: None,
    };
    oauth2::signed_in(&account.id, &secrets, &signed).await.unwrap();
    assert_eq!(secrets.get("alice", SecretRole::OAuth2Refresh).unwrap(), Some(refresh.clone()));

    // A fresh access token comes from memory: nothing asked.
    let before = idp.count(Endpoint::Token);
    let first = oauth2::bearer_for(&account, &secrets, SecretRole::Incoming, &reach).await.unwrap();
    assert_eq!((first.user(), first.secret()), ("alice@example.test", tokens.access_token.as_str()));
    assert_eq!(idp.count(Endpoint::Token), before);

    // Refused by a server: the next log-in refreshes, and a rotated refresh token is kept.
    idp.set_rotate_refresh_tokens(true);
    oauth2::forget_access(&account.id);
    let second = oauth2::bearer_for(&account, &secrets, SecretRole::Outgoing, &reach).await.unwrap();
    assert_eq!(idp.count(Endpoint::Token), before + 1);
    assert_ne!(second.secret(), tokens.access_token);
    let kept = secrets.get("alice", SecretRole::OAuth2Refresh).unwrap().unwrap();
    assert_ne!(kept, refresh, "the rotated refresh token replaced the old one");

    // The old refresh token is dead; the kept one still works.
    oauth2::forget_access(&account.id);
    assert!(oauth2::bearer_for(&account, &secrets, SecretRole::Incoming, &reach).await.is_ok());

    // Revoked at the provider: "sign in again", in its words.
    idp.revoke_refresh_tokens();
    oauth2::forget_access(&account.id);
    let e = oauth2::bearer_for(&account, &secrets, SecretRole::Incoming, &reach).await.unwrap_err();
    assert_eq!(e.kind(), Kind::Auth);
    assert!(e.to_string().contains("sign in again"), "{e}");
    assert!(e.server_words().unwrap_or("").contains("invalid_grant"), "{e:?}");
    // Never the token in what is shown.
    assert!(!format!("{e:?}").contains("rt_"), "{e:?}");
}

#[tokio::test]
async fn an_account_that_never_signed_in_is_asked_to() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut account = account(&provider_file(&idp, dir.path()));
    account.id = "nobody".into();
    let e = oauth2::bearer_for(&account, &Secrets::in_memory(), SecretRole::Incoming, &Reach::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Kind::Auth);
    assert!(e.to_string().contains("not signed in"), "{e}");
}
