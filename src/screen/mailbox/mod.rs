//! The mailbox: folders on the left, the message list above the reader on the right, a
//! toolbar on top and a status line at the bottom. Opening it opens the mail store and shows
//! what the store holds at once. Getting mail is the account's send/receive pass, which runs
//! in the app's per-account subscription: the mailbox asks for one (F5, Ctrl+T, the toolbar;
//! Ctrl+Shift+T and "Get all mail" for every account), shows the account's status bar, and
//! fills the list as the passes fill the store ([`News`]).
//!
//! IMAP and POP3 accounts share all of it: a POP3 account's local folders (Inbox, Sent,
//! Drafts, Trash) are ordinary folders of the store; a message downloaded as headers only
//! offers "Download the rest".
//!
//! Data flow: the screen owns two store handles on the same file (WAL): one reads (folders,
//! counts, windows of the list, kept bodies) so reading never waits behind the sync's
//! writes; the other writes (the sync engine, actions). Every store call and all network
//! work runs in tasks; their answers come back as messages. `update` only moves data and
//! `view` builds only the visible rows.
//!
//! Parts: [`setup`] (what it needs to open, and the opening of its store), [`id`] (widget
//! ids), [`folders`] (tree; [`folder_admin`] creates, renames, moves and deletes folders),
//! [`list`] (virtualised list; [`list_row`] one row), [`reader`] (headers, body,
//! attachments, forwarded messages, delivery reports; [`message`] picks what it shows from
//! the core's reading of a raw message, [`html`] names the rich-text model; [`invitation`]
//! the invitation card above the body: Accept/Tentative/Decline, "Save as .ics";
//! [`receipt`] read receipts: the bar, the receipt card, a sent message's receipts),
//! [`actions`] (actions through
//! `Store::queue_action`), [`toolbar`] (laid out for its width), [`panes`] (the dividers,
//! remembered across starts), [`restore`] (where the person left it: folder, selection,
//! order), [`keys`] (the key map), [`remote`] (body fetches through the core's IMAP engine,
//! or POP3's `fetch_rest`), [`getting`] (what passes tell it), [`outbox`] (the account's
//! Outbox: what waits to be sent, "Send again", "Remove"), [`search`] (the search field, and
//! its hits in place of the list), [`selection`] (several messages chosen, acted on at once),
//! [`picker`] ("Move to…" and "Copy to…"; [`drag`] rows dragged onto a folder), [`threads`]
//! (the threaded list), [`conversation`] (a thread's messages in the reader), [`views`]
//! ("All Inboxes", "Unread" and "Flagged" across every account).

mod actions;
mod content;
mod conversation;
pub mod drag;
mod elide;
mod folder_admin;
mod folders;
mod format;
mod getting;
mod html;
mod invitation;
pub mod keys;
mod list;
mod list_row;
mod message;
mod outbox;
mod panes;
mod picker;
mod reader;
mod receipt;
mod remote;
mod restore;
mod search;
mod selection;
mod setup;
mod signin;
mod threads;
mod toolbar;
mod view;
mod views;

use std::path::PathBuf;
use std::time::Instant;

use iced::widget::scrollable::Viewport;
use iced::{Subscription, Task};

use tidings_mail::error::Error;
use tidings_mail::message::remote::RemotePolicy;
use tidings_mail::options::BodyFormat;
use tidings_mail::store::{AccountId, FolderId, MessageRow, Role, SortKey, StoreHandle, Unified};
use tidings_mail::ui_state::Place;

pub use content::{Msg as ContentMsg, Remote as RemoteContent, Which};
pub use conversation::{Conversation, Msg as ConversationMsg};
pub use drag::{Msg as DragMsg, Spot as DropSpot};
pub use folder_admin::{Msg as FolderAdminMsg, id as folder_admin_id};
pub use folders::{Node, icon, role_label};
pub use getting::News;
pub use html::{Emphasis, Piece, Rich};
pub use invitation::{Msg as InvitationMsg, id as invitation_id};
pub use keys::KeyAction;
pub use list::{Key, List, ROW_HEIGHT, Source, Step, Whose};
pub use message::{Attachment, Body, DisplayMessage, RecipientStatus, Report};
pub use outbox::{Act as OutboxAct, id as outbox_id};
pub use picker::{Kind as PickKind, Msg as PickMsg};
pub use reader::{Loaded, Opened, Reader};
pub use receipt::{Bar as ReceiptBar, Msg as ReceiptMsg, Receipts, id as receipt_id};
pub use search::Msg as SearchMsg;
pub use selection::{Marks, Msg as SelectMsg};
pub use signin::Msg as SignInMsg;
pub use threads::{Line as ThreadLine, Msg as ThreadsMsg, Threads, ids as thread_id};

