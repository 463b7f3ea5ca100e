//! What a `-ERR` means, in our error kinds and in words: the RFC 2449/3206 response codes
//! first (IN-USE, LOGIN-DELAY, AUTH, SYS/TEMP, SYS/PERM), then the phrases servers use
//! without codes (Exchange's "Protocol disabled" and "User is authenticated but not
//! connected", "Logon failure"). Every error keeps the server's line verbatim.

use serde::Serialize;

use super::Reply;
use crate::error::{Error, Kind};

/// Why a server refused, as far as its answer tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// `[IN-USE]`: another session holds the maildrop lock.
    InUse,
    /// `[LOGIN-DELAY]`: logged in too recently.
    LoginDelay,
    /// `[AUTH]`: the credentials, or the account's right to log in now.
    AuthCode,
    /// `[SYS/TEMP]`: a passing problem on the server.
    SysTemp,
    /// `[SYS/PERM]`: a lasting problem with the mailbox.
    SysPerm,
    /// POP3 is turned off for this mailbox (Exchange's words, or a "disabled" message).
    ProtocolDisabled,
    /// A refused login without a response code: most often a wrong password.
    WrongPassword,
    /// Anything else.
    Other,
}

/// Classifies a refusal. `at_login` says the refused command was USER, PASS or AUTH.
pub fn classify(reply: &Reply, at_login: bool) -> Refusal {
    match reply.code.as_deref() {
        Some("IN-USE") => return Refusal::InUse,
        Some("LOGIN-DELAY") => return Refusal::LoginDelay,
        Some("AUTH") => return Refusal::AuthCode,
        Some("SYS/TEMP") => return Refusal::SysTemp,
        Some("SYS/PERM") => return Refusal::SysPerm,
        _ => {}
    }
    let lower = reply.line.to_ascii_lowercase();
    if lower.contains("protocol disabled")
        || lower.contains("authenticated but not connected")
        || (lower.contains("disabled") && lower.contains("pop"))
    {
        return Refusal::ProtocolDisabled;
    }
    if at_login { Refusal::WrongPassword } else { Refusal::Other }
}

/// The error for a `-ERR` to `what` (e.g. "refused RETR").
pub fn refused(host: &str, what: &str, reply: Reply, at_login: bool) -> Error {
    let refusal = classify(&reply, at_login);
    let (kind, text) = match refusal {
        Refusal::InUse => (
            Kind::RefusedByServer,
            format!(
                "{host} says the mailbox is in use by another session (another program or device is checking it); try again when that one has finished"
            ),
        ),
        Refusal::LoginDelay => (
            Kind::RefusedByServer,
            format!("{host} asks to wait longer between logins; check for mail less often"),
        ),
        Refusal::AuthCode => (
            Kind::Auth,
            format!(
                "{host} refused the login: the user name or password is wrong, or the account may not log in now"
            ),
        ),
        Refusal::SysTemp => {
            (Kind::RefusedByServer, format!("{host} has a temporary problem; try again in a few minutes"))
        }
        Refusal::SysPerm => (
            Kind::RefusedByServer,
            format!("{host} has a permanent problem with this mailbox; contact the provider"),
        ),
        Refusal::ProtocolDisabled => (
            Kind::RefusedByServer,
            format!(
                "{host} does not allow POP3 for this mailbox: on Exchange an administrator must enable it (Set-CASMailbox -PopEnabled $true); with security defaults POP3 is off for everyone"
            ),
        ),
        Refusal::WrongPassword => (Kind::Auth, format!("{host} did not accept the user name or password")),
        Refusal::Other => (Kind::RefusedByServer, format!("{host} {what}")),
    };
    Error::new(kind, text).with_server(reply.line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(line: &str) -> Reply {
        Reply::parse(line).unwrap_or_else(|| panic!("not a reply: {line}"))
    }

    #[test]
    fn codes_and_exchange_words_are_told_apart() {
        let cases = [
            ("-ERR [IN-USE] Mailbox locked", true, Refusal::InUse, Kind::RefusedByServer),
            ("-ERR [LOGIN-DELAY] wait", true, Refusal::LoginDelay, Kind::RefusedByServer),
            ("-ERR [AUTH] Authentication failed.", true, Refusal::AuthCode, Kind::Auth),
            ("-ERR [SYS/TEMP] try later", true, Refusal::SysTemp, Kind::RefusedByServer),
            ("-ERR [SYS/PERM] broken", false, Refusal::SysPerm, Kind::RefusedByServer),
            ("-ERR Protocol disabled", true, Refusal::ProtocolDisabled, Kind::RefusedByServer),
            (
                "-ERR User is authenticated but not connected.",
                true,
                Refusal::ProtocolDisabled,
                Kind::RefusedByServer,
            ),
            (
                "-ERR Logon failure: unknown user name or bad password.",
                true,
                Refusal::WrongPassword,
                Kind::Auth,
            ),
            ("-ERR no such message", false, Refusal::Other, Kind::RefusedByServer),
        ];
        let mut messages = Vec::new();
        for (line, at_login, refusal, kind) in cases {
            assert_eq!(classify(&reply(line), at_login), refusal, "{line}");
            let e = refused("pop.example.test", "refused RETR", reply(line), at_login);
            assert_eq!(e.kind(), kind, "{line}");
            assert_eq!(e.server_words(), Some(line));
            messages.push(e.message().to_string());
        }
        // One sentence per kind of refusal (the two Exchange phrasings share one).
        messages.sort();
        messages.dedup();
        assert_eq!(messages.len(), cases.len() - 1, "{messages:#?}");
    }
}
