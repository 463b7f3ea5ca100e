//! RTF as Outlook stores message bodies: compressed (MS-OXRTFCP, the `compressed-rtf` crate),
//! often wrapping the original HTML or plain text (MS-OXRTFEX), which we take back out.
//!
//! De-encapsulation: a `\fromhtml1` in the header says the HTML's markup is in
//! `{\*\htmltagN …}` groups and its text between them, except runs between `\htmlrtf` and
//! `\htmlrtf0`, which only the RTF rendering needs. `\fromtext` says all visible text is the
//! original text. `\par` and `\line` are line breaks, `\tab` a tab, `\'hh` a byte in the code
//! page of the current font (`\fcharsetN` in the font table) or of the document
//! (`\ansicpgN`), `\uN` a Unicode character followed by `\ucN` fallback characters to skip.
//! Work is linear in the input; the output is at most a few times its size.

use std::collections::HashMap;

use super::tnef::codepage;

/// Compressed RTF larger than this is not decompressed (its output could be 8 times larger).
pub const MAX_COMPRESSED: usize = 16 * 1024 * 1024;

/// Deeper RTF groups than this share the state of the deepest one.
const MAX_GROUPS: usize = 512;

/// Fonts remembered from the font table.
const MAX_FONTS: usize = 4096;

/// Decompresses a PR_RTF_COMPRESSED value: the RTF's bytes, or why not, as a sentence.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, String> {
    const COMPRESSED: u32 = 0x7546_5A4C; // "LZFu"
    const UNCOMPRESSED: u32 = 0x414C_454D; // "MELA"
    let word = |at: usize| data.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let (Some(size), Some(raw_size), Some(kind)) = (word(0), word(4), word(8)) else {
        return Err("the compressed RTF body is too short to have a header".into());
    };
    // The size field counts what follows it; writers may pad the value after that.
    let whole = usize::try_from(size).ok().and_then(|n| n.checked_add(4)).and_then(|n| data.get(..n));
    let Some(data) = whole.filter(|d| d.len() >= 16) else {
        return Err(format!(
            "the compressed RTF body says it has {size} bytes, but {} are there",
            data.len().saturating_sub(4)
        ));
    };
    if data.len() > MAX_COMPRESSED {
        return Err(format!(
            "the compressed RTF body is larger than {} MiB and was not decompressed",
            MAX_COMPRESSED >> 20
        ));
    }
    // One control byte and eight 2-byte references give at most 8 × 17 bytes: a larger size
    // is a lie (and would be allocated up front).
    let raw_size = usize::try_from(raw_size).unwrap_or(usize::MAX);
    if kind == COMPRESSED && raw_size > data.len().saturating_mul(8).saturating_add(64) {
        return Err(format!("the compressed RTF body claims {raw_size} bytes, more than it can hold"));
    }
    match kind {
        UNCOMPRESSED => Ok(data[16..].iter().copied().take(raw_size).collect()),
        COMPRESSED => match compressed_rtf::decompress_rtf(data) {
            // The crate hands back each byte as the char of the same value.
            Ok(text) => Ok(text.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect()),
            Err(e) => Err(format!("cannot decompress the RTF body: {e}")),
        },
        other => Err(format!("the RTF body is compressed in an unknown way (0x{other:08X})")),
    }
}

/// What an RTF document wraps, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encapsulated {
    Html(String),
    Text(String),
}

/// The HTML or plain text an RTF document wraps (MS-OXRTFEX), or None for RTF that is only RTF.
pub fn encapsulated(rtf: &[u8]) -> Option<Encapsulated> {
    match origin(rtf)? {
        Mode::Html => Some(Encapsulated::Html(extract(rtf, Mode::Html))),
        Mode::Text => Some(Encapsulated::Text(extract(rtf, Mode::Text))),
    }
}

