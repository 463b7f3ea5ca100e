//! Names: the email address and its parts, placeholder expansion, base domains, and which
//! hosts count as "inside" a domain for following redirects.

/// An email address split for discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Email {
    pub address: String,
    pub local: String,
    /// Lower case, no final dot.
    pub domain: String,
}

impl Email {
    pub fn parse(text: &str) -> Option<Email> {
        let text = text.trim();
        let (local, domain) = text.rsplit_once('@')?;
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        if local.is_empty() || domain.is_empty() || !domain.contains('.') || !domain.chars().all(ok) {
            return None;
        }
        Some(Email { address: format!("{local}@{domain}"), local: local.to_string(), domain })
    }

    /// Thunderbird's placeholders: %EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%.
    pub fn expand(&self, template: &str) -> String {
        template
            .replace("%EMAILADDRESS%", &self.address)
            .replace("%EMAILLOCALPART%", &self.local)
            .replace("%EMAILDOMAIN%", &self.domain)
    }

    /// For a URL query: `alice%40example.com` (what encodeURIComponent gives).
    pub fn url_encoded(&self) -> String {
        let mut out = String::new();
        for b in self.address.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

/// Second-level labels under which country domains register names (example.co.uk). Without
/// the public suffix list this is a heuristic; it errs toward the longer domain.
const SECOND_LEVEL: &[&str] = &["co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "gen", "ltd"];

/// The registrable part of a host name: `mx1.mail.example.co.uk` → `example.co.uk`.
pub(crate) fn base_domain(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n <= 2 {
        return host;
    }
    let country = labels[n - 1].len() == 2;
    let keep = if country && SECOND_LEVEL.contains(&labels[n - 2]) { 3 } else { 2 };
    labels[n.saturating_sub(keep)..].join(".")
}

/// Whether `host` is `domain` or below it: redirects there are followed without asking.
pub(crate) fn within(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_parts_and_placeholders() {
        let e = Email::parse(" Alice.B@Example.COM ").unwrap();
        assert_eq!((e.local.as_str(), e.domain.as_str()), ("Alice.B", "example.com"));
        assert_eq!(
            e.expand("%EMAILLOCALPART%/%EMAILDOMAIN%/%EMAILADDRESS%"),
            "Alice.B/example.com/Alice.B@example.com"
        );
        assert_eq!(e.url_encoded(), "Alice.B%40example.com");
        assert!(Email::parse("nobody").is_none());
        assert!(Email::parse("a@localhost").is_none());
        assert!(Email::parse("a@exa mple.com").is_none());
    }

    #[test]
    fn base_domains() {
        assert_eq!(base_domain("aspmx.l.google.com."), "google.com");
        assert_eq!(base_domain("mx1.mail.example.co.uk"), "example.co.uk");
        assert_eq!(base_domain("example.com"), "example.com");
        assert_eq!(base_domain("mx.example.de"), "example.de");
        assert!(within("autodiscover.example.com", "example.com"));
        assert!(within("Example.com.", "example.com"));
        assert!(!within("badexample.com", "example.com"));
        assert!(!within("autodiscover.outlook.com", "example.com"));
    }
}
