//! What a server asks of its client and we owe it: IMAP `[ALERT]` texts handed to the person
//! (RFC 3501 7.1) — from the greeting, a refused or accepted LOGIN, the middle of a sync and
//! IDLE — and UTF-8 mode turned on where the server offers it (IMAP `ENABLE UTF8=ACCEPT`,
//! RFC 6855; POP3 `UTF8`, RFC 6856), so a message whose header is raw UTF-8 arrives as it is
//! rather than as the server's stand-in. Scripted servers (`imap_script`, the testkit's
//! `hostile`), since Dovecot does neither on demand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod imap_script;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use tidings_mail::account::{Account, AuthMethod, Incoming, Protocol, SecretRole, Security, Server, Trust};
use tidings_mail::auth::Credential;
use tidings_mail::check::{SessionFacts, check_server};
use tidings_mail::error::Kind;
use tidings_mail::idle::{IdleConfig, IdleEvent, watch};
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::pass::{AccountEvent, AccountPass};
use tidings_mail::pop3::Pop3;
use tidings_mail::schedule::{PassRunner, Reason};
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Sort, Store, StoreHandle};
use tidings_mail::sync::{Engine, no_progress};
use tidings_testkit::hostile::{Hostile, Reply, Script};

fn endpoint(port: u16) -> Endpoint {
    Endpoint::new("127.0.0.1", port, Security::None)
}

#[tokio::test]
async fn alerts_of_the_greeting_and_a_refused_login_reach_the_check_and_are_the_reason() {
    let server = Hostile::start(
        Script::new(Reply::text("* OK [ALERT] Maintenance tonight\r\n"))
            .on("CAPABILITY", Reply::text("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"))
            .on("LOGIN", Reply::text("{tag} NO [ALERT] Account locked\r\n"))
            .otherwise(Reply::text("{tag} BAD no\r\n")),
    )
    .await
    .unwrap();
    let check = check_server(
        Protocol::Imap,
        &endpoint(server.port()),
        &Credential::password("alice", "pw-secret"),
        &Transcript::new(),
    )
    .await;
    assert!(!check.ok);
    assert_eq!(check.facts.alerts, ["Maintenance tonight", "Account locked"]);
    let e = check.error_value.expect("the login was refused");
    // A refused login stays a login error (the person may re-enter the password), its alert
    // among the server's words.
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert!(e.server_words().is_some_and(|w| w.ends_with("NO [ALERT] Account locked")), "{e}");
    let json = serde_json::to_value(&check.facts).unwrap();
    assert_eq!(json["alerts"], serde_json::json!(["Maintenance tonight", "Account locked"]));
}

fn store() -> StoreHandle {
    StoreHandle::spawn(Store::open_in_memory().unwrap()).unwrap()
}

