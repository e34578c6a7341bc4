//! Every text the bot sends, in English and Indonesian, in one place.

use loket_protocol::ticket::Status;

/// A language the bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Id,
}

impl Lang {
    /// From a Telegram `language_code` or a stored code; anything unknown is English.
    pub fn from_code(code: &str) -> Lang {
        if code.to_ascii_lowercase().starts_with("id") {
            Lang::Id
        } else {
            Lang::En
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Id => "id",
        }
    }
}

/// A status as reporters read it.
pub fn status_name(lang: Lang, status: Status) -> &'static str {
    match (lang, status) {
        (Lang::En, Status::New) => "received",
        (Lang::En, Status::Open) => "being worked on",
        (Lang::En, Status::Pending) => "waiting",
        (Lang::En, Status::Resolved) => "resolved",
        (Lang::En, Status::Closed) => "closed",
        (Lang::Id, Status::New) => "diterima",
        (Lang::Id, Status::Open) => "sedang ditangani",
        (Lang::Id, Status::Pending) => "menunggu",
        (Lang::Id, Status::Resolved) => "selesai",
        (Lang::Id, Status::Closed) => "ditutup",
    }
}

/// Told to the reporter when an agent moves their ticket.
pub fn status_changed(lang: Lang, key: &str, title: &str, status: Status) -> String {
    let name = status_name(lang, status);
    match lang {
        Lang::En => format!("Your report {key} \u{201c}{title}\u{201d} is now: {name}."),
        Lang::Id => format!("Laporan Anda {key} \u{201c}{title}\u{201d} sekarang: {name}."),
    }
}

/// An agent's public reply, quoted for the reporter.
pub fn agent_reply(lang: Lang, key: &str, agent: &str, body: &str) -> String {
    match lang {
        Lang::En => format!("{agent} replied to your report {key}:\n\n{body}\n\nReply to this message to answer."),
        Lang::Id => format!("{agent} membalas laporan Anda {key}:\n\n{body}\n\nBalas pesan ini untuk menjawab."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_follow_telegram_codes() {
        assert_eq!(Lang::from_code("id"), Lang::Id);
        assert_eq!(Lang::from_code("ID-id"), Lang::Id);
        assert_eq!(Lang::from_code("en-GB"), Lang::En);
        assert_eq!(Lang::from_code(""), Lang::En);
    }

    #[test]
    fn notices_name_the_ticket() {
        assert!(status_changed(Lang::En, "TKT-0042", "Broken lamp", Status::Resolved).contains("TKT-0042"));
        assert!(status_changed(Lang::Id, "TKT-0042", "Lampu", Status::Open).contains("sedang ditangani"));
        assert!(agent_reply(Lang::En, "TKT-0001", "Ana", "Fixed.").contains("Fixed."));
    }
}
