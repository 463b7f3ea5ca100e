//! An account's status bar: what its send/receive is doing, in plain words — when it last
//! checked and when it checks next, a check under way with its progress (folders, messages,
//! bytes), sending (n of m), between checks the bodies kept offline (n of m), IDLE active since when, or offline with the reason and when it
//! tries again. Beside them, the last alert the server asked to be shown (IMAP `[ALERT]`,
//! "your password expires in 3 days"), with the time it came, until another one replaces it.
//!
//! [`Status`] is a small view-model fed with [`Update`]s, each stamped with the wall-clock
//! time it arrived (so tests give fixed times and get fixed words). Clock times are shown in
//! UTC, like the reader's dates, and said so. Relative times ("retrying in 2 min") are
//! counted from the latest stamp or [`Status::tick`].

use std::time::{Duration, SystemTime};

use iced::widget::{progress_bar, row, text};
use iced::{Alignment, Element};

use crate::theme;

/// Progress of a check, as much as is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// What is being done, when it is more than "checking" ("Downloading", "Connecting").
    pub doing: Option<String>,
    /// The folder being checked (IMAP), for people.
    pub folder: Option<String>,
    /// Folders done and in all.
    pub folders: Option<(u64, u64)>,
    /// Messages done and in all (headers for IMAP, downloads for POP3).
    pub messages: Option<(u64, u64)>,
    pub bytes: u64,
    /// Bytes expected, when known (0: unknown).
    pub total_bytes: u64,
}

/// Whether IDLE is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idle {
    /// Idling since this time.
    Active(SystemTime),
    /// Polling instead, or connecting: no "IDLE active" in the bar.
    Inactive,
    /// The IDLE connection dropped; it tries again after `retry_in`.
    Lost { reason: String, retry_in: Option<Duration> },
}

/// What changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Started,
    Checking(Progress),
    Sending {
        done: u64,
        total: u64,
    },
    Finished {
        error: Option<String>,
        kind: Option<tidings_mail::Kind>,
        next: Option<Duration>,
    },
    Offline {
        reason: String,
        retry_in: Option<Duration>,
    },
    Idle(Idle),
    Alert(String),
    /// Keeping mail offline between checks: bodies stored of those in scope; `finished`
    /// when the download ended (all there, or stopped for a check).
    KeepingOffline {
        done: u64,
        total: u64,
        finished: bool,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
enum Activity {
    /// No pass has run since Tidings started.
    #[default]
    NotYet,
    /// Between passes.
    Waiting,
    Checking(Progress),
    Sending {
        done: u64,
        total: u64,
    },
    Offline {
        reason: String,
        retry_at: Option<SystemTime>,
    },
}

/// One account's status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    activity: Activity,
    last_check: Option<SystemTime>,
    next_check: Option<SystemTime>,
    idle_since: Option<SystemTime>,
    /// Why the last pass failed (other than the network: that is "offline").
    failed: Option<String>,
    /// The server refused the log-in in the last pass (an OAuth2 account signs in again).
    auth_failed: bool,
    /// The server's last alert and when it came.
    alert: Option<(String, SystemTime)>,
    /// Bodies kept offline so far and in all, while a download runs.
    offline: Option<(u64, u64)>,
    now: Option<SystemTime>,
}

impl Status {
    /// Takes an update that arrived `at`.
    pub fn apply(&mut self, update: Update, at: SystemTime) {
        self.now = Some(at);
        match update {
            Update::Started => self.activity = Activity::Checking(Progress::default()),
            Update::Checking(progress) => self.activity = Activity::Checking(progress),
            Update::Sending { done, total } => self.activity = Activity::Sending { done, total },
            Update::Finished { error, kind, next } => {
                self.activity = Activity::Waiting;
                self.last_check = Some(at);
                self.auth_failed = error.is_some() && kind == Some(tidings_mail::Kind::Auth);
                self.failed = error;
                self.next_check = next.map(|d| at + d);
            }
            Update::Offline { reason, retry_in } => {
                self.activity = Activity::Offline { reason, retry_at: retry_in.map(|d| at + d) };
                self.next_check = None;
            }
            Update::KeepingOffline { done, total, finished } => {
                self.offline = (!finished && done < total).then_some((done, total));
            }
            Update::Idle(Idle::Active(since)) => self.idle_since = Some(since),
            Update::Idle(Idle::Inactive) => self.idle_since = None,
            // The same words again (each IDLE connection's greeting, the next pass) are the
            // same alert: it keeps the time it first came.
            Update::Alert(text) => {
                if self.alert.as_ref().is_none_or(|(shown, _)| *shown != text) {
                    self.alert = Some((text, at));
                }
            }
            Update::Idle(Idle::Lost { reason, retry_in }) => {
                self.idle_since = None;
                // A check under way says more; between checks, the lost connection is the news.
                if matches!(self.activity, Activity::Waiting | Activity::NotYet) {
                    self.activity = Activity::Offline { reason, retry_at: retry_in.map(|d| at + d) };
                }
            }
        }
    }

    /// The clock moved on (relative times are counted from it).
    pub fn tick(&mut self, now: SystemTime) {
        self.now = Some(now);
    }

