//! View cursors: where the next page of a view starts, as the sort key and id of the last ticket sent,
//! encoded into an opaque string (`next_cursor` on the wire) and read back. Plain code, no I/O.
//!
//! The string is `base64url("v1|<sort>|<key…>|<id>")`: opaque to clients, which only hand it back. A cursor
//! names its sort, so one taken from another sort is refused rather than giving a wrong page. Timestamps
//! travel as microseconds since the epoch (PostgreSQL's precision) and a relevance score as the bits of
//! its `real`, so the keyset comparison in SQL is exact.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use loket_protocol::view::Sort;
use loket_protocol::{TicketId, Timestamp};

/// The longest cursor string read; ours are well under it.
const MAX_CURSOR_CHARS: usize = 200;

/// The last ticket of a page, in the terms of the view's sort.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum After {
    /// `newest`: `(created_at, id)` descending.
    Newest { created_at: Timestamp, id: TicketId },
    /// `oldest`: `(created_at, id)` ascending.
    Oldest { created_at: Timestamp, id: TicketId },
    /// `updated`: `(updated_at, id)` descending.
    Updated { updated_at: Timestamp, id: TicketId },
    /// `priority`: `(priority rank, created_at, id)` descending.
    Priority {
        rank: i16,
        created_at: Timestamp,
        id: TicketId,
    },
    /// `relevance`: `(score, id)` descending.
    Relevance { score: f32, id: TicketId },
}

/// A cursor that is not one this server gave for this sort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCursor(pub String);

impl After {
    /// The sort this cursor continues.
    pub fn sort(&self) -> Sort {
        match self {
            After::Newest { .. } => Sort::Newest,
            After::Oldest { .. } => Sort::Oldest,
            After::Updated { .. } => Sort::Updated,
            After::Priority { .. } => Sort::Priority,
            After::Relevance { .. } => Sort::Relevance,
        }
    }

    /// The opaque string sent as `next_cursor`.
    pub fn encode(&self) -> String {
        let plain = match *self {
            After::Newest { created_at, id } | After::Oldest { created_at, id } => {
                format!("v1|{}|{}|{}", self.sort().as_str(), created_at.timestamp_micros(), id.0)
            }
            After::Updated { updated_at, id } => format!("v1|updated|{}|{}", updated_at.timestamp_micros(), id.0),
            After::Priority { rank, created_at, id } => {
                format!("v1|priority|{rank}|{}|{}", created_at.timestamp_micros(), id.0)
            }
            After::Relevance { score, id } => format!("v1|relevance|{:08x}|{}", score.to_bits(), id.0),
        };
        URL_SAFE_NO_PAD.encode(plain)
    }

    /// Reads a cursor for a view sorted by `sort`.
    pub fn decode(text: &str, sort: Sort) -> Result<After, BadCursor> {
        let bad = |why: &str| {
            BadCursor(format!(
                "cursor {why}: send the next_cursor of the previous page of the same view, or none for the first page"
            ))
        };
        if text.len() > MAX_CURSOR_CHARS {
            return Err(bad("is too long"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| bad("is not one this server gave"))?;
        let plain = String::from_utf8(bytes).map_err(|_| bad("is not one this server gave"))?;
        let parts: Vec<&str> = plain.split('|').collect();
        let (version, named, rest) = match parts.as_slice() {
            [version, named, rest @ ..] => (*version, *named, rest),
            _ => return Err(bad("is not one this server gave")),
        };
        if version != "v1" {
            return Err(bad("is not one this server gave"));
        }
        let named = Sort::parse(named).ok_or_else(|| bad("is not one this server gave"))?;
        if named != sort {
            return Err(bad(&format!(
                "belongs to a view sorted by {}, not {}",
                named.as_str(),
                sort.as_str()
            )));
        }
        let id = |s: &str| {
            s.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(TicketId)
                .ok_or_else(|| bad("is not one this server gave"))
        };
        let time = |s: &str| {
            s.parse::<i64>()
                .ok()
                .and_then(Timestamp::from_timestamp_micros)
                .ok_or_else(|| bad("is not one this server gave"))
        };
        let after = match (named, rest) {
            (Sort::Newest, [at, i]) => After::Newest {
                created_at: time(at)?,
                id: id(i)?,
            },
            (Sort::Oldest, [at, i]) => After::Oldest {
                created_at: time(at)?,
                id: id(i)?,
            },
            (Sort::Updated, [at, i]) => After::Updated {
                updated_at: time(at)?,
                id: id(i)?,
            },
            (Sort::Priority, [rank, at, i]) => After::Priority {
                rank: rank
                    .parse::<i16>()
                    .ok()
                    .filter(|r| (0..=3).contains(r))
                    .ok_or_else(|| bad("is not one this server gave"))?,
                created_at: time(at)?,
                id: id(i)?,
            },
            (Sort::Relevance, [bits, i]) => After::Relevance {
                score: u32::from_str_radix(bits, 16)
                    .ok()
                    .filter(|b| bits.len() == 8 && f32::from_bits(*b).is_finite())
                    .map(f32::from_bits)
                    .ok_or_else(|| bad("is not one this server gave"))?,
                id: id(i)?,
            },
            _ => return Err(bad("is not one this server gave")),
        };
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(micros: i64) -> Timestamp {
        Timestamp::from_timestamp_micros(micros).unwrap()
    }

    #[test]
    fn every_sort_round_trips_exactly() {
        let id = TicketId(42);
        let created_at = at(1_764_654_321_123_456);
        let cursors = [
            After::Newest { created_at, id },
            After::Oldest { created_at, id },
            After::Updated { updated_at: at(-5), id },
            After::Priority {
                rank: 3,
                created_at,
                id,
            },
            After::Relevance { score: 0.0607927, id },
            After::Relevance { score: 1000.25, id },
        ];
        for cursor in cursors {
            let text = cursor.encode();
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{text}"
            );
            assert_eq!(After::decode(&text, cursor.sort()), Ok(cursor));
        }
    }

    #[test]
    fn a_cursor_of_another_sort_is_refused_by_name() {
        let newest = After::Newest {
            created_at: at(0),
            id: TicketId(1),
        }
        .encode();
        let err = After::decode(&newest, Sort::Oldest).unwrap_err();
        assert!(err.0.contains("sorted by newest, not oldest"), "{}", err.0);
    }

    #[test]
    fn anything_else_is_refused_clearly() {
        let forge = |plain: &str| URL_SAFE_NO_PAD.encode(plain);
        for text in [
            "".to_string(),
            "not base64!".into(),
            "x".repeat(500),
            forge("v2|newest|0|1"),
            forge("v1|sideways|0|1"),
            forge("v1|newest|0"),
            forge("v1|newest|0|1|2"),
            forge("v1|newest|zero|1"),
            forge("v1|newest|0|-1"),
            forge("v1|newest|0|0"),
            forge("v1|newest|99999999999999999999|1"),
            forge("v1|priority|9|0|1"),
            forge("v1|relevance|7fc00000|1"),
            forge("v1|relevance|1|1"),
        ] {
            let sort = if text.len() > 8 {
                URL_SAFE_NO_PAD
                    .decode(&text)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|p| p.split('|').nth(1).and_then(Sort::parse))
                    .unwrap_or(Sort::Newest)
            } else {
                Sort::Newest
            };
            let err = After::decode(&text, sort).unwrap_err();
            assert!(err.0.starts_with("cursor "), "{}", err.0);
            assert!(err.0.contains("first page"), "the error says what to do: {}", err.0);
        }
    }
}
