//! Reading the event log from outside the writer: when a missing position is a gap that will never be
//! filled. Plain data, fed with what a reader saw and PostgreSQL's snapshot facts; no I/O.
//!
//! The process that writes events knows which positions are in flight (the reorder buffer). Any other
//! reader (another instance, or this process after a restart) only sees rows. If it sees position `p + 1`
//! but not `p`, then `p` is either in a transaction still running, which may yet commit, or was rolled
//! back and stays empty. It tells them apart with the transactions' ids: every writer has its
//! transaction id before it takes its position (it has written, or asks `pg_current_xact_id()` first),
//! so a position handed out before a snapshot was taken belongs to a transaction that had ended by then
//! or is listed as in progress in it. Once every transaction listed as in progress in the snapshot taken
//! when the gap was first seen has ended, and a read made after that still lacks `p`, the gap is
//! permanent and the reader may go past it.
//!
//! A read must take its rows and its snapshot facts in one statement (PostgreSQL's statement snapshot:
//! `pg_current_snapshot()` beside the rows), so the facts describe exactly what the rows could see.

use std::collections::{BTreeMap, BTreeSet};

/// What `pg_current_snapshot()` says, as 64-bit transaction ids (`xid8`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnapshotFacts {
    /// Every transaction below this had ended (`pg_snapshot_xmin`).
    pub xmin: u64,
    /// Every transaction from this on had not started (`pg_snapshot_xmax`).
    pub xmax: u64,
    /// Transactions between the two that were in progress (`pg_snapshot_xip`).
    pub in_progress: BTreeSet<u64>,
}

/// The text form of a snapshot could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a pg_snapshot: {0:?}")]
pub struct BadSnapshot(pub String);

impl SnapshotFacts {
    /// Reads PostgreSQL's text form, `xmin:xmax:xip1,xip2,…` (e.g. `741:745:741,743`).
    pub fn parse(text: &str) -> Result<SnapshotFacts, BadSnapshot> {
        let bad = || BadSnapshot(text.to_string());
        let mut parts = text.trim().splitn(3, ':');
        let number = |part: Option<&str>| part.and_then(|p| p.parse::<u64>().ok()).ok_or_else(bad);
        let xmin = number(parts.next())?;
        let xmax = number(parts.next())?;
        let in_progress = match parts.next() {
            None | Some("") => BTreeSet::new(),
            Some(list) => list
                .split(',')
                .map(|x| x.parse::<u64>().map_err(|_| bad()))
                .collect::<Result<_, _>>()?,
        };
        if xmin > xmax || in_progress.iter().any(|x| *x < xmin || *x >= xmax) {
            return Err(bad());
        }
        Ok(SnapshotFacts {
            xmin,
            xmax,
            in_progress,
        })
    }

    /// Whether the transaction `xid` was in progress (or not yet started) when this snapshot was taken.
    pub fn running(&self, xid: u64) -> bool {
        xid >= self.xmax || (xid >= self.xmin && self.in_progress.contains(&xid))
    }

    /// Whether every transaction in progress at `earlier` had ended by this (later) snapshot.
    pub fn all_ended_since(&self, earlier: &SnapshotFacts) -> bool {
        self.xmin >= earlier.xmax || earlier.in_progress.iter().all(|xid| !self.running(*xid))
    }
}

/// Follows the log from `released` on: which positions a reader may hand on, in order.
#[derive(Debug, Clone)]
pub struct GapTracker {
    /// Everything at or below this was handed on (or is a permanent gap).
    released: u64,
    /// Positions seen above `released`, not yet handed on.
    seen: BTreeSet<u64>,
    /// Missing positions below the highest seen, with the snapshot of the read that first missed them.
    gaps: BTreeMap<u64, SnapshotFacts>,
}

impl GapTracker {
    /// A reader whose history up to `released` is complete.
    pub fn new(released: u64) -> Self {
        GapTracker {
            released,
            seen: BTreeSet::new(),
            gaps: BTreeMap::new(),
        }
    }

    /// The newest position handed on.
    pub fn released(&self) -> u64 {
        self.released
    }

