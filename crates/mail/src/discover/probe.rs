//! Live probes (Thunderbird's guessing): the usual host names on the usual ports, all at
//! once with short timeouts, each reading the greeting and CAPABILITY/CAPA/EHLO through the
//! core's own `open` functions. STARTTLS counts only when advertised and accepted; a
//! server whose certificate is not trusted is kept (with the error and its `CertInfo`).

use std::collections::HashMap;
use std::time::Instant;

use futures::future::join_all;

use super::Ctx;
use super::collect::Finding;
use super::types::{Candidate, MxInfo, ProbeOutcome, ProbePorts, ProbeReport, Source, SourceKind};
use crate::account::{Protocol, Security};
use crate::check::SessionFacts;
use crate::error::{ErrorReport, Kind, Result};
use crate::imap::has;
use crate::net::{Endpoint, Timeouts, Transcript, TrustAnchors};
use crate::{imap, pop3, smtp};

const KIND: SourceKind = SourceKind::Probe;

/// One connection to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// Host names per protocol, best guess first; for the MX route, the MX host itself too.
pub(crate) fn plan(domain: &str, mx: Option<&MxInfo>, ports: &ProbePorts) -> Vec<Plan> {
    let (base, extra) = match mx {
        Some(m) => (m.base_domain.as_str(), Some(m.host.as_str())),
        None => (domain, None),
    };
    let hosts = |prefixes: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = prefixes.iter().map(|p| format!("{p}{base}")).collect();
        match extra {
            Some(mx_host) => v.push(mx_host.to_string()),
            None => v.push(base.to_string()),
        }
        v
    };
    let groups = [
        (
            Protocol::Imap,
            hosts(&["imap.", "mail."]),
            vec![(ports.imaps, Security::Implicit), (ports.imap, Security::StartTls)],
        ),
        (
            Protocol::Pop3,
            hosts(&["pop3.", "pop.", "mail."]),
            vec![(ports.pop3s, Security::Implicit), (ports.pop3, Security::StartTls)],
        ),
        (
            Protocol::Smtp,
            hosts(&["smtp.", "mail."]),
            vec![
                (ports.submissions, Security::Implicit),
                (ports.submission, Security::StartTls),
                (ports.smtp, Security::StartTls),
            ],
        ),
    ];
    let mut out = Vec::new();
    for (protocol, hosts, port_list) in groups {
        for (port, security) in port_list.into_iter().filter(|(p, _)| *p != 0) {
            for host in &hosts {
                out.push(Plan { protocol, host: host.clone(), port, security });
            }
        }
    }
    out
}

