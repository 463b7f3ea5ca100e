//! Exchange Autodiscover, the "POX" (plain old XML) flavour Outlook uses for IMAP/POP/SMTP:
//! POST to `autodiscover.<domain>`, then `<domain>`, an unauthenticated GET on plain HTTP
//! that may redirect, and SRV `_autodiscover._tcp`. Anonymous: no credentials are ever sent.
//! A redirect to another domain is returned for the person to confirm (Outlook asks too).

use futures::future::join_all;

use super::Ctx;
use super::collect::Finding;
use super::http::{Fetch, Response, Url};
use super::names::{Email, within};
use super::types::{Candidate, ConfirmKind, NeedsConfirmation, Source, SourceKind};
use crate::account::{Protocol, Security};

const KIND: SourceKind = SourceKind::Autodiscover;
const PATH: &str = "/autodiscover/autodiscover.xml";
const RESPONSE_SCHEMA: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// The request body: the address and the schema we understand.
pub(crate) fn request_body(address: &str) -> String {
    let escaped = address.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
         <Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\">\r\n\
         <Request>\r\n<EMailAddress>{escaped}</EMailAddress>\r\n\
         <AcceptableResponseSchema>{RESPONSE_SCHEMA}</AcceptableResponseSchema>\r\n</Request>\r\n</Autodiscover>\r\n"
    )
}

/// What an Autodiscover answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pox {
    Settings(Vec<Candidate>),
    RedirectUrl(String),
    RedirectAddr(String),
}

pub(crate) async fn run(ctx: &Ctx<'_>, domain: &str) {
    ctx.collect.start(KIND);
    let posts = [format!("https://autodiscover.{domain}{PATH}"), format!("https://{domain}{PATH}")];
    let post_steps = posts.iter().enumerate().map(|(i, u)| async move {
        if let Some(url) = Url::parse(u) {
            let f = post(ctx, url, domain, &ctx.email).await;
            ctx.collect.finding(f.group(domain.into()).with_priority(i as u32));
        }
    });
    tokio::join!(join_all(post_steps), redirect_step(ctx, domain), srv_step(ctx, domain));
    ctx.collect.finish(KIND, None);
}

/// Step 3: GET on plain HTTP; only its redirect matters, and it is then POSTed to.
async fn redirect_step(ctx: &Ctx<'_>, domain: &str) {
    let text = format!("http://autodiscover.{domain}{PATH}");
    let Some(url) = Url::parse(&text) else { return };
    let target = match ctx.http.get(&url).await {
        Ok(r) => match r.location().and_then(|l| url.join(l)) {
            Some(t) => t,
            None => {
                return ctx.collect.attempt(
                    KIND,
                    format!("GET {text}"),
                    format!("HTTP {}, no redirect", r.status),
                );
            }
        },
        Err(e) => return ctx.collect.attempt(KIND, format!("GET {text}"), e.to_string()),
    };
    ctx.collect.attempt(KIND, format!("GET {text}"), format!("redirects to {target}"));
    let f = if target.https && within(&target.host, domain) {
        post(ctx, target, domain, &ctx.email).await
    } else {
        confirm(format!("GET {url}"), target.to_string(), ConfirmKind::AutodiscoverRedirect, domain)
    };
    ctx.collect.finding(f.group(domain.into()).with_priority(2));
}

/// Step 4: SRV `_autodiscover._tcp.<domain>` names the Autodiscover host.
async fn srv_step(ctx: &Ctx<'_>, domain: &str) {
    let name = format!("_autodiscover._tcp.{domain}");
    let Some(dns) = &ctx.dns else { return };
    let records = match dns.srv(&name).await {
        Ok(r) => r,
        Err(e) => return ctx.collect.attempt(KIND, format!("SRV {name}"), e.to_string()),
    };
    let Some(r) = records.iter().find(|r| !r.target.is_empty()) else {
        return ctx.collect.attempt(KIND, format!("SRV {name}"), "none");
    };
    let port = if r.port == 443 { String::new() } else { format!(":{}", r.port) };
    let text = format!("https://{}{port}{PATH}", r.target);
    ctx.collect.attempt(KIND, format!("SRV {name}"), text.clone());
    let Some(url) = Url::parse(&text) else { return };
    let f = if within(&url.host, domain) {
        post(ctx, url, domain, &ctx.email).await
    } else {
        confirm(format!("SRV {name}"), text, ConfirmKind::AutodiscoverRedirect, domain)
    };
    ctx.collect.finding(f.group(domain.into()).with_priority(3));
}

