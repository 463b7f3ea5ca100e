//! How the wizard looks: a header naming the steps, then the current step.

use iced::widget::{Row, button, center, column, container, row, scrollable, space, text};
use iced::{Alignment, Element, Length, widget};

use super::discovery::{self, action, buttons};
use super::fields::{AccountMessages, ServerIds, account_section, protocol_choice, server_section};
use super::{Message, Step, Wizard, id, sign_in, test_view};
use crate::theme::{self, Tone};

/// Wide enough for both server cards side by side; narrower windows scroll.
const MAX_WIDTH: f32 = 920.0;

const STEPS: [&str; 4] = ["Account", "Find settings", "Review", "Test and save"];

impl Wizard {
    pub fn view(&self) -> Element<'_, Message> {
        let (step, content) = match &self.step {
            Step::NoSecretService { reason, .. } => return no_secret_service(reason),
            Step::Account => (0, self.account_step()),
            Step::Discovering { domain, seconds, .. } => (1, discovery::progress(domain, *seconds)),
            Step::Found(found) => (1, found.view()),
            Step::Review => (2, self.review()),
            Step::SigningIn { state, .. } => (3, sign_in::view(state)),
            Step::Testing { checks, .. } | Step::Saving { checks } => {
                (3, test_view::view(checks, self.is_saving(), self.failure.as_deref()))
            }
        };
        let page = column![header(step), content].spacing(16).padding(24).max_width(MAX_WIDTH);
        scrollable(container(page).center_x(Length::Fill)).id(widget::Id::new(id::PAGE)).into()
    }

    fn account_messages(&self, submit: Message) -> AccountMessages<Message> {
        AccountMessages {
            sender_name: Message::SenderName,
            name: Message::Name,
            email: Message::Email,
            password: Message::Password,
            sign_in: Some(Message::SignIn),
            oauth2: Some(Message::OAuth2),
            submit,
        }
    }

    /// Name, email and password; then look for the settings, or enter them by hand.
    fn account_step(&self) -> Element<'_, Message> {
        let errors = self.errors.as_deref().cloned().unwrap_or_default();
        let find = button(text("Find my settings"))
            .padding([8, 20])
            .style(theme::button::primary)
            .on_press(Message::FindSettings);
        column![
            text(
                "Tidings looks up your provider's server settings from your email address and tests \
                 them before saving. The password goes to your desktop's secret service, never to a file."
            )
            .size(14)
            .style(theme::text::muted),
            account_section(&self.form, &errors, true, self.account_messages(Message::FindSettings), ""),
            buttons(vec![
                action("Cancel", id::CANCEL, Message::Cancel),
                action("Set up manually", id::MANUAL, Message::Manual),
                container(find).id(widget::Id::new(id::FIND)).into(),
            ]),
        ]
        .spacing(16)
        .into()
    }

    /// The whole form, prefilled by discovery or empty; every field editable.
    fn review(&self) -> Element<'_, Message> {
        let form = &self.form;
        let errors = self.errors.as_deref().cloned().unwrap_or_default();
        let notice = self.notice.as_deref().map(|notice| {
            container(text(notice).size(14)).padding(12).width(Length::Fill).style(theme::container::warning)
        });
        let failure = self.failure.as_deref().map(|failure| {
            container(text(failure).size(14).style(theme::text::error))
                .padding(12)
                .width(Length::Fill)
                .style(theme::container::error)
        });
        let incoming = server_section(
            "Incoming mail",
            Some(protocol_choice(form.incoming_protocol, Message::IncomingProtocol)),
            &form.incoming,
            form.sign_in,
            &errors.incoming,
            &ServerIds::INCOMING,
            "imap.example.com",
            true,
            Message::Incoming,
            Message::Test,
        );
        let outgoing = server_section(
            "Outgoing mail (SMTP)",
            None,
            &form.outgoing,
            form.sign_in,
            &errors.outgoing,
            &ServerIds::OUTGOING,
            "smtp.example.com",
            true,
            Message::Outgoing,
            Message::Test,
        );
        let test = button(text("Test settings"))
            .padding([8, 20])
            .style(theme::button::primary)
            .on_press(Message::Test);
        column![
            text("Check the settings your mail provider gives you; the next step tests them.")
                .size(14)
                .style(theme::text::muted),
        ]
        .push(notice)
        .push(account_section(form, &errors, true, self.account_messages(Message::Test), ""))
        .push(row![incoming, outgoing].spacing(16))
        .push(failure)
        .push(buttons(vec![
            action("Cancel", id::CANCEL, Message::Cancel),
            action("Back", id::BACK, Message::Back),
            container(test).id(widget::Id::new(id::TEST)).into(),
        ]))
        .spacing(16)
        .into()
    }
}

/// "New account" and the steps, the current one marked.
fn header<'a>(current: usize) -> Element<'a, Message> {
    let steps = STEPS.iter().enumerate().map(|(i, label)| {
        let tone = if i == current { Tone::Info } else { Tone::Neutral };
        let label = text(format!("{}. {label}", i + 1)).size(13).style(theme::text::tone(tone));
        if i == current {
            container(label).padding([2, 8]).style(theme::container::badge(Tone::Info)).into()
        } else {
            container(label).padding([2, 8]).into()
        }
    });
    row![text("New account").size(26), space::horizontal(), Row::with_children(steps).spacing(4)]
        .align_y(Alignment::Center)
        .into()
}

/// Shown instead of the wizard when the secret store cannot be reached.
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
