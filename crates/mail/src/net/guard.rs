//! The limits every answer of a connection is held to, checked on the bytes as they arrive
//! (so async-imap and lettre, which buffer what they read, are held to them too):
//!
//! - **time**: an answer (what the server sends after our last write) may take
//!   `2 × the no-progress timeout + bytes / MIN_ANSWER_RATE`, and never more than
//!   `MAX_ANSWER_TIME` (or twice the no-progress timeout, while idling): a server that
//!   trickles one line every few seconds cannot keep a command waiting forever;
//! - **size** (SMTP): an answer of at most `MAX_REPLY_BYTES`, so endless `250-` lines end;
//! - **IMAP**: lines outside literals of at most `MAX_IMAP_LINE`, literals announced as at
//!   most `MAX_MESSAGE` bytes — refused as they are announced, before anyone allocates — and
//!   at most `MAX_IMAP_ANSWER` bytes in all in answer to one command (many literals in one
//!   response, or many responses, cannot add up without end).
//!
//! Past a limit the read fails with an [`Exceeded`] error, which [`exceeded`] finds again
//! in whatever error chain it ends up in.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use crate::limits::{
    MAX_ANSWER_TIME, MAX_IMAP_ANSWER, MAX_IMAP_LINE, MAX_MESSAGE, MAX_REPLY_BYTES, MIN_ANSWER_RATE,
};

/// A limit the server went past, in words.
#[derive(Debug, Clone)]
pub struct Exceeded {
    pub message: String,
    /// A time limit (the others are about size).
    pub slow: bool,
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exceeded {}

/// The [`Exceeded`] somewhere in `e`'s chain of sources.
pub fn exceeded<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Exceeded> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(x) = e.downcast_ref::<Exceeded>() {
            return Some(x);
        }
        if let Some(io) = e.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(x) = inner.downcast_ref::<Exceeded>()
        {
            return Some(x);
        }
        next = e.source();
    }
    None
}

fn fail(message: String, slow: bool) -> io::Error {
    let kind = if slow { io::ErrorKind::TimedOut } else { io::ErrorKind::InvalidData };
    io::Error::new(kind, Exceeded { message, slow })
}

/// Per-connection state of the checks.
#[derive(Debug)]
pub(crate) struct Guard {
    /// When the current answer began (our last write, or the connection).
    since: Instant,
    /// Bytes of the current answer so far.
    bytes: u64,
    /// Answers are limited in size (SMTP).
    reply_limit: bool,
    imap: Option<ImapScan>,
}

impl Guard {
    pub fn new() -> Guard {
        Guard { since: Instant::now(), bytes: 0, reply_limit: false, imap: None }
    }

    /// SMTP: every answer is a reply of bounded size.
    pub fn limit_replies(&mut self) {
        self.reply_limit = true;
    }

    /// IMAP: lines and literals are scanned.
    pub fn scan_imap(&mut self) {
        self.imap.get_or_insert_with(ImapScan::default);
    }

    /// IMAP: literals larger than `max` are refused as they are announced (`None`: the
    /// largest message, `MAX_MESSAGE`). For a reader that wants less than a message.
    pub fn limit_literals(&mut self, max: Option<u64>) {
        if let Some(scan) = &mut self.imap {
            scan.max_literal = max.map_or(MAX_MESSAGE, |m| m.min(MAX_MESSAGE));
        }
    }

    /// We sent something: what comes next is a new answer.
    pub fn wrote(&mut self) {
        self.since = Instant::now();
        self.bytes = 0;
    }

    /// The no-progress timeout changed (idling): the answer's clock starts again.
    pub fn restart(&mut self) {
        self.wrote();
    }

