//! Handing things to the desktop: a web address to the browser, a file (a private copy of
//! an attachment) to its default application, and the folder picker. `xdg-open` decides
//! which application (inside a sandbox it goes through the XDG portal's OpenURI); the picker
//! is the XDG portal's file chooser. All of it runs in tasks, never in `update`.

pub mod handler;
pub mod icon;
pub mod instance;

use std::path::{Path, PathBuf};

use tidings_mail::error::{Error, Kind};

/// Addresses the browser is asked to open; anything else (`javascript:`, `file:`, a
/// custom scheme that starts a program) is only ever copied.
pub fn opens_in_browser(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Opens a web address in the desktop's browser.
pub async fn open_url(url: String) -> Result<(), Error> {
    if !opens_in_browser(&url) {
        return Err(Error::new(
            Kind::Config,
            "only web addresses (http, https) are opened; this one was not",
        ));
    }
    xdg_open(url.as_ref()).await
}

/// Opens a file with the desktop's default application for its type.
pub async fn open_file(path: PathBuf) -> Result<(), Error> {
    xdg_open(path.as_os_str()).await
}

async fn xdg_open(what: &std::ffi::OsStr) -> Result<(), Error> {
    let status = tokio::process::Command::new("xdg-open")
        .arg(what)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .map_err(|e| {
            Error::new(
                Kind::Config,
                format!("cannot ask the desktop to open it (xdg-open: {e}); is xdg-utils installed?"),
            )
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(
            Kind::Config,
            format!("the desktop has no application to open it (xdg-open ended with {status})"),
        ))
    }
}

/// The desktop's folder picker (the XDG portal, else zenity): the folder chosen, none when
/// cancelled or when no picker can be shown.
pub async fn pick_folder(title: &str, start: Option<&Path>) -> Option<PathBuf> {
    let mut dialog = rfd::AsyncFileDialog::new().set_title(title);
    if let Some(start) = start {
        dialog = dialog.set_directory(start);
    }
    dialog.pick_folder().await.map(|f| f.path().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_go_to_the_browser() {
        for url in ["https://example.test/x", "HTTP://example.test", "  https://a"] {
            assert!(opens_in_browser(url), "{url}");
        }
        for url in ["javascript:alert(1)", "file:///etc/passwd", "mailto:a@b", "ms-settings:", "//x"] {
            assert!(!opens_in_browser(url), "{url}");
        }
    }
}
