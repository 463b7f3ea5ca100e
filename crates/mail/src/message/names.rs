//! Attachment names: RFC 2231 continuations that mail-parser gets wrong, and a name for a
//! part that has none.

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{HeaderName, Message, MessagePart, MimeHeaders};

/// The part's file name. mail-parser decodes each piece of an RFC 2231 continuation
/// (`filename*0*=iso-8859-1''…; filename*1*=…`) on its own, and only the first knows the
/// character set; such names are read again here from the raw field.
pub fn attachment_name(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let parsed = part.attachment_name()?;
    for (header, param) in [(HeaderName::ContentDisposition, "filename"), (HeaderName::ContentType, "name")] {
        let Some(field) = part.headers.iter().find(|h| h.name == header) else { continue };
        let Some(raw) = msg.raw_message().get(field.offset_start as usize..field.offset_end as usize) else {
            continue;
        };
        if let Some(name) = continued(&String::from_utf8_lossy(raw), param) {
            return Some(name);
        }
    }
    Some(parsed.to_string())
}

/// `param*0*=charset'lang'…; param*1*=…; param*2="…"` joined, then decoded as a whole.
fn continued(field: &str, param: &str) -> Option<String> {
    let mut pieces: Vec<(u32, bool, &str)> = Vec::new();
    for item in field.split(';').skip(1) {
        let Some((name, value)) = item.split_once('=') else { continue };
        let name = name.trim().to_ascii_lowercase();
        let Some(rest) = name.strip_prefix(param).and_then(|r| r.strip_prefix('*')) else { continue };
        let (number, encoded) = match rest.strip_suffix('*') {
            Some(n) => (n, true),
            None => (rest, false),
        };
        let Ok(number) = number.parse::<u32>() else { continue };
        let value = value.trim();
        pieces.push((
            number,
            encoded,
            value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value),
        ));
    }
    // Only continuations with an encoded piece after the first need this.
    if !pieces.iter().any(|&(n, encoded, _)| n > 0 && encoded) {
        return None;
    }
    pieces.sort_by_key(|&(n, _, _)| n);
    let mut charset = String::new();
    let mut bytes = Vec::new();
    for (n, encoded, value) in pieces {
        let mut value = value;
        if n == 0 && encoded {
            let mut parts = value.splitn(3, '\'');
            if let (Some(c), Some(_lang), Some(v)) = (parts.next(), parts.next(), parts.next()) {
                charset = c.to_string();
                value = v;
            }
        }
        if encoded {
            percent_decode(value, &mut bytes);
        } else {
            bytes.extend_from_slice(value.as_bytes());
        }
    }
    Some(match charset_decoder(charset.as_bytes()) {
        Some(decode) if !charset.is_empty() => decode(&bytes),
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    })
}

fn percent_decode(value: &str, out: &mut Vec<u8>) {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// A name for a part that gives none, from its type.
pub fn fallback(mime: &str) -> String {
    let ext = match mime {
        "image/png" => ".png",
        "image/jpeg" | "image/jpg" => ".jpg",
        "image/gif" => ".gif",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "text/calendar" | "application/ics" => ".ics",
        "message/rfc822" => ".eml",
        "application/rtf" | "text/rtf" => ".rtf",
        _ => "",
    };
    let stem = if mime.starts_with("image/") { "image" } else { "attachment" };
    format!("{stem}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_are_decoded_as_one_in_the_first_pieces_charset() {
        let field = " attachment;\r\n filename*0*=iso-8859-1''%C4rger%20;\r\n filename*1*=%FCber;\r\n filename*2=\" x.txt\"\r\n";
        assert_eq!(continued(field, "filename").as_deref(), Some("Ärger über x.txt"));
        // A Shift_JIS character split across two pieces.
        let field = " attachment; filename*0*=shift_jis''%8C; filename*1*=%A9.txt";
        assert_eq!(continued(field, "filename").as_deref(), Some("見.txt"));
        // Nothing to fix: mail-parser's own reading stands.
        assert_eq!(continued(" attachment; filename*=utf-8''a%20b", "filename"), None);
        assert_eq!(continued(" attachment; filename*0=\"a\"; filename*1=\"b\"", "filename"), None);
    }
}