async fn subject(store: &StoreHandle) -> Option<String> {
    store
        .call(|s| {
            let account = s.account("a")?;
            let inbox = s.folder(account, "INBOX")?.expect("INBOX is stored");
            Ok(s.list(inbox.id, Sort::NEWEST, 0, 10)?.into_iter().next().and_then(|r| r.summary.subject))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sync_reports_each_alert_once_and_enables_utf8_for_a_raw_utf8_header() {
    let server = imap_script::Server::start(imap_script::Script {
        greeting: "* OK [ALERT] Maintenance tonight".into(),
        login: "{tag} OK [ALERT] Your password expires in 3 days\r\n".into(),
        select_extra: "* OK [ALERT] Going down at 22:00\r\n* OK [ALERT] Going down at 22:00\r\n".into(),
        ..imap_script::Script::default()
    })
    .await;
    let store = store();
    let mut engine = Engine::with_endpoint(
        "a",
        endpoint(server.port),
        "alice",
        "pw-secret",
        store.clone(),
        Transcript::new(),
    );
    let report = engine.sync_account(&no_progress).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(
        report.alerts,
        ["Maintenance tonight", "Your password expires in 3 days", "Going down at 22:00"]
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["alerts"][1], "Your password expires in 3 days");

    let commands = server.commands();
    assert!(commands.iter().any(|c| c.ends_with(" ENABLE UTF8=ACCEPT")), "{commands:?}");
    assert_eq!(subject(&store).await.as_deref(), Some("Grüße aus Köln"), "the real header, not the stand-in");

    // The next pass on the same connection: nothing new to tell.
    let again = engine.sync_account(&no_progress).await.unwrap();
    assert_eq!(again.alerts, ["Going down at 22:00"], "said again by the next SELECT: shown again");
}

#[tokio::test]
async fn a_server_refusing_enable_still_syncs_and_one_without_utf8_accept_is_not_asked() {
    let refusing = imap_script::Server::start(imap_script::Script {
        enable: Some("{tag} NO not today\r\n".into()),
        ..imap_script::Script::default()
    })
    .await;
    let store = store();
    let mut engine =
        Engine::with_endpoint("a", endpoint(refusing.port), "alice", "pw", store.clone(), Transcript::new());
    let report = engine.sync_account(&no_progress).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(engine.transcript().render().contains("refused ENABLE UTF8=ACCEPT"));
    assert!(subject(&store).await.unwrap_or_default().contains("cannot be displayed"));

    let plain = imap_script::Server::start(imap_script::Script {
        capabilities: "IMAP4rev1 IDLE ENABLE".into(),
        ..imap_script::Script::default()
    })
    .await;
    let transcript = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = tidings_mail::imap::open(&endpoint(plain.port), &transcript, &mut facts).await.unwrap();
    let session = tidings_mail::imap::login(
        lc,
        &endpoint(plain.port),
        &Credential::password("alice", "pw"),
        &mut facts,
    )
    .await
    .unwrap();
    tidings_mail::imap::logout(session, &endpoint(plain.port)).await.unwrap();
    assert!(!facts.utf8);
    assert!(!plain.commands().iter().any(|c| c.contains("ENABLE")), "{:?}", plain.commands());
}

#[tokio::test]
async fn an_alert_while_idling_is_reported_when_it_comes() {
    let server = imap_script::Server::start(imap_script::Script {
        idle_extra: "* OK [ALERT] Server restarts in 5 minutes\r\n".into(),
        ..imap_script::Script::default()
    })
    .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch(
        endpoint(server.port),
        Credential::password("alice", "pw"),
        IdleConfig::default(),
        tx,
    ));
    let alert = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(e) = rx.recv().await {
            if let IdleEvent::Alert(text) = e {
                return Some(text);
            }
        }
        None
    })
    .await;
    watcher.abort();
    assert_eq!(alert.expect("no alert within 20 s").as_deref(), Some("Server restarts in 5 minutes"));
}

/// A POP3 server that wraps a message whose header is raw UTF-8 in a notice unless UTF8 was
/// sent before logging in (RFC 6856), or that refuses UTF8 (`refuse`). Logs the commands.
async fn pop3_server(refuse: bool) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let commands = log.clone();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"+OK ready\r\n").await.unwrap();
        let (mut utf8, mut logged_in) = (false, false);
        while let Ok(Some(line)) = lines.next_line().await {
            log.lock().unwrap().push(line.clone());
            let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let reply = match verb.as_str() {
                "CAPA" => "+OK\r\nUSER\r\nUIDL\r\nUTF8\r\n.\r\n".to_string(),
                "UTF8" if refuse => "-ERR not here\r\n".into(),
                "UTF8" if logged_in => "-ERR only before logging in\r\n".into(),
                "UTF8" => {
                    utf8 = true;
                    "+OK UTF-8 mode\r\n".into()
                }
                "USER" => "+OK\r\n".into(),
                "PASS" => {
                    logged_in = true;
                    "+OK logged in\r\n".into()
                }
                "RETR" if utf8 => format!("+OK\r\n{}Hallo\r\n.\r\n", imap_script::UTF8_HEADER),
                "RETR" => format!("+OK\r\n{}Hallo\r\n.\r\n", imap_script::STAND_IN),
                "QUIT" => {
                    let _ = write.write_all(b"+OK bye\r\n").await;
                    return;
                }
                _ => "-ERR unknown\r\n".into(),
            };
            write.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    (port, commands)
}

