//! Answering an invitation, as the window's card and `tidings invite reply` both do: the
//! REPLY from the identity the invitation is for, queued durably in the account's Outbox,
//! and the answer remembered in the store, so the card says "You accepted" from then on
//! (after a restart too), whenever the Outbox gets the REPLY out.

use chrono::NaiveDateTime;

use super::{Answer, Invitation, occurrence_key, reply_message, strip_mailto};
use crate::account::Account;
use crate::compose::Address;
use crate::error::Result;
use crate::outbox::{self, OutboxItem};
use crate::store::{Store, StoreHandle};

/// What answering a message's invitation needs of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answerable {
    pub invitation: Invitation,
    /// The calendar part's text the invitation was read from.
    pub ics: String,
    /// The message's Message-ID and References ([`super::thread_of`]): the answer joins
    /// its thread.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// One occurrence of a recurring event to answer (in the event's terms, as
    /// [`super::occurrence`] reads it); none answers the whole series.
    pub occurrence: Option<NaiveDateTime>,
}

/// Queues the answer to `what` in `account`'s Outbox, then remembers it. The caller asks the
/// account's send/receive to run (or flushes the Outbox itself).
pub async fn answer(
    store: &StoreHandle,
    account: &Account,
    what: &Answerable,
    answer: Answer,
    comment: Option<&str>,
) -> Result<OutboxItem> {
    let inv = &what.invitation;
    let me = sender(account, inv.your_address.as_deref());
    let outgoing = reply_message(
        inv,
        &what.ics,
        &me,
        answer,
        comment,
        what.occurrence,
        what.in_reply_to.as_deref(),
        &what.references,
    )?;
    // One occurrence is remembered apart from the series it belongs to.
    let occurrence = match what.occurrence {
        Some(at) => Some(occurrence_key(&what.ics, at)?),
        None => inv.occurrence_key(),
    };
    let item = outbox::enqueue(store, &account.id, outgoing).await?;
    // Queued durably: the answer stands from now on, whenever the Outbox gets it out.
    let (key, uid, sequence) = (account.id.clone(), inv.uid.clone().unwrap_or_default(), inv.sequence);
    store
        .call(move |s| {
            s.remember_invitation_answer(&key, &uid, occurrence.as_deref(), sequence, answer.partstat())
        })
        .await?;
    Ok(item)
}

/// The invitation with the answer account `key` sent earlier (remembered in the store), if
/// it still stands for this version of it.
pub fn remembered(store: &mut Store, key: &str, inv: Invitation) -> Result<Invitation> {
    let Some(uid) = inv.uid.clone().filter(|_| inv.answerable) else { return Ok(inv) };
    let occurrence = inv.occurrence_key();
    Ok(match store.invitation_answer(key, &uid, occurrence.as_deref(), inv.sequence)? {
        Some(a) => inv.with_answer(a.partstat),
        None => inv,
    })
}

/// Who answers: the account's identity the invitation is for (`invited`), else the
/// account's own address.
pub fn sender(account: &Account, invited: Option<&str>) -> Address {
    let senders = account.senders();
    let chosen = invited
        .and_then(|a| senders.iter().find(|i| i.email.eq_ignore_ascii_case(strip_mailto(a))))
        .or(senders.first());
    match chosen {
        Some(i) => Address::new(i.name.as_deref(), &i.email),
        None => Address::new(None, &account.email),
    }
}
