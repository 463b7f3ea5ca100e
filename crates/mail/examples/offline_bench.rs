//! Benchmark: keeping mail offline — the download of every body of N messages from the
//! testkit's Dovecot over TLS into a store that holds their headers only, beside `mbsync`
//! (Debian's isync, `FSync yes`) pulling the same INBOX into a fresh Maildir, in the same run.
//!
//!     cargo run --release -p tidings-mail --example offline_bench -- 10000 5
//!
//! Arguments: messages (default 10000), rounds (default 5). Seeds N messages of 2–50 KB (a
//! log-uniform mix: plain text, HTML with a text alternative, a quarter with a base64
//! attachment), syncs their headers once into a template store, warms the server with one
//! download and one pull that are not counted, then runs each round's two measurements in
//! turn, each in a child process on a fresh copy of the template / a fresh Maildir (made
//! and removed outside the timing). Tidings' time covers connecting, logging in, the
//! download with every chunk committed, and logging out; mbsync's the whole process.
//!
//! To time the two as whole processes with another tool, `serve DIR [N]` starts and seeds
//! the server, makes the template and runs until Ctrl+C; then `download DIR` and `mbsync
//! DIR` each make a fresh target, measure once, print `seconds messages peak-KiB cpu` and
//! remove their target before exiting. `OFFLINE_BENCH_FSYNC=no` runs mbsync with `FSync no`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tidings_mail::account::Security;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::options::KeepOffline;
use tidings_mail::pass::keep_offline;
use tidings_mail::store::{Store, StoreHandle};
use tidings_mail::sync::{Engine, no_progress};
use tidings_testkit::bench::{self, Measured, median};
use tidings_testkit::generate::{person, unix_time, word};
use tidings_testkit::{MailServers, User};

type BoxError = Box<dyn std::error::Error>;

/// The header-only store every download starts from.
const TEMPLATE: &str = "headers.sqlite3";
/// Where to reach the server: port, CA file, login, password, one a line.
const JOB: &str = "job";

/// A small hash (splitmix64), so sizes and shapes do not follow `i` in lockstep.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// About `len` bytes of prose, lines of twelve words, CRLF.
fn prose(seed: u64, len: usize) -> String {
    let mut out = String::with_capacity(len + 80);
    let mut k = 0u64;
    while out.len() < len {
        // Common words far more often than rare ones.
        let r = mix(seed ^ k) % 1_000_000;
        out.push_str(&word((r * r / 1_000_000_000) as usize));
        out.push_str(if k % 12 == 11 { "\r\n" } else { " " });
        k += 1;
    }
    out.push_str("\r\n");
    out
}

/// Message `i`: 2–50 KB (log-uniform), dated as the testkit's generator dates message `i`.
fn message(i: usize, to: &str) -> Vec<u8> {
    let seed = mix(i as u64);
    let target = (2_000.0 * 25f64.powf((seed % 10_000) as f64 / 10_000.0)) as usize;
    let (name, addr) = person((mix(seed ^ 1) % 400) as usize);
    let subject: Vec<String> =
        (0..3 + seed % 4).map(|k| word((mix(seed ^ (10 + k)) % 300) as usize)).collect();
    let secs = unix_time(i);
    let date = httpdate(secs);
    let mut m = format!(
        "Return-Path: <{addr}>\r\nReceived: from mx.example.org (mx.example.org [192.0.2.7])\r\n\
         \tby mail.example.test with ESMTPS id {seed:016x}\r\n\tfor <{to}>; {date}\r\n\
         Date: {date}\r\nFrom: {name} <{addr}>\r\nTo: <{to}>\r\nSubject: {}\r\n\
         Message-ID: <offline.{i}@example.org>\r\nMIME-Version: 1.0\r\n",
        subject.join(" ")
    );
    let b = format!("=_bench_{i}");
    match seed % 4 {
        // A quarter: a short note and a binary attachment making up the rest.
        0 => {
            let text = prose(seed, 600 + (seed % 1_400) as usize);
            let left = target.saturating_sub(m.len() + text.len() + 400);
            let bin: Vec<u8> = (0..left * 3 / 4).map(|k| mix(seed ^ k as u64) as u8).collect();
            let encoded = STANDARD.encode(bin);
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{text}--{b}\r\n\
                 Content-Type: application/pdf; name=\"report-{i}.pdf\"\r\n\
                 Content-Disposition: attachment; filename=\"report-{i}.pdf\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n"
            ));
            for line in encoded.as_bytes().chunks(76) {
                m.push_str(std::str::from_utf8(line).unwrap_or_default());
                m.push_str("\r\n");
            }
            m.push_str(&format!("--{b}--\r\n"));
        }
        // A quarter: HTML with its text alternative (the HTML about twice the text).
        1 => {
            let text = prose(seed, target.saturating_sub(m.len()) / 3);
            let html = format!(
                "<html><body><div style=\"font-family: sans-serif\"><p>{}</p></div></body></html>\r\n",
                text.replace("\r\n", "</p>\r\n<p>")
            );
            m.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n--{b}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{text}--{b}\r\n\
                 Content-Type: text/html; charset=utf-8\r\n\r\n{html}--{b}--\r\n"
            ));
        }
        _ => {
            let text = prose(seed, target.saturating_sub(m.len() + 100));
            m.push_str(&format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"));
        }
    }
    m.into_bytes()
}

