//! Just enough HTTP/1.1 for what the core fetches: discovery's configuration files, a
//! message's remote images, later OAuth2 token requests. One GET or POST per connection, no
//! cookies, no credentials, no compression, no automatic redirects (each caller has its own
//! policy: discovery asks before leaving the domain, remote content checks every hop).
//! Limits are the caller's: the largest body, and one timeout for the whole exchange.
//! Why not reqwest: a dozen crates and a minute of build for a few requests.

mod response;
mod url;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub use response::{Response, is_over_limit};
pub use url::Url;

use crate::error::{Error, Kind, Result};
use crate::net::TrustAnchors;
use crate::net::dns::Dns;

const USER_AGENT: &str = concat!("Tidings/", env!("CARGO_PKG_VERSION"));

/// Where requests really go, whatever the URL's host resolves to (tests). The request
/// keeps the URL's host in `Host`.
#[derive(Debug, Clone, Default)]
pub struct Route {
    /// Every `http://` request connects here.
    pub http: Option<SocketAddr>,
    /// Every `https://` request connects here.
    pub https: Option<SocketAddr>,
    /// The name the HTTPS certificate is checked against (default: the URL's host).
    pub tls_name: Option<String>,
}

/// Which addresses a request may connect to, checked on the address a name resolves to
/// (the connection then goes to that very address, so a second lookup cannot change it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Any address: for servers the person chose (discovery, their provider).
    Anywhere,
    /// Public addresses only: for URLs that come from strangers (a message's remote
    /// content), which must not reach the person's router or printer.
    Public,
    /// Public addresses and loopback: for tests and servers on this machine.
    PublicAndLoopback,
}

/// The client: what to trust, where to connect, how much to take and how long to wait.
#[derive(Clone)]
pub struct Client {
    /// The largest body accepted (the head has its own limit of 64 KiB).
    pub max_body: usize,
    /// For the whole exchange: resolving, connecting, TLS, the request and the answer.
    pub timeout: Duration,
    pub trust: TrustAnchors,
    pub reach: Reach,
    /// The `Accept` header.
    pub accept: &'static str,
    pub route: Option<Route>,
    /// A name server of the caller's choosing, else the system resolver.
    pub(crate) dns: Option<Arc<Dns>>,
}

impl Client {
    /// A client that connects anywhere and accepts anything (`Accept: */*`).
    pub fn new(max_body: usize, timeout: Duration, trust: TrustAnchors) -> Client {
        Client { max_body, timeout, trust, reach: Reach::Anywhere, accept: "*/*", route: None, dns: None }
    }

    pub async fn get(&self, url: &Url) -> Result<Response> {
        self.send(url, "GET", None).await
    }

    /// POSTs `body` with exactly the given `Content-Type` (`text/xml; charset=utf-8` for
    /// Autodiscover, `application/x-www-form-urlencoded` for a token request).
    pub async fn post(&self, url: &Url, content_type: &str, body: &[u8]) -> Result<Response> {
        self.send(url, "POST", Some((content_type, body))).await
    }

