//! The inspection flows per protocol. Each step records its stage in the transcript; the
//! report is assembled from the transcript, the session facts and what the steps found,
//! also when a step fails (the report then says which and shows the server's words).

use std::collections::BTreeMap;

use lettre::transport::smtp::commands::{Mail, Rset};

use super::{
    Capabilities, Check, Credentials, InspectOptions, Report, Target, TlsReport, TokenReport, Verdict,
};
use super::{checks, receipts};
use crate::account::{Protocol, Security};
use crate::check::SessionFacts;
use crate::error::{Error, ErrorReport, Kind, Result};
use crate::net::{Endpoint, LineConn, StageName, Transcript, TrustAnchors};
use crate::oauth2::Grant;
use crate::{explain, imap, pop3, smtp};

/// What the steps found besides the session facts.
#[derive(Default)]
struct Found {
    imap_id: Option<BTreeMap<String, String>>,
    mailbox: Option<String>,
    checks: Vec<Check>,
}

/// Inspects one server. Never fails: a failed step is part of the report.
pub async fn inspect(
    target: &Target,
    trust: TrustAnchors,
    creds: Option<Credentials>,
    opts: &InspectOptions,
    transcript: &Transcript,
) -> Report {
    let mut ep = Endpoint::new(target.host.clone(), target.port, target.security);
    ep.trust = trust;
    if let Some(c) = &creds {
        transcript.add_secret(c.secret());
    }
    if !opts.include_content {
        // The report goes into tickets: the sampled messages show up as their sizes only.
        match target.protocol {
            Protocol::Imap => transcript.elide_literals(true),
            Protocol::Pop3 => transcript.elide_pop3_data(true),
            Protocol::Smtp => transcript.elide_smtp_data(true),
        }
    }
    let mut facts = SessionFacts::default();
    let mut found = Found::default();
    let result = match target.protocol {
        Protocol::Imap => imap_flow(&ep, creds.as_ref(), opts, transcript, &mut facts, &mut found).await,
        Protocol::Pop3 => pop3_flow(&ep, creds.as_ref(), opts, transcript, &mut facts, &mut found).await,
        Protocol::Smtp => smtp_flow(&ep, creds.as_ref(), transcript, &mut facts, &mut found).await,
    };
    transcript.flush();
    let stages = transcript.stages();
    if result.is_ok() {
        found.checks.push(checks::login_delay(&stages, creds.is_some()));
        if target.protocol == Protocol::Imap {
            found.checks.push(checks::idle_offered(&facts));
        }
    }
    if creds.is_none() {
        found.checks.push(Check {
            name: "Log in",
            verdict: Verdict::NotApplicable,
            summary: "no credentials given (--user and --password-stdin): stopped after the capabilities"
                .into(),
            evidence: vec![],
        });
    }
    let mut caps = Capabilities {
        before_tls: facts.capabilities_before_tls.clone(),
        after_tls: facts.capabilities.clone(),
        after_login: facts.capabilities_after_login.clone(),
        ..Default::default()
    };
    caps.fill_diffs();
    let err = result.err();
    Report {
        target: target.url(),
        protocol: target.protocol,
        host: target.host.clone(),
        port: target.port,
        security: target.security,
        started: humantime::format_rfc3339_millis(transcript.started()).to_string(),
        ok: err.is_none(),
        failed_stage: err
            .as_ref()
            .and_then(|_| stages.iter().rev().find(|s| !s.ok))
            .map(|s| s.name.label().to_string()),
        tls: tls_report(&ep, &facts, err.as_ref()),
        greeting: facts.greeting.clone(),
        alerts: transcript.alerts(),
        utf8: facts.utf8,
        imap_id: found.imap_id,
        capabilities: caps,
        login: creds.as_ref().map(|c| login_words(c, &facts)),
        token: creds.as_ref().and_then(|c| token_report(c, &facts, target.protocol)),
        auth_mechanisms: facts.auth_mechanisms.clone(),
        mailbox: found.mailbox,
        checks: found.checks,
        explanation: err.as_ref().and_then(|e| explain::explain(target.protocol, e)),
        error: err.as_ref().map(ErrorReport::from),
        includes_content: opts.include_content,
        stages,
        transcript: transcript.lines(),
    }
}

/// How the log-in was made, in the words of the report.
fn login_words(credential: &Credentials, facts: &SessionFacts) -> String {
    match credential {
        Credentials::Password { .. } => "password".into(),
        Credentials::Bearer { .. } => match bearer_mechanism(credential, facts) {
            Some(m) => format!("OAuth2 access token (SASL {m})"),
            None => "OAuth2 access token (the server offers no OAuth2 mechanism)".into(),
        },
    }
}

/// The mechanism a token goes with: the one the log-in chose from what the server offered.
fn bearer_mechanism(credential: &Credentials, facts: &SessionFacts) -> Option<crate::auth::sasl::Mechanism> {
    let Credentials::Bearer { mechanism, .. } = credential else { return None };
    facts.sasl_mechanism.or_else(|| crate::auth::sasl::Mechanism::choose(&facts.auth_mechanisms, *mechanism))
}

