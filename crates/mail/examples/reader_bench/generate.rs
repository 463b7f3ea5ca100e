//! The benchmark's messages, made deterministically from a seed: one ≈ 10 MB message with 50
//! attachments, and a mix of ordinary mail in the shapes and sizes an inbox holds (personal
//! text, newsletters, enriched text, nested multiparts, forwarded messages, bounces,
//! attachments, eight charsets), plus the core's corpus files with their subject varied.

use base64::Engine;

/// splitmix64: small, fast and good enough that variety does not follow the index.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// Spread evenly over the decades between `lo` and `hi` (sizes of real attachments).
    fn log_range(&mut self, lo: usize, hi: usize) -> usize {
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        let f = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (l + f * (h - l)).exp() as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[(self.next() % list.len() as u64) as usize]
    }

    /// Bytes that do not compress (as in a JPEG or a PDF's streams), after a magic number.
    fn binary(&mut self, magic: &[u8], len: usize) -> Vec<u8> {
        let mut out = magic.to_vec();
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len.max(magic.len()));
        out
    }
}

/// The kinds of ordinary message, with their share of the mix in percent.
pub const KINDS: &[(&str, u64)] = &[
    ("plain", 24),
    ("html+text", 22),
    ("html", 7),
    ("enriched", 4),
    ("nested", 8),
    ("attachments", 11),
    ("forwarded", 7),
    ("dsn", 3),
    ("charset", 8),
    ("corpus", 6),
];

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "the", "report", "meeting", "we", "should", "next", "week", "budget", "draft", "please",
    "review", "attached", "thanks", "for", "your", "help", "with", "project", "schedule", "and",
    "team", "update", "numbers", "look", "good", "a", "few", "questions", "about", "client",
    "deadline", "Friday", "call", "notes", "from", "yesterday", "agreed", "to", "move", "forward",
    "on", "plan", "version", "latest", "changes", "in", "section", "three", "is", "it",
];

const PEOPLE: &[(&str, &str)] = &[
    ("Carol Danvers", "carol@example.org"),
    ("Dave Null", "dave@example.com"),
    ("Erin Example", "erin@example.test"),
    ("Jürgen Müller", "juergen@example.de"),
    ("Zoë Ørsted", "zoe@example.dk"),
    ("Priya Raman", "priya@corp.example.net"),
    ("Newsletter", "news@lists.example.org"),
];

/// Text in each charset the mix uses, with its MIME name and how its body travels.
const CHARSETS: &[(&str, &str, &str)] = &[
    ("iso-2022-jp", "お世話になっております。来週の会議の資料を送ります。ご確認ください。", "7bit"),
    ("shift_jis", "いつもお世話になっております。見積書を添付いたします。", "base64"),
    ("euc-kr", "안녕하세요. 다음 주 회의 자료를 보내드립니다. 확인 부탁드립니다.", "base64"),
    ("gb18030", "您好，附上下周会议的资料，请查收。谢谢！", "base64"),
    ("big5", "您好，附上下週會議的資料，請查收。謝謝！", "base64"),
    ("koi8-r", "Здравствуйте! Высылаю материалы к совещанию на следующей неделе.", "8bit"),
    ("windows-1252", "Grüße aus Köln — the café’s “naïve” menu costs 12 €.", "quoted-printable"),
    (
        "iso-8859-2",
        "Dzień dobry, przesyłam materiały. Příliš žluťoučký kůň úpěl ďábelské ódy.",
        "quoted-printable",
    ),
];

/// The core's corpus files that show ordinary mail (not the broken or hostile ones).
const CORPUS: &[&str] = &[
    "exchange-0-text",
    "exchange-1-html",
    "exchange-2-alternative",
    "exchange-3-enriched",
    "exchange-4-enriched-alternative",
    "exchange-5-best",
    "exchange-6-tnef",
    "dsn-exchange",
    "dsn-postfix",
    "forwarded-rfc822",
    "forwarded-digest",
    "nested-multiparts",
    "html-remote-images",
    "rfc1896-example",
    "invitation-request",
    "read-receipt-mdn",
    "filenames-rfc2231-2047",
    "charset-iso-8859-2",
    "charset-shift_jis",
];

/// Reads the corpus files named in [`CORPUS`].
pub fn corpus_files() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/messages");
    CORPUS.iter().filter_map(|name| std::fs::read(dir.join(format!("{name}.eml"))).ok()).collect()
}

