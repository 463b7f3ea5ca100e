//! The Outbox: every message is written here, durably, before it is submitted, and leaves
//! only once the server accepted it and its Sent copy is stored.
//!
//! A row moves `queued` → `submitting` (recorded before DATA) → `accepted` (recorded right
//! after the server's reply, before the Sent copy) → removed (Sent copy stored). A send that
//! fails where the server cannot have taken the message goes back to `queued` with the error
//! and the server's words, and is tried again by the next send/receive. After a crash an
//! `accepted` row only gets its Sent copy, never a second submission; a row left in
//! `submitting` is ambiguous (the server may have accepted it just before the crash), so it
//! is held — shown as "may already have been sent" — and sent again only after the user
//! confirms ([`confirm_resend`]). So every message is delivered once or is still here.
//!
//! A message the server refused for good (a 5xx reply such as 550 unknown user, 552 too
//! large, 554 rejected content, or bigger than its SIZE limit) goes to `refused`: it is not
//! tried again by itself — it would be refused again — and waits, with the server's words,
//! until the user sends it again ([`confirm_resend`]) or removes it. A temporary refusal
//! (4xx), a network error or a failed login (the account's problem, not the message's)
//! leaves it queued.
//!
//! The functions here run on the store thread ([`StoreHandle`]); [`crate::send::flush_outbox`]
//! does the sending.

use serde::Serialize;

use crate::error::{Error, Kind, Result};
use crate::store::StoreHandle;

/// A message ready for the Outbox: the exact bytes (CRLF line endings, Message-ID and Date
/// present, no Bcc header) and its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub raw: Vec<u8>,
    /// With the angle brackets, as in the header.
    pub message_id: String,
    /// The envelope sender (MAIL FROM).
    pub from: String,
    /// The envelope recipients (RCPT TO): To, Cc and Bcc.
    pub recipients: Vec<String>,
}

impl Outgoing {
    /// Refuses what could never be sent: no recipient, no bytes, bare line feeds.
    pub fn check(&self) -> Result<()> {
        if self.recipients.is_empty() {
            return Err(Error::config("the message has no recipient"));
        }
        if self.raw.is_empty() {
            return Err(Error::config("the message is empty"));
        }
        if self.from.trim().is_empty() {
            return Err(Error::config("the message has no sender address"));
        }
        let bare_lf =
            self.raw.iter().enumerate().any(|(i, &b)| b == b'\n' && (i == 0 || self.raw[i - 1] != b'\r'));
        if bare_lf || !self.raw.ends_with(b"\r\n") {
            return Err(Error::config("the message's lines must end with CRLF (use Outgoing::from_message)"));
        }
        Ok(())
    }
}

/// A message built by the composer ([`crate::compose::build`]): its bytes and envelope as they are.
impl From<crate::compose::Built> for Outgoing {
    fn from(b: crate::compose::Built) -> Outgoing {
        Outgoing { raw: b.bytes, message_id: b.message_id, from: b.envelope_from, recipients: b.recipients }
    }
}

/// Where a row is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Waiting for the next send (new, or after a failure).
    Queued,
    /// A send began; while `busy_until` lies ahead it is running, afterwards the outcome is
    /// unknown and the row waits for the user ([`confirm_resend`]).
    Submitting,
    /// The server accepted it; only the Sent copy is missing.
    Accepted,
    /// The server refused it for good (5xx): not tried again until the user sends it again.
    Refused,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Submitting => "submitting",
            OutboxState::Accepted => "accepted",
            OutboxState::Refused => "refused",
        }
    }
    pub(crate) fn parse(s: &str) -> OutboxState {
        match s {
            "submitting" => OutboxState::Submitting,
            "accepted" => OutboxState::Accepted,
            "refused" => OutboxState::Refused,
            _ => OutboxState::Queued,
        }
    }
}

/// What a person sees for a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutboxStatus {
    /// Will be sent by the next send/receive.
    Waiting,
    /// A send is running now.
    Sending,
    /// The last send ended after it began and before the server confirmed the message: the
    /// server may or may not have it. Sent again only when the user confirms.
    MaybeSent,
    /// Delivered; its copy in Sent is still to be stored.
    SentNotFiled,
    /// The server refused it for good; sent again only when the user says so.
    Refused,
}

