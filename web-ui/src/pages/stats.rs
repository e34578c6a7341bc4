//! Statistics (docs/stats.md): what the desk did over a range of days in the queues the agent may see,
//! as SVG charts with their numbers in text: created and resolved per day, backlog by status and queue,
//! first-response and resolution times, SLA compliance, workload per agent, categories and CSAT. The
//! date range and queue filters ask `GET /api/stats` again; "Download CSV" asks `/api/stats.csv` with
//! the same filters.

use crate::api;
use crate::components::charts::{BarChart, BarRow, DailyChart};
use crate::format::{duration, percent, status_label, thousands};
use crate::hooks::{Loadable, use_load, use_session};
use crate::pages::load_state;
use loket_protocol::QueueId;
use loket_protocol::queue::Queue;
use loket_protocol::stats::{Stats, StatsQuery};
use loket_protocol::ticket::Status;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[function_component]
pub fn StatsPage() -> Html {
    let session = use_session();
    let query = use_state(StatsQuery::default);
    let stats = use_state(|| Rc::new(Loadable::<Stats>::Loading));
    // Only the answer to the latest query is shown (a slower earlier one is dropped).
    let latest = use_mut_ref(|| 0u32);
    {
        let (stats, latest) = (stats.setter(), latest.clone());
        use_effect_with((*query).clone(), move |query| {
            *latest.borrow_mut() += 1;
            let round = *latest.borrow();
            stats.set(Rc::new(Loadable::Loading));
            let query = query.clone();
            spawn_local(async move {
                let answer = api::stats(query).await;
                if *latest.borrow() == round {
                    stats.set(Rc::new(match answer {
                        Ok(s) => Loadable::Ready(s),
                        Err(e) => Loadable::Failed(e),
                    }));
                }
            });
        });
    }
    let (queues, _) = use_load(api::queues);
    let me = session.agent.id;
    let admin = session.is_admin();
    let visible: Vec<Queue> = match &*queues {
        Loadable::Ready(list) => list
            .iter()
            .filter(|q| admin || q.members.iter().any(|m| m.agent.id == me))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };

    let on_date = |set: fn(&mut StatsQuery, Option<chrono::NaiveDate>)| {
        let query = query.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            let mut next = (*query).clone();
            set(&mut next, chrono::NaiveDate::parse_from_str(&value, "%Y-%m-%d").ok());
            query.set(next);
        })
    };
    let on_queue = {
        let query = query.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            let mut next = (*query).clone();
            next.queue = value.parse().ok().map(QueueId);
            query.set(next);
        })
    };
    let shown = match &**stats {
        Loadable::Ready(s) => Some(s),
        _ => None,
    };
    let date_value = |chosen: Option<chrono::NaiveDate>, loaded: Option<chrono::NaiveDate>| {
        chosen.or(loaded).map(|d| d.to_string()).unwrap_or_default()
    };
    let csv = format!("/api/stats.csv?{}", api::stats_query(&query));
    let body = load_state(&stats, "the statistics").unwrap_or_else(|| match &**stats {
        Loadable::Ready(s) => charts(s),
        _ => html! {},
    });
    html! {
        <section class="page stats-page" aria-labelledby="stats-h">
            <div class="page-head">
                <h1 id="stats-h">{ "Statistics" }</h1>
                <a class="btn btn-ghost btn-small" href={csv} download="" data-testid="stats-csv">{ "Download CSV" }</a>
            </div>
            <form class="filters stats-filters" aria-label="Statistics filters" onsubmit={|e: SubmitEvent| e.prevent_default()}>
                <div class="field">
                    <label for="stats-from">{ "From" }</label>
                    <input id="stats-from" type="date" value={date_value(query.from, shown.map(|s| s.from))}
                        onchange={on_date(|q, d| q.from = d)} />
                </div>
                <div class="field">
                    <label for="stats-to">{ "To" }</label>
                    <input id="stats-to" type="date" value={date_value(query.to, shown.map(|s| s.to))}
                        onchange={on_date(|q, d| q.to = d)} />
                </div>
                <div class="field">
                    <label for="stats-queue">{ "Queue" }</label>
                    <select id="stats-queue" onchange={on_queue}>
                        <option value="" selected={query.queue.is_none()}>
                            { if admin { "Every queue" } else { "All my queues" } }
                        </option>
                        { for visible.iter().map(|q| html! {
                            <option value={q.id.0.to_string()} selected={query.queue == Some(q.id)}>{ &q.name }</option>
                        }) }
                    </select>
                </div>
            </form>
            if let Some(s) = shown {
                <p class="muted stats-note">
                    { format!("Days start at midnight in {}. Times are medians and 90th percentiles, within 9 %.", s.tz) }
                </p>
            }
            { body }
        </section>
    }
}

/// A card holding one chart.
fn card(id: &str, title: &str, content: Html) -> Html {
    let heading = format!("{id}-h");
    html! {
        <section class="card stats-card" aria-labelledby={heading.clone()}>
            <h2 id={heading}>{ title }</h2>
            { content }
        </section>
    }
}

fn count_rows(rows: impl IntoIterator<Item = (String, u64)>, unit: &str) -> Vec<BarRow> {
    rows.into_iter()
        .map(|(label, value)| BarRow {
            label,
            value: value as f64,
            text: format!("{} {unit}", thousands(value)),
        })
        .collect()
}

