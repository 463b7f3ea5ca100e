//! `tidings invite reply --account NAME ID accept|tentative|decline [--comment TEXT]
//! [--occurrence START]`: answers the invitation in stored message ID (as `tidings message
//! show` takes it) with an iTIP REPLY to its organizer — for one occurrence of a recurring
//! event with `--occurrence` (its start as `message show` prints `start`) — through the
//! account's Outbox (then sent, as `tidings send` does), and remembers the answer so the card
//! says "You accepted" from then on. Also the invitations of a message as `message show`
//! prints them.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use tidings_mail::account::{Account, Incoming};
use tidings_mail::auth::Credentials;
use tidings_mail::calendar::{self, Answer, Answerable, Invitation, Viewer};
use tidings_mail::message::{self, Display};
use tidings_mail::net::Transcript;
use tidings_mail::options::BodyFormat;
use tidings_mail::outbox;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::send::{FlushReport, SendProgress, flush_outbox};
use tidings_mail::store::{Store, StoreHandle};
use tidings_mail::{Error, ErrorReport, Kind};

use super::Out;
use super::message::Where;
use super::output::{EXIT_FAILED, errln, outln};

#[derive(Subcommand, Debug)]
pub enum InviteCmd {
    /// Answer an invitation (a stored message): accept, tentative or decline.
    Reply(ReplyArgs),
}

#[derive(Args, Debug)]
pub struct ReplyArgs {
    #[command(flatten)]
    at: Where,
    /// The message's id in its folder (the first column of `tidings message list`).
    id: u32,
    answer: AnswerArg,
    /// A few words for the organizer, sent with the answer.
    #[arg(long)]
    comment: Option<String>,
    /// Answer only this occurrence of a recurring event: its start as `tidings message show`
    /// prints `start` (2026-06-17T09:00:00+02:00; any offset names the same instant), its
    /// date for an all-day event (2026-06-17), or a time without offset (2026-06-17T09:00)
    /// in the event's own zone. Without it the answer is for the whole series.
    #[arg(long, value_name = "START")]
    occurrence: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum AnswerArg {
    Accept,
    Tentative,
    Decline,
}

impl From<AnswerArg> for Answer {
    fn from(a: AnswerArg) -> Answer {
        match a {
            AnswerArg::Accept => Answer::Accept,
            AnswerArg::Tentative => Answer::Tentative,
            AnswerArg::Decline => Answer::Decline,
        }
    }
}

pub fn run(cmd: InviteCmd, profile: &Profile, out: &Out) -> ExitCode {
    let result = match cmd {
        InviteCmd::Reply(args) => reply(args, profile, out),
    };
    result.unwrap_or_else(|e| out.error(&e))
}

/// A message's invitations as `message show` prints them: JSON for `calendar[]` (an error
/// for a part that cannot be read), the Outlook-on-the-web note, and lines of text.
pub(super) struct Cards {
    pub calendar: Vec<serde_json::Value>,
    pub outlook_link: Option<serde_json::Value>,
    pub lines: Vec<String>,
}

pub(super) fn cards(
    raw: &[u8],
    display: &Display,
    account: &Account,
    store: &mut Store,
) -> Result<Cards, Error> {
    let viewer = Viewer::for_account(account);
    let mut cards = Cards { calendar: Vec::new(), outlook_link: None, lines: Vec::new() };
    for (index, read) in calendar::invitations(display, &viewer) {
        let Some(part) = display.calendar.get(index) else { continue };
        match read {
            Ok(inv) => {
                let inv = calendar::remembered(store, &account.id, inv)?;
                cards.lines.extend(text_lines(&inv));
                let mut value = serde_json::to_value(&inv).unwrap_or_default();
                value["name"] = part.name.clone().into();
                cards.calendar.push(value);
            }
            Err(e) => {
                cards.lines.push(format!("Invitation: {}", e.message()));
                cards.calendar.push(serde_json::json!({
                    "method": part.method, "name": part.name, "error": ErrorReport::from(&e),
                }));
            }
        }
    }
    if let Some(link) = calendar::owa_link(raw, display, &account.email) {
        let pop3 = account.incoming_protocol == Incoming::Pop3;
        cards.lines.push(format!("Meeting request: {}", link.explain(pop3)));
        if let Some(l) = &link.link {
            cards.lines.push(format!("  {l}"));
        }
        let mut value = serde_json::to_value(&link).unwrap_or_default();
        value["explanation"] = link.explain(pop3).into();
        cards.outlook_link = Some(value);
    }
    Ok(cards)
}

fn text_lines(inv: &Invitation) -> Vec<String> {
    let mut lines = vec![format!("{}: {}", inv.headline, inv.summary.as_deref().unwrap_or("(no title)"))];
    let mut field = |name: &str, value: Option<&str>| {
        if let Some(v) = value {
            lines.push(format!("  {name}: {v}"));
        }
    };
    field("When", inv.when.as_deref());
    field("Repeats", inv.recurrence.as_deref());
    field("Where", inv.location.as_deref());
    let organizer = inv.organizer.as_ref().map(|o| match (&o.name, &o.address) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        _ => o.label().to_string(),
    });
    field("Organizer", organizer.as_deref());
    field("Comment", inv.comment.as_deref());
    for a in &inv.attendees {
        let who = a.name.as_deref().or(a.address.as_deref()).unwrap_or("?");
        lines.push(format!("  Attendee: {who} ({})", a.partstat.as_str()));
    }
    if inv.more_attendees > 0 {
        lines.push(format!("  and {} more attendees", inv.more_attendees));
    }
    for note in &inv.notes {
        lines.push(format!("  Note: {note}"));
    }
    lines
}

