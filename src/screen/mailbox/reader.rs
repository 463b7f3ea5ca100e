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
//! A POP3 account's message downloaded as headers only has no body in the store: the reader
//! shows its header and "Download the rest", which fetches it (`pop3::fetch_rest`, through
//! [`Remote::rest`]) off the UI thread and keeps it.

use std::sync::Arc;

use iced::font::{Style as FontStyle, Weight};
use iced::task::Handle;
use iced::widget::text::Span;
use iced::widget::{Column, button, column, container, rich_text, row, rule, scrollable, span, text};
use iced::{Element, Font, Length, Padding, Task, Theme, widget};

use tidings_mail::error::{Error, Kind};
use tidings_mail::message::rich::{Align, Block};
use tidings_mail::options::BodyFormat;
use tidings_mail::store::{FolderId, MessageRow, StoreHandle, Summary};

use super::html::{Piece, Rich};
use super::message::{self, Body, DisplayMessage, Report};
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
}

impl Reader {
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
        *self = Reader::default();
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
        let job = load(opened.clone(), store.clone(), remote, prefer, local);
        self.opened = Some(opened);
        self.start(job, State::Loading)
    }

    /// Downloads the rest of the opened headers-only message (POP3), off the UI thread.
    pub fn download_rest(&mut self, remote: Option<Remote>, prefer: BodyFormat) -> Task<Message> {
        let Some(opened) = self.opened.clone().filter(|_| self.is_header_only()) else { return Task::none() };
        let job = async move {
            let remote = remote.ok_or_else(|| {
                Error::new(Kind::Config, "this mailbox has no server to download the message from")
            })?;
            let raw = remote.rest(opened.folder, opened.row.uid).await?;
            render(raw, prefer, opened.row.summary).await.map(Some)
        };
        self.start(job, State::Downloading)
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
        self.load = Some(handle.abort_on_drop());
        task
    }

    /// The load of `uid` finished (answers for a message no longer shown are dropped).
    pub fn loaded(&mut self, folder: FolderId, uid: u32, result: Result<Loaded, Error>) {
        if self.opened.as_ref().is_none_or(|o| o.folder != folder || o.row.uid != uid) {
            return;
        }
        self.load = None;
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
        let mut top = column![headers_view(headers, opened.row.parse_error.as_deref())].spacing(10);
        if let Some(message) = shown {
            top = top.push(attachments(&message.attachments));
            if message.remote_blocked > 0 {
                let what = match message.remote_blocked {
                    1 => "1 remote image or resource was".to_string(),
                    n => format!("{n} remote images or resources were"),
                };
                top = top.push(
                    container(text(format!("Remote content blocked: {what} not loaded.")).size(13))
                        .padding([6, 10])
                        .width(Length::Fill)
                        .style(theme::container::warning),
                );
            }
            for note in &message.notes {
                top = top.push(text(note).size(13).style(theme::text::warning));
            }
        }
        let body: Element<'_, Message> = match &self.state {
            Some(State::Loading) | None => {
                text("Loading the message…").size(14).style(theme::text::muted).into()
            }
            Some(State::Downloading) => {
                text("Downloading the rest of the message…").size(14).style(theme::text::muted).into()
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
            Some(State::Shown(message)) => contents(message, true, theme),
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

async fn load(
    opened: Opened,
    store: StoreHandle,
    remote: Option<Remote>,
    prefer: BodyFormat,
    local: bool,
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
    render(raw, prefer, row.summary).await.map(Some)
}

/// Reads a raw message on `spawn_blocking`.
async fn render(raw: Vec<u8>, prefer: BodyFormat, fallback: Summary) -> Result<Arc<DisplayMessage>, Error> {
    tokio::task::spawn_blocking(move || message::render(&raw, prefer, &fallback)).await.map(Arc::new).map_err(
        |e| Error::new(Kind::Protocol, format!("cannot read the message (the reading task stopped: {e})")),
    )
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
fn contents<'a>(message: &'a DisplayMessage, outer: bool, theme: &Theme) -> Element<'a, Message> {
    let body: Element<'a, Message> = match &message.body {
        Body::Empty if outer && message.forwarded.is_empty() && message.report.is_none() => {
            text("This message has no text.").size(14).style(theme::text::muted).into()
        }
        Body::Empty => Column::new().into(),
        Body::Text(body) => text(body).size(14).into(),
        Body::Rich(rich) => rich_view(rich, theme),
    };
    let mut all = column![body].spacing(12);
    if let Some(report) = &message.report {
        all = all.push(report_view(report));
    }
    for inner in &message.forwarded {
        let mut card = column![forwarded_headers(&inner.headers)].spacing(8);
        card = card.push(attachments(&inner.attachments));
        for note in &inner.notes {
            card = card.push(text(note).size(13).style(theme::text::warning));
        }
        card = card.push(contents(inner, false, theme));
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

fn attachments(list: &[message::Attachment]) -> Option<Element<'_, Message>> {
    if list.is_empty() {
        return None;
    }
    let title = match list.len() {
        1 => "1 attachment".to_string(),
        n => format!("{n} attachments"),
    };
    let rows = list.iter().map(|a| {
        row![
            text(&a.name).size(13).width(Length::FillPortion(3)),
            text(&a.content_type).size(13).width(Length::FillPortion(2)).style(theme::text::muted),
            text(format::size(a.size as u64)).size(13).width(80).style(theme::text::muted),
        ]
        .spacing(8)
        .into()
    });
    Some(
        container(column![text(title).size(13)].extend(rows).spacing(3))
            .padding([8, 10])
            .width(Length::Fill)
            .style(theme::container::card)
            .into(),
    )
}

/// Rich text (HTML, text/enriched): links in the action colour and underlined (clicking one
/// copies it), bold, italics, underline, code in monospace, size steps, images as their muted
/// alt text. HTML comes as one paragraph run (its quotes are "> " in the text); enriched text
/// has runs of lines with their own alignment, indent and quote bars.
fn rich_view<'a>(rich: &'a Rich, theme: &Theme) -> Element<'a, Message> {
    let link = theme::mailbox::link(theme);
    let faint = theme::mailbox::faint(theme);
    if rich.pieces.iter().all(|p| p.block == Block::default()) {
        return run_view(&rich.pieces, link, faint);
    }
    let runs = rich.pieces.chunk_by(|a, b| a.block == b.block).map(|run| {
        let block = run[0].block;
        let mut body: Element<'a, Message> = container(run_view(run, link, faint))
            .padding(
                Padding::ZERO
                    .left(INDENT * f32::from(block.indent))
                    .right(INDENT * f32::from(block.indent_right)),
            )
            .width(Length::Fill)
            .into();
        for _ in 0..block.quote.min(MAX_QUOTE_BARS) {
            body = row![rule::vertical(2), body].spacing(8).height(Length::Shrink).into();
        }
        body
    });
    Column::with_children(runs).width(Length::Fill).into()
}

