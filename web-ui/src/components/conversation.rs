//! The conversation: public replies (they reach the reporter) and internal notes (agents only) look
//! clearly different. The composer's text belongs to the agent: incoming comments never touch it.
//!
//! Canned replies: typing `::` in the composer (or its "Canned reply" button) opens a searchable picker;
//! the chosen reply is rendered by the server for this ticket (the reporter's language, placeholders
//! filled in) and inserted where `::` was typed (replacing it) or at the cursor, the cursor after it. The
//! page does the searching and rendering (`ComposerProps::on_search`, `on_render`).
//!
//! Files: "Attach files" chooses one or more; each is uploaded at once (the page does it,
//! `ComposerProps::on_upload`) and shown as a chip (uploading, its size once stored, or why it failed)
//! with a remove button; the reply names the stored ones and waits while one is uploading or failed.

use crate::components::badges::Avatar;
use crate::components::icons::{Icon, icon};
use crate::format::{ago, author_name, datetime, file_size};
use crate::state::uploads::{UploadAction, UploadState, Uploads, refuse_before_upload};
use loket_protocol::canned::{CannedReply, RenderedReply};
use loket_protocol::ticket::{Attachment, Author, Comment};
use loket_protocol::{AttachmentId, CannedReplyId, Timestamp};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
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
    /// The files uploaded for it.
    pub attachments: Vec<AttachmentId>,
    /// Called with `Ok` when the server took it (the composer then clears) or the error to show.
    pub done: Callback<Result<(), String>>,
}

#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    pub on_send: Callback<Outgoing>,
    /// Canned replies matching the text, answered through the callback.
    pub on_search: Callback<(String, Callback<Vec<CannedReply>>)>,
    /// A canned reply rendered for this ticket (or why not), answered through the callback.
    pub on_render: Callback<(CannedReplyId, Callback<Result<RenderedReply, String>>)>,
    /// Uploads a chosen file, answering the stored attachment or why not (said for the agent).
    pub on_upload: Callback<(web_sys::File, Callback<Result<Attachment, String>>)>,
    pub connected: bool,
    /// True when the ticket has a reporter who would receive public replies.
    pub has_reporter: bool,
    /// The agent typed in the reply (presence: "is typing a reply").
    #[prop_or_default]
    pub on_typing: Callback<()>,
}

