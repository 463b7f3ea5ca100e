//! What the user typed into the account form, the rules that fill fields for them (ports that
//! follow protocol and encryption, user names that follow the email), and validation into an
//! [`Account`]. No iced here: it is plain data, tested on its own.

use tidings_mail::account::{Account, AuthMethod, Incoming, Protocol, Security, Server, Trust, slug};

/// The fields of one server (incoming or outgoing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFields {
    pub host: String,
    /// As typed: digits only, may be empty.
    pub port: String,
    pub security: Security,
    pub user: String,
    /// The user typed a port: stop following protocol and encryption.
    port_typed: bool,
    /// The user typed a user name: stop following the email.
    user_typed: bool,
}

impl ServerFields {
    fn new(protocol: Protocol, security: Security) -> Self {
        ServerFields {
            host: String::new(),
            port: protocol.default_port(security).to_string(),
            security,
            user: String::new(),
            port_typed: false,
            user_typed: false,
        }
    }

    /// Puts the usual port for `protocol` and the current encryption, unless one was typed.
    fn follow(&mut self, protocol: Protocol) {
        if !self.port_typed {
            self.port = protocol.default_port(self.security).to_string();
        }
    }

    fn set_security(&mut self, protocol: Protocol, security: Security) {
        self.security = security;
        self.follow(protocol);
    }

    /// Accepts digits only (at most five). Clearing the field makes the port follow again.
    fn set_port(&mut self, port: String) {
        if port.len() <= 5 && port.chars().all(|c| c.is_ascii_digit()) {
            self.port_typed = !port.is_empty();
            self.port = port;
        }
    }

    fn set_user(&mut self, user: String) {
        self.user_typed = !user.is_empty();
        self.user = user;
    }

    /// Whether passwords would cross the network in clear.
    pub fn is_unencrypted(&self) -> bool {
        self.security == Security::None
    }
}

/// A change to one server's fields.
#[derive(Debug, Clone)]
pub enum ServerEdit {
    Host(String),
    Port(String),
    Security(Security),
    User(String),
}

/// The whole form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub name: String,
    pub email: String,
    pub password: String,
    pub incoming_protocol: Incoming,
    pub incoming: ServerFields,
    pub outgoing: ServerFields,
}

impl Default for Form {
    /// IMAP over SSL/TLS (993) and SMTP with STARTTLS (587).
    fn default() -> Self {
        Form {
            name: String::new(),
            email: String::new(),
            password: String::new(),
            incoming_protocol: Incoming::Imap,
            incoming: ServerFields::new(Protocol::Imap, Security::Implicit),
            outgoing: ServerFields::new(Protocol::Smtp, Security::StartTls),
        }
    }
}

impl Form {
    pub fn set_email(&mut self, email: String) {
        self.email = email;
        if !self.incoming.user_typed {
            self.incoming.user = self.email.trim().to_string();
        }
        self.outgoing_user_follows();
    }

    pub fn set_incoming_protocol(&mut self, protocol: Incoming) {
        self.incoming_protocol = protocol;
        self.incoming.follow(protocol.into());
    }

    pub fn edit_incoming(&mut self, edit: ServerEdit) {
        let protocol = self.incoming_protocol.into();
        let user_changed = matches!(edit, ServerEdit::User(_));
        apply(&mut self.incoming, protocol, edit);
        if user_changed {
            self.outgoing_user_follows();
        }
    }

    pub fn edit_outgoing(&mut self, edit: ServerEdit) {
        apply(&mut self.outgoing, Protocol::Smtp, edit);
    }

    /// The outgoing user name is the incoming one until typed.
    fn outgoing_user_follows(&mut self) {
        if !self.outgoing.user_typed {
            self.outgoing.user = self.incoming.user.clone();
        }
    }

    /// The account and its password, or what to fix, field by field.
    pub fn validate(&self) -> Result<(Account, String), Box<Errors>> {
        let mut errors = Errors {
            name: self.name.trim().is_empty().then_some("Give the account a name, e.g. Work."),
            email: (!looks_like_email(self.email.trim()))
                .then_some("Enter an email address like alice@example.com."),
            password: self.password.is_empty().then_some("Enter the password."),
            ..Errors::default()
        };
        let incoming = server(&self.incoming, &mut errors.incoming);
        let outgoing = server(&self.outgoing, &mut errors.outgoing);
        match (incoming, outgoing) {
            (Some(incoming), Some(outgoing)) if errors.is_empty() => {
                let name = self.name.trim().to_string();
                let account = Account {
                    id: slug(&name),
                    name,
                    email: self.email.trim().to_string(),
                    incoming_protocol: self.incoming_protocol,
                    incoming,
                    outgoing,
                    outgoing_own_password: false,
                    log_transcript: false,
                    options: Default::default(),
                };
                Ok((account, self.password.clone()))
            }
            _ => Err(Box::new(errors)),
        }
    }
}

