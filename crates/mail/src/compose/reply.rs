//! Replies and forwards derived from a stored message (its raw bytes, read with mail-parser):
//! recipients (Reply-To honoured, our own addresses left out of reply-all), the subject with
//! one "Re: "/"Fwd: " however often it went back and forth, the thread headers, the quote,
//! and the forwarded header block or the original attached whole.

use mail_parser::{MessageParser, MimeHeaders};

use super::{Address, Attachment, NewMessage};
use crate::error::{Error, Kind, Result};

/// Reply to the sender only, or to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    Sender,
    All,
}

/// What a reply or a forward needs from the original message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Original {
    pub from: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    /// The Date header as people read it ("3 Feb 2025 14:05 +0100"), when there is one.
    pub date: Option<String>,
    /// Without the angle brackets.
    pub message_id: Option<String>,
    /// The original's References (or its In-Reply-To when it has none), oldest first.
    pub references: Vec<String>,
    /// The first text part (HTML turned into text when there is no plain part).
    pub text: String,
    /// The original's attachments, for an inline forward.
    pub attachments: Vec<Attachment>,
    /// The whole message, for a forward as attachment.
    pub raw: Vec<u8>,
}

impl Original {
    /// Reads a stored message. Fails (as a protocol error) only when the bytes are not a
    /// message at all.
    pub fn parse(raw: &[u8]) -> Result<Original> {
        let msg = MessageParser::default().parse(raw).ok_or_else(|| {
            Error::new(Kind::Protocol, "cannot read the original message: it is not in a mail format")
        })?;
        let list = |a: Option<&mail_parser::Address<'_>>| -> Vec<Address> {
            a.map(|a| {
                a.iter()
                    .filter_map(|x| x.address().map(|email| Address::new(x.name(), email)))
                    .filter(|x| !x.email.is_empty())
                    .collect()
            })
            .unwrap_or_default()
        };
        let mut references: Vec<String> = text_list(msg.references());
        if references.is_empty() {
            references = text_list(msg.in_reply_to());
        }
        let attachments = msg
            .attachments()
            .enumerate()
            .map(|(i, part)| {
                let content_type = part
                    .content_type()
                    .map(|ct| match &ct.c_subtype {
                        Some(sub) => format!("{}/{}", ct.c_type, sub),
                        None => ct.c_type.to_string(),
                    })
                    .unwrap_or_else(|| "application/octet-stream".to_string())
                    .to_ascii_lowercase();
                let name = part.attachment_name().map(str::to_string).unwrap_or_else(|| {
                    if content_type == "message/rfc822" {
                        format!("message-{}.eml", i + 1)
                    } else {
                        format!("attachment-{}", i + 1)
                    }
                });
                Attachment { name, content_type, bytes: part.contents().to_vec() }
            })
            .collect();
        Ok(Original {
            from: list(msg.from()),
            reply_to: list(msg.reply_to()),
            to: list(msg.to()),
            cc: list(msg.cc()),
            subject: msg.subject().unwrap_or_default().to_string(),
            date: msg.date().map(date_text),
            message_id: msg.message_id().map(str::to_string),
            references,
            text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            attachments,
            raw: raw.to_vec(),
        })
    }

    /// The identity to answer or forward from, of `ours` (an account's From addresses):
    /// the one that wrote the original (a message of ours, e.g. in Sent), else the first the
    /// original was sent to, in To or Cc. Addresses compare case-insensitively.
    pub fn addressed_to<'a>(&self, ours: &'a [Address]) -> Option<&'a Address> {
        let among = |list: &[Address], email: &str| list.iter().any(|a| a.email.eq_ignore_ascii_case(email));
        ours.iter()
            .find(|a| among(&self.from, &a.email))
            .or_else(|| ours.iter().find(|a| among(&self.to, &a.email) || among(&self.cc, &a.email)))
    }

    /// "Bob Smith" (or the address when there is no name): who wrote it, for the quote line.
    pub fn sender_label(&self) -> String {
        self.from.first().map(|a| a.label().to_string()).unwrap_or_else(|| "someone".to_string())
    }
}

