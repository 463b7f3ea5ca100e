//! The demo's mail: what alice and bob find when `tidings demo` starts. Written here and dated
//! relative to the start, so the list reads like this week's mail; the winmail.dat is the
//! testkit's Outlook sample.
//!
//! alice's Inbox holds one message of each kind the reader handles — plain text in UTF-8,
//! HTML, attachments (a spreadsheet, a photo), a conversation whose middle message is her
//! reply in Sent, text/enriched, TNEF and an invitation — and a welcome that says what to try.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tidings_testkit::generate::{Format, format_message};

const ALICE: &str = "Alice Example <alice@example.test>";
const BOB: &str = "Bob Builder <bob@example.test>";

/// The welcome's Message-ID: the window opens with it selected.
pub const WELCOME_ID: &str = "welcome.demo@example.test";

/// One message for one mailbox.
#[derive(Debug, Clone)]
pub struct Letter {
    /// The mailbox it goes to ("INBOX", "Sent").
    pub mailbox: &'static str,
    /// Already read.
    pub seen: bool,
    pub flagged: bool,
    /// RFC 5322 bytes, CRLF line endings.
    pub raw: Vec<u8>,
    /// How long before the start it was sent, in minutes (the order they are saved in).
    pub minutes_ago: i64,
}

/// alice's mail, oldest first (as it is saved: UIDs follow the dates).
pub fn alice(now: i64) -> Vec<Letter> {
    let mut letters = vec![
        inbox(true, false, 4 * 1440 + 95, berlin(now - (4 * 1440 + 95) * 60)),
        inbox(true, false, 3 * 1440 + 200, outlook(now - (3 * 1440 + 200) * 60)),
        inbox(true, false, 2 * 1440 + 30, minutes(now - (2 * 1440 + 30) * 60)),
        inbox(true, true, 1440 + 310, budget(now - (1440 + 310) * 60)),
        inbox(true, false, 20 * 60, photos(now - 20 * 60 * 60)),
        inbox(true, false, 6 * 60, lisbon_1(now - 6 * 60 * 60)),
        Letter { mailbox: "Sent", ..inbox(true, false, 5 * 60, lisbon_2(now - 5 * 60 * 60)) },
        inbox(false, false, 4 * 60, newsletter(now - 4 * 60 * 60)),
        inbox(false, false, 3 * 60, lisbon_3(now - 3 * 60 * 60)),
        inbox(false, true, 2 * 60, invitation(now - 2 * 60 * 60, now)),
        inbox(false, false, 40, build(now - 40 * 60)),
        // Read already: the window opens on it, and opening an unread message would be a
        // change to record while the first check of mail writes to the store.
        inbox(true, false, 1, welcome_alice(now - 60)),
    ];
    letters.sort_by_key(|l| std::cmp::Reverse(l.minutes_ago));
    letters
}

/// bob's mail (read over POP3), oldest first: alice's reply reached him too.
pub fn bob(now: i64) -> Vec<Letter> {
    vec![
        inbox(false, false, 1440 + 90, lunch(now - (1440 + 90) * 60)),
        inbox(false, false, 5 * 60, lisbon_2(now - 5 * 60 * 60)),
        inbox(false, false, 2, welcome_bob(now - 120)),
    ]
}

fn inbox(seen: bool, flagged: bool, minutes_ago: i64, text: String) -> Letter {
    Letter { mailbox: "INBOX", seen, flagged, raw: crlf(&text), minutes_ago }
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

/// The header every message starts with (From, To, Subject, Date, Message-ID, MIME-Version).
fn head(from: &str, to: &str, subject: &str, at: i64, id: &str) -> String {
    format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {}\nMessage-ID: <{id}>\nMIME-Version: 1.0\n",
        rfc5322(at)
    )
}

