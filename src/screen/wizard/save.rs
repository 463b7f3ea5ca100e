//! Saving a new account: the password to the secret store, the settings to the config file.
//! Both block (D-Bus, fsync), so [`save`] runs them on tokio's blocking pool.

use tidings_mail::account::{Account, SecretRole};
use tidings_mail::config::Config;
use tidings_mail::error::{Error, Kind};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

/// Where the password goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordStore {
    /// The desktop's secret service.
    System,
    /// Memory only, for this run: the user chose it because no secret service is reachable.
    SessionOnly,
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
    /// No secret service answered; nothing was written. The user may keep the password for
    /// this session only.
    NoSecretService(Error),
    /// Anything else: invalid or duplicate account, unwritable config file.
    Failed(Error),
}

/// Adds `account` to a copy of `config`, stores the password, writes the config file and
/// returns the new configuration. The password is written nowhere but the secret store (or
/// this process's memory with [`PasswordStore::SessionOnly`]).
pub async fn save(
    profile: Profile,
    secrets: Secrets,
    config: Config,
    account: Account,
    password: String,
    store: PasswordStore,
) -> Result<Saved, SaveError> {
    tokio::task::spawn_blocking(move || save_blocking(&profile, &secrets, config, account, &password, store))
        .await
        .unwrap_or_else(|join| {
            Err(SaveError::Failed(Error::new(
                Kind::Storage,
                format!("cannot save the account: the saving task stopped ({join})"),
            )))
        })
}

fn save_blocking(
    profile: &Profile,
    secrets: &Secrets,
    mut config: Config,
    account: Account,
    password: &str,
    store: PasswordStore,
) -> Result<Saved, SaveError> {
    // The config gives the account its final id, which keys the keyring entry.
    let added = config.add_account(account).map_err(SaveError::Failed)?;
    let (id, account_name) = (added.id.clone(), added.name.clone());
    // The password first: if no secret service answers, nothing has been written yet.
    // SMTP uses the incoming password (`outgoing_own_password` is false for new accounts).
    match store {
        PasswordStore::System => {
            secrets.set(&id, SecretRole::Incoming, password).map_err(|error| match error.kind() {
                Kind::Storage => SaveError::NoSecretService(error),
                _ => SaveError::Failed(error),
            })?;
        }
        PasswordStore::SessionOnly => secrets.keep_for_session(&id, SecretRole::Incoming, password),
    }
    config.save(profile).map_err(SaveError::Failed)?;
    Ok(Saved { config, account_name, store })
}
