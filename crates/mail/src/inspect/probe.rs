//! The one check that writes: a probe message submitted to oneself over SMTP, timed until
//! IDLE announces it, then deleted again. Runs only when asked for.

use std::time::Duration;

use futures::TryStreamExt;
use lettre::address::Envelope;
use tokio::time::Instant;

use super::{Check, Credentials, Verdict};
use crate::auth::Credential;
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::idle::{IdleConfig, IdleEvent, Mode, watch};
use crate::net::{Endpoint, Transcript};
use crate::{imap, smtp};

/// Where and as whom to submit the probe.
#[derive(Clone)]
pub struct Probe {
    pub smtp: Endpoint,
    /// The log-in for submitting it (a password or an access token).
    pub smtp_credential: Credential,
    /// The mailbox's own address: the probe goes from it to it.
    pub address: String,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Probe({} via {} as {})", self.address, self.smtp.address(), self.smtp_credential.user())
    }
}

const WAIT_IDLE: Duration = Duration::from_secs(30);

/// How long the probe waits for IDLE to announce it, from the server's acceptance (the
/// default of `InspectOptions::probe_wait`). Some servers do not push new mail at once but
/// look for it every minute or so, after delivery itself took a while: five minutes leaves
/// room for one that looks every two minutes, twice.
pub const WAIT_DELIVERY: Duration = Duration::from_secs(5 * 60);

/// An announcement slower than this is not a push at once: the server looks for new mail
/// from time to time.
const PROMPT: Duration = Duration::from_secs(5);

/// What became of the probe once the server had accepted it.
enum Seen {
    /// IDLE announced it after this long.
    After(Duration),
    /// Nothing in this long.
    NotWithin(Duration),
}

pub async fn idle_latency(ep: &Endpoint, creds: &Credentials, probe: &Probe, wait: Duration) -> Check {
    let name = "IDLE latency";
    match run(ep, creds, probe, wait).await {
        Ok((Seen::After(latency), cleanup)) => {
            let evidence = vec![
                format!("announced {} ms after the server accepted the probe", latency.as_millis()),
                format!("the probe would have waited up to {} s", wait.as_secs()),
                cleanup,
            ];
            if latency <= PROMPT {
                Check {
                    name,
                    verdict: Verdict::Pass,
                    summary: format!(
                        "a probe submitted over SMTP was announced by IDLE after {} ms",
                        latency.as_millis()
                    ),
                    evidence,
                }
            } else {
                Check {
                    name,
                    verdict: Verdict::Info,
                    summary: format!(
                        "a probe submitted over SMTP was announced by IDLE after {:.1} s: the server appears to look for new mail about every {} s or less often, rather than announce it at once: new mail can show up that much later",
                        latency.as_secs_f64(),
                        interval(latency)
                    ),
                    evidence,
                }
            }
        }
        Ok((Seen::NotWithin(waited), cleanup)) => Check {
            name,
            verdict: Verdict::Fail,
            summary: format!(
                "IDLE did not announce the probe: waited {} s after the server accepted it; the server does not push new mail over IDLE, or looks for it less often than that",
                waited.as_secs()
            ),
            evidence: vec![cleanup],
        },
        Err(e) => Check { name, verdict: Verdict::Fail, summary: e.to_string(), evidence: vec![] },
    }
}

/// The polling interval a late announcement suggests: at least the wait itself, rounded up
/// to 5 s (half a second of delivery aside). One probe shows no more than that lower bound.
fn interval(latency: Duration) -> u64 {
    (((latency.as_secs_f64() - 0.5) / 5.0).ceil() as u64).max(1) * 5
}

async fn run(ep: &Endpoint, creds: &Credentials, probe: &Probe, wait: Duration) -> Result<(Seen, String)> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch(ep.clone(), creds.clone(), IdleConfig::default(), tx));
    let _abort = AbortOnDrop(watcher);
    let mut exists = None;
    let idling = tokio::time::timeout(WAIT_IDLE, async {
        while let Some(e) = rx.recv().await {
            match e {
                IdleEvent::Exists(n) => exists = Some(n),
                IdleEvent::State(s) if s.mode == Mode::Idling => return Ok(()),
                IdleEvent::State(s) if s.mode == Mode::Polling => {
                    return Err(Error::new(Kind::RefusedByServer, "the server does not offer IDLE"));
                }
                IdleEvent::State(s) if s.mode == Mode::Offline => {
                    return Err(Error::new(
                        Kind::Network,
                        format!("cannot idle: {}", s.last_error.unwrap_or_default()),
                    ));
                }
                _ => {}
            }
        }
        Err(Error::new(Kind::Network, "the IDLE connection ended"))
    })
    .await;
    idling.map_err(|_| {
        Error::new(Kind::Network, format!("IDLE did not start within {} s", WAIT_IDLE.as_secs()))
    })??;
    let before = exists.unwrap_or(0);

    let id = message_id("probe");
    let accepted = submit(probe, &id).await?;
    let seen = tokio::time::timeout_at(accepted + wait, async {
        while let Some(e) = rx.recv().await {
            if let IdleEvent::Exists(n) = e
                && n > before
            {
                return true;
            }
        }
        false
    })
    .await;
    let waited = accepted.elapsed();
    let cleanup =
        cleanup(ep, creds, &id).await.unwrap_or_else(|e| format!("the probe {id} could not be removed: {e}"));
    match seen {
        Ok(true) => Ok((Seen::After(waited), cleanup)),
        Ok(false) => Err(Error::new(
            Kind::Network,
            format!("the IDLE connection ended before it announced the probe ({cleanup})"),
        )),
        Err(_) => Ok((Seen::NotWithin(waited), cleanup)),
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A Message-ID no other message has: `<tidings-KIND-PID-MICROS@tidings.invalid>`.
pub(super) fn message_id(kind: &str) -> String {
    format!(
        "<tidings-{kind}-{}-{}@tidings.invalid>",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0)
    )
}

