//! A scripted server for hostile and odd behaviour: whatever a test wants said, in answer to
//! whichever command, including answers that never end, that trickle forever, or a STARTTLS
//! into a certificate nobody trusts. Unlike [`crate::fault`], it knows no protocol: the script
//! is the protocol.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! use tidings_testkit::hostile::{Hostile, Reply, Script};
//! let server = Hostile::start(
//!     Script::new(Reply::text("+OK ready\r\n"))
//!         .on("CAPA", Reply::text("+OK\r\nUIDL\r\n.\r\n"))
//!         .on("RETR", Reply::text("+OK\r\n").then(Reply::endless(b"x".repeat(8192)))),
//! )
//! .await?;
//! # Ok(()) }
//! ```
//!
//! Each command line is matched against the rules in order: a rule matches when the line, or
//! the line after its first word (an IMAP tag), starts with the rule's prefix (ASCII
//! case-insensitive). `{tag}` in a text reply is replaced by the first word of the command.
//! A line that matches no rule gets the script's `otherwise` reply (silence by default).
//! Needs a tokio runtime; dropping the server aborts every connection. Under a paused tokio
//! clock, trickles and pauses advance with it.

use std::io;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use crate::certs::LeafKind;
use crate::certs::{self, Certs};

/// Longest command line the server reads before it gives up on a client.
const MAX_LINE: usize = 1 << 20;

/// Not any protocol, and no line end: NUL, 0xff, a TLS record header, invalid UTF-8,
/// terminal escapes (clear the screen, OSC 52 clipboard write, BEL), DEL.
pub const GARBAGE: &[u8] = b"\x00\xff\xfe\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xde\xad\xbe\xef\
                             \x80\x81\xc3\x28\xf0\x28\x8c\x28\x1b[2J\x1b]52;c;aGk=\x07\x7f";

/// What the server sends.
#[derive(Debug, Clone)]
pub enum Reply {
    /// These bytes, `{tag}` replaced.
    Text(Vec<u8>),
    /// This chunk, again and again, until the client goes away.
    Endless(Vec<u8>),
    /// This chunk every `every`, forever.
    Trickle(Vec<u8>, Duration),
    /// Nothing for this long.
    Pause(Duration),
    /// Closes the connection.
    Close,
    /// Sends nothing more on this connection but keeps reading.
    Silence,
    /// The TLS handshake (as a server) with a certificate of this kind, after which the
    /// dialog goes on encrypted. Send the protocol's "go ahead" first with `then`.
    Tls(LeafKind),
    /// One after the other.
    Seq(Vec<Reply>),
}

impl Reply {
    pub fn text(text: impl AsRef<[u8]>) -> Reply {
        Reply::Text(text.as_ref().to_vec())
    }
    pub fn endless(chunk: impl AsRef<[u8]>) -> Reply {
        Reply::Endless(chunk.as_ref().to_vec())
    }
    pub fn trickle(chunk: impl AsRef<[u8]>, every: Duration) -> Reply {
        Reply::Trickle(chunk.as_ref().to_vec(), every)
    }
    pub fn pause(d: Duration) -> Reply {
        Reply::Pause(d)
    }
    pub fn close() -> Reply {
        Reply::Close
    }
    pub fn silence() -> Reply {
        Reply::Silence
    }
    pub fn tls(kind: LeafKind) -> Reply {
        Reply::Tls(kind)
    }
    /// One line of [`GARBAGE`], with CRLF: line-based clients get a complete, nonsense line.
    pub fn garbage() -> Reply {
        Reply::Text([GARBAGE, b"\r\n"].concat())
    }
    /// [`GARBAGE`] again and again, never a line end.
    pub fn endless_garbage() -> Reply {
        Reply::Endless(GARBAGE.to_vec())
    }
    /// This reply, then `next`.
    pub fn then(self, next: Reply) -> Reply {
        match self {
            Reply::Seq(mut v) => {
                v.push(next);
                Reply::Seq(v)
            }
            first => Reply::Seq(vec![first, next]),
        }
    }

    /// The certificate kinds this reply hands out.
    fn tls_kinds(&self, out: &mut Vec<LeafKind>) {
        match self {
            Reply::Tls(kind) if !out.contains(kind) => out.push(*kind),
            Reply::Seq(v) => v.iter().for_each(|r| r.tls_kinds(out)),
            _ => {}
        }
    }
}

