//! Readiness: a port counts as up once it greets like a real server would, over TLS where the
//! port is implicit TLS (which also proves the served chain verifies against our CA).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::fault::Proto;

/// One port to probe.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub name: &'static str,
    pub port: u16,
    pub proto: Proto,
    pub implicit_tls: bool,
}

/// Probes every target until each greets or `deadline` passes. `alive` is called between
/// attempts and returns an error once a daemon has exited, so a failed start is reported at
/// once instead of after the timeout.
pub(crate) fn wait(
    targets: &[Target],
    ca_pem: &[u8],
    deadline: Instant,
    mut alive: impl FnMut() -> Result<(), String>,
) -> Result<(), String> {
    let connector = native_tls::Certificate::from_pem(ca_pem)
        .and_then(|ca| native_tls::TlsConnector::builder().add_root_certificate(ca).build())
        .map_err(|e| format!("cannot build the TLS client for the readiness probe: {e}"))?;
    for target in targets {
        loop {
            alive()?;
            match probe(target, &connector) {
                Ok(()) => break,
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!("{} port {} did not greet in time: {e}", target.name, target.port));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(25)),
            }
        }
    }
    Ok(())
}

fn probe(target: &Target, connector: &native_tls::TlsConnector) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, target.port));
    let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(2)))
        .and_then(|()| tcp.set_write_timeout(Some(Duration::from_secs(2))))
        .map_err(|e| e.to_string())?;
    if target.implicit_tls {
        let tls = connector.connect("localhost", tcp).map_err(|e| format!("TLS handshake: {e}"))?;
        greet(tls, target.proto)
    } else {
        greet(tcp, target.proto)
    }
}

/// Reads the greeting, then says goodbye so the server logs a clean disconnect.
fn greet<S: Read + Write>(stream: S, proto: Proto) -> Result<(), String> {
    let mut reader = BufReader::new(stream);
    // Dovecot first sends "* OK Waiting for authentication process to respond.." while its
    // auth process starts; that is not ready yet, so read on (a few lines at most).
    for _ in 0..4 {
        let mut line = String::new();
        let n = reader.read_line(&mut line).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the greeting".into());
        }
        if line.contains("Waiting for authentication") {
            continue;
        }
        let (ok, bye) = match proto {
            Proto::Imap => (line.starts_with("* OK"), "z LOGOUT\r\n"),
            Proto::Pop3 => (line.starts_with("+OK"), "QUIT\r\n"),
            Proto::Smtp => (line.starts_with("220 "), "QUIT\r\n"),
        };
        if !ok {
            return Err(format!("unexpected greeting {:?}", line.trim_end()));
        }
        let _ = reader.get_mut().write_all(bye.as_bytes());
        return Ok(());
    }
    Err("the server kept saying it is waiting for authentication".into())
}
