//! `tidings search [--account NAME] [--limit N] QUERY`: the stored messages matching a query
//! (the core's query language, `tidings_mail::search`), newest first, each with where it
//! matched. A mistake in the query exits with status 2 and says where it is.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tidings_mail::Error;
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::search::{self, ParseError, Scope, SearchError};
use tidings_mail::store::{Store, StoredHit};

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
    let hits = match search::search(&store, &query, &scope, args.limit, args.offset) {
        Ok(hits) => hits,
        Err(SearchError::Query(e)) => return Ok(query_error(&query, &e, out)),
        Err(SearchError::Store(e)) => return Err(e),
    };
    let name_of = |id: &str| {
        config.accounts.iter().find(|a| a.id == id).map_or_else(|| id.to_string(), |a| a.name.clone())
    };
    if out.json {
        let hits: Vec<serde_json::Value> = hits.iter().map(|h| hit_json(h, &name_of(&h.account))).collect();
        out.print_json(&serde_json::json!({ "ok": true, "query": query, "hits": hits }));
    } else if hits.is_empty() {
        outln!("no stored message matches {query}");
    } else {
        for h in &hits {
            let from = h.from_name.as_deref().or(h.from_addr.as_deref()).unwrap_or("");
            outln!(
                "{} {} {:>6} {} {:<24} {}",
                name_of(&h.account),
                h.folder_display,
                h.uid,
                tidings_mail::civil::day(h.date),
                from,
                h.subject.as_deref().unwrap_or("(no subject)")
            );
            if let Some(m) = &h.matched {
                outln!("    {}: {}", m.field, m.marked("[", "]"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
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
