//! Finding the read receipts a sent message got: a receipt names the message in its
//! Original-Message-ID field, which the list fields do not keep, but receipts (ours and most
//! others') also carry it in In-Reply-To or References. So the candidates come from those,
//! and [`crate::mdn::receipts_for`] reads each one to keep the real receipts.

use rusqlite::params;

use super::{AccountId, FolderId, Store};
use crate::error::Result;

/// Candidates looked at for one message: a message gets a receipt per recipient.
const MAX_CANDIDATES: i64 = 500;

impl Store {
    /// The messages of `account` (any folder) that answer `message_id` (with or without the
    /// angle brackets): its folder and UID, newest first.
    pub fn receipt_candidates(&self, account: AccountId, message_id: &str) -> Result<Vec<(FolderId, u32)>> {
        let id = message_id.trim().trim_start_matches('<').trim_end_matches('>');
        if id.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.folder, m.uid FROM messages m JOIN folders f ON f.id = m.folder
                 WHERE f.account = ?1 AND m.uidvalidity = f.uidvalidity
                   AND (m.in_reply_to = ?2 OR instr(m.refs, ?2) > 0)
                 ORDER BY m.sort_date DESC LIMIT ?3",
            )
            .map_err(self.err("look for read receipts"))?;
        let rows = stmt
            .query_map(params![account.0, id, MAX_CANDIDATES], |r| Ok((FolderId(r.get(0)?), r.get(1)?)))
            .map_err(self.err("look for read receipts"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err("look for read receipts"))
    }
}
