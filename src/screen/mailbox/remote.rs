//! The server side of the mailbox: fetching a message's body when it is opened (IMAP), or
//! the rest of a message downloaded as headers only (POP3). Getting mail is not done here:
//! the account's send/receive passes run in the app's per-account subscription.
//!
//! The IMAP engine is created on first use (the password lookup and the CA file read run on
//! `spawn_blocking`) and lent to one task at a time: the task takes it out of its slot and
//! gives it back when it finished cleanly. A task that is aborted midway (the screen was
//! left, another message was opened) drops its engine with its half-used connection, and
//! the next task opens a fresh one. A kept connection may have been closed by the server
//! meanwhile (servers drop idle clients): when a reused engine fails with a network error,
//! the task tries once more on a new connection.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use tidings_mail::account::{Account, SecretRole};
use tidings_mail::auth::{self, Credential};
use tidings_mail::error::{Error, Kind, Result};
use tidings_mail::net::Transcript;
use tidings_mail::pop3::{self, Pop3Target};
use tidings_mail::secret::Secrets;
use tidings_mail::store::{FolderId, StoreHandle};
use tidings_mail::sync::Engine;

type Slot = Arc<Mutex<Option<Engine>>>;

/// How to reach an account's server, with the engine that fetches bodies.
#[derive(Clone)]
pub struct Remote {
    account: Account,
    secrets: Secrets,
    /// Where the redacted transcript goes when the account asks for one.
    log: Option<PathBuf>,
    /// The store handle the engines write through.
    store: StoreHandle,
    reading: Slot,
    /// Bytes the servers sent to this mailbox's connections, for the reader's progress.
    received: Arc<AtomicU64>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Remote({})", self.account.id)
    }
}

impl Remote {
    pub fn new(account: Account, secrets: Secrets, log: Option<PathBuf>, store: StoreHandle) -> Remote {
        Remote { account, secrets, log, store, reading: Slot::default(), received: Arc::default() }
    }

    /// Whether the account's server is IMAP (it can search, and hold bodies not stored).
    pub(super) fn is_imap(&self) -> bool {
        self.account.incoming_protocol == tidings_mail::account::Incoming::Imap
    }

    /// Bytes the servers have sent so far (all of this mailbox's body downloads together).
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// The slot's engine (true: reused), or a new one.
    async fn engine(&self, slot: &Slot) -> Result<(Engine, bool)> {
        if let Some(engine) = slot.lock().await.take() {
            return Ok((engine, true));
        }
        Ok((self.new_engine().await?, false))
    }

    /// A new engine: its credential (the keyring read on a blocking thread), CA file read,
    /// on `spawn_blocking`.
    pub(super) async fn new_engine(&self) -> Result<Engine> {
        let (account, store) = (self.account.clone(), self.store.clone());
        self.with_credential(move |credential, transcript| {
            Engine::new(&account, credential, store, transcript)
        })
        .await
    }

    /// Runs `f` on `spawn_blocking` with the incoming server's credential and the account's
    /// transcript.
    async fn with_credential<T: Send + 'static>(
        &self,
        f: impl FnOnce(Credential, Transcript) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let credential = auth::credential(&self.account, &self.secrets, SecretRole::Incoming).await?;
        let (log, received) = (self.log.clone(), self.received.clone());
        tokio::task::spawn_blocking(move || {
            let transcript = Transcript::new();
            transcript.count_received(received);
            if let Some(path) = &log {
                transcript
                    .log_to(path)
                    .map_err(|e| Error::storage(format!("cannot write the log {}", path.display()), e))?;
            }
            f(credential, transcript)
        })
        .await
        .map_err(|e| {
            Error::new(Kind::Storage, format!("cannot prepare the connection (the task stopped: {e})"))
        })?
    }

    /// The whole text of a POP3 message downloaded as headers only: fetched from the server
    /// by its UIDL and kept (`pop3::fetch_rest`).
    pub async fn rest(&self, folder: FolderId, uid: u32) -> Result<Vec<u8>> {
        let account = self.account.clone();
        let (target, transcript) = self
            .with_credential(move |credential, transcript| {
                Ok((Pop3Target::for_account(&account, credential)?, transcript))
            })
            .await?;
        pop3::fetch_rest(&target, &self.store, folder, uid, &transcript).await
    }

    async fn give_back(slot: &Slot, engine: Engine) {
        *slot.lock().await = Some(engine);
    }

    /// The raw message: from the store when it was kept, else from the server (and kept).
    pub async fn body(&self, folder_name: String, uid: u32) -> Result<Vec<u8>> {
        let (mut engine, reused) = self.engine(&self.reading).await?;
        let mut raw = engine.fetch_body(&folder_name, uid).await;
        if reused && raw.as_ref().is_err_and(|e| e.kind() == Kind::Network) {
            engine = self.new_engine().await?;
            raw = engine.fetch_body(&folder_name, uid).await;
        }
        // Any failure may have left the connection unusable: the next fetch starts afresh.
        if raw.is_ok() {
            Remote::give_back(&self.reading, engine).await;
        }
        raw
    }
}

/// The kept body of a message, or `None` when it has not been downloaded.
pub async fn kept_body(
    store: &StoreHandle,
    folder: FolderId,
    uidvalidity: u32,
    uid: u32,
) -> Result<Option<Vec<u8>>> {
    store.call(move |s| s.body(folder, uidvalidity, uid)).await
}
