//! Drafts kept on this machine: one JSON file per draft under the profile's data directory
//! (`drafts/<id>.json`), written atomically (a temporary file, fsync, rename, fsync of the
//! directory), so a crash leaves the previous save or the new one, never half of one.
//! The fields are kept as typed, addresses too, so reopening a draft restores exactly what
//! was on the screen, even an address that is not valid yet.
//!
//! **Blocking** (file I/O): call these from a worker, never on the GUI thread.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Address, Attachment, NewMessage, parse_address_list, split_address_list};
use crate::error::{Error, Result};
use crate::profile::Profile;

/// What the composer had on screen, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// 32 hex digits; names the file and marks the copy in the Drafts folder.
    pub id: String,
    /// The config id of the account it is written from.
    pub account: String,
    pub from: Address,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub cc: String,
    #[serde(default)]
    pub bcc: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// Unix seconds of the last save.
    #[serde(default)]
    pub saved_at: i64,
    /// The Message-ID (without the angle brackets) of a copy in the Drafts folder written by
    /// another program and opened here: this draft replaces it, so it goes when this one is
    /// saved there, sent or discarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

impl Draft {
    /// A new, empty draft with a fresh id.
    pub fn new(account: &str, from: Address) -> Draft {
        Draft {
            id: super::build::unique_token(account),
            account: account.to_string(),
            from,
            ..Draft::default()
        }
    }

    /// A draft holding a prepared message (a reply, a forward).
    pub fn from_message(account: &str, msg: &NewMessage) -> Draft {
        Draft {
            to: super::format_address_list(&msg.to),
            cc: super::format_address_list(&msg.cc),
            bcc: super::format_address_list(&msg.bcc),
            subject: msg.subject.clone(),
            body: msg.body.clone(),
            attachments: msg.attachments.clone(),
            in_reply_to: msg.in_reply_to.clone(),
            references: msg.references.clone(),
            ..Draft::new(account, msg.from.clone())
        }
    }

    /// The message to send: every address checked; the first invalid one is a
    /// [`Kind::Config`](crate::Kind::Config) error naming its field and itself.
    pub fn to_message(&self) -> Result<NewMessage> {
        let field = |name: &str, text: &str| {
            parse_address_list(text).map_err(|e| Error::config(format!("{name}: {}", e.message())))
        };
        Ok(NewMessage {
            to: field("To", &self.to)?,
            cc: field("Cc", &self.cc)?,
            bcc: field("Bcc", &self.bcc)?,
            ..self.lenient_message()
        })
    }

    /// The message as far as it can be read now (for the Drafts folder): addresses that do
    /// not parse yet are left out.
    pub fn lenient_message(&self) -> NewMessage {
        let lenient = |text: &str| -> Vec<Address> {
            split_address_list(text).into_iter().filter_map(|p| Address::parse(p).ok()).collect()
        };
        NewMessage {
            from: self.from.clone(),
            to: lenient(&self.to),
            cc: lenient(&self.cc),
            bcc: lenient(&self.bcc),
            subject: self.subject.clone(),
            body: self.body.clone(),
            attachments: self.attachments.clone(),
            in_reply_to: self.in_reply_to.clone(),
            references: self.references.clone(),
            ..NewMessage::default()
        }
    }

    /// The bytes for the account's Drafts folder (Bcc kept, marked with the id).
    pub fn to_draft_bytes(&self) -> Result<super::Built> {
        super::build_draft(&self.lenient_message(), &self.id)
    }

    /// Nothing typed: no need to keep it.
    pub fn is_blank(&self) -> bool {
        [&self.to, &self.cc, &self.bcc, &self.subject, &self.body].iter().all(|t| t.trim().is_empty())
            && self.attachments.is_empty()
    }

    /// Whether the content differs from `other` (the save time and id aside).
    pub fn same_content(&self, other: &Draft) -> bool {
        // Field by field: no copy of the attachments.
        let Draft {
            id,
            account,
            from,
            to,
            cc,
            bcc,
            subject,
            body,
            attachments,
            in_reply_to,
            references,
            saved_at: _,
            replaces,
        } = self;
        *id == other.id
            && *account == other.account
            && *from == other.from
            && *to == other.to
            && *cc == other.cc
            && *bcc == other.bcc
            && *subject == other.subject
            && *body == other.body
            && *attachments == other.attachments
            && *in_reply_to == other.in_reply_to
            && *references == other.references
            && *replaces == other.replaces
    }
}

