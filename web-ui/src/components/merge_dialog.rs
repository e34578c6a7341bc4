//! The "Merge into…" dialog: the agent types the key of the ticket that should carry this one (the
//! survivor), sees its title and status to be sure it is the right one, and confirms. The page looks the
//! ticket up and performs the merge (`on_lookup`, `on_merge`); a refusal is shown here, and a survivor
//! that changed meanwhile is shown as it is now, to confirm again.

use crate::components::badges::StatusBadge;
use crate::components::dialog::Dialog;
use crate::merge::{parse_survivor, survivor_problem};
use loket_protocol::TicketId;
use loket_protocol::ticket::Ticket;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// How a merge went: done, or why not (with the survivor as it is now when it changed meanwhile).
pub type MergeOutcome = Result<(), (String, Option<Ticket>)>;

#[derive(Properties, PartialEq)]
pub struct MergeDialogProps {
    /// The open ticket: the duplicate.
    pub duplicate: Ticket,
    /// The agent has unsaved changes to the duplicate; they must save or discard them first.
    pub dirty: bool,
    pub connected: bool,
    /// Looks a ticket up, answering it or why it cannot be shown.
    pub on_lookup: Callback<(TicketId, Callback<Result<Ticket, String>>)>,
    /// Merges the duplicate into this survivor (as the agent confirmed it).
    pub on_merge: Callback<(Ticket, Callback<MergeOutcome>)>,
    pub on_close: Callback<()>,
}

#[function_component]
pub fn MergeDialog(props: &MergeDialogProps) -> Html {
    let typed = use_state(String::new);
    let found = use_state(|| None::<Ticket>);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let dup = &props.duplicate;

    let on_input = {
        let (typed, found, error) = (typed.clone(), found.clone(), error.clone());
        Callback::from(move |e: InputEvent| {
            typed.set(e.target_unchecked_into::<HtmlInputElement>().value());
            found.set(None);
            error.set(None);
        })
    };
    let on_find = {
        let (typed, found, error, busy, on_lookup, dup_id) = (
            typed.clone(),
            found.clone(),
            error.clone(),
            busy.clone(),
            props.on_lookup.clone(),
            dup.id,
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy || found.is_some() {
                return;
            }
            let id = match parse_survivor(&typed, dup_id) {
                Ok(id) => id,
                Err(problem) => return error.set(Some(problem)),
            };
            busy.set(true);
            error.set(None);
            let (found, error, busy) = (found.clone(), error.clone(), busy.clone());
            on_lookup.emit((
                id,
                Callback::from(move |answer: Result<Ticket, String>| {
                    busy.set(false);
                    match answer {
                        Ok(ticket) => found.set(Some(ticket)),
                        Err(problem) => error.set(Some(problem)),
                    }
                }),
            ));
        })
    };
    let on_confirm = {
        let (found, error, busy, on_merge) = (found.clone(), error.clone(), busy.clone(), props.on_merge.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(survivor) = (*found).clone() else { return };
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (found, error, busy) = (found.clone(), error.clone(), busy.clone());
            on_merge.emit((
                survivor,
                Callback::from(move |outcome: MergeOutcome| {
                    busy.set(false);
                    if let Err((problem, now)) = outcome {
                        if let Some(now) = now {
                            found.set(Some(now));
                        }
                        error.set(Some(problem));
                    }
                }),
            ));
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let problem = found.as_ref().and_then(survivor_problem);
    let survivor = found.as_ref().map(|t| {
        html! {
            <div class="merge-survivor" data-testid="merge-survivor" data-ticket-key={t.key.clone()}>
                <span class="ticket-key">{ &t.key }</span>
                <StatusBadge status={t.status} />
                <strong class="merge-survivor-title">{ &t.title }</strong>
                { t.reporter.as_ref().map(|r| html! { <span class="muted small">{ format!(" · reported by {}", r.name) }</span> }) }
            </div>
        }
    });
    html! {
        <Dialog title={format!("Merge {} into another ticket", dup.key)} on_close={props.on_close.clone()}
            testid="merge-dialog">
            <form onsubmit={on_find}>
                <p>{ format!("Use this when {} reports the same problem as another ticket. Its comments, files and \
                              reporter move to that ticket; {} is closed and points to it, and its reporter is told \
                              on Telegram which ticket carries their report now. This cannot be undone.",
                             dup.key, dup.key) }</p>
                <label for="merge-into">{ "Ticket to merge into" }</label>
                <input id="merge-into" type="text" autocomplete="off" value={(*typed).clone()} oninput={on_input}
                    placeholder="TKT-0041" aria-describedby="merge-into-hint" />
                <p class="hint" id="merge-into-hint">{ "Its key, for example TKT-0041 or 41." }</p>
                if props.dirty {
                    <p class="lock-note warn" role="alert">
                        { format!("You have unsaved changes to {}. Save or discard them first: a merge does not \
                                   include them.", dup.key) }
                    </p>
                }
                { survivor }
                if let Some(problem) = &problem {
                    <p class="lock-note warn">{ problem }</p>
                }
                if let Some(message) = &*error {
                    <p class="form-error" role="alert" data-testid="merge-error">{ message }</p>
                }
                <div class="modal-actions">
                    <button type="button" class="btn" onclick={close}>{ "Cancel" }</button>
                    if let Some(t) = &*found {
                        <button type="button" class="btn btn-danger" data-testid="merge-confirm" onclick={on_confirm}
                            disabled={*busy || props.dirty || problem.is_some() || !props.connected}
                            aria-busy={busy.to_string()}>
                            { format!("Merge into {}", t.key) }
                        </button>
                    } else {
                        <button type="submit" class="btn btn-primary" data-testid="merge-find"
                            disabled={*busy || typed.trim().is_empty()} aria-busy={busy.to_string()}>
                            { "Find ticket" }
                        </button>
                    }
                </div>
            </form>
        </Dialog>
    }
}
