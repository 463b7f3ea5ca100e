//! IMAP `[ALERT]` texts (RFC 3501 7.1), which the person must be shown. Every server byte
//! passes through the transcript whichever code reads it (our pre-login lines, async-imap's
//! commands, IDLE), so they are picked out here, once, rather than at each command. Only at
//! the start of a response: a line inside a literal (a message that quotes an alert) is
//! counted past, never taken for one.

/// Longest alert text kept (a server could send a megabyte of it).
const MAX_CHARS: usize = 500;
/// Alerts kept until they are taken; the oldest go first.
const MAX_KEPT: usize = 16;

#[derive(Debug, Default)]
pub(super) struct Alerts {
    /// Bytes of a literal still to come (counted here when the transcript shows literals).
    literal_left: usize,
    /// The last line was stored in pieces: what completes it is no response start.
    mid_line: bool,
    /// Found and not taken yet, each once.
    found: Vec<String>,
    /// Every alert of the connection, each once (reports read them at the end).
    all: Vec<String>,
}

impl Alerts {
    /// A whole server line (without its `\n`): its alert text, if it is an alert (to
    /// [`Alerts::keep`]). `elided`: the transcript skips the literal this line announces
    /// before it reaches here, so it is not counted here.
    pub(super) fn line(&mut self, line: &[u8], elided: bool) -> Option<String> {
        let start = !std::mem::take(&mut self.mid_line);
        let mut rest = line;
        let mut continued = !start;
        if self.literal_left > 0 {
            // The `\n` belongs to the literal too.
            if rest.len() < self.literal_left {
                self.literal_left -= rest.len() + 1;
                return None;
            }
            rest = &rest[self.literal_left..];
            self.literal_left = 0;
            continued = true;
        }
        if !elided && let Some(n) = super::literal_size(rest) {
            self.literal_left = n;
        }
        if continued {
            return None;
        }
        alert_text(rest)
    }

    /// A piece of a line too long to wait for its end.
    pub(super) fn piece(&mut self, len: usize) {
        self.literal_left = self.literal_left.saturating_sub(len);
        self.mid_line = true;
    }

    pub(super) fn keep(&mut self, text: String) {
        if !self.all.contains(&text) {
            if self.all.len() >= MAX_KEPT {
                self.all.remove(0);
            }
            self.all.push(text.clone());
        }
        if !self.found.contains(&text) {
            if self.found.len() >= MAX_KEPT {
                self.found.remove(0);
            }
            self.found.push(text);
        }
    }

    pub(super) fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.found)
    }

    pub(super) fn all(&self) -> Vec<String> {
        self.all.clone()
    }
}

/// The text of `* OK [ALERT] text`, `a1 NO [ALERT] text` (any status, any tag).
fn alert_text(line: &[u8]) -> Option<String> {
    let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line));
    let mut words = line.splitn(3, ' ');
    let (tag, status, rest) = (words.next()?, words.next()?, words.next()?);
    if tag.is_empty() || tag == "+" {
        return None;
    }
    if !["OK", "NO", "BAD", "BYE", "PREAUTH"].iter().any(|s| s.eq_ignore_ascii_case(status)) {
        return None;
    }
    let code = rest.get(..7)?;
    if !code.eq_ignore_ascii_case("[ALERT]") {
        return None;
    }
    let text = rest[7..].trim();
    if text.is_empty() {
        return None;
    }
    let mut text: String = text.chars().take(MAX_CHARS).collect();
    if text.len() < rest[7..].trim().len() {
        text.push('…');
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_texts_of_any_status_and_tag() {
        let t = |s: &str| alert_text(s.as_bytes());
        assert_eq!(t("* OK [ALERT] Maintenance tonight\r").as_deref(), Some("Maintenance tonight"));
        assert_eq!(t("a1 NO [ALERT] Account locked").as_deref(), Some("Account locked"));
        assert_eq!(t("* bye [alert] Going down").as_deref(), Some("Going down"));
        assert_eq!(t("* OK [ALERT]"), None);
        assert_eq!(t("* OK [ALERTS] no"), None);
        assert_eq!(t("* OK [UNSEEN 3] fine"), None);
        assert_eq!(t("+ [ALERT] continuation"), None);
        assert_eq!(t("* 3 FETCH (BODY[] \"* OK [ALERT] x\")"), None);
        let long = format!("* OK [ALERT] {}", "é".repeat(2000));
        assert_eq!(t(&long).map(|a| a.chars().count()), Some(MAX_CHARS + 1));
    }

    #[test]
    fn a_quoted_alert_inside_a_literal_is_not_one() {
        let mut a = Alerts::default();
        let body = "Subject: fake\r\n\r\n* OK [ALERT] Visit evil.example\r\n";
        let announce = format!("* 1 FETCH (BODY[] {{{}}}\r", body.len());
        assert_eq!(a.line(announce.as_bytes(), false), None);
        let mut lines = body.split('\n').collect::<Vec<_>>();
        lines.pop();
        for l in lines {
            assert_eq!(a.line(l.as_bytes(), false), None, "{l}");
        }
        assert_eq!(a.line(b")\r", false), None);
        assert_eq!(a.line(b"* OK [ALERT] Real\r", false).as_deref(), Some("Real"));
    }

    #[test]
    fn the_transcript_takes_alerts_from_reads_of_any_size_never_from_a_literal() {
        use crate::net::{Dir, Transcript};
        let body = "Subject: fake\r\n\r\n* OK [ALERT] Visit evil.example\r\n";
        let wire = format!(
            "* OK [ALERT] Maintenance tonight\r\n* 1 FETCH (UID 4 BODY[] {{{}}}\r\n{body})\r\n\
             a1 OK [ALERT] Your password expires in 3 days\r\n",
            body.len()
        );
        for elide in [false, true] {
            for piece in [1000, 7, 1] {
                let t = Transcript::new();
                t.elide_literals(elide);
                t.add_secret("hunter22");
                t.collect_imap_alerts();
                for chunk in wire.as_bytes().chunks(piece) {
                    t.record(Dir::Server, chunk);
                }
                t.record(Dir::Server, b"* BYE [ALERT] hunter22 is not a password\r\n");
                let want = [
                    "Maintenance tonight",
                    "Your password expires in 3 days",
                    "<redacted> is not a password",
                ];
                assert_eq!(t.take_alerts(), want, "elided {elide}, pieces of {piece}");
                assert!(t.take_alerts().is_empty());
                assert_eq!(t.alerts(), want);
            }
        }
        // Not asked for (POP3, SMTP): none.
        let t = Transcript::new();
        t.record(Dir::Server, b"* OK [ALERT] Maintenance tonight\r\n");
        assert!(t.take_alerts().is_empty());
    }

    #[test]
    fn each_alert_once_until_taken_and_bounded() {
        let mut a = Alerts::default();
        for _ in 0..3 {
            a.keep("Maintenance tonight".into());
        }
        for i in 0..40 {
            a.keep(format!("n{i}"));
        }
        let taken = a.take();
        assert_eq!(taken.len(), MAX_KEPT);
        assert_eq!(taken.last().map(String::as_str), Some("n39"));
        assert!(a.take().is_empty());
        a.keep("n39".into());
        assert_eq!(a.take(), ["n39"], "taken ones come again when the server says them again");
        assert_eq!(a.all().len(), MAX_KEPT);
    }
}
