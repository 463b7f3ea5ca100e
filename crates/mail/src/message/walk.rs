//! The walk over mail-parser's tree: which part is the body, what is an attachment, what is
//! a forwarded message, a report or a calendar. Every step is bounded by the limits of
//! `crate::limits` ("Messages").

use std::borrow::Cow;
use std::sync::LazyLock;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{
    Address, Encoding, HeaderName, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

use super::model::{Attachment, BodyKind, Calendar, Display, Mailbox};
use super::rich::{Block, Piece, Rich};
use super::{body, enriched, html, names, report, rtf, tnef};
use crate::limits::{
    MAX_ADDRESSES, MAX_ATTACHMENTS, MAX_CALENDAR_BYTES, MAX_FORWARDED, MAX_HEADER_CHARS, MAX_MIME_DEPTH,
    MAX_NESTED_MESSAGES, MAX_PARTS,
};
use crate::options::BodyFormat;
use crate::sync::headers::clean;

/// mail-parser with the fields the reader shows parsed, every other field kept raw (parsing
/// Received lines into their parts would cost time for nothing).
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .with_mime_headers()
        .with_date_headers()
        .with_address_headers()
        .header_address(HeaderName::DispositionNotificationTo)
        .header_text(HeaderName::Subject)
        .header_id(HeaderName::MessageId)
});

pub fn render(raw: &[u8], format: BodyFormat) -> Display {
    let mut notes = Vec::new();
    let raw = defuse_nesting(raw, &mut notes);
    let mut reader = Reader { format, parts: 0 };
    let mut display = match PARSER.parse(raw.as_ref()) {
        Some(msg) if !msg.parts.is_empty() => reader.message(&msg, 0),
        _ => headerless(&raw, format),
    };
    notes.append(&mut display.notes);
    display.notes = notes;
    display
}

/// Bytes without a header at all: shown as text, so something is always there to read.
fn headerless(raw: &[u8], format: BodyFormat) -> Display {
    let mut notes = vec!["This message has no header; it is shown as text.".to_string()];
    let text = text_of(&String::from_utf8_lossy(raw));
    let sections = vec![body::Section::new(BodyKind::Text, text)];
    let body = body::assemble(sections, format, &mut notes);
    Display { body, notes, ..Display::default() }
}

/// mail-parser builds forwarded messages as a tree of nested values: tens of thousands of
/// `message/rfc822` parts inside one another (or digests, whose parts are messages without
/// saying so) would cost more stack to build and drop than a thread has. Past
/// [`MAX_NESTED_MESSAGES`] of them, the rest are renamed (same length: an 'x' for the first
/// letter) to a type it reads as an ordinary attachment.
fn defuse_nesting<'a>(raw: &'a [u8], notes: &mut Vec<String>) -> Cow<'a, [u8]> {
    const NEEDLES: [&[u8]; 3] = [b"message/rfc822", b"message/global", b"multipart/digest"];
    let lower = raw.to_ascii_lowercase();
    let mut hits: Vec<usize> =
        NEEDLES.iter().flat_map(|n| memchr::memmem::find_iter(&lower, n).collect::<Vec<_>>()).collect();
    if hits.len() <= MAX_NESTED_MESSAGES {
        return Cow::Borrowed(raw);
    }
    hits.sort_unstable();
    let mut bytes = raw.to_vec();
    for &start in &hits[MAX_NESTED_MESSAGES..] {
        bytes[start] = b'x';
    }
    notes.push(format!(
        "This message holds more than {MAX_NESTED_MESSAGES} forwarded messages; the rest are listed as attachments."
    ));
    Cow::Owned(bytes)
}

/// Where a part sits: in the flow of the body, or a resource of a `multipart/related` root
/// (an inline image), which is never a body of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Body,
    Resource,
}

/// What one message (or one alternative of it) is made of, gathered by the walk.
#[derive(Default)]
struct Found {
    sections: Vec<body::Section>,
    /// The body of a TNEF part: an alternative to `sections`.
    tnef_sections: Option<Vec<body::Section>>,
    tnef_subject: Option<String>,
    attachments: Vec<Attachment>,
    forwarded: Vec<Display>,
    calendar: Vec<super::model::Calendar>,
    report: Option<super::model::Report>,
    notes: Vec<String>,
}

