//! An OAuth2 account in the window, against real Dovecot and the testkit's identity provider:
//! its passes log in with tokens; when the provider revokes the sign-in, the status line
//! offers "Sign in again", the provider's page is shown (the test is the browser), and the
//! account gets its mail again with nothing lost. The "sign in again" notification's click
//! opens the mailbox with the sign-in started; "Use a code instead" signs in with a device
//! code the test approves at the provider.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_mailbox_oauth2`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::Duration;

use common::settle;
use gui_mailbox_helpers::Worker;
use gui_mailbox_helpers::fixture::{click, mailbox, texts, window};
use iced_test::selector::id;

use tidings::app::{App, Message, Screen};
use tidings::passes;
use tidings::screen::accounts;
use tidings::screen::mailbox::{self, SignInMsg};
use tidings_mail::account::{
    Account, AuthMethod, Incoming, OAuth2Settings, SecretRole, Security, Server, Trust,
};
use tidings_mail::config::Config;
use tidings_mail::error::{Error, Kind};
use tidings_mail::oauth2::{self, Tokens};
use tidings_mail::pass::AccountEvent;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_testkit::MailServers;
use tidings_testkit::idp::{DevicePolling, Idp, IdpConfig};

fn provider_file(idp: &Idp, dir: &std::path::Path) -> String {
    idp.provider_file(dir).unwrap().to_string_lossy().into_owned()
}

fn account(s: &MailServers, provider: &str) -> Account {
    let server = |port| Server {
        host: s.host().to_string(),
        port,
        security: Security::Implicit,
        user: "alice@example.test".into(),
        auth: AuthMethod::OAuth2,
        trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
    };
    let mut a = Account::new(
        "work".into(),
        "Work".into(),
        "alice@example.test".into(),
        Incoming::Imap,
        server(s.imaps_port()),
        server(s.submissions_port()),
    );
    a.options.idle = false;
    a.oauth2 = Some(OAuth2Settings { provider: provider.into(), ..OAuth2Settings::default() });
    a
}

/// The servers, the identity provider and an app whose "work" account signed in once (the
/// wizard's work), with `runtime` to run the sign-in's tasks on.
/// Keep every field bound while the test runs: the servers and the identity provider stop
/// when dropped.
struct Signed {
    runtime: tokio::runtime::Runtime,
    idp: Idp,
    s: MailServers,
    _dir: tempfile::TempDir,
    profile: Profile,
    config: Config,
    account: Account,
    secrets: Secrets,
    tokens: Tokens,
}

fn signed_in() -> Signed {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let idp = runtime.block_on(Idp::start(IdpConfig::default())).unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path().join("profile"));
    let provider = provider_file(&idp, dir.path());
    let mut config = Config::default();
    config.add_account(account(&s, &provider)).unwrap();
    let account = config.account("work").unwrap().clone();
    let secrets = Secrets::in_memory();
    let issued = idp.issue("alice").unwrap();
    let tokens = Tokens {
        access: issued.access_token,
        refresh: issued.refresh_token,
        expires_at: Some(std::time::SystemTime::now() + Duration::from_secs(3600)),
        scope: None,
    };
    runtime.block_on(oauth2::signed_in(&account.id, &secrets, &tokens)).unwrap();
    Signed { runtime, idp, s, _dir: dir, profile, config, account, secrets, tokens }
}

