//! The account form's pieces, shared by the wizard's review step and the account settings
//! screen: the account card (your name, email, how the account signs in — a password, or
//! OAuth2 with its provider and application id —, the account's name) and a server card
//! (protocol, host, port, encryption, user name, extra CA, pinned certificate). Generic over
//! the screen's message type; the widget ids are the wizard's ([`super::id`]) on both screens.

use iced::widget::{button, column, container, row, text, text_input};
use iced::{Alignment, Element, Font, widget};

use tidings_mail::account::{Incoming, Security};
use tidings_mail::net::Fingerprint;

use super::{
    Errors, Form, OAuth2Edit, OAuth2Fields, ProviderChoice, ServerEdit, ServerErrors, ServerFields, SignIn,
    UNENCRYPTED_WARNING, id,
};
use crate::theme;
use crate::widget::choice::{Choice, segmented};
use crate::widget::form::{field, section};

const PROTOCOLS: [Choice<Incoming>; 2] = [
    Choice { value: Incoming::Imap, label: "IMAP", id: id::INCOMING_IMAP },
    Choice { value: Incoming::Pop3, label: "POP3", id: id::INCOMING_POP3 },
];

const SIGN_IN: [Choice<SignIn>; 2] = [
    Choice { value: SignIn::Password, label: "Password", id: id::SIGN_IN_PASSWORD },
    Choice { value: SignIn::OAuth2, label: "OAuth2 (provider's page)", id: id::SIGN_IN_OAUTH2 },
];

const PROVIDERS: [Choice<ProviderChoice>; 3] = [
    Choice { value: ProviderChoice::Microsoft, label: "Microsoft", id: id::OAUTH2_MICROSOFT },
    Choice { value: ProviderChoice::Google, label: "Google", id: id::OAUTH2_GOOGLE },
    Choice { value: ProviderChoice::File, label: "Provider file", id: id::OAUTH2_FILE },
];

/// Under the application id: where one comes from.
pub const CLIENT_ID_HINT: &str = "Tidings does not borrow another program's application id: register your own \
     once with the provider (a public client with the redirect http://127.0.0.1) — see “Signing in with OAuth2” \
     in the README.";

/// The ids of one server card's controls.
pub struct ServerIds {
    pub host: &'static str,
    pub port: &'static str,
    pub ssl: &'static str,
    pub starttls: &'static str,
    pub none: &'static str,
    pub user: &'static str,
    pub auth_password: &'static str,
    pub ca_file: &'static str,
    pub forget_pin: &'static str,
}

impl ServerIds {
    pub const INCOMING: ServerIds = ServerIds {
        host: id::INCOMING_HOST,
        port: id::INCOMING_PORT,
        ssl: id::INCOMING_SSL,
        starttls: id::INCOMING_STARTTLS,
        none: id::INCOMING_NONE,
        user: id::INCOMING_USER,
        auth_password: id::INCOMING_AUTH_PASSWORD,
        ca_file: id::INCOMING_CA_FILE,
        forget_pin: id::INCOMING_FORGET_PIN,
    };

    pub const OUTGOING: ServerIds = ServerIds {
        host: id::OUTGOING_HOST,
        port: id::OUTGOING_PORT,
        ssl: id::OUTGOING_SSL,
        starttls: id::OUTGOING_STARTTLS,
        none: id::OUTGOING_NONE,
        user: id::OUTGOING_USER,
        auth_password: id::OUTGOING_AUTH_PASSWORD,
        ca_file: id::OUTGOING_CA_FILE,
        forget_pin: id::OUTGOING_FORGET_PIN,
    };
}

/// What the account card's fields send.
pub struct AccountMessages<M> {
    pub sender_name: fn(String) -> M,
    pub name: fn(String) -> M,
    pub email: fn(String) -> M,
    pub password: fn(String) -> M,
    /// Choosing how the account signs in, and the OAuth2 fields; `None`: shown, not editable
    /// (the settings screen: an account keeps its way of signing in).
    pub sign_in: Option<fn(SignIn) -> M>,
    pub oauth2: Option<fn(OAuth2Edit) -> M>,
    /// Enter in any field.
    pub submit: M,
}

