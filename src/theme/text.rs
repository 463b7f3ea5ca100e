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
