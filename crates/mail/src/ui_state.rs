//! What the window looked like when the person left it: where they were (the mailbox of an
//! account, its folder, the selected message and the list's order, or the accounts
//! overview), the window's size and the sizes of the mailbox's panes.
//! A small TOML file in the profile's data directory, read and written on a worker thread.
//! It is a convenience, not data: a missing or unreadable file gives the defaults, and a
//! value out of range is replaced by its default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::profile::Profile;
use crate::store::{Sort, SortKey, Unified};

const FILE: &str = "ui-state.toml";

/// The file of `profile`.
pub fn path(profile: &Profile) -> PathBuf {
    profile.data_dir().join(FILE)
}

/// The file beside the store at `store_path` (the store lives in the same data directory).
pub fn beside(store_path: &Path) -> PathBuf {
    store_path.with_file_name(FILE)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct UiState {
    pub panes: Panes,
    pub window: Window,
    /// Where the person was; `None`: the accounts overview.
    pub place: Option<Place>,
    /// The folders whose list shows conversations ("Threads"): by account id, each folder
    /// by its name on the server.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub threaded: BTreeMap<String, Vec<String>>,
}

/// Where the mailbox's dividers are, as fractions of the space they split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Panes {
    /// The folder pane's share of the window's width.
    pub folders: f32,
    /// The message list's share of the height it shares with the reader.
    pub list: f32,
}

impl Default for Panes {
    fn default() -> Self {
        Panes { folders: 0.22, list: 0.45 }
    }
}

/// The window's size when not maximised (in logical pixels), and whether it was maximised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Window {
    pub width: f32,
    pub height: f32,
    pub maximized: bool,
}

impl Default for Window {
    fn default() -> Self {
        Window { width: 1024.0, height: 768.0, maximized: false }
    }
}

/// Smaller than this, the mailbox has no room for its panes.
pub const MIN_WINDOW: (f32, f32) = (640.0, 480.0);
/// Larger than any screen: a size beyond it is a broken file.
const MAX_WINDOW: f32 = 16384.0;

impl Window {
    /// The size within bounds: at least [`MIN_WINDOW`], at most `screen` when it is known.
    pub fn within(self, screen: Option<(f32, f32)>) -> Window {
        let fit = |value: f32, min: f32, screen: Option<f32>| {
            let max = screen.filter(|s| s.is_finite()).map_or(MAX_WINDOW, |s| s.clamp(min, MAX_WINDOW));
            value.clamp(min, max)
        };
        Window {
            width: fit(self.width, MIN_WINDOW.0, screen.map(|s| s.0)),
            height: fit(self.height, MIN_WINDOW.1, screen.map(|s| s.1)),
            maximized: self.maximized,
        }
    }
}

/// An account's mailbox as it was left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// The account's id in the config.
    pub account: String,
    /// The folder shown, by its name on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The selected message, by its UID in that folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<u32>,
    #[serde(default)]
    pub sort: ListSort,
    /// A view across every account shown in place of a folder ("All Inboxes"…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<Unified>,
}

/// The message list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListSort {
    pub by: SortBy,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    Date,
    Sender,
    Subject,
    Size,
}

impl Default for ListSort {
    fn default() -> Self {
        Sort::NEWEST.into()
    }
}

impl From<Sort> for ListSort {
    fn from(sort: Sort) -> Self {
        let by = match sort.key {
            SortKey::Date => SortBy::Date,
            SortKey::Sender => SortBy::Sender,
            SortKey::Subject => SortBy::Subject,
            SortKey::Size => SortBy::Size,
        };
        ListSort { by, descending: sort.descending }
    }
}

impl From<ListSort> for Sort {
    fn from(sort: ListSort) -> Self {
        let key = match sort.by {
            SortBy::Date => SortKey::Date,
            SortBy::Sender => SortKey::Sender,
            SortBy::Subject => SortKey::Subject,
            SortBy::Size => SortKey::Size,
        };
        Sort { key, descending: sort.descending }
    }
}

/// A divider closer to an edge than this would hide a pane.
const MIN_RATIO: f32 = 0.05;

fn sane(ratio: f32, default: f32) -> f32 {
    if ratio.is_finite() && (MIN_RATIO..=1.0 - MIN_RATIO).contains(&ratio) { ratio } else { default }
}

/// Several parts of the app write their part of the file: one at a time, each keeping the
/// others' parts.
static WRITING: Mutex<()> = Mutex::new(());

