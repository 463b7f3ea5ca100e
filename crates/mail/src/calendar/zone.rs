//! Time zones: the person's own, and an event's. calcard knows the IANA names and Outlook's
//! Windows names ("W. Europe Standard Time"); a VTIMEZONE under a name of its own (Outlook's
//! "Customized Time Zone") is read here from its STANDARD and DAYLIGHT rules.

use std::str::FromStr;

use calcard::common::timezone::Tz;
use calcard::icalendar::{
    ICalendar, ICalendarComponentType, ICalendarProperty, ICalendarValue, ICalendarWeekday,
};
use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Weekday};

use crate::limits::MAX_ZONE_RULES;

/// The person's time zone: `TZ` (a zone name, `:Europe/Berlin` too), else the zone
/// `/etc/localtime` points to, else `/etc/timezone`, else UTC.
pub fn local() -> chrono_tz::Tz {
    let named = |s: &str| chrono_tz::Tz::from_str(s.trim().trim_start_matches(':')).ok();
    if let Some(tz) = std::env::var("TZ").ok().as_deref().and_then(named) {
        return tz;
    }
    if let Ok(target) = std::fs::read_link("/etc/localtime") {
        let target = target.to_string_lossy();
        if let Some((_, name)) = target.split_once("zoneinfo/")
            && let Some(tz) = named(name)
        {
            return tz;
        }
    }
    std::fs::read_to_string("/etc/timezone").ok().as_deref().and_then(named).unwrap_or(chrono_tz::UTC)
}

/// The zone an event's time is in, by its TZID: a VTIMEZONE of the calendar that calcard
/// resolves (its name, X-LIC-LOCATION, X-MICROSOFT-CDO-TZID), a known name, else the
/// calendar's own rules for that name at `local`.
pub(super) fn event_zone(cal: &ICalendar, tzid: &str, local: NaiveDateTime) -> Option<Tz> {
    if let Some(tz) = cal.build_tz_resolver().resolve(tzid) {
        return Some(tz);
    }
    custom_offset(cal, tzid, local).map(Tz::Fixed)
}

/// A date-time in the event's zone as an instant, for a time that is local in `tz`. A time
/// that does not exist (skipped by a clock change) moves forward an hour; one that exists
/// twice takes the first.
pub(super) fn instant(tz: Tz, local: NaiveDateTime) -> Option<chrono::DateTime<Tz>> {
    let found = tz.from_local_datetime(&local);
    found.earliest().or_else(|| tz.from_local_datetime(&(local + chrono::TimeDelta::hours(1))).earliest())
}

/// The UTC offset a VTIMEZONE named `tzid` gives at `local`: the rule (STANDARD or DAYLIGHT)
/// whose onset came last before it.
fn custom_offset(cal: &ICalendar, tzid: &str, local: NaiveDateTime) -> Option<FixedOffset> {
    let zone = cal.components.iter().find(|c| {
        c.component_type == ICalendarComponentType::VTimezone
            && c.property(&ICalendarProperty::Tzid)
                .and_then(|e| e.values.first())
                .and_then(ICalendarValue::as_text)
                .is_some_and(|t| t == tzid)
    })?;
    let mut best: Option<(NaiveDateTime, FixedOffset)> = None;
    let mut fallback = None;
    for &id in zone.component_ids.iter().take(MAX_ZONE_RULES) {
        let Some(rule) = cal.components.get(id as usize) else { continue };
        if !matches!(rule.component_type, ICalendarComponentType::Standard | ICalendarComponentType::Daylight)
        {
            continue;
        }
        let Some(offset) = rule_offset(rule.property(&ICalendarProperty::Tzoffsetto)) else { continue };
        if fallback.is_none() || rule.component_type == ICalendarComponentType::Standard {
            fallback = Some(offset);
        }
        let Some(start) = rule
            .property(&ICalendarProperty::Dtstart)
            .and_then(|e| e.values.first())
            .and_then(ICalendarValue::as_partial_date_time)
            .and_then(|d| d.to_date_time())
            .map(|d| d.date_time)
        else {
            continue;
        };
        let yearly =
            rule.property(&ICalendarProperty::Rrule).and_then(|e| e.values.first()).and_then(|v| match v {
                ICalendarValue::RecurrenceRule(r) => Some(r),
                _ => None,
            });
        // This year's onset and last year's: the latest one not after `local` rules.
        let onsets: Vec<NaiveDateTime> = match yearly {
            Some(r) => [local.year(), local.year() - 1]
                .into_iter()
                .filter(|y| *y >= start.year())
                .filter_map(|y| {
                    let month = r.bymonth.first().map(|m| u32::from(m.month())).unwrap_or(start.month());
                    let day = match (r.byday.first(), r.bymonthday.first()) {
                        (Some(d), _) => nth_weekday(y, month, d.ordwk.unwrap_or(1), d.weekday)?,
                        (None, Some(&md)) if md > 0 => NaiveDate::from_ymd_opt(y, month, md as u32)?,
                        _ => NaiveDate::from_ymd_opt(y, month, start.day())?,
                    };
                    Some(day.and_time(start.time()))
                })
                .collect(),
            None => vec![start],
        };
        for onset in onsets.into_iter().filter(|o| *o <= local) {
            if best.is_none_or(|(b, _)| onset > b) {
                best = Some((onset, offset));
            }
        }
    }
    best.map(|(_, o)| o).or(fallback)
}

fn rule_offset(entry: Option<&calcard::icalendar::ICalendarEntry>) -> Option<FixedOffset> {
    let d = entry?.values.first()?.as_partial_date_time()?;
    let seconds = i32::from(d.tz_hour?) * 3600 + i32::from(d.tz_minute.unwrap_or(0)) * 60;
    FixedOffset::east_opt(if d.tz_minus { -seconds } else { seconds })
}

/// The `nth` `weekday` of a month (negative: from the end; -1 is the last).
fn nth_weekday(year: i32, month: u32, nth: i16, weekday: ICalendarWeekday) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| d.month() == month)
        .filter(|d| d.weekday() == chrono_weekday(weekday))
        .collect();
    if nth < 0 {
        days.len().checked_sub(usize::from(nth.unsigned_abs())).and_then(|i| days.get(i)).copied()
    } else {
        days.get(usize::from(nth.unsigned_abs()).saturating_sub(1)).copied()
    }
}

pub(super) fn chrono_weekday(w: ICalendarWeekday) -> Weekday {
    match w {
        ICalendarWeekday::Monday => Weekday::Mon,
        ICalendarWeekday::Tuesday => Weekday::Tue,
        ICalendarWeekday::Wednesday => Weekday::Wed,
        ICalendarWeekday::Thursday => Weekday::Thu,
        ICalendarWeekday::Friday => Weekday::Fri,
        ICalendarWeekday::Saturday => Weekday::Sat,
        ICalendarWeekday::Sunday => Weekday::Sun,
    }
}
