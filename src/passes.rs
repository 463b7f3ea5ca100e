//! Every account's send/receive, as the app runs it: one subscription per account, keyed by
//! the account id only, runs the core's `pass::run_account` (the schedule, IMAP or POP3
//! receive, the Outbox, IDLE push, new-mail notifications) and turns what it reports into
//! messages. Editing an account's options never restarts it: the new options travel
//! through the account's command channel (`Command::Options`), like "get mail now"
//! (`Command::RunNow`). Only a change of the servers themselves (host, port, encryption,
//! user, trust, protocol) must reconnect: it starts the task anew ([`Passes::restart`]
//! bumps the key's generation). A new password needs nothing: each pass reads it.
//!
//! [`Passes`] is the app's side: the command sender of each running account and its
//! [`Status`] for the status bar, fed by the subscription's [`Event`]s.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::SystemTime;

use iced::futures::{SinkExt, Stream};
use iced::{Subscription, stream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use tidings_mail::account::Account;
use tidings_mail::config::Config;
use tidings_mail::error::{Error, Kind};
use tidings_mail::idle::Mode;
use tidings_mail::notify::Notifier;
use tidings_mail::options::Options;
use tidings_mail::pass::{self, AccountEvent, MessageRef, PassPhase, PassProgress, RunSettings};
use tidings_mail::profile::Profile;
use tidings_mail::schedule::{self, Command};
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Store, StoreHandle};

use crate::screen::mailbox::News;
use crate::widget::status::{Idle, Progress, Status, Update};

/// What an account's subscription reports, stamped with the time it arrived.
#[derive(Debug, Clone)]
pub struct Event {
    /// The account's config id.
    pub account: String,
    pub at: SystemTime,
    pub what: What,
}

#[derive(Debug, Clone)]
pub enum What {
    /// The account's task runs: this is where its commands go.
    Ready(mpsc::Sender<Command>),
    Account(AccountEvent),
    /// The task could not start (the store cannot be opened).
    Failed(Error),
}

/// What the app does about an event besides the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Tell the account's open mailbox.
    News(News),
    /// A new-mail notification was clicked: show that message.
    Reveal(MessageRef),
    /// The account's "sign in again" notification was clicked: its mailbox, signing in.
    SignIn(String),
}

/// How to start an account's task. Hashed by the account id (and the generation, which
/// only a change of servers bumps).
#[derive(Clone)]
pub struct Key {
    id: String,
    generation: u32,
    start: Arc<Start>,
}

struct Start {
    account: Account,
    secrets: Secrets,
    store_path: PathBuf,
    log: Option<PathBuf>,
    notifications: bool,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "account-passes".hash(state);
        self.id.hash(state);
        self.generation.hash(state);
    }
}

impl Key {
    /// A configured account, its store in the profile.
    pub fn for_account(profile: &Profile, account: &Account, secrets: Secrets) -> Key {
        Key {
            id: account.id.clone(),
            generation: 0,
            start: Arc::new(Start {
                account: account.clone(),
                secrets,
                store_path: profile.store_path(),
                log: account.log_transcript.then(|| profile.transcript_log(&account.id)),
                notifications: true,
            }),
        }
    }

    /// The same, with no desktop notifications (tests; new mail is still reported).
    pub fn without_notifications(self) -> Key {
        let s = &self.start;
        let start = Start {
            account: s.account.clone(),
            secrets: s.secrets.clone(),
            store_path: s.store_path.clone(),
            log: s.log.clone(),
            notifications: false,
        };
        Key { start: Arc::new(start), ..self }
    }
}

/// One subscription per configured account.
pub fn subscription(
    config: &Config,
    profile: &Profile,
    secrets: &Secrets,
    passes: &Passes,
) -> Subscription<Event> {
    Subscription::batch(config.accounts.iter().map(|account| {
        let mut key = Key::for_account(profile, account, secrets.clone());
        key.generation = passes.generation(&account.id);
        Subscription::run_with(key, run)
    }))
}

/// Whether going from `old` to `new` needs the account's task started anew: its servers
/// changed (options travel as a command; a password is read by each pass).
pub fn needs_restart(old: &Account, new: &Account) -> bool {
    old.incoming_protocol != new.incoming_protocol
        || old.incoming != new.incoming
        || old.outgoing != new.outgoing
        || old.outgoing_own_password != new.outgoing_own_password
        || old.log_transcript != new.log_transcript
        || old.email != new.email
        || old.name != new.name
}

