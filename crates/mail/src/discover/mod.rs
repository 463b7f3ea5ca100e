//! Account discovery: the wizard's "find my settings" step.
//!
//! [`discover`] runs every source at once under one time limit and returns every candidate
//! labelled with its source, the chosen best settings, where sources disagree, and
//! redirects that wait for the person's consent. Sources (ranking in [`rank`]):
//! - presets: `assets/providers/*.toml`, by email domain or MX host;
//! - autoconfig (Thunderbird): `autoconfig.<domain>` and `.well-known`, HTTPS then HTTP;
//! - Exchange Autodiscover (POX), anonymous; other-domain redirects are not followed;
//! - RFC 6186 SRV records;
//! - MX: the lowest-preference MX host's base domain, tried for presets, autoconfig, probes;
//! - live probes of imap./pop3./pop./mail./smtp./the domain on the usual ports (skipped
//!   when the email domain has a preset: a known provider needs no guessing).
//!
//! Nothing here sends credentials. With [`DiscoverOptions::dns_server`] the probes connect
//! to the address that server gives and check the certificate against that address,
//! because `net::connect` resolves names only through the system.

mod autoconfig;
mod autodiscover;
mod collect;
mod http;
mod names;
mod presets;
mod probe;
mod rank;
mod types;

use std::sync::Arc;

pub use presets::{Preset, PresetServer, by_domain as preset_for_domain, by_mx as preset_for_mx, presets};
pub use types::*;

use crate::account::{Protocol, Security};
use crate::error::{Error, Kind, Result};
use crate::net::TrustAnchors;
use crate::net::dns::Dns;
use collect::{Collector, Finding};
use http::{Fetch, Http, Url};
use names::{Email, base_domain};

/// What every source shares.
pub(crate) struct Ctx<'a> {
    pub email: Email,
    pub opts: &'a DiscoverOptions,
    pub dns: Option<Arc<Dns>>,
    pub http: Http,
    pub collect: Collector,
}

impl<'a> Ctx<'a> {
    fn new(email: Email, opts: &'a DiscoverOptions) -> (Ctx<'a>, Option<Error>) {
        let dns_timeout = opts.time_limit.min(std::time::Duration::from_secs(3));
        let (dns, dns_error) = match Dns::new(opts.dns_server, dns_timeout) {
            Ok(d) => (Some(Arc::new(d)), None),
            Err(e) => (None, Some(e)),
        };
        let trust = TrustAnchors { extra_ca_pem: opts.extra_ca_pem.clone(), pin: None };
        let mut client = crate::http::Client::new(http::MAX_RESPONSE, opts.http_timeout, trust);
        client.route = opts.http_override.as_ref().map(|o| crate::http::Route {
            http: o.http,
            https: o.https,
            tls_name: o.tls_name.clone(),
        });
        client.dns = dns.clone().filter(|d| d.custom);
        let http = Http(client);
        (Ctx { email, opts, dns, http, collect: Collector::new() }, dns_error)
    }
}