    /// The positions the reader is waiting for (it saw later ones), lowest first.
    pub fn waiting_for(&self) -> impl Iterator<Item = u64> + '_ {
        self.gaps.keys().copied()
    }

    /// Feeds one read: the `positions` it found above [`GapTracker::released`] and the snapshot it
    /// read them in. Returns the positions now to hand on, in order (gaps found permanent are skipped).
    pub fn observe(&mut self, positions: impl IntoIterator<Item = u64>, facts: &SnapshotFacts) -> Vec<u64> {
        for position in positions {
            if position > self.released {
                self.seen.insert(position);
                self.gaps.remove(&position);
            }
        }
        // Missing below the highest seen: new gaps remember this read's snapshot. A gap is permanent once
        // every transaction in progress when it was first missed has ended by a read that still lacks it
        // (for a gap first missed by this very read: when nothing was in progress).
        if let Some(&highest) = self.seen.last() {
            for missing in self.released + 1..highest {
                if !self.seen.contains(&missing) {
                    self.gaps.entry(missing).or_insert_with(|| facts.clone());
                }
            }
        }
        self.gaps.retain(|_, first_missed| !facts.all_ended_since(first_missed));
        let mut out = Vec::new();
        loop {
            let next = self.released + 1;
            if self.seen.remove(&next) {
                out.push(next);
            } else if !self.gaps.contains_key(&next) && self.seen.first().is_some_and(|s| *s > next) {
                // A permanent gap: nothing will ever be at `next`.
            } else {
                break;
            }
            self.released = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(text: &str) -> SnapshotFacts {
        SnapshotFacts::parse(text).unwrap()
    }

    #[test]
    fn snapshots_parse_from_postgresql_text() {
        let facts = snap("741:745:741,743");
        assert_eq!((facts.xmin, facts.xmax), (741, 745));
        assert_eq!(facts.in_progress.iter().copied().collect::<Vec<_>>(), [741, 743]);
        assert!(facts.running(741) && facts.running(743) && facts.running(745) && facts.running(900));
        assert!(!facts.running(742) && !facts.running(744) && !facts.running(700));
        assert_eq!(snap("10:10:").in_progress.len(), 0);
        for bad in ["", "10", "10:x:", "10:9:", "10:20:5", "10:20:20", "10:20:11,,12"] {
            assert!(SnapshotFacts::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ended_means_every_transaction_then_in_progress_is_over() {
        let then = snap("100:105:100,103");
        assert!(!snap("100:106:100").all_ended_since(&then), "100 still runs");
        assert!(!snap("101:107:103,106").all_ended_since(&then), "103 still runs");
        assert!(snap("101:107:106").all_ended_since(&then), "newer ones do not matter");
        assert!(snap("105:105:").all_ended_since(&then));
        assert!(snap("5:5:").all_ended_since(&snap("5:5:")), "nothing was in progress");
    }

    #[test]
    fn contiguous_positions_are_handed_on_at_once() {
        let mut tracker = GapTracker::new(0);
        assert_eq!(tracker.observe([1, 2, 3], &snap("10:10:")), [1, 2, 3]);
        assert_eq!(tracker.observe([4], &snap("11:11:")), [4]);
        assert_eq!(tracker.released(), 4);
        // Positions at or below what was handed on are ignored (a repeated read).
        assert!(tracker.observe([3, 4], &snap("11:11:")).is_empty());
    }

    #[test]
    fn a_gap_is_held_while_any_transaction_that_may_hold_it_runs() {
        let mut tracker = GapTracker::new(9);
        // Both 10 and 12 were first missed while 50 and 51 ran: either may hold either.
        assert!(tracker.observe([11, 13], &snap("50:52:50,51")).is_empty());
        assert!(
            tracker.observe([], &snap("51:53:51")).is_empty(),
            "51 may still commit 10"
        );
        assert_eq!(tracker.observe([], &snap("53:53:")), [11, 13]);
    }

    #[test]
    fn a_gap_waits_for_the_transactions_in_progress_when_it_was_seen() {
        let mut tracker = GapTracker::new(9);
        // 11 committed; 10 is missing while transaction 50 runs.
        assert_eq!(tracker.observe([11], &snap("50:52:50")), Vec::<u64>::new());
        assert_eq!(tracker.waiting_for().collect::<Vec<_>>(), [10]);
        // Still running: keep waiting, even as later positions arrive.
        assert!(tracker.observe([12], &snap("50:53:50,52")).is_empty());
        // 10 arrives: everything goes out in order.
        assert_eq!(tracker.observe([10], &snap("52:54:52")), [10, 11, 12]);
        assert_eq!(tracker.waiting_for().count(), 0);
    }

    #[test]
    fn a_gap_whose_transactions_ended_without_it_is_skipped() {
        let mut tracker = GapTracker::new(9);
        // 10 is missing while transaction 50 runs; later 12 is missing while 50 and 51 run.
        assert!(tracker.observe([11], &snap("50:51:50")).is_empty());
        assert!(tracker.observe([13], &snap("50:53:50,51")).is_empty());
        assert_eq!(tracker.waiting_for().collect::<Vec<_>>(), [10, 12]);
        // 50 ended (rolled back: 10 never appears), 51 still runs: 10 is skipped, 12 still awaited.
        assert_eq!(tracker.observe([], &snap("51:53:51")), [11]);
        assert_eq!(tracker.released(), 11);
        assert_eq!(tracker.waiting_for().collect::<Vec<_>>(), [12]);
        // 51 ended too, and this read would see its row: 12 is a permanent gap.
        assert_eq!(tracker.observe([], &snap("53:53:")), [13]);
        assert_eq!(tracker.released(), 13);
    }

    #[test]
    fn a_read_with_nothing_in_progress_proves_its_gaps_permanent_at_once() {
        let mut tracker = GapTracker::new(0);
        // 1 was handed out before 2 (nextval is monotonic), so its writer had its xid before this read's
        // snapshot: with nothing in progress it had ended, and a commit would be visible here.
        assert_eq!(tracker.observe([2], &snap("20:20:")), [2]);
        assert_eq!(tracker.released(), 2);
    }

    /// Out-of-order commits, rollbacks and interleaved reads, checked against the truth: the tracker
    /// hands on exactly the committed positions, in order, and never passes one that may still commit.
    #[test]
    fn randomised_writers_and_reads_never_skip_a_late_commit() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _round in 0..200 {
            let mut tracker = GapTracker::new(0);
            let mut xid = 100u64;
            let mut position = 0u64;
            // Running writers: (xid, position).
            let mut running: Vec<(u64, u64)> = Vec::new();
            let mut committed: BTreeSet<u64> = BTreeSet::new();
            let mut handed: Vec<u64> = Vec::new();
            for step in 0..120 {
                match next(3) {
                    0 if step < 90 => {
                        // A writer gets its xid, then its position.
                        xid += 1;
                        position += 1;
                        running.push((xid, position));
                    }
                    1 if !running.is_empty() => {
                        let (_, p) = running.swap_remove(next(running.len() as u64) as usize);
                        if next(4) != 0 {
                            committed.insert(p);
                        }
                    }
                    _ => {
                        // A read: the committed rows above what was handed on, and the snapshot.
                        let in_progress: BTreeSet<u64> = running.iter().map(|(x, _)| *x).collect();
                        let facts = SnapshotFacts {
                            xmin: in_progress.first().copied().unwrap_or(xid + 1),
                            xmax: xid + 1,
                            in_progress,
                        };
                        let rows: Vec<u64> = committed.range(tracker.released() + 1..).copied().collect();
                        for p in tracker.observe(rows, &facts) {
                            assert!(running.iter().all(|(_, r)| *r > p), "{p} passed a running writer");
                            handed.push(p);
                        }
                    }
                }
            }
            // Everyone finishes; two more reads settle every gap.
            for (_, p) in running.drain(..) {
                committed.insert(p);
            }
            for later in 0..2 {
                let facts = snap(&format!("{0}:{0}:", xid + 2 + later));
                let rows: Vec<u64> = committed.range(tracker.released() + 1..).copied().collect();
                handed.extend(tracker.observe(rows, &facts));
            }
            assert_eq!(handed, committed.iter().copied().collect::<Vec<_>>());
        }
    }
}
