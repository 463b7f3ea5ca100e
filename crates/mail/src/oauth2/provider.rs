//! OAuth2 providers as data: the ones Tidings knows (`assets/providers/*.toml`: Microsoft,
//! Google) and any other issuer from a TOML file given by path (testers, self-hosted servers).
//! Endpoints must be HTTPS, except on a loopback address.

use std::path::Path;

use serde::Deserialize;

use crate::account::Account;
use crate::error::{Error, Kind, Result};
use crate::http::Url;

/// The environment variable that gives an application (client) id when neither the account
/// nor the provider file has one.
pub const CLIENT_ID_VAR: &str = "TIDINGS_OAUTH2_CLIENT_ID";

const MICROSOFT: &str = include_str!("../../../../assets/providers/microsoft.toml");
const GOOGLE: &str = include_str!("../../../../assets/providers/google.toml");

/// A provider file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    authorization_url: String,
    token_url: String,
    #[serde(default)]
    device_authorization_url: Option<String>,
    scopes: Vec<String>,
    #[serde(default)]
    client_id: Option<String>,
    /// Google's desktop clients have a "secret" that ships with the program.
    #[serde(default)]
    client_secret: Option<String>,
    /// What `{tenant}` in the URLs becomes when the account names none.
    #[serde(default)]
    default_tenant: Option<String>,
}

/// A provider, ready for one account: URLs with its tenant filled in, and the client id
/// chosen (the account's, else the environment's, else the file's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub authorization_url: String,
    pub token_url: String,
    pub device_authorization_url: Option<String>,
    pub scopes: Vec<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

impl Provider {
    /// `microsoft`, `google`, or the path of a provider file; `tenant` and `client_id` from
    /// the account when it sets them.
    pub fn load(name: &str, tenant: Option<&str>, client_id: Option<&str>) -> Result<Provider> {
        let text = match name.to_ascii_lowercase().as_str() {
            "microsoft" => MICROSOFT.to_string(),
            "google" => GOOGLE.to_string(),
            _ => {
                let path = Path::new(name);
                std::fs::read_to_string(path).map_err(|e| {
                    Error::new(
                        Kind::Config,
                        format!(
                            "cannot read the OAuth2 provider file {} ({e}); name microsoft, google or a provider file",
                            path.display()
                        ),
                    )
                })?
            }
        };
        let file: File = toml::from_str(&text).map_err(|e| {
            Error::new(Kind::Config, format!("cannot read the OAuth2 provider {name}: {}", e.message()))
        })?;
        let from_env = std::env::var(CLIENT_ID_VAR).ok();
        Provider::from_file(file, tenant, client_id.map(str::to_string).or(from_env))
    }

    /// The provider an account signs in with.
    pub fn for_account(account: &Account) -> Result<Provider> {
        let settings = account.oauth2.as_ref().ok_or_else(|| {
            Error::new(Kind::Config, format!("the account \"{}\" has no OAuth2 provider set", account.name))
        })?;
        Provider::load(&settings.provider, settings.tenant.as_deref(), settings.client_id.as_deref())
    }

    fn from_file(file: File, tenant: Option<&str>, client_id: Option<String>) -> Result<Provider> {
        let tenant = tenant.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = tenant
            && !t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(Error::new(Kind::Config, format!("\"{t}\" is not a tenant id or domain")));
        }
        let tenant = tenant.map(str::to_string).or(file.default_tenant.clone()).unwrap_or_default();
        let fill = |url: &str| -> Result<String> {
            let url = url.replace("{tenant}", &tenant);
            check_endpoint(&file.name, &url)?;
            Ok(url)
        };
        if file.scopes.is_empty() {
            return Err(Error::new(
                Kind::Config,
                format!("the OAuth2 provider {} names no scopes", file.name),
            ));
        }
        let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(Provider {
            authorization_url: fill(&file.authorization_url)?,
            token_url: fill(&file.token_url)?,
            device_authorization_url: file.device_authorization_url.as_deref().map(fill).transpose()?,
            scopes: file.scopes,
            client_id: clean(client_id).or(clean(file.client_id)),
            client_secret: clean(file.client_secret),
            name: file.name,
        })
    }

    /// The client id, or why there is none and what to do.
    pub fn require_client_id(&self) -> Result<&str> {
        self.client_id.as_deref().ok_or_else(|| {
            Error::new(
                Kind::Config,
                format!(
                    "no application (client) id is set for {}: register Tidings as a public client with the \
                     provider (see the README, \"Signing in with OAuth2\") and give its id to the account \
                     or in {CLIENT_ID_VAR}",
                    self.name
                ),
            )
        })
    }
}

/// HTTPS, or plain HTTP on a loopback address only.
fn check_endpoint(provider: &str, url: &str) -> Result<()> {
    let parsed = Url::parse(url).ok_or_else(|| {
        Error::new(Kind::Config, format!("{provider}: \"{url}\" is not an http(s) address"))
    })?;
    let loopback = parsed.host == "localhost"
        || parsed.host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !parsed.https && !loopback {
        return Err(Error::new(
            Kind::Config,
            format!("{provider}: {url} must use https (plain http only on this machine's own address)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_providers_fill_in_their_tenant_and_take_the_accounts_client_id() {
        let ms = Provider::load("microsoft", None, Some("11111111-2222-3333-4444-555555555555")).unwrap();
        assert_eq!(ms.authorization_url, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize");
        assert_eq!(ms.client_id.as_deref(), Some("11111111-2222-3333-4444-555555555555"));
        assert!(ms.scopes.contains(&"https://outlook.office.com/IMAP.AccessAsUser.All".to_string()));
        assert!(ms.scopes.contains(&"offline_access".to_string()));
        let ms = Provider::load("Microsoft", Some("contoso.onmicrosoft.com"), Some("x")).unwrap();
        assert_eq!(
            ms.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(Provider::load("microsoft", Some("a/../b"), None).is_err());
        let google = Provider::load("google", None, Some("id")).unwrap();
        assert_eq!(google.scopes, ["https://mail.google.com/"]);
    }

    #[test]
    fn a_provider_file_needs_https_except_on_loopback() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, base: &str| {
            let path = dir.path().join(name);
            std::fs::write(
                &path,
                format!(
                    "name = \"Example\"\nauthorization_url = \"{base}/authorize\"\ntoken_url = \"{base}/token\"\n\
                     scopes = [\"openid\", \"mail\"]\nclient_id = \"tidings-test\"\n"
                ),
            )
            .unwrap();
            path.to_string_lossy().into_owned()
        };
        let local = Provider::load(&write("local.toml", "http://127.0.0.1:8080"), None, None).unwrap();
        assert_eq!(local.token_url, "http://127.0.0.1:8080/token");
        assert_eq!(local.client_id.as_deref(), Some("tidings-test"));
        assert!(local.device_authorization_url.is_none());
        let e = Provider::load(&write("plain.toml", "http://id.example.org"), None, None).unwrap_err();
        assert!(e.to_string().contains("must use https"), "{e}");
        assert!(Provider::load(&write("tls.toml", "https://id.example.org"), None, None).is_ok());
        let e = Provider::load("/nonexistent/provider.toml", None, None).unwrap_err();
        assert_eq!(e.kind(), Kind::Config);
    }

    #[test]
    fn without_a_client_id_the_person_is_told_where_to_get_one() {
        let mut google = Provider::load("google", None, Some("id")).unwrap();
        google.client_id = None;
        let e = google.require_client_id().unwrap_err();
        assert!(e.to_string().contains("README") && e.to_string().contains(CLIENT_ID_VAR), "{e}");
    }
}
