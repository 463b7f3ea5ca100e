//! The Sent copy of an accepted message: exactly the submitted bytes, stored with `\Seen`.
//! IMAP accounts: APPEND to the folder LIST marks `\Sent` (SPECIAL-USE), else the store's
//! Sent folder, else one named "Sent" (created when missing). Each copy is stored under a
//! lease on its row ([`crate::store::Store::outbox_lease_copy`]), so two flushes of the
//! account at once (the window and `tidings send`) do not both store it; and a copy already
//! there (same Message-ID: a flush cut off between APPEND and recording it) is not stored
//! twice.
//! POP3 accounts: the local Sent folder, in the same transaction that ends the row.

use async_imap::types::NameAttribute;
use futures::TryStreamExt;

use super::{FailedMessage, FlushReport, send_timeout};
use crate::account::{Account, Incoming};
use crate::auth::{Credential, Credentials};
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::imap::{self, Session};
use crate::net::{Endpoint, Transcript};
use crate::outbox::OutboxItem;
use crate::store::{Role, StoreHandle};

pub(super) async fn file_accepted(
    store: &StoreHandle,
    account: &Account,
    credentials: &Credentials,
    transcript: &Transcript,
    accepted: &[OutboxItem],
    report: &mut FlushReport,
) -> Result<()> {
    let key = account.id.clone();
    let local = store
        .call(move |s| {
            let id = s.account(&key)?;
            s.is_local_account(id)
        })
        .await?;
    if local || account.incoming_protocol == Incoming::Pop3 {
        return file_locally(store, account, accepted, report).await;
    }
    let ep = Endpoint::for_account(account, &account.incoming)?;
    // Message text stays out of the transcript (and the log file): only its size shows.
    transcript.elide_literals(true);
    let mut session = match open(&ep, &credentials.incoming, transcript).await {
        Ok(s) => s,
        Err(e) => return filing_failed_all(store, accepted, &e, report).await,
    };
    let folder = match sent_folder(&mut session, &ep, store, account).await {
        Ok(f) => f,
        Err(e) => {
            let _ = imap::logout(session, &ep).await;
            return filing_failed_all(store, accepted, &e, report).await;
        }
    };
    if let Err(e) = session.select(&folder).await {
        let e = imap_error(&ep, "open the Sent folder", e, &session);
        let _ = imap::logout(session, &ep).await;
        return filing_failed_all(store, accepted, &e, report).await;
    }
    drain(&mut session);
    for (i, item) in accepted.iter().enumerate() {
        let id = item.id;
        // Bounded like the APPEND itself, with a margin for the search.
        let until = crate::store::now() + send_timeout(item.size).as_secs() as i64 + 30;
        if !store.call(move |s| s.outbox_lease_copy(id, until)).await? {
            // Filed meanwhile, or another flush is storing it now.
            continue;
        }
        let Some(raw) = store.call(move |s| s.outbox_raw(id)).await? else { continue };
        let stored = tokio::time::timeout(
            send_timeout(item.size),
            append_once(&mut session, &ep, &folder, item, &raw),
        )
        .await
        .unwrap_or_else(|_| {
            Err(Error::new(
                Kind::Network,
                format!("{} did not finish storing the Sent copy in time", ep.host),
            ))
        });
        match stored {
            Ok(()) => {
                store.call(move |s| s.outbox_filed(id)).await?;
                mark_filed(report, item);
                report.filed_in = Some(folder.clone());
            }
            Err(e) => {
                let err = e.clone();
                store.call(move |s| s.outbox_filing_failed(id, &err)).await?;
                report.filing_failed.push(FailedMessage {
                    outbox_id: id,
                    message_id: item.message_id.clone(),
                    error: e.clone(),
                });
                if e.kind() == Kind::Network {
                    return filing_failed_all(store, &accepted[i + 1..], &e, report).await;
                }
            }
        }
    }
    let _ = imap::logout(session, &ep).await;
    Ok(())
}

fn mark_filed(report: &mut FlushReport, item: &OutboxItem) {
    report.filed += 1;
    if let Some(s) = report.sent.iter_mut().find(|s| s.outbox_id == item.id) {
        s.filed = true;
    }
}

