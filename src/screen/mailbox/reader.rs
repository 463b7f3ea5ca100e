//! The reader: the opened message's headers, attachment list and body, then what the body
//! carries besides: a delivery report's recipients, forwarded messages with their own
//! headers.
//!
//! Opening a message starts one task: the body from the store when it was kept, else from
//! the server (`Engine::fetch_body`, which keeps it), then read into a [`DisplayMessage`] on
//! `spawn_blocking`. Until it answers the reader shows the headers the list already has and
//! "Loading…"; a failure is shown in words. Opening another message drops the task's handle,
//! which aborts it.
//!
//! A message with an invitation shows its card above the body ([`invitation`]): read with
//! the message, with the answers remembered in the store. Read receipts ([`receipt`]): the
//! request and whether it was answered, a receipt the message is, the receipts a sent
//! message got, read with the message too; the bar under the headers, the cards above the
//! body.
//!
//! A POP3 account's message downloaded as headers only has no body in the store: the reader
//! shows its header and "Download the rest", which fetches it (`pop3::fetch_rest`, through
//! [`Remote::rest`]) off the UI thread and keeps it.

use std::sync::Arc;

use iced::font::Weight;
use iced::task::Handle;
use iced::widget::{Column, Space, button, column, container, row, scrollable, text, text_editor};
use iced::{Element, Font, Length, Task, Theme, widget};

use tidings_mail::error::{Error, Kind};
use tidings_mail::options::BodyFormat;
use tidings_mail::store::{FolderId, MessageRow, StoreHandle, Summary};

use super::content::Content;
use super::content::{Msg, Remote as RemoteState};
use super::html::{Pictures, rich_view};
use super::invitation::{self, Invitee};
use super::message::{self, Body, DisplayMessage, Report};
use super::receipt;
use super::remote::{self, Remote};
use super::{Message, format, id};
use crate::theme;

/// The message in the reader and where it lives.
#[derive(Debug, Clone)]
pub struct Opened {
    pub folder: FolderId,
    /// The folder's server name (what the server needs to fetch the body).
    pub folder_name: String,
    pub row: MessageRow,
}

enum State {
    Loading,
    /// Downloading the rest of a headers-only message.
    Downloading,
    /// Only the header is here (POP3, headers only).
    HeaderOnly,
    Shown(Arc<DisplayMessage>),
    Failed(Error),
}

/// What a load found: the message, or only its header.
pub type Loaded = Option<Arc<DisplayMessage>>;

#[derive(Default)]
pub struct Reader {
    opened: Option<Opened>,
    state: Option<State>,
    /// The loading task; dropping it aborts the load.
    load: Option<Handle>,
    /// What the person did with the shown message (a clicked link, remote content).
    content: Content,
    /// A task about the shown message (fetching its remote images); dropped with it.
    extra: Option<Handle>,
    /// While a body comes from the server: the mailbox's byte count when it started, and now.
    download: Option<(u64, u64)>,
    /// Who reads: invitations are read for them.
    invitee: Arc<Invitee>,
    /// The store the message was read from (answers to invitations are remembered there).
    store: Option<StoreHandle>,
    /// The administrator's command of an Outlook-on-the-web meeting request, selectable.
    command: Option<text_editor::Content>,
}

impl Reader {
    pub fn new(invitee: Invitee) -> Reader {
        Reader { invitee: Arc::new(invitee), ..Reader::default() }
    }

    pub fn invitee(&self) -> &Invitee {
        &self.invitee
    }

    /// The administrator's command an Outlook-on-the-web meeting request shows.
    pub fn outlook_command(&self) -> Option<String> {
        self.command.as_ref().map(text_editor::Content::text)
    }

    /// Selecting in the administrator's command; it cannot be edited.
    pub(super) fn command_action(&mut self, action: text_editor::Action) {
        if let Some(command) = &mut self.command
            && !action.is_edit()
        {
            command.perform(action);
        }
    }

    pub fn opened(&self) -> Option<&Opened> {
        self.opened.as_ref()
    }

    pub fn opened_mut(&mut self) -> Option<&mut Opened> {
        self.opened.as_mut()
    }

    /// The message as shown, once loaded.
    pub fn shown(&self) -> Option<&DisplayMessage> {
        match &self.state {
            Some(State::Shown(message)) => Some(message),
            _ => None,
        }
    }

