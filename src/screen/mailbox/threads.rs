//! The threaded list: one row per conversation of the open folder (its newest message's
//! sender, subject and date, how many of its messages the folder holds and how many are
//! unread), shown in place of the flat list while "Threads" is on. A thread opens with a
//! click on its triangle or the Right key and closes with Left; an open thread shows its
//! messages in the folder beneath it, oldest first, indented by their place in the
//! conversation. Enter on a thread opens the conversation in the reader ([`super::conversation`]).
//!
//! Virtualised like the flat list ([`super::list`]): every line has the same height. The
//! store gives the order of the folder's threads with their sizes (`Store::thread_order`,
//! read when the folder, the order or the store changes, or a thread opens) and the summaries
//! of a window of threads around the viewport (`Store::threads`); the lines of an open thread
//! come from `Store::thread_messages`. One request at a time, answers of an older folder or
//! order dropped by their generation, between two spacers. The rows are drawn in [`rows`].

mod rows;

use std::collections::HashMap;
use std::path::PathBuf;

use iced::widget::scrollable::{AbsoluteOffset, Viewport};
use iced::widget::{button, container, operation, text};
use iced::{Element, Task, widget};

use tidings_mail::error::Error;
use tidings_mail::store::{
    FolderId, MessageRow, Sort, SortKey, StoreHandle, ThreadId, ThreadSummary, normalise_message_id,
};
use tidings_mail::ui_state::UiState;

use super::{KeyAction, Mailbox, Message, ROW_HEIGHT};
use crate::theme;
use crate::widget::virtual_list::{self, Window};

const TEXT_SIZE: f32 = 13.0;
const OVERSCAN: usize = 20;
/// Threads read beyond the lines built, so small scrolls need no store call.
const FETCH_MARGIN: usize = 100;
const DEFAULT_HEIGHT: f32 = 400.0;
const TRIANGLE_WIDTH: f32 = 20.0;
const STAR_WIDTH: f32 = 22.0;
const COUNT_WIDTH: f32 = 110.0;
const DATE_WIDTH: f32 = 150.0;
/// Indent of one level of a conversation, and the deepest level shown as deeper.
const INDENT: f32 = 14.0;
const MAX_INDENT: usize = 5;

/// Widget ids of the threaded list and the conversation.
pub mod ids {
    use tidings_mail::store::ThreadId;

    /// The "Threads" toggle beside the search field.
    pub const TOGGLE: &str = "mailbox-threads-toggle";
    pub const LIST: &str = "mailbox-threads";
    pub const OPEN_CONVERSATION: &str = "mailbox-open-conversation";
    pub const CLOSE_CONVERSATION: &str = "mailbox-close-conversation";
    pub const CONVERSATION: &str = "mailbox-conversation";

    /// A thread's triangle (open or close it)…
    pub fn disclosure(thread: ThreadId) -> String {
        format!("mailbox-thread-disclosure-{}", thread.0)
    }
    /// …and its row.
    pub fn thread(thread: ThreadId) -> String {
        format!("mailbox-thread-{}", thread.0)
    }
    /// A message beneath an open thread, by UID.
    pub fn message(uid: u32) -> String {
        format!("mailbox-thread-message-{uid}")
    }
    /// A message of the conversation, by its place in it (oldest first): its header line.
    pub fn conversation_item(n: usize) -> String {
        format!("mailbox-conversation-{n}")
    }
}

#[derive(Debug, Clone)]
pub enum Msg {
    /// The "Threads" toggle.
    Toggle,
    Page(Result<Page, Error>),
    Scrolled(Viewport),
    /// The folders shown threaded last time (their server names).
    Remembered(Vec<String>),
    Saved,
    /// Open or close a thread (its triangle).
    Disclose(ThreadId),
    /// A click on a line: a thread, or a message beneath one.
    Click(Line),
}

/// What a line of the threaded list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Thread(ThreadId),
    Message(ThreadId, u32),
}

/// A message beneath an open thread, and how deep in the conversation it answers.
#[derive(Debug, Clone)]
pub struct Child {
    pub row: MessageRow,
    pub depth: usize,
}

/// A window of threads as the store returned it, with the order when it was read again.
#[derive(Debug, Clone)]
pub struct Page {
    generation: u64,
    order: Option<Vec<(ThreadId, u32)>>,
    children: Option<Vec<(ThreadId, Vec<Child>)>>,
    start: usize,
    summaries: Vec<ThreadSummary>,
}

