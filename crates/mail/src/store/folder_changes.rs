//! The folder changes the folder pane asks for (create, rename, move, delete): checked (a
//! name that cannot be, one already there, the special folders the account needs) and
//! applied to the folder rows at once, for an IMAP account (returning what its server must be
//! told) and for a POP3 account's local folders alike. Names are kept as the server spells
//! them (modified UTF-7); people's names come in and are encoded here.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::actions::{MailAction, ServerOp};
use super::folders::{decode_mutf7, encode_mutf7};
use super::types::{AccountId, FolderId, Role};
use crate::error::{Error, Kind, Result};

/// Inbox, Sent, Drafts and Trash: the account needs them (mail arrives, is filed, saved and
/// thrown away there), so they are not deleted, renamed or moved from here.
fn is_kept(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Inbox | Role::Sent | Role::Drafts | Role::Trash))
}

struct Row {
    id: FolderId,
    name: String,
    delimiter: Option<String>,
    role: Option<Role>,
}

fn row(conn: &Connection, account: AccountId, folder: FolderId) -> Result<Row, Option<rusqlite::Error>> {
    conn.query_row(
        "SELECT id, name, delimiter, role FROM folders WHERE id = ?1 AND account = ?2",
        params![folder.0, account.0],
        |r| {
            let role: Option<String> = r.get(3)?;
            Ok(Row {
                id: FolderId(r.get(0)?),
                name: r.get(1)?,
                delimiter: r.get::<_, Option<String>>(2)?.filter(|d| !d.is_empty()),
                role: role.as_deref().and_then(Role::parse),
            })
        },
    )
    .optional()
    .map_err(Some)?
    .ok_or(None)
}

/// The folder and every folder below it, the deepest first (the order the server can
/// delete them in).
fn subtree(conn: &Connection, account: AccountId, top: &Row) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached("SELECT id, name, delimiter, role FROM folders WHERE account = ?1")?;
    let rows = stmt.query_map([account.0], |r| {
        let role: Option<String> = r.get(3)?;
        Ok(Row {
            id: FolderId(r.get(0)?),
            name: r.get(1)?,
            delimiter: r.get::<_, Option<String>>(2)?.filter(|d| !d.is_empty()),
            role: role.as_deref().and_then(Role::parse),
        })
    })?;
    let below = |name: &str| match &top.delimiter {
        Some(d) => name.strip_prefix(top.name.as_str()).is_some_and(|rest| rest.starts_with(d.as_str())),
        None => false,
    };
    let mut out: Vec<Row> = rows
        .filter(|r| r.as_ref().map_or(true, |r| r.id == top.id || below(&r.name)))
        .collect::<rusqlite::Result<_>>()?;
    out.sort_by_key(|r| std::cmp::Reverse(r.name.len()));
    Ok(out)
}

/// Why `name` cannot be a folder's name (as a person writes it) where `delimiter` separates
/// the levels; `None` when it can.
pub fn folder_name_problem(name: &str, delimiter: Option<&str>) -> Option<String> {
    if name.trim().is_empty() {
        return Some("A folder needs a name.".into());
    }
    if name.trim() != name {
        return Some("A folder name cannot start or end with a space.".into());
    }
    if let Some(d) = delimiter.filter(|d| name.contains(*d)) {
        return Some(format!(
            "A folder name cannot contain “{d}”: it separates folders from their subfolders."
        ));
    }
    if name.chars().any(char::is_control) {
        return Some("A folder name cannot contain control characters.".into());
    }
    None
}

/// The server name of the folder `name` (as a person writes it) below `parent` (the server
/// name of the parent and its delimiter; `None`: the top level).
pub fn child_folder_name(parent: Option<(&str, &str)>, name: &str) -> String {
    match parent {
        Some((parent, delimiter)) => format!("{parent}{delimiter}{}", encode_mutf7(name)),
        None => encode_mutf7(name),
    }
}

