//! A message file (.eml) made ready for the Outbox: line endings made CRLF, Message-ID,
//! Date and From added when missing, the Bcc header taken out (its addresses stay in the
//! envelope), so that the submitted bytes and the Sent copy are the same and Bcc stays
//! private. The envelope comes from From and To/Cc/Bcc.

use std::time::{SystemTime, UNIX_EPOCH};

use mail_parser::{Address, HeaderName, MessageParser};

use crate::error::{Error, Result};
use crate::outbox::Outgoing;

/// A new Message-ID for a message from `from` (its domain after the "@"): unique from the
/// time, the process and a counter, with a hash so nothing about the machine shows.
pub fn new_message_id(from: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let domain = from.rsplit_once('@').map(|(_, d)| d.trim_end_matches('>')).filter(|d| !d.is_empty());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let digest = Sha256::digest(format!("{now}.{}.{n}.{from}", std::process::id()).as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("<{hex}.{:x}@{}>", now / 1_000_000_000, domain.unwrap_or("tidings.invalid"))
}

/// `Name <email>` for a From header: a name with anything but printable ASCII becomes an
/// encoded word (RFC 2047); else it is quoted as an address list needs.
fn from_header(a: &crate::compose::Address) -> String {
    use base64::Engine;
    match &a.name {
        Some(name) if !name.chars().all(|c| c.is_ascii_graphic() || c == ' ') => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(name.as_bytes());
            format!("=?utf-8?b?{b64}?= <{}>", a.email)
        }
        Some(_) => a.to_string(),
        None => format!("<{}>", a.email),
    }
}

/// Every line ending CRLF (lone LF and lone CR too), and a final CRLF.
pub(crate) fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = crate::compose::to_crlf(raw);
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn addresses(a: Option<&Address<'_>>, out: &mut Vec<String>) {
    let Some(a) = a else { return };
    for addr in a.iter() {
        if let Some(email) = addr.address() {
            let email = email.trim().to_string();
            if !email.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&email)) {
                out.push(email);
            }
        }
    }
}

/// Where the header block ends (the index after the empty line), in CRLF text.
fn header_end(raw: &[u8]) -> usize {
    raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4).unwrap_or(raw.len())
}

/// The header block without the fields named `name` (with their folded lines).
fn without_field(head: &[u8], name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len());
    let mut skipping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        let folded = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        if !folded {
            let colon = line.iter().position(|&b| b == b':');
            skipping = colon.is_some_and(|c| line[..c].trim_ascii().eq_ignore_ascii_case(name.as_bytes()));
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out
}

impl Outgoing {
    /// Prepares a complete message (a .eml file's bytes) for the Outbox. `default_from` (the
    /// account's address) is used when the message has no From. Refused with a
    /// [`Kind::Config`](crate::Kind::Config) error when it has no recipient or is not a
    /// message at all.
    pub fn from_message(raw: &[u8], default_from: &str) -> Result<Outgoing> {
        Outgoing::from_message_as(raw, &crate::compose::Address::email(default_from))
    }

