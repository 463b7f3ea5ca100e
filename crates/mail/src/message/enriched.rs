//! text/enriched (RFC 1896, and the older `indent`/`verbatim` of RFC 1523/1563) as rich text.
//!
//! Commands set emphasis (bold, italic, underline, fixed, bigger, smaller) or the paragraph
//! layout (center, flushleft, flushright, flushboth, nofill, excerpt, indent, indentright,
//! paraindent, verbatim); a paragraph command starts and ends its own lines. `<param>` text
//! is dropped, unknown commands are ignored with their text kept, `<<` is `<`. Newlines
//! follow the RFC: outside nofill one line break is a space and n in a row give n−1.
//!
//! Mail is hostile input: commands may be unbalanced or nested without end. At most
//! [`MAX_DEPTH`] commands are open at once (more are ignored), a closing command without its
//! opening is ignored, the work is linear in the input, and the text is cut at
//! [`MAX_TEXT`] bytes (`Rich::cut`).

use super::rich::{Align, Block, Emphasis, Piece, Rich};

/// Commands open at once; deeper ones are ignored.
pub const MAX_DEPTH: usize = 64;
/// Bytes of text kept; the rest is cut.
pub const MAX_TEXT: usize = 1 << 20;
/// Styled runs kept (a run per character would otherwise cost a piece per byte).
const MAX_PIECES: usize = 50_000;
/// The RFC's limit on a command's name.
const MAX_NAME: usize = 60;

/// The commands that change anything; the rest are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Bold,
    Italic,
    Underline,
    Fixed,
    Bigger,
    Smaller,
    Center,
    FlushLeft,
    FlushRight,
    FlushBoth,
    NoFill,
    Excerpt,
    Indent,
    IndentRight,
    ParaIndent,
}

impl Command {
    fn parse(name: &str) -> Option<Command> {
        Some(match name.to_ascii_lowercase().as_str() {
            "bold" => Command::Bold,
            "italic" => Command::Italic,
            "underline" => Command::Underline,
            "fixed" => Command::Fixed,
            "bigger" => Command::Bigger,
            "smaller" => Command::Smaller,
            "center" => Command::Center,
            "flushleft" => Command::FlushLeft,
            "flushright" => Command::FlushRight,
            "flushboth" => Command::FlushBoth,
            "nofill" => Command::NoFill,
            "excerpt" => Command::Excerpt,
            "indent" => Command::Indent,
            "indentright" => Command::IndentRight,
            "paraindent" => Command::ParaIndent,
            _ => return None,
        })
    }

    /// Paragraph commands begin and end on a line of their own.
    fn is_paragraph(self) -> bool {
        !matches!(
            self,
            Command::Bold
                | Command::Italic
                | Command::Underline
                | Command::Fixed
                | Command::Bigger
                | Command::Smaller
        )
    }
}

