//! Behaviour checks, each pass / fail / info / not applicable with its evidence: exact or
//! estimated sizes (Exchange's EnableExactRFC822Size), read receipts ($MDNSent), the formats
//! the server hands out (text, HTML, alternative, enriched, TNEF, calendar items as iCal or
//! as links), IDLE, and the login delay.

use async_imap::types::{Flag, Mailbox};
use futures::TryStreamExt;
use mail_parser::{MessageParser, MimeHeaders};

use super::{Check, InspectOptions, Verdict};
use crate::check::SessionFacts;
use crate::error::Result;
use crate::explain::{SLOW_LOGIN, slow_login};
use crate::net::{Endpoint, Stage, StageName};
use crate::{imap, pop3};

/// One sampled message: the size the server stated and the bytes it sent.
struct Sample {
    id: String,
    stated: u64,
    bytes: Vec<u8>,
}

pub fn read_receipts(mailbox: &Mailbox) -> Check {
    let flags: Vec<String> = mailbox.permanent_flags.iter().map(|f| format!("{f:?}")).collect();
    let allowed = mailbox.permanent_flags.iter().any(|f| {
        matches!(f, Flag::MayCreate) || matches!(f, Flag::Custom(c) if c.eq_ignore_ascii_case("$MDNSent"))
    });
    let evidence = vec![format!("PERMANENTFLAGS: {}", flags.join(" "))];
    if allowed {
        Check {
            name: "Read receipts",
            verdict: Verdict::Pass,
            summary:
                "$MDNSent can be stored: a receipt is handled once, whichever client handles it (RFC 3503)"
                    .into(),
            evidence,
        }
    } else {
        Check { name: "Read receipts", verdict: Verdict::Fail, summary: "$MDNSent cannot be stored: clients cannot record that a receipt was handled, and may ask or send twice".into(), evidence }
    }
}

pub async fn imap_sample(
    session: &mut imap::Session,
    ep: &Endpoint,
    mailbox: &Mailbox,
    opts: &InspectOptions,
) -> Vec<Check> {
    if mailbox.exists == 0 {
        return na_sample("INBOX is empty");
    }
    let first = mailbox.exists.saturating_sub(opts.sample as u32 - 1).max(1);
    let range = format!("{first}:{}", mailbox.exists);
    let sizes: Vec<(u32, u64)> = match session.fetch(&range, "(UID RFC822.SIZE)").await {
        Ok(stream) => {
            match stream.map_ok(|f| (f.uid.unwrap_or(0), f.size.unwrap_or(0) as u64)).try_collect().await {
                Ok(v) => v,
                Err(e) => return failed_sample(imap::map_error(ep, e, None).to_string()),
            }
        }
        Err(e) => return failed_sample(imap::map_error(ep, e, None).to_string()),
    };
    let mut samples = Vec::new();
    for (uid, stated) in sizes.into_iter().filter(|(_, s)| *s <= opts.max_sample_bytes) {
        // One message at a time, each converted to owned bytes as it arrives.
        let fetched = match session.uid_fetch(uid.to_string(), "BODY.PEEK[]").await {
            Ok(stream) => stream.map_ok(|f| f.body().map(<[u8]>::to_vec)).try_collect::<Vec<_>>().await,
            Err(e) => Err(e),
        };
        match fetched {
            Ok(bodies) => {
                if let Some(bytes) = bodies.into_iter().flatten().next() {
                    samples.push(Sample { id: format!("UID {uid}"), stated, bytes });
                }
            }
            Err(e) => return failed_sample(imap::map_error(ep, e, None).to_string()),
        }
    }
    sample_checks(&samples, "RFC822.SIZE")
}

/// Sizes and formats from the newest messages; returns the UID of one retrieved message for
/// the leave-on-server check.
pub async fn pop3_sample(p: &mut pop3::Pop3, opts: &InspectOptions) -> Result<(Vec<Check>, Option<String>)> {
    let list = p.list().await?;
    if list.is_empty() {
        return Ok((na_sample("the mailbox is empty"), None));
    }
    let uids = p.uidl().await.unwrap_or_default();
    let mut samples = Vec::new();
    for &(n, stated) in list.iter().rev().take(opts.sample) {
        if stated > opts.max_sample_bytes {
            continue;
        }
        let bytes = p.retr(n).await?;
        samples.push(Sample { id: format!("message {n}"), stated, bytes });
    }
    let retrieved = samples
        .first()
        .and_then(|s| s.id.strip_prefix("message ").and_then(|n| n.parse::<u32>().ok()))
        .and_then(|n| uids.iter().find(|(m, _)| *m == n).map(|(_, u)| u.clone()));
    Ok((sample_checks(&samples, "LIST"), retrieved))
}

fn na_sample(why: &str) -> Vec<Check> {
    ["Sizes", "Formats delivered", "Calendar items"]
        .into_iter()
        .map(|name| Check {
            name,
            verdict: Verdict::NotApplicable,
            summary: why.to_string(),
            evidence: vec![],
        })
        .collect()
}

fn failed_sample(why: String) -> Vec<Check> {
    vec![Check {
        name: "Sizes",
        verdict: Verdict::Fail,
        summary: format!("cannot fetch the sample: {why}"),
        evidence: vec![],
    }]
}

