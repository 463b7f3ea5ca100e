#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::compose::Address;
use crate::options::ReceiptPolicy::{Always, Ask, Never};

fn message(extra: &str) -> Vec<u8> {
    format!(
        "{extra}From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\n\
         Subject: Lunch\r\nDate: Sun, 6 Dec 2026 10:00:00 +0000\r\nMessage-ID: <lunch@example.test>\r\n\r\nHi\r\n"
    )
    .into_bytes()
}

fn own() -> Vec<String> {
    vec!["alice@example.test".into(), "a.smith@work.test".into()]
}

fn decision(policy: crate::options::ReceiptPolicy, extra: &str) -> Decision {
    decide(policy, &requested(&message(extra)).expect("a request"), &own())
}

const PLAIN: &str =
    "Return-Path: <bob@example.test>\r\nDisposition-Notification-To: Bob <bob@example.test>\r\n";

#[test]
fn the_policy_decides_when_nothing_is_doubtful() {
    assert_eq!(decision(Always, PLAIN), Decision::Send);
    assert_eq!(decision(Ask, PLAIN), Decision::Ask(AskReason::Policy));
    assert_eq!(decision(Never, PLAIN), Decision::Never);
    let r = requested(&message(PLAIN)).unwrap();
    assert_eq!(r.notify, vec![Address::new(Some("Bob"), "bob@example.test")]);
    assert_eq!(r.return_path.as_deref(), Some("bob@example.test"));
    assert_eq!(r.message_id.as_deref(), Some("<lunch@example.test>"));
    assert_eq!(r.subject.as_deref(), Some("Lunch"));
    assert_eq!(r.asker(), "Bob");
    assert_eq!(r.addressed_to(&own()).map(String::as_str), Some("alice@example.test"));
}

#[test]
fn no_request_no_receipt_and_a_receipt_never_gets_one() {
    assert_eq!(requested(&message("Return-Path: <bob@example.test>\r\n")), None);
    assert_eq!(requested(&message("Disposition-Notification-To: \r\n")), None);
    let receipt = b"From: bob@example.test\r\nDisposition-Notification-To: bob@example.test\r\n\
        Content-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n\r\n--x--\r\n";
    assert_eq!(requested(receipt), None);
}

/// RFC 8098 §2.1: even under "always", these ask.
#[test]
fn always_still_asks_where_rfc_8098_says_to() {
    let other =
        "Return-Path: <bounces@lists.example.test>\r\nDisposition-Notification-To: bob@example.test\r\n";
    assert_eq!(decision(Always, other), Decision::Ask(AskReason::ReturnPathDiffers));
    // Same domain, another mailbox: still someone else.
    let sibling = "Return-Path: <carol@example.test>\r\nDisposition-Notification-To: bob@example.test\r\n";
    assert_eq!(decision(Always, sibling), Decision::Ask(AskReason::ReturnPathDiffers));
    // The domain compares without case, the local part with it.
    let domain_case = "Return-Path: <bob@EXAMPLE.test>\r\nDisposition-Notification-To: bob@example.test\r\n";
    assert_eq!(decision(Always, domain_case), Decision::Send);
    let local_case = "Return-Path: <Bob@example.test>\r\nDisposition-Notification-To: bob@example.test\r\n";
    assert_eq!(decision(Always, local_case), Decision::Ask(AskReason::ReturnPathDiffers));
    let none = "Disposition-Notification-To: bob@example.test\r\n";
    assert_eq!(decision(Always, none), Decision::Ask(AskReason::NoReturnPath));
    let several = "Return-Path: <bob@example.test>\r\nDisposition-Notification-To: bob@example.test, eve@example.test\r\n";
    assert_eq!(decision(Always, several), Decision::Ask(AskReason::SeveralAddresses));
    // The same address twice is one address.
    let twice = "Return-Path: <bob@example.test>\r\nDisposition-Notification-To: bob@example.test, <bob@EXAMPLE.test>\r\n";
    assert_eq!(decision(Always, twice), Decision::Send);
    // Under "ask" the §2.1 reason is the one shown.
    assert_eq!(decision(Ask, other), Decision::Ask(AskReason::ReturnPathDiffers));
    assert_eq!(decision(Never, several), Decision::Never);
}

