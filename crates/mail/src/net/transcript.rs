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
use std::path::{Path, PathBuf};
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
    /// Counts the bytes the server sent, for a progress display ([`Transcript::count_received`]).
    received: Option<Arc<std::sync::atomic::AtomicU64>>,
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
    /// SMTP: show the message text after DATA as its size only.
    elide_smtp: bool,
    /// Inside the message text the client sends after "354".
    smtp_data: Option<DataScan>,
    /// IMAP connections: the `[ALERT]` texts the server sent.
    alerts: Option<alerts::Alerts>,
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
            // Only a line that starts with "." can end the data.
            let rest = &bytes[i..];
            match dot_line(rest) {
                Some(pos) => {
                    self.bytes += pos as u64 + 1;
                    i += pos + 1;
                    self.line_start = true;
                }
                None => {
                    self.bytes += rest.len() as u64;
                    self.line_start = rest.last() == Some(&b'\n');
                    i = bytes.len();
                }
            }
        }
        (i, false)
    }
}

/// Position of the next "\n." (a line that starts with a dot: stuffed, or the end).
pub(crate) fn dot_line(s: &[u8]) -> Option<usize> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n."));
    FINDER.find(s)
}

/// Position of the first `\n`, eight bytes at a time (status, listing and protocol lines;
/// message data is scanned by [`dot_line`]).
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
    std::str::from_utf8(literal_digits(line)?).ok()?.parse().ok()
}

/// The digits of the literal a line announces: `{N}` (or `~{N}`, `{N+}`) at its very end.
/// Quoted strings cannot hold a line break, so such an end is always an announcement.
pub(crate) fn literal_digits(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = inner[open + 1..].strip_suffix(b"+").unwrap_or(&inner[open + 1..]);
    (!digits.is_empty() && digits.iter().all(u8::is_ascii_digit)).then_some(digits)
}

/// What a watcher of a live transcript receives.
#[derive(Debug, Clone)]
pub enum Event {
    Line(Line),
    Stage(Stage),
}

/// A log file this big is moved aside to [`rotated_log`] (replacing the one there) when the
/// next connection opens it. A POP3 account of 10k messages left on the server writes
/// ≈ 0.6 MB of LIST and UIDL lines per pass: every few minutes, that was hundreds of MB a
/// day. The size is looked at only then: a connection that stays open (IDLE, an IMAP
/// session kept between passes) appends to the file it opened, moved aside or not.
pub const LOG_KEEP_BYTES: u64 = 16 * 1024 * 1024;

/// Where a log file's older part goes: `<name>.1`.
pub fn rotated_log(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
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
                received: None,
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
                elide_smtp: false,
                smtp_data: None,
                alerts: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (plain pushes): keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Also append every line to `path` (created 0600, appended to).
    pub fn log_to(&self, path: &Path) -> std::io::Result<()> {
        self.log_to_keeping(path, LOG_KEEP_BYTES)
    }

    fn log_to_keeping(&self, path: &Path, keep: u64) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            crate::private::create_dir_all(dir)?;
        }
        // One connection at a time looks and moves (a pass and IDLE start together): the
        // second then finds the new, small file. Best effort: a log that cannot be moved
        // aside grows on, and the connection is not refused for it.
        static ROTATING: Mutex<()> = Mutex::new(());
        let _one = ROTATING.lock().unwrap_or_else(|e| e.into_inner());
        if std::fs::metadata(path).is_ok_and(|m| m.len() >= keep) {
            let _ = std::fs::rename(path, rotated_log(path));
        }
        let mut file = crate::private::options().create(true).append(true).open(path)?;
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

    /// Adds every byte the server sends from now on to `counter` (the reader's download
    /// progress reads it while a body comes).
    pub fn count_received(&self, counter: Arc<std::sync::atomic::AtomicU64>) {
        self.lock().received = Some(counter);
    }

    /// Bytes as they crossed the wire; split into lines and redacted here.
    pub fn record(&self, dir: Dir, bytes: &[u8]) {
        let mut inner = self.lock();
        if dir == Dir::Server
            && let Some(counter) = &inner.received
        {
            counter.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
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
            // Inside elided message data (POP3 RETR/TOP answers, the text after SMTP DATA):
            // count it, show only its size.
            let scan = if side == 1 { &mut inner.pop3_data } else { &mut inner.smtp_data };
            if let Some(scan) = scan {
                let (used, ended) = scan.scan(rest);
                rest = &rest[used..];
                if ended {
                    let note = format!("<{} bytes of message data not shown>", scan.bytes);
                    if side == 1 {
                        inner.pop3_data = None;
                    } else {
                        inner.smtp_data = None;
                        inner.data = DataState::Off;
                    }
                    inner.push_line(dir, note.as_bytes());
                    inner.push_line(dir, b".");
                }
                continue;
            }
            match find_lf(rest) {
                Some(pos) => {
                    pending.extend_from_slice(&rest[..pos]);
                    rest = &rest[pos + 1..];
                    let mut elided = false;
                    if inner.elide_literals
                        && let Some(n) = literal_size(&pending)
                    {
                        inner.literal_left[side] = n;
                        inner.literal_size[side] = n;
                        elided = true;
                    }
                    if side == 1
                        && let Some(text) = inner.alerts.as_mut().and_then(|a| a.line(&pending, elided))
                    {
                        let text = inner.scrub(text);
                        if let Some(alerts) = inner.alerts.as_mut() {
                            alerts.keep(text);
                        }
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
            if side == 1
                && let Some(alerts) = &mut inner.alerts
            {
                alerts.piece(pending.len());
            }
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

    /// Picks out the `[ALERT]` texts of the server's responses from now on (IMAP: set before
    /// the greeting arrives). RFC 3501 wants them shown to the person.
    pub fn collect_imap_alerts(&self) {
        let mut inner = self.lock();
        if inner.alerts.is_none() {
            inner.alerts = Some(alerts::Alerts::default());
        }
    }

    /// The alerts not taken before, each once, oldest first: what to show the person now.
    pub fn take_alerts(&self) -> Vec<String> {
        self.lock().alerts.as_mut().map(alerts::Alerts::take).unwrap_or_default()
    }

    /// Every alert of this connection, each once (for a report at its end).
    pub fn alerts(&self) -> Vec<String> {
        self.lock().alerts.as_ref().map(alerts::Alerts::all).unwrap_or_default()
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

    /// Shows the message text an SMTP client sends after DATA as its size only (a send's
    /// transcript, and the account's log file, then hold the protocol, not the mail).
    pub fn elide_smtp_data(&self, on: bool) {
        let mut inner = self.lock();
        inner.elide_smtp = on;
        if !on {
            inner.smtp_data = None;
        }
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
        // A copy only for a window watching the connection (a pass has 4 lines per message).
        if !self.watchers.is_empty() {
            self.notify(Event::Line(line.clone()));
        }
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
            if self.data == DataState::On && self.elide_smtp {
                self.smtp_data = Some(DataScan { line_start: true, ..DataScan::default() });
            }
        }
        if self.sensitive && !(text == "+" || text.starts_with("+ ") || text.starts_with("334")) {
            self.sensitive = false;
        }
    }
}

mod alerts;
#[cfg(test)]
mod tests;
