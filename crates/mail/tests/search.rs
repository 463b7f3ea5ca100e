//! Search over the store: each operator of the query language, diacritics folded, the text
//! of HTML-only and enriched bodies and attachment names found, FTS syntax typed in a query
//! harmless, errors pointed at; the index follows inserts, body saves and deletions; and a
//! version 6 store gains the index with the messages and bodies it held.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rusqlite::Connection;
use tidings_mail::search::{Scope, SearchError, search};
use tidings_mail::store::schema::{self, MIGRATIONS};
use tidings_mail::store::{Flags, FolderId, FolderInfo, NewMessage, Role, Store};
use tidings_mail::sync::headers::summary;
use tidings_testkit::generate::{Format, format_message};

fn folder(name: &str, role: Option<Role>) -> FolderInfo {
    FolderInfo { name: name.into(), delimiter: Some("/".into()), role, subscribed: true, selectable: true }
}

/// A store with accounts "work" (INBOX, Archive) and "home" (INBOX).
struct Fixture {
    store: Store,
    inbox: FolderId,
    archive: FolderId,
    home: FolderId,
}

fn fixture() -> Fixture {
    let mut store = Store::open_in_memory().unwrap();
    let work = store.account("work").unwrap();
    let f =
        store.replace_folders(work, &[folder("INBOX", Some(Role::Inbox)), folder("Archive", None)]).unwrap();
    let (inbox, archive) = (f[0].id, f[1].id);
    let home = store.account("home").unwrap();
    let home = store.replace_folders(home, &[folder("INBOX", Some(Role::Inbox))]).unwrap()[0].id;
    for f in [inbox, archive, home] {
        store.begin_folder(f, 1).unwrap();
    }
    Fixture { store, inbox, archive, home }
}

/// Stores `raw` as message `uid` of `folder` with `flags`, its body too.
fn put(store: &mut Store, folder: FolderId, uid: u32, flags: &[&str], raw: &[u8]) {
    let m = NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(flags.to_vec()),
        size: raw.len() as u32,
        internal_date: None,
        summary: summary(raw).unwrap(),
        parse_error: None,
    };
    store.insert_messages(folder, 1, &[m]).unwrap();
    assert!(store.save_body(folder, 1, uid, raw).unwrap());
}

