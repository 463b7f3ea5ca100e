//! Styles of a pane of machine text (the inspector's transcript): a sunken, code-like surface.

use iced::widget::container::Style;
use iced::{Border, Color, Theme};

use super::mix;

/// The surface under a transcript: a little darker than the page in light mode, deeper in dark.
pub fn code(theme: &Theme) -> Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    let surface = if palette.is_dark { mix(paper, Color::BLACK, 0.25) } else { Color::WHITE };
    Style {
        background: Some(surface.into()),
        text_color: Some(ink),
        border: Border { color: mix(paper, ink, 0.15), width: 1.0, radius: 6.0.into() },
        ..Style::default()
    }
}

/// A header row inside a card (table headings).
pub fn heading(theme: &Theme) -> Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    Style {
        background: Some(mix(paper, ink, 0.05).into()),
        border: Border { radius: 4.0.into(), ..Border::default() },
        ..Style::default()
    }
}
