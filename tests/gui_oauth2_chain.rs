//! OAuth2 accounts from the wizard to mail going both ways, in the window (iced_test), against
//! real Dovecot and Postfix taking tokens from the testkit's identity provider:
//! - the wizard signs in (the test plays the browser), tests both servers with the token and
//!   saves; the mailbox gets alice's mail over IMAP, a message composed in the window goes out
//!   through the Outbox over SMTP submission, and bob's POP3 account, set up the same way,
//!   receives it — once with servers offering XOAUTH2 and OAUTHBEARER (XOAUTH2 is used), once
//!   with servers offering OAUTHBEARER alone (RFC 7628 is spoken);
//! - a sign-in revoked at the provider while a message waits in the Outbox: the pass fails,
//!   the message stays, "Sign in again" signs in, and the message goes out, nothing lost.
//!
//! `ICED_TEST_BACKEND=tiny-skia scripts/with-keyring cargo test -p tidings --test gui_oauth2_chain`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;
#[path = "gui_wizard_helpers/mod.rs"]
mod helpers;

use std::path::Path;
use std::time::{Duration, Instant};

use iced::keyboard::Modifiers;
use iced_test::selector::id;

use common::settle;
use gui_mailbox_helpers::Worker;
use gui_mailbox_helpers::fixture::{letter, mailbox, press};
use helpers::{click, open_wizard, replace, runtime, type_into, wizard};

use tidings::app::{App, Message, Screen};
use tidings::passes;
use tidings::screen::{accounts, composer, wizard as wiz};
use tidings_mail::account::{
    Account, AuthMethod, Incoming, OAuth2Settings, SecretRole, Security, Server, Trust,
};
use tidings_mail::compose::Original;
use tidings_mail::config::Config;
use tidings_mail::discover::DiscoverOptions;
use tidings_mail::oauth2::{self, Tokens};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_testkit::idp::{Idp, IdpConfig};
use tidings_testkit::{MailServers, User};

/// Every message file of `user`'s INBOX, as bytes.
fn inbox(s: &MailServers, user: &User) -> Vec<Vec<u8>> {
    let base = s.maildir(user);
    ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(base.join(sub)).ok())
        .flat_map(|entries| entries.flatten().map(|e| std::fs::read(e.path()).unwrap()))
        .collect()
}

/// Waits until `user`'s INBOX holds a message with this subject (Postfix delivers a moment
/// after it accepted it).
fn delivered(s: &MailServers, user: &User, subject: &str) -> Original {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found =
            inbox(s, user).iter().filter_map(|m| Original::parse(m).ok()).find(|m| m.subject == subject);
        if let Some(message) = found {
            return message;
        }
        assert!(Instant::now() < deadline, "\"{subject}\" did not reach {}", user.email);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The wizard's form for `user`: OAuth2 through the provider file, the incoming server over
/// SSL/TLS (IMAP or POP3), submission with STARTTLS, the testkit's CA trusted.
fn wizard_form(app: &mut App, s: &MailServers, user: &User, name: &str, pop3: bool, provider: &Path) {
    type_into(app, wiz::id::NAME, 0, name);
    type_into(app, wiz::id::EMAIL, 0, &user.email);
    click(app, wiz::id::SIGN_IN_OAUTH2);
    click(app, wiz::id::MANUAL);
    click(app, wiz::id::OAUTH2_FILE);
    type_into(app, wiz::id::OAUTH2_PROVIDER_FILE, 0, provider.to_str().unwrap());
    if pop3 {
        click(app, wiz::id::INCOMING_POP3);
    }
    type_into(app, wiz::id::INCOMING_HOST, 0, s.host());
    let port = if pop3 { s.pop3s_port() } else { s.imaps_port() };
    replace(app, wiz::id::INCOMING_PORT, &port.to_string());
    replace(app, wiz::id::INCOMING_USER, &user.login);
    type_into(app, wiz::id::OUTGOING_HOST, 0, s.host());
    replace(app, wiz::id::OUTGOING_PORT, &s.submission_port().to_string());
    replace(app, wiz::id::OUTGOING_USER, &user.login);
    let ca = s.ca_path().display().to_string();
    type_into(app, wiz::id::INCOMING_CA_FILE, 0, &ca);
    type_into(app, wiz::id::OUTGOING_CA_FILE, 0, &ca);
}

/// The browser: follows the sign-in address to the provider and its redirect back to the
/// loopback address Tidings listens on; returns the page Tidings showed.
fn play_browser(url: String) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let answer = tidings_testkit::idp::get(&url, None).await.unwrap();
            let back = answer.location().expect("the provider sends the browser back").to_string();
            tidings_testkit::idp::get(&back, None).await.unwrap().text()
        })
    })
}

