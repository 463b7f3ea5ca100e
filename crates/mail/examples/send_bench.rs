//! Benchmark: sending N messages through the Outbox beside a raw submission of the same
//! messages, in the same run, against the testkit's Postfix (submission, STARTTLS) and
//! Dovecot (IMAPS).
//!
//!     cargo run --release -p tidings-mail --example send_bench -- 200 10 3
//!
//! Arguments: messages (default 200), size in KB (default 10), rounds (default 3).
//!
//! - `raw`: one SMTP session (Tidings' connection stack: tap, STARTTLS, AUTH) sending each
//!   message with lettre's `send` — no Outbox, no Sent copy — then one IMAP session
//!   APPENDing each to Sent: the least any client must do for "sent, with a copy";
//! - `outbox`: `outbox::enqueue` of every message (one fsynced commit each), then
//!   `send::flush_outbox`: for each message the recorded states (fsynced before DATA and
//!   right after the reply), then the Sent copies (a Message-ID search before each APPEND)
//!   and each row removed (fsynced).
//!
//! Prints a Markdown table (median and best of the rounds; the two alternate which runs first).
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::auth::Credential;
use tidings_mail::check::{Passwords, SessionFacts};
use tidings_mail::net::{Endpoint, Transcript, TrustAnchors};
use tidings_mail::outbox::{self, Outgoing};
use tidings_mail::send::{SendProgress, flush_outbox};
use tidings_mail::store::{Store, StoreHandle};
use tidings_testkit::bench::median;
use tidings_testkit::{MailServers, User};

type BoxError = Box<dyn std::error::Error>;

fn account(s: &MailServers, u: &User) -> Account {
    let server = |port, security| Server {
        host: s.host().into(),
        port,
        security,
        user: u.login.clone(),
        auth: AuthMethod::Password,
        trust: Trust { ca_file: Some(s.ca_path().to_path_buf()), pinned_sha256: None },
    };
    Account::new(
        "bench".into(),
        "bench".into(),
        u.email.clone(),
        Incoming::Imap,
        server(s.imaps_port(), Security::Implicit),
        server(s.submission_port(), Security::StartTls),
    )
}

fn messages(from: &User, to: &User, n: usize, kb: usize, round: usize) -> Vec<Outgoing> {
    (0..n)
        .map(|i| {
            let line = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd\r\n";
            let body = line.repeat(kb * 1024 / line.len() + 1);
            let raw = format!(
                "From: {}\r\nTo: {}\r\nSubject: bench {round}/{i}\r\n\r\n{body}",
                from.email, to.email
            );
            Outgoing::from_message(raw.as_bytes(), &from.email).expect("a valid message")
        })
        .collect()
}

fn ep(s: &MailServers, port: u16, security: Security) -> Endpoint {
    let mut ep = Endpoint::new(s.host(), port, security);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    ep
}

async fn raw(s: &MailServers, u: &User, msgs: &[Outgoing]) -> Result<Duration, BoxError> {
    let t0 = Instant::now();
    let smtp_ep = ep(s, s.submission_port(), Security::StartTls);
    let transcript = Transcript::with_capacity(2_000);
    let mut facts = SessionFacts::default();
    let lc = tidings_mail::smtp::open(&smtp_ep, &transcript, &mut facts).await?;
    let mut smtp =
        tidings_mail::smtp::login(lc, &smtp_ep, &Credential::password(&u.login, &u.password), &facts).await?;
    for m in msgs {
        let from = m.from.parse()?;
        let to = m.recipients.iter().map(|r| r.parse()).collect::<Result<Vec<_>, _>>()?;
        let envelope = lettre::address::Envelope::new(Some(from), to)?;
        smtp.send(&envelope, m.raw.strip_suffix(b"\r\n").unwrap_or(&m.raw)).await?;
    }
    tidings_mail::smtp::quit(smtp, &transcript).await;
    let imap_ep = ep(s, s.imaps_port(), Security::Implicit);
    let t = Transcript::with_capacity(2_000);
    t.elide_literals(true);
    let lc = tidings_mail::imap::open(&imap_ep, &t, &mut facts).await?;
    let mut session =
        tidings_mail::imap::login(lc, &imap_ep, &Credential::password(&u.login, &u.password), &mut facts)
            .await?;
    for m in msgs {
        session.append("Sent", Some("(\\Seen)"), None, &m.raw).await?;
    }
    session.logout().await?;
    Ok(t0.elapsed())
}

async fn tidings(s: &MailServers, u: &User, msgs: Vec<Outgoing>) -> Result<(Duration, Duration), BoxError> {
    let dir = tempfile::tempdir()?;
    let store = StoreHandle::spawn(Store::open(dir.path().join("store.sqlite3"))?)?;
    let account = account(s, u);
    let t0 = Instant::now();
    for m in msgs {
        outbox::enqueue(&store, &account.id, m).await?;
    }
    let queued = t0.elapsed();
    let passwords =
        Passwords { incoming: u.password.clone(), outgoing: u.password.clone() }.credentials(&account);
    let progress = |_: &SendProgress| {};
    let t1 = Instant::now();
    let report =
        flush_outbox(&store, &account, &passwords, &Transcript::with_capacity(2_000), &progress).await?;
    let flushed = t1.elapsed();
    if !report.ok() {
        return Err(format!("the flush failed: {:?}", report.first_error()).into());
    }
    Ok((queued, flushed))
}

fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(200);
    let kb = args.get(1).copied().unwrap_or(10);
    let rounds = args.get(2).copied().unwrap_or(3);
    let s = MailServers::start()?;
    let (alice, bob) = (s.user("alice"), s.user("bob"));
    // Warm-up: the first session pays for Dovecot's and Postfix's process start.
    raw(&s, alice, &messages(alice, bob, 5, kb, 999)).await?;
    let (mut raws, mut queues, mut flushes) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternating which goes first, so that load from elsewhere falls on both alike.
        let (r, (q, f)) = if round % 2 == 0 {
            let r = raw(&s, alice, &messages(alice, bob, n, kb, round)).await?;
            (r, tidings(&s, alice, messages(alice, bob, n, kb, round)).await?)
        } else {
            let t = tidings(&s, alice, messages(alice, bob, n, kb, round)).await?;
            (raw(&s, alice, &messages(alice, bob, n, kb, round)).await?, t)
        };
        eprintln!(
            "round {round}: raw {:.2} s, enqueue {:.2} s, flush {:.2} s",
            r.as_secs_f64(),
            q.as_secs_f64(),
            f.as_secs_f64()
        );
        raws.push(r.as_secs_f64());
        queues.push(q.as_secs_f64());
        flushes.push(f.as_secs_f64());
    }
    let sum: Vec<f64> = queues.iter().zip(&flushes).map(|(q, f)| q + f).collect();
    println!(
        "| {n} messages of {kb} KB, {rounds} rounds | median | best | per message (median) | ratio (median / best) |"
    );
    println!("|---|---:|---:|---:|---:|");
    let rows = [
        ("raw: lettre send + IMAP APPEND (baseline)", &raws),
        ("Outbox: flush (states, submission, Sent copies)", &flushes),
        ("Outbox: enqueue (durable) + flush", &sum),
    ];
    let (base_m, base_b) = (median(raws.clone()), best(&raws));
    for (what, v) in rows {
        let (m, b) = (median(v.clone()), best(v));
        println!(
            "| {what} | {m:.2} s | {b:.2} s | {:.1} ms | {:.2}× / {:.2}× |",
            m * 1000.0 / n as f64,
            m / base_m,
            b / base_b
        );
    }
    Ok(())
}
