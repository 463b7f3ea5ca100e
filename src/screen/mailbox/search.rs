//! Search in the window: a field above the list (Ctrl+K; Ctrl+Shift+K for the open folder
//! only). As the person types, the query runs on the core's search (`tidings_mail::search`)
//! a short pause after the last key, and its hits replace the list: folder, sender, subject,
//! date and where it matched, the matched words marked. Enter or a click opens a hit in the
//! reader; Escape gives the folder back as it was.
//!
//! Searches run on their own store handle (the store is one file for every account, so hits
//! come from all of them), not the list's: a newer query interrupts the older one on that
//! connection without ever stopping a read the list or the reader waits for.
//!
//! For an IMAP account, once the store has answered and the query has rested a moment, the
//! server's own search runs too (`tidings_mail::search::server`) in the folders where
//! messages the query could find have no stored body: its hits join the list folder by
//! folder as they come, tagged "on server", under a "Searching the server… Cancel" line.
//! A new query or Cancel drops that search with its connection.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use iced::font::Weight;
use iced::widget::text::Span;
use iced::widget::{
    Column, button, column, container, rich_text, row, scrollable, space, span, text, text_input,
};
use iced::{Element, Font, Length, Subscription, Task, Theme, widget};

use tidings_mail::config::Config;
use tidings_mail::error::{Error, Kind};
use tidings_mail::limits::MAX_SEARCH_HITS;
use tidings_mail::profile::Profile;
use tidings_mail::search::{self, Hit, ParseError, Scope, SearchError};
use tidings_mail::store::{FolderId, MessageRow, Store, StoreHandle};

use super::{Mailbox, Message, Opened, format, id, sentence};

mod server;

pub use server::ServerNews;
use server::{SERVER_PAUSE, Server, server_line};

/// How long typing must pause before the query runs.
const PAUSE: Duration = Duration::from_millis(150);
/// Hits shown for one query at first (newest first); "Show more" adds as many again, up to
/// the core's page limit.
const LIMIT: u64 = 200;
/// How often the results are read again while the index catches up.
const CATCH_UP: Duration = Duration::from_secs(1);
/// The search's own connection to the store, and how to stop its running query.
#[derive(Clone)]
pub struct Engine {
    store: StoreHandle,
    interrupt: Arc<dyn Fn() + Send + Sync>,
    /// The accounts' names with their ids, for `account:` and for naming other accounts' hits.
    names: Vec<(String, String)>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engine")
    }
}

/// What one query found, and how many stored bodies the index has still to read.
#[derive(Debug, Clone)]
pub struct Answer {
    hits: Vec<Hit>,
    backlog: u64,
}

#[derive(Debug, Clone)]
pub enum Msg {
    /// Ctrl+K (everywhere) or Ctrl+Shift+K (the open folder only).
    Start {
        folder_only: bool,
    },
    Engine(Result<Engine, Error>),
    Changed(String),
    /// The pause after query number `n` is over (or the index caught up a little).
    Due(u64),
    Answer(u64, Result<Result<Answer, ParseError>, Error>),
    /// The query rested: ask the server too (query number `n`).
    ServerDue(u64),
    Server(u64, ServerNews),
    /// Stop the server's search.
    CancelServer,
    /// A click on a hit.
    Open(usize),
    /// The opened hit's row, for the reader.
    Row(Result<Option<Box<MessageRow>>, Error>),
    /// Back to the folder (Escape).
    Close,
    /// Show [`LIMIT`] more hits of the current query.
    More,
}

