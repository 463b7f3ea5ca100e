//! Headless UI flows (iced_test) for accounts that sign in with OAuth2: the wizard's form with
//! a provider file → Test signs in (the test plays the browser, following the sign-in address
//! the step shows) → both servers' checks pass with the access token against the testkit's
//! Dovecot and Postfix → Save keeps the refresh token in the keyring, never in a file; the
//! Microsoft preset leads to "Sign in with Microsoft" and, without an application id, the form
//! says what is missing; a refused sign-in shows the provider's words; the settings screen
//! keeps an OAuth2 account one. "Use a code instead" signs in with a device code the test
//! approves at the provider, also when no browser could be opened.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_wizard_oauth2`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "gui_wizard_helpers/mod.rs"]
mod helpers;

use std::path::{Path, PathBuf};

use common::{assert_snapshot, settle};
use helpers::*;

use tidings::app::{App, Message, Screen};
use tidings::screen::wizard::fields::CLIENT_ID_HINT;
use tidings::screen::wizard::{self, OAuth2Fields, ProviderChoice, SignIn, SignInPage};
use tidings::screen::{accounts, settings};
use tidings::widget::device_code::{Code, Started};
use tidings_mail::account::{AuthMethod, Incoming, OAuth2Settings, SecretRole, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::discover::{DiscoverOptions, Sources};
use tidings_mail::error::{Error, Kind};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_testkit::MailServers;
use tidings_testkit::idp::{DevicePolling, Idp, IdpConfig};

fn provider_file(idp: &Idp, dir: &std::path::Path) -> std::path::PathBuf {
    idp.provider_file(dir).unwrap()
}

/// The form for alice, signing in with OAuth2 through `provider` (a file): IMAP over SSL/TLS
/// and submission with STARTTLS, the testkit's CA trusted.
fn oauth2_form(profile: Profile, secrets: Secrets, s: &MailServers, provider: &Path) -> App {
    let alice = s.user("alice");
    let mut app = open_wizard(profile, secrets, DiscoverOptions::default());
    type_into(&mut app, wizard::id::NAME, 0, "Alice");
    type_into(&mut app, wizard::id::EMAIL, 0, &alice.email);
    click(&mut app, wizard::id::SIGN_IN_OAUTH2);
    assert!(!has(&app, wizard::id::PASSWORD), "no password with OAuth2");
    click(&mut app, wizard::id::MANUAL);
    assert_eq!(wizard(&app).step_name(), "review", "no password needed to go on");
    click(&mut app, wizard::id::OAUTH2_FILE);
    type_into(&mut app, wizard::id::OAUTH2_PROVIDER_FILE, 0, provider.to_str().unwrap());
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, s.host());
    replace(&mut app, wizard::id::INCOMING_PORT, &s.imaps_port().to_string());
    replace(&mut app, wizard::id::INCOMING_USER, &alice.login);
    type_into(&mut app, wizard::id::OUTGOING_HOST, 0, s.host());
    replace(&mut app, wizard::id::OUTGOING_PORT, &s.submission_port().to_string());
    let ca = s.ca_path().display().to_string();
    type_into(&mut app, wizard::id::INCOMING_CA_FILE, 0, &ca);
    type_into(&mut app, wizard::id::OUTGOING_CA_FILE, 0, &ca);
    app
}

/// Clicks Test (or `button`) and runs the task that starts the sign-in; hands back the tasks
/// its answer started (the browser, and the wait for its return), not yet run.
fn start_sign_in(app: &mut App, rt: &tokio::runtime::Runtime, button: &str) -> Vec<iced::Task<Message>> {
    let tasks: Vec<_> = click_only(app, button).into_iter().map(|m| app.update(m)).collect();
    assert_eq!(wizard(app).step_name(), "signing-in");
    assert!(wizard(app).sign_in_url().is_none(), "no address before the sign-in started");
    let started: Vec<Message> = tasks.into_iter().flat_map(|t| common::run_on(rt, t)).collect();
    started.into_iter().map(|m| app.update(m)).collect()
}

/// The browser: follows the sign-in address to the provider, and its redirect back to the
/// loopback address Tidings listens on. Returns the page Tidings showed.
fn play_browser(url: String) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let answer = tidings_testkit::idp::get(&url, None).await.unwrap();
            let location = answer.location().expect("the provider sends the browser back").to_string();
            tidings_testkit::idp::get(&location, None).await.unwrap().text()
        })
    })
}

