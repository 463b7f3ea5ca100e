//! A tiny authoritative DNS server on 127.0.0.1 (UDP and TCP on the same ephemeral port) for
//! discovery tests: it answers the A, SRV and MX records it was given, NOERROR with no
//! answer for a known name asked for another type, and NXDOMAIN for anything else. Point a
//! resolver at [`DnsServer::addr`]; no root, no /etc/hosts.
//!
//! Names are compared case-insensitively, with or without the final dot. A name starting
//! with `*.` matches every name below it (`*.example.test` answers `imap.example.test`).
//!
//! The wire format is written by hand (RFC 1035 §4): queries carry one question, answers
//! point back at it with a compression pointer, nothing else is needed.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

/// Record types the server knows (their RFC 1035 numbers).
pub const TYPE_A: u16 = 1;
pub const TYPE_MX: u16 = 15;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;

const RCODE_NXDOMAIN: u16 = 3;
const RCODE_FORMERR: u16 = 1;
const TTL: u32 = 60;

/// One configured record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    A {
        name: String,
        ip: Ipv4Addr,
    },
    /// `target` "." means "service not offered" (RFC 2782, RFC 6186).
    Srv {
        name: String,
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Mx {
        name: String,
        preference: u16,
        exchange: String,
    },
}

impl Record {
    fn name(&self) -> &str {
        match self {
            Record::A { name, .. } | Record::Srv { name, .. } | Record::Mx { name, .. } => name,
        }
    }

    fn rtype(&self) -> u16 {
        match self {
            Record::A { .. } => TYPE_A,
            Record::Srv { .. } => TYPE_SRV,
            Record::Mx { .. } => TYPE_MX,
        }
    }

    fn rdata(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Record::A { ip, .. } => out.extend(ip.octets()),
            Record::Srv { priority, weight, port, target, .. } => {
                for n in [priority, weight, port] {
                    out.extend(n.to_be_bytes());
                }
                encode_name(target, &mut out);
            }
            Record::Mx { preference, exchange, .. } => {
                out.extend(preference.to_be_bytes());
                encode_name(exchange, &mut out);
            }
        }
        out
    }
}

/// A question the server received, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Lower case, without the final dot.
    pub name: String,
    pub qtype: u16,
}

#[derive(Debug, Default)]
struct State {
    records: Vec<Record>,
    queries: Vec<Query>,
    silent: bool,
}

/// A running DNS server; dropping it stops it.
#[derive(Debug)]
pub struct DnsServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    tasks: Vec<JoinHandle<()>>,
}

