//! DNS (hickory): SRV and MX records for discovery, and addresses for the probes and HTTP
//! when a name server of the caller's choosing is used. "No such name" and "no such record"
//! are answers (empty lists), not errors.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use crate::error::{Error, Kind, Result};

/// One SRV record; `target` is empty for "." (service not offered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

pub(crate) struct Dns {
    resolver: TokioResolver,
    /// A name server given by the caller (tests, or a person debugging their DNS).
    pub custom: bool,
}

impl Dns {
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Dns> {
        let builder = match server {
            Some(addr) => {
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                for c in &mut ns.connections {
                    c.port = addr.port();
                }
                let mut b = TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![ns]),
                    TokioRuntimeProvider::default(),
                );
                // Only that server answers: no /etc/hosts.
                b.options_mut().use_hosts_file = ResolveHosts::Never;
                b
            }
            None => TokioResolver::builder_tokio().map_err(|e| {
                Error::new(Kind::Network, "cannot read the system's DNS settings").with_source(e)
            })?,
        };
        let mut builder = builder;
        builder.options_mut().timeout = timeout;
        builder.options_mut().attempts = 2;
        let resolver = builder
            .build()
            .map_err(|e| Error::new(Kind::Network, "cannot set up the DNS resolver").with_source(e))?;
        Ok(Dns { resolver, custom: server.is_some() })
    }

    /// SRV records sorted by priority, then weight (heaviest first).
    pub async fn srv(&self, name: &str) -> Result<Vec<Srv>> {
        let lookup = match self.resolver.srv_lookup(fqdn(name)).await {
            Ok(l) => l,
            Err(e) => return none_or_error(e, "SRV", name),
        };
        let mut out: Vec<Srv> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::SRV(s) => Some(Srv {
                    priority: s.priority,
                    weight: s.weight,
                    port: s.port,
                    target: host_name(&s.target.to_ascii()),
                }),
                _ => None,
            })
            .collect();
        out.sort_by_key(|s| (s.priority, std::cmp::Reverse(s.weight)));
        Ok(out)
    }

    /// MX records, lowest preference first. An empty exchange is a null MX (RFC 7505).
    pub async fn mx(&self, domain: &str) -> Result<Vec<(u16, String)>> {
        let lookup = match self.resolver.mx_lookup(fqdn(domain)).await {
            Ok(l) => l,
            Err(e) => return none_or_error(e, "MX", domain),
        };
        let mut out: Vec<(u16, String)> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(mx) => Some((mx.preference, host_name(&mx.exchange.to_ascii()))),
                _ => None,
            })
            .collect();
        out.sort_by_key(|(p, _)| *p);
        Ok(out)
    }

    /// IPv4 and IPv6 addresses of a host.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>> {
        match self.resolver.lookup_ip(fqdn(host)).await {
            Ok(l) => Ok(l.iter().collect()),
            Err(e) => none_or_error(e, "address", host),
        }
    }
}

fn fqdn(name: &str) -> String {
    // The final dot stops search-domain expansion: we always mean the name as given.
    format!("{}.", name.trim_end_matches('.'))
}

fn host_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn none_or_error<T>(e: NetError, what: &str, name: &str) -> Result<Vec<T>> {
    if e.is_no_records_found() {
        return Ok(Vec::new());
    }
    let timed_out = matches!(e, NetError::Timeout);
    let msg = if timed_out {
        format!("the {what} lookup of {name} timed out")
    } else {
        format!("cannot look up the {what} records of {name}")
    };
    Err(Error::new(Kind::Network, msg).with_source(e))
}
