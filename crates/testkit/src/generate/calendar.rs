//! Invitations as the common calendar programs send them, for the reader's corpus and the
//! end-to-end tests: Exchange/Outlook (a VTIMEZONE under its Windows zone name, the
//! X-MICROSOFT-CDO-* properties, text + HTML + `text/calendar` in base64), Google Calendar
//! (UTC times, `text/calendar` inline and again as an `invite.ics` attachment), Thunderbird
//! (an IANA VTIMEZONE with X-LIC-LOCATION, the calendar inline and as `invite.ics`), and an
//! Exchange meeting request that arrived as a link to Outlook on the web (ForceICal off).
//! The same arguments give the same bytes; line endings are CRLF.

use super::encode::base64_body;

/// Who sends which calendar program's invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarShape {
    Exchange,
    Google,
    Thunderbird,
    /// Exchange's meeting request without its calendar: a link to Outlook on the web.
    OutlookWebLink,
}

impl CalendarShape {
    pub const ALL: [CalendarShape; 4] = [
        CalendarShape::Exchange,
        CalendarShape::Google,
        CalendarShape::Thunderbird,
        CalendarShape::OutlookWebLink,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CalendarShape::Exchange => "exchange",
            CalendarShape::Google => "google",
            CalendarShape::Thunderbird => "thunderbird",
            CalendarShape::OutlookWebLink => "outlook-web-link",
        }
    }
}

/// The event every shape invites to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// `Name <address>` of the organizer, and of the one attendee invited.
    pub organizer: (String, String),
    pub attendee: (String, String),
    pub uid: String,
    pub sequence: u32,
    pub summary: String,
}

impl Invite {
    /// Bob invites `attendee` (a bare address) to "Quarterly planning".
    pub fn new(organizer: &str, attendee: &str) -> Invite {
        Invite {
            organizer: ("Bob Builder".to_string(), organizer.to_string()),
            attendee: ("Alice Example".to_string(), attendee.to_string()),
            uid: "testkit-invite-1@example.test".to_string(),
            sequence: 1,
            summary: "Quarterly planning".to_string(),
        }
    }
}

/// The calendar alone (`METHOD:REQUEST`) as `shape` writes it. The event: Monday 15 June
/// 2026, 09:00–10:00 in Berlin (07:00 UTC), every weekday until 22 July 2026 (Exchange and
/// Thunderbird; Google's is a single event).
pub fn invitation_ics(shape: CalendarShape, invite: &Invite) -> String {
    let Invite { organizer: (oname, oaddr), attendee: (aname, aaddr), uid, sequence, summary } = invite;
    let text = match shape {
        CalendarShape::Exchange | CalendarShape::OutlookWebLink => format!(
            "BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange Server 2010\nVERSION:2.0\n\
             BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\n\
             BEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n\
             RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n\
             BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n\
             RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n\
             BEGIN:VEVENT\nORGANIZER;CN={oname}:mailto:{oaddr}\n\
             ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN={aname}:mailto:{aaddr}\n\
             DESCRIPTION;LANGUAGE=en-US:Agenda: numbers\\, plans\\n\n\
             RRULE:FREQ=WEEKLY;UNTIL=20260722T070000Z;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;WKST=MO\n\
             UID:{uid}\nSUMMARY;LANGUAGE=en-US:{summary}\n\
             DTSTART;TZID=W. Europe Standard Time:20260615T090000\n\
             DTEND;TZID=W. Europe Standard Time:20260615T100000\n\
             CLASS:PUBLIC\nPRIORITY:5\nDTSTAMP:20260601T080000Z\nTRANSP:OPAQUE\nSTATUS:CONFIRMED\n\
             SEQUENCE:{sequence}\nLOCATION;LANGUAGE=en-US:Room 4.12\n\
             X-MICROSOFT-CDO-APPT-SEQUENCE:{sequence}\nX-MICROSOFT-CDO-OWNERAPPTID:2120570148\n\
             X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\nX-MICROSOFT-CDO-INTENDEDSTATUS:BUSY\n\
             X-MICROSOFT-CDO-ALLDAYEVENT:FALSE\nX-MICROSOFT-CDO-IMPORTANCE:1\n\
             X-MICROSOFT-CDO-INSTTYPE:1\nX-MICROSOFT-DONOTFORWARDMEETING:FALSE\n\
             X-MICROSOFT-DISALLOW-COUNTER:FALSE\n\
             BEGIN:VALARM\nDESCRIPTION:REMINDER\nTRIGGER;RELATED=START:-PT15M\nACTION:DISPLAY\nEND:VALARM\n\
             END:VEVENT\nEND:VCALENDAR\n"
        ),
        CalendarShape::Google => format!(
            "BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nVERSION:2.0\n\
             CALSCALE:GREGORIAN\nMETHOD:REQUEST\nBEGIN:VEVENT\n\
             DTSTART:20260615T070000Z\nDTEND:20260615T080000Z\nDTSTAMP:20260601T080000Z\n\
             ORGANIZER;CN={oaddr}:mailto:{oaddr}\nUID:{uid}\n\
             ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE\n \
             ;CN={oaddr};X-NUM-GUESTS=0:mailto:{oaddr}\n\
             ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=\n \
             TRUE;CN={aaddr};X-NUM-GUESTS=0:mailto:{aaddr}\n\
             X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij\n\
             CREATED:20260601T080000Z\n\
             DESCRIPTION:Join with Google Meet: https://meet.google.com/abc-defg-hij\\n\\nInvit\n \
             ation from Google Calendar\n\
             LAST-MODIFIED:20260601T080000Z\nLOCATION:Room 4.12\nSEQUENCE:{sequence}\nSTATUS:CONFIRMED\n\
             SUMMARY:{summary}\nTRANSP:OPAQUE\nEND:VEVENT\nEND:VCALENDAR\n"
        ),
        CalendarShape::Thunderbird => format!(
            "BEGIN:VCALENDAR\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\nVERSION:2.0\n\
             METHOD:REQUEST\nBEGIN:VTIMEZONE\nTZID:Europe/Berlin\nX-LIC-LOCATION:Europe/Berlin\n\
             BEGIN:DAYLIGHT\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST\nDTSTART:19700329T020000\n\
             RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\n\
             BEGIN:STANDARD\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET\nDTSTART:19701025T030000\n\
             RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\nEND:VTIMEZONE\n\
             BEGIN:VEVENT\nCREATED:20260601T080000Z\nLAST-MODIFIED:20260601T080000Z\nDTSTAMP:20260601T080000Z\n\
             UID:{uid}\nSUMMARY:{summary}\n\
             ORGANIZER;RSVP=TRUE;CN={oname};PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:{oaddr}\n\
             ATTENDEE;RSVP=TRUE;CN={aname};PARTSTAT=NEEDS-ACTION;CUTYPE=INDIVIDUAL;ROLE=REQ-\n \
             PARTICIPANT:mailto:{aaddr}\n\
             RRULE:FREQ=WEEKLY;UNTIL=20260722T070000Z;BYDAY=MO,TU,WE,TH,FR\n\
             DTSTART;TZID=Europe/Berlin:20260615T090000\nDTEND;TZID=Europe/Berlin:20260615T100000\n\
             LOCATION:Room 4.12\nSEQUENCE:{sequence}\nTRANSP:OPAQUE\nEND:VEVENT\nEND:VCALENDAR\n"
        ),
    };
    text.replace('\n', "\r\n")
}

