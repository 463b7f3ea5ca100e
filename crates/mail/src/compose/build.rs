//! From a [`NewMessage`] to the exact bytes that are submitted and stored in Sent: lettre's
//! builder (Message-ID, Date, MIME, encoded words), then every line ending made CRLF.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::address::Envelope;
use lettre::message::header::{self, ContentDisposition, ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Mailboxes, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use super::{Address, Attachment, Built, NewMessage};
use crate::error::{Error, Kind, Result};

/// Whether the bytes are for submission (Bcc only in the envelope) or for the Drafts folder
/// (Bcc kept so the draft reopens with it; addresses still being typed are left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose<'a> {
    Send,
    /// A draft, marked with its id (the `X-Tidings-Draft` header) so its previous copy in
    /// the Drafts folder can be found and replaced.
    Draft(&'a str),
}

/// The header that marks a draft's copy in the Drafts folder with the draft's id.
pub const DRAFT_HEADER: &str = "X-Tidings-Draft";

pub(super) fn assemble(msg: &NewMessage, purpose: Purpose<'_>) -> Result<Built> {
    let from = msg.from.lettre().map_err(|e| field_error("From", e))?;
    let from_box = Mailbox::new(msg.from.name.clone(), from.clone());

    let mut recipients: Vec<lettre::Address> = Vec::new();
    let mut headers_of = |field: &str, list: &[Address]| -> Result<Vec<Mailbox>> {
        let mut out = Vec::new();
        for a in list {
            match a.lettre() {
                Ok(email) => {
                    let e: &str = email.as_ref();
                    if !recipients.iter().any(|r| AsRef::<str>::as_ref(r).eq_ignore_ascii_case(e)) {
                        recipients.push(email.clone());
                    }
                    out.push(Mailbox::new(a.name.clone(), email));
                }
                Err(e) if purpose == Purpose::Send => return Err(field_error(field, e)),
                Err(_) => {}
            }
        }
        Ok(out)
    };
    let to = headers_of("To", &msg.to)?;
    let cc = headers_of("Cc", &msg.cc)?;
    let bcc = headers_of("Bcc", &msg.bcc)?;
    if purpose == Purpose::Send && recipients.is_empty() {
        return Err(Error::config("the message has no recipient: add an address to To, Cc or Bcc"));
    }

    let message_id = match &msg.message_id {
        Some(id) => id.clone(),
        None => new_message_id(&msg.from),
    };
    let mut builder = lettre::Message::builder()
        .from(from_box)
        .subject(msg.subject.clone())
        .date(msg.date.unwrap_or_else(SystemTime::now))
        .message_id(Some(message_id.clone()))
        .user_agent(format!("Tidings/{}", env!("CARGO_PKG_VERSION")));
    if !to.is_empty() {
        builder = builder.header(header::To::from(Mailboxes::from_iter(to)));
    }
    if !cc.is_empty() {
        builder = builder.header(header::Cc::from(Mailboxes::from_iter(cc)));
    }
    if !bcc.is_empty() && purpose != Purpose::Send {
        builder = builder.header(header::Bcc::from(Mailboxes::from_iter(bcc))).keep_bcc();
    }
    if let Purpose::Draft(id) = purpose {
        let name = header::HeaderName::new_from_ascii_str(DRAFT_HEADER);
        builder = builder.raw_header(header::HeaderValue::new(name, id.to_string()));
    }
    if msg.request_receipt {
        let name = header::HeaderName::new_from_ascii_str("Disposition-Notification-To");
        builder = builder.raw_header(header::HeaderValue::new(name, format!("<{from}>")));
    }
    if let Some(id) = msg.in_reply_to.as_deref().filter(|id| !id.trim().is_empty()) {
        builder = builder.in_reply_to(angle(id));
    }
    let references: Vec<String> =
        msg.references.iter().filter(|r| !r.trim().is_empty()).map(|r| angle(r)).collect();
    if !references.is_empty() {
        builder = builder.references(references.join(" "));
    }
    // The envelope is ours: every recipient (Bcc included) exactly once. A draft may have
    // none yet; its envelope is never used, so it points back at the sender.
    let envelope_to = if recipients.is_empty() { vec![from.clone()] } else { recipients.clone() };
    let envelope = Envelope::new(Some(from.clone()), envelope_to)
        .map_err(|e| Error::config("cannot address the message").with_source(e))?;
    builder = builder.envelope(envelope);

    let built = if msg.attachments.is_empty() {
        // lettre ends a single part with CRLF of its own: one line ending of the text less,
        // so what was typed is what arrives.
        let body = msg.body.strip_suffix('\n').unwrap_or(&msg.body);
        let body = body.strip_suffix('\r').unwrap_or(body);
        builder.singlepart(SinglePart::plain(body.to_string()))
    } else {
        let text = SinglePart::plain(msg.body.clone());
        let mut mixed = MultiPart::mixed().singlepart(text);
        for a in &msg.attachments {
            mixed = mixed.singlepart(attachment_part(a));
        }
        builder.multipart(mixed)
    }
    .map_err(|e| Error::config("cannot build the message").with_source(e))?;

    let mut bytes = to_crlf(&built.formatted());
    if !bytes.ends_with(b"\r\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    Ok(Built {
        bytes,
        message_id,
        envelope_from: from.to_string(),
        recipients: recipients.iter().map(ToString::to_string).collect(),
    })
}

