//! Managing folders from the folder pane: "New folder" (at the top level or inside the
//! selected folder), and per folder — its "…" button or a right-click — a new subfolder,
//! rename, move (a picker of the folders it can go into) and delete (asked first, with the
//! messages that go with it). The form opens at the bottom of the pane; a name is checked
//! as it is typed (empty, the server's hierarchy delimiter, a name already there) and the
//! reason said below it.
//!
//! A change goes through the store's action queue like a message action
//! (`Store::queue_action`): the store checks it again, changes its folder rows at once and
//! records what the server must be told (an IMAP account; the next pass replays it, and a
//! refusal comes back in the status bar with the server's words), or applies it completely
//! (a POP3 account's local folders). Inbox, Sent, Drafts and Trash stay: the pane says why.

use iced::widget::{Column, button, column, container, row, scrollable, space, text, text_input};
use iced::{Element, Length, Task, widget};

use tidings_mail::error::Error;
use tidings_mail::store::{FolderId, MailAction, Role, child_folder_name, folder_name_problem};

use super::folders::{Node, icon};
use super::{Mailbox, Message, format, sentence};
use crate::theme;

/// Widget ids, so tests can reach each control.
pub mod id {
    pub const NEW: &str = "folder-admin-new";
    pub const PANEL: &str = "folder-admin-panel";
    pub const NAME: &str = "folder-admin-name";
    /// Creating: inside the selected folder, or at the top level.
    pub const INSIDE: &str = "folder-admin-inside";
    pub const OK: &str = "folder-admin-ok";
    pub const CANCEL: &str = "folder-admin-cancel";
    pub const NEW_INSIDE: &str = "folder-admin-new-inside";
    pub const RENAME: &str = "folder-admin-rename";
    pub const MOVE: &str = "folder-admin-move";
    pub const DELETE: &str = "folder-admin-delete";
    pub const CONFIRM_DELETE: &str = "folder-admin-confirm-delete";
    pub const FILTER: &str = "folder-admin-filter";
    pub const TOP_LEVEL: &str = "folder-admin-top-level";

    /// The "…" button of a folder, by its server name.
    pub fn more(name: &str) -> String {
        format!("folder-admin-more-{name}")
    }

    /// A folder offered as the new parent in "Move", by its server name.
    pub fn parent(name: &str) -> String {
        format!("folder-admin-parent-{name}")
    }
}

#[derive(Debug, Clone)]
pub enum Msg {
    /// "New folder".
    New,
    /// The "…" button or a right-click on a folder.
    Menu(FolderId),
    NewInside(FolderId),
    Rename(FolderId),
    Move(FolderId),
    Delete(FolderId),
    /// The name field.
    Name(String),
    /// Creating: inside the selected folder (true) or at the top level.
    Inside(bool),
    /// Move's filter field.
    Filter(String),
    /// Move: into this folder (`None`: the top level).
    MoveTo(Option<FolderId>),
    /// "Create"/"Rename", or Enter in the name field.
    Submit,
    ConfirmDelete,
    Cancel,
    /// The store's answer.
    Done(Result<(), Error>),
}

/// The open form, and what is wrong (a name that cannot be, the store's refusal).
pub struct Admin {
    form: Form,
    problem: Option<String>,
    /// Waiting for the store's answer.
    busy: bool,
}

enum Form {
    Menu(FolderId),
    Create { parent: Option<FolderId>, inside: bool, name: String },
    Rename { folder: FolderId, name: String },
    Move { folder: FolderId, filter: String },
    Delete(FolderId),
}

impl Admin {
    fn new(form: Form) -> Admin {
        Admin { form, problem: None, busy: false }
    }
}

/// Inbox, Sent, Drafts and Trash: mail arrives, is filed, saved and thrown away there.
fn is_kept(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Inbox | Role::Sent | Role::Drafts | Role::Trash))
}

/// A folder and the folders below it (the nodes that follow it deeper in the tree).
fn subtree(nodes: &[Node], at: usize) -> &[Node] {
    let depth = nodes[at].depth;
    let end = nodes[at + 1..].iter().position(|n| n.depth <= depth).map_or(nodes.len(), |p| at + 1 + p);
    &nodes[at..end]
}

/// The folder's path for people ("Lists / rust").
fn path(nodes: &[Node], at: usize) -> String {
    let mut parts = vec![nodes[at].label.as_str()];
    let mut depth = nodes[at].depth;
    for node in nodes[..at].iter().rev() {
        if node.depth < depth {
            parts.push(&node.label);
            depth = node.depth;
        }
    }
    parts.reverse();
    parts.join(" / ")
}