fn sample_checks(samples: &[Sample], size_source: &str) -> Vec<Check> {
    if samples.is_empty() {
        return na_sample("no message small enough to sample");
    }
    let mut evidence = Vec::new();
    let mut differ = 0;
    for s in samples {
        let actual = s.bytes.len() as u64;
        if actual != s.stated {
            differ += 1;
        }
        evidence.push(format!("{}: {size_source} {} bytes, fetched {actual} bytes", s.id, s.stated));
    }
    let sizes = if differ == 0 {
        Check {
            name: "Sizes",
            verdict: Verdict::Pass,
            summary: format!(
                "exact: {size_source} matched the bytes fetched for all {} sampled messages",
                samples.len()
            ),
            evidence,
        }
    } else {
        Check {
            name: "Sizes",
            verdict: Verdict::Info,
            summary: format!(
                "estimated: {size_source} differed from the bytes fetched for {differ} of {} messages (Exchange reports estimates unless EnableExactRFC822Size is set; clients must not truncate by it)",
                samples.len()
            ),
            evidence,
        }
    };
    let mut formats = Vec::new();
    let (mut ical, mut calendar_links) = (0, 0);
    for s in samples {
        let Some(msg) = MessageParser::default().parse(&s.bytes) else {
            formats.push(format!("{}: cannot be parsed", s.id));
            continue;
        };
        let types: Vec<String> = msg
            .parts
            .iter()
            .filter_map(|p| p.content_type())
            .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_ascii_lowercase())
            .collect();
        let mut kind = classify(&types).to_string();
        if types.iter().any(|t| t == "multipart/mixed") {
            kind.push_str(", with attachments");
        }
        if types.iter().any(|t| t == "text/calendar") {
            ical += 1;
        } else if is_meeting(&msg) {
            calendar_links += 1;
        }
        formats.push(format!("{}: {kind} ({})", s.id, types.join(", ")));
    }
    let formats_check = Check {
        name: "Formats delivered",
        verdict: Verdict::Info,
        summary: format!("structure of {} sampled messages as the server hands them out", samples.len()),
        evidence: formats,
    };
    let calendar = if ical > 0 {
        Check {
            name: "Calendar items",
            verdict: Verdict::Pass,
            summary: format!("{ical} sampled message(s) carry text/calendar (iCal)"),
            evidence: vec![],
        }
    } else if calendar_links > 0 {
        Check {
            name: "Calendar items",
            verdict: Verdict::Info,
            summary: format!(
                "{calendar_links} meeting message(s) without text/calendar: calendar items arrive as links (Exchange's default; Set-CASMailbox -ImapForceICalForCalendarRetrievalOption $true gives iCal)"
            ),
            evidence: vec![],
        }
    } else {
        Check {
            name: "Calendar items",
            verdict: Verdict::NotApplicable,
            summary: "no meeting request in the sample".into(),
            evidence: vec![],
        }
    };
    vec![sizes, formats_check, calendar]
}

/// Names the structure the way testers talk about Exchange's body formats.
fn classify(types: &[String]) -> &'static str {
    let has = |t: &str| types.iter().any(|x| x == t);
    if has("application/ms-tnef") || has("application/vnd.ms-tnef") {
        "TNEF (winmail.dat)"
    } else if has("text/enriched") || has("text/richtext") {
        "enriched text"
    } else if has("multipart/alternative") {
        "alternative (text and HTML)"
    } else if has("text/html") {
        "HTML only"
    } else {
        "text only"
    }
}

fn is_meeting(msg: &mail_parser::Message) -> bool {
    msg.header_raw("Content-Class").is_some_and(|c| c.to_ascii_lowercase().contains("calendarmessage"))
        || msg.header_raw("X-MS-Exchange-Calendar-Originator-Id").is_some()
}

pub fn login_delay(stages: &[Stage], logged_in: bool) -> Check {
    let name = "Login delay";
    let Some(login) = stages.iter().find(|s| s.name == StageName::Login && s.ok) else {
        return Check {
            name,
            verdict: Verdict::NotApplicable,
            summary: if logged_in { "no successful login".into() } else { "not logged in".into() },
            evidence: vec![],
        };
    };
    let ms = login.duration.as_secs_f64() * 1000.0;
    match slow_login(login.duration) {
        None => Check {
            name,
            verdict: Verdict::Pass,
            summary: format!("logging in took {ms:.0} ms (expected under {} s)", SLOW_LOGIN.as_secs()),
            evidence: vec![],
        },
        Some(why) => {
            Check { name, verdict: Verdict::Info, summary: why, evidence: vec![format!("{ms:.0} ms")] }
        }
    }
}

pub fn idle_offered(facts: &SessionFacts) -> Check {
    let all: Vec<&String> = facts.capabilities.iter().chain(&facts.capabilities_after_login).collect();
    let idle = all.iter().any(|c| c.eq_ignore_ascii_case("IDLE"));
    Check {
        name: "IDLE",
        verdict: if idle { Verdict::Pass } else { Verdict::Fail },
        summary: if idle {
            "IDLE is offered: new mail can be pushed".into()
        } else {
            "IDLE is not offered: a client must poll".into()
        },
        evidence: vec![],
    }
}
