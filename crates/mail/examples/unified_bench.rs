//! Times the views across every account ("All Inboxes", "Unread", "Flagged") on a store of
//! 100k messages in two accounts: the first window of each, a window deep in All Inboxes, their
//! counts (what the folder pane shows) and a message's position (a re-sort keeping the
//! selection). Each figure is the median of 21 runs on a warm store.
//! `cargo run --release -p tidings-mail --example unified_bench [N]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use tidings_mail::store::{Flags, FolderInfo, NewMessage, Role, Sort, Store, Summary, Unified};

fn message(uid: u32, n: u64) -> NewMessage {
    let mut flags = Vec::new();
    if !n.is_multiple_of(7) {
        flags.push("\\Seen");
    }
    if n.is_multiple_of(50) {
        flags.push("\\Flagged");
    }
    let date = 1_700_000_000 + (n as i64) * 97 % 86_400_000;
    NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(flags),
        size: 2_000 + (n % 5_000) as u32,
        internal_date: Some(date),
        summary: Summary {
            date: Some(date),
            from_name: Some(format!("Sender {}", n % 613)),
            from_addr: Some(format!("s{}@example.test", n % 613)),
            subject: Some(format!("Subject {n}")),
            ..Summary::default()
        },
        parse_error: None,
    }
}

fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..21)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
    let started = Instant::now();
    // Each account: 80% in its Inbox, 15% in Archive, 5% in Trash.
    let mut k = 0;
    for key in ["work", "home"] {
        let account = store.account(key).unwrap();
        let info = |name: &str, role| FolderInfo {
            name: name.into(),
            delimiter: Some("/".into()),
            role,
            subscribed: true,
            selectable: true,
        };
        let folders = store
            .replace_folders(
                account,
                &[
                    info("INBOX", Some(Role::Inbox)),
                    info("Archive", Some(Role::Archive)),
                    info("Trash", Some(Role::Trash)),
                ],
            )
            .unwrap();
        let half = n / 2;
        for (folder, share) in folders.iter().zip([80, 15, 5]) {
            store.begin_folder(folder.id, 1).unwrap();
            let count = half * share / 100;
            let mut uid = 1;
            while uid <= count as u32 {
                let batch: Vec<NewMessage> = (uid..=(uid + 4_999).min(count as u32))
                    .map(|u| {
                        k += 1;
                        message(u, k)
                    })
                    .collect();
                uid += batch.len() as u32;
                store.insert_messages(folder.id, 1, &batch).unwrap();
            }
        }
    }
    println!("stored {k} messages in two accounts: {:?}", started.elapsed());
    let inbox = {
        let account = store.account("home").unwrap();
        store.folder(account, "INBOX").unwrap().unwrap().id
    };

    for view in Unified::ALL {
        let counts = store.unified_counts(view).unwrap();
        let t = median(|| {
            store.unified_counts(view).unwrap();
        });
        println!("{}: counts ({} messages, {} unread): {t:?}", view.label(), counts.total, counts.unread);
        let t = median(|| {
            assert!(!store.unified(view, Sort::NEWEST, 0, 100).unwrap().is_empty());
        });
        println!("{}: first window of 100, newest first: {t:?}", view.label());
    }
    let total = store.unified_counts(Unified::Inboxes).unwrap().total;
    let t = median(|| {
        assert_eq!(store.unified(Unified::Inboxes, Sort::NEWEST, total / 2, 100).unwrap().len(), 100);
    });
    println!("All Inboxes: window of 100 at {}: {t:?}", total / 2);
    let t = median(|| {
        assert!(store.unified_position(Unified::Inboxes, Sort::NEWEST, inbox, 1_000).unwrap().is_some());
    });
    println!("All Inboxes: a message's position: {t:?}");
    let t = median(|| {
        store.counts(inbox).unwrap();
    });
    println!("one folder's counts, for comparison: {t:?}");
}
