//! Addresses already seen, for completing To/Cc/Bcc: the senders and recipients of the
//! messages in the store, most used first. No table of its own: a query over the list fields
//! the sync keeps (`from_name`/`from_addr`, and the display text of To and Cc).
//!
//! **Blocking**, like every store method: run it on a worker, never on the GUI thread.

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use super::Store;
use crate::error::Result;

/// One address people wrote to or received from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenAddress {
    pub name: Option<String>,
    pub email: String,
    /// In how many messages it appears (as sender, or in To/Cc).
    pub count: u64,
    /// The newest message it appears in (Unix seconds).
    pub last_seen: i64,
}

impl SeenAddress {
    /// `Name <email>`, as it goes into an address field.
    pub fn display(&self) -> String {
        match &self.name {
            Some(name) => crate::compose::Address::new(Some(name), &self.email).to_string(),
            None => self.email.clone(),
        }
    }
}

/// `%text%` for LIKE, with LIKE's own wildcards escaped.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// The addresses whose name or email contains `filter` (case-insensitive), most used
    /// first, then most recent; at most `limit`. An empty filter gives the most used overall.
    pub fn seen_addresses(&self, filter: &str, limit: usize) -> Result<Vec<SeenAddress>> {
        let filter = filter.trim();
        let pattern = like_pattern(filter);
        let mut seen: HashMap<String, SeenAddress> = HashMap::new();
        let mut add = |name: Option<&str>, email: &str, count: u64, last: i64| {
            let email = email.trim();
            if email.is_empty() || !email.contains('@') {
                return;
            }
            let name = name.map(str::trim).filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(email));
            let entry = seen.entry(email.to_lowercase()).or_insert_with(|| SeenAddress {
                name: None,
                email: email.to_string(),
                count: 0,
                last_seen: i64::MIN,
            });
            entry.count += count;
            if let Some(name) = name
                && (last >= entry.last_seen || entry.name.is_none())
            {
                entry.name = Some(name.to_string());
            }
            entry.last_seen = entry.last_seen.max(last);
        };

        // Senders: grouped by SQLite, so 100k messages from 300 people are 300 rows here.
        let err = self.err("read the addresses seen");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT from_addr, MAX(from_name), COUNT(*), MAX(sort_date) FROM messages
                 WHERE from_addr IS NOT NULL AND (from_addr LIKE ?1 ESCAPE '\\' OR from_name LIKE ?1 ESCAPE '\\')
                 GROUP BY lower(from_addr)",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([&pattern], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(&err)?;
        for row in rows {
            let (email, name, count, last) = row.map_err(&err)?;
            add(name.as_deref(), &email, count as u64, last);
        }

        // Recipients: the To/Cc display text ("Name <addr>, …"), grouped by the whole text
        // first (the same few lists repeat), then split here.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT list, COUNT(*), MAX(sort_date) FROM (
                    SELECT to_addrs AS list, sort_date FROM messages WHERE to_addrs LIKE ?1 ESCAPE '\\'
                    UNION ALL
                    SELECT cc_addrs, sort_date FROM messages WHERE cc_addrs LIKE ?1 ESCAPE '\\')
                 GROUP BY list",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![&pattern], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })
            .map_err(&err)?;
        let needle = filter.to_lowercase();
        for row in rows {
            let (list, count, last) = row.map_err(&err)?;
            for piece in crate::compose::split_address_list(&list) {
                // The stored text may be shortened with "…": a cut piece is not an address.
                if piece.ends_with('…') {
                    continue;
                }
                let Ok(a) = crate::compose::Address::parse(piece) else { continue };
                let matches = a.email.to_lowercase().contains(&needle)
                    || a.name.as_deref().is_some_and(|n| n.to_lowercase().contains(&needle));
                if matches {
                    add(a.name.as_deref(), &a.email, count as u64, last);
                }
            }
        }

        let mut out: Vec<SeenAddress> = seen.into_values().collect();
        // Addresses starting with what was typed come first, then the most used.
        let starts = |a: &SeenAddress| {
            !(a.email.to_lowercase().starts_with(&needle)
                || a.name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().split_whitespace().any(|w| w.starts_with(&needle))))
        };
        out.sort_by(|a, b| {
            starts(a)
                .cmp(&starts(b))
                .then(b.count.cmp(&a.count))
                .then(b.last_seen.cmp(&a.last_seen))
                .then(a.email.cmp(&b.email))
        });
        out.truncate(limit);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Flags, FolderInfo, NewMessage, Role, Summary};

    fn msg(uid: u32, from: (&str, &str), to: &str, cc: Option<&str>) -> NewMessage {
        NewMessage {
            uid,
            modseq: None,
            flags: Flags::default(),
            size: 100,
            internal_date: Some(1_700_000_000 + i64::from(uid)),
            summary: Summary {
                date: Some(1_700_000_000 + i64::from(uid)),
                from_name: Some(from.0.to_string()).filter(|n| !n.is_empty()),
                from_addr: Some(from.1.to_string()),
                to: Some(to.to_string()),
                cc: cc.map(str::to_string),
                ..Summary::default()
            },
            parse_error: None,
        }
    }

    #[test]
    fn senders_and_recipients_most_used_first_filtered() {
        let mut s = Store::open_in_memory().unwrap();
        let a = s.account("alice").unwrap();
        let info = FolderInfo {
            name: "INBOX".into(),
            delimiter: None,
            role: Some(Role::Inbox),
            subscribed: true,
            selectable: true,
        };
        let f = s.replace_folders(a, &[info]).unwrap()[0].id;
        s.begin_folder(f, 1).unwrap();
        let msgs = vec![
            msg(1, ("Bob Builder", "bob@example.test"), "Alice <alice@example.test>", None),
            msg(
                2,
                ("Bob Builder", "BOB@example.test"),
                "alice@example.test",
                Some("Carol Cooper <carol@example.test>"),
            ),
            msg(
                3,
                ("", "dan@example.test"),
                "Alice <alice@example.test>, \"Doe, Erin\" <erin@example.test>",
                None,
            ),
            msg(4, ("Zed", "zed@example.test"), "alice@example.test, bobby-cut@exam…", None),
            msg(5, ("Bob Builder", "bob@example.test"), "Alice <alice@example.test>", None),
        ];
        s.insert_messages(f, 1, &msgs).unwrap();

        let all = s.seen_addresses("", 50).unwrap();
        let emails: Vec<&str> = all.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(emails[0], "alice@example.test", "five messages");
        assert_eq!(emails[1], "bob@example.test", "three messages, one case-insensitive");
        assert!(!emails.iter().any(|e| e.contains('…')), "a cut address is left out: {emails:?}");
        assert_eq!(all[1].count, 3);
        assert_eq!(all[1].name.as_deref(), Some("Bob Builder"));

        let bo = s.seen_addresses("bo", 10).unwrap();
        assert_eq!(bo.iter().map(|a| a.email.as_str()).collect::<Vec<_>>(), ["bob@example.test"]);
        let coop = s.seen_addresses("COOP", 10).unwrap();
        assert_eq!(coop.len(), 1);
        assert_eq!(coop[0].display(), "Carol Cooper <carol@example.test>");
        let erin = s.seen_addresses("erin", 10).unwrap();
        assert_eq!(erin[0].display(), "\"Doe, Erin\" <erin@example.test>");
        // LIKE's wildcards are literal here.
        assert!(s.seen_addresses("%", 10).unwrap().is_empty());
        assert_eq!(s.seen_addresses("", 2).unwrap().len(), 2);
    }
}
