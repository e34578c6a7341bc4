//! Board views: which tickets a board shows and in which order, as data shared by server and web client.
//!
//! A [`TicketView`] is sent with `GetTickets` (flattened into the message) and as the query string of
//! `GET /api/tickets`. The server turns it into SQL (`loket-core`, `db/views.rs`); [`TicketView::matches`]
//! and [`TicketView::cmp`] are the same rules as plain code, so a client can decide whether a live ticket
//! enters or leaves its view and where it goes. They agree with the server's query for every field except
//! `text`, where `matches` is a documented approximation (see [`TicketView::matches`]).
//!
//! Every field is optional: `{}` is the default view, "open work" (new, open, pending), newest first.
//! Fields accept both JSON values and the strings of a query string (`status=new,open`, `assignee=me`,
//! `category_id=3`), so one type serves the WebSocket and REST.

use crate::Timestamp;
use crate::ids::{AgentId, CategoryId, QueueId, ReporterId, TicketId};
use crate::queue::Access;
use crate::ticket::{Priority, Status, Ticket};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// Most words of a search text that are searched for; later words are ignored.
pub const MAX_SEARCH_WORDS: usize = 16;

/// A named set of statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusGroup {
    /// New, open and pending: what still needs someone.
    #[default]
    OpenWork,
    /// Resolved and closed.
    Done,
    /// Every status.
    Any,
}

impl StatusGroup {
    pub const ALL: [StatusGroup; 3] = [StatusGroup::OpenWork, StatusGroup::Done, StatusGroup::Any];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusGroup::OpenWork => "open_work",
            StatusGroup::Done => "done",
            StatusGroup::Any => "any",
        }
    }

    pub fn parse(text: &str) -> Option<StatusGroup> {
        StatusGroup::ALL.into_iter().find(|g| g.as_str() == text)
    }

    /// The statuses in the group, in lifecycle order.
    pub fn statuses(self) -> &'static [Status] {
        match self {
            StatusGroup::OpenWork => &[Status::New, Status::Open, Status::Pending],
            StatusGroup::Done => &[Status::Resolved, Status::Closed],
            StatusGroup::Any => &Status::ALL,
        }
    }
}

/// Which statuses a view shows: a group, or a list of statuses (`["new", "pending"]`, or `new,pending` in a
/// query string). An empty list means every status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFilter {
    Group(StatusGroup),
    List(Vec<Status>),
}

impl Default for StatusFilter {
    fn default() -> Self {
        StatusFilter::Group(StatusGroup::OpenWork)
    }
}

impl StatusFilter {
    /// The statuses shown, without duplicates, in lifecycle order.
    pub fn statuses(&self) -> Vec<Status> {
        match self {
            StatusFilter::Group(group) => group.statuses().to_vec(),
            StatusFilter::List(list) if list.is_empty() => Status::ALL.to_vec(),
            StatusFilter::List(list) => Status::ALL.into_iter().filter(|s| list.contains(s)).collect(),
        }
    }

    pub fn contains(&self, status: Status) -> bool {
        match self {
            StatusFilter::Group(group) => group.statuses().contains(&status),
            StatusFilter::List(list) => list.is_empty() || list.contains(&status),
        }
    }

    fn is_default(&self) -> bool {
        *self == StatusFilter::default()
    }

    fn parse(text: &str) -> Result<StatusFilter, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(StatusFilter::default());
        }
        if let Some(group) = StatusGroup::parse(text) {
            return Ok(StatusFilter::Group(group));
        }
        split_list(text, Status::parse, "a status group (open_work, done, any) or statuses").map(StatusFilter::List)
    }
}

