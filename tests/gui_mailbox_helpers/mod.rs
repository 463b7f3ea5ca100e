//! Runs an account's send/receive task for an iced_test flow, as the app's subscription
//! would (iced_test does not run subscriptions): the task runs on its own tokio runtime and
//! its events are fed into the app, with the tasks they start, until the flow has what it
//! waits for.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod drag;
pub mod fixture;
pub mod select;

use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use iced_test::futures::futures::StreamExt;

use tidings::app::{App, Message};
use tidings::passes::{self, Key};

use crate::common::settle;

/// An account's running task; dropping it stops the task.
pub struct Worker {
    events: Receiver<Message>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Worker {
    pub fn start(key: Key) -> Worker {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (tx, events) = channel();
        runtime.spawn(async move {
            let mut stream = Box::pin(passes::run(&key));
            while let Some(event) = stream.next().await {
                if tx.send(Message::Pass(event)).is_err() {
                    break;
                }
            }
        });
        Worker { events, runtime: Some(runtime) }
    }

    /// Feeds the task's events into `app` until `done(app)` holds; panics after `limit`,
    /// naming what was awaited and `show(app)`.
    pub fn until(
        &self,
        app: &mut App,
        limit: Duration,
        what: &str,
        done: impl Fn(&App) -> bool,
        show: impl Fn(&App) -> String,
    ) {
        let end = Instant::now() + limit;
        while !done(app) {
            let left = end.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(message) => settle(app, vec![message]),
                Err(RecvTimeoutError::Timeout) => panic!("no {what} within {limit:?}: {}", show(app)),
                Err(RecvTimeoutError::Disconnected) => panic!("the account's task ended: {}", show(app)),
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The testkit's real servers with `seed` messages in alice's Inbox.
pub fn dovecot(seed: usize) -> tidings_testkit::MailServers {
    let servers = tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"));
    servers.seed(servers.user("alice"), seed).unwrap();
    servers
}

/// Alice's IMAP account "work" on `servers` in a new profile, its mailbox opened from the
/// accounts overview and its send/receive task running (checking at start).
pub struct Live {
    pub app: App,
    pub worker: Worker,
    pub store_path: std::path::PathBuf,
    /// The profile's directory, removed when dropped.
    pub dir: tempfile::TempDir,
}

impl Live {
    pub fn open(servers: &tidings_testkit::MailServers) -> Live {
        use tidings_mail::account::SecretRole;
        use tidings_mail::config::Config;
        use tidings_mail::profile::Profile;
        use tidings_mail::secret::Secrets;

        let alice = servers.user("alice");
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::at(dir.path());
        let mut config = Config::default();
        let ca = Some(servers.ca_path());
        config
            .add_account(fixture::account_for(servers.host(), servers.imaps_port(), &alice.login, ca))
            .unwrap();
        let secrets = Secrets::in_memory();
        secrets.set("work", SecretRole::Incoming, &alice.password).unwrap();
        let account = config.account("work").unwrap().clone();
        let key = passes::Key::for_account(&profile, &account, secrets.clone()).without_notifications();
        let store_path = profile.store_path();
        let mut app = App::with_config(profile, secrets, config);
        fixture::click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));
        Live { app, worker: Worker::start(key), store_path, dir }
    }
}
