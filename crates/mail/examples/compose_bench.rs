//! Composer benchmarks, each beside a baseline measured in the same run:
//!
//! 1. Address completion: `Store::open` + `Store::seen_addresses(query, 6)` (what the composer
//!    runs per keystroke) on a store of N messages, beside a raw SQLite scan of the same
//!    address columns (`SELECT from_addr, to_addrs, cc_addrs FROM messages`).
//! 2. Building a message with a large attachment: `compose::build` beside base64-encoding the
//!    same bytes alone (the part of the work no builder can avoid).
//!
//! `cargo run --release -p tidings-mail --example compose_bench -- 100000 5`  (messages, rounds)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use base64::Engine;
use tidings_mail::compose::{self, Address, Attachment, NewMessage};
use tidings_mail::store::{Flags, FolderInfo, NewMessage as Row, Role, Store, Summary};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    {
        let mut store = Store::open(&path).unwrap();
        let account = store.account("bench").unwrap();
        let info = FolderInfo {
            name: "INBOX".into(),
            delimiter: None,
            role: Some(Role::Inbox),
            subscribed: true,
            selectable: true,
        };
        let folder = store.replace_folders(account, &[info]).unwrap()[0].id;
        store.begin_folder(folder, 1).unwrap();
        // 2,000 people; each message from one, to two, copied to one.
        let person = |i: u32| (format!("Person {i}"), format!("person{i}@example{}.test", i % 50));
        for chunk in (1..=n).collect::<Vec<_>>().chunks(5_000) {
            let rows: Vec<Row> = chunk
                .iter()
                .map(|&uid| {
                    let (fname, faddr) = person(uid * 7 % 2000);
                    let (t1, a1) = person(uid * 13 % 2000);
                    let (_, a2) = person(uid * 17 % 2000);
                    let (c1, ca) = person(uid * 19 % 2000);
                    Row {
                        uid,
                        modseq: None,
                        flags: Flags::default(),
                        size: 2000,
                        internal_date: Some(1_700_000_000 + i64::from(uid)),
                        summary: Summary {
                            date: Some(1_700_000_000 + i64::from(uid)),
                            from_name: Some(fname),
                            from_addr: Some(faddr),
                            to: Some(format!("{t1} <{a1}>, {a2}")),
                            cc: Some(format!("{c1} <{ca}>")),
                            subject: Some(format!("Subject {uid}")),
                            ..Summary::default()
                        },
                        parse_error: None,
                    }
                })
                .collect();
            store.insert_messages(folder, 1, &rows).unwrap();
        }
    }

    let queries = ["pe", "person12", "example7", "zzz"];
    let (mut raw, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for q in queries {
            let t = Instant::now();
            let conn = rusqlite::Connection::open(&path).unwrap();
            let mut stmt = conn.prepare("SELECT from_addr, to_addrs, cc_addrs FROM messages").unwrap();
            let mut rows = stmt.query([]).unwrap();
            let mut hits = 0usize;
            while let Some(r) = rows.next().unwrap() {
                let a: String = r.get(0).unwrap();
                if a.contains(q) {
                    hits += 1;
                }
            }
            std::hint::black_box(hits);
            raw.push(t.elapsed());

            let t = Instant::now();
            let store = Store::open(&path).unwrap();
            let found = store.seen_addresses(q, 6).unwrap();
            std::hint::black_box(found);
            ours.push(t.elapsed());
        }
    }
    let (raw, ours) = (median(raw), median(ours));
    println!("completion, {n} messages, median of {} queries:", rounds * queries.len());
    println!("  raw scan of the address columns (baseline): {}", ms(raw));
    println!("  Store::open + seen_addresses (Tidings):     {}", ms(ours));
    println!("  ratio: {:.2}x", ours.as_secs_f64() / raw.as_secs_f64());

    let data: Vec<u8> =
        (0..10 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let msg = NewMessage {
        from: Address::new(Some("Alice"), "alice@example.test"),
        to: vec![Address::email("bob@example.test")],
        subject: "Größere Datei".into(),
        body: "See the attachment.\n".into(),
        attachments: vec![Attachment::new("data.bin", "application/octet-stream", data.clone())],
        ..NewMessage::default()
    };
    let (mut b64, mut built) = (Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
        std::hint::black_box(encoded);
        b64.push(t.elapsed());
        let t = Instant::now();
        let out = compose::build(&msg).unwrap();
        size = out.bytes.len();
        std::hint::black_box(out);
        built.push(t.elapsed());
    }
    let (b64, built) = (median(b64), median(built));
    println!("build with a 10 MiB attachment ({size} bytes out), median of {rounds}:");
    println!("  base64 of the attachment alone (baseline): {}", ms(b64));
    println!("  compose::build (Tidings):                  {}", ms(built));
    println!("  ratio: {:.2}x", built.as_secs_f64() / b64.as_secs_f64());
}
