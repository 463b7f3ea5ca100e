//! Logging in: what proves who we are to a server (a password, or an OAuth2 access token),
//! and the SASL mechanisms that carry it ([`sasl`]), shared by IMAP, POP3 and SMTP.

pub mod sasl;

/// What a protocol's log-in sends. Debug output never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A password for the protocol's plain log-in (IMAP LOGIN, POP3 USER/PASS, SMTP AUTH
    /// PLAIN/LOGIN).
    Password { user: String, password: String },
    /// An OAuth2 access token, sent with SASL XOAUTH2 or OAUTHBEARER (RFC 7628).
    Bearer { user: String, token: String },
}

impl Credential {
    pub fn user(&self) -> &str {
        match self {
            Credential::Password { user, .. } | Credential::Bearer { user, .. } => user,
        }
    }

    /// The secret itself, for the transcript to scrub wherever it would appear.
    pub fn secret(&self) -> &str {
        match self {
            Credential::Password { password, .. } => password,
            Credential::Bearer { token, .. } => token,
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Password { user, .. } => write!(f, "Password({user}, <redacted>)"),
            Credential::Bearer { user, .. } => write!(f, "Bearer({user}, <redacted>)"),
        }
    }
}
