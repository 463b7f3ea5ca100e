//! The person's answer to an invitation: an iTIP REPLY (RFC 5546 §3.2.3) — METHOD:REPLY, the
//! event's UID and SEQUENCE, its RECURRENCE-ID when one occurrence is answered, DTSTAMP,
//! ORGANIZER, and only the person's own ATTENDEE with its PARTSTAT — sent to the organizer as
//! `multipart/alternative` (a line of text for people, the `text/calendar; method=REPLY`
//! part for their calendar).

use calcard::icalendar::{
    ICalendar, ICalendarComponentType, ICalendarEntry, ICalendarParameterName, ICalendarProperty,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use lettre::message::header::{self, ContentType};
use lettre::message::{Mailbox, Mailboxes, MultiPart, SinglePart};

use super::{Invitation, Partstat, Viewer, strip_mailto, zone};
use crate::compose::{Address, new_message_id, to_crlf};
use crate::error::{Error, Kind, Result};
use crate::outbox::Outgoing;

/// What the person answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Tentative,
    Decline,
}

impl Answer {
    pub fn partstat(self) -> Partstat {
        match self {
            Answer::Accept => Partstat::Accepted,
            Answer::Tentative => Partstat::Tentative,
            Answer::Decline => Partstat::Declined,
        }
    }

    /// The subject's prefix, as calendar programs write it ("Accepted: Planning").
    fn subject(self) -> &'static str {
        match self {
            Answer::Accept => "Accepted",
            Answer::Tentative => "Tentative",
            Answer::Decline => "Declined",
        }
    }
}

/// The REPLY's iCalendar text (CRLF lines, folded at 75 octets) for the invitation
/// `original` (a calendar part's text), from `me` (the person's address the invitation is
/// for). `occurrence` answers one occurrence of a recurring event: its start as the event
/// writes it (local to the event's zone).
pub fn reply_calendar(
    original: &str,
    me: &Address,
    answer: Answer,
    comment: Option<&str>,
    occurrence: Option<NaiveDateTime>,
    now: DateTime<Utc>,
) -> Result<String> {
    // Read (and bounded) like any invitation first: the same errors for hostile input.
    super::parse(original, None, &Viewer::new(chrono_tz::UTC, [me.email.clone()]))?;
    let cal = ICalendar::parse(original).map_err(|_| cannot("it is not iCalendar"))?;
    let events: Vec<_> =
        cal.components.iter().filter(|c| c.component_type == ICalendarComponentType::VEvent).collect();
    let event = events
        .iter()
        .find(|e| !e.has_property(&ICalendarProperty::RecurrenceId))
        .or(events.first())
        .copied()
        .ok_or_else(|| cannot("it has no event"))?;
    let uid = event.uid().ok_or_else(|| cannot("the event has no UID"))?;
    let organizer =
        event.property(&ICalendarProperty::Organizer).ok_or_else(|| cannot("the event has no organizer"))?;

    let mut out = Ics::default();
    out.line("BEGIN:VCALENDAR");
    out.line(&format!("PRODID:-//Tidings//Tidings {}//EN", env!("CARGO_PKG_VERSION")));
    out.line("VERSION:2.0");
    out.line("METHOD:REPLY");
    out.line("BEGIN:VEVENT");
    out.line(&format!("UID:{}", escape(uid)));
    let sequence = event
        .property(&ICalendarProperty::Sequence)
        .and_then(|e| e.values.first())
        .and_then(|v| v.as_integer())
        .unwrap_or(0);
    out.line(&format!("SEQUENCE:{sequence}"));
    out.line(&format!("DTSTAMP:{}", now.format("%Y%m%dT%H%M%SZ")));
    // One occurrence: the one asked for, else the one the invitation itself is about. In
    // UTC, so the REPLY needs no VTIMEZONE of its own.
    let dtstart = event.property(&ICalendarProperty::Dtstart);
    if let Some(local) = occurrence {
        out.line(&recurrence_id(&cal, dtstart, local)?);
    } else if let Some(rid) = event.property(&ICalendarProperty::RecurrenceId) {
        let value = rid.values.first().and_then(|v| v.as_partial_date_time()).and_then(|v| v.to_date_time());
        match value {
            Some(v) if v.offset.is_none() => out.line(&recurrence_id(&cal, Some(rid), v.date_time)?),
            Some(v) => out.line(&format!(
                "RECURRENCE-ID:{}",
                (v.date_time
                    - chrono::TimeDelta::seconds(i64::from(
                        v.offset.map(|o| o.local_minus_utc()).unwrap_or(0)
                    )))
                .format("%Y%m%dT%H%M%SZ")
            )),
            None => return Err(cannot("its RECURRENCE-ID is not a date")),
        }
    }
    if let Some(summary) =
        event.property(&ICalendarProperty::Summary).and_then(|e| e.values.first()).and_then(|v| v.as_text())
    {
        out.line(&format!("SUMMARY:{}", escape(summary)));
    }
    let organizer_address =
        organizer_address(organizer).ok_or_else(|| cannot("the organizer has no address"))?;
    let mut line = "ORGANIZER".to_string();
    if let Some(cn) = cn(organizer) {
        line.push_str(&format!(";CN={}", param(cn)));
    }
    line.push_str(&format!(":mailto:{organizer_address}"));
    out.line(&line);
    // The person's own line as the organizer wrote it (its name), with the answer.
    let mine = event
        .properties(&ICalendarProperty::Attendee)
        .find(|a| organizer_address_of(a).is_some_and(|x| me.same_mailbox(x)));
    let mut line = format!("ATTENDEE;PARTSTAT={}", answer.partstat().as_str());
    let name = mine.and_then(cn).or(me.name.as_deref().filter(|n| !n.trim().is_empty()));
    if let Some(name) = name {
        line.push_str(&format!(";CN={}", param(name)));
    }
    line.push_str(&format!(":mailto:{}", me.email.trim()));
    out.line(&line);
    if let Some(comment) = comment.map(str::trim).filter(|c| !c.is_empty()) {
        out.line(&format!("COMMENT:{}", escape(comment)));
    }
    out.line("END:VEVENT");
    out.line("END:VCALENDAR");
    Ok(out.text)
}

