//! A header chunk whose FETCH answer cannot be parsed: the engine splits it on new
//! connections until the one bad message is isolated, stores it as an error row, and syncs
//! the rest. Real Dovecot never sends a broken answer on demand, so a scripted server
//! (below) speaks just enough IMAP: greeting, CAPABILITY, LOGIN, LIST, LSUB, SELECT,
//! UID SEARCH, UID FETCH, LOGOUT.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tidings_mail::account::Security;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::store::{Sort, Store, StoreHandle};
use tidings_mail::sync::{Engine, Progress, SyncOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MESSAGES: u32 = 40;
/// Their header answers carry a FLAGS list the parser rejects (a nested list).
const BAD: [u32; 2] = [17, 31];

/// What the scripted server saw: one entry per connection, the commands it got.
type Log = Arc<Mutex<Vec<Vec<String>>>>;

async fn fake_server() -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let log2 = log.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let n = {
                let mut l = log2.lock().unwrap();
                l.push(Vec::new());
                l.len() - 1
            };
            tokio::spawn(serve(sock, log2.clone(), n));
        }
    });
    (port, log)
}

fn header(uid: u32) -> String {
    format!(
        "Date: Mon, 1 Jan 2024 10:{:02}:00 +0000\r\nFrom: Fake Sender <fake{uid}@example.test>\r\n\
         Subject: Message {uid}\r\nMessage-ID: <fake.{uid}@example.test>\r\n\r\n",
        uid % 60
    )
}

/// "1:5,7" → {1,2,3,4,5,7}; "*" is the highest UID.
fn parse_set(set: &str) -> BTreeSet<u32> {
    let num = |s: &str| if s == "*" { MESSAGES } else { s.parse().unwrap() };
    let mut out = BTreeSet::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b) = (num(a), num(b));
                out.extend(a.min(b)..=a.max(b).min(MESSAGES));
            }
            None => {
                out.insert(num(part));
            }
        }
    }
    out
}

