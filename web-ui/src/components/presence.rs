//! Presence as the pages show it: the other agents viewing a ticket (avatars, "Sari is viewing") and
//! typing a reply ("Sari is typing a reply…") above the composer, and small avatars on board rows.

use crate::components::badges::Avatar;
use crate::state::presence::{Seen, typing_line, viewing_line};
use loket_protocol::ticket::AgentRef;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ViewersProps {
    pub agents: Vec<AgentRef>,
}

/// Small avatars of the agents viewing a board row's ticket, their names in the tooltip.
#[function_component]
pub fn RowViewers(props: &ViewersProps) -> Html {
    let Some(line) = viewing_line(&props.agents) else {
        return html! {};
    };
    html! {
        <span class="row-viewers" data-testid="row-viewers" title={line.clone()} aria-label={line}>
            { for props.agents.iter().map(|a| html! { <Avatar name={a.name.clone()} /> }) }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct PresenceProps {
    pub seen: Seen,
}

/// Who else is on the ticket page, and who is typing a reply.
#[function_component]
pub fn TicketPresence(props: &PresenceProps) -> Html {
    let viewing = viewing_line(&props.seen.viewers);
    let typing = typing_line(&props.seen.typing);
    if viewing.is_none() && typing.is_none() {
        return html! {};
    }
    html! {
        <div class="presence" aria-live="polite">
            if let Some(line) = viewing {
                <p class="presence-viewers" data-testid="presence-viewers">
                    { for props.seen.viewers.iter().map(|a| html! { <Avatar name={a.name.clone()} /> }) }
                    <span>{ line }</span>
                </p>
            }
            if let Some(line) = typing {
                <p class="presence-typing" data-testid="presence-typing">{ line }</p>
            }
        </div>
    }
}
