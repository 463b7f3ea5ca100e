//! Headless UI flows (iced_test) for search in the window: the field above the list (Ctrl+K,
//! Ctrl+Shift+K for the open folder), hits in place of the list with the matched words
//! marked, Enter to open one, Escape back to the folder as it was, a query's mistake pointed
//! at, and the hint while the index catches up. The store is the mailbox fixture's; bodies
//! saved with `save_body` are indexed by the store.
//!
//! `ICED_TEST_BACKEND=tiny-skia cargo test -p tidings --test gui_search`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod gui_mailbox_helpers;

use std::time::Duration;

use common::{assert_snapshot, settle};
use iced::keyboard::Key;
use iced::keyboard::{Modifiers, key::Named};
use iced::theme::Mode;
use iced_test::selector::id;

use tidings::app::{App, Message};
use tidings::screen::mailbox::{self, SearchMsg};
use tidings_mail::search::Hit;
use tidings_mail::store::{FolderId, Summary};

use gui_mailbox_helpers::fixture::*;

/// An Archive message whose body is HTML only.
const HTML_ONLY: u32 = 104;
const HTML_ONLY_MESSAGE: &str = "From: \"Carol Danvers\" <carol@example.org>\r\n\
    To: Work <work@example.test>\r\nSubject: Airship tour\r\nDate: Fri, 13 Dec 2024 10:00:00 +0000\r\n\
    MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
    <html><body><p>We board the <b>zeppelin</b> at noon.</p></body></html>\r\n";

/// The fixture's mailbox with one more message (HTML only, in Archive), every body indexed.
fn opened_indexed(fx: &Fixture) -> App {
    let mut store = check_store(fx);
    let mut m = message(HTML_ONLY);
    m.summary = Summary {
        subject: Some("Airship tour".into()),
        from_name: Some("Carol Danvers".into()),
        from_addr: Some("carol@example.org".into()),
        ..m.summary
    };
    store.insert_messages(fx.archive, 7, &[m]).unwrap();
    store.save_body(fx.archive, 7, HTML_ONLY, HTML_ONLY_MESSAGE.as_bytes()).unwrap();
    store.index_pending(usize::MAX, Duration::MAX).unwrap();
    opened(fx)
}

/// Types `query` into the search field, as a person would: a click, then the keys.
fn type_query(app: &mut App, query: &str) {
    let mut ui = window(app);
    ui.click(id(mailbox::id::SEARCH)).unwrap();
    ui.typewrite(query);
    let messages = ui.into_messages().collect();
    settle(app, messages);
}

/// Replaces the query (the field's whole text).
fn set_query(app: &mut App, query: &str) {
    settle(app, vec![Message::Mailbox(mailbox::Message::Search(SearchMsg::Changed(query.into())))]);
}

fn hits(app: &App) -> Vec<Hit> {
    mailbox(app).search_hits().expect("the search results are shown").to_vec()
}

fn places(app: &App) -> Vec<(FolderId, u32)> {
    hits(app).iter().map(|h| (h.folder_id, h.uid)).collect()
}

fn press_key(app: &mut App, key: Named, modifiers: Modifiers) {
    press(app, Key::Named(key), modifiers);
}

#[test]
fn typing_finds_words_from_bodies_and_html_only_bodies_with_the_words_marked() {
    let fx = fixture();
    let mut app = opened_indexed(&fx);
    type_query(&mut app, "zeppelin");
    assert_eq!(places(&app), [(fx.archive, HTML_ONLY)]);
    let hit = &hits(&app)[0];
    let snippet = hit.matched.as_ref().expect("where it matched");
    let marked: Vec<String> =
        snippet.marks.iter().map(|&(a, b)| snippet.text.chars().skip(a).take(b - a).collect()).collect();
    assert_eq!(marked, ["zeppelin"]);
    // The hit in place of the list: its folder, sender, subject and date.
    for shown in ["Archive", "Carol Danvers", "Airship tour", "1 message matches"] {
        assert!(shows(&app, shown), "{shown:?} is not shown: {:?}", texts(&app));
    }
    assert!(!shows(&app, "Photos from the trip #40"), "the list is still shown");

    // A word of a plain body, another of a multipart one's HTML.
    set_query(&mut app, "monday");
    assert_eq!(places(&app), [(fx.inbox, PLAIN)]);
    set_query(&mut app, "lake");
    assert_eq!(places(&app), [(fx.inbox, NEWEST)]);
}

