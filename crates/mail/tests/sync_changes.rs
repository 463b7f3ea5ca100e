//! Changes made elsewhere reach the store on the next sync: flags set by another IMAP client
//! (with CONDSTORE's CHANGEDSINCE and with the full flag comparison), a message expunged, a
//! new delivery, and a folder whose UIDVALIDITY changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use futures::StreamExt;
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::imap;
use tidings_mail::net::{Dir, Transcript};
use tidings_mail::store::{FolderId, MessageRow, Sort, Store, StoreHandle};
use tidings_mail::sync::{Engine, SyncOptions, SyncReport, no_progress};
use tidings_testkit::{MailServers, User};

struct Setup {
    servers: MailServers,
    store: StoreHandle,
    reader: Store,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new(messages: usize) -> Setup {
        let servers = common::servers();
        servers.seed(servers.user("alice"), messages).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
        let reader = Store::open(&path).unwrap();
        Setup { servers, store, reader, _dir: dir }
    }

    fn alice(&self) -> &User {
        self.servers.user("alice")
    }

    fn engine(&self, condstore: bool, transcript: &Transcript) -> Engine {
        let s = &self.servers;
        let ep = common::endpoint(s, s.imaps_port(), Security::Implicit);
        let a = self.alice();
        let mut e = Engine::with_endpoint(
            "alice",
            ep,
            a.login.clone(),
            a.password.clone(),
            self.store.clone(),
            transcript.clone(),
        );
        e.set_options(SyncOptions { use_condstore: condstore, ..SyncOptions::default() });
        e
    }

    async fn sync(&self, condstore: bool) -> (SyncReport, Vec<String>) {
        let t = Transcript::new();
        let mut e = self.engine(condstore, &t);
        let r = e.sync_folder("INBOX", &no_progress).await.unwrap();
        e.logout().await.unwrap();
        println!("{}", serde_json::to_string(&r).unwrap());
        let sent = t.lines().into_iter().filter(|l| l.dir == Dir::Client).map(|l| l.text).collect();
        (r, sent)
    }

    fn inbox(&mut self) -> FolderId {
        let account = self.reader.account("alice").unwrap();
        self.reader.folder(account, "INBOX").unwrap().unwrap().id
    }

    fn row(&mut self, uid: u32) -> Option<MessageRow> {
        let inbox = self.inbox();
        self.reader.message(inbox, uid).unwrap()
    }

    /// A second, independent client with INBOX selected.
    async fn other(&self) -> imap::Session {
        let s = &self.servers;
        let ep = common::endpoint(s, s.imaps_port(), Security::Implicit);
        let mut facts = SessionFacts::default();
        let lc = imap::open(&ep, &Transcript::new(), &mut facts).await.unwrap();
        let mut session = imap::login(
            lc,
            &ep,
            &Credential::password(&self.alice().login, &self.alice().password),
            &mut facts,
        )
        .await
        .unwrap();
        session.select("INBOX").await.unwrap();
        session
    }
}

async fn store_flags(session: &mut imap::Session, uid: u32, change: &str) {
    let updates: Vec<_> = session.uid_store(uid.to_string(), change).await.unwrap().collect().await;
    assert!(updates.iter().all(Result::is_ok), "{updates:?}");
}

