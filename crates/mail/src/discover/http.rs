//! Just enough HTTP/1.1 for discovery: one GET or POST per connection, no cookies, no
//! credentials, no automatic redirects (the callers decide, because a redirect to another
//! domain needs the person's consent). Bodies by Content-Length, chunked, or until close,
//! capped at 1 MiB. Why not reqwest: a dozen crates and a minute of build for four requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::dns::Dns;
use super::names::within;
use super::types::HttpOverride;
use crate::error::{Error, Kind, Result};
use crate::net::TrustAnchors;

const MAX_RESPONSE: usize = 1024 * 1024;
const USER_AGENT: &str = concat!("Tidings/", env!("CARGO_PKG_VERSION"));

/// An absolute http(s) URL, split the way a request needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with "/".
    pub target: String,
}

impl Url {
    pub fn parse(text: &str) -> Option<Url> {
        let (https, rest) = if let Some(r) = text.strip_prefix("https://") {
            (true, r)
        } else {
            (false, text.strip_prefix("http://")?)
        };
        let (authority, target) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        let target = target.split('#').next().unwrap_or("/").to_string();
        if authority.contains('@') || authority.starts_with('[') {
            return None; // no user info, no IPv6 literals: discovery never needs them
        }
        let default = if https { 443 } else { 80 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, default),
        };
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        if host.is_empty() || !host.chars().all(ok) {
            return None;
        }
        Some(Url { https, host: host.trim_end_matches('.').to_ascii_lowercase(), port, target })
    }

    /// Resolves a `Location` header against this URL.
    pub fn join(&self, location: &str) -> Option<Url> {
        if location.starts_with("http://") || location.starts_with("https://") {
            return Url::parse(location);
        }
        if location.starts_with("//") {
            return Url::parse(&format!("{}:{location}", if self.https { "https" } else { "http" }));
        }
        if location.starts_with('/') {
            return Some(Url { target: location.to_string(), ..self.clone() });
        }
        None
    }

    fn default_port(&self) -> bool {
        self.port == if self.https { 443 } else { 80 }
    }

    /// The `Host` header value.
    fn authority(&self) -> String {
        if self.default_port() { self.host.clone() } else { format!("{}:{}", self.host, self.port) }
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority(), self.target)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The redirect target, for 301/302/303/307/308.
    pub fn location(&self) -> Option<&str> {
        matches!(self.status, 301 | 302 | 303 | 307 | 308).then(|| self.header("location")).flatten()
    }
}

/// The client: where to connect, what to trust, how long to wait.
pub(crate) struct Http {
    pub route: Option<HttpOverride>,
    pub trust: TrustAnchors,
    pub timeout: Duration,
    /// A name server of the caller's choosing, else the system resolver.
    pub dns: Option<Arc<Dns>>,
}

impl Http {
    pub async fn get(&self, url: &Url) -> Result<Response> {
        self.send(url, "GET", None).await
    }

    /// POSTs an XML body with exactly `Content-Type: text/xml; charset=utf-8` (Autodiscover).
    pub async fn post_xml(&self, url: &Url, body: &str) -> Result<Response> {
        self.send(url, "POST", Some(body)).await
    }

