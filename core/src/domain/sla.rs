//! Service levels as plain code: business time on a calendar (weekly opening hours in a time zone, with
//! holidays) and the SLA clocks that run on it, pausing while a ticket waits and stopping when it is met.
//!
//! Rules, as docs/sla.md explains them:
//! - Opening hours are intervals per weekday in the calendar's zone. An interval whose end is not after
//!   its start runs overnight into the next day (`22:00-06:00`); `00:00-24:00` is the whole day.
//! - A holiday closes every interval that *starts* on that date (an overnight shift starting the evening
//!   before a holiday still runs into it).
//! - Local times that do not exist (the hour skipped when clocks go forward) move forward to the first
//!   time that exists; local times that happen twice (clocks going back) take the earlier instant.
//! - A clock counts business seconds while it runs, and only while it runs. It runs while the ticket is in
//!   a status of kind initial or active, pauses in a status of kind waiting, and is met (stops for good,
//!   unless a reopening restarts the resolution clock) by the event it measures.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use loket_protocol::lifecycle::StatusKind;
pub use loket_protocol::sla::SlaTarget as Target;
use serde::{Deserialize, Serialize};

/// How far ahead [`Calendar::add`] looks for enough opening hours before giving up: ten years.
const HORIZON_DAYS: i64 = 3660;

/// Why a calendar cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?}: use an IANA name such as Asia/Jakarta")]
    UnknownZone(String),
    #[error("opening hours {0:?} are not HH:MM-HH:MM")]
    BadInterval(String),
    #[error("the calendar has no opening hours at all")]
    NeverOpen,
}

/// One opening interval on a weekday, in minutes after local midnight. `end` may exceed 1440 (overnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interval {
    start: u32,
    end: u32,
}

/// A calendar as it is stored and sent: a zone name, hours per weekday (Monday first) as `"HH:MM-HH:MM"`
/// strings, and holiday dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpec {
    pub tz: String,
    /// Seven lists, Monday to Sunday.
    pub hours: Vec<Vec<String>>,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

/// Opening hours in a time zone, with holidays: what business time is measured on.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    /// Monday first.
    week: [Vec<Interval>; 7],
    holidays: BTreeSet<NaiveDate>,
}