/// Every file under `dir`, as text.
fn every_file(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            out.push((path.clone(), String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()));
        }
    }
    out
}

#[test]
fn the_wizard_signs_in_tests_both_servers_with_the_token_and_keeps_the_refresh_token_in_the_keyring() {
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let profile = Profile::at(dir.path().join("profile"));
    let secrets = Secrets::in_memory();
    let mut app = oauth2_form(profile.clone(), secrets.clone(), &s, &provider);

    let rt = runtime();
    let waiting = start_sign_in(&mut app, &rt, wizard::id::TEST);
    let url = wizard(&app).sign_in_url().expect("the sign-in address is shown").to_string();
    assert!(url.starts_with(&idp.authorization_url()), "{url}");
    assert!(shows(&app, "Signing in with Test identity provider…"), "{:?}", texts(&app));
    assert!(shows(&app, &url) && has(&app, wizard::id::SIGN_IN_COPY), "the address, with Copy");

    let browser = play_browser(url);
    let answers: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(&rt, t)).collect();
    assert!(browser.join().unwrap().contains("return to Tidings"));
    settle(&mut app, answers);

    let checks = wizard(&app).checks().expect("the test step is shown");
    assert!(checks.passed(), "{:?} / {:?}", checks.incoming.error(), checks.outgoing.error());
    assert!(shows(&app, "Both servers accept your settings."));
    let tokens = idp.access_tokens();
    for side in [&checks.incoming, &checks.outgoing] {
        let transcript: String =
            side.check.as_ref().unwrap().transcript.iter().map(|l| format!("{}\n", l.text)).collect();
        assert!(tokens.iter().all(|t| !transcript.contains(t.as_str())), "a token is in a transcript");
    }

    click(&mut app, wizard::id::SAVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)), "saved, back to the overview");
    let config = Config::load(&profile).unwrap();
    let account = &config.accounts[0];
    assert_eq!((account.incoming.auth, account.outgoing.auth), (AuthMethod::OAuth2, AuthMethod::OAuth2));
    assert_eq!(account.oauth2.as_ref().unwrap().provider, provider.to_str().unwrap());
    let text = std::fs::read_to_string(profile.config_file()).unwrap();
    assert!(text.contains("auth = \"oauth2\""), "{text}");

    let refresh =
        secrets.get(&account.id, SecretRole::OAuth2Refresh).unwrap().expect("the refresh token is kept");
    assert!(refresh.starts_with("rt_"));
    assert_eq!(secrets.get(&account.id, SecretRole::Incoming).unwrap(), None, "no password");
    for (path, text) in every_file(&dir.path().join("profile")) {
        for token in tokens.iter().chain([&refresh]) {
            assert!(!text.contains(token.as_str()), "a token is in {}", path.display());
        }
    }
}

#[test]
fn a_refused_sign_in_shows_the_providers_words_and_try_again() {
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let mut app = oauth2_form(unused_profile(), Secrets::in_memory(), &s, &provider);
    // The provider knows nobody by that name: it sends the browser back with access_denied.
    idp.sign_in_as("nobody");

    let rt = runtime();
    let waiting = start_sign_in(&mut app, &rt, wizard::id::TEST);
    let browser = play_browser(wizard(&app).sign_in_url().unwrap().to_string());
    let answers: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(&rt, t)).collect();
    assert!(browser.join().unwrap().contains("did not succeed"));
    settle(&mut app, answers);

    assert_eq!(wizard(&app).step_name(), "signing-in");
    assert!(wizard(&app).checks().is_none(), "nothing was tested");
    assert!(shows(&app, "The sign-in did not succeed."), "{:?}", texts(&app));
    assert!(shows(&app, "The provider did not let the sign-in through."), "{:?}", texts(&app));
    assert!(shows(&app, "access_denied: no such user"), "the provider's own words: {:?}", texts(&app));
    assert!(has(&app, wizard::id::TRY_AGAIN));

    // Trying again signs in anew, as the provider now knows the person.
    idp.sign_in_as("alice");
    let waiting = start_sign_in(&mut app, &rt, wizard::id::TRY_AGAIN);
    assert!(wizard(&app).sign_in_failure().is_none());
    let browser = play_browser(wizard(&app).sign_in_url().unwrap().to_string());
    let answers: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(&rt, t)).collect();
    browser.join().unwrap();
    settle(&mut app, answers);
    assert!(wizard(&app).checks().is_some_and(|c| c.passed()), "{:?}", texts(&app));
}

