//! Syncing real Dovecot: a 1,000-message INBOX completely and the same as the server says; a
//! second sync with nothing changed fetches no header; a body fetched on open is kept and
//! leaves `\Seen` alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::imap;
use tidings_mail::net::{Dir, Transcript};
use tidings_mail::store::{MessageRow, Role, Sort, Store, StoreHandle};
use tidings_mail::sync::{Engine, Phase, Progress, no_progress};
use tidings_testkit::{MailServers, User, generate};

fn engine(s: &MailServers, user: &User, store: StoreHandle, transcript: Transcript) -> Engine {
    let ep = common::endpoint(s, s.imaps_port(), Security::Implicit);
    Engine::with_endpoint(
        user.login.clone(),
        ep,
        user.login.clone(),
        user.password.clone(),
        store,
        transcript,
    )
}

/// A second, independent client: a plain async-imap session.
async fn other_client(s: &MailServers, user: &User) -> imap::Session {
    let ep = common::endpoint(s, s.imaps_port(), Security::Implicit);
    let mut facts = SessionFacts::default();
    let lc = imap::open(&ep, &Transcript::new(), &mut facts).await.unwrap();
    let mut session =
        imap::login(lc, &ep, &Credential::password(&user.login, &user.password), &mut facts).await.unwrap();
    session.select("INBOX").await.unwrap();
    session
}

fn client_lines(t: &Transcript) -> Vec<String> {
    t.lines().into_iter().filter(|l| l.dir == Dir::Client).map(|l| l.text).collect()
}

