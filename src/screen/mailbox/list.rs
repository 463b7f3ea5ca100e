//! The message list of one folder, virtualised by hand so it stays smooth at 100k messages.
//!
//! Rows have a fixed height. The store is asked only for a window of rows around the
//! viewport (`Store::list` with offset and limit, on an index) and for the folder's counts;
//! the window is fetched again when the viewport leaves it, when the sort changes, when the
//! sync brings messages and after an action. At most one request is in flight; a need that
//! arises meanwhile is remembered and served when it returns. `view` builds only the rows in
//! view plus some overscan, between two spacers ([`crate::widget::virtual_list`]).

use iced::font::Weight;
use iced::widget::scrollable::{AbsoluteOffset, Viewport};
use iced::widget::text::{LineHeight, Wrapping};
use iced::widget::{button, column, container, operation, row, scrollable, text};
use iced::{Alignment, Element, Font, Length, Task, widget};

use tidings_mail::store::{Counts, FolderId, MessageRow, Sort, SortKey, StoreHandle};

use super::selection::Marks;
use super::{Message, elide, format, id};
use crate::theme;
use crate::widget::virtual_list::{self, Window};

/// Height of one row, in logical pixels.
pub const ROW_HEIGHT: f32 = 26.0;
const TEXT_SIZE: f32 = 13.0;
/// Rows built above and below the viewport.
const OVERSCAN: usize = 20;
/// Rows fetched beyond the built ones, so small scrolls need no store call.
const FETCH_MARGIN: usize = 100;
/// Assumed viewport height until the scrollable reports its own.
const DEFAULT_HEIGHT: f32 = 400.0;
const DATE_WIDTH: f32 = 150.0;
const SIZE_WIDTH: f32 = 70.0;
const STAR_WIDTH: f32 = 22.0;

/// A window of rows as the store returned it.
#[derive(Debug, Clone)]
pub struct Page {
    generation: u64,
    start: usize,
    rows: Vec<MessageRow>,
    counts: Counts,
    /// The message the request looked for ([`List::locate`])…
    sought: Option<u32>,
    /// …its position in the order and the viewport's offset that shows it, when found.
    found: Option<(usize, f32)>,
}

pub struct List {
    folder: Option<FolderId>,
    sort: Sort,
    /// Messages in the folder, and unread ones.
    counts: Counts,
    /// Rows `start..start + rows.len()` of the sorted folder.
    start: usize,
    rows: Vec<MessageRow>,
    /// Top of the viewport and its height.
    offset: f32,
    height: f32,
    /// The selected position and, once its row is known, its UID (which follows the
    /// message when rows arrive above it).
    selected: Option<usize>,
    selected_uid: Option<u32>,
    /// A message whose position in the order is to be found (after a re-sort, or chosen by
    /// UID outside the rows held): the next request finds it and its window, and the list
    /// scrolls there.
    locate: Option<u32>,
    /// A request is in flight; `again`: another is needed once it returns.
    loading: bool,
    again: bool,
    /// Whether the folder's first window has arrived.
    loaded: bool,
    /// Bumped when the folder or the sort changes: older answers are dropped.
    generation: u64,
    /// More messages chosen than the selection ([`super::selection`]).
    marks: Marks,
}

impl Default for List {
    fn default() -> Self {
        List {
            folder: None,
            sort: Sort::NEWEST,
            counts: Counts::default(),
            start: 0,
            rows: Vec::new(),
            offset: 0.0,
            height: DEFAULT_HEIGHT,
            selected: None,
            selected_uid: None,
            locate: None,
            loading: false,
            again: false,
            loaded: false,
            generation: 0,
            marks: Marks::default(),
        }
    }
}

