//! What the user typed into the account form, the rules that fill fields for them (ports that
//! follow protocol and encryption, user names that follow the email), prefilling from
//! discovery or an existing account, and validation into an [`Account`]. No iced here: it is
//! plain data, tested on its own. The settings screen edits accounts with the same form.
//!
//! The account signs in with a password or with OAuth2 (the provider's own page): the choice
//! is the whole account's, both servers log in the same way.

use std::path::PathBuf;

use tidings_mail::account::{
    Account, AuthMethod, Incoming, OAuth2Settings, Protocol, Security, Server, Trust, slug,
};
use tidings_mail::discover::Prefill;
use tidings_mail::net::Fingerprint;
use tidings_mail::oauth2::provider::CLIENT_ID_VAR;

/// The fields of one server (incoming or outgoing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFields {
    pub host: String,
    /// As typed: digits only, may be empty.
    pub port: String,
    pub security: Security,
    pub user: String,
    /// An extra CA certificate to trust (PEM file), as typed; empty for none.
    pub ca_file: String,
    /// The pinned certificate's SHA-256 (lower-case hex), set from the test step's
    /// certificate panel: the one certificate accepted although it does not verify.
    pub pin: Option<String>,
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
            ca_file: String::new(),
            pin: None,
            port_typed: false,
            user_typed: false,
        }
    }

    /// Takes a server's settings. The port keeps following encryption only when it is the
    /// usual one; the user name keeps following `follows` only when equal to it.
    fn load(&mut self, protocol: Protocol, server: &Server, follows: &str) {
        self.host = server.host.clone();
        self.port = server.port.to_string();
        self.port_typed = server.port != protocol.default_port(server.security);
        self.security = server.security;
        self.user = server.user.clone();
        self.user_typed = server.user != follows.trim();
        self.ca_file = server.trust.ca_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        self.pin = server.trust.pinned_sha256.clone();
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
    CaFile(String),
    /// Pin a certificate by its SHA-256 fingerprint (any form [`Fingerprint::parse`] takes),
    /// or forget the pin with `None`.
    Pin(Option<String>),
}

/// How the account signs in to both servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignIn {
    #[default]
    Password,
    /// With the provider's page; the servers get an access token.
    OAuth2,
}

/// The OAuth2 provider: one Tidings knows, or a provider file (any other issuer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProviderChoice {
    #[default]
    Microsoft,
    Google,
    File,
}

impl ProviderChoice {
    /// "Microsoft", "Google", or "your provider" for a file (its name is inside it).
    pub fn label(self) -> &'static str {
        match self {
            ProviderChoice::Microsoft => "Microsoft",
            ProviderChoice::Google => "Google",
            ProviderChoice::File => "your provider",
        }
    }
}

/// The OAuth2 fields, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuth2Fields {
    pub provider: ProviderChoice,
    /// The provider file's path (with [`ProviderChoice::File`]).
    pub file: String,
    /// The application (client) id; empty: the environment's or the provider file's.
    pub client_id: String,
    /// Microsoft's tenant (an id or a domain); empty: `common`.
    pub tenant: String,
}

impl OAuth2Fields {
    fn load(settings: &OAuth2Settings) -> OAuth2Fields {
        let provider = match settings.provider.to_ascii_lowercase().as_str() {
            "microsoft" => ProviderChoice::Microsoft,
            "google" => ProviderChoice::Google,
            _ => ProviderChoice::File,
        };
        OAuth2Fields {
            provider,
            file: if provider == ProviderChoice::File { settings.provider.clone() } else { String::new() },
            client_id: settings.client_id.clone().unwrap_or_default(),
            tenant: settings.tenant.clone().unwrap_or_default(),
        }
    }

    /// The application id from the environment, when one is set there.
    pub fn client_id_from_env() -> Option<String> {
        std::env::var(CLIENT_ID_VAR).ok().map(|id| id.trim().to_string()).filter(|id| !id.is_empty())
    }

    /// Whether an application id is known without the field: the environment's, or (maybe)
    /// the provider file's, which is read when signing in.
    pub fn client_id_elsewhere(&self) -> bool {
        self.provider == ProviderChoice::File || OAuth2Fields::client_id_from_env().is_some()
    }
}

