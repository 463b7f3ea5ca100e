//! One error type for the whole core. Every error carries a [`Kind`] so the UI can choose what
//! to offer next (retry, re-enter the password, fix the settings), a sentence saying what we
//! could not do, and — when a server refused — the server's own words, verbatim.

use std::fmt;
use std::sync::Arc;

use crate::net::tls::CertInfo;

/// What went wrong, in the terms the UI needs to decide what to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The server rejected the credentials: ask for the password again.
    Auth,
    /// DNS, connect, timeout, a cut connection: retry later, check the network.
    Network,
    /// Handshake failed, certificate not trusted, STARTTLS required but not offered.
    Tls,
    /// The server said something we could not understand.
    Protocol,
    /// The server understood and said no (disabled protocol, mailbox in use, relay denied…).
    RefusedByServer,
    /// The settings are wrong or incomplete: fix them.
    Config,
    /// Local storage: disk full, permissions, no secret service.
    Storage,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Auth => "auth",
            Kind::Network => "network",
            Kind::Tls => "tls",
            Kind::Protocol => "protocol",
            Kind::RefusedByServer => "refused-by-server",
            Kind::Config => "config",
            Kind::Storage => "storage",
        }
    }

    /// What a person can do about an error of this kind, in plain words.
    pub fn advice(self) -> &'static str {
        match self {
            Kind::Auth => "Check the user name and password; some providers need an app password or OAuth2.",
            Kind::Network => "Check the host name, the port and your network connection, then try again.",
            Kind::Tls => {
                "Check the encryption setting and the port; if you trust this server's certificate, pin its fingerprint."
            }
            Kind::Protocol => {
                "The server answered in a way Tidings does not understand; the transcript shows what it sent."
            }
            Kind::RefusedByServer => {
                "The server refused the request; its own words above say why. Your administrator may need to change a setting."
            }
            Kind::Config => "Fix the account settings and try again.",
            Kind::Storage => "Check free disk space and permissions of the profile directory.",
        }
    }

    /// Whether trying the same thing again later may succeed without any change.
    pub fn is_transient(self) -> bool {
        matches!(self, Kind::Network)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from the mail core. Cheap to clone (the source is shared) so it can travel in
/// UI messages.
#[derive(Debug, Clone)]
pub struct Error {
    kind: Kind,
    message: String,
    server: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    certificate: Option<Arc<CertInfo>>,
    /// What to do, when this error knows better than its kind's generic advice.
    advice: Option<&'static str>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), server: None, source: None, certificate: None, advice: None }
    }

    /// Keeps what the server said, verbatim (trimmed of the line ending).
    pub fn with_server(mut self, words: impl Into<String>) -> Self {
        let words = words.into();
        self.server = Some(words.trim_end().to_string());
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The certificate a TLS error is about, for the person deciding whether to pin it.
    pub fn with_certificate(mut self, info: CertInfo) -> Self {
        self.certificate = Some(Arc::new(info));
        self
    }

    pub fn certificate(&self) -> Option<&CertInfo> {
        self.certificate.as_deref()
    }

    /// Advice for this error in place of its kind's ([`Kind::advice`]).
    pub fn with_advice(mut self, advice: &'static str) -> Self {
        self.advice = Some(advice);
        self
    }

    /// What a person can do: this error's own advice, or its kind's.
    pub fn advice(&self) -> &'static str {
        self.advice.unwrap_or(self.kind.advice())
    }

    /// This error's own advice, when it has one (see [`Error::with_advice`]).
    pub fn own_advice(&self) -> Option<&'static str> {
        self.advice
    }

    /// Whether an I/O timeout is among the causes: a connected server that did not answer
    /// in time.
    pub fn is_timeout(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> =
            self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(c) = cause {
            if c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            {
                return true;
            }
            cause = c.source();
        }
        false
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn server_words(&self) -> Option<&str> {
        self.server.as_deref()
    }

    /// The whole chain of causes, for a detailed report.
    pub fn detail(&self) -> String {
        let mut out = self.to_string();
        let mut cause: Option<&(dyn std::error::Error + 'static)> =
            self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(c) = cause {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }

    pub fn storage(message: impl Into<String>, source: std::io::Error) -> Self {
        Error::new(Kind::Storage, message).with_source(source)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(Kind::Config, message)
    }

    /// Maps an I/O error on a live connection: timeouts and resets are network errors.
    pub fn network(message: impl Into<String>, source: std::io::Error) -> Self {
        Error::new(Kind::Network, message).with_source(source)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(words) = &self.server {
            write!(f, " (server said: {words})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// How an error is shown by `--json` and kept in reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ErrorReport {
    pub kind: Kind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub detail: String,
    pub advice: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertInfo>,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        ErrorReport {
            kind: e.kind,
            message: e.message.clone(),
            server: e.server.clone(),
            detail: e.detail(),
            advice: e.advice(),
            certificate: e.certificate.as_deref().cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_server_words_and_detail_walks_sources() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "read timed out");
        let e = Error::new(Kind::Auth, "cannot log in to imap.example.test")
            .with_server("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
            .with_source(io);
        assert_eq!(
            e.to_string(),
            "cannot log in to imap.example.test (server said: a1 NO [AUTHENTICATIONFAILED] Authentication failed.)"
        );
        assert!(e.detail().ends_with(": read timed out"));
        let report = ErrorReport::from(&e);
        let json = serde_json::to_string(&report).unwrap_or_default();
        assert!(json.contains("\"kind\":\"auth\""), "{json}");
    }
}
