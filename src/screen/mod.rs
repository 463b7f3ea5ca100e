//! One module per screen. Each owns its `Message`, an `update` returning an `Action` for the
//! app, and a `view`; screens never reach into each other.

pub mod accounts;
pub mod inspector;
pub mod loading;
pub mod welcome;
pub mod wizard;