/// The app's one connection to the notification service, shared by the accounts (`None`
/// when no session bus answers: new mail is still shown in the window).
static NOTIFIER: LazyLock<tokio::sync::OnceCell<Option<Notifier>>> =
    LazyLock::new(tokio::sync::OnceCell::new);

/// The global switch as last set ([`Passes::set_notifications`]): the notifier, made on first
/// use, takes it then. Setting the switch and reading it at the notifier's making both hold the
/// lock, so a change made meanwhile is never lost.
static NOTIFICATIONS_ON: Mutex<bool> = Mutex::new(true);

async fn notifier() -> Option<Notifier> {
    let notifier = NOTIFIER.get_or_init(|| async { Notifier::session().await.ok() }).await.clone();
    if let Some(notifier) = &notifier {
        notifier.set_enabled(*NOTIFICATIONS_ON.lock().unwrap_or_else(PoisonError::into_inner));
    }
    notifier
}

/// Turns the shared notifier on or off at once (every account's task holds a clone, which
/// shares the switch); none restarts.
fn follow_notifications(on: bool) {
    let mut wanted = NOTIFICATIONS_ON.lock().unwrap_or_else(PoisonError::into_inner);
    *wanted = on;
    if let Some(Some(notifier)) = NOTIFIER.get() {
        notifier.set_enabled(on);
    }
}

/// Runs an account's task and reports what it does. The task runs on its own tokio task (so
/// its pace never depends on drawing) and stops when the stream is dropped (the account was
/// removed, the app closed).
pub fn run(key: &Key) -> impl Stream<Item = Event> + Send + 'static + use<> {
    let (id, start) = (key.id.clone(), key.start.clone());
    stream::channel(64, async move |mut output| {
        let stamp = |what| Event { account: id.clone(), at: SystemTime::now(), what };
        let store = match open_store(start.store_path.clone()).await {
            Ok(store) => store,
            Err(e) => {
                let _ = output.send(stamp(What::Failed(e))).await;
                return;
            }
        };
        let (commands, receiver) = mpsc::channel(8);
        if output.send(stamp(What::Ready(commands))).await.is_err() {
            return;
        }
        let settings = RunSettings {
            notifier: if start.notifications { notifier().await } else { None },
            ..RunSettings::default()
        };
        let (events, mut reports) = mpsc::unbounded_channel();
        let task = tokio::spawn(pass::run_account(
            start.account.clone(),
            start.secrets.clone(),
            store,
            start.log.clone(),
            receiver,
            events,
            settings,
        ));
        let _task = AbortOnDrop(task);
        while let Some(event) = reports.recv().await {
            if output.send(stamp(What::Account(event))).await.is_err() {
                return;
            }
        }
    })
}

async fn open_store(path: PathBuf) -> Result<StoreHandle, Error> {
    tokio::task::spawn_blocking(move || StoreHandle::spawn(Store::open(&path)?))
        .await
        .unwrap_or_else(|e| Err(Error::new(Kind::Storage, format!("cannot open the mail store ({e})"))))
}

/// Stops the account's task when the subscription goes away.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The app's side of the accounts' tasks.
#[derive(Debug)]
pub struct Passes {
    accounts: HashMap<String, Entry>,
    /// Accounts whose task was started anew (servers changed), and how often.
    generations: HashMap<String, u32>,
    /// Desktop notifications for all accounts (the config's switch); the shared notifier
    /// follows it.
    notifications: bool,
}

impl Default for Passes {
    fn default() -> Self {
        Passes { accounts: HashMap::new(), generations: HashMap::new(), notifications: true }
    }
}

#[derive(Debug, Default)]
struct Entry {
    commands: Option<mpsc::Sender<Command>>,
    status: Status,
    /// Folders done in the running check, to tell when one finished.
    folders_done: u64,
    /// Asked for while the task was not ready (starting, or started anew): delivered when
    /// it is.
    pending_run: bool,
    pending_options: Option<Options>,
    /// The task could not start (its bar says why); the next request starts it again.
    failed: bool,
}

static NO_STATUS: LazyLock<Status> = LazyLock::new(Status::default);

impl Passes {
    /// An account's status (not checked yet, for an account whose task has not reported).
    pub fn status(&self, account: &str) -> &Status {
        self.accounts.get(account).map_or(&NO_STATUS, |e| &e.status)
    }

