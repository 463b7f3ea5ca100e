//! A raw message turned into what the reader shows. The core reads it
//! (`tidings_mail::message::render`: MIME, charsets, HTML, text/enriched, TNEF, reports)
//! and decodes the images the body shows from the message's own parts (`cid:`); this module
//! only picks what the reader lays out. It is CPU work on bytes and runs in a task, never in
//! `update` or `view`.

use std::collections::HashMap;

use iced::widget::image::Handle;
use tidings_mail::message::images::{self, Decoder};
use tidings_mail::message::{self, Display, Mailbox};
use tidings_mail::options::BodyFormat;
use tidings_mail::store::Summary;

pub use tidings_mail::message::{Attachment, RecipientStatus, Report};

use super::html::Rich;
use super::invitation::{Cards, Invitee};
use super::receipt::Receipts;

/// What the reader shows of one message (or of a message forwarded inside it).
#[derive(Debug, Clone, Default)]
pub struct DisplayMessage {
    pub headers: Summary,
    pub body: Body,
    /// The attachments listed (inline images the body shows are not).
    pub attachments: Vec<Attachment>,
    /// The number of the first of [`Self::attachments`] among all the attachments of the
    /// opened message, forwarded ones included, in the order they are listed.
    pub first_attachment: usize,
    /// Images of the message's own parts the body shows, by their source (`cid:…`).
    pub images: HashMap<String, Handle>,
    /// Remote images (and other remote resources) the body refers to; none was fetched.
    pub remote_blocked: usize,
    /// The remote images of this message and of those forwarded in it (http and https).
    pub remote_images: Vec<String>,
    /// Things worth saying about how the message is shown (cut, unknown charset, TNEF…).
    pub notes: Vec<String>,
    /// Messages forwarded inside this one, in order, each with its own headers.
    pub forwarded: Vec<DisplayMessage>,
    /// A delivery report or read receipt: what happened for each recipient.
    pub report: Option<Report>,
    /// Invitations (calendar parts), or a meeting request as an Outlook-on-the-web link.
    pub invitations: Cards,
    /// A request for a read receipt, the receipt the message is, the receipts it got.
    pub receipts: Receipts,
}

#[derive(Debug, Clone, Default)]
pub enum Body {
    #[default]
    Empty,
    Text(String),
    /// HTML or text/enriched, as rich text.
    Rich(Rich),
}

/// Reads a raw message. `fallback` is the list's summary, used when the header cannot be
/// read (an error row); its invitations are read for `invitee`.
pub fn render(raw: &[u8], prefer: BodyFormat, fallback: &Summary, invitee: &Invitee) -> DisplayMessage {
    let headers = tidings_mail::sync::headers::summary(raw).unwrap_or_else(|_| fallback.clone());
    let display = message::render(raw, prefer);
    let invitations = Cards::read(raw, &display, invitee);
    let receipts = Receipts::read(raw, display.report.as_ref());
    DisplayMessage { invitations, receipts, ..shown(display, headers, &mut Decoder::default(), &mut 0) }
}

/// Every attachment listed, in order (their numbers are positions here).
pub fn all_attachments(message: &DisplayMessage) -> Vec<&Attachment> {
    let mut all: Vec<&Attachment> = message.attachments.iter().collect();
    for inner in &message.forwarded {
        all.extend(all_attachments(inner));
    }
    all
}

/// `numbered`: attachments listed so far (forwarded messages' come after their outer one's).
fn shown(display: Display, headers: Summary, decoder: &mut Decoder, numbered: &mut usize) -> DisplayMessage {
    let mut attachments = display.attachments;
    let mut images = HashMap::new();
    if let Some(rich) = &display.body.rich {
        inline_images(rich, &mut attachments, decoder, &mut images);
    }
    let first_attachment = *numbered;
    *numbered += attachments.len();
    let body = match display.body.rich {
        Some(rich) => Body::Rich(rich),
        None if display.body.text.trim().is_empty() => Body::Empty,
        None => Body::Text(display.body.text),
    };
    let forwarded: Vec<DisplayMessage> = display
        .forwarded
        .into_iter()
        .map(|inner| {
            let headers = summary(&inner);
            shown(inner, headers, decoder, numbered)
        })
        .collect();
    let (own_remote, mut remote_images) = match &body {
        Body::Rich(rich) => (rich.remote, rich.remote_images.clone()),
        _ => (0, Vec::new()),
    };
    for inner in &forwarded {
        remote_images.extend(
            inner.remote_images.iter().filter(|u| !remote_images.contains(u)).cloned().collect::<Vec<_>>(),
        );
    }
    DisplayMessage {
        headers,
        remote_blocked: own_remote + forwarded.iter().map(|f| f.remote_blocked).sum::<usize>(),
        remote_images,
        body,
        attachments,
        first_attachment,
        images,
        notes: display.notes,
        forwarded,
        report: display.report,
        invitations: Cards::default(),
        receipts: Receipts::default(),
    }
}

