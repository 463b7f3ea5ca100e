//! What the core accepts from a server or a message, in one place. Whatever a server sends,
//! memory, disk and time stay within these limits; past one, the connection ends with an
//! error that says which limit it was (or, for a message over the size limit, the message is
//! skipped and listed with its size, and the rest of the pass goes on). The README's
//! "Limits" section is written from this file: keep the two in step.

use std::time::Duration;

/// Longest line of a greeting, status or listing line, capability or command answer (IMAP
/// lines outside literals included). RFC 1939 allows POP3 512 bytes and RFC 5321 SMTP
/// 512; IMAP has no limit, but no sane line (a capability list, a FETCH answer's flags)
/// comes near this.
pub const MAX_LINE: usize = 64 * 1024;

/// Longest line of an IMAP answer outside its literals: a SEARCH or an ESEARCH answer
/// lists UIDs on one line (about 7 bytes each: a million UIDs fit).
pub const MAX_IMAP_LINE: usize = 8 * 1024 * 1024;

/// Longest multi-line reply that is not message data: an SMTP reply (EHLO's list of
/// extensions), POP3 CAPA, the IMAP pre-login answers. A few KiB in practice.
pub const MAX_REPLY_BYTES: usize = 256 * 1024;

/// Longest POP3 listing, LIST and UIDL each, as text: 15 to 40 bytes a message, so at
/// least 200,000 messages.
pub const MAX_LISTING_BYTES: usize = 8 * 1024 * 1024;

/// The largest message downloaded (a POP3 RETR, an IMAP literal). Exchange Online's own
/// maximum is 150 MB. A POP3 message over it (by its LIST size, or by the bytes it really
/// sends) is skipped and listed with its size; the rest of the pass goes on.
pub const MAX_MESSAGE: u64 = 160 * 1024 * 1024;

/// A command's answer may take `2 × the no-progress timeout + bytes / MIN_ANSWER_RATE`:
/// a server that trickles (one line every few seconds, forever) ends up past it.
pub const MIN_ANSWER_RATE: u64 = 512;

/// And never longer than this, however fast its bytes come (unless the no-progress timeout
/// itself is longer, as while idling): the largest message still comes through a link of
/// 23 KB/s.
pub const MAX_ANSWER_TIME: Duration = Duration::from_secs(2 * 60 * 60);

/// The most an IMAP server may send in answer to one command (all its responses, solicited
/// or not, literals included): one message at the limit, and room for the rest of a
/// response or a chunk of headers. async-imap holds a response (and up to a hundred
/// unsolicited ones) in memory until it is parsed and taken.
pub const MAX_IMAP_ANSWER: u64 = MAX_MESSAGE + 32 * 1024 * 1024;

/// One send/receive pass of an account, from connecting to logging out.
pub const MAX_PASS_TIME: Duration = Duration::from_secs(2 * 60 * 60);

/// Keeping mail offline: the most one `UID FETCH` of whole messages asks for, by the sizes
/// the header sync stored (a larger message goes alone). Two such chunks are in memory at
/// most (one being written while the next downloads), and a new pass waits for at most one
/// chunk before it has the connection.
pub const OFFLINE_CHUNK_BYTES: u64 = 4 * 1024 * 1024;

/// And at most this many messages in one such fetch (small messages: the UID set and the
/// answer stay short).
pub const OFFLINE_CHUNK_MESSAGES: usize = 500;

/// What a POP3 pass keeps in memory at most: downloaded messages waiting for their commit
/// (twice: one batch commits while the next fills). Past it, a message goes to a spool file.
pub const POP3_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// A message larger than this streams to a spool file instead of memory while it downloads.
pub const SPOOL_OVER: usize = 1024 * 1024;

// Messages: what showing one message may cost (the reader, `tidings render`). Past a
// limit the message still shows, with a note saying what was left out.

/// Deepest MIME nesting followed, multiparts and forwarded messages together. A part below
/// it is not shown.
pub const MAX_MIME_DEPTH: usize = 16;

/// Forwarded messages (`message/rfc822`) nested in one another that are parsed at all.
/// mail-parser builds them as a tree whose depth costs stack; beyond this many, the rest
/// are read as plain attachments.
pub const MAX_NESTED_MESSAGES: usize = 64;

/// Most MIME parts looked at in one message.
pub const MAX_PARTS: usize = 2_000;

/// Most attachments listed for one message (forwarded messages count their own).
pub const MAX_ATTACHMENTS: usize = 500;

/// Most forwarded messages shown inline in one message.
pub const MAX_FORWARDED: usize = 50;

/// Longest body shown, in characters: a 5 MB log pasted into a mail would otherwise cost
/// seconds of layout.
pub const MAX_BODY_CHARS: usize = 400_000;

/// Longest HTML or enriched source turned into rich text; the rest is cut before rendering.
pub const MAX_RICH_SOURCE: usize = 4 * 1024 * 1024;

/// Longest header text shown (a subject, a name, a message id), in characters.
pub const MAX_HEADER_CHARS: usize = 2_000;

/// Most addresses shown per field (To, Cc…).
pub const MAX_ADDRESSES: usize = 1_000;

/// Largest calendar part kept as text.
pub const MAX_CALENDAR_BYTES: usize = 1024 * 1024;