    /// A check or a send is under way.
    pub fn is_busy(&self) -> bool {
        matches!(self.activity, Activity::Checking(_) | Activity::Sending { .. })
    }

    pub fn is_offline(&self) -> bool {
        matches!(self.activity, Activity::Offline { .. })
    }

    /// The last check failed because the server refused the log-in.
    pub fn auth_failed(&self) -> bool {
        self.auth_failed && matches!(self.activity, Activity::Waiting)
    }

    /// Something went wrong (offline, or the last check failed).
    pub fn is_trouble(&self) -> bool {
        self.is_offline() || (matches!(self.activity, Activity::Waiting) && self.failed.is_some())
    }

    /// The bar's words.
    pub fn line(&self) -> String {
        match &self.activity {
            Activity::Checking(p) => checking(p),
            Activity::Sending { done, total } if done >= total => format!("Sent {total} of {total}"),
            Activity::Sending { done, total } => format!("Sending {} of {total}…", done + 1),
            Activity::Offline { reason, retry_at } => {
                let when = match retry_at {
                    Some(at) => match at.duration_since(self.now.unwrap_or(*at)) {
                        Ok(left) if left >= Duration::from_secs(1) => format!("retrying in {}", span(left)),
                        _ => "retrying now".to_string(),
                    },
                    None => "press F5 to try again".to_string(),
                };
                let mut line = format!("Offline: {} — {when}", sentence(reason));
                if let Some(last) = self.last_check {
                    line.push_str(&format!(" · last checked {} (UTC)", clock(last)));
                }
                line
            }
            Activity::NotYet | Activity::Waiting => self.waiting(),
        }
    }

    fn waiting(&self) -> String {
        let mut parts = Vec::new();
        if let Some((done, total)) = self.offline {
            parts.push(format!("Keeping mail offline: {} of {}", count(done), count(total)));
        }
        match (self.last_check, &self.failed) {
            (Some(at), None) => parts.push(format!("Checked {}", clock(at))),
            (Some(at), Some(why)) => parts.push(format!("Check at {} failed: {}", clock(at), sentence(why))),
            (None, _) => parts.push("Not checked yet".to_string()),
        }
        if let Some(since) = self.idle_since {
            parts.push(format!("IDLE active since {}", clock(since)));
        }
        match self.next_check {
            Some(next) => parts.push(format!("next at {}", clock(next))),
            None if self.idle_since.is_none() && self.activity == Activity::Waiting => {
                parts.push("checks when you ask (F5)".to_string())
            }
            None => {}
        }
        let timed = self.last_check.is_some() || self.idle_since.is_some() || self.next_check.is_some();
        let mut line = parts.join(" · ");
        if timed {
            line.push_str(" (UTC)");
        }
        line
    }

    /// The server's last alert, for people: "The server says (14:02 UTC): …".
    pub fn alert_line(&self) -> Option<String> {
        self.alert.as_ref().map(|(text, at)| format!("The server says ({} UTC): {text}", clock(*at)))
    }

    /// The bar: its words, and a progress bar while a count is known.
    pub fn view<'a, M: 'a>(&self) -> Element<'a, M> {
        let style = if self.is_trouble() {
            theme::text::error
        } else if self.is_busy() {
            text::default
        } else {
            theme::text::muted
        };
        let words = text(self.line()).size(12).style(style);
        let fraction = match &self.activity {
            Activity::Checking(Progress { messages: Some((done, total)), .. }) if *total > 0 => {
                Some((*done as f32, *total as f32))
            }
            Activity::Checking(Progress { folders: Some((done, total)), .. }) if *total > 0 => {
                Some((*done as f32, *total as f32))
            }
            Activity::Sending { done, total } if *total > 0 => Some((*done as f32, *total as f32)),
            Activity::Waiting => self.offline.map(|(done, total)| (done as f32, total as f32)),
            _ => None,
        };
        let bar = fraction.map(|(done, total)| progress_bar(0.0..=total, done).length(120).girth(6));
        let alert = self.alert_line().map(|line| text(line).size(12).style(theme::text::warning));
        row![words].push(bar).push(alert).spacing(10).align_y(Alignment::Center).into()
    }
}

fn checking(p: &Progress) -> String {
    let mut parts = vec![match (&p.doing, &p.folder) {
        (Some(doing), _) => doing.clone(),
        (None, Some(folder)) => format!("Checking {folder}"),
        (None, None) => "Checking for new mail".to_string(),
    }];
    if let Some((done, total)) = p.folders {
        parts.push(format!("folder {} of {}", (done + 1).min(total.max(1)), count(total)));
    }
    if let Some((done, total)) = p.messages {
        parts.push(format!("messages {} of {}", count(done), count(total)));
    }
    match (p.bytes, p.total_bytes) {
        (0, _) => {}
        (bytes, 0) => parts.push(size(bytes)),
        (bytes, total) => parts.push(format!("{} of {}", size(bytes), size(total))),
    }
    let mut line = parts.join(" · ");
    if p.folders.is_none() && p.messages.is_none() && p.bytes == 0 {
        line.push('…');
    }
    line
}

