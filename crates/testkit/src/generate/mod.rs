//! Deterministic test messages of varied MIME shapes.
//!
//! `message(i, to)` always returns the same bytes for the same arguments, so a test can
//! regenerate what it expects to find on the server. Shape is `shapes()[i % shapes().len()]`;
//! Date headers spread pseudo-randomly over the six years before 2025 (so UID order and date
//! order differ, as in real mailboxes). Every fifth message (i % 5 == 1) replies to the one
//! before it, for threading. Line endings are CRLF throughout.
//!
//! `format_message` writes the other formats Exchange hands out (enriched text, TNEF, calendar
//! invitations), outside the cycle so the shapes above stay where tests expect them;
//! `invitation_message` the invitations of Exchange, Google Calendar and Thunderbird; and
//! `prose_message` bodies with the word frequencies of real mail, for search benchmarks.

mod calendar;
mod encode;
mod formats;
mod prose;

pub use calendar::{CalendarShape, Invite, invitation_ics, invitation_message};
pub use formats::{Format, format_message, tnef_meeting_request};
pub use prose::{person, prose_message, word};

use encode::{base64_body, encoded_words, quoted_printable, rfc5322_date};

const SHAPES: &[&str] = &["plain", "html", "alternative", "attachment", "encoded-words", "dot-lines"];

/// The names of the shapes `message` cycles through, in order:
/// - `plain`: text/plain, us-ascii, 7bit;
/// - `html`: text/html only;
/// - `alternative`: multipart/alternative, text/plain + text/html;
/// - `attachment`: multipart/mixed, text/plain + a binary application/octet-stream in base64;
/// - `encoded-words`: RFC 2047 Subject and From display name ("Grüße aus 日本", "Jürgen
///   Müller", "山田 太郎"), UTF-8 quoted-printable body;
/// - `dot-lines`: lines starting with ".", "..", and a line that is only "." (dot-stuffing).
pub fn shapes() -> &'static [&'static str] {
    SHAPES
}

/// The shape name of message `i`.
pub fn shape(i: usize) -> &'static str {
    SHAPES[i % SHAPES.len()]
}

/// 2025-01-01T00:00:00Z: all generated dates lie in the six years before it.
const NEWEST: i64 = 1_735_689_600;
const SPAN: u64 = 6 * 365 * 86_400;

/// The instant in message `i`'s Date header, as Unix seconds (seeding uses it as the file
/// mtime, so INTERNALDATE matches the header).
pub fn unix_time(i: usize) -> i64 {
    NEWEST - i64::try_from(mix(i as u64) % SPAN).unwrap_or(0)
}

/// A small, good-enough hash (splitmix64) so variety does not follow `i` in lockstep.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T>(list: &[T], i: usize, salt: u64) -> &T {
    &list[(mix(i as u64 ^ salt) % list.len() as u64) as usize]
}

const TOPICS: &[&str] = &[
    "Quarterly report",
    "Lunch on Friday?",
    "Build failed on main",
    "Invoice 2023-114",
    "Photos from the trip",
    "Meeting notes",
    "Your order has shipped",
    "Re-scheduling the review",
    "Weekly digest",
    "Question about the API",
];

const SENDERS: &[(&str, &str)] = &[
    ("Carol Danvers", "carol@example.org"),
    ("Build Bot", "ci@builds.example.net"),
    ("Dave Null", "dave@example.com"),
    ("Newsletter", "news@lists.example.org"),
    ("Erin Example", "erin@example.test"),
];

const INTL_SENDERS: &[(&str, &str)] = &[
    ("Jürgen Müller", "juergen@example.de"),
    ("山田 太郎", "taro@example.jp"),
    ("Zoë Ørsted", "zoe@example.dk"),
];

const OFFSETS: &[i32] = &[0, 60, 120, -300, -420, 540, 330, -180];

