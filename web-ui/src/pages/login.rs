//! Sign in with email and password. A wrong password says so; nothing else leaks.

use crate::api;
use crate::components::icons::{Icon, icon};
use loket_protocol::ErrorCode;
use loket_protocol::api::Agent;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoginProps {
    pub on_signed_in: Callback<Agent>,
    /// The previous session ended by itself: say so.
    #[prop_or_default]
    pub expired: bool,
}

#[function_component]
pub fn LoginPage(props: &LoginProps) -> Html {
    let email = use_state(String::new);
    let password = use_state(String::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let on_submit = {
        let (email, password, error, busy, on_signed_in) = (
            email.clone(),
            password.clone(),
            error.clone(),
            busy.clone(),
            props.on_signed_in.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (email, password, error, busy, on_signed_in) = (
                (*email).trim().to_string(),
                (*password).clone(),
                error.clone(),
                busy.clone(),
                on_signed_in.clone(),
            );
            spawn_local(async move {
                match api::login(email, password).await {
                    Ok(answer) => on_signed_in.emit(answer.agent),
                    Err(e) => {
                        busy.set(false);
                        error.set(Some(match e.code {
                            ErrorCode::Unauthorized => "Wrong email or password.".to_string(),
                            ErrorCode::AccountDisabled => {
                                "This account is disabled. Ask an admin of this helpdesk to enable it.".to_string()
                            }
                            _ => e.message,
                        }));
                    }
                }
            });
        })
    };
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    html! {
        <main class="login" id="main">
            <div class="login-card">
                <div class="login-brand">
                    <span class="brand-mark big">{ icon(Icon::Logo) }</span>
                    <span class="brand-name">{ "Loket" }</span>
                </div>
                <h1>{ "Sign in" }</h1>
                <p class="muted">{ "For the agents and admins of this helpdesk." }</p>
                if props.expired {
                    <p class="notice" role="status">{ "Your session has ended. Please sign in again." }</p>
                }
                <form onsubmit={on_submit} novalidate=false>
                    <div class="field">
                        <label for="login-email">{ "Email" }</label>
                        <input id="login-email" name="email" type="email" autocomplete="username" required=true
                            autofocus=true value={(*email).clone()} oninput={input(&email)} />
                    </div>
                    <div class="field">
                        <label for="login-password">{ "Password" }</label>
                        <input id="login-password" name="password" type="password" autocomplete="current-password"
                            required=true value={(*password).clone()} oninput={input(&password)} />
                    </div>
                    if let Some(message) = &*error {
                        <p class="form-error" role="alert" data-testid="login-error">{ message }</p>
                    }
                    <button type="submit" class="btn btn-primary btn-block" disabled={*busy} aria-busy={busy.to_string()}>
                        { "Sign in" }
                    </button>
                </form>
            </div>
        </main>
    }
}