/// RFC 5322 date in UTC from unix seconds (days to a civil date: H. Hinnant's algorithm).
fn httpdate(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let name = names[(month - 1).clamp(0, 11) as usize];
    format!("{day} {name} {year} {:02}:{:02}:{:02} +0000", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Writes the messages into the user's Maildir as its owner (as the testkit's own seeding
/// does) and has Dovecot index them. Returns their total size.
fn seed(s: &MailServers, user: &User, n: usize) -> Result<u64, BoxError> {
    use std::os::unix::fs::MetadataExt;
    let maildir = s.maildir(user);
    let owner = std::fs::metadata(&maildir)?;
    let mut total = 0;
    for i in 0..n {
        let raw = message(i, &user.email);
        total += raw.len() as u64;
        let name = format!("{i}.bench,S={},W={}:2,S", raw.len(), raw.len());
        let tmp = maildir.join("tmp").join(&name);
        std::fs::write(&tmp, &raw)?;
        std::os::unix::fs::chown(&tmp, Some(owner.uid()), Some(owner.gid()))?;
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_time(i).max(0) as u64);
        std::fs::File::options().write(true).open(&tmp)?.set_modified(when)?;
        std::fs::rename(&tmp, maildir.join("cur").join(&name))?;
    }
    s.doveadm(&["force-resync", "-u", &user.login, "INBOX"])?;
    Ok(total)
}

/// (port, CA file, login, password) from DIR/job.
fn job(dir: &Path) -> Result<(u16, String, String, String), BoxError> {
    let text = std::fs::read_to_string(dir.join(JOB))?;
    let l: Vec<&str> = text.lines().collect();
    if l.len() < 4 {
        return Err(format!("{} is incomplete", dir.join(JOB).display()).into());
    }
    Ok((l[0].parse()?, l[1].into(), l[2].into(), l[3].into()))
}

fn engine(dir: &Path, store: StoreHandle) -> Result<Engine, BoxError> {
    let (port, ca, user, password) = job(dir)?;
    let mut ep = Endpoint::new("127.0.0.1", port, Security::Implicit);
    ep.trust = TrustAnchors { extra_ca_pem: vec![std::fs::read(ca)?], pin: None };
    Ok(Engine::with_endpoint("bench", ep, user, password, store, Transcript::with_capacity(2_000)))
}

/// A fresh directory for one measurement's target.
fn fresh(dir: &Path) -> Result<PathBuf, BoxError> {
    let run = dir.join("runs").join(std::process::id().to_string());
    if run.exists() {
        std::fs::remove_dir_all(&run)?;
    }
    std::fs::create_dir_all(&run)?;
    Ok(run)
}

/// Syncs the headers into DIR/headers.sqlite3 (in a child, so the store is closed, its
/// WAL folded in, before the file is copied).
fn headers(dir: &Path) -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let t0 = Instant::now();
    let n = rt.block_on(async {
        let store = StoreHandle::spawn(Store::open(dir.join(TEMPLATE))?)?;
        let mut e = engine(dir, store)?;
        let report = e.sync_account(&no_progress).await?;
        e.logout().await?;
        Ok::<_, BoxError>(report.folders.iter().map(|f| f.new).sum())
    })?;
    drop(rt);
    // Everything into the main file, which is all that is copied.
    let conn = rusqlite::Connection::open(dir.join(TEMPLATE))?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0))?;
    bench::print_measured(t0.elapsed(), n);
    Ok(())
}

