//! A ticket's history, newest first, from its audit events.

use crate::components::icons::{Icon, icon};
use crate::format::{ago, author_name, datetime, describe_event};
use crate::hooks::Directory;
use loket_protocol::Timestamp;
use loket_protocol::ticket::{Field, TicketEvent, TicketEventKind};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub events: Vec<TicketEvent>,
    pub directory: Directory,
    pub now: Timestamp,
}

fn kind_class(kind: TicketEventKind) -> (&'static str, Icon) {
    match kind {
        TicketEventKind::Created => ("ev-created", Icon::Plus),
        TicketEventKind::Changed => ("ev-changed", Icon::Edit),
        TicketEventKind::Commented => ("ev-commented", Icon::Reply),
        TicketEventKind::LockTaken => ("ev-lock", Icon::Lock),
        TicketEventKind::LockReleased
        | TicketEventKind::LockDisconnected
        | TicketEventKind::LockExpired
        | TicketEventKind::LockIdle => ("ev-unlock", Icon::Unlock),
        TicketEventKind::LockBroken => ("ev-broken", Icon::Alert),
        TicketEventKind::AttachmentAdded => ("ev-file", Icon::Paperclip),
        TicketEventKind::Reopened => ("ev-reopened", Icon::Alert),
        TicketEventKind::LocationSet => ("ev-changed", Icon::Edit),
        TicketEventKind::Rated => ("ev-commented", Icon::Reply),
        TicketEventKind::ReopenSeen => ("ev-changed", Icon::Edit),
        TicketEventKind::MergedInto | TicketEventKind::MergedFrom => ("ev-changed", Icon::Edit),
        TicketEventKind::SlaWarning => ("ev-sla-warning", Icon::Clock),
        TicketEventKind::SlaBreached => ("ev-sla-breached", Icon::Alert),
    }
}

#[function_component]
pub fn Timeline(props: &TimelineProps) -> Html {
    if props.events.is_empty() {
        return html! { <p class="muted">{ "No history yet." }</p> };
    }
    let lookup = |field: Field, value: &str| props.directory.lookup(field, value);
    let mut events: Vec<&TicketEvent> = props.events.iter().collect();
    events.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let items = events.into_iter().map(|e| {
        let (class, which) = kind_class(e.kind);
        html! {
            <li key={e.id} class={classes!("event", class)} data-testid="event" data-kind={e.kind.as_str()}>
                <span class="event-icon">{ icon(which) }</span>
                <div class="event-text">
                    <strong>{ author_name(&e.actor) }</strong>{ " " }{ describe_event(e, &lookup) }
                    <time datetime={e.created_at.to_rfc3339()} title={datetime(e.created_at)}>
                        { ago(props.now, e.created_at) }
                    </time>
                </div>
            </li>
        }
    });
    html! { <ol class="timeline" aria-label="History">{ for items }</ol> }
}
