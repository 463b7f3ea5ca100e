#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use calcard::icalendar::{
    ICalendar, ICalendarComponentType, ICalendarMethod, ICalendarParameterName, ICalendarParameterValue,
    ICalendarParticipationStatus, ICalendarProperty, ICalendarValue,
};
use chrono::{NaiveDate, TimeZone, Utc};
use mail_parser::MimeHeaders;

use super::*;
use crate::compose::Address;

const WINDOWS_ZONE: &str = "BEGIN:VCALENDAR\r
METHOD:REQUEST\r
PRODID:Microsoft Exchange Server 2010\r
VERSION:2.0\r
BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
ORGANIZER;CN=Bob Builder:mailto:bob@example.com\r
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Alice:mailto:alice@example.com\r
ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Carol:MAILTO:carol@example.com\r
DESCRIPTION;LANGUAGE=en-US:Agenda:\\nBudget\\, plans\r
RRULE:FREQ=WEEKLY;UNTIL=20150722T070000Z;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;WKST=SU\r
SUMMARY;LANGUAGE=en-US:Stand-up\r
DTSTART;TZID=W. Europe Standard Time:20150615T090000\r
DTEND;TZID=W. Europe Standard Time:20150615T091500\r
UID:040000008200E00074C5B7101A82E00800000000\r
DTSTAMP:20150610T120000Z\r
SEQUENCE:2\r
LOCATION;LANGUAGE=en-US:Room 4\r
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r
X-MICROSOFT-CDO-IMPORTANCE:1\r
END:VEVENT\r
END:VCALENDAR\r
";

/// Outlook's "Customized Time Zone": a name nobody knows, only its rules (UTC+3, +4 in
/// summer from the second Sunday of April to the first Sunday of October).
const CUSTOM_ZONE: &str = "BEGIN:VCALENDAR
METHOD:REQUEST
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0400
TZOFFSETTO:+0300
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0300
TZOFFSETTO:+0400
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=4
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER:mailto:bob@example.com
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com
SUMMARY:Custom
DTSTART;TZID=Customized Time Zone:20260115T100000
DTEND;TZID=Customized Time Zone:20260115T110000
UID:custom-1
END:VEVENT
BEGIN:VEVENT
ORGANIZER:mailto:bob@example.com
SUMMARY:Custom summer
RECURRENCE-ID;TZID=Customized Time Zone:20260715T100000
DTSTART;TZID=Customized Time Zone:20260715T100000
DTEND;TZID=Customized Time Zone:20260715T110000
UID:custom-1
END:VEVENT
END:VCALENDAR
";

fn event(method: &str, body: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:test\nMETHOD:{method}\nBEGIN:VEVENT\nUID:uid-1\nDTSTAMP:20260101T000000Z\n{body}\nEND:VEVENT\nEND:VCALENDAR\n"
    )
}

fn alice(zone: chrono_tz::Tz) -> Viewer {
    Viewer::new(zone, ["alice@example.com"])
}

#[test]
fn windows_zone_name_shows_the_local_time() {
    let inv = parse(WINDOWS_ZONE, None, &alice(chrono_tz::America::New_York)).unwrap();
    // 09:00 in Berlin (summer, UTC+2) is 03:00 in New York (UTC-4).
    assert_eq!(inv.start.as_deref(), Some("2015-06-15T03:00:00-04:00"));
    assert_eq!(inv.end.as_deref(), Some("2015-06-15T03:15:00-04:00"));
    assert_eq!(inv.when.as_deref(), Some("Monday 15 June 2015, 03:00–03:15"));
    assert_eq!(inv.event_zone.as_deref(), Some("W. Europe Standard Time"));
    assert!(inv.notes.is_empty(), "{:?}", inv.notes);
    let london = parse(WINDOWS_ZONE, None, &alice(chrono_tz::Europe::London)).unwrap();
    assert_eq!(london.start.as_deref(), Some("2015-06-15T08:00:00+01:00"));
    assert_eq!(london.start_unix, inv.start_unix);
}

