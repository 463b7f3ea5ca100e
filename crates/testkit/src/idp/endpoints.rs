//! The identity provider's HTTP side: one request per connection, each answered under the
//! state lock by the handler of its endpoint.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use super::client::{parse_form, percent_decode, pkce_challenge, with_query};
use super::{
    Access, Approval, CODE_LIFETIME, Code, DEVICE_GRANT, Device, DevicePolling, Endpoint, Grant, Shared,
    State, TOKEN_RANDOM, Tokens, random,
};
use crate::http::{Reply, Request, read_request, render};

pub(super) async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_native_tls::TlsAcceptor>,
    state: Shared,
) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let state = Arc::clone(&state);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _ = match tls {
                None => serve(socket, false, state).await,
                Some(acceptor) => match acceptor.accept(socket).await {
                    Ok(stream) => serve(stream, true, state).await,
                    Err(e) => Err(io::Error::other(e)),
                },
            };
        });
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, tls: bool, state: Shared) -> io::Result<()> {
    let Some(request) = read_request(&mut stream, tls).await? else { return Ok(()) };
    let reply = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.requests.push(request.clone());
        handle(&mut st, &request).unwrap_or_else(|e| Reply::status(500).body(e.to_string()))
    };
    stream.write_all(&render(&reply)).await?;
    stream.flush().await?;
    stream.shutdown().await
}

fn handle(st: &mut State, req: &Request) -> io::Result<Reply> {
    let method = req.method.as_str();
    Ok(match (method, Endpoint::of(&req.path)) {
        ("GET", Endpoint::Discovery) => json_reply(200, &discovery(st)),
        ("GET", Endpoint::Authorize) => authorize(st, &parse_form(req.query.as_deref().unwrap_or("")))?,
        ("POST", Endpoint::Token) => token(st, req)?,
        ("POST", Endpoint::DeviceCode) => device_code(st, req)?,
        ("GET", Endpoint::Device) => device_page(st, &parse_form(req.query.as_deref().unwrap_or(""))),
        ("POST", Endpoint::Introspect) => introspect(st, req),
        ("GET" | "POST", Endpoint::UserInfo) => userinfo(st, req),
        (_, Endpoint::Other) => Reply::status(404).body("not found"),
        _ => Reply::status(405).body("method not allowed"),
    })
}

fn discovery(st: &State) -> Value {
    let b = &st.base;
    json!({
        "issuer": b,
        "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/token"),
        "device_authorization_endpoint": format!("{b}/devicecode"),
        "introspection_endpoint": format!("{b}/introspect"),
        "userinfo_endpoint": format!("{b}/userinfo"),
        "scopes_supported": st.scopes,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
    })
}

fn authorize(st: &mut State, q: &HashMap<String, String>) -> io::Result<Reply> {
    let get = |k: &str| q.get(k).map(String::as_str);
    // No redirect before client and redirect_uri are known good (RFC 6749 §4.1.2.1).
    if get("client_id") != Some(st.client_id.as_str()) {
        return Ok(error_page("unknown client_id"));
    }
    let Some(redirect_uri) = get("redirect_uri").filter(|r| is_loopback_redirect(r)) else {
        return Ok(error_page("the redirect_uri must be http:// on a loopback address"));
    };
    let state = get("state");
    let error = |code: &str, why: &str| {
        let mut pairs = vec![("error", code), ("error_description", why)];
        pairs.extend(state.map(|s| ("state", s)));
        Reply::redirect(302, &with_query(redirect_uri, &pairs))
    };
    if get("response_type") != Some("code") {
        let why = "only response_type=code is supported";
        return Ok(if get("response_type").is_none() {
            error("invalid_request", "response_type is missing")
        } else {
            error("unsupported_response_type", why)
        });
    }
    let Some(challenge) = get("code_challenge").filter(|c| !c.is_empty()) else {
        return Ok(error("invalid_request", "PKCE is required: code_challenge is missing"));
    };
    if get("code_challenge_method") != Some("S256") {
        return Ok(error("invalid_request", "code_challenge_method must be S256"));
    }
    let Some(scopes) = st.grant_scopes(get("scope")) else {
        return Ok(error("invalid_scope", "none of the requested scopes can be granted"));
    };
    let Some(user) = st.user(get("login_hint")).cloned() else {
        return Ok(error("access_denied", "no such user"));
    };
    let code = format!("ac_{}", random(TOKEN_RANDOM)?);
    let grant = Grant { user, client_id: st.client_id.clone(), scopes };
    st.codes.insert(
        code.clone(),
        Code {
            grant,
            redirect_uri: redirect_uri.to_owned(),
            challenge: challenge.to_owned(),
            expires: SystemTime::now() + CODE_LIFETIME,
        },
    );
    let mut pairs = vec![("code", code.as_str())];
    pairs.extend(state.map(|s| ("state", s)));
    Ok(Reply::redirect(302, &with_query(redirect_uri, &pairs)))
}

