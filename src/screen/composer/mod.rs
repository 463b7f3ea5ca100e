//! The composer: a new message, a reply, a reply to all, a forward (inline or as an
//! attachment). From (the account), To/Cc/Bcc with completion from addresses already seen,
//! Subject, a plain-text body, attachments (a path, or files dropped on the window).
//! Ctrl+Enter sends: the message is built (`tidings_mail::compose::build`, once, off the UI
//! thread; "Sending…" meanwhile) and put into the account's Outbox, durably; the account's next send/receive submits it, and the app
//! starts that pass at once ([`Action::Sent`]).
//!
//! Drafts: while the message changes, it is saved every few seconds ([`Message::Tick`]) to a
//! file of its own under the profile ([`Drafts`]) and, for IMAP accounts, to the account's
//! Drafts folder at most once a minute and on closing (quietly; a failure is shown in the
//! status line and retried). A new composer lists the drafts left from before until one is
//! restored or typing starts (each can be restored or discarded); a message of the Drafts
//! folder opens here for editing ([`Kind::Draft`]). Closing a message that was changed since
//! it was opened asks, whatever was saved meanwhile: Discard, Save draft, or Cancel.
//!
//! Parts: [`work`] (everything off the UI thread), [`view`].

mod drafts;
mod view;
mod work;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use iced::widget::text_editor;
use iced::{Event, Subscription, Task, event, keyboard, window};

use tidings_mail::account::Account;
use tidings_mail::compose::{Address, Attachment, Draft, DraftGate, DraftList, Drafts, NewMessage};
use tidings_mail::error::Error;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::FolderId;
use tidings_mail::store::addresses::SeenAddress;

pub use work::Queued;

/// Widget ids, so tests (and the focus) can reach each control.
pub mod id {
    pub const FROM: &str = "composer-from";
    pub const REQUEST_RECEIPT: &str = "composer-request-receipt";
    pub const TO: &str = "composer-to";
    pub const CC: &str = "composer-cc";
    pub const BCC: &str = "composer-bcc";
    pub const SUBJECT: &str = "composer-subject";
    pub const BODY: &str = "composer-body";
    pub const SEND: &str = "composer-send";
    pub const CLOSE: &str = "composer-close";
    pub const DISCARD: &str = "composer-discard";
    pub const SAVE_DRAFT: &str = "composer-save-draft";
    pub const CANCEL: &str = "composer-cancel";
    pub const ATTACH_PATH: &str = "composer-attach-path";
    pub const ATTACH: &str = "composer-attach";
    pub const PICK: &str = "composer-pick";

    pub fn remove(index: usize) -> String {
        format!("composer-remove-{index}")
    }
    pub const STATUS: &str = "composer-status";

    pub fn restore(draft: &str) -> String {
        format!("composer-restore-{draft}")
    }
    pub fn discard_draft(draft: &str) -> String {
        format!("composer-discard-draft-{draft}")
    }
    pub fn suggestion(index: usize) -> String {
        format!("composer-suggestion-{index}")
    }
}

/// How often a changed message is saved as a draft.
pub const AUTOSAVE: Duration = Duration::from_secs(3);
/// The copy in the Drafts folder is replaced at most this often while typing (each is a
/// connection to the server), and on closing; a failed one is tried again after as long.
const SERVER_EVERY: Duration = Duration::from_secs(60);

/// What kind of message to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    New,
    Reply,
    ReplyAll,
    Forward,
    ForwardAsAttachment,
    /// A message of the Drafts folder, opened again for editing.
    Draft,
}

/// What the mailbox asks for: a kind, the account, and the message replied to or forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeRequest {
    pub kind: Kind,
    /// The config id of the account to write from.
    pub account: String,
    /// The stored message (folder, UID) a reply or forward is about.
    pub original: Option<(FolderId, u32)>,
}

/// An address field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    To,
    Cc,
    Bcc,
}

/// Where the composer's data lives and what it can reach.
#[derive(Clone)]
pub struct Context {
    pub profile: Profile,
    pub accounts: Vec<Account>,
    pub secrets: Secrets,
}

