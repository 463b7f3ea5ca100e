//! The toolbar: back, the account, get mail (this account, or all), and the actions on the
//! message being read (else the selected one; with several chosen, on all of them).
//!
//! It is laid out for the width it really has (`responsive`): every action with its words
//! when they fit; else, one by one, actions shrink to their icon (the words in a tooltip);
//! and when even the icons do not fit, the least used go behind "More", which opens a second
//! row holding them. Every action stays reachable at any width, each under its widget id.

use iced::widget::tooltip::Position;
use iced::widget::{Row, button, column, container, responsive, row, space, text, tooltip};
use iced::{Alignment, Element, Length, widget};

use super::picker::{Kind as PickKind, Msg as PickMsg};
use super::{Mailbox, Message, elide, id};
use crate::screen::composer::Kind as ComposeKind;
use crate::theme;

const TEXT_SIZE: f32 = 13.0;
const ROW_HEIGHT: f32 = 44.0;
const SPACING: f32 = 6.0;
const PADDING: f32 = 12.0;
/// Room kept for the account's name, however narrow the window.
const TITLE_MIN: f32 = 60.0;
/// Estimates are estimates: keep this much spare.
const SLACK: f32 = 16.0;

/// One action of the toolbar.
struct Tool {
    id: &'static str,
    icon: &'static str,
    label: &'static str,
    message: Option<Message>,
}

/// How an action shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    Words,
    Icon,
    /// Behind "More".
    Hidden,
}

/// Indices into the tools (see [`Mailbox::tools`]): the order in which actions give up
/// their words…
const SHRINK: [usize; 12] = [6, 1, 11, 4, 5, 10, 7, 8, 3, 9, 2, 0];
/// …and then their place.
const HIDE: [usize; 9] = [1, 6, 11, 10, 4, 5, 7, 8, 3];

fn words_width(tool: &Tool) -> f32 {
    elide::width(tool.label, TEXT_SIZE, false) + 2.0 * 12.0
}

fn icon_width(tool: &Tool) -> f32 {
    elide::width(tool.icon, TEXT_SIZE + 2.0, false) + 2.0 * 9.0
}

fn more_width() -> f32 {
    elide::width("⋯ More", TEXT_SIZE, false) + 2.0 * 12.0
}

/// How each tool shows in `room` pixels, given the room the account's name and the back
/// button need.
fn fit(tools: &[Tool], room: f32) -> Vec<Fit> {
    let mut fits = vec![Fit::Words; tools.len()];
    let needed = |fits: &[Fit]| {
        let mut shown = 0usize;
        let mut width = 0.0;
        for (tool, fit) in tools.iter().zip(fits) {
            width += match fit {
                Fit::Words => words_width(tool),
                Fit::Icon => icon_width(tool),
                Fit::Hidden => continue,
            };
            shown += 1;
        }
        if fits.contains(&Fit::Hidden) {
            width += more_width();
            shown += 1;
        }
        width + shown as f32 * SPACING
    };
    for &i in &SHRINK {
        if needed(&fits) <= room {
            return fits;
        }
        fits[i] = Fit::Icon;
    }
    for &i in &HIDE {
        if needed(&fits) <= room {
            break;
        }
        fits[i] = Fit::Hidden;
    }
    fits
}

impl Mailbox {
    /// The toolbar's actions, in their order on screen.
    fn tools(&self, running: bool) -> Vec<Tool> {
        let target = self.target();
        let has = |message: Message| target.map(|_| message);
        // These act on every chosen message when there are several.
        let several = self.several().is_some();
        let acts = |message: Message| (target.is_some() || several).then_some(message);
        let (unread, unstarred) = match target {
            _ if several => self.chosen_state(),
            Some(t) => (t.unread, !t.flagged),
            None => (true, true),
        };
        let (read_icon, read_label) = if unread { ("●", "Mark read") } else { ("○", "Mark unread") };
        let (star_icon, star_label) = if unstarred { ("☆", "☆ Star") } else { ("★", "★ Unstar") };
        let pick = |kind| acts(Message::Picker(PickMsg::Open(kind)));
        let tool = |id, icon, label, message| Tool { id, icon, label, message };
        vec![
            tool(
                id::GET_MAIL,
                "↻",
                if running { "Getting mail…" } else { "Get mail" },
                (!running && self.remote.is_some()).then_some(Message::GetMail),
            ),
            tool(id::GET_ALL_MAIL, "⟳", "Get all mail", Some(Message::GetAllMail)),
            tool(id::WRITE, "✎", "Write", Some(Message::Compose(ComposeKind::New))),
            tool(id::REPLY, "↩", "Reply", has(Message::Compose(ComposeKind::Reply))),
            tool(id::REPLY_ALL, "⇇", "Reply all", has(Message::Compose(ComposeKind::ReplyAll))),
            tool(id::FORWARD, "↪", "Forward", has(Message::Compose(ComposeKind::Forward))),
            tool(
                id::FORWARD_ATTACHED,
                "⇉",
                "Forward as attachment",
                has(Message::Compose(ComposeKind::ForwardAsAttachment)),
            ),
            tool(id::TOGGLE_READ, read_icon, read_label, acts(Message::ToggleRead)),
            tool(id::TOGGLE_STAR, star_icon, star_label, acts(Message::ToggleStar)),
            tool(id::DELETE, "✖", "Delete", acts(Message::Delete)),
            tool(id::MOVE, "⇨", "Move to…", pick(PickKind::Move)),
            tool(id::COPY, "❐", "Copy to…", pick(PickKind::Copy)),
        ]
    }