    /// Checks `data`, just read; `idle` is the no-progress timeout now in force (`None`:
    /// no time limit at all).
    pub fn read(&mut self, host: &str, data: &[u8], idle: Option<Duration>) -> io::Result<()> {
        self.bytes += data.len() as u64;
        if self.reply_limit && self.bytes > MAX_REPLY_BYTES as u64 {
            return Err(fail(
                format!(
                    "{host} sent an answer longer than {} (the limit for a reply that is not a message)",
                    crate::limits::size(MAX_REPLY_BYTES as u64)
                ),
                false,
            ));
        }
        if let Some(scan) = &mut self.imap {
            scan.feed(data).map_err(|m| fail(format!("{host} {m}"), false))?;
            if self.bytes > MAX_IMAP_ANSWER {
                return Err(fail(
                    format!(
                        "{host} sent more than {} in answer to one command",
                        crate::limits::size(MAX_IMAP_ANSWER)
                    ),
                    false,
                ));
            }
        }
        if let Some(idle) = idle {
            let elapsed = self.since.elapsed();
            let most = MAX_ANSWER_TIME.max(2 * idle);
            let allowed = (2 * idle + Duration::from_secs(self.bytes / MIN_ANSWER_RATE)).min(most);
            if elapsed > allowed {
                return Err(fail(
                    format!(
                        "{host} is too slow: an answer was still coming after {} s ({} so far; Tidings waits {} s plus a second for every {MIN_ANSWER_RATE} bytes, at most {} min in all)",
                        elapsed.as_secs(),
                        crate::limits::size(self.bytes),
                        (2 * idle).as_secs(),
                        most.as_secs() / 60,
                    ),
                    true,
                ));
            }
        }
        Ok(())
    }
}

/// Where the IMAP stream is: in a line (its length, its last bytes) or in a literal.
#[derive(Debug)]
struct ImapScan {
    line: usize,
    /// The last bytes of the line: enough for "{4294967296}\r".
    tail: Vec<u8>,
    literal: u64,
    max_literal: u64,
}

impl Default for ImapScan {
    fn default() -> Self {
        ImapScan { line: 0, tail: Vec::new(), literal: 0, max_literal: MAX_MESSAGE }
    }
}

const TAIL: usize = 32;

impl ImapScan {
    fn feed(&mut self, mut data: &[u8]) -> Result<(), String> {
        while !data.is_empty() {
            if self.literal > 0 {
                let take = usize::try_from(self.literal).unwrap_or(usize::MAX).min(data.len());
                self.literal -= take as u64;
                data = &data[take..];
                continue;
            }
            let (part, end) = match memchr::memchr(b'\n', data) {
                Some(p) => (&data[..p], true),
                None => (data, false),
            };
            self.line += part.len();
            if self.line > MAX_IMAP_LINE {
                return Err(format!("sent a line longer than {}", crate::limits::size(MAX_IMAP_LINE as u64)));
            }
            self.tail.extend_from_slice(&part[part.len().saturating_sub(TAIL)..]);
            if self.tail.len() > TAIL {
                self.tail.drain(..self.tail.len() - TAIL);
            }
            if !end {
                break;
            }
            data = &data[part.len() + 1..];
            self.literal = literal_size(&self.tail, self.max_literal)?.unwrap_or(0);
            self.line = 0;
            self.tail.clear();
        }
        Ok(())
    }
}

