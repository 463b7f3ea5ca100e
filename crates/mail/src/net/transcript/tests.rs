use super::*;

fn texts(t: &Transcript) -> Vec<String> {
    t.lines().into_iter().map(|l| format!("{} {}", l.dir.marker(), l.text)).collect()
}

#[test]
fn imap_login_is_redacted_and_lines_split_across_reads() {
    let t = Transcript::new();
    t.record(Dir::Server, b"* OK ready\r\n");
    t.record(Dir::Client, b"a1 LOGIN alice \"s3cr");
    t.record(Dir::Client, b"et\"\r\n");
    t.record(Dir::Server, b"a1 OK Logged in\r\na2 ");
    t.record(Dir::Client, b"a2 SELECT INBOX\r\n");
    assert_eq!(
        texts(&t),
        ["S: * OK ready", "C: a1 LOGIN <redacted>", "S: a1 OK Logged in", "C: a2 SELECT INBOX"]
    );
}

#[test]
fn sasl_continuations_are_redacted_until_the_server_ends_them() {
    let t = Transcript::new();
    t.record(Dir::Client, b"AUTH LOGIN\r\n");
    t.record(Dir::Server, b"334 VXNlcm5hbWU6\r\n");
    t.record(Dir::Client, b"YWxpY2U=\r\n");
    t.record(Dir::Server, b"334 UGFzc3dvcmQ6\r\n");
    t.record(Dir::Client, b"c2VjcmV0\r\n");
    t.record(Dir::Server, b"235 2.7.0 Authentication successful\r\n");
    t.record(Dir::Client, b"MAIL FROM:<alice@example.test>\r\n");
    let all = texts(&t).join("\n");
    assert!(!all.contains("YWxpY2U=") && !all.contains("c2VjcmV0"), "{all}");
    assert!(all.contains("C: AUTH LOGIN\n"));
    assert!(all.contains("C: MAIL FROM:<alice@example.test>"));
}

#[test]
fn pop3_pass_and_auth_plain_initial_response() {
    let t = Transcript::new();
    t.record(Dir::Client, b"USER alice\r\nPASS hunter22\r\n");
    t.record(Dir::Server, b"+OK Logged in.\r\n");
    t.record(Dir::Client, b"AUTH PLAIN AGFsaWNlAGh1bnRlcjIy\r\n");
    t.record(Dir::Server, b"-ERR [AUTH] Authentication failed.\r\n");
    t.record(Dir::Client, b"STAT\r\n");
    assert_eq!(
        texts(&t),
        [
            "C: USER alice",
            "C: PASS <redacted>",
            "S: +OK Logged in.",
            "C: AUTH PLAIN <redacted>",
            "S: -ERR [AUTH] Authentication failed.",
            "C: STAT"
        ]
    );
}

#[test]
fn smtp_message_text_is_not_taken_for_commands() {
    let t = Transcript::new();
    t.record(Dir::Client, b"DATA\r\n");
    t.record(Dir::Server, b"354 End data with <CR><LF>.<CR><LF>\r\n");
    t.record(Dir::Client, b"Subject: hi\r\n\r\nLogin details below\r\nPass it on\r\n.\r\n");
    t.record(Dir::Server, b"250 2.0.0 Ok: queued\r\n");
    t.record(Dir::Client, b"AUTH PLAIN AGEAYg==\r\n");
    let all = texts(&t).join("\n");
    assert!(all.contains("C: Login details below\nC: Pass it on\nC: ."), "{all}");
    assert!(all.contains("C: AUTH PLAIN <redacted>"), "{all}");
}

#[test]
fn registered_secrets_are_scrubbed_everywhere() {
    let t = Transcript::new();
    t.add_secret("hunter22");
    t.record(Dir::Server, b"a9 BAD unknown command hunter22\r\n");
    t.note("trying hunter22");
    assert!(!t.render().contains("hunter22"), "{}", t.render());
}

#[test]
fn bounded_and_long_lines_truncated() {
    let t = Transcript::with_capacity(3);
    for i in 0..5 {
        t.record(Dir::Server, format!("* {i} EXISTS\r\n").as_bytes());
    }
    assert_eq!(t.dropped(), 2);
    assert_eq!(t.lines()[0].text, "* 2 EXISTS");
    let long = "x".repeat(5000) + "\r\n";
    t.record(Dir::Server, long.as_bytes());
    assert!(t.last_server_line().unwrap_or_default().ends_with("(3000 more bytes)"));
}