#[test]
fn a_person_who_is_not_a_direct_recipient_is_asked() {
    let list = format!(
        "{PLAIN}From: bob@example.test\r\nTo: team@lists.example.test\r\nSubject: x\r\nMessage-ID: <l@x>\r\n\r\n."
    );
    let r = requested(list.as_bytes()).unwrap();
    assert_eq!(decide(Always, &r, &own()), Decision::Ask(AskReason::NotARecipient));
    assert_eq!(r.addressed_to(&own()), None);
    // An identity in Cc is a direct recipient, in any case.
    let cc = format!("{PLAIN}From: bob@example.test\r\nTo: team@x.test\r\nCc: A.Smith@Work.test\r\n\r\n.");
    let r = requested(cc.as_bytes()).unwrap();
    assert_eq!(decide(Always, &r, &own()), Decision::Send);
    assert_eq!(r.addressed_to(&own()).map(String::as_str), Some("a.smith@work.test"));
}

#[test]
fn a_request_is_bounded() {
    let many: Vec<String> = (0..200).map(|i| format!("u{i}@example.test")).collect();
    let extra =
        format!("Return-Path: <u0@example.test>\r\nDisposition-Notification-To: {}\r\n", many.join(", "));
    let r = requested(&message(&extra)).unwrap();
    assert_eq!(r.notify.len(), MAX_ADDRESSES);
    assert!(r.overflow);
    assert_eq!(decide(Always, &r, &own()), Decision::Ask(AskReason::SeveralAddresses));
    // One address in a field padded past the limit still counts as doubtful.
    let padded = format!(
        "Return-Path: <bob@example.test>\r\nDisposition-Notification-To: ({}) bob@example.test\r\n",
        "x".repeat(MAX_FIELD)
    );
    assert_eq!(decision(Always, &padded), Decision::Ask(AskReason::SeveralAddresses));
    let long_subject = format!("Subject: {}\r\n{PLAIN}", "é".repeat(5_000));
    let r = requested(&message(&long_subject)).unwrap();
    assert!(r.subject.unwrap().len() <= MAX_FIELD);
}

fn built(mode: Mode, subject: &str) -> crate::outbox::Outgoing {
    let raw = message(PLAIN);
    let mut request = requested(&raw).unwrap();
    request.subject = Some(subject.into());
    let from = Address::new(Some("Alice Smith"), "alice@example.test");
    build(&Response {
        request: &request,
        from: &from,
        final_recipient: "alice@example.test",
        mode,
        displayed_at: 1_796_553_120,
    })
    .unwrap()
}

#[test]
fn the_receipt_reads_back() {
    let out = built(Mode::Manual, "Lunch");
    assert_eq!(out.recipients, vec!["bob@example.test".to_string()]);
    assert_eq!(out.from, "alice@example.test");
    let text = String::from_utf8(out.raw.clone()).unwrap();
    assert!(text.contains("\r\nSubject: Read: Lunch\r\n"), "{text}");
    assert!(text.contains("\r\nTo: <bob@example.test>\r\n"), "{text}");
    assert!(text.contains("report-type=disposition-notification"), "{text}");
    assert!(text.contains("Final-Recipient: rfc822;alice@example.test\r\n"), "{text}");
    assert!(text.contains("In-Reply-To: <lunch@example.test>\r\n"), "{text}");
    assert!(text.contains("The message \"Lunch\" sent on Sun, 6 Dec 2026 10:00:00 +0000 to alice@example.test was displayed on"), "{text}");
    assert!(!text.contains("Auto-Submitted"), "{text}");
    let r = parse_receipt(&out.raw).expect("parses as a receipt");
    assert_eq!(r.by, "alice@example.test");
    assert_eq!(r.by_name.as_deref(), Some("Alice Smith"));
    assert_eq!(r.disposition, "displayed");
    assert!(r.manual);
    assert_eq!(r.disposition_field, "manual-action/MDN-sent-manually; displayed");
    assert_eq!(r.original_message_id.as_deref(), Some("<lunch@example.test>"));
    assert!(r.reporting_ua.as_deref().unwrap().starts_with("Tidings"));
    assert_eq!(r.at, Some(1_796_553_120));
    assert!(r.summary().starts_with("Read by alice@example.test on "), "{}", r.summary());
    // A receipt asks for nothing itself.
    assert_eq!(requested(&out.raw), None);
}