fn confirm(from: String, to: String, kind: ConfirmKind, domain: &str) -> Finding {
    Finding::new(KIND, 0).confirm(NeedsConfirmation {
        kind,
        from,
        to,
        reason: format!("Autodiscover for {domain} points to another domain"),
    })
}

/// POSTs the request (following redirects and `redirectUrl` inside the domain) and turns
/// the answer into a finding: settings, a confirmation, or nothing.
async fn post(ctx: &Ctx<'_>, mut url: Url, domain: &str, email: &Email) -> Finding {
    let body = request_body(&email.address);
    for _ in 0..3 {
        let (url_now, response) = match ctx.http.fetch(url.clone(), Some(&body), domain).await {
            Fetch::Answer { url, response } => (url, response),
            Fetch::Outside { from, to } => {
                ctx.collect.attempt(
                    KIND,
                    format!("POST {from}"),
                    format!("redirects to {to}: not followed without asking"),
                );
                return confirm(from.to_string(), to, ConfirmKind::AutodiscoverRedirect, domain);
            }
            Fetch::Failed(e) => {
                ctx.collect.attempt(KIND, format!("POST {url}"), e);
                return Finding::new(KIND, 0);
            }
        };
        let what = format!("POST {url_now}");
        match interpret(&response, &url_now.to_string()) {
            Err(e) => ctx.collect.attempt(KIND, what, e),
            Ok(Pox::Settings(c)) => {
                ctx.collect.attempt(KIND, what, format!("{} servers", c.len()));
                return Finding::new(KIND, 0).candidates(c);
            }
            Ok(Pox::RedirectAddr(addr)) => {
                ctx.collect.attempt(KIND, what, format!("redirectAddr {addr}"));
                return confirm(url_now.to_string(), addr, ConfirmKind::AutodiscoverAddress, domain);
            }
            Ok(Pox::RedirectUrl(to)) => {
                ctx.collect.attempt(KIND, what, format!("redirectUrl {to}"));
                match Url::parse(&to) {
                    Some(next) if next.https && within(&next.host, domain) => {
                        url = next;
                        continue;
                    }
                    _ => return confirm(url_now.to_string(), to, ConfirmKind::AutodiscoverRedirect, domain),
                }
            }
        }
        return Finding::new(KIND, 0);
    }
    Finding::new(KIND, 0)
}

/// An HTTP answer to the POST, read.
pub(crate) fn interpret(response: &Response, url: &str) -> Result<Pox, String> {
    match response.status {
        200 => parse(&String::from_utf8_lossy(&response.body), url),
        401 | 403 => {
            Err(format!("HTTP {}: it wants a login; discovery sends no credentials", response.status))
        }
        s => Err(format!("HTTP {s}")),
    }
}

/// Reads `Autodiscover/Response/Account`: Action, redirects, and every Protocol of type
/// IMAP, POP3 or SMTP. Namespaces are ignored (servers differ in how they use them).
pub(crate) fn parse(xml: &str, url: &str) -> Result<Pox, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let find = |name: &str| doc.descendants().find(|n| n.tag_name().name() == name);
    if let Some(err) = find("Error") {
        let code = text(err, "ErrorCode").unwrap_or("?");
        let msg = text(err, "Message").unwrap_or("no message");
        return Err(format!("Autodiscover error {code}: {msg}"));
    }
    let account = find("Account").ok_or("there is no <Account>")?;
    match text(account, "Action").map(str::to_ascii_lowercase).as_deref() {
        Some("redirecturl") => {
            return text(account, "RedirectUrl")
                .map(|u| Pox::RedirectUrl(u.into()))
                .ok_or("redirectUrl without a URL".into());
        }
        Some("redirectaddr") => {
            return text(account, "RedirectAddr")
                .map(|a| Pox::RedirectAddr(a.into()))
                .ok_or("redirectAddr without an address".into());
        }
        _ => {}
    }
    let mut out = Vec::new();
    for p in account.children().filter(|n| n.tag_name().name() == "Protocol") {
        let protocol = match text(p, "Type").map(str::to_ascii_uppercase).as_deref() {
            Some("IMAP") => Protocol::Imap,
            Some("POP3") => Protocol::Pop3,
            Some("SMTP") => Protocol::Smtp,
            _ => continue, // EXCH, EXPR, WEB…
        };
        let Some(host) = text(p, "Server") else { continue };
        let ssl_on = !text(p, "SSL").is_some_and(|s| s.eq_ignore_ascii_case("off"));
        let default_port = protocol.default_port(if ssl_on { Security::Implicit } else { Security::None });
        let port = text(p, "Port").and_then(|s| s.parse().ok()).unwrap_or(default_port);
        let security = security(port, ssl_on, text(p, "Encryption"));
        let mut c = Candidate::new(protocol, host, port, security, Source::Autodiscover { url: url.into() });
        c.user = text(p, "LoginName").map(str::to_string);
        if text(p, "SPA").is_some_and(|s| s.eq_ignore_ascii_case("on")) {
            c.auth = vec!["NTLM".into()];
        }
        out.push(c);
    }
    Ok(Pox::Settings(out))
}

