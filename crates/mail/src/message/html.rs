//! HTML mail as rich text: html2text's rich output (lines of text tagged with links,
//! emphasis, code…) turned into [`Rich`] pieces.
//!
//! Nothing is fetched here. An image is a piece holding its source and its alt text in
//! brackets (or nothing without one); the reader shows the image in its place when it has it
//! (a `cid:` part of the message, or a remote image the person allowed). Remote sources, and
//! remote CSS backgrounds (never shown), are counted so the reader can say that remote content
//! was blocked; remote images are listed so that it can fetch them when asked.
//! Text colours of the mail are dropped (they are chosen for a white page and often
//! unreadable on a dark one).

use std::borrow::Cow;
use std::collections::HashSet;
use std::rc::Rc;

use html2text::config::ImageRenderMode;
use html2text::render::RichAnnotation;
use html2text::{Element, Handle};

use super::rich::{Piece, Rich};

/// Paragraphs are laid out by the reader (it wraps to the pane); html2text only breaks lines
/// where the HTML does. Very long paragraphs are cut at this many columns, which the reader
/// joins back visually as it wraps.
const WIDTH: usize = 2000;
/// Markup read; the rest is cut (a body this size is not a letter).
const MAX_MARKUP: usize = 2 << 20;
/// Element nesting kept in the parsed document; deeper elements give only their text.
const MAX_DEPTH: usize = 96;
/// Nesting of elements that need an end tag, counted in the markup before parsing; deeper
/// start tags (and their end tags) are dropped. The parser checks the whole stack of open
/// elements at each tag: 10,000 nested ones took seconds.
const MAX_NESTING: usize = 40;
/// Nesting of quotes and lists, counted apart: each level adds its marks to every line inside
/// it, and html2text copies every line once per level.
const MAX_MARKED: usize = 16;
const MARKED: &[&str] = &["blockquote", "ul", "ol", "dl", "menu", "dir"];
/// Elements that do not nest when counting: void ones, those whose end tag may be left out
/// (ten thousand `<p>` without `</p>` are ten thousand siblings), and raw text ones.
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr", "html", "head", "body", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot",
    "caption", "colgroup", "option", "optgroup", "rb", "rt", "rtc", "rp", "script", "style", "textarea",
    "title", "xmp", "iframe", "noembed", "noframes",
];
/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"];
/// Stands in for the text of an image without alt text, so it can be recognised and dropped.
const NO_ALT: &str = "\u{2063}";

/// Renders `markup`. Markup html2text cannot read falls back to its text with the tags
/// stripped crudely, never to nothing.
pub fn render(markup: &str) -> Rich {
    let config = html2text::config::rich()
        .raw_mode(true)
        .no_link_wrapping()
        .allow_width_overflow()
        // The reader strikes the text through itself; html2text's combining strokes would
        // multiply with nesting (one per level on every character).
        .unicode_strikeout(false)
        .empty_img_mode(ImageRenderMode::Replace(NO_ALT));
    let (markup, cut) = bounded(markup);
    let shallow = shallow(markup);
    let lines = config.parse_html(shallow.as_bytes()).and_then(|dom| {
        flatten_deep(&dom.document);
        config.render_to_lines(config.dom_to_render_tree(&dom)?, WIDTH)
    });
    let lines = match lines {
        Ok(lines) => lines,
        Err(_) => {
            return Rich {
                pieces: vec![Piece { text: strip_tags(markup), ..Piece::default() }],
                remote: remote_css(markup).len(),
                remote_images: Vec::new(),
                cut,
            };
        }
    };
    let mut remote = remote_css(markup);
    let mut remote_images: Vec<String> = Vec::new();
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
                        if is_remote(src)
                            && remote.insert(src.clone())
                            && let Some(url) =
                                fetchable(src).filter(|_| remote_images.len() < MAX_REMOTE_LISTED)
                        {
                            remote_images.push(url);
                        }
                        let src = src.trim();
                        piece.image = (!src.is_empty() && src.len() <= MAX_SOURCE)
                            .then(|| fetchable(src).unwrap_or_else(|| src.to_string()));
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
            if !piece.text.is_empty() || piece.image.is_some() {
                line_pieces.push(piece);
            }
        }
        tidy_line(&mut line_pieces);
        // Layout tables leave runs of empty lines: keep at most one. A line holding only
        // images without alt text counts as empty; its images stay, without the line.
        let empty = line_pieces.iter().all(|p| p.text.trim().is_empty());
        blank_run = if empty { blank_run + 1 } else { 0 };
        if empty && (blank_run > 1 || pieces.is_empty()) {
            for piece in line_pieces.into_iter().filter(|p| p.image.is_some()) {
                push(&mut pieces, Piece { text: String::new(), ..piece });
            }
            continue;
        }
        for piece in line_pieces {
            push(&mut pieces, piece);
        }
        push(&mut pieces, Piece { text: "\n".into(), ..Piece::default() });
    }
    while pieces.last().is_some_and(|p| p.text.trim().is_empty() && p.image.is_none()) {
        pieces.pop();
    }
    Rich { pieces, remote: remote.len(), remote_images, cut }
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

