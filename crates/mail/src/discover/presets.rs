//! Provider presets: the TOML files under `assets/providers/`, compiled in. Matched by the
//! email domain, or for custom domains by the MX host (Google Workspace, Exchange Online…).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::names::{Email, within};
use super::types::{Candidate, Source};
use crate::account::{Protocol, Security};

/// The files, by name (a test checks every one parses).
const FILES: &[(&str, &str)] = &[
    ("office365.toml", include_str!("../../../../assets/providers/office365.toml")),
    ("outlook.toml", include_str!("../../../../assets/providers/outlook.toml")),
    ("gmail.toml", include_str!("../../../../assets/providers/gmail.toml")),
    ("yahoo.toml", include_str!("../../../../assets/providers/yahoo.toml")),
    ("icloud.toml", include_str!("../../../../assets/providers/icloud.toml")),
    ("fastmail.toml", include_str!("../../../../assets/providers/fastmail.toml")),
    ("gmx.toml", include_str!("../../../../assets/providers/gmx.toml")),
    ("gmx-com.toml", include_str!("../../../../assets/providers/gmx-com.toml")),
    ("mailbox-org.toml", include_str!("../../../../assets/providers/mailbox-org.toml")),
];

/// One provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub id: String,
    pub name: String,
    /// Email domains; `*.example.com` matches every subdomain.
    pub domains: Vec<String>,
    /// MX hosts of custom domains hosted here (the host itself or anything below it).
    #[serde(default)]
    pub mx: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(rename = "server")]
    pub servers: Vec<PresetServer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetServer {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    #[serde(default = "default_user")]
    pub user: String,
    /// "OAuth2", "password"; only "OAuth2" means plain passwords are refused.
    #[serde(default)]
    pub auth: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

fn default_user() -> String {
    "%EMAILADDRESS%".into()
}

/// Every preset. A file that does not parse is left out (the unit test catches it).
pub fn presets() -> &'static [Preset] {
    static ALL: OnceLock<Vec<Preset>> = OnceLock::new();
    ALL.get_or_init(|| FILES.iter().filter_map(|(_, text)| toml::from_str::<Preset>(text).ok()).collect())
}

fn domain_matches(pattern: &str, domain: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(parent) => domain != parent && within(domain, parent),
        None => pattern.eq_ignore_ascii_case(domain),
    }
}

/// The preset for an email domain.
pub fn by_domain(domain: &str) -> Option<&'static Preset> {
    presets().iter().find(|p| p.domains.iter().any(|d| domain_matches(d, domain)))
}

/// The preset for a custom domain, by its MX host: first the presets' MX lists, then the MX
/// host's base domain as an email domain (Thunderbird's ISPDB lookup by MX).
pub fn by_mx(mx_host: &str, base_domain: &str) -> Option<&'static Preset> {
    presets().iter().find(|p| p.mx.iter().any(|m| within(mx_host, m))).or_else(|| by_domain(base_domain))
}

/// The preset's servers as candidates, in the file's order.
pub(crate) fn candidates(preset: &Preset, email: &Email, via_mx: Option<&str>) -> Vec<Candidate> {
    preset
        .servers
        .iter()
        .map(|s| {
            let source = Source::Preset { id: preset.id.clone(), name: preset.name.clone() };
            let mut c = Candidate::new(s.protocol, &email.expand(&s.host), s.port, s.security, source)
                .with_via_mx(via_mx);
            c.user = Some(email.expand(&s.user));
            c.auth = s.auth.clone();
            c.note = s.note.clone().or_else(|| preset.note.clone());
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all() -> Result<Vec<Preset>, String> {
        FILES
            .iter()
            .map(|(name, text)| toml::from_str::<Preset>(text).map_err(|e| format!("{name}: {e}")))
            .collect()
    }

    #[test]
    fn every_file_parses_and_is_sane() {
        let all = parse_all().unwrap();
        assert_eq!(all.len(), FILES.len());
        assert_eq!(presets().len(), FILES.len());
        for p in &all {
            assert!(!p.servers.is_empty(), "{}", p.id);
            assert!(p.servers.iter().any(|s| s.protocol == Protocol::Smtp), "{} has no SMTP", p.id);
            for s in &p.servers {
                assert_ne!(s.security, Security::None, "{}: {} without TLS", p.id, s.host);
                assert_eq!(s.port, s.protocol.default_port(s.security), "{}: {}", p.id, s.host);
            }
        }
    }

    #[test]
    fn exchange_online_matches_the_seed() {
        let p = by_domain("contoso.onmicrosoft.com").unwrap();
        assert_eq!(p.id, "office365");
        let email = Email::parse("ann@contoso.onmicrosoft.com").unwrap();
        let got: Vec<(Protocol, String, u16, Security)> = candidates(p, &email, None)
            .into_iter()
            .map(|c| (c.protocol, c.host, c.port, c.security))
            .collect();
        assert_eq!(
            got,
            vec![
                (Protocol::Imap, "outlook.office365.com".into(), 993, Security::Implicit),
                (Protocol::Pop3, "outlook.office365.com".into(), 995, Security::Implicit),
                (Protocol::Smtp, "smtp.office365.com".into(), 587, Security::StartTls),
            ]
        );
        assert!(by_domain("onmicrosoft.com").is_none());
    }

    #[test]
    fn custom_domains_by_mx() {
        assert_eq!(by_mx("contoso-com.mail.protection.outlook.com", "outlook.com").unwrap().id, "office365");
        assert_eq!(by_mx("alt1.aspmx.l.google.com", "google.com").unwrap().id, "gmail");
        assert_eq!(by_mx("smtp.google.com", "google.com").unwrap().id, "gmail");
        assert_eq!(by_mx("mx01.mail.icloud.com", "icloud.com").unwrap().id, "icloud");
        assert!(by_mx("mx.example.net", "example.net").is_none());
    }

    #[test]
    fn icloud_user_is_the_local_part_for_imap_only() {
        let p = by_domain("icloud.com").unwrap();
        let email = Email::parse("john@icloud.com").unwrap();
        let c = candidates(p, &email, None);
        assert_eq!(c[0].user.as_deref(), Some("john"));
        assert_eq!(c[1].user.as_deref(), Some("john@icloud.com"));
        assert!(c[0].note.as_deref().unwrap_or("").contains("name part"));
    }
}