impl List {
    pub fn folder(&self) -> Option<FolderId> {
        self.folder
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The selected message's UID, also before its row is held.
    pub fn selected_uid(&self) -> Option<u32> {
        self.selected_uid
    }

    /// The selected position (the last clicked row), also before its row is held.
    pub fn selected_index(&self) -> Option<usize> {
        self.selected
    }

    /// The messages chosen besides the selection (Ctrl/Shift-click, Ctrl+A).
    pub fn marks(&self) -> &Marks {
        &self.marks
    }

    pub(super) fn marks_mut(&mut self) -> &mut Marks {
        &mut self.marks
    }

    /// Whether the row at `index`, holding `uid`, is drawn chosen.
    pub fn is_chosen(&self, index: usize, uid: u32) -> bool {
        if self.marks.is_active() { self.marks.contains(index, uid) } else { self.selected == Some(index) }
    }

    /// The rows held that are drawn chosen, in list order.
    pub fn chosen_rows(&self) -> impl Iterator<Item = &MessageRow> {
        self.rows.iter().enumerate().filter(|(i, r)| self.is_chosen(self.start + i, r.uid)).map(|(_, r)| r)
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    /// The UIDs at positions `lo..=hi`, when the rows held cover them.
    pub(super) fn uids_at(&self, lo: usize, hi: usize) -> Option<Vec<u32>> {
        let from = lo.checked_sub(self.start)?;
        self.rows.get(from..=hi - self.start).map(|rows| rows.iter().map(|r| r.uid).collect())
    }

    /// The order for the next folder shown (a restored list).
    pub fn set_sort(&mut self, sort: Sort) {
        self.sort = sort;
    }

    fn total(&self) -> usize {
        self.counts.total as usize
    }

    /// The rows currently held (the window around the viewport), in list order.
    pub fn rows(&self) -> &[MessageRow] {
        &self.rows
    }

    /// The selected message, when its row is loaded.
    pub fn selected(&self) -> Option<&MessageRow> {
        let index = self.selected?;
        let row = self.rows.get(index.checked_sub(self.start)?)?;
        (self.selected_uid.is_none() || self.selected_uid == Some(row.uid)).then_some(row)
    }

    /// Shows another folder, from the top.
    pub fn show(&mut self, folder: FolderId, store: &StoreHandle) -> Task<Message> {
        let generation = self.generation + 1;
        *self = List {
            folder: Some(folder),
            sort: self.sort,
            height: self.height,
            generation,
            ..List::default()
        };
        Task::batch([self.request(store), to_top()])
    }

    /// Sorts by `key`: the current key again flips the direction; a new one starts with
    /// the natural direction (newest and largest first, names from A).
    pub fn sort_by(&mut self, key: SortKey, store: &StoreHandle) -> Task<Message> {
        self.sort = if self.sort.key == key {
            Sort { key, descending: !self.sort.descending }
        } else {
            Sort { key, descending: matches!(key, SortKey::Date | SortKey::Size) }
        };
        self.generation += 1;
        self.rows.clear();
        self.start = 0;
        self.offset = 0.0;
        // The selected message stays selected: the request finds its new place, and the
        // list scrolls there when it comes.
        self.selected = None;
        self.marks.resorted();
        self.locate = self.selected_uid;
        // Answers for the old order are dropped when they come: ask anew now.
        self.loading = false;
        let top = if self.locate.is_some() { Task::none() } else { to_top() };
        Task::batch([self.request(store), top])
    }

    /// The viewport moved or changed size.
    pub fn scrolled(&mut self, viewport: Viewport, store: &StoreHandle) -> Task<Message> {
        self.offset = viewport.absolute_offset().y;
        self.height = viewport.bounds().height;
        if self.covered() { Task::none() } else { self.request(store) }
    }

    /// Reads the window again (new mail, an action).
    pub fn refresh(&mut self, store: &StoreHandle) -> Task<Message> {
        self.request(store)
    }

    /// The rows to build.
    fn window(&self) -> Window {
        virtual_list::window(self.total(), self.offset, self.height, ROW_HEIGHT, OVERSCAN)
    }

    /// Whether the rows held cover the rows to build.
    fn covered(&self) -> bool {
        let w = self.window();
        w.is_empty() || (w.first >= self.start && w.last <= self.start + self.rows.len())
    }

    fn request(&mut self, store: &StoreHandle) -> Task<Message> {
        let Some(folder) = self.folder else { return Task::none() };
        if self.loading {
            self.again = true;
            return Task::none();
        }
        self.loading = true;
        self.again = false;
        let w = self.window();
        let start = w.first.saturating_sub(FETCH_MARGIN);
        // Before the first answer the total is unknown: enough rows for a tall window.
        let visible = (self.height / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        let limit = w.len().max(visible) + 2 * FETCH_MARGIN;
        let (sort, generation, sought, height) = (self.sort, self.generation, self.locate, self.height);
        let store = store.clone();
        Task::perform(
            async move {
                store
                    .call(move |s| {
                        let counts = s.counts(folder)?;
                        let found = match sought {
                            Some(uid) => s.position(folder, sort, uid)?.map(|at| {
                                let at = at as usize;
                                (at, centred(at, counts.total as usize, height))
                            }),
                            None => None,
                        };
                        // Found: the window around it instead of around the old viewport.
                        let start = match found {
                            Some((_, offset)) => virtual_list::window(
                                counts.total as usize,
                                offset,
                                height,
                                ROW_HEIGHT,
                                OVERSCAN,
                            )
                            .first
                            .saturating_sub(FETCH_MARGIN),
                            None => start,
                        };
                        let rows = s.list(folder, sort, start as u64, limit as u64)?;
                        Ok(Page { generation, start, rows, counts, sought, found })
                    })
                    .await
            },
            Message::Page,
        )
    }

    /// A window arrived. Returns the next request when the viewport has moved on.
    pub fn page(&mut self, page: Page, store: &StoreHandle) -> Task<Message> {
        // An answer for another folder or order: the request for this one is in flight.
        if page.generation != self.generation {
            return Task::none();
        }
        self.loading = false;
        self.counts = page.counts;
        self.start = page.start;
        self.rows = page.rows;
        self.loaded = true;
        let mut scroll = Task::none();
        if page.sought.is_some() && page.sought == self.locate {
            self.locate = None;
            match page.found {
                Some((at, offset)) => {
                    self.selected = Some(at);
                    self.selected_uid = page.sought;
                    self.offset = offset;
                    scroll = operation::scroll_to(id::LIST, AbsoluteOffset { x: 0.0, y: offset });
                }
                // Gone from the folder meanwhile.
                None => self.selected_uid = None,
            }
        }
        self.follow_selection();
        let next = if self.again || self.locate.is_some() || !self.covered() {
            self.request(store)
        } else {
            Task::none()
        };
        Task::batch([scroll, next])
    }

    /// The request failed: nothing more is asked until the next change.
    pub fn failed(&mut self) {
        self.loading = false;
        self.again = false;
    }

    /// Keeps the selection on its message when rows moved; drops it when the message left
    /// the window (it was moved, deleted, or many rows arrived above it).
    fn follow_selection(&mut self) {
        let Some(index) = self.selected else {
            // A message chosen by UID before its row was held (`select_uid`).
            if let Some(uid) = self.selected_uid {
                self.selected = self.rows.iter().position(|r| r.uid == uid).map(|p| self.start + p);
            }
            return;
        };
        match self.selected_uid {
            Some(uid) => match self.rows.iter().position(|r| r.uid == uid) {
                Some(p) => self.selected = Some(self.start + p),
                None if index >= self.start && index < self.start + self.rows.len() => {
                    self.selected = None;
                    self.selected_uid = None;
                }
                None => {}
            },
            None => self.selected_uid = self.row_at(index).map(|r| r.uid),
        }
        if self.selected.is_some_and(|i| i >= self.total()) {
            self.selected = self.total().checked_sub(1);
            self.selected_uid = self.selected.and_then(|i| self.row_at(i)).map(|r| r.uid);
        }
    }

    fn row_at(&self, index: usize) -> Option<&MessageRow> {
        self.rows.get(index.checked_sub(self.start)?)
    }

    /// Selects the row at `index` alone (a click).
    pub fn select(&mut self, index: usize, uid: u32) {
        self.marks.clear(Some(index));
        self.point_at(index, uid);
    }

    /// Moves the selection (the last clicked row) without changing what else is chosen.
    pub(super) fn point_at(&mut self, index: usize, uid: u32) {
        self.selected = Some(index);
        self.selected_uid = Some(uid);
    }

    /// Selects the message `uid`: at once when its row is held, else when the window around
    /// it arrives (asked for now, or after the request in flight), scrolled into view.
    pub fn select_uid(&mut self, uid: u32, store: &StoreHandle) -> Task<Message> {
        self.marks.clear(None);
        self.selected_uid = Some(uid);
        self.selected = self.rows.iter().position(|r| r.uid == uid).map(|p| self.start + p);
        self.locate = self.selected.is_none().then_some(uid);
        if self.locate.is_some() { self.request(store) } else { Task::none() }
    }

    /// Moves the selection by a key; scrolls so it stays in view.
    pub fn step(&mut self, key: Step, store: &StoreHandle) -> Task<Message> {
        let total = self.total();
        if total == 0 {
            return Task::none();
        }
        let page = ((self.height / ROW_HEIGHT).floor() as usize).saturating_sub(1).max(1);
        let last = total - 1;
        let index = match (self.selected, key) {
            (None, Step::Up | Step::PageUp | Step::First) | (None, Step::Down | Step::PageDown) => 0,
            (None, Step::Last) => last,
            (Some(i), Step::Up) => i.saturating_sub(1),
            (Some(i), Step::Down) => (i + 1).min(last),
            (Some(i), Step::PageUp) => i.saturating_sub(page),
            (Some(i), Step::PageDown) => (i + page).min(last),
            (Some(_), Step::First) => 0,
            (Some(_), Step::Last) => last,
        };
        self.selected = Some(index);
        self.selected_uid = self.row_at(index).map(|r| r.uid);
        self.marks.clear(Some(index));
        // Into view: the viewport follows at once (so the window is fetched now), and the
        // scrollable is told to scroll there.
        let top = index as f32 * ROW_HEIGHT;
        let target = if top < self.offset {
            Some(top)
        } else if top + ROW_HEIGHT > self.offset + self.height {
            Some(top + ROW_HEIGHT - self.height)
        } else {
            None
        };
        let Some(y) = target else { return Task::none() };
        self.offset = y.max(0.0);
        let fetch = if self.covered() { Task::none() } else { self.request(store) };
        Task::batch([fetch, operation::scroll_to(id::LIST, AbsoluteOffset { x: 0.0, y: self.offset })])
    }

    /// Applies a change to a held row at once (the store has it too; the next window will
    /// agree).
    pub fn update_row(&mut self, uid: u32, change: impl Fn(&mut MessageRow)) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.uid == uid) {
            let was_unread = row.unread;
            change(row);
            if was_unread != row.unread {
                self.counts.unread =
                    if row.unread { self.counts.unread + 1 } else { self.counts.unread.saturating_sub(1) };
            }
        }
    }

    /// Takes a message out of the list at once (deleted or moved). The selection stays at
    /// its position, which now holds the next message. Returns that message.
    pub fn remove(&mut self, uid: u32) -> Option<&MessageRow> {
        let p = self.rows.iter().position(|r| r.uid == uid)?;
        let removed = self.rows.remove(p);
        self.counts.total = self.counts.total.saturating_sub(1);
        if removed.unread {
            self.counts.unread = self.counts.unread.saturating_sub(1);
        }
        let index = self.start + p;
        match self.selected {
            Some(s) if s > index => self.selected = Some(s - 1),
            Some(s) if s == index => {
                self.selected = (index < self.total()).then_some(index).or(self.total().checked_sub(1));
                self.selected_uid = self.selected.and_then(|i| self.row_at(i)).map(|r| r.uid);
            }
            _ => {}
        }
        self.selected()
    }

    /// The list, `width` pixels wide (long senders and subjects are elided to their column).
    pub fn view(&self, width: f32) -> Element<'_, Message> {
        let body: Element<'_, Message> = match self.folder {
            None => note("Choose a folder."),
            Some(_) if !self.loaded => note("Loading…"),
            Some(_) if self.total() == 0 => note("No messages in this folder."),
            Some(_) => self.rows_view(Columns::for_width(width)),
        };
        column![self.headings(), body].height(Length::Fill).into()
    }

    fn headings(&self) -> Element<'_, Message> {
        let heading = |label: &'static str, key: SortKey, widget_id: &'static str| {
            let arrow = match (self.sort.key == key, self.sort.descending) {
                (false, _) => "",
                (true, true) => " ▼",
                (true, false) => " ▲",
            };
            container(
                button(
                    text(format!("{label}{arrow}"))
                        .size(12)
                        .font(Font { weight: Weight::Bold, ..Font::DEFAULT }),
                )
                .padding([4, 6])
                .width(Length::Fill)
                .style(theme::mailbox::heading)
                .on_press(Message::SortBy(key)),
            )
            .id(widget::Id::new(widget_id))
        };
        container(
            row![
                container(text("★").size(12).style(theme::text::muted))
                    .width(STAR_WIDTH)
                    .center_x(STAR_WIDTH),
                heading("Sender", SortKey::Sender, id::SORT_SENDER).width(Length::FillPortion(3)),
                heading("Subject", SortKey::Subject, id::SORT_SUBJECT).width(Length::FillPortion(6)),
                heading("Date", SortKey::Date, id::SORT_DATE).width(DATE_WIDTH),
                heading("Size", SortKey::Size, id::SORT_SIZE).width(SIZE_WIDTH),
            ]
            .align_y(Alignment::Center)
            .padding(iced::Padding { right: 12.0, ..iced::Padding::ZERO }),
        )
        .width(Length::Fill)
        .style(theme::mailbox::bar)
        .into()
    }

    fn rows_view(&self, columns: Columns) -> Element<'_, Message> {
        let window = self.window();
        let rows = (window.first..window.last).map(|index| match self.row_at(index) {
            Some(row) => row_view(index, row, self.is_chosen(index, row.uid), columns),
            // Not fetched yet (a fast scroll): an empty row of the same height.
            None => container(text("")).height(ROW_HEIGHT).into(),
        });
        scrollable(virtual_list::column(self.total(), window, ROW_HEIGHT, rows).width(Length::Fill))
            .id(widget::Id::new(id::LIST))
            .on_scroll(Message::Scrolled)
            .style(theme::mailbox::scrollbar)
            .width(Length::Fill)
            .height(Length::Fill)
            .into()
    }
}