impl Found {
    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn merge(&mut self, mut other: Found) {
        self.sections.append(&mut other.sections);
        if other.tnef_sections.is_some() {
            self.tnef_sections = other.tnef_sections;
            self.tnef_subject = other.tnef_subject;
        }
        self.attachments.append(&mut other.attachments);
        self.forwarded.append(&mut other.forwarded);
        self.calendar.append(&mut other.calendar);
        match (&mut self.report, other.report) {
            (Some(mine), Some(mut theirs)) => mine.recipients.append(&mut theirs.recipients),
            (mine @ None, theirs) => *mine = theirs,
            _ => {}
        }
        for note in other.notes {
            self.note(note);
        }
    }

    fn attach(&mut self, attachment: Attachment) {
        if self.attachments.len() < MAX_ATTACHMENTS {
            self.attachments.push(attachment);
        } else {
            self.note(format!("Only the first {MAX_ATTACHMENTS} attachments are listed."));
        }
    }
}

struct Reader {
    format: BodyFormat,
    /// Parts looked at so far, forwarded messages included.
    parts: usize,
}

impl Reader {
    fn message(&mut self, msg: &Message<'_>, depth: usize) -> Display {
        let mut found = Found::default();
        self.part(msg, 0, depth, Role::Body, &mut found);
        let mut notes = Vec::new();
        let mut display = headers(msg, &mut notes);
        let tnef = found.tnef_sections.is_some();
        let sections = match found.tnef_sections.take() {
            Some(from_tnef) => {
                body::choose(vec![std::mem::take(&mut found.sections), from_tnef], self.format)
            }
            None => std::mem::take(&mut found.sections),
        };
        display.body = body::assemble(sections, self.format, &mut notes);
        if display.subject.is_none() {
            display.subject = found.tnef_subject.take();
        }
        display.attachments = found.attachments;
        display.forwarded = found.forwarded;
        display.calendar = found.calendar;
        display.report = found.report;
        display.tnef = tnef;
        found.notes.append(&mut notes);
        display.notes = found.notes;
        display
    }

    fn part(&mut self, msg: &Message<'_>, id: u32, depth: usize, role: Role, found: &mut Found) {
        self.parts += 1;
        if self.parts > MAX_PARTS {
            found.note(format!(
                "This message has more than {MAX_PARTS} parts; only the first {MAX_PARTS} are shown."
            ));
            return;
        }
        let Some(part) = msg.parts.get(id as usize) else { return };
        match &part.body {
            PartType::Multipart(children) => {
                if depth >= MAX_MIME_DEPTH {
                    found.note(format!("Parts nested more than {MAX_MIME_DEPTH} levels deep are not shown."));
                    return;
                }
                let subtype =
                    part.content_type().and_then(|ct| ct.subtype()).unwrap_or("mixed").to_ascii_lowercase();
                match subtype.as_str() {
                    "alternative" => self.alternative(msg, children, depth + 1, found),
                    "related" => self.related(msg, part, children, depth + 1, role, found),
                    other => {
                        if other == "encrypted" {
                            found.note("This message is encrypted; it cannot be read here yet.".into());
                        }
                        for &child in children {
                            self.part(msg, child, depth + 1, role, found);
                        }
                    }
                }
            }
            PartType::Message(inner) => self.forwarded(inner, depth + 1, found),
            _ => self.leaf(msg, part, depth, role, found),
        }
    }