/// The size a line announces for the literal that follows it, refused past `max` (a number
/// too large to read is past it too).
fn literal_size(line: &[u8], max: u64) -> Result<Option<u64>, String> {
    let Some(digits) = super::transcript::literal_digits(line) else { return Ok(None) };
    let announced = std::str::from_utf8(digits).ok().and_then(|d| d.parse::<u64>().ok());
    match announced {
        Some(n) if n <= max => Ok(Some(n)),
        _ if max < MAX_MESSAGE => Err(format!(
            "announced a literal of {} bytes, more than the {} asked for",
            String::from_utf8_lossy(digits),
            crate::limits::size(max)
        )),
        _ => Err(format!(
            "announced a literal of {} bytes, more than the {} a message may have",
            String::from_utf8_lossy(digits),
            crate::limits::size(MAX_MESSAGE)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_skipped_and_their_size_checked() {
        let mut s = ImapScan::default();
        s.feed(b"* 1 FETCH (BODY[] {11}\r\nhello\r\n{9}\r\n)\r\n").unwrap();
        assert_eq!((s.literal, s.line), (0, 0), "the literal's own {{9}} is data");
        // Split anywhere, the same.
        let mut s = ImapScan::default();
        for b in b"* 2 FETCH (BODY[] {3}\r\nabc)\r\n* 3 FETCH (BODY[] {20".iter() {
            s.feed(&[*b]).unwrap();
        }
        assert_eq!(s.literal, 0);
        let err = s.feed(b"0000000}\r\n").unwrap_err();
        assert!(err.contains("200000000 bytes"), "{err}");
        let mut s = ImapScan::default();
        assert!(s.feed(b"* 1 FETCH (BODY[] {99999999999999999999999}\r\n").is_err(), "overflow");
        let mut s = ImapScan::default();
        s.feed(b"a1 OK \"{5}\" done\r\n").unwrap();
        assert_eq!(s.literal, 0, "not at the end of the line");
    }

    #[test]
    fn an_endless_line_ends() {
        let mut s = ImapScan::default();
        let chunk = vec![b'x'; 1 << 20];
        let mut fed = 0;
        let err = loop {
            match s.feed(&chunk) {
                Ok(()) => fed += chunk.len(),
                Err(e) => break e,
            }
            assert!(fed <= MAX_IMAP_LINE, "never stopped");
        };
        assert!(err.contains("line longer"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_runs_out_of_time() {
        let mut g = Guard::new();
        let idle = Some(Duration::from_secs(60));
        let mut waited = Duration::ZERO;
        let err = loop {
            tokio::time::advance(Duration::from_secs(5)).await;
            waited += Duration::from_secs(5);
            if let Err(e) = g.read("mail.example", b"* OK still here\r\n", idle) {
                break e;
            }
            assert!(waited < Duration::from_secs(200), "never stopped");
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        let x = exceeded(&err).unwrap();
        assert!(x.slow && x.message.contains("too slow"), "{}", x.message);
        assert!(waited > Duration::from_secs(120), "{waited:?}");
        // A new command starts a new answer.
        g.wrote();
        g.read("mail.example", b"a1 OK\r\n", idle).unwrap();
        // Without a timeout (idling with none), no limit.
        tokio::time::advance(Duration::from_secs(3600)).await;
        g.read("mail.example", b"* 3 EXISTS\r\n", None).unwrap();
    }

    #[test]
    fn many_literals_in_one_answer_add_up_to_a_limit() {
        let mut g = Guard::new();
        g.scan_imap();
        let literal = vec![b'x'; 1 << 20];
        let mut sent = 0u64;
        let err = loop {
            let head = format!("* {} FETCH (BODY[] {{{}}}\r\n", sent + 1, literal.len());
            let r = g
                .read("imap.example", head.as_bytes(), None)
                .and_then(|()| g.read("imap.example", &literal, None))
                .and_then(|()| g.read("imap.example", b")\r\n", None));
            if let Err(e) = r {
                break e;
            }
            sent += literal.len() as u64;
            assert!(sent <= MAX_IMAP_ANSWER, "never stopped");
        };
        assert!(exceeded(&err).unwrap().message.contains("in answer to one command"), "{err}");
        // The next command's answer starts from nothing.
        g.wrote();
        g.read("imap.example", b"a2 OK done\r\n", None).unwrap();
    }

    #[test]
    fn a_reader_may_want_smaller_literals() {
        let mut g = Guard::new();
        g.scan_imap();
        g.limit_literals(Some(1000));
        g.read("imap.example", b"* 1 FETCH (BODY[] {1000}\r\n", None).unwrap();
        g.read("imap.example", &[b'x'; 1000], None).unwrap();
        let err = g.read("imap.example", b")\r\n* 2 FETCH (BODY[] {1001}\r\n", None).unwrap_err();
        assert!(exceeded(&err).unwrap().message.contains("more than the 1000 bytes asked for"), "{err}");
        g.limit_literals(None);
        g.wrote();
        g.read("imap.example", b"* 3 FETCH (BODY[] {1001}\r\n", None).unwrap();
    }

    #[test]
    fn smtp_replies_are_bounded() {
        let mut g = Guard::new();
        g.limit_replies();
        let line = b"250-PIPELINING PIPELINING PIPELINING PIPELINING\r\n";
        let mut n = 0;
        while g.read("smtp.example", line, None).is_ok() {
            n += line.len();
            assert!(n <= MAX_REPLY_BYTES, "never stopped");
        }
        g.wrote();
        g.read("smtp.example", b"250 OK\r\n", None).unwrap();
    }
}
