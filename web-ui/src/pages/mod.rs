//! One component per route. Pages fetch and dispatch; components render.

pub mod account;
pub mod agents;
pub mod audit;
pub mod board;
pub mod categories;
pub mod invite_codes;
pub mod login;
pub mod new_ticket;
pub mod not_found;
pub mod queues;
pub mod sessions;
pub mod sla;
pub mod stats;
pub mod ticket;

use crate::hooks::Loadable;
use yew::prelude::*;

/// The standard "loading / failed" rendering for a [`Loadable`]; `None` when it is ready.
pub fn load_state<T>(state: &Loadable<T>, what: &str) -> Option<Html> {
    match state {
        Loadable::Loading => Some(html! {
            <p class="loading" aria-busy="true"><span class="spinner" aria-hidden="true" />{ format!("Loading {what}…") }</p>
        }),
        Loadable::Failed(error) => Some(html! { <p class="form-error" role="alert">{ &error.message }</p> }),
        Loadable::Ready(_) => None,
    }
}

/// What a non-admin sees on an admin page.
pub fn admins_only() -> Html {
    html! {
        <section class="page">
            <div class="card narrow" role="alert">
                <h1>{ "Admins only" }</h1>
                <p>{ "Ask an admin of this helpdesk if you need access to this page." }</p>
            </div>
        </section>
    }
}
