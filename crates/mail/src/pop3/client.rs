//! The POP3 session (RFC 1939, 2449, 2595, 5034): greeting, CAPA, STLS, USER/PASS or AUTH
//! PLAIN with an initial response (an access token: AUTH XOAUTH2 or OAUTHBEARER), STAT,
//! LIST, UIDL, RETR and TOP (into memory or streamed into any writer), DELE, RSET, NOOP,
//! QUIT, and pipelined commands when CAPA offers PIPELINING. Each answer has a deadline on
//! top of the connection's no-progress timeout: long enough for the expected size at a slow
//! but steady rate, so a big RETR never trips it while bytes flow, and a server that
//! trickles forever does.

use std::io::Write;
use std::time::Duration;

use base64::Engine;

use super::errors::refused;
use super::wire::Wire;
use crate::account::Security;
use crate::auth::Credential;
use crate::auth::sasl::{self, Mechanism};
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::imap::{has, no_starttls, stage_failed};
use crate::net::{Endpoint, StageName, Transcript, connect};

/// A status line: `+OK …` or `-ERR [CODE] …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub ok: bool,
    /// RFC 2449/3206 response code: IN-USE, LOGIN-DELAY, AUTH, SYS/TEMP, SYS/PERM.
    pub code: Option<String>,
    pub line: String,
}

impl Reply {
    pub fn parse(line: &str) -> Option<Reply> {
        let (ok, rest) = if let Some(r) = line.strip_prefix("+OK") {
            (true, r)
        } else if let Some(r) = line.strip_prefix("-ERR") {
            (false, r)
        } else {
            return None;
        };
        let rest = rest.trim_start();
        let code =
            rest.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(c, _)| c.to_ascii_uppercase());
        Some(Reply { ok, code, line: line.to_string() })
    }
}

/// What LIST and UIDL said: sizes, unique ids (`None` without UIDL), and the lines that could
/// not be read.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub sizes: Vec<(u32, u64)>,
    pub uids: Option<Vec<(u32, String)>>,
    pub odd: Vec<OddLine>,
}

/// A listing line Tidings could not read: reported, never acted on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OddLine {
    pub command: &'static str,
    /// The message number, when that much could be read.
    pub number: Option<u32>,
    pub line: String,
    pub why: String,
}

/// A command as errors may name it: its name (with the SASL mechanism for AUTH), never its
/// arguments (PASS and AUTH carry secrets).
fn command_name(cmd: &str) -> &str {
    let mut words = cmd.splitn(3, ' ');
    let first = words.next().unwrap_or(cmd);
    match words.next() {
        Some(mech) if first.eq_ignore_ascii_case("AUTH") => &cmd[..first.len() + 1 + mech.len()],
        _ => first,
    }
}

/// The longest unique id taken from UIDL (RFC 1939 says 70; some servers go further).
const MAX_UID: usize = 512;

/// The slowest average rate tolerated for a whole answer (bytes per second): a backstop
/// against a server that trickles forever. Low on purpose (a poor mobile link must not
/// trip it); the connection's no-progress timeout is what ends a transfer that stops.
const MIN_RATE: u64 = 512;

pub struct Pop3 {
    pub(crate) wire: Wire,
    host: String,
    port: u16,
    caps: Vec<String>,
    /// The connection's no-progress timeout: the base of every answer's deadline.
    io: Duration,
}

impl std::fmt::Debug for Pop3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pop3({})", self.host)
    }
}

