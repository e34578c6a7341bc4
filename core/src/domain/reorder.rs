//! The reorder buffer: events are released to the bus strictly in position order, although the
//! transactions that write them commit in any order. Plain data, fed by `event_log`; no runtime, no I/O.
//!
//! PostgreSQL hands out positions (`nextval`) in one order and transactions commit in another: A takes 10,
//! B takes 11, B commits first. Releasing 11 at once would let a reader that saw 11 skip 10 for good. So
//! a writer *reserves* a slot before it asks for its position, *numbers* it when the position comes back
//! and then *commits* it with its event (after COMMIT) or *abandons* it (rolled back or failed). An event
//! is released when nothing that could still end up below it is unresolved:
//!
//! - a numbered slot that is neither committed nor abandoned holds back every position above its own;
//! - a reserved slot still waiting for its number will get a position above the highest position any
//!   writer had been told when it reserved (its *floor*: `nextval` is monotonic and was asked after
//!   that), so it holds back every position above its floor.
//!
//! The *watermark* is the newest released position: every event at or below it is committed and
//! released, or was never committed (a rolled-back position), and nothing below it can appear later.
//!
//! ```text
//! reserve a, reserve b          floors 0, 0
//! number b = 11, commit b       held: a may still get 10
//! number a = 10                 held: 10 is pending
//! commit a                      release 10, 11   watermark 11
//! ```

use std::collections::{BTreeMap, HashMap};

/// Names one reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlotId(u64);

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Waiting for its position, which will be above `floor`.
    Reserved { floor: u64 },
    /// Its position is known; its transaction has not ended.
    Numbered { position: u64 },
}

/// What a numbered position waits for.
#[derive(Debug, Clone, PartialEq)]
enum Entry<E> {
    Pending(SlotId),
    Committed(E),
}

/// A mistake by the caller: the buffer stays consistent and says what went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Misuse {
    #[error("slot {0:?} is not reserved (resolved already, or never reserved)")]
    UnknownSlot(SlotId),
    #[error("position {position} is at or below the watermark {watermark}; it cannot be released in order")]
    BelowWatermark { position: u64, watermark: u64 },
    #[error("position {0} was numbered twice")]
    Duplicate(u64),
}

/// The buffer. `E` is the event carried from commit to release.
#[derive(Debug, Clone)]
pub struct ReorderBuffer<E> {
    next_slot: u64,
    /// The highest position any writer was told so far: the floor of new reservations.
    highest_taken: u64,
    slots: HashMap<SlotId, Slot>,
    /// Reservations without a number, by floor (how many per floor).
    floors: BTreeMap<u64, usize>,
    /// Numbered positions not released yet.
    numbered: BTreeMap<u64, Entry<E>>,
    watermark: u64,
}

impl<E> ReorderBuffer<E> {
    /// A buffer whose history up to `watermark` is complete (everything at or below it was committed and
    /// published before, or never will be).
    pub fn new(watermark: u64) -> Self {
        ReorderBuffer {
            next_slot: 1,
            highest_taken: watermark,
            slots: HashMap::new(),
            floors: BTreeMap::new(),
            numbered: BTreeMap::new(),
            watermark,
        }
    }

    /// The newest released position.
    pub fn watermark(&self) -> u64 {
        self.watermark
    }

    /// How many slots are unresolved (reserved or numbered, not yet committed or abandoned).
    pub fn unresolved(&self) -> usize {
        self.slots.len()
    }

    /// Reserves a slot, before its writer asks PostgreSQL for a position.
    pub fn reserve(&mut self) -> SlotId {
        let id = SlotId(self.next_slot);
        self.next_slot += 1;
        let floor = self.highest_taken;
        self.slots.insert(id, Slot::Reserved { floor });
        *self.floors.entry(floor).or_default() += 1;
        id
    }

    /// The floor of a reserved slot: its position, when it comes, is above this.
    pub fn floor(&self, id: SlotId) -> Option<u64> {
        match self.slots.get(&id)? {
            Slot::Reserved { floor } => Some(*floor),
            Slot::Numbered { position } => Some(position - 1),
        }
    }

    fn unfloor(&mut self, floor: u64) {
        if let Some(count) = self.floors.get_mut(&floor) {
            *count -= 1;
            if *count == 0 {
                self.floors.remove(&floor);
            }
        }
    }

