//! Button styles.

use iced::widget::button::{Status, Style};
use iced::{Background, Border, Color, Theme};

use super::mix;

const RADIUS: f32 = 6.0;

/// The one main action of a screen.
pub fn primary(theme: &Theme, status: Status) -> Style {
    let palette = theme.extended_palette();
    let base = Style {
        background: Some(palette.primary.base.color.into()),
        text_color: palette.primary.base.text,
        border: Border { radius: RADIUS.into(), ..Border::default() },
        ..Style::default()
    };
    match status {
        Status::Active => base,
        Status::Hovered => Style { background: Some(palette.primary.strong.color.into()), ..base },
        Status::Pressed => Style { background: Some(palette.primary.weak.color.into()), ..base },
        Status::Disabled => disabled(base),
    }
}

/// Other actions: cancel, back.
pub fn secondary(theme: &Theme, status: Status) -> Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    let base = Style {
        background: Some(mix(paper, ink, 0.06).into()),
        text_color: ink,
        border: Border { color: mix(paper, ink, 0.25), width: 1.0, radius: RADIUS.into() },
        ..Style::default()
    };
    match status {
        Status::Active => base,
        Status::Hovered => Style { background: Some(mix(paper, ink, 0.12).into()), ..base },
        Status::Pressed => Style { background: Some(mix(paper, ink, 0.18).into()), ..base },
        Status::Disabled => disabled(base),
    }
}

/// One option of a segmented choice; the chosen one is filled.
pub fn choice(selected: bool) -> impl Fn(&Theme, Status) -> Style {
    move |theme, status| {
        if selected {
            // The chosen option does not react to hovering: clicking it changes nothing.
            primary(theme, Status::Active)
        } else {
            secondary(theme, status)
        }
    }
}

fn disabled(style: Style) -> Style {
    Style {
        background: style.background.map(|background| match background {
            Background::Color(color) => Background::Color(Color { a: color.a * 0.5, ..color }),
            other => other,
        }),
        text_color: Color { a: style.text_color.a * 0.5, ..style.text_color },
        ..style
    }
}
