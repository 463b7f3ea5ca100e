//! Images a body shows — inline `cid:` parts of the message, and remote ones once the person
//! allowed them — decoded to pixels here, within the "Messages" limits of `crate::limits`, so
//! the GUI never hands untrusted image files to a decoder without bounds. PNG, JPEG, GIF
//! (its first frame), WebP and BMP; SVG is a document, not an image, and is never shown.

use std::io::Cursor;

use image::{ImageReader, Limits};

use crate::limits::{MAX_IMAGE_DECODE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, MAX_IMAGE_WIDTH_SHOWN};

/// A decoded image: `width × height` pixels, RGBA, row by row.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pixels({}×{})", self.width, self.height)
    }
}

/// Why an image is not shown, in words for the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not an image format the reader shows")]
    Format,
    #[error("too large to show ({0})")]
    TooLarge(String),
    #[error("the image data is broken")]
    Broken,
}

/// Decodes the images of one message, counting their pixels against [`MAX_IMAGE_PIXELS`].
#[derive(Debug)]
pub struct Decoder {
    pixels_left: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder { pixels_left: MAX_IMAGE_PIXELS }
    }
}

impl Decoder {
    /// Decodes one image file. Wider than [`MAX_IMAGE_WIDTH_SHOWN`] it is scaled down.
    pub fn decode(&mut self, bytes: &[u8]) -> Result<Pixels, Refused> {
        let mut reader =
            ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| Refused::Format)?;
        if reader.format().is_none() {
            return Err(Refused::Format);
        }
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_IMAGE_SIDE);
        limits.max_image_height = Some(MAX_IMAGE_SIDE);
        limits.max_alloc = Some(MAX_IMAGE_DECODE_BYTES);
        reader.limits(limits);
        let image = reader.decode().map_err(|e| match e {
            image::ImageError::Limits(_) => Refused::TooLarge("over the size the reader decodes".into()),
            image::ImageError::Unsupported(_) => Refused::Format,
            _ => Refused::Broken,
        })?;
        let image = if image.width() > MAX_IMAGE_WIDTH_SHOWN {
            image.thumbnail(MAX_IMAGE_WIDTH_SHOWN, MAX_IMAGE_SIDE)
        } else {
            image
        };
        let (width, height) = (image.width(), image.height());
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.pixels_left {
            return Err(Refused::TooLarge(format!(
                "{width}×{height}: the message's images together are over the reader's limit"
            )));
        }
        self.pixels_left -= pixels;
        Ok(Pixels { width, height, rgba: image.into_rgba8().into_raw() })
    }
}

/// The content id a `cid:` source names (RFC 2392: percent-encoded, without angle
/// brackets), for comparing with [`super::Attachment::content_id`].
pub fn cid(src: &str) -> Option<String> {
    let rest = src.trim();
    let rest = rest.get(..4).filter(|s| s.eq_ignore_ascii_case("cid:")).map(|_| &rest[4..])?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    let id = String::from_utf8_lossy(&out);
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    (!id.is_empty()).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbaImage::from_pixel(width, height, image::Rgba([200, 10, 10, 255]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// The CRC of a PNG chunk (its type and data).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn decodes_pngs_and_scales_wide_ones_down() {
        let mut decoder = Decoder::default();
        let small = decoder.decode(&png(3, 2)).unwrap();
        assert_eq!((small.width, small.height, small.rgba.len()), (3, 2, 24));
        assert_eq!(&small.rgba[..4], &[200, 10, 10, 255]);
        let wide = decoder.decode(&png(4_096, 64)).unwrap();
        assert_eq!((wide.width, wide.height), (2_048, 32));
    }

    #[test]
    fn refuses_what_is_not_an_image_or_is_too_large() {
        let mut decoder = Decoder::default();
        assert_eq!(decoder.decode(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), Err(Refused::Format));
        assert_eq!(decoder.decode(b"GIF89a\x01"), Err(Refused::Broken));
        let mut broken = png(8, 8);
        broken.truncate(60);
        assert_eq!(decoder.decode(&broken), Err(Refused::Broken));
        // A header announcing 100,000 × 100,000 pixels is refused before anything is decoded.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(decoder.decode(&bomb), Err(Refused::TooLarge(_))), "{:?}", decoder.decode(&bomb));
    }

    #[test]
    fn the_pixels_of_one_message_are_bounded_together() {
        let mut decoder = Decoder { pixels_left: 100 };
        assert!(decoder.decode(&png(8, 8)).is_ok());
        assert!(matches!(decoder.decode(&png(8, 8)), Err(Refused::TooLarge(_))));
        assert!(decoder.decode(&png(6, 6)).is_ok(), "what is left still serves a smaller one");
    }

    #[test]
    fn cid_sources_name_content_ids() {
        assert_eq!(cid("cid:part1.abc@example.test").as_deref(), Some("part1.abc@example.test"));
        assert_eq!(cid("CID:%3Cimg%201%3E").as_deref(), Some("img 1"));
        assert_eq!(cid("https://example.test/x.png"), None);
        assert_eq!(cid("cid:"), None);
        assert_eq!(cid("cid:%zz"), Some("%zz".into()));
    }
}
