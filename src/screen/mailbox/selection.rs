//! Several messages chosen at once. Ctrl-click adds a message or takes it away, Shift-click
//! chooses the run from the last click to this one, Ctrl+A the whole folder; Escape, a plain
//! click or an arrow key goes back to one. Read, star, delete, "Move to…" and "Copy to…" then
//! act on all of them ([`super::actions`]), and the reader shows how many are chosen with
//! those actions instead of one message.
//!
//! Ctrl+A keeps "the whole folder" as that — every UID up to the highest the folder held
//! when it was pressed (new mail gets higher UIDs, so it is never swept in unseen) — rather
//! than 100k rows or UIDs: a row is drawn chosen by comparing its UID, and an action reads
//! the UIDs on the store thread. A Shift run longer than the rows held is read the same way,
//! once, from positions into UIDs. Ctrl-clicks are kept as UIDs toggled against that.

use std::collections::{BTreeSet, HashSet};

use iced::keyboard::Modifiers;
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, Task, Theme, widget};

use tidings_mail::error::Error;
use tidings_mail::store::{AccountId, FolderId, MailAction, Sort, Store};

use super::picker::Kind as PickKind;
use super::{Mailbox, Message, format, id};
use crate::theme;

/// Rows read at a time when a Shift run is turned into UIDs.
const RUN_CHUNK: u64 = 2_000;

#[derive(Debug, Clone)]
pub enum Msg {
    /// Shift and Ctrl held change what a click does.
    Modifiers(Modifiers),
    /// Ctrl+A's answer, for the list's generation and the choice's: the folder's highest
    /// UID and how many messages it held.
    Whole(u64, u64, Result<(Option<u32>, u64), Error>),
    /// A Shift run's UIDs, read from the store.
    Run(u64, u64, Result<Vec<u32>, Error>),
}

/// Ctrl+A: the folder up to `through` (unknown until the store answers).
#[derive(Debug, Clone, Copy, Default)]
struct Whole {
    through: Option<u32>,
    count: Option<u64>,
}

/// The messages chosen beyond the one the list's selection follows. Empty: only that one.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    whole: Option<Whole>,
    /// A Shift run (positions, both ends in) whose UIDs are being read.
    run: Option<(usize, usize)>,
    /// UIDs Ctrl-clicked: chosen when the whole folder or the run does not hold them, taken
    /// away when it does.
    toggled: HashSet<u32>,
    /// Where a Shift run starts: the last click without Shift.
    anchor: Option<usize>,
    /// Bumped by each Ctrl+A and Shift run: older answers are dropped.
    generation: u64,
}

impl Marks {
    /// More than the list's one selection is in play.
    pub fn is_active(&self) -> bool {
        self.whole.is_some() || self.run.is_some() || !self.toggled.is_empty()
    }

    /// Ctrl+A chose the whole folder.
    pub fn is_whole(&self) -> bool {
        self.whole.is_some()
    }

    fn base(&self, index: usize, uid: u32) -> bool {
        let whole = self.whole.is_some_and(|w| w.through.is_none_or(|t| uid <= t));
        whole || self.run.is_some_and(|(lo, hi)| (lo..=hi).contains(&index))
    }

    /// Whether the row at `index`, holding `uid`, is chosen.
    pub fn contains(&self, index: usize, uid: u32) -> bool {
        self.base(index, uid) != self.toggled.contains(&uid)
    }

    /// How many messages are chosen (`total`: the folder's, while Ctrl+A's count is asked).
    pub fn count(&self, total: u64) -> u64 {
        let toggled = self.toggled.len() as u64;
        match (self.whole, self.run) {
            (Some(w), _) => {
                let inside = match w.through {
                    Some(t) => self.toggled.iter().filter(|u| **u <= t).count() as u64,
                    None => toggled,
                };
                (w.count.unwrap_or(total) + (toggled - inside)).saturating_sub(inside)
            }
            (None, Some((lo, hi))) => (hi - lo + 1) as u64,
            (None, None) => toggled,
        }
    }