/// The drafts directory of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drafts {
    dir: PathBuf,
}

/// The drafts found, and the files that could not be read (left in place, untouched).
#[derive(Debug, Clone, Default)]
pub struct DraftList {
    /// Newest first.
    pub drafts: Vec<Draft>,
    pub unreadable: Vec<(PathBuf, Error)>,
}

impl Drafts {
    pub fn new(profile: &Profile) -> Drafts {
        Drafts { dir: profile.data_dir().join("drafts") }
    }

    pub fn at(dir: impl Into<PathBuf>) -> Drafts {
        Drafts { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> Result<PathBuf> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::config(format!("\"{id}\" is not a draft id")));
        }
        Ok(self.dir.join(format!("{id}.json")))
    }

    /// Saves (replacing the previous save) atomically; sets `saved_at`.
    pub fn save(&self, draft: &mut Draft) -> Result<()> {
        let path = self.path(&draft.id)?;
        draft.saved_at = crate::store::now();
        let json = serde_json::to_vec_pretty(draft)
            .map_err(|e| Error::new(crate::Kind::Storage, "cannot write the draft").with_source(e))?;
        private_dir(&self.dir).map_err(|e| {
            Error::storage(format!("cannot create the drafts directory {}", self.dir.display()), e)
        })?;
        let tmp = self.dir.join(format!(".{}.json.tmp", draft.id));
        let write = || -> std::io::Result<()> {
            let mut f = private_file(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(&self.dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::storage(format!("cannot save the draft in {}", self.dir.display()), e)
        })
    }

    pub fn load(&self, id: &str) -> Result<Draft> {
        read(&self.path(id)?)
    }

    /// Every draft, newest first; files that cannot be read are listed apart and left alone.
    pub fn list(&self) -> Result<DraftList> {
        let mut out = DraftList::default();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => {
                return Err(Error::storage(
                    format!("cannot read the drafts directory {}", self.dir.display()),
                    e,
                ));
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            match read(&path) {
                Ok(d) => out.drafts.push(d),
                Err(e) => out.unreadable.push((path, e)),
            }
        }
        out.drafts.sort_by(|a, b| b.saved_at.cmp(&a.saved_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Removes a draft (sent or discarded). A draft that is not there is fine.
    pub fn remove(&self, id: &str) -> Result<()> {
        match std::fs::remove_file(self.path(id)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::storage(format!("cannot remove the draft from {}", self.dir.display()), e)),
        }
    }
}

/// The drafts directory, readable by its owner alone (0700 on Unix; one made before is
/// narrowed to that too): drafts hold the body, the Bcc and the attachments.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    crate::private::create_dir_all(dir)
}

/// A new file readable by its owner alone (0600 on Unix) from its creation on; a leftover
/// from an interrupted save is replaced, so its permissions are not inherited.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    crate::private::create_new_file(path)
}