/// The person's name, email, password and the account's name. `password_hint` is the placeholder ("leave empty to keep it").
pub fn account_section<'a, M: Clone + 'a>(
    form: &'a Form,
    errors: &Errors,
    editable: bool,
    messages: AccountMessages<M>,
    password_hint: &'a str,
) -> Element<'a, M> {
    let input = |widget: &'static str, placeholder: &'a str, value: &'a str, on_input: fn(String) -> M| {
        text_input(placeholder, value)
            .id(widget::Id::new(widget))
            .on_input_maybe(editable.then_some(on_input))
            .on_submit(messages.submit.clone())
            .padding(7)
            .size(14)
            .style(theme::text_input::field)
    };
    let mut fields = column![
        field(
            "Your name",
            input(id::SENDER_NAME, "Alice Example", &form.sender_name, messages.sender_name),
            None
        ),
        field("Email", input(id::EMAIL, "alice@example.com", &form.email, messages.email), errors.email),
    ];
    if let Some(on_select) = messages.sign_in {
        fields = fields.push(field("Sign in with", segmented(&SIGN_IN, form.sign_in, on_select), None));
    }
    match (form.sign_in, messages.oauth2) {
        (SignIn::Password, _) => {
            fields = fields.push(field(
                "Password",
                input(id::PASSWORD, password_hint, &form.password, messages.password).secure(true),
                errors.password,
            ));
        }
        (SignIn::OAuth2, Some(edit)) => {
            fields = fields.extend(oauth2_fields(&form.oauth2, errors, edit, &messages.submit))
        }
        (SignIn::OAuth2, None) => {
            fields = fields.push(field(
                "Sign-in",
                text(format!(
                    "OAuth2 with {}: the sign-in is kept in your desktop's secret service.",
                    oauth2_provider_label(&form.oauth2)
                ))
                .size(14),
                None,
            ));
        }
    }
    section(
        "Account",
        fields.extend([
            field("Account name", input(id::NAME, "Work", &form.name, messages.name), errors.name),
            text("Your name is what people see in From; the account's name is only for you, here.")
                .size(12)
                .style(theme::text::muted)
                .into(),
        ]),
    )
}

/// "Microsoft", "Google", or the provider file's path.
fn oauth2_provider_label(fields: &OAuth2Fields) -> &str {
    match fields.provider {
        ProviderChoice::File => &fields.file,
        known => known.label(),
    }
}

/// The provider, its file, the application id (required when none is known elsewhere) and
/// Microsoft's tenant.
fn oauth2_fields<'a, M: Clone + 'a>(
    fields: &'a OAuth2Fields,
    errors: &Errors,
    edit: fn(OAuth2Edit) -> M,
    submit: &M,
) -> Vec<Element<'a, M>> {
    let input =
        |widget: &'static str, placeholder: &str, value: &'a str, to_edit: fn(String) -> OAuth2Edit| {
            text_input(placeholder, value)
                .id(widget::Id::new(widget))
                .on_input(move |value| edit(to_edit(value)))
                .on_submit(submit.clone())
                .padding(7)
                .size(14)
                .style(theme::text_input::field)
        };
    let mut out = vec![field(
        "Provider",
        segmented(&PROVIDERS, fields.provider, move |p| edit(OAuth2Edit::Provider(p))),
        None,
    )];
    if fields.provider == ProviderChoice::File {
        out.push(field(
            "Provider file",
            input(id::OAUTH2_PROVIDER_FILE, "/path/to/provider.toml", &fields.file, OAuth2Edit::File),
            errors.provider_file,
        ));
    }
    let placeholder = match OAuth2Fields::client_id_from_env() {
        Some(from_env) => format!("{from_env} (from {})", tidings_mail::oauth2::provider::CLIENT_ID_VAR),
        None if fields.provider == ProviderChoice::File => {
            "From the provider file, unless given here".to_string()
        }
        None => "Required".to_string(),
    };
    out.push(field(
        "Application id",
        column![
            input(id::OAUTH2_CLIENT_ID, &placeholder, &fields.client_id, OAuth2Edit::ClientId),
            text(CLIENT_ID_HINT).size(12).style(theme::text::muted),
        ]
        .spacing(4),
        errors.client_id,
    ));
    if fields.provider == ProviderChoice::Microsoft {
        out.push(field(
            "Tenant",
            input(
                id::OAUTH2_TENANT,
                "common (optional: your tenant's id or domain)",
                &fields.tenant,
                OAuth2Edit::Tenant,
            ),
            errors.tenant,
        ));
    }
    out
}

