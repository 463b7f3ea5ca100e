//! SMTP submission: greeting, EHLO and STARTTLS spoken by us on the tapped connection (so
//! the transcript and the capabilities are ours to see), then lettre from AUTH on. STARTTLS,
//! when chosen, is required. lettre's own tracing stays off: it would log the AUTH secret.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::account::Security;
use crate::auth::Credential;
use crate::auth::sasl::{self, Mechanism as SaslMechanism};
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::imap::{has, no_starttls, stage_failed};
use crate::net::{Connection, Dir, Endpoint, LineConn, StageName, Transcript, connect};

/// The name we introduce ourselves with (no host name leaks to the server).
const HELO_NAME: &str = "localhost";

/// A multi-line SMTP reply: code and the text lines.
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn text(&self) -> String {
        self.lines.iter().map(|l| format!("{} {l}", self.code)).collect::<Vec<_>>().join(" / ")
    }
}

/// One reply (its lines bounded by the line reader: `MAX_REPLY_BYTES`).
async fn read_reply(lc: &mut LineConn) -> Result<Reply> {
    let mut lines = Vec::new();
    loop {
        let line = lc.read_line().await?;
        let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        let Some(code) = code else {
            let host = lc.connection().host();
            return Err(Error::new(Kind::Protocol, format!("{host} did not answer like an SMTP server"))
                .with_server(line));
        };
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or("").to_string());
        if !more {
            return Ok(Reply { code, lines });
        }
    }
}