impl Mailbox {
    fn node_at(&self, folder: FolderId) -> Option<usize> {
        self.folders.iter().position(|n| n.id == Some(folder))
    }

    /// Why a folder cannot be renamed, moved or deleted, if it cannot: it is, or holds, one of
    /// the folders the account needs.
    fn kept_reason(&self, folder: FolderId, what: &str) -> Option<String> {
        let at = self.node_at(folder)?;
        let special = subtree(&self.folders, at).iter().find(|n| is_kept(n.role))?;
        let name = &self.folders[at].label;
        let why = "Inbox, Sent, Drafts and Trash are special folders the account needs.";
        Some(if special.id == Some(folder) {
            format!("“{name}” cannot be {what}: {why}")
        } else {
            format!("“{name}” cannot be {what}: it holds “{}”, and {why}", special.label)
        })
    }

    /// The hierarchy delimiter a new folder under `parent` gets (the parent's, else the
    /// account's as its folders were listed).
    fn delimiter(&self, parent: Option<FolderId>) -> Option<&str> {
        let node = match parent {
            Some(p) => self.folders.iter().find(|n| n.id == Some(p)),
            None => self.folders.iter().find(|n| n.role == Some(Role::Inbox) && n.delimiter.is_some()),
        };
        node.or_else(|| self.folders.iter().find(|n| n.delimiter.is_some()))
            .and_then(|n| n.delimiter.as_deref())
    }

    /// What is wrong with `name` for a folder under `parent` (`except`: the folder being
    /// renamed, whose own name is no clash).
    fn name_problem(&self, parent: Option<FolderId>, name: &str, except: Option<FolderId>) -> Option<String> {
        let delimiter = self.delimiter(parent);
        if let Some(problem) = folder_name_problem(name, delimiter) {
            return Some(problem);
        }
        let parent_name = parent.and_then(|p| self.folders.iter().find(|n| n.id == Some(p)));
        let full = child_folder_name(parent_name.map(|n| (n.name.as_str(), delimiter.unwrap_or("/"))), name);
        let clash = self.folders.iter().any(|n| {
            n.id.is_some()
                && n.id != except
                && (n.name == full || (n.role == Some(Role::Inbox) && full.eq_ignore_ascii_case("INBOX")))
        });
        clash.then(|| format!("There is already a folder called “{name}” there."))
    }

    /// The parent of a folder, as its node (`None`: it is at the top level).
    fn parent_of(&self, folder: FolderId) -> Option<FolderId> {
        let at = self.node_at(folder)?;
        let depth = self.folders[at].depth;
        self.folders[..at].iter().rev().find(|n| n.depth < depth).and_then(|n| n.id)
    }

    pub(super) fn folder_admin(&mut self, msg: Msg) -> Task<Message> {
        match msg {
            Msg::New => {
                let parent = self.list.folder();
                self.admin = Some(Admin::new(Form::Create { parent, inside: false, name: String::new() }));
                self.check_name();
                return widget::operation::focus(id::NAME);
            }
            Msg::Menu(folder) => self.admin = Some(Admin::new(Form::Menu(folder))),
            Msg::NewInside(folder) => {
                self.admin = Some(Admin::new(Form::Create {
                    parent: Some(folder),
                    inside: true,
                    name: String::new(),
                }));
                self.check_name();
                return widget::operation::focus(id::NAME);
            }
            Msg::Rename(folder) => {
                let label = self.node_at(folder).map(|at| self.folders[at].label.clone()).unwrap_or_default();
                let mut admin = Admin::new(Form::Rename { folder, name: label });
                admin.problem = self.kept_reason(folder, "renamed");
                let refused = admin.problem.is_some();
                self.admin = Some(admin);
                if !refused {
                    return widget::operation::focus(id::NAME);
                }
            }
            Msg::Move(folder) => {
                let mut admin = Admin::new(Form::Move { folder, filter: String::new() });
                admin.problem = self.kept_reason(folder, "moved");
                self.admin = Some(admin);
            }
            Msg::Delete(folder) => {
                // A special folder is not even asked about: the menu stays, with the reason.
                let mut admin = Admin::new(Form::Delete(folder));
                if let Some(reason) = self.kept_reason(folder, "deleted") {
                    admin.form = Form::Menu(folder);
                    admin.problem = Some(reason);
                }
                self.admin = Some(admin);
            }
            Msg::Name(typed) => {
                if let Some(Admin { form: Form::Create { name, .. } | Form::Rename { name, .. }, .. }) =
                    &mut self.admin
                {
                    *name = typed;
                }
                self.check_name();
            }
            Msg::Inside(on) => {
                if let Some(Admin { form: Form::Create { inside, .. }, .. }) = &mut self.admin {
                    *inside = on;
                }
                self.check_name();
            }
            Msg::Filter(typed) => {
                if let Some(Admin { form: Form::Move { filter, .. }, .. }) = &mut self.admin {
                    *filter = typed;
                }
            }
            Msg::MoveTo(parent) => {
                let Some(Admin { form: Form::Move { folder, .. }, problem: None, .. }) = &self.admin else {
                    return Task::none();
                };
                let folder = *folder;
                if self.parent_of(folder) == parent {
                    self.admin = None;
                    return Task::none();
                }
                return self.change_folders(MailAction::MoveFolder { folder, parent });
            }
            Msg::Submit => return self.submit_name(),
            Msg::ConfirmDelete => {
                let Some(Admin { form: Form::Delete(folder), .. }) = &self.admin else { return Task::none() };
                return self.change_folders(MailAction::DeleteFolder { folder: *folder });
            }
            Msg::Cancel => self.admin = None,
            Msg::Done(Ok(())) => {
                self.admin = None;
                return self.refresh();
            }
            Msg::Done(Err(e)) => {
                if let Some(admin) = &mut self.admin {
                    admin.busy = false;
                    admin.problem = Some(format!("{}.", sentence(&e.to_string())));
                }
                return self.refresh();
            }
        }
        Task::none()
    }

