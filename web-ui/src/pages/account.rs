//! The signed-in agent's own account: who they are, the public name reporters see, and changing their
//! password.

use crate::api;
use crate::format::role_label;
use crate::hooks::{NoticeKind, use_notify, use_session};
use loket_protocol::ErrorCode;
use loket_protocol::api::{PUBLIC_NAME_MAX_CHARS, PasswordChange, PublicName, validate_public_name};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Shortest password the server accepts (`MIN_PASSWORD_CHARS` in the core); checked here to answer at once.
const MIN_PASSWORD_CHARS: usize = 8;

/// What is wrong with the form before it is sent, if anything.
fn form_problem(current: &str, new: &str, repeat: &str) -> Option<&'static str> {
    if current.is_empty() {
        Some("Enter your current password.")
    } else if new.chars().count() < MIN_PASSWORD_CHARS {
        Some("The new password needs at least 8 characters.")
    } else if new != repeat {
        Some("The two new passwords differ. Type the same one twice.")
    } else if new == current {
        Some("Choose a new password that differs from the current one.")
    } else {
        None
    }
}

#[function_component]
pub fn AccountPage() -> Html {
    let session = use_session();
    let notify = use_notify();
    let current = use_state(String::new);
    let new = use_state(String::new);
    let repeat = use_state(String::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let on_submit = {
        let (current, new, repeat, error, busy, notify) = (
            current.clone(),
            new.clone(),
            repeat.clone(),
            error.clone(),
            busy.clone(),
            notify.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            if let Some(problem) = form_problem(&current, &new, &repeat) {
                error.set(Some(problem.to_string()));
                return;
            }
            busy.set(true);
            error.set(None);
            let change = PasswordChange {
                current_password: (*current).clone(),
                new_password: (*new).clone(),
            };
            let (current, new, repeat, error, busy, notify) = (
                current.clone(),
                new.clone(),
                repeat.clone(),
                error.clone(),
                busy.clone(),
                notify.clone(),
            );
            spawn_local(async move {
                let result = api::change_password(change).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        current.set(String::new());
                        new.set(String::new());
                        repeat.set(String::new());
                        notify.emit((
                            NoticeKind::Success,
                            "Password changed. You stay signed in here; your other sign-ins have ended.".to_string(),
                        ));
                    }
                    Err(e) if e.code == ErrorCode::Forbidden => {
                        error.set(Some("Your current password is not right. Try again.".to_string()))
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let agent = &session.agent;
    html! {
        <section class="page" aria-labelledby="account-h">
            <div class="page-head"><h1 id="account-h">{ "My account" }</h1></div>
            <div class="admin-grid">
                <div class="card">
                    <dl class="facts">
                        <dt>{ "Name" }</dt><dd>{ &agent.name }</dd>
                        <dt>{ "Email" }</dt><dd>{ &agent.email }</dd>
                        <dt>{ "Role" }</dt><dd>{ role_label(agent.role) }</dd>
                    </dl>
                    <p class="muted">{ "Ask an admin to change your name, email or role." }</p>
                </div>
                <PublicNameForm />
                <form class="card form" onsubmit={on_submit} aria-labelledby="password-h" data-testid="password-form">
                    <h2 id="password-h">{ "Change my password" }</h2>
                    // The email lets password managers file the new password under the right account.
                    <div class="sr-only" aria-hidden="true">
                        <input type="email" autocomplete="username" value={agent.email.clone()} readonly=true
                            tabindex="-1" />
                    </div>
                    <div class="field">
                        <label for="current-password">{ "Current password" }</label>
                        <input id="current-password" type="password" autocomplete="current-password" required=true
                            value={(*current).clone()} oninput={input(&current)} />
                    </div>
                    <div class="field">
                        <label for="new-password">{ "New password" }</label>
                        <input id="new-password" type="password" autocomplete="new-password" required=true
                            minlength="8" value={(*new).clone()} oninput={input(&new)} />
                        <p class="hint">{ "At least 8 characters." }</p>
                    </div>
                    <div class="field">
                        <label for="repeat-password">{ "New password again" }</label>
                        <input id="repeat-password" type="password" autocomplete="new-password" required=true
                            value={(*repeat).clone()} oninput={input(&repeat)} />
                    </div>
                    if let Some(message) = &*error {
                        <p class="form-error" role="alert" data-testid="password-error">{ message }</p>
                    }
                    <button type="submit" class="btn btn-primary" disabled={*busy}>{ "Change password" }</button>
                    <p class="hint">{ "Changing it signs you out everywhere else." }</p>
                </form>
            </div>
        </section>
    }
}

/// The public name reporters see when this agent replies: optional, checked as the server checks it.
#[function_component]
fn PublicNameForm() -> Html {
    let notify = use_notify();
    let value = use_state(String::new);
    let stored = use_state(|| None::<Option<String>>);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    {
        let (value, stored, error) = (value.clone(), stored.clone(), error.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match api::public_name().await {
                    Ok(name) => {
                        value.set(name.public_name.clone().unwrap_or_default());
                        stored.set(Some(name.public_name));
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        });
    }
    let save = |clear: bool| {
        let (value, stored, error, busy, notify) = (
            value.clone(),
            stored.clone(),
            error.clone(),
            busy.clone(),
            notify.clone(),
        );
        move || {
            let wanted = if clear || value.trim().is_empty() {
                None
            } else {
                match validate_public_name(&value) {
                    Ok(name) => Some(name),
                    Err(problem) => {
                        error.set(Some(problem));
                        return;
                    }
                }
            };
            busy.set(true);
            error.set(None);
            let (value, stored, error, busy, notify) = (
                value.clone(),
                stored.clone(),
                error.clone(),
                busy.clone(),
                notify.clone(),
            );
            spawn_local(async move {
                let result = api::set_public_name(PublicName { public_name: wanted }).await;
                busy.set(false);
                match result {
                    Ok(name) => {
                        value.set(name.public_name.clone().unwrap_or_default());
                        let text = match &name.public_name {
                            Some(n) => format!("Reporters now see your replies as {n}."),
                            None => "Reporters now see your replies as from the help desk.".to_string(),
                        };
                        stored.set(Some(name.public_name));
                        notify.emit((NoticeKind::Success, text));
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        }
    };
    let on_submit = {
        let save = save(false);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            save();
        })
    };
    let on_clear = {
        let save = save(true);
        Callback::from(move |_: MouseEvent| save())
    };
    let on_input = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| value.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let shown = match &*stored {
        Some(Some(name)) => format!("Reporters see your replies as {name}."),
        Some(None) => "You have no public name: reporters see your replies as from the help desk, never your \
                       account name or email."
            .to_string(),
        None => "Loading…".to_string(),
    };
    html! {
        <form class="card form" onsubmit={on_submit} aria-labelledby="public-name-h" data-testid="public-name-form">
            <h2 id="public-name-h">{ "Public name" }</h2>
            <p class="muted" data-testid="public-name-shown">{ shown }</p>
            <div class="field">
                <label for="public-name">{ "Name shown to reporters (optional)" }</label>
                <input id="public-name" type="text" maxlength={PUBLIC_NAME_MAX_CHARS.to_string()}
                    value={(*value).clone()} oninput={on_input} placeholder="For example: Petugas Ayu" />
                <p class="hint">{ format!("Up to {PUBLIC_NAME_MAX_CHARS} characters; not an email address.") }</p>
            </div>
            if let Some(message) = &*error {
                <p class="form-error" role="alert" data-testid="public-name-error">{ message }</p>
            }
            <div class="modal-actions">
                <button type="submit" class="btn btn-primary" disabled={*busy}>{ "Save public name" }</button>
                <button type="button" class="btn" onclick={on_clear} disabled={*busy || matches!(*stored, Some(None))}>
                    { "Remove" }
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_checked_before_it_is_sent() {
        assert!(form_problem("", "long enough", "long enough").is_some());
        assert!(form_problem("old password", "short", "short").is_some());
        assert!(form_problem("old password", "long enough", "long enougH").is_some());
        assert!(form_problem("same thing", "same thing", "same thing").is_some());
        assert_eq!(form_problem("old password", "long enough", "long enough"), None);
    }
}