#[function_component]
pub fn Composer(props: &ComposerProps) -> Html {
    let body = use_state(String::new);
    let internal = use_state(|| false);
    let sending = use_state(|| false);
    let error = use_state(|| None::<String>);
    let textarea = use_node_ref();
    // Where the picker's choice goes: the byte range it replaces (`::`, or the empty range at the cursor).
    let picking = use_state(|| None::<(usize, usize)>);
    // The cursor to set once the inserted text is on the page (bytes into the body).
    let cursor = use_state(|| None::<usize>);
    let placeholder_note = use_state(|| None::<String>);
    let uploads = use_reducer(Uploads::default);
    let next_upload = use_mut_ref(|| 0u32);
    let file_input = use_node_ref();
    {
        let (textarea, cursor_handle) = (textarea.clone(), cursor.clone());
        use_effect_with((*cursor, (*body).clone()), move |(at, text)| {
            if let (Some(at), Some(area)) = (at, textarea.cast::<HtmlTextAreaElement>()) {
                let unit = utf16_index(text, *at);
                let _ = area.focus();
                let _ = area.set_selection_range(unit, unit);
                cursor_handle.set(None);
            }
        });
    }

    let submit = {
        let (body, internal, sending, error, on_send, uploads) = (
            body.clone(),
            internal.clone(),
            sending.clone(),
            error.clone(),
            props.on_send.clone(),
            uploads.clone(),
        );
        Callback::from(move |()| {
            let text = body.trim().to_string();
            if text.is_empty() || *sending || uploads.blocking().is_some() {
                return;
            }
            sending.set(true);
            error.set(None);
            let done = {
                let (body, sending, error, uploads) = (body.clone(), sending.clone(), error.clone(), uploads.clone());
                Callback::from(move |result: Result<(), String>| {
                    sending.set(false);
                    match result {
                        Ok(()) => {
                            body.set(String::new());
                            uploads.dispatch(UploadAction::Sent);
                        }
                        Err(message) => error.set(Some(message)),
                    }
                })
            };
            on_send.emit(Outgoing {
                body: text,
                internal: *internal,
                attachments: uploads.ids(),
                done,
            });
        })
    };
    let on_files = {
        let (uploads, next_upload, on_upload) = (uploads.clone(), next_upload.clone(), props.on_upload.clone());
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let Some(list) = input.files() else { return };
            for index in 0..list.length() {
                let Some(file) = list.get(index) else { continue };
                let local = {
                    let mut next = next_upload.borrow_mut();
                    *next += 1;
                    *next
                };
                let (name, size) = (file.name(), file.size());
                let refused = refuse_before_upload(&name, size);
                let upload = refused.is_none();
                uploads.dispatch(UploadAction::Chosen {
                    local,
                    name,
                    size,
                    refused,
                });
                if upload {
                    let uploads = uploads.clone();
                    on_upload.emit((
                        file,
                        Callback::from(move |result| uploads.dispatch(UploadAction::Finished { local, result })),
                    ));
                }
            }
            // The same file may be chosen again (after removing it, say).
            input.set_value("");
        })
    };
    let chips = uploads.items.iter().map(|u| {
        let remove = {
            let (uploads, local) = (uploads.clone(), u.local);
            Callback::from(move |_: MouseEvent| uploads.dispatch(UploadAction::Removed(local)))
        };
        let (state, detail) = match &u.state {
            UploadState::Uploading => ("uploading", "uploading…".to_string()),
            UploadState::Done(a) => ("done", file_size(a.size_bytes)),
            UploadState::Failed(why) => ("failed", why.clone()),
        };
        html! {
            <li key={u.local} class={classes!("chip", "upload-chip", format!("upload-{state}"))}
                data-testid="upload-chip" data-state={state}>
                { icon(Icon::Paperclip) }
                <span class="file-name">{ &u.name }</span>
                <span class={if state == "failed" { "form-error small" } else { "muted small" }}
                    role={(state == "failed").then_some("alert")}>{ format!(" {detail}") }</span>
                <button type="button" class="chip-remove" aria-label={format!("Remove {}", u.name)}
                    data-testid="upload-remove" onclick={remove}>{ "×" }</button>
            </li>
        }
    });
    let blocking = uploads.blocking();
    let choose_files = {
        let file_input = file_input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = file_input.cast::<HtmlInputElement>() {
                input.click();
            }
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
        let (body, picking, on_typing) = (body.clone(), picking.clone(), props.on_typing.clone());
        Callback::from(move |e: InputEvent| {
            on_typing.emit(());
            let area = e.target_unchecked_into::<HtmlTextAreaElement>();
            let value = area.value();
            let at = area
                .selection_start()
                .ok()
                .flatten()
                .map(|unit| byte_index(&value, unit))
                .unwrap_or(value.len());
            if value[..at].ends_with("::") {
                picking.set(Some((at - 2, at)));
            }
            body.set(value);
        })
    };
    let open_picker = {
        let (picking, body, textarea) = (picking.clone(), body.clone(), textarea.clone());
        Callback::from(move |_: MouseEvent| {
            let at = textarea
                .cast::<HtmlTextAreaElement>()
                .and_then(|area| area.selection_start().ok().flatten())
                .map(|unit| byte_index(&body, unit))
                .unwrap_or(body.len());
            picking.set(Some((at, at)));
        })
    };
    let close_picker = {
        let (picking, textarea) = (picking.clone(), textarea.clone());
        Callback::from(move |()| {
            picking.set(None);
            if let Some(area) = textarea.cast::<HtmlTextAreaElement>() {
                let _ = area.focus();
            }
        })
    };
    let on_pick = {
        let (picking, body, cursor, error, note, on_render) = (
            picking.clone(),
            body.clone(),
            cursor.clone(),
            error.clone(),
            placeholder_note.clone(),
            props.on_render.clone(),
        );
        Callback::from(move |reply: CannedReply| {
            let Some((from, to)) = *picking else { return };
            picking.set(None);
            let (body, cursor, error, note) = (body.clone(), cursor.clone(), error.clone(), note.clone());
            let answer = Callback::from(move |rendered: Result<RenderedReply, String>| match rendered {
                Ok(rendered) => {
                    let current = (*body).clone();
                    // The text may have changed meanwhile; insert where it still fits.
                    let (from, to) =
                        if to <= current.len() && current.is_char_boundary(from) && current.is_char_boundary(to) {
                            (from, to)
                        } else {
                            (current.len(), current.len())
                        };
                    let text = format!("{}{}{}", &current[..from], rendered.text, &current[to..]);
                    cursor.set(Some(from + rendered.text.len()));
                    body.set(text);
                    let mut left: Vec<String> = rendered
                        .unknown
                        .iter()
                        .map(|u| format!("{{{{{u}}}}} (unknown)"))
                        .collect();
                    left.extend(
                        rendered
                            .missing
                            .iter()
                            .map(|m| format!("{{{{{m}}}}} (no value for this ticket)")),
                    );
                    note.set(
                        (!left.is_empty())
                            .then(|| format!("Left as written: {}. Edit before sending.", left.join(", "))),
                    );
                }
                Err(message) => error.set(Some(format!("Could not insert the canned reply: {message}"))),
            });
            on_render.emit((reply.id, answer));
        })
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
    let files_hint = if *internal {
        "Files on an internal note stay with agents."
    } else if props.has_reporter {
        "The files go to the reporter on Telegram with the reply."
    } else {
        "The files are kept with the reply."
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
                ref={textarea.clone()}
                placeholder={if *internal { "Write a note for your colleagues… (:: inserts a canned reply)" } else { "Write a reply… (:: inserts a canned reply)" }} />
            if picking.is_some() {
                <CannedPicker on_pick={on_pick} on_close={close_picker} on_search={props.on_search.clone()} />
            }
            if let Some(note) = &*placeholder_note {
                <p class="lock-note warn" data-testid="canned-note">{ note }</p>
            }
            if !uploads.items.is_empty() {
                <ul class="chips upload-chips" aria-label="Files to send with it">{ for chips }</ul>
                <p class="muted small">{ files_hint }</p>
            }
            if let Some(message) = &*error {
                <p class="form-error" role="alert">{ message }</p>
            }
            <div class="composer-foot">
                <span class="muted small">{ blocking.map(|b| format!("{b} ")).unwrap_or_default() }{ hint }{ " Ctrl+Enter sends." }</span>
                <input type="file" id="composer-files" class="sr-only" multiple=true onchange={on_files}
                    ref={file_input.clone()} tabindex="-1" aria-label="Files to attach"
                    data-testid="composer-files" />
                <button type="button" class="btn btn-ghost" onclick={choose_files} data-testid="attach-files">
                    { icon(Icon::Paperclip) }{ "Attach files" }
                </button>
                <button type="button" class="btn btn-ghost" onclick={open_picker} data-testid="canned-open">
                    { "Canned reply" }
                </button>
                <button type="submit" class={classes!("btn", if *internal { "btn-note" } else { "btn-primary" })}
                    disabled={body.trim().is_empty() || *sending || !props.connected || blocking.is_some()} aria-busy={sending.to_string()}>
                    { button }
                </button>
            </div>
        </form>
    }
}