/// One download into a fresh copy of the template; the copy is not timed.
fn download(dir: &Path) -> Result<(), BoxError> {
    let run = fresh(dir)?;
    let db = run.join("mail.sqlite3");
    std::fs::copy(dir.join(TEMPLATE), &db)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (elapsed, n) = rt.block_on(async {
        let store = StoreHandle::spawn(Store::open(&db)?)?;
        let mut e = engine(dir, store)?;
        let t0 = Instant::now();
        let report = keep_offline(&mut e, KeepOffline::All, &|| false, &|_| {}).await?;
        e.logout().await?;
        Ok::<_, BoxError>((t0.elapsed(), report.done))
    })?;
    drop(rt);
    // The store indexes stored bodies for search between its jobs: how far it got.
    let conn = rusqlite::Connection::open(&db)?;
    if let Ok(left) = conn.query_row("SELECT count(*) FROM search_pending", [], |r| r.get::<_, i64>(0)) {
        eprintln!("download: {n} bodies stored, {left} not yet indexed for search");
    }
    drop(conn);
    bench::print_measured(elapsed, n);
    std::fs::remove_dir_all(run)?;
    Ok(())
}

/// The mbsync configuration pulling the INBOX into `maildir`.
fn mbsyncrc(dir: &Path, maildir: &Path) -> Result<String, BoxError> {
    let (port, ca, user, password) = job(dir)?;
    let m = maildir.display();
    // `OFFLINE_BENCH_FSYNC=no` for a comparison without mbsync's fsync per message.
    let fsync = std::env::var("OFFLINE_BENCH_FSYNC").unwrap_or_else(|_| "yes".into());
    Ok(format!(
        "FSync {fsync}\n\n\
         IMAPAccount bench\nHost localhost\nPort {port}\nUser {user}\nPass {password}\n\
         SSLType IMAPS\nCertificateFile {ca}\n\n\
         IMAPStore remote\nAccount bench\n\n\
         MaildirStore local\nPath {m}/\nInbox {m}/INBOX\n\n\
         Channel bench\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\nSync Pull\nSyncState *\n"
    ))
}

