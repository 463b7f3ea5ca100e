//! New-mail notifications over a real D-Bus session bus: a test service takes the
//! org.freedesktop.Notifications name and records the Notify call, then emits a click.
//! Runs inside `scripts/with-keyring` (a private dbus-run-session), as the test command does.
//! The second test goes the whole way: a message submitted through the testkit's Postfix,
//! fetched by a scheduled pass, notified, clicked, and reported as the message to open. The
//! third: an OAuth2 account whose refresh token the identity provider revoked asks once to
//! be signed in again, however often its passes fail, and the click is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use pass_common::{account, secrets_for, send_through_postfix, servers, start};
use tidings_mail::account::{Account, AuthMethod, Incoming, OAuth2Settings};
use tidings_mail::notify::{Arrived, Notifier, summarize};
use tidings_mail::oauth2::{self, Tokens};
use tidings_mail::pass::{AccountEvent, RunSettings};
use tidings_mail::schedule::Command;
use tidings_mail::secret::Secrets;
use tidings_testkit::MailServers;
use tidings_testkit::idp::{Idp, IdpConfig};
use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedValue;

#[derive(Debug, Clone)]
struct Call {
    app: String,
    summary: String,
    body: String,
    actions: Vec<String>,
    category: Option<String>,
}

struct FakeNotifications {
    calls: Arc<Mutex<Vec<Call>>>,
    closed: Arc<Mutex<Vec<u32>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let category = hints.get("category").and_then(|v| String::try_from(v.clone()).ok());
        let mut calls = self.calls.lock().unwrap();
        calls.push(Call { app: app_name, summary, body, actions, category });
        calls.len() as u32
    }

    fn close_notification(&self, id: u32) {
        self.closed.lock().unwrap().push(id);
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    #[zbus(signal)]
    async fn action_invoked(emitter: &SignalEmitter<'_>, id: u32, action_key: &str) -> zbus::Result<()>;
}

/// The tests take the same bus name one after the other.
static BUS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The test notification service on the session bus, and the calls it records.
async fn fake_service() -> (zbus::Connection, Arc<Mutex<Vec<Call>>>) {
    let (server, calls, _) = fake_service_closing().await;
    (server, calls)
}

/// The same, with the ids of the notifications withdrawn (CloseNotification).
async fn fake_service_closing() -> (zbus::Connection, Arc<Mutex<Vec<Call>>>, Arc<Mutex<Vec<u32>>>) {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a D-Bus session bus: run it under scripts/with-keyring (the README's test command does)"
    );
    let (calls, closed) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
    let fake = FakeNotifications { calls: calls.clone(), closed: closed.clone() };
    let server = zbus::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at("/org/freedesktop/Notifications", fake)
        .unwrap()
        .build()
        .await
        .expect("cannot take the notification service name (is a real notification daemon running?)");
    (server, calls, closed)
}

/// The user clicks notification `id`: the service emits ActionInvoked.
async fn click(server: &zbus::Connection, id: u32) {
    let iface = server
        .object_server()
        .interface::<_, FakeNotifications>("/org/freedesktop/Notifications")
        .await
        .unwrap();
    FakeNotifications::action_invoked(iface.signal_emitter(), id, "default").await.unwrap();
}

#[tokio::test]
async fn a_new_mail_notification_is_sent_and_its_click_reported() {
    let _serial = BUS.lock().await;
    let (server, calls) = fake_service().await;

    let notifier = Notifier::session().await.unwrap();
    let mut clicks = notifier.clicks().await.unwrap();
    let arrived = [
        Arrived { from: "Bob <bob@example.test>".into(), subject: "Quarterly figures".into(), seen: false },
        Arrived { from: "Ann".into(), subject: "already read on the phone".into(), seen: true },
        Arrived { from: "Cy".into(), subject: "Lunch".into(), seen: false },
    ];
    let mail = summarize("Work", &arrived).unwrap();
    let id = notifier.show(&mail, 0).await.unwrap();
    assert_eq!(id, 1);
    let call = calls.lock().unwrap()[0].clone();
    assert_eq!(call.app, "Tidings");
    assert_eq!(call.summary, "2 new messages in Work");
    assert_eq!(call.body, "Bob <bob@example.test>: Quarterly figures (and 1 more)");
    assert_eq!(call.actions, ["default", "Open"]);
    assert_eq!(call.category.as_deref(), Some("email.arrived"));

    // The user clicks it: the service emits ActionInvoked, the notifier reports the id.
    click(&server, id).await;
    let clicked = tokio::time::timeout(Duration::from_secs(5), clicks.next()).await.unwrap();
    assert_eq!(clicked, Some(id));

    // Nothing new and unread: nothing to show.
    assert!(summarize("Work", &arrived[1..2]).is_none());
}

/// Waits until the service has recorded `n` calls.
async fn calls_reach(calls: &Arc<Mutex<Vec<Call>>>, n: usize) -> Vec<Call> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = calls.lock().unwrap().clone();
        if now.len() >= n {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "only {} Notify calls: {now:?}", now.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn mail_fetched_by_a_scheduled_pass_is_notified_and_the_click_opens_it() {
    let _serial = BUS.lock().await;
    let (server, calls) = fake_service().await;
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    s.seed(alice, 2).unwrap();
    let account = account(&s, alice, Incoming::Imap, s.imaps_port());
    let notifier = Notifier::session().await.unwrap();
    let settings = RunSettings { notifier: Some(notifier.clone()), ..RunSettings::default() };
    let mut run = start(account.clone(), secrets_for(&account, &alice.password), settings);
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();
    let new_mail = |e: &AccountEvent| match e {
        AccountEvent::NewMail(m) => Some(m.clone()),
        _ => None,
    };

    send_through_postfix(&s, bob, alice, "Ring the bell").await;
    let mail = run.wait_for(30, &mut seen, new_mail).await;
    let call = calls_reach(&calls, 1).await.remove(0);
    assert_eq!(call.summary, format!("New mail in {}", account.name));
    assert_eq!(call.body, format!("bob <{}>: Ring the bell", bob.email));
    assert_eq!(call.category.as_deref(), Some("email.arrived"));

    // Clicked: the account's task reports the message to open, as the pass found it.
    click(&server, 1).await;
    let opened = run
        .wait_for(10, &mut seen, |e| match e {
            AccountEvent::NotificationClicked(at) => Some(at.clone()),
            _ => None,
        })
        .await;
    assert_eq!(opened, mail.first);
    let row = run.store.call(move |st| st.message(opened.folder, opened.uid)).await.unwrap().unwrap();
    assert_eq!(row.summary.subject.as_deref(), Some("Ring the bell"));

    // The account's own switch off: new mail is still reported, but not shown.
    let mut options = account.options;
    options.notify = false;
    run.commands.send(Command::Options(options)).await.unwrap();
    send_through_postfix(&s, bob, alice, "Quiet for this account").await;
    let mail = run.wait_for(30, &mut seen, new_mail).await;
    assert_eq!(mail.first_subject, "Quiet for this account");
    // The global switch off (the account's on again): not shown either.
    options.notify = true;
    run.commands.send(Command::Options(options)).await.unwrap();
    notifier.set_enabled(false);
    send_through_postfix(&s, bob, alice, "Quiet everywhere").await;
    let mail = run.wait_for(30, &mut seen, new_mail).await;
    assert_eq!(mail.first_subject, "Quiet everywhere");
    // Both on: shown again — and only this one was added.
    notifier.set_enabled(true);
    send_through_postfix(&s, bob, alice, "Loud again").await;
    run.wait_for(30, &mut seen, new_mail).await;
    let now = calls_reach(&calls, 2).await;
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(now[1].body, format!("bob <{}>: Loud again", bob.email));
    drop(run.commands);
    run.task.await.unwrap();
}

/// The testkit's account for `login`, signing in with OAuth2 on both servers, signed in as
/// the sign-in flow leaves it (the refresh token in `secrets`).
async fn signed_in_oauth2_account(s: &MailServers, idp: &Idp, dir: &std::path::Path) -> (Account, Secrets) {
    let provider = idp.provider_file(dir).unwrap().to_string_lossy().into_owned();
    let mut account = account(s, s.user("alice"), Incoming::Imap, s.imaps_port());
    account.incoming.auth = AuthMethod::OAuth2;
    account.outgoing.auth = AuthMethod::OAuth2;
    account.oauth2 = Some(OAuth2Settings { provider, ..OAuth2Settings::default() });
    let secrets = Secrets::in_memory();
    sign_in(idp, &account, &secrets).await;
    (account, secrets)
}

async fn sign_in(idp: &Idp, account: &Account, secrets: &Secrets) {
    let issued = idp.issue("alice").unwrap();
    let tokens = Tokens {
        access: issued.access_token,
        refresh: issued.refresh_token,
        expires_at: Some(std::time::SystemTime::now() + Duration::from_secs(issued.expires_in)),
        scope: Some(issued.scope),
    };
    oauth2::signed_in(&account.id, secrets, &tokens).await.unwrap();
}

/// The provider revokes the sign-in and the server drops the session: the next log-in needs
/// a refresh, which the provider refuses (`invalid_grant`).
fn revoke(idp: &Idp, s: &MailServers, account: &Account) {
    idp.revoke_refresh_tokens();
    idp.expire_access_tokens();
    oauth2::forget_access(&account.id);
    s.doveadm(&["kick", &s.user("alice").login]).unwrap();
}

#[tokio::test]
async fn a_revoked_sign_in_asks_once_to_sign_in_again_and_the_click_is_reported() {
    let _serial = BUS.lock().await;
    let (server, calls, closed) = fake_service_closing().await;
    let idp = Idp::start(IdpConfig::default()).await.unwrap();
    let s = MailServers::start_with_oauth2(&idp).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let (account, secrets) = signed_in_oauth2_account(&s, &idp, dir.path()).await;
    let notifier = Notifier::session().await.unwrap();
    let settings = RunSettings { notifier: Some(notifier.clone()), ..RunSettings::default() };
    let mut run = start(account.clone(), secrets.clone(), settings);
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();

    revoke(&idp, &s, &account);
    let mut failed = 0;
    while failed < 2 {
        if let Err(e) = run.next_pass_end(30, &mut seen).await {
            assert!(e.contains("sign in again"), "{e}");
            failed += 1;
        }
    }
    let asked = calls_reach(&calls, 1).await;
    assert_eq!(asked.len(), 1, "one notification for two failed passes: {asked:?}");
    assert_eq!(asked[0].summary, format!("Sign in to {} again", account.name));
    assert_eq!(asked[0].body, "The sign-in with Test identity provider has expired or was revoked.");
    assert_eq!(asked[0].actions, ["default", "Sign in"]);

    // Clicked: the account's task reports it, for the app to start the sign-in.
    click(&server, 1).await;
    run.wait_for(10, &mut seen, |e| matches!(e, AccountEvent::SignInClicked).then_some(())).await;

    // Signed in again: the next pass works and the notification is withdrawn.
    sign_in(&idp, &account, &secrets).await;
    run.commands.send(Command::RunNow).await.unwrap();
    while run.next_pass_end(30, &mut seen).await.is_err() {}
    assert_eq!(*closed.lock().unwrap(), [1]);

    // Revoked once more: it worked in between, so it asks again — unless notifications are
    // off for all accounts.
    notifier.set_enabled(false);
    revoke(&idp, &s, &account);
    while run.next_pass_end(30, &mut seen).await.is_ok() {}
    assert_eq!(calls.lock().unwrap().len(), 1, "the switch is off");
    notifier.set_enabled(true);
    while run.next_pass_end(30, &mut seen).await.is_ok() {}
    let asked = calls_reach(&calls, 2).await;
    assert_eq!(asked[1].summary, format!("Sign in to {} again", account.name));
    drop(run.commands);
    run.task.await.unwrap();
}