impl DnsServer {
    /// Binds UDP and TCP on one free port of 127.0.0.1. Needs a tokio runtime.
    pub async fn start() -> io::Result<DnsServer> {
        let state = Arc::new(Mutex::new(State::default()));
        // The TCP port must equal the UDP one; another process may hold it, so retry.
        let mut last = None;
        for _ in 0..20 {
            let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
            let addr = udp.local_addr()?;
            match TcpListener::bind(addr).await {
                Ok(tcp) => {
                    let tasks = vec![
                        tokio::spawn(serve_udp(udp, Arc::clone(&state))),
                        tokio::spawn(serve_tcp(tcp, Arc::clone(&state))),
                    ];
                    return Ok(DnsServer { addr, state, tasks });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free port for the DNS server")))
    }

    /// Where to send queries (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn add(&self, record: Record) {
        self.lock().records.push(record);
    }

    pub fn add_a(&self, name: &str, ip: Ipv4Addr) {
        self.add(Record::A { name: name.into(), ip });
    }

    pub fn add_srv(&self, name: &str, priority: u16, weight: u16, port: u16, target: &str) {
        self.add(Record::Srv { name: name.into(), priority, weight, port, target: target.into() });
    }

    pub fn add_mx(&self, name: &str, preference: u16, exchange: &str) {
        self.add(Record::Mx { name: name.into(), preference, exchange: exchange.into() });
    }

    /// When set, queries are read (and recorded) but never answered: for timeout tests.
    pub fn set_silent(&self, silent: bool) {
        self.lock().silent = silent;
    }

    /// Every question received so far, in arrival order.
    pub fn queries(&self) -> Vec<Query> {
        self.lock().queries.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn serve_udp(socket: UdpSocket, state: Arc<Mutex<State>>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        if let Some(reply) = answer(&buf[..n], &state) {
            let _ = socket.send_to(&reply, peer).await;
        }
    }
}

async fn serve_tcp(listener: TcpListener, state: Arc<Mutex<State>>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, _)) => {
                connections.spawn(serve_tcp_connection(stream, Arc::clone(&state)));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// DNS over TCP: each message has a two-byte length prefix (RFC 1035 §4.2.2).
async fn serve_tcp_connection(mut stream: TcpStream, state: Arc<Mutex<State>>) -> io::Result<()> {
    loop {
        let len = stream.read_u16().await? as usize;
        let mut msg = vec![0u8; len];
        stream.read_exact(&mut msg).await?;
        if let Some(reply) = answer(&msg, &state) {
            stream.write_u16(reply.len() as u16).await?;
            stream.write_all(&reply).await?;
        }
    }
}

/// Builds the reply to one query message; `None` to stay silent.
fn answer(msg: &[u8], state: &Mutex<State>) -> Option<Vec<u8>> {
    let header = msg.get(..12)?;
    let id = [header[0], header[1]];
    let flags = u16::from_be_bytes([header[2], header[3]]);
    if flags & 0x8000 != 0 {
        return None; // a response, not a query
    }
    // QR, the query's opcode and RD, AA: we are the authority for everything we know.
    let reply_flags = 0x8000 | (flags & 0x7900) | 0x0400;
    let qdcount = u16::from_be_bytes([header[4], header[5]]);
    let Some((name, qtype, question)) = (qdcount == 1).then(|| parse_question(msg)).flatten() else {
        let mut out = Vec::from(id);
        out.extend((reply_flags | RCODE_FORMERR).to_be_bytes());
        out.extend([0u8; 8]);
        return Some(out);
    };

    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    st.queries.push(Query { name: name.clone(), qtype });
    if st.silent {
        return None;
    }
    let known: Vec<&Record> = st.records.iter().filter(|r| name_matches(r.name(), &name)).collect();
    let answers: Vec<&&Record> = known.iter().filter(|r| r.rtype() == qtype).collect();
    let rcode = if known.is_empty() { RCODE_NXDOMAIN } else { 0 };

    let mut out = Vec::from(id);
    out.extend((reply_flags | rcode).to_be_bytes());
    out.extend(1u16.to_be_bytes());
    out.extend((answers.len() as u16).to_be_bytes());
    out.extend([0u8; 4]); // no authority, no additional records
    out.extend_from_slice(question);
    for r in answers {
        out.extend([0xc0, 0x0c]); // pointer to the question's name at offset 12
        out.extend(r.rtype().to_be_bytes());
        out.extend(1u16.to_be_bytes()); // class IN
        out.extend(TTL.to_be_bytes());
        let rdata = r.rdata();
        out.extend((rdata.len() as u16).to_be_bytes());
        out.extend(rdata);
    }
    Some(out)
}

/// The question's name (lower case, no final dot), type, and its raw bytes to echo.
fn parse_question(msg: &[u8]) -> Option<(String, u16, &[u8])> {
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = *msg.get(pos)? as usize;
        pos += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None; // compression pointers do not occur in a question we accept
        }
        labels.push(String::from_utf8_lossy(msg.get(pos..pos + len)?).to_ascii_lowercase());
        pos += len;
    }
    let qtype = u16::from_be_bytes([*msg.get(pos)?, *msg.get(pos + 1)?]);
    let end = pos + 4;
    msg.get(end - 1)?;
    Some((labels.join("."), qtype, &msg[12..end]))
}

fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn name_matches(pattern: &str, name: &str) -> bool {
    let pattern = normalise(pattern);
    match pattern.strip_prefix("*.") {
        Some(parent) => name.len() > parent.len() && name.ends_with(&format!(".{parent}")),
        None => pattern == name,
    }
}

/// Uncompressed name; "." (or "") is the root, a single zero byte.
fn encode_name(name: &str, out: &mut Vec<u8>) {
    for label in normalise(name).split('.').filter(|l| !l.is_empty()) {
        let bytes = &label.as_bytes()[..label.len().min(63)];
        out.push(bytes.len() as u8);
        out.extend_from_slice(bytes);
    }
    out.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        encode_name(name, &mut q);
        q.extend(qtype.to_be_bytes());
        q.extend(1u16.to_be_bytes());
        q
    }

    #[test]
    fn answers_nxdomain_noerror_and_records() {
        let state = Mutex::new(State::default());
        state.lock().unwrap().records.push(Record::Mx {
            name: "Example.Test.".into(),
            preference: 10,
            exchange: "mx.example.test".into(),
        });
        let r = answer(&query("example.test", TYPE_MX), &state).unwrap();
        assert_eq!(&r[..2], &[0x12, 0x34]);
        assert_eq!(r[3] & 0x0f, 0, "NOERROR");
        assert_eq!(u16::from_be_bytes([r[6], r[7]]), 1, "one answer");
        assert!(r.ends_with(b"\x00\x0a\x02mx\x07example\x04test\x00"));
        let r = answer(&query("example.test", TYPE_A), &state).unwrap();
        assert_eq!((r[3] & 0x0f, r[7]), (0, 0), "known name, no A: NOERROR, empty");
        let r = answer(&query("other.test", TYPE_A), &state).unwrap();
        assert_eq!(r[3] & 0x0f, 3, "NXDOMAIN");
    }

    #[test]
    fn wildcard_matches_below_only() {
        assert!(name_matches("*.example.test", "imap.example.test"));
        assert!(name_matches("*.example.test", "a.b.example.test"));
        assert!(!name_matches("*.example.test", "example.test"));
        assert!(!name_matches("*.example.test", "badexample.test"));
    }
}