    /// One of the alternatives, chosen by the preference; calendars and attachments of the
    /// others are kept (an invitation's text/calendar is an alternative of its text).
    fn alternative(&mut self, msg: &Message<'_>, children: &[u32], depth: usize, found: &mut Found) {
        let mut alternatives: Vec<Found> = Vec::new();
        for &child in children {
            let mut alt = Found::default();
            self.part(msg, child, depth, Role::Body, &mut alt);
            found.calendar.append(&mut alt.calendar);
            alternatives.push(alt);
        }
        let mut candidates: Vec<Vec<body::Section>> =
            alternatives.iter_mut().map(|a| std::mem::take(&mut a.sections)).collect();
        let chosen = body::choose_index(&mut candidates, self.format);
        for (i, (mut alt, sections)) in alternatives.into_iter().zip(candidates).enumerate() {
            if Some(i) == chosen {
                alt.sections = sections;
                found.merge(alt);
            } else {
                found.attachments.append(&mut alt.attachments);
            }
        }
    }

    /// The root part (the `start` parameter, else the first) in the body's flow; the others
    /// are its resources.
    fn related(
        &mut self,
        msg: &Message<'_>,
        part: &MessagePart<'_>,
        children: &[u32],
        depth: usize,
        role: Role,
        found: &mut Found,
    ) {
        let start = part.content_type().and_then(|ct| ct.attribute("start")).map(bare_id);
        let root = start
            .and_then(|s| {
                children.iter().position(|&c| {
                    msg.parts.get(c as usize).and_then(|p| p.content_id()).map(bare_id) == Some(s)
                })
            })
            .unwrap_or(0);
        for (i, &child) in children.iter().enumerate() {
            self.part(msg, child, depth, if i == root { role } else { Role::Resource }, found);
        }
    }

    /// Whether one more message may be shown inside this one (a forwarded message, a
    /// report's returned header): within the depth and the count, or a note saying why not.
    fn room_for_nested(depth: usize, found: &mut Found) -> bool {
        if depth > MAX_MIME_DEPTH {
            found.note(format!("Parts nested more than {MAX_MIME_DEPTH} levels deep are not shown."));
            return false;
        }
        if found.forwarded.len() >= MAX_FORWARDED {
            found.note(format!("Only the first {MAX_FORWARDED} forwarded messages are shown."));
            return false;
        }
        true
    }

    fn forwarded(&mut self, inner: &Message<'_>, depth: usize, found: &mut Found) {
        if !Self::room_for_nested(depth, found) {
            return;
        }
        if inner.parts.is_empty() {
            return;
        }
        let display = self.message(inner, depth);
        found.forwarded.push(display);
    }