    /// Back to one message, the next run starting at `index`.
    pub fn clear(&mut self, anchor: Option<usize>) {
        let generation = self.generation + 1;
        *self = Marks { anchor, generation, ..Marks::default() };
    }

    /// The list's order changed: a run's positions mean other messages now.
    pub fn resorted(&mut self) {
        if self.run.is_some() {
            self.clear(None);
        }
    }

    /// Ctrl-click: `uid` in or out; `current`, the message chosen so far, joins first.
    fn toggle(&mut self, index: usize, uid: u32, current: Option<u32>) {
        if !self.is_active()
            && let Some(current) = current.filter(|c| *c != uid)
        {
            self.toggled.insert(current);
        }
        if !self.toggled.remove(&uid) {
            self.toggled.insert(uid);
        }
        self.anchor = Some(index);
    }

    /// The only message chosen by Ctrl-clicks, when exactly one is.
    fn single(&self) -> Option<u32> {
        match (self.whole, self.run, self.toggled.len()) {
            (None, None, 1) => self.toggled.iter().next().copied(),
            _ => None,
        }
    }

    /// What an action acts on, to be read into UIDs on the store thread.
    pub fn chosen(&self, account: AccountId, folder: FolderId, sort: Sort) -> Chosen {
        Chosen {
            account,
            folder,
            sort,
            whole: self.whole.map(|w| w.through),
            run: self.run,
            toggled: self.toggled.iter().copied().collect(),
        }
    }
}

/// The chosen messages as an action takes them to the store.
#[derive(Debug, Clone)]
pub struct Chosen {
    account: AccountId,
    folder: FolderId,
    sort: Sort,
    /// Ctrl+A, up to this UID when known.
    whole: Option<Option<u32>>,
    run: Option<(usize, usize)>,
    toggled: Vec<u32>,
}

impl Chosen {
    pub fn folder(&self) -> FolderId {
        self.folder
    }

    /// The chosen UIDs, ascending.
    pub fn uids(&self, s: &Store) -> Result<Vec<u32>, Error> {
        let mut base: BTreeSet<u32> = match (self.whole, self.run) {
            (Some(through), _) => folder_uids(s, self.account, self.folder)?
                .into_iter()
                .filter(|u| through.is_none_or(|t| *u <= t))
                .collect(),
            (None, Some((lo, hi))) => run_uids(s, self.folder, self.sort, lo, hi)?.into_iter().collect(),
            (None, None) => BTreeSet::new(),
        };
        for uid in &self.toggled {
            if !base.remove(uid) {
                base.insert(*uid);
            }
        }
        Ok(base.into_iter().collect())
    }

    /// Queues `action` for every chosen message, a batch of UIDs per recorded change (a
    /// server command line stays short however sparse the UIDs are).
    pub fn queue(&self, s: &mut Store, action: impl Fn(Vec<u32>) -> MailAction) -> Result<usize, Error> {
        const BATCH: usize = 1_000;
        let uids = self.uids(s)?;
        for batch in uids.chunks(BATCH) {
            s.queue_action(self.account, &action(batch.to_vec()))?;
        }
        Ok(uids.len())
    }
}

/// The UIDs the store holds for the folder at its current UIDVALIDITY.
fn folder_uids(s: &Store, account: AccountId, folder: FolderId) -> Result<Vec<u32>, Error> {
    let validity = s.folders(account)?.into_iter().find(|f| f.id == folder).and_then(|f| f.uidvalidity);
    match validity {
        Some(v) => s.uids(folder, v),
        None => Ok(Vec::new()),
    }
}