/// What one connection is told.
#[derive(Debug, Clone)]
pub struct Script {
    greeting: Reply,
    rules: Vec<Rule>,
    otherwise: Reply,
}

#[derive(Debug, Clone)]
struct Rule {
    prefix: String,
    reply: Reply,
    /// Used up by its first match (on each connection).
    once: bool,
}

impl Script {
    pub fn new(greeting: Reply) -> Script {
        Script { greeting, rules: Vec::new(), otherwise: Reply::Silence }
    }

    /// Answers a command starting with `prefix` (after its tag, if any) with `reply`.
    pub fn on(mut self, prefix: &str, reply: Reply) -> Script {
        self.rules.push(Rule { prefix: prefix.to_ascii_uppercase(), reply, once: false });
        self
    }

    /// Like [`Script::on`], but only the first matching command of a connection gets
    /// `reply`; later ones go on to the rules after it (e.g. the first EHLO answered, the
    /// second not).
    pub fn once(mut self, prefix: &str, reply: Reply) -> Script {
        self.rules.push(Rule { prefix: prefix.to_ascii_uppercase(), reply, once: true });
        self
    }

    /// Answers any other command with `reply` (default: silence).
    pub fn otherwise(mut self, reply: Reply) -> Script {
        self.otherwise = reply;
        self
    }

    fn reply_for(&mut self, line: &str) -> Reply {
        let upper = line.to_ascii_uppercase();
        let after_tag = upper.split_once(' ').map_or("", |(_, r)| r);
        let found = self
            .rules
            .iter()
            .position(|r| upper.starts_with(r.prefix.as_str()) || after_tag.starts_with(r.prefix.as_str()));
        match found {
            Some(i) if self.rules[i].once => self.rules.remove(i).reply,
            Some(i) => self.rules[i].reply.clone(),
            None => self.otherwise.clone(),
        }
    }

    fn tls_kinds(&self, out: &mut Vec<LeafKind>) {
        self.greeting.tls_kinds(out);
        self.rules.iter().for_each(|r| r.reply.tls_kinds(out));
    }
}

#[derive(Default)]
struct Record {
    bytes: Vec<u8>,
    commands: Vec<String>,
    connections: usize,
}

/// A running scripted server; drop it to shut it down.
pub struct Hostile {
    port: u16,
    record: Arc<Mutex<Record>>,
    task: JoinHandle<()>,
    _certs: Option<(TempDir, Arc<CertSet>)>,
}

impl std::fmt::Debug for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hostile(127.0.0.1:{})", self.port)
    }
}

/// Every kind of certificate, made once per server when a script asks for TLS.
struct CertSet(Vec<(LeafKind, Certs)>);

impl CertSet {
    fn get(&self, kind: LeafKind) -> Option<&Certs> {
        self.0.iter().find(|(k, _)| *k == kind).map(|(_, c)| c)
    }
}

impl Hostile {
    /// Every connection follows `script`.
    pub async fn start(script: Script) -> io::Result<Hostile> {
        Self::start_each(vec![script]).await
    }