/// Probes every planned connection whose host resolves; results arrive in the collector as
/// each probe ends, so a time limit keeps what finished.
pub(crate) async fn run(ctx: &Ctx<'_>, plans: Vec<Plan>, via_mx: Option<&str>) {
    ctx.collect.start(KIND);
    let mut names: Vec<&str> = plans.iter().map(|p| p.host.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let resolved = join_all(names.iter().map(|h| resolve(ctx, h))).await;
    let targets: HashMap<&str, Option<String>> = names.iter().copied().zip(resolved).collect();
    let probes = plans.iter().enumerate().filter_map(|(i, plan)| {
        let target = targets.get(plan.host.as_str()).cloned().flatten()?;
        Some(async move {
            let report = probe(ctx, plan, &target).await;
            if let Some(c) = candidate(plan, &report, via_mx) {
                ctx.collect.finding(Finding::new(KIND, i as u32).candidates(vec![c]));
            }
            if report.outcome != ProbeOutcome::Failed || report.greeting.is_some() {
                ctx.collect.probe(report);
            }
        })
    });
    let probes: Vec<_> = probes.collect();
    ctx.collect.attempt(
        KIND,
        format!("{} connections", probes.len()),
        format!(
            "to {} of {} host names that resolve",
            targets.values().filter(|t| t.is_some()).count(),
            names.len()
        ),
    );
    join_all(probes).await;
    ctx.collect.finish(KIND, None);
}

/// What to connect to: the name itself (system resolver), or with a name server of the
/// caller's choosing the address it gives (`net::connect` resolves only through the system).
async fn resolve(ctx: &Ctx<'_>, host: &str) -> Option<String> {
    let Some(dns) = &ctx.dns else { return Some(host.to_string()) };
    let addrs = dns.addresses(host).await.ok()?;
    let first = addrs.iter().find(|a| a.is_ipv4()).or(addrs.first())?;
    Some(if dns.custom { first.to_string() } else { host.to_string() })
}

async fn probe(ctx: &Ctx<'_>, plan: &Plan, target: &str) -> ProbeReport {
    let started = Instant::now();
    let mut ep = Endpoint::new(target, plan.port, plan.security);
    ep.trust = TrustAnchors { extra_ca_pem: ctx.opts.extra_ca_pem.clone(), pin: None };
    ep.timeouts = Timeouts { connect: ctx.opts.probe_timeout, io: ctx.opts.probe_timeout };
    let transcript = Transcript::new();
    let mut facts = SessionFacts::default();
    let result =
        tokio::time::timeout(ctx.opts.probe_timeout * 2, open(plan.protocol, &ep, &transcript, &mut facts))
            .await
            .unwrap_or_else(|_| {
                Err(crate::Error::new(Kind::Network, format!("{} did not answer in time", ep.address())))
            });
    let starttls_word = if plan.protocol == Protocol::Pop3 { "STLS" } else { "STARTTLS" };
    let outcome = match &result {
        Ok(()) => ProbeOutcome::Ok,
        Err(e) if e.kind() == Kind::Tls && e.certificate().is_some() => ProbeOutcome::UntrustedCertificate,
        Err(e)
            if e.kind() == Kind::Tls
                && plan.security == Security::StartTls
                && facts.greeting.is_some()
                && !has(&facts.capabilities_before_tls, starttls_word) =>
        {
            ProbeOutcome::StarttlsNotOffered
        }
        Err(_) => ProbeOutcome::Failed,
    };
    let capabilities = if facts.capabilities.is_empty() {
        facts.capabilities_before_tls.clone()
    } else {
        facts.capabilities.clone()
    };
    ProbeReport {
        protocol: plan.protocol,
        host: plan.host.clone(),
        port: plan.port,
        security: plan.security,
        outcome,
        greeting: facts.greeting,
        capabilities,
        auth_mechanisms: facts.auth_mechanisms,
        error: result.as_ref().err().map(ErrorReport::from),
        error_value: result.err(),
        stages: transcript.stages(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// Greeting, capabilities and STARTTLS through the core; then a polite goodbye.
async fn open(protocol: Protocol, ep: &Endpoint, t: &Transcript, facts: &mut SessionFacts) -> Result<()> {
    let bye = std::time::Duration::from_secs(1);
    match protocol {
        Protocol::Imap => {
            let mut lc = imap::open(ep, t, facts).await?;
            let _ = tokio::time::timeout(bye, lc.send_line("T9 LOGOUT")).await;
        }
        Protocol::Pop3 => {
            let p = pop3::Pop3::open(ep, t, facts).await?;
            let _ = tokio::time::timeout(bye, p.quit()).await;
        }
        Protocol::Smtp => {
            let mut lc = smtp::open(ep, t, facts).await?;
            let _ = tokio::time::timeout(bye, lc.send_line("QUIT")).await;
        }
    }
    Ok(())
}

fn candidate(plan: &Plan, report: &ProbeReport, via_mx: Option<&str>) -> Option<Candidate> {
    let make = |security| {
        Candidate::new(plan.protocol, &plan.host, plan.port, security, Source::Probe).with_via_mx(via_mx)
    };
    match report.outcome {
        ProbeOutcome::Ok => Some(make(plan.security)),
        ProbeOutcome::StarttlsNotOffered => {
            let mut c = make(Security::None);
            c.note = Some("the server does not offer STARTTLS: passwords would travel unencrypted".into());
            Some(c)
        }
        ProbeOutcome::UntrustedCertificate => {
            let mut c = make(plan.security);
            c.untrusted_certificate = report.error_value.as_ref().and_then(|e| e.certificate().cloned());
            c.note = report.error.as_ref().map(|e| e.message.clone());
            Some(c)
        }
        ProbeOutcome::Failed => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_the_usual_hosts_and_ports() {
        let p = plan("example.test", None, &ProbePorts::default());
        let has = |proto, host: &str, port| {
            p.iter().any(|x| x.protocol == proto && x.host == host && x.port == port)
        };
        assert!(has(Protocol::Imap, "imap.example.test", 993));
        assert!(has(Protocol::Imap, "example.test", 143));
        assert!(has(Protocol::Pop3, "pop3.example.test", 995));
        assert!(has(Protocol::Pop3, "pop.example.test", 110));
        assert!(has(Protocol::Smtp, "smtp.example.test", 465));
        assert!(has(Protocol::Smtp, "mail.example.test", 587));
        assert!(!p.iter().any(|x| x.port == 25), "port 25 is off by default");
        assert_eq!(p.len(), 3 * 2 + 4 * 2 + 3 * 2);
        let mx =
            MxInfo { host: "mx1.mailhost.test".into(), preference: 10, base_domain: "mailhost.test".into() };
        let p = plan("example.test", Some(&mx), &ProbePorts::default());
        assert!(
            p.iter().any(|x| x.host == "mx1.mailhost.test")
                && p.iter().any(|x| x.host == "imap.mailhost.test")
        );
        assert!(!p.iter().any(|x| x.host.ends_with("example.test")));
    }
}
