//! Folders and their sync state; the folder changes made here are in `folder_changes`.

use rusqlite::{Connection, OptionalExtension, Row as SqlRow, params};

use super::actions::ServerOp;
use super::types::{AccountId, Counts, Folder, FolderId, FolderInfo, FolderState, Role};
use super::{Store, now};
use crate::error::{Error, Kind, Result};

const FOLDER_COLUMNS: &str =
    "id, name, delimiter, role, subscribed, selectable, uidvalidity, uidnext, highestmodseq, synced_at";

fn folder_row(r: &SqlRow<'_>) -> rusqlite::Result<Folder> {
    let name: String = r.get(1)?;
    let role: Option<String> = r.get(3)?;
    Ok(Folder {
        id: FolderId(r.get(0)?),
        display_name: decode_mutf7(&name),
        name,
        delimiter: r.get(2)?,
        role: role.as_deref().and_then(Role::parse),
        subscribed: r.get(4)?,
        selectable: r.get(5)?,
        uidvalidity: r.get(6)?,
        uidnext: r.get(7)?,
        highestmodseq: r.get::<_, Option<i64>>(8)?.map(|m| m as u64),
        synced_at: r.get(9)?,
    })
}

impl Store {
    /// Makes the stored folder list match the server's: adds and updates `infos`, removes
    /// folders no longer listed (with their messages). Returns the folders, INBOX first.
    /// Refused for a local (POP3) account: its folders are not a server's to replace.
    pub fn replace_folders(&mut self, account: AccountId, infos: &[FolderInfo]) -> Result<Vec<Folder>> {
        if self.is_local_account(account)? {
            return Err(Error::config(
                "this account keeps its mail in local folders (POP3); a server's folder list cannot replace them",
            ));
        }
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "save the folder list", e);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO folders (account, name, delimiter, role, subscribed, selectable)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (account, name) DO UPDATE SET
                       delimiter = excluded.delimiter, role = excluded.role,
                       subscribed = excluded.subscribed, selectable = excluded.selectable",
                )
                .map_err(err)?;
            for f in infos {
                upsert
                    .execute(params![
                        account.0,
                        f.name,
                        f.delimiter,
                        f.role.map(Role::as_str),
                        f.subscribed,
                        f.selectable
                    ])
                    .map_err(err)?;
            }
            let mut names: Vec<&str> = infos.iter().map(|f| f.name.as_str()).collect();
            // A folder made or renamed here while this list was on its way is not the
            // server's yet: it stays until its change has been replayed.
            let waiting = waiting_folders(&tx, account).map_err(err)?;
            names.extend(waiting.iter().map(String::as_str));
            let listed = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
            tx.execute(
                "DELETE FROM folders WHERE account = ?1 AND name NOT IN (SELECT value FROM json_each(?2))",
                params![account.0, listed],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        self.folders(account)
    }

    /// The account's folders: INBOX first, then by name.
    pub fn folders(&self, account: AccountId) -> Result<Vec<Folder>> {
        let sql = format!(
            "SELECT {FOLDER_COLUMNS} FROM folders WHERE account = ?1
             ORDER BY (role IS 'inbox') DESC, name"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err("read the folder list"))?;
        let rows = stmt.query_map([account.0], folder_row).map_err(self.err("read the folder list"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err("read the folder list"))
    }

    pub fn folder(&self, account: AccountId, name: &str) -> Result<Option<Folder>> {
        let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE account = ?1 AND name = ?2");
        self.conn
            .query_row(&sql, params![account.0, name], folder_row)
            .optional()
            .map_err(self.err("read a folder"))
    }

    /// Starts a folder sync with the server's UIDVALIDITY: when it differs from the cached
    /// one, drops every cached message of the folder (their UIDs mean nothing any more) and
    /// forgets the folder's sync state, in one transaction.
    pub fn begin_folder(&mut self, folder: FolderId, uidvalidity: u32) -> Result<FolderState> {
        let label = self.label.clone();
        let err = |e| super::sql_error(&label, "start syncing a folder", e);
        let tx = self.conn.transaction().map_err(err)?;
        let (cached, uidnext, modseq): (Option<u32>, Option<u32>, Option<i64>) = tx
            .query_row(
                "SELECT uidvalidity, uidnext, highestmodseq FROM folders WHERE id = ?1",
                [folder.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(err)?
            .ok_or_else(|| Error::new(Kind::Storage, "the folder is no longer in the mail store"))?;
        let reset = cached.is_some_and(|c| c != uidvalidity);
        if reset {
            tx.execute("DELETE FROM messages WHERE folder = ?1", [folder.0]).map_err(err)?;
        }
        if reset || cached.is_none() {
            tx.execute(
                "UPDATE folders SET uidvalidity = ?2, uidnext = NULL, highestmodseq = NULL WHERE id = ?1",
                params![folder.0, uidvalidity],
            )
            .map_err(err)?;
        }
        let local: i64 = tx
            .query_row("SELECT count(*) FROM messages WHERE folder = ?1", [folder.0], |r| r.get(0))
            .map_err(err)?;
        tx.commit().map_err(err)?;
        let keep = !(reset || cached.is_none());
        Ok(FolderState {
            reset,
            local_count: local as u64,
            uidnext: uidnext.filter(|_| keep),
            highestmodseq: modseq.filter(|_| keep).map(|m| m as u64),
        })
    }

    /// Records a complete sync: the server's UIDNEXT and HIGHESTMODSEQ as of its SELECT.
    pub fn finish_folder(
        &mut self,
        folder: FolderId,
        uidnext: Option<u32>,
        highestmodseq: Option<u64>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE folders SET uidnext = ?2, highestmodseq = ?3, synced_at = ?4 WHERE id = ?1",
                params![folder.0, uidnext, highestmodseq.map(|m| m as i64), now()],
            )
            .map_err(self.err("save a folder's sync state"))?;
        Ok(())
    }

    /// Total and unread messages of a folder.
    pub fn counts(&self, folder: FolderId) -> Result<Counts> {
        let err = self.err("count messages");
        let total: i64 = self
            .conn
            .query_row("SELECT count(*) FROM messages WHERE folder = ?1", [folder.0], |r| r.get(0))
            .map_err(&err)?;
        let unread: i64 = self
            .conn
            .query_row("SELECT count(*) FROM messages WHERE folder = ?1 AND unread = 1", [folder.0], |r| {
                r.get(0)
            })
            .map_err(&err)?;
        Ok(Counts { total: total as u64, unread: unread as u64 })
    }
}

/// The names of the folders that pending changes create or rename to.
fn waiting_folders(conn: &Connection, account: AccountId) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT op FROM pending_actions WHERE account = ?1")?;
    let ops = stmt.query_map([account.0], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for op in ops {
        match serde_json::from_str::<ServerOp>(&op?) {
            Ok(ServerOp::CreateFolder { name }) | Ok(ServerOp::RenameFolder { to: name, .. }) => {
                out.push(name)
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Encodes a folder name as IMAP spells it (modified UTF-7, RFC 3501 5.1.3): printable
/// ASCII as it is, "&" as "&-", the rest as UTF-16 in modified base64 between "&" and "-".
pub fn encode_mutf7(name: &str) -> String {
    use base64::Engine;
    use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
    let engine = GeneralPurpose::new(
        &base64::alphabet::IMAP_MUTF7,
        GeneralPurposeConfig::new().with_encode_padding(false),
    );
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&engine.encode(bytes));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            match c {
                '&' => out.push_str("&-"),
                c => out.push(c),
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Decodes an IMAP folder name (modified UTF-7, RFC 3501 5.1.3) for display; names that are
/// not valid modified UTF-7 are shown as they are.
pub fn decode_mutf7(name: &str) -> String {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let engine = GeneralPurpose::new(
        &base64::alphabet::IMAP_MUTF7,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(dash) = after.find('-') else { return name.to_string() };
        let encoded = &after[..dash];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let Ok(bytes) = engine.decode(encoded) else { return name.to_string() };
            if bytes.len() % 2 != 0 {
                return name.to_string();
            }
            let units = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            match char::decode_utf16(units).collect::<Result<String, _>>() {
                Ok(s) => out.push_str(&s),
                Err(_) => return name.to_string(),
            }
        }
        rest = &after[dash + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MailAction;
    use crate::store::folder_changes::tests::{info, names};

    #[test]
    fn modified_utf7_names_decode() {
        assert_eq!(decode_mutf7("INBOX"), "INBOX");
        assert_eq!(decode_mutf7("Entw&APw-rfe"), "Entwürfe");
        assert_eq!(decode_mutf7("&ZeVnLIqe-"), "日本語");
        assert_eq!(decode_mutf7("Tom &- Jerry"), "Tom & Jerry");
        assert_eq!(decode_mutf7("broken &AP"), "broken &AP");
    }

    #[test]
    fn modified_utf7_names_encode_and_round_trip() {
        assert_eq!(encode_mutf7("INBOX"), "INBOX");
        assert_eq!(encode_mutf7("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(encode_mutf7("日本語"), "&ZeVnLIqe-");
        assert_eq!(encode_mutf7("Tom & Jerry"), "Tom &- Jerry");
        // RFC 3501's example, and a character outside the BMP (a surrogate pair).
        assert_eq!(encode_mutf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        for name in ["Ünïcode ☃ & more", "🎉 Party", "a&b-c", "Re: Straße", ""] {
            assert_eq!(decode_mutf7(&encode_mutf7(name)), name);
        }
    }

    /// A folder list the server sent before a change made here was replayed does not undo it.
    #[test]
    fn a_folder_made_here_survives_a_list_from_before_its_replay() {
        let mut s = Store::open_in_memory().unwrap();
        let a = s.account("imap").unwrap();
        let listed = [info("INBOX", Some(Role::Inbox)), info("Lists", None)];
        let lists = s.replace_folders(a, &listed).unwrap()[1].id;
        s.queue_action(a, &MailAction::CreateFolder { parent: None, name: "New".into() }).unwrap();
        s.queue_action(a, &MailAction::RenameFolder { folder: lists, to: "Renamed".into() }).unwrap();
        s.replace_folders(a, &listed).unwrap();
        assert!(names(&s, a).contains(&"New".to_string()) && names(&s, a).contains(&"Renamed".to_string()));
        // Replayed: the server's list is the truth again.
        for p in s.pending_actions(a).unwrap() {
            s.complete_action(p.id).unwrap();
        }
        s.replace_folders(a, &listed).unwrap();
        assert_eq!(names(&s, a), ["INBOX", "Lists"]);
    }

    #[test]
    fn folder_list_is_replaced_and_uidvalidity_change_drops_messages() {
        let mut s = Store::open_in_memory().unwrap();
        let a = s.account("alice").unwrap();
        let info = |name: &str, role| FolderInfo {
            name: name.into(),
            delimiter: Some("/".into()),
            role,
            subscribed: true,
            selectable: true,
        };
        let f = s
            .replace_folders(a, &[info("Sent", Some(Role::Sent)), info("INBOX", Some(Role::Inbox))])
            .unwrap();
        assert_eq!(f.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["INBOX", "Sent"]);
        let inbox = f[0].id;
        let st = s.begin_folder(inbox, 7).unwrap();
        assert!(!st.reset && st.uidnext.is_none());
        s.insert_messages(inbox, 7, &[crate::store::messages::tests::message(1)]).unwrap();
        s.finish_folder(inbox, Some(2), Some(10)).unwrap();
        let st = s.begin_folder(inbox, 7).unwrap();
        assert_eq!((st.reset, st.local_count, st.uidnext, st.highestmodseq), (false, 1, Some(2), Some(10)));
        let st = s.begin_folder(inbox, 8).unwrap();
        assert_eq!((st.reset, st.local_count, st.uidnext), (true, 0, None));
        // Sent disappears from the server: gone locally too.
        let f = s.replace_folders(a, &[info("INBOX", Some(Role::Inbox))]).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].uidvalidity, Some(8));
    }
}
