//! Search on the server for IMAP messages whose body is not stored: against Dovecot, with
//! headers synced only, a word only in a body (and one outside ASCII, sent as a literal) is
//! found on the server and not in the store, the store's own hits are not repeated and a
//! stored body is searched only locally; scripted servers show a search stopped midway
//! (the next one opens a new connection), a huge answer kept to the cap, an endless one
//! stopped at the time limit, and literals sent after the server's `+` without LITERAL+.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tidings_mail::Kind;
use tidings_mail::account::Security;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::search::server::{FolderOutcome, ServerLimits, ServerPlan, plan_server, run};
use tidings_mail::search::{Hit, Scope, search};
use tidings_mail::store::{Flags, FolderId, FolderInfo, NewMessage, Role, Store, StoreHandle};
use tidings_mail::sync::headers::summary;
use tidings_mail::sync::{Engine, no_progress};
use tidings_testkit::hostile::{Hostile, Reply, Script};

fn mail(n: u32, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ann <ann@example.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Date: {n:02} Mar 2024 10:00:00 +0000\r\nMessage-ID: <{n}@example.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn plan_for(path: &std::path::Path, query: &str, account: &str) -> Option<ServerPlan> {
    let store = Store::open(path).unwrap();
    plan_server(&store, query, &Scope::default(), &[account.to_string()]).unwrap()
}

fn local(path: &std::path::Path, query: &str) -> Vec<Hit> {
    search(&Store::open(path).unwrap(), query, &Scope::default(), 100, 0).unwrap()
}

async fn on_server(engine: &mut Engine, plan: &ServerPlan, skip: &[Hit]) -> Vec<FolderOutcome> {
    let skip: HashSet<(FolderId, u32)> = skip.iter().map(|h| (h.folder_id, h.uid)).collect();
    let mut outcomes = Vec::new();
    run(engine, plan, &skip, ServerLimits::default(), &mut |o| outcomes.push(o)).await.unwrap();
    outcomes
}

fn subjects(outcomes: &[FolderOutcome]) -> Vec<String> {
    outcomes.iter().flat_map(|o| &o.hits).map(|h| h.subject.clone().unwrap_or_default()).collect()
}

#[tokio::test]
async fn a_word_only_in_a_body_never_downloaded_is_found_on_the_server() {
    let s = common::servers();
    let alice = s.user("alice");
    s.deliver(alice, &mail(1, "Plans", "We fly the zeppelin to Köln on Friday.")).unwrap();
    s.deliver(alice, &mail(2, "Zeppelin tickets", "Attached, as promised.")).unwrap();
    s.deliver(alice, &mail(3, "Kept", "This zeppelin body is stored here.")).unwrap();
    s.deliver(alice, &mail(4, "Other", "Nothing to see.")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let ep = common::endpoint(&s, s.imaps_port(), Security::Implicit);
    let mut engine = Engine::with_endpoint(
        alice.login.clone(),
        ep,
        alice.login.clone(),
        alice.password.clone(),
        store,
        Transcript::new(),
    );
    let report = engine.sync_account(&no_progress).await.unwrap();
    assert!(report.ok(), "{report:?}");
    let mut reader = Store::open(&path).unwrap();
    let account = reader.account(&alice.login).unwrap();
    let inbox = reader.folder(account, "INBOX").unwrap().unwrap();
    let uids = reader.uids(inbox.id, inbox.uidvalidity.unwrap()).unwrap();
    let kept = *uids
        .iter()
        .find(|u| reader.message(inbox.id, **u).unwrap().unwrap().summary.subject.as_deref() == Some("Kept"))
        .unwrap();
    engine.fetch_body("INBOX", kept).await.unwrap();
    reader.index_pending(usize::MAX, Duration::MAX).unwrap();

    // The store knows the subjects and the one stored body only.
    let found = local(&path, "zeppelin");
    let mut found_subjects: Vec<_> = found.iter().map(|h| h.subject.clone().unwrap()).collect();
    found_subjects.sort();
    assert_eq!(found_subjects, ["Kept", "Zeppelin tickets"]);
    assert!(found.iter().all(|h| !h.on_server));

    let plan = plan_for(&path, "zeppelin", &alice.login).expect("bodies are missing: the server is asked");
    assert_eq!(plan.keys_text(), "TEXT \"zeppelin\"");
    assert_eq!(plan.folders.len(), 1, "{:?}", plan.folders);
    assert_eq!(plan.folders[0].unkept, 3, "only the body of Kept is stored");
    assert_eq!(plan.folders[0].within, format!("{}:{},{}", uids[0], uids[1], uids[3]));
    let outcomes = on_server(&mut engine, &plan, &found).await;
    // Plans, from its body; Zeppelin tickets was found by the store already, Kept is
    // searched only there.
    assert_eq!(subjects(&outcomes), ["Plans"]);
    let hit = &outcomes[0].hits[0];
    assert!(hit.on_server);
    assert_eq!((hit.folder.as_str(), hit.account.as_str()), ("INBOX", alice.login.as_str()));
    assert_eq!((outcomes[0].listed, outcomes[0].not_synced, outcomes[0].beyond_cap), (2, 0, 0));

    // Outside ASCII: CHARSET UTF-8 with the word as a literal.
    assert!(local(&path, "köln").is_empty());
    let plan = plan_for(&path, "body:Köln", &alice.login).unwrap();
    assert_eq!(subjects(&on_server(&mut engine, &plan, &[]).await), ["Plans"]);
    let sent = engine.transcript().render();
    assert!(sent.contains("UID SEARCH CHARSET UTF-8 UID "), "{sent}");

    // The store's own conditions still hold; a word the server does not find, nothing.
    // Nothing the store knows is from nobody: the server is not even asked.
    assert!(plan_for(&path, "zeppelin from:nobody", &alice.login).is_none());
    let plan = plan_for(&path, "zeppelin is:unread", &alice.login).unwrap();
    assert_eq!(subjects(&on_server(&mut engine, &plan, &[]).await).len(), 2);
    let plan = plan_for(&path, "blimp", &alice.login).unwrap();
    assert!(subjects(&on_server(&mut engine, &plan, &[]).await).is_empty());
    // Without a word that looks into bodies, the store's answer is the whole answer.
    assert!(plan_for(&path, "subject:zeppelin", &alice.login).is_none());
    assert!(plan_for(&path, "zeppelin", "another-account").is_none());
    engine.logout().await.unwrap();
}

/// A store with account "hostile": INBOX (UIDVALIDITY 1) holding UIDs 1..=5, headers only.
fn hostile_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let mut store = Store::open(&path).unwrap();
    let account = store.account("hostile").unwrap();
    let info = FolderInfo {
        name: "INBOX".into(),
        delimiter: Some("/".into()),
        role: Some(Role::Inbox),
        subscribed: true,
        selectable: true,
    };
    let inbox = store.replace_folders(account, &[info]).unwrap()[0].id;
    store.begin_folder(inbox, 1).unwrap();
    let msgs: Vec<NewMessage> = (1..=5)
        .map(|uid| {
            let raw = mail(uid, &format!("Message {uid}"), "");
            NewMessage {
                uid,
                modseq: None,
                flags: Flags::new(Vec::<String>::new()),
                size: raw.len() as u32,
                internal_date: None,
                summary: summary(&raw).unwrap(),
                parse_error: None,
            }
        })
        .collect();
    store.insert_messages(inbox, 1, &msgs).unwrap();
    (dir, path)
}

/// An IMAP server with one INBOX (UIDVALIDITY 1) whose `UID SEARCH` answer is `search`.
fn imap_script(caps: &str, search: Reply) -> Script {
    Script::new(Reply::text("* OK hostile IMAP ready\r\n"))
        .on("CAPABILITY", Reply::text(format!("* CAPABILITY IMAP4rev1 {caps}\r\n{{tag}} OK done\r\n")))
        .on("LOGIN", Reply::text("{tag} OK logged in\r\n"))
        .on(
            "SELECT",
            Reply::text("* 5 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n* OK [UIDNEXT 6] ok\r\n{tag} OK [READ-WRITE] done\r\n"),
        )
        .on("UID SEARCH", search)
        .on("LOGOUT", Reply::text("* BYE\r\n{tag} OK bye\r\n").then(Reply::close()))
        .otherwise(Reply::text("{tag} OK done\r\n"))
}

fn hostile_engine(server: &Hostile, path: &std::path::Path) -> Engine {
    let mut ep = Endpoint::new("127.0.0.1", server.port(), Security::None);
    ep.timeouts.io = Duration::from_secs(5);
    let store = StoreHandle::spawn(Store::open(path).unwrap()).unwrap();
    Engine::with_endpoint("hostile", ep, "user", "secret-password", store, Transcript::new())
}

#[tokio::test]
async fn a_search_stopped_midway_leaves_nothing_behind_and_the_next_one_connects_again() {
    let (_dir, path) = hostile_store();
    // The first connection never answers the search; the second does.
    let server = Hostile::start_each(vec![
        imap_script("", Reply::silence()),
        imap_script("", Reply::text("* SEARCH 2 4\r\n{tag} OK done\r\n")),
    ])
    .await
    .unwrap();
    let mut engine = hostile_engine(&server, &path);
    let plan = plan_for(&path, "budget", "hostile").unwrap();
    let t0 = Instant::now();
    let mut outcomes = Vec::new();
    let stopped = tokio::time::timeout(
        Duration::from_millis(500),
        run(&mut engine, &plan, &HashSet::new(), ServerLimits::default(), &mut |o| outcomes.push(o)),
    )
    .await;
    assert!(stopped.is_err(), "the search was still waiting for its answer");
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert!(outcomes.is_empty());
    let outcomes = on_server(&mut engine, &plan, &[]).await;
    assert_eq!(subjects(&outcomes), ["Message 4", "Message 2"]);
    assert_eq!(server.connections(), 2, "the stopped search's connection was not reused");
}

#[tokio::test]
async fn a_huge_answer_is_kept_to_the_cap_and_an_endless_one_to_the_time_limit() {
    let (_dir, path) = hostile_store();
    // Two million UIDs, 10,000 to a line, and the known ones among the last.
    let mut answer = String::new();
    for line in 0..200u32 {
        answer.push_str("* SEARCH");
        for u in 0..10_000u32 {
            answer.push_str(&format!(" {}", 10 + line * 10_000 + u));
        }
        answer.push_str("\r\n");
    }
    answer.push_str("* SEARCH 3 5\r\n{tag} OK done\r\n");
    let server = Hostile::start(imap_script("", Reply::text(answer))).await.unwrap();
    let mut engine = hostile_engine(&server, &path);
    let plan = plan_for(&path, "budget", "hostile").unwrap();
    let limits = ServerLimits { cap: 1_000, time: Duration::from_secs(60) };
    let mut outcomes = Vec::new();
    run(&mut engine, &plan, &HashSet::new(), limits, &mut |o| outcomes.push(o)).await.unwrap();
    let o = &outcomes[0];
    assert_eq!(o.listed, 2_000_002);
    assert_eq!(o.beyond_cap, 2_000_002 - 1_000);
    // The newest thousand were looked at: none of them is in the store.
    assert_eq!(o.not_synced, 1_000);
    assert!(o.hits.is_empty() && o.error.is_none(), "{o:?}");

    // Never ending: the folder is stopped at the time limit and said to be.
    let endless = Reply::endless("* SEARCH 1 2 3 4 5\r\n".repeat(100));
    let server = Hostile::start(imap_script("", endless)).await.unwrap();
    let mut engine = hostile_engine(&server, &path);
    let limits = ServerLimits { cap: 1_000, time: Duration::from_secs(2) };
    let t0 = Instant::now();
    let mut outcomes = Vec::new();
    let r = run(&mut engine, &plan, &HashSet::new(), limits, &mut |o| outcomes.push(o)).await;
    let e = r.expect_err("the time limit ends the search");
    assert_eq!(e.kind(), Kind::Network);
    assert!(e.message().contains("took longer than 2s and was stopped"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn without_literal_plus_each_literal_waits_for_the_servers_go_ahead() {
    let (_dir, path) = hostile_store();
    // The go-ahead, then the answer (the server reads the literal's line after it).
    let answer = Reply::text("+ go ahead\r\n* SEARCH 1\r\n{tag} OK done\r\n");
    let script = imap_script("", answer).on("Müller", Reply::silence());
    let server = Hostile::start(script).await.unwrap();
    let mut engine = hostile_engine(&server, &path);
    let plan = plan_for(&path, "Müller", "hostile").unwrap();
    let outcomes = on_server(&mut engine, &plan, &[]).await;
    assert_eq!(subjects(&outcomes), ["Message 1"]);
    let sent = String::from_utf8_lossy(&server.received()).to_string();
    assert!(sent.contains(" UID SEARCH CHARSET UTF-8 UID 1:5 TEXT {7}\r\nMüller\r\n"), "{sent}");
}
