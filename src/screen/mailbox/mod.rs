//! The mailbox: folders on the left, the message list above the reader on the right, a
//! toolbar on top and a status line at the bottom. Opening it opens the mail store, shows
//! what the store holds at once and gets mail (a sync) with its progress in the status line;
//! the list fills as the store fills.
//!
//! Data flow: the screen owns two store handles on the same file (WAL): one reads (folders,
//! counts, windows of the list, kept bodies) so reading never waits behind the sync's
//! writes; the other writes (the sync engine, actions). Every store call and all network
//! work runs in tasks; their answers come back as messages. `update` only moves data and
//! `view` builds only the visible rows.
//!
//! Parts: [`folders`] (tree), [`list`] (virtualised list), [`reader`] (headers, body,
//! attachments; [`message`] and [`html`] read a raw message), [`actions`] (toolbar, actions
//! through `Store::queue_action`), [`keys`] (the key map), [`remote`] (sync and body
//! fetches through the core's engine).

mod actions;
mod folders;
mod format;
mod getting;
mod html;
pub mod keys;
mod list;
mod message;
mod reader;
mod remote;
mod view;

use std::path::PathBuf;
use std::sync::Arc;

use iced::widget::scrollable::Viewport;
use iced::{Subscription, Task};

use tidings_mail::account::Account;
use tidings_mail::error::{Error, Kind};
use tidings_mail::options::BodyFormat;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{AccountId, FolderId, MessageRow, Role, SortKey, Store, StoreHandle};

pub use actions::MoveTarget;
pub use folders::{Node, icon, role_label};
pub use html::{Emphasis, Piece, Rich};
pub use keys::KeyAction;
pub use list::{List, ROW_HEIGHT, Step};
pub use message::{Attachment, Body, DisplayMessage};
pub use reader::{Opened, Reader};
pub use remote::SyncEvent;

use getting::Getting;
use remote::Remote;

/// Widget ids, so tests (and keyboard shortcuts) can reach each control.
pub mod id {
    pub const BACK: &str = "mailbox-back";
    pub const GET_MAIL: &str = "mailbox-get-mail";
    pub const TOGGLE_READ: &str = "mailbox-toggle-read";
    pub const TOGGLE_STAR: &str = "mailbox-toggle-star";
    pub const DELETE: &str = "mailbox-delete";
    pub const MOVE: &str = "mailbox-move";
    pub const LIST: &str = "mailbox-list";
    pub const READER: &str = "mailbox-reader";
    pub const SORT_SENDER: &str = "mailbox-sort-sender";
    pub const SORT_SUBJECT: &str = "mailbox-sort-subject";
    pub const SORT_DATE: &str = "mailbox-sort-date";
    pub const SORT_SIZE: &str = "mailbox-sort-size";

    /// A folder in the folder pane, by its server name.
    pub fn folder(name: &str) -> String {
        format!("mailbox-folder-{name}")
    }

    /// A message row, by UID.
    pub fn row(uid: u32) -> String {
        format!("mailbox-row-{uid}")
    }
}

/// What the mailbox needs to open.
pub struct Setup {
    /// The store's key of the account (the config's account id).
    pub account_key: String,
    /// Shown in the toolbar.
    pub title: String,
    pub store_path: PathBuf,
    pub prefer: BodyFormat,
    /// How to reach the server; without it the mailbox shows what the store holds.
    pub server: Option<Server>,
}

pub struct Server {
    pub account: Account,
    pub secrets: Secrets,
    /// Where the redacted transcript goes, when the account asks for one.
    pub log: Option<PathBuf>,
}

impl Setup {
    /// A configured account: its store in the profile, its server, its password.
    pub fn for_account(profile: &Profile, account: &Account, secrets: Secrets) -> Setup {
        Setup {
            account_key: account.id.clone(),
            title: account.name.clone(),
            store_path: profile.data_dir().join("mail.sqlite3"),
            prefer: account.options.body_format,
            server: Some(Server {
                account: account.clone(),
                secrets,
                log: account.log_transcript.then(|| profile.transcript_log(&account.id)),
            }),
        }
    }

    /// Only what the store holds (previews, tests): no getting mail, no body downloads.
    pub fn store_only(account_key: &str, title: &str, store_path: PathBuf) -> Setup {
        Setup {
            account_key: account_key.into(),
            title: title.into(),
            store_path,
            prefer: BodyFormat::Best,
            server: None,
        }
    }
}

/// The open store: a reading and a writing handle, and the account's row.
#[derive(Debug, Clone)]
pub struct Stores {
    read: StoreHandle,
    write: StoreHandle,
    account: AccountId,
}

#[derive(Debug, Clone)]
pub enum Message {
    Ready(Result<Stores, Error>),
    Folders(Result<Vec<folders::Entry>, Error>),
    SelectFolder(FolderId),
    Page(Result<list::Page, Error>),
    Scrolled(Viewport),
    SortBy(SortKey),
    /// A click on the row at this position, holding this UID.
    Click(usize, u32),
    Key(KeyAction),
    Body {
        folder: FolderId,
        uid: u32,
        result: Result<Arc<DisplayMessage>, Error>,
    },
    Sync(SyncEvent),
    /// What IDLE push reports (a folder synced because the server announced new mail).
    Push(remote::PushEvent),
    GetMail,
    ToggleRead,
    ToggleStar,
    Delete,
    MoveTo(FolderId),
    Acted(Result<(), Error>),
    LinkClicked(String),
    Back,
}