    /// Whether an account's task runs and takes commands.
    pub fn is_running(&self, account: &str) -> bool {
        self.accounts.get(account).is_some_and(|e| e.commands.is_some())
    }

    /// Desktop notifications on or off for all accounts, at once: the running accounts' shared
    /// notifier follows (no task restarts), and so does the notifier made later.
    pub fn set_notifications(&mut self, on: bool) {
        self.notifications = on;
        follow_notifications(on);
    }

    /// Whether desktop notifications are on for all accounts.
    pub fn notifications(&self) -> bool {
        self.notifications
    }

    /// Whether any account is offline (its bar counts down to the retry).
    pub fn any_offline(&self) -> bool {
        self.accounts.values().any(|e| e.status.is_offline())
    }

    /// Takes an event: the status bar changes, and says what else to do.
    pub fn apply(&mut self, event: Event) -> Effect {
        let Event { account, at, what } = event;
        if let What::Account(AccountEvent::SignInClicked) = what {
            return Effect::SignIn(account);
        }
        let entry = self.accounts.entry(account).or_default();
        match what {
            What::Ready(commands) => {
                if let Some(options) = entry.pending_options.take() {
                    let _ = commands.try_send(Command::Options(options));
                }
                if std::mem::take(&mut entry.pending_run) {
                    let _ = commands.try_send(Command::RunNow);
                }
                entry.commands = Some(commands);
                entry.failed = false;
                Effect::None
            }
            What::Failed(e) => {
                entry.failed = true;
                entry.status.apply(
                    Update::Finished { error: Some(e.to_string()), kind: Some(e.kind()), next: None },
                    at,
                );
                Effect::None
            }
            What::Account(event) => entry.account_event(event, at),
        }
    }

    /// The clock moved on (relative times in the bars).
    pub fn tick(&mut self, now: SystemTime) {
        for entry in self.accounts.values_mut() {
            entry.status.tick(now);
        }
    }

    /// Send and receive now for one account. False when its task does not run yet: the
    /// request is then kept and delivered when the task is ready.
    /// A task that could not start (the store could not be opened) is started again.
    pub fn run_now(&mut self, account: &str) -> bool {
        let sent = self.send(account, Command::RunNow);
        if !sent {
            let entry = self.accounts.entry(account.to_string()).or_default();
            entry.pending_run = true;
            if std::mem::take(&mut entry.failed) {
                entry.status.apply(Update::Started, SystemTime::now());
                self.restart(account);
            }
        }
        sent
    }

    /// Send and receive now for every configured account.
    pub fn run_all<'a>(&mut self, accounts: impl IntoIterator<Item = &'a str>) {
        for account in accounts {
            self.run_now(account);
        }
    }

    /// An account's options changed: its task takes them without restarting. False when
    /// the task does not run yet: the options are then delivered when it is ready.
    pub fn options_changed(&mut self, account: &str, options: Options) -> bool {
        let sent = self.send(account, Command::Options(options));
        if !sent {
            self.accounts.entry(account.to_string()).or_default().pending_options = Some(options);
        }
        sent
    }

    /// Forgets accounts no longer configured (their subscriptions are gone).
    pub fn retain(&mut self, config: &Config) {
        self.accounts.retain(|id, _| config.account(id).is_some());
        self.generations.retain(|id, _| config.account(id).is_some());
    }

    /// Starts an account's task anew (its servers changed): the next subscription has
    /// another key, so the running task stops and a new one starts. The status bar stays.
    pub fn restart(&mut self, account: &str) {
        *self.generations.entry(account.to_string()).or_default() += 1;
        if let Some(entry) = self.accounts.get_mut(account) {
            entry.commands = None;
            // The new task starts from nothing: no IDLE yet (it says so once it idles).
            entry.failed = false;
            entry.status.apply(Update::Idle(Idle::Inactive), SystemTime::now());
        }
    }

    /// The key generation of an account's task.
    pub fn generation(&self, account: &str) -> u32 {
        self.generations.get(account).copied().unwrap_or(0)
    }

    /// Never blocks: a full queue already holds a request that covers this one.
    fn send(&self, account: &str, command: Command) -> bool {
        match self.accounts.get(account).and_then(|e| e.commands.as_ref()) {
            Some(commands) => {
                matches!(commands.try_send(command), Ok(()) | Err(mpsc::error::TrySendError::Full(_)))
            }
            None => false,
        }
    }
}

