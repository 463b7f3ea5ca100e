//! Push: IDLE on one folder (INBOX by default) feeding the sync engine, so new mail reaches
//! the store — and the list — with no user action. Announcements arriving close together are
//! merged into one folder sync. Folders not idled are left to the scheduler's passes.

use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Engine, SyncReport, no_progress};
use crate::idle::{IdleConfig, IdleEvent, IdleState, watch};
use crate::net::Endpoint;

/// What push reports: the watcher's state (for the status bar) and each folder sync it ran.
#[derive(Debug, Clone)]
pub enum PushEvent {
    State(IdleState),
    Synced(Box<SyncReport>),
    Failed(String),
}

/// How long to wait for more announcements before syncing (a delivery often brings EXISTS
/// and a flag change together).
const SETTLE: Duration = Duration::from_millis(150);

/// Idles on `cfg.folder` and syncs it into the store whenever the server announces a
/// change, until the receiver of `events` is dropped.
pub async fn push(
    mut engine: Engine,
    ep: Endpoint,
    user: String,
    password: String,
    cfg: IdleConfig,
    events: UnboundedSender<PushEvent>,
) {
    let folder = cfg.folder.clone();
    let (tx, mut rx): (UnboundedSender<IdleEvent>, UnboundedReceiver<IdleEvent>) = unbounded_channel();
    let watcher = tokio::spawn(watch(ep, user, password, cfg, tx));
    let mut known: Option<u32> = None;
    while let Some(event) = rx.recv().await {
        let changed = match event {
            IdleEvent::State(s) => {
                if events.send(PushEvent::State(s)).is_err() {
                    break;
                }
                false
            }
            // The first count after (re)connecting may hide deliveries made while offline.
            IdleEvent::Exists(n) => known.replace(n) != Some(n),
            IdleEvent::Expunged(_) | IdleEvent::FlagsChanged(_) => true,
        };
        if !changed {
            continue;
        }
        // Merge what arrives in the next moments into this sync.
        tokio::time::sleep(SETTLE).await;
        while let Ok(more) = rx.try_recv() {
            match more {
                IdleEvent::Exists(n) => known = Some(n),
                IdleEvent::State(s) => {
                    let _ = events.send(PushEvent::State(s));
                }
                _ => {}
            }
        }
        let sent = match engine.sync_folder(&folder, &no_progress).await {
            Ok(report) => events.send(PushEvent::Synced(Box::new(report))),
            Err(e) => events.send(PushEvent::Failed(e.to_string())),
        };
        if sent.is_err() {
            break;
        }
    }
    watcher.abort();
}