pub struct Search {
    store_path: PathBuf,
    /// Where the accounts' names are read from (none in previews).
    profile: Option<Profile>,
    engine: Option<Engine>,
    opening: bool,
    query: String,
    /// Only this folder (its id and name), after Ctrl+Shift+K.
    within: Option<(FolderId, String)>,
    /// Which query is the current one; answers to older ones are dropped.
    generation: u64,
    /// A query is running on the engine.
    running: bool,
    /// The current query has been answered (an empty list then means none match).
    answered: bool,
    /// How many hits the current query shows ([`LIMIT`], more after "Show more").
    limit: u64,
    /// The store's hits and the server's, merged newest first.
    hits: Vec<Hit>,
    local_hits: Vec<Hit>,
    server_hits: Vec<Hit>,
    server: Server,
    /// The server has been asked about the current query.
    server_asked: bool,
    selected: Option<usize>,
    mistake: Option<ParseError>,
    failure: Option<Error>,
    backlog: u64,
    /// The hit being opened: its folder (id and server name), and whether it is this
    /// account's.
    opening_hit: Option<(FolderId, String, bool)>,
}

impl Search {
    pub fn new(store_path: PathBuf, profile: Option<Profile>) -> Search {
        Search {
            store_path,
            profile,
            engine: None,
            opening: false,
            query: String::new(),
            within: None,
            generation: 0,
            running: false,
            answered: false,
            limit: LIMIT,
            hits: Vec::new(),
            local_hits: Vec::new(),
            server_hits: Vec::new(),
            server: Server::Off,
            server_asked: false,
            selected: None,
            mistake: None,
            failure: None,
            backlog: 0,
            opening_hit: None,
        }
    }

    /// The results are shown in place of the list.
    pub fn is_active(&self) -> bool {
        !self.query.trim().is_empty()
    }

    pub fn hits(&self) -> &[Hit] {
        &self.hits
    }

    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    pub fn subscription(&self) -> Subscription<Message> {
        // While the index catches up, the results are read again now and then.
        if self.is_active() && self.backlog > 0 && !self.running {
            let n = self.generation;
            iced::time::every(CATCH_UP).with(n).map(|(n, _)| Message::Search(Msg::Due(n)))
        } else {
            Subscription::none()
        }
    }

    fn changed(&mut self, query: String) -> Task<Msg> {
        self.query = query;
        self.generation += 1;
        self.selected = None;
        self.mistake = None;
        self.failure = None;
        self.answered = false;
        self.limit = LIMIT;
        self.stop_server(Server::Off);
        self.server_hits.clear();
        self.server_asked = false;
        if !self.is_active() {
            self.hits.clear();
            self.local_hits.clear();
            return Task::none();
        }
        let n = self.generation;
        Task::batch([
            self.open_engine(),
            Task::perform(async move { tokio::time::sleep(PAUSE).await }, move |()| Msg::Due(n)),
        ])
    }

