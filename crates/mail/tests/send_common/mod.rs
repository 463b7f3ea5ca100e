//! Helpers of the sending tests: alice's account on the testkit (IMAP over TLS, submission
//! with STARTTLS or implicit TLS), a store on disk, and what a mailbox holds, read over IMAP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::auth::{Credential, Credentials};
use tidings_mail::check::SessionFacts;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::outbox::{self, OutboxItem, Outgoing};
use tidings_mail::send::{FlushReport, SendProgress, flush_outbox};
use tidings_mail::store::{Store, StoreHandle};
use tidings_testkit::{MailServers, User};

pub fn servers() -> MailServers {
    MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

fn server(host: &str, port: u16, security: Security, user: &str, ca: &Path) -> Server {
    Server {
        host: host.into(),
        port,
        security,
        user: user.into(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(ca.to_path_buf()), pinned_sha256: None },
    }
}

/// `user`'s IMAP account, sending through submission with `security` (STARTTLS: the
/// 587-style port; implicit: the 465-style one).
pub fn account(s: &MailServers, user: &User, security: Security) -> Account {
    let port = if security == Security::Implicit { s.submissions_port() } else { s.submission_port() };
    Account::new(
        format!("{}-account", user.login),
        user.login.clone(),
        user.email.clone(),
        Incoming::Imap,
        server(s.host(), s.imaps_port(), Security::Implicit, &user.login, s.ca_path()),
        server(s.host(), port, security, &user.login, s.ca_path()),
    )
}

pub fn passwords(user: &User) -> Credentials {
    Credentials { incoming: credential(user), outgoing: credential(user) }
}

pub fn credential(user: &User) -> Credential {
    Credential::password(&user.login, &user.password)
}

pub fn store(dir: &Path) -> StoreHandle {
    StoreHandle::spawn(Store::open(dir.join("store.sqlite3")).unwrap()).unwrap()
}

pub fn endpoint(s: &MailServers, port: u16, security: Security) -> Endpoint {
    let mut ep = Endpoint::new(s.host(), port, security);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    ep
}

/// A message with `subject`, some text and an attachment of `attachment` bytes.
pub fn message(from: &User, to: &str, subject: &str, attachment: &[u8]) -> Outgoing {
    use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
    let m = lettre::Message::builder()
        .from(from.email.parse().unwrap())
        .to(to.parse().unwrap())
        .subject(subject)
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("Hello Bob,\n.a line with a leading dot\nbye\n".to_string()))
                .singlepart(
                    Attachment::new("data.bin".into())
                        .body(attachment.to_vec(), ContentType::parse("application/octet-stream").unwrap()),
                ),
        )
        .unwrap();
    Outgoing::from_message(&m.formatted(), &from.email).unwrap()
}

/// Every byte value, then a pseudo-random tail: `n` bytes.
pub fn binary(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|i| {
            if i < 256 {
                i as u8
            } else {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }
        })
        .collect()
}

pub async fn enqueue(st: &StoreHandle, account: &Account, m: Outgoing) -> OutboxItem {
    outbox::enqueue(st, &account.id, m).await.unwrap()
}

pub async fn flush(st: &StoreHandle, account: &Account, passwords: &Credentials) -> FlushReport {
    let progress = |_: &SendProgress| {};
    flush_outbox(st, account, passwords, &Transcript::new(), &progress).await.unwrap()
}

pub async fn outbox_of(st: &StoreHandle, account: &Account) -> Vec<OutboxItem> {
    outbox::list(st, Some(&account.id)).await.unwrap()
}

/// Every message of `folder` as (raw bytes, flags), over IMAP.
pub async fn fetch_folder(s: &MailServers, user: &User, folder: &str) -> Vec<(Vec<u8>, Vec<String>)> {
    let ep = endpoint(s, s.imaps_port(), Security::Implicit);
    let t = Transcript::new();
    let mut facts = SessionFacts::default();
    let lc = tidings_mail::imap::open(&ep, &t, &mut facts).await.unwrap();
    let mut session = tidings_mail::imap::login(lc, &ep, &credential(user), &mut facts).await.unwrap();
    let mailbox = session.select(folder).await.unwrap();
    let mut out = Vec::new();
    if mailbox.exists > 0 {
        let fetched: Vec<_> =
            session.fetch("1:*", "(FLAGS BODY.PEEK[])").await.unwrap().try_collect().await.unwrap();
        for f in fetched {
            let flags = f.flags().map(|fl| format!("{fl:?}")).collect();
            out.push((f.body().unwrap_or_default().to_vec(), flags));
        }
    }
    let _ = session.logout().await;
    out
}

/// How many copies of each Message-ID `folder` holds.
pub async fn message_ids(s: &MailServers, user: &User, folder: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (raw, _) in fetch_folder(s, user, folder).await {
        let parsed = mail_parser::MessageParser::new().parse_headers(&raw).unwrap();
        let id = parsed.message_id().map(|i| format!("<{i}>")).unwrap_or_default();
        *out.entry(id).or_insert(0) += 1;
    }
    out
}

/// Waits until `folder` holds at least `n` messages (delivery through Postfix and LMTP
/// takes a moment) and Postfix's queue is empty: then nothing else is on its way (a doubled
/// message would be delivered or still queued by now), and the count is final.
pub fn wait_for(s: &MailServers, user: &User, folder: &str, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && s.message_count(user, folder).unwrap_or(0) < n {
        std::thread::sleep(Duration::from_millis(50));
    }
    s.wait_queue_empty(Duration::from_secs(20)).unwrap_or_else(|e| panic!("{e}"));
    s.message_count(user, folder).unwrap_or_else(|e| panic!("cannot count {folder}: {e}"))
}
