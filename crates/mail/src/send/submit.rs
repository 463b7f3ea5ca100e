//! One SMTP session submitting the queued messages of an account, each through the Outbox
//! states: MAIL FROM and RCPT TO, then `submitting` recorded, DATA, the bytes, the reply,
//! then `accepted` recorded — or back to `queued` when the server cannot have taken it, or
//! `refused` when the server refused it for good (a 5xx reply about the message).

use lettre::Address;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{MailBodyParameter, MailParameter};

use super::{FailedMessage, FlushReport, SendProgress, SentMessage, send_timeout};
use crate::account::Account;
use crate::auth::Credentials;
use crate::check::SessionFacts;
use crate::error::{Error, Kind, Result};
use crate::net::{Endpoint, Transcript};
use crate::outbox::OutboxItem;
use crate::smtp::Meter;
use crate::store::StoreHandle;

/// Message data is handed to lettre in pieces of this size; progress is reported between them.
const CHUNK: usize = 64 * 1024;

/// The limit the server announced with `SIZE n` in EHLO (None: no limit stated, or 0).
pub fn size_limit(capabilities: &[String]) -> Option<u64> {
    capabilities.iter().find_map(|c| {
        let mut words = c.split_ascii_whitespace();
        let name = words.next()?;
        if !name.eq_ignore_ascii_case("SIZE") {
            return None;
        }
        words.next().and_then(|n| n.parse::<u64>().ok()).filter(|n| *n > 0)
    })
}

fn has(caps: &[String], name: &str) -> bool {
    caps.iter().any(|c| c.split_ascii_whitespace().next().is_some_and(|w| w.eq_ignore_ascii_case(name)))
}

/// How a message's transaction ended.
enum Outcome {
    Accepted(String),
    /// Not accepted. `definite`: the server cannot have taken it. `permanent`: it refused
    /// this message for good (sending it again unchanged would be refused again).
    Failed {
        error: Error,
        definite: bool,
        permanent: bool,
    },
    /// Another sender took the row between our listing and our claim.
    TakenElsewhere,
}

/// How far the transaction got (what a cut connection means).
#[derive(Debug, Default)]
struct Track {
    /// Once the data began: the meter reading then, and the bytes the data and its end
    /// marker take on the wire.
    data: Option<(u64, u64)>,
}

impl Track {
    /// Whether the whole message and its end marker reached the connection: from then on
    /// the server may have accepted it, whatever we heard back.
    fn handed(&self, meter: &Meter) -> bool {
        self.data.is_some_and(|(start, expected)| meter.written().saturating_sub(start) >= expected)
    }
}

pub(super) async fn send_queued(
    store: &StoreHandle,
    account: &Account,
    credentials: &Credentials,
    transcript: &Transcript,
    queued: &[OutboxItem],
    progress: &(dyn Fn(&SendProgress) + Send + Sync),
    report: &mut FlushReport,
) -> Result<()> {
    let session = super::smtp_session(account, &credentials.outgoing, transcript).await;
    let (mut smtp, meter, facts, ep) = match session {
        Ok(s) => s,
        Err(e) => return not_attempted(store, queued, &e, report).await,
    };
    let count = queued.len();
    for (index, item) in queued.iter().enumerate() {
        let ctx = Ctx { store, ep: &ep, transcript, facts: &facts, meter: &meter, progress, index, count };
        let outcome = ctx.submit(&mut smtp, item).await?;
        match outcome {
            Outcome::Accepted(reply) => report.sent.push(SentMessage {
                outbox_id: item.id,
                message_id: item.message_id.clone(),
                reply,
                filed: false,
            }),
            Outcome::Failed { error, definite, permanent } => {
                let id = item.id;
                let e = error.clone();
                if definite && permanent {
                    // Refused for good: kept for the user, not retried by itself.
                    store.call(move |s| s.outbox_refused(id, &e)).await?;
                    if let Some(refused) = store.call(move |s| s.outbox_item(id)).await? {
                        report.refused.push(refused);
                    }
                    report.failed.push(failed(item, error.clone()));
                } else {
                    store.call(move |s| s.outbox_failed(id, &e, definite)).await?;
                    if !definite {
                        if let Some(held) = store.call(move |s| s.outbox_item(id)).await? {
                            report.held.push(held);
                        }
                    } else {
                        report.failed.push(failed(item, error.clone()));
                    }
                }
                // The session is unusable after a network error: the rest waits.
                if smtp.has_broken() || error.kind() == Kind::Network {
                    return not_attempted(store, &queued[index + 1..], &error, report).await;
                }
                // Clear the failed transaction before the next message.
                if smtp.command(Rset).await.is_err() {
                    return not_attempted(store, &queued[index + 1..], &error, report).await;
                }
            }
            Outcome::TakenElsewhere => {}
        }
    }
    crate::smtp::quit(smtp, transcript).await;
    Ok(())
}

