//! The server's side of a search in the window: after the store's answer, and once the
//! query has rested, the account's IMAP server is asked (`tidings_mail::search::server`)
//! in the folders where messages the query could find have no stored body. Its hits join
//! the list folder by folder; a line says it runs, with Cancel; a new query or Cancel drops
//! it with its connection (an aborted task).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use iced::widget::{button, row, text};
use iced::{Element, Task};

use tidings_mail::error::Error;
use tidings_mail::search::server::{self, FolderOutcome, ServerLimits};
use tidings_mail::search::{Scope, SearchError};

use super::super::remote::Remote;
use super::super::{Message, sentence};
use super::{Msg, Search};

/// How long a query must rest before the server is asked too (each search there is a
/// connection and a round trip per folder: not one per key).
pub(super) const SERVER_PAUSE: Duration = Duration::from_millis(600);

/// What the server's search has to say.
#[derive(Debug, Clone)]
pub enum ServerNews {
    /// This many folders are to be searched.
    Planned(usize),
    /// One folder searched.
    Folder(Arc<FolderOutcome>),
    /// The end: every folder searched, or why the search could not go on.
    Finished(Result<(), Error>),
}

/// Folders searched on the server, and those that could not be (name, why).
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Folders to search (`None` until the store has said which).
    folders: Option<usize>,
    searched: usize,
    failed: Vec<(String, Error)>,
    /// Server UIDs whose headers are not synced yet.
    not_synced: u64,
}

/// Where the server's search is.
#[derive(Debug, Default)]
pub(super) enum Server {
    #[default]
    Off,
    Running(iced::task::Handle, Tally),
    Done(Tally),
    Failed(Error),
    Cancelled,
}

impl Search {
    /// Stops the server's search, if one runs, and says where it is now.
    pub(super) fn stop_server(&mut self, now: Server) {
        if let Server::Running(handle, _) = std::mem::replace(&mut self.server, now) {
            handle.abort();
        }
    }

    /// Asks `remote`'s server about the current query, in the folders of `account` where
    /// bodies the query could find are not stored. Nothing when there are none.
    pub(super) fn ask_server(&mut self, remote: Remote, account: String) -> Task<Msg> {
        let Some(engine) = &self.engine else { return Task::none() };
        if !self.is_active() || !remote.is_imap() {
            return Task::none();
        }
        let n = self.generation;
        let query = self.query.clone();
        let scope = Scope {
            folders: self.within.iter().map(|(f, _)| *f).collect(),
            account_names: engine.names.clone(),
            ..Scope::default()
        };
        let skip: HashSet<_> = self.local_hits.iter().map(|h| (h.folder_id, h.uid)).collect();
        let store = engine.store.clone();
        let stream = iced::stream::channel(
            8,
            async move |mut tx: iced::futures::channel::mpsc::Sender<ServerNews>| {
                use iced::futures::SinkExt;
                let accounts = [account];
                let planned = store
                    .call(move |s| match server::plan_server(s, &query, &scope, &accounts) {
                        Ok(plan) => Ok(plan),
                        // The store's own search says what is wrong with the query.
                        Err(SearchError::Query(_)) => Ok(None),
                        Err(SearchError::Store(e)) => Err(e),
                    })
                    .await;
                let plan = match planned {
                    Ok(Some(plan)) => plan,
                    Ok(None) => {
                        let _ = tx.send(ServerNews::Finished(Ok(()))).await;
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(ServerNews::Finished(Err(e))).await;
                        return;
                    }
                };
                let _ = tx.send(ServerNews::Planned(plan.folders.len())).await;
                let mut engine = match remote.new_engine().await {
                    Ok(engine) => engine,
                    Err(e) => {
                        let _ = tx.send(ServerNews::Finished(Err(e))).await;
                        return;
                    }
                };
                // One folder at a time, so that each one's hits show as soon as they are known.
                for folder in &plan.folders {
                    let mut one = plan.clone();
                    one.folders = vec![folder.clone()];
                    let mut found = Vec::new();
                    let r = server::run(&mut engine, &one, &skip, ServerLimits::default(), &mut |o| {
                        found.push(o)
                    })
                    .await;
                    for o in found {
                        let _ = tx.send(ServerNews::Folder(Arc::new(o))).await;
                    }
                    if let Err(e) = r {
                        let _ = tx.send(ServerNews::Finished(Err(e))).await;
                        return;
                    }
                }
                let _ = engine.logout().await;
                let _ = tx.send(ServerNews::Finished(Ok(()))).await;
            },
        );
        let (task, handle) = Task::run(stream, move |news| Msg::Server(n, news)).abortable();
        self.server = Server::Running(handle, Tally::default());
        task
    }

    pub(super) fn server_news(&mut self, n: u64, news: ServerNews) {
        // News of a search replaced or cancelled since (already on its way) is dropped.
        if n != self.generation || !matches!(self.server, Server::Running(..)) {
            return;
        }
        match news {
            ServerNews::Planned(folders) => {
                if let Server::Running(_, tally) = &mut self.server {
                    tally.folders = Some(folders);
                }
            }
            ServerNews::Folder(outcome) => {
                self.server_hits.extend(outcome.hits.iter().cloned());
                self.merge();
                if let Server::Running(_, tally) = &mut self.server {
                    tally.searched += 1;
                    tally.not_synced += outcome.not_synced;
                    if let Some(e) = &outcome.error {
                        tally.failed.push((outcome.folder.display_name.clone(), e.clone()));
                    }
                }
            }
            ServerNews::Finished(Ok(())) => {
                self.server = match std::mem::take(&mut self.server) {
                    Server::Running(_, tally) if tally.folders.unwrap_or(0) > 0 => Server::Done(tally),
                    _ => Server::Off,
                };
            }
            ServerNews::Finished(Err(e)) => self.stop_server(Server::Failed(e)),
        }
    }
}

/// What the server's search is doing, or did, when there is something to say.
pub(super) fn server_line(server: &Server) -> Option<Element<'_, Message>> {
    let muted = |t: String| text(t).size(12).style(crate::theme::text::muted);
    let words = match server {
        Server::Off => return None,
        Server::Running(_, tally) if tally.folders.is_none() => return None,
        Server::Running(_, tally) => {
            let cancel = button(text("Cancel").size(12))
                .padding([1, 6])
                .style(button::text)
                .on_press(Message::Search(Msg::CancelServer));
            let progress = match tally.folders {
                Some(n) if n > 1 => format!("Searching the server… ({} of {n} folders)", tally.searched),
                _ => "Searching the server…".to_string(),
            };
            return Some(row![muted(progress), cancel].spacing(6).align_y(iced::Alignment::Center).into());
        }
        Server::Done(tally) => {
            let mut words = String::from("Searched on the server too");
            if tally.not_synced > 0 {
                words.push_str(&format!("; {} more there are not synced yet", tally.not_synced));
            }
            if let Some((folder, e)) = tally.failed.first() {
                words.push_str(&format!("; {folder} could not be searched: {}", sentence(&e.to_string())));
            }
            words + "."
        }
        Server::Failed(e) => format!("The server could not be searched: {}.", sentence(&e.to_string())),
        Server::Cancelled => "The server's search was stopped.".to_string(),
    };
    Some(muted(words).into())
}