fn text_list(v: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match v {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn date_text(d: &mail_parser::DateTime) -> String {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.get(usize::from(d.month).saturating_sub(1)).copied().unwrap_or("?");
    let sign = if d.tz_before_gmt { '-' } else { '+' };
    format!(
        "{} {month} {} {:02}:{:02} {sign}{:02}{:02}",
        d.day, d.year, d.hour, d.minute, d.tz_hour, d.tz_minute
    )
}

/// The subject without any leading "Re:", "Fwd:", "Fw:", "Aw:", "Re[2]:"… (as many as there are).
pub fn strip_prefixes(subject: &str) -> &str {
    let mut s = subject.trim_start();
    loop {
        let Some(colon) = s.find(':') else { return s };
        let head = s[..colon].trim_end();
        // "Re[2]" and "Re(2)" count as "Re".
        let word = head.split(['[', '(']).next().unwrap_or(head);
        let is_prefix = matches!(
            word.to_ascii_lowercase().as_str(),
            "re" | "fwd" | "fw" | "aw" | "sv" | "wg" | "antw" | "tr" | "rif" | "vs"
        ) && head.len() <= word.len() + 4;
        if !is_prefix {
            return s;
        }
        s = s[colon + 1..].trim_start();
    }
}

fn has_prefix(subject: &str, words: &[&str]) -> bool {
    let s = subject.trim_start();
    s.split_once(':').is_some_and(|(head, _)| {
        let head = head.trim_end().to_ascii_lowercase();
        let word = head.split(['[', '(']).next().unwrap_or(&head).to_string();
        words.contains(&word.as_str())
    })
}

fn reply_subject(subject: &str) -> String {
    if has_prefix(subject, &["re", "aw", "sv", "antw"]) {
        subject.trim().to_string()
    } else {
        format!("Re: {}", subject.trim())
    }
}

fn forward_subject(subject: &str) -> String {
    if has_prefix(subject, &["fwd", "fw"]) {
        subject.trim().to_string()
    } else {
        format!("Fwd: {}", subject.trim())
    }
}

/// `> ` before each line (`>` alone before an already quoted or empty line), after the line
/// that says who wrote it and when.
pub fn quote(original: &Original) -> String {
    let mut out = match &original.date {
        Some(date) => format!("On {date}, {} wrote:\n", original.sender_label()),
        None => format!("{} wrote:\n", original.sender_label()),
    };
    let text = original.text.replace("\r\n", "\n");
    for line in text.trim_end_matches('\n').split('\n') {
        if line.is_empty() {
            out.push_str(">\n");
        } else if line.starts_with('>') {
            out.push('>');
            out.push_str(line);
            out.push('\n');
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn mine(a: &Address, own: &[String]) -> bool {
    own.iter().any(|o| a.same_mailbox(o))
}

fn push_unique(list: &mut Vec<Address>, a: &Address, taken: &[Address]) {
    let seen = |l: &[Address]| l.iter().any(|x| x.same_mailbox(&a.email));
    if !seen(list) && !seen(taken) {
        list.push(a.clone());
    }
}

/// A reply from `from` to the original. `own` lists the answering account's addresses (its
/// own and its identities'): reply-all leaves them out, and a reply to a message we sent goes
/// to its recipients again. The person's other accounts are not in it: answering from one
/// account a message from another is writing to someone else. The body holds the quote; the cursor belongs below it.
pub fn reply(original: &Original, kind: ReplyKind, from: &Address, own: &[String]) -> NewMessage {
    let mut own = own.to_vec();
    own.push(from.email.clone());
    let targets = if original.reply_to.is_empty() { &original.from } else { &original.reply_to };
    let ours = !original.from.is_empty() && original.from.iter().all(|a| mine(a, &own));

    let mut to = Vec::new();
    let mut cc = Vec::new();
    if ours {
        // Replying to our own message: to the people it went to.
        for a in original.to.iter().filter(|a| !mine(a, &own)) {
            push_unique(&mut to, a, &[]);
        }
        if kind == ReplyKind::All {
            for a in original.cc.iter().filter(|a| !mine(a, &own)) {
                push_unique(&mut cc, a, &to);
            }
        }
    } else {
        for a in targets {
            push_unique(&mut to, a, &[]);
        }
        if kind == ReplyKind::All {
            for a in original.to.iter().chain(&original.cc).filter(|a| !mine(a, &own)) {
                push_unique(&mut cc, a, &to);
            }
        }
    }

    let mut references = original.references.clone();
    if let Some(id) = &original.message_id {
        references.push(id.clone());
    }
    NewMessage {
        from: from.clone(),
        to,
        cc,
        subject: reply_subject(&original.subject),
        body: format!("{}\n", quote(original)),
        in_reply_to: original.message_id.clone(),
        references,
        ..NewMessage::default()
    }
}

/// A forward with the original's text below a header block, and its attachments attached.
pub fn forward_inline(original: &Original, from: &Address) -> NewMessage {
    let list = |l: &[Address]| super::format_address_list(l);
    let mut block = String::from("\n\n-------- Forwarded Message --------\n");
    block.push_str(&format!("Subject: {}\n", original.subject));
    if let Some(date) = &original.date {
        block.push_str(&format!("Date: {date}\n"));
    }
    block.push_str(&format!("From: {}\n", list(&original.from)));
    if !original.reply_to.is_empty() {
        block.push_str(&format!("Reply-To: {}\n", list(&original.reply_to)));
    }
    if !original.to.is_empty() {
        block.push_str(&format!("To: {}\n", list(&original.to)));
    }
    if !original.cc.is_empty() {
        block.push_str(&format!("Cc: {}\n", list(&original.cc)));
    }
    block.push('\n');
    block.push_str(&original.text.replace("\r\n", "\n"));
    if !block.ends_with('\n') {
        block.push('\n');
    }
    NewMessage {
        from: from.clone(),
        subject: forward_subject(&original.subject),
        body: block,
        attachments: original.attachments.clone(),
        ..NewMessage::default()
    }
}

/// A forward with the original attached whole (message/rfc822) and an empty body.
pub fn forward_as_attachment(original: &Original, from: &Address) -> NewMessage {
    let base = strip_prefixes(&original.subject);
    let name: String = base
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') { c } else { '_' })
        .take(60)
        .collect();
    let name = if name.trim().is_empty() { "message".to_string() } else { name.trim().to_string() };
    NewMessage {
        from: from.clone(),
        subject: forward_subject(&original.subject),
        attachments: vec![Attachment::new(format!("{name}.eml"), "message/rfc822", original.raw.clone())],
        ..NewMessage::default()
    }
}
