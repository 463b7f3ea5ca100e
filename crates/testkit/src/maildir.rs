//! The seeding fast path: write messages straight into `Maildir/cur` and let
//! `doveadm force-resync` index them. 10k messages take seconds, unlike LMTP or `doveadm save`.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::TestkitError;
use crate::dovecot::MAIL_UID;
use crate::sys::random_alnum;

/// One message to place: its bytes, its arrival time (INTERNALDATE comes from the mtime) and
/// its maildir flags (ASCII-sorted letters such as "FS").
pub(crate) struct Entry<'a> {
    pub raw: &'a [u8],
    pub unix_time: i64,
    pub flags: String,
}

/// Maildir flags for seeded message `i`: every fourth unseen, every seventh flagged, every
/// eleventh answered; the rest just seen. Gives unread counts and stars to look at.
pub(crate) fn seed_flags(i: usize) -> String {
    let mut flags = String::new();
    if i.is_multiple_of(7) {
        flags.push('F');
    }
    if i.is_multiple_of(11) {
        flags.push('R');
    }
    if !i.is_multiple_of(4) {
        flags.push('S');
    }
    flags
}

/// Writes `entries` into `maildir` (the directory holding cur/new/tmp), owned by the mail uid.
/// Each file goes to tmp/ first and is renamed into cur/, so a running Dovecot never sees a
/// half-written message.
pub(crate) fn write<'a>(
    maildir: &Path,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Result<usize, TestkitError> {
    // Unique per call: several seeds into one maildir (or one per process) never collide.
    let tag = format!("P{}R{}", std::process::id(), random_alnum(10)?);
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
    let mut written = 0;
    for (n, entry) in entries.into_iter().enumerate() {
        let size = entry.raw.len();
        // W= is the size with CRLF line endings, what IMAP reports as RFC822.SIZE.
        let bare_lf = entry
            .raw
            .iter()
            .enumerate()
            .filter(|&(k, &b)| b == b'\n' && (k == 0 || entry.raw[k - 1] != b'\r'))
            .count();
        let base = format!("{now}.M{n}{tag}.testkit,S={size},W={}", size + bare_lf);
        let tmp = maildir.join("tmp").join(&base);
        let cur = maildir.join("cur").join(format!("{base}:2,{}", entry.flags));
        let what = || format!("seeding {}", cur.display());
        std::fs::write(&tmp, entry.raw).map_err(TestkitError::io(what()))?;
        std::os::unix::fs::chown(&tmp, Some(MAIL_UID), Some(MAIL_UID)).map_err(TestkitError::io(what()))?;
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(entry.unix_time).unwrap_or(0));
        File::options()
            .write(true)
            .open(&tmp)
            .and_then(|f| f.set_modified(when))
            .map_err(TestkitError::io(what()))?;
        std::fs::rename(&tmp, &cur).map_err(TestkitError::io(what()))?;
        written += 1;
    }
    Ok(written)
}
