//! The mailbox window at the sizes people meet: the default 1024×768 and a small 800×600.
//! Every toolbar action is on screen (or behind "More") and does its thing (Move and Copy
//! through their folder panel); long subjects end with "…" inside their column; the dividers
//! between the panes drag, and a new start on the same profile puts them back where they
//! were left.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use iced::Rectangle;
use iced::mouse::{Button, Event as Mouse};
use iced::theme::Mode;
use iced_test::Simulator;
use iced_test::selector::id;

use common::{assert_snapshot, settle};
use tidings::app::{App, Message, Screen};
use tidings::screen::accounts;
use tidings::screen::mailbox::{self, id as ids};
use tidings_mail::store::{NewMessage, ServerOp};

use gui_mailbox_helpers::fixture::*;

type Size = (f32, f32);

const DEFAULT: Size = (1024.0, 768.0);
const SMALL: Size = (800.0, 600.0);
const NARROW: Size = (560.0, 420.0);

fn sized(app: &App, size: Size) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), size, app.view())
}

/// The widget's bounds, when it is wholly inside the window.
fn on_screen(ui: &mut Simulator<'_, Message>, widget: &str, size: Size) -> Option<Rectangle> {
    let target = ui.find(id(widget.to_string())).ok()?;
    let b = target.bounds();
    let inside = b.x >= 0.0 && b.y >= 0.0 && b.x + b.width <= size.0 + 0.5 && b.y + b.height <= size.1 + 0.5;
    (inside && target.visible_bounds().is_some()).then_some(b)
}

/// The mailbox opened at `size`, with the newest message open in the reader.
fn opened_at(fx: &Fixture, size: Size) -> App {
    let mut app = app(fx);
    click_at(&mut app, size, &accounts::open_mailbox_id("work"));
    click_at(&mut app, size, &ids::row(NEWEST));
    assert_eq!(mailbox(&app).reader().opened().map(|o| o.row.uid), Some(NEWEST));
    app
}

fn click_at(app: &mut App, size: Size, widget: &str) {
    let messages = clicked(app, size, widget);
    settle(app, messages);
}

fn clicked(app: &App, size: Size, widget: &str) -> Vec<Message> {
    let mut ui = sized(app, size);
    assert!(on_screen(&mut ui, widget, size).is_some(), "{widget} is not wholly inside the {size:?} window");
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    ui.into_messages().collect()
}

/// Makes a toolbar action reachable: it is on screen, or "More" is and opens a row with it.
fn reach(app: &mut App, size: Size, widget: &str) {
    let (shown, more) = {
        let mut ui = sized(app, size);
        (on_screen(&mut ui, widget, size).is_some(), on_screen(&mut ui, ids::MORE, size).is_some())
    };
    if !shown {
        assert!(more, "{widget} is neither in the toolbar nor behind More at {size:?}");
        click_at(app, size, ids::MORE);
    }
}

/// What an action asked of the mailbox, taken out of the "More" row's wrapping.
fn asked(messages: Vec<Message>) -> Vec<String> {
    messages
        .into_iter()
        .map(|m| match m {
            Message::Mailbox(mailbox::Message::More(Some(inner))) => format!("{inner:?}"),
            Message::Mailbox(inner) => format!("{inner:?}"),
            other => format!("{other:?}"),
        })
        .collect()
}

fn row_of(app: &App, uid: u32) -> Option<(bool, bool)> {
    mailbox(app).list().rows().iter().find(|r| r.uid == uid).map(|r| (r.unread, r.flagged))
}

