//! The display model: what the reader shows of one message, and what `tidings render --json`
//! prints. Everything is owned and plain (no mail-parser lifetimes), so a worker can hand it
//! to the GUI.

use serde::Serialize;

use super::rich::Rich;

/// One message as the reader shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Display {
    pub subject: Option<String>,
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// The Date field as RFC 3339, in the sender's own offset.
    pub date: Option<String>,
    /// The same instant, Unix seconds (for showing it in local time).
    pub timestamp: Option<i64>,
    pub message_id: Option<String>,
    pub body: Body,
    pub attachments: Vec<Attachment>,
    /// Forwarded messages (`message/rfc822` parts), each with its own headers, in order.
    pub forwarded: Vec<Display>,
    /// A delivery report (`multipart/report`): one status per recipient.
    pub report: Option<Report>,
    /// Calendar parts (`text/calendar`, `application/ics`), raw; and meeting requests decoded
    /// from TNEF, as iCalendar.
    pub calendar: Vec<Calendar>,
    /// Where the sender asks a read receipt to go (Disposition-Notification-To); empty when
    /// none was asked for.
    pub read_receipt_to: Vec<Mailbox>,
    /// How the message was shown: cut, unknown character set, decoded from TNEF, a broken part…
    pub notes: Vec<String>,
    /// The message came as TNEF (winmail.dat) and is shown as if it had come as ordinary MIME.
    pub tnef: bool,
}

/// An address with its display name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: Option<String>,
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.name, &self.address) {
            (Some(n), Some(a)) => write!(f, "{n} <{a}>"),
            (None, Some(a)) => f.write_str(a),
            (Some(n), None) => f.write_str(n),
            (None, None) => Ok(()),
        }
    }
}

/// The body chosen by the body-format preference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Body {
    /// What the chosen part was (the richest one when several inline parts follow each other).
    pub kind: BodyKind,
    /// The body as plain text (HTML and enriched text rendered as text).
    pub text: String,
    /// The body as rich text, when it is shown rich (HTML or enriched text, and the
    /// preference is not plain text).
    pub rich: Option<Rich>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyKind {
    #[default]
    Text,
    Enriched,
    Html,
}

/// A part offered to save or open (and inline images, which HTML bodies refer to by
/// content id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// The file name as the message gives it (decoded; not yet made safe for a disk).
    pub name: String,
    /// type/subtype, lower case.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// Content-ID without its angle brackets.
    pub content_id: Option<String>,
    /// Meant to be shown in the body (an inline image) rather than saved.
    pub inline: bool,
    /// The decoded bytes.
    #[serde(skip)]
    pub data: Vec<u8>,
}

/// A delivery report: a DSN (RFC 3464) or a read receipt (MDN, RFC 8098).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// `delivery-status`, `disposition-notification`, or the report-type as given.
    pub kind: String,
    /// The server (DSN) or the program (MDN) that wrote the report.
    pub reporter: Option<String>,
    /// Message-ID of the message the report is about (MDN).
    pub original_message_id: Option<String>,
    pub recipients: Vec<RecipientStatus>,
}

/// What happened for one recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecipientStatus {
    /// Final-Recipient, without its address type.
    pub recipient: String,
    /// DSN: failed, delayed, delivered, relayed, expanded. MDN: displayed, deleted,
    /// dispatched, processed.
    pub action: Option<String>,
    /// DSN status code (`5.1.1`); for an MDN, the whole Disposition field.
    pub status: Option<String>,
    /// What the remote server said (Diagnostic-Code), or an MDN's Failure/Error.
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
}

/// A calendar part, raw for now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Calendar {
    /// METHOD (REQUEST, REPLY, CANCEL…), from the content type or the text.
    pub method: Option<String>,
    pub name: Option<String>,
    pub text: String,
}