    /// The shown message, to hand to a task.
    pub fn shown_arc(&self) -> Option<Arc<DisplayMessage>> {
        match &self.state {
            Some(State::Shown(message)) => Some(message.clone()),
            _ => None,
        }
    }

    pub fn content(&self) -> &Content {
        &self.content
    }

    pub(super) fn content_mut(&mut self) -> &mut Content {
        &mut self.content
    }

    /// Runs `task` for the shown message: opening another one aborts it.
    pub(super) fn track(&mut self, task: Task<Message>) -> Task<Message> {
        let (task, handle) = task.abortable();
        self.extra = Some(handle.abort_on_drop());
        task
    }

    /// The server's bytes counted so far for the body being loaded (`received`: the
    /// mailbox's count now).
    pub(super) fn progress(&mut self, received: u64) {
        if let Some((_, now)) = &mut self.download {
            *now = received;
        }
    }

    /// Bytes of the body downloaded so far, while it comes from the server.
    pub fn downloaded(&self) -> Option<u64> {
        let (start, now) = self.download.filter(|_| self.is_loading())?;
        Some(now.saturating_sub(start)).filter(|n| *n > 0)
    }

    pub fn is_loading(&self) -> bool {
        matches!(self.state, Some(State::Loading | State::Downloading))
    }

    /// Only the header of the opened message is here ("Download the rest" is offered).
    pub fn is_header_only(&self) -> bool {
        matches!(self.state, Some(State::HeaderOnly))
    }

    /// Why the message could not be shown.
    pub fn error(&self) -> Option<&Error> {
        match &self.state {
            Some(State::Failed(e)) => Some(e),
            _ => None,
        }
    }

    pub fn clear(&mut self) {
        *self = Reader::new(Invitee::clone(&self.invitee));
    }

    /// Opens a message: reads it from the store or the server, off the UI thread. `local`:
    /// the account's folders live only here (POP3), so a missing body means headers only.
    pub fn open(
        &mut self,
        opened: Opened,
        store: &StoreHandle,
        remote: Option<Remote>,
        prefer: BodyFormat,
        local: bool,
    ) -> Task<Message> {
        let start = remote.as_ref().map(Remote::received);
        let job = load(opened.clone(), store.clone(), remote, prefer, local, self.invitee.clone());
        self.opened = Some(opened);
        self.store = Some(store.clone());
        let task = self.start(job, State::Loading);
        self.download = start.map(|n| (n, n));
        // The reader's scrollable keeps its offset from one message to the next: each one
        // opens at its top.
        let top = widget::operation::snap_to(id::READER, widget::scrollable::RelativeOffset::START);
        Task::batch([top, task])
    }

    /// Opens another account's message (a row of a view across every account) from the
    /// store only: this mailbox has no connection to that account's server. A body not
    /// stored yet is said to be so, with `account`'s name.
    pub fn open_stored(
        &mut self,
        opened: Opened,
        store: &StoreHandle,
        prefer: BodyFormat,
        account: &str,
    ) -> Task<Message> {
        let (job_opened, job_store, invitee) = (opened.clone(), store.clone(), self.invitee.clone());
        let account = account.to_string();
        let job = async move {
            let Opened { folder, row, .. } = job_opened;
            match remote::kept_body(&job_store, folder, row.uidvalidity, row.uid).await? {
                Some(raw) => render(raw, prefer, row.summary, invitee, Some(job_store), (folder, row.uid))
                    .await
                    .map(Some),
                None => Err(Error::new(
                    Kind::Config,
                    format!("its body is not stored here yet, and it is {account}'s mail, downloaded by that account only"),
                )
                .with_advice("Open it in that account's mailbox, or keep that account's messages offline (its settings).")),
            }
        };
        self.opened = Some(opened);
        self.store = Some(store.clone());
        let task = self.start(job, State::Loading);
        self.download = None;
        let top = widget::operation::snap_to(id::READER, widget::scrollable::RelativeOffset::START);
        Task::batch([top, task])
    }

