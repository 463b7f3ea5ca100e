//! Meeting messages built by hand (with the TNEF writer of `tnef::tests`), their iCalendar
//! checked field by field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::super::tests::{
    ATTACHMENT, CLASS, DATA, MSG_PROPS, REND_DATA, SUBJECT, Stream, int, props, string8, unicode, var,
};
use super::super::{Tnef, decode};
use super::*;
use crate::message::render;
use crate::options::BodyFormat;

const DATE_START: u32 = 0x0003_0006;
const DATE_END: u32 = 0x0003_0007;
const OWNER: u32 = 0x0006_0000;
const REQUEST_RES: u32 = 0x0004_0009;
const RECIP_TABLE: u32 = 0x0006_9004;

/// 2024-10-01T10:00:00Z.
const TEN: i64 = 1_727_776_800;

fn filetime_of(unix: i64) -> Vec<u8> {
    (((unix + FILETIME_EPOCH) * 10_000_000) as u64).to_le_bytes().to_vec()
}

/// A named property (by number) of a set.
fn named_prop(kind: u16, id: u16, set: [u8; 16], lid: u32, value: Vec<u8>) -> (u16, u16, Vec<u8>) {
    (kind, id, [&set[..], &0u32.to_le_bytes(), &lid.to_le_bytes(), &value].concat())
}

fn time_prop(id: u16, unix: i64) -> (u16, u16, Vec<u8>) {
    (mapi::PT_SYSTIME, id, filetime_of(unix))
}

fn named_time_prop(id: u16, lid: u32, unix: i64) -> (u16, u16, Vec<u8>) {
    named_prop(mapi::PT_SYSTIME, id, PSETID_APPOINTMENT, lid, filetime_of(unix))
}

/// A legacy date (DTR).
fn dtr_of(year: u16, month: u16, day: u16, hour: u16, minute: u16) -> Vec<u8> {
    [year, month, day, hour, minute, 0, 2].iter().flat_map(|n| n.to_le_bytes()).collect()
}

/// attOwner / attSentFor: name and `TYPE:address`, each with its length and NUL.
fn owner_of(name: &str, address: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for field in [name, address] {
        out.extend_from_slice(&(field.len() as u16 + 1).to_le_bytes());
        out.extend_from_slice(field.as_bytes());
        out.push(0);
    }
    out
}

/// A recipient table from rows of properties.
fn table(rows: &[Vec<(u16, u16, Vec<u8>)>]) -> Vec<u8> {
    let mut out = (rows.len() as u32).to_le_bytes().to_vec();
    for row in rows {
        out.extend_from_slice(&props(row));
    }
    out
}

fn recipient(name: &str, kind: i32, addrtype: &str, address: &str) -> Vec<(u16, u16, Vec<u8>)> {
    vec![
        unicode(PR_DISPLAY_NAME, name),
        unicode(PR_ADDRTYPE, addrtype),
        unicode(PR_EMAIL_ADDRESS, address),
        int(PR_RECIPIENT_TYPE, kind),
    ]
}

/// The content lines, unfolded, after checking that every line is at most 75 octets.
fn lines(meeting: &Meeting) -> Vec<String> {
    assert!(meeting.text.ends_with("\r\n"), "{:?}", meeting.text);
    for line in meeting.text.split("\r\n") {
        assert!(line.len() <= 75, "a line of {} octets: {line:?}", line.len());
    }
    meeting.text.replace("\r\n ", "").trim_end().split("\r\n").map(str::to_string).collect()
}

fn field<'l>(lines: &'l [String], name: &str) -> Vec<&'l str> {
    lines
        .iter()
        .filter(|l| l.split([':', ';']).next() == Some(name))
        .map(|l| l[name.len()..].trim_start_matches(':'))
        .collect()
}