/// The REPLY as a message to the organizer, ready for the Outbox: From `me`, In-Reply-To and
/// References the invitation's message (`in_reply_to`, its `references`). `occurrence`
/// answers one occurrence (see [`occurrence`]).
#[allow(clippy::too_many_arguments)]
pub fn reply_message(
    invitation: &Invitation,
    original: &str,
    me: &Address,
    answer: Answer,
    comment: Option<&str>,
    occurrence: Option<NaiveDateTime>,
    in_reply_to: Option<&str>,
    references: &[String],
) -> Result<Outgoing> {
    if !invitation.answerable {
        return Err(Error::config(format!(
            "cannot answer this calendar message: it is {} (only invitations are answered)",
            match invitation.headline.as_str() {
                "" => invitation.method.as_str().to_string(),
                h => format!("\"{h}\""),
            }
        )));
    }
    let organizer = invitation
        .organizer
        .as_ref()
        .and_then(|o| o.address.as_deref())
        .ok_or_else(|| cannot("the event has no organizer"))?;
    let to_address = Address::new(invitation.organizer.as_ref().and_then(|o| o.name.as_deref()), organizer);
    let ics = reply_calendar(original, me, answer, comment, occurrence, Utc::now())?;
    let summary = invitation.summary.as_deref().unwrap_or("(no title)");
    let who = me.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(&me.email);
    let mut text = format!("{who} has {}: {summary}", answer.partstat().verb());
    if let Some(when) = &invitation.when {
        text.push_str(&format!("\n{when}"));
    }
    if let Some(at) = occurrence {
        // In the event's own terms, as the organizer wrote the series.
        let zone = invitation.event_zone.as_deref().map(|z| format!(" ({z})")).unwrap_or_default();
        text.push_str(&format!("\nOnly the occurrence of {}{zone}", at.format("%A %-d %B %Y, %H:%M")));
    }
    if let Some(comment) = comment.map(str::trim).filter(|c| !c.is_empty()) {
        text.push_str(&format!("\n\n{comment}"));
    }

    let from = me.lettre()?;
    let to = to_address.lettre()?;
    let message_id = new_message_id(me);
    let mut builder = lettre::Message::builder()
        .from(Mailbox::new(me.name.clone(), from.clone()))
        .header(header::To::from(Mailboxes::from_iter([Mailbox::new(to_address.name.clone(), to.clone())])))
        .subject(format!("{}: {summary}", answer.subject()))
        .date(std::time::SystemTime::now())
        .message_id(Some(message_id.clone()))
        .user_agent(format!("Tidings/{}", env!("CARGO_PKG_VERSION")));
    if let Some(id) = in_reply_to.map(str::trim).filter(|id| !id.is_empty()) {
        builder = builder.in_reply_to(angle(id));
    }
    let refs: Vec<String> =
        references.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).map(angle).collect();
    if !refs.is_empty() {
        builder = builder.references(refs.join(" "));
    }
    let calendar_type = ContentType::parse("text/calendar; method=REPLY; charset=UTF-8")
        .map_err(|e| Error::new(Kind::Config, "cannot build the answer").with_source(e))?;
    let body = MultiPart::alternative()
        .singlepart(SinglePart::plain(text))
        .singlepart(SinglePart::builder().header(calendar_type).body(ics));
    let built =
        builder.multipart(body).map_err(|e| Error::config("cannot build the answer").with_source(e))?;
    let mut raw = to_crlf(&built.formatted());
    if !raw.ends_with(b"\r\n") {
        raw.extend_from_slice(b"\r\n");
    }
    Ok(Outgoing { raw, message_id, from: from.to_string(), recipients: vec![to.to_string()] })
}

