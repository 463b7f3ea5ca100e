//! Push for one folder: a connection of its own that idles on the folder (INBOX by default)
//! and reports what the server announces — new messages, expunges, flag changes — so the
//! sync engine can fetch them. IDLE is re-issued every few minutes (servers drop idlers
//! silently before the 29 minutes RFC 2177 allows), a dropped connection is re-opened with
//! exponential backoff, and a server without IDLE (or an account with IDLE turned off) is
//! polled with STATUS instead. Its state is kept for the status bar and the inspector.

use std::time::{Duration, SystemTime};

use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{MailboxDatum, Response};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::auth::Credential;
use crate::check::SessionFacts;
use crate::error::Result;
use crate::imap;
use crate::net::{Endpoint, Transcript};

/// RFC 2177: re-issue before 29 minutes; we stay well under.
const MAX_REISSUE: Duration = Duration::from_secs(28 * 60);

#[derive(Debug, Clone)]
pub struct IdleConfig {
    pub folder: String,
    /// Use IDLE when the server offers it (the account's "IMAP IDLE" option).
    pub use_idle: bool,
    /// End and re-issue IDLE this often (default 10 minutes, always under 29).
    pub reissue: Duration,
    /// How often to poll when IDLE is not used.
    pub poll_every: Duration,
    /// First wait after a drop; doubles up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for IdleConfig {
    fn default() -> Self {
        IdleConfig {
            folder: "INBOX".into(),
            use_idle: true,
            reissue: Duration::from_secs(10 * 60),
            poll_every: Duration::from_secs(2 * 60),
            first_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(5 * 60),
        }
    }
}

/// How the folder is being watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Connecting,
    Idling,
    Polling,
    /// Disconnected; waiting before the next attempt.
    Offline,
}

/// What the status bar and the inspector show.
#[derive(Debug, Clone, Serialize)]
pub struct IdleState {
    pub mode: Mode,
    pub folder: String,
    pub idling_since: Option<SystemTime>,
    pub last_server_line: Option<String>,
    pub reconnects: u32,
    pub last_error: Option<String>,
    pub retry_in: Option<Duration>,
}

/// What the watcher reports.
#[derive(Debug, Clone)]
pub enum IdleEvent {
    /// The state changed (mode, error, reconnect count…).
    State(IdleState),
    /// The folder now holds this many messages (new mail when it grew).
    Exists(u32),
    /// A message was expunged (sequence number).
    Expunged(u32),
    /// Flags of a message changed (sequence number).
    FlagsChanged(u32),
    /// The server's alert for the person (IMAP `[ALERT]`): in the greeting, at login, or
    /// any time while idling.
    Alert(String),
}

/// The delays between reconnection attempts: first, doubled each time, capped.
pub fn backoff(cfg: &IdleConfig, failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
    cfg.first_backoff.saturating_mul(factor).min(cfg.max_backoff)
}

/// Watches until the receiver of `events` is dropped (or the task is aborted).
pub async fn watch(
    ep: Endpoint,
    credential: Credential,
    cfg: IdleConfig,
    events: UnboundedSender<IdleEvent>,
) {
    let mut state = IdleState {
        mode: Mode::Connecting,
        folder: cfg.folder.clone(),
        idling_since: None,
        last_server_line: None,
        reconnects: 0,
        last_error: None,
        retry_in: None,
    };
    let mut failures = 0u32;
    loop {
        state.mode = Mode::Connecting;
        state.retry_in = None;
        if events.send(IdleEvent::State(state.clone())).is_err() {
            return;
        }
        let transcript = Transcript::with_capacity(2_000);
        let result = session(&ep, &credential, &cfg, &transcript, &events, &mut state, &mut failures).await;
        // A `* BYE [ALERT] …` ends the connection: said before the state that follows.
        alerts(&transcript, &events);
        state.last_server_line = transcript.last_server_line();
        let Err(e) = result else { return }; // Ok: the receiver went away.
        failures += 1;
        let wait = backoff(&cfg, failures);
        state.mode = Mode::Offline;
        state.idling_since = None;
        state.last_error = Some(e.to_string());
        state.retry_in = Some(wait);
        state.reconnects += 1;
        if events.send(IdleEvent::State(state.clone())).is_err() {
            return;
        }
        tokio::time::sleep(wait).await;
    }
}

