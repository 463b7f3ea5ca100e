//! Headless UI flows (iced_test) for the server inspector: reaching it, the inline URL error,
//! a real inspection of the testkit's Dovecot with live stages and transcript, the transcript
//! filters and search, saving the report, and snapshots of the form and of a finished report
//! (built from fixed values: a live run's times, ports and fingerprints change every run).
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_inspector` (see gui_welcome.rs;
//! the real-server flow needs the testkit's Dovecot and Postfix, see crates/testkit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{assert_snapshot, run, settle};

use iced::keyboard::key::Named;
use iced::theme::Mode;
use iced::widget::container;
use iced::{Length, Theme};
use iced_test::selector::{Target, id};
use iced_test::{Simulator, simulator};

use tidings::app::{App, Message, Screen};
use tidings::screen::inspector::{self, Inspector};
use tidings::screen::{accounts, welcome};
use tidings_mail::account::{Account, AuthMethod, Incoming, Protocol, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::inspect::{Capabilities, Check, Report, TlsReport, TokenReport, Verdict};
use tidings_mail::net::{CertInfo, Dir, Line, Stage, StageName};
use tidings_mail::oauth2::{Grant, Known};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

fn unused_profile() -> Profile {
    Profile::at("/nonexistent/tidings-test-profile")
}

/// Clicks the widget with this id, then lets the app handle what the click produced.
fn click(app: &mut App, widget: &str) {
    let mut ui = simulator(app.view());
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// A window tall enough to show the whole report, for controls far down the left column.
fn tall(app: &App) -> Simulator<'_, Message> {
    Simulator::with_size(iced_test::core::Settings::default(), (1400.0, 4000.0), app.view())
}

/// Clicks into a text field, erases its last `erase` characters and types `text`.
fn type_into(app: &mut App, field: &'static str, erase: usize, text: &str) {
    let mut ui = tall(app);
    ui.click(id(field)).unwrap_or_else(|e| panic!("cannot click {field}: {e}"));
    // The click puts the cursor where it landed: erase from the end.
    let _ = ui.tap_key(Named::End);
    for _ in 0..erase {
        let _ = ui.tap_key(Named::Backspace);
    }
    let _ = ui.typewrite(text);
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// What a text field shows.
fn value(app: &App, field: &'static str) -> String {
    match simulator(app.view()).find(id(field)) {
        Ok(Target::TextInput { content, .. }) => content,
        other => panic!("{field} is not a text field: {other:?}"),
    }
}

/// Every text on the screen (in a tall window), in order.
fn texts(app: &App) -> Vec<String> {
    common::texts(tall(app))
}

fn shows(app: &App, text: &str) -> bool {
    texts(app).iter().any(|t| t == text)
}

fn inspector(app: &App) -> &Inspector {
    match app.screen() {
        Screen::Inspector(inspector) => inspector,
        _ => panic!("the inspector is not shown"),
    }
}

fn account() -> Account {
    let server = |host: &str, port, security| Server {
        host: host.into(),
        port,
        security,
        user: "alice@example.test".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    Account::new(
        String::new(),
        "Work".into(),
        "alice@example.test".into(),
        Incoming::Imap,
        server("imap.example.test", 993, Security::Implicit),
        server("smtp.example.test", 587, Security::StartTls),
    )
}

#[test]
fn the_welcome_screen_opens_the_inspector_and_back_returns() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    click(&mut app, welcome::INSPECT);
    assert!(matches!(app.screen(), Screen::Inspector(_)));
    assert!(shows(&app, "Server inspector"));
    assert!(shows(&app, "Run inspection"));
    assert_eq!(inspector(&app).form().url, "");

    click(&mut app, inspector::id::BACK);
    assert!(matches!(app.screen(), Screen::Welcome(_)));
}

#[test]
fn the_overview_opens_the_inspector_empty_or_prefilled_with_an_account() {
    let mut config = Config::default();
    config.add_account(account()).unwrap();
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), config);

    click(&mut app, accounts::INSPECT);
    assert_eq!(inspector(&app).form().url, "");
    click(&mut app, inspector::id::BACK);
    assert!(matches!(app.screen(), Screen::Accounts(_)));

    click(&mut app, &accounts::inspect_account_id("work"));
    assert_eq!(value(&app, inspector::id::URL), "imaps://imap.example.test:993");
    assert_eq!(value(&app, inspector::id::USER), "alice@example.test");
    assert_eq!(inspector(&app).form().password, "", "the password is never prefilled");
}

#[test]
fn a_bad_url_shows_its_error_and_nothing_runs() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    click(&mut app, welcome::INSPECT);

    click(&mut app, inspector::id::RUN);
    assert!(shows(&app, inspector::URL_MISSING));
    assert!(!inspector(&app).is_running());

    type_into(&mut app, inspector::id::URL, 0, "http://mail.example.test");
    let error = texts(&app).into_iter().find(|t| t.contains("is not an inspection target"));
    assert_eq!(
        error.as_deref(),
        Some(
            "\"http://mail.example.test\" is not an inspection target (unknown scheme); use imap://, \
             imaps://, pop3://, pop3s://, smtp:// or smtps:// followed by host[:port]."
        )
    );
    click(&mut app, inspector::id::RUN);
    assert!(!inspector(&app).is_running());

    // Fixed as it is typed.
    type_into(&mut app, inspector::id::URL, 24, "imaps://mail.example.test");
    assert!(!texts(&app).iter().any(|t| t.contains("is not an inspection target")));
}

#[test]
fn a_real_inspection_streams_live_then_reports_filters_and_exports() {
    let servers = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let alice = servers.user("alice");
    servers.seed(alice, 6).unwrap();
    let url = format!("imaps://{}:{}", servers.host(), servers.imaps_port());

    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    click(&mut app, welcome::INSPECT);
    type_into(&mut app, inspector::id::URL, 0, &url);
    type_into(&mut app, inspector::id::USER, 0, &alice.email);
    type_into(&mut app, inspector::id::PASSWORD, 0, &alice.password);
    type_into(&mut app, inspector::id::CA_FILE, 0, &servers.ca_path().display().to_string());

    // Run, then feed what the inspection stream produces one message at a time: stages and
    // lines show up while it is still running, the report at the end.
    let mut ui = simulator(app.view());
    ui.click(id(inspector::id::RUN)).unwrap();
    let clicked: Vec<Message> = ui.into_messages().collect();
    let tasks: Vec<_> = clicked.into_iter().map(|m| app.update(m)).collect();
    assert!(inspector(&app).is_running());
    assert!(shows(&app, "Stop"));
    let progress: Vec<Message> = tasks.into_iter().flat_map(run).collect();
    assert!(progress.len() >= 2, "events, then the report: {progress:?}");
    let mut seen_live = false;
    for message in progress {
        let task = app.update(message);
        let _ = run(task);
        let inspector = inspector(&app);
        if inspector.is_running() && !inspector.stages().is_empty() && inspector.shown_lines().count() > 0 {
            seen_live = true;
            assert!(texts(&app).iter().any(|t| t.starts_with("Inspecting imaps://")));
        }
    }
    assert!(seen_live, "no stage or line was shown before the report");

    let report = inspector(&app).report().expect("the report is shown").clone();
    assert!(report.ok, "{}", report.to_markdown());
    let shown = texts(&app);
    assert!(shown.contains(&"All stages passed".to_string()), "{shown:?}");
    for stage in
        ["Connect", "TLS handshake", "Server greeting", "Capabilities", "Log in", "First mailbox command"]
    {
        assert!(shown.iter().any(|t| t == stage), "stage {stage} is not shown: {shown:?}");
    }
    assert!(shown.iter().any(|t| t.ends_with(" ms")), "durations are shown");
    assert!(shown.contains(&"TLS 1.3".to_string()), "{shown:?}");
    let after_login = shown.iter().find(|t| t.starts_with("IMAP4rev1 ") && t.contains(" MOVE"));
    assert!(
        after_login.is_some_and(|caps| caps.split(' ').any(|cap| cap == "IDLE")),
        "IDLE in the capabilities"
    );
    assert!(shown.contains(&"Behaviour checks".to_string()));
    assert!(report.checks.len() >= 3, "{:?}", report.checks);
    for check in &report.checks {
        assert!(shown.iter().any(|t| t == check.name), "check {} is not in the table", check.name);
        assert!(shown.iter().any(|t| t == check.verdict.label()));
    }
    assert!(shown.iter().any(|t| t.starts_with("* OK")), "the greeting");

    filter_the_transcript(&mut app, &alice.password);
    export_the_report(&mut app, &url, &alice.password);
}

fn filter_the_transcript(app: &mut App, password: &str) {
    let markers = |app: &App| -> Vec<String> {
        texts(app).into_iter().filter(|t| ["C: ", "S: ", "-- "].iter().any(|m| t.starts_with(m))).collect()
    };
    assert!(markers(app).iter().any(|t| t.starts_with("S: ")));

    click(app, inspector::id::SHOW_SERVER);
    let lines = markers(app);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|t| t.starts_with("C: ") || t.starts_with("-- ")), "{lines:?}");
    assert!(inspector(app).shown_lines().all(|l| l.dir != Dir::Server));
    click(app, inspector::id::SHOW_SERVER);

    type_into(app, inspector::id::SEARCH, 0, "LOGIN");
    let shown: Vec<String> = inspector(app).shown_lines().map(|l| l.text.clone()).collect();
    assert!(shown.iter().all(|t| t.to_lowercase().contains("login")), "{shown:?}");
    let login = markers(app).into_iter().find(|t| t.starts_with("C: ") && t.contains(" LOGIN "));
    let login = login.expect("the login line is shown");
    assert!(login.ends_with(" LOGIN <redacted>"), "{login}");
    let count = match shown.len() {
        1 => "1 matching line".to_string(),
        n => format!("{n} matching lines"),
    };
    assert!(shows(app, &count), "{count:?} is not shown");
    assert!(!inspector(app).shown_text().contains(password));
    type_into(app, inspector::id::SEARCH, 5, "");
}

fn export_the_report(app: &mut App, url: &str, password: &str) {
    let dir = tempfile::tempdir().unwrap();
    let markdown = dir.path().join("report.md");
    let json = dir.path().join("report.json");
    let default = value(app, inspector::id::MARKDOWN_PATH);
    assert!(default.starts_with("~/tidings-inspection-127.0.0.1-") && default.ends_with(".md"), "{default}");

    type_into(app, inspector::id::MARKDOWN_PATH, default.chars().count(), &markdown.display().to_string());
    let mut ui = tall(app);
    ui.click(id(inspector::id::SAVE_MARKDOWN)).unwrap();
    let messages = ui.into_messages().collect();
    settle(app, messages);
    let text = std::fs::read_to_string(&markdown).unwrap();
    assert!(text.starts_with(&format!("# Inspection of {url}")), "{text}");
    assert!(text.contains("## Behaviour checks") && text.contains("LOGIN <redacted>"), "{text}");
    assert!(!text.contains(password), "the password is in the Markdown report");
    assert!(shows(app, &format!("Saved the Markdown report to {}.", markdown.display())));

    let default = value(app, inspector::id::JSON_PATH);
    type_into(app, inspector::id::JSON_PATH, default.chars().count(), &json.display().to_string());
    let mut ui = tall(app);
    ui.click(id(inspector::id::SAVE_JSON)).unwrap();
    let messages = ui.into_messages().collect();
    settle(app, messages);
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(!text.contains(password), "the password is in the JSON report");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["target"], url);
    assert_eq!(value["ok"], true);
    assert_eq!(value["tls"]["version"], "TLS 1.3");
    assert!(shows(app, &format!("Saved the JSON report to {}.", json.display())));

    // A path that cannot be written is explained.
    let missing = dir.path().join("no/such/dir/r.md");
    type_into(
        app,
        inspector::id::MARKDOWN_PATH,
        markdown.display().to_string().chars().count(),
        &missing.display().to_string(),
    );
    let mut ui = tall(app);
    ui.click(id(inspector::id::SAVE_MARKDOWN)).unwrap();
    let messages = ui.into_messages().collect();
    settle(app, messages);
    let error = texts(app).into_iter().find(|t| t.starts_with("Cannot write "));
    assert!(error.is_some_and(|e| e.contains("No such file or directory")), "{:?}", texts(app));
}

/// Words of the sampled message that must not leave the mailbox unless asked for.
const PRIVATE: [&str; 3] = ["Wilhelmina Quixote", "Zebra umbrella minutes", "marmalade treaty"];

const PRIVATE_MESSAGE: &str = "From: Wilhelmina Quixote <quixote@example.test>\r\n\
    To: alice@example.test\r\n\
    Subject: Zebra umbrella minutes\r\n\
    Date: Mon, 2 Mar 2026 10:15:30 +0000\r\n\
    Message-ID: <zebra@example.test>\r\n\
    MIME-Version: 1.0\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\
    \r\n\
    The marmalade treaty is signed at dawn.\r\n";

/// Saves the finished report as Markdown and as JSON; returns both files' text.
fn save_both(app: &mut App, dir: &std::path::Path) -> (String, String) {
    let mut saved = Vec::new();
    for (field, button, name) in [
        (inspector::id::MARKDOWN_PATH, inspector::id::SAVE_MARKDOWN, "report.md"),
        (inspector::id::JSON_PATH, inspector::id::SAVE_JSON, "report.json"),
    ] {
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        type_into(app, field, value(app, field).chars().count(), &path.display().to_string());
        let mut ui = tall(app);
        ui.click(id(button)).unwrap();
        let messages = ui.into_messages().collect();
        settle(app, messages);
        saved.push(std::fs::read_to_string(&path).unwrap());
    }
    let json = saved.pop().unwrap();
    (saved.pop().unwrap(), json)
}

/// A real inspection with a log-in samples the newest messages: their sender, subject and
/// body appear nowhere on the screen, in the transcript or in the saved reports, unless the
/// box is ticked; then the report says so at its top. IMAP and POP3.
#[test]
fn message_content_stays_out_of_the_report_unless_the_box_is_ticked() {
    let servers = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    let alice = servers.user("alice");
    servers.seed(alice, 1).unwrap();
    servers.deliver(alice, PRIVATE_MESSAGE.as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for port in [servers.imaps_port(), servers.pop3s_port()] {
        let scheme = if port == servers.imaps_port() { "imaps" } else { "pop3s" };
        let url = format!("{scheme}://{}:{port}", servers.host());
        let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
        click(&mut app, welcome::INSPECT);
        type_into(&mut app, inspector::id::URL, 0, &url);
        type_into(&mut app, inspector::id::USER, 0, &alice.email);
        type_into(&mut app, inspector::id::PASSWORD, 0, &alice.password);
        type_into(&mut app, inspector::id::CA_FILE, 0, &servers.ca_path().display().to_string());
        assert!(!inspector(&app).form().include_content, "off by default");
        for include in [false, true] {
            if include {
                let mut ui = tall(&app);
                ui.click(id(inspector::id::INCLUDE_CONTENT)).unwrap();
                let messages = ui.into_messages().collect();
                settle(&mut app, messages);
                assert!(inspector(&app).form().include_content);
            }
            click(&mut app, inspector::id::RUN);
            let report = inspector(&app).report().expect("the report is shown").clone();
            assert!(report.ok, "{}", report.to_markdown());
            let screen = format!("{}\n{}", texts(&app).join("\n"), inspector(&app).shown_text());
            let (md, json) = save_both(&mut app, dir.path());
            for word in PRIVATE {
                for (what, text) in [("the screen", &screen), ("the Markdown", &md), ("the JSON", &json)] {
                    assert_eq!(
                        text.contains(word),
                        include,
                        "{url}, content {}: {word:?} in {what}?\n{text}",
                        if include { "included" } else { "left out" }
                    );
                }
            }
            assert_eq!(shows(&app, inspector::CONTENT_INCLUDED), include, "{url}: {:?}", texts(&app));
            let top = format!("# Inspection of {url}\n\n**This report contains message content**");
            assert_eq!(md.starts_with(&top), include, "{md}");
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["includes_content"], include);
        }
    }
}

#[test]
fn a_ca_file_that_cannot_be_read_is_explained() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    click(&mut app, welcome::INSPECT);
    type_into(&mut app, inspector::id::URL, 0, "imaps://127.0.0.1:1");
    type_into(&mut app, inspector::id::CA_FILE, 0, "/nonexistent/ca.pem");
    click(&mut app, inspector::id::RUN);
    assert!(!inspector(&app).is_running());
    let error =
        texts(&app).into_iter().find(|t| t.starts_with("Cannot read the CA file /nonexistent/ca.pem"));
    assert!(error.is_some(), "{:?}", texts(&app));
}

#[test]
fn stop_ends_the_run_and_nothing_comes_after_it() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    click(&mut app, welcome::INSPECT);
    type_into(&mut app, inspector::id::URL, 0, "imaps://127.0.0.1:1");
    let mut ui = simulator(app.view());
    ui.click(id(inspector::id::RUN)).unwrap();
    let clicked: Vec<Message> = ui.into_messages().collect();
    let inspection: Vec<_> = clicked.into_iter().map(|m| app.update(m)).collect();
    assert!(inspector(&app).is_running());

    click(&mut app, inspector::id::STOP);
    assert!(!inspector(&app).is_running());
    assert!(shows(&app, "-- Stopped by the user."));
    assert!(shows(&app, "Run inspection"));
    // The stream was aborted before it started: it yields nothing, not even a failure.
    let late: Vec<Message> = inspection.into_iter().flat_map(run).collect();
    assert!(late.is_empty(), "{late:?}");
}

/// A leaf certificate for mail.example.test (fixed, so the snapshot is too).
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

fn certificate() -> CertInfo {
    let hex: String = CERT_DER_HEX.concat();
    let der: Vec<u8> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    CertInfo::from_der(&der).unwrap()
}

/// Tenths of a millisecond.
fn tenths(n: u64) -> Duration {
    Duration::from_micros(n * 100)
}

/// A finished IMAP inspection with fixed times, host and certificate.
fn fixed_report() -> Report {
    let stage = |name, start, duration, detail: Option<&str>| Stage {
        name,
        start: tenths(start),
        duration: tenths(duration),
        ok: true,
        detail: detail.map(str::to_string),
    };
    let caps = |list: &str| list.split(' ').map(str::to_string).collect::<Vec<_>>();
    let line = |at, dir, text: &str| Line { at: tenths(at), dir, text: text.to_string() };
    let check = |name, verdict, summary: &str, evidence: &[&str]| Check {
        name,
        verdict,
        summary: summary.to_string(),
        evidence: evidence.iter().map(|e| e.to_string()).collect(),
    };
    let mut capabilities = Capabilities {
        after_tls: caps("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN"),
        after_login: caps(
            "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFS MOVE SPECIAL-USE LITERAL+",
        ),
        ..Capabilities::default()
    };
    capabilities.added_by_login = caps("SORT THREAD=REFS MOVE SPECIAL-USE");
    capabilities.removed_by_login = caps("AUTH=PLAIN");
    let certificate = certificate();
    Report {
        target: "imaps://mail.example.test:993".into(),
        protocol: Protocol::Imap,
        host: "mail.example.test".into(),
        port: 993,
        security: Security::Implicit,
        started: "2026-03-02T10:15:30.123Z".into(),
        login: Some("password".into()),
        token: None,
        alerts: Vec::new(),
        utf8: false,
        ok: true,
        failed_stage: None,
        stages: vec![
            stage(StageName::Dns, 0, 12, Some("127.0.0.1")),
            stage(StageName::Connect, 12, 4, None),
            stage(StageName::TlsHandshake, 16, 93, Some("TLS 1.3, TLS_AES_256_GCM_SHA384")),
            stage(StageName::Greeting, 109, 8, None),
            stage(StageName::Capabilities, 117, 5, None),
            stage(StageName::Id, 122, 6, None),
            stage(StageName::Login, 128, 71, None),
            stage(StageName::Mailbox, 199, 9, Some("SELECT INBOX: 6 messages, UIDVALIDITY 1740000000")),
            stage(StageName::Logout, 230, 3, None),
        ],
        tls: Some(TlsReport {
            version: Some("TLS 1.3".into()),
            cipher: Some("TLS_AES_256_GCM_SHA384".into()),
            hostname_matches: Some(certificate.matches_host("mail.example.test")),
            verdict: "verified: trusted issuer, valid dates, host name matches".into(),
            certificate: Some(certificate),
        }),
        greeting: Some("* OK [CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE AUTH=PLAIN] Dovecot ready.".into()),
        imap_id: Some(BTreeMap::from([("name".to_string(), "Dovecot".to_string())])),
        capabilities,
        auth_mechanisms: vec!["PLAIN".into()],
        mailbox: Some("SELECT INBOX: 6 messages, UIDVALIDITY 1740000000".into()),
        includes_content: false,
        checks: vec![
            check("Read receipts", Verdict::Pass, "$MDNSent can be stored (PERMANENTFLAGS \\*)", &[]),
            check(
                "Sizes",
                Verdict::Pass,
                "RFC822.SIZE equals the bytes delivered for 5 of 5 messages",
                &["UID 6: 2181 = 2181", "UID 5: 1024 = 1024"],
            ),
            check("Formats delivered", Verdict::Info, "2 multipart/alternative, 3 text/plain", &[]),
            check("Login delay", Verdict::Fail, "logging in took 7.1 ms (over 5 ms)", &["Log in: 7.1 ms"]),
            check("IDLE", Verdict::NotApplicable, "not checked in this example", &[]),
        ],
        error: None,
        explanation: None,
        transcript: vec![
            line(0, Dir::Info, "Resolve host name done in 1.2 ms: 127.0.0.1"),
            line(16, Dir::Info, "TLS 1.3 established (TLS_AES_256_GCM_SHA384)"),
            line(
                109,
                Dir::Server,
                "* OK [CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE AUTH=PLAIN] Dovecot ready.",
            ),
            line(122, Dir::Client, "T4 ID (\"name\" \"Tidings\" \"version\" \"0.1.0\")"),
            line(125, Dir::Server, "* ID (\"name\" \"Dovecot\")"),
            line(126, Dir::Server, "T4 OK ID completed."),
            line(128, Dir::Client, "A0001 LOGIN <redacted>"),
            line(
                199,
                Dir::Server,
                "A0001 OK [CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE SORT MOVE] Logged in",
            ),
            line(199, Dir::Client, "A0002 SELECT INBOX"),
            line(205, Dir::Server, "* 6 EXISTS"),
            line(207, Dir::Server, "A0002 OK [READ-WRITE] Select completed (0.001 + 0.000 secs)."),
            line(230, Dir::Client, "A0003 LOGOUT"),
            line(232, Dir::Server, "* BYE Logging out"),
        ],
    }
}

/// The inspector alone, on the page background the app draws.
fn page(inspector: &Inspector) -> Simulator<'_, Message> {
    simulator(
        container(inspector.view().map(Message::Inspector))
            .width(Length::Fill)
            .height(Length::Fill)
            .style(tidings::theme::container::page),
    )
}

fn theme(mode: Mode) -> Theme {
    tidings::theme::for_mode(mode)
}

#[test]
fn a_fixed_report_shows_every_section() {
    let inspector = Inspector::with_report(fixed_report());
    let mut ui = page(&inspector);
    for shown in [
        "All stages passed",
        "Stages",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        "matches the certificate",
        "CN=mail.example.test",
        "mail.example.test, imap.example.test",
        "Capabilities",
        "SORT THREAD=REFS MOVE SPECIAL-USE",
        "Behaviour checks",
        "FAIL",
        "n/a",
        "~/tidings-inspection-mail.example.test-20260302-101530.md",
        "C: A0001 LOGIN <redacted>",
        "13 of 13 lines",
    ] {
        assert!(ui.find(shown).is_ok(), "{shown:?} is not shown");
    }
}

#[test]
fn an_oauth2_report_shows_the_tokens_audience_scopes_expiry_and_warnings() {
    let mut report = fixed_report();
    report.login = Some("OAuth2 access token (SASL XOAUTH2)".into());
    // A JWT whose payload names Microsoft Graph as its audience.
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2ln";
    let grant = Grant::read(
        jwt,
        Some("https://outlook.office.com/SMTP.Send offline_access"),
        None,
        Some(Known::Microsoft),
    );
    let warnings = grant.warnings(Protocol::Imap);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    report.token = Some(TokenReport {
        mechanism: Some("XOAUTH2".into()),
        grant,
        expires: Some("expires in 57 min (14:03 UTC)".into()),
        warnings: warnings.clone(),
    });
    let inspector = Inspector::with_report(report);
    let mut ui = page(&inspector);
    for shown in [
        "OAuth2 access token",
        "XOAUTH2",
        "https://graph.microsoft.com",
        "https://outlook.office.com/SMTP.Send offline_access",
        "expires in 57 min (14:03 UTC)",
        &warnings[0],
        &warnings[1],
    ] {
        assert!(ui.find(shown).is_ok(), "{shown:?} is not shown");
    }
}

#[test]
fn snapshots_of_the_inspector() {
    let mut app = App::with_config(unused_profile(), Secrets::in_memory(), Config::default());
    click(&mut app, welcome::INSPECT);
    type_into(&mut app, inspector::id::URL, 0, "imaps:/mail.example.test");
    type_into(&mut app, inspector::id::USER, 0, "alice@example.test");
    assert_snapshot(&mut simulator(app.view()), &app.theme(), "inspector-form-light");

    let inspector = Inspector::with_report(fixed_report());
    assert_snapshot(&mut page(&inspector), &theme(Mode::Light), "inspector-report-light");
    assert_snapshot(&mut page(&inspector), &theme(Mode::Dark), "inspector-report-dark");
    // Every section, in a window tall enough for all of them.
    let mut ui = Simulator::with_size(
        iced_test::core::Settings::default(),
        (1024.0, 2400.0),
        container(inspector.view().map(Message::Inspector))
            .width(Length::Fill)
            .height(Length::Fill)
            .style(tidings::theme::container::page),
    );
    assert_snapshot(&mut ui, &theme(Mode::Light), "inspector-report-full-light");
}