    pub(super) fn open_engine(&mut self) -> Task<Msg> {
        if self.engine.is_some() || self.opening {
            return Task::none();
        }
        self.opening = true;
        let (path, profile) = (self.store_path.clone(), self.profile.clone());
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || {
                    let names = match profile {
                        Some(profile) => Config::load(&profile)?
                            .accounts
                            .iter()
                            .map(|a| (a.name.clone(), a.id.clone()))
                            .collect(),
                        None => Vec::new(),
                    };
                    let store = Store::open(&path)?;
                    let handle = store.interrupt_handle();
                    let interrupt: Arc<dyn Fn() + Send + Sync> = Arc::new(move || handle.interrupt());
                    Ok(Engine { store: StoreHandle::spawn(store)?, interrupt, names })
                })
                .await
                .unwrap_or_else(|e| {
                    Err(Error::new(Kind::Storage, format!("cannot open the mail store for search ({e})")))
                })
            },
            Msg::Engine,
        )
    }

    /// Runs the current query, stopping the one still running.
    fn run(&mut self) -> Task<Msg> {
        let Some(engine) = &self.engine else { return Task::none() };
        if !self.is_active() {
            return Task::none();
        }
        if self.running {
            (engine.interrupt)();
        }
        self.running = true;
        let n = self.generation;
        let (query, limit) = (self.query.clone(), self.limit);
        let scope = Scope {
            folders: self.within.iter().map(|(f, _)| *f).collect(),
            account_names: engine.names.clone(),
            ..Scope::default()
        };
        let store = engine.store.clone();
        Task::perform(
            async move {
                store
                    .call(move |s| {
                        let backlog = s.index_backlog()?;
                        match search::search(s, &query, &scope, limit, 0) {
                            Ok(hits) => Ok(Ok(Answer { hits, backlog })),
                            Err(SearchError::Query(e)) => Ok(Err(e)),
                            Err(SearchError::Store(e)) => Err(e),
                        }
                    })
                    .await
            },
            move |result| Msg::Answer(n, result),
        )
    }

    /// Takes the store's answer; true when it is the first good one for this query (the
    /// server may be asked next).
    fn answer(&mut self, n: u64, result: Result<Result<Answer, ParseError>, Error>) -> bool {
        if n != self.generation {
            // A query the person has since replaced (maybe interrupted on its way).
            return false;
        }
        self.running = false;
        self.answered = true;
        match result {
            Ok(Ok(Answer { hits, backlog })) => {
                self.local_hits = hits;
                self.backlog = backlog;
                self.merge();
                self.mistake = None;
                self.failure = None;
                !std::mem::replace(&mut self.server_asked, true)
            }
            Ok(Err(mistake)) => {
                self.hits.clear();
                self.local_hits.clear();
                self.mistake = Some(mistake);
                false
            }
            Err(e) => {
                self.hits.clear();
                self.local_hits.clear();
                self.failure = Some(e);
                false
            }
        }
    }

    /// The store's hits and the server's, newest first, each once, at most `limit`; the
    /// selection stays on its message.
    fn merge(&mut self) {
        let kept = self.selected.and_then(|i| self.hits.get(i)).map(|h| (h.folder_id, h.uid));
        let mut seen = HashSet::new();
        let mut hits: Vec<Hit> = self
            .local_hits
            .iter()
            .chain(&self.server_hits)
            .filter(|h| seen.insert((h.folder_id, h.uid)))
            .cloned()
            .collect();
        hits.sort_by_key(|h| std::cmp::Reverse(h.date));
        hits.truncate(self.limit as usize);
        self.hits = hits;
        // Those the list can never show are not kept either.
        self.server_hits.sort_by_key(|h| std::cmp::Reverse(h.date));
        self.server_hits.truncate(MAX_SEARCH_HITS as usize);
        self.selected = kept.and_then(|k| self.hits.iter().position(|h| (h.folder_id, h.uid) == k));
    }

    /// Whether the current query has more hits than it shows and may show more.
    fn can_show_more(&self) -> bool {
        self.is_active()
            && self.answered
            && !self.running
            && self.hits.len() as u64 >= self.limit
            && self.limit < MAX_SEARCH_HITS
    }

    /// Moves the selection among the hits by `by` rows.
    pub fn step(&mut self, by: isize) {
        if self.hits.is_empty() {
            return;
        }
        let last = self.hits.len() - 1;
        self.selected = Some(match self.selected {
            None if by < 0 => last,
            None => 0,
            Some(i) => i.saturating_add_signed(by).min(last),
        });
    }

    /// The accounts' names with their config ids (none until the engine is open).
    pub(super) fn account_names(&self) -> &[(String, String)] {
        self.engine.as_ref().map_or(&[], |e| e.names.as_slice())
    }

    fn account_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.engine
            .as_ref()
            .and_then(|e| e.names.iter().find(|(_, id)| id == key))
            .map_or(key, |(name, _)| name.as_str())
    }
}

