//! Canned replies (text modules): REST bodies of `/api/canned-replies`, who may manage which, and the
//! placeholder renderer the server runs before the text is inserted into a reply.
//!
//! A canned reply is **shared** (managed by admins, offered to every agent) or **personal** (its owner's
//! alone). It has a title, a shortcut and its text in English and Indonesian. The text may name
//! placeholders, `{{ticket.key}}`, `{{ticket.title}}`, `{{reporter.name}}`, `{{agent.name}}` (the agent's
//! public name), written with or without spaces inside the braces. [`render`] replaces those it has a
//! value for; a placeholder it does not know, or has no value for, stays in the text as written and is
//! reported, never silently dropped. `{{field.<name>}}` is parsed already ([`Placeholder::Field`]) so that
//! custom fields can supply values later without a new syntax; today none has a value.
//!
//! Stable on the wire: every type here (see docs/protocol.md); new fields are optional.

use crate::Timestamp;
use crate::api::Role;
use crate::ids::{AgentId, CannedReplyId};
use serde::{Deserialize, Serialize};

/// Longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 80;
/// Longest shortcut, in characters.
pub const SHORTCUT_MAX_CHARS: usize = 32;
/// Longest text in one language, in characters (a reply is at most 4,096 on Telegram; leave room).
pub const TEXT_MAX_CHARS: usize = 4_000;
/// Who replied, when the agent set no public name: the desk (the bot says the same).
pub const DESK_NAME_EN: &str = "The Loket help desk";
/// [`DESK_NAME_EN`] in Indonesian.
pub const DESK_NAME_ID: &str = "Petugas layanan Loket";

/// Who a canned reply is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CannedScope {
    /// Every agent may use it; admins manage it.
    Shared,
    /// Its owner's alone: only they see, use and manage it.
    Personal,
}

/// A language a canned reply is written in: a reporter's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReplyLanguage {
    #[default]
    En,
    Id,
}

impl ReplyLanguage {
    /// The desk's neutral name in this language.
    pub fn desk_name(self) -> &'static str {
        match self {
            ReplyLanguage::En => DESK_NAME_EN,
            ReplyLanguage::Id => DESK_NAME_ID,
        }
    }
}

/// A canned reply as agents see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CannedReply {
    pub id: CannedReplyId,
    pub scope: CannedScope,
    /// With `personal`: its owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<AgentId>,
    pub title: String,
    /// Typed after `::` in the composer to find it quickly (lowercase letters, digits, `-`, `_`).
    pub shortcut: String,
    /// The text in English.
    pub text_en: String,
    /// The text in Indonesian.
    pub text_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

impl CannedReply {
    /// The text in `language`.
    pub fn text(&self, language: ReplyLanguage) -> &str {
        match language {
            ReplyLanguage::En => &self.text_en,
            ReplyLanguage::Id => &self.text_id,
        }
    }
}

/// Body of `POST /api/canned-replies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCannedReply {
    pub scope: CannedScope,
    pub title: String,
    pub shortcut: String,
    pub text_en: String,
    pub text_id: String,
}

/// Body of `PATCH /api/canned-replies/{id}`: absent fields stay as they are. The scope never changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CannedReplyChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_id: Option<String>,
}

/// Query string of `GET /api/canned-replies`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct CannedQuery {
    /// Only those whose title, shortcut or text contains this (case-insensitive).
    #[serde(default)]
    pub q: Option<String>,
}

/// Query string of `GET /api/canned-replies/{id}/render`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct RenderQuery {
    /// The ticket the reply is for: its key and title, its reporter's name and language.
    pub ticket_id: crate::TicketId,
}

/// Answer of `GET /api/canned-replies/{id}/render`: the text to insert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenderedReply {
    /// The reporter's language (English for a ticket without a reporter).
    pub language: ReplyLanguage,
    pub text: String,
    /// Placeholders left in the text as written because nobody knows them (a typo, say).
    #[serde(default)]
    pub unknown: Vec<String>,
    /// Known placeholders left in the text because this ticket has no value for them (no reporter).
    #[serde(default)]
    pub missing: Vec<String>,
}

