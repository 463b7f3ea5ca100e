//! `tidings account edit`: every setting of the account's settings screen as a flag, checked
//! the way the settings check them (the core's [`Account::validate`], plaintext only when
//! asked for, addresses as sending parses them).
//! Every flag is applied to a copy first; the file is written only when all of them hold.
//!
//! The account's id never changes (a new name is only a label), so its passwords in the
//! keyring, keyed by the id, stay with it whatever servers it moves to.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::Value;
use tidings_mail::account::{Account, Identity, Incoming, Protocol, Security, Server};
use tidings_mail::config::Config;
use tidings_mail::net::Fingerprint;
use tidings_mail::options::{BodyFormat, IdleFolders, MinTls, ReceiptPolicy};
use tidings_mail::profile::Profile;
use tidings_mail::schedule::Schedule;
use tidings_mail::{Error, compose};

use super::Out;
use super::account::{IncomingArg, Tls};
use super::output::{errln, outln};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    fn on(self) -> bool {
        self == Switch::On
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BodyArg {
    /// The plain-text part.
    Text,
    Html,
    /// HTML when there is one, else the text.
    Best,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReceiptArg {
    Never,
    Ask,
    Always,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum IdleFoldersArg {
    /// INBOX only.
    Inbox,
    /// INBOX, Junk, Sent, Drafts, Archive and Trash.
    Special,
    /// INBOX, the special folders, then the other subscribed folders.
    Subscribed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MinTlsArg {
    #[value(name = "1.2")]
    Tls12,
    #[value(name = "1.3")]
    Tls13,
}

#[derive(Args, Debug, Default)]
pub struct EditArgs {
    /// Account name or id.
    account: String,
    /// A new name for the account (its id, and so its passwords, stay).
    #[arg(long)]
    name: Option<String>,
    /// The account's address.
    #[arg(long)]
    email: Option<String>,
    /// Your name as others see it in From; "" for none.
    #[arg(long, value_name = "NAME")]
    sender_name: Option<String>,
    /// Another address this account sends as ("sales@…" or "Sales <sales@…>"); repeatable.
    #[arg(long, value_name = "ADDRESS")]
    add_identity: Vec<String>,
    /// Stop sending as this address; repeatable.
    #[arg(long, value_name = "ADDRESS")]
    remove_identity: Vec<String>,
    /// Receive with IMAP or POP3 (the port follows unless it was set by hand).
    #[arg(long, value_enum)]
    incoming: Option<IncomingArg>,
    /// Incoming server host name.
    #[arg(long)]
    host: Option<String>,
    #[arg(long)]
    port: Option<u16>,
    /// Incoming encryption (the port follows unless it was set by hand or is given).
    #[arg(long, value_enum)]
    tls: Option<Tls>,
    /// Incoming user name.
    #[arg(long)]
    user: Option<String>,
    #[arg(long)]
    smtp_host: Option<String>,
    #[arg(long)]
    smtp_port: Option<u16>,
    #[arg(long, value_enum)]
    smtp_tls: Option<Tls>,
    #[arg(long)]
    smtp_user: Option<String>,
    /// Trust an extra CA certificate (PEM) for both servers; `none` to stop.
    #[arg(long, value_name = "PATH|none")]
    ca_file: Option<String>,
    /// The same for the SMTP server alone.
    #[arg(long, value_name = "PATH|none")]
    smtp_ca_file: Option<String>,
    /// Accept the incoming server's certificate with this SHA-256 fingerprint; `none` to stop.
    #[arg(long, value_name = "SHA256|none")]
    pin_cert: Option<String>,
    /// The same for the SMTP server.
    #[arg(long, value_name = "SHA256|none")]
    smtp_pin_cert: Option<String>,
    /// Allow a server without encryption: passwords and mail travel unencrypted.
    #[arg(long)]
    allow_plaintext: bool,
    /// When to send and receive: `start`, every N minutes (`10`), both (`start,10`), or
    /// `manual` (only when asked).
    #[arg(long, value_name = "start|N|start,N|manual")]
    schedule: Option<String>,
    /// IMAP: new mail as it arrives (IDLE).
    #[arg(long, value_enum)]
    idle: Option<Switch>,
    /// IMAP: the folders IDLE watches.
    #[arg(long, value_enum)]
    idle_folders: Option<IdleFoldersArg>,
    /// IMAP: download message bodies in the background for reading offline: of `all`
    /// folders, of the last N days (`30`), or `off` (a message is downloaded when opened).
    #[arg(long, value_name = "all|DAYS|off")]
    keep_offline: Option<String>,
    /// POP3: leave a copy of each message on the server.
    #[arg(long, value_enum)]
    leave_on_server: Option<Switch>,
    /// POP3: delete messages from the server after N days, or `never`.
    #[arg(long, value_name = "N|never")]
    delete_after_days: Option<String>,
    /// POP3: delete from the server a message deleted here.
    #[arg(long, value_enum)]
    delete_when_deleted_here: Option<Switch>,
    /// POP3: download only the headers; the rest when the message is opened.
    #[arg(long, value_enum)]
    headers_only: Option<Switch>,
    /// POP3: skip messages larger than N KB, or `off`.
    #[arg(long, value_name = "N|off")]
    skip_larger_than_kb: Option<String>,
    /// Which part of a message to show.
    #[arg(long, value_enum)]
    body_format: Option<BodyArg>,
    /// What to do when a message asks for a read receipt.
    #[arg(long, value_enum)]
    read_receipts: Option<ReceiptArg>,
    /// Ask for a read receipt in new messages (the composer's checkbox starts ticked).
    #[arg(long, value_enum)]
    request_receipts: Option<Switch>,
    /// Desktop notifications of this account's new mail.
    #[arg(long, value_enum)]
    notify: Option<Switch>,
    /// The oldest TLS version accepted.
    #[arg(long, value_enum)]
    min_tls: Option<MinTlsArg>,
    /// Append every connection's transcript (credentials redacted) to a log file.
    #[arg(long, value_enum)]
    log_transcript: Option<Switch>,
    /// Ask again before showing remote content of this sender's mail; repeatable.
    #[arg(long, value_name = "ADDRESS")]
    forget_remote_content: Vec<String>,
}

pub fn edit(a: EditArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let mut config = Config::load(profile)?;
    let index =
        config.accounts.iter().position(|x| x.id == a.account || x.name == a.account).ok_or_else(|| {
            Error::config(format!("there is no account \"{}\" (see `tidings account list`)", a.account))
        })?;
    let before = config.accounts[index].clone();
    let after = apply(&a, &before)?;
    if config.accounts.iter().any(|x| x.id != after.id && x.name == after.name) {
        return Err(Error::config(format!("an account named \"{}\" already exists", after.name)));
    }
    let changes = differences(&before, &after);
    // The caution the settings show under a short interval.
    let warning = (after.options.schedule != before.options.schedule)
        .then(|| after.options.schedule.warning())
        .flatten();
    let warnings: Vec<String> = warning.into_iter().collect();
    if !changes.is_empty() {
        config.accounts[index] = after.clone();
        config.save(profile)?;
    }
    if out.json {
        let changed: Vec<Value> = changes
            .iter()
            .map(|(setting, from, to)| serde_json::json!({ "setting": setting, "from": from, "to": to }))
            .collect();
        out.print_json(&serde_json::json!({
            "ok": true, "account": after, "changed": changed, "warnings": warnings,
        }));
    } else if changes.is_empty() {
        outln!("Nothing changed: \"{}\" already has these settings.", after.name);
    } else {
        outln!("Changed account \"{}\" (id {}):", after.name, after.id);
        for (setting, from, to) in &changes {
            outln!("  {setting}: {} → {}", shown(from), shown(to));
        }
        for w in &warnings {
            errln!("note: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The account with every flag applied, or the first flag that cannot be.
fn apply(a: &EditArgs, base: &Account) -> Result<Account, Error> {
    if no_flags(a) {
        return Err(Error::config(
            "nothing to change: give the settings to change as flags (see `tidings account edit --help`)",
        ));
    }
    let mut acc = base.clone();
    // The SMTP user name follows the incoming one unless it was something else.
    let old_user = acc.incoming.user.clone();
    if let Some(name) = &a.name {
        acc.name = name.trim().to_string();
    }
    if let Some(email) = &a.email {
        let email = email.trim().to_string();
        // The user names follow the address unless they were something else, as in the settings.
        if a.user.is_none() && acc.incoming.user == acc.email {
            acc.incoming.user = email.clone();
        }
        acc.email = email;
    }
    if let Some(name) = &a.sender_name {
        acc.sender_name = Some(name.trim().to_string()).filter(|n| !n.is_empty());
    }
    for text in &a.remove_identity {
        let email = compose::Address::parse(text)?.email;
        let before = acc.identities.len();
        acc.identities.retain(|i| !i.email.trim().eq_ignore_ascii_case(&email));
        if acc.identities.len() == before {
            return Err(Error::config(format!(
                "\"{email}\" is not among the account's other addresses (see `tidings account show`)"
            )));
        }
    }
    for text in &a.add_identity {
        let parsed = compose::Address::parse(text)?;
        acc.identities.push(Identity { name: parsed.name, email: parsed.email });
    }
    for text in &a.forget_remote_content {
        let before = acc.remote_content_from.len();
        acc.remote_content_from.retain(|s| !s.eq_ignore_ascii_case(text.trim()));
        if acc.remote_content_from.len() == before {
            return Err(Error::config(format!(
                "remote content of \"{}\" is not shown without asking: nothing to forget",
                text.trim()
            )));
        }
    }

    let old_incoming = Protocol::from(acc.incoming_protocol);
    if let Some(incoming) = a.incoming {
        acc.incoming_protocol = match incoming {
            IncomingArg::Imap => Incoming::Imap,
            IncomingArg::Pop3 => Incoming::Pop3,
        };
    }
    let incoming = ServerFlags {
        host: &a.host,
        port: a.port,
        tls: a.tls,
        user: &a.user,
        ca_file: &a.ca_file,
        pin: &a.pin_cert,
    };
    edit_server(&mut acc.incoming, old_incoming, acc.incoming_protocol.into(), &incoming, a.allow_plaintext)?;
    if a.smtp_user.is_none() && acc.outgoing.user == old_user {
        acc.outgoing.user = acc.incoming.user.clone();
    }
    let outgoing = ServerFlags {
        host: &a.smtp_host,
        port: a.smtp_port,
        tls: a.smtp_tls,
        user: &a.smtp_user,
        ca_file: if a.smtp_ca_file.is_some() { &a.smtp_ca_file } else { &a.ca_file },
        pin: &a.smtp_pin_cert,
    };
    edit_server(&mut acc.outgoing, Protocol::Smtp, Protocol::Smtp, &outgoing, a.allow_plaintext)?;

    apply_options(a, &mut acc)?;
    if let Some(on) = a.log_transcript {
        acc.log_transcript = on.on();
    }
    acc.validate()?;
    Ok(acc)
}

/// The per-account options; those of the other incoming protocol are refused.
fn apply_options(a: &EditArgs, acc: &mut Account) -> Result<(), Error> {
    let protocol = acc.incoming_protocol;
    let only = |flag: &str, given: bool, wanted: Incoming| -> Result<(), Error> {
        if given && protocol != wanted {
            return Err(Error::config(format!(
                "{flag} is {} option, and \"{}\" receives with {}: leave it out (or change --incoming)",
                if wanted == Incoming::Imap { "an IMAP" } else { "a POP3" },
                acc.name,
                protocol.as_str().to_uppercase()
            )));
        }
        Ok(())
    };
    only("--idle", a.idle.is_some(), Incoming::Imap)?;
    only("--idle-folders", a.idle_folders.is_some(), Incoming::Imap)?;
    // POP3 downloads every message whole already.
    only("--keep-offline", a.keep_offline.is_some(), Incoming::Imap)?;
    only("--leave-on-server", a.leave_on_server.is_some(), Incoming::Pop3)?;
    only("--delete-after-days", a.delete_after_days.is_some(), Incoming::Pop3)?;
    only("--delete-when-deleted-here", a.delete_when_deleted_here.is_some(), Incoming::Pop3)?;
    only("--headers-only", a.headers_only.is_some(), Incoming::Pop3)?;
    only("--skip-larger-than-kb", a.skip_larger_than_kb.is_some(), Incoming::Pop3)?;

    let o = &mut acc.options;
    if let Some(text) = &a.schedule {
        o.schedule = parse_schedule(text)?;
    }
    if let Some(on) = a.idle {
        o.idle = on.on();
    }
    if let Some(folders) = a.idle_folders {
        o.idle_folders = match folders {
            IdleFoldersArg::Inbox => IdleFolders::Inbox,
            IdleFoldersArg::Special => IdleFolders::Special,
            IdleFoldersArg::Subscribed => IdleFolders::Subscribed,
        };
    }
    if let Some(text) = &a.keep_offline {
        o.keep_offline = text.parse().map_err(|_| {
            Error::config(format!(
                "--keep-offline {}: give `all`, a number of days (1 or more) or `off`",
                text.trim()
            ))
        })?;
    }
    if let Some(on) = a.leave_on_server {
        o.pop3.leave_on_server = on.on();
    }
    if let Some(text) = &a.delete_after_days {
        o.pop3.delete_after_days = count_or_off(text, "--delete-after-days", "never", "days")?;
    }
    if let Some(on) = a.delete_when_deleted_here {
        o.pop3.delete_when_deleted_locally = on.on();
    }
    if let Some(on) = a.headers_only {
        o.pop3.headers_only = on.on();
    }
    if let Some(text) = &a.skip_larger_than_kb {
        o.pop3.skip_larger_than_kb = count_or_off(text, "--skip-larger-than-kb", "off", "KB")?;
    }
    if let Some(format) = a.body_format {
        o.body_format = match format {
            BodyArg::Text => BodyFormat::PlainText,
            BodyArg::Html => BodyFormat::Html,
            BodyArg::Best => BodyFormat::Best,
        };
    }
    if let Some(policy) = a.read_receipts {
        o.read_receipts = match policy {
            ReceiptArg::Never => ReceiptPolicy::Never,
            ReceiptArg::Ask => ReceiptPolicy::Ask,
            ReceiptArg::Always => ReceiptPolicy::Always,
        };
    }
    if let Some(on) = a.request_receipts {
        o.request_receipts = on.on();
    }
    if let Some(on) = a.notify {
        o.notify = on.on();
    }
    if let Some(min) = a.min_tls {
        o.min_tls = match min {
            MinTlsArg::Tls12 => MinTls::Tls12,
            MinTlsArg::Tls13 => MinTls::Tls13,
        };
    }
    Ok(())
}

/// One server's flags.
struct ServerFlags<'a> {
    host: &'a Option<String>,
    port: Option<u16>,
    tls: Option<Tls>,
    user: &'a Option<String>,
    ca_file: &'a Option<String>,
    pin: &'a Option<String>,
}

/// Applies one server's flags. The port follows the protocol and encryption when it was
/// their default, as in the settings; an unencrypted server needs --allow-plaintext when
/// it is new or moves.
fn edit_server(
    s: &mut Server,
    old: Protocol,
    new: Protocol,
    f: &ServerFlags<'_>,
    allow_plaintext: bool,
) -> Result<(), Error> {
    let port_followed = s.port == old.default_port(s.security);
    let old_host = s.host.clone();
    let old_security = s.security;
    if let Some(host) = f.host {
        let host = host.trim();
        if host.contains(char::is_whitespace) || host.contains('/') || host.contains(':') {
            return Err(Error::config(format!(
                "\"{host}\" is not a host name: give only the host name, no spaces, scheme, path or port"
            )));
        }
        s.host = host.to_string();
    }
    if let Some(tls) = f.tls {
        s.security = tls.into();
    }
    s.port = match f.port {
        Some(port) => port,
        None if port_followed => new.default_port(s.security),
        None => s.port,
    };
    if let Some(user) = f.user {
        let user = user.trim();
        if user.is_empty() {
            return Err(Error::config(format!("the {} server needs a user name", role(new))));
        }
        s.user = user.to_string();
    }
    if s.security == Security::None
        && (old_security != Security::None || s.host != old_host)
        && !allow_plaintext
    {
        return Err(Error::config(format!(
            "the {} server would have no encryption: your password and mail would travel unencrypted; add --allow-plaintext if you really mean it",
            role(new)
        )));
    }
    if let Some(path) = f.ca_file {
        s.trust.ca_file = if path.trim() == "none" {
            None
        } else {
            let path = PathBuf::from(path.trim());
            if !path.is_file() {
                return Err(Error::config(format!("the CA file {} does not exist", path.display())));
            }
            Some(path)
        };
    }
    if let Some(pin) = f.pin {
        s.trust.pinned_sha256 =
            if pin.trim() == "none" { None } else { Some(Fingerprint::parse(pin.trim())?.hex()) };
    }
    Ok(())
}

fn role(p: Protocol) -> &'static str {
    if p == Protocol::Smtp { "outgoing" } else { "incoming" }
}

/// `start`, `N`, `start,N` or `manual`: the whole schedule, as the settings' three choices.
fn parse_schedule(text: &str) -> Result<Schedule, Error> {
    let bad = || {
        Error::config(format!(
            "--schedule {text}: give `start`, a number of minutes (`10`), both (`start,10`) or `manual`"
        ))
    };
    if text.trim() == "manual" {
        return Ok(Schedule::only_when_asked());
    }
    let mut schedule = Schedule::only_when_asked();
    for part in text.split(',').map(str::trim) {
        if part == "start" && !schedule.at_start {
            schedule.at_start = true;
        } else if let Ok(minutes) = part.parse::<u32>()
            && schedule.every_minutes.is_none()
        {
            if minutes == 0 {
                return Err(Error::config("--schedule: give how many minutes between checks (1 or more)"));
            }
            schedule.every_minutes = Some(minutes);
        } else {
            return Err(bad());
        }
    }
    Ok(schedule)
}

/// A positive number, or `off_word` for none.
fn count_or_off(text: &str, flag: &str, off_word: &str, unit: &str) -> Result<Option<u32>, Error> {
    let text = text.trim();
    if text == off_word {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => {
            Err(Error::config(format!("{flag} {text}: give a number of {unit} (1 or more) or `{off_word}`")))
        }
    }
}

/// Whether every flag is at its default (only the account was named).
fn no_flags(a: &EditArgs) -> bool {
    let bare = EditArgs { account: a.account.clone(), ..EditArgs::default() };
    format!("{a:?}") == format!("{bare:?}")
}

/// Every setting that differs, as (dotted name as in config.toml, before, after).
fn differences(before: &Account, after: &Account) -> Vec<(String, Value, Value)> {
    let (mut old, mut new) = (Vec::new(), Vec::new());
    flatten("", &serde_json::to_value(before).unwrap_or_default(), &mut old);
    flatten("", &serde_json::to_value(after).unwrap_or_default(), &mut new);
    let value = |list: &[(String, Value)], key: &str| {
        list.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or(Value::Null)
    };
    let mut keys: Vec<String> = new.iter().map(|(k, _)| k.clone()).collect();
    keys.extend(old.iter().map(|(k, _)| k.clone()).filter(|k| !new.iter().any(|(n, _)| n == k)));
    keys.into_iter()
        .filter_map(|k| {
            let (from, to) = (value(&old, &k), value(&new, &k));
            (from != to).then_some((k, from, to))
        })
        .collect()
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// A setting's value for people: strings without quotes, `none` for nothing.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".to_string(),
        other => other.to_string(),
    }
}
