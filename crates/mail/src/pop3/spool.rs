//! Where a message goes while it downloads: the batch's arena (one buffer for all the
//! messages of a commit) up to a limit, then a file. Most mail is small and goes to the
//! store straight from memory without an allocation of its own; a big message streams to
//! disk and memory stays at the limit whatever its size. The header is kept in the arena
//! (for the list fields), and in the no-UIDL case a SHA-256 of the content identifies the
//! message.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::store::{Pop3Body, header_part};

static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// A finished download.
#[derive(Debug)]
pub(crate) struct Spooled {
    /// The header up to and including the blank line, in the arena.
    pub header: Range<usize>,
    pub body: Pop3Body,
    pub len: u64,
    /// Hex SHA-256 of the content, when asked for.
    pub sha256: Option<String>,
}

pub(crate) struct Spool<'a> {
    dir: &'a Path,
    limit: usize,
    arena: &'a mut Vec<u8>,
    start: usize,
    /// Once spilled: the file, and the header part taken from the arena.
    file: Option<(PathBuf, BufWriter<File>)>,
    head: Vec<u8>,
    len: u64,
    hash: Option<Sha256>,
    finished: bool,
}

impl<'a> Spool<'a> {
    /// Appends to `arena`; past `limit` bytes the message moves to a file in `dir`.
    pub fn new(dir: &'a Path, limit: usize, arena: &'a mut Vec<u8>, hash: bool) -> Spool<'a> {
        let start = arena.len();
        Spool {
            dir,
            limit,
            arena,
            start,
            file: None,
            head: Vec::new(),
            len: 0,
            hash: hash.then(Sha256::new),
            finished: false,
        }
    }

    fn spill(&mut self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.dir)?;
        let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{}-{n}.part", std::process::id()));
        let mut w = BufWriter::with_capacity(256 * 1024, File::create(&path)?);
        w.write_all(&self.arena[self.start..])?;
        self.head = header_part(&self.arena[self.start..]).to_vec();
        self.arena.truncate(self.start);
        self.file = Some((path, w));
        Ok(())
    }

    /// Ends the download. The file, if any, is not synced: the store's commit is the
    /// durable copy, the file only carries the bytes there.
    pub fn finish(mut self) -> std::io::Result<Spooled> {
        self.finished = true;
        let sha256 =
            self.hash.take().map(|h| h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>());
        let start = self.start;
        let (header, body) = match self.file.take() {
            Some((path, w)) => {
                w.into_inner().map_err(|e| e.into_error())?;
                self.arena.extend_from_slice(&self.head);
                (start..self.arena.len(), Pop3Body::File(path))
            }
            None => {
                let end = self.arena.len();
                let head = header_part(&self.arena[start..]).len();
                (start..start + head, Pop3Body::Arena(start..end))
            }
        };
        Ok(Spooled { header, body, len: self.len, sha256 })
    }
}

impl Write for Spool<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(h) = &mut self.hash {
            h.update(buf);
        }
        self.len += buf.len() as u64;
        match &mut self.file {
            Some((_, w)) => w.write_all(buf)?,
            None => {
                self.arena.extend_from_slice(buf);
                if self.arena.len() - self.start > self.limit {
                    self.spill()?;
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some((_, w)) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Spool<'_> {
    /// A download that did not finish leaves neither bytes in the arena nor a file.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.arena.truncate(self.start);
        if let Some((path, _)) = self.file.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_messages_stay_in_the_arena_and_big_ones_spill() {
        let dir = tempfile::tempdir().unwrap();
        let mut arena = b"earlier message".to_vec();
        let mut s = Spool::new(dir.path(), 64, &mut arena, true);
        s.write_all(b"Subject: a\r\n\r\nbody\r\n").unwrap();
        let done = s.finish().unwrap();
        assert_eq!(&arena[done.header.clone()], b"Subject: a\r\n\r\n");
        assert!(
            matches!(&done.body, Pop3Body::Arena(r) if arena[r.clone()] == *b"Subject: a\r\n\r\nbody\r\n")
        );
        assert_eq!(done.sha256.as_deref().map(str::len), Some(64));

        let before = arena.len();
        let mut s = Spool::new(dir.path(), 64, &mut arena, false);
        s.write_all(b"Subject: big\r\n\r\n").unwrap();
        for _ in 0..100 {
            s.write_all(b"0123456789\r\n").unwrap();
        }
        let done = s.finish().unwrap();
        assert_eq!(&arena[done.header.clone()], b"Subject: big\r\n\r\n");
        assert_eq!(arena.len(), before + 16, "only the header stays in memory");
        assert_eq!(done.len, 16 + 1200);
        let Pop3Body::File(path) = &done.body else { panic!("not spilled") };
        assert_eq!(std::fs::metadata(path).unwrap().len(), 1216);

        // An abandoned download leaves nothing behind.
        let before = arena.len();
        let mut s = Spool::new(dir.path(), 8, &mut arena, false);
        s.write_all(b"0123456789abcdef").unwrap();
        drop(s);
        assert_eq!(arena.len(), before);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the finished one");
    }

    #[test]
    fn header_part_stops_at_the_blank_line() {
        use crate::store::header_part;
        assert_eq!(header_part(b"A: 1\r\nB: 2\r\n\r\nbody\r\n"), b"A: 1\r\nB: 2\r\n\r\n");
        assert_eq!(header_part(b"A: 1\nB: 2\n\nbody\n"), b"A: 1\nB: 2\n\n");
        assert_eq!(header_part(b"A: 1\r\nno end"), b"A: 1\r\nno end");
    }
}
