//! The query language, read into a tree. Bare words and "phrases", `field:value` terms,
//! `OR`, `-` (or `NOT`) for not, parentheses; terms side by side must all match. Every
//! error names the character position (1 for the first) and what was expected there.

use crate::limits;

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

/// Where a text term looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Every indexed field.
    Any,
    From,
    To,
    Cc,
    Subject,
    Body,
    Filename,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Unread,
    Read,
    Flagged,
    Answered,
}

/// A point in time as the query gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// A calendar day, month (`day` 0) or year (`month` and `day` 0), in local time.
    Calendar { year: i32, month: u32, day: u32 },
    /// So many days back from now (`7d`, `2w` = 14, `3m` = 90, `1y` = 365).
    DaysAgo(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOp {
    Before,
    After,
    On,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Text {
        field: Field,
        /// As typed (a phrase without its quotes).
        text: String,
        /// The last word of a query still being typed: matches words starting with it.
        prefix: bool,
    },
    HasAttachment,
    Is(Flag),
    Date(DateOp, When),
    /// The name as typed; `at` is its position, for an error when no folder has it.
    Folder {
        name: String,
        at: usize,
    },
    Account {
        name: String,
        at: usize,
    },
    Larger(u64),
    Smaller(u64),
}

/// What is wrong with a query, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based character position.
    pub at: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at {})", self.message, self.at)
    }
}

impl std::error::Error for ParseError {}

fn error(at: usize, message: impl Into<String>) -> ParseError {
    ParseError { at, message: message.into() }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Or,
    And,
    Not,
    /// A word or a phrase, maybe after `field:`.
    Word {
        field: Option<String>,
        text: String,
        quoted: bool,
        ends_input: bool,
    },
}

/// Splits the query into tokens with their 1-based positions.
fn lex(query: &str) -> Vec<(usize, Tok)> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let at = i + 1;
        match c {
            '(' => {
                out.push((at, Tok::Open));
                i += 1;
                continue;
            }
            ')' => {
                out.push((at, Tok::Close));
                i += 1;
                continue;
            }
            '-' if chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) => {
                out.push((at, Tok::Not));
                i += 1;
                continue;
            }
            _ => {}
        }
        // A word, or field:value where value may be a phrase.
        let mut field = None;
        let start = i;
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i > start && chars.get(i) == Some(&':') {
            field = Some(chars[start..i].iter().collect::<String>().to_ascii_lowercase());
            i += 1;
        } else {
            i = start;
        }
        let (text, quoted) = if chars.get(i) == Some(&'"') {
            // A phrase; one left open runs to the end (the person is still typing it).
            i += 1;
            let from = i;
            while i < chars.len() && chars[i] != '"' {
                i += 1;
            }
            let text: String = chars[from..i].iter().collect();
            i = (i + 1).min(chars.len());
            (text, true)
        } else {
            let from = i;
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
                i += 1;
            }
            (chars[from..i].iter().collect(), false)
        };
        let ends_input = i == chars.len();
        let tok = match (&field, quoted, text.as_str()) {
            (None, false, "OR") => Tok::Or,
            (None, false, "AND") => Tok::And,
            (None, false, "NOT") => Tok::Not,
            _ => Tok::Word { field, text, quoted, ends_input },
        };
        out.push((at, tok));
    }
    out
}

