//! Matching what was sent with what every session received, and turning that into latency figures.
//!
//! Every broadcast is identified by an [`EventKey`] that both its sender (from the Ack) and every
//! receiver (from the event itself) can compute. Sessions record `(key, instant)` locally while the run
//! lasts; afterwards the records are joined with the sent operations. An operation's latency is the time
//! from sending it until the **last** other session received its event.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Which kind of broadcast an [`EventKey`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Created,
    Locked,
    Updated,
    Unlocked,
    /// A frame of the fan-out baseline server.
    Fanout,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Created => "TicketCreated",
            Kind::Locked => "TicketLocked",
            Kind::Updated => "TicketUpdated",
            Kind::Unlocked => "TicketUnlocked",
            Kind::Fanout => "fan-out frame",
        }
    }
}

/// Names one broadcast: the ticket, the kind, and a tag that tells this event from others of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventKey {
    pub ticket: i64,
    pub kind: Kind,
    /// Created: 0. Locked: hash of `expires_at`. Updated: the new version. Unlocked: hash of the `expires_at`
    /// of the lock it ends. Fan-out: the frame's sequence number.
    pub tag: u64,
}

impl EventKey {
    pub fn new(ticket: i64, kind: Kind, tag: u64) -> EventKey {
        EventKey { ticket, kind, tag }
    }
}

/// A stable tag for a timestamp string (the Ack and the event carry the same serialised value).
pub fn tag_of(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// One receipt recorded by a session.
pub type Receipt = (EventKey, Instant);

/// One operation whose broadcast is awaited by every other session.
#[derive(Debug, Clone, Copy)]
pub struct SentOp {
    pub key: EventKey,
    pub sent: Instant,
    /// Index of the sending session, which is not waited for.
    pub sender: usize,
}

/// Latency percentiles of one kind of event, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    pub kind: &'static str,
    /// Operations of this kind that were sent and acknowledged.
    pub ops: u64,
    /// Of those, how many reached every other session.
    pub complete: u64,
    /// Deliveries that never arrived (summed over operations and sessions).
    pub missing_deliveries: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Until the **first** other session had it: the server's own work before fan-out (p50 and p99).
    pub first_p50_ms: f64,
    pub first_p99_ms: f64,
}

/// Result of joining sends with receipts.
#[derive(Debug, Clone, Serialize)]
pub struct Joined {
    pub per_kind: Vec<LatencySummary>,
    /// Every receipt of a measured event, counted once per receiving session.
    pub deliveries: u64,
}

/// Longest latency the histograms hold; anything slower is clamped (and shows as the max).
const HISTOGRAM_MAX: Duration = Duration::from_secs(120);
/// Significant decimal digits of the histograms.
const HISTOGRAM_DIGITS: u8 = 3;

struct Pending {
    sent: Instant,
    sender: usize,
    received: u32,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Joins `ops` with the receipts of `sessions` sessions.
pub fn join(ops: &[SentOp], receipts: &[Vec<Receipt>], sessions: usize) -> Joined {
    join_among(ops, receipts, &vec![true; sessions])
}

/// Joins `ops` with the receipts of the sessions whose `counted` is true (an operation is complete once
/// every counted session but its sender had it).
pub fn join_among(ops: &[SentOp], receipts: &[Vec<Receipt>], counted: &[bool]) -> Joined {
    let mut pending: HashMap<EventKey, Pending> = ops
        .iter()
        .map(|op| {
            (
                op.key,
                Pending {
                    sent: op.sent,
                    sender: op.sender,
                    received: 0,
                    first: None,
                    last: None,
                },
            )
        })
        .collect();
    let mut deliveries = 0;
    for (session, list) in receipts.iter().enumerate() {
        for (key, at) in list {
            let Some(p) = pending.get_mut(key) else { continue };
            if p.sender == session {
                continue;
            }
            p.received += 1;
            deliveries += 1;
            p.first = Some(p.first.map_or(*at, |first| first.min(*at)));
            p.last = Some(p.last.map_or(*at, |last| last.max(*at)));
        }
    }
    let among = counted.iter().filter(|c| **c).count() as u32;
    let mut by_kind: HashMap<Kind, Tally> = HashMap::new();
    for (key, p) in pending {
        let expected = among.saturating_sub(u32::from(counted.get(p.sender).copied().unwrap_or(false)));
        let tally = by_kind.entry(key.kind).or_insert_with(Tally::new);
        tally.ops += 1;
        tally.missing += u64::from(expected.saturating_sub(p.received));
        if let Some(first) = p.first {
            record(&mut tally.first, first.saturating_duration_since(p.sent));
        }
        if p.received >= expected {
            tally.complete += 1;
            let latency = p
                .last
                .map_or(Duration::ZERO, |last| last.saturating_duration_since(p.sent));
            record(&mut tally.every, latency);
        }
    }
    let mut kinds: Vec<_> = by_kind.into_iter().collect();
    kinds.sort_by_key(|(kind, _)| *kind);
    let mut per_kind: Vec<LatencySummary> = kinds.iter().map(|(kind, t)| t.summary(kind.label())).collect();
    if kinds.len() > 1 {
        let mut all = Tally::new();
        for (_, t) in &kinds {
            all.add(t);
        }
        per_kind.push(all.summary("all events"));
    }
    Joined { per_kind, deliveries }
}

/// Latencies and counts of one kind of event.
struct Tally {
    every: Histogram<u64>,
    first: Histogram<u64>,
    ops: u64,
    complete: u64,
    missing: u64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            every: new_histogram(),
            first: new_histogram(),
            ops: 0,
            complete: 0,
            missing: 0,
        }
    }

    fn add(&mut self, other: &Tally) {
        // Same bounds and precision, so adding cannot fail.
        self.every.add(&other.every).expect("histograms share bounds");
        self.first.add(&other.first).expect("histograms share bounds");
        self.ops += other.ops;
        self.complete += other.complete;
        self.missing += other.missing;
    }

    fn summary(&self, kind: &'static str) -> LatencySummary {
        let mut s = summary(kind, &self.every, self.ops, self.complete, self.missing);
        let first = summary(kind, &self.first, 0, 0, 0);
        s.first_p50_ms = first.p50_ms;
        s.first_p99_ms = first.p99_ms;
        s
    }
}

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HISTOGRAM_MAX.as_micros() as u64, HISTOGRAM_DIGITS)
        .expect("constant histogram bounds are valid")
}

