//! Test support for Tidings: real mail servers, fault servers and message generators.
//!
//! - [`MailServers`]: a private Dovecot (IMAP, POP3, LMTP) + Postfix (submission) pair on
//!   127.0.0.1 ephemeral ports with a throw-away CA, per-run passwords and seeding helpers.
//!   Needs root and the Debian packages (`scripts/setup-debian`); when they are missing
//!   [`MailServers::start`] fails with [`TestkitError::MissingServer`] (tests fail, never skip).
//! - [`fault`]: scripted servers that misbehave on purpose (tokio).
//! - [`idp`]: an OAuth2 identity provider; [`MailServers::start_with_oauth2`] makes Dovecot and
//!   Postfix take its tokens.
//! - [`receipts_on_download`]: a proxy that sends read receipts on download, as Exchange does.
//! - [`generate`]: deterministic messages of varied MIME shapes.
//!
//! ```no_run
//! let servers = tidings_testkit::MailServers::start()?;
//! let alice = servers.user("alice");
//! servers.seed(alice, 100)?;
//! let (host, port) = (servers.host(), servers.imaps_port());
//! println!("imaps://{host}:{port} as {} / {}", alice.login, alice.password);
//! # Ok::<(), tidings_testkit::TestkitError>(())
//! ```
//!
//! The `tidings-testkit up` binary (`cargo run -p tidings-testkit -- up`) starts the servers for a
//! person trying Tidings by hand.

pub mod bench;
mod certs;
pub mod dns;
mod dovecot;
mod error;
pub mod fault;
pub mod generate;
pub mod hostile;
pub mod http;
pub mod idp;
pub mod kill;
mod maildir;
pub mod mutate;
mod postfix;
mod postfix_tune;
mod ready;
pub mod receipts_on_download;
mod servers;
pub mod smtp_script;
mod sys;

pub use error::TestkitError;
pub use servers::{MailServers, User};
