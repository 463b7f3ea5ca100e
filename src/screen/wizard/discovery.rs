//! The discovery step: progress while the core looks, then every setting found with the source
//! it came from, where sources disagree, and redirects to another domain that wait for the
//! person's consent. The person picks one setting per side (the best-ranked is preselected)
//! and goes on to the form, which is prefilled with them.

use iced::widget::{Column, button, column, container, row, space, text};
use iced::{Alignment, Element, Length, widget};

use tidings_mail::account::{Incoming, Protocol};
use tidings_mail::discover::{
    Candidate, Discovery, NeedsConfirmation, Prefill, Source, SourceKind, SourceReport, SourceStatus,
};
use tidings_mail::error::Error;

use super::{Message, ProviderChoice, Side, id, sentence};
use crate::theme::{self, Tone};
use crate::widget::form::section;

/// What became of a redirect needing consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follow {
    NotAsked,
    Asking,
    /// Followed; it gave this many settings (added to the list).
    Done(usize),
    Failed(String),
}

/// What discovery found, and what the person chose.
#[derive(Debug, Clone)]
pub struct Found {
    pub discovery: Discovery,
    /// Index into `discovery.candidates` of the chosen incoming and outgoing settings.
    pub incoming: Option<usize>,
    pub outgoing: Option<usize>,
    /// One per `discovery.needs_confirmation`.
    pub follows: Vec<Follow>,
}

impl Found {
    /// Preselects the best-ranked settings.
    pub fn new(discovery: Discovery) -> Found {
        let position = |best: &Option<Candidate>| {
            best.as_ref().and_then(|best| discovery.candidates.iter().position(|c| c == best))
        };
        Found {
            incoming: position(&discovery.best.incoming),
            outgoing: position(&discovery.best.outgoing),
            follows: vec![Follow::NotAsked; discovery.needs_confirmation.len()],
            discovery,
        }
    }

    pub(super) fn choose(&mut self, side: Side, index: usize) {
        match (side, self.discovery.candidates.get(index).map(|c| c.protocol)) {
            (Side::Incoming, Some(Protocol::Imap | Protocol::Pop3)) => self.incoming = Some(index),
            (Side::Outgoing, Some(Protocol::Smtp)) => self.outgoing = Some(index),
            _ => {}
        }
    }

    /// The redirect to follow, unless it is already being followed or was.
    pub(super) fn start_follow(&mut self, index: usize) -> Option<NeedsConfirmation> {
        let follow = self.follows.get_mut(index)?;
        if matches!(follow, Follow::Asking | Follow::Done(_)) {
            return None;
        }
        *follow = Follow::Asking;
        self.discovery.needs_confirmation.get(index).cloned()
    }

    /// What the redirect gave is added and chosen: the person asked for it.
    pub(super) fn followed(&mut self, index: usize, result: Result<Vec<Candidate>, Error>) {
        let Some(follow) = self.follows.get_mut(index) else { return };
        match result {
            Ok(candidates) => {
                *follow = Follow::Done(candidates.len());
                let first = self.discovery.candidates.len();
                self.discovery.candidates.extend(candidates);
                let new = || self.discovery.candidates.iter().enumerate().skip(first);
                if let Some((i, _)) = new().find(|(_, c)| c.protocol != Protocol::Smtp) {
                    self.incoming = Some(i);
                }
                if let Some((i, _)) = new().find(|(_, c)| c.protocol == Protocol::Smtp) {
                    self.outgoing = Some(i);
                }
            }
            Err(error) => {
                *follow = Follow::Failed(format!("{} {}", sentence(&error.to_string()), error.advice()))
            }
        }
    }

    fn chosen(&self, side: Side) -> Option<&Candidate> {
        let index = match side {
            Side::Incoming => self.incoming,
            Side::Outgoing => self.outgoing,
        };
        index.and_then(|i| self.discovery.candidates.get(i))
    }

    /// The chosen settings as the form takes them.
    pub fn prefill(&self) -> Prefill {
        let email = &self.discovery.email;
        let incoming = self.chosen(Side::Incoming).and_then(|c| {
            let kind = match c.protocol {
                Protocol::Imap => Incoming::Imap,
                Protocol::Pop3 => Incoming::Pop3,
                Protocol::Smtp => return None,
            };
            Some((kind, c.to_server(email)))
        });
        Prefill { incoming, outgoing: self.chosen(Side::Outgoing).map(|c| c.to_server(email)) }
    }

