//! The DNS and HTTP test servers answer like real ones: checked with hickory's resolver and
//! with raw HTTP/1.1 over TCP and TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use tidings_testkit::dns::{DnsServer, TYPE_SRV};
use tidings_testkit::http::{HttpServer, Reply, Route};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

fn resolver(addr: SocketAddr, tcp_only: bool) -> TokioResolver {
    let mut ns =
        if tcp_only { NameServerConfig::tcp(addr.ip()) } else { NameServerConfig::udp_and_tcp(addr.ip()) };
    for c in &mut ns.connections {
        c.port = addr.port();
    }
    let mut b = TokioResolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![ns]),
        TokioRuntimeProvider::default(),
    );
    b.options_mut().use_hosts_file = ResolveHosts::Never;
    b.options_mut().timeout = Duration::from_secs(1);
    b.options_mut().attempts = 1;
    b.build().unwrap()
}

#[tokio::test]
async fn dns_answers_a_srv_mx_and_nxdomain() {
    let dns = DnsServer::start().await.unwrap();
    dns.add_a("*.example.test", Ipv4Addr::LOCALHOST);
    dns.add_a("example.test", Ipv4Addr::new(192, 0, 2, 1));
    dns.add_srv("_imaps._tcp.example.test", 0, 1, 993, "imap.example.test");
    dns.add_srv("_pop3s._tcp.example.test", 0, 0, 0, ".");
    dns.add_mx("example.test", 20, "mx2.mailhost.test");
    dns.add_mx("example.test", 10, "mx1.mailhost.test");

    for tcp_only in [false, true] {
        let r = resolver(dns.addr(), tcp_only);
        let ips: Vec<_> = r.lookup_ip("imap.example.test.").await.unwrap().iter().collect();
        assert_eq!(ips, vec![std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)], "tcp_only={tcp_only}");
        let ips: Vec<_> = r.lookup_ip("example.test.").await.unwrap().iter().collect();
        assert_eq!(ips, vec![std::net::IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))]);

        let srv = r.srv_lookup("_imaps._tcp.example.test.").await.unwrap();
        let RData::SRV(s) = &srv.answers()[0].data else { panic!("not SRV") };
        assert_eq!((s.port, s.target.to_ascii().as_str()), (993, "imap.example.test."));
        let srv = r.srv_lookup("_pop3s._tcp.example.test.").await.unwrap();
        let RData::SRV(s) = &srv.answers()[0].data else { panic!("not SRV") };
        assert!(s.target.is_root(), "\".\" target stays the root name");

        let mx = r.mx_lookup("example.test.").await.unwrap();
        let mut got: Vec<(u16, String)> = mx
            .answers()
            .iter()
            .filter_map(|rec| match &rec.data {
                RData::MX(m) => Some((m.preference, m.exchange.to_ascii())),
                _ => None,
            })
            .collect();
        got.sort();
        assert_eq!(got, vec![(10, "mx1.mailhost.test.".into()), (20, "mx2.mailhost.test.".into())]);

        let err = r.srv_lookup("_imap._tcp.nowhere.test.").await.unwrap_err();
        assert!(err.is_nx_domain(), "{err}");
        let err = r.srv_lookup("_imap._tcp.example.test.").await.unwrap_err();
        assert!(err.is_no_records_found(), "{err}");
    }
    assert!(dns.queries().iter().any(|q| q.name == "_imaps._tcp.example.test" && q.qtype == TYPE_SRV));
}