/// One `mbsync -a` into a fresh Maildir (under GNU time, `apt-get install isync time`); the
/// mbsync process is timed, and its CPU read back from this process's children's times.
fn mbsync(dir: &Path) -> Result<(), BoxError> {
    let run = fresh(dir)?;
    let maildir = run.join("Mail");
    std::fs::create_dir_all(&maildir)?;
    let rc = run.join("mbsyncrc");
    std::fs::write(&rc, mbsyncrc(dir, &maildir)?)?;
    // GNU time reports mbsync's own peak RSS (KiB).
    let rss = run.join("rss");
    let t0 = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .args(["mbsync", "-c"])
        .arg(&rc)
        .arg("-a")
        .output()?;
    let elapsed = t0.elapsed();
    if !out.status.success() {
        return Err(format!("mbsync failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let mut n = 0;
    for sub in ["cur", "new"] {
        n += std::fs::read_dir(maildir.join("INBOX").join(sub))?.count() as u64;
    }
    // Fields after the command name: cutime and cstime are the 14th and 15th (ticks).
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let f: Vec<f64> = stat
        .rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let cpu = (f.get(13).copied().unwrap_or(0.0) + f.get(14).copied().unwrap_or(0.0)) / 100.0;
    let kb: u64 = std::fs::read_to_string(&rss)?.trim().parse().unwrap_or(0);
    println!("{} {n} {kb} {cpu}", elapsed.as_secs_f64());
    std::fs::remove_dir_all(run)?;
    Ok(())
}

/// Starts the servers, seeds, makes the template and warms the server with one download
/// and one pull.
fn prepare(dir: &Path, n: usize) -> Result<MailServers, BoxError> {
    let s = MailServers::start()?;
    let alice = s.user("alice").clone();
    let t = Instant::now();
    let bytes = seed(&s, &alice, n)?;
    eprintln!("seeded {n} messages ({:.0} MB) in {:.1} s", bytes as f64 / 1e6, t.elapsed().as_secs_f64());
    let ca = s.ca_path().display().to_string();
    std::fs::write(
        dir.join(JOB),
        format!("{}\n{ca}\n{}\n{}\n", s.imaps_port(), alice.login, alice.password),
    )?;
    let got = child(dir, "headers")?.n;
    if got as usize != n {
        return Err(format!("the header sync stored {got} messages, not {n}").into());
    }
    std::fs::write(dir.join("mbsyncrc.example"), mbsyncrc(dir, &dir.join("Mail"))?)?;
    for mode in ["download", "mbsync"] {
        let warm = child(dir, mode)?;
        eprintln!("warm-up {mode}: {:.2} s, {} messages", warm.secs, warm.n);
    }
    Ok(s)
}

fn child(dir: &Path, mode: &str) -> Result<Measured, BoxError> {
    let d = dir.display().to_string();
    Ok(bench::run_child(&[mode, &d], "")?)
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir_arg = || args.get(1).map(PathBuf::from).ok_or("a directory is needed");
    match args.first().map(String::as_str) {
        Some("headers") => return headers(&dir_arg()?),
        Some("download") => return download(&dir_arg()?),
        Some("mbsync") => return mbsync(&dir_arg()?),
        Some("serve") => {
            let dir = dir_arg()?;
            std::fs::create_dir_all(&dir)?;
            let n = args.get(2).map_or(Ok(10_000), |a| a.parse())?;
            let s = prepare(&dir, n)?;
            let exe = std::env::current_exe()?;
            println!(
                "ready: {} download {d} | {} mbsync {d}",
                exe.display(),
                exe.display(),
                d = dir.display()
            );
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(tokio::signal::ctrl_c())?;
            drop(s);
            return Ok(());
        }
        _ => {}
    }
    let messages: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5).max(1);
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let _servers = prepare(dir, messages)?;
    let (mut t_times, mut m_times, mut t_cpu, mut m_cpu, mut ratios) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut t_rss, mut m_rss) = (0, 0);
    for round in 0..rounds {
        // Alternate which goes first, so neither always follows the other's disk writes.
        let order = if round % 2 == 0 { ["download", "mbsync"] } else { ["mbsync", "download"] };
        let mut got = Vec::new();
        for mode in order {
            let m = child(dir, mode)?;
            if m.n as usize != messages {
                return Err(format!("{mode} ended with {} messages, not {messages}", m.n).into());
            }
            got.push((mode, m));
        }
        let pick = |name: &str| got.iter().find(|(m, _)| *m == name).map(|(_, m)| *m).ok_or("missing");
        let (t, m) = (pick("download")?, pick("mbsync")?);
        eprintln!(
            "round {}: Tidings {:.2} s ({:.2} s CPU), mbsync {:.2} s ({:.2} s CPU), {:.2}×",
            round + 1,
            t.secs,
            t.cpu,
            m.secs,
            m.cpu,
            t.secs / m.secs
        );
        t_times.push(t.secs);
        t_cpu.push(t.cpu);
        t_rss = t_rss.max(t.kb);
        m_times.push(m.secs);
        m_cpu.push(m.cpu);
        m_rss = m_rss.max(m.kb);
        ratios.push(t.secs / m.secs);
    }
    let (t, m) = (median(t_times), median(m_times));
    println!("| what ({messages} messages, median of {rounds}) | time | client CPU | peak RSS |");
    println!("|---|---:|---:|---:|");
    let fsync = std::env::var("OFFLINE_BENCH_FSYNC").unwrap_or_else(|_| "yes".into());
    println!(
        "| mbsync pull into a Maildir, `FSync {fsync}` (baseline) | {m:.2} s | {:.2} s | {:.1} MB |",
        median(m_cpu),
        m_rss as f64 / 1024.0
    );
    println!(
        "| Tidings keep-offline download | {t:.2} s | {:.2} s | {:.1} MB |",
        median(t_cpu),
        t_rss as f64 / 1024.0
    );
    println!(
        "| ratio (of the medians; median of the rounds' ratios {:.2}×) | {:.2}× | | |",
        median(ratios),
        t / m
    );
    Ok(())
}
