//! Tidings as a desktop citizen: a second start hands its request (a `mailto:` link,
//! `--compose`, `--get-mail`, or just the window) to the running one over a private D-Bus
//! session and ends; the running app opens the composer filled in from the link (iced_test);
//! without a bus each start runs alone; F1 shows the shortcuts and About; "Use Tidings for
//! email links" records the handler in a private `mimeapps.list`.
//!
//! `cargo test -p tidings --test desktop` (needs dbus-daemon and xdg-mime: dbus, xdg-utils)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod composer_helpers;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::settle;
use composer_helpers::{account, composer, texts, window};
use iced_test::futures::futures::StreamExt;
use iced_test::selector::id;

use tidings::app::{App, KeyAction, Message};
use tidings::desktop::handler;
use tidings::desktop::instance::{self, Bus, Claim, Request};
use tidings::screen::{accounts, help};
use tidings_mail::account::Identity;
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

/// A private session bus (its own `dbus-daemon`), stopped when dropped.
struct PrivateBus {
    daemon: Child,
    address: String,
}

impl PrivateBus {
    fn start() -> PrivateBus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon runs (apt: dbus)");
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut line).unwrap();
        PrivateBus { daemon, address: line.trim().to_string() }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Starts the real binary as a second start would be (a display named, never used).
fn second_start(bus: &PrivateBus, args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--profile")
        .arg(profile.path())
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env("DISPLAY", ":tidings-test-no-such-display")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap()
}

#[test]
fn a_second_start_hands_its_request_to_the_running_one_and_ends() {
    let bus = PrivateBus::start();
    let Claim::First(mut running) = instance::claim(Bus::Address(bus.address.clone()), &Request::Show) else {
        panic!("the first start owns the name");
    };
    let mut requests = running.requests().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut next = || {
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), requests.next()).await })
            .expect("the request arrives")
            .unwrap()
    };

    let link = "mailto:bob@example.test?subject=Hello%20Bob&body=Hi";
    let out = second_start(&bus, &[link]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("handed over to the Tidings window already open"), "{said}");
    assert_eq!(next(), Request::Compose(Some(link.to_string())));

    for (args, wanted) in [
        (&["--compose"][..], Request::Compose(None)),
        (&["--get-mail"][..], Request::GetMail),
        (&[][..], Request::Show),
    ] {
        let out = second_start(&bus, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(next(), wanted, "{args:?}");
    }

    // Once the first is gone, the next start owns the name itself.
    drop(running);
    assert!(matches!(instance::claim(Bus::Address(bus.address.clone()), &Request::Show), Claim::First(_)));
}

#[test]
fn without_a_session_bus_each_start_runs_alone() {
    let dir = tempfile::tempdir().unwrap();
    let address = format!("unix:path={}", dir.path().join("no-bus").display());
    assert!(matches!(instance::claim(Bus::Address(address), &Request::Show), Claim::NoBus(_)));
}

fn app_with_accounts() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    config.add_account(account("Home", "me@home.test", "mail.home.test", 993, 587, None)).unwrap();
    let mut work = account("Work", "me@work.test", "mail.work.test", 993, 587, None);
    work.identities.push(Identity { name: Some("Team".into()), email: "team@lists.test".into() });
    config.add_account(work).unwrap();
    let app = App::with_config(profile, Secrets::in_memory(), config);
    (dir, app)
}

