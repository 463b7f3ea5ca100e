//! Live probes against the real testkit Dovecot/Postfix and the fault servers, with the
//! testkit's name server mapping imap./smtp./mail.… to 127.0.0.1 and the probe ports pointed
//! at the servers' ephemeral ports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use tidings_mail::account::{Incoming, Protocol, Security};
use tidings_mail::discover::{
    DiscoverOptions, ProbeOutcome, ProbePorts, Source, SourceKind, SourceStatus, Sources, discover,
};
use tidings_testkit::dns::DnsServer;
use tidings_testkit::fault::{FaultServer, Proto};

async fn dns_for(domain: &str) -> DnsServer {
    let dns = DnsServer::start().await.unwrap();
    dns.add_a(&format!("*.{domain}"), Ipv4Addr::LOCALHOST);
    dns.add_a(domain, Ipv4Addr::LOCALHOST);
    dns
}

fn options(dns: &DnsServer, ports: ProbePorts, ca: Option<&[u8]>) -> DiscoverOptions {
    let mut sources = Sources::none();
    sources.probes = true;
    DiscoverOptions {
        time_limit: Duration::from_secs(20),
        probe_timeout: Duration::from_secs(5),
        dns_server: Some(dns.addr()),
        extra_ca_pem: ca.map(|c| vec![c.to_vec()]).unwrap_or_default(),
        sources,
        probe_ports: ports,
        ..DiscoverOptions::default()
    }
}

const NO_PORTS: ProbePorts =
    ProbePorts { imaps: 0, imap: 0, pop3s: 0, pop3: 0, submissions: 0, submission: 0, smtp: 0 };

#[tokio::test]
async fn probes_find_dovecot_and_postfix_and_prefer_implicit_tls() {
    let s = common::servers();
    let dns = dns_for("example.test").await;
    let ports = ProbePorts {
        imaps: s.imaps_port(),
        imap: s.imap_port(),
        pop3s: s.pop3s_port(),
        pop3: s.pop3_port(),
        submissions: s.submissions_port(),
        submission: s.submission_port(),
        smtp: 0,
    };
    let d = discover("alice@example.test", &options(&dns, ports, Some(s.ca_pem()))).await;
    assert!(!d.timed_out);

    let found = |p: Protocol, host: &str, port: u16, sec: Security| {
        d.candidates.iter().any(|c| c.protocol == p && c.host == host && c.port == port && c.security == sec)
    };
    assert!(
        found(Protocol::Imap, "imap.example.test", s.imaps_port(), Security::Implicit),
        "{:#?}",
        d.probes
    );
    assert!(found(Protocol::Imap, "imap.example.test", s.imap_port(), Security::StartTls));
    assert!(found(Protocol::Pop3, "pop3.example.test", s.pop3s_port(), Security::Implicit));
    assert!(found(Protocol::Pop3, "pop.example.test", s.pop3_port(), Security::StartTls));
    assert!(found(Protocol::Smtp, "smtp.example.test", s.submissions_port(), Security::Implicit));
    assert!(found(Protocol::Smtp, "mail.example.test", s.submission_port(), Security::StartTls));
    assert!(d.candidates.iter().all(|c| c.source == Source::Probe && c.label == "probe"));
    assert!(d.candidates.iter().all(|c| c.security != Security::None && c.untrusted_certificate.is_none()));

    let prefill = d.prefill();
    let (kind, incoming) = prefill.incoming.unwrap();
    assert_eq!(kind, Incoming::Imap);
    assert_eq!((incoming.host.as_str(), incoming.port), ("imap.example.test", s.imaps_port()));
    assert_eq!((incoming.security, incoming.user.as_str()), (Security::Implicit, "alice@example.test"));
    let outgoing = prefill.outgoing.unwrap();
    assert_eq!(
        (outgoing.host.as_str(), outgoing.port, outgoing.security),
        ("smtp.example.test", s.submissions_port(), Security::Implicit)
    );

    let imap = d.probes.iter().find(|p| p.protocol == Protocol::Imap && p.port == s.imap_port()).unwrap();
    assert_eq!(imap.outcome, ProbeOutcome::Ok);
    assert!(imap.greeting.as_deref().unwrap_or("").starts_with("* OK"));
    assert!(imap.capabilities.iter().any(|c| c == "IMAP4rev1"), "{:?}", imap.capabilities);
    let smtp = d.probes.iter().find(|p| p.protocol == Protocol::Smtp).unwrap();
    assert!(!smtp.auth_mechanisms.is_empty() || !smtp.capabilities.is_empty());
    assert!(d.disagreements.is_empty(), "one source cannot disagree with itself: {:#?}", d.disagreements);
    assert_eq!(d.source(SourceKind::Probe).unwrap().status, SourceStatus::Found);
}

