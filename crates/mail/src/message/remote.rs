//! Remote content: the images an HTML message refers to by `http(s)://` URL. The reader
//! blocks them until the person asks; then [`fetch`] gets them through the core's own HTTP
//! client ([`crate::http`]): no cookies, no Referer, no credentials, `Accept: image/*`,
//! redirects checked hop by hop, size and time limits from [`crate::limits`], and never an
//! address on the person's own network (a message must not be able to poke their router).
//! Only images come back: an answer that is not one (HTML, SVG, which can carry script and
//! more remote references) is refused.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use crate::error::{Error, Kind, Result};
use crate::http::{Client, Reach, Response, Url, is_over_limit};
use crate::limits;
use crate::net::TrustAnchors;
use crate::net::dns::Dns;

/// How remote images are fetched. [`Default`] gives the limits of [`crate::limits`] and
/// public addresses only.
#[derive(Debug, Clone)]
pub struct RemotePolicy {
    /// Largest image.
    pub max_image_bytes: usize,
    /// Most images fetched for one message.
    pub max_images: usize,
    /// All images of one message together.
    pub max_total_bytes: usize,
    /// One image, its redirects included.
    pub image_time: Duration,
    /// The whole batch.
    pub batch_time: Duration,
    /// Images fetched at the same time (at least one).
    pub parallel: usize,
    /// Redirects followed per image.
    pub max_redirects: usize,
    /// Let URLs reach loopback addresses (127.0.0.1, ::1): for tests and servers on this
    /// machine only. Private and link-local addresses stay refused.
    pub allow_loopback: bool,
    /// Certificates trusted for HTTPS besides the system's (tests).
    pub trust: TrustAnchors,
    /// A name server to resolve host names with instead of the system's (tests).
    pub dns_server: Option<SocketAddr>,
}

impl Default for RemotePolicy {
    fn default() -> Self {
        RemotePolicy {
            max_image_bytes: limits::MAX_REMOTE_IMAGE,
            max_images: limits::MAX_REMOTE_IMAGES,
            max_total_bytes: limits::MAX_REMOTE_BYTES,
            image_time: limits::REMOTE_IMAGE_TIME,
            batch_time: limits::REMOTE_BATCH_TIME,
            parallel: limits::REMOTE_PARALLEL,
            max_redirects: limits::MAX_REMOTE_REDIRECTS,
            allow_loopback: false,
            trust: TrustAnchors::default(),
            dns_server: None,
        }
    }
}

/// A fetched image: its type (`image/png`…) and its bytes, not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What became of one URL.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL as the message gave it.
    pub url: String,
    /// The image, or why there is none: `Config` for a URL or answer refused by the rules
    /// above or past a limit of the message, `Network` and `Tls` for a server that could
    /// not be reached or did not answer in time, `Protocol` for an answer that is not a
    /// usable image.
    pub result: Result<Image>,
}

/// Fetches the images at `urls`, at most [`RemotePolicy::parallel`] at a time. The answer
/// has one entry per distinct URL, in the order first given; past
/// [`RemotePolicy::max_images`] URLs, or once the batch's time or bytes are spent, the
/// rest say why they were not fetched.
pub async fn fetch(urls: Vec<String>, policy: &RemotePolicy) -> Vec<Fetched> {
    let mut seen = std::collections::HashSet::new();
    let urls: Vec<String> = urls.into_iter().filter(|u| seen.insert(u.clone())).collect();
    let client = match client(policy) {
        Ok(c) => c,
        Err(e) => return urls.into_iter().map(|url| Fetched { url, result: Err(e.clone()) }).collect(),
    };
    let deadline = Instant::now() + policy.batch_time;
    let budget = Budget(Mutex::new(policy.max_total_bytes));
    let (now, later) = urls.split_at(urls.len().min(policy.max_images));
    let mut out: Vec<Fetched> = futures::stream::iter(now.iter().cloned())
        .map(|url| {
            let (client, budget) = (&client, &budget);
            async move {
                let result = one(&url, client, policy, budget, deadline).await;
                Fetched { url, result }
            }
        })
        .buffered(policy.parallel.max(1))
        .collect()
        .await;
    out.extend(later.iter().map(|url| Fetched {
        url: url.clone(),
        result: Err(Error::new(
            Kind::Config,
            format!(
                "not fetched: Tidings fetches at most {} remote images for one message",
                policy.max_images
            ),
        )),
    }));
    out
}

fn client(policy: &RemotePolicy) -> Result<Client> {
    let mut client = Client::new(policy.max_image_bytes, policy.image_time, policy.trust.clone());
    client.accept = "image/*";
    client.reach = if policy.allow_loopback { Reach::PublicAndLoopback } else { Reach::Public };
    if let Some(server) = policy.dns_server {
        client.dns = Some(Arc::new(Dns::new(Some(server), policy.image_time.min(Duration::from_secs(5)))?));
    }
    Ok(client)
}

/// Bytes the batch may still take. An image reserves what it may take before it starts and
/// gives back what it did not use, so images fetched at once cannot overrun it together.
struct Budget(Mutex<usize>);

impl Budget {
    fn take(&self, want: usize) -> usize {
        let mut left = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = want.min(*left);
        *left -= n;
        n
    }

    fn give_back(&self, n: usize) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += n;
    }
}

