//! The invitation card above the body of a message with a calendar part: what the core read
//! (`tidings_mail::calendar`: the headline, title, when in the person's zone, recurrence in
//! words, where, organizer, attendees and their answers, the person's own status), Accept /
//! Tentative / Decline with an optional comment (for a recurring event, the whole series or
//! "Only this occurrence", its start given as `tidings message show` prints it), and "Save as
//! .ics". A meeting request that came as a link to Outlook on the web gets a card saying so,
//! with the administrator's command to copy.
//!
//! The cards are read with the message (on `spawn_blocking`), with the answers remembered
//! in the store. An answer is built, queued in the Outbox and remembered by the core
//! (`calendar::answer`, as `tidings invite reply` does) in a task; the account's
//! send/receive then sends it.

use std::collections::HashSet;
use std::path::PathBuf;

use iced::font::Weight;
use iced::widget::{Column, Space, button, checkbox, column, container, row, text, text_editor, text_input};
use iced::{Element, Font, Length, Task, widget};

use tidings_mail::account::Account;
use tidings_mail::calendar::{
    self, Answer, Answerable, Attendee, Invitation, OwaLink, Partstat, Role, Viewer,
};
use tidings_mail::error::{Error, Kind};
use tidings_mail::message::{Calendar, Display, save};
use tidings_mail::store::{FolderId, StoreHandle};

use super::{Action, Mailbox, Message, outbox};
use crate::{desktop, theme};

/// Attendees listed before "and 37 more".
const FEW_ATTENDEES: usize = 6;

/// Widget ids, by the card's number among the message's cards.
pub mod id {
    pub const COMMENT: &str = "invitation-comment";
    pub const COPY_COMMAND: &str = "invitation-copy-command";
    pub const COMMAND: &str = "invitation-command";
    pub const OPEN_OUTLOOK: &str = "invitation-open-outlook";
    pub const ONLY_OCCURRENCE: &str = "invitation-only-occurrence";
    pub const OCCURRENCE: &str = "invitation-occurrence";

    pub fn answer(card: usize, answer: tidings_mail::calendar::Answer) -> String {
        format!("invitation-{card}-{answer:?}").to_ascii_lowercase()
    }
    pub fn save_ics(card: usize) -> String {
        format!("invitation-{card}-save-ics")
    }
    pub fn more_attendees(card: usize) -> String {
        format!("invitation-{card}-more-attendees")
    }
}

/// Who reads the mailbox's invitations: their zone and addresses, and the account that
/// answers (none: a mailbox showing only what the store holds cannot answer).
#[derive(Debug, Clone, Default)]
pub struct Invitee {
    /// None: the account's addresses in the system's zone (found where messages are read,
    /// off the UI thread: it reads the system's settings).
    pub viewer: Option<Viewer>,
    /// The store's key of the account (answers are remembered under it).
    pub key: String,
    pub account: Option<Account>,
    /// POP3: the Outlook-on-the-web explanation names the POP3 setting.
    pub pop3: bool,
}

/// A message's invitations as the reader shows them.
#[derive(Debug, Clone, Default)]
pub struct Cards {
    pub cards: Vec<Card>,
    /// A meeting request that came as a link to Outlook on the web.
    pub outlook: Option<OwaLink>,
    /// The message's Message-ID and References: an answer joins its thread.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Card {
    /// The invitation, or why it cannot be read.
    pub read: Result<Invitation, Error>,
    pub part: Calendar,
}

