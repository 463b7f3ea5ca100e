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
//! - `mpop`: Debian's mpop (`apt-get install mpop`), another POP3 client, downloading the same
//!   messages into a Maildir with a copy left on the server (`--keep=on`), timed and measured
//!   by GNU time (`/usr/bin/time`): wall time, CPU and peak RSS of its own process.
//!
//! `POP3_BENCH_BATCH_MB=N` makes the receive pass commit in batches of up to N MB instead of
//! the default (`limits::POP3_BATCH_BYTES`, 4 MiB; smaller: less memory, more and smaller
//! transactions).
//!
//! `POP3_BENCH_TRANSCRIPT=FILE` writes the receive pass's transcript (timestamped) to FILE.
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

/// Returns the messages and when the pass ended (the child's clock started at `t0`).
async fn receive(job: &Job, t0: Instant) -> Result<(u64, Instant), BoxError> {
    let dir = tempfile::tempdir()?;
    let store = StoreHandle::spawn(Store::open(dir.path().join("mail.sqlite3"))?)?;
    let mut t = Pop3Target::new("bench", endpoint(job)?, job.user.clone(), job.password.clone());
    // The memory/speed trade-off of the commits, to measure (see BENCHMARKS.md).
    if let Some(mb) = std::env::var("POP3_BENCH_BATCH_MB").ok().and_then(|v| v.parse::<usize>().ok()) {
        t.tuning.batch_bytes = mb * 1024 * 1024;
    }
    let transcript = Transcript::with_capacity(2_000);
    // The pass's transcript with its timestamps, to see where its time goes.
    if let Ok(path) = std::env::var("POP3_BENCH_TRANSCRIPT") {
        transcript.log_to(std::path::Path::new(&path))?;
    }
    let r = pop3::receive(&t, &Pop3Options::default(), &store, SystemTime::now(), &transcript, &no_progress)
        .await?;
    if let Some(e) = r.error {
        return Err(e.message.into());
    }
    let ended = Instant::now();
    let pass = ended - t0;
    // The checkpoint the pass queued when it ended, not part of the pass's time: waited for
    // here only to show how long it takes.
    store.call(|_| Ok(())).await?;
    let t = r.timings;
    eprintln!(
        "  receive: pass {:.2} s ({} commits; connect {} ms, listing {} ms, download {} ms, last commit {} ms, quit {} ms), checkpointed after {:.2} s",
        pass.as_secs_f64(),
        r.commits,
        t.connect_ms,
        t.listing_ms,
        t.download_ms,
        t.last_commit_ms,
        t.delete_ms,
        t0.elapsed().as_secs_f64()
    );
    Ok((r.downloaded as u64, ended))
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
    let (n, ended) = rt.block_on(async {
        match job.mode.as_str() {
            "raw-tls" => raw_tls(&job).await.map(|n| (n, Instant::now())),
            "raw-tap" => raw_tap(&job).await.map(|n| (n, Instant::now())),
            _ => receive(&job, t0).await,
        }
    })?;
    bench::print_measured(ended - t0, n);
    Ok(())
}

fn run_child(mode: &str, s: &MailServers) -> Result<Measured, BoxError> {
    if mode == "mpop" {
        return mpop(s);
    }
    let alice = s.user("alice");
    let (port, ca) = (s.pop3s_port().to_string(), s.ca_path().display().to_string());
    Ok(bench::run_child(&["--child", mode, &port, &ca, &alice.login], &alice.password)?)
}

