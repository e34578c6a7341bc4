//! Admins: queues (teams). Adding a queue, renaming it and its description, making one the default for
//! new reports, choosing which queue each category's reports go to, and who works a queue (members, and
//! whether they manage it). Managers do their part over REST (`docs/workflow.md`, "Queues").

use crate::api;
use crate::hooks::{Loadable, NoticeKind, use_directory, use_load, use_notify, use_session};
use crate::pages::{admins_only, load_state};
use loket_protocol::queue::{NewQueue, Queue, QueuePatch};
use loket_protocol::{AgentId, ApiError, QueueId};
use std::future::Future;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[function_component]
pub fn QueuesPage() -> Html {
    let session = use_session();
    if !session.is_admin() {
        return admins_only();
    }
    html! { <QueuesAdmin /> }
}

/// Runs `change`, tells the agent how it went (`done` on success) and reloads the lists.
fn run<T: 'static>(
    change: impl Future<Output = Result<T, ApiError>> + 'static,
    done: String,
    notify: Callback<(NoticeKind, String)>,
    reload: Callback<()>,
) {
    spawn_local(async move {
        match change.await {
            Ok(_) => notify.emit((NoticeKind::Success, done)),
            Err(e) => notify.emit((NoticeKind::Error, e.message)),
        }
        reload.emit(());
    });
}