// Invitations (`calendar`): what reading one calendar part may cost. Past a limit the part
// shows as an error ("cannot read the invitation: …") or with the rest left out.

/// Components (events, time zones, their rules, alarms…) in one calendar part: an
/// invitation has a handful; a part with more is refused before it is looked at further.
pub const MAX_CALENDAR_COMPONENTS: usize = 1_000;

/// Attendees listed for one event; the rest are counted, not listed.
pub const MAX_CALENDAR_ATTENDEES: usize = 500;

/// Longest description (and comment) shown, in characters.
pub const MAX_CALENDAR_DESCRIPTION: usize = 8_000;

/// Most rules (STANDARD, DAYLIGHT) of one VTIMEZONE looked at when its name is not a known
/// zone and the rules themselves give the offset. Recurrences are described in words, never
/// expanded, so they need no limit of their own.
pub const MAX_ZONE_RULES: usize = 64;

/// Most recipients listed from a delivery report.
pub const MAX_REPORT_RECIPIENTS: usize = 1_000;

/// Widest and tallest image decoded (in the file); larger ones show as their alt text.
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// Memory one image's decoder may use (a 16-megapixel photo needs 64 MiB).
pub const MAX_IMAGE_DECODE_BYTES: u64 = 128 * 1024 * 1024;

/// Widest image kept after decoding: wider ones are scaled down (no reader pane is wider),
/// so a shown image holds at most this × [`MAX_IMAGE_SIDE`] pixels.
pub const MAX_IMAGE_WIDTH_SHOWN: u32 = 2_048;

/// Pixels kept for all the images of one message together (4 bytes each: 256 MiB); past it
/// the rest show as their alt text, with a note.
pub const MAX_IMAGE_PIXELS: u64 = 64 * 1024 * 1024;

// Remote content: the images a message refers to, fetched only when the person asks
// (`message::remote`). Past a limit the image is not shown and says why.

/// Largest remote image fetched.
pub const MAX_REMOTE_IMAGE: usize = 5 * 1024 * 1024;

/// Most remote images fetched for one message; the rest are listed as not fetched.
pub const MAX_REMOTE_IMAGES: usize = 64;

/// All the remote images of one message together.
pub const MAX_REMOTE_BYTES: usize = 32 * 1024 * 1024;

/// One remote image, its redirects included.
pub const REMOTE_IMAGE_TIME: Duration = Duration::from_secs(15);

/// All the remote images of one message: those not started by then are not fetched.
pub const REMOTE_BATCH_TIME: Duration = Duration::from_secs(60);

/// Remote images fetched at the same time.
pub const REMOTE_PARALLEL: usize = 4;

/// Redirects followed for one remote image.
pub const MAX_REMOTE_REDIRECTS: usize = 3;

// Search (`search`, the store's `message_search` index). Past a limit the search still
// runs: the text of a message beyond it is not searchable, a query too long is refused with
// an error that says so.

/// Text of one message indexed for search (its body as the reader shows it, then its
/// attachment names), in bytes: the start of a long message is what people search for, and
/// a 5 MB log pasted into a mail would otherwise weigh on every search.
pub const MAX_INDEXED_TEXT: usize = 64 * 1024;

/// Bodies indexed in one transaction when a store catches up (after the update that added
/// search, or a body written without its text): each chunk is short, so other writers wait
/// little.
pub const INDEX_CHUNK: usize = 200;

/// Messages threaded in one transaction when a store catches up (after the update that
/// added conversations): short chunks, so other writers wait little.
pub const THREAD_CHUNK: usize = 1_000;

/// Longest Message-ID threading keeps, in bytes; a longer one is ignored (RFC 5322 lines
/// stop at 998).
pub const MAX_MESSAGE_ID: usize = 998;

/// Parents followed up a thread when checking a new link for a loop; a deeper chain is
/// treated as one and the link is not made.
pub const MAX_THREAD_DEPTH: usize = 1_000;

/// Longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 2_000;

/// Terms (words, phrases, operators) in one search query.
pub const MAX_QUERY_TERMS: usize = 64;

/// Most hits one search returns (a page larger than this is cut to it).
pub const MAX_SEARCH_HITS: u64 = 1_000;

/// Search on the server (`search::server`, IMAP `UID SEARCH` for messages whose body is
/// not stored): UIDs taken from one folder's answer, the newest; the rest are counted.
pub const MAX_SERVER_SEARCH_UIDS: usize = 2_000;

/// And the time one folder's search may take, from SELECT to the end of the answer; past
/// it the folder is reported as not searched and the next one is.
pub const SERVER_SEARCH_TIME: Duration = Duration::from_secs(30);

/// Longest UID set a server search names, in characters: past it, one range from the first
/// to the last UID wanted (servers take command lines of 8,000 bytes at least, RFC 7162).
pub const MAX_SEARCH_SET_CHARS: usize = 4_000;

/// The size in words, for messages ("160 MiB").
pub fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    match bytes {
        b if b >= GIB => format!("{:.1} GiB", b as f64 / GIB as f64),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= MIB => format!("{:.1} MiB", b as f64 / MIB as f64),
        b if b >= KIB => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_words() {
        assert_eq!(size(MAX_MESSAGE), "160 MiB");
        assert_eq!(size(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
        assert_eq!(size(1536), "1 KiB");
        assert_eq!(size(12), "12 bytes");
    }
}
