//! The values that go in and out of the store: small, owned, no rusqlite types.

use serde::Serialize;

/// Row id of an account in the store (not the config's account id, which is its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct AccountId(pub i64);

/// Row id of a folder in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct FolderId(pub i64);

/// What a folder is for (RFC 6154 SPECIAL-USE, plus INBOX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Inbox, Role::Sent, Role::Drafts, Role::Trash, Role::Junk, Role::Archive];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Inbox => "inbox",
            Role::Sent => "sent",
            Role::Drafts => "drafts",
            Role::Trash => "trash",
            Role::Junk => "junk",
            Role::Archive => "archive",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What LIST/LSUB told us about a folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderInfo {
    /// The name exactly as the server spells it (modified UTF-7): what SELECT needs.
    pub name: String,
    pub delimiter: Option<String>,
    pub role: Option<Role>,
    pub subscribed: bool,
    /// False for `\Noselect` / `\NonExistent` hierarchy nodes.
    pub selectable: bool,
}

/// A folder as the store keeps it, with the server state of its last complete sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Folder {
    pub id: FolderId,
    pub name: String,
    /// The name for people (modified UTF-7 decoded).
    pub display_name: String,
    pub delimiter: Option<String>,
    pub role: Option<Role>,
    pub subscribed: bool,
    pub selectable: bool,
    /// UIDVALIDITY the cached messages belong to.
    pub uidvalidity: Option<u32>,
    /// UIDNEXT and HIGHESTMODSEQ as of the last *complete* sync; `None` until one finished.
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    /// Unix seconds of the last complete sync.
    pub synced_at: Option<i64>,
}

/// Message flags, canonical: sorted, no duplicates, without the session-only `\Recent`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash, Serialize)]
#[serde(transparent)]
pub struct Flags(Vec<String>);

impl Flags {
    pub fn new<S: Into<String>>(flags: impl IntoIterator<Item = S>) -> Flags {
        let mut v: Vec<String> =
            flags.into_iter().map(Into::into).filter(|f| !f.eq_ignore_ascii_case("\\Recent")).collect();
        v.sort();
        v.dedup();
        Flags(v)
    }

    /// From the stored form (space separated).
    pub fn parse(s: &str) -> Flags {
        Flags::new(s.split_ascii_whitespace())
    }

    pub fn contains(&self, flag: &str) -> bool {
        self.0.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }
    pub fn seen(&self) -> bool {
        self.contains("\\Seen")
    }
    pub fn flagged(&self) -> bool {
        self.contains("\\Flagged")
    }
    pub fn answered(&self) -> bool {
        self.contains("\\Answered")
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
    /// The stored form: space separated.
    pub fn joined(&self) -> String {
        self.0.join(" ")
    }
}

/// The list fields read from a message's header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The Date header, Unix seconds; `None` when missing or unreadable.
    pub date: Option<i64>,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    /// Recipients for display ("Name <addr>, …"), shortened.
    pub to: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// Space-separated message ids: the first and the last few of References.
    pub references: Option<String>,
    /// A guess from the top-level Content-Type (multipart/mixed, application/…).
    pub has_attachment: bool,
}

/// A message as the sync engine hands it to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub uid: u32,
    pub modseq: Option<u64>,
    pub flags: Flags,
    /// RFC822.SIZE.
    pub size: u32,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: Option<i64>,
    pub summary: Summary,
    /// Why the header could not be read (shown as an error row); `summary` is then empty.
    pub parse_error: Option<String>,
}

/// A message as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageRow {
    pub uid: u32,
    pub uidvalidity: u32,
    pub flags: Flags,
    pub unread: bool,
    pub flagged: bool,
    pub answered: bool,
    pub size: u32,
    pub internal_date: Option<i64>,
    /// The Date header, else INTERNALDATE, else 0: what "by date" sorts on.
    pub sort_date: i64,
    #[serde(flatten)]
    pub summary: Summary,
    pub parse_error: Option<String>,
    /// The raw message is cached locally.
    pub has_body: bool,
}

/// Sort orders of the message list; each has an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    Date,
    Sender,
    Subject,
    Size,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// Newest first: the usual list.
    pub const NEWEST: Sort = Sort { key: SortKey::Date, descending: true };
}

/// Message counts of a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub total: u64,
    pub unread: u64,
}

/// The sync state of a folder at the start of a sync, after the UIDVALIDITY check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderState {
    /// The cached messages were dropped because UIDVALIDITY changed.
    pub reset: bool,
    /// How many messages the store holds for the folder (after a reset: 0).
    pub local_count: u64,
    /// UIDNEXT / HIGHESTMODSEQ of the last complete sync (cleared by a reset).
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
}

/// Lower-case sender for sorting: the display name, else the address.
pub(crate) fn sender_key(s: &Summary) -> String {
    s.from_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .or(s.from_addr.as_deref())
        .unwrap_or("")
        .trim()
        .to_lowercase()
}

/// Lower-case subject without reply/forward prefixes, for sorting.
pub(crate) fn subject_key(subject: Option<&str>) -> String {
    let mut s = subject.unwrap_or("").trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let cut =
            ["re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "vs:", "tr:"].iter().find(|p| lower.starts_with(**p));
        match cut {
            Some(p) => s = s[p.len()..].trim_start(),
            None => break,
        }
    }
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_canonical_and_drop_recent() {
        let f = Flags::new(["\\Seen", "$Label1", "\\Recent", "\\Seen", "\\Flagged"]);
        assert_eq!(f.joined(), "$Label1 \\Flagged \\Seen");
        assert_eq!(Flags::parse(&f.joined()), f);
        assert!(f.seen() && f.flagged() && !f.answered());
    }

    #[test]
    fn sort_keys_ignore_prefixes_and_case() {
        assert_eq!(subject_key(Some("Re: AW: Fwd:  Grüße")), "grüße");
        assert_eq!(subject_key(None), "");
        let s = Summary { from_addr: Some("Zoe@Example.dk".into()), ..Summary::default() };
        assert_eq!(sender_key(&s), "zoe@example.dk");
        let s =
            Summary { from_name: Some("Ärger".into()), from_addr: Some("a@b".into()), ..Summary::default() };
        assert_eq!(sender_key(&s), "ärger");
    }
}