/// A change to the OAuth2 fields.
#[derive(Debug, Clone)]
pub enum OAuth2Edit {
    Provider(ProviderChoice),
    File(String),
    ClientId(String),
    Tenant(String),
}

/// The whole form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The person's name, for From ("Alice Example"); may stay empty.
    pub sender_name: String,
    /// The account's name: a label ("Work").
    pub name: String,
    pub email: String,
    pub password: String,
    pub sign_in: SignIn,
    pub oauth2: OAuth2Fields,
    pub incoming_protocol: Incoming,
    pub incoming: ServerFields,
    pub outgoing: ServerFields,
}

impl Default for Form {
    /// IMAP over SSL/TLS (993) and SMTP with STARTTLS (587).
    fn default() -> Self {
        Form {
            sender_name: String::new(),
            name: String::new(),
            email: String::new(),
            password: String::new(),
            sign_in: SignIn::Password,
            oauth2: OAuth2Fields::default(),
            incoming_protocol: Incoming::Imap,
            incoming: ServerFields::new(Protocol::Imap, Security::Implicit),
            outgoing: ServerFields::new(Protocol::Smtp, Security::StartTls),
        }
    }
}

impl Form {
    /// The form showing an existing account (its password is not shown: it stays in the
    /// keyring unless a new one is typed).
    pub fn from_account(account: &Account) -> Form {
        let mut form = Form {
            sender_name: account.sender_name.clone().unwrap_or_default(),
            name: account.name.clone(),
            email: account.email.clone(),
            incoming_protocol: account.incoming_protocol,
            ..Form::default()
        };
        if account.incoming.auth == AuthMethod::OAuth2 || account.outgoing.auth == AuthMethod::OAuth2 {
            form.sign_in = SignIn::OAuth2;
        }
        if let Some(settings) = &account.oauth2 {
            form.oauth2 = OAuth2Fields::load(settings);
        }
        form.incoming.load(account.incoming_protocol.into(), &account.incoming, &account.email);
        form.outgoing.load(Protocol::Smtp, &account.outgoing, &account.incoming.user);
        form
    }

    /// Fills the servers with what discovery found; a side it found nothing for is kept.
    pub fn prefill(&mut self, prefill: &Prefill) {
        if let Some((protocol, server)) = &prefill.incoming {
            self.incoming_protocol = *protocol;
            self.incoming.load((*protocol).into(), server, &self.email);
        }
        if let Some(server) = &prefill.outgoing {
            self.outgoing.load(Protocol::Smtp, server, &self.incoming.user);
        }
    }

    pub fn set_email(&mut self, email: String) {
        self.email = email;
        if !self.incoming.user_typed {
            self.incoming.user = self.email.trim().to_string();
        }
        self.outgoing_user_follows();
    }

    /// Signs in with OAuth2 and this provider (discovery found one of its servers).
    pub fn sign_in_with(&mut self, provider: ProviderChoice) {
        self.sign_in = SignIn::OAuth2;
        self.oauth2.provider = provider;
    }

    pub fn edit_oauth2(&mut self, edit: OAuth2Edit) {
        let fields = &mut self.oauth2;
        match edit {
            OAuth2Edit::Provider(provider) => fields.provider = provider,
            OAuth2Edit::File(path) => fields.file = path,
            OAuth2Edit::ClientId(id) => fields.client_id = id,
            OAuth2Edit::Tenant(tenant) => fields.tenant = tenant,
        }
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
        let (account, password) = self.build(true)?;
        Ok((account, password.unwrap_or_default()))
    }

    /// The edited version of `base` (same id, options and password roles) and the new
    /// password if one was typed (empty: keep the stored one).
    pub fn validate_edit(&self, base: &Account) -> Result<(Account, Option<String>), Box<Errors>> {
        let (mut account, password) = self.build(false)?;
        account.id = base.id.clone();
        account.outgoing_own_password = base.outgoing_own_password;
        account.log_transcript = base.log_transcript;
        account.options = base.options;
        // Edited on their own card of the settings: kept as they are otherwise.
        account.identities = base.identities.clone();
        account.remote_content_from = base.remote_content_from.clone();
        // The way of signing in is not edited there: an OAuth2 account stays one.
        account.oauth2 = base.oauth2.clone();
        account.incoming.auth = base.incoming.auth;
        account.outgoing.auth = base.outgoing.auth;
        Ok((account, password))
    }