    async fn send(&self, url: &Url, method: &str, body: Option<(&str, &[u8])>) -> Result<Response> {
        let mut req = format!(
            "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nAccept: {}\r\nConnection: close\r\n",
            url.target,
            url.authority(),
            self.accept,
        )
        .into_bytes();
        match body {
            Some((content_type, body)) => {
                let content_type: String = content_type.chars().filter(|c| !c.is_control()).collect();
                req.extend(
                    format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len()).bytes(),
                );
                req.extend_from_slice(body);
            }
            None => req.extend_from_slice(b"\r\n"),
        }
        match tokio::time::timeout(self.timeout, self.exchange(url, &req)).await {
            Ok(r) => r,
            Err(_) => Err(Error::new(
                Kind::Network,
                format!("{url} did not answer within {}", seconds(self.timeout)),
            )),
        }
    }

    async fn exchange(&self, url: &Url, request: &[u8]) -> Result<Response> {
        let mut last = None;
        for addr in self.addresses(url).await? {
            match TcpStream::connect(addr).await {
                Ok(tcp) => return self.roundtrip(url, tcp, request).await,
                Err(e) => last = Some(e),
            }
        }
        let e = last.unwrap_or_else(|| std::io::Error::other("no address"));
        Err(Error::network(format!("cannot connect to {}", url.authority()), e))
    }

    async fn roundtrip(&self, url: &Url, tcp: TcpStream, request: &[u8]) -> Result<Response> {
        let what = url.to_string();
        if !url.https {
            return roundtrip(tcp, request, &what, self.max_body).await;
        }
        let name = self.route.as_ref().and_then(|o| o.tls_name.clone()).unwrap_or_else(|| url.host.clone());
        let tls = self.trust.connector(true)?.connect(name.as_str(), tcp).await.map_err(|e| {
            Error::new(Kind::Tls, format!("the TLS handshake with {} failed", url.host))
                .with_source(crate::net::tls::TlsLibrary(e.to_string()))
        })?;
        roundtrip(tls, request, &what, self.max_body).await
    }

    /// The addresses to try, in order: the route's, else the host's that [`Client::reach`]
    /// allows.
    async fn addresses(&self, url: &Url) -> Result<Vec<SocketAddr>> {
        let over = self.route.as_ref().and_then(|o| if url.https { o.https } else { o.http });
        let found: Vec<SocketAddr> = if let Some(a) = over {
            vec![a]
        } else if let Ok(ip) = url.host.parse::<IpAddr>() {
            vec![SocketAddr::new(ip, url.port)]
        } else if let Some(dns) = &self.dns {
            dns.addresses(&url.host).await?.into_iter().map(|ip| SocketAddr::new(ip, url.port)).collect()
        } else {
            tokio::net::lookup_host((url.host.as_str(), url.port))
                .await
                .map_err(|e| Error::network(format!("cannot resolve the host name {}", url.host), e))?
                .collect()
        };
        let Some(first) = found.first().copied() else {
            return Err(Error::new(Kind::Network, format!("the host name {} has no address", url.host)));
        };
        let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| self.may_reach(a.ip())).collect();
        if allowed.is_empty() {
            let at = if url.host == first.ip().to_string() {
                url.host.clone()
            } else {
                format!("{} (at {})", url.host, first.ip())
            };
            return Err(Error::new(
                Kind::Config,
                format!(
                    "{at} is on your own network, and a message may not make Tidings contact your own network"
                ),
            ));
        }
        Ok(allowed)
    }

    fn may_reach(&self, ip: IpAddr) -> bool {
        match self.reach {
            Reach::Anywhere => true,
            Reach::Public => !own_network(ip),
            Reach::PublicAndLoopback => !own_network(ip) || canonical(ip).is_loopback(),
        }
    }
}

/// Whether `ip` belongs to this machine or its local network rather than the Internet:
/// loopback, private (RFC 1918, IPv6 unique local), shared (RFC 6598), link-local,
/// unspecified, broadcast or multicast.
pub fn own_network(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

async fn roundtrip<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    request: &[u8],
    what: &str,
    max_body: usize,
) -> Result<Response> {
    let io = |e| Error::network(format!("the connection to {what} failed"), e);
    s.write_all(request).await.map_err(io)?;
    s.flush().await.map_err(io)?;
    response::read(s, max_body, what).await
}

/// "15 s", "300 ms".
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{} s", d.as_secs()) } else { format!("{} ms", d.as_millis()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_network_addresses() {
        for own in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:192.168.0.1",
        ] {
            assert!(own_network(own.parse().unwrap()), "{own}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:1.1.1.1"] {
            assert!(!own_network(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn loopback_is_allowed_only_when_asked_and_private_never() {
        let mut c = Client::new(1, Duration::from_secs(1), TrustAnchors::default());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        c.reach = Reach::Public;
        assert!(!c.may_reach(ip("127.0.0.1")));
        c.reach = Reach::PublicAndLoopback;
        assert!(c.may_reach(ip("127.0.0.1")) && c.may_reach(ip("::1")));
        assert!(!c.may_reach(ip("192.168.1.1")));
        assert!(c.may_reach(ip("8.8.8.8")));
    }
}