#[tokio::test]
async fn pop3_sends_utf8_before_logging_in_and_gets_the_real_header() {
    let (port, commands) = pop3_server(false).await;
    let transcript = Transcript::new();
    let mut facts = SessionFacts::default();
    let mut p = Pop3::open(&endpoint(port), &transcript, &mut facts).await.unwrap();
    p.login(&Credential::password("alice", "pw-secret"), &facts).await.unwrap();
    let message = p.retr(1).await.unwrap();
    p.quit().await.unwrap();
    let commands = commands.lock().unwrap().clone();
    let at = |c: &str| commands.iter().position(|l| l.starts_with(c));
    assert!(at("UTF8").is_some() && at("UTF8") < at("USER"), "{commands:?}");
    assert!(facts.utf8);
    assert!(transcript.render().contains("UTF-8 mode on"));
    let text = String::from_utf8(message).unwrap();
    assert!(text.contains("Subject: Grüße aus Köln"), "{text}");
}

#[tokio::test]
async fn pop3_goes_on_when_the_server_refuses_utf8() {
    let (port, _) = pop3_server(true).await;
    let transcript = Transcript::new();
    let mut facts = SessionFacts::default();
    let mut p = Pop3::open(&endpoint(port), &transcript, &mut facts).await.unwrap();
    p.login(&Credential::password("alice", "pw-secret"), &facts).await.unwrap();
    let message = p.retr(1).await.unwrap();
    p.quit().await.unwrap();
    assert!(!facts.utf8);
    assert!(transcript.render().contains("refused UTF8"), "{}", transcript.render());
    assert!(String::from_utf8_lossy(&message).contains("cannot be displayed"));
}

fn imap_account(port: u16) -> (Account, Secrets) {
    let server = Server {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        user: "alice".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    let account =
        Account::new("a".into(), "A".into(), "a@example.test".into(), Incoming::Imap, server.clone(), server);
    let secrets = Secrets::in_memory();
    secrets.set(&account.id, SecretRole::Incoming, "pw").unwrap();
    (account, secrets)
}

fn server_alerts(rx: &mut tokio::sync::mpsc::UnboundedReceiver<AccountEvent>) -> Vec<String> {
    std::iter::from_fn(|| rx.try_recv().ok())
        .filter_map(|e| match e {
            AccountEvent::ServerAlert(text) => Some(text),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_pass_hands_the_alerts_to_the_person_also_when_the_login_is_refused() {
    let server = imap_script::Server::start(imap_script::Script {
        greeting: "* OK [ALERT] Maintenance tonight".into(),
        login: "{tag} OK [ALERT] Your password expires in 3 days\r\n".into(),
        ..imap_script::Script::default()
    })
    .await;
    let (account, secrets) = imap_account(server.port);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut pass = AccountPass::new(account, secrets, store(), None, tx);
    pass.pass(Reason::Manual).await.unwrap();
    assert_eq!(server_alerts(&mut rx), ["Maintenance tonight", "Your password expires in 3 days"]);

    let locked = imap_script::Server::start(imap_script::Script {
        greeting: "* OK [ALERT] Maintenance tonight".into(),
        login: "{tag} NO [ALERT] Account locked\r\n".into(),
        ..imap_script::Script::default()
    })
    .await;
    let (account, secrets) = imap_account(locked.port);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut pass = AccountPass::new(account, secrets, store(), None, tx);
    let e = pass.pass(Reason::Manual).await.unwrap_err();
    assert!(e.server_words().is_some_and(|w| w.ends_with("Account locked")), "{e}");
    assert_eq!(server_alerts(&mut rx), ["Maintenance tonight", "Account locked"]);
}