/// Whether an account already has a folder called `name` (INBOX in any case).
fn taken(conn: &Connection, account: AccountId, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM folders WHERE account = ?1 AND (name = ?2 OR (upper(?2) = 'INBOX' AND upper(name) = 'INBOX'))",
        params![account.0, name],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
}

/// A folder change as the folder pane asks for it, checked and applied to the folder rows;
/// returns what the server must be told, in order (nothing to tell for local folders).
pub(super) fn apply_folder_action(
    tx: &Transaction<'_>,
    label: &str,
    account: AccountId,
    action: &MailAction,
    local: bool,
) -> Result<Vec<ServerOp>> {
    let err = |e| super::sql_error(label, "change your folders", e);
    let missing =
        || Error::new(Kind::Storage, "the folder is no longer in the mail store; it may have been deleted");
    let found = |r: Result<Row, Option<rusqlite::Error>>| r.map_err(|e| e.map(err).unwrap_or_else(missing));
    // Where a new or moved folder goes: its server name there, checked.
    let place = |parent: Option<FolderId>,
                 name: &str,
                 moving: Option<&Row>|
     -> Result<(String, Option<String>)> {
        let parent = parent.map(|p| found(row(tx, account, p))).transpose()?;
        let delimiter = match &parent {
            Some(p) => p.delimiter.clone(),
            None => moving.and_then(|m| m.delimiter.clone()).or(account_delimiter(tx, account).map_err(err)?),
        };
        if let Some(problem) = folder_name_problem(name, delimiter.as_deref()) {
            return Err(Error::config(problem.trim_end_matches('.').to_string()));
        }
        let parent_name = match (&parent, &delimiter) {
            (Some(p), Some(d)) => Some((p.name.as_str(), d.as_str())),
            (Some(_), None) => {
                return Err(Error::config(
                    "this server does not nest folders: a folder can only be made at the top level",
                ));
            }
            (None, _) => None,
        };
        if let (Some(m), Some(p)) = (moving, &parent) {
            let inside =
                m.delimiter.as_deref().is_some_and(|d| p.name.starts_with(&format!("{}{d}", m.name)));
            if p.id == m.id || inside {
                return Err(Error::config("a folder cannot go inside itself or one of its subfolders"));
            }
        }
        let full = child_folder_name(parent_name, name);
        if moving.is_some_and(|m| m.name == full) {
            return Ok((full, delimiter));
        }
        if taken(tx, account, &full).map_err(err)? {
            return Err(Error::config(format!("there is already a folder called “{name}” there")));
        }
        Ok((full, delimiter))
    };
    let kept = |top: &Row, rows: &[Row], what: &str| -> Result<()> {
        let Some(special) = rows.iter().find(|r| is_kept(r.role)) else { return Ok(()) };
        let name = |r: &Row| decode_mutf7(&r.name);
        let why = "Inbox, Sent, Drafts and Trash are special folders the account needs";
        Err(Error::config(if special.id == top.id {
            format!("cannot {what} “{}”: {why}", name(top))
        } else {
            format!("cannot {what} “{}”: it holds “{}”, and {why}", name(top), name(special))
        }))
    };
    let rename = |from: &Row, to: &str| -> Result<Vec<ServerOp>> {
        // Subfolders go along, as they do on the server (RFC 3501 6.3.5).
        let below = from.delimiter.as_deref().map(|d| format!("{}{d}", from.name));
        tx.execute(
            "UPDATE folders SET name = ?3 || substr(name, length(?2) + 1)
             WHERE account = ?1 AND (name = ?2 OR (?4 IS NOT NULL AND substr(name, 1, length(?4)) = ?4))",
            params![account.0, from.name, to, below],
        )
        .map_err(err)?;
        Ok(vec![ServerOp::RenameFolder { from: from.name.clone(), to: to.to_string() }])
    };
    match action {
        MailAction::CreateFolder { parent, name } => {
            let (full, delimiter) = place(*parent, name, None)?;
            let (uidvalidity, uidnext) =
                if local { (Some(super::pop3::LOCAL_UIDVALIDITY), Some(1)) } else { (None, None) };
            tx.execute(
                "INSERT INTO folders (account, name, delimiter, subscribed, selectable, uidvalidity, uidnext)
                 VALUES (?1, ?2, ?3, 1, 1, ?4, ?5)",
                params![account.0, full, delimiter.or(local.then(|| "/".to_string())), uidvalidity, uidnext],
            )
            .map_err(err)?;
            Ok(vec![ServerOp::CreateFolder { name: full }])
        }
        MailAction::RenameFolder { folder, to } => {
            let from = found(row(tx, account, *folder))?;
            kept(&from, &subtree(tx, account, &from).map_err(err)?, "rename")?;
            let parent =
                from.delimiter.as_deref().and_then(|d| from.name.rsplit_once(d)).map(|(p, _)| p.to_string());
            let (full, _) = match &parent {
                // The parent may be a level the server does not list: named, not looked up.
                Some(p) => {
                    let d = from.delimiter.as_deref().unwrap_or_default();
                    if let Some(problem) = folder_name_problem(to, Some(d)) {
                        return Err(Error::config(problem.trim_end_matches('.').to_string()));
                    }
                    let full = child_folder_name(Some((p, d)), to);
                    if full != from.name && taken(tx, account, &full).map_err(err)? {
                        return Err(Error::config(format!("there is already a folder called “{to}” there")));
                    }
                    (full, None)
                }
                None => place(None, to, Some(&from))?,
            };
            if full == from.name {
                return Ok(Vec::new());
            }
            rename(&from, &full)
        }
        MailAction::MoveFolder { folder, parent } => {
            let from = found(row(tx, account, *folder))?;
            kept(&from, &subtree(tx, account, &from).map_err(err)?, "move")?;
            let leaf = match from.delimiter.as_deref().and_then(|d| from.name.rsplit_once(d)) {
                Some((_, leaf)) => leaf.to_string(),
                None => from.name.clone(),
            };
            let (full, _) = place(*parent, &decode_mutf7(&leaf), Some(&from))?;
            if full == from.name {
                return Ok(Vec::new());
            }
            rename(&from, &full)
        }
        MailAction::DeleteFolder { folder } => {
            let top = found(row(tx, account, *folder))?;
            let rows = subtree(tx, account, &top).map_err(err)?;
            kept(&top, &rows, "delete")?;
            let mut ops = Vec::new();
            for r in rows {
                // Their messages go with them (ON DELETE CASCADE).
                tx.execute("DELETE FROM folders WHERE id = ?1", [r.id.0]).map_err(err)?;
                ops.push(ServerOp::DeleteFolder { name: r.name });
            }
            Ok(ops)
        }
        _ => Err(Error::new(Kind::Storage, "not a change to folders")),
    }
}

