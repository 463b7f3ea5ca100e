//! Messages in the formats Exchange hands to POP3 and IMAP clients beside text and HTML
//! (MessagesRetrievalMimeFormat): enriched text, TNEF (winmail.dat), and calendar
//! invitations. Like `message`, each is the same bytes for the same arguments.

use super::encode::{base64_body, civil_from_days, rfc5322_date};
use super::unix_time;

/// One of the formats [`format_message`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// text/enriched alone (Exchange's format 3).
    Enriched,
    /// multipart/alternative: text/plain and text/enriched (format 4).
    EnrichedAlternative,
    /// multipart/mixed: text/plain and a real Outlook winmail.dat (format 6), the `one-file`
    /// sample of the reader's TNEF corpus (one attachment, "AUTHORS").
    Tnef,
    /// multipart/mixed: text/plain and a winmail.dat holding a meeting request
    /// ([`tnef_meeting_request`]).
    TnefMeeting,
    /// multipart/alternative: text/plain and `text/calendar; method=REQUEST`, as Exchange sends
    /// an invitation when iCal is on.
    Invitation,
    /// multipart/mixed: text/plain and the invitation as an `invite.ics` attachment.
    IcsAttachment,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Enriched,
        Format::EnrichedAlternative,
        Format::Tnef,
        Format::TnefMeeting,
        Format::Invitation,
        Format::IcsAttachment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Enriched => "enriched",
            Format::EnrichedAlternative => "enriched-alternative",
            Format::Tnef => "tnef",
            Format::TnefMeeting => "tnef-meeting",
            Format::Invitation => "invitation",
            Format::IcsAttachment => "ics-attachment",
        }
    }
}

/// A real Outlook TNEF stream (LGPL-3.0, from `tnefparse`; see the corpus's README).
const ONE_FILE_TNEF: &[u8] = include_bytes!("../../../mail/tests/corpus/tnef/one-file.tnef");

