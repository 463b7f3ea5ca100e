//! One draft's saves and its removal, in order. A composer saves its draft again and again
//! (the file, the Drafts folder's copy) while the person types; when the message is sent
//! or discarded, every copy must go, even one whose save is still under way at that moment.
//!
//! [`DraftGate::end`] marks the draft as finished, at once: a save that has not started yet
//! does nothing from then on. The removals wait for the save under way (the file's and the
//! folder's separately, so removing the file does not wait for a slow server), then remove
//! every copy with the draft's id. The gate is shared ([`Arc`]) between the composer and
//! the tasks it starts, so a removal finishes after the composer is gone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Mutex;

use super::draft::{Draft, Drafts};
use crate::account::Account;
use crate::auth::Credential;
use crate::error::{Error, Kind, Result};
use crate::net::Transcript;

#[derive(Debug, Default)]
pub struct DraftGate {
    ended: AtomicBool,
    /// Held while the draft's file is written or removed.
    local: Mutex<()>,
    /// Held while the Drafts folder's copy is replaced or removed.
    server: Mutex<()>,
    /// A save to the Drafts folder has passed its check and is storing its copy.
    storing: AtomicBool,
}

impl DraftGate {
    pub fn new() -> Arc<DraftGate> {
        Arc::new(DraftGate::default())
    }

    /// The draft is sent or discarded: saves not started yet do nothing.
    pub fn end(&self) {
        self.ended.store(true, Ordering::SeqCst);
    }

    pub fn is_ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    /// A copy is being stored in the Drafts folder right now (past the point where ending the
    /// draft could still stop it).
    pub fn server_busy(&self) -> bool {
        self.storing.load(Ordering::SeqCst)
    }

    /// Saves the draft's file (sets `saved_at`); `Ok(None)` when the draft has ended.
    pub async fn save_local(&self, drafts: Drafts, mut draft: Draft) -> Result<Option<Draft>> {
        let _held = self.local.lock().await;
        if self.is_ended() {
            return Ok(None);
        }
        blocking(move || drafts.save(&mut draft).map(|()| Some(draft))).await
    }

    /// Ends the draft and removes its file once a save under way is written.
    pub async fn remove_local(&self, drafts: Drafts, id: String) -> Result<()> {
        self.end();
        let _held = self.local.lock().await;
        blocking(move || drafts.remove(&id)).await
    }

    /// Stores the draft in the account's Drafts folder ([`super::save_to_server`]); `Ok(None)`
    /// when the draft has ended (nothing is stored then).
    pub async fn save_to_server(
        &self,
        account: &Account,
        credential: &Credential,
        transcript: &Transcript,
        draft: &Draft,
    ) -> Result<Option<String>> {
        let _held = self.server.lock().await;
        if self.is_ended() {
            return Ok(None);
        }
        self.storing.store(true, Ordering::SeqCst);
        // Cleared however the save ends (an aborted task included).
        let _storing = Cleared(&self.storing);
        super::save_to_server(account, credential, transcript, draft).await.map(Some)
    }

    /// Ends the draft and, once a save to the Drafts folder under way has finished, removes
    /// every copy with the draft's id from the account's Drafts folder (and the copy written
    /// by another program it `replaces`).
    pub async fn remove_from_server(
        &self,
        account: &Account,
        credential: &Credential,
        transcript: &Transcript,
        draft_id: &str,
        replaces: Option<&str>,
    ) -> Result<()> {
        self.end();
        let _held = self.server.lock().await;
        super::remove_replacing(account, credential, transcript, draft_id, replaces).await
    }
}

/// Clears its flag when dropped.
struct Cleared<'a>(&'a AtomicBool);

impl Drop for Cleared<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|join| {
        Err(Error::new(
            Kind::Storage,
            format!("cannot finish the work on the draft: the task stopped ({join})"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::Address;

    #[tokio::test]
    async fn a_save_after_the_end_writes_nothing_and_the_removal_waits_for_the_save_under_way() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::at(dir.path().join("drafts"));
        let gate = DraftGate::new();
        let mut draft = Draft::new("alice", Address::email("alice@example.test"));
        draft.body = "words".into();

        // A save holding the file while the removal is asked for: the removal comes after it.
        let held = gate.local.lock().await;
        let removal = {
            let (gate, drafts, id) = (gate.clone(), drafts.clone(), draft.id.clone());
            tokio::spawn(async move { gate.remove_local(drafts, id).await })
        };
        while !gate.is_ended() {
            tokio::task::yield_now().await;
        }
        drafts.save(&mut draft.clone()).unwrap();
        drop(held);
        removal.await.unwrap().unwrap();
        assert!(drafts.list().unwrap().drafts.is_empty(), "the file written meanwhile is removed");

        // Ended: a later save writes nothing.
        assert_eq!(gate.save_local(drafts.clone(), draft).await.unwrap(), None);
        assert!(drafts.list().unwrap().drafts.is_empty());
    }
}
