//! Keeping mail offline: after a pass of an IMAP account whose `keep_offline` option is on,
//! the bodies the store lacks are downloaded in the background on the pass's own connection
//! (the engine is lent to the download and given back), folder by folder with the Inbox
//! first, newest first, in chunks bounded by [`limits::OFFLINE_CHUNK_BYTES`]. Each chunk is
//! written in one transaction while the next one downloads.
//!
//! New mail comes first: the next pass (scheduled, F5, or the Outbox) stops the download
//! between two chunks and takes the connection back; IDLE has connections of its own.
//! Nothing is remembered but the bodies themselves, so a download killed or cut off simply
//! continues after the next pass with what is still missing; a body already stored is never
//! asked for again, nor stored twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::{AccountEvent, Shared};
use crate::error::{Kind, Result};
use crate::limits;
use crate::options::KeepOffline;
use crate::store::{BodyCursor, Folder, MissingBody, Reply, Role};
use crate::sync::Engine;

/// Messages read from the store per query, newest first.
const PAGE: usize = 2_000;

/// Where a download is: `done` of `total` messages in scope have their body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfflineProgress {
    pub done: u64,
    pub total: u64,
    /// The download ended (all stored, stopped for a pass, or failed: see `error`).
    pub finished: bool,
    /// Why it ended early; the next pass continues.
    pub error: Option<String>,
}

/// What one download did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OfflineReport {
    /// Bodies stored.
    pub stored: u64,
    pub bytes: u64,
    /// `UID FETCH` commands sent.
    pub chunks: u64,
    /// Messages passed over: larger than the limit, or unreadable as the server sent them.
    pub skipped: u64,
    /// Stopped between two chunks (a pass wanted the connection, or the option changed).
    pub stopped: bool,
    /// In scope and stored, when it ended.
    pub done: u64,
    pub total: u64,
}

/// Downloads the bodies `scope` asks for that the store lacks, on `engine`'s connection.
/// `stop` is asked between chunks; `progress` hears after each chunk. Returns at the first
/// error that ends the connection (what was stored stays).
pub async fn download(
    engine: &mut Engine,
    scope: KeepOffline,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(&OfflineProgress) + Sync),
) -> Result<OfflineReport> {
    let mut report = OfflineReport::default();
    if scope == KeepOffline::Off {
        return Ok(report);
    }
    let since = scope.since(SystemTime::now());
    let account = engine.account_in_store().await?;
    let store = engine.store().clone();
    let (done, total) = store.call(move |s| s.offline_counts(account, since)).await?;
    (report.done, report.total) = (done, total);
    let tell = |r: &OfflineReport| {
        progress(&OfflineProgress { done: r.done, total: r.total, finished: false, error: None })
    };
    tell(&report);
    let mut folders: Vec<Folder> = engine
        .folders_in_store()
        .await?
        .into_iter()
        .filter(|f| f.selectable && f.uidvalidity.is_some())
        .collect();
    // The Inbox first: what a person reads most.
    folders.sort_by_key(|f| f.role != Some(Role::Inbox));
    // The write of the last chunk, running while the next one downloads.
    let mut writing: Option<Reply<usize>> = None;
    let result = async {
        'folders: for folder in &folders {
            let (fid, Some(uidvalidity)) = (folder.id, folder.uidvalidity) else { continue };
            let mut after: Option<BodyCursor> = None;
            loop {
                let page: Vec<MissingBody> =
                    store.call(move |s| s.missing_bodies(fid, since, after, PAGE)).await?;
                let Some(last) = page.last() else { break };
                after = Some(last.at);
                for chunk in chunks(&page, &mut report) {
                    if stop() {
                        report.stopped = true;
                        break 'folders;
                    }
                    let Some(bodies) = fetch(engine, &folder.name, uidvalidity, &chunk, &mut report).await?
                    else {
                        // Recreated on the server: the next sync starts it over.
                        continue 'folders;
                    };
                    if let Some(w) = writing.take() {
                        report.done += w.await? as u64;
                        tell(&report);
                    }
                    report.bytes += bodies.iter().map(|(_, b)| b.len() as u64).sum::<u64>();
                    writing = Some(store.submit(move |s| s.save_bodies(fid, uidvalidity, &bodies)));
                }
            }
        }
        Ok(())
    }
    .await;
    if let Some(w) = writing.take() {
        report.done += w.await? as u64;
    }
    report.stored = report.done - done;
    result.map(|()| report)
}

