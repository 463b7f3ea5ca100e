//! The inspector against the real testkit servers, every URL form, and against fault
//! servers: TLS version, IDLE, stage timings, checks, and never the password.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::account::Security;
use tidings_mail::inspect::{Credentials, InspectOptions, Target, Verdict, inspect};
use tidings_mail::net::{StageName, Transcript, TrustAnchors};
use tidings_testkit::fault::{FaultServer, Proto};
use tidings_testkit::hostile::{Hostile, Reply, Script};
use tidings_testkit::smtp_script::{SmtpScript, SmtpScriptServer};

#[tokio::test]
async fn every_url_form_gives_a_full_report_without_the_password() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 6).unwrap();
    let trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    let forms = [
        ("imap", s.imap_port()),
        ("imaps", s.imaps_port()),
        ("pop3", s.pop3_port()),
        ("pop3s", s.pop3s_port()),
        ("smtp", s.submission_port()),
        ("smtps", s.submissions_port()),
    ];
    for (scheme, port) in forms {
        let target = Target::parse(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
        let creds = Credentials::password(alice.email.clone(), alice.password.clone());
        let r = inspect(&target, trust.clone(), Some(creds), &InspectOptions::default(), &Transcript::new())
            .await;
        let json = serde_json::to_string(&r).unwrap();
        let md = r.to_markdown();
        assert!(r.ok, "{scheme}: {md}");
        assert!(
            !json.contains(&alice.password) && !md.contains(&alice.password),
            "{scheme}: password in the report"
        );
        let tls = r.tls.as_ref().expect("TLS section");
        assert!(tls.version.as_deref().unwrap_or("").starts_with("TLS 1."), "{scheme}: {tls:?}");
        assert!(tls.cipher.is_some() && tls.hostname_matches == Some(true));
        let names: Vec<StageName> = r.stages.iter().map(|s| s.name).collect();
        for needed in [
            StageName::Dns,
            StageName::Connect,
            StageName::TlsHandshake,
            StageName::Greeting,
            StageName::Login,
            StageName::Mailbox,
        ] {
            assert!(names.contains(&needed), "{scheme} lacks {needed:?}: {names:?}");
        }
        if target.security == Security::StartTls {
            assert!(names.contains(&StageName::StartTls));
            assert!(
                r.capabilities.removed_by_tls.iter().any(|c| c == "STARTTLS" || c == "STLS"),
                "{scheme}: {:?}",
                r.capabilities
            );
        }
        let check = |name: &str| {
            r.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("{scheme}: no {name} check"))
        };
        assert_eq!(check("Login delay").verdict, Verdict::Pass);
        match scheme {
            "imap" | "imaps" => {
                assert!(r.capabilities.after_login.iter().any(|c| c == "IDLE"), "{scheme}");
                assert_eq!(check("IDLE").verdict, Verdict::Pass);
                assert_eq!(check("Read receipts").verdict, Verdict::Pass);
                assert_eq!(check("Sizes").verdict, Verdict::Pass, "{md}");
                assert_eq!(
                    r.imap_id.as_ref().and_then(|id| id.get("name")).map(String::as_str),
                    Some("Dovecot")
                );
            }
            "pop3" | "pop3s" => {
                assert_eq!(check("Sizes").verdict, Verdict::Pass, "{md}");
                assert_eq!(check("POP3 leave on server").verdict, Verdict::Pass, "{md}");
            }
            _ => assert!(r.mailbox.as_deref().unwrap_or("").contains("MAIL FROM"), "{md}"),
        }
    }
}

#[tokio::test]
async fn without_credentials_the_report_stops_after_the_capabilities() {
    let s = common::servers();
    let trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    let target = Target::parse(&format!("imaps://127.0.0.1:{}", s.imaps_port())).unwrap();
    let r = inspect(&target, trust, None, &InspectOptions::default(), &Transcript::new()).await;
    assert!(r.ok);
    assert!(!r.capabilities.after_tls.is_empty());
    assert!(r.stages.iter().all(|s| s.name != StageName::Login));
    assert!(r.checks.iter().any(|c| c.name == "Log in" && c.verdict == Verdict::NotApplicable));
}

