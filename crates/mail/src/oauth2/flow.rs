//! The sign-in flows, with the `oauth2` crate over the core's own HTTP client (redirects
//! never followed, bounded answers): the authorization code with PKCE through the person's
//! browser and a loopback redirect on 127.0.0.1 (a random port, the `state` checked, stray
//! requests such as a favicon tolerated, a page telling the person to return to Tidings); the
//! device code (RFC 8628) for the command line and where no browser can reach the loopback; and
//! refreshing.

use std::time::{Duration, SystemTime};

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, DeviceAuthorizationUrl,
    HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::provider::Provider;
use crate::error::{Error, Kind, Result};
use crate::http::{Client, Url};
use crate::net::TrustAnchors;

/// Largest answer from a token endpoint (Entra's tokens are a few KiB).
const MAX_TOKEN_ANSWER: usize = 256 * 1024;
/// One request to the provider.
const REQUEST_TIME: Duration = Duration::from_secs(30);
/// Longest request line and head the loopback redirect reads from the browser.
const MAX_REDIRECT_REQUEST: usize = 16 * 1024;

/// What a sign-in or a refresh gave.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access: String,
    /// A new refresh token, when the provider sent one (it may rotate them).
    pub refresh: Option<String>,
    pub expires_at: Option<SystemTime>,
    /// The scopes granted, as the provider said (space-separated).
    pub scope: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &"<redacted>")
            .field("refresh", &self.refresh.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

/// How to reach the provider: the certificates to trust besides the system's (tests, a
/// company's own identity provider).
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub trust: TrustAnchors,
}

/// A browser sign-in under way: open [`BrowserSignIn::url`] in the browser, then
/// [`BrowserSignIn::finish`] waits for the provider to send the browser back.
pub struct BrowserSignIn {
    pub url: String,
    listener: TcpListener,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
    redirect: String,
    provider: Provider,
}

impl std::fmt::Debug for BrowserSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserSignIn").field("url", &self.url).field("redirect", &self.redirect).finish()
    }
}

/// A device-code sign-in under way: show [`DeviceSignIn::verification_uri`] and
/// [`DeviceSignIn::user_code`], then [`DeviceSignIn::finish`] waits for the person.
#[derive(Debug)]
pub struct DeviceSignIn {
    pub verification_uri: String,
    /// The address with the code in it, when the provider gives one.
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    pub expires_in: Duration,
    details: StandardDeviceAuthorizationResponse,
    provider: Provider,
}

