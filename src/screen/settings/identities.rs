//! "Other addresses you send as": the account's identities (an alias, a shared address)
//! that the composer's From picker offers besides the account's own. The person's name is
//! in the account card ([`crate::screen::wizard::fields::account_section`]).

use iced::widget::{Column, button, column, container, row, text, text_input};
use iced::{Alignment, Element, Length, widget};

use tidings_mail::account::{Account, Identity};

use super::{Message, id};
use crate::theme;
use crate::widget::form::section;

#[derive(Debug, Clone)]
pub enum IdentityEdit {
    Name(usize, String),
    Email(usize, String),
    Add,
    Remove(usize),
}

/// One "other address" as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityRow {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentitiesForm {
    pub rows: Vec<IdentityRow>,
}

/// What is wrong with each row (same order as the rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityErrors {
    pub rows: Vec<Option<&'static str>>,
}

impl IdentityErrors {
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(Option::is_none)
    }
}

impl IdentitiesForm {
    pub fn new(account: &Account) -> IdentitiesForm {
        IdentitiesForm {
            rows: account
                .identities
                .iter()
                .map(|i| IdentityRow { name: i.name.clone().unwrap_or_default(), email: i.email.clone() })
                .collect(),
        }
    }

    pub fn edit(&mut self, edit: IdentityEdit) {
        match edit {
            IdentityEdit::Name(i, name) => {
                if let Some(row) = self.rows.get_mut(i) {
                    row.name = name;
                }
            }
            IdentityEdit::Email(i, email) => {
                if let Some(row) = self.rows.get_mut(i) {
                    row.email = email;
                }
            }
            IdentityEdit::Add => self.rows.push(IdentityRow::default()),
            IdentityEdit::Remove(i) => {
                if i < self.rows.len() {
                    self.rows.remove(i);
                }
            }
        }
    }

    /// `own`: the account's address (as edited), which needs no row of its own.
    pub fn errors(&self, own: &str) -> IdentityErrors {
        let mut seen: Vec<String> = vec![own.trim().to_ascii_lowercase()];
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let email = row.email.trim();
                if email.is_empty() {
                    // A row left blank is dropped; a name without an address is a mistake.
                    return (!row.name.trim().is_empty()).then_some("Enter the address, or remove this row.");
                }
                // The check sending makes (a name, brackets or a comma are not an address).
                if tidings_mail::compose::Address::email(email).check().is_err() {
                    return Some("Enter an address like sales@example.com.");
                }
                let key = email.to_ascii_lowercase();
                if seen.contains(&key) {
                    return Some("This address is already listed.");
                }
                seen.push(key);
                None
            })
            .collect();
        IdentityErrors { rows }
    }

    /// The identities to save, or what to fix. Blank rows are dropped.
    pub fn validate(&self, own: &str) -> Result<Vec<Identity>, IdentityErrors> {
        let errors = self.errors(own);
        if !errors.is_empty() {
            return Err(errors);
        }
        let trimmed = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(self
            .rows
            .iter()
            .filter(|r| !r.email.trim().is_empty())
            .map(|r| Identity { name: trimmed(&r.name), email: r.email.trim().to_string() })
            .collect())
    }
}

/// Widget ids of row `i`.
pub fn name_id(i: usize) -> String {
    format!("{}-{i}", id::IDENTITY_NAME)
}
pub fn email_id(i: usize) -> String {
    format!("{}-{i}", id::IDENTITY_EMAIL)
}
pub fn remove_id(i: usize) -> String {
    format!("{}-{i}", id::IDENTITY_REMOVE)
}

/// The "Other addresses" card.
pub fn view<'a>(form: &'a IdentitiesForm, errors: &IdentityErrors, editable: bool) -> Element<'a, Message> {
    let mut rows = Column::new().spacing(8);
    for (i, r) in form.rows.iter().enumerate() {
        let input = |placeholder: &'static str, value: &'a str, widget_id: String, width: Length| {
            text_input(placeholder, value)
                .id(widget::Id::from(widget_id))
                .on_submit(Message::Save)
                .padding(7)
                .size(14)
                .width(width)
        };
        let line = row![
            input("Name (optional)", &r.name, name_id(i), Length::FillPortion(2))
                .on_input_maybe(editable.then_some(move |t| Message::Identity(IdentityEdit::Name(i, t))))
                .style(theme::text_input::field),
            input("sales@example.com", &r.email, email_id(i), Length::FillPortion(3))
                .on_input_maybe(editable.then_some(move |t| Message::Identity(IdentityEdit::Email(i, t))))
                .style(theme::text_input::field),
            container(
                button(text("Remove").size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press_maybe(editable.then_some(Message::Identity(IdentityEdit::Remove(i)))),
            )
            .id(widget::Id::from(remove_id(i))),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        let error = errors.rows.get(i).copied().flatten().map(|e| text(e).size(13).style(theme::text::error));
        rows = rows.push(column![line].push(error).spacing(4));
    }
    let add = container(
        button(text("Add address").size(13))
            .padding([5, 12])
            .style(theme::button::secondary)
            .on_press_maybe(editable.then_some(Message::Identity(IdentityEdit::Add))),
    )
    .id(widget::Id::new(id::ADD_IDENTITY));
    let none = form.rows.is_empty().then(|| muted("None: messages go out from the account's address only."));
    section(
        "Other addresses you send as",
        column![muted(
            "Aliases or shared addresses: the composer's From offers them too, and a reply goes out from \
             the one the message was sent to. Without a name of their own they take yours."
        )]
        .push(none)
        .push(rows)
        .push(add),
    )
}

fn muted<'a>(text_: &'static str) -> Element<'a, Message> {
    text(text_).size(12).style(theme::text::muted).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(rows: &[(&str, &str)]) -> IdentitiesForm {
        IdentitiesForm {
            rows: rows.iter().map(|(n, e)| IdentityRow { name: (*n).into(), email: (*e).into() }).collect(),
        }
    }

    #[test]
    fn blank_rows_are_dropped_and_names_trimmed() {
        let f = form(&[("", ""), (" Sales ", " sales@example.test "), ("", "help@example.test")]);
        let ids = f.validate("alice@example.test").unwrap();
        assert_eq!(
            ids,
            [
                Identity { name: Some("Sales".into()), email: "sales@example.test".into() },
                Identity { name: None, email: "help@example.test".into() },
            ]
        );
    }

    #[test]
    fn bad_missing_and_repeated_addresses_are_shown_on_their_rows() {
        let f = form(&[
            ("Sales", "sales"),
            ("", "<b@example.test>"),
            ("Help", ""),
            ("", "ALICE@example.test"),
            ("", "x@example.test"),
            ("", "X@example.test"),
        ]);
        let e = f.validate("alice@example.test").unwrap_err();
        assert_eq!(
            e.rows,
            [
                Some("Enter an address like sales@example.com."),
                Some("Enter an address like sales@example.com."),
                Some("Enter the address, or remove this row."),
                Some("This address is already listed."),
                None,
                Some("This address is already listed."),
            ]
        );
    }

    #[test]
    fn rows_are_added_edited_and_removed() {
        let mut f = IdentitiesForm::default();
        f.edit(IdentityEdit::Add);
        f.edit(IdentityEdit::Add);
        f.edit(IdentityEdit::Email(1, "b@example.test".into()));
        f.edit(IdentityEdit::Name(1, "B".into()));
        f.edit(IdentityEdit::Remove(0));
        f.edit(IdentityEdit::Remove(5));
        assert_eq!(f.rows, [IdentityRow { name: "B".into(), email: "b@example.test".into() }]);
    }
}
