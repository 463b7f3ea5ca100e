//! The send half of a pass: the account's Outbox flushed ([`crate::send::flush_outbox`]),
//! its progress reported as [`AccountEvent::Sending`]. Nothing waiting, nothing done: no
//! password lookup, no connection.

use tokio::sync::mpsc::UnboundedSender;

use super::{AccountEvent, blocking};
use crate::account::Account;
use crate::check::Passwords;
use crate::error::{Error, Kind, Result};
use crate::net::Transcript;
use crate::outbox::OutboxState;
use crate::secret::Secrets;
use crate::send::{FlushReport, SendProgress, flush_outbox};
use crate::store::StoreHandle;

/// Sends what waits in the Outbox and stores the Sent copies of what was accepted. A
/// message that could not be sent stays in the Outbox with its error; the pass reports the
/// first such error (a network error puts the account offline, like a failed receive).
pub(super) async fn flush(
    account: &Account,
    secrets: &Secrets,
    store: &StoreHandle,
    transcript: impl FnOnce() -> Result<Transcript>,
    events: &UnboundedSender<AccountEvent>,
) -> Result<()> {
    let key = account.id.clone();
    let items = store.call(move |s| s.outbox_list(Some(&key))).await?;
    let waiting = items.iter().filter(|i| i.state == OutboxState::Queued).count();
    let unfiled = items.iter().any(|i| i.state == OutboxState::Accepted);
    if waiting == 0 && !unfiled {
        return Ok(());
    }
    let passwords = {
        let (account, secrets) = (account.clone(), secrets.clone());
        blocking(move || Passwords::lookup(&account, &secrets)).await?
    };
    let transcript = transcript()?;
    let _ = events.send(AccountEvent::Sending { done: 0, total: waiting });
    let on_progress = |p: &SendProgress| {
        let done = if p.bytes_sent >= p.bytes_total { p.index + 1 } else { p.index };
        let _ = events.send(AccountEvent::Sending { done, total: p.count });
    };
    let report = flush_outbox(store, account, &passwords, &transcript, &on_progress).await?;
    let _ = events.send(AccountEvent::Sending { done: report.sent.len(), total: waiting });
    if report.filed > 0 {
        // Copies in Sent (and the Outbox emptied): lists should refresh.
        let _ = events.send(AccountEvent::Changed);
    }
    outcome(&report)
}

/// The pass's view of a flush: a network error first (offline), else the first error.
fn outcome(report: &FlushReport) -> Result<()> {
    let errors = || report.failed.iter().chain(&report.filing_failed).map(|f| &f.error);
    match errors().find(|e| e.kind() == Kind::Network).or_else(|| errors().next()) {
        Some(e) => {
            let failed = report.failed.len();
            let what = if failed == 0 {
                "a sent message's copy could not be stored in Sent".to_string()
            } else if failed == 1 {
                "1 message stays in the Outbox".to_string()
            } else {
                format!("{failed} messages stay in the Outbox")
            };
            let mut err = Error::new(e.kind(), format!("{what}: {}", e.message()));
            if let Some(words) = e.server_words() {
                err = err.with_server(words);
            }
            Err(err)
        }
        None => Ok(()),
    }
}