    /// How the chosen settings sign in when a server offers OAuth2: with the provider Tidings
    /// knows for it (Microsoft, Google), or — only OAuth2, and an issuer Tidings does not
    /// know — with a provider file.
    pub fn sign_in(&self) -> Option<ProviderChoice> {
        let chosen: Vec<&Candidate> =
            [Side::Incoming, Side::Outgoing].iter().filter_map(|s| self.chosen(*s)).collect();
        chosen
            .iter()
            .find_map(|c| oauth2_provider(c))
            .or_else(|| chosen.iter().any(|c| c.needs_oauth2()).then_some(ProviderChoice::File))
    }

    /// A word for the form when the chosen servers sign in with OAuth2.
    pub(super) fn notice(&self) -> Option<String> {
        self.sign_in().map(|provider| match provider {
            ProviderChoice::File => {
                "The provider says its servers accept only OAuth2 sign-in: name its provider \
                 file below. Testing the settings opens its sign-in page."
                    .to_string()
            }
            known => format!(
                "These servers sign in with {}: testing the settings opens its sign-in page in your browser.",
                known.label()
            ),
        })
    }

    pub fn view(&self) -> Element<'_, Message> {
        let d = &self.discovery;
        let timed_out = if d.timed_out { "; some sources ran out of time" } else { "" };
        let mut content = column![
            text(format!("Settings found for {}", d.domain)).size(20),
            text(format!(
                "Tidings looked for {}{timed_out}. Each setting says where it came from; the best one is chosen, \
                 and you can pick another.",
                took(d.elapsed_ms)
            ))
            .size(14)
            .style(theme::text::muted),
            row![self.side_view(Side::Incoming), self.side_view(Side::Outgoing)].spacing(16),
        ]
        .spacing(14);
        if !d.disagreements.is_empty() {
            content = content.push(disagreements(d));
        }
        if !d.needs_confirmation.is_empty() {
            content = content.push(self.consent());
        }
        content = content.push(sources(&d.sources));

        let label = match self.sign_in() {
            Some(ProviderChoice::Microsoft) => "Sign in with Microsoft",
            Some(ProviderChoice::Google) => "Sign in with Google",
            _ => "Use these settings",
        };
        let use_found = button(text(label)).padding([8, 20]).style(theme::button::primary).on_press_maybe(
            (self.incoming.is_some() || self.outgoing.is_some()).then_some(Message::UseFound),
        );
        content
            .push(buttons(vec![
                action("Cancel", id::CANCEL, Message::Cancel),
                action("Back", id::BACK, Message::Back),
                action("Set up manually", id::MANUAL, Message::Manual),
                container(use_found).id(widget::Id::new(id::USE_FOUND)).into(),
            ]))
            .into()
    }

    fn side_view(&self, side: Side) -> Element<'_, Message> {
        let (title, chosen) = match side {
            Side::Incoming => ("Incoming mail", self.incoming),
            Side::Outgoing => ("Outgoing mail (SMTP)", self.outgoing),
        };
        let rows: Vec<Element<'_, Message>> = self
            .discovery
            .candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| (c.protocol == Protocol::Smtp) == (side == Side::Outgoing))
            .map(|(i, c)| candidate(i, c, chosen == Some(i), side))
            .collect();
        let body = if rows.is_empty() {
            Column::new()
                .push(text("Nothing found: enter it on the next page.").size(14).style(theme::text::muted))
        } else {
            Column::with_children(rows).spacing(8)
        };
        section(title, body)
    }

    fn consent(&self) -> Element<'_, Message> {
        let items = self.discovery.needs_confirmation.iter().zip(&self.follows).enumerate().map(
            |(i, (item, follow))| {
                let state: Element<'_, Message> = match follow {
                    Follow::NotAsked => container(
                        button(text("Follow it").size(14))
                            .padding([5, 14])
                            .style(theme::button::secondary)
                            .on_press(Message::Follow(i)),
                    )
                    .id(widget::Id::from(id::follow(i)))
                    .into(),
                    Follow::Asking => text("Asking…").size(13).style(theme::text::muted).into(),
                    Follow::Done(n) => {
                        text(format!("Followed: {n} setting{} added above.", if *n == 1 { "" } else { "s" }))
                            .size(13)
                            .style(theme::text::success)
                            .into()
                    }
                    Follow::Failed(why) => text(why.as_str()).size(13).style(theme::text::error).into(),
                };
                column![
                    text(sentence(&item.reason)).size(14),
                    text(format!("{} → {}", item.from, item.to)).size(12).style(theme::text::muted),
                    state,
                ]
                .spacing(6)
                .into()
            },
        );
        container(
            column![
                text("Needs your consent").size(16),
                text(
                    "These answers point to another domain. Tidings asks there only if you agree; \
                     only your email address is sent, never your password."
                )
                .size(13)
                .style(theme::text::muted),
                Column::with_children(items).spacing(12),
            ]
            .spacing(10),
        )
        .padding(16)
        .width(Length::Fill)
        .style(theme::container::warning)
        .into()
    }
}