    /// Connection i follows `scripts[i]`; those after the last follow the last.
    pub async fn start_each(scripts: Vec<Script>) -> io::Result<Hostile> {
        if scripts.is_empty() {
            return Err(io::Error::other("a hostile server needs a script"));
        }
        // Only the kinds the scripts hand out: each is a few runs of openssl.
        let mut kinds = Vec::new();
        scripts.iter().for_each(|s| s.tls_kinds(&mut kinds));
        let certs = if kinds.is_empty() { None } else { Some(make_certs(kinds).await?) };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let record = Arc::new(Mutex::new(Record::default()));
        let set = certs.as_ref().map(|(_, s)| Arc::clone(s));
        let task = tokio::spawn(accept_loop(listener, scripts, set, Arc::clone(&record)));
        Ok(Hostile { port, record, task, _certs: certs })
    }

    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything clients sent (after TLS: the plaintext), all connections in order.
    pub fn received(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// Every command line clients sent, all connections in order.
    pub fn commands(&self) -> Vec<String> {
        self.lock().commands.clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// The CA of the `Valid` certificate (for a client that should trust it), as a file.
    pub fn ca_path(&self) -> Option<&std::path::Path> {
        self._certs.as_ref().and_then(|(_, s)| s.get(LeafKind::Valid)).map(|c| c.ca_path.as_path())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn make_certs(kinds: Vec<LeafKind>) -> io::Result<(TempDir, Arc<CertSet>)> {
    tokio::task::spawn_blocking(move || -> Result<(TempDir, Arc<CertSet>), crate::TestkitError> {
        let openssl = crate::sys::openssl()?;
        let dir = tempfile::Builder::new()
            .prefix("tidings-hostile-")
            .tempdir()
            .map_err(crate::TestkitError::io("creating a temp dir"))?;
        let mut set = Vec::new();
        for (i, kind) in kinds.into_iter().enumerate() {
            let sub = dir.path().join(i.to_string());
            set.push((kind, certs::make_kind(&openssl, &sub, "Tidings hostile-server CA", kind)?));
        }
        Ok((dir, Arc::new(CertSet(set))))
    })
    .await
    .map_err(io::Error::other)?
    .map_err(io::Error::other)
}

async fn accept_loop(
    listener: TcpListener,
    scripts: Vec<Script>,
    certs: Option<Arc<CertSet>>,
    record: Arc<Mutex<Record>>,
) {
    let mut connections = JoinSet::new();
    let mut n = 0;
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((socket, _)) => {
                let _ = socket.set_nodelay(true);
                let script = scripts[n.min(scripts.len() - 1)].clone();
                n += 1;
                record.lock().unwrap_or_else(|e| e.into_inner()).connections += 1;
                let conn = Conn {
                    stream: Box::new(socket),
                    buf: Vec::new(),
                    record: Arc::clone(&record),
                    certs: certs.clone(),
                };
                connections.spawn(conn.run(script));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

struct Conn {
    stream: Box<dyn Stream>,
    buf: Vec<u8>,
    record: Arc<Mutex<Record>>,
    certs: Option<Arc<CertSet>>,
}

/// What a reply left the dialog in.
enum Next {
    Read,
    Stop,
}

impl Conn {
    async fn run(mut self, script: Script) {
        // Errors end the connection: all a scripted server does with them.
        let _ = self.dialog(script).await;
    }

    async fn dialog(&mut self, mut script: Script) -> io::Result<()> {
        if let Next::Stop = self.reply(&script.greeting, "").await? {
            return self.drain().await;
        }
        while let Some(line) = self.line().await? {
            let tag = line.split(' ').next().unwrap_or("").to_string();
            if let Next::Stop = self.reply(&script.reply_for(&line), &tag).await? {
                return self.drain().await;
            }
        }
        Ok(())
    }

    fn reply<'a>(
        &'a mut self,
        reply: &'a Reply,
        tag: &'a str,
    ) -> Pin<Box<dyn Future<Output = io::Result<Next>> + Send + 'a>> {
        Box::pin(async move {
            match reply {
                Reply::Text(bytes) => {
                    let text = String::from_utf8_lossy(bytes);
                    if text.contains("{tag}") {
                        self.send(text.replace("{tag}", tag).as_bytes()).await?;
                    } else {
                        self.send(bytes).await?;
                    }
                }
                Reply::Endless(chunk) => loop {
                    self.send(chunk).await?;
                },
                Reply::Trickle(chunk, every) => loop {
                    self.send(chunk).await?;
                    tokio::time::sleep(*every).await;
                },
                Reply::Pause(d) => tokio::time::sleep(*d).await,
                Reply::Close => {
                    let _ = self.stream.shutdown().await;
                    return Ok(Next::Stop);
                }
                Reply::Silence => return Ok(Next::Stop),
                Reply::Tls(kind) => self.tls(*kind).await?,
                Reply::Seq(all) => {
                    for r in all {
                        if let Next::Stop = self.reply(r, tag).await? {
                            return Ok(Next::Stop);
                        }
                    }
                }
            }
            Ok(Next::Read)
        })
    }

    async fn tls(&mut self, kind: LeafKind) -> io::Result<()> {
        let certs = self.certs.clone().ok_or_else(|| io::Error::other("no certificates made"))?;
        let c = certs.get(kind).ok_or_else(|| io::Error::other("no certificate of that kind made"))?;
        let identity =
            native_tls::Identity::from_pkcs8(&c.chain_pem, &c.key_pem).map_err(io::Error::other)?;
        let acceptor: tokio_native_tls::TlsAcceptor =
            native_tls::TlsAcceptor::new(identity).map_err(io::Error::other)?.into();
        // Bytes the client sent ahead of the handshake are not part of the TLS dialog.
        self.buf.clear();
        let plain = std::mem::replace(&mut self.stream, Box::new(duplex::Empty));
        let tls = acceptor.accept(plain).await.map_err(io::Error::other)?;
        self.stream = Box::new(tls);
        Ok(())
    }

    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    async fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(false);
        }
        self.record.lock().unwrap_or_else(|e| e.into_inner()).bytes.extend_from_slice(&chunk[..n]);
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(true)
    }

    async fn line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = self.buf.drain(..=pos).collect();
                let line = String::from_utf8_lossy(&raw).trim_end_matches(['\r', '\n']).to_string();
                self.record.lock().unwrap_or_else(|e| e.into_inner()).commands.push(line.clone());
                return Ok(Some(line));
            }
            if self.buf.len() > MAX_LINE {
                // Not a command line: dropped, so a client that never ends one costs nothing.
                self.buf.clear();
                return Ok(None);
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    /// Keeps reading (and recording) until the client closes.
    async fn drain(&mut self) -> io::Result<()> {
        while self.fill().await? {
            while self.line().await?.is_some() {}
        }
        Ok(())
    }
}

/// A stream that is never read or written: the placeholder while TLS takes the socket.
mod duplex {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    pub struct Empty;

    impl AsyncRead for Empty {
        fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, _: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Empty {
        fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
            Poll::Ready(Err(io::ErrorKind::NotConnected.into()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
}

/// The environment variable that carries a child's arguments (one per line).
pub const CHILD_ARGS: &str = "TIDINGS_HOSTILE_ARGS";

/// What a child client printed, and the most memory it held.
#[derive(Debug, Clone)]
pub struct ChildRun {
    /// Its stdout lines, but the last (the measurement).
    pub lines: Vec<String>,
    /// Its peak resident set size (VmHWM), KiB.
    pub peak_rss_kb: u64,
}

impl ChildRun {
    /// The value of the first line `key: value`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines.iter().find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
    }
}

/// Runs the ignored test `name` of the running test binary as a child process, with `args`
/// in [`CHILD_ARGS`], so that what the client holds in memory is measured apart from the
/// server (in this process). The child ends with [`child_done`]. A child that runs longer
/// than `limit` is killed: an error, as is a child that fails.
pub fn run_child(name: &str, args: &[String], limit: Duration) -> Result<ChildRun, String> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = crate::kill::child_command(name, CHILD_ARGS, args)
        .map_err(|e| e.to_string())?
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Read both pipes as the child writes them: a child that writes more than a pipe holds
    // would otherwise wait for us while we wait for it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the child {name} {args:?} ran longer than {limit:?}: killed"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("the child {name} {args:?} failed ({status}):\n{out}\n{err}"));
    }
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    let peak_rss_kb = lines
        .iter()
        .rposition(|l| l.starts_with("peak-rss-kb: "))
        .map(|i| lines.remove(i))
        .and_then(|l| l.trim_start_matches("peak-rss-kb: ").trim().parse().ok())
        .ok_or_else(|| format!("the child {name} printed no measurement:\n{out}\n{err}"))?;
    Ok(ChildRun { lines, peak_rss_kb })
}

/// [`run_child`] from async code (on a blocking thread, so the server keeps running): the
/// child's run, or why it failed.
pub async fn run_child_async(name: &str, args: Vec<String>, limit: Duration) -> Result<ChildRun, String> {
    let name = name.to_string();
    tokio::task::spawn_blocking(move || run_child(&name, &args, limit)).await.map_err(|e| e.to_string())?
}

/// Files named `*.part` (a POP3 download's spool) anywhere under `dir`.
pub fn part_files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "part") {
                out.push(e.path().display().to_string());
            }
        }
    }
    out
}

/// In the child: its arguments (empty when it was not started by [`run_child`], e.g. by a
/// plain `cargo test -- --ignored`).
pub fn child_args() -> Vec<String> {
    // The test harness has printed "test NAME ... " without a line end.
    println!();
    std::env::var(CHILD_ARGS).map(|v| v.lines().map(str::to_string).collect()).unwrap_or_default()
}

/// In the child: prints `key: value` for the parent.
pub fn child_say(key: &str, value: impl std::fmt::Display) {
    let value = value.to_string().replace('\n', " ");
    println!("{key}: {value}");
}

/// In the child, last: prints its peak memory.
pub fn child_done() {
    println!("peak-rss-kb: {}", crate::bench::peak_rss_kb());
}
