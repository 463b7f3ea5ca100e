//! Saving attachments to a folder the person chose. A file name comes from the sender, so
//! it is made safe first ([`safe_name`]): it stays inside that folder, shows what it is, and
//! means the same on every system the file may travel to. Nothing there is ever overwritten:
//! a name already taken gets a number, and files are only ever created new.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::model::{Attachment, Display};
use crate::error::{Error, Kind, Result};

/// Longest name written, in bytes (most file systems allow 255).
const MAX_NAME: usize = 200;
/// An extension longer than this is not kept whole when a long name is cut.
const MAX_EXTENSION: usize = 16;
/// The numbered names tried before giving up ("report (2).pdf" … "report (999).pdf").
const MAX_NUMBER: usize = 999;
/// What a name with nothing left becomes.
const FALLBACK: &str = "attachment";

/// A file name for `name` that is safe to create inside a folder: its last path component
/// only (no `/`, `\`, `..`), without control characters or the invisible characters that
/// reorder text (a name can otherwise pose as `exe.pdf`), characters Windows refuses
/// replaced, no leading dot (a hidden file), no trailing dots or spaces, no Windows device
/// name, at most 200 bytes with its extension kept; "attachment" when nothing is left.
pub fn safe_name(name: &str) -> String {
    let leaf = name
        .split(['/', '\\'])
        .rfind(|c| !c.trim().is_empty() && c.trim() != "." && c.trim() != "..")
        .unwrap_or("");
    let cleaned: String = leaf
        .chars()
        .filter(|c| !invisible(*c))
        .map(|c| match c {
            // A folded header leaves line breaks and tabs inside a name.
            '\t' | '\n' | '\r' => ' ',
            c if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') => '_',
            c => c,
        })
        .collect();
    let trimmed = trim(&cleaned);
    let (stem, ext) = split_extension(trimmed);
    let name = fit(stem, ext, "");
    if name.is_empty() {
        return FALLBACK.to_string();
    }
    if is_device(&name) { format!("_{name}") } else { name }
}

/// Writes each attachment of `display` (forwarded messages' too) into `dir` under its safe name and returns the paths
/// written, in order. A name already taken in `dir` becomes "name (2).ext", "name (3).ext"…;
/// files are created new (never opened if something is there, a link included), readable by
/// their owner alone, written whole and synced. A file that could not be written whole is
/// removed again.
pub fn save_attachments(display: &Display, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut saved = Vec::with_capacity(display.attachments.len());
    for attachment in all_attachments(display) {
        saved.push(save_one(&attachment.data, &safe_name(&attachment.name), dir)?);
    }
    Ok(saved)
}

/// The message's attachments, then those of each message forwarded in it (depth first), in
/// the order the reader lists them.
pub fn all_attachments(display: &Display) -> Vec<&Attachment> {
    let mut all: Vec<&Attachment> = display.attachments.iter().collect();
    for inner in &display.forwarded {
        all.extend(all_attachments(inner));
    }
    all
}

/// Writes one attachment into `dir` under its safe name, as [`save_attachments`] does.
pub fn save_attachment(attachment: &Attachment, dir: &Path) -> Result<PathBuf> {
    save_one(&attachment.data, &safe_name(&attachment.name), dir)
}

/// A private copy of an attachment for the desktop's application to open, in a new folder
/// of its own (0700, a name nobody can guess) under `base` — the user's runtime directory,
/// see `Profile::open_copies` — the file 0600 under its safe name. Copies older than a day
/// are removed first.
pub fn private_copy(attachment: &Attachment, base: &Path) -> Result<PathBuf> {
    crate::private::create_dir_all(base)
        .map_err(|e| Error::storage(format!("cannot create {}", base.display()), e))?;
    remove_old_copies(base);
    for _ in 0..MAX_NUMBER {
        let dir = base.join(format!("{:016x}", random()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&dir) {
            Ok(()) => return save_attachment(attachment, &dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::storage(format!("cannot create {}", dir.display()), e)),
        }
    }
    Err(Error::new(Kind::Storage, format!("cannot make a private folder in {}", base.display())))
}

/// A folder name nobody can guess ahead (the copies' folder may be shared: the fallback).
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
    );
    hasher.finish()
}

