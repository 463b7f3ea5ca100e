//! Folder changes made in Tidings (create, rename, move, delete) show in the store at once and
//! are replayed to the real Dovecot by the next sync, names with non-ASCII letters in modified
//! UTF-7 and back; copied messages reach their folder; a name the server will not take comes
//! back with its words, also when IDLE replays it. A folder made here while a sync is
//! listing waits for its change to be replayed rather than being selected. `doveadm` checks
//! what the server holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pass_common;

use std::sync::Mutex;

use tidings_mail::account::{Incoming, Security};
use tidings_mail::idle::Mode;
use tidings_mail::net::Transcript;
use tidings_mail::pass::{AccountEvent, RunSettings};
use tidings_mail::schedule::{Event, Schedule};
use tidings_mail::store::{AccountId, Folder, FolderId, MailAction, Sort, Store, StoreHandle};
use tidings_mail::sync::{AccountReport, Engine, Phase, Progress, ProgressFn, no_progress};
use tidings_testkit::{MailServers, User};

struct Account<'a> {
    s: &'a MailServers,
    user: &'a User,
    store: StoreHandle,
    reader: Store,
    id: AccountId,
    _dir: tempfile::TempDir,
}

impl<'a> Account<'a> {
    /// A store synced once with `user`'s mailbox.
    async fn synced(s: &'a MailServers, user: &'a User) -> Account<'a> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.sqlite3");
        let store = StoreHandle::spawn(Store::open(&path).unwrap()).unwrap();
        let mut reader = Store::open(&path).unwrap();
        let id = reader.account(&user.login).unwrap();
        let mut account = Account { s, user, store, reader, id, _dir: dir };
        let first = account.sync().await;
        assert!(first.ok(), "{first:?}");
        account
    }

    async fn sync(&mut self) -> AccountReport {
        self.sync_with(&no_progress).await
    }

    async fn sync_with(&mut self, progress: ProgressFn<'_>) -> AccountReport {
        let ep = common::endpoint(self.s, self.s.imaps_port(), Security::Implicit);
        let mut engine = Engine::with_endpoint(
            &self.user.login,
            ep,
            self.user.login.clone(),
            self.user.password.clone(),
            self.store.clone(),
            Transcript::new(),
        );
        engine.sync_account(progress).await.unwrap()
    }

    fn path(&self) -> std::path::PathBuf {
        self._dir.path().join("mail.sqlite3")
    }

    fn queue(&mut self, action: MailAction) {
        self.reader.queue_action(self.id, &action).unwrap_or_else(|e| panic!("{action:?}: {e}"));
    }

    fn folder(&self, name: &str) -> Folder {
        let folders = self.reader.folders(self.id).unwrap();
        let found = folders.iter().find(|f| f.display_name == name).cloned();
        found.unwrap_or_else(|| panic!("no folder {name:?} in {:?}", names(&folders)))
    }

    fn shown(&self) -> Vec<String> {
        names(&self.reader.folders(self.id).unwrap())
    }

    fn total(&self, folder: FolderId) -> u64 {
        self.reader.counts(folder).unwrap().total
    }

    /// The server's folders, as doveadm lists them with `-7`: modified UTF-7, as IMAP spells them
    /// (its other commands take UTF-8).
    fn on_server(&self) -> Vec<String> {
        let out = self.s.doveadm(&["mailbox", "list", "-7", "-u", &self.user.login]).unwrap();
        let mut names: Vec<String> =
            out.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        names.sort();
        names
    }

    fn count(&self, mailbox: &str) -> usize {
        self.s.message_count(self.user, mailbox).unwrap()
    }
}

fn names(folders: &[Folder]) -> Vec<String> {
    folders.iter().map(|f| f.display_name.clone()).collect()
}

