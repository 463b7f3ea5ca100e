//! `tidings sync [--account NAME] [--dry-run]`: one receive pass headless. IMAP: per folder
//! total and new. POP3: what was downloaded, deleted from the server and kept, with
//! "leave a copy on the server" and the account's other options; `--dry-run` shows which
//! server messages the next pass would download and delete, each with its reason, and
//! changes nothing.

use std::process::ExitCode;
use std::time::SystemTime;

use serde::Serialize;
use tidings_mail::account::{Account, Incoming, SecretRole};
use tidings_mail::auth::{self, Credential};
use tidings_mail::config::Config;
use tidings_mail::net::Transcript;
use tidings_mail::pop3::{self, PlanItem, Pop3Plan, Pop3Progress, Pop3Report, Pop3Target};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Store, StoreHandle};
use tidings_mail::sync::{AccountReport, Engine, Progress};
use tidings_mail::terminal;
use tidings_mail::{Error, ErrorReport, Kind};

use super::Out;
use super::output::{EXIT_FAILED, errln, outln};

#[derive(clap::Args, Debug)]
pub struct SyncArgs {
    /// Only this account (name or id).
    #[arg(long)]
    pub account: Option<String>,
    /// POP3: show which server messages the next pass would download and delete, and why;
    /// download and delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Where the mail store lives in a profile (one file for every account).
pub fn store_path(profile: &Profile) -> std::path::PathBuf {
    profile.store_path()
}

pub fn run(args: SyncArgs, profile: &Profile, out: &Out) -> ExitCode {
    let result = if args.dry_run {
        dry_run(args.account, profile, out)
    } else {
        run_inner(args.account, profile, out)
    };
    result.unwrap_or_else(|e| out.error(&e))
}

/// What one account's pass did.
#[derive(Serialize)]
#[serde(untagged)]
enum Outcome {
    Imap(AccountReport),
    Pop3(Pop3Report),
}

impl Outcome {
    fn ok(&self) -> bool {
        match self {
            Outcome::Imap(r) => r.ok(),
            Outcome::Pop3(r) => r.ok(),
        }
    }
}

fn chosen<'a>(config: &'a Config, only: &Option<String>) -> Result<Vec<&'a Account>, Error> {
    let accounts: Vec<&Account> = match only {
        Some(name) => vec![config.account(name).ok_or_else(|| {
            Error::config(format!("there is no account \"{name}\" (see `tidings account list`)"))
        })?],
        None => config.accounts.iter().collect(),
    };
    if accounts.is_empty() {
        return Err(Error::config("there is no account to sync; add one with `tidings account add`"));
    }
    Ok(accounts)
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    super::runtime().map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))
}

