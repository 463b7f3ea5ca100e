//! A throw-away CA and server certificate made with the openssl CLI.
//!
//! Why a CA plus a leaf rather than one self-signed certificate: rustls/webpki reject a
//! CA:TRUE certificate used as an end-entity one, so clients trust the CA and servers present
//! leaf + CA. The leaf names both `localhost` and `127.0.0.1` so either works as the host.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::TestkitError;
use crate::sys::{hex, random_bytes, run};

const LEAF_EXTENSIONS: &str = "\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

/// The files and bytes of one CA + leaf pair.
#[derive(Debug, Clone)]
pub(crate) struct Certs {
    pub ca_pem: Vec<u8>,
    pub ca_path: PathBuf,
    /// Leaf then CA, PEM: what the servers present.
    pub chain_pem: Vec<u8>,
    pub chain_path: PathBuf,
    /// PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form native-tls `Identity::from_pkcs8` takes.
    pub key_pem: Vec<u8>,
    pub key_path: PathBuf,
    pub leaf_der: Vec<u8>,
}

impl Certs {
    pub fn leaf_sha256_hex(&self) -> String {
        hex(&Sha256::digest(&self.leaf_der))
    }
}

/// What is wrong with a fault server's certificate, on top of nobody trusting its CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// A valid leaf from a fresh CA (trust the CA and it verifies).
    Valid,
    /// Signed by the fresh CA but expired yesterday.
    Expired,
    /// No CA at all: the leaf signs itself (`ca_pem` is the leaf).
    SelfSigned,
}

/// Makes the CA and the leaf in `dir` (created if missing). P-256 keys: generated in
/// milliseconds, unlike RSA.
pub(crate) fn make(openssl: &Path, dir: &Path, ca_name: &str) -> Result<Certs, TestkitError> {
    make_kind(openssl, dir, ca_name, LeafKind::Valid)
}

pub(crate) fn make_kind(
    openssl: &Path,
    dir: &Path,
    ca_name: &str,
    kind: LeafKind,
) -> Result<Certs, TestkitError> {
    std::fs::create_dir_all(dir).map_err(TestkitError::io(format!("creating {}", dir.display())))?;
    let path = |name: &str| dir.join(name);
    let ossl = || {
        let mut cmd = Command::new(openssl);
        cmd.current_dir(dir);
        cmd
    };
    let genkey = |file: &str| {
        run(
            ossl()
                .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
                .arg("-out")
                .arg(path(file)),
            None,
        )
    };

    genkey("ca.key")?;
    run(
        ossl()
            .args(["req", "-x509", "-new", "-key", "ca.key", "-days", "3650", "-out", "ca.pem"])
            .args(["-subj", &format!("/O=Tidings testkit/CN={ca_name}")])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
        None,
    )?;

    genkey("leaf.key")?;
    if kind == LeafKind::SelfSigned {
        run(
            ossl()
                .args(["req", "-x509", "-new", "-key", "leaf.key", "-subj", "/CN=localhost", "-days", "30"])
                .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-out", "leaf.pem"]),
            None,
        )?;
        run(ossl().args(["x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der"]), None)?;
        let leaf_pem = read(&path("leaf.pem"))?;
        return Ok(Certs {
            ca_pem: leaf_pem.clone(),
            ca_path: path("leaf.pem"),
            chain_pem: leaf_pem,
            chain_path: path("leaf.pem"),
            key_pem: read(&path("leaf.key"))?,
            key_path: path("leaf.key"),
            leaf_der: read(&path("leaf.der"))?,
        });
    }
    run(
        ossl().args(["req", "-new", "-key", "leaf.key", "-subj", "/CN=localhost", "-out", "leaf.csr"]),
        None,
    )?;
    write(&path("leaf.ext"), LEAF_EXTENSIONS.as_bytes())?;
    // A random serial: clients that cache certificates by issuer+serial never see a repeat.
    let serial = format!("0x{}", hex(&random_bytes(12)?));
    run(
        ossl()
            .args(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key"])
            // -1 day: valid from now, expired since yesterday.
            .args(["-set_serial", &serial, "-days", if kind == LeafKind::Expired { "-1" } else { "825" }])
            .args(["-extfile", "leaf.ext"])
            .args(["-out", "leaf.pem"]),
        None,
    )?;
    run(ossl().args(["x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der"]), None)?;

    let ca_pem = read(&path("ca.pem"))?;
    let mut chain_pem = read(&path("leaf.pem"))?;
    chain_pem.extend_from_slice(&ca_pem);
    write(&path("chain.pem"), &chain_pem)?;
    Ok(Certs {
        ca_pem,
        ca_path: path("ca.pem"),
        chain_pem,
        chain_path: path("chain.pem"),
        key_pem: read(&path("leaf.key"))?,
        key_path: path("leaf.key"),
        leaf_der: read(&path("leaf.der"))?,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, TestkitError> {
    std::fs::read(path).map_err(TestkitError::io(format!("reading {}", path.display())))
}

pub(crate) fn write(path: &Path, data: &[u8]) -> Result<(), TestkitError> {
    std::fs::write(path, data).map_err(TestkitError::io(format!("writing {}", path.display())))
}
