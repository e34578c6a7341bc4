//! The ticket page's lock bar: who is editing, and the Edit / Save / Release / Break lock buttons; in the
//! last minute before an idle lock lapses, a countdown with "Keep editing".

use crate::components::badges::LockBadge;
use crate::components::dialog::Dialog;
use crate::components::icons::{Icon, icon};
use crate::format::{ago, clock};
use crate::hooks::use_now;
use loket_protocol::Timestamp;
use loket_protocol::ticket::AgentRef;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// The lock as this page sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum LockView {
    /// Nobody holds it.
    Free,
    /// Edit was pressed; waiting for the server.
    Taking,
    /// Someone else holds it (or this agent in another window: `me`).
    Other {
        holder: AgentRef,
        since: Option<Timestamp>,
        me: bool,
    },
    /// This page holds it.
    Mine,
    /// This page is taking it back after a reconnect.
    Retaking,
    /// This page's lock lapsed: no edits for the server's idle time. The draft is kept.
    Lapsed,
    /// This page lost it while editing.
    Lost {
        by: Option<AgentRef>,
        message: Option<String>,
        holder: Option<AgentRef>,
    },
}

impl LockView {
    fn state(&self) -> &'static str {
        match self {
            LockView::Free => "free",
            LockView::Taking => "taking",
            LockView::Other { .. } => "other",
            LockView::Mine => "mine",
            LockView::Retaking => "retaking",
            LockView::Lapsed => "lapsed",
            LockView::Lost { .. } => "lost",
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct LockPanelProps {
    pub view: LockView,
    pub now: Timestamp,
    pub connected: bool,
    pub is_admin: bool,
    /// The draft differs from the ticket it was based on.
    pub dirty: bool,
    pub saving: bool,
    /// A save met a newer version; the agent decides in the conflict view first.
    pub conflict: bool,
    /// The ticket changed since the draft was started.
    pub stale: bool,
    /// While this page holds the lock: when it lapses unless the agent edits.
    #[prop_or_default]
    pub idle_at: Option<Timestamp>,
    /// "Keep editing" before an idle lapse, or "Take the lock again" after one.
    pub on_keep: Callback<()>,
    pub on_edit: Callback<()>,
    pub on_save: Callback<()>,
    pub on_release: Callback<()>,
    /// Break the lock, with the reason.
    pub on_break: Callback<String>,
}

#[function_component]
pub fn LockPanel(props: &LockPanelProps) -> Html {
    let confirm_release = use_state(|| false);
    let break_open = use_state(|| false);
    let reason = use_state(String::new);

    let edit = props.on_edit.reform(|_: MouseEvent| ());
    let save = props.on_save.reform(|_: MouseEvent| ());
    let release = {
        let (dirty, confirm, on_release) = (props.dirty, confirm_release.clone(), props.on_release.clone());
        Callback::from(move |_: MouseEvent| {
            if dirty && !*confirm {
                confirm.set(true);
            } else {
                confirm.set(false);
                on_release.emit(());
            }
        })
    };
    let keep_editing = {
        let confirm = confirm_release.clone();
        Callback::from(move |_: MouseEvent| confirm.set(false))
    };
    let open_break = {
        let (open, reason) = (break_open.clone(), reason.clone());
        Callback::from(move |_: MouseEvent| {
            reason.set(String::new());
            open.set(true);
        })
    };
    let close_break = {
        let open = break_open.clone();
        Callback::from(move |_| open.set(false))
    };
    let on_reason = {
        let reason = reason.clone();
        Callback::from(move |e: InputEvent| reason.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let confirm_break = {
        let (open, reason, on_break) = (break_open.clone(), reason.clone(), props.on_break.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = reason.trim().to_string();
            if !text.is_empty() {
                open.set(false);
                on_break.emit(text);
            }
        })
    };

    let offline_note = (!props.connected).then(|| {
        html! {
            <p class="lock-note muted">{ "Offline: locking and saving wait for the connection." }</p>
        }
    });
    let since_text = |since: &Option<Timestamp>| match since {
        Some(at) => format!(" since {} ({})", clock(*at), ago(props.now, *at)),
        None => String::new(),
    };
    let (message, actions): (Html, Html) = match &props.view {
        LockView::Free => (
            html! { <p class="lock-text">{ icon(Icon::Unlock) }{ "Nobody is editing this ticket." }</p> },
            html! {
                <button type="button" class="btn btn-primary" onclick={edit} disabled={!props.connected}
                    data-testid="edit">{ icon(Icon::Edit) }{ "Edit" }</button>
            },
        ),
        LockView::Taking => (
            html! { <p class="lock-text">{ icon(Icon::Clock) }{ "Taking the lock…" }</p> },
            html! { <button type="button" class="btn btn-primary" disabled=true aria-busy="true">{ "Edit" }</button> },
        ),
        LockView::Other { holder, since, me } => {
            let who = if *me {
                "you, in another window".to_string()
            } else {
                holder.name.clone()
            };
            (
                html! {
                    <div class="lock-text">
                        <LockBadge holder={who} mine={*me} />
                        <span class="lock-since" id="lock-explain">
                            { format!("{}. Editing is disabled until the lock is released.", since_text(since).trim_start()) }
                        </span>
                    </div>
                },
                html! { <>
                    <button type="button" class="btn btn-primary" disabled=true aria-describedby="lock-explain"
                        data-testid="edit">{ icon(Icon::Edit) }{ "Edit" }</button>
                    if props.is_admin {
                        <button type="button" class="btn btn-danger" onclick={open_break} disabled={!props.connected}>
                            { "Break lock" }
                        </button>
                    }
                </> },
            )
        }
        LockView::Mine | LockView::Retaking | LockView::Lapsed | LockView::Lost { .. } => {
            let text = match &props.view {
                LockView::Mine => html! { <>
                    <p class="lock-text mine">{ icon(Icon::Lock) }
                        { "You are editing. Others see this ticket as locked by you." }</p>
                    if let Some(idle_at) = props.idle_at {
                        <IdleWarning {idle_at} on_keep={props.on_keep.clone()} />
                    }
                </> },
                LockView::Lapsed => html! {
                    <p class="lock-text warn" data-testid="lock-lapsed">{ icon(Icon::Clock) }
                        { "Your lock lapsed because you made no edits for a while, so colleagues can edit this \
                           ticket now. Your draft is kept in this window: take the lock again to go on (Save \
                           does too; it shows you anything that changed meanwhile)." }
                        <button type="button" class="btn btn-ghost" data-testid="retake"
                            onclick={props.on_keep.reform(|_: MouseEvent| ())} disabled={!props.connected}>
                            { "Take the lock again" }
                        </button>
                    </p>
                },
                LockView::Retaking => html! {
                    <p class="lock-text warn">{ icon(Icon::Clock) }
                        { "Reconnected: taking the lock back. Your draft is safe." }</p>
                },
                LockView::Lost { by, message, holder } => {
                    let what = match (by, holder) {
                        (Some(by), _) => format!("{} broke your lock", by.name),
                        (None, Some(holder)) => format!("{} has the lock now", holder.name),
                        (None, None) => "You lost the lock".to_string(),
                    };
                    let why = message.as_ref().map(|m| format!(": “{m}”")).unwrap_or_default();
                    html! {
                        <p class="lock-text danger" data-testid="lock-lost">{ icon(Icon::Alert) }
                            { format!("{what}{why}. Your draft is kept; Save tries to take the lock again.") }</p>
                    }
                }
                _ => html! {},
            };
            let release_label = if *confirm_release {
                "Discard and release"
            } else {
                "Release"
            };
            (
                html! { <>
                    { text }
                    if props.stale {
                        <p class="lock-note warn">
                            { "This ticket changed since you started editing. Saving will show you what changed." }
                        </p>
                    }
                    if *confirm_release {
                        <p class="lock-note warn" role="alert">{ "You have unsaved changes. Release anyway?" }</p>
                    }
                </> },
                html! { <>
                    <button type="button" class="btn btn-primary" onclick={save} data-testid="save"
                        disabled={!props.dirty || props.saving || props.conflict || !props.connected} aria-busy={props.saving.to_string()}>
                        { icon(Icon::Check) }{ "Save" }
                    </button>
                    <button type="button" class="btn" onclick={release} data-testid="release">{ release_label }</button>
                    if *confirm_release {
                        <button type="button" class="btn btn-ghost" onclick={keep_editing}>{ "Keep editing" }</button>
                    }
                </> },
            )
        }
    };
    html! {
        <section class={classes!("lock-panel", format!("lock-{}", props.view.state()))} aria-label="Editing"
            data-testid="lock-panel" data-lock={props.view.state()}>
            <div class="lock-message">{ message }{ offline_note }</div>
            <div class="lock-actions">{ actions }</div>
            if *break_open {
                <Dialog title="Break the lock?" on_close={close_break.clone()} testid="break-dialog">
                    <form onsubmit={confirm_break}>
                        <p>{ "The holder keeps their draft but can no longer save without taking the lock again. \
                              The reason is shown to them and recorded in the ticket's history." }</p>
                        <label for="break-reason">{ "Reason" }</label>
                        <textarea id="break-reason" rows="3" required=true value={(*reason).clone()} oninput={on_reason}
                            placeholder="For example: holder is away and the reporter is waiting" />
                        <div class="modal-actions">
                            <button type="button" class="btn" onclick={close_break.reform(|_: MouseEvent| ())}>
                                { "Cancel" }
                            </button>
                            <button type="submit" class="btn btn-danger" disabled={reason.trim().is_empty()}>
                                { "Break lock" }
                            </button>
                        </div>
                    </form>
                </Dialog>
            }
        </section>
    }
}

/// Seconds before an idle lapse at which the warning shows.
const IDLE_WARNING_SECS: i64 = 60;

#[derive(Properties, PartialEq)]
struct IdleWarningProps {
    idle_at: Timestamp,
    on_keep: Callback<()>,
}

/// Nothing until the last minute before the lock lapses as idle; then a countdown and "Keep editing"
/// (which renews the lock as activity). Ticks every second only while it is shown on the page.
#[function_component]
fn IdleWarning(props: &IdleWarningProps) -> Html {
    let now = use_now(1_000);
    let left = (props.idle_at - now).num_seconds();
    if left > IDLE_WARNING_SECS {
        return html! {};
    }
    let when = if left > 0 {
        format!("in {left} s")
    } else {
        "now".to_string()
    };
    html! {
        <p class="lock-note warn" role="alert" data-testid="idle-warning">
            { format!("No edits for a while: your lock lapses {when}, and colleagues may then edit. \
                       Your draft stays here either way. ") }
            <button type="button" class="btn btn-ghost" data-testid="keep-editing"
                onclick={props.on_keep.reform(|_: MouseEvent| ())}>{ "Keep editing" }</button>
        </p>
    }
}
