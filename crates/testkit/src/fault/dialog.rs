//! Scripted, permissive protocol dialogs: they accept any credentials and never offer
//! STARTTLS/STLS. The mailbox holds three generated messages (shapes plain, attachment and
//! dot-lines) so FETCH/RETR responses have real bodies, binary-ish attachments and lines that
//! need dot-stuffing (and something for `drop_after` to cut in the middle of).

use std::io;

use tokio::io::{AsyncRead, AsyncWrite};

use super::Proto;
use super::session::Session;
use crate::generate;

/// Number of messages in the fault servers' mailbox.
const COUNT: usize = 3;

/// Message `n` (1-based): generator messages 0, 3 and 5.
fn mail(n: usize) -> Vec<u8> {
    const PICKS: [usize; COUNT] = [0, 3, 5];
    generate::message(PICKS[(n - 1) % COUNT], "user@example.test")
}

fn total_size() -> usize {
    (1..=COUNT).map(|n| mail(n).len()).sum()
}

/// How the server states message sizes (RFC822.SIZE, LIST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sizes {
    Exact,
    /// Rounded up to the next KiB plus a little, the way an estimating server (Exchange
    /// without EnableExactRFC822Size) differs from the bytes it then sends.
    Estimated,
}

impl Sizes {
    fn stated(self, actual: usize) -> usize {
        match self {
            Sizes::Exact => actual,
            Sizes::Estimated => actual.div_ceil(1024) * 1024 + 37,
        }
    }
}

/// Runs the dialog for `proto`; `greeting` is the first line without CRLF.
pub(crate) async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut Session<S>,
    proto: Proto,
    greeting: &str,
    sizes: Sizes,
) -> io::Result<()> {
    s.send(format!("{greeting}\r\n")).await?;
    match proto {
        Proto::Imap => imap(s, sizes).await,
        Proto::Pop3 => pop3(s, sizes).await,
        Proto::Smtp => smtp(s).await,
    }
}

/// A command line with any `{n}` / `{n+}` literals read in and spliced back.
async fn imap_command<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Session<S>) -> io::Result<Option<String>> {
    let Some(mut line) = s.line().await? else {
        return Ok(None);
    };
    while let Some((head, size)) = literal(&line) {
        if !line.ends_with("+}") {
            s.send("+ go ahead\r\n").await?;
        }
        let Some(data) = s.exact(size).await? else {
            return Ok(None);
        };
        let Some(rest) = s.line().await? else {
            return Ok(None);
        };
        line = format!("{head}\"{}\"{rest}", String::from_utf8_lossy(&data));
    }
    Ok(Some(line))
}

/// `("A LOGIN alice ", 8)` for `A LOGIN alice {8}`.
fn literal(line: &str) -> Option<(String, usize)> {
    let open = line.rfind('{')?;
    let inner = line[open + 1..].strip_suffix('}')?;
    let size = inner.trim_end_matches('+').parse().ok()?;
    Some((line[..open].to_owned(), size))
}

async fn imap<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Session<S>, sizes: Sizes) -> io::Result<()> {
    while let Some(line) = imap_command(s).await? {
        let mut words = line.splitn(3, ' ');
        let tag = words.next().unwrap_or("*").to_owned();
        let mut verb = words.next().unwrap_or("").to_ascii_uppercase();
        let mut rest = words.next().unwrap_or("").to_owned();
        if verb == "UID" {
            let mut inner = rest.splitn(2, ' ');
            verb = inner.next().unwrap_or("").to_ascii_uppercase();
            rest = inner.next().unwrap_or("").to_owned();
        }
        let reply = match verb.as_str() {
            "CAPABILITY" => {
                format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n{tag} OK CAPABILITY completed\r\n")
            }
            "STARTTLS" => format!("{tag} BAD STARTTLS is not supported here\r\n"),
            "LOGIN" => format!("{tag} OK LOGIN completed\r\n"),
            "AUTHENTICATE" => {
                if !rest.contains(' ') {
                    s.send("+ \r\n").await?;
                    if s.line().await?.is_none() {
                        return Ok(());
                    }
                }
                format!("{tag} OK AUTHENTICATE completed\r\n")
            }
            "SELECT" | "EXAMINE" => format!(
                "* {COUNT} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
                 * OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT {}] Predicted next UID\r\n\
                 {tag} OK [READ-WRITE] {verb} completed\r\n",
                COUNT + 1
            ),
            "FETCH" => format!("{}{tag} OK FETCH completed\r\n", fetch(&rest, sizes)),
            "SEARCH" => format!("* SEARCH 1 2 3\r\n{tag} OK SEARCH completed\r\n"),
            "LIST" | "LSUB" => format!("* {verb} () \"/\" INBOX\r\n{tag} OK {verb} completed\r\n"),
            "IDLE" => {
                s.send("+ idling\r\n").await?;
                if s.line().await?.is_none() {
                    return Ok(());
                }
                format!("{tag} OK IDLE terminated\r\n")
            }
            "LOGOUT" => {
                return s.send(format!("* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")).await;
            }
            "NOOP" | "CHECK" | "CLOSE" | "UNSELECT" | "ENABLE" | "ID" | "STATUS" | "STORE" | "EXPUNGE"
            | "CREATE" | "SUBSCRIBE" | "APPEND" | "COPY" | "MOVE" => {
                format!("{tag} OK {verb} completed\r\n")
            }
            _ => format!("{tag} BAD unknown command\r\n"),
        };
        s.send(reply).await?;
    }
    Ok(())
}