#[test]
fn an_automatic_receipt_says_so_and_any_subject_is_encoded() {
    let out = built(Mode::Automatic, "Déjeuner à 12 h — €\r\nBcc: eve@example.test");
    let text = String::from_utf8(out.raw.clone()).unwrap();
    assert!(text.contains("Disposition: automatic-action/MDN-sent-automatically; displayed\r\n"), "{text}");
    assert!(text.contains("Auto-Submitted: auto-replied\r\n"), "{text}");
    assert!(!text.contains("\r\nBcc:"), "{text}");
    assert!(text.is_ascii(), "{text}");
    let parsed = mail_parser::MessageParser::new().parse(&out.raw).unwrap();
    assert_eq!(parsed.subject(), Some("Read: Déjeuner à 12 h — €  Bcc: eve@example.test"));
    let human = parsed.body_text(0).unwrap();
    assert!(human.contains("\"Déjeuner à 12 h"), "{human}");
    let r = parse_receipt(&out.raw).unwrap();
    assert!(!r.manual);
}

#[test]
fn receipts_from_other_programs_parse() {
    let raw =
        b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nDate: Sun, 6 Dec 2026 10:32:00 +0000\r\n\
Subject: Read: Lunch\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=\"disposition-notification\";\r\n\tboundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain\r\n\r\nYour message was deleted.\r\n\
--b1\r\nContent-Type: message/disposition-notification\r\n\r\n\
Reporting-UA: mail.example.test; Other Mail 3\r\nFinal-Recipient: rfc822; bob@example.test\r\n\
Original-Message-ID:\r\n <lunch@example.test>\r\n\
Disposition: automatic-action/MDN-sent-automatically;\r\n deleted\r\n\r\n--b1--\r\n";
    let r = parse_receipt(raw).unwrap();
    assert_eq!(r.by, "bob@example.test");
    assert_eq!(r.disposition, "deleted");
    assert_eq!(r.original_message_id.as_deref(), Some("<lunch@example.test>"));
    assert!(r.summary().starts_with("Deleted unread by bob@example.test"));
    assert_eq!(parse_receipt(&message(PLAIN)), None);
}

#[test]
fn the_keyword_in_the_flags_means_answered() {
    assert!(already_answered(&crate::store::Flags::new(["\\Seen", "$mdnsent"])));
    assert!(!already_answered(&crate::store::Flags::new(["\\Seen"])));
}

/// The composer's "Request a read receipt" asks at the From address; unticked, nothing.
#[test]
fn a_composed_message_asks_for_a_receipt_only_when_told() {
    let mut msg = crate::compose::NewMessage {
        from: Address::new(Some("Bob"), "bob@example.test"),
        to: vec![Address::email("alice@example.test")],
        subject: "Lunch".into(),
        body: "Hi".into(),
        ..Default::default()
    };
    let plain = crate::compose::build(&msg).unwrap();
    assert!(!String::from_utf8_lossy(&plain.bytes).contains("Disposition-Notification-To"));
    assert_eq!(requested(&plain.bytes), None);
    msg.request_receipt = true;
    let asking = crate::compose::build(&msg).unwrap();
    let r = requested(&asking.bytes).expect("asks for a receipt");
    assert_eq!(r.notify, vec![Address::email("bob@example.test")]);
    assert_eq!(r.recipients, vec!["alice@example.test".to_string()]);
}