impl Pop3 {
    /// Connects and gets the session ready to log in: greeting, CAPA, STLS.
    pub async fn open(ep: &Endpoint, transcript: &Transcript, facts: &mut SessionFacts) -> Result<Pop3> {
        let mut conn = connect(ep, transcript).await?;
        // Also lets a certificate refused behind STLS be fetched for the person to see.
        conn.set_protocol(crate::account::Protocol::Pop3);
        facts.tls = conn.tls().cloned();
        let mut p = Pop3 {
            wire: Wire::new(conn),
            host: ep.host.clone(),
            port: ep.port,
            caps: Vec::new(),
            io: ep.timeouts.io,
        };
        let t = transcript.elapsed();
        let line =
            p.read_line().await.inspect_err(|e| stage_failed(transcript, StageName::Greeting, t, e))?;
        facts.greeting = Some(line.clone());
        match Reply::parse(&line) {
            Some(r) if r.ok => transcript.stage(StageName::Greeting, t, true, None),
            Some(r) => {
                transcript.stage(StageName::Greeting, t, false, Some(line.clone()));
                return Err(refused(&p.host, "refused the connection", r, false));
            }
            None => {
                transcript.stage(StageName::Greeting, t, false, Some("not a POP3 greeting".into()));
                return Err(Error::new(
                    Kind::Protocol,
                    format!("{} did not greet like a POP3 server; is this the right port?", ep.address()),
                )
                .with_server(line));
            }
        }
        let mut caps = p.capa(transcript).await?;
        if ep.security == Security::StartTls {
            facts.capabilities_before_tls = caps.clone();
            if !has(&caps, "STLS") {
                return Err(no_starttls(ep, "POP3"));
            }
            let t = transcript.elapsed();
            let r = p.command("STLS").await?;
            if !r.ok {
                transcript.stage(StageName::StartTls, t, false, Some(r.line.clone()));
                return Err(Error::new(Kind::Tls, format!("{} refused STLS", ep.host)).with_server(r.line));
            }
            p.wire = p.wire.upgrade(&ep.trust).await?;
            transcript.stage(StageName::StartTls, t, true, None);
            facts.tls = p.wire.connection().tls().cloned();
            caps = p.capa(transcript).await?;
        }
        facts.auth_mechanisms = caps
            .iter()
            .find_map(|c| c.strip_prefix("SASL "))
            .map(|m| m.split_ascii_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        p.caps = caps.clone();
        facts.capabilities = caps;
        if p.has_capability("UTF8") {
            facts.utf8 = p.utf8(transcript).await?;
        }
        Ok(p)
    }

    /// RFC 6856 UTF8, in the AUTHORIZATION state (before logging in, after STLS): a server
    /// offering it may wrap a message whose header holds raw UTF-8 in a "cannot be shown"
    /// notice for a client that did not send it. A refusal leaves the session as it was.
    async fn utf8(&mut self, transcript: &Transcript) -> Result<bool> {
        let r = self.command("UTF8").await?;
        if r.ok {
            transcript.note("UTF-8 mode on (UTF8)");
        } else {
            transcript.note(format!("the server refused UTF8 ({}); going on without", r.line));
        }
        Ok(r.ok)
    }

    /// The capabilities CAPA listed (after STLS, the second list).
    pub fn capabilities(&self) -> &[String] {
        &self.caps
    }

    /// Whether CAPA listed `name` (its first word: "SASL PLAIN" counts as "SASL").
    pub fn has_capability(&self, name: &str) -> bool {
        self.caps
            .iter()
            .any(|c| c.split_ascii_whitespace().next().is_some_and(|w| w.eq_ignore_ascii_case(name)))
    }

    /// Commands may be sent without waiting for each answer (RFC 2449 PIPELINING).
    pub fn pipelining(&self) -> bool {
        self.has_capability("PIPELINING")
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn transcript(&self) -> &Transcript {
        self.wire.connection().transcript()
    }

    /// CAPA (RFC 2449). A server without it answers -ERR: then no capabilities.
    async fn capa(&mut self, transcript: &Transcript) -> Result<Vec<String>> {
        let t = transcript.elapsed();
        let r = self.command("CAPA").await?;
        if !r.ok {
            transcript.stage(StageName::Capabilities, t, true, Some("CAPA not supported".into()));
            return Ok(Vec::new());
        }
        let caps = self.multiline(0, crate::limits::MAX_REPLY_BYTES, "CAPA").await?;
        transcript.stage(StageName::Capabilities, t, true, Some(caps.join(", ")));
        Ok(caps)
    }

    /// The deadline for a whole answer of about `bytes` bytes.
    pub(crate) fn deadline(&self, bytes: u64) -> Duration {
        2 * self.io + Duration::from_secs(bytes / MIN_RATE)
    }

    /// The error for an answer that missed its deadline.
    pub(crate) fn too_slow(&self, limit: Duration) -> Error {
        Error::new(
            Kind::Network,
            format!("{} is too slow: an answer took longer than {} s", self.host, limit.as_secs()),
        )
    }

    async fn read_line(&mut self) -> Result<String> {
        let line = self.wire.read_line().await?;
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// Reads one status line (of a command sent before, possibly pipelined).
    pub(crate) async fn read_reply(&mut self, cmd: &str) -> Result<Reply> {
        let line = self.read_line().await?;
        Reply::parse(&line).ok_or_else(|| {
            Error::new(
                Kind::Protocol,
                format!("{} answered {} with something that is not POP3", self.host, command_name(cmd)),
            )
            .with_server(line)
        })
    }

    /// Lines up to the terminating ".", dot-unstuffed (CAPA, LIST, UIDL): at most
    /// `max_bytes` of them in all, so an answer without end ends.
    async fn multiline(&mut self, expected_lines: u64, max_bytes: usize, what: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        self.multiline_each(expected_lines, max_bytes, what, |line| out.push(line)).await?;
        Ok(out)
    }

    /// [`Pop3::multiline`], each line handed to `each` as it comes (a listing is not held
    /// twice).
    async fn multiline_each(
        &mut self,
        expected_lines: u64,
        max_bytes: usize,
        what: &str,
        each: impl FnMut(String),
    ) -> Result<()> {
        let limit = self.deadline(expected_lines * 40);
        match tokio::time::timeout(limit, self.multiline_inner(max_bytes, what, each)).await {
            Ok(r) => r,
            Err(_) => Err(self.too_slow(limit)),
        }
    }

    async fn multiline_inner(
        &mut self,
        max_bytes: usize,
        what: &str,
        mut each: impl FnMut(String),
    ) -> Result<()> {
        let mut held = 0;
        loop {
            let line = self.read_line().await?;
            if line == "." {
                return Ok(());
            }
            held += line.len() + 2;
            if held > max_bytes {
                return Err(Error::new(
                    Kind::Protocol,
                    format!(
                        "{}'s answer to {what} is longer than {}, the most Tidings reads for it",
                        self.host,
                        crate::limits::size(max_bytes as u64)
                    ),
                ));
            }
            each(line.strip_prefix('.').map(str::to_string).unwrap_or(line));
        }
    }

    /// Sends one command and reads its status line.
    pub async fn command(&mut self, cmd: &str) -> Result<Reply> {
        self.wire.send(format!("{cmd}\r\n").as_bytes()).await?;
        self.reply_in_time(cmd).await
    }

    /// The status line of `cmd`, sent before, within the command timeout.
    async fn reply_in_time(&mut self, cmd: &str) -> Result<Reply> {
        let limit = self.deadline(0);
        match tokio::time::timeout(limit, self.read_reply(cmd)).await {
            Ok(r) => r,
            Err(_) => Err(self.too_slow(limit)),
        }
    }

    /// Sends several commands in one write (callers check [`Pop3::pipelining`]).
    pub(crate) async fn send_many(&mut self, cmds: &[String]) -> Result<()> {
        let mut bytes = Vec::with_capacity(cmds.len() * 12);
        for c in cmds {
            bytes.extend_from_slice(c.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        self.wire.send(&bytes).await
    }

    /// Logs in: with a password USER/PASS, or AUTH PLAIN when the server offers SASL PLAIN
    /// but not USER; with an access token AUTH XOAUTH2 or OAUTHBEARER (RFC 5034). The secret
    /// is registered with the transcript so it can never show.
    pub async fn login(&mut self, credential: &Credential, facts: &SessionFacts) -> Result<()> {
        let transcript = self.transcript().clone();
        transcript.add_secret(credential.secret());
        let t = transcript.elapsed();
        let (host, io) = (self.host.clone(), self.io);
        let result = match credential {
            Credential::Password { user, password } => self.password_login(user, password, facts).await,
            Credential::Bearer { .. } => self.bearer_logins(credential, facts).await,
        };
        match result.map_err(|e| crate::explain::unanswered_login(e, &host, io)) {
            Ok(()) => {
                transcript.stage(StageName::Login, t, true, None);
                Ok(())
            }
            Err(err) => {
                stage_failed(&transcript, StageName::Login, t, &err);
                Err(err)
            }
        }
    }

    async fn password_login(&mut self, user: &str, password: &str, facts: &SessionFacts) -> Result<()> {
        let use_sasl = !facts.capabilities.is_empty()
            && !has(&facts.capabilities, "USER")
            && facts.auth_mechanisms.iter().any(|m| m.eq_ignore_ascii_case("PLAIN"));
        let reply = if use_sasl {
            let raw = format!("\0{user}\0{password}");
            let b64 = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
            self.transcript().add_secret(&b64);
            self.command(&format!("AUTH PLAIN {b64}")).await?
        } else {
            let r = self.command(&format!("USER {user}")).await?;
            if r.ok { self.command(&format!("PASS {password}")).await? } else { r }
        };
        if reply.ok {
            return Ok(());
        }
        Err(refused(&self.host, "did not accept the login", reply, true))
    }

    /// AUTH with the current access token; when the server refuses it, once more with a new
    /// one from the provider (a token revoked early, a clock off).
    async fn bearer_logins(&mut self, credential: &Credential, facts: &SessionFacts) -> Result<()> {
        let prefer = match credential {
            Credential::Bearer { mechanism, .. } => *mechanism,
            Credential::Password { .. } => None,
        };
        let current = credential.current().await?;
        let (user, token) = (current.user().to_string(), current.secret().to_string());
        self.transcript().add_secret(&token);
        let err = match self.bearer_login(&user, &token, prefer, facts).await {
            Err(e) if e.kind() == Kind::Auth => e,
            done => return done,
        };
        match current.renewed().await {
            Some(Ok(next)) if next.secret() != token => {
                self.transcript().add_secret(next.secret());
                self.transcript()
                    .note("the server refused the access token: trying once more with a new one");
                self.bearer_login(next.user(), next.secret(), prefer, facts).await
            }
            Some(Err(renewal)) => Err(renewal),
            _ => Err(err),
        }
    }

    /// AUTH with the access token. RFC 5034 4: the response goes on the command line only
    /// while that stays within 255 octets, else after the server's `+` (real tokens are
    /// longer). A refused token gets a challenge first, answered so the -ERR comes.
    async fn bearer_login(
        &mut self,
        user: &str,
        token: &str,
        prefer: Option<Mechanism>,
        facts: &SessionFacts,
    ) -> Result<()> {
        let Some(mech) = Mechanism::choose(&facts.auth_mechanisms, prefer) else {
            return Err(sasl::not_offered(&self.host, "SASL XOAUTH2 or OAUTHBEARER"));
        };
        self.transcript().note(format!("logging in with an OAuth2 access token (SASL {mech})"));
        let b64 = mech.encoded_response(user, token, &self.host, self.port);
        self.transcript().add_secret(&b64);
        let with_response = format!("AUTH {mech} {b64}");
        let mut line = if with_response.len() + 2 <= 255 {
            self.sasl_step(&with_response).await?
        } else {
            let prompt = self.sasl_step(&format!("AUTH {mech}")).await?;
            if is_continuation(&prompt) { self.sasl_step(&b64).await? } else { prompt }
        };
        let mut challenge = None;
        if is_continuation(&line) {
            challenge = sasl::Challenge::decode(&line[1..]);
            line = self.sasl_step(&mech.encoded_failure_answer()).await?;
        }
        let reply = Reply::parse(&line).ok_or_else(|| {
            Error::new(
                Kind::Protocol,
                format!("{} answered AUTH {mech} with something that is not POP3", self.host),
            )
            .with_server(line.clone())
        })?;
        if reply.ok {
            return Ok(());
        }
        match reply.code.as_deref() {
            // The token was taken; the mailbox cannot be opened now.
            Some("IN-USE" | "LOGIN-DELAY" | "SYS/PERM") => {
                Err(refused(&self.host, "did not accept the login", reply, true))
            }
            _ => Err(sasl::refused(&self.host, challenge.as_ref(), &reply.line, token)),
        }
    }

    /// One line of a SASL exchange sent, and the server's next line (a status line or a
    /// `+` continuation) read within the command timeout.
    async fn sasl_step(&mut self, line: &str) -> Result<String> {
        self.wire.send(format!("{line}\r\n").as_bytes()).await?;
        let limit = self.deadline(0);
        match tokio::time::timeout(limit, self.read_line()).await {
            Ok(r) => r,
            Err(_) => Err(self.too_slow(limit)),
        }
    }

    /// Message count and total size.
    pub async fn stat(&mut self) -> Result<(u64, u64)> {
        let r = self.ok("STAT").await?;
        let mut it = r.line.split_ascii_whitespace().skip(1).map(|n| n.parse::<u64>());
        match (it.next(), it.next()) {
            (Some(Ok(n)), Some(Ok(size))) => Ok((n, size)),
            _ => Err(Error::new(Kind::Protocol, format!("cannot read {}'s STAT answer", self.host))
                .with_server(r.line)),
        }
    }

    /// LIST: every message's number and size as the server states it (lines that cannot
    /// be read are left out: [`Pop3::listing`] reports them).
    pub async fn list(&mut self) -> Result<Vec<(u32, u64)>> {
        self.ok("LIST").await?;
        Ok(self.list_lines().await?.0)
    }

    /// LIST and UIDL (`uids: None`: the server has no UIDL, as [`Pop3::uidl_if_any`]), in
    /// one write when the server offers PIPELINING: it lists the UIDs while the sizes are
    /// read. Lines that cannot be read are kept, with why, in `odd`.
    pub async fn listing(&mut self) -> Result<Listing> {
        let pipelined = self.pipelining();
        if pipelined {
            self.send_many(&["LIST".to_string(), "UIDL".to_string()]).await?;
            let r = self.reply_in_time("LIST").await?;
            if !r.ok {
                return Err(refused(&self.host, "refused LIST", r, false));
            }
        } else {
            self.ok("LIST").await?;
        }
        let (sizes, mut odd) = self.list_lines().await?;
        let r = if pipelined { self.reply_in_time("UIDL").await? } else { self.command("UIDL").await? };
        let uids = self.uidl_lines(r).await?.map(|(list, bad)| {
            odd.extend(bad);
            list
        });
        Ok(Listing { sizes, uids, odd })
    }

    async fn list_lines(&mut self) -> Result<(Vec<(u32, u64)>, Vec<OddLine>)> {
        let mut out = Vec::new();
        let mut odd = Vec::new();
        self.multiline_each(100_000, crate::limits::MAX_LISTING_BYTES, "LIST", |line| {
            let mut it = line.split_ascii_whitespace();
            let number = it.next().and_then(|n| n.parse::<u32>().ok());
            let size = it.next().map(str::parse::<u64>);
            match (number, size) {
                (Some(n), Some(Ok(size))) => out.push((n, size)),
                (number, _) => odd.push(OddLine {
                    command: "LIST",
                    number,
                    line,
                    why: "its size is not a number Tidings can read".into(),
                }),
            }
        })
        .await?;
        Ok((out, odd))
    }

    /// UIDL: message number and unique id (the second field is the id, not the number).
    pub async fn uidl(&mut self) -> Result<Vec<(u32, String)>> {
        match self.uidl_if_any().await? {
            Some(list) => Ok(list),
            None => Err(Error::new(Kind::RefusedByServer, format!("{} does not support UIDL", self.host))),
        }
    }

    /// UIDL, or `None` when the server does not have the command (a plain -ERR, and CAPA did
    /// not list it). A -ERR with a response code (SYS/TEMP…) is an error, not a missing UIDL.
    pub async fn uidl_if_any(&mut self) -> Result<Option<Vec<(u32, String)>>> {
        let r = self.command("UIDL").await?;
        Ok(self.uidl_lines(r).await?.map(|(list, _)| list))
    }

    /// The rest of UIDL's answer, whose status line is `r`; lines that cannot be read apart.
    async fn uidl_lines(&mut self, r: Reply) -> Result<Option<(Vec<(u32, String)>, Vec<OddLine>)>> {
        if !r.ok {
            if r.code.is_none() && !self.has_capability("UIDL") {
                return Ok(None);
            }
            return Err(refused(&self.host, "refused UIDL", r, false));
        }
        let mut out = Vec::new();
        let mut odd = Vec::new();
        self.multiline_each(100_000, crate::limits::MAX_LISTING_BYTES, "UIDL", |line| {
            let mut it = line.split_ascii_whitespace();
            let number = it.next().and_then(|n| n.parse::<u32>().ok());
            // RFC 1939 7: 1 to 70 printable characters.
            match (number, it.next()) {
                (Some(n), Some(uid)) if uid.len() <= MAX_UID => out.push((n, uid.to_string())),
                (number, _) => odd.push(OddLine {
                    command: "UIDL",
                    number,
                    line,
                    why: "its unique id is missing or too long".into(),
                }),
            }
        })
        .await?;
        Ok(Some((out, odd)))
    }

    /// RETR into memory, dot-unstuffed, line endings as sent: for inspection samples.
    pub async fn retr(&mut self, n: u32) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.retr_into(n, 0, &mut out).await?;
        Ok(out)
    }

    /// RETR streamed into `out` (a file: constant memory, no size limit). `size_hint` (the
    /// LIST size, or 0) scales the deadline. Returns the bytes written.
    pub async fn retr_into<W: Write + ?Sized>(&mut self, n: u32, size_hint: u64, out: &mut W) -> Result<u64> {
        self.data_command(&format!("RETR {n}"), size_hint, out).await
    }

    /// RETR into a new file at `path`, flushed to disk before returning.
    pub async fn retr_to_file(&mut self, n: u32, size_hint: u64, path: &std::path::Path) -> Result<u64> {
        let what = |e| Error::storage(format!("cannot write {}", path.display()), e);
        let file = crate::private::create_file(path).map_err(what)?;
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, file);
        let n = self.retr_into(n, size_hint, &mut w).await?;
        let file = w.into_inner().map_err(|e| what(e.into_error()))?;
        file.sync_all().map_err(what)?;
        Ok(n)
    }

    /// TOP n lines: the header, the blank line and the first `lines` body lines.
    pub async fn top(&mut self, n: u32, lines: u32) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.data_command(&format!("TOP {n} {lines}"), 0, &mut out).await?;
        Ok(out)
    }

    async fn data_command<W: Write + ?Sized>(&mut self, cmd: &str, size: u64, out: &mut W) -> Result<u64> {
        self.wire.send(format!("{cmd}\r\n").as_bytes()).await?;
        let limit = self.deadline(size);
        match tokio::time::timeout(limit, self.read_data_answer(cmd, out)).await {
            Ok(r) => r,
            Err(_) => Err(self.too_slow(limit)),
        }
    }

    /// The answer to a RETR or TOP already sent: status line, then the data into `out`.
    pub(crate) async fn read_data_answer<W: Write + ?Sized>(
        &mut self,
        cmd: &str,
        out: &mut W,
    ) -> Result<u64> {
        let r = self.read_reply(cmd).await?;
        if !r.ok {
            let word = cmd.split(' ').next().unwrap_or(cmd);
            return Err(refused(&self.host, &format!("refused {word}"), r, false));
        }
        self.wire.read_data(out).await
    }

    /// Marks message `n` deleted; the server removes it only when QUIT succeeds.
    pub async fn dele(&mut self, n: u32) -> Result<()> {
        self.ok(&format!("DELE {n}")).await.map(drop)
    }

    /// Unmarks every message marked with DELE in this session.
    pub async fn rset(&mut self) -> Result<()> {
        self.ok("RSET").await.map(drop)
    }

    /// Keeps the session alive.
    pub async fn noop(&mut self) -> Result<()> {
        self.ok("NOOP").await.map(drop)
    }

    /// A command whose -ERR is an error.
    async fn ok(&mut self, cmd: &str) -> Result<Reply> {
        let r = self.command(cmd).await?;
        if r.ok {
            return Ok(r);
        }
        let word = cmd.split(' ').next().unwrap_or(cmd);
        Err(refused(&self.host, &format!("refused {word}"), r, false))
    }

    /// QUIT: ends the session; messages marked with DELE are removed now (UPDATE state).
    /// An `Err` or a -ERR means the server may not have removed them.
    pub async fn quit(mut self) -> Result<()> {
        let transcript = self.transcript().clone();
        let t = transcript.elapsed();
        let r = self.command("QUIT").await;
        transcript.stage(StageName::Logout, t, r.as_ref().is_ok_and(|r| r.ok), None);
        match r? {
            r if r.ok => Ok(()),
            r => Err(refused(
                &self.host,
                "did not complete the session (deletions may not have happened)",
                r,
                false,
            )),
        }
    }
}

/// A SASL continuation: `+`, or `+ ` and a challenge (not `+OK`).
fn is_continuation(line: &str) -> bool {
    line == "+" || line.starts_with("+ ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_commands_without_their_arguments() {
        assert_eq!(command_name("PASS secret-password"), "PASS");
        assert_eq!(command_name("AUTH PLAIN AHVzZXIAc2VjcmV0"), "AUTH PLAIN");
        assert_eq!(command_name("RETR 3"), "RETR");
        assert_eq!(command_name("QUIT"), "QUIT");
    }

    #[test]
    fn replies_and_codes() {
        let r = Reply::parse("-ERR [IN-USE] Mailbox locked").unwrap();
        assert!(!r.ok);
        assert_eq!(r.code.as_deref(), Some("IN-USE"));
        assert_eq!(Reply::parse("+OK Dovecot ready.").unwrap().code, None);
        assert_eq!(Reply::parse("* OK IMAP"), None);
        let r = Reply::parse("-ERR [sys/temp] busy").unwrap();
        assert_eq!(r.code.as_deref(), Some("SYS/TEMP"));
    }
}
