//! Scripted TCP servers on 127.0.0.1 for what a real server will not do on demand: refuse
//! STARTTLS, cut the connection mid-response, talk garbage, stay silent, present an unknown
//! certificate. Each records every byte the client sent (the plaintext side, after TLS), so a
//! test can assert e.g. that no password left the client.
//!
//! Needs a tokio runtime (they are `async fn`s and spawn a task); dropping the server aborts
//! the listener and every open connection.

mod dialog;
mod session;

use std::io;
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub use crate::certs::LeafKind;
use crate::certs::{self, Certs};
use session::Session;

/// Which protocol a fault server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    Imap,
    Pop3,
    Smtp,
}

#[derive(Debug, Clone, Copy)]
enum Behaviour {
    NoStarttls,
    DropAfter(usize),
    Garbage,
    Silent,
    OwnCert,
    EstimatedSizes,
}

/// Not any protocol: NUL, a TLS record header, a PNG signature, invalid UTF-8, then CRLF so
/// line-based clients do get a complete (nonsense) line.
const GARBAGE: &[u8] = b"\x00\xff\xfe\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x89PNG\r\n\x1a\n\
                        \xde\xad\xbe\xef\x80\x81\xc3\x28\xf0\x28\x8c\x28\x1b[2J\x7f\r\n";

/// The TLS material of a `tls_with_own_cert` server (kept on disk for `ca_path`).
#[derive(Debug)]
struct OwnCert {
    certs: Certs,
    _dir: TempDir,
}

/// A running fault server; drop it to shut it down.
#[derive(Debug)]
pub struct FaultServer {
    port: u16,
    received: Arc<Mutex<Vec<u8>>>,
    task: JoinHandle<()>,
    tls: Option<OwnCert>,
}

impl FaultServer {
    /// Greets and advertises capabilities without STARTTLS/STLS, refuses STARTTLS ("BAD",
    /// "-ERR", "502") and accepts any LOGIN/USER+PASS/AUTH. IMAP greeting:
    /// `* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready`.
    pub async fn no_starttls(proto: Proto) -> io::Result<FaultServer> {
        Self::spawn(proto, Behaviour::NoStarttls, None).await
    }

    /// Like `no_starttls`, but the connection is closed once `bytes` bytes in total have been
    /// written on it (0 = close right after accepting). The mailbox has three real messages
    /// (generator shapes plain, attachment, dot-lines), so a budget can end inside a FETCH
    /// literal or a RETR body.
    pub async fn drop_after(proto: Proto, bytes: usize) -> io::Result<FaultServer> {
        Self::spawn(proto, Behaviour::DropAfter(bytes), None).await
    }

    /// Sends binary garbage instead of a greeting, and more garbage in answer to anything.
    /// (`proto` only documents intent: the garbage is the same for all.)
    pub async fn garbage(proto: Proto) -> io::Result<FaultServer> {
        Self::spawn(proto, Behaviour::Garbage, None).await
    }

    /// Like `no_starttls`, but the sizes it states (IMAP RFC822.SIZE, POP3 LIST) differ from
    /// the bytes it then sends, as Exchange's estimated sizes do.
    pub async fn estimated_sizes(proto: Proto) -> io::Result<FaultServer> {
        Self::spawn(proto, Behaviour::EstimatedSizes, None).await
    }

    /// Accepts and reads, never writes: for timeout tests.
    pub async fn silent() -> io::Result<FaultServer> {
        Self::spawn(Proto::Imap, Behaviour::Silent, None).await
    }

    /// Implicit TLS with a freshly made CA + leaf that nobody trusts, then the plain dialog
    /// (IMAP `* OK ready`, POP3 `+OK ready`, SMTP `220 … ready`). `received` only fills if the
    /// client completes the handshake, i.e. accepts the certificate.
    pub async fn tls_with_own_cert(proto: Proto) -> io::Result<FaultServer> {
        Self::tls_with_cert(proto, LeafKind::Valid).await
    }