/// Whether `agent` (with `role`) may change or delete a canned reply of `scope` owned by `owner`:
/// admins manage the shared ones, every agent their own personal ones (least privilege: an admin does
/// not manage someone else's personal reply either). `Err(true)` when the agent may not even see it
/// (answer as not found), `Err(false)` when they see it but may not change it (forbidden).
pub fn may_manage(agent: AgentId, role: Role, scope: CannedScope, owner: Option<AgentId>) -> Result<(), bool> {
    match scope {
        CannedScope::Shared if role == Role::Admin => Ok(()),
        CannedScope::Shared => Err(false),
        CannedScope::Personal if owner == Some(agent) => Ok(()),
        CannedScope::Personal => Err(true),
    }
}

/// Checks a new canned reply's or a change's values; answers what is wrong with the first bad one.
pub fn validate(title: Option<&str>, shortcut: Option<&str>, texts: &[Option<&str>]) -> Result<(), String> {
    if let Some(title) = title {
        let n = title.trim().chars().count();
        if n == 0 || n > TITLE_MAX_CHARS || title.chars().any(char::is_control) {
            return Err(format!("a title is one line of 1 to {TITLE_MAX_CHARS} characters"));
        }
    }
    if let Some(shortcut) = shortcut {
        let ok = (1..=SHORTCUT_MAX_CHARS).contains(&shortcut.chars().count())
            && shortcut
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok {
            return Err(format!(
                "a shortcut has 1 to {SHORTCUT_MAX_CHARS} characters: lowercase letters, digits, - and _"
            ));
        }
    }
    for text in texts.iter().flatten() {
        let n = text.trim().chars().count();
        // PostgreSQL cannot store NUL (U+0000) in text.
        if n == 0 || n > TEXT_MAX_CHARS || text.contains('\0') {
            return Err(format!(
                "each text (English and Indonesian) has 1 to {TEXT_MAX_CHARS} characters"
            ));
        }
    }
    Ok(())
}

/// A placeholder's name, as written between `{{` and `}}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Placeholder {
    TicketKey,
    TicketTitle,
    ReporterName,
    /// The replying agent's public name (or the desk's).
    AgentName,
    /// A custom field, `{{field.<name>}}`: no values yet (issue 11's custom fields will supply them).
    Field(String),
}

impl Placeholder {
    /// Reads a name (already trimmed); `None` for one nobody knows.
    pub fn parse(name: &str) -> Option<Placeholder> {
        match name {
            "ticket.key" => Some(Placeholder::TicketKey),
            "ticket.title" => Some(Placeholder::TicketTitle),
            "reporter.name" => Some(Placeholder::ReporterName),
            "agent.name" => Some(Placeholder::AgentName),
            _ => name
                .strip_prefix("field.")
                .filter(|field| !field.is_empty())
                .map(|field| Placeholder::Field(field.to_string())),
        }
    }
}

/// The values a reply is rendered with; `None` where the ticket has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub ticket_key: String,
    pub ticket_title: String,
    pub reporter_name: Option<String>,
    pub agent_name: String,
    /// Custom fields by name (none today).
    pub fields: Vec<(String, String)>,
}

impl Values {
    fn get(&self, placeholder: &Placeholder) -> Option<&str> {
        match placeholder {
            Placeholder::TicketKey => Some(&self.ticket_key),
            Placeholder::TicketTitle => Some(&self.ticket_title),
            Placeholder::ReporterName => self.reporter_name.as_deref(),
            Placeholder::AgentName => Some(&self.agent_name),
            Placeholder::Field(name) => self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()),
        }
    }
}

