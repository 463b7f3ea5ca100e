//! A scripted SMTP submission server for the replies a real Postfix will not give on demand:
//! Exchange Online's `535 5.7.139`, `530` before STARTTLS, `552` after the data, a
//! temporary `450`, a connection cut after the message's end marker (the client cannot know
//! whether the message was taken), a slow reply. Plain TCP on 127.0.0.1 (no STARTTLS): the
//! client must be set to no encryption. Accepts any credentials unless the script says
//! otherwise, records every byte it received and every message it accepted.
//!
//! Needs a tokio runtime; dropping the server stops it and its connections.

use std::io;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// What the server answers. Replies are whole lines without CRLF (multi-line ones joined
/// with "\r\n").
#[derive(Debug, Clone)]
pub struct SmtpScript {
    /// The EHLO extension lines after the greeting line.
    pub extensions: Vec<String>,
    /// The answer that ends AUTH (after the credentials).
    pub auth_reply: String,
    pub mail_reply: String,
    pub rcpt_reply: String,
    /// The answer to the message after its end marker.
    pub end_reply: String,
    /// Close the connection after the end marker without answering, for the first this
    /// many messages (the rest get `end_reply`).
    pub cut_after_data: usize,
    /// Wait this long before answering the end marker.
    pub delay_end: Option<Duration>,
}

impl Default for SmtpScript {
    fn default() -> Self {
        SmtpScript {
            extensions: vec!["PIPELINING".into(), "8BITMIME".into(), "AUTH PLAIN LOGIN".into()],
            auth_reply: "235 2.7.0 Authentication successful".into(),
            mail_reply: "250 2.1.0 Ok".into(),
            rcpt_reply: "250 2.1.5 Ok".into(),
            end_reply: "250 2.0.0 Ok: queued as SCRIPT".into(),
            cut_after_data: 0,
            delay_end: None,
        }
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<u8>,
    /// Messages whose end marker arrived (cut or answered), dot-unstuffed, CRLF.
    messages: Vec<Vec<u8>>,
    cut_left: usize,
}

/// A running scripted server; drop it to stop it.
pub struct SmtpScriptServer {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl Drop for SmtpScriptServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpScriptServer {
    pub async fn start(script: SmtpScript) -> io::Result<SmtpScriptServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Mutex::new(Shared { cut_left: script.cut_after_data, ..Shared::default() }));
        let task = tokio::spawn(accept_loop(listener, script, Arc::clone(&shared)));
        Ok(SmtpScriptServer { port, shared, task })
    }

    pub fn host(&self) -> &str {
        "127.0.0.1"
    }
    pub fn port(&self) -> u16 {
        self.port
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every byte clients sent, all connections in arrival order.
    pub fn received(&self) -> Vec<u8> {
        self.lock().received.clone()
    }

    /// The messages whose end marker arrived (whatever the answer), as the client meant
    /// them (dot-stuffing undone).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.lock().messages.clone()
    }
}

async fn accept_loop(listener: TcpListener, script: SmtpScript, shared: Arc<Mutex<Shared>>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((socket, _)) => {
                let (script, shared) = (script.clone(), Arc::clone(&shared));
                connections.spawn(async move {
                    let _ = serve(socket, &script, &shared).await;
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

struct Conn<'a> {
    socket: TcpStream,
    buf: Vec<u8>,
    shared: &'a Mutex<Shared>,
}

impl Conn<'_> {
    async fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(line));
            }
            let mut chunk = [0u8; 16384];
            let n = self.socket.read(&mut chunk).await?;
            if n == 0 {
                return Ok(None);
            }
            self.shared.lock().unwrap_or_else(|e| e.into_inner()).received.extend_from_slice(&chunk[..n]);
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn send(&mut self, reply: &str) -> io::Result<()> {
        self.socket.write_all(format!("{reply}\r\n").as_bytes()).await?;
        self.socket.flush().await
    }
}

async fn serve(socket: TcpStream, script: &SmtpScript, shared: &Mutex<Shared>) -> io::Result<()> {
    let _ = socket.set_nodelay(true);
    let mut c = Conn { socket, buf: Vec::new(), shared };
    c.send("220 script.example.test ESMTP ready").await?;
    while let Some(line) = c.line().await? {
        let text = String::from_utf8_lossy(&line).to_string();
        let upper = text.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("").to_string();
        match verb.as_str() {
            "EHLO" => {
                let mut lines = vec!["script.example.test".to_string()];
                lines.extend(script.extensions.iter().cloned());
                let n = lines.len();
                let reply: Vec<String> = lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}", if i + 1 == n { ' ' } else { '-' }))
                    .collect();
                c.send(&reply.join("\r\n")).await?;
            }
            "AUTH" => {
                let words = upper.split_whitespace().count();
                let prompts: &[&str] = match (upper.contains("LOGIN"), words) {
                    (false, 2) => &["334 "],
                    (true, 2) => &["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6"],
                    (true, _) => &["334 UGFzc3dvcmQ6"],
                    _ => &[],
                };
                for prompt in prompts {
                    c.send(prompt).await?;
                    if c.line().await?.is_none() {
                        return Ok(());
                    }
                }
                c.send(&script.auth_reply).await?;
            }
            "MAIL" => c.send(&script.mail_reply).await?,
            "RCPT" => c.send(&script.rcpt_reply).await?,
            "DATA" => {
                c.send("354 End data with <CR><LF>.<CR><LF>").await?;
                let mut message = Vec::new();
                loop {
                    let Some(l) = c.line().await? else { return Ok(()) };
                    if l == b"." {
                        break;
                    }
                    message.extend_from_slice(l.strip_prefix(b".").unwrap_or(&l));
                    message.extend_from_slice(b"\r\n");
                }
                let cut = {
                    let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
                    s.messages.push(message);
                    let cut = s.cut_left > 0;
                    s.cut_left = s.cut_left.saturating_sub(1);
                    cut
                };
                if cut {
                    return c.socket.shutdown().await;
                }
                if let Some(d) = script.delay_end {
                    tokio::time::sleep(d).await;
                }
                c.send(&script.end_reply).await?;
            }
            "RSET" | "NOOP" => c.send("250 2.0.0 Ok").await?,
            "QUIT" => return c.send("221 2.0.0 Bye").await,
            "STARTTLS" => c.send("502 5.5.1 STARTTLS is not offered here").await?,
            _ => c.send("502 5.5.2 Error: command not recognized").await?,
        }
    }
    Ok(())
}
