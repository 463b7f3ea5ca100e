//! The receive pass of a POP3 account, its dry run, and fetching the rest of a message that
//! was downloaded as headers only. See the module comment of `pop3` for the safety rules.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use super::Pop3;
use super::client::OddLine;
use super::download::{self, Ctx};
use super::plan::{Listed, PlanItem, Pop3Plan, decide};
use crate::account::{Account, Incoming};
use crate::auth::Credential;
use crate::check::SessionFacts;
use crate::error::{Error, ErrorReport, Kind, Result};
use crate::net::{Endpoint, Transcript};
use crate::options::Pop3Options;
use crate::store::{FolderId, LOCAL_UIDVALIDITY, SeenState, StoreHandle};

/// Tuning knobs; the defaults suit a desktop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Commands in flight with PIPELINING (1 without it).
    pub window: usize,
    /// A message larger than this streams to a spool file instead of memory.
    pub memory_limit: usize,
    /// A commit holds at most this many messages or (in memory) bytes; while one commit
    /// runs, the next batch fills up to these limits, then the download waits for it.
    pub batch_messages: usize,
    pub batch_bytes: usize,
    /// The first commit of a pass goes at this many messages (the Inbox fills at once).
    pub first_batch: usize,
    /// A batch that is not full goes once its first message has waited this long.
    pub batch_age: Duration,
    /// The longest a whole pass may take (`limits::MAX_PASS_TIME`).
    pub max_pass: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            window: 16,
            memory_limit: crate::limits::SPOOL_OVER,
            batch_messages: 2000,
            // The batch that fills while the last one commits, and the page cache of the
            // commit (twice the batch), are most of a pass's memory: 4 MiB keeps a pass of
            // 10k 29 KB messages at 39 MB, 32 MiB took 102 MB, for the same time within the
            // noise (BENCHMARKS.md).
            batch_bytes: crate::limits::POP3_BATCH_BYTES,
            first_batch: 100,
            batch_age: Duration::from_millis(500),
            max_pass: crate::limits::MAX_PASS_TIME,
        }
    }
}

/// Which server, as whom, into which account of the store.
#[derive(Clone)]
pub struct Pop3Target {
    /// The account's config id: its key in the store.
    pub account_key: String,
    pub endpoint: Endpoint,
    pub credential: Credential,
    /// For downloads too big for memory; default: `pop3-spool/<account>` beside the store
    /// file (the temp dir for an in-memory store).
    pub spool_dir: Option<PathBuf>,
    pub tuning: Tuning,
}

impl std::fmt::Debug for Pop3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pop3Target({} as {} at {})",
            self.account_key,
            self.credential.user(),
            self.endpoint.address()
        )
    }
}

impl Pop3Target {
    /// With a password (tests; the inspector).
    pub fn new(
        account_key: impl Into<String>,
        endpoint: Endpoint,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Pop3Target {
        Pop3Target::with_credential(account_key, endpoint, Credential::password(user, password))
    }

    /// With any credential (an access token too).
    pub fn with_credential(
        account_key: impl Into<String>,
        endpoint: Endpoint,
        credential: Credential,
    ) -> Pop3Target {
        Pop3Target {
            account_key: account_key.into(),
            endpoint,
            credential,
            spool_dir: None,
            tuning: Tuning::default(),
        }
    }

    /// A POP3 account of the config; `credential` is what its incoming server logs in with
    /// ([`crate::auth::credential`]).
    pub fn for_account(account: &Account, credential: Credential) -> Result<Pop3Target> {
        if account.incoming_protocol != Incoming::Pop3 {
            return Err(Error::config(format!("the account \"{}\" does not use POP3", account.name)));
        }
        let ep = Endpoint::for_account(account, &account.incoming)?;
        Ok(Pop3Target::with_credential(account.id.clone(), ep, credential))
    }
}

/// Where a pass is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Connecting,
    Listing,
    Downloading,
    Deleting,
    Done,
}

/// One progress event: `done` of `total` messages of the phase, `bytes` of `total_bytes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pop3Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
    pub bytes: u64,
    pub total_bytes: u64,
}

