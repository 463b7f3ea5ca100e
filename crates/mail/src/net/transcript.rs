//! The transcript of one connection: timestamped client and server lines, notes of our own,
//! and the timings of each stage. Credentials never reach it: the arguments of LOGIN,
//! AUTHENTICATE, AUTH, PASS and APOP and the SASL continuation lines that follow are replaced
//! before a line is stored, and any password registered with [`Transcript::add_secret`] is
//! scrubbed from every line as a second guard. Bounded in memory; optionally appended to a
//! log file (already redacted). A sync pass may ask for mail content to be left out: IMAP
//! literals and the data of POP3 RETR/TOP answers are then shown as their size only.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

/// Stored in place of credentials.
pub const REDACTED: &str = "<redacted>";
/// Longest line kept; the rest is summarised.
const MAX_LINE_CHARS: usize = 2000;
/// A "line" longer than this without a line break is stored in pieces.
const MAX_PENDING_BYTES: usize = 64 * 1024;
const DEFAULT_MAX_LINES: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Sent by us.
    Client,
    /// Received from the server.
    Server,
    /// A note of ours (TLS established, a stage failed…).
    Info,
}

impl Dir {
    pub fn marker(self) -> &'static str {
        match self {
            Dir::Client => "C:",
            Dir::Server => "S:",
            Dir::Info => "--",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Time since the transcript started.
    #[serde(serialize_with = "ser_millis")]
    pub at: Duration,
    pub dir: Dir,
    pub text: String,
}

/// The stages of a connection whose duration people care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageName {
    Dns,
    Connect,
    TlsHandshake,
    Greeting,
    Capabilities,
    StartTls,
    Login,
    /// IMAP ID (RFC 2971): who the server says it is.
    Id,
    /// The first mailbox command: SELECT INBOX, STAT, or MAIL FROM (not sent on).
    Mailbox,
    Logout,
}

impl StageName {
    pub fn label(self) -> &'static str {
        match self {
            StageName::Dns => "Resolve host name",
            StageName::Connect => "Connect",
            StageName::TlsHandshake => "TLS handshake",
            StageName::Greeting => "Server greeting",
            StageName::Capabilities => "Capabilities",
            StageName::StartTls => "STARTTLS",
            StageName::Login => "Log in",
            StageName::Id => "IMAP ID",
            StageName::Mailbox => "First mailbox command",
            StageName::Logout => "Log out",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub name: StageName,
    #[serde(serialize_with = "ser_millis")]
    pub start: Duration,
    #[serde(serialize_with = "ser_millis")]
    pub duration: Duration,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

fn ser_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0)
}

/// Shared handle: the tap writes, the UI and reports read.
#[derive(Clone)]
pub struct Transcript {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transcript")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DataState {
    Off,
    Asked,
    On,
}

struct Inner {
    t0: Instant,
    started: SystemTime,
    max_lines: usize,
    lines: VecDeque<Line>,
    dropped: u64,
    stages: Vec<Stage>,
    secrets: Vec<String>,
    pending_client: Vec<u8>,
    pending_server: Vec<u8>,
    /// Client lines are credentials until the server ends the exchange.
    sensitive: bool,
    /// SMTP DATA: client lines are message text, not commands, until the lone ".".
    data: DataState,
    log: Option<File>,
    watchers: Vec<tokio::sync::mpsc::UnboundedSender<Event>>,
    elide_literals: bool,
    /// Bytes of the current literal still to skip, and its size, per side (client, server).
    literal_left: [usize; 2],
    literal_size: [usize; 2],
    elide_pop3: bool,
    /// POP3 commands sent and not answered yet, oldest first (they may be pipelined).
    pop3_sent: VecDeque<Pop3Answer>,
    /// Inside a multi-line answer that is shown line by line (CAPA, LIST, UIDL).
    pop3_listing: bool,
    /// Inside the message data of a RETR/TOP answer.
    pop3_data: Option<DataScan>,
}

