//! The wizard's steps without a window: what each message does where, and what it refuses.

use std::time::Duration;

use tidings_mail::account::Protocol;
use tidings_mail::account::Security;
use tidings_mail::check::{ServerCheck, SessionFacts};
use tidings_mail::discover::{Best, Candidate, Discovery, Source};
use tidings_mail::net::{Stage, StageName};

use super::*;

fn filled() -> Wizard {
    let mut wizard = Wizard::default();
    for message in [
        Message::Name("Work".into()),
        Message::Email("alice@example.test".into()),
        Message::Password("pw".into()),
    ] {
        let _ = wizard.update(message);
    }
    wizard
}

fn discovery(candidates: Vec<Candidate>) -> Discovery {
    Discovery {
        email: "alice@example.test".into(),
        domain: "example.test".into(),
        best: Best { incoming: candidates.first().cloned(), outgoing: None },
        candidates,
        disagreements: Vec::new(),
        needs_confirmation: Vec::new(),
        mx: None,
        probes: Vec::new(),
        sources: Vec::new(),
        timed_out: false,
        elapsed_ms: 10,
    }
}

fn finished(ok: bool) -> Box<ServerCheck> {
    Box::new(ServerCheck {
        protocol: Protocol::Imap,
        host: "h".into(),
        port: 1,
        security: Security::Implicit,
        ok,
        stages: Vec::new(),
        facts: SessionFacts::default(),
        error: None,
        error_value: None,
        transcript: Vec::new(),
    })
}

#[test]
fn debug_output_hides_the_password() {
    let text = format!("{:?}", Message::Password("hunter2".into()));
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn finding_settings_needs_name_email_and_password_and_ignores_late_answers() {
    let mut wizard = Wizard::default();
    assert!(matches!(wizard.update(Message::FindSettings), Action::None));
    assert_eq!(wizard.step_name(), "account", "nothing typed: the errors are shown instead");

    let mut wizard = filled();
    assert!(matches!(wizard.update(Message::FindSettings), Action::Run(_)));
    assert_eq!(wizard.step_name(), "discovering");
    let stale = wizard.run_id() - 1;
    let _ = wizard.update(Message::Discovered(stale, Box::new(discovery(Vec::new()))));
    assert_eq!(wizard.step_name(), "discovering", "an older run's answer is dropped");

    // Nothing found: straight to the form, which says so.
    let _ = wizard.update(Message::Discovered(wizard.run_id(), Box::new(discovery(Vec::new()))));
    assert_eq!(wizard.step_name(), "review");
    assert!(
        wizard.notice.as_deref().is_some_and(|n| n.starts_with("Tidings found no settings for example.test"))
    );
}

#[test]
fn found_settings_prefill_the_form_and_back_returns_to_them() {
    let mut wizard = filled();
    let _ = wizard.update(Message::FindSettings);
    let imap = Candidate::new(Protocol::Imap, "imap.example.test", 993, Security::Implicit, Source::Probe);
    let pop = Candidate::new(Protocol::Pop3, "pop.example.test", 995, Security::Implicit, Source::Probe);
    let _ = wizard.update(Message::Discovered(wizard.run_id(), Box::new(discovery(vec![imap, pop]))));
    assert_eq!(wizard.found().and_then(|f| f.incoming), Some(0), "the best one is chosen");
    let _ = wizard.update(Message::Choose(Side::Outgoing, 1));
    assert_eq!(wizard.found().and_then(|f| f.outgoing), None, "POP3 is not an outgoing server");
    let _ = wizard.update(Message::Choose(Side::Incoming, 1));
    let _ = wizard.update(Message::UseFound);
    assert_eq!(wizard.step_name(), "review");
    assert_eq!(wizard.form().incoming.host, "pop.example.test");
    assert_eq!(wizard.form().incoming_protocol, tidings_mail::account::Incoming::Pop3);

    let _ = wizard.update(Message::Back);
    assert_eq!(wizard.step_name(), "found");
    let _ = wizard.update(Message::Back);
    assert_eq!(wizard.step_name(), "account");
    assert_eq!(wizard.form().name, "Work", "what was typed stays");
}

#[test]
fn saving_needs_a_passed_test_or_save_anyway_and_locks_the_form() {
    let mut wizard = filled();
    let _ = wizard.update(Message::Manual);
    let _ = wizard.update(Message::Incoming(ServerEdit::Host("127.0.0.1".into())));
    let _ = wizard.update(Message::Outgoing(ServerEdit::Host("127.0.0.1".into())));
    assert!(matches!(wizard.update(Message::Save), Action::None), "no save from the form");
    assert!(matches!(wizard.update(Message::Test), Action::Run(_)));
    assert_eq!(wizard.step_name(), "testing");
    assert!(matches!(wizard.update(Message::Save), Action::None), "not while testing");
    assert!(matches!(wizard.update(Message::SaveAnyway), Action::None), "not while testing");

    let run = wizard.run_id();
    let login = Stage {
        name: StageName::Login,
        start: Duration::ZERO,
        duration: Duration::from_millis(4),
        ok: true,
        detail: None,
    };
    let _ = wizard.update(Message::Check(run, Progress::Stage(Side::Incoming, login)));
    let _ = wizard.update(Message::Check(run, Progress::Finished(Side::Incoming, finished(true))));
    let _ = wizard.update(Message::Check(run, Progress::Finished(Side::Outgoing, finished(false))));
    assert!(matches!(wizard.update(Message::Save), Action::None), "the outgoing check failed");
    let _ = wizard.update(Message::Name("Other".into()));
    assert_eq!(wizard.form().name, "Work", "no edits on the test step");

    assert!(matches!(wizard.update(Message::SaveAnyway), Action::Save { .. }));
    assert!(wizard.is_saving());
    assert!(matches!(wizard.update(Message::SaveAnyway), Action::None), "no double save");
    wizard.saving_failed(&Error::config("an account named \"Work\" already exists"));
    assert_eq!(wizard.step_name(), "review");
    assert!(wizard.failure.as_deref().is_some_and(|f| f.starts_with("An account named")));
}

#[test]
fn debug_output_hides_the_sign_ins_tokens() {
    let tokens = tidings_mail::oauth2::Tokens {
        access: "at_secret".into(),
        refresh: Some("rt_secret".into()),
        expires_at: None,
        scope: None,
    };
    let message = format!("{:?}", Message::SignedIn(1, Ok(Box::new(tokens.clone()))));
    let secret = format!("{:?}", save::Secret::OAuth2(Box::new(tokens)));
    for text in [message, secret] {
        assert!(!text.contains("_secret"), "{text}");
    }
}
