//! The presence table's rules: which session views which ticket and types there, when typing lapses and
//! announcements from other instances expire, and which tickets' sets changed (so only those are sent).
//!
//! Plain data, time passed in: the actor in `crate::presence` owns one table per process and keys its
//! entries by (instance, session).

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::{Duration, Instant};

use loket_protocol::presence::{TYPING_LAPSE_MS, listed};
use loket_protocol::ticket::AgentRef;
use loket_protocol::{QueueId, TicketId};

/// How long typing lasts after the last `Typing`.
pub const TYPING_LAPSE: Duration = Duration::from_millis(TYPING_LAPSE_MS);

/// One session on one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub agent: AgentRef,
    pub ticket: TicketId,
    /// The ticket's queue when the session started viewing it: who may see this entry.
    pub queue: QueueId,
    /// Typing until then.
    pub typing_until: Option<Instant>,
    /// An entry another instance announced goes at this time unless announced again; a local one never
    /// expires (it goes when its session leaves).
    pub expires: Option<Instant>,
}

impl Entry {
    fn typing(&self, now: Instant) -> bool {
        self.typing_until.is_some_and(|until| until > now)
    }
}

/// What clients were last told of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub queue: QueueId,
    pub viewers: Vec<AgentRef>,
    pub typing: Vec<AgentRef>,
}

/// `Typing` for a ticket the session does not view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotViewing;