/// The token section: what the token store knew of the grant, else what the token itself
/// says (a token given on its own).
fn token_report(credential: &Credentials, facts: &SessionFacts, protocol: Protocol) -> Option<TokenReport> {
    let Credentials::Bearer { token, grant, .. } = credential else { return None };
    let grant = grant.clone().unwrap_or_else(|| Grant::read(token, None, None, None));
    Some(TokenReport {
        mechanism: bearer_mechanism(credential, facts).map(|m| m.to_string()),
        expires: grant.expiry_words(std::time::SystemTime::now()),
        warnings: grant.warnings(protocol),
        grant,
    })
}

fn tls_report(ep: &Endpoint, facts: &SessionFacts, err: Option<&Error>) -> Option<TlsReport> {
    if let Some(tls) = &facts.tls {
        let cert = tls.certificate.clone();
        return Some(TlsReport {
            version: tls.params.as_ref().map(|p| p.version.clone()),
            cipher: tls.params.as_ref().map(|p| p.cipher.clone()),
            hostname_matches: cert.as_ref().map(|c| c.matches_host(&ep.host)),
            verdict: if tls.pinned {
                "accepted by its pinned SHA-256 fingerprint (not verified)".into()
            } else {
                "verified: trusted issuer, valid dates, host name matches".into()
            },
            certificate: cert,
        });
    }
    let e = err.filter(|e| e.kind() == Kind::Tls)?;
    let cert = e.certificate().cloned();
    if cert.is_none() && ep.security == Security::StartTls && e.message().contains("STARTTLS") {
        return Some(TlsReport {
            version: None,
            cipher: None,
            certificate: None,
            hostname_matches: None,
            verdict: "no TLS: the server does not offer STARTTLS".into(),
        });
    }
    Some(TlsReport {
        version: None,
        cipher: None,
        hostname_matches: cert.as_ref().map(|c| c.matches_host(&ep.host)),
        verdict: match &cert {
            Some(c) => {
                let p = c.problems(&ep.host);
                if p.is_empty() {
                    "not trusted: unknown issuer".into()
                } else {
                    format!("not trusted: {}", p.join(", "))
                }
            }
            None => format!("handshake failed: {}", e.server_words().unwrap_or(e.message())),
        },
        certificate: cert,
    })
}

async fn imap_flow(
    ep: &Endpoint,
    creds: Option<&Credentials>,
    opts: &InspectOptions,
    t: &Transcript,
    facts: &mut SessionFacts,
    found: &mut Found,
) -> Result<()> {
    let mut lc = imap::open(ep, t, facts).await?;
    if imap::has(&facts.capabilities, "ID") {
        found.imap_id = imap_id(&mut lc, t).await?;
    }
    let Some(c) = creds else { return Ok(()) };
    let mut session = imap::login(lc, ep, c, facts).await?;
    let t0 = t.elapsed();
    let mailbox = match session.select("INBOX").await {
        Ok(m) => m,
        Err(e) => {
            let e = imap::map_error(ep, e, t.last_server_line());
            t.stage(StageName::Mailbox, t0, false, Some(e.to_string()));
            return Err(e);
        }
    };
    let validity = mailbox.uid_validity.map(|v| format!(", UIDVALIDITY {v}")).unwrap_or_default();
    let summary = format!("SELECT INBOX: {} messages{validity}", mailbox.exists);
    t.stage(StageName::Mailbox, t0, true, Some(summary.clone()));
    found.mailbox = Some(summary);
    found.checks.push(checks::read_receipts(&mailbox));
    found.checks.extend(checks::imap_sample(&mut session, ep, &mailbox, opts).await);
    imap::logout(session, ep).await?;
    if let Some(probe) = &opts.probe {
        found.checks.push(super::probe::idle_latency(ep, c, probe, opts.probe_wait).await);
        found.checks.push(receipts::imap(ep, c, probe, opts.probe_wait, opts.receipt_wait).await);
    } else {
        found.checks.push(receipts::needs_probe());
    }
    Ok(())
}

/// RFC 2971 ID before login: who the server says it is.
async fn imap_id(lc: &mut LineConn, t: &Transcript) -> Result<Option<BTreeMap<String, String>>> {
    let t0 = t.elapsed();
    lc.send_line(&format!("T4 ID (\"name\" \"Tidings\" \"version\" \"{}\")", env!("CARGO_PKG_VERSION")))
        .await?;
    let mut id = None;
    loop {
        let line = lc.read_line().await?;
        if let Some(rest) = line.strip_prefix("* ID ") {
            id = Some(parse_id(rest));
        } else if line.starts_with("T4 ") {
            let ok = line.starts_with("T4 OK");
            t.stage(StageName::Id, t0, ok, None);
            return Ok(if ok { id.flatten() } else { None });
        }
    }
}

/// `("name" "Dovecot" "version" "2.3")` or `NIL`.
fn parse_id(text: &str) -> Option<BTreeMap<String, String>> {
    let mut strings = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => s.extend(chars.next()),
                    '"' => break,
                    other => s.push(other),
                }
            }
            strings.push(s);
        }
    }
    if strings.is_empty() {
        return None;
    }
    Some(strings.chunks(2).filter(|p| p.len() == 2).map(|p| (p[0].clone(), p[1].clone())).collect())
}

