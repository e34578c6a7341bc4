//! Statistics on the [`Desk`] (docs/stats.md): every chart of `GET /api/stats` for a range of days and
//! the queues the agent may see, read from the aggregates the V25 and V28 triggers keep (`db::stats`).

use loket_protocol::AgentId;
use loket_protocol::stats::{DayCount, Stats, StatsQuery};

use crate::db;
use crate::desk::Desk;
use crate::domain::stats::{durations, range};
use crate::error::AppError;

impl Desk {
    /// The statistics `agent` asked for: one queue (`not_in_queue` unless they may see it), else every
    /// queue they may see (admins: all). The charts are read in one repeatable-read transaction, so they
    /// agree with each other.
    pub async fn stats(&self, agent: AgentId, query: &StatsQuery) -> Result<Stats, AppError> {
        let mut client = self.pool.get().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let access = db::queues::access(&tx, agent).await?;
        let queues = match query.queue {
            Some(queue) if access.admits(queue) => vec![queue],
            Some(_) => return Err(AppError::NotInQueue),
            None if access.all => db::stats::all_queues(&tx).await?,
            None => access.queues.clone(),
        };
        let (tz, today) = db::stats::today(&tx).await?;
        let (from, to) = range(query.from, query.to, today)?;
        let db = &tx;
        let (daily, backlog, first_response, resolution, sla, agents, categories, ratings) = tokio::try_join!(
            db::stats::daily(db, from, to, &queues),
            db::stats::backlog(db, &queues),
            db::stats::histogram(db, "first_response", from, to, &queues),
            db::stats::histogram(db, "resolution", from, to, &queues),
            db::stats::sla(db, from, to, &queues),
            db::stats::agents(db, from, to, &queues),
            db::stats::categories(db, from, to, &queues),
            db::stats::ratings(db, from, to, &queues),
        )?;
        tx.commit().await?;
        Ok(Stats {
            from,
            to,
            tz,
            queues,
            days: every_day(from, to, &daily),
            backlog,
            first_response: durations(&first_response),
            resolution: durations(&resolution),
            sla,
            agents,
            categories,
            csat: loket_protocol::stats::Csat::from_counts(ratings),
        })
    }
}

/// Every day from `from` to `to`, with the counts of `known` (ascending) where it has them and zeros
/// elsewhere.
fn every_day(from: chrono::NaiveDate, to: chrono::NaiveDate, known: &[DayCount]) -> Vec<DayCount> {
    let mut known = known.iter().peekable();
    from.iter_days()
        .take_while(|day| *day <= to)
        .map(|day| match known.next_if(|k| k.day == day) {
            Some(k) => *k,
            None => DayCount {
                day,
                created: 0,
                resolved: 0,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_fills_gaps() {
        let d = |n| chrono::NaiveDate::from_ymd_opt(2026, 5, n).unwrap();
        let days = every_day(
            d(1),
            d(4),
            &[DayCount {
                day: d(2),
                created: 3,
                resolved: 1,
            }],
        );
        assert_eq!(days.len(), 4);
        assert_eq!(
            days[0],
            DayCount {
                day: d(1),
                created: 0,
                resolved: 0
            }
        );
        assert_eq!(days[1].created, 3);
        assert_eq!(days[3].day, d(4));
    }
}