impl Cards {
    /// Reads the calendar parts of message `raw` (read as `display`): CPU work, in a task.
    pub fn read(raw: &[u8], display: &Display, invitee: &Invitee) -> Cards {
        let viewer = invitee.viewer.clone().unwrap_or_else(|| match &invitee.account {
            Some(account) => Viewer::for_account(account),
            None => Viewer::new(calendar::zone::local(), Vec::<String>::new()),
        });
        let cards = calendar::invitations(display, &viewer)
            .into_iter()
            .filter_map(|(i, read)| display.calendar.get(i).map(|part| Card { read, part: part.clone() }))
            .collect::<Vec<_>>();
        let mailbox = viewer.addresses.first().map(String::as_str).unwrap_or("");
        let outlook = calendar::owa_link(raw, display, mailbox);
        let (in_reply_to, references) =
            if cards.is_empty() { (None, Vec::new()) } else { calendar::thread_of(raw) };
        Cards { cards, outlook, in_reply_to, references }
    }

    pub fn is_empty(&self) -> bool {
        self.cards.is_empty() && self.outlook.is_none()
    }

    /// The answers the person sent earlier, from the store (on its thread).
    pub async fn remembered(mut self, store: &StoreHandle, key: String) -> Cards {
        if !self.cards.iter().any(|c| c.read.as_ref().is_ok_and(|i| i.answerable)) {
            return self;
        }
        let invitations: Vec<Option<Invitation>> =
            self.cards.iter().map(|c| c.read.as_ref().ok().cloned()).collect();
        let read = store
            .call(move |s| {
                invitations
                    .into_iter()
                    .map(|i| i.map(|i| calendar::remembered(s, &key, i)).transpose())
                    .collect::<Result<Vec<_>, Error>>()
            })
            .await;
        match read {
            Ok(with_answers) => {
                for (card, inv) in self.cards.iter_mut().zip(with_answers) {
                    if let Some(inv) = inv {
                        card.read = Ok(inv);
                    }
                }
            }
            // Not knowing an earlier answer is no reason to hide the card: it asks again.
            Err(e) => {
                for card in &mut self.cards {
                    if let Ok(inv) = &mut card.read
                        && inv.answerable
                    {
                        inv.notes
                            .push(format!("Whether you answered already cannot be read: {}.", e.message()));
                    }
                }
            }
        }
        self
    }
}

/// The card's state for the shown message; it starts anew with each opened message.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub comment: String,
    /// Answers sent since the message was opened, by card.
    pub answered: Vec<(usize, Partstat)>,
    /// The card whose answer is being queued.
    pub answering: Option<usize>,
    /// Cards whose whole list of attendees is shown.
    pub expanded: HashSet<usize>,
    /// A recurring event's answer is for one occurrence only: the one starting at
    /// `occurrence` (as `tidings message show` prints `start`).
    pub only_occurrence: bool,
    pub occurrence: String,
}

#[derive(Debug, Clone)]
pub enum Msg {
    Answer(usize, Answer),
    Comment(String),
    /// "Only this occurrence" checked or not on this card.
    OnlyOccurrence(usize, bool),
    Occurrence(String),
    /// An answer was queued and remembered (for the message in this folder with this UID).
    Answered {
        folder: FolderId,
        uid: u32,
        card: usize,
        /// One occurrence was answered, not the series.
        occurrence: bool,
        result: Result<Partstat, Error>,
    },
    SaveIcs(usize),
    Picked(usize, Option<PathBuf>),
    ShowAttendees(usize),
    /// Selecting in the administrator's command (it cannot be edited).
    Command(text_editor::Action),
    CopyCommand,
    OpenOutlook,
}

