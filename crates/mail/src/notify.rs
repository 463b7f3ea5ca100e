//! Desktop notifications of new mail through the freedesktop Notifications service on the
//! session bus (GNOME Shell, KDE Plasma, dunst, mako…), spoken with zbus directly — the same
//! zbus the keyring already brings. A notification says how many messages arrived, who sent
//! the first and its subject; clicking it reports which message to open. Messages already
//! read elsewhere (\Seen) never notify. An OAuth2 account whose sign-in is no longer valid
//! asks once to be signed in again ([`Notifier::ask_sign_in`]), not on every retry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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

/// What the "sign in again" notification says: the account, and why in a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInAgain {
    pub summary: String,
    pub body: String,
}

/// The notification for an account whose sign-in is no longer valid; `reason` is the
/// error's message ("the sign-in with Google has expired or was revoked; sign in again").
pub fn sign_in_again(account: &str, reason: &str) -> SignInAgain {
    // The action says "sign in"; the reason need not say it twice.
    let reason = reason.trim().trim_end_matches("; sign in again").trim_end_matches('.');
    let mut chars = reason.chars();
    let mut body: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "The server no longer accepts the sign-in".to_string(),
    };
    body.push('.');
    SignInAgain { summary: format!("Sign in to {account} again"), body }
}

/// A connection to the notification service; clones share it, the on/off switch, and the
/// accounts asked to sign in again.
#[derive(Clone)]
pub struct Notifier {
    proxy: zbus::Proxy<'static>,
    enabled: Arc<AtomicBool>,
    /// Account id → its "sign in again" notification (0 while it is being shown). Kept here,
    /// not in an account's task, so a task started anew does not ask again.
    sign_ins: Arc<Mutex<HashMap<String, u32>>>,
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
        Ok(Notifier { proxy, enabled: Arc::new(AtomicBool::new(true)), sign_ins: Arc::default() })
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
        let what = ("mail-unread", mail.summary.as_str(), mail.body.as_str(), "Open", Some("email.arrived"));
        self.notify(replaces, what).await
    }

    /// Asks the person to sign `account` (its config id) in again, once: shown only when the
    /// switch is on and no such notification is out for the account since it last worked
    /// ([`Notifier::signed_in_again`]). Returns the notification's id when one was shown.
    pub async fn ask_sign_in(&self, account: &str, text: &SignInAgain) -> Result<Option<u32>> {
        if !self.enabled() {
            return Ok(None);
        }
        {
            let mut asked = self.sign_ins.lock().unwrap_or_else(|p| p.into_inner());
            if asked.contains_key(account) {
                return Ok(None);
            }
            // Taken before showing: a pass and IDLE failing together ask once.
            asked.insert(account.to_string(), 0);
        }
        let what = ("dialog-password", text.summary.as_str(), text.body.as_str(), "Sign in", None);
        let shown = self.notify(0, what).await;
        let mut asked = self.sign_ins.lock().unwrap_or_else(|p| p.into_inner());
        match shown {
            Ok(id) => {
                asked.insert(account.to_string(), id);
                Ok(Some(id))
            }
            Err(e) => {
                // Not shown: the next failure may try again.
                asked.remove(account);
                Err(e)
            }
        }
    }

    /// The account worked again: a later failure asks again, and the notification still on
    /// screen is withdrawn.
    pub async fn signed_in_again(&self, account: &str) {
        let id = self.sign_ins.lock().unwrap_or_else(|p| p.into_inner()).remove(account);
        if let Some(id) = id.filter(|id| *id != 0) {
            // Already closed by the person or the server: nothing to do.
            let _ = self.proxy.call::<_, _, ()>("CloseNotification", &(id,)).await;
        }
    }

    /// The account whose "sign in again" notification has this id.
    pub fn sign_in_notification(&self, id: u32) -> Option<String> {
        let asked = self.sign_ins.lock().unwrap_or_else(|p| p.into_inner());
        asked.iter().find(|(_, shown)| **shown == id && id != 0).map(|(account, _)| account.clone())
    }

    /// One Notify call: icon, summary, body, the label of its one action (clicking the
    /// notification itself does the same), and its category.
    async fn notify(&self, replaces: u32, what: (&str, &str, &str, &str, Option<&str>)) -> Result<u32> {
        let (icon, summary, body, action, category) = what;
        let actions = vec!["default", action];
        let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
        if let Some(category) = category {
            hints.insert("category", Value::from(category));
        }
        hints.insert("desktop-entry", Value::from("org.tidings.Tidings"));
        let body = (APP, replaces, icon, summary, body, actions, hints, -1i32);
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

    #[test]
    fn the_sign_in_notification_names_the_account_and_the_reason() {
        let n = sign_in_again("Work", "the sign-in with Google has expired or was revoked; sign in again");
        assert_eq!(n.summary, "Sign in to Work again");
        assert_eq!(n.body, "The sign-in with Google has expired or was revoked.");
        assert_eq!(sign_in_again("Work", "").body, "The server no longer accepts the sign-in.");
    }
}
