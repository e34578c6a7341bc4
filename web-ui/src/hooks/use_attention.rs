//! Attention signals as context (see `state::attention`): the provider feeds every server message to the
//! agent's unread state, shows a toast linking the ticket for each signal, plays a sound and shows a
//! browser notification when the agent opted in (account page; stored in this browser's localStorage,
//! per browser, not on the server), and keeps the unread count in the tab title. The ticket page reports
//! itself open with [`AttentionHandle::opened`] and sends `MarkRead`.

use crate::hooks::{use_live, use_notify_ticket, use_server_messages, use_session};
use crate::state::attention::{Attention, Reaction, tab_title};
use loket_protocol::TicketId;
use loket_protocol::ws::ServerMessage;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use yew::prelude::*;

/// The tab title without a count.
const TITLE: &str = "Loket";
/// localStorage key: "on" when a signal plays a sound.
pub const SOUND_KEY: &str = "loket.attention.sound";
/// localStorage key: "on" when a signal shows a browser notification (permission granted).
pub const NOTIFY_KEY: &str = "loket.attention.notify";

/// Whether the opt-in `key` is on in this browser.
pub fn pref(key: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(key).ok().flatten())
        .is_some_and(|v| v == "on")
}

/// Switches the opt-in `key` in this browser.
pub fn set_pref(key: &str, on: bool) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = if on {
            storage.set_item(key, "on")
        } else {
            storage.remove_item(key)
        };
    }
}

/// What components see.
#[derive(Clone, PartialEq)]
pub struct AttentionHandle {
    /// The agent's unread tickets as far as this client knows.
    pub unread: Rc<BTreeSet<TicketId>>,
    /// The ticket page is showing this ticket: it is read (the page sends `MarkRead`).
    pub opened: Callback<TicketId>,
    /// The ticket page for this ticket is gone.
    pub closed: Callback<TicketId>,
}

#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    pub children: Html,
}

#[function_component]
pub fn AttentionProvider(props: &ProviderProps) -> Html {
    let session = use_session();
    let live = use_live();
    let notify_ticket = use_notify_ticket();
    let state: Rc<RefCell<Attention>> = {
        let me = session.agent.id;
        (*use_memo((), move |_| Rc::new(RefCell::new(Attention::new(me))))).clone()
    };
    let unread = use_state(|| Rc::new(BTreeSet::<TicketId>::new()));
    {
        let (state, conn, unread) = (state.clone(), live.conn.clone(), unread.setter());
        use_server_messages(Callback::from(move |msg: Rc<ServerMessage>| {
            let (reaction, now) = {
                let mut attention = state.borrow_mut();
                let reaction = attention.on_server(&msg);
                (reaction, attention.unread.clone())
            };
            unread.set(Rc::new(now));
            match reaction {
                Some(Reaction::Tell(call)) => {
                    notify_ticket.emit((call.text.clone(), call.ticket));
                    if pref(SOUND_KEY) {
                        chime();
                    }
                    if pref(NOTIFY_KEY) {
                        browser_notification(&call.text, call.ticket);
                    }
                }
                Some(Reaction::Send(message)) => {
                    conn.send(message);
                }
                None => {}
            }
        }));
    }
    use_effect_with(unread.len(), |count| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&tab_title(*count, TITLE));
        }
    });
    let opened = {
        let (state, unread) = (state.clone(), unread.setter());
        Callback::from(move |ticket: TicketId| {
            let now = {
                let mut attention = state.borrow_mut();
                attention.opened(ticket);
                attention.unread.clone()
            };
            unread.set(Rc::new(now));
        })
    };
    let closed = Callback::from(move |ticket: TicketId| state.borrow_mut().closed(ticket));
    let handle = AttentionHandle {
        unread: (*unread).clone(),
        opened,
        closed,
    };
    html! {
        <ContextProvider<AttentionHandle> context={handle}>
            { props.children.clone() }
        </ContextProvider<AttentionHandle>>
    }
}

#[allow(
    clippy::expect_used,
    reason = "the app is always rendered inside AttentionProvider; a missing provider is a programming error"
)]
#[hook]
pub fn use_attention() -> AttentionHandle {
    use_context::<AttentionHandle>().expect("use_attention is only used inside AttentionProvider")
}

/// A short two-note chime (Web Audio; no file to load).
fn chime() {
    let Ok(audio) = web_sys::AudioContext::new() else {
        return;
    };
    let (Ok(tone), Ok(gain)) = (audio.create_oscillator(), audio.create_gain()) else {
        return;
    };
    let at = audio.current_time();
    tone.frequency().set_value_at_time(880.0, at).ok();
    tone.frequency().set_value_at_time(660.0, at + 0.12).ok();
    gain.gain().set_value_at_time(0.15, at).ok();
    gain.gain().linear_ramp_to_value_at_time(0.0, at + 0.3).ok();
    if tone.connect_with_audio_node(&gain).is_ok() && gain.connect_with_audio_node(&audio.destination()).is_ok() {
        tone.start().ok();
        tone.stop_with_when(at + 0.3).ok();
    }
}

/// A browser notification, when this tab is in the background and the browser allows them (the toast
/// covers a visible tab). Tagged with the ticket, so several tabs show it once.
fn browser_notification(text: &str, ticket: TicketId) {
    let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
    if !hidden || web_sys::Notification::permission() != web_sys::NotificationPermission::Granted {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(text);
    options.set_tag(&ticket.key());
    if let Ok(notification) = web_sys::Notification::new_with_options("Loket", &options) {
        let onclick = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
                let _ = window.location().set_href(&format!("/tickets/{}", ticket.0));
            }
        });
        notification.set_onclick(Some(wasm_bindgen::JsCast::unchecked_ref(onclick.as_ref())));
        onclick.forget();
    }
}
