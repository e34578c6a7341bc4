//! "Merge into…" on the ticket page: the open ticket (the duplicate) goes into another one (the survivor)
//! the agent names by its key. The existing messages in order on the one connection: `LockTicket` for the
//! duplicate (unless the page already holds it), `LockTicket` for the survivor, then `MergeTicket` naming
//! the versions the agent saw. Afterwards both locks are given back, whatever the answer (the duplicate's
//! only when the page took it for the merge, or when the merge closed it), so a refusal changes nothing.
//! The wording of refusals is plain code, unit-tested natively.

use crate::ws::{Ack, Connection};
use loket_protocol::ticket::{Status, Ticket};
use loket_protocol::ws::ClientMessage;
use loket_protocol::{ApiError, ErrorCode, TicketId};

/// The survivor named by what the agent typed (`TKT-0041`, `tkt-41`, `41`, `#41`), or why not.
pub fn parse_survivor(text: &str, duplicate: TicketId) -> Result<TicketId, String> {
    let text = text.trim();
    let text = text.strip_prefix('#').unwrap_or(text);
    match TicketId::parse_key(text) {
        None => Err("Type the key of the ticket to merge into, for example TKT-0041 or 41.".to_string()),
        Some(id) if id == duplicate => Err(format!(
            "That is this ticket. Type the key of the ticket that should carry {}.",
            duplicate.key()
        )),
        Some(id) => Ok(id),
    }
}

/// Why the survivor as shown cannot take the merge (the server checks again and decides), if it cannot.
pub fn survivor_problem(survivor: &Ticket) -> Option<String> {
    if let Some(into) = survivor.merged_into {
        return Some(format!(
            "{} was itself merged into {}. Merge into {} instead.",
            survivor.key,
            into.key(),
            into.key()
        ));
    }
    (survivor.status == Status::Closed)
        .then(|| format!("{} is closed. Reopen it first, or choose another ticket.", survivor.key))
}

/// A merge that did not happen (or whose outcome is not known): which ticket refused, and the error.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeFailure {
    /// The ticket the refusal is about: the one whose lock was refused, or the one a stale version names.
    pub ticket: TicketId,
    pub error: ApiError,
}

/// Merges `duplicate` (as the agent saw it at `version`) into `survivor` (at `survivor_version`).
/// `holds_duplicate`: the page already holds the duplicate's lock (editing), and keeps it on a refusal.
pub async fn merge_into(
    conn: &Connection,
    duplicate: TicketId,
    version: i64,
    holds_duplicate: bool,
    survivor: TicketId,
    survivor_version: i64,
) -> Result<Ack, MergeFailure> {
    let failed = |ticket: TicketId| move |error: ApiError| MergeFailure { ticket, error };
    if !holds_duplicate {
        conn.request(ClientMessage::LockTicket { ticket_id: duplicate })
            .await
            .map_err(failed(duplicate))?;
    }
    let give_back_duplicate = || {
        if !holds_duplicate {
            conn.send(ClientMessage::UnlockTicket { ticket_id: duplicate });
        }
    };
    if let Err(error) = conn.request(ClientMessage::LockTicket { ticket_id: survivor }).await {
        give_back_duplicate();
        return Err(failed(survivor)(error));
    }
    let merged = conn
        .request(ClientMessage::MergeTicket {
            ticket_id: duplicate,
            version,
            into: survivor,
            into_version: survivor_version,
        })
        .await;
    // The page edits only the duplicate: the survivor's lock goes back either way.
    conn.send(ClientMessage::UnlockTicket { ticket_id: survivor });
    match merged {
        Ok(ack) => {
            // Merged: the duplicate is closed and takes no more edits.
            conn.send(ClientMessage::UnlockTicket { ticket_id: duplicate });
            Ok(ack)
        }
        Err(error) => {
            give_back_duplicate();
            let ticket = error.ticket.as_ref().map(|t| t.id).unwrap_or(duplicate);
            Err(MergeFailure { ticket, error })
        }
    }
}

