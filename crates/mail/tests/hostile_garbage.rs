//! Garbage at every state of a POP3 receive pass, an IMAP sync and an SMTP send, scripted
//! with the testkit's hostile server. At each state the server's answer is spoiled three
//! ways: replaced by a line of binary garbage (NUL, 0xff, a TLS record header, invalid
//! UTF-8, terminal escapes, then CRLF), replaced by garbage that never ends (no line end),
//! and preceded by a line of garbage (which a client may skip, as IMAP's unknown lines).
//! The client runs in a child process (the same test binary) so that its peak memory is
//! measured apart from the server's. Each case checks a clear error (its kind, a sentence
//! that names the server and says what it did, no password in it), the memory and disk the
//! client used, that it left no half-written file or half-stored message, and that nothing
//! is lost: what it deleted on the server it had stored, and a message the server did not
//! accept is still in the Outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;

use std::path::Path;
use std::time::Duration;

use tidings_mail::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
use tidings_mail::check::Passwords;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::options::Pop3Options;
use tidings_mail::outbox::{self, OutboxState, Outgoing};
use tidings_mail::store::{Sort, Store, StoreHandle};
use tidings_mail::{pop3, send, sync};
use tidings_testkit::hostile::{self, ChildRun, Hostile, Reply, Script};

/// The most memory a child client may hold in any of these cases.
const MAX_RSS_KB: u64 = 64 * 1024;
/// The most disk a case may leave behind (the store and its journal, spool folders).
const MAX_DISK: u64 = 8 * 1024 * 1024;
/// The password of every case: it must never show in an error.
const PASSWORD: &str = "secret-password";

/// The password, and as SASL PLAIN sends it.
static SECRETS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    use base64::Engine;
    let plain =
        |user: &str| base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{PASSWORD}"));
    vec![PASSWORD.to_string(), plain("user"), plain("alice")]
});

/// How the answer at the state under test is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Garbage {
    /// Replaced by one line of garbage, with CRLF.
    Line,
    /// Replaced by garbage without end, never a line end.
    Endless,
    /// A line of garbage, then the real answer.
    Before,
}

const ALL: [Garbage; 3] = [Garbage::Line, Garbage::Endless, Garbage::Before];

impl Garbage {
    fn spoil(self, answer: Reply) -> Reply {
        match self {
            Garbage::Line => Reply::garbage(),
            Garbage::Endless => Reply::endless_garbage(),
            Garbage::Before => Reply::garbage().then(answer),
        }
    }
}

/// Which of the commands matching a state's prefix get the spoiled answer (on each
/// connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    First,
    Second,
    Every,
}

/// A state of a session: the greeting (no prefixes), or the answer to the commands
/// starting with one of `prefixes`.
struct State {
    name: &'static str,
    prefixes: &'static [&'static str],
    which: Which,
}

const fn state(name: &'static str, prefixes: &'static [&'static str], which: Which) -> State {
    State { name, prefixes, which }
}

/// A server that answers every command of a session properly.
struct Dialog {
    greeting: Reply,
    rules: Vec<(String, Reply)>,
    otherwise: Reply,
}

impl Dialog {
    /// The dialog, with the answer at `state` spoiled by `garbage`.
    fn script(&self, state: &State, garbage: Garbage) -> Script {
        let mut s = if state.prefixes.is_empty() {
            Script::new(garbage.spoil(self.greeting.clone()))
        } else {
            Script::new(self.greeting.clone())
        };
        for prefix in state.prefixes {
            let answer = self.answer(prefix);
            s = match state.which {
                Which::First => s.once(prefix, garbage.spoil(answer)),
                Which::Second => s.once(prefix, answer.clone()).once(prefix, garbage.spoil(answer)),
                Which::Every => s.on(prefix, garbage.spoil(answer)),
            };
        }
        self.answering(s)
    }

    /// The dialog with nothing spoiled.
    fn clean(&self) -> Script {
        self.answering(Script::new(self.greeting.clone()))
    }

    /// `first`, then the proper answers.
    fn answering(&self, first: Script) -> Script {
        self.rules.iter().fold(first, |s, (p, r)| s.on(p, r.clone())).otherwise(self.otherwise.clone())
    }

    fn answer(&self, prefix: &str) -> Reply {
        let rule = self.rules.iter().find(|(p, _)| p == prefix);
        rule.unwrap_or_else(|| panic!("no rule answers {prefix}")).1.clone()
    }
}

/// What went wrong in the variants of a state, reported together at its end.
#[derive(Debug, Default)]
struct Failures(Vec<String>);

impl Failures {
    fn assert_none(&self) {
        assert!(self.0.is_empty(), "{} failed:\n{}", self.0.len(), self.0.join("\n"));
    }
}

/// Like `assert!`, but adds to the failures and goes on.
macro_rules! check {
    ($failures:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            $failures.0.push(format!($($msg)+));
        }
    };
}

