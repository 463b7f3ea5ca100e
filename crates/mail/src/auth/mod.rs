//! Logging in: what proves who we are to a server (a password, or an OAuth2 access token),
//! and the SASL mechanisms that carry it ([`sasl`]), shared by IMAP, POP3 and SMTP.

pub mod sasl;

use crate::account::{Account, AuthMethod, SecretRole};
use crate::error::{Error, Kind, Result};
use crate::secret::Secrets;

/// What a protocol's log-in sends. Debug output never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A password for the protocol's plain log-in (IMAP LOGIN, POP3 USER/PASS, SMTP AUTH
    /// PLAIN/LOGIN).
    Password { user: String, password: String },
    /// An OAuth2 access token, sent with SASL XOAUTH2 or OAUTHBEARER (RFC 7628): the
    /// mechanism the account prefers when a server offers both, where a fresh token comes
    /// from (none: this token only, as tests give one), and what the token was granted (for
    /// the inspector; none when not known).
    Bearer {
        user: String,
        token: String,
        mechanism: Option<sasl::Mechanism>,
        renew: Option<Renew>,
        grant: Option<crate::oauth2::Grant>,
    },
}

/// Where an account's access tokens come from ([`crate::oauth2`]'s token store): every log-in
/// takes the current one, so a connection that logs in again after an hour (IDLE, a pass that
/// reconnects) gets a new token, not the expired one.
#[derive(Clone)]
pub struct Renew {
    account: std::sync::Arc<Account>,
    secrets: Secrets,
    role: SecretRole,
}

impl Renew {
    pub fn new(account: &Account, secrets: &Secrets, role: SecretRole) -> Renew {
        Renew { account: std::sync::Arc::new(account.clone()), secrets: secrets.clone(), role }
    }
}

impl PartialEq for Renew {
    fn eq(&self, other: &Renew) -> bool {
        self.account.id == other.account.id && self.role == other.role
    }
}

impl Eq for Renew {}

impl Credential {
    pub fn password(user: impl Into<String>, password: impl Into<String>) -> Credential {
        Credential::Password { user: user.into(), password: password.into() }
    }

    /// An access token on its own (no store to renew it from).
    pub fn bearer(user: impl Into<String>, token: impl Into<String>) -> Credential {
        Credential::Bearer {
            user: user.into(),
            token: token.into(),
            mechanism: None,
            renew: None,
            grant: None,
        }
    }

    /// The credential to log in with now: a password as it is; an access token from the
    /// account's token store (refreshed when it is about to expire).
    pub async fn current(&self) -> Result<Credential> {
        match self {
            Credential::Bearer { renew: Some(renew), .. } => {
                crate::oauth2::bearer_for(
                    &renew.account,
                    &renew.secrets,
                    renew.role,
                    &crate::oauth2::Reach::default(),
                )
                .await
            }
            other => Ok(other.clone()),
        }
    }

    /// After a server refused this access token: a new one from the provider (the store
    /// forgets the refused one first), when the credential can be renewed at all. A token
    /// revoked early or a clock off is then survived with one more try.
    pub async fn renewed(&self) -> Option<Result<Credential>> {
        match self {
            Credential::Bearer { renew: Some(renew), token, .. } => {
                crate::oauth2::forget_token(&renew.account.id, token);
                Some(self.current().await)
            }
            _ => None,
        }
    }

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

/// What an account's two servers log in with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub incoming: Credential,
    pub outgoing: Credential,
}

impl Credentials {
    /// Both servers' credentials ([`credential`]).
    pub async fn lookup(account: &Account, secrets: &Secrets) -> Result<Credentials> {
        Ok(Credentials {
            incoming: credential(account, secrets, SecretRole::Incoming).await?,
            outgoing: credential(account, secrets, SecretRole::Outgoing).await?,
        })
    }
}

/// What `role`'s server of `account` is logged in with: its password from the keyring (or
/// this session's memory), or for a server that signs in with OAuth2 an access token.
/// `role` is [`SecretRole::Incoming`] or [`SecretRole::Outgoing`]. The keyring is read on a
/// blocking thread.
pub async fn credential(account: &Account, secrets: &Secrets, role: SecretRole) -> Result<Credential> {
    let server = match role {
        SecretRole::Outgoing => &account.outgoing,
        _ => &account.incoming,
    };
    match server.auth {
        AuthMethod::Password => {
            let (account, secrets) = (account.clone(), secrets.clone());
            tokio::task::spawn_blocking(move || password(&account, &secrets, role)).await.unwrap_or_else(
                |e| {
                    Err(Error::new(Kind::Storage, format!("cannot read the password from the keyring ({e})")))
                },
            )
        }
        AuthMethod::OAuth2 => {
            crate::oauth2::bearer_for(account, secrets, role, &crate::oauth2::Reach::default()).await
        }
    }
}

/// The password credential of `role`'s server, following the account's password roles
/// (SMTP may share the incoming password). Blocks on the keyring: call it from a worker
/// thread, or use [`credential`].
pub fn password(account: &Account, secrets: &Secrets, role: SecretRole) -> Result<Credential> {
    let (server, role) = match role {
        SecretRole::Outgoing => (&account.outgoing, account.secret_role_for(SecretRole::Outgoing)),
        SecretRole::Incoming => (&account.incoming, account.secret_role_for(SecretRole::Incoming)),
        SecretRole::OAuth2Refresh => {
            return Err(Error::new(
                Kind::Config,
                "the OAuth2 refresh token is not a password to log in with",
            ));
        }
    };
    if server.auth == AuthMethod::OAuth2 {
        return Err(Error::new(
            Kind::Config,
            format!("the account \"{}\" signs in with OAuth2 there, not with a password", account.name),
        ));
    }
    let password = secrets.get(&account.id, role)?.ok_or_else(|| {
        Error::new(
            Kind::Config,
            format!("no {} password is stored for the account \"{}\"", role.as_str(), account.name),
        )
    })?;
    Ok(Credential::Password { user: server.user.clone(), password })
}