#[test]
fn leaving_the_sign_in_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    let provider = provider_file(&idp, dir.path());
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
    type_into(&mut app, wizard::id::NAME, 0, "Alice");
    type_into(&mut app, wizard::id::EMAIL, 0, "alice@example.test");
    click(&mut app, wizard::id::SIGN_IN_OAUTH2);
    click(&mut app, wizard::id::MANUAL);
    click(&mut app, wizard::id::OAUTH2_FILE);
    type_into(&mut app, wizard::id::OAUTH2_PROVIDER_FILE, 0, provider.to_str().unwrap());
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, "127.0.0.1");
    type_into(&mut app, wizard::id::OUTGOING_HOST, 0, "127.0.0.1");
    let rt = runtime();
    let waiting = start_sign_in(&mut app, &rt, wizard::id::TEST);
    let url = wizard(&app).sign_in_url().unwrap().to_string();

    click(&mut app, wizard::id::CHANGE_SETTINGS);
    assert_eq!(wizard(&app).step_name(), "review");
    // The wait for the browser was dropped with the step: it ends at once, with nothing.
    let answers: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(&rt, t)).collect();
    assert!(answers.iter().all(|m| !format!("{m:?}").contains("SignedIn")), "{answers:?}");
    // And nobody listens for the provider's answer any more.
    let redirect = url.split("redirect_uri=").nth(1).unwrap().split('&').next().unwrap();
    let redirect = redirect.replace("%3A", ":").replace("%2F", "/");
    let port: u16 = redirect.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the loopback listener is closed");
}

#[test]
fn the_microsoft_preset_signs_in_with_microsoft_and_asks_for_the_application_id() {
    let options =
        DiscoverOptions { sources: Sources { presets: true, ..Sources::none() }, ..Default::default() };
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), options);
    type_into(&mut app, wizard::id::NAME, 0, "Work");
    type_into(&mut app, wizard::id::EMAIL, 0, "alice@contoso.onmicrosoft.com");
    type_into(&mut app, wizard::id::PASSWORD, 0, "not needed");
    click(&mut app, wizard::id::FIND);
    assert_eq!(wizard(&app).step_name(), "found");
    assert!(shows(&app, "Sign in with Microsoft"), "{:?}", texts(&app));
    assert!(shows(&app, "Signs in with Microsoft (OAuth2)."));
    assert!(!texts(&app).iter().any(|t| t.contains("not support")), "{:?}", texts(&app));

    click(&mut app, wizard::id::USE_FOUND);
    let form = wizard(&app).form();
    assert_eq!((form.sign_in, form.oauth2.provider), (SignIn::OAuth2, ProviderChoice::Microsoft));
    assert_eq!(form.incoming.host, "outlook.office365.com");
    assert!(!has(&app, wizard::id::PASSWORD) && has(&app, wizard::id::OAUTH2_TENANT));
    assert!(shows(&app, CLIENT_ID_HINT), "where an application id comes from");
    if OAuth2Fields::client_id_from_env().is_some() {
        eprintln!("TIDINGS_OAUTH2_CLIENT_ID is set: the missing id is not checked");
        return;
    }
    click(&mut app, wizard::id::TEST);
    assert_eq!(wizard(&app).step_name(), "review", "nobody is sent to sign in without an id");
    let missing = text_starting(&app, "Enter the application (client) id").expect("the missing id is named");
    assert!(missing.contains("“Signing in with OAuth2” in the README"), "{missing}");

    type_into(&mut app, wizard::id::OAUTH2_CLIENT_ID, 0, "11111111-2222-3333-4444-555555555555");
    type_into(&mut app, wizard::id::OAUTH2_TENANT, 0, "contoso.com");
    assert!(text_starting(&app, "Enter the application (client) id").is_none(), "fixed as typed");
    let (account, _) = wizard(&app).form().validate().unwrap();
    assert_eq!(
        account.oauth2,
        Some(OAuth2Settings {
            provider: "microsoft".into(),
            client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            tenant: Some("contoso.com".into()),
            mechanism: None,
        })
    );
    assert_eq!((account.incoming.auth, account.outgoing.auth), (AuthMethod::OAuth2, AuthMethod::OAuth2));
}

