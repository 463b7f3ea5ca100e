//! `UID SEARCH` in one folder, for the server's side of search (`crate::search::server`).
//!
//! The keys go as the query gives them: atoms as they are, strings quoted when they are
//! printable ASCII, else (unless the session enabled UTF-8, RFC 6855, where quoted strings
//! carry UTF-8 and no CHARSET may be named) as literals after `CHARSET UTF-8` —
//! non-synchronising (`{n+}`) when the server offers LITERAL+, else each one after the
//! server's `+`. The answer is read one response at a time: of the UIDs it lists, the
//! newest `cap` are kept and the rest only counted, so a server listing millions costs
//! memory for `cap`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use async_imap::imap_proto::{MailboxDatum, Response, Status};

use super::{Conn, Engine};
use crate::error::{Error, Kind, Result};

/// One piece of a search: a search key or anything else sent as it is (`UNSEEN`, `(`,
/// `LARGER`, `1048576`, `1-Feb-2024`), or a string argument (what `TEXT` looks for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchArg {
    Atom(String),
    Text(String),
}

/// What one folder's `UID SEARCH` answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderUids {
    /// The newest UIDs listed (at most the cap), newest first.
    pub uids: Vec<u32>,
    /// How many UIDs the server listed in all.
    pub listed: u64,
}

impl FolderUids {
    /// UIDs the server listed beyond the cap (counted, not kept).
    pub fn left_out(&self) -> u64 {
        self.listed - self.uids.len() as u64
    }
}

/// How the session takes strings outside printable ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wire {
    /// UTF-8 enabled (RFC 6855): quoted strings may hold it, and no CHARSET is named.
    pub utf8: bool,
    /// LITERAL+ (RFC 7888): literals need not wait for the server's `+`.
    pub literal_plus: bool,
}

/// The command after its tag, in pieces: each piece but the last ends by announcing a
/// synchronising literal, whose bytes start the next piece (after the server's `+`).
pub(crate) fn command(within: Option<&str>, keys: &[SearchArg], wire: Wire) -> Vec<String> {
    let charset = !wire.utf8 && keys.iter().any(|k| matches!(k, SearchArg::Text(t) if !t.is_ascii()));
    let mut pieces = Vec::new();
    let mut line = String::from("UID SEARCH");
    if charset {
        line.push_str(" CHARSET UTF-8");
    }
    if let Some(set) = within {
        line.push_str(" UID ");
        line.push_str(set);
    }
    for key in keys {
        // Parentheses hug what they enclose.
        if !line.ends_with('(') && *key != SearchArg::Atom(")".into()) {
            line.push(' ');
        }
        match key {
            SearchArg::Atom(a) => line.push_str(a),
            SearchArg::Text(t) => {
                // Control characters (a pasted line break) mean nothing to a search: spaces.
                let t: String = t.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
                if wire.utf8 || t.is_ascii() {
                    line.push('"');
                    for c in t.chars() {
                        if matches!(c, '"' | '\\') {
                            line.push('\\');
                        }
                        line.push(c);
                    }
                    line.push('"');
                } else if wire.literal_plus {
                    line.push_str(&format!("{{{}+}}\r\n{t}", t.len()));
                } else {
                    line.push_str(&format!("{{{}}}", t.len()));
                    pieces.push(std::mem::replace(&mut line, t));
                }
            }
        }
    }
    pieces.push(line);
    pieces
}

/// Keeps the newest `cap` of the UIDs it is given, and counts them all.
struct Newest {
    cap: usize,
    heap: BinaryHeap<Reverse<u32>>,
    listed: u64,
}

impl Newest {
    fn new(cap: usize) -> Newest {
        Newest { cap, heap: BinaryHeap::new(), listed: 0 }
    }

    fn add(&mut self, uid: u32) {
        self.listed += 1;
        if self.heap.len() < self.cap {
            self.heap.push(Reverse(uid));
        } else if self.heap.peek().is_some_and(|Reverse(least)| uid > *least) {
            self.heap.pop();
            self.heap.push(Reverse(uid));
        }
    }

