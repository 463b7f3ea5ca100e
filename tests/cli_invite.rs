//! Invitations end to end, the real binary against the testkit's Postfix and Dovecot
//! (passwords in a real Secret Service: run under `scripts/with-keyring`): bob sends alice
//! an Exchange-shaped invitation through Postfix; alice's `tidings sync` and `message show`
//! read it; `tidings invite reply … accept` sends the iTIP REPLY; her card then says "You
//! accepted"; bob's next sync has the REPLY, whose PARTSTAT for alice is ACCEPTED with the
//! invitation's UID and SEQUENCE.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use cli_common::{json, need_keyring, servers, text};
use tidings_testkit::generate::{CalendarShape, Invite, invitation_message};
use tidings_testkit::{MailServers, User};

fn tidings(profile: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    cli_common::run(profile, args, stdin)
}

/// An IMAP account `name` for `user` (TLS), sending through submission with STARTTLS.
fn add_account(s: &MailServers, profile: &Path, name: &str, user: &User) {
    let (imaps, sub) = (s.imaps_port().to_string(), s.submission_port().to_string());
    let args = [
        "account",
        "add",
        "--name",
        name,
        "--email",
        &user.email,
        "--incoming",
        "imap",
        "--host",
        "127.0.0.1",
        "--port",
        &imaps,
        "--tls",
        "implicit",
        "--user",
        &user.login,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &sub,
        "--smtp-tls",
        "starttls",
        "--ca-file",
        s.ca_path().to_str().unwrap(),
        "--password-stdin",
    ];
    let out = tidings(profile, &args, Some(format!("{}\n", user.password).as_bytes()));
    assert!(out.status.success(), "{}", text(&out));
}

/// Waits until `user`'s INBOX holds at least `n` messages.
fn wait_for(s: &MailServers, user: &User, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && s.message_count(user, "INBOX").unwrap_or(0) < n {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(s.message_count(user, "INBOX").unwrap_or(0) >= n, "{} never got {n} messages", user.email);
}

/// Syncs `account`, then the id of its message whose subject is `subject`.
fn synced_id(profile: &Path, account: &str, subject: &str) -> String {
    let out = tidings(profile, &["sync", "--account", account, "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let list = json(&tidings(profile, &["message", "list", "--account", account, "--json"], None));
    let m = list["messages"].as_array().unwrap().iter().find(|m| m["subject"] == subject);
    m.unwrap_or_else(|| panic!("no \"{subject}\" in {list}"))["id"].to_string()
}

fn show(profile: &Path, account: &str, id: &str) -> serde_json::Value {
    let out = tidings(profile, &["message", "show", "--account", account, id, "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    json(&out)
}

#[tokio::test]
async fn alice_accepts_bobs_invitation_and_bob_gets_the_reply() {
    need_keyring();
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let (alice_profile, bob_profile) = (dir.path().join("alice"), dir.path().join("bob"));
    add_account(&s, &alice_profile, "cli-invite-alice", alice);
    add_account(&s, &bob_profile, "cli-invite-bob", bob);
    let alice_before = s.message_count(alice, "INBOX").unwrap_or(0);
    let bob_before = s.message_count(bob, "INBOX").unwrap_or(0);

    // Bob sends the invitation through Postfix.
    let mut invite = Invite::new(&bob.email, &alice.email);
    invite.sequence = 3;
    invite.summary = "Planning with a REPLY".to_string();
    let eml = invitation_message(CalendarShape::Exchange, &invite);
    let out = tidings(&bob_profile, &["send", "--account", "cli-invite-bob", "-"], Some(&eml));
    assert!(out.status.success(), "{}", text(&out));
    wait_for(&s, alice, alice_before + 1);

    // Alice reads it.
    let id = synced_id(&alice_profile, "cli-invite-alice", "Planning with a REPLY");
    let shown = show(&alice_profile, "cli-invite-alice", &id);
    let card = &shown["calendar"][0];
    assert_eq!(card["method"], "REQUEST", "{shown}");
    assert_eq!(card["summary"], "Planning with a REPLY");
    assert_eq!(card["uid"], invite.uid.as_str());
    assert_eq!(card["sequence"], 3);
    assert_eq!(card["your_status"], "NEEDS-ACTION");
    assert_eq!(card["recurrence"], "every weekday until 22 July 2026");
    assert_eq!(card["organizer"]["address"], bob.email.as_str());
    assert_eq!(card["attendees"][0]["address"], alice.email.as_str());

    // Alice accepts.
    let out = tidings(
        &alice_profile,
        &[
            "invite",
            "reply",
            "--account",
            "cli-invite-alice",
            &id,
            "accept",
            "--comment",
            "See you there",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let answer = json(&out);
    assert_eq!(answer["state"], "sent", "{answer}");
    assert_eq!(answer["answer"], "ACCEPTED");
    assert_eq!(answer["to"], bob.email.as_str());

    // Her card remembers the answer (a new process: read from the store).
    let again = show(&alice_profile, "cli-invite-alice", &id);
    assert_eq!(again["calendar"][0]["your_status"], "ACCEPTED", "{again}");
    assert_eq!(again["calendar"][0]["headline"], "You accepted");
    let out = tidings(&alice_profile, &["message", "show", "--account", "cli-invite-alice", &id], None);
    let shown = text(&out);
    assert!(shown.contains("You accepted: Planning with a REPLY"), "{shown}");
    assert!(shown.contains("  Repeats: every weekday until 22 July 2026"), "{shown}");

    // Bob's next sync has the REPLY.
    wait_for(&s, bob, bob_before + 1);
    let reply_id = synced_id(&bob_profile, "cli-invite-bob", "Accepted: Planning with a REPLY");
    let reply = show(&bob_profile, "cli-invite-bob", &reply_id);
    let card = &reply["calendar"][0];
    assert_eq!(card["method"], "REPLY", "{reply}");
    assert_eq!(card["uid"], invite.uid.as_str());
    assert_eq!(card["sequence"], 3);
    assert_eq!(card["comment"], "See you there");
    assert_eq!(card["headline"], "Alice Example accepted");
    let attendees = card["attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 1, "{reply}");
    assert_eq!(attendees[0]["address"], alice.email.as_str());
    assert_eq!(attendees[0]["partstat"], "ACCEPTED");
    assert!(
        reply["body"]["text"].as_str().unwrap().contains("has accepted: Planning with a REPLY"),
        "{reply}"
    );

    // Answering a message without an invitation says so.
    let out = tidings(
        &bob_profile,
        &["invite", "reply", "--account", "cli-invite-bob", &reply_id, "decline"],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("has no invitation to answer"), "{}", text(&out));
}
