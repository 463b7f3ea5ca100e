//! Dragging rows in a flow: the messages the rows' and the folder pane's mouse areas send as
//! the cursor comes and goes, and those the drag subscription makes of the button and the
//! cursor's moves (through its own mapping), fed in the runtime's order: the widgets' first.

use iced::keyboard::Modifiers;
use iced::mouse::{self, Button};
use iced::{Event, Point, event, window};

use tidings::app::{App, Message};
use tidings::screen::mailbox::{self, DragMsg, DropSpot, drag};

use super::fixture::mailbox;
use super::select::hold;
use crate::common::settle;

fn widget(msg: DragMsg) -> Message {
    Message::Mailbox(mailbox::Message::Drag(msg))
}

/// What the subscription makes of a raw event (a row's button captures the press).
fn raw(event: Event) -> Message {
    let id = window::Id::unique();
    let message = drag::on_button(event.clone(), event::Status::Captured, id)
        .or_else(|| drag::on_move(event, event::Status::Ignored, id))
        .expect("the drag subscription reports the event");
    Message::Mailbox(message)
}

/// A message as the list knows it: its folder and UID.
pub type Key = (tidings_mail::store::FolderId, u32);

/// The row at `index` holding `uid`.
type Row = (usize, u32);

/// The position of the message `uid` of `folder` in the list (the rows held start at the
/// top in these flows).
pub fn index_of(app: &App, folder: tidings_mail::store::FolderId, uid: u32) -> usize {
    let list = mailbox(app).list();
    let rows = list.rows();
    (0..rows.len())
        .find(|p| rows[*p].uid == uid && list.whose_at(*p).is_none_or(|w| w.folder == folder))
        .unwrap_or_else(|| panic!("no row for {uid} in {folder:?}"))
}

/// The mouse in a flow: where it is, and what it is over.
pub struct Pointer {
    at: Point,
    row: Option<Row>,
    spot: Option<DropSpot>,
    pressed_on: Option<Row>,
}

impl Pointer {
    /// The cursor comes over a message's row.
    pub fn over(app: &mut App, key: Key) -> Pointer {
        let row = (index_of(app, key.0, key.1), key.1);
        let at = Point::new(400.0, 200.0);
        settle(app, vec![widget(DragMsg::OverRow(row.0, row.1)), raw(moved(at))]);
        Pointer { at, row: Some(row), spot: None, pressed_on: None }
    }

    /// The left button goes down.
    pub fn press(&mut self, app: &mut App) {
        self.pressed_on = self.row;
        settle(app, vec![raw(Event::Mouse(mouse::Event::ButtonPressed(Button::Left)))]);
    }

    /// The cursor moves by this much, over what it was over.
    pub fn move_by(&mut self, app: &mut App, dx: f32, dy: f32) {
        self.at = Point::new(self.at.x + dx, self.at.y + dy);
        settle(app, vec![raw(moved(self.at))]);
    }

    /// The cursor goes to `spot` in the folder pane (`None`: somewhere else, the reader say),
    /// leaving the row or place it was over.
    pub fn onto(&mut self, app: &mut App, spot: Option<DropSpot>) {
        let mut messages = Vec::new();
        if let Some((index, uid)) = self.row.take() {
            messages.push(widget(DragMsg::LeftRow(index, uid)));
        }
        if let Some(old) = self.spot.take() {
            messages.push(widget(DragMsg::Left(old)));
        }
        if let Some(spot) = spot {
            messages.push(widget(DragMsg::Over(spot)));
        }
        self.spot = spot;
        self.at = Point::new(self.at.x - 300.0, self.at.y + 40.0);
        messages.push(raw(moved(self.at)));
        settle(app, messages);
    }

    /// The cursor comes back over a message's row, leaving the folder pane.
    pub fn back_to(&mut self, app: &mut App, key: Key) {
        let row = (index_of(app, key.0, key.1), key.1);
        let mut messages = Vec::new();
        if let Some(old) = self.spot.take() {
            messages.push(widget(DragMsg::Left(old)));
        }
        messages.push(widget(DragMsg::OverRow(row.0, row.1)));
        self.row = Some(row);
        self.at = Point::new(self.at.x + 300.0, self.at.y - 40.0);
        messages.push(raw(moved(self.at)));
        settle(app, messages);
    }

    /// The button comes up: over the row it went down on, that row's button sends its click
    /// first, as a button does; then the subscription's release.
    pub fn release(self, app: &mut App) {
        let mut messages = Vec::new();
        if let (Some(row), true) = (self.row, self.row == self.pressed_on) {
            messages.push(Message::Mailbox(mailbox::Message::Click(row.0, row.1)));
        }
        messages.push(raw(Event::Mouse(mouse::Event::ButtonReleased(Button::Left))));
        settle(app, messages);
    }
}

fn moved(position: Point) -> Event {
    Event::Mouse(mouse::Event::CursorMoved { position })
}

/// A whole drag: the row of `key` pressed, dragged well past the threshold onto `spot`, let
/// go of (with Ctrl held then when `copy`).
pub fn drag_onto(app: &mut App, key: Key, spot: Option<DropSpot>, copy: bool) {
    let mut pointer = Pointer::over(app, key);
    pointer.press(app);
    pointer.move_by(app, 0.0, 2.0);
    pointer.move_by(app, 5.0, 12.0);
    assert!(mailbox(app).dragging().is_some(), "a move past the threshold is a drag");
    pointer.onto(app, spot);
    if copy {
        hold(app, Modifiers::CTRL);
    }
    pointer.release(app);
    if copy {
        hold(app, Modifiers::empty());
    }
    assert_eq!(mailbox(app).dragging(), None);
}
