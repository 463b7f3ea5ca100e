//! The account check shared by the wizard's test step, `tidings account test` and (later)
//! the inspector: connect, TLS, greeting, capabilities, log in — each stage timed in the
//! transcript — and what the server told us along the way.

use serde::Serialize;

use crate::account::{Account, Protocol, Security};
use crate::auth::{Credential, Credentials};
use crate::error::{Error, ErrorReport, Result};
use crate::net::{Endpoint, Line, Stage, TlsSummary, Transcript};
use crate::{imap, pop3, smtp};

/// What one session learnt about a server.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SessionFacts {
    pub greeting: Option<String>,
    /// Only for STARTTLS: what the server offered before encryption.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities_before_tls: Vec<String>,
    pub capabilities: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities_after_login: Vec<String>,
    pub auth_mechanisms: Vec<String>,
    pub tls: Option<TlsSummary>,
    /// What the server asked to be shown to the person (IMAP `[ALERT]`), each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
    /// UTF-8 mode was turned on (IMAP ENABLE UTF8=ACCEPT, POP3 UTF8).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub utf8: bool,
    /// The SASL mechanism an access token went with (OAuth2 log-ins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sasl_mechanism: Option<crate::auth::sasl::Mechanism>,
}

/// The result of checking one server, ready for display or `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct ServerCheck {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub ok: bool,
    pub stages: Vec<Stage>,
    pub facts: SessionFacts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    #[serde(skip)]
    pub error_value: Option<Error>,
    pub transcript: Vec<Line>,
}

/// Checks one server end to end: connect, TLS, greeting, capabilities, log in, log out.
pub async fn check_server(
    protocol: Protocol,
    ep: &Endpoint,
    credential: &Credential,
    transcript: &Transcript,
) -> ServerCheck {
    transcript.add_secret(credential.secret());
    let mut facts = SessionFacts::default();
    let result = run(protocol, ep, credential, transcript, &mut facts).await;
    transcript.flush();
    facts.alerts = transcript.alerts();
    ServerCheck {
        protocol,
        host: ep.host.clone(),
        port: ep.port,
        security: ep.security,
        ok: result.is_ok(),
        stages: transcript.stages(),
        facts,
        error: result.as_ref().err().map(ErrorReport::from),
        error_value: result.err(),
        transcript: transcript.lines(),
    }
}

async fn run(
    protocol: Protocol,
    ep: &Endpoint,
    credential: &Credential,
    transcript: &Transcript,
    facts: &mut SessionFacts,
) -> Result<()> {
    match protocol {
        Protocol::Imap => {
            let lc = imap::open(ep, transcript, facts).await?;
            let session = imap::login(lc, ep, credential, facts).await?;
            imap::logout(session, ep).await
        }
        Protocol::Pop3 => {
            let mut p = pop3::Pop3::open(ep, transcript, facts).await?;
            p.login(credential, facts).await?;
            p.stat().await?;
            p.quit().await
        }
        Protocol::Smtp => {
            let lc = smtp::open(ep, transcript, facts).await?;
            let conn = smtp::login(lc, ep, credential, facts).await?;
            smtp::quit(conn, transcript).await;
            Ok(())
        }
    }
}

/// Both servers of an account, checked side by side.
#[derive(Debug, Clone, Serialize)]
pub struct AccountCheck {
    pub account: String,
    pub incoming: ServerCheck,
    pub outgoing: ServerCheck,
}

impl AccountCheck {
    pub fn ok(&self) -> bool {
        self.incoming.ok && self.outgoing.ok
    }
}

/// Passwords typed or piped in for an account (not yet in the keyring).
pub struct Passwords {
    pub incoming: String,
    pub outgoing: String,
}

impl Passwords {
    /// As what each server logs in with, under the account's user names.
    pub fn credentials(&self, account: &Account) -> Credentials {
        Credentials {
            incoming: Credential::password(&account.incoming.user, &self.incoming),
            outgoing: Credential::password(&account.outgoing.user, &self.outgoing),
        }
    }
}

/// Checks an account's incoming and outgoing servers concurrently. Transcripts go to the
/// account's log file too when it asks for one.
pub async fn check_account(
    account: &Account,
    credentials: &Credentials,
    log: Option<&std::path::Path>,
) -> Result<AccountCheck> {
    let incoming_ep = Endpoint::for_account(account, &account.incoming)?;
    let outgoing_ep = Endpoint::for_account(account, &account.outgoing)?;
    let (t_in, t_out) = (Transcript::new(), Transcript::new());
    if let Some(path) = log {
        for t in [&t_in, &t_out] {
            t.log_to(path)
                .map_err(|e| Error::storage(format!("cannot write the log {}", path.display()), e))?;
        }
    }
    let (incoming, outgoing) = tokio::join!(
        check_server(account.incoming_protocol.into(), &incoming_ep, &credentials.incoming, &t_in),
        check_server(Protocol::Smtp, &outgoing_ep, &credentials.outgoing, &t_out),
    );
    Ok(AccountCheck { account: account.name.clone(), incoming, outgoing })
}
