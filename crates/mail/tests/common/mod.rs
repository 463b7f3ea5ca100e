//! Shared set-up for the integration tests: real Dovecot and Postfix from the testkit.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use tidings_mail::account::Security;
use tidings_mail::net::{Endpoint, TrustAnchors};
use tidings_testkit::MailServers;

/// Starts the real servers or fails the test with the testkit's explanation.
pub fn servers() -> MailServers {
    MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

/// An endpoint on the testkit that trusts its CA.
pub fn endpoint(s: &MailServers, port: u16, security: Security) -> Endpoint {
    let mut ep = Endpoint::new(s.host(), port, security);
    ep.trust = TrustAnchors { extra_ca_pem: vec![s.ca_pem().to_vec()], pin: None };
    ep
}
