//! What a sync tells its caller: progress while it runs, a report per folder at the end.

use serde::Serialize;

use crate::error::{Error, ErrorReport};
use crate::store::{Folder, Role};

/// Where a folder's sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// LIST / LSUB.
    Folders,
    Select,
    /// Comparing UIDs with the server, removing what it expunged.
    Expunges,
    /// Fetching the headers of new messages: `done` of `total`.
    Headers,
    /// Fetching flag changes.
    Flags,
    Done,
}

/// One progress event. `done`/`total` count messages in the current phase; `bytes` is the
/// header bytes received so far for this folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub folder: String,
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
    pub bytes: u64,
}

/// Receives progress events; called on the sync's task, so keep it quick (send to a
/// channel, update an atomic).
pub type ProgressFn<'a> = &'a (dyn Fn(&Progress) + Send + Sync);

/// A progress callback that ignores everything.
pub fn no_progress(_: &Progress) {}

/// The outcome of syncing one folder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub folder: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Messages in the store after the sync.
    pub total: u64,
    pub unread: u64,
    /// Messages added.
    pub new: u64,
    /// Messages whose flags the server changed.
    pub updated_flags: u64,
    /// Messages removed because the server no longer has them.
    pub expunged: u64,
    /// Messages stored as error rows (their header could not be read).
    pub errors: u64,
    /// The server's UIDVALIDITY changed: the cache of this folder was dropped and refilled.
    pub uidvalidity_changed: bool,
    /// Header FETCH items received, and their bytes (0 when nothing new: the cheap path).
    pub headers_fetched: u64,
    pub bytes: u64,
    /// Connections opened again after the server sent something unreadable.
    pub reconnects: u32,
    pub elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
}

impl SyncReport {
    pub(crate) fn for_folder(f: &Folder) -> SyncReport {
        SyncReport {
            folder: f.name.clone(),
            display_name: f.display_name.clone(),
            role: f.role,
            ..SyncReport::default()
        }
    }

    pub(crate) fn failed(f: &Folder, e: &Error) -> SyncReport {
        SyncReport { error: Some(ErrorReport::from(e)), ..SyncReport::for_folder(f) }
    }

    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// The outcome of syncing a whole account.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccountReport {
    pub account: String,
    pub folders: Vec<SyncReport>,
    /// IMAP connections opened (1 unless something needed a reconnect).
    pub connections: u32,
    pub elapsed_ms: u64,
    /// Changes made here and replayed to the server first.
    pub actions_replayed: usize,
    /// Changes the server refused (dropped: the server's state wins), with its words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions_refused: Vec<String>,
    /// Why the sync stopped before the last folder, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    /// What the server asked to be shown to the person (IMAP `[ALERT]`) during this sync,
    /// each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
}

impl AccountReport {
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.folders.iter().all(SyncReport::ok)
    }
}
