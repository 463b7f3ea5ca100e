//! IMAP, SMTP and TLS servers that never stop talking, trickle, announce huge literals or
//! speak old TLS, scripted with the testkit's hostile server. Where memory is the question,
//! the client runs in a child process (the same test binary) and its peak memory is checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::{Kind, imap, smtp};
use tidings_testkit::hostile::{self, ChildRun, Hostile, LeafKind, Reply, Script};

/// The most memory a child client may hold in any of these cases.
const MAX_RSS_KB: u64 = 64 * 1024;

fn endpoint(server: &Hostile, security: Security) -> Endpoint {
    let mut ep = Endpoint::new("127.0.0.1", server.port(), security);
    ep.timeouts.io = Duration::from_secs(2);
    ep.timeouts.connect = Duration::from_secs(5);
    ep
}

/// An IMAP server that lets anyone in; `script` answers first.
fn imap_server(script: Script) -> Script {
    script
        .on("CAPABILITY", Reply::text("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"))
        .on("LOGIN", Reply::text("{tag} OK logged in\r\n"))
        .on("LOGOUT", Reply::text("* BYE\r\n{tag} OK bye\r\n").then(Reply::close()))
        .otherwise(Reply::text("{tag} OK done\r\n"))
}

fn imap_greeting() -> Script {
    Script::new(Reply::text("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hostile IMAP ready\r\n"))
}

/// An IMAP session up to LIST, or an SMTP one up to AUTH, in a child.
async fn client(server: &Hostile, what: &str, security: &str) -> ChildRun {
    let args = vec![what.to_string(), server.port().to_string(), security.to_string()];
    hostile::run_child_async("child", args, Duration::from_secs(90)).await.unwrap()
}

#[test]
#[ignore = "run by the other tests of this file, in a child process"]
fn child() {
    let args = hostile::child_args();
    let [what, port, security] = &args[..] else { return };
    let security = if security == "starttls" { Security::StartTls } else { Security::None };
    let mut ep = Endpoint::new("127.0.0.1", port.parse().unwrap(), security);
    ep.timeouts.connect = Duration::from_secs(15);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let t = Transcript::new();
        let mut facts = SessionFacts::default();
        match what.as_str() {
            "imap" => {
                let lc = imap::open(&ep, &t, &mut facts).await?;
                let mut session =
                    imap::login(lc, &ep, &Credential::password("user", "secret-password"), &mut facts)
                        .await?;
                use futures::TryStreamExt;
                let names: Vec<_> = session
                    .list(None, Some("*"))
                    .await
                    .map_err(|e| imap::map_error(&ep, e, None))?
                    .try_collect()
                    .await
                    .map_err(|e| imap::map_error(&ep, e, None))?;
                Ok(format!("{} folders", names.len()))
            }
            _ => smtp::open(&ep, &t, &mut facts).await.map(|_| "ready".to_string()),
        }
    });
    match result {
        Ok(r) => hostile::child_say("ok", r),
        Err(e) => hostile::child_say("error", format!("{} error: {}", e.kind(), e.message())),
    }
    hostile::child_done();
}

fn bounded(run: &ChildRun) {
    assert!(run.peak_rss_kb <= MAX_RSS_KB, "the client held {} KiB: {:?}", run.peak_rss_kb, run.lines);
}

#[tokio::test]
async fn a_huge_imap_literal_is_refused_as_it_is_announced() {
    let list = Reply::text("* LIST () \"/\" {500000000}\r\n").then(Reply::endless("x".repeat(8192)));
    let server = Hostile::start(imap_server(imap_greeting().on("LIST", list))).await.unwrap();
    let run = client(&server, "imap", "none").await;
    bounded(&run);
    let error = run.get("error").unwrap_or_else(|| panic!("{:?}", run.lines));
    assert!(error.starts_with("protocol error"), "{error}");
    assert!(error.contains("announced a literal of 500000000 bytes, more than the 160 MiB"), "{error}");
}

#[tokio::test]
async fn an_endless_imap_line_ends() {
    let list = Reply::text("* LIST () \"/\" ").then(Reply::endless("x".repeat(8192)));
    let server = Hostile::start(imap_server(imap_greeting().on("LIST", list))).await.unwrap();
    let run = client(&server, "imap", "none").await;
    bounded(&run);
    let error = run.get("error").unwrap_or_else(|| panic!("{:?}", run.lines));
    assert!(error.contains("sent a line longer than 8 MiB"), "{error}");
}