#[test]
fn from_and_is_unread_narrow_the_hits_and_an_empty_answer_says_so() {
    let fx = fixture();
    let mut app = opened_indexed(&fx);
    set_query(&mut app, "from:dave");
    let dave = hits(&app);
    // Dave wrote every sixth message (3, 9, … 39 in the Inbox, 3 in Lists).
    assert_eq!(dave.len(), 8, "{dave:?}");
    assert!(dave.iter().all(|h| h.from_addr.as_deref() == Some("dave@example.com")));

    set_query(&mut app, "from:dave is:read");
    assert!(hits(&app).is_empty());
    assert!(shows(&app, "No messages match"), "{:?}", texts(&app));

    set_query(&mut app, "from:bob");
    let bob = hits(&app);
    assert!(bob.len() > 5 && bob.iter().all(|h| !h.unread), "{bob:?}");
    set_query(&mut app, "from:bob is:unread");
    assert!(hits(&app).is_empty());
    assert!(shows(&app, "No messages match"));
    // "Quarterly report" is every seventh subject (7, 14, 21, 28); of those only 21 is unread.
    set_query(&mut app, "subject:report");
    assert_eq!(hits(&app).iter().map(|h| h.uid).collect::<Vec<_>>(), [28, 21, 14, 7]);
    set_query(&mut app, "subject:report is:unread");
    assert_eq!(places(&app), [(fx.inbox, 21)]);
}

#[test]
fn a_mistake_in_the_query_is_pointed_at() {
    let fx = fixture();
    let mut app = opened_indexed(&fx);
    set_query(&mut app, "report before:someday");
    assert!(hits(&app).is_empty());
    let shown = texts(&app);
    let said = shown.iter().find(|t| t.starts_with("Cannot read the query: ")).unwrap_or_else(|| {
        panic!("the mistake is not shown: {shown:?}");
    });
    assert!(said.contains("(at character 15)"), "{said}");
    // The query, and a caret under the place.
    let at = shown.iter().position(|t| t == "report before:someday").expect("the query is repeated");
    assert_eq!(shown[at + 1], format!("{}^", " ".repeat(14)));
    assert!(!shows(&app, "No messages match"));
}

#[test]
fn enter_opens_a_hit_and_escape_returns_to_the_folder_as_it_was() {
    let fx = fixture();
    let mut app = opened_indexed(&fx);
    // Select the third message of the Inbox.
    press_key(&mut app, Named::ArrowDown, Modifiers::empty());
    press_key(&mut app, Named::ArrowDown, Modifiers::empty());
    press_key(&mut app, Named::ArrowDown, Modifiers::empty());
    assert_eq!(selected_uid(&app), Some(38));
    let list_before = uids(&app);

    press(&mut app, letter("k"), Modifiers::CTRL);
    set_query(&mut app, "airship");
    assert_eq!(places(&app), [(fx.archive, HTML_ONLY)]);
    press_key(&mut app, Named::Enter, Modifiers::empty());
    let opened = mailbox(&app).reader().opened().expect("the hit is open");
    assert_eq!((opened.folder, opened.row.uid), (fx.archive, HTML_ONLY));
    assert!(shows(&app, "Airship tour"));
    // Opening it marked it read.
    let row = check_store(&fx).message(fx.archive, HTML_ONLY).unwrap().unwrap();
    assert!(!row.unread);

    press_key(&mut app, Named::Escape, Modifiers::empty());
    let mb = mailbox(&app);
    assert!(mb.search_hits().is_none());
    assert_eq!(mb.list().folder(), Some(fx.inbox));
    assert_eq!(uids(&app), list_before);
    assert_eq!(selected_uid(&app), Some(38));
    let opened = mailbox(&app).reader().opened().expect("the selected message is open again");
    assert_eq!((opened.folder, opened.row.uid), (fx.inbox, 38));
    assert!(shows(&app, "Photos from the trip #40"));
}

#[test]
fn a_click_on_a_hit_opens_it() {
    let fx = fixture();
    let mut app = opened_indexed(&fx);
    set_query(&mut app, "from:dave");
    let second = hits(&app)[1].clone();
    let mut ui = window(&app);
    ui.click(second.subject.clone().unwrap().as_str()).unwrap();
    let messages = ui.into_messages().collect();
    settle(&mut app, messages);
    assert_eq!(mailbox(&app).search_selected(), Some(1));
    let opened = mailbox(&app).reader().opened().expect("the hit is open");
    assert_eq!((opened.folder, opened.row.uid), (second.folder_id, second.uid));
}

