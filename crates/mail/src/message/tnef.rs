//! TNEF (`application/ms-tnef`, winmail.dat; MS-OXTNEF): what Outlook and Exchange send in
//! place of MIME. The stream is a signature, a key, then records — a level (message or
//! attachment), an attribute id, a length, the data and a checksum. The message's records carry
//! its class, subject, code page and a MAPI property list with the body; each attachment starts
//! with attAttachRendData and carries its title, its data and its own property list, where an
//! embedded message is a whole TNEF stream again.
//! A meeting request, cancellation or response becomes iCalendar (`calendar`).
//!
//! winmail.dat is hostile input: decoding never fails and never panics; what is odd, cut or
//! left out becomes a note. Nesting, attachments, notes and the total output are bounded, and
//! no length the input claims is allocated before the bytes are there.

mod calendar;
pub(crate) mod codepage;
pub mod mapi;
#[cfg(test)]
mod tests;

pub use calendar::Meeting;
use mapi::{Cursor, List, Value};

use super::rtf;

/// How deep messages may be embedded in attachments; deeper ones stay attachments.
pub const MAX_DEPTH: usize = 8;

/// Attachments kept per message; more are left out with a note.
pub const MAX_ATTACHMENTS: usize = 1000;

/// Notes kept per message.
const MAX_NOTES: usize = 32;

/// The output (attachment data, bodies, embedded copies) may be this many times the input,
/// plus `OUTPUT_SLACK`; past it, data is left out with a note.
const OUTPUT_FACTOR: usize = 4;
const OUTPUT_SLACK: usize = 16 * 1024 * 1024;

const SIGNATURE: u32 = 0x223E_9F78;

/// IID_IMessage: the interface an embedded message's object value starts with.
const IID_IMESSAGE: [u8; 16] = [7, 3, 2, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];

// Attributes (the low 16 bits of a record's id; the high 16 bits are its type).
const ATT_SUBJECT: u16 = 0x8004;
const ATT_MESSAGE_CLASS: u16 = 0x8008;
const ATT_BODY: u16 = 0x800C;
const ATT_ATTACH_DATA: u16 = 0x800F;
const ATT_ATTACH_TITLE: u16 = 0x8010;
const ATT_ATTACH_REND_DATA: u16 = 0x9002;
const ATT_MSG_PROPS: u16 = 0x9003;
const ATT_ATTACHMENT: u16 = 0x9005;
const ATT_OEM_CODEPAGE: u16 = 0x9007;

// MAPI properties.
const PR_MESSAGE_CLASS: u16 = 0x001A;
const PR_SUBJECT: u16 = 0x0037;
const PR_BODY: u16 = 0x1000;
const PR_RTF_COMPRESSED: u16 = 0x1009;
const PR_BODY_HTML: u16 = 0x1013;
const PR_DISPLAY_NAME: u16 = 0x3001;
const PR_ATTACH_DATA: u16 = 0x3701;
const PR_ATTACH_FILENAME: u16 = 0x3704;
const PR_ATTACH_LONG_FILENAME: u16 = 0x3707;
const PR_ATTACH_MIME_TAG: u16 = 0x370E;
const PR_ATTACH_CONTENT_ID: u16 = 0x3712;
const PR_INTERNET_CPID: u16 = 0x3FDE;

/// A decoded TNEF stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tnef {
    pub attachments: Vec<TnefAttachment>,
    pub body: TnefBody,
    /// The MAPI message class (PR_MESSAGE_CLASS, e.g. `IPM.Note`,
    /// `IPM.Schedule.Meeting.Request`); from attMessageClass when the properties lack it, its
    /// legacy names (`IPM.Microsoft Mail.Note`, `IPM.Microsoft Schedule.MtgReq`…) mapped to
    /// the MAPI ones.
    pub message_class: Option<String>,
    pub subject: Option<String>,
    /// A meeting request, cancellation or response (by its class) as iCalendar, when the
    /// message gives at least a start time.
    pub meeting: Option<Meeting>,
    /// What was odd, cut or left out, as sentences.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TnefAttachment {
    /// The long file name, else the display name, else the short (8.3) title; empty when the
    /// message names none.
    pub name: String,
    pub mime_type: Option<String>,
    /// Without angle brackets.
    pub content_id: Option<String>,
    /// The file's bytes; for an embedded message, its TNEF stream (decoded in `embedded`).
    pub data: Vec<u8>,
    pub embedded: Option<Box<Tnef>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TnefBody {
    /// PR_BODY_HTML, or HTML taken out of the RTF body.
    Html(String),
    /// The decompressed RTF body, when it wraps neither HTML nor text: offer it as an `.rtf`
    /// attachment (`rtf::to_text` gives its text).
    Rtf(Vec<u8>),
    /// PR_BODY or attBody, or the text an RTF body wraps.
    Text(String),
    #[default]
    None,
}