/// FETCH responses for a sequence set; bodies only when BODY[] / BODY.PEEK[] is asked for.
fn fetch(args: &str, sizes: Sizes) -> String {
    let (set, items) = args.split_once(' ').unwrap_or((args, ""));
    let want_body = {
        let items = items.to_ascii_uppercase();
        items.contains("BODY[]") || items.contains("BODY.PEEK[]")
    };
    let mut out = String::new();
    for n in sequence(set) {
        let raw = mail(n);
        out.push_str(&format!("* {n} FETCH (UID {n} FLAGS () RFC822.SIZE {}", sizes.stated(raw.len())));
        if want_body {
            out.push_str(&format!(" BODY[] {{{}}}\r\n{})\r\n", raw.len(), String::from_utf8_lossy(&raw)));
        } else {
            out.push_str(")\r\n");
        }
    }
    out
}

/// Message numbers named by an IMAP sequence set such as `1:*`, `2`, `1,3`.
fn sequence(set: &str) -> Vec<usize> {
    let num = |s: &str| if s == "*" { Some(COUNT) } else { s.parse().ok() };
    let mut out: Vec<usize> = set
        .split(',')
        .filter_map(|part| match part.split_once(':') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                Some(a.min(b)..=a.max(b))
            }
            None => num(part).map(|n| n..=n),
        })
        .flatten()
        .filter(|n| (1..=COUNT).contains(n))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

async fn pop3<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Session<S>, sizes: Sizes) -> io::Result<()> {
    while let Some(line) = s.line().await? {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let arg: Option<usize> = words.next().and_then(|w| w.parse().ok());
        let exists = |n: &Option<usize>| n.is_some_and(|n| (1..=COUNT).contains(&n));
        let reply = match verb.as_str() {
            "CAPA" => "+OK capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\nSASL PLAIN\r\n.\r\n".into(),
            "STLS" => "-ERR STLS is not supported here\r\n".into(),
            "USER" | "APOP" | "NOOP" | "RSET" => "+OK\r\n".into(),
            "PASS" => "+OK logged in\r\n".into(),
            "AUTH" if line.split_whitespace().count() == 1 => "+OK\r\nPLAIN\r\n.\r\n".into(),
            "AUTH" => {
                if line.split_whitespace().count() == 2 {
                    s.send("+ \r\n").await?;
                    if s.line().await?.is_none() {
                        return Ok(());
                    }
                }
                "+OK logged in\r\n".into()
            }
            "STAT" => format!("+OK {COUNT} {}\r\n", total_size()),
            "LIST" | "UIDL" => {
                let value = |n: usize| {
                    if verb == "LIST" {
                        sizes.stated(mail(n).len()).to_string()
                    } else {
                        format!("fault-{n}")
                    }
                };
                match arg {
                    Some(_) if !exists(&arg) => "-ERR no such message\r\n".into(),
                    Some(n) => format!("+OK {n} {}\r\n", value(n)),
                    None => {
                        let lines: String = (1..=COUNT).map(|n| format!("{n} {}\r\n", value(n))).collect();
                        format!("+OK {COUNT} messages\r\n{lines}.\r\n")
                    }
                }
            }
            "RETR" | "TOP" if exists(&arg) => {
                let raw = mail(arg.unwrap_or(1));
                let body = if verb == "TOP" {
                    top(&raw, words.next().and_then(|w| w.parse().ok()).unwrap_or(0))
                } else {
                    raw
                };
                let mut out = format!("+OK {} octets\r\n", body.len()).into_bytes();
                out.extend_from_slice(&dot_stuff(&body));
                out.extend_from_slice(b".\r\n");
                s.send(out).await?;
                continue;
            }
            "RETR" | "TOP" | "DELE" if !exists(&arg) => "-ERR no such message\r\n".into(),
            "DELE" => "+OK deleted\r\n".into(),
            "QUIT" => return s.send("+OK bye\r\n").await,
            _ => "-ERR unknown command\r\n".to_owned(),
        };
        s.send(reply).await?;
    }
    Ok(())
}

