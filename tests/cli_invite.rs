//! Invitations end to end, the real binary against the testkit's Postfix and Dovecot
//! (passwords in a real Secret Service: run under `scripts/with-keyring`): bob sends alice
//! an invitation through Postfix, as Exchange and as Google Calendar shape it; alice's `tidings
//! sync` and `message show` read it; `tidings invite reply … accept` sends the iTIP REPLY; her
//! card then says "You accepted"; bob's next sync has the REPLY, whose PARTSTAT for alice is
//! ACCEPTED with the invitation's UID and SEQUENCE. Answering one occurrence of a recurring
//! event (`--occurrence`) puts its RECURRENCE-ID in the REPLY.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use cli_common::{json, need_keyring, servers, text};
use tidings_mail::calendar::{self, Partstat, Viewer};
use tidings_mail::options::BodyFormat;
use tidings_testkit::generate::{CalendarShape, Invite, invitation_message};
use tidings_testkit::{MailServers, User};

fn tidings(profile: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    cli_common::run(profile, args, stdin)
}

/// An IMAP account `name` for `user` (TLS), sending through submission with STARTTLS.
fn add_account(s: &MailServers, profile: &Path, name: &str, user: &User) {
    cli_common::add_account(profile, s, name, user, "imap");
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
    for shape in [CalendarShape::Exchange, CalendarShape::Google] {
        accept_and_reply(&s, &alice_profile, &bob_profile, shape);
    }
}

