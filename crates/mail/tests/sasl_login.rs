//! Logging in with an OAuth2 access token (SASL XOAUTH2 and OAUTHBEARER) on IMAP, POP3 and
//! SMTP, against scripted servers that give Dovecot's, Gmail's and Exchange Online's replies:
//! the response on the command line or after the server's prompt, a refused token's JSON
//! challenge answered and its words kept, no OAuth2 mechanism on offer, SMTP's long-token
//! path, and a transcript that never holds the token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use tidings_mail::Kind;
use tidings_mail::account::{Protocol, Security};
use tidings_mail::auth::Credential;
use tidings_mail::auth::sasl::Mechanism;
use tidings_mail::check::{ServerCheck, check_server};
use tidings_mail::explain::explain;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_testkit::hostile::{Hostile, Reply, Script};

const USER: &str = "alice@example.test";
const TOKEN: &str = "ya29.SECRET-access-token-0123456789";

/// As long as Entra's tokens often are.
fn long_token() -> String {
    format!("eyJ0eXAiOiJKV1QifQ.SECRET{}", "x".repeat(1_500))
}

fn b64(raw: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
}

fn xoauth2(token: &str) -> String {
    b64(&format!("user={USER}\x01auth=Bearer {token}\x01\x01"))
}

fn bearer(token: &str) -> Credential {
    Credential::bearer(USER, token)
}

async fn check(protocol: Protocol, server: &Hostile, credential: &Credential) -> ServerCheck {
    let ep = Endpoint::new(server.host(), server.port(), Security::None);
    check_server(protocol, &ep, credential, &Transcript::new()).await
}

/// Neither the token nor its base64 form anywhere in the transcript (lines and stages), and
/// the SASL lines redacted.
fn assert_no_token(c: &ServerCheck, token: &str, response: &str) {
    let text: Vec<String> = c.transcript.iter().map(|l| format!("{} {}", l.dir.marker(), l.text)).collect();
    let all = text.join("\n");
    assert!(!all.contains(token), "token in the transcript:\n{all}");
    assert!(!all.contains(response), "SASL response in the transcript:\n{all}");
    let json = serde_json::to_string(c).unwrap();
    assert!(!json.contains(token) && !json.contains(response), "token in the JSON report");
}

fn client_lines(c: &ServerCheck) -> Vec<String> {
    c.transcript.iter().filter(|l| l.dir.marker() == "C:").map(|l| l.text.clone()).collect()
}

fn imap(caps: &str) -> Script {
    Script::new(Reply::text("* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n"))
        .on(
            "CAPABILITY",
            Reply::text(format!("* CAPABILITY {caps}\r\n{{tag}} OK Pre-login capabilities listed.\r\n")),
        )
        .on("LOGOUT", Reply::text("* BYE Logging out\r\n{tag} OK Logout completed.\r\n").then(Reply::close()))
}

const DOVECOT_CAPS: &str =
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE AUTH=PLAIN AUTH=LOGIN AUTH=XOAUTH2 AUTH=OAUTHBEARER";