pub struct Threads {
    on: bool,
    /// The UI-state file, and the account's key in it…
    file: PathBuf,
    account: String,
    /// …and the account's folders shown threaded, by their server names.
    remembered: Vec<String>,
    folder: Option<FolderId>,
    sort: Sort,
    /// Every thread of the folder in the list's order, with its number of messages there.
    order: Vec<(ThreadId, u32)>,
    /// Summaries of threads `start..start + summaries.len()` of the order.
    start: usize,
    summaries: Vec<ThreadSummary>,
    /// Open threads, with their messages in the folder once read.
    open: HashMap<ThreadId, Option<Vec<Child>>>,
    /// The open threads whose messages are here, by position: (position, lines beneath).
    layout: Vec<(usize, usize)>,
    offset: f32,
    height: f32,
    selected: Option<Line>,
    loading: bool,
    again: bool,
    /// The next request reads the order and the open threads again.
    reorder: bool,
    loaded: bool,
    generation: u64,
}

impl Default for Threads {
    fn default() -> Self {
        Threads {
            on: false,
            file: PathBuf::new(),
            account: String::new(),
            remembered: Vec::new(),
            folder: None,
            sort: Sort::NEWEST,
            order: Vec::new(),
            start: 0,
            summaries: Vec::new(),
            open: HashMap::new(),
            layout: Vec::new(),
            offset: 0.0,
            height: DEFAULT_HEIGHT,
            selected: None,
            loading: false,
            again: false,
            reorder: false,
            loaded: false,
            generation: 0,
        }
    }
}

