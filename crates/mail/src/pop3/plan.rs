//! What a receive pass will do, decided in one place from the server's listing, the
//! seen-UID list and the options. `plan` shows it (dry run); `receive` does exactly it.
//!
//! The rules, in order, for each message on the server:
//! - never seen (or seen and skipped before: the limit may have changed): skipped when over
//!   the size limit, else downloaded (headers only when asked); when copies are not left on
//!   the server, deleted right after its download is committed;
//! - downloaded before: deleted when it was deleted here and that option is on; when copies
//!   are not left on the server; when first seen at least N days ago with "delete after N
//!   days"; kept otherwise;
//! - downloaded as headers only: deleted only when deleted here (and that option is on), as
//!   the server holds the only full copy.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use serde::Serialize;

use super::client::OddLine;
use crate::limits::MAX_MESSAGE;
use crate::options::Pop3Options;
use crate::store::{SeenState, SeenUid};

/// One message of the server's listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Message number in this session.
    pub number: u32,
    /// UIDL's unique id; `None` when the server has no UIDL.
    pub uid: Option<String>,
    /// Size as LIST states it (Exchange estimates it).
    pub size: u64,
}

/// Why a message is in a list of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// Not downloaded before.
    New,
    /// Not downloaded before; only its header will be (the rest when opened).
    NewHeadersOnly,
    /// Larger than the "skip messages over" limit.
    TooLarge { limit_kb: u32 },
    /// "Leave a copy on the server" is off; `after_download`: deleted in the same pass once
    /// its download is safely stored.
    NotLeavingOnServer { after_download: bool },
    /// First seen `age_days` ago, at least the `days` of "delete after N days".
    OlderThan { days: u32, age_days: u64 },
    /// Deleted here, with "delete from the server when deleted here" on.
    DeletedLocally,
    /// Downloaded `age_days` ago and left on the server; `delete_after_days`: when "delete
    /// after N days" will remove it.
    LeftOnServer { age_days: u64, delete_after_days: Option<u32> },
    /// Only its header is here: the server keeps the one full copy.
    OnlyHeaderHere,
    /// Larger than the largest message Tidings takes (`limits::MAX_MESSAGE`): by its LIST
    /// size, or (`sent`) by the bytes it really sent in an earlier pass.
    OverLimit { limit: u64, sent: Option<u64> },
    /// Its LIST or UIDL line could not be read, UIDL left it out, or gives its id to other
    /// messages too (`line`, and `why` in words): left alone.
    Unreadable { line: String, why: String },
    /// Known under this unique id, listed now with another size than the `was` recorded,
    /// and nothing here to compare it with (deleted here, or only its header): the id may
    /// name another message now. Left alone: neither downloaded nor deleted.
    Reused { was: u64 },
    /// Its unique id named a message this client deleted from the server before: a server
    /// may give it to a new message (RFC 1939 allows it once the old one is gone). New.
    NewReusedId,
    /// Downloaded before with `was` bytes by LIST, and listed now with another size or
    /// again after its deletion: downloaded again and compared with the stored copy; only
    /// the same bytes count as stored.
    Recheck { was: u64 },
}

impl Reason {
    /// The reason in words, for the CLI and the GUI.
    pub fn describe(&self) -> String {
        match self {
            Reason::New => "new".into(),
            Reason::NewHeadersOnly => "new (headers only)".into(),
            Reason::TooLarge { limit_kb } => format!("larger than {limit_kb} KB"),
            Reason::NotLeavingOnServer { after_download: true } => {
                "not leaving copies on the server (deleted once downloaded)".into()
            }
            Reason::NotLeavingOnServer { after_download: false } => "not leaving copies on the server".into(),
            Reason::OlderThan { days, age_days } => {
                format!("first downloaded {age_days} days ago (delete after {days} days)")
            }
            Reason::DeletedLocally => "deleted here".into(),
            Reason::LeftOnServer { age_days, delete_after_days: None } => {
                format!("downloaded {} (a copy stays on the server)", days_ago(*age_days))
            }
            Reason::LeftOnServer { age_days, delete_after_days: Some(days) } => {
                format!("downloaded {} (deleted from the server after {days} days)", days_ago(*age_days))
            }
            Reason::OnlyHeaderHere => "only its header is here (the server keeps the full copy)".into(),
            Reason::OverLimit { limit, sent: None } => {
                format!("larger than {}, the largest message Tidings takes", crate::limits::size(*limit))
            }
            Reason::OverLimit { limit, sent: Some(sent) } => format!(
                "sent more than {} in an earlier pass ({} before Tidings stopped), though LIST gives a smaller size; the largest message Tidings takes is {}",
                crate::limits::size(*limit),
                crate::limits::size(*sent),
                crate::limits::size(*limit)
            ),
            Reason::Unreadable { line, why } => {
                format!("left on the server untouched: {why} (\"{line}\")")
            }
            Reason::Reused { was } => format!(
                "known with {was} bytes, now listed with another size, and not here to compare: its unique id may name another message now, so it is left on the server untouched"
            ),
            Reason::NewReusedId => {
                "new (its unique id named a message deleted from the server before)".into()
            }
            Reason::Recheck { was } => format!(
                "downloaded before ({was} bytes), listed again with another size or after its deletion: downloaded again to compare with the stored copy"
            ),
        }
    }
}

