//! What an access token was granted, for the inspector to show: the scopes as the provider
//! said, the audience the token names, and when it expires. Never the token itself.
//!
//! The audience is read from the token when it is a JWT (Entra's are); the signature is NOT
//! checked, so it is for display and advice only, never to decide anything. An opaque token
//! (Google's, most others) has no readable audience.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Serialize, Serializer};

use crate::account::Protocol;

/// Longest JWT part (header or payload, base64url) that is decoded: real ones are well under
/// this, and anything larger is not worth parsing for a display.
const MAX_PART: usize = 4 * 1024;

/// Audiences of Exchange Online's mail servers (IMAP, POP, SMTP), by name and by id.
const EXCHANGE: [&str; 3] =
    ["https://outlook.office.com", "https://outlook.office365.com", "00000002-0000-0ff1-ce00-000000000000"];
/// Microsoft Graph, by name and by id: a token for it is refused by the mail servers.
const GRAPH: [&str; 2] = ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"];
/// The one scope Gmail's IMAP, POP and SMTP take.
const GMAIL: &str = "https://mail.google.com/";

/// A provider whose mail tokens Tidings knows what to expect of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Known {
    Microsoft,
    Google,
}

impl Known {
    /// The provider an account names (`microsoft`, `google`, or a file: none).
    pub fn of(provider: &str) -> Option<Known> {
        match provider.to_ascii_lowercase().as_str() {
            "microsoft" => Some(Known::Microsoft),
            "google" => Some(Known::Google),
            _ => None,
        }
    }
}

/// What one access token was granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The provider, when it is one Tidings knows (the warnings depend on it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Known>,
    /// The scopes granted, as the token response said; `None` when it did not say (then they
    /// are the ones asked for, RFC 6749 §5.1).
    pub scopes: Option<Vec<String>>,
    /// The token's `aud` claim (unverified); `None` when the token is opaque, empty when it
    /// is a JWT that names none.
    pub audience: Option<Vec<String>>,
    #[serde(serialize_with = "rfc3339")]
    pub expires_at: Option<SystemTime>,
}

impl Grant {
    /// The grant of `token`, with the `scope` of the token response that gave it.
    pub fn read(
        token: &str,
        scope: Option<&str>,
        expires_at: Option<SystemTime>,
        provider: Option<Known>,
    ) -> Grant {
        Grant {
            provider,
            scopes: scope.map(|s| s.split_whitespace().map(str::to_string).collect()),
            audience: audience(token),
            expires_at,
        }
    }

    /// The audience in words: the names, or why there are none.
    pub fn audience_words(&self) -> String {
        match &self.audience {
            None => "not readable: the token is opaque".into(),
            Some(names) if names.is_empty() => "none named in the token".into(),
            Some(names) => names.join(", "),
        }
    }

    /// The scopes in words.
    pub fn scope_words(&self) -> String {
        match &self.scopes {
            None => "not stated by the provider (so the ones asked for)".into(),
            Some(scopes) if scopes.is_empty() => "none".into(),
            Some(scopes) => scopes.join(" "),
        }
    }

    /// "expires in 57 min (14:03 UTC)", "expired 3 min ago (…)", as of `now`.
    pub fn expiry_words(&self, now: SystemTime) -> Option<String> {
        self.expires_at.map(|at| expiry_words(at, now))
    }

    /// What in this grant a `protocol` server will refuse, in plain words: a token for
    /// another resource (Microsoft Graph), or without the protocol's scope.
    pub fn warnings(&self, protocol: Protocol) -> Vec<String> {
        let mut out = Vec::new();
        let audience = self.audience.as_deref().unwrap_or_default();
        let is = |names: &[&str], aud: &str| {
            names.iter().any(|n| n.eq_ignore_ascii_case(aud.trim_end_matches('/')))
        };
        if let Some(aud) = audience.iter().find(|a| is(&GRAPH, a)) {
            out.push(format!(
                "The token is for Microsoft Graph (audience {aud}), not for Exchange Online's mail servers \
                 (https://outlook.office.com): they refuse it. The application must ask for the \
                 https://outlook.office.com/… scopes, not Graph's."
            ));
        } else if self.provider == Some(Known::Microsoft)
            && !audience.is_empty()
            && !audience.iter().any(|a| is(&EXCHANGE, a))
        {
            out.push(format!(
                "The token is for {}, not for Exchange Online's mail servers (https://outlook.office.com): \
                 they refuse it.",
                audience.join(", ")
            ));
        }
        let Some(scopes) = &self.scopes else { return out };
        match self.provider {
            Some(Known::Microsoft) => {
                let needed = match protocol {
                    Protocol::Imap => "IMAP.AccessAsUser.All",
                    Protocol::Pop3 => "POP.AccessAsUser.All",
                    Protocol::Smtp => "SMTP.Send",
                };
                // Granted scopes come as https://outlook.office.com/IMAP.AccessAsUser.All or bare.
                let granted = scopes
                    .iter()
                    .any(|s| s.rsplit('/').next().is_some_and(|n| n.eq_ignore_ascii_case(needed)));
                if !granted {
                    out.push(format!(
                        "The token was not granted {needed}, which Exchange Online needs for {}: the server \
                         will refuse it. The application must ask for https://outlook.office.com/{needed} (and \
                         the organisation must allow it); then sign in again.",
                        protocol.as_str().to_ascii_uppercase()
                    ));
                }
            }
            Some(Known::Google) if !scopes.iter().any(|s| s == GMAIL) => {
                out.push(format!(
                    "The token was not granted {GMAIL}, the only scope Gmail's IMAP, POP and SMTP take: the \
                     server will refuse it. Sign in again and allow access to mail."
                ));
            }
            Some(Known::Google) | None => {}
        }
        out
    }
}

