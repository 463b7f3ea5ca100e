//! How the account settings look: the wizard's form cards, the options grouped by what they
//! are about, and removal behind a question that says what will be deleted.

use iced::widget::{Column, button, center, column, container, row, scrollable, space, text, text_input};
use iced::{Alignment, Element, Length, Theme, widget};

use tidings_mail::account::Incoming;
use tidings_mail::options::{BodyFormat, IdleFolders, MAX_IDLE_CONNECTIONS, MinTls};

use super::{Message, OfflineScope, OptionEdit, OptionErrors, Settings, Stage, id, preview};
use crate::screen::wizard::fields::{
    AccountMessages, ServerIds, account_section, protocol_choice, server_section,
};
use crate::theme;
use crate::widget::choice::{Choice, segmented};
use crate::widget::form::{check, field, section};

const MAX_WIDTH: f32 = 920.0;

const BODY_FORMATS: [Choice<BodyFormat>; 3] = [
    Choice { value: BodyFormat::PlainText, label: "Plain text", id: id::BODY_PLAIN },
    Choice { value: BodyFormat::Html, label: "HTML", id: id::BODY_HTML },
    Choice { value: BodyFormat::Best, label: "Best available", id: id::BODY_BEST },
];

const MIN_TLS: [Choice<MinTls>; 2] = [
    Choice { value: MinTls::Tls12, label: "TLS 1.2", id: id::TLS_12 },
    Choice { value: MinTls::Tls13, label: "TLS 1.3", id: id::TLS_13 },
];

const IDLE_FOLDERS: [Choice<IdleFolders>; 3] = [
    Choice { value: IdleFolders::Inbox, label: "INBOX only", id: id::IDLE_INBOX },
    Choice { value: IdleFolders::Special, label: "INBOX and special folders", id: id::IDLE_SPECIAL },
    Choice { value: IdleFolders::Subscribed, label: "INBOX and subscribed folders", id: id::IDLE_SUBSCRIBED },
];

const OFFLINE: [Choice<OfflineScope>; 3] = [
    Choice { value: OfflineScope::Off, label: "Off", id: id::OFFLINE_OFF },
    Choice { value: OfflineScope::All, label: "All folders", id: id::OFFLINE_ALL },
    Choice { value: OfflineScope::Days, label: "Last days", id: id::OFFLINE_DAYS },
];

const SCHEDULE: [Choice<bool>; 2] = [
    Choice { value: true, label: "Every few minutes", id: id::EVERY },
    Choice { value: false, label: "Only when I ask", id: id::ONLY_WHEN_ASKED },
];

impl Settings {
    pub fn view(&self) -> Element<'_, Message> {
        if matches!(self.stage, Stage::ConfirmRemove | Stage::Removing) {
            return self.confirm_remove();
        }
        if self.stage == Stage::ConfirmLeave {
            return self.confirm_leave();
        }
        let (errors, option_errors, identity_errors) = self.errors.clone().unwrap_or_default();
        let editable = self.stage == Stage::Editing;
        let form = &self.form;

        let back = container(
            button(text("Back")).padding([6, 16]).style(theme::button::secondary).on_press(Message::Back),
        )
        .id(widget::Id::new(id::BACK));
        let header =
            row![back, text(format!("Settings of “{}”", self.account.name)).size(24), space::horizontal(),]
                .spacing(16)
                .align_y(Alignment::Center);

        let messages = AccountMessages {
            sender_name: Message::SenderName,
            name: Message::Name,
            email: Message::Email,
            password: Message::Password,
            sign_in: None,
            oauth2: None,
            submit: Message::Save,
        };
        let account =
            account_section(form, &errors, editable, messages, "Leave empty to keep the saved password");
        let incoming = server_section(
            "Incoming mail",
            Some(protocol_choice(form.incoming_protocol, Message::IncomingProtocol)),
            &form.incoming,
            form.sign_in,
            &errors.incoming,
            &ServerIds::INCOMING,
            "imap.example.com",
            editable,
            Message::Incoming,
            Message::Save,
        );
        let outgoing = server_section(
            "Outgoing mail (SMTP)",
            None,
            &form.outgoing,
            form.sign_in,
            &errors.outgoing,
            &ServerIds::OUTGOING,
            "smtp.example.com",
            editable,
            Message::Outgoing,
            Message::Save,
        );

