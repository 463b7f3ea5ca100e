//! Shared set-up for the pass tests: an account on the testkit's real servers, its task
//! running with minutes of a second, and helpers that wait for events.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use lettre::address::Envelope;
use tidings_mail::account::{Account, AuthMethod, Incoming, SecretRole, Security, Server, Trust};
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::pass::{AccountEvent, RunSettings, run_account};
use tidings_mail::schedule::{Command, Event, Schedule};
use tidings_mail::secret::Secrets;
use tidings_mail::smtp;
use tidings_mail::store::{Store, StoreHandle};
use tidings_testkit::{MailServers, User};
use tokio::sync::mpsc::{self, Receiver, Sender, UnboundedReceiver};

/// Starts the real servers or fails the test with the testkit's explanation.
pub fn servers() -> MailServers {
    MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

/// A schedule minute in these tests.
pub const MINUTE: Duration = Duration::from_secs(1);

/// An account of `user` on the testkit, over implicit TLS, checked every two (short) minutes.
pub fn account(s: &MailServers, user: &User, protocol: Incoming, port: u16) -> Account {
    let server = |port| Server {
        host: s.host().to_string(),
        port,
        security: Security::Implicit,
        user: user.login.clone(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
    };
    let mut account = Account::new(
        user.login.clone(),
        format!("{} test", user.login),
        user.email.clone(),
        protocol,
        server(port),
        server(s.submissions_port()),
    );
    account.options.schedule = Schedule { at_start: true, every_minutes: Some(2) };
    account.options.idle = false;
    account
}

pub fn secrets_for(account: &Account, password: &str) -> Secrets {
    let secrets = Secrets::in_memory();
    secrets.set(&account.id, SecretRole::Incoming, password).unwrap();
    secrets
}

/// A running account task and its events.
pub struct Running {
    pub commands: Sender<Command>,
    pub events: UnboundedReceiver<AccountEvent>,
    pub store: StoreHandle,
    pub store_path: PathBuf,
    /// The account's transcript log.
    pub log: PathBuf,
    pub task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// A new store in a temporary directory.
pub struct NewStore {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub store: StoreHandle,
}

pub fn new_store() -> NewStore {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    NewStore { dir, path, store }
}

/// Starts the account's task on a new store.
pub fn start(account: Account, secrets: Secrets, settings: RunSettings) -> Running {
    start_on(new_store(), account, secrets, settings)
}

/// Starts the account's task on `store` (prepared beforehand).
pub fn start_on(store: NewStore, account: Account, secrets: Secrets, settings: RunSettings) -> Running {
    let NewStore { dir, path: store_path, store } = store;
    let (commands, rx): (Sender<Command>, Receiver<Command>) = mpsc::channel(8);
    let (tx, events) = mpsc::unbounded_channel();
    let settings = RunSettings { minute: MINUTE, seed: Some(1), ..settings };
    let log = dir.path().join("transcript.log");
    let task =
        tokio::spawn(run_account(account, secrets, store.clone(), Some(log.clone()), rx, tx, settings));
    Running { commands, events, store, store_path, log, task, _dir: dir }
}

impl Running {
    /// The next event matching `f`, within `secs` seconds; every event seen is kept in `seen`.
    pub async fn wait_for<T>(
        &mut self,
        secs: u64,
        seen: &mut Vec<AccountEvent>,
        mut f: impl FnMut(&AccountEvent) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("no such event within {secs} s; saw: {seen:#?}"))
                .expect("the account task ended");
            let hit = f(&event);
            seen.push(event);
            if let Some(v) = hit {
                return v;
            }
        }
    }

    /// The end of the next pass: Ok(()) or the error it reported.
    pub async fn next_pass_end(&mut self, secs: u64, seen: &mut Vec<AccountEvent>) -> Result<(), String> {
        self.wait_for(secs, seen, |e| match e {
            AccountEvent::Schedule(Event::PassFinished { ok: true, .. }) => Some(Ok(())),
            AccountEvent::Schedule(Event::PassFinished { error, .. }) => {
                Some(Err(error.clone().unwrap_or_default()))
            }
            AccountEvent::Schedule(Event::Offline { reason, .. }) => Some(Err(reason.clone())),
            _ => None,
        })
        .await
    }

    /// The transcript log: written, free of `password`, and every credential-bearing command
    /// (IMAP LOGIN, POP3 PASS, SMTP AUTH with an initial response) shown redacted — an SMTP
    /// AUTH PLAIN carries the password in base64, which a plain search would not find.
    pub fn log_without(&self, password: &str) -> String {
        let text = std::fs::read_to_string(&self.log).expect("the account's transcript log is written");
        assert!(!text.contains(password), "the password is in the log");
        for line in text.lines().filter(|l| l.contains(" C: ")) {
            let command = line.split(" C: ").nth(1).unwrap_or_default();
            let words: Vec<&str> = command.split(' ').collect();
            let secret_at = match words.iter().map(|w| w.to_ascii_uppercase()).collect::<Vec<_>>().as_slice()
            {
                [_, login, ..] if login == "LOGIN" => Some(2),
                [pass, ..] if pass == "PASS" => Some(1),
                [auth, _, ..] if auth == "AUTH" => Some(2),
                _ => None,
            };
            if let Some(i) = secret_at.filter(|i| words.len() > *i) {
                assert_eq!(words[i..].join(" "), "<redacted>", "a credential in the log: {line}");
            }
        }
        text
    }

    /// Subjects in the account's Inbox, as the store has them now.
    pub async fn inbox_subjects(&self, key: &str) -> Vec<String> {
        let key = key.to_string();
        self.store
            .call(move |s| {
                let a = s.account(&key)?;
                let Some(inbox) =
                    s.folders(a)?.into_iter().find(|f| f.role == Some(tidings_mail::store::Role::Inbox))
                else {
                    return Ok(Vec::new());
                };
                let rows = s.list(inbox.id, tidings_mail::store::Sort::NEWEST, 0, 10_000)?;
                Ok(rows.into_iter().filter_map(|r| r.summary.subject).collect())
            })
            .await
            .unwrap()
    }
}

/// Submits a message from `from` to `to` through the testkit's Postfix (submission with
/// STARTTLS and a login), as another mail client would.
pub async fn send_through_postfix(s: &MailServers, from: &User, to: &User, subject: &str) {
    let mut ep = Endpoint::new(s.host(), s.submission_port(), Security::StartTls);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    let t = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = smtp::open(&ep, &t, &mut facts).await.unwrap();
    let credential = Credential::password(&from.login, &from.password);
    let mut conn = smtp::login(lc, &ep, &credential, &facts).await.unwrap();
    let envelope = Envelope::new(Some(from.email.parse().unwrap()), vec![to.email.parse().unwrap()]).unwrap();
    let raw = format!(
        "From: {} <{}>\r\nTo: <{}>\r\nSubject: {subject}\r\nMessage-ID: <{}@example.test>\r\n\r\nhello\r\n",
        from.login,
        from.email,
        to.email,
        subject.replace(' ', "-")
    );
    conn.send(&envelope, raw.as_bytes()).await.unwrap();
    smtp::quit(conn, &t).await;
}
