//! Statistics arithmetic: the log-scaled duration buckets (the same formula as `loket_stats_bucket` in
//! migrations/V25__stats.sql), percentiles read back from bucket counts, the date range of a request,
//! and the CSV rendering of [`Stats`].

use chrono::NaiveDate;
use loket_protocol::sla::SlaTarget;
use loket_protocol::stats::{DEFAULT_STATS_DAYS, Durations, MAX_STATS_DAYS, Stats};

use crate::error::AppError;

/// Each bucket's upper bound is this many times its lower bound.
pub const BUCKET_RATIO: f64 = 1.18;

/// Largest relative error of a percentile read from the buckets: `sqrt(BUCKET_RATIO) - 1` (8.6 %).
pub fn max_relative_error() -> f64 {
    BUCKET_RATIO.sqrt() - 1.0
}

/// The bucket of a duration: 0 for under a second, else `1 + floor(log_1.18(seconds))`.
pub fn bucket(seconds: f64) -> i16 {
    if seconds < 1.0 {
        0
    } else {
        // At most a few hundred for any duration a desk sees (a century is bucket 131).
        (1.0 + (seconds.ln() / BUCKET_RATIO.ln()).floor()).min(i16::MAX as f64) as i16
    }
}

/// The value a bucket stands for: 0 for bucket 0, else the geometric middle of its bounds.
pub fn bucket_value(bucket: i16) -> f64 {
    if bucket <= 0 {
        0.0
    } else {
        BUCKET_RATIO.powf(f64::from(bucket) - 0.5)
    }
}

/// The `p`-th percentile (0 < p <= 1, nearest rank: the `ceil(p * n)`-th smallest) of durations given as
/// `(bucket, count)` pairs in any order; `None` when they count nothing.
pub fn percentile(buckets: &[(i16, u64)], p: f64) -> Option<f64> {
    let total: u64 = buckets.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let rank = ((p * total as f64).ceil() as u64).clamp(1, total);
    let mut sorted: Vec<(i16, u64)> = buckets.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let mut seen = 0;
    for (bucket, n) in sorted {
        seen += n;
        if seen >= rank {
            return Some(bucket_value(bucket));
        }
    }
    None
}

/// Count, median and 90th percentile of bucketed durations.
pub fn durations(buckets: &[(i16, u64)]) -> Durations {
    Durations {
        count: buckets.iter().map(|(_, n)| n).sum(),
        median_seconds: percentile(buckets, 0.5),
        p90_seconds: percentile(buckets, 0.9),
    }
}

/// The days a request covers: `to` defaults to `today`, `from` to 29 days before `to`. Refuses a range
/// that ends before it starts or is longer than [`MAX_STATS_DAYS`].
pub fn range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - chrono::Duration::days(DEFAULT_STATS_DAYS - 1));
    if from > to {
        return Err(AppError::invalid("from must not be after to"));
    }
    if (to - from).num_days() + 1 > MAX_STATS_DAYS {
        return Err(AppError::invalid(format!(
            "ask for at most {MAX_STATS_DAYS} days at once"
        )));
    }
    Ok((from, to))
}

/// The header of [`csv`].
pub const CSV_HEADER: &str = "chart,day,queue_id,queue,status,agent_id,agent,category_id,category,measure,value";

/// One cell: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or `@` (which
/// spreadsheets would run as a formula) gets a `'` before it.
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[derive(Default)]
struct Row<'a> {
    chart: &'a str,
    day: String,
    queue_id: String,
    queue: &'a str,
    status: &'a str,
    agent_id: String,
    agent: &'a str,
    category_id: String,
    category: &'a str,
    measure: &'a str,
    value: String,
}

impl Row<'_> {
    fn line(&self) -> String {
        [
            cell(self.chart),
            cell(&self.day),
            cell(&self.queue_id),
            cell(self.queue),
            cell(self.status),
            cell(&self.agent_id),
            cell(self.agent),
            cell(&self.category_id),
            cell(self.category),
            cell(self.measure),
            cell(&self.value),
        ]
        .join(",")
    }
}

fn opt(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.3}")).unwrap_or_default()
}