/// Called on the pass's task: keep it quick.
pub type ProgressFn<'a> = &'a (dyn Fn(&Pop3Progress) + Send + Sync);

pub fn no_progress(_: &Pop3Progress) {}

/// A message the server refused to hand over or delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub number: u32,
    pub uid: Option<String>,
    pub command: String,
    pub server: String,
}

/// What a pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pop3Report {
    pub account: String,
    pub server_messages: usize,
    /// New messages in the local Inbox (headers-only ones included).
    pub downloaded: usize,
    /// Of those, downloaded as headers only.
    pub headers_only: usize,
    /// Downloads that turned out to be stored already (a pass interrupted after its commit).
    pub duplicates: usize,
    /// Message bytes received.
    pub bytes: u64,
    /// Store transactions the downloads took.
    pub commits: usize,
    pub skipped: Vec<PlanItem>,
    /// Listing lines without a message number that could not be read: nothing was done.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    pub failed: Vec<Failure>,
    /// Removed from the server: only those the server confirmed with QUIT's +OK.
    pub deleted: Vec<PlanItem>,
    pub pipelined: bool,
    pub uidl: bool,
    /// The session ended with QUIT +OK (so the deletions happened).
    pub quit_ok: bool,
    pub elapsed_ms: u64,
    /// Where the pass's time went.
    pub timings: Pop3Timings,
    /// The pass stopped early: what was committed stays, nothing was deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
}

/// The phases of a pass, in milliseconds (zero for those it did not reach).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pop3Timings {
    /// Connecting, TLS, greeting, CAPA and logging in.
    pub connect_ms: u64,
    /// LIST and UIDL, and reading the seen-UID list from the store.
    pub listing_ms: u64,
    /// From the first RETR (or TOP) to the last byte of the last message.
    pub download_ms: u64,
    /// Waiting for the store after the last byte, until every message was committed.
    pub last_commit_ms: u64,
    /// DELE and QUIT.
    pub delete_ms: u64,
}

impl Pop3Report {
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.quit_ok
    }
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

async fn connect(target: &Pop3Target, transcript: &Transcript) -> Result<Pop3> {
    let mut facts = SessionFacts::default();
    let mut p = Pop3::open(&target.endpoint, transcript, &mut facts).await?;
    p.login(&target.credential, &facts).await?;
    Ok(p)
}

/// LIST and UIDL, joined by message number, and the listing's lines that could not be read
/// (or a message UIDL left out): those are never acted on. Without UIDL, copies cannot be
/// left on the server: the same message could not be recognised next time.
async fn listing(p: &mut Pop3, options: &Pop3Options) -> Result<(Vec<Listed>, Vec<OddLine>)> {
    let super::Listing { sizes, uids, odd } = p.listing().await?;
    if uids.is_none() && (options.leave_on_server || options.headers_only) {
        return Err(Error::new(
            Kind::Config,
            format!(
                "{} has no UIDL, so Tidings cannot recognise a message it downloaded before: leaving copies on the server (or downloading headers only) would download them again each time. Turn off \"leave a copy on the server\" to download and delete them",
                p.host()
            ),
        ));
    }
    Ok(super::plan::join(sizes, uids, odd))
}

/// The spool directory (0700), held by the pass until it ends; the files a killed pass left
/// behind are removed when no other pass of the account is running (see `spool::SpoolDir`).
fn spool_dir(target: &Pop3Target, store_path: Option<PathBuf>) -> super::spool::SpoolDir {
    let safe: String = target
        .account_key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let dir = target.spool_dir.clone().unwrap_or_else(|| {
        let base =
            store_path.and_then(|p| p.parent().map(Path::to_path_buf)).unwrap_or_else(std::env::temp_dir);
        base.join("pop3-spool").join(safe)
    });
    super::spool::SpoolDir::open(dir)
}

