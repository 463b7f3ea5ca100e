//! The delivered-format and calendar checks: what each sampled message is made of, named the
//! way testers talk about Exchange's body formats (MessagesRetrievalMimeFormat: text, HTML,
//! both, enriched text, enriched and text, TNEF), and how meeting messages arrive — as iCal
//! (an invitation's text/calendar, an .ics attachment), inside TNEF, or as links.

use mail_parser::{MessageParser, MimeHeaders};

use super::{Check, Verdict};
use crate::limits::size as in_words;
use crate::message::tnef;

/// What the formats and calendar checks need of a message.
pub(super) struct Shape {
    /// The content types of its parts, lower case; None when it cannot be parsed.
    types: Option<Vec<String>>,
    /// The header says it is a meeting message (Exchange's calendar message class).
    meeting: bool,
    /// Its calendar parts, each as the evidence names it.
    calendars: Vec<String>,
    /// A winmail.dat in it holds a meeting request, cancellation or response.
    tnef_meeting: bool,
    /// Only its first bytes were kept (the rest was counted): the structure is theirs.
    pub(super) partial: bool,
}

impl Shape {
    pub(super) fn of(bytes: &[u8], partial: bool) -> Shape {
        let Some(msg) = MessageParser::default().parse(bytes) else {
            return Shape {
                types: None,
                meeting: false,
                calendars: Vec::new(),
                tnef_meeting: false,
                partial,
            };
        };
        let mut types = Vec::new();
        let mut calendars = Vec::new();
        let mut tnef_meeting = false;
        for part in &msg.parts {
            let Some(ct) = part.content_type() else { continue };
            let mime = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_ascii_lowercase();
            match mime.as_str() {
                "text/calendar" | "application/ics" => {
                    let attached = part.content_disposition().is_some_and(|d| d.is_attachment())
                        || part.attachment_name().is_some();
                    let method =
                        ct.attribute("method").map(|m| format!(", method {}", m.to_ascii_uppercase()));
                    calendars.push(if attached {
                        format!("an .ics attachment ({mime}{})", method.unwrap_or_default())
                    } else {
                        format!("a calendar invitation ({mime}{})", method.unwrap_or_default())
                    });
                }
                "application/ms-tnef" | "application/vnd.ms-tnef" => {
                    let class = tnef::decode(part.contents()).message_class.unwrap_or_default();
                    tnef_meeting |= class.to_ascii_lowercase().starts_with("ipm.schedule.meeting.");
                }
                _ => {}
            }
            types.push(mime);
        }
        Shape { types: Some(types), meeting: is_meeting(&msg), calendars, tnef_meeting, partial }
    }

    fn has(&self, mime: &str) -> bool {
        self.types.as_ref().is_some_and(|types| types.iter().any(|t| t == mime))
    }

    /// The body format, named the way testers talk about Exchange's.
    fn kind(&self) -> &'static str {
        let has = |t: &str| self.has(t);
        if has("application/ms-tnef") || has("application/vnd.ms-tnef") {
            "TNEF (winmail.dat)"
        } else if has("text/enriched") || has("text/richtext") {
            if has("multipart/alternative") && has("text/plain") {
                "enriched text with a text alternative"
            } else {
                "enriched text only"
            }
        } else if has("multipart/alternative") && has("text/html") {
            "alternative (text and HTML)"
        } else if has("text/html") {
            "HTML only"
        } else {
            "text only"
        }
    }
}

fn is_meeting(msg: &mail_parser::Message) -> bool {
    msg.header_raw("Content-Class").is_some_and(|c| c.to_ascii_lowercase().contains("calendarmessage"))
        || msg.header_raw("X-MS-Exchange-Calendar-Originator-Id").is_some()
}