/// An RFC 5322 date in UTC: `Sun, 06 Dec 2026 15:23:00 +0000`.
pub fn rfc5322(unix: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = tidings_mail::civil::civil_from_days(days);
    let weekday = WEEKDAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    format!(
        "{weekday}, {day:02} {month} {year} {:02}:{:02}:{:02} +0000",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// An RFC 2047 encoded word, for header text beyond ASCII.
fn encoded(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", STANDARD.encode(text))
}

/// Base64 in lines of 76.
fn base64_lines(bytes: &[u8]) -> String {
    let text = STANDARD.encode(bytes);
    let lines: Vec<&str> = text.as_bytes().chunks(76).filter_map(|c| std::str::from_utf8(c).ok()).collect();
    lines.join("\n") + "\n"
}

fn welcome_alice(at: i64) -> String {
    head("Tidings demo <demo@example.test>", ALICE, "Welcome to the Tidings demo", at, WELCOME_ID)
        + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\
Hello Alice,

this mailbox lives on a real Dovecot server that `tidings demo` started on
127.0.0.1 a moment ago, with Postfix beside it for sending. Nothing here leaves
this machine.

Things to try:

- Write to bob@example.test. Bob is the second account of this profile; he
  reads over POP3 and leaves a copy on the server.
- Write to yourself (alice@example.test): IMAP IDLE shows the message arriving
  without a click.
- Open the inspector to see each server's conversation, its certificate and
  what it offers.
- Look through this Inbox: HTML, attachments, a conversation with your reply in
  Sent, enriched text, an Outlook winmail.dat and a meeting invitation.

Closing the window stops the servers and deletes everything they held, this
profile with it.

-- 
Tidings
"
}

fn welcome_bob(at: i64) -> String {
    head("Tidings demo <demo@example.test>", BOB, "Welcome, Bob", at, "welcome-bob.demo@example.test")
        + "Content-Type: text/plain; charset=utf-8\n\n\
Hello Bob,

your account reads its mail over POP3 and leaves a copy of each message on the
server, so alice and you can both try things without losing anything.
Messages alice sends you arrive here at the next check (Get Mail).

-- 
Tidings
"
}

fn berlin(at: i64) -> String {
    head(
        &format!("{} <juergen@example.de>", encoded("Jürgen Müller")),
        ALICE,
        &encoded("Grüße aus Berlin"),
        at,
        "berlin.demo@example.de",
    ) + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\
Hallo Alice,

thank you again for the talk on IMAP IDLE — the room was full until the end.
Next time you are in Berlin the Currywurst is on me (and the Späti round after).

Viele Grüße aus Kreuzberg,
Jürgen
"
}

/// The testkit's Outlook sample (one attachment, "AUTHORS") with a letter of our own around it.
fn outlook(at: i64) -> String {
    let sample = String::from_utf8_lossy(&format_message(Format::Tnef, 0, "alice@example.test")).into_owned();
    let winmail = sample
        .split_once("filename=\"winmail.dat\"\r\n\r\n")
        .and_then(|(_, rest)| rest.split_once("--=_testkit"))
        .map(|(data, _)| data.trim_end().to_string())
        .unwrap_or_default();
    head(
        "Dave Null <dave@example.com>",
        ALICE,
        "The AUTHORS file, from Outlook",
        at,
        "authors.demo@example.com",
    ) + "Content-Type: multipart/mixed; boundary=\"=_outlook\"\n\n\
--=_outlook
Content-Type: text/plain; charset=us-ascii

Hi Alice,

here is the AUTHORS file you asked for. Outlook packs attachments into
winmail.dat; your mail program should show what is inside.

Dave
--=_outlook
Content-Type: application/ms-tnef; name=\"winmail.dat\"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=\"winmail.dat\"

" + &winmail
        + "\n--=_outlook--\n"
}

fn minutes(at: i64) -> String {
    head(
        "Ana Lima <ana@example.test>",
        ALICE,
        "Minutes of Tuesday's meeting",
        at,
        "minutes.demo@example.test",
    ) + "Content-Type: text/enriched; charset=us-ascii\n\n\
<bold>Minutes</bold> of Tuesday's meeting

<italic>Present:</italic> Ana, Alice, Bob


<underline>Decisions</underline>


<excerpt>The release moves to the second week of January, after the
holidays.</excerpt>


Bob writes the release notes; Alice checks them against
<fixed>CHANGELOG.md</fixed>.


<bold>Next meeting:</bold> Tuesday at 10:00, same room. Bring <<cake>.


Ana
"
}

fn budget(at: i64) -> String {
    let csv = "quarter,team,item,amount_eur\nQ1,mail,servers,1200\nQ1,mail,certificates,80\n\
               Q1,design,fonts,150\nQ1,all,travel to FOSDEM,2400\n";
    head(
        "Carol Danvers <carol@example.org>",
        ALICE,
        "Budget for the first quarter",
        at,
        "budget.demo@example.org",
    ) + "Content-Type: multipart/mixed; boundary=\"=_budget\"\n\n\
--=_budget
Content-Type: text/plain; charset=us-ascii

Alice,

the budget for the first quarter is attached. The travel line is the only
big one; tell me by Friday if anything is missing.

Carol
--=_budget
Content-Type: text/csv; name=\"budget-q1.csv\"
Content-Disposition: attachment; filename=\"budget-q1.csv\"
Content-Transfer-Encoding: base64

" + &base64_lines(csv.as_bytes())
        + "--=_budget--\n"
}

fn photos(at: i64) -> String {
    head("Erin Example <erin@example.test>", ALICE, "Photos from the trip", at, "photos.demo@example.test")
        + "Content-Type: multipart/mixed; boundary=\"=_photos\"\n\n\
--=_photos
Content-Type: text/plain; charset=us-ascii

Hi Alice,

the sunset from the last evening, as promised. The others follow once I have
sorted them.

Erin
--=_photos
Content-Type: image/png; name=\"sunset.png\"
Content-Disposition: attachment; filename=\"sunset.png\"
Content-Transfer-Encoding: base64

" + &base64_lines(&sunset())
        + "--=_photos--\n"
}

/// A small picture of a sunset over the sea (PNG), drawn here.
fn sunset() -> Vec<u8> {
    let (width, height) = (320u32, 200u32);
    let horizon = height * 3 / 5;
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (f64::from(x) - 160.0, f64::from(y) - f64::from(horizon));
        let t = f64::from(y) / f64::from(horizon);
        if y < horizon && dx.hypot(dy) < 34.0 {
            image::Rgb([255, 214, 120])
        } else if y < horizon {
            // Sky: deep blue above, orange at the horizon.
            image::Rgb([channel(40.0 + 215.0 * t), channel(50.0 + 110.0 * t), channel(120.0 - 40.0 * t)])
        } else {
            // Sea: the sky's colours, darker, with a streak of the sun on it.
            let glow = if dx.abs() < 30.0 - dy / 4.0 && (y / 3) % 2 == 0 { 90.0 } else { 0.0 };
            let depth = dy / f64::from(height - horizon);
            image::Rgb([
                channel(150.0 - 110.0 * depth + glow),
                channel(90.0 - 50.0 * depth + glow * 0.7),
                channel(90.0 + 10.0 * depth),
            ])
        }
    });
    let mut png = std::io::Cursor::new(Vec::new());
    match picture.write_to(&mut png, image::ImageFormat::Png) {
        Ok(()) => png.into_inner(),
        Err(_) => Vec::new(),
    }
}