/// Starts a browser sign-in: a listener on 127.0.0.1 (a port of the system's choosing) for the
/// redirect, PKCE (S256) and a random `state`.
pub async fn start_browser(provider: &Provider) -> Result<BrowserSignIn> {
    let client_id = provider.require_client_id()?.to_string();
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| Error::network("cannot listen on 127.0.0.1 for the sign-in's answer", e))?;
    let port = listener.local_addr().map_err(|e| Error::network("cannot listen for the sign-in", e))?.port();
    let redirect = format!("http://127.0.0.1:{port}");
    let client = BasicClient::new(ClientId::new(client_id))
        .set_auth_uri(auth_url(&provider.authorization_url)?)
        .set_redirect_uri(redirect_url(&redirect)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(provider.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    Ok(BrowserSignIn {
        url: url.to_string(),
        listener,
        state,
        verifier,
        redirect,
        provider: provider.clone(),
    })
}

impl BrowserSignIn {
    /// The address the provider sends the browser back to.
    pub fn redirect(&self) -> &str {
        &self.redirect
    }

    /// Waits (at most `wait`) for the browser to come back with a code for this sign-in,
    /// then exchanges it for tokens.
    pub async fn finish(self, reach: &Reach, wait: Duration) -> Result<Tokens> {
        let code = tokio::time::timeout(wait, answer(&self.listener, self.state.secret())).await.map_err(
            |_| {
                Error::new(
                    Kind::Auth,
                    format!(
                        "the sign-in with {} did not finish within {}; start it again",
                        self.provider.name,
                        humantime::format_duration(wait)
                    ),
                )
            },
        )??;
        drop(self.listener);
        let client = token_client(&self.provider)?.set_redirect_uri(redirect_url(&self.redirect)?);
        let http = http_client(reach);
        let answer = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(self.verifier)
            .request_async(&http)
            .await;
        tokens(&self.provider, answer)
    }
}

/// Serves the loopback redirect until the browser brings this sign-in's answer: other paths
/// (a favicon) get 404, an answer with another `state` is refused and waited past, an error
/// from the provider ends the sign-in.
async fn answer(listener: &TcpListener, state: &str) -> Result<String> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| Error::network("the sign-in's answer could not be read", e))?;
        let mut head = Vec::new();
        let mut buf = [0u8; 2048];
        // A browser sends its whole head at once; one that dawdles or floods is dropped.
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REDIRECT_REQUEST {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await;
        if read.is_err() {
            continue;
        }
        let line = String::from_utf8_lossy(&head);
        let target = line.split_whitespace().nth(1).unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        // A redirect without a path comes back as "/" from a browser, as it was from others.
        if path != "/" && !path.is_empty() {
            let _ = respond(&mut stream, "404 Not Found", "Not found.").await;
            continue;
        }
        let params: Vec<(String, String)> =
            url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        if get("state").as_deref() != Some(state) {
            let _ = respond(
                &mut stream,
                "400 Bad Request",
                "This answer does not belong to the sign-in Tidings is waiting for.",
            )
            .await;
            continue;
        }
        if let Some(error) = get("error") {
            let words = match get("error_description") {
                Some(d) => format!("{error}: {d}"),
                None => error,
            };
            let _ = respond(&mut stream, "200 OK", "The sign-in did not succeed. You can return to Tidings.")
                .await;
            return Err(
                Error::new(Kind::Auth, "the provider did not let the sign-in through").with_server(words)
            );
        }
        match get("code") {
            Some(code) => {
                let _ = respond(
                    &mut stream,
                    "200 OK",
                    "You are signed in. You can close this page and return to Tidings.",
                )
                .await;
                return Ok(code);
            }
            None => {
                let _ = respond(&mut stream, "400 Bad Request", "This answer carries no sign-in code.").await;
            }
        }
    }
}

async fn respond(stream: &mut tokio::net::TcpStream, status: &str, words: &str) -> std::io::Result<()> {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Tidings</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><p>{words}</p></body></html>"
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// Starts a device-code sign-in.
pub async fn start_device(provider: &Provider, reach: &Reach) -> Result<DeviceSignIn> {
    let device_url = provider.device_authorization_url.as_deref().ok_or_else(|| {
        Error::new(
            Kind::Config,
            format!("{} offers no device-code sign-in; sign in with the browser", provider.name),
        )
    })?;
    let client = token_client(provider)?.set_device_authorization_url(
        DeviceAuthorizationUrl::new(device_url.to_string())
            .map_err(|e| Error::new(Kind::Config, format!("{device_url} is not an address: {e}")))?,
    );
    let http = http_client(reach);
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(provider.scopes.iter().cloned().map(Scope::new))
        .request_async(&http)
        .await
        .map_err(|e| request_error(provider, e))?;
    Ok(DeviceSignIn {
        verification_uri: details.verification_uri().to_string(),
        verification_uri_complete: details.verification_uri_complete().map(|u| u.secret().to_string()),
        user_code: details.user_code().secret().to_string(),
        expires_in: details.expires_in(),
        details,
        provider: provider.clone(),
    })
}

impl DeviceSignIn {
    /// Polls the provider (at the interval it asked for) until the person signed in, the
    /// code expired, or `wait` passed.
    pub async fn finish(self, reach: &Reach, wait: Duration) -> Result<Tokens> {
        let client = token_client(&self.provider)?;
        let http = http_client(reach);
        let answer = client
            .exchange_device_access_token(&self.details)
            .request_async(&http, tokio::time::sleep, Some(wait.min(self.expires_in)))
            .await;
        tokens(&self.provider, answer)
    }
}

/// A new access token (and perhaps a new refresh token) for a refresh token.
pub async fn refresh(provider: &Provider, refresh_token: &str, reach: &Reach) -> Result<Tokens> {
    let client = token_client(provider)?;
    let http = http_client(reach);
    let answer = client
        .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
        .request_async(&http)
        .await;
    tokens(provider, answer)
}

type TokenClient = BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// A client for the token endpoint. The client id (and Google's secret) go in the request
/// body: public clients have no secret to send in an Authorization header.
fn token_client(provider: &Provider) -> Result<TokenClient> {
    let mut client = BasicClient::new(ClientId::new(provider.require_client_id()?.to_string()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::new(provider.token_url.clone()).map_err(|e| {
            Error::new(Kind::Config, format!("{} is not an address: {e}", provider.token_url))
        })?);
    if let Some(secret) = &provider.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.clone()));
    }
    Ok(client)
}