    /// The same; a message without From gets `default_from` with its name (encoded when it
    /// is not ASCII).
    pub fn from_message_as(raw: &[u8], default_from: &crate::compose::Address) -> Result<Outgoing> {
        let crlf = to_crlf(raw);
        let end = header_end(&crlf);
        let parsed = MessageParser::new()
            .parse_headers(&crlf[..end])
            .ok_or_else(|| Error::config("the file is not a mail message (no header could be read)"))?;
        if parsed.headers().is_empty() {
            return Err(Error::config("the file is not a mail message (no header could be read)"));
        }
        let mut from_list = Vec::new();
        addresses(parsed.from(), &mut from_list);
        let from = from_list.first().cloned().unwrap_or_else(|| default_from.email.clone());
        let mut recipients = Vec::new();
        addresses(parsed.to(), &mut recipients);
        addresses(parsed.cc(), &mut recipients);
        addresses(parsed.bcc(), &mut recipients);
        if recipients.is_empty() {
            return Err(Error::config("the message has no recipient: it needs a To, Cc or Bcc header"));
        }
        let has = |h: HeaderName<'_>| parsed.headers().iter().any(|x| x.name == h);
        let mut added = String::new();
        let message_id = match parsed.message_id() {
            Some(id) => format!("<{id}>"),
            None => {
                let id = new_message_id(&from);
                added.push_str(&format!("Message-ID: {id}\r\n"));
                id
            }
        };
        if !has(HeaderName::Date) {
            let now = mail_parser::DateTime::from_timestamp(
                SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0),
            );
            added.push_str(&format!("Date: {}\r\n", now.to_rfc822()));
        }
        if from_list.is_empty() {
            added.push_str(&format!("From: {}\r\n", from_header(default_from)));
        }
        let head = without_field(&crlf[..end], "Bcc");
        let mut out = Vec::with_capacity(crlf.len() + added.len());
        out.extend_from_slice(added.as_bytes());
        out.extend_from_slice(&head);
        out.extend_from_slice(&crlf[end..]);
        let msg = Outgoing { raw: out, message_id, from, recipients };
        msg.check()?;
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_file_gets_crlf_ids_and_loses_bcc() {
        let raw = b"From: Alice <alice@example.test>\nTo: bob@example.test\nBcc: carol@example.test,\n dave@example.test\nSubject: hi\n\nline\n.dot\n";
        let m = Outgoing::from_message(raw, "x@example.test").unwrap();
        let text = String::from_utf8(m.raw.clone()).unwrap();
        assert!(!text.contains("Bcc") && !text.contains("carol") && !text.contains("dave"), "{text}");
        assert!(text.starts_with("Message-ID: <") && text.contains("@example.test>\r\nDate: "), "{text}");
        assert!(text.ends_with("\r\n\r\nline\r\n.dot\r\n"), "{text:?}");
        assert_eq!(m.from, "alice@example.test");
        assert_eq!(m.recipients, ["bob@example.test", "carol@example.test", "dave@example.test"]);
        assert!(!m.raw.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
    }

    #[test]
    fn existing_ids_and_dates_are_kept_and_the_body_untouched() {
        let raw = b"Message-ID: <a@b>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nTo: b@example.test\r\n\r\nBcc: not a header\r\n";
        let m = Outgoing::from_message(raw, "me@example.test").unwrap();
        assert_eq!(m.message_id, "<a@b>");
        assert_eq!(m.from, "me@example.test");
        let text = String::from_utf8(m.raw).unwrap();
        assert!(text.starts_with("From: <me@example.test>\r\nMessage-ID: <a@b>"), "{text}");
        assert!(text.ends_with("\r\n\r\nBcc: not a header\r\n"), "{text}");
    }

    #[test]
    fn no_recipient_is_a_config_error() {
        let e = Outgoing::from_message(b"Subject: x\n\nbody\n", "me@example.test").unwrap_err();
        // Without From: the account's name goes in too, encoded when it is not ASCII.
        for (name, header) in [
            ("Alice Example", "From: Alice Example <me@example.test>\r\n"),
            ("Zoë", "From: =?utf-8?b?Wm/Dqw==?= <me@example.test>\r\n"),
        ] {
            let me = crate::compose::Address::new(Some(name), "me@example.test");
            let m = Outgoing::from_message_as(b"To: bob@example.test\n\nhi\n", &me).unwrap();
            let text = String::from_utf8(m.raw.clone()).unwrap();
            assert!(text.contains(header), "{text}");
            let parsed = MessageParser::new().parse(&m.raw).unwrap();
            assert_eq!(parsed.from().and_then(|f| f.first()).and_then(|f| f.name()), Some(name));
        }
        assert_eq!(e.kind(), crate::Kind::Config);
        assert!(e.message().contains("no recipient"), "{e}");
    }

    #[test]
    fn message_ids_are_unique() {
        assert_ne!(new_message_id("a@example.test"), new_message_id("a@example.test"));
        assert!(new_message_id("a@example.test").ends_with("@example.test>"));
    }
}