fn channel(value: f64) -> u8 {
    value.clamp(0.0, 255.0) as u8
}

const LISBON: &str = "Weekend in Lisbon?";

fn lisbon_1(at: i64) -> String {
    head(BOB, ALICE, LISBON, at, "lisbon-1.demo@example.test")
        + "Content-Type: text/plain; charset=utf-8\n\n\
Hi Alice,

flights to Lisbon are cheap in January. Shall we go for a long weekend? I would
like to ride tram 28 and eat far too many pastéis de nata.

Bob
"
}

fn lisbon_2(at: i64) -> String {
    head(ALICE, BOB, &format!("Re: {LISBON}"), at, "lisbon-2.demo@example.test")
        + "In-Reply-To: <lisbon-1.demo@example.test>\nReferences: <lisbon-1.demo@example.test>\n\
Content-Type: text/plain; charset=utf-8\n\n\
Yes! The weekend of the 16th works for me. I'll look for a flat in Alfama.

Alice

Bob wrote:
> flights to Lisbon are cheap in January. Shall we go for a long weekend? I would
> like to ride tram 28 and eat far too many pastéis de nata.
"
}

fn lisbon_3(at: i64) -> String {
    head(BOB, ALICE, &format!("Re: {LISBON}"), at, "lisbon-3.demo@example.test")
        + "In-Reply-To: <lisbon-2.demo@example.test>\n\
References: <lisbon-1.demo@example.test> <lisbon-2.demo@example.test>\n\
Content-Type: text/plain; charset=utf-8\n\n\
The 16th it is. I booked the flights; the flat is yours to choose.

Bob

Alice wrote:
> Yes! The weekend of the 16th works for me. I'll look for a flat in Alfama.
"
}

