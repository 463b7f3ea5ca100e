//! Every character the window draws has a font on this machine: each non-ASCII character in
//! the GUI's sources (icons such as ⟳ ⇉ ★ 📎, arrows, dashes), and the scripts mail comes in
//! beyond DejaVu's reach (Chinese, Japanese, Korean). A character no font has is drawn as an
//! empty box; the set-up (`scripts/setup-debian`) installs what covers them.
//!
//! Asks fontconfig, which reads the same font directories the window's text engine does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Scripts mail often comes in that DejaVu does not cover: a character of each.
const SCRIPTS: &[(&str, char)] =
    &[("Chinese and Japanese (Han)", '日'), ("Japanese (kana)", 'の'), ("Korean (Hangul)", '한')];

fn has_font(c: char) -> bool {
    let out = Command::new("fc-list")
        .arg(format!(":charset={:x}", c as u32))
        .arg("family")
        .output()
        .expect("fc-list runs (the fontconfig package; scripts/setup-debian installs it)");
    assert!(out.status.success(), "fc-list failed: {}", String::from_utf8_lossy(&out.stderr));
    !String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

/// Non-ASCII characters in the string and char literals of the GUI's sources (a rough
/// reading, line by line: comments left out, escaped quotes skipped).
fn drawn_characters(dir: &Path, found: &mut BTreeSet<char>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            drawn_characters(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                literals(line, found);
            }
        }
    }
}

fn literals(line: &str, found: &mut BTreeSet<char>) {
    let chars: Vec<char> = line.chars().collect();
    let (mut i, mut in_string) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if in_string => i += 1,
            '"' => in_string = !in_string,
            '/' if !in_string && chars.get(i + 1) == Some(&'/') => return,
            // A char literal: 'x'.
            '\'' if !in_string && chars.get(i + 2) == Some(&'\'') => {
                if !chars[i + 1].is_ascii() {
                    found.insert(chars[i + 1]);
                }
                i += 2;
            }
            c if in_string && !c.is_ascii() && !c.is_whitespace() => {
                found.insert(c);
            }
            _ => {}
        }
        i += 1;
    }
}

#[test]
fn every_character_the_window_draws_has_a_font() {
    let mut chars = BTreeSet::new();
    drawn_characters(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut chars);
    assert!(chars.contains(&'📎') && chars.contains(&'…'), "the reading of the sources found {chars:?}");
    let missing: Vec<String> =
        chars.iter().filter(|c| !has_font(**c)).map(|c| format!("{c} (U+{:04X})", *c as u32)).collect();
    assert!(
        missing.is_empty(),
        "no installed font draws {}: run scripts/setup-debian (it installs fonts-symbola and \
         fonts-wqy-microhei), or draw something else",
        missing.join(", ")
    );
}

#[test]
fn mail_in_chinese_japanese_and_korean_has_a_font() {
    for (script, c) in SCRIPTS {
        assert!(
            has_font(*c),
            "no installed font draws {script} text ({c}): run scripts/setup-debian (it installs \
             fonts-wqy-microhei)"
        );
    }
}
