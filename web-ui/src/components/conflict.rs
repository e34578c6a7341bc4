//! What a `version_conflict` looks like: the fields someone else changed next to the agent's draft,
//! which is kept until the agent decides.

use crate::format::{field_label, priority_label, status_label};
use crate::hooks::Directory;
use crate::state::ticket::Draft;
use loket_protocol::ticket::{Field, Ticket};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConflictProps {
    /// What the draft started from.
    pub base: Draft,
    /// The ticket as it is now.
    pub theirs: Ticket,
    pub draft: Draft,
    pub directory: Directory,
    pub on_keep: Callback<()>,
    pub on_discard: Callback<()>,
}

fn show(draft: &Draft, field: Field, directory: &Directory, ticket: Option<&Ticket>) -> String {
    match field {
        Field::Title => draft.title.clone(),
        Field::Body => {
            let text = draft.body.trim();
            if text.chars().count() > 140 {
                format!("{}…", text.chars().take(140).collect::<String>())
            } else {
                text.to_string()
            }
        }
        Field::Status => status_label(draft.status).to_string(),
        Field::Priority => priority_label(draft.priority).to_string(),
        Field::Assignee => match draft.assignee_id {
            None => "Unassigned".to_string(),
            Some(id) => directory
                .agent_name(id)
                .or_else(|| {
                    ticket
                        .and_then(|t| t.assignee.as_ref())
                        .filter(|a| a.id == id)
                        .map(|a| a.name.clone())
                })
                .unwrap_or_else(|| format!("Agent #{id}")),
        },
        Field::Category => match draft.category_id {
            None => "None".to_string(),
            Some(id) => directory
                .category_name(id)
                .or_else(|| {
                    ticket
                        .and_then(|t| t.category.as_ref())
                        .filter(|c| c.id == id)
                        .map(|c| c.name.clone())
                })
                .unwrap_or_else(|| format!("Category #{id}")),
        },
        Field::Queue => directory
            .queue_name(draft.queue_id)
            .unwrap_or_else(|| format!("Queue #{}", draft.queue_id)),
    }
}

#[function_component]
pub fn ConflictView(props: &ConflictProps) -> Html {
    // Bring the news to the agent: scroll the view in and move focus to its heading.
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with(props.theirs.version, move |_| {
            if let Some(el) = heading.cast::<web_sys::HtmlElement>() {
                el.scroll_into_view_with_bool(true);
                let _ = el.focus();
            }
        });
    }
    let theirs = Draft::of(&props.theirs);
    let they_changed = theirs.changed_fields(&props.base);
    let i_changed = props.draft.changed_fields(&props.base);
    let rows = Field::ALL.into_iter().filter(|f| they_changed.contains(f) || i_changed.contains(f)).map(|field| {
        let both = they_changed.contains(&field)
            && i_changed.contains(&field)
            && props.draft.changed_fields(&theirs).contains(&field);
        let d = &props.directory;
        html! {
            <tr class={classes!(both.then_some("both"))}>
                <th scope="row">{ field_label(field) }{ both.then(|| html! { <span class="changed-tag">{ "both changed" }</span> }) }</th>
                <td>{ show(&props.base, field, d, None) }</td>
                <td class={classes!(they_changed.contains(&field).then_some("is-changed"))}>
                    { show(&theirs, field, d, Some(&props.theirs)) }
                </td>
                <td class={classes!(i_changed.contains(&field).then_some("is-changed"))}>
                    { show(&props.draft, field, d, None) }
                </td>
            </tr>
        }
    });
    html! {
        <section class="conflict" role="alert" aria-labelledby="conflict-title" data-testid="conflict">
            <h2 id="conflict-title" ref={heading} tabindex="-1">{ "Someone else changed this ticket while you were editing" }</h2>
            <p>{ format!("Your changes were not saved, and nothing of yours was lost: your draft is still in the form below. \
                  The ticket is now at version {}.", props.theirs.version) }</p>
            <div class="table-wrap">
                <table class="conflict-table">
                    <thead><tr>
                        <th scope="col">{ "Field" }</th>
                        <th scope="col">{ "When you started" }</th>
                        <th scope="col">{ "Now" }</th>
                        <th scope="col">{ "Your draft" }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <div class="conflict-actions">
                <button type="button" class="btn btn-primary" onclick={props.on_keep.reform(|_: MouseEvent| ())}>
                    { "Keep my changes on top" }
                </button>
                <button type="button" class="btn" onclick={props.on_discard.reform(|_: MouseEvent| ())}>
                    { "Discard my changes" }
                </button>
            </div>
            <p class="muted small">{ "“Keep my changes on top” applies the fields you changed to the current ticket; \
                review them and press Save." }</p>
        </section>
    }
}
