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

/// The extension of a download's spool file.
const PART: &str = "part";

/// The spool folder of an account, held by a pass for its whole life: each pass holds a
/// shared lock on its `.lock` file, so a pass that gets the lock exclusively knows that no
/// other pass of the account is running, and that every `.part` file there was left by one
/// that was killed: it removes them all. Two passes of one account may still run side by
/// side (the server's maildrop lock decides, as before); the second one then leaves the
/// folder as it is.
pub(crate) struct SpoolDir {
    path: PathBuf,
    /// Closing it releases the lock.
    _lock: Option<File>,
}

impl SpoolDir {
    /// Makes the folder (0700) when missing, takes the lock and removes what killed passes
    /// left. Best effort: a folder that cannot be made or locked is reported by the first
    /// download that needs it, and a pass that downloads only small messages never does.
    pub fn open(path: PathBuf) -> SpoolDir {
        let lock = crate::private::create_dir_all(&path)
            .and_then(|()| {
                crate::private::options().read(true).write(true).create(true).open(path.join(".lock"))
            })
            .ok();
        if let Some(file) = &lock {
            match file.try_lock() {
                Ok(()) => {
                    remove_parts(&path);
                    // Shared from now on: another pass may start, and finds this one running.
                    let _ = file.lock_shared();
                }
                // Another pass holds it: shared, at once when that pass is downloading; after
                // a moment when it is the one clearing the folder.
                Err(_) => {
                    let _ = file.lock_shared();
                }
            }
        }
        SpoolDir { path, _lock: lock }
    }
}

impl std::ops::Deref for SpoolDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

/// Every `.part` file in `dir`.
fn remove_parts(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.path().extension().is_some_and(|x| x == PART) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

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
        crate::private::create_dir_all(self.dir)?;
        let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{}-{n}.{PART}", std::process::id()));
        let file = crate::private::create_new_file(&path)?;
        let mut w = BufWriter::with_capacity(256 * 1024, file);
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
