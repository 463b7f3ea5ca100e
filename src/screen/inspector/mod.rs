//! The server inspector for testers: type a server URL (and, to go past the greeting, a user
//! and password), run, and watch the conversation with the server live: each stage with its
//! duration, every line sent and received (credentials redacted by the core). The finished
//! report shows the TLS parameters and certificate, the greeting, capabilities and their
//! changes, and the behaviour checks; it can be copied, or saved as Markdown or JSON.
//!
//! The inspection runs in the core ([`tidings_mail::inspect::inspect`]) on a tokio task; its
//! transcript watcher feeds a stream that this screen turns into messages ([`live`]). The
//! screen holds an abort-on-drop handle of that stream: leaving the screen or pressing Stop
//! ends the stream, which aborts the inspection.

mod export;
mod form;
mod live;
mod report;
mod transcript;
mod view;

use std::fmt;

use iced::Task;
use iced::task::Handle;

use tidings_mail::account::{Protocol, Server};
use tidings_mail::inspect::{Report, Target};
use tidings_mail::net::{Event, Line, Stage};

pub use export::ExportError;
pub use form::{Edit, Form, URL_MISSING, USER_MISSING};
pub use live::Progress;
pub use report::CONTENT_INCLUDED;
pub use transcript::Message as TranscriptMessage;

use export::{Export, Format};
use transcript::Pane;

/// Widget ids, so tests (and keyboard shortcuts later) can reach each control.
pub mod id {
    pub const BACK: &str = "inspector-back";
    pub const URL: &str = "inspector-url";
    pub const USER: &str = "inspector-user";
    pub const PASSWORD: &str = "inspector-password";
    pub const CA_FILE: &str = "inspector-ca-file";
    pub const PIN: &str = "inspector-pin";
    pub const INCLUDE_CONTENT: &str = "inspector-include-content";
    pub const RUN: &str = "inspector-run";
    pub const STOP: &str = "inspector-stop";
    pub const REPORT: &str = "inspector-report";
    pub const COPY_REPORT: &str = "inspector-copy-report";
    pub const MARKDOWN_PATH: &str = "inspector-markdown-path";
    pub const SAVE_MARKDOWN: &str = "inspector-save-markdown";
    pub const JSON_PATH: &str = "inspector-json-path";
    pub const SAVE_JSON: &str = "inspector-save-json";
    pub const TRANSCRIPT: &str = "inspector-transcript";
    pub const SHOW_CLIENT: &str = "inspector-show-client";
    pub const SHOW_SERVER: &str = "inspector-show-server";
    pub const SHOW_NOTES: &str = "inspector-show-notes";
    pub const SEARCH: &str = "inspector-search";
    pub const COPY_TRANSCRIPT: &str = "inspector-copy-transcript";
}

#[derive(Clone)]
pub enum Message {
    Edit(Edit),
    Run,
    Stop,
    Back,
    Progress(Progress),
    Transcript(TranscriptMessage),
    CopyReport,
    MarkdownPath(String),
    JsonPath(String),
    SaveMarkdown,
    SaveJson,
    Saved(Result<String, ExportError>),
}

/// What the inspector asks of the app.
pub enum Action {
    None,
    /// Run this task (the inspection stream, a clipboard write, a file write…).
    Run(Task<Message>),
    /// Leave the inspector.
    Back,
}

/// Where an inspection is.
enum Run {
    /// Nothing run yet (or the last run was stopped before it reported).
    Idle,
    /// Running: dropping the handle aborts the stream and with it the inspection.
    Running {
        target: String,
        _handle: Handle,
    },
    Finished(Box<Report>),
    /// The inspection could not start (unreadable CA file…).
    Failed(String),
}

pub struct Inspector {
    form: Form,
    run: Run,
    /// Finished stages, live while running, then the report's.
    stages: Vec<Stage>,
    transcript: Pane,
    export: Export,
}

impl Default for Inspector {
    fn default() -> Self {
        Inspector::new()
    }
}

impl Inspector {
    /// An empty form.
    pub fn new() -> Self {
        Inspector::with_form(Form::default())
    }

    /// The form filled with a configured server's settings (not its password: the user types
    /// it, or leaves it empty to inspect without logging in). A server set to no encryption
    /// gets `imap://`/`pop3://`/`smtp://`, which the inspector tries with STARTTLS: a URL has
    /// no way to say "plain", and the report then shows that STARTTLS is missing.
    pub fn for_server(protocol: Protocol, server: &Server) -> Self {
        let target =
            Target { protocol, security: server.security, host: server.host.clone(), port: server.port };
        let mut form = Form::default();
        form.edit(Edit::Url(target.url()));
        form.edit(Edit::User(server.user.clone()));
        if let Some(path) = &server.trust.ca_file {
            form.edit(Edit::CaFile(path.display().to_string()));
        }
        if let Some(pin) = &server.trust.pinned_sha256 {
            form.edit(Edit::Pin(pin.clone()));
        }
        Inspector::with_form(form)
    }

    /// The same for an account: one that signs in with OAuth2 logs in with its token.
    pub fn for_account(
        account: &tidings_mail::account::Account,
        secrets: &tidings_mail::secret::Secrets,
    ) -> Self {
        let mut inspector = Inspector::for_server(account.incoming_protocol.into(), &account.incoming);
        if account.incoming.auth == tidings_mail::account::AuthMethod::OAuth2 {
            inspector.form.sign_in =
                Some(form::SignIn { account: account.clone(), secrets: secrets.clone() });
        }
        inspector
    }