/// One receive pass (see the `pop3` module comment for its safety rules). `now` is the
/// clock for "delete after N days". Fails only when nothing was done (connect, login,
/// listing); a pass cut short later returns its report with `error` set: what it committed
/// stays, and it deleted nothing. The transcript shows message data as its size only.
///
/// Its downloads stop once the pass has taken `tuning.max_pass` (`limits::MAX_PASS_TIME`):
/// what came is committed, the report says why it stopped, and nothing is deleted.
pub async fn receive(
    target: &Pop3Target,
    options: &Pop3Options,
    store: &StoreHandle,
    now: SystemTime,
    transcript: &Transcript,
    progress: ProgressFn<'_>,
) -> Result<Pop3Report> {
    let t0 = Instant::now();
    // A pass's transcript holds the protocol, not the mail.
    transcript.elide_pop3_data(true);
    let emit = |phase, done, total| progress(&Pop3Progress { phase, done, total, bytes: 0, total_bytes: 0 });
    emit(Phase::Connecting, 0, 0);
    // The store reads the seen-UID list while the connection is made and listed: only
    // reads, so a pass that cannot log in leaves nothing behind (the account's POP3 rows
    // and local folders are made once the server has listed its messages).
    let key = target.account_key.clone();
    let seen = store.submit(move |s| {
        // Only a matter of speed: a pass goes on without it.
        let _ = s.defer_checkpoints();
        Ok((s.pop3_seen_by_key(&key)?, s.path().map(Path::to_path_buf)))
    });
    let _checkpoint = CheckpointAfter(store);
    let mut timings = Pop3Timings::default();
    let mut p = connect(target, transcript).await?;
    timings.connect_ms = t0.elapsed().as_millis() as u64;
    emit(Phase::Listing, 0, 0);
    let (listed, odd) = listing(&mut p, options).await?;
    let (seen, store_path) = seen.await?;
    let key = target.account_key.clone();
    let (account, inbox) = store
        .call(move |s| {
            let a = s.account(&key)?;
            Ok((a, s.pop3_setup(a)?))
        })
        .await?;
    timings.listing_ms = t0.elapsed().as_millis() as u64 - timings.connect_ms;
    let mut plan = decide(&listed, &seen, options, now);
    plan.add_odd(&odd);
    let at = unix(now);
    let mut report = Pop3Report {
        account: target.account_key.clone(),
        server_messages: plan.server_messages,
        skipped: plan.skip.clone(),
        unreadable: plan.unreadable.clone(),
        pipelined: p.pipelining(),
        uidl: plan.uidl,
        timings,
        ..Pop3Report::default()
    };
    if !plan.skip.is_empty() {
        // A message that sent too much keeps the size it really sent: that is what skips it.
        let size = |i: &PlanItem| match i.reason {
            super::Reason::OverLimit { sent: Some(sent), .. } => sent,
            _ => i.size,
        };
        let rows: Vec<(String, u64, String)> =
            plan.skip.iter().filter_map(|i| Some((i.uid.clone()?, size(i), i.reason.describe()))).collect();
        store.call(move |s| s.pop3_skipped(account, &rows, at)).await?;
    }
    let spool = spool_dir(target, store_path);
    let ctx = Ctx {
        store,
        account,
        inbox,
        spool_dir: &spool,
        tuning: &target.tuning,
        hash: !plan.uidl,
        progress,
        total_bytes: plan.download_bytes(),
        at,
        deadline: tokio::time::Instant::from_std(t0) + target.tuning.max_pass,
    };
    let committed = match download::download(&mut p, &plan.download, &ctx, &mut report).await {
        Ok(c) => c,
        Err(e) => return Ok(cut_short(report, &e, t0)),
    };
    // Only what is stored may go; a new message's key is known only now without UIDL.
    let to_delete: Vec<PlanItem> = plan
        .delete
        .iter()
        .filter_map(|i| match &i.reason {
            super::Reason::NotLeavingOnServer { after_download: true } => {
                committed.get(&i.number).map(|key| PlanItem { uid: Some(key.clone()), ..i.clone() })
            }
            _ => Some(i.clone()),
        })
        .collect();
    let deleting = Instant::now();
    let deleted = download::delete(&mut p, &to_delete, &ctx, &mut report).await;
    let quit = match deleted {
        Ok(_) => p.quit().await,
        Err(_) => Ok(()),
    };
    report.timings.delete_ms = deleting.elapsed().as_millis() as u64;
    let marked = match (deleted, quit) {
        (Ok(m), Ok(())) => m,
        (Err(e), _) | (_, Err(e)) => return Ok(cut_short(report, &e, t0)),
    };
    report.quit_ok = true;
    let uids: Vec<String> = marked.iter().filter_map(|i| i.uid.clone()).collect();
    report.deleted = marked;
    store.call(move |s| s.pop3_finish_pass(account, &uids, at)).await?;
    emit(Phase::Done, report.downloaded as u64, report.downloaded as u64);
    report.elapsed_ms = t0.elapsed().as_millis() as u64;
    Ok(report)
}