impl Mailbox {
    pub(super) fn invitation(&mut self, msg: Msg) -> Action {
        let task = match msg {
            Msg::Answer(card, answer) => self.answer(card, answer),
            Msg::Comment(comment) => {
                self.reader.content_mut().invitation.comment = comment;
                Task::none()
            }
            Msg::OnlyOccurrence(card, only) => {
                let start = self
                    .reader
                    .shown()
                    .and_then(|m| m.invitations.cards.get(card)?.read.as_ref().ok()?.start.clone());
                let state = &mut self.reader.content_mut().invitation;
                state.only_occurrence = only;
                // The series' first occurrence to start from: the person changes the date.
                if only && state.occurrence.trim().is_empty() {
                    state.occurrence = start.unwrap_or_default();
                }
                Task::none()
            }
            Msg::Occurrence(text) => {
                self.reader.content_mut().invitation.occurrence = text;
                Task::none()
            }
            Msg::Answered { folder, uid, card, occurrence, result } => {
                return self.answered(folder, uid, card, occurrence, result);
            }
            Msg::SaveIcs(card) => {
                let start = self.last_folder.clone();
                Task::perform(
                    async move { desktop::pick_folder("Save the invitation in…", start.as_deref()).await },
                    move |dir| Message::Invitation(Msg::Picked(card, dir)),
                )
            }
            Msg::Picked(_, None) => Task::none(),
            Msg::Picked(card, Some(dir)) => self.save_ics(card, dir),
            Msg::ShowAttendees(card) => {
                self.reader.content_mut().invitation.expanded.insert(card);
                Task::none()
            }
            Msg::Command(action) => {
                self.reader.command_action(action);
                Task::none()
            }
            Msg::CopyCommand => match self.reader.shown().and_then(|m| m.invitations.outlook.as_ref()) {
                Some(link) => {
                    let command = if self.local { &link.pop3_command } else { &link.imap_command }.clone();
                    self.notice = Some(("Copied the command".to_string(), false));
                    iced::clipboard::write(command)
                }
                None => Task::none(),
            },
            Msg::OpenOutlook => {
                match self.reader.shown().and_then(|m| m.invitations.outlook.as_ref()?.link.clone()) {
                    Some(url) => return self.content(super::content::Msg::Link(url)),
                    None => Task::none(),
                }
            }
        };
        if task.units() == 0 { Action::None } else { Action::Run(task) }
    }

    /// Queues the answer through the core, off the UI thread.
    fn answer(&mut self, card: usize, answer: Answer) -> Task<Message> {
        let (Some(opened), Some(shown)) = (self.reader.opened(), self.reader.shown()) else {
            return Task::none();
        };
        let (folder, uid) = (opened.folder, opened.row.uid);
        let cards = &shown.invitations;
        let Some(Ok(invitation)) = cards.cards.get(card).map(|c| c.read.clone()) else { return Task::none() };
        let ics = cards.cards[card].part.text.clone();
        let state = &self.reader.content().invitation;
        let occurrence = if state.only_occurrence && invitation.recurrence.is_some() {
            match calendar::occurrence(&ics, &state.occurrence) {
                Ok(at) => Some(at),
                Err(e) => return self.failed(e),
            }
        } else {
            None
        };
        let what = Answerable {
            invitation,
            ics,
            in_reply_to: cards.in_reply_to.clone(),
            references: cards.references.clone(),
            occurrence,
        };
        let one = occurrence.is_some();
        let (Some(account), Some(stores)) = (self.reader.invitee().account.clone(), &self.stores) else {
            return self.failed(Error::new(
                Kind::Config,
                "cannot answer the invitation: this mailbox has no account to send from",
            ));
        };
        let store = stores.write.clone();
        let state = &mut self.reader.content_mut().invitation;
        if state.answering.is_some() {
            return Task::none();
        }
        state.answering = Some(card);
        let comment = Some(state.comment.trim().to_string()).filter(|c| !c.is_empty());
        Task::perform(
            async move {
                calendar::answer(&store, &account, &what, answer, comment.as_deref()).await?;
                Ok(answer.partstat())
            },
            move |result| Message::Invitation(Msg::Answered { folder, uid, card, occurrence: one, result }),
        )
    }

