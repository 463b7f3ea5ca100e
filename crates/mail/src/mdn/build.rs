//! The receipt itself: `multipart/report; report-type=disposition-notification` with a
//! sentence for a person and the `message/disposition-notification` fields for programs
//! (RFC 8098 §3), written byte for byte (lettre's builder has no multipart/report).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::request::Request;
use crate::compose::{Address, new_message_id};
use crate::error::{Error, Result};
use crate::outbox::Outgoing;

/// Longest original subject repeated in "Read: …" and in the sentence.
const MAX_SUBJECT: usize = 200;

/// How the receipt came to be sent (the Disposition's action and sending modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The person pressed Send receipt: `manual-action/MDN-sent-manually`.
    Manual,
    /// The "always" policy sent it: `automatic-action/MDN-sent-automatically`.
    Automatic,
}

impl Mode {
    fn disposition(self) -> &'static str {
        match self {
            Mode::Manual => "manual-action/MDN-sent-manually; displayed",
            Mode::Automatic => "automatic-action/MDN-sent-automatically; displayed",
        }
    }
}

/// A receipt to write.
#[derive(Debug, Clone)]
pub struct Response<'a> {
    pub request: &'a Request,
    /// From: the account's identity the message was sent to (else the account's address).
    pub from: &'a Address,
    /// Final-Recipient: the address the message was delivered to.
    pub final_recipient: &'a str,
    pub mode: Mode,
    /// When the message was displayed, Unix seconds.
    pub displayed_at: i64,
}

/// The receipt, ready for the Outbox: to every notification address, from `from`, with
/// `Read: <subject>` as its subject and the original's Message-ID in In-Reply-To and
/// References (so a thread view and [`crate::store::Store::receipt_candidates`] find it).
///
/// The envelope sender is the identity's address, not the null sender RFC 8098 §3 prefers:
/// submission servers refuse `MAIL FROM:<>` from a logged-in user or rewrite it.
pub fn build(r: &Response<'_>) -> Result<Outgoing> {
    let req = r.request;
    if req.notify.is_empty() {
        return Err(Error::config("the message does not ask for a read receipt"));
    }
    r.from.check()?;
    let message_id = new_message_id(r.from);
    let token: String = message_id.chars().filter(char::is_ascii_hexdigit).take(32).collect();
    let boundary = format!("=_receipt_{token}");
    let subject = req.subject.as_deref().map(clean).unwrap_or_default();
    let subject = cut(&subject, MAX_SUBJECT);
    let to: Vec<String> = req.notify.iter().map(|a| format!("<{}>", a.email)).collect();

    let mut head = vec![
        format!("Date: {}", rfc5322(r.displayed_at)),
        format!("From: {}", mailbox(r.from)),
        format!("To: {}", to.join(",\r\n ")),
        format!("Subject: {}", encode(&format!("Read: {subject}"))),
        format!("Message-ID: {message_id}"),
    ];
    if let Some(id) = req.message_id.as_deref().filter(|id| plain(id)) {
        head.push(format!("In-Reply-To: {id}"));
        head.push(format!("References: {id}"));
    }
    head.push("MIME-Version: 1.0".into());
    if r.mode == Mode::Automatic {
        // RFC 3834: an answer a program sent, so no other program answers it.
        head.push("Auto-Submitted: auto-replied".into());
    }
    head.push(format!("User-Agent: Tidings/{}", env!("CARGO_PKG_VERSION")));
    head.push(format!(
        "Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"{boundary}\""
    ));

    let sentence = sentence(req, subject, r.final_recipient, r.displayed_at);
    let (encoding, body) = if sentence.is_ascii() {
        ("7bit", sentence.replace('\n', "\r\n"))
    } else {
        let b64 = STANDARD.encode(sentence.replace('\n', "\r\n").as_bytes());
        let lines: Vec<&str> =
            b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
        ("base64", lines.join("\r\n"))
    };

    let mut fields = vec![format!("Reporting-UA: Tidings; Tidings/{}", env!("CARGO_PKG_VERSION"))];
    if let Some(orig) = req.original_recipient.as_deref().filter(|o| plain(o)) {
        fields.push(format!("Original-Recipient: {orig}"));
    }
    fields.push(format!("Final-Recipient: rfc822;{}", r.final_recipient.trim()));
    if let Some(id) = req.message_id.as_deref().filter(|id| plain(id)) {
        fields.push(format!("Original-Message-ID: {id}"));
    }
    fields.push(format!("Disposition: {}", r.mode.disposition()));

    let mut text = head.join("\r\n");
    text.push_str("\r\n\r\nThis is a read receipt (a MIME message of type multipart/report).\r\n");
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n"
    ));
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: message/disposition-notification\r\n\r\n{}\r\n",
        fields.join("\r\n")
    ));
    text.push_str(&format!("\r\n--{boundary}--\r\n"));

    let out = Outgoing {
        raw: text.into_bytes(),
        message_id,
        from: r.from.email.clone(),
        recipients: req.notify.iter().map(|a| a.email.clone()).collect(),
    };
    out.check()?;
    Ok(out)
}

/// "The message … sent on … to … was displayed on …", and what that does not mean.
fn sentence(req: &Request, subject: &str, to: &str, displayed_at: i64) -> String {
    let mut s = String::from("The message");
    if !subject.is_empty() {
        s.push_str(&format!(" \"{subject}\""));
    }
    if let Some(date) = req.date {
        s.push_str(&format!(" sent on {}", rfc5322(date)));
    }
    s.push_str(&format!(" to {} was displayed on {}.", to.trim(), rfc5322(displayed_at)));
    s.push_str("\n\nThis says only that the message was shown on the recipient's screen, not that it was\nread or understood.");
    s
}

/// `Sun, 6 Dec 2026 10:32:00 +0000`.
fn rfc5322(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map(|d| d.to_rfc2822()).unwrap_or_default()
}

/// A header value without line breaks or other control characters.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// At most `max` characters.
fn cut(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Printable ASCII without spaces' worth of trouble: safe to copy into a header field.
fn plain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 998 && s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// `Name <addr>` with the name quoted or encoded as needed, or `<addr>`.
fn mailbox(a: &Address) -> String {
    match a.name.as_deref().map(clean).filter(|n| !n.is_empty()) {
        Some(name) if name.is_ascii() => {
            let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\" <{}>", a.email)
        }
        Some(name) => format!("{} <{}>", encode(&name), a.email),
        None => format!("<{}>", a.email),
    }
}

/// ASCII as it is; anything else as RFC 2047 encoded words (UTF-8, base64), each under 76
/// characters, on lines of their own.
fn encode(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(chunk.as_bytes())));
    }
    words.join("\r\n ")
}