        let failure = self.failure.as_deref().map(|failure| {
            container(text(failure).size(14).style(theme::text::error))
                .padding(12)
                .width(Length::Fill)
                .style(theme::container::error)
        });
        let save = button(text(if self.stage == Stage::Saving { "Saving…" } else { "Save" }))
            .padding([8, 20])
            .style(theme::button::primary)
            .on_press_maybe(editable.then_some(Message::Save));
        let buttons = row![
            space::horizontal(),
            container(
                button(text("Cancel"))
                    .padding([8, 20])
                    .style(theme::button::secondary)
                    .on_press(Message::Back)
            ),
            container(save).id(widget::Id::new(id::SAVE)),
        ]
        .spacing(12);

        let pop3 = (form.incoming_protocol == Incoming::Pop3).then(|| self.pop3(editable, &option_errors));
        let content = column![
            header,
            account,
            super::identities::view(&self.identities, &identity_errors, editable),
            row![incoming, outgoing].spacing(16),
            self.checking(editable, &option_errors)
        ]
        .push(pop3)
        .push(self.offline(form.incoming_protocol, editable, &option_errors))
        .push(self.reading(editable))
        .push(self.security(editable))
        .push(failure)
        .push(buttons)
        .push(self.removal(editable))
        .spacing(16)
        .padding(24)
        .max_width(MAX_WIDTH);
        scrollable(container(content).center_x(Length::Fill)).id(widget::Id::new(id::PAGE)).into()
    }

    fn checking(&self, editable: bool, errors: &OptionErrors) -> Element<'_, Message> {
        let o = &self.options;
        let toggle = |f: fn(bool) -> OptionEdit| editable.then_some(move |on| Message::Option(f(on)));
        let minutes = text_input("10", &o.every_minutes)
            .id(widget::Id::new(id::EVERY_MINUTES))
            .on_input_maybe(editable.then_some(|t| Message::Option(OptionEdit::EveryMinutes(t))))
            .padding(6)
            .size(14)
            .width(70)
            .style(theme::text_input::field);
        let every = o.periodic.then(|| {
            row![text("Every").size(14), minutes, text("minutes").size(14)]
                .spacing(8)
                .align_y(Alignment::Center)
        });
        let warning = o.schedule_warning().map(|w| text(w).size(13).style(theme::text::warning));
        let error = errors.every_minutes.map(|e| text(e).size(13).style(theme::text::error));
        let idle = (self.form.incoming_protocol == Incoming::Imap).then(|| {
            // Which folders IDLE watches means nothing while IDLE is off.
            let watch = o.options.idle.then(|| {
                column![
                    field(
                        "Watch",
                        segmented(&IDLE_FOLDERS, o.options.idle_folders, |f| {
                            Message::Option(OptionEdit::IdleFolders(f))
                        }),
                        None
                    ),
                    hint_owned(format!(
                        "At most {MAX_IDLE_CONNECTIONS} folders are watched, each on a connection of its own; \
                         the other folders are checked with STATUS each time IDLE is renewed."
                    )),
                ]
                .spacing(4)
                .padding(iced::Padding { left: 24.0, ..iced::Padding::ZERO })
            });
            column![
                check(id::IDLE, "Get new mail at once (IMAP IDLE)", o.options.idle, toggle(OptionEdit::Idle)),
                hint("Tidings renews IDLE every few minutes, as many servers drop quiet connections."),
            ]
            .push(watch)
            .spacing(4)
        });
        section(
            "Checking for new mail",
            column![
                check(
                    id::AT_START,
                    "Check when Tidings starts",
                    o.options.schedule.at_start,
                    toggle(OptionEdit::AtStart)
                ),
                segmented(&SCHEDULE, o.periodic, |on| Message::Option(OptionEdit::Periodic(on))),
            ]
            .push(every)
            .push(error)
            .push(warning)
            .push(idle),
        )
    }

    fn pop3(&self, editable: bool, errors: &OptionErrors) -> Element<'_, Message> {
        let p = &self.options.options.pop3;
        let toggle = |f: fn(bool) -> OptionEdit| editable.then_some(move |on| Message::Option(f(on)));
        let leave = p.leave_on_server;
        let number = |widget: &'static str, value: &'_ str, f: fn(String) -> OptionEdit, enabled: bool| {
            text_input("", value)
                .id(widget::Id::new(widget))
                .on_input_maybe((editable && enabled).then_some(move |t| Message::Option(f(t))))
                .padding(6)
                .size(14)
                .width(80)
                .style(theme::text_input::field)
        };
        let after = row![
            check(
                id::DELETE_AFTER,
                "Delete from the server after",
                p.delete_after_days.is_some(),
                (editable && leave).then_some(|on| Message::Option(OptionEdit::DeleteAfter(on))),
            ),
            number(
                id::DELETE_AFTER_DAYS,
                &self.options.delete_after_days,
                OptionEdit::DeleteAfterDays,
                leave && p.delete_after_days.is_some()
            ),
            text("days").size(14),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        let skip = row![
            check(
                id::SKIP_LARGE,
                "Skip messages over",
                p.skip_larger_than_kb.is_some(),
                toggle(OptionEdit::SkipLarge)
            ),
            number(
                id::SKIP_OVER_KB,
                &self.options.skip_over_kb,
                OptionEdit::SkipOverKb,
                p.skip_larger_than_kb.is_some()
            ),
            text("KB").size(14),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        let errors = [errors.delete_after_days, errors.skip_over_kb]
            .into_iter()
            .flatten()
            .map(|e| text(e).size(13).style(theme::text::error).into());
        section(
            "POP3",
            column![
                check(
                    id::LEAVE_ON_SERVER,
                    "Leave a copy of each message on the server",
                    leave,
                    toggle(OptionEdit::LeaveOnServer)
                ),
                column![after, hint(leave_hint(leave, p.delete_after_days.is_some()))]
                    .spacing(4)
                    .padding(iced::Padding { left: 24.0, ..iced::Padding::ZERO }),
                container(check(
                    id::DELETE_WHEN_DELETED_HERE,
                    "Delete from the server when deleted here",
                    p.delete_when_deleted_locally,
                    (editable && leave)
                        .then_some(|on| Message::Option(OptionEdit::DeleteWhenDeletedHere(on))),
                ))
                .padding(iced::Padding { left: 24.0, ..iced::Padding::ZERO }),
                check(
                    id::HEADERS_ONLY,
                    "Download only the headers; the rest when a message is opened",
                    p.headers_only,
                    toggle(OptionEdit::HeadersOnly)
                ),
                skip,
            ]
            .extend(errors)
            .push(self.preview_panel(editable)),
        )
    }

    /// "Preview next receive" and what it found: each server message, what will happen to it
    /// and why, with totals; or why it could not be asked.
    fn preview_panel(&self, editable: bool) -> Element<'_, Message> {
        let running = *self.preview() == preview::State::Running;
        let button = button(text(if running { "Asking the server…" } else { "Preview next receive" }))
            .padding([6, 16])
            .style(theme::button::secondary)
            .on_press_maybe((editable && !running).then_some(Message::Preview));
        let head = row![
            container(button).id(widget::Id::new(id::PREVIEW)),
            text(
                "What the next receive would download and delete with the options above. Nothing is changed."
            )
            .size(12)
            .style(theme::text::muted)
            .width(Length::Fill),
        ]
        .spacing(12)
        .align_y(Alignment::Center);
        let body: Option<Element<'_, Message>> = match self.preview() {
            preview::State::Idle | preview::State::Running => None,
            preview::State::Failed(why) => Some(
                container(text(why.as_str()).size(14).style(theme::text::error))
                    .padding(12)
                    .width(Length::Fill)
                    .style(theme::container::error)
                    .into(),
            ),
            preview::State::Done(plan) => Some(plan_list(plan)),
        };
        column![head].push(body).spacing(10).into()
    }

    /// Keeping mail offline: IMAP bodies downloaded after each check; POP3 has them already.
    fn offline(&self, protocol: Incoming, editable: bool, errors: &OptionErrors) -> Element<'_, Message> {
        if protocol == Incoming::Pop3 {
            let words = if self.options.options.pop3.headers_only {
                "POP3 keeps the messages it downloads on this computer; with \"only the headers\" \
                 above, the rest of a message comes when it is opened."
            } else {
                "POP3 downloads every message whole: all of them are already on this computer."
            };
            return section("Offline", column![hint(words)]);
        }
        let scope = self.options.offline_scope();
        let days = row![
            text_input("", &self.options.offline_days)
                .id(widget::Id::new(id::OFFLINE_DAYS_NUMBER))
                .on_input_maybe(
                    (editable && scope == OfflineScope::Days)
                        .then_some(|t| Message::Option(OptionEdit::OfflineDays(t)))
                )
                .padding(6)
                .size(14)
                .width(80)
                .style(theme::text_input::field),
            text("days").size(14),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        let choice = row![segmented(&OFFLINE, scope, |s| Message::Option(OptionEdit::KeepOffline(s))), days]
            .spacing(12)
            .align_y(Alignment::Center);
        section(
            "Offline",
            column![field("Keep mail offline", choice, errors.offline_days)]
                .push(hint(
                    "After each check, the messages' contents are downloaded in the background, newest \
                 first, on one connection, so they can be read and searched without a connection. \
                 Off: a message is downloaded when it is opened, and kept.",
                ))
                .spacing(6),
        )
    }

    fn reading(&self, editable: bool) -> Element<'_, Message> {
        let o = &self.options.options;
        let toggle = |f: fn(bool) -> OptionEdit| editable.then_some(move |on| Message::Option(f(on)));
        section(
            "Reading",
            column![
                field(
                    "Show",
                    segmented(&BODY_FORMATS, o.body_format, |f| Message::Option(OptionEdit::BodyFormat(f))),
                    None
                ),
                hint(
                    "Which part the reader shows when a message offers several; Best is the richest that \
                     renders (HTML, enriched text, text). Whatever the server's retrieval format sends \
                     (Exchange's 0–6: text, HTML, enriched text, TNEF) is shown."
                ),
                self.remote_senders_view(editable),
                check(
                    id::REQUEST_RECEIPTS,
                    "Ask for a read receipt in new messages",
                    o.request_receipts,
                    toggle(OptionEdit::RequestReceipts)
                ),
                row![check(id::NOTIFY, "Notify me of new mail", o.notify, toggle(OptionEdit::Notify))]
                    .push((!self.notifications).then(|| {
                        text("Notifications are off for all accounts (on the accounts overview).")
                            .size(12)
                            .style(theme::text::warning)
                    }))
                    .spacing(12)
                    .align_y(Alignment::Center),
            ],
        )
    }

    /// Remote content: blocked in every message, except from the senders listed here (each
    /// added by "Always for this sender" in the reader, and removable).
    fn remote_senders_view(&self, editable: bool) -> Element<'_, Message> {
        let senders = self.remote_senders();
        if senders.is_empty() {
            return hint(
                "Remote images are blocked in every message. The reader offers to show them, for one \
                 message or always for its sender.",
            );
        }
        let rows = senders.iter().enumerate().map(|(n, sender)| {
            row![
                text(sender.as_str()).size(13).width(Length::Fill),
                container(
                    button(text("Remove").size(12))
                        .padding([2, 10])
                        .style(theme::button::secondary)
                        .on_press_maybe(editable.then_some(Message::ForgetRemoteSender(n)))
                )
                .id(widget::Id::from(id::forget_remote_sender(n))),
            ]
            .spacing(8)
            .align_y(Alignment::Center)
            .into()
        });
        column![text("Remote images are shown without asking in mail from:").size(13)]
            .extend(rows)
            .push(hint("Remove a sender to block their remote images again (saved with Save)."))
            .spacing(4)
            .into()
    }

    fn security(&self, editable: bool) -> Element<'_, Message> {
        let o = &self.options.options;
        let log = self.paths.transcript_log.display().to_string();
        section(
            "Security and diagnostics",
            column![
                field(
                    "Minimum TLS",
                    segmented(&MIN_TLS, o.min_tls, |m| Message::Option(OptionEdit::MinTls(m))),
                    None
                ),
                check(
                    id::LOG_TRANSCRIPT,
                    "Log every conversation with the servers",
                    self.log_transcript,
                    editable.then_some(Message::LogTranscript),
                ),
                hint_owned(format!("Passwords are never written. Log file: {log}")),
            ],
        )
    }

    fn removal(&self, editable: bool) -> Element<'_, Message> {
        let remove = button(text("Remove account…"))
            .padding([8, 20])
            .style(theme::button::danger)
            .on_press_maybe(editable.then_some(Message::Remove));
        container(
            row![
                column![
                    text("Remove this account").size(16),
                    hint(
                        "Its password, its downloaded mail and its settings are deleted from this computer."
                    ),
                ]
                .spacing(4)
                .width(Length::Fill),
                container(remove).id(widget::Id::new(id::REMOVE)),
            ]
            .spacing(16)
            .align_y(Alignment::Center),
        )
        .padding(16)
        .width(Length::Fill)
        .style(theme::container::error)
        .into()
    }

    /// Back with changes not saved: save them, drop them, or stay.
    fn confirm_leave(&self) -> Element<'_, Message> {
        let choice = |label: &'static str,
                      widget: &'static str,
                      style: fn(&Theme, button::Status) -> button::Style,
                      m| {
            container(button(text(label)).padding([8, 20]).style(style).on_press(m))
                .id(widget::Id::new(widget))
        };
        let card = container(
            column![
                text(format!("Save the changes to “{}”?", self.account.name)).size(20),
                text("You changed settings of this account and did not save them.").size(14),
                row![
                    space::horizontal(),
                    choice("Keep editing", id::KEEP_EDITING, theme::button::secondary, Message::KeepEditing),
                    choice(
                        "Discard changes",
                        id::DISCARD_CHANGES,
                        theme::button::danger,
                        Message::DiscardChanges
                    ),
                    choice("Save", id::SAVE_AND_LEAVE, theme::button::primary, Message::Save),
                ]
                .spacing(12),
            ]
            .spacing(12),
        )
        .padding(24)
        .max_width(600)
        .style(theme::container::warning);
        center(card).padding(24).into()
    }

    /// The question before removing, saying exactly what goes.
    fn confirm_remove(&self) -> Element<'_, Message> {
        let removing = self.stage == Stage::Removing;
        let remove = button(text(if removing { "Removing…" } else { "Remove" }))
            .padding([8, 20])
            .style(theme::button::danger)
            .on_press_maybe((!removing).then_some(Message::ConfirmRemove));
        let keep = button(text("Keep the account"))
            .padding([8, 20])
            .style(theme::button::secondary)
            .on_press_maybe((!removing).then_some(Message::KeepAccount));
        let item = |line: String| text(format!("· {line}")).size(14).into();
        let what = Column::with_children([
            item("its password in your desktop's secret service;".to_string()),
            item(format!("its downloaded mail and local data: {};", self.paths.data_dir.display())),
            item(format!("its conversation log, if any: {};", self.paths.transcript_log.display())),
            item("its settings in Tidings' configuration file.".to_string()),
        ])
        .spacing(4);
        let card = container(
            column![
                text(format!("Remove “{}”?", self.account.name)).size(20),
                text(format!("Tidings will delete, for {}:", self.account.email)).size(14),
                what,
                text("The mail on the server is not touched; you can add the account again later.")
                    .size(13)
                    .style(theme::text::muted),
            ]
            .push(
                row![
                    space::horizontal(),
                    container(keep).id(widget::Id::new(id::KEEP_ACCOUNT)),
                    container(remove).id(widget::Id::new(id::CONFIRM_REMOVE)),
                ]
                .spacing(12),
            )
            .spacing(12),
        )
        .padding(24)
        .max_width(600)
        .style(theme::container::warning);
        center(card).padding(24).into()
    }
}