impl UiState {
    /// The state saved at `path`; the defaults when there is none or it cannot be read.
    pub fn load(path: &Path) -> UiState {
        let Ok(text) = std::fs::read_to_string(path) else { return UiState::default() };
        let Ok(state) = toml::from_str::<UiState>(&text) else { return UiState::default() };
        let (panes, window) = (Panes::default(), Window::default());
        let size_ok = |v: f32| v.is_finite() && v > 0.0;
        UiState {
            panes: Panes {
                folders: sane(state.panes.folders, panes.folders),
                list: sane(state.panes.list, panes.list),
            },
            window: if size_ok(state.window.width) && size_ok(state.window.height) {
                state.window.within(None)
            } else {
                window
            },
            place: state.place.filter(|p| !p.account.is_empty()),
            threaded: state.threaded,
        }
    }

    /// Writes the state to `path` (atomically: a reader never sees half a file).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string(self)
            .map_err(|e| crate::error::Error::config(format!("cannot write the window's state: {e}")))?;
        crate::config::write_atomic(path, text.as_bytes())
    }

    /// Changes one part of the state at `path` and writes it, keeping the parts others wrote.
    /// Blocks (file I/O): call it from a worker thread.
    pub fn update(path: &Path, change: impl FnOnce(&mut UiState)) -> Result<()> {
        let _one_at_a_time = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        let mut state = UiState::load(path);
        change(&mut state);
        state.save(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_sizes_come_back_and_bad_files_give_the_defaults() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = path(&Profile::at(dir.path()));
        assert_eq!(UiState::load(&file), UiState::default(), "no file yet");
        let state = UiState { panes: Panes { folders: 0.3, list: 0.7 }, ..UiState::default() };
        state.save(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(UiState::load(&file), state);
        for bad in ["panes = 3", "\u{0}\u{1}garbage", "[panes]\nfolders = 7.0\nlist = 0.6\n"] {
            std::fs::write(&file, bad).unwrap_or_else(|e| panic!("{e}"));
            let loaded = UiState::load(&file);
            assert_eq!(loaded.panes.folders, Panes::default().folders, "{bad:?}");
        }
        // One value out of range keeps the other.
        assert_eq!(UiState::load(&file).panes.list, 0.6);
    }

    #[test]
    fn the_place_and_the_window_come_back_and_each_writer_keeps_the_others_parts() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = path(&Profile::at(dir.path()));
        let place = Place {
            account: "work".into(),
            folder: Some("INBOX/Lists".into()),
            message: Some(42),
            sort: Sort { key: SortKey::Subject, descending: false }.into(),
            view: None,
        };
        let window = Window { width: 1200.0, height: 800.0, maximized: true };
        UiState::update(&file, |s| {
            s.place = Some(place.clone());
            s.window = window;
        })
        .unwrap_or_else(|e| panic!("{e}"));
        UiState::update(&file, |s| s.panes.list = 0.6).unwrap_or_else(|e| panic!("{e}"));
        let threaded = BTreeMap::from([("work".to_string(), vec!["INBOX".to_string(), "Lists".into()])]);
        UiState::update(&file, |s| s.threaded = threaded.clone()).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains("by = \"subject\""), "{text}");
        let loaded = UiState::load(&file);
        assert_eq!(loaded.place, Some(place));
        assert_eq!(loaded.window, window);
        assert_eq!(loaded.panes.list, 0.6);
        assert_eq!(loaded.threaded, threaded);
        assert_eq!(Sort::from(loaded.place.map(|p| p.sort).unwrap_or_default()).key, SortKey::Subject);

        // The overview: no place. A window too small, too large or not a number.
        UiState::update(&file, |s| s.place = None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(UiState::load(&file).place, None);
        for (size, want) in [
            ("width = 100.0\nheight = 90.0", (640.0, 480.0)),
            ("width = 1e9\nheight = 700.0", (16384.0, 700.0)),
            ("width = nan\nheight = 700.0", (1024.0, 768.0)),
            ("width = -5.0\nheight = 700.0", (1024.0, 768.0)),
        ] {
            std::fs::write(&file, format!("[window]\n{size}\n")).unwrap_or_else(|e| panic!("{e}"));
            let w = UiState::load(&file).window;
            assert_eq!((w.width, w.height), want, "{size}");
        }
        // A place naming no account, or a sort key Tidings does not know: the overview.
        for bad in ["[place]\naccount = \"\"\n", "[place]\naccount = \"a\"\nsort = { by = \"colour\" }\n"] {
            std::fs::write(&file, bad).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(UiState::load(&file).place, None, "{bad}");
        }
    }

    #[test]
    fn a_window_fits_the_screen_when_it_is_known() {
        let big = Window { width: 2560.0, height: 1440.0, maximized: false };
        let fitted = big.within(Some((1280.0, 800.0)));
        assert_eq!((fitted.width, fitted.height), (1280.0, 800.0));
        assert_eq!(big.within(None), big);
        // A screen smaller than the least size: the least size.
        let tiny = big.within(Some((320.0, 240.0)));
        assert_eq!((tiny.width, tiny.height), (640.0, 480.0));
    }
}