#[tokio::test]
async fn a_server_without_starttls_and_an_untrusted_certificate_are_reported() {
    let plain = FaultServer::no_starttls(Proto::Smtp).await.unwrap();
    let target = Target::parse(&format!("smtp://127.0.0.1:{}", plain.port())).unwrap();
    let creds = Credentials::password("alice@example.test", "never-sent-42");
    let r = inspect(
        &target,
        TrustAnchors::default(),
        Some(creds),
        &InspectOptions::default(),
        &Transcript::new(),
    )
    .await;
    assert!(!r.ok);
    assert!(r.tls.as_ref().unwrap().verdict.contains("does not offer STARTTLS"), "{:?}", r.tls);
    assert_eq!(r.error.as_ref().unwrap().kind, tidings_mail::Kind::Tls);
    assert!(!String::from_utf8_lossy(&plain.received()).contains("never-sent-42"));

    let other = FaultServer::tls_with_own_cert(Proto::Imap).await.unwrap();
    let target = Target::parse(&format!("imaps://127.0.0.1:{}", other.port())).unwrap();
    let r =
        inspect(&target, TrustAnchors::default(), None, &InspectOptions::default(), &Transcript::new()).await;
    let tls = r.tls.expect("TLS section");
    assert!(tls.verdict.starts_with("not trusted"), "{}", tls.verdict);
    let cert = tls.certificate.expect("the refused certificate is shown");
    assert_eq!(cert.sha256.replace(':', "").to_ascii_lowercase(), other.leaf_sha256_hex());
    assert_eq!(r.failed_stage.as_deref(), Some("TLS handshake"));
}

#[tokio::test]
async fn sizes_that_differ_from_the_bytes_sent_are_flagged_estimated() {
    for scheme in ["imap", "pop3"] {
        let proto = if scheme == "imap" { Proto::Imap } else { Proto::Pop3 };
        let server = FaultServer::estimated_sizes(proto).await.unwrap();
        // The fault server has no TLS: inspect it as a plain server (Security::None).
        let mut target = Target::parse(&format!("{scheme}://127.0.0.1:{}", server.port())).unwrap();
        target.security = Security::None;
        let creds = Credentials::password("alice", "pw-for-fault");
        let r = inspect(
            &target,
            TrustAnchors::default(),
            Some(creds),
            &InspectOptions::default(),
            &Transcript::new(),
        )
        .await;
        let sizes =
            r.checks.iter().find(|c| c.name == "Sizes").unwrap_or_else(|| panic!("{}", r.to_markdown()));
        assert_eq!(sizes.verdict, Verdict::Info, "{scheme}: {}", r.to_markdown());
        assert!(sizes.summary.starts_with("estimated"), "{}", sizes.summary);

        let exact = FaultServer::no_starttls(proto).await.unwrap();
        let mut target = Target::parse(&format!("{scheme}://127.0.0.1:{}", exact.port())).unwrap();
        target.security = Security::None;
        let creds = Credentials::password("alice", "pw-for-fault");
        let r = inspect(
            &target,
            TrustAnchors::default(),
            Some(creds),
            &InspectOptions::default(),
            &Transcript::new(),
        )
        .await;
        let sizes = r.checks.iter().find(|c| c.name == "Sizes").unwrap();
        assert_eq!(sizes.verdict, Verdict::Pass, "{scheme}: {}", r.to_markdown());
    }
}

