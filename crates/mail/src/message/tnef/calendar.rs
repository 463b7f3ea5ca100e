//! A meeting request, cancellation or response inside TNEF, as iCalendar (RFC 5545; iTIP,
//! RFC 5546). Exchange sends these as winmail.dat to POP3 and IMAP clients when a mailbox gets
//! TNEF: the class says what it is (`IPM.Schedule.Meeting.Request`, `.Canceled`,
//! `.Resp.Pos|Neg|Tent`), and the event is spread over legacy attributes (attDateStart,
//! attDateEnd, attOwner, attRequestRes) and MAPI properties, the named ones of the
//! PSETID_Appointment and PSETID_Meeting sets (MS-OXOCAL). An iCalendar that Outlook put in
//! whole (an attachment or a property) is handed on as it is.
//!
//! Without a start time there is no event: no calendar, and a note says so.

#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};

use super::mapi::{self, List, Name, Value};
use super::{Notes, TnefAttachment, codepage};
use crate::civil::{civil_from_days, days_from_civil};

/// A meeting message as an iCalendar object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meeting {
    /// REQUEST, CANCEL or REPLY (or the METHOD of an iCalendar carried whole).
    pub method: String,
    /// The iCalendar text, CRLF line ends.
    pub text: String,
}

impl Meeting {
    /// The reader's note on where the calendar item came from.
    pub fn note(&self) -> String {
        let what = match self.method.as_str() {
            "CANCEL" => "meeting cancellation",
            "REPLY" => "reply to a meeting request",
            _ => "meeting request",
        };
        format!("This {what} came from Outlook (TNEF); it is shown as a calendar item.")
    }
}

/// Attendees kept from the recipient table; more are left out with a note.
const MAX_ATTENDEES: usize = 1000;

const PRODID: &str = "-//Tidings//Outlook meeting request (TNEF)//EN";

// Legacy attributes (the low 16 bits of their ids).
const ATT_OWNER: u16 = 0x0000;
const ATT_SENT_FOR: u16 = 0x0001;
const ATT_DATE_START: u16 = 0x0006;
const ATT_DATE_END: u16 = 0x0007;
const ATT_REQUEST_RES: u16 = 0x0009;
const ATT_DATE_SENT: u16 = 0x8005;
const ATT_RECIP_TABLE: u16 = 0x9004;

/// {00062002-0000-0000-C000-000000000046}, as TNEF stores GUIDs (the first three fields
/// little-endian).
const PSETID_APPOINTMENT: [u8; 16] = [2, 0x20, 6, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];
/// {6ED8DA90-450B-101B-98DA-00AA003F1305}.
const PSETID_MEETING: [u8; 16] =
    [0x90, 0xDA, 0xD8, 0x6E, 0x0B, 0x45, 0x1B, 0x10, 0x98, 0xDA, 0, 0xAA, 0, 0x3F, 0x13, 0x05];

// Named properties (MS-OXPROPS).
const LID_LOCATION: u32 = 0x8208;
const LID_START_WHOLE: u32 = 0x820D;
const LID_END_WHOLE: u32 = 0x820E;
const LID_SEQUENCE: u32 = 0x8201;
const LID_SUB_TYPE: u32 = 0x8215;
const LID_GLOBAL_OBJECT_ID: u32 = 0x0003;
const LID_CLEAN_GLOBAL_OBJECT_ID: u32 = 0x0023;

