//! A draft's copy in an IMAP account's Drafts folder: APPEND with `\Draft \Seen`, then the
//! older copies of the same draft (found by the [`DRAFT_HEADER`] header, not by Message-ID:
//! the draft's bytes change on every save) flagged `\Deleted` and expunged by UID. A crash
//! between the two leaves one copy too many, which the next save removes.
//!
//! The Drafts folder: the one LIST marks `\Drafts` (SPECIAL-USE), else one named "Drafts",
//! else "Drafts" is created.

use async_imap::types::NameAttribute;
use futures::TryStreamExt;

use super::DRAFT_HEADER;
use super::draft::Draft;
use crate::account::Account;
use crate::auth::Credential;
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::imap::{self, Session};
use crate::net::{Endpoint, Transcript};

/// Stores the draft in the account's Drafts folder, replacing its previous copies. Returns
/// the folder's name. Runs inside a time limit scaled by the draft's size.
pub async fn save_to_server(
    account: &Account,
    credential: &Credential,
    transcript: &Transcript,
    draft: &Draft,
) -> Result<String> {
    let built = draft.to_draft_bytes()?;
    let limit = crate::send::send_timeout(built.bytes.len() as u64);
    let ep = Endpoint::for_account(account, &account.incoming)?;
    let work = async {
        let (mut session, facts) = open(&ep, credential, transcript).await?;
        let folder = drafts_folder(&mut session, &ep).await?;
        select(&mut session, &ep, &folder).await?;
        let old = copies(&mut session, &ep, &draft.id, draft.replaces.as_deref()).await?;
        session
            .append(&folder, Some("(\\Draft \\Seen)"), None, &built.bytes)
            .await
            .map_err(|e| imap_error(&ep, "store the draft in the Drafts folder", e, &session))?;
        drain(&mut session);
        delete(&mut session, &ep, &facts, &old).await?;
        let _ = imap::logout(session, &ep).await;
        Ok(folder)
    };
    within(limit, &ep, work).await
}

/// Removes every copy of a draft from the account's Drafts folder (after it was sent or
/// discarded). Nothing there is fine.
pub async fn remove_from_server(
    account: &Account,
    credential: &Credential,
    transcript: &Transcript,
    draft_id: &str,
) -> Result<()> {
    remove_replacing(account, credential, transcript, draft_id, None).await
}

/// As [`remove_from_server`], and the copy written by another program that the draft
/// replaces ([`Draft::replaces`]) too.
pub async fn remove_replacing(
    account: &Account,
    credential: &Credential,
    transcript: &Transcript,
    draft_id: &str,
    replaces: Option<&str>,
) -> Result<()> {
    let ep = Endpoint::for_account(account, &account.incoming)?;
    let work = async {
        let (mut session, facts) = open(&ep, credential, transcript).await?;
        let folder = drafts_folder(&mut session, &ep).await?;
        select(&mut session, &ep, &folder).await?;
        let old = copies(&mut session, &ep, draft_id, replaces).await?;
        delete(&mut session, &ep, &facts, &old).await?;
        let _ = imap::logout(session, &ep).await;
        Ok(())
    };
    within(crate::send::send_timeout(0), &ep, work).await
}

async fn within<T>(
    limit: std::time::Duration,
    ep: &Endpoint,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(Error::new(Kind::Network, format!("{} did not finish saving the draft in time", ep.host)))
    })
}

async fn open(
    ep: &Endpoint,
    credential: &Credential,
    transcript: &Transcript,
) -> Result<(Session, SessionFacts)> {
    // The draft's text stays out of the transcript (and the log file): only its size shows.
    transcript.elide_literals(true);
    let mut facts = SessionFacts::default();
    let lc = imap::open(ep, transcript, &mut facts).await?;
    let session = imap::login(lc, ep, credential, &mut facts).await?;
    Ok((session, facts))
}

fn drain(session: &mut Session) {
    while session.unsolicited_responses.try_recv().is_ok() {}
}

