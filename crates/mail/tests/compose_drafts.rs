//! Drafts in a real Dovecot's Drafts folder: each save replaces the previous copy (one copy,
//! the newest text, `\Draft`), and removing leaves none. Local drafts survive a "restart"
//! (a new `Drafts` on the same directory).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "send_common/mod.rs"]
mod send_common;

use send_common::{account, credential, fetch_folder, servers};
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::compose::{self, Address, Draft, Drafts};
use tidings_mail::net::Transcript;

#[tokio::test]
async fn saving_twice_keeps_one_copy_with_the_newest_text_and_removing_leaves_none() {
    let s = servers();
    let alice = s.user("alice").clone();
    let acc = account(&s, &alice, Security::StartTls);
    let dir = tempfile::tempdir().unwrap();
    let drafts = Drafts::at(dir.path().join("drafts"));

    let mut draft = Draft::new(&acc.id, Address::new(Some("Alice"), &alice.email));
    draft.to = "Bob <bob@example.test>, not-yet-an-addr".into();
    draft.bcc = "carol@example.test".into();
    draft.subject = "Plän, first version".into();
    draft.body = "first words\n".into();
    drafts.save(&mut draft).unwrap();
    let t = Transcript::new();
    let folder = compose::save_to_server(&acc, &credential(&alice), &t, &draft).await.unwrap();
    assert_eq!(folder, "Drafts");

    draft.subject = "Plän, second version".into();
    draft.body = "first words\nand more\n".into();
    drafts.save(&mut draft).unwrap();
    compose::save_to_server(&acc, &credential(&alice), &t, &draft).await.unwrap();

    let held = fetch_folder(&s, &alice, "Drafts").await;
    assert_eq!(held.len(), 1, "the previous copy was replaced");
    let (raw, flags) = &held[0];
    assert!(flags.iter().any(|f| f.contains("Draft")), "{flags:?}");
    let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
    assert_eq!(parsed.subject(), Some("Plän, second version"));
    assert_eq!(parsed.bcc().and_then(|b| b.first()).and_then(|a| a.address()), Some("carol@example.test"));
    assert_eq!(parsed.body_text(0).unwrap().replace("\r\n", "\n"), "first words\nand more\n");
    let text = t.render();
    assert!(!text.contains(&alice.password), "no password in the transcript");
    assert!(!text.contains("and more"), "no draft text in the transcript");

    // After a restart: the same draft, exactly as typed (the half-typed address too).
    let again = Drafts::at(dir.path().join("drafts")).list().unwrap();
    assert_eq!(again.drafts, vec![draft.clone()]);

    compose::remove_from_server(&acc, &credential(&alice), &t, &draft.id).await.unwrap();
    assert!(fetch_folder(&s, &alice, "Drafts").await.is_empty());
    drafts.remove(&draft.id).unwrap();
    assert!(drafts.list().unwrap().drafts.is_empty());
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_and_the_local_draft_stays() {
    let s = servers();
    let alice = s.user("alice").clone();
    let acc = account(&s, &alice, Security::StartTls);
    let dir = tempfile::tempdir().unwrap();
    let drafts = Drafts::at(dir.path());
    let mut draft = Draft::new(&acc.id, Address::email(&alice.email));
    draft.body = "keep me".into();
    drafts.save(&mut draft).unwrap();
    let e = compose::save_to_server(
        &acc,
        &Credential::password(&alice.login, "wrong"),
        &Transcript::new(),
        &draft,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), tidings_mail::Kind::Auth, "{e}");
    assert!(e.server_words().is_some(), "the server's words are kept: {e}");
    assert_eq!(drafts.load(&draft.id).unwrap().body, "keep me");
}

/// Sent or discarded while a save to the Drafts folder is under way: the removal waits for
/// that save and removes its copy too; a save asked for afterwards stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_under_way_when_the_draft_ends_leaves_no_copy_in_the_drafts_folder() {
    let s = servers();
    let alice = s.user("alice").clone();
    let acc = account(&s, &alice, Security::StartTls);
    let gate = compose::DraftGate::new();
    let mut draft = Draft::new(&acc.id, Address::new(Some("Alice"), &alice.email));
    draft.subject = "Sent while saving".into();
    draft.body = "words\n".into();
    // Large enough that the APPEND is still going when the removal is asked for.
    draft.attachments = vec![compose::Attachment::new(
        "big.bin",
        "application/octet-stream",
        (0..4_000_000u32).map(|i| (i % 251) as u8).collect(),
    )];

    let save = {
        let (gate, acc, credential, draft) = (gate.clone(), acc.clone(), credential(&alice), draft.clone());
        tokio::spawn(async move { gate.save_to_server(&acc, &credential, &Transcript::new(), &draft).await })
    };
    while !gate.server_busy() {
        assert!(!save.is_finished(), "the save finished before it was seen under way");
        tokio::task::yield_now().await;
    }
    gate.remove_from_server(&acc, &credential(&alice), &Transcript::new(), &draft.id, None).await.unwrap();
    assert_eq!(save.await.unwrap().unwrap().as_deref(), Some("Drafts"), "the save under way was stored");
    assert!(fetch_folder(&s, &alice, "Drafts").await.is_empty(), "its copy was removed after it landed");

    let later = gate.save_to_server(&acc, &credential(&alice), &Transcript::new(), &draft).await.unwrap();
    assert_eq!(later, None, "a save after the end stores nothing");
    assert!(fetch_folder(&s, &alice, "Drafts").await.is_empty());
}
