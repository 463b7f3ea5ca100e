//! The message list of one folder, or of a view across every account ("All Inboxes",
//! "Unread", "Flagged": [`Source`]), virtualised by hand so it stays smooth at 100k messages.
//! A view's rows keep their folder and account beside them ([`Whose`]): a row is known by
//! its folder and UID ([`Key`]), as UIDs alone meet across folders.
//!
//! Rows have a fixed height. The store is asked only for a window of rows around the
//! viewport (`Store::list` or `Store::unified` with offset and limit, on an index) and for
//! the counts;
//! the window is fetched again when the viewport leaves it, when the sort changes, when the
//! sync brings messages and after an action. At most one request is in flight; a need that
//! arises meanwhile is remembered and served when it returns. `view` builds only the rows in
//! view plus some overscan, between two spacers ([`crate::widget::virtual_list`]).

use iced::font::Weight;
use iced::widget::scrollable::{AbsoluteOffset, Viewport};
use iced::widget::{button, column, container, operation, row, scrollable, text};
use iced::{Alignment, Element, Font, Length, Task, widget};

use tidings_mail::store::{Counts, FolderId, MessageRow, Sort, SortKey, StoreHandle, Unified};

use super::list_row::{ACCOUNT_WIDTH, Columns, DATE_WIDTH, SIZE_WIDTH, STAR_WIDTH, row_view};
use super::selection::Marks;
use super::{Message, id};
use crate::theme;
use crate::widget::virtual_list::{self, Window};

/// Height of one row, in logical pixels.
pub const ROW_HEIGHT: f32 = 26.0;
/// Rows built above and below the viewport.
const OVERSCAN: usize = 20;
/// Rows fetched beyond the built ones, so small scrolls need no store call.
const FETCH_MARGIN: usize = 100;
/// Assumed viewport height until the scrollable reports its own.
const DEFAULT_HEIGHT: f32 = 400.0;

/// What the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Folder(FolderId),
    View(Unified),
}

/// A message as the list knows it: its folder and UID.
pub type Key = (FolderId, u32);

/// Where a view's row is stored, and whose it is (the account's config id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whose {
    pub folder: FolderId,
    pub account: String,
}

/// A window of rows as the store returned it.
#[derive(Debug, Clone)]
pub struct Page {
    generation: u64,
    start: usize,
    rows: Vec<MessageRow>,
    /// A view's rows' folders and accounts (empty for a folder).
    whose: Vec<Whose>,
    counts: Counts,
    /// The message the request looked for ([`List::locate`])…
    sought: Option<Key>,
    /// …its position in the order and the viewport's offset that shows it, when found.
    found: Option<(usize, f32)>,
}

pub struct List {
    source: Option<Source>,
    sort: Sort,
    /// Messages in the folder, and unread ones.
    counts: Counts,
    /// Rows `start..start + rows.len()` of the sorted folder.
    start: usize,
    rows: Vec<MessageRow>,
    /// Beside `rows` in a view: each row's folder and account.
    whose: Vec<Whose>,
    /// Top of the viewport and its height.
    offset: f32,
    height: f32,
    /// The selected position and, once its row is known, its message (which it follows
    /// when rows arrive above it).
    selected: Option<usize>,
    selected_key: Option<Key>,
    /// A message whose position in the order is to be found (after a re-sort, or chosen by
    /// UID outside the rows held): the next request finds it and its window, and the list
    /// scrolls there.
    locate: Option<Key>,
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
            source: None,
            sort: Sort::NEWEST,
            counts: Counts::default(),
            start: 0,
            rows: Vec::new(),
            whose: Vec::new(),
            offset: 0.0,
            height: DEFAULT_HEIGHT,
            selected: None,
            selected_key: None,
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
    /// The folder shown; `None` for a view.
    pub fn folder(&self) -> Option<FolderId> {
        match self.source {
            Some(Source::Folder(folder)) => Some(folder),
            _ => None,
        }
    }

    /// The view shown, if one is.
    pub fn view_shown(&self) -> Option<Unified> {
        match self.source {
            Some(Source::View(view)) => Some(view),
            _ => None,
        }
    }