fn newsletter(at: i64) -> String {
    head(
        "The Tram Museum <news@tram-museum.example.org>",
        ALICE,
        "December at the Tram Museum",
        at,
        "december.demo@tram-museum.example.org",
    ) + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\
<!DOCTYPE html>
<html><head><style>h1 {color: #7a2e0e} td {padding: 4px 12px}</style></head>
<body>
<h1>December at the Tram Museum</h1>
<p>Dear friends of the museum,</p>
<p>this month the <b>1901 open car</b> is back from its restoration, and on
Sundays it runs along the river once an hour.</p>
<table>
<tr><th>When</th><th>What</th></tr>
<tr><td>Saturdays, 11:00</td><td>Guided tour of the depot</td></tr>
<tr><td>Sundays, 10:00&ndash;16:00</td><td>Rides in the open car</td></tr>
<tr><td>24 December</td><td>Closed</td></tr>
</table>
<p>Tickets and the full programme are <a href=\"https://tram-museum.example.org/december\">on our
site</a>.</p>
<p><img src=\"https://tram-museum.example.org/pixel.gif\" width=\"1\" height=\"1\" alt=\"\"></p>
<p><i>You receive this letter because you are a friend of the museum.</i></p>
</body></html>
"
}

/// An invitation for three days after the start, 14:00–15:00 UTC, as a calendar program
/// sends it (text, and `text/calendar; method=REQUEST`).
fn invitation(at: i64, now: i64) -> String {
    let start = (now.div_euclid(86_400) + 3) * 86_400 + 14 * 3600;
    let stamp = |unix: i64| {
        let (y, m, d) = tidings_mail::civil::civil_from_days(unix.div_euclid(86_400));
        let s = unix.rem_euclid(86_400);
        format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", s / 3600, s / 60 % 60, s % 60)
    };
    let ics = format!(
        "BEGIN:VCALENDAR\nPRODID:-//Tidings demo//EN\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\n\
         UID:demo-review@example.test\nSEQUENCE:0\nDTSTAMP:{}\nDTSTART:{}\nDTEND:{}\n\
         SUMMARY:Demo review\nLOCATION:Room 4.12\n\
         DESCRIPTION:Let's go through the demo together.\n\
         ORGANIZER;CN=Bob Builder:mailto:bob@example.test\n\
         ATTENDEE;CN=Alice Example;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alice@example.test\n\
         END:VEVENT\nEND:VCALENDAR\n",
        stamp(at),
        stamp(start),
        stamp(start + 3600)
    );
    head(BOB, ALICE, "Invitation: Demo review", at, "demo-review.demo@example.test")
        + "Content-Class: urn:content-classes:calendarmessage\n\
Content-Type: multipart/alternative; boundary=\"=_invite\"\n\n\
--=_invite
Content-Type: text/plain; charset=utf-8

Bob Builder invites you to \"Demo review\", in three days at 14:00 UTC, Room 4.12.
--=_invite
Content-Type: text/calendar; charset=utf-8; method=REQUEST

" + &ics + "--=_invite--\n"
}

fn build(at: i64) -> String {
    head(
        "Build Bot <ci@builds.example.net>",
        ALICE,
        "Build #1432 passed on main",
        at,
        "build-1432.demo@builds.example.net",
    ) + "Content-Type: text/plain; charset=us-ascii\n\n\
Build #1432 of main passed.

  commit   4f2c9e1  Reader: show the calendar's time in the reader's zone
  tests    2,318 passed, 0 failed
  took     6 min 41 s

https://builds.example.net/main/1432
"
}

fn lunch(at: i64) -> String {
    head("Carol Danvers <carol@example.org>", BOB, "Lunch on Friday?", at, "lunch.demo@example.org")
        + "Content-Type: text/plain; charset=us-ascii\n\n\
Bob,

lunch on Friday at the usual place? Alice said she might join.

Carol
"
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings_mail::message::{BodyKind, render};
    use tidings_mail::options::BodyFormat;

    const NOW: i64 = 1_796_570_580; // 2026-12-06 15:23:00 UTC

    fn subjects(letters: &[Letter]) -> Vec<String> {
        letters.iter().map(|l| render(&l.raw, BodyFormat::Best).subject.unwrap_or_default()).collect()
    }

    #[test]
    fn dates_are_rfc5322_in_utc() {
        assert_eq!(rfc5322(NOW), "Sun, 06 Dec 2026 15:23:00 +0000");
        assert_eq!(rfc5322(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    }

    #[test]
    fn alice_gets_one_message_of_each_kind_oldest_first() {
        let letters = alice(NOW);
        let ages: Vec<i64> = letters.iter().map(|l| l.minutes_ago).collect();
        assert!(ages.windows(2).all(|w| w[0] > w[1]), "{ages:?}");
        let shown: Vec<_> = letters.iter().map(|l| (l.mailbox, render(&l.raw, BodyFormat::Best))).collect();
        for (_, display) in &shown {
            assert!(display.notes.iter().all(|n| !n.contains("broken")), "{:?}", display.notes);
            assert!(display.from.first().and_then(|m| m.address.as_ref()).is_some(), "{display:?}");
        }
        let find = |subject: &str| {
            shown.iter().find(|(_, d)| d.subject.as_deref() == Some(subject)).map(|(_, d)| d).unwrap()
        };
        assert_eq!(find("Grüße aus Berlin").from[0].name.as_deref(), Some("Jürgen Müller"));
        assert_eq!(find("December at the Tram Museum").body.kind, BodyKind::Html);
        assert_eq!(find("Minutes of Tuesday's meeting").body.kind, BodyKind::Enriched);
        let outlook = find("The AUTHORS file, from Outlook");
        assert!(outlook.tnef, "{outlook:?}");
        assert!(outlook.attachments.iter().any(|a| a.name == "AUTHORS"), "{:?}", outlook.attachments);
        let photo = &find("Photos from the trip").attachments;
        assert!(photo.iter().any(|a| a.name == "sunset.png" && a.size > 1000), "{photo:?}");
        assert!(image::load_from_memory(&sunset()).is_ok());
        let budget = &find("Budget for the first quarter").attachments;
        assert!(budget.iter().any(|a| a.name == "budget-q1.csv"), "{budget:?}");
        let invite = find("Invitation: Demo review");
        assert_eq!(invite.calendar.first().and_then(|c| c.method.as_deref()), Some("REQUEST"));
        assert!(invite.calendar[0].text.contains("DTSTART:20261209T140000Z"), "{}", invite.calendar[0].text);
        // The welcome is the newest, so it tops the list and the window opens on it.
        assert_eq!(find("Welcome to the Tidings demo").message_id.as_deref(), Some(WELCOME_ID));
        assert_eq!(letters.last().map(|l| l.minutes_ago), Some(1));
    }

    #[test]
    fn the_conversation_has_alices_reply_in_sent() {
        let letters = alice(NOW);
        let thread: Vec<&Letter> = letters
            .iter()
            .filter(|l| String::from_utf8_lossy(&l.raw).contains("lisbon-1.demo@example.test"))
            .collect();
        let places: Vec<&str> = thread.iter().map(|l| l.mailbox).collect();
        assert_eq!(places, ["INBOX", "Sent", "INBOX"]);
        let last = String::from_utf8_lossy(&thread[2].raw).into_owned();
        assert!(
            last.contains("References: <lisbon-1.demo@example.test> <lisbon-2.demo@example.test>"),
            "{last}"
        );
        assert_eq!(subjects(&letters).iter().filter(|s| s.ends_with(LISBON)).count(), 3);
    }

    #[test]
    fn every_line_ends_in_crlf() {
        for letter in alice(NOW).iter().chain(&bob(NOW)) {
            let text = String::from_utf8_lossy(&letter.raw);
            assert!(!text.replace("\r\n", "").contains('\n'), "{text}");
            assert!(!text.replace("\r\n", "").contains('\r'), "{text}");
        }
    }
}
