//! `tidings inspect TARGET | --account NAME`: the server inspector, headless.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tidings_mail::account::Protocol;
use tidings_mail::auth;
use tidings_mail::config::Config;
use tidings_mail::inspect::{Credentials, InspectOptions, Probe, Report, Target, inspect};
use tidings_mail::net::{Endpoint, Fingerprint, Transcript, TrustAnchors};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::{Error, Kind};

use super::Out;
use super::output::{EXIT_FAILED, errln, outln};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// imap://, imaps://, pop3://, pop3s://, smtp:// (STARTTLS) or smtps:// with host[:port]
    #[arg(required_unless_present = "account", conflicts_with = "account")]
    target: Option<String>,
    /// Inspect an account's incoming and outgoing servers with its stored settings and password.
    #[arg(long)]
    account: Option<String>,
    /// User name to log in with (then the password comes from --password-stdin).
    #[arg(long, requires = "password_stdin")]
    user: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Print the report as Markdown (for a ticket).
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// Trust an extra CA certificate (PEM).
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// Accept the certificate with this SHA-256 fingerprint.
    #[arg(long, value_name = "SHA256")]
    pin_cert: Option<String>,
    /// How many recent messages the size and format checks sample.
    #[arg(long, default_value_t = 5)]
    sample: usize,
    /// Also measure IDLE latency (a probe message to the account's own address over its SMTP
    /// server, timed until IDLE announces it) and whether the server sends a read receipt
    /// when a message is downloaded (a probe asking for one); probes and receipts are deleted.
    #[arg(long, requires = "account")]
    probe: bool,
    /// Keep the sampled messages' headers and bodies in the transcript (for your eyes: it may
    /// hold private mail). Without it the report shows their sizes and formats only.
    #[arg(long)]
    include_content: bool,
}

pub fn run(args: InspectArgs, profile: &Profile, out: &Out) -> ExitCode {
    match run_inner(args, profile, out) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

fn run_inner(args: InspectArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let mut opts = InspectOptions {
        sample: args.sample.max(1),
        include_content: args.include_content,
        ..Default::default()
    };
    let mut jobs: Vec<(Target, TrustAnchors, Option<Credentials>)> = Vec::new();
    if let Some(name) = &args.account {
        let config = Config::load(profile)?;
        let account = config.account(name).ok_or_else(|| {
            Error::config(format!("there is no account \"{name}\" (see `tidings account list`)"))
        })?;
        let secrets = Secrets::system();
        // Passwords from the keyring; an OAuth2 account's access token from its sign-in.
        let rt = super::runtime()
            .map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
        let creds = rt.block_on(auth::Credentials::lookup(account, &secrets))?;
        if args.probe {
            opts.probe = Some(Probe {
                smtp: Endpoint::for_account(account, &account.outgoing)?,
                smtp_credential: creds.outgoing.clone(),
                address: account.email.clone(),
            });
        }
        for (protocol, server, credential) in [
            (Protocol::from(account.incoming_protocol), &account.incoming, creds.incoming),
            (Protocol::Smtp, &account.outgoing, creds.outgoing),
        ] {
            let ep = Endpoint::for_account(account, server)?;
            let target =
                Target { protocol, security: server.security, host: server.host.clone(), port: server.port };
            jobs.push((target, ep.trust, Some(credential)));
        }
    } else {
        let target = Target::parse(args.target.as_deref().unwrap_or(""))?;
        let mut trust = TrustAnchors::default();
        if let Some(path) = &args.ca_file {
            trust.extra_ca_pem.push(std::fs::read(path).map_err(|e| {
                Error::new(Kind::Config, format!("cannot read the CA file {}", path.display())).with_source(e)
            })?);
        }
        if let Some(pin) = &args.pin_cert {
            trust.pin = Some(Fingerprint::parse(pin)?);
        }
        let creds = match (&args.user, args.password_stdin) {
            (Some(user), true) => {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map_err(|e| {
                    Error::new(Kind::Config, "cannot read the password from standard input").with_source(e)
                })?;
                Some(Credentials::password(user.clone(), line.trim_end_matches(['\r', '\n'])))
            }
            (None, true) => return Err(Error::config("--password-stdin needs --user")),
            _ => None,
        };
        jobs.push((target, trust, creds));
    }

    let rt =
        super::runtime().map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
    let reports: Vec<Report> = rt.block_on(async {
        let mut reports = Vec::new();
        for (target, trust, creds) in jobs {
            reports.push(inspect(&target, trust, creds, &opts, &Transcript::new()).await);
        }
        reports
    });
    let ok = reports.iter().all(|r| r.ok);
    if out.json {
        let value = if reports.len() == 1 {
            serde_json::to_value(&reports[0])
        } else {
            serde_json::to_value(&reports).map(|v| serde_json::json!({ "ok": ok, "reports": v }))
        };
        match value {
            Ok(v) => out.print_json(&v),
            Err(e) => errln!("tidings: cannot write JSON: {e}"),
        }
    } else {
        let _ = args.markdown; // text output is the Markdown report: readable in a terminal too
        for r in &reports {
            outln!("{}", r.to_markdown());
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}
