//! Invitations of the reader's corpus as the card reads them: every
//! `corpus/messages/invite-NAME.eml` (the testkit's Exchange, Google Calendar, Thunderbird
//! and Outlook-on-the-web shapes) is rendered, its calendar parts read for alice in New York
//! (`America/New_York`, pinned), and compared with `invite-NAME.invitation.json` beside it.
//! A mismatch writes `invite-NAME.invitation.actual.json` and fails; `TIDINGS_BLESS=1`
//! writes the `.eml` files from the testkit and the expectations from what reads now — then
//! read them: they are the expectation. (Their display models are checked by
//! `render_corpus` like every other message.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use tidings_mail::calendar::{self, Viewer};
use tidings_mail::message::render;
use tidings_mail::options::BodyFormat;
use tidings_testkit::generate::{CalendarShape, Invite, invitation_message};

const ALICE: &str = "alice@example.test";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/messages")
}

fn bless() -> bool {
    std::env::var_os("TIDINGS_BLESS").is_some_and(|v| v == "1")
}

fn eml(shape: CalendarShape) -> PathBuf {
    corpus().join(format!("invite-{}.eml", shape.name()))
}

fn read(raw: &[u8]) -> serde_json::Value {
    let display = render(raw, BodyFormat::Best);
    let viewer = Viewer::new(chrono_tz::America::New_York, [ALICE]);
    let calendar: Vec<serde_json::Value> = calendar::invitations(&display, &viewer)
        .into_iter()
        .map(|(_, r)| match r {
            Ok(inv) => serde_json::to_value(inv).unwrap(),
            Err(e) => serde_json::json!({ "error": e.message() }),
        })
        .collect();
    serde_json::json!({
        "calendar": calendar,
        "outlook_link": calendar::owa_link(raw, &display, ALICE),
    })
}

#[test]
fn the_corpus_invitations_are_the_testkits() {
    for shape in CalendarShape::ALL {
        let made = invitation_message(shape, &Invite::new("bob@example.test", ALICE));
        // Only when changed: the other tests read these files at the same time.
        if bless() && std::fs::read(eml(shape)).ok().as_ref() != Some(&made) {
            std::fs::write(eml(shape), &made).unwrap();
        }
        assert_eq!(
            std::fs::read(eml(shape)).unwrap(),
            made,
            "{} differs from the testkit's",
            eml(shape).display()
        );
    }
}

#[test]
fn corpus_invitations_read_as_expected() {
    let mut failures = Vec::new();
    for shape in CalendarShape::ALL {
        let raw = std::fs::read(eml(shape)).unwrap();
        let actual = read(&raw);
        let path = eml(shape).with_extension("invitation.json");
        let actual_path = eml(shape).with_extension("invitation.actual.json");
        let pretty = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        if bless() {
            std::fs::write(&path, pretty).unwrap();
            continue;
        }
        let expected: Option<serde_json::Value> =
            std::fs::read(&path).ok().map(|b| serde_json::from_slice(&b).unwrap());
        if expected.as_ref() == Some(&actual) {
            let _ = std::fs::remove_file(&actual_path);
        } else {
            std::fs::write(&actual_path, pretty).unwrap();
            failures.push(actual_path.display().to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "compare with the .invitation.json beside each:\n  {}",
        failures.join("\n  ")
    );
}

/// What the expectations say, in words: the shapes' times meet at 07:00 UTC, which is 03:00
/// in New York, and only the link explains itself.
#[test]
fn every_shape_shows_the_same_meeting_in_new_york() {
    for shape in CalendarShape::ALL {
        let v = read(&std::fs::read(eml(shape)).unwrap());
        if shape == CalendarShape::OutlookWebLink {
            assert_eq!(v["calendar"], serde_json::json!([]));
            let explanation = v["outlook_link"]["explanation"].as_str().unwrap();
            assert!(explanation.contains("-ImapForceICalForCalendarRetrievalOption $true"), "{explanation}");
            continue;
        }
        let first = &v["calendar"][0];
        assert_eq!(first["start"], "2026-06-15T03:00:00-04:00", "{}", shape.name());
        assert_eq!(first["your_status"], "NEEDS-ACTION", "{}", shape.name());
        assert_eq!(first["answerable"], true, "{}", shape.name());
        assert_eq!(first["uid"], "testkit-invite-1@example.test");
        assert!(v["outlook_link"].is_null());
    }
}
