//! Benchmark: header sync of N messages from the testkit's Dovecot over TLS into a fresh
//! store, beside a raw async-imap streaming `UID FETCH 1:*` of the same items on the same
//! tapped connection stack, in the same run. Each measurement runs in its own child process
//! so its peak RSS (VmHWM) is its own.
//!
//!     cargo run --release -p tidings-mail --example imap_bench -- 100000 3
//!
//! Arguments: messages (default 100000), rounds (default 3). Prints a Markdown table.

use std::time::Instant;

use futures::StreamExt;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::imap;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::store::{Store, StoreHandle};
use tidings_mail::sync::{Engine, headers::header_query, no_progress};
use tidings_testkit::MailServers;
use tidings_testkit::bench::{self, Measured, median};

type BoxError = Box<dyn std::error::Error>;

/// What a child measures: `raw` or `sync`, against host:port with a CA file and a user.
struct Job {
    mode: String,
    port: u16,
    ca: String,
    user: String,
    password: String,
}

fn endpoint(job: &Job) -> Result<Endpoint, BoxError> {
    let mut ep = Endpoint::new("127.0.0.1", job.port, Security::Implicit);
    ep.trust = TrustAnchors { extra_ca_pem: vec![std::fs::read(&job.ca)?], pin: None };
    Ok(ep)
}

async fn raw(job: &Job) -> Result<u64, BoxError> {
    let ep = endpoint(job)?;
    let t = Transcript::with_capacity(2_000);
    t.elide_literals(true);
    let mut facts = SessionFacts::default();
    let lc = imap::open(&ep, &t, &mut facts).await?;
    let mut session =
        imap::login(lc, &ep, &Credential::password(&job.user, &job.password), &mut facts).await?;
    session.select("INBOX").await?;
    let mut n = 0u64;
    {
        let mut stream = session.uid_fetch("1:*", header_query()).await?;
        while let Some(item) = stream.next().await {
            // Owned and small, as the engine does, then dropped.
            let f = item?;
            let owned = (f.uid, f.size, f.header().map(<[u8]>::to_vec));
            std::hint::black_box(owned);
            n += 1;
        }
    }
    session.logout().await?;
    Ok(n)
}

async fn sync(job: &Job) -> Result<u64, BoxError> {
    let dir = tempfile::tempdir()?;
    let store = StoreHandle::spawn(Store::open(dir.path().join("mail.sqlite3"))?)?;
    let mut engine = Engine::with_endpoint(
        "bench",
        endpoint(job)?,
        job.user.clone(),
        job.password.clone(),
        store,
        Transcript::with_capacity(2_000),
    );
    let report = engine.sync_account(&no_progress).await?;
    engine.logout().await?;
    Ok(report.folders.iter().map(|f| f.new).sum())
}

fn child(args: &[String]) -> Result<(), BoxError> {
    let job = Job {
        mode: args[2].clone(),
        port: args[3].parse()?,
        ca: args[4].clone(),
        user: args[5].clone(),
        password: std::env::var(bench::PASSWORD_ENV)?,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let t0 = Instant::now();
    let n = rt.block_on(async {
        match job.mode.as_str() {
            "raw" => raw(&job).await,
            _ => sync(&job).await,
        }
    })?;
    bench::print_measured(t0.elapsed(), n);
    Ok(())
}

fn run_child(mode: &str, s: &MailServers) -> Result<Measured, BoxError> {
    let alice = s.user("alice");
    let (port, ca) = (s.imaps_port().to_string(), s.ca_path().display().to_string());
    Ok(bench::run_child(&["--child", mode, &port, &ca, &alice.login], &alice.password)?)
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child(&args);
    }
    let messages: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3).max(1);
    let s = MailServers::start()?;
    let t = Instant::now();
    s.seed(s.user("alice"), messages)?;
    eprintln!("seeded {messages} messages in {:.1} s", t.elapsed().as_secs_f64());
    // Warm the server (its index is built on the first fetch): not measured.
    let warm = run_child("raw", &s)?;
    assert_eq!(warm.n as usize, messages, "the warm-up fetch saw {} messages", warm.n);
    let (mut raw_t, mut sync_t, mut raw_cpu, mut sync_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut raw_rss, mut sync_rss) = (0, 0);
    for round in 0..rounds {
        let raw = run_child("raw", &s)?;
        assert_eq!(raw.n as usize, messages);
        let sync = run_child("sync", &s)?;
        assert_eq!(sync.n as usize, messages, "the sync stored {} messages", sync.n);
        eprintln!(
            "round {}: raw {:.2} s ({:.2} s CPU), sync {:.2} s ({:.2} s CPU)",
            round + 1,
            raw.secs,
            raw.cpu,
            sync.secs,
            sync.cpu
        );
        raw_t.push(raw.secs);
        raw_cpu.push(raw.cpu);
        raw_rss = raw_rss.max(raw.kb);
        sync_t.push(sync.secs);
        sync_cpu.push(sync.cpu);
        sync_rss = sync_rss.max(sync.kb);
    }
    let (r, y) = (median(raw_t), median(sync_t));
    let (rc, yc) = (median(raw_cpu), median(sync_cpu));
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!("| what ({messages} messages, median of {rounds}) | time | client CPU | peak RSS |");
    println!("|---|---:|---:|---:|");
    println!("| raw async-imap `UID FETCH 1:*` (baseline) | {r:.2} s | {rc:.2} s | {:.1} MB |", mb(raw_rss));
    println!("| Tidings header sync into the store | {y:.2} s | {yc:.2} s | {:.1} MB |", mb(sync_rss));
    println!("| ratio | {:.2}× | | |", y / r);
    Ok(())
}