/// The byte index in `text` of UTF-16 code unit `unit` (what the browser's selection counts).
fn byte_index(text: &str, unit: u32) -> usize {
    let mut units = 0u32;
    for (at, c) in text.char_indices() {
        if units >= unit {
            return at;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// The UTF-16 code unit index in `text` of byte `at`.
fn utf16_index(text: &str, at: usize) -> u32 {
    text[..at.min(text.len())].chars().map(|c| c.len_utf16() as u32).sum()
}

#[derive(Properties, PartialEq)]
struct CannedPickerProps {
    on_pick: Callback<CannedReply>,
    on_close: Callback<()>,
    on_search: Callback<(String, Callback<Vec<CannedReply>>)>,
}

/// A search box over the canned replies the agent may use; Enter picks the first, Escape closes.
#[function_component]
fn CannedPicker(props: &CannedPickerProps) -> Html {
    let search = use_state(String::new);
    let found = use_state(|| None::<Vec<CannedReply>>);
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with((), move |_| {
            if let Some(field) = input.cast::<HtmlInputElement>() {
                let _ = field.focus();
            }
        });
    }
    {
        let (found, on_search) = (found.clone(), props.on_search.clone());
        use_effect_with((*search).clone(), move |q| {
            // Answers may arrive out of order; each shows until the next one.
            on_search.emit((q.clone(), Callback::from(move |replies| found.set(Some(replies)))));
        });
    }
    let on_input = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| search.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_key = {
        let (found, on_pick, on_close) = (found.clone(), props.on_pick.clone(), props.on_close.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Escape" => {
                e.prevent_default();
                on_close.emit(());
            }
            "Enter" => {
                e.prevent_default();
                if let Some(first) = found.as_ref().and_then(|f| f.first()) {
                    on_pick.emit(first.clone());
                }
            }
            _ => {}
        })
    };
    let items = found.as_ref().map(|replies| {
        if replies.is_empty() {
            return html! { <li class="muted">{ "No canned reply matches." }</li> };
        }
        replies
            .iter()
            .map(|reply| {
                let (on_pick, chosen) = (props.on_pick.clone(), reply.clone());
                let scope = match reply.scope {
                    loket_protocol::canned::CannedScope::Shared => "shared",
                    loket_protocol::canned::CannedScope::Personal => "mine",
                };
                html! {
                    <li key={reply.id.0}>
                        <button type="button" class="btn btn-ghost canned-item" data-testid="canned-item"
                            data-shortcut={reply.shortcut.clone()}
                            onclick={Callback::from(move |_: MouseEvent| on_pick.emit(chosen.clone()))}>
                            <strong>{ &reply.title }</strong>
                            <span class="muted small">{ format!(" ::{} · {scope}", reply.shortcut) }</span>
                        </button>
                    </li>
                }
            })
            .collect::<Html>()
    });
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <div class="canned-picker card" role="dialog" aria-label="Insert a canned reply" data-testid="canned-picker">
            <label for="canned-search" class="sr-only">{ "Search canned replies" }</label>
            <input id="canned-search" type="search" ref={input} value={(*search).clone()} oninput={on_input}
                onkeydown={on_key} placeholder="Search canned replies by title or text…" />
            <ul class="canned-list">{ items.unwrap_or_else(|| html! { <li class="muted">{ "Loading…" }</li> }) }</ul>
            <button type="button" class="btn btn-ghost" onclick={close}>{ "Cancel" }</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_offsets_convert_between_utf16_and_bytes() {
        let text = "Halo 👋 ::x";
        // "Halo " is 5 units, the emoji 2 units (4 bytes), then " ::x".
        assert_eq!(byte_index(text, 5), 5);
        assert_eq!(byte_index(text, 7), 9);
        assert_eq!(utf16_index(text, 9), 7);
        assert_eq!(byte_index(text, 100), text.len());
        assert!(text[..byte_index(text, 10)].ends_with("::"));
    }
}
