//! Service levels on the wire: a ticket's SLA clocks as clients show them, the policies and calendars
//! admins set, and the one rule that says how urgent a clock looks (shared by the board and ticket page).

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::QueueId;
use crate::ticket::Priority;

/// Which promise a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// Until an agent's first public reply.
    FirstResponse,
    /// Until the ticket enters a status of kind done (resolved, closed).
    Resolution,
}

impl SlaTarget {
    pub const ALL: [SlaTarget; 2] = [SlaTarget::FirstResponse, SlaTarget::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaTarget::FirstResponse => "first_response",
            SlaTarget::Resolution => "resolution",
        }
    }

    pub fn parse(text: &str) -> Option<SlaTarget> {
        SlaTarget::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// How agents read it.
    pub fn label(self) -> &'static str {
        match self {
            SlaTarget::FirstResponse => "First response",
            SlaTarget::Resolution => "Resolution",
        }
    }
}

/// One of a ticket's SLA clocks, as it stood when the ticket was read or last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaClock {
    pub target: SlaTarget,
    /// When the promise runs out, while the clock runs (also kept once passed, while it was running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<Timestamp>,
    /// When the warning share of the promise is reached, while the clock runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub warn_at: Option<Timestamp>,
    /// When it was met (the first public reply; entering a done status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub met_at: Option<Timestamp>,
    /// True while the clock stands still: the ticket waits (a status of kind waiting), or it was
    /// resolved without the clock being met (a first response never given).
    #[serde(default)]
    pub paused: bool,
    /// Business seconds left when it was read (negative once over); counts down only while it runs.
    pub left_secs: i64,
    /// The promise, in business seconds.
    pub target_secs: i64,
    /// When the breach was recorded (`SlaBreached`); absent while the promise holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub breached_at: Option<Timestamp>,
}

/// How urgent a clock looks at a moment: one colour rule for every screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlaState {
    /// Running, before the warning share.
    OnTrack,
    /// Running, past the warning share.
    Warning,
    /// Past its promise (running, paused after passing it, or met late).
    Breached,
    /// Standing still with time left.
    Paused,
    /// Met in time.
    Met,
}

impl SlaState {
    /// The CSS class the web client colours it with.
    pub fn css(self) -> &'static str {
        match self {
            SlaState::OnTrack => "sla-ok",
            SlaState::Warning => "sla-warning",
            SlaState::Breached => "sla-breached",
            SlaState::Paused => "sla-paused",
            SlaState::Met => "sla-met",
        }
    }
}

impl SlaClock {
    /// Its state at `now`.
    pub fn state(&self, now: Timestamp) -> SlaState {
        let passed = |at: Option<Timestamp>| at.is_some_and(|t| t <= now);
        if self.breached_at.is_some() {
            return SlaState::Breached;
        }
        if let Some(met) = self.met_at {
            return match self.due_at {
                Some(due) if due < met => SlaState::Breached,
                _ => SlaState::Met,
            };
        }
        if self.paused {
            return match self.left_secs <= 0 || passed(self.due_at) {
                true => SlaState::Breached,
                false => SlaState::Paused,
            };
        }
        if passed(self.due_at) {
            SlaState::Breached
        } else if passed(self.warn_at) {
            SlaState::Warning
        } else {
            SlaState::OnTrack
        }
    }

    /// What to show for it at `now`: "2 h 05 m left", "overdue 12 m", "paused, 3 h 00 m left", "met".
    /// While it runs this counts wall time to `due_at` (the moment it runs out), so it ticks live.
    pub fn describe(&self, now: Timestamp) -> String {
        if let Some(met) = self.met_at {
            return match self.state(now) {
                SlaState::Breached => format!(
                    "met late ({})",
                    duration(self.due_at.map_or(0, |d| (met - d).num_seconds()))
                ),
                _ => "met".into(),
            };
        }
        if self.paused {
            return match self.left_secs > 0 {
                true => format!("paused, {} left", duration(self.left_secs)),
                false => format!("paused, overdue {}", duration(-self.left_secs)),
            };
        }
        // A recorded breach is overdue even if this screen's clock has not caught up yet.
        let now = self.breached_at.map_or(now, |b| now.max(b));
        match self.due_at {
            Some(due) if due > now => format!("{} left", duration((due - now).num_seconds())),
            Some(due) if (now - due).num_seconds() < 1 => "overdue".into(),
            Some(due) => format!("overdue {}", duration((now - due).num_seconds())),
            None => "no due time".into(),
        }
    }
}

/// "3 d 04 h", "2 h 05 m", "12 m", "40 s".
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if d > 0 {
        format!("{d} d {h:02} h")
    } else if h > 0 {
        format!("{h} h {m:02} m")
    } else if m > 0 {
        format!("{m} m")
    } else {
        format!("{secs} s")
    }
}

/// The clock of `target` among a ticket's, if it has one.
pub fn clock(clocks: &[SlaClock], target: SlaTarget) -> Option<&SlaClock> {
    clocks.iter().find(|c| c.target == target)
}