/// Finds the settings for `email`. Never fails: what went wrong is in the source reports.
pub async fn discover(email: &str, opts: &DiscoverOptions) -> Discovery {
    let Some(parsed) = Email::parse(email) else {
        let c = Collector::new();
        c.start(SourceKind::Preset);
        c.finish(SourceKind::Preset, Some(format!("\"{email}\" is not an email address")));
        let mut d = c.into_discovery(
            &Email { address: email.into(), local: String::new(), domain: String::new() },
            false,
        );
        d.sources.retain(|s| s.kind == SourceKind::Preset);
        return d;
    };
    let domain = parsed.domain.clone();
    let (ctx, dns_error) = Ctx::new(parsed, opts);
    let s = opts.sources;
    let preset = if s.presets { presets::by_domain(&domain) } else { None };
    if s.presets {
        ctx.collect.start(SourceKind::Preset);
        if let Some(p) = preset {
            ctx.collect.attempt(SourceKind::Preset, format!("domain {domain}"), p.name.clone());
            let c = presets::candidates(p, &ctx.email, None);
            ctx.collect.finding(Finding::new(SourceKind::Preset, 0).candidates(c));
        }
        ctx.collect.finish(SourceKind::Preset, None);
    }
    if let Some(e) = &dns_error {
        for (kind, wanted) in [(SourceKind::Srv, s.srv), (SourceKind::Mx, s.mx)] {
            if wanted {
                ctx.collect.start(kind);
                ctx.collect.finish(kind, Some(e.to_string()));
            }
        }
    }

    let run = async {
        tokio::join!(
            async {
                if s.autoconfig {
                    autoconfig::run(&ctx, &domain, None).await
                }
            },
            async {
                if s.autodiscover {
                    autodiscover::run(&ctx, &domain).await
                }
            },
            async {
                if s.srv && ctx.dns.is_some() {
                    srv(&ctx, &domain).await
                }
            },
            async {
                if s.mx && ctx.dns.is_some() {
                    mx_route(&ctx, &domain, preset.is_some()).await
                }
            },
            async {
                match (s.probes, preset) {
                    (false, _) => {}
                    (true, Some(p)) => {
                        ctx.collect.skip(SourceKind::Probe, &format!("the domain has a preset ({})", p.name))
                    }
                    (true, None) => {
                        probe::run(&ctx, probe::plan(&domain, None, &opts.probe_ports), None).await
                    }
                }
            },
        )
    };
    let timed_out = tokio::time::timeout(opts.time_limit, run).await.is_err();
    ctx.collect.into_discovery(&ctx.email, timed_out)
}

/// RFC 6186 SRV records; a lone "." target means "not offered".
async fn srv(ctx: &Ctx<'_>, domain: &str) {
    const SERVICES: [(&str, Protocol, Security); 6] = [
        ("_imaps._tcp", Protocol::Imap, Security::Implicit),
        ("_imap._tcp", Protocol::Imap, Security::StartTls),
        ("_pop3s._tcp", Protocol::Pop3, Security::Implicit),
        ("_pop3._tcp", Protocol::Pop3, Security::StartTls),
        ("_submissions._tcp", Protocol::Smtp, Security::Implicit),
        ("_submission._tcp", Protocol::Smtp, Security::StartTls),
    ];
    let Some(dns) = &ctx.dns else { return };
    ctx.collect.start(SourceKind::Srv);
    let lookups = SERVICES.iter().enumerate().map(|(i, (service, protocol, security))| async move {
        let name = format!("{service}.{domain}");
        match dns.srv(&name).await {
            Err(e) => ctx.collect.attempt(SourceKind::Srv, name, e.to_string()),
            Ok(records) if records.is_empty() => ctx.collect.attempt(SourceKind::Srv, name, "none"),
            Ok(records) if records.iter().all(|r| r.target.is_empty()) => {
                ctx.collect.attempt(SourceKind::Srv, name, "not offered (target \".\")")
            }
            Ok(records) => {
                let cands: Vec<Candidate> = records
                    .iter()
                    .filter(|r| !r.target.is_empty() && r.port != 0)
                    .map(|r| {
                        Candidate::new(
                            *protocol,
                            &r.target,
                            r.port,
                            *security,
                            Source::Srv { record: name.clone() },
                        )
                    })
                    .collect();
                let list: Vec<String> = cands.iter().map(|c| format!("{}:{}", c.host, c.port)).collect();
                ctx.collect.attempt(SourceKind::Srv, name, list.join(", "));
                ctx.collect.finding(Finding::new(SourceKind::Srv, i as u32).candidates(cands));
            }
        }
    });
    futures::future::join_all(lookups).await;
    ctx.collect.finish(SourceKind::Srv, None);
}