/// The incoming protocol choice (IMAP or POP3), for the incoming card.
pub fn protocol_choice<'a, M: Clone + 'a>(
    selected: Incoming,
    on_select: fn(Incoming) -> M,
) -> Element<'a, M> {
    field("Protocol", segmented(&PROTOCOLS, selected, on_select), None)
}

/// One server's card: `protocol` (for the incoming one) above host, port, encryption, user
/// name, authentication and trust.
#[allow(clippy::too_many_arguments)]
pub fn server_section<'a, M: Clone + 'a>(
    title: &'a str,
    protocol: Option<Element<'a, M>>,
    fields: &'a ServerFields,
    sign_in: SignIn,
    errors: &ServerErrors,
    ids: &ServerIds,
    host_placeholder: &'a str,
    editable: bool,
    edit: fn(ServerEdit) -> M,
    submit: M,
) -> Element<'a, M> {
    let input =
        |widget: &'static str, placeholder: &'a str, value: &'a str, to_edit: fn(String) -> ServerEdit| {
            text_input(placeholder, value)
                .id(widget::Id::new(widget))
                .on_input_maybe(editable.then_some(move |value| edit(to_edit(value))))
                .on_submit(submit.clone())
                .padding(7)
                .size(14)
                .style(theme::text_input::field)
        };
    let choices = [
        Choice { value: Security::Implicit, label: Security::Implicit.label(), id: ids.ssl },
        Choice { value: Security::StartTls, label: Security::StartTls.label(), id: ids.starttls },
        Choice { value: Security::None, label: Security::None.label(), id: ids.none },
    ];
    let warning =
        fields.is_unencrypted().then(|| text(UNENCRYPTED_WARNING).size(13).style(theme::text::warning));
    let security = column![segmented(&choices, fields.security, move |s| edit(ServerEdit::Security(s)))]
        .push(warning)
        .spacing(6);
    // Chosen for the whole account, in its card: both servers sign in the same way.
    let auth = match sign_in {
        SignIn::Password => row![
            container(button(text("Password").size(14)).padding([5, 12]).style(theme::button::choice(true)))
                .id(widget::Id::new(ids.auth_password)),
        ],
        SignIn::OAuth2 => row![
            container(button(text("OAuth2").size(14)).padding([5, 12]).style(theme::button::choice(true))),
            text("An access token from the provider's sign-in.").size(12).style(theme::text::muted),
        ],
    }
    .spacing(10)
    .align_y(Alignment::Center);

    let pin = fields.pin.as_deref().map(|pin| {
        let shown = Fingerprint::parse(pin).map(|f| f.to_string()).unwrap_or_else(|_| pin.to_string());
        let forget = button(text("Forget").size(13))
            .padding([4, 12])
            .style(theme::button::secondary)
            .on_press_maybe(editable.then_some(edit(ServerEdit::Pin(None))));
        field(
            "Pinned",
            column![
                text(shown).size(12).font(Font::MONOSPACE),
                row![
                    text("This certificate is accepted although no trusted authority vouches for it.")
                        .size(12)
                        .style(theme::text::muted),
                    container(forget).id(widget::Id::new(ids.forget_pin)),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            ]
            .spacing(4),
            None,
        )
    });

    let mut body = column![].push(protocol).extend([
        field("Host", input(ids.host, host_placeholder, &fields.host, ServerEdit::Host), errors.host),
        field("Port", input(ids.port, "", &fields.port, ServerEdit::Port).width(90), errors.port),
        field("Encryption", security, None),
        field("User name", input(ids.user, "", &fields.user, ServerEdit::User), errors.user),
        field("Sign-in", auth, None),
        field(
            "Extra CA",
            input(ids.ca_file, "CA certificate file (optional)", &fields.ca_file, ServerEdit::CaFile),
            None,
        ),
    ]);
    body = body.push(pin);
    section(title, body)
}
