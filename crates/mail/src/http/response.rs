//! Reading one HTTP/1.1 response: the head, then the body by Content-Length, chunked, or
//! until the server closes, never more than the caller's limit. Bytes are read as they
//! come and kept once, so a body at the limit costs its size and no more.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::{Error, Kind, Result};
use crate::limits;

/// The longest response head (status line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// The longest line of a chunked body's framing (a chunk size with its extensions).
const MAX_CHUNK_LINE: usize = 4 * 1024;

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The redirect target, for 301/302/303/307/308.
    pub fn location(&self) -> Option<&str> {
        matches!(self.status, 301 | 302 | 303 | 307 | 308).then(|| self.header("location")).flatten()
    }
}

/// Reads a response from `s`; `what` names the server in errors ("https://host/path").
pub(crate) async fn read<S: AsyncRead + Unpin>(s: S, max_body: usize, what: &str) -> Result<Response> {
    let mut r = Reader { s, buf: Vec::new(), start: 0, eof: false, what };
    let (status, headers) = loop {
        let head = r.head().await?;
        let (status, headers) = parse_head(&head)?;
        // An interim answer (100 Continue): the real one follows.
        if !(100..200).contains(&status) {
            break (status, headers);
        }
    };
    let find = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let too_big = || {
        Error::new(
            Kind::Protocol,
            format!("{what} sent more than {}, the most accepted", limits::size(max_body as u64)),
        )
        .with_source(OverLimit)
    };
    let body = if status == 204 || status == 304 {
        Vec::new()
    } else if find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        let mut body = Vec::new();
        loop {
            let line = r.line(MAX_CHUNK_LINE).await?;
            let size_text = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| r.bad(&format!("a chunk size of {size_text:?}")))?;
            if size == 0 {
                break body; // trailers, if any, are ignored: the connection closes anyway
            }
            if size > max_body - body.len() {
                return Err(too_big());
            }
            r.take(size, &mut body).await?;
            if !r.line(2).await?.is_empty() {
                return Err(r.bad("a chunk longer than its size"));
            }
        }
    } else if let Some(len) = find("content-length") {
        let len: usize = len.parse().map_err(|_| r.bad(&format!("a Content-Length of {len:?}")))?;
        if len > max_body {
            return Err(Error::new(
                Kind::Protocol,
                format!(
                    "{what} announced {}, more than the {} accepted",
                    limits::size(len as u64),
                    limits::size(max_body as u64)
                ),
            )
            .with_source(OverLimit));
        }
        let mut body = Vec::with_capacity(len);
        r.take(len, &mut body).await?;
        body
    } else {
        let mut body = r.buf.split_off(r.start);
        while !r.eof {
            if body.len() > max_body {
                return Err(too_big());
            }
            r.fill_into(&mut body).await?;
        }
        if body.len() > max_body {
            return Err(too_big());
        }
        body
    };
    Ok(Response { status, headers, body })
}

/// The cause of an error for a body past the caller's limit (see [`is_over_limit`]).
#[derive(Debug)]
struct OverLimit;

impl std::fmt::Display for OverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the body is larger than the limit")
    }
}

impl std::error::Error for OverLimit {}

/// Whether `e` says a body was larger than the limit the caller gave.
pub fn is_over_limit(e: &Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<OverLimit>())
}

struct Reader<'a, S> {
    s: S,
    /// Bytes read and not yet used start at `start`.
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    what: &'a str,
}