/// One connection's life. `Ok(())` only when nobody listens any more.
#[allow(clippy::too_many_arguments)]
async fn session(
    ep: &Endpoint,
    credential: &Credential,
    cfg: &IdleConfig,
    transcript: &Transcript,
    events: &UnboundedSender<IdleEvent>,
    state: &mut IdleState,
    failures: &mut u32,
) -> Result<()> {
    let mut facts = SessionFacts::default();
    let lc = imap::open(ep, transcript, &mut facts).await?;
    let mut session = imap::login(lc, ep, credential, &mut facts).await?;
    let map = |e| imap::map_error(ep, e, transcript.last_server_line());
    let mailbox = session.select(&cfg.folder).await.map_err(map)?;
    if !alerts(transcript, events) {
        return Ok(());
    }
    *failures = 0;
    state.last_error = None;
    if events.send(IdleEvent::Exists(mailbox.exists)).is_err() {
        return Ok(());
    }
    let can_idle =
        cfg.use_idle && facts.capabilities_after_login.iter().any(|c| c.eq_ignore_ascii_case("IDLE"));
    if !can_idle {
        return poll(session, ep, cfg, transcript, events, state, mailbox.exists).await;
    }
    let reissue = cfg.reissue.min(MAX_REISSUE);
    let mut lines = transcript.watch();
    loop {
        // Reads may legitimately wait for the whole IDLE period; a dead connection still
        // shows within a minute after it.
        session.as_mut().set_read_timeout(Some(reissue + Duration::from_secs(60)));
        let mut handle = session.idle();
        handle.init().await.map_err(map)?;
        state.mode = Mode::Idling;
        state.idling_since = Some(SystemTime::now());
        state.last_server_line = transcript.last_server_line();
        if events.send(IdleEvent::State(state.clone())).is_err() {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + reissue;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let (wait, _stop) = handle.wait_with_timeout(left);
            // The server's keepalives restart async-imap's timer: the deadline is ours.
            let mut wait = std::pin::pin!(tokio::time::timeout(left, wait));
            // async-imap takes `* OK …` for a keepalive and waits on: an alert in one is seen
            // in the transcript's lines, and reported while the wait goes on.
            let outcome = loop {
                tokio::select! {
                    r = &mut wait => break r,
                    Some(_) = lines.recv() => {
                        if !alerts(transcript, events) {
                            return Ok(());
                        }
                    }
                }
            };
            let outcome = match outcome {
                Ok(r) => r.map_err(map)?,
                Err(_) => IdleResponse::Timeout,
            };
            if !alerts(transcript, events) {
                return Ok(());
            }
            match outcome {
                IdleResponse::NewData(data) => {
                    let event = match data.parsed() {
                        Response::MailboxData(MailboxDatum::Exists(n)) => Some(IdleEvent::Exists(*n)),
                        Response::Expunge(n) => Some(IdleEvent::Expunged(*n)),
                        Response::Fetch(n, _) => Some(IdleEvent::FlagsChanged(*n)),
                        _ => None,
                    };
                    if let Some(ev) = event
                        && events.send(ev).is_err()
                    {
                        return Ok(());
                    }
                }
                IdleResponse::Timeout | IdleResponse::ManualInterrupt => break,
            }
        }
        session = handle.done().await.map_err(map)?;
        session.as_mut().set_read_timeout(Some(ep.timeouts.io));
        // A NOOP between IDLEs lets the server flush anything it held back.
        session.noop().await.map_err(map)?;
        if !alerts(transcript, events) {
            return Ok(());
        }
    }
}

/// Reports the server's new alerts. False when nobody listens any more.
fn alerts(transcript: &Transcript, events: &UnboundedSender<IdleEvent>) -> bool {
    transcript.take_alerts().into_iter().all(|text| events.send(IdleEvent::Alert(text)).is_ok())
}

/// Without IDLE: STATUS every `poll_every`, reporting a changed message count.
async fn poll(
    mut session: imap::Session,
    ep: &Endpoint,
    cfg: &IdleConfig,
    transcript: &Transcript,
    events: &UnboundedSender<IdleEvent>,
    state: &mut IdleState,
    mut exists: u32,
) -> Result<()> {
    state.mode = Mode::Polling;
    state.idling_since = None;
    if events.send(IdleEvent::State(state.clone())).is_err() {
        return Ok(());
    }
    // STATUS on the selected mailbox is discouraged (RFC 3501 6.3.10): poll from the
    // authenticated state instead.
    session.close().await.map_err(|e| imap::map_error(ep, e, transcript.last_server_line()))?;
    loop {
        tokio::time::sleep(cfg.poll_every).await;
        let status = session
            .status(&cfg.folder, "(MESSAGES)")
            .await
            .map_err(|e| imap::map_error(ep, e, transcript.last_server_line()))?;
        if !alerts(transcript, events) {
            return Ok(());
        }
        if status.exists != exists {
            exists = status.exists;
            if events.send(IdleEvent::Exists(exists)).is_err() {
                return Ok(());
            }
        } else if events.is_closed() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let cfg = IdleConfig {
            first_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            ..Default::default()
        };
        let seq: Vec<u64> = (1..=7).map(|n| backoff(&cfg, n).as_secs()).collect();
        assert_eq!(seq, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(&cfg, 1000), Duration::from_secs(60));
    }
}
