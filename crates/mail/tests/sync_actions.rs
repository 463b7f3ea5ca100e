//! Changes made in Tidings are applied locally at once, recorded, and replayed to the real
//! server by the next sync: read, flag, delete to Trash, move, expunge in Trash, a refused
//! folder rename. A second IMAP client checks what the server holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::account::Security;
use tidings_mail::net::Transcript;
use tidings_mail::store::{Folder, MailAction, Role, ServerOp, Sort, Store, StoreHandle};
use tidings_mail::sync::{Engine, no_progress};

fn role(folders: &[Folder], role: Role) -> &Folder {
    folders.iter().find(|f| f.role == Some(role)).unwrap_or_else(|| panic!("no {role:?} folder"))
}

#[tokio::test]
async fn local_changes_reach_the_server_on_the_next_sync() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 20).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let engine = || {
        let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
        Engine::with_endpoint(
            "alice",
            ep,
            alice.login.clone(),
            alice.password.clone(),
            store.clone(),
            Transcript::new(),
        )
    };
    let first = engine().sync_account(&no_progress).await.unwrap();
    assert!(first.ok(), "{first:?}");

    let mut reader = Store::open(&path).unwrap();
    let account = reader.account("alice").unwrap();
    let folders = reader.folders(account).unwrap();
    let (inbox, trash, archive) =
        (role(&folders, Role::Inbox), role(&folders, Role::Trash), role(&folders, Role::Archive));
    let rows = reader.list(inbox.id, Sort::NEWEST, 0, 100).unwrap();
    let unread = rows.iter().find(|r| r.unread).unwrap().uid;
    let plain = rows.iter().find(|r| !r.flagged && r.uid != unread).unwrap().uid;
    let (to_trash, to_archive) = (rows[rows.len() - 1].uid, rows[rows.len() - 2].uid);
    assert!(![unread, plain].contains(&to_trash) && ![unread, plain].contains(&to_archive));

    reader
        .queue_action(account, &MailAction::MarkRead { folder: inbox.id, uids: vec![unread], read: true })
        .unwrap();
    reader
        .queue_action(account, &MailAction::Flag { folder: inbox.id, uids: vec![plain], flagged: true })
        .unwrap();
    reader.queue_action(account, &MailAction::Delete { folder: inbox.id, uids: vec![to_trash] }).unwrap();
    reader
        .queue_action(account, &MailAction::Move { folder: inbox.id, uids: vec![to_archive], to: archive.id })
        .unwrap();

    // Locally at once.
    assert!(!reader.message(inbox.id, unread).unwrap().unwrap().unread);
    assert!(reader.message(inbox.id, plain).unwrap().unwrap().flagged);
    assert!(reader.message(inbox.id, to_trash).unwrap().is_none());
    assert!(reader.message(inbox.id, to_archive).unwrap().is_none());
    let pending = reader.pending_actions(account).unwrap();
    assert_eq!(pending.len(), 4);
    assert!(matches!(&pending[2].op, ServerOp::Move { to, .. } if *to == trash.name), "{pending:?}");

    // Replayed first by the next sync; the server agrees.
    let report = engine().sync_account(&no_progress).await.unwrap();
    assert_eq!(report.actions_replayed, 4, "{report:?}");
    assert!(reader.pending_actions(account).unwrap().is_empty());
    assert_eq!(s.message_count(alice, "INBOX").unwrap(), 18);
    assert_eq!(s.message_count(alice, "Trash").unwrap(), 1);
    assert_eq!(s.message_count(alice, "Archive").unwrap(), 1);
    let flags = s
        .doveadm(&["fetch", "-u", &alice.login, "flags", "mailbox", "INBOX", "uid", &unread.to_string()])
        .unwrap();
    assert!(flags.contains("\\Seen"), "{flags}");
    let flags = s
        .doveadm(&["fetch", "-u", &alice.login, "flags", "mailbox", "INBOX", "uid", &plain.to_string()])
        .unwrap();
    assert!(flags.contains("\\Flagged"), "{flags}");
    // The sync kept the local changes (the server's answer agreed with them).
    assert!(!reader.message(inbox.id, unread).unwrap().unwrap().unread);

    // Deleting in Trash expunges.
    let folders = reader.folders(account).unwrap();
    let trash = role(&folders, Role::Trash);
    let in_trash = reader.list(trash.id, Sort::NEWEST, 0, 10).unwrap();
    assert_eq!(in_trash.len(), 1);
    reader
        .queue_action(account, &MailAction::Delete { folder: trash.id, uids: vec![in_trash[0].uid] })
        .unwrap();
    assert!(matches!(reader.pending_actions(account).unwrap()[0].op, ServerOp::Expunge { .. }));
    // A rename the server must refuse: onto a folder another client made meanwhile (one the
    // store knows of is refused before it is recorded).
    let junk = role(&folders, Role::Junk);
    assert!(
        reader
            .queue_action(account, &MailAction::RenameFolder { folder: junk.id, to: "Archive".into() })
            .is_err()
    );
    s.doveadm(&["mailbox", "create", "-u", &alice.login, "Spam"]).unwrap();
    reader.queue_action(account, &MailAction::RenameFolder { folder: junk.id, to: "Spam".into() }).unwrap();
    let report = engine().sync_account(&no_progress).await.unwrap();
    assert_eq!(report.actions_replayed, 1, "{report:?}");
    assert_eq!(report.actions_refused.len(), 1, "{report:?}");
    assert!(report.actions_refused[0].contains("rename the folder"), "{:?}", report.actions_refused);
    assert_eq!(s.message_count(alice, "Trash").unwrap(), 0);
    assert!(reader.pending_actions(account).unwrap().is_empty());
}

#[tokio::test]
async fn a_change_survives_a_failed_replay() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 5).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
    let mut e = Engine::with_endpoint(
        "alice",
        ep,
        alice.login.clone(),
        alice.password.clone(),
        store.clone(),
        Transcript::new(),
    );
    e.sync_account(&no_progress).await.unwrap();
    let mut reader = Store::open(&path).unwrap();
    let account = reader.account("alice").unwrap();
    let inbox = reader.folders(account).unwrap().into_iter().find(|f| f.role == Some(Role::Inbox)).unwrap();
    let uid = reader.list(inbox.id, Sort::NEWEST, 0, 1).unwrap()[0].uid;
    reader
        .queue_action(account, &MailAction::Flag { folder: inbox.id, uids: vec![uid], flagged: true })
        .unwrap();

    // The server is unreachable: the sync fails, the change stays recorded.
    let mut bad = common::endpoint(&s, 1, Security::Implicit);
    bad.timeouts.connect = std::time::Duration::from_secs(2);
    let mut offline = Engine::with_endpoint(
        "alice",
        bad,
        alice.login.clone(),
        alice.password.clone(),
        store.clone(),
        Transcript::new(),
    );
    assert!(offline.sync_account(&no_progress).await.is_err());
    assert_eq!(reader.pending_actions(account).unwrap().len(), 1);
    assert!(reader.message(inbox.id, uid).unwrap().unwrap().flagged);
}