/// One choice of the From picker: an account's own address or one of its identities, with
/// the account's label to choose by. The account's name is a label ("Work"), not the
/// person's: it never goes into the From header; the sender's name (the account's "Your
/// name", or the identity's) does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub account: String,
    pub label: String,
    pub address: Address,
}

impl std::fmt::Display for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.label.is_empty() {
            write!(f, "{}", self.address)
        } else {
            write!(f, "{} — {}", self.label, self.address)
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Prepared(Result<NewMessage, Error>),
    /// The message of the Drafts folder to edit, read.
    Reopened(Result<Draft, Error>),
    DraftsListed(Result<DraftList, Error>),
    Restore(String),
    /// "Discard" on a draft left from before: its file and its Drafts folder copy go.
    DiscardListed(String),
    ListedDiscarded(Result<(), Error>),
    FromSelected(Sender),
    RequestReceipt(bool),
    AddressChanged(Field, String),
    Suggested(Field, String, Result<Vec<SeenAddress>, Error>),
    PickSuggestion(Field, String),
    SubjectChanged(String),
    Edit(text_editor::Action),
    AttachPathChanged(String),
    AttachPath,
    /// "Attach…": the desktop's file dialog (XDG portal).
    PickFiles,
    Picked(Vec<PathBuf>),
    FileDropped(PathBuf),
    Attached(Result<Attachment, Error>),
    RemoveAttachment(usize),
    Tick,
    /// The file is saved (`None`: the draft was sent or discarded meanwhile).
    DraftSaved(Result<Option<Draft>, Error>),
    /// The Drafts folder's copy of the local save numbered so is stored (or not).
    ServerSaved(u64, Result<Option<String>, Error>),
    Send,
    Enqueued(Result<Queued, Error>),
    Close,
    Discard,
    SaveAndClose,
    CancelClose,
    /// The draft's files are gone (after sending or discarding): close.
    Cleared,
}

/// What the composer asks of the app.
pub enum Action {
    None,
    Run(Task<Message>),
    /// Closed: show the mailbox again.
    Closed,
    /// The message is in the Outbox: run the account's send/receive now, and close.
    Sent(Queued),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::None => f.write_str("None"),
            Action::Run(_) => f.write_str("Run(..)"),
            Action::Closed => f.write_str("Closed"),
            Action::Sent(q) => write!(f, "Sent({q:?})"),
        }
    }
}

pub struct Composer {
    context: Context,
    senders: Vec<Sender>,
    from: Sender,
    to: String,
    cc: String,
    bcc: String,
    subject: String,
    body: text_editor::Content,
    attachments: Vec<Attachment>,
    attach_path: String,
    /// "Request a read receipt" (the account's default until the person ticks it).
    request_receipt: bool,
    in_reply_to: Option<String>,
    references: Vec<String>,
    /// The Message-ID of another program's draft this one replaces ([`Draft::replaces`]).
    replaces: Option<String>,
    /// The id of the draft this message is saved as.
    draft_id: String,
    /// What was last saved to the file.
    saved: Option<Draft>,
    /// The message as opened (a reply, a forward, a restored draft): unchanged, it is not
    /// worth a draft, and closing asks nothing.
    baseline: Option<Draft>,
    /// Counts the changes to the attachments: compared instead of their bytes.
    attach_rev: u64,
    /// `attach_rev` of `saved`, of `baseline`, of the save under way.
    saved_rev: u64,
    baseline_rev: u64,
    saving_rev: u64,
    /// Counts the file's saves; the one whose copy is in the Drafts folder.
    local_seq: u64,
    server_seq: Option<u64>,
    /// The accounts whose Drafts folder may hold a copy (removed after sending or discarding).
    server_accounts: Vec<String>,
    /// Orders the draft's saves and its removal (shared with the tasks that do them).
    gate: Arc<DraftGate>,
    /// When the copy in the Drafts folder was last sent (or tried).
    server_last: Option<Instant>,
    /// A save is under way (no second one meanwhile).
    saving: bool,
    server_saving: bool,
    /// Drafts left from before (a new message only), until one is restored or typing starts.
    restorable: Vec<Draft>,
    suggestions: Option<(Field, Vec<SeenAddress>)>,
    /// Still reading the original (a reply or forward).
    preparing: bool,
    sending: bool,
    /// "Discard / Save draft / Cancel" is shown.
    asking: bool,
    closing: bool,
    /// A one-line note: (text, is an error).
    status: Option<(String, bool)>,
}

