//! Inspecting an OAuth2 account against real Dovecot and Postfix that ask the testkit's
//! identity provider about each token: the report's token section has the mechanism, the
//! scopes the provider granted, the audience (read from a JWT, "opaque" otherwise) and the
//! expiry, warns about a token for the wrong resource or without the protocol's scope, and
//! holds no token anywhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use std::time::{Duration, SystemTime};

use pass_common::account;
use tidings_mail::account::{Account, AuthMethod, Incoming, OAuth2Settings, Protocol, SecretRole};
use tidings_mail::auth;
use tidings_mail::inspect::{InspectOptions, Report, Target, inspect};
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::oauth2::{self, Tokens};
use tidings_mail::secret::Secrets;
use tidings_testkit::MailServers;
use tidings_testkit::idp::{Endpoint as IdpEndpoint, Idp, IdpConfig};

/// An IMAP account of `login` signing in with OAuth2 on both servers through `provider`,
/// signed in (the refresh token in `secrets`, the access token in memory).
async fn signed_in(s: &MailServers, idp: &Idp, login: &str, id: &str, provider: &str) -> (Account, Secrets) {
    let mut a = account(s, s.user(login), Incoming::Imap, s.imaps_port());
    a.id = id.into();
    a.incoming.auth = AuthMethod::OAuth2;
    a.outgoing.auth = AuthMethod::OAuth2;
    a.oauth2 = Some(OAuth2Settings { provider: provider.into(), ..OAuth2Settings::default() });
    let secrets = Secrets::in_memory();
    let issued = idp.issue(login).unwrap();
    let tokens = Tokens {
        access: issued.access_token,
        refresh: issued.refresh_token,
        expires_at: Some(SystemTime::now() + Duration::from_secs(issued.expires_in)),
        scope: Some(issued.scope),
    };
    oauth2::signed_in(&a.id, &secrets, &tokens).await.unwrap();
    (a, secrets)
}

/// Both servers of the account inspected as `tidings inspect --account` does: the report and
/// its JSON.
async fn inspect_both(a: &Account, secrets: &Secrets) -> Vec<(Report, serde_json::Value)> {
    let creds = auth::Credentials::lookup(a, secrets).await.unwrap();
    let mut out = Vec::new();
    for (protocol, server, credential) in
        [(Protocol::Imap, &a.incoming, creds.incoming), (Protocol::Smtp, &a.outgoing, creds.outgoing)]
    {
        let ep = Endpoint::for_account(a, server).unwrap();
        let target =
            Target { protocol, security: server.security, host: server.host.clone(), port: server.port };
        let r = inspect(&target, ep.trust, Some(credential), &InspectOptions::default(), &Transcript::new())
            .await;
        let json = serde_json::to_value(&r).unwrap();
        out.push((r, json));
    }
    out
}

fn assert_no_token(idp: &Idp, r: &Report, json: &serde_json::Value) {
    let (md, json) = (r.to_markdown(), json.to_string());
    let tokens = idp.access_tokens();
    assert!(!tokens.is_empty());
    for token in tokens {
        assert!(!md.contains(&token) && !json.contains(&token), "an access token is in the report");
        // Not even its signature, the part of a JWT a log would keep.
        let tail = token.rsplit('.').next().unwrap();
        assert!(!json.contains(tail), "a token's signature is in the report");
    }
}

#[tokio::test]
async fn the_report_shows_the_scopes_granted_and_the_expiry_of_an_opaque_token() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let provider = idp.provider_file(dir.path()).unwrap().to_string_lossy().into_owned();
    let (a, secrets) = signed_in(&s, &idp, "alice", "inspect-opaque", &provider).await;
    let mut reports = inspect_both(&a, &secrets).await;
    // A fresh process (the command line) has no access token in memory: the grant then
    // comes from the refresh's answer.
    oauth2::forget_access(&a.id);
    let refreshes = idp.count(IdpEndpoint::Token);
    reports.extend(inspect_both(&a, &secrets).await);
    assert!(idp.count(IdpEndpoint::Token) > refreshes, "refreshed");

    for (r, json) in reports {
        let md = r.to_markdown();
        assert!(r.ok, "{md}");
        let token = &json["token"];
        assert_eq!(token["mechanism"], "XOAUTH2", "{json}");
        assert_eq!(token["scopes"], serde_json::json!(["openid", "email", "offline_access", "mail"]));
        assert_eq!(token["audience"], serde_json::Value::Null, "the testkit's tokens are opaque");
        assert!(token["expires_at"].as_str().unwrap().ends_with('Z'), "{token}");
        let expires = token["expires"].as_str().unwrap();
        assert!(expires.starts_with("expires in ") && expires.ends_with(" UTC)"), "{expires}");
        assert_eq!(token["warnings"], serde_json::json!([]));
        assert!(md.contains("- audience: not readable: the token is opaque"), "{md}");
        assert!(md.contains("- scopes granted: openid email offline_access mail"), "{md}");
        assert!(md.contains(&format!("- expiry: {expires}")), "{md}");
        assert_no_token(&idp, &r, &json);
    }
}

/// A Microsoft account whose token was issued for Microsoft Graph and without SMTP.Send: the
/// servers here take it (they ask the identity provider, not the audience), and the report
/// says what Exchange Online would refuse.
#[tokio::test]
async fn a_jwt_for_the_wrong_audience_and_a_missing_scope_are_flagged() {
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    idp.set_jwt_audience(Some(&["https://graph.microsoft.com"]));
    // "mail" is the scope the test Dovecot asks for.
    idp.set_scopes(&["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access", "mail"]);
    let (a, secrets) = signed_in(&s, &idp, "bob", "inspect-graph", "microsoft").await;
    // The token store serves the access token from memory: Microsoft is never asked.
    let credential = auth::credential(&a, &secrets, SecretRole::Incoming).await.unwrap();
    assert!(credential.secret().split('.').count() == 3, "a JWT-shaped token");

    let reports = inspect_both(&a, &secrets).await;
    let (imap, smtp) = (&reports[0], &reports[1]);
    for (r, json) in &reports {
        assert!(r.ok, "{}", r.to_markdown());
        assert_eq!(json["token"]["audience"], serde_json::json!(["https://graph.microsoft.com"]));
        assert_eq!(json["token"]["provider"], "microsoft");
        assert_no_token(&idp, r, json);
    }
    let warnings = |json: &serde_json::Value| -> Vec<String> {
        json["token"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect()
    };
    let (imap_warnings, smtp_warnings) = (warnings(&imap.1), warnings(&smtp.1));
    assert_eq!(imap_warnings.len(), 1, "{imap_warnings:?}");
    assert!(imap_warnings[0].contains("Microsoft Graph"), "{imap_warnings:?}");
    assert_eq!(smtp_warnings.len(), 2, "{smtp_warnings:?}");
    assert!(smtp_warnings[1].contains("SMTP.Send"), "{smtp_warnings:?}");
    let md = smtp.0.to_markdown();
    assert!(md.contains("- **Warning: The token was not granted SMTP.Send"), "{md}");
    assert!(md.contains("- audience: https://graph.microsoft.com"), "{md}");
}
