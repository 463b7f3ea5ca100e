//! The inspector's layout: the form and the report on the left, scrolling together; the live
//! transcript on the right, filling the height.

use iced::widget::{Column, button, column, container, row, scrollable, space, text, text_input};
use iced::{Alignment, Element, Length, widget};

use super::{Inspector, Message, Run, id, report};
use crate::theme;

impl Inspector {
    pub fn view(&self) -> Element<'_, Message> {
        let back = container(
            button(text("Back")).padding([6, 16]).style(theme::button::secondary).on_press(Message::Back),
        )
        .id(widget::Id::new(id::BACK));
        let header = row![
            back,
            text("Server inspector").size(24),
            space::horizontal(),
            text("Credentials never appear in the transcript or the report.")
                .size(13)
                .style(theme::text::muted),
        ]
        .spacing(16)
        .align_y(Alignment::Center);

        let running = self.is_running();
        let mut left =
            Column::new().spacing(16).padding(iced::Padding { right: 14.0, ..iced::Padding::ZERO });
        left = left.push(self.form.view(!running, running));
        left = match &self.run {
            Run::Idle => left,
            Run::Running { target, .. } => left
                .push(text(format!("Inspecting {target}…")).size(14).style(theme::text::muted))
                .push(report::stages(&self.stages)),
            Run::Failed(why) => left.push(
                container(text(why.as_str()).size(14).style(theme::text::error))
                    .padding(12)
                    .width(Length::Fill)
                    .style(theme::container::error),
            ),
            Run::Finished(report) => left
                .push(report::result(report))
                .push(self.export_view())
                .push(report::stages(&self.stages))
                .extend(report::details(report)),
        };

        let left = scrollable(left).id(widget::Id::new(id::REPORT)).height(Length::Fill);
        let body = row![
            container(left).width(Length::FillPortion(1)),
            container(self.transcript.view()).width(Length::FillPortion(1)),
        ]
        .spacing(16)
        .height(Length::Fill);

        column![header, body].spacing(16).padding(20).into()
    }

    /// Copy or save the finished report.
    fn export_view(&self) -> Element<'_, Message> {
        let export = &self.export;
        let saving = export.saving;
        let path = |widget_id: &'static str, value: &'_ str, on_input: fn(String) -> Message| {
            text_input("", value)
                .id(widget::Id::new(widget_id))
                .on_input(on_input)
                .padding(6)
                .size(13)
                .width(Length::Fill)
                .style(theme::text_input::field)
        };
        let action = |label: &'static str, widget_id: &'static str, message: Message| {
            container(
                button(text(label).size(13))
                    .padding([6, 12])
                    .style(theme::button::secondary)
                    .on_press_maybe((!saving).then_some(message)),
            )
            .id(widget::Id::new(widget_id))
            .width(130)
        };
        let outcome = export.outcome.as_ref().map(|outcome| match outcome {
            Ok(done) => text(done.as_str()).size(13).style(theme::text::success),
            Err(error) => text(error.to_string()).size(13).style(theme::text::error),
        });

        report::card(
            "Export",
            column![
                row![
                    path(id::MARKDOWN_PATH, &export.markdown_path, Message::MarkdownPath),
                    action("Save Markdown", id::SAVE_MARKDOWN, Message::SaveMarkdown),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
                row![
                    path(id::JSON_PATH, &export.json_path, Message::JsonPath),
                    action("Save JSON", id::SAVE_JSON, Message::SaveJson),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
                row![
                    text("Or paste it into a ticket:").size(13).style(theme::text::muted),
                    space::horizontal(),
                    action("Copy report", id::COPY_REPORT, Message::CopyReport),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            ]
            .push(outcome)
            .spacing(8),
        )
    }
}