#[test]
fn ctrl_shift_k_searches_the_open_folder_only() {
    let fx = fixture();
    let mut app = opened_indexed(&fx);
    click(&mut app, &mailbox::id::folder("INBOX/Lists"));
    let lists = mailbox(&app).list().folder().unwrap();
    press(&mut app, letter("K"), Modifiers::CTRL | Modifiers::SHIFT);
    set_query(&mut app, "from:dave");
    assert_eq!(places(&app), [(lists, 3)]);
    // Ctrl+K: every folder again, the same query.
    press(&mut app, letter("k"), Modifiers::CTRL);
    assert_eq!(hits(&app).len(), 8);
}

#[test]
fn while_bodies_wait_for_the_index_a_hint_says_how_many() {
    let fx = fixture();
    let mut app = opened_indexed(&fx);
    // The mailbox's store threads (and the search's) have gone quiet; a body arrives that
    // nobody has indexed.
    std::thread::sleep(Duration::from_millis(500));
    let walrus = PLAIN_MESSAGE.replace("Notes from Monday", "Notes about the walrus");
    // Downloaded in bulk (keep offline): indexed by the store's idle work, not at once.
    check_store(&fx).save_bodies(fx.inbox, 7, &[(38, walrus.into_bytes())]).unwrap();
    set_query(&mut app, "walrus");
    assert!(shows(&app, "Indexing 1 message for search…"), "{:?}", texts(&app));
    assert!(hits(&app).is_empty());
    // The search's own store thread indexes it while idle; the results catch up.
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while shows(&app, "Indexing 1 message for search…") && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(300));
        set_query(&mut app, "walrus");
    }
    assert_eq!(places(&app), [(fx.inbox, 38)]);
    assert!(!texts(&app).iter().any(|t| t.starts_with("Indexing")));
}

#[test]
fn snapshot_of_hits_with_the_matches_marked() {
    let fx = fixture();
    let mut app = opened_indexed(&fx);
    set_query(&mut app, "photos OR zeppelin OR notes");
    press_key(&mut app, Named::ArrowDown, Modifiers::empty());
    assert_eq!(mailbox(&app).search_selected(), Some(0));
    let theme = tidings::theme::for_mode(Mode::Light);
    let mut ui = window(&app);
    assert_snapshot(&mut ui, &theme, "search-results-light");
}

/// Whether `m` is news of the server's search, and which.
fn server_news(m: &Message) -> Option<String> {
    match m {
        Message::Mailbox(mailbox::Message::Search(SearchMsg::Server(_, news))) => Some(format!("{news:?}")),
        _ => None,
    }
}