/// Renders a text/enriched body (already decoded to text).
pub fn render(text: &str) -> Rich {
    let bytes = text.as_bytes();
    let mut out = Out::default();
    let mut stack: Vec<Command> = Vec::new();
    let mut param_end = Finder::new(b"</param>");
    let mut verbatim_end = Finder::new(b"</verbatim>");
    let mut i = 0;
    while i < bytes.len() && !out.rich.cut {
        match bytes[i] {
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                out.text("<");
                i += 2;
            }
            b'<' => {
                let Some((closing, name, after)) = command_at(text, i) else {
                    // Not a command (a stray "<"): kept as text.
                    out.text("<");
                    i += 1;
                    continue;
                };
                i = after;
                let lower = name.to_ascii_lowercase();
                if lower == "param" && !closing {
                    // Its text is for the command before it; none we follow needs it.
                    if let Some(end) = param_end.find(bytes, i) {
                        i = end + b"</param>".len();
                    }
                } else if lower == "verbatim" && !closing {
                    let end = verbatim_end.find(bytes, i).unwrap_or(bytes.len());
                    out.verbatim(&text[i..end]);
                    i = (end + b"</verbatim>".len()).min(bytes.len());
                } else if let Some(command) = Command::parse(name) {
                    if closing {
                        // The innermost open one of that name (commands may be unbalanced).
                        if let Some(at) = stack.iter().rposition(|&c| c == command) {
                            if command.is_paragraph() {
                                out.line_break();
                            }
                            stack.remove(at);
                            out.restyle(&stack);
                        }
                    } else if stack.len() < MAX_DEPTH {
                        if command.is_paragraph() {
                            out.line_break();
                        }
                        stack.push(command);
                        out.restyle(&stack);
                    }
                }
            }
            b'\r' | b'\n' => {
                let mut breaks = 0;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\r' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
                        b'\r' | b'\n' => i += 1,
                        _ => break,
                    }
                    breaks += 1;
                }
                out.newlines(breaks);
            }
            _ => {
                let end = bytes[i..]
                    .iter()
                    .position(|&b| matches!(b, b'<' | b'\r' | b'\n'))
                    .map_or(bytes.len(), |p| i + p);
                out.text(&text[i..end]);
                i = end;
            }
        }
    }
    out.finish()
}

/// A command at `at` (which holds "<"): whether it closes, its name, and where it ends.
fn command_at(text: &str, at: usize) -> Option<(bool, &str, usize)> {
    let rest = &text.as_bytes()[at + 1..];
    let closing = rest.first() == Some(&b'/');
    let start = at + 1 + usize::from(closing);
    let len = text.as_bytes()[start..]
        .iter()
        .take(MAX_NAME + 1)
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-'))?;
    if len == 0 || len > MAX_NAME || text.as_bytes().get(start + len) != Some(&b'>') {
        return None;
    }
    Some((closing, &text[start..start + len], start + len + 1))
}

/// Finds a closing command (ASCII, any case) from a position that only moves forward,
/// remembering the last answer so that many unclosed openings cost one scan, not one each.
struct Finder {
    needle: &'static [u8],
    /// The last search: where it started and what it found.
    last: Option<(usize, Option<usize>)>,
}

impl Finder {
    fn new(needle: &'static [u8]) -> Finder {
        Finder { needle, last: None }
    }

    fn find(&mut self, hay: &[u8], from: usize) -> Option<usize> {
        if let Some((start, found)) = self.last {
            match found {
                Some(at) if from >= start && from <= at => return found,
                None if from >= start => return None,
                _ => {}
            }
        }
        let found = hay
            .get(from..)?
            .windows(self.needle.len())
            .position(|w| w.eq_ignore_ascii_case(self.needle))
            .map(|p| from + p);
        self.last = Some((from, found));
        found
    }
}

/// The rich text being built, with the style in effect.
#[derive(Default)]
struct Out {
    rich: Rich,
    emphasis: Emphasis,
    block: Block,
    len: usize,
    /// Nothing is on the current line yet.
    fresh_line: bool,
    started: bool,
}

impl Out {
    fn restyle(&mut self, stack: &[Command]) {
        let mut emphasis = Emphasis::default();
        let mut block = Block::default();
        let mut size: i32 = 0;
        for command in stack {
            match command {
                Command::Bold => emphasis.strong = true,
                Command::Italic => emphasis.italic = true,
                Command::Underline => emphasis.underline = true,
                Command::Fixed => emphasis.code = true,
                Command::Bigger => size += 1,
                Command::Smaller => size -= 1,
                // The innermost alignment wins.
                Command::Center => block.align = Align::Center,
                Command::FlushLeft => block.align = Align::Left,
                Command::FlushRight => block.align = Align::Right,
                Command::FlushBoth => block.align = Align::Justify,
                Command::NoFill => block.nofill = true,
                Command::Excerpt => block.quote = block.quote.saturating_add(1),
                Command::Indent | Command::ParaIndent => block.indent = block.indent.saturating_add(1),
                Command::IndentRight => block.indent_right = block.indent_right.saturating_add(1),
            }
        }
        emphasis.size = size.clamp(i8::MIN.into(), i8::MAX.into()) as i8;
        self.emphasis = emphasis;
        self.block = block;
    }

