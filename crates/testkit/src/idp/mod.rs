//! A small OAuth2 / OpenID Connect identity provider on 127.0.0.1 for sign-in tests, and the
//! introspection endpoint that Dovecot's `oauth2` passdb asks ([`MailServers::start_with_oauth2`]).
//! It runs on its own thread and runtime, so it keeps answering while a test blocks (a child
//! process, `MailServers::start`, a blocking client).
//!
//! Base URL [`Idp::url`]: `http://127.0.0.1:PORT`, or `https://…` with [`IdpConfig::tls`]
//! (trust [`Idp::ca_pem`]). Endpoints:
//! - `GET /.well-known/openid-configuration`: issuer, the endpoints below, `scopes_supported`.
//! - `GET /authorize?response_type=code&client_id&redirect_uri&scope&state&code_challenge`
//!   `&code_challenge_method=S256[&login_hint]`: automatic consent, a 302 at once to
//!   `redirect_uri?code=…&state=…`, so a test plays the browser with one GET ([`get`]). The user
//!   is `login_hint` (login or email) if given, else [`Idp::sign_in_as`]'s (default: the first).
//!   An unknown client or a redirect_uri that is not `http://` on 127.0.0.1, `[::1]` or
//!   `localhost` gets a 400 page; other faults a redirect with `error=invalid_request`
//!   (`unsupported_response_type`, `invalid_scope`, `access_denied` for an unknown login_hint)
//!   and the `state` (RFC 6749 §4.1.2.1).
//! - `POST /token` (form; the client id in the form or HTTP Basic): `authorization_code` (a
//!   code works once, the redirect_uri must be equal, the PKCE verifier must match),
//!   `refresh_token`, `urn:ietf:params:oauth:grant-type:device_code`. Answers as RFC 6749 §5.1
//!   (`access_token`, `token_type` "Bearer", `expires_in`, `refresh_token`, `scope`) or §5.2
//!   (`invalid_request`, `invalid_client` with 401, `invalid_grant`, `invalid_scope`,
//!   `unsupported_grant_type`, and RFC 8628's `authorization_pending`, `slow_down`,
//!   `access_denied`, `expired_token`). Every grant gets a refresh token; no id_token.
//! - `POST /devicecode` (form: client_id, scope): RFC 8628 §3.2. With the default
//!   [`DevicePolling::PendingOnce`] the first poll answers `authorization_pending` and the next
//!   gives tokens for the signing-in user; with [`DevicePolling::Manual`] polls stay pending
//!   until the test opens `verification_uri_complete` (`GET /device?user_code=…[&login_hint]`,
//!   the person signing in on another device) or calls [`Idp::approve_devices`] or
//!   [`Idp::deny_devices`].
//! - `POST /introspect` (form `token=`; HTTP Basic `dovecot:<introspection secret>`, else 401):
//!   RFC 7662, one flat object as Dovecot 2.3 wants it: `{"active":true,"email":…,"scope":"a b",
//!   "token_type":"bearer",…}`, or `{"active":false}` for an expired, revoked, unknown or
//!   refresh token.
//! - `GET /userinfo` (Bearer): `{"sub","email"}`, or 401.
//!
//! Tokens are random alphanumerics, opaque, with a readable prefix (`at_`, `rt_`); with
//! [`Idp::set_jwt_audience`] access tokens are JWT-shaped instead, as Entra's (`iss`, `sub`,
//! `aud`, `scp`, `iat`, `exp`; the signature is random bytes: nothing here checks it, Dovecot
//! asks `/introspect`). Switches a test flips at run time: [`Idp::set_access_token_lifetime`],
//! [`Idp::expire_access_tokens`], [`Idp::revoke_access_tokens`], [`Idp::revoke_refresh_tokens`]
//! (→ `invalid_grant`), [`Idp::set_rotate_refresh_tokens`], [`Idp::set_token_length`] (long
//! tokens, as Entra's), [`Idp::set_scopes`] (what it grants), [`Idp::add_user`] / [`Idp::remove_user`],
//! [`Idp::set_introspection_down`] (503: Dovecot's temporary failure), [`Idp::slow_down_polls`],
//! [`Idp::set_device_code_lifetime`]. [`Idp::requests`] is the log of every request and
//! [`Idp::count`] counts them per endpoint.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! use tidings_testkit::idp::{Idp, IdpConfig};
//! let idp = Idp::start(IdpConfig::default()).await?;
//! let servers = tidings_testkit::MailServers::start_with_oauth2(&idp).map_err(std::io::Error::other)?;
//! let auth_url = idp.authorize_url("http://127.0.0.1:4000/cb", "xyz", "challenge");
//! let redirect = tidings_testkit::idp::get(&auth_url, None).await?; // 302 to …/cb?code=…&state=xyz
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;
use tokio::net::TcpListener;

