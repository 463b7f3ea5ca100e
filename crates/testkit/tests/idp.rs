//! The identity provider's flows with plain HTTP requests: the test plays the browser and the
//! client (`idp_servers.rs`: Dovecot and Postfix taking its tokens).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use tidings_testkit::idp::{DevicePolling, Endpoint, Idp, IdpConfig, Response, pkce_challenge};

const REDIRECT: &str = "http://127.0.0.1:4567/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn idp() -> Idp {
    Idp::start(IdpConfig::default()).await.unwrap()
}

/// Plays the browser: one GET of the authorization URL; returns the redirect's query.
async fn authorize(idp: &Idp, query: &[(&str, &str)]) -> (Response, HashMap<String, String>) {
    let url = format!("{}?{}", idp.authorization_url(), tidings_testkit::idp::form_encode(query));
    let reply = idp.get(&url).await.unwrap();
    let params = reply.location_query();
    (reply, params)
}

fn good_query(state: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", "tidings-test".into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "openid email offline_access mail".into()),
        ("state", state.into()),
        ("code_challenge", pkce_challenge(VERIFIER)),
        ("code_challenge_method", "S256".into()),
    ]
}

fn pairs<'a>(q: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    q.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A fresh authorization code for `login_hint` (None: the default user).
async fn code(idp: &Idp, login_hint: Option<&str>) -> String {
    let mut q = good_query("s1");
    if let Some(hint) = login_hint {
        q.push(("login_hint", hint.into()));
    }
    let (reply, params) = authorize(idp, &pairs(&q)).await;
    assert_eq!(reply.status, 302, "{}", reply.text());
    assert_eq!(params["state"], "s1");
    params["code"].clone()
}

async fn exchange(idp: &Idp, code: &str, redirect: &str, verifier: &str) -> Response {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("client_id", "tidings-test"),
        ("code_verifier", verifier),
    ];
    idp.post_form("/token", &form, None).await.unwrap()
}

async fn refresh(idp: &Idp, token: &str) -> Response {
    let form = [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", "tidings-test")];
    idp.post_form("/token", &form, None).await.unwrap()
}

async fn introspect(idp: &Idp, token: &str) -> Value {
    let secret = idp.introspection_secret();
    let reply = idp.post_form("/introspect", &[("token", token)], Some(("dovecot", &secret))).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn error_of(reply: &Response) -> String {
    reply.json()["error"].as_str().unwrap_or_default().to_owned()
}

/// Tokens for alice via the authorization-code flow.
async fn sign_in(idp: &Idp) -> Value {
    let code = code(idp, None).await;
    let reply = exchange(idp, &code, REDIRECT, VERIFIER).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

#[tokio::test]
async fn discovery_names_every_endpoint() {
    let idp = idp().await;
    let reply = idp.get("/.well-known/openid-configuration").await.unwrap();
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    assert_eq!(doc["issuer"], idp.url());
    assert_eq!(doc["authorization_endpoint"], idp.authorization_url());
    assert_eq!(doc["token_endpoint"], idp.token_url());
    assert_eq!(doc["device_authorization_endpoint"], idp.device_authorization_url());
    assert_eq!(doc["introspection_endpoint"], idp.introspection_url());
    assert!(doc["scopes_supported"].as_array().unwrap().iter().any(|s| s == "mail"), "{doc}");
    assert_eq!(doc["code_challenge_methods_supported"][0], "S256");
    assert_eq!(idp.count(Endpoint::Discovery), 1);
}

#[tokio::test]
async fn authorization_code_with_pkce_then_refresh() {
    let idp = idp().await;
    let url = idp.authorize_url(REDIRECT, "st4te", &pkce_challenge(VERIFIER));
    let reply = tidings_testkit::idp::get(&url, None).await.unwrap();
    assert_eq!(reply.status, 302);
    let location = reply.location().unwrap();
    assert!(location.starts_with(&format!("{REDIRECT}?code=")), "{location}");
    let params = reply.location_query();
    assert_eq!(params["state"], "st4te");

    let tokens = exchange(&idp, &params["code"], REDIRECT, VERIFIER).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text());
    assert_eq!(tokens.header("cache-control"), Some("no-store"));
    let t = tokens.json();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["scope"], "openid email offline_access mail");
    let access = t["access_token"].as_str().unwrap();
    let refresh_token = t["refresh_token"].as_str().unwrap();

    let info = introspect(&idp, access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["email"], "alice@example.test");
    assert_eq!(info["scope"], "openid email offline_access mail");
    assert_eq!(info["token_type"], "bearer");
    // Dovecot ignores nested values: every field must be a plain one.
    assert!(info.as_object().unwrap().values().all(|v| !v.is_object() && !v.is_array()), "{info}");
    // A refresh token is no bearer token.
    assert_eq!(introspect(&idp, refresh_token).await, serde_json::json!({"active": false}));

    // The code works once.
    let again = exchange(&idp, &params["code"], REDIRECT, VERIFIER).await;
    assert_eq!((again.status, error_of(&again).as_str()), (400, "invalid_grant"));

    let renewed = refresh(&idp, refresh_token).await;
    assert_eq!(renewed.status, 200, "{}", renewed.text());
    let renewed = renewed.json();
    assert_ne!(renewed["access_token"], t["access_token"]);
    // Not rotating: no new refresh token, the old one keeps working.
    assert!(renewed.get("refresh_token").is_none(), "{renewed}");
    assert_eq!(refresh(&idp, refresh_token).await.status, 200);
    assert_eq!(introspect(&idp, renewed["access_token"].as_str().unwrap()).await["active"], true);

    // Narrower scopes on refresh are fine, wider ones are not.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", "tidings-test"),
        ("scope", "mail"),
    ];
    let narrow = idp.post_form("/token", &form, None).await.unwrap().json();
    assert_eq!(narrow["scope"], "mail");
    let wide = [("scope", "mail calendar"), form[0], form[1], form[2]];
    let wide = idp.post_form("/token", &wide, None).await.unwrap();
    assert_eq!(error_of(&wide), "invalid_scope");

    assert_eq!(idp.count(Endpoint::Authorize), 1);
    assert_eq!(idp.count(Endpoint::Token), 6);
    assert_eq!(idp.count(Endpoint::Introspect), 3);
}

