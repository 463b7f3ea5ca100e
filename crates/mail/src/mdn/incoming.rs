//! Receipts that arrive: a `multipart/report; report-type=disposition-notification` read
//! into who, when, what happened and which message it is about.

use mail_parser::{MessageParser, MimeHeaders};
use serde::Serialize;

use super::request::is_receipt;

/// Bytes of the `message/disposition-notification` part read (its fields are a few lines).
const MAX_FIELDS: usize = 8 * 1024;
/// Longest field value kept.
const MAX_VALUE: usize = 500;

/// A read receipt someone's mail program sent back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// Who it is from: the Final-Recipient address, else the receipt's From.
    pub by: String,
    /// The receipt's From display name, when it has one.
    pub by_name: Option<String>,
    /// When it was written (its Date), Unix seconds.
    pub at: Option<i64>,
    /// The disposition type: `displayed`, `deleted`, `dispatched`, `processed`.
    pub disposition: String,
    /// Sent by the person (`manual-action`) or by their program (`automatic-action`).
    pub manual: bool,
    /// The Disposition field as written.
    pub disposition_field: String,
    /// The message it is about, with the angle brackets.
    pub original_message_id: Option<String>,
    pub reporting_ua: Option<String>,
}

/// The receipt in a raw message, or `None` when it is not one.
pub fn parse_receipt(raw: &[u8]) -> Option<Receipt> {
    let msg = MessageParser::new().parse(raw)?;
    if !is_receipt(msg.content_type()) {
        return None;
    }
    let part = msg.parts.iter().find(|p| {
        p.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("disposition-notification"))
        })
    })?;
    let contents = part.contents();
    let fields = parse_fields(&contents[..contents.len().min(MAX_FIELDS)]);
    let field =
        |name: &str| fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let disposition_field = field("Disposition")?;
    let (modes, kind) = disposition_field.split_once(';').unwrap_or(("", &disposition_field));
    // "displayed/error" and modifiers after the type are not needed here.
    let disposition = kind.trim().split(['/', ' ']).next().unwrap_or("").to_ascii_lowercase();
    let manual = modes.trim().to_ascii_lowercase().starts_with("manual-action");
    let from = msg.from().and_then(|a| a.first());
    let final_recipient = field("Final-Recipient").map(|v| match v.split_once(';') {
        Some((_, addr)) => addr.trim().to_string(),
        None => v.trim().to_string(),
    });
    let by = final_recipient
        .filter(|a| !a.is_empty())
        .or_else(|| from.and_then(|f| f.address.as_deref()).map(str::to_string))
        .unwrap_or_default();
    Some(Receipt {
        by,
        by_name: from.and_then(|f| f.name.as_deref()).map(str::to_string),
        at: msg.date().map(|d| d.to_timestamp()),
        disposition,
        manual,
        disposition_field,
        original_message_id: field("Original-Message-ID").map(|id| {
            let id = id.trim().trim_start_matches('<').trim_end_matches('>');
            format!("<{id}>")
        }),
        reporting_ua: field("Reporting-UA"),
    })
}

/// The `Name: value` fields of a disposition-notification body (folded lines joined, one
/// or more groups separated by blank lines), values cut to [`MAX_VALUE`] characters.
fn parse_fields(bytes: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(bytes);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    for (_, v) in &mut out {
        if let Some((i, _)) = v.char_indices().nth(MAX_VALUE) {
            v.truncate(i);
        }
    }
    out
}

impl Receipt {
    /// "Read by bob@example.test on 6 Dec at 10:32" (local time), or for other dispositions
    /// "Deleted unread by …", "Processed by …".
    pub fn summary(&self) -> String {
        let what = match self.disposition.as_str() {
            "displayed" => "Read",
            "deleted" => "Deleted unread",
            "dispatched" => "Sent on without being read",
            "processed" => "Processed",
            _ => "Receipt",
        };
        let mut s = format!("{what} by {}", self.by);
        if let Some(at) = self.at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) {
            let local = at.with_timezone(&chrono::Local);
            s.push_str(&local.format(" on %-d %b at %H:%M").to_string());
        }
        s
    }
}

/// The receipts stored for the account with config id `key` about `message_id`, newest
/// first. Only receipts whose body is stored are read (IMAP keeps bodies once opened or
/// when the account keeps mail offline); blocking, for the store thread.
pub fn receipts_for(
    store: &mut crate::store::Store,
    key: &str,
    message_id: &str,
) -> crate::Result<Vec<Receipt>> {
    let account = store.account(key)?;
    let wanted = message_id.trim().trim_start_matches('<').trim_end_matches('>');
    let mut out = Vec::new();
    for (folder, uid) in store.receipt_candidates(account, message_id)? {
        let Some(row) = store.message(folder, uid)? else { continue };
        let Some(raw) = store.body(folder, row.uidvalidity, uid)? else { continue };
        let Some(receipt) = parse_receipt(&raw) else { continue };
        let about =
            receipt.original_message_id.as_deref().map(|id| id.trim_start_matches('<').trim_end_matches('>'));
        if about == Some(wanted) {
            out.push(receipt);
        }
    }
    Ok(out)
}