    /// Escape closes the form as Cancel does (a focused name field lets Escape through, see
    /// `keys`); the list's Escape waits until it is closed.
    pub(super) fn folder_admin_escape(&mut self) -> Task<Message> {
        self.folder_admin(Msg::Cancel)
    }

    /// Checks the name typed, as it is typed.
    fn check_name(&mut self) {
        let problem = match &self.admin {
            Some(Admin { form: Form::Create { parent, inside, name }, .. }) => {
                self.name_problem(parent.filter(|_| *inside), name, None)
            }
            Some(Admin { form: Form::Rename { folder, name }, .. }) => {
                let keeps = self.kept_reason(*folder, "renamed");
                keeps.or_else(|| self.name_problem(self.parent_of(*folder), name, Some(*folder)))
            }
            _ => return,
        };
        if let Some(admin) = &mut self.admin {
            admin.problem = problem;
        }
    }

    fn submit_name(&mut self) -> Task<Message> {
        self.check_name();
        let action = match &self.admin {
            Some(Admin { problem: Some(_), .. } | Admin { busy: true, .. }) | None => return Task::none(),
            Some(Admin { form: Form::Create { parent, inside, name }, .. }) => {
                MailAction::CreateFolder { parent: parent.filter(|_| *inside), name: name.clone() }
            }
            Some(Admin { form: Form::Rename { folder, name }, .. }) => {
                let unchanged = self.node_at(*folder).is_some_and(|at| self.folders[at].label == *name);
                if unchanged {
                    self.admin = None;
                    return Task::none();
                }
                MailAction::RenameFolder { folder: *folder, to: name.clone() }
            }
            Some(_) => return Task::none(),
        };
        self.change_folders(action)
    }

    /// Hands the change to the store, which checks it again and applies it.
    fn change_folders(&mut self, action: MailAction) -> Task<Message> {
        let Some(stores) = &self.stores else { return Task::none() };
        if let Some(admin) = &mut self.admin {
            admin.busy = true;
        }
        let (store, account) = (stores.write.clone(), stores.account);
        Task::perform(async move { store.call(move |s| s.queue_action(account, &action)).await }, |r| {
            Message::FolderAdmin(Msg::Done(r))
        })
    }

