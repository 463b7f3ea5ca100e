//! A small scripted POP3 server for what Dovecot will not do on demand: refuse a login with
//! a given line, lack UIDL or PIPELINING, refuse QUIT, cut the connection at a chosen
//! command, send an answer slowly or stall. It keeps a mailbox, applies DELE only on a QUIT
//! it accepts (like a real server), and logs every command with whether more commands were
//! already waiting behind it (pipelining).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Script {
    pub caps: Vec<&'static str>,
    pub uidl: bool,
    /// The answer to PASS.
    pub pass_reply: String,
    pub quit_reply: String,
    /// Close the connection on receiving the command of this 1-based index in the session
    /// (counting every command), after `cut_after_bytes` of its answer.
    pub cut_at_command: Option<usize>,
    pub cut_after_bytes: usize,
    /// RETR answers go out in this many pieces with this pause between them.
    pub slow_retr: Option<(usize, Duration)>,
    /// After the status line of a RETR, send nothing more.
    pub stall_retr: bool,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            caps: vec!["USER", "UIDL", "TOP", "PIPELINING", "RESP-CODES"],
            uidl: true,
            pass_reply: "+OK logged in".into(),
            quit_reply: "+OK bye".into(),
            cut_at_command: None,
            cut_after_bytes: 0,
            slow_retr: None,
            stall_retr: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub line: String,
    /// Complete command lines already received behind this one when it was read.
    pub queued_behind: usize,
}

#[derive(Default)]
struct Shared {
    /// (UID, message); numbered from 1 in each session.
    mailbox: Vec<(String, Vec<u8>)>,
    next_uid: usize,
    log: Vec<Logged>,
}

pub struct Server {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(script: Script, messages: Vec<Vec<u8>>) -> Server {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        for m in messages {
            shared.lock().unwrap().push(m);
        }
        let s = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                // One session at a time, like a maildrop lock.
                let _ = session(sock, &script, &s).await;
            }
        });
        Server { port, shared, task }
    }

    pub fn log(&self) -> Vec<Logged> {
        self.shared.lock().unwrap().log.clone()
    }

    pub fn commands(&self) -> Vec<String> {
        self.log().into_iter().map(|l| l.line).collect()
    }

    /// Messages still on the server.
    pub fn remaining(&self) -> usize {
        self.shared.lock().unwrap().mailbox.len()
    }

    pub fn add(&self, raw: Vec<u8>) {
        self.shared.lock().unwrap().push(raw);
    }
}

impl Shared {
    fn push(&mut self, raw: Vec<u8>) {
        self.next_uid += 1;
        self.mailbox.push((format!("uid-{}", self.next_uid), raw));
    }
}

fn stuff(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 8);
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b".\r\n");
    out
}

async fn session(mut sock: TcpStream, script: &Script, shared: &Mutex<Shared>) -> std::io::Result<()> {
    sock.write_all(b"+OK scripted POP3 ready\r\n").await?;
    let mut buf: Vec<u8> = Vec::new();
    let mut marked: Vec<usize> = Vec::new();
    let mut count = 0;
    loop {
        let Some(pos) = buf.iter().position(|&b| b == b'\n') else {
            let mut chunk = [0u8; 4096];
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            continue;
        };
        let line: Vec<u8> = buf.drain(..=pos).collect();
        let line = String::from_utf8_lossy(&line).trim_end().to_string();
        let queued_behind = buf.iter().filter(|&&b| b == b'\n').count();
        count += 1;
        shared.lock().unwrap().log.push(Logged { line: line.clone(), queued_behind });
        let mut words = line.split_ascii_whitespace();
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let n: Option<usize> = words.next().and_then(|w| w.parse().ok());
        let answer: Vec<u8> = {
            let sh = shared.lock().unwrap();
            let msg = n.and_then(|n| sh.mailbox.get(n.wrapping_sub(1))).map(|(_, m)| m);
            let msg = msg.filter(|_| !n.is_some_and(|n| marked.contains(&n)));
            match (verb.as_str(), msg) {
                ("CAPA", _) => format!("+OK\r\n{}\r\n.\r\n", script.caps.join("\r\n")).into_bytes(),
                ("USER", _) | ("NOOP", _) => b"+OK\r\n".to_vec(),
                ("PASS", _) => format!("{}\r\n", script.pass_reply).into_bytes(),
                ("STAT", _) => format!("+OK {} 0\r\n", sh.mailbox.len() - marked.len()).into_bytes(),
                ("LIST", _) | ("UIDL", _) if verb == "UIDL" && !script.uidl => {
                    b"-ERR unknown command\r\n".to_vec()
                }
                ("LIST", _) | ("UIDL", _) => {
                    let mut out = b"+OK\r\n".to_vec();
                    for (i, (uid, m)) in sh.mailbox.iter().enumerate() {
                        if !marked.contains(&(i + 1)) {
                            let v = if verb == "LIST" { m.len().to_string() } else { uid.clone() };
                            out.extend_from_slice(format!("{} {v}\r\n", i + 1).as_bytes());
                        }
                    }
                    out.extend_from_slice(b".\r\n");
                    out
                }
                ("RETR", Some(m)) => {
                    let mut out = format!("+OK {} octets\r\n", m.len()).into_bytes();
                    out.extend_from_slice(&stuff(m));
                    out
                }
                ("TOP", Some(m)) => {
                    let end = m.windows(4).position(|w| w == b"\r\n\r\n").map_or(m.len(), |p| p + 4);
                    let mut out = b"+OK\r\n".to_vec();
                    out.extend_from_slice(&stuff(&m[..end]));
                    out
                }
                ("DELE", Some(_)) => {
                    marked.push(n.unwrap_or(0));
                    b"+OK marked\r\n".to_vec()
                }
                ("RSET", _) => {
                    marked.clear();
                    b"+OK\r\n".to_vec()
                }
                ("QUIT", _) => format!("{}\r\n", script.quit_reply).into_bytes(),
                _ => b"-ERR no such message\r\n".to_vec(),
            }
        };
        if script.cut_at_command == Some(count) {
            let cut = script.cut_after_bytes.min(answer.len());
            sock.write_all(&answer[..cut]).await?;
            return Ok(());
        }
        if verb == "RETR" && answer.starts_with(b"+OK") {
            if script.stall_retr {
                let status = answer.iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
                sock.write_all(&answer[..status]).await?;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            if let Some((pieces, pause)) = script.slow_retr {
                let size = answer.len().div_ceil(pieces);
                for piece in answer.chunks(size) {
                    sock.write_all(piece).await?;
                    tokio::time::sleep(pause).await;
                }
                continue;
            }
        }
        sock.write_all(&answer).await?;
        if verb == "QUIT" {
            if script.quit_reply.starts_with("+OK") {
                let mut sh = shared.lock().unwrap();
                let mut k = 0;
                sh.mailbox.retain(|_| {
                    k += 1;
                    !marked.contains(&k)
                });
            }
            return Ok(());
        }
    }
}

/// A small message with a Message-ID.
pub fn message(i: usize) -> Vec<u8> {
    format!("Subject: scripted {i}\r\nMessage-ID: <scripted.{i}@example.test>\r\n\r\nbody {i}\r\n.dotted\r\n")
        .into_bytes()
}
