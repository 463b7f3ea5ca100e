//! A segmented choice: a row of buttons, one per option, the chosen one filled.
//!
//! Used instead of radio buttons because each option carries a widget id, so tests (and
//! later keyboard navigation) can reach an option directly.

use iced::widget::{Row, button, container, text};
use iced::{Element, widget};

use crate::theme;

/// One option: its value, the label shown and the widget id of its button.
#[derive(Debug, Clone, Copy)]
pub struct Choice<T> {
    pub value: T,
    pub label: &'static str,
    pub id: &'static str,
}

/// A row of buttons; pressing one produces `on_select(value)`.
pub fn segmented<'a, T, Message>(
    choices: &[Choice<T>],
    selected: T,
    on_select: impl Fn(T) -> Message,
) -> Element<'a, Message>
where
    T: Copy + PartialEq,
    Message: Clone + 'a,
{
    let buttons = choices.iter().map(|choice| {
        // A label never wraps: a two-line option in a row of one-line ones reads as broken.
        let button = button(text(choice.label).size(14).wrapping(iced::widget::text::Wrapping::None))
            .padding([5, 12])
            .style(theme::button::choice(choice.value == selected))
            .on_press(on_select(choice.value));
        container(button).id(widget::Id::new(choice.id)).into()
    });
    Row::with_children(buttons).spacing(4).into()
}