    fn leaf(
        &mut self,
        msg: &Message<'_>,
        part: &MessagePart<'_>,
        depth: usize,
        role: Role,
        found: &mut Found,
    ) {
        let mime = mime_of(part);
        let disposition = part.content_disposition();
        let attached = disposition.is_some_and(|d| d.is_attachment());
        let name = names::attachment_name(msg, part);
        let name = name.as_deref();
        if is_tnef(&mime, name) {
            let data = decoded_bytes(msg, part);
            self.tnef(&data, depth, found);
            return;
        }
        match mime.as_str() {
            "message/delivery-status"
            | "message/global-delivery-status"
            | "message/disposition-notification"
            | "message/global-disposition-notification" => {
                let kind = mime.trim_start_matches("message/").trim_start_matches("global-");
                let parsed = report::parse(kind, &decoded_bytes(msg, part));
                match &mut found.report {
                    Some(report) => report.recipients.extend(parsed.recipients),
                    None => found.report = Some(parsed),
                }
                return;
            }
            "text/rfc822-headers" | "message/global-headers" => {
                // Checked before anything is decoded or parsed: each level would hold a copy
                // of the rest of the message.
                if Self::room_for_nested(depth, found) {
                    self.returned_header(&decoded_bytes(msg, part), depth, found);
                }
                return;
            }
            "text/calendar" | "application/ics" => {
                found.calendar.push(calendar(part, &decoded_bytes(msg, part)));
                if !attached && name.is_none() {
                    return;
                }
            }
            _ => {}
        }
        if mime.starts_with("multipart/") && role == Role::Body {
            // Its boundary never came: mail-parser hands over the text as it is.
            found.note("The parts of this message could not be separated (its boundary is missing); it is shown as text.".into());
            let text = part
                .text_contents()
                .map(|t| t.to_string())
                .unwrap_or_else(|| String::from_utf8_lossy(&decoded_bytes(msg, part)).into_owned());
            found.sections.push(body::Section::new(BodyKind::Text, text_of(&text)));
            return;
        }
        let kind = match mime.as_str() {
            "text/plain" => Some(BodyKind::Text),
            "text/html" => Some(BodyKind::Html),
            "text/enriched" => Some(BodyKind::Enriched),
            _ => None,
        };
        let in_flow =
            role == Role::Body && !attached && (name.is_none() || disposition.is_some_and(|d| d.is_inline()));
        if let (Some(kind), true) = (kind, in_flow) {
            let text = part.text_contents().unwrap_or_default();
            if part.is_encoding_problem && !text.is_empty() {
                found.note(
                    "A part of this message is damaged (its encoding is broken); it is shown as it came."
                        .into(),
                );
            }
            if let Some(charset) = part.content_type().and_then(|ct| ct.attribute("charset"))
                && !known_charset(charset)
            {
                found.note(format!(
                    "The character set “{}” is not known; the text is shown as UTF-8 and may look wrong.",
                    cut_chars(charset, 60)
                ));
            }
            found.sections.push(body::Section::new(kind, text_of(text)));
            return;
        }
        if part.is_encoding_problem && !part.is_empty() {
            found.note(
                "A part of this message is damaged (its encoding is broken); it is listed as it came.".into(),
            );
        }
        let data = decoded_bytes(msg, part);
        let content_id = part.content_id().map(|id| cut_chars(bare_id(id), MAX_HEADER_CHARS));
        let inline = match disposition {
            Some(d) if d.is_attachment() => false,
            Some(d) if d.is_inline() => true,
            _ => content_id.is_some() || role == Role::Resource,
        };
        let name = match name.map(clean).filter(|n| !n.is_empty()) {
            Some(n) => cut_chars(&n, MAX_HEADER_CHARS),
            None => names::fallback(&mime),
        };
        found.attach(Attachment { name, content_type: mime, size: data.len(), content_id, inline, data });
    }

    /// A report's copy of the original header: shown like a forwarded message without a body.
    fn returned_header(&mut self, data: &[u8], depth: usize, found: &mut Found) {
        let Some(inner) = PARSER.parse(data).filter(|m| !m.parts.is_empty()) else { return };
        let mut display = self.message(&inner, depth + 1);
        display.notes.push("Only the header of the original message came back.".into());
        found.forwarded.push(display);
    }

    /// A winmail.dat: its body becomes an alternative to the message's own, its attachments
    /// the message's attachments.
    fn tnef(&mut self, data: &[u8], depth: usize, found: &mut Found) {
        let decoded = tnef::decode(data);
        found.note(
            "This message came from Outlook in its own format (TNEF, winmail.dat); it is shown decoded."
                .into(),
        );
        let mut inner = Found::default();
        self.tnef_contents(decoded, depth, &mut inner);
        found.tnef_subject = inner.tnef_subject.take();
        let sections = std::mem::take(&mut inner.sections);
        found.tnef_sections.get_or_insert_default().extend(sections);
        found.merge(inner);
    }

