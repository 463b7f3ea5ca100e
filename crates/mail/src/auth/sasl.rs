//! SASL mechanisms for OAuth2 access tokens: XOAUTH2 (Google's, also Microsoft's) and
//! OAUTHBEARER (RFC 7628), their initial responses, and the JSON a server sends as a
//! challenge when it refuses a token.
//!
//! What travels is the same on IMAP, POP3 and SMTP; only the framing differs (`+ ` or `334 `
//! before a challenge, and when an initial response may go on the command line). A refused
//! token is not refused at once: the server first sends a base64 JSON challenge
//! (`{"status":"401","schemes":"bearer","scope":"…"}`), which the client must answer
//! ([`Mechanism::failure_answer`]) before the final NO, -ERR or 535 arrives.

use base64::Engine;

use crate::error::{Error, Kind};
use crate::net::transcript::REDACTED;

/// A SASL mechanism that carries an OAuth2 bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Mechanism {
    #[serde(rename = "XOAUTH2")]
    XOAuth2,
    #[serde(rename = "OAUTHBEARER")]
    OAuthBearer,
}

impl Mechanism {
    /// The name servers advertise and clients send.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The mechanism to use among those a server `offered` (names, any case). XOAUTH2 when
    /// both are there, as Microsoft and Google document it, unless `prefer` names the other.
    pub fn choose(offered: &[String], prefer: Option<Mechanism>) -> Option<Mechanism> {
        let offers = |m: Mechanism| offered.iter().any(|o| o.eq_ignore_ascii_case(m.name()));
        let order = match prefer {
            Some(Mechanism::OAuthBearer) => [Mechanism::OAuthBearer, Mechanism::XOAuth2],
            _ => [Mechanism::XOAuth2, Mechanism::OAuthBearer],
        };
        order.into_iter().find(|&m| offers(m))
    }

    /// The client's first message, before base64. OAUTHBEARER always names the user
    /// (`a=`): the RFC makes it optional, Dovecot refuses a message without it. `host` and
    /// `port` are the server's, as RFC 7628 asks.
    pub fn initial_response(self, user: &str, token: &str, host: &str, port: u16) -> String {
        match self {
            Mechanism::XOAuth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
            Mechanism::OAuthBearer => {
                format!(
                    "n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01",
                    saslname(user)
                )
            }
        }
    }

    /// [`Mechanism::initial_response`] in base64, as it goes on the wire.
    pub fn encoded_response(self, user: &str, token: &str, host: &str, port: u16) -> String {
        encode(self.initial_response(user, token, host, port).as_bytes())
    }

    /// What answers a failure challenge, before base64, so that the server sends its final
    /// refusal: nothing for XOAUTH2 (Google's and Microsoft's documentation), `\x01` for
    /// OAUTHBEARER (RFC 7628 3.2.3).
    pub fn failure_answer(self) -> &'static [u8] {
        match self {
            Mechanism::XOAuth2 => b"",
            Mechanism::OAuthBearer => b"\x01",
        }
    }

    /// [`Mechanism::failure_answer`] as it goes on the wire: an empty line, or `AQ==`.
    pub fn encoded_failure_answer(self) -> String {
        encode(self.failure_answer())
    }
}

