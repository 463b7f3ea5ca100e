//! Saving a report for a ticket: Markdown or JSON, to a path the user types (a leading `~/`
//! means the home directory). Rendering and writing happen on a blocking thread; the screen
//! shows where the file went, or why it could not be written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tidings_mail::inspect::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Markdown => "Markdown",
            Format::Json => "JSON",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ExportError {
    #[error("Enter a file name to save the report to.")]
    NoPath,
    #[error("Cannot write {}: {source}.", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("Cannot turn the report into JSON: {0}.")]
    Json(#[source] Arc<serde_json::Error>),
    #[error("Cannot save the report: the saving task stopped ({0}).")]
    Stopped(String),
}

/// The export fields and the outcome of the last save.
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub markdown_path: String,
    pub json_path: String,
    pub saving: bool,
    pub outcome: Option<Result<String, ExportError>>,
}

impl Export {
    /// Default paths: `~/tidings-inspection-<host>-<time>.md` and `.json`.
    pub fn for_report(report: &Report) -> Export {
        let host: String = report
            .host
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
            .collect();
        let digits: String = report.started.chars().filter(char::is_ascii_digit).take(14).collect();
        let time = if digits.len() == 14 { format!("{}-{}", &digits[..8], &digits[8..]) } else { digits };
        let base = format!("~/tidings-inspection-{host}-{time}");
        Export {
            markdown_path: format!("{base}.md"),
            json_path: format!("{base}.json"),
            saving: false,
            outcome: None,
        }
    }

    pub fn set_path(&mut self, format: Format, path: String) -> super::Action {
        match format {
            Format::Markdown => self.markdown_path = path,
            Format::Json => self.json_path = path,
        }
        super::Action::None
    }

    /// The path to save to, unless a save is already under way.
    pub fn start(&mut self, format: Format) -> Option<String> {
        if self.saving {
            return None;
        }
        self.saving = true;
        self.outcome = None;
        Some(match format {
            Format::Markdown => self.markdown_path.clone(),
            Format::Json => self.json_path.clone(),
        })
    }

    pub fn saved(&mut self, outcome: Result<String, ExportError>) -> super::Action {
        self.saving = false;
        self.outcome = Some(outcome);
        super::Action::None
    }
}

/// Writes the report off the UI thread; `Ok` carries the confirmation to show.
pub async fn save(report: Report, format: Format, path: String) -> Result<String, ExportError> {
    tokio::task::spawn_blocking(move || write(&report, format, &path))
        .await
        .unwrap_or_else(|join| Err(ExportError::Stopped(join.to_string())))
}

fn write(report: &Report, format: Format, path: &str) -> Result<String, ExportError> {
    let path =
        expand_home(path.trim(), std::env::var_os("HOME").map(PathBuf::from)).ok_or(ExportError::NoPath)?;
    let contents = match format {
        Format::Markdown => report.to_markdown(),
        Format::Json => {
            serde_json::to_string_pretty(report).map_err(|e| ExportError::Json(Arc::new(e)))? + "\n"
        }
    };
    write_private(&path, contents.as_bytes())
        .map_err(|e| ExportError::Write { path: path.clone(), source: Arc::new(e) })?;
    Ok(format!("Saved the {} report to {}.", format.name(), path.display()))
}

/// Creates or replaces the file, readable by its owner only when created: a report names
/// servers and users.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `~/x` → `$HOME/x`; `None` for an empty path.
fn expand_home(path: &str, home: Option<PathBuf>) -> Option<PathBuf> {
    if path.is_empty() {
        return None;
    }
    match (path.strip_prefix("~/").or((path == "~").then_some("")), home) {
        (Some(rest), Some(home)) => Some(home.join(rest)),
        _ => Some(PathBuf::from(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_tilde_is_the_home_directory() {
        let home = Some(PathBuf::from("/home/alice"));
        assert_eq!(expand_home("~/r.md", home.clone()), Some(PathBuf::from("/home/alice/r.md")));
        assert_eq!(expand_home("/tmp/~/r.md", home.clone()), Some(PathBuf::from("/tmp/~/r.md")));
        assert_eq!(expand_home("r.md", home.clone()), Some(PathBuf::from("r.md")));
        assert_eq!(expand_home("~/r.md", None), Some(PathBuf::from("~/r.md")));
        assert_eq!(expand_home("", home), None);
    }
}