fn charts(s: &Stats) -> Html {
    // Backlog summed by status (new, open, pending) and by queue.
    let statuses = [Status::New, Status::Open, Status::Pending];
    let by_status = count_rows(
        statuses.iter().map(|st| {
            let n = s.backlog.iter().filter(|b| b.status == *st).map(|b| b.count).sum();
            (status_label(*st).to_string(), n)
        }),
        "open",
    );
    let mut queues: Vec<(String, u64)> = Vec::new();
    for b in &s.backlog {
        match queues.iter_mut().find(|(name, _)| *name == b.queue_name) {
            Some((_, n)) => *n += b.count,
            None => queues.push((b.queue_name.clone(), b.count)),
        }
    }
    let by_queue = count_rows(queues, "open");
    let times: Vec<BarRow> = [
        ("First response, median", s.first_response.median_seconds),
        ("First response, p90", s.first_response.p90_seconds),
        ("Resolution, median", s.resolution.median_seconds),
        ("Resolution, p90", s.resolution.p90_seconds),
    ]
    .into_iter()
    .filter_map(|(label, v)| {
        v.map(|v| BarRow {
            label: label.into(),
            value: v,
            text: duration(Some(v)),
        })
    })
    .collect();
    let times_note = format!(
        "{} first responses and {} resolutions in the range.",
        thousands(s.first_response.count),
        thousands(s.resolution.count)
    );
    let sla = match &s.sla {
        None => {
            html! { <p class="muted" data-testid="chart-sla">{ "Not configured: the desk has no SLA policies." }</p> }
        }
        Some(targets) => {
            let rows: Vec<BarRow> = targets
                .iter()
                .map(|t| BarRow {
                    label: t.target.label().into(),
                    value: t.met_percent.unwrap_or(0.0),
                    text: format!(
                        "{} met ({} of {}; {} pending)",
                        percent(t.met_percent),
                        thousands(t.met),
                        thousands(t.met + t.breached),
                        thousands(t.pending)
                    ),
                })
                .collect();
            html! { <BarChart id="chart-sla" title="SLA compliance: share of clocks met in time" {rows} max={Some(100.0)} /> }
        }
    };
    let categories = count_rows(
        s.categories.iter().map(|c| {
            let name = if c.name.is_empty() {
                "No category".to_string()
            } else {
                c.name.clone()
            };
            (name, c.created)
        }),
        "created",
    );
    let csat = count_rows(
        s.csat.ratings.iter().zip(1..).map(|(n, r)| (format!("{r} of 5"), *n)),
        "ratings",
    );
    let csat_note = match s.csat.average {
        Some(avg) => format!(
            "Average {avg:.2} of 5 from {} ratings; {} satisfied (4 or 5).",
            thousands(s.csat.count),
            percent(s.csat.satisfied_percent)
        ),
        None => "No ratings in the range.".into(),
    };
    let replies = count_rows(s.agents.iter().map(|a| (a.name.clone(), a.replies)), "replies");
    let agents = if s.agents.is_empty() {
        html! { <p class="muted">{ "No agent work in the range." }</p> }
    } else {
        html! {
            <>
            <BarChart id="chart-agents" title="Public replies per agent" rows={replies} />
            <div class="table-wrap">
                <table class="data" data-testid="agents-table">
                    <thead><tr>
                        <th scope="col">{ "Agent" }</th><th scope="col">{ "Replies" }</th>
                        <th scope="col">{ "Resolved" }</th><th scope="col">{ "Open assigned now" }</th>
                    </tr></thead>
                    <tbody>
                        { for s.agents.iter().map(|a| html! {
                            <tr key={a.agent.0}>
                                <td>{ &a.name }</td><td>{ thousands(a.replies) }</td>
                                <td>{ thousands(a.resolved) }</td><td>{ thousands(a.open_assigned) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            </>
        }
    };
    html! {
        <div class="stats-grid">
            <section class="card stats-card stats-wide" aria-labelledby="daily-h">
                <h2 id="daily-h">{ "Created and resolved per day" }</h2>
                <DailyChart days={s.days.clone()} />
            </section>
            { card("backlog-status", "Backlog by status (now)", html! {
                <BarChart id="chart-backlog-status" title="Open tickets by status" rows={by_status} />
            }) }
            { card("backlog-queue", "Backlog by queue (now)", html! {
                <BarChart id="chart-backlog-queue" title="Open tickets by queue" rows={by_queue}
                    empty="No open tickets." />
            }) }
            { card("times", "First response and resolution", html! { <>
                <BarChart id="chart-times" title="First-response and resolution times, median and 90th percentile"
                    rows={times} empty="Nothing answered or resolved in the range." />
                <p class="muted">{ times_note }</p>
            </> }) }
            { card("sla", "SLA compliance", sla) }
            { card("agents", "Workload per agent", agents) }
            { card("categories", "Per category", html! {
                <BarChart id="chart-categories" title="Tickets created per category" rows={categories} />
            }) }
            { card("csat", "Customer satisfaction", html! { <>
                <BarChart id="chart-csat" title="Ratings given, 1 to 5" rows={csat} />
                <p class="muted" data-testid="csat-summary">{ csat_note }</p>
            </> }) }
        </div>
    }
}