impl std::fmt::Display for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// RFC 5801's saslname: `,` and `=` escaped, so a user name cannot end the GS2 header.
fn saslname(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

pub fn encode(raw: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// What a server sent in the challenge that precedes its refusal of a token. Gmail,
/// Exchange Online and Dovecot send one JSON object (`status`, `schemes`, `scope`, and
/// Dovecot's `openid-configuration`); anything else is kept as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    /// As the server sent it, decoded: the server's own words.
    pub text: String,
    /// `401`, `400`, `invalid_token`, `insufficient_scope`…
    pub status: Option<String>,
    pub schemes: Option<String>,
    /// The scope the server wants the token to grant.
    pub scope: Option<String>,
    /// Where the server says its identity provider describes itself.
    pub openid_configuration: Option<String>,
}

impl Challenge {
    /// From the base64 text after `+ ` or `334 `. None when it is empty or not base64.
    pub fn decode(b64: &str) -> Option<Challenge> {
        let b64 = b64.trim();
        if b64.is_empty() {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        Some(Challenge::from_bytes(&raw))
    }

    /// From the challenge already decoded.
    pub fn from_bytes(raw: &[u8]) -> Challenge {
        let text = String::from_utf8_lossy(raw).trim().to_string();
        let mut c = Challenge { text, ..Challenge::default() };
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&c.text) {
            // Some servers send the status as a number.
            let field = |name: &str| match map.get(name) {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            c.status = field("status");
            c.schemes = field("schemes");
            c.scope = field("scope");
            c.openid_configuration = field("openid-configuration");
        }
        c
    }

    /// What the status means, for a person.
    pub fn meaning(&self) -> String {
        let status = self.status.as_deref().unwrap_or("");
        let what = match status.to_ascii_lowercase().as_str() {
            "401" | "invalid_token" => "the access token is not valid (expired, revoked, or for another server)".into(),
            "400" | "invalid_request" => {
                "the server could not use the access token for this user (another user's token, or a malformed one)"
                    .into()
            }
            "403" | "insufficient_scope" => "the access token does not grant access to mail on this server".into(),
            "" => "the server gave no reason".into(),
            other => format!("the server answered with status {other}"),
        };
        match &self.scope {
            Some(scope) if !scope.is_empty() => {
                format!("{what}; it asks for a token with the scope \"{scope}\"")
            }
            _ => what,
        }
    }
}

/// The error for a token a server refused. `challenge` is what preceded the refusal, if
/// anything; `refusal` is the final NO/-ERR/535 line. Neither may hold `token`: it is
/// scrubbed all the same.
pub fn refused(host: &str, challenge: Option<&Challenge>, refusal: &str, token: &str) -> Error {
    let upper = refusal.to_ascii_uppercase();
    // Dovecot: the identity provider could not be asked; no challenge comes then.
    let temporary = upper.contains("[UNAVAILABLE]") || upper.contains("[SYS/TEMP]");
    let mut words = Vec::new();
    if let Some(c) = challenge
        && !c.text.is_empty()
    {
        words.push(c.text.as_str());
    }
    if !refusal.is_empty() {
        words.push(refusal);
    }
    let words = scrub(&words.join(" / "), token);
    let err = if temporary && challenge.is_none() {
        Error::new(
            Kind::RefusedByServer,
            format!(
                "{host} could not check the OAuth2 access token just now (a temporary failure); try again later"
            ),
        )
    } else {
        let why = challenge.map(|c| format!(": {}", c.meaning())).unwrap_or_default();
        Error::new(Kind::Auth, format!("{host} did not accept the OAuth2 access token{why}"))
            .with_advice(advice(challenge, &words))
    };
    if words.is_empty() { err } else { err.with_server(words) }
}

/// What to do about a refused token, with the causes Exchange Online and Gmail are known for.
fn advice(challenge: Option<&Challenge>, words: &str) -> &'static str {
    let lower = words.to_ascii_lowercase();
    if lower.contains("5.7.139") || lower.contains("smtpclientauthentication is disabled") {
        return "SMTP AUTH (authenticated submission) is disabled for this mailbox or for the whole tenant: an \
                Exchange Online administrator must enable it (Set-CASMailbox -SmtpClientAuthenticationDisabled \
                $false), whatever the token.";
    }
    if lower.contains("authenticate failed") || lower.contains("5.7.3 authentication unsuccessful") {
        return "Exchange Online refused the token. The usual causes: the token is for another resource (it must \
                be for https://outlook.office.com with IMAP.AccessAsUser.All, POP.AccessAsUser.All or SMTP.Send, \
                not for https://graph.microsoft.com); the mailbox does not allow this protocol \
                (Set-CASMailbox -ImapEnabled / -PopEnabled $true); a conditional-access policy of the organisation \
                blocks the sign-in; or the user name is not the mailbox's address. Sign in again after the \
                administrator changed any of these.";
    }
    if challenge.and_then(|c| c.scope.as_deref()).is_some_and(|s| s.contains("mail.google.com")) {
        return "Google refused the token: it must grant https://mail.google.com/ (the only scope Gmail's IMAP, \
                POP and SMTP take), and the user name must be the Google account's address. Sign in again; a \
                Workspace administrator may also have turned IMAP or POP off for the organisation.";
    }
    "Sign in with the provider again. If the server keeps refusing, the account's application may lack the mail \
     scope for this protocol, or the mailbox may not allow this protocol."
}

/// The error for a server that offers neither mechanism. `how` names what it would
/// advertise: "AUTH=XOAUTH2 or AUTH=OAUTHBEARER" for IMAP.
pub fn not_offered(host: &str, how: &str) -> Error {
    Error::new(
        Kind::Config,
        format!(
            "{host} offers no OAuth2 log-in ({how}) on this connection; check the server settings, or log in with a password"
        ),
    )
}

fn scrub(text: &str, token: &str) -> String {
    if token.len() >= 3 && text.contains(token) { text.replace(token, REDACTED) } else { text.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn xoauth2_initial_response_is_byte_exact() {
        let raw =
            Mechanism::XOAuth2.initial_response("alice@example.test", "tok123", "imap.example.test", 993);
        assert_eq!(raw, "user=alice@example.test\x01auth=Bearer tok123\x01\x01");
        // Google's documented example.
        let b64 = Mechanism::XOAuth2.encoded_response(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
            "",
            0,
        );
        assert_eq!(
            b64,
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
    }

    #[test]
    fn oauthbearer_initial_response_names_the_user_host_and_port() {
        let raw = Mechanism::OAuthBearer.initial_response("alice@example.test", "tok123", "127.0.0.1", 29993);
        assert_eq!(
            raw,
            "n,a=alice@example.test,\x01host=127.0.0.1\x01port=29993\x01auth=Bearer tok123\x01\x01"
        );
        let b64 = Mechanism::OAuthBearer.encoded_response("alice@example.test", "tok123", "127.0.0.1", 29993);
        let back = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(back, raw.as_bytes());
        // RFC 7628 4.1's example, with the user name it leaves out.
        let raw = Mechanism::OAuthBearer.initial_response(
            "user@example.com",
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
            "server.example.com",
            143,
        );
        assert_eq!(
            raw,
            "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_escapes_commas_and_equals_in_the_user_name() {
        let raw = Mechanism::OAuthBearer.initial_response("a,b=c", "t0k", "h", 1);
        assert!(raw.starts_with("n,a=a=2Cb=3Dc,\x01"), "{raw:?}");
    }

    #[test]
    fn failure_answers() {
        assert_eq!(Mechanism::XOAuth2.encoded_failure_answer(), "");
        assert_eq!(Mechanism::OAuthBearer.encoded_failure_answer(), "AQ==");
        assert_eq!(Mechanism::OAuthBearer.failure_answer(), b"\x01");
    }

    #[test]
    fn xoauth2_is_preferred_unless_told_otherwise() {
        let both = offered(&["PLAIN", "LOGIN", "OAUTHBEARER", "XOAUTH2"]);
        assert_eq!(Mechanism::choose(&both, None), Some(Mechanism::XOAuth2));
        assert_eq!(Mechanism::choose(&both, Some(Mechanism::OAuthBearer)), Some(Mechanism::OAuthBearer));
        let bearer = offered(&["plain", "oauthbearer"]);
        assert_eq!(Mechanism::choose(&bearer, None), Some(Mechanism::OAuthBearer));
        assert_eq!(Mechanism::choose(&bearer, Some(Mechanism::XOAuth2)), Some(Mechanism::OAuthBearer));
        assert_eq!(Mechanism::choose(&offered(&["PLAIN", "LOGIN"]), None), None);
        assert_eq!(Mechanism::choose(&[], Some(Mechanism::XOAuth2)), None);
    }

    #[test]
    fn dovecot_xoauth2_challenge() {
        // What Dovecot 2.3.19 sends for a bad token over XOAUTH2.
        let json = r#"{"status":"401","schemes":"bearer","scope":"mail","openid-configuration":"http://127.0.0.1:8080/.well-known/openid-configuration"}"#;
        let c = Challenge::decode(&encode(json.as_bytes())).unwrap();
        assert_eq!(c.text, json);
        assert_eq!(c.status.as_deref(), Some("401"));
        assert_eq!(c.schemes.as_deref(), Some("bearer"));
        assert_eq!(c.scope.as_deref(), Some("mail"));
        assert_eq!(
            c.openid_configuration.as_deref(),
            Some("http://127.0.0.1:8080/.well-known/openid-configuration")
        );
        assert_eq!(
            c.meaning(),
            "the access token is not valid (expired, revoked, or for another server); it asks for a token with the scope \"mail\""
        );
    }

    #[test]
    fn dovecot_oauthbearer_challenge() {
        let c = Challenge::decode(&encode(
            br#"{"status":"invalid_token","openid-configuration":"http://idp/x"}"#,
        ))
        .unwrap();
        assert_eq!(c.status.as_deref(), Some("invalid_token"));
        assert_eq!(c.scope, None);
        assert!(c.meaning().starts_with("the access token is not valid"), "{}", c.meaning());
    }

    #[test]
    fn gmail_challenge() {
        // Google's documented failure challenge (IMAP "+ …", SMTP "334 …").
        let c = Challenge::decode(
            "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K",
        )
        .unwrap();
        assert_eq!(c.text, r#"{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}"#);
        assert_eq!(c.scope.as_deref(), Some("https://mail.google.com/"));
        let c = Challenge::from_bytes(
            br#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#,
        );
        assert!(
            c.meaning().starts_with("the server could not use the access token for this user"),
            "{}",
            c.meaning()
        );
    }

    #[test]
    fn exchange_challenge_with_a_numeric_status_and_others() {
        let c = Challenge::from_bytes(
            br#"{"status":403,"schemes":"bearer","scope":"https://outlook.office.com/IMAP.AccessAsUser.All"}"#,
        );
        assert_eq!(c.status.as_deref(), Some("403"));
        assert_eq!(
            c.meaning(),
            "the access token does not grant access to mail on this server; it asks for a token with the scope \"https://outlook.office.com/IMAP.AccessAsUser.All\""
        );
        let c = Challenge::from_bytes(br#"{"status":"418"}"#);
        assert_eq!(c.meaning(), "the server answered with status 418");
        // Not JSON: the text is all there is.
        let c = Challenge::from_bytes(b"token expired\n");
        assert_eq!(c.text, "token expired");
        assert_eq!(c.status, None);
        assert_eq!(c.meaning(), "the server gave no reason");
        assert_eq!(Challenge::decode(""), None);
        assert_eq!(Challenge::decode("not base64!"), None);
    }

    #[test]
    fn a_refusal_keeps_the_servers_words_without_the_token() {
        let c = Challenge::from_bytes(
            br#"{"status":"401","schemes":"bearer","scope":"mail","echo":"SECRET-TOKEN"}"#,
        );
        let e = refused(
            "imap.example.test",
            Some(&c),
            "A0001 NO [AUTHENTICATIONFAILED] Authentication failed.",
            "SECRET-TOKEN",
        );
        assert_eq!(e.kind(), Kind::Auth);
        assert!(
            e.to_string().starts_with(
                "imap.example.test did not accept the OAuth2 access token: the access token is not valid"
            ),
            "{e}"
        );
        let words = e.server_words().unwrap();
        assert!(
            words.starts_with(r#"{"status":"401","schemes":"bearer","scope":"mail","echo":"<redacted>"}"#),
            "{words}"
        );
        assert!(words.ends_with("A0001 NO [AUTHENTICATIONFAILED] Authentication failed."), "{words}");
        assert!(!format!("{e:?}").contains("SECRET-TOKEN"));
    }

    #[test]
    fn a_temporary_failure_is_not_a_bad_token() {
        let e = refused("h", None, "A0001 NO [UNAVAILABLE] Temporary authentication failure.", "tok");
        assert_eq!(e.kind(), Kind::RefusedByServer);
        assert!(e.to_string().contains("try again later"), "{e}");
        let e = refused("h", None, "-ERR [SYS/TEMP] Temporary authentication failure.", "tok");
        assert_eq!(e.kind(), Kind::RefusedByServer);
        let e = refused("h", None, "535 5.7.8 Error: authentication failed: (reason unavailable)", "tok");
        assert_eq!(e.kind(), Kind::Auth);
        assert_eq!(e.message(), "h did not accept the OAuth2 access token");
    }

    #[test]
    fn no_mechanism_is_a_settings_error() {
        let e = not_offered("imap.example.test", "AUTH=XOAUTH2 or AUTH=OAUTHBEARER");
        assert_eq!(e.kind(), Kind::Config);
        assert!(e.to_string().contains("offers no OAuth2 log-in (AUTH=XOAUTH2 or AUTH=OAUTHBEARER)"), "{e}");
    }

    #[test]
    fn exchange_and_gmail_refusals_say_what_usually_causes_them() {
        let advice = |e: Error| e.own_advice().unwrap_or_default().to_string();
        let e = refused("outlook.office365.com", None, "A0001 NO AUTHENTICATE failed.", "tok");
        let said = advice(e);
        assert!(said.contains("https://graph.microsoft.com") && said.contains("Set-CASMailbox"), "{said}");
        let e = refused(
            "smtp.office365.com",
            None,
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            "tok",
        );
        assert!(advice(e).contains("SmtpClientAuthenticationDisabled"));
        let gmail = Challenge::from_bytes(
            br#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#,
        );
        let e = refused(
            "imap.gmail.com",
            Some(&gmail),
            "A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
            "tok",
        );
        assert!(advice(e).contains("https://mail.google.com/"));
        let e =
            refused("mail.example.org", None, "A1 NO [AUTHENTICATIONFAILED] Authentication failed.", "tok");
        assert!(advice(e).starts_with("Sign in with the provider again"));
    }
}
