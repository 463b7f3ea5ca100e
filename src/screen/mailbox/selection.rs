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
//!
//! In a view across every account ([`super::list::Source::View`]) a message is known by its
//! folder and UID; Ctrl+A there is the run over the whole view, read once like a long Shift
//! run, and an action queues each folder's messages for that folder's account.

use std::collections::{HashMap, HashSet};

use iced::keyboard::Modifiers;
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, Task, Theme, widget};

use tidings_mail::error::Error;
use tidings_mail::store::{AccountId, FolderId, MailAction, Sort, Store};

use super::list::{Key, Source};

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
    /// A Shift run's messages (in a view, also Ctrl+A's), read from the store.
    Run(u64, u64, Result<Vec<Key>, Error>),
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
    /// Messages Ctrl-clicked: chosen when the whole folder or the run does not hold them,
    /// taken away when it does.
    toggled: HashSet<Key>,
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

    /// Whether the row at `index`, holding `key`, is chosen.
    pub fn contains(&self, index: usize, key: Key) -> bool {
        self.base(index, key.1) != self.toggled.contains(&key)
    }

    /// How many messages are chosen (`total`: the folder's, while Ctrl+A's count is asked).
    pub fn count(&self, total: u64) -> u64 {
        let toggled = self.toggled.len() as u64;
        match (self.whole, self.run) {
            (Some(w), _) => {
                let inside = match w.through {
                    Some(t) => self.toggled.iter().filter(|(_, u)| *u <= t).count() as u64,
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

    /// Ctrl-click: `key` in or out; `current`, the message chosen so far, joins first.
    fn toggle(&mut self, index: usize, key: Key, current: Option<Key>) {
        if !self.is_active()
            && let Some(current) = current.filter(|c| *c != key)
        {
            self.toggled.insert(current);
        }
        if !self.toggled.remove(&key) {
            self.toggled.insert(key);
        }
        self.anchor = Some(index);
    }

    /// The only message chosen by Ctrl-clicks, when exactly one is.
    fn single(&self) -> Option<Key> {
        match (self.whole, self.run, self.toggled.len()) {
            (None, None, 1) => self.toggled.iter().next().copied(),
            _ => None,
        }
    }

    /// The folders of the messages chosen, each once; `None` while a run is being read
    /// (or Ctrl+A's folder, which the caller knows).
    pub fn chosen_folders(&self) -> Option<Vec<FolderId>> {
        if self.run.is_some() || self.whole.is_some() {
            return None;
        }
        let mut folders: Vec<FolderId> = Vec::new();
        for (folder, _) in &self.toggled {
            if !folders.contains(folder) {
                folders.push(*folder);
            }
        }
        Some(folders)
    }

    /// What an action acts on, to be read into UIDs on the store thread. `account`: the
    /// mailbox's, whose folder `source` is when it is one.
    pub fn chosen(&self, account: AccountId, source: Source, sort: Sort) -> Chosen {
        Chosen {
            account,
            source,
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
    source: Source,
    sort: Sort,
    /// Ctrl+A, up to this UID when known.
    whole: Option<Option<u32>>,
    run: Option<(usize, usize)>,
    toggled: Vec<Key>,
}

impl Chosen {
    /// The chosen messages in order: by folder, UIDs ascending.
    pub fn keys(&self, s: &Store) -> Result<Vec<Key>, Error> {
        let mut base: HashSet<Key> = match (self.whole, self.run, self.source) {
            (Some(through), _, Source::Folder(folder)) => folder_uids(s, self.account, folder)?
                .into_iter()
                .filter(|u| through.is_none_or(|t| *u <= t))
                .map(|u| (folder, u))
                .collect(),
            (None, Some((lo, hi)), source) => run_keys(s, source, self.sort, lo, hi)?.into_iter().collect(),
            _ => HashSet::new(),
        };
        for key in &self.toggled {
            if !base.remove(key) {
                base.insert(*key);
            }
        }
        let mut keys: Vec<Key> = base.into_iter().collect();
        keys.sort_unstable_by_key(|(folder, uid)| (folder.0, *uid));
        Ok(keys)
    }

    /// Queues `action` for every chosen message, a batch of one folder's UIDs per recorded
    /// change (a server command line stays short however sparse the UIDs are), each for the
    /// account whose folder it is.
    pub fn queue(
        &self,
        s: &mut Store,
        action: impl Fn(FolderId, Vec<u32>) -> MailAction,
    ) -> Result<usize, Error> {
        const BATCH: usize = 1_000;
        // Sorted by folder: each folder's UIDs are one run.
        let mut by_folder: Vec<(FolderId, Vec<u32>)> = Vec::new();
        for (folder, uid) in self.keys(s)? {
            match by_folder.last_mut() {
                Some((f, uids)) if *f == folder => uids.push(uid),
                _ => by_folder.push((folder, vec![uid])),
            }
        }
        let owners = match self.source {
            Source::Folder(_) => HashMap::new(),
            Source::View(_) => owners(s)?,
        };
        let mut n = 0;
        for (folder, uids) in by_folder {
            let account = owners.get(&folder).copied().unwrap_or(self.account);
            for batch in uids.chunks(BATCH) {
                // Those moved or copied to the folder they are in stay as they are (the store
                // records nothing for them).
                s.queue_action(account, &action(folder, batch.to_vec()))?;
            }
            n += uids.len();
        }
        Ok(n)
    }
}

/// Every folder's account.
pub(super) fn owners(s: &Store) -> Result<HashMap<FolderId, AccountId>, Error> {
    Ok(s.search_folders()?.into_iter().map(|f| (f.id, f.account)).collect())
}

/// The UIDs the store holds for the folder at its current UIDVALIDITY.
fn folder_uids(s: &Store, account: AccountId, folder: FolderId) -> Result<Vec<u32>, Error> {
    let validity = s.folders(account)?.into_iter().find(|f| f.id == folder).and_then(|f| f.uidvalidity);
    match validity {
        Some(v) => s.uids(folder, v),
        None => Ok(Vec::new()),
    }
}

/// The messages at positions `lo..=hi` of the folder or view in `sort` order.
fn run_keys(s: &Store, source: Source, sort: Sort, lo: usize, hi: usize) -> Result<Vec<Key>, Error> {
    let (mut at, end) = (lo as u64, hi as u64 + 1);
    let mut keys = Vec::with_capacity(hi - lo + 1);
    while at < end {
        let limit = RUN_CHUNK.min(end - at);
        let chunk: Vec<Key> = match source {
            Source::Folder(folder) => {
                s.list(folder, sort, at, limit)?.iter().map(|r| (folder, r.uid)).collect()
            }
            Source::View(view) => {
                s.unified(view, sort, at, limit)?.iter().map(|u| (u.folder, u.row.uid)).collect()
            }
        };
        if chunk.is_empty() {
            break;
        }
        at += chunk.len() as u64;
        keys.extend(chunk);
    }
    Ok(keys)
}

impl Mailbox {
    /// A click on a row: with Ctrl it joins or leaves the chosen ones, with Shift the run
    /// from the last click is chosen; a plain click chooses it alone and opens it.
    pub(super) fn click(&mut self, index: usize, uid: u32) -> Task<Message> {
        if self.held.shift() {
            return self.choose_run(index, uid);
        }
        let Some(key) = self.list.key_of(index, uid) else { return Task::none() };
        if self.held.command() {
            let current = self.list.selected_key();
            self.list.marks_mut().toggle(index, key, current);
            self.list.point_at(index, key);
            let marks = self.list.marks();
            return match marks.single() {
                // Down to one: that one alone, in the reader.
                Some(only) => {
                    self.list.marks_mut().clear(Some(index));
                    let select = self.on_list(|list, store| list.select_key(only, store));
                    Task::batch([select, self.open_selected()])
                }
                None if !marks.is_active() => self.click_alone(index, uid),
                None => Task::none(),
            };
        }
        self.click_alone(index, uid)
    }

    fn click_alone(&mut self, index: usize, uid: u32) -> Task<Message> {
        let Some(key) = self.list.key_of(index, uid) else { return Task::none() };
        self.list.select(index, key);
        match self.list.selected_with_folder().map(|(f, r)| (f, r.clone())) {
            Some((folder, row)) => self.open_or_edit(folder, row),
            None => Task::none(),
        }
    }

    /// Opens the list's selection unless the reader has it already.
    fn open_selected(&mut self) -> Task<Message> {
        match self.list.selected_with_folder().map(|(f, r)| (f, r.clone())) {
            Some((folder, row))
                if !self.reader.opened().is_some_and(|o| o.folder == folder && o.row.uid == row.uid) =>
            {
                self.open_or_edit(folder, row)
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
        let Some(key) = self.list.key_of(index, uid) else { return Task::none() };
        self.list.point_at(index, key);
        let held = self.list.keys_at(lo, hi);
        let marks = self.list.marks_mut();
        marks.clear(Some(anchor));
        if let Some(keys) = held {
            marks.toggled = keys.into_iter().collect();
            return Task::none();
        }
        self.read_run(lo, hi)
    }

    /// Chooses the run `lo..=hi` at once, and reads its messages from the store.
    fn read_run(&mut self, lo: usize, hi: usize) -> Task<Message> {
        let marks = self.list.marks_mut();
        marks.run = Some((lo, hi));
        let choice = marks.generation;
        let (Some(stores), Some(source)) = (&self.stores, self.list.source()) else { return Task::none() };
        let (store, sort, list_gen) = (stores.read.clone(), self.list.sort(), self.list.generation());
        Task::perform(
            async move { store.call(move |s| run_keys(s, source, sort, lo, hi)).await },
            move |result| Message::Select(Msg::Run(list_gen, choice, result)),
        )
    }

    /// Ctrl+A: the whole folder (in a view: the whole view, as a run).
    pub(super) fn select_all(&mut self) -> Task<Message> {
        let total = self.list.counts().total;
        if self.list.view_shown().is_some() && total > 0 {
            let anchor = self.list.selected_index();
            self.list.marks_mut().clear(anchor);
            return self.read_run(0, total as usize - 1);
        }
        let (Some(stores), Some(folder)) = (&self.stores, self.list.folder()) else { return Task::none() };
        if total == 0 {
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

    /// Escape: the picker closes; else the conversation (its message stays in the reader);
    /// else the search; else several chosen go back to one.
    pub(super) fn escape(&mut self) -> Task<Message> {
        if self.picker.take().is_some() {
            return Task::none();
        }
        if self.conversation_shown() {
            self.conversation.close();
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
                Ok(keys) => {
                    let marks = self.list.marks_mut();
                    marks.run = None;
                    for key in keys {
                        if !marks.toggled.remove(&key) {
                            marks.toggled.insert(key);
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