/// Connects and gets the session ready for AUTH: greeting, EHLO, STARTTLS and EHLO again.
pub async fn open(ep: &Endpoint, transcript: &Transcript, facts: &mut SessionFacts) -> Result<LineConn> {
    let mut conn = connect(ep, transcript).await?;
    conn.set_protocol(crate::account::Protocol::Smtp);
    facts.tls = conn.tls().cloned();
    let mut lc = LineConn::new(conn);
    let t = transcript.elapsed();
    let greeting =
        read_reply(&mut lc).await.inspect_err(|e| stage_failed(transcript, StageName::Greeting, t, e))?;
    facts.greeting = Some(greeting.text());
    if greeting.code != 220 {
        transcript.stage(StageName::Greeting, t, false, Some(greeting.text()));
        return Err(Error::new(Kind::RefusedByServer, format!("{} refused the connection", ep.host))
            .with_server(greeting.text()));
    }
    transcript.stage(StageName::Greeting, t, true, None);
    let mut caps = ehlo(&mut lc, transcript).await?;
    if ep.security == Security::StartTls {
        facts.capabilities_before_tls = caps.clone();
        if !has(&caps, "STARTTLS") {
            return Err(no_starttls(ep, "SMTP"));
        }
        let t = transcript.elapsed();
        lc.send_line("STARTTLS").await?;
        let r = read_reply(&mut lc).await?;
        if r.code != 220 {
            transcript.stage(StageName::StartTls, t, false, Some(r.text()));
            return Err(Error::new(Kind::Tls, format!("{} refused STARTTLS", ep.host)).with_server(r.text()));
        }
        lc = lc.upgrade(&ep.trust).await?;
        transcript.stage(StageName::StartTls, t, true, None);
        facts.tls = lc.connection().tls().cloned();
        caps = ehlo(&mut lc, transcript).await?;
    }
    facts.auth_mechanisms = caps
        .iter()
        .find_map(|c| c.strip_prefix("AUTH ").or_else(|| c.strip_prefix("AUTH=")))
        .map(|m| m.split_ascii_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    facts.capabilities = caps;
    Ok(lc)
}

async fn ehlo(lc: &mut LineConn, transcript: &Transcript) -> Result<Vec<String>> {
    let t = transcript.elapsed();
    lc.send_line(&format!("EHLO {HELO_NAME}")).await?;
    let r = read_reply(lc).await?;
    if r.code != 250 {
        transcript.stage(StageName::Capabilities, t, false, Some(r.text()));
        return Err(Error::new(Kind::Protocol, "the server refused EHLO").with_server(r.text()));
    }
    let caps: Vec<String> = r.lines.into_iter().skip(1).collect();
    transcript.stage(StageName::Capabilities, t, true, Some(caps.join(", ")));
    Ok(caps)
}

/// Hands the connection to lettre and authenticates: AUTH PLAIN or LOGIN with a password,
/// XOAUTH2 or OAUTHBEARER with an access token (among the mechanisms EHLO listed in `facts`).
/// lettre reads a greeting and sends EHLO itself, so it is given a local one (not from the
/// server, not in the transcript).
pub async fn login(
    lc: LineConn,
    ep: &Endpoint,
    credential: &Credential,
    facts: &SessionFacts,
) -> Result<AsyncSmtpConnection> {
    login_metered(lc, ep, credential, facts).await.map(|(smtp, _)| smtp)
}

/// Counts the bytes written on a handed-over connection: progress of a large message, and
/// whether the end of a message reached the connection (see `send`).
#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<AtomicU64>);

impl Meter {
    /// Bytes written so far (commands and message data).
    pub fn written(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// [`login`], also returning the [`Meter`] of the connection.
pub async fn login_metered(
    lc: LineConn,
    ep: &Endpoint,
    credential: &Credential,
    facts: &SessionFacts,
) -> Result<(AsyncSmtpConnection, Meter)> {
    let transcript = lc.connection().transcript().clone();
    transcript.add_secret(credential.secret());
    let meter = Meter::default();
    let handover = Handover {
        conn: lc.into_connection(),
        greeting: b"220 handover\r\n".to_vec(),
        pos: 0,
        meter: meter.clone(),
    };
    let mut smtp =
        AsyncSmtpConnection::connect_with_transport(Box::new(handover), &ClientId::Domain(HELO_NAME.into()))
            .await
            .map_err(|e| map_error(ep, e, &transcript))?;
    let t = transcript.elapsed();
    let result = match credential {
        Credential::Password { user, password } => {
            let creds = Credentials::new(user.to_string(), password.to_string());
            smtp.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
                .await
                .map(drop)
                .map_err(|e| map_error(ep, e, &transcript))
        }
        Credential::Bearer { mechanism, .. } => {
            bearer_auths(&mut smtp, ep, credential, *mechanism, facts, &transcript).await
        }
    };
    match result {
        Ok(()) => {
            transcript.stage(StageName::Login, t, true, None);
            Ok((smtp, meter))
        }
        Err(e) => {
            let err = crate::explain::unanswered_login(e, &ep.host, ep.timeouts.io);
            stage_failed(&transcript, StageName::Login, t, &err);
            Err(err)
        }
    }
}

/// AUTH with the current access token; when the server refuses it, once more with a new one
/// from the provider (SMTP allows another AUTH after a 535).
async fn bearer_auths(
    smtp: &mut AsyncSmtpConnection,
    ep: &Endpoint,
    credential: &Credential,
    prefer: Option<SaslMechanism>,
    facts: &SessionFacts,
    transcript: &Transcript,
) -> Result<()> {
    let current = credential.current().await?;
    let (user, token) = (current.user().to_string(), current.secret().to_string());
    transcript.add_secret(&token);
    let err = match bearer_auth(smtp, ep, &user, &token, prefer, facts, transcript).await {
        Err(e) if e.kind() == Kind::Auth => e,
        done => return done,
    };
    match current.renewed().await {
        Some(Ok(next)) if next.secret() != token => {
            transcript.add_secret(next.secret());
            transcript.note("the server refused the access token: trying once more with a new one");
            bearer_auth(smtp, ep, next.user(), next.secret(), prefer, facts, transcript).await
        }
        Some(Err(renewal)) => Err(renewal),
        _ => Err(err),
    }
}

/// AUTH with the access token. RFC 4954 4: the response goes on the AUTH line only while
/// that stays within 512 octets, else after the server's `334` (Postfix cuts lines over 2048
/// octets; Entra's tokens alone are often longer). A refused token gets a `334` challenge
/// first, answered so the 535 comes.
async fn bearer_auth(
    smtp: &mut AsyncSmtpConnection,
    ep: &Endpoint,
    user: &str,
    token: &str,
    prefer: Option<SaslMechanism>,
    facts: &SessionFacts,
    transcript: &Transcript,
) -> Result<()> {
    let Some(mech) = SaslMechanism::choose(&facts.auth_mechanisms, prefer) else {
        return Err(sasl::not_offered(&ep.host, "AUTH XOAUTH2 or OAUTHBEARER"));
    };
    transcript.note(format!("logging in with an OAuth2 access token (SASL {mech})"));
    let b64 = mech.encoded_response(user, token, &ep.host, ep.port);
    transcript.add_secret(&b64);
    let mut challenge = None;
    let fail = |e: lettre::transport::smtp::Error, challenge: Option<&sasl::Challenge>| {
        let refused = matches!(e.status().map(|c| c.to_string()).as_deref(), Some("535" | "534"));
        let err = map_error(ep, e, transcript);
        // A refusal of the token itself, not of SMTP AUTH as a whole (5.7.139).
        if refused && err.kind() == Kind::Auth {
            sasl::refused(&ep.host, challenge, err.server_words().unwrap_or(""), token)
        } else {
            err
        }
    };
    let with_response = format!("AUTH {mech} {b64}");
    let mut reply = if with_response.len() + 2 <= 512 {
        smtp.command(Line(&with_response)).await.map_err(|e| fail(e, None))?
    } else {
        let prompt = smtp.command(Line(&format!("AUTH {mech}"))).await.map_err(|e| fail(e, None))?;
        if !prompt.has_code(334) {
            return Err(unexpected(ep, transcript));
        }
        smtp.command(Line(&b64)).await.map_err(|e| fail(e, None))?
    };
    if reply.has_code(334) {
        challenge = sasl::Challenge::decode(reply.first_line().unwrap_or(""));
        let answer = mech.encoded_failure_answer();
        reply = smtp.command(Line(&answer)).await.map_err(|e| fail(e, challenge.as_ref()))?;
    }
    if reply.code().severity == lettre::transport::smtp::response::Severity::PositiveCompletion {
        return Ok(());
    }
    // Positive but not done: a second challenge, which no mechanism here has.
    Err(sasl::refused(
        &ep.host,
        challenge.as_ref(),
        &transcript.last_server_line().unwrap_or_default(),
        token,
    ))
}

/// An SMTP line as lettre sends a command.
struct Line<'a>(&'a str);

impl std::fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}

fn unexpected(ep: &Endpoint, transcript: &Transcript) -> Error {
    let mut err =
        Error::new(Kind::Protocol, format!("{} answered AUTH in a way Tidings does not understand", ep.host));
    if let Some(line) = transcript.last_server_line() {
        err = err.with_server(line);
    }
    err
}

pub async fn quit(mut smtp: AsyncSmtpConnection, transcript: &Transcript) {
    let t = transcript.elapsed();
    let ok = smtp.quit().await.is_ok();
    transcript.stage(StageName::Logout, t, ok, None);
}

/// lettre's errors in our kinds, with the server's words: the reply that carried the error's
/// code, from the transcript of the session.
pub fn map_error(ep: &Endpoint, e: lettre::transport::smtp::Error, transcript: &Transcript) -> Error {
    let words = reply_words(transcript, &e).unwrap_or_else(|| e.to_string());
    let code = e.status().map(|c| c.to_string());
    let host = &ep.host;
    match code.as_deref() {
        Some("535") if words.contains("5.7.139") => Error::new(
            Kind::RefusedByServer,
            format!("{host} has SMTP AUTH disabled for this mailbox or tenant (5.7.139); an administrator must enable authenticated SMTP"),
        )
        .with_server(words),
        Some("535") | Some("534") => {
            Error::new(Kind::Auth, format!("{host} did not accept the user name or password")).with_server(words)
        }
        Some("530") if words.to_ascii_uppercase().contains("STARTTLS") || words.contains("5.7.11") => {
            Error::new(Kind::Tls, format!("{host} requires encryption before logging in; choose STARTTLS or SSL/TLS"))
                .with_server(words)
        }
        Some("530") => Error::new(
            Kind::Auth,
            format!("{host} requires logging in before sending; check the outgoing server's user name and password"),
        )
        .with_server(words),
        Some("552") | Some("523") => Error::new(
            Kind::RefusedByServer,
            format!("the message is too large for {host}; send the attachments another way or make them smaller"),
        )
        .with_server(words),
        Some("554") | Some("550") | Some("551") | Some("553")
            if words.contains("5.7.1") || words.to_ascii_lowercase().contains("relay") =>
        {
            Error::new(
                Kind::RefusedByServer,
                format!(
                    "{host} refused to relay: it does not accept this recipient or sender from this account (log in, or use the account's own address)"
                ),
            )
            .with_server(words)
        }
        Some(c) if c.starts_with('4') => {
            Error::new(Kind::RefusedByServer, format!("{host} has a temporary problem; try again later")).with_server(words)
        }
        Some(_) => Error::new(Kind::RefusedByServer, format!("{host} refused the request")).with_server(words),
        None if e.to_string().contains("No compatible authentication mechanism") => Error::new(
            Kind::Config,
            format!("{host} offers no password login Tidings can use (PLAIN or LOGIN) on this connection"),
        ),
        None => {
            if let Some(limit) = crate::net::lines::limit_error(&e) {
                return limit;
            }
            if garbled(&e) {
                let mut err = Error::new(Kind::Protocol, format!("{host} did not answer like an SMTP server"));
                if let Some(line) = transcript.last_server_line() {
                    err = err.with_server(line);
                }
                return err.with_source(e);
            }
            Error::new(Kind::Network, format!("the SMTP session with {host} failed")).with_source(e)
        }
    }
}

/// The server answered, but not with SMTP: lettre could not parse the reply, or the bytes
/// were not text.
fn garbled(e: &lettre::transport::smtp::Error) -> bool {
    if e.is_response() {
        return true;
    }
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(cause) = next {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        next = cause.source();
    }
    false
}

/// The server's words for `e`: the latest reply with its code (all its lines). Not simply the
/// last line: after a refusal lettre ends the session itself (QUIT), so the last line is
/// often the "221 Bye" that followed. Without a code (a cut connection), the last line.
fn reply_words(transcript: &Transcript, e: &lettre::transport::smtp::Error) -> Option<String> {
    let Some(code) = e.status().map(|c| c.to_string()) else {
        return transcript.last_server_line();
    };
    let lines = transcript.lines();
    let server = lines.iter().filter(|l| l.dir == Dir::Server).map(|l| l.text.as_str());
    let mut reply: Vec<&str> = Vec::new();
    for line in server.rev() {
        let same =
            line.starts_with(code.as_str()) && matches!(line.as_bytes().get(3), None | Some(b' ' | b'-'));
        if same {
            reply.push(line);
        } else if !reply.is_empty() {
            break;
        }
    }
    if reply.is_empty() {
        return transcript.last_server_line();
    }
    reply.reverse();
    Some(reply.join(" / "))
}

/// The connection, with a local greeting in front for lettre to read.
#[derive(Debug)]
struct Handover {
    conn: Connection,
    greeting: Vec<u8>,
    pos: usize,
    meter: Meter,
}

impl AsyncRead for Handover {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.pos < this.greeting.len() {
            let n = (this.greeting.len() - this.pos).min(buf.remaining());
            buf.put_slice(&this.greeting[this.pos..this.pos + n]);
            this.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.conn).poll_read(cx, buf)
    }
}

impl AsyncWrite for Handover {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.conn).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            this.meter.0.fetch_add(*n as u64, Ordering::Relaxed);
        }
        r
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().conn).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().conn).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Handover {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        Ok(self.conn.peer())
    }
}
