//! Following the event log from outside its writer: which positions a reader may hand on, in order, and
//! when a missing position may be passed for good. Plain data, fed with what the reader saw; no I/O.
//!
//! A position `p` missing below one the reader saw was handed out to a transaction that had its id
//! before it took `p` (every writer does, `db::event_log`). That transaction may still commit. The
//! reader takes a fresh transaction id `fence` *after* the read that first missed `p` (so `fence` is above
//! the id of any transaction that had one then); once a later read's snapshot has `xmin >= fence` (every
//! transaction below `fence` has ended) and that read still lacks `p`, `p` stays empty for good.
//!
//! This is stricter than comparing the snapshot's in-progress list alone (`domain::gaps`): PostgreSQL's
//! `pg_current_snapshot()` lists only transactions below its `xmax` (one past the newest *completed*
//! one), so a transaction with a newer id that is still running appears in no list; a three-instance test
//! under twenty writers passed such a position while its transaction had yet to commit.

use std::collections::BTreeMap;

/// A reader's place in the log: everything up to [`Follow::released`] was handed on (or is a permanent
/// gap); events seen above a missing position wait.
#[derive(Debug, Clone)]
pub struct Follow<T> {
    released: u64,
    held: BTreeMap<u64, T>,
    /// Missing positions below a held one, with the transaction id that fences them.
    fences: BTreeMap<u64, u64>,
}

impl<T> Follow<T> {
    /// A reader whose history up to `released` is complete.
    pub fn new(released: u64) -> Self {
        Follow {
            released,
            held: BTreeMap::new(),
            fences: BTreeMap::new(),
        }
    }

    /// The newest position handed on.
    pub fn released(&self) -> u64 {
        self.released
    }

    /// Whether events wait above a missing position.
    pub fn waiting(&self) -> bool {
        !self.held.is_empty()
    }

    /// Feeds one read: the `events` it found above [`Follow::released`] and its snapshot's `xmin` (every
    /// transaction below it had ended). Answers the events now to hand on, in position order.
    pub fn observe(&mut self, events: impl IntoIterator<Item = (u64, T)>, xmin: u64) -> Vec<(u64, T)> {
        for (position, event) in events {
            if position > self.released {
                self.fences.remove(&position);
                self.held.insert(position, event);
            }
        }
        let mut out = Vec::new();
        loop {
            let next = self.released + 1;
            if let Some(event) = self.held.remove(&next) {
                out.push((next, event));
            } else if self.held.is_empty() {
                break;
            } else {
                match self.fences.get(&next) {
                    // Every transaction that could still write it has ended, and this read lacks it.
                    Some(&fence) if xmin >= fence => {
                        self.fences.remove(&next);
                    }
                    _ => break,
                }
            }
            self.released = next;
        }
        out
    }

    /// Whether a missing position has no fence yet (the reader should take one: [`Follow::fence`]).
    pub fn unfenced(&self) -> bool {
        self.missing().any(|p| !self.fences.contains_key(&p))
    }

    /// Gives every missing position without a fence the fence `xid`: a transaction id taken after the
    /// read that missed them.
    pub fn fence(&mut self, xid: u64) {
        let missing: Vec<u64> = self.missing().collect();
        for p in missing {
            self.fences.entry(p).or_insert(xid);
        }
    }

    /// What the next read must cover: every position above this, and the missing ones below it
    /// ([`Follow::missing`]); events already held need not be read again.
    pub fn read_from(&self) -> u64 {
        self.held.keys().next_back().copied().unwrap_or(self.released)
    }

    /// Positions missing below a held one, lowest first.
    pub fn missing(&self) -> impl Iterator<Item = u64> + '_ {
        let highest = self.held.keys().next_back().copied().unwrap_or(self.released);
        (self.released + 1..highest).filter(|p| !self.held.contains_key(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_in_order_are_handed_on_at_once() {
        let mut follow = Follow::new(10);
        let out = follow.observe([(11, "a"), (12, "b")], 100);
        assert_eq!(out, [(11, "a"), (12, "b")]);
        assert_eq!(follow.released(), 12);
        assert!(!follow.waiting());
    }

    #[test]
    fn a_missing_position_holds_later_ones_until_it_commits() {
        let mut follow = Follow::new(10);
        assert_eq!(follow.observe([(11, "a"), (13, "c")], 100), [(11, "a")]);
        assert!(follow.waiting() && follow.unfenced());
        follow.fence(105);
        assert!(!follow.unfenced());
        // Transaction 104 (say, the writer of 12) is still running: xmin 104 < fence 105.
        assert_eq!(follow.observe([(13, "c")], 104), []);
        // It commits: 12 arrives and both go, in order.
        assert_eq!(follow.observe([(12, "b"), (13, "c")], 106), [(12, "b"), (13, "c")]);
        assert_eq!(follow.released(), 13);
    }

    #[test]
    fn a_gap_is_passed_only_once_everything_below_its_fence_ended() {
        let mut follow = Follow::new(0);
        assert_eq!(follow.observe([(2, "b")], 50), []);
        // No fence yet: even a snapshot with nothing running does not pass it (its writer may have an id
        // above that snapshot's xmax, listed nowhere).
        assert_eq!(follow.observe([(2, "b")], 1_000), []);
        follow.fence(60);
        assert_eq!(follow.observe([(2, "b")], 59), []);
        assert_eq!(follow.observe([(2, "b")], 60), [(2, "b")]);
        assert_eq!(follow.released(), 2);
        assert!(!follow.waiting());
    }

    #[test]
    fn a_read_covers_what_is_missing_and_what_is_new_only() {
        let mut follow = Follow::new(0);
        follow.observe([(1, "a"), (3, "c"), (4, "d"), (6, "f")], 10);
        assert_eq!(follow.read_from(), 6);
        assert_eq!(follow.missing().collect::<Vec<_>>(), [2, 5]);
        // The next read brings only 2 and something new: the held ones follow it out.
        assert_eq!(follow.observe([(2, "b"), (7, "g")], 10), [(2, "b"), (3, "c"), (4, "d")]);
        assert_eq!(follow.missing().collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn fences_are_per_position_and_a_late_arrival_clears_its_own() {
        let mut follow = Follow::new(0);
        follow.observe([(3, "c")], 10);
        follow.fence(20);
        follow.observe([(5, "e")], 15);
        // 4 is newly missing: only it needs a fence.
        assert!(follow.unfenced());
        follow.fence(30);
        // 1 and 2 are passed at xmin 20, 4 waits for 30.
        assert_eq!(follow.observe([], 25), [(3, "c")]);
        assert_eq!(follow.released(), 3);
        assert_eq!(follow.observe([(4, "d")], 25), [(4, "d"), (5, "e")]);
        assert_eq!(follow.released(), 5);
    }
}
