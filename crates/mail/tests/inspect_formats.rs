//! The inspector's delivered-format check on real samples: real Dovecot holds a message of
//! every format Exchange hands out (text, HTML, both, enriched text alone and with a text
//! alternative, TNEF, a meeting request inside TNEF, an invitation, an .ics attachment), and
//! the check names each of them over IMAP and POP3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::inspect::{Credentials, InspectOptions, Target, Verdict, inspect};
use tidings_mail::net::{Transcript, TrustAnchors};
use tidings_testkit::generate::{Format, format_message};

#[tokio::test]
async fn the_format_check_names_every_format_the_mailbox_holds() {
    let s = common::servers();
    let alice = s.user("alice");
    // The generator's first three: text only, HTML only, text and HTML.
    s.seed(alice, 3).unwrap();
    for (i, format) in Format::ALL.into_iter().enumerate() {
        s.deliver(alice, &format_message(format, 100 + i, &alice.email)).unwrap();
    }
    let trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    let opts = InspectOptions { sample: 20, ..InspectOptions::default() };
    for (scheme, port) in [("imaps", s.imaps_port()), ("pop3s", s.pop3s_port())] {
        let target = Target::parse(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
        let creds = Credentials::password(alice.email.clone(), alice.password.clone());
        let r = inspect(&target, trust.clone(), Some(creds), &opts, &Transcript::new()).await;
        let md = r.to_markdown();
        assert!(r.ok, "{scheme}: {md}");
        let check = |name: &str| {
            r.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("{scheme}: no {name} check"))
        };

        let formats = check("Formats delivered");
        assert_eq!(formats.verdict, Verdict::Info);
        assert_eq!(formats.evidence.len(), 9, "{scheme}: {:?}", formats.evidence);
        // The two invitations have text bodies: three text-only messages in all.
        for named in [
            "3 text only",
            "1 HTML only",
            "1 alternative (text and HTML)",
            "1 enriched text only",
            "1 enriched text with a text alternative",
            "2 TNEF (winmail.dat)",
            "2 with a calendar item (iCal)",
            "1 with a meeting request inside TNEF",
        ] {
            assert!(formats.summary.contains(named), "{scheme}: no {named:?} in {:?}", formats.summary);
        }
        let evidence = formats.evidence.join("\n");
        for part in [
            "enriched text only (text/enriched)",
            "TNEF (winmail.dat), with attachments (multipart/mixed, text/plain, application/ms-tnef)",
            "TNEF (winmail.dat) holding a meeting request",
            "with a calendar invitation (text/calendar, method REQUEST)",
            "with an .ics attachment (application/ics)",
            "HTML only (text/html)",
        ] {
            assert!(evidence.contains(part), "{scheme}: no {part:?} in\n{evidence}");
        }

        let calendar = check("Calendar items");
        assert_eq!(calendar.verdict, Verdict::Pass, "{scheme}: {md}");
        assert_eq!(
            calendar.summary,
            "2 sampled message(s) carry text/calendar (iCal); plus 1 with a meeting request inside TNEF (winmail.dat)"
        );
    }
}
