//! The live ticket board: one view (the filters and order the URL says; "Open work", newest first, by
//! default) answered by the server a page at a time, with its total, the next page on scroll or "Load
//! more", and live changes in place.

use crate::app::Route;
use crate::board_query::BoardQuery;
use crate::components::AppLink;
use crate::components::board_filters::BoardFilters;
use crate::components::icons::{Icon, icon};
use crate::components::ticket_table::TicketTable;
use crate::format::thousands;
use crate::hooks::{use_board, use_directory, use_live, use_now, use_session};
use crate::state::board::BoardAction;
use gloo_timers::callback::Timeout;
use loket_protocol::TicketId;
use std::collections::HashMap;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};
use yew::prelude::*;
use yew_router::prelude::*;

/// How long the search text rests before the server is asked.
const SEARCH_DEBOUNCE_MS: u32 = 300;
/// How far below the visible area the end of the list counts as reached.
const PRELOAD_MARGIN: &str = "400px";

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
    let me = session.agent.id;

    let on_change = Callback::from(move |next: BoardQuery| {
        if let Some(navigator) = &navigator {
            let _ = navigator.replace_with_query(&Route::Board, &next.normalised());
        }
    });

    // Ask the server for the view the URL names: at once for a menu, after a pause for typed text.
    {
        let dispatcher = board.dispatcher();
        let view = query.view();
        let last_text = use_mut_ref(|| None::<Option<String>>);
        let pending = use_mut_ref(|| None::<Timeout>);
        use_effect_with(view, move |view| {
            let typed = last_text.borrow().as_ref().is_some_and(|text| *text != view.text);
            *last_text.borrow_mut() = Some(view.text.clone());
            let show = {
                let (dispatcher, view) = (dispatcher.clone(), view.clone());
                move || dispatcher.dispatch(BoardAction::Show(view))
            };
            if typed {
                *pending.borrow_mut() = Some(Timeout::new(SEARCH_DEBOUNCE_MS, show));
            } else {
                pending.borrow_mut().take();
                show();
            }
        });
    }

    // The next page when the end of the list comes near (a fresh observer after every change reports
    // at once whether the end is in reach still).
    let sentinel = use_node_ref();
    {
        let sentinel = sentinel.clone();
        let dispatcher = board.dispatcher();
        let armed = board.loaded && board.next_cursor.is_some() && !board.loading_more() && board.error.is_none();
        use_effect_with((armed, board.rows.len(), board.above), move |(armed, _, _)| {
            let observer = armed
                .then(|| observe(&sentinel, move || dispatcher.dispatch(BoardAction::More)))
                .flatten();
            move || {
                if let Some((observer, _closure)) = observer {
                    observer.disconnect();
                }
            }
        });
    }

    // Revisions when the board first showed; tickets that moved on since then flash when they change.
    let baseline = use_mut_ref(|| None::<HashMap<TicketId, u64>>);
    if board.loaded && baseline.borrow().is_none() {
        *baseline.borrow_mut() = Some(board.revisions.clone());
    }
    let changed: HashMap<TicketId, u64> = match &*baseline.borrow() {
        Some(seen) => board
            .rows
            .iter()
            .filter_map(|t| board.revisions.get(&t.id).map(|rev| (t.id, *rev)))
            .filter(|(id, rev)| seen.get(id).is_none_or(|old| rev > old))
            .collect(),
        None => HashMap::new(),
    };

    let more = {
        let dispatcher = board.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(BoardAction::More))
    };
    let top = {
        let dispatcher = board.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(BoardAction::Top))
    };
    let body = if !board.loaded {
        if live.epoch == 0 {
            html! { <p class="loading" aria-busy="true"><span class="spinner" aria-hidden="true" />{ "Connecting…" }</p> }
        } else {
            html! { <p class="loading" aria-busy="true"><span class="spinner" aria-hidden="true" />{ "Loading tickets…" }</p> }
        }
    } else if let Some(error) = &board.error {
        html! {
            <div class="empty" data-testid="board-error">
                <h2>{ "The board could not load this view" }</h2>
                <p>{ &error.message }</p>
            </div>
        }
    } else if board.total == 0 && board.rows.is_empty() {
        if query.is_filtered() {
            html! {
                <div class="empty">
                    <h2>{ "No tickets match these filters" }</h2>
                    <p>{ "Try a different search or clear the filters." }</p>
                </div>
            }
        } else {
            html! {
                <div class="empty">
                    <h2>{ "No open work" }</h2>
                    <p>{ "Tickets from reporters on Telegram appear here as they arrive. You can also create one yourself, or choose \"Any status\" to see closed tickets." }</p>
                    <AppLink to={Route::NewTicket} classes="btn btn-primary">{ icon(Icon::Plus) }{ "New ticket" }</AppLink>
                </div>
            }
        }
    } else {
        html! {
            <>
                if board.above > 0 {
                    <div class="board-more board-top">
                        <button type="button" class="btn btn-ghost" onclick={top} data-testid="back-to-top">
                            { "Back to the top" }
                        </button>
                    </div>
                }
                <TicketTable tickets={board.rows.clone()} terms={board.terms.clone()} {me} {now} {changed} />
                <div ref={sentinel} class="board-more" data-testid="board-end">
                    if board.next_cursor.is_some() {
                        <button type="button" class="btn" onclick={more} disabled={board.loading_more()}
                            aria-busy={board.loading_more().to_string()}>
                            { if board.loading_more() { "Loading…" } else { "Load more" } }
                        </button>
                    }
                </div>
            </>
        }
    };
    let count = if board.loaded && board.error.is_none() {
        // A search's total past the server's count is "at least": "1–50 of 1,000+".
        let total = if board.total_exact {
            thousands(board.total)
        } else {
            format!("{}+", thousands(board.total))
        };
        match board.range() {
            Some((first, last)) => format!("{}–{} of {total}", thousands(first), thousands(last)),
            None => total,
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
                        <span class="count" data-testid="ticket-count" data-total={board.total.to_string()}
                            data-total-exact={board.total_exact.to_string()}
                            data-last={board.range().map(|(_, last)| last).unwrap_or(0).to_string()}
                            aria-live="polite">{ count }</span>
                    }
                </div>
                <AppLink to={Route::NewTicket} classes="btn btn-primary">{ icon(Icon::Plus) }{ "New ticket" }</AppLink>
            </div>
            <BoardFilters query={query.clone()} categories={directory.categories.clone()}
                agents={directory.agents.clone()} queues={directory.queues.clone()} {on_change} />
            { body }
        </section>
    }
}

/// An observer and the callback it calls (which must live as long as it does).
type Observer = (IntersectionObserver, Closure<dyn FnMut(js_sys::Array)>);

/// Calls `on_visible` whenever the element behind `node` comes within [`PRELOAD_MARGIN`] of the visible
/// area (and at once if it is there now). Keep the closure as long as the observer.
fn observe(node: &NodeRef, on_visible: impl Fn() + 'static) -> Option<Observer> {
    let element = node.cast::<web_sys::Element>()?;
    let closure = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let visible = entries
            .iter()
            .any(|entry| entry.unchecked_into::<IntersectionObserverEntry>().is_intersecting());
        if visible {
            on_visible();
        }
    });
    let init = IntersectionObserverInit::new();
    init.set_root_margin(PRELOAD_MARGIN);
    let observer = IntersectionObserver::new_with_options(closure.as_ref().unchecked_ref(), &init).ok()?;
    observer.observe(&element);
    Some((observer, closure))
}
