//! Text or JSON output, and exit codes, for the headless commands.

use std::process::ExitCode;

use tidings_mail::{Error, ErrorReport};

/// Exit status when a command ran and the server or the settings said no.
pub const EXIT_FAILED: u8 = 1;

pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn new(json: bool) -> Out {
        Out { json }
    }

    pub fn print_json(&self, value: &serde_json::Value) {
        match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("tidings: cannot write JSON: {e}"),
        }
    }

    /// Reports an error: `{"ok": false, "error": {...}}` with `--json`, sentences otherwise.
    pub fn error(&self, e: &Error) -> ExitCode {
        if self.json {
            self.print_json(&serde_json::json!({ "ok": false, "error": ErrorReport::from(e) }));
        } else {
            eprintln!("tidings: {} error: {}", e.kind(), e.message());
            if let Some(words) = e.server_words() {
                eprintln!("  the server said: {words}");
            }
            eprintln!("  what to do: {}", e.kind().advice());
        }
        ExitCode::from(EXIT_FAILED)
    }
}