/// Bob sends alice the invitation as `shape` writes it; she accepts over the CLI; bob's next
/// sync has her REPLY.
fn accept_and_reply(s: &MailServers, alice_profile: &Path, bob_profile: &Path, shape: CalendarShape) {
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let (alice_profile, bob_profile) = (alice_profile.to_path_buf(), bob_profile.to_path_buf());
    let alice_before = s.message_count(alice, "INBOX").unwrap_or(0);
    let bob_before = s.message_count(bob, "INBOX").unwrap_or(0);

    // Bob sends the invitation through Postfix.
    let mut invite = Invite::new(&bob.email, &alice.email);
    invite.sequence = 3;
    invite.summary = format!("Planning with a REPLY ({})", shape.name());
    invite.uid = format!("cli-invite-{}@example.test", shape.name());
    let summary = invite.summary.clone();
    let eml = invitation_message(shape, &invite);
    let out = tidings(&bob_profile, &["send", "--account", "cli-invite-bob", "-"], Some(&eml));
    assert!(out.status.success(), "{}", text(&out));
    wait_for(s, alice, alice_before + 1);

    // Alice reads it.
    let id = synced_id(&alice_profile, "cli-invite-alice", &summary);
    let shown = show(&alice_profile, "cli-invite-alice", &id);
    let card = &shown["calendar"][0];
    assert_eq!(card["method"], "REQUEST", "{shown}");
    assert_eq!(card["summary"], summary.as_str());
    assert_eq!(card["uid"], invite.uid.as_str());
    assert_eq!(card["sequence"], 3);
    assert_eq!(card["your_status"], "NEEDS-ACTION");
    if shape == CalendarShape::Exchange {
        assert_eq!(card["recurrence"], "every weekday until 22 July 2026");
    }
    assert_eq!(card["organizer"]["address"], bob.email.as_str());
    let attendees = card["attendees"].as_array().unwrap();
    assert!(attendees.iter().any(|a| a["address"] == alice.email.as_str()), "{shown}");

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
    assert!(shown.contains(&format!("You accepted: {summary}")), "{shown}");
    if shape == CalendarShape::Exchange {
        assert!(shown.contains("  Repeats: every weekday until 22 July 2026"), "{shown}");
    }

    // Bob's next sync has the REPLY.
    wait_for(s, bob, bob_before + 1);
    let reply_id = synced_id(&bob_profile, "cli-invite-bob", &format!("Accepted: {summary}"));
    let reply = show(&bob_profile, "cli-invite-bob", &reply_id);
    let card = &reply["calendar"][0];
    assert_eq!(card["method"], "REPLY", "{reply}");
    assert_eq!(card["uid"], invite.uid.as_str());
    assert_eq!(card["sequence"], 3);
    assert_eq!(card["comment"], "See you there");
    assert!(card["headline"].as_str().unwrap().ends_with(" accepted"), "{reply}");
    let attendees = card["attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 1, "{reply}");
    assert_eq!(attendees[0]["address"], alice.email.as_str());
    assert_eq!(attendees[0]["partstat"], "ACCEPTED");
    assert!(reply["body"]["text"].as_str().unwrap().contains(&format!("has accepted: {summary}")), "{reply}");

    // Answering a message without an invitation says so.
    let out = tidings(
        &bob_profile,
        &["invite", "reply", "--account", "cli-invite-bob", &reply_id, "decline"],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("has no invitation to answer"), "{}", text(&out));
}

/// Bob's weekly-on-weekdays invitation; alice answers only Wednesday 17 June (09:00 in
/// Berlin, given as `message show` prints a start) with `--occurrence`; bob's synced REPLY
/// carries that occurrence's RECURRENCE-ID and her PARTSTAT; the series stays unanswered.
#[tokio::test]
async fn alice_answers_one_occurrence_and_the_reply_names_it() {
    need_keyring();
    let s = servers();
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    let dir = tempfile::tempdir().unwrap();
    let (alice_profile, bob_profile) = (dir.path().join("alice"), dir.path().join("bob"));
    add_account(&s, &alice_profile, "cli-occurrence-alice", alice);
    add_account(&s, &bob_profile, "cli-occurrence-bob", bob);
    let alice_before = s.message_count(alice, "INBOX").unwrap_or(0);
    let bob_before = s.message_count(bob, "INBOX").unwrap_or(0);

    let mut invite = Invite::new(&bob.email, &alice.email);
    invite.summary = "Stand-up, one day".to_string();
    invite.uid = "cli-occurrence@example.test".to_string();
    let eml = invitation_message(CalendarShape::Exchange, &invite);
    let out = tidings(&bob_profile, &["send", "--account", "cli-occurrence-bob", "-"], Some(&eml));
    assert!(out.status.success(), "{}", text(&out));
    wait_for(&s, alice, alice_before + 1);
    let id = synced_id(&alice_profile, "cli-occurrence-alice", "Stand-up, one day");

    // A start that is not a time is refused, and nothing is sent.
    let args = |occurrence: &'static str| {
        [
            "invite",
            "reply",
            "--account",
            "cli-occurrence-alice",
            "ID",
            "tentative",
            "--occurrence",
            occurrence,
        ]
    };
    let mut wrong = args("next Wednesday");
    wrong[4] = &id;
    let out = tidings(&alice_profile, &wrong, None);
    assert!(!out.status.success());
    assert!(text(&out).contains("cannot read the occurrence"), "{}", text(&out));

    // 09:00 in Berlin in summer is 07:00 UTC.
    let mut args = args("2026-06-17T09:00:00+02:00");
    args[4] = &id;
    let out = tidings(&alice_profile, &[&args[..], &["--json"]].concat(), None);
    assert!(out.status.success(), "{}", text(&out));
    let answer = json(&out);
    assert_eq!(answer["state"], "sent", "{answer}");
    assert_eq!(answer["recurrence_id"], "20260617T070000Z", "{answer}");
    // The series itself is still unanswered.
    let card = &show(&alice_profile, "cli-occurrence-alice", &id)["calendar"][0];
    assert_eq!(card["your_status"], "NEEDS-ACTION", "{card}");

    // Bob's sync has the REPLY; its calendar part, read with calcard, names the occurrence.
    wait_for(&s, bob, bob_before + 1);
    let reply_id = synced_id(&bob_profile, "cli-occurrence-bob", "Tentative: Stand-up, one day");
    let shown = show(&bob_profile, "cli-occurrence-bob", &reply_id);
    assert_eq!(shown["calendar"][0]["method"], "REPLY", "{shown}");
    assert!(shown["calendar"][0]["recurrence_id"].is_string(), "{shown}");
    let body = shown["body"]["text"].as_str().unwrap();
    assert!(
        body.contains("Only the occurrence of Wednesday 17 June 2026, 09:00 (W. Europe Standard Time)"),
        "{body}"
    );
    let raw = bob_message(&s, bob, "Tentative: Stand-up, one day");
    let display = tidings_mail::message::render(&raw, BodyFormat::Best);
    let [part] = &display.calendar[..] else { panic!("one calendar part: {:?}", display.calendar) };
    assert!(part.text.lines().any(|l| l.trim_end() == "RECURRENCE-ID:20260617T070000Z"), "{}", part.text);
    let viewer = Viewer::new("UTC".parse().unwrap(), [bob.email.as_str()]);
    let reply = calendar::parse(&part.text, part.method.as_deref(), &viewer).unwrap();
    assert_eq!(reply.uid.as_deref(), Some("cli-occurrence@example.test"));
    assert_eq!(reply.occurrence_key().as_deref(), Some("20260617T070000Z"));
    let [me] = &reply.attendees[..] else { panic!("only alice's line: {:?}", reply.attendees) };
    assert_eq!((me.address.as_deref(), me.partstat), (Some(alice.email.as_str()), Partstat::Tentative));
}

/// The message in `user`'s INBOX (on the server) whose Subject is `subject`.
fn bob_message(s: &MailServers, user: &User, subject: &str) -> Vec<u8> {
    let base = s.maildir(user);
    let found = ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(base.join(sub)).ok())
        .flat_map(|entries| entries.flatten().map(|e| std::fs::read(e.path()).unwrap()))
        .find(|raw| {
            let parsed = mail_parser::MessageParser::new().parse_headers(raw);
            parsed.and_then(|m| m.subject().map(|s| s == subject)).unwrap_or(false)
        });
    found.unwrap_or_else(|| panic!("no \"{subject}\" in {}'s INBOX", user.email))
}
