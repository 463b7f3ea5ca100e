//! `tidings inspect` with a log-in samples the newest messages: by default its output (JSON
//! or Markdown) holds none of their senders, subjects or bodies; `--include-content` puts
//! them into the transcript and says so at the top. IMAP and POP3, against real Dovecot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_common;

use cli_common::{json, servers, text};

/// Words of the sampled message that must not leave the mailbox by default.
const PRIVATE: [&str; 3] = ["Wilhelmina Quixote", "Zebra umbrella minutes", "marmalade treaty"];

const MESSAGE: &str = "From: Wilhelmina Quixote <quixote@example.test>\r\n\
    To: alice@example.test\r\n\
    Subject: Zebra umbrella minutes\r\n\
    Date: Mon, 2 Mar 2026 10:15:30 +0000\r\n\
    Message-ID: <zebra@example.test>\r\n\
    MIME-Version: 1.0\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\
    \r\n\
    The marmalade treaty is signed at dawn.\r\n";

#[test]
fn inspect_leaves_message_content_out_unless_asked() {
    let s = servers();
    let alice = s.user("alice");
    s.seed(alice, 1).unwrap();
    s.deliver(alice, MESSAGE.as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = s.ca_path().to_str().unwrap();
    let stdin = format!("{}\n", alice.password);
    for (scheme, port) in [("imaps", s.imaps_port()), ("pop3s", s.pop3s_port())] {
        let url = format!("{scheme}://127.0.0.1:{port}");
        let base = ["inspect", &url, "--user", &alice.email, "--password-stdin", "--ca-file", ca];
        for format in ["--json", "--markdown"] {
            let out = cli_common::run(dir.path(), &[&base[..], &[format]].concat(), Some(stdin.as_bytes()));
            let all = text(&out);
            assert!(out.status.success(), "{url} {format}: {all}");
            let leaked: Vec<&str> = PRIVATE.into_iter().filter(|w| all.contains(w)).collect();
            assert!(leaked.is_empty(), "{url} {format}: {leaked:?} in the output:\n{all}");
            assert!(all.contains(" bytes of message data not shown>"), "{url} {format}: {all}");
            assert!(!all.contains("This report contains message content"), "{all}");
            if format == "--json" {
                let r = json(&out);
                assert_eq!(r["includes_content"], false, "{r:#}");
                let formats =
                    r["checks"].as_array().unwrap().iter().find(|c| c["name"] == "Formats delivered");
                assert_eq!(formats.unwrap()["evidence"].as_array().unwrap().len(), 2, "{r:#}");
            }

            let args = [&base[..], &[format, "--include-content"]].concat();
            let out = cli_common::run(dir.path(), &args, Some(stdin.as_bytes()));
            let all = text(&out);
            assert!(out.status.success(), "{url} {format}: {all}");
            for word in PRIVATE {
                assert!(all.contains(word), "{url} {format} --include-content: no {word:?} in\n{all}");
            }
            assert!(!all.contains(&alice.password), "{url} {format}: the password is in the output");
            if format == "--json" {
                assert_eq!(json(&out)["includes_content"], true);
            } else {
                let top = format!("# Inspection of {url}\n\n**This report contains message content**");
                assert!(all.starts_with(&top), "{all}");
            }
        }
    }
}