/// What the mailbox asks of the app.
pub enum Action {
    None,
    Run(Task<Message>),
    Back,
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::None => "None",
            Action::Run(_) => "Run(..)",
            Action::Back => "Back",
        })
    }
}

pub struct Mailbox {
    account_key: String,
    title: String,
    prefer: BodyFormat,
    /// The server settings until the store is open, then the remote built from them.
    server: Option<Server>,
    remote: Option<Remote>,
    stores: Option<Stores>,
    /// The store could not be opened.
    failure: Option<Error>,
    folders: Vec<Node>,
    list: List,
    reader: Reader,
    sync: Getting,
    /// A one-line note in the status bar (a refused action, a copied link).
    notice: Option<(String, bool)>,
}

impl Mailbox {
    /// The mailbox, and the task that opens its store (then lists folders and gets mail).
    pub fn new(setup: Setup) -> (Mailbox, Task<Message>) {
        let Setup { account_key, title, store_path, prefer, server } = setup;
        let open = open_store(account_key.clone(), store_path);
        let mailbox = Mailbox {
            account_key,
            title,
            prefer,
            server,
            remote: None,
            stores: None,
            failure: None,
            folders: Vec::new(),
            list: List::default(),
            reader: Reader::default(),
            sync: Getting::new("Opening the mail store…"),
            notice: None,
        };
        (mailbox, open)
    }

