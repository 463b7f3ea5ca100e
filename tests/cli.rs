//! The real `tidings` binary, headless: account add/list/test/remove against the testkit's
//! real Dovecot and Postfix, with passwords in a real Secret Service (the test command runs
//! under `scripts/with-keyring`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::{Command, Output};

use cli_common::{json, need_keyring, servers, text};

fn tidings(profile: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    cli_common::run(profile, args, stdin.map(str::as_bytes))
}

#[test]
fn version_help_and_commands_not_there_yet() {
    let dir = tempfile::tempdir().unwrap();
    let out = tidings(dir.path(), &["--version"], None);
    assert!(out.status.success());
    assert!(text(&out).starts_with("tidings 0.1.0"), "{}", text(&out));
    let help = text(&tidings(dir.path(), &["--help"], None));
    for sub in ["account", "sync", "send", "inspect", "--profile", "--json"] {
        assert!(help.contains(sub), "--help lacks {sub}: {help}");
    }
    // Without an account, send explains what is missing (tests/cli_send.rs sends for real).
    let out = tidings(dir.path(), &["send", "--json"], None);
    assert_eq!(out.status.code(), Some(1), "send: {}", text(&out));
    assert_eq!(json(&out)["error"]["kind"], "config");
}

#[test]
fn without_a_display_the_gui_explains_instead_of_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--profile")
        .arg(dir.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("needs a graphical display"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn account_lifecycle_against_the_real_servers() {
    need_keyring();
    let s = servers();
    let alice = s.user("alice");
    let dir = tempfile::tempdir().unwrap();
    let (imaps, sub) = (s.imaps_port().to_string(), s.submission_port().to_string());
    let ca = s.ca_path().to_str().unwrap();
    let add = [
        "account",
        "add",
        "--name",
        "Alice Test",
        "--email",
        &alice.email,
        "--incoming",
        "imap",
        "--host",
        "127.0.0.1",
        "--port",
        &imaps,
        "--tls",
        "implicit",
        "--user",
        &alice.login,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &sub,
        "--smtp-tls",
        "starttls",
        "--ca-file",
        ca,
        "--password-stdin",
        "--test",
        "--log-transcript",
        "--json",
    ];
    let out = tidings(dir.path(), &add, Some(&format!("{}\n", alice.password)));
    assert!(out.status.success(), "{}", text(&out));
    let id = json(&out)["account"]["id"].as_str().unwrap().to_string();
    assert_eq!(id, "alice-test");

    // The config is private and holds no secret.
    let config = dir.path().join("config/config.toml");
    let body = std::fs::read_to_string(&config).unwrap();
    assert!(!body.contains(&alice.password), "password in config.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&config).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let list = json(&tidings(dir.path(), &["account", "list", "--json"], None));
    assert_eq!(list["accounts"][0]["incoming"]["port"], s.imaps_port());
    assert_eq!(list["accounts"][0]["outgoing"]["security"], "starttls");

    // The password comes back from the keyring; the check passes, every stage timed.
    let out = tidings(dir.path(), &["account", "test", "Alice Test", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["ok"], true);
    let stages: Vec<&str> = report["incoming"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(stages.contains(&"tls-handshake") && stages.contains(&"login"), "{stages:?}");
    assert!(report["outgoing"]["stages"].as_array().unwrap().iter().any(|s| s["name"] == "start-tls"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&alice.password));

    // The same in text, through TIDINGS_PROFILE instead of --profile.
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["account", "test", "alice-test"])
        .env("TIDINGS_PROFILE", dir.path())
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("[ok  ] TLS handshake") && t.contains("[ok  ] Log in"), "{t}");

    // The transcript log exists, redacted.
    let log = std::fs::read_to_string(dir.path().join("data/logs/alice-test.transcript.log")).unwrap();
    assert!(log.contains("LOGIN <redacted>") && !log.contains(&alice.password), "{log}");

    // One receive pass, headless: per folder totals.
    s.seed(alice, 25).unwrap();
    let out = tidings(dir.path(), &["sync", "--account", "alice-test", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let r = json(&out);
    let folders = r["accounts"][0]["report"]["folders"].as_array().unwrap();
    let inbox = folders.iter().find(|f| f["role"] == "inbox").expect("INBOX synced");
    assert_eq!((inbox["total"].as_u64(), inbox["new"].as_u64()), (Some(25), Some(25)), "{r:#}");
    let out = tidings(dir.path(), &["sync"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("synced"), "{}", text(&out));
    assert!(dir.path().join("data/mail.sqlite3").exists());

    // The inspector on the account's servers, with the IDLE probe (cleaned up afterwards).
    let out = tidings(dir.path(), &["inspect", "--account", "alice-test", "--probe", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let r = json(&out);
    let imap_checks = r["reports"][0]["checks"].as_array().unwrap();
    let probe = imap_checks.iter().find(|c| c["name"] == "IDLE latency").expect("the probe ran");
    assert_eq!(probe["verdict"], "pass", "{probe:#}");
    let receipts = imap_checks.iter().find(|c| c["name"] == "Read receipts on download").expect("ran");
    assert_eq!(receipts["verdict"], "pass", "Dovecot sends no receipt on download: {receipts:#}");
    assert_eq!(r["reports"][1]["protocol"], "smtp");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&alice.password));
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 25, "the probe was left behind");

    // Removing deletes the secrets: a later test has no password to use.
    let out = tidings(dir.path(), &["account", "remove", "alice-test", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let list = json(&tidings(dir.path(), &["account", "list", "--json"], None));
    assert_eq!(list["accounts"].as_array().unwrap().len(), 0);
}

#[test]
fn pop3_starttls_with_pinned_certificates_and_an_own_smtp_password() {
    need_keyring();
    let s = servers();
    let alice = s.user("alice");
    let dir = tempfile::tempdir().unwrap();
    let pin = s.leaf_sha256_hex();
    let (pop3, subs) = (s.pop3_port().to_string(), s.submissions_port().to_string());
    let add = [
        "account",
        "add",
        "--name",
        "pop",
        "--email",
        &alice.email,
        "--incoming",
        "pop3",
        "--host",
        "127.0.0.1",
        "--port",
        &pop3,
        "--tls",
        "starttls",
        "--user",
        &alice.login,
        "--pin-cert",
        &pin,
        "--smtp-port",
        &subs,
        "--smtp-tls",
        "implicit",
        "--smtp-pin-cert",
        &pin,
        "--password-stdin",
        "--smtp-password-stdin",
    ];
    let stdin = format!("{0}\n{0}\n", alice.password);
    let out = tidings(dir.path(), &add, Some(&stdin));
    assert!(out.status.success(), "{}", text(&out));
    let out = tidings(dir.path(), &["account", "test", "pop", "--json"], None);
    let report = json(&out);
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["incoming"]["facts"]["tls"]["pinned"], true);
    // A POP3 receive pass over the pinned STLS connection (more in tests/cli_pop3.rs).
    let out = tidings(dir.path(), &["sync", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["accounts"][0]["protocol"], "pop3");
    tidings(dir.path(), &["account", "remove", "pop"], None);
}

#[test]
fn a_wrong_password_is_reported_with_its_kind_and_the_servers_words() {
    need_keyring();
    let s = servers();
    let alice = s.user("alice");
    let dir = tempfile::tempdir().unwrap();
    let imap = s.imap_port().to_string();
    let ca = s.ca_path().to_str().unwrap();
    let add = [
        "account",
        "add",
        "--name",
        "wrong",
        "--email",
        &alice.email,
        "--host",
        "127.0.0.1",
        "--port",
        &imap,
        "--tls",
        "starttls",
        "--user",
        &alice.login,
        "--smtp-port",
        "1",
        "--ca-file",
        ca,
        "--password-stdin",
    ];
    assert!(tidings(dir.path(), &add, Some("not-the-password\n")).status.success());
    let out = tidings(dir.path(), &["account", "test", "wrong", "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["incoming"]["error"]["kind"], "auth", "{report:#}");
    assert!(report["incoming"]["error"]["server"].as_str().unwrap().contains("AUTHENTICATIONFAILED"));
    // SMTP on port 1: nothing listens.
    assert_eq!(report["outgoing"]["error"]["kind"], "network");
    tidings(dir.path(), &["account", "remove", "wrong"], None);
}

#[test]
fn unencrypted_needs_an_explicit_flag_and_bad_pins_are_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "account",
        "add",
        "--name",
        "x",
        "--email",
        "x@example.test",
        "--host",
        "h",
        "--password-stdin",
        "--json",
    ];
    let mut args = base.to_vec();
    args.extend(["--tls", "none"]);
    let out = tidings(dir.path(), &args, Some("pw\n"));
    assert_eq!(out.status.code(), Some(1));
    let e = json(&out);
    assert_eq!(e["error"]["kind"], "config");
    assert!(e["error"]["message"].as_str().unwrap().contains("--allow-plaintext"));
    let mut args = base.to_vec();
    args.extend(["--pin-cert", "12:34"]);
    let e = json(&tidings(dir.path(), &args, Some("pw\n")));
    assert!(e["error"]["message"].as_str().unwrap().contains("SHA-256"), "{e}");
    assert!(!dir.path().join("config/config.toml").exists(), "nothing may be saved");
}

#[test]
fn inspect_every_url_form_without_leaking_the_password() {
    let s = servers();
    let alice = s.user("alice");
    s.seed(alice, 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = s.ca_path().to_str().unwrap();
    let forms = [
        ("imap", s.imap_port()),
        ("imaps", s.imaps_port()),
        ("pop3", s.pop3_port()),
        ("pop3s", s.pop3s_port()),
        ("smtp", s.submission_port()),
        ("smtps", s.submissions_port()),
    ];
    for (scheme, port) in forms {
        let url = format!("{scheme}://127.0.0.1:{port}");
        let stdin = format!("{}\n", alice.password);
        for format in ["--json", "--markdown"] {
            let args = ["inspect", &url, "--user", &alice.email, "--password-stdin", "--ca-file", ca, format];
            let out = tidings(dir.path(), &args, Some(&stdin));
            let all = text(&out);
            assert!(out.status.success(), "{url} {format}: {all}");
            assert!(!all.contains(&alice.password), "{url} {format}: the password is in the output");
            if format == "--json" {
                let r = json(&out);
                assert!(r["tls"]["version"].as_str().unwrap().starts_with("TLS 1."), "{r:#}");
                let stages = r["stages"].as_array().unwrap();
                assert!(stages.iter().all(|s| s["duration"].as_f64().is_some()), "{r:#}");
                assert!(stages.iter().any(|s| s["name"] == "login"));
                if scheme.starts_with("imap") {
                    assert!(r["capabilities"]["after_login"].as_array().unwrap().iter().any(|c| c == "IDLE"));
                }
            } else {
                assert!(all.contains("## Stages") && all.contains("| TLS handshake | ok |"), "{all}");
            }
        }
    }
}

#[test]
fn discover_finds_the_exchange_online_preset_with_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["discover", "someone@office365.com", "--no-probes", "--time-limit", "3", "--json"];
    let out = tidings(dir.path(), &args, None);
    assert!(out.status.success(), "{}", text(&out));
    let d = json(&out);
    let incoming = &d["best"]["incoming"];
    assert_eq!(incoming["host"], "outlook.office365.com", "{d:#}");
    assert_eq!(incoming["port"], 993);
    assert_eq!(incoming["security"], "implicit");
    assert!(incoming["label"].as_str().unwrap().starts_with("preset"), "{d:#}");
    assert_eq!(d["best"]["outgoing"]["host"], "smtp.office365.com");
    assert_eq!(d["best"]["outgoing"]["port"], 587);
    assert_eq!(d["best"]["outgoing"]["security"], "starttls");
}
