//! HTML mail as rich text: html2text's rich output (lines of text tagged with links,
//! emphasis, code…) turned into styled pieces the reader shows as iced `rich_text` spans.
//!
//! Nothing is ever fetched: there is no image loading at all. Images show as their alt text
//! in brackets (or nothing without one); those whose source is remote, and remote CSS
//! backgrounds, are counted so the reader can say that remote content was blocked.
//! Text colours of the mail are dropped (they are chosen for a white page and often
//! unreadable on a dark one).

use std::collections::HashSet;

use html2text::config::ImageRenderMode;
use html2text::render::RichAnnotation;

/// Paragraphs are laid out by iced (it wraps to the pane); html2text only breaks lines where
/// the HTML does. Very long paragraphs are cut at this many columns, which iced joins back
/// visually as it wraps.
const WIDTH: usize = 2000;
/// Stands in for the text of an image without alt text, so it can be recognised and dropped.
const NO_ALT: &str = "\u{2063}";

/// How a run of text is set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Emphasis {
    pub strong: bool,
    pub italic: bool,
    pub strike: bool,
    /// Code or preformatted: monospace.
    pub code: bool,
    /// An image's alt text, standing in for the image.
    pub image: bool,
}

/// A styled run of text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub link: Option<String>,
    pub emphasis: Emphasis,
}

/// An HTML body ready to show.
#[derive(Debug, Clone, Default)]
pub struct Rich {
    /// Pieces in order; line ends are "\n" inside the text.
    pub pieces: Vec<Piece>,
    /// Distinct remote resources (images, CSS backgrounds) referred to and not fetched.
    pub remote: usize,
}

impl Rich {
    /// The text without styling (tests, copying).
    pub fn plain(&self) -> String {
        self.pieces.iter().map(|p| p.text.as_str()).collect()
    }
}

/// Renders `markup`. Markup html2text cannot read falls back to its text with the tags
/// stripped crudely, never to nothing.
pub fn render(markup: &str) -> Rich {
    let config = html2text::config::rich()
        .raw_mode(true)
        .no_link_wrapping()
        .allow_width_overflow()
        .empty_img_mode(ImageRenderMode::Replace(NO_ALT));
    let lines = match config.lines_from_read(markup.as_bytes(), WIDTH) {
        Ok(lines) => lines,
        Err(_) => {
            return Rich {
                pieces: vec![Piece { text: strip_tags(markup), ..Piece::default() }],
                remote: remote_css(markup).len(),
            };
        }
    };
    let mut remote = remote_css(markup);
    let mut pieces: Vec<Piece> = Vec::new();
    let mut blank_run = 0;
    for line in &lines {
        let mut line_pieces = Vec::new();
        for tagged in line.tagged_strings() {
            let mut piece = Piece { text: tagged.s.clone(), ..Piece::default() };
            for tag in &tagged.tag {
                match tag {
                    RichAnnotation::Link(url) => piece.link = Some(url.clone()),
                    RichAnnotation::Image(src) => {
                        if is_remote(src) {
                            remote.insert(src.clone());
                        }
                        piece.text =
                            if tagged.s == NO_ALT { String::new() } else { format!("[{}]", tagged.s) };
                        piece.emphasis.image = true;
                    }
                    RichAnnotation::Strong => piece.emphasis.strong = true,
                    RichAnnotation::Emphasis => piece.emphasis.italic = true,
                    RichAnnotation::Strikeout => piece.emphasis.strike = true,
                    RichAnnotation::Code | RichAnnotation::Preformat(_) => piece.emphasis.code = true,
                    _ => {}
                }
            }
            if !piece.text.is_empty() {
                line_pieces.push(piece);
            }
        }
        tidy_line(&mut line_pieces);
        // Layout tables leave runs of empty lines: keep at most one.
        let empty = line_pieces.iter().all(|p| p.text.trim().is_empty());
        blank_run = if empty { blank_run + 1 } else { 0 };
        if empty && (blank_run > 1 || pieces.is_empty()) {
            continue;
        }
        for piece in line_pieces {
            push(&mut pieces, piece);
        }
        push(&mut pieces, Piece { text: "\n".into(), ..Piece::default() });
    }
    while pieces.last().is_some_and(|p| p.text.trim().is_empty()) {
        pieces.pop();
    }
    Rich { pieces, remote: remote.len() }
}

