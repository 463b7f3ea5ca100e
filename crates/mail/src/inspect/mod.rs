//! The server inspector for testers: one connection, every stage timed, TLS version, cipher
//! and certificate, the greeting and IMAP ID, capabilities before and after TLS and after
//! login with their differences, the first mailbox command, and behaviour checks (exact or
//! estimated sizes, leave-on-server, read receipts ($MDNSent, and with the write-probe whether
//! the server sends one on download), delivered formats, login delay). The
//! report renders as Markdown or JSON for a ticket. Reuses the tap and the account check's
//! protocol steps.

mod checks;
mod formats;
mod probe;
mod receipts;
mod render;
mod run;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::account::{Protocol, Security};
use crate::error::{Error, ErrorReport, Result};
use crate::net::{CertInfo, Line, Stage};
use crate::oauth2::Grant;

pub use checks::MAX_SAMPLE_BYTES;
pub use probe::Probe;
use probe::WAIT_DELIVERY;
use receipts::WAIT_RECEIPT;
pub use run::inspect;

/// What to inspect: `imap://`, `imaps://`, `pop3://`, `pop3s://`, `smtp://` (STARTTLS),
/// `smtps://` with `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub protocol: Protocol,
    pub security: Security,
    pub host: String,
    pub port: u16,
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        let bad = |why: &str| {
            Error::config(format!(
                "\"{text}\" is not an inspection target ({why}); use imap://, imaps://, pop3://, pop3s://, smtp:// or smtps:// followed by host[:port]"
            ))
        };
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let (protocol, security) = match scheme.to_ascii_lowercase().as_str() {
            "imap" => (Protocol::Imap, Security::StartTls),
            "imaps" => (Protocol::Imap, Security::Implicit),
            "pop3" | "pop" => (Protocol::Pop3, Security::StartTls),
            "pop3s" | "pops" => (Protocol::Pop3, Security::Implicit),
            "smtp" | "submission" => (Protocol::Smtp, Security::StartTls),
            "smtps" | "submissions" => (Protocol::Smtp, Security::Implicit),
            _ => return Err(bad("unknown scheme")),
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') || authority.contains('@') {
            return Err(bad("expected host[:port] only"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            let port =
                after.strip_prefix(':').map(|p| p.parse::<u16>().map_err(|_| bad("bad port"))).transpose()?;
            (h.to_string(), port)
        } else if let Some((h, p)) = authority.rsplit_once(':') {
            (h.to_string(), Some(p.parse::<u16>().map_err(|_| bad("bad port"))?))
        } else {
            (authority.to_string(), None)
        };
        let port = port.unwrap_or_else(|| protocol.default_port(security));
        Ok(Target { protocol, security, host, port })
    }

    pub fn url(&self) -> String {
        let scheme = match (self.protocol, self.security) {
            (Protocol::Imap, Security::Implicit) => "imaps",
            (Protocol::Imap, _) => "imap",
            (Protocol::Pop3, Security::Implicit) => "pop3s",
            (Protocol::Pop3, _) => "pop3",
            (Protocol::Smtp, Security::Implicit) => "smtps",
            (Protocol::Smtp, _) => "smtp",
        };
        format!("{scheme}://{}:{}", self.host, self.port)
    }
}

/// Outcome of one behaviour check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    /// Worth knowing, neither good nor bad (e.g. sizes are estimated).
    Info,
    NotApplicable,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Info => "info",
            Verdict::NotApplicable => "n/a",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    pub summary: String,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TlsReport {
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub certificate: Option<CertInfo>,
    pub hostname_matches: Option<bool>,
    /// "verified", "pinned", or why it is not trusted.
    pub verdict: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Capabilities {
    pub before_tls: Vec<String>,
    pub after_tls: Vec<String>,
    pub after_login: Vec<String>,
    pub added_by_tls: Vec<String>,
    pub removed_by_tls: Vec<String>,
    pub added_by_login: Vec<String>,
    pub removed_by_login: Vec<String>,
}

/// The access token an inspection logged in with: the SASL mechanism, the audience the token
/// names, the scopes granted and the expiry, and what in them the server will refuse.
#[derive(Debug, Clone, Serialize)]
pub struct TokenReport {
    /// "XOAUTH2" or "OAUTHBEARER"; none when the server offers neither.
    pub mechanism: Option<String>,
    #[serde(flatten)]
    pub grant: Grant,
    /// "expires in 57 min (14:03 UTC)", as of the inspection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// A wrong audience or a missing scope for the protocol, in plain words.
    pub warnings: Vec<String>,
}

/// The report of one inspection.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target: String,
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub started: String,
    pub ok: bool,
    /// The stage that failed, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_stage: Option<String>,
    pub stages: Vec<Stage>,
    pub tls: Option<TlsReport>,
    pub greeting: Option<String>,
    /// What the server asked to be shown to the person (IMAP `[ALERT]`), each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
    /// UTF-8 mode was turned on (IMAP ENABLE UTF8=ACCEPT, POP3 UTF8).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub utf8: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imap_id: Option<BTreeMap<String, String>>,
    pub capabilities: Capabilities,
    pub auth_mechanisms: Vec<String>,
    /// How the inspection logged in: "password", or "OAuth2 access token (SASL XOAUTH2)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// The OAuth2 access token logged in with: what it was granted (never the token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    pub checks: Vec<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Message content was asked for: the transcript may hold private mail.
    pub includes_content: bool,
    pub transcript: Vec<Line>,
}