/// Runs the child with `args` and checks what every case checks: it ended (a child that
/// panics fails `run_child`), within the memory limit and the disk limit.
async fn client(args: Vec<String>, dir: &Path, case: &str, f: &mut Failures) -> ChildRun {
    let run = hostile::run_child_async("child", args, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    check!(
        f,
        run.peak_rss_kb <= MAX_RSS_KB,
        "{case}: the client held {} KiB: {:?}",
        run.peak_rss_kb,
        run.lines
    );
    let used = disk_used(dir);
    check!(f, used <= MAX_DISK, "{case}: {used} bytes left on disk: {:?}", run.lines);
    let said = |k| run.get(k).unwrap_or("-");
    println!(
        "{case}: {} KiB, {used} bytes on disk; {} {}: {:?} ({:?})",
        run.peak_rss_kb,
        said("outcome"),
        said("kind"),
        said("message"),
        said("detail")
    );
    run
}

fn disk_used(dir: &Path) -> u64 {
    let mut total = 0;
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => todo.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// In the child: an error as `outcome`, `kind`, `message` and `detail` lines.
fn say_error(outcome: &str, kind: impl std::fmt::Display, message: &str, detail: &str) {
    hostile::child_say("outcome", outcome);
    hostile::child_say("kind", kind);
    hostile::child_say("message", message);
    hostile::child_say("detail", detail);
}

/// What a case must end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A clear error of the protocol kind: the server sent something unreadable.
    Unreadable,
    /// The garbage line is skipped, and then the server says nothing more: the client
    /// stops waiting (a network error, "stopped answering").
    Silence,
    /// The garbage is skipped or comes too late to matter: the client got what it needed.
    Done,
}

/// What the client says of garbage: it could not read it (or, for garbage without end,
/// that it went on too long).
const UNREADABLE: [&str; 7] = [
    "not POP3",
    "cannot understand",
    "did not answer like",
    "did not greet like",
    "not SMTP",
    "longer than",
    "without end",
];

/// Checks the child ended as `expect` says, with a clear error where there is one.
fn check_outcome(run: &ChildRun, expect: Expect, case: &str, f: &mut Failures) {
    let outcome = run.get("outcome").unwrap_or("none");
    if expect == Expect::Done {
        check!(f, outcome == "done", "{case}: not done: {:?}", run.lines);
        return;
    }
    check!(f, outcome != "done", "{case}: garbage taken for an answer: {:?}", run.lines);
    let (kind, message) = (run.get("kind").unwrap_or_default(), run.get("message").unwrap_or_default());
    let (want, words): (&str, &[&str]) = match expect {
        Expect::Silence => ("network", &["stopped answering"]),
        _ => ("protocol", &UNREADABLE),
    };
    check!(f, kind == want, "{case}: an error of kind {kind}, not {want}: {message:?}");
    check!(
        f,
        message.contains("127.0.0.1") || message.contains("the server"),
        "{case}: the error names no server: {message:?}"
    );
    check!(
        f,
        words.iter().any(|w| message.contains(w)),
        "{case}: the error does not say what happened: {message:?}"
    );
    // Server text is never passed on raw.
    check!(f, !message.contains(['\0', '\x1b', '\x07']), "{case}: raw control characters: {message:?}");
    let detail = run.get("detail").unwrap_or_default();
    for text in [message, detail] {
        let secret = SECRETS.iter().any(|s| text.contains(s.as_str()));
        check!(f, !secret, "{case}: the password is in the error: {text:?}");
    }
}

#[test]
#[ignore = "run by the other tests of this file, in a child process"]
fn child() {
    let args = hostile::child_args();
    let [proto, port, dir] = &args[..] else { return };
    let mut ep = Endpoint::new("127.0.0.1", port.parse().unwrap(), Security::None);
    // Short: a client that waits for more after skipping a garbage line waits this long.
    ep.timeouts.io = Duration::from_secs(2);
    let dir = Path::new(dir);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        match proto.as_str() {
            "pop3" => pop3_child(ep, dir).await,
            "imap" => imap_child(ep, dir).await,
            _ => smtp_child(ep, dir).await,
        }
    });
    hostile::child_done();
}

