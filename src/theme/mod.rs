//! Every colour Tidings draws with, and the styles views pick by name
//! (`.style(theme::button::primary)`, `.style(theme::text::muted)`).
//!
//! The theme follows the desktop: the app asks iced for the system colour scheme at start
//! (`iced::system::theme`) and listens for changes (`iced::system::theme_changes`), then calls
//! [`for_mode`]. When the desktop states no preference, Tidings is light.

pub mod button;
pub mod container;
pub mod mailbox;
pub mod pane;
pub mod text;
pub mod text_input;

use iced::theme::{Mode, Palette};
use iced::{Color, Theme, color};

/// Light: warm off-white paper, near-black ink, a calm blue for actions.
const LIGHT: Palette = Palette {
    background: color!(0xf6f6f4),
    text: color!(0x1d2125),
    primary: color!(0x2b62a8),
    success: color!(0x1a7f37),
    warning: color!(0x8a5a00),
    danger: color!(0xb42318),
};

/// Dark: a soft charcoal (not pure black), light grey ink, the same blue (white labels on it
/// need its depth: iced picks label colours with a contrast of at least 6:1).
const DARK: Palette = Palette {
    background: color!(0x1f2226),
    text: color!(0xe4e6e8),
    primary: color!(0x2b62a8),
    success: color!(0x3fb950),
    warning: color!(0xe3b341),
    danger: color!(0xff7b72),
};

/// The meaning of a small coloured label (a check's verdict, a stage's result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Success,
    Danger,
    /// Worth knowing, neither good nor bad.
    Info,
    /// Does not apply.
    Neutral,
}

/// The Tidings theme for a colour scheme; no preference means light.
pub fn for_mode(mode: Mode) -> Theme {
    match mode {
        Mode::Dark => Theme::custom("Tidings Dark", DARK),
        Mode::Light | Mode::None => Theme::custom("Tidings Light", LIGHT),
    }
}

/// Whether a theme is one of the dark ones (for tests and for choosing shades).
pub fn is_dark(theme: &Theme) -> bool {
    theme.extended_palette().is_dark
}

/// The colour of secondary text: the ink, faded towards the paper.
fn muted(theme: &Theme) -> Color {
    let palette = theme.extended_palette();
    mix(palette.background.base.text, palette.background.base.color, 0.35)
}

/// `a` moved towards `b` by `amount` (0.0 = `a`, 1.0 = `b`).
fn mix(a: Color, b: Color, amount: f32) -> Color {
    Color {
        r: a.r + (b.r - a.r) * amount,
        g: a.g + (b.g - a.g) * amount,
        b: a.b + (b.b - a.b) * amount,
        a: a.a + (b.a - a.a) * amount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_mode_and_falls_back_to_light() {
        assert!(is_dark(&for_mode(Mode::Dark)));
        assert!(!is_dark(&for_mode(Mode::Light)));
        assert!(!is_dark(&for_mode(Mode::None)));
    }
}