fn every_action_works_at(size: Size) {
    let fx = fixture();
    let mut app = opened_at(&fx, size);

    // The actions that hand over to the app (composer, passes, the accounts) ask for it.
    for (widget, wanted) in [
        (ids::GET_MAIL, "GetMail"),
        (ids::GET_ALL_MAIL, "GetAllMail"),
        (ids::WRITE, "Compose(New)"),
        (ids::REPLY, "Compose(Reply)"),
        (ids::REPLY_ALL, "Compose(ReplyAll)"),
        (ids::FORWARD, "Compose(Forward)"),
        (ids::FORWARD_ATTACHED, "Compose(ForwardAsAttachment)"),
        (ids::BACK, "Back"),
    ] {
        reach(&mut app, size, widget);
        assert_eq!(asked(clicked(&app, size, widget)), [wanted], "{widget} at {size:?}");
    }

    // The ones on the message change it.
    let before = row_of(&app, NEWEST).unwrap();
    reach(&mut app, size, ids::TOGGLE_READ);
    click_at(&mut app, size, ids::TOGGLE_READ);
    assert_eq!(row_of(&app, NEWEST).unwrap().0, !before.0, "read toggled at {size:?}");
    reach(&mut app, size, ids::TOGGLE_STAR);
    click_at(&mut app, size, ids::TOGGLE_STAR);
    assert_eq!(row_of(&app, NEWEST).unwrap().1, !before.1, "star toggled at {size:?}");
    reach(&mut app, size, ids::DELETE);
    click_at(&mut app, size, ids::DELETE);
    assert_eq!(row_of(&app, NEWEST), None, "deleted at {size:?}");
    let next = mailbox(&app).reader().opened().map(|o| o.row.uid).unwrap();

    // Copy, then Move: each opens the folder panel, whose folders are on screen too.
    reach(&mut app, size, ids::COPY);
    click_at(&mut app, size, ids::COPY);
    click_at(&mut app, size, &ids::picker_folder("Trash"));
    assert!(row_of(&app, next).is_some(), "a copy stays at {size:?}");
    let last = check_store(&fx).pending_actions(fx.account).unwrap().pop().unwrap();
    assert!(matches!(last.op, ServerOp::Copy { ref to, .. } if to == "Trash"), "{last:?} at {size:?}");
    reach(&mut app, size, ids::MOVE);
    let messages = clicked(&app, size, ids::MOVE);
    assert_eq!(asked(messages.clone()), ["Picker(Open(Move))"], "at {size:?}");
    settle(&mut app, messages);
    let messages = clicked(&app, size, &ids::picker_folder("Archive"));
    assert_eq!(asked(messages.clone()), [format!("Picker(Pick({:?}))", fx.archive)], "at {size:?}");
    settle(&mut app, messages);
    assert_eq!(row_of(&app, next), None, "moved at {size:?}");
    assert!(matches!(app.screen(), Screen::Mailbox(_)));
}

#[test]
fn every_toolbar_action_is_reachable_and_works_at_1024_by_768() {
    every_action_works_at(DEFAULT);
}

#[test]
fn every_toolbar_action_is_reachable_and_works_at_800_by_600() {
    every_action_works_at(SMALL);
}

/// Narrower still: the least used actions go behind "More", and still work from there.
#[test]
fn every_toolbar_action_is_reachable_and_works_at_560_by_420() {
    let fx = fixture();
    let app = opened_at(&fx, NARROW);
    let mut ui = sized(&app, NARROW);
    assert!(on_screen(&mut ui, ids::MORE, NARROW).is_some(), "no More at 560 px");
    assert!(on_screen(&mut ui, ids::GET_ALL_MAIL, NARROW).is_none(), "Get all mail waits behind More");
    drop(ui);
    every_action_works_at(NARROW);
}

#[test]
fn a_long_subject_ends_with_an_ellipsis_inside_its_column() {
    let fx = fixture();
    let subject = "Re: Fwd: The quarterly planning meeting has moved to the large room on the third \
                   floor, please bring the printed agenda and your laptop charger";
    let mut long = message(NEWEST + 1);
    long.summary.subject = Some(subject.into());
    let mut store = check_store(&fx);
    store.insert_messages(fx.inbox, 7, &[long as NewMessage]).unwrap();
    drop(store);
    for size in [DEFAULT, SMALL] {
        let mut app = app(&fx);
        click_at(&mut app, size, &accounts::open_mailbox_id("work"));
        let shown = common::texts(sized(&app, size));
        assert!(!shown.iter().any(|t| t == subject), "the whole subject is drawn (and clipped) at {size:?}");
        let cut = shown
            .iter()
            .find(|t| t.ends_with('…') && t.len() > 10 && subject.starts_with(t.trim_end_matches('…')))
            .unwrap_or_else(|| panic!("no elided subject at {size:?} in {shown:?}"));
        assert!(cut.chars().count() < subject.chars().count() / 2, "{cut}");
    }
}

