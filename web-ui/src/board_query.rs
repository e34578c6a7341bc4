//! The board's filters and sort order as they live in the URL query (`/?status=open&assignee=me&q=printer`),
//! and the plain functions that apply them. Unknown values in a hand-edited URL mean "no filter".

use crate::format::priority_rank;
use loket_protocol::ticket::{Status, Ticket};
use loket_protocol::{AgentId, CategoryId};
use serde::{Deserialize, Serialize};

/// The query string of the board route. Every field is optional; absent means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardQuery {
    /// A status name, or `active` for new + open + pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A category id, or `none` for uncategorised tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// An agent id, `me`, or `none` for unassigned tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Free text searched in key, title, description and reporter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// One of [`Sort`]'s names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
}

/// How the board is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Updated,
    Priority,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Newest, Sort::Oldest, Sort::Updated, Sort::Priority];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Updated => "updated",
            Sort::Priority => "priority",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest first",
            Sort::Oldest => "Oldest first",
            Sort::Updated => "Recently updated",
            Sort::Priority => "Priority",
        }
    }

    pub fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A filter on an optional reference (category or assignee).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefFilter<T> {
    Any,
    Unset,
    Is(T),
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl BoardQuery {
    /// The statuses shown, or `None` for all.
    pub fn statuses(&self) -> Option<Vec<Status>> {
        match non_empty(&self.status)? {
            "active" => Some(vec![Status::New, Status::Open, Status::Pending]),
            name => Status::parse(name).map(|s| vec![s]),
        }
    }

    pub fn category_filter(&self) -> RefFilter<CategoryId> {
        match non_empty(&self.category) {
            Some("none") => RefFilter::Unset,
            Some(id) => id
                .parse()
                .map(|n| RefFilter::Is(CategoryId(n)))
                .unwrap_or(RefFilter::Any),
            None => RefFilter::Any,
        }
    }

    pub fn assignee_filter(&self, me: AgentId) -> RefFilter<AgentId> {
        match non_empty(&self.assignee) {
            Some("none") => RefFilter::Unset,
            Some("me") => RefFilter::Is(me),
            Some(id) => id.parse().map(|n| RefFilter::Is(AgentId(n))).unwrap_or(RefFilter::Any),
            None => RefFilter::Any,
        }
    }

    pub fn sort_order(&self) -> Sort {
        non_empty(&self.sort).and_then(Sort::parse).unwrap_or_default()
    }

    /// The search text, lower-cased, if any.
    pub fn search(&self) -> Option<String> {
        non_empty(&self.q).map(str::to_lowercase)
    }

    /// True when any filter narrows the board.
    pub fn is_filtered(&self) -> bool {
        non_empty(&self.status).is_some()
            || non_empty(&self.category).is_some()
            || non_empty(&self.assignee).is_some()
            || non_empty(&self.q).is_some()
    }

    /// A copy without empty fields, so the URL stays tidy.
    pub fn normalised(mut self) -> BoardQuery {
        for field in [&mut self.status, &mut self.category, &mut self.assignee, &mut self.sort] {
            if non_empty(field).is_none() {
                *field = None;
            }
        }
        if self.q.as_deref().is_some_and(|q| q.is_empty()) {
            self.q = None;
        }
        if self.sort.as_deref() == Some(Sort::default().as_str()) {
            self.sort = None;
        }
        self
    }

    /// Does one ticket pass the filters?
    pub fn matches(&self, ticket: &Ticket, me: AgentId) -> bool {
        if let Some(statuses) = self.statuses()
            && !statuses.contains(&ticket.status)
        {
            return false;
        }
        let category = ticket.category.as_ref().map(|c| c.id);
        let category_ok = match self.category_filter() {
            RefFilter::Any => true,
            RefFilter::Unset => category.is_none(),
            RefFilter::Is(id) => category == Some(id),
        };
        let assignee = ticket.assignee.as_ref().map(|a| a.id);
        let assignee_ok = match self.assignee_filter(me) {
            RefFilter::Any => true,
            RefFilter::Unset => assignee.is_none(),
            RefFilter::Is(id) => assignee == Some(id),
        };
        if !category_ok || !assignee_ok {
            return false;
        }
        match self.search() {
            None => true,
            Some(needle) => {
                let reporter = ticket.reporter.as_ref().map(|r| r.name.as_str()).unwrap_or("");
                [ticket.key.as_str(), &ticket.title, &ticket.body, reporter]
                    .iter()
                    .any(|hay| hay.to_lowercase().contains(&needle))
            }
        }
    }

    /// The tickets to show, filtered and sorted.
    pub fn apply<'a>(&self, tickets: impl IntoIterator<Item = &'a Ticket>, me: AgentId) -> Vec<&'a Ticket> {
        let mut shown: Vec<&Ticket> = tickets.into_iter().filter(|t| self.matches(t, me)).collect();
        match self.sort_order() {
            Sort::Newest => shown.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))),
            Sort::Oldest => shown.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id))),
            Sort::Updated => shown.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id))),
            Sort::Priority => shown.sort_by(|a, b| {
                priority_rank(a.priority)
                    .cmp(&priority_rank(b.priority))
                    .then(b.created_at.cmp(&a.created_at))
                    .then(b.id.cmp(&a.id))
            }),
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::{agent, at, ticket};
    use loket_protocol::ReporterId;
    use loket_protocol::ticket::{CategoryRef, Priority, ReporterRef};

    fn sample() -> Vec<Ticket> {
        let mut a = ticket(1);
        a.body = "Paper stuck in tray 2".into();
        a.title = "Printer jammed".into();
        a.updated_at = at(300);
        a.assignee = Some(agent(7, "Ayu"));
        a.category = Some(CategoryRef {
            id: CategoryId(3),
            name: "Hardware".into(),
        });
        let mut b = ticket(2);
        b.title = "Password reset".into();
        b.status = Status::Closed;
        b.body = "Locked out of email".into();
        b.priority = Priority::Urgent;
        b.created_at = at(60);
        b.reporter = Some(ReporterRef {
            id: ReporterId(1),
            name: "Siti".into(),
        });
        let mut c = ticket(3);
        c.title = "Wifi slow".into();
        c.status = Status::Pending;
        c.body = "Meeting room access point".into();
        c.created_at = at(120);
        c.updated_at = at(500);
        vec![a, b, c]
    }

    fn ids(shown: Vec<&Ticket>) -> Vec<i64> {
        shown.into_iter().map(|t| t.id.0).collect()
    }

    #[test]
    fn default_shows_everything_newest_first() {
        let tickets = sample();
        assert_eq!(ids(BoardQuery::default().apply(&tickets, AgentId(7))), vec![3, 2, 1]);
    }

    #[test]
    fn filters_combine() {
        let tickets = sample();
        let me = AgentId(7);
        let q = |status: &str, assignee: &str| BoardQuery {
            status: Some(status.into()),
            assignee: Some(assignee.into()),
            ..Default::default()
        };
        assert_eq!(ids(q("active", "").apply(&tickets, me)), vec![3, 1]);
        assert_eq!(ids(q("", "me").apply(&tickets, me)), vec![1]);
        assert_eq!(ids(q("", "none").apply(&tickets, me)), vec![3, 2]);
        assert_eq!(ids(q("closed", "none").apply(&tickets, me)), vec![2]);
        let category = BoardQuery {
            category: Some("3".into()),
            ..Default::default()
        };
        assert_eq!(ids(category.apply(&tickets, me)), vec![1]);
        let uncategorised = BoardQuery {
            category: Some("none".into()),
            ..Default::default()
        };
        assert_eq!(ids(uncategorised.apply(&tickets, me)), vec![3, 2]);
    }

    #[test]
    fn search_looks_at_key_title_and_reporter() {
        let tickets = sample();
        let search = |q: &str| {
            BoardQuery {
                q: Some(q.into()),
                ..Default::default()
            }
            .apply(&tickets, AgentId(1))
        };
        assert_eq!(ids(search("PRINTER")), vec![1]);
        assert_eq!(ids(search("tkt-0002")), vec![2]);
        assert_eq!(ids(search("siti")), vec![2]);
        assert_eq!(ids(search("   ")), vec![3, 2, 1]);
    }

    #[test]
    fn sorts() {
        let tickets = sample();
        let sorted = |s: Sort| {
            ids(BoardQuery {
                sort: Some(s.as_str().into()),
                ..Default::default()
            }
            .apply(&tickets, AgentId(1)))
        };
        assert_eq!(sorted(Sort::Oldest), vec![1, 2, 3]);
        assert_eq!(sorted(Sort::Updated), vec![3, 1, 2]);
        assert_eq!(sorted(Sort::Priority), vec![2, 3, 1]);
    }

    #[test]
    fn bad_values_mean_no_filter_and_normalising_drops_empties() {
        let q = BoardQuery {
            status: Some("bogus".into()),
            category: Some("x".into()),
            assignee: Some("".into()),
            sort: Some("newest".into()),
            q: Some(String::new()),
        };
        assert_eq!(q.statuses(), None);
        assert_eq!(q.category_filter(), RefFilter::Any);
        let normal = q.normalised();
        assert_eq!(normal.assignee, None);
        assert_eq!(normal.sort, None);
        assert_eq!(normal.q, None);
    }

    #[test]
    fn round_trips_through_a_query_string() {
        let q = BoardQuery {
            status: Some("open".into()),
            q: Some("printer jam".into()),
            ..Default::default()
        };
        let text = serde_urlencoded::to_string(&q).unwrap();
        assert_eq!(text, "status=open&q=printer+jam");
        assert_eq!(serde_urlencoded::from_str::<BoardQuery>(&text).unwrap(), q);
        assert_eq!(
            serde_urlencoded::from_str::<BoardQuery>("").unwrap(),
            BoardQuery::default()
        );
    }
}
