//! POP3, our own (see the notes for why not async-pop): greeting, CAPA, STLS, USER/PASS or
//! AUTH PLAIN, STAT, QUIT, with RFC 2449 response codes kept. The full receive pass (UIDL,
//! RETR to disk, leave-on-server) builds on this.

use base64::Engine;

use crate::account::Security;
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::imap::{has, no_starttls, stage_failed};
use crate::net::{Endpoint, LineConn, StageName, Transcript, connect};

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

pub struct Pop3 {
    lc: LineConn,
    host: String,
}

impl Pop3 {
    /// Connects and gets the session ready to log in: greeting, CAPA, STLS.
    pub async fn open(ep: &Endpoint, transcript: &Transcript, facts: &mut SessionFacts) -> Result<Pop3> {
        let conn = connect(ep, transcript).await?;
        facts.tls = conn.tls().cloned();
        let mut p = Pop3 { lc: LineConn::new(conn), host: ep.host.clone() };
        let t = transcript.elapsed();
        let line =
            p.lc.read_line().await.inspect_err(|e| stage_failed(transcript, StageName::Greeting, t, e))?;
        facts.greeting = Some(line.clone());
        match Reply::parse(&line) {
            Some(r) if r.ok => transcript.stage(StageName::Greeting, t, true, None),
            Some(r) => {
                transcript.stage(StageName::Greeting, t, false, Some(line.clone()));
                return Err(p.refused("refused the connection", r));
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
            p.lc = p.lc.upgrade(&ep.trust).await?;
            transcript.stage(StageName::StartTls, t, true, None);
            facts.tls = p.lc.connection().tls().cloned();
            caps = p.capa(transcript).await?;
        }
        facts.auth_mechanisms = caps
            .iter()
            .find_map(|c| c.strip_prefix("SASL "))
            .map(|m| m.split_ascii_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        facts.capabilities = caps;
        Ok(p)
    }

    /// CAPA (RFC 2449). A server without it answers -ERR: then no capabilities.
    async fn capa(&mut self, transcript: &Transcript) -> Result<Vec<String>> {
        let t = transcript.elapsed();
        let r = self.command("CAPA").await?;
        if !r.ok {
            transcript.stage(StageName::Capabilities, t, true, Some("CAPA not supported".into()));
            return Ok(Vec::new());
        }
        let caps = self.multiline().await?;
        transcript.stage(StageName::Capabilities, t, true, Some(caps.join(", ")));
        Ok(caps)
    }

    /// Lines up to the terminating ".", dot-unstuffed.
    async fn multiline(&mut self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        loop {
            let line = self.lc.read_line().await?;
            if line == "." {
                return Ok(out);
            }
            out.push(line.strip_prefix('.').map(str::to_string).unwrap_or(line));
        }
    }

    /// Sends one command and reads its status line.
    pub async fn command(&mut self, cmd: &str) -> Result<Reply> {
        self.lc.send_line(cmd).await?;
        let line = self.lc.read_line().await?;
        Reply::parse(&line).ok_or_else(|| {
            Error::new(
                Kind::Protocol,
                format!("{} answered {cmd} with something that is not POP3", self.host),
            )
            .with_server(line)
        })
    }

    /// USER/PASS, or AUTH PLAIN when the server offers SASL PLAIN but not USER.
    pub async fn login(&mut self, user: &str, password: &str, facts: &SessionFacts) -> Result<()> {
        let transcript = self.lc.connection().transcript().clone();
        transcript.add_secret(password);
        let t = transcript.elapsed();
        let use_sasl = !facts.capabilities.is_empty()
            && !has(&facts.capabilities, "USER")
            && facts.auth_mechanisms.iter().any(|m| m.eq_ignore_ascii_case("PLAIN"));
        let reply = if use_sasl {
            let raw = format!("\0{user}\0{password}");
            let b64 = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
            transcript.add_secret(&b64);
            self.command(&format!("AUTH PLAIN {b64}")).await?
        } else {
            let r = self.command(&format!("USER {user}")).await?;
            if r.ok { self.command(&format!("PASS {password}")).await? } else { r }
        };
        if reply.ok {
            transcript.stage(StageName::Login, t, true, None);
            return Ok(());
        }
        let err = self.refused("did not accept the login", reply);
        stage_failed(&transcript, StageName::Login, t, &err);
        Err(err)
    }

    /// Message count and total size.
    pub async fn stat(&mut self) -> Result<(u64, u64)> {
        let r = self.command("STAT").await?;
        if !r.ok {
            return Err(self.refused("refused STAT", r));
        }
        let mut it = r.line.split_ascii_whitespace().skip(1).map(|n| n.parse::<u64>());
        match (it.next(), it.next()) {
            (Some(Ok(n)), Some(Ok(size))) => Ok((n, size)),
            _ => Err(Error::new(Kind::Protocol, format!("cannot read {}'s STAT answer", self.host))
                .with_server(r.line)),
        }
    }

    /// LIST: every message's number and size as the server states it.
    pub async fn list(&mut self) -> Result<Vec<(u32, u64)>> {
        let r = self.command("LIST").await?;
        if !r.ok {
            return Err(self.refused("refused LIST", r));
        }
        let mut out = Vec::new();
        for line in self.multiline().await? {
            let mut it = line.split_ascii_whitespace();
            if let (Some(Ok(n)), Some(Ok(size))) = (it.next().map(str::parse), it.next().map(str::parse)) {
                out.push((n, size));
            }
        }
        Ok(out)
    }

    /// UIDL: message number and unique id (the second field is the id, not the number).
    pub async fn uidl(&mut self) -> Result<Vec<(u32, String)>> {
        let r = self.command("UIDL").await?;
        if !r.ok {
            return Err(self.refused("refused UIDL", r));
        }
        let mut out = Vec::new();
        for line in self.multiline().await? {
            let mut it = line.split_ascii_whitespace();
            if let (Some(Ok(n)), Some(uid)) = (it.next().map(str::parse), it.next()) {
                out.push((n, uid.to_string()));
            }
        }
        Ok(out)
    }

    /// RETR into memory, dot-unstuffed, CRLF line endings: for inspection samples. (The
    /// receive pass streams to disk instead.)
    pub async fn retr(&mut self, n: u32) -> Result<Vec<u8>> {
        let r = self.command(&format!("RETR {n}")).await?;
        if !r.ok {
            return Err(self.refused("refused RETR", r));
        }
        let mut out = Vec::new();
        loop {
            let line = self.lc.read_line_bytes().await?;
            if line == b"." {
                return Ok(out);
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
    }

    pub async fn quit(mut self) -> Result<()> {
        let transcript = self.lc.connection().transcript().clone();
        let t = transcript.elapsed();
        let r = self.command("QUIT").await;
        transcript.stage(StageName::Logout, t, r.as_ref().is_ok_and(|r| r.ok), None);
        r.map(|_| ())
    }

    /// A -ERR in our kinds, by its response code (RFC 2449, RFC 3206).
    fn refused(&self, what: &str, r: Reply) -> Error {
        let (kind, explain) = match r.code.as_deref() {
            Some("AUTH") => (Kind::Auth, "did not accept the user name or password"),
            Some("IN-USE") => (
                Kind::RefusedByServer,
                "says the mailbox is in use by another session; try again when it is closed",
            ),
            Some("LOGIN-DELAY") => {
                (Kind::RefusedByServer, "asks to wait longer between logins; check less often")
            }
            Some("SYS/TEMP") => (Kind::RefusedByServer, "has a temporary problem; try again later"),
            Some("SYS/PERM") => {
                (Kind::RefusedByServer, "has a permanent problem with this mailbox; contact the provider")
            }
            _ if what.contains("login") => (Kind::Auth, "did not accept the user name or password"),
            _ => (Kind::RefusedByServer, what),
        };
        Error::new(kind, format!("{} {explain}", self.host)).with_server(r.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
