//! What the person does with the message in the reader besides reading it: save an
//! attachment or all of them (to a folder picked through the desktop's portal; names made
//! safe by the core), open one (a private copy, handed to the desktop's application for its
//! type), follow a link (its address is shown first, then opened in the browser or copied),
//! and show the remote images the message refers to (blocked until asked for this message,
//! or always for this sender — remembered in the account, revocable in its settings).
//!
//! Remote images are fetched by the core (`tidings_mail::message::remote`: no cookies, size
//! and time limits, never an address on the person's own network) and decoded by the core
//! within its limits; all of it in tasks.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use iced::Task;
use iced::widget::image::Handle;

use tidings_mail::error::{Error, Kind};
use tidings_mail::message::images::Decoder;
use tidings_mail::message::remote::{self as fetcher, RemotePolicy};
use tidings_mail::message::save;

use super::message;
use super::{Action, Mailbox, Message};
use crate::desktop;

#[derive(Debug, Clone)]
pub enum Msg {
    /// Save this attachment (its number among all listed).
    Save(usize),
    SaveAll,
    /// Open this attachment with the desktop's application.
    Open(usize),
    /// The folder picker answered (none: cancelled).
    Picked(Which, Option<PathBuf>),
    Saved(Result<Vec<PathBuf>, Error>),
    Opened(Result<String, Error>),
    /// A link in the body was clicked: show where it goes.
    Link(String),
    OpenLink,
    CopyLink,
    CloseLink,
    LinkOpened(Result<(), Error>),
    /// Show the remote images of this message.
    ShowRemote,
    /// …of every message from this sender, from now on.
    AlwaysRemote,
    RemoteLoaded(Arc<RemoteImages>),
}

/// Which attachments a picked folder is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    One(usize),
    All,
}

/// Fetched and decoded remote images, by URL, and how many could not be shown.
#[derive(Debug, Default)]
pub struct RemoteImages {
    pub images: HashMap<String, Handle>,
    pub failed: usize,
    /// Why the first one failed, in words.
    pub why: Option<String>,
}

/// Remote content of the message in the reader.
#[derive(Debug, Clone, Default)]
pub enum Remote {
    #[default]
    Blocked,
    Fetching,
    Shown(Arc<RemoteImages>),
}

/// The reader's state for these actions; it starts anew with each opened message.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// A clicked link, waiting for "Open" or "Copy".
    pub link: Option<String>,
    pub remote: Remote,
    /// The invitation card's comment and the answers given here.
    pub invitation: super::invitation::State,
    /// The read-receipt bar.
    pub receipt: super::receipt::Bar,
}

impl Content {
    pub fn remote_image(&self, url: &str) -> Option<&Handle> {
        match &self.remote {
            Remote::Shown(shown) => shown.images.get(url),
            _ => None,
        }
    }
}

impl Mailbox {
    pub(super) fn content(&mut self, msg: Msg) -> Action {
        let task = match msg {
            Msg::Save(n) => pick(Which::One(n), self.last_folder.clone()),
            Msg::SaveAll => pick(Which::All, self.last_folder.clone()),
            Msg::Picked(_, None) => Task::none(),
            Msg::Picked(which, Some(dir)) => self.save(which, dir),
            Msg::Saved(Ok(paths)) => {
                let folder = paths.first().and_then(|p| p.parent()).map(|p| p.display().to_string());
                self.notice = Some((
                    match (&paths[..], folder) {
                        ([one], Some(folder)) => format!(
                            "Saved {} in {folder}",
                            one.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
                        ),
                        (all, Some(folder)) => format!("Saved {} attachments in {folder}", all.len()),
                        _ => "Nothing to save".to_string(),
                    },
                    false,
                ));
                Task::none()
            }
            Msg::Opened(Ok(name)) => {
                self.notice = Some((format!("Opened {name}"), false));
                Task::none()
            }
            Msg::Saved(Err(e)) | Msg::Opened(Err(e)) | Msg::LinkOpened(Err(e)) => self.failed(e),
            Msg::Open(n) => self.open_attachment(n),
            Msg::Link(url) => {
                self.reader.content_mut().link = Some(url);
                Task::none()
            }
            Msg::OpenLink => match self.reader.content_mut().link.take() {
                Some(url) if desktop::opens_in_browser(&url) => {
                    Task::perform(desktop::open_url(url), |r| Message::Content(Msg::LinkOpened(r)))
                }
                Some(url) => {
                    self.notice =
                        Some((format!("Copied the link {url} (only web addresses are opened)"), false));
                    iced::clipboard::write(url)
                }
                None => Task::none(),
            },
            Msg::CopyLink => match self.reader.content_mut().link.take() {
                Some(url) => {
                    self.notice = Some((format!("Copied the link {url}"), false));
                    iced::clipboard::write(url)
                }
                None => Task::none(),
            },
            Msg::CloseLink => {
                self.reader.content_mut().link = None;
                Task::none()
            }
            Msg::LinkOpened(Ok(())) => Task::none(),
            Msg::ShowRemote => self.fetch_remote(),
            Msg::AlwaysRemote => {
                let Some(address) = self.sender() else { return Action::None };
                if !self.remote_from.iter().any(|a| a.eq_ignore_ascii_case(&address)) {
                    self.remote_from.push(address.clone());
                }
                let fetch = self.fetch_remote();
                return Action::AllowRemote { address, then: fetch };
            }
            Msg::RemoteLoaded(images) => {
                self.reader.content_mut().remote = Remote::Shown(images);
                Task::none()
            }
        };
        if task.units() == 0 { Action::None } else { Action::Run(task) }
    }

