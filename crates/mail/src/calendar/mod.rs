//! Invitations: the calendar parts of a message (`text/calendar`, `application/ics`, meeting
//! requests decoded from TNEF) read into what the card shows — title, organizer, when in the
//! person's own time zone, recurrence in words, where, the attendees and their answers, the
//! person's own status — and the answer the person sends (an iTIP REPLY, RFC 5546), queued
//! and remembered the same way for the window and the CLI (`answer`).
//!
//! A meeting request that arrived as a link to Outlook on the web (Exchange with
//! ForceICalForCalendarRetrievalOption off) is recognised too (`owa`), with what the
//! administrator can change.
//!
//! Everything here is bounded by [`crate::limits`]: hostile input gives an error, never a
//! panic or a hang. Recurrences are described, never expanded.

mod answer;
mod owa;
mod parse;
mod reply;
pub mod words;
pub mod zone;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use answer::{Answerable, answer, remembered, sender};
pub use owa::{OwaLink, owa_link};
pub use parse::{invitations, parse};
pub use reply::{Answer, occurrence, occurrence_key, reply_calendar, reply_message, thread_of};

/// Who reads the invitation: their time zone (times are shown in it) and their addresses
/// (the account's address and identities: their own attendee line is found by these).
#[derive(Debug, Clone, PartialEq)]
pub struct Viewer {
    pub zone: chrono_tz::Tz,
    pub addresses: Vec<String>,
}

/// UTC, no addresses: times as written, nobody's own line found.
impl Default for Viewer {
    fn default() -> Viewer {
        Viewer { zone: chrono_tz::UTC, addresses: Vec::new() }
    }
}

impl Viewer {
    pub fn new(zone: chrono_tz::Tz, addresses: impl IntoIterator<Item = impl Into<String>>) -> Viewer {
        Viewer { zone, addresses: addresses.into_iter().map(Into::into).collect() }
    }

    /// The account's addresses, in the system's time zone.
    pub fn for_account(account: &crate::account::Account) -> Viewer {
        Viewer::new(zone::local(), account.senders().into_iter().map(|i| i.email))
    }

    /// Whether `address` (with or without `mailto:`) is one of the person's.
    pub fn is_me(&self, address: &str) -> bool {
        let address = strip_mailto(address);
        self.addresses.iter().any(|a| a.trim().eq_ignore_ascii_case(address))
    }
}

/// One invitation (or answer, or cancellation) as the card shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub method: Method,
    /// What the card says first: "Invitation", "Cancelled", "Bob accepted", "Bob proposes a
    /// new time", "You accepted".
    pub headline: String,
    /// The person can answer it (Accept, Tentative, Decline).
    pub answerable: bool,
    pub uid: Option<String>,
    pub sequence: i64,
    /// The occurrence this is about, for one occurrence of a recurring event (in the person's
    /// zone, like `start`).
    pub recurrence_id: Option<String>,
    pub summary: Option<String>,
    pub organizer: Option<Person>,
    /// RFC 3339 in the person's zone; a date (`2015-07-22`) for an all-day event. For a
    /// COUNTER, the proposed time.
    pub start: Option<String>,
    /// Like `start`; for an all-day event, the last day (inclusive).
    pub end: Option<String>,
    /// The same instants, Unix seconds (midnight in the person's zone for a day).
    pub start_unix: Option<i64>,
    pub end_unix: Option<i64>,
    pub all_day: bool,
    /// When, in words: "Monday 15 June 2015, 09:00–10:00".
    pub when: Option<String>,
    /// The zone the event was written in, as it names it ("W. Europe Standard Time").
    pub event_zone: Option<String>,
    /// The recurrence in words: "every weekday until 22 July 2015".
    pub recurrence: Option<String>,
    pub location: Option<String>,
    /// Plain text, cut at [`crate::limits::MAX_CALENDAR_DESCRIPTION`] characters.
    pub description: Option<String>,
    /// The event's STATUS (CONFIRMED, TENTATIVE, CANCELLED).
    pub status: Option<String>,
    /// A REPLY's or COUNTER's comment.
    pub comment: Option<String>,
    pub attendees: Vec<Attendee>,
    /// Attendees past [`crate::limits::MAX_CALENDAR_ATTENDEES`], counted only.
    pub more_attendees: usize,
    /// The person's own answer: from their attendee line, or the answer they sent (see
    /// [`Invitation::with_answer`]).
    pub your_status: Option<Partstat>,
    /// Which of the person's addresses the invitation is for.
    pub your_address: Option<String>,
    /// How it was read: an unknown time zone, events left out…
    pub notes: Vec<String>,
}

impl Invitation {
    /// The occurrence this is about as a key that does not depend on the person's zone
    /// (`20150617T070000Z`, a day as `20150617`): where the answer is remembered.
    pub fn occurrence_key(&self) -> Option<String> {
        let rid = self.recurrence_id.as_deref()?;
        match chrono::DateTime::parse_from_rfc3339(rid) {
            Ok(t) => Some(t.with_timezone(&chrono::Utc).format("%Y%m%dT%H%M%SZ").to_string()),
            Err(_) => Some(rid.replace('-', "")),
        }
    }