use crate::certs::{self, Certs};
use crate::http::Request;
use crate::sys::random_alnum;

mod client;
mod endpoints;

pub use crate::http::Request as IdpRequest;
pub use client::{Response, form_encode, get, parse_form, pkce_challenge, post_form};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// Length of the random part of a token before any padding.
const TOKEN_RANDOM: usize = 32;

/// A person the identity provider knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpUser {
    pub login: String,
    pub email: String,
}

impl IdpUser {
    pub fn new(login: &str, email: &str) -> IdpUser {
        IdpUser { login: login.into(), email: email.into() }
    }
}

/// How device-code polls are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevicePolling {
    /// The first poll is `authorization_pending`, the next gives tokens for the signing-in user.
    #[default]
    PendingOnce,
    /// Pending until the test calls [`Idp::approve_devices`] or [`Idp::deny_devices`].
    Manual,
}

/// What the identity provider starts with; everything but `tls` and the secrets can be
/// changed later on the running [`Idp`].
#[derive(Debug, Clone)]
pub struct IdpConfig {
    /// The one registered client ("tidings-test").
    pub client_id: String,
    /// `None`: a public client (no secret, as a desktop app). `Some`: required in the form
    /// (`client_secret`) or as HTTP Basic.
    pub client_secret: Option<String>,
    /// Dovecot's password for `/introspect` (user `dovecot`); random by default.
    pub introspection_secret: String,
    /// alice and bob @example.test by default, as in [`crate::MailServers`].
    pub users: Vec<IdpUser>,
    /// The scopes it grants (of those asked for; all of them when none are asked for).
    pub scopes: Vec<String>,
    pub access_token_lifetime: Duration,
    /// RFC 8628 `interval` in seconds.
    pub device_interval: u64,
    pub device_polling: DevicePolling,
    /// Serve HTTPS (a fresh CA, see [`Idp::ca_pem`]) instead of plain HTTP.
    pub tls: bool,
}

impl Default for IdpConfig {
    fn default() -> IdpConfig {
        IdpConfig {
            client_id: "tidings-test".into(),
            client_secret: None,
            introspection_secret: random_alnum(24).unwrap_or_else(|_| "introspection-secret".into()),
            users: vec![IdpUser::new("alice", "alice@example.test"), IdpUser::new("bob", "bob@example.test")],
            scopes: ["openid", "email", "offline_access", "mail"].map(String::from).to_vec(),
            access_token_lifetime: Duration::from_secs(3600),
            device_interval: 1,
            device_polling: DevicePolling::PendingOnce,
            tls: false,
        }
    }
}

/// The endpoints, for [`Idp::count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Discovery,
    Authorize,
    Token,
    DeviceCode,
    /// The device flow's `verification_uri`.
    Device,
    Introspect,
    UserInfo,
    /// Anything else (answered 404).
    Other,
}

impl Endpoint {
    fn of(path: &str) -> Endpoint {
        match path {
            "/.well-known/openid-configuration" => Endpoint::Discovery,
            "/authorize" => Endpoint::Authorize,
            "/token" => Endpoint::Token,
            "/devicecode" => Endpoint::DeviceCode,
            "/device" => Endpoint::Device,
            "/introspect" => Endpoint::Introspect,
            "/userinfo" => Endpoint::UserInfo,
            _ => Endpoint::Other,
        }
    }
}

#[derive(Debug, Clone)]
struct Grant {
    user: IdpUser,
    client_id: String,
    scopes: Vec<String>,
}

#[derive(Debug)]
struct Code {
    grant: Grant,
    redirect_uri: String,
    challenge: String,
    expires: SystemTime,
}

#[derive(Debug)]
struct Access {
    grant: Grant,
    issued: SystemTime,
    expires: SystemTime,
    revoked: bool,
}

