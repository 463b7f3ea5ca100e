//! IMAP: the pre-login part (greeting, CAPABILITY, STARTTLS) spoken by us on the tapped line
//! connection, then async-imap from LOGIN (or AUTHENTICATE with an access token) on.
//! STARTTLS, when chosen, is required: a server that does not offer it gets no credentials.

use async_imap::types::Capability;

use crate::account::Security;
use crate::auth::Credential;
use crate::auth::sasl::{self, Mechanism};
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::net::{Connection, Endpoint, LineConn, StageName, Transcript, connect};

pub type Session = async_imap::Session<Connection>;

/// Connects and gets the session ready for LOGIN: greeting, capabilities, STARTTLS.
pub async fn open(ep: &Endpoint, transcript: &Transcript, facts: &mut SessionFacts) -> Result<LineConn> {
    // Before the greeting, which may carry one already.
    transcript.collect_imap_alerts();
    let mut conn = connect(ep, transcript).await?;
    conn.set_protocol(crate::account::Protocol::Imap);
    facts.tls = conn.tls().cloned();
    let mut lc = LineConn::new(conn);

    let t = transcript.elapsed();
    let greeting =
        lc.read_line().await.inspect_err(|e| stage_failed(transcript, StageName::Greeting, t, e))?;
    facts.greeting = Some(greeting.clone());
    if let Some(rest) = greeting.strip_prefix("* BYE") {
        transcript.stage(StageName::Greeting, t, false, Some(greeting.clone()));
        return Err(Error::new(Kind::RefusedByServer, format!("{} refused the connection:{rest}", ep.host))
            .with_server(greeting));
    }
    if !(greeting.starts_with("* OK") || greeting.starts_with("* PREAUTH")) {
        transcript.stage(StageName::Greeting, t, false, Some("not an IMAP greeting".into()));
        return Err(Error::new(
            Kind::Protocol,
            format!("{} did not greet like an IMAP server; is this the right port?", ep.address()),
        )
        .with_server(greeting));
    }
    transcript.stage(StageName::Greeting, t, true, None);

    let mut caps = capability(&mut lc, transcript, "T1").await?;
    if ep.security == Security::StartTls {
        facts.capabilities_before_tls = caps.clone();
        if !has(&caps, "STARTTLS") {
            return Err(no_starttls(ep, "IMAP"));
        }
        let t = transcript.elapsed();
        lc.send_line("T2 STARTTLS").await?;
        let reply = read_tagged(&mut lc, "T2").await?;
        if !reply.starts_with("T2 OK") {
            transcript.stage(StageName::StartTls, t, false, Some(reply.clone()));
            return Err(Error::new(Kind::Tls, format!("{} refused STARTTLS", ep.host)).with_server(reply));
        }
        lc = lc.upgrade(&ep.trust).await?;
        transcript.stage(StageName::StartTls, t, true, None);
        facts.tls = lc.connection().tls().cloned();
        caps = capability(&mut lc, transcript, "T3").await?;
    }
    facts.auth_mechanisms = caps.iter().filter_map(|c| c.strip_prefix("AUTH=")).map(str::to_string).collect();
    facts.capabilities = caps;
    Ok(lc)
}

/// Logs in: LOGIN with a password, AUTHENTICATE XOAUTH2 or OAUTHBEARER with an access token
/// (the secret registered with the transcript so it can never show).
pub async fn login(
    lc: LineConn,
    ep: &Endpoint,
    credential: &Credential,
    facts: &mut SessionFacts,
) -> Result<Session> {
    let transcript = lc.connection().transcript().clone();
    transcript.add_secret(credential.secret());
    if matches!(credential, Credential::Password { .. }) && has(&facts.capabilities, "LOGINDISABLED") {
        return Err(Error::new(
            Kind::RefusedByServer,
            format!("{} does not allow a password login on this connection (LOGINDISABLED)", ep.host),
        ));
    }
    let t = transcript.elapsed();
    let logged_in = match credential {
        Credential::Password { user, password } => password_login(lc, ep, user, password).await,
        Credential::Bearer { .. } => bearer_login(lc, ep, credential, facts).await,
    };
    let mut session = match logged_in {
        Ok(s) => s,
        Err(err) => {
            let err = crate::explain::unanswered_login(err, &ep.host, ep.timeouts.io);
            stage_failed(&transcript, StageName::Login, t, &err);
            return Err(err);
        }
    };
    transcript.stage(StageName::Login, t, true, None);
    let t = transcript.elapsed();
    match session.capabilities().await {
        Ok(caps) => {
            // A set on async-imap's side: sorted here so reports are stable.
            let mut names: Vec<String> = caps.iter().map(cap_name).collect();
            names.sort_by_key(|n| (n != "IMAP4rev1", n.to_ascii_uppercase()));
            facts.capabilities_after_login = names;
            transcript.stage(StageName::Capabilities, t, true, None);
        }
        Err(e) => return Err(map_error(ep, e, transcript.last_server_line())),
    }
    enable_utf8(&mut session, ep, &transcript, facts).await?;
    Ok(session)
}

