//! A parsed query as SQL over the messages table (`m`): text terms become FTS5 queries on
//! `message_search` (quoted, so nothing typed is FTS syntax), the rest plain conditions on
//! indexed columns. Text terms that stand together (under AND, OR and NOT of each other)
//! go to the index as one FTS query.

use chrono::{Local, NaiveDate, TimeZone};
use rusqlite::types::Value;

use super::parse::{DateOp, Expr, Field, Flag, ParseError, Term, When};
use crate::store::{COLUMNS, MarkTerm, PlannedQuery, SearchFolder};

/// What the query's names and relative dates are resolved against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub folders: &'a [SearchFolder],
    /// Account names as people give them, with their config ids: (name, id).
    pub accounts: &'a [(String, String)],
    /// Unix seconds: what `7d` counts back from.
    pub now: i64,
}

/// Plans `expr`; fails (pointing at the term) when it names a folder or an account that is
/// not there.
pub fn plan(expr: &Expr, cx: &Context<'_>) -> Result<PlannedQuery, ParseError> {
    let mut b = Builder { cx, params: Vec::new() };
    let condition = b.sql(expr)?;
    let mut marks = Vec::new();
    positive_text(expr, false, &mut marks);
    Ok(PlannedQuery { condition, params: b.params, marks })
}

/// One text term as FTS5 syntax: a quoted phrase (quotes doubled), a `*` for a prefix, and
/// the columns it may match.
fn phrase(field: Field, text: &str, prefix: bool) -> String {
    let columns = match field {
        Field::Any => "",
        Field::From => "{from_name from_addr} : ",
        Field::To => "{to_addrs} : ",
        Field::Cc => "{cc_addrs} : ",
        Field::Subject => "{subject} : ",
        Field::Body => "{body_text} : ",
        Field::Filename => "{attachment_names} : ",
    };
    let star = if prefix { "*" } else { "" };
    format!("{columns}\"{}\"{star}", text.replace('"', "\"\""))
}

/// The text terms not under a NOT: the words snippets mark.
fn positive_text(e: &Expr, negated: bool, out: &mut Vec<MarkTerm>) {
    match e {
        Expr::Term(Term::Text { field, text, prefix }) if !negated => {
            out.push(MarkTerm::new(text, *prefix, columns(*field)));
        }
        Expr::Term(_) => {}
        Expr::Not(inner) => positive_text(inner, !negated, out),
        Expr::And(parts) | Expr::Or(parts) => parts.iter().for_each(|p| positive_text(p, negated, out)),
    }
}

/// The indexes into [`COLUMNS`] a field looks at; empty for all.
fn columns(field: Field) -> Vec<usize> {
    let name = match field {
        Field::Any => return Vec::new(),
        Field::From => "from",
        Field::To => "to",
        Field::Cc => "cc",
        Field::Subject => "subject",
        Field::Body => "body",
        Field::Filename => "filename",
    };
    COLUMNS.iter().enumerate().filter(|(_, (_, n))| *n == name).map(|(i, _)| i).collect()
}

/// The whole of `e` as one FTS5 query, when it is made of text terms only (FTS5 has no NOT
/// on its own, so a negation needs a positive term beside it).
fn fts(e: &Expr) -> Option<String> {
    match e {
        Expr::Term(Term::Text { field, text, prefix }) => Some(phrase(*field, text, *prefix)),
        Expr::Term(_) | Expr::Not(_) => None,
        Expr::Or(parts) => {
            let parts: Option<Vec<String>> = parts.iter().map(|p| fts(p).map(|q| format!("({q})"))).collect();
            Some(parts?.join(" OR "))
        }
        Expr::And(parts) => {
            let (pos, neg) = split_and(parts);
            if pos.len() + neg.len() != parts.len() || pos.is_empty() {
                return None;
            }
            Some(and_fts(&pos, &neg))
        }
    }
}