#[test]
fn snapshot_of_the_signing_in_step() {
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
    type_into(&mut app, wizard::id::NAME, 0, "Work");
    type_into(&mut app, wizard::id::EMAIL, 0, "alice@example.test");
    click(&mut app, wizard::id::SIGN_IN_OAUTH2);
    click(&mut app, wizard::id::MANUAL);
    click(&mut app, wizard::id::OAUTH2_GOOGLE);
    type_into(&mut app, wizard::id::OAUTH2_CLIENT_ID, 0, "1234-example.apps.googleusercontent.com");
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, "imap.example.test");
    type_into(&mut app, wizard::id::OUTGOING_HOST, 0, "smtp.example.test");
    // The sign-in's start is not run: a fixed page stands in for it (its address is random).
    for message in click_only(&app, wizard::id::TEST) {
        let _ = app.update(message);
    }
    assert!(shows(&app, "Signing in with Google…"));
    let run = wizard(&app).run_id();
    let page = SignInPage::new(
        "Google".into(),
        "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=1234-example.apps.\
         googleusercontent.com&state=fixed&code_challenge=fixed&code_challenge_method=S256&redirect_uri=\
         http%3A%2F%2F127.0.0.1%3A43111&scope=https%3A%2F%2Fmail.google.com%2F"
            .into(),
        None,
    );
    // The tasks (the browser, the wait) are not run.
    let _ = app.update(Message::Wizard(wizard::Message::SignInStarted(run, Ok(page))));
    assert!(wizard(&app).sign_in_url().is_some());
    assert_snapshot(&mut sized(&app, 768.0), &app.theme(), "wizard-signing-in-light");
}

#[test]
fn the_settings_keep_an_oauth2_account_one() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let server = |host: &str, port, security| Server {
        host: host.into(),
        port,
        security,
        user: "alice@contoso.com".into(),
        auth: AuthMethod::OAuth2,
        trust: Trust::default(),
    };
    let mut account = tidings_mail::account::Account::new(
        String::new(),
        "Work".into(),
        "alice@contoso.com".into(),
        Incoming::Imap,
        server("outlook.office365.com", 993, Security::Implicit),
        server("smtp.office365.com", 587, Security::StartTls),
    );
    account.oauth2 = Some(OAuth2Settings {
        provider: "microsoft".into(),
        client_id: Some("id".into()),
        tenant: None,
        mechanism: None,
    });
    let mut config = Config::default();
    let id = config.add_account(account).unwrap().id.clone();
    config.save(&profile).unwrap();

    let mut app = App::with_config(profile.clone(), Secrets::in_memory(), config);
    click(&mut app, accounts::settings_id(&id));
    assert!(matches!(app.screen(), Screen::Settings(_)));
    assert!(!has(&app, wizard::id::PASSWORD), "no password for an OAuth2 account");
    assert!(texts(&app).iter().any(|t| t.starts_with("OAuth2 with Microsoft")), "{:?}", texts(&app));
    replace(&mut app, wizard::id::NAME, "Office");
    click(&mut app, settings::id::SAVE);

    let saved = Config::load(&profile).unwrap();
    let account = saved.account(&id).unwrap();
    assert_eq!(account.name, "Office");
    assert_eq!((account.incoming.auth, account.outgoing.auth), (AuthMethod::OAuth2, AuthMethod::OAuth2));
    assert_eq!(account.oauth2.as_ref().unwrap().provider, "microsoft");
}

