//! `tidings send --account NAME [FILE.eml | -]` or a quick message from `--to/--cc/--bcc/
//! --subject/--body/--attach`: the message goes into the account's Outbox (durably), then
//! the Outbox is sent. Without a message, only what is queued is sent. `tidings outbox`
//! lists the Outbox, confirms the resending of a message held as "may already have been
//! sent", or removes one.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use tidings_mail::account::Account;
use tidings_mail::auth::Credentials;
use tidings_mail::compose::{self, Address, Attachment, NewMessage};
use tidings_mail::config::Config;
use tidings_mail::net::Transcript;
use tidings_mail::outbox::{self, OutboxItem, Outgoing};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::send::{FlushReport, SendProgress, flush_outbox};
use tidings_mail::store::{Store, StoreHandle};
use tidings_mail::terminal;
use tidings_mail::{Error, ErrorReport, Kind};

use super::Out;
use super::output::{EXIT_FAILED, errln, outln};

#[derive(clap::Args, Debug)]
pub struct SendArgs {
    /// The account to send from (name or id); may be left out when there is only one.
    #[arg(long)]
    account: Option<String>,
    /// A complete message (.eml), or - for standard input. Its From/To/Cc/Bcc headers give
    /// the envelope; the Bcc header is removed before sending.
    file: Option<PathBuf>,
    /// Recipient(s) of a quick message ("Bob <bob@example.org>, carol@example.org"); repeatable.
    #[arg(long, value_name = "ADDRESSES")]
    to: Vec<String>,
    #[arg(long, value_name = "ADDRESSES")]
    cc: Vec<String>,
    /// Recipients that the others do not see.
    #[arg(long, value_name = "ADDRESSES")]
    bcc: Vec<String>,
    #[arg(long)]
    subject: Option<String>,
    /// The text of a quick message (plain text).
    #[arg(long)]
    body: Option<String>,
    /// Attach a file; repeatable.
    #[arg(long, value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// Send a quick message from another of the account's addresses (an identity set in its
    /// settings); default: the account's own.
    #[arg(long, value_name = "ADDRESS")]
    from: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct OutboxArgs {
    /// Only this account (name or id).
    #[arg(long)]
    account: Option<String>,
    #[command(subcommand)]
    action: Option<OutboxAction>,
}

#[derive(clap::Subcommand, Debug)]
enum OutboxAction {
    /// List the messages waiting (the default).
    List,
    /// Send again a message held as "may already have been sent", or refused by the server.
    Resend { id: i64 },
    /// Remove a message from the Outbox without sending it.
    Remove { id: i64 },
}

pub fn run(args: SendArgs, profile: &Profile, out: &Out) -> ExitCode {
    match run_inner(args, profile, out) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

fn pick_account<'a>(config: &'a Config, name: Option<&str>) -> Result<&'a Account, Error> {
    match name {
        Some(name) => config.account(name).ok_or_else(|| {
            Error::config(format!("there is no account \"{name}\" (see `tidings account list`)"))
        }),
        None => match config.accounts.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::config("there is no account to send from; add one with `tidings account add`")),
            _ => Err(Error::config("there are several accounts: say which one with --account NAME")),
        },
    }
}

fn store(profile: &Profile) -> Result<StoreHandle, Error> {
    StoreHandle::spawn(Store::open(super::sync::store_path(profile))?)
}

/// The message to queue, if the command gives one.
fn message(args: &SendArgs, account: &Account) -> Result<Option<Outgoing>, Error> {
    let quick = !(args.to.is_empty() && args.cc.is_empty() && args.bcc.is_empty())
        || args.subject.is_some()
        || args.body.is_some()
        || !args.attach.is_empty();
    if let Some(path) = &args.file {
        if quick || args.from.is_some() {
            return Err(Error::config(
                "give either a message file or --from/--to/--cc/--bcc/--subject/--body/--attach, not both",
            ));
        }
        let raw = if path.as_os_str() == "-" {
            let mut raw = Vec::new();
            std::io::stdin()
                .read_to_end(&mut raw)
                .map_err(|e| Error::storage("cannot read the message from standard input", e))?;
            raw
        } else {
            std::fs::read(path)
                .map_err(|e| Error::storage(format!("cannot read the message file {}", path.display()), e))?
        };
        return Outgoing::from_message_as(&raw, &sender(account, None)?).map(Some);
    }
    if !quick {
        if args.from.is_some() {
            return Err(Error::config(
                "--from is for a quick message: give --to (and --subject, --body…) too",
            ));
        }
        return Ok(None);
    }
    let list = |items: &[String]| -> Result<Vec<Address>, Error> {
        let mut out = Vec::new();
        for item in items {
            out.extend(compose::parse_address_list(item)?);
        }
        Ok(out)
    };
    let mut attachments = Vec::new();
    for path in &args.attach {
        attachments.push(Attachment::from_path(path)?);
    }
    let msg = NewMessage {
        from: sender(account, args.from.as_deref())?,
        to: list(&args.to)?,
        cc: list(&args.cc)?,
        bcc: list(&args.bcc)?,
        subject: args.subject.clone().unwrap_or_default(),
        body: args.body.clone().unwrap_or_default(),
        attachments,
        ..NewMessage::default()
    };
    Ok(Some(compose::build(&msg)?.into()))
}

