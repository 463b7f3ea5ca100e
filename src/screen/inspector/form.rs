//! What to inspect: the server URL, optional credentials and trust settings. Parsing happens as
//! the user types (it is pure and cheap), so a bad URL or fingerprint is explained at once;
//! files are only read when the inspection starts, off the UI thread.

use std::fmt;
use std::path::PathBuf;

use iced::widget::{button, column, container, row, space, text, text_input};
use iced::{Element, Length, widget};

use tidings_mail::account::Account;
use tidings_mail::inspect::{Credentials, Target};
use tidings_mail::net::Fingerprint;
use tidings_mail::secret::Secrets;

use super::live::Job;
use super::{Message, id, sentence};
use crate::theme;
use crate::widget::form::{check, field, section};

/// Shown when Run is pressed without a URL.
pub const URL_MISSING: &str = "Enter the server to inspect, e.g. imaps://imap.example.com.";
/// Shown when a password is given without a user name.
pub const USER_MISSING: &str = "Enter the user name that goes with the password.";

/// One change to the form.
#[derive(Clone)]
pub enum Edit {
    Url(String),
    User(String),
    Password(String),
    CaFile(String),
    Pin(String),
    IncludeContent(bool),
}

#[derive(Clone, Default)]
pub struct Form {
    pub url: String,
    pub user: String,
    pub password: String,
    pub ca_file: String,
    pub pin: String,
    /// Keep the sampled messages' headers and bodies in the transcript (off: sizes and
    /// formats only).
    pub include_content: bool,
    /// A configured OAuth2 account's sign-in: the inspection logs in with its token, and no
    /// password is asked for.
    pub sign_in: Option<SignIn>,
    /// Why the URL does not parse (kept up to date as the user types).
    url_error: Option<String>,
    pin_error: Option<String>,
    user_error: Option<&'static str>,
}

/// Whose OAuth2 sign-in an inspection uses.
#[derive(Clone)]
pub struct SignIn {
    pub account: Account,
    pub secrets: Secrets,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignIn({})", self.account.id)
    }
}

impl Form {
    pub fn edit(&mut self, edit: Edit) {
        match edit {
            Edit::Url(url) => {
                self.url_error = if url.trim().is_empty() { None } else { parse_target(&url).err() };
                self.url = url;
            }
            Edit::User(user) => {
                self.user = user;
                self.user_error = None;
            }
            Edit::Password(password) => {
                self.password = password;
                self.user_error = None;
            }
            Edit::CaFile(path) => self.ca_file = path,
            Edit::Pin(pin) => {
                self.pin_error = if pin.trim().is_empty() { None } else { parse_pin(&pin).err() };
                self.pin = pin;
            }
            Edit::IncludeContent(on) => self.include_content = on,
        }
    }

    pub fn url_error(&self) -> Option<&str> {
        self.url_error.as_deref()
    }

    /// What to run, or `None` with the problems shown next to their fields.
    pub(super) fn submit(&mut self) -> Option<Job> {
        let target = if self.url.trim().is_empty() {
            self.url_error = Some(URL_MISSING.to_string());
            None
        } else {
            parse_target(&self.url).map_err(|e| self.url_error = Some(e)).ok()
        };
        let pin = if self.pin.trim().is_empty() {
            Some(None)
        } else {
            parse_pin(&self.pin).map(Some).map_err(|e| self.pin_error = Some(e)).ok()
        };
        // An empty password means: inspect without logging in (unless the account's OAuth2
        // sign-in logs in).
        let creds = match (self.user.trim(), self.password.is_empty()) {
            _ if self.sign_in.is_some() => Some(None),
            (_, true) => Some(None),
            ("", false) => {
                self.user_error = Some(USER_MISSING);
                None
            }
            (user, false) => Some(Some(Credentials::password(user, self.password.clone()))),
        };
        let ca_file = Some(self.ca_file.trim()).filter(|p| !p.is_empty()).map(PathBuf::from);
        Some(Job {
            target: target?,
            ca_file,
            pin: pin?,
            creds: creds?,
            sign_in: self.sign_in.clone(),
            include_content: self.include_content,
        })
    }