#[tokio::test]
async fn the_idle_latency_probe_is_timed_and_cleaned_up() {
    let s = common::servers();
    let alice = s.user("alice");
    let trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    let probe = tidings_mail::inspect::Probe {
        smtp: common::endpoint(&s, s.submission_port(), Security::StartTls),
        smtp_credential: tidings_mail::auth::Credential::password(
            alice.login.clone(),
            alice.password.clone(),
        ),
        address: alice.email.clone(),
    };
    let opts = InspectOptions {
        probe: Some(probe),
        receipt_wait: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let target = Target::parse(&format!("imaps://127.0.0.1:{}", s.imaps_port())).unwrap();
    let creds = Credentials::password(alice.login.clone(), alice.password.clone());
    let r = inspect(&target, trust, Some(creds), &opts, &Transcript::new()).await;
    let check = r.checks.iter().find(|c| c.name == "IDLE latency").expect("the probe ran");
    println!("{}: {}", check.summary, check.evidence.join("; "));
    assert_eq!(check.verdict, Verdict::Pass, "{}", r.to_markdown());
    assert!(check.evidence.iter().any(|e| e.contains("UID EXPUNGE")), "{check:?}");
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 0, "the probe was not cleaned up");
    assert!(!format!("{:?}", opts_debug()).contains("secret"));
}

