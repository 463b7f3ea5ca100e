//! The mailbox's layout: toolbar, folders | list above reader (both dividers dragged, see
//! [`super::panes`]), status line; or, when the store cannot be opened, why.

use iced::widget::{button, column, container, pane_grid, responsive, row, space, text};
use iced::{Element, Length, Theme, widget};

use tidings_mail::error::Error;

use super::panes::{Divider, Msg as PanesMsg, Part, Side};
use super::{Mailbox, Message, ROW_HEIGHT, folders, format, id, outbox, sentence, views};
use crate::widget::status::Status;

/// The gap between panes, which is the divider one drags…
const DIVIDER: f32 = 3.0;
/// …and the room on either side of it that grabs it too.
const GRAB: f32 = 8.0;
/// No pane is dragged smaller than this.
const MIN_PANE: f32 = 120.0;

impl Mailbox {
    /// The mailbox, with `status`: the account's send/receive status (the app keeps it, as
    /// the passes run whether the mailbox is open or not).
    pub fn view(&self, theme: &Theme, status: &Status) -> Element<'_, Message> {
        if let Some(e) = &self.failure {
            return failure_view(e);
        }
        let panes = pane_grid(&self.panes.outer, |_, side, _| {
            pane_grid::Content::new(match side {
                Side::Folders => self.folder_pane(),
                Side::Mail => self.mail_pane(theme),
            })
        })
        .spacing(DIVIDER)
        .min_size(MIN_PANE)
        .on_resize(GRAB, |e| Message::Panes(PanesMsg::Resized(Divider::Folders, e)))
        .style(crate::theme::mailbox::divider)
        .height(Length::Fill);
        let page = column![self.toolbar(status.is_busy()), panes]
            .push(self.sign_in_panel())
            .push(self.status_line(status));
        self.with_picker(page.into())
    }

    fn folder_pane(&self) -> Element<'_, Message> {
        let chosen = (!self.showing_outbox).then(|| self.list.folder()).flatten();
        let view = (!self.showing_outbox).then(|| self.list.view_shown()).flatten();
        let (dragging, drop_on) = (self.drag.is_dragging(), self.drag.over_folder());
        column![
            views::pane(&self.views, view, dragging),
            responsive(move |size| folders::view(&self.folders, chosen, size.width, dragging, drop_on))
        ]
        .push(outbox::entry(&self.outbox, self.showing_outbox))
        .push(self.folder_admin_view())
        .into()
    }

    /// The list above the reader; or the Outbox in their place.
    fn mail_pane<'a>(&'a self, theme: &Theme) -> Element<'a, Message> {
        if self.showing_outbox {
            return outbox::view(&self.outbox);
        }
        pane_grid(&self.panes.inner, |_, part, _| {
            let body: Element<'_, Message> = match part {
                Part::List => {
                    let shown: Element<'_, Message> = if self.search.is_active() {
                        self.search_results(theme)
                    } else if let Some(threads) = self.threads_view() {
                        threads
                    } else {
                        responsive(|size| self.list.view(size.width, self.search.account_names())).into()
                    };
                    let bar = row![container(self.search_bar()).width(Length::Fill), self.threads_toggle()];
                    column![bar, shown].into()
                }
                Part::Reader if self.conversation_shown() => self.conversation_view(theme),
                Part::Reader => self.reader_or_chosen(theme),
            };
            pane_grid::Content::new(
                container(body).height(Length::Fill).style(crate::theme::mailbox::surface),
            )
        })
        .spacing(DIVIDER)
        .min_size(ROW_HEIGHT * 3.0)
        .on_resize(GRAB, |e| Message::Panes(PanesMsg::Resized(Divider::List, e)))
        .style(crate::theme::mailbox::divider)
        .into()
    }

    fn status_line<'a>(&'a self, status_of: &Status) -> Element<'a, Message> {
        let status = status_of.view();
        let counts = self.list.counts();
        let counts = (self.list.source().is_some()).then(|| {
            text(format::counts(counts.total, counts.unread)).size(12).style(crate::theme::text::muted)
        });
        // While dragging, what letting go does, in place of the last notice.
        let notice = match self.drag_line() {
            Some(line) => Some(text(line).size(12)),
            None => self.notice.as_ref().map(|(words, bad)| {
                text(words.as_str()).size(12).style(if *bad {
                    crate::theme::text::error
                } else {
                    crate::theme::text::success
                })
            }),
        };
        let sign_in = self.sign_in_view(status_of);
        container(row![status].push(sign_in).push(space::horizontal()).push(notice).push(counts).spacing(16))
            .padding([5, 12])
            .width(Length::Fill)
            .style(crate::theme::mailbox::status)
            .into()
    }
}

fn failure_view(e: &Error) -> Element<'_, Message> {
    let back = container(
        button(text("Back to the accounts"))
            .padding([8, 20])
            .style(crate::theme::button::primary)
            .on_press(Message::Back),
    )
    .id(widget::Id::new(id::BACK));
    container(
        container(
            column![
                text("Tidings cannot open this mailbox").size(20),
                text(format!("{}.", sentence(&e.to_string()))).size(14),
                text(e.advice()).size(14).style(crate::theme::text::muted),
                back,
            ]
            .spacing(12),
        )
        .padding(24)
        .max_width(640)
        .style(crate::theme::container::error),
    )
    .center(Length::Fill)
    .padding(24)
    .into()
}
