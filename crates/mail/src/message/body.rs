//! The body: which of the message's text forms to show, by the body-format preference, and
//! the chosen parts as plain or rich text.
//!
//! The preference mirrors Exchange's retrieval formats: `PlainText` shows text (HTML and
//! enriched text rendered as text when there is nothing else); `Html` shows HTML when there
//! is some, else enriched text, else text; `Best` shows the richest form that renders to
//! something (an HTML part that renders to nothing gives way to the text).

use super::model::{Body, BodyKind};
use super::rich::{Piece, Rich};
use super::walk::{cut_chars, plain_rich, render_enriched, render_html};
use crate::limits::{MAX_BODY_CHARS, MAX_RICH_SOURCE};
use crate::options::BodyFormat;

/// One inline text part of the body, and its rich text once rendered.
pub struct Section {
    kind: BodyKind,
    source: String,
    /// The source was longer than [`MAX_RICH_SOURCE`] and is cut.
    cut: bool,
    rich: Option<Rich>,
}

impl Section {
    pub fn new(kind: BodyKind, mut source: String) -> Section {
        let mut cut = false;
        if kind != BodyKind::Text && source.len() > MAX_RICH_SOURCE {
            let mut at = MAX_RICH_SOURCE;
            while !source.is_char_boundary(at) {
                at -= 1;
            }
            source.truncate(at);
            cut = true;
        }
        Section { kind, source, cut, rich: None }
    }

    fn rich(&mut self) -> &Rich {
        let (kind, source) = (self.kind, &self.source);
        self.rich.get_or_insert_with(|| match kind {
            BodyKind::Html => render_html(source),
            BodyKind::Enriched => render_enriched(source),
            BodyKind::Text => plain_rich(source.clone()),
        })
    }

    fn renders(&mut self) -> bool {
        match self.kind {
            BodyKind::Text => !self.source.trim().is_empty(),
            _ => {
                let rich = self.rich();
                rich.remote > 0 || !rich.plain().trim().is_empty()
            }
        }
    }

    fn into_rich(mut self) -> Rich {
        self.rich();
        self.rich.unwrap_or_default()
    }

    /// The plain text, and whether rendering cut it.
    fn into_text(self) -> (String, bool) {
        match self.kind {
            BodyKind::Text => (self.source, false),
            _ => {
                let rich = self.into_rich();
                (rich.plain(), rich.cut)
            }
        }
    }
}

fn rank(kind: BodyKind, format: BodyFormat) -> u8 {
    match (format, kind) {
        (BodyFormat::PlainText, BodyKind::Text) => 3,
        (BodyFormat::PlainText, BodyKind::Enriched) => 2,
        (BodyFormat::PlainText, BodyKind::Html) => 1,
        (_, BodyKind::Html) => 3,
        (_, BodyKind::Enriched) => 2,
        (_, BodyKind::Text) => 1,
    }
}

/// How well a candidate fits the preference: whether it renders to something (`Best` only
/// asks), then its richest kind's rank; `None` for a candidate with no text at all.
fn score(sections: &mut [Section], format: BodyFormat) -> Option<(bool, u8)> {
    let best_rank = sections.iter().map(|s| rank(s.kind, format)).max()?;
    let renders = format != BodyFormat::Best || sections.iter_mut().any(Section::renders);
    Some((renders, best_rank))
}

/// Which of several alternatives to show; on a tie the later one (RFC 2046: alternatives
/// come in increasing faithfulness).
pub fn choose_index(candidates: &mut [Vec<Section>], format: BodyFormat) -> Option<usize> {
    let mut best: Option<(usize, (bool, u8))> = None;
    for (i, sections) in candidates.iter_mut().enumerate() {
        if let Some(s) = score(sections, format)
            && best.is_none_or(|(_, b)| s >= b)
        {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}

pub fn choose(mut candidates: Vec<Vec<Section>>, format: BodyFormat) -> Vec<Section> {
    match choose_index(&mut candidates, format) {
        Some(i) => candidates.swap_remove(i),
        None => Vec::new(),
    }
}

/// The chosen parts, one after the other (a text and its mailing-list footer), as the body.
pub fn assemble(sections: Vec<Section>, format: BodyFormat, notes: &mut Vec<String>) -> Body {
    let Some(kind) = sections.iter().map(|s| s.kind).max() else { return Body::default() };
    if sections.iter().any(|s| s.cut) {
        notes.push(format!(
            "The formatted body is longer than {} MiB; only its beginning is shown.",
            MAX_RICH_SOURCE / (1024 * 1024)
        ));
    }
    if format == BodyFormat::PlainText || kind == BodyKind::Text {
        let (texts, cuts): (Vec<String>, Vec<bool>) = sections.into_iter().map(Section::into_text).unzip();
        let text = texts.iter().map(|t| t.trim_end_matches('\n')).collect::<Vec<_>>().join("\n\n");
        let text = if text.chars().count() > MAX_BODY_CHARS || cuts.contains(&true) {
            notes.push(cut_note());
            cut_chars(&text, MAX_BODY_CHARS)
        } else {
            text
        };
        return Body { kind, text, rich: None };
    }
    let mut rich = Rich::default();
    for (i, section) in sections.into_iter().enumerate() {
        if i > 0 {
            // One empty line between two parts, whatever line ends the first brought.
            while let Some(last) = rich.pieces.last_mut() {
                let kept = last.text.trim_end_matches('\n').len();
                last.text.truncate(kept);
                if !last.text.is_empty() || last.image.is_some() {
                    break;
                }
                rich.pieces.pop();
            }
            rich.pieces.push(Piece { text: "\n\n".into(), ..Piece::default() });
        }
        let part = section.into_rich();
        rich.pieces.extend(part.pieces);
        rich.remote += part.remote;
        for url in part.remote_images {
            if !rich.remote_images.contains(&url) {
                rich.remote_images.push(url);
            }
        }
        rich.cut |= part.cut;
    }
    if cut_rich(&mut rich) || rich.cut {
        rich.cut = true;
        notes.push(cut_note());
    }
    Body { kind, text: rich.plain(), rich: Some(rich) }
}

fn cut_note() -> String {
    format!("The body is longer than {MAX_BODY_CHARS} characters; only its beginning is shown.")
}

/// Keeps the first [`MAX_BODY_CHARS`] characters; `true` when something was cut.
fn cut_rich(rich: &mut Rich) -> bool {
    let mut left = MAX_BODY_CHARS;
    for (i, piece) in rich.pieces.iter_mut().enumerate() {
        let n = piece.text.chars().count();
        if n > left {
            piece.text = cut_chars(&piece.text, left);
            rich.pieces.truncate(i + 1);
            return true;
        }
        left -= n;
    }
    false
}
