//! Discovery over HTTP against the testkit's web server: Thunderbird autoconfig and Exchange
//! Autodiscover (POX), their fallbacks and redirects, and that nothing secret is ever sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tidings_mail::account::{Incoming, Protocol, Security};
use tidings_mail::discover::{
    ConfirmKind, DiscoverOptions, Discovery, HttpOverride, Source, SourceKind, SourceStatus, Sources,
    discover, follow_confirmed,
};
use tidings_testkit::dns::DnsServer;
use tidings_testkit::http::{HttpServer, Reply, Route};

const AUTOCONFIG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.test</hostname><port>143</port><socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.test</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

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

/// An HTTPS+HTTP server reached for every host name, an empty DNS (no system DNS in tests).
async fn setup() -> (HttpServer, DnsServer) {
    (HttpServer::start_with_tls().await.unwrap(), DnsServer::start().await.unwrap())
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

fn only(f: impl FnOnce(&mut Sources)) -> Sources {
    let mut s = Sources::none();
    f(&mut s);
    s
}

fn no_credentials_sent(http: &HttpServer) {
    for r in http.requests() {
        assert!(
            r.header("authorization").is_none(),
            "credentials sent to {}{}",
            r.host.unwrap_or_default(),
            r.target
        );
        assert!(r.header("cookie").is_none());
    }
}

fn summary(d: &Discovery) -> Vec<(Protocol, String, u16, Security)> {
    d.candidates.iter().map(|c| (c.protocol, c.host.clone(), c.port, c.security)).collect()
}

#[tokio::test]
async fn autoconfig_over_https_with_placeholders() {
    let (http, dns) = setup().await;
    http.route(
        Route::get("autoconfig.example.test", "/mail/config-v1.1.xml", Reply::xml(AUTOCONFIG)).https_only(),
    );
    let d = discover("alice@example.test", &options(&http, &dns, only(|s| s.autoconfig = true))).await;

    let url = "https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test";
    assert_eq!(d.candidates.len(), 4, "{:#?}", d.sources);
    for c in &d.candidates {
        assert_eq!(c.source, Source::Autoconfig { url: url.into() });
        assert_eq!(c.label, format!("autoconfig {url}"));
    }
    assert_eq!(
        summary(&d),
        vec![
            (Protocol::Imap, "imap.example.test".into(), 993, Security::Implicit),
            (Protocol::Imap, "imap.example.test".into(), 143, Security::StartTls),
            (Protocol::Pop3, "pop.example.test".into(), 995, Security::Implicit),
            (Protocol::Smtp, "smtp.example.test".into(), 587, Security::StartTls),
        ],
        "every server kept, in the file's order"
    );
    assert_eq!(d.candidates[0].user.as_deref(), Some("alice"));
    assert_eq!(d.candidates[2].user.as_deref(), Some("alice@example.test"));
    assert_eq!(d.candidates[0].auth, vec!["password-cleartext"]);

    let prefill = d.prefill();
    let (kind, incoming) = prefill.incoming.unwrap();
    assert_eq!(kind, Incoming::Imap);
    assert_eq!(
        (incoming.host.as_str(), incoming.port, incoming.security),
        ("imap.example.test", 993, Security::Implicit)
    );
    assert_eq!(incoming.user, "alice");
    let outgoing = prefill.outgoing.unwrap();
    assert_eq!(
        (outgoing.port, outgoing.security, outgoing.user.as_str()),
        (587, Security::StartTls, "alice@example.test")
    );

    assert_eq!(d.source(SourceKind::Autoconfig).unwrap().status, SourceStatus::Found);
    assert_eq!(d.source(SourceKind::Autodiscover).unwrap().status, SourceStatus::Skipped);
    let first = &http.requests()[0];
    assert_eq!(first.query.as_deref(), Some("emailaddress=alice%40example.test"));
    no_credentials_sent(&http);
    let json = serde_json::to_string(&d).unwrap();
    assert!(
        json.contains(r#""source":{"type":"autoconfig","url":"https://autoconfig.example.test/"#),
        "{json}"
    );
}

#[tokio::test]
async fn autoconfig_falls_back_to_plain_http_follows_redirects_inside_the_domain_and_asks_outside() {
    let (http, dns) = setup().await;
    // Only the plain-HTTP .well-known answers, with a redirect inside the domain.
    http.route(
        Route::get(
            "example.test",
            "/.well-known/autoconfig/mail/config-v1.1.xml",
            Reply::redirect(302, "http://config.example.test/tb.xml"),
        )
        .http_only(),
    );
    http.route(Route::get("config.example.test", "/tb.xml", Reply::xml(AUTOCONFIG).chunked()));
    let d = discover("bob@example.test", &options(&http, &dns, only(|s| s.autoconfig = true))).await;
    assert_eq!(d.candidates.len(), 4);
    assert_eq!(d.candidates[0].label, "autoconfig http://config.example.test/tb.xml");
    assert_eq!(d.candidates[0].user.as_deref(), Some("bob"));
    assert!(d.needs_confirmation.is_empty());

    // A provider that redirects to another domain: not followed until confirmed.
    http.route(
        Route::get(
            "autoconfig.hosted.test",
            "/mail/config-v1.1.xml",
            Reply::redirect(301, "https://config.provider.test/example.xml"),
        )
        .https_only(),
    );
    http.route(Route::get("config.provider.test", "/example.xml", Reply::xml(AUTOCONFIG)));
    let opts = options(&http, &dns, only(|s| s.autoconfig = true));
    let d = discover("carol@hosted.test", &opts).await;
    assert!(d.candidates.is_empty());
    assert_eq!(d.needs_confirmation.len(), 1, "{:#?}", d.needs_confirmation);
    let item = &d.needs_confirmation[0];
    assert_eq!(item.kind, ConfirmKind::AutoconfigRedirect);
    assert_eq!(item.to, "https://config.provider.test/example.xml");
    let asked_provider =
        |http: &HttpServer| http.requests().iter().any(|r| r.host.as_deref() == Some("config.provider.test"));
    assert!(!asked_provider(&http), "the other domain was contacted before the person agreed");

    let cands = follow_confirmed("carol@hosted.test", item, &opts).await.unwrap();
    assert!(asked_provider(&http));
    assert_eq!(cands[0].label, "autoconfig https://config.provider.test/example.xml");
    assert_eq!(cands[0].user.as_deref(), Some("carol"));
    no_credentials_sent(&http);
}

#[tokio::test]
async fn autodiscover_pox_post_with_ssl_on_587_as_starttls() {
    let (http, dns) = setup().await;
    let body = pox(
        "<Protocol><Type>IMAP</Type><Server>mail.example.test</Server><Port>993</Port><SSL>on</SSL><LoginName>EXAMPLE\\alice</LoginName></Protocol>
         <Protocol><Type>SMTP</Type><Server>mail.example.test</Server><Port>587</Port><SSL>on</SSL></Protocol>
         <Protocol><Type>EXCH</Type><Server>ex.example.test</Server></Protocol>",
    );
    http.route(
        Route::post("autodiscover.example.test", "/autodiscover/autodiscover.xml", Reply::xml(body))
            .https_only(),
    );
    let d = discover("alice@example.test", &options(&http, &dns, only(|s| s.autodiscover = true))).await;

    assert_eq!(
        summary(&d),
        vec![
            (Protocol::Imap, "mail.example.test".into(), 993, Security::Implicit),
            (Protocol::Smtp, "mail.example.test".into(), 587, Security::StartTls),
        ]
    );
    let url = "https://autodiscover.example.test/autodiscover/autodiscover.xml";
    assert!(d.candidates.iter().all(|c| c.label == format!("Autodiscover {url}")));
    assert_eq!(d.candidates[0].user.as_deref(), Some("EXAMPLE\\alice"));
    assert_eq!(d.best.outgoing.as_ref().unwrap().security, Security::StartTls);

    let requests = http.requests();
    let post = requests
        .iter()
        .find(|r| r.method == "POST" && r.host.as_deref() == Some("autodiscover.example.test"))
        .unwrap();
    assert_eq!(post.header("content-type"), Some("text/xml; charset=utf-8"), "exactly this header");
    assert!(post.tls);
    let text = post.body_text();
    assert!(text.contains("<EMailAddress>alice@example.test</EMailAddress>"), "{text}");
    assert!(text.contains(
        "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>"
    ));
    no_credentials_sent(&http);
}

#[tokio::test]
async fn autodiscover_redirect_to_another_domain_needs_confirmation() {
    let (http, dns) = setup().await;
    // The POSTs find nothing (404); the plain GET redirects to another domain.
    let elsewhere = "https://autodiscover.elsewhere.test/autodiscover/autodiscover.xml";
    http.route(
        Route::get(
            "autodiscover.redirect.test",
            "/autodiscover/autodiscover.xml",
            Reply::redirect(302, elsewhere),
        )
        .http_only(),
    );
    let settings = pox(
        "<Protocol><Type>IMAP</Type><Server>imap.elsewhere.test</Server><Port>993</Port><SSL>on</SSL></Protocol>",
    );
    http.route(Route::post(
        "autodiscover.elsewhere.test",
        "/autodiscover/autodiscover.xml",
        Reply::xml(settings),
    ));
    let opts = options(&http, &dns, only(|s| s.autodiscover = true));
    let d = discover("dave@redirect.test", &opts).await;

    assert!(d.candidates.is_empty(), "{:#?}", d.candidates);
    assert_eq!(d.needs_confirmation.len(), 1, "{:#?}", d.needs_confirmation);
    let item = &d.needs_confirmation[0];
    assert_eq!((item.kind, item.to.as_str()), (ConfirmKind::AutodiscoverRedirect, elsewhere));
    assert!(item.from.contains("http://autodiscover.redirect.test/autodiscover/autodiscover.xml"));
    let contacted = |http: &HttpServer| {
        http.requests().iter().filter(|r| r.host.as_deref() == Some("autodiscover.elsewhere.test")).count()
    };
    assert_eq!(contacted(&http), 0, "the redirect was followed without asking");
    assert!(
        http.requests()
            .iter()
            .any(|r| r.method == "POST" && r.host.as_deref() == Some("autodiscover.redirect.test"))
    );

    let cands = follow_confirmed("dave@redirect.test", item, &opts).await.unwrap();
    assert_eq!(contacted(&http), 1);
    assert_eq!(cands.len(), 1);
    assert_eq!((cands[0].host.as_str(), cands[0].security), ("imap.elsewhere.test", Security::Implicit));
    assert_eq!(cands[0].label, format!("Autodiscover {elsewhere}"));
    no_credentials_sent(&http);
}

#[tokio::test]
async fn autodiscover_redirect_inside_the_domain_is_followed_with_a_post() {
    let (http, dns) = setup().await;
    let inside = "https://mail.inside.test/autodiscover/autodiscover.xml";
    http.route(
        Route::get(
            "autodiscover.inside.test",
            "/autodiscover/autodiscover.xml",
            Reply::redirect(302, inside),
        )
        .http_only(),
    );
    let settings = pox(
        "<Protocol><Type>POP3</Type><Server>mail.inside.test</Server><Port>110</Port><SSL>on</SSL></Protocol>",
    );
    http.route(
        Route::post("mail.inside.test", "/autodiscover/autodiscover.xml", Reply::xml(settings)).https_only(),
    );
    let d = discover("erin@inside.test", &options(&http, &dns, only(|s| s.autodiscover = true))).await;
    assert!(d.needs_confirmation.is_empty());
    assert_eq!(summary(&d), vec![(Protocol::Pop3, "mail.inside.test".into(), 110, Security::StartTls)]);
    assert_eq!(d.candidates[0].label, format!("Autodiscover {inside}"));
}
