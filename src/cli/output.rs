//! Text or JSON output, and exit codes, for the headless commands.
//!
//! Every line goes through `outln!` or `errln!` (the `cli` module denies `println!`):
//! greetings, server replies, capabilities, folder names and subjects come from servers and
//! mail, and may carry terminal escapes (a window title, a cleared screen, a clipboard
//! write). Those lines show control characters as escapes (`\x1b`); the JSON output keeps
//! the exact text, escaped the JSON way.

use std::process::ExitCode;

use tidings_mail::{Error, ErrorReport, terminal};

/// Exit status when a command ran and the server or the settings said no.
pub const EXIT_FAILED: u8 = 1;

/// `println!` with control characters shown as escapes (line feeds kept).
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::output::out_line(format_args!($($arg)*)) };
}

/// `eprintln!` with control characters shown as escapes (line feeds kept).
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cli::output::err_line(format_args!($($arg)*)) };
}

pub(crate) use {errln, outln};

/// Writes a line; a reader that went away (`tidings … | head`) is no error of ours, so
/// nothing is said and nothing panics.
fn write_line(mut to: impl std::io::Write, text: &str) {
    let _ = writeln!(to, "{text}");
}

pub fn out_line(args: std::fmt::Arguments<'_>) {
    write_line(std::io::stdout().lock(), &terminal::safe_lines(&args.to_string()));
}

pub fn err_line(args: std::fmt::Arguments<'_>) {
    write_line(std::io::stderr().lock(), &terminal::safe_lines(&args.to_string()));
}

pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn new(json: bool) -> Out {
        Out { json }
    }

    pub fn print_json(&self, value: &serde_json::Value) {
        match serde_json::to_string_pretty(value) {
            Ok(s) => write_line(std::io::stdout().lock(), &terminal::json(&s)),
            Err(e) => errln!("tidings: cannot write JSON: {e}"),
        }
    }

    /// Reports an error: `{"ok": false, "error": {...}}` with `--json`, sentences otherwise.
    pub fn error(&self, e: &Error) -> ExitCode {
        if self.json {
            self.print_json(&serde_json::json!({ "ok": false, "error": ErrorReport::from(e) }));
        } else {
            errln!("tidings: {} error: {}", e.kind(), e.message());
            if let Some(words) = e.server_words() {
                errln!("  the server said: {words}");
            }
            errln!("  what to do: {}", e.advice());
        }
        ExitCode::from(EXIT_FAILED)
    }
}
