//! `tidings search [--account NAME] [--limit N] [--server] QUERY`: the stored messages
//! matching a query (the core's query language, `tidings_mail::search`), newest first, each
//! with where it matched. A mistake in the query exits with status 2 and says where it is.
//!
//! With `--server`, the IMAP servers are asked too (`tidings_mail::search::server`), for the
//! messages whose body is not stored: their hits follow, each `on_server`. Off by default,
//! so that a search stays local, offline and as fast as the store: scripts ask for it.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tidings_mail::account::Incoming;
use tidings_mail::config::Config;
use tidings_mail::net::Transcript;
use tidings_mail::profile::Profile;
use tidings_mail::search::server::{self, FolderOutcome, ServerLimits, ServerPlan};
use tidings_mail::search::{self, ParseError, Scope, SearchError};
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Store, StoreHandle, StoredHit};
use tidings_mail::sync::Engine;
use tidings_mail::{Error, ErrorReport};

use super::Out;
use super::output::{errln, outln};

/// Exit status for a query that cannot be read.
const EXIT_QUERY: u8 = 2;

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Only this account (name or id); all accounts otherwise.
    #[arg(long)]
    account: Option<String>,
    /// At most this many messages (up to 1000).
    #[arg(long, default_value_t = 50)]
    limit: u64,
    /// Skip this many messages first (the next page).
    #[arg(long, default_value_t = 0)]
    offset: u64,
    /// Ask the IMAP servers too, for messages whose body is not stored here.
    #[arg(long)]
    server: bool,
    /// Words, "phrases", from: to: cc: subject: body: filename: has:attachment
    /// is:unread|read|flagged|answered before: after: date: (2024-05-01, 7d) folder: account:
    /// larger: smaller: (10k, 2M), OR, -word, (…). Several arguments are joined with spaces.
    #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
    query: Vec<String>,
}

