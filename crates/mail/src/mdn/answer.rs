//! Answering a stored message's request: the one flow the CLI and the window share.
//!
//! Both run on the store thread in one call, so the check of `$MDNSent`, the keyword and the
//! receipt in the Outbox cannot interleave with another answer through the same store. The
//! keyword is queued for the server (IMAP) or set in the store (POP3) before the receipt is
//! queued; a pass replays the keyword before it flushes the Outbox, so the server has it
//! before the receipt leaves. The caller then sends: the CLI replays and flushes at once,
//! the window asks the account's task for a pass.

use super::build::{Mode, Response, build};
use super::request::{Request, requested};
use super::{MDN_SENT, already_answered};
use crate::account::Account;
use crate::compose::Address;
use crate::error::{Error, Result};
use crate::outbox::OutboxItem;
use crate::store::{FolderId, MailAction, Store, StoreHandle};

/// A receipt [`send`] put in the Outbox.
#[derive(Debug, Clone)]
pub struct Queued {
    pub item: OutboxItem,
    pub request: Request,
}

/// Every address the account receives at: its own and its identities'.
pub fn own_addresses(account: &Account) -> Vec<String> {
    account.senders().into_iter().map(|i| i.email).collect()
}

/// Queues the read receipt message `uid` of `folder` asks for, sent in `mode`, and sets
/// `$MDNSent` on it. `None`: a receipt was already sent or declined (`$MDNSent` is set, here
/// or by another program on the account) and `force` is off; nothing was queued.
pub async fn send(
    store: &StoreHandle,
    account: &Account,
    folder: FolderId,
    uid: u32,
    mode: Mode,
    force: bool,
) -> Result<Option<Queued>> {
    let account = account.clone();
    let displayed_at = now_unix();
    store
        .call(move |s| {
            let Some(raw) = unanswered_body(s, folder, uid, force)? else { return Ok(None) };
            let request = requested(&raw).ok_or_else(|| {
                Error::config("cannot send a read receipt: the message does not ask for one")
            })?;
            let own = own_addresses(&account);
            let me = sender(&account, request.addressed_to(&own).map(String::as_str));
            let outgoing = build(&Response {
                request: &request,
                from: &me,
                final_recipient: &me.email,
                mode,
                displayed_at,
            })?;
            mark(s, &account.id, folder, uid)?;
            let item = s.outbox_enqueue(&account.id, &outgoing)?;
            Ok(Some(Queued { item, request }))
        })
        .await
}

/// Declines the request of message `uid` of `folder`: sets `$MDNSent`, so that no program
/// sends a receipt for it.
pub async fn ignore(store: &StoreHandle, account: &Account, folder: FolderId, uid: u32) -> Result<()> {
    let key = account.id.clone();
    store.call(move |s| mark(s, &key, folder, uid)).await
}

/// The stored message's raw bytes, or `None` when it has `$MDNSent` (and not `force`).
fn unanswered_body(s: &mut Store, folder: FolderId, uid: u32, force: bool) -> Result<Option<Vec<u8>>> {
    let row = s.message(folder, uid)?.ok_or_else(|| {
        Error::config("cannot send a read receipt: the message is no longer in the store; sync and try again")
    })?;
    if already_answered(&row.flags) && !force {
        return Ok(None);
    }
    let raw = s.body(folder, row.uidvalidity, uid)?.ok_or_else(|| {
        Error::config("cannot send a read receipt: the message has not been downloaded; open it first")
    })?;
    Ok(Some(raw))
}

fn mark(s: &mut Store, key: &str, folder: FolderId, uid: u32) -> Result<()> {
    let account = s.account(key)?;
    let action = MailAction::Keyword { folder, uids: vec![uid], keyword: MDN_SENT.into(), set: true };
    s.queue_action(account, &action)
}

/// The identity the message was sent to (From of the receipt), else the account's own.
fn sender(account: &Account, addressed: Option<&str>) -> Address {
    let senders = account.senders();
    let chosen =
        addressed.and_then(|a| senders.iter().find(|i| i.email.eq_ignore_ascii_case(a))).or(senders.first());
    match chosen {
        Some(i) => Address::new(i.name.as_deref(), &i.email),
        None => Address::new(None, &account.email),
    }
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