fn parse_hhmm(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

fn parse_interval(text: &str) -> Result<Interval, CalendarError> {
    let bad = || CalendarError::BadInterval(text.to_owned());
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let (start, end) = (parse_hhmm(a).ok_or_else(bad)?, parse_hhmm(b).ok_or_else(bad)?);
    if start >= 1440 {
        return Err(bad());
    }
    // An end not after the start runs into the next day.
    let end = if end <= start { end + 1440 } else { end };
    Ok(Interval { start, end })
}

impl Calendar {
    /// Every hour of every day in UTC: what a policy without a calendar measures on.
    pub fn always() -> Calendar {
        let day = vec![Interval { start: 0, end: 1440 }];
        Calendar {
            tz: Tz::UTC,
            week: std::array::from_fn(|_| day.clone()),
            holidays: BTreeSet::new(),
        }
    }

    pub fn from_spec(spec: &CalendarSpec) -> Result<Calendar, CalendarError> {
        let tz: Tz = spec
            .tz
            .parse()
            .map_err(|_| CalendarError::UnknownZone(spec.tz.clone()))?;
        let mut week: [Vec<Interval>; 7] = Default::default();
        for (day, hours) in spec.hours.iter().take(7).enumerate() {
            let mut intervals = hours.iter().map(|h| parse_interval(h)).collect::<Result<Vec<_>, _>>()?;
            intervals.sort_by_key(|i| i.start);
            week[day] = intervals;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError::NeverOpen);
        }
        Ok(Calendar {
            tz,
            week,
            holidays: spec.holidays.iter().copied().collect(),
        })
    }

    pub fn zone(&self) -> Tz {
        self.tz
    }

    /// The instant a local time names: the earlier one when it happens twice, the first existing time
    /// after it when it falls in a gap.
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let mut probe = local;
        // Gaps are at most a few hours (usually one); step forward by minutes until time exists again.
        for _ in 0..(24 * 60) {
            if let Some(t) = self.tz.from_local_datetime(&probe).earliest() {
                return t.with_timezone(&Utc);
            }
            probe += Duration::minutes(1);
        }
        // Unreachable for real zones; read the wall time as UTC rather than panic.
        Utc.from_utc_datetime(&local)
    }

    /// The open windows, in UTC and in order, of intervals starting on local dates from `first` on. Windows
    /// never overlap (a later one is clipped to start where the earlier ended).
    fn windows(&self, first: NaiveDate) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let mut open_until: Option<DateTime<Utc>> = None;
        (0..HORIZON_DAYS)
            .map(move |n| first + Duration::days(n))
            .filter(|date| !self.holidays.contains(date))
            .flat_map(move |date| {
                let weekday = date.weekday().num_days_from_monday() as usize;
                self.week[weekday].iter().map(move |i| {
                    let midnight = date.and_time(NaiveTime::MIN);
                    let start = self.instant(midnight + Duration::minutes(i64::from(i.start)));
                    let end = self.instant(midnight + Duration::minutes(i64::from(i.end)));
                    (start, end)
                })
            })
            .filter_map(move |(start, end)| {
                let start = open_until.map_or(start, |u| start.max(u));
                if end <= start {
                    return None;
                }
                open_until = Some(end);
                Some((start, end))
            })
    }

    /// The local date to start scanning windows from so that none covering `at` is missed: the day before
    /// (an overnight interval of the previous day may still be open).
    fn scan_from(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive() - Duration::days(1)
    }

    /// The instant `secs` business seconds after `from`. `secs <= 0` answers `from`. `None` when the
    /// calendar is not open long enough within ten years.
    pub fn add(&self, from: DateTime<Utc>, secs: i64) -> Option<DateTime<Utc>> {
        if secs <= 0 {
            return Some(from);
        }
        let mut left = secs;
        for (start, end) in self.windows(self.scan_from(from)) {
            if end <= from {
                continue;
            }
            let start = start.max(from);
            let open = (end - start).num_seconds();
            if left <= open {
                return Some(start + Duration::seconds(left));
            }
            left -= open;
        }
        None
    }

    /// Business seconds from `from` to `to` (zero when `to` is not after `from`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        for (start, end) in self.windows(self.scan_from(from)) {
            if start >= to {
                break;
            }
            if end <= from {
                continue;
            }
            total += (end.min(to) - start.max(from)).num_seconds();
        }
        total
    }
}

/// One SLA clock as stored: business seconds used so far, since when it runs (absent while paused or
/// met), when it was met, and the derived instants the sweep watches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Clock {
    /// The promise, in business seconds.
    pub target_secs: i64,
    /// Warn when this many business seconds are used (a share of the target).
    pub warn_secs: i64,
    /// Business seconds used before `running_since`.
    pub used_secs: i64,
    pub running_since: Option<DateTime<Utc>>,
    pub met_at: Option<DateTime<Utc>>,
    /// When the target is (or was) reached on the current run; kept once passed, so a breach the sweep
    /// has not recorded yet is still found after a pause or the clock being met.
    pub due_at: Option<DateTime<Utc>>,
    /// When the warning share is (or was) reached on the current run; kept once passed, like `due_at`.
    pub warn_at: Option<DateTime<Utc>>,
}

/// What the ticket is doing, as far as its clocks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    pub kind: StatusKind,
    /// An agent has replied publicly.
    pub responded: bool,
}

/// Whether `target`'s clock should run, and whether it is met, in `situation`.
fn wants(target: Target, situation: Situation) -> (bool, bool) {
    let live = matches!(situation.kind, StatusKind::Initial | StatusKind::Active);
    match target {
        // Answered is answered; a ticket resolved without a public reply just stops its clock.
        Target::FirstResponse => (live && !situation.responded, situation.responded),
        Target::Resolution => (live, situation.kind == StatusKind::Done),
    }
}

impl Clock {
    /// A new clock for a promise of `target_secs`, warning at `warn_share` of it (0 < share < 1).
    pub fn new(target_secs: i64, warn_share: f64) -> Clock {
        let warn_secs = (target_secs as f64 * warn_share.clamp(0.0, 1.0)).round() as i64;
        Clock {
            target_secs,
            warn_secs,
            ..Clock::default()
        }
    }

    /// Business seconds used up to `now`.
    pub fn used_at(&self, now: DateTime<Utc>, calendar: &Calendar) -> i64 {
        self.used_secs + self.running_since.map_or(0, |since| calendar.between(since, now))
    }

