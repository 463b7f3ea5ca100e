//! What the window looked like when the person left it: the sizes of the mailbox's panes.
//! A small TOML file in the profile's data directory, read and written on a worker thread.
//! It is a convenience, not data: a missing or unreadable file gives the defaults, and a
//! value out of range is replaced by its default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::profile::Profile;

const FILE: &str = "ui-state.toml";

/// The file of `profile`.
pub fn path(profile: &Profile) -> PathBuf {
    profile.data_dir().join(FILE)
}

/// The file beside the store at `store_path` (the store lives in the same data directory).
pub fn beside(store_path: &Path) -> PathBuf {
    store_path.with_file_name(FILE)
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct UiState {
    pub panes: Panes,
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

/// A divider closer to an edge than this would hide a pane.
const MIN_RATIO: f32 = 0.05;

fn sane(ratio: f32, default: f32) -> f32 {
    if ratio.is_finite() && (MIN_RATIO..=1.0 - MIN_RATIO).contains(&ratio) { ratio } else { default }
}

impl UiState {
    /// The state saved at `path`; the defaults when there is none or it cannot be read.
    pub fn load(path: &Path) -> UiState {
        let Ok(text) = std::fs::read_to_string(path) else { return UiState::default() };
        let Ok(state) = toml::from_str::<UiState>(&text) else { return UiState::default() };
        let defaults = Panes::default();
        UiState {
            panes: Panes {
                folders: sane(state.panes.folders, defaults.folders),
                list: sane(state.panes.list, defaults.list),
            },
        }
    }

    /// Writes the state to `path` (atomically: a reader never sees half a file).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string(self)
            .map_err(|e| crate::error::Error::config(format!("cannot write the window's state: {e}")))?;
        crate::config::write_atomic(path, text.as_bytes())
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
        let state = UiState { panes: Panes { folders: 0.3, list: 0.7 } };
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
}
