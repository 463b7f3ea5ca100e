//! Discovery's HTTP: the core's client ([`crate::http`]) with discovery's limits, and its
//! redirect policy. Redirects are followed inside the email domain only: one to another
//! domain needs the person's consent, so it is returned for them to confirm.

use crate::http::Client;
pub(crate) use crate::http::{Response, Url};

use super::names::within;
use crate::error::Result;

/// Largest configuration file or Autodiscover answer read.
pub(crate) const MAX_RESPONSE: usize = 1024 * 1024;

/// The shared client, set up for discovery (see `Ctx::new`).
pub(crate) struct Http(pub Client);

/// What [`Http::fetch`] ended with.
pub(crate) enum Fetch {
    /// An answer (any status) from `url`, after redirects inside the domain.
    Answer {
        url: Url,
        response: Response,
    },
    /// A redirect out of the domain: not followed.
    Outside {
        from: Url,
        to: String,
    },
    Failed(String),
}

const MAX_REDIRECTS: usize = 5;

impl Http {
    pub async fn get(&self, url: &Url) -> Result<Response> {
        self.0.get(url).await
    }

    /// POSTs an XML body with exactly `Content-Type: text/xml; charset=utf-8` (Autodiscover).
    pub async fn post_xml(&self, url: &Url, body: &str) -> Result<Response> {
        self.0.post(url, "text/xml; charset=utf-8", body.as_bytes()).await
    }

    /// GET (or POST `body`) following redirects that stay inside `domain` and do not drop
    /// from HTTPS to HTTP; a redirect elsewhere is returned for the person to confirm.
    pub async fn fetch(&self, mut url: Url, body: Option<&str>, domain: &str) -> Fetch {
        for _ in 0..=MAX_REDIRECTS {
            let sent = match body {
                Some(b) => self.post_xml(&url, b).await,
                None => self.get(&url).await,
            };
            let response = match sent {
                Ok(r) => r,
                Err(e) => return Fetch::Failed(e.to_string()),
            };
            let Some(location) = response.location() else { return Fetch::Answer { url, response } };
            let Some(next) = url.join(location) else {
                return Fetch::Failed(format!(
                    "HTTP {} to an unusable location {location:?}",
                    response.status
                ));
            };
            if !within(&next.host, domain) {
                return Fetch::Outside { from: url, to: next.to_string() };
            }
            if url.https && !next.https {
                return Fetch::Failed(format!("refused a redirect from HTTPS to {next}"));
            }
            url = next;
        }
        Fetch::Failed(format!("more than {MAX_REDIRECTS} redirects"))
    }
}