impl Serialize for StatusFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StatusFilter::Group(group) => serializer.serialize_str(group.as_str()),
            StatusFilter::List(list) => list.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for StatusFilter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StatusFilter;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status group (open_work, done, any), a status, or a list of statuses")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusFilter, E> {
                StatusFilter::parse(v).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusFilter, A::Error> {
                let mut list = Vec::new();
                while let Some(status) = seq.next_element::<Status>()? {
                    list.push(status);
                }
                Ok(StatusFilter::List(list))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Whose tickets a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssigneeFilter {
    /// Assigned to the agent asking (`"me"`).
    Me,
    /// Assigned to nobody (`"nobody"`).
    Nobody,
    /// Assigned to this agent (its id, as a number or a string of digits).
    Agent(AgentId),
}

impl AssigneeFilter {
    fn parse(text: &str) -> Result<AssigneeFilter, String> {
        match text.trim() {
            "me" => Ok(AssigneeFilter::Me),
            "nobody" => Ok(AssigneeFilter::Nobody),
            other => other
                .parse::<i64>()
                .map(|id| AssigneeFilter::Agent(AgentId(id)))
                .map_err(|_| format!("assignee must be \"me\", \"nobody\" or an agent id, not {other:?}")),
        }
    }

    /// The agent id the filter names for `me`, or `None` for "nobody".
    pub fn agent(self, me: AgentId) -> Option<AgentId> {
        match self {
            AssigneeFilter::Me => Some(me),
            AssigneeFilter::Nobody => None,
            AssigneeFilter::Agent(id) => Some(id),
        }
    }
}

impl Serialize for AssigneeFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AssigneeFilter::Me => serializer.serialize_str("me"),
            AssigneeFilter::Nobody => serializer.serialize_str("nobody"),
            AssigneeFilter::Agent(id) => serializer.serialize_i64(id.0),
        }
    }
}

