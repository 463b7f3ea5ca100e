//! The report, section by section: the result, the stages with their durations, TLS and the
//! certificate, what the server says about itself, the OAuth2 token logged in with,
//! capabilities and their changes, and the behaviour checks.

use iced::widget::text::Wrapping;
use iced::widget::{Column, column, container, row, text};
use iced::{Alignment, Element, Font, Length};

use tidings_mail::inspect::{Check, Report, TlsReport, TokenReport, Verdict};
use tidings_mail::net::Stage;

use super::{Message, sentence};
use crate::theme::{self, Tone};

const LABEL_WIDTH: f32 = 150.0;
/// Columns of the checks table.
const VERDICT_WIDTH: f32 = 56.0;
const CHECK_WIDTH: f32 = 130.0;

/// A titled card.
pub fn card<'a>(title: &'a str, body: impl Into<Element<'a, Message>>) -> Element<'a, Message> {
    container(column![text(title).size(16), body.into()].spacing(10))
        .padding(16)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

/// Shown above a report whose transcript holds the sampled messages (asked for in the form).
pub const CONTENT_INCLUDED: &str = "This report contains message content: the transcript shows the sampled messages' headers and bodies. Read it before you share it.";

/// Passed, or failed at which stage, with the server's words and what to do.
pub fn result(report: &Report) -> Element<'_, Message> {
    if report.alerts.is_empty() && !report.includes_content {
        return outcome(report);
    }
    let notice = |words: String| -> Element<'_, Message> {
        container(text(words).size(14))
            .padding(12)
            .width(Length::Fill)
            .style(theme::container::warning)
            .into()
    };
    let content = report.includes_content.then(|| notice(CONTENT_INCLUDED.to_string()));
    // RFC 3501 7.1: an alert is for the person, shown above the rest.
    let alerts = report.alerts.iter().map(|alert| notice(format!("The server says: {alert}")));
    Column::new().push(content).extend(alerts).push(outcome(report)).spacing(10).into()
}

fn outcome(report: &Report) -> Element<'_, Message> {
    if report.ok {
        let mailbox = report.mailbox.as_deref().map(|m| text(m).size(14));
        return container(
            column![text("All stages passed").size(18).style(theme::text::success)]
                .push(text(format!("{} · started {}", report.target, report.started)).size(13))
                .push(mailbox)
                .spacing(6),
        )
        .padding(14)
        .width(Length::Fill)
        .style(theme::container::success)
        .into();
    }
    let stage = report.failed_stage.as_deref().unwrap_or("connection");
    let mut body = column![
        text(format!("FAILED at {stage}")).size(18).style(theme::text::error),
        text(format!("{} · started {}", report.target, report.started)).size(13),
    ]
    .spacing(6);
    if let Some(error) = &report.error {
        body = body.push(text(sentence(&error.message)).size(14));
        if let Some(words) = &error.server {
            body = body
                .push(text("The server said:").size(13).style(theme::text::muted))
                .push(text(words).size(13).font(Font::MONOSPACE));
        }
        let advice = report.explanation.as_deref().unwrap_or(error.advice);
        body = body.push(text(advice).size(14));
    }
    container(body).padding(14).width(Length::Fill).style(theme::container::error).into()
}

/// Each stage: ok or FAILED, its duration and what it found.
pub fn stages(stages: &[Stage]) -> Element<'_, Message> {
    if stages.is_empty() {
        return card("Stages", text("Connecting…").size(14).style(theme::text::muted));
    }
    let rows = stages.iter().map(|stage| {
        let (label, tone) = if stage.ok { ("ok", Tone::Success) } else { ("FAILED", Tone::Danger) };
        let detail = stage.detail.as_deref().map(|detail| {
            container(text(detail).size(12).wrapping(Wrapping::WordOrGlyph).style(theme::text::muted))
                .padding(iced::Padding { left: 12.0, ..iced::Padding::ZERO })
        });
        column![
            row![
                text(stage.name.label()).size(14).width(Length::Fill),
                text(label).size(13).width(60).style(theme::text::tone(tone)),
                text(format!("{:.1} ms", stage.duration.as_secs_f64() * 1000.0))
                    .size(13)
                    .width(80)
                    .align_x(iced::alignment::Horizontal::Right),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
        ]
        .push(detail)
        .spacing(2)
        .into()
    });
    card("Stages", Column::with_children(rows).spacing(6))
}

/// TLS, the server, capabilities and checks.
pub fn details(report: &Report) -> Vec<Element<'_, Message>> {
    let mut out = Vec::new();
    if let Some(tls) = &report.tls {
        out.push(tls_card(tls));
    }
    out.push(server_card(report));
    if let Some(token) = &report.token {
        out.push(token_card(token));
    }
    out.push(capabilities_card(report));
    out.push(checks_card(&report.checks));
    out
}

fn tls_card(tls: &TlsReport) -> Element<'_, Message> {
    let mut rows = column![
        kv("Version", tls.version.as_deref().unwrap_or("—")),
        kv("Cipher", tls.cipher.as_deref().unwrap_or("—")),
        kv("Trust", &tls.verdict),
    ]
    .spacing(6);
    if let Some(matches) = tls.hostname_matches {
        rows = rows.push(kv(
            "Host name",
            if matches { "matches the certificate" } else { "does NOT match the certificate" },
        ));
    }
    if let Some(cert) = &tls.certificate {
        rows = rows
            .push(kv("Subject", &cert.subject))
            .push(kv("Issuer", &cert.issuer))
            .push(kv("Valid", format!("{} to {}", cert.not_before, cert.not_after)))
            .push(kv("Names", cert.sans.join(", ")))
            .push(kv_mono("SHA-256", &cert.sha256));
    }
    card("TLS", rows)
}

