//! What the user does to a POP3 account's mail goes through the store's one entry point
//! (`Store::queue_action`, the GUI's path) and is applied to the local folders at once,
//! never queued for an IMAP replay; a deletion then removes exactly that message from the
//! server on the next pass when "delete from the server when deleted here" is on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;

use pop3_common::*;
use tidings_mail::account::Security;
use tidings_mail::net::Transcript;
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::{self, Reason};
use tidings_mail::store::{MailAction, Sort, StoreHandle};

fn servers() -> tidings_testkit::MailServers {
    tidings_testkit::MailServers::start()
        .unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

/// The local UID of seeded message `i` in `folder`.
async fn local_uid(st: &StoreHandle, folder: &str, i: usize) -> u32 {
    let f = folder_id(st, folder).await;
    let id = seeded_id(i);
    st.call(move |s| {
        let rows = s.list(f, Sort::NEWEST, 0, 1000)?;
        Ok(rows.into_iter().find(|r| r.summary.message_id.as_deref() == Some(id.as_str())).map(|r| r.uid))
    })
    .await
    .unwrap()
    .unwrap_or_else(|| panic!("message {i} is not in {folder}"))
}

async fn folder_id(st: &StoreHandle, name: &str) -> tidings_mail::store::FolderId {
    folder(st, name).await.id
}

/// Applies `action` the way the GUI does, and returns how many changes wait for a server.
async fn act(st: &StoreHandle, action: MailAction) -> usize {
    st.call(move |s| {
        let a = s.account(KEY)?;
        s.queue_action(a, &action)?;
        Ok(s.pending_actions(a)?.len())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn deleting_through_the_action_entry_point_deletes_exactly_that_message_on_the_server() {
    let s = servers();
    let u = s.user("alice");
    s.seed(u, 6).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let t = target(&s, u, Security::Implicit);
    let opts = Pop3Options { delete_when_deleted_locally: true, ..Pop3Options::default() };
    receive(&t, &opts, &st, day(0)).await;
    let (inbox, trash) = (folder_id(&st, "INBOX").await, folder_id(&st, "Trash").await);

    // Read, flag, delete to Trash: applied here, nothing queued for a server.
    let two = local_uid(&st, "INBOX", 2).await;
    assert_eq!(act(&st, MailAction::MarkRead { folder: inbox, uids: vec![two], read: true }).await, 0);
    assert_eq!(act(&st, MailAction::Flag { folder: inbox, uids: vec![two], flagged: true }).await, 0);
    let rows = st.call(move |s| s.list(inbox, Sort::NEWEST, 0, 10)).await.unwrap();
    let row = rows.iter().find(|r| r.uid == two).unwrap();
    assert!(!row.unread && row.flagged);
    assert_eq!(act(&st, MailAction::Delete { folder: inbox, uids: vec![two] }).await, 0);
    let four = local_uid(&st, "INBOX", 4).await;
    assert_eq!(act(&st, MailAction::Delete { folder: inbox, uids: vec![four] }).await, 0);
    // Message 4 is taken back out of Trash: no longer "deleted here".
    let four_in_trash = local_uid(&st, "Trash", 4).await;
    assert_eq!(act(&st, MailAction::Move { folder: trash, uids: vec![four_in_trash], to: inbox }).await, 0);
    // Message 2 is deleted for good from Trash.
    let two_in_trash = local_uid(&st, "Trash", 2).await;
    assert_eq!(act(&st, MailAction::Delete { folder: trash, uids: vec![two_in_trash] }).await, 0);
    assert_eq!(inbox_ids(&st).await.len(), 5);
    assert_eq!(st.call(move |s| s.counts(trash)).await.unwrap().total, 0);

    let seen = seen(&st).await;
    let marked: Vec<&String> = seen.values().filter(|v| v.deleted_locally).map(|v| &v.uid).collect();
    assert_eq!(marked.len(), 1, "{seen:#?}");
    let gone = marked[0].clone();

    // The dry run says so, and the pass does exactly that.
    let plan = pop3::plan(&t, &opts, &st, day(1), &Transcript::new()).await.unwrap();
    let deletes: Vec<_> = plan.delete.iter().map(|d| (d.uid.clone(), d.reason.clone())).collect();
    assert_eq!(deletes, [(Some(gone.clone()), Reason::DeletedLocally)]);
    let r = receive(&t, &opts, &st, day(1)).await;
    assert_eq!(r.deleted.len(), 1);
    let left = server_uids(&s, u).await;
    assert_eq!(left.len(), 5);
    assert!(!left.contains(&gone));
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 5);
    // Nothing downloaded twice, nothing more deleted the next time.
    let r = receive(&t, &opts, &st, day(2)).await;
    assert_eq!((r.downloaded, r.deleted.len()), (0, 0));
}

#[tokio::test]
async fn without_the_option_a_local_deletion_leaves_the_server_alone() {
    let s = servers();
    let u = s.user("bob");
    s.seed(u, 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let t = target(&s, u, Security::StartTls);
    let opts = Pop3Options::default();
    assert!(!opts.delete_when_deleted_locally);
    receive(&t, &opts, &st, day(0)).await;
    let inbox = folder_id(&st, "INBOX").await;
    let one = local_uid(&st, "INBOX", 1).await;
    assert_eq!(act(&st, MailAction::Delete { folder: inbox, uids: vec![one] }).await, 0);
    let r = receive(&t, &opts, &st, day(1)).await;
    assert_eq!((r.downloaded, r.deleted.len()), (0, 0), "not downloaded again either");
    assert_eq!(s.message_count(u, "INBOX").unwrap(), 3);
}
