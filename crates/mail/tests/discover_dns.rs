//! Discovery from DNS against the testkit's name server: RFC 6186 SRV records, the MX route
//! (presets for custom domains, autoconfig of the MX host's base domain), disagreements
//! between sources, and the overall time limit when a source hangs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use tidings_mail::account::{Protocol, Security};
use tidings_mail::discover::{
    DiscoverOptions, HttpOverride, Source, SourceKind, SourceStatus, Sources, discover,
};
use tidings_testkit::dns::DnsServer;
use tidings_testkit::http::{HttpServer, Reply, Route};

fn options(dns: &DnsServer, http: Option<&HttpServer>, sources: Sources) -> DiscoverOptions {
    DiscoverOptions {
        time_limit: Duration::from_secs(15),
        http_timeout: Duration::from_secs(5),
        dns_server: Some(dns.addr()),
        // Plain HTTP only: HTTPS requests are refused by a closed port.
        http_override: http.map(|h| HttpOverride {
            http: Some(h.http_addr()),
            https: Some(closed_port()),
            tls_name: None,
        }),
        sources,
        ..DiscoverOptions::default()
    }
}

fn closed_port() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap() // dropped: nothing listens there any more
}

fn only(f: impl FnOnce(&mut Sources)) -> Sources {
    let mut s = Sources::none();
    f(&mut s);
    s
}

fn autoconfig(imap_host: &str, port: u16, socket: &str) -> String {
    format!(
        r#"<clientConfig version="1.1"><emailProvider id="x">
  <incomingServer type="imap"><hostname>{imap_host}</hostname><port>{port}</port><socketType>{socket}</socketType>
  <username>%EMAILADDRESS%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>smtp.example.test</hostname><port>465</port><socketType>SSL</socketType></outgoingServer>
</emailProvider></clientConfig>"#
    )
}

#[tokio::test]
async fn srv_records_are_labelled_and_dot_means_not_offered() {
    let dns = DnsServer::start().await.unwrap();
    dns.add_srv("_imaps._tcp.example.test", 0, 1, 993, "mail.example.test.");
    dns.add_srv("_imap._tcp.example.test", 0, 0, 0, ".");
    dns.add_srv("_pop3s._tcp.example.test", 10, 1, 995, "pop-b.example.test");
    dns.add_srv("_pop3s._tcp.example.test", 5, 1, 995, "pop-a.example.test");
    dns.add_srv("_submission._tcp.example.test", 0, 1, 587, "mail.example.test");
    let d = discover("frank@example.test", &options(&dns, None, only(|s| s.srv = true))).await;

    let got: Vec<(Protocol, &str, u16, Security, &str)> = d
        .candidates
        .iter()
        .map(|c| {
            let Source::Srv { record } = &c.source else { panic!("not from SRV: {c:?}") };
            (c.protocol, c.host.as_str(), c.port, c.security, record.as_str())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (Protocol::Imap, "mail.example.test", 993, Security::Implicit, "_imaps._tcp.example.test"),
            (Protocol::Pop3, "pop-a.example.test", 995, Security::Implicit, "_pop3s._tcp.example.test"),
            (Protocol::Pop3, "pop-b.example.test", 995, Security::Implicit, "_pop3s._tcp.example.test"),
            (Protocol::Smtp, "mail.example.test", 587, Security::StartTls, "_submission._tcp.example.test"),
        ]
    );
    assert_eq!(d.candidates[0].label, "SRV _imaps._tcp.example.test");
    let report = d.source(SourceKind::Srv).unwrap();
    assert_eq!(report.status, SourceStatus::Found);
    let imap = report.attempts.iter().find(|a| a.what == "_imap._tcp.example.test").unwrap();
    assert!(imap.outcome.contains("not offered"), "{imap:?}");
    let best = d.best.incoming.unwrap();
    assert_eq!((best.host.as_str(), best.port), ("mail.example.test", 993));
}

#[tokio::test]
async fn mx_of_a_google_hosted_domain_gives_the_gmail_preset() {
    let dns = DnsServer::start().await.unwrap();
    dns.add_mx("custom.test", 10, "alt1.aspmx.l.google.com");
    dns.add_mx("custom.test", 1, "aspmx.l.google.com");
    let sources = only(|s| {
        s.mx = true;
        s.presets = true;
    });
    let d = discover("gina@custom.test", &options(&dns, None, sources)).await;

    let mx = d.mx.as_ref().unwrap();
    assert_eq!(
        (mx.host.as_str(), mx.preference, mx.base_domain.as_str()),
        ("aspmx.l.google.com", 1, "google.com")
    );
    let best = d.best.incoming.as_ref().unwrap();
    assert_eq!((best.host.as_str(), best.port), ("imap.gmail.com", 993));
    assert_eq!(best.via_mx.as_deref(), Some("aspmx.l.google.com"));
    assert_eq!(best.label, "preset Gmail (via MX aspmx.l.google.com)");
    assert_eq!(best.user.as_deref(), Some("gina@custom.test"));
    assert_eq!(d.source(SourceKind::Mx).unwrap().status, SourceStatus::Found);
}

