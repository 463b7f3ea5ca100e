//! The threaded list's rows: the headings, the threads with their triangles and counts, the
//! messages beneath an open thread indented by their place in the conversation.

use iced::font::Weight;
use iced::widget::text::{LineHeight, Wrapping};
use iced::widget::{button, column, container, row, scrollable, space, text};
use iced::{Alignment, Element, Font, Length, widget};

use tidings_mail::store::{MessageRow, SortKey, ThreadId, ThreadSummary};

use super::super::{Message, ROW_HEIGHT, elide, format};
use super::{
    COUNT_WIDTH, Child, DATE_WIDTH, INDENT, Line, MAX_INDENT, Msg, STAR_WIDTH, TEXT_SIZE, TRIANGLE_WIDTH,
    Threads, ids,
};
use crate::theme;
use crate::widget::virtual_list;

impl Threads {
    pub fn view(&self, width: f32) -> Element<'_, Message> {
        let body: Element<'_, Message> = match self.folder {
            None => note("Choose a folder."),
            Some(_) if !self.loaded => note("Loading…"),
            Some(_) if self.order.is_empty() => note("No messages in this folder."),
            Some(_) => self.lines(width),
        };
        column![self.headings(), body].height(Length::Fill).into()
    }

    fn headings(&self) -> Element<'_, Message> {
        let heading = |label: &'static str, key: SortKey| {
            let arrow = match (self.sort.key == key, self.sort.descending) {
                (false, _) => "",
                (true, true) => " ▼",
                (true, false) => " ▲",
            };
            button(text(format!("{label}{arrow}")).size(12).font(bold()))
                .padding([4, 6])
                .width(Length::Fill)
                .style(theme::mailbox::heading)
                .on_press(Message::SortBy(key))
        };
        let count = text("Messages").size(12).font(bold());
        container(
            row![
                space().width(TRIANGLE_WIDTH + STAR_WIDTH),
                heading("Sender", SortKey::Sender).width(Length::FillPortion(3)),
                heading("Subject", SortKey::Subject).width(Length::FillPortion(6)),
                container(count).padding([4, 6]).width(COUNT_WIDTH),
                heading("Date", SortKey::Date).width(DATE_WIDTH),
            ]
            .align_y(Alignment::Center)
            .padding(iced::Padding { right: 12.0, ..iced::Padding::ZERO }),
        )
        .width(Length::Fill)
        .style(theme::mailbox::bar)
        .into()
    }

    fn lines(&self, width: f32) -> Element<'_, Message> {
        let window = self.window();
        // Sender and subject share what the fixed columns leave, 3:6, less their padding.
        let shared = (width - TRIANGLE_WIDTH - STAR_WIDTH - COUNT_WIDTH - DATE_WIDTH - 12.0).max(0.0);
        let room = (shared * 3.0 / 9.0 - 12.0, shared * 6.0 / 9.0 - 12.0);
        let selected = self.selected.and_then(|l| self.index_of(l));
        let lines = (window.first..window.last).map(|index| {
            let chosen = selected == Some(index);
            match self.at(index) {
                Some((position, None)) => match self.summary(position) {
                    Some(summary) => self.thread_line(summary, chosen, room),
                    None => empty(),
                },
                Some((position, Some(k))) => {
                    let thread = self.order.get(position).map(|(t, _)| *t);
                    match thread.and_then(|t| Some((t, self.children(t)?.get(k)?))) {
                        Some((thread, child)) => message_line(thread, child, chosen, room),
                        None => empty(),
                    }
                }
                None => empty(),
            }
        });
        scrollable(virtual_list::column(self.total(), window, ROW_HEIGHT, lines).width(Length::Fill))
            .id(widget::Id::new(ids::LIST))
            .on_scroll(|v| Message::Threads(Msg::Scrolled(v)))
            .style(theme::mailbox::scrollbar)
            .width(Length::Fill)
            .height(Length::Fill)
            .into()
    }

    fn thread_line<'a>(&self, s: &'a ThreadSummary, chosen: bool, room: (f32, f32)) -> Element<'a, Message> {
        let unread = s.unread > 0;
        let triangle: Element<'a, Message> = if s.count > 1 {
            let open = self.open.contains_key(&s.thread);
            container(
                button(text(if open { "▼" } else { "▶" }).size(11).style(theme::text::muted))
                    .padding([4, 4])
                    .style(theme::mailbox::heading)
                    .on_press(Message::Threads(Msg::Disclose(s.thread))),
            )
            .id(widget::Id::from(ids::disclosure(s.thread)))
            .width(TRIANGLE_WIDTH)
            .center_x(TRIANGLE_WIDTH)
            .into()
        } else {
            space().width(TRIANGLE_WIDTH).into()
        };
        let count = match (s.count, s.unread) {
            (1, _) => String::new(),
            (n, 0) => format!("({n})"),
            (n, u) => format!("({n}, {u} unread)"),
        };
        let m = &s.newest;
        let line = row![
            star(m),
            cells(m, unread, room, 0.0),
            container(cell(count, unread).style(theme::text::muted)).padding([0, 6]).width(COUNT_WIDTH),
            date_cell(m),
        ]
        .height(ROW_HEIGHT)
        .align_y(Alignment::Center);
        let pick = pick(line, chosen, Line::Thread(s.thread));
        container(row![triangle, pick].align_y(Alignment::Center))
            .id(widget::Id::from(ids::thread(s.thread)))
            .into()
    }
}

