//! `tidings message list|show|save --account NAME [--folder F]`: the messages of the local
//! store as the mailbox lists them, one of them as the reader shows it (the same display
//! model as `tidings render`), and its attachments saved under safe names. The list is what
//! `tidings sync` stored; a message whose body is not stored yet (IMAP syncs headers, a POP3
//! account may download headers only) is fetched from the server and kept.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use tidings_mail::account::{Account, Incoming};
use tidings_mail::config::Config;
use tidings_mail::message::{self, save};
use tidings_mail::net::Transcript;
use tidings_mail::pop3::{self, Pop3Target};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Folder, FolderId, MessageRow, Sort, Store, StoreHandle};
use tidings_mail::sync::Engine;
use tidings_mail::{Error, limits};

use super::Out;
use super::output::outln;
use super::render::Format;

#[derive(Subcommand, Debug)]
pub enum MessageCmd {
    /// List a folder's stored messages, newest first.
    List(ListArgs),
    /// Show a stored message as the reader shows it: headers, body, attachments, notes.
    Show(ShowArgs),
    /// Save a stored message's attachments into a folder (safe names, nothing overwritten).
    Save(SaveArgs),
}

#[derive(Args, Debug)]
pub struct Where {
    /// The account (name or id).
    #[arg(long)]
    pub(super) account: String,
    /// The folder, as the server names it.
    #[arg(long, default_value = "INBOX")]
    pub(super) folder: String,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    at: Where,
    /// At most this many messages.
    #[arg(long, default_value_t = 50)]
    limit: u64,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[command(flatten)]
    at: Where,
    /// The message's id in its folder (the first column of `tidings message list`).
    id: u32,
    /// Which body to show when the message offers several.
    #[arg(long, value_enum, default_value_t = Format::Best)]
    format: Format,
}

#[derive(Args, Debug)]
pub struct SaveArgs {
    #[command(flatten)]
    at: Where,
    /// The message's id in its folder (the first column of `tidings message list`).
    id: u32,
    /// The folder to save into (made when missing).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
}

pub fn run(cmd: MessageCmd, profile: &Profile, out: &Out) -> ExitCode {
    let result = match cmd {
        MessageCmd::List(args) => list(args, profile, out),
        MessageCmd::Show(args) => show(args, profile, out),
        MessageCmd::Save(args) => save(args, profile, out),
    };
    result.unwrap_or_else(|e| out.error(&e))
}

/// The store, the folder `at` names in it and its account.
pub(super) fn open(at: &Where, profile: &Profile) -> Result<(Store, Folder, Account), Error> {
    let config = Config::load(profile)?;
    let account = config.account(&at.account).ok_or_else(|| {
        Error::config(format!("there is no account \"{}\" (see `tidings account list`)", at.account))
    })?;
    let mut store = Store::open(profile.store_path())?;
    let key = store.account(&account.id)?;
    let folder = store.folder(key, &at.folder)?.ok_or_else(|| {
        Error::config(format!(
            "the account \"{}\" has no folder \"{}\" here; run `tidings sync --account {}` first",
            account.name, at.folder, account.name
        ))
    })?;
    Ok((store, folder, account.clone()))
}

