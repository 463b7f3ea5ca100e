//! Per-account behaviour the user chooses in the account settings: when to check, IDLE,
//! the POP3 options (defaults as the seeds and Thunderbird advise), offline copies, body
//! format, read receipts, minimum TLS version, notifications. Every field has a default, so
//! older config files load unchanged.

use serde::{Deserialize, Serialize};

use crate::schedule::Schedule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    pub schedule: Schedule,
    /// Use IMAP IDLE for near-real-time new mail (when the server offers it).
    pub idle: bool,
    /// Folders watched with IDLE besides INBOX (one connection each); the other folders are
    /// checked with STATUS every time IDLE is re-issued.
    pub idle_folders: IdleFolders,
    pub pop3: Pop3Options,
    /// Download message bodies in the background for offline reading, of every folder or of
    /// the last days (IMAP; otherwise bodies are fetched when opened, and kept).
    pub keep_offline: KeepOffline,
    pub body_format: BodyFormat,
    pub read_receipts: ReceiptPolicy,
    /// New messages ask for a read receipt (the composer's checkbox starts ticked).
    pub request_receipts: bool,
    pub min_tls: MinTls,
    /// Desktop notification on new mail.
    pub notify: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            schedule: Schedule::default(),
            idle: true,
            idle_folders: IdleFolders::Inbox,
            pop3: Pop3Options::default(),
            keep_offline: KeepOffline::Off,
            body_format: BodyFormat::Best,
            read_receipts: ReceiptPolicy::Ask,
            request_receipts: false,
            min_tls: MinTls::Tls12,
            notify: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pop3Options {
    /// Leave a copy of each message on the server (the safe default).
    pub leave_on_server: bool,
    /// Delete from the server messages older than this many days (`None`: never).
    pub delete_after_days: Option<u32>,
    /// Delete from the server a message deleted here.
    pub delete_when_deleted_locally: bool,
    /// Download only the headers (TOP); the rest when the message is opened.
    pub headers_only: bool,
    /// Skip messages larger than this many KB (`None`: no limit).
    pub skip_larger_than_kb: Option<u32>,
}

/// Days after which messages are deleted from the server when that option is turned on.
pub const DEFAULT_DELETE_AFTER_DAYS: u32 = 7;

impl Default for Pop3Options {
    fn default() -> Self {
        Pop3Options {
            leave_on_server: true,
            delete_after_days: None,
            delete_when_deleted_locally: false,
            headers_only: false,
            skip_larger_than_kb: None,
        }
    }
}

/// Which folders IMAP IDLE watches, each on a connection of its own (at most
/// [`MAX_IDLE_CONNECTIONS`]; the rest are polled with STATUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdleFolders {
    /// INBOX only.
    #[default]
    Inbox,
    /// INBOX and the special folders other programs write to: Junk (server-side filters),
    /// Sent and Drafts (other mail programs), Archive, Trash.
    Special,
    /// INBOX, the special folders, then the other subscribed folders.
    Subscribed,
}

/// Most IDLE connections per account, INBOX included. Servers limit connections per user
/// and address (Dovecot: 10 by default), and the sync needs one more.
pub const MAX_IDLE_CONNECTIONS: usize = 5;

/// Which message bodies an IMAP account downloads after each pass, for reading offline.
///
/// In the config: `"off"`, `"all"` or a number of days (`30`); the `false` and `true` of
/// older configs still read as off and all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeepOffline {
    /// Bodies are fetched when a message is opened (and kept).
    #[default]
    Off,
    /// Every message of every folder.
    All,
    /// Messages dated (or received) within the last this many days.
    Days(u32),
}

impl KeepOffline {
    /// The oldest date in scope (unix seconds) at `now`: `None` for all (and off).
    pub fn since(self, now: std::time::SystemTime) -> Option<i64> {
        let KeepOffline::Days(days) = self else { return None };
        let now = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        Some(now - i64::from(days) * 86_400)
    }
}

impl std::fmt::Display for KeepOffline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeepOffline::Off => f.write_str("off"),
            KeepOffline::All => f.write_str("all folders"),
            KeepOffline::Days(1) => f.write_str("the last day"),
            KeepOffline::Days(n) => write!(f, "the last {n} days"),
        }
    }
}