#[test]
fn a_handed_over_link_opens_the_composer_filled_in() {
    let (_dir, mut app) = app_with_accounts();
    let link = "mailto:list@lists.test?cc=carol@example.test&subject=Minutes%0D%0ABcc:%20spy@evil.test\
                &body=Line%20one%0D%0ALine%20two&in-reply-to=%3Cm1@lists.test%3E&attach=/etc/passwd";
    settle(&mut app, vec![Message::Desktop(Request::Compose(Some(link.into())))]);
    let c = composer(&app);
    assert_eq!(c.to(), "list@lists.test");
    assert_eq!(c.cc(), "carol@example.test");
    assert_eq!(c.bcc(), "");
    assert_eq!(c.subject(), "Minutes Bcc: spy@evil.test");
    assert_eq!(c.body().trim_end(), "Line one\nLine two");
    // The identity whose domain the list is on.
    assert_eq!(c.from().address.email, "team@lists.test");
    assert_eq!(c.draft().in_reply_to.as_deref(), Some("<m1@lists.test>"));
    assert_eq!(c.status(), Some("The link asked to attach a file; nothing is attached from a link."));
    // The window shows the composer with what the link said.
    {
        let mut ui = window(&app);
        assert!(ui.find(id(tidings::screen::composer::id::SEND)).is_ok());
    }
    assert!(texts(&app).iter().any(|t| t.contains("nothing is attached")), "{:?}", texts(&app));

    // A second link while a message is being written waits for it to close.
    settle(&mut app, vec![Message::Desktop(Request::Compose(Some("mailto:dave@home.test".into())))]);
    assert_eq!(composer(&app).to(), "list@lists.test");
    settle(&mut app, vec![Message::Composer(tidings::screen::composer::Message::Discard)]);
    let c = composer(&app);
    assert_eq!((c.to(), c.from().address.email.as_str()), ("dave@home.test", "me@home.test"));
}

#[test]
fn f1_shows_the_shortcuts_and_about_names_the_places() {
    let (dir, mut app) = app_with_accounts();
    settle(&mut app, vec![Message::Key(KeyAction::Help)]);
    let shown = texts(&app);
    assert!(shown.iter().any(|t| t == "Get mail for every account"), "{shown:?}");
    assert!(shown.iter().any(|t| t == "Ctrl+Shift+T"), "{shown:?}");
    settle(&mut app, vec![Message::Help(help::Message::Show(help::Page::About))]);
    let shown = texts(&app);
    assert!(shown.iter().any(|t| t.contains(env!("CARGO_PKG_VERSION"))), "{shown:?}");
    assert!(shown.iter().any(|t| t.contains("GPL-3.0-or-later")), "{shown:?}");
    let data = dir.path().display().to_string();
    assert!(shown.iter().filter(|t| t.starts_with(&data)).count() >= 3, "{shown:?}");
    settle(&mut app, vec![Message::Help(help::Message::Close)]);
    assert!(app.help().is_none());
}

#[test]
fn the_default_mail_program_is_recorded_in_mimeapps_list() {
    let home = tempfile::tempdir().unwrap();
    let env: handler::Env = vec![
        ("XDG_CONFIG_HOME".into(), home.path().join("config").into()),
        ("XDG_DATA_HOME".into(), home.path().join("data").into()),
        ("HOME".into(), home.path().into()),
        // A desktop of no particular kind: xdg-mime's generic way, mimeapps.list.
        ("XDG_CURRENT_DESKTOP".into(), "".into()),
        // The desktop file's `tidings`, as installed (xdg-mime checks it runs).
        ("PATH".into(), path_with_the_binary()),
    ];
    // Installed as the package installs it (xdg-mime answers only for a desktop file it finds).
    let applications = home.path().join("data/applications");
    std::fs::create_dir_all(&applications).unwrap();
    let desktop_file = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/org.tidings.Tidings.desktop");
    std::fs::copy(desktop_file, applications.join(handler::DESKTOP_FILE)).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert!(!runtime.block_on(handler::is_default(env.clone())).unwrap());
    runtime.block_on(handler::make_default(env.clone())).unwrap();
    let list = std::fs::read_to_string(home.path().join("config/mimeapps.list")).unwrap();
    assert!(list.contains("x-scheme-handler/mailto=org.tidings.Tidings.desktop"), "{list}");
    assert!(runtime.block_on(handler::is_default(env)).unwrap());
}

fn path_with_the_binary() -> std::ffi::OsString {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_tidings")).parent().unwrap().to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest))).unwrap()
}

#[test]
fn the_overview_offers_to_handle_email_links() {
    let (_dir, app) = app_with_accounts();
    let mut ui = window(&app);
    ui.click(id(accounts::MAIL_APP)).unwrap();
    let messages: Vec<Message> = ui.into_messages().collect();
    assert!(
        matches!(messages.as_slice(), [Message::Accounts(accounts::Message::MakeMailApp)]),
        "{messages:?}"
    );
}