/// Selection moves the key map asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
}

/// The viewport's offset that shows row `at` of `total` in the middle of `height`.
fn centred(at: usize, total: usize, height: f32) -> f32 {
    let top = at as f32 * ROW_HEIGHT - (height - ROW_HEIGHT) / 2.0;
    top.min(total as f32 * ROW_HEIGHT - height).max(0.0)
}

fn to_top() -> Task<Message> {
    operation::scroll_to(id::LIST, AbsoluteOffset { x: 0.0, y: 0.0 })
}

fn note(words: &'static str) -> Element<'static, Message> {
    container(text(words).size(13).style(theme::text::muted)).padding(16).into()
}

/// The room for text in the two columns that share the list's width.
#[derive(Debug, Clone, Copy)]
struct Columns {
    sender: f32,
    subject: f32,
}

impl Columns {
    fn for_width(width: f32) -> Columns {
        // Sender and subject share what the fixed columns and the scrollbar leave, 3:6, each
        // less its padding.
        let shared = (width - STAR_WIDTH - DATE_WIDTH - SIZE_WIDTH - 12.0).max(0.0);
        Columns { sender: shared * 3.0 / 9.0 - 12.0, subject: shared * 6.0 / 9.0 - 12.0 }
    }
}

/// One message: star, sender, subject, date, size. Unread in bold; an unreadable header as
/// an error row. Sender and subject end with "…" when longer than their column.
fn row_view(index: usize, message: &MessageRow, selected: bool, columns: Columns) -> Element<'_, Message> {
    let font = if message.unread { Font { weight: Weight::Bold, ..Font::DEFAULT } } else { Font::DEFAULT };
    let fit = |words: &str, room: f32| elide::elide(words, room, TEXT_SIZE, message.unread).into_owned();
    let cell = |content: String| {
        text(content)
            .size(TEXT_SIZE)
            .font(font)
            .line_height(LineHeight::Absolute(ROW_HEIGHT.into()))
            .wrapping(Wrapping::None)
    };
    let clip = |t: iced::widget::Text<'static>| container(t).clip(true).padding([0, 6]);
    let star = container(text(if message.flagged { "★" } else { "" }).size(13).style(theme::mailbox::star))
        .width(STAR_WIDTH)
        .center_x(STAR_WIDTH);
    let (sender, subject) = match &message.parse_error {
        Some(why) => (
            clip(cell(fit("⚠ Unreadable header", columns.sender)).style(theme::text::error)),
            clip(cell(fit(why, columns.subject)).style(theme::text::error)),
        ),
        None => (
            clip(cell(fit(&format::sender(&message.summary), columns.sender))),
            clip(cell(fit(format::subject(&message.summary), columns.subject))),
        ),
    };
    let line = row![
        star,
        sender.width(Length::FillPortion(3)),
        subject.width(Length::FillPortion(6)),
        clip(cell(format::row_date(message)).style(theme::text::muted)).width(DATE_WIDTH),
        container(cell(format::size(u64::from(message.size))).style(theme::text::muted))
            .width(SIZE_WIDTH)
            .padding([0, 6])
            .align_right(SIZE_WIDTH),
    ]
    .height(ROW_HEIGHT)
    .align_y(Alignment::Center);
    container(
        button(line)
            .padding(iced::Padding { right: 12.0, ..iced::Padding::ZERO })
            .width(Length::Fill)
            .height(ROW_HEIGHT)
            .style(theme::mailbox::row(selected))
            .on_press(Message::Click(index, message.uid)),
    )
    .id(widget::Id::from(id::row(message.uid)))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_move_the_selection_within_the_list() {
        let store = StoreHandle::spawn(tidings_mail::store::Store::open_in_memory().unwrap()).unwrap();
        let mut list =
            List { folder: Some(FolderId(1)), counts: Counts { total: 1000, unread: 0 }, ..List::default() };
        list.loading = true; // no store calls in this test
        let _ = list.step(Step::Down, &store);
        assert_eq!(list.selected, Some(0));
        let _ = list.step(Step::PageDown, &store);
        assert_eq!(list.selected, Some(14), "400 px of 26 px rows: a page is 14 rows");
        let _ = list.step(Step::Last, &store);
        assert_eq!(list.selected, Some(999));
        assert!(list.offset + list.height >= 1000.0 * ROW_HEIGHT, "the last row is in view");
        let _ = list.step(Step::Down, &store);
        assert_eq!(list.selected, Some(999));
        let _ = list.step(Step::First, &store);
        assert_eq!((list.selected, list.offset), (Some(0), 0.0));
        let _ = list.step(Step::Up, &store);
        assert_eq!(list.selected, Some(0));
    }
}