/// `http://` on 127.0.0.1, `[::1]` or `localhost`, any port (RFC 8252 §7.3), no fragment.
fn is_loopback_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') || uri.contains('#') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    matches!(host.to_ascii_lowercase().as_str(), "127.0.0.1" | "::1" | "localhost")
}

fn error_page(why: &str) -> Reply {
    let body = format!("<!doctype html><title>Sign-in error</title><h1>Cannot sign in</h1><p>{why}</p>\n");
    Reply::status(400).header("Content-Type", "text/html; charset=utf-8").body(body)
}

fn json_reply(status: u16, value: &Value) -> Reply {
    Reply::status(status)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-store")
        .header("Pragma", "no-cache")
        .body(value.to_string())
}

/// An RFC 6749 §5.2 error; `invalid_client` is a 401.
fn oauth_error(error: &str, why: &str) -> Reply {
    let status = if error == "invalid_client" { 401 } else { 400 };
    let reply = json_reply(status, &json!({"error": error, "error_description": why}));
    if status == 401 { reply.header("WWW-Authenticate", "Basic realm=\"token\"") } else { reply }
}

/// The client's id and secret from HTTP Basic (RFC 6749 §2.3.1) or the form.
fn client_credentials(req: &Request, form: &HashMap<String, String>) -> (Option<String>, Option<String>) {
    if let Some((id, secret)) = basic_auth(req) {
        return (Some(percent_decode(&id)), Some(percent_decode(&secret)));
    }
    (form.get("client_id").cloned(), form.get("client_secret").cloned())
}

fn basic_auth(req: &Request) -> Option<(String, String)> {
    let value = req.header("authorization")?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

fn token(st: &mut State, req: &Request) -> io::Result<Reply> {
    let form = parse_form(&req.body_text());
    let (id, secret) = client_credentials(req, &form);
    let Some(client_id) = id.filter(|id| *id == st.client_id) else {
        return Ok(oauth_error("invalid_client", "unknown client"));
    };
    if st.client_secret.is_some() && secret != st.client_secret {
        return Ok(oauth_error("invalid_client", "wrong client secret"));
    }
    let get = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    match get("grant_type") {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri)) = (get("code"), get("redirect_uri")) else {
                return Ok(oauth_error("invalid_request", "code and redirect_uri are required"));
            };
            let Some(verifier) = get("code_verifier") else {
                return Ok(oauth_error("invalid_request", "code_verifier is required (PKCE)"));
            };
            // Taken out on first use, whatever the outcome: a code works once.
            let Some(stored) = st.codes.remove(code) else {
                return Ok(oauth_error("invalid_grant", "unknown or already used code"));
            };
            if stored.expires < SystemTime::now() || stored.grant.client_id != client_id {
                return Ok(oauth_error("invalid_grant", "expired code or another client's"));
            }
            if stored.redirect_uri != redirect_uri {
                return Ok(oauth_error("invalid_grant", "redirect_uri differs from the authorization's"));
            }
            if pkce_challenge(verifier) != stored.challenge {
                return Ok(oauth_error("invalid_grant", "code_verifier does not match code_challenge"));
            }
            Ok(tokens_reply(&st.issue(&stored.grant, true)?))
        }
        Some("refresh_token") => {
            let Some(refresh_token) = get("refresh_token") else {
                return Ok(oauth_error("invalid_request", "refresh_token is required"));
            };
            let grant = match st.refresh.get(refresh_token) {
                Some(r) if !r.revoked && r.grant.client_id == client_id => r.grant.clone(),
                _ => return Ok(oauth_error("invalid_grant", "the refresh token is unknown or revoked")),
            };
            let mut grant = grant;
            if let Some(asked) = get("scope") {
                let asked: Vec<String> =
                    asked.split(' ').filter(|s| !s.is_empty()).map(String::from).collect();
                if asked.iter().any(|s| !grant.scopes.contains(s)) {
                    return Ok(oauth_error("invalid_scope", "more scopes than first granted"));
                }
                grant.scopes = asked;
            }
            let rotate = st.rotate_refresh;
            if rotate && let Some(old) = st.refresh.get_mut(refresh_token) {
                old.revoked = true;
            }
            Ok(tokens_reply(&st.issue(&grant, rotate)?))
        }
        Some(DEVICE_GRANT) => device_poll(st, &client_id, get("device_code")),
        Some(_) => Ok(oauth_error("unsupported_grant_type", "unknown grant_type")),
        None => Ok(oauth_error("invalid_request", "grant_type is required")),
    }
}

fn tokens_reply(t: &Tokens) -> Reply {
    let mut body = json!({
        "access_token": t.access_token,
        "token_type": "Bearer",
        "expires_in": t.expires_in,
        "scope": t.scope,
    });
    if let Some(refresh) = &t.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    json_reply(200, &body)
}

