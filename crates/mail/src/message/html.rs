//! HTML mail as rich text, in one pass: html5ever's tokenizer feeds a sink that keeps a
//! small stack of the open elements that matter (emphasis, links, lists, quotes, tables,
//! hidden parts) and writes [`Rich`] pieces as the text comes. No document tree is built and
//! nothing is laid out: the reader wraps paragraphs to its pane.
//!
//! Text is set as a browser sets it: white space collapsed (kept in `<pre>`), block elements
//! on lines of their own, at most one empty line in a row (layout tables leave many), the
//! cells of a table row on one line separated by tabs, list items marked "• " or "1. " and
//! nested lists indented, quotes as a quote depth. Scripts, styles, the title, comments and
//! elements hidden with `display: none` show nothing; unknown elements show their text.
//!
//! Nothing is fetched here. An image is a piece holding its source and its alt text in
//! brackets (or nothing without one); the reader shows the image in its place when it has it
//! (a `cid:` part of the message, or a remote image the person allowed). Remote sources, and
//! remote CSS backgrounds (never shown), are counted so the reader can say that remote content
//! was blocked; remote images are listed so that it can fetch them when asked.
//! Text colours of the mail are dropped (they are chosen for a white page and often
//! unreadable on a dark one).

use std::cell::RefCell;
use std::collections::HashSet;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{LocalName, TokenizerResult};

use super::rich::{Block, Emphasis, Piece, Rich};

/// Markup read; the rest is cut (a body this size is not a letter).
const MAX_MARKUP: usize = 2 << 20;
/// Open elements kept track of; deeper ones are read as if they were not there (their text
/// is kept). Only elements with an effect count: a span or a div takes no place.
const MAX_OPEN: usize = 64;
/// Deepest quote and list level shown; deeper levels look like the deepest.
const MAX_LEVELS: usize = 16;
/// Longest image source or link kept (a `data:` URL the size of a photo is not kept, nor shown).
const MAX_SOURCE: usize = 8 * 1024;
/// Most remote images listed for fetching; the reader's fetcher has its own, lower, bound.
const MAX_REMOTE_LISTED: usize = 1_000;
/// Bytes of link addresses copied into pieces: each styled run inside a link holds a copy,
/// and a long link around thousands of runs would otherwise cost their product.
const MAX_LINK_BYTES: usize = 16 << 20;

/// Renders `markup`.
pub fn render(markup: &str) -> Rich {
    let (markup, cut) = bounded(markup);
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(markup));
    let tokenizer = Tokenizer::new(Sink(RefCell::new(Writer::default())), TokenizerOpts::default());
    // The sink never asks the tokenizer to stop (no scripts run), so one feed reads it all.
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) && !input.is_empty() {}
    tokenizer.end();
    tokenizer.sink.0.into_inner().finish(cut)
}

/// The markup up to [`MAX_MARKUP`] bytes (cut on a character boundary), and whether it was cut.
fn bounded(markup: &str) -> (&str, bool) {
    if markup.len() <= MAX_MARKUP {
        return (markup, false);
    }
    let mut at = MAX_MARKUP;
    while !markup.is_char_boundary(at) {
        at -= 1;
    }
    (&markup[..at], true)
}

