//! Admins: invite codes for reporters (the Telegram bot's `/start <code>`): create, copy the link, revoke.

use crate::api;
use crate::components::icons::{Icon, icon};
use crate::format::{datetime, now};
use crate::hooks::{Loadable, NoticeKind, use_load, use_notify, use_session};
use crate::pages::{admins_only, load_state};
use chrono::{Local, NaiveDate, TimeZone, Utc};
use loket_protocol::Timestamp;
use loket_protocol::api::{InviteCode, NewInviteCode};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[function_component]
pub fn InviteCodesPage() -> Html {
    let session = use_session();
    if !session.is_admin() {
        return admins_only();
    }
    html! { <InviteCodesAdmin /> }
}

/// Whether a code can still be used, in words.
fn code_state(code: &InviteCode, at: Timestamp) -> (&'static str, &'static str) {
    if code.revoked {
        ("Revoked", "state-revoked")
    } else if code.expires_at.is_some_and(|e| e <= at) {
        ("Expired", "state-expired")
    } else if code.uses >= code.max_uses {
        ("Used up", "state-used")
    } else {
        ("Active", "state-active")
    }
}

/// The end of the chosen local day, as the expiry instant.
fn end_of_day(date: &str) -> Option<Timestamp> {
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let local = Local.from_local_datetime(&day.and_hms_opt(23, 59, 59)?).earliest()?;
    Some(local.with_timezone(&Utc))
}

/// Copies text with the Clipboard API; false where it is unavailable (plain-HTTP origins).
async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let navigator = window.navigator();
    let has_clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .map(|v| !v.is_undefined() && !v.is_null())
        .unwrap_or(false);
    if !has_clipboard {
        return false;
    }
    JsFuture::from(navigator.clipboard().write_text(text)).await.is_ok()
}

/// Selects the text of an input so the agent can copy it by hand.
fn select_input(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(input) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
    {
        let _ = input.focus();
        input.select();
    }
}