pub use setup::{Server, Setup};

use remote::Remote;

/// Widget ids, so tests (and keyboard shortcuts) can reach each control.
pub mod id;

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
    /// The views' counts and every account's folders, read with the folders.
    Views(Result<views::Views, Error>),
    SelectFolder(FolderId),
    /// "All Inboxes", "Unread" or "Flagged" in the list.
    SelectView(Unified),
    Page(Result<list::Page, Error>),
    Scrolled(Viewport),
    SortBy(SortKey),
    /// A click on the row at this position, holding this UID.
    Click(usize, u32),
    Key(KeyAction),
    Body {
        folder: FolderId,
        uid: u32,
        result: Result<Loaded, Error>,
    },
    /// What the account's send/receive passes changed.
    News(News),
    /// Show this message: its folder, selected in the list, open in the reader (a click on
    /// a new-mail notification).
    Reveal {
        folder: FolderId,
        uid: u32,
    },
    Revealed(Result<Option<Box<MessageRow>>, Error>),
    /// Download the rest of the opened headers-only message (POP3).
    DownloadRest,
    /// Send and receive now, for this account (F5, Ctrl+T, the toolbar)…
    GetMail,
    /// …or for every account (Ctrl+Shift+T, "Get all mail").
    GetAllMail,
    ToggleRead,
    ToggleStar,
    Delete,
    /// Write a message (the toolbar; the keys send [`KeyAction::Compose`]).
    Compose(crate::screen::composer::Kind),
    MoveTo(FolderId),
    /// Choosing several messages (the modifiers held, Ctrl+A's and Shift runs' answers).
    Select(selection::Msg),
    /// The "Move to…"/"Copy to…" panel.
    Picker(picker::Msg),
    /// Rows dragged onto a folder: the cursor over rows and folders, the button.
    Drag(drag::Msg),
    /// Creating, renaming, moving and deleting folders from the folder pane.
    FolderAdmin(folder_admin::Msg),
    Acted(Result<(), Error>),
    LinkClicked(String),
    /// Signing an OAuth2 account in again.
    SignIn(signin::Msg),
    /// A divider moved, or the saved pane sizes.
    Panes(panes::Msg),
    /// Open or close the toolbar's "More" row; with a message, an action chosen in it.
    More(Option<Box<Message>>),
    /// Time to show how much of the body being loaded has come.
    Progress,
    /// Attachments, links and remote content of the message in the reader.
    Content(content::Msg),
    /// The invitation card of the message in the reader.
    Invitation(invitation::Msg),
    /// The read-receipt bar of the message in the reader.
    Receipt(receipt::Msg),
    /// The search field and its hits.
    Search(search::Msg),
    /// The threaded list…
    Threads(threads::Msg),
    /// …and a conversation in the reader.
    Conversation(conversation::Msg),
    /// The account's Outbox, read again.
    OutboxLoaded(Result<Vec<tidings_mail::outbox::OutboxItem>, Error>),
    /// Show the Outbox in place of the list and the reader.
    ShowOutbox,
    /// "Send again" or "Remove" on a message in the Outbox…
    Outbox(outbox::Act),
    /// …and its result.
    OutboxActed(Result<outbox::Act, Error>),
    Back,
}

