//! The inspector's read-receipt probe: a message asking for a receipt is downloaded without
//! being displayed; real Dovecot sends no receipt, and a server that sends one on download
//! (Exchange's default, imitated by a proxy in front of Dovecot) is named with its evidence.
//! Either way the probe and the receipt are deleted again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use tidings_mail::account::Security;
use tidings_mail::inspect::{Check, Credentials, InspectOptions, Probe, Report, Target, Verdict, inspect};
use tidings_mail::net::{Transcript, TrustAnchors};
use tidings_testkit::MailServers;
use tidings_testkit::receipts_on_download::{Download, ReceiptsOnDownload};

const NAME: &str = "Read receipts on download";

fn options(s: &MailServers) -> InspectOptions {
    let alice = s.user("alice");
    let probe = Probe {
        smtp: common::endpoint(s, s.submission_port(), Security::StartTls),
        smtp_credential: tidings_mail::auth::Credential::password(
            alice.login.clone(),
            alice.password.clone(),
        ),
        address: alice.email.clone(),
    };
    InspectOptions {
        probe: Some(probe),
        probe_wait: Duration::from_secs(30),
        receipt_wait: Duration::from_secs(4),
        ..Default::default()
    }
}

async fn run(s: &MailServers, target: Target, opts: &InspectOptions) -> (Report, Check) {
    let alice = s.user("alice");
    let trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    let creds = Credentials::password(alice.login.clone(), alice.password.clone());
    let r = inspect(&target, trust, Some(creds), opts, &Transcript::new()).await;
    let check =
        r.checks.iter().find(|c| c.name == NAME).cloned().unwrap_or_else(|| panic!("{}", r.to_markdown()));
    println!("{:?}: {} | {}", check.verdict, check.summary, check.evidence.join(" | "));
    (r, check)
}