// Ordinary properties.
const PR_CLIENT_SUBMIT_TIME: u16 = 0x0039;
const PR_SENT_REPRESENTING_NAME: u16 = 0x0042;
const PR_RECEIVED_REPRESENTING_NAME: u16 = 0x0044;
const PR_START_DATE: u16 = 0x0060;
const PR_END_DATE: u16 = 0x0061;
const PR_RESPONSE_REQUESTED: u16 = 0x0063;
const PR_SENT_REPRESENTING_ADDRTYPE: u16 = 0x0064;
const PR_SENT_REPRESENTING_EMAIL: u16 = 0x0065;
const PR_RECEIVED_REPRESENTING_ADDRTYPE: u16 = 0x0077;
const PR_RECEIVED_REPRESENTING_EMAIL: u16 = 0x0078;
const PR_RECIPIENT_TYPE: u16 = 0x0C15;
const PR_SENDER_NAME: u16 = 0x0C1A;
const PR_SENDER_ADDRTYPE: u16 = 0x0C1E;
const PR_SENDER_EMAIL: u16 = 0x0C1F;
const PR_MESSAGE_DELIVERY_TIME: u16 = 0x0E06;
const PR_DISPLAY_NAME: u16 = 0x3001;
const PR_ADDRTYPE: u16 = 0x3002;
const PR_EMAIL_ADDRESS: u16 = 0x3003;
const PR_CREATION_TIME: u16 = 0x3007;
const PR_SMTP_ADDRESS: u16 = 0x39FE;
const PR_SENDER_SMTP_ADDRESS: u16 = 0x5D01;
const PR_SENT_REPRESENTING_SMTP_ADDRESS: u16 = 0x5D02;
const PR_RECEIVED_REPRESENTING_SMTP_ADDRESS: u16 = 0x5D08;

/// The legacy attributes a meeting message may carry, raw.
#[derive(Default)]
pub(super) struct Legacy<'a> {
    start: Option<&'a [u8]>,
    end: Option<&'a [u8]>,
    sent: Option<&'a [u8]>,
    owner: Option<&'a [u8]>,
    sent_for: Option<&'a [u8]>,
    request_res: Option<&'a [u8]>,
    recipients: Option<&'a [u8]>,
}

/// Keeps a message-level record this module reads; ignores any other.
pub(super) fn legacy_record<'a>(legacy: &mut Legacy<'a>, attribute: u16, data: &'a [u8]) {
    let slot = match attribute {
        ATT_DATE_START => &mut legacy.start,
        ATT_DATE_END => &mut legacy.end,
        ATT_DATE_SENT => &mut legacy.sent,
        ATT_OWNER => &mut legacy.owner,
        ATT_SENT_FOR => &mut legacy.sent_for,
        ATT_REQUEST_RES => &mut legacy.request_res,
        ATT_RECIP_TABLE => &mut legacy.recipients,
        _ => return,
    };
    *slot = Some(data);
}

/// What a meeting message says about the event.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Cancel,
    /// A response, with the PARTSTAT it gives.
    Reply(&'static str),
}

impl Kind {
    fn of(class: &str) -> Option<Kind> {
        let class = class.trim().to_ascii_lowercase();
        let under = |prefix: &str| {
            class.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        [
            ("ipm.schedule.meeting.request", Kind::Request),
            ("ipm.schedule.meeting.canceled", Kind::Cancel),
            ("ipm.schedule.meeting.resp.pos", Kind::Reply("ACCEPTED")),
            ("ipm.schedule.meeting.resp.neg", Kind::Reply("DECLINED")),
            ("ipm.schedule.meeting.resp.tent", Kind::Reply("TENTATIVE")),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| under(prefix).then_some(kind))
    }

    fn method(self) -> &'static str {
        match self {
            Kind::Request => "REQUEST",
            Kind::Cancel => "CANCEL",
            Kind::Reply(_) => "REPLY",
        }
    }
}

/// What the decoder read of the message.
pub(super) struct Source<'s, 'a> {
    pub class: Option<&'s str>,
    pub subject: Option<&'s str>,
    pub props: &'s List<'a>,
    pub legacy: &'s Legacy<'a>,
    pub cp: u32,
    pub attachments: &'s [TnefAttachment],
}

