//! From a calendar part's text to an [`Invitation`], with calcard.

use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarMethod,
    ICalendarParameterName, ICalendarParameterValue, ICalendarParticipationRole,
    ICalendarParticipationStatus, ICalendarProperty, ICalendarStatus, ICalendarValue,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::{Attendee, Invitation, Method, Partstat, Person, Role, Viewer, strip_mailto, words, zone};
use crate::error::{Error, Kind, Result};
use crate::limits::{
    MAX_CALENDAR_ATTENDEES, MAX_CALENDAR_BYTES, MAX_CALENDAR_COMPONENTS, MAX_CALENDAR_DESCRIPTION,
    MAX_HEADER_CHARS,
};
use crate::message::Display;

/// The calendar parts of a message, read — an invitation, or why it could not be read —
/// each with its index in `display.calendar`. The same event sent twice (Google Calendar
/// and Thunderbird send it inline and again as `invite.ics`) is listed once.
pub fn invitations(display: &Display, viewer: &Viewer) -> Vec<(usize, Result<Invitation>)> {
    let mut out: Vec<(usize, Result<Invitation>)> = Vec::new();
    for (i, c) in display.calendar.iter().enumerate() {
        let read = parse(&c.text, c.method.as_deref(), viewer);
        let seen = out.iter().any(|(_, earlier)| match (earlier, &read) {
            (Ok(a), Ok(b)) => {
                a.uid.is_some()
                    && (&a.uid, a.sequence, &a.recurrence_id, a.method)
                        == (&b.uid, b.sequence, &b.recurrence_id, b.method)
            }
            _ => false,
        });
        if !seen {
            out.push((i, read));
        }
    }
    out
}

