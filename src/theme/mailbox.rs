//! Styles of the mailbox: the folder pane, the message list (rows, column headings,
//! selection), the toolbar and the status line, and the colours the reader's rich text uses.

use iced::widget::{button, container, pick_list, scrollable, text};
use iced::{Border, Color, Theme, color};

use super::mix;

/// The star of a flagged message: gold, deeper on light paper so it stays visible.
const STAR_LIGHT: Color = color!(0xc08400);
const STAR_DARK: Color = color!(0xe3b341);

/// The folder pane: a little away from the page, like a sidebar.
pub fn sidebar(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    container::Style {
        background: Some(mix(paper, ink, 0.035).into()),
        text_color: Some(ink),
        ..container::Style::default()
    }
}

/// The surface under the list and the reader: white on light paper, deeper on dark.
pub fn surface(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    let surface = if palette.is_dark { mix(paper, Color::BLACK, 0.2) } else { Color::WHITE };
    container::Style {
        background: Some(surface.into()),
        text_color: Some(ink),
        border: Border { color: mix(paper, ink, 0.15), width: 1.0, radius: 0.0.into() },
        ..container::Style::default()
    }
}

/// The row of column headings above the list, and the toolbar.
pub fn bar(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    container::Style {
        background: Some(mix(paper, ink, 0.06).into()),
        text_color: Some(ink),
        ..container::Style::default()
    }
}

/// The status line at the bottom of the window.
pub fn status(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    container::Style {
        background: Some(mix(paper, ink, 0.06).into()),
        text_color: Some(mix(ink, paper, 0.2)),
        border: Border { color: mix(paper, ink, 0.15), width: 1.0, radius: 0.0.into() },
        ..container::Style::default()
    }
}

/// A message row (or a folder): flat, tinted with the action colour when selected.
pub fn row(selected: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        let palette = theme.extended_palette();
        let paper = palette.background.base.color;
        let ink = palette.background.base.text;
        let blue = palette.primary.base.color;
        let background = match (selected, status) {
            (true, _) => Some(mix(paper, blue, if palette.is_dark { 0.45 } else { 0.22 }).into()),
            (false, button::Status::Hovered) => Some(mix(paper, ink, 0.06).into()),
            (false, button::Status::Pressed) => Some(mix(paper, ink, 0.1).into()),
            (false, _) => None,
        };
        button::Style { background, text_color: ink, border: Border::default(), ..button::Style::default() }
    }
}

/// A folder in the folder pane: like a row, with rounded corners.
pub fn folder(selected: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        let style = row(selected)(theme, status);
        button::Style { border: Border { radius: 4.0.into(), ..style.border }, ..style }
    }
}

/// A column heading: text that sorts the list when clicked.
pub fn heading(theme: &Theme, status: button::Status) -> button::Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    let background = match status {
        button::Status::Hovered => Some(mix(paper, ink, 0.1).into()),
        button::Status::Pressed => Some(mix(paper, ink, 0.14).into()),
        _ => None,
    };
    button::Style { background, text_color: ink, ..button::Style::default() }
}

/// The star of a flagged message.
pub fn star(theme: &Theme) -> text::Style {
    text::Style { color: Some(if super::is_dark(theme) { STAR_DARK } else { STAR_LIGHT }) }
}

/// An unread count in the folder pane.
pub fn count(theme: &Theme) -> text::Style {
    text::Style { color: Some(link(theme)) }
}

/// Links in a message: the action blue, lifted on dark paper.
pub fn link(theme: &Theme) -> Color {
    let palette = theme.extended_palette();
    let blue = palette.primary.base.color;
    if palette.is_dark { mix(blue, Color::WHITE, 0.45) } else { blue }
}

/// Secondary text in the reader's rich text (an image's alt text).
pub fn faint(theme: &Theme) -> Color {
    super::muted(theme)
}

/// The "Move to…" picker: dressed like the toolbar's buttons beside it.
pub fn picker(theme: &Theme, status: pick_list::Status) -> pick_list::Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    let background = match status {
        pick_list::Status::Active => mix(paper, ink, 0.06),
        pick_list::Status::Hovered | pick_list::Status::Opened { .. } => mix(paper, ink, 0.12),
    };
    pick_list::Style {
        text_color: ink,
        placeholder_color: ink,
        handle_color: mix(ink, paper, 0.3),
        background: background.into(),
        border: Border { color: mix(paper, ink, 0.25), width: 1.0, radius: 6.0.into() },
    }
}

/// The list's scrollbar: a quiet rail and a scroller dark enough to find. (iced keeps the
/// scroller at least 2 px long only: in a list of 100k rows it is a line; clicking the rail
/// jumps there, and the keys move by pages.)
pub fn scrollbar(theme: &Theme, status: scrollable::Status) -> scrollable::Style {
    let palette = theme.extended_palette();
    let paper = palette.background.base.color;
    let ink = palette.background.base.text;
    let style = scrollable::default(theme, status);
    let active = |rail: scrollable::Rail, hot: bool| scrollable::Rail {
        background: Some(mix(paper, ink, 0.05).into()),
        scroller: scrollable::Scroller {
            background: if hot { palette.primary.base.color.into() } else { mix(paper, ink, 0.55).into() },
            ..rail.scroller
        },
        ..rail
    };
    let (vertical_hot, horizontal_hot) = match status {
        scrollable::Status::Hovered {
            is_vertical_scrollbar_hovered,
            is_horizontal_scrollbar_hovered,
            ..
        } => (is_vertical_scrollbar_hovered, is_horizontal_scrollbar_hovered),
        scrollable::Status::Dragged {
            is_vertical_scrollbar_dragged,
            is_horizontal_scrollbar_dragged,
            ..
        } => (is_vertical_scrollbar_dragged, is_horizontal_scrollbar_dragged),
        scrollable::Status::Active { .. } => (false, false),
    };
    scrollable::Style {
        vertical_rail: active(style.vertical_rail, vertical_hot),
        horizontal_rail: active(style.horizontal_rail, horizontal_hot),
        ..style
    }
}

/// The dividers between the mailbox's panes: the action colour while hovered or dragged.
pub fn divider(theme: &Theme) -> iced::widget::pane_grid::Style {
    use iced::widget::pane_grid::{Highlight, Line, Style};
    let palette = theme.extended_palette();
    let line = Line { color: palette.primary.base.color, width: 2.0 };
    Style {
        hovered_region: Highlight {
            background: mix(palette.background.base.color, palette.primary.base.color, 0.2).into(),
            border: Border::default(),
        },
        picked_split: line,
        hovered_split: line,
    }
}

/// Behind the words a search matched: a soft marker yellow, dimmed on dark paper.
pub fn search_mark(theme: &Theme) -> Color {
    if super::is_dark(theme) { Color { a: 0.35, ..color!(0xc08400) } } else { color!(0xfff0a8) }
}
