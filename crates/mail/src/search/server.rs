//! The server's own `UID SEARCH`, for IMAP messages whose body is not stored: the store's
//! index knows their headers but not their text, so a word from a body can only be found
//! by the server.
//!
//! [`plan_server`] (blocking, on the store) reads the query twice:
//! - as IMAP search keys (RFC 3501 §6.4.4): words and phrases as `TEXT`, `BODY`, `FROM`,
//!   `TO`, `CC`, `SUBJECT`; `is:` as `UNSEEN`, `SEEN`, `FLAGGED`, `ANSWERED`; sizes as
//!   `LARGER`/`SMALLER`; dates as `SENTSINCE`/`SENTBEFORE` (the Date header, what the
//!   store sorts and filters on — `SINCE`/`BEFORE` would look at the arrival date) a day
//!   wider on each side, as the server's days are not the local ones; `OR`, `NOT` and
//!   parentheses as they are. What the server cannot be asked (`filename:`,
//!   `has:attachment`, `folder:`, `account:`, a date under a NOT) is left out of the keys
//!   — the server then finds more, never less — and listed in [`ServerPlan::left_out`];
//! - as a condition for the store, for what it can check without the body: every term but
//!   the words that look into bodies. Only folders where a message matching it has no
//!   stored body are searched, each within the UIDs of such messages.
//!
//! [`run`] asks one account's server, folder by folder, through the sync engine's
//! connection. Of the UIDs it answers, those the store knows (headers synced), without a
//! stored body and matching the store's condition, are hits marked `on_server`; the
//! store's own hits are not repeated; UIDs the store does not know (not synced yet) are
//! counted, not shown.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Days, Local};

use super::parse::{self, DateOp, Expr, Field, Flag, Term};
use super::plan::{self, Context, span};
use super::{Hit, Scope, SearchError, within};
use crate::error::{Error, Kind, Result};
use crate::limits;
use crate::store::{FolderId, PlannedQuery, Store};
use crate::sync::{Engine, SearchArg};

/// What the server is asked, and where.
#[derive(Debug, Clone)]
pub struct ServerPlan {
    /// The search keys, after `UID SEARCH` and the UID set.
    pub keys: Vec<SearchArg>,
    /// The terms the server is not asked (the store checks them on its hits), as typed.
    pub left_out: Vec<String>,
    /// The folders to search.
    pub folders: Vec<ServerFolder>,
    /// What the store checks on the server's hits (and the words their snippets mark).
    local: PlannedQuery,
}

impl ServerPlan {
    /// The keys as the command spells them (literals shown as quoted strings).
    pub fn keys_text(&self) -> String {
        let parts: Vec<String> = self
            .keys
            .iter()
            .map(|k| match k {
                SearchArg::Atom(a) => a.clone(),
                SearchArg::Text(t) => format!("{t:?}"),
            })
            .collect();
        parts.join(" ").replace("( ", "(").replace(" )", ")")
    }
}

/// One folder to search on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFolder {
    /// The account's config id.
    pub account: String,
    pub id: FolderId,
    /// As the server spells it.
    pub name: String,
    pub display_name: String,
    pub uidvalidity: u32,
    /// The UIDs searched: runs of messages without a stored body.
    pub within: String,
    /// How many of its messages could match but have no stored body.
    pub unkept: u64,
}

/// What one folder's search gave.
#[derive(Debug)]
pub struct FolderOutcome {
    pub folder: ServerFolder,
    /// The new hits, newest first, each `on_server`.
    pub hits: Vec<Hit>,
    /// UIDs the server listed.
    pub listed: u64,
    /// Of those, past [`ServerLimits::cap`]: counted, not looked at.
    pub beyond_cap: u64,
    /// Of those looked at, the UIDs the store does not know (not synced yet).
    pub not_synced: u64,
    /// Why the folder could not be searched.
    pub error: Option<Error>,
}

/// How much one folder's search may cost.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// UIDs taken from one answer (the newest).
    pub cap: usize,
    /// Time for one folder, from SELECT to the end of the answer.
    pub time: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits { cap: limits::MAX_SERVER_SEARCH_UIDS, time: limits::SERVER_SEARCH_TIME }
    }
}