fn auth_url(url: &str) -> Result<AuthUrl> {
    AuthUrl::new(url.to_string())
        .map_err(|e| Error::new(Kind::Config, format!("{url} is not an address: {e}")))
}

fn redirect_url(url: &str) -> Result<RedirectUrl> {
    RedirectUrl::new(url.to_string())
        .map_err(|e| Error::new(Kind::Config, format!("{url} is not an address: {e}")))
}

fn tokens<T: oauth2::ErrorResponse + 'static>(
    provider: &Provider,
    answer: std::result::Result<BasicTokenResponse, RequestTokenError<Error, T>>,
) -> Result<Tokens> {
    let answer = answer.map_err(|e| request_error(provider, e))?;
    Ok(Tokens {
        access: answer.access_token().secret().to_string(),
        refresh: answer.refresh_token().map(|r| r.secret().to_string()),
        expires_at: answer.expires_in().map(|d| SystemTime::now() + d),
        scope: answer.scopes().map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" ")),
    })
}

/// The provider's refusal in the person's terms: `invalid_grant` means the sign-in has
/// expired or was revoked (sign in again); the provider's own words are kept.
fn request_error<T: oauth2::ErrorResponse + 'static>(
    provider: &Provider,
    e: RequestTokenError<Error, T>,
) -> Error {
    let name = &provider.name;
    match e {
        RequestTokenError::ServerResponse(answer) => {
            let words = answer.to_string();
            let code = serde_json::to_value(&answer)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or_default();
            let (kind, what) = match code.as_str() {
                "invalid_grant" | "expired_token" => {
                    (Kind::Auth, format!("the sign-in with {name} has expired or was revoked; sign in again"))
                }
                "access_denied" => (Kind::Auth, format!("the sign-in with {name} was declined")),
                "invalid_client" | "unauthorized_client" => (
                    Kind::Config,
                    format!(
                        "{name} does not accept the application (client) id; check the id registered for Tidings"
                    ),
                ),
                "invalid_scope" => {
                    (Kind::Config, format!("{name} refused the mail permissions Tidings asks for"))
                }
                _ => (Kind::Auth, format!("{name} refused the sign-in")),
            };
            Error::new(kind, what).with_server(words)
        }
        RequestTokenError::Request(e) => e,
        RequestTokenError::Parse(e, body) => {
            Error::new(Kind::Protocol, format!("{name}'s token answer could not be read ({e})"))
                .with_server(String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned())
        }
        RequestTokenError::Other(words) => {
            Error::new(Kind::Protocol, format!("{name}'s answer was unexpected: {words}"))
        }
    }
}

/// The `oauth2` crate's HTTP client: the core's own, JSON only, no redirects followed.
fn http_client(
    reach: &Reach,
) -> impl Fn(HttpRequest) -> std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse>> + Send>> {
    let mut client = Client::new(MAX_TOKEN_ANSWER, REQUEST_TIME, reach.trust.clone());
    client.accept = "application/json";
    move |request: HttpRequest| {
        let client = client.clone();
        Box::pin(async move { send(&client, request).await })
    }
}

async fn send(client: &Client, request: HttpRequest) -> Result<HttpResponse> {
    let uri = request.uri().to_string();
    let url = Url::parse(&uri)
        .ok_or_else(|| Error::new(Kind::Config, format!("{uri} is not an http(s) address")))?;
    let answer = match *request.method() {
        http_types::Method::GET => client.get(&url).await?,
        http_types::Method::POST => {
            let content_type = request
                .headers()
                .get(http_types::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/x-www-form-urlencoded")
                .to_string();
            client.post(&url, &content_type, request.body()).await?
        }
        ref other => return Err(Error::new(Kind::Protocol, format!("cannot send an HTTP {other} request"))),
    };
    let mut response = http_types::Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response
        .body(answer.body)
        .map_err(|e| Error::new(Kind::Protocol, format!("{uri} answered with an unreadable head ({e})")))
}
