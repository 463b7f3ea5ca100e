//! A draft's copy in the Drafts folder whose removal failed (the message was sent or
//! discarded while the server could not be reached) is removed by the account's next pass,
//! against the testkit's Dovecot; the record goes with it. Copies of other drafts stay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pass_common;

use pass_common::{account, new_store, servers, start_on};
use tidings_mail::account::{Incoming, SecretRole};
use tidings_mail::auth::Credential;
use tidings_mail::compose::{Address, Draft, save_to_server};
use tidings_mail::net::Transcript;
use tidings_mail::pass::RunSettings;
use tidings_mail::secret::Secrets;

#[tokio::test]
async fn a_draft_copy_left_on_the_server_is_removed_by_the_next_pass() {
    let s = servers();
    let alice = s.user("alice");
    let account = account(&s, alice, Incoming::Imap, s.imaps_port());
    let secrets = Secrets::in_memory();
    secrets.set(&account.id, SecretRole::Incoming, &alice.password).unwrap();

    // Two drafts in alice's Drafts folder, as the composer stores them.
    let draft = |subject: &str| {
        let mut d = Draft::new(&account.id, Address::email(&alice.email));
        d.subject = subject.into();
        d
    };
    let (gone, kept) = (draft("sent while offline"), draft("still being written"));
    for d in [&gone, &kept] {
        save_to_server(&account, &Credential::password(&alice.login, &alice.password), &Transcript::new(), d)
            .await
            .unwrap();
    }
    assert_eq!(s.message_count(alice, "Drafts").unwrap(), 2);

    // The first one's removal failed when its message was sent (as the composer records it).
    let st = new_store();
    let (key, id) = (account.id.clone(), gone.id.clone());
    st.store
        .call(move |s| {
            s.account(&key)?;
            s.draft_removal_failed(&key, &id, "connection refused")
        })
        .await
        .unwrap();

    let mut run = start_on(st, account.clone(), secrets, RunSettings::default());
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();
    assert_eq!(s.message_count(alice, "Drafts").unwrap(), 1, "only the sent draft's copy went");
    let key = account.id.clone();
    assert!(run.store.call(move |s| s.draft_removals(&key)).await.unwrap().is_empty(), "record gone");
    let log = run.log_without(&alice.password);
    assert!(log.contains("STORE") && log.contains("Drafts"), "{log}");
}

#[tokio::test]
async fn a_wrong_password_costs_one_attempt_per_pass_not_one_per_draft() {
    let s = servers();
    let alice = s.user("alice");
    let account = account(&s, alice, Incoming::Imap, s.imaps_port());
    let secrets = Secrets::in_memory();
    secrets.set(&account.id, SecretRole::Incoming, "not-the-password").unwrap();
    let st = new_store();
    for id in ["first", "second", "third"] {
        let key = account.id.clone();
        st.store
            .call(move |s| {
                s.account(&key)?;
                s.draft_removal_failed(&key, id, "connection refused")
            })
            .await
            .unwrap();
    }
    let path = st.path.clone();
    let mut run = start_on(st, account.clone(), secrets, RunSettings::default());
    let mut seen = Vec::new();
    let error = run.next_pass_end(30, &mut seen).await.expect_err("the receive fails");
    assert!(!error.is_empty());
    drop(run.commands);
    run.task.await.unwrap();
    // The pass's receive failed to log in (not a network failure): the removals were tried,
    // and the first failure ended the round.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = conn.prepare("SELECT draft_id, attempts FROM draft_removals ORDER BY draft_id").unwrap();
    let rows: Vec<(String, u32)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    let tried: u32 = rows.iter().map(|(_, n)| n - 1).sum();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(tried, 1, "one removal tried, then the round stopped: {rows:?}");
}
