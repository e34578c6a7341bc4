//! Small labels: status, priority, lock and avatars. Colour is never the only signal; each has text.

use crate::components::icons::{Icon, icon};
use crate::format::{initials, priority_label, status_label};
use loket_protocol::ticket::{Priority, Status};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StatusProps {
    pub status: Status,
}

#[function_component]
pub fn StatusBadge(props: &StatusProps) -> Html {
    let name = props.status.as_str();
    html! {
        <span class={classes!("badge", "status", format!("status-{name}"))} data-testid="status" data-status={name}>
            { status_label(props.status) }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct PriorityProps {
    pub priority: Priority,
}

#[function_component]
pub fn PriorityBadge(props: &PriorityProps) -> Html {
    let name = props.priority.as_str();
    html! {
        <span class={classes!("priority", format!("priority-{name}"))} data-testid="priority" data-priority={name}>
            <span class="priority-bars" aria-hidden="true"><i /><i /><i /></span>
            { priority_label(props.priority) }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct LockProps {
    /// The holder's name.
    pub holder: AttrValue,
    /// True when the holder is the signed-in agent.
    #[prop_or_default]
    pub mine: bool,
}

/// "Locked by <name>".
#[function_component]
pub fn LockBadge(props: &LockProps) -> Html {
    html! {
        <span class={classes!("lock-badge", props.mine.then_some("mine"))} data-testid="lock-badge">
            { icon(Icon::Lock) }
            { format!("Locked by {}", props.holder) }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct AvatarProps {
    pub name: AttrValue,
    #[prop_or_default]
    pub reporter: bool,
}

/// How many avatar colours the stylesheet defines (`avatar-0` … `avatar-7`).
const AVATAR_COLOURS: u32 = 8;

/// Initials in a circle, coloured from the name so people are recognisable at a glance.
#[function_component]
pub fn Avatar(props: &AvatarProps) -> Html {
    let colour = props
        .name
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % AVATAR_COLOURS;
    let class = if props.reporter {
        "reporter".to_string()
    } else {
        format!("avatar-{colour}")
    };
    html! {
        <span class={classes!("avatar", class)} aria-hidden="true">
            { initials(&props.name) }
        </span>
    }
}