/// The "Formats delivered" and "Calendar items" checks over the sampled messages (id and
/// shape each); `max` is the sample limit, for messages read only in part.
pub(super) fn checks<'a>(samples: impl Iterator<Item = (&'a str, &'a Shape)>, max: u64) -> [Check; 2] {
    let mut evidence = Vec::new();
    // Each kind with its count, in the order first seen.
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    let (mut sampled, mut ical, mut in_tnef, mut calendar_links) = (0, 0, 0, 0);
    for (id, shape) in samples {
        sampled += 1;
        let Some(types) = &shape.types else {
            evidence.push(format!("{id}: cannot be parsed"));
            continue;
        };
        let kind = shape.kind();
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((kind, 1)),
        }
        let mut described = kind.to_string();
        if shape.tnef_meeting {
            described.push_str(" holding a meeting request");
        }
        if shape.has("multipart/mixed") {
            described.push_str(", with attachments");
        }
        for calendar in &shape.calendars {
            described.push_str(&format!(", with {calendar}"));
        }
        if !shape.calendars.is_empty() {
            ical += 1;
        } else if shape.tnef_meeting {
            in_tnef += 1;
        } else if shape.meeting {
            calendar_links += 1;
        }
        let partial =
            if shape.partial { format!(" — from its first {} only", in_words(max)) } else { String::new() };
        evidence.push(format!("{id}: {described} ({}){partial}", types.join(", ")));
    }
    let mut summary = format!("structure of {sampled} sampled messages as the server hands them out");
    if !kinds.is_empty() {
        let counts: Vec<String> = kinds.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        summary.push_str(&format!(": {}", counts.join(", ")));
    }
    if ical > 0 {
        summary.push_str(&format!("; {ical} with a calendar item (iCal)"));
    }
    if in_tnef > 0 {
        summary.push_str(&format!("; {in_tnef} with a meeting request inside TNEF"));
    }
    let formats = Check { name: "Formats delivered", verdict: Verdict::Info, summary, evidence };
    let tnef_too = match in_tnef {
        0 => String::new(),
        n => format!("; plus {n} with a meeting request inside TNEF (winmail.dat)"),
    };
    let calendar = if ical > 0 {
        Check {
            name: "Calendar items",
            verdict: Verdict::Pass,
            summary: format!("{ical} sampled message(s) carry text/calendar (iCal){tnef_too}"),
            evidence: vec![],
        }
    } else if in_tnef > 0 {
        Check {
            name: "Calendar items",
            verdict: Verdict::Info,
            summary: format!(
                "{in_tnef} meeting message(s) arrive inside TNEF (winmail.dat), not as text/calendar: only a client that reads TNEF sees them as calendar items"
            ),
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
    [formats, calendar]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use tidings_testkit::generate::{Format, format_message, message};

    fn described(raw: &[u8]) -> (String, String) {
        let shape = Shape::of(raw, false);
        let [formats, calendar] = checks([("m", &shape)].into_iter(), 1024);
        (formats.evidence[0].clone(), calendar.summary)
    }

    #[test]
    fn every_format_is_named() {
        let to = "bob@example.test";
        let cases = [
            (message(0, to), "m: text only (text/plain)"),
            (message(1, to), "m: HTML only (text/html)"),
            (message(2, to), "m: alternative (text and HTML) (multipart/alternative, text/plain, text/html)"),
            (format_message(Format::Enriched, 0, to), "m: enriched text only (text/enriched)"),
            (
                format_message(Format::EnrichedAlternative, 0, to),
                "m: enriched text with a text alternative (multipart/alternative, text/plain, text/enriched)",
            ),
            (
                format_message(Format::Tnef, 0, to),
                "m: TNEF (winmail.dat), with attachments (multipart/mixed, text/plain, application/ms-tnef)",
            ),
            (
                format_message(Format::TnefMeeting, 0, to),
                "m: TNEF (winmail.dat) holding a meeting request, with attachments (multipart/mixed, text/plain, application/ms-tnef)",
            ),
            (
                format_message(Format::Invitation, 0, to),
                "m: text only, with a calendar invitation (text/calendar, method REQUEST) (multipart/alternative, text/plain, text/calendar)",
            ),
            (
                format_message(Format::IcsAttachment, 0, to),
                "m: text only, with attachments, with an .ics attachment (application/ics) (multipart/mixed, text/plain, application/ics)",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(described(&raw).0, want);
        }
        assert_eq!(
            described(&format_message(Format::TnefMeeting, 0, to)).1,
            "1 meeting message(s) arrive inside TNEF (winmail.dat), not as text/calendar: only a client that reads TNEF sees them as calendar items"
        );
        assert_eq!(
            described(&format_message(Format::Invitation, 0, to)).1,
            "1 sampled message(s) carry text/calendar (iCal)"
        );
    }
}
