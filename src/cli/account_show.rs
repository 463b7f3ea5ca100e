//! `tidings account show`: every setting of an account, as text or as the config holds it
//! (`--json`). Settings only: passwords and tokens are in the keyring, which is not read.

use std::process::ExitCode;

use clap::Args;
use tidings_mail::Error;
use tidings_mail::account::{AuthMethod, Identity, Incoming, Protocol, Server};
use tidings_mail::config::Config;
use tidings_mail::options::{BodyFormat, IdleFolders, MinTls, ReceiptPolicy};
use tidings_mail::profile::Profile;
use tidings_mail::schedule::Schedule;

use super::Out;
use super::output::outln;

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Account name or id.
    pub name: String,
}

pub fn show(name: &str, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    let a = config.account(name).ok_or_else(|| {
        Error::config(format!("there is no account \"{name}\" (see `tidings account list`)"))
    })?;
    // Settings only: nothing is read from the keyring.
    if out.json {
        out.print_json(&serde_json::json!({ "ok": true, "account": a }));
        return Ok(ExitCode::SUCCESS);
    }
    let on = |b: bool| if b { "on" } else { "off" };
    let o = &a.options;
    outln!("{} <{}> (id {})", a.name, a.email, a.id);
    outln!("  your name in From: {}", a.sender_name.as_deref().unwrap_or("none"));
    let others: Vec<String> = a.identities.iter().map(identity).collect();
    outln!("  other addresses: {}", if others.is_empty() { "none".into() } else { others.join(", ") });
    outln!("  incoming: {}", server(a.incoming_protocol.into(), &a.incoming));
    outln!("  outgoing: {}", server(Protocol::Smtp, &a.outgoing));
    if let Some(oauth2) = &a.oauth2 {
        outln!("  sign-in: OAuth2 with {}", oauth2.provider);
    } else {
        outln!(
            "  SMTP password: {}",
            if a.outgoing_own_password { "its own" } else { "the incoming server's" }
        );
    }
    outln!("  schedule: {}", schedule(&o.schedule));
    match a.incoming_protocol {
        Incoming::Imap => {
            let folders = match o.idle_folders {
                IdleFolders::Inbox => "inbox",
                IdleFolders::Special => "special",
                IdleFolders::Subscribed => "subscribed",
            };
            outln!("  idle: {}, folders: {folders}", on(o.idle));
            outln!("  keep offline: {}", o.keep_offline);
        }
        Incoming::Pop3 => {
            let p = &o.pop3;
            outln!("  leave on server: {}", on(p.leave_on_server));
            outln!("  delete after days: {}", p.delete_after_days.map_or("never".into(), |d| d.to_string()));
            outln!("  delete when deleted here: {}", on(p.delete_when_deleted_locally));
            outln!("  headers only: {}", on(p.headers_only));
            outln!(
                "  skip larger than KB: {}",
                p.skip_larger_than_kb.map_or("off".into(), |k| k.to_string())
            );
        }
    }
    let body = match o.body_format {
        BodyFormat::PlainText => "text",
        BodyFormat::Html => "html",
        BodyFormat::Best => "best",
    };
    let receipts = match o.read_receipts {
        ReceiptPolicy::Never => "never",
        ReceiptPolicy::Ask => "ask",
        ReceiptPolicy::Always => "always",
    };
    let min_tls = match o.min_tls {
        MinTls::Tls12 => "1.2",
        MinTls::Tls13 => "1.3",
    };
    outln!("  body format: {body}, read receipts: {receipts}, minimum TLS: {min_tls}");
    outln!("  notify: {}", on(o.notify));
    outln!("  log transcript: {}", on(a.log_transcript));
    if !a.remote_content_from.is_empty() {
        outln!("  remote content shown from: {}", a.remote_content_from.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

fn identity(i: &Identity) -> String {
    match &i.name {
        Some(name) => format!("{name} <{}>", i.email),
        None => i.email.clone(),
    }
}

fn server(p: Protocol, s: &Server) -> String {
    let mut d =
        format!("{} {}:{} ({}) as {}", p.as_str().to_uppercase(), s.host, s.port, s.security.label(), s.user);
    if s.auth == AuthMethod::OAuth2 {
        d.push_str(", OAuth2");
    }
    if let Some(ca) = &s.trust.ca_file {
        d.push_str(&format!(", CA file {}", ca.display()));
    }
    if let Some(pin) = &s.trust.pinned_sha256 {
        d.push_str(&format!(", certificate pinned {pin}"));
    }
    d
}

fn schedule(s: &Schedule) -> String {
    match (s.at_start, s.every_minutes) {
        (true, Some(m)) => format!("at start and every {m} minutes"),
        (false, Some(m)) => format!("every {m} minutes"),
        (true, None) => "at start, then when asked".to_string(),
        (false, None) => "only when asked".to_string(),
    }
}
