//! Admins: every agent's sign-ins (never their tokens), and ending one; its open screens close at once.

use crate::api;
use crate::format::{ago, client_name, datetime, now};
use crate::hooks::{Loadable, NoticeKind, use_load, use_notify, use_session};
use crate::pages::{admins_only, load_state};
use loket_protocol::SessionId;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[function_component]
pub fn SessionsPage() -> Html {
    let session = use_session();
    if !session.is_admin() {
        return admins_only();
    }
    html! { <SessionsAdmin /> }
}

#[function_component]
fn SessionsAdmin() -> Html {
    let (sessions, reload) = use_load(api::sessions);
    let notify = use_notify();
    let confirm = use_state(|| None::<SessionId>);
    let at = now();
    let list = load_state(&sessions, "sign-ins").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*sessions else {
            return html! {};
        };
        if list.is_empty() {
            return html! { <p class="muted">{ "Nobody is signed in." }</p> };
        }
        let rows = list.iter().map(|s| {
            let id = s.id;
            let end = {
                let (confirm, reload, notify, name) =
                    (confirm.clone(), reload.clone(), notify.clone(), s.agent.name.clone());
                Callback::from(move |_: MouseEvent| {
                    if *confirm != Some(id) {
                        confirm.set(Some(id));
                        return;
                    }
                    confirm.set(None);
                    let (reload, notify, name) = (reload.clone(), notify.clone(), name.clone());
                    spawn_local(async move {
                        match api::end_session(id).await {
                            Ok(()) => notify.emit((NoticeKind::Success, format!("{name}'s sign-in ended."))),
                            Err(e) => notify.emit((NoticeKind::Error, e.message)),
                        }
                        reload.emit(());
                    });
                })
            };
            let confirming = *confirm == Some(id);
            let client = client_name(s.user_agent.as_deref());
            html! {
                <tr key={id.0} data-session={id.to_string()} data-agent={s.agent.name.clone()} data-client={client.clone()}>
                    <td data-label="Agent">
                        { &s.agent.name }
                        if s.current { { " " }<span class="badge state-active">{ "This sign-in" }</span> }
                    </td>
                    <td data-label="Client" title={s.user_agent.clone().unwrap_or_default()}>
                        { client }
                    </td>
                    <td data-label="Signed in">{ datetime(s.created_at) }</td>
                    <td data-label="Last seen">{ ago(at, s.last_seen_at) }</td>
                    <td data-label="Expires">{ datetime(s.expires_at) }</td>
                    <td data-label="" class="col-actions">
                        <button type="button" onclick={end}
                            class={classes!("btn", "btn-small", if confirming { "btn-danger" } else { "btn-ghost" })}>
                            { if confirming { "Confirm sign-out" } else { "Sign out" } }
                        </button>
                    </td>
                </tr>
            }
        });
        html! {
            <div class="table-wrap">
                <table class="data" data-testid="sessions">
                    <thead><tr>
                        <th scope="col">{ "Agent" }</th><th scope="col">{ "Client" }</th>
                        <th scope="col">{ "Signed in" }</th><th scope="col">{ "Last seen" }</th>
                        <th scope="col">{ "Expires" }</th>
                        <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        }
    });
    let refresh = reload.reform(|_: MouseEvent| ());
    html! {
        <section class="page page-wide" aria-labelledby="sessions-h">
            <div class="page-head">
                <h1 id="sessions-h">{ "Sessions" }</h1>
                <button type="button" class="btn btn-ghost btn-small" onclick={refresh}>{ "Refresh" }</button>
            </div>
            <p class="lead muted">{ "Every sign-in that has not expired. Signing one out ends it at once, \
                open screens included; the agent can sign in again unless you disable them under Agents." }</p>
            <div class="card">{ list }</div>
        </section>
    }
}