/// The calendar of a meeting message; None for any other message, and for a meeting message
/// without a start time (with a note).
pub(super) fn meeting(src: &Source<'_, '_>, notes: &mut Notes) -> Option<Meeting> {
    let kind = Kind::of(src.class?)?;
    if let Some(text) = carried_whole(src) {
        let method = text
            .lines()
            .take(200)
            .find_map(|l| l.get(..7).filter(|p| p.eq_ignore_ascii_case("METHOD:")).map(|_| &l[7..]))
            .map(|m| m.trim().to_ascii_uppercase())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| kind.method().to_string());
        return Some(Meeting { method, text });
    }
    let props = src.props;
    let start = named_time(props, PSETID_APPOINTMENT, LID_START_WHOLE)
        .or_else(|| time(props, PR_START_DATE))
        .or_else(|| src.legacy.start.and_then(dtr));
    let Some(start) = start else {
        notes.add("This meeting request could not be shown as a calendar item: it gives no start time.");
        return None;
    };
    let end = named_time(props, PSETID_APPOINTMENT, LID_END_WHOLE)
        .or_else(|| time(props, PR_END_DATE))
        .or_else(|| src.legacy.end.and_then(dtr))
        .filter(|&end| end >= start);
    let all_day = matches!(named(props, PSETID_APPOINTMENT, LID_SUB_TYPE), Some(Value::Bool(true)));
    let stamp = time(props, PR_CLIENT_SUBMIT_TIME)
        .or_else(|| src.legacy.sent.and_then(dtr))
        .or_else(|| time(props, PR_MESSAGE_DELIVERY_TIME))
        .or_else(|| time(props, PR_CREATION_TIME))
        .unwrap_or(start);
    let text = |value: Option<&Value<'_>>| string(value?, src.cp);
    let location = text(named(props, PSETID_APPOINTMENT, LID_LOCATION));
    let sequence = match named(props, PSETID_APPOINTMENT, LID_SEQUENCE) {
        Some(Value::I32(n)) => Some(*n),
        _ => None,
    };
    let rsvp = match (props.get(PR_RESPONSE_REQUESTED), src.legacy.request_res) {
        (Some(Value::Bool(b)), _) => *b,
        (_, Some(data)) => data.iter().take(2).any(|&b| b != 0),
        _ => false,
    };

    let sent_by = person(props, SENT_REPRESENTING, src.cp)
        .or_else(|| person(props, SENDER, src.cp))
        .or_else(|| {
            src.legacy.owner.filter(|_| !matches!(kind, Kind::Reply(_))).and_then(|d| owner(d, src.cp))
        })
        .or_else(|| src.legacy.sent_for.and_then(|d| owner(d, src.cp)));
    let (recipients, table_problem) = match src.legacy.recipients {
        Some(table) => mapi::parse_rows(table, MAX_ATTENDEES),
        None => (Vec::new(), None),
    };
    if let Some(problem) = table_problem {
        notes.add(format!("The meeting's recipient table: {problem}."));
    }
    let recipients: Vec<(Person, u16)> = recipients
        .iter()
        .filter_map(|row| {
            let kind = row.int(PR_RECIPIENT_TYPE).and_then(|n| u16::try_from(n & 0xF).ok()).unwrap_or(1);
            Some((person(row, RECIPIENT, src.cp)?, kind))
        })
        .collect();

    let mut ics = Ics::default();
    ics.line("BEGIN:VCALENDAR");
    ics.line(&format!("PRODID:{PRODID}"));
    ics.line("VERSION:2.0");
    ics.line(&format!("METHOD:{}", kind.method()));
    ics.line("BEGIN:VEVENT");
    let uid = uid(props).unwrap_or_else(|| {
        let seed =
            format!("{start}\n{}\n{:?}", src.subject.unwrap_or(""), sent_by.as_ref().map(|p| &p.address));
        let hash = Sha256::digest(seed.as_bytes());
        format!("{}@tnef.invalid", hex(&hash[..16]))
    });
    ics.line(&format!("UID:{}", escape(&uid)));
    if let Some(n) = sequence {
        ics.line(&format!("SEQUENCE:{n}"));
    }
    ics.line(&format!("DTSTAMP:{}", utc(stamp)));
    if all_day {
        let first = nearest_day(start);
        let last = end.map_or(first + 1, nearest_day).max(first + 1);
        ics.line(&format!("DTSTART;VALUE=DATE:{}", date(first)));
        ics.line(&format!("DTEND;VALUE=DATE:{}", date(last)));
    } else {
        ics.line(&format!("DTSTART:{}", utc(start)));
        if let Some(end) = end {
            ics.line(&format!("DTEND:{}", utc(end)));
        }
    }
    if let Some(subject) = src.subject {
        ics.line(&format!("SUMMARY:{}", escape(subject)));
    }
    if let Some(location) = location {
        ics.line(&format!("LOCATION:{}", escape(&location)));
    }
    match kind {
        Kind::Reply(partstat) => {
            // The one who answers is the attendee; the meeting's owner, the organizer.
            let organizer = person(props, RECEIVED_REPRESENTING, src.cp)
                .or_else(|| src.legacy.owner.and_then(|d| owner(d, src.cp)))
                .or_else(|| recipients.first().map(|(p, _)| p.clone()));
            if let Some(organizer) = organizer {
                ics.line(&format!("ORGANIZER{}:mailto:{}", cn(&organizer), organizer.address));
            }
            if let Some(attendee) = &sent_by {
                ics.line(&format!(
                    "ATTENDEE{};PARTSTAT={partstat}:mailto:{}",
                    cn(attendee),
                    attendee.address
                ));
            }
        }
        Kind::Request | Kind::Cancel => {
            if let Some(organizer) = &sent_by {
                ics.line(&format!("ORGANIZER{}:mailto:{}", cn(organizer), organizer.address));
            }
            for (attendee, recipient_type) in &recipients {
                // To, Cc and Bcc: required, optional, and a resource (a room or equipment).
                let role = match recipient_type {
                    2 => ";ROLE=OPT-PARTICIPANT",
                    3 => ";CUTYPE=RESOURCE;ROLE=NON-PARTICIPANT",
                    _ => ";ROLE=REQ-PARTICIPANT",
                };
                let partstat = if kind == Kind::Request { ";PARTSTAT=NEEDS-ACTION" } else { "" };
                let rsvp = if rsvp && kind == Kind::Request { ";RSVP=TRUE" } else { "" };
                ics.line(&format!(
                    "ATTENDEE{}{role}{partstat}{rsvp}:mailto:{}",
                    cn(attendee),
                    attendee.address
                ));
            }
        }
    }
    if kind == Kind::Cancel {
        ics.line("STATUS:CANCELLED");
    }
    ics.line("END:VEVENT");
    ics.line("END:VCALENDAR");
    Some(Meeting { method: kind.method().to_string(), text: ics.0 })
}

