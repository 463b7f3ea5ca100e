//! One connection to a mail server: DNS, TCP with timeouts, implicit TLS or a later STARTTLS
//! upgrade, read and write timeouts (async-imap has none), and the tap: every byte that
//! crosses goes to the [`Transcript`] (which redacts credentials), and the first server
//! flight below TLS is kept to read the negotiated version and cipher.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use async_native_tls::TlsStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Sleep, sleep, timeout};

use super::guard::Guard;
pub use super::mismatch::{GREETING_SILENCE, Mismatch};
use super::mismatch::{Greeting, handshake_refused, looks_like_tls, no_greeting_message, starttls_port};
use super::tls::{CertInfo, Fingerprint, TlsLibrary, TlsParams, TrustAnchors, parse_server_hello};
use super::transcript::{Dir, StageName, Transcript};
use crate::account::{Security, Server};
use crate::error::{Error, Kind, Result};

/// How long to wait before giving up.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// DNS, TCP connect and TLS handshake, each.
    pub connect: Duration,
    /// Any single read or write that makes no progress.
    pub io: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(15), io: Duration::from_secs(60) }
    }
}

/// Where to connect and how.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub trust: TrustAnchors,
    pub timeouts: Timeouts,
    /// Accept only TLS 1.3 (the account's "minimum TLS" option); TLS 1.2 otherwise.
    pub require_tls13: bool,
}

impl Endpoint {
    pub fn new(host: impl Into<String>, port: u16, security: Security) -> Endpoint {
        Endpoint {
            host: host.into(),
            port,
            security,
            trust: TrustAnchors::default(),
            timeouts: Timeouts::default(),
            require_tls13: false,
        }
    }

    /// An account's server with the account's TLS policy.
    pub fn for_account(account: &crate::account::Account, server: &Server) -> Result<Endpoint> {
        let mut ep = Endpoint::from_server(server)?;
        ep.require_tls13 = account.options.min_tls == crate::options::MinTls::Tls13;
        Ok(ep)
    }

    /// From account settings: reads the extra CA file and parses the pin.
    pub fn from_server(server: &Server) -> Result<Endpoint> {
        let mut ep = Endpoint::new(server.host.clone(), server.port, server.security);
        if let Some(path) = &server.trust.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                Error::new(Kind::Config, format!("cannot read the CA file {}", path.display())).with_source(e)
            })?;
            // Said here, where the file's name is known, rather than at the first handshake.
            if let Err(e) = async_native_tls::Certificate::from_pem(&pem) {
                return Err(Error::new(
                    Kind::Config,
                    format!(
                        "cannot use the CA file {}: it is not a certificate in PEM form (\"-----BEGIN CERTIFICATE-----\")",
                        path.display()
                    ),
                )
                .with_source(TlsLibrary(e.to_string())));
            }
            ep.trust.extra_ca_pem.push(pem);
        }
        if let Some(pin) = &server.trust.pinned_sha256 {
            ep.trust.pin = Some(Fingerprint::parse(pin)?);
        }
        Ok(ep)
    }

    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// What the TLS layer of a connection negotiated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsSummary {
    pub params: Option<TlsParams>,
    pub certificate: Option<CertInfo>,
    /// Accepted because it matches the pinned fingerprint, not because it verified.
    pub pinned: bool,
}

const FIRST_FLIGHT_MAX: usize = 16 * 1024;

/// The TCP stream, keeping a copy of what the server sends while a handshake runs.
#[derive(Debug)]
pub(super) struct Wire {
    pub(super) tcp: TcpStream,
    pub(super) capture: Option<Arc<Mutex<Vec<u8>>>>,
}

impl AsyncRead for Wire {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some(cap)) = (&res, &self.capture)
            && let Ok(mut cap) = cap.lock()
        {
            let room = FIRST_FLIGHT_MAX.saturating_sub(cap.len());
            let new = &buf.filled()[before..];
            cap.extend_from_slice(&new[..new.len().min(room)]);
        }
        res
    }
}