/// A meeting request as Outlook 2016 writes it for Exchange: the MAPI properties, the named
/// ones included, and a recipient table.
fn outlook_request() -> Vec<u8> {
    let global_id: Vec<u8> = (0..56u8).collect();
    let list = props(&[
        unicode(mapi_class_id(), "IPM.Schedule.Meeting.Request"),
        unicode(PR_SUBJECT_ID, "Planning, budget; and \\ review — with a subject long enough to be folded"),
        named_time_prop(0x8001, LID_START_WHOLE, TEN),
        named_time_prop(0x8002, LID_END_WHOLE, TEN + 5400),
        named_prop(mapi::PT_UNICODE, 0x8003, PSETID_APPOINTMENT, LID_LOCATION, {
            let bytes: Vec<u8> =
                "Room 1, \"Lisbon\"; floor 2".encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
            var(&bytes)
        }),
        named_prop(mapi::PT_I32, 0x8004, PSETID_APPOINTMENT, LID_SEQUENCE, 3i32.to_le_bytes().to_vec()),
        named_prop(mapi::PT_BINARY, 0x8005, PSETID_MEETING, LID_GLOBAL_OBJECT_ID, var(&global_id)),
        time_prop(PR_CLIENT_SUBMIT_TIME, TEN - 86_400),
        unicode(PR_SENT_REPRESENTING_NAME, "Ana Lima"),
        unicode(PR_SENT_REPRESENTING_ADDRTYPE, "EX"),
        unicode(PR_SENT_REPRESENTING_EMAIL, "/O=EXAMPLE/OU=EXCHANGE/CN=RECIPIENTS/CN=ANA"),
        unicode(PR_SENT_REPRESENTING_SMTP_ADDRESS, "ana@example.test"),
        (mapi::PT_BOOL, PR_RESPONSE_REQUESTED, vec![1, 0, 0, 0]),
    ]);
    let recipients = table(&[
        recipient("Bruno Costa", 1, "SMTP", "bruno@example.test"),
        recipient("Carla \"CJ\" Dias", 2, "SMTP", "carla@example.test"),
        recipient("Room 1", 3, "SMTP", "room1@example.test"),
        // An Exchange address without an SMTP one: not an attendee iCalendar can name.
        recipient("Dora", 1, "EX", "/O=EXAMPLE/CN=DORA"),
    ]);
    Stream::new().message(MSG_PROPS, &list).message(RECIP_TABLE, &recipients).0
}

fn mapi_class_id() -> u16 {
    super::super::PR_MESSAGE_CLASS
}

const PR_SUBJECT_ID: u16 = super::super::PR_SUBJECT;

#[test]
fn a_request_with_named_properties_becomes_a_whole_vevent() {
    let t = decode(&outlook_request());
    assert_eq!(t.notes, Vec::<String>::new());
    let meeting = t.meeting.expect("a calendar");
    assert_eq!(meeting.method, "REQUEST");
    let l = lines(&meeting);
    assert_eq!(l[..4], ["BEGIN:VCALENDAR", &format!("PRODID:{PRODID}"), "VERSION:2.0", "METHOD:REQUEST"]);
    assert_eq!(l[4], "BEGIN:VEVENT");
    assert_eq!(l[l.len() - 2..], ["END:VEVENT", "END:VCALENDAR"]);
    // The id without its instance date (bytes 16 to 19), in upper-case hex.
    let mut id: Vec<u8> = (0..56u8).collect();
    id[16..20].fill(0);
    assert_eq!(field(&l, "UID"), [hex(&id)]);
    assert!(field(&l, "UID")[0].starts_with("000102030405060708090A0B0C0D0E0F00000000141516"));
    assert_eq!(field(&l, "SEQUENCE"), ["3"]);
    assert_eq!(field(&l, "DTSTAMP"), ["20240930T100000Z"]);
    assert_eq!(field(&l, "DTSTART"), ["20241001T100000Z"]);
    assert_eq!(field(&l, "DTEND"), ["20241001T113000Z"]);
    assert_eq!(
        field(&l, "SUMMARY"),
        ["Planning\\, budget\\; and \\\\ review — with a subject long enough to be folded"]
    );
    assert_eq!(field(&l, "LOCATION"), ["Room 1\\, \"Lisbon\"\\; floor 2"]);
    assert_eq!(field(&l, "ORGANIZER"), [";CN=\"Ana Lima\":mailto:ana@example.test"]);
    assert_eq!(
        field(&l, "ATTENDEE"),
        [
            ";CN=\"Bruno Costa\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bruno@example.test",
            ";CN=\"Carla CJ Dias\";ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carla@example.test",
            ";CN=\"Room 1\";CUTYPE=RESOURCE;ROLE=NON-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:room1@example.test",
        ]
    );
    assert!(field(&l, "STATUS").is_empty());
    // The long subject was folded, on a character boundary.
    assert!(meeting.text.contains("\r\n "), "{}", meeting.text);
}

