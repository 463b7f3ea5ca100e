//! Account settings as the user gives them (wizard, CLI, config file). No secret ever lives
//! here: passwords are in the keyring, looked up by [`Account::id`] and [`SecretRole`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Incoming {
    Imap,
    Pop3,
}

impl Incoming {
    pub fn as_str(self) -> &'static str {
        match self {
            Incoming::Imap => "imap",
            Incoming::Pop3 => "pop3",
        }
    }
}

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAP 993, POP3 995, SMTP 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS/STLS; required: no STARTTLS, no login.
    StartTls,
    /// No encryption at all: passwords travel in clear. Only after an explicit warning.
    None,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Implicit => "implicit",
            Security::StartTls => "starttls",
            Security::None => "none",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Security::Implicit => "SSL/TLS",
            Security::StartTls => "STARTTLS",
            Security::None => "None",
        }
    }
}

/// The protocols Tidings speaks, for default ports and transcripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Pop3 => "pop3",
            Protocol::Smtp => "smtp",
        }
    }

    /// The usual port for a protocol and encryption (the seeds' defaults: IMAP 993, POP3 995
    /// SSL/TLS; SMTP 587 STARTTLS).
    pub fn default_port(self, security: Security) -> u16 {
        match (self, security) {
            (Protocol::Imap, Security::Implicit) => 993,
            (Protocol::Imap, _) => 143,
            (Protocol::Pop3, Security::Implicit) => 995,
            (Protocol::Pop3, _) => 110,
            (Protocol::Smtp, Security::Implicit) => 465,
            (Protocol::Smtp, _) => 587,
        }
    }
}

impl From<Incoming> for Protocol {
    fn from(i: Incoming) -> Protocol {
        match i {
            Incoming::Imap => Protocol::Imap,
            Incoming::Pop3 => Protocol::Pop3,
        }
    }
}

/// How we prove who we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// A password sent as the protocol's plain login (IMAP LOGIN, POP3 USER/PASS, SMTP AUTH
    /// PLAIN/LOGIN), protected by TLS.
    #[default]
    Password,
}

/// Trust settings of one server: an extra CA file and/or a pinned certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trust {
    /// An extra CA to trust (PEM), e.g. a company's private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// SHA-256 fingerprint of the one certificate accepted even though it is not trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    #[serde(default)]
    pub auth: AuthMethod,
    #[serde(default)]
    pub trust: Trust,
}

/// Which keyring entry holds a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretRole {
    Incoming,
    Outgoing,
}

impl SecretRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretRole::Incoming => "incoming",
            SecretRole::Outgoing => "outgoing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Stable identifier (from the name at creation); keys the keyring and the data dir.
    pub id: String,
    pub name: String,
    pub email: String,
    pub incoming_protocol: Incoming,
    pub incoming: Server,
    pub outgoing: Server,
    /// SMTP has its own password in the keyring; otherwise it uses the incoming one.
    #[serde(default)]
    pub outgoing_own_password: bool,
    /// Append every connection's (redacted) transcript to a per-account log file.
    #[serde(default)]
    pub log_transcript: bool,
    /// When to check, IDLE, POP3 options, body format, receipts, minimum TLS…
    #[serde(default)]
    pub options: crate::options::Options,
}

impl Account {
    /// Which keyring entry holds the password for `role`.
    pub fn secret_role_for(&self, role: SecretRole) -> SecretRole {
        match role {
            SecretRole::Outgoing if !self.outgoing_own_password => SecretRole::Incoming,
            other => other,
        }
    }

    /// Checks what a server could never accept, before any connection is tried.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::config("the account needs a name"));
        }
        if !self.email.contains('@') {
            return Err(Error::config(format!("\"{}\" is not an email address", self.email)));
        }
        for (what, s) in [("incoming", &self.incoming), ("outgoing", &self.outgoing)] {
            if s.host.trim().is_empty() {
                return Err(Error::config(format!("the {what} server needs a host name")));
            }
            if s.port == 0 {
                return Err(Error::config(format!("the {what} server needs a port")));
            }
            if let Some(pin) = &s.trust.pinned_sha256 {
                crate::net::tls::Fingerprint::parse(pin)?;
            }
        }
        Ok(())
    }
}

/// Turns a display name into an account id: lower-case letters, digits and dashes.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "account".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports_follow_protocol_and_security() {
        assert_eq!(Protocol::Imap.default_port(Security::Implicit), 993);
        assert_eq!(Protocol::Imap.default_port(Security::StartTls), 143);
        assert_eq!(Protocol::Pop3.default_port(Security::Implicit), 995);
        assert_eq!(Protocol::Pop3.default_port(Security::None), 110);
        assert_eq!(Protocol::Smtp.default_port(Security::StartTls), 587);
        assert_eq!(Protocol::Smtp.default_port(Security::Implicit), 465);
    }

    #[test]
    fn slug_is_stable_and_safe() {
        assert_eq!(slug("Work (Exchange)"), "work-exchange");
        assert_eq!(slug("  Ünïcode  "), "n-code");
        assert_eq!(slug("***"), "account");
    }
}
