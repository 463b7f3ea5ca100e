//! An account's task: the scheduler with an [`AccountPass`], IDLE push for IMAP accounts
//! that use it (INBOX and the folders the account chose), and the clicks on this account's notifications (new mail, "sign in again") — all reporting
//! through one channel of [`AccountEvent`]s, all stopped when the command channel closes.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use tokio::sync::mpsc::{self, Receiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::{AccountEvent, AccountPass, Shared};
use crate::account::{Account, Incoming, SecretRole};
use crate::idle::IdleConfig;
use crate::net::Endpoint;
use crate::notify::Notifier;
use crate::options::IdleFolders;
use crate::schedule::{self, Command};
use crate::secret::Secrets;
use crate::store::{Role, StoreHandle};
use crate::sync::push::{PushEvent, push_account};

/// How an account's task runs, beyond the account's own settings.
#[derive(Clone)]
pub struct RunSettings {
    /// Where new-mail notifications go (one per app, shared by the accounts; its
    /// [`Notifier::set_enabled`] is the global switch). `None`: no desktop notifications,
    /// [`AccountEvent::NewMail`] is still sent.
    pub notifier: Option<Notifier>,
    /// The length of a schedule minute: 60 s, shorter in tests.
    pub minute: Duration,
    /// IDLE's timings; whether IDLE is used, and on which folders, comes from the
    /// account's options.
    pub idle: IdleConfig,
    /// Seeds the schedule's jitter; by default from the account id and the clock.
    pub seed: Option<u64>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings { notifier: None, minute: schedule::MINUTE, idle: IdleConfig::default(), seed: None }
    }
}

/// Runs the account: passes on its schedule (and on [`Command::RunNow`]), IDLE push when
/// it is an IMAP account with IDLE on, notification clicks. [`Command::Options`] updates the
/// account's options (schedule, IDLE on/off, notifications, POP3 options) without
/// restarting anything else. Returns when `commands` closes.
pub async fn run_account(
    account: Account,
    secrets: Secrets,
    store: StoreHandle,
    log: Option<PathBuf>,
    mut commands: Receiver<Command>,
    events: UnboundedSender<AccountEvent>,
    settings: RunSettings,
) {
    let shared = Shared::new(&account, settings.notifier.clone());
    let seed = settings.seed.unwrap_or_else(|| seed_for(&account.id));
    let pass = AccountPass::with_shared(
        account.clone(),
        secrets.clone(),
        store.clone(),
        log.clone(),
        events.clone(),
        shared.clone(),
    );
    let (to_scheduler, scheduler_commands) = mpsc::channel(8);
    let (scheduler_tx, mut scheduler_events) = unbounded_channel();
    let scheduler = schedule::run_scaled(
        account.options.schedule,
        settings.minute,
        pass,
        scheduler_commands,
        scheduler_tx,
        seed,
    );
    let relay_events = events.clone();
    let relay = async move {
        while let Some(e) = scheduler_events.recv().await {
            let _ = relay_events.send(AccountEvent::Schedule(e));
        }
    };
    let _clicks = settings.notifier.clone().map(|n| {
        let (shared, events) = (shared.clone(), events.clone());
        AbortOnDrop(tokio::spawn(follow_clicks(n, account.id.clone(), shared, events)))
    });
    let push_parts = PushParts { account, secrets, store, log, idle: settings.idle, shared: shared.clone() };
    let control = async move {
        let mut pushing = push_parts.start_if_wanted(&events);
        while let Some(cmd) = commands.recv().await {
            if let Command::Options(o) = cmd {
                let before = shared.options();
                *shared.options.lock().unwrap_or_else(|p| p.into_inner()) = o;
                if (o.idle, o.idle_folders) != (before.idle, before.idle_folders) {
                    // The old watcher stops before a new one connects.
                    let was_pushing = match pushing.take() {
                        Some(push) => {
                            push.stop().await;
                            true
                        }
                        None => false,
                    };
                    pushing = push_parts.start_if_wanted(&events);
                    if was_pushing && pushing.is_none() {
                        let _ = events.send(AccountEvent::IdleStopped);
                    }
                }
            }
            if to_scheduler.send(cmd).await.is_err() {
                break;
            }
        }
        drop(pushing);
        // Dropping `to_scheduler` ends the scheduler.
    };
    tokio::join!(scheduler, relay, control);
}

