//! TNEF streams built by hand, one rule each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

pub(super) const CLASS: u32 = 0x0007_8008;
pub(super) const SUBJECT: u32 = 0x0001_8004;
const BODY: u32 = 0x0002_800C;
const CODEPAGE: u32 = 0x0006_9007;
pub(super) const MSG_PROPS: u32 = 0x0006_9003;
pub(super) const REND_DATA: u32 = 0x0006_9002;
const TITLE: u32 = 0x0001_8010;
pub(super) const DATA: u32 = 0x0006_800F;
pub(super) const ATTACHMENT: u32 = 0x0006_9005;

pub(super) struct Stream(pub(super) Vec<u8>);

impl Stream {
    pub(super) fn new() -> Self {
        let mut bytes = SIGNATURE.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0x01, 0x00]);
        Stream(bytes)
    }

    fn record(mut self, level: u8, id: u32, data: &[u8]) -> Self {
        self.0.push(level);
        self.0.extend_from_slice(&id.to_le_bytes());
        self.0.extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.0.extend_from_slice(data);
        self.0.extend_from_slice(&checksum(data).to_le_bytes());
        self
    }

    pub(super) fn message(self, id: u32, data: &[u8]) -> Self {
        self.record(1, id, data)
    }

    pub(super) fn attachment(self, id: u32, data: &[u8]) -> Self {
        self.record(2, id, data)
    }
}

/// A property list from (type, id, encoded value) triples.
pub(super) fn props(list: &[(u16, u16, Vec<u8>)]) -> Vec<u8> {
    let mut out = (list.len() as u32).to_le_bytes().to_vec();
    for (kind, id, value) in list {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(value);
    }
    out
}

/// A variable-size value: count 1, length, bytes, padding.
pub(super) fn var(bytes: &[u8]) -> Vec<u8> {
    let mut out = 1u32.to_le_bytes().to_vec();
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
    out.resize(out.len() + (4 - bytes.len() % 4) % 4, 0);
    out
}

pub(super) fn unicode(id: u16, text: &str) -> (u16, u16, Vec<u8>) {
    let bytes: Vec<u8> = text.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
    (mapi::PT_UNICODE, id, var(&bytes))
}

pub(super) fn string8(id: u16, bytes: &[u8]) -> (u16, u16, Vec<u8>) {
    (mapi::PT_STRING8, id, var(&[bytes, b"\0"].concat()))
}

pub(super) fn binary(id: u16, bytes: &[u8]) -> (u16, u16, Vec<u8>) {
    (mapi::PT_BINARY, id, var(bytes))
}

pub(super) fn int(id: u16, n: i32) -> (u16, u16, Vec<u8>) {
    (mapi::PT_I32, id, n.to_le_bytes().to_vec())
}

fn compressed(rtf: &str) -> Vec<u8> {
    compressed_rtf::compress_rtf(rtf).unwrap()
}

#[test]
fn attachment_names_prefer_the_long_name_then_the_display_name_then_the_title() {
    let t = decode(
        &Stream::new()
            .attachment(REND_DATA, &[0; 14])
            .attachment(TITLE, b"LONGFI~1.TXT\0")
            .attachment(DATA, b"one")
            .attachment(
                ATTACHMENT,
                &props(&[
                    unicode(PR_DISPLAY_NAME, "Display"),
                    unicode(PR_ATTACH_LONG_FILENAME, "Long name.txt"),
                ]),
            )
            .attachment(REND_DATA, &[0; 14])
            .attachment(TITLE, b"SHORT.TXT\0")
            .attachment(ATTACHMENT, &props(&[unicode(PR_DISPLAY_NAME, "Display name")]))
            .attachment(REND_DATA, &[0; 14])
            .attachment(TITLE, b"SHORT.TXT\0")
            .attachment(REND_DATA, &[0; 14])
            .attachment(DATA, b"nameless")
            .0,
    );
    let names: Vec<_> = t.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Long name.txt", "Display name", "SHORT.TXT", ""]);
    assert_eq!(t.attachments[0].data, b"one");
    assert_eq!(t.notes, Vec::<String>::new());
}

#[test]
fn records_before_the_first_rendering_record_still_make_an_attachment() {
    let t = decode(&Stream::new().attachment(DATA, b"data").attachment(TITLE, b"late.txt\0").0);
    assert_eq!(t.attachments.len(), 1);
    assert_eq!((t.attachments[0].name.as_str(), &t.attachments[0].data[..]), ("late.txt", &b"data"[..]));
}

#[test]
fn mime_type_and_content_id_come_from_the_attachment_properties() {
    let t = decode(
        &Stream::new()
            .attachment(REND_DATA, &[0; 14])
            .attachment(
                ATTACHMENT,
                &props(&[
                    string8(PR_ATTACH_MIME_TAG, b"image/png"),
                    unicode(PR_ATTACH_CONTENT_ID, "<image001.png@01D4870B>"),
                    binary(PR_ATTACH_DATA, b"\x89PNG"),
                ]),
            )
            .0,
    );
    let a = &t.attachments[0];
    assert_eq!(a.mime_type.as_deref(), Some("image/png"));
    assert_eq!(a.content_id.as_deref(), Some("image001.png@01D4870B"));
    assert_eq!(a.data, b"\x89PNG");
}