impl Composer {
    /// The composer for `request`, and the task that prepares it (reads the original of a
    /// reply or forward; lists the drafts left from before).
    pub fn new(context: Context, request: ComposeRequest) -> (Composer, Task<Message>) {
        let senders: Vec<Sender> = context
            .accounts
            .iter()
            .flat_map(|a| {
                a.senders().into_iter().map(|i| Sender {
                    account: a.id.clone(),
                    label: a.name.clone(),
                    address: Address::new(i.name.as_deref(), &i.email),
                })
            })
            .collect();
        let from = senders
            .iter()
            .find(|s| s.account == request.account)
            .or(senders.first())
            .cloned()
            .unwrap_or_else(|| Sender {
                account: request.account.clone(),
                label: String::new(),
                address: Address::default(),
            });
        let draft_id = Draft::new(&from.account, from.address.clone()).id;
        // The identities of the account answering: the one the original was sent to is used,
        // and they are left out of the recipients. The person's other accounts are not: a
        // message from one of them is answered like anyone's.
        let identities: Vec<Address> =
            senders.iter().filter(|s| s.account == from.account).map(|s| s.address.clone()).collect();
        let own: Vec<String> = identities.iter().map(|a| a.email.clone()).collect();
        let drafts = Drafts::new(&context.profile);
        let store_path = store_path(&context.profile);
        let task = match (request.kind, request.original) {
            (Kind::New, _) | (_, None) => Task::perform(work::list_drafts(drafts), Message::DraftsListed),
            (Kind::Draft, Some(original)) => Task::perform(
                work::reopen(store_path, drafts, original, from.account.clone()),
                Message::Reopened,
            ),
            (kind, Some((folder, uid))) => Task::perform(
                work::prepare(store_path, (folder, uid), kind, identities, own),
                Message::Prepared,
            ),
        };
        let preparing = request.kind != Kind::New && request.original.is_some();
        let request_receipt = receipt_default(&context.accounts, &from.account);
        let composer = Composer {
            context,
            senders,
            from,
            to: String::new(),
            cc: String::new(),
            bcc: String::new(),
            subject: String::new(),
            body: text_editor::Content::new(),
            attachments: Vec::new(),
            attach_path: String::new(),
            request_receipt,
            in_reply_to: None,
            references: Vec::new(),
            replaces: None,
            draft_id,
            saved: None,
            baseline: None,
            attach_rev: 0,
            saved_rev: 0,
            baseline_rev: 0,
            saving_rev: 0,
            local_seq: 0,
            server_seq: None,
            server_accounts: Vec::new(),
            gate: DraftGate::new(),
            server_last: None,
            saving: false,
            server_saving: false,
            restorable: Vec::new(),
            suggestions: None,
            preparing,
            sending: false,
            asking: false,
            closing: false,
            status: None,
        };
        let focus = if preparing { Task::none() } else { iced::widget::operation::focus(id::TO) };
        (composer, Task::batch([task, focus]))
    }

    pub fn to(&self) -> &str {
        &self.to
    }
    pub fn cc(&self) -> &str {
        &self.cc
    }
    pub fn bcc(&self) -> &str {
        &self.bcc
    }
    pub fn subject(&self) -> &str {
        &self.subject
    }
    pub fn body(&self) -> String {
        self.body.text()
    }
    pub fn attachments(&self) -> &[Attachment] {
        &self.attachments
    }
    pub fn from(&self) -> &Sender {
        &self.from
    }
    /// "Request a read receipt" is ticked.
    pub fn request_receipt(&self) -> bool {
        self.request_receipt
    }

    /// What the From picker offers: every account's own address and identities.
    pub fn senders(&self) -> &[Sender] {
        &self.senders
    }
    pub fn draft_id(&self) -> &str {
        &self.draft_id
    }
    pub fn status(&self) -> Option<&str> {
        self.status.as_ref().map(|(s, _)| s.as_str())
    }
    pub fn restorable(&self) -> &[Draft] {
        &self.restorable
    }
    pub fn is_asking(&self) -> bool {
        self.asking
    }
    pub(super) fn body_text(&self) -> String {
        let mut body = self.body.text();
        // The editor always ends its text with a line ending of its own.
        if body.ends_with('\n') && !body.ends_with("\n\n") && body.trim().is_empty() {
            body.clear();
        }
        body
    }

