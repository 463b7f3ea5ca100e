//! Sending: the Outbox of an account submitted over SMTP (lettre on our tapped connection),
//! then each message's Sent copy stored — IMAP APPEND with `\Seen` to the Sent folder, or
//! the local Sent folder of a POP3 account. See [`crate::outbox`] for the state machine
//! that makes this safe to kill at any instant.
//!
//! **Time limits.** lettre's own timeout covers only the connect, so every message's SMTP
//! transaction (MAIL FROM to the server's reply after the data) runs inside
//! [`send_timeout`]: 60 s plus the message size at 20 kB/s (a slow uplink), e.g. 60 s for
//! a short note, 10 min for 10 MB. The same limit bounds each IMAP APPEND of a Sent copy.
//! Reads and writes that make no progress for 60 s fail earlier (the connection's own
//! timeouts).

mod message;
mod sent_copy;
mod submit;

use std::time::Duration;

use serde::Serialize;

use crate::account::Account;
use crate::auth::{Credential, Credentials};
use crate::check::SessionFacts;
use crate::error::{Error, ErrorReport, Result};
use crate::net::{Endpoint, Transcript};
use crate::outbox::{OutboxItem, OutboxState};
use crate::store::StoreHandle;

pub use message::new_message_id;
pub use submit::size_limit;

/// Progress of one message being written to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendProgress {
    pub outbox_id: i64,
    pub message_id: String,
    /// 0-based position among the messages of this flush, and their number.
    pub index: usize,
    pub count: usize,
    pub bytes_sent: u64,
    pub bytes_total: u64,
}

/// A message the server accepted during this flush.
#[derive(Debug, Clone, Serialize)]
pub struct SentMessage {
    pub outbox_id: i64,
    pub message_id: String,
    /// The server's reply to the message data, e.g. "250 2.0.0 Ok: queued as 4Xk…".
    pub reply: String,
    /// Its copy is stored in Sent (and it left the Outbox).
    pub filed: bool,
}

/// A message that is still in the Outbox after this flush, and why.
#[derive(Debug, Clone, Serialize)]
pub struct FailedMessage {
    pub outbox_id: i64,
    pub message_id: String,
    #[serde(serialize_with = "error_report")]
    pub error: Error,
}

fn error_report<S: serde::Serializer>(e: &Error, s: S) -> std::result::Result<S::Ok, S::Error> {
    ErrorReport::from(e).serialize(s)
}

/// What one [`flush_outbox`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlushReport {
    /// Accepted by the server now.
    pub sent: Vec<SentMessage>,
    /// Not sent by this flush, with the error: back in the queue (retried by the next
    /// flush), or refused for good (also in `refused`).
    pub failed: Vec<FailedMessage>,
    /// Held: a send was cut off after the message was handed over, so it may have been
    /// delivered. Sent again only after [`crate::outbox::confirm_resend`].
    pub held: Vec<OutboxItem>,
    /// Refused by the server for good (now or by an earlier flush): not tried again until
    /// the user sends it again with [`crate::outbox::confirm_resend`] or removes it.
    pub refused: Vec<OutboxItem>,
    /// Sent copies stored (of messages sent now or by an earlier, interrupted flush).
    pub filed: usize,
    /// The server folder the copies went to (IMAP), so it can be synced at once.
    pub filed_in: Option<String>,
    /// Accepted messages whose Sent copy could not be stored (tried again next time).
    pub filing_failed: Vec<FailedMessage>,
}

impl FlushReport {
    /// Everything queued went out and every Sent copy is stored; nothing is held or refused.
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
            && self.held.is_empty()
            && self.refused.is_empty()
            && self.filing_failed.is_empty()
    }

    /// The first error, for a one-line summary.
    pub fn first_error(&self) -> Option<&Error> {
        self.failed.iter().chain(&self.filing_failed).map(|f| &f.error).next()
    }
}

/// The time limit of one message's SMTP transaction (or one APPEND of its Sent copy):
/// 60 s plus its size at 20 kB/s.
pub fn send_timeout(size: u64) -> Duration {
    Duration::from_secs(60) + Duration::from_millis(size / 20)
}

/// Sends every queued message of `account`, oldest first, then stores the Sent copy of
/// every accepted one. Rows held as "may already have been sent" or refused for good by the
/// server are left alone (listed in the report). Errors of single messages are in the report; `Err` only when the store
/// itself fails. `progress` is called as the bytes of each message are written.
pub async fn flush_outbox(
    store: &StoreHandle,
    account: &Account,
    credentials: &Credentials,
    transcript: &Transcript,
    progress: &(dyn Fn(&SendProgress) + Send + Sync),
) -> Result<FlushReport> {
    let key = account.id.clone();
    let items = store.call(move |s| s.outbox_list(Some(&key))).await?;
    let now = crate::store::now();
    let mut report = FlushReport::default();
    let queued: Vec<OutboxItem> = items.iter().filter(|i| i.state == OutboxState::Queued).cloned().collect();
    for item in &items {
        if item.state == OutboxState::Submitting && !item.busy(now) {
            report.held.push(item.clone());
        }
        if item.state == OutboxState::Refused {
            report.refused.push(item.clone());
        }
    }
    if !queued.is_empty() {
        submit::send_queued(store, account, credentials, transcript, &queued, progress, &mut report).await?;
    }
    let key = account.id.clone();
    let accepted: Vec<OutboxItem> = store
        .call(move |s| s.outbox_list(Some(&key)))
        .await?
        .into_iter()
        .filter(|i| i.state == OutboxState::Accepted)
        .collect();
    if !accepted.is_empty() {
        sent_copy::file_accepted(store, account, credentials, transcript, &accepted, &mut report).await?;
    }
    Ok(report)
}

/// The outgoing server's endpoint with the account's TLS policy.
fn outgoing_endpoint(account: &Account) -> Result<Endpoint> {
    Endpoint::for_account(account, &account.outgoing)
}

/// Opens and logs in to the outgoing server.
async fn smtp_session(
    account: &Account,
    credential: &Credential,
    transcript: &Transcript,
) -> Result<(lettre::transport::smtp::client::AsyncSmtpConnection, crate::smtp::Meter, SessionFacts, Endpoint)>
{
    let ep = outgoing_endpoint(account)?;
    // The message text stays out of the transcript (and the account's log file): its size shows.
    transcript.elide_smtp_data(true);
    let mut facts = SessionFacts::default();
    let lc = crate::smtp::open(&ep, transcript, &mut facts).await?;
    // A server that offers login only after STARTTLS (Postfix's smtpd_tls_auth_only) while the
    // account says no encryption: say so, instead of "no password login".
    let starttls = crate::imap::has(&facts.capabilities, "STARTTLS");
    if facts.auth_mechanisms.is_empty() && starttls && ep.security == crate::account::Security::None {
        return Err(crate::error::Error::new(
            crate::Kind::Tls,
            format!(
                "{} allows logging in only after STARTTLS; set the outgoing server's encryption to STARTTLS",
                ep.host
            ),
        )
        .with_server(facts.capabilities.join(" / ")));
    }
    let (smtp, meter) = crate::smtp::login_metered(lc, &ep, credential, &facts).await?;
    Ok((smtp, meter, facts, ep))
}