/// html2text marks headings and list items the Markdown way: a heading's "## " becomes
/// bold text, a bullet's "* " a "•".
fn tidy_line(pieces: &mut [Piece]) {
    let Some(first) = pieces.first_mut() else { return };
    let indent = first.text.len() - first.text.trim_start_matches([' ', '>']).len();
    let rest = &first.text[indent..];
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    if (1..=6).contains(&hashes) && rest[hashes..].starts_with(' ') {
        first.text.replace_range(indent..indent + hashes + 1, "");
        for piece in pieces.iter_mut() {
            piece.emphasis.strong = true;
        }
    } else if rest.starts_with("* ") {
        first.text.replace_range(indent..indent + 1, "•");
    }
}

/// Appends, merging with the last piece when the style is the same (fewer spans to lay out).
fn push(pieces: &mut Vec<Piece>, piece: Piece) {
    match pieces.last_mut() {
        Some(last) if last.link == piece.link && last.emphasis == piece.emphasis => {
            last.text.push_str(&piece.text)
        }
        // A line end takes the style of what it ends.
        Some(last) if piece.text == "\n" => last.text.push('\n'),
        _ => pieces.push(piece),
    }
}

fn is_remote(src: &str) -> bool {
    let src = src.trim().to_ascii_lowercase();
    src.starts_with("http:") || src.starts_with("https:") || src.starts_with("//") || src.starts_with("ftp:")
}

/// Remote URLs in CSS (`url(http…)`) and `background=` attributes, which html2text ignores.
fn remote_css(markup: &str) -> HashSet<String> {
    let lower = markup.to_ascii_lowercase();
    let mut found = HashSet::new();
    for marker in ["url(", "background="] {
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            let value = rest.trim_start_matches(['"', '\'', ' ']);
            let end = value.find(['"', '\'', ')', ' ', '>']).unwrap_or(value.len());
            if is_remote(&value[..end]) {
                found.insert(value[..end].to_string());
            }
        }
    }
    found
}

/// Text of markup html2text refused (it only fails on pathological input).
fn strip_tags(markup: &str) -> String {
    let mut out = String::with_capacity(markup.len());
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_emphasis_and_lists_survive() {
        let rich = render(
            "<h1>Hi</h1><p>This is <b>bold</b>, <em>soft</em> and a \
             <a href=\"https://example.test/x\">link</a>.</p><ul><li>one</li><li>two</li></ul>",
        );
        let text = rich.plain();
        assert!(text.contains("This is bold, soft and a link."), "{text}");
        assert!(text.contains("• one\n• two"), "{text}");
        assert!(rich.pieces.iter().any(|p| p.text.starts_with("Hi") && p.emphasis.strong), "{rich:?}");
        assert!(!text.contains('#'), "{text}");
        let link = rich.pieces.iter().find(|p| p.link.is_some()).unwrap();
        assert_eq!((link.text.as_str(), link.link.as_deref()), ("link", Some("https://example.test/x")));
        assert!(rich.pieces.iter().any(|p| p.text == "bold" && p.emphasis.strong));
        assert!(rich.pieces.iter().any(|p| p.text == "soft" && p.emphasis.italic));
        assert_eq!(rich.remote, 0);
    }

    #[test]
    fn remote_images_are_counted_never_shown() {
        let rich = render(
            "<p>Look:</p><img src=\"https://track.example.test/p.gif\" width=1>\
             <img src=\"http://cdn.example.test/a.png\" alt=\"Logo\">\
             <img src=\"cid:part1\" alt=\"inline\">\
             <div style=\"background: url('https://cdn.example.test/bg.png')\">x</div>\
             <img src=\"https://track.example.test/p.gif\">",
        );
        assert_eq!(rich.remote, 3, "two remote images (one twice) and a CSS background");
        let text = rich.plain();
        assert!(text.contains("[Logo]") && text.contains("[inline]"), "{text:?}");
        assert!(!text.contains(NO_ALT) && !text.contains("http"), "{text:?}");
    }
}