    async fn send(&self, url: &Url, method: &str, body: Option<&str>) -> Result<Response> {
        let mut req = format!(
            "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n",
            url.target,
            url.authority()
        );
        if let Some(body) = body {
            req.push_str(&format!(
                "Content-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            req.push_str("\r\n");
        }
        match timeout(self.timeout, self.exchange(url, req.as_bytes())).await {
            Ok(r) => r,
            Err(_) => {
                Err(Error::new(Kind::Network, format!("{url} did not answer within {:?}", self.timeout)))
            }
        }
    }

    async fn exchange(&self, url: &Url, request: &[u8]) -> Result<Response> {
        let over = self.route.as_ref().and_then(|o| if url.https { o.https } else { o.http });
        let addr: SocketAddr = match (over, &self.dns) {
            (Some(a), _) => a,
            (None, Some(dns)) => {
                let ip = dns.addresses(&url.host).await?.into_iter().next().ok_or_else(|| {
                    Error::new(Kind::Network, format!("the host name {} has no address", url.host))
                })?;
                SocketAddr::new(ip, url.port)
            }
            (None, None) => tokio::net::lookup_host((url.host.as_str(), url.port))
                .await
                .map_err(|e| Error::network(format!("cannot resolve the host name {}", url.host), e))?
                .next()
                .ok_or_else(|| {
                    Error::new(Kind::Network, format!("the host name {} has no address", url.host))
                })?,
        };
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| Error::network(format!("cannot connect to {}", url.authority()), e))?;
        if !url.https {
            return roundtrip(tcp, request, url).await;
        }
        let name = self.route.as_ref().and_then(|o| o.tls_name.clone()).unwrap_or_else(|| url.host.clone());
        let tls = self.trust.connector(true)?.connect(name.as_str(), tcp).await.map_err(|e| {
            Error::new(Kind::Tls, format!("the TLS handshake with {} failed", url.host))
                .with_server(e.to_string())
        })?;
        roundtrip(tls, request, url).await
    }
}

/// What [`Http::fetch`] ended with.
pub(crate) enum Fetch {
    /// An answer (any status) from `url`, after redirects inside the domain.
    Answer {
        url: Url,
        response: Response,
    },
    /// A redirect out of the domain: not followed.
    Outside {
        from: Url,
        to: String,
    },
    Failed(String),
}

const MAX_REDIRECTS: usize = 5;

impl Http {
    /// GET (or POST `body`) following redirects that stay inside `domain` and do not drop
    /// from HTTPS to HTTP; a redirect elsewhere is returned for the person to confirm.
    pub async fn fetch(&self, mut url: Url, body: Option<&str>, domain: &str) -> Fetch {
        for _ in 0..=MAX_REDIRECTS {
            let sent = match body {
                Some(b) => self.post_xml(&url, b).await,
                None => self.get(&url).await,
            };
            let response = match sent {
                Ok(r) => r,
                Err(e) => return Fetch::Failed(e.to_string()),
            };
            let Some(location) = response.location() else { return Fetch::Answer { url, response } };
            let Some(next) = url.join(location) else {
                return Fetch::Failed(format!(
                    "HTTP {} to an unusable location {location:?}",
                    response.status
                ));
            };
            if !within(&next.host, domain) {
                return Fetch::Outside { from: url, to: next.to_string() };
            }
            if url.https && !next.https {
                return Fetch::Failed(format!("refused a redirect from HTTPS to {next}"));
            }
            url = next;
        }
        Fetch::Failed(format!("more than {MAX_REDIRECTS} redirects"))
    }
}

async fn roundtrip<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    request: &[u8],
    url: &Url,
) -> Result<Response> {
    let io = |e| Error::network(format!("the connection to {} failed", url.host), e);
    s.write_all(request).await.map_err(io)?;
    s.flush().await.map_err(io)?;
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 8192];
        let n = s.read(&mut chunk).await.map_err(io)?;
        buf.extend_from_slice(&chunk[..n]);
        if let Some(resp) = parse_response(&buf, n == 0) {
            return resp;
        }
        if buf.len() > MAX_RESPONSE {
            return Err(Error::new(Kind::Protocol, format!("{url} sent more than {MAX_RESPONSE} bytes")));
        }
    }
}

/// `None` while more bytes are needed; `eof` says the server closed.
fn parse_response(buf: &[u8], eof: bool) -> Option<Result<Response>> {
    let bad = |what: &str| Some(Err(Error::new(Kind::Protocol, format!("not an HTTP response: {what}"))));
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if eof { bad("the connection closed before the headers ended") } else { None };
    };
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = match status_line.split(' ').collect::<Vec<_>>().as_slice() {
        [v, code, ..] if v.starts_with("HTTP/1.") => code.parse::<u16>().ok(),
        _ => None,
    };
    let Some(status) = status else { return bad(status_line) };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &buf[head_end + 4..];
    if (100..200).contains(&status) {
        // An interim answer (100 Continue): the real one follows.
        return parse_response(rest, eof);
    }
    let resp = |body: Vec<u8>| Some(Ok(Response { status, headers: headers.clone(), body }));
    let find = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    if find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        return match dechunk(rest) {
            Some(body) => resp(body),
            None if eof => bad("the chunked body was cut off"),
            None => None,
        };
    }
    if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if rest.len() >= len {
            return resp(rest[..len].to_vec());
        }
        return if eof { bad("the body was cut off") } else { None };
    }
    if eof { resp(rest.to_vec()) } else { None }
}

/// Decodes a complete chunked body; `None` if incomplete.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out); // trailers, if any, are ignored
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_join_and_print() {
        let u = Url::parse("https://Autoconfig.Example.com/mail/config-v1.1.xml?emailaddress=a%40b").unwrap();
        assert_eq!((u.https, u.host.as_str(), u.port), (true, "autoconfig.example.com", 443));
        assert_eq!(u.target, "/mail/config-v1.1.xml?emailaddress=a%40b");
        assert_eq!(u.to_string(), "https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=a%40b");
        let v = Url::parse("http://example.com:8080").unwrap();
        assert_eq!((v.port, v.target.as_str()), (8080, "/"));
        assert_eq!(v.to_string(), "http://example.com:8080/");
        assert_eq!(v.join("/x").unwrap().to_string(), "http://example.com:8080/x");
        assert_eq!(v.join("https://other.test/y").unwrap().host, "other.test");
        assert!(Url::parse("ftp://example.com/").is_none());
        assert!(Url::parse("https://user@example.com/").is_none());
        assert!(v.join("relative").is_none());
    }

    #[test]
    fn responses_by_length_chunked_and_close() {
        let r =
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", false).unwrap().unwrap();
        assert_eq!(r.body, b"abc");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", false).is_none());
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked, false).unwrap().unwrap().body, b"abcde");
        let close = b"HTTP/1.0 302 Found\r\nLocation: https://x.test/\r\n\r\nmoved";
        assert!(parse_response(close, false).is_none());
        let r = parse_response(close, true).unwrap().unwrap();
        assert_eq!(
            (r.status, r.location(), r.body.as_slice()),
            (302, Some("https://x.test/"), &b"moved"[..])
        );
        let cont = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(parse_response(cont, false).unwrap().unwrap().status, 404);
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n", false).unwrap().is_err());
    }
}
