//! One scripted connection: line reading that records every byte the client sends, and
//! writing under an optional byte budget (for `drop_after`).

use std::io;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest line we buffer before giving up on a client (protects the test process).
const MAX_LINE: usize = 1 << 20;

pub(crate) struct Session<S> {
    stream: S,
    /// Read but not yet consumed.
    buf: Vec<u8>,
    received: Arc<Mutex<Vec<u8>>>,
    /// Bytes we may still write before closing; `None` = unlimited.
    budget: Option<usize>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    pub fn new(stream: S, received: Arc<Mutex<Vec<u8>>>, budget: Option<usize>) -> Self {
        Session { stream, buf: Vec::new(), received, budget }
    }

    /// Reads one chunk from the client into the buffer (and the record). False at EOF.
    pub async fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(false);
        }
        self.received.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]);
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(true)
    }

    /// The next line without its CRLF (lossy UTF-8); `None` when the client closed.
    pub async fn line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = self.buf.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&raw);
                return Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()));
            }
            if self.buf.len() > MAX_LINE {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    /// Exactly `n` bytes (an IMAP literal); `None` when the client closed first.
    pub async fn exact(&mut self, n: usize) -> io::Result<Option<Vec<u8>>> {
        while self.buf.len() < n {
            if n > MAX_LINE * 16 || !self.fill().await? {
                return Ok(None);
            }
        }
        Ok(Some(self.buf.drain(..n).collect()))
    }

    /// Writes `data`, or as much of it as the budget allows; once the budget is spent the
    /// connection is shut down and an error ends the dialog.
    pub async fn send(&mut self, data: impl AsRef<[u8]>) -> io::Result<()> {
        let data = data.as_ref();
        let Some(left) = self.budget else {
            self.stream.write_all(data).await?;
            return self.stream.flush().await;
        };
        let n = left.min(data.len());
        self.stream.write_all(&data[..n]).await?;
        self.stream.flush().await?;
        self.budget = Some(left - n);
        if left - n == 0 {
            self.linger().await;
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "byte budget spent: closing"));
        }
        Ok(())
    }

    /// Closes our side, then keeps reading (and recording) until the client closes or 2 s
    /// pass: closing with unread input would send a RST, which can make the client's kernel
    /// discard the bytes we did send before the client reads them.
    async fn linger(&mut self) {
        let _ = self.stream.shutdown().await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), self.drain()).await;
    }

    /// Reads (and records) until the client closes; never writes.
    pub async fn drain(&mut self) -> io::Result<()> {
        while self.fill().await? {
            self.buf.clear();
        }
        Ok(())
    }

    /// Discards what was read but not consumed (after answering a chunk as a whole).
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}