/// The server's side of `query` within `scope`, for the accounts of `imap_accounts` (config
/// ids). `None` when the server has nothing to add: no word of the query looks into bodies,
/// or every message it could find has its body stored.
pub fn plan_server(
    store: &Store,
    query: &str,
    scope: &Scope,
    imap_accounts: &[String],
) -> std::result::Result<Option<ServerPlan>, SearchError> {
    let expr = parse::parse(query)?;
    let folders = store.search_folders()?;
    let now = crate::store::now();
    let cx = Context { folders: &folders, accounts: &scope.account_names, now };
    // Planned whole first: a folder or an account that is not there is an error here too.
    let marks = plan::plan(&expr, &cx)?.marks;
    if !looks_into_bodies(&expr, true) {
        return Ok(None);
    }
    let mut left_out = Vec::new();
    let keys = match translate(&expr, true, now, &mut left_out) {
        Sx::Keys(keys) => unwrap_parens(keys),
        Sx::True | Sx::False => return Ok(None),
    };
    let mut local = match for_store(&expr, true) {
        Lx::Expr(e) => plan::plan(&e, &cx)?,
        Lx::True => PlannedQuery { condition: "1".into(), ..PlannedQuery::default() },
        Lx::False => return Ok(None),
    };
    local.marks = marks;
    let asked: Vec<String> = folders
        .iter()
        .filter(|f| imap_accounts.contains(&f.account_key))
        .map(|f| f.id.0.to_string())
        .collect();
    let mut restrict = within(scope, &folders);
    restrict.push(if asked.is_empty() { "0".into() } else { format!("m.folder IN ({})", asked.join(", ")) });
    local.condition = format!("({}) AND {}", local.condition, restrict.join(" AND "));

    let rows = store.unkept_matches(&local)?;
    let mut by_folder: Vec<(FolderId, Vec<(u32, bool)>)> = Vec::new();
    for (folder, uid, wanted) in rows {
        match by_folder.last_mut() {
            Some((f, v)) if *f == folder => v.push((uid, wanted)),
            _ => by_folder.push((folder, vec![(uid, wanted)])),
        }
    }
    let mut uidvalidity = HashMap::new();
    for account in folders.iter().map(|f| f.account).collect::<HashSet<_>>() {
        for f in store.folders(account)? {
            if let Some(v) = f.uidvalidity.filter(|_| f.selectable) {
                uidvalidity.insert(f.id, v);
            }
        }
    }
    let mut out = Vec::new();
    for (id, rows) in by_folder {
        let (Some(f), Some(v)) = (folders.iter().find(|f| f.id == id), uidvalidity.get(&id)) else {
            continue;
        };
        out.push(ServerFolder {
            account: f.account_key.clone(),
            id,
            name: f.name.clone(),
            display_name: f.display_name.clone(),
            uidvalidity: *v,
            within: runs(&rows),
            unkept: rows.iter().filter(|(_, w)| *w).count() as u64,
        });
    }
    if out.is_empty() {
        return Ok(None);
    }
    Ok(Some(ServerPlan { keys, left_out, folders: out, local }))
}

/// Searches `plan`'s folders of `engine`'s account on its server, one after the other,
/// handing each folder's outcome to `found` as it comes. `skip` holds the store's own hits
/// (folder, UID), not repeated. A folder that fails is reported and the next one searched,
/// unless the failure means the others would fail too (network, login, settings), which
/// ends the search with that error.
///
/// Dropping the future stops the search; the connection in use is closed with it.
pub async fn run(
    engine: &mut Engine,
    plan: &ServerPlan,
    skip: &HashSet<(FolderId, u32)>,
    limits: ServerLimits,
    found: &mut (dyn FnMut(FolderOutcome) + Send),
) -> Result<()> {
    let account = engine.account_key().to_string();
    for folder in plan.folders.iter().filter(|f| f.account == account) {
        let within = (!folder.within.is_empty()).then_some(folder.within.as_str());
        let answer = engine
            .search_folder(&folder.name, folder.uidvalidity, within, &plan.keys, limits.cap, limits.time)
            .await;
        let mut outcome = FolderOutcome {
            folder: folder.clone(),
            hits: Vec::new(),
            listed: 0,
            beyond_cap: 0,
            not_synced: 0,
            error: None,
        };
        match answer {
            Ok(uids) => {
                outcome.listed = uids.listed;
                outcome.beyond_cap = uids.left_out();
                if !uids.uids.is_empty() {
                    let (hits, not_synced) = hits(engine, plan, folder, uids.uids, skip).await?;
                    outcome.hits = hits;
                    outcome.not_synced = not_synced;
                }
            }
            Err(e) if matches!(e.kind(), Kind::Network | Kind::Tls | Kind::Auth | Kind::Config) => {
                return Err(e);
            }
            Err(e) => outcome.error = Some(e),
        }
        found(outcome);
    }
    Ok(())
}

