//! The live ticket board: every ticket, filtered and sorted by what the URL says, updated in place.

use crate::app::Route;
use crate::board_query::BoardQuery;
use crate::components::AppLink;
use crate::components::board_filters::BoardFilters;
use crate::components::icons::{Icon, icon};
use crate::components::ticket_table::TicketTable;
use crate::hooks::{use_board, use_directory, use_live, use_now, use_session};
use loket_protocol::TicketId;
use loket_protocol::ticket::Ticket;
use std::collections::HashMap;
use yew::prelude::*;
use yew_router::prelude::*;

#[function_component]
pub fn BoardPage() -> Html {
    let session = use_session();
    let board = use_board();
    let directory = use_directory();
    let live = use_live();
    let now = use_now(30_000);
    let location = use_location();
    let navigator = use_navigator();
    let query: BoardQuery = location.and_then(|l| l.query::<BoardQuery>().ok()).unwrap_or_default();

    let on_change = Callback::from(move |next: BoardQuery| {
        if let Some(navigator) = &navigator {
            let _ = navigator.replace_with_query(&Route::Board, &next.normalised());
        }
    });
    // Revisions when the board first showed; tickets that moved on since then flash when they change.
    let baseline = use_mut_ref(|| None::<HashMap<TicketId, u64>>);
    if board.loaded && baseline.borrow().is_none() {
        *baseline.borrow_mut() = Some(board.revisions.clone());
    }
    let changed: HashMap<TicketId, u64> = match &*baseline.borrow() {
        Some(seen) => board
            .revisions
            .iter()
            .filter(|(id, rev)| seen.get(id).is_none_or(|old| *rev > old))
            .map(|(id, rev)| (*id, *rev))
            .collect(),
        None => HashMap::new(),
    };
    let me = session.agent.id;
    let shown: Vec<Ticket> = query.apply(board.tickets.values(), me).into_iter().cloned().collect();
    let total = board.tickets.len();

    let body = if !board.loaded {
        if live.epoch == 0 {
            html! { <p class="loading" aria-busy="true"><span class="spinner" aria-hidden="true" />{ "Connecting…" }</p> }
        } else {
            html! { <p class="loading" aria-busy="true"><span class="spinner" aria-hidden="true" />{ "Loading tickets…" }</p> }
        }
    } else if total == 0 {
        html! {
            <div class="empty">
                <h2>{ "No tickets yet" }</h2>
                <p>{ "Tickets from reporters on Telegram appear here as they arrive. You can also create one yourself." }</p>
                <AppLink to={Route::NewTicket} classes="btn btn-primary">{ icon(Icon::Plus) }{ "New ticket" }</AppLink>
            </div>
        }
    } else if shown.is_empty() {
        html! {
            <div class="empty">
                <h2>{ "No tickets match these filters" }</h2>
                <p>{ "Try a different search or clear the filters." }</p>
            </div>
        }
    } else {
        html! { <TicketTable tickets={shown.clone()} {me} {now} {changed} /> }
    };
    let count = if board.loaded {
        if query.is_filtered() {
            format!("{} of {}", shown.len(), total)
        } else {
            format!("{total}")
        }
    } else {
        String::new()
    };
    html! {
        <section class="page page-wide" aria-labelledby="board-title">
            <div class="page-head">
                <div class="page-title">
                    <h1 id="board-title">{ "Tickets" }</h1>
                    if !count.is_empty() {
                        <span class="count" data-testid="ticket-count">{ count }</span>
                    }
                </div>
                <AppLink to={Route::NewTicket} classes="btn btn-primary">{ icon(Icon::Plus) }{ "New ticket" }</AppLink>
            </div>
            <BoardFilters query={query.clone()} categories={directory.categories.clone()}
                agents={directory.agents.clone()} {on_change} />
            { body }
        </section>
    }
}
