//! The folder pane: the account's folders as a tree (nested by the server's hierarchy
//! delimiter), special folders first with their icon, unread counts.
//!
//! The tree is built in `update` from what the store returned ([`Entry`]); `view` only
//! draws the flat list of [`Node`]s. The chosen folder has a "…" button, and a right-click on
//! any folder does the same: what can be done to it ([`super::folder_admin`]).

use std::collections::BTreeMap;

use iced::font::Weight;
use iced::widget::text::Wrapping;
use iced::widget::{Column, button, container, mouse_area, row, scrollable, space, text};
use iced::{Alignment, Element, Font, Length, widget};

use tidings_mail::store::{Counts, Folder, FolderId, Role};

use super::{Message, drag, elide, folder_admin, id};
use crate::theme;

/// A folder with its message counts, as read from the store.
#[derive(Debug, Clone)]
pub struct Entry {
    pub folder: Folder,
    pub counts: Counts,
}

/// One line of the folder pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `None` for a level of the hierarchy the server did not list.
    pub id: Option<FolderId>,
    /// The server's name (what actions and the sync use); a path of labels for unlisted levels.
    pub name: String,
    /// The last level of the name, for people.
    pub label: String,
    pub depth: usize,
    pub role: Option<Role>,
    pub counts: Counts,
    pub selectable: bool,
    /// The server's hierarchy delimiter (`None` for unlisted levels, and servers without one).
    pub delimiter: Option<String>,
}

/// Special folders first, in Thunderbird's order; the rest by name.
fn rank(role: Option<Role>) -> u8 {
    match role {
        Some(Role::Inbox) => 0,
        Some(Role::Drafts) => 1,
        Some(Role::Sent) => 2,
        Some(Role::Archive) => 3,
        Some(Role::Junk) => 4,
        Some(Role::Trash) => 5,
        None => 6,
    }
}

/// The glyph before a folder's name (all in DejaVu Sans, so they render everywhere).
pub fn icon(role: Option<Role>) -> &'static str {
    match role {
        Some(Role::Inbox) => "✉",
        Some(Role::Drafts) => "✎",
        Some(Role::Sent) => "➤",
        Some(Role::Archive) => "▤",
        Some(Role::Junk) => "⚠",
        Some(Role::Trash) => "✖",
        None => "▫",
    }
}

/// What a special folder is for, in words (the tooltip-less label of its icon).
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Inbox => "Inbox",
        Role::Drafts => "Drafts",
        Role::Sent => "Sent",
        Role::Archive => "Archive",
        Role::Junk => "Junk",
        Role::Trash => "Trash",
    }
}

#[derive(Default)]
struct Branch {
    entry: Option<Entry>,
    children: BTreeMap<String, Branch>,
}

/// The folders as a depth-first list: parents before children, siblings ordered by role
/// then name (case-insensitively). Levels the server did not list appear as plain,
/// unselectable parents.
pub fn tree(entries: Vec<Entry>) -> Vec<Node> {
    let mut root = Branch::default();
    for entry in entries {
        let path: Vec<String> = match entry.folder.delimiter.as_deref().filter(|d| !d.is_empty()) {
            Some(delimiter) => entry.folder.display_name.split(delimiter).map(str::to_string).collect(),
            None => vec![entry.folder.display_name.clone()],
        };
        let mut branch = &mut root;
        for level in path {
            branch = branch.children.entry(level).or_default();
        }
        branch.entry = Some(entry);
    }
    let mut nodes = Vec::new();
    flatten(&root, 0, "", &mut nodes);
    nodes
}

fn flatten(branch: &Branch, depth: usize, prefix: &str, out: &mut Vec<Node>) {
    let mut children: Vec<(&String, &Branch)> = branch.children.iter().collect();
    children
        .sort_by_key(|(label, b)| (rank(b.entry.as_ref().and_then(|e| e.folder.role)), label.to_lowercase()));
    for (label, child) in children {
        let path = if prefix.is_empty() { label.clone() } else { format!("{prefix}/{label}") };
        let node = match &child.entry {
            Some(entry) => Node {
                id: Some(entry.folder.id),
                name: entry.folder.name.clone(),
                label: match entry.folder.role {
                    // "INBOX" is a protocol name; people say Inbox.
                    Some(Role::Inbox) if depth == 0 => "Inbox".to_string(),
                    _ => label.clone(),
                },
                depth,
                role: entry.folder.role,
                counts: entry.counts,
                selectable: entry.folder.selectable,
                delimiter: entry.folder.delimiter.clone(),
            },
            None => Node {
                id: None,
                name: path.clone(),
                label: label.clone(),
                depth,
                role: None,
                counts: Counts::default(),
                selectable: false,
                delimiter: None,
            },
        };
        out.push(node);
        flatten(child, depth + 1, &path, out);
    }
}