#[test]
fn a_word_only_in_a_body_not_stored_is_found_on_the_server_and_the_search_there_can_be_stopped() {
    use tidings_mail::account::SecretRole;
    use tidings_mail::auth::Credential;
    use tidings_mail::config::Config;
    use tidings_mail::net::Transcript;
    use tidings_mail::profile::Profile;
    use tidings_mail::secret::Secrets;
    use tidings_mail::store::{Store, StoreHandle};
    use tidings_mail::sync::{Engine, no_progress};

    let servers = tidings_testkit::MailServers::start().unwrap();
    let alice = servers.user("alice");
    let mail = |n: u32, subject: &str, body: &str| {
        format!(
            "From: Ann <ann@example.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
             Date: {n:02} Mar 2024 10:00:00 +0000\r\nMessage-ID: <{n}@example.test>\r\n\r\n{body}\r\n"
        )
    };
    servers.deliver(alice, mail(1, "Plans", "We fly the zeppelin on Friday.").as_bytes()).unwrap();
    servers.deliver(alice, mail(2, "Zeppelin tickets", "Attached.").as_bytes()).unwrap();
    servers.deliver(alice, mail(3, "Other", "Nothing to see.").as_bytes()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::at(dir.path());
    let mut config = Config::default();
    let account = account_for(servers.host(), servers.imaps_port(), &alice.login, Some(servers.ca_path()));
    config.add_account(account).unwrap();
    let secrets = Secrets::in_memory();
    secrets.set("work", SecretRole::Incoming, &alice.password).unwrap();
    // Headers only, as a sync stores them.
    let account = config.account("work").unwrap().clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store =
            StoreHandle::spawn(Store::open(profile.data_dir().join("mail.sqlite3")).unwrap()).unwrap();
        let credential = Credential::password(&alice.login, &alice.password);
        let mut engine = Engine::new(&account, credential, store, Transcript::new()).unwrap();
        assert!(engine.sync_account(&no_progress).await.unwrap().ok());
        engine.logout().await.unwrap();
    });
    let mut app = App::with_config(profile, secrets, config);
    click(&mut app, &tidings::screen::accounts::open_mailbox_id("work"));

    // The store finds the subject; the server the body it never sent.
    set_query(&mut app, "zeppelin");
    let found: Vec<(String, bool)> =
        hits(&app).iter().map(|h| (h.subject.clone().unwrap(), h.on_server)).collect();
    assert_eq!(found, [("Zeppelin tickets".to_string(), false), ("Plans".to_string(), true)]);
    for shown in ["on server", "Searched on the server too.", "2 messages match"] {
        assert!(shows(&app, shown), "{shown:?} is not shown: {:?}", texts(&app));
    }

    // Another query: while the server is searched, a line says so with Cancel; Cancel
    // drops what the search would still bring.
    let mut pending: std::collections::VecDeque<Message> =
        [Message::Mailbox(mailbox::Message::Search(SearchMsg::Changed("friday".into())))].into();
    let mut held = Vec::new();
    while let Some(m) = pending.pop_front() {
        match server_news(&m) {
            Some(news) if news.starts_with("Planned") => {
                settle(&mut app, vec![m]);
                held.extend(pending.drain(..));
            }
            Some(_) => held.push(m),
            None => pending.extend(common::run(app.update(m))),
        }
    }
    assert!(hits(&app).is_empty(), "the store has no body with the word");
    assert!(shows(&app, "Searching the server…"), "{:?}", texts(&app));
    let mut ui = window(&app);
    ui.click("Cancel").unwrap();
    let messages = ui.into_messages().collect();
    settle(&mut app, messages);
    assert!(shows(&app, "The server's search was stopped."), "{:?}", texts(&app));
    assert!(held.iter().any(|m| server_news(m).is_some_and(|n| n.starts_with("Folder"))), "{held:?}");
    settle(&mut app, held);
    assert!(hits(&app).is_empty(), "what the stopped search found is not shown");
    assert!(!shows(&app, "Searching the server…"));
}

/// A query matching more than the list shows at first: the newest 200, "Show 200 more"
/// adds the next ones (each once, the selection kept), and it is offered until all are shown.
#[test]
fn show_more_adds_the_next_hits_of_a_query_with_many() {
    let fx = fixture();
    let mut store = check_store(&fx);
    let many: Vec<_> = (1000..1450)
        .map(|uid| {
            let mut m = message(uid);
            m.summary.subject = Some(format!("Weekly digest {uid}"));
            m
        })
        .collect();
    store.insert_messages(fx.archive, 7, &many).unwrap();
    let mut app = opened(&fx);
    set_query(&mut app, "subject:digest");
    assert_eq!(hits(&app).len(), 200);
    assert!(shows(&app, "The newest 200 matching messages"), "{:?}", texts(&app));
    // The newest first: the highest UIDs (the fixture's dates grow with the UID).
    assert_eq!(hits(&app)[0].uid, 1449);
    press_key(&mut app, Named::ArrowDown, Modifiers::empty());
    press_key(&mut app, Named::ArrowDown, Modifiers::empty());
    let chosen = mailbox(&app).search_selected().map(|i| hits(&app)[i].uid);
    assert_eq!(chosen, Some(1448));

    let mut ui = window(&app);
    ui.click(id(mailbox::id::SEARCH_MORE)).unwrap();
    let messages = ui.into_messages().collect();
    settle(&mut app, messages);
    let uids: Vec<u32> = hits(&app).iter().map(|h| h.uid).collect();
    assert_eq!(uids, (1050..1450).rev().collect::<Vec<_>>(), "the next 200, each once");
    assert_eq!(mailbox(&app).search_selected().map(|i| hits(&app)[i].uid), Some(1448), "selection kept");

    settle(&mut app, vec![Message::Mailbox(mailbox::Message::Search(SearchMsg::More))]);
    assert_eq!(hits(&app).len(), 450);
    assert!(shows(&app, "450 messages match"), "{:?}", texts(&app));
    assert!(window(&app).find(id(mailbox::id::SEARCH_MORE)).is_err(), "nothing more to show");

    // A new query starts again from 200.
    set_query(&mut app, "subject:weekly");
    assert_eq!(hits(&app).len(), 200);
}