    fn answered(
        &mut self,
        folder: FolderId,
        uid: u32,
        card: usize,
        occurrence: bool,
        result: Result<Partstat, Error>,
    ) -> Action {
        let here = self.reader.opened().is_some_and(|o| o.folder == folder && o.row.uid == uid);
        if here {
            let state = &mut self.reader.content_mut().invitation;
            state.answering = None;
            if let Ok(partstat) = &result {
                // One occurrence's answer is not the series': the card keeps the series'.
                if !occurrence {
                    state.answered.retain(|(c, _)| *c != card);
                    state.answered.push((card, *partstat));
                }
                state.comment.clear();
            }
        }
        match result {
            Ok(partstat) => {
                let what = if occurrence { " this occurrence" } else { "" };
                self.notice =
                    Some((format!("You {}{what}: the answer is in the Outbox", partstat.verb()), false));
                // The Outbox read again, then a send/receive sends the answer (as "Send again").
                self.pass_after_outbox = true;
                let Some(stores) = &self.stores else { return Action::GetMail };
                Action::Run(outbox::load(stores.read.clone(), self.account_key.clone()))
            }
            Err(e) => {
                self.notice = Some((format!("Cannot answer the invitation: {}", e.message()), true));
                Action::None
            }
        }
    }

    fn save_ics(&mut self, card: usize, dir: PathBuf) -> Task<Message> {
        let Some(shown) = self.reader.shown_arc() else { return Task::none() };
        self.last_folder = Some(dir.clone());
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || {
                    let card = shown
                        .invitations
                        .cards
                        .get(card)
                        .ok_or_else(|| Error::new(Kind::Config, "this invitation is no longer shown"))?;
                    let (name, data) = calendar::ics_file(&card.part, card.read.as_ref().ok());
                    let file = tidings_mail::message::Attachment {
                        size: data.len(),
                        name,
                        content_type: "text/calendar".into(),
                        data,
                        ..Default::default()
                    };
                    save::save_attachment(&file, &dir).map(|path| vec![path])
                })
                .await
                .unwrap_or_else(|e| {
                    Err(Error::new(Kind::Storage, format!("cannot finish: the task stopped ({e})")))
                })
            },
            |r| Message::Content(super::content::Msg::Saved(r)),
        )
    }
}

/// The cards of the shown message, above its body.
pub fn view<'a>(
    cards: &'a Cards,
    state: &'a State,
    command: Option<&'a text_editor::Content>,
    pop3: bool,
) -> Option<Element<'a, Message>> {
    if cards.is_empty() {
        return None;
    }
    let mut all = Column::new().spacing(10);
    for (n, card) in cards.cards.iter().enumerate() {
        all = all.push(match &card.read {
            Ok(inv) => card_view(n, inv, state),
            Err(e) => container(
                column![
                    text(format!("Cannot read the invitation: {}", reason(e))).size(13),
                    text(e.advice()).size(12).style(theme::text::muted),
                ]
                .spacing(4),
            )
            .padding([8, 10])
            .width(Length::Fill)
            .style(theme::container::error)
            .into(),
        });
    }
    if let Some(link) = &cards.outlook {
        all = all.push(outlook_view(link, command, pop3));
    }
    Some(all.into())
}

/// The core's "cannot read the invitation: it is empty" without its start.
fn reason(e: &Error) -> String {
    let message = e.message();
    message.strip_prefix("cannot read the invitation: ").unwrap_or(message).to_string()
}

fn bold() -> Font {
    Font { weight: Weight::Bold, ..Font::DEFAULT }
}

fn field<'a>(label: &'static str, value: impl text::IntoFragment<'a>) -> Element<'a, Message> {
    row![
        text(label).size(13).width(80).style(theme::text::muted),
        text(value).size(13).width(Length::Fill).wrapping(text::Wrapping::WordOrGlyph),
    ]
    .spacing(8)
    .into()
}

