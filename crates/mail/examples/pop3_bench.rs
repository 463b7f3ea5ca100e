//! Benchmark: the POP3 receive pass of N messages from the testkit's Dovecot over TLS into a
//! fresh store, beside minimal pipelined readers of the same messages, in the same run. Each
//! measurement runs in its own child process so its peak RSS (VmHWM) is its own.
//!
//!     cargo run --release -p tidings-mail --example pop3_bench -- 10000 3
//!
//! Arguments: messages (default 10000), rounds (default 3), and optionally a size in KB:
//! then every message is the generator's message padded with base64 lines to about that size
//! (written into the maildir like the testkit's seeding). Prints a Markdown table.
//!
//! - `raw-tls`: TLS straight on the socket (no tap, no transcript), USER/PASS, then `RETR 1..n`
//!   with 16 commands in flight, each answer read line by line up to "." and thrown away;
//! - `raw-tap`: the same reader on Tidings' connection stack (`net::connect`: timeouts, the
//!   tap, a transcript), as the IMAP benchmark's baseline is;
//! - `receive`: `pop3::receive` with the default options (leave a copy on the server): CAPA,
//!   LIST, UIDL, pipelined RETR dot-unstuffed into spools, headers parsed, messages committed
//!   to SQLite with fsync on the store thread, QUIT.
//!
//! `POP3_BENCH_BATCH_MB=N` makes the receive pass commit in batches of up to N MB instead of
//! the default 32 MB (smaller: less memory, more and smaller transactions).
//!
//! `pop3_bench breakdown` times, without a server, the transcript tap over the same bytes
//! and the store's commits of the same messages.

use std::time::{Instant, SystemTime};

use tidings_mail::account::Security;
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::{self, Pop3Target, no_progress};
use tidings_mail::store::{Store, StoreHandle};
use tidings_testkit::MailServers;
use tidings_testkit::bench::{self, Measured, median};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

type BoxError = Box<dyn std::error::Error>;

const WINDOW: usize = 16;

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

async fn status<R: AsyncBufRead + Unpin>(r: &mut R, line: &mut Vec<u8>) -> Result<(), BoxError> {
    line.clear();
    r.read_until(b'\n', line).await?;
    if !line.starts_with(b"+OK") {
        return Err(format!("unexpected answer {}", String::from_utf8_lossy(line)).into());
    }
    Ok(())
}

/// The minimal pipelined reader over any stream. Returns the messages read.
async fn raw_read<S: AsyncRead + AsyncWrite + Unpin>(stream: S, job: &Job) -> Result<u64, BoxError> {
    let mut r = BufReader::with_capacity(64 * 1024, stream);
    let mut line = Vec::new();
    status(&mut r, &mut line).await?;
    r.get_mut()
        .write_all(format!("USER {}\r\nPASS {}\r\nSTAT\r\n", job.user, job.password).as_bytes())
        .await?;
    for _ in 0..3 {
        status(&mut r, &mut line).await?;
    }
    let count: usize = String::from_utf8_lossy(&line).split(' ').nth(1).ok_or("no STAT count")?.parse()?;
    let mut sent = 0;
    for done in 0..count {
        if sent - done <= WINDOW / 2 && sent < count {
            let mut cmds = String::new();
            while sent - done < WINDOW && sent < count {
                sent += 1;
                cmds.push_str(&format!("RETR {sent}\r\n"));
            }
            r.get_mut().write_all(cmds.as_bytes()).await?;
        }
        status(&mut r, &mut line).await?;
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line).await? == 0 {
                return Err("connection closed".into());
            }
            if line == b".\r\n" {
                break;
            }
        }
    }
    r.get_mut().write_all(b"QUIT\r\n").await?;
    status(&mut r, &mut line).await?;
    Ok(count as u64)
}