/// The markup without start tags nested deeper than [`MAX_NESTING`] (quotes and lists:
/// [`MAX_MARKED`]) and their end tags.
/// A scan of the tags only (comments and raw text skipped), linear in the markup.
fn shallow(markup: &str) -> Cow<'_, str> {
    let bytes = markup.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    // Open and dropped elements, for the marked kinds and the others.
    let (mut depth, mut excess) = ([0usize; 2], [0usize; 2]);
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &bytes[i..]).map(|p| i + p) {
        if bytes[at + 1..].starts_with(b"!--") {
            i = find_ci(bytes, at + 4, b"-->").map_or(bytes.len(), |end| end + 3);
            continue;
        }
        let closing = bytes.get(at + 1) == Some(&b'/');
        let start = at + 1 + usize::from(closing);
        let len = bytes[start..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if len == 0 || !bytes[start].is_ascii_alphabetic() {
            i = at + 1;
            continue;
        }
        let Some(end) = tag_end(bytes, start + len) else { break };
        let name = markup[start..start + len].to_ascii_lowercase();
        let flat = FLAT.contains(&name.as_str());
        let (kind, limit) = if MARKED.contains(&name.as_str()) { (0, MAX_MARKED) } else { (1, MAX_NESTING) };
        let mut drop = false;
        if closing {
            if !flat {
                if excess[kind] > 0 {
                    excess[kind] -= 1;
                    drop = true;
                } else {
                    depth[kind] = depth[kind].saturating_sub(1);
                }
            }
        } else if !flat && bytes[end - 1] != b'/' {
            if depth[kind] >= limit {
                excess[kind] += 1;
                drop = true;
            } else {
                depth[kind] += 1;
            }
        }
        if drop {
            out.get_or_insert_with(|| String::with_capacity(markup.len())).push_str(&markup[copied..at]);
            copied = end + 1;
        }
        i = end + 1;
        if !closing && RAW_TEXT.contains(&name.as_str()) {
            // Up to its end tag, which the next round reads.
            i = find_ci(bytes, i, format!("</{name}").as_bytes()).unwrap_or(bytes.len());
        }
    }
    match out {
        None => Cow::Borrowed(markup),
        Some(mut out) => {
            out.push_str(&markup[copied..]);
            Cow::Owned(out)
        }
    }
}

/// The ">" ending a tag whose name ends at `from` (quoted attribute values may hold ">").
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut j = from;
    while j < bytes.len() {
        match bytes[j] {
            b'>' => return Some(j),
            b'=' => {
                j += 1;
                while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                if let Some(&quote @ (b'"' | b'\'')) = bytes.get(j) {
                    j += 1 + memchr::memchr(quote, &bytes[j + 1..])?;
                }
                j += 1;
            }
            _ => j += 1,
        }
    }
    None
}

/// Where `needle` (ASCII, any case) starts at or after `from`.
fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle)).map(|p| from + p)
}

