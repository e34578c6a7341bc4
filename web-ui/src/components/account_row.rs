//! One agent's account in the admins' table: role, state, sign-ins, and the actions on it (change the
//! role, disable or enable, reset the password). Disabling asks for a second click.

use crate::components::badges::Avatar;
use crate::format::role_label;
use loket_protocol::api::{AgentAccount, Role};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AccountRowProps {
    pub account: AgentAccount,
    /// The signed-in admin's own account.
    pub is_me: bool,
    /// A change to this account is on its way.
    pub busy: bool,
    pub on_role: Callback<Role>,
    /// `true`: disable; `false`: enable.
    pub on_disabled: Callback<bool>,
    pub on_reset: Callback<()>,
}

#[function_component]
pub fn AccountRow(props: &AccountRowProps) -> Html {
    let confirming = use_state(|| false);
    let a = &props.account;
    let disabled = a.is_disabled();
    let on_role = {
        let on_role = props.on_role.clone();
        Callback::from(move |e: Event| {
            if let Some(role) = Role::parse(&e.target_unchecked_into::<HtmlSelectElement>().value()) {
                on_role.emit(role);
            }
        })
    };
    let on_toggle = {
        let (confirming, on_disabled) = (confirming.clone(), props.on_disabled.clone());
        Callback::from(move |_: MouseEvent| {
            if disabled {
                on_disabled.emit(false);
            } else if *confirming {
                confirming.set(false);
                on_disabled.emit(true);
            } else {
                confirming.set(true);
            }
        })
    };
    let on_reset = props.on_reset.reform(|_: MouseEvent| ());
    let role_id = format!("role-{}", a.agent.id);
    let (state, state_class) = if disabled {
        ("Disabled", "state-revoked")
    } else {
        ("Active", "state-active")
    };
    let toggle_label = match (disabled, *confirming) {
        (true, _) => "Enable",
        (false, false) => "Disable",
        (false, true) => "Confirm disable",
    };
    html! {
        <tr data-agent-email={a.agent.email.clone()} data-state={if disabled { "disabled" } else { "active" }}>
            <td data-label="Name">
                <span class="person"><Avatar name={a.agent.name.clone()} />{ &a.agent.name }</span>
                if props.is_me { <span class="muted">{ " (you)" }</span> }
            </td>
            <td data-label="Email">{ &a.agent.email }</td>
            <td data-label="Role">
                <label for={role_id.clone()} class="sr-only">{ format!("Role of {}", a.agent.name) }</label>
                <select id={role_id} class={classes!("select-small", format!("role-{}", a.agent.role.as_str()))}
                    onchange={on_role} disabled={props.busy} data-testid="role">
                    { for [Role::Agent, Role::Admin].into_iter().map(|r| html! {
                        <option value={r.as_str()} selected={r == a.agent.role}>{ role_label(r) }</option>
                    }) }
                </select>
            </td>
            <td data-label="State">
                <span class={classes!("badge", state_class)} data-testid="state">{ state }</span>
            </td>
            <td data-label="Sign-ins">{ a.sessions }</td>
            <td data-label="" class="col-actions">
                <div class="row-actions">
                    <button type="button" class="btn btn-small btn-ghost" onclick={on_reset} disabled={props.busy}
                        data-testid="reset-password">
                        { "Reset password" }
                    </button>
                    <button type="button" disabled={props.busy} onclick={on_toggle} data-testid="toggle-access"
                        class={classes!("btn", "btn-small", if *confirming && !disabled { "btn-danger" } else { "btn-ghost" })}>
                        { toggle_label }
                    </button>
                </div>
            </td>
        </tr>
    }
}