async fn password_login(lc: LineConn, ep: &Endpoint, user: &str, password: &str) -> Result<Session> {
    let transcript = lc.connection().transcript().clone();
    let client = async_imap::Client::new(lc.into_connection());
    client
        .login(user, password)
        .await
        .map_err(|(e, _client)| login_error(ep, e, transcript.last_server_line()))
}

/// AUTHENTICATE with the current access token: the response on the command line when the
/// server offers SASL-IR, else after its `+`. A refused token first gets a challenge, answered
/// so the final NO comes (with the challenge, it says why); then, once, a new token from the
/// provider is tried on the same connection.
async fn bearer_login(
    lc: LineConn,
    ep: &Endpoint,
    credential: &Credential,
    facts: &mut SessionFacts,
) -> Result<Session> {
    let Credential::Bearer { mechanism: prefer, .. } = credential else {
        return Err(Error::new(Kind::Config, "an access token was expected"));
    };
    let Some(mech) = Mechanism::choose(&facts.auth_mechanisms, *prefer) else {
        return Err(sasl::not_offered(&ep.host, "AUTH=XOAUTH2 or AUTH=OAUTHBEARER"));
    };
    facts.sasl_mechanism = Some(mech);
    let transcript = lc.connection().transcript().clone();
    transcript.note(format!("logging in with an OAuth2 access token (SASL {mech})"));
    let mut client = async_imap::Client::new(lc.into_connection());
    let mut current = credential.current().await?;
    let mut retried = false;
    loop {
        let (user, token) = (current.user().to_string(), current.secret().to_string());
        transcript.add_secret(&token);
        let response = mech.initial_response(&user, &token, &ep.host, ep.port);
        transcript.add_secret(&sasl::encode(response.as_bytes()));
        let mut auth = ImapSasl { mech, first: Some(response.into_bytes()), challenge: None };
        let command = if has(&facts.capabilities, "SASL-IR") {
            let first = auth.first.take().unwrap_or_default();
            format!("{mech} {}", sasl::encode(&first))
        } else {
            mech.name().to_string()
        };
        let (e, back) = match client.authenticate(command, &mut auth).await {
            Ok(session) => return Ok(session),
            Err(failed) => failed,
        };
        let words = transcript.last_server_line();
        let err = match e {
            async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                sasl::refused(&ep.host, auth.challenge.as_ref(), &words.unwrap_or_default(), &token)
            }
            other => return Err(map_error(ep, other, words)),
        };
        if retried || err.kind() != Kind::Auth {
            return Err(err);
        }
        match current.renewed().await {
            Some(Ok(next)) if next.secret() != token => {
                transcript.note("the server refused the access token: trying once more with a new one");
                (current, client, retried) = (next, back, true);
            }
            Some(Err(renewal)) => return Err(renewal),
            _ => return Err(err),
        }
    }
}

/// async-imap's side of AUTHENTICATE: the initial response when the server asks for it
/// (no SASL-IR), and for anything else — a failure challenge — the answer that ends the
/// exchange, keeping the challenge.
struct ImapSasl {
    mech: Mechanism,
    first: Option<Vec<u8>>,
    challenge: Option<sasl::Challenge>,
}

impl async_imap::Authenticator for &mut ImapSasl {
    type Response = Vec<u8>;

    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        if challenge.is_empty()
            && let Some(first) = self.first.take()
        {
            return first;
        }
        self.first = None;
        self.challenge = Some(sasl::Challenge::from_bytes(challenge));
        self.mech.failure_answer().to_vec()
    }
}

/// RFC 6855: a server offering UTF8=ACCEPT may hold back messages whose headers are raw UTF-8
/// (or show a stand-in) from a client that did not enable it. Folder names then travel as
/// UTF-8 too, in every session alike (each logs in here). A refusal leaves the session as
/// it was.
async fn enable_utf8(
    session: &mut Session,
    ep: &Endpoint,
    transcript: &Transcript,
    facts: &mut SessionFacts,
) -> Result<()> {
    let caps = &facts.capabilities_after_login;
    if !has(caps, "ENABLE") || !(has(caps, "UTF8=ACCEPT") || has(caps, "UTF8=ONLY")) {
        return Ok(());
    }
    // async-imap hands the `* ENABLED` line to the unsolicited channel: emptied here.
    let r = session.run_command_and_check_ok("ENABLE UTF8=ACCEPT").await;
    while session.unsolicited_responses.try_recv().is_ok() {}
    match r {
        Ok(()) => {
            facts.utf8 = true;
            transcript.note("UTF-8 mode on (ENABLE UTF8=ACCEPT)");
            Ok(())
        }
        Err(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)) => {
            let words = transcript.last_server_line().unwrap_or_default();
            transcript.note(format!("the server refused ENABLE UTF8=ACCEPT ({words}); going on without"));
            Ok(())
        }
        Err(e) => Err(map_error(ep, e, transcript.last_server_line())),
    }
}

