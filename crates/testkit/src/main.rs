//! `cargo run -p tidings-testkit -- up [--seed N]`: real mail servers for trying Tidings by
//! hand. Prints account settings, then runs until Ctrl+C (or SIGTERM) and cleans up.

use std::process::ExitCode;

use tidings_testkit::MailServers;

const USAGE: &str = "usage: tidings-testkit up [--seed N]

Starts private Dovecot (IMAP, POP3) and Postfix (submission) servers on 127.0.0.1,
seeds N generated messages into alice's INBOX (default 20), prints the settings,
and stops everything on Ctrl+C.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = match parse(&args) {
        Ok(Some(seed)) => seed,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("tidings-testkit: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match up(seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tidings-testkit: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(None)` means "print help".
fn parse(args: &[String]) -> Result<Option<usize>, String> {
    let mut seed = 20;
    let mut rest = args.iter();
    match rest.next().map(String::as_str) {
        Some("up") => {}
        None | Some("-h" | "--help" | "help") => return Ok(None),
        Some(other) => return Err(format!("unknown command {other:?}")),
    }
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seed" => {
                let value = rest.next().ok_or("--seed needs a number")?;
                seed = value.parse().map_err(|_| format!("--seed: {value:?} is not a number"))?;
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Some(seed))
}

fn up(seed: usize) -> Result<(), String> {
    let started = std::time::Instant::now();
    let servers = MailServers::start().map_err(|e| e.to_string())?;
    let alice = servers.user("alice");
    servers.seed(alice, seed).map_err(|e| e.to_string())?;
    print_settings(&servers, seed, started.elapsed());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the signal handler: {e}"))?;
    runtime.block_on(wait_for_signal())?;
    println!("\nStopping the servers…");
    drop(servers);
    println!("Stopped; temporary files removed.");
    Ok(())
}

async fn wait_for_signal() -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(|e| e.to_string()),
        _ = term.recv() => Ok(()),
        _ = hangup.recv() => Ok(()),
    }
}

fn print_settings(s: &MailServers, seed: usize, took: std::time::Duration) {
    let host = s.host();
    println!(
        "Mail servers are up (started and seeded in {:.1} s); everything below lives until Ctrl+C.\n",
        took.as_secs_f64()
    );
    println!("Host: {host}");
    println!("  IMAP         {:>5}  STARTTLS (plain login also allowed)", s.imap_port());
    println!("  IMAPS        {:>5}  implicit TLS", s.imaps_port());
    println!("  POP3         {:>5}  STLS", s.pop3_port());
    println!("  POP3S        {:>5}  implicit TLS", s.pop3s_port());
    println!("  Submission   {:>5}  STARTTLS required before AUTH", s.submission_port());
    println!("  Submissions  {:>5}  implicit TLS", s.submissions_port());
    println!("\nUsers (log in as the short name or the full address):");
    for user in s.users() {
        println!("  {:<20} password {}", user.email, user.password);
    }
    println!("  alice's INBOX has {seed} generated messages; mail to bob@example.test is delivered.");
    println!("\nCA certificate (trust this): {}", s.ca_path().display());
    println!("Server certificate SHA-256:  {}", s.leaf_sha256_hex());
    let alice = s.user("alice");
    println!("\nTry it:\n");
    println!(
        "  echo {} | tidings --profile /tmp/tidings-try account add --name alice \
         --email {} --incoming imap --host {host} --port {} --tls implicit --user {} \
         --smtp-host {host} --smtp-port {} --smtp-tls starttls --ca-file {} --password-stdin",
        alice.password,
        alice.email,
        s.imaps_port(),
        alice.login,
        s.submission_port(),
        s.ca_path().display()
    );
    println!("\nLogs: {}/dovecot.log and {}/postfix.log", s.dir().display(), s.dir().display());
    println!("Press Ctrl+C to stop.");
}