impl AsyncWrite for Wire {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

#[derive(Debug)]
enum Io {
    Plain(Wire),
    Tls(Box<TlsStream<Wire>>),
    /// Only while an upgrade is in progress, or after one failed.
    Gone,
}

/// A tapped, timed connection. Give it to async-imap, lettre or our POP3 client.
pub struct Connection {
    io: Io,
    transcript: Transcript,
    host: String,
    peer: SocketAddr,
    timeouts: Timeouts,
    read_timeout: Option<Duration>,
    read_sleep: Option<Pin<Box<Sleep>>>,
    write_sleep: Option<Pin<Box<Sleep>>>,
    tls: Option<TlsSummary>,
    eof_noted: bool,
    require_tls13: bool,
    /// Which protocol runs on it: lets a refused certificate behind STARTTLS be fetched for
    /// the person to inspect (the plaintext prelude must be spoken again to reach it).
    protocol: Option<crate::account::Protocol>,
    /// The TLS handshake in progress follows a STARTTLS on this connection.
    upgraded_from_plain: bool,
    /// The limits of `crate::limits`, checked on every read.
    guard: Guard,
    /// Waiting for the first bytes of a plain-text greeting.
    greeting: Option<Greeting>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Connection({} {}, tls: {})", self.host, self.peer, self.tls.is_some())
    }
}

/// Opens a connection: DNS, TCP, and TLS when the endpoint says implicit TLS.
pub async fn connect(ep: &Endpoint, transcript: &Transcript) -> Result<Connection> {
    transcript.note(format!("connecting to {} ({})", ep.address(), ep.security.label()));
    let t = transcript.elapsed();
    let lookup = timeout(ep.timeouts.connect, tokio::net::lookup_host((ep.host.as_str(), ep.port))).await;
    let addrs: Vec<SocketAddr> = match lookup {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => {
            transcript.stage(StageName::Dns, t, false, Some(e.to_string()));
            return Err(Error::network(format!("cannot resolve the host name {}", ep.host), e));
        }
        Err(_) => {
            transcript.stage(StageName::Dns, t, false, Some("timed out".into()));
            return Err(Error::new(
                Kind::Network,
                format!("cannot resolve the host name {}: timed out", ep.host),
            ));
        }
    };
    let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    transcript.stage(StageName::Dns, t, !addrs.is_empty(), Some(list.join(", ")));
    if addrs.is_empty() {
        return Err(Error::new(Kind::Network, format!("the host name {} has no address", ep.host)));
    }

    let t = transcript.elapsed();
    let mut last_err = None;
    let mut tcp = None;
    for addr in &addrs {
        match timeout(ep.timeouts.connect, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                tcp = Some((s, *addr));
                break;
            }
            Ok(Err(e)) => last_err = Some(e),
            Err(_) => last_err = Some(io::Error::new(io::ErrorKind::TimedOut, "connection timed out")),
        }
    }
    let Some((tcp, peer)) = tcp else {
        let e = last_err.unwrap_or_else(|| io::Error::other("no address to connect to"));
        transcript.stage(StageName::Connect, t, false, Some(e.to_string()));
        let what = match e.kind() {
            io::ErrorKind::ConnectionRefused => "nothing is listening there (connection refused)",
            io::ErrorKind::TimedOut => "no answer (timed out)",
            _ => "the connection failed",
        };
        return Err(Error::network(format!("cannot connect to {}: {what}", ep.address()), e));
    };
    let _ = tcp.set_nodelay(true);
    transcript.stage(StageName::Connect, t, true, Some(peer.to_string()));

    let conn = Connection {
        io: Io::Plain(Wire { tcp, capture: None }),
        transcript: transcript.clone(),
        host: ep.host.clone(),
        peer,
        timeouts: ep.timeouts,
        read_timeout: Some(ep.timeouts.io),
        read_sleep: None,
        write_sleep: None,
        tls: None,
        eof_noted: false,
        require_tls13: ep.require_tls13,
        protocol: None,
        upgraded_from_plain: false,
        guard: Guard::new(),
        greeting: (ep.security != Security::Implicit).then(|| Greeting::new(ep.port)),
    };
    match ep.security {
        Security::Implicit => conn.handshake(&ep.trust).await,
        Security::StartTls | Security::None => Ok(conn),
    }
}