#[function_component]
fn QueuesAdmin() -> Html {
    let (queues, reload_queues) = use_load(api::queues);
    let directory = use_directory();
    let notify = use_notify();
    let name = use_state(String::new);
    let description = use_state(String::new);
    let reload = {
        let (reload_queues, directory) = (reload_queues.clone(), directory.clone());
        Callback::from(move |_: ()| {
            reload_queues.emit(());
            directory.reload.emit(());
        })
    };

    let on_create = {
        let (name, description, notify, reload) = (name.clone(), description.clone(), notify.clone(), reload.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let new = NewQueue {
                name: name.trim().to_string(),
                description: description.trim().to_string(),
                is_default: false,
            };
            if new.name.is_empty() {
                return;
            }
            let done = format!("Queue “{}” added. Add its members next.", new.name);
            name.set(String::new());
            description.set(String::new());
            run(api::create_queue(new), done, notify.clone(), reload.clone());
        })
    };
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };

    let body = load_state(&queues, "queues").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*queues else {
            return html! {};
        };
        let cards = list.iter().map(|q| html! {
            <QueueCard key={q.id.0} queue={q.clone()} agents={directory.agents.clone()}
                notify={notify.clone()} reload={reload.clone()} />
        });
        let queue_options = |selected: Option<QueueId>| {
            list.iter()
                .map(|q| html! { <option value={q.id.to_string()} selected={selected == Some(q.id)}>{ &q.name }</option> })
                .collect::<Html>()
        };
        let category_rows = directory.categories.iter().map(|c| {
            let current = list.iter().find(|q| q.categories.contains(&c.id)).map(|q| q.id);
            let onchange = {
                let (notify, reload, id, name) = (notify.clone(), reload.clone(), c.id, c.name.clone());
                Callback::from(move |e: Event| {
                    let value = e.target_unchecked_into::<HtmlSelectElement>().value();
                    let queue = value.parse().ok().map(QueueId);
                    let done = format!("New reports in “{name}” now go to the chosen queue.");
                    run(api::set_category_queue(id, queue), done, notify.clone(), reload.clone());
                })
            };
            html! {
                <tr key={c.id.0}>
                    <td>{ &c.name }</td>
                    <td>
                        <select aria-label={format!("Queue for {}", c.name)} data-testid="category-queue" {onchange}>
                            <option value="" selected={current.is_none()}>{ "The default queue" }</option>
                            { queue_options(current) }
                        </select>
                    </td>
                </tr>
            }
        });
        html! { <>
            { for cards }
            <section class="card" aria-labelledby="category-queues-h">
                <h2 id="category-queues-h">{ "Which queue gets each category's reports" }</h2>
                <p class="muted">{ "A report goes to its category's queue; without one, to the default queue. \
                    Tickets filed earlier stay where they are." }</p>
                <table class="data">
                    <thead><tr><th scope="col">{ "Category" }</th><th scope="col">{ "Queue" }</th></tr></thead>
                    <tbody>{ for category_rows }</tbody>
                </table>
            </section>
        </> }
    });
    html! {
        <section class="page" aria-labelledby="queues-h">
            <div class="page-head"><h1 id="queues-h">{ "Queues" }</h1></div>
            <p class="lead muted">{ "Every ticket is in one queue. Agents see and work the tickets of their queues; \
                admins see every queue." }</p>
            <div class="admin-grid">
                <div>{ body }</div>
                <form class="card form" onsubmit={on_create} aria-labelledby="add-queue-h">
                    <h2 id="add-queue-h">{ "Add a queue" }</h2>
                    <div class="field">
                        <label for="queue-name">{ "Name" }</label>
                        <input id="queue-name" type="text" required=true maxlength="80" value={(*name).clone()}
                            oninput={input(&name)} placeholder="For example: Jalan dan Jembatan" />
                    </div>
                    <div class="field">
                        <label for="queue-description">{ "Description" }</label>
                        <input id="queue-description" type="text" maxlength="1000" value={(*description).clone()}
                            oninput={input(&description)} placeholder="What this team handles" />
                    </div>
                    <button type="submit" class="btn btn-primary" disabled={name.trim().is_empty()}>{ "Add queue" }</button>
                </form>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct CardProps {
    queue: Queue,
    agents: std::rc::Rc<Vec<loket_protocol::ticket::AgentRef>>,
    notify: Callback<(NoticeKind, String)>,
    reload: Callback<()>,
}

/// One queue: its name and description, the default, its members.
#[function_component]
fn QueueCard(props: &CardProps) -> Html {
    let q = &props.queue;
    let name = use_state(|| q.name.clone());
    let description = use_state(|| q.description.clone());
    let adding = use_state(|| None::<AgentId>);
    let (notify, reload, id) = (props.notify.clone(), props.reload.clone(), q.id);

    let on_save = {
        let (name, description, notify, reload) = (name.clone(), description.clone(), notify.clone(), reload.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let patch = QueuePatch {
                name: Some(name.trim().to_string()),
                description: Some(description.trim().to_string()),
                is_default: None,
            };
            run(
                api::change_queue(id, patch),
                "Queue saved.".into(),
                notify.clone(),
                reload.clone(),
            );
        })
    };
    let make_default = {
        let (notify, reload, queue_name) = (notify.clone(), reload.clone(), q.name.clone());
        Callback::from(move |_: MouseEvent| {
            let patch = QueuePatch {
                is_default: Some(true),
                ..Default::default()
            };
            let done = format!("“{queue_name}” is now the default queue for new reports.");
            run(api::change_queue(id, patch), done, notify.clone(), reload.clone());
        })
    };
    let members = q.members.iter().map(|m| {
        let agent = m.agent.id;
        let toggle = {
            let (notify, reload, manager, who) = (notify.clone(), reload.clone(), !m.manager, m.agent.name.clone());
            Callback::from(move |_: MouseEvent| {
                let done = if manager {
                    format!("{who} now manages this queue.")
                } else {
                    format!("{who} no longer manages this queue.")
                };
                run(
                    api::set_queue_member(id, agent, manager),
                    done,
                    notify.clone(),
                    reload.clone(),
                );
            })
        };
        let remove = {
            let (notify, reload, who) = (notify.clone(), reload.clone(), m.agent.name.clone());
            Callback::from(move |_: MouseEvent| {
                let done = format!("{who} left the queue; their open screens reconnect without it.");
                run(
                    api::remove_queue_member(id, agent),
                    done,
                    notify.clone(),
                    reload.clone(),
                );
            })
        };
        html! {
            <li key={agent.0} data-testid="queue-member">
                <span>{ &m.agent.name }</span>
                if m.manager { <span class="badge">{ "Manager" }</span> }
                <button type="button" class="btn btn-small btn-ghost" onclick={toggle}>
                    { if m.manager { "Not manager" } else { "Make manager" } }
                </button>
                <button type="button" class="btn btn-small btn-ghost" onclick={remove}>{ "Remove" }</button>
            </li>
        }
    });
    let candidates = props
        .agents
        .iter()
        .filter(|a| !q.members.iter().any(|m| m.agent.id == a.id))
        .map(|a| html! { <option value={a.id.to_string()} selected={*adding == Some(a.id)}>{ &a.name }</option> });
    let on_pick = {
        let adding = adding.clone();
        Callback::from(move |e: Event| {
            adding.set(
                e.target_unchecked_into::<HtmlSelectElement>()
                    .value()
                    .parse()
                    .ok()
                    .map(AgentId),
            )
        })
    };
    let on_add = {
        let (adding, notify, reload) = (adding.clone(), notify.clone(), reload.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(agent) = *adding {
                adding.set(None);
                run(
                    api::set_queue_member(id, agent, false),
                    "Member added.".into(),
                    notify.clone(),
                    reload.clone(),
                );
            }
        })
    };
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let categories = q.categories.len();
    html! {
        <section class="card queue-card" data-testid="queue" data-queue-id={q.id.to_string()}>
            <form class="form" onsubmit={on_save}>
                <div class="field">
                    <label for={format!("queue-{}-name", q.id)}>{ "Name" }</label>
                    <input id={format!("queue-{}-name", q.id)} type="text" maxlength="80" value={(*name).clone()} oninput={input(&name)} />
                </div>
                <div class="field">
                    <label for={format!("queue-{}-description", q.id)}>{ "Description" }</label>
                    <input id={format!("queue-{}-description", q.id)} type="text" maxlength="1000"
                        value={(*description).clone()} oninput={input(&description)} />
                </div>
                <button type="submit" class="btn btn-small">{ "Save" }</button>
                if q.is_default {
                    <span class="badge" data-testid="default-queue">{ "Default for new reports" }</span>
                } else {
                    <button type="button" class="btn btn-small btn-ghost" onclick={make_default}>{ "Make default" }</button>
                }
                <span class="muted small">{ match categories {
                    0 => " · no category files here".to_string(),
                    1 => " · 1 category files here".to_string(),
                    n => format!(" · {n} categories file here"),
                } }</span>
            </form>
            <h3 class="sub">{ format!("Members ({})", q.members.len()) }</h3>
            if q.members.is_empty() {
                <p class="muted">{ "Nobody works this queue yet: only admins see its tickets." }</p>
            }
            <ul class="queue-members">{ for members }</ul>
            <div class="field-row">
                <select aria-label="Agent to add" onchange={on_pick}>
                    <option value="" selected={adding.is_none()}>{ "Add an agent…" }</option>
                    { for candidates }
                </select>
                <button type="button" class="btn btn-small" disabled={adding.is_none()} onclick={on_add}>{ "Add" }</button>
            </div>
        </section>
    }
}