#[test]
fn the_invitation_as_the_card_shows_it() {
    let inv = parse(WINDOWS_ZONE, None, &alice(chrono_tz::UTC)).unwrap();
    assert_eq!(inv.method, Method::Request);
    assert_eq!(inv.headline, "Updated invitation");
    assert!(inv.answerable);
    assert_eq!(inv.uid.as_deref(), Some("040000008200E00074C5B7101A82E00800000000"));
    assert_eq!(inv.sequence, 2);
    assert_eq!(inv.summary.as_deref(), Some("Stand-up"));
    assert_eq!(inv.location.as_deref(), Some("Room 4"));
    assert_eq!(inv.description.as_deref(), Some("Agenda:\nBudget, plans"));
    assert_eq!(
        inv.organizer,
        Some(Person { name: Some("Bob Builder".into()), address: Some("bob@example.com".into()) })
    );
    assert_eq!(inv.recurrence.as_deref(), Some("every weekday until 22 July 2015"));
    assert_eq!(inv.attendees.len(), 2);
    assert_eq!(inv.attendees[1].address.as_deref(), Some("carol@example.com"));
    assert_eq!(inv.attendees[1].partstat, Partstat::Accepted);
    assert_eq!(inv.attendees[1].role, Role::Optional);
    assert!(inv.attendees[0].rsvp);
    assert_eq!(inv.your_status, Some(Partstat::NeedsAction));
    assert_eq!(inv.your_address.as_deref(), Some("alice@example.com"));
    assert_eq!(inv.clone().with_answer(Partstat::Accepted).headline, "You accepted");
}

#[test]
fn custom_vtimezone_rules_give_the_offset() {
    let inv = parse(CUSTOM_ZONE, None, &alice(chrono_tz::UTC)).unwrap();
    // Winter: UTC+3.
    assert_eq!(inv.start.as_deref(), Some("2026-01-15T07:00:00+00:00"));
    assert_eq!(inv.end.as_deref(), Some("2026-01-15T08:00:00+00:00"));
    assert_eq!(inv.event_zone.as_deref(), Some("Customized Time Zone"));
    assert_eq!(inv.notes, ["1 changed occurrences are not shown."]);
    // Summer (the changed occurrence): UTC+4.
    let summer = CUSTOM_ZONE.replacen(
        "SUMMARY:Custom\n",
        "SUMMARY:Custom\nRECURRENCE-ID;TZID=Customized Time Zone:20260115T100000\n",
        1,
    );
    let summer = summer.replacen("SUMMARY:Custom summer\nRECURRENCE-ID", "SUMMARY:Custom summer\nX-RID", 1);
    let inv = parse(&summer, None, &alice(chrono_tz::UTC)).unwrap();
    assert_eq!(inv.summary.as_deref(), Some("Custom summer"));
    assert_eq!(inv.start.as_deref(), Some("2026-07-15T06:00:00+00:00"));
}

#[test]
fn an_unknown_zone_without_rules_is_said() {
    let text = event("REQUEST", "ORGANIZER:mailto:bob@example.com\nDTSTART;TZID=Atlantis:20260301T100000");
    let inv = parse(&text, None, &alice(chrono_tz::Europe::Berlin)).unwrap();
    assert_eq!(inv.start.as_deref(), Some("2026-03-01T10:00:00+01:00"));
    assert_eq!(inv.notes, ["The time zone \"Atlantis\" is unknown: times are shown as written."]);
}

#[test]
fn all_day_events_are_days() {
    let text = event("REQUEST", "DTSTART;VALUE=DATE:20150720\nDTEND;VALUE=DATE:20150721\nSUMMARY:Offsite");
    let inv = parse(&text, None, &alice(chrono_tz::Asia::Tokyo)).unwrap();
    assert!(inv.all_day);
    assert_eq!(inv.start.as_deref(), Some("2015-07-20"));
    assert_eq!(inv.end.as_deref(), Some("2015-07-20"));
    assert_eq!(inv.when.as_deref(), Some("Monday 20 July 2015 (all day)"));
    let text = event("REQUEST", "DTSTART;VALUE=DATE:20150720\nDTEND;VALUE=DATE:20150723");
    let inv = parse(&text, None, &alice(chrono_tz::UTC)).unwrap();
    assert_eq!(inv.end.as_deref(), Some("2015-07-22"));
    assert_eq!(inv.when.as_deref(), Some("Monday 20 July 2015 – Wednesday 22 July 2015 (all day)"));
}

