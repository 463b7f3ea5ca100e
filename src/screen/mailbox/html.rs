//! Rich text (HTML, text/enriched): the core renders it (`tidings_mail::message`) into the
//! rich-text model the reader lays out; this module only names those for the mailbox.

pub use tidings_mail::message::rich::{Emphasis, Piece, Rich};