fn failed(item: &OutboxItem, error: Error) -> FailedMessage {
    FailedMessage { outbox_id: item.id, message_id: item.message_id.clone(), error }
}

/// Records `e` on rows that were never tried (no session), and reports them.
async fn not_attempted(
    store: &StoreHandle,
    items: &[OutboxItem],
    e: &Error,
    report: &mut FlushReport,
) -> Result<()> {
    for item in items {
        let (id, err) = (item.id, e.clone());
        store.call(move |s| s.outbox_not_attempted(id, &err)).await?;
        report.failed.push(failed(item, e.clone()));
    }
    Ok(())
}

struct Ctx<'a> {
    store: &'a StoreHandle,
    ep: &'a Endpoint,
    transcript: &'a Transcript,
    facts: &'a SessionFacts,
    meter: &'a Meter,
    progress: &'a (dyn Fn(&SendProgress) + Send + Sync),
    index: usize,
    count: usize,
}

impl Ctx<'_> {
    fn smtp_error(&self, e: lettre::transport::smtp::Error) -> Error {
        crate::smtp::map_error(self.ep, e, self.transcript)
    }

    /// A failed command of the transaction, and whether the server refused the message for good.
    fn smtp_fail(&self, e: lettre::transport::smtp::Error) -> TxError {
        let permanent = e.status().is_some_and(|code| permanent_refusal(&code.to_string()));
        TxError::Smtp(self.smtp_error(e), permanent)
    }

    /// One message: checks, envelope, claim, data, reply, acceptance recorded. `Err` only
    /// for store failures.
    async fn submit(&self, smtp: &mut AsyncSmtpConnection, item: &OutboxItem) -> Result<Outcome> {
        let id = item.id;
        let Some(raw) = self.store.call(move |s| s.outbox_raw(id)).await? else {
            return Ok(Outcome::TakenElsewhere);
        };
        let size = raw.len() as u64;
        if let Some(limit) = size_limit(&self.facts.capabilities)
            && size > limit
        {
            let e = Error::new(
                Kind::RefusedByServer,
                format!(
                    "the message is {} but {} accepts at most {} (its SIZE limit); send the attachments another way or make them smaller",
                    human(size),
                    self.ep.host,
                    human(limit)
                ),
            )
            .with_server(format!("SIZE {limit}"));
            return Ok(Outcome::Failed { error: e, definite: true, permanent: true });
        }
        let limit = send_timeout(size);
        let mut track = Track::default();
        let mut reply = String::new();
        let run = self.transaction(smtp, item, &raw, &mut track, &mut reply);
        let result = tokio::time::timeout(limit, run).await;
        let error = match result {
            Ok(Ok(())) => {
                let r = reply.clone();
                self.store.call(move |s| s.outbox_accepted(id, &r)).await?;
                self.report(item, size, size);
                return Ok(Outcome::Accepted(reply));
            }
            Ok(Err(TxError::Store(e))) => return Err(e),
            Ok(Err(TxError::Taken)) => return Ok(Outcome::TakenElsewhere),
            Ok(Err(TxError::Smtp(e, true))) => {
                return Ok(Outcome::Failed { error: e, definite: true, permanent: true });
            }
            Ok(Err(TxError::Smtp(e, false))) => e,
            Err(_) => Error::new(
                Kind::Network,
                format!(
                    "{} did not finish taking the message within {} s (the limit for {})",
                    self.ep.host,
                    limit.as_secs(),
                    human(size)
                ),
            ),
        };
        // A refusal in words is definite; so is any failure before the end of the message
        // reached the connection. A cut or a silence after it is not.
        let refused = error.kind() != Kind::Network && error.kind() != Kind::Protocol;
        let definite = !track.handed(self.meter) || refused;
        Ok(Outcome::Failed { error, definite, permanent: false })
    }

    fn report(&self, item: &OutboxItem, sent: u64, total: u64) {
        (self.progress)(&SendProgress {
            outbox_id: item.id,
            message_id: item.message_id.clone(),
            index: self.index,
            count: self.count,
            bytes_sent: sent.min(total),
            bytes_total: total,
        });
    }

    async fn transaction(
        &self,
        smtp: &mut AsyncSmtpConnection,
        item: &OutboxItem,
        raw: &[u8],
        track: &mut Track,
        reply: &mut String,
    ) -> std::result::Result<(), TxError> {
        let caps = &self.facts.capabilities;
        let from = parse_address(&item.from, "sender")?;
        let mut params = Vec::new();
        if has(caps, "SIZE") {
            params.push(MailParameter::Size(raw.len()));
        }
        if !raw.is_ascii() && has(caps, "8BITMIME") {
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let utf8 = !item.from.is_ascii() || item.recipients.iter().any(|r| !r.is_ascii());
        if utf8 {
            if !has(caps, "SMTPUTF8") {
                return Err(TxError::Smtp(
                    Error::new(
                        Kind::RefusedByServer,
                        format!(
                            "{} cannot take addresses with non-ASCII characters (no SMTPUTF8)",
                            self.ep.host
                        ),
                    ),
                    true,
                ));
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        self.report(item, 0, raw.len() as u64);
        smtp.command(Mail::new(Some(from), params)).await.map_err(|e| self.smtp_fail(e))?;
        for rcpt in &item.recipients {
            let to = parse_address(rcpt, "recipient")?;
            smtp.command(Rcpt::new(to, vec![])).await.map_err(|e| {
                let permanent = e.status().is_some_and(|code| permanent_refusal(&code.to_string()));
                let err = self.smtp_error(e);
                let msg = format!("{} (recipient {rcpt})", err.message());
                let mut out = Error::new(err.kind(), msg);
                if let Some(w) = err.server_words() {
                    out = out.with_server(w);
                }
                TxError::Smtp(out, permanent)
            })?;
        }
        // Recorded before DATA: from here on a crash leaves the row held, never resent.
        let id = item.id;
        let busy_until = crate::store::now() + send_timeout(raw.len() as u64).as_secs() as i64 + 5;
        let claimed =
            self.store.call(move |s| s.outbox_claim(id, busy_until)).await.map_err(TxError::Store)?;
        if !claimed {
            let _ = smtp.command(Rset).await;
            return Err(TxError::Taken);
        }
        smtp.command(Data).await.map_err(|e| self.smtp_fail(e))?;
        // The stored bytes end with CRLF; lettre adds CRLF "." CRLF, so the server receives
        // exactly the stored bytes.
        let body = raw.strip_suffix(b"\r\n").unwrap_or(raw);
        let start = self.meter.written();
        track.data = Some((start, stuffed_len(body) + 5));
        let total = raw.len() as u64;
        let chunks = body.chunks(CHUNK).inspect(|_| {
            self.report(item, self.meter.written().saturating_sub(start), total);
        });
        let response = smtp.message_iter(chunks).await.map_err(|e| self.smtp_fail(e))?;
        *reply = format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" "));
        Ok(())
    }
}

