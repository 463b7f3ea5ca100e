//! "Preview next receive" for a POP3 account: the dry run of the receive pass with the
//! options as edited (saved or not), listing each server message with what will happen to
//! it and why. The keyring, the store and the network are used off the UI thread, in the
//! task [`run`] returns; nothing is downloaded, deleted or written.

use std::collections::BTreeMap;
use std::time::SystemTime;

use tidings_mail::account::{Account, SecretRole};
use tidings_mail::auth::{self, Credential};
use tidings_mail::error::{Error, Kind};
use tidings_mail::net::Transcript;
use tidings_mail::pop3::{self, PlanItem, Pop3Plan, Pop3Target, Reason};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Store, StoreHandle};

/// Rows shown at most; the CLI's `tidings sync --dry-run` lists them all.
pub const MAX_ROWS: usize = 300;

/// What the preview needs: the account as edited, and a newly typed password if any.
pub struct Request {
    pub account: Account,
    pub password: Option<String>,
}

/// Where the preview is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum State {
    #[default]
    Idle,
    Running,
    Done(Box<Pop3Plan>),
    /// Why it failed, in plain words (with the server's own).
    Failed(String),
}

/// The task's answer: the plan, or what went wrong in words.
pub type Outcome = Result<Box<Pop3Plan>, String>;

/// The dry run, off the UI thread.
pub async fn run(profile: Profile, secrets: Secrets, request: Request) -> Outcome {
    plan(profile, secrets, request).await.map(Box::new).map_err(|e| describe(&e))
}

async fn plan(profile: Profile, secrets: Secrets, request: Request) -> Result<Pop3Plan, Error> {
    let Request { account, password } = request;
    let credential = match password {
        Some(p) => Credential::password(&account.incoming.user, p),
        None => auth::credential(&account, &secrets, SecretRole::Incoming).await.map_err(|e| {
            if e.kind() == Kind::Config {
                Error::config("no password is stored for this account; type it in the password field")
            } else {
                e
            }
        })?,
    };
    let path = profile.store_path();
    let store = blocking(move || {
        // Only read: without a store nothing was downloaded yet.
        let store = if path.exists() { Store::open(&path)? } else { Store::open_in_memory()? };
        StoreHandle::spawn(store)
    })
    .await?;
    let target = Pop3Target::for_account(&account, credential)?;
    let transcript = Transcript::with_capacity(500);
    transcript.elide_pop3_data(true);
    pop3::plan(&target, &account.options.pop3, &store, SystemTime::now(), &transcript).await
}

async fn blocking<R: Send + 'static>(
    job: impl FnOnce() -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    tokio::task::spawn_blocking(job).await.unwrap_or_else(|join| {
        Err(Error::new(Kind::Storage, format!("cannot preview the next receive: the task stopped ({join})")))
    })
}

fn describe(e: &Error) -> String {
    let mut out = super::sentence(e.message());
    if let Some(words) = e.server_words() {
        out.push_str(&format!(" The server said: “{words}”"));
    }
    out.push(' ');
    out.push_str(e.advice());
    out
}

/// One server message in the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: u32,
    pub uid: String,
    pub size: u64,
    pub action: &'static str,
    pub why: String,
    /// "Subject — Sender" of a message stored here; empty for one not downloaded yet.
    pub message: String,
}

/// How a stored message is named in the preview.
pub fn named(stored: Option<&tidings_mail::store::Described>) -> String {
    let Some(d) = stored else { return String::new() };
    let subject = d.subject.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or("(no subject)");
    match &d.from {
        Some(from) => format!("{subject} — {from}"),
        None => subject.to_string(),
    }
}

/// Every server message once, by number: a new message deleted once downloaded is one row.
pub fn rows(plan: &Pop3Plan) -> Vec<Row> {
    let row = |item: &PlanItem, action: &'static str| Row {
        number: item.number,
        uid: item.uid.clone().unwrap_or_else(|| "(no UID)".into()),
        size: item.size,
        action,
        why: item.reason.describe(),
        message: named(item.stored.as_ref()),
    };
    let mut rows: BTreeMap<u32, Row> = BTreeMap::new();
    let lists = [(&plan.download, "Download"), (&plan.skip, "Skip"), (&plan.keep, "Keep")];
    for (list, action) in lists {
        for item in list {
            rows.insert(item.number, row(item, action));
        }
    }
    for item in &plan.delete {
        if let Reason::NotLeavingOnServer { after_download: true } = item.reason
            && let Some(downloaded) = rows.get_mut(&item.number)
        {
            downloaded.action = "Download, then delete";
            downloaded.why = format!("{}; {}", downloaded.why, item.reason.describe());
            continue;
        }
        rows.insert(item.number, row(item, "Delete"));
    }
    rows.into_values().collect()
}

/// "12 messages on the server: 3 to download, 1 to delete, 8 to keep."
pub fn totals(plan: &Pop3Plan) -> String {
    let mut parts = vec![
        format!("{} to download", plan.download.len()),
        format!("{} to delete", plan.delete.len()),
        format!("{} to keep", plan.keep.len()),
    ];
    if !plan.skip.is_empty() {
        parts.push(format!("{} to skip", plan.skip.len()));
    }
    match plan.unreadable.len() {
        0 => {}
        1 => parts.push("1 listing line that cannot be read".into()),
        n => parts.push(format!("{n} listing lines that cannot be read")),
    }
    let n = plan.server_messages;
    format!("{n} message{} on the server: {}.", if n == 1 { "" } else { "s" }, parts.join(", "))
}

/// A size in B, KB or MB.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(number: u32, reason: Reason) -> PlanItem {
        PlanItem { number, uid: Some(format!("u{number}")), size: 2048, reason, stored: None }
    }

    #[test]
    fn one_row_per_server_message_with_what_and_why() {
        let plan = Pop3Plan {
            server_messages: 4,
            server_bytes: 8192,
            uidl: true,
            download: vec![item(3, Reason::New), item(4, Reason::New)],
            skip: vec![],
            delete: vec![
                item(1, Reason::DeletedLocally),
                item(4, Reason::NotLeavingOnServer { after_download: true }),
            ],
            keep: vec![item(2, Reason::LeftOnServer { age_days: 2, delete_after_days: None })],
            unreadable: vec![],
        };
        let rows = rows(&plan);
        let got: Vec<(u32, &str, &str)> = rows.iter().map(|r| (r.number, r.action, r.why.as_str())).collect();
        assert_eq!(
            got,
            [
                (1, "Delete", "deleted here"),
                (2, "Keep", "downloaded 2 days ago (a copy stays on the server)"),
                (3, "Download", "new"),
                (
                    4,
                    "Download, then delete",
                    "new; not leaving copies on the server (deleted once downloaded)"
                ),
            ]
        );
        assert_eq!(totals(&plan), "4 messages on the server: 2 to download, 2 to delete, 1 to keep.");
    }
}
