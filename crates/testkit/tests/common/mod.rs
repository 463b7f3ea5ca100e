//! A tiny line-oriented client for talking to the servers in tests: plain, implicit TLS and
//! STARTTLS upgrade, with a timeout on every read so a broken server fails the test quickly.
#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub struct Client {
    io: BufReader<Box<dyn Io>>,
}

/// A TLS connector that trusts only `ca_pem` (no built-in roots, no `danger_*` switches).
pub fn connector(ca_pem: Option<&[u8]>) -> tokio_native_tls::TlsConnector {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(ca) = ca_pem {
        builder.add_root_certificate(native_tls::Certificate::from_pem(ca).unwrap());
        builder.disable_built_in_roots(true);
    }
    builder.build().unwrap().into()
}

impl Client {
    pub async fn plain(port: u16) -> Client {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        Client { io: BufReader::new(Box::new(tcp)) }
    }

    /// Implicit TLS to 127.0.0.1:port, verifying the certificate for `name`. Returns the
    /// client and the server's leaf certificate (DER).
    pub async fn tls(
        port: u16,
        ca_pem: Option<&[u8]>,
        name: &str,
    ) -> Result<(Client, Vec<u8>), native_tls::Error> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let tls = connector(ca_pem).connect(name, tcp).await?;
        let leaf = tls.get_ref().peer_certificate()?.unwrap().to_der()?;
        Ok((Client { io: BufReader::new(Box::new(tls)) }, leaf))
    }

    /// Upgrades after a successful STARTTLS/STLS reply.
    pub async fn starttls(self, ca_pem: &[u8], name: &str) -> Client {
        assert!(self.io.buffer().is_empty(), "server sent data before the TLS handshake");
        let inner = self.io.into_inner();
        let tls = connector(Some(ca_pem)).connect(name, inner).await.unwrap();
        Client { io: BufReader::new(Box::new(tls)) }
    }

    /// One line without CRLF; "" at EOF.
    pub async fn line(&mut self) -> String {
        let mut buf = Vec::new();
        tokio::time::timeout(TIMEOUT, self.io.read_until(b'\n', &mut buf))
            .await
            .expect("server did not answer in time")
            .unwrap();
        String::from_utf8_lossy(&buf).trim_end_matches(['\r', '\n']).to_owned()
    }

    pub async fn send(&mut self, text: &str) {
        let stream = self.io.get_mut();
        stream.write_all(text.as_bytes()).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
        stream.flush().await.unwrap();
    }

    /// Sends `command` and collects reply lines up to and including the first for which
    /// `last` is true.
    pub async fn ask(&mut self, command: &str, last: impl Fn(&str) -> bool) -> Vec<String> {
        self.send(command).await;
        self.until(last).await
    }

    pub async fn until(&mut self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line().await;
            let done = last(&line);
            lines.push(line.clone());
            if done {
                return lines;
            }
            assert!(lines.len() < 10_000, "runaway reply");
        }
    }

    /// Everything until the server closes (bounded by TIMEOUT).
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        tokio::time::timeout(TIMEOUT, self.io.read_to_end(&mut out))
            .await
            .expect("server did not close in time")
            .ok();
        out
    }
}

/// Base64 for AUTH PLAIN (tests only).
pub fn b64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}