/// Decodes a TNEF stream. Never fails: problems become notes.
pub fn decode(data: &[u8]) -> Tnef {
    decode_limited(data, data.len().saturating_mul(OUTPUT_FACTOR).saturating_add(OUTPUT_SLACK))
}

fn decode_limited(data: &[u8], output_limit: usize) -> Tnef {
    decode_at(data, 0, &mut Budget { left: output_limit })
}

/// What the whole decoding may still output.
struct Budget {
    left: usize,
}

impl Budget {
    fn take(&mut self, n: usize) -> bool {
        let ok = n <= self.left;
        if ok {
            self.left -= n;
        }
        ok
    }
}

#[derive(Default)]
struct Notes(Vec<String>);

impl Notes {
    fn add(&mut self, note: impl Into<String>) {
        let note = note.into();
        if self.0.len() < MAX_NOTES && !self.0.contains(&note) {
            self.0.push(note);
        }
    }
}

/// The raw pieces of one attachment, in whatever order its records come.
#[derive(Default)]
struct Parts<'a> {
    title: Option<&'a [u8]>,
    data: Option<&'a [u8]>,
    props: List<'a>,
}

/// The raw pieces of the message.
#[derive(Default)]
struct Message<'a> {
    codepage: Option<u32>,
    class: Option<&'a [u8]>,
    subject: Option<&'a [u8]>,
    body: Option<&'a [u8]>,
    props: List<'a>,
    attachments: Vec<Parts<'a>>,
    /// What only a meeting message uses.
    legacy: calendar::Legacy<'a>,
}

fn decode_at(data: &[u8], depth: usize, budget: &mut Budget) -> Tnef {
    let mut notes = Notes::default();
    let message = read_records(data, &mut notes);
    let cp = message.codepage.unwrap_or(codepage::DEFAULT);
    if codepage::encoding(cp).is_none() {
        notes.add(format!("Code page {cp} is not known here; its text was read as Windows-1252."));
    }
    let text = |bytes: &[u8]| {
        let text = codepage::decode(bytes, cp).0;
        let text = text.trim_end_matches('\0');
        (!text.is_empty()).then(|| text.to_string())
    };
    let message_class = message
        .props
        .text(PR_MESSAGE_CLASS, cp)
        .or_else(|| message.class.and_then(text).map(|class| mapi_class(&class)));
    // The MAPI properties may hold Unicode; the legacy attributes only the code page's text.
    let subject = message.props.text(PR_SUBJECT, cp).or_else(|| message.subject.and_then(text));
    let body = body(&message, cp, budget, &mut notes);
    let mut attachments = Vec::new();
    for parts in &message.attachments {
        attachments.push(attachment(parts, cp, depth, budget, &mut notes));
    }
    let source = calendar::Source {
        class: message_class.as_deref(),
        subject: subject.as_deref(),
        props: &message.props,
        legacy: &message.legacy,
        cp,
        attachments: &attachments,
    };
    let meeting = calendar::meeting(&source, &mut notes);
    Tnef { attachments, body, message_class, subject, meeting, notes: notes.0 }
}

