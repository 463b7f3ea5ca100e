//! Text cut to a width with "…": iced 0.14's `text` has no ellipsis of its own, it clips.
//!
//! Widths are estimated from each character's advance in DejaVu Sans (the font the window
//! falls back to), rounded up, so an elided text ends with its "…" inside the column rather
//! than clipped at its edge. Cheap enough for every visible row on every view: one pass over
//! the characters, no font shaping.

use std::borrow::Cow;

const ELLIPSIS: char = '…';

/// Advance of `c` in ems, a little over DejaVu Sans's own.
fn advance(c: char) -> f32 {
    match c {
        ' ' | 'i' | 'j' | 'l' | 'I' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.34,
        'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' | '"' => 0.44,
        'm' | 'M' | 'W' => 1.0,
        'w' => 0.84,
        '@' | '%' => 1.0,
        'A'..='Z' => 0.74,
        '0'..='9' => 0.66,
        c if c.is_ascii() => 0.64,
        c if wide(c) => 1.02,
        _ => 0.74,
    }
}

/// Characters drawn a full em wide: CJK, kana, Hangul, full-width forms.
fn wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD)
}

/// Estimated width of `text` at `size` pixels (`bold`: bold faces are wider).
pub fn width(text: &str, size: f32, bold: bool) -> f32 {
    let ems: f32 = text.chars().map(advance).sum();
    ems * size * if bold { 1.1 } else { 1.0 }
}

/// `text` as it fits in `room` pixels at `size`: whole, or cut with "…".
pub fn elide(text: &str, room: f32, size: f32, bold: bool) -> Cow<'_, str> {
    let scale = size * if bold { 1.1 } else { 1.0 };
    let budget = room / scale;
    let mut used = 0.0;
    let mut fits_with_ellipsis = 0;
    let ellipsis = advance(ELLIPSIS);
    for (at, c) in text.char_indices() {
        used += advance(c);
        if used > budget {
            let cut = text[..fits_with_ellipsis].trim_end();
            return Cow::Owned(format!("{cut}{ELLIPSIS}"));
        }
        if used + ellipsis <= budget {
            fits_with_ellipsis = at + c.len_utf8();
        }
    }
    Cow::Borrowed(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_with_an_ellipsis_inside_its_room() {
        let subject = "Quarterly report for the board, with the appendix nobody reads #12";
        assert_eq!(elide(subject, 2000.0, 13.0, false), subject, "room enough: whole");
        let cut = elide(subject, 150.0, 13.0, false);
        assert!(cut.ends_with('…') && !cut.ends_with(" …"), "{cut}");
        assert!(width(&cut, 13.0, false) <= 150.0, "{cut} is wider than its room");
        assert!(subject.starts_with(cut.trim_end_matches('…')));
        // Bold takes more room; wide scripts count a full em a character.
        assert!(elide(subject, 150.0, 13.0, true).len() < cut.len());
        assert_eq!(elide("日本語のメールの件名です", 60.0, 12.0, false), "日本語の…");
        assert_eq!(elide("anything", 0.0, 13.0, false), "…");
    }
}
