//! One account's send/receive pass, and the task that runs passes on the account's schedule.
//!
//! A pass receives (the IMAP sync engine over every folder, or a POP3 receive pass into the
//! local folders, as the account says), then flushes the account's Outbox
//! ([`crate::send::flush_outbox`]); a send failure is reported, and puts the account
//! offline only when it is a network error. Everything it
//! does is reported as [`AccountEvent`]s for the status bar and for notifications: the
//! scheduler's events, progress while checking and sending, IDLE's state, new mail (unread
//! arrivals in the Inbox: mail read elsewhere never notifies), and "the store changed".
//!
//! [`run_account`] runs the scheduler with an [`AccountPass`], plus IDLE push for IMAP
//! accounts that use it, until its command channel closes. Credentials come from
//! [`crate::auth::credential`]: passwords read from the keyring on a blocking thread, never
//! on the caller's.
//!
//! After a good pass of an IMAP account that keeps mail offline, the bodies the store lacks
//! are downloaded in the background on the pass's connection (`offline.rs`) until the next
//! pass takes it back.

mod news;
mod offline;
mod outbox;
mod progress;
mod run;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use crate::account::{Account, Incoming, SecretRole};
use crate::auth::Credential;
use crate::error::{Error, Kind, Result};
use crate::idle::IdleState;
use crate::net::Transcript;
use crate::notify::Notifier;
use crate::options::{KeepOffline, Options};
use crate::pop3::Pop3Target;
use crate::schedule::{self, PassResult, PassRunner, Reason};
use crate::secret::Secrets;
use crate::store::{FolderId, StoreHandle};
use crate::sync::Engine;

pub use offline::{OfflineProgress, OfflineReport, download as keep_offline};
pub use progress::{PassPhase, PassProgress};
pub use run::{RunSettings, run_account};

use news::News;

/// Where a message is, enough to open it: the store's folder and the message's UID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageRef {
    /// The account's config id.
    pub account: String,
    pub folder: FolderId,
    /// The folder's name as the server spells it (what a body fetch needs).
    pub folder_name: String,
    pub uidvalidity: u32,
    pub uid: u32,
}

/// Unread mail that just arrived in an account's Inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub account: String,
    /// How many unread messages arrived.
    pub count: usize,
    /// The first of them (the oldest new one).
    pub first_from: String,
    pub first_subject: String,
    pub first: MessageRef,
    /// The notification's text ([`crate::notify::summarize`]).
    pub summary: String,
    pub body: String,
}

/// Everything the status bar and the notifications need from an account's task.
#[derive(Debug, Clone)]
pub enum AccountEvent {
    /// Pass started / merged / finished (with the time to the next one) / offline.
    Schedule(schedule::Event),
    /// Receiving: folders, messages and bytes so far.
    Checking(PassProgress),
    /// Keeping mail offline, between passes: bodies stored of those in scope.
    KeepingOffline(OfflineProgress),
    /// Flushing the Outbox: `done` of `total` messages sent.
    Sending { done: usize, total: usize },
    /// IDLE push: idling since / connecting / polling / offline with a retry time.
    Idle(IdleState),
    /// IDLE push was turned off in the options: its connections are closed.
    IdleStopped,
    /// A sync started by IDLE failed (the next announcement or pass tries again).
    PushFailed(String),
    /// Unread mail arrived (sent whether or not a desktop notification was shown).
    NewMail(NewMail),
    /// The desktop notification for new mail could not be shown (no notification service).
    NotificationFailed(String),
    /// The user clicked a new-mail notification of this account: open that message.
    NotificationClicked(MessageRef),
    /// The user clicked this OAuth2 account's "sign in again" notification: open its
    /// mailbox and start the sign-in.
    SignInClicked,
    /// The store changed: lists and counts should refresh.
    Changed,
    /// The server asked for this text to be shown to the person (IMAP `[ALERT]`, RFC 3501
    /// 7.1: "the account expires in 3 days"), during a pass or while idling.
    ServerAlert(String),
}

