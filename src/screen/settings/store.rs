//! Writing an account's settings and removing an account: the keyring (D-Bus) and files
//! block, so both run on tokio's blocking pool and hand back the configuration as now written.

use std::io::ErrorKind;
use std::path::Path;

use tidings_mail::account::{Account, SecretRole};
use tidings_mail::config::Config;
use tidings_mail::error::{Error, Kind};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::Store;

/// The configuration as written, and a sentence for the overview.
#[derive(Debug, Clone)]
pub struct Stored {
    pub config: Config,
    pub notice: String,
}

/// Replaces the account with the same id in a copy of `config`, stores `password` (when a new
/// one was typed) in the keyring, and writes the config file.
pub async fn save(
    profile: Profile,
    secrets: Secrets,
    config: Config,
    account: Account,
    password: Option<String>,
) -> Result<Stored, Error> {
    blocking("save the settings", move || {
        save_blocking(&profile, &secrets, config, account, password.as_deref())
    })
    .await
}

/// Deletes the account's passwords, then its data directory and transcript log, then its
/// config entry, and writes the config file.
pub async fn remove(profile: Profile, secrets: Secrets, config: Config, id: String) -> Result<Stored, Error> {
    blocking("remove the account", move || remove_blocking(&profile, &secrets, config, &id)).await
}

async fn blocking(
    what: &'static str,
    job: impl FnOnce() -> Result<Stored, Error> + Send + 'static,
) -> Result<Stored, Error> {
    tokio::task::spawn_blocking(job).await.unwrap_or_else(|join| {
        Err(Error::new(Kind::Storage, format!("cannot {what}: the task stopped ({join})")))
    })
}

fn save_blocking(
    profile: &Profile,
    secrets: &Secrets,
    mut config: Config,
    account: Account,
    password: Option<&str>,
) -> Result<Stored, Error> {
    account.validate()?;
    let index = config.accounts.iter().position(|a| a.id == account.id).ok_or_else(|| {
        Error::config(format!("the account \"{}\" is no longer in the configuration", account.name))
    })?;
    if config.accounts.iter().any(|a| a.id != account.id && a.name == account.name) {
        return Err(Error::config(format!("an account named \"{}\" already exists", account.name)));
    }
    // The password first: if the keyring refuses, the config is left as it was.
    if let Some(password) = password {
        secrets.set(&account.id, account.secret_role_for(SecretRole::Incoming), password)?;
    }
    let notice = format!("Saved the settings of “{}”.", account.name);
    config.accounts[index] = account;
    config.save(profile)?;
    Ok(Stored { config, notice })
}

fn remove_blocking(
    profile: &Profile,
    secrets: &Secrets,
    mut config: Config,
    id: &str,
) -> Result<Stored, Error> {
    let name = config
        .account(id)
        .map(|a| a.name.clone())
        .ok_or_else(|| Error::config(format!("the account \"{id}\" is no longer in the configuration")))?;
    secrets.delete_account(id)?;
    // Its mail in the profile's store: folders, messages, bodies, the Outbox, the POP3 list
    // (all cascade from the account's row).
    let store = profile.store_path();
    if store.exists() {
        Store::open(&store)?.remove_account(id)?;
    }
    remove_dir(&profile.account_data_dir(id))?;
    let log = profile.transcript_log(id);
    remove_file(&tidings_mail::net::rotated_log(&log))?;
    remove_file(&log)?;
    config.remove_account(id);
    config.save(profile)?;
    Ok(Stored { config, notice: format!("Removed “{name}”.") })
}

/// A missing directory is fine: nothing was downloaded yet.
fn remove_dir(path: &Path) -> Result<(), Error> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(Error::storage(format!("cannot delete {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

fn remove_file(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(Error::storage(format!("cannot delete {}", path.display()), e))
        }
        _ => Ok(()),
    }
}