/// One setting to choose: the server, its user name, its source, and notes.
fn candidate(index: usize, c: &Candidate, chosen: bool, side: Side) -> Element<'_, Message> {
    let user = c.user.as_deref().map(|u| format!(" · user {u}")).unwrap_or_default();
    let mut notes = Column::new().spacing(2);
    for note in [
        c.note.clone(),
        oauth2_note(c),
        c.untrusted_certificate.as_ref().map(|_| {
            "Its certificate is not trusted: the test will show it, and you may pin it.".to_string()
        }),
    ]
    .into_iter()
    .flatten()
    {
        notes = notes.push(text(note).size(12).style(theme::text::warning));
    }
    let badge = chosen.then(|| {
        container(text("chosen").size(12).style(theme::text::tone(Tone::Info)))
            .padding([1, 6])
            .style(theme::container::badge(Tone::Info))
    });
    let content = column![
        row![
            text(format!("{} {}:{}", protocol_label(c.protocol), c.host, c.port)).size(14),
            text(c.security.label()).size(13).style(theme::text::muted),
            space::horizontal(),
        ]
        .push(badge)
        .spacing(10)
        .align_y(Alignment::Center),
        text(format!("from {}{user}", c.label)).size(12).style(theme::text::muted),
        notes,
    ]
    .spacing(3);
    container(
        button(content)
            .width(Length::Fill)
            .padding([8, 10])
            .style(theme::button::option(chosen))
            .on_press(Message::Choose(side, index)),
    )
    .id(widget::Id::from(id::candidate(index)))
    .into()
}

fn disagreements(d: &Discovery) -> Element<'_, Message> {
    let line = |c: &Candidate| {
        let user = c.user.as_deref().map(|u| format!(", user {u}")).unwrap_or_default();
        text(format!("{}:{} {}{user} — from {}", c.host, c.port, c.security.label(), c.label)).size(12)
    };
    let items = d.disagreements.iter().map(|x| {
        column![
            text(format!(
                "{}: the {} differ{}",
                protocol_label(x.protocol),
                and_list(&x.fields),
                if x.fields.len() == 1 { "s" } else { "" }
            ))
            .size(14),
            line(&x.first),
            line(&x.second),
        ]
        .spacing(3)
        .into()
    });
    section(
        "Sources disagree",
        Column::with_children(items).push(
            text("The better-ranked source comes first and is chosen; the test will tell.")
                .size(12)
                .style(theme::text::muted),
        ),
    )
}

/// What was asked and how each source fared.
fn sources(reports: &[SourceReport]) -> Element<'_, Message> {
    let lines =
        reports.iter().filter(|r| r.status != SourceStatus::Skipped || !r.attempts.is_empty()).map(|r| {
            row![
                text(source_label(r.kind)).size(13).width(230),
                text(status_label(r)).size(13).style(theme::text::muted),
            ]
            .spacing(8)
            .into()
        });
    section("Where Tidings looked", Column::with_children(lines).spacing(2))
}

/// The OAuth2 provider Tidings knows for a candidate that offers OAuth2: by the preset it
/// came from, else by its host (Thunderbird's ISPDB names Microsoft's and Google's servers).
fn oauth2_provider(c: &Candidate) -> Option<ProviderChoice> {
    if !c.auth.iter().any(|a| a.eq_ignore_ascii_case("oauth2")) {
        return None;
    }
    let by_preset = match &c.source {
        Source::Preset { id, .. } => match id.as_str() {
            "office365" | "outlook" => Some(ProviderChoice::Microsoft),
            "gmail" => Some(ProviderChoice::Google),
            _ => None,
        },
        _ => None,
    };
    let within = |domain: &str| c.host == domain || c.host.ends_with(&format!(".{domain}"));
    by_preset.or_else(|| {
        if within("office365.com") || within("outlook.com") {
            Some(ProviderChoice::Microsoft)
        } else if within("gmail.com") || within("googlemail.com") {
            Some(ProviderChoice::Google)
        } else {
            None
        }
    })
}