impl Mailbox {
    pub(super) fn search(&mut self, msg: Msg) -> Task<Message> {
        let task = match msg {
            Msg::Start { folder_only } => {
                let within = if folder_only {
                    self.list.folder().map(|f| {
                        let name = self.folders.iter().find(|n| n.id == Some(f)).map(|n| n.label.clone());
                        (f, name.unwrap_or_default())
                    })
                } else {
                    None
                };
                let focus = iced::widget::operation::focus(id::SEARCH);
                if within == self.search.within {
                    return Task::batch([focus, self.search.open_engine().map(Message::Search)]);
                }
                self.search.within = within;
                let query = self.search.query.clone();
                return Task::batch([focus, self.search.changed(query).map(Message::Search)]);
            }
            Msg::Engine(Ok(engine)) => {
                self.search.opening = false;
                self.search.engine = Some(engine);
                self.search.run()
            }
            Msg::Engine(Err(e)) => {
                self.search.opening = false;
                self.search.failure = Some(e);
                Task::none()
            }
            Msg::Changed(query) => {
                let was = self.search.is_active();
                let task = self.search.changed(query);
                if was && !self.search.is_active() {
                    return Task::batch([task.map(Message::Search), self.search_closed()]);
                }
                task
            }
            Msg::Due(n) if n == self.search.generation && !self.search.running => self.search.run(),
            Msg::Due(_) => Task::none(),
            Msg::Answer(n, result) => {
                if self.search.answer(n, result) && self.remote.is_some() {
                    Task::perform(async { tokio::time::sleep(SERVER_PAUSE).await }, move |()| {
                        Msg::ServerDue(n)
                    })
                } else {
                    Task::none()
                }
            }
            Msg::ServerDue(n) if n == self.search.generation => match self.remote.clone() {
                Some(remote) => self.search.ask_server(remote, self.account_key.clone()),
                None => Task::none(),
            },
            Msg::ServerDue(_) => Task::none(),
            Msg::Server(n, news) => {
                self.search.server_news(n, news);
                Task::none()
            }
            Msg::CancelServer => {
                if matches!(self.search.server, Server::Running(..)) {
                    self.search.stop_server(Server::Cancelled);
                }
                Task::none()
            }
            Msg::Open(index) => {
                self.search.selected = Some(index);
                return self.open_hit();
            }
            Msg::Row(result) => return self.hit_row(result),
            // Offered once the query is answered (not while it runs: an interrupted answer
            // would read as a failure of this one).
            Msg::More if self.search.can_show_more() => {
                self.search.limit = (self.search.limit + LIMIT).min(MAX_SEARCH_HITS);
                self.search.run()
            }
            Msg::More => Task::none(),
            Msg::Close => {
                if !self.search.is_active() && self.search.within.is_none() {
                    return Task::none();
                }
                self.search.within = None;
                let _ = self.search.changed(String::new());
                return self.search_closed();
            }
        };
        task.map(Message::Search)
    }

    /// Opens the selected hit (the first when none is) in the reader.
    pub(super) fn open_hit(&mut self) -> Task<Message> {
        let index = self.search.selected.unwrap_or(0);
        let (Some(hit), Some(stores)) = (self.search.hits.get(index), &self.stores) else {
            return Task::none();
        };
        self.search.selected = Some(index);
        let (folder, uid) = (hit.folder_id, hit.uid);
        self.search.opening_hit = Some((folder, hit.folder.clone(), hit.account == self.account_key));
        let store = stores.read.clone();
        Task::perform(
            async move { store.call(move |s| s.message(folder, uid)).await.map(|row| row.map(Box::new)) },
            |result| Message::Search(Msg::Row(result)),
        )
    }