/// Walks the records; keeps slices of what matters, notes what is wrong.
fn read_records<'a>(data: &'a [u8], notes: &mut Notes) -> Message<'a> {
    let mut message = Message::default();
    let mut c = Cursor::new(data);
    match c.u32() {
        Some(SIGNATURE) => {}
        Some(other) => {
            notes.add(format!("This is not TNEF: it starts with 0x{other:08X}, not 0x{SIGNATURE:08X}."));
            return message;
        }
        None => {
            notes.add("The TNEF stream is too short to hold anything.");
            return message;
        }
    }
    let _key = c.u16();
    let mut bad_checksums = 0usize;
    let mut attachments_left_out = 0usize;
    let mut skipping = false;
    while c.remaining() > 0 {
        let at = c.pos();
        // level (1) + id (4) + length (4) + checksum (2)
        if c.remaining() < 11 {
            notes.add(match c.remaining() {
                1 => "1 byte of garbage after the last record was ignored.".to_string(),
                n => format!("{n} bytes of garbage after the last record were ignored."),
            });
            break;
        }
        let (Some(level), Some(id), Some(len)) = (c.u8(), c.u32(), c.u32()) else { break };
        if level != 1 && level != 2 {
            notes.add(format!(
                "The bytes from {at} on are not a TNEF record (level {level}); {} bytes were ignored.",
                data.len() - at
            ));
            break;
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let cut = len > c.remaining();
        let payload = c.take(len.min(c.remaining())).unwrap_or_default();
        if cut {
            notes.add(format!(
                "The TNEF stream is cut short: its last record (at byte {at}) should have {len} bytes, \
                 it has {}.",
                payload.len()
            ));
        } else {
            match c.u16() {
                Some(sum) if sum == checksum(payload) => {}
                Some(_) => bad_checksums += 1,
                None => notes.add("The last TNEF record has no checksum."),
            }
        }
        let attribute = id as u16;
        if level == 1 {
            message_record(&mut message, attribute, payload, notes);
        } else {
            if attribute == ATT_ATTACH_REND_DATA || message.attachments.is_empty() {
                // Past the limit, an attachment's records are dropped with it.
                skipping = message.attachments.len() >= MAX_ATTACHMENTS;
                if skipping {
                    attachments_left_out += 1;
                } else {
                    message.attachments.push(Parts::default());
                }
            }
            if !skipping && let Some(parts) = message.attachments.last_mut() {
                attachment_record(parts, attribute, payload, notes);
            }
        }
        if cut {
            break;
        }
    }
    match bad_checksums {
        0 => {}
        1 => notes.add("1 TNEF record has a wrong checksum; it was read as it is."),
        n => notes.add(format!("{n} TNEF records have a wrong checksum; they were read as they are.")),
    }
    match attachments_left_out {
        0 => {}
        1 => notes.add(format!("1 attachment past the first {MAX_ATTACHMENTS} was left out.")),
        n => notes.add(format!("{n} attachments past the first {MAX_ATTACHMENTS} were left out.")),
    }
    message
}

fn message_record<'a>(message: &mut Message<'a>, attribute: u16, data: &'a [u8], notes: &mut Notes) {
    match attribute {
        ATT_OEM_CODEPAGE => {
            message.codepage = data.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        }
        ATT_MESSAGE_CLASS => message.class = Some(data),
        ATT_SUBJECT => message.subject = Some(data),
        ATT_BODY => message.body = Some(data),
        ATT_MSG_PROPS => {
            let list = mapi::parse(data);
            if let Some(problem) = &list.problem {
                notes.add(format!("The message's properties: {problem}."));
            }
            message.props.properties.extend(list.properties);
        }
        _ => calendar::legacy_record(&mut message.legacy, attribute, data),
    }
}

fn attachment_record<'a>(parts: &mut Parts<'a>, attribute: u16, data: &'a [u8], notes: &mut Notes) {
    match attribute {
        ATT_ATTACH_TITLE => parts.title = Some(data),
        ATT_ATTACH_DATA => parts.data = Some(data),
        ATT_ATTACHMENT => {
            let list = mapi::parse(data);
            if let Some(problem) = &list.problem {
                notes.add(format!("An attachment's properties: {problem}."));
            }
            parts.props.properties.extend(list.properties);
        }
        _ => {}
    }
}

/// The sum of the bytes, modulo 65536.
fn checksum(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |sum, &b| sum.wrapping_add(u16::from(b)))
}

/// The body: PR_BODY_HTML, else the RTF (with what it wraps taken out), else the plain text.
fn body(message: &Message<'_>, cp: u32, budget: &mut Budget, notes: &mut Notes) -> TnefBody {
    let props = &message.props;
    let html = match props.get(PR_BODY_HTML) {
        Some(Value::Binary(bytes) | Value::String8(bytes)) => {
            // HTML bytes are in the Internet code page when the message names one.
            let html_cp = props.int(PR_INTERNET_CPID).and_then(|n| u32::try_from(n).ok());
            let html_cp = html_cp.filter(|&n| codepage::encoding(n).is_some()).unwrap_or(cp);
            let html = codepage::decode(bytes, html_cp).0;
            Some(html.trim_end_matches('\0').to_string())
        }
        Some(Value::Unicode(html)) => Some(html.clone()),
        _ => None,
    };
    if let Some(html) = html.filter(|h| !h.trim().is_empty()) {
        return kept(TnefBody::Html(html), budget, notes);
    }
    if let Some(Value::Binary(compressed)) = props.get(PR_RTF_COMPRESSED) {
        match rtf::decompress(compressed) {
            // Charged before de-encapsulating: what comes out is no larger than a few times it.
            Ok(bytes) if !budget.take(bytes.len()) => {
                notes.add("The RTF body was left out: the message is larger than the reader allows.");
            }
            Ok(bytes) => {
                return match rtf::encapsulated(&bytes) {
                    Some(rtf::Encapsulated::Html(html)) => TnefBody::Html(html),
                    Some(rtf::Encapsulated::Text(text)) => TnefBody::Text(text),
                    None => TnefBody::Rtf(bytes),
                };
            }
            Err(why) => notes.add(format!("{}.", capitalised(&why))),
        }
    }
    let text = props.text(PR_BODY, cp).or_else(|| {
        let text = codepage::decode(message.body?, cp).0;
        let text = text.trim_end_matches('\0');
        (!text.is_empty()).then(|| text.to_string())
    });
    match text {
        Some(text) => kept(TnefBody::Text(text), budget, notes),
        None => TnefBody::None,
    }
}