impl<S: AsyncRead + Unpin> Reader<'_, S> {
    fn bad(&self, what: &str) -> Error {
        Error::new(Kind::Protocol, format!("{} sent something that is not HTTP: {what}", self.what))
    }

    /// Reads more into `into`; sets `eof` when the server closed.
    async fn fill_into(&mut self, into: &mut Vec<u8>) -> Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.s.read(&mut chunk).await.map_err(|e| {
            Error::network(format!("the connection to {} failed while reading its answer", self.what), e)
        })?;
        into.extend_from_slice(&chunk[..n]);
        self.eof = n == 0;
        Ok(())
    }

    async fn fill(&mut self) -> Result<()> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.fill_into(&mut buf).await;
        self.buf = buf;
        r
    }

    /// The next head, up to and without its blank line.
    async fn head(&mut self) -> Result<String> {
        let mut searched = 0;
        loop {
            let pending = &self.buf[self.start..];
            if let Some(end) = pending[searched..].windows(4).position(|w| w == b"\r\n\r\n") {
                let end = searched + end;
                let head = String::from_utf8_lossy(&pending[..end]).into_owned();
                self.start += end + 4;
                return Ok(head);
            }
            searched = pending.len().saturating_sub(3);
            if pending.len() > MAX_HEAD {
                return Err(self.bad("a head longer than 64 KiB"));
            }
            if self.eof {
                return Err(self.bad("the connection closed before the headers ended"));
            }
            self.fill().await?;
        }
    }

    /// The next line without its CRLF, at most `max` bytes long.
    async fn line(&mut self, max: usize) -> Result<String> {
        loop {
            let pending = &self.buf[self.start..];
            if let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&pending[..end]).into_owned();
                self.start += end + 2;
                return Ok(line);
            }
            if pending.len() > max {
                return Err(self.bad("an overlong line in the chunked body"));
            }
            if self.eof {
                return Err(self.bad("the chunked body was cut off"));
            }
            self.fill().await?;
        }
    }

    /// Moves exactly `n` bytes into `out`.
    async fn take(&mut self, mut n: usize, out: &mut Vec<u8>) -> Result<()> {
        loop {
            let have = (self.buf.len() - self.start).min(n);
            out.extend_from_slice(&self.buf[self.start..self.start + have]);
            self.start += have;
            n -= have;
            if n == 0 {
                return Ok(());
            }
            if self.eof {
                return Err(self.bad("the body was cut off"));
            }
            self.fill().await?;
        }
    }
}

fn parse_head(head: &str) -> Result<(u16, Vec<(String, String)>)> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = match status_line.split(' ').collect::<Vec<_>>().as_slice() {
        [v, code, ..] if v.starts_with("HTTP/1.") => code.parse::<u16>().ok(),
        _ => None,
    };
    let Some(status) = status else {
        let shown: String = status_line.chars().take(80).collect();
        return Err(Error::new(Kind::Protocol, format!("not an HTTP response: {shown}")));
    };
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok((status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &[u8], max: usize) -> Result<Response> {
        read(bytes, max, "http://x.test/").await
    }

    #[tokio::test]
    async fn responses_by_length_chunked_and_close() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", 100).await.unwrap();
        assert_eq!(r.body, b"abc");
        let cut = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 100).await.unwrap_err();
        assert!(cut.to_string().contains("cut off"), "{cut}");
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse(chunked, 100).await.unwrap().body, b"abcde");
        let r = parse(b"HTTP/1.0 302 Found\r\nLocation: https://x.test/\r\n\r\nmoved", 100).await.unwrap();
        assert_eq!(
            (r.status, r.location(), r.body.as_slice()),
            (302, Some("https://x.test/"), &b"moved"[..])
        );
        let cont = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(parse(cont, 100).await.unwrap().status, 404);
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n", 100).await.is_err());
        assert!(!is_over_limit(&parse(b"HTTP/1.1 200 OK\r\nContent-Le", 100).await.unwrap_err()));
    }

    #[tokio::test]
    async fn bodies_past_the_limit_are_refused_in_every_framing() {
        let e = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", 10).await.unwrap_err();
        assert!(e.to_string().contains("announced 11 bytes, more than the 10 bytes"), "{e}");
        assert!(is_over_limit(&e));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n";
        let e = parse(chunked, 10).await.unwrap_err();
        assert!(e.to_string().contains("more than 10 bytes"), "{e}");
        let e = parse(b"HTTP/1.1 200 OK\r\n\r\nhello world", 10).await.unwrap_err();
        assert!(e.to_string().contains("more than 10 bytes"), "{e}");
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\n\r\nhello worl", 10).await.unwrap().body, b"hello worl");
    }
}
