use super::*;
use crate::store::{MailAction, Sort};

fn raw(i: u32) -> Vec<u8> {
    format!("Subject: message {i}\r\nMessage-ID: <m{i}@example.test>\r\nFrom: A <a@example.test>\r\n\r\nbody {i}\r\n")
        .into_bytes()
}

/// A batch of messages held in memory.
fn batch(ids: impl IntoIterator<Item = u32>) -> Pop3Batch {
    let mut b = Pop3Batch::default();
    for i in ids {
        b.push(format!("uid{i}"), raw(i).len() as u64, &raw(i), false);
    }
    b
}

fn setup() -> (Store, AccountId, FolderId) {
    let mut s = Store::open_in_memory().unwrap();
    let a = s.account("pop").unwrap();
    let inbox = s.pop3_setup(a).unwrap();
    (s, a, inbox)
}

#[test]
fn local_folders_are_created_once_with_roles() {
    let (mut s, a, inbox) = setup();
    assert_eq!(s.pop3_setup(a).unwrap(), inbox);
    let folders = s.folders(a).unwrap();
    let roles: Vec<_> = folders.iter().map(|f| (f.name.as_str(), f.role, f.uidvalidity)).collect();
    assert_eq!(
        roles,
        [
            ("INBOX", Some(Role::Inbox), Some(LOCAL_UIDVALIDITY)),
            ("Drafts", Some(Role::Drafts), Some(LOCAL_UIDVALIDITY)),
            ("Sent", Some(Role::Sent), Some(LOCAL_UIDVALIDITY)),
            ("Trash", Some(Role::Trash), Some(LOCAL_UIDVALIDITY)),
        ]
    );
    assert!(s.is_local_account(a).unwrap());
    let imap = s.account("imap").unwrap();
    assert!(!s.is_local_account(imap).unwrap());
    // An IMAP account's folders are never mixed with local ones.
    let info = crate::store::FolderInfo {
        name: "INBOX".into(),
        delimiter: None,
        role: Some(Role::Inbox),
        subscribed: true,
        selectable: true,
    };
    s.replace_folders(imap, &[info]).unwrap();
    assert_eq!(s.pop3_setup(imap).unwrap_err().kind(), crate::error::Kind::Config);
}

#[test]
fn commits_store_rows_bodies_and_uids_and_repeat_as_duplicates() {
    let (mut s, a, inbox) = setup();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.part");
    std::fs::write(&file, raw(2)).unwrap();
    let mut b = batch([1]);
    b.push_file("uid2", raw(2).len() as u64, header_part(&raw(2)), file.clone());
    b.push("uid3", raw(3).len() as u64, header_part(&raw(3)), true);
    let c = s.pop3_commit(a, inbox, b, 1000).unwrap();
    assert_eq!((c.inserted, c.duplicates, c.uids.len()), (3, 0, 3));
    assert!(!file.exists(), "the spool file is gone once committed");
    let rows = s.list(inbox, Sort::NEWEST, 0, 10).unwrap();
    assert_eq!(rows.len(), 3);
    let m2 = rows.iter().find(|r| r.summary.message_id.as_deref() == Some("m2@example.test")).unwrap();
    assert!(m2.unread && m2.has_body);
    assert_eq!(s.body(inbox, LOCAL_UIDVALIDITY, m2.uid).unwrap(), Some(raw(2)));
    let m3 = rows.iter().find(|r| r.summary.subject.as_deref() == Some("message 3")).unwrap();
    assert!(!m3.has_body, "headers only");
    let seen = s.pop3_seen(a).unwrap();
    assert_eq!(seen["uid3"].state, SeenState::Partial);
    assert_eq!(seen["uid1"].state, SeenState::Downloaded);
    assert_eq!(seen["uid1"].first_seen, 1000);

    // The same download again (a pass killed after its commit): nothing new.
    let c = s.pop3_commit(a, inbox, batch([1]), 2000).unwrap();
    assert_eq!((c.inserted, c.duplicates, c.uids), (0, 1, vec!["uid1".to_string()]));
    assert_eq!(s.counts(inbox).unwrap().total, 3);

    // Completing the partial one.
    assert!(s.pop3_complete(a, "uid3", &raw(3)).unwrap());
    assert_eq!(s.pop3_seen(a).unwrap()["uid3"].state, SeenState::Downloaded);
    assert_eq!(s.body(inbox, LOCAL_UIDVALIDITY, m3.uid).unwrap(), Some(raw(3)));
    // UIDs are never reused, and the connection is back to NORMAL sync after a commit.
    assert_eq!(s.folder(a, "INBOX").unwrap().unwrap().uidnext, Some(4));
    let sync: i64 = s.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!(sync, 1, "NORMAL");
    let cache: i64 = s.conn().query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap();
    assert_eq!(cache, -2000, "the default page cache is back");
    s.check_integrity().unwrap();
}