    pub fn account_key(&self) -> &str {
        &self.account_key
    }
    /// The account's row in the store, once open.
    pub fn account(&self) -> Option<AccountId> {
        self.stores.as_ref().map(|s| s.account)
    }
    pub fn folders(&self) -> &[Node] {
        &self.folders
    }
    pub fn list(&self) -> &List {
        &self.list
    }
    pub fn reader(&self) -> &Reader {
        &self.reader
    }
    pub fn status(&self) -> &str {
        &self.sync.status
    }
    pub fn is_syncing(&self) -> bool {
        self.sync.is_running()
    }
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|(n, _)| n.as_str())
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let push = match &self.remote {
            Some(remote) => {
                Subscription::run_with(remote::PushKey(remote.clone()), remote::push).map(Message::Push)
            }
            None => Subscription::none(),
        };
        Subscription::batch([keys::subscription(), push])
    }

    pub fn update(&mut self, message: Message) -> Action {
        let task = match message {
            Message::Ready(result) => self.ready(result),
            Message::Folders(result) => self.folders_loaded(result),
            Message::SelectFolder(folder) => self.select_folder(folder),
            Message::Page(result) => self.page(result),
            Message::Scrolled(viewport) => self.on_list(|list, store| list.scrolled(viewport, store)),
            Message::SortBy(key) => self.on_list(|list, store| list.sort_by(key, store)),
            Message::Click(index, uid) => self.click(index, uid),
            Message::Key(action) => self.key(action),
            Message::Body { folder, uid, result } => {
                self.reader.loaded(folder, uid, result);
                Task::none()
            }
            Message::Sync(event) => self.sync_event(event),
            Message::Push(event) => self.push_event(event),
            Message::GetMail => self.get_mail(),
            Message::ToggleRead => self.toggle_read(),
            Message::ToggleStar => self.toggle_star(),
            Message::Delete => self.delete(),
            Message::MoveTo(folder) => self.move_to(folder),
            Message::Acted(result) => self.acted(result),
            Message::LinkClicked(url) => self.link(url),
            Message::Back => return Action::Back,
        };
        if task.units() == 0 { Action::None } else { Action::Run(task) }
    }

    fn on_list(&mut self, f: impl FnOnce(&mut List, &StoreHandle) -> Task<Message>) -> Task<Message> {
        match &self.stores {
            Some(stores) => f(&mut self.list, &stores.read),
            None => Task::none(),
        }
    }

    fn ready(&mut self, result: Result<Stores, Error>) -> Task<Message> {
        let stores = match result {
            Ok(stores) => stores,
            Err(e) => {
                self.sync.status = format!("Cannot open the mail store: {e}.");
                self.sync.failed = true;
                self.failure = Some(e);
                return Task::none();
            }
        };
        if let Some(Server { account, secrets, log }) = self.server.take() {
            self.remote = Some(Remote::new(account, secrets, log, stores.write.clone()));
        }
        self.stores = Some(stores);
        self.sync.status = String::new();
        Task::batch([self.load_folders(), self.get_mail()])
    }

    fn load_folders(&self) -> Task<Message> {
        let Some(stores) = &self.stores else { return Task::none() };
        let (store, account) = (stores.read.clone(), stores.account);
        Task::perform(
            async move {
                store
                    .call(move |s| {
                        let list = s.folders(account)?;
                        list.into_iter()
                            .map(|folder| Ok(folders::Entry { counts: s.counts(folder.id)?, folder }))
                            .collect()
                    })
                    .await
            },
            Message::Folders,
        )
    }

    fn folders_loaded(&mut self, result: Result<Vec<folders::Entry>, Error>) -> Task<Message> {
        let entries = match result {
            Ok(entries) => entries,
            Err(e) => return self.failed(e),
        };
        self.folders = folders::tree(entries);
        let current = self.list.folder().filter(|f| self.folders.iter().any(|n| n.id == Some(*f)));
        if current.is_some() {
            return Task::none();
        }
        // First showing (or the folder shown is gone): the Inbox, else the first folder.
        let first = self.folders.iter().filter(|n| n.selectable);
        let inbox = self.folders.iter().find(|n| n.role == Some(Role::Inbox) && n.selectable);
        match inbox.or(first.clone().next()).and_then(|n| n.id) {
            Some(folder) => self.select_folder(folder),
            None => Task::none(),
        }
    }

    fn select_folder(&mut self, folder: FolderId) -> Task<Message> {
        if self.list.folder() == Some(folder) {
            return Task::none();
        }
        self.reader.clear();
        self.on_list(|list, store| list.show(folder, store))
    }

    fn page(&mut self, result: Result<list::Page, Error>) -> Task<Message> {
        match result {
            Ok(page) => self.on_list(|list, store| list.page(page, store)),
            Err(e) => {
                self.list.failed();
                self.failed(e)
            }
        }
    }

    fn click(&mut self, index: usize, uid: u32) -> Task<Message> {
        self.list.select(index, uid);
        match self.list.selected().cloned() {
            Some(row) => self.open(row),
            None => Task::none(),
        }
    }

    /// Shows a message in the reader and marks it read, as Thunderbird does.
    fn open(&mut self, row: MessageRow) -> Task<Message> {
        let (Some(stores), Some(folder)) = (&self.stores, self.list.folder()) else { return Task::none() };
        let folder_name =
            self.folders.iter().find(|n| n.id == Some(folder)).map(|n| n.name.clone()).unwrap_or_default();
        let (uid, unread) = (row.uid, row.unread);
        let load = self.reader.open(
            Opened { folder, folder_name, row },
            &stores.read,
            self.remote.clone(),
            self.prefer,
        );
        let mark = if unread { self.set_read(folder, uid, true) } else { Task::none() };
        Task::batch([load, mark])
    }

    fn key(&mut self, action: KeyAction) -> Task<Message> {
        let step = |list: &mut List, store: &StoreHandle, step| list.step(step, store);
        match action {
            KeyAction::Up => self.on_list(|l, s| step(l, s, Step::Up)),
            KeyAction::Down => self.on_list(|l, s| step(l, s, Step::Down)),
            KeyAction::PageUp => self.on_list(|l, s| step(l, s, Step::PageUp)),
            KeyAction::PageDown => self.on_list(|l, s| step(l, s, Step::PageDown)),
            KeyAction::First => self.on_list(|l, s| step(l, s, Step::First)),
            KeyAction::Last => self.on_list(|l, s| step(l, s, Step::Last)),
            KeyAction::Open => match self.list.selected().cloned() {
                Some(row) => self.open(row),
                None => Task::none(),
            },
            KeyAction::ToggleRead => self.toggle_read(),
            KeyAction::ToggleStar => self.toggle_star(),
            KeyAction::Delete => self.delete(),
            KeyAction::GetMail => self.get_mail(),
        }
    }

    fn acted(&mut self, result: Result<(), Error>) -> Task<Message> {
        if let Err(e) = result {
            self.notice = Some((format!("Cannot change the message: {}.", sentence(&e.to_string())), true));
        }
        self.refresh()
    }

    /// Links are not opened yet: a click copies the address.
    fn link(&mut self, url: String) -> Task<Message> {
        self.notice = Some((format!("Copied the link {url}"), false));
        iced::clipboard::write(url)
    }

    fn failed(&mut self, e: Error) -> Task<Message> {
        self.notice = Some((format!("{}. {}", sentence(&e.to_string()), e.kind().advice()), true));
        Task::none()
    }
}

/// Opens the two store handles on the store thread pool (file I/O, schema checks).
fn open_store(key: String, path: PathBuf) -> Task<Message> {
    Task::perform(
        async move {
            tokio::task::spawn_blocking(move || {
                let mut write = Store::open(&path)?;
                let account = write.account(&key)?;
                let read = Store::open(&path)?;
                Ok(Stores { read: StoreHandle::spawn(read)?, write: StoreHandle::spawn(write)?, account })
            })
            .await
            .unwrap_or_else(|e| {
                Err(Error::new(Kind::Storage, format!("cannot open the mail store (the task stopped: {e})")))
            })
        },
        Message::Ready,
    )
}

/// `cannot log in` → `Cannot log in` (the core's messages start lower-case).
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => {
            first.to_uppercase().chain(chars).collect::<String>().trim_end_matches('.').to_string()
        }
        None => String::new(),
    }
}