/// Reads a query. An empty one, or one with nothing to search for, is an error too.
pub fn parse(query: &str) -> Result<Expr, ParseError> {
    if query.chars().count() > limits::MAX_QUERY_CHARS {
        return Err(error(
            limits::MAX_QUERY_CHARS + 1,
            format!("the query is too long (at most {} characters)", limits::MAX_QUERY_CHARS),
        ));
    }
    let toks = lex(query);
    let past = toks.iter().filter(|(_, t)| matches!(t, Tok::Word { .. })).nth(limits::MAX_QUERY_TERMS);
    if let Some((at, _)) = past {
        return Err(error(
            *at,
            format!("the query has too many terms (at most {})", limits::MAX_QUERY_TERMS),
        ));
    }
    let end = query.chars().count() + 1;
    let mut p = Parser { toks, pos: 0, end };
    let expr = p.or()?;
    if let Some((at, tok)) = p.toks.get(p.pos) {
        return Err(match tok {
            Tok::Close => error(*at, "a ')' without its '('"),
            _ => error(*at, "expected a term here"),
        });
    }
    match expr {
        Some(e) => Ok(e),
        None => Err(error(
            1,
            "the query has nothing to search for: type words, \"a phrase\" or from:, subject:, is:unread…",
        )),
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(a, _)| *a)
    }

    /// or := and ("OR" and)*. `None` when the terms were all empty words.
    fn or(&mut self) -> Result<Option<Expr>, ParseError> {
        let mut parts = Vec::new();
        let first_at = self.at();
        if self.peek() == Some(&Tok::Or) {
            return Err(error(first_at, "OR needs a term on each side"));
        }
        parts.extend(self.and()?);
        while self.peek() == Some(&Tok::Or) {
            let at = self.at();
            self.pos += 1;
            match self.and()? {
                Some(e) => parts.push(e),
                None => return Err(error(at, "OR needs a term on each side")),
            }
            if parts.len() == 1 {
                return Err(error(at, "OR needs a term on each side"));
            }
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Expr::Or(parts)),
        })
    }

    /// and := unary+ (side by side, or with AND between).
    fn and(&mut self) -> Result<Option<Expr>, ParseError> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::Or | Tok::Close) => break,
                Some(Tok::And) => {
                    let at = self.at();
                    self.pos += 1;
                    if parts.is_empty() || matches!(self.peek(), None | Some(Tok::Or | Tok::Close | Tok::And))
                    {
                        return Err(error(at, "AND needs a term on each side"));
                    }
                }
                _ => parts.extend(self.unary()?),
            }
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Expr::And(parts)),
        })
    }

    fn unary(&mut self) -> Result<Option<Expr>, ParseError> {
        if self.peek() == Some(&Tok::Not) {
            let at = self.at();
            self.pos += 1;
            if matches!(self.peek(), None | Some(Tok::Or | Tok::Close | Tok::And)) {
                return Err(error(at, "- (or NOT) needs a term after it"));
            }
            return Ok(self.unary()?.map(|e| Expr::Not(Box::new(e))));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Option<Expr>, ParseError> {
        let Some((at, tok)) = self.toks.get(self.pos).cloned() else {
            return Ok(None);
        };
        self.pos += 1;
        match tok {
            Tok::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(error(at, "a '(' is not closed: add ')'"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Tok::Word { field, text, quoted, ends_input } => term(at, field, text, quoted, ends_input),
            Tok::Close => Err(error(at, "a ')' without its '('")),
            Tok::Or | Tok::And | Tok::Not => Err(error(at, "expected a term here")),
        }
    }
}

/// Whether a word has anything the index keeps (letters or digits).
fn searchable(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

fn term(
    at: usize,
    field: Option<String>,
    text: String,
    quoted: bool,
    ends_input: bool,
) -> Result<Option<Expr>, ParseError> {
    // The last word still being typed matches words that start with it; a phrase, or a word
    // of one letter (it would match nearly everything), does not.
    let prefix = ends_input && !quoted && text.chars().count() >= 2;
    let value_at = at + field.as_ref().map_or(0, |f| f.chars().count() + 1);
    let text_term = |field: Field, text: String| -> Result<Option<Expr>, ParseError> {
        if !searchable(&text) {
            return Ok(None);
        }
        Ok(Some(Expr::Term(Term::Text { field, text, prefix })))
    };
    let Some(name) = field else {
        return text_term(Field::Any, text);
    };
    let needs = |what: &str| -> Result<Option<Expr>, ParseError> {
        Err(error(value_at, format!("{name}: needs {what}")))
    };
    let field = match name.as_str() {
        "from" => Field::From,
        "to" => Field::To,
        "cc" => Field::Cc,
        "subject" => Field::Subject,
        "body" => Field::Body,
        "filename" => Field::Filename,
        "has" => {
            return match text.to_ascii_lowercase().as_str() {
                "attachment" | "attachments" => Ok(Some(Expr::Term(Term::HasAttachment))),
                _ => needs("attachment (has:attachment)"),
            };
        }
        "is" => {
            let flag = match text.to_ascii_lowercase().as_str() {
                "unread" => Flag::Unread,
                "read" => Flag::Read,
                "flagged" | "starred" => Flag::Flagged,
                "answered" | "replied" => Flag::Answered,
                _ => return needs("unread, read, flagged or answered"),
            };
            return Ok(Some(Expr::Term(Term::Is(flag))));
        }
        "before" | "after" | "date" => {
            let op = match name.as_str() {
                "before" => DateOp::Before,
                "after" => DateOp::After,
                _ => DateOp::On,
            };
            return match when(&text) {
                Some(w) => Ok(Some(Expr::Term(Term::Date(op, w)))),
                None => needs("a date like 2024-05-01 or 7d"),
            };
        }
        "larger" | "smaller" => {
            return match size(&text) {
                Some(n) if name == "larger" => Ok(Some(Expr::Term(Term::Larger(n)))),
                Some(n) => Ok(Some(Expr::Term(Term::Smaller(n)))),
                None => needs("a size like 10k or 2M"),
            };
        }
        "folder" | "in" => {
            if text.is_empty() {
                return needs("a folder name");
            }
            return Ok(Some(Expr::Term(Term::Folder { name: text, at: value_at })));
        }
        "account" => {
            if text.is_empty() {
                return needs("an account name");
            }
            return Ok(Some(Expr::Term(Term::Account { name: text, at: value_at })));
        }
        // Not one of ours (a URL, "Re:", a time like 10:30): the whole token is text.
        _ => return text_term(Field::Any, format!("{name}:{text}")),
    };
    if text.is_empty() {
        return needs("a word or a \"phrase\"");
    }
    text_term(field, text)
}

/// `2024-05-01`, `2024-05`, `2024`; or `7d`, `2w`, `3m`, `1y` ago.
fn when(text: &str) -> Option<When> {
    let t = text.trim();
    if let Some(unit) = t.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        let n: u32 = t[..t.len() - 1].parse().ok()?;
        let days = match unit.to_ascii_lowercase() {
            'd' => 1,
            'w' => 7,
            'm' => 30,
            'y' => 365,
            _ => return None,
        };
        return n.checked_mul(days).filter(|d| *d <= 365 * 1000).map(When::DaysAgo);
    }
    let mut parts = t.split('-');
    let year: i32 = parts.next()?.parse().ok().filter(|y| (1000..=9999).contains(y))?;
    let month: u32 = match parts.next() {
        Some(m) => m.parse().ok().filter(|m| (1..=12).contains(m))?,
        None => 0,
    };
    let day: u32 = match parts.next() {
        Some(d) if month > 0 => d.parse().ok().filter(|d| (1..=31).contains(d))?,
        Some(_) => return None,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    if day > 0 && chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() {
        return None;
    }
    Some(When::Calendar { year, month, day })
}

/// `500`, `10k`, `2M`, `1G` (binary multiples) in bytes.
fn size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, mult) = match t.chars().last()?.to_ascii_lowercase() {
        'k' => (&t[..t.len() - 1], 1024),
        'm' => (&t[..t.len() - 1], 1024 * 1024),
        'g' => (&t[..t.len() - 1], 1024 * 1024 * 1024),
        'b' => (&t[..t.len() - 1], 1),
        _ => (t, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(field: Field, t: &str, prefix: bool) -> Expr {
        Expr::Term(Term::Text { field, text: t.into(), prefix })
    }

    #[test]
    fn words_side_by_side_must_all_match_and_the_last_is_a_prefix() {
        assert_eq!(
            parse("budget meeting").unwrap(),
            Expr::And(vec![text(Field::Any, "budget", false), text(Field::Any, "meeting", true)])
        );
        // Typed on: a space after the last word ends it.
        assert_eq!(parse("meet ").unwrap(), text(Field::Any, "meet", false));
        // A phrase is never a prefix; nor is one letter.
        assert_eq!(parse("\"quarterly report\"").unwrap(), text(Field::Any, "quarterly report", false));
        assert_eq!(parse("x").unwrap(), text(Field::Any, "x", false));
    }

    #[test]
    fn fields_or_not_and_parentheses() {
        let q = parse("from:alice (subject:\"q3 plan\" OR -is:read) has:attachment larger:10k ").unwrap();
        assert_eq!(
            q,
            Expr::And(vec![
                text(Field::From, "alice", false),
                Expr::Or(vec![
                    text(Field::Subject, "q3 plan", false),
                    Expr::Not(Box::new(Expr::Term(Term::Is(Flag::Read)))),
                ]),
                Expr::Term(Term::HasAttachment),
                Expr::Term(Term::Larger(10 * 1024)),
            ])
        );
        assert_eq!(parse("NOT spam ").unwrap(), Expr::Not(Box::new(text(Field::Any, "spam", false))));
        assert_eq!(parse("smaller:2M").unwrap(), Expr::Term(Term::Smaller(2 * 1024 * 1024)));
        assert_eq!(
            parse("after:2024-05-01 before:7d date:2024-05").unwrap(),
            Expr::And(vec![
                Expr::Term(Term::Date(DateOp::After, When::Calendar { year: 2024, month: 5, day: 1 })),
                Expr::Term(Term::Date(DateOp::Before, When::DaysAgo(7))),
                Expr::Term(Term::Date(DateOp::On, When::Calendar { year: 2024, month: 5, day: 0 })),
            ])
        );
        assert_eq!(parse("after:2w").unwrap(), Expr::Term(Term::Date(DateOp::After, When::DaysAgo(14))));
        assert_eq!(parse("before:1y").unwrap(), Expr::Term(Term::Date(DateOp::Before, When::DaysAgo(365))));
        assert_eq!(parse("date:3m").unwrap(), Expr::Term(Term::Date(DateOp::On, When::DaysAgo(90))));
        assert_eq!(
            parse("folder:Archive account:work").unwrap(),
            Expr::And(vec![
                Expr::Term(Term::Folder { name: "Archive".into(), at: 8 }),
                Expr::Term(Term::Account { name: "work".into(), at: 24 }),
            ])
        );
    }

    #[test]
    fn errors_say_where_and_what_was_expected() {
        let e = parse("budget after:yesterday").unwrap_err();
        assert_eq!(e.to_string(), "after: needs a date like 2024-05-01 or 7d (at 14)");
        assert_eq!(
            parse("is:maybe").unwrap_err().to_string(),
            "is: needs unread, read, flagged or answered (at 4)"
        );
        assert_eq!(parse("larger:big").unwrap_err().at, 8);
        assert_eq!(parse("has:pdf").unwrap_err().at, 5);
        assert_eq!(parse("from: bob").unwrap_err().to_string(), "from: needs a word or a \"phrase\" (at 6)");
        assert_eq!(parse("(a b").unwrap_err().to_string(), "a '(' is not closed: add ')' (at 1)");
        assert_eq!(parse("a b)").unwrap_err().to_string(), "a ')' without its '(' (at 4)");
        assert_eq!(parse("OR a").unwrap_err().at, 1);
        assert_eq!(parse("a OR").unwrap_err().to_string(), "OR needs a term on each side (at 3)");
        // A dash alone is no term: nothing to negate, nothing to find.
        assert_eq!(parse("a - ").unwrap(), text(Field::Any, "a", false));
        assert_eq!(parse("a AND").unwrap_err().to_string(), "AND needs a term on each side (at 3)");
        assert_eq!(parse("date:2024-02-30").unwrap_err().at, 6);
        assert!(parse("").unwrap_err().message.contains("nothing to search for"));
        assert!(parse("   ").is_err());
        let long = "a ".repeat(limits::MAX_QUERY_CHARS);
        assert!(parse(&long).unwrap_err().message.contains("too long"));
        let many = "ab ".repeat(limits::MAX_QUERY_TERMS + 1);
        assert!(parse(&many).unwrap_err().message.contains("too many terms"));
    }

    #[test]
    fn fts_syntax_in_input_is_text_or_a_pointed_error() {
        // A lone quote, a star, NEAR(: nothing that reaches SQLite unescaped.
        assert!(parse("\"").unwrap_err().message.contains("nothing to search for"));
        assert!(parse("*").is_err());
        assert_eq!(parse("NEAR(").unwrap_err().at, 5);
        assert_eq!(parse("a* ").unwrap(), text(Field::Any, "a*", false));
        assert_eq!(parse("\"half open").unwrap(), text(Field::Any, "half open", false));
        // Unknown fields and colons in words are text.
        assert_eq!(parse("http://x.test ").unwrap(), text(Field::Any, "http://x.test", false));
        assert_eq!(parse("re:budget ").unwrap(), text(Field::Any, "re:budget", false));
    }
}