impl std::str::FromStr for KeepOffline {
    type Err = String;

    /// `off`, `all`, or a number of days (`30`, `30d`).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "off" | "no" | "none" | "false" => return Ok(KeepOffline::Off),
            "all" | "on" | "true" => return Ok(KeepOffline::All),
            _ => {}
        }
        let digits = s.strip_suffix('d').unwrap_or(&s);
        match digits.parse::<u32>() {
            Ok(0) => Err("keep offline: the number of days must be 1 or more (or say off)".into()),
            Ok(n) => Ok(KeepOffline::Days(n)),
            Err(_) => Err(format!("keep offline: \"{s}\" is not all, off or a number of days")),
        }
    }
}

impl Serialize for KeepOffline {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            KeepOffline::Off => s.serialize_str("off"),
            KeepOffline::All => s.serialize_str("all"),
            KeepOffline::Days(n) => s.serialize_u32(*n),
        }
    }
}

impl<'de> Deserialize<'de> for KeepOffline {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Bool(bool),
            Days(u32),
            Text(String),
        }
        match Form::deserialize(d)? {
            Form::Bool(false) => Ok(KeepOffline::Off),
            Form::Bool(true) => Ok(KeepOffline::All),
            Form::Days(0) => Ok(KeepOffline::Off),
            Form::Days(n) => Ok(KeepOffline::Days(n)),
            Form::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Which part of a message to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyFormat {
    PlainText,
    Html,
    /// HTML when there is one, else the text (remote content is never fetched either way).
    Best,
}

/// What to do when a message asks for a read receipt (RFC 8098).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptPolicy {
    Never,
    Ask,
    Always,
}

/// The oldest TLS version accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MinTls {
    #[serde(rename = "1.2")]
    Tls12,
    #[serde(rename = "1.3")]
    Tls13,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_seeds_and_old_configs_load() {
        let o = Options::default();
        assert!(o.pop3.leave_on_server && o.idle && o.notify);
        assert_eq!(o.pop3.delete_after_days, None);
        assert_eq!(o.schedule.every_minutes, Some(10));
        // A config written before a field existed still loads, with that field's default.
        let partial: Options = toml::from_str("idle = false\n[pop3]\nleave_on_server = false\n").unwrap();
        assert!(!partial.idle && !partial.pop3.leave_on_server);
        assert_eq!(partial.min_tls, MinTls::Tls12);
        assert_eq!(partial.idle_folders, IdleFolders::Inbox);
        assert!(!partial.request_receipts);
        let more: Options = toml::from_str("idle_folders = \"special\"\n").unwrap();
        assert_eq!(more.idle_folders, IdleFolders::Special);
        let text = toml::to_string(&Options { min_tls: MinTls::Tls13, ..o }).unwrap();
        assert!(text.contains("min_tls = \"1.3\""), "{text}");
        assert!(text.contains("keep_offline = \"off\""), "{text}");
    }

    #[test]
    fn keep_offline_reads_the_old_booleans_and_writes_the_new_form() {
        let read = |t: &str| toml::from_str::<Options>(t).unwrap().keep_offline;
        assert_eq!(read(""), KeepOffline::Off);
        assert_eq!(read("keep_offline = false"), KeepOffline::Off);
        assert_eq!(read("keep_offline = true"), KeepOffline::All);
        assert_eq!(read("keep_offline = \"all\""), KeepOffline::All);
        assert_eq!(read("keep_offline = 30"), KeepOffline::Days(30));
        assert!(toml::from_str::<Options>("keep_offline = \"soon\"").is_err());
        for k in [KeepOffline::Off, KeepOffline::All, KeepOffline::Days(7)] {
            let text = toml::to_string(&Options { keep_offline: k, ..Options::default() }).unwrap();
            assert_eq!(read(&text), k, "{text}");
        }
        assert_eq!("7".parse(), Ok(KeepOffline::Days(7)));
        assert_eq!("14d".parse(), Ok(KeepOffline::Days(14)));
        assert_eq!("ALL".parse(), Ok(KeepOffline::All));
        assert!("0".parse::<KeepOffline>().is_err());
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(10 * 86_400);
        assert_eq!(KeepOffline::Days(7).since(now), Some(3 * 86_400));
        assert_eq!(KeepOffline::All.since(now), None);
    }
}