#[derive(Debug)]
struct Refresh {
    grant: Grant,
    revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Approval {
    Pending,
    Approved(IdpUser),
    Denied,
}

#[derive(Debug)]
struct Device {
    user_code: String,
    client_id: String,
    scopes: Vec<String>,
    expires: SystemTime,
    polls: usize,
    approval: Approval,
}

#[derive(Debug)]
struct State {
    base: String,
    client_id: String,
    client_secret: Option<String>,
    introspection_secret: String,
    users: Vec<IdpUser>,
    signing_in: Option<String>,
    scopes: Vec<String>,
    access_lifetime: Duration,
    rotate_refresh: bool,
    token_length: Option<usize>,
    jwt_audience: Option<Vec<String>>,
    introspection_down: bool,
    device_interval: u64,
    device_lifetime: Duration,
    device_polling: DevicePolling,
    slow_down: usize,
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    devices: HashMap<String, Device>,
    requests: Vec<Request>,
}

type Shared = Arc<Mutex<State>>;

/// A running identity provider; dropping it stops the server thread.
#[derive(Debug)]
pub struct Idp {
    addr: SocketAddr,
    base: String,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    tls: Option<(Certs, TempDir)>,
}

impl Idp {
    /// Starts the server on 127.0.0.1 (an ephemeral port) on its own thread.
    pub async fn start(config: IdpConfig) -> io::Result<Idp> {
        tokio::task::spawn_blocking(move || Idp::start_blocking(config)).await.map_err(io::Error::other)?
    }

    /// The same for tests without a runtime.
    pub fn start_blocking(config: IdpConfig) -> io::Result<Idp> {
        let tls = if config.tls {
            let openssl = crate::sys::openssl().map_err(io::Error::other)?;
            let dir = tempfile::Builder::new().prefix("tidings-idp-").tempdir()?;
            let certs = certs::make(&openssl, dir.path(), "Tidings identity provider CA")
                .map_err(io::Error::other)?;
            Some((certs, dir))
        } else {
            None
        };
        let acceptor = match &tls {
            Some((certs, _)) => {
                let identity = native_tls::Identity::from_pkcs8(&certs.chain_pem, &certs.key_pem)
                    .map_err(io::Error::other)?;
                let acceptor: tokio_native_tls::TlsAcceptor =
                    native_tls::TlsAcceptor::new(identity).map_err(io::Error::other)?.into();
                Some(acceptor)
            }
            None => None,
        };
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let base = format!("{}://127.0.0.1:{}", if config.tls { "https" } else { "http" }, addr.port());
        let state = Arc::new(Mutex::new(State {
            base: base.clone(),
            client_id: config.client_id,
            client_secret: config.client_secret,
            introspection_secret: config.introspection_secret,
            signing_in: None,
            users: config.users,
            scopes: config.scopes,
            access_lifetime: config.access_token_lifetime,
            rotate_refresh: false,
            token_length: None,
            jwt_audience: None,
            introspection_down: false,
            device_interval: config.device_interval,
            device_lifetime: Duration::from_secs(900),
            device_polling: config.device_polling,
            slow_down: 0,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            devices: HashMap::new(),
            requests: Vec::new(),
        }));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = Arc::clone(&state);
        let thread = std::thread::Builder::new().name("tidings-idp".into()).spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else { return };
                tokio::select! {
                    () = endpoints::accept_loop(listener, acceptor, shared) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime here cancels every open connection.
        })?;
        Ok(Idp { addr, base, state, stop: Some(stop), thread: Some(thread), tls })
    }