/// The whole message: from the organizer to the attendee, as `shape` sends it.
pub fn invitation_message(shape: CalendarShape, invite: &Invite) -> Vec<u8> {
    let (oname, oaddr) = &invite.organizer;
    let (aname, aaddr) = &invite.attendee;
    let ics = invitation_ics(shape, invite);
    let summary = &invite.summary;
    let name = shape.name();
    let b = format!("=_testkit_calendar_{name}");
    let head = format!(
        "From: {oname} <{oaddr}>\r\nTo: {aname} <{aaddr}>\r\nSubject: {summary}\r\n\
         Date: Mon, 01 Jun 2026 10:00:00 +0200\r\nMessage-ID: <testkit.calendar.{name}@example.test>\r\n\
         MIME-Version: 1.0\r\n"
    );
    let text = format!("{oname} invites you to {summary}.\r\nMonday 15 June 2026, 09:00-10:00 (Berlin)\r\n");
    let body = match shape {
        CalendarShape::Exchange => format!(
            "Thread-Topic: {summary}\r\nThread-Index: AdlWnoLPF8c2ygdvQ4WUH7Lq0pS6Dg==\r\n\
             Content-Class: urn:content-classes:calendarmessage\r\n\
             X-MS-Has-Attach:\r\nX-MS-TNEF-Correlator:\r\n\
             Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n\
             --{b}\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\n{text}\
             --{b}\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n\r\n\
             <html><body><p>{oname} invites you to <b>{summary}</b>.</p></body></html>\r\n\
             --{b}\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REQUEST\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\
             --{b}--\r\n",
            base64_body(ics.as_bytes())
        ),
        CalendarShape::Google => {
            let alt = format!("{b}_alt");
            format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
                 --{b}\r\nContent-Type: multipart/alternative; boundary=\"{alt}\"\r\n\r\n\
                 --{alt}\r\nContent-Type: text/plain; charset=\"UTF-8\"; format=flowed; delsp=yes\r\n\r\n{text}\
                 --{alt}\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n\
                 <p>{summary}</p>\r\n\
                 --{alt}\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=REQUEST\r\n\
                 Content-Transfer-Encoding: 7bit\r\n\r\n{ics}\
                 --{alt}--\r\n\
                 --{b}\r\nContent-Type: application/ics; name=\"invite.ics\"\r\n\
                 Content-Disposition: attachment; filename=\"invite.ics\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\
                 --{b}--\r\n",
                base64_body(ics.as_bytes())
            )
        }
        CalendarShape::Thunderbird => format!(
            "User-Agent: Mozilla Thunderbird\r\n\
             Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
             --{b}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{text}\
             --{b}\r\nContent-Type: text/calendar; charset=UTF-8; method=REQUEST\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n{ics}\
             --{b}\r\nContent-Type: application/ics; name=\"invite.ics\"\r\n\
             Content-Disposition: attachment; filename=\"invite.ics\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\
             --{b}--\r\n",
            base64_body(ics.as_bytes())
        ),
        CalendarShape::OutlookWebLink => format!(
            "Thread-Topic: {summary}\r\nContent-Class: urn:content-classes:calendarmessage\r\n\
             Content-Type: text/plain; charset=\"us-ascii\"\r\n\r\n\
             When: Monday, 15 June 2026 09:00-10:00 (UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna.\r\n\
             Where: Room 4.12\r\n\r\n\
             *~*~*~*~*~*~*~*~*~*\r\n\r\n{text}\r\n\
             https://outlook.office365.com/owa/?ItemID=AAMkADk0ZjU2NzY1LWI4OTAtNGQ%3D&exvsurl=1&viewmodel=ICalendarItemDetails\r\n"
        ),
    };
    (head + &body).into_bytes()
}