fn store(dir: &Path) -> StoreHandle {
    StoreHandle::spawn(Store::open(dir.join("store.sqlite3")).unwrap()).unwrap()
}

macro_rules! cases {
    ($run:ident: $($name:ident => $state:expr),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $run(&$state).await
            }
        )*
    };
}

// --- POP3 -----------------------------------------------------------------------------

fn pop3_message(i: u32) -> String {
    format!("Subject: garbage test {i}\r\nMessage-ID: <garbage.{i}@example.test>\r\n\r\nbody {i}\r\n")
}

/// A POP3 server with three messages.
fn pop3_dialog() -> Dialog {
    let text = |p: &str, t: String| (p.to_string(), Reply::text(t));
    let mut rules = vec![
        text("CAPA", "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n".into()),
        text("USER", "+OK\r\n".into()),
        text("PASS", "+OK logged in\r\n".into()),
        text("LIST", "+OK\r\n1 120\r\n2 130\r\n3 140\r\n.\r\n".into()),
        text("UIDL", "+OK\r\n1 U1\r\n2 U2\r\n3 U3\r\n.\r\n".into()),
        text("DELE", "+OK marked\r\n".into()),
        ("QUIT".into(), Reply::text("+OK bye\r\n").then(Reply::close())),
    ];
    rules.extend((1..=3).map(|n| text(&format!("RETR {n}"), format!("+OK\r\n{}.\r\n", pop3_message(n)))));
    Dialog {
        greeting: Reply::text("+OK hostile POP3 ready\r\n"),
        rules,
        otherwise: Reply::text("-ERR what?\r\n"),
    }
}

async fn pop3_child(ep: Endpoint, dir: &Path) {
    let target = pop3::Pop3Target::new(pop3_common::KEY, ep, "user", PASSWORD);
    let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
    let t = Transcript::new();
    match pop3::receive(&target, &opts, &store(dir), pop3_common::day(0), &t, &pop3::no_progress).await {
        Err(e) => say_error("failed", e.kind(), e.message(), &e.detail()),
        Ok(r) => {
            match &r.error {
                Some(e) => say_error("stopped", e.kind, &e.message, &e.detail),
                None => hostile::child_say("outcome", "done"),
            }
            hostile::child_say("quit-ok", r.quit_ok);
            let deleted: Vec<String> = r.deleted.iter().map(|i| i.number.to_string()).collect();
            hostile::child_say("deleted", deleted.join(","));
        }
    }
}

/// Message-IDs in the local Inbox (none before the pass made it).
fn pop3_stored(dir: &Path) -> Vec<String> {
    let mut st = Store::open(dir.join("store.sqlite3")).unwrap();
    let account = st.account(pop3_common::KEY).unwrap();
    let Some(inbox) = st.folder(account, "INBOX").unwrap() else { return Vec::new() };
    let rows = st.list(inbox.id, Sort::NEWEST, 0, 100).unwrap();
    rows.into_iter().filter_map(|r| r.summary.message_id).collect()
}

