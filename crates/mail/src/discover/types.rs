//! What discovery takes and returns. Every value carries its source so the wizard can say
//! where a setting came from; everything serialises for `--json`.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

use crate::account::{AuthMethod, Incoming, Protocol, Security, Server, Trust};
use crate::error::{Error, ErrorReport};
use crate::net::{CertInfo, Stage};

/// How to run [`super::discover`].
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Everything together must finish within this; what is still running is cut off and
    /// reported as timed out, what finished is kept.
    pub time_limit: Duration,
    /// One HTTP request (connect, TLS, answer).
    pub http_timeout: Duration,
    /// One live probe (connect, TLS, greeting, capabilities, STARTTLS).
    pub probe_timeout: Duration,
    /// Ask this name server (UDP/TCP) instead of the system's, for SRV, MX and the probes'
    /// host names. With it, probes connect to the address found and check the certificate
    /// against that address (see the module docs).
    pub dns_server: Option<SocketAddr>,
    /// Send HTTP(S) requests somewhere else than the URL's host (tests).
    pub http_override: Option<HttpOverride>,
    /// Extra CA certificates (PEM) trusted for HTTPS fetches and probes.
    pub extra_ca_pem: Vec<Vec<u8>>,
    pub sources: Sources,
    /// Ports the probes try (tests point them at ephemeral ports).
    pub probe_ports: ProbePorts,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            time_limit: Duration::from_secs(20),
            http_timeout: Duration::from_secs(10),
            probe_timeout: Duration::from_secs(6),
            dns_server: None,
            http_override: None,
            extra_ca_pem: Vec::new(),
            sources: Sources::default(),
            probe_ports: ProbePorts::default(),
        }
    }
}

/// Which sources run. Presets and SRV are cheap; probes open many connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sources {
    pub presets: bool,
    pub autoconfig: bool,
    pub autodiscover: bool,
    pub srv: bool,
    pub mx: bool,
    pub probes: bool,
}

impl Sources {
    pub fn all() -> Sources {
        Sources { presets: true, autoconfig: true, autodiscover: true, srv: true, mx: true, probes: true }
    }
    pub fn none() -> Sources {
        Sources {
            presets: false,
            autoconfig: false,
            autodiscover: false,
            srv: false,
            mx: false,
            probes: false,
        }
    }
}

impl Default for Sources {
    fn default() -> Self {
        Sources::all()
    }
}

/// Where HTTP requests really go. The request keeps the URL's host in `Host`, and the
/// source label keeps the URL, so results read as if the real host had answered.
#[derive(Debug, Clone, Default)]
pub struct HttpOverride {
    /// Every `http://` request connects here.
    pub http: Option<SocketAddr>,
    /// Every `https://` request connects here.
    pub https: Option<SocketAddr>,
    /// The name the HTTPS certificate is checked against (default: the URL's host).
    pub tls_name: Option<String>,
}

/// The ports live probes try; 0 leaves one out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbePorts {
    pub imaps: u16,
    pub imap: u16,
    pub pop3s: u16,
    pub pop3: u16,
    pub submissions: u16,
    pub submission: u16,
    /// Port 25 with STARTTLS: off by default (often blocked, meant for server-to-server).
    pub smtp: u16,
}

impl Default for ProbePorts {
    fn default() -> Self {
        ProbePorts {
            imaps: 993,
            imap: 143,
            pop3s: 995,
            pop3: 110,
            submissions: 465,
            submission: 587,
            smtp: 0,
        }
    }
}

/// Where a candidate came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Source {
    /// A provider file under `assets/providers/`.
    Preset { id: String, name: String },
    /// A Thunderbird-style autoconfig file, by the URL that served it.
    Autoconfig { url: String },
    /// An Exchange Autodiscover (POX) answer, by the URL that served it.
    Autodiscover { url: String },
    /// An RFC 6186 SRV record, e.g. `_imaps._tcp.example.com`.
    Srv { record: String },
    /// A live connection that got a greeting and capabilities.
    Probe,
}

impl Source {
    /// For display: "preset Gmail", "autoconfig https://…", "SRV _imaps._tcp.…".
    pub fn label(&self) -> String {
        match self {
            Source::Preset { name, .. } => format!("preset {name}"),
            Source::Autoconfig { url } => format!("autoconfig {url}"),
            Source::Autodiscover { url } => format!("Autodiscover {url}"),
            Source::Srv { record } => format!("SRV {record}"),
            Source::Probe => "probe".into(),
        }
    }

    pub fn kind(&self) -> SourceKind {
        match self {
            Source::Preset { .. } => SourceKind::Preset,
            Source::Autoconfig { .. } => SourceKind::Autoconfig,
            Source::Autodiscover { .. } => SourceKind::Autodiscover,
            Source::Srv { .. } => SourceKind::Srv,
            Source::Probe => SourceKind::Probe,
        }
    }
}

/// The kinds of source, for the per-source report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Preset,
    Autoconfig,
    Autodiscover,
    Srv,
    Mx,
    Probe,
}

impl SourceKind {
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Preset,
        SourceKind::Autoconfig,
        SourceKind::Autodiscover,
        SourceKind::Srv,
        SourceKind::Mx,
        SourceKind::Probe,
    ];
}