/// `n` ordinary messages and the kind of each.
pub fn mix(rng: &mut Rng, n: usize, corpus: &[Vec<u8>]) -> Vec<(&'static str, Vec<u8>)> {
    let total: u64 = KINDS.iter().map(|k| k.1).sum();
    (0..n)
        .map(|i| {
            let mut roll = rng.next() % total;
            let kind = KINDS
                .iter()
                .find(|(_, share)| {
                    if roll < *share {
                        return true;
                    }
                    roll -= share;
                    false
                })
                .map_or("plain", |k| k.0);
            let kind = if kind == "corpus" && corpus.is_empty() { "plain" } else { kind };
            (kind, message(rng, i, kind, corpus))
        })
        .collect()
}

fn message(rng: &mut Rng, i: usize, kind: &str, corpus: &[Vec<u8>]) -> Vec<u8> {
    if kind == "corpus" {
        let raw = &corpus[(rng.next() % corpus.len() as u64) as usize];
        return varied(rng, i, raw);
    }
    let newsletter = kind == "html" || (kind == "html+text" && rng.chance(40));
    let mut out = header(rng, i, newsletter);
    let body = match kind {
        "plain" => plain_part(rng),
        "html+text" => alternative(rng, newsletter),
        "html" => leaf("text/html; charset=utf-8", "quoted-printable", &qp(&newsletter_html(rng))),
        "enriched" => enriched_part(rng),
        "nested" => nested(rng),
        "attachments" => with_attachments(rng),
        "forwarded" => forwarded(rng, i),
        "dsn" => dsn(rng, i),
        _ => charset_part(rng),
    };
    out.extend_from_slice(&body);
    out
}

/// A corpus file with its first Subject replaced, so no two copies are the same bytes.
fn varied(rng: &mut Rng, i: usize, raw: &[u8]) -> Vec<u8> {
    // Only UTF-8 files are varied: a lossy round trip would damage 8-bit ones.
    let Ok(text) = std::str::from_utf8(raw) else { return raw.to_vec() };
    let subject = format!("Subject: {} #{i}", sentence(rng, 5));
    let Some(at) = text.find("\nSubject:") else { return raw.to_vec() };
    let end = text[at + 1..].find('\n').map_or(text.len(), |e| at + 1 + e);
    let end = if text.as_bytes().get(end - 1) == Some(&b'\r') { end - 1 } else { end };
    format!("{}{subject}{}", &text[..at + 1], &text[end..]).into_bytes()
}

/// The fields a delivered message carries: Received lines, a DKIM signature, addresses.
fn header(rng: &mut Rng, i: usize, newsletter: bool) -> Vec<u8> {
    let (from_name, from) = if newsletter { PEOPLE[6] } else { *rng.pick(&PEOPLE[..6]) };
    let (to_name, to) = *rng.pick(&PEOPLE[..6]);
    let mut h = String::new();
    h.push_str(&format!("Return-Path: <{from}>\r\nDelivered-To: {to}\r\n"));
    for hop in 0..rng.range(2, 6) {
        h.push_str(&format!(
            "Received: from mx{hop}.example.net (mx{hop}.example.net [192.0.2.{}])\r\n\
             \tby mail.example.org (Postfix) with ESMTPS id 4F{:X}\r\n\
             \tfor <{to}>; Tue, 3 Dec 2024 10:{:02}:{:02} +0100 (CET)\r\n",
            rng.range(1, 254),
            rng.next() & 0xFFFF_FFFF,
            rng.range(0, 59),
            rng.range(0, 59)
        ));
    }
    let sig = base64::engine::general_purpose::STANDARD.encode(rng.binary(b"", 256));
    h.push_str(&format!(
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=mail;\r\n\
         \th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\
         \tb={}\r\n\t{}\r\n",
        &sig[..170],
        &sig[170..]
    ));
    h.push_str(&format!(
        "From: {} <{from}>\r\nTo: {} <{to}>\r\n",
        encoded_word(from_name),
        encoded_word(to_name)
    ));
    if rng.chance(30) {
        let (cc_name, cc) = *rng.pick(&PEOPLE[..6]);
        h.push_str(&format!("Cc: {} <{cc}>, team@example.org\r\n", encoded_word(cc_name)));
    }
    let subject = if rng.chance(15) {
        encoded_word(&format!("Grüße: {}", sentence(rng, 5)))
    } else {
        let words = rng.range(3, 9);
        sentence(rng, words)
    };
    h.push_str(&format!(
        "Subject: {subject}\r\nDate: Tue, 3 Dec 2024 10:{:02}:{:02} +0100\r\n\
         Message-ID: <bench.{i}.{:x}@example.org>\r\nMIME-Version: 1.0\r\n",
        rng.range(0, 59),
        rng.range(0, 59),
        rng.next()
    ));
    if newsletter {
        h.push_str(
            "List-Unsubscribe: <https://lists.example.org/unsubscribe?id=1234>\r\n\
             List-Id: Weekly news <news.lists.example.org>\r\nPrecedence: bulk\r\n",
        );
    } else if rng.chance(40) {
        h.push_str("X-Mailer: Microsoft Outlook 16.0\r\nThread-Index: AdlF2kBHc2VhcmNo\r\n");
    }
    h.into_bytes()
}