fn run_inner(only: Option<String>, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    let accounts = chosen(&config, &only)?;
    let secrets = Secrets::system();
    let store = StoreHandle::spawn(Store::open(store_path(profile))?)?;
    let rt = runtime()?;
    let mut results = Vec::new();
    for account in accounts {
        let result = match account.incoming_protocol {
            Incoming::Imap => sync_imap(account, &secrets, &store, &rt, out.json).map(Outcome::Imap),
            Incoming::Pop3 => {
                receive_pop3(account, profile, &secrets, &store, &rt, out.json).map(Outcome::Pop3)
            }
        };
        results.push((account, result));
    }
    // What the passes left queued on the store thread (a POP3 pass's checkpoint) runs before
    // the process ends; its error is not the passes' (the next commit checkpoints again).
    let _ = store.blocking_call(|_| Ok(()));
    let ok = results.iter().all(|(_, r)| r.as_ref().is_ok_and(Outcome::ok));
    if out.json {
        let items: Vec<serde_json::Value> = results
            .iter()
            .map(|(a, r)| {
                let (name, protocol) = (&a.name, protocol(a));
                match r {
                    Ok(report) => serde_json::json!({
                        "account": name, "protocol": protocol, "ok": report.ok(), "report": report
                    }),
                    Err(e) => serde_json::json!({
                        "account": name, "protocol": protocol, "ok": false, "error": ErrorReport::from(e)
                    }),
                }
            })
            .collect();
        out.print_json(&serde_json::json!({ "ok": ok, "accounts": items }));
    } else {
        for (account, r) in &results {
            match r {
                Ok(Outcome::Imap(report)) => print_imap(&account.name, report),
                Ok(Outcome::Pop3(report)) => print_pop3(&account.name, report),
                Err(e) => print_error(&account.name, e),
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

fn protocol(account: &Account) -> &'static str {
    match account.incoming_protocol {
        Incoming::Imap => "imap",
        Incoming::Pop3 => "pop3",
    }
}

fn print_error(name: &str, e: &Error) {
    outln!("{name}: {} error: {}", e.kind(), e.message());
    if let Some(words) = e.server_words() {
        outln!("  the server said: {words}");
    }
}

fn sync_imap(
    account: &Account,
    secrets: &Secrets,
    store: &StoreHandle,
    rt: &tokio::runtime::Runtime,
    quiet: bool,
) -> Result<AccountReport, Error> {
    let credential = incoming_credential(account, secrets, rt)?;
    let mut engine = Engine::new(account, credential, store.clone(), Transcript::with_capacity(2_000))?;
    let show = move |p: &Progress| {
        if !quiet && p.total > 0 && (p.done == p.total || p.done.is_multiple_of(1000)) {
            errln!("  {} {:?}: {} of {}", p.folder, p.phase, p.done, p.total);
        }
    };
    rt.block_on(async {
        let report = match engine.sync_account(&show).await {
            Ok(report) => report,
            Err(e) => {
                // The report (with its alerts) is lost with the error; what the server asked
                // to be shown (RFC 3501 7.1) is shown all the same.
                for alert in engine.transcript().take_alerts() {
                    errln!("  ! The server says: {alert}");
                }
                return Err(e);
            }
        };
        let _ = engine.logout().await;
        Ok(report)
    })
}

/// What the incoming server logs in with (a pass needs nothing for SMTP).
pub(super) fn incoming_credential(
    account: &Account,
    secrets: &Secrets,
    rt: &tokio::runtime::Runtime,
) -> Result<Credential, Error> {
    rt.block_on(auth::credential(account, secrets, SecretRole::Incoming))
}

/// The pass's transcript: message data shown as its size only (no mail in a log file),
/// appended to the account's log when it keeps one.
pub(super) fn pass_transcript(account: &Account, profile: &Profile) -> Transcript {
    let transcript = Transcript::with_capacity(2_000);
    transcript.elide_pop3_data(true);
    if account.log_transcript {
        let path = profile.transcript_log(&account.id);
        if let Err(e) = transcript.log_to(&path) {
            errln!("tidings: cannot write the transcript log {}: {e}", path.display());
        }
    }
    transcript
}

fn receive_pop3(
    account: &Account,
    profile: &Profile,
    secrets: &Secrets,
    store: &StoreHandle,
    rt: &tokio::runtime::Runtime,
    quiet: bool,
) -> Result<Pop3Report, Error> {
    let target = Pop3Target::for_account(account, incoming_credential(account, secrets, rt)?)?;
    let transcript = pass_transcript(account, profile);
    let show = move |p: &Pop3Progress| {
        if !quiet && p.total > 0 && (p.done == p.total || p.done.is_multiple_of(1000)) {
            errln!("  {:?}: {} of {}", p.phase, p.done, p.total);
        }
    };
    let options = account.options.pop3;
    let report = rt.block_on(pop3::receive(&target, &options, store, SystemTime::now(), &transcript, &show));
    transcript.flush();
    report
}

fn print_imap(name: &str, r: &AccountReport) {
    outln!(
        "{name}: {} ({} ms, {} change(s) sent to the server)",
        if r.ok() { "synced" } else { "FAILED" },
        r.elapsed_ms,
        r.actions_replayed
    );
    for alert in &r.alerts {
        outln!("  ! The server says: {alert}");
    }
    outln!("  {:<24} {:>8} {:>8} {:>8}", "folder", "total", "new", "unread");
    for f in &r.folders {
        outln!(
            "  {:<24} {:>8} {:>8} {:>8}{}",
            terminal::safe(&f.display_name),
            f.total,
            f.new,
            f.unread,
            f.error.as_ref().map(|e| format!("  error: {}", e.message)).unwrap_or_default()
        );
    }
    for refused in &r.actions_refused {
        outln!("  refused by the server: {refused}");
    }
    if let Some(e) = &r.error {
        outln!("  stopped: {} error: {}", e.kind, e.message);
    }
}

fn print_pop3(name: &str, r: &Pop3Report) {
    outln!(
        "{name}: {} ({} ms, {} message(s) on the server)",
        if r.ok() { "received" } else { "FAILED" },
        r.elapsed_ms,
        r.server_messages
    );
    let partial =
        if r.headers_only > 0 { format!(" ({} as headers only)", r.headers_only) } else { String::new() };
    outln!("  downloaded        {:>6}{partial}, {}", r.downloaded, size(r.bytes));
    outln!("  deleted on server {:>6}", r.deleted.len());
    items(&r.deleted);
    outln!("  kept on server    {:>6}", r.server_messages.saturating_sub(r.deleted.len()));
    let t = &r.timings;
    outln!(
        "  time              connect {} ms, listing {} ms, download {} ms, last commit {} ms, delete and quit {} ms",
        t.connect_ms,
        t.listing_ms,
        t.download_ms,
        t.last_commit_ms,
        t.delete_ms
    );
    if !r.skipped.is_empty() {
        outln!("  skipped           {:>6}", r.skipped.len());
        items(&r.skipped);
    }
    for line in &r.unreadable {
        outln!("  unreadable listing line, left alone: {}", terminal::safe(line));
    }
    for f in &r.failed {
        outln!("  refused by the server: {} ({}): {}", f.command, f.uid.as_deref().unwrap_or("-"), f.server);
    }
    if let Some(e) = &r.error {
        outln!(
            "  stopped: {} error: {} (the messages stored before it stay; nothing was deleted from the server)",
            e.kind,
            e.message
        );
        if let Some(words) = &e.server {
            outln!("  the server said: {words}");
        }
    }
}

/// One line per message: number, UID, size, reason.
fn items(list: &[PlanItem]) {
    for i in list {
        outln!(
            "      #{:<6} {:<24} {:>10}  {}",
            i.number,
            terminal::safe(i.uid.as_deref().unwrap_or("(no UID)")),
            size(i.size),
            i.reason.describe()
        );
        if let Some(d) = &i.stored {
            let subject = d.subject.as_deref().unwrap_or("(no subject)");
            let from = d.from.as_deref().map(|f| format!(" — {f}")).unwrap_or_default();
            outln!("              {}{}", terminal::safe(subject), terminal::safe(&from));
        }
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The dry run of POP3 accounts: `--account` names one; without it, every POP3 account.
fn dry_run(only: Option<String>, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    let mut accounts = chosen(&config, &only)?;
    if let [account] = accounts.as_slice()
        && account.incoming_protocol == Incoming::Imap
    {
        return Err(Error::config(format!(
            "\"{}\" is an IMAP account: --dry-run shows what a POP3 pass would download and delete; an IMAP sync deletes nothing on the server",
            account.name
        )));
    }
    accounts.retain(|a| a.incoming_protocol == Incoming::Pop3);
    if accounts.is_empty() {
        return Err(Error::config("--dry-run is for POP3 accounts, and there is none"));
    }
    let secrets = Secrets::system();
    let rt = runtime()?;
    // Only read: a store that does not exist yet means nothing was downloaded.
    let path = store_path(profile);
    let store =
        StoreHandle::spawn(if path.exists() { Store::open(path)? } else { Store::open_in_memory()? })?;
    let mut results = Vec::new();
    for account in accounts {
        let result = incoming_credential(account, &secrets, &rt)
            .and_then(|credential| Pop3Target::for_account(account, credential))
            .and_then(|target| {
                let transcript = pass_transcript(account, profile);
                let options = account.options.pop3;
                rt.block_on(pop3::plan(&target, &options, &store, SystemTime::now(), &transcript))
            });
        results.push((account, result));
    }
    let ok = results.iter().all(|(_, r)| r.is_ok());
    if out.json {
        let items: Vec<serde_json::Value> = results
            .iter()
            .map(|(a, r)| match r {
                Ok(plan) => serde_json::json!({ "account": a.name, "ok": true, "plan": plan_json(plan) }),
                Err(e) => {
                    serde_json::json!({ "account": a.name, "ok": false, "error": ErrorReport::from(e) })
                }
            })
            .collect();
        out.print_json(&serde_json::json!({ "ok": ok, "dry_run": true, "accounts": items }));
    } else {
        for (account, r) in &results {
            match r {
                Ok(plan) => print_plan(account, plan),
                Err(e) => print_error(&account.name, e),
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

/// The plan with each item's reason also in words (`why`).
fn plan_json(plan: &Pop3Plan) -> serde_json::Value {
    let mut value = serde_json::to_value(plan).unwrap_or_default();
    for (key, list) in
        [("download", &plan.download), ("skip", &plan.skip), ("delete", &plan.delete), ("keep", &plan.keep)]
    {
        if let Some(items) = value.get_mut(key).and_then(|v| v.as_array_mut()) {
            for (v, item) in items.iter_mut().zip(list) {
                v["why"] = item.reason.describe().into();
            }
        }
    }
    value
}

fn print_plan(account: &Account, plan: &Pop3Plan) {
    outln!(
        "{}: the next receive from {} ({} message(s) on the server, {}); nothing was changed",
        account.name,
        account.incoming.host,
        plan.server_messages,
        size(plan.server_bytes)
    );
    outln!("  would download   {:>6}", plan.download.len());
    items(&plan.download);
    outln!("  would delete     {:>6}", plan.delete.len());
    items(&plan.delete);
    if !plan.skip.is_empty() {
        outln!("  would skip       {:>6}", plan.skip.len());
        items(&plan.skip);
    }
    outln!("  would keep       {:>6} (downloaded before, left on the server)", plan.keep.len());
}
