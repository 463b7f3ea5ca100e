//! Signing an account in with OAuth2 from the command line (`tidings account add … --oauth2
//! microsoft|google|FILE.toml [--device-code]`): the device code (the address and the code
//! are printed; the person signs in on any device), or the browser with the loopback
//! redirect (the address is printed and handed to the desktop's browser). Prompts go to
//! standard error, so `--json` output stays one object; tokens are never printed.

use std::time::Duration;

use tidings_mail::Error;
use tidings_mail::account::Account;
use tidings_mail::oauth2::{self, Provider, Reach, Tokens, flow};
use tidings_mail::secret::Secrets;

use super::output::errln;

/// How long the person has to sign in.
const SIGN_IN_TIME: Duration = Duration::from_secs(10 * 60);

/// Runs the sign-in for `account` (its provider set) and keeps the tokens: the refresh token
/// in the keyring. Returns the scopes the provider granted.
pub async fn sign_in(
    account: &Account,
    secrets: &Secrets,
    device_code: bool,
    browser: bool,
) -> Result<Option<String>, Error> {
    let provider = Provider::for_account(account)?;
    let reach = Reach::default();
    let tokens: Tokens = if device_code {
        let device = flow::start_device(&provider, &reach).await?;
        match &device.verification_uri_complete {
            Some(complete) => errln!(
                "To sign in to {}, open {} (or {} and enter the code {}).",
                provider.name,
                complete,
                device.verification_uri,
                device.user_code
            ),
            None => errln!(
                "To sign in to {}, open {} and enter the code {}.",
                provider.name,
                device.verification_uri,
                device.user_code
            ),
        }
        errln!("Waiting for the sign-in…");
        device.finish(&reach, SIGN_IN_TIME).await?
    } else {
        let browser_allowed = browser;
        let browser = flow::start_browser(&provider).await?;
        errln!("To sign in to {}, open this address in your browser:", provider.name);
        errln!("{}", browser.url);
        if !browser_allowed || tidings::desktop::open_url(browser.url.clone()).await.is_err() {
            errln!("(No browser could be started here; open the address yourself, or use --device-code.)");
        }
        errln!("Waiting for the sign-in…");
        browser.finish(&reach, SIGN_IN_TIME).await?
    };
    oauth2::signed_in(&account.id, secrets, &tokens).await?;
    Ok(tokens.scope)
}