/// One calendar part. `method` is the METHOD the content type gives, used when the text has
/// none.
pub fn parse(text: &str, method: Option<&str>, viewer: &Viewer) -> Result<Invitation> {
    if text.len() > MAX_CALENDAR_BYTES {
        return Err(unreadable(format!(
            "it is larger than {}",
            crate::limits::size(MAX_CALENDAR_BYTES as u64)
        )));
    }
    // Cheap bound before parsing: every component starts with a BEGIN line.
    if count_begins(text) > MAX_CALENDAR_COMPONENTS {
        return Err(unreadable(format!("it has more than {MAX_CALENDAR_COMPONENTS} parts")));
    }
    let cal = ICalendar::parse(text).map_err(|_| unreadable("it is not iCalendar".to_string()))?;
    let root = cal.components.first().ok_or_else(|| unreadable("it is empty".to_string()))?;
    let method = root
        .property(&ICalendarProperty::Method)
        .and_then(|e| e.values.first())
        .and_then(|v| match v {
            ICalendarValue::Method(m) => Some(method_of(m)),
            ICalendarValue::Text(t) => Method::from_name(t),
            _ => None,
        })
        .or_else(|| method.and_then(Method::from_name))
        .unwrap_or(Method::Publish);
    let events: Vec<&ICalendarComponent> =
        cal.components.iter().filter(|c| c.component_type == ICalendarComponentType::VEvent).collect();
    // The series when there is one, else the occurrence the message is about.
    let event = events
        .iter()
        .find(|e| !e.has_property(&ICalendarProperty::RecurrenceId))
        .or(events.first())
        .copied()
        .ok_or_else(|| unreadable("it has no event".to_string()))?;

    let mut inv = Invitation { method, ..Invitation::default() };
    if events.len() > 1 {
        inv.notes.push(format!("{} changed occurrences are not shown.", events.len() - 1));
    }
    inv.uid = text_of(event, &ICalendarProperty::Uid);
    inv.sequence = event
        .property(&ICalendarProperty::Sequence)
        .and_then(|e| e.values.first())
        .and_then(ICalendarValue::as_integer)
        .unwrap_or(0);
    inv.summary = text_of(event, &ICalendarProperty::Summary);
    inv.location = text_of(event, &ICalendarProperty::Location);
    inv.comment = long_text_of(event, &ICalendarProperty::Comment);
    inv.description = long_text_of(event, &ICalendarProperty::Description);
    inv.status = event.status().map(|s| status_name(s).to_string());
    inv.organizer = event.property(&ICalendarProperty::Organizer).map(person);

    let start =
        event.property(&ICalendarProperty::Dtstart).and_then(|e| moment(&cal, e, viewer, &mut inv.notes));
    inv.event_zone =
        event.property(&ICalendarProperty::Dtstart).and_then(ICalendarEntry::tz_id).map(str::to_string);
    let end = event
        .property(&ICalendarProperty::Dtend)
        .and_then(|e| moment(&cal, e, viewer, &mut inv.notes))
        .or_else(|| {
            let duration = event
                .property(&ICalendarProperty::Duration)
                .and_then(|e| e.values.first())
                .and_then(|v| match v {
                    ICalendarValue::Duration(d) => d.to_time_delta(),
                    _ => None,
                })?;
            match start.as_ref()? {
                Moment::At(t) => t.checked_add_signed(duration).map(Moment::At),
                Moment::Day(d) => d.checked_add_signed(duration).map(Moment::Day),
            }
        });
    if let Some(start) = &start {
        inv.all_day = matches!(start, Moment::Day(_));
        inv.start = Some(start.rfc3339());
        inv.start_unix = start.unix(viewer);
        // An all-day event ends the day before its DTEND (which is exclusive).
        let end = match (start, end) {
            (Moment::Day(s), Some(Moment::Day(e))) if e > *s => Some(Moment::Day(e.pred_opt().unwrap_or(e))),
            (Moment::Day(s), _) => Some(Moment::Day(*s)),
            (_, e) => e,
        };
        if let Some(end) = &end {
            inv.end = Some(end.rfc3339());
            inv.end_unix = end.unix(viewer);
        }
        inv.when = Some(when(start, end.as_ref()));
    }
    inv.recurrence_id = event
        .property(&ICalendarProperty::RecurrenceId)
        .and_then(|e| moment(&cal, e, viewer, &mut inv.notes))
        .map(|m| m.rfc3339());
    inv.recurrence = event
        .property(&ICalendarProperty::Rrule)
        .and_then(|e| e.values.first())
        .and_then(|v| match v {
            ICalendarValue::RecurrenceRule(r) => Some(r),
            _ => None,
        })
        .map(|rule| {
            let until = rule.until.as_ref().and_then(|u| {
                let r = u.to_date_time()?;
                if !u.has_time() {
                    return Some(r.date_time.date());
                }
                match r.offset {
                    Some(o) => o
                        .from_local_datetime(&r.date_time)
                        .single()
                        .map(|t| t.with_timezone(&viewer.zone).date_naive()),
                    None => Some(r.date_time.date()),
                }
            });
            words::recurrence(rule, until)
        });

    let mut total = 0;
    for entry in event.properties(&ICalendarProperty::Attendee) {
        total += 1;
        if inv.attendees.len() < MAX_CALENDAR_ATTENDEES {
            inv.attendees.push(attendee(entry));
        }
    }
    inv.more_attendees = total - inv.attendees.len();
    if let Some(me) = inv.attendees.iter().find(|a| a.address.as_deref().is_some_and(|a| viewer.is_me(a))) {
        inv.your_status = Some(me.partstat);
        inv.your_address = me.address.clone();
    }

    let cancelled = inv.status.as_deref() == Some("CANCELLED");
    inv.answerable = matches!(method, Method::Request | Method::Add)
        && !cancelled
        && inv.uid.is_some()
        && inv.organizer.as_ref().is_some_and(|o| o.address.is_some());
    inv.headline = headline(&inv, cancelled);
    Ok(inv)
}

fn headline(inv: &Invitation, cancelled: bool) -> String {
    // The attendee a REPLY or COUNTER speaks for is its only one (or the first).
    let sender = inv.attendees.first();
    let sender_name =
        sender.map(|a| person_label(a.name.as_deref(), a.address.as_deref())).unwrap_or("Someone");
    let organizer = inv.organizer.as_ref().map(Person::label).unwrap_or("The organizer");
    match inv.method {
        Method::Cancel => "Cancelled".to_string(),
        _ if cancelled => "Cancelled".to_string(),
        Method::Reply => format!("{sender_name} {}", sender.map(|a| a.partstat).unwrap_or_default().verb()),
        Method::Counter => format!("{sender_name} proposes a new time"),
        Method::DeclineCounter => format!("{organizer} declined the proposed time"),
        Method::Refresh => format!("{sender_name} asks for the latest version"),
        Method::Publish => "Event".to_string(),
        Method::Request | Method::Add => match inv.your_status {
            Some(s @ (Partstat::Accepted | Partstat::Declined | Partstat::Tentative)) => {
                format!("You {}", s.verb())
            }
            _ if inv.sequence > 0 => "Updated invitation".to_string(),
            _ => "Invitation".to_string(),
        },
    }
}

