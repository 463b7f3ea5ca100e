//! The provider presets through `discover`: Exchange Online (the seed's settings), Outlook.com
//! and Gmail, their OAuth2 notes, the wizard's prefill, and no guessing for known providers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tidings_mail::account::{Incoming, Protocol, Security};
use tidings_mail::discover::{DiscoverOptions, Discovery, SourceKind, SourceStatus, Sources, discover};

async fn presets_only(email: &str, probes: bool) -> Discovery {
    let mut sources = Sources::none();
    sources.presets = true;
    sources.probes = probes;
    let opts = DiscoverOptions { time_limit: Duration::from_secs(5), sources, ..DiscoverOptions::default() };
    discover(email, &opts).await
}

fn endpoints(d: &Discovery) -> Vec<(Protocol, &str, u16, Security)> {
    d.candidates.iter().map(|c| (c.protocol, c.host.as_str(), c.port, c.security)).collect()
}

#[tokio::test]
async fn office365_row_is_the_seeds_exchange_online_settings() {
    let d = presets_only("ann@office365.com", false).await;
    assert_eq!(
        endpoints(&d),
        vec![
            (Protocol::Imap, "outlook.office365.com", 993, Security::Implicit),
            (Protocol::Pop3, "outlook.office365.com", 995, Security::Implicit),
            (Protocol::Smtp, "smtp.office365.com", 587, Security::StartTls),
        ]
    );
    let best = d.best.incoming.as_ref().unwrap();
    assert_eq!(best.label, "preset Microsoft 365 (Exchange Online)");
    assert!(best.needs_oauth2());
    assert!(best.note.as_deref().unwrap_or("").contains("OAuth2"));
    let prefill = d.prefill();
    let (kind, incoming) = prefill.incoming.unwrap();
    assert_eq!((kind, incoming.host.as_str(), incoming.port), (Incoming::Imap, "outlook.office365.com", 993));
    assert_eq!(incoming.user, "ann@office365.com");
    let outgoing = prefill.outgoing.unwrap();
    assert_eq!(
        (outgoing.host.as_str(), outgoing.port, outgoing.security),
        ("smtp.office365.com", 587, Security::StartTls)
    );
}

#[tokio::test]
async fn outlook_com_and_hotmail_use_the_consumer_smtp_host() {
    for email in ["bo@outlook.com", "bo@hotmail.com"] {
        let d = presets_only(email, false).await;
        let out = d.best.outgoing.as_ref().unwrap();
        assert_eq!(
            (out.host.as_str(), out.port, out.security),
            ("smtp-mail.outlook.com", 587, Security::StartTls),
            "{email}"
        );
        let inc = d.best.incoming.as_ref().unwrap();
        assert_eq!((inc.host.as_str(), inc.port), ("outlook.office365.com", 993));
        assert_eq!(inc.label, "preset Outlook.com");
        assert!(inc.needs_oauth2(), "Outlook.com is OAuth2-only");
    }
}

#[tokio::test]
async fn gmail_prefers_implicit_tls_for_smtp_and_skips_probes() {
    let d = presets_only("cy@gmail.com", true).await;
    let inc = d.best.incoming.as_ref().unwrap();
    assert_eq!((inc.host.as_str(), inc.port, inc.security), ("imap.gmail.com", 993, Security::Implicit));
    let out = d.best.outgoing.as_ref().unwrap();
    assert_eq!((out.host.as_str(), out.port, out.security), ("smtp.gmail.com", 465, Security::Implicit));
    assert!(
        d.candidates.iter().any(|c| c.port == 587 && c.security == Security::StartTls),
        "587 kept as an alternative"
    );
    assert!(!inc.needs_oauth2(), "app passwords still work");
    assert_eq!(d.source(SourceKind::Preset).unwrap().status, SourceStatus::Found);
    let probe = d.source(SourceKind::Probe).unwrap();
    assert_eq!(probe.status, SourceStatus::Skipped, "a known provider needs no guessing");
    assert!(d.probes.is_empty());
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["best"]["incoming"]["source"]["type"], "preset");
    assert_eq!(json["best"]["incoming"]["source"]["id"], "gmail");
}

#[tokio::test]
async fn unknown_domains_and_bad_addresses_find_nothing() {
    let d = presets_only("dee@unknown-provider.test", false).await;
    assert!(d.candidates.is_empty() && d.best.incoming.is_none());
    assert_eq!(d.source(SourceKind::Preset).unwrap().status, SourceStatus::NothingFound);
    let d = presets_only("not an address", false).await;
    assert!(d.candidates.is_empty());
    assert_eq!(d.source(SourceKind::Preset).unwrap().status, SourceStatus::Failed);
}