fn mail(date: &str, from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "Date: {date}\r\nFrom: {from}\r\nTo: {to}\r\nCc: Cora <cora@example.test>\r\nSubject: {subject}\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn with_attachment(name: &str, text: &str) -> Vec<u8> {
    format!(
        "Date: Mon, 6 May 2024 12:00:00 +0000\r\nFrom: Ana <ana@example.test>\r\nTo: bob@example.test\r\n\
         Subject: the files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\n{text}\r\n\
         --b\r\nContent-Type: application/pdf; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    )
    .into_bytes()
}

/// The UIDs found in `folder` (all folders when None), newest first.
fn uids(store: &Store, q: &str) -> Vec<u32> {
    search(store, q, &Scope::default(), 100, 0)
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .iter()
        .map(|h| h.uid)
        .collect()
}

/// The corpus most tests share, in `work`'s INBOX unless said.
fn corpus() -> Fixture {
    let mut f = fixture();
    let s = &mut f.store;
    put(
        s,
        f.inbox,
        1,
        &["\\Seen"],
        &mail(
            "Wed, 1 May 2024 12:00:00 +0000",
            "Jürgen Müller <juergen@example.de>",
            "Bob <bob@example.test>",
            "Quarterly budget",
            "Let us meet at the café to discuss the budget.",
        ),
    );
    put(
        s,
        f.inbox,
        2,
        &["\\Flagged"],
        &mail(
            "Fri, 3 May 2024 12:00:00 +0000",
            "Ana Lima <ana@example.test>",
            "Dave <dave@example.test>",
            "Lunch on Friday?",
            "Pizza or sushi? The budget allows either.",
        ),
    );
    put(
        s,
        f.archive,
        3,
        &["\\Seen", "\\Answered"],
        &mail(
            "Mon, 1 Jan 2024 12:00:00 +0000",
            "Build Bot <ci@builds.example.net>",
            "Bob <bob@example.test>",
            "Build failed on main",
            "The build of commit abc failed: NEAR(x) * \"quoted\" text.",
        ),
    );
    put(s, f.home, 4, &[], &with_attachment("Müller-Rechnung 2024.pdf", "Here is the invoice."));
    f
}

#[test]
fn words_phrases_and_prefixes_find_newest_first() {
    let f = corpus();
    assert_eq!(uids(&f.store, "budget "), [2, 1], "body and subject, newest first");
    assert_eq!(uids(&f.store, "\"discuss the budget\""), [1]);
    assert_eq!(uids(&f.store, "\"the budget discuss\""), Vec::<u32>::new());
    // The last word while typing is a prefix.
    assert_eq!(uids(&f.store, "quart"), [1]);
    assert_eq!(uids(&f.store, "quart "), Vec::<u32>::new());
    assert_eq!(uids(&f.store, "budget pizza"), [2]);
}

#[test]
fn diacritics_are_folded_both_ways() {
    let f = corpus();
    assert_eq!(uids(&f.store, "cafe "), [1]);
    assert_eq!(uids(&f.store, "café "), [1]);
    assert_eq!(uids(&f.store, "from:muller "), [1]);
    assert_eq!(uids(&f.store, "from:Müller "), [1]);
    assert_eq!(uids(&f.store, "JURGEN "), [1]);
}

#[test]
fn each_field_looks_only_at_its_own() {
    let f = corpus();
    assert_eq!(uids(&f.store, "from:ana "), [4, 2]);
    assert_eq!(uids(&f.store, "from:ci@builds.example.net "), [3]);
    assert_eq!(uids(&f.store, "to:dave "), [2]);
    assert_eq!(uids(&f.store, "to:cora "), Vec::<u32>::new());
    assert_eq!(uids(&f.store, "cc:cora ").len(), 3);
    assert_eq!(uids(&f.store, "subject:budget "), [1]);
    assert_eq!(uids(&f.store, "body:budget "), [2, 1]);
    assert_eq!(uids(&f.store, "body:quarterly "), Vec::<u32>::new());
    assert_eq!(uids(&f.store, "filename:rechnung "), [4]);
    assert_eq!(uids(&f.store, "filename:muller "), [4]);
    assert_eq!(uids(&f.store, "rechnung "), [4], "attachment names are found by bare words too");
}

#[test]
fn flags_attachments_sizes_dates_folders_and_accounts() {
    let f = corpus();
    let s = &f.store;
    assert_eq!(uids(s, "is:unread"), [4, 2]);
    assert_eq!(uids(s, "is:read"), [1, 3]);
    assert_eq!(uids(s, "is:flagged"), [2]);
    assert_eq!(uids(s, "is:answered"), [3]);
    assert_eq!(uids(s, "has:attachment"), [4]);
    assert_eq!(uids(s, "larger:400"), [4]);
    assert_eq!(uids(s, "smaller:400"), [2, 1, 3]);
    assert_eq!(uids(s, "larger:1k"), Vec::<u32>::new());
    assert_eq!(uids(s, "before:2024-05-01"), [3]);
    assert_eq!(uids(s, "after:2024-05-01"), [4, 2, 1]);
    assert_eq!(uids(s, "date:2024-05-03"), [2]);
    assert_eq!(uids(s, "date:2024-05"), [4, 2, 1]);
    assert_eq!(uids(s, "date:2024"), [4, 2, 1, 3]);
    // Relative: everything here is older than a week and younger than 100 years.
    assert_eq!(uids(s, "after:7d"), Vec::<u32>::new());
    assert_eq!(uids(s, "before:2w").len(), 4);
    assert_eq!(uids(s, "after:100y").len(), 4);
    assert_eq!(uids(s, "folder:archive"), [3]);
    assert_eq!(uids(s, "folder:inbox"), [4, 2, 1], "INBOX of both accounts");
    assert_eq!(uids(s, "account:home"), [4]);
    assert_eq!(uids(s, "account:work folder:INBOX"), [2, 1]);
    // Account names people use, beside the config ids.
    let scope = Scope { account_names: vec![("Home mail".into(), "home".into())], ..Scope::default() };
    let hits = search(s, "account:\"home mail\"", &scope, 10, 0).unwrap();
    assert_eq!(hits.iter().map(|h| h.uid).collect::<Vec<_>>(), [4]);
}

#[test]
fn or_not_and_parentheses() {
    let f = corpus();
    let s = &f.store;
    assert_eq!(uids(s, "pizza OR build "), [2, 3]);
    assert_eq!(uids(s, "budget -pizza "), [1]);
    assert_eq!(uids(s, "budget NOT pizza "), [1]);
    assert_eq!(uids(s, "-budget "), [4, 3]);
    assert_eq!(uids(s, "(pizza OR build) is:read"), [3]);
    assert_eq!(uids(s, "budget OR is:answered"), [2, 1, 3]);
    assert_eq!(uids(s, "-(budget OR build) -has:attachment"), Vec::<u32>::new());
    assert_eq!(uids(s, "-is:unread -folder:archive"), [1]);
}

#[test]
fn hits_say_where_they_are_and_where_they_matched() {
    let f = corpus();
    let hits = search(&f.store, "cafe ", &Scope::default(), 10, 0).unwrap();
    let h = &hits[0];
    assert_eq!((h.account.as_str(), h.folder.as_str(), h.uid), ("work", "INBOX", 1));
    assert_eq!(h.subject.as_deref(), Some("Quarterly budget"));
    assert_eq!(h.from_addr.as_deref(), Some("juergen@example.de"));
    let m = h.matched.as_ref().unwrap();
    assert_eq!(m.field, "body");
    assert!(m.marked("[", "]").contains("the [café] to"), "{m:?}");
    let hits = search(&f.store, "quarterly budget", &Scope::default(), 10, 0).unwrap();
    assert_eq!(hits[0].matched.as_ref().unwrap().marked("[", "]"), "[Quarterly] [budget]");
    // No words: nothing to mark.
    assert_eq!(search(&f.store, "is:flagged", &Scope::default(), 10, 0).unwrap()[0].matched, None);
    // Scope and pages.
    let scope = Scope { accounts: vec!["work".into()], ..Scope::default() };
    assert_eq!(
        search(&f.store, "budget", &scope, 1, 1).unwrap().iter().map(|h| h.uid).collect::<Vec<_>>(),
        [1]
    );
    let scope = Scope { folders: vec![f.home], ..Scope::default() };
    assert_eq!(search(&f.store, "invoice", &scope, 10, 0).unwrap().len(), 1);
    assert_eq!(search(&f.store, "budget", &scope, 10, 0).unwrap().len(), 0);
}

#[test]
fn fts_syntax_typed_in_a_query_is_searched_as_text() {
    let f = corpus();
    let s = &f.store;
    for q in ["NEAR x", "\"quoted\"", "abc*", "commit:abc", "{subject}:build", "^build", "build +", "x AND"] {
        match search(s, q, &Scope::default(), 10, 0) {
            Ok(_) => {}
            Err(SearchError::Query(e)) => assert!(e.at >= 1, "{q}: {e}"),
            Err(SearchError::Store(e)) => panic!("{q} reached SQLite as syntax: {e}"),
        }
    }
    assert_eq!(uids(s, "NEAR x "), [3]);
    assert_eq!(uids(s, "\"quoted\""), [3]);
    for q in ["\"", "*", "NEAR(", "(", ")", "-", "OR", "\"\"", ":"] {
        let e = search(s, q, &Scope::default(), 10, 0).unwrap_err();
        assert!(matches!(e, SearchError::Query(_)), "{q}: {e}");
    }
}

#[test]
fn errors_point_at_the_term() {
    let f = corpus();
    let err = |q: &str| match search(&f.store, q, &Scope::default(), 10, 0).unwrap_err() {
        SearchError::Query(e) => e.to_string(),
        SearchError::Store(e) => panic!("{e}"),
    };
    assert_eq!(err("budget after:soon"), "after: needs a date like 2024-05-01 or 7d (at 14)");
    assert_eq!(err("folder:Nowhere"), "folder: no folder is called \"Nowhere\" (at 8)");
    assert_eq!(err("x account:play"), "account: no account is called \"play\" (at 11)");
    assert_eq!(err("larger:lots"), "larger: needs a size like 10k or 2M (at 8)");
}

#[test]
fn html_only_enriched_and_tnef_bodies_are_searchable() {
    let mut f = fixture();
    let html = b"Date: Mon, 6 May 2024 12:00:00 +0000\r\nFrom: a@example.test\r\nSubject: news\r\n\
        MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <html><head><style>.zebra{color:red}</style></head><body><p>The <b>giraffe</b> in the zo&ouml;</p></body></html>\r\n";
    put(&mut f.store, f.inbox, 1, &[], html);
    put(&mut f.store, f.inbox, 2, &[], &format_message(Format::Enriched, 7, "bob@example.test"));
    put(&mut f.store, f.inbox, 3, &[], &format_message(Format::Tnef, 8, "bob@example.test"));
    assert_eq!(uids(&f.store, "giraffe "), [1]);
    assert_eq!(uids(&f.store, "zoo "), [1], "entities decoded, diacritics folded");
    assert_eq!(uids(&f.store, "zebra "), Vec::<u32>::new(), "style sheets are not text");
    assert_eq!(uids(&f.store, "body:\"test message 7 in enriched text\""), [2], "enriched text as text");
    assert_eq!(uids(&f.store, "bold "), Vec::<u32>::new(), "its markup is not text");
    assert_eq!(uids(&f.store, "has:attachment filename:authors "), [3], "the name of a file inside TNEF");
    assert_eq!(uids(&f.store, "filename:winmail "), Vec::<u32>::new(), "shown as ordinary MIME");
}

#[test]
fn the_index_follows_inserts_body_saves_and_deletions() {
    let mut f = fixture();
    let raw = mail("Wed, 1 May 2024 12:00:00 +0000", "a@example.test", "b@example.test", "hello", "walrus");
    let m = NewMessage {
        uid: 1,
        modseq: None,
        flags: Flags::default(),
        size: 10,
        internal_date: None,
        summary: summary(&raw).unwrap(),
        parse_error: None,
    };
    f.store.insert_messages(f.inbox, 1, std::slice::from_ref(&m)).unwrap();
    assert_eq!(uids(&f.store, "hello "), [1], "headers are searchable at once");
    assert_eq!(uids(&f.store, "walrus "), Vec::<u32>::new());
    f.store.save_body(f.inbox, 1, 1, &raw).unwrap();
    assert_eq!(uids(&f.store, "walrus "), [1], "the body as soon as it is saved");
    assert_eq!(f.store.index_backlog().unwrap(), 0);
    // A body saved again (changed) replaces the old text.
    let raw2 = mail("Wed, 1 May 2024 12:00:00 +0000", "a@example.test", "b@example.test", "hello", "narwhal");
    f.store.save_body(f.inbox, 1, 1, &raw2).unwrap();
    assert_eq!(uids(&f.store, "walrus "), Vec::<u32>::new());
    assert_eq!(uids(&f.store, "narwhal "), [1]);
    // The header refreshed by a later sync keeps the body's text.
    f.store.insert_messages(f.inbox, 1, &[m]).unwrap();
    assert_eq!(uids(&f.store, "narwhal "), [1]);
    // Expunged; then a whole folder reset (UIDVALIDITY change) and an account removed.
    f.store.remove_messages(f.inbox, 1, &[1]).unwrap();
    assert_eq!(uids(&f.store, "narwhal "), Vec::<u32>::new());
    assert_eq!(uids(&f.store, "hello "), Vec::<u32>::new());
    put(&mut f.store, f.archive, 5, &[], &raw);
    put(&mut f.store, f.home, 6, &[], &raw);
    f.store.begin_folder(f.archive, 2).unwrap();
    assert_eq!(uids(&f.store, "walrus "), [6]);
    f.store.remove_account("home").unwrap();
    assert_eq!(uids(&f.store, "walrus "), Vec::<u32>::new());
    f.store.check_integrity().unwrap();
    // The index agrees with its content table.
    f.store.check_search_index().unwrap();
}

/// A version 6 store (before search) with messages and bodies: the update indexes the
/// headers at once and queues the bodies, which `index_pending` works through.
#[test]
fn a_version_6_store_gains_the_index_with_what_it_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        schema::migrate(&mut conn, "old", &MIGRATIONS[..6]).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, key) VALUES (1, 'work');
             INSERT INTO folders (id, account, name, uidvalidity) VALUES (1, 1, 'INBOX', 1);",
        )
        .unwrap();
        for uid in 1..=250u32 {
            let raw = mail(
                "Wed, 1 May 2024 12:00:00 +0000",
                "a@example.test",
                "b@example.test",
                &format!("note {uid}"),
                &format!("item{uid} of the old store"),
            );
            conn.execute(
                "INSERT INTO messages (id, folder, uidvalidity, uid, unread, flagged, answered, size, sort_date,
                    sender_sort, subject, subject_sort)
                 VALUES (?1, 1, 1, ?1, 1, 0, 0, 100, ?1, 'a', ?2, ?2)",
                rusqlite::params![uid, format!("note {uid}")],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO bodies (message, raw, fetched_at) VALUES (?1, ?2, 0)",
                rusqlite::params![uid, raw],
            )
            .unwrap();
        }
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest());
    assert_eq!(uids(&store, "note 17 ")[..], [17]);
    assert_eq!(store.index_backlog().unwrap(), 250);
    assert_eq!(uids(&store, "item17 "), Vec::<u32>::new(), "bodies wait for their turn");
    // One chunk, newest first; then the rest.
    assert_eq!(store.index_pending(200, std::time::Duration::from_secs(60)).unwrap(), 200);
    assert_eq!(uids(&store, "item250 "), [250]);
    assert_eq!(store.index_backlog().unwrap(), 50);
    assert_eq!(store.index_pending(usize::MAX, std::time::Duration::from_secs(60)).unwrap(), 50);
    assert_eq!(uids(&store, "item17 "), [17]);
    assert_eq!(store.index_backlog().unwrap(), 0);
    store.check_search_index().unwrap();
}