/// The statistics as CSV (RFC 4180, CRLF line ends): one row per number, in the order of the JSON.
/// Durations are in seconds; an empty value means none (a median of nothing, SLA not configured).
pub fn csv(stats: &Stats) -> String {
    let mut rows = Vec::new();
    for d in &stats.days {
        for (measure, value) in [("created", d.created), ("resolved", d.resolved)] {
            rows.push(Row {
                chart: "daily",
                day: d.day.to_string(),
                measure,
                value: value.to_string(),
                ..Row::default()
            });
        }
    }
    for b in &stats.backlog {
        rows.push(Row {
            chart: "backlog",
            queue_id: b.queue.0.to_string(),
            queue: &b.queue_name,
            status: b.status.as_str(),
            measure: "open",
            value: b.count.to_string(),
            ..Row::default()
        });
    }
    for (chart, d) in [
        ("first_response", &stats.first_response),
        ("resolution", &stats.resolution),
    ] {
        rows.push(Row {
            chart,
            measure: "count",
            value: d.count.to_string(),
            ..Row::default()
        });
        rows.push(Row {
            chart,
            measure: "median_seconds",
            value: opt(d.median_seconds),
            ..Row::default()
        });
        rows.push(Row {
            chart,
            measure: "p90_seconds",
            value: opt(d.p90_seconds),
            ..Row::default()
        });
    }
    // SLA: one chart per promise (`sla_first_response`, `sla_resolution`); empty values when the desk
    // has no SLA policies.
    for target in SlaTarget::ALL {
        let share = stats
            .sla
            .as_ref()
            .and_then(|all| all.iter().find(|s| s.target == target));
        let chart = match target {
            SlaTarget::FirstResponse => "sla_first_response",
            SlaTarget::Resolution => "sla_resolution",
        };
        for (measure, value) in [
            ("met", share.map(|s| s.met.to_string())),
            ("breached", share.map(|s| s.breached.to_string())),
            ("pending", share.map(|s| s.pending.to_string())),
            ("met_percent", share.map(|s| opt(s.met_percent))),
        ] {
            rows.push(Row {
                chart,
                measure,
                value: value.unwrap_or_default(),
                ..Row::default()
            });
        }
    }
    for a in &stats.agents {
        for (measure, value) in [
            ("replies", a.replies),
            ("resolved", a.resolved),
            ("open_assigned", a.open_assigned),
        ] {
            rows.push(Row {
                chart: "agents",
                agent_id: a.agent.0.to_string(),
                agent: &a.name,
                measure,
                value: value.to_string(),
                ..Row::default()
            });
        }
    }
    for c in &stats.categories {
        for (measure, value) in [("created", c.created), ("resolved", c.resolved)] {
            rows.push(Row {
                chart: "categories",
                category_id: c.category.map(|id| id.0.to_string()).unwrap_or_default(),
                category: &c.name,
                measure,
                value: value.to_string(),
                ..Row::default()
            });
        }
    }
    for (rating, n) in (1..).zip(&stats.csat.ratings) {
        rows.push(Row {
            chart: "csat",
            measure: RATING_MEASURES[rating - 1],
            value: n.to_string(),
            ..Row::default()
        });
    }
    rows.push(Row {
        chart: "csat",
        measure: "average",
        value: opt(stats.csat.average),
        ..Row::default()
    });
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row.line());
        out.push_str("\r\n");
    }
    out
}

const RATING_MEASURES: [&str; 5] = ["rating_1", "rating_2", "rating_3", "rating_4", "rating_5"];

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn buckets_bound_their_values() {
        assert_eq!(bucket(0.0), 0);
        assert_eq!(bucket(0.9), 0);
        assert_eq!(bucket(1.0), 1);
        for seconds in [1.0, 2.0, 59.0, 60.0, 3600.0, 86_400.0, 2_592_000.0, 31_536_000.0] {
            let b = bucket(seconds);
            let lower = BUCKET_RATIO.powi(i32::from(b) - 1);
            assert!(
                lower <= seconds * (1.0 + 1e-9) && seconds < lower * BUCKET_RATIO * (1.0 + 1e-9),
                "{seconds} in {b}"
            );
            let error = (bucket_value(b) - seconds).abs() / seconds;
            assert!(error <= max_relative_error() + 1e-9, "{seconds}: {error}");
        }
        assert!(max_relative_error() < 0.09);
    }

    #[test]
    fn percentiles_are_within_the_error_of_the_exact_ones() {
        // 1..=1000 minutes: exact nearest-rank median 500 min, p90 900 min.
        let mut counts = std::collections::BTreeMap::new();
        for minute in 1..=1000u32 {
            *counts.entry(bucket(f64::from(minute) * 60.0)).or_insert(0u64) += 1;
        }
        let buckets: Vec<(i16, u64)> = counts.into_iter().collect();
        let d = durations(&buckets);
        assert_eq!(d.count, 1000);
        for (got, exact) in [
            (d.median_seconds.unwrap(), 30_000.0),
            (d.p90_seconds.unwrap(), 54_000.0),
        ] {
            assert!(
                (got - exact).abs() / exact <= max_relative_error() + 1e-9,
                "{got} vs {exact}"
            );
        }
    }

    #[test]
    fn percentile_of_nothing_and_of_one() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[(5, 0)], 0.5), None);
        assert_eq!(percentile(&[(0, 3)], 0.9), Some(0.0));
        // Order of the pairs does not matter; rank 2 of 3 is in bucket 10.
        assert_eq!(percentile(&[(20, 1), (10, 1), (1, 1)], 0.5), Some(bucket_value(10)));
        assert_eq!(percentile(&[(20, 1), (10, 1), (1, 1)], 0.9), Some(bucket_value(20)));
    }

    #[test]
    fn range_defaults_and_refusals() {
        assert_eq!(range(None, None, day(31)).unwrap(), (day(2), day(31)));
        assert_eq!(range(Some(day(5)), Some(day(5)), day(31)).unwrap(), (day(5), day(5)));
        assert!(range(Some(day(6)), Some(day(5)), day(31)).is_err());
        let far = day(1) - chrono::Duration::days(MAX_STATS_DAYS);
        assert!(range(Some(far), Some(day(1)), day(31)).is_err());
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
    }
}