/// The clock that matters most on a board row: the first unmet one that runs out soonest (or is
/// breached), else the resolution clock.
pub fn headline(clocks: &[SlaClock]) -> Option<&SlaClock> {
    clocks
        .iter()
        .filter(|c| c.met_at.is_none())
        .min_by_key(|c| (c.paused, c.due_at))
        .or_else(|| clock(clocks, SlaTarget::Resolution))
}

/// A business-hours calendar as admins edit it (`GET`/`PUT /api/sla/calendars`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaCalendar {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    /// An IANA time zone name, such as `Asia/Jakarta`.
    pub tz: String,
    /// Opening hours per weekday, Monday first: seven lists of `"HH:MM-HH:MM"` (an end not after the
    /// start runs overnight; `00:00-24:00` is the whole day). An empty list: closed that day.
    pub hours: Vec<Vec<String>>,
    /// Dates (`YYYY-MM-DD`) the desk is closed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, format = Date))]
    pub holidays: Vec<chrono::NaiveDate>,
}

/// A service-level policy: the promises for tickets of a queue and priority (either may be "any").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaPolicy {
    #[serde(default)]
    pub id: i64,
    /// The queue it applies to; absent: every queue without a policy of its own.
    #[serde(default)]
    pub queue: Option<QueueId>,
    /// The priority it applies to; absent: every priority.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// The calendar business time is measured on; absent: around the clock.
    #[serde(default)]
    pub calendar_id: Option<i64>,
    /// Business seconds until the first public reply; absent: no such promise.
    #[serde(default)]
    pub first_response_secs: Option<i64>,
    /// Business seconds until resolution; absent: no such promise.
    #[serde(default)]
    pub resolution_secs: Option<i64>,
    /// The share of a promise after which `SlaWarning` is sent (0 < share < 1); default 0.8.
    #[serde(default = "default_warn_share")]
    pub warn_share: f64,
}

fn default_warn_share() -> f64 {
    0.8
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn running(due_in: i64, warn_in: i64) -> (SlaClock, Timestamp) {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap();
        let clock = SlaClock {
            target: SlaTarget::Resolution,
            due_at: Some(now + Duration::seconds(due_in)),
            warn_at: Some(now + Duration::seconds(warn_in)),
            met_at: None,
            paused: false,
            left_secs: due_in,
            target_secs: 8 * 3600,
            breached_at: None,
        };
        (clock, now)
    }

    #[test]
    fn a_running_clock_goes_from_on_track_to_warning_to_breached() {
        let (clock, now) = running(3600, 600);
        assert_eq!(clock.state(now), SlaState::OnTrack);
        assert_eq!(clock.describe(now), "1 h 00 m left");
        assert_eq!(clock.state(now + Duration::seconds(600)), SlaState::Warning);
        assert_eq!(clock.state(now + Duration::seconds(3600)), SlaState::Breached);
        assert_eq!(clock.describe(now + Duration::seconds(3600 + 720)), "overdue 12 m");
        // A breach recorded by the server reads as overdue even on a screen whose clock lags behind.
        let mut recorded = clock.clone();
        recorded.breached_at = clock.due_at;
        assert_eq!(recorded.describe(now), "overdue");
        assert_eq!(recorded.describe(now + Duration::seconds(3600 + 60)), "overdue 1 m");
    }

    #[test]
    fn paused_met_and_recorded_breaches_read_as_such() {
        let (clock, now) = running(3600, 600);
        let paused = SlaClock {
            paused: true,
            due_at: None,
            warn_at: None,
            left_secs: 3 * 3600,
            ..clock.clone()
        };
        assert_eq!(paused.state(now + Duration::days(3)), SlaState::Paused);
        assert_eq!(paused.describe(now), "paused, 3 h 00 m left");
        let met = SlaClock {
            met_at: Some(now),
            ..clock.clone()
        };
        assert_eq!(met.state(now + Duration::days(3)), SlaState::Met);
        let late = SlaClock {
            met_at: Some(now + Duration::seconds(4200)),
            ..clock.clone()
        };
        assert_eq!(late.state(now), SlaState::Breached);
        assert_eq!(late.describe(now), "met late (10 m)");
        let recorded = SlaClock {
            breached_at: Some(now),
            ..clock
        };
        assert_eq!(recorded.state(now - Duration::hours(1)), SlaState::Breached);
    }

    #[test]
    fn the_headline_is_the_unmet_clock_due_soonest() {
        let (res, _) = running(7200, 600);
        let (mut frt, _) = running(1800, 600);
        frt.target = SlaTarget::FirstResponse;
        let clocks = vec![res.clone(), frt.clone()];
        assert_eq!(headline(&clocks).map(|c| c.target), Some(SlaTarget::FirstResponse));
        frt.met_at = frt.due_at;
        let clocks = vec![res, frt];
        assert_eq!(headline(&clocks).map(|c| c.target), Some(SlaTarget::Resolution));
        assert_eq!(duration(3 * 86_400 + 4 * 3600), "3 d 04 h");
        assert_eq!(duration(40), "40 s");
    }
}
