//! An account's tokens. The refresh token lives in the keyring
//! (`SecretRole::OAuth2Refresh`), stored again at once when the provider rotates it; the
//! access token lives in this process's memory only, and is refreshed when it has less than
//! a minute left. After a server refused a token, [`forget_access`] makes the next log-in
//! fetch a fresh one (a token revoked early, a clock off).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use super::flow::{self, Reach, Tokens};
use super::grant::{Grant, Known};
use super::provider::Provider;
use crate::account::{Account, SecretRole};
use crate::auth::{Credential, Renew};
use crate::error::{Error, Kind, Result};
use crate::secret::Secrets;

/// An access token this close to its expiry is refreshed first.
const MARGIN: Duration = Duration::from_secs(60);

#[derive(Clone)]
struct Access {
    token: String,
    expires_at: Option<SystemTime>,
    /// The scopes the provider said it granted (space-separated), for the inspector.
    scope: Option<String>,
}

impl Access {
    fn of(tokens: &Tokens) -> Access {
        Access { token: tokens.access.clone(), expires_at: tokens.expires_at, scope: tokens.scope.clone() }
    }
}

/// Access tokens by account id. One refresh at a time per account (the lock is held across
/// it), so two connections starting together do not both spend a rotating refresh token.
static CACHE: LazyLock<Mutex<HashMap<String, Slot>>> = LazyLock::new(Default::default);

/// One account's access token, locked while it is refreshed.
type Slot = Arc<tokio::sync::Mutex<Option<Access>>>;

fn slot(account_id: &str) -> Slot {
    let mut map = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(account_id.to_string()).or_default().clone()
}

/// A sign-in finished: keeps its refresh token in the keyring and its access token here.
pub async fn signed_in(account_id: &str, secrets: &Secrets, tokens: &Tokens) -> Result<()> {
    let refresh = tokens.refresh.clone().ok_or_else(|| {
        Error::new(
            Kind::Config,
            "the provider gave no refresh token, so Tidings would have to ask you to sign in every hour; \
             it must allow offline access (the offline_access scope)",
        )
    })?;
    store_refresh(account_id, secrets, refresh).await?;
    *slot(account_id).lock().await = Some(Access::of(tokens));
    Ok(())
}

/// The access token to log in to the incoming server with, as a credential (the incoming
/// server's user name).
pub async fn bearer(account: &Account, secrets: &Secrets) -> Result<Credential> {
    bearer_for(account, secrets, SecretRole::Incoming, &Reach::default()).await
}

/// The access token for the server `role` names, fresh enough to log in with: from memory,
/// else refreshed with the keyring's refresh token.
pub async fn bearer_for(
    account: &Account,
    secrets: &Secrets,
    role: SecretRole,
    reach: &Reach,
) -> Result<Credential> {
    let user = match role {
        SecretRole::Outgoing => account.outgoing.user.clone(),
        _ => account.incoming.user.clone(),
    };
    let mechanism = account.oauth2.as_ref().and_then(|o| o.mechanism);
    let renew = Some(Renew::new(account, secrets, role));
    let known = account.oauth2.as_ref().and_then(|o| Known::of(&o.provider));
    let credential = |access: &Access| Credential::Bearer {
        user,
        token: access.token.clone(),
        mechanism,
        renew,
        grant: Some(Grant::read(&access.token, access.scope.as_deref(), access.expires_at, known)),
    };
    let slot = slot(&account.id);
    let mut held = slot.lock().await;
    if let Some(access) = held.as_ref().filter(|a| fresh(a)) {
        return Ok(credential(access));
    }
    let provider = Provider::for_account(account)?;
    let refresh = read_refresh(&account.id, secrets).await?.ok_or_else(|| {
        Error::new(
            Kind::Auth,
            format!("the account \"{}\" is not signed in with {}; sign in", account.name, provider.name),
        )
    })?;
    let tokens = flow::refresh(&provider, &refresh, reach).await?;
    // A rotated refresh token replaces the old one at once: the old one may be dead already.
    if let Some(new) = tokens.refresh.clone().filter(|r| *r != refresh) {
        store_refresh(&account.id, secrets, new).await?;
    }
    let access = Access::of(&tokens);
    let bearer = credential(&access);
    *held = Some(access);
    Ok(bearer)
}

/// Drops the account's access token from memory (a server refused it): the next
/// [`bearer_for`] refreshes.
pub fn forget_access(account_id: &str) {
    let slot = slot(account_id);
    if let Ok(mut held) = slot.try_lock() {
        *held = None;
    } else {
        // A refresh is running: what it brings is new anyway.
    }
}

/// Drops `token` from memory if it is still the account's current one (a server refused
/// it); a newer token, fetched meanwhile by another connection, stays.
pub fn forget_token(account_id: &str, token: &str) {
    let slot = slot(account_id);
    if let Ok(mut held) = slot.try_lock()
        && held.as_ref().is_some_and(|a| a.token == token)
    {
        *held = None;
    }
}

fn fresh(access: &Access) -> bool {
    access.expires_at.is_none_or(|at| at.duration_since(SystemTime::now()).is_ok_and(|left| left > MARGIN))
}

async fn read_refresh(account_id: &str, secrets: &Secrets) -> Result<Option<String>> {
    let (id, secrets) = (account_id.to_string(), secrets.clone());
    tokio::task::spawn_blocking(move || secrets.get(&id, SecretRole::OAuth2Refresh))
        .await
        .map_err(|e| Error::new(Kind::Storage, format!("cannot read the keyring (the task stopped: {e})")))?
}

async fn store_refresh(account_id: &str, secrets: &Secrets, refresh: String) -> Result<()> {
    let (id, secrets) = (account_id.to_string(), secrets.clone());
    tokio::task::spawn_blocking(move || secrets.set(&id, SecretRole::OAuth2Refresh, &refresh))
        .await
        .map_err(|e| Error::new(Kind::Storage, format!("cannot write the keyring (the task stopped: {e})")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_token_is_fresh_until_a_minute_before_it_expires() {
        let at = |secs: i64| Access {
            token: "t".into(),
            scope: None,
            expires_at: Some(if secs >= 0 {
                SystemTime::now() + Duration::from_secs(secs as u64)
            } else {
                SystemTime::now() - Duration::from_secs((-secs) as u64)
            }),
        };
        assert!(fresh(&at(3600)));
        assert!(!fresh(&at(30)));
        assert!(!fresh(&at(-10)));
        assert!(fresh(&Access { token: "t".into(), expires_at: None, scope: None }));
    }

    #[test]
    fn tokens_never_show_in_debug_output() {
        let tokens = Tokens {
            access: "secret-access".into(),
            refresh: Some("secret-refresh".into()),
            expires_at: None,
            scope: Some("mail".into()),
        };
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("secret-"), "{shown}");
    }
}
