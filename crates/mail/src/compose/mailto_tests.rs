#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::account::{AuthMethod, Incoming, Security, Server, Trust};
use crate::compose::{Address, NewMessage, build};

fn link(uri: &str) -> Mailto {
    parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"))
}

// RFC 6068 §6.1, the basic examples.
#[test]
fn rfc_6068_basic_examples() {
    assert_eq!(link("mailto:chris@example.com").to, ["chris@example.com"]);
    let m = link("mailto:infobot@example.com?subject=current-issue");
    assert_eq!(
        (m.to.as_slice(), m.subject.as_str()),
        (&["infobot@example.com".to_string()][..], "current-issue")
    );
    assert_eq!(link("mailto:infobot@example.com?body=send%20current-issue").body, "send current-issue");
    assert_eq!(
        link("mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index").body,
        "send current-issue\nsend index"
    );
    assert_eq!(
        link("mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E").in_reply_to.as_deref(),
        Some("<3469A91.D10AF4C@example.com>")
    );
    assert_eq!(link("mailto:majordomo@example.com?body=subscribe%20bamboo-l").body, "subscribe bamboo-l");
    let m = link("mailto:joe@example.com?cc=bob@example.com&body=hello");
    assert_eq!(
        (m.to, m.cc, m.body),
        (vec!["joe@example.com".into()], vec!["bob@example.com".into()], "hello".into())
    );
    assert_eq!(link("mailto:gorby%25kremvax@example.com").to, ["gorby%kremvax@example.com"]);
    let m = link("mailto:unlikely%3Faddress@example.com?blat=foop");
    assert_eq!(m.to, ["unlikely?address@example.com"]);
    assert_eq!(m, Mailto { to: vec!["unlikely?address@example.com".into()], ..Mailto::default() });
    assert_eq!(link("mailto:Mike%26family@example.org").to, ["Mike&family@example.org"]);
}

// RFC 6068 §6.2 (quoted local parts) and §6.3 (internationalisation).
#[test]
fn rfc_6068_complicated_and_international_examples() {
    assert_eq!(link("mailto:%22not%40me%22@example.org").to, ["\"not@me\"@example.org"]);
    assert_eq!(link("mailto:%22oh%5C%5Cno%22@example.org").to, ["\"oh\\\\no\"@example.org"]);
    assert_eq!(
        link("mailto:%22%5C%5C%5C%22it's%5C%20ugly%5C%5C%5C%22%22@example.org").to,
        ["\"\\\\\\\"it's\\ ugly\\\\\\\"\"@example.org"]
    );
    assert_eq!(link("mailto:user@example.org?subject=caf%C3%A9").subject, "café");
    let m = link("mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D&body=caf%C3%A9");
    assert_eq!((m.subject.as_str(), m.body.as_str()), ("café", "café"));
    let m = link("mailto:user@example.org?subject=%3D%3Fiso-8859-1%3FQ%3Fcaf%3DE9%3F%3D&body=caf%C3%A9");
    assert_eq!(m.subject, "café");
    let m = link("mailto:user@%E7%B4%8D%E8%B1%86.example.org?subject=Test&body=NATTO");
    assert_eq!(
        (m.to[0].as_str(), m.subject.as_str(), m.body.as_str()),
        ("user@納豆.example.org", "Test", "NATTO")
    );
}

// RFC 6068 §2: these three say the same.
#[test]
fn several_addresses_in_the_path_and_in_to_fields() {
    let both = vec!["addr1@an.example".to_string(), "addr2@an.example".to_string()];
    assert_eq!(link("mailto:?to=addr1@an.example,addr2@an.example").to, both);
    assert_eq!(link("mailto:addr1@an.example?to=addr2@an.example").to, both);
    assert_eq!(link("mailto:addr1@an.example,addr2@an.example").to, both);
    let m = link("MAILTO:a@x.example?CC=b@x.example,c@x.example&Bcc=d@x.example&TO=e@x.example");
    assert_eq!(m.to, ["a@x.example", "e@x.example"]);
    assert_eq!(m.cc, ["b@x.example", "c@x.example"]);
    assert_eq!(m.bcc, ["d@x.example"]);
    // A plus is a plus (RFC 6068 encodes spaces as %20).
    assert_eq!(link("mailto:a+tag@x.example?subject=1+1").subject, "1+1");
    assert_eq!(link("mailto:a@x.example#fragment").to, ["a@x.example"]);
}

#[test]
fn other_fields_are_ignored_and_nothing_is_attached() {
    let m = link(
        "mailto:a@x.example?attach=/etc/passwd&X-Mailer=evil&from=boss@x.example&reply-to=r@x.example\
         &attachment=file:///home/me/.ssh/id_rsa&Attach=~/.gnupg",
    );
    assert_eq!(m.to, ["a@x.example"]);
    assert!(m.cc.is_empty() && m.bcc.is_empty() && m.subject.is_empty() && m.body.is_empty());
    assert_eq!(m.notes, ["The link asked to attach a file; nothing is attached from a link."]);
}