/// What a POP3 command's answer looks like after its status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pop3Answer {
    Single,
    /// Lines up to "." (CAPA, LIST and UIDL without an argument).
    Listing,
    /// Message data up to "." (RETR, TOP): elided.
    Data,
}

impl Pop3Answer {
    fn of(command: &str) -> Pop3Answer {
        let mut words = command.split_ascii_whitespace();
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "RETR" | "TOP" => Pop3Answer::Data,
            "CAPA" => Pop3Answer::Listing,
            "LIST" | "UIDL" | "AUTH" if words.next().is_none() => Pop3Answer::Listing,
            _ => Pop3Answer::Single,
        }
    }
}

/// Where the scan of elided POP3 message data is: the terminating "." is a line of its own.
#[derive(Debug, Clone, Copy, Default)]
struct DataScan {
    bytes: u64,
    /// The next byte starts a line (the data starts right after the status line).
    line_start: bool,
    /// Bytes of a possible terminator seen at a line start: 1 after ".", 2 after ".\r".
    dot: u8,
}

impl DataScan {
    /// Consumes data bytes; returns how many, and whether the terminator ended them.
    fn scan(&mut self, bytes: &[u8]) -> (usize, bool) {
        let mut i = 0;
        while i < bytes.len() {
            match (self.dot, bytes[i]) {
                (1 | 2, b'\n') => return (i + 1, true),
                (1, b'\r') => {
                    self.dot = 2;
                    i += 1;
                    continue;
                }
                (1 | 2, _) => {
                    // A stuffed dot (or a line ".\rx"): data after all.
                    self.bytes += u64::from(self.dot);
                    self.dot = 0;
                    self.line_start = false;
                }
                _ => {}
            }
            if self.line_start {
                self.line_start = false;
                if bytes[i] == b'.' {
                    self.dot = 1;
                    i += 1;
                    continue;
                }
            }
            match find_lf(&bytes[i..]) {
                Some(pos) => {
                    self.bytes += pos as u64 + 1;
                    i += pos + 1;
                    self.line_start = true;
                }
                None => {
                    self.bytes += (bytes.len() - i) as u64;
                    i = bytes.len();
                }
            }
        }
        (i, false)
    }
}

/// Position of the first `\n`, eight bytes at a time (message data is mostly line bodies:
/// this is the loop a download spends its time in).
pub(crate) fn find_lf(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut i = 0;
    for chunk in s.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ LF;
        // Non-zero exactly when some byte of x is zero, i.e. some byte was '\n'.
        if x.wrapping_sub(ONES) & !x & HIGH != 0 {
            break;
        }
        i += 8;
    }
    s[i..].iter().position(|&b| b == b'\n').map(|p| p + i)
}