/// `template` with every placeholder that has a value replaced. Unknown placeholders and those without a
/// value stay as written and are listed (each once, in order of appearance). An opening `{{` without its
/// `}}` is plain text.
pub fn render(template: &str, values: &Values, language: ReplyLanguage) -> RenderedReply {
    let mut text = String::with_capacity(template.len());
    let (mut unknown, mut missing) = (Vec::<String>::new(), Vec::<String>::new());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        text.push_str(&rest[..open]);
        let written = &rest[open..open + 2 + close + 2];
        let name = rest[open + 2..open + 2 + close].trim();
        match Placeholder::parse(name) {
            Some(placeholder) => match values.get(&placeholder) {
                Some(value) => text.push_str(value),
                None => {
                    text.push_str(written);
                    if !missing.iter().any(|m| m == name) {
                        missing.push(name.to_string());
                    }
                }
            },
            None => {
                text.push_str(written);
                if !unknown.iter().any(|u| u == name) {
                    unknown.push(name.to_string());
                }
            }
        }
        rest = &rest[open + 2 + close + 2..];
    }
    text.push_str(rest);
    RenderedReply {
        language,
        text,
        unknown,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        Values {
            ticket_key: "TKT-0042".into(),
            ticket_title: "Lampu jalan mati".into(),
            reporter_name: Some("Budi".into()),
            agent_name: "Petugas Sari".into(),
            fields: vec![],
        }
    }

    #[test]
    fn known_placeholders_are_replaced_with_or_without_spaces() {
        let out = render(
            "Yth. {{reporter.name}}, laporan {{ ticket.key }} ({{ticket.title}}) ditangani oleh {{agent.name}}.",
            &values(),
            ReplyLanguage::Id,
        );
        assert_eq!(
            out.text,
            "Yth. Budi, laporan TKT-0042 (Lampu jalan mati) ditangani oleh Petugas Sari."
        );
        assert!(out.unknown.is_empty() && out.missing.is_empty());
        assert_eq!(out.language, ReplyLanguage::Id);
    }

    #[test]
    fn unknown_and_valueless_placeholders_stay_visible_and_are_reported_once() {
        let mut v = values();
        v.reporter_name = None;
        let out = render(
            "Hi {{reporter.name}}, see {{ticket.kee}} and {{ticket.kee}}; {{field.road}}. {{ unclosed",
            &v,
            ReplyLanguage::En,
        );
        assert_eq!(
            out.text,
            "Hi {{reporter.name}}, see {{ticket.kee}} and {{ticket.kee}}; {{field.road}}. {{ unclosed"
        );
        assert_eq!(out.unknown, ["ticket.kee"]);
        // A custom field is known syntax; it simply has no value yet.
        assert_eq!(out.missing, ["reporter.name", "field.road"]);
    }

    #[test]
    fn custom_fields_render_once_they_have_values() {
        let mut v = values();
        v.fields.push(("road".into(), "Jl. Merdeka".into()));
        assert_eq!(render("{{field.road}}", &v, ReplyLanguage::En).text, "Jl. Merdeka");
        assert_eq!(Placeholder::parse("field."), None);
    }

    #[test]
    fn text_without_placeholders_is_unchanged_including_lone_braces() {
        let out = render("a } b {c} {{}} d", &values(), ReplyLanguage::En);
        assert_eq!(out.text, "a } b {c} {{}} d");
        assert_eq!(out.unknown, [""]);
    }

    #[test]
    fn admins_manage_shared_replies_and_agents_their_own() {
        let (me, other) = (AgentId(1), AgentId(2));
        assert_eq!(may_manage(me, Role::Admin, CannedScope::Shared, None), Ok(()));
        assert_eq!(may_manage(me, Role::Agent, CannedScope::Shared, None), Err(false));
        assert_eq!(may_manage(me, Role::Agent, CannedScope::Personal, Some(me)), Ok(()));
        assert_eq!(
            may_manage(me, Role::Agent, CannedScope::Personal, Some(other)),
            Err(true)
        );
        assert_eq!(
            may_manage(me, Role::Admin, CannedScope::Personal, Some(other)),
            Err(true)
        );
    }

    #[test]
    fn values_are_checked() {
        assert!(validate(Some("Greeting"), Some("greet-1"), &[Some("Hello"), Some("Halo")]).is_ok());
        assert!(validate(Some(" "), None, &[]).is_err());
        assert!(validate(None, Some("Greet"), &[]).is_err());
        assert!(validate(None, Some(""), &[]).is_err());
        assert!(validate(None, None, &[Some("")]).is_err());
        assert!(validate(None, None, &[Some(&"x".repeat(TEXT_MAX_CHARS + 1))]).is_err());
        assert!(validate(None, None, &[Some("a\0b")]).is_err());
        assert!(validate(Some("Two\nlines"), None, &[]).is_err());
    }
}
