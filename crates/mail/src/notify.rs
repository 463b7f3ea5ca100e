//! Desktop notifications of new mail through the freedesktop Notifications service on the
//! session bus (GNOME Shell, KDE Plasma, dunst, mako…), spoken with zbus directly — the same
//! zbus the keyring already brings. A notification says how many messages arrived, who sent
//! the first and its subject; clicking it reports which message to open. Messages already
//! read elsewhere (\Seen) never notify.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use futures::stream::BoxStream;
use zbus::zvariant::Value;

use crate::error::{Error, Kind, Result};

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const APP: &str = "Tidings";

/// A message that just arrived, as the notifier needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    pub from: String,
    pub subject: String,
    /// Already read elsewhere: no notification for it.
    pub seen: bool,
}

/// What one notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub summary: String,
    pub body: String,
    pub count: usize,
}

/// The notification for these arrivals, or none when all were read elsewhere.
pub fn summarize(account: &str, arrived: &[Arrived]) -> Option<NewMail> {
    let unseen: Vec<&Arrived> = arrived.iter().filter(|a| !a.seen).collect();
    let first = unseen.first()?;
    let count = unseen.len();
    let summary = if count == 1 {
        format!("New mail in {account}")
    } else {
        format!("{count} new messages in {account}")
    };
    let subject = if first.subject.trim().is_empty() { "(no subject)" } else { first.subject.as_str() };
    let mut body = format!("{}: {subject}", first.from);
    if count > 1 {
        body.push_str(&format!(" (and {} more)", count - 1));
    }
    Some(NewMail { summary, body, count })
}

/// A connection to the notification service; clones share it, and share the on/off switch.
#[derive(Clone)]
pub struct Notifier {
    proxy: zbus::Proxy<'static>,
    enabled: Arc<AtomicBool>,
}

fn bus_error(what: &str, e: zbus::Error) -> Error {
    Error::new(
        Kind::Storage,
        format!("{what}: no notification service is reachable on the session bus ({e})"),
    )
}

impl Notifier {
    /// Connects to the session bus.
    pub async fn session() -> Result<Notifier> {
        let conn = zbus::Connection::session().await.map_err(|e| bus_error("cannot notify", e))?;
        let proxy = zbus::Proxy::new(&conn, SERVICE, PATH, SERVICE)
            .await
            .map_err(|e| bus_error("cannot notify", e))?;
        Ok(Notifier { proxy, enabled: Arc::new(AtomicBool::new(true)) })
    }

    /// The global switch ("show desktop notifications"); on by default. Off, accounts
    /// still report new mail to the window but show no desktop notification.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Shows (or, with `replaces`, updates) a new-mail notification; returns its id.
    pub async fn show(&self, mail: &NewMail, replaces: u32) -> Result<u32> {
        let actions = vec!["default", "Open"];
        let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
        hints.insert("category", Value::from("email.arrived"));
        hints.insert("desktop-entry", Value::from("org.tidings.Tidings"));
        let body =
            (APP, replaces, "mail-unread", mail.summary.as_str(), mail.body.as_str(), actions, hints, -1i32);
        self.proxy.call("Notify", &body).await.map_err(|e| bus_error("cannot show the notification", e))
    }

    /// Ids of notifications the user clicked ("default" action or "Open").
    pub async fn clicks(&self) -> Result<BoxStream<'static, u32>> {
        let stream = self
            .proxy
            .receive_signal("ActionInvoked")
            .await
            .map_err(|e| bus_error("cannot follow notification clicks", e))?;
        Ok(stream
            .filter_map(|msg| async move {
                let (id, action): (u32, String) = msg.body().deserialize().ok()?;
                (action == "default" || action == "Open").then_some(id)
            })
            .boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(from: &str, subject: &str, seen: bool) -> Arrived {
        Arrived { from: from.into(), subject: subject.into(), seen }
    }

    #[test]
    fn only_unseen_mail_notifies() {
        assert_eq!(summarize("Work", &[a("Ann", "Hi", true)]), None);
        let n = summarize("Work", &[a("Ann", "Read", true), a("Bob", "Lunch?", false), a("Cy", "", false)])
            .unwrap();
        assert_eq!(n.count, 2);
        assert_eq!(n.summary, "2 new messages in Work");
        assert_eq!(n.body, "Bob: Lunch? (and 1 more)");
        let n = summarize("Work", &[a("Cy", " ", false)]).unwrap();
        assert_eq!((n.summary.as_str(), n.body.as_str()), ("New mail in Work", "Cy: (no subject)"));
    }
}
