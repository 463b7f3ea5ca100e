//! The inspector's report holds no message content unless it is asked for: real Dovecot holds
//! messages with a distinctive sender, subject and body; inspecting IMAP and POP3 with a
//! log-in samples them, and none of those words reach the JSON or the Markdown — the checks
//! still measure them. With `include_content` the transcript shows them, and the report says
//! so at its top. A server whose answer to the sample's fetch cannot be parsed is not quoted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::account::Security;
use tidings_mail::inspect::{Credentials, InspectOptions, Report, Target, Verdict, inspect};
use tidings_mail::net::{Transcript, TrustAnchors};
use tidings_testkit::hostile::{Hostile, Reply, Script};

/// Words of the sampled messages that must not leave the mailbox by default.
const PRIVATE: [&str; 4] =
    ["Wilhelmina Quixote", "quixote@example.test", "Zebra umbrella minutes", "marmalade treaty"];

fn private_message(n: usize) -> Vec<u8> {
    format!(
        "From: Wilhelmina Quixote <quixote@example.test>\r\n\
         To: alice@example.test\r\n\
         Subject: Zebra umbrella minutes {n}\r\n\
         Date: Mon, 2 Mar 2026 10:15:30 +0000\r\n\
         Message-ID: <zebra-{n}@example.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         The marmalade treaty is signed at dawn.\r\n"
    )
    .into_bytes()
}

fn leaks(report: &Report) -> Vec<&'static str> {
    let json = serde_json::to_string(report).unwrap();
    let md = report.to_markdown();
    PRIVATE.into_iter().filter(|w| json.contains(w) || md.contains(w)).collect()
}

#[tokio::test]
async fn sampled_messages_stay_out_of_the_report_unless_content_is_asked_for() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 2).unwrap();
    for n in 1..=2 {
        s.deliver(alice, &private_message(n)).unwrap();
    }
    let trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    for (scheme, port) in [("imaps", s.imaps_port()), ("pop3s", s.pop3s_port()), ("pop3", s.pop3_port())] {
        let target = Target::parse(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
        let creds = || Some(Credentials::password(alice.email.clone(), alice.password.clone()));

        let r =
            inspect(&target, trust.clone(), creds(), &InspectOptions::default(), &Transcript::new()).await;
        let md = r.to_markdown();
        assert!(r.ok, "{scheme}: {md}");
        assert_eq!(leaks(&r), Vec::<&str>::new(), "{scheme}: message content in the report:\n{md}");
        assert!(!r.includes_content && !md.contains("This report contains message content"), "{md}");
        assert!(md.contains("## Transcript (credentials redacted, message content left out)"), "{md}");
        // The checks still read the messages: sizes compared, formats named.
        let check = |name: &str| r.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("{md}"));
        assert_eq!(check("Sizes").verdict, Verdict::Pass, "{scheme}: {md}");
        assert_eq!(check("Sizes").evidence.len(), 4, "{scheme}: {md}");
        let formats = &check("Formats delivered").evidence;
        assert_eq!(formats.len(), 4, "{scheme}: {md}");
        assert!(
            formats.iter().filter(|e| e.ends_with(": text only (text/plain)")).count() >= 2,
            "{formats:?}"
        );
        // What stands in for each message: its size.
        let elided = r.transcript.iter().filter(|l| l.text.ends_with(" bytes of message data not shown>"));
        assert_eq!(elided.count(), 4, "{scheme}: {md}");

        let opts = InspectOptions { include_content: true, ..InspectOptions::default() };
        let r = inspect(&target, trust.clone(), creds(), &opts, &Transcript::new()).await;
        let md = r.to_markdown();
        assert!(r.ok, "{scheme}: {md}");
        assert_eq!(leaks(&r), PRIVATE.to_vec(), "{scheme}: asked for, the content is shown:\n{md}");
        assert!(r.includes_content);
        let top = format!("# Inspection of {}\n\n**This report contains message content**", target.url());
        assert!(md.starts_with(&top), "{md}");
        assert!(serde_json::to_value(&r).unwrap()["includes_content"] == true);
        assert!(
            !md.contains(&alice.password) && !serde_json::to_string(&r).unwrap().contains(&alice.password)
        );
    }
}

/// An answer to the sample's fetch that cannot be parsed: the check says so without quoting
/// it (its start is the message), unless content was asked for.
#[tokio::test]
async fn an_unparsable_fetch_answer_is_not_quoted() {
    let body = "Subject: Zebra umbrella minutes\r\n\r\nThe marmalade treaty.\r\n";
    let caps = "IMAP4rev1";
    let script = Script::new(Reply::text(format!("* OK [CAPABILITY {caps}] hostile IMAP ready\r\n")))
        .on("CAPABILITY", Reply::text(format!("* CAPABILITY {caps}\r\n{{tag}} OK done\r\n")))
        .on("LOGIN", Reply::text("{tag} OK logged in\r\n"))
        .on(
            "SELECT",
            Reply::text(
                "* 1 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 7] ok\r\n\
                 {tag} OK [READ-WRITE] selected\r\n",
            ),
        )
        .on(
            "FETCH",
            Reply::text(format!("* 1 FETCH (UID 9 RFC822.SIZE {})\r\n{{tag}} OK done\r\n", body.len())),
        )
        // The literal is followed by what no parser takes.
        .on(
            "UID FETCH",
            Reply::text(format!("* 1 FETCH (UID 9 BODY[] {{{}}}\r\n{body} ((( ]\r\n", body.len())),
        )
        .otherwise(Reply::text("{tag} OK done\r\n"));
    for include_content in [false, true] {
        let server = Hostile::start(script.clone()).await.unwrap();
        let mut target = Target::parse(&format!("imap://127.0.0.1:{}", server.port())).unwrap();
        target.security = Security::None;
        let opts = InspectOptions { include_content, ..InspectOptions::default() };
        let creds = Credentials::password("alice", "pw-for-hostile");
        let r = inspect(&target, TrustAnchors::default(), Some(creds), &opts, &Transcript::new()).await;
        let md = r.to_markdown();
        let sizes = r.checks.iter().find(|c| c.name == "Sizes").unwrap_or_else(|| panic!("{md}"));
        assert_eq!(sizes.verdict, Verdict::Fail, "{md}");
        assert!(sizes.summary.starts_with("cannot fetch the sample: cannot understand"), "{md}");
        let quoted = md.contains("marmalade treaty") || md.contains("Zebra umbrella");
        assert_eq!(quoted, include_content, "{md}");
    }
}
