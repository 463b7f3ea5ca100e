//! The command line: `tidings` opens the GUI; `account`, `sync`, `send`, `inspect`, `render` and `message`
//! run the same core headless, each with `--json`. `--profile DIR` (or `TIDINGS_PROFILE`) keeps the
//! config and data under DIR.
//!
//! Text for people goes out through `outln!` and `errln!` (see `output`), never `println!`:
//! it shows the control characters of server and mail text as escapes.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod account;
mod account_edit;
mod account_show;
mod demo;
mod desktop;
mod discover;
mod inspect;
mod invite;
mod message;
mod oauth2;
mod output;
mod receipt;
mod render;
mod search;
mod send;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;

pub use output::Out;
use output::errln;

#[derive(Parser, Debug)]
#[command(
    name = "tidings",
    version,
    about = "A desktop mail client and account configurator that shows what the server does"
)]
pub struct Cli {
    /// Keep configuration and data under DIR instead of the XDG directories.
    #[arg(long, global = true, env = "TIDINGS_PROFILE", value_name = "DIR")]
    profile: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Write a message to the recipients of this mailto: link (RFC 6068), in the open window
    /// if Tidings runs already.
    #[arg(value_name = "MAILTO", value_parser = desktop::mailto_link)]
    link: Option<String>,
    /// Open the composer for a new message.
    #[arg(long, conflicts_with = "link")]
    compose: bool,
    /// Check every account for mail now.
    #[arg(long, conflicts_with_all = ["link", "compose"])]
    get_mail: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Add, list, show, edit, test or remove accounts.
    #[command(subcommand)]
    Account(account::AccountCmd),
    /// Find an address's server settings (presets, autoconfig, Autodiscover, SRV, MX, probes).
    Discover(discover::DiscoverArgs),
    /// Run one receive pass headless (IMAP or POP3); POP3 also --dry-run.
    Sync(sync::SyncArgs),
    /// Send a message (a .eml file, standard input, or --to/--subject/--body…) through the
    /// account's Outbox; without one, send what the Outbox holds.
    Send(send::SendArgs),
    /// List the Outbox; resend a message held as "may already have been sent", or remove one.
    Outbox(send::OutboxArgs),
    /// Inspect a mail server: transcript, TLS, capabilities, timings, behaviour checks.
    Inspect(inspect::InspectArgs),
    /// Show a message file (.eml) as the reader shows it: headers, body, attachments, notes.
    Render(render::RenderArgs),
    /// List, show and save the messages stored for an account (what `sync` downloaded).
    #[command(subcommand)]
    Message(message::MessageCmd),
    /// Answer an invitation: accept, tentative or decline (an iTIP REPLY to its organizer).
    #[command(subcommand)]
    Invite(invite::InviteCmd),
    /// Send or decline the read receipt a stored message asks for.
    #[command(subcommand)]
    Receipt(receipt::ReceiptCmd),
    /// Search the stored messages of every account (or one): words, "phrases", from:, is:unread…
    Search(search::SearchArgs),
    /// Try Tidings on mail servers of its own: real Dovecot and Postfix on 127.0.0.1, two
    /// accounts with mail, a throwaway profile; all deleted when the window closes.
    Demo(demo::DemoArgs),
    /// Write the man page and shell completions into DIR (for packaging).
    #[command(hide = true)]
    GenerateAssets(desktop::GenerateArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out::new(cli.json);
    // The demo keeps a throwaway profile of its own: the person's is never resolved or read.
    let command = match cli.command {
        Some(Command::Demo(args)) => return demo::run(args, &out),
        command => command,
    };
    let profile = match Profile::resolve(cli.profile.as_deref()) {
        Ok(p) => p,
        Err(e) => return out.error(&e),
    };
    let Some(command) = command else {
        return gui(profile, desktop::request(cli.link, cli.compose, cli.get_mail));
    };
    match command {
        Command::Account(cmd) => account::run(cmd, &profile, &out),
        Command::Sync(args) => sync::run(args, &profile, &out),
        Command::Send(args) => send::run(args, &profile, &out),
        Command::Outbox(args) => send::run_outbox(args, &profile, &out),
        Command::Inspect(args) => inspect::run(args, &profile, &out),
        Command::Discover(args) => discover::run(args, &out),
        Command::Render(args) => render::run(args, &out),
        Command::Message(cmd) => message::run(cmd, &profile, &out),
        Command::Invite(cmd) => invite::run(cmd, &profile, &out),
        Command::Receipt(cmd) => receipt::run(cmd, &profile, &out),
        Command::Search(args) => search::run(args, &profile, &out),
        Command::GenerateAssets(args) => desktop::generate(args, &out),
        Command::Demo(args) => demo::run(args, &out),
    }
}

fn gui(profile: Profile, request: tidings::desktop::instance::Request) -> ExitCode {
    match tidings::run(profile, Secrets::system(), request) {
        Ok(tidings::Ran::Window) => ExitCode::SUCCESS,
        Ok(tidings::Ran::HandedOver) => {
            errln!("tidings: handed over to the Tidings window already open");
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("tidings: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A tokio runtime for the headless commands (the GUI brings its own).
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
}
