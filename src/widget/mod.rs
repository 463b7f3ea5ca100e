//! Reusable pieces of interface shared by screens.

pub mod choice;
pub mod device_code;
pub mod form;
pub mod status;
pub mod transcript_line;
pub mod virtual_list;
