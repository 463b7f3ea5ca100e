//! A meeting request that came as a link to Outlook on the web. Exchange (Online and on
//! premises) gives IMAP and POP3 clients meeting requests that way unless the mailbox's
//! `ImapForceICalForCalendarRetrievalOption` (`Pop…` for POP3) is on: the message keeps its
//! `Content-Class: urn:content-classes:calendarmessage` and its text, but has no calendar
//! part, and its body links to the item in Outlook on the web.

use mail_parser::MessageParser;
use serde::Serialize;

use crate::message::Display;

/// A meeting request seen only as an Outlook-on-the-web link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwaLink {
    /// The link to the meeting in Outlook on the web, when the body has one.
    pub link: Option<String>,
    /// What the card says, and what an administrator can do about it.
    pub explanation: String,
    /// The command for an IMAP account, and for a POP3 one.
    pub imap_command: String,
    pub pop3_command: String,
}

impl OwaLink {
    /// The explanation for an account of this protocol (`pop3`: the POP3 command).
    pub fn explain(&self, pop3: bool) -> String {
        format!(
            "Your mailbox delivers meeting requests as links to Outlook on the web, so they cannot be answered here. \
             An administrator can deliver them as iCalendar instead (Exchange Online PowerShell): {}",
            if pop3 { &self.pop3_command } else { &self.imap_command }
        )
    }
}

/// The meeting request link in message `raw` (shown as `display`), if it is one: a calendar
/// message by its Content-Class, or a body linking to an Outlook-on-the-web item, with no
/// calendar part. `mailbox` names the mailbox in the commands (the account's address).
pub fn owa_link(raw: &[u8], display: &Display, mailbox: &str) -> Option<OwaLink> {
    if !display.calendar.is_empty() {
        return None;
    }
    let headers = MessageParser::new().parse_headers(raw)?;
    let calendar_class = headers
        .header_raw("Content-Class")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("urn:content-classes:calendarmessage"));
    let link = find_link(&display.body.text);
    if !calendar_class && link.is_none() {
        return None;
    }
    let mailbox = if mailbox.trim().is_empty() { "USER01" } else { mailbox.trim() };
    let imap_command = format!(
        "Set-CASMailbox -Identity {mailbox} -ImapUseProtocolDefaults $false -ImapForceICalForCalendarRetrievalOption $true"
    );
    let pop3_command = format!(
        "Set-CASMailbox -Identity {mailbox} -PopUseProtocolDefaults $false -PopForceICalForCalendarRetrievalOption $true"
    );
    let mut found = OwaLink { link, explanation: String::new(), imap_command, pop3_command };
    found.explanation = found.explain(false);
    Some(found)
}

/// The first link to an Outlook-on-the-web item (`…/owa/…ItemID=…`) in the text.
fn find_link(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '(' | ')'))
        .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
        .find(|w| {
            let l = w.to_ascii_lowercase();
            l.contains("/owa/") && l.contains("itemid=")
        })
        .map(|w| w.chars().take(2_000).collect())
}
