//! The store's side of search: the text of stored bodies written into the `message_search`
//! index (schema version 7), and a planned query run against it. The query language itself
//! is `crate::search`; this file only knows SQL.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rusqlite::types::Value;
use rusqlite::{Connection, InterruptHandle, OptionalExtension, params, params_from_iter};

use super::{AccountId, FolderId, Store, decode_mutf7};
use crate::error::Result;
use crate::limits;
use crate::message;
use crate::options::BodyFormat;

/// The indexed columns, in the order of the `message_search` table, with the name a hit
/// gives for where it matched.
pub const COLUMNS: &[(&str, &str)] = &[
    ("subject", "subject"),
    ("from_name", "from"),
    ("from_addr", "from"),
    ("to_addrs", "to"),
    ("cc_addrs", "cc"),
    ("body_text", "body"),
    ("attachment_names", "filename"),
];

/// A folder as search sees it: for resolving `folder:` and `account:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchFolder {
    pub id: FolderId,
    pub account: AccountId,
    /// The account's config id.
    pub account_key: String,
    /// As the server spells it (modified UTF-7).
    pub name: String,
    /// Decoded for people.
    pub display_name: String,
    pub role: Option<String>,
}

/// What the planner hands the store: a condition on `messages m` with its parameters, and
/// the words to mark in snippets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlannedQuery {
    pub condition: String,
    pub params: Vec<Value>,
    /// The text terms not under a NOT: what snippets mark. Empty when the query has no
    /// text (only `is:`, dates, sizes…).
    pub marks: Vec<MarkTerm>,
}

/// A text term as snippets look for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkTerm {
    /// Its words, folded (see [`fold`]).
    pub words: Vec<String>,
    /// The last word matches words that start with it.
    pub prefix: bool,
    /// The fields it may match, as indexes into [`COLUMNS`]; all when empty.
    pub columns: Vec<usize>,
}

impl MarkTerm {
    pub fn new(text: &str, prefix: bool, columns: Vec<usize>) -> MarkTerm {
        let words = tokens(text).into_iter().map(|(_, _, w)| w).collect();
        MarkTerm { words, prefix, columns }
    }

    fn marks(&self, column: usize, word: &str) -> bool {
        if !self.columns.is_empty() && !self.columns.contains(&column) {
            return false;
        }
        let last = self.words.len().saturating_sub(1);
        self.words
            .iter()
            .enumerate()
            .any(|(i, w)| if self.prefix && i == last { word.starts_with(w.as_str()) } else { word == w })
    }
}

