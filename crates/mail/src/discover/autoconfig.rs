//! Thunderbird-style autoconfig: the provider's `config-v1.1.xml`, from
//! `autoconfig.<domain>` and `<domain>/.well-known/…`, over HTTPS then plain HTTP. The four
//! URLs are fetched together; the best-placed one that answers with servers wins.

use futures::future::join_all;

use super::Ctx;
use super::collect::Finding;
use super::http::{Fetch, Url};
use super::names::Email;
use super::types::{Candidate, ConfirmKind, NeedsConfirmation, Source, SourceKind};
use crate::account::{Protocol, Security};

const KIND: SourceKind = SourceKind::Autoconfig;

/// The URLs in Thunderbird's order (the email address goes only to `autoconfig.<domain>`).
pub(crate) fn urls(domain: &str, email: &Email) -> Vec<String> {
    let query = format!("?emailaddress={}", email.url_encoded());
    let mut out = Vec::new();
    for scheme in ["https", "http"] {
        out.push(format!("{scheme}://autoconfig.{domain}/mail/config-v1.1.xml{query}"));
        out.push(format!("{scheme}://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"));
    }
    out
}

/// Fetches the four URLs of `domain` (the email's, or the MX host's base domain).
pub(crate) async fn run(ctx: &Ctx<'_>, domain: &str, via_mx: Option<&str>) {
    ctx.collect.start(KIND);
    let group = format!("{domain} {}", via_mx.unwrap_or(""));
    let steps = urls(domain, &ctx.email).into_iter().enumerate().map(|(i, text)| {
        let group = group.clone();
        async move {
            let finding = Finding::new(KIND, i as u32).group(group);
            let Some(url) = Url::parse(&text) else { return };
            match ctx.http.fetch(url, None, domain).await {
                Fetch::Answer { url, response } if response.status == 200 => {
                    let text = String::from_utf8_lossy(&response.body);
                    match parse(&text, &ctx.email, &url.to_string(), via_mx) {
                        Ok(c) if c.is_empty() => {
                            ctx.collect.attempt(KIND, url.to_string(), "no IMAP, POP3 or SMTP server in it")
                        }
                        Ok(c) => {
                            ctx.collect.attempt(KIND, url.to_string(), format!("{} servers", c.len()));
                            ctx.collect.finding(finding.candidates(c));
                        }
                        Err(e) => {
                            ctx.collect.attempt(KIND, url.to_string(), format!("not an autoconfig file: {e}"))
                        }
                    }
                }
                Fetch::Answer { url, response } => {
                    ctx.collect.attempt(KIND, url.to_string(), format!("HTTP {}", response.status))
                }
                Fetch::Outside { from, to } => {
                    ctx.collect.attempt(
                        KIND,
                        from.to_string(),
                        format!("redirects to {to}: not followed without asking"),
                    );
                    ctx.collect.finding(finding.confirm(NeedsConfirmation {
                        kind: ConfirmKind::AutoconfigRedirect,
                        from: from.to_string(),
                        to,
                        reason: format!("the configuration for {domain} is elsewhere"),
                    }));
                }
                Fetch::Failed(e) => ctx.collect.attempt(KIND, text, e),
            }
        }
    });
    join_all(steps).await;
    ctx.collect.finish(KIND, None);
}

/// Reads `clientConfig/emailProvider`: every IMAP, POP3 and SMTP server, in file order.
pub(crate) fn parse(
    xml: &str,
    email: &Email,
    url: &str,
    via_mx: Option<&str>,
) -> Result<Vec<Candidate>, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    if root.tag_name().name() != "clientConfig" {
        return Err(format!("the root element is <{}>, not <clientConfig>", root.tag_name().name()));
    }
    let provider = child(root, "emailProvider").ok_or("there is no <emailProvider>")?;
    let mut out = Vec::new();
    for server in provider.children().filter(|n| n.is_element()) {
        let protocol = match (server.tag_name().name(), server.attribute("type")) {
            ("incomingServer", Some("imap")) => Protocol::Imap,
            ("incomingServer", Some("pop3")) => Protocol::Pop3,
            ("outgoingServer", Some("smtp")) => Protocol::Smtp,
            _ => continue, // exchange, ews, jmap…: not ours (yet)
        };
        let Some(host) = text(server, "hostname").map(|h| email.expand(h)) else { continue };
        let security = match text(server, "socketType").map(str::to_ascii_uppercase).as_deref() {
            Some("SSL" | "TLS") => Security::Implicit,
            Some("STARTTLS") => Security::StartTls,
            Some("PLAIN") => Security::None,
            _ => continue,
        };
        let port =
            text(server, "port").and_then(|p| p.parse().ok()).unwrap_or(protocol.default_port(security));
        let source = Source::Autoconfig { url: url.to_string() };
        let mut c = Candidate::new(protocol, &host, port, security, source).with_via_mx(via_mx);
        c.user = text(server, "username").map(|u| email.expand(u));
        c.auth = server
            .children()
            .filter(|n| n.has_tag_name("authentication"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect();
        out.push(c);
    }
    Ok(out)
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.tag_name().name() == name)
}

fn text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name).and_then(|n| n.text()).map(str::trim).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <displayName>Example</displayName>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
      <authentication>OAuth2</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.com</hostname><port>110</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="exchange"><hostname>ews.example.com</hostname></incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.com</hostname><port>587</port><socketType>STARTTLS</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn parses_servers_in_order_with_placeholders() {
        let email = Email::parse("jo@example.com").unwrap();
        let c = parse(XML, &email, "https://autoconfig.example.com/x", None).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].host.as_str(), c[0].port, c[0].security),
            ("imap.example.com", 993, Security::Implicit)
        );
        assert_eq!(c[0].user.as_deref(), Some("jo"));
        assert_eq!(c[0].auth, vec!["password-cleartext", "OAuth2"]);
        assert_eq!((c[1].protocol, c[1].security), (Protocol::Pop3, Security::StartTls));
        assert_eq!(c[1].user.as_deref(), Some("jo@example.com"));
        assert_eq!((c[2].protocol, c[2].user.as_deref()), (Protocol::Smtp, None));
        assert_eq!(c[2].label, "autoconfig https://autoconfig.example.com/x");
    }

    #[test]
    fn rejects_what_is_not_autoconfig() {
        let email = Email::parse("jo@example.com").unwrap();
        assert!(parse("<html><body>hi</body></html>", &email, "u", None).is_err());
        assert!(parse("not xml", &email, "u", None).is_err());
        assert!(parse("<clientConfig/>", &email, "u", None).is_err());
    }

    #[test]
    fn urls_in_thunderbird_order() {
        let email = Email::parse("jo@example.com").unwrap();
        let u = urls("example.com", &email);
        assert_eq!(u[0], "https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=jo%40example.com");
        assert_eq!(u[1], "https://example.com/.well-known/autoconfig/mail/config-v1.1.xml");
        assert!(u[2].starts_with("http://autoconfig.") && u[3].starts_with("http://example.com/"));
    }
}