fn encoded_word(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    format!("=?utf-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(text))
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s: Vec<&str> = (0..words).map(|_| *rng.pick(WORDS)).collect();
    let first = s.first().map(|w| w[..1].to_uppercase() + &w[1..]).unwrap_or_default();
    s[0] = &first;
    s.join(" ")
}

fn paragraph(rng: &mut Rng) -> String {
    let n = rng.range(1, 5);
    (0..n)
        .map(|_| {
            let words = rng.range(6, 16);
            format!("{}.", sentence(rng, words))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text wrapped at 72 columns, CRLF, as mail programs send it.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split(' ') {
        if line > 0 && line + word.len() > 72 {
            out.push_str("\r\n");
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out.push_str("\r\n");
    out
}

/// A personal message: greeting, paragraphs, often a quoted thread below.
fn plain_text(rng: &mut Rng) -> String {
    let mut t = String::from("Hi,\r\n\r\n");
    for _ in 0..rng.range(1, 6) {
        t.push_str(&wrap(&paragraph(rng)));
        t.push_str("\r\n");
    }
    t.push_str("Best regards,\r\nCarol\r\n");
    if rng.chance(50) {
        t.push_str("\r\nOn Mon, 2 Dec 2024 at 09:12, Dave Null <dave@example.com> wrote:\r\n");
        for _ in 0..rng.range(2, 12) {
            for line in wrap(&paragraph(rng)).lines() {
                t.push_str(&format!("> {line}\r\n"));
            }
            t.push_str(">\r\n");
        }
    }
    t
}

fn plain_part(rng: &mut Rng) -> Vec<u8> {
    let text = plain_text(rng);
    if rng.chance(50) {
        leaf("text/plain; charset=us-ascii; format=flowed", "7bit", &text)
    } else {
        leaf("text/plain; charset=utf-8", "quoted-printable", &qp(&format!("Grüße — {text}")))
    }
}

/// The HTML a mail program writes for a personal message.
fn personal_html(rng: &mut Rng) -> String {
    let mut h = String::from(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
         <style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:\"Calibri\",sans-serif;}</style>\
         </head><body lang=\"EN-GB\" link=\"#0563C1\"><div class=\"WordSection1\">\r\n",
    );
    for _ in 0..rng.range(2, 8) {
        h.push_str(&format!("<p class=\"MsoNormal\">{}<o:p></o:p></p>\r\n", paragraph(rng)));
        h.push_str("<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\r\n");
    }
    if rng.chance(50) {
        h.push_str("<div style=\"border:none;border-top:solid #E1E1E1 1.0pt\"><p class=\"MsoNormal\"><b>From:</b> Dave Null<br><b>Sent:</b> Monday<br><b>Subject:</b> Plan</p></div>\r\n<blockquote>");
        for _ in 0..rng.range(2, 10) {
            h.push_str(&format!("<p>{}</p>\r\n", paragraph(rng)));
        }
        h.push_str("</blockquote>");
    }
    h.push_str("</div></body></html>\r\n");
    h
}

/// A newsletter: a table layout with inline styles, remote images, many links.
fn newsletter_html(rng: &mut Rng) -> String {
    let mut h = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Weekly news</title><style>\
         body{margin:0;padding:0;background:#f4f4f4} .btn{background:#0b5;color:#fff;padding:8px 16px}\
         @media only screen and (max-width:600px){.col{width:100%!important}}</style></head>\r\n\
         <body><table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
         style=\"background:#f4f4f4\"><tr><td align=\"center\"><table width=\"600\" \
         style=\"background:#ffffff;font-family:Arial,sans-serif\">\r\n",
    );
    for block in 0..rng.range(3, 14) {
        h.push_str(&format!(
            "<tr><td class=\"col\" style=\"padding:16px 24px\"><img src=\"https://cdn.example.org/img/{}.jpg\" \
             width=\"552\" alt=\"\" style=\"display:block\"><h2 style=\"font-size:20px;color:#222\">{}</h2>\r\n",
            rng.next() % 10_000,
            sentence(rng, 5)
        ));
        for _ in 0..rng.range(1, 3) {
            h.push_str(&format!(
                "<p style=\"font-size:14px;line-height:20px;color:#444\">{} <a href=\"https://example.org/a/{block}?utm_source=news\" \
                 style=\"color:#0563C1\">{}</a> <b>{}</b></p>\r\n",
                paragraph(rng),
                sentence(rng, 3),
                sentence(rng, 2)
            ));
        }
        if rng.chance(30) {
            h.push_str("<ul>");
            for _ in 0..rng.range(2, 5) {
                h.push_str(&format!("<li>{}</li>", sentence(rng, 6)));
            }
            h.push_str("</ul>\r\n");
        }
        h.push_str("<a class=\"btn\" href=\"https://example.org/more\">Read more</a></td></tr>\r\n");
    }
    h.push_str(
        "<tr><td style=\"font-size:11px;color:#999;padding:24px\">You receive this because you subscribed. \
         <a href=\"https://lists.example.org/unsubscribe\">Unsubscribe</a></td></tr></table></td></tr></table>\
         <img src=\"https://t.example.org/open.gif\" width=\"1\" height=\"1\"></body></html>\r\n",
    );
    h
}

fn alternative(rng: &mut Rng, newsletter: bool) -> Vec<u8> {
    let text = plain_text(rng);
    let html = if newsletter { newsletter_html(rng) } else { personal_html(rng) };
    let html_encoding = if rng.chance(30) { "base64" } else { "quoted-printable" };
    multipart(
        rng,
        "alternative",
        &[
            leaf("text/plain; charset=utf-8", "quoted-printable", &qp(&text)),
            leaf_bytes("text/html; charset=utf-8", html_encoding, html.as_bytes(), None),
        ],
    )
}

/// RFC 1896 text: bold, italic, a quote, a centred line, a colour with its parameter.
fn enriched_text(rng: &mut Rng) -> String {
    let mut t = String::from("<bold>Hello</bold> everyone,\r\n\r\n");
    for _ in 0..rng.range(2, 8) {
        t.push_str(&format!(
            "{} <italic>{}</italic> <<not a tag>\r\n{}\r\n\r\n",
            paragraph(rng),
            sentence(rng, 3),
            sentence(rng, 8)
        ));
    }
    t.push_str(&format!(
        "<center><color><param>red</param>{}</color></center>\r\n\r\n<excerpt>{}\r\n</excerpt>\r\n",
        sentence(rng, 4),
        paragraph(rng)
    ));
    t
}

fn enriched_part(rng: &mut Rng) -> Vec<u8> {
    let enriched = leaf("text/enriched; charset=us-ascii", "7bit", &enriched_text(rng));
    if rng.chance(50) {
        return enriched;
    }
    let text = leaf("text/plain; charset=us-ascii", "7bit", &plain_text(rng));
    multipart(rng, "alternative", &[text, enriched])
}

/// mixed[alternative[text, related[html with a cid: image, the image]], an attachment].
fn nested(rng: &mut Rng) -> Vec<u8> {
    let text = leaf("text/plain; charset=utf-8", "quoted-printable", &qp(&plain_text(rng)));
    let html = personal_html(rng).replace("</div></body>", "<img src=\"cid:logo@bench\"></div></body>");
    let html = leaf("text/html; charset=utf-8", "quoted-printable", &qp(&html));
    let len = rng.range(3_000, 20_000);
    let logo = rng.binary(b"\x89PNG\r\n\x1a\n", len);
    let image = leaf_bytes(
        "image/png; name=\"logo.png\"",
        "base64",
        &logo,
        Some(("inline", "logo.png", "logo@bench")),
    );
    let related = multipart(rng, "related", &[html, image]);
    let alternative = multipart(rng, "alternative", &[text, related]);
    let attachment = attachment(rng);
    multipart(rng, "mixed", &[alternative, attachment])
}

fn with_attachments(rng: &mut Rng) -> Vec<u8> {
    let body = if rng.chance(50) { plain_part(rng) } else { alternative(rng, false) };
    let mut parts = vec![body];
    for _ in 0..rng.range(1, 3) {
        parts.push(attachment(rng));
    }
    multipart(rng, "mixed", &parts)
}

/// One attachment of a common type, 5 KB to 600 KB.
fn attachment(rng: &mut Rng) -> Vec<u8> {
    let size = rng.log_range(5_000, 600_000);
    let n = rng.next();
    sized_attachment(rng, size, n)
}

/// Attachment types: magic number, MIME type, file name before its number, extension.
const FILES: &[(&[u8], &str, &str, &str)] = &[
    (b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n", "application/pdf", "report-", "pdf"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf", "Invoice ", "pdf"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg", "IMG_", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "screenshot-", "png"),
    (
        b"PK\x03\x04\x14\x00\x06\x00",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Budget ",
        "xlsx",
    ),
];

/// Attachment of type `n % 6` (the last one a CSV text part), `size` bytes decoded.
fn sized_attachment(rng: &mut Rng, size: usize, n: u64) -> Vec<u8> {
    let Some(&(magic, mime, stem, ext)) = FILES.get((n % 6) as usize) else {
        let mut csv = String::from("date,item,amount\r\n");
        while csv.len() < size {
            let (day, item, amount) = (rng.range(1, 28), sentence(rng, 2), rng.range(1, 9999));
            csv.push_str(&format!("2024-12-{day:02},{item},{amount}.{:02}\r\n", rng.range(0, 99)));
        }
        let name = format!("export-{}.csv", n % 100);
        let ct = format!("text/csv; charset=utf-8; name=\"{name}\"");
        return leaf_bytes(&ct, "7bit", csv.as_bytes(), Some(("attachment", &name, "")));
    };
    let data = rng.binary(magic, size);
    let name = format!("{stem}{:04}.{ext}", n % 1000);
    leaf_bytes(&format!("{mime}; name=\"{name}\""), "base64", &data, Some(("attachment", &name, "")))
}

fn forwarded(rng: &mut Rng, i: usize) -> Vec<u8> {
    let note =
        leaf("text/plain; charset=us-ascii", "7bit", &format!("See below.\r\n\r\n{}", wrap(&paragraph(rng))));
    let mut inner = header(rng, i + 1_000_000, false);
    let body = if rng.chance(50) { alternative(rng, false) } else { with_attachments(rng) };
    inner.extend_from_slice(&body);
    let mut part = b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n".to_vec();
    part.extend_from_slice(&inner);
    multipart(rng, "mixed", &[note, part])
}

/// A bounce as Postfix writes it: text, the delivery status, the returned header.
fn dsn(rng: &mut Rng, i: usize) -> Vec<u8> {
    let text = leaf(
        "text/plain; charset=us-ascii",
        "7bit",
        "This is the mail system at host mail.example.org.\r\n\r\nI'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n<nobody@example.com>: host mx.example.com said: 550 5.1.1 User unknown\r\n",
    );
    let mut status = String::from(
        "Reporting-MTA: dns; mail.example.org\r\nArrival-Date: Tue, 3 Dec 2024 10:00:00 +0100\r\n",
    );
    for r in 0..rng.range(1, 4) {
        status.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; nobody{r}@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
             Remote-MTA: dns; mx.example.com\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        ));
    }
    let status = leaf("message/delivery-status", "7bit", &status);
    let returned = String::from_utf8_lossy(&header(rng, i + 2_000_000, false)).into_owned();
    let returned = leaf("text/rfc822-headers", "7bit", &returned);
    multipart(rng, "report; report-type=delivery-status", &[text, status, returned])
}

fn charset_part(rng: &mut Rng) -> Vec<u8> {
    let (charset, sample, encoding) = *rng.pick(CHARSETS);
    let enc = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let mut text = String::new();
    for _ in 0..rng.range(2, 12) {
        text.push_str(sample);
        text.push_str("\r\n");
    }
    let (bytes, _, _) = enc.encode(&text);
    leaf_bytes(&format!("text/plain; charset={charset}"), encoding, &bytes, None)
}

/// The ≈ 10 MB message: an HTML body with a text alternative, and 50 attachments (PDFs,
/// images, office files, a few text parts) adding up to about 7.2 MB decoded.
pub fn big(rng: &mut Rng) -> Vec<u8> {
    let mut out = header(rng, 0, false);
    let text = (0..30).map(|_| wrap(&paragraph(rng))).collect::<Vec<_>>().join("\r\n");
    let mut html = personal_html(rng);
    while html.len() < 40_000 {
        html.push_str(&personal_html(rng));
    }
    let body = multipart(
        rng,
        "alternative",
        &[
            leaf("text/plain; charset=utf-8", "quoted-printable", &qp(&text)),
            leaf("text/html; charset=utf-8", "quoted-printable", &qp(&html)),
        ],
    );
    let weights: Vec<usize> = (0..50).map(|_| rng.log_range(20_000, 600_000)).collect();
    let total: usize = weights.iter().sum();
    let mut parts = vec![body];
    for (k, w) in weights.iter().enumerate() {
        let size = w * 7_200_000 / total;
        // Five text parts (k % 10 == 5 is a CSV), the rest PDFs, images and office files.
        let kind = if k % 10 == 5 { 5 } else { k as u64 % 5 };
        parts.push(sized_attachment(rng, size, kind + 6 * k as u64));
    }
    out.extend_from_slice(&multipart(rng, "mixed", &parts));
    out
}

fn multipart(rng: &mut Rng, subtype: &str, parts: &[Vec<u8>]) -> Vec<u8> {
    let boundary = format!("----=_Part_{:016x}", rng.next());
    let mut out = format!(
        "Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n"
    )
    .into_bytes();
    for part in parts {
        out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// A part whose body is already in its transfer encoding.
fn leaf(content_type: &str, encoding: &str, body: &str) -> Vec<u8> {
    let mut out = part_header(content_type, encoding, None);
    out.extend_from_slice(body.as_bytes());
    out
}

/// A part, its data encoded here; `disposition` is (disposition, file name, content id or "").
fn leaf_bytes(
    content_type: &str,
    encoding: &str,
    data: &[u8],
    disposition: Option<(&str, &str, &str)>,
) -> Vec<u8> {
    let mut out = part_header(content_type, encoding, disposition);
    match encoding {
        "base64" => out.extend_from_slice(base64_lines(data).as_bytes()),
        "quoted-printable" => out.extend_from_slice(qp_bytes(data).as_bytes()),
        _ => out.extend_from_slice(data),
    }
    out
}

fn part_header(content_type: &str, encoding: &str, disposition: Option<(&str, &str, &str)>) -> Vec<u8> {
    let mut out = format!("Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n");
    if let Some((disposition, name, cid)) = disposition {
        out.push_str(&format!("Content-Disposition: {disposition}; filename=\"{name}\"\r\n"));
        if !cid.is_empty() {
            out.push_str(&format!("Content-ID: <{cid}>\r\n"));
        }
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn base64_lines(data: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(b64.len() + b64.len() / 76 * 2 + 2);
    for chunk in b64.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

fn qp(text: &str) -> String {
    qp_bytes(text.as_bytes())
}

/// Quoted-printable (RFC 2045): lines kept, soft breaks at 76 columns.
fn qp_bytes(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 11 / 10);
    let mut col = 0;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b == b'\r' && data.get(i + 1) == Some(&b'\n') {
            out.push_str("\r\n");
            col = 0;
            i += 2;
            continue;
        }
        let piece = if (b == b' ' || b == b'\t') && matches!(data.get(i + 1), Some(b'\r') | None)
            || b == b'='
            || (!(32..127).contains(&b) && b != b'\t')
        {
            format!("={b:02X}")
        } else {
            (b as char).to_string()
        };
        if col + piece.len() > 75 {
            out.push_str("=\r\n");
            col = 0;
        }
        col += piece.len();
        out.push_str(&piece);
        i += 1;
    }
    out
}