#[test]
fn literals_can_be_shown_as_their_size_only() {
    let t = Transcript::new();
    t.elide_literals(true);
    t.record(Dir::Server, b"* 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)] {27}\r\nSubject: Personal");
    t.record(Dir::Server, b" stuff\r\n\r\n)\r\n* 2 FETCH (UID 8 FLAGS (\\Seen))\r\n");
    assert_eq!(
        texts(&t),
        [
            "S: * 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)] {27}",
            "S: <27 bytes of message data not shown>",
            "S: )",
            "S: * 2 FETCH (UID 8 FLAGS (\\Seen))"
        ]
    );
    // Off (the default): everything shows, as the inspector wants.
    let t = Transcript::new();
    t.record(Dir::Server, b"* 1 FETCH (BODY[] {5}\r\nhello)\r\n");
    assert!(t.render().contains("hello)"));
    assert_eq!(super::literal_size(b"a APPEND x {310+}"), Some(310));
    assert_eq!(super::literal_size(b"a {x}"), None);
}

/// A POP3 pass: status lines and listings show, message data does not, with the
/// downloads pipelined and their answers read in pieces of `piece` bytes.
fn pop3_pass(t: &Transcript, piece: usize) {
    let steps: [(Dir, &[u8]); 13] = [
        (Dir::Server, b"+OK ready\r\n"),
        (Dir::Client, b"USER alice\r\n"),
        (Dir::Server, b"+OK\r\n"),
        (Dir::Client, b"PASS hunter22\r\n"),
        (Dir::Server, b"+OK Logged in.\r\n"),
        (Dir::Client, b"CAPA\r\n"),
        (Dir::Server, b"+OK\r\nPIPELINING\r\n.\r\n"),
        (Dir::Client, b"UIDL\r\n"),
        (Dir::Server, b"+OK\r\n1 u1\r\n2 u2\r\n.\r\n"),
        (Dir::Client, b"RETR 1\r\nRETR 2\r\nTOP 3 0\r\nRETR 9\r\n"),
        (
            Dir::Server,
            b"+OK 40 octets\r\nSubject: Personal\r\n\r\n..dotted line\r\n.\r\n\
              +OK 3 octets\r\n.\r\n\
              +OK\r\nSubject: head only\r\n\r\n.\r\n\
              -ERR no such message\r\n",
        ),
        (Dir::Client, b"DELE 1\r\nQUIT\r\n"),
        (Dir::Server, b"+OK marked\r\n+OK bye\r\n"),
    ];
    for (dir, bytes) in steps {
        for chunk in bytes.chunks(piece) {
            t.record(dir, chunk);
        }
    }
}

#[test]
fn pop3_message_data_can_be_shown_as_its_size_only() {
    let expected = [
        "S: +OK ready",
        "C: USER alice",
        "S: +OK",
        "C: PASS <redacted>",
        "S: +OK Logged in.",
        "C: CAPA",
        "S: +OK",
        "S: PIPELINING",
        "S: .",
        "C: UIDL",
        "S: +OK",
        "S: 1 u1",
        "S: 2 u2",
        "S: .",
        "C: RETR 1",
        "C: RETR 2",
        "C: TOP 3 0",
        "C: RETR 9",
        "S: +OK 40 octets",
        "S: <36 bytes of message data not shown>",
        "S: .",
        "S: +OK 3 octets",
        "S: <0 bytes of message data not shown>",
        "S: .",
        "S: +OK",
        "S: <22 bytes of message data not shown>",
        "S: .",
        "S: -ERR no such message",
        "C: DELE 1",
        "C: QUIT",
        "S: +OK marked",
        "S: +OK bye",
    ];
    // Whatever the reads' sizes: whole, small pieces, byte by byte.
    for piece in [1000, 7, 1] {
        let t = Transcript::new();
        t.elide_pop3_data(true);
        pop3_pass(&t, piece);
        assert_eq!(texts(&t), expected, "pieces of {piece}");
        assert!(!t.render().contains("Personal") && !t.render().contains("hunter22"));
    }
    // Off (the default, as the inspector has it): the message shows.
    let t = Transcript::new();
    pop3_pass(&t, 1000);
    let all = t.render();
    assert!(all.contains("S: Subject: Personal") && all.contains("S: ..dotted line"), "{all}");
}

#[test]
fn pop3_data_with_bare_line_feeds_and_a_dot_carriage_return_inside() {
    let t = Transcript::new();
    t.elide_pop3_data(true);
    t.record(Dir::Client, b"RETR 1\r\nNOOP\r\n");
    t.record(Dir::Server, b"+OK\nA: b\n\n.\rx\n..\n.\n+OK still here\r\n");
    assert_eq!(
        texts(&t),
        [
            "C: RETR 1",
            "C: NOOP",
            "S: +OK",
            "S: <13 bytes of message data not shown>",
            "S: .",
            "S: +OK still here"
        ]
    );
}

