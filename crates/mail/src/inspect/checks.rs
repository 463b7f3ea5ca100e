//! Behaviour checks, each pass / fail / info / not applicable with its evidence: exact or
//! estimated sizes (Exchange's EnableExactRFC822Size), read receipts ($MDNSent), the formats
//! the server hands out and its calendar items (`formats`), IDLE, and the login delay.

use std::io::Write;

use async_imap::types::{Flag, Mailbox};
use futures::TryStreamExt;

use super::formats::{self, Shape};
use super::{Check, InspectOptions, Verdict};
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::explain::{SLOW_LOGIN, slow_login};
use crate::limits::size as in_words;
use crate::net::{Endpoint, Stage, StageName};
use crate::{imap, pop3};

/// Largest message the size and format checks read (the default of
/// `InspectOptions::max_sample_bytes`); larger ones are listed as not compared.
pub const MAX_SAMPLE_BYTES: u64 = 5 * 1024 * 1024;

/// A POP3 sample whose bytes run past this many times the sample limit is read no further
/// (whatever LIST said): a RETR that never ends stops there, and its session is given up.
const RUNAWAY_FACTOR: u64 = 2;

/// One sampled message: the size the server stated, the bytes it sent, and what the format
/// checks need of it (its bytes themselves are not kept).
struct Sample {
    id: String,
    stated: u64,
    actual: u64,
    fit: SizeFit,
    shape: Shape,
}

/// A message of the sample left out because it is over the limit, with its stated size.
struct Skipped {
    id: String,
    stated: u64,
}

/// How a stated size compares with the bytes the server sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SizeFit {
    Exact,
    /// Off by the last line ending only (1 or 2 bytes): the server leaves the final CRLF out
    /// of its count, or counts one it does not send.
    FinalLineEnding,
    /// The size as if each line ending were one octet (the message as stored with LF).
    LfLineEndings,
    /// Any other difference: an estimate.
    Estimated,
}

fn size_fit(stated: u64, actual: u64, lines: u64, ends_crlf: bool) -> SizeFit {
    if stated == actual {
        return SizeFit::Exact;
    }
    // More bytes than stated and they end with CRLF: the count left the final one out.
    // Fewer, and no final CRLF: the count has one that was not sent.
    if stated.abs_diff(actual) <= 2 && (actual > stated) == ends_crlf {
        return SizeFit::FinalLineEnding;
    }
    if lines > 2 && actual.checked_sub(lines).is_some_and(|lf| lf.abs_diff(stated) <= 2) {
        return SizeFit::LfLineEndings;
    }
    SizeFit::Estimated
}

/// Takes a message as it arrives: counts its bytes and line feeds, notes its last two bytes,
/// keeps only its first `keep` bytes and refuses to go past `limit`, so memory stays bounded
/// whatever the server sends.
struct Tally {
    head: Vec<u8>,
    keep: usize,
    limit: u64,
    bytes: u64,
    lines: u64,
    tail: [u8; 2],
    /// The limit was reached: the message was not read to its end.
    over: bool,
}

impl Tally {
    fn new(keep: u64, limit: u64) -> Tally {
        Tally {
            head: Vec::new(),
            keep: usize::try_from(keep).unwrap_or(usize::MAX),
            limit,
            bytes: 0,
            lines: 0,
            tail: [0; 2],
            over: false,
        }
    }

    fn finish(self, id: String, stated: u64) -> Sample {
        let fit = size_fit(stated, self.bytes, self.lines, self.tail == *b"\r\n");
        let shape = Shape::of(&self.head, (self.head.len() as u64) < self.bytes);
        Sample { id, stated, actual: self.bytes, fit, shape }
    }
}