/// Runs a sign-in that `messages` (a click) start, step by step on one runtime (its loopback
/// listener lives there), playing the browser at the address `url_of(app)` shows.
fn sign_in(
    app: &mut App,
    rt: &tokio::runtime::Runtime,
    messages: Vec<Message>,
    url_of: impl Fn(&App) -> String,
) {
    let tasks: Vec<_> = messages.into_iter().map(|m| app.update(m)).collect();
    let started: Vec<Message> = tasks.into_iter().flat_map(|t| common::run_on(rt, t)).collect();
    let waiting: Vec<_> = started.into_iter().map(|m| app.update(m)).collect();
    let browser = play_browser(url_of(app));
    let answers: Vec<Message> = waiting.into_iter().flat_map(|t| common::run_on(rt, t)).collect();
    assert!(browser.join().unwrap().contains("return to Tidings"));
    settle(app, answers);
}

/// The wizard run for one account: signs in, checks that both servers' tests logged in with
/// `mechanism` (and that no token is in their transcripts), saves. Returns the account.
fn add_with_wizard(
    app: &mut App,
    rt: &tokio::runtime::Runtime,
    idp: &Idp,
    mechanism: &str,
    profile: &Profile,
) -> Account {
    sign_in(app, rt, helpers::click_only(app, wiz::id::TEST), |app| {
        wizard(app).sign_in_url().expect("the sign-in address is shown").to_string()
    });
    let checks = wizard(app).checks().expect("the test step is shown");
    assert!(checks.passed(), "{:?} / {:?}", checks.incoming.error(), checks.outgoing.error());
    let tokens = idp.access_tokens();
    for (side, command) in [(&checks.incoming, None), (&checks.outgoing, Some("AUTH"))] {
        let transcript: String =
            side.check.as_ref().unwrap().transcript.iter().map(|l| format!("{}\n", l.text)).collect();
        assert!(tokens.iter().all(|t| !transcript.contains(t.as_str())), "a token is in a transcript");
        // IMAP: "AUTHENTICATE XOAUTH2", POP3 and SMTP: "AUTH XOAUTH2".
        let said = match command {
            Some(c) => transcript.contains(&format!("{c} {mechanism}")),
            None => [format!("AUTHENTICATE {mechanism}"), format!("AUTH {mechanism}")]
                .iter()
                .any(|c| transcript.contains(c.as_str())),
        };
        assert!(said, "the log-in used {mechanism}:\n{transcript}");
    }
    let before = Config::load(profile).map(|c| c.accounts.len()).unwrap_or(0);
    click(app, wiz::id::SAVE);
    assert!(matches!(app.screen(), Screen::Accounts(_)), "saved, back to the overview");
    let config = Config::load(profile).unwrap();
    assert_eq!(config.accounts.len(), before + 1);
    let account = config.accounts.last().unwrap().clone();
    assert_eq!(account.incoming.auth, AuthMethod::OAuth2);
    account
}

/// Opens the account's mailbox and starts its send/receive, as the app's subscription would.
fn open_with_worker(app: &mut App, profile: &Profile, account: &Account, secrets: &Secrets) -> Worker {
    helpers::click(app, accounts::open_mailbox_id(&account.id));
    assert!(matches!(app.screen(), Screen::Mailbox(_)));
    Worker::start(passes::Key::for_account(profile, account, secrets.clone()).without_notifications())
}