    /// Records the position PostgreSQL gave `id`'s writer. (Numbering a slot twice with the same
    /// position is harmless.)
    pub fn number(&mut self, id: SlotId, position: u64) -> Result<(), Misuse> {
        match self.slots.get(&id).copied() {
            None => Err(Misuse::UnknownSlot(id)),
            Some(Slot::Numbered { position: had }) if had == position => Ok(()),
            Some(Slot::Numbered { .. }) => Err(Misuse::Duplicate(position)),
            Some(Slot::Reserved { floor }) => {
                if position <= self.watermark {
                    return Err(Misuse::BelowWatermark {
                        position,
                        watermark: self.watermark,
                    });
                }
                if self.numbered.contains_key(&position) {
                    return Err(Misuse::Duplicate(position));
                }
                self.unfloor(floor);
                self.slots.insert(id, Slot::Numbered { position });
                self.numbered.insert(position, Entry::Pending(id));
                self.highest_taken = self.highest_taken.max(position);
                Ok(())
            }
        }
    }

    /// `id`'s transaction committed with `event` at `position` (numbering it too, if it was not).
    /// Call [`ReorderBuffer::drain`] afterwards.
    pub fn commit(&mut self, id: SlotId, position: u64, event: E) -> Result<(), Misuse> {
        self.number(id, position)?;
        self.slots.remove(&id);
        self.numbered.insert(position, Entry::Committed(event));
        Ok(())
    }

    /// `id`'s transaction did not commit (rolled back, failed, or found not to have committed): its
    /// position, if it had one, stays empty forever. Call [`ReorderBuffer::drain`] afterwards.
    pub fn abandon(&mut self, id: SlotId) -> Result<(), Misuse> {
        match self.slots.remove(&id) {
            None => Err(Misuse::UnknownSlot(id)),
            Some(Slot::Reserved { floor }) => {
                self.unfloor(floor);
                Ok(())
            }
            Some(Slot::Numbered { position }) => {
                self.numbered.remove(&position);
                Ok(())
            }
        }
    }

