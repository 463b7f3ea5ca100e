//! The composer's window: the toolbar (Send, Close, the status line), the question asked
//! on closing, the drafts left from before, the header fields with completion, the
//! attachments, and the body.

use iced::widget::text::Wrapping;
use iced::widget::{
    Row, button, column, container, pick_list, responsive, row, space, text, text_editor, text_input, tooltip,
};
use iced::{Alignment, Element, Length, padding, widget};

use super::{Composer, Field, Message, id, size_text};
use crate::theme;
use crate::widget::form::check;

impl Composer {
    pub fn view(&self) -> Element<'_, Message> {
        // Each child keeps its place whatever is shown: iced hands a child the widget state
        // (the focus, the cursor) of the child that was at its position, and a column leaves
        // out children of zero size. A row coming or going above a field gave that field's
        // focus to the next one (keys typed in Cc went on in Bcc). What comes and goes is
        // inside a column of its own.
        let notices = column![].push(self.asking.then(|| self.question()));
        let notices = notices.push((!self.restorable.is_empty()).then(|| self.drafts()));
        let form = column![
            self.sender_row(),
            self.address_field("To", Field::To, id::TO),
            self.address_field("Cc", Field::Cc, id::CC),
            self.address_field("Bcc", Field::Bcc, id::BCC),
            labelled(
                "Subject",
                text_input("", &self.subject)
                    .id(widget::Id::new(id::SUBJECT))
                    .on_input(Message::SubjectChanged)
                    .padding(6)
                    .style(theme::text_input::field)
                    .into()
            ),
            self.attachments_view(),
            text_editor(&self.body)
                .id(widget::Id::new(id::BODY))
                .placeholder(if self.preparing { "Reading the original message…" } else { "" })
                .on_action(Message::Edit)
                .key_binding(|press| {
                    if super::is_send_key(&press.key, press.modifiers) {
                        Some(text_editor::Binding::Custom(Message::Send))
                    } else {
                        text_editor::Binding::from_key_press(press)
                    }
                })
                .height(Length::Fill)
                .padding(10),
        ]
        .spacing(8)
        .padding([12, 16])
        .height(Length::Fill);
        column![self.toolbar(), notices, form].height(Length::Fill).into()
    }

    fn toolbar(&self) -> Element<'_, Message> {
        let send = container(
            button(text(if self.sending { "Sending…" } else { "Send" }).size(14))
                .padding([6, 18])
                .style(theme::button::primary)
                .on_press_maybe((!self.sending && !self.preparing).then_some(Message::Send)),
        )
        .id(widget::Id::new(id::SEND));
        let close = container(
            button(text("Close").size(14))
                .padding([6, 14])
                .style(theme::button::secondary)
                .on_press(Message::Close),
        )
        .id(widget::Id::new(id::CLOSE));
        let (note, is_error) = match &self.status {
            Some((note, is_error)) => (note.as_str(), *is_error),
            None => ("Ctrl+Enter sends", false),
        };
        let style = if is_error { theme::text::error } else { theme::text::muted };
        // One line, whatever its length: a long note (an error with the server's words) is
        // cut with "…" to the room there is, whole in a tooltip, so the form stays in place.
        let line = responsive(move |room| {
            text(elide(note, room.width, STATUS_SIZE))
                .size(STATUS_SIZE)
                .style(style)
                .wrapping(Wrapping::None)
                .into()
        });
        let status = tooltip(
            container(line)
                .height(STATUS_SIZE * 1.5)
                .width(Length::Fill)
                .align_y(Alignment::Center)
                .clip(true),
            container(text(note).size(STATUS_SIZE).style(style))
                .padding(8)
                .max_width(560)
                .style(theme::container::card),
            tooltip::Position::Bottom,
        );
        container(
            row![
                send,
                close,
                container(status).id(widget::Id::new(id::STATUS)).width(Length::Fill),
                text(self.title()).size(16)
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        )
        .padding([8, 12])
        .width(Length::Fill)
        .style(theme::mailbox::bar)
        .into()
    }

    fn title(&self) -> String {
        let subject = self.subject.trim();
        if subject.is_empty() { "New message".to_string() } else { subject.to_string() }
    }

    fn question(&self) -> Element<'_, Message> {
        let choice = |label: &'static str, widget_id: &'static str, message: Message, primary: bool| {
            container(
                button(text(label).size(14))
                    .padding([6, 14])
                    .style(if primary { theme::button::primary } else { theme::button::secondary })
                    .on_press(message),
            )
            .id(widget::Id::new(widget_id))
        };
        container(
            row![
                text("This message has changes that are not saved.").size(14),
                space::horizontal(),
                choice("Discard", id::DISCARD, Message::Discard, false),
                choice("Save draft", id::SAVE_DRAFT, Message::SaveAndClose, true),
                choice("Cancel", id::CANCEL, Message::CancelClose, false),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        )
        .padding([10, 16])
        .width(Length::Fill)
        .style(theme::container::warning)
        .into()
    }

    fn drafts(&self) -> Element<'_, Message> {
        let mut list = column![text("Unsent drafts").size(14)].spacing(4);
        for draft in self.restorable.iter().take(5) {
            let subject = if draft.subject.trim().is_empty() { "(no subject)" } else { draft.subject.trim() };
            let to = if draft.to.trim().is_empty() {
                String::new()
            } else {
                format!(" — to {}", draft.to.trim())
            };
            list = list.push(
                row![
                    text(format!("{subject}{to}")).size(13).width(Length::Fill),
                    container(
                        button(text("Restore").size(13))
                            .padding([3, 10])
                            .style(theme::button::secondary)
                            .on_press(Message::Restore(draft.id.clone())),
                    )
                    .id(widget::Id::from(id::restore(&draft.id))),
                    container(
                        button(text("Discard").size(13))
                            .padding([3, 10])
                            .style(theme::button::secondary)
                            .on_press(Message::DiscardListed(draft.id.clone())),
                    )
                    .id(widget::Id::from(id::discard_draft(&draft.id))),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        }
        container(list).padding([8, 16]).width(Length::Fill).style(theme::container::card).into()
    }

    fn sender_row(&self) -> Element<'_, Message> {
        let from = container(
            pick_list(self.senders.clone(), Some(self.from.clone()), Message::FromSelected)
                .text_size(14)
                .padding([5, 8])
                .style(theme::mailbox::picker),
        )
        .id(widget::Id::new(id::FROM));
        let receipt = check(
            id::REQUEST_RECEIPT,
            "Request a read receipt",
            self.request_receipt,
            Some(Message::RequestReceipt),
        );
        labelled(
            "From",
            row![from, space::horizontal(), receipt].spacing(12).align_y(Alignment::Center).into(),
        )
    }

    /// An address field with, below it, the addresses seen that match what is typed.
    fn address_field(
        &self,
        label: &'static str,
        field: Field,
        widget_id: &'static str,
    ) -> Element<'_, Message> {
        let input = labelled(
            label,
            text_input("", self.field(field))
                .id(widget::Id::new(widget_id))
                .on_input(move |t| Message::AddressChanged(field, t))
                .padding(6)
                .style(theme::text_input::field)
                .into(),
        );
        column![input].push(self.suggestions_of(field)).spacing(4).into()
    }

    /// The completion row; it wraps onto a second line rather than scroll (a scroll bar
    /// would cover half of each suggestion).
    fn suggestions_of(&self, field: Field) -> Option<Element<'_, Message>> {
        let (shown, found) = self.suggestions.as_ref()?;
        if *shown != field {
            return None;
        }
        let buttons = found.iter().enumerate().map(|(i, a)| {
            let display = a.display();
            container(
                button(text(display.clone()).size(13))
                    .padding([3, 8])
                    .style(theme::button::secondary)
                    .on_press(Message::PickSuggestion(field, display)),
            )
            .id(widget::Id::from(id::suggestion(i)))
            .into()
        });
        Some(container(Row::with_children(buttons).spacing(6).wrap()).padding(padding::left(64)).into())
    }

    fn attachments_view(&self) -> Element<'_, Message> {
        let mut list = column![].spacing(4);
        for (i, a) in self.attachments.iter().enumerate() {
            list = list.push(
                row![
                    space::horizontal().width(64),
                    text(format!("📎 {} ({})", a.name, size_text(a.bytes.len()))).size(13),
                    container(
                        button(text("Remove").size(12))
                            .padding([2, 8])
                            .style(theme::button::secondary)
                            .on_press(Message::RemoveAttachment(i)),
                    )
                    .id(widget::Id::from(id::remove(i))),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        }
        let total: usize = self.attachments.iter().map(|a| a.bytes.len()).sum();
        let attach = row![
            text_input("A file to attach (or drop files on the window)", &self.attach_path)
                .id(widget::Id::new(id::ATTACH_PATH))
                .on_input(Message::AttachPathChanged)
                .on_submit(Message::AttachPath)
                .padding(6)
                .style(theme::text_input::field),
            container(
                button(text("Attach").size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press(Message::AttachPath),
            )
            .id(widget::Id::new(id::ATTACH)),
            container(
                button(text("Choose files…").size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press(Message::PickFiles),
            )
            .id(widget::Id::new(id::PICK)),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        let mut out = column![labelled("Attach", attach.into())].spacing(4);
        if !self.attachments.is_empty() {
            out = out.push(list).push(row![
                space::horizontal().width(64),
                text(format!("{} attached, {} in all", self.attachments.len(), size_text(total)))
                    .size(12)
                    .style(theme::text::muted)
            ]);
        }
        out.into()
    }
}

const STATUS_SIZE: f32 = 13.0;

/// `note` cut to about `width` pixels of text at `size`, ending in "…" when cut. An estimate
/// (an average glyph is a little over half the size wide), on the safe side.
fn elide(note: &str, width: f32, size: f32) -> String {
    let fits = ((width / (size * 0.62)).floor() as usize).max(1);
    if note.chars().count() <= fits {
        return note.to_string();
    }
    let mut cut: String = note.chars().take(fits.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

fn labelled<'a>(label: &'a str, field: Element<'a, Message>) -> Element<'a, Message> {
    row![text(label).size(14).width(56), field].spacing(8).align_y(Alignment::Center).into()
}