impl<'de> Deserialize<'de> for AssigneeFilter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AssigneeFilter;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"me\", \"nobody\" or an agent id")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AssigneeFilter, E> {
                AssigneeFilter::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AssigneeFilter, E> {
                Ok(AssigneeFilter::Agent(AgentId(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AssigneeFilter, E> {
                i64::try_from(v)
                    .map(|v| AssigneeFilter::Agent(AgentId(v)))
                    .map_err(|_| E::custom("agent id out of range"))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Which queue's tickets a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueFilter {
    /// The queues the agent asking is a member of (`"mine"`: "My queues").
    Mine,
    /// This queue (its id, as a number or a string of digits).
    Queue(QueueId),
}

impl QueueFilter {
    fn parse(text: &str) -> Result<QueueFilter, String> {
        match text.trim() {
            "mine" => Ok(QueueFilter::Mine),
            other => other
                .parse::<i64>()
                .map(|id| QueueFilter::Queue(QueueId(id)))
                .map_err(|_| format!("queue must be \"mine\" or a queue id, not {other:?}")),
        }
    }

    /// Whether a ticket in `queue` passes the filter for an agent with `access`.
    pub fn admits(self, queue: QueueId, access: &Access) -> bool {
        match self {
            QueueFilter::Mine => access.is_member(queue),
            QueueFilter::Queue(id) => id == queue,
        }
    }
}

impl Serialize for QueueFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            QueueFilter::Mine => serializer.serialize_str("mine"),
            QueueFilter::Queue(id) => serializer.serialize_i64(id.0),
        }
    }
}

impl<'de> Deserialize<'de> for QueueFilter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = QueueFilter;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"mine\" or a queue id")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<QueueFilter, E> {
                QueueFilter::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<QueueFilter, E> {
                Ok(QueueFilter::Queue(QueueId(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<QueueFilter, E> {
                i64::try_from(v)
                    .map(|v| QueueFilter::Queue(QueueId(v)))
                    .map_err(|_| E::custom("queue id out of range"))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A view's order. Ties are broken by ticket id, in the same direction as the sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Most recently filed first (`created_at`, then id, descending). The default without `text`.
    #[default]
    Newest,
    /// Oldest first (`created_at`, then id, ascending).
    Oldest,
    /// Most recently changed first (`updated_at`, then id, descending).
    Updated,
    /// Most urgent first (priority descending, then newest first).
    Priority,
    /// Best search match first (the server's rank, then id descending). The default with `text`; without
    /// `text` it is the same as `newest`.
    Relevance,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Newest,
        Sort::Oldest,
        Sort::Updated,
        Sort::Priority,
        Sort::Relevance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Updated => "updated",
            Sort::Priority => "priority",
            Sort::Relevance => "relevance",
        }
    }

    pub fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Priority from least to most urgent, as a number (the order `Sort::Priority` uses).
pub fn priority_rank(priority: Priority) -> i16 {
    match priority {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

/// Which tickets a board shows, and in which order. All filters combine with AND; `{}` is the default
/// view ("open work", newest first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    /// A status group (`open_work`, the default; `done`; `any`) or a list of statuses.
    #[serde(default, skip_serializing_if = "StatusFilter::is_default")]
    pub status: StatusFilter,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_id")]
    pub category_id: Option<CategoryId>,
    /// `"mine"` (the queues the agent is a member of: "My queues") or a queue id. Also read as
    /// `queue_id`. Whatever the filter, an agent sees only tickets of their queues (admins: all).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "queue_id")]
    pub queue: Option<QueueFilter>,
    /// `"me"`, `"nobody"` or an agent id. Also read as `assignee_id`.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "assignee_id")]
    pub assignee: Option<AssigneeFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_id")]
    pub reporter_id: Option<ReporterId>,
    /// Any of these priorities; empty: every priority.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "priority_list")]
    pub priority: Vec<Priority>,
    /// Filed at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_after: Option<Timestamp>,
    /// Filed before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_before: Option<Timestamp>,
    /// Last changed at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_after: Option<Timestamp>,
    /// Last changed before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_before: Option<Timestamp>,
    /// Search text: full-text over title, body and comments, a ticket key in any spelling (`TKT-0003`,
    /// `tkt-3`, `3`) or a reporter's exact name. Also read as `q`.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "q")]
    pub text: Option<String>,
    /// The order; default `newest`, or `relevance` with `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Sort>,
}

impl TicketView {
    /// The search text, trimmed; `None` when absent or blank.
    pub fn search_text(&self) -> Option<&str> {
        self.text.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }

    /// The order in effect: `sort`, or `relevance` with search text and `newest` without.
    /// `relevance` without search text is `newest`.
    pub fn effective_sort(&self) -> Sort {
        match (self.sort, self.search_text().is_some()) {
            (Some(Sort::Relevance), false) => Sort::Newest,
            (Some(sort), _) => sort,
            (None, true) => Sort::Relevance,
            (None, false) => Sort::Newest,
        }
    }

    /// The words searched for (lower-case, accent-folded, at most [`MAX_SEARCH_WORDS`]); the server's
    /// full-text query asks for every one of them as a prefix, and `AllTickets.terms` lists them.
    pub fn search_words(&self) -> Vec<String> {
        self.search_text().map(search_words).unwrap_or_default()
    }

    /// Whether `ticket` belongs in this view for the agent `me`, whose access is `access` (a ticket of a
    /// queue they may not see never does).
    ///
    /// Exactly the server's predicate for every field but `text`. For `text` it approximates the
    /// server's full-text search with what a ticket carries: true if the text names the ticket's key in
    /// any spelling, is its reporter's name (case and accents aside), or every search word is the start
    /// of a word of the title or body. The server also finds words in comments, which a ticket does not
    /// carry: a client keeps a ticket the server answered, and uses this for tickets that arrive live.
    pub fn matches(&self, ticket: &Ticket, me: AgentId, access: &Access) -> bool {
        let assignee = ticket.assignee.as_ref().map(|a| a.id);
        let filters = access.admits(ticket.queue)
            && self.queue.is_none_or(|q| q.admits(ticket.queue, access))
            && self.status.contains(ticket.status)
            && self
                .category_id
                .is_none_or(|c| ticket.category.as_ref().map(|c| c.id) == Some(c))
            && self.assignee.is_none_or(|f| f.agent(me) == assignee)
            && self
                .reporter_id
                .is_none_or(|r| ticket.reporter.as_ref().map(|r| r.id) == Some(r))
            && (self.priority.is_empty() || self.priority.contains(&ticket.priority))
            && self.created_after.is_none_or(|t| ticket.created_at >= t)
            && self.created_before.is_none_or(|t| ticket.created_at < t)
            && self.updated_after.is_none_or(|t| ticket.updated_at >= t)
            && self.updated_before.is_none_or(|t| ticket.updated_at < t);
        filters && self.search_text().is_none_or(|text| text_matches(text, ticket))
    }

    /// The view's order between two tickets (`Less`: `a` is shown first). For `relevance`, which only the
    /// server can rank, newest first.
    pub fn cmp(&self, a: &Ticket, b: &Ticket) -> Ordering {
        match self.effective_sort() {
            Sort::Newest | Sort::Relevance => (b.created_at, b.id).cmp(&(a.created_at, a.id)),
            Sort::Oldest => (a.created_at, a.id).cmp(&(b.created_at, b.id)),
            Sort::Updated => (b.updated_at, b.id).cmp(&(a.updated_at, a.id)),
            Sort::Priority => {
                (priority_rank(b.priority), b.created_at, b.id).cmp(&(priority_rank(a.priority), a.created_at, a.id))
            }
        }
    }
}

/// The plain-code approximation of the server's text match (see [`TicketView::matches`]).
fn text_matches(text: &str, ticket: &Ticket) -> bool {
    if TicketId::parse_key(text) == Some(ticket.id) {
        return true;
    }
    if ticket
        .reporter
        .as_ref()
        .is_some_and(|r| fold(r.name.trim()) == fold(text))
    {
        return true;
    }
    let wanted = search_words(text);
    if wanted.is_empty() {
        return false;
    }
    let have: Vec<String> = words(&ticket.title)
        .chain(words(&ticket.body))
        .map(|(_, w)| fold(w))
        .collect();
    wanted.iter().all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
}

/// The words of a search text as searched for: lower-case, accent-folded, without duplicates, at most
/// [`MAX_SEARCH_WORDS`]. A word is a run of letters and digits.
pub fn search_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, word) in words(text) {
        let word = fold(word);
        if !out.contains(&word) {
            out.push(word);
        }
        if out.len() == MAX_SEARCH_WORDS {
            break;
        }
    }
    out
}

/// Byte ranges of the words of `text` that start with one of `terms` (as `AllTickets.terms` lists them:
/// folded words), compared without case or accents. For marking matches in a title or body.
pub fn highlight(text: &str, terms: &[String]) -> Vec<(usize, usize)> {
    if terms.is_empty() {
        return Vec::new();
    }
    let terms: Vec<String> = terms.iter().map(|t| fold(t)).filter(|t| !t.is_empty()).collect();
    words(text)
        .filter(|(_, w)| {
            let w = fold(w);
            terms.iter().any(|t| w.starts_with(t.as_str()))
        })
        .map(|(start, w)| (start, start + w.len()))
        .collect()
}

/// The words of `text` (runs of letters and digits) with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// Lower-case without accents: `Jalán` → `jalan`. Covers the Latin letters Indonesian, English and the
/// names of their speakers use (Latin-1 and Latin Extended-A); PostgreSQL's `unaccent` does the same on
/// the server.
pub fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).flat_map(fold_char).collect()
}

fn fold_char(c: char) -> impl Iterator<Item = char> {
    let plain: &str = match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => "",
    };
    let single = plain.is_empty().then_some(c);
    single.into_iter().chain(plain.chars())
}

/// Splits a comma-separated list, parsing each item.
fn split_list<T>(text: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<Vec<T>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| parse(item).ok_or_else(|| format!("expected {what}, not {item:?}")))
        .collect()
}