/// What the mailbox asks of the app.
pub enum Action {
    None,
    Run(Task<Message>),
    /// A send/receive pass for this account now.
    GetMail,
    /// A send/receive pass for every account now.
    GetAllMail,
    /// Open the composer.
    Compose(crate::screen::composer::ComposeRequest),
    /// Remember in the account that remote content of mail from `address` shows without
    /// asking, and run `then` (fetching this message's).
    AllowRemote {
        address: String,
        then: Task<Message>,
    },
    Back,
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::None => "None",
            Action::Run(_) => "Run(..)",
            Action::GetMail => "GetMail",
            Action::GetAllMail => "GetAllMail",
            Action::Compose(_) => "Compose(..)",
            Action::AllowRemote { .. } => "AllowRemote(..)",
            Action::Back => "Back",
        })
    }
}

pub struct Mailbox {
    account_key: String,
    title: String,
    prefer: BodyFormat,
    local: bool,
    /// The server settings until the store is open, then the remote built from them.
    server: Option<Server>,
    remote: Option<Remote>,
    stores: Option<Stores>,
    /// The store could not be opened.
    failure: Option<Error>,
    folders: Vec<Node>,
    list: List,
    reader: Reader,
    /// When the folders and the list were last read again for [`News`].
    refreshed: Option<Instant>,
    /// The message being revealed ([`Message::Reveal`]), until its row is read.
    reveal: Option<(FolderId, u32)>,
    /// A message to reveal once the store is open.
    reveal_when_open: Option<(FolderId, u32)>,
    /// A one-line note in the status bar (a refused action, a copied link).
    notice: Option<(String, bool)>,
    /// The account's Outbox (what waits to be sent, or for the user's decision).
    outbox: Vec<tidings_mail::outbox::OutboxItem>,
    /// The Outbox is shown in place of the list and the reader.
    showing_outbox: bool,
    /// A message was put back into the queue: a pass follows once the Outbox is read again.
    pass_after_outbox: bool,
    /// The folder attachments were last saved in (the picker starts there).
    last_folder: Option<PathBuf>,
    open_copies: PathBuf,
    remote_policy: RemotePolicy,
    remote_from: Vec<String>,
    sign_in: Option<signin::SignIn>,
    panes: panes::Panes,
    /// The toolbar's "More" row is open.
    more_open: bool,
    /// A message of the Drafts folder opened: the composer takes it once its text is here.
    edit_draft: Option<(FolderId, u32)>,
    /// Where the person left this mailbox last time, until the folders are known.
    return_to: Option<Place>,
    search: search::Search,
    /// The modifiers held (Ctrl and Shift change what a click on a row does).
    held: iced::keyboard::Modifiers,
    picker: Option<picker::Picker>,
    /// The row and folder under the cursor, and rows being dragged.
    drag: drag::Drag,
    /// The folder pane's form (new folder, rename, move, delete), when open.
    admin: Option<folder_admin::Admin>,
    threads: Threads,
    conversation: Conversation,
    views: views::Views,
}