/// The last error of a row: kind, our sentence, the server's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxError {
    pub kind: Kind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

impl From<&Error> for OutboxError {
    fn from(e: &Error) -> Self {
        OutboxError {
            kind: e.kind(),
            message: e.message().to_string(),
            server: e.server_words().map(str::to_string),
        }
    }
}

impl std::fmt::Display for OutboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(words) = &self.server {
            write!(f, " (server said: {words})")?;
        }
        Ok(())
    }
}

pub(crate) fn parse_kind(s: &str) -> Kind {
    match s {
        "auth" => Kind::Auth,
        "network" => Kind::Network,
        "tls" => Kind::Tls,
        "protocol" => Kind::Protocol,
        "refused-by-server" => Kind::RefusedByServer,
        "config" => Kind::Config,
        _ => Kind::Storage,
    }
}

/// One message in the Outbox, for display and for the sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    /// The config id of the account.
    pub account: String,
    pub message_id: String,
    pub subject: Option<String>,
    pub from: String,
    pub recipients: Vec<String>,
    /// Bytes.
    pub size: u64,
    pub state: OutboxState,
    /// Sends begun (including logins that failed before any message was handed over).
    pub attempts: u32,
    pub last_error: Option<OutboxError>,
    /// The server's reply once it accepted the message.
    pub reply: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub busy_until: Option<i64>,
    pub accepted_at: Option<i64>,
    /// The process running the send of a `submitting` row.
    pub owner_pid: Option<u32>,
}

impl OutboxItem {
    /// Whether it waits for the user: held as "may already have been sent" at unix time
    /// `now`, or refused by the server.
    pub fn needs_decision(&self, now: i64) -> bool {
        matches!(self.status(now), OutboxStatus::MaybeSent | OutboxStatus::Refused)
    }

    /// Whether a send may be running on it at unix time `now`: within its time limit, by a
    /// process that still exists (a send cut off by a crash is not running).
    pub fn busy(&self, now: i64) -> bool {
        self.state == OutboxState::Submitting
            && self.busy_until.is_some_and(|t| t >= now)
            && self.owner_pid.is_none_or(process_alive)
    }

    pub fn status(&self, now: i64) -> OutboxStatus {
        match self.state {
            OutboxState::Queued => OutboxStatus::Waiting,
            OutboxState::Submitting if self.busy(now) => OutboxStatus::Sending,
            OutboxState::Submitting => OutboxStatus::MaybeSent,
            OutboxState::Accepted => OutboxStatus::SentNotFiled,
            OutboxState::Refused => OutboxStatus::Refused,
        }
    }

    /// Why it is still here, in words (None for a new message waiting its turn).
    pub fn reason(&self, now: i64) -> Option<String> {
        let error = self.last_error.as_ref().map(ToString::to_string);
        match self.status(now) {
            OutboxStatus::Waiting => error.map(|e| format!("not sent: {e}")),
            OutboxStatus::Sending => Some("being sent now".into()),
            OutboxStatus::MaybeSent => Some(format!(
                "may already have been sent: {}, so the server may or may not have it; it is not \
                 sent again by itself (it could arrive twice), only when you confirm",
                self.how_it_ended(error)
            )),
            OutboxStatus::Refused => Some(format!(
                "refused by the server{}; it is sent again only when you send it again",
                error.map(|e| format!(": {e}")).unwrap_or_default()
            )),
            OutboxStatus::SentNotFiled => Some(format!(
                "sent; the copy in Sent is still to be stored{}",
                error.map(|e| format!(" ({e})")).unwrap_or_default()
            )),
        }
    }

    /// How the send of a held row ended. A row still owned by a process was left by a send
    /// that stopped (Tidings was closed or killed) at an unknown point after the claim — maybe
    /// in the middle of the data; any error it has is an earlier try's. Without an owner, the
    /// sender saw the whole message reach the connection and then lost it before the reply.
    fn how_it_ended(&self, error: Option<String>) -> String {
        if self.owner_pid.is_some() {
            "the send was interrupted (Tidings was closed or stopped) after it began and before \
             the server confirmed the message"
                .into()
        } else {
            format!(
                "the whole message was written to the connection, but the server's confirmation never came{}",
                error.map(|e| format!(" ({e})")).unwrap_or_default()
            )
        }
    }
}