impl Threads {
    /// Off, and the task reading which of `account`'s folders were shown threaded from the
    /// UI-state `file`.
    pub fn new(file: PathBuf, account: &str) -> (Threads, Task<Message>) {
        let (read, key) = (file.clone(), account.to_string());
        let load = Task::perform(
            async move {
                tokio::task::spawn_blocking(move || {
                    UiState::load(&read).threaded.remove(&key).unwrap_or_default()
                })
                .await
                .unwrap_or_default()
            },
            |folders| Message::Threads(Msg::Remembered(folders)),
        );
        (Threads { file, account: account.to_string(), ..Threads::default() }, load)
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// A view across every account is shown: its list is flat (a folder's toggle is kept).
    pub(super) fn off_for_view(&mut self) {
        self.on = false;
    }

    /// The summaries held (a window around the viewport), in order.
    pub fn summaries(&self) -> &[ThreadSummary] {
        &self.summaries
    }

    /// How many threads the folder has.
    pub fn count(&self) -> usize {
        self.order.len()
    }

    /// The messages shown beneath `thread`, when it is open and they were read.
    pub fn children(&self, thread: ThreadId) -> Option<&[Child]> {
        self.open.get(&thread)?.as_deref()
    }

    pub fn selected(&self) -> Option<Line> {
        self.selected
    }

    /// Lines in all: threads, and the messages of open threads.
    fn total(&self) -> usize {
        self.order.len() + self.layout.iter().map(|(_, n)| n).sum::<usize>()
    }

    fn position(&self, thread: ThreadId) -> Option<usize> {
        self.order.iter().position(|(t, _)| *t == thread)
    }

    fn summary(&self, position: usize) -> Option<&ThreadSummary> {
        self.summaries.get(position.checked_sub(self.start)?)
    }

    /// What line `index` shows: the thread at a position, or the `k`th message beneath it.
    fn at(&self, index: usize) -> Option<(usize, Option<usize>)> {
        let mut above = 0;
        for &(position, lines) in &self.layout {
            let head = position + above;
            if index < head {
                break;
            }
            if index <= head + lines {
                return Some((position, (index > head).then(|| index - head - 1)));
            }
            above += lines;
        }
        (index - above < self.order.len()).then_some((index - above, None))
    }

    /// The line index of `line`.
    fn index_of(&self, line: Line) -> Option<usize> {
        let thread = match line {
            Line::Thread(t) | Line::Message(t, _) => t,
        };
        let position = self.position(thread)?;
        let above: usize = self.layout.iter().filter(|(p, _)| *p < position).map(|(_, n)| n).sum();
        let head = position + above;
        match line {
            Line::Thread(_) => Some(head),
            Line::Message(_, uid) => {
                let k = self.children(thread)?.iter().position(|c| c.row.uid == uid)?;
                Some(head + 1 + k)
            }
        }
    }

    fn line_at(&self, index: usize) -> Option<Line> {
        let (position, k) = self.at(index)?;
        let thread = self.order.get(position)?.0;
        Some(match k {
            None => Line::Thread(thread),
            Some(k) => Line::Message(thread, self.children(thread)?.get(k)?.row.uid),
        })
    }

    fn relayout(&mut self) {
        let mut layout: Vec<(usize, usize)> = self
            .order
            .iter()
            .enumerate()
            .filter_map(|(p, (t, _))| Some((p, self.open.get(t)?.as_ref()?.len())))
            .collect();
        layout.sort_unstable();
        self.layout = layout;
    }

    fn window(&self) -> Window {
        virtual_list::window(self.total(), self.offset, self.height.max(1.0), ROW_HEIGHT, OVERSCAN)
    }

    /// The positions of the threads the window's lines show.
    fn positions(&self) -> (usize, usize) {
        let w = self.window();
        let first = self.at(w.first).map_or(0, |(p, _)| p);
        let last = w.last.checked_sub(1).and_then(|i| self.at(i)).map_or(first, |(p, _)| p + 1);
        (first, last)
    }

    fn covered(&self) -> bool {
        let (first, last) = self.positions();
        first >= last || (first >= self.start && last <= self.start + self.summaries.len())
    }

    /// Shows `folder` threaded, from the top (or stops following folders when off).
    fn show(&mut self, folder: FolderId, sort: Sort, store: &StoreHandle) -> Task<Message> {
        let height = if self.height > 0.0 { self.height } else { DEFAULT_HEIGHT };
        *self = Threads {
            on: self.on,
            file: std::mem::take(&mut self.file),
            account: std::mem::take(&mut self.account),
            remembered: std::mem::take(&mut self.remembered),
            folder: Some(folder),
            sort,
            height,
            generation: self.generation + 1,
            reorder: true,
            ..Threads::default()
        };
        if !self.on {
            return Task::none();
        }
        Task::batch([self.request(store), to_top()])
    }

    fn request(&mut self, store: &StoreHandle) -> Task<Message> {
        let Some(folder) = self.folder.filter(|_| self.on) else { return Task::none() };
        if self.loading {
            self.again = true;
            return Task::none();
        }
        self.loading = true;
        self.again = false;
        let (first, last) = self.positions();
        let start = first.saturating_sub(FETCH_MARGIN);
        let visible = (self.height / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        let limit = (last - first).max(visible) + 2 * FETCH_MARGIN;
        let reorder = std::mem::take(&mut self.reorder);
        let open: Vec<ThreadId> = self.open.keys().copied().collect();
        let (sort, generation) = (self.sort, self.generation);
        let store = store.clone();
        Task::perform(
            async move {
                store
                    .call(move |s| {
                        let order = if reorder { Some(s.thread_order(folder, sort)?) } else { None };
                        let children = if reorder {
                            let mut all = Vec::with_capacity(open.len());
                            for thread in open {
                                all.push((thread, children(s.thread_messages(thread)?, folder)));
                            }
                            Some(all)
                        } else {
                            None
                        };
                        let summaries = s.threads(folder, sort, limit as u64, start as u64)?;
                        Ok(Page { generation, order, children, start, summaries })
                    })
                    .await
            },
            |page| Message::Threads(Msg::Page(page)),
        )
    }

    fn page(&mut self, page: Page, store: &StoreHandle) -> Task<Message> {
        if page.generation != self.generation {
            return Task::none();
        }
        self.loading = false;
        if let Some(order) = page.order {
            self.order = order;
            // Threads gone from the folder close.
            let here: std::collections::HashSet<ThreadId> = self.order.iter().map(|(t, _)| *t).collect();
            self.open.retain(|t, _| here.contains(t));
        }
        for (thread, children) in page.children.into_iter().flatten() {
            if let Some(slot) = self.open.get_mut(&thread) {
                *slot = Some(children);
            }
        }
        self.relayout();
        self.start = page.start;
        self.summaries = page.summaries;
        self.loaded = true;
        // The selection follows its message; a message gone selects its thread.
        if let Some(line) = self.selected
            && self.index_of(line).is_none()
        {
            self.selected = match line {
                Line::Message(t, _) if self.position(t).is_some() => Some(Line::Thread(t)),
                _ => None,
            };
        }
        if self.again || self.reorder || !self.covered() { self.request(store) } else { Task::none() }
    }

    /// Opens or closes `thread`; opening reads its messages.
    fn disclose(&mut self, thread: ThreadId, open: bool, store: &StoreHandle) -> Task<Message> {
        if open == self.open.contains_key(&thread) {
            return Task::none();
        }
        if open {
            if self.order.iter().any(|(t, n)| *t == thread && *n < 2) {
                return Task::none();
            }
            self.open.insert(thread, None);
            self.reorder = true;
            return self.request(store);
        }
        self.open.remove(&thread);
        if matches!(self.selected, Some(Line::Message(t, _)) if t == thread) {
            self.selected = Some(Line::Thread(thread));
        }
        self.relayout();
        if self.covered() { Task::none() } else { self.request(store) }
    }

    /// Moves the selection by a key; scrolls so it stays in view.
    fn step(&mut self, key: KeyAction, store: &StoreHandle) -> Task<Message> {
        let total = self.total();
        if total == 0 {
            return Task::none();
        }
        let page = ((self.height / ROW_HEIGHT).floor() as usize).saturating_sub(1).max(1);
        let last = total - 1;
        let index = match (self.selected.and_then(|l| self.index_of(l)), key) {
            (None, KeyAction::Last) => last,
            (None, _) => 0,
            (Some(i), KeyAction::Up) => i.saturating_sub(1),
            (Some(i), KeyAction::Down) => (i + 1).min(last),
            (Some(i), KeyAction::PageUp) => i.saturating_sub(page),
            (Some(i), KeyAction::PageDown) => (i + page).min(last),
            (Some(_), KeyAction::First) => 0,
            (Some(_), _) => last,
        };
        self.selected = self.line_at(index);
        self.scroll_into_view(index, store)
    }

    fn scroll_into_view(&mut self, index: usize, store: &StoreHandle) -> Task<Message> {
        let target = crate::widget::virtual_list::offset_showing(index, ROW_HEIGHT, self.offset, self.height);
        let Some(y) = target else { return Task::none() };
        self.offset = y.max(0.0);
        let fetch = if self.covered() { Task::none() } else { self.request(store) };
        Task::batch([fetch, operation::scroll_to(ids::LIST, AbsoluteOffset { x: 0.0, y: self.offset })])
    }

    /// The row a line shows: a thread's newest message, or the message itself.
    fn row_of(&self, line: Line) -> Option<&MessageRow> {
        match line {
            Line::Thread(t) => Some(&self.summary(self.position(t)?)?.newest),
            Line::Message(t, uid) => self.children(t)?.iter().find(|c| c.row.uid == uid).map(|c| &c.row),
        }
    }
}

fn to_top() -> Task<Message> {
    operation::scroll_to(ids::LIST, AbsoluteOffset { x: 0.0, y: 0.0 })
}

/// A conversation's messages in `folder`, oldest first, each with its depth: how many of the
/// messages it answers (in any folder) are stored above it.
fn children(all: Vec<tidings_mail::store::ThreadMessage>, folder: FolderId) -> Vec<Child> {
    let ids: HashMap<String, usize> = all
        .iter()
        .enumerate()
        .filter_map(|(i, m)| Some((normalise_message_id(m.row.summary.message_id.as_deref()?)?, i)))
        .collect();
    let depth = |mut i: usize| {
        let mut depth = 0;
        // Bounded: a loop in broken headers stops at the cap.
        while let Some(parent) = all[i].parent.as_ref().and_then(|p| ids.get(p)) {
            depth += 1;
            i = *parent;
            if depth > MAX_INDENT * 4 {
                break;
            }
        }
        depth
    };
    let depths: Vec<usize> = (0..all.len()).map(depth).collect();
    all.into_iter()
        .zip(depths)
        .filter(|(m, _)| m.folder == folder)
        .map(|(m, depth)| Child { row: m.row, depth })
        .collect()
}

impl Mailbox {
    pub(super) fn threads_msg(&mut self, msg: Msg) -> Task<Message> {
        if let Msg::Remembered(folders) = &msg {
            // Read while the store opens, maybe: kept for when the folder shows.
            self.threads.remembered.clone_from(folders);
        }
        let Some(store) = self.stores.as_ref().map(|s| s.read.clone()) else { return Task::none() };
        match msg {
            Msg::Toggle => {
                let Some(folder) = self.list.folder() else { return Task::none() };
                self.threads.on = !self.threads.on;
                let save = self.remember(folder);
                Task::batch([self.threads.show(folder, self.list.sort(), &store), save])
            }
            Msg::Remembered(_) => match self.list.folder() {
                Some(folder) if !self.threads.on && self.threaded_here(folder) => {
                    self.threads.on = true;
                    self.threads.show(folder, self.list.sort(), &store)
                }
                _ => Task::none(),
            },
            Msg::Saved => Task::none(),
            Msg::Page(Ok(page)) => self.threads.page(page, &store),
            Msg::Page(Err(e)) => {
                self.threads.loading = false;
                self.failed(e)
            }
            Msg::Scrolled(viewport) => {
                self.threads.offset = viewport.absolute_offset().y;
                self.threads.height = viewport.bounds().height;
                if self.threads.covered() { Task::none() } else { self.threads.request(&store) }
            }
            Msg::Disclose(thread) => {
                let open = !self.threads.open.contains_key(&thread);
                self.threads.disclose(thread, open, &store)
            }
            Msg::Click(line) => {
                self.threads.selected = Some(line);
                match (self.list.folder(), self.threads.row_of(line).cloned()) {
                    (Some(folder), Some(row)) => self.open_or_edit(folder, row),
                    _ => Task::none(),
                }
            }
        }
    }

    /// Keys while the threaded list is shown: moving, opening and closing threads; Enter on
    /// a thread opens its conversation.
    pub(super) fn threads_key(&mut self, action: KeyAction) -> Task<Message> {
        let Some(store) = self.stores.as_ref().map(|s| s.read.clone()) else { return Task::none() };
        let t = &mut self.threads;
        match (action, t.selected) {
            (KeyAction::Up | KeyAction::Down | KeyAction::PageUp | KeyAction::PageDown, _)
            | (KeyAction::First | KeyAction::Last, _) => t.step(action, &store),
            (KeyAction::Expand, Some(Line::Thread(thread))) => t.disclose(thread, true, &store),
            (KeyAction::Collapse, Some(Line::Thread(thread) | Line::Message(thread, _))) => {
                let task = t.disclose(thread, false, &store);
                let scroll = t.index_of(Line::Thread(thread)).map(|i| t.scroll_into_view(i, &store));
                Task::batch([task, scroll.unwrap_or_else(Task::none)])
            }
            (KeyAction::Open, Some(Line::Thread(thread))) => {
                let newest = t.position(thread).and_then(|p| t.summary(p)).map(|s| s.newest.uid);
                match (self.list.folder(), newest) {
                    (Some(folder), Some(uid)) => {
                        self.conversation_msg(super::conversation::Msg::Open(folder, uid))
                    }
                    _ => Task::none(),
                }
            }
            (KeyAction::Open, Some(line @ Line::Message(..))) => {
                match (self.list.folder(), t.row_of(line).cloned()) {
                    (Some(folder), Some(row)) => self.open_or_edit(folder, row),
                    _ => Task::none(),
                }
            }
            (KeyAction::Expand | KeyAction::Collapse | KeyAction::Open, _) => Task::none(),
            (other, _) => self.key(other),
        }
    }

    /// The folder shown changed: the threaded list follows, on when the folder was left
    /// threaded.
    pub(super) fn threads_follow(&mut self, folder: FolderId) -> Task<Message> {
        self.threads.on = self.threaded_here(folder);
        match &self.stores {
            Some(stores) => self.threads.show(folder, self.list.sort(), &stores.read.clone()),
            None => Task::none(),
        }
    }

    fn threaded_here(&self, folder: FolderId) -> bool {
        let name = self.folders.iter().find(|n| n.id == Some(folder)).map(|n| &n.name);
        name.is_some_and(|name| self.threads.remembered.contains(name))
    }

    /// Writes down whether `folder` is shown threaded (a convenience: a file that cannot be
    /// written is left as it was).
    fn remember(&mut self, folder: FolderId) -> Task<Message> {
        let Some(name) = self.folders.iter().find(|n| n.id == Some(folder)).map(|n| n.name.clone()) else {
            return Task::none();
        };
        let t = &mut self.threads;
        t.remembered.retain(|n| *n != name);
        if t.on {
            t.remembered.push(name);
        }
        let (file, key, folders) = (t.file.clone(), t.account.clone(), t.remembered.clone());
        Task::perform(
            async move {
                let _ = tokio::task::spawn_blocking(move || {
                    UiState::update(&file, |s| {
                        if folders.is_empty() {
                            s.threaded.remove(&key);
                        } else {
                            s.threaded.insert(key, folders);
                        }
                    })
                })
                .await;
            },
            |()| Message::Threads(Msg::Saved),
        )
    }

    /// Sorting applies to both lists (the flat one keeps the order for when threads are off).
    pub(super) fn sort_by(&mut self, key: SortKey) -> Task<Message> {
        let list = self.on_list(|list, store| list.sort_by(key, store));
        let Some(folder) = self.list.folder().filter(|_| self.threads.on) else { return list };
        let selected = self.threads.selected;
        let task = self.threads_follow(folder);
        self.threads.selected = selected;
        Task::batch([list, task])
    }

    /// New mail or an action: the order, the open threads and the window are read again.
    pub(super) fn threads_refresh(&mut self) -> Task<Message> {
        let Some(store) = self.stores.as_ref().map(|s| s.read.clone()) else { return Task::none() };
        self.threads.reorder = true;
        self.threads.request(&store)
    }

    /// The threaded list in place of the flat one, or none.
    pub(super) fn threads_view(&self) -> Option<Element<'_, Message>> {
        self.threads.is_on().then(|| iced::widget::responsive(|size| self.threads.view(size.width)).into())
    }

    /// The "Threads" toggle, beside the search field; with a view across every account
    /// shown it says that threads are a folder's.
    pub(super) fn threads_toggle(&self) -> Element<'_, Message> {
        let in_view = self.list.view_shown().is_some();
        let label = if in_view { "Threads: in folders only" } else { "Threads" };
        container(
            button(text(label).size(12))
                .padding([5, 10])
                .style(theme::button::choice(self.threads.on))
                .on_press_maybe((!in_view).then_some(Message::Threads(Msg::Toggle))),
        )
        .id(widget::Id::new(ids::TOGGLE))
        .padding(iced::Padding { top: 6.0, right: 8.0, ..iced::Padding::ZERO })
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threads(order: &[(i64, u32)], open: &[(i64, usize)]) -> Threads {
        let mut t = Threads { on: true, ..Threads::default() };
        t.order = order.iter().map(|&(id, n)| (ThreadId(id), n)).collect();
        for &(id, n) in open {
            let rows = (0..n)
                .map(|k| Child { row: MessageRow { uid: id as u32 * 100 + k as u32, ..row() }, depth: k })
                .collect();
            t.open.insert(ThreadId(id), Some(rows));
        }
        t.relayout();
        t
    }

    fn row() -> MessageRow {
        MessageRow {
            uid: 0,
            uidvalidity: 1,
            flags: tidings_mail::store::Flags::default(),
            unread: false,
            flagged: false,
            answered: false,
            size: 0,
            internal_date: None,
            sort_date: 0,
            summary: tidings_mail::store::Summary::default(),
            parse_error: None,
            has_body: false,
        }
    }

    #[test]
    fn lines_count_the_messages_of_open_threads_beneath_them() {
        // Threads 1..=5; thread 2 open with 3 messages, thread 4 with 2.
        let t = threads(&[(1, 1), (2, 3), (3, 1), (4, 2), (5, 1)], &[(2, 3), (4, 2)]);
        assert_eq!(t.total(), 10);
        let lines: Vec<Line> = (0..t.total()).filter_map(|i| t.line_at(i)).collect();
        let (th, m) = (|id| Line::Thread(ThreadId(id)), |id, uid| Line::Message(ThreadId(id), uid));
        assert_eq!(
            lines,
            [th(1), th(2), m(2, 200), m(2, 201), m(2, 202), th(3), th(4), m(4, 400), m(4, 401), th(5)]
        );
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(t.index_of(*line), Some(i), "{line:?}");
        }
        assert_eq!(t.line_at(10), None);
    }

    #[test]
    fn keys_walk_the_lines_and_left_closes_the_thread_of_a_message() {
        let store = StoreHandle::spawn(tidings_mail::store::Store::open_in_memory().unwrap()).unwrap();
        let mut t = threads(&[(1, 1), (2, 2), (3, 1)], &[(2, 2)]);
        t.folder = Some(FolderId(1));
        t.loading = true; // no store calls in this test
        let _ = t.step(KeyAction::Down, &store);
        let _ = t.step(KeyAction::Down, &store);
        let _ = t.step(KeyAction::Down, &store);
        assert_eq!(t.selected, Some(Line::Message(ThreadId(2), 200)));
        let _ = t.disclose(ThreadId(2), false, &store);
        assert_eq!(t.selected, Some(Line::Thread(ThreadId(2))));
        assert_eq!(t.total(), 3);
        let _ = t.step(KeyAction::Last, &store);
        assert_eq!(t.selected, Some(Line::Thread(ThreadId(3))));
    }
}