#[tokio::test]
async fn endless_untagged_lines_before_login_end() {
    let caps = Reply::endless("* OK [ALERT] still here\r\n");
    let server = Hostile::start(imap_greeting().on("CAPABILITY", caps)).await.unwrap();
    let run = client(&server, "imap", "none").await;
    bounded(&run);
    let error = run.get("error").unwrap_or_else(|| panic!("{:?}", run.lines));
    assert!(error.contains("an answer without end"), "{error}");
}

#[tokio::test]
async fn an_endless_ehlo_reply_ends() {
    let server = Hostile::start(
        Script::new(Reply::text("220 hostile ESMTP\r\n")).on("EHLO", Reply::endless("250-PIPELINING\r\n")),
    )
    .await
    .unwrap();
    let run = client(&server, "smtp", "starttls").await;
    bounded(&run);
    let error = run.get("error").unwrap_or_else(|| panic!("{:?}", run.lines));
    assert!(error.starts_with("protocol error"), "{error}");
    assert!(error.contains("without end") || error.contains("longer than"), "{error}");
}

#[tokio::test]
async fn a_bad_certificate_behind_starttls_then_an_endless_greeting() {
    // The first connection offers STARTTLS into a certificate nobody trusts; to show it, the
    // client connects again, where the greeting never ends.
    let first = Script::new(Reply::text("* OK ready\r\n"))
        .on("CAPABILITY", Reply::text("* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n"))
        .on("STARTTLS", Reply::text("{tag} OK begin TLS\r\n").then(Reply::tls(LeafKind::SelfSigned)));
    let second = Script::new(Reply::text("* OK ").then(Reply::endless("x".repeat(8192))));
    let server = Hostile::start_each(vec![first, second]).await.unwrap();
    let run = client(&server, "imap", "starttls").await;
    bounded(&run);
    let error = run.get("error").unwrap_or_else(|| panic!("{:?}", run.lines));
    assert!(error.starts_with("tls error: the certificate of 127.0.0.1 is not trusted"), "{error}");
    assert_eq!(server.connections(), 2, "the certificate was looked for on a second connection");
}

#[tokio::test]
async fn a_server_that_trickles_runs_out_of_time() {
    let trickle = Reply::trickle("* OK still working on it\r\n", Duration::from_millis(300));
    let server = Hostile::start(imap_server(imap_greeting().on("SELECT", trickle))).await.unwrap();
    let ep = endpoint(&server, Security::None);
    let t0 = Instant::now();
    let run = async {
        let t = Transcript::new();
        let mut facts = SessionFacts::default();
        let lc = imap::open(&ep, &t, &mut facts).await?;
        let mut session =
            imap::login(lc, &ep, &Credential::password("user", "secret-password"), &mut facts).await?;
        session.select("INBOX").await.map_err(|e| imap::map_error(&ep, e, None))
    };
    let e = tokio::time::timeout(Duration::from_secs(60), run).await.expect("never gave up").unwrap_err();
    assert_eq!(e.kind(), Kind::Network, "{e}");
    assert!(e.message().contains("is too slow: an answer was still coming after"), "{e}");
    // 2 × the 2 s no-progress timeout, plus a second per 512 bytes that came.
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
}

/// A ServerHello choosing TLS 1.0 (0x0301), as an old server sends it.
fn tls10_server_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend_from_slice(&[7; 32]);
    body.extend_from_slice(&[0, 0x00, 0x2f, 0]);
    let mut hs = vec![2, 0, 0, body.len() as u8];
    hs.extend_from_slice(&body);
    let mut rec = vec![22, 3, 1, 0, hs.len() as u8];
    rec.extend_from_slice(&hs);
    rec
}

