//! What a message asks for (Disposition-Notification-To and the fields the decision needs)
//! and what the account's policy makes of it.

use mail_parser::{Address as Addresses, HeaderName, HeaderValue, MessageParser, MimeHeaders};
use serde::Serialize;

use super::{MAX_ADDRESSES, MAX_FIELD};
use crate::compose::Address;
use crate::options::ReceiptPolicy;

/// Recipients (To and Cc) kept for the "direct recipient" check.
const MAX_RECIPIENTS: usize = 500;

/// A message's request for a read receipt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Where the receipt goes: the distinct addresses of Disposition-Notification-To, at most
    /// [`MAX_ADDRESSES`].
    pub notify: Vec<Address>,
    /// The field held more addresses than kept, or was too long to read whole.
    pub overflow: bool,
    /// The envelope sender the delivering server recorded; `None` without a Return-Path (or
    /// an empty one, `<>`).
    pub return_path: Option<String>,
    /// The addresses of To and Cc.
    pub recipients: Vec<String>,
    /// With the angle brackets.
    pub message_id: Option<String>,
    pub subject: Option<String>,
    /// The Date header, Unix seconds.
    pub date: Option<i64>,
    /// The Original-Recipient field the delivering server may add (RFC 8098 §2.3).
    pub original_recipient: Option<String>,
}

/// Why a receipt is not sent without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AskReason {
    /// The account's policy is "ask".
    Policy,
    /// Disposition-Notification-To names more than one address (RFC 8098 §2.1).
    SeveralAddresses,
    /// The message has no Return-Path, so the notification address cannot be checked.
    NoReturnPath,
    /// The notification address is not the Return-Path (RFC 8098 §2.1).
    ReturnPathDiffers,
    /// None of the account's addresses is in To or Cc (a list, or a Bcc).
    NotARecipient,
}

impl AskReason {
    /// In words, for the bar and the CLI.
    pub fn text(self) -> &'static str {
        match self {
            AskReason::Policy => "this account asks before sending a read receipt",
            AskReason::SeveralAddresses => "the receipt would go to several addresses",
            AskReason::NoReturnPath => "the message does not say who sent it (no Return-Path)",
            AskReason::ReturnPathDiffers => "the receipt would go to another address than the sender's",
            AskReason::NotARecipient => "you are not a direct recipient (To or Cc) of this message",
        }
    }
}

/// What to do when the message is first displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", content = "reason", rename_all = "kebab-case")]
pub enum Decision {
    /// Send nothing, ask nothing.
    Never,
    /// Ask the person (Send receipt · Ignore).
    Ask(AskReason),
    /// Send it without asking.
    Send,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Never => "never",
            Decision::Ask(_) => "ask",
            Decision::Send => "send",
        }
    }
}

/// The read-receipt request of a raw message (its header is enough), or `None` when it asks
/// for none — and for a receipt itself, which never gets one (RFC 8098 §3.2).
pub fn requested(raw: &[u8]) -> Option<Request> {
    // A parser with a header of its own parses only the headers it names.
    let msg = MessageParser::new()
        .with_minimal_headers()
        .with_message_ids()
        .header_id(HeaderName::ReturnPath)
        .header_address(HeaderName::DispositionNotificationTo)
        .parse_headers(raw)?;
    if is_receipt(msg.content_type()) {
        return None;
    }
    let field_len = msg.header_raw(HeaderName::DispositionNotificationTo)?.len();
    let mut request = Request { overflow: field_len > MAX_FIELD, ..Request::default() };
    let found = msg.header(HeaderName::DispositionNotificationTo).and_then(HeaderValue::as_address);
    for a in found.map(addresses).unwrap_or_default() {
        if request.notify.iter().any(|n| same_address(&n.email, &a.email)) {
            continue;
        }
        if request.notify.len() == MAX_ADDRESSES {
            request.overflow = true;
            break;
        }
        request.notify.push(a);
    }
    if request.notify.is_empty() {
        return None;
    }
    request.return_path = match msg.return_path() {
        HeaderValue::Text(t) => Some(t.to_string()),
        HeaderValue::TextList(l) => l.last().map(|t| t.to_string()),
        _ => None,
    }
    .map(|p| clip(p.trim().trim_start_matches('<').trim_end_matches('>')).to_string())
    .filter(|p| !p.is_empty());
    for list in [msg.to(), msg.cc()].into_iter().flatten() {
        for a in addresses(list) {
            if request.recipients.len() < MAX_RECIPIENTS {
                request.recipients.push(a.email);
            }
        }
    }
    request.message_id = msg.message_id().map(|id| format!("<{}>", clip(id)));
    request.subject = msg.subject().map(|s| clip(s).to_string());
    request.date = msg.date().map(|d| d.to_timestamp());
    request.original_recipient =
        msg.header_raw("Original-Recipient").map(|r| clip(r.trim()).to_string()).filter(|r| !r.is_empty());
    Some(request)
}