/// The visible text of any RTF document, for showing RTF that wraps nothing.
pub fn to_text(rtf: &[u8]) -> String {
    extract(rtf, Mode::Text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Html,
    Text,
}

/// `\fromhtml1` or `\fromtext` in the header: among the top-level words before any text.
fn origin(rtf: &[u8]) -> Option<Mode> {
    let mut depth = 0usize;
    for token in Tokens::new(rtf).take(200) {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(b"fromhtml", Some(1)) if depth == 1 => return Some(Mode::Html),
            Token::Word(b"fromtext", _) if depth == 1 => return Some(Mode::Text),
            Token::Word(b"htmltag", _) | Token::Word(b"pard", _) => return None,
            Token::Text(_) | Token::Hex(_) if depth == 1 => return None,
            _ => {}
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Body,
    HtmlTag,
    Fonts,
    Skip,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Dest,
    htmlrtf: bool,
    /// The code page of the current font, if it names one.
    font_cp: Option<u32>,
    uc: u32,
}

struct Out {
    text: String,
    bytes: Vec<u8>,
    cp: u32,
    high_surrogate: Option<u16>,
}

impl Out {
    fn byte(&mut self, b: u8, cp: u32) {
        if cp != self.cp {
            self.flush();
            self.cp = cp;
        }
        self.bytes.push(b);
    }

    fn flush(&mut self) {
        if !self.bytes.is_empty() {
            self.text.push_str(&codepage::decode(&self.bytes, self.cp).0);
            self.bytes.clear();
        }
    }

    fn str(&mut self, s: &str) {
        self.flush();
        self.text.push_str(s);
    }

    fn unicode(&mut self, n: i32) {
        self.flush();
        let unit = n as u16; // \uN writes 16-bit units as signed numbers
        match (self.high_surrogate.take(), unit) {
            (None, 0xD800..=0xDBFF) => self.high_surrogate = Some(unit),
            (Some(high), 0xDC00..=0xDFFF) => self.text.push_str(&String::from_utf16_lossy(&[high, unit])),
            (_, unit) => self.text.push(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}')),
        }
    }
}

fn extract(rtf: &[u8], mode: Mode) -> String {
    let mut fonts: HashMap<i32, u32> = HashMap::new();
    let mut default_cp = codepage::DEFAULT;
    let mut stack: Vec<Group> = Vec::new();
    let mut overflow = 0usize;
    let mut group = Group { dest: Dest::Body, htmlrtf: false, font_cp: None, uc: 1 };
    let mut out = Out { text: String::new(), bytes: Vec::new(), cp: default_cp, high_surrogate: None };
    let mut group_start = false; // just after `{`
    let mut starred = false; // just after `{\*`
    let mut font_def: Option<i32> = None; // the font being defined in the font table
    let mut skip_fallback = 0u32;
    for token in Tokens::new(rtf) {
        let first = std::mem::take(&mut group_start);
        let star = std::mem::take(&mut starred);
        if let Token::Open | Token::Close = token {
            skip_fallback = 0;
        }
        let visible = match group.dest {
            Dest::Body => mode == Mode::Text || !group.htmlrtf,
            // MS-OXRTFEX: nothing inside an \htmlrtf run is copied, HTML tags included.
            Dest::HtmlTag => !group.htmlrtf,
            Dest::Fonts | Dest::Skip => false,
        };
        let cp = match group.dest {
            Dest::Body => group.font_cp,
            _ => None,
        }
        .unwrap_or(default_cp);
        match token {
            Token::Open => {
                if stack.len() < MAX_GROUPS {
                    stack.push(group);
                } else {
                    overflow += 1;
                }
                group_start = true;
            }
            Token::Close => {
                if overflow > 0 {
                    overflow -= 1;
                } else if let Some(outer) = stack.pop() {
                    group = outer;
                }
            }
            Token::Symbol(b'*') if first => starred = true,
            Token::Word(word, _) if star => {
                group.dest = match (mode, word) {
                    (Mode::Html, b"htmltag") if group.dest != Dest::Skip => Dest::HtmlTag,
                    _ => Dest::Skip,
                };
            }
            Token::Word(word, _) if first && is_skipped(word) => {
                group.dest = if word == b"fonttbl" { Dest::Fonts } else { Dest::Skip };
            }
            Token::Word(word, param) => match (word, param) {
                (b"ansicpg", Some(n)) => default_cp = u32::try_from(n).unwrap_or(default_cp),
                (b"f", Some(n)) if group.dest == Dest::Fonts => font_def = Some(n),
                (b"f", Some(n)) => group.font_cp = fonts.get(&n).copied(),
                (b"fcharset", Some(n)) if group.dest == Dest::Fonts => {
                    if let (Some(f), Some(cp)) = (font_def, codepage::from_charset(n))
                        && (fonts.len() < MAX_FONTS || fonts.contains_key(&f))
                    {
                        fonts.insert(f, cp);
                    }
                }
                (b"htmlrtf", p) => group.htmlrtf = p != Some(0),
                (b"uc", Some(n)) => group.uc = u32::try_from(n).unwrap_or(1).min(8),
                (b"u", Some(n)) if visible => {
                    out.unicode(n);
                    skip_fallback = group.uc;
                }
                _ if visible => {
                    if let Some(s) = word_text(word, mode, group.dest) {
                        out.str(s);
                    }
                }
                _ => {}
            },
            Token::Symbol(sym) if visible => match sym {
                b'{' | b'}' | b'\\' => text_byte(&mut out, sym, cp, &mut skip_fallback),
                b'~' => out.str("\u{A0}"),
                b'_' => out.str("\u{2011}"),
                b'\r' | b'\n' => out.str("\r\n"),
                _ => {}
            },
            Token::Hex(b) | Token::Text(b) if visible => text_byte(&mut out, b, cp, &mut skip_fallback),
            _ => {}
        }
    }
    out.flush();
    out.text
}

fn text_byte(out: &mut Out, b: u8, cp: u32, skip_fallback: &mut u32) {
    if *skip_fallback > 0 {
        *skip_fallback -= 1;
    } else {
        out.byte(b, cp);
    }
}

/// Destinations whose text is not part of the document.
fn is_skipped(word: &[u8]) -> bool {
    matches!(
        word,
        b"fonttbl"
            | b"colortbl"
            | b"stylesheet"
            | b"info"
            | b"pict"
            | b"object"
            | b"fldinst"
            | b"listtable"
            | b"listoverridetable"
            | b"revtbl"
            | b"rsidtbl"
            | b"filetbl"
            | b"themedata"
            | b"colorschememapping"
            | b"latentstyles"
            | b"datastore"
            | b"xmlnstbl"
            | b"header"
            | b"headerl"
            | b"headerr"
            | b"headerf"
            | b"footer"
            | b"footerl"
            | b"footerr"
            | b"footerf"
    )
}

/// Control words that stand for text.
fn word_text(word: &[u8], mode: Mode, dest: Dest) -> Option<&'static str> {
    Some(match word {
        b"par" | b"line" => "\r\n",
        b"tab" => "\t",
        // Inside HTML tags only line breaks and tabs are text; the rest is RTF rendering.
        _ if dest == Dest::HtmlTag => return None,
        b"lquote" => "\u{2018}",
        b"rquote" => "\u{2019}",
        b"ldblquote" => "\u{201C}",
        b"rdblquote" => "\u{201D}",
        b"bullet" => "\u{2022}",
        b"endash" => "\u{2013}",
        b"emdash" => "\u{2014}",
        b"emspace" | b"enspace" | b"qmspace" => " ",
        b"cell" if mode == Mode::Text => "\t",
        b"row" if mode == Mode::Text => "\r\n",
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    /// A control word with its numeric parameter.
    Word(&'a [u8], Option<i32>),
    /// A control symbol: `\` and one non-letter.
    Symbol(u8),
    /// `\'hh`
    Hex(u8),
    Text(u8),
}

struct Tokens<'a> {
    rtf: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(rtf: &'a [u8]) -> Self {
        Tokens { rtf, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.rtf.get(self.pos).copied()
    }

    /// The token after a backslash; None for one that stands for nothing (`\bin` and its
    /// data, a broken `\'` escape).
    fn control(&mut self) -> Option<Token<'a>> {
        let Some(c) = self.peek() else {
            return Some(Token::Symbol(b'\\'));
        };
        if !c.is_ascii_alphabetic() {
            self.pos += 1;
            if c == b'\'' {
                let hex = self.rtf.get(self.pos..self.pos + 2).and_then(|h| std::str::from_utf8(h).ok());
                if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    self.pos += 2;
                    return Some(Token::Hex(b));
                }
                return None;
            }
            return Some(Token::Symbol(c));
        }
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let word = &self.rtf[start..self.pos];
        let negative =
            self.peek() == Some(b'-') && self.rtf.get(self.pos + 1).is_some_and(|c| c.is_ascii_digit());
        if negative {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let param = (self.pos > digits).then(|| {
            let n = self.rtf[digits..self.pos]
                .iter()
                .fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(i64::from(u32::MAX)));
            let n = if negative { -n } else { n };
            n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
        });
        if self.peek() == Some(b' ') {
            self.pos += 1;
        }
        if word == b"bin" {
            // Binary data: skipped whole, whatever it holds.
            let n = usize::try_from(param.unwrap_or(0)).unwrap_or(0);
            self.pos = self.pos.saturating_add(n).min(self.rtf.len());
            return None;
        }
        Some(Token::Word(word, param))
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let c = self.peek()?;
            self.pos += 1;
            match c {
                b'{' => return Some(Token::Open),
                b'}' => return Some(Token::Close),
                b'\\' => {
                    if let Some(token) = self.control() {
                        return Some(token);
                    }
                }
                // Line ends in RTF source are not text.
                b'\r' | b'\n' | 0 => {}
                c => return Some(Token::Text(c)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn html(rtf: &str) -> String {
        match encapsulated(rtf.as_bytes()) {
            Some(Encapsulated::Html(html)) => html,
            other => panic!("not HTML: {other:?}"),
        }
    }

    #[test]
    fn html_tags_are_kept_and_htmlrtf_runs_dropped() {
        let rtf = r"{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl{\f0\fswiss Arial;}}
{\*\htmltag64}\uc1\pard\plain\deftab360 \f0\fs24
{\*\htmltag <html><head>\par <style>p \{margin:0\}</style>\par\tab </head><body>}
{\htmlrtf \f1 \htmlrtf0 Bold: {\*\htmltag <b>}{\htmlrtf \b \htmlrtf0 yes{\*\htmltag </b>}}\htmlrtf\par\htmlrtf0}
{\*\htmltag84 &nbsp;}\htmlrtf \'a0\htmlrtf0 {\*\htmltag </body></html>}}";
        assert_eq!(
            html(rtf),
            "<html><head>\r\n<style>p {margin:0}</style>\r\n\t</head><body>Bold: <b>yes</b>&nbsp;</body></html>"
        );
    }

    #[test]
    fn escapes_use_the_code_page_of_the_font_or_the_document() {
        // Document in 1251; font 1 is Greek (\fcharset161); HTML tags use the document's page.
        let rtf = r"{\rtf1\ansi\ansicpg1251\fromhtml1 {\fonttbl{\f0\fswiss\fcharset204 Arial;}{\f1\fcharset161 Arial;}}
{\*\htmltag <p title='\'cf'>}\f0 \'cf\'f0\'e8 {\f1 \'e1} \u8364?\u-10179?\u-8694?{\*\htmltag </p>}}";
        assert_eq!(html(rtf), "<p title='П'>При α €😊</p>");
    }

    #[test]
    fn text_wrapped_as_rtf_comes_out_as_text() {
        let rtf = r"{\rtf1\ansi\ansicpg1252\fromtext \deff0{\fonttbl{\f0\fswiss Arial;}}
{\colortbl;\red0\green0\blue0;}\pard\f0 Hi \ldblquote you\rdblquote ,\par caf\'e9\tab end\line}";
        assert_eq!(
            encapsulated(rtf.as_bytes()),
            Some(Encapsulated::Text("Hi “you”,\r\ncafé\tend\r\n".into()))
        );
    }

    #[test]
    fn plain_rtf_wraps_nothing_and_still_has_its_text() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}{\*\generator Riched20;}\pard Hello {\b world}\par
{\pict\wmetafile8 0123abcd}{\field{\*\fldinst HYPERLINK x}{\fldrslt link}}\bin4 {}\}x}";
        assert_eq!(encapsulated(rtf), None);
        assert_eq!(to_text(rtf), "Hello world\r\nlinkx");
    }

    #[test]
    fn fromhtml_counts_only_in_the_header() {
        assert_eq!(encapsulated(br"{\rtf1\ansi Text first \fromhtml1 {\*\htmltag <p>}}"), None);
        assert_eq!(encapsulated(br"{\rtf1\ansi\fromhtml0 x}"), None);
    }

    #[test]
    fn hostile_rtf_is_linear_and_never_panics() {
        let deep = format!(r"{{\rtf1\fromhtml1 {}x{}}}", "{".repeat(100_000), "}".repeat(100_000));
        assert_eq!(html(&deep), "x");
        let many_bins = r"{\rtf1\fromtext ".to_string() + &r"\bin0".repeat(100_000) + "ok}";
        assert_eq!(encapsulated(many_bins.as_bytes()), Some(Encapsulated::Text("ok".into())));
        for rtf in [
            &br"\"[..],
            br"{\'",
            br"{\'zz",
            br"{\u",
            br"\u-",
            br"\bin99999999999999999999 x",
            br"\uc999999999 \u65 abc",
        ] {
            let _ = to_text(rtf);
            let _ = encapsulated(rtf);
        }
    }

    #[test]
    fn a_large_font_table_costs_nothing_per_character() {
        let mut rtf = String::from(r"{\rtf1\ansi\fromtext {\fonttbl");
        for f in 0..5000 {
            rtf.push_str(&format!(r"{{\f{f}\fcharset204 A;}}"));
        }
        rtf.push('}');
        rtf.push_str(&r"\f3999 \'e0".repeat(300_000));
        rtf.push('}');
        let start = std::time::Instant::now();
        let Some(Encapsulated::Text(text)) = encapsulated(rtf.as_bytes()) else { panic!("not text") };
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "{:?}", start.elapsed());
        assert_eq!(text.chars().count(), 300_000);
        assert!(text.chars().all(|c| c == 'а')); // Cyrillic: font 3999 is in code page 1251
    }

    #[test]
    fn decompress_reads_both_forms_and_refuses_lies() {
        let rtf = r"{\rtf1\ansi\ansicpg1252\pard hello world}";
        let compressed = compressed_rtf::compress_rtf(rtf).unwrap();
        assert_eq!(decompress(&compressed).unwrap(), rtf.as_bytes());
        // Padding after the value, as TNEF may add, is ignored.
        assert_eq!(decompress(&[&compressed[..], &[0, 0, 0]].concat()).unwrap(), rtf.as_bytes());
        let stored = compressed_rtf::encode_rtf(rtf).unwrap();
        assert_eq!(decompress(&stored).unwrap(), rtf.as_bytes());

        assert!(decompress(b"short").unwrap_err().contains("too short"));
        let mut lie = compressed.clone();
        lie[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decompress(&lie).unwrap_err().contains("says it has 4294967295 bytes"));
        let mut lie = compressed.clone();
        lie[4..8].copy_from_slice(&0x7000_0000u32.to_le_bytes());
        assert!(decompress(&lie).unwrap_err().contains("more than it can hold"));
        let mut lie = stored.clone();
        lie[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decompress(&lie).unwrap(), rtf.as_bytes());
        let mut tiny = compressed[..16].to_vec();
        tiny[0..4].copy_from_slice(&4u32.to_le_bytes());
        assert!(decompress(&tiny).is_err());
    }
}
