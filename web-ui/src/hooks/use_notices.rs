//! Short-lived notices ("Lock broken", "Reconnected") shown as toasts in a polite live region; an
//! attention signal's toast links its ticket ([`use_notify_ticket`]).

use crate::app::Route;
use crate::components::AppLink;
use gloo_timers::callback::Timeout;
use loket_protocol::TicketId;
use std::rc::Rc;
use yew::prelude::*;

/// How a notice looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Success,
    Error,
}

impl NoticeKind {
    fn class(self) -> &'static str {
        match self {
            NoticeKind::Info => "toast-info",
            NoticeKind::Success => "toast-success",
            NoticeKind::Error => "toast-error",
        }
    }
}

/// How long a notice stays up.
const NOTICE_MS: u32 = 6_000;

#[derive(Debug, Clone, PartialEq)]
struct Notice {
    id: u64,
    kind: NoticeKind,
    text: String,
    /// The ticket the toast links to.
    ticket: Option<TicketId>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Notices {
    items: Vec<Notice>,
    next: u64,
}

enum NoticeAction {
    Push(NoticeKind, String, Option<TicketId>),
    Dismiss(u64),
}

impl Reducible for Notices {
    type Action = NoticeAction;

    fn reduce(self: Rc<Self>, action: NoticeAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            NoticeAction::Push(kind, text, ticket) => {
                next.next += 1;
                next.items.push(Notice {
                    id: next.next,
                    kind,
                    text,
                    ticket,
                });
                // Never a flood: keep the latest few.
                if next.items.len() > 4 {
                    next.items.remove(0);
                }
            }
            NoticeAction::Dismiss(id) => next.items.retain(|n| n.id != id),
        }
        Rc::new(next)
    }
}

#[derive(Clone, PartialEq)]
struct Notify(Callback<(NoticeKind, String)>);

#[derive(Clone, PartialEq)]
struct NotifyTicket(Callback<(String, TicketId)>);

#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    pub children: Html,
}

/// Provides [`use_notify`] and renders the toasts.
#[function_component]
pub fn NoticeProvider(props: &ProviderProps) -> Html {
    let notices = use_reducer(Notices::default);
    let notify = {
        let dispatcher = notices.dispatcher();
        use_memo((), move |_| {
            Notify(Callback::from(move |(kind, text)| {
                dispatcher.dispatch(NoticeAction::Push(kind, text, None))
            }))
        })
    };
    let notify_ticket = {
        let dispatcher = notices.dispatcher();
        use_memo((), move |_| {
            NotifyTicket(Callback::from(move |(text, ticket)| {
                dispatcher.dispatch(NoticeAction::Push(NoticeKind::Info, text, Some(ticket)))
            }))
        })
    };
    let dismiss = {
        let dispatcher = notices.dispatcher();
        Callback::from(move |id| dispatcher.dispatch(NoticeAction::Dismiss(id)))
    };
    html! {
        <ContextProvider<Notify> context={(*notify).clone()}>
        <ContextProvider<NotifyTicket> context={(*notify_ticket).clone()}>
            { props.children.clone() }
            <div class="toasts" role="status" aria-live="polite">
                { for notices.items.iter().map(|n| html! {
                    <Toast key={n.id} id={n.id} kind={n.kind} text={n.text.clone()} ticket={n.ticket}
                        on_dismiss={dismiss.clone()} />
                }) }
            </div>
        </ContextProvider<NotifyTicket>>
        </ContextProvider<Notify>>
    }
}

#[derive(Properties, PartialEq)]
struct ToastProps {
    id: u64,
    kind: NoticeKind,
    text: String,
    ticket: Option<TicketId>,
    on_dismiss: Callback<u64>,
}

#[function_component]
fn Toast(props: &ToastProps) -> Html {
    {
        let (id, on_dismiss) = (props.id, props.on_dismiss.clone());
        use_effect_with(id, move |_| {
            let timeout = Timeout::new(NOTICE_MS, move || on_dismiss.emit(id));
            move || drop(timeout)
        });
    }
    let close = {
        let (id, on_dismiss) = (props.id, props.on_dismiss.clone());
        Callback::from(move |_| on_dismiss.emit(id))
    };
    html! {
        <div class={classes!("toast", props.kind.class())}
            data-testid={props.ticket.map(|_| "attention-toast")}>
            <span>{ &props.text }</span>
            if let Some(ticket) = props.ticket {
                <AppLink to={Route::Ticket { id: ticket.0 }} classes="toast-link" testid="attention-toast-open">
                    { "Open" }
                </AppLink>
            }
            <button type="button" class="toast-close" aria-label="Dismiss" onclick={close}>{ "×" }</button>
        </div>
    }
}

/// Shows a toast linking a ticket: `notify_ticket.emit(("New ticket TKT-0042".into(), TicketId(42)))`.
#[hook]
pub fn use_notify_ticket() -> Callback<(String, TicketId)> {
    use_context::<NotifyTicket>().map(|n| n.0).unwrap_or_default()
}

/// Shows a notice: `notify.emit((NoticeKind::Success, "Saved".into()))`.
#[hook]
pub fn use_notify() -> Callback<(NoticeKind, String)> {
    use_context::<Notify>().map(|n| n.0).unwrap_or_default()
}