    fn tnef_contents(&mut self, decoded: tnef::Tnef, depth: usize, found: &mut Found) {
        for note in decoded.notes {
            found.note(note);
        }
        found.tnef_subject = decoded.subject;
        if let Some(meeting) = decoded.meeting {
            found.note(meeting.note());
            let text = cut_bytes(&meeting.text, MAX_CALENDAR_BYTES).replace("\r\n", "\n");
            found.calendar.push(Calendar { method: Some(meeting.method), name: None, text });
        }
        match decoded.body {
            tnef::TnefBody::Html(markup) => found.sections.push(body::Section::new(BodyKind::Html, markup)),
            tnef::TnefBody::Text(text) => {
                found.sections.push(body::Section::new(BodyKind::Text, text_of(&text)))
            }
            tnef::TnefBody::Rtf(rtf_body) => {
                found.note("The body is in RTF; it is offered as the attachment “message.rtf”.".into());
                let text = rtf::to_text(&rtf_body);
                if !text.trim().is_empty() {
                    found.sections.push(body::Section::new(BodyKind::Text, text_of(&text)));
                }
                found.attach(Attachment {
                    name: "message.rtf".into(),
                    content_type: "application/rtf".into(),
                    size: rtf_body.len(),
                    content_id: None,
                    inline: false,
                    data: rtf_body,
                });
            }
            tnef::TnefBody::None => {}
        }
        for attachment in decoded.attachments {
            self.parts += 1;
            if self.parts > MAX_PARTS {
                found.note(format!(
                    "This message has more than {MAX_PARTS} parts; only the first {MAX_PARTS} are shown."
                ));
                return;
            }
            let name = cut_chars(&clean(&attachment.name), MAX_HEADER_CHARS);
            if let Some(embedded) = attachment.embedded {
                // An Outlook item attached to the message: shown like a forwarded message.
                if depth + 1 > MAX_MIME_DEPTH || found.forwarded.len() >= MAX_FORWARDED {
                    found
                        .note(format!("The attached Outlook item “{name}” is not shown: too deeply nested."));
                    continue;
                }
                let mut inner = Found::default();
                self.tnef_contents(*embedded, depth + 1, &mut inner);
                let mut notes = Vec::new();
                let body = body::assemble(std::mem::take(&mut inner.sections), self.format, &mut notes);
                inner.notes.append(&mut notes);
                found.note(format!("The attached Outlook item “{name}” is shown as a forwarded message."));
                found.forwarded.push(Display {
                    subject: inner.tnef_subject.or(Some(name)),
                    body,
                    attachments: inner.attachments,
                    forwarded: inner.forwarded,
                    calendar: inner.calendar,
                    notes: inner.notes,
                    tnef: true,
                    ..Display::default()
                });
                continue;
            }
            let content_type = attachment
                .mime_type
                .map(|m| m.trim().to_ascii_lowercase())
                .filter(|m| m.contains('/'))
                .unwrap_or_else(|| "application/octet-stream".into());
            let content_id = attachment.content_id.map(|id| cut_chars(bare_id(&id), MAX_HEADER_CHARS));
            found.attach(Attachment {
                name: if name.is_empty() { names::fallback(&content_type) } else { name },
                content_type,
                size: attachment.data.len(),
                inline: content_id.is_some(),
                content_id,
                data: attachment.data,
            });
        }
    }
}

fn headers(msg: &Message<'_>, notes: &mut Vec<String>) -> Display {
    let subject = msg.subject().map(clean).map(|s| {
        if s.chars().count() > MAX_HEADER_CHARS {
            notes.push(format!("The subject is longer than {MAX_HEADER_CHARS} characters; it is cut."));
        }
        cut_chars(&s, MAX_HEADER_CHARS)
    });
    let date = msg.date().filter(|d| d.is_valid());
    let read_receipt_to = msg
        .root_part()
        .headers
        .iter()
        .find(|h| h.name == HeaderName::DispositionNotificationTo)
        .and_then(|h| h.value.as_address());
    Display {
        subject,
        from: mailboxes(msg.from(), notes),
        to: mailboxes(msg.to(), notes),
        cc: mailboxes(msg.cc(), notes),
        date: date.map(|d| d.to_rfc3339()),
        timestamp: date.map(|d| d.to_timestamp()),
        message_id: msg.message_id().map(|id| cut_chars(&clean(id), MAX_HEADER_CHARS)),
        read_receipt_to: mailboxes(read_receipt_to, notes),
        ..Display::default()
    }
}