#[test]
fn legacy_attributes_alone_make_a_request() {
    let t = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0")
            .message(SUBJECT, b"Caf\xe9 at noon\0")
            .message(DATE_START, &dtr_of(2024, 10, 1, 12, 0))
            .message(DATE_END, &dtr_of(2024, 10, 1, 13, 15))
            .message(OWNER, &owner_of("Ana Lima", "SMTP:ana@example.test"))
            .message(REQUEST_RES, &[1, 0])
            .0,
    );
    assert_eq!(t.notes, Vec::<String>::new());
    let meeting = t.meeting.expect("a calendar");
    assert_eq!(meeting.method, "REQUEST");
    let l = lines(&meeting);
    assert_eq!(field(&l, "METHOD"), ["REQUEST"]);
    assert_eq!(field(&l, "SUMMARY"), ["Café at noon"]);
    assert_eq!(field(&l, "DTSTART"), ["20241001T120000Z"]);
    assert_eq!(field(&l, "DTEND"), ["20241001T131500Z"]);
    // No submit time: the start stands in for DTSTAMP, which iTIP requires.
    assert_eq!(field(&l, "DTSTAMP"), ["20241001T120000Z"]);
    assert_eq!(field(&l, "ORGANIZER"), [";CN=\"Ana Lima\":mailto:ana@example.test"]);
    assert!(field(&l, "ATTENDEE").is_empty());
    // No global object id: a UID made from what is there, the same every time.
    let uid = field(&l, "UID")[0].to_string();
    assert!(uid.ends_with("@tnef.invalid") && uid.len() == 32 + 13, "{uid}");
    let again = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0")
            .message(SUBJECT, b"Caf\xe9 at noon\0")
            .message(DATE_START, &dtr_of(2024, 10, 1, 12, 0))
            .message(OWNER, &owner_of("Ana Lima", "SMTP:ana@example.test"))
            .0,
    );
    assert_eq!(field(&lines(&again.meeting.unwrap()), "UID"), [uid.as_str()]);

    // An Exchange-only owner is not an organizer iCalendar can name.
    let ex = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0")
            .message(DATE_START, &dtr_of(2024, 10, 1, 12, 0))
            .message(OWNER, &owner_of("Ana", "EX:/O=EXAMPLE/CN=ANA"))
            .0,
    );
    assert!(field(&lines(&ex.meeting.unwrap()), "ORGANIZER").is_empty());
}

#[test]
fn a_cancellation_says_cancel_and_cancelled() {
    let t = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Schedule.MtgCncl\0")
            .message(
                MSG_PROPS,
                &props(&[
                    unicode(PR_SUBJECT_ID, "Canceled: Planning"),
                    time_prop(PR_START_DATE, TEN),
                    time_prop(PR_END_DATE, TEN + 3600),
                    unicode(PR_SENDER_NAME, "Ana Lima"),
                    unicode(PR_SENDER_ADDRTYPE, "SMTP"),
                    unicode(PR_SENDER_EMAIL, "ana@example.test"),
                ]),
            )
            .message(RECIP_TABLE, &table(&[recipient("Bruno", 1, "SMTP", "bruno@example.test")]))
            .0,
    );
    assert_eq!(t.message_class.as_deref(), Some("IPM.Schedule.Meeting.Canceled"));
    let meeting = t.meeting.expect("a calendar");
    assert_eq!(meeting.method, "CANCEL");
    let l = lines(&meeting);
    assert_eq!(field(&l, "METHOD"), ["CANCEL"]);
    assert_eq!(field(&l, "STATUS"), ["CANCELLED"]);
    assert_eq!(field(&l, "DTSTART"), ["20241001T100000Z"]);
    assert_eq!(field(&l, "DTEND"), ["20241001T110000Z"]);
    assert_eq!(field(&l, "ORGANIZER"), [";CN=\"Ana Lima\":mailto:ana@example.test"]);
    assert_eq!(field(&l, "ATTENDEE"), [";CN=\"Bruno\";ROLE=REQ-PARTICIPANT:mailto:bruno@example.test"]);
    assert_eq!(
        meeting.note(),
        "This meeting cancellation came from Outlook (TNEF); it is shown as a calendar item."
    );
}