fn days_ago(days: u64) -> String {
    match days {
        0 => "today".into(),
        1 => "1 day ago".into(),
        n => format!("{n} days ago"),
    }
}

/// A server message with what will happen to it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItem {
    pub number: u32,
    pub uid: Option<String>,
    pub size: u64,
    #[serde(flatten)]
    pub reason: Reason,
    /// Sender and subject, when the message is stored here (downloaded before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<crate::store::Described>,
}

/// What the next receive pass would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pop3Plan {
    /// Messages on the server now.
    pub server_messages: usize,
    pub server_bytes: u64,
    /// The server has UIDL (without it, copies cannot be left on the server).
    pub uidl: bool,
    pub download: Vec<PlanItem>,
    pub skip: Vec<PlanItem>,
    /// Deleted from the server; the ones with `after_download` only once downloaded.
    pub delete: Vec<PlanItem>,
    /// Downloaded before and staying on the server.
    pub keep: Vec<PlanItem>,
    /// Listing lines without even a message number: reported, nothing done about them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

impl Pop3Plan {
    /// Names each message stored here by its sender and subject (`stored`: by unique id).
    pub fn describe_stored(&mut self, stored: &HashMap<String, crate::store::Described>) {
        for item in
            [&mut self.skip, &mut self.download, &mut self.delete, &mut self.keep].into_iter().flatten()
        {
            item.stored = item.uid.as_ref().and_then(|u| stored.get(u)).cloned();
        }
    }

    pub fn download_bytes(&self) -> u64 {
        self.download.iter().fold(0, |t, i| t.saturating_add(i.size))
    }

    /// Adds the listing lines that could not be read: a message whose number is known is
    /// skipped (never downloaded, never deleted), the others are only reported.
    pub fn add_odd(&mut self, odd: &[super::client::OddLine]) {
        for o in odd {
            match o.number {
                Some(number) => {
                    let listed = [&self.skip, &self.download, &self.delete, &self.keep]
                        .iter()
                        .any(|l| l.iter().any(|i| i.number == number));
                    if !listed {
                        self.server_messages += 1;
                    }
                    self.skip.retain(|i| i.number != number);
                    self.download.retain(|i| i.number != number);
                    self.delete.retain(|i| i.number != number);
                    self.keep.retain(|i| i.number != number);
                    self.skip.push(PlanItem {
                        number,
                        uid: None,
                        size: 0,
                        reason: Reason::Unreadable {
                            line: format!("{} {}", o.command, o.line),
                            why: o.why.clone(),
                        },
                        stored: None,
                    });
                }
                None => self.unreadable.push(format!("{} {} ({})", o.command, o.line, o.why)),
            }
        }
    }
}

const DAY: u64 = 86_400;