/// In-Reply-To and References for the answer to message `raw`: its Message-ID, and its own
/// References followed by that id.
pub fn thread_of(raw: &[u8]) -> (Option<String>, Vec<String>) {
    let Some(headers) = mail_parser::MessageParser::new().parse_headers(raw) else {
        return (None, Vec::new());
    };
    let id = headers.message_id().map(str::to_string);
    let mut references: Vec<String> = match headers.references() {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().take(50).map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    };
    references.extend(id.clone());
    (id, references)
}

/// The occurrence of the recurring event in `original` that `given` names, in the event's
/// terms as [`reply_calendar`] takes it. `given` is the occurrence's start as `tidings message
/// show` prints `start` (RFC 3339 with its offset, `2026-06-17T09:00:00+02:00`: any offset
/// names the same instant), a date (`2026-06-17`) for an all-day event, or a time without
/// offset (`2026-06-17T09:00`) read in the event's own zone.
pub fn occurrence(original: &str, given: &str) -> Result<NaiveDateTime> {
    let unreadable = || {
        Error::config(format!(
            "cannot read the occurrence \"{given}\": give its start as `tidings message show` prints \
             it (2026-06-17T09:00:00+02:00), or its date (2026-06-17) for an all-day event"
        ))
    };
    let cal = ICalendar::parse(original).map_err(|_| cannot("it is not iCalendar"))?;
    let event = cal
        .components
        .iter()
        .filter(|c| c.component_type == ICalendarComponentType::VEvent)
        .find(|e| !e.has_property(&ICalendarProperty::RecurrenceId))
        .ok_or_else(|| cannot("it has no event"))?;
    if !event.has_property(&ICalendarProperty::Rrule) && !event.has_property(&ICalendarProperty::Rdate) {
        return Err(Error::config(
            "cannot answer one occurrence: the event does not repeat (answer it without an occurrence)",
        ));
    }
    let given = given.trim();
    if let Ok(day) = NaiveDate::parse_from_str(given, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN));
    }
    let at = match DateTime::parse_from_rfc3339(given) {
        Ok(at) => at,
        Err(_) => {
            return ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(given, f).ok())
                .ok_or_else(unreadable);
        }
    };
    // An instant: the event's local time for it (UTC for a UTC start; a floating start is
    // read in the person's zone, whose offset the given form carries).
    let dtstart = event.property(&ICalendarProperty::Dtstart);
    let value = dtstart.and_then(|e| e.values.first()).and_then(|v| v.as_partial_date_time());
    if value.and_then(|v| v.to_date_time()).is_some_and(|v| v.offset.is_some()) {
        return Ok(at.naive_utc());
    }
    let zone = dtstart
        .and_then(ICalendarEntry::tz_id)
        .and_then(|tzid| zone::event_zone(&cal, tzid, at.naive_local()))
        .filter(|z| !z.is_floating());
    Ok(match zone {
        Some(z) => at.with_timezone(&z).naive_local(),
        None => at.naive_local(),
    })
}

