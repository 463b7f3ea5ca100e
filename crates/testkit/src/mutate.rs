//! Seeded mutations of hostile input for the tests that must never panic (the TNEF decoder,
//! the reader): the same seed gives the same cases, so a failure can be replayed.

pub use crate::kill::Rng;

/// One to four byte-level changes: a flipped bit, a telling byte, a large length value,
/// random bytes put in, a run taken out or copied elsewhere, the end cut off.
pub fn bytes(data: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        if len == 0 {
            data.push(rng.draw() as u8);
            continue;
        }
        let at = rng.pos(len);
        match rng.below(7) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x02][rng.below(6)],
            2 => {
                let n = [0, 1, 4, 16, 0x7FFF_FFFF, 0x8000_0000, u32::MAX, len as u32][rng.below(8)];
                for (i, b) in n.to_le_bytes().into_iter().enumerate() {
                    if let Some(slot) = data.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
            3 => {
                let bytes: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.draw() as u8).collect();
                data.splice(at..at, bytes);
            }
            4 => {
                let end = (at + 1 + rng.below(64)).min(len);
                data.drain(at..end);
            }
            5 => {
                let end = (at + 1 + rng.below(256)).min(len);
                let chunk = data[at..end].to_vec();
                let to = rng.below(len);
                data.splice(to..to, chunk);
            }
            _ => data.truncate(at),
        }
    }
}

/// Lines a mail parser may meet at the wrong place.
const MIME_LINES: &[&str] = &[
    "Content-Type: multipart/mixed; boundary=\"x\"",
    "Content-Type: message/rfc822",
    "Content-Type: text/enriched",
    "Content-Type: application/ms-tnef; name=winmail.dat",
    "Content-Type: text/plain; charset=iso-2022-jp",
    "Content-Transfer-Encoding: base64",
    "Content-Transfer-Encoding: quoted-printable",
    "Content-Disposition: attachment; filename*0*=utf-8''%E2%80%AE; filename*1=x",
    "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= =?x?Q?=FF?=",
    "--x",
    "--x--",
    "",
    "=",
    "<bold><excerpt><<",
];

/// One to four line-level changes to a message: a line taken out, repeated, moved, or a
/// MIME line put in where it does not belong; or a byte-level change.
pub fn mime(data: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.below(4) {
        let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        let n = lines.len();
        let at = rng.below(n);
        match rng.below(5) {
            0 => {
                lines.remove(at);
            }
            1 => {
                let line = lines[at].clone();
                lines.insert(at, line);
            }
            2 => {
                let line = lines.remove(at);
                lines.insert(rng.below(n.saturating_sub(1) + 1).min(lines.len()), line);
            }
            3 => {
                let line = MIME_LINES[rng.below(MIME_LINES.len())].as_bytes().to_vec();
                lines.insert(at, [line, b"\r".to_vec()].concat());
            }
            _ => {
                bytes(data, rng);
                continue;
            }
        }
        *data = lines.join(&b'\n');
    }
}