    pub(super) fn view(&self, editable: bool, running: bool) -> Element<'_, Message> {
        let input =
            |id: &'static str, placeholder: &'static str, value: &'_ str, edit: fn(String) -> Edit| {
                text_input(placeholder, value)
                    .id(widget::Id::new(id))
                    .on_input_maybe(editable.then_some(move |value| Message::Edit(edit(value))))
                    .on_submit(Message::Run)
                    .padding(7)
                    .size(14)
                    .style(theme::text_input::field)
            };
        let hint = |words: &'static str| text(words).size(12).style(theme::text::muted);

        let run = if running {
            container(
                button(text("Stop")).padding([8, 20]).style(theme::button::secondary).on_press(Message::Stop),
            )
            .id(widget::Id::new(id::STOP))
        } else {
            container(
                button(text("Run inspection"))
                    .padding([8, 20])
                    .style(theme::button::primary)
                    .on_press_maybe(editable.then_some(Message::Run)),
            )
            .id(widget::Id::new(id::RUN))
        };

        section(
            "Server",
            column![
                field(
                    "URL",
                    column![
                        input(id::URL, "imaps://imap.example.com", &self.url, Edit::Url),
                        hint(
                            "imap:// and pop3:// use STARTTLS, imaps:// and pop3s:// TLS; smtp:// or smtps://"
                        ),
                    ]
                    .spacing(4),
                    self.url_error.as_deref(),
                ),
                field("User", input(id::USER, "", &self.user, Edit::User), self.user_error),
                match &self.sign_in {
                    Some(_) => field(
                        "Sign-in",
                        hint("The account's OAuth2 sign-in: its access token logs in (no password)."),
                        None,
                    ),
                    None => field(
                        "Password",
                        column![
                            input(id::PASSWORD, "", &self.password, Edit::Password).secure(true),
                            hint("Leave empty to stop after the greeting and capabilities."),
                        ]
                        .spacing(4),
                        None,
                    ),
                },
                field(
                    "CA file",
                    input(id::CA_FILE, "optional: a PEM file to trust", &self.ca_file, Edit::CaFile),
                    None,
                ),
                field(
                    "Pinned cert",
                    input(id::PIN, "optional: its SHA-256, AB:CD:…", &self.pin, Edit::Pin),
                    self.pin_error.as_deref(),
                ),
                field(
                    "Content",
                    check(
                        id::INCLUDE_CONTENT,
                        "Include message content in the transcript (for your eyes: it may hold private mail)",
                        self.include_content,
                        editable.then_some(|on| Message::Edit(Edit::IncludeContent(on))),
                    ),
                    None,
                ),
                row![space::horizontal(), run].width(Length::Fill),
            ],
        )
    }
}

fn parse_target(url: &str) -> Result<Target, String> {
    Target::parse(url.trim()).map_err(|e| sentence(&e.to_string()))
}

fn parse_pin(pin: &str) -> Result<Fingerprint, String> {
    Fingerprint::parse(pin.trim()).map_err(|e| sentence(&e.to_string()))
}

impl fmt::Debug for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Edit::Url(url) => f.debug_tuple("Url").field(url).finish(),
            Edit::User(user) => f.debug_tuple("User").field(user).finish(),
            Edit::Password(_) => f.write_str("Password(<redacted>)"),
            Edit::CaFile(path) => f.debug_tuple("CaFile").field(path).finish(),
            Edit::Pin(pin) => f.debug_tuple("Pin").field(pin).finish(),
            Edit::IncludeContent(on) => f.debug_tuple("IncludeContent").field(on).finish(),
        }
    }
}

/// The password never appears in debug output.
impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("password", &if self.password.is_empty() { "" } else { "<redacted>" })
            .field("ca_file", &self.ca_file)
            .field("pin", &self.pin)
            .field("include_content", &self.include_content)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(url: &str, user: &str, password: &str) -> Form {
        let mut form = Form::default();
        form.edit(Edit::Url(url.into()));
        form.edit(Edit::User(user.into()));
        form.edit(Edit::Password(password.into()));
        form
    }

    #[test]
    fn a_bad_url_is_explained_as_it_is_typed() {
        let mut f = form("imap:/", "", "");
        assert!(f.url_error().is_some_and(|e| e.contains("is not an inspection target")));
        f.edit(Edit::Url("imaps://mail.example.test".into()));
        assert_eq!(f.url_error(), None);
        f.edit(Edit::Url(String::new()));
        assert_eq!(f.url_error(), None, "an empty field is not an error until Run");
        assert!(f.submit().is_none());
        assert_eq!(f.url_error(), Some(URL_MISSING));
    }

    #[test]
    fn credentials_only_with_a_password_and_a_user_for_it() {
        let job = form("imaps://h", "alice", "").submit().map(|j| j.creds.is_none());
        assert_eq!(job, Some(true), "no password: no login");
        let job = form("imaps://h", "alice", "pw").submit().map(|j| j.creds.map(|c| c.user().to_string()));
        assert_eq!(job, Some(Some("alice".to_string())));
        let mut f = form("imaps://h", "", "pw");
        assert!(f.submit().is_none());
        assert_eq!(f.user_error, Some(USER_MISSING));
    }

    #[test]
    fn the_pin_is_checked_and_the_password_never_debug_printed() {
        let mut f = form("imaps://h", "", "");
        f.edit(Edit::Pin("12:34".into()));
        assert!(f.pin_error.as_deref().is_some_and(|e| e.contains("is not a SHA-256 fingerprint")));
        assert!(f.submit().is_none());
        let text = format!("{:?}", Edit::Password("hunter2".into()));
        assert!(!text.contains("hunter2"), "{text}");
    }
}
