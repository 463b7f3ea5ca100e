//! Text from servers and from mail, made safe for a terminal. A greeting, an error reply,
//! a capability or a subject can carry escape sequences (set the window title, clear the
//! screen, write the clipboard through OSC 52) or bidi overrides that reorder what is shown:
//! here every such character becomes a visible escape (`\x1b`, `\u{9b}`, `\u{202e}`), and
//! the rest of the text stays as it was.
//!
//! Only for showing: a backslash is not escaped itself (so escaping twice changes nothing),
//! and machine output (JSON) keeps the exact text through [`json`].

use std::borrow::Cow;
use std::fmt::Write;

/// One line: every control character (C0 with tab, CR and LF, DEL, C1) and every bidi
/// override or isolate shown as an escape.
pub fn safe(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Text of several lines: as [`safe`], but line feeds and tabs stay, and a CR before a line
/// feed is dropped (a CR alone is escaped: it would let a line overwrite itself).
pub fn safe_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// JSON text (as serde_json writes it) with the characters that [`safe`] escapes written as
/// `\u` escapes. serde_json escapes C0 controls inside strings itself, so the only ones
/// left are the whitespace between tokens (kept); it writes DEL, C1 controls and bidi
/// overrides as they are. Those can only stand inside strings, where `\uXXXX` reads back as
/// the same character: the parsed text stays exact.
pub fn json(text: &str) -> Cow<'_, str> {
    let escaped = |c: char| dangerous(c) && !matches!(c, '\n' | '\r' | '\t');
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Control characters (`Cc`: U+0000–U+001F, U+007F–U+009F) and the bidi embeddings,
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069).
fn dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, lines: bool) -> Cow<'_, str> {
    let kept = |c: char| lines && (c == '\n' || c == '\t');
    if !text.chars().any(|c| dangerous(c) && !kept(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !dangerous(c) || kept(c) {
            out.push(c);
        } else if lines && c == '\r' && chars.peek() == Some(&'\n') {
            // CRLF line ends (mail, SMTP replies) read as plain line ends.
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_plain_text_is_borrowed() {
        let hostile = "+OK hi \x1b]52;c;SGVsbG8=\x07 \x1b[2J \x1b]0;title\x07";
        assert_eq!(safe(hostile), "+OK hi \\x1b]52;c;SGVsbG8=\\x07 \\x1b[2J \\x1b]0;title\\x07");
        assert_eq!(safe("a\tb\r\nc\0d\x7fe"), "a\\x09b\\x0d\\x0ac\\x00d\\x7fe");
        // C1 controls (CSI is U+009B) and bidi overrides, as Unicode escapes.
        assert_eq!(safe("x\u{9b}31my \u{202e}gnp.exe\u{2066}"), "x\\u{9b}31my \\u{202e}gnp.exe\\u{2066}");
        // Everything else, non-ASCII included, is left alone and not copied.
        let plain = "Grüße, 日本語 — «ok» \\x1b";
        assert!(matches!(safe(plain), Cow::Borrowed(_)));
        assert!(matches!(safe_lines("two\nlines\twith a tab"), Cow::Borrowed(_)));
    }

    #[test]
    fn several_lines_keep_their_line_feeds_and_lose_stray_carriage_returns() {
        assert_eq!(safe_lines("250-one\r\n250 two\x1b[2J\n"), "250-one\n250 two\\x1b[2J\n");
        assert_eq!(safe_lines("over\rwrite"), "over\\x0dwrite");
        assert_eq!(safe_lines("end\r"), "end\\x0d");
    }

    #[test]
    fn escaping_twice_changes_nothing() {
        let once = safe("\x1b]0;t\x07\n").into_owned();
        assert_eq!(safe(&once), once);
        assert_eq!(safe_lines(&once), once);
    }

    #[test]
    fn json_keeps_the_exact_text_and_no_raw_control() {
        let text = "\x1b]52;c;SGVsbG8=\x07 del\x7f c1\u{9b} \u{202e}rtl";
        let raw = serde_json::to_string_pretty(&serde_json::json!({ "greeting": text })).unwrap();
        let out = json(&raw);
        assert!(!out.chars().any(|c| dangerous(c) && c != '\n'), "{out}");
        assert!(out.starts_with("{\n  \"greeting\": \""), "the layout stays: {out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["greeting"], text);
        assert!(matches!(json("{\"a\": \"b\"}"), Cow::Borrowed(_)));
    }
}