fn reply(args: ReplyArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let raw = super::message::raw(&args.at, args.id, profile)?;
    let (store, _, account) = super::message::open(&args.at, profile)?;
    let display = message::render(&raw, BodyFormat::Best);
    let viewer = Viewer::for_account(&account);
    let found = display.calendar.iter().find_map(|c| {
        calendar::parse(&c.text, c.method.as_deref(), &viewer)
            .ok()
            .filter(|i| i.answerable)
            .map(|i| (i, c.text.clone()))
    });
    let Some((inv, ics)) = found else {
        if let Some(link) = calendar::owa_link(&raw, &display, &account.email) {
            return Err(Error::config(format!(
                "cannot answer message {}: {}",
                args.id,
                link.explain(account.incoming_protocol == Incoming::Pop3)
            )));
        }
        return Err(Error::config(format!("message {} has no invitation to answer", args.id)));
    };
    let (in_reply_to, references) = calendar::thread_of(&raw);
    let answer = Answer::from(args.answer);
    let occurrence = args.occurrence.as_deref().map(|o| calendar::occurrence(&ics, o)).transpose()?;
    let what = Answerable { invitation: inv, ics, in_reply_to, references, occurrence };

    let rt =
        super::runtime().map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
    let credentials = rt.block_on(Credentials::lookup(&account, &Secrets::system()))?;
    let handle = StoreHandle::spawn(store)?;
    let item = rt.block_on(calendar::answer(&handle, &account, &what, answer, args.comment.as_deref()))?;
    let quiet = |_: &SendProgress| {};
    let report = rt.block_on(flush_outbox(
        &handle,
        &account,
        &credentials,
        &Transcript::with_capacity(2_000),
        &quiet,
    ))?;
    let occurrence = match what.occurrence {
        // Read once already, to answer: sent by now, so no error here.
        Some(at) => calendar::occurrence_key(&what.ics, at).ok(),
        None => what.invitation.occurrence_key(),
    };
    Ok(print(out, &account, &what.invitation, occurrence, answer, &item, &report))
}

fn print(
    out: &Out,
    account: &Account,
    inv: &Invitation,
    occurrence: Option<String>,
    answer: Answer,
    item: &outbox::OutboxItem,
    report: &FlushReport,
) -> ExitCode {
    let sent = report.sent.iter().any(|s| s.outbox_id == item.id);
    let failed = report.failed.iter().find(|f| f.outbox_id == item.id);
    let organizer = inv.organizer.as_ref().and_then(|o| o.address.clone()).unwrap_or_default();
    if out.json {
        let mut value = serde_json::json!({
            "ok": sent,
            "account": account.name,
            "answer": answer.partstat(),
            "uid": inv.uid,
            "sequence": inv.sequence,
            "recurrence_id": occurrence,
            "to": organizer,
            "message_id": item.message_id,
            "outbox_id": item.id,
            "state": if sent { "sent" } else { "queued" },
            "report": report,
        });
        if let Some(f) = failed {
            value["error"] = serde_json::to_value(ErrorReport::from(&f.error)).unwrap_or_default();
        }
        out.print_json(&value);
    } else if sent {
        outln!(
            "{} \"{}\": the answer went to {organizer}",
            answer.partstat().verb(),
            inv.summary.as_deref().unwrap_or("(no title)")
        );
    } else {
        if let Some(f) = failed {
            errln!("tidings: {} error: not sent: {}", f.error.kind(), f.error.message());
        }
        errln!(
            "  the answer ({}) stays in the Outbox (id {}) and is sent by the next `tidings send` or receive",
            item.message_id,
            item.id
        );
    }
    if sent { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) }
}
