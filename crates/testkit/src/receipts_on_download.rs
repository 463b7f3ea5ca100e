//! A server that sends read receipts on download, as Exchange does unless the mailbox has
//! SuppressReadReceipt on: a proxy in front of a real IMAP or POP3 server (plain TCP on
//! 127.0.0.1 both sides) that watches what its clients download — IMAP `FETCH` of `BODY[]`,
//! `BODY.PEEK[]` or `RFC822`, POP3 `RETR` — and, for a message with
//! Disposition-Notification-To, writes one receipt (`multipart/report;
//! report-type=disposition-notification`, automatic-action, "displayed") and hands it to
//! `deliver`, e.g. `MailServers::deliver` into the mailbox. Each message gets one receipt.
//!
//! ```no_run
//! # async fn f(servers: std::sync::Arc<tidings_testkit::MailServers>) -> std::io::Result<()> {
//! use tidings_testkit::receipts_on_download::{Download, ReceiptsOnDownload};
//! let alice = servers.user("alice").clone();
//! let port = servers.imap_port();
//! let s = servers.clone();
//! let email = alice.email.clone();
//! let proxy = ReceiptsOnDownload::start(Download::Imap, port, &email, move |raw| {
//!     let _ = s.deliver(&alice, raw);
//! })
//! .await?;
//! // Connect to 127.0.0.1:proxy.port() without TLS.
//! # Ok(()) }
//! ```
//!
//! Needs a tokio runtime; dropping the proxy closes its connections.

use std::io;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Largest download answer looked at; the rest of a longer one passes unread.
const MAX_WATCHED: usize = 1 << 20;

/// The protocol the proxy speaks (it only needs to know what a download looks like).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    Imap,
    Pop3,
}

type Deliver = Arc<dyn Fn(&[u8]) + Send + Sync>;

struct Shared {
    kind: Download,
    /// Who the receipts are from (Final-Recipient).
    recipient: String,
    deliver: Deliver,
    /// The receipts written, in order.
    sent: Mutex<Vec<Vec<u8>>>,
    /// Message-IDs already answered.
    answered: Mutex<Vec<String>>,
}

