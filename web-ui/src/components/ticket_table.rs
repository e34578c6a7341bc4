//! The board's table of tickets, search words marked, tickets unread by the agent bold with a dot
//! (`hooks::use_attention`). At phone width each row becomes a card (see the CSS).

use crate::app::Route;
use crate::components::AppLink;
use crate::components::badges::{LockBadge, PriorityBadge, StatusBadge};
use crate::components::sla::SlaBadge;
use crate::format::{age, datetime};
use crate::hooks::{NoticeKind, use_attention, use_live, use_notify};
use crate::take::{assign_to_me, refusal_text};
use loket_protocol::sla::headline;
use loket_protocol::ticket::Ticket;
use loket_protocol::view::highlight;
use loket_protocol::{AgentId, TicketId, Timestamp};
use std::collections::HashMap;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TableProps {
    pub tickets: Vec<Ticket>,
    /// Search words to mark (`AllTickets.terms`).
    #[prop_or_default]
    pub terms: Vec<String>,
    pub me: AgentId,
    pub now: Timestamp,
    /// Tickets that changed while the board was open, with their revision: their rows flash.
    pub changed: HashMap<TicketId, u64>,
}

#[function_component]
pub fn TicketTable(props: &TableProps) -> Html {
    let navigator = use_navigator();
    let live = use_live();
    let notify = use_notify();
    let attention = use_attention();
    // Tickets with an "Assign to me" or "Take" on its way: their buttons wait.
    let busy = use_state(Vec::<TicketId>::new);
    let rows = props.tickets.iter().map(|t| {
        let route = Route::Ticket { id: t.id.0 };
        let open = {
            let (navigator, route) = (navigator.clone(), route.clone());
            Callback::from(move |e: MouseEvent| {
                // Clicks on the link or a button are handled by them.
                let on_link = e
                    .target_dyn_into::<web_sys::Element>()
                    .and_then(|el| el.closest("a, button").ok().flatten())
                    .is_some();
                if !on_link && let Some(navigator) = &navigator {
                    navigator.push(&route);
                }
            })
        };
        let lock = t.lock.as_ref().map(|l| {
            html! { <LockBadge holder={l.holder.name.clone()} mine={l.holder.id == props.me} /> }
        });
        let dash = || html! { <span class="muted">{ "—" }</span> };
        let action = |take: bool| {
            let (conn, notify, busy) = (live.conn.clone(), notify.clone(), busy.clone());
            let (id, version, key, me) = (t.id, t.version, t.key.clone(), props.me);
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                let (conn, notify, busy, key) = (conn.clone(), notify.clone(), busy.clone(), key.clone());
                busy.set(busy.iter().copied().chain([id]).collect());
                spawn_local(async move {
                    match assign_to_me(&conn, id, version, me, take).await {
                        Ok(_) if take => notify.emit((
                            NoticeKind::Success,
                            format!("You took {key}: it is yours and locked for you."),
                        )),
                        Ok(_) => notify.emit((NoticeKind::Success, format!("{key} is assigned to you."))),
                        Err(error) => notify.emit((NoticeKind::Error, refusal_text(&error, &key))),
                    }
                    busy.set(busy.iter().copied().filter(|b| *b != id).collect());
                });
            })
        };
        let mine = t.assignee.as_ref().is_some_and(|a| a.id == props.me);
        let locked_by_other = t.lock.as_ref().is_some_and(|l| l.holder.id != props.me);
        let waiting = busy.contains(&t.id) || !live.connected();
        let actions = (!locked_by_other).then(|| {
            html! {
                <span class="row-actions">
                    if !mine {
                        <button type="button" class="btn btn-small" data-testid="assign-to-me"
                            disabled={waiting} onclick={action(false)}>{ "Assign to me" }</button>
                    }
                    if t.lock.is_none() {
                        <button type="button" class="btn btn-small" data-testid="take"
                            title="Assign to me and lock it for editing"
                            disabled={waiting} onclick={action(true)}>{ "Take" }</button>
                    }
                </span>
            }
        });
        // Alternating between two identical animations restarts the flash on every change.
        let flash = props
            .changed
            .get(&t.id)
            .map(|rev| if rev % 2 == 0 { "flash-a" } else { "flash-b" });
        let unread = attention.unread.contains(&t.id);
        html! {
            <tr key={t.id.0} data-ticket-key={t.key.clone()} data-testid="ticket-row" onclick={open}
                data-unread={unread.then_some("true")}
                class={classes!("ticket-row", t.lock.is_some().then_some("is-locked"), unread.then_some("is-unread"), flash)}>
                <td class="col-key" data-label="Ticket">
                    if unread {
                        <span class="unread-dot" data-testid="unread-marker" title="Unread: something new since you last opened it">
                            <span class="sr-only">{ "Unread" }</span>
                        </span>
                    }
                    <AppLink to={route} classes="ticket-key">{ &t.key }</AppLink>
                </td>
                <td class="col-title" data-label="Title">
                    <span class="ticket-title" data-testid="ticket-title">{ marked(&t.title, &props.terms) }</span>
                    if t.reopened_at.is_some() {
                        <span class="badge badge-reopened" data-testid="reopened" title="The reporter replied after it was resolved or closed">{ "Reopened" }</span>
                    }
                    { lock }
                </td>
                <td data-label="Status"><StatusBadge status={t.status} /></td>
                <td data-label="Priority"><PriorityBadge priority={t.priority} /></td>
                <td data-label="SLA" class="col-sla">
                    { headline(&t.sla).map(|c| html! { <SlaBadge clock={c.clone()} /> }).unwrap_or_else(dash) }
                </td>
                <td data-label="Category">
                    { t.category.as_ref().map(|c| html! { <span>{ &c.name }</span> }).unwrap_or_else(dash) }
                </td>
                <td data-label="Reporter">
                    { t.reporter.as_ref().map(|r| html! { <span>{ &r.name }</span> }).unwrap_or_else(dash) }
                </td>
                <td data-label="Assignee" data-testid="assignee">
                    { t.assignee.as_ref().map(|a| html! { <span>{ &a.name }</span> }).unwrap_or_else(dash) }
                    { actions }
                </td>
                <td class="col-age" data-label="Age">
                    <time datetime={t.created_at.to_rfc3339()} title={datetime(t.created_at)}>
                        { age(props.now, t.created_at) }
                    </time>
                </td>
            </tr>
        }
    });
    html! {
        <div class="table-wrap">
            <table class="tickets" data-testid="ticket-table">
                <caption class="sr-only">{ "Tickets" }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ "Ticket" }</th>
                        <th scope="col">{ "Title" }</th>
                        <th scope="col">{ "Status" }</th>
                        <th scope="col">{ "Priority" }</th>
                        <th scope="col" title="The service-level clock that runs out soonest">{ "SLA" }</th>
                        <th scope="col">{ "Category" }</th>
                        <th scope="col">{ "Reporter" }</th>
                        <th scope="col">{ "Assignee" }</th>
                        <th scope="col" class="col-age">{ "Age" }</th>
                    </tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// `text` with the words that start with one of `terms` in `<mark>`.
pub fn marked(text: &str, terms: &[String]) -> Html {
    let ranges = highlight(text, terms);
    if ranges.is_empty() {
        return html! { { text } };
    }
    let mut parts = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut at = 0;
    for (start, end) in ranges {
        if start < at || end > text.len() {
            continue;
        }
        if let (Some(plain), Some(word)) = (text.get(at..start), text.get(start..end)) {
            parts.push(html! { { plain } });
            parts.push(html! { <mark>{ word }</mark> });
            at = end;
        }
    }
    parts.push(html! { { text.get(at..).unwrap_or_default() } });
    parts.into_iter().collect()
}