    fn hit_row(&mut self, result: Result<Option<Box<MessageRow>>, Error>) -> Task<Message> {
        let Some((folder, folder_name, own)) = self.search.opening_hit.take() else { return Task::none() };
        let row = match result {
            Ok(Some(row)) => *row,
            Ok(None) => {
                self.notice = Some(("That message is no longer here.".into(), true));
                return Task::none();
            }
            Err(e) => return self.failed(e),
        };
        let Some(stores) = &self.stores else { return Task::none() };
        let (uid, unread) = (row.uid, row.unread);
        // Another account's message is read from the store only: this account's server
        // does not hold it, and its actions are not this account's to queue.
        let remote = if own { self.remote.clone() } else { None };
        let load = self.reader.open(
            Opened { folder, folder_name, row },
            &stores.read,
            remote,
            self.prefer,
            self.local,
        );
        let mark = if own && unread { self.set_read(folder, uid, true) } else { Task::none() };
        Task::batch([load, mark])
    }

    /// The search is over: the list shows again as it was, its selection in the reader.
    fn search_closed(&mut self) -> Task<Message> {
        match self.list.selected_with_folder().map(|(f, r)| (f, r.clone())) {
            Some((folder, row))
                if self.reader.opened().is_none_or(|o| (o.folder, o.row.uid) != (folder, row.uid)) =>
            {
                self.open(folder, row)
            }
            Some(_) => Task::none(),
            None => {
                self.reader.clear();
                Task::none()
            }
        }
    }

    /// The field, and under it what the search has to say.
    pub(super) fn search_bar(&self) -> Element<'_, Message> {
        let s = &self.search;
        let placeholder = match &s.within {
            Some((_, name)) => format!("Search {name} (Ctrl+K: all folders)"),
            None => "Search all mail (Ctrl+K)".to_string(),
        };
        let field = text_input(&placeholder, &s.query)
            .id(widget::Id::new(id::SEARCH))
            .on_input(|q| Message::Search(Msg::Changed(q)))
            .padding([5, 8])
            .size(13)
            .style(crate::theme::text_input::field);
        let mut bar = Column::new().push(field).spacing(4);
        if let Some(mistake) = &s.mistake {
            bar = bar.push(mistake_view(&s.query, mistake));
        } else if let Some(e) = &s.failure {
            let words = format!("Cannot search: {}. {}", sentence(&e.to_string()), e.advice());
            bar = bar.push(text(words).size(12).style(crate::theme::text::error));
        } else if s.is_active() && s.answered {
            let found = match s.hits.len() {
                0 => "No messages match".to_string(),
                1 => "1 message matches".to_string(),
                n if n as u64 >= s.limit && s.limit >= MAX_SEARCH_HITS => {
                    format!("The newest {n} matching messages (say more in the search to find older ones)")
                }
                n if n as u64 >= s.limit => format!("The newest {n} matching messages"),
                n => format!("{n} messages match"),
            };
            let found = text(found).size(12).style(crate::theme::text::muted);
            bar = bar.push(if s.can_show_more() {
                let more = button(text(format!("Show {LIMIT} more")).size(12))
                    .on_press(Message::Search(Msg::More))
                    .padding([1, 8])
                    .style(crate::theme::button::secondary);
                let more = container(more).id(widget::Id::new(id::SEARCH_MORE));
                Element::from(row![found, more].spacing(8).align_y(iced::Alignment::Center))
            } else {
                found.into()
            });
        }
        if s.is_active()
            && let Some(line) = server_line(&s.server)
        {
            bar = bar.push(line);
        }
        if s.is_active() && s.backlog > 0 {
            let hint = match s.backlog {
                1 => "Indexing 1 message for search…".to_string(),
                n => format!("Indexing {n} messages for search…"),
            };
            bar = bar.push(text(hint).size(12).style(crate::theme::text::muted));
        }
        container(bar).padding([6, 8]).width(Length::Fill).into()
    }

    /// The hits, in place of the list.
    pub(super) fn search_results<'a>(&'a self, theme: &Theme) -> Element<'a, Message> {
        let s = &self.search;
        let several = s.hits.iter().any(|h| h.account != self.account_key);
        let mark = crate::theme::mailbox::search_mark(theme);
        let rows = s.hits.iter().enumerate().map(|(i, hit)| {
            let from = hit.from_name.as_deref().or(hit.from_addr.as_deref()).unwrap_or("(no sender)");
            // This account's folders by the names the folder pane gives them.
            let own = (hit.account == self.account_key)
                .then(|| self.folders.iter().find(|n| n.id == Some(hit.folder_id)))
                .flatten();
            let folder = own.map_or(hit.folder_display.as_str(), |n| n.label.as_str());
            let place = if several {
                format!("{} · {folder}", s.account_name(&hit.account))
            } else {
                folder.to_string()
            };
            let strong = Font { weight: Weight::Bold, ..Font::DEFAULT };
            let mut head = row![
                text(from).size(13).font(if hit.unread { strong } else { Font::DEFAULT }),
                text(place).size(12).style(crate::theme::text::muted),
            ]
            .spacing(10);
            if hit.on_server {
                // Its body is not here: the server found the words.
                head = head.push(text("on server").size(11).style(crate::theme::text::muted));
            }
            let head = head
                .push(space::horizontal())
                .push(text(format::date(Some(hit.date))).size(12).style(crate::theme::text::muted));
            let subject = text(hit.subject.as_deref().unwrap_or("(no subject)")).size(13);
            let mut body = column![head, subject].spacing(2);
            if let Some(m) = &hit.matched {
                body = body.push(snippet(&m.text, &m.marks, mark));
            }
            button(body)
                .padding([6, 12])
                .width(Length::Fill)
                .style(crate::theme::mailbox::row(s.selected == Some(i)))
                .on_press(Message::Search(Msg::Open(i)))
                .into()
        });
        let list = container(scrollable(Column::with_children(rows)).height(Length::Fill))
            .id(widget::Id::new(id::SEARCH_RESULTS));
        list.into()
    }
}