#[function_component]
fn InviteCodesAdmin() -> Html {
    let (codes, reload) = use_load(api::invite_codes);
    let notify = use_notify();
    let max_uses = use_state(|| "1".to_string());
    let expires = use_state(String::new);
    let error = use_state(|| None::<String>);
    let copied = use_state(|| None::<String>);
    let confirm_revoke = use_state(|| None::<String>);

    let on_submit = {
        let (max_uses, expires, error, reload, notify) = (
            max_uses.clone(),
            expires.clone(),
            error.clone(),
            reload.clone(),
            notify.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(uses) = max_uses.trim().parse::<i32>() else {
                error.set(Some("Maximum uses must be a whole number.".to_string()));
                return;
            };
            if uses < 1 {
                error.set(Some("Maximum uses must be at least 1.".to_string()));
                return;
            }
            let expires_at = if expires.is_empty() { None } else { end_of_day(&expires) };
            error.set(None);
            let (error, reload, notify) = (error.clone(), reload.clone(), notify.clone());
            spawn_local(async move {
                match api::create_invite_code(NewInviteCode {
                    max_uses: uses,
                    expires_at,
                })
                .await
                {
                    Ok(code) => {
                        notify.emit((NoticeKind::Success, format!("Invite code {} created.", code.code)));
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let on_uses = {
        let max_uses = max_uses.clone();
        Callback::from(move |e: InputEvent| max_uses.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_expires = {
        let expires = expires.clone();
        Callback::from(move |e: Event| expires.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };

    let at = now();
    let list = load_state(&codes, "invite codes").unwrap_or_else(|| {
        let Loadable::Ready(list) = &*codes else { return html! {} };
        if list.is_empty() {
            return html! { <p class="muted">{ "No invite codes yet. Create one and share its link with reporters." }</p> };
        }
        let rows = list.iter().map(|code| {
            let (state, class) = code_state(code, at);
            let usable = class == "state-active";
            let share = code.link.clone().unwrap_or_else(|| code.code.clone());
            let input_id = format!("invite-link-{}", code.code);
            let copy = {
                let (share, input_id, copied, notify, key) =
                    (share.clone(), input_id.clone(), copied.clone(), notify.clone(), code.code.clone());
                Callback::from(move |_: MouseEvent| {
                    let (share, input_id, copied, notify, key) =
                        (share.clone(), input_id.clone(), copied.clone(), notify.clone(), key.clone());
                    spawn_local(async move {
                        if copy_text(&share).await {
                            copied.set(Some(key));
                        } else {
                            select_input(&input_id);
                            notify.emit((NoticeKind::Info, "Selected: press Ctrl+C to copy.".to_string()));
                        }
                    });
                })
            };
            let revoke = {
                let (confirm, reload, notify, key) = (confirm_revoke.clone(), reload.clone(), notify.clone(), code.code.clone());
                Callback::from(move |_: MouseEvent| {
                    if confirm.as_deref() != Some(key.as_str()) {
                        confirm.set(Some(key.clone()));
                        return;
                    }
                    confirm.set(None);
                    let (reload, notify, key) = (reload.clone(), notify.clone(), key.clone());
                    spawn_local(async move {
                        match api::revoke_invite_code(key.clone()).await {
                            Ok(()) => notify.emit((NoticeKind::Success, format!("Invite code {key} revoked."))),
                            Err(e) => notify.emit((NoticeKind::Error, e.message)),
                        }
                        reload.emit(());
                    });
                })
            };
            let confirming = confirm_revoke.as_deref() == Some(code.code.as_str());
            let is_copied = copied.as_deref() == Some(code.code.as_str());
            html! {
                <tr key={code.code.clone()} data-invite-code={code.code.clone()}>
                    <td data-label="Code"><code class="code">{ &code.code }</code></td>
                    <td data-label="Uses">{ format!("{} / {}", code.uses, code.max_uses) }</td>
                    <td data-label="Expires">
                        { code.expires_at.map(datetime).unwrap_or_else(|| "Never".to_string()) }
                    </td>
                    <td data-label="State"><span class={classes!("badge", class)}>{ state }</span></td>
                    <td data-label="Link" class="col-link">
                        <div class="copy-field">
                            <label for={input_id.clone()} class="sr-only">{ format!("Invite link for {}", code.code) }</label>
                            <input id={input_id} type="text" readonly=true value={share} />
                            <button type="button" class="btn btn-small" onclick={copy} disabled={!usable}>
                                { icon(if is_copied { Icon::Check } else { Icon::Copy }) }
                                { if is_copied { "Copied" } else if code.link.is_some() { "Copy link" } else { "Copy code" } }
                            </button>
                        </div>
                    </td>
                    <td data-label="" class="col-actions">
                        if !code.revoked {
                            <button type="button" class={classes!("btn", "btn-small", if confirming { "btn-danger" } else { "btn-ghost" })}
                                onclick={revoke}>
                                { if confirming { "Confirm revoke" } else { "Revoke" } }
                            </button>
                        }
                    </td>
                </tr>
            }
        });
        html! {
            <div class="table-wrap">
                <table class="data">
                    <thead><tr>
                        <th scope="col">{ "Code" }</th><th scope="col">{ "Uses" }</th><th scope="col">{ "Expires" }</th>
                        <th scope="col">{ "State" }</th><th scope="col">{ "Link" }</th>
                        <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        }
    });
    html! {
        <section class="page page-wide" aria-labelledby="invites-h">
            <div class="page-head"><h1 id="invites-h">{ "Invite codes" }</h1></div>
            <p class="lead muted">{ "Reporters join through the Telegram bot with an invite link. Each code can be used \
                a set number of times; revoke it when it has leaked." }</p>
            <div class="admin-grid">
                <div class="card">{ list }</div>
                <form class="card form" onsubmit={on_submit} aria-labelledby="add-invite-h">
                    <h2 id="add-invite-h">{ "Create an invite code" }</h2>
                    <div class="field">
                        <label for="invite-uses">{ "Maximum uses" }</label>
                        <input id="invite-uses" type="number" min="1" step="1" required=true value={(*max_uses).clone()}
                            oninput={on_uses} />
                    </div>
                    <div class="field">
                        <label for="invite-expires">{ "Expires (optional)" }</label>
                        <input id="invite-expires" type="date" value={(*expires).clone()} onchange={on_expires} />
                    </div>
                    if let Some(message) = &*error {
                        <p class="form-error" role="alert">{ message }</p>
                    }
                    <button type="submit" class="btn btn-primary">{ "Create code" }</button>
                </form>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn code(uses: i32, max: i32, revoked: bool, expires_in: Option<i64>) -> InviteCode {
        let at = crate::state::fixtures::at(0);
        InviteCode {
            code: "ABC".into(),
            max_uses: max,
            uses,
            expires_at: expires_in.map(|s| at + Duration::seconds(s)),
            revoked,
            created_at: at,
            link: None,
        }
    }

    #[test]
    fn states_in_words() {
        let at = crate::state::fixtures::at(0);
        assert_eq!(code_state(&code(0, 1, false, None), at).0, "Active");
        assert_eq!(code_state(&code(1, 1, false, None), at).0, "Used up");
        assert_eq!(code_state(&code(0, 5, true, None), at).0, "Revoked");
        assert_eq!(code_state(&code(0, 5, false, Some(-1)), at).0, "Expired");
        assert!(end_of_day("2025-12-31").is_some());
        assert!(end_of_day("nonsense").is_none());
    }
}
