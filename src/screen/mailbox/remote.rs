//! The server side of the mailbox: getting mail (the core's sync engine, as a stream of
//! progress for the screen) and fetching a message's body when it is opened.
//!
//! Two engines, so opening a message never waits for a long sync: one syncs, one fetches
//! bodies. Each is created on first use (the password lookup and the CA file read run on
//! `spawn_blocking`) and lent to one task at a time: the task takes it out of its slot and
//! gives it back when it finished cleanly. A task that is aborted midway (the screen was
//! left, another message was opened) drops its engine with its half-used connection, and
//! the next task opens a fresh one. A kept connection may have been closed by the server
//! meanwhile (servers drop idle clients): when a reused engine fails with a network error,
//! the task tries once more on a new connection.

use std::path::PathBuf;
use std::sync::Arc;

use iced::futures::{Stream, stream};
use tokio::sync::Mutex;
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::task::JoinHandle;

use tidings_mail::account::{Account, SecretRole};
use tidings_mail::error::{Error, Kind, Result};
use tidings_mail::idle::IdleConfig;
use tidings_mail::net::Transcript;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{FolderId, StoreHandle};
pub use tidings_mail::sync::Phase;
pub use tidings_mail::sync::push::PushEvent;
use tidings_mail::sync::{AccountReport, Engine, Progress};

use super::format::count;

type Slot = Arc<Mutex<Option<Engine>>>;

/// How to reach an account's server, with its two engines.
#[derive(Clone)]
pub struct Remote {
    account: Account,
    secrets: Secrets,
    /// Where the redacted transcript goes when the account asks for one.
    log: Option<PathBuf>,
    /// The store handle the engines write through.
    store: StoreHandle,
    syncing: Slot,
    reading: Slot,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Remote({})", self.account.id)
    }
}

impl Remote {
    pub fn new(account: Account, secrets: Secrets, log: Option<PathBuf>, store: StoreHandle) -> Remote {
        Remote { account, secrets, log, store, syncing: Slot::default(), reading: Slot::default() }
    }

    /// The slot's engine (true: reused), or a new one.
    async fn engine(&self, slot: &Slot) -> Result<(Engine, bool)> {
        if let Some(engine) = slot.lock().await.take() {
            return Ok((engine, true));
        }
        Ok((self.new_engine().await?, false))
    }