/// What an account's task shares between its passes, IDLE push and notification clicks.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) options: Arc<Mutex<Options>>,
    news: Arc<tokio::sync::Mutex<News>>,
    /// Notification id → the message it announces.
    shown: Arc<Mutex<Vec<(u32, MessageRef)>>>,
    notifier: Option<Notifier>,
}

impl Shared {
    fn new(account: &Account, notifier: Option<Notifier>) -> Shared {
        Shared {
            options: Arc::new(Mutex::new(account.options)),
            news: Arc::new(tokio::sync::Mutex::new(News::new(account.id.clone()))),
            shown: Arc::default(),
            notifier,
        }
    }

    fn options(&self) -> Options {
        *self.options.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn clicked(&self, id: u32) -> Option<MessageRef> {
        let shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        shown.iter().find(|(i, _)| *i == id).map(|(_, m)| m.clone())
    }

    /// After a pass, or IDLE's start, of an OAuth2 account: a sign-in no longer valid (the
    /// refresh token revoked, the server refusing the token) asks once for a new one with a
    /// desktop notification; working again withdraws it. Other failures change nothing.
    async fn sign_in_outcome(
        &self,
        account: &Account,
        failure: Option<&Error>,
        events: &UnboundedSender<AccountEvent>,
    ) {
        let Some(notifier) = self.notifier.as_ref().filter(|_| account.oauth2.is_some()) else { return };
        match failure {
            None => notifier.signed_in_again(&account.id).await,
            Some(e) if e.kind() == Kind::Auth => {
                let text = crate::notify::sign_in_again(&account.name, e.message());
                if let Err(e) = notifier.ask_sign_in(&account.id, &text).await {
                    let _ = events.send(AccountEvent::NotificationFailed(e.to_string()));
                }
            }
            Some(_) => {}
        }
    }

    /// Looks for unread arrivals in the Inbox; reports them and shows the notification.
    async fn announce(&self, account: &Account, store: &StoreHandle, events: &UnboundedSender<AccountEvent>) {
        let arrivals = match self.news.lock().await.look(store).await {
            Ok(a) => a,
            // The pass itself went fine; a store read failing here shows up elsewhere too.
            Err(_) => return,
        };
        let Some(first) = arrivals.first() else { return };
        let arrived: Vec<crate::notify::Arrived> = arrivals
            .iter()
            .map(|a| crate::notify::Arrived {
                from: sender(&a.row.summary),
                subject: a.row.summary.subject.clone().unwrap_or_default(),
                seen: false,
            })
            .collect();
        let Some(text) = crate::notify::summarize(&account.name, &arrived) else { return };
        let mail = NewMail {
            account: account.id.clone(),
            count: text.count,
            first_from: arrived[0].from.clone(),
            first_subject: arrived[0].subject.clone(),
            first: first.at.clone(),
            summary: text.summary.clone(),
            body: text.body.clone(),
        };
        let _ = events.send(AccountEvent::NewMail(mail));
        let Some(notifier) = self.notifier.as_ref().filter(|n| n.enabled()) else { return };
        if !self.options().notify {
            return;
        }
        match notifier.show(&text, 0).await {
            Ok(id) => {
                let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
                // Keep the latest few: older notifications have expired or been replaced.
                if shown.len() >= 32 {
                    shown.remove(0);
                }
                shown.push((id, first.at.clone()));
            }
            Err(e) => {
                let _ = events.send(AccountEvent::NotificationFailed(e.to_string()));
            }
        }
    }
}

/// "Name <addr>", the name, or the address.
fn sender(s: &crate::store::Summary) -> String {
    match (s.from_name.as_deref().filter(|n| !n.trim().is_empty()), s.from_addr.as_deref()) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (Some(n), None) => n.to_string(),
        (None, Some(a)) => a.to_string(),
        (None, None) => "(unknown sender)".to_string(),
    }
}

