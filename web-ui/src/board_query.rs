//! The board's view as it lives in the URL query (`/?status=any&assignee=me&q=printer`), and how it
//! becomes the [`TicketView`] the server answers. Unknown values in a hand-edited URL mean "no filter";
//! no status means the default view, "Open work".

use loket_protocol::ticket::{Priority, Status};
use loket_protocol::view::{AssigneeFilter, QueueFilter, Sort, StatusFilter, StatusGroup, TicketView};
use loket_protocol::{AgentId, CategoryId, QueueId};
use serde::{Deserialize, Serialize};

/// The query string of the board route. Every field is optional; absent means the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardQuery {
    /// A status group (`open_work`, the default; `done`; `any`) or a status name. `active` (older
    /// links) is open work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A category id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// A queue id, or `mine` ("My queues").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// An agent id, `me`, or `nobody` (`none` in older links) for unassigned tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// A priority name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Search text: words of title, description and comments, a ticket key or a reporter's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// One of [`Sort`]'s names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// How a sort order is offered.
pub fn sort_label(sort: Sort) -> &'static str {
    match sort {
        Sort::Newest => "Newest first",
        Sort::Oldest => "Oldest first",
        Sort::Updated => "Recently updated",
        Sort::Priority => "Priority",
        Sort::Relevance => "Best match",
    }
}

impl BoardQuery {
    /// Which statuses the view shows.
    pub fn status_filter(&self) -> StatusFilter {
        match non_empty(&self.status) {
            None | Some("active") => StatusFilter::default(),
            Some(name) => match (StatusGroup::parse(name), Status::parse(name)) {
                (Some(group), _) => StatusFilter::Group(group),
                (None, Some(status)) => StatusFilter::List(vec![status]),
                (None, None) => StatusFilter::default(),
            },
        }
    }

    pub fn assignee_filter(&self) -> Option<AssigneeFilter> {
        match non_empty(&self.assignee)? {
            "me" => Some(AssigneeFilter::Me),
            "nobody" | "none" => Some(AssigneeFilter::Nobody),
            id => id.parse().ok().map(|n| AssigneeFilter::Agent(AgentId(n))),
        }
    }

    pub fn queue_filter(&self) -> Option<QueueFilter> {
        match non_empty(&self.queue)? {
            "mine" => Some(QueueFilter::Mine),
            id => id.parse().ok().map(|n| QueueFilter::Queue(QueueId(n))),
        }
    }

    /// The order asked for, if a known one.
    pub fn sort_order(&self) -> Option<Sort> {
        non_empty(&self.sort).and_then(Sort::parse)
    }

    /// The view the server is asked for.
    pub fn view(&self) -> TicketView {
        TicketView {
            status: self.status_filter(),
            category_id: non_empty(&self.category).and_then(|id| id.parse().ok()).map(CategoryId),
            assignee: self.assignee_filter(),
            queue: self.queue_filter(),
            priority: non_empty(&self.priority)
                .and_then(Priority::parse)
                .into_iter()
                .collect(),
            text: non_empty(&self.q).map(str::to_string),
            sort: self.sort_order(),
            ..TicketView::default()
        }
    }

    /// True when the view is narrower than the default one.
    pub fn is_filtered(&self) -> bool {
        let view = self.view();
        view.status != StatusFilter::default()
            || view.category_id.is_some()
            || view.assignee.is_some()
            || view.queue.is_some()
            || !view.priority.is_empty()
            || view.search_text().is_some()
    }