impl Connection {
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }
    pub fn host(&self) -> &str {
        &self.host
    }
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }
    pub fn tls(&self) -> Option<&TlsSummary> {
        self.tls.as_ref()
    }
    /// Says which protocol runs here (set by the protocol modules right after connecting).
    /// Also chooses the checks of its answers: IMAP's literals and lines, SMTP's reply size.
    pub fn set_protocol(&mut self, protocol: crate::account::Protocol) {
        use crate::account::Protocol;
        self.protocol = Some(protocol);
        match protocol {
            Protocol::Imap => self.guard.scan_imap(),
            Protocol::Smtp => self.guard.limit_replies(),
            Protocol::Pop3 => {}
        }
    }

    pub fn is_encrypted(&self) -> bool {
        matches!(self.io, Io::Tls(_))
    }

    /// IMAP: literals larger than `max` are refused as they are announced (`None`: back to
    /// the largest message). For a reader that wants less than a whole message.
    pub fn limit_literals(&mut self, max: Option<u64>) {
        self.guard.limit_literals(max);
    }

    /// `None` disables the read timeout (while idling); `Some` sets it.
    pub fn set_read_timeout(&mut self, t: Option<Duration>) {
        self.read_timeout = t;
        self.read_sleep = None;
        self.guard.restart();
    }

    /// Runs the TLS handshake on this connection (implicit TLS, or after STARTTLS was
    /// accepted). Verifies the certificate, or compares it with the pin, before returning:
    /// nothing else is sent on a connection whose certificate is refused.
    pub async fn start_tls(mut self, trust: &TrustAnchors) -> Result<Connection> {
        self.upgraded_from_plain = true;
        self.handshake(trust).await
    }

    async fn handshake(mut self, trust: &TrustAnchors) -> Result<Connection> {
        let Io::Plain(mut wire) = std::mem::replace(&mut self.io, Io::Gone) else {
            return Err(Error::new(Kind::Protocol, "the connection is already encrypted"));
        };
        let t = self.transcript.elapsed();
        let flight = Arc::new(Mutex::new(Vec::new()));
        wire.capture = Some(flight.clone());
        let verify = trust.pin.is_none();
        let mut connector = trust.connector(verify)?;
        if self.require_tls13 {
            connector = connector.min_protocol_version(Some(async_native_tls::Protocol::Tlsv13));
        }
        let handshake = timeout(self.timeouts.connect, connector.connect(self.host.as_str(), wire)).await;
        let mut stream = match handshake {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                let reason = e.to_string();
                self.transcript.stage(StageName::TlsHandshake, t, false, Some(reason.clone()));
                let seen = flight.lock().map(|f| f.clone()).unwrap_or_default();
                return Err(self.handshake_error(trust, reason, &seen).await);
            }
            Err(_) => {
                self.transcript.stage(StageName::TlsHandshake, t, false, Some("timed out".into()));
                return Err(Error::new(
                    Kind::Tls,
                    format!("the TLS handshake with {} timed out; is this port really SSL/TLS?", self.host),
                ));
            }
        };
        stream.get_mut().capture = None;
        let der = stream.peer_certificate().ok().flatten().and_then(|c| c.to_der().ok());
        let certificate = der.as_deref().and_then(CertInfo::from_der);
        if let Some(pin) = trust.pin {
            let actual = der.as_deref().map(Fingerprint::of);
            if actual != Some(pin) {
                let got = actual.map(|f| f.to_string()).unwrap_or_else(|| "none".into());
                self.transcript.stage(
                    StageName::TlsHandshake,
                    t,
                    false,
                    Some("certificate is not the pinned one".into()),
                );
                let mut err = Error::new(
                    Kind::Tls,
                    format!(
                        "the certificate of {} is not the pinned one: it has SHA-256 {got}, the pin is {pin}; refusing to send anything",
                        self.host
                    ),
                );
                if let Some(info) = certificate {
                    err = err.with_certificate(info);
                }
                return Err(err);
            }
        }
        let params = flight.lock().ok().and_then(|f| parse_server_hello(&f));
        let summary = TlsSummary { params, certificate, pinned: trust.pin.is_some() };
        let detail = format!(
            "{}{}{}",
            summary
                .params
                .as_ref()
                .map(|p| format!("{}, {}", p.version, p.cipher))
                .unwrap_or_else(|| "TLS".into()),
            summary
                .certificate
                .as_ref()
                .map(|c| format!("; certificate {} issued by {}", c.subject, c.issuer))
                .unwrap_or_default(),
            if summary.pinned { "; accepted by its pinned fingerprint" } else { "; verified" },
        );
        self.transcript.stage(StageName::TlsHandshake, t, true, Some(detail));
        self.tls = Some(summary);
        self.io = Io::Tls(Box::new(stream));
        Ok(self)
    }

    /// Explains a failed handshake from what the server sent (`flight`, below TLS); for a
    /// refused certificate, fetches it on a second connection (no protocol byte sent) so the
    /// person sees what they would be trusting. `reason` is our TLS library's own account,
    /// kept as the detail: it is not the server's words.
    async fn handshake_error(&self, trust: &TrustAnchors, reason: String, flight: &[u8]) -> Error {
        let looks_like_cert = reason.contains("certificate") || reason.contains("verify");
        let ours = TlsLibrary(reason);
        if !looks_like_cert || trust.pin.is_some() {
            return handshake_refused(&self.host, flight).with_source(ours);
        }
        let info = self.fetch_certificate(trust, self.upgraded_from_plain).await;
        let mut msg = format!("the certificate of {} is not trusted", self.host);
        if let Some(info) = &info {
            let problems = info.problems(&self.host);
            if !problems.is_empty() {
                msg.push_str(": ");
                msg.push_str(&problems.join(", "));
            } else {
                msg.push_str(": it is issued by an unknown authority");
            }
            msg.push_str(&format!(
                ". Its SHA-256 fingerprint is {}; pin it only if you know it is the server's",
                info.sha256
            ));
        }
        let mut err = Error::new(Kind::Tls, msg).with_source(ours);
        if let Some(info) = info {
            err = err.with_certificate(info);
        }
        err
    }

    async fn fetch_certificate(&self, trust: &TrustAnchors, after_starttls: bool) -> Option<CertInfo> {
        let mut tcp = timeout(self.timeouts.connect, TcpStream::connect(self.peer)).await.ok()?.ok()?;
        if after_starttls {
            let protocol = self.protocol?;
            timeout(self.timeouts.connect, starttls_prelude(&mut tcp, protocol)).await.ok()?.ok()?;
        }
        let connector = trust.connector(false).ok()?;
        let wire = Wire { tcp, capture: None };
        let stream =
            timeout(self.timeouts.connect, connector.connect(self.host.as_str(), wire)).await.ok()?.ok()?;
        let der = stream.peer_certificate().ok()??.to_der().ok()?;
        CertInfo::from_der(&der)
    }

    /// The greeting began with TLS: the port speaks TLS from the first byte.
    fn tls_first(&self) -> io::Error {
        let port = self.peer.port();
        let message = format!(
            "port {port} of {} speaks TLS from the first byte (SSL/TLS), not plain text: choose SSL/TLS, or {}",
            self.host,
            starttls_port(self.protocol, port)
        );
        self.transcript.flush();
        self.transcript.note("the server answers with TLS, not a plain-text greeting: giving up");
        io::Error::new(io::ErrorKind::InvalidData, Mismatch { kind: Kind::Config, message })
    }

    /// No greeting within the read timeout; on a port where SSL/TLS is the convention,
    /// that is the likely cause.
    fn no_greeting(&self, t: Duration) -> io::Error {
        let message = no_greeting_message(&self.host, self.peer.port(), self.protocol, t);
        io::Error::new(io::ErrorKind::TimedOut, Mismatch { kind: Kind::Network, message })
    }

    fn timed_out(what: &str, t: Duration) -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the server sent nothing for {} s while {what}", t.as_secs()),
        )
    }
}