/// Every session viewing a ticket, this process's and (as last announced) the other instances'.
#[derive(Debug)]
pub struct Table<K> {
    entries: HashMap<K, Entry>,
    shown: HashMap<TicketId, Shown>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Table {
            entries: HashMap::new(),
            shown: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Copy> Table<K> {
    /// `key` now views `entry`'s ticket (`None`: nothing). Answers the tickets whose set may have changed.
    pub fn set(&mut self, key: K, entry: Option<Entry>) -> Vec<TicketId> {
        let mut touched = Vec::with_capacity(2);
        if let Some(new) = &entry {
            touched.push(new.ticket);
        }
        let old = match entry {
            Some(entry) => self.entries.insert(key, entry),
            None => self.entries.remove(&key),
        };
        if let Some(old) = old
            && !touched.contains(&old.ticket)
        {
            touched.push(old.ticket);
        }
        touched
    }

    /// `key` typed on `ticket` at `now`: typing until [`TYPING_LAPSE`] later. Answers whether it was not
    /// typing before (so its set changed).
    pub fn typing(&mut self, key: K, ticket: TicketId, now: Instant) -> Result<bool, NotViewing> {
        let entry = self
            .entries
            .get_mut(&key)
            .filter(|e| e.ticket == ticket)
            .ok_or(NotViewing)?;
        let started = !entry.typing(now);
        entry.typing_until = Some(now + TYPING_LAPSE);
        Ok(started)
    }

    /// The entry of `key`.
    pub fn get(&self, key: K) -> Option<&Entry> {
        self.entries.get(&key)
    }

    /// Every entry.
    pub fn entries(&self) -> impl Iterator<Item = (K, &Entry)> {
        self.entries.iter().map(|(k, e)| (*k, e))
    }

    /// Forgets announced entries that expired and typing that lapsed by `now`; answers the tickets touched.
    pub fn expire(&mut self, now: Instant) -> Vec<TicketId> {
        let mut touched = HashSet::new();
        self.entries.retain(|_, e| {
            if e.expires.is_some_and(|at| at <= now) {
                touched.insert(e.ticket);
                return false;
            }
            if e.typing_until.is_some_and(|until| until <= now) {
                e.typing_until = None;
                touched.insert(e.ticket);
            }
            true
        });
        touched.into_iter().collect()
    }

    /// Forgets every entry `gone` picks (an instance's sessions, say); answers the tickets touched.
    pub fn forget(&mut self, gone: impl Fn(K) -> bool) -> Vec<TicketId> {
        let mut touched = HashSet::new();
        self.entries.retain(|k, e| {
            let keep = !gone(*k);
            if !keep {
                touched.insert(e.ticket);
            }
            keep
        });
        touched.into_iter().collect()
    }

    /// Ticket `ticket`'s set at `now` (`None`: nobody views it).
    pub fn current(&self, ticket: TicketId, now: Instant) -> Option<Shown> {
        let on: Vec<&Entry> = self.entries.values().filter(|e| e.ticket == ticket).collect();
        let first = on.first()?;
        Some(Shown {
            queue: first.queue,
            viewers: listed(on.iter().map(|e| e.agent.clone())),
            typing: listed(on.iter().filter(|e| e.typing(now)).map(|e| e.agent.clone())),
        })
    }

    /// Of `tickets`, those whose set differs from what clients were last told, with the set to tell them
    /// now (empty lists: nobody views it any more); remembers it as told.
    pub fn changes(&mut self, tickets: impl IntoIterator<Item = TicketId>, now: Instant) -> Vec<(TicketId, Shown)> {
        let mut out = Vec::new();
        for ticket in tickets {
            match self.current(ticket, now) {
                Some(shown) => {
                    if self.shown.get(&ticket) != Some(&shown) {
                        self.shown.insert(ticket, shown.clone());
                        out.push((ticket, shown));
                    }
                }
                None => {
                    if let Some(last) = self.shown.remove(&ticket) {
                        out.push((
                            ticket,
                            Shown {
                                queue: last.queue,
                                viewers: vec![],
                                typing: vec![],
                            },
                        ));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_protocol::AgentId;

    const TICKET: TicketId = TicketId(7);
    const QUEUE: QueueId = QueueId(2);

    fn sari() -> AgentRef {
        AgentRef {
            id: AgentId(2),
            name: "Sari".into(),
        }
    }

    fn viewing(agent: AgentRef, ticket: TicketId, expires: Option<Instant>) -> Option<Entry> {
        Some(Entry {
            agent,
            ticket,
            queue: QUEUE,
            typing_until: None,
            expires,
        })
    }

    #[test]
    fn two_tabs_count_once_and_the_set_empties_when_both_leave() {
        let now = Instant::now();
        let mut table = Table::default();
        table.set(1u64, viewing(sari(), TICKET, None));
        let first = table.changes([TICKET], now);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].1.viewers, vec![sari()]);
        // A second tab of the same agent changes nothing clients see.
        let touched = table.set(2u64, viewing(sari(), TICKET, None));
        assert!(table.changes(touched, now).is_empty());
        let touched = table.set(1, None);
        assert!(table.changes(touched, now).is_empty());
        let touched = table.set(2, None);
        let left = table.changes(touched, now);
        assert_eq!(
            left,
            vec![(
                TICKET,
                Shown {
                    queue: QUEUE,
                    viewers: vec![],
                    typing: vec![]
                }
            )]
        );
        // Told once: nothing more to tell.
        assert!(table.changes([TICKET], now).is_empty());
    }

    #[test]
    fn moving_to_another_ticket_touches_both() {
        let mut table = Table::default();
        table.set(1u64, viewing(sari(), TICKET, None));
        let mut touched = table.set(1, viewing(sari(), TicketId(8), None));
        touched.sort();
        assert_eq!(touched, vec![TICKET, TicketId(8)]);
    }

    #[test]
    fn typing_needs_viewing_and_lapses() {
        let now = Instant::now();
        let mut table = Table::default();
        assert_eq!(table.typing(1u64, TICKET, now), Err(NotViewing));
        table.set(1, viewing(sari(), TICKET, None));
        table.changes([TICKET], now);
        assert_eq!(table.typing(1, TicketId(8), now), Err(NotViewing));
        assert_eq!(table.typing(1, TICKET, now), Ok(true));
        assert_eq!(table.changes([TICKET], now)[0].1.typing, vec![sari()]);
        // Typing again while typing extends it; clients hear nothing new.
        let later = now + Duration::from_secs(3);
        assert_eq!(table.typing(1, TICKET, later), Ok(false));
        assert!(table.changes([TICKET], later).is_empty());
        assert!(table.expire(now + TYPING_LAPSE).is_empty());
        let lapsed = table.expire(later + TYPING_LAPSE);
        assert_eq!(lapsed, vec![TICKET]);
        let told = table.changes(lapsed, later + TYPING_LAPSE);
        assert_eq!((told[0].1.viewers.len(), told[0].1.typing.len()), (1, 0));
    }

    #[test]
    fn announced_entries_expire_unless_announced_again_and_can_be_forgotten_at_once() {
        let now = Instant::now();
        let ttl = Duration::from_secs(30);
        let mut table = Table::default();
        table.set((9u8, 1u64), viewing(sari(), TICKET, Some(now + ttl)));
        table.set((1u8, 1u64), viewing(sari(), TicketId(8), None));
        assert!(table.expire(now + ttl / 2).is_empty());
        table.set((9, 1), viewing(sari(), TICKET, Some(now + ttl + ttl / 2)));
        assert!(table.expire(now + ttl).is_empty());
        assert_eq!(table.expire(now + 2 * ttl), vec![TICKET]);
        // Local entries never expire; forgetting picks by key.
        assert!(table.get((1, 1)).is_some());
        assert_eq!(table.forget(|(instance, _)| instance == 1), vec![TicketId(8)]);
        assert_eq!(table.entries().count(), 0);
    }
}