    /// A new engine: password from the keyring, CA file read, on `spawn_blocking`.
    async fn new_engine(&self) -> Result<Engine> {
        let (account, secrets, log, store) =
            (self.account.clone(), self.secrets.clone(), self.log.clone(), self.store.clone());
        tokio::task::spawn_blocking(move || {
            let role = account.secret_role_for(SecretRole::Incoming);
            let password = secrets.get(&account.id, role)?.ok_or_else(|| {
                Error::new(
                    Kind::Config,
                    format!("no password is stored for the account \"{}\"", account.name),
                )
            })?;
            let transcript = Transcript::new();
            if let Some(path) = &log {
                transcript
                    .log_to(path)
                    .map_err(|e| Error::storage(format!("cannot write the log {}", path.display()), e))?;
            }
            Engine::new(&account, password, store, transcript)
        })
        .await
        .map_err(|e| {
            Error::new(Kind::Storage, format!("cannot prepare the connection (the task stopped: {e})"))
        })?
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

/// What a running sync reports.
#[derive(Debug, Clone)]
pub enum SyncEvent {
    /// The latest progress; `folder_done`: a folder finished since the last event.
    Progress {
        latest: Progress,
        folder_done: bool,
    },
    Finished(Result<Box<AccountReport>, Error>),
}

/// A sync of the whole account, as events. The sync runs on its own tokio task (so its pace
/// never depends on drawing); dropping the stream aborts it.
pub fn sync(remote: Remote) -> impl Stream<Item = SyncEvent> + Send + 'static {
    stream::unfold(State::Start(Box::new(remote)), |state| async move {
        match state {
            State::Start(remote) => {
                let (tx, progress) = mpsc::unbounded_channel();
                let worker = tokio::spawn(async move {
                    let (mut engine, reused) = remote.engine(&remote.syncing).await?;
                    let on_progress = move |p: &Progress| {
                        let _ = tx.send(p.clone());
                    };
                    let mut report = engine.sync_account(&on_progress).await;
                    if reused && report.as_ref().is_err_and(|e| e.kind() == Kind::Network) {
                        engine = remote.new_engine().await?;
                        report = engine.sync_account(&on_progress).await;
                    }
                    if report.as_ref().is_ok_and(|r| r.error.is_none()) {
                        Remote::give_back(&remote.syncing, engine).await;
                    }
                    report
                });
                next(progress, Worker(worker)).await
            }
            State::Running { progress, worker } => next(progress, worker).await,
            State::Done => None,
        }
    })
}

enum State {
    Start(Box<Remote>),
    Running { progress: UnboundedReceiver<Progress>, worker: Worker },
    Done,
}

/// The spawned sync; aborted when dropped.
struct Worker(JoinHandle<Result<AccountReport>>);

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn next(mut progress: UnboundedReceiver<Progress>, mut worker: Worker) -> Option<(SyncEvent, State)> {
    tokio::select! {
        // Progress first: what happened before the end is shown before the result.
        biased;
        Some(first) = progress.recv() => {
            let mut folder_done = first.phase == Phase::Done;
            let mut latest = first;
            while let Ok(more) = progress.try_recv() {
                folder_done |= more.phase == Phase::Done;
                latest = more;
            }
            Some((SyncEvent::Progress { latest, folder_done }, State::Running { progress, worker }))
        }
        ended = &mut worker.0 => {
            let result = ended.unwrap_or_else(|e| {
                Err(Error::new(Kind::Network, format!("getting mail stopped unexpectedly ({e})")))
            });
            Some((SyncEvent::Finished(result.map(Box::new)), State::Done))
        }
    }
}

/// The status line for a progress event: "Checking INBOX: headers 400 of 1000".
pub fn describe(p: &Progress) -> String {
    let folder = tidings_mail::store::decode_mutf7(&p.folder);
    match p.phase {
        Phase::Folders => "Reading the folder list…".to_string(),
        Phase::Select => format!("Checking {folder}…"),
        Phase::Expunges => format!("Checking {folder}: comparing with the server"),
        Phase::Headers => format!("Checking {folder}: headers {} of {}", count(p.done), count(p.total)),
        Phase::Flags => format!("Checking {folder}: flags"),
        Phase::Done => format!("Checked {folder}"),
    }
}

/// The status line once a sync ended.
pub fn summary(report: &AccountReport) -> String {
    let new: u64 = report.folders.iter().map(|f| f.new).sum();
    let failed = report.folders.iter().filter(|f| !f.ok()).count();
    let folders = match report.folders.len() {
        1 => "1 folder".to_string(),
        n => format!("{n} folders"),
    };
    let mut line = match new {
        0 => format!("Checked {folders}: no new messages."),
        1 => format!("Checked {folders}: 1 new message."),
        n => format!("Checked {folders}: {} new messages.", count(n)),
    };
    if failed > 0 {
        line.push_str(&format!(" {failed} could not be checked."));
    }
    if !report.actions_refused.is_empty() {
        line.push_str(&format!(" The server refused {} of your changes.", report.actions_refused.len()));
    }
    line
}

/// Keys the push subscription by account only, so edits elsewhere never restart it.
pub struct PushKey(pub Remote);

impl std::hash::Hash for PushKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        "push".hash(state);
        self.0.account.id.hash(state);
    }
}

/// IDLE on INBOX feeding the sync engine (the core's `sync::push`), as a stream of what it
/// reports; new mail reaches the store with no user action. With IDLE turned off for the
/// account, or a server without it, the core polls instead. Dropping the stream stops it.
pub fn push(key: &PushKey) -> impl Stream<Item = PushEvent> + Send + use<> {
    let remote = key.0.clone();
    stream::unfold(None::<(UnboundedReceiver<PushEvent>, AbortOnDrop)>, move |state| {
        let remote = remote.clone();
        async move {
            let (mut rx, guard) = match state {
                Some(s) => s,
                None => match start_push(&remote).await {
                    Ok(s) => s,
                    Err(e) => return Some((PushEvent::Failed(e.to_string()), None)),
                },
            };
            let event = rx.recv().await?;
            Some((event, Some((rx, guard))))
        }
    })
}

