//! The test step: both checklists side by side, each stage with its time; on failure the
//! server's own words and what to do; a slow login explained; an untrusted certificate shown
//! in full with the one way to accept it — pinning its fingerprint.

use std::time::Duration;

use iced::widget::text::Wrapping;
use iced::widget::{Column, button, column, container, row, space, text};
use iced::{Alignment, Element, Font, Length, widget};

use tidings_mail::explain::{explain, slow_login};
use tidings_mail::net::CertInfo;
use tidings_mail::net::tls::TlsLibrary;

use super::discovery::{action, buttons, protocol_label};
use super::{Checks, Message, RowState, ServerTest, Side, id, sentence};
use crate::theme::{self, Tone};

/// Most transcript lines shown under a checklist (the inspector shows everything).
const TRANSCRIPT_LINES: usize = 200;

pub(super) fn view<'a>(checks: &'a Checks, saving: bool, failure: Option<&'a str>) -> Element<'a, Message> {
    let (title, tone) = if checks.is_running() {
        ("Testing your settings…", Tone::Neutral)
    } else if checks.passed() {
        ("Both servers accept your settings.", Tone::Success)
    } else {
        ("The test found a problem.", Tone::Danger)
    };
    let summary = text(title).size(18).style(theme::text::tone(tone));
    let sides = row![side(checks, Side::Incoming), side(checks, Side::Outgoing)].spacing(16);
    let failure = failure.map(|failure| {
        container(text(failure).size(14).style(theme::text::error))
            .padding(12)
            .width(Length::Fill)
            .style(theme::container::error)
    });

    let mut list = vec![action("Cancel", id::CANCEL, Message::Cancel)];
    if checks.is_running() {
        list.push(action("Change settings", id::CHANGE_SETTINGS, Message::ChangeSettings));
        list.push(action("Stop", id::STOP_TEST, Message::StopTest));
    } else if saving {
        list.push(container(button(text("Saving…")).padding([8, 20]).style(theme::button::primary)).into());
    } else if checks.passed() {
        list.push(action("Change settings", id::CHANGE_SETTINGS, Message::ChangeSettings));
        list.push(primary("Save", id::SAVE, Message::Save));
    } else {
        list.push(action("Save anyway", id::SAVE_ANYWAY, Message::SaveAnyway));
        list.push(action("Run again", id::RUN_AGAIN, Message::RunAgain));
        list.push(primary("Change settings", id::CHANGE_SETTINGS, Message::ChangeSettings));
    }
    let note = (checks.failed() && !saving).then(|| {
        text("Fix the settings and test again, or save anyway if you know the server is only unreachable from here.")
            .size(13)
            .style(theme::text::muted)
    });
    column![summary, sides].push(failure).push(note).push(buttons(list)).spacing(16).into()
}

fn primary<'a>(label: &'a str, widget: &'static str, message: Message) -> Element<'a, Message> {
    container(button(text(label)).padding([8, 20]).style(theme::button::primary).on_press(message))
        .id(widget::Id::new(widget))
        .into()
}

/// One server: its checklist, then what went wrong and what to do about it.
fn side(checks: &Checks, which: Side) -> Element<'_, Message> {
    let test = checks.side(which);
    let title = match which {
        Side::Incoming => format!("Incoming · {}", protocol_label(test.protocol)),
        Side::Outgoing => "Outgoing · SMTP".to_string(),
    };
    let mut body = column![
        text(title).size(16),
        text(format!("{}:{} · {}", test.host, test.port, test.security.label()))
            .size(13)
            .style(theme::text::muted),
    ]
    .spacing(8);
    let rows = test.rows.iter().map(|row| checklist_row(row.name.label(), &row.state));
    body = body.push(Column::with_children(rows).spacing(4));
    if let Some(note) = test.login_time().and_then(slow_login) {
        body = body.push(text(note).size(13).style(theme::text::tone(Tone::Info)));
    }
    if let Some(check) = &test.check {
        body = body.extend(check.facts.alerts.iter().map(|alert| server_says(alert)));
    }
    if let Some(error) = test.error() {
        body = body.push(failure(test, error));
    }
    if let Some(certificate) = test.certificate() {
        body = body.push(certificate_panel(test, certificate, which));
    }
    if test.is_done() {
        body = body.push(transcript(test, which));
    }
    container(body.width(Length::Fill))
        .padding(16)
        .width(Length::FillPortion(1))
        .style(theme::container::card)
        .into()
}