    /// A message's load as [`Reader::open`] runs it, to show elsewhere (a conversation).
    pub(super) fn loader(
        &self,
        opened: Opened,
        store: &StoreHandle,
        remote: Option<Remote>,
        prefer: BodyFormat,
        local: bool,
    ) -> impl std::future::Future<Output = Result<Loaded, Error>> + Send + 'static {
        load(opened, store.clone(), remote, prefer, local, self.invitee.clone())
    }

    /// Downloads the rest of the opened headers-only message (POP3), off the UI thread.
    pub fn download_rest(&mut self, remote: Option<Remote>, prefer: BodyFormat) -> Task<Message> {
        let Some(opened) = self.opened.clone().filter(|_| self.is_header_only()) else { return Task::none() };
        let start = remote.as_ref().map(Remote::received);
        let (invitee, store) = (self.invitee.clone(), self.store.clone());
        let job = async move {
            let remote = remote.ok_or_else(|| {
                Error::new(Kind::Config, "this mailbox has no server to download the message from")
            })?;
            let raw = remote.rest(opened.folder, opened.row.uid).await?;
            let at = (opened.folder, opened.row.uid);
            render(raw, prefer, opened.row.summary, invitee, store, at).await.map(Some)
        };
        let task = self.start(job, State::Downloading);
        self.download = start.map(|n| (n, n));
        task
    }

    fn start(
        &mut self,
        job: impl std::future::Future<Output = Result<Loaded, Error>> + Send + 'static,
        state: State,
    ) -> Task<Message> {
        let Some(opened) = &self.opened else { return Task::none() };
        let (folder, uid) = (opened.folder, opened.row.uid);
        let (task, handle) =
            Task::perform(job, move |result| Message::Body { folder, uid, result }).abortable();
        self.state = Some(state);
        self.content = Content::default();
        self.command = None;
        self.extra = None;
        self.download = None;
        self.load = Some(handle.abort_on_drop());
        task
    }

    /// The load of `uid` finished (answers for a message no longer shown are dropped).
    pub fn loaded(&mut self, folder: FolderId, uid: u32, result: Result<Loaded, Error>) {
        if self.opened.as_ref().is_none_or(|o| o.folder != folder || o.row.uid != uid) {
            return;
        }
        self.load = None;
        if let Ok(Some(message)) = &result
            && let Some(link) = &message.invitations.outlook
        {
            let command = if self.invitee.pop3 { &link.pop3_command } else { &link.imap_command };
            self.command = Some(text_editor::Content::with_text(command));
        }
        self.state = Some(match result {
            Ok(Some(message)) => State::Shown(message),
            Ok(None) => State::HeaderOnly,
            Err(e) => State::Failed(e),
        });
    }

    pub fn view(&self, theme: &Theme) -> Element<'_, Message> {
        let Some(opened) = &self.opened else {
            return container(text("Select a message to read it.").size(14).style(theme::text::muted))
                .center(Length::Fill)
                .into();
        };
        let shown = self.shown();
        let headers = shown.map_or(&opened.row.summary, |m| &m.headers);
        let mut top = column![row![
            headers_view(headers, opened.row.parse_error.as_deref()),
            super::conversation::open_button(opened.folder, opened.row.uid),
        ]]
        .spacing(10);
        if let Some(message) = shown {
            top = top.push(attachments(message, message.first_attachment, true));
            if let Some(banner) = remote_banner(message, &self.content.remote) {
                top = top.push(banner);
            }
            for note in &message.notes {
                top = top.push(text(note).size(13).style(theme::text::warning));
            }
            if let Some(bar) = receipt::bar(&message.receipts, &self.content.receipt) {
                top = top.push(bar);
            }
        }
        if let Some(url) = &self.content.link {
            top = top.push(link_bar(url));
        }
        let body: Element<'_, Message> = match &self.state {
            Some(State::Loading) | None => {
                text(loading("Loading the message", self.downloaded(), opened.row.size))
                    .size(14)
                    .style(theme::text::muted)
                    .into()
            }
            Some(State::Downloading) => {
                text(loading("Downloading the rest of the message", self.downloaded(), opened.row.size))
                    .size(14)
                    .style(theme::text::muted)
                    .into()
            }
            Some(State::HeaderOnly) => column![
                text(
                    "Only the header of this message was downloaded (this account downloads headers \
                     only)."
                )
                .size(14),
                container(
                    button(text("Download the rest").size(13))
                        .padding([5, 12])
                        .style(theme::button::primary)
                        .on_press(Message::DownloadRest),
                )
                .id(widget::Id::new(id::DOWNLOAD_REST)),
            ]
            .spacing(10)
            .into(),
            Some(State::Failed(e)) => container(
                column![
                    text(format!("Cannot show this message: {e}.")).size(14),
                    text(e.advice()).size(13).style(theme::text::muted),
                ]
                .spacing(6),
            )
            .padding(12)
            .width(Length::Fill)
            .style(theme::container::error)
            .into(),
            Some(State::Shown(message)) => {
                let remote = match &self.content.remote {
                    RemoteState::Shown(images) => Some(&images.images),
                    _ => None,
                };
                let cards = invitation::view(
                    &message.invitations,
                    &self.content.invitation,
                    self.command.as_ref(),
                    self.invitee.pop3,
                );
                let above = [receipt::cards(&message.receipts), cards].into_iter().flatten();
                Column::with_children(above).push(contents(message, true, remote, theme)).spacing(12).into()
            }
        };
        column![
            container(top).padding([12, 16]).width(Length::Fill),
            scrollable(container(body).padding([8, 16]).width(Length::Fill))
                .id(widget::Id::new(id::READER))
                .height(Length::Fill),
        ]
        .into()
    }
}

