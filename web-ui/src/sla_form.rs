//! What the Service levels page reads from and writes to its text inputs, as plain functions (tested
//! natively): a day's opening hours (`08:00-12:00, 13:00-16:00`; empty: closed), promises as durations
//! (`4h`, `1d 4h`, `90m`) and holiday dates (`2026-12-25, 2027-01-01`). The server checks everything
//! again (docs/sla.md); these only turn what an admin typed into the wire shape, or say what is wrong.

use chrono::NaiveDate;

/// The weekday names, Monday first, as the calendar form labels them.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One day's intervals from `08:00-12:00, 13:00-16:00` (commas or spaces between them). Empty: closed.
pub fn parse_hours(text: &str) -> Result<Vec<String>, String> {
    text.split([',', ' ', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (from, to) = part
                .split_once('-')
                .ok_or_else(|| format!("“{part}” is not a time range such as 08:00-16:00"))?;
            let (from, to) = (clock(from.trim(), part)?, clock(to.trim(), part)?);
            Ok(format!("{from}-{to}"))
        })
        .collect()
}

/// `8:00` or `08:00` as `08:00`; `24:00` allowed as an end of day.
fn clock(text: &str, part: &str) -> Result<String, String> {
    let bad = || format!("“{part}” is not a time range such as 08:00-16:00");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m > 0) || text.len() > 5 {
        return Err(bad());
    }
    Ok(format!("{h:02}:{m:02}"))
}

/// A day's intervals as the form shows them.
pub fn hours_text(hours: &[String]) -> String {
    hours.join(", ")
}

/// Seconds from `4h`, `1d 4h`, `90m`, `45s` or a bare number of minutes; empty: no promise.
pub fn parse_duration(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || format!("“{text}” is not a duration such as 4h, 1d 4h or 90m");
    if let Ok(minutes) = text.parse::<i64>() {
        return (minutes > 0).then_some(Some(minutes * 60)).ok_or_else(bad);
    }
    let mut total = 0i64;
    let mut number = String::new();
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        total = total
            .checked_add(n.checked_mul(unit).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || total <= 0 {
        return Err(bad());
    }
    Ok(Some(total))
}

/// Seconds as the form shows them: `1d 4h`, `4h 30m`, `90s`; empty for none.
pub fn duration_text(secs: Option<i64>) -> String {
    let Some(secs) = secs else { return String::new() };
    let mut parts = Vec::new();
    let mut left = secs;
    for (unit, name) in [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")] {
        if left >= unit {
            parts.push(format!("{}{name}", left / unit));
            left %= unit;
        }
    }
    parts.join(" ")
}

/// Dates from `2026-12-25, 2027-01-01` (commas, spaces or new lines between them).
pub fn parse_holidays(text: &str) -> Result<Vec<NaiveDate>, String> {
    let mut dates: Vec<NaiveDate> = text
        .split([',', ' ', '\n', ';'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| format!("“{d}” is not a date such as 2026-12-25"))
        })
        .collect::<Result<_, _>>()?;
    dates.sort();
    dates.dedup();
    Ok(dates)
}

/// Holidays as the form shows them.
pub fn holidays_text(dates: &[NaiveDate]) -> String {
    dates.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
}

/// `80` (percent) as the share 0.8; only 1 to 99.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').trim().parse::<u32>() {
        Ok(p) if (1..=99).contains(&p) => Ok(f64::from(p) / 100.0),
        _ => Err("the warning is a percentage of the promise, 1 to 99".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_loosely_and_refuse_what_is_not_a_range() {
        assert_eq!(
            parse_hours("8:00-12:00, 13:00-16:30").unwrap(),
            ["08:00-12:00", "13:00-16:30"]
        );
        assert_eq!(parse_hours("22:00-06:00").unwrap(), ["22:00-06:00"]);
        assert_eq!(parse_hours("00:00-24:00").unwrap(), ["00:00-24:00"]);
        assert!(parse_hours("  ").unwrap().is_empty(), "empty: closed");
        for bad in [
            "8 to 4",
            "08:00",
            "25:00-26:00",
            "08:61-09:00",
            "24:30-01:00",
            "aa:bb-cc:dd",
        ] {
            assert!(parse_hours(bad).is_err(), "{bad}");
        }
        let round = parse_hours("08:00-12:00, 13:00-16:00").unwrap();
        assert_eq!(parse_hours(&hours_text(&round)).unwrap(), round);
    }

    #[test]
    fn durations_read_in_days_hours_minutes_and_round_trip() {
        assert_eq!(parse_duration("4h").unwrap(), Some(14_400));
        assert_eq!(parse_duration("1d 4h").unwrap(), Some(100_800));
        assert_eq!(parse_duration("90m").unwrap(), Some(5_400));
        assert_eq!(parse_duration("30").unwrap(), Some(1_800), "a bare number is minutes");
        assert_eq!(parse_duration("").unwrap(), None);
        for bad in ["0", "-5", "4x", "h", "4h 3", "0m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        for secs in [45, 5_400, 14_400, 100_800, 90_061] {
            assert_eq!(parse_duration(&duration_text(Some(secs))).unwrap(), Some(secs));
        }
        assert_eq!(duration_text(Some(100_800)), "1d 4h");
    }

    #[test]
    fn holidays_and_the_warning_share() {
        let dates = parse_holidays("2027-01-01, 2026-12-25\n2026-12-25").unwrap();
        assert_eq!(holidays_text(&dates), "2026-12-25, 2027-01-01");
        assert!(parse_holidays("25-12-2026").is_err());
        assert_eq!(parse_percent("80").unwrap(), 0.8);
        assert_eq!(parse_percent("75 %").unwrap(), 0.75);
        assert!(parse_percent("100").is_err() && parse_percent("0").is_err() && parse_percent("x").is_err());
    }
}