#[test]
fn recurrences_in_words() {
    let words = |rule: &str| {
        let text = event("REQUEST", &format!("DTSTART:20260105T090000Z\nRRULE:{rule}"));
        parse(&text, None, &alice(chrono_tz::UTC)).unwrap().recurrence.unwrap()
    };
    assert_eq!(words("FREQ=DAILY"), "every day");
    assert_eq!(words("FREQ=DAILY;INTERVAL=3;COUNT=10"), "every 3 days, 10 times");
    assert_eq!(words("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"), "every weekday");
    assert_eq!(words("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"), "every 2 weeks on Monday and Thursday");
    assert_eq!(
        words("FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=1"),
        "every week on Monday, Wednesday and Friday, once"
    );
    assert_eq!(words("FREQ=MONTHLY;BYDAY=2TU"), "every month on the second Tuesday");
    assert_eq!(words("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1"), "every month on the last Friday");
    assert_eq!(words("FREQ=MONTHLY;BYMONTHDAY=15"), "every month on day 15");
    assert_eq!(
        words("FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=4;UNTIL=20300704"),
        "every year on 4 July until 4 July 2030"
    );
}

#[test]
fn own_status_by_identity_without_mailto_case() {
    let text = event(
        "REQUEST",
        "ORGANIZER:mailto:bob@example.com\nDTSTART:20260105T090000Z\n\
         ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@example.com\n\
         ATTENDEE;PARTSTAT=TENTATIVE;CN=Alice:MAILTO:Alice.Work@Example.ORG",
    );
    let viewer = Viewer::new(chrono_tz::UTC, ["alice@example.com", "alice.work@example.org"]);
    let inv = parse(&text, None, &viewer).unwrap();
    assert_eq!(inv.your_status, Some(Partstat::Tentative));
    assert_eq!(inv.your_address.as_deref(), Some("Alice.Work@Example.ORG"));
    assert_eq!(inv.headline, "You tentatively accepted");
    let stranger = parse(&text, None, &Viewer::new(chrono_tz::UTC, ["dave@example.com"])).unwrap();
    assert_eq!(stranger.your_status, None);
}

#[test]
fn what_the_card_says_for_each_method() {
    let viewer = alice(chrono_tz::UTC);
    let cancel =
        parse(&event("CANCEL", "ORGANIZER:mailto:bob@example.com\nSTATUS:CANCELLED"), None, &viewer).unwrap();
    assert_eq!((cancel.headline.as_str(), cancel.answerable), ("Cancelled", false));
    let reply = parse(
        &event(
            "REPLY",
            "ORGANIZER:mailto:alice@example.com\nATTENDEE;PARTSTAT=ACCEPTED;CN=Bob:mailto:bob@example.com",
        ),
        None,
        &viewer,
    )
    .unwrap();
    assert_eq!((reply.headline.as_str(), reply.answerable), ("Bob accepted", false));
    let counter = parse(
        &event(
            "COUNTER",
            "ORGANIZER:mailto:alice@example.com\nATTENDEE;CN=Bob:mailto:bob@example.com\n\
             DTSTART:20260105T140000Z\nDTEND:20260105T150000Z\nCOMMENT:Afternoon?",
        ),
        None,
        &viewer,
    )
    .unwrap();
    assert_eq!(counter.headline, "Bob proposes a new time");
    assert_eq!(counter.start.as_deref(), Some("2026-01-05T14:00:00+00:00"));
    assert_eq!(counter.comment.as_deref(), Some("Afternoon?"));
    // No METHOD in the text: the content type's.
    let text = event("X", "ORGANIZER:mailto:bob@example.com").replace("METHOD:X\n", "");
    assert_eq!(parse(&text, Some("request"), &viewer).unwrap().method, Method::Request);
    assert_eq!(parse(&text, None, &viewer).unwrap().method, Method::Publish);
}