/// "Loading the message… 3.1 MB of 12 MB" once bytes come from the server.
fn loading(what: &str, downloaded: Option<u64>, size: u32) -> String {
    match downloaded {
        Some(n) if size > 0 => {
            format!("{what}… {} of {}", format::size(n.min(u64::from(size))), format::size(u64::from(size)))
        }
        Some(n) => format!("{what}… {}", format::size(n)),
        None => format!("{what}…"),
    }
}

async fn load(
    opened: Opened,
    store: StoreHandle,
    remote: Option<Remote>,
    prefer: BodyFormat,
    local: bool,
    invitee: Arc<Invitee>,
) -> Result<Loaded, Error> {
    let Opened { folder, folder_name, row } = opened;
    let raw = match remote::kept_body(&store, folder, row.uidvalidity, row.uid).await? {
        Some(raw) => raw,
        // A local folder's message without a body was downloaded as headers only.
        None if local => return Ok(None),
        None => match remote {
            Some(remote) => remote.body(folder_name, row.uid).await?,
            None => {
                return Err(Error::new(
                    Kind::Config,
                    "this message has not been downloaded, and this mailbox has no server to fetch it from",
                ));
            }
        },
    };
    render(raw, prefer, row.summary, invitee, Some(store), (folder, row.uid)).await.map(Some)
}

/// Reads a raw message on `spawn_blocking`, then from `store` the answers to its invitations
/// the person sent earlier and what became of read receipts for message `at` (folder, UID).
async fn render(
    raw: Vec<u8>,
    prefer: BodyFormat,
    fallback: Summary,
    invitee: Arc<Invitee>,
    store: Option<StoreHandle>,
    at: (FolderId, u32),
) -> Result<Arc<DisplayMessage>, Error> {
    let reader = invitee.clone();
    let mut shown = tokio::task::spawn_blocking(move || message::render(&raw, prefer, &fallback, &reader))
        .await
        .map_err(|e| {
            Error::new(Kind::Protocol, format!("cannot read the message (the reading task stopped: {e})"))
        })?;
    if let Some(store) = store {
        let cards = std::mem::take(&mut shown.invitations);
        shown.invitations = cards.remembered(&store, invitee.key.clone()).await;
        let (from, id) = (shown.headers.from_addr.clone(), shown.headers.message_id.clone());
        let receipts = std::mem::take(&mut shown.receipts);
        shown.receipts = receipts.stored(&store, &invitee, at, from, id).await;
    }
    Ok(Arc::new(shown))
}

fn header_line<'a>(label: &'static str, value: String) -> Element<'a, Message> {
    row![text(label).size(13).width(52).style(theme::text::muted), text(value).size(13).width(Length::Fill)]
        .spacing(8)
        .into()
}

fn headers_view<'a>(summary: &'a Summary, parse_error: Option<&'a str>) -> Element<'a, Message> {
    let mut lines = Column::new().spacing(3);
    lines = lines
        .push(text(format::subject(summary)).size(18).font(Font { weight: Weight::Bold, ..Font::DEFAULT }));
    if let Some(why) = parse_error {
        lines = lines.push(
            text(format!("The header of this message could not be read: {why}"))
                .size(13)
                .style(theme::text::error),
        );
    }
    lines = lines.push(header_line("From", format::from_line(summary)));
    if let Some(to) = summary.to.as_deref().filter(|t| !t.is_empty()) {
        lines = lines.push(header_line("To", to.to_string()));
    }
    if let Some(cc) = summary.cc.as_deref().filter(|t| !t.is_empty()) {
        lines = lines.push(header_line("Cc", cc.to_string()));
    }
    lines = lines.push(header_line("Date", format!("{} UTC", format::date(summary.date))));
    lines.into()
}

