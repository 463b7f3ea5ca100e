//! The built bytes read back with mail-parser: what a recipient's client will see.

use mail_parser::{MessageParser, MimeHeaders};

use super::*;
use crate::Kind;

fn alice() -> Address {
    Address::new(Some("Alice Ätherton"), "alice@example.test")
}

fn parse(bytes: &[u8]) -> mail_parser::Message<'_> {
    MessageParser::default().parse(bytes).expect("the built message parses")
}

fn assert_crlf(bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}");
        }
        if *b == b'\r' {
            assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
    }
}

fn header_block(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.split("\r\n\r\n").next().unwrap_or_default().to_string()
}

#[test]
fn non_ascii_subject_names_attachment_bcc_and_crlf_round_trip() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let msg = NewMessage {
        from: alice(),
        to: vec![Address::new(Some("Bob Brœckmann"), "bob@example.test")],
        cc: vec![Address::email("carol@example.test")],
        bcc: vec![Address::email("secret@example.test")],
        subject: "Grüße aus Köln — 日本語のテスト".into(),
        body: "Hello Bob,\nline two with ünïcödé\n\n.\nA line starting with a dot.\n-- \nAlice\n".into(),
        attachments: vec![
            Attachment::new("bläh.bin", "application/octet-stream", binary.clone()),
            Attachment::new("notes.txt", "text/plain", b"one\ntwo\r\nthree".to_vec()),
        ],
        ..NewMessage::default()
    };
    let built = build(&msg).unwrap();
    assert_crlf(&built.bytes);
    let headers = header_block(&built.bytes);
    assert!(headers.is_ascii(), "headers must be 7-bit (encoded words): {headers}");
    // No Bcc field (a random Message-ID or boundary may contain the letters "bcc").
    assert!(!headers.split("\r\n").any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{headers}");
    assert!(!String::from_utf8_lossy(&built.bytes).contains("secret@"), "Bcc leaked into the bytes");
    assert_eq!(built.envelope_from, "alice@example.test");
    assert_eq!(built.recipients, ["bob@example.test", "carol@example.test", "secret@example.test"]);

    let parsed = parse(&built.bytes);
    assert_eq!(parsed.subject(), Some("Grüße aus Köln — 日本語のテスト"));
    let from = parsed.from().and_then(|a| a.first()).unwrap();
    assert_eq!((from.name(), from.address()), (Some("Alice Ätherton"), Some("alice@example.test")));
    let to = parsed.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.name(), Some("Bob Brœckmann"));
    assert_eq!(parsed.message_id().map(|id| format!("<{id}>")), Some(built.message_id.clone()));
    assert!(built.message_id.ends_with("@example.test>"), "{}", built.message_id);
    assert!(parsed.date().is_some());
    let text = parsed.body_text(0).unwrap();
    assert_eq!(text.replace("\r\n", "\n"), msg.body);

    assert_eq!(parsed.attachment_count(), 2);
    let a0 = parsed.attachment(0).unwrap();
    assert_eq!(a0.attachment_name(), Some("bläh.bin"));
    assert_eq!(a0.contents(), &binary[..], "binary attachment bytes equal");
    let a1 = parsed.attachment(1).unwrap();
    assert_eq!(a1.contents(), b"one\ntwo\r\nthree", "text attachment kept as it was");
}

