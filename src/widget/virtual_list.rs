//! A hand-virtualised list: iced 0.14 has no virtual list widget, and building every row of a
//! long list costs far more than drawing it (10k rows: 140–210 ms per view; only the rows in
//! view: 13–40 ms).
//!
//! Every row has the same height. The screen keeps the scrollable's viewport (its
//! `on_scroll`), asks [`window`] which rows to build — those in view plus some overscan, so
//! fast scrolling shows no gap — and [`column`] puts them between two spacers standing in for
//! the rows above and below, so the scrollbar shows the whole list.

use iced::Element;
use iced::widget::{Column, space};

/// The rows to build: `first..last` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first: usize,
    pub last: usize,
}

impl Window {
    pub fn len(&self) -> usize {
        self.last - self.first
    }

    pub fn is_empty(&self) -> bool {
        self.first == self.last
    }

    pub fn contains(&self, index: usize) -> bool {
        (self.first..self.last).contains(&index)
    }
}

/// The rows in view of a viewport starting `offset` pixels down and `height` tall, plus
/// `overscan` rows on either side, clamped to `total`.
pub fn window(total: usize, offset: f32, height: f32, row_height: f32, overscan: usize) -> Window {
    let offset = offset.max(0.0);
    let first = ((offset / row_height).floor() as usize).saturating_sub(overscan).min(total);
    let last =
        (((offset + height.max(0.0)) / row_height).ceil() as usize).saturating_add(overscan).min(total);
    Window { first, last: last.max(first) }
}

/// Where the viewport's top must move for row `index` to be wholly in view: `None` when it
/// already is; otherwise the row at the top (it is above) or at the bottom (it is below).
pub fn offset_showing(index: usize, row_height: f32, offset: f32, height: f32) -> Option<f32> {
    let top = index as f32 * row_height;
    if top < offset {
        Some(top)
    } else if top + row_height > offset + height {
        Some((top + row_height - height).max(0.0))
    } else {
        None
    }
}

/// Rows `window.first..window.last` (given by `rows`, in order) between spacers for the
/// `total` rows of `row_height` pixels.
pub fn column<'a, Message: 'a>(
    total: usize,
    window: Window,
    row_height: f32,
    rows: impl IntoIterator<Item = Element<'a, Message>>,
) -> Column<'a, Message> {
    let above = window.first as f32 * row_height;
    let below = total.saturating_sub(window.last) as f32 * row_height;
    Column::new().push(space().height(above)).extend(rows).push(space().height(below))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_out_of_view_is_brought_to_the_nearer_edge() {
        // Rows of 20 px, a 100 px viewport showing rows 5..10.
        assert_eq!(offset_showing(7, 20.0, 100.0, 100.0), None);
        assert_eq!(offset_showing(2, 20.0, 100.0, 100.0), Some(40.0), "above: at the top");
        assert_eq!(offset_showing(12, 20.0, 100.0, 100.0), Some(160.0), "below: at the bottom");
        assert_eq!(offset_showing(2, 20.0, 40.0, 100.0), None, "the first row in view");
        assert_eq!(offset_showing(6, 20.0, 40.0, 100.0), None, "the last row in view");
    }

    #[test]
    fn the_window_covers_the_viewport_and_the_overscan_only() {
        // 100k rows of 24 px, a 480 px viewport (20 rows) at row 50,000.
        let w = window(100_000, 50_000.0 * 24.0, 480.0, 24.0, 10);
        assert_eq!(w, Window { first: 49_990, last: 50_030 });
        assert!(w.contains(50_000) && !w.contains(50_030));
        // At the top, and past the end (a list that just shrank).
        assert_eq!(window(100_000, 0.0, 480.0, 24.0, 10), Window { first: 0, last: 30 });
        assert_eq!(window(5, 10_000.0, 480.0, 24.0, 10), Window { first: 5, last: 5 });
        assert!(window(0, 0.0, 480.0, 24.0, 10).is_empty());
    }
}
