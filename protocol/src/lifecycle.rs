//! The default ticket lifecycle: which status changes are allowed, and for whom. Shared by the server
//! (which refuses anything else with `invalid_transition`) and the web client (which offers only these).
//!
//! ```text
//! new → open → pending → resolved → closed
//!        ↑        │          │         │
//!        └────────┴──────────┴─────────┘   (pending, resolved and closed may go back to open)
//! any status → closed                       (admins only)
//! ```

use serde::{Deserialize, Serialize};

use crate::api::Role;
use crate::ticket::Status;

/// What a status means for the work, whatever it is called: service-level clocks run in `Initial` and
/// `Active`, pause in `Waiting` and stop in `Done`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    /// Filed, nobody has started on it.
    Initial,
    /// Someone works on it.
    Active,
    /// Waiting on the reporter or a third party.
    Waiting,
    /// Resolved or closed.
    Done,
}

/// The kind of each status of the default lifecycle.
pub fn kind_of(status: Status) -> StatusKind {
    match status {
        Status::New => StatusKind::Initial,
        Status::Open => StatusKind::Active,
        Status::Pending => StatusKind::Waiting,
        Status::Resolved | Status::Closed => StatusKind::Done,
    }
}

/// Whether a ticket may move from `from` to `to` when `role` asks. Staying put is not a transition.
pub fn can_transition(from: Status, to: Status, role: Role) -> bool {
    use Status::*;
    let normal = matches!(
        (from, to),
        (New, Open)
            | (Open, Pending)
            | (Pending, Resolved)
            | (Resolved, Closed)
            | (Pending, Open)
            | (Resolved, Open)
            | (Closed, Open)
    );
    normal || (to == Closed && from != Closed && role == Role::Admin)
}

/// The statuses `role` may move a ticket in `from` to, in lifecycle order (for clients' menus).
pub fn next_statuses(from: Status, role: Role) -> Vec<Status> {
    Status::ALL
        .into_iter()
        .filter(|to| can_transition(from, *to, role))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn every_status_has_the_kind_its_clocks_need() {
        assert_eq!(kind_of(New), StatusKind::Initial);
        assert_eq!(kind_of(Open), StatusKind::Active);
        assert_eq!(kind_of(Pending), StatusKind::Waiting);
        assert_eq!(kind_of(Resolved), StatusKind::Done);
        assert_eq!(kind_of(Closed), StatusKind::Done);
    }

    #[test]
    fn the_forward_path_and_reopening_are_allowed_for_agents() {
        for (from, to) in [
            (New, Open),
            (Open, Pending),
            (Pending, Resolved),
            (Resolved, Closed),
            (Pending, Open),
            (Resolved, Open),
            (Closed, Open),
        ] {
            assert!(can_transition(from, to, Role::Agent), "{from:?} → {to:?}");
        }
    }

    #[test]
    fn shortcuts_are_refused_for_agents() {
        for (from, to) in [
            (New, Pending),
            (New, Resolved),
            (New, Closed),
            (Open, Resolved),
            (Open, Closed),
            (Pending, Closed),
            (Closed, Resolved),
            (Open, New),
            (Open, Open),
        ] {
            assert!(!can_transition(from, to, Role::Agent), "{from:?} → {to:?}");
        }
    }

    #[test]
    fn admins_may_close_from_anywhere_but_otherwise_follow_the_lifecycle() {
        for from in [New, Open, Pending, Resolved] {
            assert!(can_transition(from, Closed, Role::Admin));
        }
        assert!(!can_transition(Closed, Closed, Role::Admin));
        assert!(!can_transition(New, Pending, Role::Admin));
        assert_eq!(next_statuses(New, Role::Agent), vec![Open]);
        assert_eq!(next_statuses(New, Role::Admin), vec![Open, Closed]);
        assert_eq!(next_statuses(Resolved, Role::Agent), vec![Open, Closed]);
    }
}