#[test]
fn a_plain_ascii_message_is_a_single_part() {
    let msg = NewMessage {
        from: Address::email("alice@example.test"),
        to: vec![Address::email("bob@example.test")],
        subject: "Hi".into(),
        body: "Just text.".into(),
        ..NewMessage::default()
    };
    let built = build(&msg).unwrap();
    let text = String::from_utf8(built.bytes.clone()).unwrap();
    assert!(text.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"), "{text}");
    assert!(text.contains("\r\nSubject: Hi\r\n"), "{text}");
    assert!(!text.contains("multipart"), "{text}");
    assert!(text.ends_with("\r\n\r\nJust text.\r\n"), "{text}");
    // A typed final line ending arrives as typed, not doubled.
    let typed = NewMessage { body: "Two lines\nend\n".into(), ..msg.clone() };
    let built_typed = build(&typed).unwrap();
    assert_eq!(parse(&built_typed.bytes).body_text(0).unwrap().replace("\r\n", "\n"), typed.body);
    built.clone().into_outgoing().check().unwrap();
    // Two builds never share a Message-ID.
    assert_ne!(build(&msg).unwrap().message_id, built.message_id);
}

#[test]
fn invalid_or_missing_addresses_are_config_errors_naming_them() {
    let mut msg = NewMessage {
        from: Address::email("alice@example.test"),
        to: vec![Address::email("bob@")],
        ..NewMessage::default()
    };
    let e = build(&msg).unwrap_err();
    assert_eq!(e.kind(), Kind::Config);
    assert!(e.message().contains("To") && e.message().contains("\"bob@\""), "{e}");

    msg.to.clear();
    let e = build(&msg).unwrap_err();
    assert_eq!(e.kind(), Kind::Config);
    assert!(e.message().contains("no recipient"), "{e}");

    msg.from = Address::email("not-an-address");
    msg.to = vec![Address::email("bob@example.test")];
    let e = build(&msg).unwrap_err();
    assert!(e.message().starts_with("From:"), "{e}");
}

#[test]
fn a_draft_keeps_bcc_and_tolerates_what_is_still_being_typed() {
    let msg = NewMessage {
        from: alice(),
        to: vec![Address::email("bo")],
        bcc: vec![Address::email("secret@example.test")],
        subject: "Half written".into(),
        message_id: Some("<draft-1@example.test>".into()),
        ..NewMessage::default()
    };
    let built = build_draft(&msg, "d0123").unwrap();
    assert_eq!(built.message_id, "<draft-1@example.test>");
    assert!(String::from_utf8_lossy(&built.bytes).contains("\r\nX-Tidings-Draft: d0123\r\n"));
    let parsed = parse(&built.bytes);
    assert_eq!(parsed.bcc().and_then(|a| a.first()).and_then(|a| a.address()), Some("secret@example.test"));
    assert!(parsed.to().is_none());
}

#[test]
fn threading_headers() {
    let msg = NewMessage {
        from: alice(),
        to: vec![Address::email("bob@example.test")],
        in_reply_to: Some("c@example.test".into()),
        references: vec!["<a@example.test>".into(), "b@example.test".into(), "c@example.test".into()],
        ..NewMessage::default()
    };
    let built = build(&msg).unwrap();
    let parsed = parse(&built.bytes);
    assert_eq!(parsed.in_reply_to().as_text(), Some("c@example.test"));
    let refs: Vec<String> =
        parsed.references().as_text_list().unwrap_or_default().iter().map(|r| r.to_string()).collect();
    assert_eq!(refs, ["a@example.test", "b@example.test", "c@example.test"]);
}

const ORIGINAL: &str = "From: Bob Builder <bob@example.test>\r
Reply-To: Bob's List <list@example.test>\r
To: Alice <alice@example.test>, Carol <carol@example.test>\r
Cc: dan@example.test, ALICE@example.test\r
Subject: =?utf-8?q?Re=3A_Pl=C3=A4ne?=\r
Date: Mon, 3 Feb 2025 14:05:00 +0100\r
Message-ID: <orig-2@example.test>\r
References: <orig-0@example.test> <orig-1@example.test>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"b1\"\r
\r
--b1\r
Content-Type: text/plain; charset=utf-8\r
\r
Let's meet.\r
> earlier words\r
\r
Bob\r
--b1\r
Content-Type: image/png\r
Content-Disposition: attachment; filename=\"dot.png\"\r
Content-Transfer-Encoding: base64\r
\r
iVBORw0KGgo=\r
--b1--\r
";

#[test]
fn reply_honours_reply_to_and_does_not_stack_re() {
    let original = Original::parse(ORIGINAL.as_bytes()).unwrap();
    let me = Address::email("alice@example.test");
    let r = reply(&original, ReplyKind::Sender, &me, &[]);
    assert_eq!(r.to, vec![Address::new(Some("Bob's List"), "list@example.test")]);
    assert!(r.cc.is_empty());
    assert_eq!(r.subject, "Re: Pläne");
    assert_eq!(r.in_reply_to.as_deref(), Some("orig-2@example.test"));
    assert_eq!(r.references, ["orig-0@example.test", "orig-1@example.test", "orig-2@example.test"]);
    assert_eq!(
        r.body,
        "On 3 Feb 2025 14:05 +0100, Bob Builder wrote:\n> Let's meet.\n>> earlier words\n>\n> Bob\n\n"
    );
    // And the reply builds, with the thread headers.
    let built = build(&r).unwrap();
    let parsed = parse(&built.bytes);
    assert_eq!(parsed.subject(), Some("Re: Pläne"));
    assert_eq!(parsed.in_reply_to().as_text(), Some("orig-2@example.test"));
}

#[test]
fn reply_all_leaves_out_our_own_addresses_and_duplicates() {
    let original = Original::parse(ORIGINAL.as_bytes()).unwrap();
    let me = Address::email("alice@example.test");
    let r = reply(&original, ReplyKind::All, &me, &["alias@example.test".into()]);
    assert_eq!(r.to, vec![Address::new(Some("Bob's List"), "list@example.test")]);
    let cc: Vec<&str> = r.cc.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(cc, ["carol@example.test", "dan@example.test"]);
}

#[test]
fn the_identity_a_message_was_sent_to_is_found_in_to_or_cc() {
    let raw = "From: bob@example.test\r\nTo: Team <team@example.test>\r\nCc: SALES@Example.test\r\nSubject: x\r\n\r\nx\r\n";
    let original = Original::parse(raw.as_bytes()).unwrap();
    let main = Address::new(Some("Alice"), "alice@example.test");
    let sales = Address::new(Some("Sales"), "sales@example.test");
    let help = Address::email("help@example.test");
    let ours = [main.clone(), help.clone(), sales.clone()];
    assert_eq!(original.addressed_to(&ours), Some(&sales));
    assert_eq!(original.addressed_to(&[main.clone(), help.clone()]), None);
    // Our own message (in Sent): answered from the address it was written from.
    let raw = "From: Help <HELP@example.test>\r\nTo: sales@example.test\r\nSubject: x\r\n\r\nx\r\n";
    let sent = Original::parse(raw.as_bytes()).unwrap();
    assert_eq!(sent.addressed_to(&ours), Some(&help));
}

#[test]
fn replying_to_our_own_message_goes_to_its_recipients() {
    let raw = "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nCc: carol@example.test\r\nSubject: Plan\r\n\r\nText\r\n";
    let original = Original::parse(raw.as_bytes()).unwrap();
    let me = Address::email("alice@example.test");
    let r = reply(&original, ReplyKind::All, &me, &[]);
    assert_eq!(r.to, vec![Address::email("bob@example.test")]);
    assert_eq!(r.cc, vec![Address::email("carol@example.test")]);
    assert_eq!(r.subject, "Re: Plan");
    assert_eq!(r.body, "Alice wrote:\n> Text\n\n", "no Date header: no date in the line");
}

#[test]
fn subjects_are_prefixed_once() {
    assert_eq!(strip_prefixes("Re: RE: Fwd: AW: Re[2]: Plan"), "Plan");
    assert_eq!(strip_prefixes("Ticket: broken"), "Ticket: broken");
    assert_eq!(strip_prefixes("Re:"), "");
    let o = |s: &str| Original { subject: s.into(), ..Original::default() };
    let me = Address::email("alice@example.test");
    assert_eq!(reply(&o("RE: x"), ReplyKind::Sender, &me, &[]).subject, "RE: x");
    assert_eq!(reply(&o("Fwd: x"), ReplyKind::Sender, &me, &[]).subject, "Re: Fwd: x");
    assert_eq!(reply(&o(""), ReplyKind::Sender, &me, &[]).subject, "Re: ");
    assert_eq!(forward_inline(&o("Fwd: x"), &me).subject, "Fwd: x");
    assert_eq!(forward_inline(&o("FW: x"), &me).subject, "FW: x");
    assert_eq!(forward_as_attachment(&o("Re: x"), &me).subject, "Fwd: Re: x");
}

#[test]
fn forward_inline_has_the_header_block_the_text_and_the_attachments() {
    let original = Original::parse(ORIGINAL.as_bytes()).unwrap();
    let me = Address::email("alice@example.test");
    let mut f = forward_inline(&original, &me);
    assert!(f.to.is_empty() && f.in_reply_to.is_none());
    assert_eq!(f.subject, "Fwd: Re: Pläne");
    assert!(
        f.body.starts_with(
            "\n\n-------- Forwarded Message --------\nSubject: Re: Pläne\nDate: 3 Feb 2025 14:05 +0100\nFrom: Bob Builder <bob@example.test>\n"
        ),
        "{}",
        f.body
    );
    assert!(f.body.contains("\nTo: Alice <alice@example.test>, Carol <carol@example.test>\n"), "{}", f.body);
    assert!(f.body.ends_with("Let's meet.\n> earlier words\n\nBob\n"), "{:?}", f.body);
    assert_eq!(f.attachments.len(), 1);
    assert_eq!(f.attachments[0].name, "dot.png");
    assert_eq!(f.attachments[0].content_type, "image/png");
    assert_eq!(f.attachments[0].bytes, b"\x89PNG\r\n\x1a\n");

    f.to = vec![Address::email("erin@example.test")];
    let built = build(&f).unwrap();
    let parsed = parse(&built.bytes);
    assert_eq!(parsed.attachment(0).unwrap().contents(), b"\x89PNG\r\n\x1a\n");
}

#[test]
fn forward_as_attachment_carries_the_original_whole() {
    let original = Original::parse(ORIGINAL.as_bytes()).unwrap();
    let me = Address::email("alice@example.test");
    let mut f = forward_as_attachment(&original, &me);
    assert_eq!(f.attachments.len(), 1);
    assert_eq!(f.attachments[0].name, "Pläne.eml");
    f.to = vec![Address::email("erin@example.test")];
    let built = build(&f).unwrap();
    assert_crlf(&built.bytes);
    let text = String::from_utf8_lossy(&built.bytes);
    assert!(text.contains("Content-Type: message/rfc822"), "{text}");
    assert!(
        text.contains("Content-Transfer-Encoding: 7bit\r\n\r\nFrom: Bob Builder"),
        "a 7bit original stays 7bit: {text}"
    );
    let parsed = parse(&built.bytes);
    let part = parsed.attachment(0).unwrap();
    assert_eq!(part.contents(), ORIGINAL.as_bytes(), "the original, byte for byte");
    let inner = part.message().unwrap();
    assert_eq!(inner.subject(), Some("Re: Pläne"));
}

#[test]
fn an_original_with_lf_endings_and_eight_bit_text_is_attached_as_8bit() {
    let raw = "From: b@example.test\nSubject: Ünï\nContent-Type: text/plain; charset=utf-8\n\nGrüße\n";
    let original = Original::parse(raw.as_bytes()).unwrap();
    let mut f = forward_as_attachment(&original, &Address::email("alice@example.test"));
    f.to = vec![Address::email("erin@example.test")];
    let built = build(&f).unwrap();
    assert_crlf(&built.bytes);
    let text = String::from_utf8_lossy(&built.bytes);
    assert!(text.contains("Content-Transfer-Encoding: 8bit"), "{text}");
    let parsed = parse(&built.bytes);
    assert_eq!(parsed.attachment(0).unwrap().contents(), raw.replace('\n', "\r\n").as_bytes());
}

#[test]
fn html_only_originals_are_quoted_as_text() {
    let raw = "From: b@example.test\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>there</b></p><p>second</p>\r\n";
    let original = Original::parse(raw.as_bytes()).unwrap();
    let r = reply(&original, ReplyKind::Sender, &Address::email("alice@example.test"), &[]);
    assert!(r.body.contains("> Hello there"), "{}", r.body);
    assert!(!r.body.contains("<p>"), "{}", r.body);
}

#[test]
fn crlf_normalisation() {
    assert_eq!(to_crlf(b"a\nb\r\nc\rd\r\n\n"), b"a\r\nb\r\nc\r\nd\r\n\r\n");
    assert_eq!(to_crlf(b""), b"");
}

#[test]
fn content_types_from_names() {
    assert_eq!(guess_content_type("Report.PDF"), "application/pdf");
    assert_eq!(guess_content_type("photo.jpeg"), "image/jpeg");
    assert_eq!(guess_content_type("noext"), "application/octet-stream");
}