/// The children of an AND that FTS can take: positive ones, and negated ones.
fn split_and(parts: &[Expr]) -> (Vec<String>, Vec<String>) {
    let mut pos = Vec::new();
    let mut neg = Vec::new();
    for p in parts {
        match p {
            Expr::Not(inner) => {
                if let Some(q) = fts(inner) {
                    neg.push(q);
                }
            }
            p => {
                if let Some(q) = fts(p) {
                    pos.push(q);
                }
            }
        }
    }
    (pos, neg)
}

fn and_fts(pos: &[String], neg: &[String]) -> String {
    let mut q = pos.iter().map(|p| format!("({p})")).collect::<Vec<_>>().join(" AND ");
    for n in neg {
        q = format!("({q}) NOT ({n})");
    }
    q
}

struct Builder<'a, 'c> {
    cx: &'a Context<'c>,
    params: Vec<Value>,
}

impl Builder<'_, '_> {
    fn matching(&mut self, q: String) -> String {
        self.params.push(Value::Text(q));
        format!(
            "m.id IN (SELECT rowid FROM message_search WHERE message_search MATCH ?{})",
            self.params.len()
        )
    }

    fn sql(&mut self, e: &Expr) -> Result<String, ParseError> {
        if let Some(q) = fts(e) {
            return Ok(self.matching(q));
        }
        Ok(match e {
            Expr::And(parts) => {
                let (pos, neg) = split_and(parts);
                let mut out = Vec::new();
                // The text terms go to the index together; the rest are conditions beside it.
                if !pos.is_empty() {
                    let q = and_fts(&pos, &neg);
                    out.push(self.matching(q));
                }
                for p in parts {
                    let taken = match p {
                        Expr::Not(inner) => !pos.is_empty() && fts(inner).is_some(),
                        p => fts(p).is_some(),
                    };
                    if !taken {
                        out.push(self.sql(p)?);
                    }
                }
                out.join(" AND ")
            }
            Expr::Or(parts) => {
                let parts = parts.iter().map(|p| self.sql(p)).collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(" OR "))
            }
            Expr::Not(inner) => format!("NOT ({})", self.sql(inner)?),
            Expr::Term(t) => self.term(t)?,
        })
    }

    fn term(&mut self, t: &Term) -> Result<String, ParseError> {
        Ok(match t {
            Term::Text { field, text, prefix } => self.matching(phrase(*field, text, *prefix)),
            // Set from the header's guess, and from the body once it is indexed.
            Term::HasAttachment => "m.has_attachment = 1".into(),
            Term::Is(Flag::Unread) => "m.unread = 1".into(),
            Term::Is(Flag::Read) => "m.unread = 0".into(),
            Term::Is(Flag::Flagged) => "m.flagged = 1".into(),
            Term::Is(Flag::Answered) => "m.answered = 1".into(),
            Term::Larger(n) => format!("m.size > {n}"),
            Term::Smaller(n) => format!("m.size < {n}"),
            Term::Date(op, when) => {
                let (start, end) = span(*when, self.cx.now);
                match op {
                    DateOp::Before => format!("m.sort_date < {start}"),
                    DateOp::After => format!("m.sort_date >= {start}"),
                    DateOp::On => format!("(m.sort_date >= {start} AND m.sort_date < {end})"),
                }
            }
            Term::Folder { name, at } => {
                let ids: Vec<String> = self
                    .cx
                    .folders
                    .iter()
                    .filter(|f| {
                        f.display_name.eq_ignore_ascii_case(name)
                            || f.name.eq_ignore_ascii_case(name)
                            || f.role.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(name))
                    })
                    .map(|f| f.id.0.to_string())
                    .collect();
                if ids.is_empty() {
                    return Err(ParseError {
                        at: *at,
                        message: format!("folder: no folder is called \"{name}\""),
                    });
                }
                format!("m.folder IN ({})", ids.join(", "))
            }
            Term::Account { name, at } => {
                let keys: Vec<&str> = self
                    .cx
                    .accounts
                    .iter()
                    .filter(|(n, key)| n.eq_ignore_ascii_case(name) || key.eq_ignore_ascii_case(name))
                    .map(|(_, key)| key.as_str())
                    .collect();
                let ids: Vec<String> = self
                    .cx
                    .folders
                    .iter()
                    .filter(|f| {
                        f.account_key.eq_ignore_ascii_case(name) || keys.contains(&f.account_key.as_str())
                    })
                    .map(|f| f.id.0.to_string())
                    .collect();
                let known = !keys.is_empty()
                    || self.cx.folders.iter().any(|f| f.account_key.eq_ignore_ascii_case(name));
                if !known {
                    return Err(ParseError {
                        at: *at,
                        message: format!("account: no account is called \"{name}\""),
                    });
                }
                if ids.is_empty() { "0".into() } else { format!("m.folder IN ({})", ids.join(", ")) }
            }
        })
    }
}

