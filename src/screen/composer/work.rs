//! The composer's work off the UI thread: reading the original of a reply from the store,
//! the address completion query, saving drafts (the file, then the Drafts folder), and
//! putting a finished message into the Outbox. Each returns a future whose answer comes
//! back as a message; blocking work (files, SQLite, the keyring) runs on tokio's blocking
//! pool.

use std::path::PathBuf;
use std::sync::Arc;

use tidings_mail::account::{Account, Incoming, SecretRole};
use tidings_mail::auth;
use tidings_mail::compose::{
    self, Attachment, Draft, DraftGate, DraftList, Drafts, NewMessage, Original, ReplyKind,
};
use tidings_mail::error::{Error, Kind};
use tidings_mail::net::Transcript;
use tidings_mail::outbox;
use tidings_mail::secret::Secrets;
use tidings_mail::store::addresses::SeenAddress;
use tidings_mail::store::{FolderId, Store, StoreHandle};

use super::Kind as ComposeKind;

/// Runs blocking work on tokio's blocking pool; a panic there is a storage error.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|join| {
        Err(Error::new(Kind::Storage, format!("cannot finish the work: the task stopped ({join})")))
    })
}

/// The prepared reply or forward of a stored message. `identities`: the answering
/// account's From addresses, its own first; the one the original was sent to (To or Cc) is
/// the new message's From. `own`: every address of ours (all accounts), left out of a reply
/// to all.
pub async fn prepare(
    store_path: PathBuf,
    (folder, uid): (FolderId, u32),
    kind: ComposeKind,
    identities: Vec<compose::Address>,
    own: Vec<String>,
) -> Result<NewMessage, Error> {
    blocking(move || {
        let store = Store::open(&store_path)?;
        let row = store
            .message(folder, uid)?
            .ok_or_else(|| Error::new(Kind::Storage, "the message is no longer in the mail store"))?;
        let raw = store.body(folder, row.uidvalidity, uid)?.ok_or_else(|| {
            Error::new(
                Kind::Storage,
                "the message's text is not downloaded yet: open it in the reader first, then try again",
            )
        })?;
        let original = Original::parse(&raw)?;
        let from = original.addressed_to(&identities).or(identities.first()).cloned().unwrap_or_default();
        Ok(match kind {
            ComposeKind::Reply => compose::reply(&original, ReplyKind::Sender, &from, &own),
            ComposeKind::ReplyAll => compose::reply(&original, ReplyKind::All, &from, &own),
            ComposeKind::Forward => compose::forward_inline(&original, &from),
            ComposeKind::ForwardAsAttachment => compose::forward_as_attachment(&original, &from),
            ComposeKind::New | ComposeKind::Draft => NewMessage { from, ..NewMessage::default() },
        })
    })
    .await
}

/// A message of the Drafts folder to edit. A copy Tidings stored whose file is still here
/// and no older comes from the file: it holds the fields exactly as typed.
pub async fn reopen(
    store_path: PathBuf,
    drafts: Drafts,
    (folder, uid): (FolderId, u32),
    account: String,
) -> Result<Draft, Error> {
    blocking(move || {
        let store = Store::open(&store_path)?;
        let row = store
            .message(folder, uid)?
            .ok_or_else(|| Error::new(Kind::Storage, "the draft is no longer in the mail store"))?;
        let raw = store.body(folder, row.uidvalidity, uid)?.ok_or_else(|| {
            Error::new(Kind::Storage, "the draft's text is not downloaded yet: open it again to download it")
        })?;
        let stored = Draft::from_stored(&account, &raw)?;
        match drafts.load(&stored.id) {
            Ok(file) if file.account == account && file.saved_at >= stored.saved_at => Ok(file),
            _ => Ok(stored),
        }
    })
    .await
}

