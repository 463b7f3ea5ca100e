//! Container styles: the page, cards grouping related fields, notices.

use iced::widget::container::Style;
use iced::{Border, Color, Theme};

use super::mix;

/// The window's background.
pub fn page(theme: &Theme) -> Style {
    let palette = theme.extended_palette();
    Style {
        background: Some(palette.background.base.color.into()),
        text_color: Some(palette.background.base.text),
        ..Style::default()
    }
}

/// A raised group of related content (an account, a form section).
pub fn card(theme: &Theme) -> Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    // Light cards are whiter than the page; dark cards a little lighter than it.
    let lift = if palette.is_dark { 0.05 } else { 0.7 };
    Style {
        background: Some(mix(paper, Color::WHITE, lift).into()),
        text_color: Some(ink),
        border: Border { color: mix(paper, ink, 0.15), width: 1.0, radius: 8.0.into() },
        ..Style::default()
    }
}

/// A warning the user should read before going on.
pub fn warning(theme: &Theme) -> Style {
    notice(theme, theme.palette().warning)
}

/// Something failed.
pub fn error(theme: &Theme) -> Style {
    notice(theme, theme.palette().danger)
}

fn notice(theme: &Theme, accent: Color) -> Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    Style {
        background: Some(mix(paper, accent, 0.12).into()),
        text_color: Some(palette.background.base.text),
        border: Border { color: mix(paper, accent, 0.6), width: 1.0, radius: 6.0.into() },
        ..Style::default()
    }
}

/// Everything went well.
pub fn success(theme: &Theme) -> Style {
    notice(theme, theme.palette().success)
}

/// A small label tinted by its [`super::Tone`] (a check's verdict).
pub fn badge(tone: super::Tone) -> impl Fn(&Theme) -> Style {
    move |theme| {
        let palette = theme.extended_palette();
        let paper = palette.background.base.color;
        let accent = match tone {
            super::Tone::Success => theme.palette().success,
            super::Tone::Danger => theme.palette().danger,
            super::Tone::Info => palette.primary.base.color,
            super::Tone::Neutral => super::muted(theme),
        };
        Style {
            background: Some(mix(paper, accent, 0.16).into()),
            text_color: Some(accent),
            border: Border { color: mix(paper, accent, 0.5), width: 1.0, radius: 4.0.into() },
            ..Style::default()
        }
    }
}
