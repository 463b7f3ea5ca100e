//! `tidings receipt send|ignore --account NAME [--folder F] ID`: answers the read-receipt
//! request of stored message ID (as `tidings message show` takes it). Both set `$MDNSent`
//! first (RFC 3503: on the IMAP server, before the receipt is queued; in the store for
//! POP3), so no other program or profile sends a second receipt; `send` then queues the
//! receipt in the account's Outbox and sends it, as `tidings send` does. A message that has
//! `$MDNSent` already — set here, or by another client on the same IMAP account — gets no
//! receipt unless `--force`. Also the receipt fields of `message show`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use tidings_mail::account::{Account, Incoming};
use tidings_mail::auth::Credentials;
use tidings_mail::mdn::{self, Decision, Mode, Queued, Request};
use tidings_mail::net::Transcript;
use tidings_mail::outbox;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::send::{FlushReport, SendProgress, flush_outbox};
use tidings_mail::store::{FolderId, Store, StoreHandle};
use tidings_mail::sync::{Engine, no_progress};
use tidings_mail::{Error, ErrorReport};

use super::Out;
use super::message::Where;
use super::output::{EXIT_FAILED, errln, outln};

#[derive(Subcommand, Debug)]
pub enum ReceiptCmd {
    /// Send the read receipt a stored message asks for.
    Send(SendArgs),
    /// Decline it: mark the message so that no program sends one.
    Ignore(IgnoreArgs),
}

#[derive(Args, Debug)]
pub struct SendArgs {
    #[command(flatten)]
    at: Where,
    /// The message's id in its folder (the first column of `tidings message list`).
    id: u32,
    /// Send one even though a receipt was already sent or declined ($MDNSent is set).
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct IgnoreArgs {
    #[command(flatten)]
    at: Where,
    /// The message's id in its folder (the first column of `tidings message list`).
    id: u32,
}

pub fn run(cmd: ReceiptCmd, profile: &Profile, out: &Out) -> ExitCode {
    let result = match cmd {
        ReceiptCmd::Send(args) => send(args, profile, out),
        ReceiptCmd::Ignore(args) => ignore(args, profile, out),
    };
    result.unwrap_or_else(|e| out.error(&e))
}

/// The receipt fields of `message show`: whether the message asks for a receipt and what
/// the account's policy makes of it (`$MDNSent` already set: "never", reason "answered").
pub(super) fn status(
    raw: &[u8],
    account: &Account,
    store: &Store,
    folder: FolderId,
    id: u32,
) -> Result<serde_json::Value, Error> {
    let Some(request) = mdn::requested(raw) else {
        return Ok(serde_json::json!({ "receipt_requested": false }));
    };
    let answered = store.message(folder, id)?.is_some_and(|r| mdn::already_answered(&r.flags));
    let decision = mdn::decide(account.options.read_receipts, &request, &mdn::own_addresses(account));
    let (decision, reason, text) = match decision {
        _ if answered => {
            ("never", Some("answered".to_string()), Some("a read receipt was already sent or declined"))
        }
        Decision::Ask(r) => {
            let name = serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_string));
            ("ask", name, Some(r.text()))
        }
        d => (d.as_str(), None, None),
    };
    let to: Vec<&str> = request.notify.iter().map(|a| a.email.as_str()).collect();
    Ok(serde_json::json!({
        "receipt_requested": true,
        "receipt": {
            "decision": decision,
            "reason": reason,
            "reason_text": text,
            "to": to,
            "answered": answered,
        },
    }))
}

/// The message, its request and the store row's flags.
struct Target {
    account: Account,
    folder_name: String,
    folder: FolderId,
    request: Option<Request>,
}

fn target(at: &Where, id: u32, profile: &Profile) -> Result<Target, Error> {
    let raw = super::message::raw(at, id, profile)?;
    let (_, folder, account) = super::message::open(at, profile)?;
    Ok(Target { account, folder_name: folder.name, folder: folder.id, request: mdn::requested(&raw) })
}

/// For an IMAP account: the folder's flags fresh from the server (another client may have
/// answered the request meanwhile), and a way to replay the keyword at once.
struct Server {
    engine: Engine,
}

impl Server {
    fn open(
        account: &Account,
        handle: &StoreHandle,
        rt: &tokio::runtime::Runtime,
    ) -> Result<Option<Server>, Error> {
        if account.incoming_protocol != Incoming::Imap {
            return Ok(None);
        }
        let credential = super::sync::incoming_credential(account, &Secrets::system(), rt)?;
        let engine = Engine::new(account, credential, handle.clone(), Transcript::with_capacity(2_000))?;
        Ok(Some(Server { engine }))
    }
}