fn card_view<'a>(n: usize, inv: &'a Invitation, state: &'a State) -> Element<'a, Message> {
    let answered = state.answered.iter().find(|(c, _)| *c == n).map(|(_, p)| *p);
    let headline = match answered {
        Some(p) => format!("You {}", p.verb()),
        None => inv.headline.clone(),
    };
    let headline_style = match inv.method {
        calendar::Method::Cancel => theme::text::error,
        _ if inv.status.as_deref() == Some("CANCELLED") => theme::text::error,
        _ => theme::text::muted,
    };
    let mut lines = column![
        text(headline).size(13).font(bold()).style(headline_style),
        text(inv.summary.as_deref().unwrap_or("(no title)")).size(17).font(bold()),
    ]
    .spacing(4);
    if let Some(when) = &inv.when {
        lines = lines.push(field("When", when.as_str()));
    }
    if let Some(recurrence) = &inv.recurrence {
        lines = lines.push(field("Repeats", recurrence.as_str()));
    }
    if let Some(location) = &inv.location {
        lines = lines.push(field("Where", location.as_str()));
    }
    if let Some(organizer) = &inv.organizer {
        let who = match (&organizer.name, &organizer.address) {
            (Some(name), Some(address)) if name != address => format!("{name} <{address}>"),
            _ => organizer.label().to_string(),
        };
        lines = lines.push(field("Organizer", who));
    }
    if let Some(comment) = &inv.comment {
        lines = lines.push(field("Comment", comment.as_str()));
    }
    if !inv.attendees.is_empty() {
        lines = lines.push(attendees(n, inv, state.expanded.contains(&n)));
    }
    let yours = answered.or(inv.your_status);
    if inv.answerable {
        let said = match yours {
            None | Some(Partstat::NeedsAction) => "You have not answered yet.".to_string(),
            Some(p) => format!("You {}.", p.verb()),
        };
        lines = lines.push(field("You", said));
    }
    for note in &inv.notes {
        lines = lines.push(text(note).size(12).style(theme::text::warning));
    }
    let mut actions = row![].spacing(8).align_y(iced::Alignment::Center);
    if inv.answerable {
        let busy = state.answering.is_some();
        for (answer, label) in
            [(Answer::Accept, "Accept"), (Answer::Tentative, "Tentative"), (Answer::Decline, "Decline")]
        {
            let chosen = yours == Some(answer.partstat());
            let b = button(text(label).size(13))
                .padding([4, 12])
                .style(theme::button::choice(chosen))
                .on_press_maybe((!busy).then_some(Message::Invitation(Msg::Answer(n, answer))));
            actions = actions.push(container(b).id(widget::Id::from(id::answer(n, answer))));
        }
        actions = actions.push(
            text_input("Comment (optional)", &state.comment)
                .id(widget::Id::new(id::COMMENT))
                .on_input(|c| Message::Invitation(Msg::Comment(c)))
                .size(13)
                .padding([4, 8])
                .width(Length::Fill),
        );
    } else {
        actions = actions.push(Space::new().width(Length::Fill));
    }
    if inv.answerable && inv.recurrence.is_some() {
        lines = lines.push(occurrence_view(n, state));
    }
    actions =
        actions.push(small_button("Save as .ics", Message::Invitation(Msg::SaveIcs(n)), id::save_ics(n)));
    lines = lines.push(actions);
    container(lines).padding([10, 12]).width(Length::Fill).style(theme::container::card).into()
}

/// For a recurring event: the answer is for the whole series unless "Only this occurrence"
/// is checked, with the occurrence's start (the series' first, to be changed).
fn occurrence_view(n: usize, state: &State) -> Element<'_, Message> {
    let only = container(
        checkbox(state.only_occurrence)
            .label("Only this occurrence:")
            .text_size(13)
            .size(14)
            .spacing(6)
            .on_toggle(move |on| Message::Invitation(Msg::OnlyOccurrence(n, on))),
    )
    .id(widget::Id::new(id::ONLY_OCCURRENCE));
    let mut line = row![only].spacing(8).align_y(iced::Alignment::Center);
    if state.only_occurrence {
        line = line.push(
            text_input("Its start, e.g. 2026-06-17T09:00:00+02:00", &state.occurrence)
                .id(widget::Id::new(id::OCCURRENCE))
                .on_input(|t| Message::Invitation(Msg::Occurrence(t)))
                .size(13)
                .padding([4, 8])
                .width(Length::Fixed(260.0)),
        );
    } else {
        line = line
            .push(text("Otherwise the answer is for the whole series.").size(12).style(theme::text::muted));
    }
    line.into()
}