/// Addresses already seen that match what is being typed.
pub async fn complete(store_path: PathBuf, query: String) -> Result<Vec<SeenAddress>, Error> {
    blocking(move || {
        if !store_path.exists() {
            return Ok(Vec::new());
        }
        Store::open(&store_path)?.seen_addresses(&query, 6)
    })
    .await
}

pub async fn list_drafts(drafts: Drafts) -> Result<DraftList, Error> {
    blocking(move || drafts.list()).await
}

/// Saves the draft's file; `Ok(None)` when the draft was sent or discarded meanwhile.
pub async fn save_draft(gate: Arc<DraftGate>, drafts: Drafts, draft: Draft) -> Result<Option<Draft>, Error> {
    gate.save_local(drafts, draft).await
}

/// Removes the draft's file once a save under way is written.
pub async fn remove_draft(gate: Arc<DraftGate>, drafts: Drafts, id: String) -> Result<(), Error> {
    gate.remove_local(drafts, id).await
}

/// The draft's copy in the account's Drafts folder (IMAP accounts only; `Ok(None)` for
/// POP3, whose drafts stay on this machine).
pub async fn save_to_server(
    gate: Arc<DraftGate>,
    account: Account,
    secrets: Secrets,
    draft: Draft,
) -> Result<Option<String>, Error> {
    if account.incoming_protocol != Incoming::Imap || gate.is_ended() {
        return Ok(None);
    }
    let credential = auth::credential(&account, &secrets, SecretRole::Incoming).await?;
    gate.save_to_server(&account, &credential, &Transcript::new(), &draft).await
}

/// Removes every copy of the draft from the Drafts folder (after sending or discarding it),
/// once a save to it under way has finished.
/// A removal that fails is recorded in the store: the account's next send/receive retries
/// it, so the copy does not stay in the Drafts folder.
pub async fn remove_from_server(
    gate: Arc<DraftGate>,
    account: Account,
    secrets: Secrets,
    store_path: PathBuf,
    id: String,
    replaces: Option<String>,
) -> Result<(), Error> {
    gate.end();
    if account.incoming_protocol != Incoming::Imap {
        return Ok(());
    }
    let result = async {
        let credential = auth::credential(&account, &secrets, SecretRole::Incoming).await?;
        gate.remove_from_server(&account, &credential, &Transcript::new(), &id, replaces.as_deref()).await
    }
    .await;
    if let Err(e) = &result {
        let (key, text) = (account.id.clone(), e.to_string());
        let recorded =
            blocking(move || Store::open(&store_path)?.draft_removal_failed(&key, &id, &text)).await;
        if let Err(why) = recorded {
            // The composer is gone: nobody else can say it. The copy stays in the folder.
            eprintln!("tidings: a draft's copy stays in the Drafts folder of {}: {why}", account.name);
        }
    }
    result
}

/// The desktop's file dialog (the XDG portal, else zenity): the files picked, none when
/// cancelled or when no dialog can be shown (the path field still works then).
pub async fn pick_files() -> Vec<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title("Attach files")
        .pick_files()
        .await
        .map(|files| files.into_iter().map(|f| f.path().to_path_buf()).collect())
        .unwrap_or_default()
}

/// Reads a file to attach.
pub async fn attach(path: PathBuf) -> Result<Attachment, Error> {
    blocking(move || Attachment::from_path(&path)).await
}

/// What "send" did: the message is in the Outbox, safe; the account's next send/receive
/// submits it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub account: String,
    pub message_id: String,
}

/// Builds the message (once, on the blocking pool: attachments are encoded there) and puts
/// it into the account's Outbox, durably.
pub async fn enqueue(store_path: PathBuf, account: String, msg: NewMessage) -> Result<Queued, Error> {
    let built = blocking(move || compose::build(&msg)).await?;
    let message_id = built.message_id.clone();
    let store = blocking(move || StoreHandle::spawn(Store::open(&store_path)?)).await?;
    outbox::enqueue(&store, &account, built.into_outgoing()).await?;
    Ok(Queued { account, message_id })
}