#[test]
fn eight_bit_strings_are_read_in_the_oem_code_page() {
    let t = decode(
        &Stream::new()
            .message(CODEPAGE, &[0xE3, 0x04, 0, 0, 0, 0, 0, 0]) // 1251
            .message(SUBJECT, b"\xcf\xf0\xe8\xe2\xe5\xf2\0")
            .message(BODY, b"\xc4\xee\xe1\xf0\xfb\xe9 \xe4\xe5\xed\xfc")
            .attachment(REND_DATA, &[0; 14])
            .attachment(TITLE, b"\xf4\xe0\xe9\xeb.txt\0")
            .0,
    );
    assert_eq!(t.subject.as_deref(), Some("Привет"));
    assert_eq!(t.body, TnefBody::Text("Добрый день".into()));
    assert_eq!(t.attachments[0].name, "файл.txt");

    let t = decode(&Stream::new().message(CODEPAGE, &[0xB5, 0x01, 0, 0]).message(SUBJECT, b"x\0").0);
    assert_eq!(t.notes, ["Code page 437 is not known here; its text was read as Windows-1252."]);
}

#[test]
fn the_body_is_html_first_then_rtf_then_text() {
    let html = binary(PR_BODY_HTML, b"<p>caf\xc3\xa9</p>");
    let cpid = int(PR_INTERNET_CPID, 65001);
    let wrapped = binary(
        PR_RTF_COMPRESSED,
        &compressed(
            r"{\rtf1\ansi\ansicpg1252\fromhtml1 {\*\htmltag <p>}{\htmlrtf x\htmlrtf0 from rtf}{\*\htmltag </p>}}",
        ),
    );
    let plain_rtf = binary(PR_RTF_COMPRESSED, &compressed(r"{\rtf1\ansi\pard Hello\par}"));
    let text = unicode(PR_BODY, "plain");
    let with = |list: &[(u16, u16, Vec<u8>)]| decode(&Stream::new().message(MSG_PROPS, &props(list)).0).body;

    assert_eq!(with(&[text.clone(), wrapped.clone(), html, cpid]), TnefBody::Html("<p>café</p>".into()));
    assert_eq!(with(&[text.clone(), wrapped]), TnefBody::Html("<p>from rtf</p>".into()));
    assert_eq!(with(&[text.clone(), plain_rtf]), TnefBody::Rtf(br"{\rtf1\ansi\pard Hello\par}".to_vec()));
    assert_eq!(with(&[text]), TnefBody::Text("plain".into()));
    assert_eq!(with(&[]), TnefBody::None);
    let legacy = decode(&Stream::new().message(BODY, b"legacy body\0").0);
    assert_eq!(legacy.body, TnefBody::Text("legacy body".into()));
}

#[test]
fn an_unreadable_rtf_body_is_a_note_and_the_text_is_shown() {
    let mut rtf = compressed(r"{\rtf1 Hello}");
    let last = rtf.len() - 1;
    rtf[last] ^= 0xFF; // the CRC no longer matches
    let t = decode(
        &Stream::new()
            .message(MSG_PROPS, &props(&[binary(PR_RTF_COMPRESSED, &rtf), unicode(PR_BODY, "text")]))
            .0,
    );
    assert_eq!(t.body, TnefBody::Text("text".into()));
    assert!(t.notes[0].starts_with("Cannot decompress the RTF body"), "{:?}", t.notes);
}

#[test]
fn message_class_and_subject() {
    let t = decode(
        &Stream::new().message(CLASS, b"IPM.Microsoft Schedule.MtgReq\0").message(SUBJECT, b"Meeting\0").0,
    );
    assert_eq!(t.message_class.as_deref(), Some("IPM.Schedule.Meeting.Request"));
    assert_eq!(t.subject.as_deref(), Some("Meeting"));

    // The MAPI properties win over the legacy attributes.
    let t = decode(
        &Stream::new()
            .message(CLASS, b"IPM.Microsoft Mail.Note\0")
            .message(SUBJECT, b"legacy\0")
            .message(
                MSG_PROPS,
                &props(&[unicode(PR_MESSAGE_CLASS, "IPM.Note.Custom"), unicode(PR_SUBJECT, "Grüße")]),
            )
            .0,
    );
    assert_eq!(t.message_class.as_deref(), Some("IPM.Note.Custom"));
    assert_eq!(t.subject.as_deref(), Some("Grüße"));
}