    /// The message on screen, as a draft.
    pub fn draft(&self) -> Draft {
        let body = self.body_text();
        Draft {
            id: self.draft_id.clone(),
            account: self.from.account.clone(),
            from: self.from.address.clone(),
            to: self.to.clone(),
            cc: self.cc.clone(),
            bcc: self.bcc.clone(),
            subject: self.subject.clone(),
            body,
            attachments: self.attachments.clone(),
            in_reply_to: self.in_reply_to.clone(),
            references: self.references.clone(),
            saved_at: 0,
            replaces: self.replaces.clone(),
        }
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let tick = iced::time::every(AUTOSAVE).map(|_| Message::Tick);
        Subscription::batch([tick, event::listen_with(on_event)])
    }

    pub fn update(&mut self, message: Message) -> Action {
        let task = match message {
            Message::Prepared(result) => self.prepared(result),
            Message::Reopened(result) => self.reopened(result),
            Message::DraftsListed(result) => self.drafts_listed(result),
            Message::Restore(id) => self.restore(&id),
            Message::DiscardListed(id) => self.discard_listed(&id),
            Message::ListedDiscarded(result) => {
                if let Err(e) = result {
                    self.note_error("Cannot discard the draft", &e);
                }
                Task::none()
            }
            Message::FromSelected(sender) => {
                self.request_receipt = receipt_default(&self.context.accounts, &sender.account);
                self.from = sender;
                Task::none()
            }
            Message::RequestReceipt(on) => {
                self.request_receipt = on;
                Task::none()
            }
            Message::AddressChanged(field, text) => self.address_changed(field, text),
            Message::Suggested(field, query, result) => self.suggested(field, query, result),
            Message::PickSuggestion(field, address) => self.pick(field, &address),
            Message::SubjectChanged(text) => {
                self.subject = text;
                Task::none()
            }
            Message::Edit(action) => {
                self.body.perform(action);
                Task::none()
            }
            Message::AttachPathChanged(text) => {
                self.attach_path = text;
                Task::none()
            }
            Message::AttachPath => {
                let path = self.attach_path.trim().to_string();
                if path.is_empty() {
                    return Action::None;
                }
                Task::perform(work::attach(PathBuf::from(path)), Message::Attached)
            }
            Message::PickFiles => Task::perform(work::pick_files(), Message::Picked),
            Message::Picked(paths) => Task::batch(
                paths.into_iter().map(|path| Task::perform(work::attach(path), Message::Attached)),
            ),
            Message::FileDropped(path) => Task::perform(work::attach(path), Message::Attached),
            Message::Attached(result) => self.attached(result),
            Message::RemoveAttachment(index) => {
                if index < self.attachments.len() {
                    self.attachments.remove(index);
                    self.attach_rev += 1;
                }
                Task::none()
            }
            Message::Tick => self.autosave(),
            Message::DraftSaved(result) => self.draft_saved(result),
            Message::ServerSaved(seq, result) => self.server_saved(seq, result),
            Message::Send => self.send(),
            Message::Enqueued(result) => return self.enqueued(result),
            Message::Close => return self.close(),
            Message::Discard => self.discard(),
            Message::SaveAndClose => {
                self.closing = true;
                self.asking = false;
                self.save_now()
            }
            Message::CancelClose => {
                self.asking = false;
                Task::none()
            }
            Message::Cleared => return self.after_clear(),
        };
        // Writing has started: the drafts from before are out of the way (restoring one now
        // would replace what was typed).
        if !self.restorable.is_empty() && !self.is_blank() {
            self.restorable.clear();
        }
        if task.units() == 0 { Action::None } else { Action::Run(task) }
    }