#[test]
fn a_revoked_sign_in_is_offered_again_in_the_status_line_and_mail_comes_back() {
    let Signed { runtime, idp, s, _dir, profile, config, account, secrets, .. } = signed_in();
    s.seed(s.user("alice"), 3).unwrap();
    // Then the provider revokes the sign-in.
    idp.revoke_refresh_tokens();
    idp.expire_access_tokens();
    oauth2::forget_access(&account.id);

    let key = passes::Key::for_account(&profile, &account, secrets.clone()).without_notifications();
    let mut app = App::with_config(profile, secrets.clone(), config);
    let worker = Worker::start(key);
    // The overview offers it first…
    worker.until(
        &mut app,
        Duration::from_secs(30),
        "the offer to sign in again on the overview",
        |app| texts(app).iter().any(|t| t == "Sign in again"),
        |app| format!("{:?}", texts(app)),
    );
    assert!(
        texts(&app).iter().any(|t| t.contains("sign in again")),
        "the failure says so: {:?}",
        texts(&app)
    );
    // …and the mailbox's status line too.
    click(&mut app, &accounts::open_mailbox_id("work"));
    assert!(
        texts(&app).iter().any(|t| t == "Sign in again with your identity provider" || t == "Sign in again")
    );
    click(&mut app, tidings::screen::mailbox::id::BACK);

    // "Sign in again": the sign-in starts and its address shows (it also goes to the
    // browser). The steps are run one by one, as the runtime would, so the test can be the
    // browser while the app waits for it.
    // From the overview: its mailbox opens with the sign-in under way.
    let mut ui = window(&app);
    ui.click(id(accounts::sign_in_again_id("work"))).unwrap();
    let clicked: Vec<Message> = ui.into_messages().collect();
    // One runtime for both steps, as in the app: the loopback listener lives on it.
    let start = clicked.into_iter().map(|m| app.update(m)).collect::<Vec<_>>();
    let started: Vec<Message> = start.into_iter().flat_map(|t| common::run_on(&runtime, t)).collect();
    let waiting_tasks: Vec<_> = started.into_iter().map(|m| app.update(m)).collect();
    let waiting =
        texts(&app).into_iter().find(|t| t.starts_with("Waiting for the sign-in")).expect("waiting");
    let url = waiting.split(": ").nth(1).unwrap().to_string();
    assert!(url.starts_with(idp.url()), "{url}");
    let browser = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let answer = tidings_testkit::idp::get(&url, None).await.unwrap();
            tidings_testkit::idp::get(answer.location().unwrap(), None).await.unwrap().text()
        })
    });
    let done: Vec<Message> = waiting_tasks.into_iter().flat_map(|t| common::run_on(&runtime, t)).collect();
    assert!(browser.join().unwrap().contains("return to Tidings"));
    settle(&mut app, done);
    assert_eq!(mailbox(&app).notice(), Some("Signed in again; getting mail…"));
    assert!(secrets.get("work", SecretRole::OAuth2Refresh).unwrap().is_some());
    worker.until(
        &mut app,
        Duration::from_secs(30),
        "the mail",
        |app| mailbox(app).list().counts().total == 3,
        |app| format!("{:?}", texts(app)),
    );
    assert!(!texts(&app).iter().any(|t| t == "Sign in again"));
}

/// "Inspect" on an OAuth2 account logs in with its token: no password asked, and the report
/// says so.
#[test]
fn the_inspector_of_an_oauth2_account_logs_in_with_its_token() {
    let Signed { runtime, idp: _idp, s: _servers, _dir, profile, config, secrets, tokens, .. } = signed_in();
    let mut app = App::with_config(profile, secrets, config);
    click(&mut app, &accounts::inspect_account_id("work"));
    let shown = texts(&app);
    assert!(shown.iter().any(|t| t.starts_with("The account's OAuth2 sign-in")), "{shown:?}");
    assert!(!shown.iter().any(|t| t == "Password"), "{shown:?}");

    let mut ui = window(&app);
    ui.click(id(tidings::screen::inspector::id::RUN.to_string())).unwrap();
    let clicked: Vec<Message> = ui.into_messages().collect();
    let tasks: Vec<_> = clicked.into_iter().map(|m| app.update(m)).collect();
    let progress: Vec<Message> = tasks.into_iter().flat_map(|t| common::run_on(&runtime, t)).collect();
    for message in progress {
        let task = app.update(message);
        let _ = common::run_on(&runtime, task);
    }
    let Screen::Inspector(inspector) = app.screen() else { panic!("not the inspector") };
    let report = inspector.report().expect("a report").clone();
    assert!(report.ok, "{}", report.to_markdown());
    assert_eq!(report.login.as_deref(), Some("OAuth2 access token (SASL XOAUTH2)"));
    let markdown = report.to_markdown();
    assert!(markdown.contains("- logged in with: OAuth2 access token (SASL XOAUTH2)"), "{markdown}");
    assert!(!markdown.contains(&tokens.access), "the token is in the report");
}

/// Feeds `messages` to the app and runs the tasks they start on `runtime`; hands back what
/// those tasks said, not yet fed.
fn step(app: &mut App, runtime: &tokio::runtime::Runtime, messages: Vec<Message>) -> Vec<Message> {
    let tasks: Vec<_> = messages.into_iter().map(|m| app.update(m)).collect();
    tasks.into_iter().flat_map(|t| common::run_on(runtime, t)).collect()
}

/// Feeds `messages` to the app; the tasks they start are handed back, not run.
fn feed(app: &mut App, messages: Vec<Message>) -> Vec<iced::Task<Message>> {
    messages.into_iter().map(|m| app.update(m)).collect()
}

fn clicked(app: &App, widget: &str) -> Vec<Message> {
    let mut ui = window(app);
    ui.click(id(widget.to_string())).unwrap_or_else(|e| panic!("cannot click {widget}: {e}"));
    ui.into_messages().collect()
}

/// The click on the "sign in again" notification, as the account's task reports it.
fn notification_clicked() -> Message {
    Message::Pass(passes::Event {
        account: "work".into(),
        at: std::time::SystemTime::now(),
        what: passes::What::Account(AccountEvent::SignInClicked),
    })
}

