//! A small stateful IMAP server for what Dovecot will not do on demand: greet and answer
//! LOGIN with an `[ALERT]`, send alerts in the middle of a sync or while idling, and hold
//! back a message whose header is raw UTF-8 until the client sends `ENABLE UTF8=ACCEPT`
//! (RFC 6855 lets a server show a stand-in instead). One INBOX with one message; enough of
//! LIST, LSUB, SELECT, UID SEARCH, UID FETCH, IDLE, NOOP and LOGOUT for the sync engine and
//! the IDLE watcher. Logs every command line.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The header a client that enabled UTF-8 gets.
pub const UTF8_HEADER: &str = "From: =?utf-8?q?J=C3=B6rg?= <joerg@example.test>\r\nSubject: Grüße aus Köln\r\n\
                               Date: Fri, 21 Nov 2026 04:40:00 +0000\r\nMessage-ID: <u1@example.test>\r\n\r\n";
/// What the others get in its place.
pub const STAND_IN: &str = "From: <postmaster@example.test>\r\nSubject: [message with a UTF-8 header \
                            cannot be displayed]\r\nDate: Fri, 21 Nov 2026 04:40:00 +0000\r\n\r\n";

#[derive(Debug, Clone)]
pub struct Script {
    /// Without the CRLF.
    pub greeting: String,
    pub capabilities: String,
    /// The answer to LOGIN, `{tag}` replaced.
    pub login: String,
    /// Untagged lines sent before the tagged OK of SELECT.
    pub select_extra: String,
    /// Untagged lines sent right after "+ idling".
    pub idle_extra: String,
    /// The answer to ENABLE, `{tag}` replaced (None: `* ENABLED …` and OK for what was asked).
    pub enable: Option<String>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            greeting: "* OK IMAP4rev1 ready".into(),
            capabilities: "IMAP4rev1 IDLE ENABLE UTF8=ACCEPT".into(),
            login: "{tag} OK logged in\r\n".into(),
            select_extra: String::new(),
            idle_extra: String::new(),
            enable: None,
        }
    }
}

pub struct Server {
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(script: Script) -> Server {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (script, log) = (script.clone(), shared.clone());
                tokio::spawn(async move {
                    let _ = session(stream, script, log).await;
                });
            }
        });
        Server { port, log, task }
    }

    /// Every command line received, all connections in order.
    pub fn commands(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

async fn session(stream: TcpStream, script: Script, log: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(format!("{}\r\n", script.greeting).as_bytes()).await?;
    let mut utf8 = false;
    let mut idle_tag = None;
    while let Some(line) = lines.next_line().await? {
        log.lock().unwrap().push(line.clone());
        if line == "DONE" {
            let tag: String = idle_tag.take().unwrap_or_default();
            write.write_all(format!("{tag} OK idle done\r\n").as_bytes()).await?;
            continue;
        }
        let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let upper = rest.to_ascii_uppercase();
        let ok = format!("{tag} OK done\r\n");
        let reply = if upper.starts_with("CAPABILITY") {
            format!("* CAPABILITY {}\r\n{ok}", script.capabilities)
        } else if upper.starts_with("LOGIN") {
            script.login.replace("{tag}", tag)
        } else if upper.starts_with("ENABLE") {
            match &script.enable {
                Some(reply) => reply.replace("{tag}", tag),
                None => {
                    utf8 = upper.contains("UTF8=ACCEPT");
                    let enabled = if utf8 { " UTF8=ACCEPT" } else { "" };
                    format!("* ENABLED{enabled}\r\n{ok}")
                }
            }
        } else if upper.starts_with("LIST") {
            format!("* LIST (\\HasNoChildren) \"/\" INBOX\r\n{ok}")
        } else if upper.starts_with("LSUB") {
            format!("* LSUB () \"/\" INBOX\r\n{ok}")
        } else if upper.starts_with("SELECT") || upper.starts_with("EXAMINE") {
            format!(
                "* FLAGS (\\Seen \\Answered)\r\n* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n{}{tag} OK [READ-WRITE] selected\r\n",
                script.select_extra
            )
        } else if upper.starts_with("UID SEARCH") {
            format!("* SEARCH 1\r\n{ok}")
        } else if upper.starts_with("UID FETCH") && upper.contains("HEADER.FIELDS") {
            let header = if utf8 { UTF8_HEADER } else { STAND_IN };
            let section = &rest[rest.find("BODY.PEEK[").map_or(0, |i| i + "BODY.PEEK".len())..];
            let section = section.strip_suffix(')').unwrap_or(section);
            format!(
                "* 1 FETCH (UID 1 FLAGS () RFC822.SIZE {} INTERNALDATE \"21-Nov-2026 04:40:00 +0000\" BODY{section} {{{}}}\r\n{header})\r\n{ok}",
                header.len() + 20,
                header.len()
            )
        } else if upper.starts_with("UID FETCH") {
            format!("* 1 FETCH (UID 1 FLAGS ())\r\n{ok}")
        } else if upper.starts_with("IDLE") {
            idle_tag = Some(tag.to_string());
            format!("+ idling\r\n{}", script.idle_extra)
        } else if upper.starts_with("NOOP") || upper.starts_with("CLOSE") || upper.starts_with("ID ") {
            ok
        } else if upper.starts_with("LOGOUT") {
            write.write_all(format!("* BYE bye\r\n{ok}").as_bytes()).await?;
            return Ok(());
        } else {
            format!("{tag} BAD unknown command\r\n")
        };
        write.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}
