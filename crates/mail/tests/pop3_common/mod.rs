//! Helpers of the POP3 tests: a target on the testkit's Dovecot, a store on disk, and what
//! the server and the local Inbox hold.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::pop3::{Pop3, Pop3Report, Pop3Target, no_progress};
use tidings_mail::store::{Folder, LOCAL_UIDVALIDITY, Sort, Store, StoreHandle};
use tidings_testkit::{MailServers, User};

pub const KEY: &str = "pop-account";

pub fn endpoint(s: &MailServers, port: u16, security: Security) -> Endpoint {
    let mut ep = Endpoint::new(s.host(), port, security);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    ep
}

/// Implicit TLS (the 995-style port) or plain + STLS.
pub fn target(s: &MailServers, user: &User, security: Security) -> Pop3Target {
    let port = if security == Security::Implicit { s.pop3s_port() } else { s.pop3_port() };
    Pop3Target::new(KEY, endpoint(s, port, security), &user.login, &user.password)
}

pub fn store(dir: &Path) -> StoreHandle {
    StoreHandle::spawn(Store::open(dir.join("store.sqlite3")).unwrap()).unwrap()
}

/// The injected clock: `days` after a fixed day.
pub fn day(days: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000 + days * 86_400)
}

pub async fn receive(
    t: &Pop3Target,
    o: &tidings_mail::options::Pop3Options,
    st: &StoreHandle,
    now: SystemTime,
) -> Pop3Report {
    let r = tidings_mail::pop3::receive(t, o, st, now, &Transcript::new(), &no_progress).await.unwrap();
    assert!(r.error.is_none(), "{:?}", r.error);
    r
}

/// The local folder `name` of the test account.
pub async fn folder(st: &StoreHandle, name: &str) -> Folder {
    let name = name.to_string();
    st.call(move |s| {
        let a = s.account(KEY)?;
        Ok(s.folder(a, &name)?.expect("the local folder exists"))
    })
    .await
    .unwrap()
}

/// Message-IDs in the local Inbox, sorted (duplicates kept, so they show).
pub async fn inbox_ids(st: &StoreHandle) -> Vec<String> {
    let inbox = folder(st, "INBOX").await.id;
    let rows = st.call(move |s| s.list(inbox, Sort::NEWEST, 0, u64::MAX >> 1)).await.unwrap();
    let mut ids: Vec<String> = rows.into_iter().map(|r| r.summary.message_id.unwrap_or_default()).collect();
    ids.sort();
    ids
}

/// The stored raw message with Message-ID `id` in the local Inbox.
pub async fn inbox_body(st: &StoreHandle, id: &str) -> Option<Vec<u8>> {
    let inbox = folder(st, "INBOX").await.id;
    let id = id.to_string();
    st.call(move |s| {
        let rows = s.list(inbox, Sort::NEWEST, 0, 1 << 40)?;
        match rows.into_iter().find(|r| r.summary.message_id.as_deref() == Some(id.as_str())) {
            Some(r) => s.body(inbox, LOCAL_UIDVALIDITY, r.uid),
            None => Ok(None),
        }
    })
    .await
    .unwrap()
}

/// The server's UIDL list, in a session of its own.
pub async fn server_uids(s: &MailServers, user: &User) -> Vec<String> {
    let ep = endpoint(s, s.pop3s_port(), Security::Implicit);
    let mut facts = SessionFacts::default();
    let mut p = Pop3::open(&ep, &Transcript::new(), &mut facts).await.unwrap();
    p.login(&Credential::password(&user.login, &user.password), &facts).await.unwrap();
    let uids = p.uidl().await.unwrap().into_iter().map(|(_, u)| u).collect();
    p.quit().await.unwrap();
    uids
}

/// Message-ID of seeded message `i`.
pub fn seeded_id(i: usize) -> String {
    format!("testkit.{i}@example.test")
}

/// The seen-UID list of the test account.
pub async fn seen(st: &StoreHandle) -> std::collections::HashMap<String, tidings_mail::store::SeenUid> {
    st.call(|s| {
        let a = s.account(KEY)?;
        s.pop3_seen(a)
    })
    .await
    .unwrap()
}
