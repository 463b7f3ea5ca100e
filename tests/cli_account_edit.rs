//! `tidings account edit` and `account show`, headless: every flag round-trips through
//! `show --json` and config.toml; a refused flag leaves config.toml as it was, byte for byte;
//! the options of the other incoming protocol are refused; and against the testkit's real
//! Dovecot POP3 (password in a real Secret Service: run under `scripts/with-keyring`), an
//! edit of the servers keeps the password and the edited "leave on server" is what the next
//! `tidings sync` does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;

use cli_common::{json, need_keyring, servers, text};
use serde_json::{Value, json};

use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;

fn tidings(profile: &Path, args: &[&str]) -> Output {
    cli_common::run(profile, args, None)
}

/// A profile with an IMAP account "Work" and a POP3 account "Home", written the way the
/// wizard writes them (no keyring needed: editing never reads a password).
fn profile_with_accounts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let server = |host: &str, port, security| Server {
        host: host.into(),
        port,
        security,
        user: "alice@example.test".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    let mut config = Config::default();
    let mut work = Account::new(
        String::new(),
        "Work".into(),
        "alice@example.test".into(),
        Incoming::Imap,
        server("imap.example.test", 993, Security::Implicit),
        server("smtp.example.test", 587, Security::StartTls),
    );
    work.identities = vec![tidings_mail::account::Identity { name: None, email: "old@example.test".into() }];
    work.remote_content_from = vec!["news@example.test".into()];
    config.add_account(work).unwrap();
    config
        .add_account(Account::new(
            String::new(),
            "Home".into(),
            "alice@example.test".into(),
            Incoming::Pop3,
            server("pop.example.test", 995, Security::Implicit),
            server("smtp.example.test", 465, Security::Implicit),
        ))
        .unwrap();
    config.save(&Profile::at(dir.path())).unwrap();
    dir
}

