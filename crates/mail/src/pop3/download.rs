//! The two pipelined loops of a pass: downloads (RETR, or TOP n 0 for headers only) with
//! their commits to the store, and deletions (DELE).
//!
//! Downloads keep `window` commands in flight when the server offers PIPELINING, refilled
//! by half a window per write. Each answer streams into a spool (memory, or a file past the
//! memory limit), and finished messages gather in a batch. The store thread commits a batch
//! while the next one downloads, so the network is never idle waiting for an fsync.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::time::Instant;

use super::Pop3;
use super::errors::refused;
use super::plan::{PlanItem, Reason};
use super::receive::{Failure, Phase, Pop3Progress, Pop3Report, ProgressFn, Tuning};
use super::spool::Spool;
use super::wire::Capped;
use crate::error::{Error, Kind, Result};
use crate::limits::MAX_MESSAGE;
use crate::store::{
    AccountId, Committed, FolderId, Pop3Batch, Pop3Incoming, Prior, Reply as StoreReply, StoreHandle,
};

/// What the loops need besides the session.
pub(super) struct Ctx<'a> {
    pub store: &'a StoreHandle,
    pub account: AccountId,
    pub inbox: FolderId,
    pub spool_dir: &'a Path,
    pub tuning: &'a Tuning,
    /// Identify messages by a hash of their content (the server has no UIDL).
    pub hash: bool,
    pub progress: ProgressFn<'a>,
    pub total_bytes: u64,
    /// The pass's clock (Unix seconds): the first-seen time of what it downloads.
    pub at: i64,
    /// Downloads stop here (the pass's time limit); what came is committed.
    pub deadline: tokio::time::Instant,
}

fn command(item: &PlanItem) -> String {
    match item.reason {
        Reason::NewHeadersOnly => format!("TOP {} 0", item.number),
        _ => format!("RETR {}", item.number),
    }
}

fn window(p: &Pop3, tuning: &Tuning) -> usize {
    if p.pipelining() { tuning.window.max(1) } else { 1 }
}

/// A batch on its way to the store: the messages and, for each, its message number.
#[derive(Default)]
struct Batch {
    store: Pop3Batch,
    numbers: Vec<u32>,
    headers_only: usize,
    /// Bytes of its messages in spool files (outside the arena): they count towards a full
    /// batch too, so spool files waiting for a commit stay within a batch.
    spooled: u64,
    /// When its first message came.
    started: Option<Instant>,
}

/// A commit running on the store thread.
struct Running {
    reply: StoreReply<Committed>,
    numbers: Vec<u32>,
    keys: Vec<String>,
    headers_only: usize,
}

impl Running {
    fn absorb(
        self,
        r: Result<Committed>,
        done: &mut HashMap<u32, String>,
        report: &mut Pop3Report,
    ) -> Result<()> {
        let c = r?;
        report.downloaded += c.inserted;
        report.duplicates += c.duplicates;
        report.headers_only += self.headers_only;
        // The transaction stored all of the batch, or returned an error.
        done.extend(self.numbers.into_iter().zip(self.keys));
        Ok(())
    }
}

fn submit(ctx: &Ctx<'_>, batch: Batch) -> Running {
    let keys = batch.store.items.iter().map(|i| i.uid.clone()).collect();
    let (account, inbox, items, at) = (ctx.account, ctx.inbox, batch.store, ctx.at);
    Running {
        reply: ctx.store.submit(move |s| s.pop3_commit(account, inbox, items, at)),
        numbers: batch.numbers,
        keys,
        headers_only: batch.headers_only,
    }
}

/// Downloads `items` and commits them. Returns the committed ones: message number → key
/// (the UID, or the content hash without UIDL). A message the server refuses is reported
/// in `report.failed` and skipped; any other error ends the loop, after the messages
/// already downloaded are committed (they are whole; the next pass need not fetch them).
pub(super) async fn download(
    p: &mut Pop3,
    items: &[PlanItem],
    ctx: &Ctx<'_>,
    report: &mut Pop3Report,
) -> Result<HashMap<u32, String>> {
    let mut st = State::default();
    let started = Instant::now();
    let fetched = match tokio::time::timeout_at(ctx.deadline, fetch_all(p, items, ctx, report, &mut st)).await
    {
        Ok(r) => r,
        Err(_) => {
            p.transcript().note("the pass reached its time limit: downloads stopped");
            Err(Error::new(
                Kind::Network,
                format!(
                    "receiving from {} took longer than {} and was stopped; the messages downloaded so far are stored, nothing was deleted from the server, and the next pass goes on",
                    p.host(),
                    humantime::format_duration(ctx.tuning.max_pass)
                ),
            ))
        }
    };
    report.timings.download_ms = started.elapsed().as_millis() as u64;
    let waiting = Instant::now();
    let mut stored = Ok(());
    if let Some(mut r) = st.running.take() {
        let result = (&mut r.reply).await;
        stored = r.absorb(result, &mut st.done, report);
    }
    if stored.is_ok() && !st.batch.store.is_empty() {
        report.commits += 1;
        let mut r = submit(ctx, std::mem::take(&mut st.batch));
        let result = (&mut r.reply).await;
        stored = r.absorb(result, &mut st.done, report);
    }
    report.timings.last_commit_ms = waiting.elapsed().as_millis() as u64;
    fetched?;
    stored?;
    Ok(st.done)
}