/// Message `i` addressed to `to` (a bare address such as "bob@example.test").
pub fn message(i: usize, to: &str) -> Vec<u8> {
    let shape = shape(i);
    let topic = pick(TOPICS, i, 1);
    let date = rfc5322_date(unix_time(i), *pick(OFFSETS, i, 2));
    let reply = i % 5 == 1;
    let subject_text = format!("{}{topic} #{i}", if reply { "Re: " } else { "" });

    let (from, subject) = if shape == "encoded-words" {
        let (name, addr) = pick(INTL_SENDERS, i, 3);
        let subject = format!("Grüße aus 日本: {subject_text}");
        (format!("{} <{addr}>", encoded_words(name)), encoded_words(&subject))
    } else {
        let (name, addr) = pick(SENDERS, i, 3);
        (format!("\"{name}\" <{addr}>"), subject_text.clone())
    };

    let mut head = format!(
        "Date: {date}\r\nFrom: {from}\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Message-ID: <testkit.{i}@example.test>\r\n"
    );
    if reply && i > 0 {
        let parent = i - 1;
        head.push_str(&format!(
            "In-Reply-To: <testkit.{parent}@example.test>\r\nReferences: <testkit.{parent}@example.test>\r\n"
        ));
    }
    head.push_str("MIME-Version: 1.0\r\n");

    let text = plain_text(i, topic);
    let body = match shape {
        "plain" => format!(
            "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{text}"
        ),
        "html" => format!(
            "Content-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{}",
            html(i, topic)
        ),
        "alternative" => {
            let b = format!("=_testkit_alt_{i}");
            format!(
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n\
                 This is a multi-part message in MIME format.\r\n\
                 --{b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{text}\
                 --{b}\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n{}\
                 --{b}--\r\n",
                html(i, topic)
            )
        }
        "attachment" => {
            let b = format!("=_testkit_mixed_{i}");
            let name = format!("data-{i}.bin");
            format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
                 --{b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{text}\
                 --{b}\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\
                 --{b}--\r\n",
                base64_body(&binary(i))
            )
        }
        "encoded-words" => {
            let intl = format!(
                "Grüße aus 日本! Message {i}.\r\nÜmlaute, ß, €, 日本語のテキスト, emoji 📬.\r\n\r\n{text}"
            );
            format!(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
                quoted_printable(&intl)
            )
        }
        _ => format!(
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n\
             Lines that start with a dot must survive SMTP and POP3 dot-stuffing.\r\n\
             .\r\n\
             .hidden line right after a lone dot\r\n\
             ..two dots\r\n\
             . dot and space\r\n\
             ...\r\n\
             end of message {i}\r\n"
        ),
    };
    head.push_str(&body);
    head.into_bytes()
}

fn plain_text(i: usize, topic: &str) -> String {
    let paragraphs = 1 + (mix(i as u64 ^ 4) % 4) as usize;
    let mut out = format!("Hello,\r\n\r\nthis is test message {i} about \"{topic}\".\r\n");
    for p in 0..paragraphs {
        out.push_str(&format!(
            "\r\nParagraph {p}: the quick brown fox jumps over the lazy dog; \
             pack my box with five dozen liquor jugs ({i}/{p}).\r\n"
        ));
    }
    out.push_str("\r\n-- \r\nTidings testkit\r\n");
    out
}

fn html(i: usize, topic: &str) -> String {
    format!(
        "<!DOCTYPE html>\r\n<html><head><title>{topic}</title></head>\r\n<body>\r\n\
         <h1>{topic}</h1>\r\n<p>This is <b>test message {i}</b> with a \
         <a href=\"https://example.test/messages/{i}\">link</a>.</p>\r\n\
         <table><tr><td>cell</td><td>{i}</td></tr></table>\r\n</body></html>\r\n"
    )
}

/// Deterministic binary content (every byte value occurs), 512 B to ~8.5 KiB.
fn binary(i: usize) -> Vec<u8> {
    let len = 512 + (mix(i as u64 ^ 5) % 8192) as usize;
    let mut state = mix(i as u64 ^ 6);
    (0..len)
        .map(|k| {
            if k < 256 {
                k as u8
            } else {
                state = mix(state);
                state as u8
            }
        })
        .collect()
}
