//! How list and reader values read: dates, sizes, senders.
//!
//! Dates are shown in UTC for now: the app has no time-zone database yet (see the report to
//! the lead); the reader says "UTC" so nobody is misled.

use tidings_mail::store::{MessageRow, Summary};

/// "2024-10-01 10:00" (UTC), or "—" without a date.
pub fn date(unix: Option<i64>) -> String {
    let Some(unix) = unix.filter(|&t| t > 0) else { return "—".to_string() };
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = tidings_mail::civil::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// "812 B", "4 KB", "1.2 MB".
pub fn size(bytes: u64) -> String {
    match bytes {
        0..1000 => format!("{bytes} B"),
        1000..1_000_000 => format!("{} KB", bytes.div_ceil(1000)),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// "100,000": thousands grouped, as people read counts.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The status line's "1 message, 0 unread", "2,500 messages, 12 unread".
pub fn counts(total: u64, unread: u64) -> String {
    let noun = if total == 1 { "message" } else { "messages" };
    format!("{} {noun}, {} unread", count(total), count(unread))
}

/// The sender as the list shows it: the name, else the address.
pub fn sender(summary: &Summary) -> String {
    match (summary.from_name.as_deref(), summary.from_addr.as_deref()) {
        (Some(name), _) if !name.trim().is_empty() => name.to_string(),
        (_, Some(addr)) => addr.to_string(),
        _ => "(no sender)".to_string(),
    }
}

/// "Name <addr>" for the reader's From line.
pub fn from_line(summary: &Summary) -> String {
    match (summary.from_name.as_deref(), summary.from_addr.as_deref()) {
        (Some(name), Some(addr)) if !name.trim().is_empty() => format!("{name} <{addr}>"),
        (_, Some(addr)) => addr.to_string(),
        (Some(name), None) => name.to_string(),
        (None, None) => "(no sender)".to_string(),
    }
}

pub fn subject(summary: &Summary) -> &str {
    summary.subject.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or("(no subject)")
}

/// The date a row is sorted and shown by.
pub fn row_date(row: &MessageRow) -> String {
    date(Some(row.sort_date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_sizes_read_well() {
        assert_eq!(date(Some(1_727_776_800)), "2024-10-01 10:00");
        assert_eq!(date(Some(951_782_400)), "2000-02-29 00:00");
        assert_eq!(date(None), "—");
        assert_eq!(size(812), "812 B");
        assert_eq!(size(4_001), "5 KB");
        assert_eq!(size(1_234_567), "1.2 MB");
        assert_eq!(
            (count(0), count(999), count(1000), count(100_000)),
            ("0".into(), "999".into(), "1,000".into(), "100,000".into())
        );
    }

    #[test]
    fn one_message_is_not_plural() {
        assert_eq!(counts(1, 0), "1 message, 0 unread");
        assert_eq!(counts(0, 0), "0 messages, 0 unread");
        assert_eq!(counts(2_500, 12), "2,500 messages, 12 unread");
    }
}
