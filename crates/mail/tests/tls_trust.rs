//! Certificates: untrusted refused (with the certificate's details), pinned accepted, another
//! certificate on a pinned host refused — before any credential is sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tidings_mail::Kind;
use tidings_mail::account::{Protocol, Security};
use tidings_mail::auth::Credential;
use tidings_mail::check::check_server;
use tidings_mail::net::{Endpoint, Fingerprint, Transcript, TrustAnchors};
use tidings_testkit::fault::{FaultServer, Proto};

#[tokio::test]
async fn untrusted_refused_pinned_accepted_other_pinned_refused() {
    let s = common::servers();
    let alice = s.user("alice");

    // 1. The testkit's CA is not trusted: refused, with what the person needs to decide.
    let ep = Endpoint::new(s.host(), s.imaps_port(), Security::Implicit);
    let t = Transcript::new();
    let c = check_server(Protocol::Imap, &ep, &Credential::password(&alice.login, &alice.password), &t).await;
    let e = c.error_value.expect("an untrusted certificate must be refused");
    assert_eq!(e.kind(), Kind::Tls, "{e}");
    let cert = e.certificate().expect("the refused certificate is described");
    let leaf = Fingerprint::parse(&s.leaf_sha256_hex()).unwrap();
    assert_eq!(cert.sha256, leaf.to_string());
    assert!(e.message().contains(&leaf.to_string()), "{e}");
    assert!(!t.render().contains("LOGIN"), "nothing may be sent after a refused handshake:\n{}", t.render());

    // 2. The same certificate pinned: accepted, without the CA.
    let mut ep = Endpoint::new(s.host(), s.imaps_port(), Security::Implicit);
    ep.trust = TrustAnchors { extra_ca_pem: vec![], pin: Some(leaf) };
    let t = Transcript::new();
    let c = check_server(Protocol::Imap, &ep, &Credential::password(&alice.login, &alice.password), &t).await;
    assert!(c.ok, "{:?}\n{}", c.error, t.render());
    assert!(c.facts.tls.as_ref().unwrap().pinned);

    // 2b. Pinning works after STARTTLS too.
    let mut ep = Endpoint::new(s.host(), s.submission_port(), Security::StartTls);
    ep.trust.pin = Some(leaf);
    let c = check_server(
        Protocol::Smtp,
        &ep,
        &Credential::password(&alice.login, &alice.password),
        &Transcript::new(),
    )
    .await;
    assert!(c.ok, "{:?}", c.error);

    // 3. A different certificate on the pinned "host": refused before anything is sent.
    let other = FaultServer::tls_with_own_cert(Proto::Imap).await.unwrap();
    assert_ne!(other.leaf_sha256_hex(), s.leaf_sha256_hex());
    let mut ep = Endpoint::new("127.0.0.1", other.port(), Security::Implicit);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: Some(leaf) };
    let t = Transcript::new();
    let c = check_server(Protocol::Imap, &ep, &Credential::password(&alice.login, &alice.password), &t).await;
    let e = c.error_value.expect("another certificate must be refused");
    assert_eq!(e.kind(), Kind::Tls);
    assert!(e.message().contains("not the pinned one"), "{e}");
    assert!(
        other.received().is_empty(),
        "the client sent data after the TLS handshake: {:?}",
        other.received()
    );
}

#[tokio::test]
async fn a_refused_certificate_behind_starttls_is_shown_too() {
    let s = common::servers();
    let alice = s.user("alice");
    let leaf = Fingerprint::parse(&s.leaf_sha256_hex()).unwrap();
    for (protocol, port) in [(Protocol::Imap, s.imap_port()), (Protocol::Smtp, s.submission_port())] {
        let ep = Endpoint::new(s.host(), port, Security::StartTls);
        let t = Transcript::new();
        let c = check_server(protocol, &ep, &Credential::password(&alice.login, &alice.password), &t).await;
        let e = c.error_value.expect("an untrusted certificate must be refused");
        assert_eq!(e.kind(), Kind::Tls, "{protocol:?}: {e}");
        let cert = e.certificate().unwrap_or_else(|| panic!("{protocol:?}: no certificate to show: {e}"));
        assert_eq!(cert.sha256, leaf.to_string());
        assert!(!t.render().contains(&alice.password));
    }
}