/// The `aud` claim of a JWT access token (a string or an array of strings), read WITHOUT
/// checking the signature: for display only. `None` for an opaque token, an oversized one,
/// or one that does not decode.
fn audience(token: &str) -> Option<Vec<String>> {
    let mut parts = token.split('.');
    let (header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    // Five parts is an encrypted JWT (JWE): nothing readable either.
    if parts.next().is_some() || header.len() > MAX_PART || payload.len() > MAX_PART {
        return None;
    }
    let json = |part: &str| {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        match serde_json::from_slice::<serde_json::Value>(&bytes).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    // A JOSE header names its algorithm: dots alone do not make a token a JWT.
    json(header)?.get("alg")?;
    match json(payload)?.get("aud") {
        Some(serde_json::Value::String(aud)) => Some(vec![aud.clone()]),
        Some(serde_json::Value::Array(list)) => {
            Some(list.iter().filter_map(|a| a.as_str().map(str::to_string)).collect())
        }
        _ => Some(Vec::new()),
    }
}

fn expiry_words(at: SystemTime, now: SystemTime) -> String {
    let when = clock(at, now);
    match at.duration_since(now) {
        Ok(left) => format!("expires in {} ({when})", span(left)),
        Err(past) => format!("expired {} ago ({when})", span(past.duration())),
    }
}

/// "57 min", "1 h 5 min", "40 s", "2 days".
fn span(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => match secs % 3600 / 60 {
            0 => format!("{} h", secs / 3600),
            min => format!("{} h {min} min", secs / 3600),
        },
        _ => match secs / 86_400 {
            1 => "1 day".into(),
            days => format!("{days} days"),
        },
    }
}

/// "14:03 UTC", with the date when it is not `now`'s day.
fn clock(at: SystemTime, now: SystemTime) -> String {
    let unix = |t: SystemTime| match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let (at, now) = (unix(at), unix(now));
    let minutes = at.rem_euclid(86_400) / 60;
    let time = format!("{:02}:{:02} UTC", minutes / 60, minutes % 60);
    if at.div_euclid(86_400) == now.div_euclid(86_400) {
        time
    } else {
        format!("{} {time}", crate::civil::day(at))
    }
}

fn rfc3339<S: Serializer>(at: &Option<SystemTime>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_str(&humantime::format_rfc3339_seconds(*at).to_string()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn jwt(payload: &str) -> String {
        format!("{}.{}.c2lnbmF0dXJl", b64(r#"{"typ":"JWT","alg":"RS256"}"#), b64(payload))
    }

    #[test]
    fn a_jwt_audience_is_read_as_a_string_or_an_array() {
        let one = jwt(r#"{"aud":"https://outlook.office.com","scp":"IMAP.AccessAsUser.All"}"#);
        assert_eq!(audience(&one), Some(vec!["https://outlook.office.com".to_string()]));
        let two = jwt(r#"{"aud":["00000002-0000-0ff1-ce00-000000000000","api://x"],"exp":1}"#);
        assert_eq!(
            audience(&two),
            Some(vec!["00000002-0000-0ff1-ce00-000000000000".to_string(), "api://x".to_string()])
        );
        assert_eq!(audience(&jwt(r#"{"sub":"alice"}"#)), Some(vec![]));
        // Padded base64url, as some issuers write it.
        let padded = format!("{}=.{}==.sig", b64(r#"{"alg":"none"}"#), b64(r#"{"aud":"a"}"#));
        assert_eq!(audience(&padded), Some(vec!["a".to_string()]));
    }

    #[test]
    fn opaque_oversized_and_undecodable_tokens_have_no_audience() {
        assert_eq!(audience("ya29.a0AfH6SMBx-opaque"), None, "Google's: opaque, with a dot");
        assert_eq!(audience("at_Zr4Tq0opaque"), None);
        let big = jwt(&format!(r#"{{"aud":"https://outlook.office.com","pad":"{}"}}"#, "x".repeat(5000)));
        assert_eq!(audience(&big), None, "over the bound: not decoded");
        let bad = format!("{}.!!not*base64!!.sig", b64(r#"{"alg":"RS256"}"#));
        assert_eq!(audience(&bad), None);
        let not_json = format!("{}.{}.sig", b64(r#"{"alg":"RS256"}"#), b64("aud=x"));
        assert_eq!(audience(&not_json), None);
        let no_alg = format!("{}.{}.sig", b64(r#"{"typ":"JWT"}"#), b64(r#"{"aud":"a"}"#));
        assert_eq!(audience(&no_alg), None, "a header without alg is no JOSE header");
        let jwe = format!("{}.a.b.c.d", b64(r#"{"alg":"RSA-OAEP"}"#));
        assert_eq!(audience(&jwe), None);
        let grant = Grant::read("opaque", None, None, None);
        assert_eq!(grant.audience_words(), "not readable: the token is opaque");
    }

    fn microsoft(aud: &str, scope: &str) -> Grant {
        Grant::read(&jwt(&format!(r#"{{"aud":"{aud}"}}"#)), Some(scope), None, Some(Known::Microsoft))
    }

    #[test]
    fn a_graph_token_is_flagged_whatever_the_protocol() {
        let scopes = "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send";
        for aud in ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"] {
            let w = microsoft(aud, scopes).warnings(Protocol::Imap);
            assert_eq!(w.len(), 1, "{w:?}");
            assert!(w[0].contains("Microsoft Graph") && w[0].contains(aud), "{w:?}");
        }
        // Graph is never a mail server's audience, whoever the provider is.
        let other = Grant::read(&jwt(r#"{"aud":"https://graph.microsoft.com/"}"#), None, None, None);
        assert_eq!(other.warnings(Protocol::Smtp).len(), 1);
        let odd = microsoft("api://something-else", scopes).warnings(Protocol::Imap);
        assert!(odd.len() == 1 && odd[0].contains("api://something-else"), "{odd:?}");
    }

    #[test]
    fn a_missing_protocol_scope_is_flagged() {
        let imap_smtp = "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send \
                         offline_access";
        for aud in ["https://outlook.office.com", "00000002-0000-0ff1-ce00-000000000000"] {
            let grant = microsoft(aud, imap_smtp);
            assert!(grant.warnings(Protocol::Imap).is_empty(), "{:?}", grant.warnings(Protocol::Imap));
            assert!(grant.warnings(Protocol::Smtp).is_empty());
            let pop = grant.warnings(Protocol::Pop3);
            assert!(pop.len() == 1 && pop[0].contains("POP.AccessAsUser.All"), "{pop:?}");
        }
        // Bare names, as a token's scp claim has them.
        assert!(
            microsoft("https://outlook.office.com", "pop.accessasuser.all")
                .warnings(Protocol::Pop3)
                .is_empty()
        );
        let smtp = microsoft("https://outlook.office.com", "IMAP.AccessAsUser.All").warnings(Protocol::Smtp);
        assert!(smtp.len() == 1 && smtp[0].contains("SMTP.Send"), "{smtp:?}");

        let google = |scope: &str| Grant::read("ya29.opaque", Some(scope), None, Some(Known::Google));
        assert!(google("https://mail.google.com/ openid").warnings(Protocol::Imap).is_empty());
        let w = google("openid email").warnings(Protocol::Pop3);
        assert!(w.len() == 1 && w[0].contains("https://mail.google.com/"), "{w:?}");

        // Scopes not stated, or a provider Tidings does not know: nothing to say.
        assert!(Grant::read("t", None, None, Some(Known::Google)).warnings(Protocol::Imap).is_empty());
        assert!(Grant::read("t", Some("mail"), None, None).warnings(Protocol::Imap).is_empty());
    }

    #[test]
    fn expiry_in_words() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_515_200 + 13 * 3600 + 6 * 60);
        let grant = |secs: u64| Grant {
            provider: None,
            scopes: None,
            audience: None,
            expires_at: Some(now + Duration::from_secs(secs)),
        };
        assert_eq!(grant(57 * 60).expiry_words(now).unwrap(), "expires in 57 min (14:03 UTC)");
        assert_eq!(grant(3900).expiry_words(now).unwrap(), "expires in 1 h 5 min (14:11 UTC)");
        assert_eq!(grant(40).expiry_words(now).unwrap(), "expires in 40 s (13:06 UTC)");
        assert_eq!(grant(2 * 86_400).expiry_words(now).unwrap(), "expires in 2 days (2026-12-08 13:06 UTC)");
        assert_eq!(expiry_words(now - Duration::from_secs(180), now), "expired 3 min ago (13:03 UTC)");
        assert_eq!(Grant::read("t", None, None, None).expiry_words(now), None);
        let json = serde_json::to_value(grant(60)).unwrap();
        assert_eq!(json["expires_at"], "2026-12-06T13:07:00Z");
    }
}
