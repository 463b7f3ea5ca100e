//! The read-receipt probe (writes): a message to oneself that asks for a receipt, downloaded
//! without being displayed (IMAP `BODY.PEEK[]`, POP3 RETR), then a bounded wait for a receipt
//! about it. Exchange sends one on download unless the mailbox has SuppressReadReceipt on;
//! other servers leave receipts to the client. The probe and any receipt it caused are
//! deleted again.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use futures::TryStreamExt;
use tokio::time::Instant;

use super::probe::{Probe, delete_uids, message_id, submit_raw};
use super::{Check, Credentials, Verdict};
use crate::account::Protocol;
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::mdn::{Receipt, parse_receipt};
use crate::net::{Endpoint, Transcript};
use crate::{imap, pop3};

pub const NAME: &str = "Read receipts on download";

/// How long the check waits for a receipt after the download (the default of
/// `InspectOptions::receipt_wait`): a server that sends one does so as the message is
/// handed out, and delivering it to oneself takes seconds.
pub const WAIT_RECEIPT: Duration = Duration::from_secs(20);

/// Between two looks at the mailbox. POP3 logs in again for each look (a session sees the
/// mailbox as it was at log-in), so it looks less often.
const POLL_IMAP: Duration = Duration::from_secs(1);
const POLL_POP3: Duration = Duration::from_secs(2);

/// Largest new message read as a possible receipt (receipts are a few KiB).
const MAX_RECEIPT: u64 = 256 * 1024;
/// Largest probe read back (it is a few hundred bytes; the server may add headers).
const MAX_PROBE: u64 = 1024 * 1024;

/// The clean-up of a probe that had not arrived.
const LATE: &str = "nothing to delete yet: should the probe arrive later, it stays (its subject begins \"Tidings read-receipt probe\")";

/// The check when no probe may be sent.
pub fn needs_probe() -> Check {
    Check {
        name: NAME,
        verdict: Verdict::NotApplicable,
        summary: "not tried: needs the write-probe (tidings inspect --account NAME --probe), which sends the account a message asking for a read receipt, downloads it and deletes it again".into(),
        evidence: vec![],
    }
}

/// What the probe saw.
enum Seen {
    /// The probe itself did not arrive within the delivery wait.
    NotDelivered(Duration),
    /// A receipt about the probe arrived this long after the download.
    Receipt(Box<Receipt>, Duration),
    /// None within the wait.
    NoReceipt(Duration),
}

/// The probe's run: what it saw, how it downloaded the probe, what was cleaned up.
struct Run {
    seen: Seen,
    download: Option<String>,
    cleanup: String,
}

pub async fn imap(
    ep: &Endpoint,
    creds: &Credentials,
    probe: &Probe,
    delivery: Duration,
    wait: Duration,
) -> Check {
    verdict(Protocol::Imap, probe, wait, imap_run(ep, creds, probe, delivery, wait).await)
}

pub async fn pop3(
    ep: &Endpoint,
    creds: &Credentials,
    probe: &Probe,
    delivery: Duration,
    wait: Duration,
) -> Check {
    verdict(Protocol::Pop3, probe, wait, pop3_run(ep, creds, probe, delivery, wait).await)
}

fn verdict(protocol: Protocol, probe: &Probe, wait: Duration, run: Result<Run>) -> Check {
    let run = match run {
        Ok(run) => run,
        Err(e) => {
            return Check { name: NAME, verdict: Verdict::Fail, summary: e.to_string(), evidence: vec![] };
        }
    };
    let mut evidence: Vec<String> = run.download.into_iter().collect();
    let (verdict, summary) = match run.seen {
        Seen::NotDelivered(waited) => (
            Verdict::Fail,
            format!(
                "the probe did not arrive within {} s of the server accepting it: what the server does on download could not be seen",
                waited.as_secs()
            ),
        ),
        Seen::NoReceipt(waited) => {
            evidence
                .push(format!("no receipt about the probe within {} s of the download", waited.as_secs()));
            (
                Verdict::Pass,
                "No receipt on download: the server leaves receipts to the client (SuppressReadReceipt on, or not Exchange)".into(),
            )
        }
        Seen::Receipt(receipt, after) => {
            evidence.push(format!("a receipt arrived {:.1} s after the download", after.as_secs_f64()));
            evidence.push(format!("Reporting-UA: {}", receipt.reporting_ua.as_deref().unwrap_or("(none)")));
            evidence.push(format!("Disposition: {}", receipt.disposition_field));
            evidence.push(format!("Final-Recipient: {}", receipt.by));
            if receipt.manual {
                (
                    Verdict::Info,
                    format!(
                        "a receipt about the probe came within {} s, but sent by a person (manual-action): another client showed the probe and its person sent it, so what the server does on download could not be seen",
                        wait.as_secs()
                    ),
                )
            } else {
                let p = if protocol == Protocol::Pop3 { "Pop" } else { "Imap" };
                (
                    Verdict::Info,
                    format!(
                        "The server sends a read receipt when a message is downloaded (Exchange's default): every message that asks for one gets it when a client downloads it, whatever the person chose. Set-CASMailbox -Identity {} -{p}UseProtocolDefaults $false -{p}SuppressReadReceipt $true leaves only the receipt a client sends when the message is opened",
                        probe.address
                    ),
                )
            }
        }
    };
    evidence.push(run.cleanup);
    Check { name: NAME, verdict, summary, evidence }
}