async fn one(
    url: &str,
    client: &Client,
    policy: &RemotePolicy,
    budget: &Budget,
    deadline: Instant,
) -> Result<Image> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Error::new(
            Kind::Network,
            format!(
                "not fetched: the {} for this message's remote images ran out",
                seconds(policy.batch_time)
            ),
        ));
    }
    let start = usable(url)?;
    let over_budget = || {
        Error::new(
            Kind::Config,
            format!(
                "not fetched: this message's remote images together would be more than {}, the most Tidings fetches for one message",
                limits::size(policy.max_total_bytes as u64)
            ),
        )
    };
    let allowed = budget.take(policy.max_image_bytes);
    if allowed == 0 {
        return Err(over_budget());
    }
    let time = policy.image_time.min(left);
    let mut client = client.clone();
    client.max_body = allowed;
    client.timeout = time;
    let result = match tokio::time::timeout(time, follow(start, &client, policy.max_redirects)).await {
        Ok(r) => r,
        Err(_) => {
            Err(Error::new(Kind::Network, format!("{url} did not send its image within {}", seconds(time))))
        }
    };
    let used = result.as_ref().map_or(0, |i| i.bytes.len());
    budget.give_back(allowed - used);
    match result {
        // Cut by what the batch had left, not by the image's own limit.
        Err(e) if allowed < policy.max_image_bytes && is_over_limit(&e) => Err(over_budget()),
        r => r,
    }
}

/// The URL, if the rules allow fetching it at all.
fn usable(text: &str) -> Result<Url> {
    let refuse = |why: &str| Err(Error::new(Kind::Config, format!("not fetched: {why}")));
    let lower = text.trim().get(..8).unwrap_or(text).to_ascii_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("https://") {
        return refuse("only http and https addresses are fetched");
    }
    let authority = text.trim().split('/').nth(2).unwrap_or("");
    if authority.split(['?', '#']).next().unwrap_or("").contains('@') {
        return refuse("the address carries a user name or password");
    }
    match Url::parse(text.trim()) {
        Some(u) => Ok(u),
        None => refuse("the address is not a usable http(s) URL"),
    }
}

/// GETs `url`, following up to `max_redirects` redirects, each checked as the first.
async fn follow(mut url: Url, client: &Client, max_redirects: usize) -> Result<Image> {
    let mut redirects = 0;
    loop {
        let response = client.get(&url).await?;
        let Some(location) = response.location() else { return image(&url, response) };
        if redirects == max_redirects {
            return Err(Error::new(
                Kind::Protocol,
                format!("{url} redirects once more after {max_redirects} redirects; not followed"),
            ));
        }
        redirects += 1;
        url = match url.join(location) {
            Some(next) => usable(&next.to_string())?,
            None => {
                return Err(Error::new(Kind::Protocol, format!("{url} redirects to an unusable address"))
                    .with_server(location.chars().take(200).collect::<String>()));
            }
        };
    }
}

/// The answer, if it is an image.
fn image(url: &Url, response: Response) -> Result<Image> {
    if response.status != 200 {
        return Err(Error::new(
            Kind::Protocol,
            format!("{url} answered HTTP {}, not an image", response.status),
        ));
    }
    let declared = response
        .header("content-type")
        .map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty());
    let not =
        |what: String| Err(Error::new(Kind::Protocol, format!("{url} sent {what}, not an image; not shown")));
    let content_type = match declared.as_deref() {
        Some(t) if t.starts_with("image/svg") => {
            return not(format!("{t}, a document that can carry scripts and further remote content"));
        }
        Some(t) if t.starts_with("image/") => t.to_string(),
        None | Some("application/octet-stream") => match sniff(&response.body) {
            Some(t) => t.to_string(),
            None => return not("data of no known image format".into()),
        },
        Some(t) => return not(t.chars().take(100).collect()),
    };
    if response.body.is_empty() {
        return Err(Error::new(Kind::Protocol, format!("{url} sent an empty image")));
    }
    Ok(Image { content_type, bytes: response.body })
}

/// The image type the first bytes show: PNG, JPEG, GIF, WebP or BMP.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"BM") && bytes.len() >= 14 {
        Some("image/bmp")
    } else {
        None
    }
}

/// "60 s", "300 ms".
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{} s", d.as_secs()) } else { format!("{} ms", d.as_millis()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_without_credentials() {
        assert!(usable("https://img.example.com/a.png").is_ok());
        assert!(usable("HTTP://img.example.com/a.png").is_ok());
        for bad in [
            "ftp://img.example.com/a.png",
            "file:///etc/passwd",
            "data:image/png;base64,AAAA",
            "javascript:alert(1)",
            "http://user:secret@img.example.com/a.png",
            "http://user@img.example.com/",
        ] {
            let e = usable(bad).unwrap_err();
            assert_eq!(e.kind(), Kind::Config, "{bad}");
        }
        assert!(usable("http://user@x/").unwrap_err().message().contains("user name or password"));
        // An @ after the host is part of the path, not user info.
        assert!(usable("http://img.example.com/a@2x.png").is_ok());
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"BM\0\0\0\0\0\0\0\0\0\0\0\0"), Some("image/bmp"));
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b"<!DOCTYPE html>"), None);
    }
}