impl AsyncRead for Connection {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = match &mut this.io {
            Io::Plain(w) => Pin::new(w).poll_read(cx, buf),
            Io::Tls(t) => Pin::new(&mut **t).poll_read(cx, buf),
            Io::Gone => Poll::Ready(Err(io::Error::new(io::ErrorKind::NotConnected, "connection closed"))),
        };
        match res {
            Poll::Ready(r) => {
                this.read_sleep = None;
                // Whatever came (or went wrong) ends the wait for the greeting.
                let greeting = this.greeting.take().is_some();
                if r.is_ok() {
                    let new = &buf.filled()[before..];
                    if !new.is_empty() {
                        this.transcript.record(Dir::Server, new);
                        if greeting && looks_like_tls(new) {
                            return Poll::Ready(Err(this.tls_first()));
                        }
                        if let Err(e) = this.guard.read(&this.host, new, this.read_timeout) {
                            this.transcript.flush();
                            this.transcript.note(format!("giving up: {e}"));
                            return Poll::Ready(Err(e));
                        }
                    } else if !this.eof_noted {
                        this.eof_noted = true;
                        this.transcript.flush();
                        this.transcript.note("the server closed the connection");
                    }
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                let (peer, wait) = (this.peer, this.timeouts.connect);
                if let Some(g) = &mut this.greeting
                    && g.poll_probe(cx, peer, &this.host, wait)
                {
                    this.greeting = None;
                    return Poll::Ready(Err(this.tls_first()));
                }
                if let Some(t) = this.read_timeout {
                    let s = this.read_sleep.get_or_insert_with(|| Box::pin(sleep(t)));
                    if s.as_mut().poll(cx).is_ready() {
                        this.read_sleep = None;
                        this.transcript
                            .note(format!("no data from the server for {} s: giving up", t.as_secs()));
                        if this.greeting.take().is_some() {
                            return Poll::Ready(Err(this.no_greeting(t)));
                        }
                        return Poll::Ready(Err(Self::timed_out("waiting for an answer", t)));
                    }
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = match &mut this.io {
            Io::Plain(w) => Pin::new(w).poll_write(cx, buf),
            Io::Tls(t) => Pin::new(&mut **t).poll_write(cx, buf),
            Io::Gone => Poll::Ready(Err(io::Error::new(io::ErrorKind::NotConnected, "connection closed"))),
        };
        match res {
            Poll::Ready(r) => {
                this.write_sleep = None;
                if let Ok(n) = &r {
                    this.transcript.record(Dir::Client, &buf[..*n]);
                    if *n > 0 {
                        this.guard.wrote();
                    }
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                let t = this.timeouts.io;
                let s = this.write_sleep.get_or_insert_with(|| Box::pin(sleep(t)));
                if s.as_mut().poll(cx).is_ready() {
                    this.write_sleep = None;
                    return Poll::Ready(Err(Self::timed_out("sending", t)));
                }
                Poll::Pending
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(w) => Pin::new(w).poll_flush(cx),
            Io::Tls(t) => Pin::new(&mut **t).poll_flush(cx),
            Io::Gone => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(w) => Pin::new(w).poll_shutdown(cx),
            Io::Tls(t) => Pin::new(&mut **t).poll_shutdown(cx),
            Io::Gone => Poll::Ready(Ok(())),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.transcript.flush();
    }
}

/// The plaintext part of a session up to the TLS handshake, spoken again on a second
/// connection (only to fetch a refused certificate; no credentials are involved). Whoever
/// answers may be hostile: it reads at most `MAX_REPLY_BYTES` in all, a line at a time.
async fn starttls_prelude(tcp: &mut TcpStream, protocol: crate::account::Protocol) -> io::Result<()> {
    use crate::account::Protocol;
    use tokio::io::AsyncWriteExt;
    let mut r = Prelude { buf: Vec::new(), read: 0 };
    match protocol {
        Protocol::Imap => {
            r.line(tcp).await?;
            tcp.write_all(b"F1 STARTTLS\r\n").await?;
            while !r.line(tcp).await?.starts_with(b"F1 ") {}
        }
        Protocol::Pop3 => {
            r.line(tcp).await?;
            tcp.write_all(b"STLS\r\n").await?;
            r.line(tcp).await?;
        }
        Protocol::Smtp => {
            // Multi-line replies end with a line whose fourth byte is a space.
            while r.line(tcp).await?.get(3) == Some(&b'-') {}
            tcp.write_all(b"EHLO localhost\r\n").await?;
            while r.line(tcp).await?.get(3) == Some(&b'-') {}
            tcp.write_all(b"STARTTLS\r\n").await?;
            while r.line(tcp).await?.get(3) == Some(&b'-') {}
        }
    }
    Ok(())
}

/// Lines of the prelude, read a byte at a time (nothing past the last line may be taken
/// from the socket: the TLS handshake follows), within `MAX_REPLY_BYTES` in all.
struct Prelude {
    buf: Vec<u8>,
    read: usize,
}

impl Prelude {
    async fn line(&mut self, tcp: &mut TcpStream) -> io::Result<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        self.buf.clear();
        loop {
            if self.read >= crate::limits::MAX_REPLY_BYTES {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "the server talks without end"));
            }
            let b = tcp.read_u8().await?;
            self.read += 1;
            if b == b'\n' {
                return Ok(std::mem::take(&mut self.buf));
            }
            self.buf.push(b);
        }
    }
}