/// One account's send/receive: what a scheduled, manual or retry pass does.
pub struct AccountPass {
    account: Account,
    secrets: Secrets,
    store: StoreHandle,
    /// Where the redacted transcript goes, when the account asks for one.
    log: Option<PathBuf>,
    events: UnboundedSender<AccountEvent>,
    shared: Shared,
    /// The IMAP engine of the last good pass, kept with its connection for the next one.
    engine: Option<Engine>,
    /// Keeping mail offline with that engine, until the next pass.
    download: Option<offline::Running>,
}

impl std::fmt::Debug for AccountPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccountPass({})", self.account.id)
    }
}

impl AccountPass {
    pub fn new(
        account: Account,
        secrets: Secrets,
        store: StoreHandle,
        log: Option<PathBuf>,
        progress: UnboundedSender<AccountEvent>,
    ) -> AccountPass {
        let shared = Shared::new(&account, None);
        AccountPass::with_shared(account, secrets, store, log, progress, shared)
    }

    fn with_shared(
        account: Account,
        secrets: Secrets,
        store: StoreHandle,
        log: Option<PathBuf>,
        events: UnboundedSender<AccountEvent>,
        shared: Shared,
    ) -> AccountPass {
        AccountPass { account, secrets, store, log, events, shared, engine: None, download: None }
    }

    /// Receive, then send; then tell what arrived. A network failure of either makes the
    /// pass a network failure (offline, retried with backoff); other failures are reported.
    async fn run(&mut self) -> PassResult {
        // New mail first: the download stops between two chunks and gives the connection back.
        if let Some(download) = self.download.take() {
            self.engine = download.stop().await;
        }
        // The first pass sets the new-mail mark from what the store already holds.
        self.shared.news.lock().await.prime(&self.store).await?;
        let received = match self.account.incoming_protocol {
            Incoming::Imap => self.receive_imap().await,
            Incoming::Pop3 => self.receive_pop3().await,
        };
        if received.as_ref().is_ok_and(|changed| *changed) {
            let _ = self.events.send(AccountEvent::Changed);
        }
        let mut filed_in = None;
        let sent = self.flush_outbox(&mut filed_in).await;
        if let Some(folder) = filed_in {
            self.sync_sent(&folder).await;
        }
        self.shared.announce(&self.account, &self.store, &self.events).await;
        let offline = [received.as_ref().err(), sent.as_ref().err()]
            .into_iter()
            .flatten()
            .any(|e| e.kind() == Kind::Network);
        if !offline {
            // Quiet housekeeping, after the news: what fails stays recorded for later.
            let transcript = || self.transcript();
            let _ = outbox::retry_draft_removals(&self.account, &self.secrets, &self.store, transcript).await;
        }
        let result = match (received, sent) {
            (Err(e), _) if e.kind() == Kind::Network => Err(e),
            (_, Err(e)) if e.kind() == Kind::Network => Err(e),
            (Err(e), _) | (_, Err(e)) => Err(e),
            (Ok(_), Ok(())) => Ok(()),
        };
        self.shared.sign_in_outcome(&self.account, result.as_ref().err(), &self.events).await;
        if self.shared.options().keep_offline != KeepOffline::Off
            && let Some(engine) = self.engine.take()
        {
            let (shared, events) = (self.shared.clone(), self.events.clone());
            self.download = Some(offline::Running::start(engine, shared, events));
        }
        result
    }

    /// What the server of `role` logs in with: a password (keyring, or this session's
    /// memory), or an access token.
    async fn credential(&self, role: SecretRole) -> Result<Credential> {
        crate::auth::credential(&self.account, &self.secrets, role).await
    }

    /// A transcript that also goes to the account's log file when it keeps one.
    fn transcript(&self) -> Result<Transcript> {
        let transcript = Transcript::new();
        if let Some(path) = &self.log {
            transcript
                .log_to(path)
                .map_err(|e| Error::storage(format!("cannot write the log {}", path.display()), e))?;
        }
        Ok(transcript)
    }

    async fn new_engine(&self) -> Result<Engine> {
        let credential = self.credential(SecretRole::Incoming).await?;
        let account = self.account.clone();
        let (store, transcript) = (self.store.clone(), self.transcript()?);
        // Reads the CA file, if the account has one.
        blocking(move || Engine::new(&account, credential, store, transcript)).await
    }