/// The page cut into fetches of at most [`limits::OFFLINE_CHUNK_BYTES`] and
/// [`limits::OFFLINE_CHUNK_MESSAGES`]; messages over [`limits::MAX_MESSAGE`] are passed over.
fn chunks(page: &[MissingBody], report: &mut OfflineReport) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0u64;
    for m in page {
        if m.size > limits::MAX_MESSAGE {
            report.skipped += 1;
            continue;
        }
        let full = out.last().is_none_or(|c| {
            c.len() >= limits::OFFLINE_CHUNK_MESSAGES || bytes + m.size > limits::OFFLINE_CHUNK_BYTES
        });
        if full {
            out.push(Vec::new());
            bytes = 0;
        }
        if let Some(c) = out.last_mut() {
            c.push(m.uid);
        }
        bytes += m.size;
    }
    out
}

/// One chunk; when the server's answer cannot be read (or it refuses the chunk), each
/// message is asked for alone and the one that fails is passed over, so one bad message
/// never holds the rest back.
async fn fetch(
    engine: &mut Engine,
    folder: &str,
    uidvalidity: u32,
    uids: &[u32],
    report: &mut OfflineReport,
) -> Result<Option<Vec<(u32, Vec<u8>)>>> {
    report.chunks += 1;
    match engine.fetch_bodies(folder, uidvalidity, uids).await {
        Err(e) if uids.len() > 1 && matches!(e.kind(), Kind::Protocol | Kind::RefusedByServer) => {
            let mut all = Vec::new();
            for uid in uids {
                report.chunks += 1;
                match engine.fetch_bodies(folder, uidvalidity, &[*uid]).await {
                    Ok(Some(one)) => all.extend(one),
                    Ok(None) => return Ok(None),
                    Err(e) if matches!(e.kind(), Kind::Protocol | Kind::RefusedByServer) => {
                        report.skipped += 1
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(Some(all))
        }
        Err(e) if matches!(e.kind(), Kind::Protocol | Kind::RefusedByServer) => {
            report.skipped += 1;
            Ok(Some(Vec::new()))
        }
        other => other,
    }
}

/// A download running in the background with the pass's engine.
pub(super) struct Running {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Option<Engine>>,
}

impl Running {
    /// Starts downloading what the account's option asks for. Every change is reported as
    /// [`AccountEvent::KeepingOffline`], the end too.
    pub(super) fn start(
        mut engine: Engine,
        shared: Shared,
        events: UnboundedSender<AccountEvent>,
    ) -> Running {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let scope = shared.options().keep_offline;
            // Turned off, or changed, in the settings: stop; the next pass starts the new scope.
            let stop = || flag.load(Ordering::Relaxed) || shared.options().keep_offline != scope;
            let tell = |p: &OfflineProgress| {
                let _ = events.send(AccountEvent::KeepingOffline(p.clone()));
            };
            let result = download(&mut engine, scope, &stop, &tell).await;
            let end = match &result {
                Ok(r) => OfflineProgress { done: r.done, total: r.total, finished: true, error: None },
                Err(e) => OfflineProgress { done: 0, total: 0, finished: true, error: Some(e.to_string()) },
            };
            tell(&end);
            // After a failure the connection is not to be trusted: the next pass opens one.
            result.ok().map(|_| engine)
        });
        Running { stop, task }
    }

    /// Stops the download between two chunks; gives the engine back unless it failed.
    pub(super) async fn stop(mut self) -> Option<Engine> {
        self.stop.store(true, Ordering::Relaxed);
        (&mut self.task).await.ok().flatten()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(uid: u32, size: u64) -> MissingBody {
        MissingBody { uid, size, at: BodyCursor { sort_date: 0, uid } }
    }

    #[test]
    fn chunks_are_bounded_by_bytes_and_count_and_huge_messages_are_passed_over() {
        let mut r = OfflineReport::default();
        let mb = 1024 * 1024;
        let page = [
            missing(9, mb),
            missing(8, 2 * mb),
            missing(7, 2 * mb),
            missing(6, 10 * mb),
            missing(5, limits::MAX_MESSAGE + 1),
            missing(4, 10),
        ];
        assert_eq!(chunks(&page, &mut r), vec![vec![9, 8], vec![7], vec![6], vec![4]]);
        assert_eq!(r.skipped, 1);
        let small: Vec<_> = (1..=1200).map(|u| missing(u, 100)).collect();
        let sizes: Vec<usize> = chunks(&small, &mut r).iter().map(Vec::len).collect();
        assert_eq!(sizes, [500, 500, 200]);
    }
}
