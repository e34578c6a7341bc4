//! One ticket: its fields, the lock (Edit / Save / Release / Break lock), the conversation, attachments
//! and history, all kept live. The edit lock is a lease held by this page's WebSocket: the page renews
//! it while open, gives it back when the agent leaves, and takes it back after a reconnect. The server
//! lets a lock lapse when its holder makes no edits for a while (reason `idle`): typing in the draft
//! renews it (at most every [`ACTIVITY_RENEW_MS`]), the lock bar warns in the last minute with "Keep
//! editing", and after a lapse the draft stays here until the agent takes the lock again or leaves.

use crate::api;
use crate::app::Route;
use crate::components::AppLink;
use crate::components::badges::{PriorityBadge, StatusBadge};
use crate::components::conflict::ConflictView;
use crate::components::conversation::{AttachmentLink, Composer, Outgoing, Thread};
use crate::components::icons::{Icon, icon};
use crate::components::lock_panel::{LockPanel, LockView};
use crate::components::merge_dialog::{MergeDialog, MergeOutcome};
use crate::components::sla::SlaClocks;
use crate::components::ticket_fields::{TicketFieldsForm, TicketFieldsView};
use crate::components::timeline::Timeline;
use crate::format::{ago, datetime, now};
use crate::hooks::{
    NoticeKind, use_attention, use_directory, use_live, use_notify, use_now, use_server_messages, use_session,
};
use crate::idempotency::{Attempt, failure_message, new_key, with_retries};
use crate::state::ticket::{Flash, LockState, Mode, TicketAction, TicketPage as PageState};
use crate::ws::Connection;
use gloo_timers::future::TimeoutFuture;
use loket_protocol::ticket::{NotificationStatus, Ticket, TicketChanges};
use loket_protocol::ws::{ClientMessage, ServerMessage};
use loket_protocol::{ApiError, AttachmentId, ErrorCode, TicketId};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Typing in the draft renews the lock (activity: it moves the idle deadline) at most this often. The
/// server's heartbeat keeps the lease itself alive; only activity keeps it from lapsing as idle.
const ACTIVITY_RENEW_MS: f64 = 15_000.0;

/// What to tell the agent when uploading `name` failed.
fn upload_failure(error: &ApiError, name: &str) -> String {
    match error.code {
        ErrorCode::PayloadTooLarge => {
            format!("{name} is larger than 20 MB, the most a file may be. Send a smaller one.")
        }
        ErrorCode::InvalidRequest => format!("{name} was not accepted: {}", error.message),
        ErrorCode::Forbidden | ErrorCode::NotInQueue => {
            format!("{name} was not uploaded: this ticket is in a queue you cannot act on.")
        }
        ErrorCode::Unavailable | ErrorCode::OutcomeUnknown => {
            format!("{name} was not uploaded: the server could not be reached. Remove it and choose it again.")
        }
        _ => format!("{name} was not uploaded: {}", error.message),
    }
}

#[derive(Properties, PartialEq)]
pub struct TicketProps {
    pub id: TicketId,
}

/// Sends `changes` to ticket `id` as of `version` (the lock held) and tells the page how the save went.
async fn send_update(
    conn: &Connection,
    dispatcher: &UseReducerDispatcher<PageState>,
    id: TicketId,
    version: i64,
    changes: TicketChanges,
) {
    match conn
        .request(ClientMessage::UpdateTicket {
            ticket_id: id,
            version,
            changes,
        })
        .await
    {
        Ok(ack) => dispatcher.dispatch(TicketAction::SaveAcked {
            version: ack.version.unwrap_or(version + 1),
        }),
        Err(error) => dispatcher.dispatch(TicketAction::SaveFailed(error)),
    }
}

