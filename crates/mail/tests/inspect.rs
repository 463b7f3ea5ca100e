//! The inspector against the real testkit servers, every URL form, and against fault
//! servers: TLS version, IDLE, stage timings, checks, and never the password.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::account::Security;
use tidings_mail::inspect::{Credentials, InspectOptions, Target, Verdict, inspect};
use tidings_mail::net::{StageName, Transcript, TrustAnchors};
use tidings_testkit::fault::{FaultServer, Proto};

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
        let creds = Credentials { user: alice.email.clone(), password: alice.password.clone() };
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
    let creds = Credentials { user: "alice@example.test".into(), password: "never-sent-42".into() };
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
        let creds = Credentials { user: "alice".into(), password: "pw-for-fault".into() };
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
        let creds = Credentials { user: "alice".into(), password: "pw-for-fault".into() };
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
        smtp_user: alice.login.clone(),
        smtp_password: alice.password.clone(),
        address: alice.email.clone(),
    };
    let opts = InspectOptions { probe: Some(probe), ..Default::default() };
    let target = Target::parse(&format!("imaps://127.0.0.1:{}", s.imaps_port())).unwrap();
    let creds = Credentials { user: alice.login.clone(), password: alice.password.clone() };
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
            smtp_user: "u".into(),
            smtp_password: "secret".into(),
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