fn checklist_row<'a>(label: &'a str, state: &RowState) -> Element<'a, Message> {
    let (mark, tone, time) = match state {
        RowState::Waiting => ("…", Tone::Neutral, String::new()),
        // No time: done as part of another stage (STARTTLS agreed, its handshake failed), or a
        // failure the core found before the stage began (STARTTLS not offered).
        RowState::Done { ok, duration, .. } => (
            if *ok { "ok" } else { "failed" },
            if *ok { Tone::Success } else { Tone::Danger },
            if duration.is_zero() { String::new() } else { duration_label(*duration) },
        ),
        RowState::NotRun => ("—", Tone::Neutral, "not run".to_string()),
    };
    // What has not happened (yet) is drawn muted.
    let label = text(label).size(14).width(Length::Fill);
    let label = if matches!(state, RowState::Done { .. }) { label } else { label.style(theme::text::muted) };
    row![
        text(mark).size(13).width(48).style(theme::text::tone(tone)),
        label,
        text(time).size(13).style(theme::text::muted),
    ]
    .spacing(8)
    .align_y(Alignment::Center)
    .into()
}

fn duration_label(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms >= 1000.0 { format!("{:.2} s", ms / 1000.0) } else { format!("{ms:.1} ms") }
}

/// An alert the server asked to be shown (IMAP `[ALERT]`): "your password expires in 3 days".
fn server_says(alert: &str) -> Element<'_, Message> {
    container(text(format!("The server says: {alert}")).size(14))
        .padding(12)
        .width(Length::Fill)
        .style(theme::container::warning)
        .into()
}

/// What failed, the server's own words, and what to do.
fn failure<'a>(test: &ServerTest, error: &'a tidings_mail::error::Error) -> Element<'a, Message> {
    let advice = explain(test.protocol, error).unwrap_or_else(|| error.advice().to_string());
    // A fingerprint in the message is one 95-character word: in groups it wraps like words.
    let mut message = sentence(error.message());
    if let Some(cert) = error.certificate() {
        message = message.replace(&cert.sha256, &grouped(&cert.sha256));
    }
    let mut body = column![text(message).size(14).wrapping(Wrapping::WordOrGlyph)].spacing(6);
    if let Some(words) = error.server_words() {
        body = body
            .push(text("The server said:").size(13).style(theme::text::muted))
            .push(text(words).size(13).font(Font::MONOSPACE).wrapping(Wrapping::WordOrGlyph));
    }
    // OpenSSL's own account ("certificate verify failed", "error:0A000086:…") was made on
    // this computer: a detail for whoever helps, never the server's words.
    if let Some(local) = TlsLibrary::find(error) {
        body = body
            .push(text("Details from the TLS library on this computer:").size(13).style(theme::text::muted))
            .push(text(&local.0).size(12).font(Font::MONOSPACE).wrapping(Wrapping::WordOrGlyph));
    }
    body = body.push(text(advice).size(14));
    container(body).padding(12).width(Length::Fill).style(theme::container::error).into()
}

