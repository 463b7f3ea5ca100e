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

/// An action that destroys something (removing an account): red, and only after a question.
pub fn danger(theme: &Theme, status: Status) -> Style {
    let danger = theme.palette().danger;
    let ink = theme.extended_palette().background.base.text;
    let paper = theme.extended_palette().background.base.color;
    // Dark themes use a light red: white labels need a deeper one.
    let fill = if theme.extended_palette().is_dark { mix(danger, Color::BLACK, 0.45) } else { danger };
    let base = Style {
        background: Some(fill.into()),
        text_color: Color::WHITE,
        border: Border { radius: RADIUS.into(), ..Border::default() },
        ..Style::default()
    };
    match status {
        Status::Active => base,
        Status::Hovered => Style { background: Some(mix(fill, ink, 0.15).into()), ..base },
        Status::Pressed => Style { background: Some(mix(fill, paper, 0.2).into()), ..base },
        Status::Disabled => disabled(base),
    }
}

/// One of several cards to choose from (a setting discovery found): the chosen one has the
/// action colour as its border and a light tint.
pub fn option(selected: bool) -> impl Fn(&Theme, Status) -> Style {
    move |theme, status| {
        let palette = theme.extended_palette();
        let paper = palette.background.base.color;
        let ink = palette.background.base.text;
        let blue = palette.primary.base.color;
        let lift = if palette.is_dark { 0.05 } else { 0.7 };
        let card = mix(paper, Color::WHITE, lift);
        let base = Style {
            background: Some(if selected { mix(card, blue, 0.10) } else { card }.into()),
            text_color: ink,
            border: Border {
                color: if selected { blue } else { mix(paper, ink, 0.2) },
                width: if selected { 2.0 } else { 1.0 },
                radius: RADIUS.into(),
            },
            ..Style::default()
        };
        match status {
            Status::Hovered if !selected => Style { background: Some(mix(card, ink, 0.05).into()), ..base },
            Status::Disabled => disabled(base),
            _ => base,
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