/// Message `i` of the generator, from the Message-ID the testkit gives it.
fn generator_index(row: &MessageRow) -> usize {
    let id = row.summary.message_id.as_deref().unwrap();
    id.strip_prefix("testkit.").and_then(|r| r.strip_suffix("@example.test")).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_thousand_messages_sync_completely_and_match_the_server() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 1000).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();

    let events: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let ev = events.clone();
    let progress = move |p: &Progress| ev.lock().unwrap().push(p.clone());
    let t1 = Transcript::new();
    let mut e = engine(&s, alice, store.clone(), t1.clone());
    let report = e.sync_account(&progress).await.unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.connections, 1);
    let inbox = report.folders.iter().find(|f| f.folder == "INBOX").unwrap();
    assert_eq!((inbox.total, inbox.new, inbox.errors, inbox.headers_fetched), (1000, 1000, 0, 1000));
    assert_eq!(inbox.unread, 250, "the testkit leaves every 4th message unseen");
    assert!(inbox.bytes > 100_000, "{}", inbox.bytes);

    // Newest first: the first header FETCH asks for the top 100 UIDs.
    let first = client_lines(&t1).into_iter().find(|l| l.contains("HEADER.FIELDS")).unwrap();
    assert!(
        first.contains("UID FETCH 901:1000 (UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS"),
        "{first}"
    );
    let headers: Vec<u64> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.folder == "INBOX" && p.phase == Phase::Headers)
        .map(|p| p.done)
        .collect();
    assert_eq!(headers.first().copied(), Some(0));
    assert_eq!(headers.get(1).copied(), Some(100), "the first chunk is committed and reported on its own");
    assert_eq!(headers.last().copied(), Some(1000));

    // Folders and roles from LIST (SPECIAL-USE) and LSUB.
    let mut reader = Store::open(&path).unwrap();
    let account = reader.account(&alice.login).unwrap();
    let folders = reader.folders(account).unwrap();
    let roles: HashMap<&str, Option<Role>> = folders.iter().map(|f| (f.name.as_str(), f.role)).collect();
    for (name, role) in [
        ("INBOX", Role::Inbox),
        ("Sent", Role::Sent),
        ("Drafts", Role::Drafts),
        ("Trash", Role::Trash),
        ("Junk", Role::Junk),
        ("Archive", Role::Archive),
    ] {
        assert_eq!(roles.get(name).copied().flatten(), Some(role), "{name}: {folders:?}");
    }
    assert!(folders.iter().all(|f| f.subscribed && f.selectable), "{folders:?}");
    let inbox_id = folders[0].id;
    assert_eq!(folders[0].name, "INBOX");

    // Every message, as the store has it.
    let rows = reader.list(inbox_id, Sort::NEWEST, 0, 5000).unwrap();
    assert_eq!(rows.len(), 1000);
    let by_uid: HashMap<u32, &MessageRow> = rows.iter().map(|r| (r.uid, r)).collect();
    for r in &rows {
        let i = generator_index(r);
        assert_eq!(r.summary.date, Some(generate::unix_time(i)), "uid {}", r.uid);
        assert_eq!(
            (r.unread, r.flagged, r.answered),
            (i.is_multiple_of(4), i.is_multiple_of(7), i.is_multiple_of(11)),
            "uid {}",
            r.uid
        );
        let subject = r.summary.subject.as_deref().unwrap();
        assert!(subject.ends_with(&format!(" #{i}")), "{subject}");
        if generate::shape(i) == "encoded-words" {
            assert!(subject.starts_with("Grüße aus 日本: "), "{subject}");
            let name = r.summary.from_name.as_deref().unwrap();
            assert!(["Jürgen Müller", "山田 太郎", "Zoë Ørsted"].contains(&name), "{name}");
        }
        assert_eq!(r.summary.has_attachment, generate::shape(i) == "attachment", "uid {}", r.uid);
        if i % 5 == 1 {
            assert_eq!(r.summary.in_reply_to, Some(format!("testkit.{}@example.test", i - 1)));
        }
        assert_eq!(r.summary.to.as_deref(), Some("alice@example.test"));
        assert_eq!(r.parse_error, None);
    }

    // The server's own view, through a second connection: size, date and flags of all.
    let mut other = other_client(&s, alice).await;
    let server: Vec<(u32, u32, i64, String)> = other
        .uid_fetch("1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE)")
        .await
        .unwrap()
        .map(|f| {
            let f = f.unwrap();
            let flags = tidings_mail::sync::headers::flags_of(&f).joined();
            (f.uid.unwrap(), f.size.unwrap(), f.internal_date().unwrap().timestamp(), flags)
        })
        .collect()
        .await;
    assert_eq!(server.len(), 1000);
    for (uid, size, date, flags) in &server {
        let r = by_uid[uid];
        assert_eq!(
            (r.size, r.internal_date, r.flags.joined()),
            (*size, Some(*date), flags.clone()),
            "uid {uid}"
        );
    }
    // A sample through ENVELOPE: Message-ID and sender as the server parses them.
    let sample_set: Vec<String> = (1..=1000).step_by(97).map(|u: u32| u.to_string()).collect();
    let sample: Vec<(u32, String, String)> = other
        .uid_fetch(sample_set.join(","), "(UID ENVELOPE)")
        .await
        .unwrap()
        .map(|f| {
            let f = f.unwrap();
            let env = f.envelope().unwrap();
            let id = String::from_utf8_lossy(env.message_id.as_deref().unwrap()).to_string();
            let from = &env.from.as_ref().unwrap()[0];
            let addr = format!(
                "{}@{}",
                String::from_utf8_lossy(from.mailbox.as_deref().unwrap()),
                String::from_utf8_lossy(from.host.as_deref().unwrap())
            );
            (f.uid.unwrap(), id, addr)
        })
        .collect()
        .await;
    assert!(sample.len() >= 10, "{sample:?}");
    for (uid, id, addr) in sample {
        let r = by_uid[&uid];
        assert_eq!(format!("<{}>", r.summary.message_id.as_deref().unwrap()), id);
        assert_eq!(r.summary.from_addr.as_deref(), Some(addr.as_str()));
    }

    // Nothing changed: a new engine (new connection) asks for no header, no UID list, no flag.
    let t2 = Transcript::new();
    let mut e2 = engine(&s, alice, store.clone(), t2.clone());
    let again = e2.sync_account(&no_progress).await.unwrap();
    let inbox = again.folders.iter().find(|f| f.folder == "INBOX").unwrap();
    assert_eq!((inbox.new, inbox.updated_flags, inbox.expunged, inbox.headers_fetched), (0, 0, 0, 0));
    assert_eq!(inbox.total, 1000);
    let sent = client_lines(&t2);
    assert!(sent.iter().all(|l| !l.contains("FETCH") && !l.contains("SEARCH")), "{sent:#?}");
    assert!(sent.iter().any(|l| l.contains("SELECT \"INBOX\" (CONDSTORE)")), "{sent:#?}");

    // Opening an unread message: BODY.PEEK[] is fetched once, kept, and \Seen stays unset.
    let unread = rows.iter().find(|r| r.unread).unwrap();
    let raw = e2.fetch_body("INBOX", unread.uid).await.unwrap();
    assert_eq!(raw.len() as u32, unread.size);
    let expected = generate::message(generator_index(unread), &alice.email);
    assert_eq!(raw, expected);
    let fetches_before = client_lines(&t2).iter().filter(|l| l.contains("FETCH")).count();
    assert_eq!(e2.fetch_body("INBOX", unread.uid).await.unwrap(), raw);
    let fetches_after = client_lines(&t2).iter().filter(|l| l.contains("FETCH")).count();
    assert_eq!(fetches_before, fetches_after, "the second open is served by the store");
    assert!(reader.message(inbox_id, unread.uid).unwrap().unwrap().has_body);
    let flags: Vec<String> = other
        .uid_fetch(unread.uid.to_string(), "(UID FLAGS)")
        .await
        .unwrap()
        .map(|f| tidings_mail::sync::headers::flags_of(&f.unwrap()).joined())
        .collect()
        .await;
    assert!(!flags[0].contains("\\Seen"), "{flags:?}");
    let missing = e2.fetch_body("INBOX", 5000).await.unwrap_err();
    assert_eq!(missing.kind(), tidings_mail::Kind::RefusedByServer, "{missing}");

    e2.logout().await.unwrap();
    assert!(!t1.render().contains(&alice.password) && !t2.render().contains(&alice.password));
    reader.check_integrity().unwrap();
}