/// The store's messages among `uids` that are hits, and how many of `uids` it does not know.
async fn hits(
    engine: &Engine,
    plan: &ServerPlan,
    folder: &ServerFolder,
    uids: Vec<u32>,
    skip: &HashSet<(FolderId, u32)>,
) -> Result<(Vec<Hit>, u64)> {
    let mut q = plan.local.clone();
    let list: Vec<String> = uids.iter().map(u32::to_string).collect();
    q.condition = format!(
        "({}) AND m.folder = {} AND m.uidvalidity = {} AND m.uid IN ({}) \
         AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message = m.id)",
        q.condition,
        folder.id.0,
        folder.uidvalidity,
        list.join(", ")
    );
    let (id, validity) = (folder.id, folder.uidvalidity);
    let (found, known) = engine
        .store_handle()
        .call(move |s| {
            let known: HashSet<u32> = s.uids(id, validity)?.into_iter().collect();
            Ok((s.run_search(&q, limits::MAX_SEARCH_HITS, 0)?, known))
        })
        .await?;
    let not_synced = uids.iter().filter(|u| !known.contains(u)).count() as u64;
    let hits = found
        .into_iter()
        .filter(|h| !skip.contains(&(h.folder_id, h.uid)))
        .map(|h| Hit { on_server: true, ..h })
        .collect();
    Ok((hits, not_synced))
}

/// Whether a word that may look into bodies (a bare word, `body:`) must match.
fn looks_into_bodies(e: &Expr, positive: bool) -> bool {
    match e {
        Expr::Term(Term::Text { field: Field::Any | Field::Body, .. }) => positive,
        Expr::Term(_) => false,
        Expr::Not(inner) => looks_into_bodies(inner, !positive),
        Expr::And(parts) | Expr::Or(parts) => parts.iter().any(|p| looks_into_bodies(p, positive)),
    }
}

/// The UIDs of the rows marked wanted, as runs that no other stored message breaks (a UID
/// no message has here, expunged or not synced, does not): compact for the command. A set
/// too long for a command line is one range from the first to the last.
fn runs(rows: &[(u32, bool)]) -> String {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    let mut open = false;
    for &(uid, wanted) in rows {
        match (wanted, open) {
            (true, true) => {
                if let Some(last) = ranges.last_mut() {
                    last.1 = uid;
                }
            }
            (true, false) => ranges.push((uid, uid)),
            (false, _) => {}
        }
        open = wanted;
    }
    let set = ranges
        .iter()
        .map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}:{b}") })
        .collect::<Vec<_>>()
        .join(",");
    match (ranges.first(), ranges.last()) {
        (Some(first), Some(last)) if set.len() > limits::MAX_SEARCH_SET_CHARS => {
            format!("{}:{}", first.0, last.1)
        }
        _ => set,
    }
}

/// A part of the server's query: a search key, or a constant where a term could not be
/// said (true at a positive place, false under a NOT, so the answer only grows).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sx {
    True,
    False,
    /// One search key (several in parentheses).
    Keys(Vec<SearchArg>),
}

fn atom(a: impl Into<String>) -> SearchArg {
    SearchArg::Atom(a.into())
}

fn constant(positive: bool) -> Sx {
    if positive { Sx::True } else { Sx::False }
}

/// `e` as a search key; `positive` is false under an odd number of NOTs. Terms the
/// server is not asked go to `left_out`.
fn translate(e: &Expr, positive: bool, now: i64, left_out: &mut Vec<String>) -> Sx {
    match e {
        Expr::And(parts) => {
            let mut keys = Vec::new();
            let mut n = 0;
            for p in parts {
                match translate(p, positive, now, left_out) {
                    Sx::False => return Sx::False,
                    Sx::True => {}
                    Sx::Keys(k) => {
                        keys.extend(k);
                        n += 1;
                    }
                }
            }
            match n {
                0 => Sx::True,
                1 => Sx::Keys(keys),
                _ => Sx::Keys([vec![atom("(")], keys, vec![atom(")")]].concat()),
            }
        }
        Expr::Or(parts) => {
            let mut keys: Vec<Vec<SearchArg>> = Vec::new();
            for p in parts {
                match translate(p, positive, now, left_out) {
                    Sx::True => return Sx::True,
                    Sx::False => {}
                    Sx::Keys(k) => keys.push(k),
                }
            }
            // OR takes two keys: a OR b OR c is OR a OR b c.
            let mut it = keys.into_iter().rev();
            let Some(mut acc) = it.next() else { return Sx::False };
            for k in it {
                acc = [vec![atom("OR")], k, acc].concat();
            }
            Sx::Keys(acc)
        }
        Expr::Not(inner) => match translate(inner, !positive, now, left_out) {
            Sx::True => Sx::False,
            Sx::False => Sx::True,
            Sx::Keys(k) => Sx::Keys([vec![atom("NOT")], k].concat()),
        },
        Expr::Term(t) => term(t, positive, now, left_out),
    }
}