#[tokio::test]
async fn mx_base_domain_is_tried_for_autoconfig() {
    let dns = DnsServer::start().await.unwrap();
    dns.add_mx("corp.test", 10, "mx1.mailhost.test");
    let http = HttpServer::start().await.unwrap();
    http.route(Route::get(
        "autoconfig.mailhost.test",
        "/mail/config-v1.1.xml",
        Reply::xml(autoconfig("imap.mailhost.test", 993, "SSL")),
    ));
    let sources = only(|s| {
        s.mx = true;
        s.autoconfig = true;
    });
    let d = discover("hal@corp.test", &options(&dns, Some(&http), sources)).await;

    let best = d.best.incoming.as_ref().unwrap();
    assert_eq!(best.host, "imap.mailhost.test");
    assert_eq!(best.via_mx.as_deref(), Some("mx1.mailhost.test"));
    assert_eq!(
        best.label,
        "autoconfig http://autoconfig.mailhost.test/mail/config-v1.1.xml?emailaddress=hal%40corp.test (via MX mx1.mailhost.test)"
    );
    assert_eq!(best.user.as_deref(), Some("hal@corp.test"));
    // The email's own domain was asked first (and had nothing).
    assert!(http.requests().iter().any(|r| r.host.as_deref() == Some("autoconfig.corp.test")));
}

#[tokio::test]
async fn autoconfig_and_srv_disagree() {
    let dns = DnsServer::start().await.unwrap();
    dns.add_srv("_imaps._tcp.example.test", 0, 0, 0, ".");
    dns.add_srv("_imap._tcp.example.test", 0, 1, 143, "imap.example.test");
    let http = HttpServer::start().await.unwrap();
    http.route(Route::get(
        "autoconfig.example.test",
        "/mail/config-v1.1.xml",
        Reply::xml(autoconfig("imap.example.test", 993, "SSL")),
    ));
    let sources = only(|s| {
        s.srv = true;
        s.autoconfig = true;
    });
    let d = discover("ida@example.test", &options(&dns, Some(&http), sources)).await;

    assert_eq!(d.disagreements.len(), 1, "{:#?}", d.disagreements);
    let dis = &d.disagreements[0];
    assert_eq!(dis.protocol, Protocol::Imap);
    assert_eq!(dis.fields, vec!["port", "security"]);
    assert_eq!((dis.first.port, dis.first.security), (993, Security::Implicit));
    assert!(dis.first.label.starts_with("autoconfig http://autoconfig.example.test/"));
    assert_eq!((dis.second.port, dis.second.security), (143, Security::StartTls));
    assert_eq!(dis.second.label, "SRV _imap._tcp.example.test");
    let best = d.best.incoming.unwrap();
    assert_eq!((best.port, best.security), (993, Security::Implicit), "autoconfig outranks SRV");
    let json = serde_json::to_string(&d.disagreements).unwrap();
    assert!(json.contains(r#""fields":["port","security"]"#), "{json}");
}

#[tokio::test]
async fn the_time_limit_holds_when_a_source_hangs() {
    let dns = DnsServer::start().await.unwrap();
    dns.add_srv("_imaps._tcp.example.test", 0, 1, 993, "imap.example.test");
    let http = HttpServer::start().await.unwrap();
    http.route(Route::new(None, None, "/mail/config-v1.1.xml", Reply::hang()));
    http.route(Route::new(None, None, "/.well-known/autoconfig/mail/config-v1.1.xml", Reply::hang()));
    let mut opts = options(
        &dns,
        Some(&http),
        only(|s| {
            s.srv = true;
            s.autoconfig = true;
        }),
    );
    opts.time_limit = Duration::from_millis(1500);
    opts.http_timeout = Duration::from_secs(60);
    let started = Instant::now();
    let d = discover("jo@example.test", &opts).await;
    let took = started.elapsed();

    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(took >= Duration::from_millis(1400), "returned before the limit: {took:?}");
    assert!(d.timed_out);
    assert_eq!(d.source(SourceKind::Autoconfig).unwrap().status, SourceStatus::TimedOut);
    assert_eq!(d.source(SourceKind::Srv).unwrap().status, SourceStatus::Found, "finished sources are kept");
    assert_eq!(d.best.incoming.unwrap().label, "SRV _imaps._tcp.example.test");
}