/// An id as a number or a string of digits (query strings carry only strings).
fn lenient_id<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<i64>,
{
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an id")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<i64>, E> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| E::custom(format!("expected an id, not {v:?}")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<i64>, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<i64>, E> {
            i64::try_from(v).map(Some).map_err(|_| E::custom("id out of range"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
    }
    Ok(deserializer.deserialize_any(V)?.map(T::from))
}

impl From<i64> for CategoryId {
    fn from(id: i64) -> Self {
        CategoryId(id)
    }
}

impl From<i64> for ReporterId {
    fn from(id: i64) -> Self {
        ReporterId(id)
    }
}

/// A count as a number or a string of digits (query strings carry only strings).
pub(crate) fn lenient_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<u32>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a count from 0 to 4294967295")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<u32>, E> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| E::custom(format!("expected a count, not {v:?}")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<u32>, E> {
            u32::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("expected a count, not {v}")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u32>, E> {
            u32::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("expected a count, not {v}")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<u32>, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<u32>, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(V)
}

/// Priorities as a list, or comma-separated in a string.
fn priority_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Priority>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Priority>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of priorities (low, normal, high, urgent)")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<Priority>, E> {
            split_list(v, Priority::parse, "a priority (low, normal, high, urgent)").map_err(E::custom)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Priority>, A::Error> {
            let mut list = Vec::new();
            while let Some(p) = seq.next_element::<Priority>()? {
                list.push(p);
            }
            Ok(list)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<Priority>, E> {
            Ok(Vec::new())
        }
    }
    deserializer.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::{AgentRef, CategoryRef, ReporterRef};
    use serde_json::json;

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn ticket(id: i64, status: Status, priority: Priority) -> Ticket {
        Ticket {
            id: TicketId(id),
            key: TicketId(id).key(),
            title: "Lampu jalan mati".into(),
            body: "Di Kelurahan Sukamaju, jalan rusak dan gelap.".into(),
            status,
            priority,
            category: Some(CategoryRef {
                id: CategoryId(2),
                name: "Jalan".into(),
            }),
            reporter: Some(ReporterRef {
                id: ReporterId(5),
                name: "Siti Rahayu".into(),
            }),
            assignee: None,
            queue: QueueId(1),
            version: 1,
            lock: None,
            created_at: at(id * 10),
            updated_at: at(1000 - id),
            location: None,
            reopened_at: None,
            rating: None,
            merged_into: None,
            sla: Vec::new(),
        }
    }

    const ME: AgentId = AgentId(7);
    /// An admin's access: every queue.
    const ALL: Access = Access {
        all: true,
        queues: Vec::new(),
    };

    #[test]
    fn agents_see_only_their_queues_and_my_queues_is_membership() {
        let agent = Access::of(crate::api::Role::Agent, vec![QueueId(1), QueueId(3)]);
        let mut roads = ticket(1, Status::Open, Priority::Normal);
        roads.queue = QueueId(3);
        let mut parks = roads.clone();
        parks.queue = QueueId(2);
        let any = TicketView::default();
        assert!(any.matches(&roads, ME, &agent));
        assert!(!any.matches(&parks, ME, &agent), "not a member: never in a view");
        assert!(any.matches(&parks, ME, &ALL), "admins see every queue");
        let mine: TicketView = serde_json::from_value(serde_json::json!({"queue": "mine"})).unwrap();
        assert_eq!(mine.queue, Some(QueueFilter::Mine));
        assert!(mine.matches(&roads, ME, &agent));
        assert!(!mine.matches(&parks, ME, &ALL), "an admin's own queues only");
        let one: TicketView = serde_json::from_value(serde_json::json!({"queue_id": "3"})).unwrap();
        assert_eq!(one.queue, Some(QueueFilter::Queue(QueueId(3))));
        assert!(one.matches(&roads, ME, &ALL) && !one.matches(&parks, ME, &ALL));
        assert_eq!(serde_json::to_value(&one).unwrap(), serde_json::json!({"queue": 3}));
        assert!(serde_json::from_value::<TicketView>(serde_json::json!({"queue": "theirs"})).is_err());
    }

    #[test]
    fn an_updates_previous_fields_rebuild_the_ticket_a_view_saw() {
        use crate::ticket::{AgentRef, Previous};
        let before = ticket(4, Status::Open, Priority::Normal);
        let mut after = before.clone();
        after.status = Status::Resolved;
        after.assignee = Some(AgentRef {
            id: ME,
            name: "Ana".into(),
        });
        after.version = 2;
        after.updated_at = at(2000);
        let previous = Previous::between(&before, &after);
        assert_eq!(previous.title, None, "unchanged fields are not sent");
        assert_eq!(previous.assignee, Some(None), "a field that was empty is sent as null");
        let wire = serde_json::to_value(&previous).unwrap();
        assert_eq!(wire["assignee"], json!(null));
        assert!(wire.get("title").is_none());
        let back: Previous = serde_json::from_value(wire).unwrap();
        assert_eq!(back, previous, "null and absent survive the wire");
        assert_eq!(previous.revert(&after), before);
        // "Open work" loses the ticket; "mine" gains it.
        let open = TicketView::default();
        assert!(open.matches(&previous.revert(&after), ME, &ALL) && !open.matches(&after, ME, &ALL));
        let mine: TicketView = serde_json::from_value(json!({"status": "any", "assignee": "me"})).unwrap();
        assert!(!mine.matches(&previous.revert(&after), ME, &ALL) && mine.matches(&after, ME, &ALL));
    }

    #[test]
    fn the_empty_view_is_open_work_newest_first() {
        let view: TicketView = serde_json::from_value(json!({})).unwrap();
        assert_eq!(view, TicketView::default());
        assert_eq!(view.status.statuses(), [Status::New, Status::Open, Status::Pending]);
        assert_eq!(view.effective_sort(), Sort::Newest);
        assert_eq!(serde_json::to_value(&view).unwrap(), json!({}));
        assert!(view.matches(&ticket(1, Status::Pending, Priority::Low), ME, &ALL));
        assert!(!view.matches(&ticket(1, Status::Resolved, Priority::Low), ME, &ALL));
    }

    #[test]
    fn statuses_read_as_groups_lists_and_query_strings() {
        let read = |v| {
            serde_json::from_value::<TicketView>(json!({ "status": v }))
                .unwrap()
                .status
        };
        assert_eq!(read(json!("done")), StatusFilter::Group(StatusGroup::Done));
        assert_eq!(read(json!("any")).statuses(), Status::ALL);
        assert_eq!(
            read(json!(["new", "closed"])),
            StatusFilter::List(vec![Status::New, Status::Closed])
        );
        assert_eq!(read(json!("pending")), StatusFilter::List(vec![Status::Pending]));
        assert_eq!(
            read(json!("new, open")),
            StatusFilter::List(vec![Status::New, Status::Open])
        );
        assert_eq!(read(json!("")), StatusFilter::default());
        assert!(serde_json::from_value::<TicketView>(json!({"status": "sleeping"})).is_err());
        assert!(serde_json::from_value::<TicketView>(json!({"status": ["open", "nope"]})).is_err());
        let done = TicketView {
            status: StatusFilter::Group(StatusGroup::Done),
            ..TicketView::default()
        };
        assert_eq!(serde_json::to_value(&done).unwrap(), json!({"status": "done"}));
        assert!(done.matches(&ticket(1, Status::Closed, Priority::Low), ME, &ALL));
        assert!(!done.matches(&ticket(1, Status::New, Priority::Low), ME, &ALL));
        let list = StatusFilter::List(vec![Status::Closed, Status::New, Status::New]);
        assert_eq!(list.statuses(), [Status::New, Status::Closed]);
        assert_eq!(StatusFilter::List(vec![]).statuses(), Status::ALL);
    }

    #[test]
    fn assignee_is_me_nobody_or_an_agent() {
        let read = |v| {
            serde_json::from_value::<TicketView>(json!({ "assignee": v }))
                .unwrap()
                .assignee
        };
        assert_eq!(read(json!("me")), Some(AssigneeFilter::Me));
        assert_eq!(read(json!("nobody")), Some(AssigneeFilter::Nobody));
        assert_eq!(read(json!(4)), Some(AssigneeFilter::Agent(AgentId(4))));
        assert_eq!(read(json!("4")), Some(AssigneeFilter::Agent(AgentId(4))));
        let alias: TicketView = serde_json::from_value(json!({"assignee_id": 4})).unwrap();
        assert_eq!(alias.assignee, Some(AssigneeFilter::Agent(AgentId(4))));
        assert!(serde_json::from_value::<TicketView>(json!({"assignee": "someone"})).is_err());

        let mut mine = ticket(1, Status::Open, Priority::Normal);
        mine.assignee = Some(AgentRef {
            id: ME,
            name: "Ana".into(),
        });
        let nobodys = ticket(2, Status::Open, Priority::Normal);
        let view = |a| TicketView {
            assignee: Some(a),
            ..TicketView::default()
        };
        assert!(view(AssigneeFilter::Me).matches(&mine, ME, &ALL));
        assert!(!view(AssigneeFilter::Me).matches(&nobodys, ME, &ALL));
        assert!(!view(AssigneeFilter::Me).matches(&mine, AgentId(8), &ALL));
        assert!(view(AssigneeFilter::Nobody).matches(&nobodys, ME, &ALL));
        assert!(!view(AssigneeFilter::Nobody).matches(&mine, ME, &ALL));
        assert!(view(AssigneeFilter::Agent(ME)).matches(&mine, AgentId(1), &ALL));
        assert_eq!(
            serde_json::to_value(view(AssigneeFilter::Me)).unwrap(),
            json!({"assignee": "me"})
        );
        assert_eq!(
            serde_json::to_value(view(AssigneeFilter::Agent(ME))).unwrap(),
            json!({"assignee": 7})
        );
    }

    #[test]
    fn every_filter_narrows_and_query_strings_read() {
        let view: TicketView = serde_json::from_value(json!({
            "status": "any", "category_id": "2", "reporter_id": 5, "priority": "high,urgent",
            "created_after": "2023-11-14T22:13:30Z", "created_before": "2023-11-14T22:14:00Z",
            "sort": "priority"
        }))
        .unwrap();
        assert_eq!(view.category_id, Some(CategoryId(2)));
        assert_eq!(view.reporter_id, Some(ReporterId(5)));
        assert_eq!(view.priority, [Priority::High, Priority::Urgent]);
        assert_eq!(view.effective_sort(), Sort::Priority);
        // created_at of ticket 1 is at(10) = 22:13:30: inclusive after, exclusive before.
        assert!(view.matches(&ticket(1, Status::Closed, Priority::High), ME, &ALL));
        assert!(!view.matches(&ticket(1, Status::Closed, Priority::Normal), ME, &ALL));
        assert!(
            !view.matches(&ticket(9, Status::Closed, Priority::Urgent), ME, &ALL),
            "created at(90) is too late"
        );
        let mut other = ticket(1, Status::Closed, Priority::High);
        other.category = None;
        assert!(!view.matches(&other, ME, &ALL));
        other = ticket(1, Status::Closed, Priority::High);
        other.reporter = None;
        assert!(!view.matches(&other, ME, &ALL));
        let updated = TicketView {
            status: StatusFilter::Group(StatusGroup::Any),
            updated_after: Some(at(990)),
            updated_before: Some(at(995)),
            ..TicketView::default()
        };
        assert!(updated.matches(&ticket(10, Status::New, Priority::Low), ME, &ALL));
        assert!(!updated.matches(&ticket(5, Status::New, Priority::Low), ME, &ALL));
        assert!(!updated.matches(&ticket(11, Status::New, Priority::Low), ME, &ALL));
        assert!(serde_json::from_value::<TicketView>(json!({"priority": "hot"})).is_err());
        assert!(serde_json::from_value::<TicketView>(json!({"category_id": "two"})).is_err());
        let round: TicketView = serde_json::from_value(serde_json::to_value(&view).unwrap()).unwrap();
        assert_eq!(round, view);
    }

    #[test]
    fn text_matches_words_keys_and_reporter_names() {
        let t = ticket(3, Status::New, Priority::Normal);
        let view = |text: &str| TicketView {
            text: Some(text.into()),
            ..TicketView::default()
        };
        for hit in [
            "lampu jalan mati",
            "Jalan RUSAK",
            "kelurahan",
            "Kelurahán",
            "suka",
            "TKT-0003",
            "tkt-3",
            "3",
            "siti rahayu",
        ] {
            assert!(view(hit).matches(&t, ME, &ALL), "{hit:?} should match");
        }
        for miss in ["banjir", "TKT-0004", "jalan banjir", "siti", "!!!", "ampu"] {
            assert!(!view(miss).matches(&t, ME, &ALL), "{miss:?} should not match");
        }
        assert!(view("   ").matches(&t, ME, &ALL), "blank text is no filter");
        assert_eq!(view("  ").effective_sort(), Sort::Newest);
        assert_eq!(view("lampu").effective_sort(), Sort::Relevance);
        let q: TicketView = serde_json::from_value(json!({"q": "lampu"})).unwrap();
        assert_eq!(q.text.as_deref(), Some("lampu"));
    }

    #[test]
    fn search_words_are_folded_deduplicated_and_bounded() {
        assert_eq!(search_words("Lampu  JALAN, jalan-mati!"), ["lampu", "jalan", "mati"]);
        assert_eq!(search_words("Café Ñandú Straße"), ["cafe", "nandu", "strasse"]);
        assert_eq!(search_words("tkt-0003"), ["tkt", "0003"]);
        assert!(search_words("?! --").is_empty());
        let many: String = (0..40).map(|i| format!("w{i} ")).collect();
        assert_eq!(search_words(&many).len(), MAX_SEARCH_WORDS);
    }

    #[test]
    fn highlight_marks_words_starting_with_a_term() {
        let text = "Lampu jalan mati di Jalán Kenanga; JALANAN gelap";
        let ranges = highlight(text, &["jalan".into()]);
        let marked: Vec<&str> = ranges.iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(marked, ["jalan", "Jalán", "JALANAN"]);
        assert!(highlight(text, &[]).is_empty());
        assert!(highlight(text, &["banjir".into()]).is_empty());
        let two = highlight("lampu mati", &["mati".into(), "lam".into()]);
        assert_eq!(two, [(0, 5), (6, 10)]);
    }

    #[test]
    fn cmp_orders_each_sort_with_ties_by_id() {
        let a = ticket(1, Status::New, Priority::Urgent);
        let b = ticket(2, Status::New, Priority::Low);
        let mut c = ticket(3, Status::New, Priority::Urgent);
        c.created_at = a.created_at;
        let order = |sort: Sort| {
            let view = TicketView {
                sort: Some(sort),
                ..TicketView::default()
            };
            let mut list = [a.clone(), b.clone(), c.clone()];
            list.sort_by(|x, y| view.cmp(x, y));
            list.iter().map(|t| t.id.0).collect::<Vec<_>>()
        };
        assert_eq!(order(Sort::Newest), [2, 3, 1]);
        assert_eq!(order(Sort::Relevance), [2, 3, 1]);
        assert_eq!(order(Sort::Oldest), [1, 3, 2]);
        // updated_at is at(1000 - id): ticket 1 changed last.
        assert_eq!(order(Sort::Updated), [1, 2, 3]);
        assert_eq!(order(Sort::Priority), [3, 1, 2]);
        for s in Sort::ALL {
            assert_eq!(Sort::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
        }
        for g in StatusGroup::ALL {
            assert_eq!(StatusGroup::parse(g.as_str()), Some(g));
        }
    }
}
