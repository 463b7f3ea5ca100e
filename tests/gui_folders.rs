//! Headless UI flows (iced_test) for managing folders from the folder pane: "New folder" at
//! the top level and inside the selected folder, with the name checked as it is typed; the
//! folder's "…" (and a right-click): rename, move (the picker of folders) and delete (asked
//! first, with the messages that go); the special folders kept, with the reason.
//!
//! An IMAP account (the mailbox fixture's store, no server): the pane changes at once and the
//! store records what the server must be told, in its names (modified UTF-7). The same
//! account against the testkit's Dovecot: the next pass makes the change there, and a name
//! the server refuses comes back in the status bar with its words. A POP3 account's local
//! folders: applied completely, nothing waits for a server.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_folders`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::Duration;

use common::{assert_snapshot, settle};
use gui_mailbox_helpers::Worker;
use gui_mailbox_helpers::fixture::*;

use iced::Theme;
use iced::keyboard::key::Named;
use iced::keyboard::{Key, Modifiers};
use iced::mouse;
use iced_test::selector::id;

use tidings::app::{App, Message};
use tidings::passes;
use tidings::screen::accounts;
use tidings::screen::mailbox::{self, folder_admin_id as admin};
use tidings_mail::account::{Account, AuthMethod, Incoming, SecretRole, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{ServerOp, Store};

/// Clicks into a text field, erases what it holds and types `text`, a key at a time (the
/// window drawn again after each, as the runtime does: the field shows what `update` kept).
fn type_into(app: &mut App, field: &str, text: &str) {
    let held = match window(app).find(id(field.to_string())) {
        Ok(iced_test::selector::Target::TextInput { content, .. }) => content.chars().count(),
        other => panic!("{field} is not a text field: {other:?}"),
    };
    let mut ui = window(app);
    ui.click(id(field.to_string())).unwrap();
    let _ = ui.tap_key(Named::End);
    for _ in 0..held {
        let _ = ui.tap_key(Named::Backspace);
    }
    let messages = ui.into_messages().collect();
    settle(app, messages);
    for c in text.chars() {
        let mut ui = window(app);
        ui.click(id(field.to_string())).unwrap();
        let _ = ui.tap_key(Named::End);
        let _ = ui.typewrite(&c.to_string());
        let messages = ui.into_messages().collect();
        settle(app, messages);
    }
}

fn right_click(app: &mut App, widget: &str) {
    let mut ui = window(app);
    let target = ui.find(id(widget.to_string())).unwrap();
    ui.point_at(target.visible_bounds().unwrap().center());
    let _ = ui.simulate([
        iced::Event::Mouse(mouse::Event::ButtonPressed(mouse::Button::Right)),
        iced::Event::Mouse(mouse::Event::ButtonReleased(mouse::Button::Right)),
    ]);
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

fn present(app: &App, widget: &str) -> bool {
    window(app).find(id(widget.to_string())).is_ok()
}

/// The folder tree as (depth, label).
fn tree(app: &App) -> Vec<(usize, String)> {
    mailbox(app).folders().iter().map(|n| (n.depth, n.label.clone())).collect()
}

fn pending(store_path: &std::path::Path, app: &App) -> Vec<ServerOp> {
    let store = Store::open(store_path).unwrap();
    store.pending_actions(mailbox(app).account().unwrap()).unwrap().into_iter().map(|p| p.op).collect()
}

fn assert_shows(app: &App, text: &str) {
    let shown = texts(app);
    assert!(shown.iter().any(|t| t == text), "{text:?} is not shown: {shown:?}");
}

/// Opens the "…" of a folder: selects it, then its "…" button.
fn menu(app: &mut App, name: &str) {
    click(app, &mailbox::id::folder(name));
    click(app, &admin::more(name));
    assert!(present(app, admin::RENAME), "the folder's menu is open");
}

#[test]
fn a_new_folder_is_checked_as_typed_and_made_at_the_top_level_or_inside() {
    let fx = fixture();
    let mut app = opened(&fx);
    click(&mut app, admin::NEW);
    assert_shows(&app, "New folder");
    assert_shows(&app, "A folder needs a name.");

    // The reasons, said below the field as the name is typed.
    type_into(&mut app, admin::NAME, "Archive");
    assert_shows(&app, "There is already a folder called “Archive” there.");
    type_into(&mut app, admin::NAME, "a/b");
    assert_shows(&app, "A folder name cannot contain “/”: it separates folders from their subfolders.");
    assert_snapshot(&mut window(&app), &Theme::Light, "folder-new-light");
    // Enter (or Create) does nothing while the name cannot be.
    click(&mut app, admin::OK);
    assert!(pending(&fx.store_path, &app).is_empty());

    type_into(&mut app, admin::NAME, "Projekte ✓");
    assert!(!texts(&app).iter().any(|t| t.starts_with("A folder") || t.starts_with("There is")));
    click(&mut app, admin::OK);
    assert!(!present(&app, admin::PANEL), "the form closes");
    assert!(tree(&app).contains(&(0, "Projekte ✓".to_string())), "{:?}", tree(&app));
    assert_eq!(pending(&fx.store_path, &app), [ServerOp::CreateFolder { name: "Projekte &JxM-".into() }]);

    // Inside the selected folder (the Inbox): "Lists" is there already, "Receipts" is not.
    click(&mut app, admin::NEW);
    click(&mut app, admin::INSIDE);
    type_into(&mut app, admin::NAME, "Lists");
    assert_shows(&app, "There is already a folder called “Lists” there.");
    type_into(&mut app, admin::NAME, "Receipts");
    let mut ui = window(&app);
    ui.click(id(admin::NAME)).unwrap();
    let _ = ui.tap_key(Named::Enter);
    let messages = ui.into_messages().collect();
    settle(&mut app, messages);
    assert!(tree(&app).contains(&(1, "Receipts".to_string())), "{:?}", tree(&app));
    assert_eq!(pending(&fx.store_path, &app)[1], ServerOp::CreateFolder { name: "INBOX/Receipts".into() });

    // A right-click on a folder opens its menu too; "New subfolder…" goes inside it.
    right_click(&mut app, &mailbox::id::folder("Archive"));
    click(&mut app, admin::NEW_INSIDE);
    type_into(&mut app, admin::NAME, "2024");
    click(&mut app, admin::OK);
    assert_eq!(pending(&fx.store_path, &app)[2], ServerOp::CreateFolder { name: "Archive/2024".into() });
    assert!(tree(&app).contains(&(1, "2024".to_string())), "{:?}", tree(&app));
}

#[test]
fn a_folder_is_renamed_moved_and_deleted_from_its_menu() {
    let fx = fixture();
    let mut app = opened(&fx);
    let lists = mailbox(&app).folders().iter().find(|n| n.name == "INBOX/Lists").unwrap().id;

    menu(&mut app, "INBOX/Lists");
    click(&mut app, admin::RENAME);
    assert_shows(&app, "Rename “Inbox / Lists”");
    type_into(&mut app, admin::NAME, "Mailing lists");
    click(&mut app, admin::OK);
    assert!(tree(&app).contains(&(1, "Mailing lists".to_string())), "{:?}", tree(&app));
    // The same folder, still open, its messages still listed.
    assert_eq!(mailbox(&app).list().folder(), lists);
    assert_eq!(mailbox(&app).list().counts().total, 5);

    // Move: the picker offers the top level and the other folders, not the folder itself.
    menu(&mut app, "INBOX/Mailing lists");
    click(&mut app, admin::MOVE);
    assert!(present(&app, admin::TOP_LEVEL) && present(&app, &admin::parent("Archive")));
    assert!(!present(&app, &admin::parent("INBOX/Mailing lists")));
    type_into(&mut app, admin::FILTER, "arch");
    assert!(!present(&app, &admin::parent("Sent")) && present(&app, &admin::parent("Archive")));
    type_into(&mut app, admin::FILTER, "");
    click(&mut app, admin::TOP_LEVEL);
    assert!(tree(&app).contains(&(0, "Mailing lists".to_string())), "{:?}", tree(&app));

    // Delete: asked first, with the messages that go.
    menu(&mut app, "Mailing lists");
    click(&mut app, admin::DELETE);
    assert_shows(&app, "Delete “Mailing lists”?");
    assert_shows(&app, "Its 5 messages go with it. This cannot be undone: the server deletes it too.");
    assert_snapshot(&mut window(&app), &Theme::Light, "folder-delete-light");
    click(&mut app, admin::CONFIRM_DELETE);
    assert!(!tree(&app).iter().any(|(_, l)| l == "Mailing lists"), "{:?}", tree(&app));
    assert_eq!(mailbox(&app).list().folder(), Some(fx.inbox), "the Inbox is shown instead");

    let rename = |from: &str, to: &str| ServerOp::RenameFolder { from: from.into(), to: to.into() };
    assert_eq!(
        pending(&fx.store_path, &app),
        [
            rename("INBOX/Lists", "INBOX/Mailing lists"),
            rename("INBOX/Mailing lists", "Mailing lists"),
            ServerOp::DeleteFolder { name: "Mailing lists".into() },
        ]
    );

    // The special folders stay, and the pane says why.
    menu(&mut app, "Sent");
    click(&mut app, admin::DELETE);
    assert_shows(
        &app,
        "“Sent” cannot be deleted: Inbox, Sent, Drafts and Trash are special folders the account needs.",
    );
    assert!(!present(&app, admin::CONFIRM_DELETE));
    click(&mut app, admin::RENAME);
    assert_shows(
        &app,
        "“Sent” cannot be renamed: Inbox, Sent, Drafts and Trash are special folders the account needs.",
    );
    // Nor is the Inbox moved: the picker is not even offered.
    menu(&mut app, "INBOX");
    click(&mut app, admin::MOVE);
    assert!(!present(&app, admin::TOP_LEVEL));
    click(&mut app, admin::CANCEL);
    assert!(!present(&app, admin::PANEL));
    assert_eq!(pending(&fx.store_path, &app).len(), 3, "nothing more recorded");
}

/// Escape pressed in a text field, as the runtime hands it on: the field takes it (to let go
/// of the focus), and the mailbox's key map still sees it.
fn escape_in(app: &mut App, field: &str) {
    let pressed = iced_test::simulator::press_key(Named::Escape, None);
    let mut ui = window(app);
    ui.click(id(field.to_string())).unwrap();
    let status = ui.simulate([pressed.clone()]);
    let mut messages: Vec<Message> = ui.into_messages().collect();
    let key = mailbox::keys::on_event(pressed, status[0], iced::window::Id::unique());
    messages.extend(key.map(Message::Mailbox));
    settle(app, messages);
}

/// Escape closes the form as Cancel does, from the name field too; the list's own Escape
/// waits for the next press.
#[test]
fn escape_closes_the_folder_form_and_nothing_else() {
    let fx = fixture();
    let mut app = opened(&fx);
    let escape = |app: &mut App| press(app, Key::Named(Named::Escape), Modifiers::empty());
    press(&mut app, letter("a"), Modifiers::CTRL);
    let chosen = mailbox(&app).several();
    assert!(chosen.is_some(), "the whole folder is chosen");

    click(&mut app, admin::NEW);
    type_into(&mut app, admin::NAME, "Half typed");
    escape_in(&mut app, admin::NAME);
    assert!(!present(&app, admin::PANEL), "Escape closes the new folder form");
    assert!(pending(&fx.store_path, &app).is_empty(), "nothing made");
    assert!(!tree(&app).iter().any(|(_, l)| l == "Half typed"), "{:?}", tree(&app));
    assert_eq!(mailbox(&app).several(), chosen, "the list's Escape was not run");
    escape(&mut app);
    assert_eq!(mailbox(&app).several(), None, "closed: Escape is the list's again");

    menu(&mut app, "Archive");
    escape(&mut app);
    assert!(!present(&app, admin::PANEL), "Escape closes the folder's menu");
    menu(&mut app, "Archive");
    click(&mut app, admin::RENAME);
    type_into(&mut app, admin::NAME, "Old mail");
    escape_in(&mut app, admin::NAME);
    assert!(!present(&app, admin::PANEL), "Escape closes the rename form");
    assert!(pending(&fx.store_path, &app).is_empty(), "nothing renamed");
    assert!(tree(&app).iter().any(|(_, l)| l == "Archive"), "{:?}", tree(&app));
}

/// The same account on the testkit's Dovecot: the pass after the change makes it there; a
/// name the server will not take comes back in the status bar in its words.
#[test]
fn the_next_pass_makes_the_change_on_dovecot_and_says_what_it_refused() {
    let servers =
        tidings_testkit::MailServers::start().unwrap_or_else(|e| panic!("cannot start the servers: {e}"));
    let alice = servers.user("alice");
    servers.seed(alice, 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    let account = account_for(servers.host(), servers.imaps_port(), &alice.login, Some(servers.ca_path()));
    let key = config.add_account(account).unwrap().id.clone();
    let secrets = Secrets::in_memory();
    secrets.set(&key, SecretRole::Incoming, &alice.password).unwrap();
    let account = config.account(&key).unwrap().clone();
    let pass_key = passes::Key::for_account(&profile, &account, secrets.clone()).without_notifications();
    let mut app = App::with_config(profile.clone(), secrets, config);
    click(&mut app, &accounts::open_mailbox_id(&key));
    let worker = Worker::start(pass_key);
    let status = |app: &App| app.passes().status(&key).line();
    worker.until(
        &mut app,
        Duration::from_secs(60),
        "the first pass",
        |app| tree(app).iter().any(|(_, l)| l == "Junk") && status(app).starts_with("Checked "),
        |app| format!("{:?}; {}", tree(app), status(app)),
    );

    click(&mut app, admin::NEW);
    type_into(&mut app, admin::NAME, "Reisen 2026 ✈");
    click(&mut app, admin::OK);
    // Another client takes "Spam" first: the store does not know it, the server refuses.
    servers.doveadm(&["mailbox", "create", "-u", &alice.login, "Spam"]).unwrap();
    menu(&mut app, "Junk");
    click(&mut app, admin::RENAME);
    type_into(&mut app, admin::NAME, "Spam");
    click(&mut app, admin::OK);
    assert!(tree(&app).iter().any(|(_, l)| l == "Spam"), "shown at once: {:?}", tree(&app));

    let f5 =
        mailbox::keys::action(&iced::keyboard::Key::Named(Named::F5), iced::keyboard::Modifiers::empty());
    settle(&mut app, vec![Message::Mailbox(mailbox::Message::Key(f5.unwrap()))]);
    let alert = |app: &App| app.passes().status(&key).alert_line().unwrap_or_default();
    worker.until(
        &mut app,
        Duration::from_secs(60),
        "the refusal",
        |app| alert(app).contains("rename the folder Junk to Spam"),
        |app| format!("{}; {}", status(app), alert(app)),
    );
    let line = alert(&app);
    assert!(line.contains("(server said: ") && line.contains("exists"), "the server's words: {line}");
    assert!(texts(&app).contains(&line), "the status bar shows {line:?}");
    let listed = servers.doveadm(&["mailbox", "list", "-u", &alice.login]).unwrap();
    assert!(listed.lines().any(|l| l.trim() == "Reisen 2026 ✈"), "{listed}");
    // The server's state wins: Junk is back, the new folder is a synced one.
    worker.until(
        &mut app,
        Duration::from_secs(60),
        "the folders listed again",
        |app| tree(app).iter().any(|(_, l)| l == "Junk") && status(app).starts_with("Checked "),
        |app| format!("{:?}; {}", tree(app), status(app)),
    );
    assert!(tree(&app).contains(&(0, "Reisen 2026 ✈".to_string())), "{:?}", tree(&app));
}

/// A POP3 account no pass reaches (its folders are the store's alone).
fn pop3_account() -> Account {
    let server = |port| Server {
        host: "127.0.0.1".into(),
        port,
        security: Security::Implicit,
        user: "bob".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    Account::new(
        String::new(),
        "Home".into(),
        "bob@example.test".into(),
        Incoming::Pop3,
        server(1),
        server(1),
    )
}

/// A POP3 account's local folders: every change complete at once, nothing for a server.
#[test]
fn local_folders_of_a_pop3_account_are_made_renamed_moved_and_deleted_here() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    let key = config.add_account(pop3_account()).unwrap().id.clone();
    let mut app = App::with_config(profile.clone(), Secrets::in_memory(), config);
    click(&mut app, &accounts::open_mailbox_id(&key));
    assert!(mailbox(&app).is_local());

    click(&mut app, admin::NEW);
    type_into(&mut app, admin::NAME, "Trash");
    assert_shows(&app, "There is already a folder called “Trash” there.");
    type_into(&mut app, admin::NAME, "Rechnungen");
    click(&mut app, admin::OK);
    menu(&mut app, "Rechnungen");
    click(&mut app, admin::NEW_INSIDE);
    type_into(&mut app, admin::NAME, "Zürich");
    click(&mut app, admin::OK);
    assert!(tree(&app).contains(&(1, "Zürich".to_string())), "{:?}", tree(&app));

    menu(&mut app, "Rechnungen/Z&APw-rich");
    click(&mut app, admin::RENAME);
    type_into(&mut app, admin::NAME, "Genf");
    click(&mut app, admin::OK);
    menu(&mut app, "Rechnungen/Genf");
    click(&mut app, admin::MOVE);
    click(&mut app, admin::TOP_LEVEL);
    assert!(tree(&app).contains(&(0, "Genf".to_string())), "{:?}", tree(&app));

    menu(&mut app, "Rechnungen");
    click(&mut app, admin::DELETE);
    assert_shows(&app, "It holds no messages. This cannot be undone.");
    click(&mut app, admin::CONFIRM_DELETE);
    let labels: Vec<String> = tree(&app).into_iter().map(|(_, l)| l).collect();
    assert_eq!(labels, ["Inbox", "Drafts", "Sent", "Trash", "Genf"]);

    menu(&mut app, "Trash");
    click(&mut app, admin::DELETE);
    assert_shows(
        &app,
        "“Trash” cannot be deleted: Inbox, Sent, Drafts and Trash are special folders the account needs.",
    );
    let store = Store::open(profile.data_dir().join("mail.sqlite3")).unwrap();
    let account = mailbox(&app).account().unwrap();
    assert!(store.pending_actions(account).unwrap().is_empty(), "nothing waits for a server");
    let names: Vec<String> = store.folders(account).unwrap().into_iter().map(|f| f.name).collect();
    assert!(
        names.contains(&"Genf".to_string()) && !names.iter().any(|n| n.starts_with("Rechnungen")),
        "{names:?}"
    );
}
