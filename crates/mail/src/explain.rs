//! Plain-words explanations of what mail servers say when they refuse, with the Exchange
//! (Online) cases the seeds document: protocol disabled per mailbox, security defaults,
//! Basic authentication turned off, SMTP AUTH disabled for the tenant, the Administrator
//! mailbox, and the login delay of the Exchange Online proxy. Shared by the account check,
//! the wizard and the inspector.

use std::time::Duration;

use crate::account::Protocol;
use crate::error::{Error, Kind};

/// A login slower than this is worth a word (Exchange Online's proxy adds several seconds).
pub const SLOW_LOGIN: Duration = Duration::from_secs(3);

/// What to do about a server that greeted us but did not answer the login in time.
pub const UNANSWERED_LOGIN: &str = "The server is reachable (the host name and port are right) but answered too slowly. It may be busy or overloaded: try again later, and if it keeps happening, tell its administrator.";

/// A login that timed out becomes "did not answer the login within N s", with advice that
/// does not send the person to check the host name: the server greeted us, so it is
/// reachable. `waited` is the read timeout that ran out. Other errors are returned as they are.
pub fn unanswered_login(error: Error, host: &str, waited: Duration) -> Error {
    if error.kind() != Kind::Network || !error.is_timeout() {
        return error;
    }
    Error::new(
        Kind::Network,
        format!("{host} answered the connection but did not answer the login within {} s", waited.as_secs()),
    )
    .with_advice(UNANSWERED_LOGIN)
    .with_source(error)
}

/// What to tell a person about this error, beyond its kind's generic advice.
pub fn explain(protocol: Protocol, error: &Error) -> Option<String> {
    if let Some(advice) = error.own_advice() {
        return Some(advice.to_string());
    }
    let words = error.server_words().unwrap_or("");
    let lower = words.to_ascii_lowercase();
    let proto = protocol.as_str().to_uppercase();
    if lower.contains("basic authentication is disabled")
        || (lower.contains("authenticate failed") && error.kind() == Kind::Auth)
    {
        return Some(format!(
            "The server refuses password logins. On Exchange Online (Microsoft 365) Basic authentication for {proto} is turned off: the account needs OAuth2 (modern authentication), or the administrator must allow it."
        ));
    }
    if lower.contains("user is authenticated but not connected") {
        return Some(format!(
            "The password was accepted but the mailbox cannot be opened over {proto}. On Exchange this means {proto} is disabled for this mailbox (Set-CASMailbox -{}Enabled $false), security defaults are on for the organisation, or the mailbox is the Administrator mailbox, which cannot use POP3 or IMAP4 on Exchange 2013 and later.",
            if protocol == Protocol::Pop3 { "Pop" } else { "Imap" }
        ));
    }
    if lower.contains("5.7.139") || lower.contains("smtpclientauthentication is disabled") {
        return Some(
            "SMTP AUTH (authenticated submission) is disabled for this mailbox or for the whole tenant. An Exchange Online administrator must enable it (Set-CASMailbox -SmtpClientAuthenticationDisabled $false) or use another way to send.".into(),
        );
    }
    if lower.contains("5.7.3") && lower.contains("starttls") || words.starts_with("530") {
        return Some("The server wants the connection encrypted before logging in: choose STARTTLS (port 587) or SSL/TLS (port 465).".into());
    }
    if lower.contains("[login-delay]") {
        return Some("The server limits how often you may log in. Check for mail less often (for example every 10 minutes or more).".into());
    }
    if lower.contains("[in-use]") {
        return Some("Another program has this POP3 mailbox open right now. Close it (or wait until it finishes) and try again.".into());
    }
    if lower.contains("[unavailable]") || lower.contains("[sys/temp]") {
        return Some("The server has a temporary problem; try again in a few minutes.".into());
    }
    if lower.contains("disabled") && (lower.contains("pop") || lower.contains("imap")) {
        return Some(format!(
            "{proto} access is disabled for this mailbox. On Exchange an administrator enables it per mailbox; with security defaults on, POP3 and IMAP4 are off for everyone."
        ));
    }
    None
}

/// A word about a slow login, which is not a failure.
pub fn slow_login(duration: Duration) -> Option<String> {
    (duration >= SLOW_LOGIN).then(|| {
        format!(
            "Logging in took {:.1} s. That is normal for Exchange Online, whose proxy looks up the mailbox's server before authenticating; elsewhere it may mean a busy server.",
            duration.as_secs_f64()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: Kind, words: &str) -> Error {
        Error::new(kind, "x").with_server(words)
    }

    #[test]
    fn exchange_cases_are_recognised() {
        let e = err(Kind::Auth, "A1 NO AUTHENTICATE failed.");
        assert!(explain(Protocol::Imap, &e).unwrap_or_default().contains("OAuth2"));
        let e = err(Kind::RefusedByServer, "A1 BAD User is authenticated but not connected.");
        let t = explain(Protocol::Imap, &e).unwrap_or_default();
        assert!(t.contains("ImapEnabled") && t.contains("Administrator"), "{t}");
        let e = err(
            Kind::RefusedByServer,
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
        );
        assert!(explain(Protocol::Smtp, &e).unwrap_or_default().contains("SMTP AUTH"));
        let e = err(Kind::RefusedByServer, "-ERR [LOGIN-DELAY] wait");
        assert!(explain(Protocol::Pop3, &e).unwrap_or_default().contains("less often"));
        assert_eq!(
            explain(Protocol::Imap, &err(Kind::Auth, "a NO [AUTHENTICATIONFAILED] Authentication failed.")),
            None
        );
        assert!(slow_login(Duration::from_secs(5)).unwrap_or_default().contains("Exchange Online"));
        assert_eq!(slow_login(Duration::from_millis(40)), None);
    }
}