/// Where the answer to `occurrence` (as [`occurrence`] gives it) is remembered: the value of
/// its RECURRENCE-ID, as [`Invitation::occurrence_key`] writes it.
pub fn occurrence_key(original: &str, occurrence: NaiveDateTime) -> Result<String> {
    let cal = ICalendar::parse(original).map_err(|_| cannot("it is not iCalendar"))?;
    let dtstart = cal
        .components
        .iter()
        .filter(|c| c.component_type == ICalendarComponentType::VEvent)
        .find(|e| !e.has_property(&ICalendarProperty::RecurrenceId))
        .and_then(|e| e.property(&ICalendarProperty::Dtstart));
    let line = recurrence_id(&cal, dtstart, occurrence)?;
    Ok(line.rsplit(':').next().unwrap_or_default().to_string())
}

fn cannot(why: &str) -> Error {
    Error::new(Kind::Protocol, format!("cannot answer the invitation: {why}"))
}

fn angle(id: &str) -> String {
    format!("<{}>", id.trim().trim_start_matches('<').trim_end_matches('>'))
}

fn cn(e: &ICalendarEntry) -> Option<&str> {
    e.parameter(&ICalendarParameterName::Cn)
        .and_then(|v| v.as_text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn organizer_address_of(e: &ICalendarEntry) -> Option<&str> {
    e.values.first().and_then(|v| v.as_text()).map(strip_mailto)
}

fn organizer_address(e: &ICalendarEntry) -> Option<String> {
    organizer_address_of(e)
        .filter(|a| a.contains('@') && !a.chars().any(|c| c.is_control() || c == ' '))
        .map(str::to_string)
}

/// RECURRENCE-ID for an occurrence starting at `local` in the zone of `like` (DTSTART or
/// the invitation's own RECURRENCE-ID): a date for an all-day event, else UTC.
fn recurrence_id(cal: &ICalendar, like: Option<&ICalendarEntry>, local: NaiveDateTime) -> Result<String> {
    let value = like.and_then(|e| e.values.first()).and_then(|v| v.as_partial_date_time());
    if value.is_some_and(|v| !v.has_time()) {
        return Ok(format!("RECURRENCE-ID;VALUE=DATE:{}", local.format("%Y%m%d")));
    }
    let zone = like
        .and_then(ICalendarEntry::tz_id)
        .and_then(|tzid| zone::event_zone(cal, tzid, local))
        .filter(|z| !z.is_floating());
    match zone {
        Some(z) => {
            let at = zone::instant(z, local).ok_or_else(|| cannot("the occurrence's time does not exist"))?;
            Ok(format!("RECURRENCE-ID:{}", at.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ")))
        }
        // A floating (or unknown-zone) time stays as written.
        None if value.and_then(|v| v.to_date_time()).is_some_and(|v| v.offset.is_some()) => {
            Ok(format!("RECURRENCE-ID:{}", local.format("%Y%m%dT%H%M%SZ")))
        }
        None => Ok(format!("RECURRENCE-ID:{}", local.format("%Y%m%dT%H%M%S"))),
    }
}

/// TEXT escaping (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A parameter value, quoted when it must be (RFC 5545 §3.2: no DQUOTE inside).
fn param(value: &str) -> String {
    let v: String = value.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if v.contains([':', ';', ',']) { format!("\"{v}\"") } else { v }
}

/// iCalendar lines: CRLF, folded at 75 octets on character boundaries (RFC 5545 §3.1).
#[derive(Default)]
struct Ics {
    text: String,
}

impl Ics {
    fn line(&mut self, line: &str) {
        let mut width = 0;
        for c in line.chars() {
            if width + c.len_utf8() > 75 {
                self.text.push_str("\r\n ");
                width = 1;
            }
            self.text.push(c);
            width += c.len_utf8();
        }
        self.text.push_str("\r\n");
    }
}