async fn start_push(remote: &Remote) -> Result<(UnboundedReceiver<PushEvent>, AbortOnDrop)> {
    let engine = remote.new_engine().await?;
    let account = remote.account.clone();
    let secrets = remote.secrets.clone();
    let (ep, password) = tokio::task::spawn_blocking(move || -> Result<_> {
        let ep = tidings_mail::net::Endpoint::for_account(&account, &account.incoming)?;
        let role = account.secret_role_for(SecretRole::Incoming);
        let password = secrets
            .get(&account.id, role)?
            .ok_or_else(|| Error::new(Kind::Config, "no password is stored for this account"))?;
        Ok((ep, password))
    })
    .await
    .map_err(|e| Error::new(Kind::Storage, format!("cannot prepare push (the task stopped: {e})")))??;
    let cfg = IdleConfig { use_idle: remote.account.options.idle, ..IdleConfig::default() };
    let (tx, rx) = mpsc::unbounded_channel();
    let user = remote.account.incoming.user.clone();
    let task = tokio::spawn(tidings_mail::sync::push::push(engine, ep, user, password, cfg, tx));
    Ok((rx, AbortOnDrop(task)))
}

/// Stops the push task when the subscription goes away.
pub struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced::futures::StreamExt;
    use tidings_mail::account::{AuthMethod, Incoming, Security, Server, Trust};
    use tidings_mail::store::Store;
    use tidings_mail::sync::no_progress;

    /// The mailbox's push stream against the testkit's Dovecot: a delivery while idling
    /// comes back as a folder sync with the new message, no command given.
    #[tokio::test]
    async fn push_brings_new_mail_into_the_store() {
        let s = tidings_testkit::MailServers::start().unwrap_or_else(|e| panic!("{e}"));
        let alice = s.user("alice");
        s.seed(alice, 2).unwrap();
        let server = Server {
            host: "127.0.0.1".into(),
            port: s.imaps_port(),
            security: Security::Implicit,
            user: alice.login.clone(),
            auth: AuthMethod::Password,
            trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
        };
        let account = Account {
            id: "alice".into(),
            name: "Alice".into(),
            email: alice.email.clone(),
            incoming_protocol: Incoming::Imap,
            incoming: server.clone(),
            outgoing: server,
            outgoing_own_password: false,
            log_transcript: false,
            options: Default::default(),
        };
        let secrets = Secrets::in_memory();
        secrets.set("alice", SecretRole::Incoming, &alice.password).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = StoreHandle::spawn(Store::open(dir.path().join("mail.sqlite3")).unwrap()).unwrap();
        let mut first =
            Engine::new(&account, alice.password.clone(), store.clone(), Transcript::new()).unwrap();
        first.sync_account(&no_progress).await.unwrap();

        let remote = Remote::new(account, secrets, None, store);
        let mut events = Box::pin(push(&PushKey(remote)));
        let wait = std::time::Duration::from_secs(20);
        loop {
            match tokio::time::timeout(wait, events.next()).await.unwrap().unwrap() {
                PushEvent::State(st) if st.mode == tidings_mail::idle::Mode::Idling => break,
                PushEvent::Failed(e) => panic!("{e}"),
                _ => {}
            }
        }
        s.deliver(alice, b"From: <x@example.test>\r\nSubject: pushed\r\n\r\nhi\r\n").unwrap();
        loop {
            match tokio::time::timeout(wait, events.next()).await.unwrap().unwrap() {
                PushEvent::Synced(report) if report.new == 1 => break,
                PushEvent::Failed(e) => panic!("{e}"),
                _ => {}
            }
        }
    }
}
