//! Search over the local store: a query language in the style of Gmail and notmuch, read
//! by [`parse`] into a tree, planned by [`plan`] into SQL on the store's FTS5 index
//! (`message_search`, schema version 7), and run newest first with a marked snippet of where
//! each message matched.
//!
//! ```text
//! budget "quarterly report"        words (the last one a prefix while typing) and phrases
//! from: to: cc: subject: body: filename:
//! has:attachment  is:unread|read|flagged|answered
//! before: after: date:             2024-05-01, 2024-05, 2024, or 7d 2w 3m 1y ago
//! folder: account:  larger: smaller: (10k, 2M)
//! a OR b   -a (NOT a)   (…)        side by side: all must match
//! ```
//!
//! For IMAP messages whose body is not stored, [`server`] asks the server's own
//! `UID SEARCH` and marks its hits `on_server`.
//!
//! **Blocking**, as the store is: run it on the store's thread or a worker. A long query
//! stops when [`crate::store::Store::interrupt_handle`]'s `interrupt()` is called from
//! another thread.

pub mod parse;
pub mod plan;
pub mod server;

pub use parse::{Expr, ParseError};
pub use plan::Context;

use crate::error::Error;
use crate::store::{FolderId, Store, StoredHit};

/// One message found.
pub type Hit = StoredHit;

/// Where to look, besides what the query says.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only these accounts (config ids); all when empty.
    pub accounts: Vec<String>,
    /// Only these folders; all when empty.
    pub folders: Vec<FolderId>,
    /// Account names people use, with their config ids (name, id), for `account:`.
    pub account_names: Vec<(String, String)>,
}

/// Why a search gave no answer: the query (pointed at), or the store.
#[derive(Debug)]
pub enum SearchError {
    Query(ParseError),
    Store(Error),
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::Query(e) => write!(f, "{e}"),
            SearchError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SearchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SearchError::Query(e) => Some(e),
            SearchError::Store(e) => Some(e),
        }
    }
}

impl From<ParseError> for SearchError {
    fn from(e: ParseError) -> Self {
        SearchError::Query(e)
    }
}

impl From<Error> for SearchError {
    fn from(e: Error) -> Self {
        SearchError::Store(e)
    }
}

/// The messages matching `query` within `scope`, newest first: `limit` of them (at most
/// [`crate::limits::MAX_SEARCH_HITS`]) after skipping `offset`.
pub fn search(
    store: &Store,
    query: &str,
    scope: &Scope,
    limit: u64,
    offset: u64,
) -> Result<Vec<Hit>, SearchError> {
    let expr = parse::parse(query)?;
    let folders = store.search_folders()?;
    let cx = Context { folders: &folders, accounts: &scope.account_names, now: crate::store::now() };
    let mut planned = plan::plan(&expr, &cx)?;
    let within = within(scope, &folders);
    if !within.is_empty() {
        planned.condition = format!("({}) AND {}", planned.condition, within.join(" AND "));
    }
    Ok(store.run_search(&planned, limit, offset)?)
}

/// The conditions on `m.folder` that keep a search within `scope`.
fn within(scope: &Scope, folders: &[crate::store::SearchFolder]) -> Vec<String> {
    let mut within = Vec::new();
    if !scope.accounts.is_empty() {
        let ids: Vec<String> = folders
            .iter()
            .filter(|f| scope.accounts.contains(&f.account_key))
            .map(|f| f.id.0.to_string())
            .collect();
        within.push(if ids.is_empty() {
            "0".to_string()
        } else {
            format!("m.folder IN ({})", ids.join(", "))
        });
    }
    if !scope.folders.is_empty() {
        let ids: Vec<String> = scope.folders.iter().map(|f| f.0.to_string()).collect();
        within.push(format!("m.folder IN ({})", ids.join(", ")));
    }
    within
}
