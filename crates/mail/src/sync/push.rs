//! Push: IDLE feeding the sync engine, so new mail reaches the store — and the list — with no
//! user action.
//!
//! [`push_account`] idles on INBOX and, as the account's [`IdleFolders`] option asks, on more
//! folders (one connection each, at most [`MAX_IDLE_CONNECTIONS`]); the extra watchers start
//! once INBOX idles, so a server without IDLE costs one connection, not five. Every other
//! folder is checked with STATUS on the sync connection each time IDLE is re-issued (each
//! `poll_every` when IDLE is not used) and synced when it differs from the store. [`push`]
//! idles on one folder only. Announcements arriving close together are merged into one sync
//! per folder, and changes made here are replayed to the server before each sync, so its
//! answers cannot undo them.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::{Engine, SyncReport, no_progress};
use crate::auth::Credential;
use crate::error::Kind;
use crate::idle::{IdleConfig, IdleEvent, IdleState, Mode, watch};
use crate::net::Endpoint;
use crate::options::{IdleFolders, MAX_IDLE_CONNECTIONS};
use crate::store::{Folder, Role};

/// What push reports: the state of each folder it watches (for the status bar and the
/// inspector; [`IdleState::folder`] says which — a polled folder's state has
/// [`Mode::Polling`] and comes after each STATUS round), and each folder sync it ran.
#[derive(Debug, Clone)]
pub enum PushEvent {
    State(IdleState),
    Synced(Box<SyncReport>),
    Failed(String),
    /// A server's alert for the person (IMAP `[ALERT]`), from a watcher or the sync
    /// connection; also a change made here that the server refused, in its words.
    Alert(String),
}

/// The folders checked with STATUS.
struct Polled {
    folders: Vec<String>,
    every: Duration,
    last_error: Option<String>,
}

/// How long to wait for more announcements before syncing (a delivery often brings EXISTS
/// and a flag change together).
const SETTLE: Duration = Duration::from_millis(150);

/// RFC 2177: re-issue before 29 minutes (the watcher caps it the same way).
const MAX_REISSUE: Duration = Duration::from_secs(28 * 60);

/// Which folder is watched how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Idled first (INBOX).
    pub first: String,
    /// Idled once `first` idles; polled if the server turns out to have no IDLE.
    pub extra: Vec<String>,
    /// Checked with STATUS.
    pub polled: Vec<String>,
}

/// Decides which folders are idled and which polled: INBOX, then as `which` asks the special
/// folders (Junk, Sent, Drafts, Archive, Trash) and the other subscribed ones, at most
/// [`MAX_IDLE_CONNECTIONS`] in all; every other folder a sync would visit is polled.
pub fn plan(folders: &[Folder], which: IdleFolders, subscribed_only: bool) -> Plan {
    let candidates: Vec<&Folder> = folders
        .iter()
        .filter(|f| f.selectable && (!subscribed_only || f.subscribed || f.role == Some(Role::Inbox)))
        .collect();
    let first = candidates
        .iter()
        .find(|f| f.role == Some(Role::Inbox))
        .or_else(|| candidates.iter().find(|f| f.name.eq_ignore_ascii_case("INBOX")))
        .map_or_else(|| "INBOX".to_string(), |f| f.name.clone());
    let mut wanted: Vec<String> = Vec::new();
    if which != IdleFolders::Inbox {
        for role in [Role::Junk, Role::Sent, Role::Drafts, Role::Archive, Role::Trash] {
            wanted.extend(candidates.iter().filter(|f| f.role == Some(role)).map(|f| f.name.clone()));
        }
    }
    if which == IdleFolders::Subscribed {
        let mut rest: Vec<String> = candidates
            .iter()
            .filter(|f| f.subscribed && f.role.is_none() && f.name != first)
            .map(|f| f.name.clone())
            .collect();
        rest.sort();
        wanted.extend(rest);
    }
    wanted.retain(|n| *n != first);
    wanted.dedup();
    wanted.truncate(MAX_IDLE_CONNECTIONS.saturating_sub(1));
    let polled =
        candidates.iter().map(|f| f.name.clone()).filter(|n| *n != first && !wanted.contains(n)).collect();
    Plan { first, extra: wanted, polled }
}

/// Idles on `cfg.folder` alone and syncs it into the store whenever the server announces a
/// change, until the receiver of `events` is dropped.
pub async fn push(
    engine: Engine,
    ep: Endpoint,
    credential: Credential,
    cfg: IdleConfig,
    events: UnboundedSender<PushEvent>,
) {
    let plan = Plan { first: cfg.folder.clone(), extra: Vec::new(), polled: Vec::new() };
    run(engine, ep, credential, cfg, plan, events).await;
}