/// LIST's sizes and UIDL's ids joined by message number, for [`decide`], and the lines that
/// cannot be acted on: a message whose id UIDL gives to another message too (counted over
/// the whole answer, also where that message's LIST line is odd: deleting "the one stored"
/// could delete the other), a number LIST gives twice, one UIDL leaves out or gives two
/// ids, and the `odd` lines the listing could not read. Each message once among them.
/// `uids: None` (no UIDL): every message by its size alone.
pub fn join(
    sizes: Vec<(u32, u64)>,
    uids: Option<Vec<(u32, String)>>,
    mut odd: Vec<OddLine>,
) -> (Vec<Listed>, Vec<OddLine>) {
    let Some(uids) = uids else {
        return (sizes.into_iter().map(|(number, size)| Listed { number, uid: None, size }).collect(), odd);
    };
    let mut uses: HashMap<&str, Vec<u32>> = HashMap::with_capacity(uids.len());
    for (number, uid) in &uids {
        uses.entry(uid.as_str()).or_default().push(*number);
    }
    let shared: HashMap<String, Vec<u32>> =
        uses.into_iter().filter(|(_, n)| n.len() > 1).map(|(u, n)| (u.to_string(), n)).collect();
    let mut by_number: HashMap<u32, Option<String>> = HashMap::with_capacity(uids.len());
    for (number, uid) in uids {
        // A number listed twice with different ids: neither can be trusted.
        by_number.entry(number).and_modify(|u| *u = u.take().filter(|u| *u == uid)).or_insert(Some(uid));
    }
    let mut sized: HashMap<u32, usize> = HashMap::with_capacity(sizes.len());
    for (number, _) in &sizes {
        *sized.entry(*number).or_default() += 1;
    }
    let bad: HashSet<u32> = odd.iter().filter_map(|o| o.number).collect();
    let mut listed = Vec::with_capacity(sizes.len());
    for (number, size) in sizes {
        let uid = by_number.get(&number).cloned().flatten();
        let why = if let Some(numbers) = uid.as_ref().and_then(|u| shared.get(u)) {
            let list: Vec<String> = numbers.iter().map(u32::to_string).collect();
            Some(format!("UIDL gives its unique id to messages {} alike", list.join(", ")))
        } else if sized[&number] > 1 {
            Some("LIST gives this message number more than once".into())
        } else if !by_number.contains_key(&number) {
            Some("UIDL does not list this message".into())
        } else if uid.is_none() {
            Some("UIDL gives this message number more than one unique id".into())
        } else {
            None
        };
        match why {
            _ if bad.contains(&number) => {}
            Some(why) => odd.push(OddLine {
                command: "LIST",
                number: Some(number),
                line: format!("{number} {size}"),
                why,
            }),
            None => listed.push(Listed { number, uid, size }),
        }
    }
    let mut reported = HashSet::new();
    odd.retain(|o| o.number.is_none_or(|n| reported.insert(n)));
    (listed, odd)
}