fn device_code(st: &mut State, req: &Request) -> io::Result<Reply> {
    let form = parse_form(&req.body_text());
    let (id, secret) = client_credentials(req, &form);
    let Some(client_id) = id.filter(|id| *id == st.client_id) else {
        return Ok(oauth_error("invalid_client", "unknown client"));
    };
    if st.client_secret.is_some() && secret != st.client_secret {
        return Ok(oauth_error("invalid_client", "wrong client secret"));
    }
    let Some(scopes) = st.grant_scopes(form.get("scope").map(String::as_str)) else {
        return Ok(oauth_error("invalid_scope", "none of the requested scopes can be granted"));
    };
    let device_code = format!("dc_{}", random(TOKEN_RANDOM)?);
    let letters: String =
        random(64)?.chars().filter(char::is_ascii_uppercase).chain("QWERTYUI".chars()).take(8).collect();
    let user_code = format!("{}-{}", &letters[..4], &letters[4..]);
    let lifetime = st.device_lifetime;
    st.devices.insert(
        device_code.clone(),
        Device {
            user_code: user_code.clone(),
            client_id,
            scopes,
            expires: SystemTime::now() + lifetime,
            polls: 0,
            approval: Approval::Pending,
        },
    );
    let verification_uri = format!("{}/device", st.base);
    Ok(json_reply(
        200,
        &json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": with_query(&verification_uri, &[("user_code", &user_code)]),
            "expires_in": lifetime.as_secs(),
            "interval": st.device_interval,
        }),
    ))
}

/// The person opens the verification page with the code and signs in: approved at once.
fn device_page(st: &mut State, q: &HashMap<String, String>) -> Reply {
    let Some(user) = st.user(q.get("login_hint").map(String::as_str)).cloned() else {
        return error_page("no such user");
    };
    let code = q.get("user_code").map(String::as_str).unwrap_or("");
    let pending = st.devices.values_mut().find(|d| d.user_code == code && d.approval == Approval::Pending);
    let Some(device) = pending else { return error_page("unknown or already used code") };
    device.approval = Approval::Approved(user);
    let body = "<!doctype html><title>Signed in</title><p>You are signed in; return to the device.</p>\n";
    Reply::status(200).header("Content-Type", "text/html; charset=utf-8").body(body)
}

fn device_poll(st: &mut State, client_id: &str, device_code: Option<&str>) -> io::Result<Reply> {
    let Some(device_code) = device_code else {
        return Ok(oauth_error("invalid_request", "device_code is required"));
    };
    let signing_in = st.user(None).cloned();
    let (polling, slow_down) = (st.device_polling, st.slow_down);
    let Some(device) = st.devices.get_mut(device_code).filter(|d| d.client_id == client_id) else {
        return Ok(oauth_error("invalid_grant", "unknown or already used device code"));
    };
    if device.expires < SystemTime::now() {
        return Ok(oauth_error("expired_token", "the device code has expired"));
    }
    if slow_down > 0 {
        st.slow_down -= 1;
        return Ok(oauth_error("slow_down", "polling too fast"));
    }
    device.polls += 1;
    if polling == DevicePolling::PendingOnce && device.polls > 1 && device.approval == Approval::Pending {
        device.approval = signing_in.map_or(Approval::Denied, Approval::Approved);
    }
    let user = match &device.approval {
        Approval::Pending => return Ok(oauth_error("authorization_pending", "waiting for the user")),
        Approval::Denied => return Ok(oauth_error("access_denied", "the user declined")),
        Approval::Approved(user) => user.clone(),
    };
    let grant = Grant { user, client_id: client_id.to_owned(), scopes: device.scopes.clone() };
    st.devices.remove(device_code);
    Ok(tokens_reply(&st.issue(&grant, true)?))
}

/// The access token's record if it is active now.
fn active<'a>(st: &'a State, token: &str) -> Option<&'a Access> {
    st.access.get(token).filter(|a| !a.revoked && SystemTime::now() < a.expires)
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn introspect(st: &State, req: &Request) -> Reply {
    if st.introspection_down {
        return Reply::status(503);
    }
    let authorised = basic_auth(req).is_some_and(|(u, p)| u == "dovecot" && p == st.introspection_secret);
    if !authorised {
        return oauth_error("invalid_client", "introspection needs the dovecot credentials");
    }
    let form = parse_form(&req.body_text());
    let token = form.get("token").map(String::as_str).unwrap_or("");
    // Flat, strings and numbers only: Dovecot 2.3 skips nested values, wants `email` a string
    // and `token_type` "bearer"; it does not check `exp`, so expiry is decided here.
    let body = match active(st, token) {
        Some(a) => json!({
            "active": true,
            "scope": a.grant.scopes.join(" "),
            "client_id": a.grant.client_id,
            "username": a.grant.user.login,
            "email": a.grant.user.email,
            "sub": a.grant.user.login,
            "aud": a.grant.client_id,
            "iss": st.base,
            "token_type": "bearer",
            "iat": unix(a.issued),
            "exp": unix(a.expires),
        }),
        None => json!({"active": false}),
    };
    json_reply(200, &body)
}

fn userinfo(st: &State, req: &Request) -> Reply {
    let token = req.header("authorization").and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    match active(st, token.trim()) {
        Some(a) => json_reply(200, &json!({"sub": a.grant.user.login, "email": a.grant.user.email})),
        None => Reply::status(401).header("WWW-Authenticate", "Bearer error=\"invalid_token\""),
    }
}