    /// Implicit TLS with a certificate that is wrong in the given way (expired, self-signed),
    /// otherwise like `tls_with_own_cert`.
    pub async fn tls_with_cert(proto: Proto, kind: LeafKind) -> io::Result<FaultServer> {
        let own = tokio::task::spawn_blocking(move || -> Result<OwnCert, crate::TestkitError> {
            let openssl = crate::sys::openssl()?;
            let dir = tempfile::Builder::new()
                .prefix("tidings-fault-")
                .tempdir()
                .map_err(crate::TestkitError::io("creating a temp dir"))?;
            let certs = certs::make_kind(&openssl, dir.path(), "Tidings fault-server CA", kind)?;
            Ok(OwnCert { certs, _dir: dir })
        })
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)?;
        let identity = native_tls::Identity::from_pkcs8(&own.certs.chain_pem, &own.certs.key_pem)
            .map_err(io::Error::other)?;
        let acceptor = native_tls::TlsAcceptor::new(identity).map_err(io::Error::other)?;
        let mut server = Self::spawn(proto, Behaviour::OwnCert, Some(acceptor.into())).await?;
        server.tls = Some(own);
        Ok(server)
    }

    async fn spawn(
        proto: Proto,
        behaviour: Behaviour,
        acceptor: Option<tokio_native_tls::TlsAcceptor>,
    ) -> io::Result<FaultServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept_loop(listener, proto, behaviour, acceptor, Arc::clone(&received)));
        Ok(FaultServer { port, received, task, tls: None })
    }

    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything clients sent so far, all connections concatenated in arrival order.
    pub fn received(&self) -> Vec<u8> {
        self.received.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn own_cert(&self) -> &Certs {
        match &self.tls {
            Some(own) => &own.certs,
            None => panic!("only FaultServer::tls_with_own_cert has a certificate"),
        }
    }

    /// Lower-case hex SHA-256 of the leaf (DER). Panics unless made by `tls_with_own_cert`.
    pub fn leaf_sha256_hex(&self) -> String {
        self.own_cert().leaf_sha256_hex()
    }

    /// The leaf certificate, DER. Panics unless made by `tls_with_own_cert`.
    pub fn leaf_der(&self) -> &[u8] {
        &self.own_cert().leaf_der
    }

    /// The CA that signed the leaf, PEM (trusting it makes the server valid for "localhost"
    /// and 127.0.0.1). Panics unless made by `tls_with_own_cert`.
    pub fn ca_pem(&self) -> &[u8] {
        &self.own_cert().ca_pem
    }

    /// The same CA as a file. Panics unless made by `tls_with_own_cert`.
    pub fn ca_path(&self) -> &Path {
        &self.own_cert().ca_path
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    proto: Proto,
    behaviour: Behaviour,
    acceptor: Option<tokio_native_tls::TlsAcceptor>,
    received: Arc<Mutex<Vec<u8>>>,
) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((socket, _)) => {
                let acceptor = acceptor.clone();
                let received = Arc::clone(&received);
                connections.spawn(serve(socket, proto, behaviour, acceptor, received));
            }
            // E.g. out of file descriptors: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn serve(
    socket: TcpStream,
    proto: Proto,
    behaviour: Behaviour,
    acceptor: Option<tokio_native_tls::TlsAcceptor>,
    received: Arc<Mutex<Vec<u8>>>,
) {
    let _ = socket.set_nodelay(true);
    // Errors end the connection; that is all a fault server needs to do with them.
    let _ = match behaviour {
        Behaviour::NoStarttls | Behaviour::DropAfter(_) | Behaviour::EstimatedSizes => {
            let budget = match behaviour {
                Behaviour::DropAfter(bytes) => Some(bytes),
                _ => None,
            };
            let greeting = match proto {
                Proto::Imap => "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready",
                Proto::Pop3 => "+OK POP3 ready",
                Proto::Smtp => "220 fault.example.test ESMTP ready",
            };
            let sizes = match behaviour {
                Behaviour::EstimatedSizes => dialog::Sizes::Estimated,
                _ => dialog::Sizes::Exact,
            };
            let mut session = Session::new(socket, received, budget);
            dialog::run(&mut session, proto, greeting, sizes).await
        }
        Behaviour::Garbage => {
            let mut session = Session::new(socket, received, None);
            garbage(&mut session).await
        }
        Behaviour::Silent => Session::new(socket, received, None).drain().await,
        Behaviour::OwnCert => {
            let Some(acceptor) = acceptor else { return };
            // A client that rejects the certificate aborts here: nothing is recorded.
            let Ok(tls) = acceptor.accept(socket).await else { return };
            let greeting = match proto {
                Proto::Imap => "* OK ready",
                Proto::Pop3 => "+OK ready",
                Proto::Smtp => "220 fault.example.test ESMTP ready",
            };
            dialog::run(&mut Session::new(tls, received, None), proto, greeting, dialog::Sizes::Exact).await
        }
    };
}

async fn garbage(session: &mut Session<TcpStream>) -> io::Result<()> {
    session.send(GARBAGE).await?;
    while session.fill().await? {
        session.clear();
        session.send(GARBAGE).await?;
    }
    Ok(())
}
