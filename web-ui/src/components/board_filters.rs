//! The board's filter bar: the "My queues", "Mine" and "Unassigned" views, then search, status,
//! category, queue, assignee, priority and sort. It edits a
//! [`BoardQuery`]; the page puts that in the URL and asks the server for the view.

use crate::board_query::{BoardQuery, sort_label};
use crate::components::icons::{Icon, icon};
use crate::format::{priority_label, status_label};
use loket_protocol::api::Category;
use loket_protocol::queue::Queue;
use loket_protocol::ticket::{AgentRef, Priority, Status};
use loket_protocol::view::Sort;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FilterProps {
    pub query: BoardQuery,
    pub categories: Rc<Vec<Category>>,
    pub agents: Rc<Vec<AgentRef>>,
    pub queues: Rc<Vec<Queue>>,
    pub on_change: Callback<BoardQuery>,
}

fn select_value(e: &Event) -> Option<String> {
    let value = e.target_unchecked_into::<HtmlSelectElement>().value();
    (!value.is_empty()).then_some(value)
}

#[function_component]
pub fn BoardFilters(props: &FilterProps) -> Html {
    let q = &props.query;
    let change = |apply: fn(&mut BoardQuery, Option<String>)| {
        let (query, on_change) = (q.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let mut next = query.clone();
            apply(&mut next, select_value(&e));
            on_change.emit(next);
        })
    };
    let on_search = {
        let (query, on_change) = (q.clone(), props.on_change.clone());
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            on_change.emit(BoardQuery {
                q: (!value.is_empty()).then_some(value),
                ..query.clone()
            });
        })
    };
    let clear = {
        let (query, on_change) = (q.clone(), props.on_change.clone());
        Callback::from(move |_: MouseEvent| {
            on_change.emit(BoardQuery {
                sort: query.sort.clone(),
                ..Default::default()
            })
        })
    };
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    let status_options = Status::ALL.into_iter().map(|s| {
        html! { <option value={s.as_str()} selected={selected(&q.status, s.as_str())}>{ status_label(s) }</option> }
    });
    let category_options = props.categories.iter().map(|c| {
        let id = c.id.to_string();
        let label = if c.offered() {
            c.name.clone()
        } else {
            format!("{} (retired)", c.name)
        };
        html! { <option value={id.clone()} selected={selected(&q.category, &id)}>{ label }</option> }
    });
    let queue_options = props.queues.iter().map(|queue| {
        let id = queue.id.to_string();
        html! { <option value={id.clone()} selected={selected(&q.queue, &id)}>{ &queue.name }</option> }
    });
    // One click to the views agents use most: their queues, their own tickets, what nobody has.
    let preset = |label: &'static str, apply: fn(&mut BoardQuery), active: bool| {
        let (query, on_change) = (q.clone(), props.on_change.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            let mut next = BoardQuery {
                sort: query.sort.clone(),
                ..Default::default()
            };
            apply(&mut next);
            on_change.emit(next);
        });
        html! {
            <button type="button" class={classes!("chip", active.then_some("chip-active"))}
                aria-pressed={active.to_string()} {onclick}>{ label }</button>
        }
    };
    let only = |field: &Option<String>, value: &str, others: [&Option<String>; 3]| {
        field.as_deref() == Some(value) && others.iter().all(|o| o.is_none())
    };
    let presets = html! {
        <div class="view-presets" role="group" aria-label="Views">
            { preset("My queues", |q| q.queue = Some("mine".into()), only(&q.queue, "mine", [&q.assignee, &q.category, &q.priority])) }
            { preset("Mine", |q| q.assignee = Some("me".into()), only(&q.assignee, "me", [&q.queue, &q.category, &q.priority])) }
            { preset("Unassigned", |q| q.assignee = Some("nobody".into()), only(&q.assignee, "nobody", [&q.queue, &q.category, &q.priority])) }
        </div>
    };
    let agent_options = props.agents.iter().map(|a| {
        let id = a.id.to_string();
        html! { <option value={id.clone()} selected={selected(&q.assignee, &id)}>{ &a.name }</option> }
    });
    let priority_options = Priority::ALL.into_iter().rev().map(|p| {
        html! { <option value={p.as_str()} selected={selected(&q.priority, p.as_str())}>{ priority_label(p) }</option> }
    });
    let sort = q.view().effective_sort();
    let searching = q.view().search_text().is_some();
    let sort_options = Sort::ALL
        .into_iter()
        .filter(|s| searching || *s != Sort::Relevance)
        .map(|s| {
            html! { <option value={s.as_str()} selected={s == sort}>{ sort_label(s) }</option> }
        });
    html! {
        <>
        { presets }
        <form class="filters" role="search" aria-label="Filter tickets" onsubmit={|e: SubmitEvent| e.prevent_default()}>
            <div class="field field-search">
                <label for="filter-q">{ "Search" }</label>
                <div class="input-icon">
                    { icon(Icon::Search) }
                    <input id="filter-q" type="search" placeholder="Key, title, text or reporter"
                        value={q.q.clone().unwrap_or_default()} oninput={on_search} autocomplete="off" />
                </div>
            </div>
            <div class="field">
                <label for="filter-status">{ "Status" }</label>
                <select id="filter-status" onchange={change(|q, v| q.status = v)}>
                    <option value="" selected={q.status.is_none() || selected(&q.status, "active")}>
                        { "Open work (new, open, pending)" }
                    </option>
                    <option value="done" selected={selected(&q.status, "done")}>{ "Done (resolved, closed)" }</option>
                    <option value="any" selected={selected(&q.status, "any")}>{ "Any status" }</option>
                    { for status_options }
                </select>
            </div>
            <div class="field">
                <label for="filter-category">{ "Category" }</label>
                <select id="filter-category" onchange={change(|q, v| q.category = v)}>
                    <option value="" selected={q.category.is_none()}>{ "Any category" }</option>
                    { for category_options }
                </select>
            </div>
            <div class="field">
                <label for="filter-queue">{ "Queue" }</label>
                <select id="filter-queue" onchange={change(|q, v| q.queue = v)}>
                    <option value="" selected={q.queue.is_none()}>{ "Any queue" }</option>
                    <option value="mine" selected={selected(&q.queue, "mine")}>{ "My queues" }</option>
                    { for queue_options }
                </select>
            </div>
            <div class="field">
                <label for="filter-assignee">{ "Assignee" }</label>
                <select id="filter-assignee" onchange={change(|q, v| q.assignee = v)}>
                    <option value="" selected={q.assignee.is_none()}>{ "Anyone" }</option>
                    <option value="me" selected={selected(&q.assignee, "me")}>{ "Me" }</option>
                    <option value="nobody" selected={selected(&q.assignee, "nobody") || selected(&q.assignee, "none")}>{ "Unassigned" }</option>
                    { for agent_options }
                </select>
            </div>
            <div class="field">
                <label for="filter-priority">{ "Priority" }</label>
                <select id="filter-priority" onchange={change(|q, v| q.priority = v)}>
                    <option value="" selected={q.priority.is_none()}>{ "Any priority" }</option>
                    { for priority_options }
                </select>
            </div>
            <div class="field">
                <label for="filter-sort">{ "Sort" }</label>
                <select id="filter-sort" onchange={change(|q, v| q.sort = v)}>
                    { for sort_options }
                </select>
            </div>
            if q.is_filtered() {
                <div class="field field-action">
                    <button type="button" class="btn btn-ghost" onclick={clear}>{ "Clear filters" }</button>
                </div>
            }
        </form>
        </>
    }
}