    /// The "New folder" button and, when open, the form: the bottom of the folder pane.
    pub(super) fn folder_admin_view(&self) -> Element<'_, Message> {
        let new = button(text("+ New folder").size(13))
            .padding([4, 10])
            .width(Length::Fill)
            .style(theme::button::secondary)
            .on_press_maybe(self.stores.as_ref().map(|_| Message::FolderAdmin(Msg::New)));
        let new = container(new).id(widget::Id::new(id::NEW)).padding([6, 6]);
        let Some(admin) = &self.admin else { return new.into() };
        let panel = container(self.form_view(admin).spacing(8))
            .id(widget::Id::new(id::PANEL))
            .padding(10)
            .width(Length::Fill)
            .style(theme::container::card);
        column![container(panel).padding([6, 6]), new].into()
    }

    fn form_view<'a>(&'a self, admin: &'a Admin) -> Column<'a, Message> {
        let label_of = |folder: FolderId| {
            self.node_at(folder).map_or_else(|| "this folder".to_string(), |at| path(&self.folders, at))
        };
        let send = |msg| Message::FolderAdmin(msg);
        let problem = admin.problem.as_deref().map(|p| text(p).size(12).style(theme::text::error));
        let cancel = action("Cancel", id::CANCEL, theme::button::secondary, Some(send(Msg::Cancel)), false);
        let ready = !admin.busy && admin.problem.is_none();
        match &admin.form {
            Form::Menu(folder) => {
                let title = text(label_of(*folder)).size(14);
                let each = |words, widget_id, msg: Msg| {
                    action(words, widget_id, theme::button::secondary, Some(send(msg)), true)
                };
                column![
                    title,
                    each("New subfolder…", id::NEW_INSIDE, Msg::NewInside(*folder)),
                    each("Rename…", id::RENAME, Msg::Rename(*folder)),
                    each("Move…", id::MOVE, Msg::Move(*folder)),
                    action(
                        "Delete…",
                        id::DELETE,
                        theme::button::danger,
                        Some(send(Msg::Delete(*folder))),
                        true
                    ),
                ]
                .push(problem)
                .push(row![space::horizontal(), cancel])
            }
            Form::Create { parent, inside, name } => {
                let field = name_field(name, ready);
                let place: Element<'_, Message> = match parent {
                    Some(p) => {
                        let inside_label = format!("Inside “{}”", label_of(*p));
                        let choice = |words: String, on: bool, widget_id: &'static str| {
                            container(
                                button(text(words).size(12))
                                    .padding([3, 8])
                                    .style(theme::button::choice(*inside == on))
                                    .on_press(send(Msg::Inside(on))),
                            )
                            .id(widget::Id::new(widget_id))
                        };
                        column![
                            choice("At the top level".into(), false, id::TOP_LEVEL),
                            choice(inside_label, true, id::INSIDE)
                        ]
                        .spacing(4)
                        .into()
                    }
                    None => text("At the top level").size(12).style(theme::text::muted).into(),
                };
                let ok =
                    action("Create", id::OK, theme::button::primary, ready.then(|| send(Msg::Submit)), false);
                column![text("New folder").size(14), field, place]
                    .push(problem)
                    .push(row![space::horizontal(), cancel, ok].spacing(6))
            }
            Form::Rename { folder, name } => {
                let title = text(format!("Rename “{}”", label_of(*folder))).size(14);
                let ok =
                    action("Rename", id::OK, theme::button::primary, ready.then(|| send(Msg::Submit)), false);
                column![title, name_field(name, ready)]
                    .push(problem)
                    .push(row![space::horizontal(), cancel, ok].spacing(6))
            }
            Form::Move { folder, filter } => {
                let title = text(format!("Move “{}” into…", label_of(*folder))).size(14);
                let mut col = column![title].push(problem);
                if admin.problem.is_none() || admin.busy {
                    let field = text_input("Type to filter the folders", filter)
                        .id(widget::Id::new(id::FILTER))
                        .on_input(|f| Message::FolderAdmin(Msg::Filter(f)))
                        .padding([4, 6])
                        .size(13)
                        .style(theme::text_input::field);
                    col = col.push(field).push(container(self.parents(*folder, filter)).max_height(220));
                }
                col.push(row![space::horizontal(), cancel])
            }
            Form::Delete(folder) => {
                let at = self.node_at(*folder);
                let below = at.map_or(&[][..], |at| subtree(&self.folders, at));
                let messages: u64 = below.iter().map(|n| n.counts.total).sum();
                let subfolders = below.len().saturating_sub(1);
                let mut what = match messages {
                    0 => "It holds no messages".to_string(),
                    1 => "Its 1 message goes with it".to_string(),
                    n => format!("Its {} messages go with it", format::count(n)),
                };
                if subfolders > 0 {
                    let folders = if subfolders == 1 { "subfolder" } else { "subfolders" };
                    what = format!("{what}, and its {subfolders} {folders} with theirs");
                }
                let title = text(format!("Delete “{}”?", label_of(*folder))).size(14);
                let note = if self.local {
                    "This cannot be undone."
                } else {
                    "This cannot be undone: the server deletes it too."
                };
                let ok = action(
                    "Delete",
                    id::CONFIRM_DELETE,
                    theme::button::danger,
                    ready.then(|| send(Msg::ConfirmDelete)),
                    false,
                );
                column![title, text(format!("{what}. {note}")).size(12)]
                    .push(problem)
                    .push(row![space::horizontal(), cancel, ok].spacing(6))
            }
        }
    }

    /// The folders `folder` can move into: the top level and every listed folder but itself
    /// and those below it, matching the filter.
    fn parents(&self, folder: FolderId, filter: &str) -> Element<'_, Message> {
        let filter = filter.trim().to_lowercase();
        let own = self.node_at(folder).map(|at| subtree(&self.folders, at).len()).unwrap_or(0);
        let skip = self.node_at(folder).map(|at| at..at + own);
        let current = self.parent_of(folder);
        let entry =
            |words: String, indent: usize, chosen: bool, target: Option<FolderId>, widget_id: String| {
                let line = row![space().width(indent as f32 * 12.0), text(words).size(13)];
                let b = button(line)
                    .padding([3, 6])
                    .width(Length::Fill)
                    .style(theme::mailbox::folder(chosen))
                    .on_press(Message::FolderAdmin(Msg::MoveTo(target)));
                container(b).id(widget::Id::from(widget_id)).into()
            };
        let mut entries: Vec<Element<'_, Message>> = Vec::new();
        if filter.is_empty() {
            entries.push(entry("Top level".into(), 0, current.is_none(), None, id::TOP_LEVEL.into()));
        }
        for (at, node) in self.folders.iter().enumerate() {
            let Some(target) = node.id else { continue };
            if skip.as_ref().is_some_and(|s| s.contains(&at)) {
                continue;
            }
            let shown = path(&self.folders, at);
            if !filter.is_empty() && !shown.to_lowercase().contains(&filter) {
                continue;
            }
            let (words, indent) = if filter.is_empty() {
                (format!("{} {}", icon(node.role), node.label), node.depth)
            } else {
                (shown, 0)
            };
            entries.push(entry(words, indent, current == Some(target), Some(target), id::parent(&node.name)));
        }
        if entries.is_empty() {
            return text("No folder matches.").size(12).style(theme::text::muted).into();
        }
        scrollable(Column::with_children(entries).spacing(1)).into()
    }
}