fn opts_debug() -> InspectOptions {
    InspectOptions {
        probe: Some(tidings_mail::inspect::Probe {
            smtp: tidings_mail::net::Endpoint::new("h", 1, Security::Implicit),
            smtp_credential: tidings_mail::auth::Credential::password("u", "secret"),
            address: "u@example.test".into(),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn expired_and_self_signed_certificates_are_reported_with_the_reason() {
    use tidings_testkit::fault::LeafKind;
    // Expired, from a CA we trust: expiry is the only problem.
    let expired = FaultServer::tls_with_cert(Proto::Imap, LeafKind::Expired).await.unwrap();
    let trust = TrustAnchors { extra_ca_pem: vec![expired.ca_pem().to_vec()], pin: None };
    let target = Target::parse(&format!("imaps://127.0.0.1:{}", expired.port())).unwrap();
    let r = inspect(&target, trust, None, &InspectOptions::default(), &Transcript::new()).await;
    let tls = r.tls.expect("TLS section");
    assert!(tls.verdict.contains("expired"), "{}", tls.verdict);
    assert!(!tls.verdict.contains("self-signed"), "{}", tls.verdict);

    let own = FaultServer::tls_with_cert(Proto::Pop3, LeafKind::SelfSigned).await.unwrap();
    let target = Target::parse(&format!("pop3s://127.0.0.1:{}", own.port())).unwrap();
    let r =
        inspect(&target, TrustAnchors::default(), None, &InspectOptions::default(), &Transcript::new()).await;
    let tls = r.tls.clone().expect("TLS section");
    assert!(tls.verdict.contains("self-signed"), "{}", tls.verdict);
    assert!(r.to_markdown().contains(&tls.certificate.unwrap().sha256));
}

/// A plain scripted server's target (the hostile servers have no TLS here).
fn plain_target(scheme: &str, port: u16) -> Target {
    let mut target = Target::parse(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
    target.security = Security::None;
    target
}

fn fault_creds() -> Credentials {
    Credentials::password("alice", "pw-for-hostile")
}

/// A POP3 mailbox of three whose LIST sizes are given; RETR answers from `bodies`.
fn pop3_script(sizes: [u64; 3], retr: Vec<(&str, Reply)>) -> Script {
    let list: String = sizes.iter().enumerate().map(|(i, s)| format!("{} {s}\r\n", i + 1)).collect();
    let mut script = Script::new(Reply::text("+OK hostile POP3 ready\r\n"))
        .on("CAPA", Reply::text("+OK\r\nUSER\r\nUIDL\r\n.\r\n"))
        .on("USER", Reply::text("+OK\r\n"))
        .on("PASS", Reply::text("+OK logged in\r\n"))
        .on("STAT", Reply::text(format!("+OK 3 {}\r\n", sizes.iter().sum::<u64>())))
        .on("LIST", Reply::text(format!("+OK\r\n{list}.\r\n")))
        .on("UIDL", Reply::text("+OK\r\n1 uid-a\r\n2 uid-b\r\n3 uid-c\r\n.\r\n"))
        .on("QUIT", Reply::text("+OK bye\r\n"));
    for (prefix, reply) in retr {
        script = script.on(prefix, reply);
    }
    script
}

const SMALL: &str = "Subject: small\r\nContent-Type: text/plain\r\n\r\nline one\r\nline two\r\n";

/// A size off only by the final CRLF is described as that; a message over the sample limit
/// is named as not compared, and never retrieved.
#[tokio::test]
async fn a_final_crlf_difference_and_a_skipped_large_message_are_described() {
    let n = SMALL.len() as u64;
    let server = Hostile::start(pop3_script(
        [n, 6 * 1024 * 1024, n - 2],
        vec![
            ("RETR 1", Reply::text(format!("+OK\r\n{SMALL}.\r\n"))),
            ("RETR 3", Reply::text(format!("+OK\r\n{SMALL}.\r\n"))),
        ],
    ))
    .await
    .unwrap();
    let target = plain_target("pop3", server.port());
    let opts = InspectOptions::default();
    let r = inspect(&target, TrustAnchors::default(), Some(fault_creds()), &opts, &Transcript::new()).await;
    let md = r.to_markdown();
    let sizes = r.checks.iter().find(|c| c.name == "Sizes").unwrap_or_else(|| panic!("{md}"));
    assert_eq!(sizes.verdict, Verdict::Info, "{md}");
    assert!(sizes.summary.starts_with("off by the final line ending"), "{}", sizes.summary);
    assert!(!sizes.summary.contains("estimated") && !sizes.summary.contains("Exchange"), "{}", sizes.summary);
    assert!(
        sizes.summary.contains("1 larger message(s) not compared (over the 5 MiB sample limit): message 2"),
        "{}",
        sizes.summary
    );
    assert!(
        sizes.evidence.iter().any(|e| e.starts_with("message 2: LIST 6291456 bytes, not compared")),
        "{md}"
    );
    assert!(
        sizes.evidence.iter().any(|e| e.starts_with("message 3") && e.contains("final line ending")),
        "{md}"
    );
    assert!(!server.commands().iter().any(|c| c == "RETR 2"), "{:?}", server.commands());
    assert_eq!(
        r.checks.iter().find(|c| c.name == "POP3 leave on server").map(|c| c.verdict),
        Some(Verdict::Pass),
        "{md}"
    );
}

/// A RETR that never ends, whatever LIST said: the inspector counts the bytes as they come
/// (keeping only the start), stops at twice the sample limit, says so, and gives the session
/// up instead of reading on.
#[tokio::test]
async fn a_retr_that_never_ends_is_cut_off_and_reported() {
    let endless = Reply::text("+OK\r\nSubject: endless\r\n\r\n")
        .then(Reply::endless([b"x".repeat(1022), b"\r\n".to_vec()].concat()));
    let server = Hostile::start(pop3_script([500, 500, 500], vec![("RETR", endless)])).await.unwrap();
    let target = plain_target("pop3", server.port());
    let opts = InspectOptions { max_sample_bytes: 64 * 1024, ..Default::default() };
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        inspect(&target, TrustAnchors::default(), Some(fault_creds()), &opts, &Transcript::new()),
    )
    .await
    .expect("the inspection ends");
    let md = r.to_markdown();
    let sizes = r.checks.iter().find(|c| c.name == "Sizes").unwrap_or_else(|| panic!("{md}"));
    assert_eq!(sizes.verdict, Verdict::Fail, "{md}");
    assert!(sizes.summary.contains("message 3 did not end") && sizes.summary.contains("128 KiB"), "{md}");
    let leave = r.checks.iter().find(|c| c.name == "POP3 leave on server").unwrap();
    assert_eq!(leave.verdict, Verdict::NotApplicable, "{md}");
    // Given up at the first endless message: no other RETR, no QUIT after it.
    let retrs = server.commands().iter().filter(|c| c.starts_with("RETR")).count();
    assert_eq!(retrs, 1, "{:?}", server.commands());
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// An IMAP server for the IDLE probe: an empty INBOX; IDLE answers with `idle` (after the
/// continuation); the probe's clean-up finds and expunges message 1.
fn idle_script(idle: Reply) -> Script {
    let caps = "IMAP4rev1 IDLE UIDPLUS";
    Script::new(Reply::text(format!("* OK [CAPABILITY {caps}] hostile IMAP ready\r\n")))
        .on("CAPABILITY", Reply::text(format!("* CAPABILITY {caps}\r\n{{tag}} OK done\r\n")))
        .on("LOGIN", Reply::text("{tag} OK logged in\r\n"))
        .on(
            "SELECT",
            Reply::text(
                "* 0 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Deleted)\r\n\
                 * OK [PERMANENTFLAGS (\\Seen \\Deleted \\*)] ok\r\n* OK [UIDVALIDITY 7] ok\r\n\
                 {tag} OK [READ-WRITE] selected\r\n",
            ),
        )
        .on("IDLE", Reply::text("+ idling\r\n").then(idle))
        .on("UID SEARCH", Reply::text("* SEARCH 1\r\n{tag} OK done\r\n"))
        .on("UID STORE", Reply::text("{tag} OK done\r\n"))
        .on("UID EXPUNGE", Reply::text("* 1 EXPUNGE\r\n{tag} OK done\r\n"))
        .on("LOGOUT", Reply::text("* BYE bye\r\n{tag} OK done\r\n"))
        .otherwise(Reply::text("{tag} OK done\r\n"))
}

async fn probe_check(imap: &Hostile, wait: std::time::Duration) -> tidings_mail::inspect::Check {
    let smtp = SmtpScriptServer::start(SmtpScript::default()).await.unwrap();
    let probe = tidings_mail::inspect::Probe {
        smtp: tidings_mail::net::Endpoint::new("127.0.0.1", smtp.port(), Security::None),
        smtp_credential: tidings_mail::auth::Credential::password("alice@example.test", "pw-for-hostile"),
        address: "alice@example.test".into(),
    };
    let opts = InspectOptions {
        probe: Some(probe),
        probe_wait: wait,
        receipt_wait: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let target = plain_target("imap", imap.port());
    let r = inspect(&target, TrustAnchors::default(), Some(fault_creds()), &opts, &Transcript::new()).await;
    // The IDLE probe, then the read-receipt probe.
    let idle_probes =
        smtp.messages().iter().filter(|m| String::from_utf8_lossy(m).contains("IDLE probe")).count();
    assert_eq!(idle_probes, 1, "the probe was submitted: {}", r.to_markdown());
    r.checks
        .iter()
        .find(|c| c.name == "IDLE latency")
        .cloned()
        .unwrap_or_else(|| panic!("{}", r.to_markdown()))
}

/// A server that looks for new mail from time to time announces the probe late: the check
/// says how late and what that suggests, instead of calling it a push.
#[tokio::test]
async fn a_late_idle_announcement_is_reported_as_polling() {
    let late = Reply::pause(std::time::Duration::from_secs(7)).then(Reply::text("* 1 EXISTS\r\n"));
    let imap = Hostile::start(idle_script(late)).await.unwrap();
    let check = probe_check(&imap, std::time::Duration::from_secs(60)).await;
    println!("{}: {}", check.summary, check.evidence.join("; "));
    assert_eq!(check.verdict, Verdict::Info, "{check:?}");
    assert!(
        check.summary.contains("announced by IDLE after 6.") || check.summary.contains("after 7."),
        "{check:?}"
    );
    assert!(
        check.summary.contains("appears to look for new mail about every 10 s or less often"),
        "{check:?}"
    );
    assert!(check.evidence.iter().any(|e| e.contains("UID EXPUNGE")), "{check:?}");
}

/// No announcement at all: the check fails and says how long it waited.
#[tokio::test]
async fn an_idle_probe_that_times_out_says_how_long_it_waited() {
    let imap = Hostile::start(idle_script(Reply::silence())).await.unwrap();
    let check = probe_check(&imap, std::time::Duration::from_secs(1)).await;
    assert_eq!(check.verdict, Verdict::Fail, "{check:?}");
    assert!(check.summary.contains("waited 1 s after the server accepted it"), "{check:?}");
}