/// An iCalendar Outlook put in the message whole: an attachment or a message property that
/// holds one.
fn carried_whole(src: &Source<'_, '_>) -> Option<String> {
    let is_ical = |bytes: &[u8]| {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
        bytes[start..].get(..15).is_some_and(|b| b.eq_ignore_ascii_case(b"BEGIN:VCALENDAR"))
    };
    let whole = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        text.trim_start_matches('\u{FEFF}').trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string()
    };
    // Whatever its name or type says: only what is an iCalendar is taken as one.
    if let Some(attachment) = src.attachments.iter().find(|a| a.embedded.is_none() && is_ical(&a.data)) {
        return Some(whole(&attachment.data));
    }
    src.props.properties.iter().find_map(|p| match &p.value {
        Value::Binary(bytes) | Value::String8(bytes) if is_ical(bytes) => Some(whole(bytes)),
        Value::Unicode(text) if is_ical(text.as_bytes()) => Some(whole(text.as_bytes())),
        _ => None,
    })
}

/// The iCalendar text being written: CRLF lines folded at 75 octets (RFC 5545 §3.1).
#[derive(Default)]
struct Ics(String);

impl Ics {
    fn line(&mut self, line: &str) {
        let mut width = 0;
        for c in line.chars() {
            if width + c.len_utf8() > 75 {
                self.0.push_str("\r\n ");
                width = 1;
            }
            width += c.len_utf8();
            self.0.push(c);
        }
        self.0.push_str("\r\n");
    }
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks escaped,
/// other control characters left out.
fn escape(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' | '\r' => out.push_str("\\n"),
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An address with its name, SMTP only.
#[derive(Clone)]
struct Person {
    name: Option<String>,
    address: String,
}

/// `;CN="…"`: a parameter value may not hold a quote or a control character.
fn cn(person: &Person) -> String {
    match &person.name {
        Some(name) => {
            let name: String = name.chars().filter(|&c| c != '"' && !c.is_control()).collect();
            if name.trim().is_empty() { String::new() } else { format!(";CN=\"{}\"", name.trim()) }
        }
        None => String::new(),
    }
}

/// Where a person's name, address type, address and SMTP address are in a property list.
struct PersonProps {
    name: u16,
    addrtype: u16,
    address: u16,
    smtp: u16,
}

const SENT_REPRESENTING: PersonProps = PersonProps {
    name: PR_SENT_REPRESENTING_NAME,
    addrtype: PR_SENT_REPRESENTING_ADDRTYPE,
    address: PR_SENT_REPRESENTING_EMAIL,
    smtp: PR_SENT_REPRESENTING_SMTP_ADDRESS,
};
const SENDER: PersonProps = PersonProps {
    name: PR_SENDER_NAME,
    addrtype: PR_SENDER_ADDRTYPE,
    address: PR_SENDER_EMAIL,
    smtp: PR_SENDER_SMTP_ADDRESS,
};
const RECEIVED_REPRESENTING: PersonProps = PersonProps {
    name: PR_RECEIVED_REPRESENTING_NAME,
    addrtype: PR_RECEIVED_REPRESENTING_ADDRTYPE,
    address: PR_RECEIVED_REPRESENTING_EMAIL,
    smtp: PR_RECEIVED_REPRESENTING_SMTP_ADDRESS,
};
const RECIPIENT: PersonProps = PersonProps {
    name: PR_DISPLAY_NAME,
    addrtype: PR_ADDRTYPE,
    address: PR_EMAIL_ADDRESS,
    smtp: PR_SMTP_ADDRESS,
};

fn person(props: &List<'_>, at: PersonProps, cp: u32) -> Option<Person> {
    let smtp_type = props.text(at.addrtype, cp).is_none_or(|t| t.trim().eq_ignore_ascii_case("SMTP"));
    let address = props
        .text(at.smtp, cp)
        .and_then(|a| smtp(&a))
        .or_else(|| props.text(at.address, cp).filter(|_| smtp_type).and_then(|a| smtp(&a)))?;
    Some(Person { name: props.text(at.name, cp), address })
}

/// attOwner / attSentFor: a length and a display name, a length and `TYPE:address`.
fn owner(data: &[u8], cp: u32) -> Option<Person> {
    let mut c = mapi::Cursor::new(data);
    let name = c.u16().and_then(|n| c.take(usize::from(n)))?;
    let address = c.u16().and_then(|n| c.take(usize::from(n)))?;
    let address = codepage::decode(address, cp).0.trim_end_matches('\0').to_string();
    let address = match address.split_once(':') {
        Some((kind, rest)) if kind.eq_ignore_ascii_case("SMTP") => rest.to_string(),
        Some((kind, _)) if !kind.contains('@') => return None,
        _ => address,
    };
    let name = codepage::decode(name, cp).0.trim_end_matches('\0').trim().to_string();
    Some(Person { name: (!name.is_empty()).then_some(name), address: smtp(&address)? })
}

/// An SMTP address as a mailto target: spaces and control characters out; None for an
/// Exchange (X.500) address or anything without an @.
fn smtp(address: &str) -> Option<String> {
    let address: String = address.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
    let address = address.strip_prefix("mailto:").unwrap_or(&address);
    (address.contains('@') && !address.starts_with('/')).then(|| address.to_string())
}

fn named<'v, 'a>(props: &'v List<'a>, set: [u8; 16], lid: u32) -> Option<&'v Value<'a>> {
    props.properties.iter().find(|p| p.named.as_ref() == Some(&(set, Name::Id(lid)))).map(|p| &p.value)
}

fn string(value: &Value<'_>, cp: u32) -> Option<String> {
    let text = match value {
        Value::String8(bytes) => codepage::decode(bytes, cp).0.into_owned(),
        Value::Unicode(text) => text.clone(),
        _ => return None,
    };
    let text = text.trim_end_matches('\0').trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn named_time(props: &List<'_>, set: [u8; 16], lid: u32) -> Option<i64> {
    match named(props, set, lid)? {
        Value::Time(ticks) => filetime(*ticks),
        _ => None,
    }
}

fn time(props: &List<'_>, id: u16) -> Option<i64> {
    match props.get(id)? {
        Value::Time(ticks) => filetime(*ticks),
        _ => None,
    }
}

/// Seconds between 1601-01-01 and 1970-01-01.
const FILETIME_EPOCH: i64 = 11_644_473_600;

/// A FILETIME as Unix seconds; None outside the years 1601–9999 (Outlook writes 4501-01-01
/// for "none", which stays in).
fn filetime(ticks: u64) -> Option<i64> {
    let secs = i64::try_from(ticks / 10_000_000).ok()? - FILETIME_EPOCH;
    (secs < days_from_civil(10_000, 1, 1) * 86_400).then_some(secs)
}

/// A legacy date (DTR: year, month, day, hour, minute, second, weekday as u16), in UTC.
fn dtr(data: &[u8]) -> Option<i64> {
    let mut c = mapi::Cursor::new(data);
    let mut f = [0i64; 6];
    for field in &mut f {
        *field = i64::from(c.u16()?);
    }
    let [year, month, day, hour, minute, second] = f;
    let valid = (1601..10_000).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// The UID Outlook gives the meeting: PidLidCleanGlobalObjectId (else PidLidGlobalObjectId
/// without its instance date) in upper-case hex, or the UID a third party's invitation came
/// with ("vCal-Uid" inside the id).
fn uid(props: &List<'_>) -> Option<String> {
    let (id, clean) = match named(props, PSETID_MEETING, LID_CLEAN_GLOBAL_OBJECT_ID) {
        Some(Value::Binary(id)) if !id.is_empty() => (id.to_vec(), true),
        _ => match named(props, PSETID_MEETING, LID_GLOBAL_OBJECT_ID)? {
            Value::Binary(id) if !id.is_empty() => (id.to_vec(), false),
            _ => return None,
        },
    };
    // 16-byte class id, instance date (4), creation time (8), reserved (8), size (4), data.
    if let Some(data) = id.get(40..)
        && let Some(rest) = data.strip_prefix(b"vCal-Uid\x01\0\0\0")
    {
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let text = String::from_utf8_lossy(&rest[..end]).trim().to_string();
        if !text.is_empty() {
            return Some(text);
        }
    }
    let mut id = id;
    if !clean && let Some(date) = id.get_mut(16..20) {
        date.fill(0);
    }
    Some(hex(&id))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// `YYYYMMDDTHHMMSSZ`.
fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let s = secs.rem_euclid(86_400);
    format!("{}T{:02}{:02}{:02}Z", date(days), s / 3600, s / 60 % 60, s % 60)
}

/// The day an all-day event starts on: its start is local midnight in UTC, so the nearest
/// midnight is that day wherever the organizer is (offsets up to ±12 hours).
fn nearest_day(secs: i64) -> i64 {
    (secs + 43_200).div_euclid(86_400)
}

/// `YYYYMMDD` of a day counted from 1970-01-01.
fn date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}{month:02}{day:02}")
}