/// The certificate the server presented, why it is not trusted, and the pin button.
fn certificate_panel<'a>(test: &ServerTest, cert: &'a CertInfo, which: Side) -> Element<'a, Message> {
    let mut problems = cert.problems(&test.host);
    // Dates, name and self-signature are fine: then the issuer is the one nobody here trusts.
    if problems.is_empty() {
        problems.push(format!("its issuer ({}) is not an authority this computer trusts", cert.issuer));
    }
    let kv = |label: &'a str, value: String| {
        row![
            text(label).size(13).width(90).style(theme::text::muted),
            text(value).size(13).wrapping(Wrapping::WordOrGlyph).width(Length::Fill),
        ]
        .spacing(8)
    };
    let (widget_id, copy_id) = match which {
        Side::Incoming => (id::TRUST_INCOMING, id::COPY_FINGERPRINT_INCOMING),
        Side::Outgoing => (id::TRUST_OUTGOING, id::COPY_FINGERPRINT_OUTGOING),
    };
    let copy = button(text("Copy").size(13))
        .padding([2, 10])
        .style(theme::button::secondary)
        .on_press(Message::CopyFingerprint(cert.sha256.clone()));
    let trust = button(text("Trust this certificate (pin its fingerprint)").size(14))
        .padding([6, 14])
        .style(theme::button::secondary)
        .on_press(Message::Trust(which));
    let why = Column::with_children(
        problems.into_iter().map(|p| text(format!("· {}", sentence(&p))).size(13).into()),
    );
    container(
        column![
            text("The server's certificate is not trusted").size(15),
            why,
            kv("Subject", cert.subject.clone()),
            kv("Issuer", cert.issuer.clone()),
            kv("Valid", format!("{} until {}", cert.not_before, cert.not_after)),
            kv("Names", if cert.sans.is_empty() { "—".to_string() } else { cert.sans.join(", ") }),
            row![
                text("SHA-256").size(13).width(90).style(theme::text::muted),
                text(grouped(&cert.sha256))
                    .size(12)
                    .font(Font::MONOSPACE)
                    .wrapping(Wrapping::WordOrGlyph)
                    .width(Length::Fill),
                container(copy).id(widget::Id::new(copy_id)),
            ]
            .spacing(8),
            text(
                "Trust it only if you can compare this fingerprint with one your provider or administrator \
                 gives you. Tidings will then accept this one certificate for this server, and no other."
            )
            .size(13)
            .style(theme::text::muted),
            row![space::horizontal(), container(trust).id(widget::Id::new(widget_id))],
        ]
        .spacing(6),
    )
    .padding(12)
    .width(Length::Fill)
    .style(theme::container::warning)
    .into()
}

/// `AB:CD:…` in groups of eight bytes with a space between them, so that a narrow card
/// wraps it between groups (four lines at most) instead of running past its edge.
fn grouped(fingerprint: &str) -> String {
    let bytes: Vec<&str> = fingerprint.split(':').collect();
    bytes.chunks(8).map(|group| group.join(":")).collect::<Vec<_>>().join(" ")
}

/// What was said, redacted by the core, behind a toggle.
fn transcript(test: &ServerTest, which: Side) -> Element<'_, Message> {
    let widget_id = match which {
        Side::Incoming => id::TRANSCRIPT_INCOMING,
        Side::Outgoing => id::TRANSCRIPT_OUTGOING,
    };
    let toggle = button(
        text(if test.show_transcript { "Hide the conversation" } else { "Show the conversation" }).size(13),
    )
    .padding([4, 12])
    .style(theme::button::secondary)
    .on_press(Message::ToggleTranscript(which));
    let mut body = column![container(toggle).id(widget::Id::new(widget_id))].spacing(8);
    if let (true, Some(check)) = (test.show_transcript, &test.check) {
        let lines = check.transcript.iter().take(TRANSCRIPT_LINES).map(|line| {
            let style = match line.dir {
                tidings_mail::net::Dir::Client => theme::text::client,
                tidings_mail::net::Dir::Server => theme::text::server,
                tidings_mail::net::Dir::Info => theme::text::muted,
            };
            text(crate::widget::transcript_line::shown(line))
                .size(12)
                .font(Font::MONOSPACE)
                .wrapping(Wrapping::WordOrGlyph)
                .style(style)
                .into()
        });
        body = body.push(
            container(Column::with_children(lines).spacing(2))
                .padding(8)
                .width(Length::Fill)
                .style(theme::pane::code),
        );
    }
    body.into()
}
