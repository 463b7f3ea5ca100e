//! Progress of a pass's receive, in one shape for IMAP and POP3: folders n of m, messages
//! n of m, bytes. The protocol's progress callbacks only push into a channel (they run on
//! the receive's own task); a second future beside the receive turns them into
//! [`AccountEvent::Checking`], keeping only the latest when they come faster than they are
//! read, and asks the store how many folders there are once the folder list is in.

use std::time::SystemTime;

use serde::Serialize;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::AccountEvent;
use crate::error::Result;
use crate::net::Transcript;
use crate::options::Pop3Options;
use crate::pop3::{self, Pop3Progress, Pop3Report, Pop3Target};
use crate::store::{StoreHandle, decode_mutf7};
use crate::sync::{self, AccountReport, Engine, Progress};

/// Where the receive of a pass is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PassPhase {
    Connecting,
    /// Reading the folder list (IMAP) or the message list (POP3).
    Listing,
    /// Checking a folder (IMAP): comparing, fetching new headers, flags.
    Checking,
    /// Downloading messages (POP3).
    Downloading,
    /// Removing messages from the server (POP3).
    Deleting,
    Done,
}

/// One progress report. Totals of 0 mean "not known yet".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassProgress {
    pub phase: PassPhase,
    /// The folder being checked, for people.
    pub folder: Option<String>,
    pub folders_done: u64,
    pub folders_total: u64,
    pub messages_done: u64,
    pub messages_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// `Engine::sync_account` with its progress reported as events.
pub(super) async fn imap_sync(
    engine: &mut Engine,
    store: &StoreHandle,
    account_key: &str,
    events: &UnboundedSender<AccountEvent>,
) -> Result<AccountReport> {
    let (tx, rx) = unbounded_channel::<Progress>();
    let sync = async move {
        let on_progress = move |p: &Progress| {
            let _ = tx.send(p.clone());
        };
        engine.sync_account(&on_progress).await
        // `on_progress` (and the sender) is dropped here, which ends the forwarding below.
    };
    let (report, ()) = tokio::join!(sync, forward_imap(rx, store, account_key, events));
    report
}

async fn forward_imap(
    mut rx: UnboundedReceiver<Progress>,
    store: &StoreHandle,
    account_key: &str,
    events: &UnboundedSender<AccountEvent>,
) {
    let mut folders_total = 0u64;
    let mut folders_done = 0u64;
    let mut listed = false;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        folders_done += batch.iter().filter(|p| p.phase == sync::Phase::Done).count() as u64;
        let Some(latest) = batch.pop() else { continue };
        if !listed && latest.phase != sync::Phase::Folders {
            // The folder list is in the store by now: count what will be checked.
            listed = true;
            let key = account_key.to_string();
            folders_total = store
                .call(move |s| {
                    let a = s.account(&key)?;
                    Ok(s.folders(a)?.iter().filter(|f| f.selectable).count() as u64)
                })
                .await
                .unwrap_or(0);
        }
        let (phase, folder) = match latest.phase {
            sync::Phase::Folders => (PassPhase::Listing, None),
            _ => (PassPhase::Checking, Some(decode_mutf7(&latest.folder))),
        };
        let counted = latest.phase == sync::Phase::Headers;
        let p = PassProgress {
            phase,
            folder,
            folders_done,
            folders_total: folders_total.max(folders_done),
            messages_done: if counted { latest.done } else { 0 },
            messages_total: if counted { latest.total } else { 0 },
            bytes_done: latest.bytes,
            bytes_total: 0,
        };
        if events.send(AccountEvent::Checking(p)).is_err() {
            // Nobody listens: keep draining so the sync never waits on us.
            while rx.recv().await.is_some() {}
            return;
        }
    }
}

/// `pop3::receive` with its progress reported as events.
pub(super) async fn pop3_receive(
    target: &Pop3Target,
    options: &Pop3Options,
    store: &StoreHandle,
    transcript: &Transcript,
    events: &UnboundedSender<AccountEvent>,
) -> Result<Pop3Report> {
    let (tx, mut rx) = unbounded_channel::<Pop3Progress>();
    let receive = async move {
        let on_progress = move |p: &Pop3Progress| {
            let _ = tx.send(p.clone());
        };
        pop3::receive(target, options, store, SystemTime::now(), transcript, &on_progress).await
    };
    let forward = async {
        while let Some(mut latest) = rx.recv().await {
            while let Ok(more) = rx.try_recv() {
                latest = more;
            }
            let phase = match latest.phase {
                pop3::Phase::Connecting => PassPhase::Connecting,
                pop3::Phase::Listing => PassPhase::Listing,
                pop3::Phase::Downloading => PassPhase::Downloading,
                pop3::Phase::Deleting => PassPhase::Deleting,
                pop3::Phase::Done => PassPhase::Done,
            };
            let p = PassProgress {
                phase,
                folder: Some("Inbox".into()),
                folders_done: u64::from(phase == PassPhase::Done),
                folders_total: 1,
                messages_done: latest.done,
                messages_total: latest.total,
                bytes_done: latest.bytes,
                bytes_total: latest.total_bytes,
            };
            let _ = events.send(AccountEvent::Checking(p));
        }
    };
    let (report, ()) = tokio::join!(receive, forward);
    report
}