fn server_card(report: &Report) -> Element<'_, Message> {
    let mut rows = Column::new().spacing(6);
    if let Some(greeting) = &report.greeting {
        rows = rows.push(kv_mono("Greeting", greeting));
    }
    if let Some(id) = &report.imap_id {
        let pairs: Vec<String> = id.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        rows = rows.push(kv("IMAP ID", pairs.join("\n")));
    }
    let mechanisms = if report.auth_mechanisms.is_empty() {
        "none offered".to_string()
    } else {
        report.auth_mechanisms.join(" ")
    };
    rows = rows.push(kv("Login methods", mechanisms));
    if let Some(mailbox) = &report.mailbox {
        rows = rows.push(kv("First mailbox command", mailbox));
    }
    card("Server", rows)
}

/// The access token logged in with: what would make the server refuse it first, then its
/// mechanism, audience, scopes and expiry.
fn token_card(token: &TokenReport) -> Element<'_, Message> {
    let warnings = token.warnings.iter().map(|warning| {
        container(text(warning.as_str()).size(13))
            .padding(10)
            .width(Length::Fill)
            .style(theme::container::warning)
            .into()
    });
    let rows = Column::with_children(warnings)
        .push(kv("Mechanism", token.mechanism.as_deref().unwrap_or("none offered by the server")))
        .push(kv_mono("Audience", token.grant.audience_words()))
        .push(kv_mono("Scopes granted", token.grant.scope_words()))
        .push(kv("Expiry", token.expires.as_deref().unwrap_or("not stated by the provider")))
        .spacing(6);
    card("OAuth2 access token", rows)
}

fn capabilities_card(report: &Report) -> Element<'_, Message> {
    let c = &report.capabilities;
    let mut rows = Column::new().spacing(6);
    if !c.before_tls.is_empty() {
        rows = rows.push(kv_mono("Before TLS", c.before_tls.join(" ")));
    }
    let first = if c.before_tls.is_empty() { "On connect" } else { "After TLS" };
    rows = rows.push(kv_mono(first, c.after_tls.join(" ")));
    if !c.after_login.is_empty() {
        rows = rows.push(kv_mono("After login", c.after_login.join(" ")));
    }
    for (label, list, tone) in [
        ("Added by TLS", &c.added_by_tls, Tone::Success),
        ("Removed by TLS", &c.removed_by_tls, Tone::Danger),
        ("Added by login", &c.added_by_login, Tone::Success),
        ("Removed by login", &c.removed_by_login, Tone::Danger),
    ] {
        if !list.is_empty() {
            rows = rows.push(
                row![
                    text(label).size(13).width(LABEL_WIDTH).style(theme::text::muted),
                    text(list.join(" "))
                        .size(13)
                        .font(Font::MONOSPACE)
                        .style(theme::text::tone(tone))
                        .width(Length::Fill),
                ]
                .spacing(8),
            );
        }
    }
    card("Capabilities", rows)
}

fn checks_card(checks: &[Check]) -> Element<'_, Message> {
    if checks.is_empty() {
        return card("Behaviour checks", text("No check ran.").size(14).style(theme::text::muted));
    }
    let heading = container(
        row![
            text("Result").size(12).width(VERDICT_WIDTH).style(theme::text::muted),
            text("Check").size(12).width(CHECK_WIDTH).style(theme::text::muted),
            text("Summary and evidence").size(12).style(theme::text::muted),
        ]
        .spacing(8),
    )
    .padding([4, 6])
    .width(Length::Fill)
    .style(theme::pane::heading);
    let rows = checks.iter().map(|check| {
        // Evidence (sizes per UID, structures…) gets the width of name and summary together.
        let evidence = check
            .evidence
            .iter()
            .map(|e| text(e.as_str()).size(12).font(Font::MONOSPACE).wrapping(Wrapping::WordOrGlyph).into());
        column![
            row![
                container(verdict(check.verdict)).width(VERDICT_WIDTH),
                text(check.name).size(14).width(CHECK_WIDTH),
                text(check.summary.as_str()).size(13).width(Length::Fill),
            ]
            .spacing(8),
            container(Column::with_children(evidence).spacing(2))
                .padding(iced::Padding { left: VERDICT_WIDTH + 8.0, ..iced::Padding::ZERO }),
        ]
        .spacing(4)
        .padding([0, 6])
        .into()
    });
    card("Behaviour checks", column![heading].extend(rows).spacing(10))
}

/// "pass", "FAIL", "info" or "n/a" on a tinted label.
fn verdict(verdict: Verdict) -> Element<'static, Message> {
    let tone = match verdict {
        Verdict::Pass => Tone::Success,
        Verdict::Fail => Tone::Danger,
        Verdict::Info => Tone::Info,
        Verdict::NotApplicable => Tone::Neutral,
    };
    container(text(verdict.label()).size(12)).padding([1, 6]).style(theme::container::badge(tone)).into()
}

/// A muted label and its value.
fn kv<'a>(label: &'a str, value: impl text::IntoFragment<'a>) -> Element<'a, Message> {
    row![
        text(label).size(13).width(LABEL_WIDTH).style(theme::text::muted),
        text(value).size(13).width(Length::Fill)
    ]
    .spacing(8)
    .into()
}

/// A label and a machine value (capabilities, a greeting, a fingerprint), wrapped anywhere.
fn kv_mono<'a>(label: &'a str, value: impl text::IntoFragment<'a>) -> Element<'a, Message> {
    row![
        text(label).size(13).width(LABEL_WIDTH).style(theme::text::muted),
        text(value).size(12).font(Font::MONOSPACE).wrapping(Wrapping::WordOrGlyph).width(Length::Fill),
    ]
    .spacing(8)
    .into()
}
