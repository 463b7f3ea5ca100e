//! The send half of a pass: the account's Outbox flushed ([`crate::send::flush_outbox`]),
//! its progress reported as [`AccountEvent::Sending`]. Nothing waiting, nothing done: no
//! credential lookup, no connection.

use tokio::sync::mpsc::UnboundedSender;

use super::AccountEvent;
use crate::account::{Account, SecretRole};
use crate::auth::Credentials;
use crate::error::{Error, Kind, Result};
use crate::net::Transcript;
use crate::outbox::{OutboxItem, OutboxState};
use crate::secret::Secrets;
use crate::send::{FlushReport, SendProgress, flush_outbox};
use crate::store::StoreHandle;

/// Sends what waits in the Outbox and stores the Sent copies of what was accepted. A
/// message that could not be sent stays in the Outbox with its error; the pass reports the
/// first such error (a network error puts the account offline, like a failed receive).
/// Messages waiting for the user — held as "may already have been sent", or refused by the
/// server — are reported at every pass until the user acts on them in the Outbox.
/// `filed_in` gets the server folder that Sent copies went to (IMAP), to be synced.
pub(super) async fn flush(
    account: &Account,
    secrets: &Secrets,
    store: &StoreHandle,
    transcript: impl FnOnce() -> Result<Transcript>,
    events: &UnboundedSender<AccountEvent>,
    filed_in: &mut Option<String>,
) -> Result<()> {
    let key = account.id.clone();
    let items = store.call(move |s| s.outbox_list(Some(&key))).await?;
    let waiting = items.iter().filter(|i| i.state == OutboxState::Queued).count();
    let unfiled = items.iter().any(|i| i.state == OutboxState::Accepted);
    if waiting == 0 && !unfiled {
        let now = crate::store::now();
        let held: Vec<_> =
            items.iter().filter(|i| i.state == OutboxState::Submitting && !i.busy(now)).collect();
        let refused: Vec<_> = items.iter().filter(|i| i.state == OutboxState::Refused).collect();
        return waiting_for_user(&held, &refused).map_or(Ok(()), Err);
    }
    let credentials = Credentials::lookup(account, secrets).await?;
    let transcript = transcript()?;
    let _ = events.send(AccountEvent::Sending { done: 0, total: waiting });
    let on_progress = |p: &SendProgress| {
        let done = if p.bytes_sent >= p.bytes_total { p.index + 1 } else { p.index };
        let _ = events.send(AccountEvent::Sending { done, total: p.count });
    };
    let report = flush_outbox(store, account, &credentials, &transcript, &on_progress).await?;
    let _ = events.send(AccountEvent::Sending { done: report.sent.len(), total: waiting });
    filed_in.clone_from(&report.filed_in);
    if report.filed > 0 {
        // Copies in Sent (and the Outbox emptied): lists should refresh.
        let _ = events.send(AccountEvent::Changed);
    }
    outcome(&report)
}

/// Removes from the Drafts folder the copies of drafts whose removal failed earlier (the
/// message was sent or discarded while the server could not be reached). Quiet: the first
/// failure stops the round (it is nearly always about the account — the network, the
/// password, the certificate — so one login attempt per pass at most) and stays recorded
/// for the next pass; a removal that failed [`MAX_DRAFT_REMOVAL_ATTEMPTS`] times is given
/// up (the copy stays in the Drafts folder, where the user can delete it). Returns how
/// many were removed.
pub(super) async fn retry_draft_removals(
    account: &Account,
    secrets: &Secrets,
    store: &StoreHandle,
    transcript: impl FnOnce() -> Result<Transcript>,
) -> Result<usize> {
    let key = account.id.clone();
    if account.incoming_protocol != crate::account::Incoming::Imap {
        // No Drafts folder on a POP3 server (the account was switched): nothing to remove.
        store.call(move |s| s.draft_removals_forget(&key, 0)).await?;
        return Ok(0);
    }
    let ids = store.call(move |s| s.draft_removals_forget(&key, MAX_DRAFT_REMOVAL_ATTEMPTS)).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let credential = crate::auth::credential(account, secrets, SecretRole::Incoming).await?;
    let transcript = transcript()?;
    let mut removed = 0;
    for id in ids {
        let result = crate::compose::remove_from_server(account, &credential, &transcript, &id).await;
        let (key, done) = (account.id.clone(), id.clone());
        match result {
            Ok(()) => {
                store.call(move |s| s.draft_removal_done(&key, &done)).await?;
                removed += 1;
            }
            Err(e) => {
                let text = e.to_string();
                store.call(move |s| s.draft_removal_failed(&key, &done, &text)).await?;
                break;
            }
        }
    }
    Ok(removed)
}

/// How many times a draft's removal from the Drafts folder is tried.
pub const MAX_DRAFT_REMOVAL_ATTEMPTS: u32 = 20;

