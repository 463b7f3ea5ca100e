//! A tiny HTTP/1.1 server on 127.0.0.1 for discovery and remote-content tests: plain, and
//! optionally HTTPS with a throw-away CA (the leaf names `localhost` and 127.0.0.1). It serves
//! configured routes (method, `Host` header, path) with fixed replies — content, an error
//! status, a redirect, a body that never ends, or no answer at all — and records every
//! request so a test can check what a client sent (no credentials, the exact Content-Type…).
//! One request per connection.
//!
//! Clients reach it by sending the original host name in `Host` while connecting here, so
//! `autoconfig.example.test` needs no DNS entry.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::certs::{self, Certs};

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 4 * 1024 * 1024;

/// What a route answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body with `Transfer-Encoding: chunked` (in small chunks).
    pub chunked: bool,
    /// Read the request and never answer: for timeout tests.
    pub hang: bool,
    /// Send the body again and again, never ending: chunked when `chunked`, else with no
    /// Content-Length (until the connection closes). For size-limit tests.
    pub endless: bool,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: Vec::new(), chunked: false, hang: false, endless: false }
    }

    /// 200 with `Content-Type: text/xml`.
    pub fn xml(body: impl Into<Vec<u8>>) -> Reply {
        Reply::status(200).header("Content-Type", "text/xml; charset=utf-8").body(body)
    }

    /// A redirect (301, 302, 307…) to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("Location", location)
    }

    pub fn hang() -> Reply {
        Reply { hang: true, ..Reply::status(200) }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    pub fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }

    /// Sends the body again and again, never ending (see the `endless` field); the body
    /// must not be empty.
    pub fn endless(mut self) -> Reply {
        self.endless = true;
        self
    }
}

/// Which requests a reply is for. `None` fields match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Option<String>,
    /// Compared with the `Host` header without its port, case-insensitively.
    pub host: Option<String>,
    /// The path without the query string.
    pub path: String,
    /// `Some(true)`: only over HTTPS; `Some(false)`: only over plain HTTP.
    pub tls: Option<bool>,
    pub reply: Reply,
}

impl Route {
    pub fn new(method: Option<&str>, host: Option<&str>, path: &str, reply: Reply) -> Route {
        Route {
            method: method.map(str::to_ascii_uppercase),
            host: host.map(str::to_ascii_lowercase),
            path: path.into(),
            tls: None,
            reply,
        }
    }

    pub fn get(host: &str, path: &str, reply: Reply) -> Route {
        Route::new(Some("GET"), Some(host), path, reply)
    }

    pub fn post(host: &str, path: &str, reply: Reply) -> Route {
        Route::new(Some("POST"), Some(host), path, reply)
    }

    pub fn https_only(mut self) -> Route {
        self.tls = Some(true);
        self
    }

    pub fn http_only(mut self) -> Route {
        self.tls = Some(false);
        self
    }

    fn matches(&self, req: &Request) -> bool {
        self.method.as_deref().is_none_or(|m| m == req.method)
            && self.host.as_deref().is_none_or(|h| Some(h) == req.host.as_deref())
            && self.tls.is_none_or(|t| t == req.tls)
            && self.path == req.path
    }
}

/// A request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub path: String,
    pub query: Option<String>,
    /// The `Host` header, lower case, without the port.
    pub host: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub tls: bool,
}

impl Request {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, Default)]
struct State {
    routes: Vec<Route>,
    requests: Vec<Request>,
}

type Shared = Arc<Mutex<State>>;

/// A running server; dropping it closes the listeners and every connection.
#[derive(Debug)]
pub struct HttpServer {
    http: SocketAddr,
    https: Option<SocketAddr>,
    state: Shared,
    tasks: Vec<JoinHandle<()>>,
    tls: Option<(Certs, TempDir)>,
}

impl HttpServer {
    /// Plain HTTP only. Needs a tokio runtime.
    pub async fn start() -> io::Result<HttpServer> {
        let state = Shared::default();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let http = listener.local_addr()?;
        let tasks = vec![tokio::spawn(accept_loop(listener, None, Arc::clone(&state)))];
        Ok(HttpServer { http, https: None, state, tasks, tls: None })
    }