fn term(t: &Term, positive: bool, now: i64, left_out: &mut Vec<String>) -> Sx {
    let text = |key: &str, text: &str| Sx::Keys(vec![atom(key), SearchArg::Text(text.to_string())]);
    match t {
        Term::Text { field, text: t, .. } => match field {
            Field::Any => text("TEXT", t),
            Field::Body => text("BODY", t),
            Field::From => text("FROM", t),
            Field::To => text("TO", t),
            Field::Cc => text("CC", t),
            Field::Subject => text("SUBJECT", t),
            Field::Filename => {
                left_out.push(format!("filename:{t}"));
                constant(positive)
            }
        },
        Term::Is(flag) => Sx::Keys(vec![atom(match flag {
            Flag::Unread => "UNSEEN",
            Flag::Read => "SEEN",
            Flag::Flagged => "FLAGGED",
            Flag::Answered => "ANSWERED",
        })]),
        Term::Larger(n) => Sx::Keys(vec![atom("LARGER"), atom(n.to_string())]),
        Term::Smaller(n) => Sx::Keys(vec![atom("SMALLER"), atom(n.to_string())]),
        Term::Date(op, when) if positive => {
            // A day of slack on each side: the server's days are not the local ones.
            let (start, end) = span(*when, now);
            let since = imap_date(start, -1).map(|d| vec![atom("SENTSINCE"), atom(d)]);
            let before = |t: i64| imap_date(t, 1).map(|d| vec![atom("SENTBEFORE"), atom(d)]);
            let keys = match op {
                DateOp::Before => before(start),
                DateOp::After => since,
                DateOp::On => {
                    since.zip(before(end)).map(|(s, b)| [vec![atom("(")], s, b, vec![atom(")")]].concat())
                }
            };
            keys.map_or(Sx::True, Sx::Keys)
        }
        Term::Date(op, _) => {
            let name = match op {
                DateOp::Before => "before:",
                DateOp::After => "after:",
                DateOp::On => "date:",
            };
            left_out.push(format!("-{name}"));
            constant(positive)
        }
        Term::HasAttachment => {
            left_out.push("has:attachment".into());
            constant(positive)
        }
        Term::Folder { name, .. } => {
            left_out.push(format!("folder:{name}"));
            constant(positive)
        }
        Term::Account { name, .. } => {
            left_out.push(format!("account:{name}"));
            constant(positive)
        }
    }
}

/// The top-level parentheses are not needed.
fn unwrap_parens(keys: Vec<SearchArg>) -> Vec<SearchArg> {
    let open = atom("(");
    let close = atom(")");
    if keys.first() == Some(&open) && keys.last() == Some(&close) {
        // Only when they enclose everything: "(a) OR (b)" has no such pair.
        let mut depth = 0;
        let whole = keys.iter().enumerate().all(|(i, k)| {
            if *k == open {
                depth += 1;
            } else if *k == close {
                depth -= 1;
            }
            depth > 0 || i == keys.len() - 1
        });
        if whole {
            return keys[1..keys.len() - 1].to_vec();
        }
    }
    keys
}

/// The local day of `t` moved by `days`, as IMAP writes dates (`1-Feb-2024`); `None` past
/// the calendar's ends.
fn imap_date(t: i64, days: i64) -> Option<String> {
    let day = DateTime::from_timestamp(t, 0)?.with_timezone(&Local).date_naive();
    let moved = if days >= 0 {
        day.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        day.checked_sub_days(Days::new(days.unsigned_abs()))
    }?;
    (1..=9999).contains(&chrono::Datelike::year(&moved)).then(|| moved.format("%-d-%b-%Y").to_string())
}