    /// The toolbar, laid out for its width; with the "More" row under it when open.
    /// `running`: the account's send/receive pass is running.
    pub(super) fn toolbar(&self, running: bool) -> Element<'_, Message> {
        container(responsive(move |size| self.toolbar_for(size.width, running)).height(Length::Shrink))
            .width(Length::Fill)
            .style(theme::mailbox::bar)
            .into()
    }

    fn toolbar_for(&self, width: f32, running: bool) -> Element<'_, Message> {
        let tools = self.tools(running);
        let back = Tool { id: id::BACK, icon: "←", label: "← Accounts", message: Some(Message::Back) };
        let room = width - 2.0 * PADDING - SLACK;
        let fixed = |back: f32| back + SPACING + TITLE_MIN + SPACING;
        // The back button keeps its words only when every action does.
        let fits = fit(&tools, room - fixed(words_width(&back)));
        let (fits, back_fit) = if fits.iter().all(|f| *f == Fit::Words) {
            (fits, Fit::Words)
        } else {
            (fit(&tools, room - fixed(icon_width(&back))), Fit::Icon)
        };
        let shown_width: f32 = tools
            .iter()
            .zip(&fits)
            .map(|(t, f)| match f {
                Fit::Words => words_width(t) + SPACING,
                Fit::Icon => icon_width(t) + SPACING,
                Fit::Hidden => 0.0,
            })
            .sum();
        let hidden = fits.contains(&Fit::Hidden);
        let extras = if hidden { more_width() + SPACING } else { 0.0 };
        let back_width = if back_fit == Fit::Words { words_width(&back) } else { icon_width(&back) };
        let title_room = (room - back_width - 2.0 * SPACING - shown_width - extras).max(TITLE_MIN);

        let mut bar = Row::new()
            .push(button_for(&back, back_fit))
            .push(text(elide::elide(&self.title, title_room, 16.0, false).into_owned()).size(16))
            .push(space::horizontal());
        let mut drawer = Row::new();
        for (tool, fit) in tools.iter().zip(&fits) {
            match fit {
                Fit::Hidden => drawer = drawer.push(button_for(tool, Fit::Hidden)),
                shown => bar = bar.push(button_for(tool, *shown)),
            }
        }
        if hidden {
            let more = button(text(if self.more_open { "⋯ Less" } else { "⋯ More" }).size(TEXT_SIZE))
                .padding([5, 12])
                .style(theme::button::secondary)
                .on_press(Message::More(None));
            bar = bar.push(container(more).id(widget::Id::new(id::MORE)));
        }
        let bar = bar.spacing(SPACING).align_y(Alignment::Center).height(ROW_HEIGHT).padding([0.0, PADDING]);
        if self.more_open && hidden {
            let drawer = row![space::horizontal(), drawer.spacing(SPACING).align_y(Alignment::Center)]
                .height(ROW_HEIGHT)
                .padding([0.0, PADDING]);
            column![bar, drawer].into()
        } else {
            bar.into()
        }
    }
}

/// A tool as a button: its words, or its icon with the words in a tooltip. A tool shown in
/// the "More" row closes it when used.
fn button_for<'a>(tool: &Tool, fit: Fit) -> Element<'a, Message> {
    let message = tool.message.clone();
    let inner: Element<'a, Message> = match fit {
        Fit::Icon => {
            let icon = button(text(tool.icon).size(TEXT_SIZE + 2.0))
                .padding([4, 9])
                .style(theme::button::secondary)
                .on_press_maybe(message);
            tooltip(
                icon,
                container(text(tool.label).size(12)).padding([4, 8]).style(theme::container::card),
                Position::Bottom,
            )
            .gap(4)
            .into()
        }
        Fit::Words | Fit::Hidden => button(text(tool.label).size(TEXT_SIZE))
            .padding([5, 12])
            .style(theme::button::secondary)
            .on_press_maybe(if fit == Fit::Hidden {
                message.map(|m| Message::More(Some(Box::new(m))))
            } else {
                message
            })
            .into(),
    };
    container(inner).id(widget::Id::new(tool.id)).into()
}
