//! The text side of the writer: white space, lines, and the pieces text goes into.

use super::{Effect, MAX_LINK_BYTES, Raw, Writer, is_invisible, is_space};
use crate::message::rich::Piece;

impl Writer {
    pub(super) fn characters(&mut self, text: &str) {
        match self.raw {
            Some(Raw::Drop) => return,
            Some(Raw::Css) => return self.css.push_str(text),
            None => {}
        }
        if self.hidden {
            return;
        }
        if self.pre {
            self.pre_text(text);
        } else {
            self.flow_text(text);
        }
        self.pre_fresh = false;
    }

    /// Text whose white space collapses: runs of it are one space, none at line ends.
    pub(super) fn flow_text(&mut self, text: &str) {
        let mut rest = text;
        while let Some(&first) = rest.as_bytes().first() {
            if self.joins_last() {
                return self.append_collapsed(rest);
            }
            // Split on ASCII bytes only: both ends are character boundaries.
            if is_space(first) {
                let end = rest.bytes().position(|b| !is_space(b)).unwrap_or(rest.len());
                self.space();
                rest = &rest[end..];
            } else {
                let end = rest.bytes().position(is_space).unwrap_or(rest.len());
                self.word(&rest[..end]);
                rest = &rest[end..];
            }
        }
    }

    /// Text written now continues the last piece: same line, same style, nothing between.
    pub(super) fn joins_last(&self) -> bool {
        self.line_text
            && self.pending == 0
            && !self.tab
            && self.block == self.line_block
            && self.last_style == Some((self.emphasis, self.link_id, self.block))
    }