/// MX → base domain → presets, autoconfig and probes for that domain.
async fn mx_route(ctx: &Ctx<'_>, domain: &str, domain_has_preset: bool) {
    let Some(dns) = &ctx.dns else { return };
    ctx.collect.start(SourceKind::Mx);
    let records = match dns.mx(domain).await {
        Ok(r) => r,
        Err(e) => return ctx.collect.finish(SourceKind::Mx, Some(e.to_string())),
    };
    let Some((preference, host)) = records.into_iter().next() else {
        ctx.collect.attempt(SourceKind::Mx, format!("MX {domain}"), "none");
        return ctx.collect.finish(SourceKind::Mx, None);
    };
    if host.is_empty() {
        ctx.collect.attempt(SourceKind::Mx, format!("MX {domain}"), "null MX: the domain receives no mail");
        return ctx.collect.finish(SourceKind::Mx, None);
    }
    let info = MxInfo { base_domain: base_domain(&host), host: host.clone(), preference };
    ctx.collect.attempt(
        SourceKind::Mx,
        format!("MX {domain}"),
        format!("{host} (base domain {})", info.base_domain),
    );
    ctx.collect.set_mx(info.clone());
    ctx.collect.finish(SourceKind::Mx, None);
    if domain_has_preset {
        return;
    }
    let s = ctx.opts.sources;
    if s.presets {
        ctx.collect.start(SourceKind::Preset);
        let found = presets::by_mx(&host, &info.base_domain);
        if let Some(p) = found {
            ctx.collect.attempt(SourceKind::Preset, format!("MX {host}"), p.name.clone());
            let c = presets::candidates(p, &ctx.email, Some(&host));
            ctx.collect.finding(Finding::new(SourceKind::Preset, 1).candidates(c));
        }
        ctx.collect.finish(SourceKind::Preset, None);
        if found.is_some() {
            return; // a known provider: no need to fetch or guess at its domain
        }
    }
    if info.base_domain == domain {
        return; // the other sources already cover this domain
    }
    tokio::join!(
        async {
            if s.autoconfig {
                autoconfig::run(ctx, &info.base_domain, Some(&host)).await
            }
        },
        async {
            if s.probes {
                probe::run(ctx, probe::plan(domain, Some(&info), &ctx.opts.probe_ports), Some(&host)).await
            }
        },
    );
}

/// Follows a redirect the person agreed to and reads what it gives (no credentials sent).
pub async fn follow_confirmed(
    email: &str,
    item: &NeedsConfirmation,
    opts: &DiscoverOptions,
) -> Result<Vec<Candidate>> {
    let email =
        Email::parse(email).ok_or_else(|| Error::config(format!("\"{email}\" is not an email address")))?;
    let (ctx, _) = Ctx::new(email, opts);
    let (target, address) = match item.kind {
        ConfirmKind::AutodiscoverAddress => {
            (item.from.trim_start_matches("POST ").to_string(), item.to.clone())
        }
        _ => (item.to.clone(), ctx.email.address.clone()),
    };
    let url =
        Url::parse(&target).ok_or_else(|| Error::config(format!("\"{target}\" is not an http(s) URL")))?;
    let domain = base_domain(&url.host);
    let body = match item.kind {
        ConfirmKind::AutoconfigRedirect => None,
        _ => Some(autodiscover::request_body(&address)),
    };
    let (url, response) = match ctx.http.fetch(url, body.as_deref(), &domain).await {
        Fetch::Answer { url, response } => (url, response),
        Fetch::Outside { to, .. } => {
            return Err(Error::new(Kind::Config, format!("{target} redirects again, to {to}; not followed")));
        }
        Fetch::Failed(e) => return Err(Error::new(Kind::Network, format!("cannot fetch {target}: {e}"))),
    };
    let source_url = url.to_string();
    let fail = |e: String| Error::new(Kind::Protocol, format!("cannot use the answer of {source_url}: {e}"));
    match item.kind {
        ConfirmKind::AutoconfigRedirect if response.status == 200 => {
            autoconfig::parse(&String::from_utf8_lossy(&response.body), &ctx.email, &source_url, None)
                .map_err(fail)
        }
        ConfirmKind::AutoconfigRedirect => Err(fail(format!("HTTP {}", response.status))),
        _ => match autodiscover::interpret(&response, &source_url).map_err(fail)? {
            autodiscover::Pox::Settings(c) => Ok(c),
            _ => Err(fail("it redirects again; not followed".into())),
        },
    }
}
