//! Writes a profile for the smoke test (`scripts/smoke`): one IMAP account whose store holds
//! a few folders and messages (the newest with its body kept), and a UI state that opens its
//! Inbox with that message selected. The account never connects on its own (no send/receive
//! at start, no IDLE), so the window shows the same thing on every machine.
//!
//!     cargo run --release -p tidings-mail --example smoke_profile -- DIR [N]
//!
//! N: how many messages the Inbox holds (30 by default; the start-up benchmark,
//! scripts/bench-start, asks for 100,000).

use std::process::ExitCode;

use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::config::Config;
use tidings_mail::profile::Profile;
use tidings_mail::schedule::Schedule;
use tidings_mail::store::{Flags, FolderInfo, NewMessage, Role, Sort, Store, Summary};
use tidings_mail::ui_state::{Place, UiState};

const PEOPLE: &[(&str, &str)] = &[
    ("Alice Martin", "alice@example.test"),
    ("Bob Stone", "bob@example.test"),
    ("Carol Danvers", "carol@example.org"),
    ("Dave Null", "dave@example.com"),
    ("Erin Example", "erin@example.test"),
    ("Zoë Ørsted", "zoe@example.dk"),
];
const SUBJECTS: &[&str] = &[
    "Quarterly report",
    "Lunch on Friday?",
    "Build failed on main",
    "Invoice 2024-114",
    "Meeting notes",
    "Photos from the trip",
    "Re: Re-scheduling the review",
    "Your parcel is on its way",
];
/// How many messages the Inbox holds by default; the newest is selected and open in the reader.
const DEFAULT_COUNT: u32 = 30;

const BODY: &str = "From: \"Erin Example\" <erin@example.test>\r\n\
    To: Work <work@example.test>\r\nSubject: Photos from the trip\r\n\
    Date: Thu, 12 Dec 2024 16:00:00 +0000\r\nMIME-Version: 1.0\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\r\n\
    Hi,\r\n\r\nThe photos from the trip are online now: the lake on the first day, the hills\r\n\
    on the second. Tell me which ones you would like printed.\r\n\r\nErin\r\n";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), count) = (args.next(), args.next().map(|n| n.to_string_lossy().parse::<u32>())) else {
        eprintln!("usage: smoke_profile DIR [N]");
        return ExitCode::from(2);
    };
    let count = match count {
        None => DEFAULT_COUNT,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("smoke_profile: N is a number of messages, at least 1");
            return ExitCode::from(2);
        }
    };
    match write(&Profile::at(dir), count) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smoke_profile: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(profile: &Profile, newest: u32) -> tidings_mail::Result<()> {
    let server = |port| Server {
        host: "127.0.0.1".into(),
        port,
        security: Security::Implicit,
        user: "work".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    let mut account = Account::new(
        String::new(),
        "Work".into(),
        "work@example.test".into(),
        Incoming::Imap,
        server(993),
        server(465),
    );
    account.options.schedule = Schedule { at_start: false, every_minutes: None };
    account.options.idle = false;
    let mut config = Config::default();
    let id = config.add_account(account)?.id.clone();
    config.save(profile)?;

    let mut store = Store::open(profile.store_path())?;
    let key = store.account(&id)?;
    let info = |name: &str, role| FolderInfo {
        name: name.into(),
        delimiter: Some("/".into()),
        role,
        subscribed: true,
        selectable: true,
    };
    let folders = store.replace_folders(
        key,
        &[
            info("INBOX", Some(Role::Inbox)),
            info("Drafts", Some(Role::Drafts)),
            info("Sent", Some(Role::Sent)),
            info("Archive", Some(Role::Archive)),
            info("Trash", Some(Role::Trash)),
            info("INBOX/Lists", None),
        ],
    )?;
    for folder in &folders {
        store.begin_folder(folder.id, 1)?;
    }
    let inbox = folders.iter().find(|f| f.name == "INBOX").map(|f| f.id).unwrap_or(folders[0].id);
    // In the chunks a header sync commits.
    for chunk in (1..=newest).collect::<Vec<_>>().chunks(1000) {
        let messages: Vec<NewMessage> = chunk.iter().map(|&uid| message(uid, newest)).collect();
        store.insert_messages(inbox, 1, &messages)?;
    }
    store.save_body(inbox, 1, newest, BODY.as_bytes())?;

    let state = UiState {
        place: Some(Place {
            account: id,
            folder: Some("INBOX".into()),
            message: Some(newest),
            sort: Sort::NEWEST.into(),
            view: None,
        }),
        ..UiState::default()
    };
    state.save(&tidings_mail::ui_state::path(profile))
}

fn message(uid: u32, newest: u32) -> NewMessage {
    // The newest is Erin's (its body says so).
    let (name, addr) = if uid == newest { PEOPLE[4] } else { PEOPLE[uid as usize % PEOPLE.len()] };
    // A message every seven hours, the newest on 2024-12-09.
    let date = 1_733_011_200 + (i64::from(uid) - i64::from(newest)) * 7 * 3600 + 30 * 7 * 3600;
    let mut flags = Vec::new();
    if !uid.is_multiple_of(4) {
        flags.push("\\Seen");
    }
    if uid.is_multiple_of(7) {
        flags.push("\\Flagged");
    }
    let subject =
        if uid == newest { "Photos from the trip" } else { SUBJECTS[uid as usize % SUBJECTS.len()] };
    NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(flags),
        size: 1200 + (uid % 1000) * 337,
        internal_date: Some(date),
        summary: Summary {
            date: Some(date),
            from_name: Some(name.into()),
            from_addr: Some(addr.into()),
            to: Some("Work <work@example.test>".into()),
            subject: Some(subject.into()),
            ..Summary::default()
        },
        parse_error: None,
    }
}
