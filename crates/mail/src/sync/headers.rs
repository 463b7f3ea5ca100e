//! Turns one FETCH item into the small owned values the store keeps, as it streams in: the
//! async-imap `Fetch` (which pins a ≥ 4 KiB buffer) is dropped right after.

use async_imap::types::{Fetch, Flag};
use std::sync::LazyLock;

use mail_parser::{Address, HeaderName, HeaderValue, MessageParser, MimeHeaders};

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

/// Parses the fields of [`HEADER_FIELDS`], each as mail-parser's default parser would, and
/// skips every other field unread. An IMAP sync fetches only those fields, but a POP3
/// download hands over the whole header: Received, DKIM-Signature, ARC and
/// Authentication-Results blocks are most of a delivered message's header, and parsing them
/// (Received lines into their parts) cost more than the fields the list shows.
static LIST_FIELDS: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .header_date(HeaderName::Date)
        .header_address(HeaderName::From)
        .header_address(HeaderName::To)
        .header_address(HeaderName::Cc)
        .header_text(HeaderName::Subject)
        .header_id(HeaderName::MessageId)
        .header_id(HeaderName::InReplyTo)
        .header_id(HeaderName::References)
        .header_content_type(HeaderName::ContentType)
        .default_header_ignore()
});

/// Reads the list fields from a header block (mail-parser never panics; it returns `None`
/// only when it finds no header at all).
pub fn summary(raw: &[u8]) -> Result<Summary, String> {
    summary_with(&LIST_FIELDS, raw)
}

/// [`summary`] with another parser: the benchmark and the tests compare it with
/// `MessageParser::new()`, which parses every field.
pub fn summary_with(parser: &MessageParser, raw: &[u8]) -> Result<Summary, String> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err("the server sent an empty header".into());
    }
    let msg = parser.parse_headers(raw).ok_or_else(|| "the header could not be read".to_string())?;
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
pub(crate) fn clean(s: &str) -> String {
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

    /// A delivered message's header: relays, signatures and list fields around the list
    /// fields, some of them folded, encoded or broken.
    const DELIVERED: &[u8] = b"Return-Path: <bounce@lists.example.org>\r\n\
        Received: from mx.example.org (mx.example.org [192.0.2.7])\r\n\tby mail.example.test (Postfix) with ESMTPS id 4F1A2\r\n\tfor <bob@example.test>; Tue, 1 Oct 2024 10:00:05 +0200 (CEST)\r\n\
        Received: from [10.0.0.3] (unknown [198.51.100.4])\r\n\tby mx.example.org with ESMTPSA id x1; Tue, 1 Oct 2024 08:00:01 +0000\r\n\
        DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\r\n\th=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==\r\n\
        ARC-Seal: i=1; a=rsa-sha256; t=1727769601; cv=none; d=example.org; s=arc;\r\n\tb=c2VhbA==\r\n\
        Authentication-Results: mail.example.test; dkim=pass header.d=example.org; spf=pass\r\n\
        From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.org>\r\n\
        To: list@lists.example.org, \"Bob\" <bob@example.test>\r\n\
        Cc: undisclosed-recipients:;\r\n\
        Subject: Re: [list] =?UTF-8?B?R3LDvMOfZQ==?=\r\n\tfolded\r\n\
        Date: Tue, 1 Oct 2024 10:00:00 +0200\r\n\
        Message-ID: <m1@example.org>\r\n\
        In-Reply-To: <m0@example.org> (garbage\r\n\
        References: <r1@x>\r\n <r2@x>\r\n\
        List-Unsubscribe: <mailto:leave@lists.example.org>, <https://lists.example.org/u>\r\n\
        X-Mailer: =?ISO-8859-1?Q?caf=E9?= 1.0\r\n\
        Resent-From: someone@example.org\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: application/pdf; name=\"a.pdf\"\r\n\r\n";

    #[test]
    fn list_fields_read_as_a_full_parse_reads_them() {
        let full = MessageParser::new();
        let generated: Vec<Vec<u8>> =
            (0..50).map(|i| tidings_testkit::generate::message(i, "bob@example.test")).collect();
        let samples: Vec<&[u8]> = [
            DELIVERED,
            b"Subject: plain\r\nDate: not a date\r\nContent-Type: text/plain\r\n\r\n".as_slice(),
            b"From: a@x\r\nFrom: b@y\r\nSubject: first\r\nSubject: second\r\n\r\n",
            b"Received: only a relay\r\n\r\n",
            b"\xff\xfe: \x00\r\nSubject: \xe9t\xe9\r\nFrom: <>\r\n\r\n",
            b"To: a@x,\r\n",
        ]
        .into_iter()
        .chain(generated.iter().map(|g| crate::store::header_part(g)))
        .collect();
        for raw in samples {
            assert_eq!(summary(raw), summary_with(&full, raw), "{}", String::from_utf8_lossy(raw));
        }
        let s = summary(DELIVERED).unwrap();
        assert_eq!(s.subject.as_deref(), Some("Re: [list] Grüße folded"));
        assert_eq!(s.from_name.as_deref(), Some("Jürgen Müller"));
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