#[test]
fn bad_checksums_missing_checksums_garbage_and_cuts_are_notes() {
    let mut s = Stream::new().message(SUBJECT, b"one\0").message(SUBJECT, b"two\0");
    let at = s.0.len() - 1;
    s.0[at] ^= 1;
    s.0.extend_from_slice(b"junk");
    let t = decode(&s.0);
    assert_eq!(t.subject.as_deref(), Some("two"));
    assert_eq!(
        t.notes,
        [
            "4 bytes of garbage after the last record were ignored.",
            "1 TNEF record has a wrong checksum; it was read as it is."
        ]
    );

    let mut s = Stream::new().attachment(REND_DATA, &[0; 14]).attachment(DATA, b"0123456789");
    s.0.truncate(s.0.len() - 2);
    let t = decode(&s.0);
    assert_eq!(t.attachments[0].data, b"0123456789");
    assert_eq!(t.notes, ["The last TNEF record has no checksum."]);

    s.0.truncate(s.0.len() - 4);
    let t = decode(&s.0);
    assert_eq!(t.attachments[0].data, b"012345");
    assert!(t.notes[0].starts_with("The TNEF stream is cut short"), "{:?}", t.notes);

    let mut s = Stream::new().message(SUBJECT, b"s\0");
    s.0.extend_from_slice(&[9; 20]);
    assert!(decode(&s.0).notes[0].contains("not a TNEF record (level 9)"));
    assert!(decode(b"PK\x03\x04 not tnef").notes[0].starts_with("This is not TNEF"));
    assert_eq!(decode(b"").notes, ["The TNEF stream is too short to hold anything."]);
}

fn embedded(inner: &[u8]) -> Vec<u8> {
    let object = [&IID_IMESSAGE[..], inner].concat();
    Stream::new()
        .attachment(REND_DATA, &[0; 14])
        .attachment(ATTACHMENT, &props(&[(mapi::PT_OBJECT, PR_ATTACH_DATA, var(&object))]))
        .0
}

#[test]
fn embedded_messages_are_decoded_to_a_bounded_depth() {
    let mut stream = Stream::new().message(SUBJECT, b"innermost\0").0;
    for _ in 0..12 {
        stream = embedded(&stream);
    }
    let t = decode(&stream);
    let mut depth = 0;
    let mut message = &t;
    while let Some(inner) = message.attachments.first().and_then(|a| a.embedded.as_deref()) {
        depth += 1;
        message = inner;
    }
    assert_eq!(depth, MAX_DEPTH);
    // The deepest decoded message keeps the next one as data, with a note.
    assert!(!message.attachments[0].data.is_empty());
    assert!(message.notes[0].contains("embedded more than 8 deep"), "{:?}", message.notes);

    let one = decode(&embedded(&Stream::new().message(SUBJECT, b"inner\0").0));
    let inner = one.attachments[0].embedded.as_deref().unwrap();
    assert_eq!(inner.subject.as_deref(), Some("inner"));
    assert_eq!(one.attachments[0].data, Stream::new().message(SUBJECT, b"inner\0").0);
}

#[test]
fn an_ole_object_attachment_loses_its_interface_id() {
    let object =
        [&[0x0B, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46][..], b"\xd0\xcf\x11\xe0"].concat();
    let t = decode(
        &Stream::new()
            .attachment(REND_DATA, &[0; 14])
            .attachment(ATTACHMENT, &props(&[(mapi::PT_OBJECT, PR_ATTACH_DATA, var(&object))]))
            .0,
    );
    assert_eq!(t.attachments[0].data, b"\xd0\xcf\x11\xe0");
    assert_eq!(t.attachments[0].embedded, None);
}

#[test]
fn output_past_the_limit_is_left_out_with_a_note() {
    let t = decode_limited(
        &Stream::new()
            .message(BODY, b"small body")
            .attachment(REND_DATA, &[0; 14])
            .attachment(TITLE, b"big.bin\0")
            .attachment(DATA, &[7; 1000])
            .attachment(REND_DATA, &[0; 14])
            .attachment(TITLE, b"small.bin\0")
            .attachment(DATA, &[7; 10])
            .0,
        100,
    );
    assert_eq!(t.body, TnefBody::Text("small body".into()));
    let sizes: Vec<_> = t.attachments.iter().map(|a| a.data.len()).collect();
    assert_eq!(sizes, [0, 10]);
    assert_eq!(
        t.notes,
        ["The data of attachment \"big.bin\" was left out: the message is larger than the reader allows."]
    );
}

#[test]
fn attachments_past_the_limit_are_counted_not_kept() {
    let mut s = Stream::new();
    for i in 0..MAX_ATTACHMENTS + 5 {
        s = s.attachment(REND_DATA, &[0; 14]).attachment(DATA, i.to_string().as_bytes());
    }
    let t = decode(&s.0);
    assert_eq!(t.attachments.len(), MAX_ATTACHMENTS);
    // The last one kept has its own data, not that of the ones left out.
    assert_eq!(t.attachments[MAX_ATTACHMENTS - 1].data, b"999");
    assert_eq!(t.notes, ["5 attachments past the first 1000 were left out."]);
}

#[test]
fn a_broken_property_list_keeps_what_came_before() {
    let mut list = props(&[unicode(PR_SUBJECT, "kept"), unicode(PR_BODY, "lost")]);
    list.truncate(list.len() - 6);
    let t = decode(&Stream::new().message(MSG_PROPS, &list).0);
    assert_eq!(t.subject.as_deref(), Some("kept"));
    assert_eq!(t.body, TnefBody::None);
    assert!(t.notes[0].starts_with("The message's properties: property 2 of 2"), "{:?}", t.notes);
}