    /// Plain HTTP and HTTPS (certificate from a fresh CA: trust [`HttpServer::ca_pem`]).
    pub async fn start_with_tls() -> io::Result<HttpServer> {
        let (certs, dir) = tokio::task::spawn_blocking(|| -> Result<_, crate::TestkitError> {
            let openssl = crate::sys::openssl()?;
            let dir = tempfile::Builder::new()
                .prefix("tidings-http-")
                .tempdir()
                .map_err(crate::TestkitError::io("creating a temp dir"))?;
            let certs = certs::make(&openssl, dir.path(), "Tidings HTTP test CA")?;
            Ok((certs, dir))
        })
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)?;
        let identity =
            native_tls::Identity::from_pkcs8(&certs.chain_pem, &certs.key_pem).map_err(io::Error::other)?;
        let acceptor: tokio_native_tls::TlsAcceptor =
            native_tls::TlsAcceptor::new(identity).map_err(io::Error::other)?.into();
        let mut server = HttpServer::start().await?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        server.https = Some(listener.local_addr()?);
        server.tasks.push(tokio::spawn(accept_loop(listener, Some(acceptor), Arc::clone(&server.state))));
        server.tls = Some((certs, dir));
        Ok(server)
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http
    }

    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https
    }

    /// The CA that signed the HTTPS certificate (PEM), when started with TLS.
    pub fn ca_pem(&self) -> Option<&[u8]> {
        self.tls.as_ref().map(|(c, _)| c.ca_pem.as_slice())
    }

    /// Adds a route; the first matching route answers, unmatched requests get 404.
    pub fn route(&self, route: Route) {
        self.lock().routes.push(route);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, tls: Option<tokio_native_tls::TlsAcceptor>, state: Shared) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((socket, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let state = Arc::clone(&state);
        match tls.clone() {
            None => connections.spawn(async move { serve(socket, false, state).await }),
            Some(acceptor) => connections.spawn(async move {
                match acceptor.accept(socket).await {
                    Ok(stream) => serve(stream, true, state).await,
                    Err(e) => Err(io::Error::other(e)),
                }
            }),
        };
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, tls: bool, state: Shared) -> io::Result<()> {
    let Some(request) = read_request(&mut stream, tls).await? else { return Ok(()) };
    let reply = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.requests.push(request.clone());
        st.routes.iter().find(|r| r.matches(&request)).map(|r| r.reply.clone())
    };
    let reply = reply.unwrap_or_else(|| Reply::status(404).body("not found"));
    if reply.hang {
        // Keep the connection open until the server is dropped.
        std::future::pending::<()>().await;
    }
    if reply.endless && !reply.body.is_empty() {
        let framing = if reply.chunked { "Transfer-Encoding: chunked\r\n" } else { "" };
        let head =
            format!("HTTP/1.1 {} {}\r\n{framing}Connection: close\r\n", reply.status, reason(reply.status));
        let mut head = head.into_bytes();
        for (n, v) in &reply.headers {
            head.extend(format!("{n}: {v}\r\n").into_bytes());
        }
        head.extend(b"\r\n");
        stream.write_all(&head).await?;
        let mut piece = Vec::new();
        if reply.chunked {
            piece.extend(format!("{:x}\r\n", reply.body.len()).into_bytes());
        }
        piece.extend(&reply.body);
        if reply.chunked {
            piece.extend(b"\r\n");
        }
        // Until the client goes away (the write fails) or the server is dropped.
        loop {
            stream.write_all(&piece).await?;
        }
    }
    stream.write_all(&render(&reply)).await?;
    stream.flush().await?;
    stream.shutdown().await
}

pub(crate) fn render(reply: &Reply) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status)).into_bytes();
    for (n, v) in &reply.headers {
        out.extend(format!("{n}: {v}\r\n").into_bytes());
    }
    if reply.chunked {
        out.extend(b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        for chunk in reply.body.chunks(7) {
            out.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
            out.extend(chunk);
            out.extend(b"\r\n");
        }
        out.extend(b"0\r\n\r\n");
    } else {
        out.extend(format!("Content-Length: {}\r\nConnection: close\r\n\r\n", reply.body.len()).into_bytes());
        out.extend(&reply.body);
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// Reads the head and a `Content-Length` body. `None` if the client closed first.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    tls: bool,
) -> io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::other("request head too long"));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_ascii_uppercase();
    let target = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let find = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let length = find("content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0).min(MAX_BODY);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let host = find("host").map(|h| {
        let h = h.to_ascii_lowercase();
        h.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok()).map(|(h, _)| h.to_string()).unwrap_or(h)
    });
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.clone(), None),
    };
    Ok(Some(Request { method, target, path, query, host, headers, body, tls }))
}