#[tokio::test]
async fn dns_can_stay_silent() {
    let dns = DnsServer::start().await.unwrap();
    dns.add_a("example.test", Ipv4Addr::LOCALHOST);
    dns.set_silent(true);
    let r = resolver(dns.addr(), false);
    let t = std::time::Instant::now();
    assert!(r.lookup_ip("example.test.").await.is_err());
    assert!(t.elapsed() >= Duration::from_millis(900), "it waited for a timeout");
    assert!(!dns.queries().is_empty(), "the query was received");
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, request: &str) -> String {
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await.unwrap().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

async fn plain(addr: SocketAddr, request: &str) -> String {
    exchange(TcpStream::connect(addr).await.unwrap(), request).await
}

#[tokio::test]
async fn http_routes_records_and_redirects() {
    let server = HttpServer::start().await.unwrap();
    server.route(Route::get(
        "autoconfig.example.test",
        "/mail/config-v1.1.xml",
        Reply::xml("<clientConfig/>"),
    ));
    server.route(Route::post(
        "autodiscover.example.test",
        "/autodiscover/autodiscover.xml",
        Reply::xml("<ok/>"),
    ));
    server.route(Route::get(
        "autodiscover.example.test",
        "/autodiscover/autodiscover.xml",
        Reply::redirect(302, "https://autodiscover.other.test/autodiscover/autodiscover.xml"),
    ));
    server.route(Route::get("chunky.test", "/", Reply::xml("0123456789abcdef").chunked()));
    let addr = server.http_addr();

    let got = plain(
        addr,
        "GET /mail/config-v1.1.xml?emailaddress=a%40example.test HTTP/1.1\r\nHost: autoconfig.example.test\r\n\r\n",
    )
    .await;
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(got.ends_with("\r\n\r\n<clientConfig/>"), "{got}");
    assert!(got.contains("Content-Length: 15\r\n"), "{got}");

    let body = "<Autodiscover/>";
    let post = format!(
        "POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: Autodiscover.Example.Test:8080\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert!(plain(addr, &post).await.ends_with("<ok/>"));

    let got =
        plain(addr, "GET /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: autodiscover.example.test\r\n\r\n")
            .await;
    assert!(got.starts_with("HTTP/1.1 302 Found\r\n"), "{got}");
    assert!(got.contains("Location: https://autodiscover.other.test/autodiscover/autodiscover.xml\r\n"));

    let got = plain(addr, "GET / HTTP/1.1\r\nHost: chunky.test\r\n\r\n").await;
    assert!(got.contains("Transfer-Encoding: chunked\r\n"), "{got}");
    assert!(got.ends_with("7\r\n0123456\r\n7\r\n789abcd\r\n2\r\nef\r\n0\r\n\r\n"), "{got}");

    let got = plain(addr, "GET /nothing HTTP/1.1\r\nHost: example.test\r\n\r\n").await;
    assert!(got.starts_with("HTTP/1.1 404 "), "{got}");

    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    assert_eq!(requests[0].query.as_deref(), Some("emailaddress=a%40example.test"));
    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[1].host.as_deref(), Some("autodiscover.example.test"), "port dropped, lower case");
    assert_eq!(requests[1].header("content-type"), Some("text/xml; charset=utf-8"));
    assert_eq!(requests[1].body_text(), body);
    assert!(!requests[1].tls);
}

#[tokio::test]
async fn https_with_the_test_ca_and_routes_by_scheme() {
    let server = HttpServer::start_with_tls().await.unwrap();
    server.route(Route::get("example.test", "/x", Reply::xml("secure")).https_only());
    server.route(Route::get("example.test", "/x", Reply::xml("plain")).http_only());
    let https = server.https_addr().unwrap();
    let ca = server.ca_pem().unwrap();

    let tcp = TcpStream::connect(https).await.unwrap();
    let tls = common::connector(Some(ca)).connect("localhost", tcp).await.unwrap();
    let got = exchange(tls, "GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n").await;
    assert!(got.ends_with("secure"), "{got}");
    let got = plain(server.http_addr(), "GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n").await;
    assert!(got.ends_with("plain"), "{got}");

    // Without the CA the certificate is refused.
    let tcp = TcpStream::connect(https).await.unwrap();
    assert!(common::connector(None).connect("localhost", tcp).await.is_err());
    let tls_flags: Vec<bool> = server.requests().iter().map(|r| r.tls).collect();
    assert_eq!(tls_flags, vec![true, false]);
}

#[tokio::test]
async fn http_hang_never_answers() {
    let server = HttpServer::start().await.unwrap();
    server.route(Route::new(None, None, "/slow", Reply::hang()));
    let mut tcp = TcpStream::connect(server.http_addr()).await.unwrap();
    tcp.write_all(b"GET /slow HTTP/1.1\r\nHost: x.test\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(500), tcp.read(&mut buf)).await;
    assert!(read.is_err(), "no answer within 500 ms");
    assert_eq!(server.requests().len(), 1, "the request was still recorded");
}