    fn build(&self, password_required: bool) -> Result<(Account, Option<String>), Box<Errors>> {
        let mut errors = Errors {
            name: self.name.trim().is_empty().then_some("Give the account a name, e.g. Work."),
            email: (!looks_like_email(self.email.trim()))
                .then_some("Enter an email address like alice@example.com."),
            password: (password_required && self.needs_password()).then_some("Enter the password."),
            ..Errors::default()
        };
        let oauth2 = if password_required && self.sign_in == SignIn::OAuth2 {
            self.oauth2_settings(&mut errors)
        } else {
            None
        };
        let incoming = server(&self.incoming, &mut errors.incoming);
        let outgoing = server(&self.outgoing, &mut errors.outgoing);
        match (incoming, outgoing) {
            (Some(mut incoming), Some(mut outgoing)) if errors.is_empty() => {
                if oauth2.is_some() {
                    incoming.auth = AuthMethod::OAuth2;
                    outgoing.auth = AuthMethod::OAuth2;
                }
                let name = self.name.trim().to_string();
                let sender_name = Some(self.sender_name.trim().to_string()).filter(|n| !n.is_empty());
                let account = Account {
                    sender_name,
                    identities: Vec::new(),
                    remote_content_from: Vec::new(),
                    oauth2,
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
                let password = (self.sign_in == SignIn::Password && !self.password.is_empty())
                    .then(|| self.password.clone());
                Ok((account, password))
            }
            _ => Err(Box::new(errors)),
        }
    }

    /// Only the first step's fields (name, email, password), before looking for settings.
    pub fn validate_identity(&self) -> Result<(), Box<Errors>> {
        let errors = Errors {
            name: self.name.trim().is_empty().then_some("Give the account a name, e.g. Work."),
            email: (!looks_like_email(self.email.trim()))
                .then_some("Enter an email address like alice@example.com."),
            password: self.needs_password().then_some("Enter the password."),
            ..Errors::default()
        };
        if errors.is_empty() { Ok(()) } else { Err(Box::new(errors)) }
    }

    /// A password is asked for only when the account signs in with one.
    fn needs_password(&self) -> bool {
        self.sign_in == SignIn::Password && self.password.is_empty()
    }

    /// The account's OAuth2 settings, or what is missing: a provider file's path, an
    /// application id when none is known elsewhere, a tenant that cannot be one.
    fn oauth2_settings(&self, errors: &mut Errors) -> Option<OAuth2Settings> {
        let fields = &self.oauth2;
        let file = fields.file.trim();
        let client_id = fields.client_id.trim();
        let tenant = fields.tenant.trim();
        if fields.provider == ProviderChoice::File && file.is_empty() {
            errors.provider_file = Some("Enter the path of the provider file (TOML).");
        }
        if client_id.is_empty() && !fields.client_id_elsewhere() {
            errors.client_id = Some(
                "Enter the application (client) id registered for Tidings with the provider: see                  “Signing in with OAuth2” in the README.",
            );
        }
        if fields.provider == ProviderChoice::Microsoft
            && !tenant.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            errors.tenant = Some("Enter a tenant id or domain (e.g. contoso.com), or leave it empty.");
        }
        let provider = match fields.provider {
            ProviderChoice::Microsoft => "microsoft".to_string(),
            ProviderChoice::Google => "google".to_string(),
            ProviderChoice::File => file.to_string(),
        };
        let some = |text: &str| (!text.is_empty()).then(|| text.to_string());
        Some(OAuth2Settings {
            provider,
            client_id: some(client_id),
            tenant: if fields.provider == ProviderChoice::Microsoft { some(tenant) } else { None },
            mechanism: None,
        })
    }
}