/// The download loop's state, kept outside it so that an error still commits what came.
#[derive(Default)]
struct State {
    done: HashMap<u32, String>,
    batch: Batch,
    running: Option<Running>,
}

async fn fetch_all(
    p: &mut Pop3,
    items: &[PlanItem],
    ctx: &Ctx<'_>,
    report: &mut Pop3Report,
    st: &mut State,
) -> Result<()> {
    let win = window(p, ctx.tuning);
    let total = items.len() as u64;
    let mut inflight: VecDeque<usize> = VecDeque::new();
    let mut next = 0;
    let mut received = 0u64;
    while next < items.len() || !inflight.is_empty() {
        if inflight.len() <= win / 2 && next < items.len() {
            let mut cmds = Vec::new();
            while inflight.len() < win && next < items.len() {
                cmds.push(command(&items[next]));
                inflight.push_back(next);
                next += 1;
            }
            p.send_many(&cmds).await?;
        }
        let Some(i) = inflight.pop_front() else { break };
        let item = &items[i];
        let cmd = command(item);
        let mut spool =
            Spool::new(ctx.spool_dir, ctx.tuning.memory_limit, &mut st.batch.store.arena, ctx.hash);
        let limit = p.deadline(item.size);
        let answer = tokio::time::timeout(limit, async {
            let r = p.read_reply(&cmd).await?;
            if !r.ok {
                return Ok(Err(r));
            }
            p.wire.read_data_capped(&mut spool, MAX_MESSAGE).await.map(Ok)
        })
        .await;
        match answer {
            Err(_) => return Err(p.too_slow(limit)),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Err(refusal))) => {
                report.failed.push(Failure {
                    number: item.number,
                    uid: item.uid.clone(),
                    command: cmd,
                    server: refusal.line,
                });
                continue;
            }
            Ok(Ok(Ok(Capped::Over(sent)))) => {
                // The rest of it is still on the wire: the session ends here. What came
                // before is committed by the caller; this message is skipped from now on.
                drop(spool);
                return Err(over_limit(p, item, sent, ctx, report).await);
            }
            Ok(Ok(Ok(Capped::Whole(_)))) => {}
        }
        let got = spool.finish().map_err(|e| Error::storage("cannot keep a downloaded message", e))?;
        received += got.len;
        report.bytes += got.len;
        let key = match (&item.uid, got.sha256) {
            (Some(uid), _) => uid.clone(),
            (None, Some(hash)) => format!("sha256:{hash}"),
            (None, None) => return Err(Error::config("a message without UID (the server has no UIDL)")),
        };
        let headers_only = item.reason == Reason::NewHeadersOnly;
        st.batch.headers_only += usize::from(headers_only);
        if matches!(got.body, crate::store::Pop3Body::File(_)) {
            st.batch.spooled += got.len;
        }
        st.batch.numbers.push(item.number);
        let prior = match item.reason {
            Reason::NewReusedId => Prior::Deleted,
            Reason::Recheck { .. } => Prior::Compare,
            _ => Prior::Same,
        };
        st.batch.store.items.push(Pop3Incoming {
            uid: key,
            size: item.size,
            header: got.header,
            body: (!headers_only).then_some(got.body),
            prior,
        });
        // Few big commits: each rewrites the index pages it touches (the sort indexes have
        // random keys), so many small ones cost far more. A batch goes when it is full, or
        // when the store is idle and the batch is the first (the list fills at once) or has
        // waited long enough (a slow download still shows up promptly). A full batch waits
        // for the running commit: memory stays bounded.
        let batch_started = *st.batch.started.get_or_insert_with(Instant::now);
        let mut finished = st.running.as_mut().and_then(|r| r.reply.try_take());
        let full = st.batch.store.len() >= ctx.tuning.batch_messages
            || st.batch.store.arena.len() as u64 + st.batch.spooled >= ctx.tuning.batch_bytes as u64;
        if full
            && finished.is_none()
            && let Some(r) = st.running.as_mut()
        {
            finished = Some((&mut r.reply).await);
        }
        if let Some(result) = finished
            && let Some(r) = st.running.take()
        {
            r.absorb(result, &mut st.done, report)?;
        }
        // The last commit is what the pass waits for after the last byte: near the end a
        // batch goes as soon as the store is idle and it holds more messages than are left
        // to download, so the batches shrink towards the end and the last one is small.
        let left = items.len() - next + inflight.len();
        let due = full
            || (report.commits == 0 && st.batch.store.len() >= ctx.tuning.first_batch)
            || left < st.batch.store.len()
            || batch_started.elapsed() >= ctx.tuning.batch_age;
        if st.running.is_none() && due {
            report.commits += 1;
            st.running = Some(submit(ctx, std::mem::take(&mut st.batch)));
        }
        (ctx.progress)(&Pop3Progress {
            phase: Phase::Downloading,
            done: (i + 1) as u64,
            total,
            bytes: received,
            total_bytes: ctx.total_bytes,
        });
    }
    Ok(())
}