/// Decodes the message's own images the body shows (`cid:` sources) into `images`, and
/// takes them off the list of attachments. One that cannot be shown stays listed, so it can
/// still be saved.
fn inline_images(
    rich: &Rich,
    attachments: &mut Vec<Attachment>,
    decoder: &mut Decoder,
    images: &mut HashMap<String, Handle>,
) {
    for src in rich.pieces.iter().filter_map(|p| p.image.as_deref()) {
        let Some(id) = images::cid(src) else { continue };
        if images.contains_key(src) {
            continue;
        }
        let Some(at) = attachments
            .iter()
            .position(|a| a.content_id.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&id)))
        else {
            continue;
        };
        if let Ok(pixels) = decoder.decode(&attachments[at].data) {
            images.insert(src.to_string(), Handle::from_rgba(pixels.width, pixels.height, pixels.rgba));
            attachments.remove(at);
        }
    }
}

/// A forwarded message's header lines, from the model (the store only has the outer one's).
fn summary(display: &Display) -> Summary {
    let from = display.from.first();
    let list = |boxes: &[Mailbox]| {
        let joined = boxes.iter().map(Mailbox::to_string).collect::<Vec<_>>().join(", ");
        (!joined.is_empty()).then_some(joined)
    };
    Summary {
        date: display.timestamp,
        from_name: from.and_then(|m| m.name.clone()),
        from_addr: from.and_then(|m| m.address.clone()),
        to: list(&display.to),
        cc: list(&display.cc),
        subject: display.subject.clone(),
        message_id: display.message_id.clone(),
        ..Summary::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORWARD: &[u8] = b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n\
        Subject: Fwd: plans\r\nDate: Tue, 1 Oct 2024 10:00:00 +0000\r\n\
        Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
        --outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee below.\r\n\
        --outer\r\nContent-Type: message/rfc822\r\n\r\n\
        From: Carol <carol@example.org>\r\nTo: Alice <alice@example.test>\r\n\
        Subject: plans\r\nDate: Mon, 30 Sep 2024 08:30:00 +0000\r\n\
        Content-Type: text/html; charset=utf-8\r\n\r\n\
        <p>The <b>plan</b> <img src=\"https://example.org/t.gif\"></p>\r\n\
        --outer\r\nContent-Type: application/pdf; name=\"=?utf-8?B?UsOpc3Vtw6kucGRm?=\"\r\n\
        Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.pdf\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8s\r\nIHdvcmxk\r\n\
        --outer--\r\n";

    #[test]
    fn forwarded_messages_keep_their_own_headers_and_body() {
        let m = render(FORWARD, BodyFormat::Best, &Summary::default(), &Invitee::default());
        assert_eq!(m.headers.subject.as_deref(), Some("Fwd: plans"));
        assert!(matches!(&m.body, Body::Text(t) if t == "See below."), "{:?}", m.body);
        let names: Vec<_> = m.attachments.iter().map(|a| (a.name.as_str(), a.size)).collect();
        assert_eq!(names, [("résumé final.pdf", 12)]);
        let [inner] = &m.forwarded[..] else { panic!("{:?}", m.forwarded) };
        assert_eq!(inner.headers.subject.as_deref(), Some("plans"));
        assert_eq!(inner.headers.from_name.as_deref(), Some("Carol"));
        assert_eq!(inner.headers.to.as_deref(), Some("Alice <alice@example.test>"));
        assert_eq!(inner.headers.date, Some(1_727_685_000));
        let Body::Rich(rich) = &inner.body else { panic!("{:?}", inner.body) };
        assert!(rich.pieces.iter().any(|p| p.text == "plan" && p.emphasis.strong), "{rich:?}");
        // The forwarded message's remote image counts for the whole reader.
        assert_eq!((inner.remote_blocked, m.remote_blocked), (1, 1));
    }

    #[test]
    fn odd_messages_still_show_something() {
        let m =
            render(b"Subject: x\n\nJust text\n", BodyFormat::Best, &Summary::default(), &Invitee::default());
        assert!(matches!(&m.body, Body::Text(t) if t.trim_end() == "Just text"), "{:?}", m.body);
        // No header (an error row): the list's summary stands in.
        let fallback = Summary { subject: Some("from the list".into()), ..Summary::default() };
        let m = render(b"\r\n\r\n", BodyFormat::Best, &fallback, &Invitee::default());
        assert_eq!(m.headers.subject.as_deref(), Some("from the list"));
        assert!(matches!(m.body, Body::Empty), "{:?}", m.body);
    }
}
