//! The commands reporters type, parsed from message text without any Telegram types.

/// A command the bot understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/start [code]`, also what the deep link `t.me/<bot>?start=<code>` sends.
    Start { code: Option<String> },
    /// `/report`: begin a guided report.
    Report,
    /// `/mytickets`: the reporter's tickets, paged.
    MyTickets,
    /// `/status TKT-0042` or `/status 42`; `key` is whatever followed the command.
    Status { key: Option<String> },
    /// `/help`.
    Help,
    /// `/lang [en|id]`.
    Lang { code: Option<String> },
    /// `/cancel`: abandon the report in progress.
    Cancel,
    /// `/done`: no more attachments.
    Done,
    /// `/skip`: no attachments.
    Skip,
    /// A command this bot does not have.
    Unknown,
}

impl Command {
    /// Parses `text` if it is a command (`/name`, `/name@bot`, with an optional argument).
    pub fn parse(text: &str) -> Option<Command> {
        let text = text.trim();
        let rest = text.strip_prefix('/')?;
        let (head, arg) = match rest.split_once(char::is_whitespace) {
            Some((head, arg)) => (head, Some(arg.trim()).filter(|a| !a.is_empty()).map(str::to_string)),
            None => (rest, None),
        };
        let name = head.split('@').next().unwrap_or(head).to_ascii_lowercase();
        Some(match name.as_str() {
            "start" => Command::Start { code: arg },
            "report" => Command::Report,
            "mytickets" => Command::MyTickets,
            "status" => Command::Status { key: arg },
            "help" => Command::Help,
            "lang" => Command::Lang { code: arg },
            "cancel" => Command::Cancel,
            "done" => Command::Done,
            "skip" => Command::Skip,
            _ => Command::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_arguments_and_bot_names() {
        assert_eq!(
            Command::parse("/start abc123"),
            Some(Command::Start {
                code: Some("abc123".into())
            })
        );
        assert_eq!(Command::parse("/start"), Some(Command::Start { code: None }));
        assert_eq!(Command::parse("/report@loket_bot"), Some(Command::Report));
        assert_eq!(
            Command::parse(" /status  TKT-0042 "),
            Some(Command::Status {
                key: Some("TKT-0042".into())
            })
        );
        assert_eq!(Command::parse("/DONE"), Some(Command::Done));
        assert_eq!(Command::parse("/nope"), Some(Command::Unknown));
        assert_eq!(Command::parse("hello"), None);
    }
}
