//! A small line reader/writer over a [`Connection`], for the parts of a session we speak
//! ourselves (greetings, capabilities, STARTTLS, POP3). Lines have a maximum length, and the
//! buffer is inspected when the connection is handed on, so that bytes a server sends after
//! a STARTTLS answer are discarded (RFC 2595, and the STARTTLS command-injection attack).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::connection::Connection;
use super::tls::TrustAnchors;
use crate::error::{Error, Kind, Result};

pub use crate::limits::MAX_LINE;
use crate::limits::MAX_REPLY_BYTES;

#[derive(Debug)]
pub struct LineConn {
    conn: Connection,
    buf: Vec<u8>,
    /// Bytes of the answer to our last command (or of the greeting) taken so far: at most
    /// `MAX_REPLY_BYTES`, so endless lines that never complete the answer end.
    answer: usize,
}

impl LineConn {
    pub fn new(conn: Connection) -> LineConn {
        LineConn { conn, buf: Vec::new(), answer: 0 }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// One line without its line ending.
    pub async fn read_line(&mut self) -> Result<String> {
        let bytes = self.read_line_bytes().await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// One line without its line ending, as bytes (message text may be 8-bit). The lines
    /// of one answer (everything since our last command) hold at most `MAX_REPLY_BYTES`:
    /// these are greetings, capability lists and the other answers spoken before login.
    pub async fn read_line_bytes(&mut self) -> Result<Vec<u8>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                self.answer += pos + 1;
                if self.answer > MAX_REPLY_BYTES {
                    return Err(Error::new(
                        Kind::Protocol,
                        format!(
                            "{} sent an answer without end (more than {} bytes)",
                            self.conn.host(),
                            MAX_REPLY_BYTES
                        ),
                    ));
                }
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() > MAX_LINE {
                return Err(Error::new(
                    Kind::Protocol,
                    format!("{} sent a line longer than {} bytes", self.conn.host(), MAX_LINE),
                ));
            }
            let mut chunk = [0u8; 8192];
            let n = self.conn.read(&mut chunk).await.map_err(|e| io_error(&self.conn, e))?;
            if n == 0 {
                return Err(Error::new(Kind::Network, format!("{} closed the connection", self.conn.host())));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    pub async fn send_line(&mut self, line: &str) -> Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.send_raw(&bytes).await
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.answer = 0;
        self.conn.write_all(bytes).await.map_err(|e| io_error(&self.conn, e))?;
        self.conn.flush().await.map_err(|e| io_error(&self.conn, e))
    }

    /// Hands the connection on. Bytes the server sent ahead of our next command are dropped
    /// (and noted): nothing unasked-for may cross a TLS upgrade or a change of parser.
    pub fn into_connection(self) -> Connection {
        if !self.buf.is_empty() {
            self.conn
                .transcript()
                .note(format!("discarded {} bytes the server sent ahead of time", self.buf.len()));
        }
        self.conn
    }

    /// TLS upgrade after the server accepted STARTTLS/STLS.
    pub async fn upgrade(self, trust: &TrustAnchors) -> Result<LineConn> {
        let conn = self.into_connection().start_tls(trust).await?;
        Ok(LineConn::new(conn))
    }
}

/// An I/O error on a live connection, in words.
pub fn io_error(conn: &Connection, e: std::io::Error) -> Error {
    if let Some(err) = limit_error(&e) {
        return err;
    }
    if let Some(m) = super::connection::Mismatch::find(&e) {
        let err = Error::new(m.kind, m.message.clone());
        // Kept so that the error still counts as a timeout, without saying it twice.
        return if e.kind() == std::io::ErrorKind::TimedOut {
            err.with_source(std::io::Error::from(e.kind()))
        } else {
            err
        };
    }
    let msg = match e.kind() {
        std::io::ErrorKind::TimedOut => format!("{} stopped answering", conn.host()),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
            format!("{} cut the connection", conn.host())
        }
        _ => format!("the connection to {} failed", conn.host()),
    };
    Error::network(msg, e)
}

/// An error of the connection's limits (`super::guard`), wherever it is in `e`'s chain: a
/// protocol error (the server sent too much) or a network one (too slow), with its words.
pub fn limit_error(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
    let x = super::guard::exceeded(e)?;
    let kind = if x.slow { Kind::Network } else { Kind::Protocol };
    Some(Error::new(kind, x.message.clone()))
}