/// Message `i` in `format`, addressed to `to` (a bare address).
pub fn format_message(format: Format, i: usize, to: &str) -> Vec<u8> {
    let name = format.name();
    let date = rfc5322_date(unix_time(i), 60);
    let mut head = format!(
        "Date: {date}\r\nFrom: \"Ana Lima\" <ana@example.test>\r\nTo: <{to}>\r\n\
         Subject: Format {name} #{i}\r\nMessage-ID: <testkit.{name}.{i}@example.test>\r\nMIME-Version: 1.0\r\n"
    );
    let text = format!("Hello,\r\n\r\nthis is test message {i} in the {name} format.\r\n");
    let b = format!("=_testkit_{name}_{i}");
    let body = match format {
        Format::Enriched => format!("Content-Type: text/enriched; charset=us-ascii\r\n\r\n{}", enriched(i)),
        Format::EnrichedAlternative => format!(
            "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n\
             --{b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{text}\
             --{b}\r\nContent-Type: text/enriched; charset=us-ascii\r\n\r\n{}\
             --{b}--\r\n",
            enriched(i)
        ),
        Format::Tnef | Format::TnefMeeting => {
            let tnef = if format == Format::Tnef { ONE_FILE_TNEF.to_vec() } else { tnef_meeting_request() };
            format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
                 --{b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{text}\
                 --{b}\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\
                 Content-Disposition: attachment; filename=\"winmail.dat\"\r\n\r\n{}\
                 --{b}--\r\n",
                base64_body(&tnef)
            )
        }
        Format::Invitation => {
            head.push_str("Content-Class: urn:content-classes:calendarmessage\r\n");
            format!(
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n\
                 --{b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{text}\
                 --{b}\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n{}\
                 --{b}--\r\n",
                invitation(i, to)
            )
        }
        Format::IcsAttachment => format!(
            "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
             --{b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{text}\
             --{b}\r\nContent-Type: application/ics; name=\"invite.ics\"\r\n\
             Content-Disposition: attachment; filename=\"invite.ics\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\
             --{b}--\r\n",
            base64_body(invitation(i, to).as_bytes())
        ),
    };
    head.push_str(&body);
    head.into_bytes()
}

/// RFC 1896 markup: bold, italic, a quote, `<<` and the newline rule.
fn enriched(i: usize) -> String {
    format!(
        "<bold>Test message {i}</bold> in <italic>enriched</italic> text.\r\n\r\n\
         <excerpt>A quoted line, and a literal <<less-than.</excerpt>\r\n\r\n\
         <fixed>fixed width</fixed>\r\n"
    )
}

/// An iTIP REQUEST for one event.
fn invitation(i: usize, to: &str) -> String {
    let start = rfc5545_utc(unix_time(i));
    let end = rfc5545_utc(unix_time(i) + 3600);
    format!(
        "BEGIN:VCALENDAR\r\nPRODID:-//Tidings testkit//EN\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n\
         BEGIN:VEVENT\r\nUID:testkit-{i}@example.test\r\nSEQUENCE:0\r\nDTSTAMP:{start}\r\n\
         DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Planning #{i}\r\n\
         ORGANIZER;CN=\"Ana Lima\":mailto:ana@example.test\r\n\
         ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{to}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// `YYYYMMDDTHHMMSSZ` of Unix seconds.
fn rfc5545_utc(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// A TNEF stream holding a meeting request as Outlook writes one for Exchange: the legacy
/// attributes (class `IPM.Microsoft Schedule.MtgReq`, subject, attDateStart/End, attOwner,
/// attRequestRes), a MAPI property list with the PSETID_Appointment and PSETID_Meeting named
/// properties (start and end, location, sequence, global object id), the organizer, a plain
/// body, and a recipient table with two attendees. The meeting: "Planning review",
/// 2024-10-01 10:00–11:30 UTC in "Room 1, Lisbon", organized by ana@example.test.
pub fn tnef_meeting_request() -> Vec<u8> {
    const APPOINTMENT: [u8; 16] = [2, 0x20, 6, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46];
    const MEETING: [u8; 16] =
        [0x90, 0xDA, 0xD8, 0x6E, 0x0B, 0x45, 0x1B, 0x10, 0x98, 0xDA, 0, 0xAA, 0, 0x3F, 0x13, 0x05];
    const START: u64 = 1_727_776_800; // 2024-10-01T10:00:00Z
    let filetime = |unix: u64| ((unix + 11_644_473_600) * 10_000_000).to_le_bytes().to_vec();
    let dtr = |h: u16, m: u16| {
        [2024u16, 10, 1, h, m, 0, 2].iter().flat_map(|n| n.to_le_bytes()).collect::<Vec<u8>>()
    };
    let mut global_id =
        vec![0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00, 0x74, 0xC5, 0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08];
    global_id.extend_from_slice(&[0; 20]);
    global_id.extend_from_slice(&16u32.to_le_bytes());
    global_id.extend_from_slice(b"\x10\x32\x54\x76\x98\xBA\xDC\xFE\x01\x23\x45\x67\x89\xAB\xCD\xEF");

    let mut props = Props::default();
    props.unicode(0x001A, "IPM.Schedule.Meeting.Request");
    props.unicode(0x0037, "Planning review");
    props.unicode(0x1000, "Let us plan the review.\r\n");
    props.unicode(0x0042, "Ana Lima");
    props.unicode(0x0064, "SMTP");
    props.unicode(0x0065, "ana@example.test");
    props.fixed(0x0040, 0x0039, &filetime(START - 86_400));
    props.fixed(0x000B, 0x0063, &[1, 0, 0, 0]);
    props.named(0x0040, APPOINTMENT, 0x820D, &filetime(START));
    props.named(0x0040, APPOINTMENT, 0x820E, &filetime(START + 5400));
    props.named(0x001F, APPOINTMENT, 0x8208, &var(&utf16("Room 1, Lisbon")));
    props.named(0x0003, APPOINTMENT, 0x8201, &1u32.to_le_bytes());
    props.named(0x0102, MEETING, 0x0003, &var(&global_id));

    let mut table = 2u32.to_le_bytes().to_vec();
    for (name, address) in [("Bruno Costa", "bruno@example.test"), ("Carla Dias", "carla@example.test")] {
        let mut row = Props::default();
        row.unicode(0x3001, name);
        row.unicode(0x3002, "SMTP");
        row.unicode(0x3003, address);
        row.fixed(0x0003, 0x0C15, &1u32.to_le_bytes());
        table.extend_from_slice(&row.bytes());
    }

    let owner: Vec<u8> = [&b"Ana Lima\0"[..], b"SMTP:ana@example.test\0"]
        .iter()
        .flat_map(|f| [&(f.len() as u16).to_le_bytes()[..], f].concat())
        .collect();
    let mut tnef = 0x223E_9F78u32.to_le_bytes().to_vec();
    tnef.extend_from_slice(&[0x01, 0x00]);
    for (id, data) in [
        (0x0008_9006u32, 0x0001_0000u32.to_le_bytes().to_vec()),
        (0x0006_9007, [1252u32.to_le_bytes(), [0; 4]].concat()),
        (0x0007_8008, b"IPM.Microsoft Schedule.MtgReq\0".to_vec()),
        (0x0001_8004, b"Planning review\0".to_vec()),
        (0x0003_0006, dtr(10, 0)),
        (0x0003_0007, dtr(11, 30)),
        (0x0006_0000, owner),
        (0x0004_0009, vec![1, 0]),
        (0x0006_9003, props.bytes()),
        (0x0006_9004, table),
    ] {
        tnef.push(1);
        tnef.extend_from_slice(&id.to_le_bytes());
        tnef.extend_from_slice(&(data.len() as u32).to_le_bytes());
        let sum = data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
        tnef.extend_from_slice(&data);
        tnef.extend_from_slice(&sum.to_le_bytes());
    }
    tnef
}

/// A MAPI property list being written (MS-OXTNEF 2.1.3.4).
#[derive(Default)]
struct Props {
    count: u32,
    data: Vec<u8>,
}

impl Props {
    fn fixed(&mut self, kind: u16, id: u16, value: &[u8]) {
        self.count += 1;
        self.data.extend_from_slice(&kind.to_le_bytes());
        self.data.extend_from_slice(&id.to_le_bytes());
        self.data.extend_from_slice(value);
    }

    fn unicode(&mut self, id: u16, text: &str) {
        self.fixed(0x001F, id, &var(&utf16(text)));
    }

    /// A named property, by number; its id is the next from 0x8000.
    fn named(&mut self, kind: u16, set: [u8; 16], lid: u32, value: &[u8]) {
        let id = 0x8000 + self.count as u16;
        self.fixed(kind, id, &[&set[..], &0u32.to_le_bytes(), &lid.to_le_bytes(), value].concat());
    }

    fn bytes(&self) -> Vec<u8> {
        [&self.count.to_le_bytes()[..], &self.data].concat()
    }
}

/// A variable-size value: one value, its length, its bytes padded to 4.
fn var(bytes: &[u8]) -> Vec<u8> {
    let mut out = 1u32.to_le_bytes().to_vec();
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
    out.resize(out.len() + (4 - bytes.len() % 4) % 4, 0);
    out
}

/// UTF-16LE with its terminating NUL.
fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
}