#[tokio::test]
async fn starttls_counts_only_when_advertised_and_untrusted_certificates_are_kept() {
    let plain = FaultServer::no_starttls(Proto::Imap).await.unwrap();
    let own_cert = FaultServer::tls_with_own_cert(Proto::Imap).await.unwrap();
    let dns = dns_for("faulty.test").await;
    let ports = ProbePorts { imaps: own_cert.port(), imap: plain.port(), ..NO_PORTS };
    let d = discover("kim@faulty.test", &options(&dns, ports, None)).await;

    let on = |port: u16| d.candidates.iter().filter(move |c| c.port == port);
    assert!(on(plain.port()).all(|c| c.security == Security::None), "STARTTLS counted though not offered");
    let plain_imap = on(plain.port()).find(|c| c.host == "imap.faulty.test").unwrap();
    assert!(plain_imap.note.as_deref().unwrap_or("").contains("STARTTLS"), "{plain_imap:?}");
    let probe = d.probes.iter().find(|p| p.port == plain.port()).unwrap();
    assert_eq!(probe.outcome, ProbeOutcome::StarttlsNotOffered);
    assert_eq!(probe.security, Security::StartTls);

    let untrusted = on(own_cert.port()).find(|c| c.host == "imap.faulty.test").unwrap();
    assert_eq!(untrusted.security, Security::Implicit);
    let cert = untrusted.untrusted_certificate.as_ref().expect("the certificate is kept");
    assert_eq!(cert.sha256.replace(':', "").to_lowercase(), own_cert.leaf_sha256_hex());
    let probe = d.probes.iter().find(|p| p.port == own_cert.port()).unwrap();
    assert_eq!(probe.outcome, ProbeOutcome::UntrustedCertificate);
    assert!(probe.error_value.as_ref().unwrap().certificate().is_some());
    assert!(probe.error.as_ref().unwrap().certificate.is_some(), "in the JSON report too");

    // TLS with a doubtful certificate still beats no encryption at all.
    let best = d.best.incoming.unwrap();
    assert_eq!((best.port, best.security), (own_cert.port(), Security::Implicit));
    let sent = String::from_utf8_lossy(&plain.received()).to_string();
    assert!(!sent.contains("LOGIN") && !sent.contains("AUTH"), "credentials sent while probing: {sent}");
}

#[tokio::test]
async fn the_time_limit_holds_when_a_server_is_silent() {
    let silent = FaultServer::silent().await.unwrap();
    let dns = dns_for("quiet.test").await;
    let mut opts = options(&dns, ProbePorts { imap: silent.port(), ..NO_PORTS }, None);
    opts.probe_timeout = Duration::from_secs(60);
    opts.time_limit = Duration::from_millis(1500);
    let started = Instant::now();
    let d = discover("lee@quiet.test", &opts).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(d.timed_out);
    assert!(d.candidates.is_empty());
    assert_eq!(d.source(SourceKind::Probe).unwrap().status, SourceStatus::TimedOut);
}
