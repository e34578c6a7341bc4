//! Merging a duplicate into another ticket, as plain rules: which merges are refused, and what the
//! duplicate becomes. The ticket actor feeds it both tickets as read with their rows locked (in id order)
//! and the live leases; the SQL in `db::tickets::merge` writes what it answers.

use loket_protocol::TicketId;
use loket_protocol::ticket::{Status, Ticket};

/// Why a merge is refused. Nothing is changed.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeRefusal {
    /// A ticket cannot be merged into itself.
    IntoItself,
    /// The duplicate was merged before (into the ticket named).
    AlreadyMerged(TicketId),
    /// The surviving ticket is closed; reopen it first or choose another.
    SurvivorClosed,
    /// The surviving ticket was itself merged into the ticket named; merge into that one.
    SurvivorMerged(TicketId),
    /// The duplicate changed since `version`: the current one is carried.
    StaleDuplicate(Box<Ticket>),
    /// The surviving ticket changed since `into_version`.
    StaleSurvivor(Box<Ticket>),
}

/// A merge the rules allow: the duplicate as it will be stored (closed, pointing at the survivor), and
/// the status it had (for the audit trail).
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    pub duplicate: Ticket,
    pub old_status: Status,
}

/// Decides the merge of `duplicate` (decided on at `version`) into `survivor` (at `into_version`), both
/// as they are now. The lease checks come first, in the actor: a merge needs both tickets' locks.
pub fn plan(duplicate: &Ticket, version: i64, survivor: &Ticket, into_version: i64) -> Result<MergePlan, MergeRefusal> {
    if duplicate.id == survivor.id {
        return Err(MergeRefusal::IntoItself);
    }
    if let Some(into) = duplicate.merged_into {
        return Err(MergeRefusal::AlreadyMerged(into));
    }
    if let Some(into) = survivor.merged_into {
        return Err(MergeRefusal::SurvivorMerged(into));
    }
    if survivor.status == Status::Closed {
        return Err(MergeRefusal::SurvivorClosed);
    }
    if duplicate.version != version {
        return Err(MergeRefusal::StaleDuplicate(Box::new(duplicate.clone())));
    }
    if survivor.version != into_version {
        return Err(MergeRefusal::StaleSurvivor(Box::new(survivor.clone())));
    }
    Ok(MergePlan {
        duplicate: Ticket {
            status: Status::Closed,
            merged_into: Some(survivor.id),
            // An agent acted on it: a reporter's reopening is seen.
            reopened_at: None,
            ..duplicate.clone()
        },
        old_status: duplicate.status,
    })
}

/// Locks are taken on both rows in this order, in every merge, so two merges of the same pair (either
/// way round) queue behind each other instead of deadlocking.
pub fn lock_order(a: TicketId, b: TicketId) -> [TicketId; 2] {
    if a.0 <= b.0 { [a, b] } else { [b, a] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use loket_protocol::QueueId;
    use loket_protocol::ticket::Priority;

    fn ticket(id: i64, status: Status, version: i64) -> Ticket {
        let at = chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        Ticket {
            id: TicketId(id),
            key: TicketId(id).key(),
            title: "Lampu jalan mati".into(),
            body: String::new(),
            status,
            priority: Priority::Normal,
            category: None,
            reporter: None,
            assignee: None,
            queue: QueueId(1),
            version,
            lock: None,
            created_at: at,
            updated_at: at,
            location: None,
            reopened_at: None,
            rating: None,
            merged_into: None,
            sla: Vec::new(),
        }
    }

    #[test]
    fn a_duplicate_is_closed_and_points_at_the_survivor() {
        let dup = ticket(7, Status::Open, 3);
        let survivor = ticket(42, Status::Pending, 5);
        let planned = plan(&dup, 3, &survivor, 5).unwrap();
        assert_eq!(planned.duplicate.status, Status::Closed);
        assert_eq!(planned.duplicate.merged_into, Some(TicketId(42)));
        assert_eq!(planned.old_status, Status::Open);
        assert_eq!(planned.duplicate.version, 3, "the store bumps the version");
    }

    #[test]
    fn refusals() {
        let dup = ticket(7, Status::Open, 3);
        let survivor = ticket(42, Status::Open, 5);
        assert_eq!(plan(&dup, 3, &dup, 3), Err(MergeRefusal::IntoItself));
        let merged = Ticket {
            status: Status::Closed,
            merged_into: Some(TicketId(9)),
            sla: Vec::new(),
            ..dup.clone()
        };
        assert_eq!(
            plan(&merged, 3, &survivor, 5),
            Err(MergeRefusal::AlreadyMerged(TicketId(9)))
        );
        let gone = Ticket {
            status: Status::Closed,
            merged_into: Some(TicketId(9)),
            sla: Vec::new(),
            ..survivor.clone()
        };
        assert_eq!(plan(&dup, 3, &gone, 5), Err(MergeRefusal::SurvivorMerged(TicketId(9))));
        let closed = ticket(42, Status::Closed, 5);
        assert_eq!(plan(&dup, 3, &closed, 5), Err(MergeRefusal::SurvivorClosed));
        assert!(matches!(plan(&dup, 2, &survivor, 5), Err(MergeRefusal::StaleDuplicate(t)) if t.version == 3));
        assert!(matches!(plan(&dup, 3, &survivor, 4), Err(MergeRefusal::StaleSurvivor(t)) if t.version == 5));
        // A resolved survivor may still take a duplicate; a closed duplicate may be merged.
        assert!(plan(&ticket(7, Status::Closed, 3), 3, &ticket(42, Status::Resolved, 5), 5).is_ok());
    }

    #[test]
    fn both_rows_are_locked_lowest_id_first() {
        assert_eq!(lock_order(TicketId(42), TicketId(7)), [TicketId(7), TicketId(42)]);
        assert_eq!(lock_order(TicketId(7), TicketId(42)), [TicketId(7), TicketId(42)]);
    }
}