/// How a candidate that offers OAuth2 signs in.
fn oauth2_note(c: &Candidate) -> Option<String> {
    match oauth2_provider(c) {
        Some(provider) => Some(format!("Signs in with {} (OAuth2).", provider.label())),
        None => {
            c.needs_oauth2().then(|| "Only OAuth2 sign-in: name the provider on the next page.".to_string())
        }
    }
}

/// The progress card while discovery runs.
pub(super) fn progress(domain: &str, seconds: u32) -> Element<'_, Message> {
    let asked = [
        SourceKind::Preset,
        SourceKind::Autoconfig,
        SourceKind::Autodiscover,
        SourceKind::Srv,
        SourceKind::Mx,
        SourceKind::Probe,
    ]
    .map(|kind| text(format!("· {}", source_label(kind))).size(13).style(theme::text::muted).into());
    column![
        section(
            "Finding your settings",
            column![
                row![
                    text(format!("Looking up the settings for {domain}…")).size(16),
                    space::horizontal(),
                    text(format!("{seconds} s")).size(14).style(theme::text::muted),
                ]
                .align_y(Alignment::Center),
                text("Asking, all at once:").size(13),
                Column::with_children(asked).spacing(2),
                text("Only your email address is sent; your password stays on this computer until you test the settings.")
                    .size(13)
                    .style(theme::text::muted),
            ],
        ),
        buttons(vec![
            action("Cancel", id::CANCEL, Message::Cancel),
            action("Back", id::BACK, Message::Back),
            action("Set up manually", id::MANUAL, Message::Manual),
        ]),
    ]
    .spacing(16)
    .into()
}

/// The form's note when nothing was found.
pub(super) fn nothing_found(d: &Discovery) -> String {
    let asked: Vec<String> = d
        .sources
        .iter()
        .filter(|r| r.status != SourceStatus::Skipped)
        .map(|r| format!("{} — {}", source_label(r.kind), status_label(r)))
        .collect();
    let asked = if asked.is_empty() { String::new() } else { format!(" Asked: {}.", asked.join("; ")) };
    format!(
        "Tidings found no settings for {}.{asked} Enter the settings your mail provider gives you.",
        d.domain
    )
}

/// "3 ms", "2.3 s".
fn took(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

/// "host", "host and port", "host, port and security".
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn source_label(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Preset => "Known providers",
        SourceKind::Autoconfig => "Autoconfig (Thunderbird)",
        SourceKind::Autodiscover => "Autodiscover (Exchange)",
        SourceKind::Srv => "DNS SRV records",
        SourceKind::Mx => "The domain's mail server (MX)",
        SourceKind::Probe => "Common server names",
    }
}

fn status_label(r: &SourceReport) -> String {
    match r.status {
        SourceStatus::Found => format!("found {}", r.found),
        SourceStatus::NothingFound => "nothing found".into(),
        SourceStatus::Failed => "failed".into(),
        SourceStatus::TimedOut => "ran out of time".into(),
        SourceStatus::Skipped => {
            r.attempts.first().map(|a| format!("skipped: {}", a.outcome)).unwrap_or_else(|| "skipped".into())
        }
    }
}

pub(super) fn protocol_label(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Imap => "IMAP",
        Protocol::Pop3 => "POP3",
        Protocol::Smtp => "SMTP",
    }
}

/// A secondary button with a widget id.
pub(super) fn action<'a>(label: &'a str, widget: &'static str, message: Message) -> Element<'a, Message> {
    container(button(text(label)).padding([8, 20]).style(theme::button::secondary).on_press(message))
        .id(widget::Id::new(widget))
        .into()
}

/// A row of buttons: the first on the left (Cancel), the others on the right.
pub(super) fn buttons(mut list: Vec<Element<'_, Message>>) -> Element<'_, Message> {
    let mut row = iced::widget::Row::new().spacing(12).align_y(Alignment::Center);
    if !list.is_empty() {
        row = row.push(list.remove(0));
    }
    row.push(space::horizontal()).extend(list).into()
}
