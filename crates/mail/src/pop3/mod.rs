//! POP3, our own (see the notes for why not async-pop).
//!
//! - [`Pop3`] (`client.rs`): the session — greeting, CAPA, STLS, USER/PASS or AUTH PLAIN,
//!   STAT, LIST, UIDL, RETR/TOP into memory or streamed into any writer, DELE, RSET, NOOP,
//!   QUIT, pipelining; RFC 2449 response codes and Exchange's words become distinct errors
//!   (`errors.rs`).
//! - `wire.rs`: the byte stream — status lines with a maximum length, message data
//!   dot-unstuffed in large slices (constant memory, any size, any line length).
//! - [`receive`] / [`plan`] (`receive.rs`, `download.rs`, `plan.rs`): the receive pass into
//!   the local folders of the store, with "leave a copy on the server" and the deletion
//!   options, and its dry run. The rules live in [`plan::decide`], shared by both.
//!
//! The safety rules of the receive pass: a message is downloaded to a spool, committed to
//! the store with an fsync, and only then may a DELE for it be sent; DELEs are sent after
//! every download of the pass is committed; and deletions are recorded as done only after
//! the server answered QUIT with +OK (before that, a dropped session deletes nothing).

mod client;
mod download;
pub mod errors;
pub mod plan;
mod receive;
mod spool;
mod wire;

pub use client::{Listing, OddLine, Pop3, Reply};
pub use errors::{Refusal, classify};
pub use plan::{Listed, PlanItem, Pop3Plan, Reason};
pub use receive::{
    Failure, Phase, Pop3Progress, Pop3Report, Pop3Target, Pop3Timings, ProgressFn, Tuning, fetch_rest,
    no_progress, plan, receive,
};
pub use wire::MAX_LINE;
