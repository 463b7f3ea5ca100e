pub const BACK: &str = "mailbox-back";
pub const GET_MAIL: &str = "mailbox-get-mail";
pub const GET_ALL_MAIL: &str = "mailbox-get-all-mail";
pub const DOWNLOAD_REST: &str = "mailbox-download-rest";
pub const TOGGLE_READ: &str = "mailbox-toggle-read";
pub const TOGGLE_STAR: &str = "mailbox-toggle-star";
pub const DELETE: &str = "mailbox-delete";
pub const MOVE: &str = "mailbox-move";
pub const COPY: &str = "mailbox-copy";
/// The "Move to…"/"Copy to…" panel, and its filter field.
pub const PICKER: &str = "mailbox-picker";
pub const PICKER_FILTER: &str = "mailbox-picker-filter";
/// Opens the row of the actions the toolbar has no room for.
pub const MORE: &str = "mailbox-more";
pub const WRITE: &str = "mailbox-write";
pub const REPLY: &str = "mailbox-reply";
pub const REPLY_ALL: &str = "mailbox-reply-all";
pub const FORWARD: &str = "mailbox-forward";
pub const FORWARD_ATTACHED: &str = "mailbox-forward-attached";
pub const LIST: &str = "mailbox-list";
pub const READER: &str = "mailbox-reader";
pub const SORT_SENDER: &str = "mailbox-sort-sender";
pub const SORT_SUBJECT: &str = "mailbox-sort-subject";
pub const SORT_DATE: &str = "mailbox-sort-date";
pub const SORT_SIZE: &str = "mailbox-sort-size";
pub const SAVE_ALL: &str = "mailbox-save-all";
pub const SHOW_REMOTE: &str = "mailbox-show-remote";
pub const ALWAYS_REMOTE: &str = "mailbox-always-remote";
pub const OPEN_LINK: &str = "mailbox-open-link";
pub const COPY_LINK: &str = "mailbox-copy-link";
pub const CLOSE_LINK: &str = "mailbox-close-link";
pub const SIGN_IN_AGAIN: &str = "mailbox-sign-in-again";
pub const COPY_SIGN_IN: &str = "mailbox-copy-sign-in";
pub const SIGN_IN_USE_CODE: &str = "mailbox-sign-in-use-code";
pub const SIGN_IN_CODE_ADDRESS: &str = "mailbox-sign-in-code-address";
pub const SIGN_IN_CODE_OPEN: &str = "mailbox-sign-in-code-open";
pub const SIGN_IN_CODE_CANCEL: &str = "mailbox-sign-in-code-cancel";
pub const SEARCH: &str = "mailbox-search";
pub const SEARCH_RESULTS: &str = "mailbox-search-results";
/// "Show 200 more" under the search field, when a query has more hits than it shows.
pub const SEARCH_MORE: &str = "mailbox-search-more";

/// An attachment's buttons, by its number among all the opened message's attachments.
pub fn save_attachment(n: usize) -> String {
    format!("mailbox-save-attachment-{n}")
}
pub fn open_attachment(n: usize) -> String {
    format!("mailbox-open-attachment-{n}")
}

/// A folder in the folder pane, by its server name.
pub fn folder(name: &str) -> String {
    format!("mailbox-folder-{name}")
}

/// A folder in the "Move to…"/"Copy to…" panel, by its server name.
pub fn picker_folder(name: &str) -> String {
    format!("mailbox-picker-folder-{name}")
}

/// An action on several chosen messages, in the reader's pane: read, star, delete,
/// move, copy.
pub fn chosen(action: &str) -> String {
    format!("mailbox-chosen-{action}")
}

/// A message row, by UID.
pub fn row(uid: u32) -> String {
    format!("mailbox-row-{uid}")
}

/// A row of a view across every account, by its folder's id and UID.
pub fn view_row(folder: tidings_mail::store::FolderId, uid: u32) -> String {
    format!("mailbox-row-{}-{uid}", folder.0)
}

/// A view across every account in the folder pane ("All Inboxes", "Unread", "Flagged").
pub fn view(view: tidings_mail::store::Unified) -> String {
    format!("mailbox-view-{}", view.label().to_lowercase().replace(' ', "-"))
}