/// The probe's own address, checked.
fn own_address(probe: &Probe) -> Result<lettre::Address> {
    probe.address.parse().map_err(|_| Error::config(format!("\"{}\" is not an address", probe.address)))
}

/// Submits the probe; returns when the server accepted it.
async fn submit(probe: &Probe, id: &str) -> Result<Instant> {
    let addr = own_address(probe)?;
    let message = lettre::Message::builder()
        .from(lettre::message::Mailbox::new(None, addr.clone()))
        .to(lettre::message::Mailbox::new(None, addr.clone()))
        .subject("Tidings IDLE probe (deleted automatically)")
        .message_id(Some(id.to_string()))
        .body(
            "This message measures how fast the server announces new mail. Tidings deletes it.\r\n"
                .to_string(),
        )
        .map_err(|e| Error::config(format!("cannot build the probe message: {e}")))?;
    submit_raw(probe, &message.formatted()).await
}

/// Submits `raw` from the probe's address to itself; returns when the server accepted it.
pub(super) async fn submit_raw(probe: &Probe, raw: &[u8]) -> Result<Instant> {
    let addr = own_address(probe)?;
    let t = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = smtp::open(&probe.smtp, &t, &mut facts).await?;
    t.add_secret(probe.smtp_credential.secret());
    let mut conn = smtp::login(lc, &probe.smtp, &probe.smtp_credential, &facts).await?;
    let envelope = Envelope::new(Some(addr.clone()), vec![addr]).map_err(|e| Error::config(e.to_string()))?;
    conn.send(&envelope, raw).await.map_err(|e| smtp::map_error(&probe.smtp, e, &t))?;
    let accepted = Instant::now();
    smtp::quit(conn, &t).await;
    Ok(accepted)
}

/// Deletes the probe by its Message-ID: UID EXPUNGE of that one message when the server
/// has UIDPLUS, so nothing else marked \Deleted is expunged with it.
async fn cleanup(ep: &Endpoint, creds: &Credentials, id: &str) -> Result<String> {
    let t = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = imap::open(ep, &t, &mut facts).await?;
    let mut s = imap::login(lc, ep, creds, &mut facts).await?;
    let map = |e| imap::map_error(ep, e, None);
    s.select("INBOX").await.map_err(map)?;
    let uids = s.uid_search(format!("HEADER Message-ID \"{id}\"")).await.map_err(map)?;
    if uids.is_empty() {
        imap::logout(s, ep).await?;
        return Ok("the probe was not found to delete".into());
    }
    let uids: Vec<u32> = uids.into_iter().collect();
    let how = if delete_uids(&mut s, ep, &facts, &uids).await? {
        "the probe was deleted (UID EXPUNGE)"
    } else {
        "the probe is marked \\Deleted (no UIDPLUS: not expunged, to spare other deleted messages)"
    };
    imap::logout(s, ep).await?;
    Ok(how.into())
}

/// Marks these messages of the selected mailbox \Deleted and, when the server has UIDPLUS,
/// expunges those alone (true); without it they stay marked (false), so that nothing else
/// marked \Deleted is expunged with them.
pub(super) async fn delete_uids(
    s: &mut imap::Session,
    ep: &Endpoint,
    facts: &SessionFacts,
    uids: &[u32],
) -> Result<bool> {
    let map = |e| imap::map_error(ep, e, None);
    let set: Vec<String> = uids.iter().map(u32::to_string).collect();
    let set = set.join(",");
    s.uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
        .await
        .map_err(map)?
        .try_collect::<Vec<_>>()
        .await
        .map_err(map)?;
    if !imap::has(&facts.capabilities_after_login, "UIDPLUS") {
        return Ok(false);
    }
    s.uid_expunge(&set).await.map_err(map)?.try_collect::<Vec<_>>().await.map_err(map)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_announcement_suggests_an_interval_of_at_least_its_wait() {
        let secs = |s: f64| interval(Duration::from_secs_f64(s));
        assert_eq!(secs(58.3), 60);
        assert_eq!(secs(60.2), 60);
        assert_eq!(secs(61.0), 65);
        assert_eq!(secs(7.0), 10);
        assert_eq!(secs(5.2), 5);
    }
}
