//! Forms, PKCE and a one-shot HTTP client: what a test needs to play the browser and the client.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// `application/x-www-form-urlencoded` (also a query string) into a map; the first of a
/// repeated name wins.
pub fn parse_form(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(percent_decode(name)).or_insert_with(|| percent_decode(value));
    }
    out
}

/// `name=value&…`, percent-encoding all but the unreserved characters.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(n, v)| format!("{}={}", enc(n), enc(v))).collect::<Vec<_>>().join("&")
}

pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `uri` with `pairs` added to its query.
pub(super) fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", form_encode(pairs))
}

/// The S256 `code_challenge` of a PKCE `verifier` (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An HTTP answer, for a test playing the browser or the client.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }
    /// The query of the `Location` header, decoded (`code`, `state`, `error`…).
    pub fn location_query(&self) -> HashMap<String, String> {
        let query = self.location().and_then(|l| l.split_once('?')).map_or("", |(_, q)| q);
        parse_form(query)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The body as JSON (`Value::Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A one-shot `GET` over HTTP, or HTTPS trusting only `ca_pem`. Does not follow redirects.
pub async fn get(url: &str, ca_pem: Option<&[u8]>) -> io::Result<Response> {
    fetch("GET", url, &[], b"", ca_pem).await
}

/// A one-shot form `POST`, with HTTP Basic when `basic` is given.
pub async fn post_form(
    url: &str,
    pairs: &[(&str, &str)],
    basic: Option<(&str, &str)>,
    ca_pem: Option<&[u8]>,
) -> io::Result<Response> {
    let mut headers = vec![("Content-Type".to_owned(), "application/x-www-form-urlencoded".to_owned())];
    if let Some((user, pass)) = basic {
        headers
            .push(("Authorization".into(), format!("Basic {}", STANDARD.encode(format!("{user}:{pass}")))));
    }
    fetch("POST", url, &headers, form_encode(pairs).as_bytes(), ca_pem).await
}

/// HTTP/1.1 with `Connection: close`; the answer is read until the server closes (no chunked
/// bodies), within 10 s.
pub(super) async fn fetch(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    ca_pem: Option<&[u8]>,
) -> io::Result<Response> {
    let invalid = || io::Error::new(io::ErrorKind::InvalidInput, format!("cannot fetch {url:?}"));
    let (tls, rest) = match url.split_once("://") {
        Some(("http", rest)) => (false, rest),
        Some(("https", rest)) => (true, rest),
        _ => return Err(invalid()),
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(split);
    let target = if target.is_empty() { "/" } else { target };
    let default_port = if tls { 443 } else { 80 };
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, port) = v6.split_once(']').ok_or_else(invalid)?;
            (host, port.strip_prefix(':').map(str::parse).transpose().map_err(|_| invalid())?)
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port.parse().map_err(|_| invalid())?)),
            None => (authority, None),
        },
    };
    let port: u16 = port.unwrap_or(default_port);
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let exchange = async {
        let tcp = TcpStream::connect((host, port)).await?;
        if tls {
            let mut builder = native_tls::TlsConnector::builder();
            if let Some(ca) = ca_pem {
                builder
                    .add_root_certificate(native_tls::Certificate::from_pem(ca).map_err(io::Error::other)?);
                builder.disable_built_in_roots(true);
            }
            let connector: tokio_native_tls::TlsConnector = builder.build().map_err(io::Error::other)?.into();
            let stream = connector.connect(host, tcp).await.map_err(io::Error::other)?;
            round_trip(stream, &request).await
        } else {
            round_trip(tcp, &request).await
        }
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, format!("{url} did not answer in 10 s")))??;
    parse_response(&raw).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an HTTP answer"))
}

async fn round_trip<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, request: &[u8]) -> io::Result<Vec<u8>> {
    stream.write_all(request).await?;
    stream.flush().await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    Ok(raw)
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Response { status, headers, body: raw[end + 4..].to_vec() })
}