    fn text(&mut self, text: &str) {
        if !text.is_empty() {
            self.push(text, self.emphasis, self.block);
        }
    }

    /// `n` line breaks in a row in the source.
    fn newlines(&mut self, n: usize) {
        if self.block.nofill {
            self.breaks(n);
        } else if n > 1 {
            self.breaks(n - 1);
        } else if self.started && !self.fresh_line && !self.ends_with_space() {
            self.push(" ", self.emphasis, self.block);
        }
    }

    fn breaks(&mut self, n: usize) {
        // Blank lines before any text show nothing.
        if !self.started {
            return;
        }
        self.trim_line_end();
        // Bounded by the text cap: each break is a byte of text.
        for _ in 0..n {
            if self.rich.cut {
                return;
            }
            self.push("\n", self.emphasis, self.block);
        }
    }

    /// Ends the current line unless it is empty (a paragraph command starts or ends).
    fn line_break(&mut self) {
        if self.started && !self.fresh_line {
            self.trim_line_end();
            self.push("\n", self.emphasis, self.block);
        }
    }

    /// Text inside `<verbatim>`: as is, lines kept, monospace.
    fn verbatim(&mut self, text: &str) {
        self.line_break();
        let emphasis = Emphasis { code: true, ..self.emphasis };
        let block = Block { nofill: true, ..self.block };
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.push("\n", emphasis, block);
            }
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.is_empty() {
                self.push(line, emphasis, block);
            }
            if self.rich.cut {
                return;
            }
        }
        self.line_break();
    }

    /// Spaces before a line break in filled text show nothing.
    fn trim_line_end(&mut self) {
        let Some(last) = self.rich.pieces.last_mut() else { return };
        if last.block.nofill {
            return;
        }
        let kept = last.text.trim_end_matches([' ', '\t']).len();
        self.len -= last.text.len() - kept;
        last.text.truncate(kept);
        if last.text.is_empty() {
            self.rich.pieces.pop();
        }
    }

    fn ends_with_space(&self) -> bool {
        self.rich.pieces.last().is_some_and(|p| p.text.ends_with([' ', '\t']))
    }

    fn push(&mut self, text: &str, emphasis: Emphasis, block: Block) {
        if self.rich.cut {
            return;
        }
        let mut text = text;
        if self.len + text.len() > MAX_TEXT {
            let mut at = MAX_TEXT - self.len;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text = &text[..at];
            self.rich.cut = true;
        }
        self.len += text.len();
        self.started = true;
        self.fresh_line = text.ends_with('\n');
        let full = self.rich.pieces.len() >= MAX_PIECES;
        match self.rich.pieces.last_mut() {
            Some(last) if last.emphasis == emphasis && last.block == block => last.text.push_str(text),
            // A line end takes the style of the line it ends.
            Some(last) if last.block == block && text.bytes().all(|b| b == b'\n') => last.text.push_str(text),
            _ if full => self.rich.cut = true,
            _ => self.rich.pieces.push(Piece { text: text.to_string(), emphasis, block, ..Piece::default() }),
        }
    }

    fn finish(mut self) -> Rich {
        // Trailing line breaks and spaces show nothing.
        while let Some(last) = self.rich.pieces.last_mut() {
            let kept = last.text.trim_end().len();
            last.text.truncate(kept);
            if !last.text.is_empty() {
                break;
            }
            self.rich.pieces.pop();
        }
        self.rich
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(rich: &'a Rich, text: &str) -> &'a Piece {
        rich.pieces
            .iter()
            .find(|p| p.text.contains(text))
            .unwrap_or_else(|| panic!("no piece with {text:?} in {rich:#?}"))
    }

    /// RFC 1896's own example ("An Example"), and the text it says that represents.
    #[test]
    fn the_rfc_example() {
        let source = "<bold>Now</bold> is the time for <italic>all</italic>\r\n\
            good men\r\n\
            <smaller>(and <<women>)</smaller> to\r\n\
            <ignoreme>come</ignoreme>\r\n\
            \r\n\
            to the aid of their\r\n\
            \r\n\
            \r\n\
            <color><param>red</param>beloved</color>\r\n\
            country.\r\n\
            \r\n\
            By the way,\r\n\
            I think that <paraindent><param>left</param><<smaller>\r\n\
            \r\n\
            </paraindent>should REALLY be called\r\n\
            \r\n\
            <paraindent><param>left</param><<tinier></paraindent>\r\n\
            and that I am always right.\r\n\
            \r\n\
            <center>-- the end</center>\r\n";
        let rich = render(source);
        assert_eq!(
            rich.plain(),
            "Now is the time for all good men (and <women>) to come\n\
             to the aid of their\n\
             \n\
             beloved country.\n\
             By the way, I think that\n    \
             <smaller>\n\
             should REALLY be called\n    \
             <tinier>\n\
             and that I am always right.\n\
             -- the end"
        );
        assert_eq!(find(&rich, "Now").text, "Now");
        assert!(find(&rich, "Now").emphasis.strong);
        assert!(find(&rich, "all").emphasis.italic && !find(&rich, "all").emphasis.strong);
        assert_eq!(find(&rich, "(and <women>)").emphasis.size, -1);
        assert_eq!(find(&rich, " to come").emphasis, Emphasis::default());
        assert_eq!(find(&rich, "<tinier>").block.indent, 1);
        assert_eq!(find(&rich, "should REALLY").block, Block::default());
        assert_eq!(find(&rich, "-- the end").block.align, Align::Center);
        assert!(!rich.plain().contains("red") && !rich.cut);
    }

    #[test]
    fn newlines_one_is_a_space_n_give_n_minus_one() {
        assert_eq!(render("a\nb").plain(), "a b");
        assert_eq!(render("a\r\nb").plain(), "a b");
        assert_eq!(render("a\n\nb").plain(), "a\nb");
        assert_eq!(render("a\r\n\r\n\r\nb").plain(), "a\n\nb");
        assert_eq!(render("a\n\n\n\nb").plain(), "a\n\n\nb");
        // A line already ending in a space gets no second one; a leading one is dropped.
        assert_eq!(render("\na \nb").plain(), "a b");
        // Not inside nofill: every line break is kept.
        assert_eq!(render("<nofill>a\nb\n\nc</nofill>\nd").plain(), "a\nb\n\nc\nd");
        assert!(find(&render("<nofill>a\nb</nofill>"), "a\nb").block.nofill);
    }

    #[test]
    fn emphasis_commands_nest_and_are_case_insensitive() {
        let rich = render(
            "<BOLD>b <Italic>bi <underline>biu</underline></italic></bold> \
             <fixed>f</fixed> <bigger><bigger>big</bigger></bigger>",
        );
        assert_eq!(find(&rich, "b ").emphasis, Emphasis { strong: true, ..Emphasis::default() });
        assert_eq!(
            find(&rich, "biu").emphasis,
            Emphasis { strong: true, italic: true, underline: true, ..Emphasis::default() }
        );
        assert!(find(&rich, "f").emphasis.code);
        assert_eq!(find(&rich, "big").emphasis.size, 2);
        assert_eq!(rich.plain(), "b bi biu f big");
    }

    #[test]
    fn paragraph_commands_take_lines_of_their_own() {
        let rich = render(
            "Before <excerpt>quoted\n\n<excerpt>deeper</excerpt></excerpt>after \
             <flushright>right</flushright><flushboth>both</flushboth>\
             <indentright>narrow</indentright><indent>in <center>mid</center></indent>end",
        );
        assert_eq!(
            rich.plain(),
            "Before\n> quoted\n> > deeper\nafter\nright\nboth\nnarrow\n    in\n    mid\nend"
        );
        assert_eq!(find(&rich, "quoted").block.quote, 1);
        assert_eq!(find(&rich, "deeper").block.quote, 2);
        assert_eq!(find(&rich, "after").block, Block::default());
        assert_eq!(find(&rich, "right").block.align, Align::Right);
        assert_eq!(find(&rich, "both").block.align, Align::Justify);
        assert_eq!(find(&rich, "narrow").block.indent_right, 1);
        assert_eq!(find(&rich, "mid").block, Block { align: Align::Center, indent: 1, ..Block::default() });
    }

    #[test]
    fn verbatim_interprets_nothing_until_its_end() {
        let rich = render("Code:<verbatim><bold>x</bold> <<\r\n  y\n</VERBATIM>after");
        assert_eq!(rich.plain(), "Code:\n<bold>x</bold> <<\n  y\nafter");
        let code = find(&rich, "<bold>");
        assert!(code.emphasis.code && !code.emphasis.strong && code.block.nofill);
        assert!(!find(&rich, "after").emphasis.code);
        // Unclosed: the rest is verbatim.
        assert_eq!(render("<verbatim>a <bold>b").plain(), "a <bold>b");
    }

    #[test]
    fn params_are_dropped_unknown_commands_ignored_and_stray_brackets_kept() {
        let rich = render(
            "<fontfamily><param>Times New Roman</param>Hi</fontfamily> \
             <x-custom>there</x-custom>, 1 < 2 <and>3 <<x> <",
        );
        assert_eq!(rich.plain(), "Hi there, 1 < 2 3 <x> <");
        // A <param> never closed hides nothing.
        assert_eq!(render("<param>shown").plain(), "shown");
    }

    #[test]
    fn unbalanced_commands_are_tolerated() {
        let rich = render("</bold>The <bold><italic>red</bold> hat</italic> <italic>sat");
        assert_eq!(rich.plain(), "The red hat sat");
        assert_eq!(
            find(&rich, "red").emphasis,
            Emphasis { strong: true, italic: true, ..Emphasis::default() }
        );
        assert_eq!(find(&rich, " hat").emphasis, Emphasis { italic: true, ..Emphasis::default() });
        assert!(find(&rich, "sat").emphasis.italic);
        assert_eq!(render("</excerpt></center>x").plain(), "x");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep =
            format!("{}x{}", "<excerpt><bigger>".repeat(100_000), "</bigger></excerpt>".repeat(100_000));
        let rich = render(&deep);
        assert_eq!(rich.pieces.len(), 1, "{:?}", &rich.pieces[..rich.pieces.len().min(3)]);
        let piece = &rich.pieces[0];
        assert_eq!(piece.text, "x");
        assert_eq!(usize::from(piece.block.quote) + piece.emphasis.size as usize, MAX_DEPTH);
    }

    #[test]
    fn hostile_repetition_stays_linear_and_bounded() {
        // Each unclosed <param> and <verbatim> would be a scan to the end if searched anew.
        let params = "<param>".repeat(300_000);
        assert_eq!(render(&params).pieces.len(), 0);
        let big = "word ".repeat(MAX_TEXT / 4);
        let rich = render(&big);
        assert!(rich.cut);
        assert_eq!(rich.plain().len(), MAX_TEXT, "cut at the bound");
        let styled = "<bold>a</bold>b".repeat(MAX_PIECES);
        let rich = render(&styled);
        assert!(rich.cut && rich.pieces.len() == MAX_PIECES);
        let breaks = render(&"\n".repeat(3 * MAX_TEXT));
        assert!(breaks.pieces.is_empty() && !breaks.cut, "only line breaks: nothing to show");
        // Multi-byte text cut on a character boundary.
        let wide = render(&"é".repeat(MAX_TEXT));
        assert!(wide.cut && wide.plain().chars().all(|c| c == 'é'));
    }
}
