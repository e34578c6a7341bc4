//! Board views as SQL: a [`TicketView`] becomes one parameterised query for a page (keyset pagination
//! after a cursor, never OFFSET) and one count with the same predicate, read in one snapshot.
//!
//! Search (`text`) is PostgreSQL full-text search over title, body and comments (`ticket_search.doc` and
//! its GIN index, migrations/V17__search_table.sql), every word asked for as a prefix, ranked by
//! `ts_rank`; plus the ticket the text names as a key in any spelling and the tickets of reporters with
//! exactly that name. The same rules as plain code are `TicketView::matches` in the protocol crate. A
//! search's total stops counting at [`SEARCH_COUNT_CAP`] (`total_exact: false` past it): an exact count
//! of a common word's matches would read every one of them for each page.
//!
//! Status filters are written into the SQL as literals from [`Status::as_str`] (never client text): the
//! planner can then use the partial "open work" indexes, which it cannot prove from a parameter.

use deadpool_postgres::GenericClient;
use loket_protocol::TicketId;
use loket_protocol::queue::Access;
use loket_protocol::ticket::{Status, Ticket};
use loket_protocol::view::{AssigneeFilter, QueueFilter, Sort, StatusGroup, TicketView, priority_rank};
use loket_protocol::{AgentId, Timestamp};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::db::attention;
use crate::db::tickets::{RATING_JOIN, REPORTER_SIDE_COLUMNS, ticket_from_row};
use crate::domain::cursor::After;
use crate::error::AppError;

/// Score added for the ticket the search text names by its key: it comes first.
const KEY_SCORE: f32 = 1000.0;
/// Score added for tickets of a reporter with exactly the searched name: after the key, before words.
const REPORTER_SCORE: f32 = 100.0;
/// Matches a relevance-sorted search ranks: the newest this many (plus exact key and reporter matches).
/// Past them, sort by `newest` to page through every match; `total` counts them all.
pub const RANK_WINDOW: i64 = 500;
/// A search's total counts at most this many matches; past it the total is "at least this many".
pub const SEARCH_COUNT_CAP: i64 = 1000;
/// Most reporters an exact-name search considers.
const MAX_REPORTERS: i64 = 50;

/// One page of a view as read from PostgreSQL (locks are added by the caller).
#[derive(Debug)]
pub struct ViewPage {
    pub tickets: Vec<Ticket>,
    pub total: u64,
    /// False when `total` is [`SEARCH_COUNT_CAP`] and more match.
    pub total_exact: bool,
    pub next: Option<After>,
    /// The page's tickets unread by the agent (`db::attention`).
    pub unread: Vec<TicketId>,
}

