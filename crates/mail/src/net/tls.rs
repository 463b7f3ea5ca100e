//! TLS: certificates verified by default (system roots plus an optional extra CA); the only
//! way to accept a certificate that does not verify is a pin of its SHA-256 fingerprint,
//! compared right after the handshake, before a single protocol byte is sent.

use std::fmt;
use std::time::SystemTime;

use async_native_tls::{Certificate, TlsConnector};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Kind, Result};

/// A SHA-256 certificate fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }

    /// Accepts hex with or without colons or spaces, any case.
    pub fn parse(text: &str) -> Result<Fingerprint> {
        let hex: String = text.chars().filter(|c| !matches!(c, ':' | ' ' | '-')).collect();
        let bad = || {
            Error::config(format!(
                "\"{text}\" is not a SHA-256 fingerprint (64 hexadecimal digits, colons allowed)"
            ))
        };
        if hex.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Fingerprint(out))
    }

    /// Lower-case hex without separators (what `--pin-cert` prints and stores).
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Fingerprint {
    /// `AB:CD:…`, as browsers and `openssl x509 -fingerprint` show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|b| format!("{b:02X}")).collect();
        f.write_str(&parts.join(":"))
    }
}

/// What a certificate says, for the wizard, reports and error messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub sans: Vec<String>,
    pub sha256: String,
    pub self_signed: bool,
    #[serde(skip)]
    not_after_ts: i64,
    #[serde(skip)]
    not_before_ts: i64,
}

impl CertInfo {
    pub fn from_der(der: &[u8]) -> Option<CertInfo> {
        use x509_parser::prelude::*;
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let mut sans = Vec::new();
        if let Ok(Some(ext)) = cert.subject_alternative_name() {
            for name in &ext.value.general_names {
                match name {
                    GeneralName::DNSName(d) => sans.push(d.to_string()),
                    GeneralName::IPAddress(ip) => sans.push(format_ip(ip)),
                    _ => {}
                }
            }
        }
        let validity = cert.validity();
        Some(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: validity.not_before.to_string(),
            not_after: validity.not_after.to_string(),
            sans,
            sha256: Fingerprint::of(der).to_string(),
            self_signed: cert.subject() == cert.issuer(),
            not_after_ts: validity.not_after.timestamp(),
            not_before_ts: validity.not_before.timestamp(),
        })
    }

    /// Why a person should not simply trust it: expired, not yet valid, wrong name,
    /// self-signed or unknown issuer.
    pub fn problems(&self, host: &str) -> Vec<String> {
        let now =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let mut out = Vec::new();
        if now > self.not_after_ts {
            out.push(format!("it expired on {}", self.not_after));
        }
        if now < self.not_before_ts {
            out.push(format!("it is not valid before {}", self.not_before));
        }
        if !self.matches_host(host) {
            out.push(format!("it is for {} and not for {host}", self.names()));
        }
        if self.self_signed {
            out.push("it is self-signed".to_string());
        }
        out
    }

    fn names(&self) -> String {
        if self.sans.is_empty() { self.subject.clone() } else { self.sans.join(", ") }
    }

    /// RFC 6125 matching on the SANs: exact, or one left-most wildcard label.
    pub fn matches_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.sans.iter().any(|san| {
            let san = san.to_ascii_lowercase();
            if let Some(rest) = san.strip_prefix("*.") {
                host.split_once('.').is_some_and(|(first, tail)| !first.is_empty() && tail == rest)
            } else {
                san == host
            }
        })
    }
}

fn format_ip(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => format!("{bytes:?}"),
    }
}

/// What our TLS library (OpenSSL) said of a failure on this computer: a detail for the
/// person or the administrator, never the server's words ("error:0A000086:SSL routines…",
/// "certificate verify failed", a CA file it cannot read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsLibrary(pub String);

impl TlsLibrary {
    /// The library's account somewhere in `e`'s chain of causes.
    pub fn find<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a TlsLibrary> {
        let mut next = Some(e);
        while let Some(e) = next {
            if let Some(found) = e.downcast_ref::<TlsLibrary>() {
                return Some(found);
            }
            next = e.source();
        }
        None
    }
}

impl fmt::Display for TlsLibrary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLS library: {}", self.0)
    }
}

impl std::error::Error for TlsLibrary {}

/// What we trust for one server.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    /// Extra CA certificates (PEM), on top of the system's.
    pub extra_ca_pem: Vec<Vec<u8>>,
    /// The one certificate accepted without verification.
    pub pin: Option<Fingerprint>,
}

impl TrustAnchors {
    pub fn connector(&self, verify: bool) -> Result<TlsConnector> {
        let mut c = TlsConnector::new().min_protocol_version(Some(async_native_tls::Protocol::Tlsv12));
        for pem in &self.extra_ca_pem {
            let cert = Certificate::from_pem(pem).map_err(|e| {
                Error::new(Kind::Config, "cannot read the extra CA certificate: it is not a PEM certificate")
                    .with_source(TlsLibrary(e.to_string()))
            })?;
            c = c.add_root_certificate(cert);
        }
        if !verify {
            // Only ever used to compare a pin or to describe a refused certificate: no
            // protocol byte is sent on such a connection before the comparison.
            c = c.danger_accept_invalid_certs(true).danger_accept_invalid_hostnames(true);
        }
        Ok(c)
    }
}

