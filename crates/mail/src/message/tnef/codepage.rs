//! Windows code pages, as TNEF and RTF name them, to text.

use std::borrow::Cow;

use encoding_rs::Encoding;

/// What Outlook writes when nothing says otherwise.
pub(crate) const DEFAULT: u32 = 1252;

/// The encoding of a Windows code page, or None for one encoding_rs does not know (the DOS
/// code pages 437 and 850 among them).
pub(crate) fn encoding(cp: u32) -> Option<&'static Encoding> {
    use encoding_rs::*;
    Some(match cp {
        65001 => UTF_8,
        1200 => UTF_16LE,
        1201 => UTF_16BE,
        866 => IBM866,
        874 => WINDOWS_874,
        932 => SHIFT_JIS,
        936 | 20936 => GBK,
        949 | 51949 => EUC_KR,
        950 => BIG5,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        // 20127 (US-ASCII) and 28591 (Latin-1) are Windows-1252 in WHATWG's mapping.
        1252 | 20127 | 28591 => WINDOWS_1252,
        1253 => WINDOWS_1253,
        1254 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        10000 => MACINTOSH,
        10007 => X_MAC_CYRILLIC,
        20866 => KOI8_R,
        21866 => KOI8_U,
        28592 => ISO_8859_2,
        28593 => ISO_8859_3,
        28594 => ISO_8859_4,
        28595 => ISO_8859_5,
        28596 => ISO_8859_6,
        28597 => ISO_8859_7,
        28598 => ISO_8859_8,
        28603 => ISO_8859_13,
        28605 => ISO_8859_15,
        50220..=50222 => ISO_2022_JP,
        51932 | 20932 => EUC_JP,
        54936 => GB18030,
        _ => return None,
    })
}

/// The code page of an RTF font's `\fcharsetN`.
pub(crate) fn from_charset(charset: i32) -> Option<u32> {
    Some(match charset {
        0 => 1252,
        77 => 10000,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        _ => return None,
    })
}

/// Text from bytes in code page `cp`; an unknown code page reads as Windows-1252 and says so
/// in the flag.
pub(crate) fn decode(bytes: &[u8], cp: u32) -> (Cow<'_, str>, bool) {
    match encoding(cp) {
        Some(encoding) => (encoding.decode_without_bom_handling(bytes).0, true),
        None => (encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_pages_decode_their_bytes() {
        assert_eq!(decode(b"\xe4\xf6\xfc \x80", 1252), ("äöü €".into(), true));
        assert_eq!(decode(b"\xcf\xf0\xe8\xe2\xe5\xf2", 1251).0, "Привет");
        assert_eq!(decode(b"\x93\xfa\x96\x7b", 932).0, "日本");
        assert_eq!(decode(b"\xe4", 437), ("ä".into(), false));
        assert_eq!(from_charset(204), Some(1251));
    }
}
