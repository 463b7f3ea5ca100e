//! A raw message turned into what the reader shows: the body (text or HTML as rich text) and
//! the attachment list. Everything here is CPU work on bytes; it runs in a task, never in
//! `update` or `view`.
//!
//! This is a deliberately small MIME reader (multipart walking, base64, quoted-printable, a
//! few charsets, RFC 2231/2047 file names) standing in for the core's mail-parser until the
//! core offers a display model (`tidings_mail::message::render` is the proposed swap: only
//! [`render`] would change). Headers come from the core already (`sync::headers::summary`).

use tidings_mail::options::BodyFormat;
use tidings_mail::store::Summary;

use super::html::{self, Rich};

/// Longest body shown; beyond it the text is cut with a note (a 5 MB log pasted into a mail
/// would otherwise cost seconds of layout).
const MAX_BODY_CHARS: usize = 400_000;
/// Deepest MIME nesting followed.
const MAX_DEPTH: usize = 16;

/// What the reader shows of one message.
#[derive(Debug, Clone, Default)]
pub struct DisplayMessage {
    pub headers: Summary,
    pub body: Body,
    pub attachments: Vec<Attachment>,
    /// Remote images (and other remote resources) the HTML refers to; none was fetched.
    pub remote_blocked: usize,
    /// Things worth saying about how the message is shown (cut, unknown charset…).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub enum Body {
    #[default]
    Empty,
    Text(String),
    Html(Rich),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// type/subtype, lower case.
    pub mime: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// Reads a raw message. `fallback` is the list's summary, used when the header cannot be
/// read (an error row).
pub fn render(raw: &[u8], prefer: BodyFormat, fallback: &Summary) -> DisplayMessage {
    let headers = tidings_mail::sync::headers::summary(raw).unwrap_or_else(|_| fallback.clone());
    let mut found = Found::default();
    walk(raw, 0, &mut found);
    let mut notes = found.notes;
    let use_html = match prefer {
        BodyFormat::PlainText => found.plain.is_none(),
        BodyFormat::Html | BodyFormat::Best => found.html.is_some(),
    };
    let (body, remote_blocked) = match (use_html, found.html, found.plain) {
        (true, Some(markup), _) => {
            let rich = html::render(&markup);
            let remote = rich.remote;
            (Body::Html(rich), remote)
        }
        (_, _, Some(text)) => (Body::Text(cut(text, &mut notes)), 0),
        (_, Some(markup), None) => {
            let rich = html::render(&markup);
            let remote = rich.remote;
            (Body::Html(rich), remote)
        }
        (_, None, None) => (Body::Empty, 0),
    };
    DisplayMessage { headers, body, attachments: found.attachments, remote_blocked, notes }
}

fn cut(mut text: String, notes: &mut Vec<String>) -> String {
    if let Some((at, _)) = text.char_indices().nth(MAX_BODY_CHARS) {
        text.truncate(at);
        notes.push(format!("Only the first {MAX_BODY_CHARS} characters of this message are shown."));
    }
    text
}

#[derive(Default)]
struct Found {
    plain: Option<String>,
    html: Option<String>,
    attachments: Vec<Attachment>,
    notes: Vec<String>,
}

/// One MIME entity (a whole message or a part): its header fields and its raw body.
fn walk(entity: &[u8], depth: usize, found: &mut Found) {
    let (head, body) = split(entity);
    let head = fields(head);
    let ctype = ContentType::parse(field(&head, "content-type"));
    let encoding = field(&head, "content-transfer-encoding").unwrap_or("").trim().to_ascii_lowercase();
    let disposition = field(&head, "content-disposition").map(ContentType::parse_params);
    let filename = disposition
        .as_ref()
        .and_then(|d| param(&d.params, "filename"))
        .or_else(|| param(&ctype.params, "name"));
    let attached = disposition.as_ref().is_some_and(|d| d.mime == "attachment");

    if ctype.mime.starts_with("multipart/") && depth < MAX_DEPTH {
        let Some(boundary) = param(&ctype.params, "boundary") else { return };
        let parts = multipart(body, &boundary);
        match ctype.mime.as_str() {
            // Every text form (and nested multiparts), so the preference can choose.
            "multipart/alternative" => {
                for part in parts {
                    let t = ContentType::parse(field(&fields(split(part).0), "content-type")).mime;
                    if t == "text/plain" || t == "text/html" || t.starts_with("multipart/") {
                        walk(part, depth + 1, found);
                    }
                }
            }
            // The root part only: the rest are its inline images, which are never shown.
            "multipart/related" => {
                if let Some(root) = parts.first() {
                    walk(root, depth + 1, found);
                }
            }
            _ => {
                for part in parts {
                    walk(part, depth + 1, found);
                }
            }
        }
        return;
    }

    let decoded = transfer_decode(body, &encoding);
    let is_text = ctype.mime == "text/plain" || ctype.mime == "text/html";
    if attached || !is_text || (filename.is_some() && !matches!(&disposition, Some(d) if d.mime == "inline"))
    {
        let name = filename.map(|n| decode_words(&n)).unwrap_or_else(|| match ctype.mime.as_str() {
            "message/rfc822" => "forwarded message.eml".to_string(),
            _ => "unnamed part".to_string(),
        });
        found.attachments.push(Attachment { name, mime: ctype.mime, size: decoded.len() });
        return;
    }
    let charset = param(&ctype.params, "charset").unwrap_or_else(|| "us-ascii".into());
    let text = decode_charset(&decoded, &charset, &mut found.notes);
    let slot = if ctype.mime == "text/html" { &mut found.html } else { &mut found.plain };
    match slot {
        None => *slot = Some(text),
        // Several inline text parts (a mixed message with a footer): one after the other.
        Some(earlier) => {
            earlier.push_str("\n\n");
            earlier.push_str(&text);
        }
    }
}

/// Header block and body, split at the first empty line (CRLF or LF).
fn split(entity: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    // A part may start with its empty line (no header at all).
    if entity.starts_with(b"\r\n") {
        return (&[], &entity[2..]);
    }
    if entity.starts_with(b"\n") {
        return (&[], &entity[1..]);
    }
    while let Some(nl) = entity[i..].iter().position(|&b| b == b'\n') {
        let at = i + nl + 1;
        if entity[at..].starts_with(b"\r\n") {
            return (&entity[..at], &entity[at + 2..]);
        }
        if entity[at..].starts_with(b"\n") {
            return (&entity[..at], &entity[at + 1..]);
        }
        i = at;
    }
    (entity, &[])
}

/// Unfolded header fields, names lower case.
fn fields(head: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(head);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// A Content-Type (or Content-Disposition: `mime` is then the disposition) with parameters.
struct ContentType {
    mime: String,
    params: Vec<(String, String)>,
}

impl ContentType {
    fn parse(value: Option<&str>) -> ContentType {
        match value {
            Some(v) => {
                let mut ct = ContentType::parse_params(v);
                if !ct.mime.contains('/') {
                    ct.mime = "text/plain".into();
                }
                ct
            }
            None => ContentType { mime: "text/plain".into(), params: Vec::new() },
        }
    }

    fn parse_params(value: &str) -> ContentType {
        let mut pieces = split_params(value).into_iter();
        let mime = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
        let params = pieces
            .filter_map(|p| {
                let (name, value) = p.split_once('=')?;
                let value = value.trim();
                let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
                Some((name.trim().to_ascii_lowercase(), value.replace("\\\"", "\"")))
            })
            .collect();
        ContentType { mime, params }
    }
}

/// Splits at semicolons outside quotes.
fn split_params(value: &str) -> Vec<String> {
    let (mut out, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out
}

/// A parameter, with RFC 2231 forms (`name*=utf-8''a%20b`, `name*0=…; name*1=…`).
fn param(params: &[(String, String)], name: &str) -> Option<String> {
    if let Some((_, v)) = params.iter().find(|(n, _)| n == name) {
        return Some(v.clone());
    }
    if let Some((_, v)) = params.iter().find(|(n, _)| *n == format!("{name}*")) {
        return Some(rfc2231(v));
    }
    let mut joined = String::new();
    let mut encoded = false;
    for i in 0.. {
        let plain = format!("{name}*{i}");
        let star = format!("{name}*{i}*");
        match params.iter().find(|(n, _)| *n == plain || *n == star) {
            Some((n, v)) => {
                encoded |= i == 0 && n.ends_with('*');
                joined.push_str(v);
            }
            None => break,
        }
    }
    (!joined.is_empty()).then(|| if encoded { rfc2231(&joined) } else { joined })
}

/// `charset'lang'percent-encoded` → text.
fn rfc2231(value: &str) -> String {
    let (charset, text) = match value.splitn(3, '\'').collect::<Vec<_>>()[..] {
        [charset, _, text] => (charset.to_string(), text),
        _ => ("utf-8".to_string(), value),
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1).and_then(|&h| hex(h)), bytes.get(i + 2).and_then(|&l| hex(l))) {
            (b'%', Some(h), Some(l)) => {
                out.push(h << 4 | l);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    decode_charset(&out, &charset, &mut Vec::new())
}

/// The parts of a multipart body (without the preamble and epilogue).
fn multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut line_start = 0;
    while line_start < body.len() {
        let line_end =
            body[line_start..].iter().position(|&b| b == b'\n').map_or(body.len(), |p| line_start + p);
        let line = &body[line_start..line_end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(delimiter) {
            let rest = &line[delimiter.len()..];
            if let Some(s) = start {
                // The CRLF before a delimiter belongs to the delimiter.
                let mut end = line_start;
                if end > s && body[end - 1] == b'\n' {
                    end -= 1;
                    if end > s && body[end - 1] == b'\r' {
                        end -= 1;
                    }
                }
                parts.push(&body[s..end]);
            }
            if rest.starts_with(b"--") {
                return parts;
            }
            start = Some((line_end + 1).min(body.len()));
        }
        line_start = line_end + 1;
    }
    // No closing delimiter (a cut message): keep what came.
    if let Some(s) = start {
        parts.push(&body[s..]);
    }
    parts
}

fn transfer_decode(body: &[u8], encoding: &str) -> Vec<u8> {
    match encoding {
        "base64" => base64(body),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_vec(),
    }
}

fn base64(input: &[u8]) -> Vec<u8> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' | b'-' => Some(62),
            b'/' | b'_' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input {
        if c == b'=' {
            break;
        }
        let Some(v) = value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'=' {
            match (input.get(i + 1), input.get(i + 2)) {
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                (Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                    out.push(hex(h).unwrap_or(0) << 4 | hex(l).unwrap_or(0));
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

/// Windows-1252's characters at 0x80–0x9F (where Latin-1 has control characters).
const CP1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}',
    '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn decode_charset(bytes: &[u8], charset: &str, notes: &mut Vec<String>) -> String {
    let charset = charset.trim().to_ascii_lowercase();
    match charset.as_str() {
        "utf-8" | "utf8" | "us-ascii" | "ascii" | "" => String::from_utf8_lossy(bytes).into_owned(),
        "iso-8859-1" | "latin1" | "iso-8859-15" | "latin-1" => bytes.iter().map(|&b| b as char).collect(),
        "windows-1252" | "cp1252" => bytes
            .iter()
            .map(|&b| if (0x80..0xa0).contains(&b) { CP1252[usize::from(b - 0x80)] } else { b as char })
            .collect(),
        other => {
            // Most mail is UTF-8 or a Latin-1 superset; decode what we can and say so.
            let note = format!("The character set {other} is not supported yet; the text may look wrong.");
            if !notes.contains(&note) {
                notes.push(note);
            }
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// RFC 2047 encoded words (`=?utf-8?B?…?=`), as found in attachment names.
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("=?") {
        let after = &rest[start + 2..];
        let decoded = after.split_once('?').and_then(|(charset, tail)| {
            let (enc, tail) = tail.split_once('?')?;
            let (text, tail) = tail.split_once("?=")?;
            let bytes = match enc.to_ascii_lowercase().as_str() {
                "b" => base64(text.as_bytes()),
                "q" => quoted_printable(text.replace('_', " ").as_bytes()),
                _ => return None,
            };
            Some((decode_charset(&bytes, charset, &mut Vec::new()), tail))
        });
        match decoded {
            Some((text, tail)) => {
                let between = &rest[..start];
                // Whitespace between two encoded words is dropped.
                if !between.trim().is_empty() || out.is_empty() {
                    out.push_str(between);
                }
                out.push_str(&text);
                rest = tail;
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &[u8] = b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n\
        Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=\r\nDate: Tue, 1 Oct 2024 10:00:00 +0000\r\n\
        Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n\
        --outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n\
        --inner\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe, soft=\r\nbreak\r\n\
        --inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p>\r\n\
        --inner--\r\n\
        --outer\r\nContent-Type: application/pdf; name=\"=?utf-8?B?UsOpc3Vtw6kucGRm?=\"\r\n\
        Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.pdf\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8s\r\nIHdvcmxk\r\n\
        --outer--\r\nepilogue\r\n";

    #[test]
    fn a_mixed_message_gives_its_text_forms_and_attachments() {
        let m = render(MIXED, BodyFormat::PlainText, &Summary::default());
        assert_eq!(m.headers.subject.as_deref(), Some("Grüße"));
        assert_eq!(m.headers.from_addr.as_deref(), Some("alice@example.test"));
        match &m.body {
            Body::Text(t) => assert_eq!(t, "Grüße, softbreak"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            m.attachments,
            [Attachment { name: "résumé final.pdf".into(), mime: "application/pdf".into(), size: 12 }]
        );
        let m = render(MIXED, BodyFormat::Best, &Summary::default());
        assert!(matches!(m.body, Body::Html(_)), "{:?}", m.body);
    }

    #[test]
    fn odd_messages_still_show_something() {
        // No MIME at all, LF line endings.
        let m = render(b"Subject: x\n\nJust text\n", BodyFormat::Best, &Summary::default());
        assert!(matches!(&m.body, Body::Text(t) if t == "Just text\n"));
        // No header (an error row): the list's summary stands in.
        let fallback = Summary { subject: Some("from the list".into()), ..Summary::default() };
        let m = render(b"\r\n\r\n", BodyFormat::Best, &fallback);
        assert_eq!(m.headers.subject.as_deref(), Some("from the list"));
        // A cut multipart and an unknown charset.
        let cut = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
            Content-Type: text/plain; charset=koi8-r\r\n\r\nhalf a mess";
        let m = render(cut, BodyFormat::Best, &Summary::default());
        assert!(matches!(&m.body, Body::Text(t) if t == "half a mess"));
        assert_eq!(m.notes.len(), 1, "{:?}", m.notes);
        assert_eq!(decode_words("=?utf-8?q?a?= =?utf-8?q?b?= c"), "ab c");
        assert_eq!(base64(b"SGVsbG8="), b"Hello");
    }
}