/// What to tell the agent when the merge of `duplicate` into `survivor` did not happen.
pub fn refusal_text(failure: &MergeFailure, duplicate: TicketId, me: loket_protocol::AgentId) -> String {
    let key = failure.ticket.key();
    let error = &failure.error;
    match error.code {
        ErrorCode::TicketLocked => match &error.holder {
            Some(holder) if holder.id == me => {
                format!("Not merged: you are editing {key} in another window. Release it there, then merge again.")
            }
            Some(holder) => format!(
                "Not merged: {} is editing {key}. Ask them to finish or release it, then merge again.",
                holder.name
            ),
            None => format!("Not merged: someone else is editing {key}. Try again when they are done."),
        },
        ErrorCode::VersionConflict if failure.ticket == duplicate => {
            format!("Not merged: {key} changed meanwhile. Look at it again, then merge again.")
        }
        ErrorCode::VersionConflict => {
            format!("Not merged: {key} changed meanwhile. Check it below, then confirm again.")
        }
        ErrorCode::NotInQueue | ErrorCode::Forbidden => {
            format!("Not merged: {key} is in a queue you cannot act on. Ask a member of that queue to merge it.")
        }
        ErrorCode::NotLockHolder => "Not merged: this window lost a ticket's lock meanwhile. Merge again.".to_string(),
        ErrorCode::NotFound => format!("Not merged: there is no ticket {key}."),
        ErrorCode::OutcomeUnknown | ErrorCode::Unavailable => format!(
            "The connection dropped before the server answered. Reload {} to see whether it was merged.",
            duplicate.key()
        ),
        _ => format!("Not merged: {}", sentence(&error.message)),
    }
}

/// `message` ending with a full stop.
fn sentence(message: &str) -> String {
    let mut text = message.trim().to_string();
    if text.is_empty() {
        return "the server refused it.".to_string();
    }
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_protocol::AgentId;
    use loket_protocol::ticket::AgentRef;

    #[test]
    fn the_survivor_is_named_in_any_spelling_but_never_the_ticket_itself() {
        let this = TicketId(42);
        for typed in ["TKT-0041", "tkt-41", " 41 ", "#41"] {
            assert_eq!(parse_survivor(typed, this), Ok(TicketId(41)), "{typed}");
        }
        assert!(parse_survivor("TKT-0042", this).unwrap_err().contains("this ticket"));
        assert!(parse_survivor("lamp", this).is_err());
        assert!(parse_survivor("", this).is_err());
    }

    fn refused(ticket: i64, code: ErrorCode, holder: Option<(i64, &str)>) -> MergeFailure {
        let mut error = ApiError::new(code, "the ticket to merge into is closed");
        error.holder = holder.map(|(id, name)| AgentRef {
            id: AgentId(id),
            name: name.into(),
        });
        MergeFailure {
            ticket: TicketId(ticket),
            error,
        }
    }

    #[test]
    fn refusals_say_which_ticket_and_what_to_do() {
        let (dup, me) = (TicketId(42), AgentId(1));
        let text = |f: MergeFailure| refusal_text(&f, dup, me);
        let locked = text(refused(41, ErrorCode::TicketLocked, Some((2, "Sari"))));
        assert!(locked.contains("Sari is editing TKT-0041"), "{locked}");
        let mine = text(refused(41, ErrorCode::TicketLocked, Some((1, "Ayu"))));
        assert!(mine.contains("another window"), "{mine}");
        assert!(text(refused(41, ErrorCode::VersionConflict, None)).contains("TKT-0041 changed"));
        assert!(text(refused(42, ErrorCode::VersionConflict, None)).contains("TKT-0042 changed"));
        assert!(text(refused(41, ErrorCode::NotInQueue, None)).contains("queue"));
        assert_eq!(
            text(refused(42, ErrorCode::Conflict, None)),
            "Not merged: the ticket to merge into is closed."
        );
        assert!(text(refused(42, ErrorCode::OutcomeUnknown, None)).contains("Reload TKT-0042"));
    }
}
