//! A recurrence rule in words: "every weekday until 22 July 2015", "every 2 weeks on Monday
//! and Thursday, 10 times", "every month on the last Friday".

use calcard::icalendar::{ICalendarDay, ICalendarFrequency, ICalendarRecurrenceRule, ICalendarWeekday};
use chrono::NaiveDate;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date as the card writes it: "22 July 2015".
pub fn date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// The rule in words; `until` is its UNTIL as a date in the person's zone.
pub fn recurrence(rule: &ICalendarRecurrenceRule, until: Option<NaiveDate>) -> String {
    let n = rule.interval.unwrap_or(1).max(1);
    let every = |one: &str, many: &str| {
        if n == 1 { format!("every {one}") } else { format!("every {n} {many}") }
    };
    let weekdays_only = is_weekdays(&rule.byday);
    let mut out = match rule.freq {
        ICalendarFrequency::Daily | ICalendarFrequency::Weekly if weekdays_only && n == 1 => {
            "every weekday".to_string()
        }
        ICalendarFrequency::Daily => every("day", "days"),
        ICalendarFrequency::Weekly => {
            let mut s = every("week", "weeks");
            if !rule.byday.is_empty() {
                let days: Vec<&str> = rule.byday.iter().map(|d| day_name(d.weekday)).collect();
                s.push_str(" on ");
                s.push_str(&list(&days));
            }
            s
        }
        ICalendarFrequency::Monthly => {
            let mut s = every("month", "months");
            if let Some(d) = rule.byday.first() {
                s.push_str(&format!(" on the {}", ordinal_day(d, rule.bysetpos.first().copied())));
            } else if let Some(&d) = rule.bymonthday.first() {
                if d < 0 {
                    s.push_str(" on the last day");
                } else {
                    s.push_str(&format!(" on day {d}"));
                }
            }
            s
        }
        ICalendarFrequency::Yearly => {
            let mut s = every("year", "years");
            let month = rule.bymonth.first().map(|m| m.month());
            match (month, rule.bymonthday.first(), rule.byday.first()) {
                (Some(m), Some(&d), _) if (1..=12).contains(&m) && d > 0 => {
                    s.push_str(&format!(" on {d} {}", MONTHS[usize::from(m - 1)]));
                }
                (Some(m), None, Some(d)) if (1..=12).contains(&m) => {
                    s.push_str(&format!(
                        " on the {} of {}",
                        ordinal_day(d, rule.bysetpos.first().copied()),
                        MONTHS[usize::from(m - 1)]
                    ));
                }
                _ => {}
            }
            s
        }
        ICalendarFrequency::Hourly => every("hour", "hours"),
        ICalendarFrequency::Minutely => every("minute", "minutes"),
        ICalendarFrequency::Secondly => every("second", "seconds"),
    };
    if let Some(until) = until {
        out.push_str(&format!(" until {}", date(until)));
    } else if let Some(count) = rule.count {
        out.push_str(&if count == 1 { ", once".to_string() } else { format!(", {count} times") });
    }
    out
}

fn is_weekdays(days: &[ICalendarDay]) -> bool {
    use ICalendarWeekday::*;
    let mut set: Vec<ICalendarWeekday> =
        days.iter().filter(|d| d.ordwk.is_none()).map(|d| d.weekday).collect();
    set.sort();
    set.dedup();
    days.len() == 5 && set == [Monday, Tuesday, Wednesday, Thursday, Friday]
}

/// "second Tuesday", "last Friday", "Monday".
fn ordinal_day(d: &ICalendarDay, setpos: Option<i32>) -> String {
    let nth = d.ordwk.map(i32::from).or(setpos);
    let name = day_name(d.weekday);
    match nth {
        Some(-1) => format!("last {name}"),
        Some(n @ 1..=5) => {
            format!("{} {name}", ["first", "second", "third", "fourth", "fifth"][n as usize - 1])
        }
        Some(n) if n < 0 => format!("{} from last {name}", -n),
        _ => name.to_string(),
    }
}

fn day_name(w: ICalendarWeekday) -> &'static str {
    match w {
        ICalendarWeekday::Monday => "Monday",
        ICalendarWeekday::Tuesday => "Tuesday",
        ICalendarWeekday::Wednesday => "Wednesday",
        ICalendarWeekday::Thursday => "Thursday",
        ICalendarWeekday::Friday => "Friday",
        ICalendarWeekday::Saturday => "Saturday",
        ICalendarWeekday::Sunday => "Sunday",
    }
}

/// "Monday", "Monday and Thursday", "Monday, Wednesday and Friday".
fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