    /// A copy without empty or default fields, so the URL stays tidy.
    pub fn normalised(mut self) -> BoardQuery {
        for field in [
            &mut self.status,
            &mut self.category,
            &mut self.queue,
            &mut self.assignee,
            &mut self.priority,
            &mut self.sort,
        ] {
            if non_empty(field).is_none() {
                *field = None;
            }
        }
        if self.q.as_deref().is_some_and(|q| q.is_empty()) {
            self.q = None;
        }
        if self.status.as_deref() == Some(StatusGroup::OpenWork.as_str()) {
            self.status = None;
        }
        if self.sort.as_deref() == Some(Sort::default().as_str()) && non_empty(&self.q).is_none() {
            self.sort = None;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_query_is_open_work_newest_first() {
        let view = BoardQuery::default().view();
        assert_eq!(view, TicketView::default());
        assert_eq!(view.status, StatusFilter::Group(StatusGroup::OpenWork));
        assert_eq!(view.effective_sort(), Sort::Newest);
        assert!(!BoardQuery::default().is_filtered());
    }

    #[test]
    fn every_field_reaches_the_view() {
        let q = BoardQuery {
            status: Some("pending".into()),
            category: Some("3".into()),
            queue: Some("mine".into()),
            assignee: Some("me".into()),
            priority: Some("urgent".into()),
            q: Some(" printer ".into()),
            sort: Some("oldest".into()),
        };
        let view = q.view();
        assert_eq!(view.queue, Some(QueueFilter::Mine));
        assert_eq!(view.status, StatusFilter::List(vec![Status::Pending]));
        assert_eq!(view.category_id, Some(CategoryId(3)));
        assert_eq!(view.assignee, Some(AssigneeFilter::Me));
        assert_eq!(view.priority, vec![Priority::Urgent]);
        assert_eq!(view.text.as_deref(), Some("printer"));
        assert_eq!(view.sort, Some(Sort::Oldest));
        assert!(q.is_filtered());
        let groups = |s: &str| {
            BoardQuery {
                status: Some(s.into()),
                ..Default::default()
            }
            .view()
            .status
        };
        assert_eq!(groups("any"), StatusFilter::Group(StatusGroup::Any));
        assert_eq!(groups("done"), StatusFilter::Group(StatusGroup::Done));
        assert_eq!(groups("active"), StatusFilter::default());
        let nobody = BoardQuery {
            assignee: Some("none".into()),
            ..Default::default()
        };
        assert_eq!(nobody.view().assignee, Some(AssigneeFilter::Nobody));
        let agent = BoardQuery {
            assignee: Some("7".into()),
            ..Default::default()
        };
        assert_eq!(agent.view().assignee, Some(AssigneeFilter::Agent(AgentId(7))));
        let roads = BoardQuery {
            queue: Some("4".into()),
            ..Default::default()
        };
        assert_eq!(roads.view().queue, Some(QueueFilter::Queue(QueueId(4))));
        assert!(roads.is_filtered());
    }

    #[test]
    fn bad_values_mean_no_filter_and_normalising_drops_defaults() {
        let q = BoardQuery {
            status: Some("bogus".into()),
            category: Some("x".into()),
            queue: Some("theirs".into()),
            assignee: Some("".into()),
            priority: Some("hot".into()),
            sort: Some("newest".into()),
            q: Some(String::new()),
        };
        assert_eq!(
            q.view(),
            TicketView {
                sort: Some(Sort::Newest),
                ..TicketView::default()
            }
        );
        let normal = q.normalised();
        assert_eq!(normal.assignee, None);
        assert_eq!(normal.sort, None);
        assert_eq!(normal.q, None);
        let open = BoardQuery {
            status: Some("open_work".into()),
            ..Default::default()
        };
        assert_eq!(open.normalised().status, None);
    }

    #[test]
    fn round_trips_through_a_query_string() {
        let q = BoardQuery {
            status: Some("any".into()),
            q: Some("printer jam".into()),
            ..Default::default()
        };
        let text = serde_urlencoded::to_string(&q).unwrap();
        assert_eq!(text, "status=any&q=printer+jam");
        assert_eq!(serde_urlencoded::from_str::<BoardQuery>(&text).unwrap(), q);
        assert_eq!(
            serde_urlencoded::from_str::<BoardQuery>("").unwrap(),
            BoardQuery::default()
        );
    }
}