#[tokio::test]
async fn imap_xoauth2_with_sasl_ir_on_the_command_line() {
    let server = Hostile::start(
        imap(DOVECOT_CAPS)
            .on("AUTHENTICATE", Reply::text("{tag} OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Imap, &server, &bearer(TOKEN)).await;
    assert!(c.ok, "{:?}", c.error);
    assert_eq!(c.facts.sasl_mechanism, Some(Mechanism::XOAuth2));
    let sent = server.commands();
    assert!(sent.contains(&format!("A0001 AUTHENTICATE XOAUTH2 {}", xoauth2(TOKEN))), "{sent:?}");
    assert!(client_lines(&c).contains(&"A0001 AUTHENTICATE XOAUTH2 <redacted>".to_string()));
    assert_no_token(&c, TOKEN, &xoauth2(TOKEN));
}

#[tokio::test]
async fn imap_without_sasl_ir_sends_the_response_after_the_prompt() {
    let caps = "IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2";
    let server = Hostile::start(
        imap(caps)
            .on("AUTHENTICATE XOAUTH2", Reply::text("+ \r\n"))
            .on(&xoauth2(TOKEN), Reply::text("A0001 OK Logged in\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Imap, &server, &bearer(TOKEN)).await;
    assert!(c.ok, "{:?}", c.error);
    let sent = server.commands();
    let at = sent.iter().position(|l| l == "A0001 AUTHENTICATE XOAUTH2").expect("no bare AUTHENTICATE");
    assert_eq!(sent[at + 1], xoauth2(TOKEN));
    let lines = client_lines(&c);
    let at = lines.iter().position(|l| l == "A0001 AUTHENTICATE XOAUTH2").unwrap();
    assert_eq!(lines[at + 1], "<redacted>");
    assert_no_token(&c, TOKEN, &xoauth2(TOKEN));
}

#[tokio::test]
async fn imap_oauthbearer_names_the_user_host_and_port() {
    let server = Hostile::start(
        imap("IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=OAUTHBEARER")
            .on("AUTHENTICATE", Reply::text("{tag} OK Logged in\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Imap, &server, &bearer(TOKEN)).await;
    assert!(c.ok, "{:?}", c.error);
    assert_eq!(c.facts.sasl_mechanism, Some(Mechanism::OAuthBearer));
    let response = b64(&format!(
        "n,a={USER},\x01host=127.0.0.1\x01port={}\x01auth=Bearer {TOKEN}\x01\x01",
        server.port()
    ));
    assert!(server.commands().contains(&format!("A0001 AUTHENTICATE OAUTHBEARER {response}")));
    assert_no_token(&c, TOKEN, &response);
}

/// Dovecot's answer to a bad token over XOAUTH2: a JSON challenge, then (after the client's
/// empty answer) the NO.
#[tokio::test]
async fn imap_refused_token_challenge_is_answered_and_explained() {
    let json = r#"{"status":"401","schemes":"bearer","scope":"mail","openid-configuration":"http://127.0.0.1:9/.well-known/openid-configuration"}"#;
    let server = Hostile::start(
        imap(DOVECOT_CAPS)
            .on("AUTHENTICATE", Reply::text(format!("+ {}\r\n", b64(json))))
            .otherwise(Reply::text("A0001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Imap, &server, &bearer(TOKEN)).await;
    let e = c.error_value.clone().expect("refused");
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert_eq!(
        e.message(),
        "127.0.0.1 did not accept the OAuth2 access token: the access token is not valid (expired, revoked, or for another server); it asks for a token with the scope \"mail\""
    );
    assert_eq!(
        e.server_words(),
        Some(format!("{json} / A0001 NO [AUTHENTICATIONFAILED] Authentication failed.").as_str())
    );
    // The empty answer the XOAUTH2 documentation asks for, not "*" (which aborts).
    let sent = server.commands();
    let at = sent.iter().position(|l| l.starts_with("A0001 AUTHENTICATE XOAUTH2 ")).unwrap();
    assert_eq!(sent[at + 1], "");
    assert!(explain(Protocol::Imap, &e).unwrap().contains("Sign in with the provider again"));
    assert_no_token(&c, TOKEN, &xoauth2(TOKEN));
}

#[tokio::test]
async fn imap_oauthbearer_failure_is_answered_with_0x01() {
    let json = r#"{"status":"invalid_token","openid-configuration":"http://127.0.0.1:9/x"}"#;
    let server = Hostile::start(
        imap("IMAP4rev1 SASL-IR AUTH=OAUTHBEARER")
            .on("AUTHENTICATE", Reply::text(format!("+ {}\r\n", b64(json))))
            .on("AQ==", Reply::text("A0001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Imap, &server, &bearer(TOKEN)).await;
    let e = c.error_value.expect("refused");
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert!(e.server_words().unwrap().starts_with(json), "{e:?}");
    assert!(server.commands().contains(&"AQ==".to_string()));
}

#[tokio::test]
async fn imap_temporary_failure_of_the_identity_provider() {
    let server = Hostile::start(
        imap(DOVECOT_CAPS)
            .on("AUTHENTICATE", Reply::text("{tag} NO [UNAVAILABLE] Temporary authentication failure.\r\n")),
    )
    .await
    .unwrap();
    let e = check(Protocol::Imap, &server, &bearer(TOKEN)).await.error_value.expect("refused");
    assert_eq!(e.kind(), Kind::RefusedByServer, "{e}");
    assert!(e.to_string().contains("try again later"), "{e}");
}

#[tokio::test]
async fn imap_without_an_oauth2_mechanism_sends_no_token() {
    let server = Hostile::start(imap("IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=LOGIN")).await.unwrap();
    let c = check(Protocol::Imap, &server, &bearer(TOKEN)).await;
    let e = c.error_value.clone().expect("refused");
    assert_eq!(e.kind(), Kind::Config, "{e}");
    assert!(e.to_string().contains("offers no OAuth2 log-in (AUTH=XOAUTH2 or AUTH=OAUTHBEARER)"), "{e}");
    assert!(!server.commands().iter().any(|l| l.contains("AUTHENTICATE")));
}

fn pop3(sasl: &str) -> Script {
    Script::new(Reply::text("+OK Dovecot ready.\r\n"))
        .on(
            "CAPA",
            Reply::text(format!("+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nUSER\r\nSASL {sasl}\r\n.\r\n")),
        )
        .on("STAT", Reply::text("+OK 0 0\r\n"))
        .on("QUIT", Reply::text("+OK Logging out.\r\n").then(Reply::close()))
}

#[tokio::test]
async fn pop3_short_token_goes_on_the_auth_line() {
    let token = "short";
    let server =
        Hostile::start(pop3("PLAIN LOGIN XOAUTH2 OAUTHBEARER").on("AUTH", Reply::text("+OK Logged in.\r\n")))
            .await
            .unwrap();
    let c = check(Protocol::Pop3, &server, &bearer(token)).await;
    assert!(c.ok, "{:?}", c.error);
    assert!(server.commands().contains(&format!("AUTH XOAUTH2 {}", xoauth2(token))));
    assert!(client_lines(&c).contains(&"AUTH XOAUTH2 <redacted>".to_string()));
    assert_no_token(&c, token, &xoauth2(token));
}

/// RFC 5034: an AUTH line over 255 octets is not sent; the response follows the `+`.
#[tokio::test]
async fn pop3_real_token_follows_the_prompt() {
    let token = long_token();
    let server = Hostile::start(
        pop3("PLAIN XOAUTH2")
            .on("AUTH XOAUTH2", Reply::text("+ \r\n"))
            .on(&xoauth2(&token), Reply::text("+OK Logged in.\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Pop3, &server, &bearer(&token)).await;
    assert!(c.ok, "{:?}", c.error);
    let sent = server.commands();
    let at = sent.iter().position(|l| l == "AUTH XOAUTH2").expect("no bare AUTH");
    assert_eq!(sent[at + 1], xoauth2(&token));
    assert_no_token(&c, &token, &xoauth2(&token));
}

#[tokio::test]
async fn pop3_refused_token_challenge_is_answered_and_explained() {
    let token = long_token();
    let json = r#"{"status":"401","schemes":"bearer","scope":"mail"}"#;
    let server = Hostile::start(
        pop3("PLAIN XOAUTH2")
            .on("AUTH XOAUTH2", Reply::text("+ \r\n"))
            .on(&xoauth2(&token), Reply::text(format!("+ {}\r\n", b64(json))))
            .otherwise(Reply::text("-ERR [AUTH] Authentication failed.\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Pop3, &server, &bearer(&token)).await;
    let e = c.error_value.clone().expect("refused");
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert!(e.to_string().contains("the access token is not valid"), "{e}");
    assert_eq!(e.server_words(), Some(format!("{json} / -ERR [AUTH] Authentication failed.").as_str()));
    let sent = server.commands();
    let at = sent.iter().position(|l| *l == xoauth2(&token)).unwrap();
    assert_eq!(sent[at + 1], "");
    assert_no_token(&c, &token, &xoauth2(&token));
}

#[tokio::test]
async fn pop3_without_an_oauth2_mechanism_sends_no_token() {
    let server = Hostile::start(pop3("PLAIN LOGIN")).await.unwrap();
    let e = check(Protocol::Pop3, &server, &bearer(TOKEN)).await.error_value.expect("refused");
    assert_eq!(e.kind(), Kind::Config, "{e}");
    assert!(e.to_string().contains("SASL XOAUTH2 or OAUTHBEARER"), "{e}");
    assert!(!server.commands().iter().any(|l| l.starts_with("AUTH")));
}

fn smtp(auth: &str) -> Script {
    Script::new(Reply::text("220 mx.example.test ESMTP Postfix\r\n"))
        .on(
            "EHLO",
            Reply::text(format!(
                "250-mx.example.test\r\n250-PIPELINING\r\n250-AUTH {auth}\r\n250 8BITMIME\r\n"
            )),
        )
        .on("QUIT", Reply::text("221 2.0.0 Bye\r\n").then(Reply::close()))
}

#[tokio::test]
async fn smtp_token_on_the_auth_line() {
    let server = Hostile::start(
        smtp("PLAIN LOGIN XOAUTH2 OAUTHBEARER")
            .on("AUTH", Reply::text("235 2.7.0 Authentication successful\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Smtp, &server, &bearer(TOKEN)).await;
    assert!(c.ok, "{:?}", c.error);
    assert!(server.commands().contains(&format!("AUTH XOAUTH2 {}", xoauth2(TOKEN))));
    assert!(client_lines(&c).contains(&"AUTH XOAUTH2 <redacted>".to_string()));
    assert_no_token(&c, TOKEN, &xoauth2(TOKEN));
}

/// RFC 4954 4 (and Postfix's 2048-byte line limit): a 2,500-byte token goes after the 334.
#[tokio::test]
async fn smtp_long_token_follows_the_334_prompt() {
    let token = format!("eyJ0eXAiOiJKV1QifQ.{}", "x".repeat(2_481));
    assert!(token.len() >= 2_500);
    let server = Hostile::start(
        smtp("PLAIN LOGIN XOAUTH2")
            .on("AUTH XOAUTH2", Reply::text("334 \r\n"))
            .on(&xoauth2(&token), Reply::text("235 2.7.0 Authentication successful\r\n")),
    )
    .await
    .unwrap();
    let c = check(Protocol::Smtp, &server, &bearer(&token)).await;
    assert!(c.ok, "{:?}", c.error);
    let sent = server.commands();
    let at = sent.iter().position(|l| l == "AUTH XOAUTH2").expect("no bare AUTH");
    assert_eq!(sent[at + 1], xoauth2(&token));
    assert!(sent.iter().all(|l| l.len() <= 510 || *l == xoauth2(&token)), "a command line over 512 octets");
    let lines = client_lines(&c);
    let at = lines.iter().position(|l| l == "AUTH XOAUTH2").unwrap();
    assert_eq!(lines[at + 1], "<redacted>");
    assert_no_token(&c, &token, &xoauth2(&token));
}

/// Gmail's refusal: a JSON challenge on 334, then (after the empty answer) 535.
#[tokio::test]
async fn smtp_refused_token_challenge_is_answered_and_explained() {
    let json = r#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#;
    let server = Hostile::start(
        smtp("LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH")
            .on("AUTH XOAUTH2", Reply::text(format!("334 {}\r\n", b64(json))))
            .otherwise(Reply::text(
                "535-5.7.8 Username and Password not accepted. For more information, go to\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1-20020a05\r\n",
            )),
    )
    .await
    .unwrap();
    let c = check(Protocol::Smtp, &server, &bearer(TOKEN)).await;
    let e = c.error_value.clone().expect("refused");
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert!(e.to_string().contains("could not use the access token for this user"), "{e}");
    assert!(e.to_string().contains("https://mail.google.com/"), "{e}");
    let words = e.server_words().unwrap();
    assert!(words.starts_with(&format!("{json} / 535-5.7.8 Username and Password not accepted.")), "{words}");
    let sent = server.commands();
    let at = sent.iter().position(|l| l.starts_with("AUTH XOAUTH2 ")).unwrap();
    assert_eq!(sent[at + 1], "");
    assert_no_token(&c, TOKEN, &xoauth2(TOKEN));
}

/// Exchange Online refuses without a challenge.
#[tokio::test]
async fn smtp_refusal_without_a_challenge() {
    let server = Hostile::start(
        smtp("LOGIN XOAUTH2")
            .on("AUTH XOAUTH2", Reply::text("535 5.7.3 Authentication unsuccessful [SN4PR0201CA0042]\r\n")),
    )
    .await
    .unwrap();
    let e = check(Protocol::Smtp, &server, &bearer(TOKEN)).await.error_value.expect("refused");
    assert_eq!(e.kind(), Kind::Auth, "{e}");
    assert_eq!(e.message(), "127.0.0.1 did not accept the OAuth2 access token");
    assert_eq!(e.server_words(), Some("535 5.7.3 Authentication unsuccessful [SN4PR0201CA0042]"));
}

#[tokio::test]
async fn smtp_without_an_oauth2_mechanism_sends_no_token() {
    let server = Hostile::start(smtp("PLAIN LOGIN")).await.unwrap();
    let e = check(Protocol::Smtp, &server, &bearer(TOKEN)).await.error_value.expect("refused");
    assert_eq!(e.kind(), Kind::Config, "{e}");
    assert!(e.to_string().contains("AUTH XOAUTH2 or OAUTHBEARER"), "{e}");
    assert!(!server.commands().iter().any(|l| l.starts_with("AUTH")));
}