/// Whether a Content-Type is that of a read receipt.
pub(super) fn is_receipt(ct: Option<&mail_parser::ContentType<'_>>) -> bool {
    ct.is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|t| t.eq_ignore_ascii_case("disposition-notification"))
    })
}

fn addresses(list: &Addresses<'_>) -> Vec<Address> {
    list.iter()
        .filter_map(|a| {
            let email = a.address.as_deref()?.trim();
            (!email.is_empty() && email.len() <= 254).then(|| Address::new(a.name.as_deref(), email))
        })
        .collect()
}

/// At most [`MAX_FIELD`] bytes, cut on a character boundary.
fn clip(s: &str) -> &str {
    let mut end = s.len().min(MAX_FIELD);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Address comparison as RFC 8098 §2.1 prescribes it: the addr-spec only, the local part
/// case-sensitive, the domain case-insensitive.
pub(super) fn same_address(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la == lb && da.eq_ignore_ascii_case(db),
        _ => a == b,
    }
}

/// What the account's `policy` makes of `request`, for a person whose addresses (the
/// account's own and its identities) are `own`.
///
/// "Always" still asks where RFC 8098 §2.1 says a receipt should not go out without the
/// person's consent: the notification address differs from the Return-Path (compared as
/// whole addresses, not domains: the RFC compares addresses, and a receipt to another
/// mailbox at the same domain still tells someone else that you read the message), the
/// message has no Return-Path (nothing to compare), the field names several addresses (or
/// more than were read), or the person is not a direct recipient (a list or a Bcc: the
/// receipt would confirm the address to whoever sent it).
pub fn decide(policy: ReceiptPolicy, request: &Request, own: &[String]) -> Decision {
    if policy == ReceiptPolicy::Never {
        return Decision::Never;
    }
    let reason = concern(request, own);
    match policy {
        ReceiptPolicy::Never => Decision::Never,
        ReceiptPolicy::Ask => Decision::Ask(reason.unwrap_or(AskReason::Policy)),
        ReceiptPolicy::Always => reason.map_or(Decision::Send, Decision::Ask),
    }
}

/// The first §2.1 reason to ask, if any.
fn concern(request: &Request, own: &[String]) -> Option<AskReason> {
    if request.notify.len() > 1 || request.overflow {
        return Some(AskReason::SeveralAddresses);
    }
    let Some(path) = &request.return_path else {
        return Some(AskReason::NoReturnPath);
    };
    if !request.notify.iter().all(|n| same_address(&n.email, path)) {
        return Some(AskReason::ReturnPathDiffers);
    }
    if !direct_recipient(request, own) {
        return Some(AskReason::NotARecipient);
    }
    None
}

fn direct_recipient(request: &Request, own: &[String]) -> bool {
    request.recipients.iter().any(|r| own.iter().any(|o| o.trim().eq_ignore_ascii_case(r.trim())))
}

impl Request {
    /// The one of `own` (account address, identities) the message was sent to, for From and
    /// Final-Recipient; `None` when none is in To or Cc.
    pub fn addressed_to<'a>(&self, own: &'a [String]) -> Option<&'a String> {
        own.iter().find(|o| self.recipients.iter().any(|r| r.trim().eq_ignore_ascii_case(o.trim())))
    }

    /// Who asked, for "Bob asked to be told when you read this".
    pub fn asker(&self) -> &str {
        self.notify.first().map(Address::label).unwrap_or("")
    }
}
