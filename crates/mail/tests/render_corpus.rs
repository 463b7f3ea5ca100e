//! The reader's corpus: every `corpus/messages/NAME.eml` is rendered with each body-format
//! preference and compared with the display model expected beside it — `NAME.json` for
//! Best, and `NAME.text.json` / `NAME.html.json` where Text or HTML show something else
//! (without one, they must match `NAME.json`). A mismatch writes `NAME[.FORMAT].actual.json`
//! beside the expectation (gitignored) and fails with the list.
//!
//! Adding a message: put the `.eml` there and run with `TIDINGS_BLESS=1`, which writes the
//! expectations from what renders now — then read them: they are the expectation.
//!
//! Every message, broken ones included, must also render within a time bound.
//!
//! Some messages are made here rather than kept as files (their expectations are files like
//! the others): each TNEF sample of `corpus/tnef/` wrapped as `tnef-NAME` (as winmail.dat,
//! `application/ms-tnef` or `application/vnd.ms-tnef` by turns), `tnef-meeting-request` (the
//! testkit's winmail.dat holding an Outlook meeting request), and `huge-header` (a 1 MB
//! header).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tidings_mail::message::render;
use tidings_mail::options::BodyFormat;

/// Generous for a debug build on a busy machine; a release build takes milliseconds.
const TIME_BOUND: Duration = Duration::from_secs(10);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/messages")
}

fn with_suffix(eml: &Path, suffix: &str) -> PathBuf {
    let stem = eml.file_stem().unwrap().to_str().unwrap();
    eml.with_file_name(format!("{stem}{suffix}"))
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

/// Each TNEF sample as the attachment of a message, `tnef-NAME.eml`.
fn tnef_messages() -> Vec<(PathBuf, Vec<u8>)> {
    use base64::Engine;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/tnef");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".tnef").map(str::to_string))
        .collect();
    names.sort();
    let vnd = [
        "IPM-DistList",
        "MAPI_ATTACH_DATA_OBJ",
        "MAPI_OBJECT",
        "body",
        "duplicate_filename",
        "long-filename",
        "missing-filenames",
        "multi-name-property",
        "rtf",
        "two-files",
    ];
    names
        .into_iter()
        .map(|name| {
            let data = std::fs::read(dir.join(format!("{name}.tnef"))).unwrap();
            let b64 = base64::engine::general_purpose::STANDARD.encode(data);
            let kind = if vnd.contains(&name.as_str()) { "application/vnd.ms-tnef" } else { "application/ms-tnef" };
            let mut raw = format!(
                "From: Ana Lima <ana@example.test>\r\nTo: Bruno Costa <bruno@example.test>\r\n\
                 Date: Tue, 01 Oct 2024 10:00:00 +0200\r\nMIME-Version: 1.0\r\nSubject: TNEF sample {name}\r\n\
                 Message-ID: <tnef-{name}@example.test>\r\nContent-Type: {kind}; name=\"winmail.dat\"\r\n\
                 Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\n\r\n"
            );
            for line in b64.as_bytes().chunks(76) {
                raw.push_str(std::str::from_utf8(line).unwrap());
                raw.push_str("\r\n");
            }
            (corpus().join(format!("tnef-{name}.eml")), raw.into_bytes())
        })
        .collect()
}

/// The `.eml` files of the corpus and the TNEF samples as messages.
fn files_and_tnef() -> Vec<(PathBuf, Vec<u8>)> {
    let mut cases: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| {
            let raw = std::fs::read(&p).unwrap();
            (p, raw)
        })
        .collect();
    cases.extend(tnef_messages());
    cases.push(tnef_meeting_request());
    cases
}

/// A meeting request inside TNEF, as the testkit writes one.
fn tnef_meeting_request() -> (PathBuf, Vec<u8>) {
    use tidings_testkit::generate::{Format, format_message};
    let raw = format_message(Format::TnefMeeting, 1, "bruno@example.test");
    (corpus().join("tnef-meeting-request.eml"), raw)
}

/// A 1 MB header (a 15,000-line subject and a filler field) over a small body.
fn huge_header() -> (PathBuf, Vec<u8>) {
    let word = "word".repeat(17);
    let mut raw = String::from(
        "From: Ana Lima <ana@example.test>\r\nTo: Bruno Costa <bruno@example.test>\r\n\
         Date: Tue, 01 Oct 2024 10:00:00 +0200\r\nMIME-Version: 1.0\r\n",
    );
    raw.push_str(&format!("Subject: A very long subject {word}\r\n"));
    raw.push_str(&format!(" {word}\r\n").repeat(14_999));
    raw.push_str("Message-ID: <huge@example.test>\r\n");
    raw.push_str(&format!("X-Filler: {}\r\n", "x".repeat(70)));
    raw.push_str(&format!(" {}\r\n", "x".repeat(70)).repeat(199));
    raw.push_str("Content-Type: text/plain\r\n\r\nA small body under a 1 MB header.\r\n");
    (corpus().join("huge-header.eml"), raw.into_bytes())
}