pub async fn logout(mut session: Session, ep: &Endpoint) -> Result<()> {
    let transcript = session.get_ref().transcript().clone();
    let t = transcript.elapsed();
    let r = session.logout().await.map_err(|e| map_error(ep, e, transcript.last_server_line()));
    transcript.stage(StageName::Logout, t, r.is_ok(), None);
    r
}

async fn capability(lc: &mut LineConn, transcript: &Transcript, tag: &str) -> Result<Vec<String>> {
    let t = transcript.elapsed();
    lc.send_line(&format!("{tag} CAPABILITY")).await?;
    let mut caps = Vec::new();
    loop {
        let line = lc.read_line().await?;
        if let Some(list) = line.strip_prefix("* CAPABILITY ") {
            caps = list.split_ascii_whitespace().map(str::to_string).collect();
        } else if line.starts_with(&format!("{tag} ")) {
            let ok = line.starts_with(&format!("{tag} OK"));
            transcript.stage(StageName::Capabilities, t, ok, Some(caps.join(" ")));
            if !ok {
                return Err(Error::new(Kind::Protocol, "the server refused CAPABILITY").with_server(line));
            }
            return Ok(caps);
        }
    }
}

async fn read_tagged(lc: &mut LineConn, tag: &str) -> Result<String> {
    let prefix = format!("{tag} ");
    loop {
        let line = lc.read_line().await?;
        if line.starts_with(&prefix) {
            return Ok(line);
        }
    }
}

pub fn has(caps: &[String], name: &str) -> bool {
    caps.iter().any(|c| c.eq_ignore_ascii_case(name))
}

fn cap_name(c: &Capability) -> String {
    match c {
        Capability::Imap4rev1 => "IMAP4rev1".to_string(),
        Capability::Auth(m) => format!("AUTH={m}"),
        Capability::Atom(a) => a.to_string(),
    }
}

pub(crate) fn no_starttls(ep: &Endpoint, proto: &str) -> Error {
    Error::new(
        Kind::Tls,
        format!(
            "{} does not offer STARTTLS on port {}; Tidings will not send your password unencrypted. Choose SSL/TLS (the usual {proto} port for it) or ask the provider.",
            ep.host, ep.port
        ),
    )
}

pub(crate) fn stage_failed(transcript: &Transcript, name: StageName, t: std::time::Duration, e: &Error) {
    transcript.stage(name, t, false, Some(e.to_string()));
}

fn login_error(ep: &Endpoint, e: async_imap::error::Error, server: Option<String>) -> Error {
    use async_imap::error::Error as E;
    let words = server.unwrap_or_default();
    match e {
        E::No(_) | E::Bad(_) => {
            let upper = words.to_ascii_uppercase();
            let kind = if upper.contains("[UNAVAILABLE]")
                || upper.contains("[CONTACTADMIN]")
                || upper.contains("[PRIVACYREQUIRED]")
                || words.contains("User is authenticated but not connected")
            {
                Kind::RefusedByServer
            } else {
                Kind::Auth
            };
            let what = if kind == Kind::Auth {
                format!("{} did not accept the user name or password", ep.host)
            } else {
                format!("{} refused the login", ep.host)
            };
            Error::new(kind, what).with_server(words)
        }
        other => map_error(ep, other, Some(words)),
    }
}

/// async-imap reports an unparsable response as an I/O error "… during parsing of …" (and
/// the connection is finished after it).
pub fn is_parse_error(e: &async_imap::error::Error) -> bool {
    use async_imap::error::Error as E;
    match e {
        E::Parse(_) => true,
        E::Io(io) => io.kind() == std::io::ErrorKind::Other && io.to_string().contains("during parsing of"),
        _ => false,
    }
}

/// The start of what could not be parsed (the error text holds the whole buffer, which can
/// be megabytes).
pub fn parse_error_excerpt(e: &async_imap::error::Error) -> String {
    let text = e.to_string();
    let tail = text.split_once("during parsing of ").map(|(_, t)| t).unwrap_or(&text);
    let mut end = tail.len().min(300);
    while !tail.is_char_boundary(end) {
        end -= 1;
    }
    tail[..end].to_string()
}

/// async-imap's errors in our kinds.
pub fn map_error(ep: &Endpoint, e: async_imap::error::Error, server: Option<String>) -> Error {
    use async_imap::error::Error as E;
    let words = server.unwrap_or_default();
    if is_parse_error(&e) {
        return Error::new(Kind::Protocol, format!("cannot understand what {} sent", ep.host))
            .with_server(parse_error_excerpt(&e));
    }
    if let E::Io(io) = &e
        && let Some(err) = crate::net::lines::limit_error(io)
    {
        return err;
    }
    match e {
        E::Io(io) => Error::network(format!("the connection to {} failed", ep.host), io),
        E::ConnectionLost => Error::new(Kind::Network, format!("{} closed the connection", ep.host)),
        E::No(_) => Error::new(Kind::RefusedByServer, format!("{} said no", ep.host)).with_server(words),
        E::Bad(_) => Error::new(Kind::Protocol, format!("{} rejected a command", ep.host)).with_server(words),
        other => Error::new(Kind::Protocol, format!("cannot understand {}", ep.host)).with_source(other),
    }
}
