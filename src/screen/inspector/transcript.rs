//! The live transcript: every line with its time offset and direction, filters per direction,
//! a case-insensitive search, and a copy of what is shown.
//!
//! A transcript can reach thousands of lines, so the list is virtualised by hand: every row
//! has the same height and does not wrap, the scrollable reports its viewport, and only the
//! rows in view (plus some overscan) are built, between two spacers standing in for the rest.
//! Which lines pass the filters is worked out in `update`, never in `view`.

use iced::widget::scrollable::{Direction, RelativeOffset, Scrollbar, Viewport};
use iced::widget::text::{LineHeight, Wrapping};
use iced::widget::{Column, button, column, container, operation, row, scrollable, space, text, text_input};
use iced::{Alignment, Element, Font, Length, Task, widget};

use tidings_mail::net::{Dir, Line};

use super::id;
use crate::theme;

/// Height of one row, in logical pixels.
const ROW_HEIGHT: f32 = 18.0;
const TEXT_SIZE: f32 = 12.0;
/// Advance of one monospace character at `TEXT_SIZE` (DejaVu Sans Mono: 0.602 em), rounded up.
const CHAR_WIDTH: f32 = 7.4;
/// Room for "  +12.345".
const TIME_WIDTH: f32 = 80.0;
/// Rows built above and below the viewport, so fast scrolling shows no gap.
const OVERSCAN: usize = 30;
/// Room left for a scrollbar drawn over the content (its default width is 10).
const SCROLLBAR_ROOM: f32 = 16.0;
/// Assumed height until the scrollable reports its viewport.
const DEFAULT_HEIGHT: f32 = 800.0;

#[derive(Debug, Clone)]
pub enum Message {
    Toggle(Dir),
    Search(String),
    Scrolled(Viewport),
    Copy,
}

pub struct Pane {
    lines: Vec<Line>,
    show_client: bool,
    show_server: bool,
    show_notes: bool,
    search: String,
    /// `search`, lower-cased once.
    needle: String,
    /// Indices into `lines` of the lines shown.
    shown: Vec<usize>,
    /// Characters in the longest shown line (sets the width to scroll sideways).
    widest: usize,
    /// Top of the viewport and its height.
    offset: f32,
    height: f32,
    /// Keep the newest line in view as lines arrive (until the user scrolls up).
    follow: bool,
}

impl Default for Pane {
    fn default() -> Self {
        Pane {
            lines: Vec::new(),
            show_client: true,
            show_server: true,
            show_notes: true,
            search: String::new(),
            needle: String::new(),
            shown: Vec::new(),
            widest: 0,
            offset: 0.0,
            height: DEFAULT_HEIGHT,
            follow: true,
        }
    }
}

impl Pane {
    pub fn update(&mut self, message: Message) -> Task<super::Message> {
        match message {
            Message::Toggle(dir) => {
                let show = match dir {
                    Dir::Client => &mut self.show_client,
                    Dir::Server => &mut self.show_server,
                    Dir::Info => &mut self.show_notes,
                };
                *show = !*show;
                self.refilter();
            }
            Message::Search(search) => {
                self.needle = search.to_lowercase();
                self.search = search;
                self.refilter();
            }
            Message::Scrolled(viewport) => {
                self.offset = viewport.absolute_offset().y;
                self.height = viewport.bounds().height;
                self.follow = self.offset + self.height >= viewport.content_bounds().height - ROW_HEIGHT;
            }
            Message::Copy => return iced::clipboard::write(self.shown_text()),
        }
        Task::none()
    }

    /// Appends lines (live); keeps the newest in view when following.
    pub fn extend(&mut self, lines: impl IntoIterator<Item = Line>) -> Task<super::Message> {
        let before = self.shown.len();
        for line in lines {
            self.lines.push(line);
            self.consider(self.lines.len() - 1);
        }
        if self.shown.len() > before { self.snap_if_following() } else { Task::none() }
    }

