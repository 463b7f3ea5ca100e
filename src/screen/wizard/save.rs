//! Saving a new account: its secret to the secret store (the password, or an OAuth2 sign-in's
//! refresh token), the settings to the config file. Both block (D-Bus, fsync), so [`save`]
//! runs them off the UI thread.

use std::fmt;

use tidings_mail::account::{Account, SecretRole};
use tidings_mail::config::Config;
use tidings_mail::error::{Error, Kind};
use tidings_mail::oauth2::{self, Tokens};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

/// Where the secret goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordStore {
    /// The desktop's secret service.
    System,
    /// Memory only, for this run: the user chose it because no secret service is reachable.
    SessionOnly,
}

/// What the account logs in with, kept when it is saved.
#[derive(Clone)]
pub enum Secret {
    Password(String),
    /// The sign-in's tokens: the refresh token to the keyring, the access token to the core's
    /// token store (memory).
    OAuth2(Box<Tokens>),
}

/// Secrets never appear in debug output.
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(<redacted>)"),
            Secret::OAuth2(tokens) => f.debug_tuple("OAuth2").field(tokens).finish(),
        }
    }
}

/// An account was saved.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The configuration as now written, with the new account.
    pub config: Config,
    pub account_name: String,
    pub store: PasswordStore,
}

/// Why an account was not saved.
#[derive(Debug, Clone)]
pub enum SaveError {
    /// No secret service answered; nothing was written. The user may keep the password (or
    /// the sign-in) for this session only.
    NoSecretService(Error),
    /// Anything else: invalid or duplicate account, unwritable config file.
    Failed(Error),
}

/// Adds `account` to a copy of `config`, keeps its secret, writes the config file and returns
/// the new configuration. The secret is written nowhere but the secret store (or this
/// process's memory with [`PasswordStore::SessionOnly`]).
pub async fn save(
    profile: Profile,
    secrets: Secrets,
    mut config: Config,
    account: Account,
    secret: Secret,
    store: PasswordStore,
) -> Result<Saved, SaveError> {
    // The config gives the account its final id, which keys the keyring entry.
    let added = config.add_account(account).map_err(SaveError::Failed)?;
    let (id, account_name) = (added.id.clone(), added.name.clone());
    // The secret first: if no secret service answers, nothing has been written yet.
    match secret {
        Secret::Password(password) => {
            let (id, secrets) = (id.clone(), secrets.clone());
            blocking(move || keep_password(&secrets, &id, &password, store)).await?
        }
        Secret::OAuth2(tokens) => keep_tokens(&secrets, &id, &tokens, store).await?,
    }
    blocking(move || {
        config.save(&profile).map_err(SaveError::Failed)?;
        Ok(Saved { config, account_name, store })
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SaveError> + Send + 'static,
) -> Result<T, SaveError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|join| {
        Err(SaveError::Failed(Error::new(
            Kind::Storage,
            format!("cannot save the account: the saving task stopped ({join})"),
        )))
    })
}

/// SMTP uses the incoming password (`outgoing_own_password` is false for new accounts).
fn keep_password(secrets: &Secrets, id: &str, password: &str, store: PasswordStore) -> Result<(), SaveError> {
    match store {
        PasswordStore::System => secrets.set(id, SecretRole::Incoming, password).map_err(no_secret_service),
        PasswordStore::SessionOnly => {
            secrets.keep_for_session(id, SecretRole::Incoming, password);
            Ok(())
        }
    }
}

async fn keep_tokens(
    secrets: &Secrets,
    id: &str,
    tokens: &Tokens,
    store: PasswordStore,
) -> Result<(), SaveError> {
    match store {
        PasswordStore::System => oauth2::signed_in(id, secrets, tokens).await.map_err(no_secret_service),
        PasswordStore::SessionOnly => {
            // The token store takes the access token; the refresh token stays in this run's
            // memory, where the keyring lookups find it.
            oauth2::signed_in(id, &Secrets::session_only(), tokens).await.map_err(SaveError::Failed)?;
            if let Some(refresh) = &tokens.refresh {
                secrets.keep_for_session(id, SecretRole::OAuth2Refresh, refresh);
            }
            Ok(())
        }
    }
}

fn no_secret_service(error: Error) -> SaveError {
    match error.kind() {
        Kind::Storage => SaveError::NoSecretService(error),
        _ => SaveError::Failed(error),
    }
}