/// Push for a whole account (see the module docs): `which` folders idled, the others polled.
/// `cfg.folder` is not used (INBOX comes from the folder list). Runs until the receiver of
/// `events` is dropped; dropping the future stops every watcher. A local (POP3) account is
/// refused with one [`PushEvent::Failed`].
pub async fn push_account(
    mut engine: Engine,
    ep: Endpoint,
    credential: Credential,
    cfg: IdleConfig,
    which: IdleFolders,
    events: UnboundedSender<PushEvent>,
) {
    let folders = match engine.refresh_folders(&no_progress).await {
        Ok(f) => f,
        Err(e) => {
            let _ = events.send(PushEvent::Failed(e.to_string()));
            if e.kind() == Kind::Config {
                return;
            }
            // Offline: watch what the store knows; INBOX alone when it knows nothing.
            match engine.stored_folders().await {
                Ok(f) => f,
                Err(e) => {
                    let _ = events.send(PushEvent::Failed(e.to_string()));
                    return;
                }
            }
        }
    };
    let plan = plan(&folders, which, engine.options.subscribed_only);
    run(engine, ep, credential, cfg, plan, events).await;
}

async fn run(
    mut engine: Engine,
    ep: Endpoint,
    credential: Credential,
    cfg: IdleConfig,
    plan: Plan,
    events: UnboundedSender<PushEvent>,
) {
    // A local (POP3) account is refused here, before any watcher connects.
    if let Err(e) = engine.account_id().await {
        let _ = events.send(PushEvent::Failed(e.to_string()));
        return;
    }
    let (tx, mut rx) = unbounded_channel();
    let every = if cfg.use_idle { cfg.reissue.min(MAX_REISSUE) } else { cfg.poll_every };
    let mut r = Runner {
        engine,
        ep,
        credential,
        cfg,
        events,
        tx,
        tasks: Vec::new(),
        known: HashMap::new(),
        first: plan.first.clone(),
        extra: Some(plan.extra),
        poll: Polled { folders: plan.polled, every, last_error: None },
    };
    r.spawn_watcher(plan.first);
    if !r.report_polled() {
        return;
    }
    let mut next_poll = tokio::time::Instant::now() + r.poll.every;
    loop {
        let polling = !r.poll.folders.is_empty();
        let event = tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => Some(ev),
                None => break,
            },
            _ = tokio::time::sleep_until(next_poll), if polling => None,
        };
        let alive = match event {
            None => {
                let alive = r.poll_round().await;
                next_poll = tokio::time::Instant::now() + r.poll.every;
                alive
            }
            Some((folder, ev)) => r.announced(folder, ev, &mut rx).await,
        };
        // What the sync connection's server said for the person meanwhile.
        for text in r.engine.transcript().take_alerts() {
            let _ = r.events.send(PushEvent::Alert(text));
        }
        if !alive {
            break;
        }
    }
}

/// The state of one push: the sync engine, the watchers, what they last said.
struct Runner {
    engine: Engine,
    ep: Endpoint,
    credential: Credential,
    cfg: IdleConfig,
    events: UnboundedSender<PushEvent>,
    tx: UnboundedSender<(String, IdleEvent)>,
    tasks: Vec<JoinHandle<()>>,
    /// The last message count each watcher reported.
    known: HashMap<String, u32>,
    first: String,
    /// Waiting for `first` to idle.
    extra: Option<Vec<String>>,
    poll: Polled,
}

impl Drop for Runner {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Runner {
    fn spawn_watcher(&mut self, folder: String) {
        let (wtx, mut wrx) = unbounded_channel();
        let cfg = IdleConfig { folder: folder.clone(), ..self.cfg.clone() };
        let watcher = watch(self.ep.clone(), self.credential.clone(), cfg, wtx);
        self.tasks.push(tokio::spawn(watcher));
        let tx = self.tx.clone();
        self.tasks.push(tokio::spawn(async move {
            while let Some(ev) = wrx.recv().await {
                if tx.send((folder.clone(), ev)).is_err() {
                    break;
                }
            }
        }));
    }

    /// Takes in one watcher event; true when the folder needs a sync.
    fn take(&mut self, folder: &str, ev: IdleEvent) -> bool {
        match ev {
            IdleEvent::State(s) => {
                if s.folder == self.first && matches!(s.mode, Mode::Idling | Mode::Polling) {
                    match (s.mode, self.extra.take()) {
                        (Mode::Idling, Some(extra)) => extra.into_iter().for_each(|f| self.spawn_watcher(f)),
                        // No IDLE here: the other folders are polled with STATUS instead.
                        (_, Some(extra)) => {
                            self.poll.folders.extend(extra);
                            self.poll.every = self.cfg.poll_every;
                            self.report_polled();
                        }
                        (_, None) => {}
                    }
                }
                let _ = self.events.send(PushEvent::State(s));
                false
            }
            // The first count after (re)connecting may hide deliveries made while offline.
            IdleEvent::Exists(n) => self.known.insert(folder.to_string(), n) != Some(n),
            IdleEvent::Expunged(_) | IdleEvent::FlagsChanged(_) => true,
            IdleEvent::Alert(text) => {
                let _ = self.events.send(PushEvent::Alert(text));
                false
            }
        }
    }