enum TxError {
    /// The error, and whether the server refused the message for good.
    Smtp(Error, bool),
    Store(Error),
    Taken,
}

fn parse_address(s: &str, what: &str) -> std::result::Result<Address, TxError> {
    s.parse::<Address>().map_err(|_| {
        TxError::Smtp(Error::config(format!("the {what} address \"{s}\" is not a valid address")), true)
    })
}

/// Whether an SMTP reply code refuses the message for good: any 5xx but those about the
/// account's login (530 authentication required, 534/535/538 login refused), which the user
/// fixes in the settings and which leave the message queued.
fn permanent_refusal(code: &str) -> bool {
    code.starts_with('5') && !matches!(code, "530" | "534" | "535" | "538")
}

/// The length of `body` after dot-stuffing (a "." at a line start is doubled), as lettre
/// writes it.
fn stuffed_len(body: &[u8]) -> u64 {
    let mut dots = 0u64;
    let mut line_start = true;
    let mut prev_cr = false;
    for &b in body {
        if line_start && b == b'.' {
            dots += 1;
        }
        line_start = prev_cr && b == b'\n';
        prev_cr = b == b'\r';
    }
    body.len() as u64 + dots
}

/// Sizes in words: "812 bytes", "3.4 MB".
pub(crate) fn human(n: u64) -> String {
    match n {
        n if n < 1_000 => format!("{n} bytes"),
        n if n < 1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        n => format!("{:.1} MB", n as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limit_from_ehlo() {
        let caps: Vec<String> = ["PIPELINING", "SIZE 10240000", "8BITMIME"].map(String::from).to_vec();
        assert_eq!(size_limit(&caps), Some(10_240_000));
        assert_eq!(size_limit(&["SIZE".to_string()]), None);
        assert_eq!(size_limit(&["SIZE 0".to_string()]), None);
        assert!(has(&caps, "8bitmime"));
    }

    #[test]
    fn permanent_refusals_are_5xx_about_the_message() {
        for code in ["550", "551", "552", "553", "554", "555"] {
            assert!(permanent_refusal(code), "{code}");
        }
        for code in ["421", "450", "451", "452", "530", "534", "535", "538", "250"] {
            assert!(!permanent_refusal(code), "{code}");
        }
    }

    #[test]
    fn dot_stuffing_length_matches_lettre() {
        assert_eq!(stuffed_len(b".a\r\nb\r\n.c\r\n..d"), 14 + 3);
        assert_eq!(stuffed_len(b"a.b\r\n"), 5);
    }

    #[test]
    fn timeout_grows_with_size() {
        assert_eq!(send_timeout(0).as_secs(), 60);
        assert_eq!(send_timeout(10_000_000).as_secs(), 60 + 500);
    }
}