fn total(app: &App) -> u64 {
    match app.screen() {
        Screen::Mailbox(m) => m.list().counts().total,
        _ => 0,
    }
}

fn shown(app: &App) -> String {
    format!("{:?}", helpers::texts(app))
}

/// Ctrl+N in the mailbox, the fields filled, Send: the message goes into the Outbox.
fn compose_and_send(app: &mut App, to: &str, subject: &str, body: &str) {
    press(app, letter("n"), Modifiers::CTRL);
    assert!(app.composer().is_some(), "the composer opened");
    let mut ui = helpers::tall(app);
    for (field, text) in
        [(composer::id::TO, to), (composer::id::SUBJECT, subject), (composer::id::BODY, body)]
    {
        ui.click(id(field.to_string())).unwrap();
        let _ = ui.typewrite(text);
    }
    let typed: Vec<Message> = ui.into_messages().collect();
    settle(app, typed);
    assert_eq!(app.composer().unwrap().to(), to);
    settle(app, vec![Message::Composer(composer::Message::Send)]);
    assert!(app.composer().is_none(), "closed once queued");
}

/// The whole chain with servers offering `mechanisms`; `used` is the one Tidings must pick.
fn wizard_to_mail_both_ways(mechanisms: &[&str], used: &str) {
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    let s = MailServers::start_with_oauth2_mechanisms(&idp, mechanisms).unwrap_or_else(|e| panic!("{e}"));
    let (alice, bob) = (s.user("alice").clone(), s.user("bob").clone());
    s.seed(&alice, 2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let provider = idp.provider_file(dir.path()).unwrap();
    let profile = Profile::at(dir.path().join("profile"));
    let rt = runtime();

    // alice over IMAP: her mail comes, and she writes to bob.
    let secrets = Secrets::in_memory();
    let mut app = open_wizard(profile.clone(), secrets.clone(), DiscoverOptions::default());
    wizard_form(&mut app, &s, &alice, "Alice", false, &provider);
    let account = add_with_wizard(&mut app, &rt, &idp, used, &profile);
    assert!(secrets.get(&account.id, SecretRole::OAuth2Refresh).unwrap().is_some(), "signed in");
    let worker = open_with_worker(&mut app, &profile, &account, &secrets);
    worker.until(&mut app, Duration::from_secs(30), "alice's two messages", |a| total(a) == 2, shown);
    compose_and_send(&mut app, &bob.email, "Signed in with a token", "Hello Bob, from Alice.");
    let got = delivered(&s, &bob, "Signed in with a token");
    assert_eq!(got.text.replace("\r\n", "\n").trim_end(), "Hello Bob, from Alice.");
    worker.until(
        &mut app,
        Duration::from_secs(30),
        "the Outbox emptied",
        |a| matches!(a.screen(), Screen::Mailbox(m) if m.outbox().is_empty()),
        shown,
    );
    drop(worker);

    // bob over POP3, in the same profile: alice's message arrives.
    helpers::click(&mut app, tidings::screen::mailbox::id::BACK);
    helpers::click(&mut app, accounts::ADD_ACCOUNT);
    idp.sign_in_as("bob");
    wizard_form(&mut app, &s, &bob, "Bob", true, &provider);
    let account = add_with_wizard(&mut app, &rt, &idp, used, &profile);
    assert_eq!(account.incoming_protocol, Incoming::Pop3);
    let worker = open_with_worker(&mut app, &profile, &account, &secrets);
    worker.until(
        &mut app,
        Duration::from_secs(30),
        "alice's message in bob's POP3 inbox",
        |a| total(a) == 1,
        shown,
    );
    assert!(
        mailbox(&app)
            .list()
            .rows()
            .iter()
            .any(|r| r.summary.subject.as_deref() == Some("Signed in with a token")),
        "{}",
        shown(&app)
    );

    // No token in any file of the profile.
    let mut secrets_seen: Vec<String> = idp.access_tokens();
    for a in Config::load(&profile).unwrap().accounts {
        secrets_seen.push(secrets.get(&a.id, SecretRole::OAuth2Refresh).unwrap().unwrap());
    }
    for file in walk(&dir.path().join("profile")) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(secrets_seen.iter().all(|t| !text.contains(t.as_str())), "a token is in {}", file.display());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn from_the_wizard_to_imap_pop3_and_smtp_with_xoauth2() {
    wizard_to_mail_both_ways(&["xoauth2", "oauthbearer"], "XOAUTH2");
}

#[test]
fn from_the_wizard_to_imap_pop3_and_smtp_with_oauthbearer_alone() {
    wizard_to_mail_both_ways(&["oauthbearer"], "OAUTHBEARER");
}

/// An account signed in once (the wizard's work, done directly here).
fn signed_in_account(s: &MailServers, idp: &Idp, provider: &str, secrets: &Secrets) -> Account {
    let server = |port, security| Server {
        host: s.host().to_string(),
        port,
        security,
        user: "alice".into(),
        auth: AuthMethod::OAuth2,
        trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
    };
    let mut a = Account::new(
        "work".into(),
        "Work".into(),
        "alice@example.test".into(),
        Incoming::Imap,
        server(s.imaps_port(), Security::Implicit),
        server(s.submission_port(), Security::StartTls),
    );
    a.options.idle = false;
    a.oauth2 = Some(OAuth2Settings { provider: provider.into(), ..OAuth2Settings::default() });
    let issued = idp.issue("alice").unwrap();
    let tokens = Tokens {
        access: issued.access_token,
        refresh: issued.refresh_token,
        expires_at: Some(std::time::SystemTime::now() + Duration::from_secs(3600)),
        scope: None,
    };
    runtime().block_on(oauth2::signed_in(&a.id, secrets, &tokens)).unwrap();
    a
}

#[test]
fn a_message_waiting_in_the_outbox_goes_out_after_signing_in_again() {
    let idp = Idp::start_blocking(IdpConfig::default()).unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let bob = s.user("bob").clone();
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path().join("profile"));
    let provider = idp.provider_file(dir.path()).unwrap().to_string_lossy().into_owned();
    let secrets = Secrets::in_memory();
    let account = signed_in_account(&s, &idp, &provider, &secrets);
    let mut config = Config::default();
    config.add_account(account.clone()).unwrap();
    config.save(&profile).unwrap();

    // The provider revokes the sign-in before the app starts.
    idp.revoke_refresh_tokens();
    idp.expire_access_tokens();
    oauth2::forget_access(&account.id);

    let mut app = App::with_config(profile.clone(), secrets.clone(), config);
    let worker = open_with_worker(&mut app, &profile, &account, &secrets);
    worker.until(
        &mut app,
        Duration::from_secs(30),
        "the offer to sign in again",
        |a| helpers::texts(a).iter().any(|t| t.starts_with("Sign in again")),
        shown,
    );
    compose_and_send(&mut app, &bob.email, "Kept through a sign-in", "Still here.");
    // The pass the Send asked for fails as the first did: the message stays in the Outbox.
    worker.until(
        &mut app,
        Duration::from_secs(30),
        "the message held in the Outbox",
        |a| {
            mailbox(a).outbox().len() == 1 && helpers::texts(a).iter().any(|t| t.starts_with("Sign in again"))
        },
        shown,
    );
    assert!(inbox(&s, &bob).is_empty(), "nothing went out without a valid sign-in");

    let rt = runtime();
    let clicked = helpers::click_only(&app, tidings::screen::mailbox::id::SIGN_IN_AGAIN);
    sign_in(&mut app, &rt, clicked, |app| {
        let waiting = helpers::text_starting(app, "Waiting for the sign-in").expect("waiting");
        waiting.split(": ").nth(1).unwrap().to_string()
    });
    assert_eq!(mailbox(&app).notice(), Some("Signed in again; getting mail…"));
    let got = delivered(&s, &bob, "Kept through a sign-in");
    assert_eq!(got.text.replace("\r\n", "\n").trim_end(), "Still here.");
    worker.until(
        &mut app,
        Duration::from_secs(30),
        "the Outbox emptied",
        |a| mailbox(a).outbox().is_empty(),
        shown,
    );
}