/// The query's mistake, and where: the query with a caret under the place.
fn mistake_view<'a>(query: &str, mistake: &'a ParseError) -> Element<'a, Message> {
    let caret = format!("{}^", " ".repeat(mistake.at.saturating_sub(1)));
    let mono = |t: String| text(t).size(12).font(Font::MONOSPACE).style(crate::theme::text::error);
    column![
        text(format!("Cannot read the query: {} (at character {}).", mistake.message, mistake.at))
            .size(12)
            .style(crate::theme::text::error),
        mono(query.to_string()),
        mono(caret),
    ]
    .into()
}

/// The snippet with its matched ranges (in characters) emphasised.
fn snippet<'a>(text: &'a str, marks: &[(usize, usize)], mark: iced::Color) -> Element<'a, Message> {
    let bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
    let at = |c: usize| bytes.get(c).copied().unwrap_or(text.len());
    let strong = Font { weight: Weight::Bold, ..Font::DEFAULT };
    let mut spans: Vec<Span<'a, String>> = Vec::new();
    let mut done = 0;
    for &(start, end) in marks {
        let (start, end) = (at(start).max(done), at(end));
        if start >= end {
            continue;
        }
        if start > done {
            spans.push(span(&text[done..start]));
        }
        spans.push(span(&text[start..end]).font(strong).background(mark));
        done = end;
    }
    if done < text.len() {
        spans.push(span(&text[done..]));
    }
    rich_text(spans).size(12).width(Length::Fill).into()
}

impl Mailbox {
    /// Keys while the hits are shown: moving and opening act on the hits.
    pub(super) fn search_key(&mut self, action: super::KeyAction) -> Task<Message> {
        use super::KeyAction as K;
        let page = 10;
        match action {
            K::Up => self.search.step(-1),
            K::Down => self.search.step(1),
            K::PageUp => self.search.step(-page),
            K::PageDown => self.search.step(page),
            K::First => self.search.step(isize::MIN / 2),
            K::Last => self.search.step(isize::MAX / 2),
            K::Open => return self.open_hit(),
            other => return self.key(other),
        }
        Task::none()
    }
}