/// Debian's mpop downloading everything (a fresh UIDL file: all messages are new) into a new
/// Maildir, leaving the copies on the server, as the receive pass does.
fn mpop(s: &MailServers) -> Result<Measured, BoxError> {
    use std::os::unix::fs::PermissionsExt;
    let alice = s.user("alice");
    let dir = tempfile::tempdir()?;
    let md = dir.path().join("md");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub))?;
    }
    let secret = dir.path().join("pw");
    std::fs::write(&secret, &alice.password)?;
    let rc = dir.path().join("mpoprc");
    std::fs::write(&rc, "")?;
    for f in [&secret, &rc] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600))?;
    }
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "TIME %e %U %S %M", "mpop"])
        .arg(format!("--file={}", rc.display()))
        .args(["--host=127.0.0.1", &format!("--port={}", s.pop3s_port()), "--tls=on", "--tls-starttls=off"])
        .arg(format!("--tls-trust-file={}", s.ca_path().display()))
        .args(["--auth=user", &format!("--user={}", alice.login)])
        .arg(format!("--passwordeval=cat {}", secret.display()))
        .args(["--keep=on", "--only-new=on", "--pipelining=auto", "--received-header=off"])
        .arg(format!("--uidls-file={}", dir.path().join("uidls").display()))
        .arg(format!("--delivery=maildir,{}", md.display()))
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time mpop (apt-get install mpop time): {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("mpop failed: {err}").into());
    }
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("TIME "))
        .ok_or_else(|| format!("no timing from GNU time: {err}"))?;
    let f: Vec<f64> = line.split_whitespace().filter_map(|v| v.parse().ok()).collect();
    let [secs, user, sys, kb] = f[..] else { return Err(format!("cannot read GNU time's {line:?}").into()) };
    let n = std::fs::read_dir(md.join("new"))?.count() + std::fs::read_dir(md.join("cur"))?.count();
    Ok(Measured { secs, n: n as u64, kb: kb as u64, cpu: user + sys })
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
    // The list fields only (what the pass does), against mail-parser parsing every field,
    // on the generator's headers and on the same with a delivered message's relay block.
    let delivered: Vec<Vec<u8>> = raws.iter().map(|r| [RELAY_BLOCK, r.as_slice()].concat()).collect();
    for (what, set) in [("generated headers", &raws), ("with a 2 KB relay block", &delivered)] {
        let t = Instant::now();
        for r in set {
            let _ = tidings_mail::sync::headers::summary(r);
        }
        let lean = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let full = mail_parser::MessageParser::new();
        for r in set {
            let _ = tidings_mail::sync::headers::summary_with(&full, r);
        }
        println!(
            "header parsing, {what}: list fields {lean:.3} s, every field {:.3} s",
            t.elapsed().as_secs_f64()
        );
    }
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

/// What relays and a list put above a delivered message's own fields (≈ 2 KB).
const RELAY_BLOCK: &[u8] = b"Return-Path: <bounce-42@lists.example.org>\r\n\
Delivered-To: alice@example.test\r\n\
Received: from mx2.example.org (mx2.example.org [192.0.2.7])\r\n\tby mail.example.test (Postfix) with ESMTPS id 4F1A2B3C4D\r\n\tfor <alice@example.test>; Tue, 1 Oct 2024 10:00:05 +0200 (CEST)\r\n\
Received: from lists.example.org (lists.example.org [192.0.2.9])\r\n\tby mx2.example.org (Postfix) with ESMTP id 77AA1\r\n\tfor <alice@example.test>; Tue, 1 Oct 2024 08:00:03 +0000 (UTC)\r\n\
Received: from [10.0.0.3] (unknown [198.51.100.4])\r\n\t(Authenticated sender: juergen)\r\n\tby smtp.example.org with ESMTPSA id x1y2z3; Tue, 1 Oct 2024 08:00:01 +0000 (UTC)\r\n\
ARC-Seal: i=1; a=rsa-sha256; t=1727769601; cv=none; d=example.org; s=arc-2024;\r\n\tb=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9v\r\n\t YmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n\
ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=arc-2024;\r\n\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\tb=cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6\r\n\
ARC-Authentication-Results: i=1; mx2.example.org; dkim=pass header.d=example.org;\r\n\tspf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org\r\n\
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s2024;\r\n\th=from:to:subject:date:message-id:list-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\tb=YmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy\r\n\
Authentication-Results: mail.example.test; dkim=pass (2048-bit key) header.d=example.org;\r\n\tspf=pass smtp.mailfrom=bounce-42@lists.example.org; dmarc=pass\r\n\
List-Id: Example discussion <talk.lists.example.org>\r\n\
List-Unsubscribe: <mailto:leave@lists.example.org>, <https://lists.example.org/u/42>\r\n\
List-Post: <mailto:talk@lists.example.org>\r\n\
X-Spam-Status: No, score=-2.1 required=5.0 tests=BAYES_00,DKIM_SIGNED,DKIM_VALID\r\n\
";

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
    let with_mpop = std::env::var_os("POP3_BENCH_NO_MPOP").is_none();
    let modes: Vec<&str> =
        ["raw-tls", "raw-tap", "receive", "mpop"].into_iter().take(if with_mpop { 4 } else { 3 }).collect();
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
        "mpop into a Maildir (--keep=on)",
    ];
    for k in 0..modes.len() {
        println!("| {} | {:.2} s | {:.2} s | {:.1} MB |", names[k], med[k], cpu[k], rss[k] as f64 / 1024.0);
    }
    println!("| ratio receive / baseline | {:.2}× | {:.2}× | |", med[2] / med[0], cpu[2] / cpu[0]);
    println!("| ratio receive / tapped reader | {:.2}× | {:.2}× | |", med[2] / med[1], cpu[2] / cpu[1]);
    if with_mpop {
        println!(
            "| ratio receive / mpop | {:.2}× | {:.2}× | {:.2}× |",
            med[2] / med[3],
            cpu[2] / cpu[3],
            rss[2] as f64 / rss[3] as f64
        );
    }
    Ok(())
}
