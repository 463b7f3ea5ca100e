//! Headless UI flows (iced_test) for what the reader does with a message besides showing
//! it: saving attachments (one, all; names from the sender made safe, inside the chosen
//! folder only), opening one from a private copy, inline `cid:` images shown in the body, and
//! remote images blocked until asked ("Show remote content", "Always for this sender")
//! against a local HTTP server, with a snapshot of the reader showing both kinds of image.
//!
//! The folder picker is the desktop's portal: the flows click Save, check what the button
//! asks for, and answer as the picker would (`Msg::Picked`).
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_reader`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::run;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use iced::theme::Mode;
use iced::widget::container;
use iced::{Length, Task};
use iced_test::Simulator;
use iced_test::selector::id;

use tidings::app::Message;
use tidings::screen::mailbox::{self, ContentMsg, Mailbox, RemoteContent, Setup, Which};
use tidings::widget::status::Status;
use tidings_mail::store::{Flags, FolderInfo, NewMessage, Role, Store, Summary};
use tidings_testkit::http::{HttpServer, Reply, Route};

const TNEF: u32 = 1;
const HOSTILE: u32 = 2;
const PICTURES: u32 = 3;
const MORE_PICTURES: u32 = 4;

/// Outlook's TNEF sample with an inline image and two attachments, as Exchange sends it.
fn tnef_message() -> Vec<u8> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/mail/tests/corpus/tnef/umlaut.tnef");
    let mut raw = b"From: Ana Lima <ana@example.test>\r\nTo: Work <work@example.test>\r\n\
        Subject: Pictures and a text\r\nDate: Tue, 01 Oct 2024 10:00:00 +0200\r\nMIME-Version: 1.0\r\n\
        Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        .to_vec();
    raw.extend(std::fs::read(sample).unwrap());
    raw
}

fn part(name: &str, data: &str) -> String {
    format!(
        "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{data}\r\n"
    )
}

/// Attachments whose names try to leave the folder, name a device, or hide a line break.
fn hostile_message() -> String {
    let mut raw = "From: Mallory <mallory@example.test>\r\nTo: work@example.test\r\nSubject: Names\r\n\
        Date: Tue, 01 Oct 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nFiles.\r\n"
        .to_string();
    for (name, data) in
        [("../../x", "one"), ("/etc/passwd", "two"), ("con", "three"), ("a\r\n\tb.txt", "four")]
    {
        raw.push_str(&part(name, data));
    }
    raw.push_str("--b--\r\n");
    raw
}

/// A red PNG, `w` × `h`.
fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let image = image::RgbaImage::from_pixel(w, h, image::Rgba([rgb[0], rgb[1], rgb[2], 255]));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// HTML with a remote image (served by the test's server) and an inline one (a part).
fn pictures_message(port: u16, subject: &str) -> Vec<u8> {
    use base64::Engine;
    let inline = base64::engine::general_purpose::STANDARD.encode(png(40, 20, [20, 120, 200]));
    format!(
        "From: Ruth Park <ruth@example.test>\r\nTo: work@example.test\r\nSubject: {subject}\r\n\
         Date: Tue, 01 Oct 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/related; boundary=\"r\"\r\n\r\n\
         --r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>The logo:</p><img src=\"http://127.0.0.1:{port}/logo.png\" alt=\"Logo\">\
         <p>And the chart:</p><img src=\"cid:chart@example.test\" alt=\"Chart\"><p>Regards</p>\r\n\
         --r\r\nContent-Type: image/png; name=\"chart.png\"\r\nContent-ID: <chart@example.test>\r\n\
         Content-Disposition: inline; filename=\"chart.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{inline}\r\n\
         --r--\r\n"
    )
    .into_bytes()
}

struct Fixture {
    _dir: tempfile::TempDir,
    store_path: PathBuf,
}

fn fixture(bodies: &[(u32, Vec<u8>)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("data/mail.sqlite3");
    std::fs::create_dir_all(store_path.parent().unwrap()).unwrap();
    let mut store = Store::open(&store_path).unwrap();
    let account = store.account("work").unwrap();
    let info = FolderInfo {
        name: "INBOX".into(),
        delimiter: Some("/".into()),
        role: Some(Role::Inbox),
        subscribed: true,
        selectable: true,
    };
    let folder = store.replace_folders(account, &[info]).unwrap()[0].id;
    store.begin_folder(folder, 7).unwrap();
    let rows: Vec<NewMessage> = bodies
        .iter()
        .map(|(uid, raw)| NewMessage {
            uid: *uid,
            modseq: None,
            flags: Flags::new(vec!["\\Seen"]),
            size: raw.len() as u32,
            internal_date: Some(1_727_776_800 + i64::from(*uid)),
            summary: tidings_mail::sync::headers::summary(raw).unwrap_or_else(|_| Summary::default()),
            parse_error: None,
        })
        .collect();
    store.insert_messages(folder, 7, &rows).unwrap();
    for (uid, raw) in bodies {
        store.save_body(folder, 7, *uid, raw).unwrap();
    }
    Fixture { _dir: dir, store_path }
}

/// Feeds messages to the mailbox, running the tasks they start; returns the other actions.
fn settle(mb: &mut Mailbox, mut pending: Vec<mailbox::Message>) -> Vec<mailbox::Action> {
    let mut other = Vec::new();
    while !pending.is_empty() {
        let mut tasks = Vec::new();
        for m in pending.drain(..) {
            match mb.update(m) {
                mailbox::Action::Run(task) => tasks.push(task),
                mailbox::Action::AllowRemote { address, then } => {
                    tasks.push(then);
                    other.push(mailbox::Action::AllowRemote { address, then: Task::none() });
                }
                mailbox::Action::None => {}
                action => other.push(action),
            }
        }
        pending = tasks.into_iter().flat_map(run).collect();
    }
    other
}

fn open(fx: &Fixture, policy_allows_loopback: bool, remote_from: &[&str]) -> Mailbox {
    let mut setup = Setup::store_only("work", "Work", fx.store_path.clone());
    setup.remote_policy.allow_loopback = policy_allows_loopback;
    setup.remote_from = remote_from.iter().map(|s| s.to_string()).collect();
    let (mut mb, task) = Mailbox::new(setup);
    let first = run(task);
    settle(&mut mb, first);
    mb
}

fn show(mb: &mut Mailbox, uid: u32) {
    let index = mb.list().rows().iter().position(|r| r.uid == uid).expect("the message is listed");
    settle(mb, vec![mailbox::Message::Click(index, uid)]);
    assert!(mb.reader().shown().is_some(), "message {uid} is shown");
}

fn ui(mb: &Mailbox) -> Simulator<'_, Message> {
    let theme = tidings::theme::for_mode(Mode::Light);
    Simulator::with_size(
        iced_test::core::Settings::default(),
        (1280.0, 900.0),
        container(mb.view(&theme, &Status::default()).map(Message::Mailbox))
            .width(Length::Fill)
            .height(Length::Fill)
            .style(tidings::theme::container::page),
    )
}

/// What clicking the widget asks of the mailbox (not run: a picker would open).
fn clicked(mb: &Mailbox, widget: &str) -> Vec<mailbox::Message> {
    let mut ui = ui(mb);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    ui.into_messages()
        .map(|m| match m {
            Message::Mailbox(m) => m,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn click(mb: &mut Mailbox, widget: &str) -> Vec<mailbox::Action> {
    let messages = clicked(mb, widget);
    settle(mb, messages)
}

fn texts(mb: &Mailbox) -> Vec<String> {
    common::texts(ui(mb))
}

fn shows(mb: &Mailbox, text: &str) -> bool {
    texts(mb).iter().any(|t| t == text)
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_tnef_message_saves_its_attachments_by_their_real_names() {
    let fx = fixture(&[(TNEF, tnef_message())]);
    let mut mb = open(&fx, false, &[]);
    show(&mut mb, TNEF);
    assert!(shows(&mb, "TBZ PARIV GmbH.jpg") && shows(&mb, "UmlautAnhang-äüö.txt"));

    // Save asks the picker for a folder for that attachment; the answer saves it there.
    let asked = clicked(&mb, &mailbox::id::save_attachment(1));
    assert!(matches!(&asked[..], [mailbox::Message::Content(ContentMsg::Save(1))]), "{asked:?}");
    let dir = tempfile::tempdir().unwrap();
    settle(
        &mut mb,
        vec![mailbox::Message::Content(ContentMsg::Picked(Which::One(1), Some(dir.path().into())))],
    );
    let text = mb.reader().shown().unwrap().attachments[1].data.clone();
    assert_eq!(text.len(), 14);
    assert_eq!(files(dir.path()), [("UmlautAnhang-äüö.txt".to_string(), text)]);
    let notice = format!("Saved UmlautAnhang-äüö.txt in {}", dir.path().display());
    assert_eq!(mb.notice(), Some(notice.as_str()));

    // Save all, into the same folder: what is there already is never overwritten.
    let asked = clicked(&mb, mailbox::id::SAVE_ALL);
    assert!(matches!(&asked[..], [mailbox::Message::Content(ContentMsg::SaveAll)]), "{asked:?}");
    settle(&mut mb, vec![mailbox::Message::Content(ContentMsg::Picked(Which::All, Some(dir.path().into())))]);
    let names: Vec<String> = files(dir.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["TBZ PARIV GmbH.jpg", "UmlautAnhang-äüö (2).txt", "UmlautAnhang-äüö.txt"]);
    let jpeg = std::fs::read(dir.path().join("TBZ PARIV GmbH.jpg")).unwrap();
    assert_eq!(&jpeg[..3], b"\xff\xd8\xff", "the JPEG's own bytes");

    // A cancelled picker saves nothing.
    settle(&mut mb, vec![mailbox::Message::Content(ContentMsg::Picked(Which::All, None))]);
    assert_eq!(files(dir.path()).len(), 3);
}

#[test]
fn hostile_attachment_names_stay_inside_the_chosen_folder() {
    let fx = fixture(&[(HOSTILE, hostile_message().into_bytes())]);
    let mut mb = open(&fx, false, &[]);
    show(&mut mb, HOSTILE);
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("chosen");
    std::fs::create_dir(&dir).unwrap();
    settle(&mut mb, vec![mailbox::Message::Content(ContentMsg::Picked(Which::All, Some(dir.clone())))]);
    assert_eq!(
        files(&dir),
        [
            ("_con".to_string(), b"three".to_vec()),
            ("a b.txt".to_string(), b"four".to_vec()),
            ("passwd".to_string(), b"two".to_vec()),
            ("x".to_string(), b"one".to_vec()),
        ]
    );
    let outside: Vec<_> = std::fs::read_dir(outer.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(outside, ["chosen"], "nothing written beside the chosen folder");
}

#[test]
fn open_hands_a_private_copy_to_the_desktop() {
    use std::os::unix::fs::PermissionsExt;
    let fx = fixture(&[(TNEF, tnef_message())]);
    let mut mb = open(&fx, false, &[]);
    show(&mut mb, TNEF);
    // No desktop here to open it: the copy is made all the same, and the failure is told.
    let path_env = std::env::var_os("PATH");
    click(&mut mb, &mailbox::id::open_attachment(1));
    let open = fx.store_path.with_file_name("open");
    let copies: Vec<PathBuf> =
        std::fs::read_dir(&open).unwrap().map(|e| e.unwrap().path().join("UmlautAnhang-äüö.txt")).collect();
    let [copy] = &copies[..] else { panic!("{copies:?}") };
    assert_eq!(std::fs::read(copy).unwrap(), mb.reader().shown().unwrap().attachments[1].data);
    assert_eq!(std::fs::metadata(copy).unwrap().permissions().mode() & 0o777, 0o600);
    let notice = mb.notice().unwrap();
    assert!(
        notice == "Opened UmlautAnhang-äüö.txt" || notice.contains("xdg-open"),
        "{notice} (PATH {path_env:?})"
    );
}

#[test]
fn remote_content_stays_blocked_until_asked_then_shows_with_the_inline_image() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(HttpServer::start()).unwrap();
    let logo = png(120, 40, [200, 30, 30]);
    server.route(Route::new(
        Some("GET"),
        None,
        "/logo.png",
        Reply::status(200).header("Content-Type", "image/png").body(logo),
    ));
    let port = server.http_addr().port();
    let fx = fixture(&[
        (PICTURES, pictures_message(port, "Pictures")),
        (MORE_PICTURES, pictures_message(port, "More")),
    ]);
    let mut mb = open(&fx, true, &[]);
    show(&mut mb, PICTURES);

    // The part of the message shows in place; the remote image does not, and nothing asked
    // the server for it.
    let shown = mb.reader().shown().unwrap();
    assert_eq!(shown.images.keys().collect::<Vec<_>>(), ["cid:chart@example.test"]);
    assert!(shown.attachments.is_empty(), "the inline image is not listed: {:?}", shown.attachments);
    assert!(shows(&mb, "Remote content blocked: 1 remote image or resource was not loaded."));
    let mailbox::Body::Rich(rich) = &shown.body else { panic!("{:?}", shown.body) };
    let logo =
        rich.pieces.iter().find(|p| p.image.as_deref() == Some(&format!("http://127.0.0.1:{port}/logo.png")));
    assert_eq!(logo.map(|p| p.text.trim_end()), Some("[Logo]"), "its alt text stands in until it is shown");
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    // "Show remote content": fetched once, shown in place.
    click(&mut mb, mailbox::id::SHOW_REMOTE);
    assert_eq!(server.requests().len(), 1);
    let request = &server.requests()[0];
    assert_eq!(request.path, "/logo.png");
    assert!(request.header("Cookie").is_none() && request.header("Referer").is_none());
    let RemoteContent::Shown(images) = &mb.reader().content().remote else {
        panic!("{:?}", mb.reader().content().remote)
    };
    assert_eq!((images.images.len(), images.failed), (1, 0));
    assert!(shows(&mb, "Remote content shown: 1 image."));
    for mode in [Mode::Light, Mode::Dark] {
        let theme = tidings::theme::for_mode(mode);
        let name = if mode == Mode::Dark { "reader-images-dark" } else { "reader-images-light" };
        let mut ui = Simulator::with_size(
            iced_test::core::Settings::default(),
            (1024.0, 768.0),
            container(mb.view(&theme, &Status::default()).map(Message::Mailbox))
                .width(Length::Fill)
                .height(Length::Fill)
                .style(tidings::theme::container::page),
        );
        common::assert_snapshot(&mut ui, &theme, name);
    }

    // Another message from the same sender is blocked again…
    show(&mut mb, MORE_PICTURES);
    assert!(matches!(mb.reader().content().remote, RemoteContent::Blocked));
    assert_eq!(server.requests().len(), 1);
    // …until "Always for this sender", which the app is asked to remember…
    let actions = click(&mut mb, mailbox::id::ALWAYS_REMOTE);
    assert!(
        matches!(&actions[..], [mailbox::Action::AllowRemote { address, .. }] if address == "ruth@example.test"),
        "{actions:?}"
    );
    assert!(matches!(mb.reader().content().remote, RemoteContent::Shown(_)));
    assert_eq!(server.requests().len(), 2);
    // …and from then on the sender's images show when the message opens.
    show(&mut mb, PICTURES);
    assert!(matches!(mb.reader().content().remote, RemoteContent::Shown(_)));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_sender_remembered_in_the_account_shows_remote_content_at_once_and_private_addresses_stay_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(HttpServer::start()).unwrap();
    server.route(Route::new(
        Some("GET"),
        None,
        "/logo.png",
        Reply::status(200).header("Content-Type", "image/png").body(png(4, 4, [0, 0, 0])),
    ));
    let port = server.http_addr().port();
    let fx = fixture(&[(PICTURES, pictures_message(port, "Pictures"))]);
    // The account's list names the sender (in any case): shown at once.
    let mut mb = open(&fx, true, &["Ruth@Example.test"]);
    show(&mut mb, PICTURES);
    assert!(
        matches!(mb.reader().content().remote, RemoteContent::Shown(_)),
        "{:?}",
        mb.reader().content().remote
    );
    assert_eq!(server.requests().len(), 1);
    // The default policy never lets a message reach this machine's own addresses.
    let mut mb = open(&fx, false, &["ruth@example.test"]);
    show(&mut mb, PICTURES);
    let RemoteContent::Shown(images) = &mb.reader().content().remote else { panic!() };
    assert_eq!((images.images.len(), images.failed), (0, 1));
    assert_eq!(server.requests().len(), 1, "nothing reached the server");
    let said = texts(&mb).into_iter().find(|t| t.starts_with("Remote content could not be shown"));
    assert!(said.as_deref().is_some_and(|s| s.contains("own network")), "{said:?}");
}
