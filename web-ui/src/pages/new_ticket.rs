//! Create a ticket on behalf of someone (a phone call, a walk-in).

use crate::api;
use crate::app::Route;
use crate::components::AppLink;
use crate::format::priority_label;
use crate::hooks::{NoticeKind, use_directory, use_notify};
use crate::idempotency::{Attempt, failure_message, new_key, with_retries};
use loket_protocol::CategoryId;
use loket_protocol::api::NewTicket;
use loket_protocol::ticket::Priority;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

#[function_component]
pub fn NewTicketPage() -> Html {
    let directory = use_directory();
    let notify = use_notify();
    let navigator = use_navigator();
    let title = use_state(String::new);
    let body = use_state(String::new);
    let priority = use_state(Priority::default);
    let category = use_state(|| None::<CategoryId>);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    // The ticket being created and its idempotency key, kept across retries of the same ticket.
    let attempt = use_mut_ref(Attempt::<NewTicket>::default);

    let on_submit = {
        let (title, body, priority, category, error, busy, attempt) = (
            title.clone(),
            body.clone(),
            priority.clone(),
            category.clone(),
            error.clone(),
            busy.clone(),
            attempt.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = title.trim().to_string();
            if text.is_empty() {
                error.set(Some("Give the ticket a title.".to_string()));
                return;
            }
            busy.set(true);
            error.set(None);
            let new = NewTicket {
                title: text,
                body: body.trim().to_string(),
                priority: *priority,
                category_id: *category,
            };
            let key = attempt.borrow_mut().key_for(&new, new_key);
            let (error, busy, navigator, notify, attempt) = (
                error.clone(),
                busy.clone(),
                navigator.clone(),
                notify.clone(),
                attempt.clone(),
            );
            spawn_local(async move {
                let created = with_retries(|| api::create_ticket(&new, &key)).await;
                attempt
                    .borrow_mut()
                    .settled(created.as_ref().map(|_| ()).map_err(|e| e.code));
                match created {
                    Ok(ticket) => {
                        notify.emit((NoticeKind::Success, format!("{} created.", ticket.key)));
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Ticket { id: ticket.id.0 });
                        }
                    }
                    Err(e) => {
                        busy.set(false);
                        error.set(Some(failure_message(&e, "ticket")));
                    }
                }
            });
        })
    };
    let on_title = {
        let title = title.clone();
        Callback::from(move |e: InputEvent| title.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_body = {
        let body = body.clone();
        Callback::from(move |e: InputEvent| body.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let on_priority = {
        let priority = priority.clone();
        Callback::from(move |e: Event| {
            if let Some(p) = Priority::parse(&e.target_unchecked_into::<HtmlSelectElement>().value()) {
                priority.set(p);
            }
        })
    };
    let on_category = {
        let category = category.clone();
        Callback::from(move |e: Event| {
            category.set(
                e.target_unchecked_into::<HtmlSelectElement>()
                    .value()
                    .parse()
                    .ok()
                    .map(CategoryId),
            )
        })
    };
    html! {
        <section class="page" aria-labelledby="new-title-h">
            <div class="page-head"><h1 id="new-title-h">{ "New ticket" }</h1></div>
            <form class="card form" onsubmit={on_submit}>
                <div class="field">
                    <label for="new-title">{ "Title" }</label>
                    <input id="new-title" type="text" required=true maxlength="200" value={(*title).clone()}
                        oninput={on_title} placeholder="What is the problem, in a few words?" />
                </div>
                <div class="field">
                    <label for="new-body">{ "Description" }</label>
                    <textarea id="new-body" rows="6" value={(*body).clone()} oninput={on_body}
                        placeholder="What happened, where, and who is affected?" />
                </div>
                <div class="field-grid">
                    <div class="field">
                        <label for="new-priority">{ "Priority" }</label>
                        <select id="new-priority" onchange={on_priority}>
                            { for Priority::ALL.into_iter().map(|p| html! {
                                <option value={p.as_str()} selected={p == *priority}>{ priority_label(p) }</option>
                            }) }
                        </select>
                    </div>
                    <div class="field">
                        <label for="new-category">{ "Category" }</label>
                        <select id="new-category" onchange={on_category}>
                            <option value="" selected={category.is_none()}>{ "None" }</option>
                            // Retired categories are not offered for new tickets.
                            { for directory.categories.iter().filter(|c| c.offered()).map(|c| html! {
                                <option value={c.id.to_string()} selected={Some(c.id) == *category}>{ &c.name }</option>
                            }) }
                        </select>
                    </div>
                </div>
                if let Some(message) = &*error {
                    <p class="form-error" role="alert">{ message }</p>
                }
                <div class="form-actions">
                    <AppLink to={Route::Board} classes="btn btn-ghost">{ "Cancel" }</AppLink>
                    <button type="submit" class="btn btn-primary" disabled={*busy}>{ "Create ticket" }</button>
                </div>
            </form>
        </section>
    }
}