fn drag(app: &mut App, size: Size, from: iced::Point, to: iced::Point) {
    let mut ui = sized(app, size);
    ui.point_at(from);
    let _ = ui.simulate([
        iced::Event::Mouse(Mouse::CursorMoved { position: from }),
        iced::Event::Mouse(Mouse::ButtonPressed(Button::Left)),
    ]);
    ui.point_at(to);
    let _ = ui.simulate([iced::Event::Mouse(Mouse::CursorMoved { position: to })]);
    let _ = ui.simulate([iced::Event::Mouse(Mouse::ButtonReleased(Button::Left))]);
    let messages: Vec<Message> = ui.into_messages().collect();
    assert!(!messages.is_empty(), "the drag from {from:?} to {to:?} moved no divider");
    settle(app, messages);
}

fn list_bounds(app: &App, size: Size) -> Rectangle {
    sized(app, size).find(id(ids::LIST)).unwrap().bounds()
}

#[test]
fn dividers_drag_and_a_new_start_puts_them_back() {
    let fx = fixture();
    let mut app = app(&fx);
    click_at(&mut app, DEFAULT, &accounts::open_mailbox_id("work"));
    let defaults = mailbox(&app).pane_sizes();
    let list = list_bounds(&app, DEFAULT);

    // The divider under the list, 150 px down: the list grows by as much.
    let x = list.center_x();
    drag(
        &mut app,
        DEFAULT,
        iced::Point::new(x, list.y + list.height + 1.5),
        iced::Point::new(x, list.y + list.height + 151.5),
    );
    let taller = list_bounds(&app, DEFAULT);
    assert!((taller.height - list.height - 150.0).abs() < 4.0, "{list:?} → {taller:?}");
    // The divider left of the list, 100 px right: the folder pane widens.
    let y = taller.center_y();
    drag(&mut app, DEFAULT, iced::Point::new(list.x - 2.5, y), iced::Point::new(list.x + 97.5, y));
    let moved = mailbox(&app).pane_sizes();
    assert!(moved.list > defaults.list + 0.1 && moved.folders > defaults.folders + 0.05, "{moved:?}");
    let narrower = list_bounds(&app, DEFAULT);
    assert!((list.width - narrower.width - 100.0).abs() < 4.0, "{list:?} → {narrower:?}");

    // A new start of the app on the same profile.
    drop(app);
    let mut again = gui_mailbox_helpers::fixture::app(&fx);
    click_at(&mut again, DEFAULT, &accounts::open_mailbox_id("work"));
    assert_eq!(mailbox(&again).pane_sizes(), moved);
    assert_eq!(list_bounds(&again, DEFAULT), narrower);

    // A file that cannot be read is ignored: the defaults.
    std::fs::write(tidings_mail::ui_state::path(&fx.profile), "[panes\nfolders = ").unwrap();
    let mut third = gui_mailbox_helpers::fixture::app(&fx);
    click_at(&mut third, DEFAULT, &accounts::open_mailbox_id("work"));
    assert_eq!(mailbox(&third).pane_sizes(), defaults);
}

#[test]
fn snapshots_at_1024_by_768_and_800_by_600() {
    let theme = tidings::theme::for_mode(Mode::Light);
    for (size, name) in [(DEFAULT, "mailbox-1024-light"), (SMALL, "mailbox-800-light")] {
        let fx = fixture();
        let app = opened_at(&fx, size);
        assert_snapshot(&mut sized(&app, size), &theme, name);
    }
}