async fn pop3_flow(
    ep: &Endpoint,
    creds: Option<&Credentials>,
    opts: &InspectOptions,
    t: &Transcript,
    facts: &mut SessionFacts,
    found: &mut Found,
) -> Result<()> {
    let mut p = pop3::Pop3::open(ep, t, facts).await?;
    let Some(c) = creds else { return p.quit().await };
    p.login(c, facts).await?;
    let t0 = t.elapsed();
    let (count, size) =
        p.stat().await.inspect_err(|e| t.stage(StageName::Mailbox, t0, false, Some(e.to_string())))?;
    let summary = format!("STAT: {count} messages, {size} bytes");
    t.stage(StageName::Mailbox, t0, true, Some(summary.clone()));
    found.mailbox = Some(summary);
    let sample = checks::pop3_sample(&mut p, opts).await?;
    found.checks.extend(sample.checks);
    if sample.session_given_up {
        // Stopped in the middle of an answer: no QUIT can follow it; dropping closes it.
        drop(p);
        found.checks.push(Check {
            name: "POP3 leave on server",
            verdict: Verdict::NotApplicable,
            summary: "not tried: the session was given up during the sample".into(),
            evidence: vec![],
        });
        return Ok(());
    }
    p.quit().await?;
    found.checks.push(leave_on_server(ep, c, sample.retrieved).await);
    found.checks.push(match &opts.probe {
        Some(probe) => receipts::pop3(ep, c, probe, opts.probe_wait, opts.receipt_wait).await,
        None => receipts::needs_probe(),
    });
    Ok(())
}

/// A message RETR'd without DELE must still be listed in the next session.
async fn leave_on_server(ep: &Endpoint, c: &Credentials, retrieved: Option<String>) -> Check {
    let name = "POP3 leave on server";
    let Some(uid) = retrieved else {
        return Check {
            name,
            verdict: Verdict::NotApplicable,
            summary: "no message was retrieved (empty mailbox or no UIDL)".into(),
            evidence: vec![],
        };
    };
    let t = Transcript::new();
    t.add_secret(c.secret());
    let mut facts = SessionFacts::default();
    let second = async {
        let mut p = pop3::Pop3::open(ep, &t, &mut facts).await?;
        p.login(c, &facts).await?;
        let uids = p.uidl().await?;
        p.quit().await?;
        Ok::<_, Error>(uids)
    };
    match second.await {
        Ok(uids) if uids.iter().any(|(_, u)| *u == uid) => Check {
            name,
            verdict: Verdict::Pass,
            summary: "a message retrieved without DELE is still listed in the next session".into(),
            evidence: vec![format!("UID {uid} listed again ({} messages)", uids.len())],
        },
        Ok(uids) => Check {
            name,
            verdict: Verdict::Fail,
            summary: "a message retrieved without DELE was gone in the next session".into(),
            evidence: vec![format!("UID {uid} missing from {} listed", uids.len())],
        },
        Err(e) => Check {
            name,
            verdict: Verdict::Fail,
            summary: format!("the second session failed: {e}"),
            evidence: vec![],
        },
    }
}

async fn smtp_flow(
    ep: &Endpoint,
    creds: Option<&Credentials>,
    t: &Transcript,
    facts: &mut SessionFacts,
    found: &mut Found,
) -> Result<()> {
    let lc = smtp::open(ep, t, facts).await?;
    let Some(c) = creds else {
        let mut lc = lc;
        lc.send_line("QUIT").await?;
        return Ok(());
    };
    let mut conn = smtp::login(lc, ep, c, facts).await?;
    let t0 = t.elapsed();
    match c.user().parse::<lettre::Address>() {
        Ok(from) => {
            let r = conn.command(Mail::new(Some(from), vec![])).await;
            match r {
                Ok(reply) => {
                    let summary = format!(
                        "MAIL FROM:<{}> accepted ({}), then RSET: nothing sent",
                        c.user(),
                        reply.code()
                    );
                    t.stage(StageName::Mailbox, t0, true, Some(summary.clone()));
                    found.mailbox = Some(summary);
                    let _ = conn.command(Rset).await;
                }
                Err(e) => {
                    let e = smtp::map_error(ep, e, t);
                    t.stage(StageName::Mailbox, t0, false, Some(e.to_string()));
                    return Err(e);
                }
            }
        }
        Err(_) => {
            found.mailbox =
                Some(format!("MAIL FROM not tried: the user name \"{}\" is not an address", c.user()))
        }
    }
    smtp::quit(conn, t).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn id_responses() {
        let id = parse_id("(\"name\" \"Dovecot\" \"version\" \"2.3 \\\"x\\\"\")").unwrap_or_default();
        assert_eq!(id.get("name").map(String::as_str), Some("Dovecot"));
        assert_eq!(id.get("version").map(String::as_str), Some("2.3 \"x\""));
        assert_eq!(parse_id("NIL"), None);
    }
}
