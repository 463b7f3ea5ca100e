//! Dragging messages onto a folder: a move, or with Ctrl held when the button is let go, a
//! copy. What is dragged is the chosen messages when the row pressed is one of them, else
//! that row alone; the drop goes through the same actions as "Move to…" and "Copy to…"
//! ([`super::actions`]), so a view's rows keep their own folder and account, and messages
//! of another account than the folder's are refused with the picker's reason.
//!
//! iced has no drag and drop, and a row is a button, which takes the press for itself. So
//! the rows and the folder pane report the cursor coming and going (a `mouse_area` around
//! each: only the visible rows are built; the folders only while dragging), and a raw-event
//! subscription reports the left button going down and up wherever it is, and while it is
//! down, where the cursor goes. A press over a row is a drag once the cursor has moved
//! [`THRESHOLD`] pixels; the release drops on the folder under the cursor, and anywhere else
//! (or Escape) lets go of it. The click the button sends when a drag ends on its own row is
//! no click: it neither opens a message nor changes what is chosen (the runtime hands over
//! the widgets' messages before the subscription's, so the drag is still on then).

use iced::mouse::{self, Button};
use iced::widget::mouse_area;
use iced::{Element, Event, Point, Subscription, Task, event, window};

use tidings_mail::store::{FolderId, Unified};

use super::list::Key;
use super::{Mailbox, Message, format, picker};

/// How far the cursor goes with the button down before a press is a drag, in pixels: a
/// hand's jitter during a click stays a click.
pub const THRESHOLD: f32 = 6.0;

#[derive(Debug, Clone)]
pub enum Msg {
    /// The cursor came over the row at this position, holding this UID…
    OverRow(usize, u32),
    /// …and left it.
    LeftRow(usize, u32),
    /// While dragging: the cursor came over a place in the folder pane…
    Over(Spot),
    /// …and left it.
    Left(Spot),
    /// The left button went down, anywhere.
    Pressed,
    /// While it is down: where the cursor is.
    Moved(Point),
    /// The left button came up, anywhere.
    Released,
}

/// Where messages can be let go of in the folder pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spot {
    Folder(FolderId),
    /// "All Inboxes", "Unread", "Flagged": no place to put messages.
    View(Unified),
}

/// What is being dragged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dragged {
    /// One row: this message.
    One(Key),
    /// The chosen messages, this many.
    Chosen(u64),
}

#[derive(Debug, Clone, Copy, Default)]
enum Phase {
    #[default]
    Idle,
    /// The button went down over this row (position, message); `from`: where the cursor was
    /// first seen after that.
    Pressed {
        index: usize,
        key: Key,
        from: Option<Point>,
    },
    Dragging(Dragged),
}

/// The cursor over the list and the folder pane, and the drag, if any.
#[derive(Debug, Clone, Default)]
pub struct Drag {
    row: Option<(usize, u32)>,
    spot: Option<Spot>,
    phase: Phase,
}

impl Drag {
    /// The button is down after a press on a row (the cursor is followed then).
    pub fn is_pressed(&self) -> bool {
        !matches!(self.phase, Phase::Idle)
    }

    pub fn is_dragging(&self) -> bool {
        matches!(self.phase, Phase::Dragging(_))
    }

    /// The folder the messages would go to, while dragging over one.
    pub fn over_folder(&self) -> Option<FolderId> {
        match (self.phase, self.spot) {
            (Phase::Dragging(_), Some(Spot::Folder(folder))) => Some(folder),
            _ => None,
        }
    }
}

/// The left button's presses and releases, wherever they are (a row's button captures the
/// press, so captured events count too); while it is down, the cursor's moves. Moves are
/// listened to only then: a message per move otherwise would redraw for nothing.
pub fn subscription(pressed: bool) -> Subscription<Message> {
    let buttons = event::listen_with(on_button);
    if pressed { Subscription::batch([buttons, event::listen_with(on_move)]) } else { buttons }
}

pub fn on_button(event: Event, _status: event::Status, _window: window::Id) -> Option<Message> {
    match event {
        Event::Mouse(mouse::Event::ButtonPressed(Button::Left)) => Some(Message::Drag(Msg::Pressed)),
        Event::Mouse(mouse::Event::ButtonReleased(Button::Left)) => Some(Message::Drag(Msg::Released)),
        _ => None,
    }
}

pub fn on_move(event: Event, _status: event::Status, _window: window::Id) -> Option<Message> {
    match event {
        Event::Mouse(mouse::Event::CursorMoved { position }) => Some(Message::Drag(Msg::Moved(position))),
        _ => None,
    }
}

/// A message row, reporting the cursor coming and going.
pub fn row<'a>(index: usize, uid: u32, row: Element<'a, Message>) -> Element<'a, Message> {
    mouse_area(row)
        .on_enter(Message::Drag(Msg::OverRow(index, uid)))
        .on_exit(Message::Drag(Msg::LeftRow(index, uid)))
        .into()
}

/// A place in the folder pane, reporting the cursor coming and going while dragging.
pub fn spot<'a>(
    area: iced::widget::MouseArea<'a, Message>,
    spot: Spot,
    dragging: bool,
) -> iced::widget::MouseArea<'a, Message> {
    if dragging {
        area.on_enter(Message::Drag(Msg::Over(spot))).on_exit(Message::Drag(Msg::Left(spot)))
    } else {
        area
    }
}