#[test]
fn line_breaks_never_reach_a_header() {
    let m = link("mailto:a@x.example?subject=Hi%0D%0ABcc:%20spy@evil.example%0D%0A%0D%0Abody");
    assert_eq!(m.subject, "Hi Bcc: spy@evil.example body");
    assert!(m.bcc.is_empty());
    let m = link("mailto:a@x.example%0D%0ABcc:spy@evil.example?cc=b@x.example%0ABcc:spy@evil.example");
    assert!(m.to.iter().chain(&m.cc).all(|a| !a.contains(['\r', '\n'])), "{m:?}");
    assert!(m.bcc.is_empty());
    assert_eq!(link("mailto:a@x.example?in-reply-to=%3Cx@y%3E%0D%0ABcc:%20s@e").in_reply_to, None);
    assert_eq!(link("mailto:a@x.example?in-reply-to=x@y").in_reply_to.as_deref(), Some("<x@y>"));
    // NUL, escape and other controls go too; the body keeps its lines and tabs.
    let m = link("mailto:a@x.example?subject=a%00b%1Bc&body=one%0Atwo%0D%0A%09three%00%1B[2J");
    assert_eq!(m.subject, "a b c");
    assert_eq!(m.body, "one\ntwo\n\tthree[2J");
}

// The subject that tried to add a header, built as the composer builds it: one Subject line,
// no Bcc header, and the only recipients are the link's.
#[test]
fn an_injected_header_is_not_in_the_built_message() {
    let m = link("mailto:a@x.example?subject=Hi%0D%0ABcc:%20spy@evil.example&body=x");
    let message = NewMessage {
        from: Address::email("me@x.example"),
        to: m.to.iter().map(|a| Address::parse(a).unwrap()).collect(),
        subject: m.subject.clone(),
        body: m.body.clone(),
        ..NewMessage::default()
    };
    let built = build(&message).unwrap();
    let text = String::from_utf8_lossy(&built.bytes);
    let head = text.split("\r\n\r\n").next().unwrap();
    assert!(!head.to_ascii_lowercase().contains("\r\nbcc:"), "{head}");
    assert!(built.recipients.iter().all(|r| !r.contains("evil")), "{:?}", built.recipients);
}

#[test]
fn malformed_links_are_refused_or_read_leniently() {
    assert!(parse("https://x.example").is_err());
    assert!(parse("mailt").is_err());
    assert!(parse(&format!("mailto:a@x.example?body={}", "a".repeat(MAX_LEN))).is_err());
    // A stray percent stays; bytes that are not UTF-8 become U+FFFD.
    assert_eq!(link("mailto:a@x.example?subject=100%&body=%zz%4").subject, "100%");
    assert_eq!(link("mailto:a@x.example?body=%zz%4").body, "%zz%4");
    assert_eq!(link("mailto:a@x.example?subject=%FF").subject, "\u{fffd}");
    assert_eq!(link("mailto:").to, Vec::<String>::new());
    assert_eq!(link("mailto:?&&=&subject").subject, "");
    assert!(is_mailto("MailTo:x") && !is_mailto("mail") && !is_mailto("mailto"));
}

#[test]
fn the_sender_is_the_identity_of_a_recipients_domain_else_the_preferred_account() {
    let server = || Server {
        host: "mail.x.example".into(),
        port: 993,
        security: Security::Implicit,
        user: "me".into(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    };
    let account = |id: &str, email: &str, extra: Option<&str>| {
        let mut a = Account::new(id.into(), id.into(), email.into(), Incoming::Imap, server(), server());
        if let Some(extra) = extra {
            a.identities.push(Identity { name: None, email: extra.to_string() });
        }
        a
    };
    let accounts = vec![
        account("home", "me@home.example", None),
        account("work", "me@corp.example", Some("boss@team.example")),
    ];
    let pick = |uri: &str, preferred: Option<&str>| {
        let (a, i) = choose_sender(&accounts, &link(uri), preferred).unwrap();
        (a.id.clone(), i.email)
    };
    assert_eq!(pick("mailto:colleague@corp.example", None), ("work".into(), "me@corp.example".into()));
    assert_eq!(
        pick("mailto:x@y.example?cc=member@TEAM.example", None),
        ("work".into(), "boss@team.example".into())
    );
    assert_eq!(pick("mailto:someone@else.example", Some("work")), ("work".into(), "me@corp.example".into()));
    assert_eq!(pick("mailto:someone@else.example", None), ("home".into(), "me@home.example".into()));
    assert_eq!(pick("mailto:someone@else.example", Some("gone")), ("home".into(), "me@home.example".into()));
    assert!(choose_sender(&[], &link("mailto:a@x.example"), None).is_none());
}