/// The account's hierarchy delimiter, as its folders were listed (INBOX's first).
fn account_delimiter(conn: &Connection, account: AccountId) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT delimiter FROM folders WHERE account = ?1 AND delimiter IS NOT NULL AND delimiter != ''
         ORDER BY (upper(name) = 'INBOX') DESC, id LIMIT 1",
        [account.0],
        |r| r.get(0),
    )
    .optional()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::{FolderInfo, Store};

    pub(in crate::store) fn info(name: &str, role: Option<Role>) -> FolderInfo {
        FolderInfo {
            name: name.into(),
            delimiter: Some("/".into()),
            role,
            subscribed: true,
            selectable: true,
        }
    }

    pub(in crate::store) fn names(s: &Store, a: AccountId) -> Vec<String> {
        s.folders(a).unwrap().into_iter().map(|f| f.display_name).collect()
    }

    /// An IMAP account: the rows change at once, the server's names are recorded in order.
    #[test]
    fn folder_changes_apply_at_once_and_record_the_server_names() {
        let mut s = Store::open_in_memory().unwrap();
        let a = s.account("imap").unwrap();
        let f = s
            .replace_folders(
                a,
                &[info("INBOX", Some(Role::Inbox)), info("Trash", Some(Role::Trash)), info("Lists", None)],
            )
            .unwrap();
        let (inbox, lists) = (f[0].id, f[1].id);
        s.begin_folder(lists, 9).unwrap();
        s.insert_messages(lists, 9, &[crate::store::messages::tests::message(1)]).unwrap();

        s.queue_action(a, &MailAction::CreateFolder { parent: None, name: "Projekte 2026".into() }).unwrap();
        let top = s.folder(a, "Projekte 2026").unwrap().unwrap().id;
        s.queue_action(a, &MailAction::CreateFolder { parent: Some(top), name: "Entwürfe".into() }).unwrap();
        s.queue_action(a, &MailAction::CreateFolder { parent: Some(lists), name: "rust".into() }).unwrap();
        assert_eq!(
            names(&s, a),
            ["INBOX", "Lists", "Lists/rust", "Projekte 2026", "Projekte 2026/Entwürfe", "Trash"]
        );
        let sub = s.folder(a, "Projekte 2026/Entw&APw-rfe").unwrap().unwrap();
        assert_eq!((sub.delimiter.as_deref(), sub.uidvalidity), (Some("/"), None), "not synced yet");

        // Renaming takes the subfolders along and keeps the messages.
        s.queue_action(a, &MailAction::RenameFolder { folder: lists, to: "Listen ✉".into() }).unwrap();
        assert_eq!(
            names(&s, a),
            ["INBOX", "Listen ✉", "Listen ✉/rust", "Projekte 2026", "Projekte 2026/Entwürfe", "Trash"]
        );
        assert_eq!(s.counts(lists).unwrap().total, 1);
        // Moving is a rename under the new parent; to the top level and back.
        s.queue_action(a, &MailAction::MoveFolder { folder: lists, parent: Some(top) }).unwrap();
        assert_eq!(
            s.folder(a, "Projekte 2026/Listen &Jwk-/rust").unwrap().map(|f| f.display_name).as_deref(),
            Some("Projekte 2026/Listen ✉/rust")
        );
        s.queue_action(a, &MailAction::MoveFolder { folder: sub.id, parent: None }).unwrap();
        // Deleting takes the subfolders and their messages, the deepest first on the server.
        s.queue_action(a, &MailAction::DeleteFolder { folder: top }).unwrap();
        assert_eq!(names(&s, a), ["INBOX", "Entwürfe", "Trash"]);
        let ops: Vec<ServerOp> = s.pending_actions(a).unwrap().into_iter().map(|p| p.op).collect();
        let create = |name: &str| ServerOp::CreateFolder { name: name.into() };
        let rename = |from: &str, to: &str| ServerOp::RenameFolder { from: from.into(), to: to.into() };
        let delete = |name: &str| ServerOp::DeleteFolder { name: name.into() };
        assert_eq!(
            ops,
            [
                create("Projekte 2026"),
                create("Projekte 2026/Entw&APw-rfe"),
                create("Lists/rust"),
                rename("Lists", "Listen &Jwk-"),
                rename("Listen &Jwk-", "Projekte 2026/Listen &Jwk-"),
                rename("Projekte 2026/Entw&APw-rfe", "Entw&APw-rfe"),
                delete("Projekte 2026/Listen &Jwk-/rust"),
                delete("Projekte 2026/Listen &Jwk-"),
                delete("Projekte 2026"),
            ]
        );
        let _ = inbox;
    }

    #[test]
    fn folder_changes_are_checked_and_the_reason_said() {
        let mut s = Store::open_in_memory().unwrap();
        let a = s.account("imap").unwrap();
        let f = s
            .replace_folders(
                a,
                &[
                    info("INBOX", Some(Role::Inbox)),
                    info("Sent", Some(Role::Sent)),
                    info("Lists", None),
                    info("Lists/rust", None),
                ],
            )
            .unwrap();
        let (inbox, lists, rust, sent) = (f[0].id, f[1].id, f[2].id, f[3].id);
        let refused = |s: &mut Store, action: MailAction| {
            let e = s.queue_action(a, &action).unwrap_err();
            assert_eq!(e.kind(), Kind::Config, "{e}");
            e.to_string()
        };
        let create = |parent, name: &str| MailAction::CreateFolder { parent, name: name.into() };
        assert_eq!(refused(&mut s, create(None, "  ")), "A folder needs a name");
        assert!(refused(&mut s, create(None, "a/b")).contains("cannot contain “/”"));
        assert!(refused(&mut s, create(None, "Lists")).contains("already a folder called “Lists”"));
        assert!(refused(&mut s, create(None, "inbox")).contains("already a folder"));
        assert!(refused(&mut s, create(Some(lists), "rust")).contains("already a folder called “rust”"));
        let e = refused(&mut s, MailAction::DeleteFolder { folder: sent });
        assert_eq!(
            e,
            "cannot delete “Sent”: Inbox, Sent, Drafts and Trash are special folders the account needs"
        );
        assert!(
            refused(&mut s, MailAction::DeleteFolder { folder: inbox }).contains("cannot delete “INBOX”")
        );
        assert!(
            refused(&mut s, MailAction::RenameFolder { folder: sent, to: "Gesendet".into() })
                .contains("cannot rename")
        );
        assert!(
            refused(&mut s, MailAction::MoveFolder { folder: sent, parent: Some(lists) })
                .contains("cannot move")
        );
        assert!(
            refused(&mut s, MailAction::MoveFolder { folder: lists, parent: Some(rust) })
                .contains("inside itself")
        );
        assert!(
            refused(&mut s, MailAction::MoveFolder { folder: lists, parent: Some(lists) })
                .contains("inside itself")
        );
        assert!(
            refused(&mut s, MailAction::RenameFolder { folder: rust, to: "x/y".into() })
                .contains("cannot contain")
        );
        // A folder holding a special one is kept too.
        s.queue_action(a, &MailAction::MoveFolder { folder: rust, parent: None }).unwrap();
        assert!(s.pending_actions(a).unwrap().len() == 1 && names(&s, a).contains(&"rust".to_string()));
        // Nothing refused left a trace.
        assert_eq!(names(&s, a), ["INBOX", "Lists", "Sent", "rust"]);
    }

    /// A POP3 account's folders: the same checks, applied at once, nothing recorded.
    #[test]
    fn local_folder_changes_apply_completely() {
        let mut s = Store::open_in_memory().unwrap();
        let a = s.account("pop").unwrap();
        let inbox = s.pop3_setup(a).unwrap();
        s.queue_action(a, &MailAction::CreateFolder { parent: None, name: "Reisen".into() }).unwrap();
        let trips = s.folder(a, "Reisen").unwrap().unwrap();
        assert_eq!(trips.uidvalidity, Some(super::super::pop3::LOCAL_UIDVALIDITY), "ready to take messages");
        s.queue_action(a, &MailAction::CreateFolder { parent: Some(trips.id), name: "Zürich".into() })
            .unwrap();
        s.queue_action(a, &MailAction::RenameFolder { folder: trips.id, to: "Urlaub".into() }).unwrap();
        assert!(names(&s, a).contains(&"Urlaub/Zürich".to_string()), "{:?}", names(&s, a));
        let zurich = s.folder(a, "Urlaub/Z&APw-rich").unwrap().unwrap().id;
        s.queue_action(a, &MailAction::MoveFolder { folder: zurich, parent: None }).unwrap();
        assert!(
            s.queue_action(a, &MailAction::MoveFolder { folder: inbox, parent: Some(trips.id) }).is_err()
        );
        s.queue_action(a, &MailAction::DeleteFolder { folder: trips.id }).unwrap();
        assert_eq!(names(&s, a), ["INBOX", "Drafts", "Sent", "Trash", "Zürich"]);
        assert!(s.pending_actions(a).unwrap().is_empty(), "nothing waits for a server");
    }
}
