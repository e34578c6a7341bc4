//! The signed-in agent's own account: who they are, the public name reporters see, their canned replies
//! (admins: the shared ones too), the opt-in sound and browser notifications for attention signals
//! (stored in this browser), and changing their password.

use crate::api;
use crate::components::dialog::Dialog;
use crate::format::role_label;
use crate::hooks::use_attention::{NOTIFY_KEY, SOUND_KEY, pref, set_pref};
use crate::hooks::{NoticeKind, use_notify, use_session};
use loket_protocol::ErrorCode;
use loket_protocol::api::{PUBLIC_NAME_MAX_CHARS, PasswordChange, PublicName, validate_public_name};
use loket_protocol::canned::{self, CannedReply, CannedReplyChange, CannedScope, NewCannedReply};
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
                <AttentionSettings />
                <CannedReplies is_admin={session.is_admin()} />
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

/// Sound and browser notifications for attention signals (a new ticket, a reporter's reply, an assignment,
/// an SLA warning), both off until switched on; stored in this browser's localStorage. The browser asks for
/// permission to notify once, when the agent switches notifications on.
#[function_component]
fn AttentionSettings() -> Html {
    let sound = use_state(|| pref(SOUND_KEY));
    let notify_on = use_state(|| pref(NOTIFY_KEY));
    let problem = use_state(|| None::<String>);
    let on_sound = {
        let sound = sound.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            set_pref(SOUND_KEY, on);
            sound.set(on);
        })
    };
    let on_notify = {
        let (notify_on, problem) = (notify_on.clone(), problem.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            problem.set(None);
            if !on {
                set_pref(NOTIFY_KEY, false);
                notify_on.set(false);
                return;
            }
            let (notify_on, problem) = (notify_on.clone(), problem.clone());
            spawn_local(async move {
                if notification_permission().await {
                    set_pref(NOTIFY_KEY, true);
                    notify_on.set(true);
                } else {
                    notify_on.set(false);
                    problem.set(Some(
                        "This browser does not allow notifications from Loket. Allow them in the site settings, then switch this on again."
                            .to_string(),
                    ));
                }
            });
        })
    };
    html! {
        <div class="card form" aria-labelledby="attention-h" data-testid="attention-settings">
            <h2 id="attention-h">{ "Signals" }</h2>
            <p class="muted">{ "A new ticket, a reporter's reply, a ticket assigned to you or an SLA warning always shows a notice wherever you are in Loket and counts in the tab title." }</p>
            <label><input type="checkbox" checked={*sound} onchange={on_sound} data-testid="attention-sound" />
                { " Play a sound" }</label>
            <label><input type="checkbox" checked={*notify_on} onchange={on_notify} data-testid="attention-notify" />
                { " Show a browser notification while Loket is in the background" }</label>
            if let Some(message) = &*problem {
                <p class="form-error" role="alert">{ message }</p>
            }
            <p class="hint">{ "Stored in this browser only." }</p>
        </div>
    }
}