impl Mailbox {
    /// The mailbox, and the task that opens its store (then lists folders).
    pub fn new(setup: Setup) -> (Mailbox, Task<Message>) {
        let Setup {
            account_key,
            title,
            store_path,
            prefer,
            local,
            server,
            open_copies,
            remote_policy,
            remote_from,
            sign_in,
            viewer,
            profile,
        } = setup;
        let invitee = invitation::Invitee {
            viewer,
            key: account_key.clone(),
            account: server.as_ref().map(|s| s.account.clone()),
            pop3: local,
        };
        let (panes, load_panes) = panes::Panes::new(tidings_mail::ui_state::beside(&store_path));
        let search = search::Search::new(store_path.clone(), profile);
        let (threads, load_threaded) =
            Threads::new(tidings_mail::ui_state::beside(&store_path), &account_key);
        let open = Task::batch([
            setup::open_store(account_key.clone(), store_path, local),
            load_panes,
            load_threaded,
        ]);
        let mailbox = Mailbox {
            account_key,
            title,
            prefer,
            local,
            server,
            remote: None,
            stores: None,
            failure: None,
            folders: Vec::new(),
            list: List::default(),
            reader: Reader::new(invitee),
            refreshed: None,
            reveal: None,
            reveal_when_open: None,
            notice: None,
            outbox: Vec::new(),
            showing_outbox: false,
            pass_after_outbox: false,
            last_folder: None,
            open_copies,
            remote_policy,
            remote_from,
            sign_in,
            edit_draft: None,
            panes,
            more_open: false,
            return_to: None,
            search,
            held: iced::keyboard::Modifiers::empty(),
            picker: None,
            drag: drag::Drag::default(),
            admin: None,
            threads,
            conversation: Conversation::default(),
            views: views::Views::default(),
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
    /// The threaded list (shown in place of the list while "Threads" is on)…
    pub fn threads(&self) -> &Threads {
        &self.threads
    }
    /// …and the conversation open in the reader.
    pub fn conversation(&self) -> &Conversation {
        &self.conversation
    }
    /// The search's hits (shown in place of the list while a query is typed)…
    pub fn search_hits(&self) -> Option<&[tidings_mail::search::Hit]> {
        self.search.is_active().then(|| self.search.hits())
    }
    /// …and which of them is selected.
    pub fn search_selected(&self) -> Option<usize> {
        self.search.selected()
    }
    /// Whether the account's folders live only in the store (POP3).
    pub fn is_local(&self) -> bool {
        self.local
    }
    /// Bytes the server has sent for the bodies opened here (the reader's progress).
    pub fn received(&self) -> u64 {
        self.remote.as_ref().map_or(0, Remote::received)
    }

    /// Where the dividers are (the folder pane's share of the width, the list's of the height).
    pub fn pane_sizes(&self) -> tidings_mail::ui_state::Panes {
        self.panes.sizes()
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|(n, _)| n.as_str())
    }

    pub fn subscription(&self) -> Subscription<Message> {
        // While a body comes from the server, how much has come is shown four times a second.
        let progress = (self.reader.is_loading() && self.remote.is_some())
            .then(|| iced::time::every(std::time::Duration::from_millis(250)).map(|_| Message::Progress));
        let drag = drag::subscription(self.drag.is_pressed());
        Subscription::batch(
            [keys::subscription(), self.search.subscription(), drag].into_iter().chain(progress),
        )
    }

    pub fn update(&mut self, message: Message) -> Action {
        let task = match message {
            Message::Ready(result) => self.ready(result),
            Message::Folders(result) => self.folders_loaded(result),
            Message::Views(result) => self.views_loaded(result),
            Message::SelectFolder(folder) => self.select_folder(folder),
            Message::SelectView(view) => self.select_view(view),
            Message::Page(result) => self.page(result),
            Message::Scrolled(viewport) => self.on_list(|list, store| list.scrolled(viewport, store)),
            Message::SortBy(key) => self.sort_by(key),
            // The click a drag ends with on its own row is no click.
            Message::Click(..) if self.drag.is_dragging() => Task::none(),
            Message::Click(index, uid) => self.click(index, uid),
            Message::Key(KeyAction::GetMail) => return Action::GetMail,
            Message::Key(KeyAction::GetAllMail) => return Action::GetAllMail,
            Message::Key(KeyAction::Compose(kind)) | Message::Compose(kind) => {
                return self.compose_request(kind).map_or(Action::None, Action::Compose);
            }
            Message::Key(KeyAction::Escape) if self.drag.is_dragging() => self.drag_cancel(),
            Message::Key(action) if self.picker.is_some() => self.picker_key(action),
            Message::Key(KeyAction::Escape) if self.admin.is_some() => self.folder_admin_escape(),
            Message::Key(action) if self.search.is_active() => self.search_key(action),
            Message::Key(action) if self.threads.is_on() => self.threads_key(action),
            Message::Key(action) => self.key(action),
            Message::Body { folder, uid, result } => {
                let edit = self.draft_to_edit(folder, uid, matches!(result, Ok(Some(_))));
                self.reader.loaded(folder, uid, result);
                if let Some(request) = edit {
                    return Action::Compose(request);
                }
                // Another account's message (a view's) asks for no receipt from this one.
                let receipt =
                    if self.elsewhere(folder) { Task::none() } else { self.receipt_on_show(folder, uid) };
                Task::batch([self.remote_if_allowed(), receipt])
            }
            Message::News(news) => self.news(news),
            Message::Reveal { folder, uid } => self.reveal(folder, uid),
            Message::Revealed(result) => self.revealed(result),
            Message::DownloadRest => self.reader.download_rest(self.remote.clone(), self.prefer),
            Message::GetMail => return Action::GetMail,
            Message::GetAllMail => return Action::GetAllMail,
            Message::ToggleRead => self.toggle_read(),
            Message::ToggleStar => self.toggle_star(),
            Message::Delete => self.delete(),
            Message::MoveTo(folder) => self.move_to(folder),
            Message::Select(msg) => self.selection(msg),
            Message::Picker(msg) => self.picker(msg),
            Message::Drag(msg) => self.drag(msg),
            Message::FolderAdmin(msg) => self.folder_admin(msg),
            Message::Acted(result) => self.acted(result),
            Message::LinkClicked(url) => return self.content(content::Msg::Link(url)),
            Message::Content(msg) => return self.content(msg),
            Message::Invitation(msg) => return self.invitation(msg),
            Message::Receipt(msg) => return self.receipt(msg),
            Message::SignIn(msg) => return self.sign_in(msg),
            Message::Panes(msg) => self.panes.update(msg),
            Message::More(chosen) => {
                self.more_open = chosen.is_none() && !self.more_open;
                match chosen {
                    Some(message) => return self.update(*message),
                    None => Task::none(),
                }
            }
            Message::Progress => {
                if let Some(remote) = &self.remote {
                    self.reader.progress(remote.received());
                }
                Task::none()
            }
            Message::Search(msg) => self.search(msg),
            Message::Threads(msg) => self.threads_msg(msg),
            Message::Conversation(msg) => self.conversation_msg(msg),
            Message::OutboxLoaded(result) => {
                let task = self.outbox_loaded(result);
                // "Send again" was recorded and the Outbox read again: now the pass sends it.
                if std::mem::take(&mut self.pass_after_outbox) {
                    return Action::GetMail;
                }
                task
            }
            Message::ShowOutbox => {
                self.showing_outbox = !self.outbox.is_empty();
                self.refresh()
            }
            Message::Outbox(act) => self.outbox_act(act),
            Message::OutboxActed(result) => {
                let (task, pass) = self.outbox_acted(result);
                self.pass_after_outbox = pass;
                task
            }
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
                self.failure = Some(e);
                return Task::none();
            }
        };
        if let Some(Server { account, secrets, log }) = self.server.take() {
            self.remote = Some(Remote::new(account, secrets, log, stores.write.clone()));
        }
        self.stores = Some(stores);
        let reveal = match self.reveal_when_open.take() {
            Some((folder, uid)) => self.reveal(folder, uid),
            None => Task::none(),
        };
        // The search's own connection, opened now so the first query need not wait for it.
        let search = self.search.open_engine().map(Message::Search);
        Task::batch([self.load_folders(), reveal, search])
    }

