//! Tidings as the desktop's mail program: `mailto:` links open its composer once the desktop
//! file is the default handler of `x-scheme-handler/mailto`, which `xdg-mime` records in the
//! person's `mimeapps.list` (under `$XDG_CONFIG_HOME`). Run in tasks, never in `update`.

use std::ffi::OsString;

use tidings_mail::error::{Error, Kind};

/// The desktop file, as `xdg-mime` names it.
pub const DESKTOP_FILE: &str = "org.tidings.Tidings.desktop";
const SCHEME: &str = "x-scheme-handler/mailto";

/// Environment for `xdg-mime` beyond the inherited one (tests: a private `XDG_CONFIG_HOME`).
pub type Env = Vec<(String, OsString)>;

/// Makes Tidings the default handler of `mailto:` links.
pub async fn make_default(env: Env) -> Result<(), Error> {
    xdg_mime(&["default", DESKTOP_FILE, SCHEME], &env).await.map(|_| ())
}

/// Whether Tidings is the default handler of `mailto:` links now.
pub async fn is_default(env: Env) -> Result<bool, Error> {
    let out = xdg_mime(&["query", "default", SCHEME], &env).await?;
    Ok(out.trim() == DESKTOP_FILE)
}

async fn xdg_mime(args: &[&str], env: &Env) -> Result<String, Error> {
    let out = tokio::process::Command::new("xdg-mime")
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            Error::new(
                Kind::Config,
                format!(
                    "cannot ask the desktop for its mail program (xdg-mime: {e}); is xdg-utils installed?"
                ),
            )
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(Error::new(
            Kind::Config,
            format!("cannot make Tidings the mail program: xdg-mime ended with {}", out.status),
        )
        .with_server(said))
    }
}