/// Protocol version and cipher suite, read from the ServerHello the tap saw below TLS
/// (native-tls exposes neither).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsParams {
    pub version: String,
    pub cipher: String,
}

/// Parses the first server flight: TLS records → Handshake → ServerHello.
pub fn parse_server_hello(bytes: &[u8]) -> Option<TlsParams> {
    let (version, cipher) = hello(bytes)?;
    Some(TlsParams { version: version_name(version), cipher: cipher_name(cipher) })
}

/// The TLS version a ServerHello chose (e.g. 0x0301 for TLS 1.0).
pub(crate) fn server_hello_version(bytes: &[u8]) -> Option<u16> {
    hello(bytes).map(|(v, _)| v)
}

/// A TLS alert's description, in words (RFC 8446 6).
pub(crate) fn alert_name(desc: u8) -> String {
    match desc {
        40 => "handshake failure".into(),
        70 => "protocol version not supported".into(),
        71 => "insufficient security".into(),
        80 => "internal error".into(),
        112 => "unrecognised name".into(),
        other => format!("TLS alert {other}"),
    }
}

fn hello(bytes: &[u8]) -> Option<(u16, u16)> {
    // Record header: type(1) version(2) length(2).
    if bytes.len() < 5 || bytes[0] != 22 {
        return None;
    }
    let len = u16::from_be_bytes([bytes[3], bytes[4]]) as usize;
    let rec = bytes.get(5..5 + len)?;
    // Handshake header: type(1)=2 ServerHello, length(3).
    if rec.first() != Some(&2) {
        return None;
    }
    let body = rec.get(4..)?;
    let legacy = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let mut p = 2 + 32; // version + random
    let sid_len = *body.get(p)? as usize;
    p += 1 + sid_len;
    let cipher = u16::from_be_bytes([*body.get(p)?, *body.get(p + 1)?]);
    p += 3; // cipher + compression
    let mut version = legacy;
    if let Some(ext_len) = body.get(p..p + 2).map(|b| u16::from_be_bytes([b[0], b[1]]) as usize) {
        let mut exts = body.get(p + 2..p + 2 + ext_len).unwrap_or(&[]);
        while exts.len() >= 4 {
            let ty = u16::from_be_bytes([exts[0], exts[1]]);
            let l = u16::from_be_bytes([exts[2], exts[3]]) as usize;
            let data = exts.get(4..4 + l).unwrap_or(&[]);
            if ty == 43 && data.len() == 2 {
                version = u16::from_be_bytes([data[0], data[1]]);
            }
            exts = exts.get(4 + l..).unwrap_or(&[]);
        }
    }
    Some((version, cipher))
}

pub(crate) fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0304 => "TLS 1.3".into(),
        0x0303 => "TLS 1.2".into(),
        0x0302 => "TLS 1.1".into(),
        0x0301 => "TLS 1.0".into(),
        other => format!("0x{other:04x}"),
    }
}

fn cipher_name(c: u16) -> String {
    let name = match c {
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        _ => return format!("0x{c:04x}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_parse_and_display() {
        let f = Fingerprint::of(b"hello");
        assert_eq!(Fingerprint::parse(&f.to_string()).unwrap(), f);
        assert_eq!(Fingerprint::parse(&f.hex().to_uppercase()).unwrap(), f);
        assert_eq!(Fingerprint::parse("abcd").unwrap_err().kind(), Kind::Config);
        assert_eq!(f.hex().len(), 64);
    }

    #[test]
    fn server_hello_tls13() {
        // A ServerHello with supported_versions = TLS 1.3 and TLS_AES_256_GCM_SHA384.
        let mut body = vec![0x03, 0x03];
        body.extend([7u8; 32]);
        body.push(0); // session id
        body.extend([0x13, 0x02, 0x00]);
        let ext = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04];
        body.extend((ext.len() as u16).to_be_bytes());
        body.extend(ext);
        let mut hs = vec![2, 0, 0, body.len() as u8];
        hs.extend(body);
        let mut rec = vec![22, 3, 3];
        rec.extend((hs.len() as u16).to_be_bytes());
        rec.extend(hs);
        let p = parse_server_hello(&rec).unwrap();
        assert_eq!(p.version, "TLS 1.3");
        assert_eq!(p.cipher, "TLS_AES_256_GCM_SHA384");
        assert_eq!(parse_server_hello(b"* OK IMAP"), None);
    }

    #[test]
    fn host_matching() {
        let info = CertInfo {
            subject: "CN=x".into(),
            issuer: "CN=ca".into(),
            not_before: String::new(),
            not_after: String::new(),
            sans: vec!["*.example.test".into(), "127.0.0.1".into()],
            sha256: String::new(),
            self_signed: false,
            not_after_ts: i64::MAX,
            not_before_ts: 0,
        };
        assert!(info.matches_host("imap.example.test"));
        assert!(!info.matches_host("a.b.example.test"));
        assert!(info.matches_host("127.0.0.1"));
        assert!(info.problems("imap.example.test").is_empty());
        assert_eq!(info.problems("other.test").len(), 1);
    }
}