    /// The shown message's sender, lower case.
    fn sender(&self) -> Option<String> {
        let shown = self.reader.shown()?;
        shown.headers.from_addr.as_deref().map(|a| a.trim().to_ascii_lowercase()).filter(|a| !a.is_empty())
    }

    /// Called when a message is shown: its remote images come at once from a sender the
    /// account trusts with them.
    pub(super) fn remote_if_allowed(&mut self) -> Task<Message> {
        match self.sender() {
            Some(sender) if self.remote_from.iter().any(|a| a.eq_ignore_ascii_case(&sender)) => {
                self.fetch_remote()
            }
            _ => Task::none(),
        }
    }

    fn fetch_remote(&mut self) -> Task<Message> {
        let Some(shown) = self.reader.shown() else { return Task::none() };
        if shown.remote_images.is_empty() || !matches!(self.reader.content().remote, Remote::Blocked) {
            return Task::none();
        }
        let urls = shown.remote_images.clone();
        let policy = self.remote_policy.clone();
        self.reader.content_mut().remote = Remote::Fetching;
        self.reader.track(Task::perform(fetch_images(urls, policy), |images| {
            Message::Content(Msg::RemoteLoaded(Arc::new(images)))
        }))
    }

    fn save(&mut self, which: Which, dir: PathBuf) -> Task<Message> {
        let Some(shown) = self.reader.shown_arc() else { return Task::none() };
        self.last_folder = Some(dir.clone());
        Task::perform(
            blocking(move || {
                let all = message::all_attachments(&shown);
                let chosen: Vec<_> = match which {
                    Which::One(n) => all.get(n).copied().into_iter().collect(),
                    Which::All => all,
                };
                chosen.into_iter().map(|a| save::save_attachment(a, &dir)).collect()
            }),
            |r| Message::Content(Msg::Saved(r)),
        )
    }

    fn open_attachment(&mut self, n: usize) -> Task<Message> {
        let Some(shown) = self.reader.shown_arc() else { return Task::none() };
        let base = self.open_copies.clone();
        Task::perform(
            async move {
                let (path, name) = blocking(move || {
                    let attachment = message::all_attachments(&shown)
                        .get(n)
                        .copied()
                        .ok_or_else(|| Error::new(Kind::Config, "this attachment is no longer shown"))?;
                    Ok((save::private_copy(attachment, &base)?, attachment.name.clone()))
                })
                .await?;
                desktop::open_file(path).await?;
                Ok(name)
            },
            |r| Message::Content(Msg::Opened(r)),
        )
    }
}

fn pick(which: Which, start: Option<PathBuf>) -> Task<Message> {
    let title = match which {
        Which::One(_) => "Save the attachment in…",
        Which::All => "Save the attachments in…",
    };
    Task::perform(async move { desktop::pick_folder(title, start.as_deref()).await }, move |dir| {
        Message::Content(Msg::Picked(which, dir))
    })
}

async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(job)
        .await
        .unwrap_or_else(|e| Err(Error::new(Kind::Storage, format!("cannot finish: the task stopped ({e})"))))
}

/// Fetches the images (the core's fetcher), then decodes them (the core's decoder, within
/// its limits) off the UI thread.
async fn fetch_images(urls: Vec<String>, policy: RemotePolicy) -> RemoteImages {
    let fetched = fetcher::fetch(urls, &policy).await;
    let decode = move || {
        let mut decoder = Decoder::default();
        let mut out = RemoteImages::default();
        for one in fetched {
            let decoded = one
                .result
                .map_err(|e| e.to_string())
                .and_then(|image| decoder.decode(&image.bytes).map_err(|e| format!("{}: {e}", one.url)));
            match decoded {
                Ok(pixels) => {
                    out.images.insert(one.url, Handle::from_rgba(pixels.width, pixels.height, pixels.rgba));
                }
                Err(why) => {
                    out.failed += 1;
                    out.why.get_or_insert(why);
                }
            }
        }
        out
    };
    tokio::task::spawn_blocking(decode).await.unwrap_or_default()
}