async fn file_locally(
    store: &StoreHandle,
    account: &Account,
    accepted: &[OutboxItem],
    report: &mut FlushReport,
) -> Result<()> {
    let key = account.id.clone();
    store
        .call(move |s| {
            let id = s.account(&key)?;
            s.pop3_setup(id).map(drop)
        })
        .await?;
    for item in accepted {
        let id = item.id;
        match store.call(move |s| s.outbox_file_local(id)).await {
            Ok(true) => mark_filed(report, item),
            Ok(false) => {}
            Err(e) => {
                let err = e.clone();
                let _ = store.call(move |s| s.outbox_filing_failed(id, &err)).await;
                report.filing_failed.push(FailedMessage {
                    outbox_id: id,
                    message_id: item.message_id.clone(),
                    error: e,
                });
            }
        }
    }
    Ok(())
}

async fn filing_failed_all(
    store: &StoreHandle,
    items: &[OutboxItem],
    e: &Error,
    report: &mut FlushReport,
) -> Result<()> {
    for item in items {
        let (id, err) = (item.id, e.clone());
        store.call(move |s| s.outbox_filing_failed(id, &err)).await?;
        report.filing_failed.push(FailedMessage {
            outbox_id: item.id,
            message_id: item.message_id.clone(),
            error: e.clone(),
        });
    }
    Ok(())
}

async fn open(ep: &Endpoint, credential: &Credential, transcript: &Transcript) -> Result<Session> {
    let mut facts = SessionFacts::default();
    let lc = imap::open(ep, transcript, &mut facts).await?;
    imap::login(lc, ep, credential, &mut facts).await
}

fn drain(session: &mut Session) {
    while session.unsolicited_responses.try_recv().is_ok() {}
}

fn imap_error(ep: &Endpoint, what: &str, e: async_imap::error::Error, session: &Session) -> Error {
    let words = session.get_ref().transcript().last_server_line();
    let err = imap::map_error(ep, e, words);
    let mut out = Error::new(err.kind(), format!("cannot {what}: {}", err.message()));
    if let Some(w) = err.server_words() {
        out = out.with_server(w);
    }
    out
}

/// The folder for Sent copies: SPECIAL-USE `\Sent`, else the store's Sent role, else
/// "Sent" (created and subscribed when missing).
async fn sent_folder(
    session: &mut Session,
    ep: &Endpoint,
    store: &StoreHandle,
    account: &Account,
) -> Result<String> {
    let listed: std::result::Result<Vec<(String, bool)>, _> = match session.list(Some(""), Some("*")).await {
        Ok(stream) => {
            stream
                .map_ok(|n| {
                    (n.name().to_string(), n.attributes().iter().any(|a| matches!(a, NameAttribute::Sent)))
                })
                .try_collect()
                .await
        }
        Err(e) => Err(e),
    };
    let listed = listed.map_err(|e| imap_error(ep, "list the folders", e, session))?;
    drain(session);
    if let Some((name, _)) = listed.iter().find(|(_, sent)| *sent) {
        return Ok(name.clone());
    }
    let key = account.id.clone();
    let known = store
        .call(move |s| {
            let id = s.account(&key)?;
            Ok(s.folders(id)?.into_iter().find(|f| f.role == Some(Role::Sent)).map(|f| f.name))
        })
        .await?;
    if let Some(name) = known.filter(|n| listed.iter().any(|(l, _)| l == n)) {
        return Ok(name);
    }
    if let Some((name, _)) = listed.iter().find(|(n, _)| n.eq_ignore_ascii_case("Sent")) {
        return Ok(name.clone());
    }
    session.create("Sent").await.map_err(|e| imap_error(ep, "create the Sent folder", e, session))?;
    let _ = session.subscribe("Sent").await;
    drain(session);
    Ok("Sent".to_string())
}

/// APPEND with `\Seen` to the selected `folder`, unless a copy with the same Message-ID is
/// already there (stored by a flush that was cut off before recording it).
async fn append_once(
    session: &mut Session,
    ep: &Endpoint,
    folder: &str,
    item: &OutboxItem,
    raw: &[u8],
) -> Result<()> {
    let searchable = !item.message_id.is_empty()
        && item.message_id.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
    if searchable {
        let found = session
            .uid_search(format!("HEADER Message-ID \"{}\"", item.message_id))
            .await
            .map_err(|e| imap_error(ep, "search the Sent folder", e, session))?;
        drain(session);
        if !found.is_empty() {
            return Ok(());
        }
    }
    session
        .append(folder, Some("(\\Seen)"), None, raw)
        .await
        .map_err(|e| imap_error(ep, "store the copy in Sent", e, session))?;
    drain(session);
    Ok(())
}