/// The pass's view of a flush: a network error first (offline), else the first error,
/// else what waits for the user.
fn outcome(report: &FlushReport) -> Result<()> {
    // Refused messages are reported by `waiting_for_user`, with the Outbox to act in.
    let refused_now = |id: i64| report.refused.iter().any(|r| r.id == id);
    let retried = || report.failed.iter().filter(|f| !refused_now(f.outbox_id));
    let errors = || retried().chain(&report.filing_failed).map(|f| &f.error);
    let first = errors().find(|e| e.kind() == Kind::Network).or_else(|| errors().next());
    let Some(e) = first else {
        let held: Vec<_> = report.held.iter().collect();
        let refused: Vec<_> = report.refused.iter().collect();
        return waiting_for_user(&held, &refused).map_or(Ok(()), Err);
    };
    let failed = retried().count();
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

/// What to do about a message held as "may already have been sent".
const HELD_ADVICE: &str = "Tidings does not send it again by itself, so that it cannot arrive twice. Ask a recipient whether it arrived; then send it again from the Outbox, or remove it.";

/// The problem to show while messages wait for the user's decision in the Outbox: refused
/// ones with the server's words of the first, else held ones. None when there are none.
fn waiting_for_user(held: &[&OutboxItem], refused: &[&OutboxItem]) -> Option<Error> {
    let count = |n: usize| if n == 1 { "1 message".to_string() } else { format!("{n} messages") };
    if let Some(first) = refused.first() {
        let mut text = format!("{} refused by the server — check the Outbox", count(refused.len()));
        if !held.is_empty() {
            text.push_str(&format!(" ({} may already have been sent)", count(held.len())));
        }
        let error = first.last_error.as_ref();
        if let Some(e) = error {
            text.push_str(&format!(": {}", e.message));
        }
        let mut err = Error::new(Kind::RefusedByServer, text);
        if let Some(words) = error.and_then(|e| e.server.clone()) {
            err = err.with_server(words);
        }
        return Some(err);
    }
    (!held.is_empty()).then(|| {
        let verb = if held.len() == 1 { "may" } else { "may all" };
        Error::new(
            Kind::Protocol,
            format!(
                "{} {verb} already have been sent (the send ended before the server confirmed it, so the server may or may not have it) — check the Outbox and send again or remove",
                count(held.len())
            ),
        )
        .with_advice(HELD_ADVICE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::OutboxError;
    use crate::send::FailedMessage;

    fn item(id: i64, state: OutboxState, error: Option<OutboxError>) -> OutboxItem {
        OutboxItem {
            id,
            account: "a".into(),
            message_id: format!("<{id}@example.test>"),
            subject: None,
            from: "alice@example.test".into(),
            recipients: vec!["bob@example.test".into()],
            size: 10,
            state,
            attempts: 1,
            last_error: error,
            reply: None,
            created_at: 0,
            updated_at: 0,
            busy_until: Some(0),
            accepted_at: None,
            owner_pid: None,
        }
    }

    #[test]
    fn a_held_message_is_a_problem_the_pass_reports() {
        let report = FlushReport { held: vec![item(1, OutboxState::Submitting, None)], ..Default::default() };
        let e = outcome(&report).unwrap_err();
        assert_eq!(e.kind(), Kind::Protocol, "{e}");
        assert!(e.message().starts_with("1 message may already have been sent"), "{e}");
        assert!(e.message().contains("check the Outbox"), "{e}");
        assert!(e.message().contains("may or may not have it"), "{e}");
        // Not a protocol problem for the person: what to do is decide about the message.
        assert!(e.advice().contains("cannot arrive twice"), "{}", e.advice());
    }

    #[test]
    fn a_refused_message_is_reported_with_the_servers_words_and_a_network_error_comes_first() {
        let words = "550 5.1.1 <bob@example.test>: Recipient address rejected";
        let stored = OutboxError {
            kind: Kind::RefusedByServer,
            message: "127.0.0.1 refused the request".into(),
            server: Some(words.into()),
        };
        let refused = item(2, OutboxState::Refused, Some(stored));
        let error = Error::new(Kind::RefusedByServer, "127.0.0.1 refused the request").with_server(words);
        let failed = FailedMessage { outbox_id: 2, message_id: refused.message_id.clone(), error };
        let mut report = FlushReport { refused: vec![refused], failed: vec![failed], ..Default::default() };
        let e = outcome(&report).unwrap_err();
        assert_eq!((e.kind(), e.server_words()), (Kind::RefusedByServer, Some(words)));
        assert!(e.message().starts_with("1 message refused by the server — check the Outbox"), "{e}");

        let cut = Error::new(Kind::Network, "the connection was cut");
        report.failed.push(FailedMessage { outbox_id: 3, message_id: "<3@example.test>".into(), error: cut });
        let e = outcome(&report).unwrap_err();
        assert_eq!(e.kind(), Kind::Network, "{e}");
        assert!(e.message().starts_with("1 message stays in the Outbox"), "{e}");
    }

    #[test]
    fn nothing_waiting_for_the_user_is_no_problem() {
        assert!(outcome(&FlushReport::default()).is_ok());
        assert!(waiting_for_user(&[], &[]).is_none());
    }
}