    fn finish(self) -> FolderUids {
        let mut uids: Vec<u32> = self.heap.into_iter().map(|Reverse(u)| u).collect();
        uids.sort_unstable_by(|a, b| b.cmp(a));
        uids.dedup();
        FolderUids { uids, listed: self.listed }
    }
}

impl Engine {
    /// The store this engine writes to.
    pub(crate) fn store_handle(&self) -> &crate::store::StoreHandle {
        &self.store
    }

    /// The config id of the account this engine syncs.
    pub fn account_key(&self) -> &str {
        &self.account_key
    }

    /// `UID SEARCH` of `keys` in `folder` (its server name), limited to the UID set
    /// `within` when given. `uidvalidity` is the store's for the folder: when the server
    /// has another, the UIDs would name other messages, and the search fails. At most `cap`
    /// UIDs are kept (the newest); past `time` the search stops with an error (the
    /// connection is closed, the next command opens a new one).
    ///
    /// Dropping the future midway closes the connection in use; the engine opens another
    /// for its next command.
    pub async fn search_folder(
        &mut self,
        folder: &str,
        uidvalidity: u32,
        within: Option<&str>,
        keys: &[SearchArg],
        cap: usize,
        time: Duration,
    ) -> Result<FolderUids> {
        match tokio::time::timeout(time, self.search_in(folder, uidvalidity, within, keys, cap)).await {
            Ok(r) => r,
            Err(_) => {
                self.conn = None;
                self.transcript.note("the search took longer than its limit: stopped");
                Err(Error::new(
                    Kind::Network,
                    format!(
                        "searching \"{folder}\" on {} took longer than {} and was stopped",
                        self.ep.host,
                        humantime::format_duration(time)
                    ),
                ))
            }
        }
    }

    async fn search_in(
        &mut self,
        folder: &str,
        uidvalidity: u32,
        within: Option<&str>,
        keys: &[SearchArg],
        cap: usize,
    ) -> Result<FolderUids> {
        let sel = self.select(folder, false).await?;
        if sel.uidvalidity != uidvalidity {
            return Err(Error::new(
                Kind::Protocol,
                format!(
                    "the folder \"{folder}\" was recreated on the server (new UIDVALIDITY); sync it again"
                ),
            ));
        }
        // Out of the engine while the command runs: if this future is dropped midway, the
        // connection (with the rest of an answer on it) goes with it.
        let Some(mut conn) = self.conn.take() else {
            return Err(Error::new(Kind::Network, "no IMAP connection"));
        };
        let wire = Wire { utf8: conn.utf8, literal_plus: crate::imap::has(&conn.caps, "LITERAL+") };
        let r = run(&mut conn, &command(within, keys, wire), cap).await;
        super::drain(&mut conn);
        match r {
            Ok(found) => {
                self.conn = Some(conn);
                Ok(found)
            }
            Err(Failure::Imap(e)) => {
                self.conn = Some(conn);
                Err(self.imap_error(&format!("search \"{folder}\""), e))
            }
            Err(Failure::Refused { bad }) => {
                let words = self.transcript.last_server_line().unwrap_or_default();
                // A NO or BAD leaves the connection as it was.
                self.conn = Some(conn);
                let what = if words.to_ascii_uppercase().contains("[BADCHARSET") {
                    format!("{} cannot search for text outside ASCII in \"{folder}\"", self.ep.host)
                } else {
                    format!("{} refused to search \"{folder}\"", self.ep.host)
                };
                let kind = if bad { Kind::Protocol } else { Kind::RefusedByServer };
                Err(Error::new(kind, what).with_server(words))
            }
        }
    }
}

enum Failure {
    Imap(async_imap::error::Error),
    /// The server answered NO (or BAD).
    Refused {
        bad: bool,
    },
}