#[test]
fn skipped_messages_keep_their_first_seen_time_when_downloaded_later() {
    let (mut s, a, inbox) = setup();
    s.pop3_skipped(a, &[("uid1".into(), 9999, "larger than 1 KB".into())], 500).unwrap();
    let seen = s.pop3_seen(a).unwrap();
    assert_eq!(
        (seen["uid1"].state, seen["uid1"].skip_reason.as_deref()),
        (SeenState::Skipped, Some("larger than 1 KB"))
    );
    s.pop3_commit(a, inbox, batch([1]), 900).unwrap();
    let seen = s.pop3_seen(a).unwrap();
    assert_eq!((seen["uid1"].state, seen["uid1"].first_seen), (SeenState::Downloaded, 500));
    assert_eq!(seen["uid1"].skip_reason, None);
}

#[test]
fn deleting_here_marks_the_uid_and_undeleting_clears_it() {
    let (mut s, a, inbox) = setup();
    s.pop3_commit(a, inbox, batch(1..=3), 1000).unwrap();
    let trash = s.folder(a, "Trash").unwrap().unwrap().id;
    let uid_of = |s: &Store, f: FolderId, id: &str| {
        s.list(f, Sort::NEWEST, 0, 10)
            .unwrap()
            .into_iter()
            .find(|r| r.summary.message_id.as_deref() == Some(id))
            .map(|r| r.uid)
    };
    let one = uid_of(&s, inbox, "m1@example.test").unwrap();
    s.apply_local(a, &MailAction::Delete { folder: inbox, uids: vec![one] }).unwrap();
    let in_trash = uid_of(&s, trash, "m1@example.test").expect("moved to Trash");
    assert!(s.body(trash, LOCAL_UIDVALIDITY, in_trash).unwrap().is_some(), "with its body");
    assert!(s.pop3_seen(a).unwrap()["uid1"].deleted_locally);
    s.apply_local(a, &MailAction::Move { folder: trash, uids: vec![in_trash], to: inbox }).unwrap();
    assert!(!s.pop3_seen(a).unwrap()["uid1"].deleted_locally, "restored");

    // Deleted in Trash: gone for good, still marked.
    let two = uid_of(&s, inbox, "m2@example.test").unwrap();
    s.apply_local(a, &MailAction::Delete { folder: inbox, uids: vec![two] }).unwrap();
    let two = uid_of(&s, trash, "m2@example.test").unwrap();
    s.apply_local(a, &MailAction::Delete { folder: trash, uids: vec![two] }).unwrap();
    let seen = s.pop3_seen(a).unwrap();
    assert!(seen["uid2"].deleted_locally && seen["uid2"].message.is_none());
    assert_eq!(uid_of(&s, trash, "m2@example.test"), None);

    // Any other path that removes the row (the IMAP-style queue) marks it too.
    let three = uid_of(&s, inbox, "m3@example.test").unwrap();
    s.conn().execute("DELETE FROM messages WHERE folder = ?1 AND uid = ?2", params![inbox.0, three]).unwrap();
    assert!(s.pop3_seen(a).unwrap()["uid3"].deleted_locally);

    s.pop3_finish_pass(a, &["uid2".to_string()], 5000).unwrap();
    assert_eq!(s.pop3_seen(a).unwrap()["uid2"].deleted_on_server, Some(5000));
    s.check_integrity().unwrap();
}

#[test]
fn flags_copies_and_folders_apply_locally_without_a_queue() {
    let (mut s, a, inbox) = setup();
    s.pop3_commit(a, inbox, batch([1]), 1000).unwrap();
    let uid = s.list(inbox, Sort::NEWEST, 0, 1).unwrap()[0].uid;
    s.apply_local(a, &MailAction::MarkRead { folder: inbox, uids: vec![uid], read: true }).unwrap();
    s.apply_local(a, &MailAction::Flag { folder: inbox, uids: vec![uid], flagged: true }).unwrap();
    let m = s.message(inbox, uid).unwrap().unwrap();
    assert!(!m.unread && m.flagged);
    s.apply_local(a, &MailAction::CreateFolder { parent: None, name: "Keep".into() }).unwrap();
    let keep = s.folder(a, "Keep").unwrap().unwrap().id;
    s.apply_local(a, &MailAction::Copy { folder: inbox, uids: vec![uid], to: keep }).unwrap();
    assert_eq!(s.counts(keep).unwrap().total, 1);
    assert_eq!(s.counts(inbox).unwrap().total, 1);
    assert!(s.pending_actions(a).unwrap().is_empty(), "nothing waits for a server");
    let e = s.apply_local(a, &MailAction::DeleteFolder { folder: inbox }).unwrap_err();
    assert_eq!(e.kind(), crate::error::Kind::Config);
    s.apply_local(a, &MailAction::DeleteFolder { folder: keep }).unwrap();
    assert!(!s.pop3_seen(a).unwrap()["uid1"].deleted_locally, "the copy was not the downloaded message");
}
