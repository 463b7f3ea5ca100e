//! Delivery reports: the machine-readable part of a DSN (`message/delivery-status`, RFC 3464)
//! and of a read receipt (`message/disposition-notification`, RFC 8098), as one status per
//! recipient.

use super::model::{RecipientStatus, Report};
use super::walk::cut_chars;
use crate::limits::{MAX_HEADER_CHARS, MAX_REPORT_RECIPIENTS};

/// `kind` is `delivery-status` or `disposition-notification`; `data` the part's bytes:
/// groups of header-like fields separated by empty lines (the first about the message, one
/// per recipient after it; a read receipt has a single group).
pub fn parse(kind: &str, data: &[u8]) -> Report {
    let text = String::from_utf8_lossy(data);
    let mut report = Report { kind: kind.to_string(), ..Report::default() };
    for group in groups(&text) {
        let field = |name: &str| group.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        if report.reporter.is_none() {
            report.reporter = field("reporting-mta").or(field("reporting-ua")).map(value);
        }
        if report.original_message_id.is_none() {
            report.original_message_id = field("original-message-id").map(|id| {
                let id = id.trim();
                value(id.strip_prefix('<').and_then(|i| i.strip_suffix('>')).unwrap_or(id))
            });
        }
        let Some(recipient) = field("final-recipient").or(field("original-recipient")) else { continue };
        if report.recipients.len() == MAX_REPORT_RECIPIENTS {
            break;
        }
        let disposition = field("disposition");
        report.recipients.push(RecipientStatus {
            recipient: value(recipient),
            // "manual-action/MDN-sent-manually; displayed" → "displayed".
            action: field("action").map(value).or_else(|| {
                disposition
                    .and_then(|d| d.rsplit(';').next())
                    .map(|d| value(d.split('/').next().unwrap_or(d)))
            }),
            status: field("status").or(disposition).map(|s| cut_chars(s.trim(), MAX_HEADER_CHARS)),
            diagnostic: field("diagnostic-code").or(field("failure")).or(field("error")).map(value),
            remote_mta: field("remote-mta").map(value),
        });
    }
    report
}

/// A field's value without its type ("rfc822; bob@example.test" → "bob@example.test",
/// "smtp; 550 5.1.1 No such user" → "550 5.1.1 No such user").
fn value(v: &str) -> String {
    let v = v.trim();
    let v = match v.split_once(';') {
        Some((kind, rest)) if !kind.is_empty() && kind.len() < 20 && !kind.contains(' ') => rest.trim(),
        _ => v,
    };
    cut_chars(v, MAX_HEADER_CHARS)
}

/// Groups of unfolded fields (names lower case), split at empty lines.
fn groups(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            if out.len() > MAX_REPORT_RECIPIENTS {
                break;
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = current.last_mut()
                && v.len() < 4 * MAX_HEADER_CHARS
            {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((name, v)) = line.split_once(':') {
            current.push((name.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dsn_gives_each_recipient_with_its_status() {
        let r = parse(
            "delivery-status",
            b"Reporting-MTA: dns; mx.example.test\r\nArrival-Date: Tue, 1 Oct 2024 10:00:00 +0000\r\n\r\n\
              Final-Recipient: rfc822; nobody@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\
              Remote-MTA: dns; mail.example.test\r\nDiagnostic-Code: smtp; 550 5.1.1 No such\r\n user\r\n\r\n\
              Final-Recipient: rfc822;late@example.test\r\nAction: delayed\r\nStatus: 4.4.1\r\n",
        );
        assert_eq!(r.reporter.as_deref(), Some("mx.example.test"));
        assert_eq!(r.recipients.len(), 2);
        let first = &r.recipients[0];
        assert_eq!(first.recipient, "nobody@example.test");
        assert_eq!((first.action.as_deref(), first.status.as_deref()), (Some("failed"), Some("5.1.1")));
        assert_eq!(first.diagnostic.as_deref(), Some("550 5.1.1 No such user"));
        assert_eq!(first.remote_mta.as_deref(), Some("mail.example.test"));
        assert_eq!(r.recipients[1].action.as_deref(), Some("delayed"));
    }

    #[test]
    fn a_read_receipt_gives_its_disposition() {
        let r = parse(
            "disposition-notification",
            b"Reporting-UA: mail.example.test; Tidings\r\nOriginal-Recipient: rfc822;bob@example.test\r\n\
              Final-Recipient: rfc822;bob@example.test\r\nOriginal-Message-ID: <1@example.test>\r\n\
              Disposition: manual-action/MDN-sent-manually; displayed\r\n",
        );
        assert_eq!(r.original_message_id.as_deref(), Some("1@example.test"));
        assert_eq!(r.recipients[0].action.as_deref(), Some("displayed"));
        assert_eq!(r.recipients[0].status.as_deref(), Some("manual-action/MDN-sent-manually; displayed"));
    }
}