fn seed_for(id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos().hash(&mut h);
    h.finish()
}

/// Stops a spawned task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl AbortOnDrop {
    /// Stops the task and waits until it is gone: nothing it sends comes after this.
    async fn stop(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reports clicks on notifications this account showed: new mail, or "sign in again".
async fn follow_clicks(
    notifier: Notifier,
    account: String,
    shared: Shared,
    events: UnboundedSender<AccountEvent>,
) {
    let Ok(mut clicks) = notifier.clicks().await else { return };
    while let Some(id) = clicks.next().await {
        let event = match shared.clicked(id) {
            Some(at) => AccountEvent::NotificationClicked(at),
            None if notifier.sign_in_notification(id).is_some_and(|a| a == account) => {
                AccountEvent::SignInClicked
            }
            None => continue,
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

/// What IDLE push needs; kept to restart it when IDLE is turned on again.
struct PushParts {
    account: Account,
    secrets: Secrets,
    store: StoreHandle,
    log: Option<PathBuf>,
    idle: IdleConfig,
    shared: Shared,
}

impl PushParts {
    fn start_if_wanted(&self, events: &UnboundedSender<AccountEvent>) -> Option<AbortOnDrop> {
        let wanted = self.account.incoming_protocol == Incoming::Imap && self.shared.options().idle;
        if !wanted {
            return None;
        }
        let helper = AccountPass::with_shared(
            self.account.clone(),
            self.secrets.clone(),
            self.store.clone(),
            self.log.clone(),
            events.clone(),
            self.shared.clone(),
        );
        let cfg = IdleConfig { use_idle: true, ..self.idle.clone() };
        let which = self.shared.options().idle_folders;
        Some(AbortOnDrop(tokio::spawn(run_push(helper, cfg, which))))
    }
}

/// IDLE feeding the sync engine (`sync::push::push_account`: INBOX, and the folders the
/// account's `idle_folders` option names; the others checked with STATUS), its reports
/// turned into account events, new mail in the Inbox announced like after a pass.
async fn run_push(helper: AccountPass, cfg: IdleConfig, which: IdleFolders) {
    let events = helper.events.clone();
    let prepared = async {
        let engine = helper.new_engine().await?;
        let credential = helper.credential(SecretRole::Incoming).await?;
        let account = helper.account.clone();
        // Reads the CA file, if the account has one.
        let ep = super::blocking(move || Endpoint::for_account(&account, &account.incoming)).await?;
        crate::Result::Ok((engine, credential, ep))
    };
    let (engine, credential, ep) = match prepared.await {
        Ok(p) => p,
        Err(e) => {
            let e: crate::Error = e;
            helper.shared.sign_in_outcome(&helper.account, Some(&e), &events).await;
            let _ = events.send(AccountEvent::PushFailed(e.to_string()));
            return;
        }
    };
    let (tx, mut rx) = unbounded_channel();
    let _task = AbortOnDrop(tokio::spawn(push_account(engine, ep, credential, cfg, which, tx)));
    while let Some(event) = rx.recv().await {
        let sent = match event {
            PushEvent::State(s) => events.send(AccountEvent::Idle(s)),
            PushEvent::Failed(m) => events.send(AccountEvent::PushFailed(m)),
            PushEvent::Alert(text) => events.send(AccountEvent::ServerAlert(text)),
            PushEvent::Synced(r) => {
                if r.new + r.expunged + r.updated_flags > 0 {
                    let _ = events.send(AccountEvent::Changed);
                }
                if r.new > 0 && r.role == Some(Role::Inbox) {
                    helper.shared.announce(&helper.account, &helper.store, &events).await;
                }
                Ok(())
            }
        };
        if sent.is_err() {
            return;
        }
    }
}
