//! The mailbox's panes and their dividers: folders | (list above reader), each divider
//! dragged with the mouse (iced's `pane_grid`), the sizes remembered across restarts in the
//! profile's UI-state file ([`tidings_mail::ui_state`]).
//!
//! The file is read when the mailbox opens and written a moment after the last move of a
//! drag (a drag sends many resizes: only the last one's save runs), both on a worker thread.

use std::path::PathBuf;
use std::time::Duration;

use iced::Task;
use iced::widget::pane_grid::{self, Axis, Configuration, ResizeEvent};

use tidings_mail::ui_state::{self, UiState};

use super::Message;

/// How long after a divider stops moving its position is written.
const SAVE_AFTER: Duration = Duration::from_millis(400);

/// The outer split's panes…
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Folders,
    Mail,
}

/// …and the inner one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    List,
    Reader,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Divider {
    /// Between the folders and the mail.
    Folders,
    /// Between the list and the reader.
    List,
}

#[derive(Debug, Clone)]
pub enum Msg {
    /// The saved sizes, read.
    Loaded(UiState),
    Resized(Divider, ResizeEvent),
    /// Write the sizes, if no drag came after the one that asked.
    Save(u64),
    Saved,
}

pub struct Panes {
    pub outer: pane_grid::State<Side>,
    pub inner: pane_grid::State<Part>,
    file: PathBuf,
    /// Bumped by every resize: a save runs only for the latest.
    generation: u64,
    /// A divider was moved before the saved sizes arrived: the person's wins.
    moved: bool,
}

impl Panes {
    /// The panes at their default sizes, and the task reading the saved ones from `file`.
    pub fn new(file: PathBuf) -> (Panes, Task<Message>) {
        let sizes = ui_state::Panes::default();
        let read = file.clone();
        let load = Task::perform(
            async move { tokio::task::spawn_blocking(move || UiState::load(&read)).await.unwrap_or_default() },
            |state| Message::Panes(Msg::Loaded(state)),
        );
        let panes = Panes {
            outer: split(Axis::Vertical, sizes.folders, Side::Folders, Side::Mail),
            inner: split(Axis::Horizontal, sizes.list, Part::List, Part::Reader),
            file,
            generation: 0,
            moved: false,
        };
        (panes, load)
    }

    /// The dividers' positions: the folder pane's share of the width, the list's share of
    /// the height it shares with the reader.
    pub fn sizes(&self) -> ui_state::Panes {
        ui_state::Panes { folders: ratio(&self.outer), list: ratio(&self.inner) }
    }

    pub fn update(&mut self, msg: Msg) -> Task<Message> {
        match msg {
            Msg::Loaded(state) => {
                if !self.moved {
                    set_ratio(&mut self.outer, state.panes.folders);
                    set_ratio(&mut self.inner, state.panes.list);
                }
                Task::none()
            }
            Msg::Resized(divider, ResizeEvent { split, ratio }) => {
                match divider {
                    Divider::Folders => self.outer.resize(split, ratio),
                    Divider::List => self.inner.resize(split, ratio),
                }
                self.moved = true;
                self.generation += 1;
                let generation = self.generation;
                Task::perform(async { tokio::time::sleep(SAVE_AFTER).await }, move |()| {
                    Message::Panes(Msg::Save(generation))
                })
            }
            Msg::Save(generation) if generation == self.generation => {
                let (file, sizes) = (self.file.clone(), self.sizes());
                Task::perform(
                    async move {
                        // The sizes are a convenience: a file that cannot be written is left as it was.
                        let _ =
                            tokio::task::spawn_blocking(move || UiState::update(&file, |s| s.panes = sizes))
                                .await;
                    },
                    |()| Message::Panes(Msg::Saved),
                )
            }
            Msg::Save(_) | Msg::Saved => Task::none(),
        }
    }
}

fn split<T>(axis: Axis, ratio: f32, a: T, b: T) -> pane_grid::State<T> {
    pane_grid::State::with_configuration(Configuration::Split {
        axis,
        ratio,
        a: Box::new(Configuration::Pane(a)),
        b: Box::new(Configuration::Pane(b)),
    })
}

/// The ratio of a two-pane grid's one split.
fn ratio<T>(state: &pane_grid::State<T>) -> f32 {
    match state.layout() {
        pane_grid::Node::Split { ratio, .. } => *ratio,
        pane_grid::Node::Pane(_) => 1.0,
    }
}

fn set_ratio<T>(state: &mut pane_grid::State<T>, to: f32) {
    if let pane_grid::Node::Split { id, .. } = state.layout() {
        let id = *id;
        state.resize(id, to);
    }
}
