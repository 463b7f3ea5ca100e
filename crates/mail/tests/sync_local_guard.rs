//! An account whose mail lives in local folders (POP3) is never synced over IMAP, whichever
//! way in: every public entry of the sync engine, and push, refuse it with a config error
//! before opening a connection — even with working IMAP credentials for the same key — and
//! the local folders are left as they were.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::error::Kind;
use tidings_mail::idle::IdleConfig;
use tidings_mail::net::Transcript;
use tidings_mail::options::IdleFolders;
use tidings_mail::store::{Store, StoreHandle};
use tidings_mail::sync::push::{PushEvent, push, push_account};
use tidings_mail::sync::{Engine, no_progress};

#[tokio::test]
async fn a_local_account_is_refused_by_every_way_into_sync() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    let mut setup = Store::open(&path).unwrap();
    let account = setup.account("alice").unwrap();
    setup.pop3_setup(account).unwrap();
    let before = setup.folders(account).unwrap();
    drop(setup);

    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
    let engine = || {
        Engine::with_endpoint(
            "alice",
            ep.clone(),
            alice.login.clone(),
            alice.password.clone(),
            store.clone(),
            Transcript::new(),
        )
    };
    let refused = |what: &str, e: tidings_mail::Error| {
        assert_eq!(e.kind(), Kind::Config, "{what}: {e}");
        assert!(e.message().contains("local folders"), "{what}: {e}");
    };

    let mut e = engine();
    refused("sync_account", e.sync_account(&no_progress).await.unwrap_err());
    refused("sync_folder", e.sync_folder("INBOX", &no_progress).await.unwrap_err());
    refused("refresh_folders", e.refresh_folders(&no_progress).await.unwrap_err());
    refused("fetch_body", e.fetch_body("INBOX", 1).await.unwrap_err());
    refused("replay_actions", e.replay_actions().await.unwrap_err());
    refused("folder_status", e.folder_status("INBOX").await.unwrap_err());
    refused("sync_if_changed", e.sync_if_changed("INBOX").await.unwrap_err());
    assert_eq!(e.connections(), 0, "no connection was opened");

    // Push for the account: one failure, then it ends.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = IdleConfig::default();
    let (user, password) = (alice.login.clone(), alice.password.clone());
    let run = push_account(
        engine(),
        ep.clone(),
        Credential::password(user.clone(), password.clone()),
        cfg.clone(),
        IdleFolders::Special,
        tx,
    );
    tokio::time::timeout(Duration::from_secs(10), run).await.expect("push_account ended");
    match rx.recv().await {
        Some(PushEvent::Failed(m)) => assert!(m.contains("local folders"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Single-folder push: the same, before its watcher connects.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = push(engine(), ep, Credential::password(user, password), cfg, tx);
    tokio::time::timeout(Duration::from_secs(10), run).await.expect("push ended");
    match rx.recv().await {
        Some(PushEvent::Failed(m)) => assert!(m.contains("local folders"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(rx.recv().await.is_none(), "nothing else: no watcher state, no sync");

    let after = Store::open(&path).unwrap();
    assert_eq!(after.folders(account).unwrap(), before, "the local folders are untouched");
    assert!(after.is_local_account(account).unwrap());
    // And the store itself refuses a server's folder list for it.
    let mut direct = Store::open(&path).unwrap();
    let e = direct.replace_folders(account, &[]).unwrap_err();
    assert_eq!(e.kind(), Kind::Config, "{e}");
}
