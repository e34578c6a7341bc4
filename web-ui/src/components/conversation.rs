//! The conversation: public replies (they reach the reporter) and internal notes (agents only) look
//! clearly different. The composer's text belongs to the agent: incoming comments never touch it.

use crate::components::badges::Avatar;
use crate::components::icons::{Icon, icon};
use crate::format::{ago, author_name, datetime, file_size};
use loket_protocol::Timestamp;
use loket_protocol::ticket::{Attachment, Author, Comment};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ThreadProps {
    pub comments: Vec<Comment>,
    pub attachments: Vec<Attachment>,
    pub now: Timestamp,
}

#[function_component]
pub fn Thread(props: &ThreadProps) -> Html {
    if props.comments.is_empty() {
        return html! { <p class="muted empty-thread">{ "No replies or notes yet." }</p> };
    }
    let items = props.comments.iter().map(|c| {
        let from_reporter = matches!(c.author, Author::Reporter { .. });
        let kind = if c.internal {
            "internal"
        } else if from_reporter {
            "reporter"
        } else {
            "public"
        };
        let tag = match kind {
            "internal" => html! { <span class="msg-tag tag-internal">{ icon(Icon::Lock) }{ "Internal note" }</span> },
            "reporter" => html! { <span class="msg-tag tag-reporter">{ "From the reporter" }</span> },
            _ => html! { <span class="msg-tag tag-public">{ icon(Icon::Reply) }{ "Public reply" }</span> },
        };
        let name = author_name(&c.author);
        let files = c
            .attachments
            .iter()
            .filter_map(|id| props.attachments.iter().find(|a| a.id == *id))
            .map(|a| {
                html! { <li><AttachmentLink attachment={a.clone()} /></li> }
            });
        html! {
            <li key={c.id.0} class={classes!("msg", format!("msg-{kind}"))} data-testid="comment" data-kind={kind}>
                <div class="msg-head">
                    <Avatar name={name.clone()} reporter={from_reporter} />
                    <strong class="msg-author">{ name }</strong>
                    { tag }
                    <time class="msg-time" datetime={c.created_at.to_rfc3339()} title={datetime(c.created_at)}>
                        { ago(props.now, c.created_at) }
                    </time>
                </div>
                <div class="msg-body">{ &c.body }</div>
                if !c.attachments.is_empty() {
                    <ul class="msg-files">{ for files }</ul>
                }
            </li>
        }
    });
    html! { <ol class="thread" aria-label="Conversation">{ for items }</ol> }
}

#[derive(Properties, PartialEq)]
pub struct AttachmentLinkProps {
    pub attachment: Attachment,
}

/// A link that opens an attachment through the authenticated API (the session cookie goes along).
#[function_component]
pub fn AttachmentLink(props: &AttachmentLinkProps) -> Html {
    let a = &props.attachment;
    html! {
        <a class="file" href={a.url.clone()} target="_blank" rel="noopener" data-testid="attachment">
            { icon(Icon::Paperclip) }
            <span class="file-name">{ &a.file_name }</span>
            <span class="file-meta">{ file_size(a.size_bytes) }</span>
        </a>
    }
}

/// What the composer sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub body: String,
    pub internal: bool,
    /// Called with `Ok` when the server took it (the composer then clears) or the error to show.
    pub done: Callback<Result<(), String>>,
}

#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    pub on_send: Callback<Outgoing>,
    pub connected: bool,
    /// True when the ticket has a reporter who would receive public replies.
    pub has_reporter: bool,
}

#[function_component]
pub fn Composer(props: &ComposerProps) -> Html {
    let body = use_state(String::new);
    let internal = use_state(|| false);
    let sending = use_state(|| false);
    let error = use_state(|| None::<String>);

    let submit = {
        let (body, internal, sending, error, on_send) = (
            body.clone(),
            internal.clone(),
            sending.clone(),
            error.clone(),
            props.on_send.clone(),
        );
        Callback::from(move |()| {
            let text = body.trim().to_string();
            if text.is_empty() || *sending {
                return;
            }
            sending.set(true);
            error.set(None);
            let done = {
                let (body, sending, error) = (body.clone(), sending.clone(), error.clone());
                Callback::from(move |result: Result<(), String>| {
                    sending.set(false);
                    match result {
                        Ok(()) => body.set(String::new()),
                        Err(message) => error.set(Some(message)),
                    }
                })
            };
            on_send.emit(Outgoing {
                body: text,
                internal: *internal,
                done,
            });
        })
    };
    let on_submit = submit.reform(|e: SubmitEvent| e.prevent_default());
    let on_key = {
        let submit = submit.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                submit.emit(());
            }
        })
    };
    let on_input = {
        let body = body.clone();
        Callback::from(move |e: InputEvent| body.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let pick = |value: bool| {
        let internal = internal.clone();
        Callback::from(move |_: Event| internal.set(value))
    };
    let (label, button, hint) = if *internal {
        (
            "Internal note",
            "Add internal note",
            "Only agents see internal notes.".to_string(),
        )
    } else if props.has_reporter {
        (
            "Reply to the reporter",
            "Send reply",
            "Public replies are sent to the reporter on Telegram.".to_string(),
        )
    } else {
        (
            "Public reply",
            "Send reply",
            "Public replies are part of the ticket's public record.".to_string(),
        )
    };
    html! {
        <form class={classes!("composer", (*internal).then_some("composer-internal"))} onsubmit={on_submit}
            data-testid="composer">
            <fieldset class="segmented">
                <legend class="sr-only">{ "Kind of message" }</legend>
                <input type="radio" id="kind-public" name="composer-kind" checked={!*internal} onchange={pick(false)} />
                <label for="kind-public">{ icon(Icon::Reply) }{ "Public reply" }</label>
                <input type="radio" id="kind-internal" name="composer-kind" checked={*internal} onchange={pick(true)} />
                <label for="kind-internal">{ icon(Icon::Lock) }{ "Internal note" }</label>
            </fieldset>
            <label for="composer-body" class="sr-only">{ label }</label>
            <textarea id="composer-body" rows="4" value={(*body).clone()} oninput={on_input} onkeydown={on_key}
                placeholder={if *internal { "Write a note for your colleagues…" } else { "Write a reply…" }} />
            if let Some(message) = &*error {
                <p class="form-error" role="alert">{ message }</p>
            }
            <div class="composer-foot">
                <span class="muted small">{ hint }{ " Ctrl+Enter sends." }</span>
                <button type="submit" class={classes!("btn", if *internal { "btn-note" } else { "btn-primary" })}
                    disabled={body.trim().is_empty() || *sending || !props.connected} aria-busy={sending.to_string()}>
                    { button }
                </button>
            </div>
        </form>
    }
}