async fn raw_tls(job: &Job) -> Result<u64, BoxError> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", job.port)).await?;
    tcp.set_nodelay(true)?;
    let ca = async_native_tls::Certificate::from_pem(&std::fs::read(&job.ca)?)?;
    let tls =
        async_native_tls::TlsConnector::new().add_root_certificate(ca).connect("127.0.0.1", tcp).await?;
    raw_read(tls, job).await
}

async fn raw_tap(job: &Job) -> Result<u64, BoxError> {
    let conn = tidings_mail::net::connect(&endpoint(job)?, &Transcript::with_capacity(2_000)).await?;
    raw_read(conn, job).await
}

async fn receive(job: &Job) -> Result<u64, BoxError> {
    let t0 = Instant::now();
    let dir = tempfile::tempdir()?;
    let store = StoreHandle::spawn(Store::open(dir.path().join("mail.sqlite3"))?)?;
    let mut t = Pop3Target::new("bench", endpoint(job)?, job.user.clone(), job.password.clone());
    // The memory/speed trade-off of the commits, to measure (see BENCHMARKS.md).
    if let Some(mb) = std::env::var("POP3_BENCH_BATCH_MB").ok().and_then(|v| v.parse::<usize>().ok()) {
        t.tuning.batch_bytes = mb * 1024 * 1024;
    }
    let transcript = Transcript::with_capacity(2_000);
    let r = pop3::receive(&t, &Pop3Options::default(), &store, SystemTime::now(), &transcript, &no_progress)
        .await?;
    if let Some(e) = r.error {
        return Err(e.message.into());
    }
    let pass = t0.elapsed();
    drop(store);
    eprintln!(
        "  receive: pass {:.2} s ({} commits), store closed after {:.2} s",
        pass.as_secs_f64(),
        r.commits,
        t0.elapsed().as_secs_f64()
    );
    Ok(r.downloaded as u64)
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
            "raw-tls" => raw_tls(&job).await,
            "raw-tap" => raw_tap(&job).await,
            _ => receive(&job).await,
        }
    })?;
    bench::print_measured(t0.elapsed(), n);
    Ok(())
}

fn run_child(mode: &str, s: &MailServers) -> Result<Measured, BoxError> {
    let alice = s.user("alice");
    let (port, ca) = (s.pop3s_port().to_string(), s.ca_path().display().to_string());
    Ok(bench::run_child(&["--child", mode, &port, &ca, &alice.login], &alice.password)?)
}

