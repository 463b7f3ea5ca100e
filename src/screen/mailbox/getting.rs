//! Getting mail: the running sync (through [`super::remote::sync`]), its progress in the
//! status line, and refreshing the folders and the list as the store fills — throttled, so a
//! fast sync does not turn into a store read per chunk.

use std::time::{Duration, Instant};

use iced::Task;
use iced::task::Handle;

use super::remote::{self, SyncEvent};
use super::{Mailbox, Message, sentence};

/// Progress refreshes the list at most this often (a folder finishing always does).
const REFRESH_EVERY: Duration = Duration::from_millis(400);

/// Getting mail: the running sync (dropping its handle aborts it) and the status line.
#[derive(Default)]
pub(super) struct Getting {
    pub(super) running: Option<Handle>,
    pub(super) status: String,
    pub(super) failed: bool,
    last_refresh: Option<Instant>,
    /// The folder list of this sync is in the store (it was shown).
    listed: bool,
}

impl Getting {
    pub(super) fn new(status: &str) -> Getting {
        Getting { status: status.into(), ..Getting::default() }
    }

    pub(super) fn is_running(&self) -> bool {
        self.running.is_some()
    }
}

impl Mailbox {
    /// Starts a sync unless one is running (or there is no server).
    pub(super) fn get_mail(&mut self) -> Task<Message> {
        let Some(remote) = &self.remote else { return Task::none() };
        if self.sync.is_running() {
            return Task::none();
        }
        let (task, handle) = Task::run(remote::sync(remote.clone()), Message::Sync).abortable();
        self.sync.running = Some(handle.abort_on_drop());
        self.sync.status = "Connecting…".into();
        self.sync.failed = false;
        self.sync.listed = false;
        task
    }

    pub(super) fn sync_event(&mut self, event: SyncEvent) -> Task<Message> {
        match event {
            SyncEvent::Progress { latest, folder_done } => {
                self.sync.status = remote::describe(&latest);
                // Past the LIST: the folder pane can show the server's folders now.
                let listed = latest.phase != remote::Phase::Folders && !self.sync.listed;
                self.sync.listed |= listed;
                let due = self.sync.last_refresh.is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
                if folder_done || listed || due { self.refresh() } else { Task::none() }
            }
            SyncEvent::Finished(result) => {
                self.sync.running = None;
                let (status, failed) = match result {
                    Ok(report) => match &report.error {
                        Some(e) => (format!("Cannot get mail: {}. {}", sentence(&e.detail), e.advice), true),
                        None => (remote::summary(&report), false),
                    },
                    Err(e) => {
                        (format!("Cannot get mail: {}. {}", sentence(&e.detail()), e.kind().advice()), true)
                    }
                };
                self.sync.status = status;
                self.sync.failed = failed;
                self.refresh()
            }
        }
    }

    /// IDLE push: a folder was synced because the server announced a change.
    pub(super) fn push_event(&mut self, event: remote::PushEvent) -> Task<Message> {
        match event {
            remote::PushEvent::Synced(report)
                if report.new > 0 || report.expunged > 0 || report.updated_flags > 0 =>
            {
                if !self.sync.is_running() {
                    self.sync.status = format!(
                        "New mail in {}: {} new message{}.",
                        report.display_name,
                        report.new,
                        if report.new == 1 { "" } else { "s" }
                    );
                }
                self.refresh()
            }
            // Quiet unless something changed; a failing watcher retries by itself.
            _ => Task::none(),
        }
    }

    /// Reads the folder counts and the list's window again.
    pub(super) fn refresh(&mut self) -> Task<Message> {
        self.sync.last_refresh = Some(Instant::now());
        let list = self.on_list(|list, store| list.refresh(store));
        Task::batch([self.load_folders(), list])
    }
}
