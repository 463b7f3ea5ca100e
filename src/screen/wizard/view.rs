//! How the account form looks.

use iced::widget::{Column, button, center, column, container, row, scrollable, space, text, text_input};
use iced::{Alignment, Element, Length, widget};

use tidings_mail::account::{Incoming, Security};

use super::{Message, ServerEdit, ServerFields, Stage, UNENCRYPTED_WARNING, Wizard, id};
use crate::theme;
use crate::widget::choice::{Choice, segmented};
use crate::widget::form::{field, section};

/// Wide enough for both server cards side by side; narrower windows scroll.
const MAX_WIDTH: f32 = 920.0;

const PROTOCOLS: [Choice<Incoming>; 2] = [
    Choice { value: Incoming::Imap, label: "IMAP", id: id::INCOMING_IMAP },
    Choice { value: Incoming::Pop3, label: "POP3", id: id::INCOMING_POP3 },
];

/// The encryption options and their widget ids, for one server.
struct SecurityIds {
    ssl: &'static str,
    starttls: &'static str,
    none: &'static str,
}

/// The ids of one server card's controls.
struct ServerIds {
    host: &'static str,
    port: &'static str,
    security: SecurityIds,
    user: &'static str,
}

const INCOMING: ServerIds = ServerIds {
    host: id::INCOMING_HOST,
    port: id::INCOMING_PORT,
    security: SecurityIds { ssl: id::INCOMING_SSL, starttls: id::INCOMING_STARTTLS, none: id::INCOMING_NONE },
    user: id::INCOMING_USER,
};

const OUTGOING: ServerIds = ServerIds {
    host: id::OUTGOING_HOST,
    port: id::OUTGOING_PORT,
    security: SecurityIds { ssl: id::OUTGOING_SSL, starttls: id::OUTGOING_STARTTLS, none: id::OUTGOING_NONE },
    user: id::OUTGOING_USER,
};

impl Wizard {
    pub fn view(&self) -> Element<'_, Message> {
        match &self.stage {
            Stage::NoSecretService { reason } => no_secret_service(reason),
            Stage::Editing | Stage::Saving => self.form_view(),
        }
    }

    fn form_view(&self) -> Element<'_, Message> {
        let form = &self.form;
        let errors = self.errors.as_deref().cloned().unwrap_or_default();
        let editable = !self.is_saving();

        let account = section(
            "Account",
            column![
                field(
                    "Name",
                    input(id::NAME, "Work", &form.name, editable.then_some(Message::Name)),
                    errors.name,
                ),
                field(
                    "Email",
                    input(id::EMAIL, "alice@example.com", &form.email, editable.then_some(Message::Email)),
                    errors.email,
                ),
                field(
                    "Password",
                    input(id::PASSWORD, "", &form.password, editable.then_some(Message::Password))
                        .secure(true),
                    errors.password,
                ),
            ],
        );

        let protocol = segmented(&PROTOCOLS, form.incoming_protocol, Message::IncomingProtocol);
        let incoming = section(
            "Incoming mail",
            column![field("Protocol", protocol, None)].extend(server_fields(
                &form.incoming,
                &errors.incoming,
                &INCOMING,
                "imap.example.com",
                editable,
                Message::Incoming,
            )),
        );
        let outgoing = section(
            "Outgoing mail (SMTP)",
            Column::new().extend(server_fields(
                &form.outgoing,
                &errors.outgoing,
                &OUTGOING,
                "smtp.example.com",
                editable,
                Message::Outgoing,
            )),
        );

        let failure = self.failure.as_deref().map(|failure| {
            container(text(failure).size(14).style(theme::text::error))
                .padding(12)
                .width(Length::Fill)
                .style(theme::container::error)
        });

        let save = button(text(if editable { "Save" } else { "Saving…" }))
            .padding([8, 20])
            .style(theme::button::primary)
            .on_press_maybe(editable.then_some(Message::Save));
        let cancel =
            button(text("Cancel")).padding([8, 20]).style(theme::button::secondary).on_press(Message::Cancel);
        let buttons = row![
            space::horizontal(),
            container(cancel).id(widget::Id::new(id::CANCEL)),
            container(save).id(widget::Id::new(id::SAVE)),
        ]
        .spacing(12);

        let content = column![
            text("New account").size(26),
            text(
                "Enter the settings your mail provider gives you. The password goes to your \
                 desktop's secret service, never to a file."
            )
            .size(14)
            .style(theme::text::muted),
            account,
            row![incoming, outgoing].spacing(16),
        ]
        .push(failure)
        .push(buttons)
        .spacing(16)
        .padding(24)
        .max_width(MAX_WIDTH);

        scrollable(container(content).center_x(Length::Fill)).into()
    }
}

