//! The one check that writes: a probe message submitted to oneself over SMTP, timed until
//! IDLE announces it, then deleted again. Runs only when asked for.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use lettre::address::Envelope;

use super::{Check, Credentials, Verdict};
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::idle::{IdleConfig, IdleEvent, Mode, watch};
use crate::net::{Endpoint, Transcript};
use crate::{imap, smtp};

/// Where and as whom to submit the probe.
#[derive(Clone)]
pub struct Probe {
    pub smtp: Endpoint,
    pub smtp_user: String,
    pub smtp_password: String,
    /// The mailbox's own address: the probe goes from it to it.
    pub address: String,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Probe({} via {} as {})", self.address, self.smtp.address(), self.smtp_user)
    }
}

const WAIT_IDLE: Duration = Duration::from_secs(30);
const WAIT_DELIVERY: Duration = Duration::from_secs(60);

pub async fn idle_latency(ep: &Endpoint, creds: &Credentials, probe: &Probe) -> Check {
    let name = "IDLE latency";
    match run(ep, creds, probe).await {
        Ok((latency, cleanup)) => Check {
            name,
            verdict: Verdict::Pass,
            summary: format!(
                "a probe submitted over SMTP was announced by IDLE after {} ms",
                latency.as_millis()
            ),
            evidence: vec![cleanup],
        },
        Err(e) => Check { name, verdict: Verdict::Fail, summary: e.to_string(), evidence: vec![] },
    }
}

async fn run(ep: &Endpoint, creds: &Credentials, probe: &Probe) -> Result<(Duration, String)> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch(
        ep.clone(),
        creds.user.clone(),
        creds.password.clone(),
        IdleConfig::default(),
        tx,
    ));
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
    idling.map_err(|_| Error::new(Kind::Network, "IDLE did not start within 30 s"))??;
    let before = exists.unwrap_or(0);

    let id = format!(
        "<tidings-probe-{}-{}@tidings.invalid>",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0)
    );
    submit(probe, &id).await?;
    let sent = Instant::now();
    let seen = tokio::time::timeout(WAIT_DELIVERY, async {
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
    let latency = sent.elapsed();
    let cleanup =
        cleanup(ep, creds, &id).await.unwrap_or_else(|e| format!("the probe {id} could not be removed: {e}"));
    match seen {
        Ok(true) => Ok((latency, cleanup)),
        _ => Err(Error::new(
            Kind::RefusedByServer,
            format!("IDLE did not announce the probe within {} s ({cleanup})", WAIT_DELIVERY.as_secs()),
        )),
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn submit(probe: &Probe, id: &str) -> Result<()> {
    let t = Transcript::new();
    let lc = smtp::open(&probe.smtp, &t, &mut SessionFacts::default()).await?;
    let mut conn = smtp::login(lc, &probe.smtp, &probe.smtp_user, &probe.smtp_password).await?;
    let addr: lettre::Address = probe
        .address
        .parse()
        .map_err(|_| Error::config(format!("\"{}\" is not an address", probe.address)))?;
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
    let envelope = Envelope::new(Some(addr.clone()), vec![addr]).map_err(|e| Error::config(e.to_string()))?;
    let raw = message.formatted();
    conn.send(&envelope, &raw).await.map_err(|e| smtp::map_error(&probe.smtp, e, t.last_server_line()))?;
    smtp::quit(conn, &t).await;
    Ok(())
}

/// Deletes the probe by its Message-ID: UID EXPUNGE of that one message when the server
/// has UIDPLUS, so nothing else marked \Deleted is expunged with it.
async fn cleanup(ep: &Endpoint, creds: &Credentials, id: &str) -> Result<String> {
    let t = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = imap::open(ep, &t, &mut facts).await?;
    let mut s = imap::login(lc, ep, &creds.user, &creds.password, &mut facts).await?;
    let map = |e| imap::map_error(ep, e, None);
    s.select("INBOX").await.map_err(map)?;
    let uids = s.uid_search(format!("HEADER Message-ID \"{id}\"")).await.map_err(map)?;
    if uids.is_empty() {
        imap::logout(s, ep).await?;
        return Ok("the probe was not found to delete".into());
    }
    let set: Vec<String> = uids.iter().map(u32::to_string).collect();
    let set = set.join(",");
    s.uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
        .await
        .map_err(map)?
        .try_collect::<Vec<_>>()
        .await
        .map_err(map)?;
    let how = if imap::has(&facts.capabilities_after_login, "UIDPLUS") {
        s.uid_expunge(&set).await.map_err(map)?.try_collect::<Vec<_>>().await.map_err(map)?;
        "the probe was deleted (UID EXPUNGE)"
    } else {
        "the probe is marked \\Deleted (no UIDPLUS: not expunged, to spare other deleted messages)"
    };
    imap::logout(s, ep).await?;
    Ok(how.into())
}