/// Header plus the first `lines` body lines (POP3 TOP).
fn top(raw: &[u8], lines: usize) -> Vec<u8> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |p| p + 4);
    let mut out = raw[..split].to_vec();
    for line in raw[split..].split_inclusive(|&b| b == b'\n').take(lines) {
        out.extend_from_slice(line);
    }
    out
}

/// RFC 1939 byte-stuffing: a line starting with "." gets another "." in front.
fn dot_stuff(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 16);
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    out
}

async fn smtp<S: AsyncRead + AsyncWrite + Unpin>(s: &mut Session<S>) -> io::Result<()> {
    while let Some(line) = s.line().await? {
        let upper = line.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("").to_owned();
        let words = upper.split_whitespace().count();
        let reply = match verb.as_str() {
            "EHLO" => "250-fault.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n\
                       250-SIZE 10240000\r\n250 AUTH PLAIN LOGIN\r\n"
                .to_owned(),
            "HELO" => "250 fault.example.test\r\n".into(),
            "STARTTLS" => "502 5.5.1 STARTTLS is not supported here\r\n".into(),
            "AUTH" => {
                // PLAIN without initial response: one challenge; LOGIN: user, then password.
                let prompts: &[&str] = match (upper.contains("LOGIN"), words) {
                    (false, 2) => &["334 \r\n"],
                    (true, 2) => &["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n"],
                    (true, _) => &["334 UGFzc3dvcmQ6\r\n"],
                    _ => &[],
                };
                for prompt in prompts {
                    s.send(prompt).await?;
                    if s.line().await?.is_none() {
                        return Ok(());
                    }
                }
                "235 2.7.0 Authentication successful\r\n".into()
            }
            "MAIL" => "250 2.1.0 Ok\r\n".into(),
            "RCPT" => "250 2.1.5 Ok\r\n".into(),
            "DATA" => {
                s.send("354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                loop {
                    match s.line().await? {
                        None => return Ok(()),
                        Some(l) if l == "." => break,
                        Some(_) => {}
                    }
                }
                "250 2.0.0 Ok: queued as FAULT\r\n".into()
            }
            "RSET" | "NOOP" => "250 2.0.0 Ok\r\n".into(),
            "QUIT" => return s.send("221 2.0.0 Bye\r\n").await,
            _ => "502 5.5.2 Error: command not recognized\r\n".into(),
        };
        s.send(reply).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_sets() {
        assert_eq!(sequence("1:*"), vec![1, 2, 3]);
        assert_eq!(sequence("3,1"), vec![1, 3]);
        assert_eq!(sequence("2:9"), vec![2, 3]);
        assert_eq!(sequence("x"), Vec::<usize>::new());
    }

    #[test]
    fn literals_are_found() {
        assert_eq!(literal("a LOGIN bob {8}"), Some(("a LOGIN bob ".into(), 8)));
        assert_eq!(literal("a LOGIN bob {8+}"), Some(("a LOGIN bob ".into(), 8)));
        assert_eq!(literal("a LOGIN bob pass"), None);
    }

    #[test]
    fn dot_stuffing() {
        assert_eq!(dot_stuff(b"a\r\n.\r\n..b\r\n"), b"a\r\n..\r\n...b\r\n".to_vec());
    }
}