async fn pop3_case(state: &State) {
    let mut f = Failures::default();
    for garbage in ALL {
        let case = format!("POP3 {}, {garbage:?}", state.name);
        let server = Hostile::start(pop3_dialog().script(state, garbage)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let args = vec!["pop3".into(), server.port().to_string(), dir.path().display().to_string()];
        let run = client(args, dir.path(), &case, &mut f).await;
        // Every answer of POP3 is read from its first line: garbage there is never skipped.
        check_outcome(&run, Expect::Unreadable, &case, &mut f);
        let parts = hostile::part_files(dir.path());
        check!(f, parts.is_empty(), "{case}: left {parts:?}");
        // Nothing lost: every message the client asked to delete is stored, and without a
        // QUIT answered +OK nothing counts as deleted.
        let stored = pop3_stored(dir.path());
        for command in server.commands().iter().filter(|c| c.starts_with("DELE ")) {
            let id = format!("garbage.{}@example.test", &command[5..]);
            check!(f, stored.contains(&id), "{case}: {command} sent, but it is not stored: {stored:?}");
        }
        check!(f, run.get("quit-ok") != Some("true"), "{case}: {:?}", run.lines);
        check!(f, run.get("deleted").is_none_or(str::is_empty), "{case}: deleted {:?}", run.get("deleted"));
    }
    f.assert_none();
}

cases! { pop3_case:
    pop3_greeting => state("greeting", &[], Which::First),
    pop3_capa => state("CAPA", &["CAPA"], Which::First),
    pop3_user => state("USER", &["USER"], Which::First),
    pop3_pass => state("PASS", &["PASS"], Which::First),
    pop3_list => state("LIST", &["LIST"], Which::First),
    pop3_uidl => state("UIDL", &["UIDL"], Which::First),
    pop3_first_retr => state("RETR 1", &["RETR 1"], Which::First),
    pop3_middle_retr => state("RETR 2", &["RETR 2"], Which::First),
    pop3_dele => state("DELE", &["DELE"], Which::First),
    pop3_quit => state("QUIT", &["QUIT"], Which::First),
}

// --- IMAP -----------------------------------------------------------------------------

/// The header FETCH of both messages, and of each alone (a chunk whose answer cannot be
/// read is split until the bad message is alone).
const HEADER_FETCHES: [&str; 3] = [
    "UID FETCH 1:2 (UID FLAGS RFC822.SIZE INTERNALDATE BODY",
    "UID FETCH 2 (UID FLAGS RFC822.SIZE INTERNALDATE BODY",
    "UID FETCH 1 (UID FLAGS RFC822.SIZE INTERNALDATE BODY",
];
/// The flags FETCH of the second sync (nothing new: flags are compared).
const FLAGS_FETCH: &str = "UID FETCH 1:* (UID FLAGS)";

fn imap_header(uid: u32) -> String {
    format!(
        "Date: Mon, 1 Jan 2024 10:0{uid}:00 +0000\r\nFrom: Sender <s{uid}@example.test>\r\n\
         Subject: Message {uid}\r\nMessage-ID: <imap.{uid}@example.test>\r\n\r\n"
    )
}

/// The FETCH answer of `uids`: flags, size, date, and the header fields when `headers`.
fn fetch_answer(uids: &[u32], headers: bool) -> Reply {
    let mut out = String::new();
    for &uid in uids {
        let size = 1000 + uid;
        let date = "01-Jan-2024 10:00:00 +0000";
        out.push_str(&format!(
            "* {uid} FETCH (UID {uid} FLAGS (\\Seen) RFC822.SIZE {size} INTERNALDATE \"{date}\""
        ));
        if headers {
            let h = imap_header(uid);
            let fields = sync::headers::HEADER_FIELDS;
            out.push_str(&format!(" BODY[HEADER.FIELDS ({fields})] {{{}}}\r\n{h}", h.len()));
        }
        out.push_str(")\r\n");
    }
    Reply::text(out + "{tag} OK done\r\n")
}

/// An IMAP server with two messages in its INBOX.
fn imap_dialog() -> Dialog {
    let text = |p: &str, t: &str| (p.to_string(), Reply::text(t));
    let rules = vec![
        text("CAPABILITY", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"),
        text("LOGIN", "{tag} OK logged in\r\n"),
        text("LIST", "* LIST (\\HasNoChildren) \"/\" INBOX\r\n{tag} OK done\r\n"),
        text("LSUB", "* LSUB () \"/\" INBOX\r\n{tag} OK done\r\n"),
        text(
            "SELECT",
            "* FLAGS (\\Seen)\r\n* 2 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n* OK [UIDNEXT 3] ok\r\n\
             {tag} OK [READ-WRITE] selected\r\n",
        ),
        text("UID SEARCH", "* SEARCH 1 2\r\n{tag} OK done\r\n"),
        (HEADER_FETCHES[0].into(), fetch_answer(&[2, 1], true)),
        (HEADER_FETCHES[1].into(), fetch_answer(&[2], true)),
        (HEADER_FETCHES[2].into(), fetch_answer(&[1], true)),
        ("UID FETCH 2 (".into(), fetch_answer(&[2], false)),
        ("UID FETCH 1 (".into(), fetch_answer(&[1], false)),
        text(
            FLAGS_FETCH,
            "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n{tag} OK done\r\n",
        ),
        ("LOGOUT".into(), Reply::text("* BYE\r\n{tag} OK bye\r\n").then(Reply::close())),
    ];
    Dialog {
        greeting: Reply::text("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hostile IMAP ready\r\n"),
        rules,
        otherwise: Reply::text("{tag} BAD unknown command\r\n"),
    }
}

/// Two syncs (the second, with nothing new, compares flags), then a logout.
async fn imap_child(ep: Endpoint, dir: &Path) {
    let mut engine =
        sync::Engine::with_endpoint("garbage", ep, "user", PASSWORD, store(dir), Transcript::new());
    let mut failed = false;
    for _ in 0..2 {
        match engine.sync_account(&sync::no_progress).await {
            Err(e) => {
                say_error("failed", e.kind(), e.message(), &e.detail());
                failed = true;
            }
            Ok(r) => {
                let folder_error = r.folders.iter().find_map(|f| f.error.as_ref());
                if let Some(e) = r.error.as_ref().or(folder_error) {
                    say_error("stopped", e.kind, &e.message, &e.detail);
                    failed = true;
                }
                let errors: u64 = r.folders.iter().map(|f| f.errors).sum();
                hostile::child_say("error-rows", errors);
            }
        }
        if failed {
            break;
        }
    }
    if !failed {
        hostile::child_say("outcome", "done");
    }
    match engine.logout().await {
        Ok(()) => hostile::child_say("logout", "ok"),
        Err(e) => hostile::child_say("logout", format!("{}: {}", e.kind(), e.message())),
    }
}

/// UID, Subject, Message-ID and parse error of each message the store holds.
type Row = (u32, Option<String>, Option<String>, Option<String>);

fn imap_rows(dir: &Path) -> Vec<Row> {
    let mut st = Store::open(dir.join("store.sqlite3")).unwrap();
    let account = st.account("garbage").unwrap();
    let mut out = Vec::new();
    for f in st.folders(account).unwrap() {
        for r in st.list(f.id, Sort::NEWEST, 0, 100).unwrap() {
            out.push((r.uid, r.summary.subject, r.summary.message_id, r.parse_error));
        }
    }
    out
}

async fn imap_case(state: &State) {
    let mut f = Failures::default();
    for garbage in ALL {
        let case = format!("IMAP {}, {garbage:?}", state.name);
        let server = Hostile::start(imap_dialog().script(state, garbage)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let args = vec!["imap".into(), server.port().to_string(), dir.path().display().to_string()];
        let run = client(args, dir.path(), &case, &mut f).await;
        let expect = match (state.name, garbage) {
            // Before logging in, lines that are neither tagged nor the capability list are
            // skipped: a garbage line alone leaves the client waiting for the tagged one.
            ("CAPABILITY before login", Garbage::Line) => Expect::Silence,
            ("CAPABILITY before login", Garbage::Before) => Expect::Done,
            // A header answer that cannot be read is split until each message is alone;
            // each is then stored as an error row (from a FETCH without headers) and the
            // sync goes on.
            ("header FETCH", _) => Expect::Done,
            // The syncs were complete: a failed logout is not an error of theirs.
            ("LOGOUT", _) => Expect::Done,
            _ => Expect::Unreadable,
        };
        check_outcome(&run, expect, &case, &mut f);
        let rows = imap_rows(dir.path());
        if expect == Expect::Done {
            check!(f, rows.len() == 2, "{case}: {rows:?}");
        }
        match state.name {
            "header FETCH" => {
                check!(f, run.get("error-rows") == Some("2"), "{case}: {:?}", run.lines);
                check!(f, rows.iter().all(|r| r.3.is_some()), "{case}: error rows: {rows:?}");
            }
            "LOGOUT" => check!(f, run.get("logout").is_some_and(|l| l != "ok"), "{case}: {:?}", run.lines),
            _ => {}
        }
        // No half message: each row has its header fields, or is an error row that says so.
        for (uid, subject, id, error) in &rows {
            let whole = match error {
                Some(why) => why.contains("could not be read") && subject.is_none() && id.is_none(),
                None => {
                    subject.as_deref() == Some(format!("Message {uid}").as_str())
                        && id.as_deref() == Some(format!("imap.{uid}@example.test").as_str())
                }
            };
            check!(f, whole, "{case}: a half-stored message: {rows:?}");
        }
    }
    f.assert_none();
}

cases! { imap_case:
    imap_greeting => state("greeting", &[], Which::First),
    imap_capability_before_login => state("CAPABILITY before login", &["CAPABILITY"], Which::First),
    imap_login => state("LOGIN", &["LOGIN"], Which::First),
    imap_capability_after_login => state("CAPABILITY after login", &["CAPABILITY"], Which::Second),
    imap_list => state("LIST", &["LIST"], Which::First),
    imap_lsub => state("LSUB", &["LSUB"], Which::First),
    imap_select => state("SELECT", &["SELECT"], Which::First),
    imap_uid_search => state("UID SEARCH", &["UID SEARCH"], Which::First),
    imap_header_fetch => state("header FETCH", &HEADER_FETCHES, Which::Every),
    imap_flags_fetch => state("flags FETCH", &[FLAGS_FETCH], Which::First),
    imap_logout => state("LOGOUT", &["LOGOUT"], Which::First),
}

// --- SMTP -----------------------------------------------------------------------------

/// An SMTP server that takes anything. The lines of the message data get no answer (but
/// the final ".").
fn smtp_dialog() -> Dialog {
    let text = |p: &str, t: &str| (p.to_string(), Reply::text(t));
    let rules = vec![
        text("EHLO", "250-hostile.example.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"),
        text("AUTH", "235 2.7.0 Authentication successful\r\n"),
        text("MAIL", "250 2.1.0 Ok\r\n"),
        text("RCPT", "250 2.1.5 Ok\r\n"),
        text("DATA", "354 End data with <CR><LF>.<CR><LF>\r\n"),
        text(".", "250 2.0.0 Ok: queued as GARBAGE1\r\n"),
        text("RSET", "250 2.0.0 Ok\r\n"),
        ("QUIT".into(), Reply::text("221 2.0.0 Bye\r\n").then(Reply::close())),
    ];
    Dialog { greeting: Reply::text("220 hostile ESMTP\r\n"), rules, otherwise: Reply::text("") }
}

/// A POP3 account (its Sent copies stay local) sending through `ep`.
fn smtp_account(ep: &Endpoint) -> Account {
    let server = |port| Server {
        host: ep.host.clone(),
        port,
        security: Security::None,
        user: "alice".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    Account::new(
        "garbage".into(),
        "garbage".into(),
        "alice@example.test".into(),
        Incoming::Pop3,
        server(1),
        server(ep.port),
    )
}

/// Queues one message and flushes the Outbox.
async fn smtp_child(ep: Endpoint, dir: &Path) {
    let st = store(dir);
    let account = smtp_account(&ep);
    let raw = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: note\r\n\r\nhello\r\n";
    let message = Outgoing::from_message(raw.as_bytes(), "alice@example.test").unwrap();
    outbox::enqueue(&st, &account.id, message).await.unwrap();
    let pw = Passwords { incoming: PASSWORD.into(), outgoing: PASSWORD.into() }.credentials(&account);
    let progress = |_: &send::SendProgress| {};
    let r = send::flush_outbox(&st, &account, &pw, &Transcript::new(), &progress).await.unwrap();
    hostile::child_say("sent", r.sent.len());
    hostile::child_say("held", r.held.len());
    // A held message's error is on its row.
    let held_error = r.held.iter().find_map(|i| i.last_error.as_ref());
    match (r.first_error(), held_error) {
        (Some(e), _) => say_error("failed", e.kind(), e.message(), &e.detail()),
        (None, Some(e)) => say_error("held", e.kind, &e.message, e.server.as_deref().unwrap_or_default()),
        (None, None) => hostile::child_say("outcome", "done"),
    }
}

async fn smtp_case(state: &State) {
    let mut f = Failures::default();
    for garbage in ALL {
        let case = format!("SMTP {}, {garbage:?}", state.name);
        let server = Hostile::start(smtp_dialog().script(state, garbage)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let args = vec!["smtp".into(), server.port().to_string(), dir.path().display().to_string()];
        let run = client(args, dir.path(), &case, &mut f).await;
        let left = outbox::list(&store(dir.path()), Some("garbage")).await.unwrap();
        if state.name == "QUIT" {
            // Accepted with a 250 before: sent, filed, gone from the Outbox.
            check_outcome(&run, Expect::Done, &case, &mut f);
            check!(f, run.get("sent") == Some("1"), "{case}: {:?}", run.lines);
            check!(f, left.is_empty(), "{case}: {left:?}");
            continue;
        }
        check_outcome(&run, Expect::Unreadable, &case, &mut f);
        // Nothing lost: not confirmed with a 250 after the data, so not sent, and still in
        // the Outbox: queued again, or held when the server may have taken it.
        check!(f, run.get("sent") == Some("0"), "{case}: {:?}", run.lines);
        let handed_over = state.name == "end of data";
        let expected = if handed_over { OutboxState::Submitting } else { OutboxState::Queued };
        let states: Vec<OutboxState> = left.iter().map(|i| i.state).collect();
        check!(f, states == [expected], "{case}: the Outbox holds {states:?}, not [{expected:?}]");
        let held = run.get("held");
        check!(f, held == Some(if handed_over { "1" } else { "0" }), "{case}: held {held:?}");
    }
    f.assert_none();
}

cases! { smtp_case:
    smtp_greeting => state("greeting", &[], Which::First),
    // Ours, then lettre's own (it is handed the session after ours).
    smtp_first_ehlo => state("first EHLO", &["EHLO"], Which::First),
    smtp_second_ehlo => state("second EHLO", &["EHLO"], Which::Second),
    smtp_auth => state("AUTH", &["AUTH"], Which::First),
    smtp_mail => state("MAIL", &["MAIL"], Which::First),
    smtp_rcpt => state("RCPT", &["RCPT"], Which::First),
    smtp_data => state("DATA", &["DATA"], Which::First),
    smtp_end_of_data => state("end of data", &["."], Which::First),
    smtp_quit => state("QUIT", &["QUIT"], Which::First),
}

/// The scripts answer a whole session properly, and it goes through every state above:
/// each garbage case spoils one state of a good dialog.
#[tokio::test]
async fn the_dialogs_are_complete_without_garbage() {
    let pop3 = "CAPA, USER, PASS, LIST, UIDL, RETR, RETR, RETR, DELE, DELE, DELE, QUIT";
    let imap = concat!(
        r#"CAPABILITY, LOGIN "user" "secret-password", CAPABILITY, LIST "" *, LSUB "" "*", "#,
        r#"SELECT "INBOX", UID SEARCH ALL, "#,
        "UID FETCH 1:2 (UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS, ",
        r#"LIST "" *, LSUB "" "*", SELECT "INBOX", UID FETCH 1:* (UID FLAGS), LOGOUT"#
    );
    let smtp = "EHLO, EHLO, AUTH, MAIL, RCPT, DATA, ., QUIT";
    for (proto, dialog) in [("pop3", pop3_dialog()), ("imap", imap_dialog()), ("smtp", smtp_dialog())] {
        let server = Hostile::start(dialog.clean()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let args = vec![proto.into(), server.port().to_string(), dir.path().display().to_string()];
        let mut f = Failures::default();
        let run = client(args, dir.path(), proto, &mut f).await;
        f.assert_none();
        assert_eq!(run.get("outcome"), Some("done"), "{proto}: {:?}", run.lines);
        match proto {
            "pop3" => {
                assert_eq!(run.get("deleted"), Some("1,2,3"), "{:?}", run.lines);
                assert_eq!(pop3_stored(dir.path()).len(), 3);
            }
            "imap" => {
                assert_eq!(run.get("logout"), Some("ok"), "{:?}", run.lines);
                let rows = imap_rows(dir.path());
                assert!(rows.len() == 2 && rows.iter().all(|r| r.3.is_none()), "{rows:?}");
            }
            _ => assert_eq!(run.get("sent"), Some("1"), "{:?}", run.lines),
        }
        // The commands without tags and arguments (for SMTP, not the lines of the message).
        let name = |c: &String| -> String {
            match proto {
                "imap" => {
                    c.split_once(' ').map_or("", |(_, rest)| rest).split(" (DATE").next().unwrap_or("").into()
                }
                "pop3" => c.split(' ').next().unwrap_or("").into(),
                _ => c.split([' ', ':']).next().unwrap_or("").into(),
            }
        };
        let smtp_words = ["EHLO", "AUTH", "MAIL", "RCPT", "DATA", ".", "QUIT"];
        let commands: Vec<String> = server
            .commands()
            .iter()
            .map(name)
            .filter(|c| proto != "smtp" || smtp_words.contains(&c.as_str()))
            .collect();
        let expected = match proto {
            "pop3" => pop3,
            "imap" => imap,
            _ => smtp,
        };
        assert_eq!(commands.join(", "), expected, "{proto}: {:?}", server.commands());
    }
}