fn field_error(field: &str, e: Error) -> Error {
    Error::new(Kind::Config, format!("{field}: {}", e.message()))
}

/// `<id>` whether or not the brackets were given.
fn angle(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{id}>")
}

fn attachment_part(a: &Attachment) -> SinglePart {
    let name = if a.name.trim().is_empty() { "attachment" } else { a.name.as_str() };
    let content_type = ContentType::parse(&a.content_type).unwrap_or_else(|_| {
        ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN)
    });
    let body = if a.is_message() {
        // RFC 2046 §5.2.1: message/rfc822 may only be 7bit, 8bit or binary. Base64 only as
        // the last resort (lines over 998 octets or bytes that are not UTF-8), which every
        // common client still opens.
        let raw = to_crlf(&a.bytes);
        let fits = raw.split(|b| *b == b'\n').all(|line| line.len() <= 999) && !raw.contains(&0);
        if fits && raw.is_ascii() {
            Body::dangerous_pre_encoded(raw, ContentTransferEncoding::SevenBit)
        } else if fits && std::str::from_utf8(&raw).is_ok() {
            Body::dangerous_pre_encoded(raw, ContentTransferEncoding::EightBit)
        } else {
            base64(raw)
        }
    } else {
        // Base64 always: the bytes arrive exactly as they were, line endings included.
        base64(a.bytes.clone())
    };
    SinglePart::builder().header(content_type).header(ContentDisposition::attachment(name)).body(body)
}

fn base64(bytes: Vec<u8>) -> Body {
    // Base64 accepts any bytes: lettre never gives them back.
    Body::new_with_encoding(bytes, ContentTransferEncoding::Base64).unwrap_or_else(Body::new)
}

/// A Message-ID nobody else will use, at the sender's domain (not the machine's host name,
/// which would leak it).
pub fn new_message_id(from: &Address) -> String {
    let domain = from.domain();
    let domain = if domain.is_empty() { "tidings.invalid".to_string() } else { domain };
    format!("<{}@{domain}>", unique_token(&from.email))
}

/// 32 hex digits nobody else will draw: a hash of the time, the process, a counter and `salt`.
pub(crate) fn unique_token(salt: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let mut hash = Sha256::new();
    hash.update(nanos.to_le_bytes());
    hash.update(std::process::id().to_le_bytes());
    hash.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hash.update(format!("{:?}", std::thread::current().id()).as_bytes());
    hash.update(salt.as_bytes());
    hash.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Every line ending as CRLF: a bare LF or a bare CR becomes CRLF, CRLF stays. (The whole
/// message also gets a final CRLF: see [`assemble`].)
pub fn to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}