/// What the store checks on the server's hits: a condition, or a constant.
enum Lx {
    True,
    False,
    Expr(Expr),
}

/// `e` without the words that look into bodies (and attachment names, which come from
/// bodies too): they become a constant that lets the server's answer through.
fn for_store(e: &Expr, positive: bool) -> Lx {
    match e {
        Expr::Term(Term::Text { field: Field::Any | Field::Body | Field::Filename, .. }) => {
            if positive {
                Lx::True
            } else {
                Lx::False
            }
        }
        Expr::Term(t) => Lx::Expr(Expr::Term(t.clone())),
        Expr::Not(inner) => match for_store(inner, !positive) {
            Lx::True => Lx::False,
            Lx::False => Lx::True,
            Lx::Expr(e) => Lx::Expr(Expr::Not(Box::new(e))),
        },
        Expr::And(parts) => {
            let mut kept = Vec::new();
            for p in parts {
                match for_store(p, positive) {
                    Lx::False => return Lx::False,
                    Lx::True => {}
                    Lx::Expr(e) => kept.push(e),
                }
            }
            match kept.len() {
                0 => Lx::True,
                1 => Lx::Expr(kept.remove(0)),
                _ => Lx::Expr(Expr::And(kept)),
            }
        }
        Expr::Or(parts) => {
            let mut kept = Vec::new();
            for p in parts {
                match for_store(p, positive) {
                    Lx::True => return Lx::True,
                    Lx::False => {}
                    Lx::Expr(e) => kept.push(e),
                }
            }
            match kept.len() {
                0 => Lx::False,
                1 => Lx::Expr(kept.remove(0)),
                _ => Lx::Expr(Expr::Or(kept)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys for `q` as the command spells them, and what was left out.
    fn keys(q: &str) -> (String, Vec<String>) {
        let mut left_out = Vec::new();
        let expr = parse::parse(q).unwrap();
        // 2024-03-15 12:00 UTC: the relative dates count back from it.
        let text = match translate(&expr, true, 1_710_504_000, &mut left_out) {
            Sx::Keys(k) => ServerPlan {
                keys: unwrap_parens(k),
                left_out: Vec::new(),
                folders: Vec::new(),
                local: PlannedQuery::default(),
            }
            .keys_text(),
            Sx::True => "ALL".into(),
            Sx::False => "NONE".into(),
        };
        (text, left_out)
    }

    fn said(q: &str) -> String {
        let (text, left_out) = keys(q);
        assert!(left_out.is_empty(), "{q}: {left_out:?}");
        text
    }

    #[test]
    fn words_and_fields_are_their_search_keys() {
        assert_eq!(said("budget"), "TEXT \"budget\"");
        assert_eq!(said("\"quarterly report\""), "TEXT \"quarterly report\"");
        assert_eq!(said("body:zeppelin"), "BODY \"zeppelin\"");
        assert_eq!(said("from:ann"), "FROM \"ann\"");
        assert_eq!(said("to:bob"), "TO \"bob\"");
        assert_eq!(said("cc:cora"), "CC \"cora\"");
        assert_eq!(said("subject:lunch"), "SUBJECT \"lunch\"");
        // The last word still typed is a prefix to the store; to the server every word is a
        // substring anyway.
        assert_eq!(said("budg"), "TEXT \"budg\"");
        assert_eq!(said("Müller"), "TEXT \"Müller\"");
    }

    #[test]
    fn flags_sizes_and_dates_are_their_search_keys() {
        assert_eq!(said("is:unread"), "UNSEEN");
        assert_eq!(said("is:read"), "SEEN");
        assert_eq!(said("is:flagged"), "FLAGGED");
        assert_eq!(said("is:answered"), "ANSWERED");
        assert_eq!(said("larger:10k"), "LARGER 10240");
        assert_eq!(said("smaller:2M"), "SMALLER 2097152");
        // The Date header, a day wider on each side (the server's days are not ours).
        assert_eq!(said("before:2024-05-01"), "SENTBEFORE 2-May-2024");
        assert_eq!(said("after:2024-05-01"), "SENTSINCE 30-Apr-2024");
        assert_eq!(said("date:2024-05-01"), "SENTSINCE 30-Apr-2024 SENTBEFORE 3-May-2024");
        assert_eq!(said("date:2024-02"), "SENTSINCE 31-Jan-2024 SENTBEFORE 2-Mar-2024");
        assert_eq!(said("date:2023"), "SENTSINCE 31-Dec-2022 SENTBEFORE 2-Jan-2024");
        let (after, _) = keys("after:7d");
        assert!(after == "SENTSINCE 7-Mar-2024" || after == "SENTSINCE 6-Mar-2024", "{after}");
    }

    #[test]
    fn or_not_and_parentheses_keep_their_shape() {
        assert_eq!(said("budget is:unread"), "TEXT \"budget\" UNSEEN");
        assert_eq!(said("a OR b"), "OR TEXT \"a\" TEXT \"b\"");
        assert_eq!(said("a OR b OR c"), "OR TEXT \"a\" OR TEXT \"b\" TEXT \"c\"");
        assert_eq!(said("-spam budget"), "NOT TEXT \"spam\" TEXT \"budget\"");
        assert_eq!(said("NOT is:read"), "NOT SEEN");
        assert_eq!(said("(a b) OR c"), "OR (TEXT \"a\" TEXT \"b\") TEXT \"c\"");
        assert_eq!(said("x -(a OR from:b)"), "TEXT \"x\" NOT OR TEXT \"a\" FROM \"b\"");
        // Prefix OR needs no parentheses of its own.
        assert_eq!(said("(a OR b) (c OR d)"), "OR TEXT \"a\" TEXT \"b\" OR TEXT \"c\" TEXT \"d\"");
        assert_eq!(
            unwrap_parens(vec![atom("("), atom("A"), atom(")"), atom("("), atom("B"), atom(")")]).len(),
            6,
            "parentheses that do not enclose the whole stay"
        );
    }

    #[test]
    fn what_the_server_cannot_be_asked_is_left_out_and_the_answer_only_grows() {
        let (k, left) = keys("budget filename:report has:attachment folder:Archive account:work");
        assert_eq!(k, "TEXT \"budget\"");
        assert_eq!(left, ["filename:report", "has:attachment", "folder:Archive", "account:work"]);
        // In an OR, a term left out lets everything through: nothing left to ask.
        assert_eq!(keys("budget OR filename:report").0, "ALL");
        // Under a NOT it lets everything through too: NOT (a AND unknown) ⊇ NOT a.
        let (k, left) = keys("budget -(lunch has:attachment)");
        assert_eq!((k.as_str(), left.as_slice()), ("TEXT \"budget\"", &["has:attachment".to_string()][..]));
        let (k, left) = keys("budget -before:2024-05-01");
        assert_eq!((k.as_str(), left.as_slice()), ("TEXT \"budget\"", &["-before:".to_string()][..]));
        assert_eq!(keys("budget -(lunch OR filename:x)").0, "TEXT \"budget\" NOT TEXT \"lunch\"");
    }

    #[test]
    fn the_store_keeps_every_term_but_the_words_that_look_into_bodies() {
        let local = |q: &str| match for_store(&parse::parse(q).unwrap(), true) {
            Lx::True => "ALL".to_string(),
            Lx::False => "NONE".to_string(),
            Lx::Expr(e) => format!("{e:?}"),
        };
        assert_eq!(local("budget body:x filename:y"), "ALL");
        assert_eq!(local("budget is:unread"), "Term(Is(Unread))");
        assert!(local("budget from:ann").contains("From"), "{}", local("budget from:ann"));
        assert_eq!(local("budget OR is:unread"), "ALL");
        assert_eq!(local("-budget is:unread"), "Term(Is(Unread))");
        assert!(looks_into_bodies(&parse::parse("from:a budget").unwrap(), true));
        assert!(looks_into_bodies(&parse::parse("from:a OR body:x").unwrap(), true));
        assert!(!looks_into_bodies(&parse::parse("from:a -budget").unwrap(), true));
        assert!(!looks_into_bodies(&parse::parse("subject:a is:unread").unwrap(), true));
    }

    #[test]
    fn uid_runs_are_broken_only_by_stored_messages_not_wanted() {
        let rows = [(1, true), (2, true), (5, true), (6, false), (7, true), (9, true), (12, false)];
        assert_eq!(runs(&rows), "1:5,7:9");
        assert_eq!(runs(&[(3, true)]), "3");
        assert_eq!(runs(&[(3, false)]), "");
        // Too many runs for a command line: one range over them all.
        let rows: Vec<(u32, bool)> = (1..5_000).map(|u| (u, u % 2 == 0)).collect();
        assert_eq!(runs(&rows), "2:4998");
    }
}
