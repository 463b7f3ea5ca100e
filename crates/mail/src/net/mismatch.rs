//! Port and encryption that do not go together, told to the person at once: while a
//! plain-text greeting is awaited (STARTTLS or no encryption chosen), TLS bytes, or a silence
//! that a second connection finds to be a port speaking TLS from the first byte; and a TLS
//! handshake answered in plain text or not at all. Every connection ([`super::connection`])
//! goes through these.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{Sleep, sleep, timeout};

use super::connection::Wire;
use super::tls::TrustAnchors;
use crate::error::{Error, Kind};

/// Silence before a plain-text greeting after which a second connection asks the port
/// whether it speaks TLS from the first byte. Such a port waits for our TLS hello while we
/// wait for its greeting, and both would wait out the whole read timeout. Mail servers greet
/// at once; one that looks up the client's name first may take a few seconds, and is left
/// to take them: the question goes on a connection of its own. Never on port 25, where
/// postscreen holds talking before the greeting against the client's address.
pub const GREETING_SILENCE: Duration = Duration::from_secs(4);

/// The ports where SSL/TLS from the first byte is the convention, with the plain-text
/// (STARTTLS) port of the same protocol.
const IMPLICIT_TLS_PORTS: [(u16, u16); 3] = [(993, 143), (995, 110), (465, 587)];

/// The wait for a plain-text greeting (STARTTLS or no encryption chosen): its first bytes
/// may turn out to be TLS, and a long silence may be a port that waits for TLS.
pub(super) struct Greeting {
    /// When to ask on a second connection whether the port speaks TLS.
    probe_at: Pin<Box<Sleep>>,
    probe: Option<tokio::task::JoinHandle<bool>>,
    /// Asked already, or not to be asked (port 25).
    probed: bool,
}

impl Greeting {
    pub(super) fn new(port: u16) -> Greeting {
        Greeting { probe_at: Box::pin(sleep(GREETING_SILENCE)), probe: None, probed: port == 25 }
    }

    /// Starts the question once the silence is long enough; true once its answer is TLS.
    pub(super) fn poll_probe(
        &mut self,
        cx: &mut Context<'_>,
        peer: SocketAddr,
        host: &str,
        wait: Duration,
    ) -> bool {
        if !self.probed {
            if self.probe_at.as_mut().poll(cx).is_pending() {
                return false;
            }
            self.probed = true;
            self.probe = Some(tokio::spawn(speaks_tls(peer, host.to_string(), wait)));
        }
        let Some(probe) = &mut self.probe else { return false };
        match Pin::new(probe).poll(cx) {
            Poll::Ready(answer) => {
                self.probe = None;
                answer.unwrap_or(false)
            }
            Poll::Pending => false,
        }
    }
}

impl Drop for Greeting {
    fn drop(&mut self) {
        if let Some(probe) = &self.probe {
            probe.abort();
        }
    }
}

/// Whether the port answers a TLS hello with TLS (a ServerHello or an alert). Asked on a
/// connection of its own: the one waiting for a greeting gets no stray byte.
async fn speaks_tls(peer: SocketAddr, host: String, wait: Duration) -> bool {
    let ask = async {
        let tcp = TcpStream::connect(peer).await.ok()?;
        let flight = Arc::new(Mutex::new(Vec::new()));
        let connector = TrustAnchors::default().connector(false).ok()?;
        // Whether the handshake succeeds does not matter, only what the port answered.
        let _ = connector.connect(host.as_str(), Wire { tcp, capture: Some(flight.clone()) }).await;
        let seen = flight.lock().ok()?.clone();
        Some(looks_like_tls(&seen))
    };
    timeout(wait, ask).await.ok().flatten().unwrap_or(false)
}

/// A TLS record header: a handshake (22) or an alert (21), version 3.x.
pub(super) fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [21 | 22, 3, ..] | [21 | 22])
}

/// The port and encryption do not go together, found while waiting for the greeting: said
/// with what to choose instead ([`crate::net::lines::io_error`] turns it into an [`Error`]).
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub kind: Kind,
    pub message: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Mismatch {}

impl Mismatch {
    /// The [`Mismatch`] in `e`'s chain of causes.
    pub fn find<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Mismatch> {
        let mut next = Some(e);
        while let Some(e) = next {
            if let Some(m) = e.downcast_ref::<Mismatch>() {
                return Some(m);
            }
            if let Some(io) = e.downcast_ref::<io::Error>()
                && let Some(m) = io.get_ref().and_then(|inner| inner.downcast_ref::<Mismatch>())
            {
                return Some(m);
            }
            next = e.source();
        }
        None
    }
}