    /// The card after the person answered (the answer remembered in the store).
    pub fn with_answer(mut self, answer: Partstat) -> Invitation {
        self.your_status = Some(answer);
        if matches!(self.method, Method::Request | Method::Add) {
            self.headline = format!("You {}", answer.verb());
        }
        self
    }
}

/// A person: the organizer, or an attendee.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: Option<String>,
    pub address: Option<String>,
}

impl Person {
    /// The name when there is one, else the address.
    pub fn label(&self) -> &str {
        self.name.as_deref().or(self.address.as_deref()).unwrap_or("Someone")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attendee {
    pub name: Option<String>,
    pub address: Option<String>,
    pub partstat: Partstat,
    pub role: Role,
    /// The organizer asks for an answer.
    pub rsvp: bool,
}

/// iTIP METHOD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum Method {
    #[serde(rename = "PUBLISH")]
    Publish,
    #[default]
    #[serde(rename = "REQUEST")]
    Request,
    #[serde(rename = "REPLY")]
    Reply,
    #[serde(rename = "ADD")]
    Add,
    #[serde(rename = "CANCEL")]
    Cancel,
    #[serde(rename = "REFRESH")]
    Refresh,
    #[serde(rename = "COUNTER")]
    Counter,
    #[serde(rename = "DECLINECOUNTER")]
    DeclineCounter,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Reply => "REPLY",
            Method::Add => "ADD",
            Method::Cancel => "CANCEL",
            Method::Refresh => "REFRESH",
            Method::Counter => "COUNTER",
            Method::DeclineCounter => "DECLINECOUNTER",
        }
    }

    pub fn from_name(name: &str) -> Option<Method> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "PUBLISH" => Method::Publish,
            "REQUEST" => Method::Request,
            "REPLY" => Method::Reply,
            "ADD" => Method::Add,
            "CANCEL" => Method::Cancel,
            "REFRESH" => Method::Refresh,
            "COUNTER" => Method::Counter,
            "DECLINECOUNTER" => Method::DeclineCounter,
            _ => return None,
        })
    }
}

/// An attendee's answer (PARTSTAT).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Partstat {
    #[default]
    NeedsAction,
    Accepted,
    Declined,
    Tentative,
    Delegated,
    /// A value for tasks (COMPLETED, IN-PROCESS…) or one of a vendor's own.
    Other,
}

impl Partstat {
    pub fn as_str(self) -> &'static str {
        match self {
            Partstat::NeedsAction => "NEEDS-ACTION",
            Partstat::Accepted => "ACCEPTED",
            Partstat::Declined => "DECLINED",
            Partstat::Tentative => "TENTATIVE",
            Partstat::Delegated => "DELEGATED",
            Partstat::Other => "X-UNKNOWN",
        }
    }

    pub fn from_name(name: &str) -> Partstat {
        match name.trim().to_ascii_uppercase().as_str() {
            "NEEDS-ACTION" => Partstat::NeedsAction,
            "ACCEPTED" => Partstat::Accepted,
            "DECLINED" => Partstat::Declined,
            "TENTATIVE" => Partstat::Tentative,
            "DELEGATED" => Partstat::Delegated,
            _ => Partstat::Other,
        }
    }

    /// "accepted", "declined", "tentatively accepted"…: "Bob accepted", "You declined".
    pub fn verb(self) -> &'static str {
        match self {
            Partstat::NeedsAction => "has not answered",
            Partstat::Accepted => "accepted",
            Partstat::Declined => "declined",
            Partstat::Tentative => "tentatively accepted",
            Partstat::Delegated => "delegated",
            Partstat::Other => "answered",
        }
    }
}

/// An attendee's ROLE.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Chair,
    #[default]
    Required,
    Optional,
    NonParticipant,
}

/// "Save as .ics": a calendar part as a file — a safe name (the part's own, else the
/// event's title, else `invite.ics`) and its iCalendar bytes with CRLF lines (RFC 5545).
pub fn ics_file(part: &crate::message::Calendar, invitation: Option<&Invitation>) -> (String, Vec<u8>) {
    let wanted = part.name.clone().or_else(|| invitation.and_then(|i| i.summary.clone()));
    let mut name: String = wanted
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') { c } else { '_' })
        .take(100)
        .collect();
    name = name.trim().trim_start_matches('.').to_string();
    if name.is_empty() {
        name = "invite".to_string();
    }
    if !name.to_ascii_lowercase().ends_with(".ics") {
        name.push_str(".ics");
    }
    let mut bytes = crate::compose::to_crlf(part.text.as_bytes());
    if !bytes.ends_with(b"\r\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    (name, bytes)
}

/// `mailto:` (any case) taken off a calendar address, and spaces around it.
pub fn strip_mailto(address: &str) -> &str {
    let a = address.trim();
    match a.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => a[7..].trim(),
        _ => a,
    }
}