impl Mailbox {
    pub(super) fn drag(&mut self, msg: Msg) -> Task<Message> {
        match msg {
            Msg::OverRow(index, uid) => self.drag.row = Some((index, uid)),
            Msg::LeftRow(index, uid) => {
                if self.drag.row == Some((index, uid)) {
                    self.drag.row = None;
                }
            }
            Msg::Over(spot) => self.drag.spot = Some(spot),
            Msg::Left(spot) => {
                if self.drag.spot == Some(spot) {
                    self.drag.spot = None;
                }
            }
            Msg::Pressed => self.drag.phase = self.press(),
            Msg::Moved(at) => self.moved(at),
            Msg::Released => {
                let phase = std::mem::take(&mut self.drag.phase);
                let spot = self.drag.spot.take();
                if let Phase::Dragging(dragged) = phase {
                    return self.dropped(dragged, spot, self.held.command());
                }
            }
        }
        Task::none()
    }

    /// Escape while dragging: the messages stay where they are.
    pub(super) fn drag_cancel(&mut self) -> Task<Message> {
        self.drag.phase = Phase::Idle;
        self.drag.spot = None;
        Task::none()
    }

    /// How many messages are being dragged, while they are.
    pub fn dragging(&self) -> Option<u64> {
        match self.drag.phase {
            Phase::Dragging(Dragged::One(_)) => Some(1),
            Phase::Dragging(Dragged::Chosen(n)) => Some(n),
            _ => None,
        }
    }

    /// What the status line says while dragging.
    pub(super) fn drag_line(&self) -> Option<String> {
        let n = self.dragging()?;
        let what = if n == 1 { "the message".to_string() } else { format!("{} messages", format::count(n)) };
        Some(if self.held.command() {
            format!("Copying {what}: release on a folder")
        } else {
            format!("Moving {what}: release on a folder; hold Ctrl to copy")
        })
    }

    /// A press: over a row of the list (not hits, threads or the Outbox in its place, and
    /// no panel open), the start of a possible drag.
    fn press(&self) -> Phase {
        let list_shown = !self.search.is_active()
            && !self.threads.is_on()
            && !self.showing_outbox
            && self.picker.is_none()
            && self.admin.is_none();
        match self.drag.row {
            Some((index, uid)) if list_shown => match self.list.key_of(index, uid) {
                Some(key) => Phase::Pressed { index, key, from: None },
                None => Phase::Idle,
            },
            _ => Phase::Idle,
        }
    }

    fn moved(&mut self, at: Point) {
        let Phase::Pressed { index, key, from } = self.drag.phase else { return };
        let Some(from) = from else {
            self.drag.phase = Phase::Pressed { index, key, from: Some(at) };
            return;
        };
        if from.distance(at) <= THRESHOLD {
            return;
        }
        // The chosen messages when the row is one of them, else the row alone.
        let dragged = match self.several() {
            Some(n) if self.list.is_chosen(index, key) => Dragged::Chosen(n),
            _ => Dragged::One(key),
        };
        self.drag.phase = Phase::Dragging(dragged);
        self.drag.spot = None;
    }

    /// The messages let go of over `spot` (nowhere: nothing happens).
    fn dropped(&mut self, dragged: Dragged, spot: Option<Spot>, copy: bool) -> Task<Message> {
        let to = match spot {
            None => return Task::none(),
            Some(Spot::View(view)) => {
                let verb = if copy { "copy" } else { "move" };
                self.notice = Some((
                    format!(
                        "Cannot {verb} messages to {}: it shows other folders' messages and holds none. Drop them on a folder.",
                        view.label()
                    ),
                    true,
                ));
                return Task::none();
            }
            Some(Spot::Folder(to)) => to,
        };
        let from: Vec<FolderId> = match dragged {
            Dragged::One((folder, _)) => vec![folder],
            Dragged::Chosen(_) => match (self.list.marks().chosen_folders(), self.list.folder()) {
                (Some(folders), _) => folders,
                // Ctrl+A or a long Shift run in a folder: that folder's.
                (None, Some(folder)) => vec![folder],
                (None, None) => {
                    self.notice = Some(("The chosen messages are still being read: try again.".into(), true));
                    return Task::none();
                }
            },
        };
        // Only between one account's folders, as "Move to…" offers them.
        let own = self.account();
        let accounts = self.views.accounts_of(from.iter().copied());
        if accounts.iter().any(|(account, _)| Some(*account) != own) {
            let mut names: Vec<String> = accounts.iter().map(|(_, key)| self.account_label(key)).collect();
            names.sort();
            let why = match names.as_slice() {
                [one] => format!(
                    "Cannot put {one}'s messages in this account's folder: messages move and copy only between one account's folders. \"Move to…\" offers {one}'s."
                ),
                _ => picker::across_accounts(&names),
            };
            self.notice = Some((why, true));
            return Task::none();
        }
        // On their own folder: they are there already.
        if from.iter().all(|f| *f == to) {
            return Task::none();
        }
        match (dragged, copy) {
            (Dragged::One((folder, uid)), false) => {
                self.notice = Some((format!("Moved the message to {}.", self.folder_label(to)), false));
                self.move_one(folder, uid, to)
            }
            (Dragged::One((folder, uid)), true) => self.copy_one(folder, uid, to),
            (Dragged::Chosen(_), false) => self.move_to(to),
            (Dragged::Chosen(_), true) => self.copy_to(to),
        }
    }
}
