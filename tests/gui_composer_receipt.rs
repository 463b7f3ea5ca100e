//! The composer's "Request a read receipt" (iced_test): ticked, the message in the Outbox —
//! the bytes that are submitted — asks for a receipt at the From address
//! (Disposition-Notification-To); unticked it does not; the account's default
//! (`request_receipts`) decides how a new message starts.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_composer_receipt`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod composer_helpers;

use common::settle;
use composer_helpers::*;
use iced::keyboard::Modifiers;

use tidings::app::{App, Message};
use tidings::screen::composer;
use tidings_mail::config::Config;
use tidings_mail::mdn;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::Store;

/// The app on the "work" account's empty mailbox (its server unreachable); new messages ask
/// for a receipt when `by_default`.
fn app(profile: &Profile, by_default: bool) -> App {
    let mut config = Config::default();
    let mut acc = account("Work", "work@example.test", "127.0.0.1", 1, 1, None);
    acc.options.request_receipts = by_default;
    config.add_account(acc).unwrap();
    let mut app = App::with_config(profile.clone(), Secrets::in_memory(), config);
    open_mailbox(&mut app, "work");
    app
}

/// Writes a message to Bob in a new composer, ticking the checkbox when `tick`, sends it,
/// and returns the bytes the Outbox holds.
fn send(app: &mut App, profile: &Profile, tick: bool) -> Vec<u8> {
    press(app, "n", Modifiers::CTRL);
    if tick {
        click(app, composer::id::REQUEST_RECEIPT);
    }
    type_into(app, composer::id::TO, "Bob <bob@example.test>");
    type_into(app, composer::id::SUBJECT, "Lunch");
    settle(app, vec![Message::Composer(composer::Message::Send)]);
    assert!(app.composer().is_none(), "closed once queued");
    let store = Store::open(composer::store_path(profile)).unwrap();
    let last = store.outbox_list(None).unwrap().pop().unwrap();
    store.outbox_raw(last.id).unwrap().unwrap()
}

#[test]
fn a_ticked_box_asks_for_a_receipt_at_the_from_address() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut app = app(&profile, false);

    let plain = send(&mut app, &profile, false);
    assert!(!String::from_utf8_lossy(&plain).contains("Disposition-Notification-To"));
    assert_eq!(mdn::requested(&plain), None);

    let asking = send(&mut app, &profile, true);
    let text = String::from_utf8_lossy(&asking);
    assert!(text.contains("\r\nDisposition-Notification-To: <work@example.test>\r\n"), "{text}");
    let request = mdn::requested(&asking).unwrap();
    assert_eq!(request.notify[0].email, "work@example.test");
}

#[test]
fn the_account_default_starts_the_box_ticked() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut app = app(&profile, true);
    press(&mut app, "n", Modifiers::CTRL);
    assert!(composer(&app).request_receipt());
    settle(&mut app, vec![Message::Composer(composer::Message::Close)]);
    let asking = send(&mut app, &profile, false);
    assert!(mdn::requested(&asking).is_some());
    // Unticked by the person: none.
    let plain = send(&mut app, &profile, true);
    assert_eq!(mdn::requested(&plain), None);
}
