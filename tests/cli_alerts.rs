//! The real `tidings` binary shows what an IMAP server asks to be shown to the person
//! (`[ALERT]`, RFC 3501 7.1) — here from the greeting and from a refused LOGIN, whose alert
//! is the reason given — in text and in JSON. A scripted server (the testkit's `hostile`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use cli_common::{json, run, text};
use tidings_testkit::hostile::{Hostile, LeafKind, Reply, Script};

/// IMAP over TLS that greets with an alert and answers LOGIN with `login`.
async fn server(login: &str) -> Hostile {
    let greeting = Reply::tls(LeafKind::Valid).then(Reply::text("* OK [ALERT] Maintenance tonight\r\n"));
    Hostile::start(
        Script::new(greeting)
            .on("CAPABILITY", Reply::text("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"))
            .on("LOGIN", Reply::text(login))
            .otherwise(Reply::text("{tag} BAD no\r\n")),
    )
    .await
    .unwrap()
}

#[test]
fn inspect_shows_the_servers_alerts_and_a_refused_login_gives_its_alert_as_the_reason() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(server("{tag} NO [ALERT] Account locked\r\n"));
    let dir = tempfile::tempdir().unwrap();
    let url = format!("imaps://127.0.0.1:{}", server.port());
    let ca = server.ca_path().unwrap().to_str().unwrap().to_string();
    let args = |format| {
        ["inspect", &url, "--user", "alice", "--password-stdin", "--ca-file", &ca, format].map(String::from)
    };

    let a = args("--markdown");
    let out = run(dir.path(), &a.iter().map(String::as_str).collect::<Vec<_>>(), Some(b"pw-secret\n"));
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("The server says: Maintenance tonight"), "{all}");
    assert!(all.contains("The server says: Account locked"), "{all}");
    assert!(all.contains("NO [ALERT] Account locked`"), "the server's words: {all}");

    let a = args("--json");
    let out = run(dir.path(), &a.iter().map(String::as_str).collect::<Vec<_>>(), Some(b"pw-secret\n"));
    let r = json(&out);
    assert_eq!(r["alerts"], serde_json::json!(["Maintenance tonight", "Account locked"]), "{r:#}");
    assert_eq!(r["error"]["kind"], "auth", "{r:#}");
    assert!(r["error"]["server"].as_str().is_some_and(|w| w.ends_with("NO [ALERT] Account locked")), "{r:#}");
    drop(server);
}

#[test]
fn sync_shows_the_greetings_alert_when_the_login_is_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(server("{tag} NO [AUTHENTICATIONFAILED] Wrong password\r\n"));
    let dir = tempfile::tempdir().unwrap();
    let port = server.port().to_string();
    let ca = server.ca_path().unwrap().to_str().unwrap().to_string();
    let add = [
        "account",
        "add",
        "--name",
        "a",
        "--email",
        "alice@example.test",
        "--incoming",
        "imap",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        "implicit",
        "--user",
        "alice",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        "1",
        "--ca-file",
        &ca,
        "--password-stdin",
    ];
    let out = run(dir.path(), &add, Some(b"pw-secret\n"));
    assert!(out.status.success(), "{}", text(&out));
    let out = run(dir.path(), &["sync", "--account", "a"], None);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("The server says: Maintenance tonight"), "{all}");
    assert!(all.contains("Wrong password"), "{all}");
    drop(server);
}