fn read(path: &Path) -> Result<Draft> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::storage(format!("cannot read the draft {}", path.display()), e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(
            crate::Kind::Storage,
            format!("the draft {} is damaged and cannot be read", path.display()),
        )
        .with_source(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;

    fn sample(drafts: &Drafts) -> Draft {
        let mut d = Draft::new("alice", Address::new(Some("Alice"), "alice@example.test"));
        d.to = "Bob <bob@example.test>, half@".into();
        d.bcc = "secret@example.test".into();
        d.subject = "Grüße".into();
        d.body = "line one\nline two\n".into();
        d.attachments = vec![Attachment::new("b.bin", "application/octet-stream", vec![0, 1, 2, 255])];
        drafts.save(&mut d).unwrap();
        d
    }

    #[test]
    fn saved_drafts_come_back_exactly_as_typed() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::at(dir.path().join("drafts"));
        let d = sample(&drafts);
        assert!(d.saved_at > 0);
        assert_eq!(drafts.load(&d.id).unwrap(), d);
        let json = std::fs::read_to_string(drafts.dir().join(format!("{}.json", d.id))).unwrap();
        assert!(json.contains("\"AAEC/w==\""), "attachments as base64: {json}");
        let listed = drafts.list().unwrap();
        assert_eq!(listed.drafts, vec![d.clone()]);
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(drafts.dir()).unwrap().count(), 1);
        drafts.remove(&d.id).unwrap();
        drafts.remove(&d.id).unwrap();
        assert!(drafts.list().unwrap().drafts.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn draft_files_and_their_directory_are_for_their_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let drafts = Drafts::at(dir.path().join("drafts"));
        let d = sample(&drafts);
        assert_eq!(mode(drafts.dir()), 0o700);
        let file = drafts.dir().join(format!("{}.json", d.id));
        assert_eq!(mode(&file), 0o600);

        // A directory made before, open to all, and a leftover temporary file: both narrowed.
        let old = Drafts::at(dir.path().join("old"));
        std::fs::create_dir(old.dir()).unwrap();
        std::fs::set_permissions(old.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut d = Draft::new("alice", Address::email("alice@example.test"));
        let tmp = old.dir().join(format!(".{}.json.tmp", d.id));
        std::fs::write(&tmp, b"half").unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).unwrap();
        d.body = "secret".into();
        old.save(&mut d).unwrap();
        assert_eq!(mode(old.dir()), 0o700);
        assert_eq!(mode(&old.dir().join(format!("{}.json", d.id))), 0o600);
        assert!(!tmp.exists());
        assert_eq!(old.load(&d.id).unwrap(), d);
    }

    #[test]
    fn sending_checks_every_address_while_the_draft_copy_is_lenient() {
        let dir = tempfile::tempdir().unwrap();
        let d = sample(&Drafts::at(dir.path()));
        let e = d.to_message().unwrap_err();
        assert_eq!(e.kind(), Kind::Config);
        assert!(e.message().starts_with("To: \"half@\""), "{e}");
        let lenient = d.lenient_message();
        assert_eq!(lenient.to, vec![Address::new(Some("Bob"), "bob@example.test")]);
        let built = d.to_draft_bytes().unwrap();
        let text = String::from_utf8_lossy(&built.bytes);
        assert!(text.contains("Bcc: secret@example.test"), "{text}");
        assert!(text.contains(&format!("X-Tidings-Draft: {}", d.id)), "{text}");
    }

    #[test]
    fn a_damaged_file_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::at(dir.path());
        let good = sample(&drafts);
        let bad = dir.path().join("0badc0de.json");
        std::fs::write(&bad, b"{ not json").unwrap();
        let listed = drafts.list().unwrap();
        assert_eq!(listed.drafts, vec![good]);
        assert_eq!(listed.unreadable.len(), 1);
        assert_eq!(listed.unreadable[0].1.kind(), Kind::Storage);
        assert!(listed.unreadable[0].1.message().contains("damaged"), "{}", listed.unreadable[0].1);
        assert_eq!(std::fs::read(&bad).unwrap(), b"{ not json", "untouched");
        assert_eq!(drafts.load("../x").unwrap_err().kind(), Kind::Config);
    }

    #[test]
    fn blank_and_changed() {
        let d = Draft::new("alice", Address::email("alice@example.test"));
        assert!(d.is_blank());
        let mut e = d.clone();
        e.saved_at = 99;
        assert!(d.same_content(&e));
        e.body = "x".into();
        assert!(!e.is_blank() && !d.same_content(&e));
        let reply = NewMessage {
            from: Address::email("alice@example.test"),
            to: vec![Address::new(Some("Doe, Bob"), "bob@example.test")],
            subject: "Re: x".into(),
            in_reply_to: Some("a@b".into()),
            ..NewMessage::default()
        };
        let r = Draft::from_message("alice", &reply);
        assert_eq!(r.to, "\"Doe, Bob\" <bob@example.test>");
        assert_eq!(r.to_message().unwrap().to, reply.to);
        assert_eq!(r.to_message().unwrap().in_reply_to.as_deref(), Some("a@b"));
    }
}