/// The UIDs at positions `lo..=hi` of the folder in `sort` order.
fn run_uids(s: &Store, folder: FolderId, sort: Sort, lo: usize, hi: usize) -> Result<Vec<u32>, Error> {
    let (mut at, end) = (lo as u64, hi as u64 + 1);
    let mut uids = Vec::with_capacity(hi - lo + 1);
    while at < end {
        let rows = s.list(folder, sort, at, RUN_CHUNK.min(end - at))?;
        if rows.is_empty() {
            break;
        }
        at += rows.len() as u64;
        uids.extend(rows.iter().map(|r| r.uid));
    }
    Ok(uids)
}

impl Mailbox {
    /// A click on a row: with Ctrl it joins or leaves the chosen ones, with Shift the run
    /// from the last click is chosen; a plain click chooses it alone and opens it.
    pub(super) fn click(&mut self, index: usize, uid: u32) -> Task<Message> {
        if self.held.shift() {
            return self.choose_run(index, uid);
        }
        if self.held.command() {
            let current = self.list.selected_uid();
            self.list.marks_mut().toggle(index, uid, current);
            self.list.point_at(index, uid);
            let marks = self.list.marks();
            return match marks.single() {
                // Down to one: that one alone, in the reader.
                Some(only) => {
                    self.list.marks_mut().clear(Some(index));
                    let select = self.on_list(|list, store| list.select_uid(only, store));
                    Task::batch([select, self.open_selected()])
                }
                None if !marks.is_active() => self.click_alone(index, uid),
                None => Task::none(),
            };
        }
        self.click_alone(index, uid)
    }

    fn click_alone(&mut self, index: usize, uid: u32) -> Task<Message> {
        self.list.select(index, uid);
        match self.list.selected().cloned() {
            Some(row) => self.open_or_edit(row),
            None => Task::none(),
        }
    }

    /// Opens the list's selection unless the reader has it already.
    fn open_selected(&mut self) -> Task<Message> {
        let folder = self.list.folder();
        match self.list.selected().cloned() {
            Some(row)
                if !self
                    .reader
                    .opened()
                    .is_some_and(|o| Some(o.folder) == folder && o.row.uid == row.uid) =>
            {
                self.open_or_edit(row)
            }
            _ => Task::none(),
        }
    }

    /// Shift-click: the run from the last click. Read from the rows held when they cover
    /// it, else from the store.
    fn choose_run(&mut self, index: usize, uid: u32) -> Task<Message> {
        let anchor = self.list.marks().anchor.or(self.list.selected_index()).unwrap_or(index);
        let (lo, hi) = (anchor.min(index), anchor.max(index));
        if lo == hi {
            return self.click_alone(index, uid);
        }
        self.list.point_at(index, uid);
        let held = self.list.uids_at(lo, hi);
        let marks = self.list.marks_mut();
        marks.clear(Some(anchor));
        if let Some(uids) = held {
            marks.toggled = uids.into_iter().collect();
            return Task::none();
        }
        marks.run = Some((lo, hi));
        let choice = marks.generation;
        let (Some(stores), Some(folder)) = (&self.stores, self.list.folder()) else { return Task::none() };
        let (store, sort, list_gen) = (stores.read.clone(), self.list.sort(), self.list.generation());
        Task::perform(
            async move { store.call(move |s| run_uids(s, folder, sort, lo, hi)).await },
            move |result| Message::Select(Msg::Run(list_gen, choice, result)),
        )
    }

    /// Ctrl+A: the whole folder.
    pub(super) fn select_all(&mut self) -> Task<Message> {
        let (Some(stores), Some(folder)) = (&self.stores, self.list.folder()) else { return Task::none() };
        if self.list.counts().total == 0 {
            return Task::none();
        }
        let anchor = self.list.selected_index();
        let list_gen = self.list.generation();
        let marks = self.list.marks_mut();
        marks.clear(anchor);
        marks.whole = Some(Whole::default());
        let choice = marks.generation;
        let (store, account) = (stores.read.clone(), stores.account);
        Task::perform(
            async move {
                store
                    .call(move |s| {
                        let uids = folder_uids(s, account, folder)?;
                        Ok((uids.last().copied(), uids.len() as u64))
                    })
                    .await
            },
            move |result| Message::Select(Msg::Whole(list_gen, choice, result)),
        )
    }