/// "14:02" (UTC).
pub fn clock(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) % 86_400;
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// "45 s", "2 min", "1 h 5 min" (rounded up to what is said).
pub fn span(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match secs {
        0..60 => format!("{secs} s"),
        60..5400 => format!("{} min", secs.div_ceil(60)),
        _ => {
            let minutes = secs.div_ceil(60);
            match minutes % 60 {
                0 => format!("{} h", minutes / 60),
                m => format!("{} h {m} min", minutes / 60),
            }
        }
    }
}

fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1000 => format!("{bytes} B"),
        1000..1_000_000 => format!("{} KB", bytes.div_ceil(1000)),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// The core's lower-case messages as the start of a sentence, without a final full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => {
            first.to_uppercase().chain(chars).collect::<String>().trim_end_matches('.').to_string()
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hh: u64, mm: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_683_200 + hh * 3600 + mm * 60)
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(span(Duration::from_secs(45)), "45 s");
        assert_eq!(span(Duration::from_secs(60)), "1 min");
        assert_eq!(span(Duration::from_secs(61)), "2 min");
        assert_eq!(span(Duration::from_secs(2 * 3600)), "2 h");
        assert_eq!(span(Duration::from_secs(3600 * 2 + 300)), "2 h 5 min");
        assert_eq!(clock(at(14, 2)), "14:02");
    }

    #[test]
    fn keeping_mail_offline_shows_between_checks_until_it_ends() {
        let mut s = Status::default();
        s.apply(Update::Finished { error: None, kind: None, next: None }, at(14, 2));
        s.apply(Update::KeepingOffline { done: 1234, total: 10_000, finished: false }, at(14, 2));
        assert_eq!(
            s.line(),
            "Keeping mail offline: 1,234 of 10,000 · Checked 14:02 · checks when you ask (F5) (UTC)"
        );
        assert!(!s.is_busy(), "a check can start at any time: it stops the download");
        // A check says what it does; the download's count comes back after it.
        s.apply(Update::Started, at(14, 3));
        assert_eq!(s.line(), "Checking for new mail…");
        s.apply(Update::KeepingOffline { done: 1300, total: 10_000, finished: true }, at(14, 3));
        s.apply(Update::Finished { error: None, kind: None, next: None }, at(14, 3));
        assert_eq!(s.line(), "Checked 14:03 · checks when you ask (F5) (UTC)");
        s.apply(Update::KeepingOffline { done: 9_999, total: 10_000, finished: false }, at(14, 4));
        assert!(s.line().starts_with("Keeping mail offline: 9,999 of 10,000"), "{}", s.line());
        s.apply(Update::KeepingOffline { done: 10_000, total: 10_000, finished: false }, at(14, 5));
        assert!(!s.line().contains("offline"), "{}", s.line());
    }

    #[test]
    fn each_state_has_its_words() {
        let mut s = Status::default();
        assert_eq!(s.line(), "Not checked yet");
        s.apply(Update::Started, at(14, 0));
        assert_eq!(s.line(), "Checking for new mail…");
        assert!(s.is_busy());
        s.apply(
            Update::Checking(Progress {
                doing: None,
                folder: Some("INBOX".into()),
                folders: Some((0, 5)),
                messages: Some((400, 1000)),
                bytes: 1_200_000,
                total_bytes: 0,
            }),
            at(14, 1),
        );
        assert_eq!(s.line(), "Checking INBOX · folder 1 of 5 · messages 400 of 1,000 · 1.2 MB");
        s.apply(Update::Sending { done: 0, total: 3 }, at(14, 1));
        assert_eq!(s.line(), "Sending 1 of 3…");
        s.apply(
            Update::Finished { error: None, kind: None, next: Some(Duration::from_secs(600)) },
            at(14, 2),
        );
        assert_eq!(s.line(), "Checked 14:02 · next at 14:12 (UTC)");
        s.apply(Update::Idle(Idle::Active(at(14, 2))), at(14, 2));
        assert_eq!(s.line(), "Checked 14:02 · IDLE active since 14:02 · next at 14:12 (UTC)");
        s.apply(
            Update::Offline { reason: "cannot connect".into(), retry_in: Some(Duration::from_secs(120)) },
            at(14, 12),
        );
        assert_eq!(s.line(), "Offline: Cannot connect — retrying in 2 min · last checked 14:02 (UTC)");
        assert!(s.is_offline() && s.is_trouble());
        s.tick(at(14, 13));
        assert_eq!(s.line(), "Offline: Cannot connect — retrying in 1 min · last checked 14:02 (UTC)");
        s.tick(at(14, 15));
        assert!(s.line().contains("retrying now"), "{}", s.line());
        s.apply(
            Update::Finished {
                error: Some("the server said no".into()),
                kind: Some(tidings_mail::Kind::Auth),
                next: None,
            },
            at(14, 15),
        );
        assert_eq!(s.line(), "Check at 14:15 failed: The server said no · IDLE active since 14:02 (UTC)");
        s.apply(Update::Idle(Idle::Inactive), at(14, 16));
        assert_eq!(s.line(), "Check at 14:15 failed: The server said no · checks when you ask (F5) (UTC)");
    }
}
