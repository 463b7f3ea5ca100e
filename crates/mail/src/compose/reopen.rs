//! A message in the Drafts folder opened again for editing: its header fields and text as
//! the composer shows them. A copy Tidings stored keeps its draft id (the [`DRAFT_HEADER`]
//! header), so saving, sending or discarding it replaces or removes that copy as for any
//! draft; one written by another program gets a new id and remembers the copy's Message-ID
//! ([`Draft::replaces`]), for the same.

use mail_parser::MessageParser;

use super::draft::Draft;
use super::{Address, DRAFT_HEADER, Original, format_address_list};
use crate::error::{Error, Kind, Result};

impl Draft {
    /// Reads a stored draft (the raw message) for the account `account`. `saved_at` is the
    /// copy's Date (when it was saved), 0 without one.
    pub fn from_stored(account: &str, raw: &[u8]) -> Result<Draft> {
        let original = Original::parse(raw)?;
        let msg = MessageParser::default()
            .parse(raw)
            .ok_or_else(|| Error::new(Kind::Protocol, "cannot read the draft: it is not in a mail format"))?;
        let bcc: Vec<Address> = msg
            .bcc()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.address().map(|email| Address::new(x.name(), email)))
                    .filter(|x| !x.email.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let ours = msg
            .header(DRAFT_HEADER)
            .and_then(|v| v.as_text())
            .map(str::trim)
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .map(str::to_string);
        let from = original.from.first().cloned().unwrap_or_default();
        let mut draft = Draft::new(account, from);
        match ours {
            Some(id) => draft.id = id,
            None => draft.replaces = original.message_id.clone(),
        }
        draft.to = format_address_list(&original.to);
        draft.cc = format_address_list(&original.cc);
        draft.bcc = format_address_list(&bcc);
        draft.subject = original.subject;
        draft.body = original.text.replace("\r\n", "\n");
        draft.attachments = original.attachments;
        draft.in_reply_to = msg.in_reply_to().as_text().map(str::to_string);
        draft.references = match msg.references() {
            mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
            mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
            _ => Vec::new(),
        };
        draft.saved_at = msg.date().map_or(0, mail_parser::DateTime::to_timestamp);
        Ok(draft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::Attachment;

    #[test]
    fn a_draft_stored_by_tidings_comes_back_with_its_id_and_every_field() {
        let mut d = Draft::new("alice", Address::new(Some("Alice"), "alice@example.test"));
        d.to = "Bob <bob@example.test>, carol@example.test".into();
        d.cc = "dave@example.test".into();
        d.bcc = "secret@example.test".into();
        d.subject = "Grüße".into();
        d.body = "line one\nline two\n".into();
        d.attachments = vec![Attachment::new("b.bin", "application/octet-stream", vec![0, 1, 2, 255])];
        d.in_reply_to = Some("first@example.test".into());
        d.references = vec!["first@example.test".into()];
        let raw = d.to_draft_bytes().unwrap().bytes;

        let back = Draft::from_stored("alice", &raw).unwrap();
        assert_eq!(back.id, d.id);
        assert_eq!(back.replaces, None);
        assert_eq!(back.from, d.from);
        assert_eq!(
            (back.to.as_str(), back.cc.as_str(), back.bcc.as_str()),
            (d.to.as_str(), d.cc.as_str(), d.bcc.as_str())
        );
        assert_eq!(back.subject, d.subject);
        assert_eq!(back.body.trim_end(), "line one\nline two");
        assert_eq!(back.attachments, d.attachments);
        assert_eq!(back.in_reply_to, d.in_reply_to);
        assert_eq!(back.references, d.references);
        assert!(back.saved_at > 0);
    }

    #[test]
    fn a_draft_from_another_program_gets_an_id_and_replaces_its_copy() {
        let raw = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: Plan\r\n\
            Message-ID: <other-1@example.test>\r\nX-Tidings-Draft: ../bad\r\n\r\nSketch\r\n";
        let d = Draft::from_stored("alice", raw).unwrap();
        assert_eq!(d.replaces.as_deref(), Some("other-1@example.test"));
        assert_eq!(d.id.len(), Draft::new("alice", Address::default()).id.len());
        assert_eq!(
            (d.to.as_str(), d.subject.as_str(), d.body.as_str()),
            ("bob@example.test", "Plan", "Sketch\n")
        );
        assert_eq!(d.saved_at, 0);
    }
}