/// A word as the index compares it (tokenizer `unicode61 remove_diacritics 2`): lower case,
/// accents off (canonical decomposition without its combining marks).
pub fn fold(word: &str) -> String {
    let nfd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd().normalize(word);
    nfd.chars()
        .filter(|c| !matches!(u32::from(*c), 0x300..=0x36F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of `text` as the index splits them (runs of letters and digits): their start
/// and end in characters, and the word folded.
fn tokens(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut word = String::new();
    let mut n = 0;
    for (i, c) in text.chars().enumerate() {
        n = i + 1;
        if c.is_alphanumeric() || is_mark(c) {
            start.get_or_insert(i);
            word.push(c);
        } else if let Some(s) = start.take() {
            out.push((s, i, fold(&word)));
            word.clear();
        }
    }
    if let Some(s) = start {
        out.push((s, n, fold(&word)));
    }
    out
}

fn is_mark(c: char) -> bool {
    matches!(u32::from(c), 0x300..=0x36F)
}

/// Words shown around the first match, as FTS5's snippet() would.
const SNIPPET_WORDS: usize = 12;

/// The first field (in [`COLUMNS`] order) where a word of `marks` occurs: a window of
/// [`SNIPPET_WORDS`] words from just before the first match, every match in it marked.
fn snippet(texts: &[Option<String>], marks: &[MarkTerm]) -> Option<Snippet> {
    for (column, text) in texts.iter().enumerate() {
        let Some(text) = text else { continue };
        let words = tokens(text);
        let hit: Vec<bool> = words.iter().map(|(_, _, w)| marks.iter().any(|m| m.marks(column, w))).collect();
        let Some(first) = hit.iter().position(|h| *h) else { continue };
        let from = first.saturating_sub(2).min(words.len().saturating_sub(SNIPPET_WORDS));
        let to = (from + SNIPPET_WORDS).min(words.len());
        let chars: Vec<char> = text.chars().collect();
        let start = if from == 0 { 0 } else { words[from].0 };
        let end = if to == words.len() { chars.len() } else { words[to - 1].1 };
        let lead = if start > 0 { "…" } else { "" };
        let shift = lead.chars().count();
        let mut out = String::from(lead);
        out.extend(&chars[start..end]);
        if end < chars.len() {
            out.push('…');
        }
        let ranges = (from..to)
            .filter(|k| hit[*k])
            .map(|k| (words[k].0 - start + shift, words[k].1 - start + shift))
            .collect();
        return Some(Snippet { field: COLUMNS[column].1.into(), text: out, marks: ranges });
    }
    None
}

/// One message found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredHit {
    /// The account's config id.
    pub account: String,
    /// The folder as the server names it (what `tidings message show --folder` takes).
    pub folder: String,
    /// The same, decoded for people.
    pub folder_display: String,
    pub folder_id: FolderId,
    pub uid: u32,
    /// Unix seconds (the Date header, else the server's arrival time).
    pub date: i64,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    pub subject: Option<String>,
    pub unread: bool,
    /// Where a word of the query was found; `None` for a query without words.
    pub matched: Option<Snippet>,
    /// Found by the server's own search (the body is not stored here).
    pub on_server: bool,
}

/// A piece of the matching field (about a dozen words from just before the first match)
/// with the matches marked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snippet {
    /// subject, from, to, cc, body or filename.
    pub field: String,
    /// The text, without marks.
    pub text: String,
    /// The marked ranges of `text`, in characters (start, end).
    pub marks: Vec<(usize, usize)>,
}

impl Snippet {
    /// The text with each match between `open` and `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 8);
        let mut marks = self.marks.iter().peekable();
        for (i, c) in self.text.chars().enumerate() {
            if marks.peek().is_some_and(|m| m.0 == i) {
                out.push_str(open);
            }
            out.push(c);
            if marks.peek().is_some_and(|m| m.1 == i + 1) {
                out.push_str(close);
                marks.next();
            }
        }
        out
    }
}

/// What the index keeps of a message's body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexedText {
    pub body: String,
    /// The attachment names (inline images' too), separated by spaces.
    pub names: String,
    /// Whether it has a part offered to save (not only inline images).
    pub has_attachment: bool,
}

/// The text of a raw message as indexed: the body as the reader shows it (HTML and enriched
/// text as text), the forwarded messages' subjects and bodies after it, and the attachment
/// names; control characters out, white space collapsed, cut at
/// [`limits::MAX_INDEXED_TEXT`] bytes for both together.
pub fn indexed_text(raw: &[u8]) -> IndexedText {
    let display = message::render(raw, BodyFormat::Best);
    let budget = limits::MAX_INDEXED_TEXT;
    let mut names = String::new();
    let mut has_attachment = false;
    for a in message::save::all_attachments(&display) {
        push_clean(&mut names, &a.name, budget / 4);
        has_attachment |= !a.inline;
    }
    let mut body = String::new();
    let budget = budget.saturating_sub(names.len());
    push_clean(&mut body, &display.body.text, budget);
    for f in &display.forwarded {
        push_clean(&mut body, f.subject.as_deref().unwrap_or(""), budget);
        push_clean(&mut body, &f.body.text, budget);
    }
    IndexedText { body, names, has_attachment }
}