/// Replays the queued `$MDNSent` to the server now (IMAP). A replay that fails leaves it
/// recorded for the next sync: said, not fatal.
fn replay(server: Option<&mut Server>, rt: &tokio::runtime::Runtime) -> Option<String> {
    let server = server?;
    match rt.block_on(server.engine.replay_actions()) {
        Ok((_, refused)) if refused.is_empty() => None,
        Ok((_, refused)) => Some(refused.join("; ")),
        Err(e) => Some(format!("{} (it is set at the next sync)", e.message())),
    }
}

/// Syncs the message's folder so its flags are the server's (IMAP only).
fn refresh(t: &Target, server: Option<&mut Server>, rt: &tokio::runtime::Runtime) -> Result<(), Error> {
    if let Some(server) = server {
        rt.block_on(server.engine.sync_folder(&t.folder_name, &no_progress))?;
    }
    Ok(())
}

fn send(args: SendArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let t = target(&args.at, args.id, profile)?;
    if t.request.is_none() {
        return Err(Error::config(format!("message {} does not ask for a read receipt", args.id)));
    }
    let rt = super::sync::runtime()?;
    let handle = StoreHandle::spawn(Store::open(profile.store_path())?)?;
    let mut server = Server::open(&t.account, &handle, &rt)?;
    refresh(&t, server.as_mut(), &rt)?;
    let credentials = rt.block_on(Credentials::lookup(&t.account, &Secrets::system()))?;
    // The keyword first (queued with the receipt): once it is on the server no other
    // program sends a receipt.
    let queued = rt.block_on(mdn::send(&handle, &t.account, t.folder, args.id, Mode::Manual, args.force))?;
    let Some(Queued { item, request }) = queued else {
        return Err(Error::config(format!(
            "a read receipt for message {} was already sent or declined ($MDNSent is set, here or by another \
             mail program on this account); nothing was sent. Add --force to send another",
            args.id
        )));
    };
    let note = replay(server.as_mut(), &rt);
    if let Some(server) = server {
        let _ = rt.block_on(server.engine.logout());
    }
    let quiet = |_: &SendProgress| {};
    let report = rt.block_on(flush_outbox(
        &handle,
        &t.account,
        &credentials,
        &Transcript::with_capacity(2_000),
        &quiet,
    ))?;
    Ok(print(out, &t.account, &request, &item, &report, note.as_deref()))
}

fn ignore(args: IgnoreArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let t = target(&args.at, args.id, profile)?;
    let rt = super::sync::runtime()?;
    let handle = StoreHandle::spawn(Store::open(profile.store_path())?)?;
    let mut server = Server::open(&t.account, &handle, &rt)?;
    rt.block_on(mdn::ignore(&handle, &t.account, t.folder, args.id))?;
    let note = replay(server.as_mut(), &rt);
    if let Some(server) = server {
        let _ = rt.block_on(server.engine.logout());
    }
    if out.json {
        out.print_json(&serde_json::json!({
            "ok": true, "account": t.account.name, "id": args.id,
            "receipt_requested": t.request.is_some(), "note": note,
        }));
    } else {
        outln!("no read receipt will be sent for message {}", args.id);
        if let Some(n) = note {
            errln!("  note: {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print(
    out: &Out,
    account: &Account,
    request: &Request,
    item: &outbox::OutboxItem,
    report: &FlushReport,
    note: Option<&str>,
) -> ExitCode {
    let sent = report.sent.iter().any(|s| s.outbox_id == item.id);
    let failed = report.failed.iter().find(|f| f.outbox_id == item.id);
    let to: Vec<&str> = request.notify.iter().map(|a| a.email.as_str()).collect();
    if out.json {
        let mut value = serde_json::json!({
            "ok": sent,
            "account": account.name,
            "to": to,
            "original_message_id": request.message_id,
            "message_id": item.message_id,
            "outbox_id": item.id,
            "state": if sent { "sent" } else { "queued" },
            "note": note,
            "report": report,
        });
        if let Some(f) = failed {
            value["error"] = serde_json::to_value(ErrorReport::from(&f.error)).unwrap_or_default();
        }
        out.print_json(&value);
    } else if sent {
        outln!("read receipt sent to {}", to.join(", "));
    } else {
        if let Some(f) = failed {
            errln!("tidings: {} error: not sent: {}", f.error.kind(), f.error.message());
        }
        errln!(
            "  the read receipt ({}) stays in the Outbox (id {}) and is sent by the next `tidings send` or receive",
            item.message_id,
            item.id
        );
    }
    if let Some(n) = note.filter(|_| !out.json) {
        errln!("  note: the message could not be marked on the server: {n}");
    }
    if sent { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) }
}

/// The line of text `message show` prints for a request: "Read receipt: ask (…)".
pub(super) fn line(status: &serde_json::Value) -> Option<String> {
    let r = status.get("receipt")?;
    let to = r["to"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", "));
    let mut line =
        format!("Read receipt requested by {}: {}", to.unwrap_or_default(), r["decision"].as_str()?);
    if let Some(text) = r["reason_text"].as_str() {
        line.push_str(&format!(" ({text})"));
    }
    Some(line)
}