    fn prepared(&mut self, result: Result<NewMessage, Error>) -> Task<Message> {
        self.preparing = false;
        match result {
            Ok(msg) => {
                self.fill(&Draft::from_message(&self.from.account, &msg));
                // The cursor below the quote, as Thunderbird does.
                self.body.perform(text_editor::Action::Move(text_editor::Motion::DocumentEnd));
                self.baseline = Some(self.draft());
                self.baseline_rev = self.attach_rev;
                iced::widget::operation::focus(if self.to.is_empty() { id::TO } else { id::BODY })
            }
            Err(e) => {
                self.note_error("Cannot prepare the message", &e);
                Task::none()
            }
        }
    }

    /// A new message begun elsewhere (a `mailto:` link): `draft`'s fields and sender on
    /// screen, with a note when part of it was left out.
    pub fn prefill(&mut self, draft: &Draft, note: Option<String>) {
        self.fill(draft);
        if let Some(note) = note {
            self.status = Some((note, false));
        }
    }

    /// Puts a draft's fields on screen (a prepared reply, a restored draft).
    fn fill(&mut self, draft: &Draft) {
        self.to = draft.to.clone();
        self.cc = draft.cc.clone();
        self.bcc = draft.bcc.clone();
        self.subject = draft.subject.clone();
        self.body = text_editor::Content::with_text(&draft.body);
        self.attachments = draft.attachments.clone();
        self.attach_rev += 1;
        self.in_reply_to = draft.in_reply_to.clone();
        self.references = draft.references.clone();
        self.replaces = draft.replaces.clone();
        // The identity with that address. One removed from the settings since the draft was
        // written is not used: its account's own address is, and the note says so.
        let same = |s: &&Sender| {
            s.account == draft.account && s.address.email.eq_ignore_ascii_case(&draft.from.email)
        };
        if let Some(sender) = self.senders.iter().find(same) {
            self.from = sender.clone();
        } else if let Some(sender) = self.senders.iter().find(|s| s.account == draft.account) {
            self.from = sender.clone();
            self.status = Some((
                format!(
                    "{} is no longer one of this account's addresses: the message goes out from {}.",
                    draft.from.email, sender.address.email
                ),
                true,
            ));
        }
    }

    fn address_changed(&mut self, field: Field, text: String) -> Task<Message> {
        let query = text.rsplit([',', ';']).next().unwrap_or("").trim().to_string();
        match field {
            Field::To => self.to = text,
            Field::Cc => self.cc = text,
            Field::Bcc => self.bcc = text,
        }
        if query.chars().count() < 2 {
            self.suggestions = None;
            return Task::none();
        }
        let store = store_path(&self.context.profile);
        Task::perform(work::complete(store, query.clone()), move |result| {
            Message::Suggested(field, query.clone(), result)
        })
    }

    fn field(&self, field: Field) -> &str {
        match field {
            Field::To => &self.to,
            Field::Cc => &self.cc,
            Field::Bcc => &self.bcc,
        }
    }

    fn suggested(
        &mut self,
        field: Field,
        query: String,
        result: Result<Vec<SeenAddress>, Error>,
    ) -> Task<Message> {
        // Only the answer to what is typed now counts.
        let current = self.field(field).rsplit([',', ';']).next().unwrap_or("").trim().to_string();
        if current != query {
            return Task::none();
        }
        match result {
            Ok(found) if !found.is_empty() => self.suggestions = Some((field, found)),
            Ok(_) => self.suggestions = None,
            // Completion is a help, not a duty: a store that cannot be read just offers none.
            Err(_) => self.suggestions = None,
        }
        Task::none()
    }

    /// Replaces what is being typed (after the last comma) with the picked address.
    fn pick(&mut self, field: Field, address: &str) -> Task<Message> {
        let text = self.field(field).to_string();
        let kept = match text.rfind([',', ';']) {
            Some(cut) => format!("{}, ", text[..cut].trim_end()),
            None => String::new(),
        };
        let new = format!("{kept}{address}, ");
        match field {
            Field::To => self.to = new,
            Field::Cc => self.cc = new,
            Field::Bcc => self.bcc = new,
        }
        self.suggestions = None;
        let target = match field {
            Field::To => id::TO,
            Field::Cc => id::CC,
            Field::Bcc => id::BCC,
        };
        Task::batch([
            iced::widget::operation::focus(target),
            iced::widget::operation::move_cursor_to_end(target),
        ])
    }

