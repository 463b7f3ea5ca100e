//! Composing: the message a person writes ([`NewMessage`]), the exact bytes built from it
//! ([`build`] → [`Built`]), addresses as typed, and replies and forwards derived from a stored
//! message. The bytes are built once and are the same bytes submitted over SMTP and stored in
//! the Sent folder.

mod address;
mod build;
mod draft;
mod draft_gate;
mod draft_server;
pub mod mailto;
mod reopen;
mod reply;

#[cfg(test)]
mod tests;

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub use address::{Address, format_address_list, parse_address_list, split_address_list};
pub use build::{DRAFT_HEADER, new_message_id, to_crlf};
pub use draft::{Draft, DraftList, Drafts};
pub use draft_gate::DraftGate;
pub use draft_server::{remove_from_server, remove_replacing, save_to_server};
pub use reply::{Original, ReplyKind, forward_as_attachment, forward_inline, reply, strip_prefixes};

use crate::error::{Error, Result};

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file name shown to the recipient (no directory).
    pub name: String,
    /// A MIME type such as `application/pdf`; `application/octet-stream` when unknown.
    pub content_type: String,
    /// Base64 in JSON (drafts), raw here.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

impl Attachment {
    pub fn new(name: impl Into<String>, content_type: impl Into<String>, bytes: Vec<u8>) -> Attachment {
        Attachment { name: name.into(), content_type: content_type.into(), bytes }
    }

    /// Reads a file (blocking: call it off the UI thread). The type is guessed from the name.
    pub fn from_path(path: &std::path::Path) -> Result<Attachment> {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::storage(format!("cannot read the attachment {}", path.display()), e))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let content_type = guess_content_type(&name).to_string();
        Ok(Attachment { name, content_type, bytes })
    }

    /// Whether this is a whole message attached (forward as attachment).
    pub fn is_message(&self) -> bool {
        self.content_type.trim().to_ascii_lowercase().starts_with("message/rfc822")
    }
}

/// The MIME type usual for a file name's extension; `application/octet-stream` otherwise.
pub fn guess_content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" | "text" | "log" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "ics" => "text/calendar",
        "vcf" => "text/vcard",
        "md" => "text/markdown",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "json" => "application/json",
        "xml" => "application/xml",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "mp4" => "video/mp4",
        "eml" => "message/rfc822",
        _ => "application/octet-stream",
    }
}

/// A message as written: who from, to whom, what. Plain text only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub from: Address,
    #[serde(default)]
    pub to: Vec<Address>,
    #[serde(default)]
    pub cc: Vec<Address>,
    /// In the envelope only, never in the bytes that are sent.
    #[serde(default)]
    pub bcc: Vec<Address>,
    #[serde(default)]
    pub subject: String,
    /// Plain text; any line ending is fine (made CRLF).
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Message-ID of the message replied to (with or without the angle brackets).
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// The thread so far, oldest first.
    #[serde(default)]
    pub references: Vec<String>,
    /// A Message-ID to use instead of a new one (a draft keeps its id across saves).
    #[serde(default)]
    pub message_id: Option<String>,
    /// The Date header; now when `None`.
    #[serde(skip)]
    pub date: Option<SystemTime>,
    /// Ask for a read receipt: Disposition-Notification-To with the From address (RFC 8098).
    #[serde(default)]
    pub request_receipt: bool,
}

/// The bytes of a message ready to submit, and what SMTP needs besides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// CRLF everywhere; exactly what is submitted and what is stored in Sent.
    pub bytes: Vec<u8>,
    /// With the angle brackets, as in the header.
    pub message_id: String,
    /// MAIL FROM.
    pub envelope_from: String,
    /// RCPT TO: To, Cc and Bcc, each address once.
    pub recipients: Vec<String>,
}

/// Builds the message for submission. Invalid or missing addresses are [`Kind::Config`]
/// errors naming the field and the address; Bcc recipients are in [`Built::recipients`] and
/// nowhere in the bytes.
///
/// [`Kind::Config`]: crate::Kind::Config
pub fn build(msg: &NewMessage) -> Result<Built> {
    build::assemble(msg, build::Purpose::Send)
}

/// Builds a draft for the Drafts folder: like [`build`] but with the Bcc header kept, no
/// recipient needed, addresses still being typed (not valid yet) left out, and the draft's
/// id in the [`DRAFT_HEADER`] header.
pub fn build_draft(msg: &NewMessage, draft_id: &str) -> Result<Built> {
    build::assemble(msg, build::Purpose::Draft(draft_id))
}

impl Built {
    /// The message for the Outbox ([`crate::outbox::enqueue`]).
    pub fn into_outgoing(self) -> crate::outbox::Outgoing {
        crate::outbox::Outgoing {
            raw: self.bytes,
            message_id: self.message_id,
            from: self.envelope_from,
            recipients: self.recipients,
        }
    }
}