    /// Shows this message once the store is open (a notification opened a new mailbox; an
    /// open one takes [`Message::Reveal`]).
    pub fn reveal_when_open(&mut self, folder: FolderId, uid: u32) {
        self.reveal_when_open = Some((folder, uid));
    }

    fn load_folders(&self) -> Task<Message> {
        let Some(stores) = &self.stores else { return Task::none() };
        let (store, account) = (stores.read.clone(), stores.account);
        let outbox = outbox::load(stores.read.clone(), self.account_key.clone());
        let views = store.clone();
        let folders = Task::perform(
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
        );
        let views = Task::perform(async move { views.call(|s| views::Views::read(s)).await }, Message::Views);
        Task::batch([folders, views, outbox])
    }

    fn folders_loaded(&mut self, result: Result<Vec<folders::Entry>, Error>) -> Task<Message> {
        let entries = match result {
            Ok(entries) => entries,
            Err(e) => return self.failed(e),
        };
        self.folders = folders::tree(entries);
        if let Some(task) = self.returned() {
            return task;
        }
        let current = self.list.folder().filter(|f| self.folders.iter().any(|n| n.id == Some(*f)));
        if current.is_some() || self.list.view_shown().is_some() {
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
        self.showing_outbox = false;
        if self.list.folder() == Some(folder) {
            return Task::none();
        }
        self.reader.clear();
        self.conversation.close();
        let show = self.on_list(|list, store| list.show(Source::Folder(folder), store));
        Task::batch([show, self.threads_follow(folder)])
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

    /// Shows a message of `folder` in the reader and marks it read, as Thunderbird does.
    /// Another account's (a view's row) is read from the store only.
    fn open(&mut self, folder: FolderId, row: MessageRow) -> Task<Message> {
        let Some(stores) = &self.stores else { return Task::none() };
        let elsewhere = self.elsewhere(folder).then(|| self.views.owner(folder)).flatten();
        let folder_name = match elsewhere {
            Some(owner) => owner.name.clone(),
            None => {
                self.folders.iter().find(|n| n.id == Some(folder)).map(|n| n.name.clone()).unwrap_or_default()
            }
        };
        let account = elsewhere.map(|o| self.account_label(&o.account_key));
        let (uid, unread) = (row.uid, row.unread);
        self.conversation.close();
        let opened = Opened { folder, folder_name, row };
        let load = match account {
            Some(account) => self.reader.open_stored(opened, &stores.read, self.prefer, &account),
            None => self.reader.open(opened, &stores.read, self.remote.clone(), self.prefer, self.local),
        };
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
            KeyAction::Open => match self.list.selected_with_folder().map(|(f, r)| (f, r.clone())) {
                Some((folder, row)) => self.open_or_edit(folder, row),
                None => Task::none(),
            },
            KeyAction::ToggleRead => self.toggle_read(),
            KeyAction::ToggleStar => self.toggle_star(),
            KeyAction::Delete => self.delete(),
            KeyAction::Search => self.search(search::Msg::Start { folder_only: false }),
            KeyAction::SearchFolder => self.search(search::Msg::Start { folder_only: true }),
            KeyAction::SelectAll => self.select_all(),
            KeyAction::Escape => self.escape(),
            KeyAction::Expand | KeyAction::Collapse => Task::none(),
            // Routed to the app by `update`.
            KeyAction::GetMail | KeyAction::GetAllMail | KeyAction::Compose(_) => Task::none(),
        }
    }

    /// Shows one message: its folder in the list (selected once its rows arrive) and the
    /// message in the reader.
    fn reveal(&mut self, folder: FolderId, uid: u32) -> Task<Message> {
        let Some(stores) = &self.stores else { return Task::none() };
        let store = stores.read.clone();
        let row = Task::perform(
            async move { store.call(move |s| s.message(folder, uid)).await.map(|row| row.map(Box::new)) },
            Message::Revealed,
        );
        self.reveal = Some((folder, uid));
        let show = if self.list.folder() == Some(folder) {
            self.on_list(|list, store| list.select_uid(uid, store))
        } else {
            self.select_folder(folder)
        };
        Task::batch([show, row])
    }

    fn revealed(&mut self, result: Result<Option<Box<MessageRow>>, Error>) -> Task<Message> {
        let Some((folder, uid)) = self.reveal.take() else { return Task::none() };
        match result {
            Ok(Some(row)) if row.uid == uid && self.list.folder() == Some(folder) => {
                let select = self.on_list(|list, store| list.select_uid(uid, store));
                Task::batch([select, self.open(folder, *row)])
            }
            Ok(_) => {
                self.notice = Some(("That message is no longer here.".into(), true));
                Task::none()
            }
            Err(e) => self.failed(e),
        }
    }

    fn acted(&mut self, result: Result<(), Error>) -> Task<Message> {
        if let Err(e) = result {
            self.notice = Some((format!("Cannot change the message: {}.", sentence(&e.to_string())), true));
        }
        self.refresh()
    }

    /// Links are not opened yet: a click copies the address.
    /// Shows an error about something the app did for this mailbox.
    pub fn tell(&mut self, e: Error) {
        let _ = self.failed(e);
    }

    fn failed(&mut self, e: Error) -> Task<Message> {
        self.notice = Some((format!("{}. {}", sentence(&e.to_string()), e.advice()), true));
        Task::none()
    }
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
