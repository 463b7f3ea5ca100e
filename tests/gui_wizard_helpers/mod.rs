//! Helpers for the wizard and settings flows (iced_test): clicking and typing in a window tall
//! enough for every step, reading what is shown, and the pieces of the testkit they run against.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;

use iced::keyboard::key::Named;
use iced_test::Simulator;
use iced_test::selector::{Candidate, Target, id};

use tidings::app::{App, Message, Screen};
use tidings::screen::welcome;
use tidings::screen::wizard::{self, Wizard};
use tidings_mail::config::Config;
use tidings_mail::discover::DiscoverOptions;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

use super::common::settle;

/// Tall enough for the longest step (the test's two checklists with their panels).
pub const TALL: (f32, f32) = (1024.0, 2600.0);

pub fn tall(app: &App) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), TALL, app.view())
}

/// A simulator of the given height (for snapshots of a whole step).
pub fn sized(app: &App, height: f32) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), (1024.0, height), app.view())
}

/// Clicks the widget with this id, then lets the app handle what the click produced (running
/// the tasks it starts to their end).
pub fn click(app: &mut App, widget: impl Into<String>) {
    let widget = widget.into();
    let mut ui = tall(app);
    ui.click(id(widget.clone())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// Clicks, and hands back the messages without handling them.
pub fn click_only(app: &App, widget: impl Into<String>) -> Vec<Message> {
    let widget = widget.into();
    let mut ui = tall(app);
    ui.click(id(widget.clone())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    ui.into_messages().collect()
}

/// Clicks into a text field, erases its last `erase` characters and types `text`.
pub fn type_into(app: &mut App, field: &str, erase: usize, text: &str) {
    let mut ui = tall(app);
    ui.click(id(field.to_string())).unwrap_or_else(|e| panic!("cannot click {field}: {e}"));
    let _ = ui.tap_key(Named::End);
    for _ in 0..erase {
        let _ = ui.tap_key(Named::Backspace);
    }
    let _ = ui.typewrite(text);
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// Replaces what a text field holds.
pub fn replace(app: &mut App, field: &str, text: &str) {
    let erase = value(app, field).chars().count();
    type_into(app, field, erase, text);
}

/// What a text field shows.
pub fn value(app: &App, field: &str) -> String {
    match tall(app).find(id(field.to_string())) {
        Ok(Target::TextInput { content, .. }) => content,
        other => panic!("{field} is not a text field: {other:?}"),
    }
}

/// Whether a widget with this id is on the screen.
pub fn has(app: &App, widget: &str) -> bool {
    tall(app).find(id(widget.to_string())).is_ok()
}

/// Every text on the screen, in order.
pub fn texts(app: &App) -> Vec<String> {
    let mut found = Vec::new();
    let _ = tall(app).find(|candidate: Candidate<'_>| {
        if let Candidate::Text { content, .. } = candidate {
            found.push(content.to_string());
        }
        None::<()>
    });
    found
}

pub fn shows(app: &App, text: &str) -> bool {
    texts(app).iter().any(|t| t == text)
}

/// The first text that starts with `prefix`.
pub fn text_starting(app: &App, prefix: &str) -> Option<String> {
    texts(app).into_iter().find(|t| t.starts_with(prefix))
}

pub fn wizard(app: &App) -> &Wizard {
    match app.screen() {
        Screen::Wizard(wizard) => wizard,
        _ => panic!("the wizard is not shown"),
    }
}

pub fn unused_profile() -> Profile {
    Profile::at("/nonexistent/tidings-test-profile")
}

/// The welcome screen's "Add an account", with discovery going where `options` say.
pub fn open_wizard(profile: Profile, secrets: Secrets, options: DiscoverOptions) -> App {
    let mut app = App::with_config(profile, secrets, Config::default()).with_discovery(options);
    click(&mut app, welcome::ADD_ACCOUNT);
    assert_eq!(wizard(&app).step_name(), "account");
    app
}

/// The first step filled in.
pub fn identity(app: &mut App, name: &str, email: &str, password: &str) {
    type_into(app, wizard::id::NAME, 0, name);
    type_into(app, wizard::id::EMAIL, 0, email);
    type_into(app, wizard::id::PASSWORD, 0, password);
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// A tokio runtime for the testkit's async servers: its worker threads keep serving while the
/// app's tasks run on runtimes of their own.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A leaf certificate for mail.example.test, issued by "Example Test CA" (fixed, so snapshots
/// are too; the same one the inspector's tests use).
const CERT_DER_HEX: &[&str] = &[
    "308201b030820156a00302010202021092300a06082a8648ce3d040302303131153013060355040a0c0c4578616d706c",
    "6520546573743118301606035504030c0f4578616d706c652054657374204341301e170d323631313231313331383533",
    "5a170d3336313131383133313835335a301c311a301806035504030c116d61696c2e6578616d706c652e746573743059",
    "301306072a8648ce3d020106082a8648ce3d030107034200049ff71a86327c88892be748fd8cd21f4438b539731a712b",
    "28714ce1e6c615089383bc3dd1e11aafceb5e3e961db75430bda171089998027eccf43128d8101bd7ea3733071302f06",
    "03551d110428302682116d61696c2e6578616d706c652e746573748211696d61702e6578616d706c652e74657374301d",
    "0603551d0e04160414f63a3aa0bb8366b0e671742502105fd837d537bb301f0603551d23041830168014b7b026ac62a4",
    "34a7d3827ac3bdb3d7e93359a8ee300a06082a8648ce3d040302034800304502203a75c2f6cf98bbd32eb089ba9d9810",
    "afd13e01aac57f8b8bd3eaf50b5c2a035e022100c055597bb10f4c03f5d311016ae389f5f2a6734ba1ccec9e31e0eb7d",
    "47494313",
];

pub fn fixed_certificate() -> tidings_mail::net::CertInfo {
    let hex: String = CERT_DER_HEX.concat();
    let der: Vec<u8> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    tidings_mail::net::CertInfo::from_der(&der).unwrap()
}