#[function_component]
pub fn TicketPage(props: &TicketProps) -> Html {
    let session = use_session();
    let live = use_live();
    let directory = use_directory();
    let notify = use_notify();
    let now_tick = use_now(30_000);
    let id = props.id;
    let page = {
        let me = session.agent.as_ref();
        use_reducer(move || PageState::new(id, me))
    };

    // Live messages about this ticket.
    {
        let dispatcher = page.dispatcher();
        use_server_messages(Callback::from(move |msg: Rc<ServerMessage>| {
            dispatcher.dispatch(TicketAction::Server { msg, at: now() })
        }));
    }

    // Opening the ticket reads its attention signals for this agent (stored; every tab of theirs drops the
    // marker): sent on open and again on every new connection; a signal arriving while it is open is read
    // at once (`state::attention`).
    {
        let attention = use_attention();
        let (opened, closed, conn) = (attention.opened.clone(), attention.closed.clone(), live.conn.clone());
        use_effect_with((live.connected(), live.epoch), move |(connected, _)| {
            opened.emit(id);
            if *connected {
                conn.send(ClientMessage::MarkRead { ticket_id: id });
            }
            move || closed.emit(id)
        });
    }

    // Re-take a held lock after every reconnect (the old connection's lease ended with it).
    {
        let dispatcher = page.dispatcher();
        let first_epoch = use_mut_ref(|| None::<u32>);
        use_effect_with(live.epoch, move |epoch| {
            let epoch = *epoch;
            let reconnected = {
                let mut first = first_epoch.borrow_mut();
                let seen = first.get_or_insert(epoch);
                epoch > *seen && epoch > 1
            };
            if reconnected {
                dispatcher.dispatch(TicketAction::Reconnected);
            }
        });
    }

    // Load on open, and again only when a reconnect could not resume the event stream (a resumed one
    // replays what was missed). Reloading never touches a draft.
    {
        let dispatcher = page.dispatcher();
        use_effect_with(live.syncs, move |_| {
            spawn_local(async move {
                match api::ticket(id).await {
                    Ok(detail) => dispatcher.dispatch(TicketAction::Loaded(Box::new(detail))),
                    Err(error) => dispatcher.dispatch(TicketAction::LoadFailed(error)),
                }
            });
        });
    }

    // History follows every change.
    {
        let dispatcher = page.dispatcher();
        use_effect_with(page.revision, move |revision| {
            if *revision > 0 {
                spawn_local(async move {
                    if let Ok(events) = api::ticket_events(id).await {
                        dispatcher.dispatch(TicketAction::EventsLoaded(events));
                    }
                });
            }
        });
    }

    // Renew the lock as activity: on "Keep editing", and while the agent types (throttled).
    let holding = matches!(&page.mode, Mode::Editing(e) if e.lock == LockState::Held);
    let last_activity = use_mut_ref(|| 0.0_f64);
    let renew_now = {
        let (conn, dispatcher, last_activity) = (live.conn.clone(), page.dispatcher(), last_activity.clone());
        Callback::from(move |()| {
            *last_activity.borrow_mut() = js_sys::Date::now();
            let (conn, dispatcher) = (conn.clone(), dispatcher.clone());
            spawn_local(async move {
                match conn.request(ClientMessage::LockTicket { ticket_id: id }).await {
                    Ok(ack) => dispatcher.dispatch(TicketAction::LockGranted { idle_at: ack.idle_at }),
                    // Not known now; the next renewal (or the server's own heartbeat) tells.
                    Err(error)
                        if matches!(
                            error.code,
                            loket_protocol::ErrorCode::Unavailable | loket_protocol::ErrorCode::OutcomeUnknown
                        ) => {}
                    Err(error) => dispatcher.dispatch(TicketAction::LockRefused(error)),
                }
            });
        })
    };

    // Take the lock back after a reconnect or a lapsed lease.
    let retaking = match &page.mode {
        Mode::Editing(e) => match e.lock {
            LockState::Retaking { attempts } => Some(attempts),
            _ => None,
        },
        _ => None,
    };
    {
        let (conn, dispatcher, connected) = (live.conn.clone(), page.dispatcher(), live.connected());
        use_effect_with((retaking, connected, live.epoch), move |(retaking, connected, _)| {
            if let (Some(attempts), true) = (*retaking, *connected) {
                spawn_local(async move {
                    if attempts > 0 {
                        TimeoutFuture::new((attempts * 1_000).min(5_000)).await;
                    }
                    match conn.request(ClientMessage::LockTicket { ticket_id: id }).await {
                        Ok(ack) => dispatcher.dispatch(TicketAction::LockGranted { idle_at: ack.idle_at }),
                        Err(error) => dispatcher.dispatch(TicketAction::LockRefused(error)),
                    }
                });
            }
        });
    }

    // Leaving the page gives the lock back (closing the tab closes the socket, which does the same).
    {
        let should_release = use_mut_ref(|| false);
        *should_release.borrow_mut() = match &page.mode {
            Mode::Locking => true,
            Mode::Editing(e) => !matches!(e.lock, LockState::Lost { .. } | LockState::Lapsed),
            Mode::Viewing => false,
        };
        let conn = live.conn.clone();
        use_effect_with((), move |_| {
            move || {
                if *should_release.borrow() {
                    conn.send(ClientMessage::UnlockTicket { ticket_id: id });
                }
            }
        });
    }

    let on_edit = {
        let (conn, dispatcher) = (live.conn.clone(), page.dispatcher());
        Callback::from(move |_| {
            dispatcher.dispatch(TicketAction::EditRequested);
            let (conn, dispatcher) = (conn.clone(), dispatcher.clone());
            spawn_local(async move {
                // Sent again after an unknown outcome: a lock this connection holds is only renewed.
                let mut answer = conn.request(ClientMessage::LockTicket { ticket_id: id }).await;
                if matches!(&answer, Err(e) if e.code == loket_protocol::ErrorCode::OutcomeUnknown) {
                    answer = conn.request(ClientMessage::LockTicket { ticket_id: id }).await;
                }
                match answer {
                    Ok(ack) => dispatcher.dispatch(TicketAction::LockGranted { idle_at: ack.idle_at }),
                    Err(error) => dispatcher.dispatch(TicketAction::LockRefused(error)),
                }
            });
        })
    };
    let on_save = {
        let (conn, dispatcher, page) = (live.conn.clone(), page.dispatcher(), page.clone());
        Callback::from(move |_| {
            let Some(editing) = page.editing() else { return };
            let changes = editing.changes();
            if changes.is_empty() || editing.saving.is_some() {
                return;
            }
            let must_lock = editing.lock != LockState::Held;
            let version = editing.base_version;
            dispatcher.dispatch(TicketAction::SaveStarted {
                sent: editing.draft.clone(),
            });
            let (conn, dispatcher) = (conn.clone(), dispatcher.clone());
            spawn_local(async move {
                if must_lock {
                    match conn.request(ClientMessage::LockTicket { ticket_id: id }).await {
                        Ok(ack) => dispatcher.dispatch(TicketAction::LockGranted { idle_at: ack.idle_at }),
                        Err(error) => {
                            dispatcher.dispatch(TicketAction::SaveFailed(error));
                            return;
                        }
                    }
                }
                send_update(&conn, &dispatcher, id, version, changes).await;
            });
        })
    };
    // "Assign to me" (lock, assign, give the lock back) and "Take" (the same, keeping the lock: the page
    // goes on editing), from the ticket as shown; version-checked like a save.
    let on_assign = {
        let (conn, dispatcher, page) = (live.conn.clone(), page.dispatcher(), page.clone());
        let me = session.agent.id;
        Callback::from(move |take: bool| {
            let Some(ticket) = page.ticket.clone() else { return };
            let (conn, dispatcher) = (conn.clone(), dispatcher.clone());
            if !take {
                spawn_local(async move {
                    if let Err(error) = crate::take::assign_to_me(&conn, id, ticket.version, me, false).await {
                        dispatcher.dispatch(TicketAction::AssignRefused(error));
                    }
                });
                return;
            }
            dispatcher.dispatch(TicketAction::EditRequested);
            spawn_local(async move {
                match conn.request(ClientMessage::LockTicket { ticket_id: id }).await {
                    Ok(ack) => dispatcher.dispatch(TicketAction::LockGranted { idle_at: ack.idle_at }),
                    Err(error) => return dispatcher.dispatch(TicketAction::LockRefused(error)),
                }
                let mut sent = crate::state::ticket::Draft::of(&ticket);
                sent.assignee_id = Some(me);
                dispatcher.dispatch(TicketAction::Edit(crate::state::ticket::DraftEdit::Assignee(Some(me))));
                dispatcher.dispatch(TicketAction::SaveStarted { sent });
                let changes = TicketChanges {
                    assignee_id: Some(Some(me)),
                    ..Default::default()
                };
                let version = ticket.version;
                send_update(&conn, &dispatcher, id, version, changes).await;
            });
        })
    };
    let on_release = {
        let (conn, dispatcher, page) = (live.conn.clone(), page.dispatcher(), page.clone());
        Callback::from(move |_| {
            let holds =
                matches!(&page.mode, Mode::Editing(e) if !matches!(e.lock, LockState::Lost { .. } | LockState::Lapsed));
            if holds {
                conn.send(ClientMessage::UnlockTicket { ticket_id: id });
            }
            dispatcher.dispatch(TicketAction::Released);
        })
    };
    let on_break = {
        let (conn, notify) = (live.conn.clone(), notify.clone());
        Callback::from(move |reason: String| {
            let (conn, notify) = (conn.clone(), notify.clone());
            spawn_local(async move {
                match conn.request(ClientMessage::BreakLock { ticket_id: id, reason }).await {
                    Ok(_) => notify.emit((NoticeKind::Success, "Lock broken. You can edit the ticket now.".into())),
                    Err(error) => notify.emit((
                        NoticeKind::Error,
                        format!("Could not break the lock: {}", error.message),
                    )),
                }
            });
        })
    };
    // "Merge into…": the survivor looked up over REST, then both locks and `MergeTicket` on the connection.
    let merge_open = use_state(|| false);
    let on_merge_lookup = Callback::from(|(survivor, answer): (TicketId, Callback<Result<Ticket, String>>)| {
        spawn_local(async move {
            answer.emit(match api::ticket(survivor).await {
                Ok(detail) => Ok(detail.ticket),
                Err(e) if e.code == loket_protocol::ErrorCode::NotFound => {
                    Err(format!("There is no ticket {}. Check the key.", survivor.key()))
                }
                Err(e)
                    if matches!(
                        e.code,
                        loket_protocol::ErrorCode::Forbidden | loket_protocol::ErrorCode::NotInQueue
                    ) =>
                {
                    Err(format!(
                        "{} is in a queue you cannot act on, so you cannot merge into it.",
                        survivor.key()
                    ))
                }
                Err(e) => Err(format!("Could not look {} up: {}", survivor.key(), e.message)),
            });
        });
    });
    let on_merge = {
        let (conn, dispatcher, page, merge_open) =
            (live.conn.clone(), page.dispatcher(), page.clone(), merge_open.clone());
        let me = session.agent.id;
        Callback::from(move |(survivor, answer): (Ticket, Callback<MergeOutcome>)| {
            let Some(ticket) = page.ticket.clone() else { return };
            let holds = matches!(&page.mode, Mode::Editing(e) if e.lock == LockState::Held);
            dispatcher.dispatch(TicketAction::MergeStarted);
            let (conn, dispatcher, merge_open) = (conn.clone(), dispatcher.clone(), merge_open.clone());
            spawn_local(async move {
                let merged =
                    crate::merge::merge_into(&conn, id, ticket.version, holds, survivor.id, survivor.version).await;
                match merged {
                    Ok(_) => {
                        dispatcher.dispatch(TicketAction::MergeEnded {
                            into: Some(survivor.id),
                        });
                        merge_open.set(false);
                        answer.emit(Ok(()));
                    }
                    Err(failure) => {
                        dispatcher.dispatch(TicketAction::MergeEnded { into: None });
                        let text = crate::merge::refusal_text(&failure, id, me);
                        let now = failure.error.ticket.filter(|t| t.id == survivor.id).map(|t| *t);
                        answer.emit(Err((text, now)));
                    }
                }
            });
        })
    };
    // The comment being sent and its idempotency key, kept across retries of the same comment.
    let comment_attempt = use_mut_ref(Attempt::<(TicketId, String, bool, Vec<AttachmentId>)>::default);
    let on_send = {
        let (conn, attempt) = (live.conn.clone(), comment_attempt.clone());
        Callback::from(move |out: Outgoing| {
            let (conn, attempt) = (conn.clone(), attempt.clone());
            let key = attempt
                .borrow_mut()
                .key_for(&(id, out.body.clone(), out.internal, out.attachments.clone()), new_key);
            spawn_local(async move {
                // Retried with the same key after a reconnect or an unknown outcome: posted once.
                let sent = with_retries(|| {
                    conn.request(ClientMessage::AddComment {
                        ticket_id: id,
                        body: out.body.clone(),
                        internal: out.internal,
                        idempotency_key: Some(key.clone()),
                        attachments: out.attachments.clone(),
                    })
                })
                .await
                .map(|_| ());
                attempt.borrow_mut().settled(sent.as_ref().map_err(|e| e.code).copied());
                out.done.emit(sent.map_err(|e| failure_message(&e, "reply")));
            });
        })
    };
    // The composer's files, uploaded one by one as they are chosen.
    let on_upload = Callback::from(
        move |(file, answer): (
            web_sys::File,
            Callback<Result<loket_protocol::ticket::Attachment, String>>,
        )| {
            spawn_local(async move {
                let name = file.name();
                answer.emit(
                    api::upload_attachment(id, file)
                        .await
                        .map_err(|e| upload_failure(&e, &name)),
                );
            });
        },
    );
    // Canned replies for the composer: searched, and rendered for this ticket by the server.
    let on_search = Callback::from(
        |(q, answer): (String, Callback<Vec<loket_protocol::canned::CannedReply>>)| {
            spawn_local(async move {
                // A failed search shows nothing found; typing again retries.
                answer.emit(api::canned_replies(&q).await.unwrap_or_default());
            });
        },
    );
    let on_render = Callback::from(
        move |(reply, answer): (
            loket_protocol::CannedReplyId,
            Callback<Result<loket_protocol::canned::RenderedReply, String>>,
        )| {
            spawn_local(async move {
                answer.emit(api::render_canned_reply(reply, id).await.map_err(|e| e.message));
            });
        },
    );
    let dispatch = {
        let dispatcher = page.dispatcher();
        Callback::from(move |action| dispatcher.dispatch(action))
    };
    let on_draft = {
        let (dispatch, renew_now, last_activity) = (dispatch.clone(), renew_now.clone(), last_activity.clone());
        Callback::from(move |edit| {
            dispatch.emit(TicketAction::Edit(edit));
            if holding && js_sys::Date::now() - *last_activity.borrow() >= ACTIVITY_RENEW_MS {
                renew_now.emit(());
            }
        })
    };
    let on_keep = renew_now.clone();
    let dismiss_flash = dispatch.reform(|_: MouseEvent| TicketAction::DismissFlash);

    let Some(ticket) = page.ticket.clone() else {
        return match &page.load_error {
            Some(error) => html! {
                <section class="page">
                    <div class="card narrow" role="alert">
                        <h1>{ if error.code == loket_protocol::ErrorCode::NotFound { "No such ticket" } else { "Could not load the ticket" } }</h1>
                        <p>{ &error.message }</p>
                        <AppLink to={Route::Board} classes="btn">{ "Back to the board" }</AppLink>
                    </div>
                </section>
            },
            None => html! {
                <section class="page"><p class="loading" aria-busy="true">
                    <span class="spinner" aria-hidden="true" />{ format!("Loading {}…", id.key()) }
                </p></section>
            },
        };
    };

    let me = &session.agent;
    let view = match (&page.mode, page.foreign_lock()) {
        (Mode::Editing(e), _) => match &e.lock {
            LockState::Held => LockView::Mine,
            LockState::Retaking { .. } => LockView::Retaking,
            LockState::Lapsed => LockView::Lapsed,
            LockState::Lost { by, message } => LockView::Lost {
                by: by.clone(),
                message: message.clone(),
                holder: page.foreign_lock().map(|l| l.holder.clone()),
            },
        },
        (Mode::Locking, _) => LockView::Taking,
        (Mode::Viewing, Some(lock)) => LockView::Other {
            holder: lock.holder.clone(),
            since: lock.since,
            me: lock.holder.id == me.id,
        },
        (Mode::Viewing, None) => LockView::Free,
    };
    let editing = page.editing().cloned();
    let flash = page.flash.as_ref().map(|flash| {
        let (class, text) = match flash {
            Flash::Info(text) => ("flash flash-info", text),
            Flash::Error(text) => ("flash flash-error", text),
        };
        html! {
            <div class={class} role={if matches!(flash, Flash::Error(_)) { "alert" } else { "status" }} data-testid="flash">
                <span>{ text }</span>
                <button type="button" class="toast-close" aria-label="Dismiss" onclick={dismiss_flash}>{ "×" }</button>
            </div>
        }
    });
    let details = match &editing {
        Some(e) => html! { <>
            if let Some(error) = &e.error {
                <p class="form-error" role="alert" data-testid="save-error">{ error }</p>
            }
            <TicketFieldsForm editing={e.clone()} role={session.agent.role} categories={directory.categories.clone()}
                agents={directory.agents.clone()} queues={directory.queues.clone()} on_edit={on_draft} disabled={e.saving.is_some()} />
        </> },
        None => html! { <TicketFieldsView ticket={ticket.clone()} queues={directory.queues.clone()} /> },
    };
    let conflict = editing
        .as_ref()
        .and_then(|e| e.conflict.as_ref().map(|c| (e, c)))
        .map(|(e, c)| {
            html! {
                <ConflictView base={e.base.clone()} theirs={c.theirs.clone()} draft={e.draft.clone()}
                    directory={directory.clone()}
                    on_keep={dispatch.reform(|_| TicketAction::KeepDraft)}
                    on_discard={dispatch.reform(|_| TicketAction::DiscardDraft)} />
            }
        });
    let title = editing
        .as_ref()
        .map(|e| e.draft.title.clone())
        .unwrap_or_else(|| ticket.title.clone());
    let attachments = page
        .attachments
        .iter()
        .map(|a| html! { <li><AttachmentLink attachment={a.clone()} /></li> });
    let notifications = page.notifications.iter().map(|n| {
        let (class, label) = match n.status {
            NotificationStatus::Pending => ("note-pending", "Queued"),
            NotificationStatus::Delivered => ("note-delivered", "Delivered"),
            NotificationStatus::Failed => ("note-failed", "Failed"),
        };
        html! {
            <li class="notification">
                <span class={classes!("badge", class)}>{ label }</span>
                <span class="notification-body">{ &n.body }</span>
                <time class="muted small" title={datetime(n.created_at)}>{ ago(now_tick, n.created_at) }</time>
            </li>
        }
    });

    html! {
        <article class="page page-wide ticket-page" aria-labelledby="ticket-title" data-ticket-key={ticket.key.clone()}>
            <nav class="crumbs" aria-label="Breadcrumb">
                <AppLink to={Route::Board} classes="crumb-link">{ icon(Icon::Back) }{ "Board" }</AppLink>
                <span aria-hidden="true">{ "/" }</span>
                <span aria-current="page">{ &ticket.key }</span>
            </nav>
            <header class="ticket-head">
                <div class="ticket-badges">
                    <span class="ticket-key big">{ &ticket.key }</span>
                    <StatusBadge status={ticket.status} />
                    <PriorityBadge priority={ticket.priority} />
                    <SlaClocks clocks={ticket.sla.clone()} />
                    if let Some(at) = ticket.reopened_at {
                        <span class="badge badge-reopened" data-testid="ticket-reopened" title={datetime(at)}>
                            { format!("Reopened by the reporter's reply {}", ago(now_tick, at)) }
                        </span>
                    }
                    if let Some(into) = ticket.merged_into {
                        <span class="badge badge-reopened" data-testid="ticket-merged-into">
                            { "Merged into " }
                            <AppLink to={Route::Ticket { id: into.0 }}>{ into.key() }</AppLink>
                        </span>
                    }
                    if ticket.merged_into.is_none() {
                        <button type="button" class="btn btn-small" data-testid="merge-open"
                            disabled={!live.connected() || page.merging || page.foreign_lock().is_some_and(|l| l.holder.id != me.id)}
                            title="Merge this ticket into another one that reports the same problem"
                            onclick={{ let open = merge_open.clone(); Callback::from(move |_: MouseEvent| open.set(true)) }}>
                            { "Merge into…" }
                        </button>
                    }
                    if matches!(page.mode, Mode::Viewing) && page.foreign_lock().is_none_or(|l| l.holder.id == me.id) {
                        <span class="assign-actions">
                            if ticket.assignee.as_ref().is_none_or(|a| a.id != me.id) {
                                <button type="button" class="btn btn-small" data-testid="assign-to-me" disabled={!live.connected()}
                                    onclick={on_assign.reform(|_: MouseEvent| false)}>{ "Assign to me" }</button>
                            }
                            if page.foreign_lock().is_none() {
                                <button type="button" class="btn btn-small btn-primary" data-testid="take" disabled={!live.connected()}
                                    title="Assign to me and start editing"
                                    onclick={on_assign.reform(|_: MouseEvent| true)}>{ "Take" }</button>
                            }
                        </span>
                    }
                </div>
                <h1 id="ticket-title">{ title }</h1>
                <p class="meta muted">
                    { ticket.reporter.as_ref().map(|r| format!("Reported by {} · ", r.name)).unwrap_or_default() }
                    <time title={datetime(ticket.created_at)}>{ format!("opened {}", ago(now_tick, ticket.created_at)) }</time>
                    { " · " }
                    <time title={datetime(ticket.updated_at)}>{ format!("updated {}", ago(now_tick, ticket.updated_at)) }</time>
                    { format!(" · version {}", ticket.version) }
                </p>
            </header>
            { flash }
            <LockPanel {view} now={now_tick} idle_at={editing.as_ref().and_then(|e| e.idle_at)} {on_keep} connected={live.connected()} is_admin={session.is_admin()}
                dirty={editing.as_ref().is_some_and(|e| e.dirty())}
                saving={editing.as_ref().is_some_and(|e| e.saving.is_some())}
                conflict={editing.as_ref().is_some_and(|e| e.conflict.is_some())}
                stale={page.draft_is_stale() && editing.as_ref().is_some_and(|e| e.conflict.is_none())}
                {on_edit} {on_save} {on_release} {on_break} />
            { conflict }
            if *merge_open && ticket.merged_into.is_none() {
                <MergeDialog duplicate={ticket.clone()} dirty={editing.as_ref().is_some_and(|e| e.dirty())}
                    connected={live.connected()} on_lookup={on_merge_lookup} on_merge={on_merge}
                    on_close={{ let open = merge_open.clone(); Callback::from(move |()| open.set(false)) }} />
            }
            <div class="ticket-grid">
                <div class="ticket-main">
                    <section class="card" aria-labelledby="details-h">
                        <h2 id="details-h">{ "Details" }</h2>
                        { details }
                    </section>
                    <section class="card" aria-labelledby="conversation-h">
                        <h2 id="conversation-h">{ "Conversation" }
                            <span class="count">{ page.comments.len() }</span></h2>
                        if let Some(into) = ticket.merged_into {
                            <p class="muted" data-testid="merged-conversation">
                                { format!("This ticket was merged, so its conversation and files are on {} now. Reply there: ", into.key()) }
                                <AppLink to={Route::Ticket { id: into.0 }}>{ format!("open {}", into.key()) }</AppLink>
                            </p>
                        } else {
                            <Thread comments={page.comments.clone()} attachments={page.attachments.clone()} now={now_tick} />
                            <Composer {on_send} {on_search} {on_render} {on_upload} connected={live.connected()} has_reporter={ticket.reporter.is_some()} />
                        }
                    </section>
                </div>
                <aside class="ticket-side">
                    <section class="card" aria-labelledby="files-h">
                        <h2 id="files-h">{ "Attachments" }</h2>
                        if page.attachments.is_empty() {
                            <p class="muted">{ "No attachments." }</p>
                        } else {
                            <ul class="files">{ for attachments }</ul>
                        }
                    </section>
                    if !page.notifications.is_empty() {
                        <section class="card" aria-labelledby="notes-h">
                            <h2 id="notes-h">{ "Messages to the reporter" }</h2>
                            <ul class="notifications">{ for notifications }</ul>
                        </section>
                    }
                    <section class="card" aria-labelledby="history-h">
                        <h2 id="history-h">{ "History" }</h2>
                        <Timeline events={page.events.clone()} directory={directory.clone()} now={now_tick} />
                    </section>
                </aside>
            </div>
        </article>
    }
}
