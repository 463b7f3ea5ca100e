//! Read receipts (message disposition notifications, RFC 8098) and the `$MDNSent` keyword
//! (RFC 3503).
//!
//! A message asks for a receipt with Disposition-Notification-To. [`requested`] reads that
//! request (bounded: a few addresses, short fields), [`decide`] applies the account's policy
//! and the cases RFC 8098 §2.1 says to ask about even when the person chose "always",
//! [`build`] writes the receipt (`multipart/report; report-type=disposition-notification`)
//! for the Outbox, and [`parse_receipt`] reads one that arrived, for the reader and for the
//! sent message's list of receipts. [`send`] and [`ignore`] answer a stored message's request
//! (the CLI's `tidings receipt` and the reader's bar share them).
//!
//! Whoever sends or declines a receipt sets `$MDNSent` first (IMAP: through the store's
//! action queue, so the server has it before the receipt leaves; POP3: in the store), and a
//! message that has it never gets another: not from this profile, nor from another client on
//! the same IMAP account.

mod answer;
mod build;
mod incoming;
mod request;

#[cfg(test)]
mod tests;

pub use answer::{Queued, ignore, own_addresses, send};
pub use build::{Mode, Response, build};
pub use incoming::{Receipt, parse_receipt, receipts_for};
pub use request::{AskReason, Decision, Request, decide, requested};

/// The keyword that says a receipt was sent, or declined, for a message (RFC 3503).
pub const MDN_SENT: &str = "$MDNSent";

/// Notification addresses kept from one Disposition-Notification-To.
pub const MAX_ADDRESSES: usize = 10;
/// Longest header field value read (Disposition-Notification-To, Return-Path, Subject…):
/// longer ones are cut, an address cut in the middle does not count.
pub const MAX_FIELD: usize = 2_000;

/// Whether the flags of a message (as the store keeps them) say a receipt was already sent or
/// declined.
pub fn already_answered(flags: &crate::store::Flags) -> bool {
    flags.contains(MDN_SENT)
}
