//! A batch of downloaded messages on its way to the store: their bytes in one buffer.

use std::ops::Range;
use std::path::PathBuf;

/// Where a downloaded message's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3Body {
    /// A range of the batch's arena.
    Arena(Range<usize>),
    /// A spool file; removed once committed (or refused).
    File(PathBuf),
}

/// A downloaded message on its way into the Inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Incoming {
    pub uid: String,
    /// The size LIST stated.
    pub size: u64,
    /// The header block (for the list fields): a range of the batch's arena.
    pub header: Range<usize>,
    /// `None`: headers only (the message is partial).
    pub body: Option<Pop3Body>,
    /// What the pass knew of an earlier message under the same unique id.
    pub prior: Prior,
}

/// An earlier message under the same unique id, as the pass's plan saw it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Prior {
    /// None, or one this message is (a download repeated after a pass was cut short).
    #[default]
    Same,
    /// One this client deleted from the server: the id names a new message now, and the old
    /// row is set aside for it.
    Deleted,
    /// One stored with another LIST size: this is the same message only if its bytes are
    /// the stored ones; otherwise the old row is set aside and this one stored as new.
    Compare,
}

/// Messages committed together. Their bytes share one buffer: one allocation per batch, not
/// per message (the download thread allocates, the store thread frees).
#[derive(Debug, Default)]
pub struct Pop3Batch {
    pub arena: Vec<u8>,
    pub items: Vec<Pop3Incoming>,
}

impl Pop3Batch {
    /// Adds a message held in memory; `partial`: `raw` is only its header.
    pub fn push(&mut self, uid: impl Into<String>, size: u64, raw: &[u8], partial: bool) {
        let start = self.arena.len();
        self.arena.extend_from_slice(raw);
        let header = start..start + header_part(raw).len();
        let body = (!partial).then_some(Pop3Body::Arena(start..self.arena.len()));
        self.items.push(Pop3Incoming { uid: uid.into(), size, header, body, prior: Prior::Same });
    }

    /// Adds a message spooled to `file`, with its header.
    pub fn push_file(&mut self, uid: impl Into<String>, size: u64, header: &[u8], file: PathBuf) {
        let start = self.arena.len();
        self.arena.extend_from_slice(header);
        let header = start..self.arena.len();
        self.items.push(Pop3Incoming {
            uid: uid.into(),
            size,
            header,
            body: Some(Pop3Body::File(file)),
            prior: Prior::Same,
        });
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Header bytes kept for the list fields (a longer header is cut; the message is stored
/// whole all the same).
const HEAD_MAX: usize = 256 * 1024;

/// The header block: up to and including the first empty line, at most `HEAD_MAX` bytes.
pub(crate) fn header_part(raw: &[u8]) -> &[u8] {
    let cut = &raw[..raw.len().min(HEAD_MAX)];
    let mut pos = 0;
    while let Some(lf) = cut[pos..].iter().position(|&b| b == b'\n') {
        let line = &cut[pos..pos + lf];
        pos += lf + 1;
        if line.is_empty() || line == b"\r" {
            return &cut[..pos];
        }
    }
    cut
}
