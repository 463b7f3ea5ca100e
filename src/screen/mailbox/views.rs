//! "All Inboxes", "Unread" and "Flagged" at the top of the folder pane: every account's
//! messages in one list (the store's [`Unified`] queries), shown and acted on as a folder's
//! are. A row keeps its folder, so its actions are that folder's, queued for its account and
//! replayed by that account's pass; another account's message is read from the store only
//! (this mailbox has no connection to its server). The threaded list is a folder's only.
//!
//! With the folders, the mailbox reads every account's folders (whose a row is, where its
//! messages may be moved) and the views' counts: unread for All Inboxes, all for the others.

use iced::font::Weight;
use iced::widget::text::Wrapping;
use iced::widget::{Column, button, container, mouse_area, row, text};
use iced::{Alignment, Element, Font, Length, Task, widget};

use tidings_mail::error::Error;
use tidings_mail::store::{AccountId, Counts, FolderId, SearchFolder, Unified};

use super::list::Source;
use super::{Mailbox, Message, drag, id};
use crate::theme;

/// What the views need besides their rows, read with the folders.
#[derive(Debug, Clone, Default)]
pub struct Views {
    /// Each view's counts, in [`Unified::ALL`]'s order.
    counts: [Counts; 3],
    /// Every account's folders.
    everyone: Vec<SearchFolder>,
}

impl Views {
    /// Reads the views' counts and every account's folders (on the store thread).
    pub fn read(s: &tidings_mail::store::Store) -> Result<Views, Error> {
        let mut counts = [Counts::default(); 3];
        for (n, view) in Unified::ALL.into_iter().enumerate() {
            counts[n] = s.unified_counts(view)?;
        }
        Ok(Views { counts, everyone: s.search_folders()? })
    }

    pub fn counts(&self, view: Unified) -> Counts {
        let n = Unified::ALL.iter().position(|v| *v == view).unwrap_or(0);
        self.counts[n]
    }

    /// The folder's account and name, when known.
    pub fn owner(&self, folder: FolderId) -> Option<&SearchFolder> {
        self.everyone.iter().find(|f| f.id == folder)
    }

    /// The accounts (config ids) that hold `folders`, each once, in order of appearance.
    pub fn accounts_of(&self, folders: impl IntoIterator<Item = FolderId>) -> Vec<(AccountId, String)> {
        let mut accounts: Vec<(AccountId, String)> = Vec::new();
        for folder in folders {
            if let Some(owner) = self.owner(folder)
                && !accounts.iter().any(|(a, _)| *a == owner.account)
            {
                accounts.push((owner.account, owner.account_key.clone()));
            }
        }
        accounts
    }
}

/// The count a view shows beside its name: unread for All Inboxes (as a folder shows), all
/// of them for Unread and Flagged.
fn shown_count(view: Unified, counts: Counts) -> u64 {
    match view {
        Unified::Inboxes => counts.unread,
        Unified::Unread | Unified::Flagged => counts.total,
    }
}

fn icon(view: Unified) -> &'static str {
    match view {
        Unified::Inboxes => "✉",
        Unified::Unread => "●",
        Unified::Flagged => "★",
    }
}

/// The three views, above the account's folders. `dragging`: messages are dragged, and a
/// view says it takes none when they are let go of over it.
pub fn pane(views: &Views, selected: Option<Unified>, dragging: bool) -> Element<'_, Message> {
    let bold = Font { weight: Weight::Bold, ..Font::DEFAULT };
    let items = Unified::ALL.into_iter().map(|view| {
        let count = shown_count(view, views.counts(view));
        let line = row![
            text(icon(view)).size(13).width(18).style(theme::text::muted),
            container(
                text(view.label()).size(14).wrapping(Wrapping::None).font_maybe((count > 0).then_some(bold))
            )
            .width(Length::Fill)
            .clip(true),
        ]
        .push((count > 0).then(|| text(count.to_string()).size(12).font(bold).style(theme::mailbox::count)))
        .spacing(4)
        .align_y(Alignment::Center);
        let item = button(line)
            .width(Length::Fill)
            .padding([4, 8])
            .style(theme::mailbox::folder(selected == Some(view)))
            .on_press(Message::SelectView(view));
        let item = container(item).id(widget::Id::from(id::view(view))).width(Length::Fill);
        drag::spot(mouse_area(item), drag::Spot::View(view), dragging).into()
    });
    Column::with_children(items)
        .spacing(1)
        .padding(iced::Padding { top: 8.0, right: 6.0, bottom: 4.0, left: 6.0 })
        .into()
}

impl Mailbox {
    /// Shows a view in the list, from the top; the threaded list waits for a folder.
    pub(super) fn select_view(&mut self, view: Unified) -> Task<Message> {
        self.showing_outbox = false;
        if self.list.view_shown() == Some(view) {
            return Task::none();
        }
        self.reader.clear();
        self.conversation.close();
        self.threads.off_for_view();
        self.on_list(|list, store| list.show(Source::View(view), store))
    }

    pub(super) fn views_loaded(&mut self, result: Result<Views, Error>) -> Task<Message> {
        match result {
            Ok(views) => {
                self.views = views;
                Task::none()
            }
            Err(e) => self.failed(e),
        }
    }

    /// The config id of the account whose folder this is (this mailbox's when unknown).
    pub(super) fn owner_key(&self, folder: FolderId) -> String {
        self.views.owner(folder).map_or_else(|| self.account_key.clone(), |o| o.account_key.clone())
    }

    /// Whether `folder` is another account's (a view's row).
    pub(super) fn elsewhere(&self, folder: FolderId) -> bool {
        let own = self.stores.as_ref().map(|s| s.account);
        self.views.owner(folder).is_some_and(|o| Some(o.account) != own)
    }

    /// An account's name as the person gave it, by config id.
    pub(super) fn account_label(&self, key: &str) -> String {
        let names = self.search.account_names();
        names.iter().find(|(_, id)| id == key).map_or(key, |(name, _)| name.as_str()).to_string()
    }

    /// Whether a view is shown: the passes of every account change what it holds.
    pub fn shows_every_account(&self) -> bool {
        self.list.view_shown().is_some()
    }
}