/// Decides the plan. `now` is the pass's clock (injected in tests).
pub fn decide(
    listing: &[Listed],
    seen: &HashMap<String, SeenUid>,
    options: &Pop3Options,
    now: SystemTime,
) -> Pop3Plan {
    let now = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut plan = Pop3Plan {
        server_messages: listing.len(),
        server_bytes: listing.iter().fold(0, |t, l| t.saturating_add(l.size)),
        uidl: listing.iter().all(|l| l.uid.is_some()),
        ..Pop3Plan::default()
    };
    for l in listing {
        let item =
            |reason| PlanItem { number: l.number, uid: l.uid.clone(), size: l.size, reason, stored: None };
        let seen_row = l.uid.as_ref().and_then(|u| seen.get(u)).filter(|s| s.state != SeenState::Skipped);
        // A unique id known before may name another message now: the store would take the new
        // one for the one it holds, and it would be deleted unread.
        let mut reused = false;
        if let Some(s) = seen_row {
            let comparable = s.state == SeenState::Downloaded && s.message.is_some();
            if s.deleted_on_server.is_some() && !comparable {
                // Deleted from the server by a pass of ours, and nothing here to compare:
                // the id is free again (RFC 1939), this is a new message.
                reused = true;
            } else if s.deleted_on_server.is_some() || s.size != l.size {
                // Listed again after the server confirmed its deletion (another message
                // under a freed id, or a server that did not delete), or with another size
                // (the same message whose size the server estimates anew, as Exchange does,
                // or another one). Only its bytes can tell.
                if comparable {
                    plan.download.push(item(Reason::Recheck { was: s.size }));
                    if !options.leave_on_server {
                        plan.delete.push(item(Reason::NotLeavingOnServer { after_download: true }));
                    }
                } else {
                    plan.skip.push(item(Reason::Reused { was: s.size }));
                }
                continue;
            }
        }
        let known = seen_row.filter(|_| !reused);
        let Some(known) = known else {
            // An earlier pass stopped this message for sending more than the limit.
            let skipped_row =
                l.uid.as_ref().and_then(|u| seen.get(u)).filter(|s| s.state == SeenState::Skipped);
            let sent_too_much = skipped_row.map(|s| s.size).filter(|&s| s > MAX_MESSAGE);
            if l.size > MAX_MESSAGE {
                plan.skip.push(item(Reason::OverLimit { limit: MAX_MESSAGE, sent: None }));
                continue;
            }
            if sent_too_much.is_some() {
                plan.skip.push(item(Reason::OverLimit { limit: MAX_MESSAGE, sent: sent_too_much }));
                continue;
            }
            match options.skip_larger_than_kb {
                Some(kb) if l.size > u64::from(kb) * 1024 => {
                    plan.skip.push(item(Reason::TooLarge { limit_kb: kb }));
                }
                // A reused id is downloaded whole: the store sets the old row aside for it.
                _ if options.headers_only && !reused => plan.download.push(item(Reason::NewHeadersOnly)),
                _ => {
                    plan.download.push(item(if reused { Reason::NewReusedId } else { Reason::New }));
                    if !options.leave_on_server {
                        plan.delete.push(item(Reason::NotLeavingOnServer { after_download: true }));
                    }
                }
            }
            continue;
        };
        let age_days = now.saturating_sub(u64::try_from(known.first_seen).unwrap_or(0)) / DAY;
        let reason = if known.deleted_locally && options.delete_when_deleted_locally {
            Ok(Reason::DeletedLocally)
        } else if known.state == SeenState::Partial {
            Err(Reason::OnlyHeaderHere)
        } else if !options.leave_on_server {
            Ok(Reason::NotLeavingOnServer { after_download: false })
        } else {
            match options.delete_after_days {
                Some(days) if age_days >= u64::from(days) => Ok(Reason::OlderThan { days, age_days }),
                delete_after_days => Err(Reason::LeftOnServer { age_days, delete_after_days }),
            }
        };
        match reason {
            Ok(r) => plan.delete.push(item(r)),
            Err(r) => plan.keep.push(item(r)),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn listed(n: u32, size: u64) -> Listed {
        Listed { number: n, uid: Some(format!("u{n}")), size }
    }

    fn listed_uid(n: u32, uid: &str) -> Listed {
        Listed { number: n, uid: Some(uid.into()), size: 10 }
    }

    fn seen(uid: &str, first_seen: i64, state: SeenState, deleted_locally: bool) -> (String, SeenUid) {
        let s = SeenUid {
            uid: uid.into(),
            message: None,
            first_seen,
            size: 10,
            state,
            skip_reason: None,
            deleted_locally,
            deleted_on_server: None,
        };
        (uid.into(), s)
    }

    #[test]
    fn each_rule_with_its_reason() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100 * DAY);
        let listing: Vec<Listed> =
            vec![listed(1, 10), listed(2, 10), listed(3, 10), listed(4, 5000), listed(5, 10), listed(6, 10)];
        let known: HashMap<String, SeenUid> = [
            seen("u1", (99 * DAY) as i64, SeenState::Downloaded, false),
            seen("u2", (80 * DAY) as i64, SeenState::Downloaded, false),
            seen("u3", (99 * DAY) as i64, SeenState::Downloaded, true),
            seen("u5", (10 * DAY) as i64, SeenState::Partial, false),
        ]
        .into_iter()
        .collect();
        let opts = Pop3Options {
            delete_after_days: Some(7),
            delete_when_deleted_locally: true,
            skip_larger_than_kb: Some(4),
            ..Pop3Options::default()
        };
        let p = decide(&listing, &known, &opts, now);
        let reasons =
            |items: &[PlanItem]| items.iter().map(|i| (i.number, i.reason.clone())).collect::<Vec<_>>();
        assert_eq!(reasons(&p.download), [(6, Reason::New)]);
        assert_eq!(reasons(&p.skip), [(4, Reason::TooLarge { limit_kb: 4 })]);
        assert_eq!(
            reasons(&p.delete),
            [(2, Reason::OlderThan { days: 7, age_days: 20 }), (3, Reason::DeletedLocally)]
        );
        assert_eq!(
            reasons(&p.keep),
            [
                (1, Reason::LeftOnServer { age_days: 1, delete_after_days: Some(7) }),
                (5, Reason::OnlyHeaderHere)
            ],
            "u1 is young, u5 is only a header here"
        );
        assert!(p.uidl);

        // Leave off: everything downloaded goes, new ones after their download; a partial
        // message stays (the server has the only full copy).
        let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
        let p = decide(&listing, &known, &opts, now);
        assert_eq!(p.download.len(), 2);
        assert_eq!(
            reasons(&p.delete),
            [
                (1, Reason::NotLeavingOnServer { after_download: false }),
                (2, Reason::NotLeavingOnServer { after_download: false }),
                (3, Reason::NotLeavingOnServer { after_download: false }),
                (4, Reason::NotLeavingOnServer { after_download: true }),
                (6, Reason::NotLeavingOnServer { after_download: true }),
            ]
        );
        assert_eq!(reasons(&p.keep), [(5, Reason::OnlyHeaderHere)]);

        // Headers only: new ones by TOP, nothing deleted after download.
        let opts = Pop3Options { headers_only: true, leave_on_server: false, ..Pop3Options::default() };
        let p = decide(&[listed(9, 10)], &HashMap::new(), &opts, now);
        assert_eq!(reasons(&p.download), [(9, Reason::NewHeadersOnly)]);
        assert!(p.delete.is_empty());
    }

    #[test]
    fn ids_shared_anywhere_in_uidl_leave_every_message_alone() {
        // Message 2 shares AAA with 1 and its LIST line could not be read; 3 is fine.
        let odd = vec![OddLine { command: "LIST", number: Some(2), line: "2 -5".into(), why: "bad".into() }];
        let uids = vec![(1, "AAA".to_string()), (2, "AAA".to_string()), (3, "CCC".to_string())];
        let (listed, odd) = join(vec![(1, 10), (3, 10)], Some(uids), odd);
        assert_eq!(listed, [listed_uid(3, "CCC")]);
        let numbers: Vec<Option<u32>> = odd.iter().map(|o| o.number).collect();
        assert_eq!(numbers, [Some(2), Some(1)]);
        assert!(odd[1].why.contains("messages 1, 2"), "{:?}", odd[1]);
        let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
        let mut p = decide(&listed, &HashMap::new(), &opts, SystemTime::now());
        p.add_odd(&odd);
        assert_eq!(p.delete.iter().map(|i| i.number).collect::<Vec<_>>(), [3], "only the unique one");
        assert_eq!(p.skip.len(), 2);
    }

    #[test]
    fn a_number_listed_twice_or_left_out_of_uidl_is_odd() {
        let uids = vec![(1, "A".to_string()), (2, "B".to_string()), (2, "C".to_string())];
        let (listed, odd) = join(vec![(1, 10), (1, 11), (2, 10), (3, 10)], Some(uids), Vec::new());
        assert!(listed.is_empty(), "{listed:?}");
        let whys: Vec<&str> = odd.iter().map(|o| o.why.as_str()).collect();
        assert_eq!(
            whys,
            [
                "LIST gives this message number more than once",
                "UIDL gives this message number more than one unique id",
                "UIDL does not list this message"
            ]
        );
        let (listed, odd) = join(vec![(1, 10)], None, Vec::new());
        assert_eq!((listed.len(), listed[0].uid.clone(), odd.len()), (1, None, 0));
    }

    #[test]
    fn sizes_past_the_limit_are_skipped_and_totals_saturate() {
        let listing = vec![listed(1, u64::MAX), listed(2, u64::MAX), listed(3, 10)];
        let p = decide(&listing, &HashMap::new(), &Pop3Options::default(), SystemTime::now());
        assert_eq!(p.server_bytes, u64::MAX);
        assert_eq!(p.download.iter().map(|i| i.number).collect::<Vec<_>>(), [3]);
        assert_eq!(p.skip[0].reason, Reason::OverLimit { limit: MAX_MESSAGE, sent: None });
        // A message that sent more than the limit before is skipped though LIST says 10.
        let mut row = seen("u3", 0, SeenState::Skipped, false);
        row.1.size = MAX_MESSAGE + 1;
        let known: HashMap<String, SeenUid> = [row].into_iter().collect();
        let p = decide(&listing[2..], &known, &Pop3Options::default(), SystemTime::now());
        assert!(p.download.is_empty());
        assert_eq!(p.skip[0].reason, Reason::OverLimit { limit: MAX_MESSAGE, sent: Some(MAX_MESSAGE + 1) });
    }

    #[test]
    fn odd_lines_take_their_message_out_of_every_list() {
        let opts = Pop3Options { leave_on_server: false, ..Pop3Options::default() };
        let mut p = decide(&[listed(1, 10), listed(2, 10)], &HashMap::new(), &opts, SystemTime::now());
        p.add_odd(&[
            OddLine { command: "LIST", number: Some(2), line: "2 -5".into(), why: "bad size".into() },
            OddLine { command: "UIDL", number: None, line: "x".into(), why: "no number".into() },
        ]);
        assert_eq!(p.download.iter().map(|i| i.number).collect::<Vec<_>>(), [1]);
        assert_eq!(p.delete.iter().map(|i| i.number).collect::<Vec<_>>(), [1]);
        assert_eq!(p.skip.iter().map(|i| i.number).collect::<Vec<_>>(), [2]);
        assert_eq!(p.unreadable.len(), 1);
    }

    #[test]
    fn a_skipped_message_is_looked_at_again() {
        let known: HashMap<String, SeenUid> =
            [seen("u1", 0, SeenState::Skipped, false)].into_iter().collect();
        let p = decide(&[listed(1, 5000)], &known, &Pop3Options::default(), SystemTime::now());
        assert_eq!(p.download.len(), 1, "no limit any more");
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""reason":"new""#), "{json}");
    }
}
