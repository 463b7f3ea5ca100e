//! When an account sends and receives: at start, every N minutes (with a little jitter so
//! many clients don't hit a server at once), or only when asked — the three ways the seeds
//! describe — plus manual passes. One pass at a time per account: a pass asked for while one
//! runs is merged into it. Network failures put the account offline and retry with
//! exponential backoff; the retry that succeeds is the "back online" pass.
//!
//! The scheduler only decides *when*; a [`PassRunner`] does the work (receive, flush the
//! Outbox). Time comes from tokio, so tests run on a paused clock.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::{Receiver, UnboundedSender};
use tokio::time::{Instant, sleep_until};

use crate::error::{Error, Kind};
use crate::options::Options;

/// An account's schedule (its settings; part of the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Send and receive when Tidings starts.
    pub at_start: bool,
    /// Send and receive every this many minutes; `None`: only when asked (and at start).
    pub every_minutes: Option<u32>,
}

impl Default for Schedule {
    /// Thunderbird's defaults: at start and every 10 minutes.
    fn default() -> Self {
        Schedule { at_start: true, every_minutes: Some(10) }
    }
}

/// A minute of the schedule. [`run_scaled`] takes another length so that tests against real
/// servers can run "every 2 minutes" in seconds; the config always counts real minutes.
pub const MINUTE: Duration = Duration::from_secs(60);

/// Checking more often than this gets accounts throttled or blocked by some providers.
pub const MIN_SENSIBLE_MINUTES: u32 = 5;

impl Schedule {
    pub fn only_when_asked() -> Schedule {
        Schedule { at_start: false, every_minutes: None }
    }

    pub fn interval(&self) -> Option<Duration> {
        self.interval_in(MINUTE)
    }

    /// The interval when a minute lasts `minute` (tests shorten it; see [`run_scaled`]).
    pub fn interval_in(&self, minute: Duration) -> Option<Duration> {
        self.every_minutes.filter(|m| *m > 0).map(|m| minute.saturating_mul(m))
    }

    /// A word of caution for short intervals.
    pub fn warning(&self) -> Option<String> {
        match self.every_minutes {
            Some(m) if m > 0 && m < MIN_SENSIBLE_MINUTES => Some(format!(
                "Checking every {m} minute{} is very often: some providers slow down or block accounts that check more often than every {MIN_SENSIBLE_MINUTES} minutes (Gmail asks for 10).",
                if m == 1 { "" } else { "s" }
            )),
            _ => None,
        }
    }

    /// Up to a tenth of the interval, at most a minute.
    pub fn max_jitter(&self) -> Duration {
        self.max_jitter_in(MINUTE)
    }

    fn max_jitter_in(&self, minute: Duration) -> Duration {
        self.interval_in(minute).map(|i| (i / 10).min(minute)).unwrap_or_default()
    }
}

/// Why a pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    Start,
    Timer,
    Manual,
    Retry,
}

/// What a finished pass reports to the scheduler.
pub type PassResult = Result<(), Error>;

/// Does one send/receive pass for the account.
pub trait PassRunner: Send {
    fn pass(&mut self, reason: Reason) -> Pin<Box<dyn Future<Output = PassResult> + Send + '_>>;
}

/// Commands to a running scheduler.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    /// Send/Receive now (F5, Ctrl+T, the toolbar button).
    RunNow,
    /// New settings; takes effect from the next wait.
    Reschedule(Schedule),
    /// The account's options changed (the schedule among them): the scheduler takes the
    /// schedule, the pass runner the rest (see `pass::run_account`).
    Options(Options),
}

/// What the scheduler tells the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    PassStarted(Reason),
    /// A manual request arrived while a pass ran: it is covered by that pass.
    Merged,
    PassFinished {
        ok: bool,
        error: Option<String>,
        /// The failure's kind (an OAuth2 account refused with [`Kind::Auth`] must sign in
        /// again).
        kind: Option<Kind>,
        next: Option<Duration>,
    },
    /// A network failure: offline, the next attempt in `retry_in`.
    Offline {
        reason: String,
        retry_in: Option<Duration>,
    },
}

/// Retry delays after network failures: 30 s doubling to at most 15 minutes, never longer
/// than the account's own interval (when it has one).
pub fn retry_delay(schedule: &Schedule, failures: u32) -> Duration {
    retry_delay_in(schedule, failures, MINUTE)
}

/// [`retry_delay`] when a minute lasts `minute`.
pub fn retry_delay_in(schedule: &Schedule, failures: u32, minute: Duration) -> Duration {
    let first = minute / 2;
    let base = first.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)));
    let cap = minute.saturating_mul(15);
    let cap = schedule.interval_in(minute).map_or(cap, |i| i.min(cap).max(first));
    base.min(cap)
}

