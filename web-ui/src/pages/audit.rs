//! Admins: the audit trail of what admins did to accounts, sign-ins and categories, newest first.

use crate::api;
use crate::format::{datetime, describe_audit};
use crate::hooks::{Loadable, use_load, use_session};
use crate::pages::{admins_only, load_state};
use yew::prelude::*;

#[function_component]
pub fn AuditPage() -> Html {
    let session = use_session();
    if !session.is_admin() {
        return admins_only();
    }
    html! { <AuditTrail /> }
}

#[function_component]
fn AuditTrail() -> Html {
    let (entries, reload) = use_load(api::audit);
    let list = load_state(&entries, "the audit trail").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*entries else { return html! {} };
        if list.is_empty() {
            return html! { <p class="muted">{ "Nothing recorded yet." }</p> };
        }
        html! {
            <div class="table-wrap">
                <table class="data" data-testid="audit">
                    <thead><tr>
                        <th scope="col">{ "When" }</th><th scope="col">{ "Who" }</th><th scope="col">{ "What" }</th>
                    </tr></thead>
                    <tbody>
                        { for list.iter().map(|e| html! {
                            <tr key={e.id.0} data-action={e.action.as_str()}>
                                <td data-label="When">{ datetime(e.created_at) }</td>
                                <td data-label="Who">
                                    { e.actor.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| "A removed agent".into()) }
                                </td>
                                <td data-label="What">{ describe_audit(e) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        }
    });
    html! {
        <section class="page" aria-labelledby="audit-h">
            <div class="page-head">
                <h1 id="audit-h">{ "Audit" }</h1>
                <button type="button" class="btn btn-ghost btn-small" onclick={reload.reform(|_: MouseEvent| ())}>
                    { "Refresh" }
                </button>
            </div>
            <p class="lead muted">{ "The latest 100 changes to agents, sign-ins and categories. Ticket changes are in \
                each ticket's history." }</p>
            <div class="card">{ list }</div>
        </section>
    }
}
