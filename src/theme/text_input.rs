//! Text input styles.

use iced::widget::text_input::{Status, Style};
use iced::{Border, Color, Theme};

use super::mix;

/// A form field: neutral border, the action colour when focused.
pub fn field(theme: &Theme, status: Status) -> Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    // Light fields are white on the near-white cards; dark ones as deep as the page.
    let background = if palette.is_dark { paper } else { Color::WHITE };
    let active = Style {
        background: background.into(),
        border: Border { color: mix(paper, ink, 0.28), width: 1.0, radius: 4.0.into() },
        icon: mix(ink, paper, 0.35),
        placeholder: mix(ink, paper, 0.55),
        value: ink,
        selection: Color { a: 0.35, ..palette.primary.base.color },
    };
    match status {
        Status::Active => active,
        Status::Hovered => {
            Style { border: Border { color: mix(paper, ink, 0.5), ..active.border }, ..active }
        }
        Status::Focused { .. } => {
            Style { border: Border { color: palette.primary.base.color, ..active.border }, ..active }
        }
        Status::Disabled => {
            Style { background: mix(paper, ink, 0.04).into(), value: mix(ink, paper, 0.35), ..active }
        }
    }
}