#[test]
fn every_message_renders_as_expected() {
    let bless = std::env::var_os("TIDINGS_BLESS").is_some_and(|v| v == "1");
    let mut cases = files_and_tnef();
    cases.push(huge_header());
    cases.sort();
    assert!(cases.len() >= 40, "the corpus has only {} messages", cases.len());
    let mut failures = Vec::new();
    for (eml, raw) in &cases {
        let best_path = with_suffix(eml, ".json");
        let expected_best: Option<serde_json::Value> =
            std::fs::read(&best_path).ok().map(|b| serde_json::from_slice(&b).unwrap());
        for (suffix, format) in
            [("", BodyFormat::Best), (".text", BodyFormat::PlainText), (".html", BodyFormat::Html)]
        {
            let started = Instant::now();
            let display = render(raw, format);
            let took = started.elapsed();
            assert!(took < TIME_BOUND, "{} ({format:?}) took {took:?}", eml.display());
            let actual = serde_json::to_value(&display).unwrap();
            let path = with_suffix(eml, &format!("{suffix}.json"));
            let actual_path = with_suffix(eml, &format!("{suffix}.actual.json"));
            if bless {
                let same_as_best = suffix.is_empty()
                    || serde_json::to_value(render(raw, BodyFormat::Best)).unwrap() == actual;
                if same_as_best && !suffix.is_empty() {
                    let _ = std::fs::remove_file(&path);
                } else {
                    std::fs::write(&path, pretty(&actual)).unwrap();
                }
                let _ = std::fs::remove_file(&actual_path);
                continue;
            }
            let expected = match std::fs::read(&path) {
                Ok(bytes) => Some(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()),
                Err(_) if !suffix.is_empty() => expected_best.clone(),
                Err(_) => None,
            };
            if expected.as_ref() == Some(&actual) {
                let _ = std::fs::remove_file(&actual_path);
            } else {
                std::fs::write(&actual_path, pretty(&actual)).unwrap();
                failures.push(actual_path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} renderings differ from their expectation (compare each with its .json beside it in {}; \
         TIDINGS_BLESS=1 rewrites the expectations):\n  {}",
        failures.len(),
        corpus().display(),
        failures.join("\n  ")
    );
}

/// Mutations of every corpus message (line-level MIME damage and byte-level damage) render
/// without a panic, each within the time bound, and the whole run within a memory bound: it
/// runs in a child process of this test binary, whose peak RSS is measured.
#[tokio::test]
async fn mutated_messages_never_panic_and_stay_bounded() {
    let run = tidings_testkit::hostile::run_child_async(
        "mutation_child",
        vec!["run".into()],
        Duration::from_secs(600),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let cases: usize = run.get("cases").unwrap_or("0").parse().unwrap();
    assert!(cases >= 3_000, "{cases} cases: {:?}", run.lines);
    assert!(run.peak_rss_kb <= 512 * 1024, "the reader held {} KiB", run.peak_rss_kb);
}

#[test]
#[ignore = "run by mutated_messages_never_panic_and_stay_bounded, in a child process"]
fn mutation_child() {
    use tidings_testkit::mutate::{self, Rng};
    if tidings_testkit::hostile::child_args().is_empty() {
        return;
    }
    let mut cases = files_and_tnef();
    cases.sort();
    let mut rng = Rng::new(0x7265_6164_6572_2121);
    let mut done = 0;
    for (path, original) in &cases {
        // Big messages (TNEF samples up to 2 MB) get fewer cases, for time.
        let rounds = if original.len() <= 64 * 1024 { 80 } else { 8 };
        for round in 0..rounds {
            let mut raw = original.clone();
            if round % 2 == 0 {
                mutate::mime(&mut raw, &mut rng)
            } else {
                mutate::bytes(&mut raw, &mut rng)
            }
            let format = [BodyFormat::Best, BodyFormat::PlainText, BodyFormat::Html][round % 3];
            let started = Instant::now();
            let shown = std::panic::catch_unwind(|| render(&raw, format))
                .unwrap_or_else(|_| panic!("{} case {round}: panicked", path.display()));
            assert!(
                started.elapsed() < TIME_BOUND,
                "{} case {round}: {:?}",
                path.display(),
                started.elapsed()
            );
            assert!(shown.body.text.chars().count() <= tidings_mail::limits::MAX_BODY_CHARS + 100);
            done += 1;
        }
    }
    tidings_testkit::hostile::child_say("cases", done);
    tidings_testkit::hostile::child_done();
}

/// How deep forwarded messages go in a display.
fn nesting(d: &tidings_mail::message::Display) -> usize {
    d.forwarded.iter().map(|f| 1 + nesting(f)).max().unwrap_or(0)
}

/// Nestings a hostile message can build without saying `message/rfc822` in lower case:
/// returned headers inside returned headers, digests inside digests (their parts are
/// messages by default), and upper-case forwarded messages. Each renders within the time
/// bound and shows at most the depth limit.
#[test]
fn deep_nestings_of_every_kind_stay_bounded() {
    let head = "From: a@example.test\r\nSubject: deep\r\n";
    let headers = format!("{head}Content-Type: text/rfc822-headers\r\n\r\n").repeat(3_000);
    let mut digest = String::from(head);
    for i in 0..20_000 {
        digest.push_str(&format!("Content-Type: multipart/digest; boundary=\"d{i}\"\r\n\r\n--d{i}\r\n"));
    }
    let upper = format!("{head}Content-Type: MESSAGE/RFC822\r\n\r\n").repeat(20_000);
    for (what, raw) in [("returned headers", headers), ("digests", digest), ("upper case", upper)] {
        let started = Instant::now();
        let shown = render(raw.as_bytes(), BodyFormat::Best);
        assert!(started.elapsed() < TIME_BOUND, "{what}: {:?}", started.elapsed());
        assert!(nesting(&shown) <= tidings_mail::limits::MAX_MIME_DEPTH + 1, "{what}: {}", nesting(&shown));
    }
}
