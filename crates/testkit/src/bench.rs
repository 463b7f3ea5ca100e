//! For the benchmark programs (`crates/mail/examples/*_bench.rs`): each measurement runs in
//! a child process of the benchmark (so its peak memory is its own), which prints one line
//! — wall seconds, items, peak RSS, CPU seconds — read back here.

use std::process::Command;
use std::time::Duration;

/// The variable the child's password travels in (never on its command line).
pub const PASSWORD_ENV: &str = "BENCH_PASSWORD";

/// One measurement of a child.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub secs: f64,
    /// Messages handled (checked against what was seeded).
    pub n: u64,
    /// Peak RSS (VmHWM), KiB.
    pub kb: u64,
    /// CPU seconds (user + system, all threads, ended ones included; 10 ms resolution):
    /// unlike the wall time, it does not grow when another process takes the cores.
    pub cpu: f64,
}

/// Peak RSS of this process so far (VmHWM), KiB.
pub fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// CPU seconds (user + system, all threads) this process used so far.
pub fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is the first, utime the
    // 12th and stime the 13th; in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// The child's last word: its measurement, for [`run_child`].
pub fn print_measured(elapsed: Duration, n: u64) {
    println!("{} {} {} {}", elapsed.as_secs_f64(), n, peak_rss_kb(), cpu_secs());
}

/// Runs this benchmark again with `args` (the child's mode and whatever it needs) and
/// `password` in [`PASSWORD_ENV`]; its stderr is passed on.
pub fn run_child(args: &[&str], password: &str) -> Result<Measured, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe).args(args).env(PASSWORD_ENV, password).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("{args:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    let mut field = |what: &str| it.next().ok_or_else(|| format!("the child printed no {what}: {text:?}"));
    let secs = field("time")?.parse().map_err(|e| format!("time: {e}"))?;
    let n = field("count")?.parse().map_err(|e| format!("count: {e}"))?;
    let kb = field("peak RSS")?.parse().map_err(|e| format!("peak RSS: {e}"))?;
    let cpu = field("CPU time")?.parse().map_err(|e| format!("CPU time: {e}"))?;
    Ok(Measured { secs, n, kb, cpu })
}

/// The middle value (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}