/// A running proxy; drop it to stop it.
pub struct ReceiptsOnDownload {
    port: u16,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for ReceiptsOnDownload {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ReceiptsOnDownload {
    /// Proxies to 127.0.0.1:`upstream`; receipts are from `recipient` and go to `deliver`
    /// (called on a blocking thread).
    pub async fn start(
        kind: Download,
        upstream: u16,
        recipient: &str,
        deliver: impl Fn(&[u8]) + Send + Sync + 'static,
    ) -> io::Result<ReceiptsOnDownload> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            kind,
            recipient: recipient.to_string(),
            deliver: Arc::new(deliver),
            sent: Mutex::new(Vec::new()),
            answered: Mutex::new(Vec::new()),
        });
        let task = tokio::spawn(accept_loop(listener, upstream, Arc::clone(&shared)));
        Ok(ReceiptsOnDownload { port, shared, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The receipts written so far.
    pub fn receipts(&self) -> Vec<Vec<u8>> {
        self.shared.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

async fn accept_loop(listener: TcpListener, upstream: u16, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    while let Ok((client, _)) = listener.accept().await {
        let shared = Arc::clone(&shared);
        conns.spawn(async move {
            if let Ok(server) = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream)).await {
                let _ = relay(client, server, shared).await;
            }
        });
        while conns.try_join_next().is_some() {}
    }
}

/// The end of the download answer being watched: IMAP the command's tag, POP3 the
/// terminating dot.
type Watch = Arc<Mutex<Option<String>>>;

async fn relay(client: TcpStream, server: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    let (client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let watch: Watch = Arc::new(Mutex::new(None));
    let kind = shared.kind;
    let commands = {
        let watch = Arc::clone(&watch);
        async move {
            let mut lines = BufReader::new(client_read);
            let mut line = Vec::new();
            loop {
                line.clear();
                if lines.read_until(b'\n', &mut line).await? == 0 {
                    return server_write.shutdown().await;
                }
                if let Some(end) = download(kind, &String::from_utf8_lossy(&line)) {
                    *watch.lock().unwrap_or_else(|e| e.into_inner()) = Some(end);
                }
                server_write.write_all(&line).await?;
            }
        }
    };
    let answers = async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut seen = Vec::new();
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0 {
                return client_write.shutdown().await;
            }
            let end = watch.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(end) = end {
                if seen.len() < MAX_WATCHED {
                    seen.extend_from_slice(&buf[..n]);
                }
                if finished(kind, &seen, &end) {
                    *watch.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    answer(&shared, &std::mem::take(&mut seen));
                }
            }
            client_write.write_all(&buf[..n]).await?;
        }
    };
    let (a, b) = tokio::join!(commands, answers);
    a.and(b)
}

/// What ends the answer to `line` when it downloads a message.
fn download(kind: Download, line: &str) -> Option<String> {
    let upper = line.trim_end().to_ascii_uppercase();
    match kind {
        Download::Pop3 => upper.starts_with("RETR ").then(|| ".".to_string()),
        Download::Imap => {
            let (tag, rest) = upper.split_once(' ')?;
            let fetch = rest.starts_with("FETCH ") || rest.starts_with("UID FETCH ");
            let whole = rest
                .split([' ', '(', ')'])
                .any(|item| item == "BODY[]" || item == "BODY.PEEK[]" || item == "RFC822");
            (fetch && whole).then(|| tag.to_string())
        }
    }
}

fn finished(kind: Download, seen: &[u8], end: &str) -> bool {
    match kind {
        Download::Pop3 => seen.starts_with(b"-ERR") || seen.ends_with(b"\r\n.\r\n"),
        Download::Imap => {
            let tagged = format!("{end} ").into_bytes();
            seen.starts_with(&tagged)
                || seen.windows(tagged.len() + 2).any(|w| w.starts_with(b"\r\n") && w[2..] == tagged[..])
        }
    }
}

/// Writes a receipt for each downloaded message in `answer` that asks for one.
fn answer(shared: &Shared, answer: &[u8]) {
    for message in messages(shared.kind, answer) {
        let Some(receipt) = receipt_for(&shared.recipient, &message) else { continue };
        {
            let mut answered = shared.answered.lock().unwrap_or_else(|e| e.into_inner());
            if answered.contains(&receipt.0) {
                continue;
            }
            answered.push(receipt.0.clone());
        }
        shared.sent.lock().unwrap_or_else(|e| e.into_inner()).push(receipt.1.clone());
        let deliver = Arc::clone(&shared.deliver);
        tokio::task::spawn_blocking(move || deliver(&receipt.1));
    }
}

/// The messages in a download answer: IMAP literals after `BODY[]`/`RFC822`, or the POP3
/// data after `+OK`.
fn messages(kind: Download, answer: &[u8]) -> Vec<Vec<u8>> {
    match kind {
        Download::Pop3 => {
            let Some(start) = answer.windows(2).position(|w| w == b"\r\n") else { return vec![] };
            if !answer.starts_with(b"+OK") {
                return vec![];
            }
            vec![answer[start + 2..].to_vec()]
        }
        Download::Imap => {
            let mut out = Vec::new();
            let mut rest = answer;
            while let Some(i) = rest.windows(3).position(|w| w == b"] {" || w == b"2 {") {
                let after = &rest[i + 3..];
                let Some(close) = after.iter().position(|&b| b == b'}') else { break };
                let len: usize = String::from_utf8_lossy(&after[..close]).parse().unwrap_or(0);
                let body_start = close + 3; // "}\r\n"
                let body = after.get(body_start..body_start + len).unwrap_or(&after[after.len()..]);
                out.push(body.to_vec());
                rest = &after[(body_start + body.len()).min(after.len())..];
            }
            out
        }
    }
}

/// The header fields of a message, unfolded, names lower-cased.
fn fields(message: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(message);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    out
}

/// The Message-ID answered and the receipt, when the message asks for one.
fn receipt_for(recipient: &str, message: &[u8]) -> Option<(String, Vec<u8>)> {
    let fields = fields(message);
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let notify = field("disposition-notification-to")?;
    let id = field("message-id")?;
    let subject = field("subject").unwrap_or_default();
    let n = id.len() + notify.len();
    let raw = format!(
        "From: <{recipient}>\r\nTo: {notify}\r\nSubject: Read: {subject}\r\n\
         Message-ID: <download-receipt-{n}@receipts.testkit.invalid>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=disposition-notification; boundary=\"receipt\"\r\n\
         \r\n--receipt\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
         Your message was downloaded by {recipient}.\r\n\
         --receipt\r\nContent-Type: message/disposition-notification\r\n\r\n\
         Reporting-UA: receipts.testkit.invalid; Microsoft Exchange Server (testkit imitation)\r\n\
         Final-Recipient: rfc822;{recipient}\r\nOriginal-Message-ID: {id}\r\n\
         Disposition: automatic-action/MDN-sent-automatically; displayed\r\n\r\n--receipt--\r\n"
    );
    Some((id, raw.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASKING: &[u8] = b"From: <a@x.test>\r\nMessage-ID: <p1@x.test>\r\nSubject: hi\r\n\
        Disposition-Notification-To: <a@x.test>\r\n\r\nbody\r\n";

    #[test]
    fn downloads_are_recognised_and_their_messages_found() {
        assert_eq!(download(Download::Imap, "A5 UID FETCH 7 BODY.PEEK[]\r\n").as_deref(), Some("A5"));
        assert_eq!(download(Download::Imap, "A6 UID FETCH 7:* (UID BODY.PEEK[HEADER])\r\n"), None);
        assert_eq!(download(Download::Pop3, "RETR 3\r\n").as_deref(), Some("."));
        assert_eq!(download(Download::Pop3, "TOP 3 0\r\n"), None);

        let imap = [
            format!("* 1 FETCH (UID 7 BODY[] {{{}}}\r\n", ASKING.len()).as_bytes(),
            ASKING,
            b")\r\nA5 OK done\r\n",
        ]
        .concat();
        assert!(finished(Download::Imap, &imap, "A5"));
        assert!(!finished(Download::Imap, &imap[..imap.len() - 12], "A5"));
        assert_eq!(messages(Download::Imap, &imap), [ASKING.to_vec()]);
        let pop3 = [b"+OK 99 octets\r\n".as_slice(), ASKING, b".\r\n"].concat();
        assert!(finished(Download::Pop3, &pop3, "."));

        let (id, receipt) = receipt_for("a@x.test", ASKING).unwrap_or_default();
        assert_eq!(id, "<p1@x.test>");
        let text = String::from_utf8_lossy(&receipt);
        assert!(text.contains("Original-Message-ID: <p1@x.test>\r\n"), "{text}");
        assert!(receipt_for("a@x.test", b"Message-ID: <p2@x.test>\r\n\r\nno request\r\n").is_none());
    }
}