/// "Alice Example accepted", …, and "and 37 more" (a click shows the whole list).
fn attendees(n: usize, inv: &Invitation, expanded: bool) -> Element<'_, Message> {
    let shown = if expanded { inv.attendees.len() } else { FEW_ATTENDEES.min(inv.attendees.len()) };
    let mut list = Column::new().spacing(2);
    for a in &inv.attendees[..shown] {
        list = list.push(text(attendee_line(a)).size(13));
    }
    let hidden = inv.attendees.len() - shown;
    let more = hidden + inv.more_attendees;
    if more > 0 {
        let words = format!("and {more} more");
        list = list.push(if hidden > 0 {
            container(
                button(text(words).size(13))
                    .padding(0)
                    .style(button::text)
                    .on_press(Message::Invitation(Msg::ShowAttendees(n))),
            )
            .id(widget::Id::from(id::more_attendees(n)))
            .into()
        } else {
            Element::from(text(words).size(13).style(theme::text::muted))
        });
    }
    row![text("Attendees").size(13).width(80).style(theme::text::muted), list.width(Length::Fill)]
        .spacing(8)
        .into()
}

fn attendee_line(a: &Attendee) -> String {
    let who = a.name.as_deref().or(a.address.as_deref()).unwrap_or("Someone");
    let role = match a.role {
        Role::Chair => " (chair)",
        Role::Optional => " (optional)",
        Role::NonParticipant => " (for information)",
        Role::Required => "",
    };
    let answer = match a.partstat {
        Partstat::NeedsAction => "not answered yet",
        Partstat::Accepted => "accepted",
        Partstat::Declined => "declined",
        Partstat::Tentative => "tentative",
        Partstat::Delegated => "delegated",
        Partstat::Other => "answered",
    };
    format!("{who}{role} · {answer}")
}

/// A meeting request that came as a link to Outlook on the web: why it cannot be answered
/// here, and the command an administrator runs (selectable, and Copy).
fn outlook_view<'a>(
    link: &'a OwaLink,
    command: Option<&'a text_editor::Content>,
    pop3: bool,
) -> Element<'a, Message> {
    let wanted = if pop3 { &link.pop3_command } else { &link.imap_command };
    let explanation = link.explain(pop3);
    let explanation =
        explanation.strip_suffix(wanted.as_str()).unwrap_or(&explanation).trim_end().to_string();
    let mut lines = column![
        text("Meeting request (Outlook on the web)").size(13).font(bold()),
        text(explanation).size(13),
    ]
    .spacing(6);
    if let Some(command) = command {
        lines = lines.push(
            text_editor(command)
                .id(widget::Id::new(id::COMMAND))
                .on_action(|a| Message::Invitation(Msg::Command(a)))
                .font(Font::MONOSPACE)
                .size(12)
                .padding(6),
        );
    }
    let mut actions =
        row![small_button("Copy", Message::Invitation(Msg::CopyCommand), id::COPY_COMMAND.into())]
            .spacing(8)
            .align_y(iced::Alignment::Center);
    if link.link.is_some() {
        actions = actions.push(small_button(
            "Open in Outlook on the web",
            Message::Invitation(Msg::OpenOutlook),
            id::OPEN_OUTLOOK.into(),
        ));
    }
    lines = lines.push(actions);
    container(lines).padding([10, 12]).width(Length::Fill).style(theme::container::warning).into()
}

fn small_button(label: &str, message: Message, widget_id: String) -> Element<'_, Message> {
    container(button(text(label).size(12)).padding([2, 10]).style(theme::button::secondary).on_press(message))
        .id(widget::Id::from(widget_id))
        .into()
}