/// Removes copies made more than a day ago (the application has long read them).
fn remove_old_copies(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else { return };
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn save_one(data: &[u8], name: &str, dir: &Path) -> Result<PathBuf> {
    let (stem, ext) = split_extension(name);
    for number in 1..=MAX_NUMBER {
        let candidate = if number == 1 { name.to_string() } else { fit(stem, ext, &format!(" ({number})")) };
        let path = dir.join(&candidate);
        let mut file = match crate::private::create_new_file(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::storage(format!("cannot create {}", path.display()), e)),
        };
        let written = file.write_all(data).and_then(|()| file.sync_all());
        if let Err(e) = written {
            drop(file);
            // Ours: it was created new just now.
            let _ = std::fs::remove_file(&path);
            return Err(Error::storage(format!("cannot write {}", path.display()), e));
        }
        return Ok(path);
    }
    Err(Error::new(
        Kind::Storage,
        format!(
            "cannot save {name} in {}: {MAX_NUMBER} files of that name are there already; choose another folder",
            dir.display()
        ),
    ))
}

/// Characters that do not show but change how a name reads: bidirectional controls
/// (U+202E makes `gpj.exe` show as `exe.jpg`), zero-width ones, the byte order mark.
fn invisible(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// Without leading dots and whitespace (a hidden file, a name that looks empty) and
/// trailing dots and whitespace (Windows drops them, so two names would become one).
fn trim(name: &str) -> &str {
    name.trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// "report.pdf" → ("report", ".pdf"); a name without a dot, or whose extension is too long
/// to be one, has none.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= MAX_EXTENSION => name.split_at(dot),
        _ => (name, ""),
    }
}

/// `stem + suffix + ext` within [`MAX_NAME`] bytes: the stem is cut (on a character
/// boundary) so the number and the extension stay.
fn fit(stem: &str, ext: &str, suffix: &str) -> String {
    let room = MAX_NAME.saturating_sub(ext.len() + suffix.len());
    let mut cut = stem.len().min(room);
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = trim(&stem[..cut]);
    if stem.is_empty() && suffix.is_empty() {
        return trim(ext).to_string();
    }
    format!("{stem}{suffix}{ext}")
}