fn list(args: ListArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let (store, folder, _) = open(&args.at, profile)?;
    let rows = store.list(folder.id, Sort::NEWEST, 0, args.limit)?;
    if out.json {
        let messages: Vec<serde_json::Value> = rows.iter().map(row_json).collect();
        out.print_json(&serde_json::json!({
            "ok": true, "account": args.at.account, "folder": folder.name, "messages": messages
        }));
    } else if rows.is_empty() {
        outln!("{}: no messages stored", folder.display_name);
    } else {
        for r in &rows {
            let from = r.summary.from_name.as_deref().or(r.summary.from_addr.as_deref()).unwrap_or("");
            outln!(
                "{:>6} {} {} {:<24} {} ({})",
                r.uid,
                if r.unread { "*" } else { " " },
                r.summary.date.map(tidings_mail::civil::day).unwrap_or_else(|| "          ".into()),
                from,
                r.summary.subject.as_deref().unwrap_or("(no subject)"),
                limits::size(u64::from(r.size))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn row_json(r: &MessageRow) -> serde_json::Value {
    serde_json::json!({
        "id": r.uid,
        "date": r.summary.date,
        "from": { "name": r.summary.from_name, "address": r.summary.from_addr },
        "subject": r.summary.subject,
        "size": r.size,
        "unread": r.unread,
        "downloaded": r.has_body,
    })
}

/// The raw message `id`: the stored one, else fetched from the server (and kept).
pub(super) fn raw(at: &Where, id: u32, profile: &Profile) -> Result<Vec<u8>, Error> {
    let (store, folder, account) = open(at, profile)?;
    let row = store.message(folder.id, id)?.ok_or_else(|| {
        Error::config(format!(
            "there is no message {id} in {} (see `tidings message list --account {}`)",
            folder.display_name, at.account
        ))
    })?;
    if let Some(raw) = body(&store, folder.id, &row)? {
        return Ok(raw);
    }
    fetch(store, &folder, &account, &row, profile)
}

fn body(store: &Store, folder: FolderId, row: &MessageRow) -> Result<Option<Vec<u8>>, Error> {
    if !row.has_body {
        return Ok(None);
    }
    store.body(folder, row.uidvalidity, row.uid)
}

/// The whole message from the server, as the reader fetches it when a message is opened:
/// IMAP `BODY.PEEK[]` (the message stays unread), POP3 RETR of a message downloaded as
/// headers only. Either way the store keeps it.
fn fetch(
    store: Store,
    folder: &Folder,
    account: &Account,
    row: &MessageRow,
    profile: &Profile,
) -> Result<Vec<u8>, Error> {
    let rt = super::sync::runtime()?;
    let credential = super::sync::incoming_credential(account, &Secrets::system(), &rt)?;
    let store = StoreHandle::spawn(store)?;
    match account.incoming_protocol {
        Incoming::Imap => {
            // Like `tidings sync`: no log file, which would hold the message.
            let transcript = Transcript::with_capacity(2_000);
            let mut engine = Engine::new(account, credential, store, transcript)?;
            rt.block_on(async {
                let raw = engine.fetch_body(&folder.name, row.uid).await;
                let _ = engine.logout().await;
                raw
            })
        }
        Incoming::Pop3 => {
            let target = Pop3Target::for_account(account, credential)?;
            let transcript = super::sync::pass_transcript(account, profile);
            let raw = rt.block_on(pop3::fetch_rest(&target, &store, folder.id, row.uid, &transcript));
            transcript.flush();
            raw
        }
    }
}

fn show(args: ShowArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let raw = raw(&args.at, args.id, profile)?;
    let display = message::render(&raw, args.format.into());
    let (mut store, folder, account) = open(&args.at, profile)?;
    let cards = super::invite::cards(&raw, &display, &account, &mut store)?;
    let receipt = super::receipt::status(&raw, &account, &store, folder.id, args.id)?;
    if out.json {
        let mut value = serde_json::to_value(&display).unwrap_or_default();
        // The calendar parts as the card shows them, instead of their raw text.
        value["calendar"] = serde_json::Value::Array(cards.calendar);
        value["outlook_link"] = cards.outlook_link.unwrap_or_default();
        value["receipt_requested"] = receipt["receipt_requested"].clone();
        value["receipt"] = receipt["receipt"].clone();
        out.print_json(&value);
    } else {
        super::render::print(&display, out);
        for line in cards.lines {
            outln!("{line}");
        }
        if let Some(line) = super::receipt::line(&receipt) {
            outln!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn save(args: SaveArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let raw = raw(&args.at, args.id, profile)?;
    let display = message::render(&raw, Format::Best.into());
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| Error::storage(format!("cannot make the folder {}", args.dir.display()), e))?;
    let paths = save::save_attachments(&display, &args.dir)?;
    if out.json {
        out.print_json(&serde_json::json!({ "ok": true, "saved": paths }));
    } else if paths.is_empty() {
        outln!("message {} has no attachments", args.id);
    } else {
        for p in &paths {
            outln!("{}", p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