#[test]
fn watchers_see_redacted_lines_and_stages_live() {
    let t = Transcript::new();
    let mut rx = t.watch();
    t.record(Dir::Client, b"a1 LOGIN alice pw\r\n");
    t.stage(StageName::Login, Duration::ZERO, true, None);
    let mut got = Vec::new();
    while let Ok(e) = rx.try_recv() {
        got.push(e);
    }
    assert!(matches!(&got[0], Event::Line(l) if l.text == "a1 LOGIN <redacted>"));
    assert!(got.iter().any(|e| matches!(e, Event::Stage(s) if s.name == StageName::Login)));
    drop(rx);
    t.note("nobody listens");
    assert!(t.lock().watchers.is_empty());
}

#[test]
fn log_file_gets_redacted_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs/a.log");
    let t = Transcript::new();
    t.log_to(&path).unwrap();
    t.record(Dir::Client, b"a1 LOGIN alice pw123\r\n");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("LOGIN <redacted>") && !text.contains("pw123"), "{text}");
}

#[test]
fn a_full_log_is_moved_aside_when_the_next_connection_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs/a.log");
    let first = Transcript::new();
    first.log_to_keeping(&path, 200).unwrap();
    first.note("first connection");
    // Not full yet: the next connection appends.
    let second = Transcript::new();
    second.log_to_keeping(&path, 200).unwrap();
    second.note("x".repeat(300));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("first connection") && text.contains("xxx"), "{text}");
    assert!(!rotated_log(&path).exists());
    // Full: moved aside whole, and a new file begins.
    let third = Transcript::new();
    third.log_to_keeping(&path, 200).unwrap();
    third.note("third connection");
    assert_eq!(std::fs::read_to_string(rotated_log(&path)).unwrap(), text);
    let now = std::fs::read_to_string(&path).unwrap();
    assert!(now.contains("third connection") && !now.contains("first connection"), "{now}");
    // The older part is replaced the next time, not kept forever.
    third.note("y".repeat(300));
    Transcript::new().log_to_keeping(&path, 200).unwrap();
    let older = std::fs::read_to_string(rotated_log(&path)).unwrap();
    assert!(older.contains("third connection") && !older.contains("first connection"), "{older}");
    assert_eq!(rotated_log(&path), dir.path().join("logs/a.log.1"));
}

#[test]
fn smtp_message_text_can_be_shown_as_its_size_only() {
    let t = Transcript::new();
    t.elide_smtp_data(true);
    t.record(Dir::Client, b"DATA\r\n");
    t.record(Dir::Server, b"354 End data with <CR><LF>.<CR><LF>\r\n");
    // The text arrives in pieces, with a stuffed dot and a line that only looks like an end.
    let text: &[u8] = b"Subject: secret plans\r\n\r\n..hidden\r\n.x\r\nbody\r\n.\r\n";
    for piece in text[..text.len() - 3].chunks(5) {
        t.record(Dir::Client, piece);
    }
    t.record(Dir::Client, b".\r\n");
    t.record(Dir::Server, b"250 2.0.0 Ok: queued\r\n");
    t.record(Dir::Client, b"QUIT\r\n");
    let all = texts(&t).join("\n");
    let size = text.len() - 3;
    assert!(
        all.contains(&format!("C: DATA\nS: 354 End data with <CR><LF>.<CR><LF>\nC: <{size} bytes of message data not shown>\nC: .\nS: 250 2.0.0 Ok: queued\nC: QUIT")),
        "{all}"
    );
    assert!(!all.contains("secret") && !all.contains("hidden") && !all.contains("body"), "{all}");
}

#[test]
fn smtp_data_refused_before_the_text_elides_nothing_after() {
    let t = Transcript::new();
    t.elide_smtp_data(true);
    t.record(Dir::Client, b"DATA\r\n");
    t.record(Dir::Server, b"554 5.5.1 Error: no valid recipients\r\n");
    t.record(Dir::Client, b"RSET\r\n");
    t.record(Dir::Server, b"250 2.0.0 Ok\r\n");
    let all = texts(&t).join("\n");
    assert!(all.contains("C: RSET\nS: 250 2.0.0 Ok"), "{all}");
}

#[test]
fn the_servers_bytes_are_counted_for_progress_whatever_the_lines_show() {
    let t = Transcript::new();
    t.record(Dir::Server, b"* OK ready\r\n");
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    t.count_received(counter.clone());
    t.elide_literals(true);
    t.record(Dir::Client, b"a1 UID FETCH 7 BODY.PEEK[]\r\n");
    t.record(Dir::Server, b"* 1 FETCH (UID 7 BODY[] {10}\r\n");
    t.record(Dir::Server, b"0123456789)\r\n");
    // Only what the server sent after counting began; the literal counts though it is elided.
    let load = counter.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(load, 30 + 13, "{load}");
}