fn person_label<'a>(name: Option<&'a str>, address: Option<&'a str>) -> &'a str {
    name.or(address).unwrap_or("Someone")
}

fn unreadable(why: String) -> Error {
    Error::new(Kind::Protocol, format!("cannot read the invitation: {why}"))
}

fn count_begins(text: &str) -> usize {
    text.lines().filter(|l| l.trim_start().get(..6).is_some_and(|b| b.eq_ignore_ascii_case("BEGIN:"))).count()
}

fn method_of(m: &ICalendarMethod) -> Method {
    match m {
        ICalendarMethod::Publish => Method::Publish,
        ICalendarMethod::Request => Method::Request,
        ICalendarMethod::Reply => Method::Reply,
        ICalendarMethod::Add => Method::Add,
        ICalendarMethod::Cancel => Method::Cancel,
        ICalendarMethod::Refresh => Method::Refresh,
        ICalendarMethod::Counter => Method::Counter,
        ICalendarMethod::Declinecounter => Method::DeclineCounter,
    }
}

fn status_name(s: &ICalendarStatus) -> &'static str {
    match s {
        ICalendarStatus::Tentative => "TENTATIVE",
        ICalendarStatus::Confirmed => "CONFIRMED",
        ICalendarStatus::Cancelled => "CANCELLED",
        ICalendarStatus::NeedsAction => "NEEDS-ACTION",
        ICalendarStatus::Completed => "COMPLETED",
        ICalendarStatus::InProcess => "IN-PROCESS",
        ICalendarStatus::Draft => "DRAFT",
        ICalendarStatus::Final => "FINAL",
        ICalendarStatus::Failed => "FAILED",
        ICalendarStatus::Pending => "PENDING",
    }
}

/// A one-line text property, control characters out, cut at the header limit.
fn text_of(c: &ICalendarComponent, p: &ICalendarProperty) -> Option<String> {
    let t = c.property(p)?.values.first()?.as_text()?;
    let t: String =
        t.chars().map(|ch| if ch.is_control() { ' ' } else { ch }).take(MAX_HEADER_CHARS).collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A text of several lines (description, comment): line breaks kept, cut at the limit.
fn long_text_of(c: &ICalendarComponent, p: &ICalendarProperty) -> Option<String> {
    let t = c.property(p)?.values.first()?.as_text()?;
    let t: String = t
        .replace("\r\n", "\n")
        .chars()
        .filter(|ch| *ch == '\n' || *ch == '\t' || !ch.is_control())
        .take(MAX_CALENDAR_DESCRIPTION)
        .collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn param_text<'a>(e: &'a ICalendarEntry, name: &ICalendarParameterName) -> Option<&'a str> {
    e.parameter(name).and_then(ICalendarParameterValue::as_text).map(str::trim).filter(|t| !t.is_empty())
}

fn address_of(e: &ICalendarEntry) -> Option<String> {
    let value = e.values.first()?.as_text().or_else(|| match e.values.first()? {
        ICalendarValue::Uri(calcard::icalendar::Uri::Location(l)) => Some(l.as_str()),
        _ => None,
    })?;
    let a: String = strip_mailto(value).chars().filter(|c| !c.is_control()).take(MAX_HEADER_CHARS).collect();
    (!a.is_empty()).then_some(a)
}

fn person(e: &ICalendarEntry) -> Person {
    let address = address_of(e);
    // Google writes the address again as the name: no name then.
    let name = param_text(e, &ICalendarParameterName::Cn)
        .filter(|n| address.as_deref().is_none_or(|a| !a.eq_ignore_ascii_case(n)))
        .map(|n| n.chars().take(MAX_HEADER_CHARS).collect());
    Person { name, address }
}

