//! Tidings opens where the person left it: the mailbox, its folder, the selected message (open
//! in the reader) and the list's order come back on the next start on the same profile; an
//! account removed meanwhile or an unreadable UI-state file gives the overview. Re-sorting the
//! list keeps the selected message selected, and in view.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use iced_test::selector::id;

use common::{run, settle};
use tidings::app::{App, Message, Screen};
use tidings::screen::mailbox::id as ids;
use tidings_mail::config::Config;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{NewMessage, Sort, SortKey};
use tidings_mail::ui_state::{self, UiState};

use gui_mailbox_helpers::fixture::*;

/// INBOX/Lists holds this many messages: more than one window of the list.
const MANY: u32 = 1000;

/// The fixture, with many messages in INBOX/Lists and the config written to the profile (a
/// new start reads it from there).
fn profile() -> Fixture {
    let fx = fixture();
    let mut store = check_store(&fx);
    let lists = store.folder(fx.account, "INBOX/Lists").unwrap().unwrap().id;
    let more: Vec<NewMessage> = (6..=MANY).map(message).collect();
    store.insert_messages(lists, 7, &more).unwrap();
    let mut config = Config::default();
    config.add_account(account_for("127.0.0.1", 1, "work", None)).unwrap();
    config.save(&fx.profile).unwrap();
    fx
}

/// A new start of the app on the fixture's profile, as `tidings` starts it.
fn start(fx: &Fixture) -> App {
    let (mut app, boot) = App::new(fx.profile.clone(), Secrets::in_memory());
    settle(&mut app, run(boot));
    app
}

/// What the save timer sends a moment after a change.
fn save(app: &mut App) {
    assert!(app.has_unsaved_place(), "nothing changed to be written");
    settle(app, vec![Message::SaveUiState]);
    assert!(!app.has_unsaved_place());
}

fn opened_uid(app: &App) -> Option<u32> {
    mailbox(app).reader().opened().map(|o| o.row.uid)
}

/// Whether the row of `uid` is built in the list as the window shows it (only the rows in
/// view, and a few around them, are).
fn row_in_view(app: &App, uid: u32) -> bool {
    window(app).find(id(ids::row(uid))).is_ok()
}

#[test]
fn a_new_start_opens_the_mailbox_folder_order_and_message_left_open() {
    let fx = profile();
    let mut app = start(&fx);
    assert!(matches!(app.screen(), Screen::Accounts(_)), "no place saved yet: the overview");

    click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
    click(&mut app, &ids::folder("INBOX/Lists"));
    // Oldest first, then the message far down the list.
    click(&mut app, ids::SORT_DATE);
    assert_eq!(mailbox(&app).list().sort(), Sort { key: SortKey::Date, descending: false });
    click(&mut app, ids::SORT_DATE);
    settle(
        &mut app,
        vec![Message::Mailbox(tidings::screen::mailbox::Message::Reveal {
            folder: check_store(&fx).folder(fx.account, "INBOX/Lists").unwrap().unwrap().id,
            uid: 40,
        })],
    );
    assert_eq!(selected_uid(&app), Some(40));
    assert_eq!(opened_uid(&app), Some(40));
    save(&mut app);
    drop(app);

    let again = start(&fx);
    let shown = mailbox(&again);
    assert_eq!(shown.account_key(), "work");
    let lists = check_store(&fx).folder(fx.account, "INBOX/Lists").unwrap().unwrap().id;
    assert_eq!(shown.list().folder(), Some(lists));
    assert_eq!(shown.list().sort(), Sort { key: SortKey::Date, descending: true });
    assert_eq!(selected_uid(&again), Some(40), "the selection, with its row held");
    assert_eq!(opened_uid(&again), Some(40), "open in the reader");
    assert!(row_in_view(&again, 40), "scrolled to the selection, far down the list");
    assert!(!again.has_unsaved_place(), "coming back changes nothing to write");

    // The place written is the one read.
    let place = UiState::load(&ui_state::path(&fx.profile)).place.unwrap();
    assert_eq!((place.folder.as_deref(), place.message), (Some("INBOX/Lists"), Some(40)));
}

#[test]
fn an_account_removed_meanwhile_gives_the_overview() {
    let fx = profile();
    let mut app = start(&fx);
    click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
    click(&mut app, &ids::folder("Archive"));
    click(&mut app, &ids::row(102));
    save(&mut app);
    drop(app);

    // Removed by another program (or by hand) while Tidings was closed.
    let mut config = Config::load(&fx.profile).unwrap();
    config.accounts.clear();
    config.add_account(account_for("127.0.0.1", 1, "home", None)).unwrap();
    config.accounts[0].name = "Home".into();
    config.accounts[0].id = "home".into();
    config.save(&fx.profile).unwrap();

    let mut again = start(&fx);
    assert!(matches!(again.screen(), Screen::Accounts(_)));
    // The overview is the place now: written at the next tick.
    save(&mut again);
    assert_eq!(UiState::load(&ui_state::path(&fx.profile)).place, None);
}

#[test]
fn an_unreadable_ui_state_gives_the_overview_and_the_defaults() {
    let fx = profile();
    let mut app = start(&fx);
    click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
    click(&mut app, &ids::row(PLAIN));
    save(&mut app);
    drop(app);

    std::fs::write(ui_state::path(&fx.profile), "[place\naccount = \"work").unwrap();
    let mut again = start(&fx);
    assert!(matches!(again.screen(), Screen::Accounts(_)));
    click(&mut again, &tidings::screen::accounts::open_mailbox_id("work"));
    let shown = mailbox(&again);
    assert_eq!(shown.list().folder(), Some(fx.inbox), "the Inbox, as on a first start");
    assert_eq!(shown.list().sort(), Sort::NEWEST);
    assert_eq!(selected_uid(&again), None);
    assert_eq!(shown.pane_sizes(), ui_state::Panes::default());
}

#[test]
fn re_sorting_keeps_the_selected_message_selected_and_in_view() {
    let fx = profile();
    let mut app = opened(&fx);
    click(&mut app, &ids::folder("INBOX/Lists"));
    // The newest message, at the top by date; by size it is the largest.
    click(&mut app, &ids::row(MANY));
    assert_eq!(selected_uid(&app), Some(MANY));

    click(&mut app, ids::SORT_SIZE);
    assert_eq!(mailbox(&app).list().sort(), Sort { key: SortKey::Size, descending: true });
    assert_eq!(selected_uid(&app), Some(MANY), "still selected: the largest comes first");

    click(&mut app, ids::SORT_SIZE);
    assert_eq!(mailbox(&app).list().sort(), Sort { key: SortKey::Size, descending: false });
    assert_eq!(selected_uid(&app), Some(MANY), "still selected, now the last of {MANY}");
    assert!(row_in_view(&app, MANY), "scrolled down to it");
    assert!(!row_in_view(&app, 1), "the top of the list is out of view");

    // By subject: somewhere in the middle.
    click(&mut app, ids::SORT_SUBJECT);
    assert_eq!(selected_uid(&app), Some(MANY));
    assert!(row_in_view(&app, MANY));
    // The reader kept the message too.
    assert_eq!(opened_uid(&app), Some(MANY));
}
