//! Form layout: labelled fields with their validation message, grouped in titled cards.

use iced::widget::{Column, checkbox, column, container, row, text};
use iced::{Alignment, Element, Length};

use crate::theme;

/// Width of the label column, so inputs line up within a card.
const LABEL_WIDTH: f32 = 110.0;

/// A label on the left; on the right the input and, below it, what is wrong with it.
pub fn field<'a, Message: 'a>(
    label: &'a str,
    input: impl Into<Element<'a, Message>>,
    error: Option<&'a str>,
) -> Element<'a, Message> {
    let label = container(text(label).size(14)).width(LABEL_WIDTH).padding([7, 0]);
    let error = error.map(|message| text(message).size(13).style(theme::text::error));
    row![label, column![input.into()].push(error).spacing(4).width(Length::Fill)]
        .spacing(12)
        .align_y(Alignment::Start)
        .into()
}

/// A card with a title above its fields.
pub fn section<'a, Message: 'a>(title: &'a str, fields: Column<'a, Message>) -> Element<'a, Message> {
    container(column![text(title).size(16), fields.spacing(10)].spacing(12))
        .padding(16)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

/// A checkbox with its label, reachable by a widget id (tests click it by id). Without
/// `on_toggle` it is shown disabled.
pub fn check<'a, Message: 'a>(
    widget_id: &'static str,
    label: &'a str,
    checked: bool,
    on_toggle: Option<impl Fn(bool) -> Message + 'a>,
) -> Element<'a, Message> {
    container(checkbox(checked).label(label).text_size(14).size(16).spacing(8).on_toggle_maybe(on_toggle))
        .id(iced::widget::Id::new(widget_id))
        .into()
}
