//! Turns one FETCH item into the small owned values the store keeps, as it streams in: the
//! async-imap `Fetch` (which pins a ≥ 4 KiB buffer) is dropped right after.

use async_imap::types::{Fetch, Flag};
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};

use crate::store::{Flags, NewMessage, Summary};

/// The header fields the list needs; nothing else is fetched during a sync.
pub const HEADER_FIELDS: &str = "DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE";

/// The FETCH items of a header sync.
pub fn header_query() -> String {
    format!("(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])")
}

/// Longest recipient list kept for display.
const MAX_ADDRESS_TEXT: usize = 1000;
/// References kept: the first (thread root) and the last few (nearest ancestors).
const MAX_REFERENCES: usize = 10;

pub fn flags_of(f: &Fetch) -> Flags {
    Flags::new(f.flags().filter_map(|flag| match flag {
        Flag::Seen => Some("\\Seen".to_string()),
        Flag::Answered => Some("\\Answered".to_string()),
        Flag::Flagged => Some("\\Flagged".to_string()),
        Flag::Deleted => Some("\\Deleted".to_string()),
        Flag::Draft => Some("\\Draft".to_string()),
        Flag::Custom(c) => Some(c.into_owned()),
        // \Recent is per session, \* is not a message flag.
        _ => None,
    }))
}

/// The message of a header FETCH item, or `None` when the item carries no header (an
/// unsolicited flag update that arrived in the middle of our answer).
pub fn message_of(f: &Fetch) -> Option<NewMessage> {
    let uid = f.uid?;
    let header = f.header()?;
    let (summary, parse_error) = match summary(header) {
        Ok(s) => (s, None),
        Err(e) => (Summary::default(), Some(e)),
    };
    Some(NewMessage {
        uid,
        modseq: f.modseq,
        flags: flags_of(f),
        size: f.size.unwrap_or(0),
        internal_date: f.internal_date().map(|d| d.timestamp()),
        summary,
        parse_error,
    })
}

/// Reads the list fields from a header block (mail-parser never panics; it returns `None`
/// only when it finds no header at all).
pub fn summary(raw: &[u8]) -> Result<Summary, String> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err("the server sent an empty header".into());
    }
    let msg =
        MessageParser::new().parse_headers(raw).ok_or_else(|| "the header could not be read".to_string())?;
    let from = msg.from().and_then(Address::first);
    let ctype = msg.content_type();
    let has_attachment = ctype.is_some_and(|ct| {
        let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
        match ct.ctype().to_ascii_lowercase().as_str() {
            "multipart" => sub == "mixed",
            "application" => sub != "pgp-encrypted" && sub != "pkcs7-signature",
            "image" | "audio" | "video" => true,
            _ => false,
        }
    });
    Ok(Summary {
        date: msg.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp()),
        from_name: from.and_then(|a| a.name()).map(clean),
        from_addr: from.and_then(|a| a.address()).map(str::to_string),
        to: msg.to().map(address_text),
        cc: msg.cc().map(address_text),
        subject: msg.subject().map(clean),
        message_id: msg.message_id().map(str::to_string),
        in_reply_to: first_id(msg.in_reply_to()),
        references: references(msg.references()),
        has_attachment,
    })
}

/// Collapses folded whitespace and control characters.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn address_text(a: &Address<'_>) -> String {
    let mut out = String::new();
    for addr in a.iter() {
        let one = match (addr.name(), addr.address()) {
            (Some(n), Some(e)) if !n.trim().is_empty() => format!("{} <{e}>", clean(n)),
            (_, Some(e)) => e.to_string(),
            (Some(n), None) => clean(n),
            (None, None) => continue,
        };
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(&one);
        if out.len() > MAX_ADDRESS_TEXT {
            let mut cut = MAX_ADDRESS_TEXT;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out
}

fn ids<'a>(v: &'a HeaderValue<'_>) -> Vec<&'a str> {
    match v {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    }
}

fn first_id(v: &HeaderValue<'_>) -> Option<String> {
    ids(v).first().map(|s| s.to_string())
}

fn references(v: &HeaderValue<'_>) -> Option<String> {
    let all = ids(v);
    if all.is_empty() {
        return None;
    }
    let kept: Vec<&str> = if all.len() > MAX_REFERENCES {
        std::iter::once(all[0]).chain(all[all.len() - (MAX_REFERENCES - 1)..].iter().copied()).collect()
    } else {
        all
    };
    Some(kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_fields_are_read_and_decoded() {
        let raw = b"Date: Tue, 1 Oct 2024 10:00:00 +0200\r\n\
            From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>\r\n\
            To: \"Bob\" <bob@example.test>, carol@example.test\r\n\
            Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n  folded\r\n\
            Message-ID: <m1@example.test>\r\n\
            In-Reply-To: <m0@example.test>\r\n\
            References: <r1@x> <r2@x>\r\n\
            Content-Type: multipart/mixed; boundary=x\r\n\r\n";
        let s = summary(raw).unwrap();
        assert_eq!(s.date, Some(1_727_769_600));
        assert_eq!(s.from_name.as_deref(), Some("Jürgen Müller"));
        assert_eq!(s.from_addr.as_deref(), Some("juergen@example.de"));
        assert_eq!(s.to.as_deref(), Some("Bob <bob@example.test>, carol@example.test"));
        assert_eq!(s.subject.as_deref(), Some("Grüße folded"));
        assert_eq!(s.message_id.as_deref(), Some("m1@example.test"));
        assert_eq!(s.in_reply_to.as_deref(), Some("m0@example.test"));
        assert_eq!(s.references.as_deref(), Some("r1@x r2@x"));
        assert!(s.has_attachment);
    }

    #[test]
    fn odd_headers_do_not_fail_and_empty_ones_do() {
        let s = summary(b"Subject: plain\r\nDate: not a date\r\nContent-Type: text/plain\r\n\r\n").unwrap();
        assert_eq!(s.date, None);
        assert!(!s.has_attachment);
        assert!(summary(b"\r\n").is_err());
        let many: String = (0..30).map(|i| format!("<r{i}@x> ")).collect();
        let s = summary(format!("References: {many}\r\n\r\n").as_bytes()).unwrap();
        let refs = s.references.unwrap();
        assert!(refs.starts_with("r0@x r21@x") && refs.ends_with("r29@x"), "{refs}");
    }
}