/// A sent message lists the receipts stored for it: the real ones, not other answers.
#[test]
fn receipts_for_a_message_id_come_from_the_store() {
    use crate::store::{Flags, FolderInfo, NewMessage, Role, Store, Summary};
    let mut s = Store::open_in_memory().unwrap();
    let a = s.account("alice").unwrap();
    let info = FolderInfo {
        name: "INBOX".into(),
        delimiter: None,
        role: Some(Role::Inbox),
        subscribed: true,
        selectable: true,
    };
    let f = s.replace_folders(a, &[info]).unwrap()[0].id;
    s.begin_folder(f, 1).unwrap();
    let row = |uid: u32, in_reply_to: &str| NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(Vec::<String>::new()),
        size: 100,
        internal_date: None,
        summary: Summary { in_reply_to: Some(in_reply_to.into()), ..Summary::default() },
        parse_error: None,
    };
    s.insert_messages(f, 1, &[row(1, "lunch@example.test"), row(2, "lunch@example.test"), row(3, "other@x")])
        .unwrap();
    s.save_body(f, 1, 1, &built(Mode::Manual, "Lunch").raw).unwrap();
    // A plain reply to the same message is no receipt.
    s.save_body(f, 1, 2, &message("In-Reply-To: <lunch@example.test>\r\n")).unwrap();
    let found = receipts_for(&mut s, "alice", "<lunch@example.test>").unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].by, "alice@example.test");
    assert!(receipts_for(&mut s, "alice", "nothing@x").unwrap().is_empty());
}

/// The shared answer: `send` queues one receipt and the keyword (for the server: an IMAP
/// account), then sends none again unless forced; `ignore` sets the keyword alone.
#[tokio::test]
async fn send_queues_one_receipt_and_the_keyword_then_none() {
    use crate::account::{Account, AuthMethod, Incoming, Security, Server, Trust};
    use crate::store::{Flags, FolderInfo, NewMessage, Role, ServerOp, Store, StoreHandle};
    let mut s = Store::open_in_memory().unwrap();
    let a = s.account("alice").unwrap();
    let info = FolderInfo {
        name: "INBOX".into(),
        delimiter: None,
        role: Some(Role::Inbox),
        subscribed: true,
        selectable: true,
    };
    let f = s.replace_folders(a, &[info]).unwrap()[0].id;
    s.begin_folder(f, 1).unwrap();
    let asking = message(PLAIN);
    let row = |uid: u32| NewMessage {
        uid,
        modseq: None,
        flags: Flags::new(["\\Seen"]),
        size: 100,
        internal_date: None,
        summary: crate::sync::headers::summary(&asking).unwrap(),
        parse_error: None,
    };
    s.insert_messages(f, 1, &[row(1), row(2)]).unwrap();
    s.save_body(f, 1, 1, &asking).unwrap();
    s.save_body(f, 1, 2, &asking).unwrap();
    let store = StoreHandle::spawn(s).unwrap();
    let server = |port| Server {
        host: "mail.example.test".into(),
        port,
        security: Security::Implicit,
        user: "alice".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    let account = Account::new(
        "alice".into(),
        "Alice".into(),
        "alice@example.test".into(),
        Incoming::Imap,
        server(993),
        server(465),
    );

    let queued = send(&store, &account, f, 1, Mode::Automatic, false).await.unwrap().expect("queued");
    assert_eq!(queued.item.recipients, ["bob@example.test"]);
    let raw = store.call(move |s| s.outbox_raw(queued.item.id)).await.unwrap().unwrap();
    let receipt = parse_receipt(&raw).unwrap();
    assert_eq!(receipt.disposition_field, "automatic-action/MDN-sent-automatically; displayed");
    assert_eq!(receipt.original_message_id.as_deref(), Some("<lunch@example.test>"));
    let flags = store.call(move |s| s.message(f, 1)).await.unwrap().unwrap().flags;
    assert!(already_answered(&flags), "{flags:?}");
    let pending = store.call(move |s| s.pending_actions(a)).await.unwrap();
    assert!(
        matches!(&pending[..], [p] if matches!(&p.op, ServerOp::Flags { flag, add: true, uids, .. } if flag == MDN_SENT && uids == &[1])),
        "{pending:?}"
    );

    // Answered: nothing more, unless forced.
    assert!(send(&store, &account, f, 1, Mode::Manual, false).await.unwrap().is_none());
    let outbox = store.call(|s| s.outbox_list(None)).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(send(&store, &account, f, 1, Mode::Manual, true).await.unwrap().is_some());

    ignore(&store, &account, f, 2).await.unwrap();
    assert!(send(&store, &account, f, 2, Mode::Manual, false).await.unwrap().is_none());
    assert_eq!(store.call(|s| s.outbox_list(None)).await.unwrap().len(), 2);
}
