//! Tidings' mail core. Everything that is not GUI lives here and never depends on a GUI
//! toolkit: account settings and the config file, secrets in the keyring, connections with
//! their transcript tap, the protocols (IMAP, POP3, SMTP), and the account check that the
//! wizard, the CLI and the inspector share.
//!
//! Data flows one way: server → protocol → sync → store → UI. Blocking work (files, the
//! keyring) is plain functions meant for a worker thread; network work is async (tokio).

pub mod account;
pub mod auth;
pub mod calendar;
pub mod check;
pub mod civil;
pub mod compose;
pub mod config;
pub mod discover;
pub mod error;
pub mod explain;
pub mod http;
pub mod idle;
pub mod imap;
pub mod inspect;
pub mod limits;
pub mod mdn;
pub mod message;
pub mod net;
pub mod notify;
pub mod oauth2;
pub mod options;
pub mod outbox;
pub mod pass;
pub mod pop3;
pub mod private;
pub mod profile;
pub mod schedule;
pub mod search;
pub mod secret;
pub mod send;
pub mod smtp;
pub mod store;
pub mod sync;
pub mod terminal;
pub mod ui_state;

pub use error::{Error, ErrorReport, Kind, Result};
