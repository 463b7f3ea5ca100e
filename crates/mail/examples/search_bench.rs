//! Benchmark: search over N stored messages with bodies, beside `notmuch search` on a
//! Maildir of the same messages, query by query.
//!
//!     cargo run --release -p tidings-mail --example search_bench -- build DIR 100000
//!     cargo run --release -p tidings-mail --example search_bench -- run DIR [ROUNDS]
//!
//! `build` writes half the messages with the testkit's MIME shapes (`generate::message`)
//! and half with natural word frequencies (`generate::prose_message`; HTML for a quarter of
//! them) into a profile's store under DIR/profile (as a POP3 pass stores them: bodies queued
//! for the index), a third of them read; times the header index as the schema update builds
//! it and the bodies' text as the store indexes it afterwards. It writes the same messages,
//! with the same read flags, to DIR/maildir and runs `notmuch new` on it (Debian's
//! notmuch; its config in DIR/notmuch-config).
//!
//! `run` times 20 typical queries (each the median of ROUNDS runs, default 9, after one
//! warm-up): Tidings in this process, first page of 50, newest first, with snippets; notmuch
//! as `notmuch search --limit=50 --sort=newest-first` (a process per query: its start-up,
//! measured with a query that matches nothing, is printed beside). Prints a Markdown table.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tidings_mail::profile::Profile;
use tidings_mail::search::{Scope, search};
use tidings_mail::store::{Pop3Batch, Store};
use tidings_testkit::generate::{message, prose_message};

type BoxError = Box<dyn std::error::Error>;

/// (Tidings query, the same for notmuch). notmuch does not fold diacritics and has no
/// implicit prefix: its side gets the accented spelling and a `*`.
const QUERIES: &[(&str, &str)] = &[
    ("budget", "budget"),
    ("\"quarterly report\"", "\"quarterly report\""),
    ("from:muller", "from:müller"),
    ("subject:invoice", "subject:invoice"),
    ("meeting agenda", "meeting and agenda"),
    ("is:unread report", "tag:unread and report"),
    ("has:attachment", "tag:attachment"),
    ("after:2023-01-01 budget", "date:2023-01-01.. and budget"),
    ("before:2020-06-01", "date:..2020-06-01"),
    ("date:2022-03", "date:2022-03-01..2022-03-31"),
    ("zurich", "zürich"),
    ("cafe OR hotel", "café or hotel"),
    ("budget -draft", "budget and not draft"),
    ("kalo", "kalo"),
    ("to:bob", "to:bob"),
    ("filename:data", "attachment:data"),
    ("fox", "fox"),
    ("subject:\"weekly digest\"", "subject:\"weekly digest\""),
    ("from:carol subject:report", "from:carol and subject:report"),
    ("meet", "meet*"),
];

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("build") => {
            let dir = PathBuf::from(args.get(1).ok_or("build DIR [N]")?);
            let n = args.get(2).map_or(Ok(100_000), |a| a.parse())?;
            build(&dir, n)
        }
        Some("run") => {
            let dir = PathBuf::from(args.get(1).ok_or("run DIR [ROUNDS]")?);
            let rounds = args.get(2).map_or(Ok(9), |a| a.parse())?;
            run(&dir, rounds)
        }
        // Only a store, for a profile made by `tidings account add` (scripts/bench-start).
        Some("store") => {
            let dir = PathBuf::from(args.get(1).ok_or("store PROFILE_DIR ACCOUNT_ID N")?);
            let key = args.get(2).ok_or("store PROFILE_DIR ACCOUNT_ID N")?;
            let n = args.get(3).map_or(Ok(100_000), |a| a.parse())?;
            store_only(&Profile::at(dir), key, n)
        }
        _ => {
            Err("usage: search_bench build DIR [N] | run DIR [ROUNDS] | store PROFILE_DIR ACCOUNT_ID N"
                .into())
        }
    }
}

fn raw(i: usize) -> Vec<u8> {
    // Even: the testkit's shapes in their cycle (message i/2); odd: prose.
    if i.is_multiple_of(2) {
        message(i / 2, "bob@example.test")
    } else {
        prose_message(i, "bob@example.test")
    }
}

fn read(i: usize) -> bool {
    i.is_multiple_of(3)
}

fn notmuch(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("notmuch");
    c.env("NOTMUCH_CONFIG", dir.join("notmuch-config")).args(args);
    c
}

fn store_only(profile: &Profile, key: &str, n: usize) -> Result<(), BoxError> {
    let mut store = Store::open(profile.store_path())?;
    let account = store.account(key)?;
    let inbox = store.pop3_setup(account)?;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Pop3Batch::default();
        for &i in chunk {
            let m = raw(i);
            batch.push(format!("u{i}"), m.len() as u64, &m, false);
        }
        store.pop3_commit(account, inbox, batch, 1_735_689_600)?;
    }
    store.index_pending(usize::MAX, Duration::MAX)?;
    store.thread_pending(usize::MAX, Duration::MAX)?;
    Ok(())
}

