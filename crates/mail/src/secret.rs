//! Passwords, kept in the system's Secret Service through the keyring crates — never in a
//! file. When no secret service is reachable, the caller may choose to keep a password in
//! memory for this run only ([`Secrets::keep_for_session`]).
//!
//! Every call may block on D-Bus: call from a worker thread (`spawn_blocking`), never from
//! the UI thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use keyring_core::{CredentialStore, Entry};

use crate::account::SecretRole;
use crate::error::{Error, Kind, Result};

/// The service name under which Tidings' entries are stored.
const SERVICE: &str = "tidings";

#[derive(Clone)]
pub struct Secrets {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    session: Mutex<HashMap<(String, SecretRole), String>>,
}

enum Backend {
    /// The desktop's Secret Service (GNOME Keyring, KWallet, KeePassXC), connected lazily.
    SecretService(OnceLock<std::result::Result<Arc<CredentialStore>, String>>),
    /// A given store (the keyring's in-memory mock store in tests).
    Store(Arc<CredentialStore>),
    /// Nothing persistent: only what [`Secrets::keep_for_session`] holds.
    SessionOnly,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.backend_name())
    }
}

impl Secrets {
    /// The Secret Service on the session bus. Connects on first use.
    pub fn system() -> Secrets {
        Secrets::with_backend(Backend::SecretService(OnceLock::new()))
    }

    /// The keyring's in-memory store: for tests.
    pub fn in_memory() -> Secrets {
        match keyring_core::mock::Store::new() {
            Ok(store) => Secrets::with_backend(Backend::Store(store)),
            Err(_) => Secrets::session_only(),
        }
    }

    /// A Secret Service that cannot be reached, as on a desktop without one: every keyring
    /// operation fails with the same error the real connection gives. For tests.
    pub fn unreachable(why: &str) -> Secrets {
        let cell = OnceLock::new();
        let _ = cell.set(Err(why.to_string()));
        Secrets::with_backend(Backend::SecretService(cell))
    }

    /// Passwords only for this run (when the user declines or lacks a secret service).
    pub fn session_only() -> Secrets {
        Secrets::with_backend(Backend::SessionOnly)
    }

    fn with_backend(backend: Backend) -> Secrets {
        Secrets { inner: Arc::new(Inner { backend, session: Mutex::new(HashMap::new()) }) }
    }