/// The From of a quick message: the account's own address, or the identity `wanted`, with
/// its name.
fn sender(account: &Account, wanted: Option<&str>) -> Result<Address, Error> {
    let senders = account.senders();
    let chosen = match wanted {
        None => senders.first(),
        Some(w) => senders.iter().find(|i| i.email.eq_ignore_ascii_case(w.trim())),
    };
    let Some(i) = chosen else {
        let known: Vec<&str> = senders.iter().map(|i| i.email.as_str()).collect();
        return Err(Error::config(format!(
            "\"{}\" is not one of the addresses of account \"{}\" ({}); add it under other addresses in the account's settings",
            wanted.unwrap_or_default(),
            account.name,
            known.join(", ")
        )));
    };
    Ok(Address::new(i.name.as_deref(), &i.email))
}

fn run_inner(args: SendArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    let account = pick_account(&config, args.account.as_deref())?;
    let msg = message(&args, account)?;
    let rt =
        super::runtime().map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
    // Before queueing: without a password nothing could be sent, and nothing is queued.
    let credentials = rt.block_on(Credentials::lookup(account, &Secrets::system()))?;
    let store = store(profile)?;
    let quiet = out.json;
    let show = move |p: &SendProgress| {
        // Large messages only: a line per ~10% (64 KiB pieces).
        if !quiet && p.bytes_total >= 1_000_000 && p.bytes_sent > 0 {
            errln!(
                "  {} of {}: {} of {} kB",
                p.index + 1,
                p.count,
                p.bytes_sent / 1000,
                p.bytes_total / 1000
            );
        }
    };
    let (item, report) = rt.block_on(async {
        let item = match msg {
            Some(m) => Some(outbox::enqueue(&store, &account.id, m).await?),
            None => None,
        };
        let report =
            flush_outbox(&store, account, &credentials, &Transcript::with_capacity(2_000), &show).await?;
        Ok::<_, Error>((item, report))
    })?;
    Ok(print(out, account, item.as_ref(), &report))
}

