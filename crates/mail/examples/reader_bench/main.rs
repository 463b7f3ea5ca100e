//! Reader benchmark: `message::render` (what the reader runs to show a message) beside
//! mail-parser's bare parse of the same bytes (`MessageParser::default().parse`), timed
//! per message and interleaved in the same run, on
//!
//! 1. one ≈ 10 MB message with 50 attachments (PDFs, images, office files, a few text
//!    parts; an HTML body with a text alternative);
//! 2. N corpus-like messages (see `generate.rs` for the mix).
//!
//! Messages are made from a seed, so a run can be repeated byte for byte. Each round times
//! every message once with each of: the bare parse, `render(.., Best)`, `render(..,
//! PlainText)`, and what the GUI's reader does on its worker (`headers::summary` + `render`;
//! not the inline images it decodes), in an order that rotates from message to message and
//! round to round. A message's figure is its median over the rounds.
//!
//! `cargo run --release -p tidings-mail --example reader_bench -- 20 1 1000`
//! (rounds, seed, messages); `-- write DIR [seed] [messages]` writes the messages as `.eml`
//! files instead, to look at them (`tidings render FILE --json`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod generate;

use std::hint::black_box;
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use tidings_mail::message::render;
use tidings_mail::options::BodyFormat;
use tidings_mail::sync::headers;

const OPS: [&str; 4] = ["bare parse", "render Best", "render PlainText", "reader (summary + Best)"];

fn time(op: usize, raw: &[u8]) -> Duration {
    let start = Instant::now();
    match op {
        0 => drop(black_box(MessageParser::default().parse(black_box(raw)))),
        1 => drop(black_box(render(black_box(raw), BodyFormat::Best))),
        2 => drop(black_box(render(black_box(raw), BodyFormat::PlainText))),
        _ => {
            let summary = headers::summary(black_box(raw));
            drop(black_box((summary, render(black_box(raw), BodyFormat::Best))));
        }
    }
    start.elapsed()
}

/// `times[message][op][round]` for `rounds` rounds after one that is not counted.
fn measure(messages: &[&[u8]], rounds: usize) -> Vec<Vec<Vec<Duration>>> {
    let mut times = vec![vec![Vec::with_capacity(rounds); OPS.len()]; messages.len()];
    for round in 0..=rounds {
        for (m, raw) in messages.iter().enumerate() {
            for k in 0..OPS.len() {
                let op = (k + m + round) % OPS.len();
                let d = time(op, raw);
                if round > 0 {
                    times[m][op].push(d);
                }
            }
        }
    }
    times
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

fn quantile(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[((v.len() - 1) as f64 * q).round() as usize] }
}

fn secs(d: &[Duration]) -> Vec<f64> {
    d.iter().map(Duration::as_secs_f64).collect()
}

