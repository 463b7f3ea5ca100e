//! Remote images of a message, fetched against the testkit's web server (plain HTTP and
//! HTTPS with a throw-away CA): what is fetched, what is refused, and what the server sees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use tidings_mail::Kind;
use tidings_mail::message::remote::{Fetched, Image, RemotePolicy, fetch};
use tidings_mail::net::TrustAnchors;
use tidings_testkit::dns::DnsServer;
use tidings_testkit::http::{HttpServer, Reply, Route};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR not decoded here";

/// Any host name, this path.
fn at(path: &str, reply: Reply) -> Route {
    Route::new(Some("GET"), None, path, reply)
}

fn png() -> Reply {
    Reply::status(200).header("Content-Type", "image/png").body(PNG)
}

/// The server is on loopback: tests must allow it.
fn policy(server: &HttpServer) -> RemotePolicy {
    RemotePolicy {
        allow_loopback: true,
        trust: TrustAnchors {
            extra_ca_pem: server.ca_pem().map(|c| vec![c.to_vec()]).unwrap_or_default(),
            pin: None,
        },
        ..RemotePolicy::default()
    }
}

fn url(server: &HttpServer, path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", server.http_addr().port())
}

async fn one(url: String, policy: &RemotePolicy) -> Fetched {
    let mut all = fetch(vec![url], policy).await;
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn image(f: &Fetched) -> &Image {
    match &f.result {
        Ok(i) => i,
        Err(e) => panic!("{}: {e}", f.url),
    }
}

fn error(f: &Fetched) -> (Kind, String) {
    match &f.result {
        Ok(i) => panic!("{} was fetched ({} bytes of {})", f.url, i.bytes.len(), i.content_type),
        Err(e) => (e.kind(), e.to_string()),
    }
}

#[tokio::test]
async fn an_image_over_http_and_https() {
    let server = HttpServer::start_with_tls().await.unwrap();
    server.route(at("/a.png", png()));
    server.route(at(
        "/b.jpg",
        Reply::status(200).header("Content-Type", "image/jpeg; x=y").body(b"\xff\xd8\xff\xe0jpeg"),
    ));
    let p = policy(&server);
    let got = one(url(&server, "/a.png"), &p).await;
    assert_eq!(image(&got), &Image { content_type: "image/png".into(), bytes: PNG.to_vec() });

    let https = format!("https://localhost:{}/b.jpg", server.https_addr().unwrap().port());
    let got = one(https.clone(), &p).await;
    assert_eq!(image(&got).content_type, "image/jpeg");
    assert!(server.requests().iter().any(|r| r.tls && r.path == "/b.jpg"));

    // The certificate is verified: without its CA, no image.
    let untrusting = RemotePolicy { trust: TrustAnchors::default(), ..p };
    assert_eq!(error(&one(https, &untrusting).await).0, Kind::Tls);
}

#[tokio::test]
async fn three_redirects_are_followed_without_cookies() {
    let server = HttpServer::start().await.unwrap();
    let absolute = url(&server, "/r3");
    server.route(at("/r1", Reply::redirect(302, "/r2").header("Set-Cookie", "track=1; Path=/")));
    server.route(at("/r2", Reply::redirect(301, &absolute)));
    server.route(at("/r3", Reply::redirect(307, "/img.png")));
    server.route(at("/img.png", png()));
    let got = one(url(&server, "/r1"), &policy(&server)).await;
    assert_eq!(image(&got).bytes, PNG);
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/r1", "/r2", "/r3", "/img.png"]);
    for r in server.requests() {
        assert_eq!(r.header("cookie"), None, "{r:?}");
        assert_eq!(r.header("referer"), None, "{r:?}");
    }
}

#[tokio::test]
async fn a_fourth_redirect_is_refused() {
    let server = HttpServer::start().await.unwrap();
    for (from, to) in [("/r1", "/r2"), ("/r2", "/r3"), ("/r3", "/r4"), ("/r4", "/img.png")] {
        server.route(at(from, Reply::redirect(302, to)));
    }
    server.route(at("/img.png", png()));
    let (kind, words) = error(&one(url(&server, "/r1"), &policy(&server)).await);
    assert_eq!(kind, Kind::Protocol);
    assert!(words.contains("after 3 redirects"), "{words}");
    assert!(!server.requests().iter().any(|r| r.path == "/img.png"));
}

#[tokio::test]
async fn a_redirect_is_checked_like_the_first_url() {
    let server = HttpServer::start().await.unwrap();
    server.route(at("/to-router", Reply::redirect(302, "http://192.168.1.1/admin")));
    server.route(at("/to-file", Reply::redirect(302, "file:///etc/passwd")));
    let p = policy(&server);
    let (kind, words) = error(&one(url(&server, "/to-router"), &p).await);
    assert_eq!(kind, Kind::Config);
    assert!(words.contains("192.168.1.1 is on your own network"), "{words}");
    assert_eq!(error(&one(url(&server, "/to-file"), &p).await).0, Kind::Protocol);
}

#[tokio::test]
async fn only_images_come_back() {
    let server = HttpServer::start().await.unwrap();
    let html = "<html><body><img src=http://tracker.example/x.png></body></html>";
    server.route(at("/page", Reply::status(200).header("Content-Type", "text/html").body(html)));
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    server.route(at("/a.svg", Reply::status(200).header("Content-Type", "image/svg+xml").body(svg)));
    server.route(at(
        "/octet.png",
        Reply::status(200).header("Content-Type", "application/octet-stream").body(PNG),
    ));
    server.route(at("/untyped.gif", Reply::status(200).body(b"GIF89a\x01\0\x01\0")));
    server.route(at("/untyped.html", Reply::status(200).body(html)));
    server.route(at("/missing.png", Reply::status(404).header("Content-Type", "image/png").body(PNG)));
    let p = policy(&server);

    let (kind, words) = error(&one(url(&server, "/page"), &p).await);
    assert_eq!(kind, Kind::Protocol);
    assert!(words.contains("text/html, not an image"), "{words}");
    let (kind, words) = error(&one(url(&server, "/a.svg"), &p).await);
    assert_eq!(kind, Kind::Protocol);
    assert!(words.contains("image/svg+xml"), "{words}");
    assert_eq!(error(&one(url(&server, "/untyped.html"), &p).await).0, Kind::Protocol);
    assert!(error(&one(url(&server, "/missing.png"), &p).await).1.contains("HTTP 404"));

    // No type, or a generic one: the bytes decide.
    assert_eq!(image(&one(url(&server, "/octet.png"), &p).await).content_type, "image/png");
    assert_eq!(image(&one(url(&server, "/untyped.gif"), &p).await).content_type, "image/gif");
}

#[tokio::test]
async fn an_oversized_answer_is_cut_off() {
    let server = HttpServer::start().await.unwrap();
    let big = vec![0u8; 100 * 1024];
    server.route(at("/announced.png", png().body(big)));
    let piece = vec![b'x'; 1024];
    server.route(at("/endless-chunked.png", png().body(piece.clone()).chunked().endless()));
    server.route(at("/endless-close.png", png().body(piece).endless()));
    // Long timeouts: only the size limit can end the endless ones quickly.
    let p = RemotePolicy {
        max_image_bytes: 64 * 1024,
        image_time: Duration::from_secs(20),
        batch_time: Duration::from_secs(20),
        ..policy(&server)
    };
    let started = Instant::now();
    let (kind, words) = error(&one(url(&server, "/announced.png"), &p).await);
    assert_eq!(kind, Kind::Protocol);
    assert!(words.contains("announced 100 KiB, more than the 64 KiB accepted"), "{words}");
    for path in ["/endless-chunked.png", "/endless-close.png"] {
        let (kind, words) = error(&one(url(&server, path), &p).await);
        assert_eq!(kind, Kind::Protocol, "{path}");
        assert!(words.contains("sent more than 64 KiB"), "{path}: {words}");
    }
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = HttpServer::start().await.unwrap();
    server.route(at("/slow.png", Reply::hang()));
    let p = RemotePolicy { image_time: Duration::from_millis(300), ..policy(&server) };
    let started = Instant::now();
    let (kind, words) = error(&one(url(&server, "/slow.png"), &p).await);
    assert_eq!(kind, Kind::Network);
    assert!(words.contains("within 300 ms"), "{words}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_batch_has_one_deadline() {
    let server = HttpServer::start().await.unwrap();
    server.route(at("/slow.png", Reply::hang()));
    let p = RemotePolicy {
        image_time: Duration::from_secs(20),
        batch_time: Duration::from_millis(400),
        ..policy(&server)
    };
    let urls: Vec<String> = (0..6).map(|i| url(&server, &format!("/slow.png?{i}"))).collect();
    let started = Instant::now();
    let all = fetch(urls, &p).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(all.len(), 6);
    let words: Vec<String> = all.iter().map(|f| error(f).1).collect();
    // Four at a time: the first four run out of time, the other two never start.
    assert_eq!(server.requests().len(), 4, "{words:?}");
    assert!(words[4..].iter().all(|w| w.contains("ran out")), "{words:?}");
}

#[tokio::test]
async fn own_network_addresses_are_refused_by_default() {
    let server = HttpServer::start().await.unwrap();
    server.route(at("/a.png", png()));
    let port = server.http_addr().port();
    let dns = DnsServer::start().await.unwrap();
    dns.add_a("img.example.test", Ipv4Addr::LOCALHOST);
    let default = RemotePolicy { dns_server: Some(dns.addr()), ..RemotePolicy::default() };
    let urls = vec![
        format!("http://127.0.0.1:{port}/a.png"),
        format!("http://[::ffff:127.0.0.1]:{port}/a.png"),
        // A name that resolves to loopback: the address is checked, not the name.
        format!("http://img.example.test:{port}/a.png"),
    ];
    for f in fetch(urls.clone(), &default).await {
        let (kind, words) = error(&f);
        assert_eq!(kind, Kind::Config, "{words}");
        assert!(words.contains("may not make Tidings contact your own network"), "{words}");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    // Allowing loopback (tests, local servers) opens loopback and nothing else.
    let loopback = RemotePolicy { allow_loopback: true, ..default };
    for f in fetch(urls, &loopback).await {
        image(&f);
    }
    assert_eq!(server.requests()[2].host.as_deref(), Some("img.example.test"));
    let (kind, _) = error(&one("http://10.1.2.3/a.png".into(), &loopback).await);
    assert_eq!(kind, Kind::Config);
}

#[tokio::test]
async fn the_request_carries_nothing_personal() {
    let server = HttpServer::start().await.unwrap();
    server.route(at("/a.png", png()));
    let p = policy(&server);
    let port = server.http_addr().port();
    image(&one(url(&server, "/a.png"), &p).await);
    let (kind, words) = error(&one(format!("http://me:secret@127.0.0.1:{port}/a.png"), &p).await);
    assert_eq!(kind, Kind::Config);
    assert!(words.contains("user name or password"), "{words}");

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "the URL with credentials must not be contacted");
    let r = &requests[0];
    let mut names: Vec<String> = r.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort();
    assert_eq!(names, ["accept", "connection", "host", "user-agent"], "{r:?}");
    assert_eq!(r.header("accept"), Some("image/*"));
    assert!(r.header("user-agent").unwrap().starts_with("Tidings/"));
}

#[tokio::test]
async fn past_the_image_cap_the_rest_are_not_fetched() {
    let server = HttpServer::start().await.unwrap();
    server.route(at("/a.png", png()));
    let p = RemotePolicy { max_images: 3, ..policy(&server) };
    let mut urls: Vec<String> = (0..5).map(|i| url(&server, &format!("/a.png?{i}"))).collect();
    urls.insert(1, urls[0].clone()); // the same image twice is fetched once
    let all = fetch(urls, &p).await;
    assert_eq!(all.len(), 5);
    for f in &all[..3] {
        image(f);
    }
    for f in &all[3..] {
        let (kind, words) = error(f);
        assert_eq!(kind, Kind::Config);
        assert!(words.contains("at most 3 remote images"), "{words}");
    }
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn the_images_of_a_message_share_one_byte_budget() {
    let server = HttpServer::start().await.unwrap();
    let mut body = PNG.to_vec();
    body.resize(40 * 1024, 0);
    server.route(at("/a.png", png().body(body)));
    let p = RemotePolicy { max_total_bytes: 100 * 1024, parallel: 1, ..policy(&server) };
    let urls: Vec<String> = (0..4).map(|i| url(&server, &format!("/a.png?{i}"))).collect();
    let all = fetch(urls, &p).await;
    image(&all[0]);
    image(&all[1]);
    // The third may take only the 20 KiB left, and so may the fourth.
    for f in &all[2..] {
        let (kind, words) = error(f);
        assert_eq!(kind, Kind::Config);
        assert!(words.contains("together would be more than 100 KiB"), "{words}");
    }
    assert_eq!(server.requests().len(), 4);
}