fn name_field(name: &str, ready: bool) -> iced::widget::TextInput<'_, Message> {
    text_input("Folder name", name)
        .id(widget::Id::new(id::NAME))
        .on_input(|n| Message::FolderAdmin(Msg::Name(n)))
        .on_submit_maybe(ready.then_some(Message::FolderAdmin(Msg::Submit)))
        .padding([4, 6])
        .size(13)
        .style(theme::text_input::field)
}

/// A button of the form, reachable by `widget_id`; `fill`: as wide as the form.
fn action<'a>(
    words: &'a str,
    widget_id: &'static str,
    style: fn(&iced::Theme, button::Status) -> button::Style,
    press: Option<Message>,
    fill: bool,
) -> Element<'a, Message> {
    let b = button(text(words).size(13)).padding([4, 10]).style(style).on_press_maybe(press);
    let b = if fill { b.width(Length::Fill) } else { b };
    container(b).id(widget::Id::new(widget_id)).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings_mail::store::Counts;

    fn node(id: i64, name: &str, label: &str, depth: usize, role: Option<Role>, total: u64) -> Node {
        Node {
            id: Some(FolderId(id)),
            name: name.into(),
            label: label.into(),
            depth,
            role,
            counts: Counts { total, unread: 0 },
            selectable: true,
            delimiter: Some("/".into()),
        }
    }

    #[test]
    fn a_subtree_and_a_path_follow_the_depths() {
        let nodes = [
            node(1, "INBOX", "Inbox", 0, Some(Role::Inbox), 3),
            node(2, "Lists", "Lists", 0, None, 1),
            node(3, "Lists/rust", "rust", 1, None, 5),
            node(4, "Lists/rust/async", "async", 2, None, 2),
            node(5, "Trash", "Trash", 0, Some(Role::Trash), 0),
        ];
        assert_eq!(subtree(&nodes, 1).len(), 3);
        assert_eq!(subtree(&nodes, 1).iter().map(|n| n.counts.total).sum::<u64>(), 8);
        assert_eq!(subtree(&nodes, 4).len(), 1);
        assert_eq!(path(&nodes, 3), "Lists / rust / async");
    }
}
