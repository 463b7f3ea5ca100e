//! OAuth2 sign-in for the accounts whose servers take tokens (Exchange Online, Gmail, any
//! issuer a tester names): providers as data ([`provider`]), the sign-in flows ([`flow`]), and
//! the tokens ([`tokens`]) — the refresh token in the keyring, never in a file or a
//! transcript; the access token in memory only, refreshed before it expires — and what it was
//! granted ([`grant`]), for the inspector.

pub mod flow;
pub mod grant;
pub mod provider;
pub mod tokens;

pub use flow::{BrowserSignIn, DeviceSignIn, Reach, Tokens};
pub use grant::{Grant, Known};
pub use provider::Provider;
pub use tokens::{bearer, bearer_for, forget_access, forget_token, signed_in};