    /// Empties the list for a new run; the filters and the search stay.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.shown.clear();
        self.widest = 0;
        self.offset = 0.0;
        self.follow = true;
    }

    /// Replaces every line (a finished report carries the complete transcript); when following,
    /// keeps the end in view when following.
    pub fn replace(&mut self, lines: Vec<Line>) -> Task<super::Message> {
        self.lines = lines;
        self.refilter();
        self.snap_if_following()
    }

    fn snap_if_following(&self) -> Task<super::Message> {
        if self.follow && !self.shown.is_empty() {
            operation::snap_to(id::TRANSCRIPT, RelativeOffset { x: 0.0, y: 1.0 })
        } else {
            Task::none()
        }
    }

    /// Time of the last line, for a note of ours after it.
    pub fn last_time(&self) -> std::time::Duration {
        self.lines.last().map(|l| l.at).unwrap_or_default()
    }

    pub fn shown_lines(&self) -> impl Iterator<Item = &Line> {
        self.shown.iter().filter_map(|&i| self.lines.get(i))
    }

    /// What "Copy transcript" puts on the clipboard: the shown lines, one per line.
    pub fn shown_text(&self) -> String {
        let mut out = String::new();
        for line in self.shown_lines() {
            out.push_str(&time(line));
            out.push(' ');
            out.push_str(&body(line));
            out.push('\n');
        }
        out
    }

    fn refilter(&mut self) {
        self.shown.clear();
        self.widest = 0;
        for index in 0..self.lines.len() {
            self.consider(index);
        }
        // The scrollable clamps its offset to the shorter list too; follow it at once.
        let end = (self.shown.len() as f32 * ROW_HEIGHT - self.height).max(0.0);
        self.offset = self.offset.min(end);
    }

    fn consider(&mut self, index: usize) {
        let Some(line) = self.lines.get(index) else { return };
        let shown_dir = match line.dir {
            Dir::Client => self.show_client,
            Dir::Server => self.show_server,
            Dir::Info => self.show_notes,
        };
        if shown_dir && (self.needle.is_empty() || line.text.to_lowercase().contains(&self.needle)) {
            self.widest = self.widest.max(body(line).chars().count());
            self.shown.push(index);
        }
    }

    pub fn view(&self) -> Element<'_, super::Message> {
        let toggle = |label: &'static str, widget_id: &'static str, dir: Dir, on: bool| {
            container(
                button(text(label).size(13))
                    .padding([4, 10])
                    .style(theme::button::choice(on))
                    .on_press(super::Message::Transcript(Message::Toggle(dir))),
            )
            .id(widget::Id::new(widget_id))
        };
        let search = text_input("Search", &self.search)
            .id(widget::Id::new(id::SEARCH))
            .on_input(|s| super::Message::Transcript(Message::Search(s)))
            .padding(5)
            .size(13)
            .width(Length::Fill)
            .style(theme::text_input::field);
        let count = if self.needle.is_empty() {
            format!("{} of {} lines", self.shown.len(), self.lines.len())
        } else {
            match self.shown.len() {
                1 => "1 matching line".to_string(),
                n => format!("{n} matching lines"),
            }
        };
        let copy = container(
            button(text("Copy transcript").size(13))
                .padding([4, 10])
                .style(theme::button::secondary)
                .on_press_maybe(
                    (!self.shown.is_empty()).then_some(super::Message::Transcript(Message::Copy)),
                ),
        )
        .id(widget::Id::new(id::COPY_TRANSCRIPT));

        let toolbar = row![
            toggle("Client", id::SHOW_CLIENT, Dir::Client, self.show_client),
            toggle("Server", id::SHOW_SERVER, Dir::Server, self.show_server),
            toggle("Notes", id::SHOW_NOTES, Dir::Info, self.show_notes),
            search,
            copy,
        ]
        .spacing(6)
        .align_y(Alignment::Center);

        column![
            row![
                text("Transcript").size(16),
                space::horizontal(),
                text(count).size(13).style(theme::text::muted)
            ]
            .align_y(Alignment::Center),
            toolbar,
            container(self.list())
                .width(Length::Fill)
                .height(Length::Fill)
                .padding(1)
                .style(theme::pane::code),
        ]
        .spacing(8)
        .into()
    }

    /// The range of shown lines to build: those in the viewport, plus the overscan.
    fn window(&self) -> (usize, usize) {
        let total = self.shown.len();
        let first = ((self.offset / ROW_HEIGHT).floor() as usize).saturating_sub(OVERSCAN).min(total);
        let last = (((self.offset + self.height) / ROW_HEIGHT).ceil() as usize + OVERSCAN).min(total);
        (first, last.max(first))
    }

    /// The visible rows between two spacers.
    fn list(&self) -> Element<'_, super::Message> {
        if self.shown.is_empty() {
            let note = if self.lines.is_empty() {
                "The conversation with the server appears here as it happens."
            } else {
                "No line matches the filters."
            };
            return container(text(note).size(13).style(theme::text::muted)).padding(12).into();
        }
        let total = self.shown.len();
        let (first, last) = self.window();
        let rows = self.shown[first..last].iter().filter_map(|&i| self.lines.get(i)).map(row_view);
        let width = TIME_WIDTH + self.widest as f32 * CHAR_WIDTH + 8.0 + SCROLLBAR_ROOM;

        let content = Column::new()
            .push(space().height(first as f32 * ROW_HEIGHT))
            .extend(rows)
            .push(space().height((total - last) as f32 * ROW_HEIGHT))
            .width(width)
            // Scrolling both ways, iced draws the scrollbars over the content (it embeds them
            // only for one direction): room for them after the last row and the longest line.
            .padding(iced::Padding { top: 4.0, right: SCROLLBAR_ROOM, bottom: SCROLLBAR_ROOM, left: 8.0 });

        scrollable(content)
            .id(widget::Id::new(id::TRANSCRIPT))
            .direction(Direction::Both { vertical: Scrollbar::new(), horizontal: Scrollbar::new() })
            .on_scroll(|viewport| super::Message::Transcript(Message::Scrolled(viewport)))
            .width(Length::Fill)
            .height(Length::Fill)
            .into()
    }
}

