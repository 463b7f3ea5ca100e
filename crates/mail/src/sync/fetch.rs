//! Header and flag FETCHes. Header chunks stream into small structs and go to the store one
//! transaction per chunk; a chunk the parser chokes on is split until the bad message is
//! found (each try costs a new connection: async-imap closes it after a parse error).

use async_imap::types::Fetch;

use super::headers::{flags_of, header_query, message_of};
use super::report::{Phase, ProgressFn, SyncReport};
use super::uidset::{chunks, uid_set};
use super::{Engine, Selected, collect_until_error, drain, emit, is_parse_error, parse_error_excerpt};
use crate::error::{Error, Kind, Result};
use crate::store::{Flags, FolderId, NewMessage, Reply, StoreHandle, Summary};

/// The largest transaction of a header sync, in messages (about 8 MB of rows in memory).
const MAX_BATCH: usize = 20_000;

/// Hands fetched messages to the store thread while the network keeps going.
///
/// Each transaction rewrites most pages of the sort indexes it touches (their keys are random
/// with respect to UIDs), so a transaction costs more the bigger the folder. What arrives
/// while the store is idle is written at once (the first chunk alone: the list fills at
/// once); what arrives while it is busy is gathered into the next transaction, up to a third
/// of what this sync stored so far (at least ten chunks, at most [`MAX_BATCH`]) before the
/// network waits for the store. Each transaction is whole (kill-safe).
struct Writer {
    store: StoreHandle,
    folder: FolderId,
    uidvalidity: u32,
    pending: Option<Reply<usize>>,
    buffer: Vec<NewMessage>,
    /// Messages handed to the store so far.
    handed: usize,
    /// The size of a fetch chunk (the cap is at least ten of them).
    chunk: usize,
}

impl Writer {
    fn new(store: StoreHandle, folder: FolderId, uidvalidity: u32, chunk: usize) -> Writer {
        Writer {
            store,
            folder,
            uidvalidity,
            pending: None,
            buffer: Vec::new(),
            handed: 0,
            chunk: chunk.max(1),
        }
    }

    /// How many messages may wait while the store is busy before the network waits too.
    fn cap(&self) -> usize {
        (self.handed / 3).clamp(self.chunk * 10, MAX_BATCH)
    }

    async fn push(&mut self, batch: Vec<NewMessage>) -> Result<()> {
        self.buffer.extend(batch);
        // A failed write stops the sync now rather than at the end.
        if let Some(r) = self.pending.as_mut().and_then(Reply::try_take) {
            self.pending = None;
            r?;
        }
        if self.pending.is_some() {
            if self.buffer.len() < self.cap() {
                // Still writing: keep fetching, the next transaction just gets bigger.
                return Ok(());
            }
            if let Some(p) = self.pending.take() {
                p.await?;
            }
        }
        self.start();
        Ok(())
    }

    fn start(&mut self) {
        if !self.buffer.is_empty() {
            let batch = std::mem::take(&mut self.buffer);
            self.handed += batch.len();
            let (folder, uidvalidity) = (self.folder, self.uidvalidity);
            self.pending = Some(self.store.submit(move |s| s.insert_messages(folder, uidvalidity, &batch)));
        }
    }

    async fn finish(mut self) -> Result<()> {
        if let Some(p) = self.pending.take() {
            p.await?;
        }
        self.start();
        if let Some(p) = self.pending.take() {
            p.await?;
        }
        Ok(())
    }
}

/// The answer to one header FETCH.
enum Fetched {
    All {
        got: Vec<NewMessage>,
        bytes: u64,
    },
    /// The parser failed: what came before, the UIDs still missing, and why.
    Broken {
        got: Vec<NewMessage>,
        bytes: u64,
        rest: Vec<u32>,
        why: String,
    },
}

/// From this many new messages on, the store gets a bigger page cache for the sync.
const BULK_MESSAGES: usize = 5_000;
/// The page cache of a big sync: holds the sort indexes of a 100k-message folder.
const BULK_CACHE_KIB: i64 = 16 * 1024;

impl Engine {
    /// Fetches the headers of `new` (sorted newest first) into the store.
    pub(super) async fn fetch_new(
        &mut self,
        folder: FolderId,
        sel: &Selected,
        new: &[u32],
        rep: &mut SyncReport,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        let defer = new.len() >= self.options.defer_indexes_from;
        if new.len() < BULK_MESSAGES && !defer {
            return self.fetch_headers_into(folder, sel, new, rep, progress).await;
        }
        let before = self.store.call(|s| s.grow_cache(BULK_CACHE_KIB)).await?;
        let mut r = Ok(());
        if defer {
            r = self.store.call(|s| s.defer_sort_indexes()).await;
        }
        if r.is_ok() {
            r = self.fetch_headers_into(folder, sel, new, rep, progress).await;
        }
        if defer {
            // Also after a failure: the list keeps its fast sort orders. The sync is done
            // only once they are back (the bigger page cache still helps the sort).
            let built = self.store.call(|s| s.restore_sort_indexes()).await;
            r = r.and(built.map(drop));
        }
        // Queued behind the last write; nobody needs to wait for it.
        drop(self.store.submit(move |s| s.set_cache(before)));
        r
    }