/// The time span a date names, as Unix seconds [start, end): a calendar day, month or year
/// in local time; or from `n` days ago until now.
pub(super) fn span(when: When, now: i64) -> (i64, i64) {
    match when {
        When::DaysAgo(n) => (now - i64::from(n) * 86_400, now + 1),
        When::Calendar { year, month, day } => {
            let (m, d) = (month.max(1), day.max(1));
            let start = NaiveDate::from_ymd_opt(year, m, d);
            let end = match (month, day) {
                (0, _) => NaiveDate::from_ymd_opt(year + 1, 1, 1),
                (_, 0) if month == 12 => NaiveDate::from_ymd_opt(year + 1, 1, 1),
                (_, 0) => NaiveDate::from_ymd_opt(year, month + 1, 1),
                _ => start.and_then(|s| s.succ_opt()),
            };
            (midnight(start), midnight(end))
        }
    }
}

/// Local midnight of `day` as Unix seconds (the first valid instant of the day where a
/// clock change skips midnight).
fn midnight(day: Option<NaiveDate>) -> i64 {
    let Some(day) = day else { return i64::MAX };
    let Some(naive) = day.and_hms_opt(0, 0, 0) else { return i64::MAX };
    match Local.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.timestamp(),
        chrono::LocalResult::None => naive.and_utc().timestamp(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    fn plan_of(q: &str) -> PlannedQuery {
        let cx = Context { folders: &[], accounts: &[], now: 1_000_000 };
        plan(&parse(q).unwrap(), &cx).unwrap()
    }

    #[test]
    fn text_terms_together_are_one_fts_query_and_quoted() {
        let p = plan_of("budget -draft from:alice ");
        assert_eq!(p.params.len(), 1, "{p:?}");
        assert_eq!(
            p.params[0],
            Value::Text("((\"budget\") AND ({from_name from_addr} : \"alice\")) NOT (\"draft\")".into())
        );
        assert_eq!(
            p.marks,
            [MarkTerm::new("budget", false, vec![]), MarkTerm::new("alice", false, vec![1, 2])],
            "the negated word is not marked"
        );
        // FTS syntax typed in words stays inside a quoted phrase.
        let p = plan_of("{subject}:x* NEAR ");
        assert_eq!(p.params[0], Value::Text("(\"{subject}:x*\") AND (\"NEAR\")".into()), "{p:?}");
        assert_eq!(phrase(Field::Any, "a\"b", true), "\"a\"\"b\"*");
    }

    #[test]
    fn a_negation_alone_and_mixed_terms_are_conditions_beside_the_index() {
        let p = plan_of("-budget is:unread");
        assert_eq!(
            p.condition,
            "NOT (m.id IN (SELECT rowid FROM message_search WHERE message_search MATCH ?1)) AND m.unread = 1"
        );
        assert!(p.marks.is_empty());
        let p = plan_of("budget OR is:flagged");
        assert!(p.condition.contains(" OR m.flagged = 1)"), "{}", p.condition);
        assert_eq!(plan_of("before:7d").condition, format!("m.sort_date < {}", 1_000_000 - 7 * 86_400));
    }
}