struct Sink(RefCell<Writer>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut writer = self.0.borrow_mut();
        match token {
            Token::CharacterTokens(text) => writer.characters(&text),
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => return writer.start(&tag),
            Token::TagToken(tag) => writer.end(&tag.name),
            // Comments, the doctype, NUL characters and parse errors show nothing.
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// What an open element does to what is inside it.
enum Effect {
    /// Nothing: kept only so that its end tag (or the next sibling) closes what it holds.
    None,
    Strong,
    Italic,
    Underline,
    Strike,
    Code,
    Size(i8),
    Heading(i8),
    /// `id` tells links apart cheaply; `url` is `None` for an anchor without a usable target.
    Link {
        id: u32,
        url: Option<String>,
    },
    List {
        ordered: bool,
        next: u32,
    },
    Quote,
    Indent,
    /// White space kept; `code` sets it in monospace.
    Pre {
        code: bool,
    },
    Hidden,
}

struct Open {
    name: LocalName,
    effect: Effect,
}

/// Text of an element the tokenizer reads raw, up to its end tag.
#[derive(Clone, Copy, PartialEq)]
enum Raw {
    /// Scripts, the title, frames: nothing shown.
    Drop,
    /// A style sheet: nothing shown, remote URLs in it counted.
    Css,
}

/// The rich text being written, with the state of the line being written and the style in
/// effect (derived from the stack of open elements).
#[derive(Default)]
struct Writer {
    pieces: Vec<Piece>,
    remote: HashSet<String>,
    listed: HashSet<String>,
    remote_images: Vec<String>,
    stack: Vec<Open>,
    raw: Option<Raw>,
    css: String,
    links: u32,
    link_bytes: usize,

    // The style in effect.
    emphasis: Emphasis,
    block: Block,
    /// Where in the stack the innermost link is, and its id (0: none).
    link_at: Option<usize>,
    link_id: u32,
    pre: bool,
    hidden: bool,
    /// The style the last piece was written in, when more text in that style may join it.
    last_style: Option<(Emphasis, u32, Block)>,

    // The line being written.
    /// Some text has been written: line breaks before it show nothing.
    started: bool,
    /// The current line holds text.
    line_text: bool,
    /// Line ends written since the last text.
    newlines: u8,
    /// Line ends asked for by block elements, written before the next text (1: a new line,
    /// 2: an empty line between).
    pending: u8,
    /// The last piece ends with a space that white space collapsed into.
    space_at_end: bool,
    /// A table cell started after text on this line: a tab goes before its text.
    tab: bool,
    /// White space that is not collapsed (no-break spaces…) at the start of a line: written
    /// only if text follows, so that a line of `&nbsp;` counts as empty.
    lead: String,
    /// A list item's mark, written before its first text.
    marker: Option<String>,
    line_block: Block,
    /// Just after `<pre>`: a line end right there is not part of the text.
    pre_fresh: bool,
}

impl Writer {
    fn start(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        self.pre_fresh = false;
        let mut hidden = false;
        for attr in &tag.attrs {
            match &*attr.name.local {
                "style" => {
                    self.css_urls(&attr.value);
                    hidden |= hides(&attr.value);
                }
                "background" => self.remote_url(&attr.value),
                "hidden" => hidden = true,
                _ => {}
            }
        }
        let name = &*tag.name;
        let raw = match name {
            "script" => Some((Raw::Drop, RawKind::ScriptData)),
            "title" => Some((Raw::Drop, RawKind::Rcdata)),
            "style" => Some((Raw::Css, RawKind::Rawtext)),
            "iframe" | "noembed" | "noframes" => Some((Raw::Drop, RawKind::Rawtext)),
            _ => None,
        };
        if let Some((raw, kind)) = raw {
            self.raw = Some(raw);
            return TokenSinkResult::RawData(kind);
        }
        match name {
            "img" => return self.image(tag, hidden),
            "br" => self.line_break_visible(),
            "hr" => self.block_break(2),
            _ => {}
        }
        if is_void(name) {
            return TokenSinkResult::Continue;
        }
        let (effect, breaks) = match name {
            "b" | "strong" => (Effect::Strong, 0),
            "i" | "em" | "cite" | "var" | "dfn" => (Effect::Italic, 0),
            "u" | "ins" => (Effect::Underline, 0),
            "s" | "strike" | "del" => (Effect::Strike, 0),
            "code" | "tt" | "kbd" | "samp" => (Effect::Code, 0),
            "big" => (Effect::Size(1), 0),
            "small" => (Effect::Size(-1), 0),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.close_open(|o| matches!(o.effect, Effect::Heading(_)), is_container);
                let size = match name {
                    "h1" => 2,
                    "h2" => 1,
                    _ => 0,
                };
                (Effect::Heading(size), 2)
            }
            "a" => {
                self.close_open(|o| matches!(o.effect, Effect::Link { .. }), |_| false);
                self.links += 1;
                let url =
                    tag.attrs.iter().find(|a| &*a.name.local == "href").and_then(|a| link_target(&a.value));
                (Effect::Link { id: self.links, url }, 0)
            }
            "ul" | "ol" | "menu" | "dir" => {
                let next = attribute(tag, "start").and_then(|s| s.trim().parse().ok()).unwrap_or(1);
                let nested = self.stack.iter().any(|o| matches!(o.effect, Effect::List { .. }));
                (Effect::List { ordered: name == "ol", next }, if nested { 1 } else { 2 })
            }
            "li" => {
                self.close_open(
                    |o| o.name == *"li",
                    |o| matches!(o.effect, Effect::List { .. }) || o.name == *"table",
                );
                if !hidden {
                    self.marker = Some(self.item_marker(tag));
                }
                (Effect::None, 1)
            }
            "blockquote" => (Effect::Quote, 2),
            "dd" => (Effect::Indent, 1),
            "pre" | "listing" | "xmp" | "plaintext" => (Effect::Pre { code: true }, 2),
            "textarea" => (Effect::Pre { code: false }, 1),
            "table" => (Effect::None, 1),
            "tr" => {
                self.close_cell();
                (Effect::None, 1)
            }
            "td" | "th" => {
                self.close_cell();
                if self.line_text && self.pending == 0 && !self.hidden && !hidden {
                    self.tab = true;
                }
                (if name == "th" { Effect::Strong } else { Effect::None }, 0)
            }
            "svg" | "template" => (Effect::Hidden, 0),
            "p" | "dl" | "figure" => (Effect::None, 2),
            "div" | "dt" | "address" | "section" | "article" | "header" | "footer" | "nav" | "aside"
            | "main" | "center" | "form" | "fieldset" | "legend" | "caption" | "details" | "summary"
            | "figcaption" | "hgroup" | "option" => (Effect::None, 1),
            _ => (Effect::None, 0),
        };
        let tracked =
            !matches!(effect, Effect::None) || matches!(name, "li" | "table" | "td" | "th") || hidden;
        let (effect, breaks) = if hidden { (Effect::Hidden, 0) } else { (effect, breaks) };
        self.block_break(breaks);
        // `<b/>` opens nothing (an HTML parser would open it; the sender meant an empty one).
        if tracked && !tag.self_closing && self.stack.len() < MAX_OPEN {
            self.stack.push(Open { name: tag.name.clone(), effect });
            self.restyle();
        }
        if matches!(name, "pre" | "listing" | "textarea") {
            self.pre_fresh = true;
        }
        match name {
            "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
            "xmp" => TokenSinkResult::RawData(RawKind::Rawtext),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }

    fn end(&mut self, name: &LocalName) {
        self.pre_fresh = false;
        if let Some(raw) = self.raw.take() {
            // In raw text the tokenizer gives no tag but the element's own end tag.
            if raw == Raw::Css {
                let css = std::mem::take(&mut self.css);
                self.css_urls(&css);
            }
            return;
        }
        let was_hidden = self.hidden;
        let heading = is_heading(name);
        if let Some(at) = self
            .stack
            .iter()
            .rposition(|o| o.name == *name || (heading && matches!(o.effect, Effect::Heading(_))))
        {
            self.stack.truncate(at);
            self.restyle();
        }
        if was_hidden {
            return;
        }
        let breaks = match &**name {
            "br" => return self.line_break_visible(),
            "ul" | "ol" | "menu" | "dir" => {
                if self.stack.iter().any(|o| matches!(o.effect, Effect::List { .. })) { 1 } else { 2 }
            }
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "pre" | "listing" | "xmp"
            | "dl" | "figure" => 2,
            "li" | "dd" | "dt" | "tr" | "table" | "div" | "address" | "section" | "article" | "header"
            | "footer" | "nav" | "aside" | "main" | "center" | "form" | "fieldset" | "legend" | "caption"
            | "details" | "summary" | "figcaption" | "hgroup" | "option" | "textarea" => 1,
            _ => 0,
        };
        self.block_break(breaks);
    }

    fn line_break_visible(&mut self) {
        if !self.hidden {
            self.line_break();
        }
    }

    /// Closes the innermost open element `find` picks, and all opened inside it, unless an
    /// element `stop` picks comes first (a list item closes the item before it in its list,
    /// not one of an outer list).
    fn close_open(&mut self, find: impl Fn(&Open) -> bool, stop: impl Fn(&Open) -> bool) {
        for at in (0..self.stack.len()).rev() {
            if find(&self.stack[at]) {
                self.stack.truncate(at);
                self.restyle();
                return;
            }
            if stop(&self.stack[at]) {
                return;
            }
        }
    }

    /// A new cell or row closes the open cell of its table.
    fn close_cell(&mut self) {
        self.close_open(|o| o.name == *"td" || o.name == *"th", |o| o.name == *"table");
    }

    /// "• ", or "n. " in an ordered list (counting on from its last item).
    fn item_marker(&mut self, tag: &Tag) -> String {
        let value = attribute(tag, "value").and_then(|v| v.trim().parse::<u32>().ok());
        let list = self.stack.iter_mut().rev().find_map(|o| match &mut o.effect {
            Effect::List { ordered, next } => Some((*ordered, next)),
            _ => None,
        });
        match list {
            Some((true, next)) => {
                let n = value.unwrap_or(*next);
                *next = n.saturating_add(1);
                format!("{n}. ")
            }
            _ => "• ".to_string(),
        }
    }

    /// The style in effect, from the open elements.
    fn restyle(&mut self) {
        let mut emphasis = Emphasis::default();
        let (mut size, mut quotes, mut lists, mut indents) = (0i32, 0usize, 0usize, 0usize);
        self.pre = false;
        self.hidden = false;
        self.link_at = None;
        for (at, open) in self.stack.iter().enumerate() {
            match open.effect {
                Effect::None => {}
                Effect::Strong => emphasis.strong = true,
                Effect::Italic => emphasis.italic = true,
                Effect::Underline => emphasis.underline = true,
                Effect::Strike => emphasis.strike = true,
                Effect::Code => emphasis.code = true,
                Effect::Size(step) => size += i32::from(step),
                Effect::Heading(step) => {
                    emphasis.strong = true;
                    size += i32::from(step);
                }
                Effect::Link { .. } => self.link_at = Some(at),
                Effect::List { .. } => lists += 1,
                Effect::Quote => quotes += 1,
                Effect::Indent => indents += 1,
                Effect::Pre { code } => {
                    self.pre = true;
                    emphasis.code |= code;
                }
                Effect::Hidden => self.hidden = true,
            }
        }
        emphasis.size = size.clamp(-3, 8) as i8;
        self.emphasis = emphasis;
        self.block = Block {
            quote: quotes.min(MAX_LEVELS) as u8,
            indent: (lists.saturating_sub(1) + indents).min(MAX_LEVELS) as u8,
            ..Block::default()
        };
        self.link_id = match self.link_at.map(|at| &self.stack[at].effect) {
            Some(Effect::Link { id, url: Some(_) }) => *id,
            _ => 0,
        };
    }

    fn image(&mut self, tag: &Tag, hidden: bool) -> TokenSinkResult<()> {
        let src = attribute(tag, "src").map_or("", |s| s.trim());
        let hidden = hidden || self.hidden;
        if is_remote(src) {
            self.remote.insert(src.to_string());
            if !hidden
                && self.remote_images.len() < MAX_REMOTE_LISTED
                && let Some(url) = fetchable(src)
                && self.listed.insert(url.clone())
            {
                self.remote_images.push(url);
            }
        }
        if hidden {
            return TokenSinkResult::Continue;
        }
        let alt = attribute(tag, "alt").map(collapse).unwrap_or_default();
        let image = (!src.is_empty() && src.len() <= MAX_SOURCE)
            .then(|| fetchable(src).unwrap_or_else(|| src.to_string()));
        if alt.is_empty() && image.is_none() {
            return TokenSinkResult::Continue;
        }
        // An image without alt text is no text: it takes its place but leaves its line empty.
        if alt.is_empty() {
            if self.started {
                while self.newlines < self.pending {
                    self.line_end();
                }
                self.pending = 0;
            }
        } else {
            self.before_text();
        }
        let link = self.link();
        self.pieces.push(Piece {
            text: if alt.is_empty() { String::new() } else { format!("[{alt}]") },
            link,
            image,
            emphasis: Emphasis { image: true, ..self.emphasis },
            block: self.block,
        });
        self.last_style = None;
        if !alt.is_empty() {
            self.wrote_text();
        }
        TokenSinkResult::Continue
    }

    /// Counts the remote URLs of CSS (`url(…)`), which are never fetched.
    fn css_urls(&mut self, css: &str) {
        let mut rest = css;
        while let Some(at) = rest.as_bytes().windows(4).position(|w| w.eq_ignore_ascii_case(b"url(")) {
            rest = &rest[at + 4..];
            let value = rest.trim_start_matches(['"', '\'', ' ']);
            let end = value.find(['"', '\'', ')', ' ', '>']).unwrap_or(value.len());
            self.remote_url(&value[..end]);
        }
    }

    fn remote_url(&mut self, url: &str) {
        let url = url.trim();
        if is_remote(url) {
            self.remote.insert(url.to_string());
        }
    }

    fn finish(mut self, cut: bool) -> Rich {
        if self.raw == Some(Raw::Css) {
            let css = std::mem::take(&mut self.css);
            self.css_urls(&css);
        }
        // Line ends and spaces at the end show nothing.
        while let Some(last) = self.pieces.last_mut() {
            let kept = last.text.trim_end_matches(['\n', ' ']).len();
            last.text.truncate(kept);
            if last.image.is_none() && last.text.trim().is_empty() {
                self.pieces.pop();
                continue;
            }
            break;
        }
        Rich { pieces: self.pieces, remote: self.remote.len(), remote_images: self.remote_images, cut }
    }
}

/// HTML's white space (the tokenizer has made CR LF a LF).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Characters that show nothing (zero-width spaces and joiners, the byte order mark, a soft
/// hyphen): at a line start they are dropped, so a line of them is empty.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{34f}' | '\u{ad}')
}

/// Elements without content or end tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Elements a heading does not reach out of when it closes an open one.
fn is_container(open: &Open) -> bool {
    matches!(open.effect, Effect::Quote | Effect::List { .. })
        || matches!(&*open.name, "li" | "td" | "th" | "table")
}

fn attribute<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
    tag.attrs.iter().find(|a| &*a.name.local == name).map(|a| &*a.value)
}

