//! The mailbox's layout: toolbar, folders | list above reader, status line; or, when the
//! store cannot be opened, why.

use iced::widget::{button, column, container, row, space, text};
use iced::{Element, Length, Theme, widget};

use tidings_mail::error::Error;

use super::{Mailbox, Message, folders, format, id, outbox, sentence};
use crate::widget::status::Status;

impl Mailbox {
    /// The mailbox, with `status`: the account's send/receive status (the app keeps it, as
    /// the passes run whether the mailbox is open or not).
    pub fn view(&self, theme: &Theme, status: &Status) -> Element<'_, Message> {
        if let Some(e) = &self.failure {
            return failure_view(e);
        }
        let chosen = (!self.showing_outbox).then(|| self.list.folder()).flatten();
        let folder_pane = column![folders::view(&self.folders, chosen)]
            .push(outbox::entry(&self.outbox, self.showing_outbox));
        let right: Element<'_, Message> = if self.showing_outbox {
            outbox::view(&self.outbox)
        } else {
            column![
                container(self.list.view())
                    .height(Length::FillPortion(5))
                    .style(crate::theme::mailbox::surface),
                container(self.reader.view(theme))
                    .height(Length::FillPortion(6))
                    .style(crate::theme::mailbox::surface),
            ]
            .into()
        };
        let panes = row![
            container(folder_pane).width(230).height(Length::Fill),
            container(right).width(Length::Fill),
        ]
        .height(Length::Fill);
        column![self.toolbar(status), panes].push(self.sign_in_panel()).push(self.status_line(status)).into()
    }

    fn status_line<'a>(&'a self, status_of: &Status) -> Element<'a, Message> {
        let status = status_of.view();
        let counts = self.list.counts();
        let counts = (self.list.folder().is_some()).then(|| {
            text(format!("{} messages, {} unread", format::count(counts.total), format::count(counts.unread)))
                .size(12)
                .style(crate::theme::text::muted)
        });
        let notice = self.notice.as_ref().map(|(words, bad)| {
            text(words).size(12).style(if *bad {
                crate::theme::text::error
            } else {
                crate::theme::text::success
            })
        });
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
