//! `mailto:` links (RFC 6068): the recipients, subject, body and In-Reply-To a web page or
//! another program hands over, as fields for a new message.
//!
//! A link comes from anywhere, so it is read as untrusted text: only `to`, `cc`, `bcc`,
//! `subject`, `body` and `in-reply-to` are taken (case-insensitively); any other field is
//! ignored, as RFC 6068 §2 allows. Nothing is attached from a link (`attach=` and
//! `attachment=` would name local files): those are left out with a note for the person.
//! Line breaks and other control characters never reach a header field (a
//! `subject=%0D%0ABcc:…` cannot add a header); the body keeps its line breaks.
//! `+` is a plus sign, not a space: RFC 6068 percent-encodes spaces.

use crate::account::{Account, Identity};
use crate::error::{Error, Result};

/// The longest link read (a body in a link is short; this bounds what a page can make us hold).
pub const MAX_LEN: usize = 256 * 1024;

/// What a `mailto:` link asks to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailto {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    /// Lines end in `\n`.
    pub body: String,
    /// A Message-ID in angle brackets.
    pub in_reply_to: Option<String>,
    /// What was left out of the link and why, for the person.
    pub notes: Vec<String>,
}

/// Whether `text` is a `mailto:` link (any letter case), as a command-line argument may be.
pub fn is_mailto(text: &str) -> bool {
    text.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("mailto:"))
}

/// Reads a `mailto:` link.
pub fn parse(uri: &str) -> Result<Mailto> {
    let uri = uri.trim();
    if !is_mailto(uri) {
        return Err(Error::config("cannot open the link: it is not a mailto: link"));
    }
    if uri.len() > MAX_LEN {
        return Err(Error::config(format!(
            "cannot open the mailto: link: it is {} KiB long, more than the {} KiB a link may be",
            uri.len() / 1024,
            MAX_LEN / 1024
        )));
    }
    let rest = &uri[7..];
    // A fragment is not part of the message.
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut out = Mailto::default();
    add_addresses(&mut out.to, &decode(path));
    for field in query.split('&').filter(|f| !f.is_empty()) {
        let (name, value) = field.split_once('=').unwrap_or((field, ""));
        let name = decode(name).trim().to_ascii_lowercase();
        let value = decode(value);
        match name.as_str() {
            "to" => add_addresses(&mut out.to, &value),
            "cc" => add_addresses(&mut out.cc, &value),
            "bcc" => add_addresses(&mut out.bcc, &value),
            "subject" => out.subject = header_text(&decode_words(&value)),
            "body" => out.body = body_text(&value),
            "in-reply-to" => out.in_reply_to = message_id(&value),
            "attach" | "attachment" => {
                let note = "The link asked to attach a file; nothing is attached from a link.";
                if !out.notes.iter().any(|n| n == note) {
                    out.notes.push(note.to_string());
                }
            }
            // Other header fields (RFC 6068 §2: may be ignored) are; some are unsafe.
            _ => {}
        }
    }
    Ok(out)
}

/// The account and identity to write from: the identity whose domain is a recipient's (a
/// colleague is written to from work), else the `preferred` account (the one open), else the
/// first account. None without accounts.
pub fn choose_sender<'a>(
    accounts: &'a [Account],
    mailto: &Mailto,
    preferred: Option<&str>,
) -> Option<(&'a Account, Identity)> {
    let domains: Vec<String> = mailto
        .to
        .iter()
        .chain(&mailto.cc)
        .chain(&mailto.bcc)
        .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.trim_end_matches('>').trim().to_ascii_lowercase()))
        .collect();
    let fitting = accounts.iter().find_map(|account| {
        account.senders().into_iter().find_map(|identity| {
            let domain = identity.email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())?;
            domains.contains(&domain).then_some((account, identity))
        })
    });
    fitting.or_else(|| {
        let account = preferred.and_then(|id| accounts.iter().find(|a| a.id == id)).or(accounts.first())?;
        let identity = account.senders().into_iter().next()?;
        Some((account, identity))
    })
}

/// Percent-decoding; a `%` not followed by two hex digits stays as it is, and bytes that are
/// not UTF-8 become U+FFFD.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' => match (bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b))) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Addresses separated by commas, each cleaned as a header's text; empty ones dropped.
fn add_addresses(list: &mut Vec<String>, value: &str) {
    for address in crate::compose::split_address_list(value) {
        let address = header_text(address);
        if !address.is_empty() && !list.iter().any(|a| a.eq_ignore_ascii_case(&address)) {
            list.push(address);
        }
    }
}

/// Text for a header field: every control character (CR and LF above all: they would start a
/// header of their own) becomes a space; runs of spaces are one.
fn header_text(value: &str) -> String {
    let spaced: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The body: CRLF and lone CR become `\n`; other control characters but the tab are dropped.
fn body_text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// One Message-ID, `<left@right>`; anything else (spaces, several, line breaks) is dropped.
fn message_id(value: &str) -> Option<String> {
    let id = value.trim();
    let inner = id.strip_prefix('<').and_then(|i| i.strip_suffix('>')).unwrap_or(id);
    let valid = inner.contains('@')
        && inner.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\' | ','));
    valid.then(|| format!("<{inner}>"))
}

/// A subject given as RFC 2047 encoded words (RFC 6068 §6.3 shows one), decoded; plain text
/// as it is.
fn decode_words(value: &str) -> String {
    if !value.contains("=?") {
        return value.to_string();
    }
    let header = format!("Subject: {}\r\n\r\n", header_text(value));
    mail_parser::MessageParser::default()
        .parse_headers(header.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| value.to_string())
}

#[cfg(test)]
#[path = "mailto_tests.rs"]
mod tests;