fn imap_error(ep: &Endpoint, what: &str, e: async_imap::error::Error, session: &Session) -> Error {
    tapped_error(ep, what, e, session.get_ref().transcript())
}

fn tapped_error(ep: &Endpoint, what: &str, e: async_imap::error::Error, transcript: &Transcript) -> Error {
    let words = transcript.last_server_line();
    let err = imap::map_error(ep, e, words);
    let mut out = Error::new(err.kind(), format!("cannot {what}: {}", err.message()));
    if let Some(w) = err.server_words() {
        out = out.with_server(w);
    }
    out
}

async fn drafts_folder(session: &mut Session, ep: &Endpoint) -> Result<String> {
    let listed: std::result::Result<Vec<(String, bool)>, _> = match session.list(Some(""), Some("*")).await {
        Ok(stream) => {
            stream
                .map_ok(|n| {
                    (n.name().to_string(), n.attributes().iter().any(|a| matches!(a, NameAttribute::Drafts)))
                })
                .try_collect()
                .await
        }
        Err(e) => Err(e),
    };
    let listed = listed.map_err(|e| imap_error(ep, "list the folders", e, session))?;
    drain(session);
    if let Some((name, _)) = listed.iter().find(|(_, drafts)| *drafts) {
        return Ok(name.clone());
    }
    let named = |n: &str| {
        let n = n.to_ascii_lowercase();
        n == "drafts" || n == "inbox.drafts" || n == "inbox/drafts"
    };
    if let Some((name, _)) = listed.iter().find(|(n, _)| named(n)) {
        return Ok(name.clone());
    }
    session.create("Drafts").await.map_err(|e| imap_error(ep, "create the Drafts folder", e, session))?;
    let _ = session.subscribe("Drafts").await;
    drain(session);
    Ok("Drafts".to_string())
}

async fn select(session: &mut Session, ep: &Endpoint, folder: &str) -> Result<()> {
    session.select(folder).await.map_err(|e| imap_error(ep, "open the Drafts folder", e, session))?;
    drain(session);
    Ok(())
}

/// The UIDs of the draft's copies in the selected folder, and of the copy it replaces.
async fn copies(
    session: &mut Session,
    ep: &Endpoint,
    draft_id: &str,
    replaces: Option<&str>,
) -> Result<Vec<u32>> {
    if draft_id.is_empty() || !draft_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::config(format!("\"{draft_id}\" is not a draft id")));
    }
    let ours = format!("HEADER {DRAFT_HEADER} \"{draft_id}\"");
    // A Message-ID that cannot go into a quoted string is not searched for (its copy stays).
    let theirs = replaces
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\'));
    let query = match theirs {
        Some(id) => format!("OR {ours} HEADER Message-ID \"<{id}>\""),
        None => ours,
    };
    let found = session
        .uid_search(query)
        .await
        .map_err(|e| imap_error(ep, "search the Drafts folder", e, session))?;
    drain(session);
    let mut uids: Vec<u32> = found.into_iter().collect();
    uids.sort_unstable();
    Ok(uids)
}

async fn delete(session: &mut Session, ep: &Endpoint, facts: &SessionFacts, uids: &[u32]) -> Result<()> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let transcript = session.get_ref().transcript().clone();
    let failed = |e| tapped_error(ep, "remove the previous copy of the draft", e, &transcript);
    {
        let stream = session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await.map_err(failed)?;
        let done: std::result::Result<Vec<_>, _> = stream.try_collect().await;
        done.map_err(failed)?;
    }
    drain(session);
    // Without UIDPLUS only EXPUNGE exists, which would also remove what someone else marked
    // deleted in Drafts: the old copy then stays marked until they expunge.
    let caps = if facts.capabilities_after_login.is_empty() {
        &facts.capabilities
    } else {
        &facts.capabilities_after_login
    };
    if imap::has(caps, "UIDPLUS") {
        let stream = session.uid_expunge(&set).await.map_err(failed)?;
        let done: std::result::Result<Vec<_>, _> = stream.try_collect().await;
        done.map_err(failed)?;
        drain(session);
    }
    Ok(())
}
