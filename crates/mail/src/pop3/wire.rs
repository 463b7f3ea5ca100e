//! The POP3 byte stream: status lines with a maximum length, and message data read in large
//! slices, dot-unstuffed on the fly and handed to any `Write` (a file, a spool, memory).
//!
//! Why not [`crate::net::LineConn`]: it drains its buffer one line at a time (a memmove of
//! the rest per line) and caps every line; a message is millions of lines and may hold a
//! line of any length. Here the buffer is consumed by moving an index, and message data is
//! never split into lines at all: it is searched (memchr) for lines that start with "." (a
//! stuffed dot, or the terminating "."), and what lies between goes out in one piece.

use std::io::Write;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, Kind, Result};
use crate::net::lines::io_error;
use crate::net::transcript::{dot_line, find_lf};
use crate::net::{Connection, TrustAnchors};

pub use crate::limits::MAX_LINE;
use crate::limits::MAX_MESSAGE;

/// How message data ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Capped {
    /// At its terminating ".": this many bytes.
    Whole(u64),
    /// Stopped after this many bytes, past the maximum.
    Over(u64),
}
/// Read buffer; TLS hands over at most one 16 KiB record per read.
const BUF: usize = 64 * 1024;

#[derive(Debug)]
pub(crate) struct Wire {
    conn: Connection,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Wire {
    pub fn new(conn: Connection) -> Wire {
        Wire { conn, buf: vec![0; BUF], start: 0, end: 0 }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Reads more bytes, keeping the unread ones. Fails on end of stream.
    async fn fill(&mut self) -> Result<()> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                // Only a status line can fill the whole buffer; read_line caps it.
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let n = self.conn.read(&mut self.buf[self.end..]).await.map_err(|e| io_error(&self.conn, e))?;
        if n == 0 {
            return Err(Error::new(
                Kind::Network,
                format!("{} closed the connection in the middle of an answer", self.conn.host()),
            ));
        }
        self.end += n;
        Ok(())
    }

    /// Waits until at least `n` unread bytes are buffered.
    async fn need(&mut self, n: usize) -> Result<()> {
        while self.end - self.start < n {
            self.fill().await?;
        }
        Ok(())
    }

    /// One line without its line ending (status lines, CAPA/LIST/UIDL entries).
    pub async fn read_line(&mut self) -> Result<Vec<u8>> {
        let mut scanned = 0;
        loop {
            let avail = &self.buf[self.start + scanned..self.end];
            if let Some(pos) = find_lf(avail) {
                let stop = self.start + scanned + pos;
                let mut line = self.buf[self.start..stop].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.start = stop + 1;
                return Ok(line);
            }
            scanned = self.end - self.start;
            if scanned > MAX_LINE {
                return Err(Error::new(
                    Kind::Protocol,
                    format!("{} sent a line longer than {MAX_LINE} bytes", self.conn.host()),
                ));
            }
            self.fill().await?;
        }
    }

    /// Message data up to the terminating "." line, dot-unstuffed, into `out`: line endings
    /// exactly as sent (CRLF), the terminator removed. Returns the bytes written; more than
    /// `MAX_MESSAGE` of them is an error (the session cannot go on after it).
    pub async fn read_data<W: Write + ?Sized>(&mut self, out: &mut W) -> Result<u64> {
        match self.read_data_capped(out, MAX_MESSAGE).await? {
            Capped::Whole(n) => Ok(n),
            Capped::Over(_) => Err(Error::new(
                Kind::Protocol,
                format!(
                    "{} sent a message longer than {}, the largest Tidings takes",
                    self.conn.host(),
                    crate::limits::size(MAX_MESSAGE)
                ),
            )),
        }
    }

    /// [`Wire::read_data`], stopping once more than `max` bytes came: then the rest of the
    /// answer is still on the wire, and the session cannot be used any more. Memory use is
    /// the read buffer, whatever the size of the message or of its lines.
    pub async fn read_data_capped<W: Write + ?Sized>(&mut self, out: &mut W, max: u64) -> Result<Capped> {
        let mut written = 0u64;
        let mut line_start = true;
        loop {
            if self.start == self.end {
                self.fill().await?;
            }
            if line_start {
                line_start = false;
                if self.buf[self.start] == b'.' {
                    self.need(2).await?;
                    let second = self.buf[self.start + 1];
                    if second == b'\n' {
                        self.start += 2;
                        return Ok(Capped::Whole(written));
                    }
                    if second == b'\r' {
                        self.need(3).await?;
                        if self.buf[self.start + 2] == b'\n' {
                            self.start += 3;
                            return Ok(Capped::Whole(written));
                        }
                    }
                    // A stuffed dot: the line really starts after it (RFC 1939 3).
                    self.start += 1;
                    continue;
                }
            }
            // Only a line that starts with "." needs a look: everything up to the next one
            // (or to the end of what is buffered) is data, written in one piece.
            let avail = &self.buf[self.start..self.end];
            let take = match dot_line(avail) {
                Some(pos) => {
                    line_start = true;
                    pos + 1
                }
                None => {
                    line_start = avail.last() == Some(&b'\n');
                    avail.len()
                }
            };
            out.write_all(&avail[..take]).map_err(|e| {
                Error::storage("cannot write a downloaded message to disk (is the disk full?)", e)
            })?;
            written += take as u64;
            self.start += take;
            if written > max {
                return Ok(Capped::Over(written));
            }
        }
    }

    /// Writes `bytes` (one or several commands) and flushes.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.conn.write_all(bytes).await.map_err(|e| io_error(&self.conn, e))?;
        self.conn.flush().await.map_err(|e| io_error(&self.conn, e))
    }

    /// TLS upgrade after +OK to STLS. Anything the server sent ahead of the handshake is
    /// dropped and noted (RFC 2595; the STARTTLS command-injection attack).
    pub async fn upgrade(self, trust: &TrustAnchors) -> Result<Wire> {
        let ahead = self.end - self.start;
        if ahead > 0 {
            self.conn.transcript().note(format!("discarded {ahead} bytes the server sent ahead of time"));
        }
        Ok(Wire::new(self.conn.start_tls(trust).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_lf_agrees_with_a_plain_search() {
        let mut data = vec![b'a'; 100];
        assert_eq!(find_lf(&data), None);
        for pos in [0, 1, 7, 8, 9, 15, 16, 63, 99] {
            data.fill(b'x');
            data[pos] = b'\n';
            assert_eq!(find_lf(&data), Some(pos), "{pos}");
            // Bytes that differ from '\n' by one bit or have the high bit set don't match.
            data.fill(0x8a);
            data[pos] = b'\n';
            assert_eq!(find_lf(&data), Some(pos), "{pos}");
        }
        assert_eq!(find_lf(b""), None);
        assert_eq!(find_lf(b"\x0b\x09\x8a\x0a"), Some(3));
    }
}