/// The body, then a delivery report's recipients, then forwarded messages, each a card with
/// its own headers, attachments, notes and contents. `outer`: the opened message itself (a
/// forwarded one without text, such as a bounce's returned header, needs no word on it).
pub(super) fn contents<'a>(
    message: &'a DisplayMessage,
    outer: bool,
    remote: Option<&'a std::collections::HashMap<String, iced::widget::image::Handle>>,
    theme: &Theme,
) -> Element<'a, Message> {
    let body: Element<'a, Message> = match &message.body {
        Body::Empty if outer && message.forwarded.is_empty() && message.report.is_none() => {
            text("This message has no text.").size(14).style(theme::text::muted).into()
        }
        Body::Empty => Column::new().into(),
        Body::Text(body) => text(body).size(14).into(),
        Body::Rich(rich) => rich_view(rich, Pictures { own: &message.images, remote }, theme),
    };
    let mut all = column![body].spacing(12);
    // A read receipt shows as its own card (above the body).
    if let Some(report) = message.report.as_ref().filter(|_| message.receipts.incoming.is_none()) {
        all = all.push(report_view(report));
    }
    for inner in &message.forwarded {
        let mut card = column![forwarded_headers(&inner.headers)].spacing(8);
        card = card.push(attachments(inner, inner.first_attachment, false));
        for note in &inner.notes {
            card = card.push(text(note).size(13).style(theme::text::warning));
        }
        card = card.push(contents(inner, false, remote, theme));
        all = all.push(container(card).padding([10, 12]).width(Length::Fill).style(theme::container::card));
    }
    all.into()
}

fn forwarded_headers(summary: &Summary) -> Element<'_, Message> {
    let mut lines = column![
        text("Forwarded message").size(12).style(theme::text::muted),
        text(format::subject(summary)).size(15).font(Font { weight: Weight::Bold, ..Font::DEFAULT }),
        header_line("From", format::from_line(summary)),
    ]
    .spacing(3);
    if let Some(to) = summary.to.as_deref().filter(|t| !t.is_empty()) {
        lines = lines.push(header_line("To", to.to_string()));
    }
    if let Some(cc) = summary.cc.as_deref().filter(|t| !t.is_empty()) {
        lines = lines.push(header_line("Cc", cc.to_string()));
    }
    lines.push(header_line("Date", format!("{} UTC", format::date(summary.date)))).into()
}

/// A delivery report (DSN) or read receipt (MDN): one line per recipient with what happened
/// and, when the server said why, its words.
fn report_view(report: &Report) -> Element<'_, Message> {
    let what = if report.kind.contains("disposition") { "Read receipt" } else { "Delivery report" };
    let title = match &report.reporter {
        Some(reporter) => format!("{what} from {reporter}"),
        None => what.to_string(),
    };
    let rows = report.recipients.iter().map(|r| {
        let status = [r.action.as_deref(), r.status.as_deref()].into_iter().flatten().collect::<Vec<_>>();
        let mut lines = column![
            row![
                text(&r.recipient).size(13).width(Length::FillPortion(3)),
                text(status.join(" · ")).size(13).width(Length::FillPortion(2)).style(theme::text::muted),
            ]
            .spacing(8)
        ]
        .spacing(2);
        if let Some(said) = &r.diagnostic {
            lines = lines.push(text(said).size(12).style(theme::text::muted));
        }
        lines.into()
    });
    container(column![text(title).size(13)].extend(rows).spacing(4))
        .padding([8, 10])
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

/// The attachments listed, each with Save and Open; "Save all" on the opened message's card
/// when there are several in all.
fn attachments(message: &DisplayMessage, first: usize, outer: bool) -> Option<Element<'_, Message>> {
    let list = &message.attachments;
    let total = if outer { message::all_attachments(message).len() } else { list.len() };
    if list.is_empty() {
        return None;
    }
    let title = match list.len() {
        1 => "1 attachment".to_string(),
        n => format!("{n} attachments"),
    };
    let mut head = row![text(title).size(13), Space::new().width(Length::Fill)].spacing(8);
    if outer && total > 1 {
        head = head.push(small_button("Save all", Message::Content(Msg::SaveAll), id::SAVE_ALL.to_string()));
    }
    let rows = list.iter().enumerate().map(|(i, a)| {
        let n = first + i;
        row![
            text(&a.name).size(13).width(Length::FillPortion(3)),
            text(&a.content_type).size(13).width(Length::FillPortion(2)).style(theme::text::muted),
            text(format::size(a.size as u64)).size(13).width(80).style(theme::text::muted),
            small_button("Open", Message::Content(Msg::Open(n)), id::open_attachment(n)),
            small_button("Save", Message::Content(Msg::Save(n)), id::save_attachment(n)),
        ]
        .spacing(8)
        .align_y(iced::Alignment::Center)
        .into()
    });
    Some(
        container(column![head].extend(rows).spacing(3))
            .padding([8, 10])
            .width(Length::Fill)
            .style(theme::container::card)
            .into(),
    )
}