#[test]
fn with_no_browser_the_wizard_signs_in_with_a_code_approved_at_the_provider() {
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    idp.set_device_polling(DevicePolling::Manual);
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let mut app = oauth2_form(unused_profile(), Secrets::in_memory(), &s, &provider);
    let rt = runtime();
    // The browser's tasks are not run: the desktop says it has none.
    let _browser = start_sign_in(&mut app, &rt, wizard::id::TEST);
    assert!(has(&app, wizard::id::SIGN_IN_USE_CODE), "the provider offers the code: {:?}", texts(&app));
    let failed = Error::new(Kind::Config, "cannot ask the desktop to open it (xdg-open: not found)");
    let _ = app.update(Message::Wizard(wizard::Message::BrowserFailed(failed)));
    let note = text_starting(&app, "No browser could be opened").expect("the failure is said");
    assert!(note.contains("Cannot ask the desktop") && note.contains("or use a code instead"), "{note}");

    let tasks: Vec<_> =
        click_only(&app, wizard::id::SIGN_IN_USE_CODE).into_iter().map(|m| app.update(m)).collect();
    assert!(shows(&app, "Asking Test identity provider for a code…"), "{:?}", texts(&app));
    let started: Vec<Message> = tasks.into_iter().flat_map(|t| common::run_on(&rt, t)).collect();
    let waiting: Vec<_> = started.into_iter().map(|m| app.update(m)).collect();
    let code = wizard(&app).sign_in_code().expect("the code is shown").clone();
    assert_eq!(code.address, format!("{}/device", idp.url()));
    assert!(shows(&app, &code.user_code) && shows(&app, "Sign in to Test identity provider with a code"));
    assert!(has(&app, wizard::id::SIGN_IN_CODE_ADDRESS) && has(&app, wizard::id::SIGN_IN_COPY));

    // The person enters the code at the provider: the test goes on with the token.
    idp.approve_devices(Some("alice"));
    let answers: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(&rt, t)).collect();
    settle(&mut app, answers);
    let checks = wizard(&app).checks().expect("the test step is shown");
    assert!(checks.passed(), "{:?} / {:?}", checks.incoming.error(), checks.outgoing.error());
}

#[test]
fn cancel_on_the_code_goes_back_to_the_form_and_stops_waiting() {
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    idp.set_device_polling(DevicePolling::Manual);
    let dir = tempfile::tempdir().unwrap();
    let provider = provider_file(&idp, dir.path());
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let mut app = oauth2_form(unused_profile(), Secrets::in_memory(), &s, &provider);
    let rt = runtime();
    let _browser = start_sign_in(&mut app, &rt, wizard::id::TEST);
    let tasks: Vec<_> =
        click_only(&app, wizard::id::SIGN_IN_USE_CODE).into_iter().map(|m| app.update(m)).collect();
    let started: Vec<Message> = tasks.into_iter().flat_map(|t| common::run_on(&rt, t)).collect();
    let waiting: Vec<_> = started.into_iter().map(|m| app.update(m)).collect();
    assert!(wizard(&app).sign_in_code().is_some());
    click(&mut app, wizard::id::SIGN_IN_CODE_CANCEL);
    assert_eq!(wizard(&app).step_name(), "review");
    // The wait was dropped with the step: it ends at once, with nothing.
    let answers: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(&rt, t)).collect();
    assert!(answers.is_empty(), "{answers:?}");
}

#[test]
fn snapshot_of_the_sign_in_code() {
    let mut app = open_wizard(unused_profile(), Secrets::in_memory(), DiscoverOptions::default());
    type_into(&mut app, wizard::id::NAME, 0, "Work");
    type_into(&mut app, wizard::id::EMAIL, 0, "alice@contoso.com");
    click(&mut app, wizard::id::SIGN_IN_OAUTH2);
    click(&mut app, wizard::id::MANUAL);
    click(&mut app, wizard::id::OAUTH2_MICROSOFT);
    type_into(&mut app, wizard::id::OAUTH2_CLIENT_ID, 0, "11111111-2222-3333-4444-555555555555");
    type_into(&mut app, wizard::id::INCOMING_HOST, 0, "outlook.office365.com");
    type_into(&mut app, wizard::id::OUTGOING_HOST, 0, "smtp.office365.com");
    // The sign-in's start is not run: fixed pages stand in (their addresses and code are random).
    for message in click_only(&app, wizard::id::TEST) {
        let _ = app.update(message);
    }
    let mut page = SignInPage::new(
        "Microsoft".into(),
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?state=fixed".into(),
        None,
    );
    page.device_code = true;
    let run = wizard(&app).run_id();
    let _ = app.update(Message::Wizard(wizard::Message::SignInStarted(run, Ok(page))));
    for message in click_only(&app, wizard::id::SIGN_IN_USE_CODE) {
        let _ = app.update(message);
    }
    let code = Code {
        provider: "Microsoft".into(),
        address: "https://microsoft.com/devicelogin".into(),
        complete: None,
        user_code: "KXQF-7TRM".into(),
    };
    let run = wizard(&app).run_id();
    let _ = app.update(Message::Wizard(wizard::Message::CodeStarted(run, Ok(Started::for_display(code)))));
    assert!(shows(&app, "KXQF-7TRM"), "{:?}", texts(&app));
    assert_snapshot(&mut sized(&app, 640.0), &app.theme(), "wizard-sign-in-code-light");
}
