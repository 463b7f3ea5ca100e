//! The sort indexes a big sync drops: another opener of the store leaves them to the sync
//! while it runs, and builds them when the sync's process is gone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tidings_mail::store::Store;

fn sort_indexes(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('messages_by_sender', 'messages_by_subject', 'messages_by_size') ORDER BY name")
        .unwrap();
    st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn marker(db: &Path) -> std::path::PathBuf {
    db.with_file_name("mail.sqlite3.sort-indexes-deferred")
}

#[test]
fn an_opener_leaves_deferred_indexes_to_the_live_sync_that_dropped_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mail.sqlite3");
    let mut sync = Store::open(&db).unwrap();
    assert_eq!(sort_indexes(&db).len(), 3);
    sync.defer_sort_indexes().unwrap();
    assert!(sort_indexes(&db).is_empty());
    assert!(marker(&db).exists(), "the marker names the sync's process");

    // The window opening the store meanwhile (this process is alive): nothing is built.
    let reader = Store::open(&db).unwrap();
    assert!(sort_indexes(&db).is_empty(), "built under the live sync's feet");
    drop(reader);

    assert_eq!(sync.restore_sort_indexes().unwrap(), 3);
    assert_eq!(sort_indexes(&db).len(), 3);
    assert!(!marker(&db).exists(), "the marker goes with the rebuild");
}

#[test]
fn indexes_dropped_by_a_process_that_is_gone_are_built_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mail.sqlite3");
    let mut sync = Store::open(&db).unwrap();
    sync.defer_sort_indexes().unwrap();
    drop(sync);
    // As a sync killed midway leaves it: the marker names a process that no longer runs.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let gone = child.id();
    child.wait().unwrap();
    std::fs::write(marker(&db), gone.to_string()).unwrap();
    assert!(sort_indexes(&db).is_empty());

    let _store = Store::open(&db).unwrap();
    assert_eq!(sort_indexes(&db).len(), 3, "a killed sync's indexes are built again");

    // A marker that says nothing readable counts as gone too.
    let mut again = Store::open(&db).unwrap();
    again.defer_sort_indexes().unwrap();
    drop(again);
    std::fs::write(marker(&db), "garbage").unwrap();
    let _store = Store::open(&db).unwrap();
    assert_eq!(sort_indexes(&db).len(), 3);
}