fn attendee(e: &ICalendarEntry) -> Attendee {
    let p = person(e);
    let partstat = match e.parameter(&ICalendarParameterName::Partstat) {
        Some(ICalendarParameterValue::Partstat(s)) => match s {
            ICalendarParticipationStatus::NeedsAction => Partstat::NeedsAction,
            ICalendarParticipationStatus::Accepted => Partstat::Accepted,
            ICalendarParticipationStatus::Declined => Partstat::Declined,
            ICalendarParticipationStatus::Tentative => Partstat::Tentative,
            ICalendarParticipationStatus::Delegated => Partstat::Delegated,
            _ => Partstat::Other,
        },
        Some(ICalendarParameterValue::Text(t)) => Partstat::from_name(t),
        _ => Partstat::NeedsAction,
    };
    let role = match e.parameter(&ICalendarParameterName::Role) {
        Some(ICalendarParameterValue::Role(r)) => match r {
            ICalendarParticipationRole::Chair => Role::Chair,
            ICalendarParticipationRole::OptParticipant => Role::Optional,
            ICalendarParticipationRole::NonParticipant => Role::NonParticipant,
            _ => Role::Required,
        },
        _ => Role::Required,
    };
    let rsvp = match e.parameter(&ICalendarParameterName::Rsvp) {
        Some(ICalendarParameterValue::Bool(b)) => *b,
        Some(ICalendarParameterValue::Text(t)) => t.eq_ignore_ascii_case("TRUE"),
        _ => false,
    };
    Attendee { name: p.name, address: p.address, partstat, role, rsvp }
}

/// A point in time as the person sees it, or a whole day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Moment {
    Day(NaiveDate),
    At(DateTime<chrono_tz::Tz>),
}

impl Moment {
    fn rfc3339(&self) -> String {
        match self {
            Moment::Day(d) => d.format("%Y-%m-%d").to_string(),
            Moment::At(t) => t.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        }
    }

    fn unix(&self, viewer: &Viewer) -> Option<i64> {
        match self {
            Moment::Day(d) => {
                viewer.zone.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.timestamp())
            }
            Moment::At(t) => Some(t.timestamp()),
        }
    }
}

/// A DTSTART, DTEND or RECURRENCE-ID in the person's zone: UTC as it is, a TZID through the
/// calendar's VTIMEZONE or its name, a floating time as the person's own.
pub(super) fn moment(
    cal: &ICalendar,
    e: &ICalendarEntry,
    viewer: &Viewer,
    notes: &mut Vec<String>,
) -> Option<Moment> {
    let value = e.values.first()?.as_partial_date_time()?;
    let parsed = value.to_date_time()?;
    if !value.has_time() {
        return Some(Moment::Day(parsed.date_time.date()));
    }
    let local = parsed.date_time;
    let instant: DateTime<Utc> = if let Some(offset) = parsed.offset {
        offset.from_local_datetime(&local).single()?.with_timezone(&Utc)
    } else if let Some(tzid) = e.tz_id() {
        match zone::event_zone(cal, tzid, local).filter(|z| !z.is_floating()) {
            Some(z) => zone::instant(z, local)?.with_timezone(&Utc),
            None => {
                let note = format!(
                    "The time zone \"{}\" is unknown: times are shown as written.",
                    tzid.chars().take(80).collect::<String>()
                );
                if !notes.contains(&note) {
                    notes.push(note);
                }
                viewer.zone.from_local_datetime(&local).earliest()?.with_timezone(&Utc)
            }
        }
    } else {
        viewer.zone.from_local_datetime(&local).earliest()?.with_timezone(&Utc)
    };
    Some(Moment::At(instant.with_timezone(&viewer.zone)))
}

/// "Monday 15 June 2015, 09:00–10:00", "Monday 15 June 2015 (all day)".
fn when(start: &Moment, end: Option<&Moment>) -> String {
    let day = |d: NaiveDate| format!("{} {}", d.format("%A"), words::date(d));
    match (start, end) {
        (Moment::Day(s), Some(Moment::Day(e))) if e > s => format!("{} – {} (all day)", day(*s), day(*e)),
        (Moment::Day(s), _) => format!("{} (all day)", day(*s)),
        (Moment::At(s), Some(Moment::At(e))) if s.date_naive() == e.date_naive() => {
            format!("{}, {}–{}", day(s.date_naive()), s.format("%H:%M"), e.format("%H:%M"))
        }
        (Moment::At(s), Some(Moment::At(e))) => format!(
            "{}, {} – {}, {}",
            day(s.date_naive()),
            s.format("%H:%M"),
            day(e.date_naive()),
            e.format("%H:%M")
        ),
        (Moment::At(s), _) => format!("{}, {}", day(s.date_naive()), s.format("%H:%M")),
    }
}