/// Queues the store's checkpoint when a pass ends, however it ends. Not awaited: the pass
/// is over once its messages are committed, and the checkpoint (copying the WAL back into
/// the file) needs nobody to wait for it.
struct CheckpointAfter<'a>(&'a StoreHandle);

impl Drop for CheckpointAfter<'_> {
    fn drop(&mut self) {
        // `checkpoint_now` puts the usual interval back before it checkpoints; a checkpoint
        // that fails (a reader in the way, a full disk) is tried again by the next commit.
        drop(self.0.submit(|s| s.checkpoint_now()));
    }
}

/// The report of a pass that stopped early: the connection is dropped without QUIT, so
/// the server deletes nothing.
fn cut_short(mut report: Pop3Report, e: &Error, t0: Instant) -> Pop3Report {
    report.error = Some(ErrorReport::from(e));
    report.deleted.clear();
    report.elapsed_ms = t0.elapsed().as_millis() as u64;
    report
}

/// The dry run: exactly what [`receive`] would download, skip and delete now, and why.
/// Sends no RETR, TOP or DELE, and changes nothing in the store.
pub async fn plan(
    target: &Pop3Target,
    options: &Pop3Options,
    store: &StoreHandle,
    now: SystemTime,
    transcript: &Transcript,
) -> Result<Pop3Plan> {
    let mut p = connect(target, transcript).await?;
    let (listed, odd) = listing(&mut p, options).await?;
    let key = target.account_key.clone();
    let (seen, stored) =
        store.call(move |s| Ok((s.pop3_seen_by_key(&key)?, s.pop3_senders_by_key(&key)?))).await?;
    p.quit().await?;
    let mut plan = decide(&listed, &seen, options, now);
    plan.add_odd(&odd);
    plan.describe_stored(&stored);
    Ok(plan)
}

/// The whole text of a message that was downloaded as headers only (or the stored text of
/// one downloaded whole): RETR by its UID, stored durably, returned.
pub async fn fetch_rest(
    target: &Pop3Target,
    store: &StoreHandle,
    folder: FolderId,
    uid: u32,
    transcript: &Transcript,
) -> Result<Vec<u8>> {
    let key = target.account_key.clone();
    let (account, seen, stored) = store
        .call(move |s| {
            let a = s.account(&key)?;
            Ok((a, s.pop3_seen_for(folder, uid)?, s.body(folder, LOCAL_UIDVALIDITY, uid)?))
        })
        .await?;
    let seen = seen.ok_or_else(|| Error::config("this message was not downloaded from a POP3 server"))?;
    if seen.state == SeenState::Downloaded
        && let Some(raw) = stored
    {
        return Ok(raw);
    }
    transcript.elide_pop3_data(true);
    let mut p = connect(target, transcript).await?;
    let number = p.uidl().await?.into_iter().find(|(_, u)| *u == seen.uid).map(|(n, _)| n);
    let number = number.ok_or_else(|| {
        Error::new(
            Kind::RefusedByServer,
            format!("the message is no longer on {}; only its header was downloaded", p.host()),
        )
    })?;
    // Opened to be read: it is going to be in memory anyway.
    let mut raw = Vec::new();
    p.retr_into(number, seen.size, &mut raw).await?;
    let keep = raw.clone();
    let server_uid = seen.uid.clone();
    store.call(move |s| s.pop3_complete(account, &server_uid, &keep)).await?;
    p.quit().await?;
    Ok(raw)
}
