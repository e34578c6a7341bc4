//! Admins: the agents of this helpdesk: adding one, changing a role, disabling and enabling, resetting a
//! password.

use crate::api;
use crate::components::account_row::AccountRow;
use crate::components::reset_password::ResetPasswordDialog;
use crate::format::role_label;
use crate::hooks::{Loadable, NoticeKind, use_directory, use_load, use_notify, use_session};
use crate::pages::{admins_only, load_state};
use loket_protocol::AgentId;
use loket_protocol::api::{NewAgent, PasswordResetDone, Role};
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

/// The reset-password dialog, while it is open.
#[derive(Clone, PartialEq)]
struct Resetting {
    id: AgentId,
    name: String,
    busy: bool,
    error: Option<String>,
    done: Option<PasswordResetDone>,
}

#[function_component]
fn AgentsAdmin() -> Html {
    let session = use_session();
    let (agents, reload) = use_load(api::agents);
    let changing = use_state(|| None::<AgentId>);
    let resetting = use_state(|| None::<Resetting>);
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
                        notify.emit((NoticeKind::Success, format!("{} can now sign in.", agent.agent.name)));
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
    // Runs one change to an account, then reloads the table; the answer is told as a notice.
    let change = {
        let (changing, reload, notify) = (changing.clone(), reload.clone(), notify.clone());
        move |id: AgentId,
              done: String,
              call: std::pin::Pin<Box<dyn std::future::Future<Output = api::ApiResult<()>>>>| {
            changing.set(Some(id));
            let (changing, reload, notify) = (changing.clone(), reload.clone(), notify.clone());
            spawn_local(async move {
                let result = call.await;
                changing.set(None);
                match result {
                    Ok(()) => notify.emit((NoticeKind::Success, done)),
                    Err(e) => notify.emit((NoticeKind::Error, e.message)),
                }
                reload.emit(());
            });
        }
    };
    let on_reset_submit = {
        let resetting = resetting.clone();
        let reload = reload.clone();
        Callback::from(move |password: Option<String>| {
            let Some(current) = (*resetting).clone() else { return };
            resetting.set(Some(Resetting {
                busy: true,
                error: None,
                ..current.clone()
            }));
            let (resetting, reload) = (resetting.clone(), reload.clone());
            spawn_local(async move {
                let result = api::reset_password(current.id, password).await;
                resetting.set(Some(match result {
                    Ok(done) => Resetting {
                        busy: false,
                        done: Some(done),
                        ..current
                    },
                    Err(e) => Resetting {
                        busy: false,
                        error: Some(e.message),
                        ..current
                    },
                }));
                reload.emit(());
            });
        })
    };
    let on_reset_close = {
        let resetting = resetting.clone();
        Callback::from(move |_| resetting.set(None))
    };
    let list = load_state(&agents, "agents").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*agents else {
            return html! {};
        };
        let rows = list.iter().map(|a| {
            let (id, name) = (a.agent.id, a.agent.name.clone());
            let on_role = {
                let (change, name) = (change.clone(), name.clone());
                Callback::from(move |role: Role| {
                    let call = Box::pin(async move { api::set_agent_role(id, role).await.map(|_| ()) });
                    change(id, format!("{name} is now {}.", role_label(role).to_lowercase()), call);
                })
            };
            let on_disabled = {
                let (change, name) = (change.clone(), name.clone());
                Callback::from(move |disable: bool| {
                    let call = Box::pin(async move { api::set_agent_disabled(id, disable).await.map(|_| ()) });
                    let done = if disable {
                        format!("{name} is disabled and signed out everywhere.")
                    } else {
                        format!("{name} can sign in again.")
                    };
                    change(id, done, call);
                })
            };
            let on_reset = {
                let resetting = resetting.clone();
                Callback::from(move |_| {
                    resetting.set(Some(Resetting {
                        id,
                        name: name.clone(),
                        busy: false,
                        error: None,
                        done: None,
                    }))
                })
            };
            html! {
                <AccountRow key={id.0} account={a.clone()} is_me={id == session.agent.id}
                    busy={*changing == Some(id)} {on_role} {on_disabled} {on_reset} />
            }
        });
        html! {
            <div class="table-wrap">
                <table class="data" data-testid="agents">
                    <thead><tr>
                        <th scope="col">{ "Name" }</th><th scope="col">{ "Email" }</th><th scope="col">{ "Role" }</th>
                        <th scope="col">{ "State" }</th><th scope="col">{ "Sign-ins" }</th>
                        <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        }
    });
    let dialog = (*resetting).clone().map(|r| {
        html! {
            <ResetPasswordDialog name={r.name.clone()} on_submit={on_reset_submit.clone()} on_close={on_reset_close.clone()}
                done={r.done.clone()} error={r.error.clone().map(AttrValue::from)} busy={r.busy} />
        }
    });
    html! {
        <section class="page page-wide" aria-labelledby="agents-h">
            <div class="page-head"><h1 id="agents-h">{ "Agents" }</h1></div>
            <p class="lead muted">{ "Disabling an agent signs them out everywhere at once and keeps them out until \
                enabled; their tickets and history stay. A role change applies at once." }</p>
            { dialog }
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
