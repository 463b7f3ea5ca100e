//! A row of the message list ([`super::list`]): star, (in a view across every account, the
//! account's name,) sender, subject, date and size, each cut to its column. It reports the
//! cursor coming and going, for a drag ([`super::drag`]).

use iced::font::Weight;
use iced::widget::text::{LineHeight, Wrapping};
use iced::widget::{button, container, row, text};
use iced::{Alignment, Element, Font, Length, widget};

use tidings_mail::store::{FolderId, MessageRow};

use super::list::ROW_HEIGHT;
use super::{Message, drag, elide, format, id};
use crate::theme;

const TEXT_SIZE: f32 = 13.0;
pub const DATE_WIDTH: f32 = 150.0;
pub const SIZE_WIDTH: f32 = 70.0;
pub const STAR_WIDTH: f32 = 22.0;
/// The account's name in a view's rows.
pub const ACCOUNT_WIDTH: f32 = 110.0;

/// The room for text in the two columns that share the list's width.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    account: f32,
    sender: f32,
    subject: f32,
}

impl Columns {
    /// `accounts`: a view's rows, with the account's column.
    pub fn for_width(width: f32, accounts: bool) -> Columns {
        let account = if accounts { ACCOUNT_WIDTH } else { 0.0 };
        // Sender and subject share what the fixed columns and the scrollbar leave, 3:6, each
        // less its padding.
        let shared = (width - STAR_WIDTH - account - DATE_WIDTH - SIZE_WIDTH - 12.0).max(0.0);
        Columns {
            account: account - 12.0,
            sender: shared * 3.0 / 9.0 - 12.0,
            subject: shared * 6.0 / 9.0 - 12.0,
        }
    }
}

/// One message: star, (in a view, the account's name,) sender, subject, date, size. Unread
/// in bold; an unreadable header as an error row. Sender and subject end with "…" when longer
/// than their column. `whose`: a view's row's folder and account name.
pub fn row_view<'a>(
    index: usize,
    message: &'a MessageRow,
    whose: Option<(FolderId, &str)>,
    selected: bool,
    columns: Columns,
) -> Element<'a, Message> {
    let font = if message.unread { Font { weight: Weight::Bold, ..Font::DEFAULT } } else { Font::DEFAULT };
    let fit = |words: &str, room: f32| elide::elide(words, room, TEXT_SIZE, message.unread).into_owned();
    let cell = |content: String| {
        text(content)
            .size(TEXT_SIZE)
            .font(font)
            .line_height(LineHeight::Absolute(ROW_HEIGHT.into()))
            .wrapping(Wrapping::None)
    };
    let clip = |t: iced::widget::Text<'static>| container(t).clip(true).padding([0, 6]);
    let star = container(text(if message.flagged { "★" } else { "" }).size(13).style(theme::mailbox::star))
        .width(STAR_WIDTH)
        .center_x(STAR_WIDTH);
    let (sender, subject) = match &message.parse_error {
        Some(why) => (
            clip(cell(fit("⚠ Unreadable header", columns.sender)).style(theme::text::error)),
            clip(cell(fit(why, columns.subject)).style(theme::text::error)),
        ),
        None => (
            clip(cell(fit(&format::sender(&message.summary), columns.sender))),
            clip(cell(fit(format::subject(&message.summary), columns.subject))),
        ),
    };
    let account = whose.map(|(_, name)| {
        clip(cell(fit(name, columns.account)).font(Font::DEFAULT).style(theme::text::muted))
            .width(ACCOUNT_WIDTH)
    });
    let line = row![star]
        .push(account)
        .extend([
            sender.width(Length::FillPortion(3)).into(),
            subject.width(Length::FillPortion(6)).into(),
            clip(cell(format::row_date(message)).style(theme::text::muted)).width(DATE_WIDTH).into(),
            container(cell(format::size(u64::from(message.size))).style(theme::text::muted))
                .width(SIZE_WIDTH)
                .padding([0, 6])
                .align_right(SIZE_WIDTH)
                .into(),
        ])
        .height(ROW_HEIGHT)
        .align_y(Alignment::Center);
    let row = container(
        button(line)
            .padding(iced::Padding { right: 12.0, ..iced::Padding::ZERO })
            .width(Length::Fill)
            .height(ROW_HEIGHT)
            .style(theme::mailbox::row(selected))
            .on_press(Message::Click(index, message.uid)),
    )
    .id(widget::Id::from(match whose {
        Some((folder, _)) => id::view_row(folder, message.uid),
        None => id::row(message.uid),
    }));
    drag::row(index, message.uid, row.into())
}