/// The preview's list: totals, then one line per server message (at most
/// [`preview::MAX_ROWS`]).
fn plan_list(plan: &tidings_mail::pop3::Pop3Plan) -> Element<'_, Message> {
    let rows = preview::rows(plan);
    let cell = |t: String, width: Length| text(t).size(13).width(width);
    let header = row![
        cell("#".into(), Length::Fixed(48.0)),
        cell("What".into(), Length::Fixed(160.0)),
        cell("Message".into(), Length::FillPortion(2)),
        cell("Why".into(), Length::FillPortion(3)),
        cell("Size".into(), Length::Fixed(72.0)),
        cell("UID".into(), Length::Fixed(150.0)),
    ]
    .spacing(8);
    let lines = rows.iter().take(preview::MAX_ROWS).map(|r| {
        let tone = match r.action {
            "Keep" => theme::Tone::Neutral,
            "Skip" => theme::Tone::Info,
            "Download" => theme::Tone::Success,
            _ => theme::Tone::Danger,
        };
        row![
            cell(format!("{}", r.number), Length::Fixed(48.0)),
            text(r.action).size(13).width(Length::Fixed(160.0)).style(theme::text::tone(tone)),
            cell(r.message.clone(), Length::FillPortion(2)),
            cell(r.why.clone(), Length::FillPortion(3)),
            cell(preview::size(r.size), Length::Fixed(72.0)),
            text(r.uid.clone()).size(12).width(Length::Fixed(150.0)).style(theme::text::muted),
        ]
        .spacing(8)
        .into()
    });
    let more = (rows.len() > preview::MAX_ROWS).then(|| {
        text(format!(
            "… and {} more; `tidings sync --account NAME --dry-run` lists them all.",
            rows.len() - preview::MAX_ROWS
        ))
        .size(12)
        .style(theme::text::muted)
    });
    let no_uidl = (!plan.uidl && plan.server_messages > 0).then(|| {
        text("The server has no UIDL: each message is recognised by its content once downloaded.")
            .size(12)
            .style(theme::text::warning)
    });
    container(
        column![text(preview::totals(plan)).size(14), header]
            .extend(lines)
            .push(more)
            .push(no_uidl)
            .spacing(6),
    )
    .padding(12)
    .width(Length::Fill)
    .style(theme::container::page)
    .into()
}

/// What happens to the server's copy with these choices, in words.
fn leave_hint(leave: bool, delete_after: bool) -> &'static str {
    match (leave, delete_after) {
        (false, _) => "Each message is deleted from the server once it is downloaded.",
        (true, false) => "Messages stay on the server until deleted there.",
        (true, true) => "Messages are deleted from the server that many days after they were downloaded.",
    }
}

fn hint(text_: &str) -> Element<'_, Message> {
    text(text_).size(12).style(theme::text::muted).into()
}

fn hint_owned<'a>(text_: String) -> Element<'a, Message> {
    text(text_).size(12).style(theme::text::muted).into()
}