impl Entry {
    fn account_event(&mut self, event: AccountEvent, at: SystemTime) -> Effect {
        let (update, effect) = match event {
            AccountEvent::Schedule(event) => match event {
                schedule::Event::PassStarted(_) => {
                    self.folders_done = 0;
                    (Some(Update::Started), Effect::None)
                }
                schedule::Event::Merged => (None, Effect::None),
                schedule::Event::PassFinished { error, kind, next, .. } => {
                    (Some(Update::Finished { error, kind, next }), Effect::News(News::Finished))
                }
                schedule::Event::Offline { reason, retry_in } => {
                    (Some(Update::Offline { reason, retry_in }), Effect::News(News::Finished))
                }
            },
            AccountEvent::Checking(p) => {
                let folder_done = p.folders_done > self.folders_done;
                self.folders_done = p.folders_done;
                (Some(Update::Checking(progress(&p))), Effect::News(News::Progress { folder_done }))
            }
            AccountEvent::KeepingOffline(p) => (
                Some(Update::KeepingOffline { done: p.done, total: p.total, finished: p.finished }),
                Effect::None,
            ),
            AccountEvent::Sending { done, total } => {
                (Some(Update::Sending { done: done as u64, total: total as u64 }), Effect::None)
            }
            AccountEvent::Idle(state) => {
                let idle = match state.mode {
                    Mode::Idling => Idle::Active(state.idling_since.unwrap_or(at)),
                    Mode::Connecting | Mode::Polling => Idle::Inactive,
                    Mode::Offline => Idle::Lost {
                        reason: state.last_error.unwrap_or_else(|| "the IDLE connection was lost".into()),
                        retry_in: state.retry_in,
                    },
                };
                (Some(Update::Idle(idle)), Effect::None)
            }
            AccountEvent::IdleStopped => (Some(Update::Idle(Idle::Inactive)), Effect::None),
            AccountEvent::NewMail(_) | AccountEvent::Changed => (None, Effect::News(News::Changed)),
            AccountEvent::NotificationClicked(message) => (None, Effect::Reveal(message)),
            // Taken by `Passes::apply`, which knows the account.
            AccountEvent::SignInClicked => (None, Effect::None),
            AccountEvent::ServerAlert(text) => (Some(Update::Alert(text)), Effect::None),
            // The status bar stays with the schedule's view; these retry by themselves.
            AccountEvent::PushFailed(_) | AccountEvent::NotificationFailed(_) => (None, Effect::None),
        };
        if let Some(update) = update {
            self.status.apply(update, at);
        }
        effect
    }
}