/// A small xorshift: jitter needs spread, not cryptography, and tests need a seed.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self, max: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let ms = max.as_millis() as u64;
        if ms == 0 { Duration::ZERO } else { Duration::from_millis(self.0 % (ms + 1)) }
    }
}

/// Runs the account's schedule until the command channel closes.
pub async fn run(
    schedule: Schedule,
    runner: impl PassRunner,
    commands: Receiver<Command>,
    events: UnboundedSender<Event>,
    seed: u64,
) {
    run_scaled(schedule, MINUTE, runner, commands, events, seed).await
}

/// [`run`] with minutes of another length: intervals, jitter and retry delays all scale
/// with it (integration tests run a 2-minute schedule in 2 seconds).
pub async fn run_scaled(
    mut schedule: Schedule,
    minute: Duration,
    mut runner: impl PassRunner,
    mut commands: Receiver<Command>,
    events: UnboundedSender<Event>,
    seed: u64,
) {
    let minute = minute.max(Duration::from_millis(1));
    let mut jitter = Jitter(seed | 1);
    let mut failures = 0u32;
    // When the last pass ended (or the schedule started): a new interval counts from here.
    let mut last_end = Instant::now();
    let mut next: Option<(Instant, Reason)> = if schedule.at_start {
        Some((Instant::now(), Reason::Start))
    } else {
        timer(&schedule, minute, &mut jitter, Instant::now())
    };
    loop {
        let reason = tokio::select! {
            _ = wait(next.map(|(at, _)| at)) => next.map(|(_, r)| r).unwrap_or(Reason::Timer),
            cmd = commands.recv() => match cmd {
                None => return,
                Some(Command::RunNow) => Reason::Manual,
                Some(Command::Reschedule(s) | Command::Options(Options { schedule: s, .. })) => {
                    // Other options (notifications, IDLE…) or the same schedule: the next
                    // check stays where it was. A pending pass at start stays too.
                    if s == schedule || matches!(next, Some((_, Reason::Start))) {
                        schedule = s;
                        continue;
                    }
                    let had_timer = schedule.interval_in(minute).is_some();
                    schedule = s;
                    if failures == 0 {
                        // A changed interval counts from the last check (at once if that is
                        // already longer ago); a first interval counts from now.
                        let now = Instant::now();
                        let from = if had_timer { last_end } else { now };
                        next = timer(&schedule, minute, &mut jitter, from)
                            .map(|(at, reason)| (at.max(now), reason));
                    }
                    continue;
                }
            },
        };
        let _ = events.send(Event::PassStarted(reason));
        let result = {
            let pass = runner.pass(reason);
            tokio::pin!(pass);
            // Keep taking commands while the pass runs: manual requests merge into it.
            loop {
                tokio::select! {
                    r = &mut pass => break r,
                    cmd = commands.recv() => match cmd {
                        None => return,
                        Some(Command::RunNow) => { let _ = events.send(Event::Merged); }
                        Some(Command::Reschedule(s) | Command::Options(Options { schedule: s, .. })) => {
                            schedule = s;
                        }
                    },
                }
            }
        };
        let now = Instant::now();
        last_end = now;
        match result {
            Err(e) if e.kind() == Kind::Network => {
                failures += 1;
                // "Only when I ask" never runs by itself, not even to retry.
                let retry = (schedule.at_start || schedule.interval_in(minute).is_some())
                    .then(|| retry_delay_in(&schedule, failures, minute));
                next = retry.map(|d| (now + d, Reason::Retry));
                let _ = events.send(Event::Offline { reason: e.to_string(), retry_in: retry });
            }
            other => {
                failures = 0;
                next = timer(&schedule, minute, &mut jitter, now);
                let _ = events.send(Event::PassFinished {
                    ok: other.is_ok(),
                    kind: other.as_ref().err().map(|e| e.kind()),
                    error: other.err().map(|e| e.to_string()),
                    next: next.map(|(at, _)| at - now),
                });
            }
        }
    }
}

/// The next timer pass: one interval (plus jitter) from `from`, if the schedule has one.
fn timer(
    schedule: &Schedule,
    minute: Duration,
    jitter: &mut Jitter,
    from: Instant,
) -> Option<(Instant, Reason)> {
    let interval = schedule.interval_in(minute)?;
    Some((from + interval + jitter.next(schedule.max_jitter_in(minute)), Reason::Timer))
}

async fn wait(until: Option<Instant>) {
    match until {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