#[tokio::test]
async fn authorize_refuses_bad_clients_with_a_page_and_bad_requests_with_a_redirect() {
    let idp = idp().await;
    let good = good_query("keep-me");

    // Unknown client, or a redirect that is not loopback http: a page, never a redirect.
    let bad_redirects = [
        "https://127.0.0.1:4567/cb",
        "http://evil.test/cb",
        "http://127.0.0.1@evil.test/cb",
        "ftp://localhost/",
    ];
    let mut cases: Vec<Vec<(&str, String)>> = bad_redirects
        .iter()
        .map(|r| {
            good.iter()
                .map(|(k, v)| (*k, if *k == "redirect_uri" { r.to_string() } else { v.clone() }))
                .collect()
        })
        .collect();
    cases.push(
        good.iter()
            .map(|(k, v)| (*k, if *k == "client_id" { "stranger".into() } else { v.clone() }))
            .collect(),
    );
    cases.push(good.iter().filter(|(k, _)| *k != "redirect_uri").cloned().collect());
    for case in &cases {
        let (reply, _) = authorize(&idp, &pairs(case)).await;
        assert_eq!(reply.status, 400, "{case:?}");
        assert!(reply.location().is_none(), "{case:?}");
        assert!(reply.text().contains("Cannot sign in"), "{}", reply.text());
    }

    // Loopback in every spelling is fine.
    for redirect in ["http://localhost:9/x", "http://[::1]:9/x", "http://127.0.0.1:9/x?keep=1"] {
        let q: Vec<_> = good
            .iter()
            .map(|(k, v)| (*k, if *k == "redirect_uri" { redirect.into() } else { v.clone() }))
            .collect();
        let (reply, params) = authorize(&idp, &pairs(&q)).await;
        assert_eq!(reply.status, 302, "{redirect}");
        assert!(reply.location().unwrap().starts_with(redirect), "{:?}", reply.location());
        assert!(params.contains_key("code"));
    }

    // A bad request: an error redirect with the state (RFC 6749 §4.1.2.1).
    let change = |name: &str, value: Option<&str>| -> Vec<(&'static str, String)> {
        let mut q: Vec<_> = good.iter().filter(|(k, _)| *k != name).cloned().collect();
        if let Some(v) = value {
            let key = good.iter().find(|(k, _)| *k == name).map_or("login_hint", |(k, _)| *k);
            q.push((key, v.into()));
        }
        q
    };
    let expectations = [
        (change("code_challenge", None), "invalid_request"),
        (change("code_challenge_method", Some("plain")), "invalid_request"),
        (change("code_challenge_method", None), "invalid_request"),
        (change("response_type", None), "invalid_request"),
        (change("response_type", Some("token")), "unsupported_response_type"),
        (change("scope", Some("calendar")), "invalid_scope"),
        (change("login_hint", Some("mallory")), "access_denied"),
    ];
    for (query, error) in expectations {
        let (reply, params) = authorize(&idp, &pairs(&query)).await;
        assert_eq!(reply.status, 302, "{query:?}");
        assert!(reply.location().unwrap().starts_with(REDIRECT), "{:?}", reply.location());
        assert_eq!(params.get("error").map(String::as_str), Some(error), "{query:?}");
        assert_eq!(params["state"], "keep-me");
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn token_endpoint_checks_code_redirect_verifier_and_client() {
    let idp = idp().await;
    let code1 = code(&idp, None).await;
    let wrong_verifier =
        exchange(&idp, &code1, REDIRECT, "another-verifier-another-verifier-0123456789").await;
    assert_eq!((wrong_verifier.status, error_of(&wrong_verifier).as_str()), (400, "invalid_grant"));
    // That attempt used the code up.
    assert_eq!(error_of(&exchange(&idp, &code1, REDIRECT, VERIFIER).await), "invalid_grant");

    let code2 = code(&idp, None).await;
    let other_redirect = exchange(&idp, &code2, "http://127.0.0.1:4567/other", VERIFIER).await;
    assert_eq!(error_of(&other_redirect), "invalid_grant");

    let code3 = code(&idp, None).await;
    let no_verifier = [
        ("grant_type", "authorization_code"),
        ("code", code3.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", "tidings-test"),
    ];
    let reply = idp.post_form("/token", &no_verifier, None).await.unwrap();
    assert_eq!(error_of(&reply), "invalid_request");
    // A request missing a field does not use the code up.
    assert_eq!(exchange(&idp, &code3, REDIRECT, VERIFIER).await.status, 200);

    let stranger = [("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", "stranger")];
    let reply = idp.post_form("/token", &stranger, None).await.unwrap();
    assert_eq!((reply.status, error_of(&reply).as_str()), (401, "invalid_client"));
    // The client id may come as HTTP Basic instead (empty secret: a public client).
    let code4 = code(&idp, None).await;
    let basic = [
        ("grant_type", "authorization_code"),
        ("code", code4.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let reply = idp.post_form("/token", &basic, Some(("tidings-test", ""))).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());

    let odd = [("grant_type", "password"), ("client_id", "tidings-test")];
    assert_eq!(error_of(&idp.post_form("/token", &odd, None).await.unwrap()), "unsupported_grant_type");
    let none = [("client_id", "tidings-test")];
    assert_eq!(error_of(&idp.post_form("/token", &none, None).await.unwrap()), "invalid_request");
}

#[tokio::test]
async fn client_secret_is_checked_when_configured() {
    let config = IdpConfig { client_secret: Some("s3cret".into()), ..IdpConfig::default() };
    let idp = Idp::start(config).await.unwrap();
    let c = code(&idp, None).await;
    assert_eq!(error_of(&exchange(&idp, &c, REDIRECT, VERIFIER).await), "invalid_client");
    let c = code(&idp, None).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", c.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    assert_eq!(idp.post_form("/token", &form, Some(("tidings-test", "s3cret"))).await.unwrap().status, 200);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_revoke() {
    let idp = idp().await;
    let first = sign_in(&idp).await["refresh_token"].as_str().unwrap().to_owned();

    idp.set_rotate_refresh_tokens(true);
    let reply = refresh(&idp, &first).await.json();
    let second = reply["refresh_token"].as_str().expect("a rotated refresh token").to_owned();
    assert_ne!(second, first);
    assert_eq!(error_of(&refresh(&idp, &first).await), "invalid_grant");
    assert_eq!(refresh(&idp, &second).await.status, 200);

    let other = sign_in(&idp).await["refresh_token"].as_str().unwrap().to_owned();
    idp.revoke_refresh_tokens();
    let revoked = refresh(&idp, &other).await;
    assert_eq!((revoked.status, error_of(&revoked).as_str()), (400, "invalid_grant"));
    // Signing in again works.
    let fresh = sign_in(&idp).await["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh(&idp, &fresh).await.status, 200);
}

#[tokio::test]
async fn device_code_is_pending_once_then_gives_tokens() {
    let idp = idp().await;
    let form = [("client_id", "tidings-test"), ("scope", "offline_access mail")];
    let reply = idp.post_form("/devicecode", &form, None).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let d = reply.json();
    let user_code = d["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "{d}");
    assert!(d["verification_uri_complete"].as_str().unwrap().ends_with(&format!("user_code={user_code}")));
    assert_eq!(d["interval"], 1);
    assert_eq!(d["expires_in"], 900);

    let device_code = d["device_code"].as_str().unwrap();
    let poll = [("grant_type", DEVICE_GRANT), ("device_code", device_code), ("client_id", "tidings-test")];
    let first = idp.post_form("/token", &poll, None).await.unwrap();
    assert_eq!((first.status, error_of(&first).as_str()), (400, "authorization_pending"));
    let second = idp.post_form("/token", &poll, None).await.unwrap();
    assert_eq!(second.status, 200, "{}", second.text());
    let tokens = second.json();
    assert_eq!(tokens["scope"], "offline_access mail");
    assert!(tokens["refresh_token"].is_string());
    assert_eq!(
        introspect(&idp, tokens["access_token"].as_str().unwrap()).await["email"],
        "alice@example.test"
    );
    // Used up.
    assert_eq!(error_of(&idp.post_form("/token", &poll, None).await.unwrap()), "invalid_grant");

    // slow_down, then expired_token.
    idp.slow_down_polls(1);
    idp.set_device_code_lifetime(Duration::ZERO);
    let d = idp.post_form("/devicecode", &form, None).await.unwrap().json();
    let poll = [("grant_type", DEVICE_GRANT), ("device_code", d["device_code"].as_str().unwrap()), poll[2]];
    assert_eq!(error_of(&idp.post_form("/token", &poll, None).await.unwrap()), "expired_token");
    idp.set_device_code_lifetime(Duration::from_secs(60));
    let d = idp.post_form("/devicecode", &form, None).await.unwrap().json();
    let poll = [("grant_type", DEVICE_GRANT), ("device_code", d["device_code"].as_str().unwrap()), poll[2]];
    assert_eq!(error_of(&idp.post_form("/token", &poll, None).await.unwrap()), "slow_down");
    assert_eq!(error_of(&idp.post_form("/token", &poll, None).await.unwrap()), "authorization_pending");
    assert_eq!(idp.post_form("/token", &poll, None).await.unwrap().status, 200);
}

#[tokio::test]
async fn device_code_waits_for_the_test_in_manual_mode() {
    let idp = idp().await;
    idp.set_device_polling(DevicePolling::Manual);
    idp.add_user("carol", "carol@example.test");
    let form = [("client_id", "tidings-test")];
    let d = idp.post_form("/devicecode", &form, None).await.unwrap().json();
    let poll = [("grant_type", DEVICE_GRANT), ("device_code", d["device_code"].as_str().unwrap()), form[0]];
    for _ in 0..3 {
        assert_eq!(error_of(&idp.post_form("/token", &poll, None).await.unwrap()), "authorization_pending");
    }
    idp.approve_devices(Some("carol"));
    let tokens = idp.post_form("/token", &poll, None).await.unwrap().json();
    assert_eq!(
        introspect(&idp, tokens["access_token"].as_str().unwrap()).await["email"],
        "carol@example.test"
    );

    // The test plays the person: opens the verification address with the code.
    let d = idp.post_form("/devicecode", &form, None).await.unwrap().json();
    let poll = [("grant_type", DEVICE_GRANT), ("device_code", d["device_code"].as_str().unwrap()), form[0]];
    assert_eq!(error_of(&idp.post_form("/token", &poll, None).await.unwrap()), "authorization_pending");
    let page = idp.get(d["verification_uri_complete"].as_str().unwrap()).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.text());
    let tokens = idp.post_form("/token", &poll, None).await.unwrap().json();
    assert_eq!(
        introspect(&idp, tokens["access_token"].as_str().unwrap()).await["email"],
        "alice@example.test"
    );
    let again = idp.get(d["verification_uri_complete"].as_str().unwrap()).await.unwrap();
    assert_eq!(again.status, 400);
    assert_eq!(idp.count(Endpoint::Device), 2);

    let d = idp.post_form("/devicecode", &form, None).await.unwrap().json();
    let poll = [("grant_type", DEVICE_GRANT), ("device_code", d["device_code"].as_str().unwrap()), form[0]];
    idp.deny_devices();
    assert_eq!(error_of(&idp.post_form("/token", &poll, None).await.unwrap()), "access_denied");
}

#[tokio::test]
async fn introspection_needs_credentials_and_reports_expired_revoked_and_unknown_tokens() {
    let idp = idp().await;
    let access = sign_in(&idp).await["access_token"].as_str().unwrap().to_owned();
    for basic in [None, Some(("dovecot", "wrong")), Some(("someone", idp.introspection_secret().as_str()))] {
        let reply = idp.post_form("/introspect", &[("token", &access)], basic).await.unwrap();
        assert_eq!(reply.status, 401, "{basic:?}");
        assert!(reply.json().get("email").is_none());
    }
    assert_eq!(introspect(&idp, &access).await["active"], true);
    assert_eq!(introspect(&idp, "at_unknown").await, serde_json::json!({"active": false}));
    assert_eq!(idp.get("/userinfo").await.unwrap().status, 401);

    idp.expire_access_tokens();
    assert_eq!(introspect(&idp, &access).await["active"], false);

    idp.set_access_token_lifetime(Duration::ZERO);
    let born_expired = sign_in(&idp).await;
    assert_eq!(born_expired["expires_in"], 0);
    assert_eq!(introspect(&idp, born_expired["access_token"].as_str().unwrap()).await["active"], false);

    idp.set_access_token_lifetime(Duration::from_secs(60));
    let live = sign_in(&idp).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(introspect(&idp, &live).await["active"], true);
    idp.revoke_access_tokens();
    assert_eq!(introspect(&idp, &live).await["active"], false);

    idp.set_introspection_down(true);
    let secret = idp.introspection_secret();
    let reply = idp.post_form("/introspect", &[("token", &live)], Some(("dovecot", &secret))).await.unwrap();
    assert_eq!(reply.status, 503);
}

#[tokio::test]
async fn switches_shape_the_tokens_and_the_log_keeps_every_request() {
    let idp = idp().await;
    idp.set_token_length(Some(2500));
    idp.set_scopes(&["openid", "email"]);
    let t = sign_in(&idp).await;
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(access.len(), 2500);
    assert!(access.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    // Only what it grants, of what was asked for.
    assert_eq!(t["scope"], "openid email");
    assert_eq!(introspect(&idp, access).await["scope"], "openid email");

    idp.add_user("carol", "carol@example.test");
    let c = code(&idp, Some("carol@example.test")).await;
    let carol = exchange(&idp, &c, REDIRECT, VERIFIER).await.json();
    assert_eq!(
        introspect(&idp, carol["access_token"].as_str().unwrap()).await["email"],
        "carol@example.test"
    );
    idp.sign_in_as("bob");
    let bob = sign_in(&idp).await;
    let userinfo = idp.userinfo(bob["access_token"].as_str().unwrap()).await.unwrap();
    assert_eq!(userinfo.json()["email"], "bob@example.test");
    idp.remove_user("carol");
    let q = [good_query("x"), vec![("login_hint", "carol".to_string())]].concat();
    assert_eq!(authorize(&idp, &pairs(&q)).await.1["error"], "access_denied");

    let log = idp.requests();
    assert_eq!((idp.count(Endpoint::Authorize), idp.count(Endpoint::Token)), (4, 3));
    assert_eq!((idp.count(Endpoint::Introspect), idp.count(Endpoint::UserInfo)), (2, 1));
    assert_eq!(log.len(), 10);
    let token_bodies: Vec<String> =
        log.iter().filter(|r| r.path == "/token").map(|r| r.body_text()).collect();
    assert!(
        token_bodies.iter().all(|b| b.contains(&format!("code_verifier={VERIFIER}"))),
        "{token_bodies:?}"
    );
    // No access token ever travels in a URL.
    let tokens = idp.access_tokens();
    assert_eq!(tokens.len(), 3);
    assert!(log.iter().all(|r| tokens.iter().all(|t| !r.target.contains(t.as_str()))), "{log:?}");
}

#[tokio::test]
async fn serves_https_with_its_own_ca() {
    let idp = Idp::start(IdpConfig { tls: true, ..IdpConfig::default() }).await.unwrap();
    assert!(idp.url().starts_with("https://127.0.0.1:"));
    let doc = idp.get("/.well-known/openid-configuration").await.unwrap().json();
    assert_eq!(doc["token_endpoint"], format!("{}/token", idp.url()));
    // Nobody else trusts that CA.
    assert!(tidings_testkit::idp::get(&idp.discovery_url(), None).await.is_err());
    assert_eq!(sign_in(&idp).await["token_type"], "Bearer");
}