    fn attached(&mut self, result: Result<Attachment, Error>) -> Task<Message> {
        match result {
            Ok(a) => {
                self.status = Some((format!("Attached {} ({}).", a.name, size_text(a.bytes.len())), false));
                self.attachments.push(a);
                self.attach_rev += 1;
                self.attach_path.clear();
            }
            Err(e) => self.note_error("Cannot attach the file", &e),
        }
        Task::none()
    }

    fn send(&mut self) -> Task<Message> {
        if self.sending || self.preparing {
            return Task::none();
        }
        let msg = match self.draft().to_message() {
            Ok(msg) => NewMessage { request_receipt: self.request_receipt, ..msg },
            Err(e) => {
                self.note_error("Cannot send yet", &e);
                return Task::none();
            }
        };
        // Built (attachments encoded) off the UI thread, once; Send stays disabled until then.
        self.sending = true;
        self.status = Some(("Putting the message into the Outbox…".into(), false));
        let store = store_path(&self.context.profile);
        Task::perform(work::enqueue(store, self.from.account.clone(), msg), Message::Enqueued)
    }

    fn enqueued(&mut self, result: Result<Queued, Error>) -> Action {
        self.sending = false;
        match result {
            // The app removes the draft ([`Composer::cleanup_after_send`]) and closes.
            Ok(queued) => Action::Sent(queued),
            Err(e) if e.kind() == tidings_mail::Kind::Config => {
                self.note_error("Cannot send yet", &e);
                Action::None
            }
            Err(e) => {
                self.note_error("The message was not sent", &e);
                Action::None
            }
        }
    }

    fn note_error(&mut self, what: &str, e: &Error) {
        self.status = Some((format!("{what}: {e}"), true));
    }
}

/// Whether new messages from account `id` ask for a read receipt.
fn receipt_default(accounts: &[Account], id: &str) -> bool {
    accounts.iter().find(|a| a.id == id).is_some_and(|a| a.options.request_receipts)
}

/// The profile's mail store (where the Outbox and the addresses seen live).
pub fn store_path(profile: &Profile) -> PathBuf {
    profile.store_path()
}

/// "12 KB", "3.4 MB": an attachment's size for people.
pub fn size_text(bytes: usize) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{:.1} MB", b / KB / KB)
    }
}

/// Ctrl+Enter (when no widget used it) and files dropped on the window.
fn on_event(event: Event, status: event::Status, _window: window::Id) -> Option<Message> {
    match event {
        Event::Window(window::Event::FileDropped(path)) => Some(Message::FileDropped(path)),
        Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. })
            if status == event::Status::Ignored && is_send_key(&key, modifiers) =>
        {
            Some(Message::Send)
        }
        _ => None,
    }
}

/// Ctrl+Enter, as in Thunderbird.
pub fn is_send_key(key: &keyboard::Key, modifiers: keyboard::Modifiers) -> bool {
    matches!(key, keyboard::Key::Named(keyboard::key::Named::Enter))
        && modifiers.control()
        && !modifiers.alt()
        && !modifiers.shift()
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced::keyboard::{Key, Modifiers, key::Named};
    use std::path::Path;

    #[test]
    fn ctrl_enter_sends_and_dropped_files_attach() {
        assert!(is_send_key(&Key::Named(Named::Enter), Modifiers::CTRL));
        assert!(!is_send_key(&Key::Named(Named::Enter), Modifiers::empty()));
        assert!(!is_send_key(&Key::Named(Named::Enter), Modifiers::CTRL | Modifiers::SHIFT));
        assert!(!is_send_key(&Key::Character("s".into()), Modifiers::CTRL));
        let window = window::Id::unique();
        let dropped = Event::Window(window::Event::FileDropped(PathBuf::from("/tmp/x.pdf")));
        assert!(matches!(
            on_event(dropped, event::Status::Ignored, window),
            Some(Message::FileDropped(p)) if p == Path::new("/tmp/x.pdf")
        ));
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(size_text(512), "512 bytes");
        assert_eq!(size_text(50_000), "49 KB");
        assert_eq!(size_text(3 * 1024 * 1024 + 400_000), "3.4 MB");
    }
}