    /// Business seconds left at `now` (negative once over).
    pub fn left_at(&self, now: DateTime<Utc>, calendar: &Calendar) -> i64 {
        self.target_secs - self.used_at(now, calendar)
    }

    /// The clock after the ticket is in `situation` at `now`: starts, pauses, resumes, is met or restarts
    /// (a reopened ticket's resolution clock goes on from what it had used). Also the place a changed
    /// promise (another policy after a queue or priority change) takes effect: `due_at` and `warn_at`
    /// are derived afresh.
    pub fn step(&self, target: Target, situation: Situation, now: DateTime<Utc>, calendar: &Calendar) -> Clock {
        let (run, met) = wants(target, situation);
        let mut next = self.clone();
        // Stop counting at `now` (or not at all if it was not running).
        next.used_secs = self.used_at(now, calendar);
        next.running_since = None;
        if met {
            next.met_at = self.met_at.or(Some(now));
        } else {
            next.met_at = None;
            if run {
                next.running_since = Some(now);
            }
        }
        let passed = |at: Option<DateTime<Utc>>| at.filter(|t| *t <= now);
        match next.running_since {
            Some(since) => {
                // Over already: due (and warned) at the instant it passed, if that is known, else now.
                next.due_at = if next.used_secs >= next.target_secs {
                    passed(self.due_at).or(Some(since))
                } else {
                    calendar.add(since, next.target_secs - next.used_secs)
                };
                next.warn_at = if next.used_secs >= next.warn_secs {
                    passed(self.warn_at).or(Some(since))
                } else {
                    calendar.add(since, next.warn_secs - next.used_secs)
                };
            }
            None => {
                // Paused or met: only a due time already passed stays, for the sweep to record the
                // breach; a warning is still worth sending for a paused clock, not for a met one.
                next.due_at = passed(self.due_at);
                next.warn_at = match next.met_at {
                    Some(_) => None,
                    None => passed(self.warn_at),
                };
            }
        }
        next
    }