#[test]
fn hostile_calendars_give_errors_quickly() {
    let viewer = alice(chrono_tz::UTC);
    let started = Instant::now();
    for bad in [
        String::new(),
        "not a calendar at all".to_string(),
        "BEGIN:VCALENDAR\nEND:VCALENDAR\n".to_string(),
        "BEGIN:VEVENT\n".repeat(200_000),
        format!("BEGIN:VCALENDAR\n{}END:VCALENDAR\n", "BEGIN:VALARM\nEND:VALARM\n".repeat(5_000)),
        "x".repeat(crate::limits::MAX_CALENDAR_BYTES + 1),
    ] {
        let e = parse(&bad, None, &viewer).unwrap_err();
        assert!(e.message().starts_with("cannot read the invitation: "), "{}", e.message());
    }
    // Odd values are shown, never trusted: dates out of range, huge numbers, control bytes.
    let odd = event(
        "REQUEST",
        "DTSTART;TZID=Customized Time Zone:99991231T235959\nDTEND:00000000T000000Z\nSEQUENCE:99999999999999999999\n\
         SUMMARY:a\u{7}b\nRRULE:FREQ=YEARLY;INTERVAL=65535;BYMONTH=13;BYMONTHDAY=-40\nDURATION:P99999999W",
    );
    let inv = parse(&odd, None, &viewer).unwrap();
    assert_eq!(inv.summary.as_deref(), Some("a b"));
    let many = event(
        "REQUEST",
        &(0..crate::limits::MAX_CALENDAR_ATTENDEES + 7)
            .map(|i| format!("ATTENDEE:mailto:p{i}@example.com"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let inv = parse(&many, None, &viewer).unwrap();
    assert_eq!((inv.attendees.len(), inv.more_attendees), (crate::limits::MAX_CALENDAR_ATTENDEES, 7));
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}

fn parsed(text: &str) -> ICalendar {
    ICalendar::parse(text).unwrap()
}

fn reply_of(original: &str, occurrence: Option<chrono::NaiveDateTime>) -> ICalendar {
    let me = Address::new(Some("Alice"), "alice@example.com");
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 10, 30, 0).unwrap();
    let text = reply_calendar(original, &me, Answer::Accept, Some("See you, all"), occurrence, now).unwrap();
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    assert!(text.lines().all(|l| l.len() <= 75), "{text}");
    parsed(&text)
}

fn value_text(cal: &ICalendar, p: ICalendarProperty) -> Option<String> {
    let event = cal.components.iter().find(|c| c.component_type == ICalendarComponentType::VEvent)?;
    match event.property(&p)?.values.first()? {
        ICalendarValue::Text(t) => Some(t.clone()),
        ICalendarValue::Integer(i) => Some(i.to_string()),
        ICalendarValue::PartialDateTime(d) => {
            d.to_date_time().map(|d| format!("{}{:?}", d.date_time, d.offset))
        }
        other => Some(format!("{other:?}")),
    }
}

#[test]
fn the_reply_is_an_itip_reply_with_only_my_attendee() {
    let cal = reply_of(WINDOWS_ZONE, None);
    let root = &cal.components[0];
    assert!(matches!(
        root.property(&ICalendarProperty::Method).and_then(|e| e.values.first()),
        Some(ICalendarValue::Method(ICalendarMethod::Reply))
    ));
    assert_eq!(
        value_text(&cal, ICalendarProperty::Uid).as_deref(),
        Some("040000008200E00074C5B7101A82E00800000000")
    );
    assert_eq!(value_text(&cal, ICalendarProperty::Sequence).as_deref(), Some("2"));
    assert_eq!(value_text(&cal, ICalendarProperty::Comment).as_deref(), Some("See you, all"));
    assert_eq!(
        value_text(&cal, ICalendarProperty::Dtstamp).as_deref(),
        Some("2026-12-06 10:30:00Some(+00:00)")
    );
    assert_eq!(value_text(&cal, ICalendarProperty::RecurrenceId), None);
    let event = cal.components.iter().find(|c| c.component_type == ICalendarComponentType::VEvent).unwrap();
    let attendees: Vec<_> = event.properties(&ICalendarProperty::Attendee).collect();
    assert_eq!(attendees.len(), 1);
    assert_eq!(attendees[0].calendar_address(), Some("alice@example.com"));
    assert!(matches!(
        attendees[0].parameter(&ICalendarParameterName::Partstat),
        Some(ICalendarParameterValue::Partstat(ICalendarParticipationStatus::Accepted))
    ));
    assert_eq!(
        event.property(&ICalendarProperty::Organizer).and_then(|o| o.calendar_address()),
        Some("bob@example.com")
    );
    // Read back through our own model: what the organizer's card will say.
    let text = reply_calendar(
        WINDOWS_ZONE,
        &Address::new(Some("Alice"), "alice@example.com"),
        Answer::Decline,
        None,
        None,
        Utc::now(),
    )
    .unwrap();
    let card = parse(&text, None, &Viewer::new(chrono_tz::UTC, ["bob@example.com"])).unwrap();
    assert_eq!(card.headline, "Alice declined");
}

#[test]
fn answering_one_occurrence_carries_its_recurrence_id() {
    // The 17 June occurrence of the stand-up, 09:00 in Berlin: 07:00 UTC.
    let at = NaiveDate::from_ymd_opt(2015, 6, 17).unwrap().and_hms_opt(9, 0, 0).unwrap();
    let cal = reply_of(WINDOWS_ZONE, Some(at));
    assert_eq!(
        value_text(&cal, ICalendarProperty::RecurrenceId).as_deref(),
        Some("2015-06-17 07:00:00Some(+00:00)")
    );
    // An invitation for one changed occurrence: its own RECURRENCE-ID, in UTC.
    let only = CUSTOM_ZONE.replacen(
        "BEGIN:VEVENT\nORGANIZER:mailto:bob@example.com\nATTENDEE",
        "BEGIN:VEVENT\nX-A:b\nATTENDEE",
        1,
    );
    let only = only.replacen("SUMMARY:Custom\n", "SUMMARY:Custom\nX-S:1\n", 1);
    let one = format!(
        "BEGIN:VCALENDAR\nMETHOD:REQUEST\n{}\n{}",
        &CUSTOM_ZONE[CUSTOM_ZONE.find("BEGIN:VTIMEZONE").unwrap()..CUSTOM_ZONE.find("BEGIN:VEVENT").unwrap()],
        &only[only.rfind("BEGIN:VEVENT").unwrap()..]
    );
    let cal = reply_of(&one, None);
    assert_eq!(
        value_text(&cal, ICalendarProperty::RecurrenceId).as_deref(),
        Some("2026-07-15 06:00:00Some(+00:00)")
    );
    // An all-day series: a date.
    let days =
        event("REQUEST", "ORGANIZER:mailto:bob@example.com\nDTSTART;VALUE=DATE:20260105\nRRULE:FREQ=DAILY");
    let at = NaiveDate::from_ymd_opt(2026, 1, 7).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let cal = reply_of(&days, Some(at));
    assert_eq!(value_text(&cal, ICalendarProperty::RecurrenceId).as_deref(), Some("2026-01-07 00:00:00None"));
}

#[test]
fn the_reply_message_goes_to_the_organizer() {
    let inv = parse(WINDOWS_ZONE, None, &alice(chrono_tz::UTC)).unwrap();
    let me = Address::new(Some("Alice"), "alice@example.com");
    let out = reply_message(
        &inv,
        WINDOWS_ZONE,
        &me,
        Answer::Accept,
        None,
        None,
        Some("<inv-1@example.com>"),
        &["<inv-1@example.com>".to_string()],
    )
    .unwrap();
    out.check().unwrap();
    assert_eq!(out.recipients, ["bob@example.com"]);
    assert_eq!(out.from, "alice@example.com");
    let msg = mail_parser::MessageParser::default().parse(&out.raw).unwrap();
    assert_eq!(msg.subject(), Some("Accepted: Stand-up"));
    assert_eq!(msg.in_reply_to().as_text(), Some("inv-1@example.com"));
    assert_eq!(msg.content_type().and_then(|c| c.subtype()), Some("alternative"));
    assert!(msg.body_text(0).unwrap().starts_with("Alice has accepted: Stand-up"));
    let part = msg
        .parts
        .iter()
        .find(|p| p.content_type().is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("calendar")))
        .unwrap();
    assert_eq!(part.content_type().and_then(|c| c.attribute("method")), Some("REPLY"));
    let text = std::str::from_utf8(part.contents()).unwrap();
    let card = parse(text, None, &Viewer::new(chrono_tz::UTC, ["bob@example.com"])).unwrap();
    assert_eq!((card.method, card.headline.as_str()), (Method::Reply, "Alice accepted"));

    let cancel =
        parse(&event("CANCEL", "ORGANIZER:mailto:bob@example.com"), None, &alice(chrono_tz::UTC)).unwrap();
    let e = reply_message(&cancel, WINDOWS_ZONE, &me, Answer::Accept, None, None, None, &[]).unwrap_err();
    assert!(e.message().starts_with("cannot answer this calendar message"), "{}", e.message());
}

#[test]
fn an_outlook_web_link_is_recognised() {
    let raw = b"From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: Planning\r\n\
        Content-Class: urn:content-classes:calendarmessage\r\nContent-Type: text/plain\r\n\r\n\
        When: Monday\r\n\r\nhttps://outlook.office365.com/owa/?ItemID=AAMkAD%3D&exvsurl=1&viewmodel=ICalendarItemDetails\r\n";
    let display = crate::message::render(raw, crate::options::BodyFormat::Best);
    let found = owa_link(raw, &display, "alice@example.com").unwrap();
    assert_eq!(
        found.link.as_deref(),
        Some("https://outlook.office365.com/owa/?ItemID=AAMkAD%3D&exvsurl=1&viewmodel=ICalendarItemDetails")
    );
    assert!(
        found
            .explanation
            .starts_with("Your mailbox delivers meeting requests as links to Outlook on the web")
    );
    assert!(found.explanation.ends_with(
        "Set-CASMailbox -Identity alice@example.com -ImapUseProtocolDefaults $false -ImapForceICalForCalendarRetrievalOption $true"
    ));
    assert!(found.explain(true).contains("-PopForceICalForCalendarRetrievalOption $true"));
    let plain = b"From: bob@example.com\r\nSubject: Hi\r\n\r\nhttps://example.com/owa/\r\n";
    let display = crate::message::render(plain, crate::options::BodyFormat::Best);
    assert_eq!(owa_link(plain, &display, "alice@example.com"), None);
}

#[test]
fn save_as_ics_gives_the_part_with_crlf_lines_under_a_safe_name() {
    let part = crate::message::Calendar {
        method: Some("REQUEST".into()),
        name: None,
        text: WINDOWS_ZONE.replace("\r\n", "\n"),
    };
    let inv = parse(&part.text, None, &alice(chrono_tz::UTC)).unwrap();
    let (name, bytes) = ics_file(&part, Some(&inv));
    assert_eq!(name, "Stand-up.ics");
    assert_eq!(bytes, WINDOWS_ZONE.as_bytes());
    let named = crate::message::Calendar { name: Some("../../etc/passwd".into()), ..part };
    assert_eq!(ics_file(&named, None).0, "_.._etc_passwd.ics");
}

#[test]
fn a_meeting_request_from_tnef_reads_like_any_invitation() {
    use tidings_testkit::generate::{Format, format_message};
    let raw = format_message(Format::TnefMeeting, 1, "bruno@example.test");
    let display = crate::message::render(&raw, crate::options::BodyFormat::Best);
    let read = invitations(&display, &Viewer::new(chrono_tz::Europe::Lisbon, ["bruno@example.test"]));
    let inv = read.into_iter().next().unwrap().1.unwrap();
    assert_eq!(inv.method, Method::Request);
    assert_eq!(inv.summary.as_deref(), Some("Planning review"));
    // 10:00 UTC is 11:00 in Lisbon in October (summer time).
    assert_eq!(inv.start.as_deref(), Some("2024-10-01T11:00:00+01:00"));
    assert_eq!(inv.organizer.and_then(|o| o.address).as_deref(), Some("ana@example.test"));
}

/// Every cut and every flipped byte of a real invitation: read or refused, never a panic.
#[test]
fn damaged_invitations_never_panic() {
    let viewer = alice(chrono_tz::UTC);
    let me = Address::new(None, "alice@example.com");
    let bytes = WINDOWS_ZONE.as_bytes();
    let started = Instant::now();
    for i in (0..bytes.len()).step_by(7) {
        let cut = String::from_utf8_lossy(&bytes[..i]);
        let _ = parse(&cut, None, &viewer);
        let _ = reply_calendar(&cut, &me, Answer::Accept, None, None, Utc::now());
        let mut flipped = bytes.to_vec();
        flipped[i] ^= 0x5a;
        let flipped = String::from_utf8_lossy(&flipped);
        let _ = parse(&flipped, None, &viewer);
        let _ = reply_calendar(&flipped, &me, Answer::Decline, Some("x"), None, Utc::now());
    }
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
}

#[test]
fn an_occurrence_is_read_as_message_show_prints_it_or_in_the_events_zone() {
    // WINDOWS_ZONE starts at 09:00 in Berlin, every weekday: the Wednesday's occurrence as
    // New York sees it, as Berlin writes it, and without offset (the event's own time).
    let nine = NaiveDate::from_ymd_opt(2015, 6, 17).unwrap().and_hms_opt(9, 0, 0).unwrap();
    for given in ["2015-06-17T03:00:00-04:00", "2015-06-17T09:00:00+02:00", "2015-06-17T09:00"] {
        assert_eq!(occurrence(WINDOWS_ZONE, given).unwrap(), nine, "{given}");
    }
    assert_eq!(occurrence_key(WINDOWS_ZONE, nine).unwrap(), "20150617T070000Z");
    let e = occurrence(WINDOWS_ZONE, "next Wednesday").unwrap_err();
    assert!(e.message().starts_with("cannot read the occurrence"), "{}", e.message());
    let single = event("REQUEST", "DTSTART:20260107T100000Z\nORGANIZER:mailto:bob@example.com");
    let e = occurrence(&single, "2026-01-07T10:00:00Z").unwrap_err();
    assert!(e.message().contains("does not repeat"), "{}", e.message());
}