/// `{123}` or `{123+}` at the end of a line: an IMAP literal of that many bytes follows.
fn literal_size(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = inner[open + 1..].strip_suffix(b"+").unwrap_or(&inner[open + 1..]);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// What a watcher of a live transcript receives.
#[derive(Debug, Clone)]
pub enum Event {
    Line(Line),
    Stage(Stage),
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript::new()
    }
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript::with_capacity(DEFAULT_MAX_LINES)
    }

    pub fn with_capacity(max_lines: usize) -> Transcript {
        Transcript {
            inner: Arc::new(Mutex::new(Inner {
                t0: Instant::now(),
                started: SystemTime::now(),
                max_lines: max_lines.max(1),
                lines: VecDeque::new(),
                dropped: 0,
                stages: Vec::new(),
                secrets: Vec::new(),
                pending_client: Vec::new(),
                pending_server: Vec::new(),
                sensitive: false,
                data: DataState::Off,
                log: None,
                watchers: Vec::new(),
                elide_literals: false,
                literal_left: [0; 2],
                literal_size: [0; 2],
                elide_pop3: false,
                pop3_sent: VecDeque::new(),
                pop3_listing: false,
                pop3_data: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (plain pushes): keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Also append every line to `path` (created 0600, appended to).
    pub fn log_to(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(path)?;
        let mut inner = self.lock();
        writeln!(file, "## connection opened {}", humantime::format_rfc3339_millis(inner.started))?;
        inner.log = Some(file);
        Ok(())
    }

    /// Every line and stage from now on, as they happen (for a live view). The sender is
    /// dropped when the receiver is.
    pub fn watch(&self) -> tokio::sync::mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.lock().watchers.push(tx);
        rx
    }

    /// A secret that must never appear in any line, whatever protocol carries it.
    pub fn add_secret(&self, secret: &str) {
        if secret.len() >= 3 {
            self.lock().secrets.push(secret.to_string());
        }
    }

    pub fn started(&self) -> SystemTime {
        self.lock().started
    }

    pub fn elapsed(&self) -> Duration {
        self.lock().t0.elapsed()
    }

    /// Bytes as they crossed the wire; split into lines and redacted here.
    pub fn record(&self, dir: Dir, bytes: &[u8]) {
        let mut inner = self.lock();
        let side = if dir == Dir::Client { 0 } else { 1 };
        let mut pending = std::mem::take(match dir {
            Dir::Client => &mut inner.pending_client,
            _ => &mut inner.pending_server,
        });
        let mut rest = bytes;
        while !rest.is_empty() {
            // Inside an elided IMAP literal: count the bytes, show none of them.
            let left = inner.literal_left[side];
            if left > 0 {
                let take = left.min(rest.len());
                inner.literal_left[side] -= take;
                rest = &rest[take..];
                if inner.literal_left[side] == 0 {
                    let note = format!("<{} bytes of message data not shown>", inner.literal_size[side]);
                    inner.push_line(dir, note.as_bytes());
                }
                continue;
            }
            // Inside elided POP3 message data: count it, show only its size.
            if side == 1
                && let Some(scan) = &mut inner.pop3_data
            {
                let (used, ended) = scan.scan(rest);
                rest = &rest[used..];
                if ended {
                    let note = format!("<{} bytes of message data not shown>", scan.bytes);
                    inner.pop3_data = None;
                    inner.push_line(dir, note.as_bytes());
                    inner.push_line(dir, b".");
                }
                continue;
            }
            match find_lf(rest) {
                Some(pos) => {
                    pending.extend_from_slice(&rest[..pos]);
                    rest = &rest[pos + 1..];
                    if inner.elide_literals
                        && let Some(n) = literal_size(&pending)
                    {
                        inner.literal_left[side] = n;
                        inner.literal_size[side] = n;
                    }
                    inner.push_line(dir, &pending);
                    pending.clear();
                }
                None => {
                    pending.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
        if pending.len() > MAX_PENDING_BYTES {
            inner.push_line(dir, &pending);
            pending.clear();
        }
        *match dir {
            Dir::Client => &mut inner.pending_client,
            _ => &mut inner.pending_server,
        } = pending;
    }

    /// Shows IMAP literals (message headers and bodies a sync fetches, a message being
    /// appended) as their size only: a sync's transcript then holds the protocol, not the
    /// mail — shorter, and no personal data in a log file.
    pub fn elide_literals(&self, on: bool) {
        self.lock().elide_literals = on;
    }

    /// Shows the message data of POP3 RETR and TOP answers as its size only (a receive
    /// pass's transcript then holds the protocol, not the mail). The transcript follows the
    /// commands it sees sent, pipelined ones included, to know which answer carries data.
    pub fn elide_pop3_data(&self, on: bool) {
        let mut inner = self.lock();
        inner.elide_pop3 = on;
        inner.pop3_sent.clear();
        inner.pop3_listing = false;
    }

    /// Writes out partial lines (at close).
    pub fn flush(&self) {
        let mut inner = self.lock();
        for dir in [Dir::Client, Dir::Server] {
            let pending = std::mem::take(match dir {
                Dir::Client => &mut inner.pending_client,
                _ => &mut inner.pending_server,
            });
            if !pending.is_empty() {
                inner.push_line(dir, &pending);
            }
        }
    }

    /// A note of ours in the transcript.
    pub fn note(&self, text: impl AsRef<str>) {
        self.lock().push_line(Dir::Info, text.as_ref().as_bytes());
    }

    /// Records a finished stage. `start` is [`Transcript::elapsed`] taken when it began.
    pub fn stage(&self, name: StageName, start: Duration, ok: bool, detail: Option<String>) {
        let mut inner = self.lock();
        let duration = inner.t0.elapsed().saturating_sub(start);
        let detail = detail.map(|d| inner.scrub(d));
        let text = format!(
            "{} {} in {:.1} ms{}",
            name.label(),
            if ok { "done" } else { "failed" },
            duration.as_secs_f64() * 1000.0,
            detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
        );
        inner.push_line(Dir::Info, text.as_bytes());
        let stage = Stage { name, start, duration, ok, detail };
        inner.notify(Event::Stage(stage.clone()));
        inner.stages.push(stage);
    }

    pub fn lines(&self) -> Vec<Line> {
        self.lock().lines.iter().cloned().collect()
    }

    pub fn stages(&self) -> Vec<Stage> {
        self.lock().stages.clone()
    }

    /// Lines dropped because the transcript was full (the oldest go first).
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// The last line the server sent: "the server's words" for an error.
    pub fn last_server_line(&self) -> Option<String> {
        let inner = self.lock();
        inner.lines.iter().rev().find(|l| l.dir == Dir::Server).map(|l| l.text.clone())
    }

    /// Plain-text rendering, one line each: `+12.345 C: a1 LOGIN <redacted>`.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        if inner.dropped > 0 {
            out.push_str(&format!("({} earlier lines dropped)\n", inner.dropped));
        }
        for l in &inner.lines {
            out.push_str(&format_line(l));
            out.push('\n');
        }
        out
    }
}

fn format_line(l: &Line) -> String {
    format!("+{:>9.3} {} {}", l.at.as_secs_f64(), l.dir.marker(), l.text)
}

impl Inner {
    fn push_line(&mut self, dir: Dir, raw: &[u8]) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let mut text = String::from_utf8_lossy(raw).into_owned();
        text = match dir {
            Dir::Client => {
                if self.elide_pop3 && !self.sensitive {
                    self.pop3_sent.push_back(Pop3Answer::of(&text));
                }
                self.redact_client(text)
            }
            Dir::Server => {
                self.track_server(&text);
                if self.elide_pop3 {
                    self.track_pop3(&text);
                }
                text
            }
            Dir::Info => text,
        };
        text = self.scrub(text);
        if text.chars().count() > MAX_LINE_CHARS {
            let kept: String = text.chars().take(MAX_LINE_CHARS).collect();
            let more = text.len() - kept.len();
            text = format!("{kept}… ({more} more bytes)");
        }
        let line = Line { at: self.t0.elapsed(), dir, text };
        if let Some(log) = &mut self.log {
            // A full disk must not break the connection: the in-memory transcript stays.
            let _ = writeln!(log, "{}", format_line(&line));
        }
        if self.lines.len() >= self.max_lines {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.notify(Event::Line(line.clone()));
        self.lines.push_back(line);
    }

    fn notify(&mut self, event: Event) {
        if !self.watchers.is_empty() {
            self.watchers.retain(|w| w.send(event.clone()).is_ok());
        }
    }

    fn scrub(&self, mut text: String) -> String {
        for s in &self.secrets {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), REDACTED);
            }
        }
        text
    }

    /// Keeps the command word (and SASL mechanism), replaces everything after it.
    fn redact_client(&mut self, text: String) -> String {
        if self.sensitive {
            return REDACTED.to_string();
        }
        match self.data {
            DataState::On => {
                if text == "." {
                    self.data = DataState::Off;
                }
                return text;
            }
            _ if text.eq_ignore_ascii_case("DATA") => {
                self.data = DataState::Asked;
                return text;
            }
            _ => {}
        }
        let words: Vec<&str> = text.split(' ').collect();
        // IMAP commands carry a tag first; POP3 and SMTP don't.
        for (i, w) in words.iter().take(2).enumerate() {
            let keyword = w.to_ascii_uppercase();
            let keep = match keyword.as_str() {
                "LOGIN" | "PASS" | "APOP" => i + 1,
                // AUTH PLAIN <initial response>: keep the mechanism name.
                "AUTHENTICATE" | "AUTH" => i + 2,
                _ => continue,
            };
            self.sensitive = true;
            if words.len() <= keep {
                return text;
            }
            let mut out = words[..keep].join(" ");
            out.push(' ');
            out.push_str(REDACTED);
            return out;
        }
        text
    }

    /// Follows POP3 answers: a status line answers the oldest command sent; after a +OK to
    /// RETR or TOP the message data starts (elided up to its "."), after one to a listing
    /// command its lines show up to the ".".
    fn track_pop3(&mut self, text: &str) {
        if self.pop3_listing {
            self.pop3_listing = text != ".";
            return;
        }
        let ok = text.starts_with("+OK");
        if !ok && !text.starts_with("-ERR") {
            return;
        }
        match self.pop3_sent.pop_front() {
            Some(Pop3Answer::Data) if ok => {
                self.pop3_data = Some(DataScan { line_start: true, ..DataScan::default() });
            }
            Some(Pop3Answer::Listing) if ok => self.pop3_listing = true,
            _ => {}
        }
    }

    /// SASL continues while the server asks for more (IMAP/POP3 "+ …", SMTP "334 …");
    /// any other server line ends the credential exchange.
    fn track_server(&mut self, text: &str) {
        if self.data == DataState::Asked {
            self.data = if text.starts_with("354") { DataState::On } else { DataState::Off };
        }
        if self.sensitive && !(text == "+" || text.starts_with("+ ") || text.starts_with("334")) {
            self.sensitive = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &Transcript) -> Vec<String> {
        t.lines().into_iter().map(|l| format!("{} {}", l.dir.marker(), l.text)).collect()
    }

    #[test]
    fn imap_login_is_redacted_and_lines_split_across_reads() {
        let t = Transcript::new();
        t.record(Dir::Server, b"* OK ready\r\n");
        t.record(Dir::Client, b"a1 LOGIN alice \"s3cr");
        t.record(Dir::Client, b"et\"\r\n");
        t.record(Dir::Server, b"a1 OK Logged in\r\na2 ");
        t.record(Dir::Client, b"a2 SELECT INBOX\r\n");
        assert_eq!(
            texts(&t),
            ["S: * OK ready", "C: a1 LOGIN <redacted>", "S: a1 OK Logged in", "C: a2 SELECT INBOX"]
        );
    }

    #[test]
    fn sasl_continuations_are_redacted_until_the_server_ends_them() {
        let t = Transcript::new();
        t.record(Dir::Client, b"AUTH LOGIN\r\n");
        t.record(Dir::Server, b"334 VXNlcm5hbWU6\r\n");
        t.record(Dir::Client, b"YWxpY2U=\r\n");
        t.record(Dir::Server, b"334 UGFzc3dvcmQ6\r\n");
        t.record(Dir::Client, b"c2VjcmV0\r\n");
        t.record(Dir::Server, b"235 2.7.0 Authentication successful\r\n");
        t.record(Dir::Client, b"MAIL FROM:<alice@example.test>\r\n");
        let all = texts(&t).join("\n");
        assert!(!all.contains("YWxpY2U=") && !all.contains("c2VjcmV0"), "{all}");
        assert!(all.contains("C: AUTH LOGIN\n"));
        assert!(all.contains("C: MAIL FROM:<alice@example.test>"));
    }

    #[test]
    fn pop3_pass_and_auth_plain_initial_response() {
        let t = Transcript::new();
        t.record(Dir::Client, b"USER alice\r\nPASS hunter22\r\n");
        t.record(Dir::Server, b"+OK Logged in.\r\n");
        t.record(Dir::Client, b"AUTH PLAIN AGFsaWNlAGh1bnRlcjIy\r\n");
        t.record(Dir::Server, b"-ERR [AUTH] Authentication failed.\r\n");
        t.record(Dir::Client, b"STAT\r\n");
        assert_eq!(
            texts(&t),
            [
                "C: USER alice",
                "C: PASS <redacted>",
                "S: +OK Logged in.",
                "C: AUTH PLAIN <redacted>",
                "S: -ERR [AUTH] Authentication failed.",
                "C: STAT"
            ]
        );
    }

    #[test]
    fn smtp_message_text_is_not_taken_for_commands() {
        let t = Transcript::new();
        t.record(Dir::Client, b"DATA\r\n");
        t.record(Dir::Server, b"354 End data with <CR><LF>.<CR><LF>\r\n");
        t.record(Dir::Client, b"Subject: hi\r\n\r\nLogin details below\r\nPass it on\r\n.\r\n");
        t.record(Dir::Server, b"250 2.0.0 Ok: queued\r\n");
        t.record(Dir::Client, b"AUTH PLAIN AGEAYg==\r\n");
        let all = texts(&t).join("\n");
        assert!(all.contains("C: Login details below\nC: Pass it on\nC: ."), "{all}");
        assert!(all.contains("C: AUTH PLAIN <redacted>"), "{all}");
    }

    #[test]
    fn registered_secrets_are_scrubbed_everywhere() {
        let t = Transcript::new();
        t.add_secret("hunter22");
        t.record(Dir::Server, b"a9 BAD unknown command hunter22\r\n");
        t.note("trying hunter22");
        assert!(!t.render().contains("hunter22"), "{}", t.render());
    }

    #[test]
    fn bounded_and_long_lines_truncated() {
        let t = Transcript::with_capacity(3);
        for i in 0..5 {
            t.record(Dir::Server, format!("* {i} EXISTS\r\n").as_bytes());
        }
        assert_eq!(t.dropped(), 2);
        assert_eq!(t.lines()[0].text, "* 2 EXISTS");
        let long = "x".repeat(5000) + "\r\n";
        t.record(Dir::Server, long.as_bytes());
        assert!(t.last_server_line().unwrap_or_default().ends_with("(3000 more bytes)"));
    }

    #[test]
    fn literals_can_be_shown_as_their_size_only() {
        let t = Transcript::new();
        t.elide_literals(true);
        t.record(Dir::Server, b"* 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)] {27}\r\nSubject: Personal");
        t.record(Dir::Server, b" stuff\r\n\r\n)\r\n* 2 FETCH (UID 8 FLAGS (\\Seen))\r\n");
        assert_eq!(
            texts(&t),
            [
                "S: * 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)] {27}",
                "S: <27 bytes of message data not shown>",
                "S: )",
                "S: * 2 FETCH (UID 8 FLAGS (\\Seen))"
            ]
        );
        // Off (the default): everything shows, as the inspector wants.
        let t = Transcript::new();
        t.record(Dir::Server, b"* 1 FETCH (BODY[] {5}\r\nhello)\r\n");
        assert!(t.render().contains("hello)"));
        assert_eq!(super::literal_size(b"a APPEND x {310+}"), Some(310));
        assert_eq!(super::literal_size(b"a {x}"), None);
    }

    /// A POP3 pass: status lines and listings show, message data does not, with the
    /// downloads pipelined and their answers read in pieces of `piece` bytes.
    fn pop3_pass(t: &Transcript, piece: usize) {
        let steps: [(Dir, &[u8]); 13] = [
            (Dir::Server, b"+OK ready\r\n"),
            (Dir::Client, b"USER alice\r\n"),
            (Dir::Server, b"+OK\r\n"),
            (Dir::Client, b"PASS hunter22\r\n"),
            (Dir::Server, b"+OK Logged in.\r\n"),
            (Dir::Client, b"CAPA\r\n"),
            (Dir::Server, b"+OK\r\nPIPELINING\r\n.\r\n"),
            (Dir::Client, b"UIDL\r\n"),
            (Dir::Server, b"+OK\r\n1 u1\r\n2 u2\r\n.\r\n"),
            (Dir::Client, b"RETR 1\r\nRETR 2\r\nTOP 3 0\r\nRETR 9\r\n"),
            (
                Dir::Server,
                b"+OK 40 octets\r\nSubject: Personal\r\n\r\n..dotted line\r\n.\r\n\
                  +OK 3 octets\r\n.\r\n\
                  +OK\r\nSubject: head only\r\n\r\n.\r\n\
                  -ERR no such message\r\n",
            ),
            (Dir::Client, b"DELE 1\r\nQUIT\r\n"),
            (Dir::Server, b"+OK marked\r\n+OK bye\r\n"),
        ];
        for (dir, bytes) in steps {
            for chunk in bytes.chunks(piece) {
                t.record(dir, chunk);
            }
        }
    }

    #[test]
    fn pop3_message_data_can_be_shown_as_its_size_only() {
        let expected = [
            "S: +OK ready",
            "C: USER alice",
            "S: +OK",
            "C: PASS <redacted>",
            "S: +OK Logged in.",
            "C: CAPA",
            "S: +OK",
            "S: PIPELINING",
            "S: .",
            "C: UIDL",
            "S: +OK",
            "S: 1 u1",
            "S: 2 u2",
            "S: .",
            "C: RETR 1",
            "C: RETR 2",
            "C: TOP 3 0",
            "C: RETR 9",
            "S: +OK 40 octets",
            "S: <36 bytes of message data not shown>",
            "S: .",
            "S: +OK 3 octets",
            "S: <0 bytes of message data not shown>",
            "S: .",
            "S: +OK",
            "S: <22 bytes of message data not shown>",
            "S: .",
            "S: -ERR no such message",
            "C: DELE 1",
            "C: QUIT",
            "S: +OK marked",
            "S: +OK bye",
        ];
        // Whatever the reads' sizes: whole, small pieces, byte by byte.
        for piece in [1000, 7, 1] {
            let t = Transcript::new();
            t.elide_pop3_data(true);
            pop3_pass(&t, piece);
            assert_eq!(texts(&t), expected, "pieces of {piece}");
            assert!(!t.render().contains("Personal") && !t.render().contains("hunter22"));
        }
        // Off (the default, as the inspector has it): the message shows.
        let t = Transcript::new();
        pop3_pass(&t, 1000);
        let all = t.render();
        assert!(all.contains("S: Subject: Personal") && all.contains("S: ..dotted line"), "{all}");
    }

    #[test]
    fn pop3_data_with_bare_line_feeds_and_a_dot_carriage_return_inside() {
        let t = Transcript::new();
        t.elide_pop3_data(true);
        t.record(Dir::Client, b"RETR 1\r\nNOOP\r\n");
        t.record(Dir::Server, b"+OK\nA: b\n\n.\rx\n..\n.\n+OK still here\r\n");
        assert_eq!(
            texts(&t),
            [
                "C: RETR 1",
                "C: NOOP",
                "S: +OK",
                "S: <13 bytes of message data not shown>",
                "S: .",
                "S: +OK still here"
            ]
        );
    }

    #[test]
    fn watchers_see_redacted_lines_and_stages_live() {
        let t = Transcript::new();
        let mut rx = t.watch();
        t.record(Dir::Client, b"a1 LOGIN alice pw\r\n");
        t.stage(StageName::Login, Duration::ZERO, true, None);
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(e);
        }
        assert!(matches!(&got[0], Event::Line(l) if l.text == "a1 LOGIN <redacted>"));
        assert!(got.iter().any(|e| matches!(e, Event::Stage(s) if s.name == StageName::Login)));
        drop(rx);
        t.note("nobody listens");
        assert!(t.lock().watchers.is_empty());
    }

    #[test]
    fn log_file_gets_redacted_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/a.log");
        let t = Transcript::new();
        t.log_to(&path).unwrap();
        t.record(Dir::Client, b"a1 LOGIN alice pw123\r\n");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("LOGIN <redacted>") && !text.contains("pw123"), "{text}");
    }
}
