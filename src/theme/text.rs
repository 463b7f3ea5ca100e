//! Text styles.

use iced::Theme;
use iced::widget::text::Style;

/// Secondary information: hints, notes, labels of details.
pub fn muted(theme: &Theme) -> Style {
    Style { color: Some(super::muted(theme)) }
}

/// A validation message or a failure.
pub fn error(theme: &Theme) -> Style {
    Style { color: Some(theme.palette().danger) }
}

/// A risk the user should know about before going on.
pub fn warning(theme: &Theme) -> Style {
    Style { color: Some(theme.palette().warning) }
}

/// Something went well (a passed check, a stage done).
pub fn success(theme: &Theme) -> Style {
    Style { color: Some(theme.palette().success) }
}

/// A line the client sent, in a transcript.
pub fn client(theme: &Theme) -> Style {
    let palette = theme.extended_palette();
    // The action blue, lifted on dark paper so it stays readable.
    let blue = palette.primary.base.color;
    Style { color: Some(if palette.is_dark { super::mix(blue, iced::Color::WHITE, 0.45) } else { blue }) }
}

/// A line the server sent, in a transcript.
pub fn server(theme: &Theme) -> Style {
    Style { color: Some(theme.extended_palette().background.base.text) }
}

/// The text of a [`super::Tone`]: green, red, the action blue or muted.
pub fn tone(tone: super::Tone) -> impl Fn(&Theme) -> Style {
    move |theme| match tone {
        super::Tone::Success => success(theme),
        super::Tone::Danger => error(theme),
        super::Tone::Info => client(theme),
        super::Tone::Neutral => muted(theme),
    }
}
