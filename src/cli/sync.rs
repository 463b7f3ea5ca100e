//! `tidings sync [--account NAME]`: one receive pass headless, per folder total and new.

use std::process::ExitCode;

use tidings_mail::account::{Account, Incoming};
use tidings_mail::check::Passwords;
use tidings_mail::config::Config;
use tidings_mail::net::Transcript;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Store, StoreHandle};
use tidings_mail::sync::{AccountReport, Engine, Progress};
use tidings_mail::{Error, ErrorReport, Kind};

use super::Out;
use super::output::EXIT_FAILED;

/// Where the mail store lives in a profile (one file for every account).
pub fn store_path(profile: &Profile) -> std::path::PathBuf {
    profile.data_dir().join("mail.sqlite3")
}

pub fn run(account: Option<String>, profile: &Profile, out: &Out) -> ExitCode {
    match run_inner(account, profile, out) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

fn run_inner(only: Option<String>, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    let accounts: Vec<&Account> = match &only {
        Some(name) => vec![config.account(name).ok_or_else(|| {
            Error::config(format!("there is no account \"{name}\" (see `tidings account list`)"))
        })?],
        None => config.accounts.iter().collect(),
    };
    if accounts.is_empty() {
        return Err(Error::config("there is no account to sync; add one with `tidings account add`"));
    }
    let secrets = Secrets::system();
    let store = StoreHandle::spawn(Store::open(store_path(profile))?)?;
    let rt =
        super::runtime().map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
    let mut results = Vec::new();
    for account in accounts {
        let result = sync_one(account, &secrets, &store, &rt, out.json);
        results.push((account.name.clone(), result));
    }
    let ok = results.iter().all(|(_, r)| r.as_ref().is_ok_and(AccountReport::ok));
    if out.json {
        let items: Vec<serde_json::Value> = results
            .iter()
            .map(|(name, r)| match r {
                Ok(report) => serde_json::json!({ "account": name, "ok": report.ok(), "report": report }),
                Err(e) => serde_json::json!({ "account": name, "ok": false, "error": ErrorReport::from(e) }),
            })
            .collect();
        out.print_json(&serde_json::json!({ "ok": ok, "accounts": items }));
    } else {
        for (name, r) in &results {
            match r {
                Ok(report) => print_report(name, report),
                Err(e) => {
                    println!("{name}: {} error: {}", e.kind(), e.message());
                    if let Some(words) = e.server_words() {
                        println!("  the server said: {words}");
                    }
                }
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

fn sync_one(
    account: &Account,
    secrets: &Secrets,
    store: &StoreHandle,
    rt: &tokio::runtime::Runtime,
    quiet: bool,
) -> Result<AccountReport, Error> {
    if account.incoming_protocol == Incoming::Pop3 {
        return Err(Error::new(
            Kind::Config,
            format!("\"{}\" is a POP3 account: its receive pass is not implemented yet", account.name),
        ));
    }
    let passwords = Passwords::lookup(account, secrets)?;
    let mut engine =
        Engine::new(account, passwords.incoming, store.clone(), Transcript::with_capacity(2_000))?;
    let show = move |p: &Progress| {
        if !quiet && p.total > 0 && (p.done == p.total || p.done.is_multiple_of(1000)) {
            eprintln!("  {} {:?}: {} of {}", p.folder, p.phase, p.done, p.total);
        }
    };
    rt.block_on(async {
        let report = engine.sync_account(&show).await?;
        let _ = engine.logout().await;
        Ok(report)
    })
}

fn print_report(name: &str, r: &AccountReport) {
    println!(
        "{name}: {} ({} ms, {} change(s) sent to the server)",
        if r.ok() { "synced" } else { "FAILED" },
        r.elapsed_ms,
        r.actions_replayed
    );
    println!("  {:<24} {:>8} {:>8} {:>8}", "folder", "total", "new", "unread");
    for f in &r.folders {
        println!(
            "  {:<24} {:>8} {:>8} {:>8}{}",
            f.display_name,
            f.total,
            f.new,
            f.unread,
            f.error.as_ref().map(|e| format!("  error: {}", e.message)).unwrap_or_default()
        );
    }
    for refused in &r.actions_refused {
        println!("  refused by the server: {refused}");
    }
    if let Some(e) = &r.error {
        println!("  stopped: {} error: {}", e.kind, e.message);
    }
}