    pub fn source(&self) -> Option<Source> {
        self.source
    }

    /// The folder of the row held at `p` (of `rows`).
    fn folder_at(&self, p: usize) -> Option<FolderId> {
        self.whose.get(p).map(|w| w.folder).or(self.folder())
    }

    fn key_at(&self, p: usize) -> Option<Key> {
        Some((self.folder_at(p)?, self.rows.get(p)?.uid))
    }

    /// Where the row at position `index` is stored and whose it is, when held (views only).
    pub fn whose_at(&self, index: usize) -> Option<&Whose> {
        self.whose.get(index.checked_sub(self.start)?)
    }

    /// The message at position `index` whose UID is `uid` (a click's), when its row is held;
    /// else, in a folder, that folder's.
    pub(super) fn key_of(&self, index: usize, uid: u32) -> Option<Key> {
        let p = index.checked_sub(self.start);
        let held = p.and_then(|p| self.key_at(p)).filter(|k| k.1 == uid);
        held.or_else(|| self.folder().map(|f| (f, uid)))
    }

    /// Where the message `key` is held in the rows, in list order.
    fn position_of(&self, key: Key) -> Option<usize> {
        (0..self.rows.len()).find(|p| self.key_at(*p) == Some(key))
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The selected message's UID, also before its row is held.
    pub fn selected_uid(&self) -> Option<u32> {
        self.selected_key.map(|k| k.1)
    }

    /// The selected message's folder and UID, also before its row is held.
    pub fn selected_key(&self) -> Option<Key> {
        self.selected_key
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

    /// Whether the row at `index`, holding `key`, is drawn chosen.
    pub fn is_chosen(&self, index: usize, key: Key) -> bool {
        if self.marks.is_active() { self.marks.contains(index, key) } else { self.selected == Some(index) }
    }

    /// The rows held that are drawn chosen, in list order.
    pub fn chosen_rows(&self) -> impl Iterator<Item = &MessageRow> {
        self.chosen_held().map(|(_, r)| r)
    }

    /// The rows held that are drawn chosen, with their folder, in list order.
    pub(super) fn chosen_held(&self) -> impl Iterator<Item = (FolderId, &MessageRow)> {
        (0..self.rows.len()).filter_map(|p| {
            let key = self.key_at(p)?;
            self.is_chosen(self.start + p, key).then(|| (key.0, &self.rows[p]))
        })
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    /// The messages at positions `lo..=hi`, when the rows held cover them.
    pub(super) fn keys_at(&self, lo: usize, hi: usize) -> Option<Vec<Key>> {
        let from = lo.checked_sub(self.start)?;
        let to = hi.checked_sub(self.start)?;
        self.rows.get(from..=to)?;
        (from..=to).map(|p| self.key_at(p)).collect()
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
        let p = index.checked_sub(self.start)?;
        let row = self.rows.get(p)?;
        (self.selected_key.is_none() || self.selected_key == self.key_at(p)).then_some(row)
    }

    /// The selected message with its folder, when its row is loaded.
    pub fn selected_with_folder(&self) -> Option<(FolderId, &MessageRow)> {
        let row = self.selected()?;
        Some((self.folder_at(self.selected? - self.start)?, row))
    }

    /// Shows another folder or view, from the top.
    pub fn show(&mut self, source: Source, store: &StoreHandle) -> Task<Message> {
        let generation = self.generation + 1;
        *self = List {
            source: Some(source),
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
        self.whose.clear();
        self.start = 0;
        self.offset = 0.0;
        // The selected message stays selected: the request finds its new place, and the
        // list scrolls there when it comes.
        self.selected = None;
        self.marks.resorted();
        self.locate = self.selected_key;
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
        let Some(source) = self.source else { return Task::none() };
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
                        let counts = match source {
                            Source::Folder(folder) => s.counts(folder)?,
                            Source::View(view) => s.unified_counts(view)?,
                        };
                        let at = match (source, sought) {
                            (Source::Folder(folder), Some((_, uid))) => s.position(folder, sort, uid)?,
                            (Source::View(view), Some((folder, uid))) => {
                                s.unified_position(view, sort, folder, uid)?
                            }
                            (_, None) => None,
                        };
                        let found = at.map(|at| {
                            let at = at as usize;
                            (at, centred(at, counts.total as usize, height))
                        });
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
                        let (rows, whose) = match source {
                            Source::Folder(folder) => {
                                (s.list(folder, sort, start as u64, limit as u64)?, Vec::new())
                            }
                            Source::View(view) => s
                                .unified(view, sort, start as u64, limit as u64)?
                                .into_iter()
                                .map(|u| (u.row, Whose { folder: u.folder, account: u.account }))
                                .unzip(),
                        };
                        Ok(Page { generation, start, rows, whose, counts, sought, found })
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
        self.whose = page.whose;
        self.loaded = true;
        let mut scroll = Task::none();
        if page.sought.is_some() && page.sought == self.locate {
            self.locate = None;
            match page.found {
                Some((at, offset)) => {
                    self.selected = Some(at);
                    self.selected_key = page.sought;
                    self.offset = offset;
                    scroll = operation::scroll_to(id::LIST, AbsoluteOffset { x: 0.0, y: offset });
                }
                // Gone from the folder meanwhile.
                None => self.selected_key = None,
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
            if let Some(key) = self.selected_key {
                self.selected = self.position_of(key).map(|p| self.start + p);
            }
            return;
        };
        match self.selected_key {
            Some(key) => match self.position_of(key) {
                Some(p) => self.selected = Some(self.start + p),
                None if index >= self.start && index < self.start + self.rows.len() => {
                    self.selected = None;
                    self.selected_key = None;
                }
                None => {}
            },
            None => self.selected_key = self.key_at_index(index),
        }
        if self.selected.is_some_and(|i| i >= self.total()) {
            self.selected = self.total().checked_sub(1);
            self.selected_key = self.selected.and_then(|i| self.key_at_index(i));
        }
    }

    fn row_at(&self, index: usize) -> Option<&MessageRow> {
        self.rows.get(index.checked_sub(self.start)?)
    }

    fn key_at_index(&self, index: usize) -> Option<Key> {
        self.key_at(index.checked_sub(self.start)?)
    }

    /// Selects the row at `index` alone (a click).
    pub fn select(&mut self, index: usize, key: Key) {
        self.marks.clear(Some(index));
        self.point_at(index, key);
    }

    /// Moves the selection (the last clicked row) without changing what else is chosen.
    pub(super) fn point_at(&mut self, index: usize, key: Key) {
        self.selected = Some(index);
        self.selected_key = Some(key);
    }

    /// Selects the message `uid` of the folder shown (see [`List::select_key`]).
    pub fn select_uid(&mut self, uid: u32, store: &StoreHandle) -> Task<Message> {
        match self.folder() {
            Some(folder) => self.select_key((folder, uid), store),
            None => Task::none(),
        }
    }

    /// Selects the message `key`: at once when its row is held, else when the window around
    /// it arrives (asked for now, or after the request in flight), scrolled into view.
    pub fn select_key(&mut self, key: Key, store: &StoreHandle) -> Task<Message> {
        self.marks.clear(None);
        self.selected_key = Some(key);
        self.selected = self.position_of(key).map(|p| self.start + p);
        self.locate = self.selected.is_none().then_some(key);
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
        self.selected_key = self.key_at_index(index);
        self.marks.clear(Some(index));
        // Into view: the viewport follows at once (so the window is fetched now), and the
        // scrollable is told to scroll there.
        let target = crate::widget::virtual_list::offset_showing(index, ROW_HEIGHT, self.offset, self.height);
        let Some(y) = target else { return Task::none() };
        self.offset = y.max(0.0);
        let fetch = if self.covered() { Task::none() } else { self.request(store) };
        Task::batch([fetch, operation::scroll_to(id::LIST, AbsoluteOffset { x: 0.0, y: self.offset })])
    }

    /// Applies a change to a held row at once (the store has it too; the next window will
    /// agree).
    pub fn update_row(&mut self, key: Key, change: impl Fn(&mut MessageRow)) {
        if let Some(row) = self.position_of(key).and_then(|p| self.rows.get_mut(p)) {
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
    pub fn remove(&mut self, key: Key) -> Option<&MessageRow> {
        let p = self.position_of(key)?;
        let removed = self.rows.remove(p);
        if p < self.whose.len() {
            self.whose.remove(p);
        }
        self.counts.total = self.counts.total.saturating_sub(1);
        if removed.unread {
            self.counts.unread = self.counts.unread.saturating_sub(1);
        }
        let index = self.start + p;
        match self.selected {
            Some(s) if s > index => self.selected = Some(s - 1),
            Some(s) if s == index => {
                self.selected = (index < self.total()).then_some(index).or(self.total().checked_sub(1));
                self.selected_key = self.selected.and_then(|i| self.key_at_index(i));
            }
            _ => {}
        }
        self.selected()
    }

    /// The list, `width` pixels wide (long senders and subjects are elided to their column).
    /// `names`: the accounts' names by config id, for a view's rows.
    pub fn view<'a>(&'a self, width: f32, names: &'a [(String, String)]) -> Element<'a, Message> {
        let view = self.view_shown();
        let body: Element<'_, Message> = match self.source {
            None => note("Choose a folder."),
            Some(_) if !self.loaded => note("Loading…"),
            Some(Source::View(Unified::Inboxes)) if self.total() == 0 => note("No messages in any Inbox."),
            Some(Source::View(Unified::Unread)) if self.total() == 0 => note("No unread messages."),
            Some(Source::View(Unified::Flagged)) if self.total() == 0 => note("No starred messages."),
            Some(_) if self.total() == 0 => note("No messages in this folder."),
            Some(_) => self.rows_view(Columns::for_width(width, view.is_some()), names),
        };
        column![self.headings(view.is_some()), body].height(Length::Fill).into()
    }

    fn headings(&self, accounts: bool) -> Element<'_, Message> {
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
            ]
            .push(accounts.then(|| {
                container(text("Account").size(12).font(Font { weight: Weight::Bold, ..Font::DEFAULT }))
                    .padding([4, 6])
                    .width(ACCOUNT_WIDTH)
            }))
            .push(heading("Sender", SortKey::Sender, id::SORT_SENDER).width(Length::FillPortion(3)))
            .extend([
                heading("Subject", SortKey::Subject, id::SORT_SUBJECT).width(Length::FillPortion(6)).into(),
                heading("Date", SortKey::Date, id::SORT_DATE).width(DATE_WIDTH).into(),
                heading("Size", SortKey::Size, id::SORT_SIZE).width(SIZE_WIDTH).into(),
            ])
            .align_y(Alignment::Center)
            .padding(iced::Padding { right: 12.0, ..iced::Padding::ZERO }),
        )
        .width(Length::Fill)
        .style(theme::mailbox::bar)
        .into()
    }

    fn rows_view<'a>(&'a self, columns: Columns, names: &'a [(String, String)]) -> Element<'a, Message> {
        let window = self.window();
        let rows =
            (window.first..window.last).map(|index| match (self.row_at(index), self.key_at_index(index)) {
                (Some(row), Some(key)) => {
                    let whose = self.whose_at(index).map(|w| {
                        let name = names
                            .iter()
                            .find(|(_, id)| *id == w.account)
                            .map_or(w.account.as_str(), |(n, _)| n);
                        (w.folder, name)
                    });
                    row_view(index, row, whose, self.is_chosen(index, key), columns)
                }
                // Not fetched yet (a fast scroll): an empty row of the same height.
                _ => container(text("")).height(ROW_HEIGHT).into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_move_the_selection_within_the_list() {
        let store = StoreHandle::spawn(tidings_mail::store::Store::open_in_memory().unwrap()).unwrap();
        let mut list = List {
            source: Some(Source::Folder(FolderId(1))),
            counts: Counts { total: 1000, unread: 0 },
            ..List::default()
        };
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