#[test]
fn the_sign_in_notifications_click_opens_the_mailbox_with_the_sign_in_started() {
    let Signed { runtime, idp, s: _servers, _dir, profile, config, secrets, .. } = signed_in();
    let mut app = App::with_config(profile, secrets, config);
    assert!(matches!(app.screen(), Screen::Accounts(_)));
    let started = step(&mut app, &runtime, vec![notification_clicked()]);
    // The browser's wait is not run: the test only looks at where the sign-in stands.
    let _waiting = feed(&mut app, started);
    assert_eq!(mailbox(&app).account_key(), "work");
    let waiting = texts(&app).into_iter().find(|t| t.starts_with("Waiting for the sign-in"));
    let waiting = waiting.unwrap_or_else(|| panic!("the sign-in is not under way: {:?}", texts(&app)));
    assert!(waiting.contains(&idp.authorization_url()), "{waiting}");

    // Clicked again while the mailbox signs in: the same sign-in goes on.
    let again = step(&mut app, &runtime, vec![notification_clicked()]);
    assert!(again.is_empty(), "no second sign-in: {again:?}");
    assert!(texts(&app).contains(&waiting));
}

#[test]
fn with_no_browser_the_mailbox_signs_in_with_a_code_approved_at_the_provider() {
    let Signed { runtime, idp, s, _dir, profile, config, account, secrets, .. } = signed_in();
    s.seed(s.user("alice"), 2).unwrap();
    idp.revoke_refresh_tokens();
    idp.expire_access_tokens();
    oauth2::forget_access(&account.id);
    idp.set_device_polling(DevicePolling::Manual);
    let key = passes::Key::for_account(&profile, &account, secrets.clone()).without_notifications();
    let mut app = App::with_config(profile, secrets.clone(), config);
    let started = step(&mut app, &runtime, vec![notification_clicked()]);
    let _browser_wait = feed(&mut app, started);
    // The provider offers the device code: the status line does too.
    assert!(texts(&app).iter().any(|t| t == "Use a code instead"), "{:?}", texts(&app));
    assert!(!texts(&app).iter().any(|t| t.starts_with("No browser")));

    // The desktop could not open a browser: the status line says so and offers the code.
    let failed = Error::new(Kind::Config, "cannot ask the desktop to open it (xdg-open: not found)");
    let _ = app.update(Message::Mailbox(mailbox::Message::SignIn(SignInMsg::BrowserFailed(failed))));
    let shown = texts(&app);
    assert!(
        shown.iter().any(|t| t.starts_with("No browser could be opened (cannot ask the desktop")),
        "{shown:?}"
    );
    let use_code = clicked(&app, mailbox::id::SIGN_IN_USE_CODE);
    let code_started = step(&mut app, &runtime, use_code);
    let waiting = feed(&mut app, code_started);
    let shown = texts(&app);
    assert!(shown.iter().any(|t| t == "Sign in to Test identity provider with a code"), "{shown:?}");
    let code = shown
        .iter()
        .find(|t| {
            t.len() == 9 && t.as_bytes()[4] == b'-' && t.chars().all(|c| c == '-' || c.is_ascii_uppercase())
        })
        .unwrap_or_else(|| panic!("no code shown: {shown:?}"))
        .clone();
    assert!(
        !shown
            .iter()
            .any(|t| t.starts_with("Waiting for the sign-in with your identity provider in your browser"))
    );

    // The person enters the code at the provider and signs in.
    idp.approve_devices(Some("alice"));
    let done: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(&runtime, t)).collect();
    settle(&mut app, done);
    assert_eq!(mailbox(&app).notice(), Some("Signed in again; getting mail…"));
    assert!(!texts(&app).contains(&code), "the code is gone once signed in");
    assert!(secrets.get("work", SecretRole::OAuth2Refresh).unwrap().is_some());
    let worker = Worker::start(key);
    worker.until(
        &mut app,
        Duration::from_secs(30),
        "the mail",
        |app| mailbox(app).list().counts().total == 2,
        |app| format!("{:?}", texts(app)),
    );
}

#[test]
fn cancel_stops_waiting_for_the_code() {
    let Signed { runtime, idp, s: _servers, _dir, profile, config, secrets, .. } = signed_in();
    idp.set_device_polling(DevicePolling::Manual);
    let mut app = App::with_config(profile, secrets, config);
    let started = step(&mut app, &runtime, vec![notification_clicked()]);
    let _browser_wait = feed(&mut app, started);
    let use_code = clicked(&app, mailbox::id::SIGN_IN_USE_CODE);
    let code_started = step(&mut app, &runtime, use_code);
    let waiting = feed(&mut app, code_started);
    assert!(texts(&app).iter().any(|t| t == "Sign in to Test identity provider with a code"));

    let cancel = clicked(&app, mailbox::id::SIGN_IN_CODE_CANCEL);
    let _ = feed(&mut app, cancel);
    assert!(
        !texts(&app).iter().any(|t| t.contains("with a code") || t.starts_with("Waiting")),
        "{:?}",
        texts(&app)
    );
    // The wait was dropped with it: it ends at once, with nothing (no poll runs for 10 minutes).
    let answers: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(&runtime, t)).collect();
    assert!(answers.is_empty(), "{answers:?}");
}
