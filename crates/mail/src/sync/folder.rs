//! One folder's sync, step by step (see the module docs for the order and why).

use std::collections::HashSet;
use std::time::Instant;

use super::report::{Phase, ProgressFn, SyncReport};
use super::{Engine, Selected, drain, emit};
use crate::error::Result;
use crate::store::{Folder, FolderState, ServerOp};

impl Engine {
    /// Whether `folder` is not on the server yet: never synced, and a change waiting to be
    /// replayed makes it (created or renamed to here, it or a folder above it, while this
    /// sync was listing). Selecting it would only get "no such folder"; the next sync
    /// replays the change first and then syncs it.
    pub(super) async fn waits_for_replay(&mut self, folder: &Folder) -> Result<bool> {
        if folder.uidvalidity.is_some() {
            return Ok(false);
        }
        let account = self.account_id().await?;
        let pending = self.store.call(move |s| s.pending_actions(account)).await?;
        let delimiter = folder.delimiter.as_deref().filter(|d| !d.is_empty());
        let made = |name: &str| {
            folder.name == name
                || delimiter
                    .is_some_and(|d| folder.name.strip_prefix(name).is_some_and(|rest| rest.starts_with(d)))
        };
        Ok(pending.iter().any(|p| match &p.op {
            ServerOp::CreateFolder { name } | ServerOp::RenameFolder { to: name, .. } => made(name),
            _ => false,
        }))
    }

    pub(super) async fn sync_one(&mut self, folder: &Folder, progress: ProgressFn<'_>) -> Result<SyncReport> {
        let t0 = Instant::now();
        let mut rep = SyncReport::for_folder(folder);
        let fid = folder.id;
        emit(progress, &folder.name, Phase::Select, 0, 0, 0);
        let sel = self.select(&folder.name, true).await?;
        let uidvalidity = sel.uidvalidity;
        let state = self.store.call(move |s| s.begin_folder(fid, uidvalidity)).await?;
        rep.uidvalidity_changed = state.reset;

        let (new, gone) = self.compare_uids(folder, &sel, &state).await?;
        if !gone.is_empty() {
            emit(progress, &folder.name, Phase::Expunges, 0, gone.len() as u64, 0);
            rep.expunged = self.store.call(move |s| s.remove_messages(fid, uidvalidity, &gone)).await? as u64;
        }
        if !new.is_empty() {
            self.fetch_new(fid, &sel, &new, &mut rep, progress).await?;
        }
        // Messages fetched just now came with their flags; only the older ones need news.
        if state.local_count > 0 && sel.exists > 0 {
            self.sync_flags(folder, &sel, &state, &mut rep, progress).await?;
        }

        let (uidnext, modseq) = (sel.uidnext, sel.highestmodseq);
        let counts = self
            .store
            .call(move |s| {
                s.finish_folder(fid, uidnext, modseq)?;
                s.counts(fid)
            })
            .await?;
        rep.total = counts.total;
        rep.unread = counts.unread;
        rep.elapsed_ms = t0.elapsed().as_millis() as u64;
        emit(progress, &folder.name, Phase::Done, rep.total, rep.total, rep.bytes);
        Ok(rep)
    }

    /// New UIDs (newest first) and UIDs the server no longer has. Skips the search when the
    /// last complete sync saw the same UIDNEXT and the counts agree: nothing was added since
    /// (UIDNEXT would have moved), so nothing can have gone either.
    async fn compare_uids(
        &mut self,
        folder: &Folder,
        sel: &Selected,
        state: &FolderState,
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        let unchanged = state.uidnext.is_some()
            && state.uidnext == sel.uidnext
            && state.local_count == u64::from(sel.exists);
        if unchanged {
            return Ok((Vec::new(), Vec::new()));
        }
        if sel.exists == 0 && state.local_count == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        let window = self.options.search_window.max(1);
        let server: HashSet<u32> = if sel.exists == 0 {
            HashSet::new()
        } else if state.local_count == 0 && sel.exists as usize > window {
            // A first sync of a big folder asks in windows of message numbers: one answer
            // line of 100k UIDs is parsed again from its start each time more of it arrives
            // (≈ 0.15 s of CPU before the first header is fetched). Nothing is stored yet, so
            // nothing can be taken for expunged; a UID missed because an expunge shifted the
            // numbers meanwhile leaves the count short and the next sync searches again.
            let mut all = HashSet::with_capacity(sel.exists as usize);
            let mut start = 1usize;
            while start <= sel.exists as usize {
                let end = (start + window - 1).min(sel.exists as usize);
                let conn = self.conn().await?;
                let r = conn.session.uid_search(format!("{start}:{end}")).await;
                drain(conn);
                all.extend(
                    r.map_err(|e| self.imap_error(&format!("list the messages of {}", folder.name), e))?,
                );
                start = end + 1;
            }
            all
        } else {
            let conn = self.conn().await?;
            let r = conn.session.uid_search("ALL").await;
            drain(conn);
            r.map_err(|e| self.imap_error(&format!("list the messages of {}", folder.name), e))?
        };
        let (fid, uidvalidity) = (folder.id, sel.uidvalidity);
        let local = self.store.call(move |s| s.uids(fid, uidvalidity)).await?;
        let local_set: HashSet<u32> = local.iter().copied().collect();
        let gone: Vec<u32> = local.into_iter().filter(|u| !server.contains(u)).collect();
        let mut new: Vec<u32> = server.into_iter().filter(|u| !local_set.contains(u)).collect();
        new.sort_unstable_by(|a, b| b.cmp(a));
        Ok((new, gone))
    }

    /// Flag changes since the last complete sync: with CONDSTORE only those whose modseq
    /// moved (nothing at all when HIGHESTMODSEQ did not), else every message's flags.
    async fn sync_flags(
        &mut self,
        folder: &Folder,
        sel: &Selected,
        state: &FolderState,
        rep: &mut SyncReport,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        let query = match (sel.highestmodseq, state.highestmodseq) {
            (Some(now), Some(before)) if now <= before => return Ok(()),
            (Some(_), Some(before)) => format!("(UID FLAGS) (CHANGEDSINCE {before})"),
            _ => "(UID FLAGS)".to_string(),
        };
        emit(progress, &folder.name, Phase::Flags, 0, 0, rep.bytes);
        let changes = self.fetch_flags(&query).await?;
        let (fid, uidvalidity) = (folder.id, sel.uidvalidity);
        let n = changes.len() as u64;
        rep.updated_flags =
            self.store.call(move |s| s.update_flags(fid, uidvalidity, &changes)).await? as u64;
        emit(progress, &folder.name, Phase::Flags, n, n, rep.bytes);
        Ok(())
    }
}