/// The probe: from the address to itself, asking for a receipt there.
fn probe_message(address: &str, id: &str) -> Vec<u8> {
    let date = chrono::Utc::now().to_rfc2822();
    format!(
        "From: <{address}>\r\nTo: <{address}>\r\nDate: {date}\r\nMessage-ID: {id}\r\n\
         Subject: Tidings read-receipt probe (deleted automatically)\r\n\
         Disposition-Notification-To: <{address}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\n\
         This message shows whether the server sends a read receipt when a message is\r\n\
         downloaded. Tidings deletes it, and any receipt it causes.\r\n"
    )
    .into_bytes()
}

/// Whether a receipt is about the probe.
fn about(receipt: &Receipt, id: &str) -> bool {
    let bare = |s: &str| s.trim().trim_start_matches('<').trim_end_matches('>').to_ascii_lowercase();
    receipt.original_message_id.as_deref().is_some_and(|o| bare(o) == bare(id))
}

/// A Content-Type that may be a receipt's (or none: then only the body can tell).
fn may_be_receipt(header: &[u8]) -> bool {
    let text = String::from_utf8_lossy(header).to_ascii_lowercase();
    !text.contains("content-type") || text.contains("disposition-notification")
}

/// Takes bytes up to a limit and refuses more, so a server's answer cannot grow memory.
struct Capped {
    bytes: Vec<u8>,
    max: u64,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.bytes.len() + buf.len()) as u64 > self.max {
            return Err(std::io::Error::other("the message is larger than expected"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn imap_run(
    ep: &Endpoint,
    creds: &Credentials,
    probe: &Probe,
    delivery: Duration,
    wait: Duration,
) -> Result<Run> {
    let t = Transcript::new();
    t.add_secret(creds.secret());
    let mut facts = SessionFacts::default();
    let lc = imap::open(ep, &t, &mut facts).await?;
    let mut s = imap::login(lc, ep, creds, &mut facts).await?;
    let map = |e| imap::map_error(ep, e, None);
    s.select("INBOX").await.map_err(map)?;
    let id = message_id("receipt-probe");
    let accepted = submit_raw(probe, &probe_message(&probe.address, &id)).await?;

    // NOOP first: the server shows new messages to a session between commands.
    let uid = loop {
        s.noop().await.map_err(map)?;
        let found = s.uid_search(format!("HEADER Message-ID \"{id}\"")).await.map_err(map)?;
        if let Some(uid) = found.into_iter().max() {
            break uid;
        }
        if accepted.elapsed() >= delivery {
            imap::logout(s, ep).await?;
            return Ok(Run {
                seen: Seen::NotDelivered(accepted.elapsed()),
                download: None,
                cleanup: LATE.into(),
            });
        }
        tokio::time::sleep(POLL_IMAP).await;
    };

    s.as_mut().limit_literals(Some(MAX_PROBE));
    let fetched = s.uid_fetch(uid.to_string(), "BODY.PEEK[]").await.map_err(map)?;
    let bytes: usize = fetched
        .map_ok(|f| f.body().map_or(0, <[u8]>::len))
        .try_collect::<Vec<_>>()
        .await
        .map_err(map)?
        .iter()
        .sum();
    let downloaded = Instant::now();
    let download = format!("downloaded the probe (UID {uid}, {bytes} bytes) with UID FETCH BODY.PEEK[]");

    let mut looked = HashSet::new();
    let mut receipt_uid = None;
    let seen = loop {
        s.noop().await.map_err(map)?;
        let query = "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE)])";
        let new: Vec<(u32, u64, bool)> = s
            .uid_fetch(format!("{}:*", uid.saturating_add(1)), query)
            .await
            .map_err(map)?
            .map_ok(|f| {
                (f.uid.unwrap_or(0), u64::from(f.size.unwrap_or(0)), f.header().is_some_and(may_be_receipt))
            })
            .try_collect()
            .await
            .map_err(map)?;
        let mut found = None;
        // `N:*` names the last message even when its UID is below N.
        for (u, size, candidate) in new {
            if u <= uid || !looked.insert(u) || !candidate || size > MAX_RECEIPT {
                continue;
            }
            s.as_mut().limit_literals(Some(MAX_RECEIPT));
            let bodies: Vec<Vec<u8>> = s
                .uid_fetch(u.to_string(), "BODY.PEEK[]")
                .await
                .map_err(map)?
                .map_ok(|f| f.body().map(<[u8]>::to_vec).unwrap_or_default())
                .try_collect()
                .await
                .map_err(map)?;
            if let Some(r) = bodies.iter().find_map(|b| parse_receipt(b)).filter(|r| about(r, &id)) {
                receipt_uid = Some(u);
                found = Some(r);
                break;
            }
        }
        while s.unsolicited_responses.try_recv().is_ok() {}
        if let Some(r) = found {
            break Seen::Receipt(Box::new(r), downloaded.elapsed());
        }
        if downloaded.elapsed() >= wait {
            break Seen::NoReceipt(downloaded.elapsed());
        }
        tokio::time::sleep(POLL_IMAP).await;
    };
    s.as_mut().limit_literals(None);

    let uids: Vec<u32> = std::iter::once(uid).chain(receipt_uid).collect();
    let what = if receipt_uid.is_some() { "the probe and its receipt" } else { "the probe" };
    let cleanup = match delete_uids(&mut s, ep, &facts, &uids).await {
        Ok(true) => format!("deleted {what} (UID EXPUNGE)"),
        Ok(false) => {
            format!("marked {what} \\Deleted (no UIDPLUS: not expunged, to spare other deleted messages)")
        }
        Err(e) => format!("{what} could not be deleted: {e}"),
    };
    imap::logout(s, ep).await?;
    Ok(Run { seen, download: Some(download), cleanup })
}

/// One POP3 session, logged in.
async fn pop3_session(ep: &Endpoint, creds: &Credentials) -> Result<pop3::Pop3> {
    let t = Transcript::new();
    t.add_secret(creds.secret());
    let mut facts = SessionFacts::default();
    let mut p = pop3::Pop3::open(ep, &t, &mut facts).await?;
    p.login(creds, &facts).await?;
    Ok(p)
}

/// The messages by UIDL; a server without UIDL cannot be followed from session to session.
async fn listing(p: &mut pop3::Pop3) -> Result<Vec<(u32, String, u64)>> {
    let Some(uids) = p.uidl_if_any().await? else {
        return Err(Error::new(
            Kind::RefusedByServer,
            "cannot follow the probe: the server does not offer UIDL, so messages cannot be told apart from one session to the next",
        ));
    };
    let sizes = p.list().await?;
    Ok(uids
        .into_iter()
        .map(|(n, uid)| {
            let size = sizes.iter().find(|(m, _)| *m == n).map_or(0, |(_, s)| *s);
            (n, uid, size)
        })
        .collect())
}

/// The Message-ID in a message's header (from TOP).
fn header_message_id(header: &[u8]) -> Option<String> {
    let msg = mail_parser::MessageParser::new().parse_headers(header)?;
    msg.message_id().map(|id| format!("<{id}>"))
}

async fn pop3_run(
    ep: &Endpoint,
    creds: &Credentials,
    probe: &Probe,
    delivery: Duration,
    wait: Duration,
) -> Result<Run> {
    // What is there before the probe: only newer messages are looked at.
    let mut p = pop3_session(ep, creds).await?;
    let mut known: HashSet<String> = listing(&mut p).await?.into_iter().map(|(_, u, _)| u).collect();
    p.quit().await?;
    let id = message_id("receipt-probe");
    let accepted = submit_raw(probe, &probe_message(&probe.address, &id)).await?;
    let bare = id.trim_start_matches('<').trim_end_matches('>').to_ascii_lowercase();

    let (probe_uid, download) = loop {
        let mut p = pop3_session(ep, creds).await?;
        let mut found = None;
        for (n, uid, size) in listing(&mut p).await? {
            if !known.insert(uid.clone()) {
                continue;
            }
            let header = p.top(n, 0).await?;
            let is_probe = header_message_id(&header)
                .is_some_and(|m| m.trim_start_matches('<').trim_end_matches('>').eq_ignore_ascii_case(&bare));
            if is_probe && size <= MAX_PROBE {
                let mut out = Capped { bytes: Vec::new(), max: MAX_PROBE };
                let bytes = p.retr_into(n, size, &mut out).await?;
                found = Some((uid, format!("downloaded the probe (message {n}, {bytes} bytes) with RETR")));
                break;
            }
        }
        p.quit().await?;
        if let Some(f) = found {
            break f;
        }
        if accepted.elapsed() >= delivery {
            return Ok(Run {
                seen: Seen::NotDelivered(accepted.elapsed()),
                download: None,
                cleanup: LATE.into(),
            });
        }
        tokio::time::sleep(POLL_POP3).await;
    };
    let downloaded = Instant::now();

    let mut receipt_uid = None;
    let seen = loop {
        tokio::time::sleep(POLL_POP3).await;
        let mut p = pop3_session(ep, creds).await?;
        let mut found = None;
        for (n, uid, size) in listing(&mut p).await? {
            if uid == probe_uid || !known.insert(uid.clone()) || size > MAX_RECEIPT {
                continue;
            }
            if !may_be_receipt(&p.top(n, 0).await?) {
                continue;
            }
            let mut out = Capped { bytes: Vec::new(), max: MAX_RECEIPT };
            p.retr_into(n, size, &mut out).await?;
            if let Some(r) = parse_receipt(&out.bytes).filter(|r| about(r, &id)) {
                receipt_uid = Some(uid);
                found = Some(r);
                break;
            }
        }
        p.quit().await?;
        if let Some(r) = found {
            break Seen::Receipt(Box::new(r), downloaded.elapsed());
        }
        if downloaded.elapsed() >= wait {
            break Seen::NoReceipt(downloaded.elapsed());
        }
    };

    let what = if receipt_uid.is_some() { "the probe and its receipt" } else { "the probe" };
    let cleanup = match pop3_delete(ep, creds, &[Some(probe_uid), receipt_uid]).await {
        Ok(()) => format!("deleted {what} (DELE)"),
        Err(e) => format!("{what} could not be deleted: {e}"),
    };
    Ok(Run { seen, download: Some(download), cleanup })
}

/// DELE of these UIDs in a new session; QUIT makes it so.
async fn pop3_delete(ep: &Endpoint, creds: &Credentials, uids: &[Option<String>]) -> Result<()> {
    let mut p = pop3_session(ep, creds).await?;
    for (n, uid, _) in listing(&mut p).await? {
        if uids.iter().flatten().any(|u| *u == uid) {
            p.dele(n).await?;
        }
    }
    p.quit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_asks_for_a_receipt_and_a_receipt_about_it_is_recognised() {
        let raw = probe_message("alice@example.test", "<tidings-receipt-probe-1@tidings.invalid>");
        let request = crate::mdn::requested(&raw).expect("the probe asks for a receipt");
        assert_eq!(request.message_id.as_deref(), Some("<tidings-receipt-probe-1@tidings.invalid>"));
        assert_eq!(request.notify.len(), 1);
        let receipt = Receipt {
            by: "alice@example.test".into(),
            by_name: None,
            at: None,
            disposition: "displayed".into(),
            manual: false,
            disposition_field: "automatic-action/MDN-sent-automatically; displayed".into(),
            original_message_id: Some("<Tidings-Receipt-Probe-1@tidings.invalid>".into()),
            reporting_ua: None,
        };
        assert!(about(&receipt, "<tidings-receipt-probe-1@tidings.invalid>"));
        assert!(!about(&receipt, "<tidings-receipt-probe-2@tidings.invalid>"));
        assert!(may_be_receipt(b"Content-Type: multipart/report; report-type=disposition-notification"));
        assert!(!may_be_receipt(b"Content-Type: text/plain"));
    }
}