pub fn run(args: SearchArgs, profile: &Profile, out: &Out) -> ExitCode {
    match search_cmd(args, profile, out) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

fn search_cmd(args: SearchArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    let mut scope = Scope {
        account_names: config.accounts.iter().map(|a| (a.name.clone(), a.id.clone())).collect(),
        ..Scope::default()
    };
    if let Some(name) = &args.account {
        let account = config.account(name).ok_or_else(|| {
            Error::config(format!("there is no account \"{name}\" (see `tidings account list`)"))
        })?;
        scope.accounts.push(account.id.clone());
    }
    let query = args.query.join(" ");
    let mut store = Store::open(profile.store_path())?;
    // Bodies stored before search existed (or by a pass that ended before their turn) are
    // indexed first, so that the answer covers every stored message.
    let backlog = store.index_backlog()?;
    if backlog > 0 {
        errln!("indexing {backlog} stored messages for search…");
        store.index_pending(usize::MAX, Duration::MAX)?;
    }
    let mut hits = match search::search(&store, &query, &scope, args.limit, args.offset) {
        Ok(hits) => hits,
        Err(SearchError::Query(e)) => return Ok(query_error(&query, &e, out)),
        Err(SearchError::Store(e)) => return Err(e),
    };
    let asked = if args.server {
        let imap: Vec<String> = config
            .accounts
            .iter()
            .filter(|a| a.incoming_protocol == Incoming::Imap)
            .filter(|a| scope.accounts.is_empty() || scope.accounts.contains(&a.id))
            .map(|a| a.id.clone())
            .collect();
        match server::plan_server(&store, &query, &scope, &imap) {
            Ok(plan) => plan.map(|plan| on_server(&config, profile, plan, &mut hits)).transpose()?,
            Err(SearchError::Query(e)) => return Ok(query_error(&query, &e, out)),
            Err(SearchError::Store(e)) => return Err(e),
        }
    } else {
        None
    };
    let name_of = |id: &str| {
        config.accounts.iter().find(|a| a.id == id).map_or_else(|| id.to_string(), |a| a.name.clone())
    };
    if out.json {
        let hits: Vec<serde_json::Value> = hits.iter().map(|h| hit_json(h, &name_of(&h.account))).collect();
        let mut answer = serde_json::json!({ "ok": true, "query": query, "hits": hits });
        if let Some(asked) = &asked {
            answer["server"] = asked.json();
        }
        out.print_json(&answer);
    } else if hits.is_empty() {
        let place = if asked.is_some() { "message here or on the server" } else { "stored message" };
        outln!("no {place} matches {query}");
    } else {
        for h in &hits {
            let from = h.from_name.as_deref().or(h.from_addr.as_deref()).unwrap_or("");
            outln!(
                "{} {} {:>6} {} {:<24} {}{}",
                name_of(&h.account),
                h.folder_display,
                h.uid,
                tidings_mail::civil::day(h.date),
                from,
                h.subject.as_deref().unwrap_or("(no subject)"),
                if h.on_server { "  (on server)" } else { "" }
            );
            if let Some(m) = &h.matched {
                outln!("    {}: {}", m.field, m.marked("[", "]"));
            }
        }
    }
    if let Some(asked) = &asked
        && !out.json
    {
        asked.print();
    }
    Ok(ExitCode::SUCCESS)
}

/// What the servers were asked and said.
struct Asked {
    keys: String,
    left_out: Vec<String>,
    folders: Vec<FolderOutcome>,
    /// Accounts that could not be searched (name, why).
    failed: Vec<(String, Error)>,
}

impl Asked {
    fn json(&self) -> serde_json::Value {
        let folders: Vec<serde_json::Value> = self
            .folders
            .iter()
            .map(|o| {
                serde_json::json!({
                    "account_id": o.folder.account,
                    "folder": o.folder.name,
                    "searched_uids": o.folder.within,
                    "listed": o.listed,
                    "beyond_cap": o.beyond_cap,
                    "not_synced": o.not_synced,
                    "hits": o.hits.len(),
                    "error": o.error.as_ref().map(ErrorReport::from),
                })
            })
            .collect();
        let failed: Vec<serde_json::Value> = self
            .failed
            .iter()
            .map(|(name, e)| serde_json::json!({ "account": name, "error": ErrorReport::from(e) }))
            .collect();
        serde_json::json!({
            "keys": self.keys,
            "left_out": self.left_out,
            "folders": folders,
            "failed": failed,
        })
    }

    fn print(&self) {
        let mut line = format!("asked the server: UID SEARCH {}", self.keys);
        if !self.left_out.is_empty() {
            line.push_str(&format!(" (checked here only: {})", self.left_out.join(" ")));
        }
        errln!("{line}");
        let not_synced: u64 = self.folders.iter().map(|o| o.not_synced).sum();
        if not_synced > 0 {
            errln!("{not_synced} more found on the server are not synced yet (`tidings sync` first)");
        }
        for o in &self.folders {
            if o.beyond_cap > 0 {
                errln!("{}: only the newest of {} found were looked at", o.folder.display_name, o.listed);
            }
            if let Some(e) = &o.error {
                errln!("{}: {e}", o.folder.display_name);
            }
        }
        for (name, e) in &self.failed {
            errln!("{name}: cannot search the server: {e}");
        }
    }
}

/// Asks each account's server about `plan`'s folders; adds the hits to `hits`, newest first.
fn on_server(
    config: &Config,
    profile: &Profile,
    plan: ServerPlan,
    hits: &mut Vec<StoredHit>,
) -> Result<Asked, Error> {
    let rt = super::sync::runtime()?;
    let store = StoreHandle::spawn(Store::open(profile.store_path())?)?;
    let skip: HashSet<_> = hits.iter().map(|h| (h.folder_id, h.uid)).collect();
    let mut asked = Asked {
        keys: plan.keys_text(),
        left_out: plan.left_out.clone(),
        folders: Vec::new(),
        failed: Vec::new(),
    };
    let mut accounts: Vec<&str> = plan.folders.iter().map(|f| f.account.as_str()).collect();
    accounts.dedup();
    let secrets = Secrets::system();
    for id in accounts {
        let Some(account) = config.accounts.iter().find(|a| a.id == id) else { continue };
        let searched = super::sync::incoming_credential(account, &secrets, &rt).and_then(|credential| {
            // Like `tidings sync`: no log file, which would hold what was searched for.
            let mut engine =
                Engine::new(account, credential, store.clone(), Transcript::with_capacity(2_000))?;
            rt.block_on(async {
                let r = server::run(&mut engine, &plan, &skip, ServerLimits::default(), &mut |o| {
                    asked.folders.push(o)
                })
                .await;
                let _ = engine.logout().await;
                r
            })
        });
        if let Err(e) = searched {
            asked.failed.push((account.name.clone(), e));
        }
    }
    hits.extend(asked.folders.iter().flat_map(|o| o.hits.iter().cloned()));
    hits.sort_by_key(|h| std::cmp::Reverse(h.date));
    Ok(asked)
}

fn hit_json(h: &StoredHit, account: &str) -> serde_json::Value {
    serde_json::json!({
        "account": account,
        "account_id": h.account,
        "folder": h.folder,
        "id": h.uid,
        "date": h.date,
        "from": { "name": h.from_name, "address": h.from_addr },
        "subject": h.subject,
        "unread": h.unread,
        "matched": h.matched,
        "on_server": h.on_server,
    })
}

/// The query's mistake: where (a caret under it) and what was expected. Exit status 2.
fn query_error(query: &str, e: &ParseError, out: &Out) -> ExitCode {
    if out.json {
        out.print_json(&serde_json::json!({
            "ok": false,
            "error": { "kind": "query", "message": e.message, "at": e.at },
        }));
    } else {
        errln!("tidings: query error: {e}");
        errln!("  {query}");
        errln!("  {}^", " ".repeat(e.at.saturating_sub(1)));
    }
    ExitCode::from(EXIT_QUERY)
}