/// Elements nested deeper than [`MAX_DEPTH`] are taken out, their text kept in order: each
/// level costs html2text work for everything inside it.
fn flatten_deep(root: &Handle) {
    let mut stack = vec![(root.clone(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth < MAX_DEPTH {
            stack.extend(node.children.borrow().iter().map(|child| (child.clone(), depth + 1)));
            continue;
        }
        let mut kept = Vec::new();
        let mut pending: Vec<Handle> = node.children.take().into_iter().rev().collect();
        while let Some(child) = pending.pop() {
            if matches!(child.data, Element { .. }) {
                pending.extend(child.children.take().into_iter().rev());
            } else {
                child.parent.set(Some(Rc::downgrade(&node)));
                kept.push(child);
            }
        }
        *node.children.borrow_mut() = kept;
    }
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
        Some(last)
            if last.link == piece.link
                && last.emphasis == piece.emphasis
                && last.image.is_none()
                && piece.image.is_none() =>
        {
            last.text.push_str(&piece.text)
        }
        // A line end takes the style of what it ends.
        Some(last) if piece.text == "\n" => last.text.push('\n'),
        _ => pieces.push(piece),
    }
}

/// Longest image source kept (a `data:` URL the size of a photo is not kept, nor shown).
const MAX_SOURCE: usize = 8 * 1024;
/// Most remote images listed for fetching; the reader's fetcher has its own, lower, bound.
const MAX_REMOTE_LISTED: usize = 1_000;

/// A remote image source as an http(s) URL the reader can fetch (protocol-relative ones are
/// taken as https).
fn fetchable(src: &str) -> Option<String> {
    let src = src.trim();
    if src.len() > MAX_SOURCE {
        return None;
    }
    let lower = src.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Some(src.to_string())
    } else if lower.starts_with("//") {
        Some(format!("https:{src}"))
    } else {
        None
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
    fn images_keep_their_source_and_remote_ones_are_counted_and_listed() {
        let rich = render(
            "<p>Look:</p><img src=\"https://track.example.test/p.gif\" width=1>\
             <img src=\"http://cdn.example.test/a.png\" alt=\"Logo\">\
             <img src=\"cid:part1\" alt=\"inline\">\
             <div style=\"background: url('https://cdn.example.test/bg.png')\">x</div>\
             <img src=\"https://track.example.test/p.gif\"><img src=\"//cdn.example.test/b.png\">",
        );
        assert_eq!(rich.remote, 4, "three remote images (one twice) and a CSS background");
        assert_eq!(
            rich.remote_images,
            [
                "https://track.example.test/p.gif",
                "http://cdn.example.test/a.png",
                "https://cdn.example.test/b.png"
            ],
            "the background is counted, never fetched"
        );
        let text = rich.plain();
        assert!(text.contains("[Logo]") && text.contains("[inline]"), "{text:?}");
        assert!(!text.contains(NO_ALT) && !text.contains("http"), "{text:?}");
        let images: Vec<(&str, &str)> =
            rich.pieces.iter().filter_map(|p| Some((p.image.as_deref()?, p.text.trim_end()))).collect();
        assert_eq!(
            images,
            [
                ("https://track.example.test/p.gif", ""),
                ("http://cdn.example.test/a.png", "[Logo]"),
                ("cid:part1", "[inline]"),
                ("https://track.example.test/p.gif", ""),
                ("https://cdn.example.test/b.png", ""),
            ],
            "each image a piece of its own, with or without alt text: {rich:?}"
        );
    }

    #[test]
    fn deep_nesting_is_cut_to_a_bound_and_keeps_its_text() {
        let deep = format!(
            "{}deep text{}<p>after</p>",
            "<div><blockquote><b>".repeat(20_000),
            "</b></blockquote></div>".repeat(20_000)
        );
        let rich = render(&deep);
        let text = rich.plain();
        assert!(text.contains("deep text") && text.contains("after"), "{text:?}");
        assert!(rich.pieces.iter().any(|p| p.text.contains("deep text") && p.emphasis.strong), "{rich:?}");
        // One "> " per quote level kept.
        let line = text.lines().find(|l| l.contains("deep text")).unwrap();
        assert_eq!(line.matches('>').count(), MAX_MARKED, "{line}");
    }

    #[test]
    fn shallow_drops_only_tags_beyond_the_limits() {
        let flat =
            "<p>a<p>b<br><img src=x><li>c<td>d<div title=\"a>b\">e</div><!-- <div> --><style>div>p{}</style>";
        assert_eq!(shallow(flat), flat, "nothing deep: the markup as it was");
        let deep = format!("{}x{}", "<div>".repeat(MAX_NESTING + 5), "</div>".repeat(MAX_NESTING + 5));
        let expected = format!("{}x{}", "<div>".repeat(MAX_NESTING), "</div>".repeat(MAX_NESTING));
        assert_eq!(shallow(&deep), expected);
        let quotes = format!(
            "{}q{}",
            "<BLOCKQUOTE type=cite>".repeat(MAX_MARKED + 1),
            "</blockquote>".repeat(MAX_MARKED + 1)
        );
        let kept = shallow(&quotes);
        assert_eq!(kept.matches("<BLOCKQUOTE").count(), MAX_MARKED);
        assert_eq!(kept.matches("</blockquote>").count(), MAX_MARKED);
        // Raw text and comments are not tags; an unfinished tag ends the scan.
        let raw = format!("<script>{}</script><!--{}-->x<div", "<div>".repeat(100), "<div>".repeat(100));
        assert_eq!(shallow(&raw), raw);
    }

    #[test]
    fn large_markup_is_cut_and_strikes_are_not_multiplied() {
        let big = format!("<p>start</p>{}", "<p>more text</p>".repeat(MAX_MARKUP / 10));
        let rich = render(&big);
        assert!(rich.cut && rich.plain().starts_with("start"));
        assert!(rich.plain().len() < MAX_MARKUP, "{}", rich.plain().len());
        assert!(!render("<p>x</p>").cut);
        let struck = render(&format!("{}gone", "<s>".repeat(30)));
        assert_eq!(struck.plain().trim_end(), "gone");
        assert!(struck.pieces[0].emphasis.strike);
    }
}