    /// The common case of [`Self::flow_text`], at a byte's cost: text appended to the last
    /// piece as it comes, white space collapsed.
    pub(super) fn append_collapsed(&mut self, text: &str) {
        let Some(last) = self.pieces.last_mut() else { return };
        let out = &mut last.text;
        let bytes = text.as_bytes();
        // Most runs of text have single spaces only: taken whole (memchr's searches are fast).
        if !(self.space_at_end && bytes.first() == Some(&b' '))
            && memchr::memchr3(b'\t', b'\n', b'\x0c', bytes).is_none()
            && memchr::memmem::find(bytes, b"  ").is_none()
        {
            out.push_str(text);
            self.space_at_end = text.ends_with(' ');
            return;
        }
        out.reserve(text.len());
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            if is_space(bytes[i]) {
                while i < bytes.len() && is_space(bytes[i]) {
                    i += 1;
                }
                if !self.space_at_end {
                    out.push(' ');
                    self.space_at_end = true;
                }
            } else {
                while i < bytes.len() && !is_space(bytes[i]) {
                    i += 1;
                }
                out.push_str(&text[start..i]);
                self.space_at_end = false;
            }
        }
    }

    pub(super) fn pre_text(&mut self, text: &str) {
        let text = if self.pre_fresh { text.strip_prefix('\n').unwrap_or(text) } else { text };
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.line_break();
            }
            if !line.is_empty() {
                self.before_text();
                self.push(line);
                self.wrote_text();
            }
        }
    }

    pub(super) fn word(&mut self, word: &str) {
        let mut word = word;
        if self.at_line_start() {
            // No-break spaces and invisible characters starting a line are written only if
            // text follows: a line of `&nbsp;` is an empty line.
            let text = word.trim_start_matches(|c: char| c.is_whitespace() || is_invisible(c));
            let lead = &word[..word.len() - text.len()];
            self.lead.extend(lead.chars().filter(|&c| !is_invisible(c)));
            if text.is_empty() {
                return;
            }
            word = text;
        }
        self.before_text();
        self.push(word);
        self.wrote_text();
    }

    pub(super) fn space(&mut self) {
        if self.line_text && self.pending == 0 && !self.space_at_end && !self.tab {
            self.push(" ");
            self.space_at_end = true;
        } else if self.at_line_start() && !self.lead.is_empty() && !self.lead.ends_with(' ') {
            self.lead.push(' ');
        }
    }

    /// The next text starts a line (the current one is empty, or ends before that text).
    pub(super) fn at_line_start(&self) -> bool {
        !self.line_text || self.pending > 0 || self.block != self.line_block
    }

    /// Writes what goes before text: the line ends asked for, then on a new line a list
    /// item's mark and the kept leading spaces, or after a table cell's start a tab.
    pub(super) fn before_text(&mut self) {
        let mut want = if self.started { self.pending } else { 0 };
        // A layout changes only at a line start (a quote or list closed by a later tag).
        if self.line_text && self.block != self.line_block {
            want = want.max(1);
        }
        while self.newlines < want {
            self.line_end();
        }
        self.pending = 0;
        if !self.line_text {
            self.line_block = self.block;
            if let Some(marker) = self.marker.take() {
                self.push(&marker);
            }
            if !self.lead.is_empty() {
                let lead = std::mem::take(&mut self.lead);
                self.push(&lead);
            }
        } else if self.tab {
            if self.space_at_end {
                self.trim_space();
            }
            self.push("\t");
        }
        self.tab = false;
    }

    pub(super) fn wrote_text(&mut self) {
        self.started = true;
        self.line_text = true;
        self.newlines = 0;
        self.space_at_end = false;
    }

    /// A `<br>` (or a line end in `<pre>`): the line ends, empty or not, but never more than
    /// one empty line in a row.
    pub(super) fn line_break(&mut self) {
        self.lead.clear();
        if !self.started {
            return;
        }
        while self.newlines < self.pending {
            self.line_end();
        }
        self.pending = 0;
        if self.newlines < 2 {
            self.line_end();
        }
    }

    /// Ends the current line.
    pub(super) fn line_end(&mut self) {
        if self.space_at_end {
            self.trim_space();
        }
        self.tab = false;
        let empty = !self.line_text;
        match self.pieces.last_mut() {
            // An empty line after a quote belongs to what follows it, not to the quote.
            Some(last) if !(empty && last.block.quote > self.block.quote) => last.text.push('\n'),
            _ => self.push("\n"),
        }
        self.line_text = false;
        self.newlines = self.newlines.saturating_add(1);
    }

    /// Takes off the space that ends the last piece (a line end or a tab follows).
    pub(super) fn trim_space(&mut self) {
        self.space_at_end = false;
        let Some(last) = self.pieces.last_mut() else { return };
        if last.text.ends_with(' ') {
            last.text.pop();
            if last.text.is_empty() && last.image.is_none() {
                self.pieces.pop();
                self.last_style = None;
            }
        }
    }

    /// Asks for `n` line ends before the next text (a block element starts or ends).
    pub(super) fn block_break(&mut self, n: u8) {
        if n == 0 || self.hidden {
            return;
        }
        if self.started {
            // A line holding only no-break spaces shows as an empty line.
            let n = if self.lead.is_empty() { n } else { 2 };
            self.pending = self.pending.max(n);
        }
        self.lead.clear();
    }

    /// Appends text in the style in effect, joining the last piece when it has that style.
    pub(super) fn push(&mut self, text: &str) {
        let style = (self.emphasis, self.link_id, self.block);
        if self.last_style == Some(style)
            && let Some(last) = self.pieces.last_mut()
        {
            last.text.push_str(text);
            return;
        }
        let link = self.link();
        self.pieces.push(Piece {
            text: text.to_string(),
            link,
            image: None,
            emphasis: self.emphasis,
            block: self.block,
        });
        self.last_style = Some(style);
    }

    /// A copy of the link in effect, within [`MAX_LINK_BYTES`].
    pub(super) fn link(&mut self) -> Option<String> {
        let Effect::Link { url: Some(url), .. } = &self.stack.get(self.link_at?)?.effect else {
            return None;
        };
        self.link_bytes += url.len();
        (self.link_bytes <= MAX_LINK_BYTES).then(|| url.clone())
    }
}
