//! Headless UI flows (iced_test) for the wizard's discovery step, against the testkit's DNS
//! and HTTP(S) servers (as `crates/mail/tests/discover_*.rs` use them) and its real Dovecot and
//! Postfix: settings found with their sources, where sources disagree, a redirect to another
//! domain followed only after consent, the form prefilled, tested and saved; nothing found
//! leading to the form; progress and leaving for the manual form. Snapshots of the steps use
//! fixed data (a live run's ports and times change every run).
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_wizard_discovery`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "gui_wizard_helpers/mod.rs"]
mod helpers;

use std::time::Duration;

use common::assert_snapshot;
use helpers::*;

use tidings::app::{App, Message, Screen};
use tidings::screen::wizard;
use tidings_mail::account::{Incoming, Protocol, Security};
use tidings_mail::config::Config;
use tidings_mail::discover::{
    Attempt, Best, Candidate, ConfirmKind, Disagreement, DiscoverOptions, Discovery, HttpOverride,
    NeedsConfirmation, Source, SourceKind, SourceReport, SourceStatus, Sources,
};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_testkit::MailServers;
use tidings_testkit::dns::DnsServer;
use tidings_testkit::http::{HttpServer, Reply, Route};

const ELSEWHERE: &str = "https://autodiscover.elsewhere.test/autodiscover/autodiscover.xml";

fn autoconfig(s: &MailServers) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <incomingServer type="imap">
      <hostname>127.0.0.1</hostname><port>{imaps}</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>127.0.0.1</hostname><port>{submission}</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#,
        imaps = s.imaps_port(),
        submission = s.submission_port()
    )
}

fn pox(protocols: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account><AccountType>email</AccountType><Action>settings</Action>{protocols}</Account>
  </Response>
</Autodiscover>"#
    )
}

fn options(http: &HttpServer, dns: &DnsServer, sources: Sources) -> DiscoverOptions {
    DiscoverOptions {
        time_limit: Duration::from_secs(15),
        http_timeout: Duration::from_secs(5),
        dns_server: Some(dns.addr()),
        http_override: Some(HttpOverride {
            http: Some(http.http_addr()),
            https: http.https_addr(),
            tls_name: Some("localhost".into()),
        }),
        extra_ca_pem: vec![http.ca_pem().unwrap().to_vec()],
        sources,
        ..DiscoverOptions::default()
    }
}

fn no_credentials_sent(http: &HttpServer, password: &str) {
    for r in http.requests() {
        assert!(r.header("authorization").is_none(), "credentials sent to {:?}{}", r.host, r.target);
        assert!(!r.body_text().contains(password), "the password sent to {:?}{}", r.host, r.target);
    }
}

fn found(app: &App) -> &wizard::Found {
    wizard(app).found().expect("the discovery results are shown")
}

#[test]
fn found_settings_show_their_sources_and_prefill_the_form_that_is_tested_and_saved() {
    let rt = runtime();
    let (http, dns) = rt
        .block_on(async { (HttpServer::start_with_tls().await.unwrap(), DnsServer::start().await.unwrap()) });
    let s = MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let alice = s.user("alice");
    http.route(
        Route::get("autoconfig.example.test", "/mail/config-v1.1.xml", Reply::xml(autoconfig(&s)))
            .https_only(),
    );
    // Autodiscover's plain GET points to another domain: that needs consent.
    http.route(
        Route::get(
            "autodiscover.example.test",
            "/autodiscover/autodiscover.xml",
            Reply::redirect(302, ELSEWHERE),
        )
        .http_only(),
    );
    let elsewhere = pox(&format!(
        "<Protocol><Type>IMAP</Type><Server>127.0.0.1</Server><Port>{}</Port><SSL>on</SSL></Protocol>",
        s.imaps_port()
    ));
    http.route(Route::post(
        "autodiscover.elsewhere.test",
        "/autodiscover/autodiscover.xml",
        Reply::xml(elsewhere),
    ));
    // An SRV record that disagrees with autoconfig.
    dns.add_srv("_imaps._tcp.example.test", 0, 0, 993, "imap.example.test");
    let sources = Sources { mx: false, probes: false, ..Sources::all() };

    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut app = open_wizard(profile.clone(), Secrets::in_memory(), options(&http, &dns, sources));
    identity(&mut app, "Alice", &alice.email, &alice.password);
    click(&mut app, wizard::id::FIND);
    assert_eq!(wizard(&app).step_name(), "found");

    let autoconfig_url =
        "https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test";
    let shown = texts(&app);
    assert!(shown.contains(&"Settings found for example.test".to_string()), "{shown:?}");
    for expected in [
        format!("IMAP 127.0.0.1:{}", s.imaps_port()),
        format!("from autoconfig {autoconfig_url} · user alice"),
        format!("SMTP 127.0.0.1:{}", s.submission_port()),
        format!("from autoconfig {autoconfig_url} · user alice@example.test"),
        "IMAP imap.example.test:993".to_string(),
        "from SRV _imaps._tcp.example.test".to_string(),
        "IMAP: the host and port differ".to_string(),
        "Needs your consent".to_string(),
        format!("GET http://autodiscover.example.test/autodiscover/autodiscover.xml → {ELSEWHERE}"),
        "Where Tidings looked".to_string(),
    ] {
        assert!(shown.contains(&expected), "{expected:?} is not shown: {shown:?}");
    }
    let asked_elsewhere = |http: &HttpServer| {
        http.requests().iter().any(|r| r.host.as_deref() == Some("autodiscover.elsewhere.test"))
    };
    assert!(!asked_elsewhere(&http), "the other domain was asked before the person agreed");
    // The best-ranked settings are chosen: autoconfig over HTTPS before SRV.
    let f = found(&app);
    let chosen = &f.discovery.candidates[f.incoming.unwrap()];
    assert!(chosen.label.starts_with("autoconfig https://"), "{chosen:?}");

    // Consent: the redirect is followed, and what it gives is added and chosen.
    click(&mut app, wizard::id::follow(0));
    assert!(asked_elsewhere(&http));
    assert!(shows(&app, "Followed: 1 setting added above."), "{:?}", texts(&app));
    let f = found(&app);
    let chosen = &f.discovery.candidates[f.incoming.unwrap()];
    assert_eq!(chosen.label, format!("Autodiscover {ELSEWHERE}"));
    no_credentials_sent(&http, &alice.password);

    // The person prefers autoconfig's (with its user name) after all.
    let index = f
        .discovery
        .candidates
        .iter()
        .position(|c| c.label.starts_with("autoconfig") && c.protocol == Protocol::Imap);
    click(&mut app, wizard::id::candidate(index.unwrap()));
    click(&mut app, wizard::id::USE_FOUND);
    assert_eq!(wizard(&app).step_name(), "review");
    assert_eq!(value(&app, wizard::id::INCOMING_HOST), "127.0.0.1");
    assert_eq!(value(&app, wizard::id::INCOMING_PORT), s.imaps_port().to_string());
    assert_eq!(value(&app, wizard::id::INCOMING_USER), "alice");
    assert_eq!(value(&app, wizard::id::OUTGOING_PORT), s.submission_port().to_string());
    assert_eq!(value(&app, wizard::id::OUTGOING_USER), "alice@example.test");
    assert_eq!(wizard(&app).form().outgoing.security, Security::StartTls);
    assert_eq!(wizard(&app).form().incoming_protocol, Incoming::Imap);

    // Every field is still editable; trust the servers' CA, test, save.
    let ca = s.ca_path().display().to_string();
    type_into(&mut app, wizard::id::INCOMING_CA_FILE, 0, &ca);
    type_into(&mut app, wizard::id::OUTGOING_CA_FILE, 0, &ca);
    click(&mut app, wizard::id::TEST);
    let checks = wizard(&app).checks().unwrap();
    assert!(checks.passed(), "{:?} {:?}", checks.incoming.error(), checks.outgoing.error());
    click(&mut app, wizard::id::SAVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    let config = Config::load(&profile).unwrap();
    let account = &config.accounts[0];
    assert_eq!((account.incoming.user.as_str(), account.incoming.port), ("alice", s.imaps_port()));
    no_credentials_sent(&http, &alice.password);
}

#[test]
fn nothing_found_leads_to_the_form_saying_what_was_asked() {
    let rt = runtime();
    let (http, dns) = rt
        .block_on(async { (HttpServer::start_with_tls().await.unwrap(), DnsServer::start().await.unwrap()) });
    let sources = Sources { autoconfig: true, srv: true, ..Sources::none() };
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), options(&http, &dns, sources));
    identity(&mut app, "Kim", "kim@nowhere.test", "pw");
    click(&mut app, wizard::id::FIND);

    assert_eq!(wizard(&app).step_name(), "review");
    let notice = text_starting(&app, "Tidings found no settings for nowhere.test.");
    let notice = notice.unwrap_or_else(|| panic!("{:?}", texts(&app)));
    assert!(notice.contains("Autoconfig (Thunderbird) — nothing found"), "{notice}");
    assert!(notice.contains("DNS SRV records — nothing found"), "{notice}");
    assert_eq!(wizard(&app).form().incoming.host, "", "nothing prefilled");
    assert_eq!(value(&app, wizard::id::EMAIL), "kim@nowhere.test");
    // "Back" goes to the first step: there is nothing found to return to.
    click(&mut app, wizard::id::BACK);
    assert_eq!(wizard(&app).step_name(), "account");
}

#[test]
fn discovery_shows_progress_and_can_be_left_for_the_manual_form() {
    let rt = runtime();
    let dns = rt.block_on(DnsServer::start()).unwrap();
    dns.set_silent(true);
    let opts = DiscoverOptions {
        dns_server: Some(dns.addr()),
        sources: Sources { srv: true, ..Sources::none() },
        ..DiscoverOptions::default()
    };
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), opts);
    identity(&mut app, "Work", "alice@example.test", "pw");
    // Started, but the discovery task is not run: a silent name server would keep it waiting.
    for message in click_only(&app, wizard::id::FIND) {
        let _ = app.update(message);
    }
    assert_eq!(wizard(&app).step_name(), "discovering");
    assert!(shows(&app, "Looking up the settings for example.test…"));
    assert!(shows(&app, "0 s"));
    let _ = app.update(Message::Wizard(wizard::Message::Tick));
    assert!(shows(&app, "1 s"));
    assert_snapshot(&mut sized(&app, 768.0), &app.theme(), "wizard-discovering-light");

    let run = wizard(&app).run_id();
    click(&mut app, wizard::id::MANUAL);
    assert_eq!(wizard(&app).step_name(), "review");
    // A late answer of the abandoned discovery changes nothing.
    let _ = app.update(Message::Wizard(wizard::Message::Discovered(run, Box::new(fixed_discovery()))));
    assert_eq!(wizard(&app).step_name(), "review");
    assert_eq!(wizard(&app).form().incoming.host, "");
}

#[test]
fn snapshots_of_the_found_settings() {
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
    identity(&mut app, "Work", "alice@example.test", "pw");
    for message in click_only(&app, wizard::id::FIND) {
        let _ = app.update(message);
    }
    let run = wizard(&app).run_id();
    let _ = app.update(Message::Wizard(wizard::Message::Discovered(run, Box::new(fixed_discovery()))));
    assert_eq!(wizard(&app).step_name(), "found");
    assert!(shows(&app, "Only OAuth2 sign-in: name the provider on the next page."));
    assert!(shows(&app, "Its certificate is not trusted: the test will show it, and you may pin it."));
    assert_snapshot(&mut sized(&app, 1500.0), &app.theme(), "wizard-found-light");
    let _ = app.update(Message::SystemTheme(iced::theme::Mode::Dark));
    assert_snapshot(&mut sized(&app, 1500.0), &app.theme(), "wizard-found-dark");
}

/// A discovery with a bit of everything, fixed.
fn fixed_discovery() -> Discovery {
    let autoconfig =
        Source::Autoconfig { url: "https://autoconfig.example.test/mail/config-v1.1.xml".into() };
    let srv = Source::Srv { record: "_imaps._tcp.example.test".into() };
    let mut imap =
        Candidate::new(Protocol::Imap, "imap.example.test", 993, Security::Implicit, autoconfig.clone());
    imap.user = Some("alice".into());
    let mut pop =
        Candidate::new(Protocol::Pop3, "pop.example.test", 995, Security::Implicit, autoconfig.clone());
    pop.auth = vec!["OAuth2".into()];
    let smtp = Candidate::new(Protocol::Smtp, "smtp.example.test", 587, Security::StartTls, autoconfig);
    let srv_imap = Candidate::new(Protocol::Imap, "mail.example.test", 143, Security::StartTls, srv);
    let mut probe =
        Candidate::new(Protocol::Smtp, "mail.example.test", 465, Security::Implicit, Source::Probe);
    probe.untrusted_certificate = Some(fixed_certificate());
    let report = |kind, status, found, attempts: &[(&str, &str)]| SourceReport {
        kind,
        status,
        found,
        attempts: attempts
            .iter()
            .map(|(w, o)| Attempt { what: w.to_string(), outcome: o.to_string() })
            .collect(),
        elapsed_ms: Some(120),
    };
    Discovery {
        email: "alice@example.test".into(),
        domain: "example.test".into(),
        best: Best { incoming: Some(imap.clone()), outgoing: Some(smtp.clone()) },
        disagreements: vec![Disagreement {
            protocol: Protocol::Imap,
            fields: vec!["host", "port", "security"],
            first: imap.clone(),
            second: srv_imap.clone(),
        }],
        candidates: vec![imap, pop, smtp, srv_imap, probe],
        needs_confirmation: vec![NeedsConfirmation {
            kind: ConfirmKind::AutodiscoverRedirect,
            from: "http://autodiscover.example.test/autodiscover/autodiscover.xml".into(),
            to: "https://autodiscover.mail-host.test/autodiscover/autodiscover.xml".into(),
            reason: "Autodiscover redirects to another domain (mail-host.test)".into(),
        }],
        mx: None,
        probes: Vec::new(),
        sources: vec![
            report(SourceKind::Preset, SourceStatus::NothingFound, 0, &[]),
            report(SourceKind::Autoconfig, SourceStatus::Found, 3, &[("GET", "200")]),
            report(SourceKind::Autodiscover, SourceStatus::NothingFound, 0, &[("POST", "404")]),
            report(SourceKind::Srv, SourceStatus::Found, 1, &[]),
            report(SourceKind::Mx, SourceStatus::Failed, 0, &[]),
            report(SourceKind::Probe, SourceStatus::Found, 1, &[]),
        ],
        timed_out: false,
        elapsed_ms: 2340,
    }
}