    /// Whether the promise is broken at `now`: met late, or used up while open.
    pub fn breached_at(&self, now: DateTime<Utc>, calendar: &Calendar) -> bool {
        match self.met_at {
            Some(met) => self.due_at.is_some_and(|due| due < met),
            None => self.used_at(now, calendar) >= self.target_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn calendar(tz: &str, hours: [&[&str]; 7], holidays: &[&str]) -> Calendar {
        Calendar::from_spec(&CalendarSpec {
            tz: tz.into(),
            hours: hours
                .iter()
                .map(|d| d.iter().map(|h| h.to_string()).collect())
                .collect(),
            holidays: holidays.iter().map(|d| d.parse().unwrap()).collect(),
        })
        .unwrap()
    }

    /// Monday to Friday 08:00-16:00 in Jakarta (UTC+7, no DST): a municipal office.
    fn office() -> Calendar {
        let day: &[&str] = &["08:00-16:00"];
        calendar("Asia/Jakarta", [day, day, day, day, day, &[], &[]], &[])
    }

    const HOUR: i64 = 3600;

    #[test]
    fn within_a_working_day_business_time_is_wall_time() {
        // Monday 2026-12-07 09:00 WIB = 02:00 UTC.
        let cal = office();
        assert_eq!(
            cal.add(utc("2026-12-07T02:00:00Z"), 2 * HOUR),
            Some(utc("2026-12-07T04:00:00Z"))
        );
        assert_eq!(
            cal.between(utc("2026-12-07T02:00:00Z"), utc("2026-12-07T04:30:00Z")),
            2 * HOUR + 1800
        );
    }

    #[test]
    fn time_outside_opening_hours_does_not_count() {
        let cal = office();
        // Monday 15:00 WIB + 4 h = 1 h on Monday, 3 h on Tuesday from 08:00: Tuesday 11:00 WIB (04:00 UTC).
        assert_eq!(
            cal.add(utc("2026-12-07T08:00:00Z"), 4 * HOUR),
            Some(utc("2026-12-08T04:00:00Z"))
        );
        // A report filed on Saturday starts counting on Monday at 08:00 WIB (01:00 UTC).
        assert_eq!(
            cal.add(utc("2026-12-12T05:00:00Z"), HOUR),
            Some(utc("2026-12-14T02:00:00Z"))
        );
        // Friday 15:00 WIB to Monday 09:00 WIB: one hour on Friday, one on Monday.
        assert_eq!(
            cal.between(utc("2026-12-11T08:00:00Z"), utc("2026-12-14T02:00:00Z")),
            2 * HOUR
        );
        // Nothing from Friday 17:00 to Monday 07:00.
        assert_eq!(cal.between(utc("2026-12-11T10:00:00Z"), utc("2026-12-14T00:00:00Z")), 0);
    }

    #[test]
    fn adding_exactly_the_rest_of_a_day_ends_at_closing_time() {
        let cal = office();
        assert_eq!(
            cal.add(utc("2026-12-07T08:00:00Z"), HOUR),
            Some(utc("2026-12-07T09:00:00Z"))
        );
        assert_eq!(
            cal.add(utc("2026-12-07T02:00:00Z"), 0),
            Some(utc("2026-12-07T02:00:00Z"))
        );
    }

    #[test]
    fn holidays_close_the_whole_day() {
        let day: &[&str] = &["08:00-16:00"];
        // Christmas Day 2026 is a Friday.
        let cal = calendar("Asia/Jakarta", [day, day, day, day, day, &[], &[]], &["2026-12-25"]);
        // Thursday 15:00 WIB + 2 h: 1 h Thursday, Friday closed, 1 h Monday: Monday 09:00 WIB.
        assert_eq!(
            cal.add(utc("2026-12-24T08:00:00Z"), 2 * HOUR),
            Some(utc("2026-12-28T02:00:00Z"))
        );
        assert_eq!(
            cal.between(utc("2026-12-24T00:00:00Z"), utc("2026-12-28T00:00:00Z")),
            8 * HOUR
        );
    }

    #[test]
    fn overnight_shifts_run_into_the_next_day() {
        // A night desk: every day 22:00-06:00 in Jakarta.
        let night: &[&str] = &["22:00-06:00"];
        let cal = calendar("Asia/Jakarta", [night; 7], &[]);
        // Monday 05:00 WIB (Sunday's shift is still open) + 2 h: 1 h to 06:00, 1 h from 22:00: 23:00 WIB.
        assert_eq!(
            cal.add(utc("2026-12-06T22:00:00Z"), 2 * HOUR),
            Some(utc("2026-12-07T16:00:00Z"))
        );
        // Across midnight counts continuously: 23:00 to 01:00 WIB is two hours.
        assert_eq!(
            cal.between(utc("2026-12-07T16:00:00Z"), utc("2026-12-07T18:00:00Z")),
            2 * HOUR
        );
    }

    #[test]
    fn overlapping_intervals_count_once() {
        let cal = calendar(
            "UTC",
            [&["20:00-04:00"], &["00:00-08:00"], &[], &[], &[], &[], &[]],
            &[],
        );
        // Monday 20:00 to Tuesday 08:00 is twelve hours, though 00:00-04:00 is listed twice.
        assert_eq!(
            cal.between(utc("2026-12-07T20:00:00Z"), utc("2026-12-08T08:00:00Z")),
            12 * HOUR
        );
    }

    #[test]
    fn whole_days_and_a_dst_zone() {
        let all: &[&str] = &["00:00-24:00"];
        let cal = calendar("Europe/Amsterdam", [all; 7], &[]);
        // The night clocks go forward (2026-03-29, 02:00 → 03:00 local) has 23 hours.
        assert_eq!(
            cal.between(utc("2026-03-28T23:00:00Z"), utc("2026-03-29T22:00:00Z")),
            23 * HOUR
        );
        // Opening hours in local time: 09:00-17:00 is 07:00-15:00 UTC in summer, 08:00-16:00 in winter.
        let day: &[&str] = &["09:00-17:00"];
        let cal = calendar("Europe/Amsterdam", [day, day, day, day, day, &[], &[]], &[]);
        // Friday 2026-10-23 16:00 CEST (14:00 UTC) + 2 h: 1 h Friday, 1 h Monday after the change: Monday
        // 2026-10-26 10:00 CET = 09:00 UTC.
        assert_eq!(
            cal.add(utc("2026-10-23T14:00:00Z"), 2 * HOUR),
            Some(utc("2026-10-26T09:00:00Z"))
        );
    }

    #[test]
    fn local_times_in_a_dst_gap_move_forward_and_repeated_ones_take_the_first() {
        // Opening at 02:30 local on the day 02:00-03:00 does not exist opens at 03:00 CEST (01:00 UTC).
        let gap: &[&str] = &["02:30-04:00"];
        let cal = calendar("Europe/Amsterdam", [&[], &[], &[], &[], &[], &[], gap], &[]);
        assert_eq!(
            cal.add(utc("2026-03-28T12:00:00Z"), 60),
            Some(utc("2026-03-29T01:01:00Z"))
        );
        // Closing at 02:30 on the day 02:00-03:00 happens twice ends at the first 02:30 (00:30 UTC).
        let twice: &[&str] = &["01:00-02:30"];
        let cal = calendar("Europe/Amsterdam", [&[], &[], &[], &[], &[], &[], twice], &[]);
        assert_eq!(
            cal.between(utc("2026-10-24T12:00:00Z"), utc("2026-10-26T00:00:00Z")),
            90 * 60
        );
    }

    #[test]
    fn bad_calendars_are_refused_with_a_reason() {
        let spec = |tz: &str, h: &str| CalendarSpec {
            tz: tz.into(),
            hours: vec![vec![h.into()]],
            holidays: vec![],
        };
        assert_eq!(
            Calendar::from_spec(&spec("Mars/Olympus", "08:00-16:00")).unwrap_err(),
            CalendarError::UnknownZone("Mars/Olympus".into())
        );
        assert!(matches!(
            Calendar::from_spec(&spec("UTC", "8-16")),
            Err(CalendarError::BadInterval(_))
        ));
        assert!(matches!(
            Calendar::from_spec(&spec("UTC", "25:00-26:00")),
            Err(CalendarError::BadInterval(_))
        ));
        let closed = CalendarSpec {
            tz: "UTC".into(),
            hours: vec![vec![]; 7],
            holidays: vec![],
        };
        assert_eq!(Calendar::from_spec(&closed).unwrap_err(), CalendarError::NeverOpen);
        assert_eq!(
            Calendar::always().add(utc("2026-12-07T00:00:00Z"), 90),
            Some(utc("2026-12-07T00:01:30Z"))
        );
    }

    fn at(kind: StatusKind, responded: bool) -> Situation {
        Situation { kind, responded }
    }

    #[test]
    fn a_clock_runs_pauses_across_closed_hours_and_resumes() {
        let cal = office();
        // An 8-business-hour resolution promise, warning at 75 %.
        let clock = Clock::new(8 * HOUR, 0.75);
        // Filed Monday 14:00 WIB (07:00 UTC).
        let c = clock.step(
            Target::Resolution,
            at(StatusKind::Initial, false),
            utc("2026-12-07T07:00:00Z"),
            &cal,
        );
        // Due: 2 h Monday + 6 h Tuesday = Tuesday 14:00 WIB; warning after 6 h: Tuesday 12:00 WIB.
        assert_eq!(c.due_at, Some(utc("2026-12-08T07:00:00Z")));
        assert_eq!(c.warn_at, Some(utc("2026-12-08T05:00:00Z")));
        // Waiting for the reporter from Monday 15:00 WIB to Wednesday 09:00 WIB: the pause spans the night.
        let c = c.step(
            Target::Resolution,
            at(StatusKind::Waiting, false),
            utc("2026-12-07T08:00:00Z"),
            &cal,
        );
        assert_eq!((c.used_secs, c.running_since, c.due_at), (HOUR, None, None));
        let c = c.step(
            Target::Resolution,
            at(StatusKind::Active, false),
            utc("2026-12-09T02:00:00Z"),
            &cal,
        );
        // 7 h left from Wednesday 09:00 WIB: Wednesday 16:00 WIB.
        assert_eq!(c.due_at, Some(utc("2026-12-09T09:00:00Z")));
        assert!(!c.breached_at(utc("2026-12-09T08:59:59Z"), &cal));
        assert!(c.breached_at(utc("2026-12-09T09:00:00Z"), &cal));
        // Resolved Wednesday 11:00 WIB: met in time, and it stays met.
        let c = c.step(
            Target::Resolution,
            at(StatusKind::Done, false),
            utc("2026-12-09T04:00:00Z"),
            &cal,
        );
        assert_eq!(c.met_at, Some(utc("2026-12-09T04:00:00Z")));
        assert_eq!(c.used_secs, 3 * HOUR);
        assert!(!c.breached_at(utc("2027-01-01T00:00:00Z"), &cal));
    }

    #[test]
    fn a_late_clock_keeps_its_due_time_so_the_breach_is_still_found() {
        let cal = Calendar::always();
        let c = Clock::new(HOUR, 0.5).step(
            Target::FirstResponse,
            at(StatusKind::Initial, false),
            utc("2026-12-07T00:00:00Z"),
            &cal,
        );
        // Answered two hours later: met, but late.
        let met = c.step(
            Target::FirstResponse,
            at(StatusKind::Active, true),
            utc("2026-12-07T02:00:00Z"),
            &cal,
        );
        assert_eq!(met.due_at, Some(utc("2026-12-07T01:00:00Z")));
        assert_eq!(met.warn_at, None);
        assert!(met.breached_at(utc("2026-12-07T02:00:00Z"), &cal));
        // Paused after the due time: the breach instant stays; paused before it: nothing is due.
        let paused = c.step(
            Target::FirstResponse,
            at(StatusKind::Waiting, false),
            utc("2026-12-07T01:30:00Z"),
            &cal,
        );
        assert_eq!(paused.due_at, Some(utc("2026-12-07T01:00:00Z")));
        let early = c.step(
            Target::FirstResponse,
            at(StatusKind::Waiting, false),
            utc("2026-12-07T00:10:00Z"),
            &cal,
        );
        assert_eq!((early.due_at, early.warn_at), (None, None));
        // Resumed when already over: due at once (at the resumption), not in the past again.
        let over = paused.step(
            Target::FirstResponse,
            at(StatusKind::Active, false),
            utc("2026-12-08T00:00:00Z"),
            &cal,
        );
        assert_eq!(over.due_at, Some(utc("2026-12-07T01:00:00Z")));
    }

    #[test]
    fn a_reopened_ticket_resumes_its_resolution_clock_and_a_response_stays_met() {
        let cal = Calendar::always();
        let t0 = utc("2026-12-07T00:00:00Z");
        let res = Clock::new(10 * HOUR, 0.8).step(Target::Resolution, at(StatusKind::Initial, false), t0, &cal);
        let frt = Clock::new(HOUR, 0.8).step(Target::FirstResponse, at(StatusKind::Initial, false), t0, &cal);
        let t1 = t0 + Duration::hours(2);
        let res = res.step(Target::Resolution, at(StatusKind::Done, true), t1, &cal);
        let frt = frt.step(Target::FirstResponse, at(StatusKind::Done, true), t1, &cal);
        assert_eq!((res.met_at, frt.met_at), (Some(t1), Some(t1)));
        // Reopened a day later: resolution goes on from 2 h used; the first response stays met.
        let t2 = t1 + Duration::hours(24);
        let res = res.step(Target::Resolution, at(StatusKind::Active, true), t2, &cal);
        let frt = frt.step(Target::FirstResponse, at(StatusKind::Active, true), t2, &cal);
        assert_eq!(res.met_at, None);
        assert_eq!(res.due_at, Some(t2 + Duration::hours(8)));
        assert_eq!(frt.met_at, Some(t1));
        assert_eq!(frt.running_since, None);
    }

    #[test]
    fn a_changed_promise_applies_to_the_time_already_used() {
        let cal = Calendar::always();
        let t0 = utc("2026-12-07T00:00:00Z");
        let c = Clock::new(8 * HOUR, 0.5).step(Target::Resolution, at(StatusKind::Active, false), t0, &cal);
        // Raised to urgent after 1 h: a 4 h promise, 3 h left.
        let mut urgent = c.clone();
        urgent.target_secs = 4 * HOUR;
        urgent.warn_secs = 2 * HOUR;
        let t1 = t0 + Duration::hours(1);
        let c = urgent.step(Target::Resolution, at(StatusKind::Active, false), t1, &cal);
        assert_eq!(c.due_at, Some(t0 + Duration::hours(4)));
        assert_eq!(c.warn_at, Some(t0 + Duration::hours(2)));
        assert_eq!(c.left_at(t1, &cal), 3 * HOUR);
    }
}
