//! Always-visible connection state, and a banner explaining what a dropped connection means.

use crate::ws::ConnStatus;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BadgeProps {
    pub status: ConnStatus,
}

fn label(status: ConnStatus) -> &'static str {
    match status {
        ConnStatus::Connecting => "Connecting…",
        ConnStatus::Connected => "Live",
        ConnStatus::Reconnecting => "Reconnecting…",
        ConnStatus::Offline => "Offline",
    }
}

/// A dot and a word: Live, Connecting…, Reconnecting…, Offline.
#[function_component]
pub fn ConnectionBadge(props: &BadgeProps) -> Html {
    let state = props.status.as_str();
    let title = match props.status {
        ConnStatus::Connected => "Connected: changes by others appear as they happen.",
        ConnStatus::Connecting => "Connecting to the server…",
        ConnStatus::Reconnecting => "The connection dropped. Reconnecting…",
        ConnStatus::Offline => "The server cannot be reached. Loket keeps trying.",
    };
    html! {
        <span class={classes!("conn", format!("conn-{state}"))} data-testid="connection" data-state={state}
            role="status" {title}>
            <span class="conn-dot" aria-hidden="true" />
            <span class="conn-label">{ label(props.status) }</span>
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct BannerProps {
    pub status: ConnStatus,
    /// True once the client had been connected at least once.
    pub was_connected: bool,
    pub on_retry: Callback<()>,
}

/// Shown while not connected after having been: what is stale and that it heals by itself.
#[function_component]
pub fn ConnectionBanner(props: &BannerProps) -> Html {
    let show = match props.status {
        ConnStatus::Connected => false,
        ConnStatus::Connecting => false,
        ConnStatus::Reconnecting => props.was_connected,
        ConnStatus::Offline => true,
    };
    if !show {
        return html! {};
    }
    let retry = props.on_retry.reform(|_: MouseEvent| ());
    let text = if props.status == ConnStatus::Offline {
        "The server cannot be reached. What you see may be out of date; Loket reconnects and refreshes by itself."
    } else {
        "Connection lost. Reconnecting… The board refreshes as soon as the connection is back."
    };
    html! {
        <div class={classes!("conn-banner", format!("conn-banner-{}", props.status.as_str()))} role="alert">
            <span>{ text }</span>
            <button type="button" class="btn btn-small" onclick={retry}>{ "Retry now" }</button>
        </div>
    }
}
