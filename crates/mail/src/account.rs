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
    /// An OAuth2 access token (SASL XOAUTH2 or OAUTHBEARER), from the provider named in
    /// [`Account::oauth2`]; the refresh token is in the keyring.
    #[serde(rename = "oauth2")]
    OAuth2,
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
    /// The OAuth2 refresh token of the account (one grant serves both servers).
    OAuth2Refresh,
}

impl SecretRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretRole::Incoming => "incoming",
            SecretRole::Outgoing => "outgoing",
            SecretRole::OAuth2Refresh => "oauth2-refresh",
        }
    }
}

/// Which OAuth2 provider an account signs in with, and what it was registered as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2Settings {
    /// `microsoft`, `google` (the providers Tidings knows), or the path of a provider file
    /// (TOML: any issuer, for testers and self-hosted servers).
    pub provider: String,
    /// The application (client) id registered with the provider; none: the provider's own
    /// or the environment's (`TIDINGS_OAUTH2_CLIENT_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Microsoft's tenant (an id or a domain); none: `common`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The SASL mechanism to use when a server offers both (testers); none: XOAUTH2, as
    /// Microsoft and Google document it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<crate::auth::sasl::Mechanism>,
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
    /// The person's name in From ("Alice Example"); [`Account::name`] is only a label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// Other addresses this account sends as (aliases), each with its own name or none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<Identity>,
    /// How the account signs in with OAuth2, when a server's [`Server::auth`] says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2Settings>,
    /// Senders whose remote content (images) this account shows without asking ("Always for
    /// this sender" in the reader), by address in lower case; removed again in the settings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_content_from: Vec<String>,
}

/// An address the user sends as, besides the account's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The name shown in From; none: the account's [`Account::sender_name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub email: String,
}

impl Account {
    /// An account with these servers and everything else as new accounts have it: no name
    /// for From, no other addresses, one password for both servers, no transcript log, the
    /// default options. `id` may be empty: [`crate::config::Config::add_account`] makes one.
    pub fn new(
        id: String,
        name: String,
        email: String,
        incoming_protocol: Incoming,
        incoming: Server,
        outgoing: Server,
    ) -> Account {
        Account {
            id,
            name,
            email,
            incoming_protocol,
            incoming,
            outgoing,
            outgoing_own_password: false,
            log_transcript: false,
            options: crate::options::Options::default(),
            sender_name: None,
            identities: Vec::new(),
            remote_content_from: Vec::new(),
            oauth2: None,
        }
    }

    /// Whether remote content of mail from `address` is shown without asking.
    pub fn shows_remote_content_from(&self, address: &str) -> bool {
        let address = address.trim();
        self.remote_content_from.iter().any(|a| a.eq_ignore_ascii_case(address))
    }

    /// Every From this account offers: its own address first, then its identities. A
    /// blank name is none; an identity without a name takes the account's.
    pub fn senders(&self) -> Vec<Identity> {
        let clean =
            |n: &Option<String>| n.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        let own_name = clean(&self.sender_name);
        let mut out = vec![Identity { name: own_name.clone(), email: self.email.trim().to_string() }];
        for i in &self.identities {
            out.push(Identity {
                name: clean(&i.name).or_else(|| own_name.clone()),
                email: i.email.trim().to_string(),
            });
        }
        out
    }

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
        let mut seen = vec![self.email.trim().to_ascii_lowercase()];
        for i in &self.identities {
            let email = i.email.trim();
            if email.is_empty() {
                return Err(Error::config("one of the other addresses is empty: fill it in or remove it"));
            }
            if crate::compose::Address::email(email).check().is_err() {
                return Err(Error::config(format!(
                    "\"{email}\" (under other addresses) is not an email address"
                )));
            }
            let key = email.to_ascii_lowercase();
            if seen.contains(&key) {
                return Err(Error::config(format!(
                    "\"{email}\" is listed twice among the account's addresses"
                )));
            }
            seen.push(key);
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

    fn account() -> Account {
        toml::from_str(
            r#"
            id = "work"
            name = "Work"
            email = "alice@example.test"
            incoming_protocol = "imap"
            [incoming]
            host = "imap.example.test"
            port = 993
            security = "implicit"
            user = "alice"
            [outgoing]
            host = "smtp.example.test"
            port = 587
            security = "starttls"
            user = "alice"
            "#,
        )
        .unwrap()
    }

    #[test]
    fn an_account_saved_before_identities_loads_with_its_address_only() {
        let a = account();
        assert_eq!(a.sender_name, None);
        assert!(a.identities.is_empty());
        assert_eq!(a.senders(), [Identity { name: None, email: "alice@example.test".into() }]);
        // Written back, it does not grow empty fields.
        let text = toml::to_string(&a).unwrap();
        assert!(!text.contains("sender_name") && !text.contains("identities"), "{text}");
    }

    #[test]
    fn senders_put_the_account_first_and_lend_its_name_to_nameless_identities() {
        let mut a = account();
        a.sender_name = Some(" Alice Example ".into());
        a.identities = vec![
            Identity { name: None, email: "sales@example.test".into() },
            Identity { name: Some("Help Desk".into()), email: " help@example.test ".into() },
            Identity { name: Some("  ".into()), email: "a@example.test".into() },
        ];
        let named = |name: &str, email: &str| Identity { name: Some(name.into()), email: email.into() };
        assert_eq!(
            a.senders(),
            [
                named("Alice Example", "alice@example.test"),
                named("Alice Example", "sales@example.test"),
                named("Help Desk", "help@example.test"),
                named("Alice Example", "a@example.test"),
            ]
        );
        let back: Account = toml::from_str(&toml::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        a.validate().unwrap();
    }

    #[test]
    fn an_identity_that_is_not_an_address_is_refused() {
        let mut a = account();
        a.identities = vec![Identity { name: Some("Sales".into()), email: "sales".into() }];
        let e = a.validate().unwrap_err();
        assert!(
            e.message().contains("\"sales\"") && e.message().contains("other addresses"),
            "{}",
            e.message()
        );
        a.identities = vec![Identity { name: None, email: " ".into() }];
        assert!(a.validate().unwrap_err().message().contains("empty"));
        // What lettre would refuse at sending time is refused here.
        for bad in ["x@", "@x", "a,b@example.test", "<a@example.test>"] {
            a.identities = vec![Identity { name: None, email: bad.into() }];
            assert!(a.validate().is_err(), "{bad}");
        }
        // The account's own address, or one twice (any case): refused.
        for twice in [vec!["ALICE@example.test"], vec!["s@example.test", "S@example.test"]] {
            a.identities = twice.iter().map(|e| Identity { name: None, email: (*e).into() }).collect();
            assert!(a.validate().unwrap_err().message().contains("listed twice"), "{twice:?}");
        }
    }

    #[test]
    fn slug_is_stable_and_safe() {
        assert_eq!(slug("Work (Exchange)"), "work-exchange");
        assert_eq!(slug("  Ünïcode  "), "n-code");
        assert_eq!(slug("***"), "account");
    }
}