/// Records `latency` in microseconds, clamped to the histogram's range.
pub fn record(h: &mut Histogram<u64>, latency: Duration) {
    let micros = (latency.as_micros() as u64).clamp(1, HISTOGRAM_MAX.as_micros() as u64);
    h.saturating_record(micros);
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

pub fn summary(kind: &'static str, h: &Histogram<u64>, ops: u64, complete: u64, missing: u64) -> LatencySummary {
    let empty = h.is_empty();
    let q = |q: f64| if empty { 0.0 } else { ms(h.value_at_quantile(q)) };
    LatencySummary {
        kind,
        ops,
        complete,
        missing_deliveries: missing,
        p50_ms: q(0.50),
        p90_ms: q(0.90),
        p99_ms: q(0.99),
        max_ms: if empty { 0.0 } else { ms(h.max()) },
        first_p50_ms: 0.0,
        first_p99_ms: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_until_the_last_other_session_and_the_sender_is_not_waited_for() {
        let t0 = Instant::now();
        let key = EventKey::new(7, Kind::Updated, 3);
        let ops = [SentOp {
            key,
            sent: t0,
            sender: 0,
        }];
        let receipts = vec![
            vec![(key, t0 + Duration::from_millis(100))],
            vec![(key, t0 + Duration::from_millis(2))],
            vec![(key, t0 + Duration::from_millis(5))],
        ];
        let joined = join(&ops, &receipts, 3);
        let s = &joined.per_kind[0];
        assert_eq!((s.ops, s.complete, s.missing_deliveries), (1, 1, 0));
        assert!((s.max_ms - 5.0).abs() < 0.1, "{s:?}");
        assert_eq!(joined.deliveries, 2);
    }

    #[test]
    fn only_counted_sessions_are_waited_for() {
        let t0 = Instant::now();
        let key = EventKey::new(7, Kind::Updated, 3);
        let ops = [SentOp {
            key,
            sent: t0,
            sender: 0,
        }];
        // Session 1 (not counted, say on the writer's instance) is slow; 2 and 3 count.
        let receipts = vec![
            vec![],
            vec![],
            vec![(key, t0 + Duration::from_millis(4))],
            vec![(key, t0 + Duration::from_millis(6))],
        ];
        let joined = join_among(&ops, &receipts, &[false, false, true, true]);
        let s = &joined.per_kind[0];
        assert_eq!((s.ops, s.complete, s.missing_deliveries), (1, 1, 0));
        assert!((s.max_ms - 6.0).abs() < 0.1, "{s:?}");
        // One counted session short: missing.
        let joined = join_among(&ops, &receipts[..3], &[false, false, true, true]);
        assert_eq!(joined.per_kind[0].missing_deliveries, 1);
    }

    #[test]
    fn an_event_a_session_never_got_is_counted_missing() {
        let t0 = Instant::now();
        let key = EventKey::new(1, Kind::Locked, tag_of("2025-01-01T00:00:00Z"));
        let ops = [SentOp {
            key,
            sent: t0,
            sender: 0,
        }];
        let receipts = vec![vec![], vec![(key, t0)], vec![]];
        let joined = join(&ops, &receipts, 3);
        assert_eq!(joined.per_kind[0].complete, 0);
        assert_eq!(joined.per_kind[0].missing_deliveries, 1);
    }
}