/// The folder pane, `width` pixels wide: names longer than their room end with "…".
/// `dragging`: messages are dragged ([`drag`]), onto `drop_on` when over a folder, which is
/// drawn as chosen.
pub fn view(
    nodes: &[Node],
    selected: Option<FolderId>,
    width: f32,
    dragging: bool,
    drop_on: Option<FolderId>,
) -> Element<'_, Message> {
    let items = nodes.iter().map(|node| {
        let chosen = node.id.is_some() && (node.id == selected || node.id == drop_on);
        let bold = Font { weight: Weight::Bold, ..Font::DEFAULT };
        let unread_count = (node.counts.unread > 0).then(|| node.counts.unread.to_string());
        // What the indent, the icon, the count and the paddings leave.
        let count_width = unread_count.as_deref().map_or(0.0, |c| elide::width(c, 12.0, true) + 4.0);
        // The chosen folder shows its "…" (what can be done to it; a right-click opens it too).
        let more = node.id.filter(|_| chosen).map(|folder| {
            let b = button(text("…").size(13))
                .padding([4, 6])
                .style(theme::mailbox::folder(false))
                .on_press(Message::FolderAdmin(folder_admin::Msg::Menu(folder)));
            container(b).id(widget::Id::from(folder_admin::id::more(&node.name)))
        });
        let more_width = if more.is_some() { 24.0 } else { 0.0 };
        let room = width - 12.0 - 16.0 - node.depth as f32 * 14.0 - 18.0 - 4.0 - count_width - more_width;
        let label = text(elide::elide(&node.label, room, 14.0, node.counts.unread > 0).into_owned())
            .size(14)
            .wrapping(Wrapping::None)
            .font_maybe((node.counts.unread > 0).then_some(bold))
            .style(if node.selectable { text::default } else { theme::text::muted });
        let unread = unread_count.map(|count| text(count).size(12).font(bold).style(theme::mailbox::count));
        let line = row![
            space().width(node.depth as f32 * 14.0),
            text(icon(node.role)).size(13).width(18).style(theme::text::muted),
            container(label).width(Length::Fill).clip(true),
        ]
        .push(unread)
        .spacing(4)
        .align_y(Alignment::Center);
        let item = button(line)
            .width(Length::Fill)
            .padding([4, 8])
            .style(theme::mailbox::folder(chosen))
            .on_press_maybe(node.id.filter(|_| node.selectable).map(Message::SelectFolder));
        let item: Element<'_, Message> = match node.id {
            Some(folder) => {
                let area =
                    mouse_area(item).on_right_press(Message::FolderAdmin(folder_admin::Msg::Menu(folder)));
                // A folder that holds no messages (\Noselect) takes none either.
                drag::spot(area, drag::Spot::Folder(folder), dragging && node.selectable).into()
            }
            None => item.into(),
        };
        let item = row![container(item).id(widget::Id::from(id::folder(&node.name))).width(Length::Fill)]
            .push(more)
            .spacing(2)
            .align_y(Alignment::Center);
        item.into()
    });
    let list = Column::with_children(items).spacing(1).padding([8, 6]);
    let list: Element<'_, Message> = if nodes.is_empty() {
        container(text("No folders yet.").size(13).style(theme::text::muted)).padding(12).into()
    } else {
        scrollable(list).height(Length::Fill).into()
    };
    container(list).width(Length::Fill).height(Length::Fill).style(theme::mailbox::sidebar).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, name: &str, delimiter: &str, role: Option<Role>, unread: u64) -> Entry {
        Entry {
            folder: Folder {
                id: FolderId(id),
                name: name.into(),
                display_name: name.into(),
                delimiter: Some(delimiter.into()),
                role,
                subscribed: true,
                selectable: true,
                uidvalidity: None,
                uidnext: None,
                highestmodseq: None,
                synced_at: None,
            },
            counts: Counts { total: unread * 2, unread },
        }
    }

    #[test]
    fn folders_nest_by_delimiter_with_special_ones_first() {
        let nodes = tree(vec![
            entry(1, "Archive.2024", ".", None, 0),
            entry(2, "INBOX", ".", Some(Role::Inbox), 3),
            entry(3, "Trash", ".", Some(Role::Trash), 0),
            entry(4, "INBOX.lists", ".", None, 1),
            entry(5, "Sent", ".", Some(Role::Sent), 0),
            entry(6, "bills", ".", None, 0),
        ]);
        let shown: Vec<(usize, &str, bool)> =
            nodes.iter().map(|n| (n.depth, n.label.as_str(), n.selectable)).collect();
        assert_eq!(
            shown,
            [
                (0, "Inbox", true),
                (1, "lists", true),
                (0, "Sent", true),
                (0, "Trash", true),
                // "Archive" was not listed itself: a plain parent you cannot open.
                (0, "Archive", false),
                (1, "2024", true),
                (0, "bills", true),
            ]
        );
        assert_eq!(nodes[1].name, "INBOX.lists");
        assert_eq!(nodes[0].counts.unread, 3);
    }
}
