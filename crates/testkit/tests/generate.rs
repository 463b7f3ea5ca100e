//! The message generator: deterministic, varied, well-formed enough for any MIME parser.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use tidings_testkit::generate::{message, shape, shapes, unix_time};

fn text(i: usize) -> String {
    String::from_utf8(message(i, "bob@example.test")).unwrap()
}

fn header_block(i: usize) -> String {
    let t = text(i);
    t[..t.find("\r\n\r\n").unwrap()].to_owned()
}

#[test]
fn deterministic_and_every_shape_appears() {
    assert_eq!(message(42, "a@example.test"), message(42, "a@example.test"));
    assert_ne!(message(42, "a@example.test"), message(43, "a@example.test"));
    assert_eq!(shapes().len(), 6);
    for (i, name) in shapes().iter().enumerate() {
        assert_eq!(shape(i), *name);
        assert_eq!(shape(i + shapes().len()), *name);
    }
}

#[test]
fn crlf_only_and_ascii_headers() {
    for i in 0..60 {
        let raw = message(i, "bob@example.test");
        for (k, &b) in raw.iter().enumerate() {
            if b == b'\n' {
                assert_eq!(raw[k - 1], b'\r', "bare LF in message {i} at {k}");
            }
        }
        assert!(raw.ends_with(b"\r\n"));
        let head = header_block(i);
        assert!(head.is_ascii(), "non-ASCII header in message {i}: {head}");
        for name in ["Date: ", "From: ", "To: <bob@example.test>", "Subject: ", "Message-ID: <testkit."] {
            assert!(head.contains(name), "message {i} lacks {name}");
        }
        assert!(head.lines().all(|l| l.len() <= 998));
    }
}

#[test]
fn shapes_have_their_structure() {
    let by_shape = |name: &str| text(shapes().iter().position(|s| *s == name).unwrap());
    assert!(by_shape("plain").contains("Content-Type: text/plain"));
    assert!(by_shape("html").contains("Content-Type: text/html") && by_shape("html").contains("<a href="));
    let alt = by_shape("alternative");
    assert!(alt.contains("multipart/alternative") && alt.contains("text/html") && alt.contains("text/plain"));
    let mixed = by_shape("attachment");
    assert!(mixed.contains("multipart/mixed") && mixed.contains("Content-Transfer-Encoding: base64"));
    assert!(mixed.contains("Content-Disposition: attachment; filename=\"data-3.bin\""));
    let intl = by_shape("encoded-words");
    assert!(intl.contains("Subject: =?UTF-8?B?") && intl.contains("From: =?UTF-8?B?"));
    assert!(intl.contains("quoted-printable") && intl.contains("=C3=BC"));
    let dots = by_shape("dot-lines");
    assert!(dots.contains("\r\n.\r\n") && dots.contains("\r\n..two dots\r\n"));
}

#[test]
fn threads_and_dates() {
    assert!(header_block(11).contains("In-Reply-To: <testkit.10@example.test>"));
    assert!(header_block(11).contains("Subject: Re: "));
    let years: std::collections::BTreeSet<i64> = (0..200).map(|i| 1970 + unix_time(i) / 31_556_952).collect();
    assert!(years.len() >= 5, "dates not spread: {years:?}");
    assert!((0..1000).all(|i| unix_time(i) < 1_735_689_600 && unix_time(i) > 1_540_000_000));
}
