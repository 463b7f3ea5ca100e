//! Which candidate wins, and where sources disagree.
//!
//! Order (RFC 8314 first, then trust in the source, then the anchors' preferences):
//! 1. TLS with a trusted certificate, then TLS with an untrusted one, then no TLS at all;
//! 2. the source: preset by domain, autoconfig over HTTPS, Autodiscover, autoconfig over
//!    plain HTTP, SRV, then what the MX host led to (preset, autoconfig), then live probes;
//! 3. IMAP over POP3; 4. implicit TLS over STARTTLS; 5. the source's own order.

use super::types::{Best, Candidate, Disagreement, Source};
use crate::account::{Protocol, Security};

/// Lower is more trusted.
pub(crate) fn source_rank(c: &Candidate) -> u8 {
    let plain_http = |url: &str| url.starts_with("http://");
    match (&c.source, c.via_mx.is_some()) {
        (Source::Preset { .. }, false) => 0,
        (Source::Autoconfig { url }, false) if !plain_http(url) => 1,
        (Source::Autodiscover { .. }, false) => 2,
        (Source::Autoconfig { .. }, false) => 3,
        (Source::Srv { .. }, false) => 4,
        (Source::Preset { .. }, true) => 5,
        (Source::Autoconfig { url }, true) if !plain_http(url) => 6,
        (Source::Autoconfig { .. }, true) => 7,
        (Source::Probe, false) => 8,
        _ => 9,
    }
}

fn tls_class(c: &Candidate) -> u8 {
    match (c.security, &c.untrusted_certificate) {
        (Security::None, _) => 2,
        (_, Some(_)) => 1,
        (_, None) => 0,
    }
}

fn key(c: &Candidate, index: usize) -> (u8, u8, u8, u8, usize) {
    let protocol = u8::from(c.protocol == Protocol::Pop3);
    let security = match c.security {
        Security::Implicit => 0,
        Security::StartTls => 1,
        Security::None => 2,
    };
    (tls_class(c), source_rank(c), protocol, security, index)
}

fn pick<'a>(cands: impl Iterator<Item = (usize, &'a Candidate)>) -> Option<&'a Candidate> {
    cands.min_by_key(|(i, c)| key(c, *i)).map(|(_, c)| c)
}

/// The best incoming (IMAP or POP3) and outgoing (SMTP) candidates.
pub(crate) fn best(cands: &[Candidate]) -> Best {
    let of = |incoming: bool| {
        pick(cands.iter().enumerate().filter(|(_, c)| (c.protocol != Protocol::Smtp) == incoming)).cloned()
    };
    Best { incoming: of(true), outgoing: of(false) }
}

/// Candidates that speak for one origin: a preset, one URL, all SRV records, the probes.
fn origin(c: &Candidate) -> String {
    let base = match &c.source {
        Source::Preset { id, .. } => format!("preset {id}"),
        Source::Autoconfig { url } | Source::Autodiscover { url } => url.clone(),
        Source::Srv { .. } => "srv".into(),
        Source::Probe => "probe".into(),
    };
    format!("{base} {}", c.via_mx.as_deref().unwrap_or(""))
}

/// Two origins disagree on a protocol when neither lists the other's choice (so "993 or
/// 143" against "993" is agreement), or when they name different users for the same server.
pub(crate) fn disagreements(cands: &[Candidate]) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for protocol in [Protocol::Imap, Protocol::Pop3, Protocol::Smtp] {
        let mut origins: Vec<(String, Vec<(usize, &Candidate)>)> = Vec::new();
        for (i, c) in cands.iter().enumerate().filter(|(_, c)| c.protocol == protocol) {
            let o = origin(c);
            match origins.iter_mut().find(|(name, _)| *name == o) {
                Some((_, list)) => list.push((i, c)),
                None => origins.push((o, vec![(i, c)])),
            }
        }
        let picks: Vec<(&Candidate, &Vec<(usize, &Candidate)>)> =
            origins.iter().filter_map(|(_, list)| pick(list.iter().copied()).map(|p| (p, list))).collect();
        for (i, (a, list_a)) in picks.iter().enumerate() {
            for (b, list_b) in &picks[i + 1..] {
                let lists = |x: &Candidate, list: &Vec<(usize, &Candidate)>| {
                    list.iter().any(|(_, c)| c.same_endpoint(x))
                };
                let mut fields = Vec::new();
                if !lists(a, list_b) && !lists(b, list_a) {
                    if a.host != b.host {
                        fields.push("host");
                    }
                    if a.port != b.port {
                        fields.push("port");
                    }
                    if a.security != b.security {
                        fields.push("security");
                    }
                }
                let users_differ =
                    matches!((&a.user, &b.user), (Some(x), Some(y)) if !x.eq_ignore_ascii_case(y));
                if users_differ && (a.same_endpoint(b) || !fields.is_empty()) {
                    fields.push("user");
                }
                if !fields.is_empty() {
                    out.push(Disagreement { protocol, fields, first: (*a).clone(), second: (*b).clone() });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(p: Protocol, host: &str, port: u16, s: Security, source: Source) -> Candidate {
        Candidate::new(p, host, port, s, source)
    }

    fn ac() -> Source {
        Source::Autoconfig { url: "https://autoconfig.example.test/mail/config-v1.1.xml".into() }
    }

    #[test]
    fn tls_first_then_source_then_protocol() {
        let mut cands = vec![
            cand(Protocol::Pop3, "pop.example.test", 995, Security::Implicit, ac()),
            cand(Protocol::Imap, "mail.example.test", 143, Security::None, ac()),
            cand(Protocol::Imap, "imap.example.test", 993, Security::Implicit, Source::Probe),
        ];
        let got = best(&cands);
        let inc = got.incoming.unwrap();
        assert_eq!((inc.host.as_str(), inc.port), ("pop.example.test", 995));
        assert!(got.outgoing.is_none());
        cands.push(cand(Protocol::Imap, "imap.example.test", 143, Security::StartTls, ac()));
        cands.push(cand(Protocol::Imap, "imap.example.test", 993, Security::Implicit, ac()));
        let inc = best(&cands).incoming.unwrap();
        assert_eq!((inc.protocol, inc.port, inc.source.kind()), (Protocol::Imap, 993, ac().kind()));
    }

    #[test]
    fn agreement_when_one_lists_the_others_choice() {
        let srv = Source::Srv { record: "_imaps._tcp.example.test".into() };
        let cands = vec![
            cand(Protocol::Imap, "mail.example.test", 993, Security::Implicit, ac()),
            cand(Protocol::Imap, "mail.example.test", 143, Security::StartTls, ac()),
            cand(Protocol::Imap, "mail.example.test", 143, Security::StartTls, srv.clone()),
        ];
        assert!(disagreements(&cands).is_empty());
        let cands = vec![
            cand(Protocol::Imap, "mail.example.test", 993, Security::Implicit, ac()),
            cand(Protocol::Imap, "mail.example.test", 143, Security::StartTls, srv),
        ];
        let d = disagreements(&cands);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].fields, vec!["port", "security"]);
        assert_eq!(d[0].first.port, 993);
    }
}