/// What became of `item` (the message of this command), and of the rest of the Outbox.
fn print(out: &Out, account: &Account, item: Option<&OutboxItem>, report: &FlushReport) -> ExitCode {
    let mine = item.map(|i| i.id);
    let sent = mine.and_then(|id| report.sent.iter().find(|s| s.outbox_id == id));
    let failed = mine.and_then(|id| report.failed.iter().find(|f| f.outbox_id == id));
    let held = mine.and_then(|id| report.held.iter().find(|h| h.id == id));
    let refused = mine.is_some_and(|id| report.refused.iter().any(|r| r.id == id));
    let ok = match item {
        Some(_) => sent.is_some(),
        None => report.failed.is_empty() && report.held.is_empty() && report.refused.is_empty(),
    };
    let error = failed.map(|f| &f.error).or_else(|| if item.is_none() { report.first_error() } else { None });
    if out.json {
        let state = if sent.is_some() {
            "sent"
        } else if held.is_some() {
            "held"
        } else if refused {
            "refused"
        } else {
            "queued"
        };
        let mut value = serde_json::json!({
            "ok": ok,
            "account": account.name,
            "report": report,
        });
        if let Some(i) = item {
            value["message_id"] = i.message_id.clone().into();
            value["outbox_id"] = i.id.into();
            value["state"] = state.into();
            value["reply"] = sent.map(|s| s.reply.clone()).into();
            value["filed"] = sent.is_some_and(|s| s.filed).into();
        }
        if let Some(e) = error {
            value["error"] = serde_json::to_value(ErrorReport::from(e)).unwrap_or_default();
        }
        out.print_json(&value);
    } else {
        if let (Some(i), Some(s)) = (item, sent) {
            outln!("sent {} from {}", i.message_id, account.name);
            outln!("  the server said: {}", s.reply);
            if !s.filed {
                outln!("  its copy in Sent is not stored yet; the next send or receive stores it");
            }
        }
        for s in report.sent.iter().filter(|s| Some(s.outbox_id) != mine) {
            outln!("sent {} (waiting in the Outbox before)", s.message_id);
        }
        if let (Some(i), Some(e)) = (item, failed.map(|f| &f.error)) {
            errln!("tidings: {} error: not sent: {}", e.kind(), e.message());
            if let Some(words) = e.server_words() {
                errln!("  the server said: {words}");
            }
            errln!("  what to do: {}", e.advice());
            if refused {
                errln!(
                    "  {} stays in the Outbox (id {}), refused: it is not tried again by itself; \
                     `tidings outbox resend {}` sends it again, `tidings outbox remove {}` drops it",
                    i.message_id,
                    i.id,
                    i.id,
                    i.id
                );
            } else {
                errln!(
                    "  {} stays in the Outbox (id {}) and is sent again by the next `tidings send` or receive",
                    i.message_id,
                    i.id
                );
            }
        }
        if let Some(h) = held {
            errln!(
                "tidings: {} may already have been sent: the connection ended after the whole message",
                h.message_id
            );
            errln!(
                "  was written, before the server confirmed it, so the server may or may not have it. It is not sent"
            );
            errln!(
                "  again by itself. Check the recipient's mail; `tidings outbox resend {}` sends it",
                h.id
            );
            errln!("  again, `tidings outbox remove {}` drops it.", h.id);
        }
        for f in report.failed.iter().filter(|f| Some(f.outbox_id) != mine) {
            errln!("still in the Outbox: {} ({} error: {})", f.message_id, f.error.kind(), f.error);
        }
        for h in report.held.iter().filter(|h| Some(h.id) != mine) {
            errln!("held in the Outbox (may already have been sent): {} (id {})", h.message_id, h.id);
        }
        let refused_now = |id: i64| report.failed.iter().any(|f| f.outbox_id == id);
        for r in report.refused.iter().filter(|r| Some(r.id) != mine && !refused_now(r.id)) {
            errln!("refused by the server, kept in the Outbox: {} (id {})", r.message_id, r.id);
        }
        for f in &report.filing_failed {
            errln!("sent, but its copy in Sent is not stored yet: {} ({})", f.message_id, f.error);
        }
        if item.is_none()
            && report.sent.is_empty()
            && report.failed.is_empty()
            && report.held.is_empty()
            && report.refused.is_empty()
        {
            outln!("the Outbox of {} is empty", account.name);
        }
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) }
}

pub fn run_outbox(args: OutboxArgs, profile: &Profile, out: &Out) -> ExitCode {
    match outbox_inner(args, profile, out) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

fn outbox_inner(args: OutboxArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    let key = match &args.account {
        Some(name) => Some(pick_account(&config, Some(name))?.id.clone()),
        None => None,
    };
    let store = store(profile)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    match args.action.unwrap_or(OutboxAction::List) {
        OutboxAction::List => {
            let items = store.blocking_call(move |s| s.outbox_list(key.as_deref()))?;
            if out.json {
                let list: Vec<serde_json::Value> = items
                    .iter()
                    .map(|i| {
                        let mut v = serde_json::to_value(i).unwrap_or_default();
                        v["status"] = serde_json::to_value(i.status(now)).unwrap_or_default();
                        v["reason"] = i.reason(now).into();
                        v
                    })
                    .collect();
                out.print_json(&serde_json::json!({ "ok": true, "outbox": list }));
            } else if items.is_empty() {
                outln!("the Outbox is empty");
            } else {
                for i in &items {
                    outln!(
                        "{:>5}  {:<10} {}  to {}  ({} bytes, {} attempt(s))",
                        i.id,
                        i.account,
                        terminal::safe(i.subject.as_deref().unwrap_or("(no subject)")),
                        terminal::safe(&i.recipients.join(", ")),
                        i.size,
                        i.attempts
                    );
                    if let Some(reason) = i.reason(now) {
                        outln!("       {reason}");
                    }
                }
            }
        }
        OutboxAction::Resend { id } => {
            let item = store.blocking_call(move |s| s.outbox_confirm_resend(id))?;
            report_done(out, &item, "queued again; the next `tidings send` or receive sends it");
        }
        OutboxAction::Remove { id } => {
            if !store.blocking_call(move |s| s.outbox_remove(id))? {
                return Err(Error::config(format!("there is no message {id} in the Outbox")));
            }
            if out.json {
                out.print_json(&serde_json::json!({ "ok": true, "removed": id }));
            } else {
                outln!("removed message {id} from the Outbox");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report_done(out: &Out, item: &OutboxItem, what: &str) {
    if out.json {
        out.print_json(&serde_json::json!({ "ok": true, "item": item }));
    } else {
        outln!("{} ({}): {what}", item.message_id, item.id);
    }
}
