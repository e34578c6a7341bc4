//! What the bot's inline buttons carry: one typed enum with its one encoding, so a handler never matches
//! on raw callback strings. Telegram allows 64 bytes of callback data; every encoding here is far shorter.

use loket_protocol::ticket::RATING_RANGE;
use loket_protocol::{CategoryId, TicketId};

use crate::dialogue::EditField;
use crate::texts::Lang;

/// A button the bot shows, as the callback data Telegram hands back when it is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// Show page `n` (from 0) of `/mytickets`.
    Page(i64),
    /// Choose the reporter's language.
    Lang(Lang),
    /// Choose a category during `/report`.
    Category(CategoryId),
    /// File the report shown in the summary.
    Send,
    /// Abandon the report.
    Cancel,
    /// Discard the draft and start a new report.
    Restart,
    /// Keep writing the draft in progress.
    KeepDraft,
    /// Rate the resolved ticket `ticket` with `stars` (1 to 5).
    Rate { ticket: TicketId, stars: u8 },
    /// Move the message just sent without Reply to the reporter's open ticket `0` instead.
    MoveTo(TicketId),
    /// Start a new report with the message just sent without Reply as its description.
    ReportHeld,
    /// On the summary: change this field.
    Edit(EditField),
}

impl Button {
    /// The callback data for this button.
    pub fn encode(self) -> String {
        match self {
            Button::Page(n) => format!("page:{n}"),
            Button::Lang(lang) => format!("lang:{}", lang.code()),
            Button::Category(id) => format!("cat:{}", id.0),
            Button::Send => "send".into(),
            Button::Cancel => "cancel".into(),
            Button::Restart => "restart".into(),
            Button::KeepDraft => "keep".into(),
            Button::Rate { ticket, stars } => format!("rate:{}:{stars}", ticket.0),
            Button::MoveTo(ticket) => format!("move:{}", ticket.0),
            Button::ReportHeld => "newrep".into(),
            Button::Edit(field) => format!("edit:{}", field.code()),
        }
    }

    /// The button that produced `data`, if it is one of ours (stale or forged data is `None`).
    pub fn decode(data: &str) -> Option<Button> {
        let (action, arg) = data.split_once(':').unwrap_or((data, ""));
        match (action, arg) {
            ("page", n) => n.parse().ok().filter(|n| *n >= 0).map(Button::Page),
            ("lang", "en") => Some(Button::Lang(Lang::En)),
            ("lang", "id") => Some(Button::Lang(Lang::Id)),
            ("cat", id) => id.parse().ok().map(|id| Button::Category(CategoryId(id))),
            ("send", "") => Some(Button::Send),
            ("cancel", "") => Some(Button::Cancel),
            ("restart", "") => Some(Button::Restart),
            ("keep", "") => Some(Button::KeepDraft),
            ("rate", arg) => {
                let (ticket, stars) = arg.split_once(':')?;
                let ticket = ticket.parse().ok().filter(|t| *t > 0).map(TicketId)?;
                let stars = stars.parse().ok().filter(|s| RATING_RANGE.contains(s))?;
                Some(Button::Rate { ticket, stars })
            }
            ("move", id) => id.parse().ok().filter(|t| *t > 0).map(|t| Button::MoveTo(TicketId(t))),
            ("newrep", "") => Some(Button::ReportHeld),
            ("edit", field) => EditField::parse(field).map(Button::Edit),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_button_decodes_to_itself_and_fits_telegrams_limit() {
        let all = [
            Button::Page(0),
            Button::Page(i64::MAX),
            Button::Lang(Lang::En),
            Button::Lang(Lang::Id),
            Button::Category(CategoryId(42)),
            Button::Send,
            Button::Cancel,
            Button::Restart,
            Button::KeepDraft,
            Button::Rate {
                ticket: TicketId(i64::MAX),
                stars: 5,
            },
            Button::Rate {
                ticket: TicketId(1),
                stars: 1,
            },
            Button::MoveTo(TicketId(42)),
            Button::ReportHeld,
            Button::Edit(EditField::Title),
            Button::Edit(EditField::Files),
        ];
        for button in all {
            let data = button.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(Button::decode(&data), Some(button), "{data}");
        }
    }

    #[test]
    fn unknown_or_malformed_data_is_refused() {
        for data in [
            "",
            "page:",
            "page:-1",
            "page:x",
            "lang:fr",
            "cat:",
            "send:1",
            "sendx",
            "restart:now",
            "rate:1:0",
            "rate:1:6",
            "rate:x:3",
            "rate:0:3",
            "rate:5",
            "move:",
            "move:-2",
            "edit:nope",
        ] {
            assert_eq!(Button::decode(data), None, "{data}");
        }
    }
}