impl From<async_imap::error::Error> for Failure {
    fn from(e: async_imap::error::Error) -> Self {
        Failure::Imap(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Imap(async_imap::error::Error::Io(e))
    }
}

/// Sends the command's pieces (each after the server's `+`) and reads the answer.
async fn run(conn: &mut Conn, pieces: &[String], cap: usize) -> std::result::Result<FolderUids, Failure> {
    let mut newest = Newest::new(cap);
    let Some((first, rest)) = pieces.split_first() else { return Ok(newest.finish()) };
    let tag = conn.session.run_command(first).await?;
    let mut rest = rest.iter();
    let mut waiting = !rest.as_slice().is_empty();
    loop {
        let Some(response) = conn.session.read_response().await? else {
            return Err(Failure::Imap(async_imap::error::Error::ConnectionLost));
        };
        match response.parsed() {
            Response::Continue(_) if waiting => {
                if let Some(next) = rest.next() {
                    conn.session.run_command_untagged(next).await?;
                }
                waiting = !rest.as_slice().is_empty();
            }
            Response::MailboxData(MailboxDatum::Search(uids)) => uids.iter().for_each(|u| newest.add(*u)),
            Response::Done { tag: t, status, .. } if *t == tag => {
                return match status {
                    Status::Ok => Ok(newest.finish()),
                    other => Err(Failure::Refused { bad: *other == Status::Bad }),
                };
            }
            // Anything else (EXISTS, EXPUNGE, FETCH of flags…) is for the next sync.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> SearchArg {
        SearchArg::Text(t.into())
    }
    fn atom(a: &str) -> SearchArg {
        SearchArg::Atom(a.into())
    }

    #[test]
    fn ascii_is_quoted_and_other_text_goes_as_literals() {
        let plain = Wire { utf8: false, literal_plus: false };
        let keys = [atom("UNSEEN"), atom("TEXT"), text("say \"hi\" \\o/")];
        assert_eq!(
            command(Some("1:5,9"), &keys, plain),
            ["UID SEARCH UID 1:5,9 UNSEEN TEXT \"say \\\"hi\\\" \\\\o/\""]
        );
        // Müller is 7 bytes; each literal waits for the server's "+".
        let keys = [atom("BODY"), text("Müller"), atom("FROM"), text("zoë"), atom("SEEN")];
        assert_eq!(
            command(None, &keys, plain),
            ["UID SEARCH CHARSET UTF-8 BODY {7}", "Müller FROM {4}", "zoë SEEN"]
        );
        let plus = Wire { utf8: false, literal_plus: true };
        assert_eq!(
            command(None, &keys, plus),
            ["UID SEARCH CHARSET UTF-8 BODY {7+}\r\nMüller FROM {4+}\r\nzoë SEEN"]
        );
        // With UTF-8 enabled: quoted, and no CHARSET (RFC 6855 forbids one).
        let utf8 = Wire { utf8: true, literal_plus: false };
        assert_eq!(command(None, &keys, utf8), ["UID SEARCH BODY \"Müller\" FROM \"zoë\" SEEN"]);
        // A line break pasted into a phrase never reaches the wire as one.
        let keys = [atom("TEXT"), text("a\r\nb")];
        assert_eq!(command(None, &keys, plain), ["UID SEARCH TEXT \"a  b\""]);
        let keys = [atom("TEXT"), text("ä\tb")];
        assert_eq!(command(None, &keys, plain), ["UID SEARCH CHARSET UTF-8 TEXT {4}", "ä b"]);
        assert_eq!(command(None, &keys, utf8), ["UID SEARCH TEXT \"ä b\""]);
    }

    #[test]
    fn only_the_newest_uids_are_kept_and_all_are_counted() {
        let mut n = Newest::new(3);
        for u in [5, 1, 9, 7, 2, 8, 3] {
            n.add(u);
        }
        let found = n.finish();
        assert_eq!(found.uids, [9, 8, 7]);
        assert_eq!((found.listed, found.left_out()), (7, 4));
        assert_eq!(Newest::new(0).finish(), FolderUids::default());
    }
}