/// A link's target as the reader may offer it: not script, nor data the size of a file.
fn link_target(href: &str) -> Option<String> {
    let href = href.trim();
    let scheme = href.split_once(':').map(|(s, _)| s.trim().to_ascii_lowercase());
    let refused = matches!(scheme.as_deref(), Some("javascript" | "vbscript" | "data"));
    (!href.is_empty() && href.len() <= MAX_SOURCE && !refused).then(|| href.to_string())
}

/// `style` hides the element (`display: none`, any case and spacing).
fn hides(style: &str) -> bool {
    let bytes = style.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes[from..].windows(7).position(|w| w.eq_ignore_ascii_case(b"display")) {
        let rest = style[from + at + 7..].trim_start();
        if let Some(value) = rest.strip_prefix(':') {
            let value = value.trim_start().as_bytes();
            if value.len() >= 4 && value[..4].eq_ignore_ascii_case(b"none") {
                return true;
            }
        }
        from += at + 7;
    }
    false
}

/// Text with its white space collapsed and trimmed (alt text).
fn collapse(text: &str) -> String {
    text.split(|c: char| c.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A remote image source as an http(s) URL the reader can fetch (protocol-relative ones are
/// taken as https).
fn fetchable(src: &str) -> Option<String> {
    let src = src.trim();
    if src.len() > MAX_SOURCE {
        return None;
    }
    let lower = src.get(..8).unwrap_or(src).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Some(src.to_string())
    } else if lower.starts_with("//") {
        Some(format!("https:{src}"))
    } else {
        None
    }
}

fn is_remote(src: &str) -> bool {
    let src = src.trim();
    let head = src.get(..6).unwrap_or(src).to_ascii_lowercase();
    head.starts_with("http:")
        || head.starts_with("https:")
        || head.starts_with("//")
        || head.starts_with("ftp:")
}

mod text;

#[cfg(test)]
mod tests;
