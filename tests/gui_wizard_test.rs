//! Headless UI flows (iced_test) for the wizard's test step against real servers: the
//! testkit's Dovecot and Postfix (trusted through the form's CA file field), a wrong password,
//! a closed port, STARTTLS chosen on a server without it, and an untrusted certificate pinned
//! from the certificate panel. Each failure has its own message, and no secret goes where it
//! should not (checked in the transcript and in what the fault server received).
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_wizard_test` (needs the
//! testkit's Dovecot and Postfix, see crates/testkit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "gui_wizard_helpers/mod.rs"]
mod helpers;

use common::run;
use helpers::*;

use tidings::app::{App, Message, Screen};
use tidings::screen::wizard::{self, RowState, ServerTest};
use tidings_mail::account::SecretRole;
use tidings_mail::config::Config;
use tidings_mail::discover::DiscoverOptions;
use tidings_mail::net::{Fingerprint, StageName};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_testkit::MailServers;
use tidings_testkit::fault::{FaultServer, Proto};

fn servers() -> MailServers {
    MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

/// The form with alice's settings: IMAP over SSL/TLS and submission with STARTTLS.
fn form(profile: Profile, secrets: Secrets, s: &MailServers, password: &str, ca: bool) -> App {
    let alice = s.user("alice");
    let mut app = open_wizard(profile, secrets, DiscoverOptions::default());
    identity(&mut app, "Alice", &alice.email, password);
    click(&mut app, wizard::id::MANUAL);
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, s.host());
    replace(&mut app, wizard::id::INCOMING_PORT, &s.imaps_port().to_string());
    type_into(&mut app, wizard::id::OUTGOING_HOST, 0, s.host());
    replace(&mut app, wizard::id::OUTGOING_PORT, &s.submission_port().to_string());
    if ca {
        let ca = s.ca_path().display().to_string();
        type_into(&mut app, wizard::id::INCOMING_CA_FILE, 0, &ca);
        type_into(&mut app, wizard::id::OUTGOING_CA_FILE, 0, &ca);
    }
    app
}

fn checks(app: &App) -> &wizard::Checks {
    wizard(app).checks().expect("the test step is shown")
}

/// Each row's stage and "ok", "failed", "not run" or "waiting".
fn rows(test: &ServerTest) -> Vec<(StageName, &'static str)> {
    test.rows.iter().map(|row| (row.name, row.state.label())).collect()
}

fn transcript_text(test: &ServerTest) -> String {
    let check = test.check.as_ref().expect("the check finished");
    check.transcript.iter().map(|l| format!("{} {}\n", l.dir.marker(), l.text)).collect()
}

#[test]
fn a_passing_test_fills_the_checklists_live_then_saves() {
    let s = servers();
    let alice = s.user("alice");
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let secrets = Secrets::in_memory();
    let mut app = form(profile.clone(), secrets.clone(), &s, &alice.password, true);

    // Start, then feed what the checks stream produces one message at a time: rows are ticked
    // off while the test still runs.
    let tasks: Vec<_> = click_only(&app, wizard::id::TEST).into_iter().map(|m| app.update(m)).collect();
    assert!(checks(&app).is_running());
    assert!(shows(&app, "Testing your settings…") && has(&app, wizard::id::STOP_TEST));
    let progress: Vec<Message> = tasks.into_iter().flat_map(run).collect();
    let mut seen_live = false;
    for message in progress {
        let _ = app.update(message);
        let c = checks(&app);
        if c.is_running() && c.incoming.rows.iter().any(|r| matches!(r.state, RowState::Done { .. })) {
            seen_live = true;
        }
    }
    assert!(seen_live, "no row was ticked off before the end");

    let c = checks(&app);
    assert!(c.passed(), "{:?}\n{}", c.incoming.error(), transcript_text(&c.outgoing));
    use StageName::*;
    assert_eq!(
        rows(&c.incoming),
        vec![
            (Dns, "ok"),
            (Connect, "ok"),
            (TlsHandshake, "ok"),
            (Greeting, "ok"),
            (Capabilities, "ok"),
            (Login, "ok")
        ]
    );
    assert_eq!(
        rows(&c.outgoing),
        vec![
            (Dns, "ok"),
            (Connect, "ok"),
            (Greeting, "ok"),
            (Capabilities, "ok"),
            (StartTls, "ok"),
            (TlsHandshake, "ok"),
            (Login, "ok")
        ]
    );
    let shown = texts(&app);
    assert!(shown.contains(&"Both servers accept your settings.".to_string()), "{shown:?}");
    for label in [
        "Resolve host name",
        "Connect",
        "TLS handshake",
        "Server greeting",
        "Capabilities",
        "STARTTLS",
        "Log in",
    ] {
        assert!(shown.iter().any(|t| t == label), "{label} is not shown: {shown:?}");
    }
    assert!(
        shown.iter().filter(|t| t.ends_with(" ms") || t.ends_with(" s")).count() >= 13,
        "each stage's time"
    );
    for side in [&c.incoming, &c.outgoing] {
        assert!(!transcript_text(side).contains(&alice.password), "the password is in a transcript");
    }
    click(&mut app, wizard::id::TRANSCRIPT_INCOMING);
    let login = texts(&app).into_iter().find(|t| t.starts_with("C: ") && t.contains(" LOGIN "));
    assert!(login.is_some_and(|l| l.ends_with("LOGIN <redacted>")), "{:?}", texts(&app));

    click(&mut app, wizard::id::SAVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    assert!(shows(&app, "Added “Alice”."));
    let config = Config::load(&profile).unwrap();
    let account = &config.accounts[0];
    assert_eq!(account.incoming.port, s.imaps_port());
    assert_eq!(account.incoming.trust.ca_file.as_deref(), Some(s.ca_path()));
    assert_eq!(account.outgoing.trust.ca_file.as_deref(), Some(s.ca_path()));
    assert_eq!(
        secrets.get(&account.id, SecretRole::Incoming).unwrap().as_deref(),
        Some(alice.password.as_str())
    );
}

#[test]
fn a_wrong_password_shows_the_servers_words_and_what_to_do() {
    let s = servers();
    let mut app = form(unused_profile(), Secrets::in_memory(), &s, "not-the-password", true);
    click(&mut app, wizard::id::TEST);

    let c = checks(&app);
    assert!(c.failed());
    for side in [&c.incoming, &c.outgoing] {
        assert_eq!(rows(side).last(), Some(&(StageName::Login, "failed")), "{:?}", rows(side));
        let error = side.error().expect("an error");
        assert_eq!(error.kind(), tidings_mail::Kind::Auth, "{error}");
        assert!(!transcript_text(side).contains("not-the-password"));
    }
    let shown = texts(&app);
    assert!(shown.contains(&"The server said:".to_string()));
    assert!(shown.iter().any(|t| t.contains("AUTHENTICATIONFAILED")), "Dovecot's words: {shown:?}");
    assert!(shown.iter().any(|t| t.starts_with("535")), "Postfix's words: {shown:?}");
    assert!(shown.contains(&tidings_mail::Kind::Auth.advice().to_string()));
    assert!(shows(&app, "The test found a problem.") && has(&app, wizard::id::SAVE_ANYWAY));
    assert!(!has(&app, wizard::id::SAVE));

    // Fixed on the form, tested again: passes.
    click(&mut app, wizard::id::CHANGE_SETTINGS);
    replace(&mut app, wizard::id::PASSWORD, &s.user("alice").password);
    click(&mut app, wizard::id::TEST);
    assert!(checks(&app).passed());
}

#[test]
fn a_closed_port_fails_at_connect_and_says_to_check_host_and_port() {
    let s = servers();
    let mut app = form(unused_profile(), Secrets::in_memory(), &s, &s.user("alice").password, true);
    let closed = closed_port();
    replace(&mut app, wizard::id::INCOMING_PORT, &closed.to_string());
    click(&mut app, wizard::id::TEST);

    let c = checks(&app);
    use StageName::*;
    assert_eq!(
        rows(&c.incoming),
        vec![
            (Dns, "ok"),
            (Connect, "failed"),
            (TlsHandshake, "not run"),
            (Greeting, "not run"),
            (Capabilities, "not run"),
            (Login, "not run")
        ]
    );
    assert!(c.outgoing.passed(), "the other side is tested all the same");
    let error = c.incoming.error().unwrap();
    assert_eq!(error.kind(), tidings_mail::Kind::Network);
    assert!(shows(&app, tidings_mail::Kind::Network.advice()));
    let message = text_starting(&app, "Cannot connect to 127.0.0.1:");
    assert!(message.is_some_and(|m| m.contains(&closed.to_string())), "{:?}", texts(&app));
}

#[test]
fn starttls_on_a_server_without_it_sends_no_password() {
    let rt = runtime();
    let plain = rt.block_on(FaultServer::no_starttls(Proto::Imap)).unwrap();
    let s = servers();
    let password = s.user("alice").password.clone();
    let mut app = form(unused_profile(), Secrets::in_memory(), &s, &password, true);
    replace(&mut app, wizard::id::INCOMING_HOST, plain.host());
    click(&mut app, wizard::id::INCOMING_STARTTLS);
    replace(&mut app, wizard::id::INCOMING_PORT, &plain.port().to_string());
    click(&mut app, wizard::id::TEST);

    let c = checks(&app);
    use StageName::*;
    assert_eq!(
        rows(&c.incoming),
        vec![
            (Dns, "ok"),
            (Connect, "ok"),
            (Greeting, "ok"),
            (Capabilities, "ok"),
            (StartTls, "failed"),
            (TlsHandshake, "not run"),
            (Login, "not run")
        ]
    );
    let message = text_starting(&app, &format!("127.0.0.1 does not offer STARTTLS on port {}", plain.port()));
    assert!(
        message.is_some_and(|m| m.contains("will not send your password unencrypted")),
        "{:?}",
        texts(&app)
    );
    let sent = String::from_utf8_lossy(&plain.received()).to_string();
    assert!(sent.contains("CAPABILITY"), "{sent}");
    assert!(!sent.contains(&password) && !sent.contains("LOGIN"), "credentials sent in clear: {sent}");
    assert!(!transcript_text(&c.incoming).contains("LOGIN"));
}

#[test]
fn an_untrusted_certificate_is_shown_and_pinning_it_makes_the_test_pass() {
    let s = servers();
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut app = form(profile.clone(), Secrets::in_memory(), &s, &s.user("alice").password, false);
    // Implicit TLS on both sides: the certificate is read without speaking the protocol.
    click(&mut app, wizard::id::OUTGOING_SSL);
    replace(&mut app, wizard::id::OUTGOING_PORT, &s.submissions_port().to_string());
    click(&mut app, wizard::id::TEST);

    let c = checks(&app);
    assert!(c.failed());
    assert_eq!(rows(&c.incoming)[2], (StageName::TlsHandshake, "failed"));
    assert_eq!(rows(&c.incoming)[3], (StageName::Greeting, "not run"), "nothing sent after the handshake");
    let fingerprint = Fingerprint::parse(&s.leaf_sha256_hex()).unwrap().to_string();
    let certificate = c.incoming.certificate().expect("the certificate is shown");
    assert_eq!(certificate.sha256, fingerprint);
    let shown = texts(&app);
    assert!(shown.contains(&"The server's certificate is not trusted".to_string()));
    let in_groups = grouped(&fingerprint);
    assert_eq!(shown.iter().filter(|t| **t == in_groups).count(), 2, "both servers show the fingerprint");
    assert!(shown.iter().any(|t| t.contains("is not an authority this computer trusts")), "{shown:?}");
    assert!(shown.contains(&"Trust this certificate (pin its fingerprint)".to_string()));
    assert!(!shown.iter().any(|t| t.to_lowercase().contains("accept all")));

    click(&mut app, wizard::id::TRUST_INCOMING);
    let c = checks(&app);
    assert!(c.incoming.passed(), "{:?}", c.incoming.error());
    assert!(!c.outgoing.passed(), "only the incoming server's certificate was pinned");
    assert_eq!(wizard(&app).form().incoming.pin.as_deref(), Some(s.leaf_sha256_hex().as_str()));

    click(&mut app, wizard::id::TRUST_OUTGOING);
    assert!(checks(&app).passed());
    click(&mut app, wizard::id::SAVE);
    let config = Config::load(&profile).unwrap();
    let account = &config.accounts[0];
    assert_eq!(account.incoming.trust.pinned_sha256.as_deref(), Some(s.leaf_sha256_hex().as_str()));
    assert_eq!(account.outgoing.trust.pinned_sha256.as_deref(), Some(s.leaf_sha256_hex().as_str()));
    assert_eq!(account.incoming.trust.ca_file, None);

    // The settings screen shows the pin, and "Forget" removes it.
    click(&mut app, tidings::screen::accounts::settings_id(&account.id));
    assert!(shows(&app, &fingerprint));
}

mod fixed {
    //! The test step fed with fixed stages and results, for snapshots.

    use std::time::Duration;

    use tidings::screen::wizard::{Progress, Side};
    use tidings_mail::account::{Protocol, Security};
    use tidings_mail::check::ServerCheck;
    use tidings_mail::error::Error;
    use tidings_mail::net::{Dir, Line, Stage, StageName};

    pub fn stage(name: StageName, ok: bool, tenths_of_ms: u64, detail: Option<&str>) -> Stage {
        Stage {
            name,
            start: Duration::ZERO,
            duration: Duration::from_micros(tenths_of_ms * 100),
            ok,
            detail: detail.map(str::to_string),
        }
    }

    pub fn check(
        protocol: Protocol,
        host: &str,
        port: u16,
        security: Security,
        error: Option<Error>,
    ) -> Progress {
        let side = if protocol == Protocol::Smtp { Side::Outgoing } else { Side::Incoming };
        let line = |at: u64, dir, text: &str| Line { at: Duration::from_millis(at), dir, text: text.into() };
        Progress::Finished(
            side,
            Box::new(ServerCheck {
                protocol,
                host: host.into(),
                port,
                security,
                ok: error.is_none(),
                stages: Vec::new(),
                facts: Default::default(),
                error: error.as_ref().map(Into::into),
                error_value: error,
                transcript: vec![
                    line(0, Dir::Info, "Resolve host name done in 1.2 ms: 127.0.0.1"),
                    line(2, Dir::Server, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] Dovecot ready."),
                    line(3, Dir::Client, "A0001 LOGIN <redacted>"),
                ],
            }),
        )
    }
}

#[test]
fn snapshots_of_the_test_step() {
    use StageName::*;
    use fixed::{check, stage};
    use tidings_mail::account::{Protocol, Security};
    use tidings_mail::error::{Error, Kind};
    use tidings_mail::net::tls::TlsLibrary;

    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
    identity(&mut app, "Work", "alice@example.test", "pw");
    click(&mut app, wizard::id::MANUAL);
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, "imap.example.test");
    type_into(&mut app, wizard::id::OUTGOING_HOST, 0, "smtp.example.test");
    let feed = |app: &mut App, progress| {
        let run = wizard(app).run_id();
        let _ = app.update(Message::Wizard(wizard::Message::Check(run, progress)));
    };
    let (incoming, outgoing) = (wizard::Side::Incoming, wizard::Side::Outgoing);

    let _ = app.update(Message::Wizard(wizard::Message::Test));
    for (name, time, detail) in
        [(Dns, 12, Some("127.0.0.1")), (Connect, 4, None), (TlsHandshake, 123, None), (Greeting, 31, None)]
    {
        feed(&mut app, wizard::Progress::Stage(incoming, stage(name, true, time, detail)));
    }
    for (name, time) in [(Dns, 9), (Connect, 3)] {
        feed(&mut app, wizard::Progress::Stage(outgoing, stage(name, true, time, None)));
    }
    common::assert_snapshot(&mut sized(&app, 1000.0), &app.theme(), "wizard-test-running-light");

    // Exchange Online's proxy: a login of several seconds is explained, not failed.
    for (name, time) in [(Capabilities, 10), (Login, 42_100)] {
        feed(&mut app, wizard::Progress::Stage(incoming, stage(name, true, time, None)));
    }
    feed(&mut app, check(Protocol::Imap, "imap.example.test", 993, Security::Implicit, None));
    for (name, time) in
        [(Greeting, 28), (Capabilities, 9), (StartTls, 152), (TlsHandshake, 118), (Login, 450)]
    {
        feed(&mut app, wizard::Progress::Stage(outgoing, stage(name, true, time, None)));
    }
    feed(&mut app, check(Protocol::Smtp, "smtp.example.test", 587, Security::StartTls, None));
    assert!(shows(&app, "Both servers accept your settings."));
    assert!(text_starting(&app, "Logging in took 4.2 s. That is normal for Exchange Online").is_some());
    assert!(shows(&app, "4.21 s") && shows(&app, "12.3 ms"));
    common::assert_snapshot(&mut sized(&app, 1000.0), &app.theme(), "wizard-test-passed-light");

    // Run again: a refused password on one side, an untrusted certificate on the other.
    click(&mut app, wizard::id::CHANGE_SETTINGS);
    let _ = app.update(Message::Wizard(wizard::Message::Test));
    for (name, ok, time) in [
        (Dns, true, 12),
        (Connect, true, 4),
        (TlsHandshake, true, 123),
        (Greeting, true, 31),
        (Capabilities, true, 10),
        (Login, false, 803),
    ] {
        feed(&mut app, wizard::Progress::Stage(incoming, stage(name, ok, time, None)));
    }
    let refused = Error::new(Kind::Auth, "cannot log in to imap.example.test as alice@example.test")
        .with_server("A0001 NO [AUTHENTICATIONFAILED] Authentication failed.");
    feed(&mut app, check(Protocol::Imap, "imap.example.test", 993, Security::Implicit, Some(refused)));
    for (name, ok, time) in [
        (Dns, true, 9),
        (Connect, true, 3),
        (Greeting, true, 28),
        (Capabilities, true, 9),
        (TlsHandshake, false, 95),
    ] {
        feed(&mut app, wizard::Progress::Stage(outgoing, stage(name, ok, time, None)));
    }
    let untrusted = Error::new(Kind::Tls, "the certificate of smtp.example.test is not trusted")
        .with_source(TlsLibrary("certificate verify failed".into()))
        .with_certificate(fixed_certificate());
    feed(&mut app, check(Protocol::Smtp, "smtp.example.test", 587, Security::StartTls, Some(untrusted)));
    assert!(shows(&app, "The test found a problem."));
    assert!(
        shows(&app, "· It is for mail.example.test, imap.example.test and not for smtp.example.test."),
        "{:?}",
        texts(&app)
    );
    assert!(has(&app, wizard::id::TRUST_OUTGOING) && !has(&app, wizard::id::TRUST_INCOMING));
    let _ = app.update(Message::SystemTheme(iced::theme::Mode::Dark));
    common::assert_snapshot(&mut sized(&app, 1300.0), &app.theme(), "wizard-test-failed-dark");
}

/// A fingerprint as the test step shows it: groups of eight bytes.
fn grouped(fingerprint: &str) -> String {
    let bytes: Vec<&str> = fingerprint.split(':').collect();
    bytes.chunks(8).map(|group| group.join(":")).collect::<Vec<_>>().join(" ")
}

/// Where a text is drawn, and how large.
fn bounds_of(app: &App, wanted: &str) -> Vec<iced::Rectangle> {
    let mut found = Vec::new();
    let _ = tall(app).find(|candidate: iced_test::selector::Candidate<'_>| {
        if let iced_test::selector::Candidate::Text { content, bounds, .. } = candidate
            && content == wanted
        {
            found.push(bounds);
        }
        None::<()>
    });
    found
}

#[test]
fn starttls_against_the_ssl_port_is_explained_in_seconds() {
    let s = servers();
    let mut app = form(unused_profile(), Secrets::in_memory(), &s, &s.user("alice").password, true);
    // The SSL/TLS port kept, STARTTLS chosen: Dovecot waits in silence for a TLS hello.
    click(&mut app, wizard::id::INCOMING_STARTTLS);
    replace(&mut app, wizard::id::INCOMING_PORT, &s.imaps_port().to_string());
    let started = std::time::Instant::now();
    click(&mut app, wizard::id::TEST);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());

    let c = checks(&app);
    assert_eq!(rows(&c.incoming)[2], (StageName::Greeting, "failed"));
    assert!(c.outgoing.passed(), "the other side is tested all the same");
    assert_eq!(c.incoming.error().unwrap().kind(), tidings_mail::Kind::Config);
    let shown = texts(&app);
    let wanted = format!(
        "Port {} of 127.0.0.1 speaks TLS from the first byte (SSL/TLS), not plain text: choose SSL/TLS, or STARTTLS with port 143.",
        s.imaps_port()
    );
    assert!(shown.contains(&wanted), "{shown:?}");
    assert!(!shown.iter().any(|t| t.contains("check the host name")), "{shown:?}");
    assert!(!shown.contains(&"The server said:".to_string()), "{shown:?}");
}

#[test]
fn a_ca_file_that_is_not_pem_is_told_as_a_local_detail() {
    let s = servers();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ca.der");
    std::fs::write(&bad, b"\x30\x82\x01\xb0 not a PEM file").unwrap();
    let mut app = form(unused_profile(), Secrets::in_memory(), &s, &s.user("alice").password, false);
    type_into(&mut app, wizard::id::INCOMING_CA_FILE, 0, &bad.display().to_string());
    click(&mut app, wizard::id::TEST);

    let c = checks(&app);
    let error = c.incoming.error().unwrap();
    assert_eq!(error.kind(), tidings_mail::Kind::Config, "{error}");
    assert_eq!(error.server_words(), None, "{error}");
    let shown = texts(&app);
    let sentence = format!(
        "Cannot use the CA file {}: it is not a certificate in PEM form (\"-----BEGIN CERTIFICATE-----\").",
        bad.display()
    );
    assert!(shown.contains(&sentence), "{shown:?}");
    assert!(!shown.contains(&"The server said:".to_string()), "{shown:?}");
    let at = shown.iter().position(|t| t == "Details from the TLS library on this computer:");
    let detail = at.and_then(|i| shown.get(i + 1)).expect("the TLS library's words are shown");
    assert!(!detail.is_empty() && detail != &sentence, "{shown:?}");
}

#[test]
fn an_unknown_ca_shows_the_tls_library_as_a_detail_not_as_the_server() {
    let s = servers();
    let mut app = form(unused_profile(), Secrets::in_memory(), &s, &s.user("alice").password, false);
    click(&mut app, wizard::id::TEST);

    let c = checks(&app);
    assert!(c.incoming.certificate().is_some());
    let shown = texts(&app);
    assert!(!shown.contains(&"The server said:".to_string()), "{shown:?}");
    let at = shown.iter().position(|t| t == "Details from the TLS library on this computer:");
    let detail = at.and_then(|i| shown.get(i + 1)).expect("the TLS library's words are shown");
    assert!(detail.contains("certificate verify failed"), "{detail}");
}

#[test]
fn wrong_encryption_and_a_long_fingerprint_fit_a_1024_window() {
    use StageName::*;
    use fixed::{check, stage};
    use tidings_mail::account::{Protocol, Security};
    use tidings_mail::error::{Error, Kind};
    use tidings_mail::net::tls::TlsLibrary;

    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
    identity(&mut app, "Work", "alice@example.test", "pw");
    click(&mut app, wizard::id::MANUAL);
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, "imap.example.test");
    click(&mut app, wizard::id::INCOMING_STARTTLS);
    replace(&mut app, wizard::id::INCOMING_PORT, "993");
    type_into(&mut app, wizard::id::OUTGOING_HOST, 0, "smtp.example.test");
    click(&mut app, wizard::id::OUTGOING_SSL);
    replace(&mut app, wizard::id::OUTGOING_PORT, "465");
    let feed = |app: &mut App, progress| {
        let run = wizard(app).run_id();
        let _ = app.update(Message::Wizard(wizard::Message::Check(run, progress)));
    };
    let (incoming, outgoing) = (wizard::Side::Incoming, wizard::Side::Outgoing);
    let _ = app.update(Message::Wizard(wizard::Message::Test));

    // STARTTLS chosen for the SSL/TLS port: found by the second connection after 4 s.
    for (name, ok, time) in [(Dns, true, 12), (Connect, true, 4), (Greeting, false, 40_012)] {
        feed(&mut app, wizard::Progress::Stage(incoming, stage(name, ok, time, None)));
    }
    let mismatch = Error::new(
        Kind::Config,
        "port 993 of imap.example.test speaks TLS from the first byte (SSL/TLS), not plain text: choose SSL/TLS, or STARTTLS with port 143",
    );
    feed(&mut app, check(Protocol::Imap, "imap.example.test", 993, Security::StartTls, Some(mismatch)));

    // A certificate from an authority this computer does not know.
    for (name, ok, time) in [(Dns, true, 9), (Connect, true, 3), (TlsHandshake, false, 95)] {
        feed(&mut app, wizard::Progress::Stage(outgoing, stage(name, ok, time, None)));
    }
    let openssl = "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify \
                   failed:../ssl/statem/statem_clnt.c:1889: (unable to get local issuer certificate)";
    // The core's words, the fingerprint in them.
    let fingerprint = fixed_certificate().sha256;
    let message = format!(
        "the certificate of smtp.example.test is not trusted: it is for mail.example.test, \
         imap.example.test and not for smtp.example.test. Its SHA-256 fingerprint is {fingerprint}; \
         pin it only if you know it is the server's"
    );
    let untrusted = Error::new(Kind::Tls, message)
        .with_source(TlsLibrary(openssl.into()))
        .with_certificate(fixed_certificate());
    feed(&mut app, check(Protocol::Smtp, "smtp.example.test", 465, Security::Implicit, Some(untrusted)));

    let shown = texts(&app);
    // The message wraps between words: none as long as the fingerprint.
    let said = text_starting(&app, "The certificate of smtp.example.test is not trusted").unwrap();
    assert!(said.contains(&grouped(&fingerprint)), "{said}");
    assert!(said.split_whitespace().all(|word| word.chars().count() <= 32), "{said}");
    assert!(shown.iter().any(|t| t.starts_with("Port 993 of imap.example.test speaks TLS")), "{shown:?}");
    assert!(!shown.contains(&"The server said:".to_string()), "OpenSSL is not the server: {shown:?}");
    assert!(shown.contains(&"Details from the TLS library on this computer:".to_string()), "{shown:?}");
    assert!(shown.contains(&openssl.to_string()), "{shown:?}");

    // The fingerprint stays inside its card: in groups on several lines, with "Copy" for
    // the whole of it.
    let drawn = bounds_of(&app, &grouped(&fingerprint));
    assert_eq!(drawn.len(), 1, "{shown:?}");
    let b = drawn[0];
    assert!(b.x + b.width <= 1024.0 - 24.0, "{b:?}");
    assert!(b.height >= 2.0 * 14.0, "on more than one line: {b:?}");
    let copied = click_only(&app, wizard::id::COPY_FINGERPRINT_OUTGOING);
    assert!(
        copied
            .iter()
            .any(|m| matches!(m, Message::Wizard(wizard::Message::CopyFingerprint(f)) if *f == fingerprint)),
        "{copied:?}"
    );
    common::assert_snapshot(&mut sized(&app, 1300.0), &app.theme(), "wizard-test-mismatch-light");
}
