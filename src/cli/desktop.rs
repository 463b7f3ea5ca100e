//! The desktop's side of the command line: what a start of the window asks for (a `mailto:`
//! link, `--compose`, `--get-mail`), and `tidings generate-assets DIR`, which writes the man
//! page and the bash, zsh and fish completions from the command line's own definition (the
//! Debian package is built with them: scripts/package-deb).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use tidings::desktop::instance::Request;
use tidings_mail::compose::mailto;
use tidings_mail::error::{Error, Kind};

use super::output::outln;
use super::{Cli, Out};

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Where to write tidings.1, tidings.bash, _tidings and tidings.fish.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// The window's request from the arguments: a `mailto:` link, `--compose`, `--get-mail`, or
/// just the window.
pub fn request(link: Option<String>, compose: bool, get_mail: bool) -> Request {
    match link {
        Some(link) => Request::Compose(Some(link)),
        None if compose => Request::Compose(None),
        None if get_mail => Request::GetMail,
        None => Request::Show,
    }
}

/// Only `mailto:` links are taken as the window's argument (a mistyped command is not one).
pub fn mailto_link(arg: &str) -> Result<String, String> {
    if mailto::is_mailto(arg) {
        Ok(arg.to_string())
    } else {
        Err("only mailto: links are opened; see the commands in `tidings --help`".to_string())
    }
}

pub fn generate(args: GenerateArgs, out: &Out) -> ExitCode {
    match write_assets(&args.dir) {
        Ok(files) => {
            for file in files {
                outln!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => out.error(&e),
    }
}

fn write_assets(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let failed = |what: &str, e: std::io::Error| {
        Error::new(Kind::Storage, format!("cannot write the {what} into {}: {e}", dir.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| failed("files", e))?;
    let mut command = Cli::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page).map_err(|e| failed("man page", e))?;
    // Uncompressed: `cargo deb` compresses man pages as Debian wants.
    let man = dir.join("tidings.1");
    std::fs::write(&man, page).map_err(|e| failed("man page", e))?;
    let mut files = vec![man];
    use clap_complete::Shell;
    for (shell, name) in
        [(Shell::Bash, "tidings.bash"), (Shell::Zsh, "_tidings"), (Shell::Fish, "tidings.fish")]
    {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, "tidings", &mut script);
        let path = dir.join(name);
        std::fs::write(&path, script).map_err(|e| failed("completions", e))?;
        files.push(path);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_asks_for_a_link_a_message_mail_or_the_window() {
        let link = "mailto:a@x.example?subject=Hi".to_string();
        assert_eq!(request(Some(link.clone()), false, false), Request::Compose(Some(link)));
        assert_eq!(request(None, true, false), Request::Compose(None));
        assert_eq!(request(None, false, true), Request::GetMail);
        assert_eq!(request(None, false, false), Request::Show);
        assert!(mailto_link("MAILTO:a@x.example").is_ok());
        assert!(mailto_link("acount").is_err());
    }
}