impl Write for Tally {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.saturating_add(buf.len() as u64) > self.limit {
            self.over = true;
            return Err(std::io::Error::other("the sample limit was reached"));
        }
        let room = self.keep.saturating_sub(self.head.len()).min(buf.len());
        self.head.extend_from_slice(&buf[..room]);
        self.bytes += buf.len() as u64;
        self.lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        match buf {
            [.., a, b] => self.tail = [*a, *b],
            [b] => self.tail = [self.tail[1], *b],
            [] => {}
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
    let first = mailbox.exists.saturating_sub((opts.sample as u32).saturating_sub(1)).max(1);
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
    let mut skipped = Vec::new();
    for (uid, stated) in sizes {
        let id = format!("UID {uid}");
        if stated > opts.max_sample_bytes {
            skipped.push(Skipped { id, stated });
            continue;
        }
        // One message at a time, each reduced to its sample as it arrives; a literal larger
        // than the sample's cut-off is refused before it is read (the server said it is
        // smaller).
        session.as_mut().limit_literals(Some(opts.max_sample_bytes.saturating_mul(RUNAWAY_FACTOR)));
        let fetched = match session.uid_fetch(uid.to_string(), "BODY.PEEK[]").await {
            Ok(stream) => {
                stream
                    .map_ok(|f| {
                        f.body().map(|body| {
                            let mut tally = Tally::new(opts.max_sample_bytes, u64::MAX);
                            let _ = tally.write_all(body);
                            tally
                        })
                    })
                    .try_collect::<Vec<_>>()
                    .await
            }
            Err(e) => Err(e),
        };
        match fetched {
            Ok(tallies) => {
                if let Some(tally) = tallies.into_iter().flatten().next() {
                    samples.push(tally.finish(id, stated));
                }
            }
            Err(e) => {
                session.as_mut().limit_literals(None);
                return failed_sample(fetch_error(ep, e, opts.include_content));
            }
        }
    }
    session.as_mut().limit_literals(None);
    sample_checks(&samples, &skipped, None, "RFC822.SIZE", opts.max_sample_bytes)
}

/// Why a message of the sample could not be fetched. An answer that could not be parsed is
/// quoted only when content was asked for: its start is the message itself.
fn fetch_error(ep: &Endpoint, e: async_imap::error::Error, include_content: bool) -> String {
    let unparsable = imap::is_parse_error(&e);
    let e = imap::map_error(ep, e, None);
    if unparsable && !include_content { e.message().to_string() } else { e.to_string() }
}

/// The POP3 sample's checks, and what the inspection does next.
pub struct Pop3Sample {
    pub checks: Vec<Check>,
    /// The UID of one message retrieved, for the leave-on-server check.
    pub retrieved: Option<String>,
    /// A message did not end: the session stopped in the middle of its RETR and cannot go on.
    pub session_given_up: bool,
}

/// Sizes and formats from the newest messages. Each RETR streams through a [`Tally`]: only
/// the start of a message is kept, and one that runs far past the limit is read no further.
pub async fn pop3_sample(p: &mut pop3::Pop3, opts: &InspectOptions) -> Result<Pop3Sample> {
    let list = p.list().await?;
    if list.is_empty() {
        return Ok(Pop3Sample {
            checks: na_sample("the mailbox is empty"),
            retrieved: None,
            session_given_up: false,
        });
    }
    let uids = p.uidl().await.unwrap_or_default();
    let limit = opts.max_sample_bytes.saturating_mul(RUNAWAY_FACTOR);
    let mut samples = Vec::new();
    let mut skipped = Vec::new();
    let mut first = None;
    let mut runaway = None;
    for &(n, stated) in list.iter().rev().take(opts.sample) {
        let id = format!("message {n}");
        if stated > opts.max_sample_bytes {
            skipped.push(Skipped { id, stated });
            continue;
        }
        let mut tally = Tally::new(opts.max_sample_bytes, limit);
        match p.retr_into(n, stated, &mut tally).await {
            Ok(_) => {}
            Err(_) if tally.over => {
                runaway = Some(Error::new(
                    Kind::Protocol,
                    format!(
                        "{id} did not end: LIST gave it as {stated} bytes, but the server sent more than {} for it; Tidings stopped reading there and closed the session",
                        in_words(limit)
                    ),
                ));
                break;
            }
            Err(e) => return Err(e),
        }
        first.get_or_insert(n);
        samples.push(tally.finish(id, stated));
    }
    let retrieved = first.and_then(|n| uids.iter().find(|(m, _)| *m == n).map(|(_, u)| u.clone()));
    Ok(Pop3Sample {
        checks: sample_checks(&samples, &skipped, runaway.as_ref(), "LIST", opts.max_sample_bytes),
        retrieved,
        session_given_up: runaway.is_some(),
    })
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

/// The RFC that says what a stated size counts, in the words the checks need.
fn counted_by(size_source: &str) -> (&'static str, &'static str) {
    if size_source == "LIST" {
        (
            "RFC 1939 counts every octet sent before the end marker, the final CRLF included",
            "RFC 1939 §11 counts each line ending as two octets, CRLF",
        )
    } else {
        (
            "RFC 3501 counts every octet of the message, the final CRLF included",
            "RFC 3501 counts the message as sent, with CRLF line endings",
        )
    }
}

fn sizes_check(
    samples: &[Sample],
    skipped: &[Skipped],
    runaway: Option<&Error>,
    size_source: &str,
    max: u64,
) -> Check {
    let name = "Sizes";
    let mut evidence: Vec<String> = samples
        .iter()
        .map(|s| {
            let what = match s.fit {
                SizeFit::Exact => "",
                SizeFit::FinalLineEnding => ": off by the final line ending",
                SizeFit::LfLineEndings => ": as if each line ending were one octet",
                SizeFit::Estimated => ": estimated",
            };
            format!("{}: {size_source} {} bytes, fetched {} bytes{what}", s.id, s.stated, s.actual)
        })
        .collect();
    evidence.extend(skipped.iter().map(|s| {
        format!(
            "{}: {size_source} {} bytes, not compared (over the {} sample limit)",
            s.id,
            s.stated,
            in_words(max)
        )
    }));
    if let Some(e) = runaway {
        return Check { name, verdict: Verdict::Fail, summary: e.message().to_string(), evidence };
    }
    let not_compared = if skipped.is_empty() {
        String::new()
    } else {
        let ids: Vec<&str> = skipped.iter().map(|s| s.id.as_str()).collect();
        format!(
            "; {} larger message(s) not compared (over the {} sample limit): {}",
            skipped.len(),
            in_words(max),
            ids.join(", ")
        )
    };
    if samples.is_empty() {
        let summary = if skipped.is_empty() {
            "no message to sample".to_string()
        } else {
            format!(
                "not compared: all {} sampled messages are over the {} sample limit",
                skipped.len(),
                in_words(max)
            )
        };
        return Check { name, verdict: Verdict::NotApplicable, summary, evidence };
    }
    let count = |fit| samples.iter().filter(|s| s.fit == fit).count();
    let (n, estimated) = (samples.len(), count(SizeFit::Estimated));
    let (final_crlf, lf) = (count(SizeFit::FinalLineEnding), count(SizeFit::LfLineEndings));
    let (rfc_final, rfc_lf) = counted_by(size_source);
    let mut parts = Vec::new();
    if estimated > 0 {
        parts.push(format!(
            "estimated: {size_source} differed from the bytes fetched for {estimated} of {n} messages (Exchange reports estimates unless EnableExactRFC822Size is set; clients must not truncate by it)"
        ));
    }
    if final_crlf > 0 {
        parts.push(format!(
            "off by the final line ending: {size_source} differed from the bytes fetched only by the last line ending (1 or 2 bytes) for {final_crlf} of {n} messages ({rfc_final}; harmless unless a client cuts a message at the stated size)"
        ));
    }
    if lf > 0 {
        parts.push(format!(
            "line endings counted as one octet: {size_source} is the size with LF line endings for {lf} of {n} messages (the size of the message as stored; {rfc_lf})"
        ));
    }
    if parts.is_empty() {
        return Check {
            name,
            verdict: Verdict::Pass,
            summary: format!(
                "exact: {size_source} matched the bytes fetched for all {n} compared messages{not_compared}"
            ),
            evidence,
        };
    }
    Check { name, verdict: Verdict::Info, summary: format!("{}{not_compared}", parts.join("; ")), evidence }
}

fn sample_checks(
    samples: &[Sample],
    skipped: &[Skipped],
    runaway: Option<&Error>,
    size_source: &str,
    max: u64,
) -> Vec<Check> {
    let sizes = sizes_check(samples, skipped, runaway, size_source, max);
    if samples.is_empty() {
        let mut checks = na_sample(&sizes.summary);
        checks[0] = sizes;
        return checks;
    }
    let [formats, calendar] = formats::checks(samples.iter().map(|s| (s.id.as_str(), &s.shape)), max);
    vec![sizes, formats, calendar]
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

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"Subject: hi\r\nContent-Type: text/plain\r\n\r\nline one\r\nline two\r\n";

    fn sample(id: &str, stated: u64, bytes: &[u8]) -> Sample {
        let mut t = Tally::new(MAX_SAMPLE_BYTES, u64::MAX);
        t.write_all(bytes).unwrap_or_default();
        t.finish(id.into(), stated)
    }

    #[test]
    fn size_differences_are_told_apart() {
        let n = MSG.len() as u64;
        let lines = MSG.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(size_fit(n, n, lines, true), SizeFit::Exact);
        // The count leaves the final CRLF (or LF) out.
        assert_eq!(size_fit(n - 2, n, lines, true), SizeFit::FinalLineEnding);
        assert_eq!(size_fit(n - 1, n, lines, true), SizeFit::FinalLineEnding);
        // The count has a final CRLF that was not sent.
        assert_eq!(size_fit(n + 2, n, lines, false), SizeFit::FinalLineEnding);
        assert_eq!(size_fit(n + 2, n, lines, true), SizeFit::Estimated);
        assert_eq!(size_fit(n - lines, n, lines, true), SizeFit::LfLineEndings);
        assert_eq!(size_fit(n.div_ceil(1024) * 1024 + 37, n, lines, true), SizeFit::Estimated);
    }

    /// A size off by the final CRLF is called that, not an estimate (Exchange's).
    #[test]
    fn a_final_crlf_difference_is_not_called_estimated() {
        let n = MSG.len() as u64;
        let checks = sample_checks(&[sample("message 1", n - 2, MSG)], &[], None, "LIST", MAX_SAMPLE_BYTES);
        let sizes = &checks[0];
        assert_eq!(sizes.verdict, Verdict::Info);
        assert!(sizes.summary.starts_with("off by the final line ending"), "{}", sizes.summary);
        assert!(sizes.summary.contains("RFC 1939"), "{}", sizes.summary);
        assert!(
            !sizes.summary.contains("Exchange") && !sizes.summary.contains("estimated"),
            "{}",
            sizes.summary
        );

        let estimated = sample("message 2", n + 300, MSG);
        let checks =
            sample_checks(&[sample("message 1", n - 2, MSG), estimated], &[], None, "LIST", MAX_SAMPLE_BYTES);
        let s = &checks[0].summary;
        assert!(s.starts_with("estimated: LIST differed from the bytes fetched for 1 of 2"), "{s}");
        assert!(s.contains("off by the final line ending") && s.contains("for 1 of 2"), "{s}");
    }

    /// Messages over the limit are named in the check, with their size and the reason.
    #[test]
    fn messages_over_the_limit_are_listed_as_not_compared() {
        let n = MSG.len() as u64;
        let big = Skipped { id: "message 3".into(), stated: 6 * 1024 * 1024 };
        let checks = sample_checks(
            &[sample("message 1", n, MSG)],
            std::slice::from_ref(&big),
            None,
            "LIST",
            MAX_SAMPLE_BYTES,
        );
        let sizes = &checks[0];
        assert_eq!(sizes.verdict, Verdict::Pass);
        assert!(
            sizes
                .summary
                .contains("1 larger message(s) not compared (over the 5 MiB sample limit): message 3"),
            "{}",
            sizes.summary
        );
        assert!(
            sizes
                .evidence
                .iter()
                .any(|e| e == "message 3: LIST 6291456 bytes, not compared (over the 5 MiB sample limit)"),
            "{:?}",
            sizes.evidence
        );

        let checks = sample_checks(&[], &[big], None, "RFC822.SIZE", MAX_SAMPLE_BYTES);
        assert_eq!(checks[0].verdict, Verdict::NotApplicable);
        assert!(
            checks[0].summary.contains("all 1 sampled messages are over the 5 MiB"),
            "{}",
            checks[0].summary
        );
        assert_eq!(checks[0].evidence.len(), 1);
    }

    /// Whatever is written, the tally keeps at most `keep` bytes and stops at `limit`.
    #[test]
    fn a_tally_keeps_the_start_only_and_stops_at_its_limit() {
        let mut t = Tally::new(16, 1000);
        for _ in 0..9 {
            t.write_all(&[b'x'; 100]).unwrap_or_default();
        }
        assert_eq!((t.head.len(), t.bytes, t.over), (16, 900, false));
        assert!(t.write_all(&[b'x'; 200]).is_err());
        assert!(t.over);
        assert!(t.head.capacity() <= 64, "{}", t.head.capacity());
        let partial = sample("m", 0, &[MSG, &[b'a'; 64]].concat());
        assert!(!partial.shape.partial);
        let mut t = Tally::new(10, u64::MAX);
        t.write_all(MSG).unwrap_or_default();
        let s = t.finish("m".into(), MSG.len() as u64);
        assert!(s.shape.partial && s.fit == SizeFit::Exact);
    }
}