fn apply(fields: &mut ServerFields, protocol: Protocol, edit: ServerEdit) {
    match edit {
        ServerEdit::Host(host) => fields.host = host,
        ServerEdit::Port(port) => fields.set_port(port),
        ServerEdit::Security(security) => fields.set_security(protocol, security),
        ServerEdit::User(user) => fields.set_user(user),
        ServerEdit::CaFile(path) => fields.ca_file = path,
        // Stored as lower-case hex, as `--pin-cert` does; a malformed one is refused.
        ServerEdit::Pin(pin) => match pin {
            None => fields.pin = None,
            Some(text) => {
                if let Ok(fingerprint) = Fingerprint::parse(&text) {
                    fields.pin = Some(fingerprint.hex());
                }
            }
        },
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
    let ca_file = fields.ca_file.trim();
    Some(Server {
        host: host.to_string(),
        port: port?,
        security: fields.security,
        user: fields.user.trim().to_string(),
        auth: AuthMethod::Password,
        trust: Trust {
            ca_file: (!ca_file.is_empty()).then(|| PathBuf::from(ca_file)),
            pinned_sha256: fields.pin.clone(),
        },
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
    pub provider_file: Option<&'static str>,
    pub client_id: Option<&'static str>,
    pub tenant: Option<&'static str>,
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

    #[test]
    fn discovery_prefills_and_unusual_ports_stop_following() {
        let mut form = filled();
        let server = |host: &str, port, security, user: &str| Server {
            host: host.into(),
            port,
            security,
            user: user.into(),
            auth: AuthMethod::Password,
            trust: Trust::default(),
        };
        form.prefill(&Prefill {
            incoming: Some((Incoming::Pop3, server("pop.example.test", 995, Security::Implicit, "alice"))),
            outgoing: Some(server("smtp.example.test", 2525, Security::StartTls, "alice@example.test")),
        });
        assert_eq!(form.incoming_protocol, Incoming::Pop3);
        assert_eq!((form.incoming.host.as_str(), form.incoming.user.as_str()), ("pop.example.test", "alice"));
        form.edit_incoming(ServerEdit::Security(Security::StartTls));
        assert_eq!(form.incoming.port, "110", "a usual port follows the encryption");
        form.edit_outgoing(ServerEdit::Security(Security::Implicit));
        assert_eq!(form.outgoing.port, "2525", "an unusual port stays");
        form.set_email("robert@example.test".into());
        assert_eq!(form.incoming.user, "alice", "a user name unlike the email stays");
        assert_eq!(form.outgoing.user, "alice@example.test", "differs from the incoming one: stays");

        // Nothing found for a side: that side is left as it was.
        form.prefill(&Prefill { incoming: None, outgoing: None });
        assert_eq!(form.incoming.host, "pop.example.test");
    }

    #[test]
    fn trust_settings_reach_the_account_and_pins_are_normalised() {
        let mut form = filled();
        form.edit_incoming(ServerEdit::CaFile(" /etc/ssl/company-ca.pem ".into()));
        form.edit_outgoing(ServerEdit::Pin(Some("AB:".repeat(31) + "AB")));
        form.edit_incoming(ServerEdit::Pin(Some("not a fingerprint".into())));
        let (account, _) = form.validate().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(account.incoming.trust.ca_file, Some(PathBuf::from("/etc/ssl/company-ca.pem")));
        assert_eq!(account.incoming.trust.pinned_sha256, None);
        assert_eq!(account.outgoing.trust.pinned_sha256, Some("ab".repeat(32)));
        assert!(account.validate().is_ok());

        form.edit_outgoing(ServerEdit::Pin(None));
        let (account, _) = form.validate().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(account.outgoing.trust, Trust::default());
    }

    #[test]
    fn an_account_comes_back_as_it_was_saved_and_keeps_its_id_and_options() {
        let (mut account, _) = filled().validate().unwrap_or_else(|e| panic!("{e:?}"));
        account.id = "work-2".into();
        account.incoming.port = 10993;
        account.incoming.user = "alice".into();
        account.outgoing.trust.pinned_sha256 = Some("cd".repeat(32));
        account.options.idle = false;
        account.log_transcript = true;
        let mut form = Form::from_account(&account);
        assert_eq!(form.password, "");
        let (same, password) = form.validate_edit(&account).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(same, account);
        assert_eq!(password, None, "no password typed: the stored one stays");

        form.name = "Office".into();
        form.password = "new".into();
        let (edited, password) = form.validate_edit(&account).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((edited.id.as_str(), edited.name.as_str()), ("work-2", "Office"));
        assert_eq!(password.as_deref(), Some("new"));
        assert!(!edited.options.idle && edited.log_transcript);
    }
}