fn us(s: f64) -> String {
    if s >= 0.01 { format!("{:.1} ms", s * 1e3) } else { format!("{:.0} µs", s * 1e6) }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().next().unwrap_or("?").to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Writes the big message and the mix into `dir`, named by index and kind.
fn write(dir: &str, big: &[u8], mix: &[(&str, Vec<u8>)]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(format!("{dir}/big.eml"), big).unwrap();
    for (i, (kind, raw)) in mix.iter().enumerate() {
        std::fs::write(format!("{dir}/{i:04}-{kind}.eml"), raw).unwrap();
    }
    println!("wrote {} messages to {dir}", mix.len() + 1);
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let write_to = match args.peek().map(String::as_str) {
        Some("write") => {
            args.next();
            Some(args.next().expect("write DIR [seed] [messages]"))
        }
        _ => None,
    };
    let rounds: usize = match write_to {
        Some(_) => 0,
        None => args.next().and_then(|a| a.parse().ok()).unwrap_or(20),
    };
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let load_before = load();

    let mut rng = generate::Rng::new(seed);
    let big = generate::big(&mut rng);
    let corpus = generate::corpus_files();
    let mix = generate::mix(&mut rng, n, &corpus);
    if let Some(dir) = write_to {
        write(&dir, &big, &mix);
        return;
    }

    let shown = render(&big, BodyFormat::Best);
    println!(
        "10 MB message: {:.2} MB, {} attachments listed, body {:?}, {} notes",
        big.len() as f64 / 1e6,
        shown.attachments.len(),
        shown.body.kind,
        shown.notes.len()
    );
    assert_eq!(shown.attachments.len(), 50, "the big message should list its 50 attachments");
    drop(shown);

    // The big message: its own rounds, same rotation.
    let big_times = measure(&[&big], rounds).remove(0);
    println!("\n10 MB message, {rounds} rounds (median, min–max; ratio = median of the rounds' ratios):");
    let parse = secs(&big_times[0]);
    for (op, name) in OPS.iter().enumerate() {
        let t = secs(&big_times[op]);
        let ratios: Vec<f64> = t.iter().zip(&parse).map(|(a, b)| a / b).collect();
        println!(
            "  {name:<24} {:>9}  ({}–{})  {:.2}×",
            us(median(t.clone())),
            us(quantile(t.clone(), 0.0)),
            us(quantile(t, 1.0)),
            median(ratios)
        );
    }

    let sizes: Vec<f64> = mix.iter().map(|(_, m)| m.len() as f64).collect();
    println!(
        "\n{n} corpus-like messages (seed {seed}): size median {:.1} KB, p90 {:.1} KB, max {:.0} KB, total {:.1} MB; {} corpus files varied",
        median(sizes.clone()) / 1e3,
        quantile(sizes.clone(), 0.9) / 1e3,
        quantile(sizes.clone(), 1.0) / 1e3,
        sizes.iter().sum::<f64>() / 1e6,
        corpus.len()
    );
    let raws: Vec<&[u8]> = mix.iter().map(|(_, m)| m.as_slice()).collect();
    let times = measure(&raws, rounds);
    // Each message's median over the rounds, per op.
    let per_msg: Vec<Vec<f64>> =
        (0..OPS.len()).map(|op| times.iter().map(|t| median(secs(&t[op]))).collect()).collect();
    // Ratios to the bare parse: of the medians, the median and p90 of each message's own
    // ratio, and of the time for all messages.
    println!(
        "  per message, {rounds} rounds:   median       p90       max    all {n}   ratio: medians  msg median  msg p90  all"
    );
    for (op, name) in OPS.iter().enumerate() {
        let t = &per_msg[op];
        let ratios: Vec<f64> = t.iter().zip(&per_msg[0]).map(|(a, b)| a / b).collect();
        let total: f64 = t.iter().sum();
        println!(
            "  {name:<24} {:>9} {:>9} {:>9} {:>9}   {:>13.2}× {:>10.2}× {:>7.2}× {:>5.2}×",
            us(median(t.clone())),
            us(quantile(t.clone(), 0.9)),
            us(quantile(t.clone(), 1.0)),
            us(total),
            median(t.clone()) / median(per_msg[0].clone()),
            median(ratios.clone()),
            quantile(ratios, 0.9),
            total / per_msg[0].iter().sum::<f64>()
        );
    }

    println!("\n  by kind                 n   size   bare parse   render Best   ratio   PlainText ratio");
    for (kind, _) in generate::KINDS {
        let idx: Vec<usize> = (0..mix.len()).filter(|&i| mix[i].0 == *kind).collect();
        if idx.is_empty() {
            continue;
        }
        let pick = |op: usize| idx.iter().map(|&i| per_msg[op][i]).collect::<Vec<f64>>();
        let ratio = |op: usize| median(idx.iter().map(|&i| per_msg[op][i] / per_msg[0][i]).collect());
        println!(
            "  {kind:<20} {:>4} {:>6.1} KB {:>9} {:>13} {:>6.2}× {:>10.2}×",
            idx.len(),
            median(idx.iter().map(|&i| sizes[i]).collect()) / 1e3,
            us(median(pick(0))),
            us(median(pick(1))),
            ratio(1),
            ratio(2)
        );
    }
    println!("\nload average {load_before} → {}", load());
}