/// A message that sent more than `MAX_MESSAGE`: recorded as skipped with the bytes it sent
/// (the next pass leaves it alone and goes on with the rest), listed in the report, and the
/// error that ends the pass.
async fn over_limit(p: &Pop3, item: &PlanItem, sent: u64, ctx: &Ctx<'_>, report: &mut Pop3Report) -> Error {
    let reason = Reason::OverLimit { limit: MAX_MESSAGE, sent: Some(sent) };
    let mut note = "Without UIDL it cannot be recognised: the next pass will stop at it again.".to_string();
    if let Some(uid) = item.uid.clone() {
        let (account, at, why) = (ctx.account, ctx.at, reason.describe());
        note = match ctx.store.call(move |s| s.pop3_skipped(account, &[(uid, sent, why)], at)).await {
            Ok(()) => {
                "It stays on the server and is skipped from now on; the next pass goes on with the rest."
                    .into()
            }
            Err(e) => format!("It stays on the server; recording it as skipped failed ({e})."),
        };
    }
    report.skipped.push(PlanItem { reason, ..item.clone() });
    Error::new(
        Kind::Protocol,
        format!(
            "{} sent more than {} for message {} (LIST said {}), the largest message Tidings takes, so the download stopped there. {note} The messages before it are stored; nothing was deleted.",
            p.host(),
            crate::limits::size(MAX_MESSAGE),
            item.number,
            crate::limits::size(item.size),
        ),
    )
}

/// Sends DELE for `items` (pipelined when offered). Returns those the server accepted; they
/// go only when QUIT succeeds. A refused DELE is reported and the rest continue.
pub(super) async fn delete(
    p: &mut Pop3,
    items: &[PlanItem],
    ctx: &Ctx<'_>,
    report: &mut Pop3Report,
) -> Result<Vec<PlanItem>> {
    let win = window(p, ctx.tuning);
    let total = items.len() as u64;
    let mut marked = Vec::new();
    for (k, chunk) in items.chunks(win).enumerate() {
        let cmds: Vec<String> = chunk.iter().map(|i| format!("DELE {}", i.number)).collect();
        p.send_many(&cmds).await?;
        for (item, cmd) in chunk.iter().zip(&cmds) {
            let limit = p.deadline(0);
            let r = match tokio::time::timeout(limit, p.read_reply(cmd)).await {
                Ok(r) => r?,
                Err(_) => return Err(p.too_slow(limit)),
            };
            if r.ok {
                marked.push(item.clone());
            } else if r.code.is_some() {
                // IN-USE, SYS/TEMP…: the session itself is in trouble.
                return Err(refused(p.host(), "refused DELE", r, false));
            } else {
                report.failed.push(Failure {
                    number: item.number,
                    uid: item.uid.clone(),
                    command: cmd.clone(),
                    server: r.line,
                });
            }
        }
        (ctx.progress)(&Pop3Progress {
            phase: Phase::Deleting,
            done: ((k * win + chunk.len()) as u64).min(total),
            total,
            bytes: 0,
            total_bytes: 0,
        });
    }
    Ok(marked)
}