    /// `http://127.0.0.1:PORT` (or https), no trailing slash; also the `issuer`.
    pub fn url(&self) -> &str {
        &self.base
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.base)
    }
    pub fn authorization_url(&self) -> String {
        format!("{}/authorize", self.base)
    }
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }
    pub fn device_authorization_url(&self) -> String {
        format!("{}/devicecode", self.base)
    }
    pub fn introspection_url(&self) -> String {
        format!("{}/introspect", self.base)
    }
    /// The CA that signed the HTTPS certificate (PEM), when started with `tls`.
    pub fn ca_pem(&self) -> Option<&[u8]> {
        self.tls.as_ref().map(|(c, _)| c.ca_pem.as_slice())
    }
    /// Writes a provider file (the TOML `tidings account add --oauth2 FILE` and an account's
    /// `oauth2.provider` take) naming this identity provider into `dir`, and returns its path.
    pub fn provider_file(&self, dir: &std::path::Path) -> io::Result<std::path::PathBuf> {
        let path = dir.join("provider.toml");
        let text = format!(
            "name = \"Test identity provider\"\nauthorization_url = \"{}\"\ntoken_url = \"{}\"\n\
             device_authorization_url = \"{}\"\nscopes = [\"openid\", \"email\", \"offline_access\", \"mail\"]\n\
             client_id = \"{}\"\n",
            self.authorization_url(),
            self.token_url(),
            self.device_authorization_url(),
            self.client_id()
        );
        std::fs::write(&path, text)?;
        Ok(path)
    }

    pub fn client_id(&self) -> String {
        self.lock().client_id.clone()
    }
    /// Dovecot's password for `/introspect` (HTTP Basic, user `dovecot`).
    pub fn introspection_secret(&self) -> String {
        self.lock().introspection_secret.clone()
    }

    /// A complete authorization URL for the registered client with every scope it grants and
    /// an S256 `challenge`, as a client would build it.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str, challenge: &str) -> String {
        let st = self.lock();
        let pairs = [
            ("response_type", "code"),
            ("client_id", st.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", &st.scopes.join(" ")),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        format!("{}/authorize?{}", st.base, form_encode(&pairs))
    }

    /// Access tokens issued from now on live this long (`expires_in` says so too); zero makes
    /// them expired at once.
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        self.lock().access_lifetime = lifetime;
    }
    /// Every access token issued so far expires now (introspection says inactive).
    pub fn expire_access_tokens(&self) {
        let now = SystemTime::now();
        self.lock().access.values_mut().for_each(|a| a.expires = a.expires.min(now));
    }
    /// Every access token issued so far is revoked.
    pub fn revoke_access_tokens(&self) {
        self.lock().access.values_mut().for_each(|a| a.revoked = true);
    }
    /// Every refresh token issued so far is revoked: using one gives `invalid_grant`.
    pub fn revoke_refresh_tokens(&self) {
        self.lock().refresh.values_mut().for_each(|r| r.revoked = true);
    }
    /// On: each refresh answers with a new refresh token and the used one stops working
    /// (as Microsoft does). Off (default): no new refresh token, the old one stays valid.
    pub fn set_rotate_refresh_tokens(&self, on: bool) {
        self.lock().rotate_refresh = on;
    }
    /// Pads access tokens issued from now on to `length` bytes (Entra's are 1.5–3 KB);
    /// `None`: 35 bytes.
    pub fn set_token_length(&self, length: Option<usize>) {
        self.lock().token_length = length;
    }
    /// Access tokens issued from now on are JWTs naming this audience (one: `aud` is a string;
    /// more: an array), or opaque again with `None`. A length set with
    /// [`Idp::set_token_length`] pads the signature.
    pub fn set_jwt_audience(&self, audience: Option<&[&str]>) {
        self.lock().jwt_audience = audience.map(|a| a.iter().map(|s| (*s).to_owned()).collect());
    }
    /// The scopes it grants from now on (of those asked for).
    pub fn set_scopes(&self, scopes: &[&str]) {
        self.lock().scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    }
    /// Adds a user, or changes the email of a known login.
    pub fn add_user(&self, login: &str, email: &str) {
        let mut st = self.lock();
        st.users.retain(|u| u.login != login);
        st.users.push(IdpUser::new(login, email));
    }
    pub fn remove_user(&self, login: &str) {
        self.lock().users.retain(|u| u.login != login);
    }
    /// The user automatic consent and device approval pick when no `login_hint` names one.
    pub fn sign_in_as(&self, login: &str) {
        self.lock().signing_in = Some(login.to_owned());
    }
    /// On: `/introspect` answers 503 with no body (an identity provider that is down).
    pub fn set_introspection_down(&self, down: bool) {
        self.lock().introspection_down = down;
    }
    /// The next `polls` device-code polls answer `slow_down`.
    pub fn slow_down_polls(&self, polls: usize) {
        self.lock().slow_down = polls;
    }
    /// Device codes issued from now on expire after this (default 15 minutes);
    /// polling after that gives `expired_token`.
    pub fn set_device_code_lifetime(&self, lifetime: Duration) {
        self.lock().device_lifetime = lifetime;
    }
    pub fn set_device_polling(&self, polling: DevicePolling) {
        self.lock().device_polling = polling;
    }
    /// Approves every pending device code for `login` (None: the signing-in user).
    pub fn approve_devices(&self, login: Option<&str>) {
        let mut st = self.lock();
        let Some(user) = st.user(login).cloned() else { return };
        for device in st.devices.values_mut().filter(|d| d.approval == Approval::Pending) {
            device.approval = Approval::Approved(user.clone());
        }
    }
    /// Denies every pending device code: the next poll gives `access_denied`.
    pub fn deny_devices(&self) {
        for device in self.lock().devices.values_mut().filter(|d| d.approval == Approval::Pending) {
            device.approval = Approval::Denied;
        }
    }

    /// Every request so far, in arrival order (bodies and headers as sent).
    pub fn requests(&self) -> Vec<IdpRequest> {
        self.lock().requests.clone()
    }
    /// How many requests reached `endpoint`.
    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.lock().requests.iter().filter(|r| Endpoint::of(&r.path) == endpoint).count()
    }
    /// Every access token issued so far (in no particular order).
    pub fn access_tokens(&self) -> Vec<String> {
        self.lock().access.keys().cloned().collect()
    }

    /// Issues an access and a refresh token for `login` at once (no flow), with every scope it
    /// grants; `None` if the login is unknown. For server tests that need just a token.
    pub fn issue(&self, login: &str) -> Option<Tokens> {
        let mut st = self.lock();
        let user = st.user(Some(login))?.clone();
        let grant = Grant { user, client_id: st.client_id.clone(), scopes: st.scopes.clone() };
        st.issue(&grant, true).ok()
    }

    /// `GET` of a path on this server (or a whole URL), trusting its CA.
    pub async fn get(&self, path_or_url: &str) -> io::Result<Response> {
        get(&self.absolute(path_or_url), self.ca_pem()).await
    }

    /// `POST` of a form to a path on this server, with HTTP Basic when `basic` is given.
    pub async fn post_form(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> io::Result<Response> {
        post_form(&self.absolute(path), pairs, basic, self.ca_pem()).await
    }

    /// `GET /userinfo` with `token` as the bearer.
    pub async fn userinfo(&self, token: &str) -> io::Result<Response> {
        let auth = [("Authorization".to_owned(), format!("Bearer {token}"))];
        client::fetch("GET", &self.absolute("/userinfo"), &auth, b"", self.ca_pem()).await
    }

    fn absolute(&self, path_or_url: &str) -> String {
        if path_or_url.contains("://") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Tokens from [`Idp::issue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: u64,
    pub scope: String,
}

impl State {
    fn user(&self, login: Option<&str>) -> Option<&IdpUser> {
        let wanted = login.or(self.signing_in.as_deref());
        match wanted {
            Some(w) => self.users.iter().find(|u| u.login == w || u.email.eq_ignore_ascii_case(w)),
            None => self.users.first(),
        }
    }

    /// The scopes granted for a request: those asked for that it grants, or all it grants.
    fn grant_scopes(&self, asked: Option<&str>) -> Option<Vec<String>> {
        let asked: Vec<&str> = asked.unwrap_or("").split(' ').filter(|s| !s.is_empty()).collect();
        if asked.is_empty() {
            return Some(self.scopes.clone());
        }
        let granted: Vec<String> =
            asked.iter().filter(|s| self.scopes.iter().any(|g| g == *s)).map(|s| (*s).to_owned()).collect();
        (!granted.is_empty()).then_some(granted)
    }

    fn issue(&mut self, grant: &Grant, with_refresh: bool) -> io::Result<Tokens> {
        let issued = SystemTime::now();
        let lifetime = self.access_lifetime;
        let mut access_token = match &self.jwt_audience {
            Some(audience) => self.jwt(grant, audience, issued, lifetime)?,
            None => format!("at_{}", random(TOKEN_RANDOM)?),
        };
        if let Some(length) = self.token_length {
            let pad = length.saturating_sub(access_token.len());
            access_token.push_str(&random(pad)?);
        }
        self.access.insert(
            access_token.clone(),
            Access { grant: grant.clone(), issued, expires: issued + lifetime, revoked: false },
        );
        let refresh_token = if with_refresh {
            let token = format!("rt_{}", random(TOKEN_RANDOM)?);
            self.refresh.insert(token.clone(), Refresh { grant: grant.clone(), revoked: false });
            Some(token)
        } else {
            None
        };
        Ok(Tokens {
            access_token,
            refresh_token,
            expires_in: lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0),
            scope: grant.scopes.join(" "),
        })
    }

    /// A JWT-shaped access token: header, claims, and random bytes for a signature.
    fn jwt(
        &self,
        grant: &Grant,
        audience: &[String],
        issued: SystemTime,
        lifetime: Duration,
    ) -> io::Result<String> {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let iat = issued.duration_since(SystemTime::UNIX_EPOCH).map_err(io::Error::other)?.as_secs();
        let aud = match audience {
            [one] => serde_json::json!(one),
            many => serde_json::json!(many),
        };
        let claims = serde_json::json!({
            "iss": self.base,
            "sub": grant.user.login,
            "email": grant.user.email,
            "aud": aud,
            "scp": grant.scopes.join(" "),
            "iat": iat,
            "exp": iat + lifetime.as_secs(),
            // Two tokens issued in the same second differ.
            "jti": random(16)?,
        });
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        Ok(format!("{header}.{payload}.{}", random(TOKEN_RANDOM)?))
    }
}

fn random(len: usize) -> io::Result<String> {
    random_alnum(len).map_err(io::Error::other)
}
