//! `tidings account add … --oauth2 FILE [--device-code]` against the testkit's identity
//! provider: the sign-in (device code; the browser's loopback redirect, with the test playing
//! the browser), the refresh token in the keyring, and no token anywhere in the profile or the
//! output. Needs a Secret Service: run under scripts/with-keyring.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cli_common::{json, need_keyring, text};
use tidings_mail::account::{AuthMethod, SecretRole};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_testkit::idp::{Idp, IdpConfig};

fn provider_file(idp: &Idp, dir: &std::path::Path) -> std::path::PathBuf {
    idp.provider_file(dir).unwrap()
}

fn add_args<'a>(name: &'a str, provider: &'a str) -> Vec<&'a str> {
    vec![
        "account",
        "add",
        "--name",
        name,
        "--email",
        "alice@example.test",
        "--host",
        "127.0.0.1",
        "--port",
        "993",
        "--smtp-port",
        "587",
        "--oauth2",
        provider,
    ]
}

/// Every file under `dir`, read whole.
fn every_file(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn assert_no_token_in(profile: &Path, idp: &Idp, output: &str) {
    let tokens = idp.access_tokens();
    assert!(!tokens.is_empty());
    let refresh: Vec<String> = idp
        .requests()
        .iter()
        .filter_map(|r| {
            r.body_text().split("refresh_token=").nth(1).map(|t| t.split('&').next().unwrap().to_string())
        })
        .collect();
    for token in tokens.iter().chain(&refresh) {
        assert!(!output.contains(token.as_str()), "a token is in the output");
        for (path, bytes) in every_file(profile) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(token.as_str()), "a token is in {}", path.display());
        }
    }
}

#[test]
fn device_code_sign_in_adds_the_account_with_its_refresh_token_in_the_keyring() {
    need_keyring();
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let profile = dir.path().join("profile");
    let mut args = add_args("OAuth device", provider.to_str().unwrap());
    args.extend(["--device-code", "--sasl", "oauthbearer", "--json"]);
    let out = cli_common::run(&profile, &args, None);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("To sign in to Test identity provider, open"), "{stderr}");
    assert!(stderr.contains(&format!("{}/device", idp.url())) || stderr.contains(idp.url()), "{stderr}");
    let answer = json(&out);
    assert_eq!(answer["ok"], true);
    assert!(answer["granted_scope"].as_str().unwrap().contains("mail"), "{answer}");

    let config = Config::load(&Profile::at(&profile)).unwrap();
    let account = config.account("oauth-device").unwrap();
    assert_eq!((account.incoming.auth, account.outgoing.auth), (AuthMethod::OAuth2, AuthMethod::OAuth2));
    assert_eq!(account.oauth2.as_ref().unwrap().provider, provider.to_str().unwrap());
    assert_eq!(
        account.oauth2.as_ref().unwrap().mechanism,
        Some(tidings_mail::auth::sasl::Mechanism::OAuthBearer)
    );
    let kept = Secrets::system().get("oauth-device", SecretRole::OAuth2Refresh).unwrap().unwrap();
    assert!(kept.starts_with("rt_"));
    for (path, bytes) in every_file(&profile) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&kept),
            "the refresh token is in {}",
            path.display()
        );
    }
    assert!(!text(&out).contains(&kept));
    assert_no_token_in(&profile, &idp, &text(&out));
    Secrets::system().delete_account("oauth-device").unwrap();
}

#[test]
fn browser_sign_in_comes_back_to_the_loopback_address() {
    need_keyring();
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let profile = dir.path().join("profile");
    let mut args = add_args("OAuth browser", provider.to_str().unwrap());
    args.push("--no-browser");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--profile")
        .arg(&profile)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The address is printed on a line of its own; the test is the browser.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no sign-in address: {said}");
        said.push_str(&line);
        if line.starts_with(idp.url()) {
            break line.trim().to_string();
        }
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let page = runtime.block_on(async {
        let answer = tidings_testkit::idp::get(&url, None).await.unwrap();
        tidings_testkit::idp::get(answer.location().unwrap(), None).await.unwrap()
    });
    assert!(page.text().contains("return to Tidings"), "{}", page.text());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Added account \"OAuth browser\""), "{stdout}");
    assert!(stdout.contains("IMAP 127.0.0.1:993 (SSL/TLS) as alice@example.test, OAuth2"), "{stdout}");
    assert!(Secrets::system().get("oauth-browser", SecretRole::OAuth2Refresh).unwrap().is_some());
    assert_no_token_in(&profile, &idp, &format!("{said}{stdout}"));
    Secrets::system().delete_account("oauth-browser").unwrap();
}

#[test]
fn without_an_application_id_nobody_is_sent_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let mut args = add_args("No id", "google");
    args.push("--device-code");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.arg("--profile").arg(&profile).args(&args).env_remove("TIDINGS_OAUTH2_CLIENT_ID");
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("no application (client) id is set for Google"), "{said}");
    assert!(!profile.join("config/config.toml").exists(), "nothing saved");
}

/// The inspector of an OAuth2 account logs in with its token and says how; the report and
/// its transcript hold no token.
#[test]
fn inspecting_an_oauth2_account_logs_in_with_its_token() {
    need_keyring();
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    let s = tidings_testkit::MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let profile = dir.path().join("profile");
    let (imaps, submission) = (s.imaps_port().to_string(), s.submission_port().to_string());
    let ca = s.ca_path().to_str().unwrap().to_string();
    let args = [
        "account",
        "add",
        "--name",
        "OAuth inspect",
        "--email",
        "alice@example.test",
        "--host",
        "127.0.0.1",
        "--port",
        &imaps,
        "--smtp-port",
        &submission,
        "--ca-file",
        &ca,
        "--oauth2",
        provider.to_str().unwrap(),
        "--device-code",
    ];
    let out = cli_common::run(&profile, &args, None);
    assert!(out.status.success(), "{}", text(&out));
    let out = cli_common::run(&profile, &["inspect", "--account", "oauth-inspect", "--json"], None);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    let reports = json(&out);
    let reports = reports["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    for r in reports {
        assert_eq!(r["ok"], true, "{r}");
        assert_eq!(r["login"], "OAuth2 access token (SASL XOAUTH2)", "{r}");
    }
    for token in idp.access_tokens() {
        assert!(!said.contains(&token), "a token is in the report");
    }
    Secrets::system().delete_account("oauth-inspect").unwrap();
}