/// SSL=On means TLS, and on the usual plain ports that is STARTTLS (Thunderbird reads it
/// so too). `Encryption`, when present, overrides SSL: None, SSL, TLS or Auto.
fn security(port: u16, ssl_on: bool, encryption: Option<&str>) -> Security {
    let starttls_port = matches!(port, 143 | 110 | 25 | 587);
    let implicit_port = matches!(port, 993 | 995 | 465);
    let encrypted = |prefer_starttls: bool| {
        if starttls_port || (prefer_starttls && !implicit_port) {
            Security::StartTls
        } else {
            Security::Implicit
        }
    };
    match encryption.map(str::to_ascii_lowercase).as_deref() {
        Some("none") => Security::None,
        Some("ssl") => encrypted(false),
        Some("tls") => encrypted(true),
        _ if ssl_on => encrypted(false),
        _ => Security::None,
    }
}

fn text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|n| n.tag_name().name() == name)
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(protocols: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="{RESPONSE_SCHEMA}"><Account><AccountType>email</AccountType><Action>settings</Action>
 {protocols}</Account></Response></Autodiscover>"#
        )
    }

    #[test]
    fn ssl_on_587_is_starttls_and_encryption_overrides() {
        let xml = response(
            "<Protocol><Type>IMAP</Type><Server>mail.example.com</Server><Port>993</Port><SSL>on</SSL><LoginName>jo</LoginName></Protocol>
             <Protocol><Type>SMTP</Type><Server>mail.example.com</Server><Port>587</Port><SSL>on</SSL></Protocol>
             <Protocol><Type>POP3</Type><Server>mail.example.com</Server><Port>110</Port><SSL>off</SSL></Protocol>
             <Protocol><Type>EXCH</Type><Server>exch.example.com</Server></Protocol>
             <Protocol><Type>IMAP</Type><Server>imap2.example.com</Server><Port>1143</Port><Encryption>TLS</Encryption></Protocol>",
        );
        let Pox::Settings(c) = parse(&xml, "https://autodiscover.example.com/x").unwrap() else {
            panic!("settings expected")
        };
        let got: Vec<_> = c.iter().map(|c| (c.protocol, c.port, c.security)).collect();
        assert_eq!(
            got,
            vec![
                (Protocol::Imap, 993, Security::Implicit),
                (Protocol::Smtp, 587, Security::StartTls),
                (Protocol::Pop3, 110, Security::None),
                (Protocol::Imap, 1143, Security::StartTls),
            ]
        );
        assert_eq!(c[0].user.as_deref(), Some("jo"));
    }

    #[test]
    fn redirects_and_errors() {
        let xml = response("").replace(
            "<Action>settings</Action>",
            "<Action>redirectUrl</Action><RedirectUrl>https://ad.other.test/autodiscover/autodiscover.xml</RedirectUrl>",
        );
        assert_eq!(
            parse(&xml, "u").unwrap(),
            Pox::RedirectUrl("https://ad.other.test/autodiscover/autodiscover.xml".into())
        );
        let err = r#"<Autodiscover><Response><Error><ErrorCode>600</ErrorCode><Message>Invalid Request</Message></Error></Response></Autodiscover>"#;
        assert_eq!(parse(err, "u").unwrap_err(), "Autodiscover error 600: Invalid Request");
        assert!(request_body("a<b@example.com").contains("<EMailAddress>a&lt;b@example.com</EMailAddress>"));
    }
}