fn apply(fields: &mut ServerFields, protocol: Protocol, edit: ServerEdit) {
    match edit {
        ServerEdit::Host(host) => fields.host = host,
        ServerEdit::Port(port) => fields.set_port(port),
        ServerEdit::Security(security) => fields.set_security(protocol, security),
        ServerEdit::User(user) => fields.set_user(user),
    }
}

fn server(fields: &ServerFields, errors: &mut ServerErrors) -> Option<Server> {
    let host = fields.host.trim();
    if host.is_empty() {
        errors.host = Some("Enter the server's host name, e.g. mail.example.com.");
    } else if host.contains(char::is_whitespace) || host.contains('/') || host.contains(':') {
        errors.host = Some("Enter only the host name: no spaces, scheme, path or port.");
    }
    let port = fields.port.parse::<u16>().ok().filter(|port| *port != 0);
    if port.is_none() {
        errors.port = Some("Enter a port between 1 and 65535.");
    }
    if fields.user.trim().is_empty() {
        errors.user = Some("Enter the user name (often the email address).");
    }
    Some(Server {
        host: host.to_string(),
        port: port?,
        security: fields.security,
        user: fields.user.trim().to_string(),
        auth: AuthMethod::Password,
        trust: Trust::default(),
    })
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// What is wrong with each field; `None` means fine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Errors {
    pub name: Option<&'static str>,
    pub email: Option<&'static str>,
    pub password: Option<&'static str>,
    pub incoming: ServerErrors,
    pub outgoing: ServerErrors,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerErrors {
    pub host: Option<&'static str>,
    pub port: Option<&'static str>,
    pub user: Option<&'static str>,
}

impl Errors {
    pub fn is_empty(&self) -> bool {
        *self == Errors::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> Form {
        let mut form = Form { name: "Work".into(), password: "pw".into(), ..Form::default() };
        form.set_email("alice@example.test".into());
        form.edit_incoming(ServerEdit::Host("imap.example.test".into()));
        form.edit_outgoing(ServerEdit::Host("smtp.example.test".into()));
        form
    }

    #[test]
    fn ports_follow_protocol_and_encryption_until_typed() {
        let mut form = Form::default();
        assert_eq!((form.incoming.port.as_str(), form.outgoing.port.as_str()), ("993", "587"));
        form.set_incoming_protocol(Incoming::Pop3);
        assert_eq!(form.incoming.port, "995");
        form.edit_incoming(ServerEdit::Security(Security::StartTls));
        assert_eq!(form.incoming.port, "110");
        form.edit_outgoing(ServerEdit::Security(Security::Implicit));
        assert_eq!(form.outgoing.port, "465");
        form.edit_incoming(ServerEdit::Port("1110".into()));
        form.set_incoming_protocol(Incoming::Imap);
        form.edit_incoming(ServerEdit::Security(Security::Implicit));
        assert_eq!(form.incoming.port, "1110");
        form.edit_incoming(ServerEdit::Port("12a".into()));
        assert_eq!(form.incoming.port, "1110", "non-digits are refused");
        form.edit_incoming(ServerEdit::Port(String::new()));
        form.set_incoming_protocol(Incoming::Imap);
        assert_eq!(form.incoming.port, "993", "a cleared port follows again");
    }

    #[test]
    fn user_names_follow_the_email_until_typed() {
        let mut form = Form::default();
        form.set_email("bob@example.test".into());
        assert_eq!(form.incoming.user, "bob@example.test");
        assert_eq!(form.outgoing.user, "bob@example.test");
        form.edit_incoming(ServerEdit::User("bob".into()));
        form.set_email("robert@example.test".into());
        assert_eq!((form.incoming.user.as_str(), form.outgoing.user.as_str()), ("bob", "bob"));
        form.edit_outgoing(ServerEdit::User("smtp-bob".into()));
        form.edit_incoming(ServerEdit::User("rob".into()));
        assert_eq!(form.outgoing.user, "smtp-bob");
    }

    #[test]
    fn validation_names_each_bad_field_and_builds_the_account() {
        let errors = Form::default().validate().err().unwrap_or_default();
        assert!(errors.name.is_some() && errors.email.is_some() && errors.password.is_some());
        assert!(errors.incoming.host.is_some() && errors.outgoing.user.is_some());
        assert!(errors.incoming.port.is_none());

        let mut form = filled();
        form.edit_incoming(ServerEdit::Host("imaps://mail.example.test".into()));
        let errors = form.validate().err().unwrap_or_default();
        assert!(errors.incoming.host.is_some() && errors.outgoing.host.is_none());

        let (account, password) = filled().validate().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(password, "pw");
        assert_eq!((account.id.as_str(), account.incoming.port), ("work", 993));
        assert_eq!(account.outgoing.security, Security::StartTls);
        assert_eq!(account.outgoing.user, "alice@example.test");
        assert!(account.validate().is_ok());
    }
}
