//! Addresses as people type them ("Bob <bob@example.test>, carol@example.test") and as the
//! builder needs them. Parsing is lenient about names (quotes optional, commas inside quotes
//! kept) and strict about the address itself: an invalid one is a [`Kind::Config`] error that
//! names it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One mailbox: an optional display name and the email address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub email: String,
}

impl Address {
    pub fn new(name: Option<&str>, email: &str) -> Address {
        let name = name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        Address { name, email: email.trim().to_string() }
    }

    /// Just an address, without a name.
    pub fn email(email: &str) -> Address {
        Address::new(None, email)
    }

    /// Parses one address as typed: `bob@x`, `Bob <bob@x>`, `"Doe, Bob" <bob@x>`, `<bob@x>`.
    pub fn parse(input: &str) -> Result<Address> {
        let text = input.trim();
        let (name, email) = match (text.rfind('<'), text.rfind('>')) {
            (Some(open), Some(close)) if open < close && text[close + 1..].trim().is_empty() => {
                (Some(unquote(text[..open].trim())), text[open + 1..close].trim())
            }
            (None, None) => (None, text),
            _ => return Err(invalid(text)),
        };
        let email = email.strip_prefix("mailto:").unwrap_or(email);
        let address = Address::new(name.as_deref(), email);
        address.check()?;
        Ok(address)
    }

    /// Fails with a [`Kind::Config`](crate::Kind::Config) error naming the address unless it is
    /// one a mail server could accept.
    pub fn check(&self) -> Result<()> {
        self.lettre().map(|_| ())
    }

    /// The address in lettre's terms (checked).
    pub(crate) fn lettre(&self) -> Result<lettre::Address> {
        if self.email.is_empty() {
            return Err(Error::config("an address is empty"));
        }
        lettre::Address::from_str(&self.email).map_err(|_| invalid(&self.email))
    }

    /// The domain part (after the last `@`), lower-cased.
    pub fn domain(&self) -> String {
        self.email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default()
    }

    /// Whether two addresses are the same mailbox (case-insensitive, as people expect).
    pub fn same_mailbox(&self, email: &str) -> bool {
        self.email.trim().eq_ignore_ascii_case(email.trim())
    }

    /// The name when there is one, else the address: how a person is shown in a line of text.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.email)
    }
}

impl fmt::Display for Address {
    /// `Name <email>` (the name quoted when it holds a character with a meaning in an address
    /// list), or just the email.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) if needs_quotes(name) => {
                write!(f, "\"{}\" <{}>", name.replace('\\', "\\\\").replace('"', "\\\""), self.email)
            }
            Some(name) => write!(f, "{name} <{}>", self.email),
            None => f.write_str(&self.email),
        }
    }
}

fn invalid(text: &str) -> Error {
    Error::config(format!("\"{text}\" is not a valid email address"))
}

fn needs_quotes(name: &str) -> bool {
    name.chars().any(|c| matches!(c, ',' | ';' | '<' | '>' | '@' | '"' | '(' | ')' | '[' | ']' | ':' | '\\'))
}

fn unquote(name: &str) -> String {
    let inner = name.strip_prefix('"').and_then(|n| n.strip_suffix('"'));
    match inner {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => name.to_string(),
    }
}

/// Splits what a person typed into a To/Cc/Bcc field into pieces: at commas, semicolons and
/// line breaks outside quotes and angle brackets. Empty pieces are dropped.
pub fn split_address_list(input: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut quoted, mut angle, mut escaped) = (0, false, false, false);
    for (i, c) in input.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' | '\n' | '\r' if !quoted && !angle => {
                pieces.push(&input[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    pieces.push(&input[start..]);
    pieces.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Parses an address list as typed ("Bob <bob@x>, carol@y"). The first invalid address fails
/// the whole list with an error naming it; nothing typed is changed.
pub fn parse_address_list(input: &str) -> Result<Vec<Address>> {
    split_address_list(input).into_iter().map(Address::parse).collect()
}

/// The list as one line for an input field: `Bob <bob@x>, carol@y`.
pub fn format_address_list(list: &[Address]) -> String {
    list.iter().map(Address::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;

    #[test]
    fn a_typed_list_with_names_quotes_and_separators() {
        let list = parse_address_list(
            " Bob <bob@example.test>, carol@example.test; \"Doe, Jane\" <jane@example.test>\n<dan@example.test>,, ",
        )
        .unwrap();
        assert_eq!(
            list,
            vec![
                Address::new(Some("Bob"), "bob@example.test"),
                Address::email("carol@example.test"),
                Address::new(Some("Doe, Jane"), "jane@example.test"),
                Address::email("dan@example.test"),
            ]
        );
        assert_eq!(
            format_address_list(&list),
            "Bob <bob@example.test>, carol@example.test, \"Doe, Jane\" <jane@example.test>, dan@example.test"
        );
        // What is shown parses back to the same list.
        assert_eq!(parse_address_list(&format_address_list(&list)).unwrap(), list);
    }

    #[test]
    fn non_ascii_names_and_escaped_quotes() {
        let a = Address::parse("\"Zoë \\\"Z\\\" Müller\" <zoe@example.test>").unwrap();
        assert_eq!(a.name.as_deref(), Some("Zoë \"Z\" Müller"));
        assert_eq!(Address::parse(&a.to_string()).unwrap(), a);
        let b = Address::parse("Jürgen Groß <j@example.test>").unwrap();
        assert_eq!(b.to_string(), "Jürgen Groß <j@example.test>");
    }

    #[test]
    fn an_invalid_address_is_a_config_error_naming_it() {
        for bad in ["bob@", "Bob <not an address>", "bob", "Bob <bob@example.test", "a@b@c"] {
            let e = parse_address_list(&format!("ok@example.test, {bad}")).unwrap_err();
            assert_eq!(e.kind(), Kind::Config, "{bad}");
            assert!(e.message().contains("is not a valid email address"), "{e}");
        }
        let e = parse_address_list("ok@example.test, Bob <bob@>").unwrap_err();
        assert!(e.message().contains("\"bob@\""), "{e}");
    }

    #[test]
    fn empty_input_is_an_empty_list() {
        assert!(parse_address_list("  , ;\n").unwrap().is_empty());
    }
}