/// One server setting some source proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The login name with placeholders expanded; `None`: the email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Authentication as the source names it ("password-cleartext", "OAuth2"…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auth: Vec<String>,
    pub source: Source,
    /// "preset Gmail", "SRV _imaps._tcp.example.com (via MX mx.example.net)"…
    pub label: String,
    /// Found by following the domain's MX host to another domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_mx: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A probe reached the server, but its certificate is not trusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untrusted_certificate: Option<CertInfo>,
}

impl Candidate {
    pub fn new(protocol: Protocol, host: &str, port: u16, security: Security, source: Source) -> Candidate {
        Candidate {
            protocol,
            host: host.trim_end_matches('.').to_ascii_lowercase(),
            port,
            security,
            user: None,
            auth: Vec::new(),
            label: source.label(),
            source,
            via_mx: None,
            note: None,
            untrusted_certificate: None,
        }
    }

    pub fn with_via_mx(mut self, mx: Option<&str>) -> Candidate {
        self.via_mx = mx.map(str::to_string);
        self.label = match mx {
            Some(mx) => format!("{} (via MX {mx})", self.source.label()),
            None => self.source.label(),
        };
        self
    }

    /// Same host, port and security (the user name aside).
    pub fn same_endpoint(&self, other: &Candidate) -> bool {
        self.protocol == other.protocol
            && self.host == other.host
            && self.port == other.port
            && self.security == other.security
    }

    /// Whether the source says only OAuth2 works here.
    pub fn needs_oauth2(&self) -> bool {
        !self.auth.is_empty() && self.auth.iter().all(|a| a.eq_ignore_ascii_case("oauth2"))
    }

    /// The core's server settings, for the wizard to prefill.
    pub fn to_server(&self, email: &str) -> Server {
        Server {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            user: self.user.clone().unwrap_or_else(|| email.to_string()),
            auth: AuthMethod::Password,
            trust: Trust::default(),
        }
    }
}

/// Two sources that propose different settings for the same protocol.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub protocol: Protocol,
    /// Which of "host", "port", "security", "user" differ.
    pub fields: Vec<&'static str>,
    /// The better-ranked source's choice first.
    pub first: Candidate,
    pub second: Candidate,
}

/// A redirect (or Autodiscover's redirectAddr) to a place outside the email domain: not
/// followed until the person agrees (see [`super::follow_confirmed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsConfirmation {
    pub kind: ConfirmKind,
    /// The URL that answered with the redirect.
    pub from: String,
    /// Where it points: a URL, or for [`ConfirmKind::AutodiscoverAddress`] an email address.
    pub to: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfirmKind {
    AutoconfigRedirect,
    AutodiscoverRedirect,
    AutodiscoverAddress,
}

/// The domain's lowest-preference MX host and its base domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxInfo {
    pub host: String,
    pub preference: u16,
    pub base_domain: String,
}

/// How one live probe went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeOutcome {
    /// Greeting and capabilities over TLS (implicit, or STARTTLS as advertised).
    Ok,
    /// The server answered in plain text and does not advertise STARTTLS.
    StarttlsNotOffered,
    /// The server exists, but its certificate is not trusted (see `error.certificate`).
    UntrustedCertificate,
    Failed,
}

/// One live probe that reached a server (connection failures are only counted).
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub outcome: ProbeOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    pub capabilities: Vec<String>,
    pub auth_mechanisms: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    /// The error itself (with its `CertInfo`), for the wizard's pin dialog.
    #[serde(skip)]
    pub error_value: Option<Error>,
    pub stages: Vec<Stage>,
    pub elapsed_ms: u64,
}

/// How a source fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceStatus {
    Found,
    NothingFound,
    Failed,
    TimedOut,
    Skipped,
}

/// One thing a source tried ("GET https://…: 404", "SRV _imaps._tcp.…: not offered").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub what: String,
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub kind: SourceKind,
    pub status: SourceStatus,
    /// How many candidates it contributed.
    pub found: usize,
    pub attempts: Vec<Attempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// The chosen settings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Best {
    pub incoming: Option<Candidate>,
    pub outgoing: Option<Candidate>,
}

/// The best settings as the core's account values, for the wizard to prefill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefill {
    pub incoming: Option<(Incoming, Server)>,
    pub outgoing: Option<Server>,
}

/// Everything discovery found.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    pub email: String,
    pub domain: String,
    pub best: Best,
    /// All candidates, best-ranked source first, each labelled with its source.
    pub candidates: Vec<Candidate>,
    pub disagreements: Vec<Disagreement>,
    pub needs_confirmation: Vec<NeedsConfirmation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mx: Option<MxInfo>,
    pub probes: Vec<ProbeReport>,
    pub sources: Vec<SourceReport>,
    /// The overall time limit cut some source off.
    pub timed_out: bool,
    pub elapsed_ms: u64,
}

impl Discovery {
    pub fn prefill(&self) -> Prefill {
        let incoming = self.best.incoming.as_ref().and_then(|c| {
            let kind = match c.protocol {
                Protocol::Imap => Incoming::Imap,
                Protocol::Pop3 => Incoming::Pop3,
                Protocol::Smtp => return None,
            };
            Some((kind, c.to_server(&self.email)))
        });
        Prefill { incoming, outgoing: self.best.outgoing.as_ref().map(|c| c.to_server(&self.email)) }
    }

    /// The report of one source.
    pub fn source(&self, kind: SourceKind) -> Option<&SourceReport> {
        self.sources.iter().find(|s| s.kind == kind)
    }
}