async fn serve(sock: TcpStream, log: Log, conn: usize) {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r).lines();
    let _ = w.write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        log.lock().unwrap()[conn].push(line.clone());
        let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let upper = rest.to_ascii_uppercase();
        let mut out = String::new();
        if upper.starts_with("CAPABILITY") {
            out.push_str("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n");
        } else if upper.starts_with("LIST") {
            out.push_str("* LIST (\\HasNoChildren) \"/\" INBOX\r\n");
        } else if upper.starts_with("LSUB") {
            out.push_str("* LSUB () \"/\" INBOX\r\n");
        } else if upper.starts_with("SELECT") {
            out.push_str(&format!(
                "* FLAGS (\\Seen \\Flagged)\r\n* {MESSAGES} EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n* OK [UIDNEXT {}] ok\r\n",
                MESSAGES + 1
            ));
        } else if upper.starts_with("UID SEARCH") {
            let all: Vec<String> = (1..=MESSAGES).map(|u| u.to_string()).collect();
            out.push_str(&format!("* SEARCH {}\r\n", all.join(" ")));
        } else if upper.starts_with("UID FETCH") {
            let set = parse_set(rest.split(' ').nth(2).unwrap_or(""));
            let headers = upper.contains("HEADER.FIELDS");
            for uid in set {
                let flags = if headers && BAD.contains(&uid) { "\\Seen (Junk)" } else { "\\Seen" };
                let mut item = format!(
                    "* {uid} FETCH (UID {uid} FLAGS ({flags}) RFC822.SIZE {} INTERNALDATE \"01-Jan-2024 10:00:00 +0000\"",
                    1000 + uid
                );
                if headers {
                    let h = header(uid);
                    item.push_str(&format!(
                        " BODY[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE)] {{{}}}\r\n{h}",
                        h.len()
                    ));
                }
                item.push_str(")\r\n");
                out.push_str(&item);
            }
        } else if upper.starts_with("LOGOUT") {
            out.push_str("* BYE fake logging out\r\n");
        } else if !upper.starts_with("LOGIN") && !upper.starts_with("NOOP") {
            out.push_str(&format!("{tag} BAD unknown command\r\n"));
            let _ = w.write_all(out.as_bytes()).await;
            continue;
        }
        out.push_str(&format!("{tag} OK done\r\n"));
        if w.write_all(out.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn an_unparsable_message_is_isolated_and_the_rest_syncs() {
    let (port, log) = fake_server().await;
    let mut ep = Endpoint::new("127.0.0.1", port, Security::None);
    ep.timeouts.io = Duration::from_secs(5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
    let transcript = Transcript::new();
    let mut engine = Engine::with_endpoint("fake", ep, "alice", "fake-password-1", store, transcript.clone());
    // Small chunks (8, then 16): both bad messages sit in the second chunk, split until each
    // is alone.
    engine.set_options(SyncOptions { first_chunk: 8, chunk: 16, ..SyncOptions::default() });
    let events: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let ev = events.clone();
    let progress = move |p: &Progress| ev.lock().unwrap().push(p.clone());

    let report =
        tokio::time::timeout(Duration::from_secs(60), engine.sync_account(&progress)).await.unwrap().unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert!(report.ok(), "{report:?}");
    let inbox = &report.folders[0];
    assert_eq!((inbox.total, inbox.new, inbox.errors), (u64::from(MESSAGES), u64::from(MESSAGES), 2));
    assert_eq!(inbox.headers_fetched, u64::from(MESSAGES) - 2);
    // Each bad message costs a few reconnects (log2 of its chunk + 1), not one per message.
    assert!((2..=12).contains(&inbox.reconnects), "{}", inbox.reconnects);
    assert_eq!(report.connections, 1 + inbox.reconnects);
    assert_eq!(log.lock().unwrap().len() as u32, report.connections);

    // A second connection on the same file, as the GUI would read it.
    let mut reader = Store::open(&path).unwrap();
    let account = reader.account("fake").unwrap();
    let folders = reader.folders(account).unwrap();
    let rows = reader.list(folders[0].id, Sort::NEWEST, 0, 100).unwrap();
    assert_eq!(rows.len() as u32, MESSAGES);
    for r in &rows {
        if BAD.contains(&r.uid) {
            let why = r.parse_error.as_deref().expect("error row");
            assert!(why.contains("could not be read") && why.contains("(Junk)"), "{why}");
            // Flags, size and date came from the separate small FETCH.
            assert_eq!((r.size, r.flags.joined().as_str()), (1000 + r.uid, "\\Seen"));
            assert_eq!(r.summary.subject, None);
        } else {
            assert_eq!(r.parse_error, None);
            assert_eq!(r.summary.subject.as_deref(), Some(format!("Message {}", r.uid).as_str()));
            assert_eq!(r.summary.from_addr.as_deref(), Some(format!("fake{}@example.test", r.uid).as_str()));
        }
    }

    // Newest first: the first header FETCH asks for the 8 highest UIDs.
    let first_fetch = log.lock().unwrap()[0].iter().find(|c| c.contains("HEADER.FIELDS")).cloned().unwrap();
    assert!(first_fetch.contains("UID FETCH 33:40 "), "{first_fetch}");
    let events: Vec<Progress> = events.lock().unwrap().clone();
    let headers: Vec<&Progress> =
        events.iter().filter(|p| p.phase == tidings_mail::sync::Phase::Headers && p.done > 0).collect();
    assert!(headers.windows(2).all(|w| w[0].done <= w[1].done));
    assert_eq!(headers.last().unwrap().done, u64::from(MESSAGES));
    assert!(!transcript.render().contains("fake-password-1"));

    // Nothing changed: the next sync asks for no header and no connection is broken.
    let again = engine.sync_folder("INBOX", &tidings_mail::sync::no_progress).await.unwrap();
    assert_eq!(
        (again.new, again.headers_fetched, again.reconnects, again.total),
        (0, 0, 0, u64::from(MESSAGES))
    );
}