fn input<'a>(
    id: &'static str,
    placeholder: &'a str,
    value: &'a str,
    on_input: Option<fn(String) -> Message>,
) -> widget::TextInput<'a, Message> {
    text_input(placeholder, value)
        .id(widget::Id::new(id))
        .on_input_maybe(on_input)
        .on_submit(Message::Save)
        .padding(7)
        .size(14)
        .style(theme::text_input::field)
}

/// Host, port, encryption and user name of one server.
fn server_fields<'a>(
    fields: &'a ServerFields,
    errors: &super::ServerErrors,
    ids: &ServerIds,
    host_placeholder: &'a str,
    editable: bool,
    message: fn(ServerEdit) -> Message,
) -> Vec<Element<'a, Message>> {
    let edit = move |to_edit: fn(String) -> ServerEdit| move |value: String| message(to_edit(value));
    let input = |id: &'static str, placeholder: &'a str, value: &'a str, f: fn(String) -> ServerEdit| {
        text_input(placeholder, value)
            .id(widget::Id::new(id))
            .on_input_maybe(editable.then_some(edit(f)))
            .on_submit(Message::Save)
            .padding(7)
            .size(14)
            .style(theme::text_input::field)
    };
    let choices = [
        Choice { value: Security::Implicit, label: Security::Implicit.label(), id: ids.security.ssl },
        Choice { value: Security::StartTls, label: Security::StartTls.label(), id: ids.security.starttls },
        Choice { value: Security::None, label: Security::None.label(), id: ids.security.none },
    ];
    let warning =
        fields.is_unencrypted().then(|| text(UNENCRYPTED_WARNING).size(13).style(theme::text::warning));
    let security = column![segmented(&choices, fields.security, move |s| message(ServerEdit::Security(s)))]
        .push(warning)
        .spacing(6);

    vec![
        field("Host", input(ids.host, host_placeholder, &fields.host, ServerEdit::Host), errors.host),
        field("Port", input(ids.port, "", &fields.port, ServerEdit::Port).width(90), errors.port),
        field("Encryption", security, None),
        field("User name", input(ids.user, "", &fields.user, ServerEdit::User), errors.user),
    ]
}

/// Shown instead of the form when the secret store cannot be reached.
fn no_secret_service(reason: &str) -> Element<'_, Message> {
    let keep = button(text("Keep for this session"))
        .padding([8, 20])
        .style(theme::button::primary)
        .on_press(Message::KeepForSession);
    let back =
        button(text("Cancel")).padding([8, 20]).style(theme::button::secondary).on_press(Message::BackToForm);

    let card = container(
        column![
            text("No secret service is reachable").size(20),
            text(
                "Tidings keeps passwords only in your desktop's secret service (GNOME Keyring, \
                 KWallet, KeePassXC…), and none answered. Tidings can keep the password for \
                 this session only; it will not be written to disk."
            )
            .size(14),
            text(format!("What the secret store said: {reason}")).size(13).style(theme::text::muted),
            row![
                space::horizontal(),
                container(back).id(widget::Id::new(id::BACK_TO_FORM)),
                container(keep).id(widget::Id::new(id::KEEP_FOR_SESSION)),
            ]
            .spacing(12)
            .align_y(Alignment::Center),
        ]
        .spacing(14),
    )
    .padding(24)
    .max_width(560)
    .style(theme::container::warning);

    center(card).padding(24).into()
}
