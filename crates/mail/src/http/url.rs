//! Absolute http(s) URLs, split the way a request needs them.

use std::net::Ipv6Addr;

/// An absolute http(s) URL. User info (`user:password@`) is never accepted: nothing we
/// fetch needs credentials, and a URL that carries them is refused whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    /// Lower case, without a final dot; an IPv6 literal without its brackets.
    pub host: String,
    pub port: u16,
    /// Path and query, starting with "/"; the fragment is dropped.
    pub target: String,
}

impl Url {
    pub fn parse(text: &str) -> Option<Url> {
        let (https, rest) = if let Some(r) = strip_prefix_ignore_case(text, "https://") {
            (true, r)
        } else {
            (false, strip_prefix_ignore_case(text, "http://")?)
        };
        let (authority, target) = match rest.find(['/', '?', '#']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        let target = target.split('#').next().filter(|t| !t.is_empty()).unwrap_or("/").to_string();
        if target.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return None; // would break the request line
        }
        if authority.contains('@') {
            return None;
        }
        let default = if https { 443 } else { 80 };
        let (host, port) = if let Some(literal) = authority.strip_prefix('[') {
            let (addr, after) = literal.split_once(']')?;
            let ip: Ipv6Addr = addr.parse().ok()?;
            let port = match after {
                "" => default,
                p => p.strip_prefix(':')?.parse().ok()?,
            };
            (ip.to_string(), port)
        } else {
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().ok()?),
                None => (authority, default),
            };
            let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
            if host.is_empty() || !host.chars().all(ok) {
                return None;
            }
            (host.trim_end_matches('.').to_ascii_lowercase(), port)
        };
        if host.is_empty() || port == 0 {
            return None;
        }
        Some(Url { https, host, port, target })
    }

    /// Resolves a `Location` header against this URL (absolute, scheme-relative or
    /// absolute-path references).
    pub fn join(&self, location: &str) -> Option<Url> {
        if strip_prefix_ignore_case(location, "http://").is_some()
            || strip_prefix_ignore_case(location, "https://").is_some()
        {
            return Url::parse(location);
        }
        if location.starts_with("//") {
            return Url::parse(&format!("{}:{location}", if self.https { "https" } else { "http" }));
        }
        if location.starts_with('/') {
            return Url::parse(&format!("{}{location}", self.origin()));
        }
        None
    }

    fn default_port(&self) -> bool {
        self.port == if self.https { 443 } else { 80 }
    }

    /// The host as written in a URL (an IPv6 literal in brackets).
    fn host_in_url(&self) -> String {
        if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() }
    }

    /// The `Host` header value.
    pub fn authority(&self) -> String {
        if self.default_port() { self.host_in_url() } else { format!("{}:{}", self.host_in_url(), self.port) }
    }

    fn origin(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.authority())
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.origin(), self.target)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_join_and_print() {
        let u = Url::parse("https://Autoconfig.Example.com/mail/config-v1.1.xml?emailaddress=a%40b").unwrap();
        assert_eq!((u.https, u.host.as_str(), u.port), (true, "autoconfig.example.com", 443));
        assert_eq!(u.target, "/mail/config-v1.1.xml?emailaddress=a%40b");
        assert_eq!(u.to_string(), "https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=a%40b");
        let v = Url::parse("http://example.com:8080").unwrap();
        assert_eq!((v.port, v.target.as_str()), (8080, "/"));
        assert_eq!(v.to_string(), "http://example.com:8080/");
        assert_eq!(v.join("/x").unwrap().to_string(), "http://example.com:8080/x");
        assert_eq!(v.join("https://other.test/y").unwrap().host, "other.test");
        assert!(Url::parse("ftp://example.com/").is_none());
        assert!(Url::parse("https://user@example.com/").is_none());
        assert!(Url::parse("http://user:secret@example.com/a.png").is_none());
        assert!(Url::parse("http://example.com/a b").is_none());
        assert!(v.join("relative").is_none());
    }

    #[test]
    fn ipv6_literals_and_fragments() {
        let u = Url::parse("HTTP://[::1]:8080/a.png#top").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.target.as_str()), ("::1", 8080, "/a.png"));
        assert_eq!(u.to_string(), "http://[::1]:8080/a.png");
        assert_eq!(u.join("/b").unwrap().to_string(), "http://[::1]:8080/b");
        assert!(Url::parse("http://[::1/").is_none());
        assert!(Url::parse("http://[not-an-address]/").is_none());
        assert_eq!(Url::parse("http://example.com?q=1").unwrap().target, "/?q=1");
    }
}