/// Dovecot leaves receipts to the client: none comes on download, and the probe is gone.
#[tokio::test]
async fn a_server_that_leaves_receipts_to_the_client_is_reported_as_such() {
    let s = common::servers();
    let alice = s.user("alice");
    s.seed(alice, 2).unwrap();
    let opts = options(&s);
    for scheme in ["imaps", "pop3s"] {
        let port = if scheme == "imaps" { s.imaps_port() } else { s.pop3s_port() };
        let target = Target::parse(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
        let (r, check) = run(&s, target, &opts).await;
        assert_eq!(check.verdict, Verdict::Pass, "{scheme}: {}", r.to_markdown());
        assert_eq!(
            check.summary,
            "No receipt on download: the server leaves receipts to the client (SuppressReadReceipt on, or not Exchange)"
        );
        let download = if scheme == "imaps" { "with UID FETCH BODY.PEEK[]" } else { "with RETR" };
        assert!(check.evidence.iter().any(|e| e.contains(download)), "{scheme}: {check:?}");
        assert!(check.evidence.iter().any(|e| e.starts_with("deleted the probe (")), "{scheme}: {check:?}");
        assert_eq!(s.message_count(alice, "INBOX").unwrap(), 2, "{scheme}: the probe was not cleaned up");
    }
}

/// A server that sends a receipt when a message is downloaded (a proxy in front of Dovecot,
/// as Exchange does by default): the check says so, with the Set-CASMailbox command and the
/// receipt's Reporting-UA and Disposition, and deletes the probe and the receipt.
#[tokio::test]
async fn a_server_that_sends_a_receipt_on_download_is_named_with_its_evidence() {
    let s = Arc::new(common::servers());
    let alice = s.user("alice").clone();
    s.seed(&alice, 1).unwrap();
    let opts = options(&s);
    for (kind, upstream, scheme, prefix) in
        [(Download::Imap, s.imap_port(), "imap", "Imap"), (Download::Pop3, s.pop3_port(), "pop3", "Pop")]
    {
        let (servers, user) = (Arc::clone(&s), alice.clone());
        let proxy = ReceiptsOnDownload::start(kind, upstream, &alice.email, move |raw| {
            servers.deliver(&user, raw).expect("the receipt is delivered");
        })
        .await
        .unwrap();
        let mut target = Target::parse(&format!("{scheme}://127.0.0.1:{}", proxy.port())).unwrap();
        target.security = Security::None;
        let (r, check) = run(&s, target, &opts).await;
        assert_eq!(proxy.receipts().len(), 1, "{scheme}: one receipt, for the probe: {}", r.to_markdown());
        assert_eq!(check.verdict, Verdict::Info, "{scheme}: {}", r.to_markdown());
        assert!(
            check.summary.starts_with(
                "The server sends a read receipt when a message is downloaded (Exchange's default)"
            ),
            "{scheme}: {check:?}"
        );
        let command = format!(
            "Set-CASMailbox -Identity {} -{prefix}UseProtocolDefaults $false -{prefix}SuppressReadReceipt $true leaves only the receipt a client sends when the message is opened",
            alice.email
        );
        assert!(check.summary.contains(&command), "{scheme}: {check:?}");
        let evidence = check.evidence.join("\n");
        assert!(
            evidence.contains(
                "Reporting-UA: receipts.testkit.invalid; Microsoft Exchange Server (testkit imitation)"
            ),
            "{scheme}: {evidence}"
        );
        assert!(
            evidence.contains("Disposition: automatic-action/MDN-sent-automatically; displayed"),
            "{scheme}: {evidence}"
        );
        assert!(evidence.contains("deleted the probe and its receipt"), "{scheme}: {evidence}");
        assert_eq!(s.message_count(&alice, "INBOX").unwrap(), 1, "{scheme}: probe or receipt left behind");
    }
}

/// Without the write-probe nothing is sent: the check says what it needs.
#[tokio::test]
async fn without_the_probe_the_check_says_it_needs_it() {
    let s = common::servers();
    for (scheme, port) in [("imaps", s.imaps_port()), ("pop3s", s.pop3s_port())] {
        let target = Target::parse(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
        let (_, check) = run(&s, target, &InspectOptions::default()).await;
        assert_eq!(check.verdict, Verdict::NotApplicable, "{scheme}");
        assert!(check.summary.contains("needs the write-probe"), "{scheme}: {check:?}");
    }
}

/// A probe that never arrives: the check fails, says how long it waited, and that a late
/// probe stays behind.
#[tokio::test]
async fn a_probe_that_never_arrives_is_reported_with_the_wait() {
    use tidings_testkit::hostile::{Hostile, Reply, Script};
    use tidings_testkit::smtp_script::{SmtpScript, SmtpScriptServer};
    let caps = "IMAP4rev1 IDLE UIDPLUS";
    let imap = Hostile::start(
        Script::new(Reply::text(format!("* OK [CAPABILITY {caps}] ready\r\n")))
            .on("CAPABILITY", Reply::text(format!("* CAPABILITY {caps}\r\n{{tag}} OK done\r\n")))
            .on(
                "SELECT",
                Reply::text(
                    "* 0 EXISTS\r\n* OK [PERMANENTFLAGS (\\Seen \\Deleted \\*)] ok\r\n\
                     * OK [UIDVALIDITY 7] ok\r\n{tag} OK [READ-WRITE] selected\r\n",
                ),
            )
            .on("IDLE", Reply::text("+ idling\r\n").then(Reply::silence()))
            .on("UID SEARCH", Reply::text("* SEARCH\r\n{tag} OK done\r\n"))
            .on("LOGOUT", Reply::text("* BYE bye\r\n{tag} OK done\r\n"))
            .otherwise(Reply::text("{tag} OK done\r\n")),
    )
    .await
    .unwrap();
    let smtp = SmtpScriptServer::start(SmtpScript::default()).await.unwrap();
    let opts = InspectOptions {
        probe: Some(Probe {
            smtp: tidings_mail::net::Endpoint::new("127.0.0.1", smtp.port(), Security::None),
            smtp_credential: tidings_mail::auth::Credential::password("alice@example.test", "pw"),
            address: "alice@example.test".into(),
        }),
        probe_wait: Duration::from_secs(1),
        receipt_wait: Duration::from_secs(1),
        ..Default::default()
    };
    let mut target = Target::parse(&format!("imap://127.0.0.1:{}", imap.port())).unwrap();
    target.security = Security::None;
    let creds = Credentials::password("alice@example.test", "pw");
    let r = inspect(&target, TrustAnchors::default(), Some(creds), &opts, &Transcript::new()).await;
    let check = r.checks.iter().find(|c| c.name == NAME).unwrap_or_else(|| panic!("{}", r.to_markdown()));
    assert_eq!(check.verdict, Verdict::Fail, "{check:?}");
    assert!(check.summary.starts_with("the probe did not arrive within 1 s"), "{check:?}");
    assert!(
        check.evidence.iter().any(|e| e.contains("should the probe arrive later, it stays")),
        "{check:?}"
    );
    let asked =
        smtp.messages().iter().any(|m| String::from_utf8_lossy(m).contains("Disposition-Notification-To"));
    assert!(asked, "the read-receipt probe was submitted");
    assert!(!imap.commands().iter().any(|c| c.contains("BODY.PEEK[]")), "nothing to download");
}
