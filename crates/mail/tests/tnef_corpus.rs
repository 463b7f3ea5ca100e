//! The TNEF decoder on real Outlook output: every sample the `tnefparse` package ships
//! (tests/corpus/tnef, LGPL-3.0, see its README), with what each one really holds — attachment
//! names, sizes and a hash of their bytes, MIME types, content ids, the body's kind, class,
//! subject and the notes. Then a seeded mutation run over the same samples (and over their RTF
//! bodies): no panic, bounded time and output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tidings_mail::message::rtf;
use tidings_mail::message::tnef::{self, Tnef, TnefBody, mapi};
use tidings_testkit::mutate::{self, Rng};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/tnef")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap()
}

struct Att {
    name: &'static str,
    size: usize,
    /// The first 8 bytes of the SHA-256 of the data, in hex.
    sha: &'static str,
    mime: Option<&'static str>,
    cid: Option<&'static str>,
}

const fn att(name: &'static str, size: usize, sha: &'static str) -> Att {
    Att { name, size, sha, mime: None, cid: None }
}

enum Body {
    /// HTML containing this.
    Html(&'static str),
    /// Text starting with this.
    Text(&'static str),
    /// RTF of this size, whose text starts with this.
    Rtf(usize, &'static str),
    None,
}

struct Sample {
    file: &'static str,
    class: Option<&'static str>,
    subject: Option<&'static str>,
    body: Body,
    attachments: &'static [Att],
    notes: &'static [&'static str],
}

const BAD_CHECKSUMS_2: &str = "2 TNEF records have a wrong checksum; they were read as they are.";
const NOTE: Option<&str> = Some("IPM.Note");

// Sizes where tnefparse differs: it strips trailing NULs from binary values; the .doc
// (61,952 bytes) and the OLE storage (628,224 bytes, after its 16-byte interface id) are
// compound files, whole 512-byte sectors. Every other size and hash is the same in both.
const VIA_NYTT: [Att; 3] = [
    att("VIA_Nytt_1402.doc", 61952, "9955935516d1407e"),
    att("VIA_Nytt_1402.pdf", 213685, "968c9c4a8a6a02ff"),
    att("VIA_Nytt_14021.htm", 68919, "c2ee04f99e59079a"),
];

const SAMPLES: &[Sample] = &[
    Sample {
        file: "IPM-DistList.tnef",
        class: NOTE,
        subject: None,
        body: Body::Html("This is the first half of the list because Comcast allows only up to 100 email"),
        // An embedded distribution list: named by its display name, not "Untitled Attachment".
        attachments: &[att("XXXXnews", 19965, "0dbb8e49c24f5ee0")],
        notes: &[BAD_CHECKSUMS_2],
    },
    Sample {
        file: "MAPI_ATTACH_DATA_OBJ.tnef",
        class: NOTE,
        subject: Some("Bodø-damer på vei!"),
        body: Body::Rtf(2428, "Det er jo en velkjent sak at bodødamene"),
        attachments: &VIA_NYTT,
        notes: &[],
    },
    Sample {
        file: "MAPI_OBJECT.tnef",
        class: NOTE,
        subject: Some("OCTOBER DISCOUNTED PRICE LIST"),
        body: Body::Rtf(731, "Attached is the updated October Discounted Price List"),
        attachments: &[att("Untitled_Attachment", 628224, "f89a1afbdfb2fc38")],
        notes: &[],
    },
    Sample {
        file: "bad_checksum.tnef",
        class: NOTE,
        subject: Some("Mediterranean Delight  - Baklava and Persian Tea!!!!! Dec 14th "),
        body: Body::Html("<html xmlns:v=\"urn:schemas-microsoft-com:vml\""),
        attachments: &[Att {
            mime: Some("image/png"),
            cid: Some("image001.png@01D4870B.7E1607B0"),
            ..att("image001.png", 1533127, "b9bdadaf568ade34")
        }],
        notes: &["The last TNEF record has no checksum."],
    },
    Sample {
        file: "body.tnef",
        class: NOTE,
        subject: Some("Bill of Rights"),
        body: Body::Html("THE BILL OF RIGHTS<BR>Amendments 1-10 of the"),
        attachments: &[],
        notes: &[],
    },
    Sample {
        file: "data-before-name.tnef",
        class: NOTE,
        subject: None,
        body: Body::Rtf(162, "asdf"),
        attachments: &[
            att("AUTOEXEC.BAT", 0, "e3b0c44298fc1c14"),
            att("CONFIG.SYS", 0, "e3b0c44298fc1c14"),
            att("boot.ini", 289, "a815374e31481bbb"),
        ],
        notes: &[],
    },
    Sample {
        file: "duplicate_filename.tnef",
        class: NOTE,
        subject: Some("Bodø-damer på vei!"),
        body: Body::Rtf(2428, "Det er jo en velkjent sak at bodødamene"),
        attachments: &[
            att("file_abcdefgh.txt", 61952, "9955935516d1407e"),
            att("file_abcdefgh.txt", 213685, "968c9c4a8a6a02ff"),
            att("VIA_Nytt_14021.htm", 68919, "c2ee04f99e59079a"),
        ],
        notes: &[BAD_CHECKSUMS_2],
    },
    Sample {
        file: "garbage-at-end.tnef",
        class: Some("Report.IPM.Note.IPNRN"),
        subject: None,
        body: Body::None,
        attachments: &[],
        notes: &["1 byte of garbage after the last record was ignored."],
    },
    Sample {
        file: "long-filename.tnef",
        class: NOTE,
        subject: Some("RE: license file"),
        // \fromtext: the RTF wraps the original plain text.
        body: Body::Text("I've attached a temp. license for QARun 4.7."),
        attachments: &[att("allproductsmar2000.dat", 279, "de2ad5d4e20a2456")],
        notes: &[],
    },
    Sample {
        file: "missing-filenames.tnef",
        class: NOTE,
        subject: Some("Y2K problem with Add-DT"),
        body: Body::Text("Hi Stephen,\r\n\r\nSue has encountered a Date problem"),
        attachments: &[
            att("generpts.src", 61210, "69ebd0e9c298f62d"),
            att("TechlibDEC99.doc", 33792, "d1a592c2e3729270"),
            att("TechlibDEC99-JAN00.doc", 34304, "360db5c11b1f21c6"),
            att("TechlibNOV99.doc", 33792, "b1e6b103cc5a9b75"),
        ],
        notes: &[],
    },
    Sample {
        file: "multi-name-property.tnef",
        class: Some("IPM.Appointment"),
        subject: Some("Pfingstmontag"),
        body: Body::None,
        attachments: &[],
        notes: &[],
    },
    Sample {
        file: "multi-value-attribute.tnef",
        class: Some("IPM.Note.Microsoft.Voicemail.UM.CA"),
        subject: None,
        body: Body::Html(
            "You received a voice mail from Curie Conf Room at <a style=\"color: #3399ff; \" href=\"tel:208225\">",
        ),
        attachments: &[Att {
            mime: Some("audio/mp3"),
            ..att("208225__5_seconds__Voice_Mail.mp3", 10656, "cf2e3cd4175a3acd")
        }],
        notes: &[],
    },
    Sample {
        file: "one-file.tnef",
        class: NOTE,
        subject: Some("one-file"),
        body: Body::None,
        attachments: &[Att {
            mime: Some("application/octet-stream"),
            ..att("AUTHORS", 244, "36c47da7d11846ca")
        }],
        notes: &[],
    },
    Sample {
        file: "rtf.tnef",
        class: NOTE,
        subject: None,
        body: Body::Rtf(592, "\r\naafgag'alga'kgk\r\n"),
        attachments: &[],
        notes: &[],
    },
    Sample {
        file: "triples.tnef",
        class: Some("IPM.Appointment"),
        subject: Some("Sample Summary"),
        body: Body::Rtf(246, "Sample description\r\n"),
        attachments: &[],
        notes: &[],
    },
    Sample {
        file: "two-files.tnef",
        class: NOTE,
        subject: Some("two files"),
        body: Body::None,
        attachments: &[
            Att { mime: Some("application/octet-stream"), ..att("AUTHORS", 244, "36c47da7d11846ca") },
            Att { mime: Some("application/octet-stream"), ..att("README", 893, "d0f163180d6ad5d8") },
        ],
        notes: &[],
    },
    Sample {
        file: "umlaut.tnef",
        class: NOTE,
        subject: None,
        body: Body::Html(
            "<b>TEST äöü +-*/~<o:p></o:p></b></p><p class=MsoNormal><b><o:p>&nbsp;</o:p></b></p><p \
             class=MsoNormal><b><span style='mso-fareast-language:DE'><img width=38 height=25 \
             id=\"Grafik_x0020_3\" src=\"cid:image003.jpg@01D2EE6A.85652C70\"",
        ),
        attachments: &[
            att("TBZ PARIV GmbH.jpg", 44764, "67597116a0dbb64f"),
            Att {
                mime: Some("image/jpeg"),
                cid: Some("image003.jpg@01D2EE6A.85652C70"),
                ..att("image003.jpg", 1001, "49b597682736b44a")
            },
            att("UmlautAnhang-äüö.txt", 14, "9b34b140af86a7de"),
        ],
        notes: &[],
    },
    Sample {
        file: "unicode-mapi-attr-name.tnef",
        class: NOTE,
        subject: Some("RE: [ZGLOSZENIE] THU#29044 Aktualizacja numerów w dodatkowych panelach"),
        body: Body::Html("<html xmlns:v=\"urn:schemas-microsoft-com:vml\""),
        attachments: &[
            att("spaconsole2.cfg", 8387, "4d9639506fa4bf42"),
            Att {
                mime: Some("image/png"),
                cid: Some("image001.png@01CF8C82.F4A2A290"),
                ..att("image001.png", 3815, "037f9d1fa06bccd3")
            },
            Att {
                mime: Some("image/png"),
                cid: Some("image002.png@01CF8C82.F4A2A290"),
                ..att("image002.png", 3573, "ea179fb97a7e850e")
            },
            Att {
                mime: Some("image/png"),
                cid: Some("image003.png@01CF8C82.F4A2A290"),
                ..att("image003.png", 3792, "20c51557b9c7ec0a")
            },
        ],
        notes: &[],
    },
    Sample {
        file: "unicode-mapi-attr.tnef",
        class: NOTE,
        subject: Some("example"),
        body: Body::Html("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=us-ascii\">"),
        attachments: &[att("example.dat", 1024, "b188960490adc658")],
        notes: &[],
    },
];

fn sha(data: &[u8]) -> String {
    Sha256::digest(data)[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn check(sample: &Sample, t: &Tnef) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut expect = |what: &str, ok: bool, actual: String| {
        if !ok {
            wrong.push(format!("{}: {what}: got {actual}", sample.file));
        }
    };
    expect("class", t.message_class.as_deref() == sample.class, format!("{:?}", t.message_class));
    expect("subject", t.subject.as_deref() == sample.subject, format!("{:?}", t.subject));
    let notes: Vec<&str> = t.notes.iter().map(String::as_str).collect();
    expect("notes", notes == sample.notes, format!("{notes:?}"));
    let body_ok = match (&sample.body, &t.body) {
        (Body::Html(part), TnefBody::Html(html)) => html.contains(part),
        (Body::Text(start), TnefBody::Text(text)) => text.starts_with(start),
        (Body::Rtf(size, start), TnefBody::Rtf(bytes)) => {
            bytes.len() == *size && bytes.starts_with(br"{\rtf1") && rtf::to_text(bytes).starts_with(start)
        }
        (Body::None, TnefBody::None) => true,
        _ => false,
    };
    expect("body", body_ok, format!("{:.300?}", t.body));
    let actual: Vec<_> = t
        .attachments
        .iter()
        .map(|a| {
            (a.name.as_str(), a.data.len(), sha(&a.data), a.mime_type.as_deref(), a.content_id.as_deref())
        })
        .collect();
    let expected: Vec<_> =
        sample.attachments.iter().map(|a| (a.name, a.size, a.sha.to_string(), a.mime, a.cid)).collect();
    expect("attachments", actual == expected, format!("{actual:?}"));
    wrong
}

#[test]
fn every_sample_decodes_to_what_it_holds() {
    let mut wrong = Vec::new();
    for sample in SAMPLES {
        wrong.extend(check(sample, &tnef::decode(&read(sample.file))));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_corpus_is_every_tnefparse_sample_with_its_licence() {
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tnef"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = SAMPLES.iter().map(|s| s.file.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "a sample without expectations, or expectations without a sample");
    assert_eq!(files.len(), 19);
    let licence = std::fs::read_to_string(dir().join("LICENSE")).unwrap();
    assert!(licence.contains("GNU LESSER GENERAL PUBLIC LICENSE"));
}

#[test]
fn an_embedded_message_is_decoded_in_its_attachment() {
    let t = tnef::decode(&read("IPM-DistList.tnef"));
    let embedded = t.attachments[0].embedded.as_deref().expect("the distribution list is a message");
    assert_eq!(embedded.message_class.as_deref(), Some("IPM.DistList"));
    assert_eq!(embedded.subject.as_deref(), Some("XXXXnews"));
    assert_eq!(embedded.body, TnefBody::None);
    assert!(embedded.attachments.is_empty());
    assert_eq!(embedded.notes, ["3 TNEF records have a wrong checksum; they were read as they are."]);
    // The attachment's data is the embedded stream itself (after IID_IMessage).
    assert!(t.attachments[0].data.starts_with(&[0x78, 0x9F, 0x3E, 0x22]));
    let others = SAMPLES.iter().filter(|s| s.file != "IPM-DistList.tnef");
    for sample in others {
        let t = tnef::decode(&read(sample.file));
        assert!(t.attachments.iter().all(|a| a.embedded.is_none()), "{}", sample.file);
    }
}

#[test]
fn html_taken_out_of_rtf_is_whole_and_free_of_rtf() {
    for file in ["IPM-DistList.tnef", "multi-value-attribute.tnef", "umlaut.tnef"] {
        let TnefBody::Html(html) = tnef::decode(&read(file)).body else { panic!("{file}: no HTML body") };
        assert!(html.starts_with("<html"), "{file}: {:.80}", html);
        assert!(html.trim_end().ends_with("</html>"), "{file}");
        for rtf_word in ["\\htmlrtf", "\\par", "\\f0", "{\\", "\\'", "\\u"] {
            assert!(!html.contains(rtf_word), "{file} still has {rtf_word}");
        }
    }
}

/// The compressed and decompressed RTF body of a sample, found with the decoder's own parts.
fn rtf_body(data: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut at = 6;
    while at + 9 <= data.len() {
        let id = u32::from_le_bytes(data[at + 1..at + 5].try_into().unwrap());
        let len = u32::from_le_bytes(data[at + 5..at + 9].try_into().unwrap()) as usize;
        let record = data.get(at + 9..at + 9 + len)?;
        if id == 0x0006_9003
            && let Some(mapi::Value::Binary(compressed)) = mapi::parse(record).get(0x1009)
        {
            return Some((compressed.to_vec(), rtf::decompress(compressed).ok()?));
        }
        at += 9 + len + 2;
    }
    None
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| panic!("{what}: panicked"));
    assert!(start.elapsed() < Duration::from_secs(2), "{what}: took {:?}", start.elapsed());
    result
}

#[test]
fn mutated_samples_never_panic_and_stay_bounded() {
    let mut rng = Rng::new(0x7469_6469_6E67_7321);
    let mut cases = 0;
    for sample in SAMPLES {
        let original = read(sample.file);
        // Small samples get many cases; the large ones (up to 1.5 MB) fewer, for time.
        let rounds = if original.len() <= 64 * 1024 { 1500 } else { 60 };
        for round in 0..rounds {
            let mut data = original.clone();
            mutate::bytes(&mut data, &mut rng);
            let what = format!("{} case {round}", sample.file);
            let t = timed(&what, || tnef::decode(&data));
            assert!(t.notes.len() <= 32 && t.attachments.len() <= tnef::MAX_ATTACHMENTS, "{what}");
            cases += 1;
        }
        if let Some((compressed, rtf)) = rtf_body(&original) {
            for round in 0..400 {
                let what = format!("{} RTF case {round}", sample.file);
                let mut data = rtf.clone();
                mutate::bytes(&mut data, &mut rng);
                let (wrapped, text) = timed(&what, || (rtf::encapsulated(&data), rtf::to_text(&data)));
                let out = match wrapped {
                    Some(rtf::Encapsulated::Html(s) | rtf::Encapsulated::Text(s)) => s.len(),
                    None => 0,
                };
                assert!(out.max(text.len()) <= 3 * data.len() + 16, "{what}");
                let mut data = compressed.clone();
                mutate::bytes(&mut data, &mut rng);
                let _ = timed(&what, || rtf::decompress(&data));
                cases += 2;
            }
        }
    }
    assert!(cases > 20_000, "{cases} cases");
}
