//! Statistics (`GET /api/stats`, `GET /api/stats.csv`, the web client's Statistics page): what the desk
//! did over a range of days, for the queues an agent may see (docs/stats.md).
//!
//! Days are calendar days in the desk's time zone ([`Stats::tz`]). Counts are exact; the medians and
//! 90th percentiles of durations are read from log-scaled buckets and are within 9 % of the true value.

use crate::ids::{AgentId, CategoryId, QueueId};
use crate::sla::SlaTarget;
use crate::ticket::Status;
use serde::{Deserialize, Serialize};

/// Longest range of days one request may ask for.
pub const MAX_STATS_DAYS: i64 = 3660;
/// Days shown when the request names no start: the last 30, today included.
pub const DEFAULT_STATS_DAYS: i64 = 30;

/// The query of `GET /api/stats` and `GET /api/stats.csv`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct StatsQuery {
    /// First day (YYYY-MM-DD, desk time zone), included; default: 29 days before `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>, format = Date))]
    pub from: Option<chrono::NaiveDate>,
    /// Last day (YYYY-MM-DD, desk time zone), included; default: today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>, format = Date))]
    pub to: Option<chrono::NaiveDate>,
    /// One queue; without it, every queue the agent may see (admins: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>))]
    pub queue: Option<QueueId>,
}

/// Everything the Statistics page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    /// First day counted (included).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: chrono::NaiveDate,
    /// Last day counted (included).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: chrono::NaiveDate,
    /// The desk's time zone (IANA name), whose midnights start the days.
    pub tz: String,
    /// The queues counted, ascending.
    pub queues: Vec<QueueId>,
    /// Tickets filed and resolved per day, every day of the range (zeros included), in order.
    pub days: Vec<DayCount>,
    /// Open tickets (new, open, pending) now, per queue and status; rows with none are left out.
    pub backlog: Vec<BacklogCount>,
    /// Time from filing to the first public agent reply, for replies within the range.
    pub first_response: Durations,
    /// Time from filing to resolution, for tickets resolved within the range.
    pub resolution: Durations,
    /// SLA compliance per promise (first response, resolution) of the clocks of tickets filed within
    /// the range; `null` while the desk has no SLA policies and no clocks were counted (not configured).
    #[serde(default)]
    pub sla: Option<Vec<SlaCompliance>>,
    /// Per agent: replies and resolutions within the range, open tickets assigned now; by name.
    pub agents: Vec<AgentLoad>,
    /// Tickets filed and resolved within the range, per category (no category last).
    pub categories: Vec<CategoryCount>,
    /// Reporters' ratings given within the range.
    pub csat: Csat,
}

/// One day's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCount {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: chrono::NaiveDate,
    pub created: u64,
    pub resolved: u64,
}

/// Open tickets in one queue with one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BacklogCount {
    pub queue: QueueId,
    pub queue_name: String,
    pub status: Status,
    pub count: u64,
}

/// A distribution of durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Durations {
    /// How many durations were counted.
    pub count: u64,
    /// `null` when none were counted.
    pub median_seconds: Option<f64>,
    /// The 90th percentile; `null` when none were counted.
    pub p90_seconds: Option<f64>,
}

/// How one SLA promise fared for the tickets filed within the range (their clocks in `sla_clocks`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaCompliance {
    pub target: SlaTarget,
    /// Met before they were due.
    pub met: u64,
    /// Breached: ran out while open (recorded by the sweep, or due and not recorded yet), or met late.
    pub breached: u64,
    /// Neither yet: running or paused, not due.
    pub pending: u64,
    /// `met` in percent of `met + breached`; `null` when none is decided yet.
    pub met_percent: Option<f64>,
}

impl SlaCompliance {
    /// The figures of `target` from its counts.
    pub fn from_counts(target: SlaTarget, met: u64, breached: u64, pending: u64) -> SlaCompliance {
        let decided = met + breached;
        SlaCompliance {
            target,
            met,
            breached,
            pending,
            met_percent: (decided > 0).then(|| met as f64 * 100.0 / decided as f64),
        }
    }
}

/// One agent's workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentLoad {
    pub agent: AgentId,
    pub name: String,
    /// Public replies written within the range.
    pub replies: u64,
    /// Tickets resolved within the range while assigned to them.
    pub resolved: u64,
    /// Open tickets assigned to them now.
    pub open_assigned: u64,
}

/// One category's counts; `category` `null`: tickets without one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryCount {
    pub category: Option<CategoryId>,
    /// The category's name; empty for tickets without one.
    pub name: String,
    pub created: u64,
    pub resolved: u64,
}

/// Customer satisfaction: the 1-5 ratings given within the range.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Csat {
    /// How many ratings of 1, 2, 3, 4 and 5 (five numbers).
    pub ratings: Vec<u64>,
    pub count: u64,
    /// Mean rating; `null` without ratings.
    pub average: Option<f64>,
    /// Share of ratings of 4 or 5, in percent; `null` without ratings.
    pub satisfied_percent: Option<f64>,
}

impl Csat {
    /// The summary of `ratings` (counts of 1 to 5).
    pub fn from_counts(ratings: [u64; 5]) -> Csat {
        let count: u64 = ratings.iter().sum();
        let weighted: u64 = ratings.iter().zip(1u64..).map(|(n, r)| n * r).sum();
        let (average, satisfied_percent) = if count == 0 {
            (None, None)
        } else {
            (
                Some(weighted as f64 / count as f64),
                Some((ratings[3] + ratings[4]) as f64 * 100.0 / count as f64),
            )
        };
        Csat {
            ratings: ratings.to_vec(),
            count,
            average,
            satisfied_percent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csat_summary() {
        let csat = Csat::from_counts([1, 0, 1, 0, 2]);
        assert_eq!(csat.count, 4);
        assert_eq!(csat.average, Some(3.5));
        assert_eq!(csat.satisfied_percent, Some(50.0));
        assert_eq!(Csat::from_counts([0; 5]).average, None);
    }

    #[test]
    fn sla_share_of_decided_clocks() {
        let sla = SlaCompliance::from_counts(SlaTarget::Resolution, 3, 1, 7);
        assert_eq!(sla.met_percent, Some(75.0));
        assert_eq!(
            SlaCompliance::from_counts(SlaTarget::FirstResponse, 0, 0, 2).met_percent,
            None
        );
    }

    #[test]
    fn query_reads_dates_and_queue() {
        let query: StatsQuery = serde_urlencoded::from_str("from=2026-01-02&to=2026-01-31&queue=3").unwrap();
        assert_eq!(query.from, chrono::NaiveDate::from_ymd_opt(2026, 1, 2));
        assert_eq!(query.queue, Some(QueueId(3)));
        assert_eq!(
            serde_urlencoded::from_str::<StatsQuery>("").unwrap(),
            StatsQuery::default()
        );
    }
}