/// A message beneath its open thread, indented by its depth in the conversation.
fn message_line(thread: ThreadId, child: &Child, chosen: bool, room: (f32, f32)) -> Element<'_, Message> {
    let m = &child.row;
    let indent = INDENT * (1 + child.depth.min(MAX_INDENT)) as f32;
    let line = row![star(m), cells(m, m.unread, room, indent), space().width(COUNT_WIDTH), date_cell(m),]
        .height(ROW_HEIGHT)
        .align_y(Alignment::Center);
    let pick = pick(line, chosen, Line::Message(thread, m.uid));
    container(row![space().width(TRIANGLE_WIDTH), pick]).id(widget::Id::from(ids::message(m.uid))).into()
}

fn date_cell(m: &MessageRow) -> Element<'_, Message> {
    container(cell(format::row_date(m), false).style(theme::text::muted))
        .clip(true)
        .padding([0, 6])
        .width(DATE_WIDTH)
        .into()
}

/// A line as a button that clicks `line`, drawn chosen or not.
fn pick<'a>(
    content: iced::widget::Row<'a, Message>,
    chosen: bool,
    line: Line,
) -> iced::widget::Button<'a, Message> {
    button(content)
        .padding(iced::Padding { right: 12.0, ..iced::Padding::ZERO })
        .width(Length::Fill)
        .height(ROW_HEIGHT)
        .style(theme::mailbox::row(chosen))
        .on_press(Message::Threads(Msg::Click(line)))
}

fn bold() -> Font {
    Font { weight: Weight::Bold, ..Font::DEFAULT }
}

fn cell(content: String, strong: bool) -> iced::widget::Text<'static> {
    text(content)
        .size(TEXT_SIZE)
        .font(if strong { bold() } else { Font::DEFAULT })
        .line_height(LineHeight::Absolute(ROW_HEIGHT.into()))
        .wrapping(Wrapping::None)
}

fn star(m: &MessageRow) -> Element<'static, Message> {
    container(text(if m.flagged { "★" } else { "" }).size(13).style(theme::mailbox::star))
        .width(STAR_WIDTH)
        .center_x(STAR_WIDTH)
        .into()
}

/// Sender and subject, elided to their columns; the subject indented by `indent`.
fn cells(m: &MessageRow, strong: bool, room: (f32, f32), indent: f32) -> Element<'static, Message> {
    let fit = |words: &str, room: f32| elide::elide(words, room.max(0.0), TEXT_SIZE, strong).into_owned();
    let (sender, subject) = match &m.parse_error {
        Some(why) => (
            cell(fit("⚠ Unreadable header", room.0), strong).style(theme::text::error),
            cell(fit(why, room.1 - indent), strong).style(theme::text::error),
        ),
        None => (
            cell(fit(&format::sender(&m.summary), room.0), strong),
            cell(fit(format::subject(&m.summary), room.1 - indent), strong),
        ),
    };
    row![
        container(sender).clip(true).padding([0, 6]).width(Length::FillPortion(3)),
        container(row![space().width(indent), subject].align_y(Alignment::Center))
            .clip(true)
            .padding([0, 6])
            .width(Length::FillPortion(6)),
    ]
    .width(Length::FillPortion(9))
    .into()
}

fn empty() -> Element<'static, Message> {
    container(text("")).height(ROW_HEIGHT).into()
}

fn note(words: &'static str) -> Element<'static, Message> {
    container(text(words).size(13).style(theme::text::muted)).padding(16).into()
}