fn kept(body: TnefBody, budget: &mut Budget, notes: &mut Notes) -> TnefBody {
    let len = match &body {
        TnefBody::Html(s) | TnefBody::Text(s) => s.len(),
        TnefBody::Rtf(b) => b.len(),
        TnefBody::None => 0,
    };
    if budget.take(len) {
        body
    } else {
        notes.add("The body was left out: the message is larger than the reader allows.");
        TnefBody::None
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn attachment(
    parts: &Parts<'_>,
    cp: u32,
    depth: usize,
    budget: &mut Budget,
    notes: &mut Notes,
) -> TnefAttachment {
    let props = &parts.props;
    let title = || {
        let title = codepage::decode(parts.title?, cp).0;
        let title = title.trim_end_matches('\0').trim();
        (!title.is_empty()).then(|| title.to_string())
    };
    let name = props
        .text(PR_ATTACH_LONG_FILENAME, cp)
        .or_else(|| props.text(PR_DISPLAY_NAME, cp))
        .or_else(title)
        .or_else(|| props.text(PR_ATTACH_FILENAME, cp))
        .unwrap_or_default();
    let mime_type = props.text(PR_ATTACH_MIME_TAG, cp).map(|m| m.trim().to_string());
    let content_id = props
        .text(PR_ATTACH_CONTENT_ID, cp)
        .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_string());
    let mut embedded = None;
    let bytes: &[u8] = match (props.get(PR_ATTACH_DATA), parts.data) {
        (Some(Value::Object(object)), _) if object.starts_with(&IID_IMESSAGE) => {
            let stream = &object[IID_IMESSAGE.len()..];
            if depth + 1 > MAX_DEPTH {
                notes.add(format!(
                    "Messages embedded more than {MAX_DEPTH} deep were kept as attachments, not opened."
                ));
            } else {
                embedded = Some(Box::new(decode_at(stream, depth + 1, budget)));
            }
            stream
        }
        (Some(Value::Binary(data)), _) => data,
        (_, Some(data)) => data,
        // Another object (an OLE storage): its data after the interface's IID.
        (Some(Value::Object(object)), None) => object.get(16..).unwrap_or_default(),
        _ => &[],
    };
    let data = if budget.take(bytes.len()) {
        bytes.to_vec()
    } else {
        notes.add(format!(
            "The data of attachment \"{name}\" was left out: the message is larger than the reader allows."
        ));
        Vec::new()
    };
    TnefAttachment { name, mime_type, content_id, data, embedded }
}

/// attMessageClass's legacy names (MS-OXTNEF) as MAPI message classes.
fn mapi_class(class: &str) -> String {
    const LEGACY: [(&str, &str); 8] = [
        ("IPM.Microsoft Mail.Note", "IPM.Note"),
        ("IPM.Microsoft Mail.Read Receipt", "Report.IPM.Note.IPNRN"),
        ("IPM.Microsoft Mail.Non-Delivery", "Report.IPM.Note.NDR"),
        ("IPM.Microsoft Schedule.MtgReq", "IPM.Schedule.Meeting.Request"),
        ("IPM.Microsoft Schedule.MtgRespP", "IPM.Schedule.Meeting.Resp.Pos"),
        ("IPM.Microsoft Schedule.MtgRespN", "IPM.Schedule.Meeting.Resp.Neg"),
        ("IPM.Microsoft Schedule.MtgRespA", "IPM.Schedule.Meeting.Resp.Tent"),
        ("IPM.Microsoft Schedule.MtgCncl", "IPM.Schedule.Meeting.Canceled"),
    ];
    // Some writers put a prefix before the name ("Microsoft Mail v3.0 IPM.Microsoft Mail.…").
    let class = class.trim();
    LEGACY
        .iter()
        .find(|(legacy, _)| class.ends_with(legacy))
        .map_or_else(|| class.to_string(), |(_, mapi)| mapi.to_string())
}
