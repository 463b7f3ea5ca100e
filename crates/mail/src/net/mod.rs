//! Connections: TCP, TLS, timeouts, and the tap that writes every connection's transcript.

pub mod connection;
pub(crate) mod dns;
pub mod guard;
pub mod lines;
mod mismatch;
pub mod tls;
pub mod transcript;

pub use connection::{Connection, Endpoint, Timeouts, TlsSummary, connect};
pub use lines::LineConn;
pub use tls::{CertInfo, Fingerprint, TlsParams, TrustAnchors};
pub use transcript::{Dir, Event, Line, Stage, StageName, Transcript, rotated_log};