/// Indent step of enriched text, in pixels.
const INDENT: f32 = 24.0;
/// Quote bars drawn; deeper quotes look like the deepest drawn.
const MAX_QUOTE_BARS: u8 = 8;

/// Lines of the same layout as one rich text (its last line end is the run's end).
fn run_view<'a>(run: &'a [Piece], link: iced::Color, faint: iced::Color) -> Element<'a, Message> {
    let last = run.len().saturating_sub(1);
    let spans: Vec<Span<'a, String>> = run
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let text = piece.text.as_str();
            // Only between runs: a single run keeps its text whole.
            let text = if i == last && piece.block != Block::default() {
                text.strip_suffix('\n').unwrap_or(text)
            } else {
                text
            };
            piece_span(piece, text, link, faint)
        })
        .collect();
    let align = match run.first().map(|p| p.block.align).unwrap_or_default() {
        Align::Left => text::Alignment::Default,
        Align::Center => text::Alignment::Center,
        Align::Right => text::Alignment::Right,
        Align::Justify => text::Alignment::Justified,
    };
    rich_text(spans).size(14).align_x(align).on_link_click(Message::LinkClicked).width(Length::Fill).into()
}

fn piece_span<'a>(
    piece: &'a Piece,
    text: &'a str,
    link: iced::Color,
    faint: iced::Color,
) -> Span<'a, String> {
    let e = piece.emphasis;
    let font = Font {
        weight: if e.strong { Weight::Bold } else { Weight::Normal },
        style: if e.italic { FontStyle::Italic } else { FontStyle::Normal },
        ..if e.code { Font::MONOSPACE } else { Font::DEFAULT }
    };
    let color = if piece.link.is_some() {
        Some(link)
    } else if e.image {
        Some(faint)
    } else {
        None
    };
    let span = span(text)
        .font(font)
        .color_maybe(color)
        .link_maybe(piece.link.clone())
        .underline(piece.link.is_some() || e.underline)
        .strikethrough(e.strike);
    match e.size {
        0 => span,
        // Two pixels a step, within what stays readable.
        steps => span.size(14.0 + 2.0 * f32::from(steps.clamp(-3, 8))),
    }
}