    async fn fetch_headers_into(
        &mut self,
        folder: FolderId,
        sel: &Selected,
        new: &[u32],
        rep: &mut SyncReport,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        let total = new.len() as u64;
        let mut writer = Writer::new(self.store.clone(), folder, sel.uidvalidity, self.options.chunk);
        let query = header_query();
        emit(progress, &sel.name, Phase::Headers, 0, total, 0);
        for chunk in chunks(new, self.options.first_chunk, self.options.chunk) {
            // A stack, newer half on top: the bisection keeps the newest-first order.
            let mut work = vec![chunk];
            while let Some(set) = work.pop() {
                let (got, bytes, broken) = match self.fetch_headers(&set, &query).await? {
                    Fetched::All { got, bytes } => (got, bytes, None),
                    Fetched::Broken { got, bytes, rest, why } => (got, bytes, Some((rest, why))),
                };
                rep.headers_fetched += got.len() as u64;
                rep.new += got.len() as u64;
                rep.bytes += bytes;
                writer.push(got).await?;
                emit(progress, &sel.name, Phase::Headers, rep.new, total, rep.bytes);
                let Some((rest, why)) = broken else { continue };
                if rep.reconnects >= self.options.max_reconnects {
                    return Err(Error::new(
                        Kind::Protocol,
                        format!(
                            "{} keeps sending answers that cannot be read; gave up on {}",
                            self.ep.host, sel.name
                        ),
                    )
                    .with_server(why));
                }
                rep.reconnects += 1;
                self.reopen(sel).await?;
                match rest.as_slice() {
                    [] => {}
                    [uid] => {
                        let row = self.error_row(sel, *uid, &why, rep).await?;
                        rep.new += 1;
                        rep.errors += 1;
                        writer.push(vec![row]).await?;
                    }
                    _ => {
                        let (newer, older) = rest.split_at(rest.len() / 2);
                        work.push(older.to_vec());
                        work.push(newer.to_vec());
                    }
                }
            }
        }
        writer.finish().await
    }

    /// One `UID FETCH` of headers for `set`.
    async fn fetch_headers(&mut self, set: &[u32], query: &str) -> Result<Fetched> {
        let mut wanted = set.to_vec();
        wanted.sort_unstable();
        let conn = self.conn().await?;
        let mut bytes = 0u64;
        let (got, failure) = match conn.session.uid_fetch(uid_set(set), query).await {
            Ok(stream) => {
                collect_until_error(stream, |f: Fetch| {
                    // Items for other UIDs, or without a header, are unsolicited flag news.
                    let uid = f.uid.filter(|u| wanted.binary_search(u).is_ok())?;
                    let m = message_of(&f)?;
                    bytes += f.header().map_or(0, |h| h.len() as u64);
                    debug_assert_eq!(m.uid, uid);
                    Some(m)
                })
                .await
            }
            Err(e) => (Vec::new(), Some(e)),
        };
        drain(conn);
        match failure {
            None => Ok(Fetched::All { got, bytes }),
            Some(e) if is_parse_error(&e) => {
                let why = parse_error_excerpt(&e);
                self.conn = None;
                let mut have: Vec<u32> = got.iter().map(|m| m.uid).collect();
                have.sort_unstable();
                // Keep the request's (newest-first) order.
                let rest = set.iter().copied().filter(|u| have.binary_search(u).is_err()).collect();
                Ok(Fetched::Broken { got, bytes, rest, why })
            }
            Some(e) => Err(self.imap_error("fetch message headers", e)),
        }
    }

    /// The row for a message whose header answer could not be parsed: flags, size and date
    /// fetched on their own when the server manages that, and the reason.
    async fn error_row(
        &mut self,
        sel: &Selected,
        uid: u32,
        why: &str,
        rep: &mut SyncReport,
    ) -> Result<NewMessage> {
        let conn = self.conn().await?;
        let (items, failure) =
            match conn.session.uid_fetch(uid.to_string(), "(UID FLAGS RFC822.SIZE INTERNALDATE)").await {
                Ok(stream) => {
                    collect_until_error(stream, |f: Fetch| {
                        (f.uid == Some(uid)).then(|| {
                            (flags_of(&f), f.size.unwrap_or(0), f.internal_date().map(|d| d.timestamp()))
                        })
                    })
                    .await
                }
                Err(e) => (Vec::new(), Some(e)),
            };
        drain(conn);
        if let Some(e) = failure {
            if !is_parse_error(&e) {
                return Err(self.imap_error("fetch a message's flags", e));
            }
            rep.reconnects += 1;
            self.reopen(sel).await?;
        }
        let (flags, size, internal_date) = items.into_iter().next().unwrap_or((Flags::default(), 0, None));
        Ok(NewMessage {
            uid,
            modseq: None,
            flags,
            size,
            internal_date,
            summary: Summary::default(),
            parse_error: Some(format!("the server's answer for this message could not be read: {why}")),
        })
    }

    /// `UID FETCH 1:* <query>` of flags: all of them, or those changed since a modseq.
    pub(super) async fn fetch_flags(&mut self, query: &str) -> Result<Vec<(u32, Flags)>> {
        let conn = self.conn().await?;
        let (flags, failure) = match conn.session.uid_fetch("1:*", query).await {
            Ok(stream) => collect_until_error(stream, |f: Fetch| Some((f.uid?, flags_of(&f)))).await,
            Err(e) => (Vec::new(), Some(e)),
        };
        drain(conn);
        match failure {
            None => Ok(flags),
            Some(e) => Err(self.imap_error("fetch message flags", e)),
        }
    }
}
