//! `tidings discover EMAIL`: find an address's server settings, every value with its source.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tidings_mail::discover::{Candidate, DiscoverOptions, Discovery, discover};
use tidings_mail::{Error, Kind};

use super::Out;
use super::output::{EXIT_FAILED, errln, outln};

#[derive(Args, Debug)]
pub struct DiscoverArgs {
    /// The email address to find settings for.
    email: String,
    /// Ask this DNS server (IP:PORT) instead of the system's.
    #[arg(long, value_name = "IP:PORT")]
    dns_server: Option<SocketAddr>,
    /// Don't probe host names and ports; only ask presets, autoconfig, Autodiscover and DNS.
    #[arg(long)]
    no_probes: bool,
    /// Give up on sources still running after this many seconds.
    #[arg(long, default_value_t = 20)]
    time_limit: u64,
    /// Trust an extra CA certificate (PEM) for HTTPS and probes.
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
}

pub fn run(args: DiscoverArgs, out: &Out) -> ExitCode {
    match run_inner(args, out) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

fn run_inner(args: DiscoverArgs, out: &Out) -> Result<ExitCode, Error> {
    let mut opts = DiscoverOptions {
        time_limit: Duration::from_secs(args.time_limit.max(1)),
        dns_server: args.dns_server,
        ..Default::default()
    };
    opts.sources.probes = !args.no_probes;
    if let Some(path) = &args.ca_file {
        opts.extra_ca_pem.push(std::fs::read(path).map_err(|e| {
            Error::new(Kind::Config, format!("cannot read the CA file {}", path.display())).with_source(e)
        })?);
    }
    let rt =
        super::runtime().map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
    let d = rt.block_on(discover(&args.email, &opts));
    let found = d.best.incoming.is_some();
    if out.json {
        match serde_json::to_value(&d) {
            Ok(v) => out.print_json(&v),
            Err(e) => errln!("tidings: cannot write JSON: {e}"),
        }
    } else {
        print_text(&d);
    }
    Ok(if found { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

fn line(c: &Candidate) -> String {
    let mut s =
        format!("{} {}:{} ({})", c.protocol.as_str().to_uppercase(), c.host, c.port, c.security.label());
    if let Some(u) = &c.user {
        s.push_str(&format!(" as {u}"));
    }
    s.push_str(&format!("  — from {}", c.label));
    if let Some(n) = &c.note {
        s.push_str(&format!(" ({n})"));
    }
    s
}

fn print_text(d: &Discovery) {
    outln!(
        "Settings for {} ({} ms{})",
        d.email,
        d.elapsed_ms,
        if d.timed_out { ", some sources timed out" } else { "" }
    );
    match (&d.best.incoming, &d.best.outgoing) {
        (None, None) => outln!("  nothing found: enter the settings your provider gives"),
        (i, o) => {
            if let Some(c) = i {
                outln!("  incoming: {}", line(c));
            }
            if let Some(c) = o {
                outln!("  outgoing: {}", line(c));
            }
        }
    }
    if !d.disagreements.is_empty() {
        outln!("Sources disagree:");
        for x in &d.disagreements {
            outln!(
                "  {} ({}): {}  vs  {}",
                x.protocol.as_str().to_uppercase(),
                x.fields.join(", "),
                line(&x.first),
                line(&x.second)
            );
        }
    }
    for n in &d.needs_confirmation {
        outln!("Needs your consent: {} → {} ({})", n.from, n.to, n.reason);
    }
    if d.candidates.len() > 2 {
        outln!("All candidates:");
        for c in &d.candidates {
            outln!("  {}", line(c));
        }
    }
}