/// The core's progress in the status bar's terms (totals of 0 are "not known").
fn progress(p: &PassProgress) -> Progress {
    let known = |done: u64, total: u64| (total > 0).then_some((done, total));
    let doing = match p.phase {
        PassPhase::Connecting => Some("Connecting"),
        PassPhase::Listing if p.folder.is_none() => Some("Listing the mail on the server"),
        PassPhase::Downloading => Some("Downloading new mail"),
        PassPhase::Deleting => Some("Removing messages from the server"),
        PassPhase::Listing | PassPhase::Checking | PassPhase::Done => None,
    };
    Progress {
        doing: doing.map(str::to_string),
        folder: p.folder.clone(),
        folders: known(p.folders_done, p.folders_total),
        messages: known(p.messages_done, p.messages_total),
        bytes: p.bytes_done,
        total_bytes: p.bytes_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use tidings_mail::account::{AuthMethod, Incoming, Security, Server, Trust};
    use tidings_mail::schedule::Schedule;

    fn account(id: &str, host: &str, every: Option<u32>) -> Account {
        let server = Server {
            host: host.into(),
            port: 993,
            security: Security::Implicit,
            user: "u".into(),
            auth: AuthMethod::Password,
            trust: Trust::default(),
        };
        let mut account = Account::new(
            id.into(),
            id.into(),
            format!("{id}@example.test"),
            Incoming::Imap,
            server.clone(),
            server,
        );
        account.options.schedule = Schedule { at_start: true, every_minutes: every };
        account
    }

    fn hash(key: &Key) -> u64 {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    }

    /// Editing an account must not restart its task: the subscription's identity is the
    /// account id (and a generation only a change of servers bumps), nothing else.
    #[test]
    fn the_subscription_is_keyed_by_the_account_id_only() {
        let profile = Profile::at("/nonexistent/profile");
        let key = |a: &Account| Key::for_account(&profile, a, Secrets::in_memory());
        let before = account("work", "imap.example.test", Some(10));
        let edited = account("work", "imap.example.test", None);
        assert_eq!(hash(&key(&before)), hash(&key(&edited)));
        assert_eq!(hash(&key(&before)), hash(&key(&edited).without_notifications()));
        assert_ne!(hash(&key(&before)), hash(&key(&account("home", "imap.example.test", Some(10)))));
        assert!(!needs_restart(&before, &edited), "options travel as a command");

        // Another server: the task starts anew, under a new key.
        let moved = account("work", "mail.example.test", Some(10));
        assert!(needs_restart(&before, &moved));
        let mut passes = Passes::default();
        let (tx, _rx) = mpsc::channel(1);
        passes.apply(Event { account: "work".into(), at: SystemTime::UNIX_EPOCH, what: What::Ready(tx) });
        passes.restart("work");
        assert!(!passes.is_running("work"), "the old task's sender is dropped");
        let mut restarted = key(&moved);
        restarted.generation = passes.generation("work");
        assert_ne!(hash(&key(&before)), hash(&restarted));
    }

    /// The shared notifier takes the switch set before it was made, and follows each change
    /// at once, in every clone the accounts' tasks hold. Needs a session bus (the test command
    /// runs under `scripts/with-keyring`, a private dbus-run-session).
    #[tokio::test]
    async fn the_shared_notifier_follows_the_global_switch() {
        let mut passes = Passes::default();
        assert!(passes.notifications(), "on by default");
        passes.set_notifications(false);
        let held = notifier()
            .await
            .expect("no D-Bus session bus: run the tests under scripts/with-keyring (dbus-run-session)");
        assert!(!held.enabled(), "made after the switch was turned off: off");
        passes.set_notifications(true);
        assert!(held.enabled() && passes.notifications(), "a task's clone follows at once");
        passes.set_notifications(false);
        assert!(!held.enabled() && !notifier().await.unwrap().enabled());
        passes.set_notifications(true);
    }

    #[test]
    fn commands_go_to_running_accounts_without_blocking() {
        let mut passes = Passes::default();
        // Asked before the task is ready (starting, or started anew): kept, not lost.
        assert!(!passes.run_now("work"), "no task runs yet");
        let options = Options { notify: false, ..Options::default() };
        assert!(!passes.options_changed("work", options));
        let (tx, mut rx) = mpsc::channel(2);
        let ready = Event { account: "work".into(), at: SystemTime::UNIX_EPOCH, what: What::Ready(tx) };
        assert_eq!(passes.apply(ready), Effect::None);
        assert!(matches!(rx.try_recv(), Ok(Command::Options(o)) if o == options), "options delivered");
        assert!(matches!(rx.try_recv(), Ok(Command::RunNow)), "the earlier request delivered");
        assert!(rx.try_recv().is_err());
        assert!(passes.run_now("work"));
        assert!(passes.run_now("work"));
        // The queue is full: the requests already queued cover this one.
        assert!(passes.run_now("work"));
        assert!(matches!(rx.try_recv(), Ok(Command::RunNow)));
        assert!(matches!(rx.try_recv(), Ok(Command::RunNow)));
        assert!(rx.try_recv().is_err());
        passes.retain(&Config::default());
        assert!(!passes.is_running("work"));
    }

    #[test]
    fn asking_again_restarts_a_task_that_could_not_start() {
        let mut passes = Passes::default();
        let failed = Event {
            account: "work".into(),
            at: SystemTime::UNIX_EPOCH,
            what: What::Failed(Error::new(Kind::Storage, "cannot open the mail store")),
        };
        passes.apply(failed);
        let line = passes.status("work").line().to_lowercase();
        assert!(line.contains("cannot open the mail store"), "{line}");
        assert_eq!(passes.generation("work"), 0);
        // F5: a new task (another subscription key), the request kept for it.
        assert!(!passes.run_now("work"));
        assert_eq!(passes.generation("work"), 1);
        let line = passes.status("work").line().to_lowercase();
        assert!(!line.contains("cannot open"), "the bar says it starts again: {line}");
        // Asked again while it starts: no second restart.
        assert!(!passes.run_now("work"));
        assert_eq!(passes.generation("work"), 1);
        let (tx, mut rx) = mpsc::channel(2);
        passes.apply(Event { account: "work".into(), at: SystemTime::UNIX_EPOCH, what: What::Ready(tx) });
        assert!(matches!(rx.try_recv(), Ok(Command::RunNow)), "the request delivered once ready");
    }
}
