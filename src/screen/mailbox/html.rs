//! Rich text (HTML, text/enriched) as the reader lays it out: the core renders it
//! (`tidings_mail::message`) into runs of styled text; this module turns those into iced's
//! rich text, and puts an image in place of its alt text when the reader has it (a part of
//! the message, or a remote image the person allowed).

use std::collections::HashMap;

use iced::font::{Style as FontStyle, Weight};
use iced::widget::image::Handle;
use iced::widget::text::Span;
use iced::widget::{Column, container, image, rich_text, row, rule, span, text};
use iced::{ContentFit, Element, Font, Length, Padding, Theme};

pub use tidings_mail::message::rich::{Align, Block, Emphasis, Piece, Rich};

use super::Message;
use crate::theme;

/// The images the reader has for a body: its message's own, and the remote ones fetched.
#[derive(Clone, Copy)]
pub struct Pictures<'a> {
    pub own: &'a HashMap<String, Handle>,
    pub remote: Option<&'a HashMap<String, Handle>>,
}

impl<'a> Pictures<'a> {
    fn get(&self, src: &str) -> Option<&'a Handle> {
        self.own.get(src).or_else(|| self.remote.and_then(|r| r.get(src)))
    }
}

/// Rich text (HTML, text/enriched): links in the action colour and underlined (clicking one
/// shows where it goes), bold, italics, underline, code in monospace, size steps, images in
/// place when the reader has them, else their muted alt text. Runs of lines with the same
/// layout (alignment, indent, quote bars) are laid out together; a body without any layout is
/// one run.
pub fn rich_view<'a>(rich: &'a Rich, pictures: Pictures<'a>, theme: &Theme) -> Element<'a, Message> {
    let link = theme::mailbox::link(theme);
    let faint = theme::mailbox::faint(theme);
    if rich.pieces.iter().all(|p| p.block == Block::default()) {
        return run_view(&rich.pieces, pictures, link, faint);
    }
    let runs = rich.pieces.chunk_by(|a, b| a.block == b.block).map(|run| {
        let block = run[0].block;
        let mut body: Element<'a, Message> = container(run_view(run, pictures, link, faint))
            .padding(
                Padding::ZERO
                    .left(INDENT * f32::from(block.indent))
                    .right(INDENT * f32::from(block.indent_right)),
            )
            .width(Length::Fill)
            .into();
        for _ in 0..block.quote.min(MAX_QUOTE_BARS) {
            body = row![rule::vertical(2), body].spacing(8).height(Length::Shrink).into();
        }
        body
    });
    Column::with_children(runs).width(Length::Fill).into()
}

/// Indent step of enriched text, in pixels.
const INDENT: f32 = 24.0;
/// Quote bars drawn; deeper quotes look like the deepest drawn.
const MAX_QUOTE_BARS: u8 = 8;

/// Lines of the same layout: rich text, broken where an image the reader has stands.
fn run_view<'a>(
    run: &'a [Piece],
    pictures: Pictures<'a>,
    link: iced::Color,
    faint: iced::Color,
) -> Element<'a, Message> {
    let shown = |p: &Piece| p.image.as_deref().and_then(|src| pictures.get(src));
    if !run.iter().any(|p| shown(p).is_some()) {
        return text_view(run, link, faint);
    }
    let mut parts = Column::new().spacing(4).width(Length::Fill);
    let mut start = 0;
    for (i, piece) in run.iter().enumerate() {
        let Some(handle) = shown(piece) else { continue };
        if start < i {
            parts = parts.push(text_view(&run[start..i], link, faint));
        }
        parts = parts.push(image(handle.clone()).content_fit(ContentFit::ScaleDown));
        start = i + 1;
    }
    if start < run.len() {
        parts = parts.push(text_view(&run[start..], link, faint));
    }
    parts.into()
}

/// Lines as one rich text. Each is a block of its own, so its last line end is dropped (it
/// would add an empty line before the next block).
fn text_view<'a>(run: &'a [Piece], link: iced::Color, faint: iced::Color) -> Element<'a, Message> {
    let last = run.len().saturating_sub(1);
    let spans: Vec<Span<'a, String>> = run
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let text = piece.text.as_str();
            let text = if i == last { text.strip_suffix('\n').unwrap_or(text) } else { text };
            piece_span(piece, text, link, faint)
        })
        .collect();
    let align = match run.first().map(|p| p.block.align).unwrap_or_default() {
        Align::Left => text::Alignment::Default,
        Align::Center => text::Alignment::Center,
        Align::Right => text::Alignment::Right,
        Align::Justify => text::Alignment::Justified,
    };
    rich_text(spans).size(14).align_x(align).on_link_click(Message::LinkClicked).width(Length::Fill).into()
}

fn piece_span<'a>(
    piece: &'a Piece,
    text: &'a str,
    link: iced::Color,
    faint: iced::Color,
) -> Span<'a, String> {
    let e = piece.emphasis;
    let font = Font {
        weight: if e.strong { Weight::Bold } else { Weight::Normal },
        style: if e.italic { FontStyle::Italic } else { FontStyle::Normal },
        ..if e.code { Font::MONOSPACE } else { Font::DEFAULT }
    };
    let color = if piece.link.is_some() {
        Some(link)
    } else if e.image {
        Some(faint)
    } else {
        None
    };
    let span = span(text)
        .font(font)
        .color_maybe(color)
        .link_maybe(piece.link.clone())
        .underline(piece.link.is_some() || e.underline)
        .strikethrough(e.strike);
    match e.size {
        0 => span,
        // Two pixels a step, within what stays readable.
        steps => span.size(14.0 + 2.0 * f32::from(steps.clamp(-3, 8))),
    }
}