#[tokio::test]
async fn created_renamed_moved_and_deleted_folders_reach_dovecot() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 12).unwrap();
    let mut a = Account::synced(&s, alice).await;
    let inbox = a.folder("INBOX").id;

    // Created: in the store at once, on the server after the next sync.
    a.queue(MailAction::CreateFolder { parent: None, name: "Projects".into() });
    let projects = a.folder("Projects").id;
    a.queue(MailAction::CreateFolder { parent: Some(projects), name: "2026".into() });
    a.queue(MailAction::CreateFolder { parent: None, name: "Entwürfe für Zoë".into() });
    assert!(a.shown().contains(&"Projects/2026".to_string()), "{:?}", a.shown());
    assert!(a.folder("Entwürfe für Zoë").uidvalidity.is_none(), "not on the server yet");
    let report = a.sync().await;
    assert_eq!((report.actions_replayed, report.actions_refused.len()), (3, 0), "{report:?}");
    let server = a.on_server();
    for name in ["Projects", "Projects/2026", "Entw&APw-rfe f&APw-r Zo&AOs-"] {
        assert!(server.contains(&name.to_string()), "{name} is not on the server: {server:?}");
    }
    // Listed back by the server: the same rows (same ids), synced now, the name decoded.
    assert_eq!(a.folder("Projects").id, projects);
    assert!(a.folder("Entwürfe für Zoë").uidvalidity.is_some());
    assert!(a.reader.pending_actions(a.id).unwrap().is_empty());

    // Messages copied and moved into the new folders reach them on the server.
    let rows = a.reader.list(inbox, Sort::NEWEST, 0, 20).unwrap();
    let (copied, moved) = (vec![rows[0].uid, rows[1].uid], vec![rows[2].uid]);
    a.queue(MailAction::Copy { folder: inbox, uids: copied.clone(), to: projects });
    let sub = a.folder("Projects/2026").id;
    a.queue(MailAction::Move { folder: inbox, uids: moved, to: sub });
    let report = a.sync().await;
    assert_eq!(report.actions_replayed, 2, "{report:?}");
    assert_eq!((a.count("INBOX"), a.count("Projects"), a.count("Projects/2026")), (11, 2, 1));
    // The copies are in the store with the next sync, the originals stay.
    assert_eq!((a.total(inbox), a.total(projects), a.total(sub)), (11, 2, 1));

    // Renamed: the subfolder goes along, the messages stay where they are.
    a.queue(MailAction::RenameFolder { folder: projects, to: "Work ✓".into() });
    assert!(a.shown().contains(&"Work ✓/2026".to_string()), "{:?}", a.shown());
    assert_eq!(a.total(projects), 2, "the renamed folder keeps its messages in the store");
    let report = a.sync().await;
    assert_eq!((report.actions_replayed, report.actions_refused.len()), (1, 0), "{report:?}");
    let server = a.on_server();
    assert!(!server.iter().any(|n| n.starts_with("Projects")), "{server:?}");
    assert_eq!((a.count("Work ✓"), a.count("Work ✓/2026")), (2, 1), "{server:?}");
    assert_eq!(a.folder("Work ✓").id, projects);
    assert_eq!((a.total(projects), a.total(sub)), (2, 1));

    // Moved: to the top level, then into the non-ASCII folder.
    a.queue(MailAction::MoveFolder { folder: sub, parent: None });
    let drafts = a.folder("Entwürfe für Zoë").id;
    a.queue(MailAction::MoveFolder { folder: sub, parent: Some(drafts) });
    assert!(a.shown().contains(&"Entwürfe für Zoë/2026".to_string()), "{:?}", a.shown());
    let report = a.sync().await;
    assert_eq!((report.actions_replayed, report.actions_refused.len()), (2, 0), "{report:?}");
    assert_eq!(a.count("Entwürfe für Zoë/2026"), 1);
    assert!(!a.on_server().contains(&"Work &JxM-/2026".to_string()));
    assert_eq!(a.total(a.folder("Entwürfe für Zoë/2026").id), 1);

    // Deleted: with its subfolder and all their messages, here at once, then on the server.
    a.queue(MailAction::DeleteFolder { folder: drafts });
    a.queue(MailAction::DeleteFolder { folder: projects });
    assert!(!a.shown().iter().any(|n| n.starts_with("Entw") || n.starts_with("Work")), "{:?}", a.shown());
    let report = a.sync().await;
    assert_eq!((report.actions_replayed, report.actions_refused.len()), (3, 0), "{report:?}");
    let server = a.on_server();
    assert!(!server.iter().any(|n| n.starts_with("Entw") || n.starts_with("Work")), "{server:?}");
    assert_eq!(a.shown(), ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"].map(String::from));
    assert_eq!(a.count("INBOX"), 11);
}

#[tokio::test]
async fn a_folder_change_the_server_refuses_comes_back_with_its_words() {
    let s = common::servers();
    let bob = s.user("bob");
    s.seed(bob, 2).unwrap();
    let mut a = Account::synced(&s, bob).await;
    // Another client made "Receipts" meanwhile: the store does not know it yet.
    s.doveadm(&["mailbox", "create", "-u", &bob.login, "Receipts"]).unwrap();
    a.queue(MailAction::CreateFolder { parent: None, name: "Receipts".into() });
    let junk = a.folder("Junk").id;
    a.queue(MailAction::RenameFolder { folder: junk, to: "Receipts 2".into() });
    let report = a.sync().await;
    assert_eq!(report.actions_refused.len(), 1, "{report:?}");
    let refused = &report.actions_refused[0];
    assert!(refused.starts_with("create the folder Receipts: "), "{refused}");
    assert!(refused.contains("server said:") && refused.contains("exists"), "the server's words: {refused}");
    // The server's state wins: its folder is listed, the refused change forgotten.
    assert!(a.reader.pending_actions(a.id).unwrap().is_empty());
    assert!(a.folder("Receipts").uidvalidity.is_some());
    assert_eq!(a.on_server().iter().filter(|n| n.starts_with("Receipts")).count(), 2);
}

