//! Reading a message: raw bytes and the account's body-format preference in, the display
//! model out ([`render`] → [`Display`]) — headers, the chosen body as plain or rich text,
//! attachments and inline images, forwarded messages, delivery reports, calendar parts, a
//! read-receipt request, and notes on how it was shown. The GUI's reader lays it out and
//! `tidings render --json` prints it.
//!
//! MIME comes from mail-parser; text/enriched, HTML, TNEF and RTF are ours. Hostile mail
//! stays within the "Messages" limits of `crate::limits` (depth, parts, sizes), and nothing
//! here panics: what cannot be read becomes a note.

mod body;
pub mod enriched;
pub mod html;
pub mod images;
pub mod model;
mod names;
pub mod remote;
mod report;
pub mod rich;
pub mod rtf;
pub mod save;
pub mod tnef;
mod walk;

pub use model::{Attachment, Body, BodyKind, Calendar, Display, Mailbox, RecipientStatus, Report};

use crate::options::BodyFormat;

/// The display model of a raw message (RFC 5322 bytes). Never fails: bytes without a
/// header are shown as text, broken parts with a note.
pub fn render(raw: &[u8], format: BodyFormat) -> Display {
    walk::render(raw, format)
}
