//! Times threading an older store's 100k messages after the update that added
//! conversations, one page of the threaded list of a 100k-message folder and the order of
//! all its threads.
//! `cargo run --release -p tidings-mail --example thread_bench`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rusqlite::Connection;
use tidings_mail::store::schema::{self, MIGRATIONS};
use tidings_mail::store::{Sort, Store};

fn main() {
    let n: i64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        schema::migrate(&mut conn, "old", &MIGRATIONS[..7]).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, key) VALUES (1, 'work');
             INSERT INTO folders (id, account, name, uidvalidity) VALUES (1, 1, 'INBOX', 1);",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        // Threads of one to eight messages, each reply naming its parent and the start.
        let mut k = 0;
        while k < n {
            let size = 1 + k % 8;
            for j in 0..size.min(n - k) {
                let id = format!("m{}@example.test", k + j);
                let (irt, refs) = if j == 0 {
                    (None, None)
                } else {
                    let parent = format!("m{}@example.test", k + j - 1);
                    (Some(parent.clone()), Some(format!("m{k}@example.test {parent}")))
                };
                tx.execute(
                    "INSERT INTO messages (folder, uidvalidity, uid, unread, flagged, answered, size, sort_date,
                        sender_sort, subject, subject_sort, message_id, in_reply_to, refs)
                     VALUES (1, 1, ?1, ?2, 0, 0, 100, ?1, 'a', 's', 's', ?3, ?4, ?5)",
                    rusqlite::params![k + j + 1, (k + j) % 3 == 0, id, irt, refs],
                )
                .unwrap();
            }
            k += size;
        }
        tx.commit().unwrap();
    }
    let started = Instant::now();
    let mut store = Store::open(&path).unwrap();
    println!("open (migration to version {}): {:?}", schema::latest(), started.elapsed());
    let started = Instant::now();
    let done = store.thread_pending(usize::MAX, Duration::MAX).unwrap();
    println!("threaded {done} messages: {:?}", started.elapsed());
    let account = store.account("work").unwrap();
    let inbox = store.folder(account, "INBOX").unwrap().unwrap().id;
    for _ in 0..3 {
        let started = Instant::now();
        let page = store.threads(inbox, Sort::NEWEST, 100, 0).unwrap();
        println!("threaded list, first page of {}: {:?}", page.len(), started.elapsed());
        let started = Instant::now();
        let order = store.thread_order(inbox, Sort::NEWEST).unwrap();
        println!("the order of its {} threads: {:?}", order.len(), started.elapsed());
    }
    let started = Instant::now();
    let msgs = store.thread_messages(store.thread_of(inbox, n as u32).unwrap().unwrap()).unwrap();
    println!("a conversation of {}: {:?}", msgs.len(), started.elapsed());
}
