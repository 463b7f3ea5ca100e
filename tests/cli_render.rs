//! `tidings render FILE.eml`: the reader's display model of a message file, as JSON and as
//! text, with each body-format preference. The messages are the core's corpus
//! (crates/mail/tests/corpus/messages), which `render_corpus` checks in full.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use std::path::{Path, PathBuf};

use cli_common::{json, text};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/mail/tests/corpus/messages").join(name)
}

fn render(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    cli_common::run(dir.path(), args, None)
}

#[test]
fn json_carries_the_display_model_and_the_format_changes_the_body() {
    let file = corpus("exchange-2-alternative.eml");
    let file = file.to_str().unwrap();
    let best = render(&["render", file, "--json"]);
    assert!(best.status.success(), "{}", text(&best));
    let best = json(&best);
    assert_eq!(best["subject"], "Format 2: HTML and text");
    assert_eq!(best["from"][0]["address"], "ana@example.test");
    assert_eq!(best["date"], "2024-10-01T10:00:00+02:00");
    assert_eq!(best["body"]["kind"], "html");
    assert!(best["body"]["rich"]["pieces"].as_array().is_some_and(|p| !p.is_empty()), "{best}");
    assert_eq!(best["tnef"], false);
    for key in ["attachments", "notes", "calendar", "forwarded"] {
        assert!(best[key].is_array(), "{key} missing: {best}");
    }
    let plain = json(&render(&["render", file, "--format", "text", "--json"]));
    assert_eq!(plain["body"]["kind"], "text");
    assert!(plain["body"]["rich"].is_null());
    assert!(plain["body"]["text"].as_str().unwrap().contains("attached to the wiki page"), "{plain}");
    assert_ne!(plain["body"]["text"], best["body"]["text"]);
}

#[test]
fn text_output_lists_headers_body_report_and_attachments() {
    let out = render(&["render", corpus("dsn-postfix.eml").to_str().unwrap()]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Subject: Undelivered Mail Returned to Sender"), "{t}");
    assert!(t.contains("nobody@example.test: failed 5.1.1"), "{t}");
    assert!(t.contains("--- Forwarded message ---") && t.contains("Subject: Lunch?"), "{t}");

    let out = render(&["render", corpus("filenames-rfc2231-2047.eml").to_str().unwrap()]);
    let t = text(&out);
    assert!(t.contains("Ärger mit überlängen Namen.txt (text/plain, 25 bytes)"), "{t}");
    assert!(t.contains("報告書.pdf"), "{t}");
}

#[test]
fn a_missing_file_is_an_error_in_words() {
    let out = render(&["render", "/nonexistent/message.eml", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let j = json(&out);
    assert_eq!(j["ok"], false);
    assert!(j["error"]["message"].as_str().unwrap().contains("cannot read the message file"), "{j}");
}

#[test]
fn a_reader_that_goes_away_early_is_no_crash() {
    // `tidings render … --json | head -1`: the pipe closes after the first line, while the
    // JSON of a 300 KB body (more than a pipe holds) is still being written.
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.eml");
    let body = "A line of a long message.\r\n".repeat(12_000);
    std::fs::write(&file, format!("Subject: big\r\nContent-Type: text/plain\r\n\r\n{body}")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["--profile", dir.path().to_str().unwrap(), "render", "--json"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(first.trim(), "{");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.code().is_some(), "ended by a signal: {:?}", out.status);
}