/// Whether process `pid` exists. Where that cannot be told (no /proc), it is assumed to:
/// the row then counts as busy until its time limit passes.
pub(crate) fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    if pid == std::process::id() {
        return true;
    }
    // A zombie (killed, not yet reaped) is gone for our purpose.
    match std::fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        Ok(stat) => stat.rsplit_once(") ").is_none_or(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// The Subject header of a message, decoded (for the list).
pub(crate) fn subject_of(raw: &[u8]) -> Option<String> {
    let msg = mail_parser::MessageParser::new().parse_headers(raw)?;
    msg.subject().map(str::to_string)
}

/// Puts a message into the account's Outbox (config id `account`), durably, before anything
/// is sent. The next [`crate::send::flush_outbox`] of the account submits it.
pub async fn enqueue(store: &StoreHandle, account: &str, msg: Outgoing) -> Result<OutboxItem> {
    let account = account.to_string();
    store.call(move |s| s.outbox_enqueue(&account, &msg)).await
}

/// The Outbox of one account (config id), or of every account; oldest first.
pub async fn list(store: &StoreHandle, account: Option<&str>) -> Result<Vec<OutboxItem>> {
    let account = account.map(str::to_string);
    store.call(move |s| s.outbox_list(account.as_deref())).await
}

/// Removes a message the user no longer wants sent (refused while it is being sent).
pub async fn remove(store: &StoreHandle, id: i64) -> Result<bool> {
    store.call(move |s| s.outbox_remove(id)).await
}

/// The user confirms that a message held as "may already have been sent", or refused by the
/// server, is to be sent again; the next flush submits it.
pub async fn confirm_resend(store: &StoreHandle, id: i64) -> Result<OutboxItem> {
    store.call(move |s| s.outbox_confirm_resend(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(owner_pid: Option<u32>, last_error: Option<OutboxError>) -> OutboxItem {
        OutboxItem {
            id: 1,
            account: "a".into(),
            message_id: "<1@example.test>".into(),
            subject: None,
            from: "alice@example.test".into(),
            recipients: vec!["bob@example.test".into()],
            size: 100,
            state: OutboxState::Submitting,
            attempts: 2,
            last_error,
            reply: None,
            created_at: 0,
            updated_at: 0,
            busy_until: Some(10),
            accepted_at: None,
            owner_pid,
        }
    }

    /// A send killed in the middle of the data leaves the row owned by the dead process: it
    /// is not said to have been handed to the server, nor blamed on an earlier try's error.
    #[test]
    fn a_send_killed_midway_is_not_said_to_have_reached_the_server() {
        let earlier = OutboxError {
            kind: Kind::Network,
            message: "cannot connect to smtp.example.test".into(),
            server: None,
        };
        let item = held(Some(u32::MAX), Some(earlier));
        assert_eq!(item.status(100), OutboxStatus::MaybeSent);
        let reason = item.reason(100).unwrap_or_default();
        assert!(!reason.contains("handed"), "{reason}");
        assert!(!reason.contains("cannot connect"), "{reason}");
        assert!(reason.contains("interrupted") && reason.contains("before the server confirmed"), "{reason}");
        assert!(
            reason.contains("may or may not have it") && reason.contains("not sent again by itself"),
            "{reason}"
        );
    }

    /// A cut the sender saw after the whole message was written: the error is shown.
    #[test]
    fn a_cut_after_the_data_says_the_confirmation_never_came() {
        let cut = OutboxError { kind: Kind::Network, message: "the connection was cut".into(), server: None };
        let reason = held(None, Some(cut)).reason(100).unwrap_or_default();
        assert!(reason.starts_with("may already have been sent: the whole message was written"), "{reason}");
        assert!(
            reason.contains("(the connection was cut)") && reason.contains("may or may not have it"),
            "{reason}"
        );
        assert!(!reason.contains("handed"), "{reason}");
    }
}