fn build(dir: &Path, n: usize) -> Result<(), BoxError> {
    let profile = Profile::at(dir.join("profile"));
    let maildir = dir.join("maildir");
    // A Maildir already indexed by notmuch is kept (the same messages): only the store is
    // built again.
    let keep_maildir = maildir.join(".notmuch").exists();
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub))?;
    }
    let mut store = Store::open(profile.store_path())?;
    let account = store.account("bench")?;
    let inbox = store.pop3_setup(account)?;
    let started = Instant::now();
    let mut bytes = 0;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Pop3Batch::default();
        for &i in chunk {
            let m = raw(i);
            bytes += m.len();
            let flags = if read(i) { "S" } else { "" };
            if !keep_maildir {
                std::fs::write(maildir.join("cur").join(format!("{i}.bench:2,{flags}")), &m)?;
            }
            batch.push(format!("u{i}"), m.len() as u64, &m, false);
        }
        store.pop3_commit(account, inbox, batch, 1_735_689_600)?;
    }
    drop(store);
    eprintln!("stored {n} messages ({} MB) in {:.1} s", bytes / 1_000_000, started.elapsed().as_secs_f64());

    let db = rusqlite::Connection::open(profile.store_path())?;
    db.execute("UPDATE messages SET flags = '\\Seen', unread = 0 WHERE uid % 3 = 1", [])?;
    // What the schema update does on an older store of this size (headers only: the bodies
    // are indexed afterwards).
    let t = Instant::now();
    db.execute("INSERT INTO message_search (message_search) VALUES ('rebuild')", [])?;
    let rebuild = t.elapsed();
    drop(db);

    let mut store = Store::open(profile.store_path())?;
    let backlog = store.index_backlog()?;
    let t = Instant::now();
    let indexed = store.index_pending(usize::MAX, Duration::MAX)?;
    let fill = t.elapsed();
    drop(store);
    let size = std::fs::metadata(profile.store_path())?.len();

    std::fs::write(
        dir.join("notmuch-config"),
        format!(
            "[database]\npath={}\n[new]\ntags=unread;\n[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=true\n",
            maildir.display()
        ),
    )?;
    let t = Instant::now();
    if !keep_maildir {
        let status = notmuch(dir, &["new", "--quiet"]).status()?;
        if !status.success() {
            return Err("notmuch new failed".into());
        }
    }
    let notmuch_new = t.elapsed();
    println!("| step | {n} messages |");
    println!("|---|---|");
    println!(
        "| schema update: index the stored headers (one transaction, at opening) | {:.2} s |",
        rebuild.as_secs_f64()
    );
    println!(
        "| index the stored bodies afterwards ({indexed} of {backlog} queued, chunks of 200) | {:.1} s |",
        fill.as_secs_f64()
    );
    println!("| store file with the index | {} MB |", size / 1_000_000);
    println!("| `notmuch new` on the Maildir | {:.1} s |", notmuch_new.as_secs_f64());
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

fn time_notmuch(dir: &Path, q: &str, rounds: usize) -> Result<(f64, usize), BoxError> {
    let mut times = Vec::new();
    let mut found = 0;
    for round in 0..=rounds {
        let t = Instant::now();
        let out =
            notmuch(dir, &["search", "--limit=50", "--sort=newest-first", "--output=summary", q]).output()?;
        let secs = t.elapsed().as_secs_f64();
        if !out.status.success() {
            return Err(format!("notmuch search {q}: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        found = out.stdout.iter().filter(|&&b| b == b'\n').count();
        if round > 0 {
            times.push(secs);
        }
    }
    Ok((median(times), found))
}

fn run(dir: &Path, rounds: usize) -> Result<(), BoxError> {
    let profile = Profile::at(dir.join("profile"));
    let store = Store::open(profile.store_path())?;
    let total: i64 = rusqlite::Connection::open(profile.store_path())?.query_row(
        "SELECT count(*) FROM messages",
        [],
        |r| r.get(0),
    )?;
    let (floor, _) = time_notmuch(dir, "id:nothing-matches-this", rounds)?;
    println!("{total} messages; each figure the median of {rounds} runs after a warm-up.\n");
    println!("| query | Tidings | hits | notmuch query | notmuch search | hits |");
    println!("|---|---|---|---|---|---|");
    let (mut ours, mut theirs, mut wins) = (Vec::new(), Vec::new(), 0);
    for (q, nq) in QUERIES {
        let mut times = Vec::new();
        let mut hits = 0;
        for round in 0..=rounds {
            let t = Instant::now();
            let found = search(&store, q, &Scope::default(), 50, 0)?;
            let secs = t.elapsed().as_secs_f64();
            hits = found.len();
            if round > 0 {
                times.push(secs);
            }
        }
        let m = median(times);
        let (nm, nhits) = time_notmuch(dir, nq, rounds)?;
        if m <= nm {
            wins += 1;
        }
        println!("| `{q}` | {:.1} ms | {hits} | `{nq}` | {:.1} ms | {nhits} |", m * 1000.0, nm * 1000.0);
        ours.push(m);
        theirs.push(nm);
    }
    println!(
        "\nMedian of the 20 query medians: Tidings {:.1} ms, notmuch {:.1} ms (its process start-up alone, a query matching nothing: {:.1} ms). Tidings at least as fast on {wins} of 20.",
        median(ours) * 1000.0,
        median(theirs) * 1000.0,
        floor * 1000.0
    );
    Ok(())
}