    /// The committed events that may go out now, in position order; the watermark moves to the last.
    pub fn drain(&mut self) -> Vec<(u64, E)> {
        // A reserved slot's position will be above its floor: positions up to the lowest floor are safe.
        let bound = self.floors.keys().next().copied().unwrap_or(u64::MAX);
        let mut out = Vec::new();
        while let Some(entry) = self.numbered.first_entry() {
            let position = *entry.key();
            if position > bound || matches!(entry.get(), Entry::Pending(_)) {
                break;
            }
            if let Entry::Committed(event) = entry.remove() {
                out.push((position, event));
                self.watermark = position;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(released: &[(u64, &'static str)]) -> Vec<u64> {
        released.iter().map(|(p, _)| *p).collect()
    }

    #[test]
    fn a_late_committing_lower_position_holds_back_the_higher_one() {
        let mut buffer = ReorderBuffer::new(9);
        let (a, b) = (buffer.reserve(), buffer.reserve());
        buffer.number(a, 10).unwrap();
        buffer.number(b, 11).unwrap();
        buffer.commit(b, 11, "b").unwrap();
        assert!(buffer.drain().is_empty(), "10 is pending");
        assert_eq!(buffer.watermark(), 9);
        buffer.commit(a, 10, "a").unwrap();
        assert_eq!(buffer.drain(), vec![(10, "a"), (11, "b")]);
        assert_eq!(buffer.watermark(), 11);
        assert_eq!(buffer.unresolved(), 0);
    }

    #[test]
    fn a_reservation_without_its_number_holds_back_everything_above_its_floor() {
        let mut buffer = ReorderBuffer::new(0);
        let early = buffer.reserve();
        buffer.number(early, 1).unwrap();
        buffer.commit(early, 1, "first").unwrap();
        assert_eq!(positions(&buffer.drain()), [1]);
        // `a` reserves (floor 1) but its position has not come back; `b` reserves later, gets 3, commits.
        let a = buffer.reserve();
        let b = buffer.reserve();
        buffer.commit(b, 3, "b").unwrap();
        assert!(buffer.drain().is_empty(), "a may still get 2");
        // It does: released in order.
        buffer.number(a, 2).unwrap();
        assert!(buffer.drain().is_empty(), "2 is pending");
        buffer.commit(a, 2, "a").unwrap();
        assert_eq!(buffer.drain(), vec![(2, "a"), (3, "b")]);
    }

    #[test]
    fn a_reservation_only_holds_back_positions_above_its_floor() {
        let mut buffer = ReorderBuffer::new(0);
        let a = buffer.reserve();
        buffer.number(a, 5).unwrap();
        // `late` reserves after 5 was handed out: its position will be above 5.
        let late = buffer.reserve();
        assert_eq!(buffer.floor(late), Some(5));
        buffer.commit(a, 5, "a").unwrap();
        assert_eq!(
            positions(&buffer.drain()),
            [5],
            "5 is not held back by a slot whose floor is 5"
        );
        buffer.abandon(late).unwrap();
        assert_eq!(buffer.unresolved(), 0);
    }

    #[test]
    fn abandoned_positions_stay_empty_and_release_what_waited_on_them() {
        let mut buffer = ReorderBuffer::new(0);
        let (a, b, c) = (buffer.reserve(), buffer.reserve(), buffer.reserve());
        buffer.number(a, 1).unwrap();
        buffer.number(b, 2).unwrap();
        buffer.commit(c, 3, "c").unwrap();
        buffer.commit(b, 2, "b").unwrap();
        assert!(buffer.drain().is_empty());
        buffer.abandon(a).unwrap();
        assert_eq!(buffer.drain(), vec![(2, "b"), (3, "c")]);
        // A reservation abandoned before it was numbered (the statement failed) releases as well.
        let (d, e) = (buffer.reserve(), buffer.reserve());
        buffer.commit(e, 5, "e").unwrap();
        assert!(buffer.drain().is_empty());
        buffer.abandon(d).unwrap();
        assert_eq!(buffer.drain(), vec![(5, "e")]);
        assert_eq!(buffer.watermark(), 5);
    }

    #[test]
    fn misuse_is_refused_without_breaking_the_order() {
        let mut buffer = ReorderBuffer::new(10);
        let a = buffer.reserve();
        assert_eq!(
            buffer.number(a, 10),
            Err(Misuse::BelowWatermark {
                position: 10,
                watermark: 10
            })
        );
        buffer.number(a, 12).unwrap();
        buffer.number(a, 12).unwrap();
        assert_eq!(buffer.number(a, 13), Err(Misuse::Duplicate(13)));
        let b = buffer.reserve();
        assert_eq!(buffer.number(b, 12), Err(Misuse::Duplicate(12)));
        buffer.commit(a, 12, "a").unwrap();
        assert_eq!(buffer.abandon(a), Err(Misuse::UnknownSlot(a)));
        buffer.abandon(b).unwrap();
        assert_eq!(buffer.drain(), vec![(12, "a")]);
    }

    /// Many writers taking positions in one order and committing in another (some rolling back): the
    /// released stream is always increasing, never skips a committed position, and ends complete.
    #[test]
    fn any_commit_order_releases_every_committed_event_once_in_order() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _round in 0..200 {
            let mut buffer = ReorderBuffer::new(0);
            let mut sequence = 0u64;
            let mut open: Vec<(SlotId, Option<u64>)> = Vec::new();
            let mut committed = Vec::new();
            let mut released: Vec<u64> = Vec::new();
            let mut steps = 0;
            while steps < 60 || !open.is_empty() {
                steps += 1;
                match next(4) {
                    0 if steps < 60 => open.push((buffer.reserve(), None)),
                    1 => {
                        // The next `nextval` goes to a writer still waiting for its number.
                        if let Some(slot) = open.iter_mut().find(|(_, p)| p.is_none()) {
                            sequence += 1;
                            slot.1 = Some(sequence);
                            buffer.number(slot.0, sequence).unwrap();
                        }
                    }
                    _ if !open.is_empty() => {
                        let i = next(open.len() as u64) as usize;
                        let (id, position) = open[i];
                        let Some(position) = position else { continue };
                        open.swap_remove(i);
                        if next(5) == 0 {
                            buffer.abandon(id).unwrap();
                        } else {
                            buffer.commit(id, position, position).unwrap();
                            committed.push(position);
                        }
                    }
                    _ => {}
                }
                for (position, event) in buffer.drain() {
                    assert_eq!(position, event);
                    assert!(released.last().is_none_or(|last| *last < position), "in order");
                    // Nothing unresolved may end up below a released position.
                    assert!(open.iter().all(|(_, p)| p.is_none_or(|p| p > position)));
                    released.push(position);
                }
            }
            committed.sort_unstable();
            assert_eq!(released, committed, "every committed event, once");
            assert_eq!(buffer.unresolved(), 0);
        }
    }
}