#[tokio::test]
async fn a_folder_made_here_while_a_sync_lists_is_made_on_the_server_at_the_end_of_that_sync() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 3).unwrap();
    let mut a = Account::synced(&s, alice).await;
    // Made in the window after the sync replayed the changes and before the server's folder
    // list is stored: the list keeps it (its change waits) and the sync does not select it;
    // the change goes out at the end of the same sync.
    let maker = Mutex::new(Some(Store::open(a.path()).unwrap()));
    let id = a.id;
    let make = |p: &Progress| {
        if p.phase == Phase::Folders
            && let Some(mut store) = maker.lock().unwrap().take()
        {
            store.queue_action(id, &MailAction::CreateFolder { parent: None, name: "Later".into() }).unwrap();
        }
    };
    let report = a.sync_with(&make).await;
    assert!(maker.lock().unwrap().is_none(), "the folder was made during the sync");
    assert!(report.ok(), "not selected before the server has it: {report:#?}");
    assert!(!report.folders.iter().any(|f| f.folder == "Later"), "{report:#?}");
    assert!(a.folder("Later").uidvalidity.is_none());
    // The change made during the pass went out at its end, not a whole interval later.
    assert_eq!(report.actions_replayed, 1, "{report:?}");
    assert!(a.reader.pending_actions(a.id).unwrap().is_empty(), "replayed at the end of the pass");
    assert!(a.on_server().contains(&"Later".to_string()));

    // The next sync syncs it.
    let report = a.sync().await;
    assert!(report.ok(), "{report:#?}");
    assert_eq!(report.actions_replayed, 0, "{report:?}");
    assert!(report.folders.iter().any(|f| f.folder == "Later"), "{report:#?}");
    assert!(a.folder("Later").uidvalidity.is_some());
}

/// With IDLE on, push replays the changes made here before it syncs what the server
/// announced; a change the server refuses there reaches the status bar as a pass's refusal
/// does (`ServerAlert`), in the server's words, not as a push failure nobody sees.
#[tokio::test]
async fn a_folder_change_refused_while_idling_is_said_as_a_pass_says_it() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 2).unwrap();
    s.doveadm(&["mailbox", "create", "-u", &alice.login, "Projects"]).unwrap();
    let mut account = pass_common::account(&s, alice, Incoming::Imap, s.imaps_port());
    account.options.idle = true;
    account.options.schedule = Schedule { at_start: true, every_minutes: None };
    let secrets = pass_common::secrets_for(&account, &alice.password);
    let mut run = pass_common::start(account, secrets, RunSettings::default());
    let mut seen = Vec::new();
    run.next_pass_end(30, &mut seen).await.unwrap();
    let idling =
        |e: &AccountEvent| matches!(e, AccountEvent::Idle(st) if st.mode == Mode::Idling).then_some(());
    if !seen.iter().any(|e| idling(e).is_some()) {
        run.wait_for(30, &mut seen, idling).await;
    }

    // Another client takes "Receipts" first: the store does not know it, the server refuses.
    s.doveadm(&["mailbox", "create", "-u", &alice.login, "Receipts"]).unwrap();
    let mut store = Store::open(&run.store_path).unwrap();
    let id = store.account(&alice.login).unwrap();
    let projects = store.folders(id).unwrap().into_iter().find(|f| f.name == "Projects").unwrap().id;
    store.queue_action(id, &MailAction::RenameFolder { folder: projects, to: "Receipts".into() }).unwrap();
    // New mail wakes IDLE: push replays the rename before it syncs the Inbox.
    s.deliver(alice, b"From: <bob@example.test>\r\nSubject: wake up\r\n\r\nhello\r\n").unwrap();
    let said = run
        .wait_for(30, &mut seen, |e| match e {
            AccountEvent::ServerAlert(text) | AccountEvent::PushFailed(text) if text.contains("rename") => {
                Some(e.clone())
            }
            _ => None,
        })
        .await;
    let AccountEvent::ServerAlert(text) = said else { panic!("not said to the person: {said:?}") };
    assert!(text.starts_with("rename the folder Projects to Receipts: "), "{text}");
    assert!(text.contains("server said:") && text.contains("exists"), "the server's words: {text}");
    let passes = seen.iter().filter(|e| matches!(e, AccountEvent::Schedule(Event::PassStarted(_)))).count();
    assert_eq!(passes, 1, "push replayed it, not a pass: {seen:#?}");
    assert!(store.pending_actions(id).unwrap().is_empty(), "the refused change is dropped");
    drop(run.commands);
    run.task.await.unwrap();
}