#[tokio::test]
async fn flags_expunges_and_new_mail_from_elsewhere_are_seen() {
    let mut s = Setup::new(60);
    let (first, _) = s.sync(true).await;
    assert_eq!((first.total, first.new), (60, 60));
    // Seeded message i has UID i + 1: UID 1 (i = 0) is unseen and flagged, UID 2 is seen.
    assert!(s.row(1).unwrap().unread && s.row(1).unwrap().flagged);
    assert!(!s.row(2).unwrap().unread && !s.row(2).unwrap().flagged);

    let mut other = s.other().await;
    store_flags(&mut other, 1, "+FLAGS (\\Seen)").await;
    store_flags(&mut other, 2, "+FLAGS (\\Flagged $Important)").await;
    store_flags(&mut other, 3, "-FLAGS (\\Seen)").await;
    store_flags(&mut other, 10, "+FLAGS (\\Deleted)").await;
    let expunged: Vec<_> = other.expunge().await.unwrap().collect().await;
    assert_eq!(expunged.len(), 1);
    s.servers.deliver(s.alice(), b"From: New Sender <new@example.org>\r\nSubject: Fresh news\r\nMessage-ID: <fresh@example.org>\r\n\r\nhello\r\n").unwrap();

    let (r, sent) = s.sync(true).await;
    assert_eq!((r.new, r.expunged, r.updated_flags, r.total), (1, 1, 3, 60), "{sent:#?}");
    assert_eq!(r.headers_fetched, 1, "only the new message's header is fetched");
    assert!(sent.iter().any(|l| l.contains("(CHANGEDSINCE ")), "{sent:#?}");
    assert!(!s.row(1).unwrap().unread);
    let two = s.row(2).unwrap();
    assert!(two.flagged && two.flags.contains("$Important"), "{two:?}");
    assert!(s.row(3).unwrap().unread);
    assert!(s.row(10).is_none(), "expunged elsewhere, gone here");
    let inbox = s.inbox();
    let rows = s.reader.list(inbox, Sort::NEWEST, 0, 100).unwrap();
    let fresh = rows.iter().find(|r| r.summary.message_id.as_deref() == Some("fresh@example.org")).unwrap();
    assert_eq!((fresh.uid, fresh.summary.subject.as_deref()), (61, Some("Fresh news")));

    // Without CONDSTORE: every flag is compared, and the same kind of change is found.
    store_flags(&mut other, 4, "+FLAGS (\\Answered)").await;
    store_flags(&mut other, 5, "-FLAGS (\\Flagged)").await;
    let (r, sent) = s.sync(false).await;
    assert_eq!((r.new, r.expunged, r.updated_flags, r.total), (0, 0, 1, 60), "{sent:#?}");
    assert!(sent.iter().any(|l| l.ends_with("UID FETCH 1:* (UID FLAGS)")), "{sent:#?}");
    assert!(s.row(4).unwrap().answered);
    // UID 5 (i = 4) was never flagged; removing \Flagged changed nothing, so 1 update.
    assert!(!s.row(5).unwrap().flagged);

    // Back to CONDSTORE: the sync without it recorded no HIGHESTMODSEQ, so this one
    // compares all flags once more; the next one has nothing to fetch at all.
    let (r, sent) = s.sync(true).await;
    assert_eq!((r.new, r.updated_flags, r.expunged), (0, 0, 0));
    assert!(sent.iter().any(|l| l.ends_with("UID FETCH 1:* (UID FLAGS)")), "{sent:#?}");
    let (r, sent) = s.sync(true).await;
    assert_eq!((r.new, r.updated_flags, r.expunged, r.total), (0, 0, 0, 60));
    assert!(sent.iter().all(|l| !l.contains("FETCH") && !l.contains("SEARCH")), "{sent:#?}");
    other.logout().await.unwrap();
}

#[tokio::test]
async fn a_new_uidvalidity_drops_the_folder_cache_and_refills_it() {
    let mut s = Setup::new(30);
    let t = Transcript::new();
    let mut e = s.engine(true, &t);
    let first = e.sync_folder("INBOX", &no_progress).await.unwrap();
    assert_eq!(first.total, 30);
    e.fetch_body("INBOX", 3).await.unwrap();
    e.logout().await.unwrap();
    let old = s.row(3).unwrap();
    assert!(old.has_body);

    let out =
        s.servers.doveadm(&["mailbox", "update", "-u", "alice", "--uid-validity", "777", "INBOX"]).unwrap();
    println!("doveadm: {out}");
    let status = s.servers.doveadm(&["mailbox", "status", "-u", "alice", "uidvalidity", "INBOX"]).unwrap();
    assert!(status.contains("uidvalidity=777"), "{status}");

    let (r, _) = s.sync(true).await;
    assert!(r.uidvalidity_changed);
    assert_eq!((r.total, r.new, r.expunged), (30, 30, 0));
    let inbox = s.inbox();
    let rows = s.reader.list(inbox, Sort::NEWEST, 0, 100).unwrap();
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r.uidvalidity == 777 && !r.has_body), "old bodies went with the old UIDs");
    let account = s.reader.account("alice").unwrap();
    assert_eq!(s.reader.folder(account, "INBOX").unwrap().unwrap().uidvalidity, Some(777));
    s.reader.check_integrity().unwrap();
}