/// CON, PRN, AUX, NUL, COM1–9, LPT1–9, with any extension: Windows opens the device instead.
fn is_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end().to_ascii_uppercase();
    match stem.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            let bytes = stem.as_bytes();
            bytes.len() == 4
                && (stem.starts_with("COM") || stem.starts_with("LPT"))
                && matches!(bytes[3], b'1'..=b'9')
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn assert_safe(name: &str) {
        assert!(!name.is_empty());
        assert!(!name.contains(['/', '\\']), "{name:?}");
        assert!(!name.starts_with('.'), "{name:?}");
        assert!(!name.ends_with(['.', ' ']), "{name:?}");
        assert!(!name.chars().any(|c| c.is_control() || invisible(c)), "{name:?}");
        assert!(name.len() <= MAX_NAME, "{} bytes", name.len());
        assert!(!is_device(name), "{name:?}");
    }

    #[test]
    fn hostile_names_become_safe_names() {
        let cases = [
            ("../../x", "x"),
            ("/etc/passwd", "passwd"),
            ("..\\..\\windows\\system.ini", "system.ini"),
            ("..", FALLBACK),
            ("a/..", "a"),
            ("con", "_con"),
            ("CON.txt", "_CON.txt"),
            ("lpt1.tar.gz", "_lpt1.tar.gz"),
            ("Com9 .log", "_Com9.log"),
            ("COM0.txt", "COM0.txt"),
            ("console.txt", "console.txt"),
            ("a\nb", "a b"),
            ("a\u{0}b\u{7f}", "a_b_"),
            ("a\r\n", "a"),
            (".bashrc", "bashrc"),
            ("...", FALLBACK),
            ("name. . ", "name"),
            ("\u{202e}gpj.exe", "gpj.exe"),
            ("in\u{200b}voice.pdf", "invoice.pdf"),
            ("what?.txt", "what_.txt"),
            ("", FALLBACK),
            ("   ", FALLBACK),
            ("report.pdf", "report.pdf"),
            ("日本語.txt", "日本語.txt"),
        ];
        for (name, want) in cases {
            let got = safe_name(name);
            assert_eq!(got, want, "{name:?}");
            assert_safe(&got);
        }
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary_and_keep_their_extension() {
        let long = format!("{}.pdf", "a".repeat(1_000));
        let got = safe_name(&long);
        assert_eq!(got.len(), MAX_NAME);
        assert!(got.ends_with("a.pdf"), "{got}");
        assert_safe(&got);

        // Three-byte characters: the cut never splits one.
        let wide = format!("{}.txt", "語".repeat(1_000));
        let got = safe_name(&wide);
        assert!(got.len() <= MAX_NAME && got.len() > MAX_NAME - 3, "{}", got.len());
        assert!(got.ends_with("語.txt"), "{got}");
        assert_safe(&got);

        // A 1,000-character "extension" is no extension: cut like any name.
        let got = safe_name(&format!("x.{}", "b".repeat(1_000)));
        assert_eq!(got.len(), MAX_NAME);
        assert_safe(&got);
    }

    fn attachment(name: &str, data: &[u8]) -> Attachment {
        Attachment { name: name.into(), size: data.len(), data: data.to_vec(), ..Attachment::default() }
    }

    #[test]
    fn saving_never_overwrites_and_numbers_taken_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        let display = Display {
            attachments: vec![
                attachment("report.pdf", b"first"),
                attachment("report.pdf", b"second"),
                attachment("../../notes.txt", b"theirs"),
                attachment("", b"nameless"),
            ],
            ..Display::default()
        };
        let paths = save_attachments(&display, dir.path()).unwrap();
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["report.pdf", "report (2).pdf", "notes (2).txt", "attachment"]);
        for path in &paths {
            assert_eq!(path.parent().unwrap(), dir.path());
        }
        assert_eq!(std::fs::read(&paths[0]).unwrap(), b"first");
        assert_eq!(std::fs::read(&paths[1]).unwrap(), b"second");
        assert_eq!(std::fs::read(&paths[2]).unwrap(), b"theirs");
        assert_eq!(std::fs::read(dir.path().join("notes.txt")).unwrap(), b"mine");

        // Again: four new files, the first four untouched.
        let again = save_attachments(&display, dir.path()).unwrap();
        let names: Vec<_> = again.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["report (3).pdf", "report (4).pdf", "notes (3).txt", "attachment (2)"]);
        assert_eq!(std::fs::read(&paths[0]).unwrap(), b"first");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 9);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&paths[0]).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_in_the_way_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("a.txt")).unwrap();
        let display = Display { attachments: vec![attachment("a.txt", b"new")], ..Display::default() };
        let paths = save_attachments(&display, dir.path()).unwrap();
        assert_eq!(paths[0].file_name().unwrap(), "a (2).txt");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn a_missing_folder_is_a_storage_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let display = Display { attachments: vec![attachment("a.txt", b"x")], ..Display::default() };
        let err = save_attachments(&display, &missing).unwrap_err();
        assert_eq!(err.kind(), Kind::Storage);
        assert!(err.message().contains("nope"), "{}", err.message());
    }

    #[test]
    fn private_copies_go_into_new_private_folders_and_old_ones_go() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let open = base.path().join("open");
        let attachment =
            Attachment { name: "../notes.txt".into(), data: b"hello".to_vec(), ..Attachment::default() };
        let first = private_copy(&attachment, &open).unwrap();
        let second = private_copy(&attachment, &open).unwrap();
        assert_ne!(first.parent(), second.parent(), "each copy has a folder of its own");
        for path in [&first, &second] {
            assert_eq!(path.file_name().unwrap(), "notes.txt");
            assert_eq!(std::fs::read(path).unwrap(), b"hello");
            assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
            let folder = std::fs::metadata(path.parent().unwrap()).unwrap();
            assert_eq!(folder.permissions().mode() & 0o777, 0o700);
            assert_eq!(path.parent().unwrap().parent().unwrap(), open);
        }
        // A copy from two days ago is removed when the next one is made.
        let old = std::fs::File::open(first.parent().unwrap()).unwrap();
        old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600))
            .unwrap();
        drop(old);
        private_copy(&attachment, &open).unwrap();
        assert!(!first.exists() && second.exists());
    }

    #[test]
    fn attachments_of_forwarded_messages_are_saved_too() {
        let raw = b"From: a@example.test\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n\
            --o\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"outer.txt\"\r\n\r\nouter\r\n\
            --o\r\nContent-Type: message/rfc822\r\n\r\n\
            From: b@example.test\r\nSubject: inner\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n\
            --i\r\nContent-Type: text/plain\r\n\r\nBody\r\n\
            --i\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"inner.txt\"\r\n\r\ninner\r\n\
            --i--\r\n--o--\r\n";
        let display = crate::message::render(raw, crate::options::BodyFormat::Best);
        let dir = tempfile::tempdir().unwrap();
        let saved = save_attachments(&display, dir.path()).unwrap();
        let names: Vec<_> =
            saved.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["outer.txt", "inner.txt"]);
        assert_eq!(std::fs::read(dir.path().join("inner.txt")).unwrap(), b"inner");
    }
}