#[test]
fn a_response_is_a_reply_from_its_sender_with_the_answer() {
    for (class, partstat) in [
        (&b"IPM.Microsoft Schedule.MtgRespA\0"[..], "TENTATIVE"),
        (b"IPM.Microsoft Schedule.MtgRespP\0", "ACCEPTED"),
        (b"IPM.Microsoft Schedule.MtgRespN\0", "DECLINED"),
    ] {
        let t = decode(
            &Stream::new()
                .message(CLASS, class)
                .message(DATE_START, &dtr_of(2024, 10, 1, 10, 0))
                .message(OWNER, &owner_of("Ana Lima", "SMTP:ana@example.test"))
                .message(
                    MSG_PROPS,
                    &props(&[
                        unicode(PR_SUBJECT_ID, "Tentative: Planning"),
                        unicode(PR_SENT_REPRESENTING_NAME, "Bruno Costa"),
                        string8(PR_SENT_REPRESENTING_ADDRTYPE, b"SMTP"),
                        string8(PR_SENT_REPRESENTING_EMAIL, b"bruno@example.test"),
                        named_prop(
                            mapi::PT_I32,
                            0x8001,
                            PSETID_APPOINTMENT,
                            LID_SEQUENCE,
                            2i32.to_le_bytes().to_vec(),
                        ),
                        named_prop(
                            mapi::PT_BINARY,
                            0x8002,
                            PSETID_MEETING,
                            LID_CLEAN_GLOBAL_OBJECT_ID,
                            var(&[0xAB; 20]),
                        ),
                    ]),
                )
                .0,
        );
        let meeting = t.meeting.expect("a calendar");
        assert_eq!(meeting.method, "REPLY");
        let l = lines(&meeting);
        assert_eq!(field(&l, "METHOD"), ["REPLY"]);
        assert_eq!(field(&l, "UID"), ["AB".repeat(20)]);
        assert_eq!(field(&l, "SEQUENCE"), ["2"]);
        assert_eq!(field(&l, "ORGANIZER"), [";CN=\"Ana Lima\":mailto:ana@example.test"]);
        assert_eq!(
            field(&l, "ATTENDEE"),
            [format!(";CN=\"Bruno Costa\";PARTSTAT={partstat}:mailto:bruno@example.test")]
        );
        assert_eq!(
            meeting.note(),
            "This reply to a meeting request came from Outlook (TNEF); it is shown as a calendar item."
        );
    }
}

#[test]
fn an_all_day_meeting_is_dated_by_its_local_day() {
    // Midnight in Lisbon summer time (UTC+1) is 23:00 the day before in UTC.
    let start = TEN - 11 * 3600;
    let t = decode(
        &Stream::new()
            .message(
                MSG_PROPS,
                &props(&[
                    unicode(mapi_class_id(), "IPM.Schedule.Meeting.Request"),
                    named_time_prop(0x8001, LID_START_WHOLE, start),
                    named_time_prop(0x8002, LID_END_WHOLE, start + 2 * 86_400),
                    named_prop(mapi::PT_BOOL, 0x8003, PSETID_APPOINTMENT, LID_SUB_TYPE, vec![1, 0, 0, 0]),
                ]),
            )
            .0,
    );
    let l = lines(&t.meeting.unwrap());
    assert_eq!(field(&l, "DTSTART"), [";VALUE=DATE:20241001"]);
    assert_eq!(field(&l, "DTEND"), [";VALUE=DATE:20241003"]);
}