/// A query under construction: SQL text and its parameters, numbered as they are added.
#[derive(Default)]
struct Sql {
    text: String,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Sql {
    /// Adds a parameter and answers its placeholder (`$3`).
    fn param(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

/// What a search text asks for, resolved before the query.
struct Search {
    /// `'lampu':* & 'jalan':*`, or none when the text has no words.
    tsquery: Option<String>,
    key: Option<TicketId>,
    reporters: Vec<i64>,
}

/// The tsquery for `words` (already folded by `search_words`: letters and digits only), each a prefix.
fn tsquery(words: &[String]) -> Option<String> {
    (!words.is_empty()).then(|| words.iter().map(|w| format!("'{w}':*")).collect::<Vec<_>>().join(" & "))
}

/// The `WHERE` conditions of `view`'s filters for agent `me` with `access` (neither search nor cursor),
/// added to `sql`.
fn conditions(sql: &mut Sql, view: &TicketView, me: AgentId, access: &Access) -> Vec<String> {
    let mut out = Vec::new();
    // Only the queues the agent may see (admins: all), whatever the view asks for.
    let queues = match view.queue {
        None if access.all => None,
        None => Some(access.queues.clone()),
        Some(QueueFilter::Mine) => Some(access.queues.clone()),
        Some(QueueFilter::Queue(id)) if access.admits(id) => Some(vec![id]),
        Some(QueueFilter::Queue(_)) => Some(Vec::new()),
    };
    match queues.as_deref() {
        None => {}
        Some([]) => out.push("false".into()),
        Some([one]) => out.push(format!("t.queue_id = {}", sql.param(one.0))),
        Some(many) => {
            let ids: Vec<i64> = many.iter().map(|q| q.0).collect();
            out.push(format!("t.queue_id = ANY({})", sql.param(ids)));
        }
    }
    let statuses = view.status.statuses();
    if statuses.len() < Status::ALL.len() {
        let list: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
        out.push(format!("t.status IN ({})", list.join(", ")));
    }
    if let Some(category) = view.category_id {
        out.push(format!("t.category_id = {}", sql.param(category.0)));
    }
    match view.assignee {
        None => {}
        Some(AssigneeFilter::Nobody) => out.push("t.assignee_id IS NULL".into()),
        Some(filter @ (AssigneeFilter::Me | AssigneeFilter::Agent(_))) => {
            let agent = filter.agent(me).map_or(0, |a| a.0);
            out.push(format!("t.assignee_id = {}", sql.param(agent)));
        }
    }
    if let Some(reporter) = view.reporter_id {
        out.push(format!("t.reporter_id = {}", sql.param(reporter.0)));
    }
    if !view.priority.is_empty() {
        // As ranks: the done-tickets index (category, priority rank, created) serves it.
        let ranks: Vec<i16> = view.priority.iter().map(|p| priority_rank(*p)).collect();
        out.push(format!("t.priority_rank = ANY({}::smallint[])", sql.param(ranks)));
    }
    let times: [(&str, &str, Option<Timestamp>); 4] = [
        ("created_at", ">=", view.created_after),
        ("created_at", "<", view.created_before),
        ("updated_at", ">=", view.updated_after),
        ("updated_at", "<", view.updated_before),
    ];
    for (column, op, at) in times {
        if let Some(at) = at {
            out.push(format!("t.{column} {op} {}", sql.param(at)));
        }
    }
    out
}

/// One way a ticket can match a search, answered by its own index: the words (the search table's GIN
/// index; its partial one for open work when the view asks for open work only), or the exact matches
/// (the ticket's key, the reporters' tickets: btree indexes). A ticket matches if any branch does. They
/// are queried as a `UNION`, never joined with `OR`: an `OR` across the search table and `tickets` can
/// use neither index and filters every ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    Words,
    Exact,
}

impl Branch {
    /// The branches `search` has (none: it can match nothing).
    fn of(search: &Search) -> Vec<Branch> {
        let mut out = Vec::new();
        if search.tsquery.is_some() {
            out.push(Branch::Words);
        }
        if search.key.is_some() || !search.reporters.is_empty() {
            out.push(Branch::Exact);
        }
        out
    }

    /// The branch's condition, its parameters added to `sql`.
    fn condition(self, sql: &mut Sql, view: &TicketView, search: &Search) -> String {
        match self {
            Branch::Words => {
                let open_only = view
                    .status
                    .statuses()
                    .iter()
                    .all(|s| StatusGroup::OpenWork.statuses().contains(s));
                let q = search.tsquery.clone().unwrap_or_default();
                format!(
                    "EXISTS (SELECT 1 FROM ticket_search s WHERE s.ticket_id = t.id{}
                             AND s.doc @@ to_tsquery('simple', loket_fold({})))",
                    if open_only { " AND s.open_work" } else { "" },
                    sql.param(q)
                )
            }
            Branch::Exact => {
                let mut exact = Vec::new();
                if let Some(key) = search.key {
                    exact.push(format!("t.id = {}", sql.param(key.0)));
                }
                if !search.reporters.is_empty() {
                    exact.push(format!("t.reporter_id = ANY({})", sql.param(search.reporters.clone())));
                }
                format!("({})", exact.join(" OR "))
            }
        }
    }
}

/// The `WHERE` clauses that together select `view`'s tickets: one without search, one per branch with
/// it (none when the search can match nothing), each with what `extra` adds (the cursor).
fn wheres(
    sql: &mut Sql,
    view: &TicketView,
    me: AgentId,
    access: &Access,
    search: Option<&Search>,
    extra: &mut dyn FnMut(&mut Sql) -> Option<String>,
) -> Vec<String> {
    let arms: Vec<Option<Branch>> = match search {
        None => vec![None],
        Some(search) => Branch::of(search).into_iter().map(Some).collect(),
    };
    arms.into_iter()
        .map(|arm| {
            let mut all = conditions(sql, view, me, access);
            if let (Some(arm), Some(search)) = (arm, search) {
                all.push(arm.condition(sql, view, search));
            }
            all.extend(extra(sql));
            where_clause(&all)
        })
        .collect()
}

/// The relevance score of a ticket for `search` (the placeholders are added again: a query names each
/// parameter where it is used).
fn score(sql: &mut Sql, search: &Search) -> String {
    let mut parts = vec!["0".to_string()];
    if let Some(key) = search.key {
        parts.push(format!(
            "CASE WHEN t.id = {} THEN {KEY_SCORE} ELSE 0 END",
            sql.param(key.0)
        ));
    }
    if !search.reporters.is_empty() {
        parts.push(format!(
            "CASE WHEN t.reporter_id = ANY({}) THEN {REPORTER_SCORE} ELSE 0 END",
            sql.param(search.reporters.clone())
        ));
    }
    if let Some(q) = &search.tsquery {
        parts.push(format!(
            "coalesce(ts_rank(ts.doc, to_tsquery('simple', loket_fold({}))), 0)",
            sql.param(q.clone())
        ));
    }
    format!("({})::real", parts.join(" + "))
}

/// Reads the search text's key and reporters.
async fn resolve(db: &impl GenericClient, text: &str, words: &[String]) -> Result<Search, AppError> {
    let reporters = db
        .query(
            &db.prepare_cached("SELECT id FROM reporters WHERE loket_fold(name) = loket_fold($1) ORDER BY id LIMIT $2")
                .await?,
            &[&text, &MAX_REPORTERS],
        )
        .await?
        .iter()
        .map(|r| r.get::<_, i64>(0))
        .collect();
    Ok(Search {
        tsquery: tsquery(words),
        key: TicketId::parse_key(text),
        reporters,
    })
}

/// Whether `access` names every queue on file.
async fn in_every_queue(db: &impl GenericClient, access: &Access) -> Result<bool, AppError> {
    let ids: Vec<i64> = access.queues.iter().map(|q| q.0).collect();
    let statement = db
        .prepare_cached("SELECT NOT EXISTS (SELECT 1 FROM queues WHERE id <> ALL($1))")
        .await?;
    Ok(db.query_one(&statement, &[&ids]).await?.get(0))
}

/// One page of `view` for agent `me`: at most `limit` tickets after `after` in the view's order, the
/// total matching, and the cursor of the next page if there is one. Run it inside one snapshot
/// (a repeatable-read transaction) so that page and total agree.
pub async fn page(
    db: &impl GenericClient,
    view: &TicketView,
    me: AgentId,
    access: &Access,
    limit: u32,
    after: Option<After>,
) -> Result<ViewPage, AppError> {
    // A member of every queue on file sees every ticket, and "My queues" is all of them: no queue
    // condition then, so the view's own indexes answer alone (a desk with one queue, or a small team in
    // all of them). Read in the view's snapshot, like the page.
    let (everywhere, every_queue_view);
    let may_narrow = !access.all || view.queue == Some(QueueFilter::Mine);
    let (access, view) = if may_narrow && !access.queues.is_empty() && in_every_queue(db, access).await? {
        everywhere = Access {
            all: true,
            queues: access.queues.clone(),
        };
        every_queue_view = TicketView {
            queue: match view.queue {
                Some(QueueFilter::Mine) => None,
                other => other,
            },
            ..view.clone()
        };
        (&everywhere, &every_queue_view)
    } else {
        (access, view)
    };
    let sort = view.effective_sort();
    let search = match view.search_text() {
        Some(text) => Some(resolve(db, text, &view.search_words()).await?),
        None => None,
    };

    // The count: every condition, no cursor; a search's stops after the cap (one more, to know), in
    // each branch (the union of branches cut at cap + 1 holds more than the cap exactly when the whole
    // does).
    let mut count = Sql::default();
    let count_wheres = wheres(&mut count, view, me, access, search.as_ref(), &mut |_| None);
    count.text = match &search {
        None => format!("SELECT count(*) FROM tickets t {}", count_wheres.join("")),
        Some(_) if count_wheres.is_empty() => "SELECT 0::bigint".into(),
        Some(_) => format!(
            "SELECT count(*) FROM ({}) m",
            count_wheres
                .iter()
                .map(|w| format!("(SELECT t.id FROM tickets t {w} LIMIT {})", SEARCH_COUNT_CAP + 1))
                .collect::<Vec<_>>()
                .join(" UNION ")
        ),
    };

    // The page: the same conditions, after the cursor, in order; one more than asked to know whether a
    // next page exists.
    let mut rows = Sql::default();
    let (keys, order) = match sort {
        Sort::Newest => ("t.created_at, t.id", "created_at DESC, id DESC"),
        Sort::Oldest => ("t.created_at, t.id", "created_at, id"),
        Sort::Updated => ("t.updated_at, t.id", "updated_at DESC, id DESC"),
        Sort::Priority => (
            "t.priority_rank, t.created_at, t.id",
            "priority_rank DESC, created_at DESC, id DESC",
        ),
        Sort::Relevance => ("", "score DESC, id DESC"),
    };
    // The order's columns of the relation `prefix` names (`t.`, `u.`); the score is always the page's.
    let qualified = |prefix: &str| {
        order
            .split(", ")
            .map(|part| format!("{}{part}", if part.starts_with("score") { "p." } else { prefix }))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut cursor = |sql: &mut Sql| match after {
        None | Some(After::Relevance { .. }) => None,
        Some(After::Newest { created_at, id }) => {
            Some(format!("({keys}) < ({}, {})", sql.param(created_at), sql.param(id.0)))
        }
        Some(After::Oldest { created_at, id }) => {
            Some(format!("({keys}) > ({}, {})", sql.param(created_at), sql.param(id.0)))
        }
        Some(After::Updated { updated_at, id }) => {
            Some(format!("({keys}) < ({}, {})", sql.param(updated_at), sql.param(id.0)))
        }
        Some(After::Priority { rank, created_at, id }) => Some(format!(
            "({keys}) < ({}, {}, {})",
            sql.param(rank),
            sql.param(created_at),
            sql.param(id.0)
        )),
    };
    let page_wheres = wheres(&mut rows, view, me, access, search.as_ref(), &mut cursor);
    let limit_param = rows.param(i64::from(limit) + 1);
    let inner = match (&search, sort) {
        (Some(_), _) if page_wheres.is_empty() => "SELECT NULL::bigint AS id, 0::real AS score WHERE false".into(),
        (Some(search), Sort::Relevance) => {
            let after = match after {
                Some(After::Relevance { score, id }) => {
                    format!("WHERE (s.score, s.id) < ({}, {})", rows.param(score), rows.param(id.0))
                }
                _ => String::new(),
            };
            // Ranked: the newest RANK_WINDOW matches of each branch (so exact matches are never left
            // out), each scored; ranking every match of a common word would read and score tens of
            // thousands of rows for the first page.
            let window = rows.param(RANK_WINDOW);
            let score = score(&mut rows, search);
            let candidates = page_wheres
                .iter()
                .map(|w| {
                    format!("(SELECT t.id FROM tickets t {w} ORDER BY t.created_at DESC, t.id DESC LIMIT {window})")
                })
                .collect::<Vec<_>>()
                .join(" UNION ");
            format!(
                "SELECT * FROM (
                     SELECT t.id, {score} AS score
                     FROM ({candidates}) w
                     JOIN tickets t ON t.id = w.id
                     LEFT JOIN ticket_search ts ON ts.ticket_id = t.id) s {after}
                 ORDER BY score DESC, id DESC LIMIT {limit_param}"
            )
        }
        (_, _) if page_wheres.len() == 1 => format!(
            "SELECT t.id, 0::real AS score FROM tickets t {} ORDER BY {} LIMIT {limit_param}",
            page_wheres[0],
            qualified("t.")
        ),
        (_, _) => {
            // Several branches: each its first page in order, merged.
            let arms = page_wheres
                .iter()
                .map(|w| {
                    format!(
                        "(SELECT {keys} FROM tickets t {w} ORDER BY {} LIMIT {limit_param})",
                        qualified("t.")
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ");
            format!(
                "SELECT u.id, 0::real AS score FROM ({arms}) u ORDER BY {} LIMIT {limit_param}",
                qualified("u.")
            )
        }
    };
    // The agent's unread markers: looked up for the page's rows only (primary keys), after the page is cut.
    let me_param = rows.param(me.0);
    let unread = attention::unread_column(&me_param);
    let attention_join = attention::join(&me_param);
    rows.text = format!(
        "SELECT t.id, t.title, t.body, t.status, t.priority, t.priority_rank, t.queue_id, t.version, t.created_at,
                t.updated_at, p.score, {unread},
                c.id AS category_id, c.name AS category_name,
                r.id AS reporter_id, r.name AS reporter_name,
                a.id AS assignee_id, a.name AS assignee_name, {REPORTER_SIDE_COLUMNS}
         FROM ({inner}) p
         JOIN tickets t ON t.id = p.id
         LEFT JOIN categories c ON c.id = t.category_id
         LEFT JOIN reporters r ON r.id = t.reporter_id
         LEFT JOIN agents a ON a.id = t.assignee_id
         {RATING_JOIN}
         {attention_join}
         ORDER BY {}",
        qualified("t.")
    );

    let mut total: i64 = db
        .query_one(&db.prepare_cached(&count.text).await?, &count.refs())
        .await?
        .get(0);
    let total_exact = search.is_none() || total <= SEARCH_COUNT_CAP;
    if !total_exact {
        total = SEARCH_COUNT_CAP;
    }
    let mut found = db.query(&db.prepare_cached(&rows.text).await?, &rows.refs()).await?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if found.len() > limit {
        found.truncate(limit);
        found.last().map(|row| cursor_of(sort, row))
    } else {
        None
    };
    Ok(ViewPage {
        unread: found
            .iter()
            .filter(|row| row.get::<_, bool>("unread"))
            .map(|row| TicketId(row.get("id")))
            .collect(),
        tickets: found.iter().map(ticket_from_row).collect(),
        total: u64::try_from(total).unwrap_or(0),
        total_exact,
        next,
    })
}

fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}

/// The cursor after `row` in `sort`.
fn cursor_of(sort: Sort, row: &Row) -> After {
    let id = TicketId(row.get("id"));
    let created_at = row.get("created_at");
    match sort {
        Sort::Newest => After::Newest { created_at, id },
        Sort::Oldest => After::Oldest { created_at, id },
        Sort::Updated => After::Updated {
            updated_at: row.get("updated_at"),
            id,
        },
        Sort::Priority => After::Priority {
            rank: row.get("priority_rank"),
            created_at,
            id,
        },
        Sort::Relevance => After::Relevance {
            score: row.get("score"),
            id,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_protocol::view::StatusFilter;

    #[test]
    fn search_words_become_a_prefix_query() {
        let words = loket_protocol::view::search_words("Lampu jalan, MATI");
        assert_eq!(tsquery(&words).as_deref(), Some("'lampu':* & 'jalan':* & 'mati':*"));
        assert_eq!(tsquery(&[]), None);
    }

    #[test]
    fn conditions_name_statuses_as_literals_and_values_as_parameters() {
        let mut sql = Sql::default();
        let view = TicketView {
            status: StatusFilter::Group(loket_protocol::view::StatusGroup::OpenWork),
            assignee: Some(AssigneeFilter::Me),
            text: Some("x'); DROP TABLE tickets; --".into()),
            ..TicketView::default()
        };
        let search = Search {
            tsquery: tsquery(&view.search_words()),
            key: None,
            reporters: vec![],
        };
        let admin = Access {
            all: true,
            queues: vec![],
        };
        let mut conds = conditions(&mut sql, &view, AgentId(7), &admin);
        conds.push(Branch::Words.condition(&mut sql, &view, &search));
        assert_eq!(conds[0], "t.status IN ('new', 'open', 'pending')");
        assert_eq!(conds[1], "t.assignee_id = $1");
        assert!(conds[2].contains("loket_fold($2)"), "{}", conds[2]);
        assert!(
            conds[2].contains("s.open_work"),
            "open work only: the partial index can answer"
        );
        assert!(
            !conds.join(" ").contains("DROP"),
            "client text only travels as a parameter"
        );
        assert_eq!(Branch::of(&search), [Branch::Words]);
        let exact = Search {
            tsquery: None,
            key: Some(TicketId(3)),
            reporters: vec![4],
        };
        assert_eq!(Branch::of(&exact), [Branch::Exact]);
        assert_eq!(
            Branch::Exact.condition(&mut Sql::default(), &view, &exact),
            "(t.id = $1 OR t.reporter_id = ANY($2))"
        );
        let any_status = TicketView {
            status: StatusFilter::Group(loket_protocol::view::StatusGroup::Any),
            ..view.clone()
        };
        assert!(
            !Branch::Words
                .condition(&mut Sql::default(), &any_status, &search)
                .contains("open_work")
        );
        let any = TicketView {
            status: StatusFilter::Group(loket_protocol::view::StatusGroup::Any),
            ..TicketView::default()
        };
        assert!(conditions(&mut Sql::default(), &any, AgentId(1), &admin).is_empty());
    }

    #[test]
    fn agents_are_limited_to_their_queues_whatever_the_view() {
        use loket_protocol::QueueId;
        use loket_protocol::api::Role;
        let any = TicketView {
            status: StatusFilter::Group(loket_protocol::view::StatusGroup::Any),
            ..TicketView::default()
        };
        let agent = Access::of(Role::Agent, vec![QueueId(2), QueueId(5)]);
        assert_eq!(
            conditions(&mut Sql::default(), &any, AgentId(1), &agent),
            ["t.queue_id = ANY($1)"]
        );
        let theirs = TicketView {
            queue: Some(QueueFilter::Queue(QueueId(3))),
            ..any.clone()
        };
        assert_eq!(conditions(&mut Sql::default(), &theirs, AgentId(1), &agent), ["false"]);
        let one = TicketView {
            queue: Some(QueueFilter::Queue(QueueId(5))),
            ..any.clone()
        };
        assert_eq!(
            conditions(&mut Sql::default(), &one, AgentId(1), &agent),
            ["t.queue_id = $1"]
        );
        let nowhere = Access::of(Role::Agent, vec![]);
        assert_eq!(conditions(&mut Sql::default(), &any, AgentId(1), &nowhere), ["false"]);
    }
}