fn small_button(label: &str, message: Message, widget_id: String) -> Element<'_, Message> {
    container(button(text(label).size(12)).padding([2, 10]).style(theme::button::secondary).on_press(message))
        .id(widget::Id::from(widget_id))
        .into()
}

/// Remote content: blocked (with the buttons to show it), being fetched, or shown.
fn remote_banner<'a>(message: &'a DisplayMessage, remote: &'a RemoteState) -> Option<Element<'a, Message>> {
    if message.remote_blocked == 0 {
        return None;
    }
    let line: Element<'a, Message> = match remote {
        RemoteState::Blocked => {
            let what = match message.remote_blocked {
                1 => "1 remote image or resource was".to_string(),
                n => format!("{n} remote images or resources were"),
            };
            let mut line = row![
                text(format!("Remote content blocked: {what} not loaded.")).size(13).width(Length::Fill)
            ]
            .spacing(8)
            .align_y(iced::Alignment::Center);
            if !message.remote_images.is_empty() {
                line = line.push(small_button(
                    "Show remote content",
                    Message::Content(Msg::ShowRemote),
                    id::SHOW_REMOTE.to_string(),
                ));
                if let Some(sender) = message.headers.from_addr.as_deref().filter(|a| !a.trim().is_empty()) {
                    line = line.push(small_button(
                        "Always for this sender",
                        Message::Content(Msg::AlwaysRemote),
                        id::ALWAYS_REMOTE.to_string(),
                    ));
                    line = line.push(text(sender).size(12).style(theme::text::muted));
                }
            }
            line.into()
        }
        RemoteState::Fetching => text("Loading remote images…").size(13).into(),
        RemoteState::Shown(shown) => {
            let why = shown.why.as_deref().map(|w| format!(" ({w})")).unwrap_or_default();
            let said = match (shown.images.len(), shown.failed) {
                (0, failed) => format!("Remote content could not be shown: {failed} image(s){why}."),
                (1, 0) => "Remote content shown: 1 image.".to_string(),
                (n, 0) => format!("Remote content shown: {n} images."),
                (n, failed) => {
                    format!("Remote content shown: {n} image(s); {failed} could not be shown{why}.")
                }
            };
            text(said).size(13).into()
        }
    };
    Some(container(line).padding([6, 10]).width(Length::Fill).style(theme::container::warning).into())
}

/// Where a clicked link goes, before anything opens it.
fn link_bar(url: &str) -> Element<'_, Message> {
    let mut line = row![
        column![
            text("This link goes to").size(12).style(theme::text::muted),
            text(url).size(13).wrapping(text::Wrapping::Glyph),
        ]
        .spacing(2)
        .width(Length::Fill)
    ]
    .spacing(8)
    .align_y(iced::Alignment::Center);
    if crate::desktop::opens_in_browser(url) {
        line =
            line.push(small_button("Open in browser", Message::Content(Msg::OpenLink), id::OPEN_LINK.into()));
    }
    line = line
        .push(small_button("Copy", Message::Content(Msg::CopyLink), id::COPY_LINK.into()))
        .push(small_button("Cancel", Message::Content(Msg::CloseLink), id::CLOSE_LINK.into()));
    container(line).padding([6, 10]).width(Length::Fill).style(theme::container::card).into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_loading_line_says_how_much_has_come() {
        assert_eq!(super::loading("Loading the message", None, 5_000_000), "Loading the message…");
        assert_eq!(
            super::loading("Loading the message", Some(1_500_000), 12_000_000),
            "Loading the message… 1.5 MB of 12.0 MB"
        );
        // More than the stated size (the protocol's own lines): never "13 MB of 12 MB".
        assert_eq!(super::loading("Loading", Some(13_000_000), 12_000_000), "Loading… 12.0 MB of 12.0 MB");
    }
}