    /// Escape: the picker closes; else the search; else several chosen go back to one.
    pub(super) fn escape(&mut self) -> Task<Message> {
        if self.picker.take().is_some() {
            return Task::none();
        }
        if self.search.is_active() || !self.list.marks().is_active() {
            return self.search(super::search::Msg::Close);
        }
        let anchor = self.list.selected_index();
        self.list.marks_mut().clear(anchor);
        self.open_selected()
    }

    pub(super) fn selection(&mut self, msg: Msg) -> Task<Message> {
        let current = |list: &super::List, list_gen: u64, choice: u64| {
            list.generation() == list_gen && list.marks().generation == choice
        };
        match msg {
            Msg::Modifiers(held) => self.held = held,
            Msg::Whole(list_gen, choice, result) if current(&self.list, list_gen, choice) => match result {
                Ok((through, count)) => {
                    if let Some(whole) = &mut self.list.marks_mut().whole {
                        *whole = Whole { through: Some(through.unwrap_or(0)), count: Some(count) };
                    }
                }
                Err(e) => return self.failed(e),
            },
            Msg::Run(list_gen, choice, result) if current(&self.list, list_gen, choice) => match result {
                Ok(uids) => {
                    let marks = self.list.marks_mut();
                    marks.run = None;
                    for uid in uids {
                        if !marks.toggled.remove(&uid) {
                            marks.toggled.insert(uid);
                        }
                    }
                }
                Err(e) => {
                    let anchor = self.list.selected_index();
                    self.list.marks_mut().clear(anchor);
                    return self.failed(e);
                }
            },
            // For a folder, order or choice no longer shown.
            Msg::Whole(..) | Msg::Run(..) => {}
        }
        Task::none()
    }

    /// How many messages are chosen, when more than one. Only while the list shows them:
    /// with search hits, threads or the Outbox in its place the actions are on what the
    /// reader shows.
    pub fn several(&self) -> Option<u64> {
        if self.search.is_active() || self.threads().is_on() || self.showing_outbox {
            return None;
        }
        let marks = self.list.marks();
        let n = marks.count(self.list.counts().total);
        (marks.is_active() && n > 1).then_some(n)
    }

    /// The reader's pane: the opened message, or with several chosen how many, and what can
    /// be done to them all.
    pub(super) fn reader_or_chosen<'a>(&'a self, theme: &Theme) -> Element<'a, Message> {
        let Some(n) = self.several() else { return self.reader.view(theme) };
        let (unread, unstarred) = self.chosen_state();
        let action = |label: &'static str, which: &str, message: Message| {
            container(
                button(text(label).size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press(message),
            )
            .id(widget::Id::from(id::chosen(which)))
        };
        let actions = row![
            action(if unread { "Mark read" } else { "Mark unread" }, "read", Message::ToggleRead),
            action(if unstarred { "☆ Star" } else { "★ Unstar" }, "star", Message::ToggleStar),
            action("Delete", "delete", Message::Delete),
            action("Move to…", "move", Message::Picker(super::picker::Msg::Open(PickKind::Move))),
            action("Copy to…", "copy", Message::Picker(super::picker::Msg::Open(PickKind::Copy))),
        ]
        .spacing(6)
        .wrap();
        let noun = if n == 1 { "message" } else { "messages" };
        container(
            column![
                text(format!("{} {noun} selected", format::count(n))).size(18),
                text("Escape or a click on one message chooses it alone.").size(13).style(theme::text::muted),
                actions,
            ]
            .spacing(12)
            .align_x(Alignment::Center),
        )
        .center(Length::Fill)
        .padding(24)
        .into()
    }
}
