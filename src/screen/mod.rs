//! One module per screen. Each owns its `Message`, an `update` returning an `Action` for the
//! app, and a `view`; screens never reach into each other's state. (The account settings
//! reuse the wizard's account form — its data and its cards — not the wizard itself.)

pub mod accounts;
pub mod composer;
pub mod help;
pub mod inspector;
pub mod loading;
pub mod mailbox;
pub mod settings;
pub mod welcome;
pub mod wizard;
