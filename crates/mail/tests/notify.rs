//! New-mail notifications over a real D-Bus session bus: a test service takes the
//! org.freedesktop.Notifications name and records the Notify call, then emits a click.
//! Runs inside `scripts/with-keyring` (a private dbus-run-session), as the test command does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tidings_mail::notify::{Arrived, Notifier, summarize};
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

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    #[zbus(signal)]
    async fn action_invoked(emitter: &SignalEmitter<'_>, id: u32, action_key: &str) -> zbus::Result<()>;
}

#[tokio::test]
async fn a_new_mail_notification_is_sent_and_its_click_reported() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a D-Bus session bus: run it under scripts/with-keyring (the README's test command does)"
    );
    let calls = Arc::new(Mutex::new(Vec::new()));
    let server = zbus::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at("/org/freedesktop/Notifications", FakeNotifications { calls: calls.clone() })
        .unwrap()
        .build()
        .await
        .expect("cannot take the notification service name (is a real notification daemon running?)");

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
    let iface = server
        .object_server()
        .interface::<_, FakeNotifications>("/org/freedesktop/Notifications")
        .await
        .unwrap();
    FakeNotifications::action_invoked(iface.signal_emitter(), id, "default").await.unwrap();
    let clicked = tokio::time::timeout(Duration::from_secs(5), clicks.next()).await.unwrap();
    assert_eq!(clicked, Some(id));

    // Nothing new and unread: nothing to show.
    assert!(summarize("Work", &arrived[1..2]).is_none());
}