impl Report {
    pub fn to_markdown(&self) -> String {
        render::markdown(self)
    }
}

/// Credentials for the stages after the greeting (a password, or an OAuth2 access token);
/// without them the inspection stops after the capabilities (and says so).
pub type Credentials = crate::auth::Credential;

/// What an inspection may do beyond reading.
#[derive(Debug, Clone)]
pub struct InspectOptions {
    /// How many recent messages the size and format checks look at.
    pub sample: usize,
    /// Largest message fetched for the checks (default [`MAX_SAMPLE_BYTES`]); larger ones
    /// are listed as not compared.
    pub max_sample_bytes: u64,
    /// Submit probe messages to oneself (writes; cleans up): time IDLE's announcement, and
    /// see whether the server sends a read receipt when a message is downloaded.
    pub probe: Option<Probe>,
    /// How long the probe waits for IDLE to announce it, or to arrive (default
    /// [`WAIT_DELIVERY`]).
    pub probe_wait: std::time::Duration,
    /// How long the read-receipt probe waits for a receipt after downloading (default
    /// [`WAIT_RECEIPT`]).
    pub receipt_wait: std::time::Duration,
    /// Keep the sampled messages' headers and bodies in the transcript. Off by default: the
    /// report goes into tickets, and the checks need only sizes and structure.
    pub include_content: bool,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            sample: 5,
            max_sample_bytes: MAX_SAMPLE_BYTES,
            probe: None,
            probe_wait: WAIT_DELIVERY,
            receipt_wait: WAIT_RECEIPT,
            include_content: false,
        }
    }
}

fn diff(a: &[String], b: &[String]) -> Vec<String> {
    b.iter().filter(|x| !a.iter().any(|y| y.eq_ignore_ascii_case(x))).cloned().collect()
}

impl Capabilities {
    pub(crate) fn fill_diffs(&mut self) {
        if !self.before_tls.is_empty() {
            self.added_by_tls = diff(&self.before_tls, &self.after_tls);
            self.removed_by_tls = diff(&self.after_tls, &self.before_tls);
        }
        if !self.after_login.is_empty() {
            self.added_by_login = diff(&self.after_tls, &self.after_login);
            self.removed_by_login = diff(&self.after_login, &self.after_tls);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_default_ports() {
        let t = Target::parse("imaps://mail.example.test").unwrap();
        assert_eq!((t.protocol, t.security, t.port), (Protocol::Imap, Security::Implicit, 993));
        let t = Target::parse("smtp://smtp.office365.com").unwrap();
        assert_eq!((t.protocol, t.security, t.port), (Protocol::Smtp, Security::StartTls, 587));
        let t = Target::parse("pop3://127.0.0.1:1110/").unwrap();
        assert_eq!(
            (t.protocol, t.security, t.host.as_str(), t.port),
            (Protocol::Pop3, Security::StartTls, "127.0.0.1", 1110)
        );
        let t = Target::parse("smtps://[::1]:4650").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 4650));
        assert_eq!(t.url(), "smtps://::1:4650");
        assert!(Target::parse("http://x").is_err());
        assert!(Target::parse("imap://user@host").is_err());
        assert!(Target::parse("imap://host:99999").is_err());
    }

    #[test]
    fn capability_diffs() {
        let mut c = Capabilities {
            before_tls: vec!["IMAP4rev1".into(), "STARTTLS".into(), "LOGINDISABLED".into()],
            after_tls: vec!["IMAP4rev1".into(), "AUTH=PLAIN".into()],
            after_login: vec!["IMAP4rev1".into(), "IDLE".into(), "MOVE".into()],
            ..Default::default()
        };
        c.fill_diffs();
        assert_eq!(c.added_by_tls, ["AUTH=PLAIN"]);
        assert_eq!(c.removed_by_tls, ["STARTTLS", "LOGINDISABLED"]);
        assert_eq!(c.added_by_login, ["IDLE", "MOVE"]);
        assert_eq!(c.removed_by_login, ["AUTH=PLAIN"]);
    }
}