/// "stopped answering: no greeting in 60 s", with the likely cause on an SSL/TLS port.
pub(super) fn no_greeting_message(
    host: &str,
    port: u16,
    protocol: Option<crate::account::Protocol>,
    t: Duration,
) -> String {
    let mut message = format!("{host} stopped answering: no greeting in {} s", t.as_secs());
    if IMPLICIT_TLS_PORTS.iter().any(|(tls, _)| *tls == port) {
        message.push_str(&format!(
            "; port {port} normally expects SSL/TLS from the first byte: choose SSL/TLS, or {}",
            starttls_port(protocol, port)
        ));
    }
    message
}

/// "STARTTLS with port 143", or the three usual ones when the protocol is not known.
pub(super) fn starttls_port(protocol: Option<crate::account::Protocol>, port: u16) -> String {
    use crate::account::Protocol;
    let usual = IMPLICIT_TLS_PORTS.iter().find(|(tls, _)| *tls == port).map(|(_, plain)| *plain);
    match (usual, protocol) {
        (Some(plain), _) => format!("STARTTLS with port {plain}"),
        (None, Some(Protocol::Imap)) => "STARTTLS with port 143".into(),
        (None, Some(Protocol::Pop3)) => "STARTTLS with port 110".into(),
        (None, Some(Protocol::Smtp)) => "STARTTLS with port 587".into(),
        (None, None) => "STARTTLS with its port (usually 143, 110 or 587)".into(),
    }
}

/// A handshake that failed for another reason than the certificate, told from the first
/// bytes the server sent: an old TLS version, a TLS alert, plain text (not a TLS port),
/// or nothing at all.
pub(super) fn handshake_refused(host: &str, flight: &[u8]) -> Error {
    let msg = match flight {
        [] => format!(
            "{host} closed the connection without answering the TLS handshake; is this port really SSL/TLS (STARTTLS ports are usually 143, 110 and 587)?"
        ),
        [22, 3, ..] => match super::tls::server_hello_version(flight) {
            Some(v) if v < 0x0303 => format!(
                "{host} offers only {}, which is no longer safe; Tidings needs TLS 1.2 or newer. Ask the provider to turn on TLS 1.2",
                super::tls::version_name(v)
            ),
            _ => {
                format!("the TLS handshake with {host} failed: it speaks TLS, but none that Tidings accepts")
            }
        },
        [21, 3, _, _, _, _, desc, ..] => format!(
            "{host} refused the TLS handshake ({}); it may only offer old TLS versions or ciphers",
            super::tls::alert_name(*desc)
        ),
        text if text.iter().take(64).all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) => format!(
            "{host} answered in plain text, not TLS: this port speaks plain text first; choose STARTTLS (or SSL/TLS with the port for it, usually 993, 995 or 465)"
        ),
        _ => format!("the TLS handshake with {host} failed: it did not answer with TLS"),
    };
    let mut err = Error::new(Kind::Tls, msg);
    if !flight.is_empty() && flight[0] != 22 && flight[0] != 21 {
        // Plain text from the server is its own words.
        let text = String::from_utf8_lossy(&flight[..flight.len().min(200)]);
        err = err.with_server(text.lines().next().unwrap_or("").to_string());
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Protocol;

    #[test]
    fn tls_records_are_told_from_greetings() {
        assert!(looks_like_tls(b"\x16\x03\x03\x00\x7a\x02"));
        assert!(looks_like_tls(b"\x15\x03\x01\x00\x02\x02\x46"));
        assert!(looks_like_tls(b"\x16"), "one byte so far: nothing plain starts so");
        for plain in [&b"* OK ready"[..], b"+OK", b"220 mail ESMTP", b"\x16 garbage", b""] {
            assert!(!looks_like_tls(plain), "{plain:?}");
        }
    }

    #[test]
    fn silence_on_a_tls_port_names_the_likely_cause() {
        let t = Duration::from_secs(60);
        assert_eq!(
            no_greeting_message("mail.example.test", 993, Some(Protocol::Imap), t),
            "mail.example.test stopped answering: no greeting in 60 s; port 993 normally expects SSL/TLS from the first byte: choose SSL/TLS, or STARTTLS with port 143"
        );
        assert!(no_greeting_message("h", 995, None, t).ends_with("STARTTLS with port 110"));
        assert!(no_greeting_message("h", 465, Some(Protocol::Smtp), t).ends_with("STARTTLS with port 587"));
        assert_eq!(
            no_greeting_message("h", 143, Some(Protocol::Imap), t),
            "h stopped answering: no greeting in 60 s"
        );
        assert_eq!(starttls_port(Some(Protocol::Pop3), 10995), "STARTTLS with port 110");
        assert_eq!(starttls_port(None, 10993), "STARTTLS with its port (usually 143, 110 or 587)");
    }

    #[tokio::test]
    async fn port_25_is_never_asked_before_its_greeting() {
        // Postscreen takes talking before the greeting as a sign of a spam robot.
        assert!(Greeting::new(25).probed);
        assert!(!Greeting::new(587).probed);
    }
}
