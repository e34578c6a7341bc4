//! Admins: the agents of this helpdesk, and adding one.

use crate::api;
use crate::components::badges::Avatar;
use crate::format::role_label;
use crate::hooks::{Loadable, NoticeKind, use_directory, use_load, use_notify, use_session};
use crate::pages::{admins_only, load_state};
use loket_protocol::api::{NewAgent, Role};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[function_component]
pub fn AgentsPage() -> Html {
    let session = use_session();
    if !session.is_admin() {
        return admins_only();
    }
    html! { <AgentsAdmin /> }
}

#[function_component]
fn AgentsAdmin() -> Html {
    let (agents, reload) = use_load(api::agents);
    let directory = use_directory();
    let notify = use_notify();
    let name = use_state(String::new);
    let email = use_state(String::new);
    let password = use_state(String::new);
    let role = use_state(|| Role::Agent);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let on_submit = {
        let (name, email, password, role, error, busy) = (
            name.clone(),
            email.clone(),
            password.clone(),
            role.clone(),
            error.clone(),
            busy.clone(),
        );
        let (reload, directory, notify) = (reload.clone(), directory.clone(), notify.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let new = NewAgent {
                name: name.trim().to_string(),
                email: email.trim().to_string(),
                password: (*password).clone(),
                role: *role,
            };
            if new.name.is_empty() || new.email.is_empty() || new.password.is_empty() {
                error.set(Some("Name, email and password are all needed.".to_string()));
                return;
            }
            busy.set(true);
            error.set(None);
            let (name, email, password, error, busy) = (
                name.clone(),
                email.clone(),
                password.clone(),
                error.clone(),
                busy.clone(),
            );
            let (reload, directory, notify) = (reload.clone(), directory.clone(), notify.clone());
            spawn_local(async move {
                let result = api::create_agent(new).await;
                busy.set(false);
                match result {
                    Ok(agent) => {
                        notify.emit((NoticeKind::Success, format!("{} can now sign in.", agent.name)));
                        name.set(String::new());
                        email.set(String::new());
                        password.set(String::new());
                        reload.emit(());
                        directory.reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let text = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_role = {
        let role = role.clone();
        Callback::from(move |e: Event| {
            if let Some(r) = Role::parse(&e.target_unchecked_into::<HtmlSelectElement>().value()) {
                role.set(r);
            }
        })
    };
    let list = load_state(&agents, "agents").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*agents else { return html! {} };
        html! {
            <div class="table-wrap">
                <table class="data">
                    <thead><tr>
                        <th scope="col">{ "Name" }</th><th scope="col">{ "Email" }</th><th scope="col">{ "Role" }</th>
                    </tr></thead>
                    <tbody>
                        { for list.iter().map(|a| html! {
                            <tr key={a.id.0}>
                                <td data-label="Name"><span class="person"><Avatar name={a.name.clone()} />{ &a.name }</span></td>
                                <td data-label="Email">{ &a.email }</td>
                                <td data-label="Role"><span class={classes!("badge", format!("role-{}", a.role.as_str()))}>
                                    { role_label(a.role) }</span></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        }
    });
    html! {
        <section class="page" aria-labelledby="agents-h">
            <div class="page-head"><h1 id="agents-h">{ "Agents" }</h1></div>
            <div class="admin-grid">
                <div class="card">{ list }</div>
                <form class="card form" onsubmit={on_submit} aria-labelledby="add-agent-h">
                    <h2 id="add-agent-h">{ "Add an agent" }</h2>
                    <div class="field">
                        <label for="agent-name">{ "Name" }</label>
                        <input id="agent-name" type="text" required=true value={(*name).clone()} oninput={text(&name)} />
                    </div>
                    <div class="field">
                        <label for="agent-email">{ "Email" }</label>
                        <input id="agent-email" type="email" required=true autocomplete="off" value={(*email).clone()}
                            oninput={text(&email)} />
                    </div>
                    <div class="field">
                        <label for="agent-password">{ "Initial password" }</label>
                        <input id="agent-password" type="password" required=true autocomplete="new-password"
                            value={(*password).clone()} oninput={text(&password)} />
                    </div>
                    <div class="field">
                        <label for="agent-role">{ "Role" }</label>
                        <select id="agent-role" onchange={on_role}>
                            <option value="agent" selected={*role == Role::Agent}>{ "Agent" }</option>
                            <option value="admin" selected={*role == Role::Admin}>{ "Admin (manages agents, codes, categories; can break locks)" }</option>
                        </select>
                    </div>
                    if let Some(message) = &*error {
                        <p class="form-error" role="alert">{ message }</p>
                    }
                    <button type="submit" class="btn btn-primary" disabled={*busy}>{ "Add agent" }</button>
                </form>
            </div>
        </section>
    }
}