/// Whether the browser lets Loket notify: asks the agent when they were never asked.
async fn notification_permission() -> bool {
    use web_sys::{Notification, NotificationPermission};
    match Notification::permission() {
        NotificationPermission::Granted => true,
        NotificationPermission::Denied => false,
        _ => {
            let Ok(asked) = Notification::request_permission() else {
                return false;
            };
            wasm_bindgen_futures::JsFuture::from(asked)
                .await
                .ok()
                .and_then(|answer| answer.as_string())
                .is_some_and(|answer| answer == "granted")
        }
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

#[derive(Properties, PartialEq)]
struct CannedRepliesProps {
    is_admin: bool,
}

/// The canned replies this agent manages (their personal ones; for admins the shared ones too): a list
/// with Edit (a dialog, sending only what changed) and Delete, and a form to add one.
#[function_component]
fn CannedReplies(props: &CannedRepliesProps) -> Html {
    let notify = use_notify();
    let list = use_state(Vec::<CannedReply>::new);
    let revision = use_state(|| 0u32);
    let (title, shortcut, text_en, text_id) = (
        use_state(String::new),
        use_state(String::new),
        use_state(String::new),
        use_state(String::new),
    );
    let shared = use_state(|| false);
    let error = use_state(|| None::<String>);
    let editing = use_state(|| None::<CannedReply>);
    {
        let list = list.clone();
        use_effect_with(*revision, move |_| {
            spawn_local(async move {
                if let Ok(all) = api::canned_replies("").await {
                    list.set(all);
                }
            });
        });
    }
    let on_submit = {
        let (title, shortcut, text_en, text_id, shared, error, revision, notify) = (
            title.clone(),
            shortcut.clone(),
            text_en.clone(),
            text_id.clone(),
            shared.clone(),
            error.clone(),
            revision.clone(),
            notify.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let new = NewCannedReply {
                scope: if *shared {
                    CannedScope::Shared
                } else {
                    CannedScope::Personal
                },
                title: (*title).clone(),
                shortcut: (*shortcut).clone(),
                text_en: (*text_en).clone(),
                text_id: (*text_id).clone(),
            };
            if let Err(problem) = canned::validate(
                Some(&new.title),
                Some(&new.shortcut),
                &[Some(&new.text_en), Some(&new.text_id)],
            ) {
                error.set(Some(problem));
                return;
            }
            error.set(None);
            let (title, shortcut, text_en, text_id, error, revision, notify) = (
                title.clone(),
                shortcut.clone(),
                text_en.clone(),
                text_id.clone(),
                error.clone(),
                revision.clone(),
                notify.clone(),
            );
            spawn_local(async move {
                match api::create_canned_reply(new).await {
                    Ok(reply) => {
                        for field in [&title, &shortcut, &text_en, &text_id] {
                            field.set(String::new());
                        }
                        revision.set(*revision + 1);
                        notify.emit((NoticeKind::Success, format!("Added ::{}.", reply.shortcut)));
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
    let area = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<web_sys::HtmlTextAreaElement>().value())
        })
    };
    let on_shared = {
        let shared = shared.clone();
        Callback::from(move |e: Event| shared.set(e.target_unchecked_into::<HtmlInputElement>().checked()))
    };
    let manageable = list
        .iter()
        .filter(|r| r.scope == CannedScope::Personal || props.is_admin);
    let rows = manageable.map(|reply| {
        let (id, revision, notify) = (reply.id, revision.clone(), notify.clone());
        let delete = Callback::from(move |_: MouseEvent| {
            let (revision, notify) = (revision.clone(), notify.clone());
            spawn_local(async move {
                match api::delete_canned_reply(id).await {
                    Ok(()) => revision.set(*revision + 1),
                    Err(e) => notify.emit((NoticeKind::Error, e.message)),
                }
            });
        });
        let edit = {
            let (editing, reply) = (editing.clone(), reply.clone());
            Callback::from(move |_: MouseEvent| editing.set(Some(reply.clone())))
        };
        let scope = if reply.scope == CannedScope::Shared {
            "shared"
        } else {
            "personal"
        };
        html! {
            <li key={reply.id.0} data-testid="canned-row" data-shortcut={reply.shortcut.clone()}>
                <strong>{ &reply.title }</strong>
                <span class="muted small">{ format!(" ::{} · {scope}", reply.shortcut) }</span>
                <span class="muted small canned-preview" data-testid="canned-text">{ format!(" — {}", reply.text_en) }</span>
                <button type="button" class="btn btn-ghost" onclick={edit} data-testid="canned-edit"
                    aria-label={format!("Edit {}", reply.title)}>{ "Edit" }</button>
                <button type="button" class="btn btn-ghost" onclick={delete}>{ "Delete" }</button>
            </li>
        }
    });
    let edit_dialog = (*editing).clone().map(|reply| {
        let close = {
            let editing = editing.clone();
            Callback::from(move |()| editing.set(None))
        };
        let saved = {
            let (editing, revision, notify) = (editing.clone(), revision.clone(), notify.clone());
            Callback::from(move |reply: CannedReply| {
                editing.set(None);
                revision.set(*revision + 1);
                notify.emit((NoticeKind::Success, format!("Saved ::{}.", reply.shortcut)));
            })
        };
        let key = reply.id.0;
        html! { <CannedEdit {key} {reply} on_close={close} on_saved={saved} /> }
    });
    html! {
        <section class="card form" aria-labelledby="canned-h" data-testid="canned-form">
            <h2 id="canned-h">{ "Canned replies" }</h2>
            <p class="muted">{ "Type :: in a reply to insert one. Placeholders: {{ticket.key}}, {{ticket.title}}, \
                                {{reporter.name}}, {{agent.name}} (your public name)." }</p>
            <ul class="canned-list">{ for rows }</ul>
            { edit_dialog }
            <form class="form" onsubmit={on_submit} aria-label="Add a canned reply" data-testid="canned-add">
            <div class="field">
                <label for="canned-title">{ "Title" }</label>
                <input id="canned-title" type="text" value={(*title).clone()} oninput={text(&title)} />
            </div>
            <div class="field">
                <label for="canned-shortcut">{ "Shortcut" }</label>
                <input id="canned-shortcut" type="text" value={(*shortcut).clone()} oninput={text(&shortcut)}
                    placeholder="received" />
                <p class="hint">{ "Lowercase letters, digits, - and _." }</p>
            </div>
            <div class="field">
                <label for="canned-en">{ "Text in English" }</label>
                <textarea id="canned-en" rows="3" value={(*text_en).clone()} oninput={area(&text_en)} />
            </div>
            <div class="field">
                <label for="canned-id">{ "Text in Indonesian" }</label>
                <textarea id="canned-id" rows="3" value={(*text_id).clone()} oninput={area(&text_id)} />
            </div>
            if props.is_admin {
                <label><input type="checkbox" checked={*shared} onchange={on_shared} />
                    { " Shared with every agent" }</label>
            }
            if let Some(message) = &*error {
                <p class="form-error" role="alert">{ message }</p>
            }
            <button type="submit" class="btn btn-primary">{ "Add canned reply" }</button>
            </form>
        </section>
    }
}

/// The change that turns `old` into the edited fields: only those that differ (none: nothing to send).
fn canned_change(old: &CannedReply, title: &str, shortcut: &str, text_en: &str, text_id: &str) -> CannedReplyChange {
    let differs = |new: &str, was: &str| (new != was).then(|| new.to_string());
    CannedReplyChange {
        title: differs(title, &old.title),
        shortcut: differs(shortcut, &old.shortcut),
        text_en: differs(text_en, &old.text_en),
        text_id: differs(text_id, &old.text_id),
    }
}

#[derive(Properties, PartialEq)]
struct CannedEditProps {
    reply: CannedReply,
    on_close: Callback<()>,
    on_saved: Callback<CannedReply>,
}

/// Editing one canned reply in a dialog: its title, shortcut and both texts, checked as the server checks
/// them; Save sends only what changed (`PATCH /api/canned-replies/{id}`). Its scope never changes.
#[function_component]
fn CannedEdit(props: &CannedEditProps) -> Html {
    let reply = &props.reply;
    let title = use_state(|| reply.title.clone());
    let shortcut = use_state(|| reply.shortcut.clone());
    let text_en = use_state(|| reply.text_en.clone());
    let text_id = use_state(|| reply.text_id.clone());
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let on_submit = {
        let (title, shortcut, text_en, text_id, error, busy) = (
            title.clone(),
            shortcut.clone(),
            text_en.clone(),
            text_id.clone(),
            error.clone(),
            busy.clone(),
        );
        let (old, on_saved, on_close) = (reply.clone(), props.on_saved.clone(), props.on_close.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let change = canned_change(&old, &title, &shortcut, &text_en, &text_id);
            if change == CannedReplyChange::default() {
                on_close.emit(());
                return;
            }
            if let Err(problem) = canned::validate(
                change.title.as_deref(),
                change.shortcut.as_deref(),
                &[change.text_en.as_deref(), change.text_id.as_deref()],
            ) {
                error.set(Some(problem));
                return;
            }
            busy.set(true);
            error.set(None);
            let (error, busy, on_saved, id) = (error.clone(), busy.clone(), on_saved.clone(), old.id);
            spawn_local(async move {
                let result = api::change_canned_reply(id, change).await;
                busy.set(false);
                match result {
                    Ok(reply) => on_saved.emit(reply),
                    Err(e) if e.code == ErrorCode::Conflict => {
                        error.set(Some("That shortcut is taken already. Choose another one.".to_string()))
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
    let area = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<web_sys::HtmlTextAreaElement>().value())
        })
    };
    let cancel = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <Dialog title={format!("Edit ::{}", reply.shortcut)} on_close={props.on_close.clone()} testid="canned-edit-dialog">
            <form class="form" onsubmit={on_submit}>
                <div class="field">
                    <label for="canned-edit-title">{ "Title" }</label>
                    <input id="canned-edit-title" type="text" value={(*title).clone()} oninput={text(&title)} />
                </div>
                <div class="field">
                    <label for="canned-edit-shortcut">{ "Shortcut" }</label>
                    <input id="canned-edit-shortcut" type="text" value={(*shortcut).clone()} oninput={text(&shortcut)} />
                    <p class="hint">{ "Lowercase letters, digits, - and _." }</p>
                </div>
                <div class="field">
                    <label for="canned-edit-en">{ "Text in English" }</label>
                    <textarea id="canned-edit-en" rows="3" value={(*text_en).clone()} oninput={area(&text_en)} />
                </div>
                <div class="field">
                    <label for="canned-edit-id">{ "Text in Indonesian" }</label>
                    <textarea id="canned-edit-id" rows="3" value={(*text_id).clone()} oninput={area(&text_id)} />
                </div>
                if let Some(message) = &*error {
                    <p class="form-error" role="alert" data-testid="canned-edit-error">{ message }</p>
                }
                <div class="modal-actions">
                    <button type="button" class="btn" onclick={cancel}>{ "Cancel" }</button>
                    <button type="submit" class="btn btn-primary" disabled={*busy} aria-busy={busy.to_string()}>
                        { "Save changes" }
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_sends_only_the_fields_that_changed() {
        let old = CannedReply {
            id: loket_protocol::CannedReplyId(3),
            scope: CannedScope::Personal,
            owner_id: None,
            title: "Received".into(),
            shortcut: "received".into(),
            text_en: "We got it.".into(),
            text_id: "Sudah kami terima.".into(),
            updated_at: chrono::Utc::now(),
        };
        assert_eq!(
            canned_change(&old, "Received", "received", "We got it.", "Sudah kami terima."),
            CannedReplyChange::default()
        );
        let change = canned_change(
            &old,
            "Received",
            "got-it",
            "We got {{ticket.key}}.",
            "Sudah kami terima.",
        );
        assert_eq!(
            change,
            CannedReplyChange {
                shortcut: Some("got-it".into()),
                text_en: Some("We got {{ticket.key}}.".into()),
                ..CannedReplyChange::default()
            }
        );
    }

    #[test]
    fn the_form_is_checked_before_it_is_sent() {
        assert!(form_problem("", "long enough", "long enough").is_some());
        assert!(form_problem("old password", "short", "short").is_some());
        assert!(form_problem("old password", "long enough", "long enougH").is_some());
        assert!(form_problem("same thing", "same thing", "same thing").is_some());
        assert_eq!(form_problem("old password", "long enough", "long enough"), None);
    }
}