#[tokio::test]
async fn failed_handshakes_say_what_the_server_did() {
    let cases: [(Vec<u8>, &str, Option<&str>); 3] = [
        (tls10_server_hello(), "offers only TLS 1.0, which is no longer safe", None),
        (vec![21, 3, 3, 0, 2, 2, 70], "refused the TLS handshake (protocol version not supported)", None),
        (
            b"* OK plain IMAP here\r\n".to_vec(),
            "answered in plain text, not TLS",
            Some("* OK plain IMAP here"),
        ),
    ];
    for (hello, words, server_words) in cases {
        let server = Hostile::start(Script::new(Reply::Text(hello))).await.unwrap();
        let ep = endpoint(&server, Security::Implicit);
        let e = imap::open(&ep, &Transcript::new(), &mut SessionFacts::default()).await.unwrap_err();
        assert_eq!(e.kind(), Kind::Tls, "{e}");
        assert!(e.message().contains(words), "{words}: {e}");
        assert!(!e.message().contains("is this port really SSL/TLS"), "{e}");
        // Our TLS library's account is the detail, never the server's words (plain text
        // from the server is: as much of it as the handshake read).
        match server_words {
            None => assert_eq!(e.server_words(), None, "{e}"),
            Some(all) => assert!(e.server_words().is_some_and(|w| w.len() >= 4 && all.starts_with(w)), "{e}"),
        }
        assert!(e.detail().contains("TLS library: "), "{}", e.detail());
    }
}

#[tokio::test]
async fn an_imap_sync_stops_at_its_pass_limit() {
    use tidings_mail::store::{Store, StoreHandle};
    use tidings_mail::sync::{Engine, SyncOptions, no_progress};
    // Answers SELECT quickly enough for every per-answer limit, but never finishes it.
    let select =
        Reply::trickle(format!("* OK {}\r\n", "still selecting ".repeat(60)), Duration::from_millis(100));
    let list = Reply::text("* LIST () \"/\" INBOX\r\n{tag} OK done\r\n");
    let server =
        Hostile::start(imap_server(imap_greeting().on("LIST", list).on("SELECT", select))).await.unwrap();
    let mut ep = Endpoint::new("127.0.0.1", server.port(), Security::None);
    ep.timeouts.io = Duration::from_secs(5);
    let store = StoreHandle::spawn(Store::open_in_memory().unwrap()).unwrap();
    let mut engine =
        Engine::with_endpoint("hostile", ep, "user", "secret-password", store, Transcript::new());
    engine.set_options(SyncOptions { max_pass: Duration::from_secs(2), ..SyncOptions::default() });
    let t0 = Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(60), engine.sync_account(&no_progress))
        .await
        .expect("never stopped")
        .unwrap();
    let error = report.error.expect("the pass was stopped");
    assert!(error.message.contains("took longer than 2s and was stopped"), "{}", error.message);
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn a_bad_certificate_behind_pop3_stls_is_shown_and_a_hostile_second_greeting_ends() {
    use tidings_mail::pop3::Pop3;
    let stls = || {
        Script::new(Reply::text("+OK ready\r\n"))
            .on("CAPA", Reply::text("+OK\r\nSTLS\r\nUSER\r\n.\r\n"))
            .on("STLS", Reply::text("+OK begin TLS\r\n").then(Reply::tls(LeafKind::SelfSigned)))
    };
    // The second connection, where the client fetches the certificate to show it, behaves:
    // the certificate comes with the error.
    let server = Hostile::start(stls()).await.unwrap();
    let ep = endpoint(&server, Security::StartTls);
    let e = Pop3::open(&ep, &Transcript::new(), &mut SessionFacts::default()).await.unwrap_err();
    assert!(e.message().starts_with("the certificate of 127.0.0.1 is not trusted"), "{e}");
    assert!(e.certificate().is_some(), "the refused certificate is there to look at: {e}");
    assert_eq!(server.connections(), 2);
    // It greets without end: the client gives up on it and still says what happened.
    let endless = Script::new(Reply::text("+OK ").then(Reply::endless("x".repeat(8192))));
    let server = Hostile::start_each(vec![stls(), endless]).await.unwrap();
    let ep = endpoint(&server, Security::StartTls);
    let t0 = Instant::now();
    let e = Pop3::open(&ep, &Transcript::new(), &mut SessionFacts::default()).await.unwrap_err();
    assert!(e.message().starts_with("the certificate of 127.0.0.1 is not trusted"), "{e}");
    assert!(e.certificate().is_none());
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}