fn row_view(line: &Line) -> Element<'_, super::Message> {
    let style = match line.dir {
        Dir::Client => theme::text::client,
        Dir::Server => theme::text::server,
        Dir::Info => theme::text::muted,
    };
    let cell = |content: String| {
        text(content)
            .size(TEXT_SIZE)
            .font(Font::MONOSPACE)
            .line_height(LineHeight::Absolute(ROW_HEIGHT.into()))
            .wrapping(Wrapping::None)
    };
    row![cell(time(line)).width(TIME_WIDTH).style(theme::text::muted), cell(body(line)).style(style)]
        .height(ROW_HEIGHT)
        .into()
}

/// "   +0.123", right-aligned so the markers line up.
fn time(line: &Line) -> String {
    format!("{:>9}", format!("+{:.3}", line.at.as_secs_f64()))
}

/// "C: a1 LOGIN <redacted>"
fn body(line: &Line) -> String {
    crate::widget::transcript_line::shown(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn line(dir: Dir, text: &str) -> Line {
        Line { at: Duration::from_millis(12), dir, text: text.into() }
    }

    fn pane() -> Pane {
        let mut pane = Pane::default();
        let _ = pane.extend([
            line(Dir::Server, "* OK ready"),
            line(Dir::Client, "a1 LOGIN <redacted>"),
            line(Dir::Server, "a1 OK Logged in"),
            line(Dir::Info, "Log in done in 3.0 ms"),
        ]);
        pane
    }

    #[test]
    fn filters_by_direction_and_searches_case_insensitively() {
        let mut pane = pane();
        let _ = pane.update(Message::Toggle(Dir::Server));
        let dirs: Vec<Dir> = pane.shown_lines().map(|l| l.dir).collect();
        assert_eq!(dirs, [Dir::Client, Dir::Info]);
        let _ = pane.update(Message::Toggle(Dir::Server));
        let _ = pane.update(Message::Search("log".into()));
        assert_eq!(pane.shown_lines().count(), 3, "LOGIN, Logged, Log in");
        // New lines are filtered as they arrive.
        let _ = pane.extend([line(Dir::Client, "a2 LOGOUT"), line(Dir::Client, "a3 NOOP")]);
        assert_eq!(pane.shown_lines().count(), 4);
        assert_eq!(pane.shown_text().lines().last(), Some("   +0.012 C: a2 LOGOUT"));
    }

    #[test]
    fn only_the_rows_in_view_are_built() {
        let mut pane = Pane::default();
        let _ = pane.extend((0..5000).map(|i| line(Dir::Server, &format!("* {i} EXISTS"))));
        let (first, last) = pane.window();
        assert_eq!(first, 0);
        assert!(last - first < 120, "{first}..{last}");
        pane.offset = 4000.0 * ROW_HEIGHT;
        let (first, last) = pane.window();
        assert!(first > 3900 && last - first < 120, "{first}..{last}");
        // A filter that shrinks the list brings the one match into view.
        let _ = pane.update(Message::Search("* 7 ".into()));
        assert_eq!(pane.window(), (0, 1));
    }
}