    /// A finished inspection, e.g. one read back for a look (and the tests' fixed reports).
    pub fn with_report(report: Report) -> Self {
        let mut form = Form::default();
        form.edit(Edit::Url(report.target.clone()));
        let mut inspector = Inspector::with_form(form);
        let _ = inspector.finish(report);
        inspector
    }

    fn with_form(form: Form) -> Self {
        Inspector {
            form,
            run: Run::Idle,
            stages: Vec::new(),
            transcript: Pane::default(),
            export: Export::default(),
        }
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    pub fn is_running(&self) -> bool {
        matches!(self.run, Run::Running { .. })
    }

    /// The finished report, if any.
    pub fn report(&self) -> Option<&Report> {
        match &self.run {
            Run::Finished(report) => Some(report),
            _ => None,
        }
    }

    /// The stages finished so far.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The transcript lines the filters and the search let through.
    pub fn shown_lines(&self) -> impl Iterator<Item = &Line> {
        self.transcript.shown_lines()
    }

    /// The shown transcript lines as copied to the clipboard.
    pub fn shown_text(&self) -> String {
        self.transcript.shown_text()
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Edit(edit) => self.edit(edit),
            Message::Run => self.start(),
            Message::Stop => self.stop(),
            Message::Back => Action::Back,
            Message::Progress(progress) => self.progress(progress),
            Message::Transcript(message) => task(self.transcript.update(message)),
            Message::CopyReport => self.copy_report(),
            Message::MarkdownPath(path) => self.export.set_path(Format::Markdown, path),
            Message::JsonPath(path) => self.export.set_path(Format::Json, path),
            Message::SaveMarkdown => self.save(Format::Markdown),
            Message::SaveJson => self.save(Format::Json),
            Message::Saved(result) => self.export.saved(result),
        }
    }

    fn edit(&mut self, edit: Edit) -> Action {
        if !self.is_running() {
            self.form.edit(edit);
        }
        Action::None
    }

    fn start(&mut self) -> Action {
        if self.is_running() {
            return Action::None;
        }
        let Some(job) = self.form.submit() else { return Action::None };
        let target = job.target.url();
        self.stages.clear();
        self.transcript.clear();
        self.export = Export::default();
        let (task, handle) = Task::run(live::run(job), Message::Progress).abortable();
        self.run = Run::Running { target, _handle: handle.abort_on_drop() };
        Action::Run(task)
    }

    fn stop(&mut self) -> Action {
        if self.is_running() {
            // Dropping the handle aborts the stream, and the stream's end aborts the inspection.
            self.run = Run::Idle;
            let note = Line {
                at: self.transcript.last_time(),
                dir: tidings_mail::net::Dir::Info,
                text: "Stopped by the user.".into(),
            };
            return task(self.transcript.extend([note]));
        }
        Action::None
    }

    fn progress(&mut self, progress: Progress) -> Action {
        if !self.is_running() {
            return Action::None;
        }
        match progress {
            Progress::Events(events) => {
                let mut lines = Vec::new();
                for event in events {
                    match event {
                        Event::Line(line) => lines.push(line),
                        Event::Stage(stage) => self.stages.push(stage),
                    }
                }
                task(self.transcript.extend(lines))
            }
            Progress::Finished(report) => task(self.finish(*report)),
            Progress::Failed(why) => {
                self.run = Run::Failed(why);
                Action::None
            }
        }
    }

    /// Shows a finished report: its stages and full transcript replace the live ones.
    fn finish(&mut self, report: Report) -> Task<Message> {
        self.stages = report.stages.clone();
        let follow = self.transcript.replace(report.transcript.clone());
        self.export = Export::for_report(&report);
        self.run = Run::Finished(Box::new(report));
        follow
    }

    fn copy_report(&self) -> Action {
        match self.report() {
            Some(report) => Action::Run(iced::clipboard::write(report.to_markdown())),
            None => Action::None,
        }
    }

    fn save(&mut self, format: Format) -> Action {
        let Some(report) = self.report() else { return Action::None };
        let report = report.clone();
        match self.export.start(format) {
            Some(path) => Action::Run(Task::perform(export::save(report, format, path), Message::Saved)),
            None => Action::None,
        }
    }
}

/// `cannot log in` → `Cannot log in.` (the core's messages start lower-case, without a stop).
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn task(task: Task<Message>) -> Action {
    if task.units() == 0 { Action::None } else { Action::Run(task) }
}

/// Passwords never appear in debug output (logs, panics, test failures).
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Edit(edit) => f.debug_tuple("Edit").field(edit).finish(),
            Message::Run => f.write_str("Run"),
            Message::Stop => f.write_str("Stop"),
            Message::Back => f.write_str("Back"),
            Message::Progress(progress) => f.debug_tuple("Progress").field(progress).finish(),
            Message::Transcript(message) => f.debug_tuple("Transcript").field(message).finish(),
            Message::CopyReport => f.write_str("CopyReport"),
            Message::MarkdownPath(path) => f.debug_tuple("MarkdownPath").field(path).finish(),
            Message::JsonPath(path) => f.debug_tuple("JsonPath").field(path).finish(),
            Message::SaveMarkdown => f.write_str("SaveMarkdown"),
            Message::SaveJson => f.write_str("SaveJson"),
            Message::Saved(result) => f.debug_tuple("Saved").field(result).finish(),
        }
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::None => f.write_str("None"),
            Action::Run(_) => f.write_str("Run(..)"),
            Action::Back => f.write_str("Back"),
        }
    }
}