/// Appends `text` to `out` (a space between), white space and control characters as single
/// spaces, while `out` stays within `budget` bytes.
fn push_clean(out: &mut String, text: &str, budget: usize) {
    let mut space = !out.is_empty();
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if out.len() + c.len_utf8() + usize::from(space) > budget {
            return;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
}

/// Indexes up to `max` queued bodies inside the caller's transaction; returns how many.
pub(super) fn index_queued(conn: &Connection, max: usize) -> rusqlite::Result<usize> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT message FROM search_pending ORDER BY message DESC LIMIT ?1")?
        .query_map([max as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        index_one(conn, *id)?;
    }
    Ok(ids.len())
}

/// Writes one message's body text into its row (the triggers update the index) and takes
/// it off the queue.
pub(super) fn index_one(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    let raw: Option<Vec<u8>> = conn
        .prepare_cached("SELECT raw FROM bodies WHERE message = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if let Some(raw) = raw {
        let text = indexed_text(&raw);
        // The header's guess at attachments is corrected by what the body holds, so that
        // `has:attachment` needs only the columns of the date index.
        conn.prepare_cached(
            "UPDATE messages SET body_text = ?2, attachment_names = ?3, has_attachment = (has_attachment OR ?4)
             WHERE id = ?1",
        )?
        .execute(params![id, text.body, text.names, text.has_attachment])?;
    }
    conn.prepare_cached("DELETE FROM search_pending WHERE message = ?1")?.execute([id])?;
    Ok(())
}

impl Store {
    /// Indexes the text of stored bodies not yet indexed, newest first, a chunk of
    /// [`limits::INDEX_CHUNK`] per transaction, until `max` are done or `time` has passed.
    /// Returns how many were indexed. Bodies are queued by the store whenever one is
    /// written; after the update that added search, every body of an older store is.
    pub fn index_pending(&mut self, max: usize, time: Duration) -> Result<usize> {
        let started = Instant::now();
        let mut done = 0;
        while done < max && started.elapsed() < time {
            let label = self.label.clone();
            let err = |e| super::sql_error(&label, "index messages for search", e);
            let tx = self.conn.transaction().map_err(err)?;
            let n = index_queued(&tx, limits::INDEX_CHUNK.min(max - done)).map_err(err)?;
            tx.commit().map_err(err)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// How many stored bodies wait to be indexed for search.
    pub fn index_backlog(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM search_pending", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.err("read the search index's progress"))
    }

    /// FTS5's own check that the index holds exactly what the messages table says (slow on
    /// big stores: for tests and a "check the store" command).
    pub fn check_search_index(&self) -> Result<()> {
        self.conn
            .execute("INSERT INTO message_search (message_search, rank) VALUES ('integrity-check', 1)", [])
            .map(drop)
            .map_err(self.err("check the search index"))
    }

    /// Every folder of every account, for resolving `folder:` and `account:`.
    pub fn search_folders(&self) -> Result<Vec<SearchFolder>> {
        let err = self.err("read the folders");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.id, f.account, a.key, f.name, f.role FROM folders f
                 JOIN accounts a ON a.id = f.account ORDER BY a.key, f.name",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                let name: String = r.get(3)?;
                Ok(SearchFolder {
                    id: FolderId(r.get(0)?),
                    account: AccountId(r.get(1)?),
                    account_key: r.get(2)?,
                    display_name: decode_mutf7(&name),
                    name,
                    role: r.get(4)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&err)
    }

    /// A handle that stops this store's running query from another thread (the query then
    /// fails with an error saying it was interrupted): for a search the person replaced.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// Runs a planned query: the messages matching `q.condition`, newest first, one page.
    pub fn run_search(&self, q: &PlannedQuery, limit: u64, offset: u64) -> Result<Vec<StoredHit>> {
        let err = self.err("search the mail store");
        let limit = limit.min(limits::MAX_SEARCH_HITS);
        // The page first, then the fields and the snippets of its rows only: with ORDER BY,
        // SQLite computes every selected column of every match before it sorts.
        // Newest first along the date index (see schema version 7): the text conditions
        // are evaluated once into a set, and the walk stops at the end of the page.
        let sql = format!(
            "SELECT m.id FROM messages m INDEXED BY messages_by_sort_date WHERE {}
             ORDER BY m.sort_date DESC, m.id DESC LIMIT {limit} OFFSET {offset}",
            q.condition
        );
        let ids: Vec<i64> = {
            let mut stmt = self.conn.prepare_cached(&sql).map_err(&err)?;
            let rows = stmt.query_map(params_from_iter(q.params.iter()), |r| r.get(0)).map_err(&err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(&err)?
        };
        let mut fields = self
            .conn
            .prepare_cached(
                "SELECT a.key, f.name, m.folder, m.uid, m.sort_date, m.from_name, m.from_addr, m.subject, m.unread
                 FROM messages m JOIN folders f ON f.id = m.folder JOIN accounts a ON a.id = f.account
                 WHERE m.id = ?1",
            )
            .map_err(&err)?;
        let mut snippets = self.snippets(q, &ids).map_err(&err)?;
        let mut hits = Vec::with_capacity(ids.len());
        for id in ids {
            let hit = fields
                .query_row([id], |r| {
                    Ok(StoredHit {
                        account: r.get(0)?,
                        folder: r.get(1)?,
                        folder_display: decode_mutf7(&r.get::<_, String>(1)?),
                        folder_id: FolderId(r.get(2)?),
                        uid: r.get(3)?,
                        date: r.get(4)?,
                        from_name: r.get(5)?,
                        from_addr: r.get(6)?,
                        subject: r.get(7)?,
                        unread: r.get(8)?,
                        matched: snippets.remove(&id),
                        on_server: false,
                    })
                })
                .optional()
                .map_err(&err)?;
            hits.extend(hit);
        }
        Ok(hits)
    }

    /// Every stored message of the folders where a message matching `q.condition` has no
    /// stored body, by folder and UID: (folder, UID, whether it is such a message). What a
    /// search on the server may add to the store's answer (`crate::search::server`).
    pub fn unkept_matches(&self, q: &PlannedQuery) -> Result<Vec<(FolderId, u32, bool)>> {
        let err = self.err("search the mail store");
        let unkept =
            format!("({}) AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message = m.id)", q.condition);
        let sql = format!(
            "SELECT m.folder, m.uid, {unkept} FROM messages m
             WHERE m.folder IN (SELECT DISTINCT m.folder FROM messages m WHERE {unkept})
             ORDER BY m.folder, m.uid"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(params_from_iter(q.params.iter()), |r| Ok((FolderId(r.get(0)?), r.get(1)?, r.get(2)?)))
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&err)
    }

    /// Where each of `ids` matched the query's words. Marked here rather than by FTS5's
    /// snippet(): for a prefix word (the last one typed), FTS5 merges the position lists of
    /// every word with that prefix in the whole index, for each query (30–50 ms a page at
    /// 100k, BENCHMARKS.md), where reading the page's fields costs well under a millisecond.
    fn snippets(&self, q: &PlannedQuery, ids: &[i64]) -> rusqlite::Result<HashMap<i64, Snippet>> {
        let mut out = HashMap::new();
        if q.marks.is_empty() {
            return Ok(out);
        }
        let columns = COLUMNS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ");
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {columns} FROM messages WHERE id = ?1"))?;
        for id in ids {
            let texts: Option<Vec<Option<String>>> =
                stmt.query_row([id], |r| (0..COLUMNS.len()).map(|i| r.get(i)).collect()).optional()?;
            if let Some(s) = texts.and_then(|t| snippet(&t, &q.marks)) {
                out.insert(*id, s);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_text_is_bounded_and_clean() {
        let long = "word ".repeat(limits::MAX_INDEXED_TEXT);
        let raw = format!("Subject: big\r\n\r\nfirst\x02line\r\n\ttabbed   {long}");
        let IndexedText { body, names, has_attachment } = indexed_text(raw.as_bytes());
        assert!(!has_attachment);
        assert!(body.len() <= limits::MAX_INDEXED_TEXT, "{}", body.len());
        assert!(body.len() > limits::MAX_INDEXED_TEXT - 10);
        // Control characters (the snippet marks among them) and runs of white space are
        // single spaces.
        assert!(body.starts_with("first line tabbed word word"), "{}", &body[..40]);
        assert!(!body.contains('\u{2}') && !body.contains("  "));
        assert_eq!(names, "");
    }

    #[test]
    fn snippets_mark_folded_words_in_the_first_field_that_has_one() {
        let texts = [
            Some("Lunch".to_string()),
            Some("Jürgen Müller".to_string()),
            None,
            None,
            None,
            Some(
                "one two three four five six seven eight at the Café, or the bar? nine ten eleven twelve"
                    .into(),
            ),
            None,
        ];
        let cafe = MarkTerm::new("cafe", false, vec![]);
        let s = snippet(&texts, std::slice::from_ref(&cafe)).unwrap();
        assert_eq!(s.field, "body");
        assert_eq!(s.marked("[", "]"), "…seven eight at the [Café], or the bar? nine ten eleven twelve");
        // A prefix, a phrase's words, and a field of its own.
        let s = snippet(&texts, &[MarkTerm::new("mul", true, vec![1, 2])]).unwrap();
        assert_eq!((s.field.as_str(), s.marked("<", ">").as_str()), ("from", "Jürgen <Müller>"));
        assert_eq!(snippet(&texts, &[MarkTerm::new("mul", true, vec![0])]), None);
        let s = snippet(&texts, &[MarkTerm::new("the bar", false, vec![5])]).unwrap();
        assert_eq!(s.marks.len(), 3, "{s:?}");
        assert_eq!(fold("ÉCOLE Straße"), "ecole straße");
    }
}