    /// A watcher spoke: merges what follows in the next moments, then syncs the folders that
    /// changed. False when nobody listens any more.
    async fn announced(
        &mut self,
        folder: String,
        ev: IdleEvent,
        rx: &mut UnboundedReceiver<(String, IdleEvent)>,
    ) -> bool {
        let mut dirty = BTreeSet::new();
        if self.take(&folder, ev) {
            dirty.insert(folder);
        }
        if dirty.is_empty() {
            return !self.events.is_closed();
        }
        tokio::time::sleep(SETTLE).await;
        while let Ok((f, more)) = rx.try_recv() {
            if self.take(&f, more) {
                dirty.insert(f);
            }
        }
        self.replay().await;
        for f in dirty {
            let sent = match self.engine.sync_folder(&f, &no_progress).await {
                Ok(report) => self.events.send(PushEvent::Synced(Box::new(report))),
                Err(e) => self.events.send(PushEvent::Failed(e.to_string())),
            };
            if sent.is_err() {
                return false;
            }
        }
        true
    }

    /// One STATUS round over the polled folders; syncs those that changed.
    async fn poll_round(&mut self) -> bool {
        self.replay().await;
        self.poll.last_error = None;
        for f in self.poll.folders.clone() {
            match self.engine.sync_if_changed(&f).await {
                Ok(None) => {}
                Ok(Some(report)) => {
                    if self.events.send(PushEvent::Synced(Box::new(report))).is_err() {
                        return false;
                    }
                }
                Err(e) => {
                    let stop = matches!(e.kind(), Kind::Network | Kind::Tls | Kind::Auth | Kind::Config);
                    self.poll.last_error = Some(e.to_string());
                    if stop {
                        break;
                    }
                }
            }
        }
        self.report_polled()
    }

    /// The state of each polled folder. False when nobody listens any more.
    fn report_polled(&self) -> bool {
        let last_server_line = self.engine.transcript().last_server_line();
        for f in &self.poll.folders {
            let state = IdleState {
                mode: Mode::Polling,
                folder: f.clone(),
                idling_since: None,
                last_server_line: last_server_line.clone(),
                reconnects: self.engine.connections().saturating_sub(1),
                last_error: self.poll.last_error.clone(),
                retry_in: None,
            };
            if self.events.send(PushEvent::State(state)).is_err() {
                return false;
            }
        }
        true
    }

    /// Changes made here go to the server before a sync reads its state; the server's
    /// refusals are said to the person as a pass says them (the change is dropped, the
    /// server's state wins): not as a failure, which only retries and is not shown.
    async fn replay(&mut self) {
        match self.engine.replay_actions().await {
            Ok((_, refused)) => {
                for r in refused {
                    let _ = self.events.send(PushEvent::Alert(r));
                }
            }
            Err(e) => {
                let _ = self.events.send(PushEvent::Failed(e.to_string()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FolderId;

    fn folder(name: &str, role: Option<Role>, subscribed: bool) -> Folder {
        Folder {
            id: FolderId(1),
            name: name.into(),
            display_name: name.into(),
            delimiter: Some("/".into()),
            role,
            subscribed,
            selectable: true,
            uidvalidity: None,
            uidnext: None,
            highestmodseq: None,
            synced_at: None,
        }
    }

    fn folders() -> Vec<Folder> {
        vec![
            folder("Archive", Some(Role::Archive), true),
            folder("Drafts", Some(Role::Drafts), true),
            folder("INBOX", Some(Role::Inbox), true),
            folder("Junk", Some(Role::Junk), true),
            folder("Lists/rust", None, true),
            folder("Old", None, false),
            folder("Sent", Some(Role::Sent), true),
            folder("Trash", Some(Role::Trash), true),
            Folder { selectable: false, ..folder("Lists", None, true) },
        ]
    }

    #[test]
    fn inbox_alone_is_idled_by_default_and_the_rest_polled() {
        let p = plan(&folders(), IdleFolders::Inbox, false);
        assert_eq!(p.first, "INBOX");
        assert!(p.extra.is_empty());
        assert_eq!(p.polled, ["Archive", "Drafts", "Junk", "Lists/rust", "Old", "Sent", "Trash"]);
        let p = plan(&folders(), IdleFolders::Inbox, true);
        assert!(!p.polled.contains(&"Old".to_string()), "not subscribed: not synced, not polled");
    }

    #[test]
    fn more_folders_are_idled_up_to_the_cap() {
        let p = plan(&folders(), IdleFolders::Special, false);
        assert_eq!(p.extra, ["Junk", "Sent", "Drafts", "Archive"], "{p:?}");
        assert_eq!(p.polled, ["Lists/rust", "Old", "Trash"]);
        assert_eq!(1 + p.extra.len(), MAX_IDLE_CONNECTIONS);
        let few = vec![folder("INBOX", Some(Role::Inbox), true), folder("Lists/rust", None, true)];
        let p = plan(&few, IdleFolders::Subscribed, false);
        assert_eq!(p.extra, ["Lists/rust"]);
        assert!(p.polled.is_empty());
        // No folder list (offline at start): INBOX alone.
        assert_eq!(plan(&[], IdleFolders::Subscribed, false).first, "INBOX");
    }
}