#[test]
fn an_icalendar_carried_whole_is_preferred() {
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n\
               METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:outlook-uid\r\nDTSTART:20241001T100000Z\r\nEND:VEVENT\r\n\
               END:VCALENDAR";
    let t = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0")
            .message(DATE_START, &dtr_of(2030, 1, 1, 0, 0))
            .attachment(REND_DATA, &[0; 14])
            .attachment(DATA, format!("\u{FEFF}{ics}\r\n").as_bytes())
            .attachment(ATTACHMENT, &props(&[unicode(0x3707, "meeting.ics")]))
            .0,
    );
    assert_eq!(t.meeting, Some(Meeting { method: "REQUEST".into(), text: ics.into() }));
}

#[test]
fn a_request_without_a_start_has_no_calendar_and_a_note() {
    let t = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0")
            .message(SUBJECT, b"When?\0")
            .message(OWNER, &owner_of("Ana Lima", "SMTP:ana@example.test"))
            .message(DATE_START, b"garbage")
            .0,
    );
    assert_eq!(t.meeting, None);
    assert_eq!(
        t.notes,
        ["This meeting request could not be shown as a calendar item: it gives no start time."]
    );

    // An ordinary message with a start date is no meeting, and says nothing about one.
    let note = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Mail.Note\0")
            .message(DATE_START, &dtr_of(2024, 1, 1, 0, 0))
            .0,
    );
    assert_eq!((note.meeting, note.notes), (None, Vec::new()));
}

#[test]
fn a_broken_recipient_table_keeps_the_rows_before_the_break() {
    let mut rows = table(&[
        recipient("Bruno", 1, "SMTP", "bruno@example.test"),
        recipient("Carla", 1, "SMTP", "carla@example.test"),
    ]);
    rows.truncate(rows.len() - 8);
    let t = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0")
            .message(DATE_START, &dtr_of(2024, 10, 1, 10, 0))
            .message(RECIP_TABLE, &rows)
            .0,
    );
    let l = lines(t.meeting.as_ref().unwrap());
    assert_eq!(field(&l, "ATTENDEE").len(), 1);
    assert!(t.notes[0].starts_with("The meeting's recipient table: row 2 of 2: property"), "{:?}", t.notes);
}

#[test]
fn text_values_are_escaped_and_lines_folded_at_75_octets() {
    assert_eq!(escape("a,b;c\\d\r\ne\nf\u{7}\tg"), "a\\,b\\;c\\\\d\\ne\\nf\tg");
    let mut ics = Ics::default();
    let long = format!("SUMMARY:{}", "日本語".repeat(20));
    ics.line(&long);
    for line in ics.0.trim_end().split("\r\n") {
        assert!(line.len() <= 75, "{line}");
    }
    assert_eq!(ics.0.replace("\r\n ", "").trim_end(), long);
}

fn message_with(tnef: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(tnef);
    format!(
        "From: Ana Lima <ana@example.test>\r\nTo: bruno@example.test\r\nSubject: Planning\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\n\r\nSee the meeting.\r\n--b\r\n\
         Content-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {b64}\r\n--b--\r\n"
    )
    .into_bytes()
}

#[test]
fn a_message_wrapping_a_request_renders_with_its_calendar() {
    let display = render(&message_with(&outlook_request()), BodyFormat::Best);
    assert!(display.tnef);
    assert_eq!(display.calendar.len(), 1, "{display:?}");
    let calendar = &display.calendar[0];
    assert_eq!(calendar.method.as_deref(), Some("REQUEST"));
    assert!(calendar.text.starts_with("BEGIN:VCALENDAR\nPRODID:"), "{}", calendar.text);
    assert!(calendar.text.contains("\nDTSTART:20241001T100000Z\n"), "{}", calendar.text);
    assert!(
        display
            .notes
            .iter()
            .any(|n| n == "This meeting request came from Outlook (TNEF); it is shown as a calendar item."),
        "{:?}",
        display.notes
    );

    let t: Tnef = decode(&Stream::new().message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0").0);
    let display = render(
        &message_with(&Stream::new().message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0").0),
        BodyFormat::Best,
    );
    assert!(display.calendar.is_empty());
    assert!(display.notes.contains(&t.notes[0]), "{:?}", display.notes);
}