fn mailboxes(address: Option<&Address<'_>>, notes: &mut Vec<String>) -> Vec<Mailbox> {
    let Some(address) = address else { return Vec::new() };
    let mut out = Vec::new();
    for addr in address.iter() {
        if out.len() == MAX_ADDRESSES {
            let note = format!("Only the first {MAX_ADDRESSES} addresses of a field are shown.");
            if !notes.contains(&note) {
                notes.push(note);
            }
            break;
        }
        let name = addr.name().map(clean).filter(|n| !n.is_empty()).map(|n| cut_chars(&n, MAX_HEADER_CHARS));
        let address =
            addr.address().map(str::trim).filter(|a| !a.is_empty()).map(|a| cut_chars(a, MAX_HEADER_CHARS));
        if name.is_some() || address.is_some() {
            out.push(Mailbox { name, address });
        }
    }
    out
}

fn mime_of(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => format!("{}/octet-stream", ct.ctype().to_ascii_lowercase()),
        },
        None => "text/plain".into(),
    }
}

fn is_tnef(mime: &str, name: Option<&str>) -> bool {
    mime == "application/ms-tnef"
        || mime == "application/vnd.ms-tnef"
        || name.is_some_and(|n| n.trim().eq_ignore_ascii_case("winmail.dat"))
}

/// A part's bytes as a file would hold them: transfer encoding undone, character set kept.
fn decoded_bytes(msg: &Message<'_>, part: &MessagePart<'_>) -> Vec<u8> {
    match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
        PartType::Message(m) => m.raw_message().to_vec(),
        PartType::Multipart(_) => Vec::new(),
        // mail-parser has turned text into UTF-8; a saved file keeps its own character set.
        PartType::Text(text) | PartType::Html(text) => {
            let raw = msg.raw_message().get(part.offset_body as usize..part.offset_end as usize);
            match (raw, part.encoding) {
                (Some(r), Encoding::Base64) => base64_decode(r).unwrap_or_else(|| r.to_vec()),
                (Some(r), Encoding::QuotedPrintable) => {
                    quoted_printable_decode(r).unwrap_or_else(|| r.to_vec())
                }
                (Some(r), Encoding::None) => r.to_vec(),
                (None, _) => text.as_bytes().to_vec(),
            }
        }
    }
}

fn calendar(part: &MessagePart<'_>, data: &[u8]) -> Calendar {
    let text = match part.text_contents() {
        Some(t) => Cow::Borrowed(t),
        None => String::from_utf8_lossy(data),
    };
    let text = cut_bytes(&text, MAX_CALENDAR_BYTES).replace("\r\n", "\n");
    let method = part
        .content_type()
        .and_then(|ct| ct.attribute("method"))
        .map(str::to_string)
        .or_else(|| {
            text.lines()
                .take(200)
                .find_map(|l| l.strip_prefix("METHOD:").or_else(|| l.strip_prefix("method:")))
                .map(str::to_string)
        })
        .map(|m| cut_chars(m.trim(), 40).to_ascii_uppercase());
    let name = part.attachment_name().map(|n| cut_chars(&clean(n), MAX_HEADER_CHARS));
    Calendar { method, name, text }
}

fn known_charset(charset: &str) -> bool {
    let c = charset.trim().to_ascii_lowercase();
    matches!(c.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii" | "us_ascii" | "unicode-1-1-utf-8")
        || charset_decoder(c.as_bytes()).is_some()
}

/// Angle brackets and spaces off a message or content id.
fn bare_id(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix('<').and_then(|i| i.strip_suffix('>')).unwrap_or(id).trim()
}

/// A text part's text for showing: LF line ends, NUL bytes (which end strings in C and
/// confuse text layout) as U+FFFD.
fn text_of(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\0', "\u{FFFD}")
}

/// At most `max` characters, with "…" when cut.
pub(super) fn cut_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut at = max;
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    &s[..at]
}

/// Rich text of a plain text: one piece, line ends kept.
pub(super) fn plain_rich(text: String) -> Rich {
    let block = Block { nofill: true, ..Block::default() };
    Rich { pieces: vec![Piece { text, block, ..Piece::default() }], ..Rich::default() }
}

pub(super) fn render_html(markup: &str) -> Rich {
    html::render(markup)
}

pub(super) fn render_enriched(text: &str) -> Rich {
    enriched::render(text)
}