/// Where the time of a pass goes, without a server.
fn breakdown(messages: usize) -> Result<(), BoxError> {
    use tidings_mail::net::Dir;
    use tidings_mail::store::Pop3Batch;
    let raws: Vec<Vec<u8>> =
        (0..messages).map(|i| tidings_testkit::generate::message(i, "alice@example.test")).collect();
    let wire: Vec<u8> = raws.iter().flat_map(|r| r.iter().copied().chain(*b".\r\n")).collect();
    let t = Instant::now();
    let transcript = Transcript::with_capacity(2_000);
    for chunk in wire.chunks(16 * 1024) {
        transcript.record(Dir::Server, chunk);
    }
    println!("transcript tap over {:.1} MB: {:.2} s", wire.len() as f64 / 1e6, t.elapsed().as_secs_f64());
    let t = Instant::now();
    for r in &raws {
        let _ = tidings_mail::sync::headers::summary(r);
    }
    println!("header parsing: {:.2} s", t.elapsed().as_secs_f64());
    // The receive pass's batch size for small messages (`Tuning::batch_messages`).
    let per_batch = 2_000;
    let (mut times, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let dir = tempfile::tempdir()?;
        let mut store = Store::open(dir.path().join("s.sqlite3"))?;
        let a = store.account("bench")?;
        let inbox = store.pop3_setup(a)?;
        let t = Instant::now();
        let cpu0 = thread_cpu();
        for (k, chunk) in raws.chunks(per_batch).enumerate() {
            let mut batch = Pop3Batch::default();
            for (i, r) in chunk.iter().enumerate() {
                batch.push(format!("u{k}-{i}"), r.len() as u64, r, false);
            }
            store.pop3_commit(a, inbox, batch, 0)?;
        }
        times.push(t.elapsed().as_secs_f64());
        cpu.push(thread_cpu() - cpu0);
    }
    println!(
        "store commits of {messages} messages in batches of {per_batch}, median of 5: {:.3} s, CPU {:.3} s ({})",
        median(times.clone()),
        median(cpu.clone()),
        cpu.iter().map(|t| format!("{t:.3}")).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

/// This thread's CPU time so far (user and system), in seconds: the scheduler's own count,
/// unaffected by time spent waiting for a core.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// Seeds `messages` generated messages padded to about `kb` KB: files straight into the
/// maildir (owned by the mail uid, 5000 in the testkit), then a resync, as `seed` does.
fn seed_padded(s: &MailServers, messages: usize, kb: usize) -> Result<(), BoxError> {
    let u = s.user("alice");
    let cur = s.maildir(u).join("cur");
    let pad: String = (0..kb * 1024 / 78).map(|i| format!("{:076}\r\n", i * 7919)).collect();
    for i in 0..messages {
        let mut raw = tidings_testkit::generate::message(i, &u.email);
        raw.extend_from_slice(pad.as_bytes());
        let path = cur.join(format!("{i}.bench,S={}:2,S", raw.len()));
        std::fs::write(&path, &raw)?;
        std::os::unix::fs::chown(&path, Some(5000), Some(5000))?;
    }
    s.doveadm(&["force-resync", "-u", &u.login, "INBOX"])?;
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--child") => return child(&args),
        Some("breakdown") => return breakdown(10_000),
        _ => {}
    }
    let messages: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3).max(1);
    let kb: Option<usize> = args.get(3).and_then(|a| a.parse().ok());
    let s = MailServers::start()?;
    let t = Instant::now();
    match kb {
        Some(kb) => seed_padded(&s, messages, kb)?,
        None => s.seed(s.user("alice"), messages)?,
    }
    eprintln!("seeded {messages} messages in {:.1} s", t.elapsed().as_secs_f64());
    // Warm the server (its index and caches): not measured.
    let n = run_child("raw-tls", &s)?.n;
    assert_eq!(n as usize, messages, "the warm-up read saw {n} messages");
    let modes = ["raw-tls", "raw-tap", "receive"];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    let mut cpus: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    let mut rss = vec![0u64; modes.len()];
    for round in 0..rounds {
        let mut line = format!("round {}:", round + 1);
        for (k, mode) in modes.iter().enumerate() {
            let Measured { secs: t, n, kb, cpu } = run_child(mode, &s)?;
            assert_eq!(n as usize, messages, "{mode} got {n} messages");
            times[k].push(t);
            cpus[k].push(cpu);
            rss[k] = rss[k].max(kb);
            line.push_str(&format!(" {mode} {t:.2} s"));
        }
        eprintln!("{line}");
    }
    let med: Vec<f64> = times.into_iter().map(median).collect();
    let cpu: Vec<f64> = cpus.into_iter().map(median).collect();
    println!("| what ({messages} messages, median of {rounds}) | time | client CPU | peak RSS |");
    println!("|---|---:|---:|---:|");
    let names = [
        "minimal pipelined reader, plain TLS (baseline)",
        "minimal pipelined reader on Tidings' tapped connection",
        "Tidings receive pass into the store",
    ];
    for k in 0..modes.len() {
        println!("| {} | {:.2} s | {:.2} s | {:.1} MB |", names[k], med[k], cpu[k], rss[k] as f64 / 1024.0);
    }
    println!("| ratio receive / baseline | {:.2}× | {:.2}× | |", med[2] / med[0], cpu[2] / cpu[0]);
    println!("| ratio receive / tapped reader | {:.2}× | {:.2}× | |", med[2] / med[1], cpu[2] / cpu[1]);
    Ok(())
}
