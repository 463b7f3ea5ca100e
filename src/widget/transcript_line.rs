//! A transcript line as the screens draw it: "C: a1 LOGIN <redacted>", with tabs turned into
//! spaces (fonts draw a tab as an empty box) and other control characters shown as their
//! visible symbols (␀, ␛…), so what a server sent is seen, not hidden.

use tidings_mail::net::Line;

/// Tab stops every this many columns, as terminals have them.
const TAB: usize = 8;

/// "C: " or "S: " and the line's text, ready to draw.
pub fn shown(line: &Line) -> String {
    let mut out = format!("{} ", line.dir.marker());
    let mut column = 0;
    for c in line.text.chars() {
        match c {
            '\t' => {
                let pad = TAB - column % TAB;
                out.extend(std::iter::repeat_n(' ', pad));
                column += pad;
            }
            // U+2400.. are the Control Pictures for C0; U+2421 for DEL.
            c if (c as u32) < 0x20 => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?'));
                column += 1;
            }
            '\u{7f}' => {
                out.push('\u{2421}');
                column += 1;
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tidings_mail::net::Dir;

    fn line(text: &str) -> Line {
        Line { at: Duration::ZERO, dir: Dir::Server, text: text.into() }
    }

    #[test]
    fn tabs_become_spaces_to_the_next_stop_and_controls_become_visible() {
        assert_eq!(shown(&line("a\tb")), "S: a       b");
        assert_eq!(shown(&line("\tx")), "S:         x");
        assert_eq!(shown(&line("12345678\ty")), "S: 12345678        y");
        assert_eq!(shown(&line("bell\u{7}\u{1b}[0m\u{7f}")), "S: bell␇␛[0m␡");
        assert!(!shown(&line("a\tb\tc")).contains('\t'));
    }
}