    /// The IMAP sync of every folder; true when the store changed.
    async fn receive_imap(&mut self) -> Result<bool> {
        let (mut engine, reused) = match self.engine.take() {
            Some(e) => (e, true),
            None => (self.new_engine().await?, false),
        };
        let mut report = progress::imap_sync(&mut engine, &self.store, &self.account.id, &self.events).await;
        self.alerts(&engine, &report);
        // A kept connection may have been closed by the server since: one more try.
        if reused && report.as_ref().is_err_and(|e| e.kind() == Kind::Network) {
            engine = self.new_engine().await?;
            report = progress::imap_sync(&mut engine, &self.store, &self.account.id, &self.events).await;
            self.alerts(&engine, &report);
        }
        let report = report?;
        let changed = report.folders.iter().any(|f| f.new + f.expunged + f.updated_flags > 0)
            || report.actions_replayed > 0;
        match &report.error {
            Some(e) => Err(from_report(e)),
            None => {
                self.engine = Some(engine);
                Ok(changed)
            }
        }
    }

    /// The server's alerts of a sync, also of one that failed (a login refused after a
    /// greeting that said why).
    fn alerts(&self, engine: &Engine, report: &Result<crate::sync::AccountReport>) {
        // A change the server refused (a folder name it will not take) is said with its words.
        let reported: Vec<String> = report
            .as_ref()
            .map(|r| r.alerts.iter().chain(&r.actions_refused).cloned().collect())
            .unwrap_or_default();
        for text in reported.into_iter().chain(engine.transcript().take_alerts()) {
            let _ = self.events.send(AccountEvent::ServerAlert(text));
        }
    }

    /// The POP3 receive pass into the local Inbox; true when the store changed.
    async fn receive_pop3(&mut self) -> Result<bool> {
        let credential = self.credential(SecretRole::Incoming).await?;
        let account = self.account.clone();
        let target = blocking(move || Pop3Target::for_account(&account, credential)).await?;
        let transcript = self.transcript()?;
        let options = self.shared.options().pop3;
        let report =
            progress::pop3_receive(&target, &options, &self.store, &transcript, &self.events).await?;
        let changed = report.downloaded > 0 || !report.deleted.is_empty();
        match &report.error {
            Some(e) => Err(from_report(e)),
            None => Ok(changed),
        }
    }

    /// Sends what waits in the account's Outbox.
    async fn flush_outbox(&mut self, filed_in: &mut Option<String>) -> Result<()> {
        let transcript = || self.transcript();
        outbox::flush(&self.account, &self.secrets, &self.store, transcript, &self.events, filed_in).await
    }

    /// Syncs the folder the Sent copies just went to, so they show at once: the receive half
    /// of this pass ran before them, and IDLE usually watches the Inbox only. Quiet: on any
    /// failure the next pass brings them.
    async fn sync_sent(&mut self, folder: &str) {
        let Some(engine) = self.engine.as_mut() else { return };
        match engine.sync_folder(folder, &crate::sync::no_progress).await {
            Ok(report) if report.new + report.expunged + report.updated_flags > 0 => {
                let _ = self.events.send(AccountEvent::Changed);
            }
            Ok(_) => {}
            // The kept connection is not to be trusted after a failure.
            Err(_) => self.engine = None,
        }
    }
}

impl PassRunner for AccountPass {
    fn pass(&mut self, _reason: Reason) -> Pin<Box<dyn Future<Output = PassResult> + Send + '_>> {
        Box::pin(self.run())
    }
}

/// An error a report carries, as an error again (its kind and the server's words kept).
fn from_report(r: &crate::error::ErrorReport) -> Error {
    let e = Error::new(r.kind, r.message.clone());
    match &r.server {
        Some(words) => e.with_server(words.clone()),
        None => e,
    }
}

/// Runs blocking work (keyring, files) off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Error::new(Kind::Storage, format!("cannot prepare the connection (the task stopped: {e})"))
    })?
}