fn show(dir: &Path, name: &str) -> Value {
    let out = tidings(dir, &["account", "show", name, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    json(&out)["account"].clone()
}

/// The account as config.toml holds it, in the JSON form `show` prints.
fn in_config(dir: &Path, id: &str) -> Value {
    let config = Config::load(&Profile::at(dir)).unwrap();
    serde_json::to_value(config.account(id).unwrap()).unwrap()
}

fn edit(dir: &Path, name: &str, flags: &[&str]) -> Output {
    let mut args = vec!["account", "edit", name];
    args.extend_from_slice(flags);
    args.push("--json");
    tidings(dir, &args)
}

#[test]
fn every_flag_round_trips_through_show_and_the_config_file() {
    let dir = profile_with_accounts();
    let ca = dir.path().join("company-ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let ca = ca.to_str().unwrap();
    let pin = "AB:".repeat(31) + "AB";
    let pin_hex = "ab".repeat(32);
    let smtp_pin = "cd".repeat(32);
    // (account, flags, where in `show --json`, what it holds afterwards)
    let cases: Vec<(&str, Vec<&str>, &str, Value)> = vec![
        ("Work", vec!["--email", "alice@new.example.test"], "/email", json!("alice@new.example.test")),
        // The user names followed the address, as they do in the settings.
        ("work", vec!["--sender-name", "Alice Example"], "/incoming/user", json!("alice@new.example.test")),
        ("work", vec!["--sender-name", "Alice Example"], "/outgoing/user", json!("alice@new.example.test")),
        ("work", vec!["--sender-name", "Alice Example"], "/sender_name", json!("Alice Example")),
        (
            "work",
            vec!["--add-identity", "Sales <sales@example.test>", "--remove-identity", "old@example.test"],
            "/identities",
            json!([{ "name": "Sales", "email": "sales@example.test" }]),
        ),
        ("work", vec!["--host", "mail.example.test"], "/incoming/host", json!("mail.example.test")),
        // The port follows the encryption when it was the default…
        ("work", vec!["--tls", "starttls"], "/incoming/port", json!(143)),
        ("work", vec!["--port", "1143"], "/incoming/port", json!(1143)),
        // …and stays when it was set by hand.
        ("work", vec!["--tls", "implicit"], "/incoming/port", json!(1143)),
        ("work", vec!["--tls", "implicit"], "/incoming/security", json!("implicit")),
        ("work", vec!["--user", "alice"], "/incoming/user", json!("alice")),
        ("work", vec!["--smtp-host", "out.example.test"], "/outgoing/host", json!("out.example.test")),
        ("work", vec!["--smtp-tls", "implicit"], "/outgoing/port", json!(465)),
        ("work", vec!["--smtp-port", "2525"], "/outgoing/port", json!(2525)),
        ("work", vec!["--smtp-user", "alice-smtp"], "/outgoing/user", json!("alice-smtp")),
        ("work", vec!["--ca-file", ca], "/incoming/trust/ca_file", json!(ca)),
        ("work", vec!["--ca-file", ca], "/outgoing/trust/ca_file", json!(ca)),
        ("work", vec!["--smtp-ca-file", "none"], "/outgoing/trust", json!({})),
        ("work", vec!["--pin-cert", &pin], "/incoming/trust/pinned_sha256", json!(pin_hex)),
        ("work", vec!["--smtp-pin-cert", &smtp_pin], "/outgoing/trust/pinned_sha256", json!(smtp_pin)),
        ("work", vec!["--pin-cert", "none", "--ca-file", "none"], "/incoming/trust", json!({})),
        (
            "work",
            vec!["--schedule", "manual"],
            "/options/schedule",
            json!({"at_start": false, "every_minutes": null}),
        ),
        (
            "work",
            vec!["--schedule", "start"],
            "/options/schedule",
            json!({"at_start": true, "every_minutes": null}),
        ),
        (
            "work",
            vec!["--schedule", "15"],
            "/options/schedule",
            json!({"at_start": false, "every_minutes": 15}),
        ),
        (
            "work",
            vec!["--schedule", "start,30"],
            "/options/schedule",
            json!({"at_start": true, "every_minutes": 30}),
        ),
        ("work", vec!["--idle", "off"], "/options/idle", json!(false)),
        ("work", vec!["--idle-folders", "special"], "/options/idle_folders", json!("special")),
        ("work", vec!["--idle-folders", "subscribed"], "/options/idle_folders", json!("subscribed")),
        ("work", vec!["--keep-offline", "all"], "/options/keep_offline", json!("all")),
        ("work", vec!["--keep-offline", "30"], "/options/keep_offline", json!(30)),
        ("work", vec!["--keep-offline", "off"], "/options/keep_offline", json!("off")),
        ("work", vec!["--body-format", "text"], "/options/body_format", json!("plain-text")),
        ("work", vec!["--body-format", "html"], "/options/body_format", json!("html")),
        ("work", vec!["--read-receipts", "never"], "/options/read_receipts", json!("never")),
        ("work", vec!["--read-receipts", "always"], "/options/read_receipts", json!("always")),
        ("work", vec!["--request-receipts", "on"], "/options/request_receipts", json!(true)),
        ("work", vec!["--notify", "off"], "/options/notify", json!(false)),
        ("work", vec!["--min-tls", "1.3"], "/options/min_tls", json!("1.3")),
        ("work", vec!["--log-transcript", "on"], "/log_transcript", json!(true)),
        ("work", vec!["--forget-remote-content", "NEWS@example.test"], "/remote_content_from", Value::Null),
        // A new name is a label: the id, and so the keyring's entries, stay.
        ("work", vec!["--name", "Office"], "/name", json!("Office")),
        ("Office", vec!["--notify", "on"], "/id", json!("work")),
        ("Home", vec!["--leave-on-server", "off"], "/options/pop3/leave_on_server", json!(false)),
        ("home", vec!["--delete-after-days", "14"], "/options/pop3/delete_after_days", json!(14)),
        ("home", vec!["--delete-after-days", "never"], "/options/pop3/delete_after_days", Value::Null),
        (
            "home",
            vec!["--delete-when-deleted-here", "on"],
            "/options/pop3/delete_when_deleted_locally",
            json!(true),
        ),
        ("home", vec!["--headers-only", "on"], "/options/pop3/headers_only", json!(true)),
        ("home", vec!["--skip-larger-than-kb", "2048"], "/options/pop3/skip_larger_than_kb", json!(2048)),
        ("home", vec!["--skip-larger-than-kb", "off"], "/options/pop3/skip_larger_than_kb", Value::Null),
        // From POP3 to IMAP: the port follows the protocol, IMAP's options are then allowed.
        ("home", vec!["--incoming", "imap", "--idle", "off"], "/incoming/port", json!(993)),
        ("home", vec!["--host", "imap.example.test"], "/incoming_protocol", json!("imap")),
        ("home", vec!["--host", "imap.example.test"], "/options/idle", json!(false)),
    ];
    for (account, flags, pointer, want) in cases {
        let out = edit(dir.path(), account, &flags);
        assert!(out.status.success(), "{flags:?}: {}", text(&out));
        let reply = json(&out);
        let shown = show(dir.path(), account);
        assert_eq!(shown.pointer(pointer).cloned().unwrap_or(Value::Null), want, "{flags:?} → {shown:#}");
        assert_eq!(reply["account"], shown, "{flags:?}: edit prints the account as saved");
        let id = shown["id"].as_str().unwrap();
        assert_eq!(in_config(dir.path(), id), shown, "{flags:?}: show prints config.toml");
    }

    // What changed is listed by its name in config.toml, from and to; the same values again
    // change nothing and write nothing.
    let out = edit(dir.path(), "Office", &["--idle", "on", "--body-format", "best"]);
    assert_eq!(
        json(&out)["changed"],
        json!([
            { "setting": "options.body_format", "from": "html", "to": "best" },
            { "setting": "options.idle", "from": false, "to": true },
        ]),
    );
    let before = std::fs::read(Profile::at(dir.path()).config_file()).unwrap();
    let out = tidings(dir.path(), &["account", "edit", "Office", "--idle", "on"]);
    assert!(out.status.success() && text(&out).contains("Nothing changed"), "{}", text(&out));
    assert_eq!(std::fs::read(Profile::at(dir.path()).config_file()).unwrap(), before);

    // A short interval is saved with the settings' caution beside it.
    let out = tidings(dir.path(), &["account", "edit", "Office", "--schedule", "2"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("options.schedule.every_minutes: 30 → 2"), "{t}");
    assert!(t.contains("Checking every 2 minutes is very often"), "{t}");

    // The text form of show names every setting.
    let out = tidings(dir.path(), &["account", "show", "Office"]);
    let t = text(&out);
    for line in [
        "Office <alice@new.example.test> (id work)",
        "your name in From: Alice Example",
        "other addresses: Sales <sales@example.test>",
        "incoming: IMAP mail.example.test:1143 (SSL/TLS) as alice",
        "outgoing: SMTP out.example.test:2525 (SSL/TLS) as alice-smtp, certificate pinned cdcd",
        "schedule: every 2 minutes",
        "idle: on, folders: subscribed",
        "keep offline: off",
        "body format: best, read receipts: always, minimum TLS: 1.3",
        "notify: on",
        "log transcript: on",
    ] {
        assert!(t.contains(line), "show lacks {line:?}:\n{t}");
    }
}

#[test]
fn a_refused_flag_leaves_config_toml_byte_identical() {
    let dir = profile_with_accounts();
    let file = Profile::at(dir.path()).config_file();
    let before = std::fs::read(&file).unwrap();
    // Each starts with a valid change: nothing is written unless every flag holds.
    let refused: &[(&str, &[&str], &str)] = &[
        ("Work", &[], "nothing to change"),
        ("Nobody", &["--notify", "off"], "there is no account"),
        ("Work", &["--notify", "off", "--name", "Home"], "already exists"),
        ("Work", &["--notify", "off", "--name", " "], "needs a name"),
        ("Work", &["--notify", "off", "--email", "alice"], "not an email address"),
        ("Work", &["--notify", "off", "--add-identity", "sales"], "not a valid email address"),
        ("Work", &["--notify", "off", "--add-identity", "ALICE@example.test"], "listed twice"),
        ("Work", &["--notify", "off", "--add-identity", "old@example.test"], "listed twice"),
        ("Work", &["--notify", "off", "--remove-identity", "nobody@example.test"], "not among"),
        ("Work", &["--notify", "off", "--forget-remote-content", "x@example.test"], "nothing to forget"),
        ("Work", &["--notify", "off", "--host", "imaps://imap.example.test"], "not a host name"),
        ("Work", &["--notify", "off", "--host", ""], "needs a host name"),
        ("Work", &["--notify", "off", "--port", "0"], "needs a port"),
        ("Work", &["--notify", "off", "--user", " "], "needs a user name"),
        ("Work", &["--notify", "off", "--tls", "none"], "--allow-plaintext"),
        ("Work", &["--notify", "off", "--smtp-tls", "none"], "--allow-plaintext"),
        ("Work", &["--notify", "off", "--pin-cert", "12:34"], "not a SHA-256 fingerprint"),
        ("Work", &["--notify", "off", "--ca-file", "/no/such/ca.pem"], "does not exist"),
        ("Work", &["--notify", "off", "--schedule", "0"], "1 or more"),
        ("Work", &["--notify", "off", "--schedule", "sometimes"], "--schedule sometimes"),
        ("Work", &["--notify", "off", "--schedule", "10,20"], "--schedule 10,20"),
        ("Work", &["--notify", "off", "--keep-offline", "0"], "--keep-offline 0: give `all`"),
        ("Work", &["--notify", "off", "--keep-offline", "soon"], "--keep-offline soon: give `all`"),
        ("Home", &["--notify", "off", "--delete-after-days", "0"], "1 or more"),
        ("Home", &["--notify", "off", "--delete-after-days", "soon"], "--delete-after-days soon"),
        ("Home", &["--notify", "off", "--skip-larger-than-kb", "lots"], "--skip-larger-than-kb lots"),
    ];
    for (account, flags, why) in refused {
        let out = edit(dir.path(), account, flags);
        assert_eq!(out.status.code(), Some(1), "{flags:?}: {}", text(&out));
        let e = &json(&out)["error"];
        assert_eq!(e["kind"], "config", "{flags:?}: {e:#}");
        assert!(e["message"].as_str().unwrap().contains(why), "{flags:?}: {e:#}");
        assert_eq!(std::fs::read(&file).unwrap(), before, "{flags:?} changed config.toml");
    }
    // Values clap knows to be wrong never reach the account either.
    for flags in
        [&["--idle", "maybe"][..], &["--min-tls", "1.1"], &["--body-format", "rtf"], &["--port", "x"]]
    {
        let out = edit(dir.path(), "Work", flags);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", text(&out));
        assert_eq!(std::fs::read(&file).unwrap(), before, "{flags:?} changed config.toml");
    }
    // With --allow-plaintext the same change is taken.
    let out = edit(dir.path(), "Work", &["--tls", "none", "--allow-plaintext"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["account"]["incoming"]["port"], 143);
}

#[test]
fn options_of_the_other_incoming_protocol_are_refused() {
    let dir = profile_with_accounts();
    let file = Profile::at(dir.path()).config_file();
    let before = std::fs::read(&file).unwrap();
    for flag in [
        &["--leave-on-server", "off"][..],
        &["--delete-after-days", "7"],
        &["--delete-when-deleted-here", "on"],
        &["--headers-only", "on"],
        &["--skip-larger-than-kb", "100"],
    ] {
        let out = edit(dir.path(), "Work", flag);
        assert_eq!(out.status.code(), Some(1), "{flag:?}: {}", text(&out));
        let message = json(&out)["error"]["message"].as_str().unwrap().to_string();
        assert_eq!(
            message,
            format!(
                "{} is a POP3 option, and \"Work\" receives with IMAP: leave it out (or change --incoming)",
                flag[0]
            )
        );
    }
    for flag in [&["--idle", "off"][..], &["--idle-folders", "special"], &["--keep-offline", "all"]] {
        let out = tidings(dir.path(), &[&["account", "edit", "Home"][..], flag].concat());
        assert_eq!(out.status.code(), Some(1), "{flag:?}: {}", text(&out));
        assert!(text(&out).contains(&format!("{} is an IMAP option", flag[0])), "{}", text(&out));
    }
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn edited_servers_keep_the_password_and_sync_does_what_the_edit_says() {
    need_keyring();
    let s = servers();
    let bob = s.user("bob");
    s.seed(bob, 5).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // Added on the plain port with STLS, leaving mail on the server (the default).
    let (pop3, pop3s, sub) =
        (s.pop3_port().to_string(), s.pop3s_port().to_string(), s.submission_port().to_string());
    let ca = s.ca_path().to_str().unwrap();
    let add = [
        "account",
        "add",
        "--name",
        "pop",
        "--email",
        &bob.email,
        "--incoming",
        "pop3",
        "--host",
        "localhost",
        "--port",
        &pop3,
        "--tls",
        "starttls",
        "--user",
        &bob.login,
        "--smtp-port",
        &sub,
        "--ca-file",
        ca,
        "--password-stdin",
    ];
    let out = cli_common::run(dir, &add, Some(format!("{}\n", bob.password).as_bytes()));
    assert!(out.status.success(), "{}", text(&out));

    // Moved to implicit TLS on another host name and port, leave-on-server off. No
    // password is given: the keyring's, kept under the account's id, still serves.
    let out = edit(
        dir,
        "pop",
        &["--host", "127.0.0.1", "--port", &pop3s, "--tls", "implicit", "--leave-on-server", "off"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let shown = tidings(dir, &["account", "show", "pop"]);
    let both = format!("{}{}", text(&shown), text(&tidings(dir, &["account", "show", "pop", "--json"])));
    assert!(both.contains(&format!("POP3 127.0.0.1:{pop3s} (SSL/TLS)")), "{both}");
    assert!(!both.contains(&bob.password), "a password in show's output");

    let out = tidings(dir, &["sync", "--account", "pop", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = &json(&out)["accounts"][0]["report"];
    assert_eq!(report["downloaded"], 5, "{report:#}");
    assert_eq!(report["deleted"].as_array().unwrap().len(), 5, "{report:#}");
    assert_eq!(s.message_count(bob, "INBOX").unwrap(), 0, "leave-on-server off emptied the server");

    // Turned back on: new mail is downloaded and stays.
    let out = edit(dir, "pop", &["--leave-on-server", "on"]);
    assert!(out.status.success(), "{}", text(&out));
    s.seed(bob, 2).unwrap();
    let out = tidings(dir, &["sync", "--account", "pop", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = &json(&out)["accounts"][0]["report"];
    assert_eq!(
        (report["downloaded"].as_u64(), report["deleted"].as_array().map(Vec::len)),
        (Some(2), Some(0))
    );
    assert_eq!(s.message_count(bob, "INBOX").unwrap(), 2);
    tidings(dir, &["account", "remove", "pop"]);
}
