//! `tidings account add|list|test|remove` (`edit` and `show`: their own modules).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use tidings_mail::account::{
    Account, AuthMethod, Identity, Incoming, OAuth2Settings, Protocol, SecretRole, Security, Server, Trust,
};
use tidings_mail::auth::Credentials;
use tidings_mail::check::{AccountCheck, Passwords, ServerCheck, check_account};
use tidings_mail::config::Config;
use tidings_mail::net::Fingerprint;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::{Error, Kind};

use super::Out;
use super::output::{EXIT_FAILED, errln, outln};

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// Add an account (every field of the wizard as a flag).
    Add(Box<AddArgs>),
    /// List the accounts.
    List,
    /// Change an account's settings (every setting of its settings screen as a flag).
    Edit(Box<super::account_edit::EditArgs>),
    /// Show every setting of an account (no passwords: those stay in the keyring).
    Show(super::account_show::ShowArgs),
    /// Check an account's servers: connect, TLS, greeting, capabilities, log in.
    Test {
        /// Account name or id.
        name: String,
        /// Read the password from standard input instead of the keyring (a second line, if
        /// present, is the SMTP password).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove an account and its passwords.
    Remove {
        /// Account name or id.
        name: String,
        /// Also delete its downloaded mail and store.
        #[arg(long)]
        delete_data: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Tls {
    /// TLS from the first byte (SSL/TLS).
    Implicit,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// No encryption (needs --allow-plaintext).
    None,
}

impl From<Tls> for Security {
    fn from(t: Tls) -> Security {
        match t {
            Tls::Implicit => Security::Implicit,
            Tls::Starttls => Security::StartTls,
            Tls::None => Security::None,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum IncomingArg {
    Imap,
    Pop3,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// A name for the account (unique).
    #[arg(long)]
    name: String,
    #[arg(long)]
    email: String,
    /// Your name, as others see it in From ("Alice Example").
    #[arg(long, value_name = "NAME")]
    sender_name: Option<String>,
    /// Another address this account sends as: "sales@example.org" or "Sales <sales@…>";
    /// repeatable.
    #[arg(long, value_name = "ADDRESS")]
    identity: Vec<String>,
    #[arg(long, value_enum, default_value = "imap")]
    incoming: IncomingArg,
    /// Incoming server host name.
    #[arg(long)]
    host: String,
    /// Incoming port (default: 993/143 for IMAP, 995/110 for POP3, following --tls).
    #[arg(long)]
    port: Option<u16>,
    #[arg(long, value_enum, default_value = "implicit")]
    tls: Tls,
    /// Incoming user name (default: the email address).
    #[arg(long)]
    user: Option<String>,
    /// SMTP host name (default: the incoming host).
    #[arg(long)]
    smtp_host: Option<String>,
    /// SMTP port (default: 587 for STARTTLS, 465 for SSL/TLS).
    #[arg(long)]
    smtp_port: Option<u16>,
    #[arg(long, value_enum, default_value = "starttls")]
    smtp_tls: Tls,
    /// SMTP user name (default: the incoming user name).
    #[arg(long)]
    smtp_user: Option<String>,
    /// Read the password from the first line of standard input (used for SMTP too unless
    /// --smtp-password-stdin is given).
    #[arg(long)]
    password_stdin: bool,
    /// Read SMTP's own password from the next line of standard input.
    #[arg(long)]
    smtp_password_stdin: bool,
    /// Trust an extra CA certificate (PEM), e.g. a company's private CA, for both servers.
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// Accept the incoming server's certificate with this SHA-256 fingerprint even though it
    /// does not verify.
    #[arg(long, value_name = "SHA256")]
    pin_cert: Option<String>,
    /// The same for the SMTP server.
    #[arg(long, value_name = "SHA256")]
    smtp_pin_cert: Option<String>,
    /// Allow --tls none / --smtp-tls none: passwords and mail travel unencrypted.
    #[arg(long)]
    allow_plaintext: bool,
    /// Append every connection's transcript (credentials redacted) to a log file.
    #[arg(long)]
    log_transcript: bool,
    /// Check both servers before saving; save only if both work.
    #[arg(long)]
    test: bool,
    /// Sign in with OAuth2 instead of a password: `microsoft` (Exchange Online, Outlook.com),
    /// `google`, or a provider file (TOML). Both servers then log in with the token.
    #[arg(long, value_name = "PROVIDER")]
    oauth2: Option<String>,
    /// The application (client) id registered with the provider (default: the provider
    /// file's, or TIDINGS_OAUTH2_CLIENT_ID).
    #[arg(long, value_name = "ID", requires = "oauth2")]
    client_id: Option<String>,
    /// Microsoft's tenant: its id or domain (default: common).
    #[arg(long, value_name = "TENANT", requires = "oauth2")]
    tenant: Option<String>,
    /// Sign in with a code on any device instead of this machine's browser.
    #[arg(long, requires = "oauth2")]
    device_code: bool,
    /// Only print the sign-in address; do not start a browser (a remote shell).
    #[arg(long, requires = "oauth2")]
    no_browser: bool,
    /// The SASL mechanism for the token where a server offers both (default: XOAUTH2).
    #[arg(long, value_enum, requires = "oauth2")]
    sasl: Option<SaslArg>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SaslArg {
    Xoauth2,
    Oauthbearer,
}

pub fn run(cmd: AccountCmd, profile: &Profile, out: &Out) -> ExitCode {
    let result = match cmd {
        AccountCmd::Add(args) => add(*args, profile, out),
        AccountCmd::List => list(profile, out),
        AccountCmd::Edit(args) => super::account_edit::edit(*args, profile, out),
        AccountCmd::Show(args) => super::account_show::show(&args.name, profile, out),
        AccountCmd::Test { name, password_stdin } => test(&name, password_stdin, profile, out),
        AccountCmd::Remove { name, delete_data } => remove(&name, delete_data, profile, out),
    };
    result.unwrap_or_else(|e| out.error(&e))
}

fn read_stdin_lines(n: usize) -> Result<Vec<String>, Error> {
    let stdin = std::io::stdin();
    let mut lines = Vec::new();
    for line in stdin.lock().lines().take(n) {
        let line = line.map_err(|e| {
            Error::new(Kind::Config, "cannot read the password from standard input").with_source(e)
        })?;
        lines.push(line.trim_end_matches('\r').to_string());
    }
    Ok(lines)
}

fn build_account(a: &AddArgs) -> Result<Account, Error> {
    let security: Security = a.tls.into();
    let smtp_security: Security = a.smtp_tls.into();
    if (security == Security::None || smtp_security == Security::None) && !a.allow_plaintext {
        return Err(Error::config(
            "--tls none sends your password and mail unencrypted; add --allow-plaintext if you really mean it",
        ));
    }
    let incoming = match a.incoming {
        IncomingArg::Imap => Incoming::Imap,
        IncomingArg::Pop3 => Incoming::Pop3,
    };
    let pin = |p: &Option<String>| -> Result<Option<String>, Error> {
        p.as_deref().map(|p| Fingerprint::parse(p).map(|f| f.hex())).transpose()
    };
    let user = a.user.clone().unwrap_or_else(|| a.email.clone());
    let mut identities = Vec::new();
    for text in &a.identity {
        let parsed = tidings_mail::compose::Address::parse(text)?;
        identities.push(Identity { name: parsed.name, email: parsed.email });
    }
    Ok(Account {
        sender_name: a.sender_name.clone().filter(|n| !n.trim().is_empty()),
        identities,
        remote_content_from: Vec::new(),
        oauth2: None,
        id: String::new(),
        name: a.name.clone(),
        email: a.email.clone(),
        incoming_protocol: incoming,
        incoming: Server {
            host: a.host.clone(),
            port: a.port.unwrap_or_else(|| Protocol::from(incoming).default_port(security)),
            security,
            user: user.clone(),
            auth: AuthMethod::Password,
            trust: Trust { ca_file: a.ca_file.clone(), pinned_sha256: pin(&a.pin_cert)? },
        },
        outgoing: Server {
            host: a.smtp_host.clone().unwrap_or_else(|| a.host.clone()),
            port: a.smtp_port.unwrap_or_else(|| Protocol::Smtp.default_port(smtp_security)),
            security: smtp_security,
            user: a.smtp_user.clone().unwrap_or(user),
            auth: AuthMethod::Password,
            trust: Trust { ca_file: a.ca_file.clone(), pinned_sha256: pin(&a.smtp_pin_cert)? },
        },
        outgoing_own_password: a.smtp_password_stdin,
        log_transcript: a.log_transcript,
        options: Default::default(),
    })
}

fn add(a: AddArgs, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let mut account = build_account(&a)?;
    if a.oauth2.is_some() {
        return add_oauth2(a, account, profile, out);
    }
    if let Some(ca) = &a.ca_file
        && !ca.is_file()
    {
        return Err(Error::config(format!("the CA file {} does not exist", ca.display())));
    }
    if !a.password_stdin {
        return Err(Error::config(
            "give the password with --password-stdin (it is stored in the keyring, never on disk)",
        ));
    }
    let lines = read_stdin_lines(if a.smtp_password_stdin { 2 } else { 1 })?;
    let incoming_pw = lines
        .first()
        .cloned()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| Error::config("no password on standard input"))?;
    let outgoing_pw = if a.smtp_password_stdin {
        lines
            .get(1)
            .cloned()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| Error::config("no SMTP password on the second line of standard input"))?
    } else {
        incoming_pw.clone()
    };

    let mut config = Config::load(profile)?;
    // Validates and assigns the id; not saved until the secret is stored.
    account = config.add_account(account)?.clone();

    if a.test {
        let passwords = Passwords { incoming: incoming_pw.clone(), outgoing: outgoing_pw.clone() };
        let log = account.log_transcript.then(|| profile.transcript_log(&account.id));
        let rt = super::runtime()
            .map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
        let check = rt.block_on(check_account(&account, &passwords.credentials(&account), log.as_deref()))?;
        if !check.ok() {
            print_check(&check, out);
            return Err(Error::config(format!(
                "the account \"{}\" was not added: the check failed",
                account.name
            )));
        }
    }

    let secrets = Secrets::system();
    secrets.set(&account.id, SecretRole::Incoming, &incoming_pw)?;
    if account.outgoing_own_password {
        secrets.set(&account.id, SecretRole::Outgoing, &outgoing_pw)?;
    }
    config.save(profile)?;
    if out.json {
        out.print_json(&serde_json::json!({ "ok": true, "account": account }));
    } else {
        outln!(
            "Added account \"{}\" (id {}), password stored in the {}.",
            account.name,
            account.id,
            secrets.backend_name()
        );
        outln!("  incoming: {}", describe(account.incoming_protocol.into(), &account.incoming));
        outln!("  outgoing: {}", describe(Protocol::Smtp, &account.outgoing));
    }
    Ok(ExitCode::SUCCESS)
}

/// `account add --oauth2`: no password; the sign-in's refresh token goes to the keyring, then
/// the account is saved.
fn add_oauth2(a: AddArgs, mut account: Account, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    if a.password_stdin || a.smtp_password_stdin {
        return Err(Error::config("--oauth2 signs in with the provider: give no password"));
    }
    if a.test {
        return Err(Error::config(
            "--test is not available with --oauth2 yet; run `tidings account test` after adding",
        ));
    }
    account.oauth2 = Some(OAuth2Settings {
        provider: a.oauth2.clone().unwrap_or_default(),
        client_id: a.client_id.clone(),
        tenant: a.tenant.clone(),
        mechanism: a.sasl.map(|m| match m {
            SaslArg::Xoauth2 => tidings_mail::auth::sasl::Mechanism::XOAuth2,
            SaslArg::Oauthbearer => tidings_mail::auth::sasl::Mechanism::OAuthBearer,
        }),
    });
    account.incoming.auth = AuthMethod::OAuth2;
    account.outgoing.auth = AuthMethod::OAuth2;
    // The provider and its client id are checked before anyone is sent to sign in.
    tidings_mail::oauth2::Provider::for_account(&account)?.require_client_id()?;
    let mut config = Config::load(profile)?;
    account = config.add_account(account)?.clone();
    let secrets = Secrets::system();
    let rt =
        super::runtime().map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
    let scope = rt.block_on(super::oauth2::sign_in(&account, &secrets, a.device_code, !a.no_browser))?;
    config.save(profile)?;
    if out.json {
        out.print_json(&serde_json::json!({ "ok": true, "account": account, "granted_scope": scope }));
    } else {
        outln!(
            "Added account \"{}\" (id {}), signed in; the sign-in is kept in the {}.",
            account.name,
            account.id,
            secrets.backend_name()
        );
        outln!("  incoming: {}", describe(account.incoming_protocol.into(), &account.incoming));
        outln!("  outgoing: {}", describe(Protocol::Smtp, &account.outgoing));
        if let Some(scope) = scope {
            outln!("  granted: {scope}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(p: Protocol, s: &Server) -> String {
    let mut d =
        format!("{} {}:{} ({}) as {}", p.as_str().to_uppercase(), s.host, s.port, s.security.label(), s.user);
    if s.auth == AuthMethod::OAuth2 {
        d.push_str(", OAuth2");
    }
    if let Some(pin) = &s.trust.pinned_sha256 {
        d.push_str(&format!(", certificate pinned {pin}"));
    }
    d
}

fn list(profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    if out.json {
        out.print_json(&serde_json::json!({ "ok": true, "accounts": config.accounts }));
    } else if config.accounts.is_empty() {
        outln!("No accounts. Add one with `tidings account add` or in the app.");
    } else {
        for a in &config.accounts {
            outln!("{} <{}> (id {})", a.name, a.email, a.id);
            outln!("  incoming: {}", describe(a.incoming_protocol.into(), &a.incoming));
            outln!("  outgoing: {}", describe(Protocol::Smtp, &a.outgoing));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn test(name: &str, password_stdin: bool, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let config = Config::load(profile)?;
    let account = config.account(name).ok_or_else(|| {
        Error::config(format!("there is no account \"{name}\" (see `tidings account list`)"))
    })?;
    let rt =
        super::runtime().map_err(|e| Error::new(Kind::Storage, "cannot start the runtime").with_source(e))?;
    let credentials = if password_stdin {
        let lines = read_stdin_lines(2)?;
        let first = lines.first().cloned().ok_or_else(|| Error::config("no password on standard input"))?;
        Passwords { outgoing: lines.get(1).cloned().unwrap_or_else(|| first.clone()), incoming: first }
            .credentials(account)
    } else {
        rt.block_on(Credentials::lookup(account, &Secrets::system()))?
    };
    let log = account.log_transcript.then(|| profile.transcript_log(&account.id));
    let check = rt.block_on(check_account(account, &credentials, log.as_deref()))?;
    print_check(&check, out);
    Ok(if check.ok() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

fn print_check(check: &AccountCheck, out: &Out) {
    if out.json {
        match serde_json::to_value(check) {
            Ok(mut v) => {
                v["ok"] = serde_json::Value::Bool(check.ok());
                out.print_json(&v);
            }
            Err(e) => errln!("tidings: cannot write JSON: {e}"),
        }
        return;
    }
    outln!("Account \"{}\"", check.account);
    for (role, c) in [("Incoming", &check.incoming), ("Outgoing", &check.outgoing)] {
        print_server(role, c);
    }
}

fn print_server(role: &str, c: &ServerCheck) {
    outln!(
        "{role}: {} {}:{} ({}) — {}",
        c.protocol.as_str().to_uppercase(),
        c.host,
        c.port,
        c.security.label(),
        if c.ok { "works" } else { "FAILED" }
    );
    // RFC 3501 7.1: the server's words for the person, before the details.
    for alert in &c.facts.alerts {
        outln!("  ! The server says: {alert}");
    }
    for s in &c.stages {
        let mark = if s.ok { "ok  " } else { "FAIL" };
        let detail = s.detail.as_deref().map(|d| format!("  {d}")).unwrap_or_default();
        outln!("  [{mark}] {:<18} {:>9.1} ms{detail}", s.name.label(), s.duration.as_secs_f64() * 1000.0);
    }
    if let Some(e) = &c.error_value {
        outln!("  {} error: {}", e.kind(), e.message());
        if let Some(words) = e.server_words() {
            outln!("  the server said: {words}");
        }
        outln!("  what to do: {}", e.advice());
    }
}

fn remove(name: &str, delete_data: bool, profile: &Profile, out: &Out) -> Result<ExitCode, Error> {
    let mut config = Config::load(profile)?;
    let account = config.remove_account(name).ok_or_else(|| {
        Error::config(format!("there is no account \"{name}\" (see `tidings account list`)"))
    })?;
    Secrets::system().delete_account(&account.id)?;
    config.save(profile)?;
    let data = profile.account_data_dir(&account.id);
    let mut removed_data = false;
    if delete_data {
        // Its mail in the profile's store (folders, messages, the Outbox… cascade).
        let store = profile.store_path();
        if store.exists() {
            tidings_mail::store::Store::open(&store)?.remove_account(&account.id)?;
            removed_data = true;
        }
    }
    if delete_data && data.exists() {
        std::fs::remove_dir_all(&data)
            .map_err(|e| Error::storage(format!("cannot delete {}", data.display()), e))?;
        removed_data = true;
    }
    if delete_data {
        // Its conversation log, as the settings' removal deletes it.
        let log = profile.transcript_log(&account.id);
        for file in [tidings_mail::net::rotated_log(&log), log] {
            match std::fs::remove_file(&file) {
                Ok(()) => removed_data = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::storage(format!("cannot delete {}", file.display()), e)),
            }
        }
    }
    if out.json {
        out.print_json(
            &serde_json::json!({ "ok": true, "removed": account.id, "data_deleted": removed_data }),
        );
    } else {
        outln!("Removed account \"{}\" and its passwords.", account.name);
        if data.exists() {
            outln!("Its data stays in {} (use --delete-data to delete it).", data.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