    pub fn backend_name(&self) -> &'static str {
        match self.inner.backend {
            Backend::SecretService(_) => "Secret Service",
            Backend::Store(_) => "in-memory keyring",
            Backend::SessionOnly => "this session only",
        }
    }

    fn store(&self) -> Result<Option<Arc<CredentialStore>>> {
        match &self.inner.backend {
            Backend::SecretService(cell) => {
                let got = cell.get_or_init(|| {
                    zbus_secret_service_keyring_store::Store::new()
                        .map(|s| s as Arc<CredentialStore>)
                        .map_err(|e| e.to_string())
                });
                match got {
                    Ok(store) => Ok(Some(store.clone())),
                    Err(why) => Err(unreachable(why)),
                }
            }
            Backend::Store(store) => Ok(Some(store.clone())),
            Backend::SessionOnly => Ok(None),
        }
    }

    fn entry(store: &Arc<CredentialStore>, account_id: &str, role: SecretRole) -> Result<Entry> {
        store
            .build(SERVICE, &format!("{account_id}/{}", role.as_str()), None)
            .map_err(|e| map_err("cannot open the keyring entry", e))
    }

    /// The password for an account's role: this session's first, then the keyring.
    pub fn get(&self, account_id: &str, role: SecretRole) -> Result<Option<String>> {
        if let Some(p) = self.session_get(account_id, role) {
            return Ok(Some(p));
        }
        let Some(store) = self.store()? else { return Ok(None) };
        match Self::entry(&store, account_id, role)?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err("cannot read the password from the keyring", e)),
        }
    }

    /// Stores a password in the keyring. Fails with [`Kind::Storage`] when no secret service
    /// is reachable; nothing is written anywhere else.
    pub fn set(&self, account_id: &str, role: SecretRole, password: &str) -> Result<()> {
        let Some(store) = self.store()? else {
            self.keep_for_session(account_id, role, password);
            return Ok(());
        };
        Self::entry(&store, account_id, role)?
            .set_password(password)
            .map_err(|e| map_err("cannot save the password in the keyring", e))
    }

    /// Keeps a password in memory for this run only.
    pub fn keep_for_session(&self, account_id: &str, role: SecretRole, password: &str) {
        if let Ok(mut map) = self.inner.session.lock() {
            map.insert((account_id.to_string(), role), password.to_string());
        }
    }

    fn session_get(&self, account_id: &str, role: SecretRole) -> Option<String> {
        let map = self.inner.session.lock().ok()?;
        map.get(&(account_id.to_string(), role)).cloned()
    }

    /// Removes every password of an account (both roles; missing entries are fine).
    pub fn delete_account(&self, account_id: &str) -> Result<()> {
        if let Ok(mut map) = self.inner.session.lock() {
            map.retain(|(id, _), _| id != account_id);
        }
        let Some(store) = self.store()? else { return Ok(()) };
        for role in [SecretRole::Incoming, SecretRole::Outgoing, SecretRole::OAuth2Refresh] {
            match Self::entry(&store, account_id, role)?.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                Err(e) => return Err(map_err("cannot remove the password from the keyring", e)),
            }
        }
        Ok(())
    }
}

fn unreachable(why: &str) -> Error {
    Error::new(
        Kind::Storage,
        format!(
            "no secret service is reachable ({why}); Tidings never writes passwords to disk, so it can only keep the password for this session"
        ),
    )
}

fn map_err(what: &str, e: keyring_core::Error) -> Error {
    match e {
        keyring_core::Error::NoStorageAccess(_) | keyring_core::Error::PlatformFailure(_) => {
            unreachable(&e.to_string())
        }
        other => Error::new(Kind::Storage, format!("{what}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_round_trip_and_delete() {
        let s = Secrets::in_memory();
        assert_eq!(s.get("a", SecretRole::Incoming).unwrap(), None);
        s.set("a", SecretRole::Incoming, "pw1").unwrap();
        s.set("a", SecretRole::Outgoing, "pw2").unwrap();
        s.set("b", SecretRole::Incoming, "other").unwrap();
        assert_eq!(s.get("a", SecretRole::Incoming).unwrap().as_deref(), Some("pw1"));
        assert_eq!(s.get("a", SecretRole::Outgoing).unwrap().as_deref(), Some("pw2"));
        s.delete_account("a").unwrap();
        assert_eq!(s.get("a", SecretRole::Incoming).unwrap(), None);
        assert_eq!(s.get("b", SecretRole::Incoming).unwrap().as_deref(), Some("other"));
    }

    #[test]
    fn unreachable_fails_plainly_but_session_memory_works() {
        let s = Secrets::unreachable("no bus");
        let e = s.set("a", SecretRole::Incoming, "pw").unwrap_err();
        assert_eq!(e.kind(), Kind::Storage);
        assert!(e.message().contains("no secret service is reachable (no bus)"), "{e}");
        s.keep_for_session("a", SecretRole::Incoming, "pw");
        assert_eq!(s.get("a", SecretRole::Incoming).unwrap().as_deref(), Some("pw"));
    }

    #[test]
    fn session_only_keeps_in_memory() {
        let s = Secrets::session_only();
        s.set("a", SecretRole::Incoming, "pw").unwrap();
        assert_eq!(s.get("a", SecretRole::Incoming).unwrap().as_deref(), Some("pw"));
        s.delete_account("a").unwrap();
        assert_eq!(s.get("a", SecretRole::Incoming).unwrap(), None);
    }
}
